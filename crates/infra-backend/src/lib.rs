//! # infra-backend: the state backend protocol
//!
//! Where a state lives, how it is locked, and where encryption keys come from — and nothing else: no state
//! model, no configuration language, no SDK. The engine (root package `infra`) depends on this crate, and so
//! does every backend outside it (the S3 backend and the AWS KMS key provider in `providers/aws`, the
//! PostgreSQL backend in `backends/pg`); the binary hands the engine the backends it was built with, as it
//! hands it providers.
//!
//! A backend stores *bytes*: the engine encodes, encrypts, numbers (serial) and checks (lineage, format
//! version) every state itself, so every backend gets the same semantics for free and the conformance suite
//! (`infra::state::conformance`) checks the same rules on each.
//!
//! - [`BackendType`]: a kind of backend (`local`, `s3`, `pg`), its arguments and how it is configured from a
//!   `backend "KIND" { ... }` block.
//! - [`Backend`]: a configured backend, holding the state of every environment ([`Backend::state`],
//!   [`Backend::environments`]).
//! - [`StateBlob`]: the state of one environment: read, atomic replace, the previous version, and the lock.
//! - [`LockInfo`]: who holds a lock (the same fields on every backend, with a lease where the lock cannot be
//!   tied to the holder's life).
//! - [`KeyProviderType`], [`KeyProvider`]: where encryption keys come from (a passphrase in the engine, AWS KMS
//!   in `providers/aws`); [`crypto`]: the AES-256-GCM and PBKDF2 primitives they are used with.

pub mod crypto;
pub mod lock;

pub use lock::{LockInfo, hostname, now_rfc3339};

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A backend's error. The engine adds the state's location ([`StateBlob::location`]) to every message.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The backend block is wrong (missing bucket, bad connection string...): a configuration error.
    #[error("{0}")]
    Config(String),
    /// The storage could not be read or written; the message carries the service's own error.
    #[error("{0}")]
    Io(String),
    /// Someone else holds the lock, and it is live.
    #[error("the state is locked by another operation")]
    Locked { info: Box<LockInfo> },
    /// Someone else's lock whose lease ran out: its holder is probably gone, but it is never taken over
    /// silently.
    #[error("the state is locked by an operation whose lease expired {} ago", humantime::format_duration(*.expired_for))]
    StaleLock { info: Box<LockInfo>, expired_for: Duration },
    /// `unlock`/`force-unlock` with an ID that does not hold the lock.
    #[error("there is no lock with ID {id}{}", held.as_ref().map(|h| format!(" (the current lock is {h})")).unwrap_or_else(|| " (it is not locked)".into()))]
    NoSuchLock { id: String, held: Option<String> },
    /// A write would overwrite a version this process has not seen: someone else wrote the state since.
    #[error("the state was changed by someone else since this run read it: {0}")]
    Conflict(String),
    /// The lock this process held was removed or taken by someone else while it ran.
    #[error("the lock this run held was lost: {0}")]
    LockLost(String),
    /// A key provider could not give a key (wrong passphrase, KMS refused...).
    #[error("{0}")]
    Key(String),
}

pub type Result<T, E = BackendError> = std::result::Result<T, E>;

/// The state of one environment, as bytes.
///
/// Every implementation must pass `infra::state::conformance`: a reader never sees a half-written state;
/// `put` replaces the whole state atomically and refuses to overwrite a version written by someone else
/// since this instance last read or wrote it; the lock is exclusive across processes and machines.
#[async_trait]
pub trait StateBlob: Send + Sync {
    /// Where the state is, for messages: `state/stack/stage.tfstate.json`, `s3://bucket/env:/stage/key`.
    fn location(&self) -> String;
    /// The state's bytes; `None` when there is none yet.
    async fn get(&self) -> Result<Option<Vec<u8>>>;
    /// Replaces the state with `data`, atomically. Fails with [`BackendError::Conflict`] when the stored
    /// version is not the one this instance last read or wrote (the first `put` of an instance that never
    /// read overwrites whatever is there).
    async fn put(&self, data: &[u8]) -> Result<()>;
    /// Removes the state (migration with `--reconfigure` never calls this; `state push` never does either).
    async fn delete(&self) -> Result<()>;
    /// The version before the current one (the backup), where the backend keeps one.
    async fn previous(&self) -> Result<Option<Vec<u8>>>;
    /// Takes the lock, waiting up to `timeout` for a live holder to release it. Returns the holder of a
    /// lock that was taken over because its holder provably ended (local: the OS lock is gone; pg: the
    /// advisory lock is gone); a lock whose holder cannot be proven gone is [`BackendError::Locked`] or
    /// [`BackendError::StaleLock`], never taken.
    async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>>;
    /// Releases the lock with this ID, whoever holds it (`force-unlock` is `unlock` from another process).
    async fn unlock(&self, id: &str) -> Result<()>;
    /// The current lock holder, if any.
    async fn lock_holder(&self) -> Result<Option<LockInfo>>;
}

