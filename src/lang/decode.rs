//! Decoding a block body against a provider schema: evaluates every argument, expands `dynamic` blocks,
//! converts values to the schema's types, and reports unknown arguments, missing required arguments,
//! wrong types and misplaced blocks — each at its own source location.
//!
//! The result is an object holding every attribute and nested block of the schema (null where the
//! configuration is silent), nested blocks shaped as the schema's [`Nesting`] says.

use super::ast::{Body, Expr};
use super::eval::{Evaluator, iterate};
use crate::diag::{Diagnostic, Diagnostics, Span};
use infra_provider::{Block, NestedBlock, Nesting, Value, convert};
use std::collections::BTreeMap;

/// Decodes `body` with `schema`. `skip` lists argument names handled elsewhere (meta-arguments).
/// `decl` is the span of the block header, where "missing argument" errors point.
pub fn decode(
    ev: &mut Evaluator<'_>,
    body: &Body,
    schema: &Block,
    skip: &[&str],
    decl: Span,
    diags: &mut Diagnostics,
) -> Value {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (name, a) in &schema.attributes {
        out.insert(name.clone(), a.default.clone().unwrap_or(Value::Null));
    }
    for (name, b) in &schema.blocks {
        out.insert(name.clone(), empty_blocks(b));
    }
    let mut set_attrs: Vec<&str> = Vec::new();
    for a in &body.attrs {
        if skip.contains(&a.name.as_str()) {
            continue;
        }
        if let Some(attr) = schema.attributes.get(&a.name) {
            if !attr.optional && !attr.required {
                diags.error(
                    Some(a.name_span),
                    "Invalid or unknown key",
                    format!("Value for unconfigurable attribute: can't configure a value for {:?}: its value will be decided automatically based on the result of applying this configuration.", a.name),
                );
                continue;
            }
            set_attrs.push(&a.name);
            let v = match ev.eval(&a.expr) {
                Ok(v) => v,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            if v.is_null() && attr.required {
                diags.error(
                    Some(a.expr.span()),
                    "Required attribute is null",
                    format!("The argument {:?} is required, so it cannot be null.", a.name),
                );
                continue;
            }
            let v = if v.is_null() {
                attr.default.clone().unwrap_or(Value::Null)
            } else {
                v
            };
            match convert(v, attr.ty()) {
                Ok(v) => {
                    out.insert(a.name.clone(), v);
                }
                Err(e) => diags.error(
                    Some(a.expr.span()),
                    "Incorrect attribute value type",
                    format!("Inappropriate value for attribute {:?}: {e}.", a.name),
                ),
            }
        } else if let Some(nb) = schema.blocks.get(&a.name) {
            // "Attributes as blocks": `ingress = [{ ... }]` for a block type.
            set_attrs.push(&a.name);
            match ev.eval(&a.expr) {
                Ok(v) => out.insert(a.name.clone(), blocks_from_value(v, nb, &a.name, a.expr.span(), diags)),
                Err(d) => {
                    diags.push(d);
                    None
                }
            };
        } else {
            let hint = schema
                .attributes
                .keys()
                .chain(schema.blocks.keys())
                .find(|k| close(k, &a.name))
                .map(|k| format!(" Did you mean {k:?}?"))
                .unwrap_or_default();
            diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!("An argument named {:?} is not expected here.{hint}", a.name),
            );
        }
    }
    for (name, attr) in &schema.attributes {
        if attr.required && !set_attrs.contains(&name.as_str()) {
            diags.error(
                Some(decl),
                "Missing required argument",
                format!("The argument {name:?} is required, but no definition was found."),
            );
        }
    }
    // Nested blocks, literal and dynamic.
    let mut by_kind: BTreeMap<&str, (Vec<Value>, bool, Option<Span>)> = BTreeMap::new();
    for b in &body.blocks {
        if b.kind == "dynamic" {
            let Some((label, lspan)) = b.labels.first() else {
                diags.error(
                    Some(b.kind_span),
                    "Missing block label",
                    "A dynamic block needs the block type it generates as its label, like dynamic \"ingress\".",
                );
                continue;
            };
            let Some(nb) = schema.blocks.get(label) else {
                diags.error(
                    Some(*lspan),
                    "Unsupported block type",
                    format!("Blocks of type {label:?} are not expected here."),
                );
                continue;
            };
            let entry = by_kind.entry(label.as_str()).or_default();
            entry.2.get_or_insert(b.span);
            expand_dynamic(ev, b, nb, entry, diags);
            continue;
        }
        let Some(nb) = schema.blocks.get(&b.kind) else {
            let detail = if schema.attributes.contains_key(&b.kind) {
                format!(
                    "Blocks of type {:?} are not expected here. Did you mean to define argument {:?}? If so, use the equals sign to assign it a value.",
                    b.kind, b.kind
                )
            } else {
                format!("Blocks of type {:?} are not expected here.", b.kind)
            };
            diags.error(Some(b.kind_span), "Unsupported block type", detail);
            continue;
        };
        if !b.labels.is_empty() {
            diags.error(
                Some(b.labels[0].1),
                "Extraneous label",
                format!("No labels are expected for {:?} blocks.", b.kind),
            );
        }
        let v = decode(ev, &b.body, &nb.block, &[], b.kind_span, diags);
        let entry = by_kind.entry(b.kind.as_str()).or_default();
        entry.2.get_or_insert(b.span);
        entry.0.push(v);
    }
    for (kind, (items, unknown, span)) in by_kind {
        let nb = &schema.blocks[kind];
        if set_attrs.contains(&kind) {
            diags.error(
                span,
                "Duplicate block definition",
                format!("{kind:?} is already set as an argument; use either blocks or the argument."),
            );
            continue;
        }
        if unknown {
            out.insert(kind.to_string(), Value::Unknown);
            continue;
        }
        if items.len() > nb.max_items {
            diags.error(
                span,
                format!("Too many {kind} blocks"),
                format!("No more than {} {kind:?} blocks are allowed.", nb.max_items),
            );
        }
        if items.len() < nb.min_items {
            diags.error(
                span.or(Some(decl)),
                format!("Insufficient {kind} blocks"),
                format!("At least {} {kind:?} blocks are required.", nb.min_items),
            );
        }
        out.insert(kind.to_string(), shape_blocks(items, nb));
    }
    for (kind, nb) in &schema.blocks {
        if nb.min_items > 0
            && !body
                .blocks
                .iter()
                .any(|b| &b.kind == kind || b.labels.first().is_some_and(|l| &l.0 == kind))
            && !set_attrs.contains(&kind.as_str())
        {
            diags.error(
                Some(decl),
                format!("Insufficient {kind} blocks"),
                format!("At least {} {kind:?} block is required.", nb.min_items),
            );
        }
    }
    Value::Map(out)
}

