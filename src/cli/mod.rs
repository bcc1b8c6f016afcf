//! The command line. [`main`] parses flags, resolves [`settings`], runs one command function from
//! [`commands`], and decides the exit code in one place: 0 success (or no changes), 1 error, 2 changes
//! present with `plan --detailed-exitcode`, 3 unformatted files with `fmt --check`.
//!
//! stdout carries the command's result (the plan, apply progress, outputs, JSON); stderr carries
//! everything else (which configuration/environment/state is used, warnings, errors).

pub mod args;
pub mod backend;
pub mod commands;
pub mod settings;
pub mod ui;

use crate::backend_set::BackendSet;
use crate::diag::{Diagnostics, SourceMap};
use crate::provider_set::ProviderSet;
use clap::{CommandFactory, FromArgMatches};
use std::fmt;

/// An error that ends the command, with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            code: 1,
            message: message.into(),
            hint: None,
        }
    }
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(message)
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }
    /// Rendered diagnostics (with file:line:col and source lines).
    pub fn diags(d: &Diagnostics, sources: &SourceMap) -> CliError {
        CliError {
            code: 1,
            message: crate::diag::render(d, sources).trim_end().to_string(),
            hint: None,
        }
    }
    /// Ends with an exit code and no message (e.g. `--detailed-exitcode`).
    pub fn exit(code: i32) -> CliError {
        CliError {
            code,
            message: String::new(),
            hint: None,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl From<crate::state::StateError> for CliError {
    fn from(e: crate::state::StateError) -> CliError {
        let hint = match &e {
            crate::state::StateError::Locked { info, .. } => {
                // Only a running holder keeps the lock (a killed one's lock is taken over), but on
                // a shared file system the holder may run on another host.
                Some(format!(
                    "wait for it (--lock-timeout 5m), or if you are sure no infra process holds it, \
                     release it with: infra force-unlock {}",
                    info.id
                ))
            }
            crate::state::StateError::StaleLock { info, .. } => Some(format!(
                "if that run is really gone (its CI job ended, its machine is down), release the lock with: \
                 infra force-unlock {} — infra never takes over such a lock by itself",
                info.id
            )),
            crate::state::StateError::Encryption { .. } => Some(
                "give the key the state was encrypted with: INFRA_STATE_PASSPHRASE (or INFRA_STATE_PASSPHRASE_FALLBACK \
                 for the old one while rotating), or the key provider in terraform { encryption }; nothing was written"
                    .into(),
            ),
            crate::state::StateError::Corrupt { .. } => Some(
                "restore the previous version (the .backup file next to a local state, the previous object \
                 version in a versioned bucket, `previous` in PostgreSQL), or fix the JSON"
                    .into(),
            ),
            crate::state::StateError::Foreign { .. } => Some(
                "infra does not read Terraform's state format: keep Terraform's states and infra's apart \
                 (another key, workspace_key_prefix or schema), and bring resources over with infra import"
                    .into(),
            ),
            crate::state::StateError::NewerFormat { .. } => {
                Some("upgrade infra to the version that wrote this state".into())
            }
            _ => None,
        };
        CliError {
            code: 1,
            message: e.to_string(),
            hint,
        }
    }
}

/// Runs the command line with these providers and backends; returns the exit code.
pub fn main(providers: ProviderSet, backends: BackendSet) -> i32 {
    let command = args::Cli::command();
    let argv = args::terraform_flags(std::env::args_os(), &command);
    if let Some(dir) = &argv.chdir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        eprintln!(
            "Error: -chdir={}: cannot change to that directory: {e}",
            std::path::Path::new(dir).display()
        );
        return 1;
    }
    let matches = match command.try_get_matches_from(argv.args) {
        Ok(m) => m,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            return code;
        }
    };
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return 1;
        }
    };
    init_logging();
    let ui = ui::Ui::new(cli.no_color, cli.input);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            ui.error(&format!("cannot start the async runtime: {e}"), None);
            return 1;
        }
    };
    let sub = matches.subcommand().map(|(_, m)| m.clone()).unwrap_or_default();
    let tools = commands::Tools {
        providers: &providers,
        backends: &backends,
        ui: &ui,
    };
    let result = runtime.block_on(commands::run(cli, &sub, &tools));
    match result {
        Ok(()) => 0,
        Err(e) => {
            if !e.message.is_empty() {
                ui.error(&e.message, e.hint.as_deref());
            }
            e.code
        }
    }
}

/// `INFRA_LOG` sets what is logged to stderr (e.g. `infra::api=debug` to see every cloud API call).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let Ok(filter) = EnvFilter::try_from_env("INFRA_LOG") else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .without_time()
        .try_init();
}
