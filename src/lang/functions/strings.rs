//! String functions: `chomp endswith format formatlist indent join lower regex regexall replace split
//! startswith strcontains strrev substr templatestring title trim trimprefix trimsuffix trimspace upper`.
//!
//! Lengths and offsets (`substr`, `strrev`, `format` widths) count user-perceived characters (Unicode
//! grapheme clusters) as Terraform does. Regular expressions use the `regex` crate, whose syntax is the
//! RE2 syntax Go uses (no look-around, no backreferences); `replace` treats a `substr` written
//! `/.../` as a regular expression with `$1`/`${name}` references in the replacement. `format`'s verbs
//! are described in the private `format` module: `%s %q %d %f %.Nf %e %g %x %X %o %b %t %v %#v %%`,
//! flags `+ - 0 # space`, widths, precisions and `%[n]d` argument indexes.

use super::format::{format_list, format_values};
use super::{Call, Fail, Marks, Spec, Ty, Unknowns, arg_err, fail, func, p, pn};
use infra_provider::Value;
use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

pub(crate) static SPECS: &[Spec] = &[
    func("chomp", &[p("str", Ty::String)], chomp),
    func("endswith", &[p("str", Ty::String), p("suffix", Ty::String)], endswith),
    func("format", &[p("format", Ty::String)], format).var(pn("args", Ty::Any)),
    func("formatlist", &[p("format", Ty::String)], formatlist)
        .var(pn("args", Ty::Any))
        .unknowns(Unknowns::Shallow),
    func("indent", &[p("spaces", Ty::Number), p("str", Ty::String)], indent),
    func("join", &[p("separator", Ty::String)], join).var(p("lists", Ty::ListString)),
    func("lower", &[p("str", Ty::String)], lower),
    func("regex", &[p("pattern", Ty::String), p("string", Ty::String)], regex),
    func(
        "regexall",
        &[p("pattern", Ty::String), p("string", Ty::String)],
        regexall,
    ),
    func(
        "replace",
        &[p("str", Ty::String), p("substr", Ty::String), p("replace", Ty::String)],
        replace,
    ),
    func("split", &[p("separator", Ty::String), p("str", Ty::String)], split),
    func(
        "startswith",
        &[p("str", Ty::String), p("prefix", Ty::String)],
        startswith,
    ),
    func(
        "strcontains",
        &[p("str", Ty::String), p("substr", Ty::String)],
        strcontains,
    ),
    func("strrev", &[p("str", Ty::String)], strrev),
    func(
        "substr",
        &[p("str", Ty::String), p("offset", Ty::Number), p("length", Ty::Number)],
        substr,
    ),
    func(
        "templatestring",
        &[p("template", Ty::String), p("vars", Ty::Any)],
        templatestring,
    )
    .unknowns(Unknowns::Shallow)
    .marks(Marks::Deep),
    func("title", &[p("str", Ty::String)], title),
    func("trim", &[p("str", Ty::String), p("cutset", Ty::String)], trim),
    func(
        "trimprefix",
        &[p("str", Ty::String), p("prefix", Ty::String)],
        trimprefix,
    ),
    func(
        "trimsuffix",
        &[p("str", Ty::String), p("suffix", Ty::String)],
        trimsuffix,
    ),
    func("trimspace", &[p("str", Ty::String)], trimspace),
    func("upper", &[p("str", Ty::String)], upper),
];

fn s(v: impl Into<String>) -> Result<Value, Fail> {
    Ok(Value::String(v.into()))
}

fn chomp(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).trim_end_matches(['\r', '\n']))
}

fn endswith(c: &Call) -> Result<Value, Fail> {
    Ok(Value::Bool(c.str(0).ends_with(c.str(1))))
}

fn startswith(c: &Call) -> Result<Value, Fail> {
    Ok(Value::Bool(c.str(0).starts_with(c.str(1))))
}

fn strcontains(c: &Call) -> Result<Value, Fail> {
    Ok(Value::Bool(c.str(0).contains(c.str(1))))
}

fn format(c: &Call) -> Result<Value, Fail> {
    format_values(c.str(0), &c.args[1..]).map(Value::String)
}

fn formatlist(c: &Call) -> Result<Value, Fail> {
    format_list(c.str(0), &c.args[1..])
}

fn indent(c: &Call) -> Result<Value, Fail> {
    let n = c.int(0)?;
    let pad = " ".repeat(n.max(0) as usize);
    s(c.str(1).replace('\n', &format!("\n{pad}")))
}

