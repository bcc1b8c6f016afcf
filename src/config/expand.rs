//! Module expansion: every instance of every module call becomes part of one flat configuration, so the
//! graph, the planner, apply and cost see resources with module addresses (`module.net.aws_subnet.a`)
//! and nothing else about modules.
//!
//! A module instance's expressions are rewritten to name things in that instance:
//! - `var.x` and `local.y` become the locals `<module path>.var.x` and `<module path>.local.y` (an input
//!   local holds the call's argument, and converts it to the variable's type, applies its default and
//!   its sensitivity when evaluated — see [`ModuleInput`]);
//! - `module.c` (in any module) becomes the local `<module path>.module.c`: the object of the call's
//!   outputs, a list of them (`count`) or a map (`for_each`), each output the local
//!   `<instance path>.output.o`;
//! - resource references get the module path in their root name ([`crate::addrs::scoped_root`]);
//! - in a call's arguments, `count.index`, `each.key` and `each.value` become the instance's key and
//!   value; `path.module` becomes the module's directory.
//!
//! A call whose `count` or `for_each` depends only on variables and locals is expanded here. One that
//! refers (directly or through locals, module inputs and outputs) to managed resources or data sources is
//! expanded with the value the planner evaluated for it ([`ModuleInstances`]); without one it is
//! *deferred* ([`DeferredCall`]): not expanded, its `count`/`for_each` kept as a local of the flat
//! configuration for the planner to evaluate, and its outputs unknown. The planner plans what that local
//! depends on, evaluates it, and expands again with the value (`plan::planner::deferred`); the plan
//! records the values, so apply expands the same instances. Provider configurations are the root
//! module's, passed down by `providers = { ... }` or inherited by default.

use super::{Config, Local, ModuleCall, Resource, Validation, Variable};
use crate::addrs::{InstanceKey, ModulePath, ProviderKey, ResourceAddr, scoped_root};
use crate::diag::{Diagnostics, Span};
use crate::lang::ast::{BinaryOp, Block, Body, Expr, ObjKey, Step, TemplatePart};
use crate::lang::refs::{Ref, expr_refs};
use crate::scope::ModuleScope;
use infra_provider::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The evaluated `count`/`for_each` of module calls that depend on resources or data sources, by the
/// call's path: the calling module instance's path and the call's name without a key (`module.svc`,
/// `module.a["x"].module.b`). Values are as [`recorded`] keeps them. `Value::Unknown` expands the call
/// once with unknown keys, as `expand` without variables does (an offline plan that cannot know them).
pub type ModuleInstances = BTreeMap<ModulePath, Value>;

/// A module call whose `count`/`for_each` depends on resources or data sources and has no value in the
/// [`ModuleInstances`] given to [`expand_with`]: it is not expanded, and its outputs are unknown.
#[derive(Debug, Clone)]
pub struct DeferredCall {
    /// The call's path (its key in [`ModuleInstances`]).
    pub path: ModulePath,
    pub name: String,
    /// `count` or `for_each`.
    pub arg: &'static str,
    /// The local of the flat configuration that holds the value: [`DeferredCall::expr`].
    pub local: String,
    /// The `count`/`for_each` expression, rewritten into the calling module instance.
    pub expr: Expr,
    /// The expression as written.
    pub span: Span,
    /// The `module "NAME"` header.
    pub decl_span: Span,
}

/// What a plan records of an evaluated `count`/`for_each`: the value, a map's values left out (only its
/// keys make instances; `each.value` is evaluated from the expression), marks kept.
pub fn recorded(v: &Value) -> Value {
    match v {
        Value::Sensitive(inner) => recorded(inner).mark(),
        Value::Map(m) => Value::Map(m.keys().map(|k| (k.clone(), Value::Null)).collect()),
        other => other.clone(),
    }
}

impl Config {
    /// Whether module instance `path` is, or is inside, an instance of a deferred call.
    pub fn in_deferred_call(&self, path: &ModulePath) -> bool {
        self.deferred.iter().any(|d| path.within(&d.path))
    }

