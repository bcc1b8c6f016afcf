//! Expression evaluation with Terraform's semantics: unknown values ("known after apply") flow through
//! every operation, sensitive marks spread to everything computed from a sensitive value, and every error
//! is a [`Diagnostic`] pointing at the sub-expression at fault.
//!
//! What names mean (`var.x`, `aws_vpc.main`, `count.index`...) is the [`Scope`]'s business; the evaluator
//! only walks expressions. References are resolved by borrowing: `aws_subnet.private[3].id` looks into
//! the stored resource value (or variable, or cached local, or `for` variable) and clones only the final
//! string ([`Scope::input_variable_ref`], [`Scope::local_value_shared`]).
//!
//! Semantics follow HCL where it is subtle: `&&`/`||` short-circuit over unknown and failing operands
//! (HCL 2.23), a conditional evaluates both results so that the marks of either mark the outcome (only
//! the chosen one's errors count), `for` conditions and template `if` conditions convert to bool, and
//! `try` treats a result that is not wholly known as unknown.

use super::ast::{BinaryOp, Expr, ForExpr, ObjKey, Step, TemplatePart, UnaryOp};
use super::functions::{self, FuncContext, FuncError};
use crate::addrs::{Mode, ResourceAddr};
use crate::diag::{Diagnostic, Span};
use infra_provider::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// What a resource reference finds.
pub enum ResourceLookup<'a> {
    /// No such `resource`/`data` block in the configuration.
    Undeclared,
    /// The resource's value: an object (no `count`/`for_each`), a list (`count`) or a map (`for_each`).
    Value(Cow<'a, Value>),
}

/// The names an expression can refer to.
pub trait Scope {
    /// An input variable's value (marked when sensitive); `None` when undeclared.
    fn input_variable(&self, name: &str) -> Option<Value>;
    /// A local value; `None` when undeclared.
    fn local_value(&self, name: &str) -> Option<Result<Value, Diagnostic>>;
    fn resource(&self, addr: &ResourceAddr) -> ResourceLookup<'_>;
    /// `count.index`, when evaluating a counted resource.
    fn count_index(&self) -> Option<Value> {
        None
    }
    /// `each.key` and `each.value`, when evaluating a `for_each` resource.
    fn each(&self) -> Option<(Value, Value)> {
        None
    }
    /// `path.module`, `path.root`, `path.cwd`.
    fn path(&self, which: &str) -> Option<String>;
    /// `terraform.workspace`: the environment name.
    fn workspace(&self) -> String;
    /// An input variable's value, borrowed when the scope holds it (references walk into it without
    /// copying the whole value).
    fn input_variable_ref(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.input_variable(name).map(Cow::Owned)
    }
    /// A local value, shared rather than copied when the scope caches it.
    fn local_value_shared(&self, name: &str) -> Option<Result<Arc<Value>, Diagnostic>> {
        self.local_value(name).map(|r| r.map(Arc::new))
    }
    /// True when the resource has `for_each` set (its value is then a map of instances), for the
    /// "Missing resource instance key" diagnostic.
    fn resource_has_for_each(&self, _addr: &ResourceAddr) -> bool {
        false
    }
}

/// A scope with nothing in it but what is given (for `templatefile` and variable validation).
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn input_variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn local_value(&self, _: &str) -> Option<Result<Value, Diagnostic>> {
        None
    }
    fn resource(&self, _: &ResourceAddr) -> ResourceLookup<'_> {
        ResourceLookup::Undeclared
    }
    fn path(&self, _: &str) -> Option<String> {
        None
    }
    fn workspace(&self) -> String {
        "default".into()
    }
}

type R = Result<Value, Diagnostic>;

fn err(span: Span, summary: &str, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Some(span), summary, detail)
}

