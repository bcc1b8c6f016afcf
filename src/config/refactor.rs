//! `moved` and `removed` blocks: refactoring without recreating. A `moved` block renames objects in the
//! state before planning (a resource, one instance, or a whole module instance, into or out of modules);
//! a `removed` block with `lifecycle { destroy = false }` drops objects from the state without destroying
//! them. Both are planned and shown; the apply records them.

use super::Config;
use crate::addrs::{InstanceAddr, InstanceKey, ModulePath, ResourceAddr};
use crate::diag::{Diagnostics, Span};
use crate::lang::ast::{Block, Expr, Step};
use infra_provider::Value;

/// What a `from` or `to` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Module(ModulePath),
    Resource(ResourceAddr),
    Instance(InstanceAddr),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Module(m) => write!(f, "{m}"),
            Endpoint::Resource(r) => write!(f, "{r}"),
            Endpoint::Instance(i) => write!(f, "{i}"),
        }
    }
}

impl std::str::FromStr for Endpoint {
    type Err = crate::addrs::AddrError;
    /// `aws_vpc.a` (every instance), `aws_vpc.a[0]`, `module.net`, `module.app["api"].aws_x.y`.
    fn from_str(s: &str) -> Result<Endpoint, Self::Err> {
        match s.parse::<InstanceAddr>() {
            Ok(i) if i.key == InstanceKey::None => Ok(Endpoint::Resource(i.resource)),
            Ok(i) => Ok(Endpoint::Instance(i)),
            Err(e) => s.parse::<ModulePath>().map(Endpoint::Module).map_err(|_| e),
        }
    }
}

