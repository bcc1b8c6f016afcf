//! Finding what an expression or body refers to (`var.x`, `local.y`, `aws_vpc.main`, `data.t.n`), for the
//! dependency graph. Names bound by `for` expressions, template `for` directives and `dynamic` block
//! iterators are not references.

use super::ast::{Body, Expr, ObjKey, Step, TemplatePart};
use crate::addrs::{Mode, ResourceAddr};
use crate::diag::Span;

/// Something a configuration object depends on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ref {
    Var(String),
    Local(String),
    Resource(ResourceAddr),
    /// A module call: `module.net`.
    Module(String),
}

/// References of one expression.
pub fn expr_refs(e: &Expr) -> Vec<(Ref, Span)> {
    let mut w = Walker {
        bound: Vec::new(),
        out: Vec::new(),
        attrs: None,
        local_attrs: Vec::new(),
    };
    w.expr(e);
    w.out
}

/// References of a body, including nested and dynamic blocks; `skip` names arguments to leave out.
pub fn body_refs(b: &Body, skip: &[&str]) -> Vec<(Ref, Span)> {
    let mut w = Walker {
        bound: Vec::new(),
        out: Vec::new(),
        attrs: None,
        local_attrs: Vec::new(),
    };
    w.body(b, skip);
    w.out
}

/// A reference to a local value: its name, the attribute read from it (if one follows), where.
pub type LocalAttr = (String, Option<String>, Span);

/// References of one expression (as [`expr_refs`]), each reference to a local value with the attribute
/// read from it when one follows: `local.x.y` and `local.x[0].y` give (`x`, `Some("y")`).
pub fn expr_refs_detailed(e: &Expr) -> (Vec<(Ref, Span)>, Vec<LocalAttr>) {
    let mut w = Walker {
        bound: Vec::new(),
        out: Vec::new(),
        attrs: None,
        local_attrs: Vec::new(),
    };
    w.expr(e);
    (w.out, w.local_attrs)
}

/// A reference to an attribute of a resource: `aws_subnet.b.id`, `aws_subnet.b[0].id`,
/// `aws_subnet.b[*].id`, `data.aws_vpc.main.cidr_block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrRef {
    pub resource: ResourceAddr,
    /// An instance key or splat came between the resource and the attribute.
    pub indexed: bool,
    pub attr: String,
    pub span: Span,
}

/// The resource attribute references of a body (as [`body_refs`], with the attribute each one reads).
pub fn body_attr_refs(b: &Body, skip: &[&str]) -> Vec<AttrRef> {
    let mut out = Vec::new();
    let mut w = Walker {
        bound: Vec::new(),
        out: Vec::new(),
        attrs: Some(&mut out),
        local_attrs: Vec::new(),
    };
    w.body(b, skip);
    out
}

/// The resource attribute references of one expression.
pub fn expr_attr_refs(e: &Expr) -> Vec<AttrRef> {
    let mut out = Vec::new();
    let mut w = Walker {
        bound: Vec::new(),
        out: Vec::new(),
        attrs: Some(&mut out),
        local_attrs: Vec::new(),
    };
    w.expr(e);
    out
}

struct Walker<'a> {
    bound: Vec<String>,
    out: Vec<(Ref, Span)>,
    /// When set, also collects attribute references.
    attrs: Option<&'a mut Vec<AttrRef>>,
    /// Each reference to a local value with the attribute read from it, if one follows (after an
    /// optional index or splat): `local.x.y` → (`x`, `y`).
    local_attrs: Vec<LocalAttr>,
}