fn join(c: &Call) -> Result<Value, Fail> {
    let lists = &c.args[1..];
    if lists.is_empty() {
        return Err(fail("at least one list is required"));
    }
    let mut items: Vec<&str> = Vec::new();
    for (li, list) in lists.iter().enumerate() {
        for (ei, v) in list.as_list().unwrap_or(&[]).iter().enumerate() {
            match v.as_str() {
                Some(s) => items.push(s),
                None if lists.len() > 1 => {
                    return Err(arg_err(
                        li + 1,
                        format!(
                            "element {ei} of list {} is null; cannot concatenate null values",
                            li + 1
                        ),
                    ));
                }
                None => {
                    return Err(arg_err(
                        li + 1,
                        format!("element {ei} is null; cannot concatenate null values"),
                    ));
                }
            }
        }
    }
    s(items.join(c.str(0)))
}

fn lower(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).to_lowercase())
}

fn upper(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).to_uppercase())
}

/// Compiles a pattern, with Terraform's error wording.
fn compile(pattern: &str, arg: usize) -> Result<Regex, Fail> {
    Regex::new(pattern).map_err(|e| arg_err(arg, format!("error parsing pattern: {}", one_line(&e.to_string()))))
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a pattern's captures are returned: the whole match, a list of captures, or an object of
/// named captures.
enum Shape {
    Whole,
    List(usize),
    Named(Vec<String>),
}

fn shape(re: &Regex) -> Result<Shape, Fail> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    let unnamed = names.len() - named;
    match (named, unnamed) {
        (0, 0) => Ok(Shape::Whole),
        (0, n) => Ok(Shape::List(n)),
        (_, 0) => Ok(Shape::Named(names.into_iter().flatten().map(str::to_string).collect())),
        _ => Err(arg_err(
            0,
            "invalid regexp pattern: cannot mix both named and unnamed capture groups",
        )),
    }
}

fn captures_value(shape: &Shape, caps: &regex::Captures) -> Value {
    let get = |i: usize| caps.get(i).map(|m| Value::string(m.as_str())).unwrap_or(Value::Null);
    match shape {
        Shape::Whole => get(0),
        Shape::List(n) => Value::List((1..=*n).map(get).collect()),
        Shape::Named(names) => Value::map(names.iter().map(|n| {
            (
                n.clone(),
                caps.name(n).map(|m| Value::string(m.as_str())).unwrap_or(Value::Null),
            )
        })),
    }
}

fn regex(c: &Call) -> Result<Value, Fail> {
    let re = compile(c.str(0), 0)?;
    let shape = shape(&re)?;
    match re.captures(c.str(1)) {
        Some(caps) => Ok(captures_value(&shape, &caps)),
        None => Err(fail("pattern did not match any part of the given string")),
    }
}

fn regexall(c: &Call) -> Result<Value, Fail> {
    let re = compile(c.str(0), 0)?;
    let shape = shape(&re)?;
    Ok(Value::List(
        re.captures_iter(c.str(1))
            .map(|caps| captures_value(&shape, &caps))
            .collect(),
    ))
}

fn replace(c: &Call) -> Result<Value, Fail> {
    let (text, substr, with) = (c.str(0), c.str(1), c.str(2));
    if substr.len() > 1 && substr.starts_with('/') && substr.ends_with('/') {
        let re = Regex::new(&substr[1..substr.len() - 1]).map_err(|e| fail(one_line(&e.to_string())))?;
        return s(re.replace_all(text, with).into_owned());
    }
    s(text.replace(substr, with))
}

fn split(c: &Call) -> Result<Value, Fail> {
    let (sep, text) = (c.str(0), c.str(1));
    if sep.is_empty() {
        // Go splits into single characters (UTF-8 sequences).
        return Ok(Value::string_list(text.chars().map(|ch| ch.to_string())));
    }
    Ok(Value::string_list(text.split(sep)))
}

fn strrev(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).graphemes(true).rev().collect::<String>())
}

fn substr(c: &Call) -> Result<Value, Fail> {
    let text = c.str(0);
    let offset = c.int(1)?;
    let length = c.int(2)?;
    let clusters: Vec<&str> = text.graphemes(true).collect();
    let total = clusters.len() as i64;
    let start = if offset < 0 { (total + offset).max(0) } else { offset };
    if start >= total || length == 0 {
        return s("");
    }
    let end = if length < 0 { total } else { (start + length).min(total) };
    s(clusters[start as usize..end as usize].concat())
}

fn templatestring(c: &Call) -> Result<Value, Fail> {
    render(c, c.str(0), 1)
}

