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
    // Every module's contents, each call once (its instances are not known without the variables).
    let (cfg, d) = crate::config::expand(&cfg, None, "default");
    diags.extend(d);
    requirements(&cfg, providers, &mut diags);
    crate::ephemeral::check(&cfg, providers, &mut diags);
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
                    match r.addr.mode {
                        Mode::Managed => "Invalid resource type",
                        Mode::Data => "Invalid data source",
                        Mode::Ephemeral => "Invalid ephemeral resource type",
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
            // Module calls are checked when the configuration is loaded.
            Ref::Module(_) => None,
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
    // Planning finds these when it evaluates (planned objects have every attribute, known or not);
    // `infra validate` evaluates resources as wholly unknown, so it checks them by the schema.
    if !shape_only {
        attribute_refs(&cfg, providers, &mut diags);
    }
    diags
}

/// References to an attribute the resource type does not have (`aws_subnet.b.idd`), by the type's schema:
/// arguments, nested blocks and exported attributes. A reference whose shape does not fit the resource
/// (an instance key on a resource without count or for_each, or none on one with them) is left to
/// evaluation, which says what is wrong with it.
fn attribute_refs(cfg: &Config, providers: &ProviderSet, diags: &mut Diagnostics) {
    use crate::lang::refs::{body_attr_refs, expr_attr_refs};
    let mut refs = Vec::new();
    for r in cfg.resources.values() {
        refs.extend(body_attr_refs(&r.body, META_ARGS));
        for e in [&r.count, &r.for_each].into_iter().flatten() {
            refs.extend(expr_attr_refs(e));
        }
    }
    for l in cfg.locals.values() {
        refs.extend(expr_attr_refs(&l.expr));
    }
    for o in cfg.outputs.values() {
        refs.extend(expr_attr_refs(&o.value));
    }
    for ar in refs {
        let Some(target) = cfg.resources.get(&ar.resource) else {
            continue;
        };
        let Ok(schema) = providers.schema(&target.provider.name, &ar.resource) else {
            continue;
        };
        let multi = target.count.is_some() || target.for_each.is_some();
        let block = &schema.block;
        if multi != ar.indexed || block.attributes.contains_key(&ar.attr) || block.blocks.contains_key(&ar.attr) {
            continue;
        }
        let names = block.attributes.keys().chain(block.blocks.keys()).map(String::as_str);
        let hint = crate::lang::eval::suggest(&ar.attr, names)
            .map(|k| format!(" Did you mean {k:?}?"))
            .unwrap_or_default();
        if !diags.0.iter().any(|d| d.span == Some(ar.span)) {
            diags.error(
                Some(ar.span),
                "Unsupported attribute",
                format!("This object does not have an attribute named {:?}.{hint}", ar.attr),
            );
        }
    }
}

/// The version of the Terraform language infra implements, checked against `required_version`.
pub const LANGUAGE_VERSION: &str = "1.11.0";

