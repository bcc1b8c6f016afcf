//! Flags, environment and configuration resolved once, before any work, into [`Settings`].
//!
//! - The configuration directory is `-C DIR` (default `.`); relative paths in flags (`--state`, `--out`,
//!   `--var-file`) are relative to where infra runs.
//! - The state of environment `ENV` is, in order: `--state PATH`; the `backend "local" { path = ... }` of
//!   the configuration (relative to the configuration directory; environments other than `default` get
//!   `<dir>/<env>/<file>`); else `state/<stack>/<env>.tfstate.json` under the working directory, where
//!   `<stack>` is the configuration directory's name.

use super::CliError;
use crate::config::{Config, display_path};
use crate::plan::vars::VarFlag;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Settings {
    pub config_dir: PathBuf,
    pub env: String,
    pub state_path: PathBuf,
    pub lock_timeout: Duration,
}

/// The stack name: the configuration directory's name.
pub fn stack_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default".into())
}

pub fn validate_env_name(env: &str) -> Result<(), CliError> {
    let ok = !env.is_empty()
        && env.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !env.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "invalid environment name {env:?}: use letters, digits, - and _"
        )))
    }
}

/// The state file of an environment.
pub fn state_path(cfg: Option<&Config>, dir: &Path, env: &str, explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(b) = cfg.and_then(|c| c.terraform.backend.as_ref())
        && b.kind == "local"
        && let Some(p) = b.config.get("path").and_then(|v| v.as_str())
    {
        let p = dir.join(p);
        if env == "default" {
            return p;
        }
        let parent = p.parent().map(Path::to_path_buf).unwrap_or_default();
        let file = p.file_name().map(|f| f.to_os_string()).unwrap_or_default();
        return parent.join(env).join(file);
    }
    PathBuf::from("state")
        .join(stack_name(dir))
        .join(format!("{env}.tfstate.json"))
}

pub fn parse_lock_timeout(s: &str) -> Result<Duration, CliError> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    crate::config::parse_duration(s)
        .ok_or_else(|| CliError::usage(format!("invalid --lock-timeout {s:?}: use a duration like 30s or 2m")))
}

/// `--var` and `--var-file` in the order they were given.
pub fn var_flags(matches: &clap::ArgMatches, vars: &[String], files: &[PathBuf]) -> Vec<VarFlag> {
    let vi = matches
        .indices_of("vars")
        .map(|i| i.collect::<Vec<_>>())
        .unwrap_or_default();
    let fi = matches
        .indices_of("var_files")
        .map(|i| i.collect::<Vec<_>>())
        .unwrap_or_default();
    let mut all: Vec<(usize, VarFlag)> = vi
        .into_iter()
        .zip(vars)
        .map(|(i, v)| (i, VarFlag::Var(v.clone())))
        .collect();
    all.extend(fi.into_iter().zip(files).map(|(i, f)| (i, VarFlag::File(f.clone()))));
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, f)| f).collect()
}

/// Says on stderr what is being used.
pub fn announce(s: &Settings, what: &str) -> String {
    format!(
        "{what}: configuration {}, environment {}, state {}",
        display_path(&s.config_dir),
        s.env,
        display_path(&s.state_path)
    )
}
