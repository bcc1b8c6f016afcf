//! The `format`/`formatlist` engine: a printf-like syntax as cty implements it for Terraform.
//!
//! A verb is `%` then flags (`0 # - + space`), an optional width, an optional `.precision`, an
//! optional `[n]` 1-based argument index, and a letter:
//!
//! | verb | meaning |
//! | --- | --- |
//! | `%%` | a literal `%` |
//! | `%v` | default format: strings as is, numbers like `%g`, bools, and JSON for anything else; `null` for null |
//! | `%#v` | JSON |
//! | `%t` | bool |
//! | `%d %b %o %x %X` | integer in base 10, 2, 8, 16 |
//! | `%e %E %f %g %G` | number in scientific, decimal or shortest notation (default precision 6 for `%e %f`) |
//! | `%s` | string (precision truncates, in characters) |
//! | `%q` | JSON-quoted string |
//!
//! Widths and string precisions count grapheme clusters. Every argument must be used: extra
//! arguments are an error, as is a verb without an argument.

use super::encoding::{json_encode, json_quote};
use super::{Fail, arg_err, fail, number_string};
use infra_provider::{Type, Value, convert};
use unicode_segmentation::UnicodeSegmentation;

#[derive(Default, Debug)]
struct Verb {
    raw_start: usize,
    raw_end: usize,
    arg: usize,
    mode: char,
    zero: bool,
    sharp: bool,
    plus: bool,
    minus: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Formats `fmt` with `args` (which must be wholly known; the dispatcher sees to that).
pub(crate) fn format_values(fmt: &str, args: &[Value]) -> Result<String, Fail> {
    let bytes = fmt.as_bytes();
    let mut out = String::with_capacity(fmt.len());
    let mut next_arg = 1usize;
    let mut highest = 0usize;
    let mut i = 0usize;
    let mut lit_start = 0usize;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        out.push_str(&fmt[lit_start..i]);
        if bytes.get(i + 1) == Some(&b'%') {
            out.push('%');
            i += 2;
            lit_start = i;
            continue;
        }
        let (verb, end) = parse_verb(fmt, i, next_arg)?;
        highest = highest.max(verb.arg);
        append(&verb, fmt, &mut out, args)?;
        next_arg = verb.arg + 1;
        i = end;
        lit_start = i;
    }
    out.push_str(&fmt[lit_start..]);
    if highest < args.len() {
        let first_bad = highest + 1;
        return Err(if highest == 0 {
            arg_err(first_bad, "too many arguments; no verbs in format string")
        } else {
            arg_err(
                first_bad,
                format!("too many arguments; only {highest} used by format string"),
            )
        });
    }
    Ok(out)
}

fn bad_char(fmt: &str, at: usize) -> Fail {
    match fmt[at..].chars().next() {
        Some(c) => fail(format!("unrecognized format character {} at offset {at}", go_rune(c))),
        None => fail(format!("invalid format string starting at offset {at}")),
    }
}

fn go_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        c if c.is_control() => format!("'\\u{:04x}'", c as u32),
        c => format!("'{c}'"),
    }
}

