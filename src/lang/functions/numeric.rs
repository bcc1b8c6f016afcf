//! Numeric functions: `abs ceil floor log max min parseint pow signum` (`sum` is a collection
//! function).
//!
//! Arguments convert to numbers first, so `abs("-3")` is `3`. Results that are not numbers
//! (`log(-1, 10)`) are errors as in Terraform; infinities are allowed (`log(0, 10)` is `-Inf`).
//! `parseint` accepts bases 2 to 62 (digits, then `a-z`, then `A-Z` above base 36; letters are
//! case-insensitive up to base 36) and an optional sign.

use super::{Call, Fail, Spec, Ty, arg_err, fail, func, p};
use infra_provider::Value;

pub(crate) static SPECS: &[Spec] = &[
    func("abs", &[p("num", Ty::Number)], abs),
    func("ceil", &[p("num", Ty::Number)], ceil),
    func("floor", &[p("num", Ty::Number)], floor),
    func("log", &[p("num", Ty::Number), p("base", Ty::Number)], log),
    func("max", &[], max).var(p("numbers", Ty::Number)),
    func("min", &[], min).var(p("numbers", Ty::Number)),
    func("parseint", &[p("number", Ty::Any), p("base", Ty::Number)], parseint),
    func("pow", &[p("num", Ty::Number), p("power", Ty::Number)], pow),
    func("signum", &[p("num", Ty::Number)], signum),
];

fn n(x: f64) -> Result<Value, Fail> {
    Ok(Value::number(x))
}

fn abs(c: &Call) -> Result<Value, Fail> {
    n(c.num(0).abs())
}

fn ceil(c: &Call) -> Result<Value, Fail> {
    n(c.num(0).ceil())
}

fn floor(c: &Call) -> Result<Value, Fail> {
    n(c.num(0).floor())
}

fn log(c: &Call) -> Result<Value, Fail> {
    let r = c.num(0).ln() / c.num(1).ln();
    if r.is_nan() {
        return Err(fail("result is not a number"));
    }
    n(r)
}

fn pow(c: &Call) -> Result<Value, Fail> {
    let r = c.num(0).powf(c.num(1));
    if r.is_nan() {
        return Err(fail("result is not a number"));
    }
    n(r)
}

fn max(c: &Call) -> Result<Value, Fail> {
    if c.args.is_empty() {
        return Err(fail("must pass at least one number"));
    }
    n((0..c.args.len()).map(|i| c.num(i)).fold(f64::NEG_INFINITY, f64::max))
}

fn min(c: &Call) -> Result<Value, Fail> {
    if c.args.is_empty() {
        return Err(fail("must pass at least one number"));
    }
    n((0..c.args.len()).map(|i| c.num(i)).fold(f64::INFINITY, f64::min))
}

fn signum(c: &Call) -> Result<Value, Fail> {
    let x = c.num(0);
    n(if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    })
}

