//! The human rendering of a plan, in Terraform's shape: one `# addr will be created` section per change,
//! attributes with `+`/`~`/`-`, `(known after apply)`, `(sensitive value)`, `# forces replacement` on every
//! attribute that forces a replacement, unchanged attributes hidden, and the summary line.

use super::{Action, Drift, OutputChange, Plan, PlanMode, ResourceChange};
use crate::addrs::Mode;
use crate::provider_set::ProviderSet;
use infra_provider::{Block, Nesting, Path, Value};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Terminal styling.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn sym(&self, sym: &str) -> String {
        match sym.trim() {
            "+" => self.green(sym),
            "~" => self.yellow(sym),
            "-" => self.red(sym),
            "-/+" => format!("{}/{}", self.red("-"), self.green("+")),
            "+/-" => format!("{}/{}", self.green("+"), self.red("-")),
            "<=" => self.cyan(sym),
            _ => sym.to_string(),
        }
    }
}

const UNKNOWN: &str = "(known after apply)";
const WRITE_ONLY: &str = "(write-only attribute)";
const SENSITIVE: &str = "(sensitive value)";

/// Renders the whole plan (without the cost line, which the caller adds).
fn import_count(plan: &Plan) -> String {
    match plan.imported.len() {
        0 => String::new(),
        n => format!("{n} to import, "),
    }
}

fn forget_count(plan: &Plan) -> String {
    match plan.forgotten.len() {
        0 => String::new(),
        n => format!(", {n} to forget"),
    }
}

pub fn render_plan(plan: &Plan, providers: &ProviderSet, style: Style) -> String {
    let mut out = String::new();
    if !plan.notes.is_empty() {
        for n in &plan.notes {
            let _ = writeln!(out, "{} {}", style.bold(&n.addr), n.message);
        }
        out.push('\n');
    }
    // Drift is shown in full where it matters: in refresh-only plans, and for objects the plan changes
    // (e.g. to undo an out-of-band edit). Elsewhere — typically computed attributes another resource
    // changed, like rules added by standalone rule resources — one line says what refresh updated.
    let relevant: Vec<Drift> = plan
        .drift
        .iter()
        .filter(|d| match plan.mode {
            PlanMode::RefreshOnly => true,
            // Everything goes: what changed since the last apply is beside the point.
            PlanMode::Destroy => false,
            PlanMode::Normal => d.after.is_none() || plan.changes.iter().any(|c| c.addr == d.addr && !c.is_noop()),
        })
        .cloned()
        .collect();
    if !relevant.is_empty() {
        out.push_str(&render_drift(&relevant, providers, style));
    }
    // Changes the refresh found that no action follows from (a security group's rules read back after
    // its separate rule resources were created, say) are not shown, as Terraform does not show them:
    // `plan --refresh-only` and the JSON plan's `resource_drift` list them.
    let changes: Vec<&ResourceChange> = plan.changes.iter().filter(|c| !c.is_noop()).collect();
    let outputs: Vec<&OutputChange> = plan.outputs.iter().filter(|o| !o.is_noop()).collect();
    if plan.mode == PlanMode::RefreshOnly {
        if plan.drift.is_empty() && outputs.is_empty() {
            out.push_str(&style.bold("No changes."));
            out.push_str(" Your infrastructure still matches the configuration.\n");
        } else {
            out.push_str("This is a refresh-only plan, so infra will not take any actions to undo these. If you were\nexpecting these changes then you can apply this plan to record the updated values in the state\nwithout changing any remote objects.\n");
        }
        return out;
    }
    for (from, to) in &plan.moved {
        let _ = writeln!(
            out,
            "  # {} has moved to {}",
            style.bold(&from.to_string()),
            style.bold(&to.to_string())
        );
    }
    for a in &plan.forgotten {
        let _ = writeln!(
            out,
            "  # {} will no longer be managed by infra (removed with destroy = false): the object stays in the cloud",
            style.bold(&a.to_string())
        );
    }
    for (a, id) in &plan.imported {
        let _ = writeln!(out, "  # {} will be imported (ID {id:?})", style.bold(&a.to_string()));
    }
    let refactored = !plan.moved.is_empty() || !plan.forgotten.is_empty() || !plan.imported.is_empty();
    if refactored {
        out.push('\n');
    }
    if changes.is_empty() {
        if outputs.is_empty() && !refactored {
            out.push_str(&style.bold("No changes."));
            out.push_str(" Your infrastructure matches the configuration.\n");
            return out;
        }
        if refactored {
            let _ = writeln!(
                out,
                "{} {}0 to add, 0 to change, 0 to destroy{}.",
                style.bold("Plan:"),
                import_count(plan),
                forget_count(plan)
            );
        }
    } else {
        let actions: BTreeSet<(Action, bool)> = changes.iter().map(|c| (c.action, c.create_before_destroy)).collect();
        out.push_str("infra will perform the following actions (symbols:");
        for (a, cbd) in &actions {
            let (sym, what) = match (a, cbd) {
                (Action::Create, _) => ("+", "create"),
                (Action::Update, _) => ("~", "update in-place"),
                (Action::Delete, _) => ("-", "destroy"),
                (Action::Replace, false) => ("-/+", "destroy and then create replacement"),
                (Action::Replace, true) => ("+/-", "create replacement and then destroy"),
                (Action::Read, _) => ("<=", "read (data resources)"),
                (Action::NoOp, _) => continue,
            };
            let _ = write!(out, " {} {what};", style.sym(sym));
        }
        out.pop();
        out.push_str("):\n\n");
        for c in &changes {
            let schema = providers
                .schema(&c.provider.name, &c.addr.resource)
                .ok()
                .map(|s| &s.block);
            out.push_str(&render_change(c, schema, style));
            out.push('\n');
        }
        let s = plan.summary();
        let _ = writeln!(
            out,
            "{} {}{} to add, {} to change, {} to destroy{}.",
            style.bold("Plan:"),
            import_count(plan),
            s.add,
            s.change,
            s.destroy,
            forget_count(plan)
        );
    }
    if !outputs.is_empty() {
        out.push_str(&format!("\n{}\n", style.bold("Changes to Outputs:")));
        let width = outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for o in outputs {
            out.push_str(&render_output_change(o, width, style));
        }
    }
    out
}