    /// Whether a deferred call may add module instances at or inside `path` (`--target module.a` when
    /// `module.a["x"].module.b` is deferred).
    pub fn deferred_may_add(&self, path: &ModulePath) -> bool {
        self.deferred
            .iter()
            .any(|d| path.within(&d.path) || d.path.within(path))
    }
}

/// The variable behind a module input local.
#[derive(Debug, Clone)]
pub struct ModuleInput {
    /// The declaration, with its validation rules rewritten into the module instance.
    pub var: Variable,
    pub module: ModulePath,
}

/// The name of the local that holds `kind.name` of module instance `path` (`module.net.var.cidr`); in the
/// root module, `module.c` is the local `module.c`.
pub fn mangle(path: &ModulePath, kind: &str, name: &str) -> String {
    if path.is_root() {
        format!("{kind}.{name}")
    } else {
        format!("{path}.{kind}.{name}")
    }
}

fn local_ref(name: String, span: Span) -> Expr {
    Expr::Traversal(
        Box::new(Expr::Var("local".into(), span)),
        vec![Step::Attr(name, span)],
        span,
    )
}

/// Rewrites the expressions of one module instance (or of the root module: only `module.*` there).
struct Rewriter<'a> {
    path: &'a ModulePath,
    /// In a call's arguments: the instance's `count.index`, `each.key`, `each.value`.
    count_index: Option<Expr>,
    each: Option<(Expr, Expr)>,
    /// `path.module` of the module instance.
    module_dir: Option<String>,
    bound: Vec<String>,
}

