//! The generic, schema-driven part of every diff.
//!
//! Given the prior object and the configuration, [`propose`] computes the planned object and the paths
//! that force replacement:
//! - an attribute the configuration sets takes the configured value — unless it is *equivalent* to the
//!   prior one (null vs empty collection, JSON documents with the same meaning, case-insensitive names),
//!   in which case the prior representation is kept so no spurious change shows;
//! - a computed attribute the configuration leaves null keeps its prior value, or is unknown on create;
//! - a `force_new` attribute (or a change inside a `force_new` block) whose planned value differs from the
//!   prior one forces replacement and is named in the plan.
//!
//! [`conform`] normalizes stored or returned objects to the schema's shape (sets as sets, every attribute
//! present), and [`mark_sensitive`] marks schema-sensitive attributes.

use crate::config::IgnoreChanges;
use infra_provider::{Attribute, Block, Nesting, Path, PathStep, Value, convert};
use std::collections::BTreeMap;

/// The proposal for one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub planned: Value,
    pub replace_paths: Vec<Path>,
}

/// Applies `ignore_changes` to a configuration value: ignored paths take the prior value.
pub fn apply_ignore_changes(config: &mut Value, prior: Option<&Value>, ignore: &IgnoreChanges) {
    let Some(prior) = prior else { return };
    match ignore {
        IgnoreChanges::None => {}
        IgnoreChanges::All => {
            if let (Value::Map(c), Value::Map(p)) = (config, prior) {
                for (k, v) in c.iter_mut() {
                    if let Some(pv) = p.get(k) {
                        *v = pv.clone();
                    }
                }
            }
        }
        IgnoreChanges::Paths(paths) => {
            for path in paths {
                let pv = prior.get_path(path).cloned();
                match (config.get_path_mut(path), pv) {
                    (Some(slot), Some(pv)) => *slot = pv,
                    (Some(slot), None) => *slot = Value::Null,
                    (None, Some(pv)) => {
                        // The configuration does not have the key (e.g. a map entry): add it.
                        if let Some((last, parent)) = path.0.split_last()
                            && let (PathStep::Key(k), Some(Value::Map(m))) =
                                (last, config.get_path_mut(&Path(parent.to_vec())))
                        {
                            m.insert(k.clone(), pv);
                        }
                    }
                    (None, None) => {}
                }
            }
        }
    }
}

/// Proposes the planned object. `prior` is `None` when creating.
pub fn propose(schema: &Block, prior: Option<&Value>, config: &Value) -> Proposal {
    let mut replace = Vec::new();
    let planned = merge_block(schema, prior, config, &Path::root(), &mut replace);
    Proposal {
        planned,
        replace_paths: replace,
    }
}

