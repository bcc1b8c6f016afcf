//! The built-in functions of the Terraform language.
//!
//! The evaluator calls [`call`] with a function name, the already-evaluated arguments and a
//! [`FuncContext`] (the directory file functions resolve paths against, and a template renderer for
//! `templatefile`). [`exists`] and [`names`] serve "Call to unknown function" diagnostics. `try` and
//! `can` are special forms of the evaluator and are not here. Names may carry Terraform's `core::`
//! prefix (`core::upper`).
//!
//! # How a call is processed
//!
//! Every function is described by a [`Spec`]: its parameters (name, type, whether null is allowed), an
//! optional variadic parameter, and how it treats unknown and sensitive values. The dispatcher does,
//! in order, what cty's function machinery does for Terraform:
//!
//! 1. checks the argument count (`Function "abs" expects 1 argument(s). Missing value for "num".`);
//! 2. removes sensitive marks (deep by default, see below) and remembers which arguments had any;
//! 3. rejects null arguments where the parameter does not allow null;
//! 4. converts each argument to the parameter's type with [`infra_provider::convert`] (so `upper(5)` is
//!    `"5"` and `abs("-3")` is `3`), naming the parameter on failure;
//! 5. returns [`Value::Unknown`] when an argument is unknown: by default when any argument *contains*
//!    an unknown anywhere; functions that know better opt out (`length([unknown])` is `1`,
//!    `concat`, `element`, `keys`, `merge`, `lookup`... pass unknown elements through; `coalesce` is
//!    unknown only when it reaches an unknown argument);
//! 6. runs the function and marks the result sensitive when any argument was marked.
//!
//! Sensitive values: by default arguments are unmarked deep and the whole result is marked when any
//! argument carried a mark anywhere. Functions that only move values around (`merge`, `concat`,
//! `lookup`, `element`, `keys`, `values`, `length`, `slice`, `reverse`, `zipmap`, `one`, `coalesce`,
//! `coalescelist`, `tolist`/`toset`/`tomap`) keep the marks of individual elements where they are, as
//! Terraform does, so `merge(var.tags, { secret = sensitive(x) })` only hides `secret`. `sensitive`,
//! `nonsensitive` and `issensitive` handle marks themselves. Error messages never contain the text of
//! a sensitive argument: functions quote sensitive arguments as `(sensitive value)` and the dispatcher
//! also scrubs any sensitive string from an error message as a safety net.
//!
//! Errors: an error blamed on one argument reads `Invalid value for "str" parameter: <why>.` with
//! [`FuncError::arg`] set; other failures read `Call to function "cidrsubnet" failed: <why>.`
//!
//! # Families
//!
//! - [`strings`]: chomp endswith format formatlist indent join lower regex regexall replace split
//!   startswith strcontains strrev substr templatestring title trim trimprefix trimsuffix trimspace upper
//! - [`collections`]: alltrue anytrue chunklist coalesce coalescelist compact concat contains distinct
//!   element flatten index keys length lookup matchkeys merge one range reverse setintersection
//!   setproduct setsubtract setunion slice sort sum transpose values zipmap
//! - [`numeric`]: abs ceil floor log max min parseint pow signum
//! - [`encoding`]: base64decode base64encode base64gzip csvdecode jsondecode jsonencode
//!   textdecodebase64 textencodebase64 urlencode yamldecode yamlencode
//! - [`filesystem`]: abspath basename dirname file fileexists filebase64 fileset pathexpand
//!   templatefile, and the file hashes filemd5 filesha1 filesha256 filesha512 filebase64sha256
//!   filebase64sha512
//! - [`hashing`]: base64sha256 base64sha512 md5 sha1 sha256 sha512 uuid uuidv5
//! - [`ipnet`]: cidrhost cidrnetmask cidrsubnet cidrsubnets
//! - [`typeconv`]: tobool tolist tomap tonumber toset tostring, sensitive nonsensitive issensitive
//! - [`datetime`]: formatdate timeadd timecmp timestamp
//!
//! # Deviations from Terraform
//!
//! - Numbers are `f64` (see [`infra_provider::Number`]), not arbitrary precision: integers beyond
//!   2^53 lose precision, and `format("%.1f", 1.05)` rounds the binary value (`1.1`) where Terraform
//!   rounds the exact decimal (`1.0`).
//! - `timestamp()` and `uuid()` return a fresh value; Terraform returns unknown during plan. The
//!   evaluator decides which to use.
//! - `templatestring(template, vars)` takes the template as a string value (Terraform takes a reference
//!   expression); both render through [`FuncContext::render_template`].
//! - `base64gzip` produces a valid gzip stream whose compressed bytes may differ from Go's compressor;
//!   it decompresses to the same text.
//! - `textencodebase64`/`textdecodebase64` support UTF-8, UTF-16 (LE, BE, BOM), UTF-32 (LE, BE),
//!   ISO-8859-1 and US-ASCII, not every IANA character set.
//! - `bcrypt`, `rsadecrypt`, `plantimestamp`, `ephemeralasnull`, `type` and `convert` are not provided.
//! - `nonsensitive` of a value that is not sensitive returns it unchanged: Terraform has done so since
//!   v1.6 (it used to be an error).
//! - Regular expressions use the `regex` crate; its syntax is RE2's, as Go's is, but error texts differ.
//!   `jsondecode` syntax errors carry serde_json's wording rather than Go's.
//! - `uuid()` returns a version 4 UUID (Terraform's are random bytes in the same textual shape).
//! - `cidrsubnets` also works for networks starting at address zero (`0.0.0.0/0`), which Terraform
//!   rejects through an overflow check; `cidrhost` errors quote the host number as given.
//! - `substr(s, offset, 0)` is always `""` (cty returns the rest of the string for a negative offset).
//! - `lookup` of a missing key in an object says "lookup failed to find key" (objects and maps are one
//!   kind of value here); `startswith` of an unknown string is unknown even for an empty prefix.
//! - Elements of sets cannot carry sensitive marks of their own: a marked element marks the whole set.