impl Endpoint {
    /// The same endpoint inside module instance `path` (a block of a called module).
    pub fn within(&self, path: &ModulePath) -> Endpoint {
        let join = |m: &ModulePath| ModulePath(path.0.iter().chain(m.0.iter()).cloned().collect());
        match self {
            Endpoint::Module(m) => Endpoint::Module(join(m)),
            Endpoint::Resource(r) => Endpoint::Resource(r.in_module(&join(&r.module))),
            Endpoint::Instance(i) => Endpoint::Instance(InstanceAddr {
                resource: i.resource.in_module(&join(&i.resource.module)),
                key: i.key.clone(),
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Moved {
    pub from: Endpoint,
    pub to: Endpoint,
    pub span: Span,
}

/// An `import { to = ADDR  id = "..." }` block: the object is read during the plan and managed from then on.
#[derive(Debug, Clone)]
pub struct Import {
    /// The instance; with `for_each`, its key is given by [`Import::key`] per element.
    pub to: InstanceAddr,
    pub id: Expr,
    /// `for_each`: one import per element, with `each.key` and `each.value` in `to`'s index and `id`.
    pub for_each: Option<Expr>,
    /// With `for_each`: the index expression of `to` (`aws_s3_bucket.b[each.key]`).
    pub key: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Removed {
    pub from: Endpoint,
    /// `lifecycle { destroy = false }`: forget the objects; otherwise they are destroyed as usual.
    pub destroy: bool,
    pub span: Span,
}

/// An address written as a reference (`module.net.aws_vpc.this`, `aws_subnet.a[0]`).
fn endpoint(e: &Expr) -> Option<Endpoint> {
    let (root, steps) = match e {
        Expr::Var(n, _) => (n.clone(), &[][..]),
        Expr::Traversal(base, steps, _) => match base.as_ref() {
            Expr::Var(n, _) => (n.clone(), &steps[..]),
            _ => return None,
        },
        _ => return None,
    };
    let mut text = root;
    for s in steps {
        match s {
            Step::Attr(n, _) => {
                text.push('.');
                text.push_str(n);
            }
            Step::Index(i, _) => match i.as_literal()? {
                Value::Number(n) => text.push_str(&format!("[{}]", n.as_i64()?)),
                Value::String(k) => text.push_str(&format!("[{}]", serde_json::Value::String(k))),
                _ => return None,
            },
            _ => return None,
        }
    }
    if let Ok(i) = text.parse::<InstanceAddr>() {
        return Some(if i.key == InstanceKey::None {
            Endpoint::Resource(i.resource)
        } else {
            Endpoint::Instance(i)
        });
    }
    text.parse::<ModulePath>().ok().map(Endpoint::Module)
}

impl Config {
    fn endpoint_arg(b: &Block, name: &str, diags: &mut Diagnostics) -> Option<Endpoint> {
        let Some(a) = b.body.attr(name) else {
            diags.error(
                Some(b.kind_span),
                "Missing required argument",
                format!("A {} block needs the argument {name:?}.", b.kind),
            );
            return None;
        };
        let e = endpoint(&a.expr);
        if e.is_none() {
            diags.error(
                Some(a.expr.span()),
                "Invalid address",
                format!("{name} must be a resource, resource instance or module address written without quotes, like aws_vpc.main or module.network."),
            );
        }
        e
    }

    pub(super) fn load_moved(&mut self, b: Block, diags: &mut Diagnostics) {
        for a in &b.body.attrs {
            if a.name != "from" && a.name != "to" {
                diags.error(
                    Some(a.name_span),
                    "Unsupported argument",
                    format!("An argument named {:?} is not expected in a moved block.", a.name),
                );
            }
        }
        let (Some(from), Some(to)) = (
            Self::endpoint_arg(&b, "from", diags),
            Self::endpoint_arg(&b, "to", diags),
        ) else {
            return;
        };
        let span = b.kind_span;
        let kind_ok = match (&from, &to) {
            (Endpoint::Module(_), Endpoint::Module(_)) => true,
            (
                Endpoint::Resource(f) | Endpoint::Instance(InstanceAddr { resource: f, .. }),
                Endpoint::Resource(t) | Endpoint::Instance(InstanceAddr { resource: t, .. }),
            ) => {
                if f.type_name != t.type_name || f.mode != t.mode {
                    diags.error(Some(span), "Resource type mismatch", format!("This moved block names {from} and {to}, which are of different resource types: an object can only move to an address of its own type."));
                    return;
                }
                true
            }
            _ => false,
        };
        if !kind_ok {
            diags.error(Some(span), "Invalid moved block", format!("{from} and {to} are not the same kind of address: move a module to a module, a resource to a resource."));
            return;
        }
        if matches!(&from, Endpoint::Resource(r) | Endpoint::Instance(InstanceAddr { resource: r, .. }) if r.mode == crate::addrs::Mode::Data)
        {
            diags.error(
                Some(span),
                "Invalid moved block",
                "Data sources are read again by every plan: they cannot be moved.",
            );
            return;
        }
        self.moved.push(Moved { from, to, span });
    }

    pub(super) fn load_import(&mut self, b: Block, diags: &mut Diagnostics) {
        if self.is_module {
            diags.error(
                Some(b.kind_span),
                "Invalid import block",
                "Import blocks are only allowed in the root module: move it there, with the module address in to.",
            );
            return;
        }
        for a in &b.body.attrs {
            if !["to", "id", "provider", "for_each"].contains(&a.name.as_str()) {
                diags.error(Some(a.name_span), "Unsupported argument", format!("An argument named {:?} is not expected in an import block (infra does not support identity here yet).", a.name));
            }
        }
        let for_each = b.body.attr("for_each").map(|a| a.expr.clone());
        // With for_each, `to` ends in an index computed per element: `aws_s3_bucket.b[each.key]`.
        let mut key = None;
        let mut b = b;
        if for_each.is_some()
            && let Some(a) = b.body.attrs.iter_mut().find(|a| a.name == "to")
            && let Expr::Traversal(root, steps, span) = &a.expr
            && let Some(crate::lang::ast::Step::Index(k, _)) = steps.last()
            && k.as_literal().is_none()
        {
            key = Some((**k).clone());
            a.expr = Expr::Traversal(root.clone(), steps[..steps.len() - 1].to_vec(), *span);
        }
        if for_each.is_some() && key.is_none() {
            diags.error(
                b.body.attr("to").map(|a| a.expr.span()),
                "Invalid import address",
                "An import block with for_each imports one instance per element: index to with each.key or each.value, like aws_s3_bucket.b[each.key].",
            );
            return;
        }
        for nb in &b.body.blocks {
            diags.error(
                Some(nb.kind_span),
                "Unsupported block type",
                format!("Blocks of type {:?} are not expected in an import block.", nb.kind),
            );
        }
        let Some(to) = Self::endpoint_arg(&b, "to", diags) else {
            return;
        };
        let to = match to {
            Endpoint::Resource(r) => r.instance(InstanceKey::None),
            Endpoint::Instance(i) => i,
            Endpoint::Module(m) => {
                diags.error(
                    Some(b.kind_span),
                    "Invalid import address",
                    format!("{m} is a module: an import block's to names one resource instance."),
                );
                return;
            }
        };
        let Some(id) = b.body.attr("id") else {
            diags.error(
                Some(b.kind_span),
                "Missing required argument",
                "An import block needs the argument \"id\": the cloud's ID of the object.",
            );
            return;
        };
        if let Some(prev) = self
            .imports
            .iter()
            .find(|i| i.to == to && i.key.is_none() && key.is_none())
        {
            diags.error(
                Some(b.kind_span),
                "Duplicate import configuration",
                format!(
                    "{to} is already imported by the block at {}.",
                    self.sources.location(prev.span)
                ),
            );
            return;
        }
        self.imports.push(Import {
            to,
            id: id.expr.clone(),
            for_each,
            key,
            span: b.kind_span,
        });
    }

    pub(super) fn load_removed(&mut self, b: Block, diags: &mut Diagnostics) {
        let Some(from) = Self::endpoint_arg(&b, "from", diags) else {
            return;
        };
        let mut destroy = true;
        for nb in &b.body.blocks {
            if nb.kind != "lifecycle" {
                diags.error(
                    Some(nb.kind_span),
                    "Unsupported block type",
                    format!("Blocks of type {:?} are not expected in a removed block.", nb.kind),
                );
                continue;
            }
            for a in &nb.body.attrs {
                match (a.name.as_str(), a.expr.as_literal()) {
                    ("destroy", Some(Value::Bool(d))) => destroy = d,
                    _ => diags.error(
                        Some(a.name_span),
                        "Unsupported argument",
                        "A removed block's lifecycle takes destroy = true or false.",
                    ),
                }
            }
        }
        if matches!(from, Endpoint::Instance(_)) {
            diags.error(
                Some(b.kind_span),
                "Invalid removed address",
                "A removed block names a resource or module, not one instance of it.",
            );
            return;
        }
        self.removed.push(Removed {
            from,
            destroy,
            span: b.kind_span,
        });
    }
}

/// True when `addr` is named by `e` (a module endpoint names everything inside its instance).
pub fn names(e: &Endpoint, addr: &InstanceAddr) -> bool {
    match e {
        Endpoint::Module(m) => {
            addr.resource.module.0.len() >= m.0.len() && addr.resource.module.0[..m.0.len()] == m.0[..]
        }
        Endpoint::Resource(r) => &addr.resource == r,
        Endpoint::Instance(i) => addr == i,
    }
}

/// Where a `moved` block takes `addr` (which it names).
pub fn moved_to(m: &Moved, addr: &InstanceAddr) -> InstanceAddr {
    match (&m.from, &m.to) {
        (Endpoint::Module(f), Endpoint::Module(t)) => {
            let mut path = t.0.clone();
            path.extend(addr.resource.module.0[f.0.len()..].iter().cloned());
            InstanceAddr {
                resource: addr.resource.in_module(&ModulePath(path)),
                key: addr.key.clone(),
            }
        }
        (_, Endpoint::Resource(t)) => InstanceAddr {
            resource: t.clone(),
            key: addr.key.clone(),
        },
        (_, Endpoint::Instance(t)) => t.clone(),
        (_, Endpoint::Module(_)) => addr.clone(),
    }
}

/// Checks the moved blocks among themselves: one `from` moved twice, or moves in a cycle, are errors
/// naming both blocks.
pub fn check_moves(cfg: &Config, diags: &mut Diagnostics) {
    for (i, a) in cfg.moved.iter().enumerate() {
        for b in &cfg.moved[i + 1..] {
            if a.from == b.from {
                diags.error(
                    Some(b.span),
                    "Ambiguous move statements",
                    format!(
                        "A statement at {} already declared a move from {}: an object can move to one place only.",
                        cfg.sources.location(a.span),
                        a.from
                    ),
                );
            } else if a.from == b.to && a.to == b.from {
                diags.error(
                    Some(b.span),
                    "Cyclic dependency in move statements",
                    format!(
                        "This block moves {} to {}, and the block at {} moves it back: remove one of them.",
                        b.from,
                        b.to,
                        cfg.sources.location(a.span)
                    ),
                );
            }
        }
    }
}