fn parse_verb(fmt: &str, start: usize, next_arg: usize) -> Result<(Verb, usize), Fail> {
    let b = fmt.as_bytes();
    let mut v = Verb {
        raw_start: start,
        arg: next_arg,
        ..Verb::default()
    };
    let mut i = start + 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'0' => v.zero = true,
            b'#' => v.sharp = true,
            b'-' => v.minus = true,
            b'+' => v.plus = true,
            b' ' => v.space = true,
            _ => break,
        }
        i += 1;
    }
    if matches!(b.get(i), Some(b'1'..=b'9')) {
        let mut w = 0usize;
        while let Some(d @ b'0'..=b'9') = b.get(i) {
            w = w.saturating_mul(10).saturating_add((d - b'0') as usize);
            i += 1;
        }
        v.width = Some(w);
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut p = 0usize;
        while let Some(d @ b'0'..=b'9') = b.get(i) {
            p = p.saturating_mul(10).saturating_add((d - b'0') as usize);
            i += 1;
        }
        v.prec = Some(p);
    }
    if b.get(i) == Some(&b'[') {
        i += 1;
        if !matches!(b.get(i), Some(b'1'..=b'9')) {
            return Err(bad_char(fmt, i));
        }
        let mut n = 0usize;
        while let Some(d @ b'0'..=b'9') = b.get(i) {
            n = n.saturating_mul(10).saturating_add((d - b'0') as usize);
            i += 1;
        }
        if b.get(i) != Some(&b']') {
            return Err(bad_char(fmt, i));
        }
        i += 1;
        v.arg = n;
    }
    match b.get(i) {
        Some(c) if c.is_ascii_alphabetic() => {
            v.mode = *c as char;
            v.raw_end = i + 1;
            Ok((v, i + 1))
        }
        _ => Err(bad_char(fmt, i)),
    }
}

fn append(v: &Verb, fmt: &str, out: &mut String, args: &[Value]) -> Result<(), Fail> {
    let raw = &fmt[v.raw_start..v.raw_end];
    let at = v.raw_start;
    let Some(arg) = args.get(v.arg - 1) else {
        return Err(fail(format!(
            "not enough arguments for {raw:?} at {at}: need index {} but have {} total",
            v.arg,
            args.len()
        )));
    };
    if v.mode != 'v' && arg.is_null() {
        return Err(fail(format!(
            "unsupported value for {raw:?} at {at}: null value cannot be formatted"
        )));
    }
    let unsupported = |why: String| fail(format!("unsupported value for {raw:?} at {at}: {why}"));
    match v.mode {
        'v' => {
            let s = match arg {
                Value::String(s) if !v.sharp => s.clone(),
                Value::Number(n) if !v.sharp => go_float(n.0, 'g', None),
                other => json_encode(other).map_err(unsupported)?,
            };
            out.push_str(&pad_width(v, &s));
        }
        't' => {
            let b = convert(arg.clone(), &Type::Bool).map_err(|e| unsupported(e.to_string()))?;
            out.push_str(if b.as_bool() == Some(true) { "true" } else { "false" });
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let n = convert(arg.clone(), &Type::Number).map_err(|e| unsupported(e.to_string()))?;
            let x = n.as_f64().unwrap_or_default();
            if matches!(v.mode, 'b' | 'd' | 'o' | 'x' | 'X') {
                if !x.is_finite() || x.fract() != 0.0 || x.abs() >= 1.7e38 {
                    return Err(unsupported("an integer is required".into()));
                }
                out.push_str(&format_int(v, x as i128));
            } else {
                out.push_str(&format_float(v, x));
            }
        }
        's' | 'q' => {
            let s = convert(arg.clone(), &Type::String).map_err(|e| unsupported(e.to_string()))?;
            let mut s = s.as_str().unwrap_or_default().to_string();
            if let Some(p) = v.prec.filter(|p| *p > 0) {
                s = s.graphemes(true).take(p).collect();
            }
            if v.mode == 'q' {
                s = json_quote(&s);
            }
            out.push_str(&pad_width(v, &s));
        }
        other => {
            return Err(fail(format!(
                "unsupported format verb {} in {raw:?} at offset {at}",
                go_rune(other)
            )));
        }
    }
    Ok(())
}

/// Pads to the verb's width in grapheme clusters (cty's `formatPadWidth`).
fn pad_width(v: &Verb, s: &str) -> String {
    let Some(width) = v.width else { return s.to_string() };
    let have = s.graphemes(true).count();
    if have >= width {
        return s.to_string();
    }
    let pad = (if v.zero { "0" } else { " " }).repeat(width - have);
    if v.minus {
        format!("{s}{pad}")
    } else {
        format!("{pad}{s}")
    }
}

