//! `infra plan --json`: one JSON document describing the plan in Terraform's JSON plan format
//! (`terraform show -json`), so that tools made for it read it unchanged (Infracost, OPA/conftest,
//! checkov): `format_version`, `terraform_version`, `variables`, `planned_values`, `resource_changes`
//! (`change.{actions,before,after,after_unknown,before_sensitive,after_sensitive}`, `action_reason` with
//! Terraform's values), `resource_drift`, `relevant_attributes`, `output_changes`, `prior_state`,
//! `configuration`, `applyable`, `complete`, `errored`, `timestamp`; `provider_name` is the registry
//! address. Unknown values are left out of `after` and flagged in `after_unknown`, as Terraform does.
//! infra adds `replace_paths` (what forces each replacement), `infra_reason`, `cost`, `summary`, `notes`.
//!
//! Sensitive values are never printed: they are replaced by null (or left out) and flagged in the
//! `*_sensitive` masks — unlike Terraform, also the values of sensitive input variables.

use super::{Action, Plan, Reason, ResourceChange};
use crate::addrs::{InstanceAddr, InstanceKey, Mode, ModulePath, ProviderKey};
use crate::config::Config;
use crate::lang::ast::{Body, Expr};
use crate::lang::refs::{Ref, expr_attr_refs, expr_refs};
use crate::provider_set::ProviderSet;
use crate::state::ResourceInstance;
use infra_provider::{Block, Path, PathStep, Type, Value};
use serde_json::{Map, Value as J, json};
use std::collections::BTreeMap;

fn actions(c: &ResourceChange) -> Vec<&'static str> {
    match (c.action, c.create_before_destroy) {
        (Action::NoOp, _) => vec!["no-op"],
        (Action::Create, _) => vec!["create"],
        (Action::Read, _) => vec!["read"],
        (Action::Update, _) => vec!["update"],
        (Action::Delete, _) => vec!["delete"],
        (Action::Replace, false) => vec!["delete", "create"],
        (Action::Replace, true) => vec!["create", "delete"],
    }
}

/// The value with sensitive paths nulled, and the sensitivity mask.
pub fn redact(v: &Value, sensitive: &[Path]) -> (J, J) {
    let (plain, mask) = nulled(v, sensitive);
    (plain.to_json(), mask)
}

/// The value with its sensitive paths set to null, and the sensitivity mask (the whole value, when a
/// path is the root).
fn nulled(v: &Value, sensitive: &[Path]) -> (Value, J) {
    if sensitive.iter().any(Path::is_root) {
        return (Value::Null, J::Bool(true));
    }
    let mut plain = v.clone();
    let mut mask = J::Bool(false);
    for p in sensitive {
        if let Some(slot) = plain.get_path_mut(p) {
            *slot = Value::Null;
            set_mask(&mut mask, &p.0);
        }
    }
    (plain, mask)
}

fn set_mask(mask: &mut J, steps: &[PathStep]) {
    let Some((first, rest)) = steps.split_first() else {
        *mask = J::Bool(true);
        return;
    };
    match first {
        PathStep::Key(k) => {
            if !mask.is_object() {
                *mask = json!({});
            }
            let entry = mask
                .as_object_mut()
                .expect("object")
                .entry(k.clone())
                .or_insert(J::Bool(false));
            set_mask(entry, rest);
        }
        PathStep::Index(i) => {
            if !mask.is_array() {
                *mask = json!([]);
            }
            let arr = mask.as_array_mut().expect("array");
            while arr.len() <= *i {
                arr.push(J::Bool(false));
            }
            set_mask(&mut arr[*i], rest);
        }
    }
}

fn path_json(p: &Path) -> J {
    J::Array(
        p.0.iter()
            .map(|s| match s {
                PathStep::Key(k) => J::String(k.clone()),
                PathStep::Index(i) => J::from(*i),
            })
            .collect(),
    )
}

/// A value as Terraform writes a planned one: unknown attributes left out of objects (they are flagged
/// in `after_unknown`), unknown elements of lists as null.
pub fn known_json(v: &Value) -> J {
    match v {
        Value::Unknown => J::Null,
        Value::Sensitive(inner) => known_json(inner),
        Value::List(items) | Value::Set(items) => J::Array(items.iter().map(known_json).collect()),
        Value::Map(m) => J::Object(
            m.iter()
                .filter(|(_, x)| !x.is_unknown())
                .map(|(k, x)| (k.clone(), known_json(x)))
                .collect(),
        ),
        other => other.to_json(),
    }
}

