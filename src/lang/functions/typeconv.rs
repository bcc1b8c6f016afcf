//! Type conversion functions `tobool tolist tomap tonumber toset tostring` and the sensitivity
//! functions `sensitive nonsensitive issensitive`.
//!
//! Conversions follow Terraform: null and unknown convert to anything; `tostring(5)` is `"5"`,
//! `tonumber("5")` is `5`, `tobool("true")` is `true`; `tolist`/`toset`/`tomap` unify element types,
//! so a tuple mixing strings and numbers becomes a list of strings, and mixing primitives with
//! collections is an error. Marks on elements survive conversion.
//!
//! `sensitive(v)` marks a value; `nonsensitive(v)` removes the outermost mark (a value that is not
//! sensitive is returned unchanged, as Terraform has done since v1.6); `issensitive(v)` tells
//! whether the value itself is marked (unknown when it is an unmarked unknown).

use super::{Call, Fail, Marks, Spec, Ty, Unified, Unknowns, arg_err, conform, friendly, func, pn, unify};
use infra_provider::{Type, Value, convert};

pub(crate) static SPECS: &[Spec] = &[
    func("tobool", &[pn("v", Ty::Any)], tobool)
        .unknowns(Unknowns::Shallow)
        .marks(Marks::Shallow),
    func("tolist", &[pn("v", Ty::Any)], tolist)
        .unknowns(Unknowns::Shallow)
        .marks(Marks::Shallow),
    func("tomap", &[pn("v", Ty::Any)], tomap)
        .unknowns(Unknowns::Shallow)
        .marks(Marks::Shallow),
    func("tonumber", &[pn("v", Ty::Any)], tonumber)
        .unknowns(Unknowns::Shallow)
        .marks(Marks::Shallow),
    func("toset", &[pn("v", Ty::Any)], toset)
        .unknowns(Unknowns::Shallow)
        .marks(Marks::Shallow),
    func("tostring", &[pn("v", Ty::Any)], tostring)
        .unknowns(Unknowns::Shallow)
        .marks(Marks::Shallow),
    func("sensitive", &[pn("value", Ty::Any)], sensitive)
        .unknowns(Unknowns::Handle)
        .marks(Marks::Handle),
    func("nonsensitive", &[pn("value", Ty::Any)], nonsensitive)
        .unknowns(Unknowns::Handle)
        .marks(Marks::Handle),
    func("issensitive", &[pn("value", Ty::Any)], issensitive)
        .unknowns(Unknowns::Handle)
        .marks(Marks::Handle),
];

fn cannot(c: &Call, want: &str) -> Fail {
    let v = c.arg(0);
    if c.marked[0] || v.is_marked() {
        return arg_err(0, format!("cannot convert this sensitive {} to {want}", friendly(v)));
    }
    arg_err(0, format!("cannot convert {} to {want}", friendly(v)))
}

fn primitive(c: &Call, ty: Type, want: &str) -> Result<Value, Fail> {
    let v = c.arg(0);
    if matches!(v, Value::Null) {
        return Ok(Value::Null);
    }
    if let (Type::Number, Value::String(s)) = (&ty, v)
        && !is_decimal(s)
    {
        return Err(if c.marked[0] {
            cannot(c, want)
        } else {
            arg_err(
                0,
                format!("cannot convert {s:?} to number; given string must be a decimal representation of a number"),
            )
        });
    }
    convert(v.clone(), &ty).map_err(|_| match v {
        Value::String(s) if ty == Type::Bool && !c.marked[0] => arg_err(
            0,
            format!("cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"),
        ),
        _ => cannot(c, want),
    })
}

/// A decimal number as Terraform writes one: optional sign, digits with an optional fraction, an
/// optional exponent.
fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

fn tobool(c: &Call) -> Result<Value, Fail> {
    primitive(c, Type::Bool, "bool")
}

fn tonumber(c: &Call) -> Result<Value, Fail> {
    primitive(c, Type::Number, "number")
}

fn tostring(c: &Call) -> Result<Value, Fail> {
    primitive(c, Type::String, "string")
}

fn unified(c: &Call, items: &[Value], what: &str) -> Result<Vec<Value>, Fail> {
    let kind = unify(items).ok_or_else(|| cannot(c, what))?;
    if kind == Unified::Any {
        return Ok(items.to_vec());
    }
    items
        .iter()
        .map(|v| conform(v.clone(), kind).map_err(|_| cannot(c, what)))
        .collect()
}

fn tolist(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::Null => Ok(Value::Null),
        Value::List(items) | Value::Set(items) => Ok(Value::List(unified(c, items, "list of any single type")?)),
        _ => Err(cannot(c, "list of any single type")),
    }
}

fn toset(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::Null => Ok(Value::Null),
        Value::List(items) | Value::Set(items) => {
            // Set elements cannot carry marks of their own (as in cty): a marked element marks the set.
            let (plain, marked) = Value::List(unified(c, items, "set of any single type")?).unmark_deep();
            let items = match plain {
                Value::List(items) => items,
                _ => Vec::new(),
            };
            Ok(Value::set(items).mark_if(marked))
        }
        _ => Err(cannot(c, "set of any single type")),
    }
}

fn tomap(c: &Call) -> Result<Value, Fail> {
    match c.arg(0) {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => {
            let vals: Vec<Value> = m.values().cloned().collect();
            let vals = unified(c, &vals, "map of any single type")?;
            Ok(Value::Map(m.keys().cloned().zip(vals).collect()))
        }
        _ => Err(cannot(c, "map of any single type")),
    }
}

fn sensitive(c: &Call) -> Result<Value, Fail> {
    Ok(c.arg(0).clone().mark())
}

