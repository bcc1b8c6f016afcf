//! The Terraform language: syntax tree ([`ast`]), evaluation with unknowns and sensitive marks
//! ([`eval`]), decoding bodies against provider schemas ([`decode`]), references for the dependency graph
//! ([`refs`]), type constraints ([`typeexpr`]) and the built-in functions ([`functions`]).

pub mod ast;
pub mod decode;
pub mod eval;
pub mod functions;
pub mod refs;
pub mod typeexpr;

#[cfg(test)]
mod tests;