/// An object with the zero values Terraform's SDK gives the unset arguments of nested blocks (`""`,
/// `0`, `false`, `[]`): where infra stores null, Terraform's JSON plan has the zero value, and tools
/// that read it (checkov's security group checks, for one) stop at a null list.
fn with_block_zeros(block: &Block, v: &Value) -> Value {
    let Value::Map(m) = v else { return v.clone() };
    let mut out = m.clone();
    for (name, nb) in &block.blocks {
        let Some(items) = m.get(name) else { continue };
        let fill = |item: &Value| {
            let mut item = with_block_zeros(&nb.block, item);
            if let Value::Map(fields) = &mut item {
                for (k, attr) in &nb.block.attributes {
                    let zero = match attr.ty() {
                        Type::String => Value::string(""),
                        Type::Number => Value::int(0),
                        Type::Bool => Value::Bool(false),
                        Type::List(_) | Type::Set(_) | Type::Tuple(_) => Value::List(Vec::new()),
                        Type::Map(_) | Type::Object(_) => Value::empty_map(),
                        Type::Any => continue,
                    };
                    let slot = fields.entry(k.clone()).or_insert(Value::Null);
                    if slot.is_null() {
                        *slot = zero;
                    }
                }
            }
            item
        };
        let filled = match items {
            Value::List(xs) => Value::List(xs.iter().map(fill).collect()),
            Value::Set(xs) => Value::Set(xs.iter().map(fill).collect()),
            one @ Value::Map(_) => fill(one),
            other => other.clone(),
        };
        out.insert(name.clone(), filled);
    }
    Value::Map(out)
}

/// A planned or stored object as the JSON plan writes it: block zeros filled in, sensitive values
/// nulled, unknown values left out; and its sensitivity mask.
fn object_json(
    providers: &ProviderSet,
    provider: &ProviderKey,
    addr: &InstanceAddr,
    v: &Value,
    sensitive: &[Path],
) -> (J, J) {
    let v = match providers.schema(&provider.name, &addr.resource) {
        Ok(s) => with_block_zeros(&s.block, v),
        Err(_) => v.clone(),
    };
    redact_known(&v, sensitive)
}

/// Like [`redact`], with unknown values left out (see [`known_json`]).
fn redact_known(v: &Value, sensitive: &[Path]) -> (J, J) {
    let (plain, mask) = nulled(v, sensitive);
    (known_json(&plain), mask)
}

/// Terraform's `action_reason` for a change, where Terraform has one.
fn terraform_reason(c: &ResourceChange) -> Option<&'static str> {
    Some(match (&c.reason, c.action) {
        (Some(Reason::Tainted), _) => "replace_because_tainted",
        (Some(Reason::ReplaceRequested), _) => "replace_by_request",
        (Some(Reason::NoResourceConfig), _) => "delete_because_no_resource_config",
        (Some(Reason::NoModule), _) => "delete_because_no_module",
        (Some(Reason::NoInstanceKey), _) => match c.addr.key {
            InstanceKey::Int(_) => "delete_because_count_index",
            InstanceKey::Str(_) => "delete_because_each_key",
            InstanceKey::None => "delete_because_wrong_repetition",
        },
        (None, Action::Replace) => "replace_because_cannot_update",
        (_, Action::Read) => "read_because_config_unknown",
        _ => return None,
    })
}

/// What a provider configuration is called in a JSON plan: its registry address
/// (`registry.terraform.io/hashicorp/aws`), as Terraform writes `provider_name`.
fn provider_name(providers: &ProviderSet, key: &ProviderKey) -> String {
    match providers.get(&key.name) {
        Some(p) => format!("registry.terraform.io/{}", p.source()),
        None => key.name.clone(),
    }
}

fn schema_version(providers: &ProviderSet, key: &ProviderKey, addr: &InstanceAddr) -> u64 {
    providers
        .schema(&key.name, &addr.resource)
        .map(|s| s.terraform_version)
        .unwrap_or(0)
}

fn mode_name(m: Mode) -> &'static str {
    if m == Mode::Data { "data" } else { "managed" }
}

