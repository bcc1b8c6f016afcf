//! State: what infra manages — every resource instance with its cloud ID and attributes, and the outputs.
//!
//! - [`State`] is the in-memory model the planner and applier work on.
//! - [`file`] is the on-disk format (versioned JSON, separate from the model, with a reader that refuses
//!   newer formats).
//! - [`StateStore`] is where state lives and how it is locked; [`local::LocalStore`] keeps it in a file,
//!   written atomically with the previous version kept as `*.backup`.
//!
//! Architecture invariant: state is only ever written through a [`StateStore`].

pub mod file;
pub mod local;

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

/// Who holds a lock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: String,
    #[serde(rename = "Who")]
    pub who: String,
    #[serde(rename = "Host")]
    pub host: String,
    #[serde(rename = "Pid")]
    pub pid: u32,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Path")]
    pub path: String,
}

impl LockInfo {
    /// Lock info for an operation of this process.
    pub fn new(operation: &str) -> LockInfo {
        let host = hostname();
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{user}@{host}"),
            host,
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            path: String::new(),
        }
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Pid:       {}\n  Version:   {}\n  Created:   {}",
            self.id, self.path, self.operation, self.who, self.pid, self.version, self.created
        )
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length and gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown".into()
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
    #[error(
        "state {path} was written by a newer version of infra (state format {found}; this version reads up to {supported})"
    )]
    NewerFormat { path: String, found: u64, supported: u64 },
    #[error("state {path} is locked by another operation\nLock Info:\n{info}")]
    Locked { path: String, info: Box<LockInfo> },
    #[error("state {path} is locked, and the lock file cannot be read: {detail}")]
    LockUnreadable { path: String, detail: String },
    #[error("state {path} has no lock with ID {id}{}", held.as_ref().map(|h| format!(" (the current lock is {h})")).unwrap_or_else(|| " (it is not locked)".into()))]
    NoSuchLock {
        path: String,
        id: String,
        held: Option<String>,
    },
}

/// Where a state lives and how it is locked. Every backend passes the same conformance tests
/// (`state::tests::conformance`).
pub trait StateStore: Send + Sync {
    /// The state's location, for messages ("state/example/default.tfstate.json").
    fn describe(&self) -> String;
    /// Reads the state; `None` when there is none yet.
    fn load(&self) -> Result<Option<State>, StateError>;
    /// Persists the state durably. When its content differs from what was last persisted, its serial
    /// is increased first.
    fn persist(&self, state: &mut State) -> Result<(), StateError>;
    /// Takes the lock, waiting up to `timeout` for a running holder to release it. A lock whose holder
    /// ended without releasing it (killed) is taken over and returned, so that the caller can say so.
    fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>, StateError>;
    /// Releases a lock this process holds.
    fn unlock(&self, id: &str) -> Result<(), StateError>;
    /// The current lock holder, if any.
    fn lock_holder(&self) -> Result<Option<LockInfo>, StateError>;
}

#[cfg(test)]
pub mod tests;