/// Evaluates expressions against a [`Scope`].
pub struct Evaluator<'a> {
    scope: &'a dyn Scope,
    base_dir: &'a Path,
    /// `for` variables and `dynamic` block iterators, innermost last.
    locals: Vec<(String, Value)>,
    /// During plan, `timestamp()` and `uuid()` are unknown, as in Terraform.
    pub impure_unknown: bool,
    /// Shape checking only: every expression but a literal is unknown (no references are resolved, no
    /// function is called), so decoding checks names, blocks, required arguments and literal types fast.
    pub shape_only: bool,
}

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Scope, base_dir: &'a Path) -> Evaluator<'a> {
        Evaluator {
            scope,
            base_dir,
            locals: Vec::new(),
            impure_unknown: false,
            shape_only: false,
        }
    }

    /// Runs `f` with a local name bound (a `dynamic` block iterator, a `for` variable).
    pub fn with_local<T>(&mut self, name: &str, v: Value, f: impl FnOnce(&mut Self) -> T) -> T {
        self.locals.push((name.to_string(), v));
        let out = f(self);
        self.locals.pop();
        out
    }

    pub fn eval(&mut self, e: &Expr) -> R {
        if self.shape_only {
            return Ok(match e {
                Expr::Literal(v, _) => v.clone(),
                Expr::Tuple(items, _) => Value::List(items.iter().map(|i| self.eval(i)).collect::<Result<_, _>>()?),
                other => other.as_literal().unwrap_or(Value::Unknown),
            });
        }
        match e {
            Expr::Literal(v, _) => Ok(v.clone()),
            Expr::Template(parts, span) => self.template(parts, *span),
            Expr::Tuple(items, _) => Ok(Value::List(
                items.iter().map(|i| self.eval(i)).collect::<Result<_, _>>()?,
            )),
            Expr::Object(items, _) => {
                let mut m = BTreeMap::new();
                let mut marked = false;
                for (k, v) in items {
                    let key = match k {
                        ObjKey::Name(n, _) => n.clone(),
                        ObjKey::Expr(ke) => {
                            let kv = self.eval(ke)?;
                            if kv.is_unknown() {
                                return Ok(Value::Unknown);
                            }
                            let (kv, km) = kv.unmark_deep();
                            marked |= km;
                            match kv {
                                Value::String(s) => s,
                                Value::Number(n) => n.to_string(),
                                Value::Bool(b) => b.to_string(),
                                Value::Null => {
                                    return Err(err(
                                        ke.span(),
                                        "Null value as key",
                                        "Can't use a null value as a key.",
                                    ));
                                }
                                other => {
                                    return Err(err(
                                        ke.span(),
                                        "Incorrect key type",
                                        format!(
                                            "Can't use this value as a key: string required, but have {}.",
                                            other.type_name()
                                        ),
                                    ));
                                }
                            }
                        }
                    };
                    let val = self.eval(v)?;
                    m.insert(key, val);
                }
                Ok(Value::Map(m).mark_if(marked))
            }
            Expr::Var(name, span) => self.traversal(name, *span, &[], *span),
            Expr::Traversal(base, steps, span) => match base.as_ref() {
                Expr::Var(name, vspan) => self.traversal(name, *vspan, steps, *span),
                other => {
                    let v = self.eval(other)?;
                    self.apply_steps(Cow::Owned(v), steps)
                }
            },
            Expr::Call {
                name,
                args,
                expand_final,
                span,
            } => self.call(name, args, *expand_final, *span),
            Expr::Cond(c, t, f, _) => self.conditional(c, t, f),
            Expr::Unary(op, inner, _) => {
                let v = self.eval(inner)?;
                let (v, marked) = v.unmark_deep();
                if v.is_unknown() {
                    return Ok(Value::Unknown);
                }
                let out = match op {
                    UnaryOp::Neg => Value::number(-self.to_number(v, inner.span(), "unary operand")?),
                    UnaryOp::Not => Value::Bool(!self.to_bool(v, inner.span(), "unary operand")?),
                };
                Ok(out.mark_if(marked))
            }
            Expr::Binary(op, l, r, span) => self.binary(*op, l, r, *span),
            Expr::For(f) => self.for_expr(f),
        }
    }

    /// Converts an operand to a number; `what` names it in messages ("left operand").
    fn to_number(&self, v: Value, span: Span, what: &str) -> Result<f64, Diagnostic> {
        match infra_provider::convert(v, &infra_provider::Type::Number) {
            Ok(Value::Number(n)) => Ok(n.0),
            Ok(Value::Null) => Err(err(
                span,
                "Invalid operand",
                format!("Unsuitable value for {what}: a number is required, but the value is null."),
            )),
            Ok(other) => Err(err(
                span,
                "Invalid operand",
                format!(
                    "Unsuitable value for {what}: a number is required, not {}.",
                    other.type_name()
                ),
            )),
            Err(e) => Err(err(
                span,
                "Invalid operand",
                format!("Unsuitable value for {what}: {e}."),
            )),
        }
    }

    fn to_bool(&self, v: Value, span: Span, what: &str) -> Result<bool, Diagnostic> {
        match infra_provider::convert(v, &infra_provider::Type::Bool) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(_) => Err(err(
                span,
                "Invalid operand",
                format!("Unsuitable value for {what}: a bool is required, but the value is null."),
            )),
            Err(e) => Err(err(
                span,
                "Invalid operand",
                format!("Unsuitable value for {what}: {e}."),
            )),
        }
    }

    /// `c ? t : f`. As in HCL both results are evaluated (errors count only from the chosen one), so that
    /// marks of either result mark the outcome and a number or bool chosen against a string alternative
    /// becomes a string, the type both results unify to.
    fn conditional(&mut self, c: &Expr, t: &Expr, f: &Expr) -> R {
        let (cv, cond_marked) = self.eval(c)?.unmark_deep();
        let tv = self.eval(t);
        let fv = self.eval(f);
        let top_marked = |r: &R| matches!(r, Ok(Value::Sensitive(_)));
        let marked = cond_marked || top_marked(&tv) || top_marked(&fv);
        let choice = match cv {
            Value::Null => {
                return Err(err(
                    c.span(),
                    "Null condition",
                    "The condition value is null. Conditions must either be true or false.",
                ));
            }
            Value::Unknown => {
                let both_null = matches!((&tv, &fv), (Ok(a), Ok(b)) if a.is_null() && b.is_null());
                let out = if both_null { Value::Null } else { Value::Unknown };
                return Ok(out.mark_if(marked));
            }
            other => match infra_provider::convert(other, &infra_provider::Type::Bool) {
                Ok(Value::Bool(b)) => b,
                _ => {
                    return Err(err(
                        c.span(),
                        "Incorrect condition type",
                        "The condition expression must be of type bool.",
                    ));
                }
            },
        };
        let (chosen, other) = if choice { (tv, fv) } else { (fv, tv) };
        let v = chosen?;
        let other_is_string = matches!(other.as_ref().map(|o| o.unmark_shallow().0), Ok(Value::String(_)));
        let v = match v.unmark_shallow() {
            (Value::Number(_) | Value::Bool(_), _) if other_is_string => {
                infra_provider::convert(v, &infra_provider::Type::String).expect("primitives convert to string")
            }
            _ => v,
        };
        Ok(v.mark_if(marked))
    }

    fn binary(&mut self, op: BinaryOp, l: &Expr, r: &Expr, span: Span) -> R {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            return self.logical(op, l, r);
        }
        let (lv, lm) = self.eval(l)?.unmark_deep();
        let (rv, rm) = self.eval(r)?.unmark_deep();
        let marked = lm || rm;
        let out = match op {
            BinaryOp::Eq | BinaryOp::NotEq => {
                if !lv.is_wholly_known() || !rv.is_wholly_known() {
                    Value::Unknown
                } else {
                    let eq = loose_equal(&lv, &rv);
                    Value::Bool(if op == BinaryOp::Eq { eq } else { !eq })
                }
            }
            _ => {
                if lv.is_unknown() || rv.is_unknown() {
                    return Ok(Value::Unknown.mark_if(marked));
                }
                let a = self.to_number(lv, l.span(), "left operand")?;
                let b = self.to_number(rv, r.span(), "right operand")?;
                match op {
                    BinaryOp::Add => Value::number(a + b),
                    BinaryOp::Sub => Value::number(a - b),
                    BinaryOp::Mul => Value::number(a * b),
                    BinaryOp::Div | BinaryOp::Mod if b == 0.0 => {
                        return Err(err(
                            span,
                            "Operation failed",
                            "Error during operation: can't divide by zero.",
                        ));
                    }
                    BinaryOp::Div => Value::number(a / b),
                    BinaryOp::Mod => Value::number(a % b),
                    BinaryOp::Less => Value::Bool(a < b),
                    BinaryOp::LessEq => Value::Bool(a <= b),
                    BinaryOp::Greater => Value::Bool(a > b),
                    BinaryOp::GreaterEq => Value::Bool(a >= b),
                    _ => unreachable!("handled above"),
                }
            }
        };
        Ok(out.mark_if(marked))
    }

    /// `&&` and `||` with HCL's short-circuit rules: a side that decides the result (false for `&&`,
    /// true for `||`) wins even when the other side is unknown or fails to evaluate, so
    /// `var.x != null && var.x.enabled` works when `var.x` is null. A side that is not a bool is always
    /// an error.
    fn logical(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> R {
        struct Side {
            /// `None` when unknown or failed.
            val: Option<bool>,
            marked: bool,
            failed: Option<Diagnostic>,
        }
        let side = |ev: &mut Self, e: &Expr, what: &str| -> Result<Side, Diagnostic> {
            match ev.eval(e) {
                Ok(v) => {
                    let (v, marked) = v.unmark_deep();
                    let val = if v.is_unknown() {
                        None
                    } else {
                        Some(ev.to_bool(v, e.span(), what)?)
                    };
                    Ok(Side {
                        val,
                        marked,
                        failed: None,
                    })
                }
                Err(d) => Ok(Side {
                    val: None,
                    marked: false,
                    failed: Some(d),
                }),
            }
        };
        let lhs = side(self, l, "left operand");
        let rhs = side(self, r, "right operand");
        let (lhs, rhs) = (lhs?, rhs?);
        let marked = lhs.marked || rhs.marked;
        let decisive = op == BinaryOp::Or;
        let out = |v: Value| Ok(v.mark_if(marked));
        match (lhs.val, rhs.val) {
            (None, None) if lhs.failed.is_none() => return out(Value::Unknown),
            (Some(a), _) if a == decisive => return out(Value::Bool(decisive)),
            (_, Some(b)) if b == decisive => return out(Value::Bool(decisive)),
            (None, Some(_)) => {
                return match lhs.failed {
                    Some(d) => Err(d),
                    None => out(Value::Unknown),
                };
            }
            (Some(_), None) => {
                return match rhs.failed {
                    Some(d) => Err(d),
                    None => out(Value::Unknown),
                };
            }
            _ => {}
        }
        if let Some(d) = lhs.failed.or(rhs.failed) {
            return Err(d);
        }
        match (lhs.val, rhs.val) {
            (Some(a), Some(b)) => out(Value::Bool(if op == BinaryOp::And { a && b } else { a || b })),
            _ => out(Value::Unknown),
        }
    }

    fn template(&mut self, parts: &[TemplatePart], _span: Span) -> R {
        // A template that is a single interpolation yields the value itself, unconverted ("${var.list}").
        if let [TemplatePart::Interp(e)] = parts {
            return self.eval(e);
        }
        let mut out = String::new();
        let mut marked = false;
        let mut unknown = false;
        self.template_into(parts, &mut out, &mut marked, &mut unknown)?;
        if unknown {
            return Ok(Value::Unknown.mark_if(marked));
        }
        Ok(Value::String(out).mark_if(marked))
    }

    fn template_into(
        &mut self,
        parts: &[TemplatePart],
        out: &mut String,
        marked: &mut bool,
        unknown: &mut bool,
    ) -> Result<(), Diagnostic> {
        for p in parts {
            match p {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Interp(e) => {
                    let (v, m) = self.eval(e)?.unmark_deep();
                    *marked |= m;
                    match v {
                        Value::Unknown => *unknown = true,
                        Value::String(s) => out.push_str(&s),
                        Value::Number(n) => out.push_str(&n.to_string()),
                        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                        Value::Null => {
                            return Err(err(
                                e.span(),
                                "Invalid template interpolation value",
                                "The expression result is null. Cannot include a null value in a string template.",
                            ));
                        }
                        other => {
                            return Err(err(
                                e.span(),
                                "Invalid template interpolation value",
                                format!(
                                    "Cannot include the given value in a string template: string required, not {}.",
                                    other.type_name()
                                ),
                            ));
                        }
                    }
                }
                TemplatePart::If { cond, then, otherwise } => {
                    let (c, m) = self.eval(cond)?.unmark_deep();
                    *marked |= m;
                    match c {
                        Value::Unknown => *unknown = true,
                        Value::Null => {
                            return Err(err(
                                cond.span(),
                                "Null condition",
                                "The condition value is null. Conditions must either be true or false.",
                            ));
                        }
                        other => match infra_provider::convert(other, &infra_provider::Type::Bool) {
                            Ok(Value::Bool(true)) => self.template_into(then, out, marked, unknown)?,
                            Ok(Value::Bool(false)) => self.template_into(otherwise, out, marked, unknown)?,
                            _ => {
                                return Err(err(
                                    cond.span(),
                                    "Incorrect condition type",
                                    "The condition expression must be of type bool.",
                                ));
                            }
                        },
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    coll,
                    body,
                } => {
                    let (c, m) = self.eval(coll)?.unmark_deep();
                    *marked |= m;
                    if c.is_unknown() {
                        *unknown = true;
                        continue;
                    }
                    if c.is_null() {
                        return Err(err(
                            coll.span(),
                            "Iteration over null value",
                            "A null value cannot be used as the collection in a 'for' directive.",
                        ));
                    }
                    for (k, v) in
                        iterate_owned(c).map_err(|d| err(coll.span(), "Iteration over non-iterable value", d))?
                    {
                        let mut bound = 1;
                        self.locals.push((value_var.clone(), v));
                        if let Some(kv) = key_var {
                            self.locals.push((kv.clone(), k));
                            bound += 1;
                        }
                        let r = self.template_into(body, out, marked, unknown);
                        for _ in 0..bound {
                            self.locals.pop();
                        }
                        r?;
                    }
                }
            }
        }
        Ok(())
    }

    fn for_expr(&mut self, f: &ForExpr) -> R {
        // Only the collection's own mark is removed: marks of its elements stay on the elements.
        let (coll, mut marked) = unmark_top(self.eval(&f.coll)?);
        if coll.is_unknown() {
            return Ok(Value::Unknown.mark_if(marked));
        }
        if coll.is_null() {
            return Err(err(
                f.coll.span(),
                "Iteration over null value",
                "A null value cannot be used as the collection in a 'for' expression.",
            ));
        }
        let items = iterate_owned(coll).map_err(|d| err(f.coll.span(), "Iteration over non-iterable value", d))?;
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in items {
            let mut bound = 1;
            self.locals.push((f.value_var.clone(), v));
            if let Some(kv) = &f.key_var {
                self.locals.push((kv.clone(), k));
                bound += 1;
            }
            let r = (|| -> Result<(), Diagnostic> {
                if let Some(c) = &f.cond {
                    let (cv, cm) = self.eval(c)?.unmark_deep();
                    marked |= cm;
                    if cv.is_null() {
                        return Err(err(
                            c.span(),
                            "Invalid 'for' condition",
                            "The value of the 'if' clause must not be null.",
                        ));
                    }
                    match infra_provider::convert(cv, &infra_provider::Type::Bool) {
                        Ok(Value::Bool(true)) => {}
                        Ok(Value::Unknown) => {
                            unknown = true;
                            return Ok(());
                        }
                        Ok(_) => return Ok(()),
                        Err(e) => {
                            return Err(err(
                                c.span(),
                                "Invalid 'for' condition",
                                format!("The 'if' clause value is invalid: {e}."),
                            ));
                        }
                    }
                }
                let val = self.eval(&f.value_expr)?;
                let Some(ke) = &f.key_expr else {
                    list.push(val);
                    return Ok(());
                };
                let (kv, km) = self.eval(ke)?.unmark_deep();
                marked |= km;
                let key = match kv {
                    Value::Unknown => {
                        unknown = true;
                        return Ok(());
                    }
                    Value::Null => {
                        return Err(err(
                            ke.span(),
                            "Invalid object key",
                            "Key expression in 'for' expression must not produce a null value.",
                        ));
                    }
                    other => match infra_provider::convert(other, &infra_provider::Type::String) {
                        Ok(Value::String(s)) => s,
                        _ => {
                            return Err(err(
                                ke.span(),
                                "Invalid object key",
                                "The key expression produced an invalid result: string required.",
                            ));
                        }
                    },
                };
                if f.grouping {
                    groups.entry(key).or_default().push(val);
                    return Ok(());
                }
                match map.entry(key) {
                    std::collections::btree_map::Entry::Occupied(e) => Err(err(
                        ke.span(),
                        "Duplicate object key",
                        format!(
                            "Two different items produced the key {:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
                            e.key()
                        ),
                    )),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(val);
                        Ok(())
                    }
                }
            })();
            for _ in 0..bound {
                self.locals.pop();
            }
            r?;
        }
        if unknown {
            return Ok(Value::Unknown.mark_if(marked));
        }
        let out = if f.key_expr.is_none() {
            Value::List(list)
        } else if f.grouping {
            Value::Map(groups.into_iter().map(|(k, v)| (k, Value::List(v))).collect())
        } else {
            Value::Map(map)
        };
        Ok(out.mark_if(marked))
    }

    fn call(&mut self, name: &str, args: &[Expr], expand_final: bool, span: Span) -> R {
        match name {
            "try" => {
                if args.is_empty() {
                    return Err(err(
                        span,
                        "Missing function arguments",
                        "The try function requires at least one argument.",
                    ));
                }
                let mut last = None;
                for a in args {
                    match self.eval(a) {
                        // A result that is not yet wholly known might still fail once it is known.
                        Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown),
                        Ok(v) => return Ok(v),
                        Err(d) => last = Some(d),
                    }
                }
                let d = last.expect("at least one argument");
                return Err(err(
                    span,
                    "Error in function call",
                    format!("Call to function \"try\" failed: no expression succeeded:\n- {}", d),
                ));
            }
            "can" => {
                if args.len() != 1 {
                    return Err(err(
                        span,
                        "Invalid function arguments",
                        "The can function requires exactly one argument.",
                    ));
                }
                return Ok(match self.eval(&args[0]) {
                    Ok(v) if !v.is_wholly_known() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            "timestamp" | "uuid" if self.impure_unknown => return Ok(Value::Unknown),
            _ => {}
        }
        if !functions::exists(name) {
            let hint = suggest(name, functions::names().iter().copied())
                .map(|n| format!(" Did you mean {n:?}?"))
                .unwrap_or_default();
            return Err(err(
                span,
                "Call to unknown function",
                format!("There is no function named {name:?}.{hint}"),
            ));
        }
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a)?);
        }
        if expand_final {
            match vals.pop() {
                Some(last) => {
                    let (last, m) = last.unmark_deep();
                    match last {
                        Value::List(items) | Value::Set(items) => vals.extend(items.into_iter().map(|i| i.mark_if(m))),
                        Value::Unknown => return Ok(Value::Unknown),
                        other => {
                            return Err(err(
                                span,
                                "Invalid expanding argument value",
                                format!(
                                    "The expanding argument (indicated by ...) must be of a tuple, list, or set type, not {}.",
                                    other.type_name()
                                ),
                            ));
                        }
                    }
                }
                None => {
                    return Err(err(
                        span,
                        "Invalid expanding argument",
                        "There is no argument to expand.",
                    ));
                }
            }
        }
        let base_dir = self.base_dir;
        let render = |text: &str, vars: &BTreeMap<String, Value>| -> Result<Value, String> {
            render_template(text, vars, base_dir)
        };
        let ctx = FuncContext {
            base_dir,
            render_template: Some(&render),
        };
        functions::call(name, vals, &ctx).map_err(|FuncError { message, arg }| {
            let message = message.trim_end_matches('.');
            if message.starts_with("Function \"") && message.contains(" expects ") {
                let summary = if message.contains("Missing value") {
                    "Not enough function arguments"
                } else {
                    "Too many function arguments"
                };
                return err(span, summary, format!("{message}."));
            }
            match arg.and_then(|i| args.get(i)) {
                Some(a) => err(a.span(), "Invalid function argument", format!("{message}.")),
                None if message.starts_with("Call to function") => {
                    err(span, "Error in function call", format!("{message}."))
                }
                None => err(
                    span,
                    "Error in function call",
                    format!("Call to function {name:?} failed: {message}."),
                ),
            }
        })
    }

    /// A root name followed by steps.
    fn traversal(&mut self, root: &str, root_span: Span, steps: &[Step], span: Span) -> R {
        // `for` variables and iterators shadow everything else.
        if let Some(i) = self.locals.iter().rposition(|(n, _)| n == root) {
            if steps.is_empty() {
                return Ok(self.locals[i].1.clone());
            }
            let keys = self.step_keys(steps)?;
            return walk(Cow::Borrowed(&self.locals[i].1), steps, &keys);
        }
        let attr = |i: usize| match steps.get(i) {
            Some(Step::Attr(n, s)) => Some((n.as_str(), *s)),
            _ => None,
        };
        // A resource of a module instance, as module expansion writes it.
        let (module, root) = crate::addrs::split_scoped_root(root);
        match root {
            "var" => {
                let Some((name, nspan)) = attr(0) else {
                    return Err(err(
                        span,
                        "Invalid reference",
                        "The \"var\" object cannot be accessed directly. Instead, access one of its attributes.",
                    ));
                };
                let keys = self.step_keys(&steps[1..])?;
                let scope = self.scope;
                match scope.input_variable_ref(name) {
                    Some(v) => walk(v, &steps[1..], &keys),
                    None => Err(err(
                        root_span.to(nspan),
                        "Reference to undeclared input variable",
                        format!(
                            "An input variable with the name {name:?} has not been declared. This variable can be declared with a variable {name:?} {{}} block."
                        ),
                    )),
                }
            }
            "local" => {
                let Some((name, nspan)) = attr(0) else {
                    return Err(err(
                        span,
                        "Invalid reference",
                        "The \"local\" object cannot be accessed directly. Instead, access one of its attributes.",
                    ));
                };
                let keys = self.step_keys(&steps[1..])?;
                let scope = self.scope;
                match scope.local_value_shared(name) {
                    Some(Ok(v)) if steps.len() == 1 => Ok(Arc::unwrap_or_clone(v)),
                    Some(Ok(v)) => walk(Cow::Borrowed(v.as_ref()), &steps[1..], &keys),
                    Some(Err(d)) => Err(d),
                    None => Err(err(
                        root_span.to(nspan),
                        "Reference to undeclared local value",
                        format!("A local value with the name {name:?} has not been declared."),
                    )),
                }
            }
            "count" => match (attr(0), self.scope.count_index()) {
                (Some(("index", _)), Some(i)) => self.apply_steps(Cow::Owned(i), &steps[1..]),
                (Some(("index", _)), None) => Err(err(
                    span,
                    "Reference to \"count\" in non-counted context",
                    "The \"count\" object can only be used in \"resource\" and \"data\" blocks, and only when the \"count\" argument is set.",
                )),
                _ => Err(err(
                    span,
                    "Invalid \"count\" attribute",
                    "The \"count\" object does not have an attribute of that name. The only supported attribute is count.index.",
                )),
            },
            "each" => match (attr(0), self.scope.each()) {
                (Some(("key", _)), Some((k, _))) => self.apply_steps(Cow::Owned(k), &steps[1..]),
                (Some(("value", _)), Some((_, v))) => self.apply_steps(Cow::Owned(v), &steps[1..]),
                (Some(("key" | "value", _)), None) => Err(err(
                    span,
                    "Reference to \"each\" in context without for_each",
                    "The \"each\" object can be used only in \"resource\" and \"data\" blocks, and only when the \"for_each\" argument is set.",
                )),
                _ => Err(err(
                    span,
                    "Invalid \"each\" attribute",
                    "The \"each\" object does not have an attribute of that name. The supported attributes are each.key and each.value.",
                )),
            },
            "path" => match attr(0).and_then(|(n, _)| self.scope.path(n)) {
                Some(p) => self.apply_steps(Cow::Owned(Value::String(p)), &steps[1..]),
                None => Err(err(
                    span,
                    "Invalid \"path\" attribute",
                    "The \"path\" object has the attributes module, root and cwd.",
                )),
            },
            "terraform" => match attr(0) {
                Some(("workspace", _)) => {
                    self.apply_steps(Cow::Owned(Value::String(self.scope.workspace())), &steps[1..])
                }
                _ => Err(err(
                    span,
                    "Invalid \"terraform\" attribute",
                    "The only supported attribute is terraform.workspace.",
                )),
            },
            "module" => Err(err(
                span,
                "Reference to undeclared module",
                "No module call of that name is declared in this module.",
            )),
            "self" => Err(err(
                span,
                "Invalid \"self\" reference",
                "The \"self\" object is only available in provisioner and connection blocks, which infra does not support.",
            )),
            "data" | "ephemeral" => {
                let (Some((t, _)), Some((n, nspan))) = (attr(0), attr(1)) else {
                    return Err(if root == "data" {
                        err(
                            span,
                            "Invalid data resource reference",
                            "A reference to a data source must be followed by its type and name, like data.aws_region.current.",
                        )
                    } else {
                        err(
                            span,
                            "Invalid ephemeral resource reference",
                            "A reference to an ephemeral resource must be followed by its type and name, like ephemeral.aws_secretsmanager_secret_version.db.",
                        )
                    });
                };
                let addr = ResourceAddr {
                    module,
                    mode: if root == "data" { Mode::Data } else { Mode::Ephemeral },
                    type_name: t.into(),
                    name: n.into(),
                };
                self.resource_ref(addr, root_span.to(nspan), &steps[2..])
            }
            type_name => {
                let Some((n, nspan)) = attr(0) else {
                    return Err(err(
                        span,
                        "Invalid reference",
                        format!(
                            "A reference to a resource type must be followed by at least one attribute access, specifying the resource name. There is no variable named {type_name:?}."
                        ),
                    ));
                };
                let addr = ResourceAddr {
                    module,
                    mode: Mode::Managed,
                    type_name: type_name.into(),
                    name: n.into(),
                };
                self.resource_ref(addr, root_span.to(nspan), &steps[1..])
            }
        }
    }

    fn resource_ref(&mut self, addr: ResourceAddr, span: Span, steps: &[Step]) -> R {
        // Evaluate index expressions before borrowing from the scope.
        let keys = self.step_keys(steps)?;
        let scope = self.scope;
        match scope.resource(&addr) {
            ResourceLookup::Undeclared => {
                let kind = match addr.mode {
                    Mode::Data => "data resource",
                    Mode::Ephemeral => "ephemeral resource",
                    Mode::Managed => "managed resource",
                };
                Err(err(
                    span,
                    "Reference to undeclared resource",
                    format!(
                        "A {kind} {:?} {:?} has not been declared in the root module.",
                        addr.type_name, addr.name
                    ),
                ))
            }
            ResourceLookup::Value(v) => {
                if let Some(Step::Attr(name, aspan)) = steps.first() {
                    let (inner, _) = v.as_ref().unmark_shallow();
                    let repeated = match inner {
                        Value::List(_) => Some(("count", "count.index")),
                        Value::Map(m) if scope.resource_has_for_each(&addr) && !m.contains_key(name) => {
                            Some(("for_each", "each.key"))
                        }
                        _ => None,
                    };
                    if let Some((arg, key)) = repeated {
                        return Err(err(
                            span.to(*aspan),
                            "Missing resource instance key",
                            format!(
                                "Because {addr} has \"{arg}\" set, its attributes must be accessed on specific instances.\n\nFor example, to correlate with indices of a referring resource, use:\n    {addr}[{key}]"
                            ),
                        ));
                    }
                }
                walk(v, steps, &keys)
            }
        }
    }

    fn step_keys(&mut self, steps: &[Step]) -> Result<Vec<Option<Value>>, Diagnostic> {
        steps
            .iter()
            .map(|s| match s {
                Step::Index(e, _) => self.eval(e).map(Some),
                _ => Ok(None),
            })
            .collect()
    }

    fn apply_steps(&mut self, base: Cow<'_, Value>, steps: &[Step]) -> R {
        if steps.is_empty() {
            return Ok(base.into_owned());
        }
        let keys = self.step_keys(steps)?;
        walk(base, steps, &keys)
    }
}