fn render_drift(drift: &[Drift], providers: &ProviderSet, style: Style) -> String {
    let mut out = format!(
        "{}\n\ninfra detected the following changes made outside of infra since the last apply:\n\n",
        style.bold("Objects have changed outside of infra")
    );
    for d in drift {
        let Some(after) = &d.after else {
            let _ = writeln!(out, "  # {} has been deleted", style.bold(&d.addr.to_string()));
            let _ = writeln!(
                out,
                "  {} resource \"{}\" \"{}\" {{",
                style.sym("-"),
                d.addr.resource.type_name,
                d.addr.resource.name
            );
            let _ = writeln!(
                out,
                "        id = {}",
                d.before.get("id").map(render_inline).unwrap_or_default()
            );
            out.push_str("    }\n\n");
            continue;
        };
        let schema = providers
            .schema(d.addr.resource.implied_provider(), &d.addr.resource)
            .ok()
            .map(|s| &s.block);
        let c = ResourceChange {
            addr: d.addr.clone(),
            provider: crate::addrs::ProviderKey::default_for(d.addr.resource.implied_provider()),
            action: Action::Update,
            create_before_destroy: false,
            before: Some(d.before.clone()),
            after: Some(after.clone()),
            before_sensitive: d.sensitive.clone(),
            after_sensitive: d.sensitive.clone(),
            replace_paths: Vec::new(),
            reason: None,
            dependencies: Vec::new(),
            deposed: None,
        };
        let text = render_change(&c, schema, style).replacen("will be updated in-place", "has changed", 1);
        out.push_str(&text);
        out.push('\n');
    }
    out.push_str("Unless you have made equivalent changes to your configuration, or ignored the relevant\nattributes using ignore_changes, the following plan may include actions to undo or respond to\nthese changes.\n\n");
    out
}