/// Integers as Go's `fmt` prints a `big.Int`.
fn format_int(v: &Verb, n: i128) -> String {
    let mag = n.unsigned_abs();
    let mut digits = match v.mode {
        'b' => format!("{mag:b}"),
        'o' => format!("{mag:o}"),
        'x' => format!("{mag:x}"),
        'X' => format!("{mag:X}"),
        _ => mag.to_string(),
    };
    let sign = if n < 0 {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    let prefix = match (v.sharp, v.mode) {
        (true, 'b') => "0b",
        (true, 'o') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let mut zeros = 0usize;
    if let Some(p) = v.prec {
        if digits.len() < p {
            zeros = p - digits.len();
        } else if digits == "0" && p == 0 {
            digits.clear();
        }
    }
    let length = sign.len() + prefix.len() + zeros + digits.len();
    let (mut left, mut right) = (0, 0);
    if let Some(w) = v.width.filter(|w| *w > length) {
        let d = w - length;
        if v.minus {
            right = d;
        } else if v.zero && v.prec.is_none() {
            zeros = d;
        } else {
            left = d;
        }
    }
    format!(
        "{}{sign}{prefix}{}{digits}{}",
        " ".repeat(left),
        "0".repeat(zeros),
        " ".repeat(right)
    )
}

/// Floats as Go's `fmt` prints a `big.Float`.
fn format_float(v: &Verb, x: f64) -> String {
    let prec = v.prec.or(if matches!(v.mode, 'g' | 'G') { None } else { Some(6) });
    let body = go_float(x, v.mode, prec);
    let (sign, buf) = if let Some(rest) = body.strip_prefix('-') {
        ("-", rest.to_string())
    } else if let Some(rest) = body.strip_prefix('+') {
        (if v.space { " " } else { "+" }, rest.to_string())
    } else if v.plus {
        ("+", body)
    } else if v.space {
        (" ", body)
    } else {
        ("", body)
    };
    let padding = v.width.map(|w| w.saturating_sub(sign.len() + buf.len())).unwrap_or(0);
    if v.zero && x.is_finite() {
        format!("{sign}{}{buf}", "0".repeat(padding))
    } else if v.minus {
        format!("{sign}{buf}{}", " ".repeat(padding))
    } else {
        format!("{}{sign}{buf}", " ".repeat(padding))
    }
}

/// Decimal digits (no leading/trailing zeros) and decimal point position of `|x|`: the value is
/// `0.d1d2d3... × 10^dp`. `sig` rounds to that many significant digits; `None` is shortest.
fn digits(x: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    let x = x.abs();
    if x == 0.0 {
        return (Vec::new(), 0);
    }
    let e = match sig {
        Some(s) => format!("{:.*e}", s.max(1) - 1, x),
        None => format!("{x:e}"),
    };
    let (mant, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    (d, exp + 1)
}

fn fmt_e(neg: bool, d: &[u8], dp: i32, prec: usize, upper: bool) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push(d.first().map(|c| *c as char).unwrap_or('0'));
    if prec > 0 {
        s.push('.');
        for i in 1..=prec {
            s.push(d.get(i).map(|c| *c as char).unwrap_or('0'));
        }
    }
    let exp = if d.is_empty() { 0 } else { dp - 1 };
    s.push(if upper { 'E' } else { 'e' });
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp.abs()));
    s
}

fn fmt_f(neg: bool, d: &[u8], dp: i32, prec: usize) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if dp > 0 {
        for i in 0..dp as usize {
            s.push(d.get(i).map(|c| *c as char).unwrap_or('0'));
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 0..prec as i32 {
            let j = dp + i;
            s.push(if j >= 0 {
                d.get(j as usize).map(|c| *c as char).unwrap_or('0')
            } else {
                '0'
            });
        }
    }
    s
}