impl Walker<'_> {
    fn body(&mut self, b: &Body, skip: &[&str]) {
        for a in &b.attrs {
            if !skip.contains(&a.name.as_str()) {
                self.expr(&a.expr);
            }
        }
        for blk in &b.blocks {
            if blk.kind == "dynamic" {
                let iterator = match blk.body.attr("iterator").map(|a| &a.expr) {
                    Some(Expr::Var(n, _)) => n.clone(),
                    _ => blk.labels.first().map(|l| l.0.clone()).unwrap_or_default(),
                };
                if let Some(fe) = blk.body.attr("for_each") {
                    self.expr(&fe.expr);
                }
                self.bound.push(iterator);
                for c in blk.body.blocks_of("content") {
                    self.body(&c.body, &[]);
                }
                self.bound.pop();
            } else {
                self.body(&blk.body, &[]);
            }
        }
    }

    fn root(&mut self, name: &str, span: Span, steps: &[Step]) {
        if self.bound.iter().any(|b| b == name) {
            return;
        }
        let attr = |i: usize| match steps.get(i) {
            Some(Step::Attr(n, s)) => Some((n.clone(), *s)),
            _ => None,
        };
        let (module, name) = crate::addrs::split_scoped_root(name);
        match name {
            "var" => {
                if let Some((n, s)) = attr(0) {
                    self.out.push((Ref::Var(n), span.to(s)));
                }
            }
            "local" => {
                if let Some((n, s)) = attr(0) {
                    let next = match &steps[1..] {
                        [
                            Step::Index(..) | Step::FullSplat(_) | Step::AttrSplat(_),
                            Step::Attr(a, _),
                            ..,
                        ]
                        | [Step::Attr(a, _), ..] => Some(a.clone()),
                        _ => None,
                    };
                    self.local_attrs.push((n.clone(), next, span.to(s)));
                    self.out.push((Ref::Local(n), span.to(s)));
                }
            }
            "module" => {
                if let Some((n, s)) = attr(0) {
                    self.out.push((Ref::Module(n), span.to(s)));
                }
            }
            "count" | "each" | "path" | "terraform" | "self" => {}
            "data" | "ephemeral" => {
                if let (Some((t, _)), Some((n, s))) = (attr(0), attr(1)) {
                    let mode = if name == "data" { Mode::Data } else { Mode::Ephemeral };
                    let addr = ResourceAddr {
                        module,
                        mode,
                        type_name: t,
                        name: n,
                    };
                    self.attr_ref(addr.clone(), &steps[2..]);
                    self.out.push((Ref::Resource(addr), span.to(s)));
                }
            }
            t => {
                if let Some((n, s)) = attr(0) {
                    self.attr_ref(ResourceAddr::managed(t, &n).in_module(&module), &steps[1..]);
                    self.out.push((
                        Ref::Resource(ResourceAddr {
                            module,
                            mode: Mode::Managed,
                            type_name: t.to_string(),
                            name: n,
                        }),
                        span.to(s),
                    ));
                }
            }
        }
    }

    /// `rest` is what follows the resource's address: an optional instance key or splat, then the
    /// attribute.
    fn attr_ref(&mut self, resource: ResourceAddr, rest: &[Step]) {
        let Some(out) = self.attrs.as_deref_mut() else { return };
        let (indexed, step) = match rest {
            [Step::Index(..) | Step::FullSplat(_) | Step::AttrSplat(_), st, ..] => (true, st),
            [st, ..] => (false, st),
            [] => return,
        };
        if let Step::Attr(attr, span) = step {
            out.push(AttrRef {
                resource,
                indexed,
                attr: attr.clone(),
                span: *span,
            });
        }
    }

    fn steps(&mut self, steps: &[Step]) {
        for s in steps {
            if let Step::Index(e, _) = s {
                self.expr(e);
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Literal(..) => {}
            Expr::Template(parts, _) => self.template(parts),
            Expr::Tuple(items, _) => items.iter().for_each(|i| self.expr(i)),
            Expr::Object(items, _) => {
                for (k, v) in items {
                    if let ObjKey::Expr(ke) = k {
                        self.expr(ke);
                    }
                    self.expr(v);
                }
            }
            Expr::Var(n, s) => self.root(n, *s, &[]),
            Expr::Traversal(base, steps, _) => {
                match base.as_ref() {
                    Expr::Var(n, s) => self.root(n, *s, steps),
                    other => self.expr(other),
                }
                self.steps(steps);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| self.expr(a)),
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
                self.expr(&f.coll);
                let n = self.bound.len();
                self.bound.push(f.value_var.clone());
                if let Some(k) = &f.key_var {
                    self.bound.push(k.clone());
                }
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(c);
                }
                self.bound.truncate(n);
            }
        }
    }

    fn template(&mut self, parts: &[TemplatePart]) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ast::parse_expr;

    fn refs(s: &str) -> Vec<Ref> {
        expr_refs(&parse_expr(0, s).unwrap())
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    #[test]
    fn finds_variables_locals_resources_and_data() {
        assert_eq!(
            refs("\"${var.a}-${local.b}\" == aws_subnet.private[*].id[data.aws_region.x.name]"),
            vec![
                Ref::Var("a".into()),
                Ref::Local("b".into()),
                Ref::Resource(ResourceAddr::managed("aws_subnet", "private")),
                Ref::Resource(ResourceAddr::data("aws_region", "x")),
            ]
        );
    }

    #[test]
    fn for_variables_are_not_references() {
        assert_eq!(
            refs("[for s in aws_subnet.a : s.id if s.x]"),
            vec![Ref::Resource(ResourceAddr::managed("aws_subnet", "a"))]
        );
        assert_eq!(refs("{ for k, v in var.m : k => v.name }"), vec![Ref::Var("m".into())]);
        assert!(refs("[count.index, each.key, path.module]").is_empty());
    }
}
