//! Collection functions: `alltrue anytrue chunklist coalesce coalescelist compact concat contains
//! distinct element flatten index keys length lookup matchkeys merge one range reverse setintersection
//! setproduct setsubtract setunion slice sort sum transpose values zipmap`.
//!
//! Lists, tuples and sets are all [`Value::List`]/[`Value::Set`]; maps and objects are both
//! [`Value::Map`]. Where Terraform converts elements to a common type (`setunion(["a"], [1])`,
//! `coalesce(1, "x")`) numbers and bools become strings as cty's unification does. `element` wraps
//! around (and accepts negative indexes, counting from the end, as current Terraform does), `sort`
//! orders strings lexically by bytes, `range` stops after 1024 values as Terraform does, and `length`
//! of a string counts grapheme clusters.

use super::{
    Call, Fail, Marks, Spec, Ty, Unified, Unknowns, arg_err, conform, fail, friendly, func, p, pn, unify, unmark_ref,
    whole,
};
use infra_provider::Value;
use std::collections::BTreeMap;
use unicode_segmentation::UnicodeSegmentation;

use Marks::Shallow as KeepMarks;
use Unknowns::{Handle as OwnUnknowns, Shallow as PassUnknowns};

pub(crate) static SPECS: &[Spec] = &[
    func("alltrue", &[p("list", Ty::ListBool)], alltrue).unknowns(PassUnknowns),
    func("anytrue", &[p("list", Ty::ListBool)], anytrue).unknowns(PassUnknowns),
    func("chunklist", &[p("list", Ty::ListAny), p("size", Ty::Number)], chunklist)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("coalesce", &[], coalesce)
        .var(pn("vals", Ty::Any))
        .unknowns(OwnUnknowns)
        .marks(KeepMarks),
    func("coalescelist", &[], coalescelist)
        .var(pn("vals", Ty::Any))
        .unknowns(OwnUnknowns)
        .marks(KeepMarks),
    func("compact", &[p("list", Ty::ListString)], compact),
    func("concat", &[], concat)
        .var(p("seqs", Ty::Any))
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("contains", &[p("list", Ty::Any), pn("value", Ty::Any)], contains),
    func("distinct", &[p("list", Ty::ListAny)], distinct),
    func("element", &[p("list", Ty::Any), p("index", Ty::Number)], element)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("flatten", &[p("list", Ty::Any)], flatten).unknowns(PassUnknowns),
    func("index", &[p("list", Ty::Any), p("value", Ty::Any)], index),
    func("keys", &[p("inputMap", Ty::Any)], keys)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("length", &[p("value", Ty::Any)], length)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("lookup", &[p("inputMap", Ty::Any), p("key", Ty::String)], lookup)
        .var(pn("default", Ty::Any))
        .unknowns(OwnUnknowns)
        .marks(KeepMarks),
    func(
        "matchkeys",
        &[
            p("values", Ty::ListAny),
            p("keys", Ty::ListAny),
            p("searchset", Ty::ListAny),
        ],
        matchkeys,
    ),
    func("merge", &[], merge)
        .var(pn("maps", Ty::Any))
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("one", &[p("list", Ty::Any)], one)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("range", &[], range).var(p("params", Ty::Number)),
    func("reverse", &[p("list", Ty::Any)], reverse)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("setintersection", &[p("first_set", Ty::Any)], setintersection).var(p("other_sets", Ty::Any)),
    func("setproduct", &[], setproduct).var(p("sets", Ty::Any)),
    func("setsubtract", &[p("a", Ty::Any), p("b", Ty::Any)], setsubtract),
    func("setunion", &[p("first_set", Ty::Any)], setunion).var(p("other_sets", Ty::Any)),
    func(
        "slice",
        &[
            p("list", Ty::Any),
            p("start_index", Ty::Number),
            p("end_index", Ty::Number),
        ],
        slice,
    )
    .unknowns(PassUnknowns)
    .marks(KeepMarks),
    func("sort", &[p("list", Ty::ListString)], sort),
    func("sum", &[p("list", Ty::Any)], sum),
    func("transpose", &[p("values", Ty::MapListString)], transpose),
    func("values", &[p("mapping", Ty::Any)], values)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
    func("zipmap", &[p("keys", Ty::ListString), p("values", Ty::Any)], zipmap)
        .unknowns(PassUnknowns)
        .marks(KeepMarks),
];

fn alltrue(c: &Call) -> Result<Value, Fail> {
    for v in c.list(0) {
        match unmark_ref(v) {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Bool(true) => {}
            _ => return Ok(Value::Bool(false)),
        }
    }
    Ok(Value::Bool(true))
}

