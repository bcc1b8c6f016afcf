//! Module calls whose `count` or `for_each` depends on resources or data sources
//! ([`crate::config::DeferredCall`]): `config::expand` leaves them unexpanded, with the value in a local of
//! the flat configuration. Before the rest of the configuration is planned, what that local depends on
//! is planned (the graph ancestors: planned values, state values, data read now), the local is evaluated
//! in the planner's scope, and the configuration is expanded again with the value; nested calls may then
//! be deferred in turn, and are resolved the same way. A value not known yet is Terraform's "Invalid
//! count argument" / "Invalid for_each argument".
//!
//! Everything before stays: providers, the refresh (made once), adoptions, imports and the objects
//! already planned; the planner goes on with the new configuration, its graph and a new scope holding
//! the values found so far. The values are recorded in the plan ([`Plan::module_instances`]), so apply
//! and policy expand the same instances.
//!
//! With `--target`, a deferred call is resolved only when a target is inside it or depends on its
//! outputs (`--target` of what its `for_each` depends on, Terraform's workaround, must work while the
//! value is unknown); what its value depends on is then part of the targeted plan.

use super::*;
use crate::config::expand::{mangle, recorded};
use crate::config::{DeferredCall, ModuleInstances};

impl Planner<'_> {
    /// Expands the deferred module calls (see the module documentation). `visited` gains every node planned
    /// meanwhile; returns the final configuration's graph and order, `None` after an error.
    pub(super) async fn expand_deferred(
        &mut self,
        unexpanded: &Arc<Config>,
        mut graph: ConfigGraph,
        mut order: Vec<Node>,
        visited: &mut BTreeSet<Node>,
    ) -> Option<(ConfigGraph, Vec<Node>)> {
        if self.cfg.deferred.is_empty() {
            return Some((graph, order));
        }
        let mut known = ModuleInstances::new();
        // Calls left deferred: a destroy plan does not need instances its state cannot tell.
        let mut left: BTreeSet<crate::addrs::ModulePath> = BTreeSet::new();
        // The resources the calls' values depend on (part of a targeted plan).
        let mut needed: BTreeSet<ResourceAddr> = BTreeSet::new();
        loop {
            let pending: Vec<DeferredCall> = self
                .cfg
                .deferred
                .iter()
                .filter(|d| !left.contains(&d.path) && self.wanted(d, &graph))
                .cloned()
                .collect();
            if pending.is_empty() {
                break;
            }
            let mut now = BTreeSet::new();
            for d in &pending {
                let n = Node::Local(d.local.clone());
                now.extend(graph.ancestors(&n));
                now.insert(n);
            }
            // (A destroy plan plans none of them: the values come from the state.)
            for n in now.iter().filter(|_| self.opts.mode != PlanMode::Destroy) {
                if let Node::Resource(a) = n {
                    needed.insert(a.clone());
                    if let Some(set) = &mut self.included {
                        set.insert(a.clone());
                    }
                }
            }
            for n in order.iter().filter(|n| now.contains(n) && !visited.contains(n)) {
                self.visit(&graph, n).await;
            }
            visited.extend(now);
            if self.diags.has_errors() {
                return None;
            }
            // A call whose value reads the outputs of another call still deferred (`count =
            // length(module.zones.names)` where `module.zones` holds a deferred call) waits for that one
            // to be expanded; unless every call waits, which is a cycle, reported as unknown.
            let blocked: BTreeSet<crate::addrs::ModulePath> = pending
                .iter()
                .filter(|d| {
                    let anc = graph.ancestors(&Node::Local(d.local.clone()));
                    pending
                        .iter()
                        .any(|e| e.path != d.path && anc.contains(&Node::Local(e.local.clone())))
                })
                .map(|d| d.path.clone())
                .collect();
            let every_call_waits = blocked.len() == pending.len();
            let mut progressed = false;
            for d in pending
                .iter()
                .filter(|d| every_call_waits || !blocked.contains(&d.path))
            {
                match self.deferred_value(d) {
                    Some(v) => {
                        known.insert(d.path.clone(), v);
                        progressed = true;
                    }
                    None => {
                        left.insert(d.path.clone());
                    }
                }
            }
            if self.diags.has_errors() {
                return None;
            }
            if !progressed {
                break;
            }
            let (cfg, d) =
                crate::config::expand_with(unexpanded, Some(&self.scope.vars), &known, &self.scope.workspace);
            self.diags.extend(d);
            if self.diags.has_errors() {
                return None;
            }
            graph = match ConfigGraph::build(&cfg) {
                Ok(g) => g,
                Err(d) => {
                    self.diags.push(d);
                    return None;
                }
            };
            order = graph.order();
            let mut scope = ModuleScope::new(cfg.clone(), self.scope.vars.clone(), &self.scope.workspace);
            scope.impure_unknown = self.scope.impure_unknown;
            scope.resources = std::mem::take(&mut self.scope.resources);
            self.scope = scope;
            self.cfg = cfg;
        }
        if known.is_empty() {
            return Some((graph, order));
        }
        self.module_instances = known;
        // The new module instances checked as `plan` checked the others before any cloud call (what was
        // reported then is not repeated).
        let checked = crate::validate::preflight(
            self.cfg.clone(),
            self.providers,
            self.scope.vars.clone(),
            &self.scope.workspace,
        );
        for x in checked.0 {
            if !self.diags.0.contains(&x) {
                self.diags.push(x);
            }
        }
        // The `moved` and `removed` blocks of the new module instances.
        if !self.cfg.moved.is_empty() || !self.cfg.removed.is_empty() {
            self.refactor_state();
        }
        // `import` blocks into the new module instances (those imported already are skipped).
        if !self.opts.offline && !self.cfg.imports.is_empty() && !self.diags.has_errors() {
            self.import_blocks().await;
        }
        self.check_targets_again();
        self.retarget(&graph, &needed);
        if self.diags.has_errors() {
            return None;
        }
        Some((graph, order))
    }

    /// Whether a deferred call is resolved now: always, except in a targeted plan, where only a call a
    /// target is inside of, or whose outputs a targeted resource depends on.
    fn wanted(&self, d: &DeferredCall, graph: &ConfigGraph) -> bool {
        let opts = self.opts;
        if opts.targets.is_empty() && opts.module_targets.is_empty() {
            return true;
        }
        if opts
            .module_targets
            .iter()
            .any(|m| m.within(&d.path) || d.path.within(m))
            || opts.targets.iter().any(|t| t.resource.module.within(&d.path))
        {
            return true;
        }
        let mut parent = d.path.clone();
        parent.0.pop();
        let outputs = Node::Local(mangle(&parent, "module", &d.name));
        self.targeted_resources()
            .into_iter()
            .any(|r| graph.ancestors(&Node::Resource(r)).contains(&outputs))
    }

    /// The resources `--target` names, those of module targets included.
    fn targeted_resources(&self) -> BTreeSet<ResourceAddr> {
        let mut out: BTreeSet<ResourceAddr> = self.opts.targets.iter().map(|t| t.resource.clone()).collect();
        for m in &self.opts.module_targets {
            out.extend(self.cfg.resources.keys().filter(|a| a.module.within(m)).cloned());
        }
        out
    }

    /// The value of a deferred call's `count`/`for_each` as recorded in the plan; `None` when it is not
    /// known (an error, except in a destroy plan; offline, the call is planned as one instance of unknown
    /// keys, with a note).
    fn deferred_value(&mut self, d: &DeferredCall) -> Option<Value> {
        let v = match crate::lang::eval::Scope::local_value(&self.scope, &d.local) {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                self.diags.push(e);
                return None;
            }
            None => return None,
        };
        let (plain, _) = v.clone().unmark_deep();
        let known = match &plain {
            Value::Map(_) | Value::List(_) => true,
            Value::Set(items) => items.iter().all(Value::is_wholly_known),
            other => other.is_wholly_known(),
        };
        if known {
            return Some(recorded(&v));
        }
        if self.opts.offline {
            self.notes.push(Note {
                addr: d.path.to_string(),
                message: format!(
                    "its {} depends on values not known until apply: planned offline as one instance with unknown keys",
                    d.arg
                ),
            });
            return Some(Value::Unknown);
        }
        if self.opts.mode == PlanMode::Destroy {
            return None;
        }
        let (summary, detail) = match (d.arg, &plain) {
            ("count", _) => (
                "Invalid count argument",
                format!(
                    "The \"count\" value of {} depends on resource attributes that cannot be determined until apply, so infra cannot predict how many instances will be created. To work around this, use --target to first apply only the resources that the count depends on.",
                    d.path
                ),
            ),
            (_, Value::Set(_)) => (
                "Invalid for_each argument",
                format!(
                    "The \"for_each\" set of {} includes values derived from resource attributes that cannot be determined until apply, so infra cannot determine the full set of keys that will identify the instances of this module. When working with unknown values in for_each, it's better to use a map value where the keys are defined statically in your configuration and where only the values contain apply-time results. Alternatively, use --target to first apply only the resources that the for_each depends on, and then apply a second time to fully converge.",
                    d.path
                ),
            ),
            _ => (
                "Invalid for_each argument",
                format!(
                    "The \"for_each\" value of {} depends on resource attributes that cannot be determined until apply, so infra cannot determine the full set of keys that will identify the instances of this module. When working with unknown values in for_each, it's better to define the map keys statically in your configuration and place apply-time results only in the map values. Alternatively, use --target to first apply only the resources that the for_each depends on, and then apply a second time to fully converge.",
                    d.path
                ),
            ),
        };
        self.diags.error(Some(d.span), summary, detail);
        None
    }

    /// `--target` and `--replace` addresses inside calls that were deferred when `plan` checked them: they
    /// must name something now.
    fn check_targets_again(&mut self) {
        let in_state = |st: &State, r: &ResourceAddr| st.resources.keys().any(|a| a.resource == *r);
        for m in &self.opts.module_targets {
            let found = self.cfg.resources.keys().any(|a| a.module.within(m))
                || self.original.resources.keys().any(|a| a.resource.module.within(m));
            if !found && !self.cfg.deferred_may_add(m) {
                self.diags.error(
                    None,
                    "Invalid --target",
                    format!(
                        "--target {m}: there is no module instance {m} with resources in the configuration or the state."
                    ),
                );
            }
        }
        for (flag, list) in [("target", &self.opts.targets), ("replace", &self.opts.replace)] {
            for t in list {
                if self.cfg.resources.contains_key(&t.resource)
                    || in_state(&self.original, &t.resource)
                    || self.cfg.in_deferred_call(&t.resource.module)
                {
                    continue;
                }
                self.diags.error(
                    None,
                    format!("Invalid --{flag}"),
                    format!(
                        "--{flag} {t}: there is no resource {} in the configuration or the state.",
                        t.resource
                    ),
                );
            }
        }
    }

    /// The targeted set of a targeted plan, now that the module instances are known: the targets (every
    /// resource of a targeted module instance), what they depend on, and what the calls' values needed.
    fn retarget(&mut self, graph: &ConfigGraph, needed: &BTreeSet<ResourceAddr>) {
        if self.opts.targets.is_empty() && self.opts.module_targets.is_empty() {
            return;
        }
        let mut set = BTreeSet::new();
        for r in self.targeted_resources().into_iter().chain(needed.iter().cloned()) {
            for n in graph.ancestors(&Node::Resource(r.clone())) {
                if let Node::Resource(a) = n {
                    set.insert(a);
                }
            }
            set.insert(r);
        }
        self.included = Some(set);
    }
}

#[cfg(test)]
mod tests;
