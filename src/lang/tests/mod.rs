//! Data-driven tests of the Terraform language as a user relies on it.
//!
//! Every case is a configuration under `fixtures/`: a single `.tf` file, or a directory of `.tf` files
//! (plus whatever templates it reads). [`check`] loads it, plans it with the in-memory fake provider
//! ([`crate::testing`]) and a small block-shaped provider defined here ([`blk`]), and renders one report:
//! every diagnostic with its summary, `file:line:col` and detail, then every planned resource instance and
//! every output. The report is compared with an `insta` snapshot under `snapshots/`; nothing in it is
//! random (no temporary paths, lineages or timestamps).
//!
//! Leading `#!` comment lines of a fixture are directives:
//! - `#! var NAME = EXPR` gives input variable NAME the value of the HCL expression EXPR;
//! - `#! workspace = NAME` plans in environment NAME (`terraform.workspace`);
//! - `#! apply` applies the configuration once first, so that the reported plan refers to known values.
//!
//! Values are rendered HCL-like: `(known after apply)` for unknown, `sensitive(...)` around values
//! marked sensitive, `set[...]` for sets, `[...]` for lists and tuples, `{ k = v }` for maps and objects.
//!
//! # Deviations from Terraform kept on purpose
//!
//! These are visible in the snapshots and are documented here rather than "fixed":
//! - Numbers are `f64` rather than arbitrary precision: `0.1 + 0.2` is `0.30000000000000004`
//!   (exprs/arithmetic).
//! - Lists and tuples share one representation, as do maps and objects, so structural type-unification
//!   errors are not raised: `cond ? { a = 1 } : {}` is accepted where Terraform reports "Inconsistent
//!   conditional result types", and a `list(any)` may hold mixed element types. Only the primitive
//!   unification is done: a number or bool chosen against a string alternative becomes a string
//!   (exprs/conditionals).
//! - Attributes-as-blocks (`ingress = [{ ... }]`) is accepted for every nested block type, and attributes
//!   left out of an element take the schema default or null, where Terraform accepts it only for blocks a
//!   provider declares in that mode and requires every attribute there (dynamic/attributes_as_blocks).
//! - `try()` returns unknown when the first successful result is not wholly known; Terraform decides by
//!   the values the expression refers to, so `try(length([unknown]), 0)` is `1` here and unknown in
//!   Terraform (unknowns/try_can).
//! - Undeclared references are reported when the configuration is loaded (like `terraform validate`);
//!   unsupported attributes of resources are reported while planning, where the provider schema is at
//!   hand.
//! - Syntax errors carry `hcl-edit`'s wording (their locations are right); only "Attribute redefined"
//!   and "Unclosed configuration block" are worded as in Terraform (errors/malformed_*).
//! - The `<<-` heredoc rule counts leading whitespace in characters, not grapheme clusters.
//!
//! # Known issue outside the language code
//!
//! The planner evaluates every output even when a local value it uses failed, so that local's diagnostic
//! is reported once per use (errors/failing_local). Deduplicating belongs to `plan::planner` (skip
//! outputs whose dependencies failed) or `diag::Diagnostics`.

mod blk;
mod perf;

use crate::apply::{ApplyOptions, Quiet, apply};
use crate::config::Config;
use crate::diag::{Diagnostics, Severity};
use crate::lang::ast::parse_expr;
use crate::lang::eval::{EmptyScope, Evaluator};
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::{Action, Plan};
use crate::provider_set::ProviderSet;
use crate::state::State;
use crate::state::StateStore;
use crate::testing::FakeProvider;
use infra_provider::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lang/tests/fixtures")
}

/// Directives read from a fixture's leading `#!` lines.
#[derive(Default)]
struct Directives {
    vars: BTreeMap<String, Value>,
    workspace: Option<String>,
    apply: bool,
}