/// Walks `steps` into `v`; `keys[i]` holds the evaluated index of step `i`.
fn walk(v: Cow<'_, Value>, steps: &[Step], keys: &[Option<Value>]) -> R {
    let mut cur = v;
    let mut marked = false;
    for (i, step) in steps.iter().enumerate() {
        // Look through marks, remembering them.
        if let Value::Sensitive(_) = cur.as_ref() {
            marked = true;
            cur = match cur {
                Cow::Borrowed(Value::Sensitive(inner)) => Cow::Borrowed(inner.as_ref()),
                Cow::Owned(Value::Sensitive(inner)) => Cow::Owned(*inner),
                other => other,
            };
        }
        if cur.is_unknown() {
            return Ok(Value::Unknown.mark_if(marked));
        }
        match step {
            Step::Attr(name, span) => {
                cur = match cur {
                    Cow::Borrowed(Value::Map(m)) => match m.get(name) {
                        Some(x) => Cow::Borrowed(x),
                        None => return Err(unsupported_attr(name, *span, m)),
                    },
                    Cow::Owned(Value::Map(mut m)) => match m.remove(name) {
                        Some(x) => Cow::Owned(x),
                        None => return Err(unsupported_attr(name, *span, &m)),
                    },
                    other if other.is_null() => {
                        return Err(err(
                            *span,
                            "Attempt to get attribute from null value",
                            "This value is null, so it does not have any attributes.",
                        ));
                    }
                    other if matches!(other.as_ref(), Value::List(_) | Value::Set(_)) => {
                        return Err(err(
                            *span,
                            "Unsupported attribute",
                            format!(
                                "Can't access attributes on a list of objects. Did you mean to access attribute {name:?} for a specific element of the list, or across all elements of the list?"
                            ),
                        ));
                    }
                    other => {
                        return Err(err(
                            *span,
                            "Unsupported attribute",
                            format!(
                                "Can't access attributes on a primitive-typed value ({}).",
                                other.type_name()
                            ),
                        ));
                    }
                };
            }
            Step::Index(_, span) => {
                let key = keys[i].clone().unwrap_or(Value::Null);
                let (key, km) = key.unmark_deep();
                marked |= km;
                if key.is_unknown() {
                    return Ok(Value::Unknown.mark_if(marked));
                }
                cur = index(cur, &key, *span)?;
            }
            Step::AttrSplat(_) | Step::FullSplat(_) => {
                // The splat applies the rest (attribute steps only for `.*`) to each element.
                let rest_len = if matches!(step, Step::AttrSplat(_)) {
                    steps[i + 1..]
                        .iter()
                        .take_while(|s| matches!(s, Step::Attr(..)))
                        .count()
                } else {
                    steps.len() - i - 1
                };
                let rest = &steps[i + 1..i + 1 + rest_len];
                let rest_keys = &keys[i + 1..i + 1 + rest_len];
                let elems: Vec<Cow<'_, Value>> = match cur {
                    Cow::Borrowed(Value::List(items) | Value::Set(items)) => items.iter().map(Cow::Borrowed).collect(),
                    Cow::Owned(Value::List(items) | Value::Set(items)) => items.into_iter().map(Cow::Owned).collect(),
                    other if other.is_null() => Vec::new(),
                    other => vec![other],
                };
                let mut out = Vec::with_capacity(elems.len());
                for e in elems {
                    out.push(walk(e, rest, rest_keys)?);
                }
                let after = &steps[i + 1 + rest_len..];
                let after_keys = &keys[i + 1 + rest_len..];
                return walk(Cow::Owned(Value::List(out)), after, after_keys).map(|v| v.mark_if(marked));
            }
        }
    }
    Ok(cur.into_owned().mark_if(marked))
}

