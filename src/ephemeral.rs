//! Ephemeral values (Terraform 1.10/1.11): `ephemeral` resources, input variables and module outputs
//! declared `ephemeral = true`, and the write-only arguments (`password_wo`) that may receive them.
//!
//! An ephemeral value is never kept: ephemeral resources are opened by the planner and opened again by
//! apply, never written to a plan file or the state; write-only arguments are planned and stored as null
//! and sent to the provider only by the apply's create or update. Where an ephemeral value may flow is
//! decided here, before anything is evaluated, from the configuration's references ([`check`]): into
//! locals, other ephemeral resources, provider configurations, write-only arguments, and module inputs
//! and outputs declared ephemeral — nowhere else.

use crate::addrs::Mode;
use crate::config::{Config, META_ARGS};
use crate::diag::{Diagnostics, Span};
use crate::lang::ast::{Body, Expr};
use crate::lang::refs::{Ref, expr_refs_detailed};
use crate::plan::diff::conform;
use crate::provider_set::ProviderSet;
use infra_provider::{Block, Value};
use std::collections::BTreeSet;

/// The kind and owner of a local an expansion made: `module.net.output.id` → (`output`, `module.net`).
fn mangled(name: &str) -> Option<(&str, &str, &str)> {
    let mut it = name.rsplitn(3, '.');
    let leaf = it.next()?;
    let kind = it.next()?;
    let owner = it.next().unwrap_or("");
    matches!(kind, "var" | "local" | "output" | "module")
        .then_some((kind, owner, leaf))
        .filter(|_| name.starts_with("module."))
}

/// Which values of a configuration are ephemeral.
pub struct Ephemerality<'a> {
    cfg: &'a Config,
    locals: BTreeSet<String>,
}