fn merge_block(block: &Block, prior: Option<&Value>, config: &Value, at: &Path, replace: &mut Vec<Path>) -> Value {
    if config.is_unknown() {
        return Value::Unknown;
    }
    let mut out = BTreeMap::new();
    for (name, attr) in &block.attributes {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        if attr.write_only {
            // Never compared with the prior object (which never holds it): planned as null, sent only
            // by apply (see `crate::ephemeral`).
            out.insert(name.clone(), cfg);
            continue;
        }
        let pri = prior.and_then(|p| p.get(name));
        let planned = if cfg.is_null() && attr.computed {
            match pri {
                Some(p) => p.clone(),
                None => Value::Unknown,
            }
        } else {
            match pri {
                Some(p) if equivalent(attr, p, &cfg) => p.clone(),
                _ => cfg,
            }
        };
        if attr.force_new
            && let Some(p) = pri
            && prior.is_some()
            && !equivalent(attr, p, &planned)
        {
            replace.push(at.key(name));
        }
        out.insert(name.clone(), planned);
    }
    for (name, nb) in &block.blocks {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let pri = prior.and_then(|p| p.get(name));
        let cfg_empty = is_empty_or_null(&cfg);
        let path = at.key(name);
        let mut inner_replace = Vec::new();
        let planned = if nb.computed && cfg_empty && prior.is_some() {
            pri.cloned().unwrap_or(Value::Null)
        } else if (nb.computed && cfg_empty) || cfg.is_unknown() {
            Value::Unknown
        } else {
            match nb.nesting {
                Nesting::Single => {
                    if cfg.is_null() {
                        Value::Null
                    } else {
                        let p = pri.filter(|p| matches!(p, Value::Map(_)));
                        merge_block(
                            &nb.block,
                            p.or(prior.map(|_| &Value::Null)).filter(|v| !v.is_null()),
                            &cfg,
                            &path,
                            &mut inner_replace,
                        )
                    }
                }
                Nesting::List => {
                    let items = cfg.as_list().unwrap_or(&[]);
                    let prior_items = pri.and_then(Value::as_list).unwrap_or(&[]);
                    Value::List(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, c)| {
                                merge_block(&nb.block, prior_items.get(i), c, &path.index(i), &mut inner_replace)
                            })
                            .collect(),
                    )
                }
                Nesting::Set => {
                    let items = cfg.as_list().unwrap_or(&[]);
                    let prior_items = pri.and_then(Value::as_list).unwrap_or(&[]);
                    let mut out_items = Vec::with_capacity(items.len());
                    for c in items {
                        // Match the prior element with the same configured attributes, so computed
                        // attributes inside set elements carry over.
                        let matching = prior_items.iter().find(|p| same_configured(&nb.block, p, c));
                        let mut ignore = Vec::new();
                        out_items.push(merge_block(&nb.block, matching, c, &path, &mut ignore));
                    }
                    Value::set(out_items)
                }
            }
        };
        // Nested force_new attributes only count when the parent object existed.
        if prior.is_some() {
            let changed = match pri {
                Some(p) => !blocks_equivalent(&nb.block, p, &planned),
                None => !is_empty_or_null(&planned),
            };
            if nb.force_new && changed {
                replace.push(path.clone());
            } else if changed {
                match nb.nesting {
                    Nesting::Set => {
                        if block_has_force_new(&nb.block) && set_force_new_changed(&nb.block, pri, &planned) {
                            replace.push(path.clone());
                        }
                    }
                    _ => replace.extend(inner_replace),
                }
            }
        }
        out.insert(name.clone(), planned);
    }
    Value::Map(out)
}

fn block_has_force_new(b: &Block) -> bool {
    b.attributes.values().any(|a| a.force_new)
        || b.blocks
            .values()
            .any(|nb| nb.force_new || block_has_force_new(&nb.block))
}

fn set_force_new_changed(b: &Block, prior: Option<&Value>, planned: &Value) -> bool {
    // Project each element onto its force_new attributes and compare the projections.
    let project = |v: &Value| -> Vec<Value> {
        v.as_list()
            .unwrap_or(&[])
            .iter()
            .map(|e| {
                Value::map(
                    b.attributes
                        .iter()
                        .filter(|(_, a)| a.force_new)
                        .map(|(k, _)| (k.clone(), e.get(k).cloned().unwrap_or(Value::Null))),
                )
            })
            .collect()
    };
    let mut a = prior.map(project).unwrap_or_default();
    let mut p = project(planned);
    a.sort();
    p.sort();
    a != p
}

fn same_configured(block: &Block, prior: &Value, config: &Value) -> bool {
    block.attributes.iter().all(|(k, a)| {
        let c = config.get(k).unwrap_or(&Value::Null);
        if c.is_null() && a.computed {
            return true;
        }
        equivalent(a, prior.get(k).unwrap_or(&Value::Null), c)
    }) && block.blocks.iter().all(|(k, nb)| {
        blocks_equivalent(
            &nb.block,
            prior.get(k).unwrap_or(&Value::Null),
            config.get(k).unwrap_or(&Value::Null),
        )
    })
}