fn expand_dynamic(
    ev: &mut Evaluator<'_>,
    b: &super::ast::Block,
    nb: &NestedBlock,
    entry: &mut (Vec<Value>, bool, Option<Span>),
    diags: &mut Diagnostics,
) {
    let label = b.labels[0].0.clone();
    let Some(fe) = b.body.attr("for_each") else {
        diags.error(
            Some(b.kind_span),
            "Missing required argument",
            "A dynamic block needs a for_each argument.",
        );
        return;
    };
    let iterator = match b.body.attr("iterator") {
        Some(a) => match &a.expr {
            Expr::Var(n, _) => n.clone(),
            other => {
                diags.error(
                    Some(other.span()),
                    "Invalid iterator",
                    "The iterator argument must be a bare name.",
                );
                return;
            }
        },
        None => label.clone(),
    };
    for a in &b.body.attrs {
        if !["for_each", "iterator", "labels"].contains(&a.name.as_str()) {
            diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!(
                    "An argument named {:?} is not expected in a dynamic block; put it in its content block.",
                    a.name
                ),
            );
        }
    }
    let content: Vec<_> = b.body.blocks_of("content").collect();
    let [content] = content.as_slice() else {
        diags.error(
            Some(b.kind_span),
            "Missing content block",
            "A dynamic block needs exactly one content block.",
        );
        return;
    };
    let coll = match ev.eval(&fe.expr) {
        Ok(v) => v,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    let (coll, marked) = coll.unmark_deep();
    if marked {
        diags.error(Some(fe.expr.span()), "Invalid dynamic for_each value", "Sensitive values cannot be used as the for_each of a dynamic block: the number of blocks would disclose them.");
        return;
    }
    if coll.is_unknown() {
        entry.1 = true;
        return;
    }
    if coll.is_null() {
        diags.error(
            Some(fe.expr.span()),
            "Invalid dynamic for_each value",
            "Cannot use a null value in for_each.",
        );
        return;
    }
    let items = match iterate(&coll) {
        Ok(i) => i,
        Err(e) => {
            diags.error(Some(fe.expr.span()), "Invalid dynamic for_each value", e);
            return;
        }
    };
    for (k, v) in items {
        let it = Value::map([("key", k), ("value", v)]);
        let decoded = ev.with_local(&iterator, it, |ev| {
            decode(ev, &content.body, &nb.block, &[], content.kind_span, diags)
        });
        entry.0.push(decoded);
    }
}