/// The fields every resource entry starts with.
fn resource_head(addr: &InstanceAddr, provider: &ProviderKey, providers: &ProviderSet) -> Map<String, J> {
    let mut j = Map::new();
    j.insert("address".into(), J::from(addr.to_string()));
    if !addr.resource.module.is_root() {
        j.insert("module_address".into(), J::from(addr.resource.module.to_string()));
    }
    j.insert("mode".into(), J::from(mode_name(addr.resource.mode)));
    j.insert("type".into(), J::from(addr.resource.type_name.clone()));
    j.insert("name".into(), J::from(addr.resource.name.clone()));
    match &addr.key {
        InstanceKey::None => {}
        InstanceKey::Int(i) => {
            j.insert("index".into(), J::from(*i));
        }
        InstanceKey::Str(s) => {
            j.insert("index".into(), J::from(s.clone()));
        }
    }
    j.insert("provider_name".into(), J::from(provider_name(providers, provider)));
    j
}

/// A sensitivity mask as `sensitive_values`: always an object for an object (`{}` when nothing is).
fn sensitive_values(mask: J) -> J {
    match mask {
        J::Bool(false) => json!({}),
        other => other,
    }
}

pub fn change_json(
    c: &ResourceChange,
    providers: &ProviderSet,
    moved: &[(InstanceAddr, InstanceAddr)],
    imported: &[(InstanceAddr, String)],
) -> J {
    let (before, before_sensitive) = c
        .before
        .as_ref()
        .map(|v| object_json(providers, &c.provider, &c.addr, v, &c.before_sensitive))
        .unwrap_or((J::Null, J::Bool(false)));
    let (after, after_sensitive) = c
        .after
        .as_ref()
        .map(|v| object_json(providers, &c.provider, &c.addr, v, &c.after_sensitive))
        .unwrap_or((J::Null, J::Bool(false)));
    let after_unknown = c.after.as_ref().map(|v| v.unknown_mask()).unwrap_or(J::Bool(false));
    let mut j = J::Object(resource_head(&c.addr, &c.provider, providers));
    if let Some((from, _)) = moved.iter().find(|(_, to)| *to == c.addr) {
        j["previous_address"] = J::from(from.to_string());
    }
    j["change"] = json!({
            "actions": actions(c),
            "before": before,
            "after": after,
            "after_unknown": after_unknown,
            "before_sensitive": before_sensitive,
            "after_sensitive": after_sensitive,
            "replace_paths": c.replace_paths.iter().map(path_json).collect::<Vec<_>>(),
    });
    if let Some(r) = terraform_reason(c) {
        j["action_reason"] = J::from(r);
    }
    if let Some(r) = &c.reason {
        j["infra_reason"] = serde_json::to_value(r).unwrap_or(J::Null);
    }
    if let Some(d) = &c.deposed {
        j["deposed"] = J::from(d.clone());
    }
    if let Some((_, id)) = imported.iter().find(|(a, _)| *a == c.addr) {
        j["change"]["importing"] = json!({"id": id});
    }
    j
}

/// Resource entries as Terraform nests them: the root module's `resources`, and `child_modules` each with
/// its `address`, its own resources and its children.
fn module_tree(entries: Vec<(ModulePath, J)>) -> J {
    fn build(depth: usize, prefix: &ModulePath, entries: Vec<(ModulePath, J)>) -> Map<String, J> {
        let mut own = Vec::new();
        let mut children: BTreeMap<ModulePath, Vec<(ModulePath, J)>> = BTreeMap::new();
        for (p, j) in entries {
            if p.0.len() == depth {
                own.push(j);
            } else {
                children
                    .entry(ModulePath(p.0[..=depth].to_vec()))
                    .or_default()
                    .push((p, j));
            }
        }
        let mut m = Map::new();
        if !prefix.is_root() {
            m.insert("address".into(), J::from(prefix.to_string()));
        }
        m.insert("resources".into(), J::Array(own));
        if !children.is_empty() {
            m.insert(
                "child_modules".into(),
                J::Array(
                    children
                        .into_iter()
                        .map(|(p, es)| J::Object(build(depth + 1, &p, es)))
                        .collect(),
                ),
            );
        }
        m
    }
    J::Object(build(0, &ModulePath::root(), entries))
}

/// The values of state objects, as `prior_state.values.root_module.resources`.
fn state_resources<'a>(
    objects: impl Iterator<Item = (&'a InstanceAddr, &'a ResourceInstance)>,
    providers: &ProviderSet,
) -> Vec<(ModulePath, J)> {
    objects
        .map(|(addr, inst)| {
            let (values, mask) = object_json(providers, &inst.provider, addr, &inst.value, &inst.sensitive_paths);
            let mut j = resource_head(addr, &inst.provider, providers);
            j.insert(
                "schema_version".into(),
                J::from(schema_version(providers, &inst.provider, addr)),
            );
            j.insert("values".into(), values);
            j.insert("sensitive_values".into(), sensitive_values(mask));
            (addr.resource.module.clone(), J::Object(j))
        })
        .collect()
}