/// Go's `big.Float.Text(mode, prec)` for `e E f g G`, with `None` meaning shortest for `g`.
pub(crate) fn go_float(x: f64, mode: char, prec: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return number_string(x);
    }
    let neg = x.is_sign_negative() && x != 0.0;
    match mode {
        'e' | 'E' => {
            let p = prec.unwrap_or(6);
            let (d, dp) = digits(x, Some(p + 1));
            fmt_e(neg, &d, dp, p, mode == 'E')
        }
        'f' => {
            let p = prec.unwrap_or(6);
            let s = format!("{:.*}", p, x.abs());
            if neg && s.bytes().any(|c| c.is_ascii_digit() && c != b'0') {
                format!("-{s}")
            } else {
                s
            }
        }
        _ => {
            let shortest = prec.is_none();
            let (d, dp) = digits(x, prec.map(|p| p.max(1)));
            let nd = d.len();
            if nd == 0 {
                return "0".into();
            }
            let p = prec.map(|p| p.max(1)).unwrap_or(nd);
            let mut eprec = p;
            if eprec > nd && nd as i32 >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec as i32 {
                let pe = p.min(nd);
                fmt_e(neg, &d, dp, pe - 1, mode == 'G')
            } else {
                let pf = if p as i32 > dp { nd } else { p };
                fmt_f(neg, &d, dp, (pf as i32 - dp).max(0) as usize)
            }
        }
    }
}