fn empty_blocks(nb: &NestedBlock) -> Value {
    match nb.nesting {
        Nesting::Single => Value::Null,
        Nesting::List => Value::List(Vec::new()),
        Nesting::Set => Value::Set(Vec::new()),
    }
}

fn shape_blocks(items: Vec<Value>, nb: &NestedBlock) -> Value {
    match nb.nesting {
        Nesting::Single => items.into_iter().next().unwrap_or(Value::Null),
        Nesting::List => Value::List(items),
        Nesting::Set => Value::set(items),
    }
}

/// `ingress = [{...}, {...}]` for a block type: each object gets the block's attributes (null when left out).
fn blocks_from_value(v: Value, nb: &NestedBlock, name: &str, span: Span, diags: &mut Diagnostics) -> Value {
    if v.is_unknown() {
        return Value::Unknown;
    }
    let (v, marked) = v.unmark_deep();
    let items: Vec<Value> = match v {
        Value::Null => Vec::new(),
        Value::List(items) | Value::Set(items) => items,
        Value::Map(_) if nb.nesting == Nesting::Single => vec![v],
        other => {
            diags.error(
                Some(span),
                "Incorrect attribute value type",
                format!(
                    "Inappropriate value for attribute {name:?}: a list of objects is required, not {}.",
                    other.type_name()
                ),
            );
            return empty_blocks(nb);
        }
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Map(mut m) = item else {
            diags.error(
                Some(span),
                "Incorrect attribute value type",
                format!("Inappropriate value for attribute {name:?}: every element must be an object."),
            );
            continue;
        };
        let mut obj = BTreeMap::new();
        for (k, a) in &nb.block.attributes {
            let raw = m.remove(k).unwrap_or(Value::Null);
            match convert(raw, a.ty()) {
                Ok(x) => {
                    obj.insert(k.clone(), x);
                }
                Err(e) => diags.error(
                    Some(span),
                    "Incorrect attribute value type",
                    format!("Inappropriate value for attribute {name:?}: element attribute {k:?}: {e}."),
                ),
            }
        }
        for k in nb.block.blocks.keys() {
            obj.insert(k.clone(), m.remove(k).unwrap_or(Value::List(Vec::new())));
        }
        if let Some(extra) = m.keys().next() {
            diags.error(
                Some(span),
                "Unsupported argument",
                format!("Inappropriate value for attribute {name:?}: attribute {extra:?} is not expected here."),
            );
        }
        out.push(Value::Map(obj));
    }
    shape_blocks(out, nb).mark_if(marked)
}

fn close(a: &str, b: &str) -> bool {
    a != b && (a.starts_with(b) || b.starts_with(a) || a.replace(['_', '-'], "") == b.replace(['_', '-'], ""))
        || (a.len() == b.len() && a.chars().zip(b.chars()).filter(|(x, y)| x != y).count() == 1)
}

/// A diagnostic about an argument value, pointing at the argument's expression when it is set.
pub fn attr_error(body: &Body, name: &str, fallback: Span, summary: &str, detail: String) -> Diagnostic {
    let span = body.attr(name).map(|a| a.expr.span()).unwrap_or(fallback);
    Diagnostic::error(Some(span), summary, detail)
}