fn render_output_change(o: &OutputChange, width: usize, style: Style) -> String {
    let show = |v: &Value| {
        if o.sensitive {
            SENSITIVE.to_string()
        } else {
            render_inline(v)
        }
    };
    match (&o.before, &o.after) {
        (None, Some(a)) => format!("  {} {:width$} = {}\n", style.sym("+"), o.name, show(a)),
        (Some(b), None) => format!("  {} {:width$} = {} -> null\n", style.sym("-"), o.name, show(b)),
        (Some(b), Some(a)) => format!("  {} {:width$} = {} -> {}\n", style.sym("~"), o.name, show(b), show(a)),
        (None, None) => String::new(),
    }
}

/// One `# addr will be …` section.
pub fn render_change(c: &ResourceChange, schema: Option<&Block>, style: Style) -> String {
    let mut out = String::new();
    let addr = match &c.deposed {
        Some(k) => format!("{} (deposed object {k})", c.addr),
        None => c.addr.to_string(),
    };
    let (headline, sym) = match c.action {
        Action::Create => ("will be created", "+"),
        Action::Update => ("will be updated in-place", "~"),
        Action::Delete => ("will be destroyed", "-"),
        Action::Replace if c.create_before_destroy => ("must be replaced", "+/-"),
        Action::Replace => ("must be replaced", "-/+"),
        Action::Read => ("will be read during apply", "<="),
        Action::NoOp => ("is unchanged", " "),
    };
    let _ = writeln!(out, "  # {} {headline}", style.bold(&addr));
    if let Some(r) = &c.reason {
        let _ = writeln!(out, "  # (because {})", r.describe());
    } else if c.action == Action::Read {
        let _ = writeln!(out, "  # (config refers to values not yet known)");
    }
    let kind = if c.addr.resource.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let _ = writeln!(
        out,
        "{:>3} {kind} \"{}\" \"{}\" {{",
        style.sym(sym),
        c.addr.resource.type_name,
        c.addr.resource.name
    );
    let ctx = Ctx {
        style,
        before_sensitive: &c.before_sensitive,
        after_sensitive: &c.after_sensitive,
        replace: &c.replace_paths,
    };
    let empty = Block::default();
    let block = schema.unwrap_or(&empty);
    let mut body = String::new();
    match c.action {
        Action::Create | Action::Read => ctx.object_added(
            &mut body,
            block,
            c.after.as_ref().unwrap_or(&Value::Null),
            &Path::root(),
            6,
        ),
        Action::Delete => ctx.object_removed(
            &mut body,
            block,
            c.before.as_ref().unwrap_or(&Value::Null),
            &Path::root(),
            6,
        ),
        _ => ctx.object_diff(
            &mut body,
            block,
            c.before.as_ref().unwrap_or(&Value::Null),
            c.after.as_ref().unwrap_or(&Value::Null),
            &Path::root(),
            6,
        ),
    }
    out.push_str(&body);
    out.push_str("    }\n");
    out
}

struct Ctx<'a> {
    style: Style,
    before_sensitive: &'a [Path],
    after_sensitive: &'a [Path],
    replace: &'a [Path],
}

fn is_sensitive(paths: &[Path], p: &Path) -> bool {
    paths.iter().any(|s| p.starts_with(s))
}