fn unsupported_attr(name: &str, span: Span, m: &BTreeMap<String, Value>) -> Diagnostic {
    let hint = suggest(name, m.keys().map(String::as_str))
        .map(|k| format!(" Did you mean {k:?}?"))
        .unwrap_or_default();
    err(
        span,
        "Unsupported attribute",
        format!("This object does not have an attribute named {name:?}.{hint}"),
    )
}

fn index<'v>(cur: Cow<'v, Value>, key: &Value, span: Span) -> Result<Cow<'v, Value>, Diagnostic> {
    let invalid = |detail: String| err(span, "Invalid index", detail);
    match cur {
        Cow::Borrowed(Value::List(items)) => {
            let i = list_index(key, items.len()).map_err(invalid)?;
            Ok(Cow::Borrowed(&items[i]))
        }
        Cow::Owned(Value::List(mut items)) => {
            let i = list_index(key, items.len()).map_err(invalid)?;
            Ok(Cow::Owned(items.swap_remove(i)))
        }
        Cow::Borrowed(Value::Map(m)) => {
            let k = map_key(key).map_err(invalid)?;
            m.get(&k).map(Cow::Borrowed).ok_or_else(|| invalid(format!("The given key does not identify an element in this collection value: {k:?}.")))
        }
        Cow::Owned(Value::Map(mut m)) => {
            let k = map_key(key).map_err(invalid)?;
            m.remove(&k).map(Cow::Owned).ok_or_else(|| invalid(format!("The given key does not identify an element in this collection value: {k:?}.")))
        }
        other if matches!(other.as_ref(), Value::Set(_)) => Err(invalid("Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.".into())),
        other if other.is_null() => Err(invalid("Can't use a null value as an indexable collection.".into())),
        other => Err(invalid(format!("This value does not have any indices ({}).", other.type_name()))),
    }
}

