//! `infra.policy.hcl`: which rules run and how strict they are, per environment.
//!
//! ```hcl
//! admin_cidrs = ["203.0.113.0/24"]          # who may reach port 22 (every environment)
//! rules = { "ports-unique" = "warning" }    # "error", "warning" or "off" (every environment)
//!
//! environment "prod" {
//!   rpo = "5m"                              # the recovery point objective
//! }
//! environment "stage" {
//!   rpo   = "24h"
//!   rules = { "recovery-deletion-protection" = "off" }
//! }
//! ```
//!
//! An environment's settings override the top-level ones. Without a file, every rule runs at its default
//! severity, an rpo of a day is assumed, and the admin CIDRs are the root module's `admin_cidrs` variable
//! when it has one.

use super::{Level, RULES};
use crate::diag::{Diagnostics, SourceMap, Span};
use crate::lang::ast::Body;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The file name, in the configuration directory.
pub const FILE: &str = "infra.policy.hcl";

/// A day: the rpo assumed when none is stated.
pub const DEFAULT_RPO: Duration = Duration::from_secs(24 * 3600);

/// One level of settings (the top level or an `environment` block).
#[derive(Clone, Debug, Default)]
struct Layer {
    rpo: Option<Duration>,
    admin_cidrs: Option<Vec<String>>,
    /// Rule id → level (`None`: off).
    rules: BTreeMap<String, Option<Level>>,
}

/// The parsed file.
#[derive(Clone, Debug, Default)]
pub struct PolicyFile {
    /// Where it was read from, for messages (`None` without a file).
    pub path: Option<String>,
    top: Layer,
    envs: BTreeMap<String, Layer>,
}

/// The settings of one environment, resolved.
#[derive(Clone, Debug)]
pub struct EnvPolicy {
    pub environment: String,
    pub rpo: Duration,
    pub rpo_assumed: bool,
    /// `None`: not declared in the policy file (the rules then use the configuration's `admin_cidrs`).
    pub admin_cidrs: Option<Vec<String>>,
    levels: BTreeMap<&'static str, Option<Level>>,
}

impl EnvPolicy {
    /// Every rule at its default severity (no policy file).
    pub fn defaults(env: &str) -> EnvPolicy {
        PolicyFile::default().for_env(env)
    }
    /// The level a rule runs at; `None` when it is off.
    pub fn level(&self, id: &str) -> Option<Level> {
        self.levels.get(id).copied().flatten()
    }
}

