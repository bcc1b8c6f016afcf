//! State: what infra manages — every resource instance with its cloud ID and attributes, and the outputs.
//!
//! - [`State`] is the in-memory model the planner and applier work on.
//! - [`file`] is the on-disk format (versioned JSON, separate from the model, with a reader that refuses
//!   newer formats).
//! - [`StateStore`] is where state lives and how it is locked: it encodes, numbers (serial), encrypts and
//!   checks every state, over the bytes a backend keeps ([`infra_backend::StateBlob`]): a file
//!   ([`local`], written atomically with the previous version kept as `*.backup`), an S3 object or a
//!   PostgreSQL row (the backends outside the engine).
//! - [`conformance`] is the suite every backend passes.
//!
//! Architecture invariant: state is only ever written through a [`StateStore`].

pub mod conformance;
pub mod file;
pub mod local;
pub mod store;
pub mod terraform;

pub use infra_backend::{BackendError, LockInfo, hostname};
pub use store::StateStore;

use crate::addrs::{InstanceAddr, ProviderKey, ResourceAddr};
use infra_provider::{Path, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The lifecycle status of a resource instance in state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum InstanceStatus {
    /// Created (or imported) and usable.
    Ready,
    /// Created but not known to be usable (a later step of its create failed): replaced on the next apply.
    Tainted,
    /// A create was started and its outcome is not known yet: the next plan looks for the object with
    /// the provider's `find_created` and adopts it, or plans the create again.
    Creating { token: String, started: String },
}

/// An object replaced with `create_before_destroy` whose deletion has not happened yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Deposed {
    pub key: String,
    pub value: Value,
}

/// One resource instance in state.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInstance {
    pub provider: ProviderKey,
    pub status: InstanceStatus,
    /// Every attribute, as the provider returned it (for `Creating`: the planned values known then).
    pub value: Value,
    /// Attribute paths that hold sensitive values.
    pub sensitive_paths: Vec<Path>,
    /// Resources this one depended on when last applied (for ordering its deletion).
    pub dependencies: Vec<ResourceAddr>,
    pub create_before_destroy: bool,
    pub deposed: Vec<Deposed>,
    pub schema_version: u64,
}

impl ResourceInstance {
    pub fn ready(provider: ProviderKey, value: Value) -> ResourceInstance {
        ResourceInstance {
            provider,
            status: InstanceStatus::Ready,
            value,
            sensitive_paths: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: false,
            deposed: Vec::new(),
            schema_version: 0,
        }
    }
    /// The cloud ID (`id` attribute), when known.
    pub fn id(&self) -> Option<&str> {
        self.value.get_str("id")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputValue {
    pub value: Value,
    pub sensitive: bool,
}

/// The whole state of one environment.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Identifies this state's history; a saved plan only applies to the lineage it was made from.
    pub lineage: String,
    /// Increases with every persisted change.
    pub serial: u64,
    pub resources: BTreeMap<InstanceAddr, ResourceInstance>,
    pub outputs: BTreeMap<String, OutputValue>,
}

impl State {
    /// A new, empty state with a fresh lineage.
    pub fn new() -> State {
        State {
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }
    /// Instances of one resource.
    pub fn instances_of<'a>(
        &'a self,
        r: &'a ResourceAddr,
    ) -> impl Iterator<Item = (&'a InstanceAddr, &'a ResourceInstance)> + 'a {
        let start = r.instance(crate::addrs::InstanceKey::None);
        self.resources.range(start..).take_while(move |(a, _)| &a.resource == r)
    }
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty()
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// State errors: each names the state's location.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write state {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("state {path} is not valid: {detail}")]
    Corrupt { path: String, detail: String },
    /// Another tool's state (Terraform's) where infra's was expected.
    #[error("state {path} is not an infra state: {detail}")]
    Foreign { path: String, detail: String },
    #[error(
        "state {path} was written by a newer version of infra (state format {found}; this version reads up to {supported})"
    )]
    NewerFormat { path: String, found: u64, supported: u64 },
    #[error(
        "state {path} was written by infra {found}, a newer version than this one ({ours}): upgrade infra to {found} or later to use it (an older infra could undo what the newer one recorded)"
    )]
    NewerInfra { path: String, found: String, ours: String },
    #[error("state {path} is locked by another operation\nLock Info:\n{info}")]
    Locked { path: String, info: Box<LockInfo> },
    #[error(
        "state {path} is locked by an operation whose lease expired {} ago: its holder (pid {} on {}) probably ended without releasing it\nLock Info:\n{info}",
        humantime::format_duration(std::time::Duration::from_secs(expired_for.as_secs())), info.pid, info.host
    )]
    StaleLock {
        path: String,
        info: Box<LockInfo>,
        expired_for: Duration,
    },
    #[error("state {path} is locked, and the lock cannot be read: {detail}")]
    LockUnreadable { path: String, detail: String },
    #[error("state {path} has no lock with ID {id}{}", held.as_ref().map(|h| format!(" (the current lock is {h})")).unwrap_or_else(|| " (it is not locked)".into()))]
    NoSuchLock {
        path: String,
        id: String,
        held: Option<String>,
    },
    /// The state is encrypted and cannot be decrypted with the keys configured (or none is).
    #[error("state {path}: {detail}")]
    Encryption { path: String, detail: String },
    /// Anything else the backend reports, with the service's own error.
    #[error("state {path}: {source}")]
    Backend { path: String, source: BackendError },
}

impl StateError {
    /// A backend's error, located.
    pub fn backend(path: &str, e: BackendError) -> StateError {
        let path = path.to_string();
        match e {
            BackendError::Locked { info } => StateError::Locked { path, info },
            BackendError::StaleLock { info, expired_for } => StateError::StaleLock {
                path,
                info,
                expired_for,
            },
            BackendError::NoSuchLock { id, held } => StateError::NoSuchLock { path, id, held },
            BackendError::Key(detail) => StateError::Encryption { path, detail },
            source => StateError::Backend { path, source },
        }
    }
}

#[cfg(test)]
mod tests;
