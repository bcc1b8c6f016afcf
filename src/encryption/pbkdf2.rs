//! `key_provider "pbkdf2"`: a key derived from a passphrase with PBKDF2-HMAC (SHA-512 by default, 600,000
//! iterations, a random 32-byte salt per file), OpenTofu's arguments and defaults.
//!
//! The salt is stored with each file (it is not secret). One derivation costs a few hundred milliseconds
//! by design, so a process derives once per salt: a state is written again with the salt it was read with,
//! and a new salt is drawn only when there is none yet.

use async_trait::async_trait;
use infra_backend::{ArgType, Argument, BackendError, Key, KeyProvider, KeyProviderType, Settings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub const DEFAULT_ITERATIONS: u32 = 600_000;
pub const MIN_ITERATIONS: u32 = 200_000;
pub const MIN_PASSPHRASE: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha512,
}

impl Hash {
    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "sha256",
            Hash::Sha512 => "sha512",
        }
    }
    fn parse(s: &str) -> Option<Hash> {
        match s {
            "sha256" => Some(Hash::Sha256),
            "sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }
}

pub struct Pbkdf2 {
    passphrase: zeroize::Zeroizing<String>,
    iterations: u32,
    salt_length: usize,
    hash: Hash,
    /// Keys derived in this process, by their metadata.
    derived: Mutex<HashMap<String, Key>>,
    /// The metadata of the last key derived, reused for writing.
    last: Mutex<Option<serde_json::Value>>,
}

fn derive(passphrase: &str, salt: &[u8], iterations: u32, hash: Hash) -> Key {
    let h = match hash {
        Hash::Sha256 => infra_backend::crypto::Hash::Sha256,
        Hash::Sha512 => infra_backend::crypto::Hash::Sha512,
    };
    infra_backend::crypto::pbkdf2(h, passphrase.as_bytes(), salt, iterations)
}

/// Runs a CPU-bound step without stalling other tasks of a multi-threaded runtime.
fn cpu_bound<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Pbkdf2 {
    pub fn new(passphrase: &str, iterations: u32) -> Pbkdf2 {
        Pbkdf2 {
            passphrase: zeroize::Zeroizing::new(passphrase.to_string()),
            iterations,
            salt_length: 32,
            hash: Hash::Sha512,
            derived: Mutex::new(HashMap::new()),
            last: Mutex::new(None),
        }
    }

    fn key_for(&self, meta: &serde_json::Value) -> Result<Key, BackendError> {
        let bad = |what: &str| BackendError::Key(format!("the pbkdf2 metadata is not valid: {what}"));
        let cache_key = meta.to_string();
        if let Some(k) = self.derived.lock().unwrap_or_else(|e| e.into_inner()).get(&cache_key) {
            return Ok(k.clone());
        }
        let salt = meta
            .get("salt")
            .and_then(|s| s.as_str())
            .and_then(|s| B64.decode(s).ok())
            .ok_or_else(|| bad("no salt"))?;
        let iterations = meta
            .get("iterations")
            .and_then(|i| i.as_u64())
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| bad("no iterations"))?;
        let hash = meta
            .get("hash_function")
            .and_then(|h| h.as_str())
            .and_then(Hash::parse)
            .ok_or_else(|| bad("no hash_function"))?;
        let key = derive(&self.passphrase, &salt, iterations, hash);
        self.derived
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cache_key, key.clone());
        Ok(key)
    }
}

#[async_trait]
impl KeyProvider for Pbkdf2 {
    async fn encryption_key(&self) -> Result<(Key, serde_json::Value), BackendError> {
        // The salt of the file last read, when its parameters are the ones configured now.
        let reuse = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone().filter(|m| {
            m.get("iterations").and_then(|i| i.as_u64()) == Some(u64::from(self.iterations))
                && m.get("hash_function").and_then(|h| h.as_str()) == Some(self.hash.name())
        });
        if let Some(meta) = reuse {
            let key = self.key_for(&meta)?;
            return Ok((key, meta));
        }
        let mut salt = vec![0u8; self.salt_length];
        infra_backend::crypto::random(&mut salt).map_err(BackendError::Key)?;
        let meta = serde_json::json!({
            "salt": B64.encode(&salt),
            "iterations": self.iterations,
            "hash_function": self.hash.name(),
            "key_length": 32,
        });
        let key = cpu_bound(|| self.key_for(&meta))?;
        Ok((key, meta))
    }

    async fn decryption_key(&self, meta: &serde_json::Value) -> Result<Key, BackendError> {
        let key = cpu_bound(|| self.key_for(meta))?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(meta.clone());
        Ok(key)
    }
}

/// `key_provider "pbkdf2"`.
pub struct Pbkdf2Type;

#[async_trait]
impl KeyProviderType for Pbkdf2Type {
    fn name(&self) -> &'static str {
        "pbkdf2"
    }
    fn arguments(&self) -> Vec<Argument> {
        vec![
            Argument::optional("passphrase", ArgType::String).sensitive(),
            Argument::optional("key_length", ArgType::Number),
            Argument::optional("iterations", ArgType::Number),
            Argument::optional("salt_length", ArgType::Number),
            Argument::optional("hash_function", ArgType::String),
        ]
    }
    async fn configure(&self, settings: &Settings) -> Result<Arc<dyn KeyProvider>, BackendError> {
        let passphrase = infra_backend::string(settings, "passphrase").ok_or_else(|| {
            BackendError::Config(
                "no passphrase: set INFRA_STATE_PASSPHRASE (or `passphrase` in the key_provider block)".into(),
            )
        })?;
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(BackendError::Config(format!(
                "the passphrase must be at least {MIN_PASSPHRASE} characters long"
            )));
        }
        let number = |name: &str, default: u64| -> Result<u64, BackendError> {
            match settings.get(name) {
                None | Some(serde_json::Value::Null) => Ok(default),
                Some(v) => v
                    .as_u64()
                    .ok_or_else(|| BackendError::Config(format!("{name} must be a whole number"))),
            }
        };
        if number("key_length", 32)? != 32 {
            return Err(BackendError::Config(
                "key_length must be 32: aes_gcm uses 256-bit keys".into(),
            ));
        }
        let iterations = number("iterations", u64::from(DEFAULT_ITERATIONS))?;
        if iterations < u64::from(MIN_ITERATIONS) || iterations > u64::from(u32::MAX) {
            return Err(BackendError::Config(format!(
                "iterations must be at least {MIN_ITERATIONS}"
            )));
        }
        let salt_length = number("salt_length", 32)?;
        if !(16..=512).contains(&salt_length) {
            return Err(BackendError::Config("salt_length must be between 16 and 512".into()));
        }
        let hash = match infra_backend::string(settings, "hash_function") {
            None => Hash::Sha512,
            Some(h) => Hash::parse(&h)
                .ok_or_else(|| BackendError::Config(format!("hash_function {h:?}: use \"sha256\" or \"sha512\"")))?,
        };
        let mut p = Pbkdf2::new(&passphrase, iterations as u32);
        p.salt_length = salt_length as usize;
        p.hash = hash;
        Ok(Arc::new(p))
    }
}
