//! The local state store: one JSON file per environment, e.g. `state/<stack>/<env>.tfstate.json`.
//!
//! Every write goes to a temporary file in the same directory, is flushed to disk (`fsync`), and is
//! renamed over the state file, so a crash at any instant leaves either the old or the new state, never a
//! torn one. Before each write the previous version is kept as `<file>.backup` (written the same way).
//! The lock is `<file>.lock`, created exclusively, holding the holder's [`LockInfo`].

use super::{LockInfo, State, StateError, StateStore, file};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LocalStore {
    path: PathBuf,
    shown: String,
    /// The state last read or written, to decide when the serial must increase.
    last: Mutex<Option<State>>,
}

impl LocalStore {
    pub fn new(path: impl Into<PathBuf>) -> LocalStore {
        let path = path.into();
        let shown = crate::config::display_path(&path);
        LocalStore {
            path,
            shown,
            last: Mutex::new(None),
        }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    fn lock_path(&self) -> PathBuf {
        suffixed(&self.path, ".lock")
    }
    pub fn backup_path(&self) -> PathBuf {
        suffixed(&self.path, ".backup")
    }
    fn write_err(&self, e: std::io::Error) -> StateError {
        StateError::Write {
            path: self.shown.clone(),
            source: e,
        }
    }
}

fn suffixed(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync directory.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Same content, whatever the serial.
fn same_content(a: &State, b: &State) -> bool {
    a.lineage == b.lineage && a.resources == b.resources && a.outputs == b.outputs
}

impl StateStore for LocalStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn load(&self) -> Result<Option<State>, StateError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(StateError::Read {
                    path: self.shown.clone(),
                    source: e,
                });
            }
        };
        let state = file::decode(&text, &self.shown)?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(state.clone());
        Ok(Some(state))
    }

    fn persist(&self, state: &mut State) -> Result<(), StateError> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match &*last {
            Some(prev) if same_content(prev, state) && prev.serial == state.serial && self.path.exists() => {
                return Ok(());
            }
            Some(prev) if !same_content(prev, state) => state.serial = state.serial.max(prev.serial) + 1,
            None => state.serial += 1,
            _ => {}
        }
        if self.path.exists() {
            let prev = fs::read(&self.path).map_err(|e| StateError::Read {
                path: self.shown.clone(),
                source: e,
            })?;
            write_atomic(&self.backup_path(), &prev).map_err(|e| self.write_err(e))?;
        }
        write_atomic(&self.path, file::encode(state).as_bytes()).map_err(|e| self.write_err(e))?;
        *last = Some(state.clone());
        Ok(())
    }

    fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<(), StateError> {
        let lock = self.lock_path();
        if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| self.write_err(e))?;
        }
        let mut info = info.clone();
        info.path = self.shown.clone();
        let body = serde_json::to_vec_pretty(&info).expect("lock info serializes");
        let start = Instant::now();
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(mut f) => {
                    f.write_all(&body)
                        .and_then(|_| f.sync_all())
                        .map_err(|e| self.write_err(e))?;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if start.elapsed() >= timeout {
                        return match self.lock_holder()? {
                            Some(h) => Err(StateError::Locked {
                                path: self.shown.clone(),
                                info: Box::new(h),
                            }),
                            // Released between our attempt and the read: try once more.
                            None => continue,
                        };
                    }
                    std::thread::sleep(
                        Duration::from_millis(200)
                            .min(timeout.saturating_sub(start.elapsed()))
                            .max(Duration::from_millis(10)),
                    );
                }
                Err(e) => return Err(self.write_err(e)),
            }
        }
    }

    fn unlock(&self, id: &str) -> Result<(), StateError> {
        match self.lock_holder()? {
            Some(h) if h.id == id => fs::remove_file(self.lock_path()).map_err(|e| self.write_err(e)),
            Some(h) => Err(StateError::NoSuchLock {
                path: self.shown.clone(),
                id: id.into(),
                held: Some(h.id),
            }),
            None => Err(StateError::NoSuchLock {
                path: self.shown.clone(),
                id: id.into(),
                held: None,
            }),
        }
    }

    fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        match fs::read_to_string(self.lock_path()) {
            Ok(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(|e| StateError::LockUnreadable {
                    path: self.shown.clone(),
                    detail: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::Read {
                path: self.shown.clone(),
                source: e,
            }),
        }
    }
}
