//! Dispatcher tests and helpers shared by the family tests.

use super::{FuncContext, FuncError, call, exists, names};
use infra_provider::Value;
use std::path::Path;

fn ctx(base: &Path) -> FuncContext<'_> {
    FuncContext {
        base_dir: base,
        render_template: None,
    }
}

pub(crate) fn call_in(base: &Path, name: &str, args: Vec<Value>) -> Value {
    match call(name, args.clone(), &ctx(base)) {
        Ok(v) => v,
        Err(e) => panic!("{name}({args:?}) failed: {}", e.message),
    }
}

pub(crate) fn call_err_in(base: &Path, name: &str, args: Vec<Value>) -> FuncError {
    match call(name, args.clone(), &ctx(base)) {
        Ok(v) => panic!("{name}({args:?}) succeeded with {v:?}; an error was expected"),
        Err(e) => e,
    }
}

pub(crate) fn call_ok(name: &str, args: Vec<Value>) -> Value {
    call_in(Path::new("."), name, args)
}

pub(crate) fn call_err(name: &str, args: Vec<Value>) -> FuncError {
    call_err_in(Path::new("."), name, args)
}

pub(crate) fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub(crate) fn strs(items: &[&str]) -> Value {
    Value::string_list(items.iter().copied())
}

pub(crate) fn nums(items: &[f64]) -> Value {
    Value::List(items.iter().map(|n| Value::number(*n)).collect())
}

#[test]
fn names_and_exists() {
    let all = names();
    assert!(all.len() > 100, "{}", all.len());
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    for required in [
        "abs",
        "ceil",
        "floor",
        "log",
        "max",
        "min",
        "parseint",
        "pow",
        "signum",
        "sum",
        "chomp",
        "endswith",
        "format",
        "formatlist",
        "indent",
        "join",
        "lower",
        "regex",
        "regexall",
        "replace",
        "split",
        "startswith",
        "strcontains",
        "strrev",
        "substr",
        "title",
        "trim",
        "trimprefix",
        "trimsuffix",
        "trimspace",
        "upper",
        "alltrue",
        "anytrue",
        "chunklist",
        "coalesce",
        "coalescelist",
        "compact",
        "concat",
        "contains",
        "distinct",
        "element",
        "flatten",
        "index",
        "keys",
        "length",
        "lookup",
        "matchkeys",
        "merge",
        "one",
        "range",
        "reverse",
        "setintersection",
        "setproduct",
        "setsubtract",
        "setunion",
        "slice",
        "sort",
        "transpose",
        "values",
        "zipmap",
        "base64decode",
        "base64encode",
        "base64gzip",
        "csvdecode",
        "jsondecode",
        "jsonencode",
        "textdecodebase64",
        "textencodebase64",
        "urlencode",
        "yamldecode",
        "yamlencode",
        "abspath",
        "basename",
        "dirname",
        "file",
        "fileexists",
        "filebase64",
        "fileset",
        "pathexpand",
        "templatefile",
        "base64sha256",
        "base64sha512",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "uuid",
        "uuidv5",
        "cidrhost",
        "cidrnetmask",
        "cidrsubnet",
        "cidrsubnets",
        "tobool",
        "tolist",
        "tomap",
        "tonumber",
        "toset",
        "tostring",
        "formatdate",
        "timeadd",
        "timecmp",
        "timestamp",
        "sensitive",
        "nonsensitive",
        "issensitive",
    ] {
        assert!(exists(required), "{required} is missing");
        assert!(all.contains(&required));
    }
    assert!(exists("core::upper"));
    assert!(
        !exists("try") && !exists("can"),
        "special forms belong to the evaluator"
    );
    assert!(!exists("uper"));
    assert_eq!(call_ok("core::upper", vec!["x".into()]), Value::from("X"));
    let e = call_err("uper", vec![]);
    assert_eq!(e.message, "There is no function named \"uper\".");
}

#[test]
fn argument_count_errors_name_the_parameter() {
    let e = call_err("cidrsubnet", vec!["10.0.0.0/16".into()]);
    assert_eq!(
        e.message,
        "Function \"cidrsubnet\" expects 3 argument(s). Missing value for \"newbits\"."
    );
    assert_eq!(e.arg, None);
    let e = call_err("join", vec![]);
    assert_eq!(
        e.message,
        "Function \"join\" expects at least 1 argument(s). Missing value for \"separator\"."
    );
    let e = call_err("upper", vec!["a".into(), "b".into()]);
    assert_eq!(e.message, "Function \"upper\" expects only 1 argument(s).");
    assert_eq!(e.arg, Some(1));
}