fn blocks_equivalent(block: &Block, a: &Value, b: &Value) -> bool {
    if is_empty_or_null(a) && is_empty_or_null(b) {
        return true;
    }
    match (a, b) {
        (Value::Map(_), Value::Map(_)) => {
            block
                .attributes
                .iter()
                .all(|(k, attr)| equivalent(attr, a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null)))
                && block.blocks.iter().all(|(k, nb)| {
                    blocks_equivalent(
                        &nb.block,
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                    )
                })
        }
        (Value::List(x), Value::List(y))
        | (Value::Set(x), Value::Set(y))
        | (Value::List(x), Value::Set(y))
        | (Value::Set(x), Value::List(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if matches!(a, Value::Set(_)) || matches!(b, Value::Set(_)) {
                x.iter().all(|e| y.iter().any(|f| blocks_equivalent(block, e, f)))
            } else {
                x.iter().zip(y).all(|(e, f)| blocks_equivalent(block, e, f))
            }
        }
        _ => a == b,
    }
}

/// Null and an empty collection are the same for optional arguments.
pub fn is_empty_or_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Whether two values of an attribute mean the same.
pub fn equivalent(attr: &Attribute, a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    let collection = matches!(a, Value::List(_) | Value::Set(_) | Value::Map(_) | Value::Null)
        && matches!(b, Value::List(_) | Value::Set(_) | Value::Map(_) | Value::Null);
    if collection && is_empty_or_null(a) && is_empty_or_null(b) {
        return true;
    }
    if attr.json
        && let (Some(x), Some(y)) = (a.as_str(), b.as_str())
        && let (Ok(jx), Ok(jy)) = (
            serde_json::from_str::<serde_json::Value>(x),
            serde_json::from_str::<serde_json::Value>(y),
        )
    {
        return jx == jy;
    }
    if attr.case_insensitive
        && let (Some(x), Some(y)) = (a.as_str(), b.as_str())
    {
        return x.eq_ignore_ascii_case(y);
    }
    // A set attribute given as a list.
    if let (Some(x), Some(y)) = (a.as_list(), b.as_list())
        && (matches!(a, Value::Set(_)) || matches!(b, Value::Set(_)))
    {
        let mut x = x.to_vec();
        let mut y = y.to_vec();
        x.sort();
        x.dedup();
        y.sort();
        y.dedup();
        return x == y;
    }
    false
}

/// Normalizes an object to the schema: every attribute present, attribute values converted to their
/// types (lists to sets where the schema says set), nested blocks shaped by their nesting.
/// The first attribute of a stored object whose value does not have its schema's type (`tags` holding a
/// string), as `path: what is wrong`; `None` when every value fits.
pub fn type_error(block: &Block, v: &Value) -> Option<String> {
    let Value::Map(m) = v else {
        return (!v.is_null() && !v.is_unknown()).then(|| "expected an object".to_string());
    };
    for (name, attr) in &block.attributes {
        if let Some(raw) = m.get(name)
            && let Err(e) = convert(raw.clone(), attr.ty())
        {
            return Some(format!("{name}: {e}"));
        }
    }
    for (name, nb) in &block.blocks {
        let items = match m.get(name) {
            None | Some(Value::Null) | Some(Value::Unknown) => continue,
            Some(Value::List(items)) | Some(Value::Set(items)) => items.clone(),
            Some(one @ Value::Map(_)) if nb.nesting == Nesting::Single => vec![one.clone()],
            Some(other) => return Some(format!("{name}: expected blocks, found {}", other.type_name())),
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(e) = type_error(&nb.block, item) {
                return Some(format!("{name}[{i}].{e}"));
            }
        }
    }
    None
}

pub fn conform(block: &Block, v: &Value) -> Value {
    if v.is_unknown() {
        return Value::Unknown;
    }
    let mut out = BTreeMap::new();
    for (name, attr) in &block.attributes {
        let raw = v.get(name).cloned().unwrap_or(Value::Null);
        let conv = convert(raw.clone(), attr.ty()).unwrap_or(raw);
        out.insert(name.clone(), conv);
    }
    for (name, nb) in &block.blocks {
        let raw = v.get(name).cloned().unwrap_or(Value::Null);
        let shaped = match nb.nesting {
            Nesting::Single => match &raw {
                Value::Map(_) => conform(&nb.block, &raw),
                Value::List(items) | Value::Set(items) => {
                    items.first().map(|i| conform(&nb.block, i)).unwrap_or(Value::Null)
                }
                _ => Value::Null,
            },
            Nesting::List => Value::List(
                raw.as_list()
                    .unwrap_or(&[])
                    .iter()
                    .map(|i| conform(&nb.block, i))
                    .collect(),
            ),
            Nesting::Set => Value::set(
                raw.as_list()
                    .unwrap_or(&[])
                    .iter()
                    .map(|i| conform(&nb.block, i))
                    .collect(),
            ),
        };
        let shaped = if raw.is_unknown() { Value::Unknown } else { shaped };
        out.insert(name.clone(), shaped);
    }
    Value::Map(out)
}

