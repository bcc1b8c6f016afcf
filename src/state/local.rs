//! The local state store: one JSON file per environment, e.g. `state/<stack>/<env>.tfstate.json`.
//!
//! Every write goes to a temporary file in the same directory, is flushed to disk (`fsync`), and is
//! renamed over the state file, so a crash at any instant leaves either the old or the new state, never a
//! torn one. Before each write the previous version is kept as `<file>.backup` (written the same way).
//! The lock is `<file>.lock`, holding the holder's [`LockInfo`], with an OS advisory lock (`flock`) on it for
//! as long as the holder runs. The OS releases that lock when the process ends however it ends, so a lock
//! file left by a killed `infra` is taken over by the next run (with a warning) instead of blocking it;
//! a lock held by a running process is never taken. `force-unlock` removes the file whatever holds it.

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
    /// The lock file we hold, with the OS lock on it, and the lock's ID.
    held: Mutex<Option<(String, File)>>,
}

impl LocalStore {
    pub fn new(path: impl Into<PathBuf>) -> LocalStore {
        let path = path.into();
        let shown = crate::config::display_path(&path);
        LocalStore {
            path,
            shown,
            last: Mutex::new(None),
            held: Mutex::new(None),
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

/// Whether the open file `f` is still the file at `path` (not removed or replaced since it was opened).
fn is_same_file(f: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (f.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (f, path);
        true
    }
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

    fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>, StateError> {
        let lock = self.lock_path();
        if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| self.write_err(e))?;
        }
        let mut info = info.clone();
        info.path = self.shown.clone();
        let body = serde_json::to_vec_pretty(&info).expect("lock info serializes");
        let start = Instant::now();
        loop {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock)
                .map_err(|e| self.write_err(e))?;
            match f.try_lock() {
                Ok(()) if is_same_file(&f, &lock) => {
                    // Ours. A holder named in the file without holding the OS lock was killed.
                    let stale = self.lock_holder().ok().flatten();
                    let mut f = f;
                    f.set_len(0)
                        .and_then(|_| f.write_all(&body))
                        .and_then(|_| f.sync_all())
                        .map_err(|e| self.write_err(e))?;
                    *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some((info.id.clone(), f));
                    return Ok(stale);
                }
                // Removed by its holder (or force-unlock) between our open and our lock: open again.
                Ok(()) => continue,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if start.elapsed() >= timeout {
                        return match self.lock_holder() {
                            Ok(Some(h)) => Err(StateError::Locked {
                                path: self.shown.clone(),
                                info: Box::new(h),
                            }),
                            // Released between our attempt and the read: try once more.
                            Ok(None) => continue,
                            // Its holder is still writing it.
                            Err(_) if start.elapsed() < timeout + Duration::from_secs(1) => {
                                std::thread::sleep(Duration::from_millis(20));
                                continue;
                            }
                            Err(e) => Err(e),
                        };
                    }
                    std::thread::sleep(
                        Duration::from_millis(200)
                            .min(timeout.saturating_sub(start.elapsed()))
                            .max(Duration::from_millis(10)),
                    );
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(self.write_err(e)),
            }
        }
    }

    fn unlock(&self, id: &str) -> Result<(), StateError> {
        let result = match self.lock_holder()? {
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
        };
        // Removing the file first and only then releasing the OS lock means that whoever waits on the
        // old file finds it gone and opens the path again.
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|(h, _)| h == id) {
            *held = None;
        }
        result
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