/// An expression as Terraform's configuration representation: a literal as `constant_value` (left out
/// where it is sensitive), anything else as the `references` it makes.
fn expression(e: &Expr, sensitive: bool) -> J {
    if let Some(v) = e.as_literal() {
        return if sensitive {
            json!({})
        } else {
            json!({"constant_value": v.to_json()})
        };
    }
    let mut refs: Vec<String> = Vec::new();
    let mut push = |r: String| {
        if !refs.contains(&r) {
            refs.push(r);
        }
    };
    let attrs = expr_attr_refs(e);
    for (r, _) in expr_refs(e) {
        match r {
            Ref::Var(n) => push(format!("var.{n}")),
            Ref::Local(n) => push(format!("local.{n}")),
            Ref::Module(n) => push(format!("module.{n}")),
            Ref::Resource(a) => {
                for ar in attrs.iter().filter(|ar| ar.resource == a) {
                    push(format!("{a}.{}", ar.attr));
                }
                push(a.to_string());
            }
        }
    }
    json!({"references": refs})
}

/// A body's arguments and nested blocks as `expressions`.
fn expressions(body: &Body, block: Option<&Block>, skip: &[&str]) -> J {
    let mut out = Map::new();
    for a in body.attrs.iter().filter(|a| !skip.contains(&a.name.as_str())) {
        let sensitive = block
            .and_then(|b| b.attributes.get(&a.name))
            .is_some_and(|x| x.sensitive);
        out.insert(a.name.clone(), expression(&a.expr, sensitive));
    }
    for b in &body.blocks {
        let (name, inner) = if b.kind == "dynamic" {
            let name = b.labels.first().map(|l| l.0.clone()).unwrap_or_default();
            (name, b.body.blocks_of("content").next().map(|c| &c.body))
        } else {
            (b.kind.clone(), Some(&b.body))
        };
        let nested = block.and_then(|x| x.blocks.get(&name)).map(|nb| &nb.block);
        let entry = out.entry(name).or_insert_with(|| json!([]));
        if let (Some(inner), Some(list)) = (inner, entry.as_array_mut()) {
            list.push(expressions(inner, nested, &[]));
        }
    }
    J::Object(out)
}

/// `configuration`: the root module's providers, resources, variables and outputs.
fn configuration(cfg: &Config, providers: &ProviderSet) -> J {
    let mut provider_config = Map::new();
    let mut keys: Vec<ProviderKey> = cfg.providers.keys().cloned().collect();
    for r in cfg.resources.values() {
        if !keys.contains(&r.provider) {
            keys.push(r.provider.clone());
        }
    }
    for k in keys {
        let mut p = Map::new();
        p.insert("name".into(), J::from(k.name.clone()));
        p.insert("full_name".into(), J::from(provider_name(providers, &k)));
        if let Some(a) = &k.alias {
            p.insert("alias".into(), J::from(a.clone()));
        }
        if let Some(block) = cfg.providers.get(&k) {
            let schema = providers.get(&k.name).map(|x| &x.schema().provider);
            p.insert("expressions".into(), expressions(&block.body, schema, &["alias"]));
        }
        provider_config.insert(k.to_string(), J::Object(p));
    }
    json!({
        "provider_config": provider_config,
        "root_module": module_configuration(cfg, providers),
    })
}