fn directives(text: &str) -> Directives {
    let mut d = Directives::default();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("#!") else {
            continue;
        };
        let rest = rest.trim();
        if rest == "apply" {
            d.apply = true;
        } else if let Some(w) = rest.strip_prefix("workspace =") {
            d.workspace = Some(w.trim().to_string());
        } else if let Some(v) = rest.strip_prefix("var ") {
            let (name, expr) = v.split_once('=').expect("#! var NAME = EXPR");
            let e = parse_expr(u32::MAX, expr.trim()).expect("directive expression parses");
            let value = Evaluator::new(&EmptyScope, Path::new("."))
                .eval(&e)
                .expect("directive expression evaluates");
            d.vars.insert(name.trim().to_string(), value);
        } else {
            panic!("unknown directive {line:?}");
        }
    }
    d
}

/// The (name, text) of every file of a fixture, and the directory its paths resolve against.
fn fixture_files(name: &str) -> (PathBuf, Vec<(String, String)>) {
    let base = fixtures_dir();
    let as_file = base.join(format!("{name}.tf"));
    if as_file.is_file() {
        let text = std::fs::read_to_string(&as_file).unwrap();
        let dir = as_file.parent().unwrap().to_path_buf();
        return (dir, vec![(format!("{name}.tf"), text)]);
    }
    let dir = base.join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    let files = files
        .iter()
        .map(|p| {
            let shown = format!("{name}/{}", p.file_name().unwrap().to_string_lossy());
            (shown, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    (dir, files)
}

fn providers() -> ProviderSet {
    ProviderSet::new(vec![FakeProvider::new(), blk::BlkProvider::new()])
}

/// Loads, (optionally applies,) plans and renders fixture `name`.
pub(crate) async fn report(name: &str) -> String {
    let (dir, files) = fixture_files(name);
    let dirs = directives(&files.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n"));
    let mut cfg = Config {
        dir,
        ..Default::default()
    };
    let d = cfg.load_sources(files);
    let mut out = String::new();
    if d.has_errors() {
        render_diags(&mut out, &cfg, &d);
        return out;
    }
    let cfg = Arc::new(cfg);
    let providers = providers();
    let env = dirs.workspace.clone().unwrap_or_else(|| "default".into());
    let state_dir = tempfile::tempdir().unwrap();
    let store = Arc::new(StateStore::local(state_dir.path().join("state.json")));
    let mut state = State::default();
    if dirs.apply {
        let (p, d) = plan(
            cfg.clone(),
            &providers,
            State::default(),
            dirs.vars.clone(),
            &env,
            &PlanOptions::default(),
        )
        .await;
        let Some(p) = p else {
            out.push_str("## first plan failed\n");
            render_diags(&mut out, &cfg, &d);
            return out;
        };
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let opts = ApplyOptions {
            parallelism: Some(1),
            progress_interval: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(1),
            cancel: rx,
        };
        match apply(p, cfg.clone(), &providers, store.clone(), opts, Arc::new(Quiet)).await {
            Ok((s, outcome)) => {
                assert!(outcome.errors.is_empty(), "apply failed: {:?}", outcome.errors);
                if outcome.diags.has_errors() {
                    out.push_str("## apply failed\n");
                    render_diags(&mut out, &cfg, &outcome.diags);
                    return out;
                }
                state = s;
            }
            Err(d) => {
                out.push_str("## apply failed\n");
                render_diags(&mut out, &cfg, &d);
                return out;
            }
        }
        out.push_str("## after apply\n");
    }
    let (p, d) = plan(cfg.clone(), &providers, state, dirs.vars, &env, &PlanOptions::default()).await;
    render_diags(&mut out, &cfg, &d);
    if let Some(p) = p {
        render_plan(&mut out, &p);
    }
    out
}

fn render_diags(out: &mut String, cfg: &Config, d: &Diagnostics) {
    for x in &d.0 {
        let sev = match x.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = x
            .span
            .map(|s| cfg.sources.location(s))
            .unwrap_or_else(|| "<no location>".into());
        let _ = writeln!(out, "{sev}: {} at {at}", x.summary);
        if !x.detail.is_empty() {
            for line in x.detail.lines() {
                let _ = writeln!(out, "  | {line}");
            }
        }
    }
}

fn render_plan(out: &mut String, p: &Plan) {
    for c in &p.changes {
        let action = match c.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::NoOp => "no-op",
        };
        let after = c
            .after
            .clone()
            .map(|v| v.apply_marks(&c.after_sensitive))
            .map(|v| render_value(&v))
            .unwrap_or_else(|| "(none)".into());
        let _ = writeln!(out, "{} ({action}) = {after}", c.addr);
    }
    for o in &p.outputs {
        let v = o.after.as_ref().map(render_value).unwrap_or_else(|| "(removed)".into());
        let s = if o.sensitive { " (sensitive)" } else { "" };
        let _ = writeln!(out, "output.{}{s} = {v}", o.name);
    }
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// HCL-like rendering of a value (see the module documentation).
pub(crate) fn render_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap(),
        Value::List(items) => format!("[{}]", items.iter().map(render_value).collect::<Vec<_>>().join(", ")),
        Value::Set(items) => format!("set[{}]", items.iter().map(render_value).collect::<Vec<_>>().join(", ")),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    let key = if is_ident(k) {
                        k.clone()
                    } else {
                        serde_json::to_string(k).unwrap()
                    };
                    format!("{key} = {}", render_value(v))
                })
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Sensitive(inner) => format!("sensitive({})", render_value(inner)),
    }
}