/// `formatlist`: list, set and tuple arguments are iterated together (same length required); other
/// arguments repeat in every iteration.
pub(crate) fn format_list(fmt: &str, args: &[Value]) -> Result<Value, Fail> {
    if args.is_empty() {
        return Ok(Value::List(vec![Value::String(format_values(fmt, args)?)]));
    }
    let mut iter_len: Option<(usize, usize)> = None;
    for (i, a) in args.iter().enumerate() {
        if let Value::List(items) | Value::Set(items) = a {
            match iter_len {
                None => iter_len = Some((items.len(), i)),
                Some((len, chooser)) if len != items.len() => {
                    return Err(arg_err(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with argument {} of length {len}",
                            i + 1,
                            items.len(),
                            chooser + 1
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let n = match iter_len {
        Some((0, _)) => return Ok(Value::List(Vec::new())),
        Some((n, _)) => n,
        None => 1,
    };
    let mut out = Vec::with_capacity(n);
    for it in 0..n {
        let row: Vec<Value> = args
            .iter()
            .map(|a| match a {
                Value::List(items) | Value::Set(items) => items[it].clone(),
                other => other.clone(),
            })
            .collect();
        if !row.iter().all(Value::is_wholly_known) {
            out.push(Value::Unknown);
            continue;
        }
        let s = format_values(fmt, &row).map_err(|e| fail(format!("error on format iteration {it}: {}", e.msg)))?;
        out.push(Value::String(s));
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok, list, strs};
    use infra_provider::Value;

    fn f(fmt: &str, args: Vec<Value>) -> String {
        let mut all = vec![Value::from(fmt)];
        all.extend(args);
        call_ok("format", all).as_str().unwrap().to_string()
    }

    #[test]
    fn cty_and_documented_examples() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("", vec![], ""),
            ("100%% successful", vec![], "100% successful"),
            ("Hello, %s!", vec!["Ander".into()], "Hello, Ander!"),
            ("There are %d lights", vec![4.into()], "There are 4 lights"),
            ("string %v", vec!["hello".into()], "string hello"),
            ("string %[2]v", vec![true.into(), "hello".into()], "string hello"),
            ("string %#v", vec!["hello".into()], "string \"hello\""),
            ("number %v", vec![2.into()], "number 2"),
            ("number %#v", vec![2.into()], "number 2"),
            ("bool %v", vec![true.into()], "bool true"),
            ("object %v", vec![Value::empty_map()], "object {}"),
            ("tuple %v", vec![list(vec![])], "tuple []"),
            ("%%%v", vec![false.into()], "%false"),
            ("%v", vec![Value::Null], "null"),
            (
                "Hello, %q... if that _is_ your real name!",
                vec!["Ermintrude".into()],
                "Hello, \"Ermintrude\"... if that _is_ your real name!",
            ),
            ("This statement is %s", vec![false.into()], "This statement is false"),
            (
                "This statement is %q",
                vec![false.into()],
                "This statement is \"false\"",
            ),
            ("%10s", vec!["hello".into()], "     hello"),
            ("%-10s", vec!["hello".into()], "hello     "),
            ("%4s", vec!["💃🏿".into()], "   💃🏿"),
            ("%.2q", vec!["hello".into()], "\"he\""),
            ("%.5s", vec!["日本語日本語".into()], "日本語日本"),
            ("%4.2s", vec!["hello".into()], "  he"),
            ("%-4.2s", vec!["hello".into()], "he  "),
            ("%q", vec!["Hello\nWorld".into()], "\"Hello\\nWorld\""),
            ("%t", vec!["false".into()], "false"),
            ("%+d bottles", vec![10.into()], "+10 bottles"),
            ("% d bottles", vec![10.into()], " 10 bottles"),
            ("%5d bottles", vec![10.into()], "   10 bottles"),
            ("%-5d bottles", vec![10.into()], "10    bottles"),
            ("%05d", vec![(-42).into()], "-0042"),
            ("%.4d", vec![7.into()], "0007"),
            ("%b", vec![5.into()], "101"),
            ("%o", vec![9.into()], "11"),
            ("%x", vec![254.into()], "fe"),
            ("%X", vec![254.into()], "FE"),
            ("%#x", vec![254.into()], "0xfe"),
            ("%d", vec!["12".into()], "12"),
            ("%f things", vec![10.into()], "10.000000 things"),
            ("%[2]f things", vec![1.into(), 10.into()], "10.000000 things"),
            ("%+f", vec![10.into()], "+10.000000"),
            ("% f", vec![(-10).into()], "-10.000000"),
            ("%.4f", vec![1.0000000001.into()], "1.0000"),
            ("%.1f", vec!["1.06".into()], "1.1"),
            ("%.2f", vec![2.71534.into()], "2.72"),
            ("%8.2f|", vec![2.71534.into()], "    2.72|"),
            ("%-8.2f|", vec![2.71534.into()], "2.72    |"),
            ("%08.2f", vec![(-2.71534).into()], "-0002.72"),
            ("%e things", vec![1000.into()], "1.000000e+03 things"),
            ("%E things", vec![1000.into()], "1.000000E+03 things"),
            ("%.2e", vec![0.000123456.into()], "1.23e-04"),
            ("%g things", vec![1000.into()], "1000 things"),
            ("%G things", vec![1000.into()], "1000 things"),
            ("%g", vec![1e-23.into()], "1e-23"),
            ("%G", vec![1e-23.into()], "1E-23"),
            ("%g", vec![1234567.into()], "1.234567e+06"),
            ("%v", vec![1234567.into()], "1.234567e+06"),
            ("%v", vec![0.5.into()], "0.5"),
            ("%.3g", vec![2.71534.into()], "2.72"),
            ("%.3g", vec![1234.into()], "1.23e+03"),
            (
                "%#v",
                vec![Value::map([("b", Value::from(1)), ("a", Value::from("<x>"))])],
                "{\"a\":\"\\u003cx\\u003e\",\"b\":1}",
            ),
            ("%v", vec![strs(&["a", "b"])], "[\"a\",\"b\"]"),
            ("%5v|%-5v|", vec!["ab".into(), 12.into()], "   ab|12   |"),
        ];
        for (fmt, args, want) in cases {
            assert_eq!(f(fmt, args.clone()), want, "format({fmt:?}, {args:?})");
        }
    }

    #[test]
    fn format_errors() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%s",
                vec![Value::Null],
                "unsupported value for \"%s\" at 0: null value cannot be formatted",
            ),
            (
                "This statement is %t",
                vec![Value::Null],
                "unsupported value for \"%t\" at 18: null value cannot be formatted",
            ),
            (
                "%d things",
                vec![true.into()],
                "unsupported value for \"%d\" at 0: number required",
            ),
            (
                "%d",
                vec![1.5.into()],
                "unsupported value for \"%d\" at 0: an integer is required",
            ),
            (
                "%s is not in the args list",
                vec![],
                "not enough arguments for \"%s\" at 0: need index 1 but have 0 total",
            ),
            (
                "%[3]s",
                vec![true.into(), true.into()],
                "not enough arguments for \"%[3]s\" at 0: need index 3 but have 2 total",
            ),
            (
                "%[0]s",
                vec![true.into()],
                "unrecognized format character '0' at offset 2",
            ),
            (
                "%v %v %v",
                vec![true.into(), true.into()],
                "not enough arguments for \"%v\" at 6: need index 3 but have 2 total",
            ),
            (
                "%z is not valid",
                vec![10.into()],
                "unsupported format verb 'z' in \"%z\" at offset 0",
            ),
            (
                "%012z",
                vec![10.into()],
                "unsupported format verb 'z' in \"%012z\" at offset 0",
            ),
            ("%☠ x", vec![10.into()], "unrecognized format character '☠' at offset 1"),
            ("%", vec![], "invalid format string starting at offset 1"),
            (
                "no verbs",
                vec![10.into()],
                "too many arguments; no verbs in format string",
            ),
            (
                "only one %d",
                vec![10.into(), 11.into()],
                "too many arguments; only 1 used by format string",
            ),
            (
                "%s",
                vec![Value::empty_map()],
                "unsupported value for \"%s\" at 0: string required",
            ),
        ];
        for (fmt, args, want) in cases {
            let mut all = vec![Value::from(fmt)];
            all.extend(args);
            let e = call_err("format", all);
            assert!(
                e.message.contains(want),
                "format({fmt:?}): got {:?}, want {want:?}",
                e.message
            );
        }
        let e = call_err("format", vec!["only one %d".into(), 10.into(), 11.into()]);
        assert_eq!(e.arg, Some(2));
    }

    #[test]
    fn formatlist_iterates_lists_together() {
        let got = call_ok(
            "formatlist",
            vec!["Hello, %s!".into(), strs(&["Valentina", "Ander", "Olivia", "Sam"])],
        );
        assert_eq!(
            got,
            strs(&["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"])
        );
        let got = call_ok(
            "formatlist",
            vec!["%s, %s!".into(), "Salutations".into(), strs(&["Valentina", "Ander"])],
        );
        assert_eq!(got, strs(&["Salutations, Valentina!", "Salutations, Ander!"]));
        assert_eq!(call_ok("formatlist", vec!["hello".into()]), strs(&["hello"]));
        assert_eq!(call_ok("formatlist", vec!["%v".into(), list(vec![])]), list(vec![]));
        assert_eq!(
            call_ok("formatlist", vec!["%v %v".into(), Value::Null, strs(&["a"])]),
            strs(&["null a"])
        );
        let e = call_err("formatlist", vec!["%s %s".into(), strs(&["a", "b"]), strs(&["c"])]);
        assert!(
            e.message
                .contains("argument 2 has length 1, which is inconsistent with argument 1 of length 2"),
            "{}",
            e.message
        );
        assert_eq!(e.arg, Some(2));
        let e = call_err("formatlist", vec!["%s".into(), list(vec![Value::empty_map()])]);
        assert!(
            e.message
                .contains("error on format iteration 0: unsupported value for \"%s\" at 0"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_elements_of_formatlist_stay_unknown() {
        let got = call_ok("formatlist", vec!["%s".into(), list(vec!["a".into(), Value::Unknown])]);
        assert_eq!(got, list(vec!["a".into(), Value::Unknown]));
    }
}