fn list_index(key: &Value, len: usize) -> Result<usize, String> {
    const PREFIX: &str = "The given key does not identify an element in this collection value";
    let n = match key {
        Value::Number(n) => Some(n.0),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{PREFIX}: a number is required."))?;
    if n.fract() != 0.0 {
        return Err(format!("{PREFIX}: a whole number is required."));
    }
    if n < 0.0 {
        return Err(format!(
            "{PREFIX}: a negative number is not a valid index for a sequence."
        ));
    }
    if n as usize >= len {
        return Err(format!(
            "{PREFIX}: the collection has {len} elements, so the index {n} is out of range."
        ));
    }
    Ok(n as usize)
}

fn map_key(key: &Value) -> Result<String, String> {
    match key {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("A string key is required, not {}.", other.type_name())),
    }
}

/// Pairs of (key, value) for iterating a collection: list/set → (index, element), map → (key, value).
pub fn iterate(v: &Value) -> Result<Vec<(Value, Value)>, String> {
    match v {
        Value::List(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, x)| (Value::int(i as i64), x.clone()))
            .collect()),
        Value::Set(items) => Ok(items.iter().map(|x| (x.clone(), x.clone())).collect()),
        Value::Map(m) => Ok(m.iter().map(|(k, x)| (Value::string(k.clone()), x.clone())).collect()),
        Value::Sensitive(inner) => iterate(inner),
        other => Err(format!("A value of type {} cannot be iterated.", other.type_name())),
    }
}