fn anytrue(c: &Call) -> Result<Value, Fail> {
    let mut unknown = false;
    for v in c.list(0) {
        match unmark_ref(v) {
            Value::Unknown => unknown = true,
            Value::Bool(true) => return Ok(Value::Bool(true)),
            _ => {}
        }
    }
    Ok(if unknown { Value::Unknown } else { Value::Bool(false) })
}

fn chunklist(c: &Call) -> Result<Value, Fail> {
    let size = c.int(1)?;
    if size < 0 {
        return Err(arg_err(1, "the size argument must be positive"));
    }
    let items = c.list(0);
    if items.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items.to_vec())]));
    }
    Ok(Value::List(
        items.chunks(size as usize).map(|ch| Value::List(ch.to_vec())).collect(),
    ))
}

fn coalesce(c: &Call) -> Result<Value, Fail> {
    let kind = unify(&c.args).ok_or_else(|| fail("all arguments must have the same type"))?;
    for (i, a) in c.args.iter().enumerate() {
        if a.is_unknown() {
            return Ok(Value::Unknown);
        }
        if a.is_null() {
            continue;
        }
        let v = conform(a.clone(), kind).map_err(|e| arg_err(i, e))?;
        if kind == Unified::String && v.as_str() == Some("") {
            continue;
        }
        return Ok(v);
    }
    Err(fail("no non-null, non-empty-string arguments"))
}

fn coalescelist(c: &Call) -> Result<Value, Fail> {
    if c.args.is_empty() {
        return Err(fail("at least one argument is required"));
    }
    for a in &c.args {
        match unmark_ref(a) {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null | Value::List(_) => {}
            _ => return Err(fail("coalescelist arguments must be lists or tuples")),
        }
    }
    for a in &c.args {
        match a {
            Value::Unknown => return Ok(Value::Unknown),
            Value::List(items) if !items.is_empty() => return Ok(a.clone()),
            _ => {}
        }
    }
    Err(fail("no non-null arguments"))
}

fn compact(c: &Call) -> Result<Value, Fail> {
    Ok(Value::List(
        c.list(0)
            .iter()
            .filter(|v| !matches!(v.as_str(), None | Some("")))
            .cloned()
            .collect(),
    ))
}

fn concat(c: &Call) -> Result<Value, Fail> {
    if c.args.is_empty() {
        return Err(fail("at least one argument is required"));
    }
    let mut out = Vec::new();
    for (i, a) in c.args.iter().enumerate() {
        match a {
            Value::List(items) => out.extend(items.iter().cloned()),
            other => {
                return Err(arg_err(
                    i,
                    format!("all arguments must be lists or tuples; got {}", friendly(other)),
                ));
            }
        }
    }
    Ok(Value::List(out))
}

fn contains(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::List(items) | Value::Set(items) => Ok(Value::Bool(items.contains(c.arg(1)))),
        _ => Err(fail("argument must be list, tuple, or set")),
    }
}

fn distinct(c: &Call) -> Result<Value, Fail> {
    let mut out: Vec<Value> = Vec::new();
    for v in c.list(0) {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(Value::List(out))
}

fn element(c: &Call) -> Result<Value, Fail> {
    let items = match c.arg(0) {
        Value::List(items) => items,
        other => return Err(fail(format!("cannot read elements from {}", friendly(other)))),
    };
    let index = whole(c.num(1)).ok_or_else(|| fail("invalid index: value must be a whole number"))?;
    if items.is_empty() {
        return Err(fail("cannot use element function with an empty list"));
    }
    Ok(items[index.rem_euclid(items.len() as i64) as usize].clone())
}

fn flatten(c: &Call) -> Result<Value, Fail> {
    fn walk(items: &[Value], out: &mut Vec<Value>) -> bool {
        for v in items {
            match unmark_ref(v) {
                Value::Unknown => return false,
                Value::List(inner) | Value::Set(inner) => {
                    if !walk(inner, out) {
                        return false;
                    }
                }
                _ => out.push(v.clone()),
            }
        }
        true
    }
    let items = match c.arg(0) {
        Value::List(items) | Value::Set(items) => items,
        _ => return Err(fail("can only flatten lists, sets and tuples")),
    };
    let mut out = Vec::new();
    Ok(if walk(items, &mut out) {
        Value::List(out)
    } else {
        Value::Unknown
    })
}

fn index(c: &Call) -> Result<Value, Fail> {
    let items = match c.arg(0) {
        Value::List(items) => items,
        _ => return Err(fail("argument must be a list or tuple")),
    };
    if items.is_empty() {
        return Err(fail("cannot search an empty list"));
    }
    match items.iter().position(|v| v == c.arg(1)) {
        Some(i) => Ok(Value::int(i as i64)),
        None => Err(fail("item not found")),
    }
}

fn keys(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::Map(m) => Ok(Value::string_list(m.keys())),
        _ => Err(arg_err(0, "must have map or object type")),
    }
}

