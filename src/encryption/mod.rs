//! Encryption at rest of states and saved plans, configured as OpenTofu configures it:
//!
//! ```hcl
//! terraform {
//!   encryption {
//!     key_provider "pbkdf2" "main" {}                 # passphrase from INFRA_STATE_PASSPHRASE
//!     key_provider "aws_kms" "kms" { kms_key_id = "alias/infra-state", region = "eu-west-1" }
//!     method "aes_gcm" "main" { keys = key_provider.pbkdf2.main }
//!     method "aes_gcm" "kms"  { keys = key_provider.aws_kms.kms }
//!     state {
//!       method = method.aes_gcm.kms
//!       fallback { method = method.aes_gcm.main }    # read with the old key, write with the new
//!     }
//!     plan { method = method.aes_gcm.kms }
//!   }
//! }
//! ```
//!
//! Without a block, `INFRA_STATE_PASSPHRASE` alone turns on AES-256-GCM with a PBKDF2 key for states and
//! plans (`INFRA_STATE_PASSPHRASE_FALLBACK` reads files written with an older passphrase).
//!
//! An encrypted file is a small JSON envelope: the lineage and serial (for states) in the clear but
//! authenticated, the key provider's metadata (a salt, or a KMS-encrypted data key — never a secret), and
//! the AES-GCM ciphertext of the plaintext file with a fresh random nonce. A plaintext state is read as it
//! is and written encrypted the next time it is written. A wrong or missing key is an error; nothing is
//! written then.
//!
//! The cryptography is RustCrypto's (`aes-gcm`, `pbkdf2`, `sha2`, through [`infra_backend::crypto`]); the AWS KMS key provider lives in
//! `providers/aws` and is handed in by the binary ([`crate::backend_set::BackendSet`]).

mod config;
mod pbkdf2;

pub use config::{
    BuildError, EncryptionSpec, Encryptors, FALLBACK_PASSPHRASE_ENV, KeyProviderSpec, MethodSpec, PASSPHRASE_ENV,
    TargetSpec, build,
};
pub use pbkdf2::Pbkdf2Type;

use base64::Engine as _;
use infra_backend::crypto;
use infra_backend::{Key, KeyProvider};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::OnceCell;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The envelope format version.
pub const ENCRYPTION_VERSION: u64 = 1;

/// What is authenticated in the clear with every ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// `state` or `plan`.
    pub kind: &'static str,
    pub lineage: String,
    pub serial: u64,
}

/// A decrypted file.
#[derive(Debug)]
pub struct Opened {
    pub plaintext: Vec<u8>,
    /// The key provider that decrypted it (`pbkdf2.main`); `None` when it was not encrypted.
    pub encrypted_with: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    encryption_version: u64,
    kind: String,
    #[serde(default)]
    lineage: String,
    #[serde(default)]
    serial: u64,
    method: String,
    key_provider: String,
    meta: serde_json::Value,
    encrypted_data: String,
}

/// Enough of a file to tell an envelope from a plaintext state or plan, without reading the rest.
#[derive(Deserialize)]
struct Probe {
    encryption_version: Option<u64>,
    encrypted_data: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    lineage: Option<String>,
    #[serde(default)]
    serial: Option<u64>,
}

/// The clear header of an encrypted file (`None` for a plaintext file), without any key.
pub fn peek(data: &[u8]) -> Option<(String, u64)> {
    let p: Probe = serde_json::from_slice(data).ok()?;
    p.encrypted_data?;
    Some((p.lineage.unwrap_or_default(), p.serial.unwrap_or_default()))
}

/// One `method "aes_gcm"` with its key provider.
pub struct Method {
    /// `aes_gcm.main`.
    pub name: String,
    /// `pbkdf2.main`.
    pub key_provider: String,
    provider: Arc<dyn KeyProvider>,
    key: OnceCell<(Key, serde_json::Value)>,
}

impl Method {
    pub fn new(name: String, key_provider: String, provider: Arc<dyn KeyProvider>) -> Method {
        Method {
            name,
            key_provider,
            provider,
            key: OnceCell::new(),
        }
    }
    fn kind(&self) -> &str {
        self.key_provider.split('.').next().unwrap_or("")
    }
}

/// Encrypts with one method and decrypts with it or its fallbacks.
pub struct Encryptor {
    /// Writes are encrypted with this; `None` writes plaintext.
    primary: Option<Method>,
    /// Methods that may decrypt (besides the primary one).
    fallbacks: Vec<Method>,
}

fn aad(h: &Header, key_provider: &str, meta: &serde_json::Value) -> Vec<u8> {
    format!(
        "infra-encryption/{ENCRYPTION_VERSION}\n{}\n{}\n{}\naes_gcm\n{key_provider}\n{}",
        h.kind,
        h.lineage,
        h.serial,
        serde_json::to_string(meta).unwrap_or_default()
    )
    .into_bytes()
}

impl Encryptor {
    /// No encryption: plaintext is written, encrypted files cannot be read.
    pub fn none() -> Arc<Encryptor> {
        Arc::new(Encryptor {
            primary: None,
            fallbacks: Vec::new(),
        })
    }