/// Equality as Terraform's `==`: numbers by value, strings exactly, collections deeply; a list and a set
/// with the same elements are not equal, but a tuple and a list are (both are `List` here).
pub fn loose_equal(a: &Value, b: &Value) -> bool {
    a == b
}

/// Like [`iterate`], consuming the collection (no element is copied, except a set element, which is
/// both key and value).
pub fn iterate_owned(v: Value) -> Result<Vec<(Value, Value)>, String> {
    match v {
        Value::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, x)| (Value::int(i as i64), x))
            .collect()),
        Value::Set(items) => Ok(items.into_iter().map(|x| (x.clone(), x)).collect()),
        Value::Map(m) => Ok(m.into_iter().map(|(k, x)| (Value::String(k), x)).collect()),
        Value::Sensitive(inner) => iterate_owned(*inner),
        other => Err(format!(
            "A value of type {} cannot be iterated: an iterable collection (list, set, map or object) is required.",
            other.type_name()
        )),
    }
}

/// Removes the value's own (outermost) marks, keeping those of its elements.
fn unmark_top(v: Value) -> (Value, bool) {
    match v {
        Value::Sensitive(inner) => (unmark_top(*inner).0, true),
        v => (v, false),
    }
}

/// Edit distance counting a swap of two neighbouring characters as one edit (optimal string alignment), so
/// `aws_vcp` is closer to `aws_vpc` than to `aws_eip`.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The name to suggest for a misspelt `given` ("Did you mean ...?"): a candidate that `given` is a prefix
/// of, else the closest one within an edit distance of 2, as Terraform
/// suggests.
pub(crate) fn suggest<'c>(given: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(usize, &'c str)> = None;
    for c in candidates {
        if c == given {
            continue;
        }
        // A truncated name suggests what it starts; a longer name does not suggest its prefix
        // (`aws_route53_record` is not `aws_route`).
        let score = if given.len() >= 3 && c.starts_with(given) {
            0
        } else {
            match levenshtein(given, c) {
                d if d <= 2 => d + 1,
                _ => continue,
            }
        };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Renders a template text with only `vars` in scope (`templatefile`).
pub fn render_template(text: &str, vars: &BTreeMap<String, Value>, base_dir: &Path) -> Result<Value, String> {
    let parts = super::ast::parse_template(u32::MAX, text)
        .map_err(|d| d.0.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("; "))?;
    let scope = EmptyScope;
    let mut ev = Evaluator::new(&scope, base_dir);
    for (k, v) in vars {
        ev.locals.push((k.clone(), v.clone()));
    }
    let mut out = String::new();
    let mut marked = false;
    let mut unknown = false;
    ev.template_into(&parts, &mut out, &mut marked, &mut unknown)
        .map_err(|d| d.to_string())?;
    if unknown {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(out).mark_if(marked))
}