fn values(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::Map(m) => Ok(Value::List(m.values().cloned().collect())),
        _ => Err(fail("values() requires a map as the first argument")),
    }
}

fn length(c: &Call) -> Result<Value, Fail> {
    let n = match c.arg(0) {
        Value::String(s) => s.graphemes(true).count(),
        // Terraform's rule: elements of a set not yet known may collapse, so its length is unknown.
        Value::Set(items) if !items.iter().all(Value::is_wholly_known) => return Ok(Value::Unknown),
        Value::List(items) | Value::Set(items) => items.len(),
        Value::Map(m) => m.len(),
        _ => {
            return Err(arg_err(
                0,
                "argument must be a string, a collection type, or a structural type",
            ));
        }
    };
    Ok(Value::int(n as i64))
}

fn lookup(c: &Call) -> Result<Value, Fail> {
    if c.args.len() > 3 {
        return Err(fail(format!(
            "lookup() takes two or three arguments, got {}",
            c.args.len()
        )));
    }
    let map = match c.arg(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Map(m) => m,
        _ => return Err(arg_err(0, "lookup() requires a map as the first argument")),
    };
    if c.arg(1).is_unknown() {
        return Ok(Value::Unknown);
    }
    let key = c.str(1);
    if let Some(v) = map.get(key) {
        return Ok(v.clone());
    }
    match c.args.get(2) {
        Some(default) => {
            // A map's elements share one type; the default converts to it.
            let kind = unify(map.values()).unwrap_or(Unified::Any);
            conform(default.clone(), kind)
                .map_err(|_| arg_err(2, "the default value must have the same type as the map elements"))
        }
        None => Err(fail(format!("lookup failed to find key {}", c.show(1, key)))),
    }
}

fn matchkeys(c: &Call) -> Result<Value, Fail> {
    let (vals, keys, search) = (c.list(0), c.list(1), c.list(2));
    let kind = unify(keys.iter().chain(search)).ok_or_else(|| fail("keys and searchset must be of the same type"))?;
    if vals.len() != keys.len() {
        return Err(fail("length of keys and values should be equal"));
    }
    let conv = |v: &Value| conform(v.clone(), kind).unwrap_or_else(|_| v.clone());
    let search: Vec<Value> = search.iter().map(conv).collect();
    Ok(Value::List(
        keys.iter()
            .zip(vals)
            .filter(|(k, _)| search.contains(&conv(k)))
            .map(|(_, v)| v.clone())
            .collect(),
    ))
}

fn merge(c: &Call) -> Result<Value, Fail> {
    let mut out = BTreeMap::new();
    for (i, a) in c.args.iter().enumerate() {
        match a {
            Value::Null => {}
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(arg_err(
                    i,
                    format!("arguments must be maps or objects, got {:?}", friendly(other)),
                ));
            }
        }
    }
    Ok(Value::Map(out))
}

fn one(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::List(items) | Value::Set(items) if items.len() <= 1 => Ok(items.first().cloned().unwrap_or(Value::Null)),
        _ => Err(arg_err(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

fn range(c: &Call) -> Result<Value, Fail> {
    let n: Vec<f64> = (0..c.args.len()).map(|i| c.num(i)).collect();
    let (start, end, step) = match n.as_slice() {
        [end] => (0.0, *end, if *end < 0.0 { -1.0 } else { 1.0 }),
        [start, end] => (*start, *end, if end < start { -1.0 } else { 1.0 }),
        [start, end, step] => (*start, *end, *step),
        _ => return Err(fail("must have one, two, or three arguments")),
    };
    if step == 0.0 {
        return Err(arg_err(2, "step must not be zero"));
    }
    let down = step < 0.0;
    if down && end > start {
        return Err(arg_err(1, "end must be less than start when step is negative"));
    }
    if !down && end < start {
        return Err(arg_err(1, "end must be greater than start when step is positive"));
    }
    let mut out = Vec::new();
    let mut i = 0u32;
    loop {
        // Computing each value from the start avoids accumulating rounding errors.
        let v = start + step * f64::from(i);
        if (down && v <= end) || (!down && v >= end) {
            break;
        }
        if out.len() >= 1024 {
            return Err(fail(
                "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
            ));
        }
        out.push(Value::number(v));
        i += 1;
    }
    Ok(Value::List(out))
}

fn reverse(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::List(items) => Ok(Value::List(items.iter().rev().cloned().collect())),
        other => Err(arg_err(
            0,
            format!("can only reverse list or tuple values, not {}", friendly(other)),
        )),
    }
}

/// The elements of each set argument, converted to their common type.
fn set_args(c: &Call) -> Result<Vec<Vec<Value>>, Fail> {
    let mut sets = Vec::with_capacity(c.args.len());
    for (i, a) in c.args.iter().enumerate() {
        match a {
            Value::List(items) | Value::Set(items) => sets.push(items.clone()),
            other => {
                return Err(arg_err(
                    i,
                    format!("a set or a list is required, but have {}", friendly(other)),
                ));
            }
        }
    }
    let kind = unify(sets.iter().flatten()).ok_or_else(|| fail("given sets must all have compatible element types"))?;
    sets.into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.into_iter()
                .map(|v| conform(v, kind).map_err(|e| arg_err(i, e)))
                .collect()
        })
        .collect()
}