/// Paths of schema-sensitive attributes present in `v`.
pub fn sensitive_paths(block: &Block, v: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    collect_sensitive(block, v, &Path::root(), &mut out);
    out
}

fn collect_sensitive(block: &Block, v: &Value, at: &Path, out: &mut Vec<Path>) {
    for (name, attr) in &block.attributes {
        if attr.sensitive {
            out.push(at.key(name));
        }
    }
    for (name, nb) in &block.blocks {
        if !nb.block.has_sensitive() {
            continue;
        }
        match v.get(name) {
            Some(Value::Map(_)) => {
                collect_sensitive(&nb.block, v.get(name).unwrap_or(&Value::Null), &at.key(name), out)
            }
            Some(Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    collect_sensitive(&nb.block, item, &at.key(name).index(i), out);
                }
            }
            // Set elements have no stable path: the whole set is sensitive.
            Some(Value::Set(_)) => out.push(at.key(name)),
            _ => {}
        }
    }
}

/// Marks schema-sensitive attributes, plus `extra` paths, so references to them carry the mark.
pub fn mark_sensitive(block: &Block, v: Value, extra: &[Path]) -> Value {
    if !block.has_sensitive() && extra.is_empty() {
        return v;
    }
    let mut paths = sensitive_paths(block, &v);
    paths.extend_from_slice(extra);
    v.apply_marks(&paths)
}

/// The paths of `v` whose value is one of `wanted` (a set holding one is marked whole: its elements have
/// no stable path).
pub fn paths_of_values(v: &Value, wanted: &[&Value], at: &Path, out: &mut Vec<Path>) {
    match v {
        Value::Map(m) => {
            for (k, x) in m {
                paths_of_values(x, wanted, &at.key(k), out);
            }
        }
        Value::List(items) => {
            for (i, x) in items.iter().enumerate() {
                paths_of_values(x, wanted, &at.index(i), out);
            }
        }
        Value::Set(items) => {
            let mut inner = Vec::new();
            for x in items {
                paths_of_values(x, wanted, at, &mut inner);
            }
            if !inner.is_empty() {
                out.push(at.clone());
            }
        }
        leaf if wanted.contains(&leaf) => out.push(at.clone()),
        _ => {}
    }
}

/// Paths (top-level attribute granularity, nested for blocks) where two objects differ.
pub fn changed_paths(a: &Value, b: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    diff_paths(a, b, &Path::root(), &mut out);
    out
}