fn nonsensitive(c: &Call) -> Result<Value, Fail> {
    Ok(super::unmark_top(c.arg(0).clone()))
}

fn issensitive(c: &Call) -> Result<Value, Fail> {
    Ok(match c.arg(0) {
        Value::Sensitive(_) => Value::Bool(true),
        Value::Unknown => Value::Unknown,
        _ => Value::Bool(false),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok, list, nums, strs};
    use infra_provider::Value;

    #[test]
    fn conversions() {
        let cases: Vec<(&str, Vec<Value>, Value)> = vec![
            ("tobool", vec![true.into()], true.into()),
            ("tobool", vec!["false".into()], false.into()),
            ("tobool", vec![Value::Null], Value::Null),
            ("tonumber", vec![1.into()], 1.into()),
            ("tonumber", vec!["1".into()], 1.into()),
            ("tonumber", vec!["-1.5e3".into()], (-1500).into()),
            ("tonumber", vec![Value::Null], Value::Null),
            ("tostring", vec!["hello".into()], "hello".into()),
            ("tostring", vec![1.into()], "1".into()),
            ("tostring", vec![1.5.into()], "1.5".into()),
            ("tostring", vec![true.into()], "true".into()),
            ("tostring", vec![Value::Null], Value::Null),
            (
                "tolist",
                vec![list(vec!["a".into(), "b".into(), "c".into()])],
                strs(&["a", "b", "c"]),
            ),
            (
                "tolist",
                vec![list(vec!["a".into(), "b".into(), 3.into()])],
                strs(&["a", "b", "3"]),
            ),
            ("tolist", vec![Value::string_set(["b", "a"])], strs(&["a", "b"])),
            ("toset", vec![strs(&["c", "b", "b"])], Value::string_set(["b", "c"])),
            (
                "toset",
                vec![list(vec!["a".into(), 3.into()])],
                Value::string_set(["3", "a"]),
            ),
            (
                "tomap",
                vec![Value::map([("a", Value::from(1)), ("b", Value::from(2))])],
                Value::map([("a", Value::from(1)), ("b", Value::from(2))]),
            ),
            (
                "tomap",
                vec![Value::map([("a", Value::from("foo")), ("b", Value::from(true))])],
                Value::string_map([("a", "foo"), ("b", "true")]),
            ),
            (
                "tolist",
                vec![list(vec![1.into(), Value::Unknown])],
                list(vec![1.into(), Value::Unknown]),
            ),
            ("tostring", vec![Value::Unknown], Value::Unknown),
            ("tolist", vec![nums(&[1.0])], nums(&[1.0])),
        ];
        for (name, args, want) in cases {
            assert_eq!(call_ok(name, args.clone()), want, "{name}({args:?})");
        }
    }

    #[test]
    fn conversion_errors() {
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "tobool",
                "yes".into(),
                "Invalid value for \"v\" parameter: cannot convert \"yes\" to bool; only the strings \"true\" or \"false\" are allowed.",
            ),
            (
                "tonumber",
                "no".into(),
                "Invalid value for \"v\" parameter: cannot convert \"no\" to number; given string must be a decimal representation of a number.",
            ),
            ("tonumber", "inf".into(), "cannot convert \"inf\" to number"),
            ("tostring", strs(&["a"]), "cannot convert tuple to string"),
            ("tostring", Value::empty_map(), "cannot convert object to string"),
            (
                "tolist",
                Value::empty_map(),
                "cannot convert object to list of any single type",
            ),
            (
                "tolist",
                list(vec!["a".into(), strs(&["b"])]),
                "cannot convert tuple to list of any single type",
            ),
            ("tomap", strs(&["a"]), "cannot convert tuple to map of any single type"),
            (
                "tonumber",
                Value::from("secret-value").mark(),
                "cannot convert this sensitive string to number",
            ),
        ];
        for (name, arg, want) in cases {
            let e = call_err(name, vec![arg.clone()]);
            assert!(e.message.contains(want), "{name}({arg:?}): {}", e.message);
            assert_eq!(e.arg, Some(0));
            assert!(!e.message.contains("secret-value"));
        }
    }

    #[test]
    fn sensitivity_functions() {
        let s = call_ok("sensitive", vec!["x".into()]);
        assert_eq!(s, Value::from("x").mark());
        assert_eq!(call_ok("sensitive", vec![Value::Unknown]), Value::Unknown.mark());
        assert_eq!(call_ok("nonsensitive", vec![s.clone()]), Value::from("x"));
        assert_eq!(call_ok("nonsensitive", vec!["plain".into()]), Value::from("plain"));
        assert_eq!(call_ok("nonsensitive", vec![Value::Unknown.mark()]), Value::Unknown);
        assert_eq!(call_ok("issensitive", vec![s]), Value::Bool(true));
        assert_eq!(call_ok("issensitive", vec!["x".into()]), Value::Bool(false));
        assert_eq!(call_ok("issensitive", vec![Value::Unknown]), Value::Unknown);
        assert_eq!(call_ok("issensitive", vec![Value::Unknown.mark()]), Value::Bool(true));
        assert_eq!(call_ok("issensitive", vec![Value::Null]), Value::Bool(false));
        // Marks on elements survive conversions.
        let l = call_ok("tolist", vec![list(vec![Value::from("a").mark(), "b".into()])]);
        assert!(!matches!(l, Value::Sensitive(_)));
        assert!(l.as_list().unwrap()[0].is_marked());
        let s = call_ok("toset", vec![list(vec![Value::from("a").mark(), "a".into()])]);
        assert_eq!(s, Value::string_set(["a"]).mark());
    }
}
