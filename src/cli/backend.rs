//! Which backend a command uses, and moving states between backends (`init --migrate-state`).
//!
//! The backend is the configuration's `backend "KIND" { ... }` block (Terraform's names) plus any
//! `init --backend-config KEY=VALUE`, or the local default without a block. Like Terraform's
//! `.terraform/`, the configuration directory keeps what it was initialized with in `.infra/backend.json`
//! (readable by its owner only: it may hold `--backend-config` credentials). A command whose backend block
//! no longer matches that record stops and says to run `infra init --migrate-state` (move the states) or
//! `--reconfigure` (start over) — so changing a bucket never silently plans against an empty state. A
//! configuration used for the first time is initialized on the spot, unless local states exist that the
//! new backend would not see.

use super::CliError;
use crate::backend_set::{BackendSet, WrittenArg, check_arguments};
use crate::config::{Config, display_path};
use crate::diag::{Diagnostics, SourceMap, Span};
use crate::encryption::{self, EncryptionSpec, Encryptors};
use infra_backend::{Backend, BackendContext, Settings};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const RECORD: &str = ".infra/backend.json";

/// What a configuration directory was initialized with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub kind: String,
    /// The block's arguments as written.
    #[serde(default)]
    pub block: Settings,
    /// `--backend-config` values given to `init`.
    #[serde(default)]
    pub overrides: Settings,
}

/// A backend chosen for a command: kind and every setting.
#[derive(Clone, Debug)]
pub struct Selected {
    pub kind: String,
    pub block: Settings,
    pub overrides: Settings,
    /// Where its block is (`None` for the local default).
    pub span: Option<Span>,
}

impl Selected {
    pub fn settings(&self) -> Settings {
        let mut s = self.block.clone();
        s.extend(self.overrides.clone());
        s
    }
    fn record(&self) -> Record {
        Record {
            kind: self.kind.clone(),
            block: self.block.clone(),
            overrides: self.overrides.clone(),
        }
    }
    fn is_default_local(&self) -> bool {
        self.kind == "local" && self.block.is_empty() && self.overrides.is_empty()
    }
    fn describe(&self) -> String {
        if self.span.is_none() && self.kind == "local" {
            "the local default (no backend block)".into()
        } else {
            format!("backend {:?}", self.kind)
        }
    }
}

fn record_path(dir: &Path) -> PathBuf {
    dir.join(RECORD)
}

pub fn read_record(dir: &Path) -> Result<Option<Record>, CliError> {
    let p = record_path(dir);
    match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
            CliError::new(format!("{} is not valid: {e}", display_path(&p)))
                .with_hint("run infra init --reconfigure to record the backend again")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::new(format!("cannot read {}: {e}", display_path(&p)))),
    }
}

fn write_record(dir: &Path, r: &Record) -> Result<(), CliError> {
    let p = record_path(dir);
    let mut text = serde_json::to_string_pretty(r).expect("record serializes");
    text.push('\n');
    crate::state::local::write_atomic_private(&p, text.as_bytes())
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", display_path(&p))))?;
    let ignore = dir.join(".infra/.gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(
            ignore,
            "# What infra init recorded for this configuration (may hold credentials).\n*\n",
        );
    }
    Ok(())
}

/// Parses `--backend-config` values: `KEY=VALUE`, or a file of `key = "value"` lines (HCL attributes).
pub fn parse_overrides(items: &[String]) -> Result<Settings, CliError> {
    let mut out = Settings::new();
    for item in items {
        if let Some((k, v)) = item.split_once('=')
            && !k.contains('/')
            && !Path::new(item).is_file()
        {
            let k = k.trim();
            let v = v.trim();
            let value = match v {
                "true" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                _ => v
                    .parse::<f64>()
                    .ok()
                    .filter(|_| k == "max_retries")
                    .and_then(serde_json::Number::from_f64)
                    .map(serde_json::Value::Number)
                    .unwrap_or_else(|| serde_json::Value::String(v.trim_matches('"').to_string())),
            };
            out.insert(k.to_string(), value);
            continue;
        }
        let path = Path::new(item);
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "--backend-config {item:?}: not KEY=VALUE, and not a readable file ({e})"
            ))
        })?;
        let mut sources = SourceMap::default();
        let id = sources.add(item.clone(), text.clone());
        let body = crate::lang::ast::parse_body(id, &text).map_err(|d| CliError::diags(&d, &sources))?;
        for a in &body.attrs {
            match a.expr.as_literal() {
                Some(v) => {
                    out.insert(a.name.clone(), v.to_json());
                }
                None => {
                    return Err(CliError::new(format!(
                        "{}: {:?} must be a literal value",
                        sources.location(a.span),
                        a.name
                    )));
                }
            }
        }
    }
    Ok(out)
}

