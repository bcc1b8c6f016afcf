//! The local backend: one file per environment, `state/<stack>/<env>.tfstate.json` by default.
//!
//! Every write goes to a temporary file in the same directory (readable by its owner only: states hold
//! secrets), is flushed to disk (`fsync`), and is renamed over the state file, so a crash at any instant
//! leaves either the old or the new state, never a torn one. Before each write the previous version is
//! kept as `<file>.backup` (written the same way). Temporary files left by a killed process are removed by
//! the next write.
//!
//! The lock is `<file>.lock`, holding the holder's [`LockInfo`], with an OS advisory lock (`flock`) on it for
//! as long as the holder runs. The OS releases that lock when the process ends however it ends, so a lock
//! file left by a killed `infra` is taken over by the next run (and reported) instead of blocking it; a lock
//! held by a running process is never taken. `force-unlock` removes the file whatever holds it.
//!
//! Where the files are ([`LocalBackendType`]): without a `backend` block, in `state/<stack>/` under the
//! project root — the nearest directory at or above the configuration directory that has a `state/`
//! directory or is a git work tree (`.git`), else the configuration directory itself — so the state does
//! not depend on where infra runs. `backend "local" { path = "x.tfstate" }` (relative to the configuration
//! directory) puts the default environment at `path` and the others at `<dir of path>/<env>/<file name>`,
//! or `<workspace_dir>/<env>/<file name>` when `workspace_dir` is set.

use super::LockInfo;
use async_trait::async_trait;
use infra_backend::{ArgType, Argument, Backend, BackendContext, BackendError, BackendType, Settings, StateBlob};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The state file of one environment.
pub struct LocalBlob {
    path: PathBuf,
    shown: String,
    /// The lock file we hold, with the OS lock on it, and the lock's ID.
    held: Mutex<Option<(String, File)>>,
    /// What this instance last read or wrote (a digest; `Some(None)`: there was no file), so that a write
    /// never replaces a version someone else wrote since.
    seen: Mutex<Option<Option<[u8; 32]>>>,
}

fn digest(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

impl LocalBlob {
    pub fn new(path: impl Into<PathBuf>) -> LocalBlob {
        let path = path.into();
        let shown = crate::config::display_path(&path);
        LocalBlob {
            path,
            shown,
            held: Mutex::new(None),
            seen: Mutex::new(None),
        }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn lock_path(&self) -> PathBuf {
        suffixed(&self.path, ".lock")
    }
    pub fn backup_path(&self) -> PathBuf {
        suffixed(&self.path, ".backup")
    }
    fn io(&self, what: &str, e: std::io::Error) -> BackendError {
        BackendError::Io(format!("cannot {what} {}: {e}", self.shown))
    }

    fn try_lock(&self, body: &[u8]) -> Result<Attempt, BackendError> {
        let lock = self.lock_path();
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(|e| self.io("create the lock file of", e))?;
        match f.try_lock() {
            Ok(()) if is_same_file(&f, &lock) => {
                // Ours. A holder named in the file without holding the OS lock was killed.
                let stale = read_lock(&lock).ok().flatten().map(Box::new);
                let mut f = f;
                f.set_len(0)
                    .and_then(|_| f.write_all(body))
                    .and_then(|_| f.sync_all())
                    .map_err(|e| self.io("write the lock file of", e))?;
                Ok(Attempt::Taken(f, stale))
            }
            // Removed by its holder (or force-unlock) between our open and our lock: open again.
            Ok(()) => Ok(Attempt::Retry),
            Err(std::fs::TryLockError::WouldBlock) => Ok(Attempt::Busy),
            Err(std::fs::TryLockError::Error(e)) => Err(self.io("lock", e)),
        }
    }
}

enum Attempt {
    Taken(File, Option<Box<LockInfo>>),
    Retry,
    Busy,
}

fn suffixed(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync directory.
/// The file keeps the mode of the file it replaces (new files get the process's default).
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, data, None)
}

/// [`write_atomic`] for files that hold secrets: readable and writable by their owner only.
pub fn write_atomic_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, data, Some(0o600))
}

fn write_atomic_mode(path: &Path, data: &[u8], mode: Option<u32>) -> std::io::Result<()> {
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
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let keep = fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o777);
            if let Some(m) = mode.or(keep) {
                opts.mode(m);
            }
        }
        let mut f = opts.open(&tmp)?;
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