impl<'a> Ephemerality<'a> {
    /// Every local value that holds an ephemeral value (a fixpoint over the locals' references).
    pub fn of(cfg: &'a Config) -> Ephemerality<'a> {
        let mut e = Ephemerality {
            cfg,
            locals: cfg.ephemeral_locals.clone(),
        };
        loop {
            let found: Vec<String> = cfg
                .locals
                .iter()
                .filter(|(n, _)| !e.locals.contains(*n))
                .filter(|(_, l)| e.expr(&l.expr).is_some())
                .map(|(n, _)| n.clone())
                .collect();
            if found.is_empty() {
                return e;
            }
            e.locals.extend(found);
        }
    }

    /// Where `e` refers to an ephemeral value, if it does.
    pub fn expr(&self, e: &Expr) -> Option<Span> {
        let (refs, local_attrs) = expr_refs_detailed(e);
        for (r, span) in refs {
            let ephemeral = match &r {
                Ref::Resource(a) => a.mode == Mode::Ephemeral,
                Ref::Var(v) => self.cfg.variables.get(v).is_some_and(|v| v.ephemeral),
                Ref::Local(_) | Ref::Module(_) => false,
            };
            if ephemeral {
                return Some(span);
            }
        }
        local_attrs
            .into_iter()
            .find(|(name, attr, _)| self.local(name, attr.as_deref()))
            .map(|(_, _, span)| span)
    }

    /// Whether `local.name` (or its attribute `attr`, for the object of a module call's outputs) is
    /// ephemeral.
    fn local(&self, name: &str, attr: Option<&str>) -> bool {
        match mangled(name) {
            Some(("module", owner, call)) => {
                let instances = if owner.is_empty() {
                    format!("module.{call}")
                } else {
                    format!("{owner}.module.{call}")
                };
                self.locals.iter().any(|l| match mangled(l) {
                    Some(("output", path, output)) => {
                        (path == instances || path.strip_prefix(&instances).is_some_and(|k| k.starts_with('[')))
                            && attr.is_none_or(|a| a == output)
                    }
                    _ => false,
                })
            }
            _ => self.locals.contains(name),
        }
    }
}

/// Checks that ephemeral values flow only where they may. `cfg` is expanded.
pub fn check(cfg: &Config, providers: &ProviderSet, diags: &mut Diagnostics) {
    let has_ephemeral = cfg.resources.keys().any(|a| a.mode == Mode::Ephemeral)
        || cfg.variables.values().any(|v| v.ephemeral)
        || !cfg.ephemeral_locals.is_empty();
    for o in cfg.outputs.values().filter(|o| o.ephemeral) {
        diags.error(
            Some(o.span),
            "Ephemeral output not allowed",
            format!(
                "Ephemeral outputs are not allowed in the root module: output {:?} would have to be kept in the state. Declare ephemeral outputs in child modules only.",
                o.name
            ),
        );
    }
    if !has_ephemeral {
        return;
    }
    let e = Ephemerality::of(cfg);
    for r in cfg.resources.values().filter(|r| r.addr.mode != Mode::Ephemeral) {
        let schema = providers.schema(&r.provider.name, &r.addr).ok().map(|s| &s.block);
        body(&e, &r.body, schema, &r.addr.to_string(), true, diags);
        for m in [&r.count, &r.for_each].into_iter().flatten() {
            if let Some(span) = e.expr(m) {
                diags.error(Some(span), "Invalid use of ephemeral value", format!("The count and for_each of {} may not depend on ephemeral values: its instances are kept in the state.", r.addr));
            }
        }
    }
    for o in cfg.outputs.values() {
        if let Some(span) = e.expr(&o.value) {
            diags.error(
                Some(span),
                "Ephemeral value not allowed",
                format!(
                    "Output {:?} of the root module refers to an ephemeral value, which is never kept: root module outputs are saved in the state.",
                    o.name
                ),
            );
        }
    }
    for (name, l) in &cfg.locals {
        if cfg.ephemeral_locals.contains(name) {
            continue;
        }
        let Some(span) = e.expr(&l.expr) else { continue };
        match (mangled(name), &l.input) {
            (Some(("var", module, var)), Some(_)) => diags.error(
                Some(span),
                "Invalid use of ephemeral value",
                format!("The input variable {var:?} of {module} is not declared to accept ephemeral values: add ephemeral = true to its declaration, or pass a value that is not ephemeral."),
            ),
            (Some(("output", module, output)), _) => diags.error(
                Some(span),
                "Ephemeral value not allowed",
                format!("Output {output:?} of {module} refers to an ephemeral value but is not declared ephemeral: add ephemeral = true to the output block."),
            ),
            _ => {}
        }
    }
}

/// The arguments of a managed resource or data source: ephemeral values only in write-only arguments.
fn body(e: &Ephemerality, b: &Body, schema: Option<&Block>, addr: &str, top: bool, diags: &mut Diagnostics) {
    for a in &b.attrs {
        if top && META_ARGS.contains(&a.name.as_str()) {
            continue;
        }
        let Some(span) = e.expr(&a.expr) else { continue };
        let write_only = schema
            .and_then(|s| s.attributes.get(&a.name))
            .is_some_and(|at| at.write_only);
        if !write_only {
            let hint = schema
                .and_then(|s| s.attributes.get(&format!("{}_wo", a.name)))
                .filter(|at| at.write_only)
                .map(|_| format!(" Use its write-only form {}_wo instead.", a.name))
                .unwrap_or_default();
            diags.error(
                Some(span),
                "Invalid use of ephemeral value",
                format!(
                    "Ephemeral values are not valid for {:?} of {addr}: it is not a write-only argument, and its value is kept in the plan and the state.{hint}",
                    a.name
                ),
            );
        }
    }
    for blk in &b.blocks {
        let (kind, inner) = if blk.kind == "dynamic" {
            let kind = blk.labels.first().map(|l| l.0.as_str()).unwrap_or_default();
            if let Some(fe) = blk.body.attr("for_each")
                && let Some(span) = e.expr(&fe.expr)
            {
                diags.error(
                    Some(span),
                    "Invalid use of ephemeral value",
                    format!("The for_each of a dynamic {kind:?} block of {addr} may not depend on ephemeral values."),
                );
            }
            match blk.body.blocks_of("content").next() {
                Some(c) => (kind, &c.body),
                None => continue,
            }
        } else {
            (blk.kind.as_str(), &blk.body)
        };
        let nested = schema.and_then(|s| s.blocks.get(kind)).map(|nb| &nb.block);
        body(e, inner, nested, addr, false, diags);
    }
}

/// What plans and the state keep of an object a provider answered with: shaped by the schema
/// ([`conform`]), write-only arguments null (a provider should never answer them; if one does, they
/// are dropped here).
pub fn kept(schema: &Block, v: &Value) -> Value {
    let mut v = conform(schema, v);
    clear_write_only(schema, &mut v);
    v
}

/// Sets every write-only attribute of an object to null (what plans and states keep of them).
pub fn clear_write_only(block: &Block, v: &mut Value) {
    let Value::Map(m) = v else { return };
    for (name, attr) in &block.attributes {
        if attr.write_only
            && let Some(x) = m.get_mut(name)
        {
            *x = Value::Null;
        }
    }
    for (name, nb) in &block.blocks {
        match m.get_mut(name) {
            Some(Value::List(items) | Value::Set(items)) => {
                for i in items {
                    clear_write_only(&nb.block, i);
                }
            }
            Some(x @ Value::Map(_)) => clear_write_only(&nb.block, x),
            _ => {}
        }
    }
}

/// True when the block has write-only attributes, at any depth.
pub fn has_write_only(block: &Block) -> bool {
    block.attributes.values().any(|a| a.write_only) || block.blocks.values().any(|nb| has_write_only(&nb.block))
}