/// `required_version` and `required_providers` (sources and version constraints) against what infra and
/// its providers are.
fn requirements(cfg: &Config, providers: &ProviderSet, diags: &mut Diagnostics) {
    // Every module states its own requirements, as in Terraform.
    for c in cfg.module_calls.values() {
        if let Some(m) = &c.module {
            requirements(m, providers, diags);
        }
    }
    use crate::config::version::{Version, satisfies};
    let ours = Version::parse(LANGUAGE_VERSION).expect("a valid version").0;
    if let (Some(spec), span) = (&cfg.terraform.required_version, cfg.terraform.required_version_span) {
        match satisfies(spec, ours) {
            Ok(true) => {}
            Ok(false) => diags.error(
                span,
                "Unsupported Terraform Core version",
                format!("This configuration requires Terraform {spec}; infra implements the Terraform language of version {LANGUAGE_VERSION}. Change required_version if the configuration works with it."),
            ),
            Err(e) => diags.error(span, "Invalid required_version", format!("{e}.")),
        }
    }
    for (name, req) in &cfg.terraform.provider_requirements {
        let Some(p) = providers.get(name) else {
            diags.error(
                Some(req.span),
                "Unknown provider",
                format!(
                    "The configuration requires provider {name:?}{}, which infra does not include (available: {}).",
                    if req.source.is_empty() {
                        String::new()
                    } else {
                        format!(" from {:?}", req.source)
                    },
                    providers.names().join(", ")
                ),
            );
            continue;
        };
        let source = req.source.to_ascii_lowercase();
        let source = source
            .strip_prefix("registry.terraform.io/")
            .or_else(|| source.strip_prefix("registry.opentofu.org/"))
            .unwrap_or(&source);
        if !source.is_empty() && source != p.source() {
            diags.error(
                Some(req.span),
                "Invalid provider source",
                format!(
                    "Provider {name:?} is required from {:?}, but infra's {name} provider implements {:?}. Did you mean source = {:?}?",
                    req.source,
                    p.source(),
                    p.source()
                ),
            );
            continue;
        }
        if let Some(spec) = &req.version {
            let theirs = Version::parse(p.version()).map(|v| v.0).unwrap_or(Version(0, 0, 0));
            match satisfies(spec, theirs) {
                Ok(true) => {}
                Ok(false) => diags.error(
                    Some(req.span),
                    "Unsupported provider version",
                    format!(
                        "The configuration requires {} {spec}; infra's {name} provider follows {} {}, which does not meet it.",
                        p.source(),
                        p.source(),
                        p.version()
                    ),
                ),
                Err(e) => diags.error(Some(req.span), "Invalid provider version constraint", format!("{e}.")),
            }
        }
    }
}

/// The most instances of one resource whose configurations [`preflight`] evaluates.
const PREFLIGHT_INSTANCES: usize = 256;

