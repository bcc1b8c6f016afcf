//! # infra
//!
//! A Terraform-language infrastructure provisioner. Module map:
//!
//! - [`addrs`]: resource, instance and provider addresses.
//! - [`diag`]: diagnostics with source spans, rendered with `file:line:col`.
//! - [`lang`]: the language — syntax tree, evaluator, functions, schema decoding, references.
//! - [`config`]: loading a directory of `.tf` files into a [`config::Config`].
//! - [`cost`]: offline monthly cost estimates from a bundled price catalog.
//! - [`graph`]: the dependency graph of a configuration (cycles, order).
//! - [`scope`]: what names mean during evaluation (variables, locals, resources).
//! - [`policy`]: built-in policy checks (the team's guidelines) on a plan's planned values.
//! - [`plan`]: refresh + diff into a [`plan::Plan`]; its renderings and saved form.
//! - [`apply`]: executing a plan's graph, durably.
//! - [`state`]: the state model, file format, the store (serial, encryption) over any backend, the local
//!   backend, and the conformance suite every backend passes.
//! - [`encryption`]: encryption at rest of states and saved plans (AES-GCM; passphrase and pluggable keys).
//! - [`provider_set`]: the providers a run can use (handed in by the binary).
//! - [`backend_set`]: the state backends and key providers a run can use (built-ins plus the binary's).
//! - [`fmt`]: the canonical formatter (`infra fmt`).
//! - [`validate`]: schema checks without variables, state or cloud access.
//! - [`testing`]: an in-memory provider for the engine's tests and benchmarks.
//! - [`cli`]: the command line: flags, settings, one function per command, exit codes.

pub mod addrs;
pub mod apply;
pub mod backend_set;
pub mod cli;
pub mod config;
pub mod cost;
pub mod diag;
pub mod encryption;
pub mod ephemeral;
pub mod fmt;
pub mod graph;
pub mod lang;
pub mod plan;
pub mod policy;
pub mod provider_set;
pub mod scope;
pub mod state;
pub mod testing;
pub mod validate;