fn setintersection(c: &Call) -> Result<Value, Fail> {
    let sets = set_args(c)?;
    let first = Value::set(sets[0].clone());
    let items = first
        .as_list()
        .unwrap_or(&[])
        .iter()
        .filter(|v| sets[1..].iter().all(|s| s.contains(v)));
    Ok(Value::set(items.cloned().collect()))
}

fn setsubtract(c: &Call) -> Result<Value, Fail> {
    let sets = set_args(c)?;
    Ok(Value::set(
        sets[0].iter().filter(|v| !sets[1].contains(v)).cloned().collect(),
    ))
}

fn setunion(c: &Call) -> Result<Value, Fail> {
    let sets = set_args(c)?;
    Ok(Value::set(sets.into_iter().flatten().collect()))
}

fn setproduct(c: &Call) -> Result<Value, Fail> {
    if c.args.len() < 2 {
        return Err(fail("at least two arguments are required"));
    }
    let all_lists = c.args.iter().all(|a| matches!(a, Value::List(_)));
    let mut sets = Vec::with_capacity(c.args.len());
    for (i, a) in c.args.iter().enumerate() {
        match a {
            Value::List(items) => {
                // A tuple's elements must share a type; a set is already uniform.
                let kind = unify(items).ok_or_else(|| arg_err(i, "all elements must be of the same type"))?;
                let items: Result<Vec<Value>, Fail> = items
                    .iter()
                    .map(|v| conform(v.clone(), kind).map_err(|e| arg_err(i, e)))
                    .collect();
                // Set arguments drop duplicates; list arguments keep order.
                sets.push(items?);
            }
            Value::Set(items) => sets.push(items.clone()),
            _ => return Err(arg_err(i, "a set or a list is required")),
        }
    }
    let mut product: Vec<Vec<Value>> = vec![Vec::new()];
    for set in &sets {
        let mut next = Vec::with_capacity(product.len() * set.len());
        for prefix in &product {
            for v in set {
                let mut row = prefix.clone();
                row.push(v.clone());
                next.push(row);
            }
        }
        product = next;
    }
    let rows = product.into_iter().map(Value::List).collect();
    Ok(if all_lists { Value::List(rows) } else { Value::set(rows) })
}

fn slice(c: &Call) -> Result<Value, Fail> {
    let items = match c.arg(0) {
        Value::List(items) => items,
        Value::Set(_) => {
            return Err(arg_err(
                0,
                "cannot slice a set, because its elements do not have indices; explicitly convert to a list if the ordering of the result is not important",
            ));
        }
        _ => return Err(arg_err(0, "must be a list or tuple value")),
    };
    let start = whole(c.num(1)).ok_or_else(|| arg_err(1, "invalid start index: value must be a whole number"))?;
    let end = whole(c.num(2)).ok_or_else(|| arg_err(2, "invalid end index: value must be a whole number"))?;
    let len = items.len() as i64;
    if start < 0 {
        return Err(arg_err(1, "start index must not be less than zero"));
    }
    if start > len {
        return Err(arg_err(
            1,
            "start index must not be greater than the length of the list",
        ));
    }
    if end < 0 {
        return Err(arg_err(2, "end index must not be less than zero"));
    }
    if end > len {
        return Err(arg_err(2, "end index must not be greater than the length of the list"));
    }
    if start > end {
        return Err(arg_err(1, "start index must not be greater than end index"));
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec()))
}

fn sort(c: &Call) -> Result<Value, Fail> {
    let mut out = Vec::with_capacity(c.list(0).len());
    for (i, v) in c.list(0).iter().enumerate() {
        match v.as_str() {
            Some(s) => out.push(s.to_string()),
            None => {
                return Err(fail(format!(
                    "given list element {i} is null; a null string cannot be sorted"
                )));
            }
        }
    }
    out.sort();
    Ok(Value::string_list(out))
}

fn sum(c: &Call) -> Result<Value, Fail> {
    let items = match c.arg(0) {
        Value::List(items) | Value::Set(items) => items,
        Value::Map(_) | Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            return Err(arg_err(0, "cannot sum noniterable"));
        }
        other => {
            return Err(arg_err(
                0,
                format!("argument must be list, set, or tuple. Received {}", friendly(other)),
            ));
        }
    };
    if items.is_empty() {
        return Err(arg_err(0, "cannot sum an empty list"));
    }
    let mut total = 0.0f64;
    for v in items {
        let n = match v {
            Value::Number(n) => n.0,
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|_| s.trim() == s)
                .ok_or_else(not_numbers)?,
            _ => return Err(not_numbers()),
        };
        if total.is_infinite() && n.is_infinite() && total.signum() != n.signum() {
            return Err(fail("can't compute sum of opposing infinities"));
        }
        total += n;
    }
    Ok(Value::number(total))
}