/// Everything that can be decided from the configuration and the variables' values, before any provider is
/// configured (so before any cloud call): each resource and data source instance is evaluated with the
/// variables known and every resource attribute unknown, decoded against its schema (types, enumerations,
/// ranges, CIDR blocks, conflicting arguments), and checked by its provider's own rules; `count` and
/// `for_each` are checked where they are known, references to attributes a type does not have and indexes
/// past a known count are errors, `ignore_changes` names must exist, outputs evaluate and say when they are
/// sensitive. What depends on values known only after a refresh or an apply is left to the planner.
pub fn preflight(cfg: Arc<Config>, providers: &ProviderSet, vars: BTreeMap<String, Value>, env: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut scope = ModuleScope::new(cfg.clone(), vars, env);
    scope.impure_unknown = true;
    // Instance keys where count/for_each are known now.
    let mut expansions = BTreeMap::new();
    for r in cfg.resources.values() {
        match crate::plan::planner::expand_instances(&scope, r) {
            Ok(keys) => {
                expansions.insert(r.addr.clone(), keys);
            }
            Err(d) => diags.push(d),
        }
    }
    // Every resource as a value of unknown attributes, shaped like its instances: references to attributes
    // its type does not have, and indexes past a known count, fail as they will in the plan.
    for r in cfg.resources.values() {
        let Ok(schema) = providers.schema(&r.provider.name, &r.addr) else {
            continue;
        };
        let one = skeleton(&schema.block);
        let v = match expansions.get(&r.addr) {
            Some(Some(keys)) if r.count.is_some() => Value::List(keys.iter().map(|_| one.clone()).collect()),
            Some(Some(keys)) if r.for_each.is_some() => Value::Map(
                keys.iter()
                    .filter_map(|(k, _)| match k {
                        crate::addrs::InstanceKey::Str(k) => Some((k.clone(), one.clone())),
                        _ => None,
                    })
                    .collect(),
            ),
            Some(Some(_)) => one,
            _ => Value::Unknown,
        };
        scope.set_resource(r.addr.clone(), v);
    }
    for r in cfg.resources.values() {
        let Ok(schema) = providers.schema(&r.provider.name, &r.addr) else {
            continue;
        };
        if let crate::config::IgnoreChanges::Paths(paths) = &r.lifecycle.ignore_changes {
            for (p, span) in paths.iter().zip(&r.lifecycle.ignore_spans) {
                if let Some(first) = p.first_attr()
                    && !schema.block.attributes.contains_key(first)
                    && !schema.block.blocks.contains_key(first)
                {
                    let hint = crate::lang::eval::suggest(
                        first,
                        schema
                            .block
                            .attributes
                            .keys()
                            .chain(schema.block.blocks.keys())
                            .map(String::as_str),
                    )
                    .map(|k| format!(" Did you mean {k:?}?"))
                    .unwrap_or_default();
                    diags.error(
                        Some(*span),
                        "Unsupported attribute",
                        format!("{} has no attribute {first:?} to ignore changes of.{hint}", r.addr),
                    );
                }
            }
        }
        // (count.index, (each.key, each.value)) of each instance evaluated.
        type Evaluated = (Option<Value>, Option<(Value, Value)>);
        let instances: Vec<Evaluated> = match expansions.get(&r.addr) {
            Some(Some(keys)) => keys
                .iter()
                .take(PREFLIGHT_INSTANCES)
                .map(|(k, each)| match k {
                    crate::addrs::InstanceKey::Int(i) => (Some(Value::int(i.to_owned())), None),
                    crate::addrs::InstanceKey::Str(s) => (
                        None,
                        Some((Value::string(s.clone()), each.clone().unwrap_or(Value::Unknown))),
                    ),
                    crate::addrs::InstanceKey::None => (None, None),
                })
                .collect(),
            // Not known yet: one instance with an unknown index or key.
            _ => vec![(
                r.count.as_ref().map(|_| Value::Unknown),
                r.for_each.as_ref().map(|_| (Value::Unknown, Value::Unknown)),
            )],
        };
        let provider = providers.get(&r.provider.name);
        for (count_index, each) in instances {
            let iscope = InstanceScope {
                module: &scope,
                count_index,
                each,
            };
            let mut ev = iscope.evaluator();
            let mut d = Diagnostics::new();
            let value = decode(&mut ev, &r.body, &schema.block, META_ARGS, r.decl_span, &mut d);
            let failed = d.has_errors();
            for x in d.0 {
                if !diags.0.contains(&x) {
                    diags.push(x);
                }
            }
            if failed || r.addr.mode != Mode::Managed {
                continue;
            }
            let Some(provider) = provider else { continue };
            let (value, _) = value.unmark_deep();
            for bad in provider.validate_resource(&r.addr.type_name, &value) {
                let detail = format!("{}: {}", r.addr, bad.message);
                let x = match &bad.attribute {
                    Some(a) => crate::lang::decode::attr_error(
                        &r.body,
                        a,
                        r.decl_span,
                        "Invalid resource configuration",
                        detail,
                    ),
                    None => crate::diag::Diagnostic::error(Some(r.decl_span), "Invalid resource configuration", detail),
                };
                if !diags.0.contains(&x) {
                    diags.push(x);
                }
            }
        }
    }
    for l in cfg.locals.values() {
        if let Err(d) = scope.evaluator().eval(&l.expr)
            && !diags.0.contains(&d)
        {
            diags.push(d);
        }
    }
    for (name, o) in &cfg.outputs {
        match scope.evaluator().eval(&o.value) {
            Err(d) => {
                if !diags.0.contains(&d) {
                    diags.push(d);
                }
            }
            Ok(v) => {
                if v.unmark_deep().1 && !o.sensitive {
                    diags.error(
                        Some(o.span),
                        "Output refers to sensitive values",
                        format!("To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, infra requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent. Add sensitive = true to output {name:?}."),
                    );
                }
            }
        }
    }
    // In the order they are written.
    diags.0.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
    diags
}

/// A value of unknown attributes for a schema, sensitive ones marked.
fn skeleton(block: &infra_provider::Block) -> Value {
    let mut m = BTreeMap::new();
    for (name, a) in &block.attributes {
        m.insert(name.clone(), Value::Unknown.mark_if(a.sensitive));
    }
    for (name, b) in &block.blocks {
        m.insert(
            name.clone(),
            match b.nesting {
                infra_provider::Nesting::Single => skeleton(&b.block),
                _ => Value::Unknown,
            },
        );
    }
    Value::Map(m)
}