    pub fn new(primary: Option<Method>, fallbacks: Vec<Method>) -> Arc<Encryptor> {
        Arc::new(Encryptor { primary, fallbacks })
    }

    /// Whether writes are encrypted.
    pub fn encrypts(&self) -> bool {
        self.primary.is_some()
    }

    /// The key provider writes use (`pbkdf2.main`).
    pub fn describe(&self) -> Option<&str> {
        self.primary.as_ref().map(|m| m.key_provider.as_str())
    }

    fn readers(&self) -> impl Iterator<Item = &Method> {
        self.primary.iter().chain(self.fallbacks.iter())
    }

    /// Encrypts `plaintext` with the primary method (returns it unchanged without one).
    pub async fn seal(&self, plaintext: &[u8], header: &Header) -> Result<Vec<u8>, String> {
        let Some(m) = &self.primary else {
            return Ok(plaintext.to_vec());
        };
        let (key, meta) = m
            .key
            .get_or_try_init(|| async {
                m.provider
                    .encryption_key()
                    .await
                    .map_err(|e| format!("cannot get an encryption key from key_provider.{}: {e}", m.key_provider))
            })
            .await?;
        let mut nonce = [0u8; 12];
        crypto::random(&mut nonce)?;
        let ciphertext = crypto::seal(key, &nonce, plaintext, &aad(header, &m.key_provider, meta))?;
        let mut data = nonce.to_vec();
        data.extend_from_slice(&ciphertext);
        let env = Envelope {
            encryption_version: ENCRYPTION_VERSION,
            kind: header.kind.to_string(),
            lineage: header.lineage.clone(),
            serial: header.serial,
            method: "aes_gcm".into(),
            key_provider: m.key_provider.clone(),
            meta: meta.clone(),
            encrypted_data: B64.encode(&data),
        };
        let mut out = serde_json::to_vec_pretty(&env).map_err(|e| e.to_string())?;
        out.push(b'\n');
        Ok(out)
    }

    /// Decrypts an envelope (a plaintext file is returned as it is).
    pub async fn open(&self, data: &[u8], kind: &str) -> Result<Opened, String> {
        let is_envelope = serde_json::from_slice::<Probe>(data)
            .map(|p| p.encrypted_data.is_some() || p.encryption_version.is_some())
            .unwrap_or(false);
        if !is_envelope {
            return Ok(Opened {
                plaintext: data.to_vec(),
                encrypted_with: None,
            });
        }
        let env: Envelope =
            serde_json::from_slice(data).map_err(|e| format!("the encrypted {kind} is not valid: {e}"))?;
        if env.encryption_version > ENCRYPTION_VERSION {
            return Err(format!(
                "the {kind} was encrypted by a newer version of infra (encryption version {}; this version reads up to {ENCRYPTION_VERSION})",
                env.encryption_version
            ));
        }
        if env.method != "aes_gcm" {
            return Err(format!(
                "the {kind} is encrypted with an unknown method {:?}",
                env.method
            ));
        }
        let provider_kind = env.key_provider.split('.').next().unwrap_or("");
        let candidates: Vec<&Method> = self.readers().filter(|m| m.kind() == provider_kind).collect();
        if candidates.is_empty() {
            let configured: Vec<String> = self
                .readers()
                .map(|m| format!("key_provider.{}", m.key_provider))
                .collect();
            return Err(format!(
                "it is encrypted with key_provider.{}, and {}; {}",
                env.key_provider,
                if configured.is_empty() {
                    "no encryption key is configured".to_string()
                } else {
                    format!("only {} is configured", configured.join(", "))
                },
                if provider_kind == "pbkdf2" {
                    "set INFRA_STATE_PASSPHRASE (or the fallback INFRA_STATE_PASSPHRASE_FALLBACK) to its passphrase, or configure terraform { encryption }"
                } else {
                    "configure that key provider in terraform { encryption }"
                }
            ));
        }
        let raw = B64
            .decode(env.encrypted_data.as_bytes())
            .map_err(|e| format!("the encrypted {kind} is not valid base64: {e}"))?;
        if raw.len() < 12 + 16 {
            return Err(format!("the encrypted {kind} is truncated"));
        }
        let (nonce, ciphertext) = raw.split_at(12);
        let header = Header {
            kind: if env.kind == "plan" { "plan" } else { "state" },
            lineage: env.lineage.clone(),
            serial: env.serial,
        };
        let mut failures = Vec::new();
        for m in candidates {
            let key = match m.provider.decryption_key(&env.meta).await {
                Ok(k) => k,
                Err(e) => {
                    failures.push(format!("key_provider.{}: {e}", m.key_provider));
                    continue;
                }
            };
            match crypto::open(&key, nonce, ciphertext, &aad(&header, &env.key_provider, &env.meta)) {
                Some(plaintext) => {
                    return Ok(Opened {
                        plaintext,
                        encrypted_with: Some(m.key_provider.clone()),
                    });
                }
                None => failures.push(format!(
                    "key_provider.{}: the key does not decrypt it (wrong passphrase or key, or the file was altered)",
                    m.key_provider
                )),
            }
        }
        Err(format!(
            "cannot decrypt it (encrypted with key_provider.{}): {}",
            env.key_provider,
            failures.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests;