fn not_numbers() -> Fail {
    arg_err(0, "argument must be list, set, or tuple of number values")
}

fn transpose(c: &Call) -> Result<Value, Fail> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Some(m) = c.arg(0).as_map() else {
        return Ok(Value::empty_map());
    };
    for (k, list) in m {
        if list.is_null() {
            return Err(fail("input must not contain null list"));
        }
        for v in list.as_list().unwrap_or(&[]) {
            let Some(s) = v.as_str() else {
                return Err(fail("input list must not contain null string"));
            };
            let entry = out.entry(s.to_string()).or_default();
            entry.push(k.clone());
            entry.sort();
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::string_list(v))).collect(),
    ))
}

fn zipmap(c: &Call) -> Result<Value, Fail> {
    let keys = c.list(0);
    if !keys.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown);
    }
    let vals = match c.arg(1) {
        Value::List(items) => items,
        _ => return Err(fail("values argument must be a list or tuple value")),
    };
    if keys.len() != vals.len() {
        return Err(fail(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            vals.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (i, (k, v)) in keys.iter().zip(vals).enumerate() {
        let Some(k) = k.as_str() else {
            return Err(fail(format!("keys list has null value at index {i}")));
        };
        out.insert(k.to_string(), v.clone());
    }
    // A sensitive key cannot stay marked as a map key: the whole map becomes sensitive.
    let secret_key = keys.iter().any(Value::is_marked);
    Ok(Value::Map(out).mark_if(secret_key))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok, list, nums, strs};
    use infra_provider::Value;

    fn m(pairs: &[(&str, Value)]) -> Value {
        Value::map(pairs.iter().map(|(k, v)| (*k, v.clone())))
    }

    #[test]
    fn documented_examples() {
        let cases: Vec<(&str, Vec<Value>, Value)> = vec![
            ("alltrue", vec![strs(&["true"])], true.into()),
            ("alltrue", vec![list(vec![true.into(), false.into()])], false.into()),
            ("alltrue", vec![list(vec![])], true.into()),
            ("anytrue", vec![strs(&["true"])], true.into()),
            ("anytrue", vec![list(vec![true.into(), false.into()])], true.into()),
            ("anytrue", vec![list(vec![])], false.into()),
            ("anytrue", vec![list(vec![Value::Unknown, true.into()])], true.into()),
            (
                "anytrue",
                vec![list(vec![Value::Unknown, false.into()])],
                Value::Unknown,
            ),
            (
                "alltrue",
                vec![list(vec![Value::Unknown, false.into()])],
                Value::Unknown,
            ),
            (
                "chunklist",
                vec![strs(&["a", "b", "c", "d", "e"]), 2.into()],
                list(vec![strs(&["a", "b"]), strs(&["c", "d"]), strs(&["e"])]),
            ),
            (
                "chunklist",
                vec![strs(&["a", "b", "c", "d", "e"]), 1.into()],
                list(vec![
                    strs(&["a"]),
                    strs(&["b"]),
                    strs(&["c"]),
                    strs(&["d"]),
                    strs(&["e"]),
                ]),
            ),
            (
                "chunklist",
                vec![strs(&["a", "b"]), 0.into()],
                list(vec![strs(&["a", "b"])]),
            ),
            ("coalesce", vec!["a".into(), "b".into()], "a".into()),
            ("coalesce", vec!["".into(), "b".into()], "b".into()),
            ("coalesce", vec![1.into(), 2.into()], 1.into()),
            ("coalesce", vec![Value::Null, 2.into()], 2.into()),
            ("coalesce", vec![1.into(), "hello".into()], "1".into()),
            (
                "coalesce",
                vec![Value::Null, Value::Unknown, "x".into()],
                Value::Unknown,
            ),
            ("coalesce", vec!["a".into(), Value::Unknown], "a".into()),
            (
                "coalescelist",
                vec![strs(&["a", "b"]), strs(&["c", "d"])],
                strs(&["a", "b"]),
            ),
            ("coalescelist", vec![list(vec![]), strs(&["c", "d"])], strs(&["c", "d"])),
            (
                "compact",
                vec![list(vec!["a".into(), "".into(), "b".into(), Value::Null, "c".into()])],
                strs(&["a", "b", "c"]),
            ),
            (
                "concat",
                vec![strs(&["a", ""]), strs(&["b", "c"])],
                strs(&["a", "", "b", "c"]),
            ),
            ("contains", vec![strs(&["a", "b", "c"]), "a".into()], true.into()),
            ("contains", vec![strs(&["a", "b", "c"]), "d".into()], false.into()),
            ("contains", vec![Value::string_set(["a"]), "a".into()], true.into()),
            (
                "distinct",
                vec![strs(&["a", "b", "a", "c", "d", "b"])],
                strs(&["a", "b", "c", "d"]),
            ),
            ("element", vec![strs(&["a", "b", "c"]), 1.into()], "b".into()),
            ("element", vec![strs(&["a", "b", "c"]), 3.into()], "a".into()),
            ("element", vec![strs(&["a", "b", "c"]), (-1).into()], "c".into()),
            ("element", vec![strs(&["a", "b", "c"]), (-4).into()], "c".into()),
            (
                "flatten",
                vec![list(vec![strs(&["a", "b"]), list(vec![]), strs(&["c"])])],
                strs(&["a", "b", "c"]),
            ),
            (
                "flatten",
                vec![list(vec![list(vec!["a".into(), list(vec![])]), strs(&["b", "c"])])],
                strs(&["a", "b", "c"]),
            ),
            (
                "flatten",
                vec![list(vec![strs(&["a"]), Value::Unknown])],
                Value::Unknown,
            ),
            (
                "flatten",
                vec![list(vec![Value::Null, strs(&["a"])])],
                list(vec![Value::Null, "a".into()]),
            ),
            ("index", vec![strs(&["a", "b", "c"]), "b".into()], 1.into()),
            (
                "keys",
                vec![m(&[("a", 1.into()), ("c", 2.into()), ("d", 3.into())])],
                strs(&["a", "c", "d"]),
            ),
            ("length", vec![list(vec![])], 0.into()),
            ("length", vec![strs(&["a", "b"])], 2.into()),
            ("length", vec![m(&[("a", "b".into())])], 1.into()),
            ("length", vec!["hello".into()], 5.into()),
            ("length", vec!["👾🕹️".into()], 2.into()),
            ("length", vec![list(vec![Value::Unknown, Value::Unknown])], 2.into()),
            (
                "lookup",
                vec![
                    m(&[("a", "ay".into()), ("b", "bee".into())]),
                    "a".into(),
                    "what?".into(),
                ],
                "ay".into(),
            ),
            (
                "lookup",
                vec![
                    m(&[("a", "ay".into()), ("b", "bee".into())]),
                    "c".into(),
                    "what?".into(),
                ],
                "what?".into(),
            ),
            (
                "lookup",
                vec![m(&[("a", "ay".into())]), "c".into(), 5.into()],
                "5".into(),
            ),
            (
                "lookup",
                vec![m(&[("a", Value::Unknown)]), "b".into(), "d".into()],
                "d".into(),
            ),
            (
                "matchkeys",
                vec![
                    strs(&["i-123", "i-abc", "i-def"]),
                    strs(&["us-west", "us-east", "us-east"]),
                    strs(&["us-east"]),
                ],
                strs(&["i-abc", "i-def"]),
            ),
            (
                "matchkeys",
                vec![strs(&["a", "b"]), nums(&[1.0, 2.0]), strs(&["2"])],
                strs(&["b"]),
            ),
            (
                "merge",
                vec![
                    m(&[("a", "b".into()), ("c", "d".into())]),
                    m(&[("e", "f".into()), ("c", "z".into())]),
                ],
                m(&[("a", "b".into()), ("c", "z".into()), ("e", "f".into())]),
            ),
            (
                "merge",
                vec![m(&[("a", "b".into())]), Value::Null],
                m(&[("a", "b".into())]),
            ),
            ("merge", vec![], Value::empty_map()),
            ("one", vec![list(vec![])], Value::Null),
            ("one", vec![strs(&["hello"])], "hello".into()),
            ("one", vec![Value::string_set(["hello"])], "hello".into()),
            ("range", vec![3.into()], nums(&[0.0, 1.0, 2.0])),
            ("range", vec![1.into(), 4.into()], nums(&[1.0, 2.0, 3.0])),
            ("range", vec![1.into(), 8.into(), 2.into()], nums(&[1.0, 3.0, 5.0, 7.0])),
            (
                "range",
                vec![1.into(), 4.into(), 0.5.into()],
                nums(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5]),
            ),
            ("range", vec![4.into(), 1.into()], nums(&[4.0, 3.0, 2.0])),
            ("range", vec![10.into(), 5.into(), (-2).into()], nums(&[10.0, 8.0, 6.0])),
            ("range", vec![(-3).into()], nums(&[0.0, -1.0, -2.0])),
            ("range", vec![0.into()], list(vec![])),
            ("reverse", vec![nums(&[1.0, 2.0, 3.0])], nums(&[3.0, 2.0, 1.0])),
            (
                "setintersection",
                vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["b", "d"])],
                Value::string_set(["b"]),
            ),
            (
                "setproduct",
                vec![strs(&["development", "staging"]), strs(&["app1", "app2"])],
                list(vec![
                    strs(&["development", "app1"]),
                    strs(&["development", "app2"]),
                    strs(&["staging", "app1"]),
                    strs(&["staging", "app2"]),
                ]),
            ),
            ("setproduct", vec![strs(&["a"]), list(vec![])], list(vec![])),
            (
                "setproduct",
                vec![Value::string_set(["b", "a"]), strs(&["x"])],
                Value::set(vec![strs(&["a", "x"]), strs(&["b", "x"])]),
            ),
            (
                "setsubtract",
                vec![strs(&["a", "b", "c"]), strs(&["a", "c"])],
                Value::string_set(["b"]),
            ),
            (
                "setunion",
                vec![strs(&["a", "b"]), strs(&["b", "c"]), strs(&["d"])],
                Value::string_set(["a", "b", "c", "d"]),
            ),
            (
                "setunion",
                vec![strs(&["a"]), nums(&[1.0])],
                Value::string_set(["1", "a"]),
            ),
            (
                "slice",
                vec![strs(&["a", "b", "c", "d"]), 1.into(), 3.into()],
                strs(&["b", "c"]),
            ),
            ("sort", vec![strs(&["e", "d", "a", "x"])], strs(&["a", "d", "e", "x"])),
            ("sort", vec![nums(&[3.0, 1.0, 11.0])], strs(&["1", "11", "3"])),
            ("sum", vec![nums(&[10.0, 13.0, 6.0, 4.5])], 33.5.into()),
            ("sum", vec![list(vec!["1".into(), 2.into()])], 3.into()),
            (
                "transpose",
                vec![m(&[("a", strs(&["1", "2"])), ("b", strs(&["2", "3"]))])],
                m(&[("1", strs(&["a"])), ("2", strs(&["a", "b"])), ("3", strs(&["b"]))]),
            ),
            (
                "values",
                vec![m(&[("a", 3.into()), ("c", 2.into()), ("d", 1.into())])],
                nums(&[3.0, 2.0, 1.0]),
            ),
            (
                "zipmap",
                vec![strs(&["a", "b"]), nums(&[1.0, 2.0])],
                m(&[("a", 1.into()), ("b", 2.into())]),
            ),
            (
                "zipmap",
                vec![strs(&["a", "a"]), nums(&[1.0, 2.0])],
                m(&[("a", 2.into())]),
            ),
            (
                "zipmap",
                vec![list(vec!["a".into(), Value::Unknown]), nums(&[1.0, 2.0])],
                Value::Unknown,
            ),
            (
                "concat",
                vec![list(vec!["a".into(), Value::Unknown]), strs(&["b"])],
                list(vec!["a".into(), Value::Unknown, "b".into()]),
            ),
            (
                "element",
                vec![list(vec!["a".into(), Value::Unknown]), 0.into()],
                "a".into(),
            ),
            ("keys", vec![m(&[("a", Value::Unknown)])], strs(&["a"])),
        ];
        for (name, args, want) in cases {
            assert_eq!(call_ok(name, args.clone()), want, "{name}({args:?})");
        }
    }

    #[test]
    fn errors() {
        let cases: Vec<(&str, Vec<Value>, &str, Option<usize>)> = vec![
            (
                "coalesce",
                vec![Value::Null, "".into()],
                "Call to function \"coalesce\" failed: no non-null, non-empty-string arguments.",
                None,
            ),
            (
                "coalesce",
                vec!["a".into(), strs(&["b"])],
                "all arguments must have the same type",
                None,
            ),
            (
                "coalescelist",
                vec![list(vec![]), list(vec![])],
                "no non-null arguments",
                None,
            ),
            (
                "concat",
                vec![strs(&["a"]), "b".into()],
                "Invalid value for \"seqs\" parameter: all arguments must be lists or tuples; got string.",
                Some(1),
            ),
            (
                "element",
                vec![list(vec![]), 0.into()],
                "cannot use element function with an empty list",
                None,
            ),
            (
                "element",
                vec![Value::string_set(["a"]), 0.into()],
                "cannot read elements from set",
                None,
            ),
            ("index", vec![strs(&["a"]), "z".into()], "item not found", None),
            (
                "index",
                vec![list(vec![]), "z".into()],
                "cannot search an empty list",
                None,
            ),
            (
                "keys",
                vec!["x".into()],
                "Invalid value for \"inputMap\" parameter: must have map or object type.",
                Some(0),
            ),
            (
                "length",
                vec![5.into()],
                "argument must be a string, a collection type, or a structural type",
                Some(0),
            ),
            (
                "lookup",
                vec![Value::map([("a", Value::from(1))]), "b".into()],
                "Call to function \"lookup\" failed: lookup failed to find key \"b\".",
                None,
            ),
            (
                "lookup",
                vec!["x".into(), "b".into()],
                "lookup() requires a map as the first argument",
                Some(0),
            ),
            (
                "lookup",
                vec![Value::empty_map(), "b".into(), "c".into(), "d".into()],
                "lookup() takes two or three arguments, got 4",
                None,
            ),
            (
                "matchkeys",
                vec![strs(&["a"]), strs(&["a", "b"]), strs(&["a"])],
                "length of keys and values should be equal",
                None,
            ),
            (
                "merge",
                vec![Value::empty_map(), strs(&["a"])],
                "arguments must be maps or objects, got \"tuple\"",
                Some(1),
            ),
            (
                "one",
                vec![strs(&["a", "b"])],
                "must be a list, set, or tuple value with either zero or one elements",
                Some(0),
            ),
            ("range", vec![], "must have one, two, or three arguments", None),
            (
                "range",
                vec![1.into(), 2.into(), 0.into()],
                "step must not be zero",
                Some(2),
            ),
            (
                "range",
                vec![1.into(), 5.into(), (-1).into()],
                "end must be less than start when step is negative",
                Some(1),
            ),
            (
                "range",
                vec![5.into(), 1.into(), 1.into()],
                "end must be greater than start when step is positive",
                Some(1),
            ),
            ("range", vec![2000.into()], "more than 1024 values were generated", None),
            (
                "reverse",
                vec![Value::string_set(["a"])],
                "can only reverse list or tuple values, not set",
                Some(0),
            ),
            (
                "setproduct",
                vec![strs(&["a"])],
                "at least two arguments are required",
                None,
            ),
            (
                "setunion",
                vec![strs(&["a"]), "b".into()],
                "a set or a list is required",
                Some(1),
            ),
            (
                "slice",
                vec![strs(&["a", "b"]), 1.into(), 3.into()],
                "end index must not be greater than the length of the list",
                Some(2),
            ),
            (
                "slice",
                vec![strs(&["a", "b"]), 2.into(), 1.into()],
                "start index must not be greater than end index",
                Some(1),
            ),
            (
                "slice",
                vec![Value::string_set(["a"]), 0.into(), 1.into()],
                "cannot slice a set",
                Some(0),
            ),
            (
                "sort",
                vec![list(vec!["a".into(), Value::Null])],
                "given list element 1 is null; a null string cannot be sorted",
                None,
            ),
            (
                "sum",
                vec![list(vec![])],
                "Invalid value for \"list\" parameter: cannot sum an empty list.",
                Some(0),
            ),
            (
                "sum",
                vec![strs(&["a"])],
                "argument must be list, set, or tuple of number values",
                Some(0),
            ),
            (
                "chunklist",
                vec![strs(&["a"]), (-1).into()],
                "the size argument must be positive",
                Some(1),
            ),
            (
                "zipmap",
                vec![strs(&["a"]), nums(&[1.0, 2.0])],
                "number of keys (1) does not match number of values (2)",
                None,
            ),
            (
                "contains",
                vec!["abc".into(), "a".into()],
                "argument must be list, tuple, or set",
                None,
            ),
        ];
        for (name, args, want, arg) in cases {
            let e = call_err(name, args.clone());
            assert!(
                e.message.contains(want),
                "{name}({args:?}): got {:?}, want {want:?}",
                e.message
            );
            assert_eq!(e.arg, arg, "{name}({args:?}): {}", e.message);
        }
    }

    #[test]
    fn structural_functions_keep_element_marks() {
        let secret = Value::from("hunter2").mark();
        let merged = call_ok(
            "merge",
            vec![
                Value::map([("user", "app".into())]),
                Value::map([("password", secret.clone())]),
            ],
        );
        assert!(
            !matches!(merged, Value::Sensitive(_)),
            "only the password is sensitive: {merged:?}"
        );
        assert!(merged.get("password").unwrap().is_marked());
        assert!(!merged.get("user").unwrap().is_marked());
        let l = call_ok("length", vec![list(vec![secret.clone(), "x".into()])]);
        assert_eq!(l, Value::int(2));
        let z = call_ok(
            "zipmap",
            vec![list(vec![Value::from("k").mark()]), list(vec![1.into()])],
        );
        assert_eq!(z, Value::map([("k", Value::from(1))]).mark());
        let whole = call_ok("keys", vec![Value::map([("a", Value::from(1))]).mark()]);
        assert!(matches!(whole, Value::Sensitive(_)));
        // Deep functions mark the whole result.
        let joined = call_ok("join", vec![",".into(), list(vec![secret, "x".into()])]);
        assert_eq!(joined, Value::from("hunter2,x").mark());
    }
}