fn diff_paths(a: &Value, b: &Value, at: &Path, out: &mut Vec<Path>) {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let xv = x.get(k).unwrap_or(&Value::Null);
                let yv = y.get(k).unwrap_or(&Value::Null);
                let both_absent = is_empty_or_null(xv)
                    && is_empty_or_null(yv)
                    && !matches!(xv, Value::String(_))
                    && !matches!(yv, Value::String(_));
                if xv != yv && !both_absent {
                    diff_paths(xv, yv, &at.key(k), out);
                }
            }
        }
        _ if a != b => out.push(at.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_provider::{NestedBlock, Type};

    fn schema() -> Block {
        Block::new()
            .id()
            .attr("cidr_block", Attribute::required(Type::String).force_new())
            .attr("name", Attribute::optional(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("az", Attribute::optional_computed(Type::String).force_new())
            .attr("policy", Attribute::optional(Type::String).json())
            .tags()
            .block(
                "ingress",
                NestedBlock::set(
                    Block::new()
                        .attr("from_port", Attribute::required(Type::Number))
                        .attr("cidr_blocks", Attribute::optional(Type::string_list()))
                        .attr("rule_id", Attribute::computed(Type::String)),
                ),
            )
    }

    fn cfg(pairs: Vec<(&str, Value)>) -> Value {
        conform(&schema(), &Value::map(pairs))
    }

    #[test]
    fn create_makes_computed_attributes_unknown() {
        let p = propose(&schema(), None, &cfg(vec![("cidr_block", "10.0.0.0/16".into())]));
        assert!(p.planned.get("id").unwrap().is_unknown());
        assert!(p.planned.get("az").unwrap().is_unknown());
        assert_eq!(p.planned.get_str("cidr_block"), Some("10.0.0.0/16"));
        assert!(p.replace_paths.is_empty());
    }

    #[test]
    fn force_new_change_names_the_attribute() {
        let prior = cfg(vec![
            ("id", "x".into()),
            ("cidr_block", "10.0.0.0/16".into()),
            ("az", "us-east-1a".into()),
            ("arn", "arn:x".into()),
        ]);
        let p = propose(
            &schema(),
            Some(&prior),
            &cfg(vec![("cidr_block", "10.1.0.0/16".into())]),
        );
        assert_eq!(p.replace_paths, vec![Path::attr("cidr_block")]);
        // Computed attributes left out of the configuration keep their values.
        assert_eq!(p.planned.get_str("az"), Some("us-east-1a"));
        assert_eq!(p.planned.get_str("arn"), Some("arn:x"));
    }

    #[test]
    fn equivalent_values_keep_the_prior_representation() {
        let prior = cfg(vec![
            ("cidr_block", "10.0.0.0/16".into()),
            ("policy", "{\"a\":1,\"b\":[1,2]}".into()),
            ("tags", Value::empty_map()),
        ]);
        let p = propose(
            &schema(),
            Some(&prior),
            &cfg(vec![
                ("cidr_block", "10.0.0.0/16".into()),
                ("policy", "{ \"b\": [1, 2], \"a\": 1 }".into()),
            ]),
        );
        assert_eq!(p.planned, prior);
    }

    #[test]
    fn set_blocks_compare_unordered_and_carry_computed_attributes() {
        let rule = |port: i64, id: Option<&str>| {
            Value::map([
                ("from_port", Value::int(port)),
                ("cidr_blocks", Value::string_list(["0.0.0.0/0"])),
                ("rule_id", Value::opt_string(id)),
            ])
        };
        let prior = cfg(vec![
            ("cidr_block", "10.0.0.0/16".into()),
            (
                "ingress",
                Value::List(vec![rule(80, Some("r1")), rule(443, Some("r2"))]),
            ),
        ]);
        let config = cfg(vec![
            ("cidr_block", "10.0.0.0/16".into()),
            ("ingress", Value::List(vec![rule(443, None), rule(80, None)])),
        ]);
        let p = propose(&schema(), Some(&prior), &config);
        assert_eq!(p.planned, prior);
    }

    #[test]
    fn ignore_changes_keeps_prior_values() {
        let prior = cfg(vec![
            ("cidr_block", "10.0.0.0/16".into()),
            ("tags", Value::string_map([("Name", "a"), ("Team", "x")])),
        ]);
        let mut config = cfg(vec![
            ("cidr_block", "10.9.0.0/16".into()),
            ("tags", Value::string_map([("Name", "b")])),
        ]);
        apply_ignore_changes(
            &mut config,
            Some(&prior),
            &IgnoreChanges::Paths(vec![Path::attr("cidr_block"), Path::attr("tags").key("Team")]),
        );
        let p = propose(&schema(), Some(&prior), &config);
        assert!(p.replace_paths.is_empty());
        assert_eq!(
            p.planned.get("tags"),
            Some(&Value::string_map([("Name", "b"), ("Team", "x")]))
        );
    }

    #[test]
    fn schema_sensitive_attributes_are_marked() {
        let b = Block::new()
            .attr("password", Attribute::optional(Type::String).sensitive())
            .attr("user", Attribute::optional(Type::String));
        let v = mark_sensitive(&b, Value::map([("password", "p".into()), ("user", "u".into())]), &[]);
        assert!(v.get("password").unwrap().is_marked());
        assert!(!v.get("user").unwrap().is_marked());
    }
}