/// One module's configuration: resources, variables, outputs and `module_calls` (each with the called
/// module's configuration).
fn module_configuration(cfg: &Config, providers: &ProviderSet) -> J {
    let resources: Vec<J> = cfg
        .resources
        .values()
        .map(|r| {
            let schema = providers.schema(&r.provider.name, &r.addr).ok();
            let mut j = Map::new();
            j.insert("address".into(), J::from(r.addr.to_string()));
            j.insert("mode".into(), J::from(mode_name(r.addr.mode)));
            j.insert("type".into(), J::from(r.addr.type_name.clone()));
            j.insert("name".into(), J::from(r.addr.name.clone()));
            j.insert("provider_config_key".into(), J::from(r.provider.to_string()));
            j.insert(
                "expressions".into(),
                expressions(&r.body, schema.map(|s| &s.block), crate::config::META_ARGS),
            );
            j.insert(
                "schema_version".into(),
                J::from(schema.map_or(0, |s| s.terraform_version)),
            );
            if let Some(e) = &r.count {
                j.insert("count_expression".into(), expression(e, false));
            }
            if let Some(e) = &r.for_each {
                j.insert("for_each_expression".into(), expression(e, false));
            }
            if !r.depends_on.is_empty() {
                j.insert(
                    "depends_on".into(),
                    J::Array(r.depends_on.iter().map(|(a, _)| J::from(a.to_string())).collect()),
                );
            }
            J::Object(j)
        })
        .collect();
    let variables: Map<String, J> = cfg
        .variables
        .values()
        .map(|v| {
            let mut j = Map::new();
            if let Some(d) = &v.default
                && !v.sensitive
            {
                j.insert("default".into(), d.to_json());
            }
            if let Some(d) = &v.description {
                j.insert("description".into(), J::from(d.clone()));
            }
            if v.sensitive {
                j.insert("sensitive".into(), J::Bool(true));
            }
            (v.name.clone(), J::Object(j))
        })
        .collect();
    let outputs: Map<String, J> = cfg
        .outputs
        .values()
        .map(|o| {
            let mut j = Map::new();
            j.insert("expression".into(), expression(&o.value, o.sensitive));
            if o.sensitive {
                j.insert("sensitive".into(), J::Bool(true));
            }
            if let Some(d) = &o.description {
                j.insert("description".into(), J::from(d.clone()));
            }
            (o.name.clone(), J::Object(j))
        })
        .collect();
    let calls: Map<String, J> = cfg
        .module_calls
        .values()
        .map(|c| {
            let mut j = Map::new();
            j.insert("source".into(), J::from(c.source.clone()));
            let mut ex = Map::new();
            for a in &c.args {
                let sensitive = c
                    .module
                    .as_ref()
                    .and_then(|m| m.variables.get(&a.name))
                    .is_some_and(|v| v.sensitive);
                ex.insert(a.name.clone(), expression(&a.expr, sensitive));
            }
            j.insert("expressions".into(), J::Object(ex));
            if let Some(e) = &c.count {
                j.insert("count_expression".into(), expression(e, false));
            }
            if let Some(e) = &c.for_each {
                j.insert("for_each_expression".into(), expression(e, false));
            }
            if let Some(m) = &c.module {
                j.insert("module".into(), module_configuration(m, providers));
            }
            (c.name.clone(), J::Object(j))
        })
        .collect();
    let mut root = json!({"resources": resources, "variables": variables, "outputs": outputs});
    if !calls.is_empty() {
        root["module_calls"] = J::Object(calls);
    }
    root
}

