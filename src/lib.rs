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
//! - [`plan`]: refresh + diff into a [`plan::Plan`]; its renderings and saved form.
//! - [`apply`]: executing a plan's graph, durably.
//! - [`state`]: the state model, file format, and stores with locking.
//! - [`provider_set`]: the providers a run can use (handed in by the binary).
//! - [`validate`]: schema checks without variables, state or cloud access.
//! - [`testing`]: an in-memory provider for the engine's tests and benchmarks.

pub mod addrs;
pub mod apply;
pub mod config;
pub mod cost;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod lang;
pub mod plan;
pub mod provider_set;
pub mod scope;
pub mod state;
pub mod testing;
pub mod validate;