impl PolicyFile {
    /// Reads `infra.policy.hcl` from the configuration directory (an empty policy when there is none).
    /// Errors name the file and line.
    pub fn load(dir: &Path) -> Result<PolicyFile, String> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PolicyFile::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", crate::config::display_path(&path))),
        };
        PolicyFile::parse(&crate::config::display_path(&path), &text)
    }

    /// Parses the text of a policy file named `name`.
    pub fn parse(name: &str, text: &str) -> Result<PolicyFile, String> {
        let mut sources = SourceMap::default();
        let id = sources.add(name, text);
        let body = crate::lang::ast::parse_body(id, text).map_err(|d| first_error(&d, &sources))?;
        let mut out = PolicyFile {
            path: Some(name.to_string()),
            ..Default::default()
        };
        let err = |span: Span, msg: String| format!("{}: {msg}", sources.location(span));
        out.top = layer(&body, &sources)?;
        for b in &body.blocks {
            match b.kind.as_str() {
                "environment" => {
                    let [(env, _)] = b.labels.as_slice() else {
                        return Err(err(
                            b.kind_span,
                            "an environment block takes one label, the environment's name: environment \"prod\" { ... }"
                                .into(),
                        ));
                    };
                    if out.envs.contains_key(env) {
                        return Err(err(b.kind_span, format!("environment {env:?} is set twice")));
                    }
                    out.envs.insert(env.clone(), layer(&b.body, &sources)?);
                }
                other => {
                    return Err(err(
                        b.kind_span,
                        format!(
                            "unexpected block {other:?}: the policy file has `environment \"NAME\" {{ ... }}` blocks"
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The settings for environment `env`.
    pub fn for_env(&self, env: &str) -> EnvPolicy {
        let empty = Layer::default();
        let e = self.envs.get(env).unwrap_or(&empty);
        let mut levels: BTreeMap<&'static str, Option<Level>> = RULES.iter().map(|r| (r.id, Some(r.level))).collect();
        for layer in [&self.top, e] {
            for (id, l) in &layer.rules {
                if let Some((k, _)) = levels.iter().find(|(k, _)| **k == id.as_str()) {
                    let k = *k;
                    levels.insert(k, *l);
                }
            }
        }
        let rpo = e.rpo.or(self.top.rpo);
        EnvPolicy {
            environment: env.to_string(),
            rpo: rpo.unwrap_or(DEFAULT_RPO),
            rpo_assumed: rpo.is_none(),
            admin_cidrs: e.admin_cidrs.clone().or_else(|| self.top.admin_cidrs.clone()),
            levels,
        }
    }

    /// The environments the file names.
    pub fn environments(&self) -> impl Iterator<Item = &str> {
        self.envs.keys().map(String::as_str)
    }
}

fn first_error(d: &Diagnostics, sources: &SourceMap) -> String {
    match d.errors().next() {
        Some(e) => match e.span {
            Some(s) => format!("{}: {e}", sources.location(s)),
            None => e.to_string(),
        },
        None => "the policy file could not be parsed".into(),
    }
}

fn layer(body: &Body, sources: &SourceMap) -> Result<Layer, String> {
    let mut out = Layer::default();
    for a in &body.attrs {
        let at = |msg: String| format!("{}: {msg}", sources.location(a.expr.span()));
        let value = a
            .expr
            .as_literal()
            .ok_or_else(|| at(format!("{} must be a literal value", a.name)))?;
        match a.name.as_str() {
            "rpo" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| at("rpo is a duration such as \"5m\", \"1h\" or \"24h\"".into()))?;
                out.rpo = Some(
                    parse_rpo(s)
                        .ok_or_else(|| at(format!("rpo {s:?} is not a duration such as \"5m\", \"1h\" or \"24h\"")))?,
                );
            }
            "admin_cidrs" => {
                let items = value
                    .as_list()
                    .ok_or_else(|| at("admin_cidrs is a list of CIDR blocks".into()))?;
                let mut cidrs = Vec::new();
                for i in items {
                    match i.as_str() {
                        Some(c) if c.contains('/') => cidrs.push(c.to_string()),
                        _ => {
                            return Err(at(
                                "admin_cidrs is a list of CIDR blocks such as \"203.0.113.0/24\"".into()
                            ));
                        }
                    }
                }
                out.admin_cidrs = Some(cidrs);
            }
            "rules" => {
                let m = value
                    .as_map()
                    .ok_or_else(|| at("rules is a map of rule id to \"error\", \"warning\" or \"off\"".into()))?;
                for (id, l) in m {
                    if super::rule(id).is_none() {
                        let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                        let hint = crate::lang::eval::suggest(id, known.iter().copied())
                            .map(|s| format!(" Did you mean {s:?}?"))
                            .unwrap_or_default();
                        return Err(at(format!(
                            "no rule is named {id:?}.{hint} Rules: {}",
                            known.join(", ")
                        )));
                    }
                    let level = match l.as_str() {
                        Some("error") => Some(Level::Error),
                        Some("warning") => Some(Level::Warning),
                        Some("off") => None,
                        _ => return Err(at(format!("rule {id:?}: use \"error\", \"warning\" or \"off\""))),
                    };
                    out.rules.insert(id.clone(), level);
                }
            }
            other => {
                return Err(format!(
                    "{}: unexpected setting {other:?}: the policy file takes rpo, admin_cidrs and rules",
                    sources.location(a.name_span)
                ));
            }
        }
    }
    Ok(out)
}

/// `"5m"`, `"1h"`, `"24h"`, `"7d"`.
pub fn parse_rpo(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Some(d) = s.strip_suffix('d') {
        return d.trim().parse::<u64>().ok().map(|n| Duration::from_secs(n * 86400));
    }
    crate::config::parse_duration(s).filter(|d| !d.is_zero())
}

/// `5m`, `24h`, `7d` (the largest whole unit).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s > 86400 && s.is_multiple_of(86400) {
        format!("{}d", s / 86400)
    } else if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}