/// The whole document. `cost` is added by the caller when priced.
pub fn plan_json(plan: &Plan, providers: &ProviderSet) -> J {
    let s = plan.summary();
    // The configuration the plan was made from (a saved plan carries its sources).
    let (cfg, _) = Config::load_saved(&plan.config_dir, &plan.sources);
    let outputs: serde_json::Map<String, J> = plan
        .outputs
        .iter()
        .map(|o| {
            let acts = match (&o.before, &o.after) {
                (None, Some(_)) => vec!["create"],
                (Some(_), None) => vec!["delete"],
                (b, a) if b == a => vec!["no-op"],
                _ => vec!["update"],
            };
            let show = |v: &Option<Value>| {
                if o.sensitive {
                    J::Null
                } else {
                    v.as_ref().map(known_json).unwrap_or(J::Null)
                }
            };
            (
                o.name.clone(),
                json!({
                    "actions": acts,
                    "before": show(&o.before),
                    "after": show(&o.after),
                    "after_unknown": o.after.as_ref().map(|v| v.unknown_mask()).unwrap_or(J::Bool(false)),
                    "before_sensitive": o.sensitive,
                    "after_sensitive": o.sensitive,
                }),
            )
        })
        .collect();
    let planned_resources: Vec<(ModulePath, J)> = plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_none())
        .filter_map(|c| {
            let after = c.after.as_ref()?;
            let (values, mask) = object_json(providers, &c.provider, &c.addr, after, &c.after_sensitive);
            let mut j = resource_head(&c.addr, &c.provider, providers);
            j.insert(
                "schema_version".into(),
                J::from(schema_version(providers, &c.provider, &c.addr)),
            );
            j.insert("values".into(), values);
            j.insert("sensitive_values".into(), sensitive_values(mask));
            Some((c.addr.resource.module.clone(), J::Object(j)))
        })
        .collect();
    let planned_outputs: Map<String, J> = plan
        .outputs
        .iter()
        .filter_map(|o| {
            let after = o.after.as_ref()?;
            let mut j = Map::new();
            j.insert("sensitive".into(), J::Bool(o.sensitive));
            if !o.sensitive && !after.is_unknown() {
                j.insert("value".into(), known_json(after));
            }
            Some((o.name.clone(), J::Object(j)))
        })
        .collect();
    let prior_outputs: Map<String, J> = plan
        .prior
        .outputs
        .iter()
        .map(|(k, o)| {
            let mut j = Map::new();
            j.insert("sensitive".into(), J::Bool(o.sensitive));
            if !o.sensitive {
                j.insert("value".into(), known_json(&o.value));
            }
            (k.clone(), J::Object(j))
        })
        .collect();
    // Every declared variable with the value the plan used (given, else its default), as Terraform
    // writes them; a sensitive one without its value; an ephemeral one not at all.
    let variables: Map<String, J> = cfg
        .variables
        .values()
        .filter(|d| !d.ephemeral)
        .map(|d| {
            let v = plan.variables.get(&d.name).or(d.default.as_ref());
            let j = match v {
                _ if d.sensitive => json!({}),
                Some(v) if v.is_marked() => json!({}),
                Some(v) => json!({"value": known_json(v)}),
                None => json!({"value": null}),
            };
            (d.name.clone(), j)
        })
        .collect();
    let relevant: Vec<J> = plan
        .drift
        .iter()
        .flat_map(|d| {
            let keys: Vec<String> = match (&d.before, &d.after) {
                (Value::Map(b), Some(Value::Map(a))) => b
                    .keys()
                    .chain(a.keys())
                    .filter(|k| b.get(*k) != a.get(*k))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            let addr = d.addr.to_string();
            keys.into_iter()
                .map(move |k| json!({"resource": addr.clone(), "attribute": [k]}))
        })
        .collect();
    let drift: Vec<J> = plan
        .drift
        .iter()
        .map(|d| {
            let (before, bs) = redact(&d.before, &d.sensitive);
            let (after, _) = d
                .after
                .as_ref()
                .map(|a| redact(a, &d.sensitive))
                .unwrap_or((J::Null, J::Bool(false)));
            let provider = plan
                .prior
                .resources
                .get(&d.addr)
                .map(|i| i.provider.clone())
                .unwrap_or_else(|| ProviderKey::default_for(d.addr.resource.implied_provider()));
            let mut j = J::Object(resource_head(&d.addr, &provider, providers));
            j["change"] = json!({"actions": [if d.after.is_some() { "update" } else { "delete" }], "before": before, "after": after, "before_sensitive": bs, "after_sensitive": bs});
            j
        })
        .collect();
    json!({
        "format_version": "1.2",
        "terraform_version": crate::validate::LANGUAGE_VERSION,
        "infra_version": env!("CARGO_PKG_VERSION"),
        "environment": plan.env,
        "mode": plan.mode,
        "variables": variables,
        "planned_values": {"outputs": planned_outputs, "root_module": module_tree(planned_resources)},
        "resource_drift": drift,
        "resource_changes": plan.changes.iter().map(|c| change_json(c, providers, &plan.moved, &plan.imported)).collect::<Vec<_>>(),
        "infra_forgotten": plan.forgotten.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "relevant_attributes": relevant,
        "output_changes": outputs,
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": crate::validate::LANGUAGE_VERSION,
            "values": {
                "outputs": prior_outputs,
                "root_module": module_tree(state_resources(plan.prior.resources.iter(), providers)),
            },
        },
        "configuration": configuration(&cfg, providers),
        "applyable": plan.has_changes(),
        "complete": plan.targets.is_empty(),
        "errored": false,
        "timestamp": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "notes": plan.notes,
        "summary": {"add": s.add, "change": s.change, "destroy": s.destroy, "read": s.read},
        "has_changes": plan.has_changes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_nulls_values_and_flags_them() {
        let v = Value::map([("user", Value::from("app")), ("password", Value::from("hunter2"))]);
        let (plain, mask) = redact(&v, &[Path::attr("password")]);
        assert_eq!(plain, json!({"user": "app", "password": null}));
        assert_eq!(mask, json!({"password": true}));
        assert!(!plain.to_string().contains("hunter2"));
    }
}