/// Checks fixture `name` against its snapshot.
pub(crate) async fn check(name: &str) {
    let out = report(name).await;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lang/tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(fixtures_dir().join(name));
    settings.bind(|| insta::assert_snapshot!(name.replace('/', "__"), out));
}

macro_rules! fixtures {
    ($($group:ident { $($case:ident),* $(,)? })*) => {
        $(mod $group {
            $(#[tokio::test]
            async fn $case() {
                super::check(concat!(stringify!($group), "/", stringify!($case))).await;
            })*
        })*

        /// Every fixture on disk has a test above, and every test its fixture.
        #[test]
        fn every_fixture_is_listed() {
            let listed: Vec<String> = vec![$($(concat!(stringify!($group), "/", stringify!($case)).to_string(),)*)*];
            let mut on_disk = Vec::new();
            for g in std::fs::read_dir(fixtures_dir()).unwrap() {
                let g = g.unwrap().path();
                for c in std::fs::read_dir(&g).unwrap() {
                    let c = c.unwrap().path();
                    let stem = c.file_stem().unwrap().to_string_lossy().to_string();
                    if c.is_dir() || c.extension().is_some_and(|x| x == "tf") {
                        on_disk.push(format!("{}/{stem}", g.file_name().unwrap().to_string_lossy()));
                    }
                }
            }
            on_disk.sort();
            let mut listed_sorted = listed.clone();
            listed_sorted.sort();
            assert_eq!(on_disk, listed_sorted);
        }
    };
}

fixtures! {
    dynamic { dependencies, attributes_and_blocks, attributes_as_blocks, basics, block_errors, errors, sensitive_for_each, unknown_for_each }
    errors { attribute_redefined, bad_count, bad_references, count_and_for_each, cycle, cycle_resources, duplicate_resource, failing_local, for_each_list, grouping_without_key, index_out_of_range, logical_errors, malformed_expression, malformed_hcl, missing_brace, missing_required, null_in_template, self_reference, template_errors, type_errors, undeclared_everywhere, undeclared_local, undeclared_resource, undeclared_variable, unknown_argument, unknown_count, unsupported_attribute, unsupported_block, unsupported_top_level_block, wrong_argument_type }
    exprs { argument_conversions, arithmetic, collections, conditionals, for_exprs, logical_short_circuit, precedence }
    funcs { templatefile }
    refs { basics, count_index, empty_expansion, for_each, resources_after_apply, sensitive_collections, splat_edge }
    sensitive { output_not_marked, propagation }
    templates { heredoc, interpolation }
    unknowns { propagation, try_can }
    vars { bad_declarations, complex_types, not_nullable_null, types, validation, validation_fails, validation_refs, wrong_types }
}