/// Null and empty collections are not shown.
fn is_absent(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::List(x) | Value::Set(x) => x.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

impl Ctx<'_> {
    fn forces(&self, p: &Path) -> String {
        if self.replace.iter().any(|r| r == p) {
            format!(" {}", self.style.red("# forces replacement"))
        } else {
            String::new()
        }
    }

    fn val(&self, v: &Value, p: &Path, sensitive: &[Path], indent: usize) -> String {
        if is_sensitive(sensitive, p) {
            return SENSITIVE.into();
        }
        // Sensitive parts inside the value (a secret in one entry of `tags`).
        let inner: Vec<Path> = sensitive
            .iter()
            .filter(|s| s.0.len() > p.0.len() && s.starts_with(p))
            .map(|s| Path(s.0[p.0.len()..].to_vec()))
            .collect();
        if inner.is_empty() {
            render_value(v, indent)
        } else {
            render_value(&v.clone().apply_marks(&inner), indent)
        }
    }

    fn width(block: &Block, names: &[&String]) -> usize {
        names
            .iter()
            .filter(|n| block.attributes.contains_key(n.as_str()) || !block.blocks.contains_key(n.as_str()))
            .map(|n| n.len())
            .max()
            .unwrap_or(0)
    }

    fn attr_names<'v>(block: &Block, v: &'v Value) -> Vec<&'v String> {
        v.as_map()
            .map(|m| m.keys().filter(|k| !block.blocks.contains_key(k.as_str())).collect())
            .unwrap_or_default()
    }

    /// A write-only argument the configuration sets: planned as null, shown as Terraform shows it.
    fn write_only_set(&self, block: &Block, k: &str, at: &Path) -> bool {
        block.attributes.get(k).is_some_and(|a| a.write_only) && self.after_sensitive.contains(&at.key(k))
    }

    fn object_added(&self, out: &mut String, block: &Block, v: &Value, at: &Path, indent: usize) {
        let names: Vec<&String> = Self::attr_names(block, v)
            .into_iter()
            .filter(|k| {
                !is_absent(v.get(k).unwrap_or(&Value::Null))
                    || v.get(k).is_some_and(Value::is_unknown)
                    || self.write_only_set(block, k, at)
            })
            .collect();
        let w = Self::width(block, &names);
        for k in names {
            let val = v.get(k).unwrap_or(&Value::Null);
            let p = at.key(k);
            let shown = if self.write_only_set(block, k, at) {
                WRITE_ONLY.to_string()
            } else {
                self.val(val, &p, self.after_sensitive, indent + 2)
            };
            let _ = writeln!(
                out,
                "{:indent$}{} {k:w$} = {shown}",
                "",
                self.style.sym("+"),
                indent = indent
            );
        }
        for (k, nb) in &block.blocks {
            let val = v.get(k).unwrap_or(&Value::Null);
            if val.is_unknown() {
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k} {{ {UNKNOWN} }}",
                    "",
                    self.style.sym("+"),
                    indent = indent
                );
                continue;
            }
            for (i, item) in block_items(val, nb.nesting).into_iter().enumerate() {
                let p = if nb.nesting == Nesting::List {
                    at.key(k).index(i)
                } else {
                    at.key(k)
                };
                let _ = writeln!(out, "{:indent$}{} {k} {{", "", self.style.sym("+"), indent = indent);
                self.object_added(out, &nb.block, item, &p, indent + 4);
                let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
            }
        }
    }

    fn object_removed(&self, out: &mut String, block: &Block, v: &Value, at: &Path, indent: usize) {
        let names: Vec<&String> = Self::attr_names(block, v)
            .into_iter()
            .filter(|k| !is_absent(v.get(k).unwrap_or(&Value::Null)))
            .collect();
        let w = Self::width(block, &names);
        for k in names {
            let val = v.get(k).unwrap_or(&Value::Null);
            let p = at.key(k);
            let _ = writeln!(
                out,
                "{:indent$}{} {k:w$} = {} -> null",
                "",
                self.style.sym("-"),
                self.val(val, &p, self.before_sensitive, indent + 2),
                indent = indent
            );
        }
        for (k, nb) in &block.blocks {
            let val = v.get(k).unwrap_or(&Value::Null);
            for (i, item) in block_items(val, nb.nesting).into_iter().enumerate() {
                let p = if nb.nesting == Nesting::List {
                    at.key(k).index(i)
                } else {
                    at.key(k)
                };
                let _ = writeln!(out, "{:indent$}{} {k} {{", "", self.style.sym("-"), indent = indent);
                self.object_removed(out, &nb.block, item, &p, indent + 4);
                let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
            }
        }
    }

    fn object_diff(&self, out: &mut String, block: &Block, before: &Value, after: &Value, at: &Path, indent: usize) {
        let mut names: Vec<&String> = Self::attr_names(block, after);
        for k in Self::attr_names(block, before) {
            if !names.contains(&k) {
                names.push(k);
            }
        }
        let mut unchanged = 0;
        let changed: Vec<&String> = names
            .into_iter()
            .filter(|k| {
                let b = before.get(k).unwrap_or(&Value::Null);
                let a = after.get(k).unwrap_or(&Value::Null);
                let same = a == b || (is_absent(a) && is_absent(b));
                // The id is always shown, as Terraform does, to say which object this is.
                if same && k.as_str() != "id" {
                    if !is_absent(b) {
                        unchanged += 1;
                    }
                    false
                } else {
                    !(same && is_absent(b))
                }
            })
            .collect();
        let w = Self::width(block, &changed);
        for k in changed {
            let b = before.get(k).unwrap_or(&Value::Null);
            let a = after.get(k).unwrap_or(&Value::Null);
            let p = at.key(k);
            let force = self.forces(&p);
            if a == b {
                let _ = writeln!(
                    out,
                    "{:indent$}  {k:w$} = {}",
                    "",
                    self.val(b, &p, self.before_sensitive, indent + 2),
                    indent = indent
                );
                continue;
            }
            let bs = is_sensitive(self.before_sensitive, &p);
            let asens = is_sensitive(self.after_sensitive, &p);
            if is_absent(b) && !a.is_unknown() {
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k:w$} = {}{force}",
                    "",
                    self.style.sym("+"),
                    self.val(a, &p, self.after_sensitive, indent + 2),
                    indent = indent
                );
            } else if is_absent(a) && !a.is_unknown() {
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k:w$} = {} -> null{force}",
                    "",
                    self.style.sym("-"),
                    self.val(b, &p, self.before_sensitive, indent + 2),
                    indent = indent
                );
            } else if let (Value::Map(bm), Value::Map(am), false, false) = (b, a, bs, asens) {
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k:w$} = {{{force}",
                    "",
                    self.style.sym("~"),
                    indent = indent
                );
                self.map_diff(out, bm, am, &p, indent + 4);
                let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
            } else if let (Some(bl), Some(al), false, false) = (b.as_list(), a.as_list(), bs, asens)
                && bl
                    .iter()
                    .chain(al)
                    .all(|x| !matches!(x, Value::Map(_) | Value::List(_) | Value::Set(_)))
            {
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k:w$} = [{force}",
                    "",
                    self.style.sym("~"),
                    indent = indent
                );
                for x in bl.iter().filter(|x| !al.contains(x)) {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {},",
                        "",
                        self.style.sym("-"),
                        render_inline(x),
                        indent = indent + 4
                    );
                }
                for x in al.iter().filter(|x| !bl.contains(x)) {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {},",
                        "",
                        self.style.sym("+"),
                        render_inline(x),
                        indent = indent + 4
                    );
                }
                let same = al.iter().filter(|x| bl.contains(x)).count();
                if same > 0 {
                    let _ = writeln!(
                        out,
                        "{:indent$}  # ({same} unchanged element{} hidden)",
                        "",
                        if same == 1 { "" } else { "s" },
                        indent = indent + 4
                    );
                }
                let _ = writeln!(out, "{:indent$}  ]", "", indent = indent);
            } else {
                let bv = if bs {
                    SENSITIVE.into()
                } else {
                    render_value(b, indent + 2)
                };
                let av = if asens {
                    SENSITIVE.into()
                } else {
                    render_value(a, indent + 2)
                };
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k:w$} = {bv} -> {av}{force}",
                    "",
                    self.style.sym("~"),
                    indent = indent
                );
            }
        }
        let mut unchanged_blocks = 0;
        for (k, nb) in &block.blocks {
            let b = before.get(k).unwrap_or(&Value::Null);
            let a = after.get(k).unwrap_or(&Value::Null);
            let p = at.key(k);
            if a == b {
                unchanged_blocks += block_items(b, nb.nesting).len();
                continue;
            }
            let force = self.forces(&p);
            if a.is_unknown() {
                let _ = writeln!(
                    out,
                    "{:indent$}{} {k} {{ {UNKNOWN} }}{force}",
                    "",
                    self.style.sym("~"),
                    indent = indent
                );
                continue;
            }
            let bi = block_items(b, nb.nesting);
            let ai = block_items(a, nb.nesting);
            if nb.nesting == Nesting::Set {
                for x in bi.iter().filter(|x| !ai.contains(x)) {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {k} {{{force}",
                        "",
                        self.style.sym("-"),
                        indent = indent
                    );
                    self.object_removed(out, &nb.block, x, &p, indent + 4);
                    let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
                }
                for x in ai.iter().filter(|x| !bi.contains(x)) {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {k} {{{force}",
                        "",
                        self.style.sym("+"),
                        indent = indent
                    );
                    self.object_added(out, &nb.block, x, &p, indent + 4);
                    let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
                }
                unchanged_blocks += ai.iter().filter(|x| bi.contains(x)).count();
            } else {
                for i in 0..bi.len().max(ai.len()) {
                    let ip = if nb.nesting == Nesting::List {
                        p.index(i)
                    } else {
                        p.clone()
                    };
                    let iforce = if force.is_empty() {
                        self.forces(&ip)
                    } else {
                        force.clone()
                    };
                    match (bi.get(i), ai.get(i)) {
                        (Some(x), Some(y)) if x == y => unchanged_blocks += 1,
                        (Some(x), Some(y)) => {
                            let _ = writeln!(
                                out,
                                "{:indent$}{} {k} {{{iforce}",
                                "",
                                self.style.sym("~"),
                                indent = indent
                            );
                            self.object_diff(out, &nb.block, x, y, &ip, indent + 4);
                            let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
                        }
                        (Some(x), None) => {
                            let _ = writeln!(
                                out,
                                "{:indent$}{} {k} {{{iforce}",
                                "",
                                self.style.sym("-"),
                                indent = indent
                            );
                            self.object_removed(out, &nb.block, x, &ip, indent + 4);
                            let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
                        }
                        (None, Some(y)) => {
                            let _ = writeln!(
                                out,
                                "{:indent$}{} {k} {{{iforce}",
                                "",
                                self.style.sym("+"),
                                indent = indent
                            );
                            self.object_added(out, &nb.block, y, &ip, indent + 4);
                            let _ = writeln!(out, "{:indent$}  }}", "", indent = indent);
                        }
                        (None, None) => {}
                    }
                }
            }
        }
        if unchanged > 0 {
            let _ = writeln!(
                out,
                "{:indent$}  # ({unchanged} unchanged attribute{} hidden)",
                "",
                if unchanged == 1 { "" } else { "s" },
                indent = indent
            );
        }
        if unchanged_blocks > 0 {
            let _ = writeln!(
                out,
                "{:indent$}  # ({unchanged_blocks} unchanged block{} hidden)",
                "",
                if unchanged_blocks == 1 { "" } else { "s" },
                indent = indent
            );
        }
    }

    fn map_diff(
        &self,
        out: &mut String,
        b: &std::collections::BTreeMap<String, Value>,
        a: &std::collections::BTreeMap<String, Value>,
        at: &Path,
        indent: usize,
    ) {
        let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        let w = keys.iter().map(|k| render_key(k).len()).max().unwrap_or(0);
        let mut same = 0;
        for k in keys {
            let p = at.key(k);
            let rk = render_key(k);
            match (b.get(k), a.get(k)) {
                (Some(x), Some(y)) if x == y => same += 1,
                (Some(x), Some(y)) => {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {rk:w$} = {} -> {}",
                        "",
                        self.style.sym("~"),
                        self.val(x, &p, self.before_sensitive, indent + 2),
                        self.val(y, &p, self.after_sensitive, indent + 2),
                        indent = indent
                    );
                }
                (Some(x), None) => {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {rk:w$} = {} -> null",
                        "",
                        self.style.sym("-"),
                        self.val(x, &p, self.before_sensitive, indent + 2),
                        indent = indent
                    );
                }
                (None, Some(y)) => {
                    let _ = writeln!(
                        out,
                        "{:indent$}{} {rk:w$} = {}",
                        "",
                        self.style.sym("+"),
                        self.val(y, &p, self.after_sensitive, indent + 2),
                        indent = indent
                    );
                }
                (None, None) => {}
            }
        }
        if same > 0 {
            let _ = writeln!(
                out,
                "{:indent$}  # ({same} unchanged element{} hidden)",
                "",
                if same == 1 { "" } else { "s" },
                indent = indent
            );
        }
    }
}

