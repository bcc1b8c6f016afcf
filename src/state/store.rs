//! [`StateStore`]: the one way state is read and written, whatever the backend.
//!
//! The store turns a [`State`] into bytes and back ([`super::file`]), numbers every change (the serial
//! increases when the content changes, and only then), encrypts and decrypts ([`crate::encryption`]), and
//! hands the bytes to a backend's [`StateBlob`] — a local file, an S3 object, a PostgreSQL row. Every rule a
//! user can observe (serial, lineage, newer formats refused, wrong keys refused) is therefore implemented
//! once, here, and checked on every backend by [`super::conformance`].
//!
//! Writing is split in two so that the applier can write without holding its state lock across I/O:
//! [`StateStore::stage`] (numbers and encodes, synchronously, under the caller's lock) and
//! [`StateStore::commit`] (encrypts and writes). [`StateStore::persist`] does both.

use super::{LockInfo, State, StateError, file};
use crate::encryption::{Encryptor, Header};
use infra_backend::StateBlob;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct StateStore {
    blob: Arc<dyn StateBlob>,
    crypt: Arc<Encryptor>,
    shown: String,
    /// The state last read or staged, to decide when the serial must increase.
    last: Mutex<Last>,
}

#[derive(Default)]
struct Last {
    state: Option<State>,
    /// What was read must be written again even if unchanged (plaintext read while encryption is on).
    rewrite: bool,
}

/// A state numbered and encoded, ready for [`StateStore::commit`].
pub struct Staged {
    json: Vec<u8>,
    lineage: String,
    serial: u64,
}

impl Staged {
    pub fn serial(&self) -> u64 {
        self.serial
    }
}

/// Same content, whatever the serial.
fn same_content(a: &State, b: &State) -> bool {
    a.lineage == b.lineage && a.resources == b.resources && a.outputs == b.outputs
}

impl StateStore {
    pub fn new(blob: Arc<dyn StateBlob>, crypt: Arc<Encryptor>) -> StateStore {
        let shown = blob.location();
        StateStore {
            blob,
            crypt,
            shown,
            last: Mutex::new(Last::default()),
        }
    }

    /// A local state file without encryption (tests, benchmarks).
    pub fn local(path: impl AsRef<Path>) -> StateStore {
        StateStore::new(Arc::new(super::local::LocalBlob::new(path.as_ref())), Encryptor::none())
    }

    pub fn blob(&self) -> &Arc<dyn StateBlob> {
        &self.blob
    }

    pub fn encryptor(&self) -> &Arc<Encryptor> {
        &self.crypt
    }

    /// The state's location, for messages ("state/example/default.tfstate.json", "s3://b/key").
    pub fn describe(&self) -> String {
        self.shown.clone()
    }

    fn err(&self, e: infra_backend::BackendError) -> StateError {
        StateError::backend(&self.shown, e)
    }

    /// Decrypts what the backend holds (`what` names it in errors).
    async fn open(&self, raw: &[u8], what: String) -> Result<crate::encryption::Opened, StateError> {
        self.crypt
            .open(raw, "state")
            .await
            .map_err(|detail| StateError::Encryption { path: what, detail })
    }

    /// The state's JSON as stored, decrypted, and whether it was encrypted; `None` when there is none yet.
    pub async fn load_json(&self) -> Result<Option<(Vec<u8>, bool)>, StateError> {
        let Some(raw) = self.blob.get().await.map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let opened = self.open(&raw, self.shown.clone()).await?;
        Ok(Some((opened.plaintext, opened.encrypted_with.is_some())))
    }

    /// Reads the state; `None` when there is none yet.
    pub async fn load(&self) -> Result<Option<State>, StateError> {
        let Some((json, encrypted)) = self.load_json().await? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&json).map_err(|e| StateError::Corrupt {
            path: self.shown.clone(),
            detail: format!("not UTF-8 text: {e}"),
        })?;
        let state = file::decode(text, &self.shown)?;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.state = Some(state.clone());
        last.rewrite = !encrypted && self.crypt.encrypts();
        Ok(Some(state))
    }

    /// Numbers and encodes the state for [`StateStore::commit`]; `None` when it is what was last read or
    /// staged (nothing to write). The serial increases when the content changed.
    pub fn stage(&self, state: &mut State) -> Option<Staged> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match &last.state {
            Some(prev) if same_content(prev, state) && prev.serial == state.serial && !last.rewrite => return None,
            Some(prev) if !same_content(prev, state) || last.rewrite => {
                state.serial = state.serial.max(prev.serial) + 1
            }
            None => state.serial += 1,
            _ => {}
        }
        last.state = Some(state.clone());
        last.rewrite = false;
        Some(Staged {
            json: file::encode(state).into_bytes(),
            lineage: state.lineage.clone(),
            serial: state.serial,
        })
    }

    /// Encrypts (when configured) and writes a staged state. After a failure the next
    /// [`StateStore::stage`] writes again.
    pub async fn commit(&self, staged: Staged) -> Result<(), StateError> {
        let result = self.write_bytes(&staged.json, &staged.lineage, staged.serial).await;
        if result.is_err() {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            last.state = None;
        }
        result
    }

    async fn write_bytes(&self, json: &[u8], lineage: &str, serial: u64) -> Result<(), StateError> {
        let header = Header {
            kind: "state",
            lineage: lineage.to_string(),
            serial,
        };
        let data = self
            .crypt
            .seal(json, &header)
            .await
            .map_err(|detail| StateError::Encryption {
                path: self.shown.clone(),
                detail,
            })?;
        self.blob.put(&data).await.map_err(|e| self.err(e))
    }

    /// Persists the state durably. When its content differs from what was last persisted, its serial is
    /// increased first.
    pub async fn persist(&self, state: &mut State) -> Result<(), StateError> {
        match self.stage(state) {
            Some(s) => self.commit(s).await,
            None => Ok(()),
        }
    }

    /// Writes the state exactly as given, serial included (moving a state between backends, `state push`).
    pub async fn write_exact(&self, state: &State) -> Result<(), StateError> {
        self.write_bytes(file::encode(state).as_bytes(), &state.lineage, state.serial)
            .await?;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.state = Some(state.clone());
        last.rewrite = false;
        Ok(())
    }

    /// The version before the current one, decoded, where the backend keeps one.
    pub async fn previous(&self) -> Result<Option<State>, StateError> {
        let Some(raw) = self.blob.previous().await.map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let opened = self.open(&raw, format!("{} (previous version)", self.shown)).await?;
        let text = String::from_utf8_lossy(&opened.plaintext);
        file::decode(&text, &self.shown).map(Some)
    }

    /// Takes the lock, waiting up to `timeout` for a running holder to release it. A lock whose holder
    /// provably ended (killed) is taken over and returned, so that the caller can say so.
    pub async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>, StateError> {
        self.blob.lock(info, timeout).await.map_err(|e| self.err(e))
    }

    /// Releases the lock with this ID (`force-unlock` from another process included).
    pub async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.blob.unlock(id).await.map_err(|e| self.err(e))
    }

    /// The current lock holder, if any.
    pub async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.blob.lock_holder().await.map_err(|e| self.err(e))
    }
}