/// Renders template text through the evaluator's renderer with the `vars` argument at `vars_arg`.
pub(crate) fn render(c: &Call, template: &str, vars_arg: usize) -> Result<Value, Fail> {
    let Some(renderer) = c.ctx.render_template else {
        return Err(fail("templates cannot be rendered in this context"));
    };
    let vars = match c.arg(vars_arg) {
        Value::Map(m) => m,
        _ => return Err(arg_err(vars_arg, "invalid vars value: must be a map")),
    };
    for name in vars.keys() {
        if !valid_identifier(name) {
            return Err(arg_err(
                vars_arg,
                format!(
                    "invalid template variable name {name:?}: must start with a letter, followed by zero or more letters, digits, and underscores"
                ),
            ));
        }
    }
    renderer(template, vars).map_err(fail)
}

fn valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Go's `strings.Title`: upper-cases the first letter of each word, words being separated by
/// anything that is not a letter, digit, underscore or mark.
fn title(c: &Call) -> Result<Value, Fail> {
    let mut out = String::with_capacity(c.str(0).len());
    let mut prev_sep = true;
    for ch in c.str(0).chars() {
        if prev_sep {
            out.extend(title_case(ch));
        } else {
            out.push(ch);
        }
        prev_sep = is_separator(ch);
    }
    s(out)
}

fn title_case(ch: char) -> impl Iterator<Item = char> {
    // Title case equals upper case except for a handful of digraphs.
    let special = match ch {
        'ǆ' | 'ǅ' | 'Ǆ' => Some('ǅ'),
        'ǉ' | 'ǈ' | 'Ǉ' => Some('ǈ'),
        'ǌ' | 'ǋ' | 'Ǌ' => Some('ǋ'),
        'ǳ' | 'ǲ' | 'Ǳ' => Some('ǲ'),
        _ => None,
    };
    let upper: Vec<char> = match special {
        Some(t) => vec![t],
        None => {
            let u: Vec<char> = ch.to_uppercase().collect();
            if u.len() == 1 { u } else { vec![ch] }
        }
    };
    upper.into_iter()
}

fn is_separator(ch: char) -> bool {
    if ch.is_ascii() {
        return !(ch.is_ascii_alphanumeric() || ch == '_');
    }
    if ch.is_alphanumeric() {
        return false;
    }
    ch.is_whitespace()
}

fn trim(c: &Call) -> Result<Value, Fail> {
    let cutset: Vec<char> = c.str(1).chars().collect();
    s(c.str(0).trim_matches(|ch| cutset.contains(&ch)))
}

fn trimprefix(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).strip_prefix(c.str(1)).unwrap_or(c.str(0)))
}

fn trimsuffix(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).strip_suffix(c.str(1)).unwrap_or(c.str(0)))
}