#[test]
fn unknown_arguments_make_unknown_results() {
    // Default: any unknown anywhere in the arguments.
    assert_eq!(call_ok("upper", vec![Value::Unknown]), Value::Unknown);
    assert_eq!(
        call_ok("join", vec![",".into(), list(vec!["a".into(), Value::Unknown])]),
        Value::Unknown
    );
    assert_eq!(
        call_ok("jsonencode", vec![Value::map([("a", Value::Unknown)])]),
        Value::Unknown
    );
    assert_eq!(
        call_ok("cidrsubnet", vec!["10.0.0.0/16".into(), 8.into(), Value::Unknown]),
        Value::Unknown
    );
    assert_eq!(
        call_ok("format", vec!["%s-%s".into(), "a".into(), Value::Unknown]),
        Value::Unknown
    );
    assert_eq!(call_ok("file", vec![Value::Unknown]), Value::Unknown);
    // Opt-outs where Terraform knows better.
    assert_eq!(
        call_ok("length", vec![list(vec![Value::Unknown, "b".into()])]),
        Value::int(2)
    );
    assert_eq!(
        call_ok("length", vec![Value::map([("a", Value::Unknown)])]),
        Value::int(1)
    );
    assert_eq!(call_ok("length", vec![Value::Unknown]), Value::Unknown);
    assert_eq!(
        call_ok(
            "merge",
            vec![Value::map([("a", Value::Unknown)]), Value::map([("b", 1.into())])]
        ),
        Value::map([("a", Value::Unknown), ("b", 1.into())])
    );
    assert_eq!(
        call_ok("merge", vec![Value::Unknown, Value::empty_map()]),
        Value::Unknown
    );
    assert_eq!(
        call_ok(
            "lookup",
            vec![Value::map([("a", 1.into())]), "a".into(), Value::Unknown]
        ),
        Value::int(1)
    );
    assert_eq!(call_ok("coalesce", vec!["x".into(), Value::Unknown]), Value::from("x"));
    assert_eq!(call_ok("coalesce", vec![Value::Unknown, "x".into()]), Value::Unknown);
    assert_eq!(call_ok("tolist", vec![Value::Unknown]), Value::Unknown);
    // Type errors of known arguments are still reported before anything else.
    assert!(
        call(
            "cidrsubnet",
            vec![strs(&["x"]), 8.into(), Value::Unknown],
            &ctx(Path::new(".")),
        )
        .is_err()
    );
}

#[test]
fn sensitive_arguments_make_sensitive_results() {
    let secret = Value::from("hunter2").mark();
    assert_eq!(call_ok("upper", vec![secret.clone()]), Value::from("HUNTER2").mark());
    assert_eq!(
        call_ok("sha256", vec![secret.clone()]),
        call_ok("sha256", vec!["hunter2".into()]).mark()
    );
    // A mark deep inside an argument marks the whole result of ordinary functions.
    let nested = Value::map([("user", Value::from("app")), ("password", secret.clone())]);
    let json = call_ok("jsonencode", vec![nested]);
    assert_eq!(json, Value::from("{\"password\":\"hunter2\",\"user\":\"app\"}").mark());
    // Unknown results keep the mark too.
    assert_eq!(call_ok("upper", vec![Value::Unknown.mark()]), Value::Unknown.mark());
    // Unmarked arguments give unmarked results.
    assert_eq!(call_ok("upper", vec!["x".into()]), Value::from("X"));
}

#[test]
fn secrets_never_appear_in_errors() {
    let secret = Value::from("s3cr3t-p4ss").mark();
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("tonumber", vec![secret.clone()]),
        ("tobool", vec![secret.clone()]),
        ("base64decode", vec![secret.clone()]),
        ("cidrhost", vec![secret.clone(), 1.into()]),
        ("formatdate", vec!["YYYY".into(), secret.clone()]),
        ("timeadd", vec![secret.clone(), "1h".into()]),
        ("regex", vec!["^x$".into(), secret.clone()]),
        ("lookup", vec![Value::empty_map(), secret.clone()]),
        ("jsondecode", vec![secret.clone()]),
        ("yamldecode", vec![Value::from("a: [s3cr3t-p4ss").mark()]),
        ("uuidv5", vec![secret.clone(), "x".into()]),
        ("parseint", vec![secret.clone(), 10.into()]),
        ("file", vec![secret.clone()]),
        ("format", vec!["%d".into(), secret.clone()]),
        ("element", vec![list(vec![]), 0.into()]),
    ];
    for (name, args) in cases {
        let e = call_err(name, args.clone());
        assert!(!e.message.contains("s3cr3t"), "{name}: {}", e.message);
    }
}
