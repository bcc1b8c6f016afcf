//! `infra validate`: checks a configuration against the providers' schemas without variable values,
//! state or cloud access. Every variable, resource attribute, `count.index` and `each.*` is unknown, so
//! what is checked is the shape: block and argument names, required arguments, types where values are
//! literal, references to undeclared objects, reference cycles.

use crate::addrs::Mode;
use crate::config::{Config, META_ARGS};
use crate::diag::Diagnostics;
use crate::graph::ConfigGraph;
use crate::lang::decode::decode;
use crate::lang::refs::{Ref, body_refs, expr_refs};
use crate::provider_set::ProviderSet;
use crate::scope::{InstanceScope, ModuleScope};
use infra_provider::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `shape_only` (used before every plan) checks names, blocks, required arguments and literal types
/// without evaluating any expression; the full check (`infra validate`) evaluates with unknowns.
pub fn validate(cfg: Arc<Config>, providers: &ProviderSet, shape_only: bool) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Err(d) = ConfigGraph::build(&cfg) {
        // Evaluating objects in a cycle would only repeat it.
        diags.push(d);
        return diags;
    }
    let scope = ModuleScope::new(cfg.clone(), BTreeMap::new(), "default");
    for r in cfg.resources.values() {
        let schema = match providers.schema(&r.provider.name, &r.addr) {
            Ok(s) => s,
            Err(msg) => {
                diags.error(
                    Some(r.decl_span),
                    if r.addr.mode == Mode::Managed {
                        "Invalid resource type"
                    } else {
                        "Invalid data source"
                    },
                    msg,
                );
                continue;
            }
        };
        let iscope = InstanceScope {
            module: &scope,
            count_index: r.count.as_ref().map(|_| Value::Unknown),
            each: r.for_each.as_ref().map(|_| (Value::Unknown, Value::Unknown)),
        };
        let mut ev = iscope.evaluator();
        ev.shape_only = shape_only;
        for e in [&r.count, &r.for_each].into_iter().flatten().filter(|_| !shape_only) {
            if let Err(d) = scope.evaluator().eval(e) {
                diags.push(d);
            }
        }
        decode(&mut ev, &r.body, &schema.block, META_ARGS, r.decl_span, &mut diags);
    }
    for (key, p) in &cfg.providers {
        match providers.get(&key.name) {
            Some(prov) => {
                let mut ev = scope.evaluator();
                ev.shape_only = shape_only;
                decode(&mut ev, &p.body, &prov.schema().provider, &[], p.span, &mut diags);
            }
            None => diags.error(
                Some(p.span),
                "Unknown provider",
                format!(
                    "infra has no provider named {:?} (available: {}).",
                    key.name,
                    providers.names().join(", ")
                ),
            ),
        }
    }
    for l in cfg.locals.values().filter(|_| !shape_only) {
        if let Err(d) = scope.evaluator().eval(&l.expr) {
            diags.push(d);
        }
    }
    for o in cfg.outputs.values().filter(|_| !shape_only) {
        if let Err(d) = scope.evaluator().eval(&o.value) {
            diags.push(d);
        }
    }
    // References inside unknown values are not walked by evaluation: check them by name.
    let mut refs = Vec::new();
    for r in cfg.resources.values() {
        refs.extend(body_refs(&r.body, META_ARGS));
    }
    for o in cfg.outputs.values() {
        refs.extend(expr_refs(&o.value));
    }
    for (r, span) in refs {
        let missing = match &r {
            Ref::Var(n) => (!cfg.variables.contains_key(n)).then(|| {
                (
                    "Reference to undeclared input variable",
                    format!("An input variable with the name {n:?} has not been declared."),
                )
            }),
            Ref::Local(n) => (!cfg.locals.contains_key(n)).then(|| {
                (
                    "Reference to undeclared local value",
                    format!("A local value with the name {n:?} has not been declared."),
                )
            }),
            Ref::Resource(a) => (!cfg.resources.contains_key(a)).then(|| {
                (
                    "Reference to undeclared resource",
                    format!("A resource {a} has not been declared in the root module."),
                )
            }),
        };
        if let Some((summary, detail)) = missing
            && !diags.0.iter().any(|d| {
                d.span == Some(span)
                    || (d.summary == summary && d.span.is_some_and(|s| s.start <= span.start && span.end <= s.end))
            })
        {
            diags.error(Some(span), summary, detail);
        }
    }
    diags
}