fn parseint(c: &Call) -> Result<Value, Fail> {
    let Value::String(text) = c.arg(0) else {
        return Err(arg_err(
            0,
            format!("first argument must be a string, not {}", super::friendly(c.arg(0))),
        ));
    };
    let base = c.int(1)?;
    if !(2..=62).contains(&base) {
        return Err(arg_err(1, "base must be a whole number between 2 and 62 inclusive"));
    }
    let bad = || arg_err(0, format!("cannot parse {} as a base {base} integer", c.show(0, text)));
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, &text[..]),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut acc = 0f64;
    for ch in digits.chars() {
        let d = match ch {
            '0'..='9' => ch as u32 - '0' as u32,
            'a'..='z' => ch as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => ch as u32 - 'A' as u32 + 10,
            'A'..='Z' => ch as u32 - 'A' as u32 + 36,
            _ => return Err(bad()),
        };
        if i64::from(d) >= base {
            return Err(bad());
        }
        acc = acc * base as f64 + f64::from(d);
    }
    n(if neg { -acc } else { acc })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok};
    use infra_provider::Value;

    #[test]
    fn documented_examples() {
        let cases: Vec<(&str, Vec<Value>, Value)> = vec![
            ("abs", vec![23.into()], 23.into()),
            ("abs", vec![0.into()], 0.into()),
            ("abs", vec![(-12.4).into()], 12.4.into()),
            ("abs", vec!["-3".into()], 3.into()),
            ("ceil", vec![5.into()], 5.into()),
            ("ceil", vec![5.1.into()], 6.into()),
            ("floor", vec![5.into()], 5.into()),
            ("floor", vec![4.9.into()], 4.into()),
            (
                "log",
                vec![50.into(), 10.into()],
                Value::number(50f64.ln() / 10f64.ln()),
            ),
            ("log", vec![16.into(), 2.into()], 4.into()),
            ("log", vec![1.into(), 10.into()], 0.into()),
            ("log", vec![0.into(), 10.into()], Value::number(f64::NEG_INFINITY)),
            ("max", vec![12.into(), 54.into(), 3.into()], 54.into()),
            ("min", vec![12.into(), 54.into(), 3.into()], 3.into()),
            ("max", vec![(-1).into()], (-1).into()),
            ("parseint", vec!["100".into(), 10.into()], 100.into()),
            ("parseint", vec!["FF".into(), 16.into()], 255.into()),
            ("parseint", vec!["-10".into(), 16.into()], (-16).into()),
            ("parseint", vec!["1011111011101111".into(), 2.into()], 48879.into()),
            ("parseint", vec!["aA".into(), 62.into()], 656.into()),
            ("parseint", vec!["zz".into(), 36.into()], 1295.into()),
            ("parseint", vec!["ZZ".into(), 36.into()], 1295.into()),
            ("pow", vec![3.into(), 2.into()], 9.into()),
            ("pow", vec![4.into(), 0.into()], 1.into()),
            ("signum", vec![(-13).into()], (-1).into()),
            ("signum", vec![0.into()], 0.into()),
            ("signum", vec![344.into()], 1.into()),
        ];
        for (name, args, want) in cases {
            assert_eq!(call_ok(name, args.clone()), want, "{name}({args:?})");
        }
    }

    #[test]
    fn errors() {
        let e = call_err("parseint", vec!["12".into(), 2.into()]);
        assert_eq!(
            e.message,
            "Invalid value for \"number\" parameter: cannot parse \"12\" as a base 2 integer."
        );
        assert_eq!(e.arg, Some(0));
        let e = call_err("parseint", vec!["FF".into(), 63.into()]);
        assert_eq!(
            e.message,
            "Invalid value for \"base\" parameter: base must be a whole number between 2 and 62 inclusive."
        );
        let e = call_err("parseint", vec![5.into(), 10.into()]);
        assert!(
            e.message.contains("first argument must be a string, not number"),
            "{}",
            e.message
        );
        let e = call_err("parseint", vec![Value::from("12").mark(), 2.into()]);
        assert!(
            e.message.contains("cannot parse (sensitive value) as a base 2 integer"),
            "{}",
            e.message
        );
        assert!(
            call_err("log", vec![(-1).into(), 10.into()])
                .message
                .contains("result is not a number")
        );
        assert!(
            call_err("max", vec![])
                .message
                .contains("must pass at least one number")
        );
        let e = call_err("abs", vec!["x".into()]);
        assert!(
            e.message
                .starts_with("Invalid value for \"num\" parameter: a number is required"),
            "{}",
            e.message
        );
        let e = call_err("abs", vec![]);
        assert_eq!(
            e.message,
            "Function \"abs\" expects 1 argument(s). Missing value for \"num\"."
        );
        let e = call_err("abs", vec![1.into(), 2.into()]);
        assert_eq!(e.message, "Function \"abs\" expects only 1 argument(s).");
        assert_eq!(e.arg, Some(1));
    }
}