/// A configured backend: the states of every environment.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The kind, as in the `backend "KIND"` block.
    fn kind(&self) -> &str;
    /// The state of one environment. Does no I/O.
    fn state(&self, env: &str) -> Arc<dyn StateBlob>;
    /// The environments that have a state, sorted.
    async fn environments(&self) -> Result<Vec<String>>;
}

/// The type of a backend or key provider argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    String,
    Bool,
    Number,
    /// A map of strings: `endpoints = { s3 = "..." }` (also written as a block).
    StringMap,
}

/// One argument a backend (or key provider) accepts.
#[derive(Clone, Debug)]
pub struct Argument {
    pub name: &'static str,
    pub ty: ArgType,
    pub required: bool,
    /// Never printed (credentials).
    pub sensitive: bool,
    /// Accepted by Terraform but refused here, with why and what to do instead.
    pub refused: Option<&'static str>,
}

impl Argument {
    pub const fn optional(name: &'static str, ty: ArgType) -> Argument {
        Argument {
            name,
            ty,
            required: false,
            sensitive: false,
            refused: None,
        }
    }
    pub const fn required(name: &'static str, ty: ArgType) -> Argument {
        Argument {
            name,
            ty,
            required: true,
            sensitive: false,
            refused: None,
        }
    }
    pub const fn sensitive(mut self) -> Argument {
        self.sensitive = true;
        self
    }
    pub const fn refused(name: &'static str, why: &'static str) -> Argument {
        Argument {
            name,
            ty: ArgType::String,
            required: false,
            sensitive: false,
            refused: Some(why),
        }
    }
}

/// The arguments of a backend or key provider block, already checked against its [`Argument`] list.
pub type Settings = BTreeMap<String, serde_json::Value>;

/// What a backend is configured with besides its block.
#[derive(Clone, Debug, Default)]
pub struct BackendContext {
    /// The configuration directory (relative paths in the block are relative to it).
    pub config_dir: std::path::PathBuf,
    /// The stack name (the configuration directory's name).
    pub stack: String,
}

/// A kind of backend.
#[async_trait]
pub trait BackendType: Send + Sync {
    /// `local`, `s3`, `pg`.
    fn name(&self) -> &'static str;
    /// The arguments its block accepts (Terraform's names).
    fn arguments(&self) -> Vec<Argument>;
    /// A backend from its block's arguments (and the environment, for credentials). May talk to the
    /// service to check credentials, never to change anything.
    async fn configure(&self, settings: &Settings, ctx: &BackendContext) -> Result<Arc<dyn Backend>>;
}

/// A 256-bit key. Wiped from memory when dropped.
pub type Key = zeroize::Zeroizing<[u8; 32]>;

/// Where encryption keys come from.
#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// A key to encrypt with, and the metadata stored with the ciphertext (never secret: a salt, an
    /// encrypted data key) from which [`KeyProvider::decryption_key`] recovers it.
    async fn encryption_key(&self) -> Result<(Key, serde_json::Value)>;
    /// The key that encrypted a file, from the metadata stored with it.
    async fn decryption_key(&self, meta: &serde_json::Value) -> Result<Key>;
}

/// A kind of key provider, as in `key_provider "KIND" "NAME" { ... }`.
#[async_trait]
pub trait KeyProviderType: Send + Sync {
    /// `pbkdf2`, `aws_kms`.
    fn name(&self) -> &'static str;
    fn arguments(&self) -> Vec<Argument>;
    async fn configure(&self, settings: &Settings) -> Result<Arc<dyn KeyProvider>>;
}

/// Reads a string argument.
pub fn string(settings: &Settings, name: &str) -> Option<String> {
    settings
        .get(name)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Reads a bool argument.
pub fn bool(settings: &Settings, name: &str) -> Option<bool> {
    settings.get(name).and_then(|v| v.as_bool())
}

/// Reads a map-of-strings argument.
pub fn string_map(settings: &Settings, name: &str) -> BTreeMap<String, String> {
    settings
        .get(name)
        .and_then(|v| v.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}