fn trimspace(c: &Call) -> Result<Value, Fail> {
    s(c.str(0).trim())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok, list, strs};
    use infra_provider::Value;

    #[test]
    fn documented_examples() {
        let cases: Vec<(&str, Vec<Value>, Value)> = vec![
            ("chomp", vec!["hello\n".into()], "hello".into()),
            ("chomp", vec!["hello\r\n".into()], "hello".into()),
            ("chomp", vec!["hello\n\n".into()], "hello".into()),
            ("endswith", vec!["hello world".into(), "world".into()], true.into()),
            ("endswith", vec!["hello world".into(), "hello".into()], false.into()),
            ("startswith", vec!["hello world".into(), "hello".into()], true.into()),
            ("startswith", vec!["hello world".into(), "world".into()], false.into()),
            ("strcontains", vec!["hello world".into(), "wor".into()], true.into()),
            ("strcontains", vec!["hello world".into(), "wod".into()], false.into()),
            (
                "indent",
                vec![2.into(), "[\n  foo,\n  bar,\n]\n".into()],
                "[\n    foo,\n    bar,\n  ]\n  ".into(),
            ),
            (
                "join",
                vec!["-".into(), strs(&["foo", "bar", "baz"])],
                "foo-bar-baz".into(),
            ),
            ("join", vec![", ".into(), strs(&["foo"])], "foo".into()),
            (
                "join",
                vec![",".into(), list(vec![1.into(), 2.into()]), strs(&["x"])],
                "1,2,x".into(),
            ),
            ("lower", vec!["HELLO".into()], "hello".into()),
            ("lower", vec!["АЛЛО!".into()], "алло!".into()),
            ("upper", vec!["hello".into()], "HELLO".into()),
            ("upper", vec!["алло!".into()], "АЛЛО!".into()),
            ("upper", vec![5.into()], "5".into()),
            (
                "replace",
                vec!["1 + 2 + 3".into(), "+".into(), "-".into()],
                "1 - 2 - 3".into(),
            ),
            (
                "replace",
                vec!["hello world".into(), "/w.*d/".into(), "everybody".into()],
                "hello everybody".into(),
            ),
            (
                "replace",
                vec!["hello".into(), "/(l+)/".into(), "[$1]".into()],
                "he[ll]o".into(),
            ),
            ("replace", vec!["abc".into(), "".into(), "-".into()], "-a-b-c-".into()),
            ("split", vec![",".into(), "foo".into()], strs(&["foo"])),
            (
                "split",
                vec![",".into(), "foo,bar,baz".into()],
                strs(&["foo", "bar", "baz"]),
            ),
            ("split", vec![",".into(), "foo,".into()], strs(&["foo", ""])),
            ("split", vec![",".into(), "".into()], strs(&[""])),
            ("split", vec!["".into(), "abc".into()], strs(&["a", "b", "c"])),
            ("strrev", vec!["hello".into()], "olleh".into()),
            ("strrev", vec!["a☃".into()], "☃a".into()),
            ("strrev", vec!["e\u{301}x".into()], "xe\u{301}".into()),
            ("substr", vec!["hello world".into(), 1.into(), 4.into()], "ello".into()),
            ("substr", vec!["🤔🤷".into(), 0.into(), 1.into()], "🤔".into()),
            (
                "substr",
                vec!["hello world".into(), (-5).into(), (-1).into()],
                "world".into(),
            ),
            (
                "substr",
                vec!["hello world".into(), 6.into(), 10.into()],
                "world".into(),
            ),
            ("substr", vec!["hello".into(), 10.into(), 1.into()], "".into()),
            ("substr", vec!["hello".into(), 0.into(), 0.into()], "".into()),
            ("substr", vec!["hello".into(), (-20).into(), 2.into()], "he".into()),
            ("title", vec!["hello world".into()], "Hello World".into()),
            ("title", vec!["hello-world_x 1a".into()], "Hello-World_x 1a".into()),
            ("trim", vec!["?!hello?!".into(), "!?".into()], "hello".into()),
            ("trim", vec!["foobar".into(), "far".into()], "oob".into()),
            (
                "trim",
                vec!["   hello! world.!  ".into(), "! ".into()],
                "hello! world.".into(),
            ),
            ("trimprefix", vec!["helloworld".into(), "hello".into()], "world".into()),
            (
                "trimprefix",
                vec!["helloworld".into(), "cat".into()],
                "helloworld".into(),
            ),
            ("trimsuffix", vec!["helloworld".into(), "world".into()], "hello".into()),
            ("trimspace", vec!["  hello\n\n".into()], "hello".into()),
            (
                "regex",
                vec!["[a-z]+".into(), "53453453.345345aaabbbccc23454".into()],
                "aaabbbccc".into(),
            ),
            (
                "regex",
                vec!["(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)".into(), "2019-02-01".into()],
                strs(&["2019", "02", "01"]),
            ),
            (
                "regex",
                vec![
                    "^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?".into(),
                    "https://terraform.io/docs/".into(),
                ],
                Value::string_map([("authority", "terraform.io"), ("scheme", "https")]),
            ),
            (
                "regex",
                vec!["(a)|(b)".into(), "b".into()],
                list(vec![Value::Null, "b".into()]),
            ),
            (
                "regexall",
                vec!["[a-z]+".into(), "1234abcd5678efgh9".into()],
                strs(&["abcd", "efgh"]),
            ),
            ("regexall", vec!["[a-z]+".into(), "123456789".into()], list(vec![])),
            (
                "regexall",
                vec!["(\\w)=(\\d)".into(), "a=1 b=2".into()],
                list(vec![strs(&["a", "1"]), strs(&["b", "2"])]),
            ),
        ];
        for (name, args, want) in cases {
            assert_eq!(call_ok(name, args.clone()), want, "{name}({args:?})");
        }
    }

    /// Cases from cty's and Terraform's own test tables.
    #[test]
    fn upstream_test_tables() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("replace", vec!["helo".into(), "/(l)/".into(), "$1$1".into()], "hello"),
            ("upper", vec!["noël".into()], "NOËL"),
            ("upper", vec!["😸😾".into()], "😸😾"),
            ("lower", vec!["ЖЖ".into()], "жж"),
            ("strrev", vec!["Живой Журнал".into()], "ланруЖ йовиЖ"),
            ("strrev", vec!["😸😾".into()], "😾😸"),
            ("substr", vec!["hello".into(), 0.into(), 2.into()], "he"),
            ("substr", vec!["hello".into(), 1.into(), 3.into()], "ell"),
            ("substr", vec!["hello".into(), 1.into(), (-1).into()], "ello"),
            ("substr", vec!["hello".into(), 1.into(), 10.into()], "ello"),
            ("substr", vec!["hello".into(), (-3).into(), (-1).into()], "llo"),
            ("substr", vec!["hello".into(), (-3).into(), 2.into()], "ll"),
            ("substr", vec!["hello".into(), 10.into(), 10.into()], ""),
            ("substr", vec!["noël".into(), 0.into(), 3.into()], "noë"),
            ("substr", vec!["noël".into(), 3.into(), (-1).into()], "l"),
            ("substr", vec!["wé́́é́́é́́!".into(), 2.into(), 2.into()], "é́́é́́"),
            ("substr", vec!["wé́́é́́é́́!".into(), 3.into(), 2.into()], "é́́!"),
            ("substr", vec!["wé́́é́́é́́!".into(), (-2).into(), (-1).into()], "é́́!"),
            ("substr", vec!["noël".into(), (-2).into(), (-1).into()], "ël"),
            ("substr", vec!["😸😾".into(), 1.into(), 1.into()], "😾"),
        ];
        for (name, args, want) in cases {
            assert_eq!(call_ok(name, args.clone()), Value::from(want), "{name}({args:?})");
        }
        assert_eq!(call_ok("length", vec!["Живой Журнал".into()]), Value::int(12));
        assert_eq!(
            call_ok("strcontains", vec!["hello1".into(), 1.into()]),
            Value::Bool(true)
        );
    }

    #[test]
    fn errors_name_the_argument() {
        let e = call_err("regex", vec!["[a-z]+".into(), "123".into()]);
        assert_eq!(
            e.message,
            "Call to function \"regex\" failed: pattern did not match any part of the given string."
        );
        assert_eq!(e.arg, None);
        let e = call_err("regex", vec!["(".into(), "123".into()]);
        assert!(
            e.message
                .starts_with("Invalid value for \"pattern\" parameter: error parsing pattern"),
            "{}",
            e.message
        );
        assert_eq!(e.arg, Some(0));
        let e = call_err("regex", vec!["(?P<x>a)(b)".into(), "ab".into()]);
        assert!(
            e.message.contains("cannot mix both named and unnamed capture groups"),
            "{}",
            e.message
        );
        let e = call_err("upper", vec![strs(&["a"])]);
        assert_eq!(e.arg, Some(0));
        assert!(
            e.message
                .starts_with("Invalid value for \"str\" parameter: string required"),
            "{}",
            e.message
        );
        let e = call_err("upper", vec![Value::Null]);
        assert_eq!(
            e.message,
            "Invalid value for \"str\" parameter: argument must not be null."
        );
        let e = call_err("join", vec![",".into(), list(vec!["a".into(), Value::Null])]);
        assert_eq!(
            e.message,
            "Invalid value for \"lists\" parameter: element 1 is null; cannot concatenate null values."
        );
        assert_eq!(e.arg, Some(1));
        let e = call_err("join", vec![",".into()]);
        assert!(e.message.contains("at least one list is required"));
        let e = call_err("substr", vec!["abc".into(), 1.5.into(), 1.into()]);
        assert_eq!(e.arg, Some(1));
    }

    #[test]
    fn templatestring_renders_through_the_evaluator() {
        use super::super::{FuncContext, call};
        use std::collections::BTreeMap;
        let render = |t: &str, vars: &BTreeMap<String, Value>| -> Result<Value, String> {
            Ok(Value::String(t.replace(
                "${name}",
                vars.get("name").and_then(Value::as_str).unwrap_or("?"),
            )))
        };
        let ctx = FuncContext {
            base_dir: std::path::Path::new("."),
            render_template: Some(&render),
        };
        let out = call(
            "templatestring",
            vec!["hi ${name}".into(), Value::map([("name", "bob".into())])],
            &ctx,
        )
        .unwrap();
        assert_eq!(out, Value::from("hi bob"));
        let e = call(
            "templatestring",
            vec!["x".into(), Value::map([("not valid", "x".into())])],
            &ctx,
        )
        .unwrap_err();
        assert!(
            e.message.contains("invalid template variable name \"not valid\""),
            "{}",
            e.message
        );
        let none = FuncContext {
            base_dir: std::path::Path::new("."),
            render_template: None,
        };
        assert!(call("templatestring", vec!["x".into(), Value::empty_map()], &none).is_err());
    }
}