/// Removes temporary files of `path` (and of its backup) left by processes that no longer run.
fn remove_leftovers(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let name = name.to_string_lossy();
    let prefixes = [format!(".{name}.tmp-"), format!(".{name}.backup.tmp-")];
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = prefixes.iter().find_map(|p| file.strip_prefix(p.as_str())) else {
            continue;
        };
        let pid: Option<i32> = rest.split('-').next().and_then(|p| p.parse().ok());
        if pid.is_some_and(|p| !process_alive(p)) {
            let _ = fs::remove_file(e.path());
        }
    }
}

fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
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

fn read_lock(lock: &Path) -> Result<Option<LockInfo>, String> {
    match fs::read_to_string(lock) {
        Ok(t) if t.trim().is_empty() => Err("the lock file is empty (its holder is writing it)".into()),
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn read_opt(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl StateBlob for LocalBlob {
    fn location(&self) -> String {
        self.shown.clone()
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let data = read_opt(&self.path).map_err(|e| self.io("read", e))?;
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(data.as_deref().map(digest));
        Ok(data)
    }

    async fn put(&self, data: &[u8]) -> Result<(), BackendError> {
        remove_leftovers(&self.path);
        let current = read_opt(&self.path).map_err(|e| self.io("read", e))?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(expected) = *seen
            && expected != current.as_deref().map(digest)
        {
            return Err(BackendError::Conflict(format!(
                "{} is not the version this run read or wrote last",
                self.shown
            )));
        }
        if let Some(prev) = &current {
            write_atomic_private(&self.backup_path(), prev).map_err(|e| self.io("write the backup of", e))?;
        }
        write_atomic_private(&self.path, data).map_err(|e| self.io("write", e))?;
        *seen = Some(Some(digest(data)));
        Ok(())
    }

    async fn delete(&self) -> Result<(), BackendError> {
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.io("remove", e)),
            _ => {
                *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(None);
                Ok(())
            }
        }
    }

    async fn previous(&self) -> Result<Option<Vec<u8>>, BackendError> {
        read_opt(&self.backup_path()).map_err(|e| self.io("read the backup of", e))
    }

    async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>, BackendError> {
        let lock = self.lock_path();
        if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| self.io("create the directory of", e))?;
        }
        let mut info = info.clone();
        info.path = self.shown.clone();
        let body = serde_json::to_vec_pretty(&info).expect("lock info serializes");
        let start = Instant::now();
        loop {
            match self.try_lock(&body)? {
                Attempt::Taken(f, stale) => {
                    *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some((info.id.clone(), f));
                    return Ok(stale.map(|s| *s));
                }
                Attempt::Retry => continue,
                Attempt::Busy if start.elapsed() >= timeout => {
                    match read_lock(&lock) {
                        Ok(Some(h)) => return Err(BackendError::Locked { info: Box::new(h) }),
                        // Released between our attempt and the read: try once more.
                        Ok(None) => continue,
                        // Its holder is still writing it.
                        Err(_) if start.elapsed() < timeout + Duration::from_secs(1) => {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(detail) => {
                            return Err(BackendError::Io(format!(
                                "{} is locked, and the lock file cannot be read: {detail}",
                                self.shown
                            )));
                        }
                    }
                }
                Attempt::Busy => {
                    tokio::time::sleep(
                        Duration::from_millis(200)
                            .min(timeout.saturating_sub(start.elapsed()))
                            .max(Duration::from_millis(10)),
                    )
                    .await;
                }
            }
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), BackendError> {
        let result = match self.lock_holder().await? {
            Some(h) if h.id == id => fs::remove_file(self.lock_path()).map_err(|e| self.io("remove the lock of", e)),
            Some(h) => Err(BackendError::NoSuchLock {
                id: id.into(),
                held: Some(h.id),
            }),
            None => Err(BackendError::NoSuchLock {
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

    async fn lock_holder(&self) -> Result<Option<LockInfo>, BackendError> {
        read_lock(&self.lock_path()).map_err(|detail| {
            BackendError::Io(format!(
                "{} is locked, and the lock file cannot be read: {detail}",
                self.shown
            ))
        })
    }
}

/// The project root of a configuration directory (see the module documentation).
pub fn project_root(config_dir: &Path) -> PathBuf {
    let abs = fs::canonicalize(config_dir).unwrap_or_else(|_| std::path::absolute(config_dir).unwrap_or_default());
    for d in abs.ancestors() {
        if d.join("state").is_dir() || d.join(".git").exists() {
            return d.to_path_buf();
        }
    }
    abs
}

/// Where the local backend keeps each environment's state.
#[derive(Clone, Debug)]
pub enum LocalLayout {
    /// `DIR/<env>.tfstate.json`.
    Default { dir: PathBuf },
    /// `path` for `default`; `<workspace_dir or dir of path>/<env>/<file name of path>` for the others.
    Path {
        path: PathBuf,
        workspace_dir: Option<PathBuf>,
    },
}

impl LocalLayout {
    pub fn state_path(&self, env: &str) -> PathBuf {
        match self {
            LocalLayout::Default { dir } => dir.join(format!("{env}.tfstate.json")),
            LocalLayout::Path { path, .. } if env == "default" => path.clone(),
            LocalLayout::Path { path, workspace_dir } => {
                let file = path.file_name().map(|f| f.to_os_string()).unwrap_or_default();
                self.workspaces(path, workspace_dir).join(env).join(file)
            }
        }
    }

    fn workspaces(&self, path: &Path, workspace_dir: &Option<PathBuf>) -> PathBuf {
        workspace_dir
            .clone()
            .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default())
    }

    fn environments(&self) -> std::io::Result<Vec<String>> {
        let mut envs = Vec::new();
        let listing = |dir: &Path| -> std::io::Result<Vec<fs::DirEntry>> {
            match fs::read_dir(dir) {
                Ok(r) => r.collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        };
        match self {
            LocalLayout::Default { dir } => {
                for e in listing(dir)? {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if let Some(env) = name.strip_suffix(".tfstate.json")
                        && !env.starts_with('.')
                        && e.path().is_file()
                    {
                        envs.push(env.to_string());
                    }
                }
            }
            LocalLayout::Path { path, workspace_dir } => {
                if path.is_file() {
                    envs.push("default".to_string());
                }
                let file = path.file_name().map(|f| f.to_os_string()).unwrap_or_default();
                for e in listing(&self.workspaces(path, workspace_dir))? {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name != "default" && e.path().join(&file).is_file() {
                        envs.push(name);
                    }
                }
            }
        }
        envs.sort();
        envs.dedup();
        Ok(envs)
    }
}

/// The configured local backend.
pub struct LocalBackend {
    pub layout: LocalLayout,
}

#[async_trait]
impl Backend for LocalBackend {
    fn kind(&self) -> &str {
        "local"
    }
    fn state(&self, env: &str) -> Arc<dyn StateBlob> {
        Arc::new(LocalBlob::new(self.layout.state_path(env)))
    }
    async fn environments(&self) -> Result<Vec<String>, BackendError> {
        self.layout
            .environments()
            .map_err(|e| BackendError::Io(format!("cannot list the local states: {e}")))
    }
}

/// `backend "local"` (and no backend block at all).
pub struct LocalBackendType;

#[async_trait]
impl BackendType for LocalBackendType {
    fn name(&self) -> &'static str {
        "local"
    }
    fn arguments(&self) -> Vec<Argument> {
        vec![
            Argument::optional("path", ArgType::String),
            Argument::optional("workspace_dir", ArgType::String),
        ]
    }
    async fn configure(&self, settings: &Settings, ctx: &BackendContext) -> Result<Arc<dyn Backend>, BackendError> {
        Ok(Arc::new(LocalBackend {
            layout: local_layout(settings, ctx),
        }))
    }
}

/// The layout a local backend block (or its absence: empty settings) gives.
pub fn local_layout(settings: &Settings, ctx: &BackendContext) -> LocalLayout {
    let path = infra_backend::string(settings, "path");
    let workspace_dir = infra_backend::string(settings, "workspace_dir");
    if path.is_none() && workspace_dir.is_none() {
        let root = project_root(&ctx.config_dir);
        return LocalLayout::Default {
            dir: root.join("state").join(&ctx.stack),
        };
    }
    // Terraform's layout: `path` (default terraform.tfstate) and the other environments beside it.
    LocalLayout::Path {
        path: ctx.config_dir.join(path.unwrap_or_else(|| "terraform.tfstate".into())),
        workspace_dir: workspace_dir.map(|w| ctx.config_dir.join(w)),
    }
}
