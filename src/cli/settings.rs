//! Flags, environment and configuration resolved once, before any work, into [`Settings`].
//!
//! - The configuration directory is `-C DIR` (default `.`); relative paths in flags (`--state`, `--out`,
//!   `--var-file`) are relative to where infra runs.
//! - The state of environment `ENV` is, in order: `--state PATH` (a local file); the configuration's
//!   `backend` block (see [`super::backend`]); else the local default, `state/<stack>/<env>.tfstate.json` in
//!   the project root (the nearest directory at or above the configuration directory with a `state/`
//!   directory or a `.git`; see [`crate::state::local`]), so it does not depend on where infra runs.

use super::CliError;
use crate::config::display_path;
use crate::plan::vars::VarFlag;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Settings {
    pub config_dir: PathBuf,
    pub env: String,
    /// Where the state is, for messages (`state/stack/stage.tfstate.json`, `s3://bucket/key`).
    pub location: String,
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
        s.location
    )
}