fn block_items(v: &Value, nesting: Nesting) -> Vec<&Value> {
    match (v, nesting) {
        (Value::Null, _) => Vec::new(),
        (Value::Map(_), _) => vec![v],
        (Value::List(items) | Value::Set(items), _) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn render_key(k: &str) -> String {
    serde_json::Value::String(k.to_string()).to_string()
}

/// A value on one line.
pub fn render_inline(v: &Value) -> String {
    match v {
        Value::Unknown => UNKNOWN.into(),
        Value::Sensitive(_) => SENSITIVE.into(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::List(items) | Value::Set(items) => {
            format!("[{}]", items.iter().map(render_inline).collect::<Vec<_>>().join(", "))
        }
        Value::Map(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| format!("{} = {}", render_key(k), render_inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A value, possibly over several lines (indented by `indent` for continuation lines).
pub fn render_value(v: &Value, indent: usize) -> String {
    match v {
        Value::String(s) if s.contains('\n') || looks_like_json(s) => {
            if let Ok(j) = serde_json::from_str::<serde_json::Value>(s)
                && (j.is_object() || j.is_array())
            {
                let pretty = serde_json::to_string_pretty(&j).unwrap_or_default();
                let body = pretty
                    .lines()
                    .map(|l| format!("{:indent$}{l}", "", indent = indent + 2))
                    .collect::<Vec<_>>()
                    .join("\n");
                return format!("jsonencode(\n{body}\n{:indent$})", "", indent = indent);
            }
            let body = s
                .trim_end_matches('\n')
                .lines()
                .map(|l| format!("{:indent$}{l}", "", indent = indent + 2))
                .collect::<Vec<_>>()
                .join("\n");
            format!("<<-EOT\n{body}\n{:indent$}EOT", "", indent = indent)
        }
        Value::List(items) | Value::Set(items) if !items.is_empty() && render_inline(v).len() > 60 => {
            let mut s = String::from("[\n");
            for i in items {
                let _ = writeln!(s, "{:indent$}{},", "", render_value(i, indent + 2), indent = indent + 2);
            }
            let _ = write!(s, "{:indent$}]", "", indent = indent);
            s
        }
        Value::Map(m) if !m.is_empty() => {
            let w = m.keys().map(|k| render_key(k).len()).max().unwrap_or(0);
            let mut s = String::from("{\n");
            for (k, x) in m {
                let _ = writeln!(
                    s,
                    "{:indent$}{:w$} = {}",
                    "",
                    render_key(k),
                    render_value(x, indent + 2),
                    indent = indent + 2
                );
            }
            let _ = write!(s, "{:indent$}}}", "", indent = indent);
            s
        }
        other => render_inline(other),
    }
}

fn looks_like_json(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('{') || t.starts_with('[')
}