impl<'a> Rewriter<'a> {
    fn new(path: &'a ModulePath, module_dir: Option<String>) -> Rewriter<'a> {
        Rewriter {
            path,
            count_index: None,
            each: None,
            module_dir,
            bound: Vec::new(),
        }
    }

    fn body(&mut self, b: &mut Body) {
        for a in &mut b.attrs {
            self.expr(&mut a.expr);
        }
        for blk in &mut b.blocks {
            self.block(blk);
        }
    }

    fn block(&mut self, blk: &mut Block) {
        if blk.kind != "dynamic" {
            self.body(&mut blk.body);
            return;
        }
        let iterator = match blk.body.attr("iterator").map(|a| &a.expr) {
            Some(Expr::Var(n, _)) => n.clone(),
            _ => blk.labels.first().map(|l| l.0.clone()).unwrap_or_default(),
        };
        for a in &mut blk.body.attrs {
            if a.name == "for_each" {
                self.expr(&mut a.expr);
            }
        }
        self.bound.push(iterator);
        for a in &mut blk.body.attrs {
            if a.name != "for_each" && a.name != "iterator" {
                self.expr(&mut a.expr);
            }
        }
        for c in &mut blk.body.blocks {
            self.block(c);
        }
        self.bound.pop();
    }

    fn expr(&mut self, e: &mut Expr) {
        match e {
            Expr::Literal(..) => {}
            Expr::Template(parts, _) => self.template(parts),
            Expr::Tuple(items, _) => items.iter_mut().for_each(|i| self.expr(i)),
            Expr::Object(items, _) => {
                for (k, v) in items {
                    if let ObjKey::Expr(ke) = k {
                        self.expr(ke);
                    }
                    self.expr(v);
                }
            }
            Expr::Var(..) => {
                let span = e.span();
                if let Some(new) = self.root(e, &mut Vec::new(), span) {
                    *e = new;
                }
            }
            Expr::Traversal(base, steps, span) => {
                for s in steps.iter_mut() {
                    if let Step::Index(i, _) = s {
                        self.expr(i);
                    }
                }
                if matches!(base.as_ref(), Expr::Var(..)) {
                    let span = *span;
                    if let Some(new) = self.root(base, steps, span) {
                        *e = new;
                    }
                } else {
                    self.expr(base);
                }
            }
            Expr::Call { args, .. } => args.iter_mut().for_each(|a| self.expr(a)),
            Expr::Cond(c, t, f, _) => {
                self.expr(c);
                self.expr(t);
                self.expr(f);
            }
            Expr::Unary(_, x, _) => self.expr(x),
            Expr::Binary(_, l, r, _) => {
                self.expr(l);
                self.expr(r);
            }
            Expr::For(f) => {
                self.expr(&mut f.coll);
                let n = self.bound.len();
                self.bound.push(f.value_var.clone());
                if let Some(k) = &f.key_var {
                    self.bound.push(k.clone());
                }
                if let Some(k) = &mut f.key_expr {
                    self.expr(k);
                }
                self.expr(&mut f.value_expr);
                if let Some(c) = &mut f.cond {
                    self.expr(c);
                }
                self.bound.truncate(n);
            }
        }
    }

    /// Rewrites a root name and its steps in place; returns a replacement for the whole traversal when the
    /// root and its first step become a value (`count.index` → the key).
    fn root(&mut self, base: &mut Expr, steps: &mut Vec<Step>, span: Span) -> Option<Expr> {
        let Expr::Var(name, vspan) = base else { return None };
        if self.bound.iter().any(|b| b == name) {
            return None;
        }
        let first = match steps.first() {
            Some(Step::Attr(n, _)) => Some(n.clone()),
            _ => None,
        };
        let replace_first = |value: Expr, steps: &mut Vec<Step>| -> Expr {
            let rest: Vec<Step> = steps.drain(1..).collect();
            if rest.is_empty() {
                value
            } else {
                Expr::Traversal(Box::new(value), rest, span)
            }
        };
        match (name.as_str(), first.as_deref()) {
            ("var" | "local", Some(n)) if !self.path.is_root() => {
                let kind = name.clone();
                steps[0] = Step::Attr(mangle(self.path, &kind, n), step_span(&steps[0]));
                *name = "local".into();
                None
            }
            ("module", Some(n)) => {
                steps[0] = Step::Attr(mangle(self.path, "module", n), step_span(&steps[0]));
                *name = "local".into();
                None
            }
            ("count", Some("index")) => self.count_index.clone().map(|v| replace_first(v, steps)),
            ("each", Some("key")) => self
                .each
                .as_ref()
                .map(|(k, _)| k.clone())
                .map(|v| replace_first(v, steps)),
            ("each", Some("value")) => self
                .each
                .as_ref()
                .map(|(_, v)| v.clone())
                .map(|v| replace_first(v, steps)),
            ("path", Some("module")) => self
                .module_dir
                .clone()
                .map(|d| replace_first(Expr::Literal(Value::String(d), *vspan), steps)),
            ("var" | "local" | "module" | "count" | "each" | "path" | "terraform" | "self", _) => None,
            (_, Some(_)) if !self.path.is_root() => {
                *name = scoped_root(self.path, name);
                None
            }
            _ => None,
        }
    }

    fn template(&mut self, parts: &mut [TemplatePart]) {
        for p in parts {
            match p {
                TemplatePart::Lit(_) => {}
                TemplatePart::Interp(e) => self.expr(e),
                TemplatePart::If { cond, then, otherwise } => {
                    self.expr(cond);
                    self.template(then);
                    self.template(otherwise);
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    coll,
                    body,
                } => {
                    self.expr(coll);
                    let n = self.bound.len();
                    self.bound.push(value_var.clone());
                    if let Some(k) = key_var {
                        self.bound.push(k.clone());
                    }
                    self.template(body);
                    self.bound.truncate(n);
                }
            }
        }
    }
}

fn step_span(s: &Step) -> Span {
    match s {
        Step::Attr(_, sp) | Step::Index(_, sp) | Step::AttrSplat(sp) | Step::FullSplat(sp) => *sp,
    }
}

/// Provider configurations of a module instance: its names for them → the root module's.
#[derive(Clone, Default)]
struct ProviderMap(BTreeMap<ProviderKey, ProviderKey>);

impl ProviderMap {
    fn resolve(&self, k: &ProviderKey) -> ProviderKey {
        self.0.get(k).cloned().unwrap_or_else(|| k.clone())
    }
    /// The map of a module called with `providers`: what it is passed, and the default configurations it
    /// inherits.
    fn child(&self, call: &ModuleCall) -> ProviderMap {
        let mut m: BTreeMap<ProviderKey, ProviderKey> = self
            .0
            .iter()
            .filter(|(k, _)| k.alias.is_none())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (inner, outer, _) in &call.providers {
            m.insert(inner.clone(), self.resolve(outer));
        }
        ProviderMap(m)
    }
}

struct Expander<'a> {
    flat: Config,
    vars: Option<&'a BTreeMap<String, Value>>,
    known: &'a ModuleInstances,
    env: &'a str,
    diags: Diagnostics,
    /// Resources that depend on whole module calls: resolved once every instance exists.
    module_deps: Vec<(ResourceAddr, ModulePath, Span)>,
}