pub mod collections;
pub mod datetime;
pub mod encoding;
pub mod filesystem;
mod format;
pub mod hashing;
pub mod ipnet;
pub mod numeric;
pub mod strings;
pub mod typeconv;
mod yaml;

use infra_provider::{Type, Value, convert};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// What a function call may use besides its arguments.
pub struct FuncContext<'a> {
    /// Directory `file()`, `templatefile()`, `fileexists()`, `filebase64()`... resolve relative paths against.
    pub base_dir: &'a Path,
    /// Renders a template string with variables (the evaluator supplies it; `templatefile` reads the file
    /// and calls this). `None` in contexts where templates are not available.
    #[allow(clippy::type_complexity)]
    pub render_template: Option<&'a dyn Fn(&str, &BTreeMap<String, Value>) -> Result<Value, String>>,
}

/// Why a function call failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncError {
    pub message: String,
    /// 0-based index of the offending argument, when one is to blame
    pub arg: Option<usize>,
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}

/// Calls a built-in function. `try`, `can` are special forms handled by the evaluator, not here.
pub fn call(name: &str, args: Vec<Value>, ctx: &FuncContext) -> Result<Value, FuncError> {
    let plain = name.strip_prefix("core::").unwrap_or(name);
    let Some(spec) = registry().get(plain) else {
        return Err(FuncError {
            message: format!("There is no function named \"{name}\"."),
            arg: None,
        });
    };
    dispatch(spec, args, ctx)
}

/// True when `name` is a built-in function (for "Call to unknown function" errors with a did-you-mean hint).
pub fn exists(name: &str) -> bool {
    registry().contains_key(name.strip_prefix("core::").unwrap_or(name))
}

/// All function names (for hints), sorted.
pub fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<&'static str> = all_specs().map(|s| s.name).collect();
        v.sort_unstable();
        v
    })
}

