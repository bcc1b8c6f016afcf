//! # infra-provider: the provider protocol
//!
//! Everything the engine and a provider share, and nothing else: no HTTP, no SDK, no configuration
//! language. Both sides depend on this crate; neither depends on the other.
//!
//! - [`Value`]: the dynamic value of configuration and state (null, unknown, sensitive marks included).
//! - [`Type`] and [`convert`]: type constraints and Terraform's assignment conversions.
//! - [`Schema`], [`Block`], [`Attribute`], [`NestedBlock`]: what a resource type accepts and computes, and
//!   which changes force replacement.
//! - [`Provider`] and [`ProviderClient`]: the engine-facing traits, with [`OpContext`] for each
//!   create/update/delete (ownership tags, client token, timeout, slot-free sleeping).
//! - [`ResourceType`], [`DataSourceType`], [`Registry`]: how a provider is written, one type per file.
//! - [`Check`] and [`Invalid`]: value checks made before any cloud call.
//! - [`Refresh`]: one refresh of many types, so a provider can share calls across them.
//! - [`wait_for`]: readiness polling with backoff.
//! - [`AdaptiveLimit`]: the concurrency limit of one cloud endpoint, adapting to throttling.

pub mod check;
pub mod limit;
pub mod provider;
pub mod refresh;
pub mod resource;
pub mod schema;
pub mod types;
pub mod value;
pub mod wait;

pub use check::{Check, Invalid};
pub use limit::{AdaptiveLimit, Permit};
pub use provider::{
    ErrorKind, OpContext, Pauser, PlanRequest, PriceList, PriceQuery, Provider, ProviderClient, ProviderError, Result,
    TAG_ADDRESS, TAG_LINEAGE, default_poll_interval,
};
pub use refresh::Refresh;
pub use resource::{DataSourceType, EphemeralType, Registry, ResourceType};
pub use schema::{Attribute, Block, NestedBlock, Nesting, ProviderSchema, Schema, Timeouts};
pub use types::{ConversionError, ObjectAttr, Type, convert};
pub use value::{Number, Path, PathStep, Value};
pub use wait::{Poll, wait_for};