/// One module instance to expand: its key, and its `count.index` or `each` for the call's arguments.
struct Instance {
    key: InstanceKey,
    count_index: Option<Expr>,
    each: Option<(Expr, Expr)>,
}

/// The instances of one call, from its `count`/`for_each`.
enum Instances {
    Known(Vec<Instance>),
    /// One instance with unknown keys (no variables, or a value the plan could not know offline).
    Unknown(Instance),
    /// Not expanded yet: the local holding the call's `count`/`for_each`.
    Deferred(String),
}

/// Expands every module call of `cfg` into one flat configuration. `vars` are the root module's
/// variables; without them (`validate`) each call is expanded once, with unknown keys. A call whose
/// `count`/`for_each` depends on resources or data sources is deferred ([`expand_with`]).
pub fn expand(cfg: &Arc<Config>, vars: Option<&BTreeMap<String, Value>>, env: &str) -> (Arc<Config>, Diagnostics) {
    expand_with(cfg, vars, &ModuleInstances::new(), env)
}

/// [`expand`], with the `count`/`for_each` values of calls that depend on resources or data sources
/// (from the planner, or from the plan being applied); a call of that kind without a value is deferred:
/// recorded in [`Config::deferred`] and not expanded.
pub fn expand_with(
    cfg: &Arc<Config>,
    vars: Option<&BTreeMap<String, Value>>,
    known: &ModuleInstances,
    env: &str,
) -> (Arc<Config>, Diagnostics) {
    if cfg.module_calls.is_empty() || cfg.expanded {
        return (cfg.clone(), Diagnostics::new());
    }
    let mut flat = (**cfg).clone();
    let root = ModulePath::root();
    {
        let mut rw = Rewriter::new(&root, None);
        for r in flat.resources.values_mut() {
            rewrite_resource(&mut rw, r);
        }
        for l in flat.locals.values_mut() {
            rw.expr(&mut l.expr);
        }
        for o in flat.outputs.values_mut() {
            rw.expr(&mut o.value);
        }
        for p in flat.providers.values_mut() {
            rw.body(&mut p.body);
        }
    }
    let mut module_deps = Vec::new();
    for r in flat.resources.values() {
        for (m, span) in &r.depends_on_modules {
            module_deps.push((r.addr.clone(), root.child(m, InstanceKey::None), *span));
        }
    }
    flat.expanded = true;
    let mut ex = Expander {
        flat,
        vars,
        known,
        env,
        diags: Diagnostics::new(),
        module_deps,
    };
    for call in call_order(cfg) {
        ex.call(&root, cfg, call, &ProviderMap::default(), &[], &[]);
    }
    let Expander {
        mut flat,
        diags,
        module_deps,
        ..
    } = ex;
    for (addr, within, _) in module_deps {
        let deps: Vec<ResourceAddr> = flat
            .resources
            .keys()
            .filter(|a| a.module.within(&within) && !a.module.is_root())
            .cloned()
            .collect();
        if let Some(r) = flat.resources.get_mut(&addr) {
            for d in deps {
                if !r.depends_on.iter().any(|(x, _)| *x == d) {
                    r.depends_on.push((d, r.decl_span));
                }
            }
        }
    }
    (Arc::new(flat), diags)
}

/// `path.module` of a module: its directory relative to the root module's (functions such as `file`
/// resolve paths from there), `../shared/x` for one outside it.
fn relative_dir(dir: &std::path::Path, root: &std::path::Path) -> String {
    use super::modules::normalize;
    let abs = |p: &std::path::Path| normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    let (d, r) = (abs(dir), abs(root));
    let common = d.components().zip(r.components()).take_while(|(a, b)| a == b).count();
    let mut out = std::path::PathBuf::new();
    for _ in r.components().skip(common) {
        out.push("..");
    }
    for c in d.components().skip(common) {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.display().to_string()
    }
}