/// The backend the configuration asks for (block + overrides), its arguments checked (errors name the
/// block's lines).
pub fn selected(cfg: Option<&Config>, set: &BackendSet, overrides: &Settings) -> Result<Selected, CliError> {
    let block = cfg.and_then(|c| c.terraform.backend.as_ref());
    let Some(b) = block else {
        if !overrides.is_empty() {
            return Err(CliError::usage(
                "--backend-config needs a backend block in the configuration (terraform { backend \"s3\" {} })",
            ));
        }
        return Ok(Selected {
            kind: "local".into(),
            block: Settings::new(),
            overrides: Settings::new(),
            span: None,
        });
    };
    let cfg = cfg.expect("a block comes from a configuration");
    let mut diags = Diagnostics::new();
    let Some(ty) = set.backend(&b.kind) else {
        diags.error(
            Some(b.kind_span),
            "Unsupported backend",
            format!(
                "The backend {:?} is not available in this infra (available: {}).",
                b.kind,
                set.backend_names().join(", ")
            ),
        );
        return Err(CliError::diags(&diags, &cfg.sources));
    };
    let accepted = ty.arguments();
    // Check the block and the overrides together: a required argument may come from either.
    let mut written = b.args.clone();
    for (k, v) in overrides {
        written.retain(|w| &w.name != k);
        written.push(WrittenArg {
            name: k.clone(),
            value: infra_provider::Value::from_json(v),
            name_span: b.kind_span,
            span: b.kind_span,
        });
    }
    let all = check_arguments(
        &accepted,
        &written,
        b.span,
        &format!("the {} backend", b.kind),
        &mut diags,
    );
    if diags.has_errors() {
        return Err(CliError::diags(&diags, &cfg.sources));
    }
    let block_settings: Settings = all
        .iter()
        .filter(|(k, _)| !overrides.contains_key(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let overrides: Settings = all
        .iter()
        .filter(|(k, _)| overrides.contains_key(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Selected {
        kind: b.kind.clone(),
        block: block_settings,
        overrides,
        span: Some(b.span),
    })
}

/// The backend a recorded initialization used.
pub fn from_record(r: &Record) -> Selected {
    Selected {
        kind: r.kind.clone(),
        block: r.block.clone(),
        overrides: r.overrides.clone(),
        span: None,
    }
}

pub fn context(dir: &Path) -> BackendContext {
    BackendContext {
        config_dir: dir.to_path_buf(),
        stack: super::settings::stack_name(dir),
    }
}

/// Configures a selected backend.
pub async fn configure(
    sel: &Selected,
    set: &BackendSet,
    dir: &Path,
    sources: Option<&SourceMap>,
) -> Result<Arc<dyn Backend>, CliError> {
    let ty = set
        .backend(&sel.kind)
        .ok_or_else(|| CliError::new(format!("the backend {:?} is not available in this infra", sel.kind)))?;
    ty.configure(&sel.settings(), &context(dir)).await.map_err(|e| {
        let at = match (sel.span, sources) {
            (Some(s), Some(src)) => format!("{}: ", src.location(s)),
            _ => String::new(),
        };
        CliError::new(format!("{at}configuring the {} backend: {e}", sel.kind))
    })
}

/// The backend of a command other than `init`: the configured one, checked against what the directory
/// was initialized with.
pub async fn for_command(cfg: Option<&Config>, dir: &Path, set: &BackendSet) -> Result<Arc<dyn Backend>, CliError> {
    let recorded = read_record(dir)?;
    let overrides = recorded.as_ref().map(|r| r.overrides.clone()).unwrap_or_default();
    let sel = selected(cfg, set, &overrides)?;
    match &recorded {
        Some(r) if r.kind != sel.kind || r.block != sel.block => {
            let at = match (sel.span, cfg) {
                (Some(s), Some(c)) => format!(" ({})", c.sources.location(s)),
                _ => String::new(),
            };
            let what = if r.kind != sel.kind {
                format!(
                    "backend {:?}, and the configuration now uses {}",
                    r.kind,
                    sel.describe()
                )
            } else {
                format!(
                    "other settings of backend {:?}: {}",
                    r.kind,
                    changed_settings(set, &r.kind, &r.block, &sel.block)
                )
            };
            return Err(CliError::new(format!(
                "Backend configuration changed: {} was initialized with {what}{at}",
                display_path(dir),
            ))
            .with_hint(
                "run infra init --migrate-state to move every environment's state to the new backend, \
                 or infra init --reconfigure to use it as it is (the states in the old backend stay where they are)",
            ));
        }
        Some(_) => {}
        None if sel.is_default_local() => {}
        None => {
            // First use of a backend block: local states would be left behind unseen.
            let local = default_local(set, dir).await?;
            let envs = local.environments().await.unwrap_or_default();
            if !envs.is_empty() {
                return Err(CliError::new(format!(
                    "The configuration uses backend {:?}, but states exist in the local default location ({}: {})",
                    sel.kind,
                    display_path(
                        &crate::state::local::local_layout(&Settings::new(), &context(dir))
                            .state_path("default")
                            .parent()
                            .map(Path::to_path_buf)
                            .unwrap_or_default()
                    ),
                    envs.join(", ")
                ))
                .with_hint("run infra init --migrate-state to move them, or infra init --reconfigure to leave them"));
            }
            let b = configure(&sel, set, dir, cfg.map(|c| &c.sources)).await?;
            write_record(dir, &sel.record())?;
            eprintln!(
                "Initialized backend {:?} for {} (recorded in {}).",
                sel.kind,
                display_path(dir),
                display_path(&record_path(dir))
            );
            return Ok(b);
        }
    }
    configure(&sel, set, dir, cfg.map(|c| &c.sources)).await
}

/// What differs between two settings of one backend kind (`bucket "a" → "b"`); sensitive values are not
/// shown.
fn changed_settings(set: &BackendSet, kind: &str, old: &Settings, new: &Settings) -> String {
    let sensitive: Vec<&'static str> = set
        .backend(kind)
        .map(|t| t.arguments().iter().filter(|a| a.sensitive).map(|a| a.name).collect())
        .unwrap_or_default();
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |k: &str, v: Option<&serde_json::Value>| match v {
        None => "(unset)".to_string(),
        Some(_) if sensitive.contains(&k) => "(sensitive value)".to_string(),
        Some(v) => v.to_string(),
    };
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| format!("{k} {} → {}", show(k, old.get(k)), show(k, new.get(k))))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn default_local(set: &BackendSet, dir: &Path) -> Result<Arc<dyn Backend>, CliError> {
    let sel = Selected {
        kind: "local".into(),
        block: Settings::new(),
        overrides: Settings::new(),
        span: None,
    };
    configure(&sel, set, dir, None).await
}

/// The encryptors of a configuration: its `encryption` block, else the `INFRA_STATE_PASSPHRASE` shortcut,
/// else none.
pub async fn encryptors(cfg: Option<&Config>, set: &BackendSet) -> Result<Encryptors, CliError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let from_env = EncryptionSpec::from_passphrases(
        env(encryption::PASSPHRASE_ENV).is_some(),
        env(encryption::FALLBACK_PASSPHRASE_ENV).is_some(),
    );
    let spec = match cfg.and_then(|c| c.terraform.encryption.as_ref()) {
        Some(s) => s.clone(),
        None => match from_env {
            Some(s) => s,
            None => return Ok(Encryptors::none()),
        },
    };
    encryption::build(&spec, set, &env).await.map_err(|errors| {
        let mut diags = Diagnostics::new();
        for e in errors {
            diags.error(e.span, e.summary, e.detail);
        }
        match cfg {
            Some(c) => CliError::diags(&diags, &c.sources),
            None => CliError::diags(&diags, &SourceMap::default()),
        }
    })
}

/// `init`: with `migrate`, moves every environment's state from the recorded (or local default) backend to
/// the configured one; with `reconfigure`, records the configured one as it is. Returns the configured
/// backend and what was done, one line per environment.
pub async fn init(
    cfg: &Config,
    dir: &Path,
    set: &BackendSet,
    overrides: &Settings,
    migrate: bool,
    reconfigure: bool,
    encryptors: &Encryptors,
) -> Result<(Arc<dyn Backend>, Vec<String>), CliError> {
    let recorded = read_record(dir)?;
    let mut overrides = overrides.clone();
    if overrides.is_empty()
        && let Some(r) = &recorded
        && !migrate
        && !reconfigure
    {
        overrides = r.overrides.clone();
    }
    let sel = selected(Some(cfg), set, &overrides)?;
    let old = match &recorded {
        Some(r) => from_record(r),
        None => Selected {
            kind: "local".into(),
            block: Settings::new(),
            overrides: Settings::new(),
            span: None,
        },
    };
    let changed = old.kind != sel.kind || old.block != sel.block || old.overrides != sel.overrides;
    let new = configure(&sel, set, dir, Some(&cfg.sources)).await?;
    let mut report = Vec::new();
    if !changed || reconfigure {
        if !sel.is_default_local() || recorded.is_some() {
            write_record(dir, &sel.record())?;
        }
        return Ok((new, report));
    }
    let old_backend = configure(&old, set, dir, None).await?;
    let envs = old_backend
        .environments()
        .await
        .map_err(|e| CliError::new(format!("listing the environments of the {} backend: {e}", old.kind)))?;
    if !migrate {
        if envs.is_empty() {
            write_record(dir, &sel.record())?;
            return Ok((new, report));
        }
        return Err(CliError::new(format!(
            "Backend configuration changed: from {} to {}, and the old backend holds states ({})",
            old.describe(),
            sel.describe(),
            envs.join(", ")
        ))
        .with_hint("run infra init --migrate-state to move them to the new backend, or infra init --reconfigure to leave them where they are"));
    }
    let mut failures = Vec::new();
    for env in &envs {
        match migrate_one(env, old_backend.as_ref(), new.as_ref(), encryptors).await {
            Ok(line) => report.push(line),
            Err(e) => failures.push(format!("{env}: {e}")),
        }
    }
    if !failures.is_empty() {
        return Err(CliError::new(format!(
            "Moving the states to the {} backend failed for {} of {} environments; the backend was not switched, and the old states are untouched:\n{}",
            sel.kind,
            failures.len(),
            envs.len(),
            failures.join("\n")
        ))
        .with_hint("fix the problem and run infra init --migrate-state again: environments already moved are checked and skipped"));
    }
    write_record(dir, &sel.record())?;
    Ok((new, report))
}

/// Moves one environment's state: the destination must be empty, hold the same state, or an older serial
/// of the same lineage. Both states are locked meanwhile; the source is never changed.
async fn migrate_one(
    env: &str,
    from: &dyn Backend,
    to: &dyn Backend,
    encryptors: &Encryptors,
) -> Result<String, String> {
    use crate::state::{LockInfo, StateStore};
    let src = StateStore::new(from.state(env), encryptors.state.clone());
    let dst = StateStore::new(to.state(env), encryptors.state.clone());
    let li = LockInfo::new("migrate");
    src.lock(&li, std::time::Duration::ZERO)
        .await
        .map_err(|e| e.to_string())?;
    let ld = LockInfo::new("migrate");
    if let Err(e) = dst.lock(&ld, std::time::Duration::ZERO).await {
        let _ = src.unlock(&li.id).await;
        return Err(e.to_string());
    }
    let result = async {
        let Some(state) = src.load().await.map_err(|e| e.to_string())? else {
            return Ok(format!("{env}: no state in {}", src.describe()));
        };
        match dst.load().await.map_err(|e| e.to_string())? {
            Some(there) if there.lineage != state.lineage => Err(format!(
                "{} already holds a different state (lineage {}, serial {}; moving lineage {}, serial {}): refusing to overwrite it",
                dst.describe(),
                there.lineage,
                there.serial,
                state.lineage,
                state.serial
            )),
            Some(there) if there.serial > state.serial => Err(format!(
                "{} already holds a newer serial ({} > {}) of this state: refusing to overwrite it",
                dst.describe(),
                there.serial,
                state.serial
            )),
            Some(there) if there.serial == state.serial => {
                if there.resources == state.resources && there.outputs == state.outputs {
                    Ok(format!("{env}: already in {} (serial {})", dst.describe(), state.serial))
                } else {
                    Err(format!(
                        "{} holds a different state with the same serial {}: refusing to overwrite it",
                        dst.describe(),
                        state.serial
                    ))
                }
            }
            _ => {
                dst.write_exact(&state).await.map_err(|e| e.to_string())?;
                Ok(format!(
                    "{env}: moved {} (serial {}, {} resources) to {}",
                    src.describe(),
                    state.serial,
                    state.resources.len(),
                    dst.describe()
                ))
            }
        }
    }
    .await;
    let _ = dst.unlock(&ld.id).await;
    let _ = src.unlock(&li.id).await;
    result
}