fn all_specs() -> impl Iterator<Item = &'static Spec> {
    [
        strings::SPECS,
        collections::SPECS,
        numeric::SPECS,
        encoding::SPECS,
        filesystem::SPECS,
        hashing::SPECS,
        ipnet::SPECS,
        typeconv::SPECS,
        datetime::SPECS,
    ]
    .into_iter()
    .flatten()
}

fn registry() -> &'static HashMap<&'static str, &'static Spec> {
    static REG: OnceLock<HashMap<&'static str, &'static Spec>> = OnceLock::new();
    REG.get_or_init(|| all_specs().map(|s| (s.name, s)).collect())
}

// ---------------------------------------------------------------------------------------------
// Function descriptions
// ---------------------------------------------------------------------------------------------

/// The type a parameter converts its argument to before the function sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Ty {
    Any,
    String,
    Number,
    ListAny,
    ListString,
    ListBool,
    MapListString,
}

impl Ty {
    fn to_type(self) -> Type {
        match self {
            Ty::Any => Type::Any,
            Ty::String => Type::String,
            Ty::Number => Type::Number,
            Ty::ListAny => Type::list(Type::Any),
            Ty::ListString => Type::string_list(),
            Ty::ListBool => Type::list(Type::Bool),
            Ty::MapListString => Type::map(Type::string_list()),
        }
    }
}

/// One parameter of a function.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub allow_null: bool,
}

/// A parameter that rejects null.
pub(crate) const fn p(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        allow_null: false,
    }
}

/// A parameter that accepts null.
pub(crate) const fn pn(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        allow_null: true,
    }
}

/// How the dispatcher treats unknown arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Unknowns {
    /// The result is unknown when any argument contains an unknown anywhere.
    Deep,
    /// The result is unknown when an argument *is* unknown; unknown elements reach the function.
    Shallow,
    /// The function sees every argument as given.
    Handle,
}

/// How the dispatcher treats sensitive marks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Marks {
    /// Arguments are unmarked deep; the result is marked when any argument had a mark anywhere.
    Deep,
    /// Only the outermost mark of each argument is removed (elements keep theirs); the result is
    /// marked when an argument itself was marked.
    Shallow,
    /// The function sees the marks and decides.
    Handle,
}

pub(crate) type Impl = fn(&Call) -> Result<Value, Fail>;

/// The description of one built-in function.
pub(crate) struct Spec {
    pub name: &'static str,
    pub params: &'static [Param],
    pub var: Option<Param>,
    pub unknowns: Unknowns,
    pub marks: Marks,
    pub imp: Impl,
}

/// A function with fixed parameters, deep unknown and mark handling.
pub(crate) const fn func(name: &'static str, params: &'static [Param], imp: Impl) -> Spec {
    Spec {
        name,
        params,
        var: None,
        unknowns: Unknowns::Deep,
        marks: Marks::Deep,
        imp,
    }
}

impl Spec {
    pub(crate) const fn var(self, p: Param) -> Spec {
        Spec { var: Some(p), ..self }
    }
    pub(crate) const fn unknowns(self, u: Unknowns) -> Spec {
        Spec { unknowns: u, ..self }
    }
    pub(crate) const fn marks(self, m: Marks) -> Spec {
        Spec { marks: m, ..self }
    }
    fn param(&self, i: usize) -> Param {
        self.params
            .get(i)
            .copied()
            .or(self.var)
            .expect("argument count checked")
    }
}

/// A failure inside a function: the dispatcher turns it into a [`FuncError`] naming the parameter.
#[derive(Debug)]
pub(crate) struct Fail {
    msg: String,
    arg: Option<usize>,
}

/// A failure blamed on argument `i`.
pub(crate) fn arg_err(i: usize, msg: impl Into<String>) -> Fail {
    Fail {
        msg: msg.into(),
        arg: Some(i),
    }
}

/// A failure of the call as a whole.
pub(crate) fn fail(msg: impl Into<String>) -> Fail {
    Fail {
        msg: msg.into(),
        arg: None,
    }
}