fn rewrite_resource(rw: &mut Rewriter<'_>, r: &mut Resource) {
    rw.body(&mut r.body);
    for e in [&mut r.count, &mut r.for_each].into_iter().flatten() {
        rw.expr(e);
    }
}

impl Expander<'_> {
    fn eval(&self, e: &Expr) -> Result<Value, crate::diag::Diagnostic> {
        let scope = ModuleScope::new(
            Arc::new(self.flat.clone()),
            self.vars.cloned().unwrap_or_default(),
            self.env,
        );
        scope.evaluator().eval(e)
    }

    /// Whether an expression refers to a managed resource or a data source, directly or through locals
    /// (module inputs and outputs are locals here).
    fn depends_on_resources(&self, e: &Expr) -> bool {
        let mut stack: Vec<Ref> = expr_refs(e).into_iter().map(|(r, _)| r).collect();
        let mut seen = BTreeSet::new();
        while let Some(r) = stack.pop() {
            match r {
                Ref::Resource(a) if self.flat.resources.contains_key(&a) => return true,
                Ref::Local(n) if seen.insert(n.clone()) => {
                    if let Some(l) = self.flat.locals.get(&n) {
                        stack.extend(expr_refs(&l.expr).into_iter().map(|(r, _)| r));
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// The value of a call's `count`/`for_each` (`e`, rewritten into the calling module): given, or
    /// evaluated now when it depends only on variables and locals; `Err` with the local that holds it
    /// when the call is deferred. `Ok(None)` after an error.
    fn value_of(
        &mut self,
        parent: &ModulePath,
        call: &ModuleCall,
        arg: &'static str,
        e: &Expr,
    ) -> Result<Option<(Value, Option<String>)>, String> {
        let path = parent.child(&call.name, InstanceKey::None);
        let local = format!("{}.{arg}", mangle(parent, "module", &call.name));
        let given = self.known.get(&path).cloned();
        let deferred = given.is_none() && self.depends_on_resources(e);
        if given.is_some() || deferred {
            self.flat.locals.insert(
                local.clone(),
                Local {
                    name: local.clone(),
                    expr: e.clone(),
                    span: e.span(),
                    input: None,
                },
            );
        }
        if deferred {
            self.flat.deferred.push(DeferredCall {
                path,
                name: call.name.clone(),
                arg,
                local: local.clone(),
                expr: e.clone(),
                span: e.span(),
                decl_span: call.decl_span,
            });
            return Err(local);
        }
        match given {
            Some(v) => Ok(Some((v, Some(local)))),
            None => match self.eval(e) {
                Ok(v) => Ok(Some((v, None))),
                Err(d) => {
                    self.diags.push(d);
                    Ok(None)
                }
            },
        }
    }

    /// The instances of a call, from its `count` or `for_each` evaluated in the calling module (or given).
    fn instances(&mut self, parent: &ModulePath, call: &ModuleCall) -> Option<Instances> {
        let one = |key| Instance {
            key,
            count_index: None,
            each: None,
        };
        let unknown = |span| Expr::Literal(Value::Unknown, span);
        let span = call.decl_span;
        let unknown_one = || {
            Instances::Unknown(Instance {
                key: InstanceKey::None,
                count_index: call.count.as_ref().map(|_| unknown(span)),
                each: call.for_each.as_ref().map(|_| (unknown(span), unknown(span))),
            })
        };
        let mut rw = Rewriter::new(parent, None);
        if self.vars.is_none() {
            return Some(unknown_one());
        }
        if let Some(c) = &call.count {
            let mut e = c.clone();
            rw.expr(&mut e);
            let v = match self.value_of(parent, call, "count", &e) {
                Ok(Some((Value::Unknown, Some(_)))) => return Some(unknown_one()),
                Ok(Some((v, _))) => v,
                Ok(None) => return None,
                Err(local) => return Some(Instances::Deferred(local)),
            };
            // A sensitive count is allowed (Terraform 1.11): instance keys are numbers either way.
            let (v, _) = v.unmark_deep();
            let n = match v {
                Value::Number(n) if n.as_i64().is_some_and(|i| i >= 0) => n.as_i64().unwrap_or(0),
                Value::Unknown => {
                    self.diags.error(Some(c.span()), "Invalid count argument", format!("The \"count\" value of module.{} is not known when planning, so infra cannot predict how many instances of the module will be created.", call.name));
                    return None;
                }
                other => {
                    self.diags.error(
                        Some(c.span()),
                        "Invalid count argument",
                        format!(
                            "The \"count\" of module.{} must be a whole number, 0 or more; got {}.",
                            call.name,
                            crate::plan::render::render_inline(&other)
                        ),
                    );
                    return None;
                }
            };
            return Some(Instances::Known(
                (0..n)
                    .map(|i| Instance {
                        key: InstanceKey::Int(i),
                        count_index: Some(Expr::Literal(Value::int(i), c.span())),
                        each: None,
                    })
                    .collect(),
            ));
        }
        if let Some(fe) = &call.for_each {
            let mut e = fe.clone();
            rw.expr(&mut e);
            let (v, local) = match self.value_of(parent, call, "for_each", &e) {
                Ok(Some((Value::Unknown, Some(_)))) => return Some(unknown_one()),
                Ok(Some(x)) => x,
                Ok(None) => return None,
                Err(local) => return Some(Instances::Deferred(local)),
            };
            // `each.value` of a map: the element of the value, evaluated where it is used (from the local
            // that holds it when the value was given: known only after apply, perhaps).
            let base = match local {
                Some(l) => local_ref(l, fe.span()),
                None => e.clone(),
            };
            let (v, sensitive) = v.unmark_shallow();
            if sensitive {
                self.diags.error(Some(fe.span()), "Invalid for_each argument", "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: the instance keys would appear in addresses.");
                return None;
            }
            let span = fe.span();
            let mut out = Vec::new();
            match v {
                Value::Map(m) => {
                    for k in m.keys() {
                        let key = Expr::Literal(Value::String(k.clone()), span);
                        let value = Expr::Traversal(
                            Box::new(base.clone()),
                            vec![Step::Index(Box::new(key.clone()), span)],
                            span,
                        );
                        out.push(Instance {
                            key: InstanceKey::Str(k.clone()),
                            count_index: None,
                            each: Some((key, value)),
                        });
                    }
                }
                Value::Set(items) => {
                    for i in items {
                        match i.clone().unmark_deep().0 {
                            Value::String(k) => {
                                let key = Expr::Literal(Value::String(k.clone()), span);
                                out.push(Instance {
                                    key: InstanceKey::Str(k),
                                    count_index: None,
                                    each: Some((key.clone(), key)),
                                });
                            }
                            Value::Unknown => {
                                self.diags.error(Some(span), "Invalid for_each argument", format!("The \"for_each\" set of module.{} includes values that are not known when planning, so infra cannot determine the full set of keys that will identify the instances of the module.", call.name));
                                return None;
                            }
                            _ => {
                                self.diags.error(
                                    Some(span),
                                    "Invalid for_each argument",
                                    "A for_each set must hold strings.",
                                );
                                return None;
                            }
                        }
                    }
                }
                Value::Unknown => {
                    self.diags.error(Some(span), "Invalid for_each argument", format!("The \"for_each\" value of module.{} is not known when planning, so infra cannot determine the full set of keys that will identify the instances of the module.", call.name));
                    return None;
                }
                Value::List(_) => {
                    self.diags.error(Some(span), "Invalid for_each argument", "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type tuple. Use toset() for a list of strings.");
                    return None;
                }
                _ => {
                    self.diags.error(
                        Some(span),
                        "Invalid for_each argument",
                        "The \"for_each\" argument must be a map, or set of strings.",
                    );
                    return None;
                }
            }
            return Some(Instances::Known(out));
        }
        Some(Instances::Known(vec![one(InstanceKey::None)]))
    }

    fn call(
        &mut self,
        parent: &ModulePath,
        parent_cfg: &Config,
        call: &ModuleCall,
        pmap: &ProviderMap,
        deps: &[(ResourceAddr, Span)],
        module_deps: &[(ModulePath, Span)],
    ) {
        let Some(child) = call.module.clone() else { return };
        let (instances, keys_unknown) = match self.instances(parent, call) {
            None => return,
            Some(Instances::Known(v)) => (v, false),
            Some(Instances::Unknown(i)) => (vec![i], true),
            Some(Instances::Deferred(local)) => {
                // Unknown until the call is expanded. It refers to the call's count/for_each, so that what
                // refers to the outputs is planned after what that depends on (and a cycle through the
                // outputs is found).
                let span = call.decl_span;
                let unknown = Box::new(Expr::Literal(Value::Unknown, span));
                let value = Expr::Cond(
                    Box::new(Expr::Binary(
                        BinaryOp::Eq,
                        Box::new(local_ref(local, span)),
                        Box::new(Expr::Literal(Value::Null, span)),
                        span,
                    )),
                    unknown.clone(),
                    unknown,
                    span,
                );
                let name = mangle(parent, "module", &call.name);
                self.flat.locals.insert(
                    name.clone(),
                    Local {
                        name,
                        expr: value,
                        span,
                        input: None,
                    },
                );
                return;
            }
        };
        let cmap = pmap.child(call);
        // Everything in the module waits for what the call depends on, and for what the caller's calls did.
        let mut deps: Vec<(ResourceAddr, Span)> = deps.to_vec();
        deps.extend(call.depends_on.iter().map(|(a, s)| (a.in_module(parent), *s)));
        let mut module_deps: Vec<(ModulePath, Span)> = module_deps.to_vec();
        module_deps.extend(
            call.depends_on_modules
                .iter()
                .map(|(m, s)| (parent.child(m, InstanceKey::None), *s)),
        );
        let dir = relative_dir(&child.dir, &self.flat.dir);
        let counted = call.count.is_some();
        let mut objects: Vec<(InstanceKey, Expr)> = Vec::new();
        for inst in instances {
            let path = parent.child(&call.name, inst.key.clone());
            let mut args = Rewriter::new(parent, Some(relative_dir(&parent_cfg.dir, &self.flat.dir)));
            args.count_index = inst.count_index.clone();
            args.each = inst.each.clone();
            let mut rw = Rewriter::new(&path, Some(dir.clone()));
            for (vname, v) in &child.variables {
                let (expr, span) = match call.args.iter().find(|a| &a.name == vname) {
                    Some(a) => {
                        let mut e = a.expr.clone();
                        args.expr(&mut e);
                        (e, a.expr.span())
                    }
                    None => (Expr::Literal(v.default.clone().unwrap_or(Value::Null), v.span), v.span),
                };
                let mut var = v.clone();
                var.validations = v
                    .validations
                    .iter()
                    .map(|val| {
                        let mut c = val.condition.clone();
                        let mut m = val.error_message.clone();
                        rw.expr(&mut c);
                        rw.expr(&mut m);
                        Validation {
                            condition: c,
                            error_message: m,
                            span: val.span,
                        }
                    })
                    .collect();
                let name = mangle(&path, "var", vname);
                if v.ephemeral {
                    self.flat.ephemeral_locals.insert(name.clone());
                }
                self.flat.locals.insert(
                    name.clone(),
                    Local {
                        name,
                        expr,
                        span,
                        input: Some(Box::new(ModuleInput {
                            var,
                            module: path.clone(),
                        })),
                    },
                );
            }
            for (lname, l) in &child.locals {
                let mut e = l.expr.clone();
                rw.expr(&mut e);
                let name = mangle(&path, "local", lname);
                self.flat.locals.insert(
                    name.clone(),
                    Local {
                        name,
                        expr: e,
                        span: l.span,
                        input: None,
                    },
                );
            }
            let mut fields = Vec::new();
            for (oname, o) in &child.outputs {
                let mut e = o.value.clone();
                rw.expr(&mut e);
                if o.sensitive {
                    let span = e.span();
                    e = Expr::Call {
                        name: "sensitive".into(),
                        args: vec![e],
                        expand_final: false,
                        span,
                    };
                }
                let name = mangle(&path, "output", oname);
                if o.ephemeral {
                    self.flat.ephemeral_locals.insert(name.clone());
                }
                fields.push((ObjKey::Name(oname.clone(), o.span), local_ref(name.clone(), o.span)));
                self.flat.locals.insert(
                    name.clone(),
                    Local {
                        name,
                        expr: e,
                        span: o.span,
                        input: None,
                    },
                );
            }
            objects.push((inst.key.clone(), Expr::Object(fields, call.decl_span)));
            for r in child.resources.values() {
                let mut r = r.clone();
                r.addr = r.addr.in_module(&path);
                r.provider = cmap.resolve(&r.provider);
                rewrite_resource(&mut rw, &mut r);
                for (d, _) in r.depends_on.iter_mut() {
                    *d = d.in_module(&path);
                }
                r.depends_on.extend(deps.iter().cloned());
                for (m, span) in &r.depends_on_modules {
                    self.module_deps
                        .push((r.addr.clone(), path.child(m, InstanceKey::None), *span));
                }
                for (m, span) in &module_deps {
                    self.module_deps.push((r.addr.clone(), m.clone(), *span));
                }
                self.flat.resources.insert(r.addr.clone(), r);
            }
            for m in &child.moved {
                self.flat.moved.push(super::refactor::Moved {
                    from: m.from.within(&path),
                    to: m.to.within(&path),
                    span: m.span,
                });
            }
            for r in &child.removed {
                self.flat.removed.push(super::refactor::Removed {
                    from: r.from.within(&path),
                    destroy: r.destroy,
                    span: r.span,
                });
            }
            for nested in call_order(&child) {
                self.call(&path, &child, nested, &cmap, &deps, &module_deps);
            }
        }
        let span = call.decl_span;
        let value = if keys_unknown {
            Expr::Literal(Value::Unknown, span)
        } else if counted {
            Expr::Tuple(objects.into_iter().map(|(_, o)| o).collect(), span)
        } else if call.for_each.is_some() {
            Expr::Object(
                objects
                    .into_iter()
                    .map(|(k, o)| {
                        let key = match k {
                            InstanceKey::Str(s) => s,
                            other => other.to_string(),
                        };
                        (ObjKey::Expr(Expr::Literal(Value::String(key), span)), o)
                    })
                    .collect(),
                span,
            )
        } else {
            objects
                .pop()
                .map(|(_, o)| o)
                .unwrap_or(Expr::Literal(Value::Null, span))
        };
        let name = mangle(parent, "module", &call.name);
        self.flat.locals.insert(
            name.clone(),
            Local {
                name,
                expr: value,
                span,
                input: None,
            },
        );
    }
}

/// A module's calls in the order they are expanded: a call whose `count`/`for_each` refers to another
/// call's outputs (directly or through the module's locals) after that call, so its value is there
/// (`count = length(module.net.subnet_ids)` in a call named before `net`); otherwise by name.
fn call_order(cfg: &Config) -> Vec<&ModuleCall> {
    fn modules_of(cfg: &Config, e: &Expr, seen: &mut std::collections::BTreeSet<String>, out: &mut Vec<String>) {
        for (r, _) in crate::lang::refs::expr_refs(e) {
            match r {
                crate::lang::refs::Ref::Module(m) => out.push(m),
                crate::lang::refs::Ref::Local(l) if seen.insert(l.clone()) => {
                    if let Some(local) = cfg.locals.get(&l) {
                        modules_of(cfg, &local.expr, seen, out);
                    }
                }
                _ => {}
            }
        }
    }
    fn visit<'c>(
        cfg: &'c Config,
        call: &'c ModuleCall,
        state: &mut BTreeMap<String, bool>,
        out: &mut Vec<&'c ModuleCall>,
    ) {
        if state.contains_key(&call.name) {
            return;
        }
        state.insert(call.name.clone(), false);
        let mut deps = Vec::new();
        for e in [&call.count, &call.for_each].into_iter().flatten() {
            modules_of(cfg, e, &mut Default::default(), &mut deps);
        }
        for d in deps {
            if let Some(c) = cfg.module_calls.get(&d) {
                visit(cfg, c, state, out);
            }
        }
        state.insert(call.name.clone(), true);
        out.push(call);
    }
    let mut state = BTreeMap::new();
    let mut out = Vec::new();
    for call in cfg.module_calls.values() {
        visit(cfg, call, &mut state, &mut out);
    }
    out
}
