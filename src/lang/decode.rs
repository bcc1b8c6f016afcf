//! Decoding a block body against a provider schema: evaluates every argument, expands `dynamic` blocks,
//! converts values to the schema's types, and reports unknown arguments, missing required arguments,
//! wrong types and misplaced blocks — each at its own source location.
//!
//! The result is an object holding every attribute and nested block of the schema (null where the
//! configuration is silent), nested blocks shaped as the schema's [`Nesting`] says.

use super::ast::{Body, Expr};
use super::eval::{Evaluator, iterate_owned, suggest};
use crate::diag::{Diagnostic, Diagnostics, Span};
use infra_provider::{Block, Check, NestedBlock, Nesting, Value, convert};
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
                    "Value for unconfigurable attribute",
                    format!("Can't configure a value for {:?}: its value will be decided automatically based on the result of applying this configuration.", a.name),
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
                    if let Some(check) = &attr.check
                        && let Err(detail) = check_value(check, &v)
                    {
                        // The detail quotes the value: never a sensitive one.
                        let detail = if attr.sensitive || v.clone().unmark_deep().1 {
                            "the value is not valid (it is sensitive, so it is not shown).".to_string()
                        } else {
                            detail
                        };
                        diags.error(
                            Some(a.expr.span()),
                            "Invalid value for argument",
                            format!("Invalid value for {:?}: {detail}", a.name),
                        );
                    }
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
            let hint = suggest(
                &a.name,
                schema.attributes.keys().chain(schema.blocks.keys()).map(String::as_str),
            )
            .map(|k| format!(" Did you mean {k:?}?"))
            .unwrap_or_default();
            diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!("An argument named {:?} is not expected here.{hint}", a.name),
            );
        }
    }
    for a in &body.attrs {
        let Some(attr) = schema.attributes.get(&a.name) else {
            continue;
        };
        let is_set = |n: &str| set_attrs.contains(&n) && out.get(n).is_some_and(|v| !v.is_null());
        if !is_set(&a.name) {
            continue;
        }
        if let Some(other) = attr.conflicts_with.iter().find(|o| is_set(o)) {
            diags.error(
                Some(a.name_span),
                "Conflicting configuration arguments",
                format!("{:?}: conflicts with {other}. Set only one of them.", a.name),
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
    // Per block type: the blocks (with the span each came from) and whether a dynamic for_each was unknown.
    let mut by_kind: BTreeMap<&str, Blocks> = BTreeMap::new();
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
                let hint = suggest(&b.kind, schema.blocks.keys().map(String::as_str))
                    .map(|k| format!(" Did you mean {k:?}?"))
                    .unwrap_or_default();
                format!("Blocks of type {:?} are not expected here.{hint}", b.kind)
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
        entry.items.push((v, b.span));
    }
    for (kind, blocks) in by_kind {
        let nb = &schema.blocks[kind];
        let span = blocks.items.first().map(|(_, s)| *s).or(blocks.unknown);
        if set_attrs.contains(&kind) {
            diags.error(
                span,
                "Duplicate block definition",
                format!("{kind:?} is already set as an argument; use either blocks or the argument."),
            );
            continue;
        }
        if blocks.unknown.is_some() {
            out.insert(kind.to_string(), Value::Unknown);
            continue;
        }
        let items: Vec<Value> = blocks.items.iter().map(|(v, _)| v.clone()).collect();
        if items.len() > nb.max_items {
            diags.error(
                blocks.items.get(nb.max_items).map(|(_, s)| *s),
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

/// Applies an attribute's check to its value, or to each element of a collection.
fn check_value(check: &Check, v: &Value) -> Result<(), String> {
    match v.unmark_shallow().0 {
        Value::List(items) | Value::Set(items) => items.iter().try_for_each(|i| check_value(check, i)),
        Value::Map(m) => m.values().try_for_each(|i| check_value(check, i)),
        other => check.check(other),
    }
}

/// The blocks of one type found in a body.
#[derive(Default)]
struct Blocks {
    /// Each block's value and the span of the block (literal or dynamic) it came from.
    items: Vec<(Value, Span)>,
    /// The span of a `dynamic` block whose for_each is unknown: the whole collection is then unknown.
    unknown: Option<Span>,
}

fn expand_dynamic(
    ev: &mut Evaluator<'_>,
    b: &super::ast::Block,
    nb: &NestedBlock,
    entry: &mut Blocks,
    diags: &mut Diagnostics,
) {
    let label = b.labels[0].0.clone();
    let Some(fe) = b.body.attr("for_each") else {
        diags.error(
            Some(b.kind_span),
            "Missing required argument",
            "The argument \"for_each\" is required, but no definition was found.",
        );
        return;
    };
    let iterator = match b.body.attr("iterator") {
        Some(a) => match &a.expr {
            Expr::Var(n, _) => n.clone(),
            other => {
                diags.error(
                    Some(other.span()),
                    "Invalid dynamic iterator name",
                    "Dynamic iterator must be a single variable name.",
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
    for other in b.body.blocks.iter().filter(|x| x.kind != "content") {
        diags.error(
            Some(other.kind_span),
            "Unsupported block type",
            format!(
                "Blocks of type {:?} are not expected here: a dynamic block holds only a content block.",
                other.kind
            ),
        );
    }
    let content: Vec<_> = b.body.blocks_of("content").collect();
    let content = match content.as_slice() {
        [c] => *c,
        [] => {
            diags.error(
                Some(b.kind_span),
                "Missing dynamic content block",
                "A dynamic block must have a nested block of type \"content\" to describe the body of each generated block.",
            );
            return;
        }
        [_, extra, ..] => {
            diags.error(
                Some(extra.kind_span),
                "Extraneous dynamic content block",
                "Only one nested content block is allowed for each dynamic block.",
            );
            return;
        }
    };
    let coll = match ev.eval(&fe.expr) {
        Ok(v) => v,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    // A sensitive for_each marks every block it generates, as HCL's dynblock does.
    let (coll, marked) = coll.unmark_deep();
    if coll.is_unknown() {
        entry.unknown.get_or_insert(b.span);
        // The blocks are not known yet, but their shape is: check the content once.
        let it = Value::map([("key", Value::Unknown), ("value", Value::Unknown)]);
        ev.with_local(&iterator, it, |ev| {
            decode(ev, &content.body, &nb.block, &[], content.kind_span, diags)
        });
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
    if !matches!(coll, Value::List(_) | Value::Set(_) | Value::Map(_)) {
        diags.error(
            Some(fe.expr.span()),
            "Invalid dynamic for_each value",
            format!(
                "Cannot use a {} value in for_each. An iterable collection is required.",
                coll.type_name()
            ),
        );
        return;
    }
    for (k, v) in iterate_owned(coll).unwrap_or_default() {
        let it = Value::map([("key", k), ("value", v)]);
        let decoded = ev.with_local(&iterator, it, |ev| {
            decode(ev, &content.body, &nb.block, &[], content.kind_span, diags)
        });
        entry.items.push((decoded.mark_if(marked), b.span));
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
    for (i, item) in items.into_iter().enumerate() {
        if item.is_unknown() {
            out.push(Value::Unknown);
            continue;
        }
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
            let raw = match m.remove(k) {
                Some(v) if !v.is_null() => v,
                _ if a.required => {
                    diags.error(
                        Some(span),
                        "Incorrect attribute value type",
                        format!(
                            "Inappropriate value for attribute {name:?}: element {i}: attribute {k:?} is required."
                        ),
                    );
                    continue;
                }
                _ => a.default.clone().unwrap_or(Value::Null),
            };
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

/// A diagnostic about an argument value, pointing at the argument's expression when it is set.
pub fn attr_error(body: &Body, name: &str, fallback: Span, summary: &str, detail: String) -> Diagnostic {
    let span = body.attr(name).map(|a| a.expr.span()).unwrap_or(fallback);
    Diagnostic::error(Some(span), summary, detail)
}