/// The arguments of one call, converted to the parameter types, as a function sees them.
pub(crate) struct Call<'a, 'b> {
    pub args: Vec<Value>,
    /// Whether each argument carried a sensitive mark.
    pub marked: Vec<bool>,
    pub ctx: &'a FuncContext<'b>,
}

impl Call<'_, '_> {
    pub fn arg(&self, i: usize) -> &Value {
        &self.args[i]
    }
    /// A string argument (the parameter type guarantees it).
    pub fn str(&self, i: usize) -> &str {
        self.args[i].as_str().unwrap_or_default()
    }
    pub fn num(&self, i: usize) -> f64 {
        self.args[i].as_f64().unwrap_or_default()
    }
    /// A number argument that must be a whole number.
    pub fn int(&self, i: usize) -> Result<i64, Fail> {
        whole(self.num(i)).ok_or_else(|| arg_err(i, "a whole number is required"))
    }
    /// The elements of a list, set or tuple argument (empty for anything else).
    pub fn list(&self, i: usize) -> &[Value] {
        self.args[i].as_list().unwrap_or(&[])
    }
    /// `s` quoted for an error message, or `(sensitive value)` when argument `i` was sensitive.
    pub fn show(&self, i: usize, s: &str) -> String {
        if self.marked.get(i).copied().unwrap_or(false) {
            "(sensitive value)".to_string()
        } else {
            format!("{s:?}")
        }
    }
}

/// The value as an integer when it is a whole number in `i64` range.
pub(crate) fn whole(n: f64) -> Option<i64> {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.2e18 {
        Some(n as i64)
    } else {
        None
    }
}

fn dispatch(spec: &Spec, args: Vec<Value>, ctx: &FuncContext) -> Result<Value, FuncError> {
    let name = spec.name;
    let fixed = spec.params.len();
    if args.len() < fixed {
        let at_least = if spec.var.is_some() { " at least" } else { "" };
        return Err(FuncError {
            message: format!(
                "Function \"{name}\" expects{at_least} {fixed} argument(s). Missing value for \"{}\".",
                spec.params[args.len()].name
            ),
            arg: None,
        });
    }
    if spec.var.is_none() && args.len() > fixed {
        return Err(FuncError {
            message: format!("Function \"{name}\" expects only {fixed} argument(s)."),
            arg: Some(fixed),
        });
    }

    let mut secrets = Vec::new();
    let mut marked = Vec::with_capacity(args.len());
    let mut plain = Vec::with_capacity(args.len());
    for a in args {
        collect_secrets(&a, false, &mut secrets);
        match spec.marks {
            Marks::Deep => {
                let (v, m) = a.unmark_deep();
                marked.push(m);
                plain.push(v);
            }
            Marks::Shallow => {
                let m = matches!(a, Value::Sensitive(_));
                marked.push(m);
                plain.push(unmark_top(a));
            }
            Marks::Handle => {
                marked.push(a.is_marked());
                plain.push(a);
            }
        }
    }
    let any_marked = marked.iter().any(|m| *m);
    let scrub = |f: Fail| -> FuncError {
        let message = match f.arg {
            Some(i) => format!(
                "Invalid value for \"{}\" parameter: {}",
                spec.param(i).name,
                sentence(&f.msg)
            ),
            None => format!("Call to function \"{name}\" failed: {}", sentence(&f.msg)),
        };
        FuncError {
            message: redact(message, &secrets),
            arg: f.arg,
        }
    };

    for (i, a) in plain.iter_mut().enumerate() {
        let param = spec.param(i);
        if a.is_null() && !param.allow_null {
            return Err(scrub(arg_err(i, "argument must not be null")));
        }
        if param.ty != Ty::Any {
            let v = std::mem::take(a);
            *a = convert(v, &param.ty.to_type()).map_err(|e| scrub(arg_err(i, e.to_string())))?;
        }
    }
    let unknown = match spec.unknowns {
        Unknowns::Deep => plain.iter().any(|a| !a.is_wholly_known()),
        Unknowns::Shallow => plain.iter().any(Value::is_unknown),
        Unknowns::Handle => false,
    };
    if unknown {
        return Ok(Value::Unknown.mark_if(any_marked));
    }
    let call = Call {
        args: plain,
        marked,
        ctx,
    };
    match (spec.imp)(&call) {
        Ok(v) if spec.marks == Marks::Handle => Ok(v),
        Ok(v) => Ok(v.mark_if(any_marked)),
        Err(f) => Err(scrub(f)),
    }
}

fn sentence(msg: &str) -> String {
    if msg.ends_with('.') {
        msg.to_string()
    } else {
        format!("{msg}.")
    }
}

/// Removes the outermost mark(s) of a value.
pub(crate) fn unmark_top(v: Value) -> Value {
    match v {
        Value::Sensitive(inner) => unmark_top(*inner),
        v => v,
    }
}

/// Collects the strings of a value that sit under a sensitive mark, so error messages can be scrubbed.
fn collect_secrets(v: &Value, under_mark: bool, out: &mut Vec<String>) {
    match v {
        Value::Sensitive(inner) => collect_secrets(inner, true, out),
        Value::String(s) if under_mark && s.chars().count() >= 3 => out.push(s.clone()),
        Value::List(items) | Value::Set(items) => items.iter().for_each(|i| collect_secrets(i, under_mark, out)),
        Value::Map(m) => m.values().for_each(|i| collect_secrets(i, under_mark, out)),
        _ => {}
    }
}

fn redact(mut message: String, secrets: &[String]) -> String {
    let mut secrets: Vec<&String> = secrets.iter().collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets {
        if message.contains(s.as_str()) {
            message = message.replace(s.as_str(), "(sensitive value)");
        }
    }
    message
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the families
// ---------------------------------------------------------------------------------------------

/// A short description of a value's type for error messages, in Terraform's words.
pub(crate) fn friendly(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "dynamic",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "tuple",
        Value::Set(_) => "set",
        Value::Map(_) => "object",
        Value::Sensitive(v) => friendly(v),
    }
}

/// The common element kind of several values, as cty's type unification finds it for
/// `tolist`/`toset`/`tomap`/`coalesce`: equal primitive types stay, a mix of primitive types becomes
/// string, null and unknown fit anything, and collections must not be mixed with primitives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Unified {
    /// No constraint (empty, or only null/unknown, or only collections).
    Any,
    String,
    Number,
    Bool,
}

pub(crate) fn unify<'v>(values: impl IntoIterator<Item = &'v Value>) -> Option<Unified> {
    let mut prim: Option<Unified> = None;
    let mut structural = false;
    for v in values {
        let k = match unmark_ref(v) {
            Value::Null | Value::Unknown => continue,
            Value::String(_) => Unified::String,
            Value::Number(_) => Unified::Number,
            Value::Bool(_) => Unified::Bool,
            _ => {
                structural = true;
                continue;
            }
        };
        prim = Some(match prim {
            None => k,
            Some(p) if p == k => p,
            Some(_) => Unified::String,
        });
    }
    match (prim, structural) {
        (Some(_), true) => None,
        (Some(p), false) => Some(p),
        (None, _) => Some(Unified::Any),
    }
}

/// Converts a value to the unified kind (primitives only; collections pass unchanged).
pub(crate) fn conform(v: Value, kind: Unified) -> Result<Value, String> {
    let ty = match kind {
        Unified::Any => return Ok(v),
        Unified::String => Type::String,
        Unified::Number => Type::Number,
        Unified::Bool => Type::Bool,
    };
    convert(v, &ty).map_err(|e| e.to_string())
}

/// The value without any outer marks (by reference).
pub(crate) fn unmark_ref(v: &Value) -> &Value {
    v.unmark_shallow().0
}

/// Terraform's display of a number: integers without fraction, others in shortest form.
pub(crate) fn number_string(n: f64) -> String {
    if n.is_infinite() {
        return if n > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    infra_provider::Number(n).to_string()
}

#[cfg(test)]
mod tests;
