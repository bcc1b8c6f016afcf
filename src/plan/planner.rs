//! Making a plan: configure providers, refresh every object in state (in batches, in parallel), adopt
//! objects left by interrupted creates, then walk the configuration graph in dependency order, diffing
//! each resource instance against its refreshed state.
//!
//! Architecture invariant: the planner performs no I/O of its own — every cloud call goes through a
//! provider client, and state is neither read nor written here (the caller passes it in).

use super::diff::{apply_ignore_changes, conform, mark_sensitive, propose, sensitive_paths};
use super::{Action, Drift, Note, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use crate::addrs::{InstanceAddr, InstanceKey, Mode, ProviderKey, ResourceAddr};
use crate::config::{Config, META_ARGS, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{ConfigGraph, Node};
use crate::lang::decode::decode;
use crate::provider_set::ProviderSet;
use crate::scope::{InstanceScope, ModuleScope};
use crate::state::{InstanceStatus, ResourceInstance, State};
use infra_provider::{OpContext, Path, PlanRequest, ProviderClient, Schema, Timeouts, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

mod deferred;

/// How to plan.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub mode: PlanMode,
    /// Read every object from the cloud first (`--refresh=false` turns it off).
    pub refresh: bool,
    /// `--target`: only these resources (or instances) and what they depend on.
    pub targets: Vec<InstanceAddr>,
    /// `--target module.net`: every resource of these module instances (a step without a key: of every
    /// instance of that call).
    pub module_targets: Vec<crate::addrs::ModulePath>,
    /// `--replace`: instances to replace even if unchanged.
    pub replace: Vec<InstanceAddr>,
    /// Make no provider calls at all (cost estimates): data sources come from state or are unknown.
    pub offline: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            module_targets: Vec::new(),
            replace: Vec::new(),
            offline: false,
        }
    }
}

/// The operation timeouts of an instance: schema defaults overridden by its `timeouts` block.
pub fn timeouts_for(schema: &Schema, r: Option<&Resource>) -> Timeouts {
    let mut t = schema.timeouts.unwrap_or_default();
    if let Some(r) = r {
        if let Some(d) = r.timeouts.get("create") {
            t.create = *d;
        }
        if let Some(d) = r.timeouts.get("update") {
            t.update = *d;
        }
        if let Some(d) = r.timeouts.get("delete") {
            t.delete = *d;
        }
    }
    t
}

/// Evaluates a provider block (or an empty block for an implied default configuration).
pub fn provider_config(
    cfg: &Config,
    providers: &ProviderSet,
    scope: &ModuleScope,
    key: &ProviderKey,
) -> Result<(Arc<dyn infra_provider::Provider>, Value), Diagnostics> {
    let Some(p) = providers.get(&key.name) else {
        let span = cfg.providers.get(key).map(|p| p.span);
        return Err(Diagnostic::error(
            span,
            "Unknown provider",
            format!(
                "infra has no provider named {:?} (available: {}).",
                key.name,
                providers.names().join(", ")
            ),
        )
        .into());
    };
    let mut diags = Diagnostics::new();
    let mut ev = scope.evaluator();
    let value = match cfg.providers.get(key) {
        Some(pc) => {
            let v = decode(&mut ev, &pc.body, &p.schema().provider, &[], pc.span, &mut diags);
            if diags.has_errors() {
                return Err(diags);
            }
            if !v.is_wholly_known() {
                return Err(Diagnostic::error(Some(pc.span), "Provider configuration depends on unknown values", format!("The configuration of provider {key} refers to values that are known only after apply. Provider configurations may use variables, locals and data sources only.")).into());
            }
            v
        }
        None => decode(
            &mut ev,
            &Default::default(),
            &p.schema().provider,
            &[],
            Default::default(),
            &mut diags,
        ),
    };
    Ok((p.clone(), value.unmark_deep().0))
}

/// Configures one provider from its block.
pub async fn configure_provider(
    cfg: &Config,
    providers: &ProviderSet,
    scope: &ModuleScope,
    key: &ProviderKey,
) -> Result<Arc<dyn ProviderClient>, Diagnostics> {
    let (p, value) = provider_config(cfg, providers, scope, key)?;
    p.configure(&value).await.map_err(|e| {
        let span = cfg.providers.get(key).map(|p| p.span);
        Diagnostics::from(Diagnostic::error(
            span,
            format!("Failed to configure provider {key}"),
            e.to_string(),
        ))
    })
}

struct Planner<'a> {
    cfg: Arc<Config>,
    providers: &'a ProviderSet,
    opts: &'a PlanOptions,
    scope: ModuleScope,
    clients: BTreeMap<ProviderKey, Arc<dyn ProviderClient>>,
    /// The state as loaded.
    original: State,
    /// The state after refresh and adoption: what apply starts from.
    refreshed: State,
    gone: BTreeSet<InstanceAddr>,
    /// Objects an interrupted create made without finishing: they stay intents, and are planned as
    /// creates that the apply resumes (finds and finishes).
    unfinished: BTreeSet<InstanceAddr>,
    changes: Vec<ResourceChange>,
    notes: Vec<Note>,
    diags: Diagnostics,
    failed: BTreeSet<Node>,
    included: Option<BTreeSet<ResourceAddr>>,
    regions: BTreeMap<String, String>,
    /// `moved` blocks applied to the state: (from, to).
    moved: Vec<(InstanceAddr, InstanceAddr)>,
    /// Objects `removed { lifecycle { destroy = false } }` takes out of the state.
    forgotten: Vec<InstanceAddr>,
    /// Objects `import` blocks read into the state: (address, cloud ID).
    imported: Vec<(InstanceAddr, String)>,
    /// The values of deferred module calls' `count`/`for_each` (see `deferred`).
    module_instances: crate::config::ModuleInstances,
}

/// Makes a plan. Returns the plan (when there were no errors) and every diagnostic.
pub async fn plan(
    cfg: Arc<Config>,
    providers: &ProviderSet,
    state: State,
    raw_vars: BTreeMap<String, Value>,
    env: &str,
    opts: &PlanOptions,
) -> (Option<Plan>, Diagnostics) {
    // Shape errors (unknown types and arguments, wrong literal types, missing arguments, cycles) are
    // found before any cloud call.
    let mut diags = crate::validate::validate(cfg.clone(), providers, true);
    let (vars, d) = super::vars::finalize(&cfg, &raw_vars, env);
    diags.extend(d);
    if diags.has_errors() {
        return (None, diags);
    }
    // Every module instance, now that the variables are known (calls whose count/for_each depends on
    // resources or data sources later: `deferred`).
    let unexpanded = cfg.clone();
    let (cfg, d) = crate::config::expand(&cfg, Some(&vars), env);
    diags.extend(d);
    if diags.has_errors() {
        return (None, diags);
    }
    // An import block must name a resource the configuration declares.
    for imp in &cfg.imports {
        if cfg
            .resources
            .get(&imp.to.resource)
            .is_none_or(|r| r.addr.mode != Mode::Managed)
            && !cfg.in_deferred_call(&imp.to.resource.module)
        {
            diags.error(
                Some(imp.span),
                "Configuration for import target does not exist",
                format!(
                    "The configuration has no resource {} to import into: add a resource \"{}\" \"{}\" block.",
                    imp.to.resource, imp.to.resource.type_name, imp.to.resource.name
                ),
            );
        }
    }
    // A module target selects every resource in it, in the configuration or in the state.
    let mut owned_opts = opts.clone();
    for m in &opts.module_targets {
        let mut found: BTreeSet<ResourceAddr> = cfg.resources.keys().filter(|a| a.module.within(m)).cloned().collect();
        found.extend(
            state
                .resources
                .keys()
                .filter(|a| a.resource.module.within(m))
                .map(|a| a.resource.clone()),
        );
        if found.is_empty() && !cfg.deferred_may_add(m) {
            diags.error(
                None,
                "Invalid --target",
                format!(
                    "--target {m}: there is no module instance {m} with resources in the configuration or the state."
                ),
            );
        }
        for r in found {
            let t = r.instance(InstanceKey::None);
            if !owned_opts.targets.contains(&t) {
                owned_opts.targets.push(t);
            }
        }
    }
    let opts = &owned_opts;
    // Everything the variables' values decide, still before any cloud call.
    diags.extend(crate::validate::preflight(cfg.clone(), providers, vars.clone(), env));
    // A --target or --replace that names nothing is a typo, not an empty plan.
    for (flag, list) in [("target", &opts.targets), ("replace", &opts.replace)] {
        for t in list.iter() {
            if cfg.resources.contains_key(&t.resource)
                || state.resources.keys().any(|a| a.resource == t.resource)
                || cfg.in_deferred_call(&t.resource.module)
            {
                continue;
            }
            let names: Vec<String> = cfg.resources.keys().map(|a| a.to_string()).collect();
            let given = t.resource.to_string();
            let hint = crate::lang::eval::suggest(&given, names.iter().map(String::as_str))
                .map(|k| format!(" Did you mean {k:?}?"))
                .unwrap_or_default();
            diags.error(
                None,
                format!("Invalid --{flag}"),
                format!("--{flag} {t}: there is no resource {given} in the configuration or the state.{hint}"),
            );
        }
    }
    if diags.has_errors() {
        return (None, diags);
    }
    let graph = match ConfigGraph::build(&cfg) {
        Ok(g) => g,
        Err(d) => {
            diags.push(d);
            return (None, diags);
        }
    };
    let mut scope = ModuleScope::new(cfg.clone(), vars, env);
    scope.impure_unknown = true;
    let mut p = Planner {
        cfg: cfg.clone(),
        providers,
        opts,
        scope,
        clients: BTreeMap::new(),
        refreshed: state.clone(),
        original: state,
        gone: BTreeSet::new(),
        unfinished: BTreeSet::new(),
        changes: Vec::new(),
        notes: Vec::new(),
        diags,
        failed: BTreeSet::new(),
        included: None,
        regions: BTreeMap::new(),
        moved: Vec::new(),
        forgotten: Vec::new(),
        imported: Vec::new(),
        module_instances: Default::default(),
    };
    p.normalize_state();
    p.refactor_state();
    if p.diags.has_errors() {
        return (None, p.diags);
    }
    p.included = p.target_closure(&graph);
    let order = graph.order();
    // Phase 1: providers and what they depend on.
    let mut pre: BTreeSet<Node> = BTreeSet::new();
    for n in &order {
        if let Node::Provider(_) = n {
            pre.extend(graph.ancestors(n));
            pre.insert(n.clone());
        }
    }
    // Checked for every provider before any is configured.
    for n in order.iter().filter(|n| pre.contains(n)) {
        if let Node::Resource(a) = n
            && a.mode == Mode::Managed
        {
            let span = cfg.resources.get(a).map(|r| r.decl_span);
            p.diags.error(span, "Provider configuration depends on a managed resource", format!("A provider configuration refers to {a}, whose values are known only after apply. Provider configurations may use variables, locals and data sources only."));
            return (None, p.diags);
        }
    }
    for n in order.iter().filter(|n| pre.contains(n)) {
        p.visit(&graph, n).await;
    }
    if p.diags.has_errors() {
        return (None, p.diags);
    }
    // Phase 2: refresh and adopt.
    if !opts.offline {
        p.configure_state_providers().await;
        if p.diags.has_errors() {
            return (None, p.diags);
        }
        if opts.refresh {
            p.refresh().await;
        }
        p.adopt_interrupted_creates().await;
        p.import_blocks().await;
        if p.diags.has_errors() {
            return (None, p.diags);
        }
    }
    p.register_state_values();
    // Module calls whose count/for_each depends on resources or data sources: planned from what that
    // depends on, then expanded (the graph and order are the final configuration's).
    let Some((graph, order)) = p.expand_deferred(&unexpanded, graph, order, &mut pre).await else {
        return (None, p.diags);
    };
    // Phase 3: everything else, dependencies first.
    for n in order.iter().filter(|n| !pre.contains(n)) {
        p.visit(&graph, n).await;
    }
    p.plan_orphans();
    let outputs = p.outputs();
    // An imported object the configuration does not declare would be destroyed right after its import.
    let stray: Vec<InstanceAddr> = p
        .imported
        .iter()
        .filter(|(a, _)| p.changes.iter().any(|c| &c.addr == a && c.action == Action::Delete))
        .map(|(a, _)| a.clone())
        .collect();
    for a in stray {
        let span = p
            .cfg
            .imports
            .iter()
            .find(|i| i.to.resource == a.resource)
            .map(|i| i.span);
        p.diags.error(
            span,
            "Configuration for import target does not exist",
            format!("The configuration does not declare the instance {a} (its count or for_each does not produce that key): importing it would destroy it."),
        );
    }
    if p.diags.has_errors() {
        return (None, p.diags);
    }
    let drift = p.drift();
    let Planner {
        original,
        refreshed,
        changes,
        notes,
        diags,
        regions,
        moved,
        forgotten,
        imported,
        module_instances,
        ..
    } = p;
    let plan = Plan {
        mode: opts.mode,
        env: env.to_string(),
        lineage: original.lineage.clone(),
        serial: original.serial,
        prior: refreshed,
        changes,
        drift,
        outputs,
        notes,
        variables: raw_vars
            .iter()
            .filter(|(k, _)| !cfg.variables.get(*k).is_some_and(|v| v.ephemeral))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ephemeral_variables: raw_vars
            .iter()
            .filter(|(k, _)| cfg.variables.get(*k).is_some_and(|v| v.ephemeral))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        sources: cfg.source_files(),
        config_dir: cfg.dir.clone(),
        targets: opts
            .targets
            .iter()
            .map(|t| t.to_string())
            .chain(opts.module_targets.iter().map(|m| m.to_string()))
            .collect(),
        regions,
        usage: None,
        moved,
        forgotten,
        imported,
        module_instances,
    };
    (Some(plan), diags)
}

impl Planner<'_> {
    fn schema(&self, provider: &ProviderKey, addr: &ResourceAddr) -> Option<&Schema> {
        self.providers.schema(&provider.name, addr).ok()
    }

    /// Stored values shaped by their schemas (sets as sets, every attribute present).
    fn normalize_state(&mut self) {
        for st in [&mut self.original, &mut self.refreshed] {
            for (addr, inst) in st.resources.iter_mut() {
                if let Ok(schema) = self.providers.schema(&inst.provider.name, &addr.resource) {
                    inst.value = conform(&schema.block, &inst.value);
                }
            }
        }
    }

    /// `import` blocks: each object not in the state yet is read from the cloud by its ID and planned from
    /// then on as a managed object (its differences from the configuration are updates, as after
    /// `infra import`); the apply records it.
    async fn import_blocks(&mut self) {
        let cfg = self.cfg.clone();
        let graph = if cfg.imports.is_empty() {
            None
        } else {
            ConfigGraph::build(&cfg).ok()
        };
        for imp in &cfg.imports {
            let Some(r) = cfg
                .resources
                .get(&imp.to.resource)
                .filter(|r| r.addr.mode == Mode::Managed)
            else {
                if cfg.in_deferred_call(&imp.to.resource.module) {
                    // Imported once the call is expanded (`deferred`).
                    continue;
                }
                self.diags.error(
                    Some(imp.span),
                    "Configuration for import target does not exist",
                    format!(
                        "The configuration has no resource {} to import into: add a resource \"{}\" \"{}\" block.",
                        imp.to.resource, imp.to.resource.type_name, imp.to.resource.name
                    ),
                );
                continue;
            };
            for (to, id) in self.import_targets(imp) {
                if self.refreshed.resources.contains_key(&to) {
                    continue;
                }
                if self.imported.iter().any(|(a, _)| a == &to) {
                    self.diags.error(
                        Some(imp.span),
                        "Duplicate import configuration",
                        format!("{to} is imported twice: each instance can be imported by one element only."),
                    );
                    continue;
                }
                self.import_one(imp, r, &to, id, graph.as_ref()).await;
            }
        }
    }

    /// The instances an import block names, with their IDs: one, or one per `for_each` element.
    fn import_targets(&mut self, imp: &crate::config::refactor::Import) -> Vec<(InstanceAddr, String)> {
        let string_of = |v: Result<Value, crate::diag::Diagnostic>, what: &str, span, diags: &mut Diagnostics| match v
            .map(Value::unmark_deep)
        {
            Ok((Value::String(s), _)) if !s.is_empty() => Some(s),
            Ok((Value::Unknown, _)) => {
                diags.error(
                    Some(span),
                    format!("Invalid import {what} argument"),
                    format!("The import {what} is known only after apply: it must be known when planning."),
                );
                None
            }
            Ok((Value::Number(n), _)) if what == "key" => Some(crate::plan::render::render_inline(&Value::Number(n))),
            Ok(_) => {
                diags.error(
                    Some(span),
                    format!("Invalid import {what} argument"),
                    format!("The import {what} must be a non-empty string."),
                );
                None
            }
            Err(d) => {
                diags.push(d);
                None
            }
        };
        let (Some(fe), Some(key)) = (&imp.for_each, &imp.key) else {
            let id = string_of(
                self.scope.evaluator().eval(&imp.id),
                "id",
                imp.id.span(),
                &mut self.diags,
            );
            return id.map(|id| vec![(imp.to.clone(), id)]).unwrap_or_default();
        };
        let elements: Vec<(String, Value)> = match self.scope.evaluator().eval(fe).map(Value::unmark_deep) {
            Ok((Value::Map(m), _)) => m.into_iter().collect(),
            Ok((Value::Set(items) | Value::List(items), _)) if items.iter().all(|i| i.as_str().is_some()) => items
                .into_iter()
                .map(|i| (i.as_str().unwrap_or_default().to_string(), i))
                .collect(),
            Ok((v, _)) => {
                self.diags.error(
                    Some(fe.span()),
                    "Invalid for_each argument",
                    if v.is_unknown() {
                        "The for_each value of an import block must be known when planning.".to_string()
                    } else {
                        format!(
                            "The for_each value of an import block must be a map or a set of strings, not {}.",
                            v.type_name()
                        )
                    },
                );
                return Vec::new();
            }
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (k, v) in elements {
            let scope = InstanceScope {
                module: &self.scope,
                count_index: None,
                each: Some((Value::string(k), v)),
            };
            let key_v = scope.evaluator().eval(key);
            let id_v = scope.evaluator().eval(&imp.id);
            let is_int = matches!(key_v, Ok(Value::Number(_)));
            let (Some(k), Some(id)) = (
                string_of(key_v, "key", key.span(), &mut self.diags),
                string_of(id_v, "id", imp.id.span(), &mut self.diags),
            ) else {
                continue;
            };
            let key = match k.parse::<i64>() {
                Ok(i) if is_int => InstanceKey::Int(i),
                _ => InstanceKey::Str(k),
            };
            out.push((imp.to.resource.instance(key), id));
        }
        out
    }

    /// Reads one object an import block names into the refreshed state.
    async fn import_one(
        &mut self,
        imp: &crate::config::refactor::Import,
        r: &Resource,
        to: &InstanceAddr,
        id: String,
        graph: Option<&ConfigGraph>,
    ) {
        let Some(client) = self.client(&r.provider).await else {
            return;
        };
        let Some(schema) = self.schema(&r.provider, &to.resource).cloned() else {
            return;
        };
        match client.import(&to.resource.type_name, &id).await {
            Ok(Some(v)) => {
                let mut inst = ResourceInstance::ready(r.provider.clone(), crate::ephemeral::kept(&schema.block, &v));
                inst.create_before_destroy = r.lifecycle.create_before_destroy;
                inst.schema_version = schema.version;
                if let Some(g) = graph {
                    inst.dependencies = g.resource_deps(&Node::Resource(to.resource.clone()));
                }
                self.refreshed.resources.insert(to.clone(), inst);
                self.imported.push((to.clone(), id));
            }
            Ok(None) => self.diags.error(
                Some(imp.span),
                "Cannot import non-existent remote object",
                format!(
                    "While attempting to import {to}: no {} with ID {id:?} exists.",
                    to.resource.type_name
                ),
            ),
            Err(e) => self.diags.error(Some(imp.span), "Import failed", format!("{to}: {e}")),
        }
    }

    /// `moved` and `removed` blocks, before anything is refreshed: objects are renamed in the state
    /// (following chains of moves), or dropped from it without being destroyed.
    fn refactor_state(&mut self) {
        use crate::config::refactor::{Endpoint, check_moves, moved_to, names};
        check_moves(&self.cfg, &mut self.diags);
        let cfg = self.cfg.clone();
        let declared = |e: &Endpoint, other: &Endpoint| match e {
            // `aws_x.a` → `aws_x.a[0]` (count added) leaves the resource declared, as it should.
            Endpoint::Resource(r) if matches!(other, Endpoint::Instance(i) if i.resource == *r) => false,
            Endpoint::Instance(i) if matches!(other, Endpoint::Resource(r) if i.resource == *r) => false,
            Endpoint::Resource(r) => cfg.resources.contains_key(r),
            // Instances move within a resource that stays (count → for_each keys).
            Endpoint::Instance(_) => false,
            Endpoint::Module(m) => cfg
                .resources
                .keys()
                .any(|a| a.module.within(m) && a.module.0.len() >= m.0.len()),
        };
        for m in &cfg.moved {
            if declared(&m.from, &m.to) {
                self.diags.error(Some(m.span), "Moved object still exists", format!("This statement moves {} to {}, but the configuration still declares {}: remove it from the configuration, or remove this moved block.", m.from, m.to, m.from));
            }
        }
        let applies = |m: &crate::config::refactor::Moved, a: &InstanceAddr| {
            names(&m.from, a)
                && match (&m.from, &m.to) {
                    // A resource moving to one instance is its instance without a key.
                    (Endpoint::Resource(_), Endpoint::Instance(_)) => a.key == InstanceKey::None,
                    _ => true,
                }
        };
        let addrs: Vec<InstanceAddr> = self.refreshed.resources.keys().cloned().collect();
        let mut renames: Vec<(InstanceAddr, InstanceAddr, crate::diag::Span)> = Vec::new();
        for a in &addrs {
            let mut at = a.clone();
            let mut span = None;
            for _ in 0..64 {
                let Some(m) = cfg.moved.iter().find(|m| applies(m, &at)) else {
                    break;
                };
                let mut next = moved_to(m, &at);
                if let (Endpoint::Instance(_), Endpoint::Resource(_)) = (&m.from, &m.to) {
                    next.key = InstanceKey::None;
                }
                if next == at {
                    break;
                }
                span = Some(m.span);
                at = next;
            }
            if let Some(span) = span {
                renames.push((a.clone(), at, span));
            }
        }
        for (from, to, span) in renames {
            if self.refreshed.resources.contains_key(&to) && !self.moved.iter().any(|(f, _)| *f == to) {
                self.diags.error(Some(span), "Cannot move to an address in use", format!("{from} cannot move to {to}: the state already has an object at {to}. Remove one of them from the state (infra state rm) first."));
                continue;
            }
            if let Some(inst) = self.refreshed.resources.remove(&from) {
                self.refreshed.resources.insert(to.clone(), inst);
                self.moved.push((from, to));
            }
        }
        for r in &cfg.removed {
            if declared(&r.from, &r.from) {
                self.diags.error(Some(r.span), "Removed resource still exists", format!("This removed block is for {}, which the configuration still declares: remove it from the configuration, or remove the removed block.", r.from));
                continue;
            }
            if r.destroy {
                continue;
            }
            let gone: Vec<InstanceAddr> = self
                .refreshed
                .resources
                .keys()
                .filter(|a| names(&r.from, a))
                .cloned()
                .collect();
            for a in gone {
                self.refreshed.resources.remove(&a);
                self.forgotten.push(a);
            }
        }
    }

    /// `--target`: the targeted resources and everything they depend on; `None` when not targeting.
    fn target_closure(&self, graph: &ConfigGraph) -> Option<BTreeSet<ResourceAddr>> {
        if self.opts.targets.is_empty() {
            return None;
        }
        let mut out = BTreeSet::new();
        for t in &self.opts.targets {
            out.insert(t.resource.clone());
            for n in graph.ancestors(&Node::Resource(t.resource.clone())) {
                if let Node::Resource(r) = n {
                    out.insert(r);
                }
            }
        }
        Some(out)
    }

    fn is_targeted(&self, addr: &InstanceAddr) -> bool {
        match &self.included {
            None => true,
            Some(set) => {
                // An instance of a targeted resource is in when any target naming its resource selects
                // it (`--target 'x[0]' --target 'x[1]'` selects both); a dependency is in whole.
                let mut naming = self
                    .opts
                    .targets
                    .iter()
                    .filter(|t| t.resource == addr.resource)
                    .peekable();
                set.contains(&addr.resource)
                    && (naming.peek().is_none() || naming.any(|t| t.key == InstanceKey::None || t.key == addr.key))
            }
        }
    }

    async fn client(&mut self, key: &ProviderKey) -> Option<Arc<dyn ProviderClient>> {
        if let Some(c) = self.clients.get(key) {
            return Some(c.clone());
        }
        if self.opts.offline {
            return None;
        }
        match configure_provider(&self.cfg, self.providers, &self.scope, key).await {
            Ok(c) => {
                self.clients.insert(key.clone(), c.clone());
                Some(c)
            }
            Err(d) => {
                self.diags.extend(d);
                None
            }
        }
    }

    /// Providers of objects in state whose configuration no longer mentions them.
    async fn configure_state_providers(&mut self) {
        let keys: BTreeSet<ProviderKey> = self.refreshed.resources.values().map(|r| r.provider.clone()).collect();
        for k in keys {
            if self.clients.contains_key(&k) {
                continue;
            }
            if k.alias.is_some() && !self.cfg.providers.contains_key(&k) {
                let addr = self
                    .refreshed
                    .resources
                    .iter()
                    .find(|(_, r)| r.provider == k)
                    .map(|(a, _)| a.to_string())
                    .unwrap_or_default();
                self.diags.error(None, "Provider configuration not present", format!("To work with {addr}, its original provider configuration {k} is required, but it has been removed. Add the provider block back, or remove the object from state with infra state rm."));
                continue;
            }
            self.client(&k).await;
        }
    }

    /// Reads every managed object in state: one refresh per provider configuration (so the provider can
    /// share calls across types), one batch per type within it, everything in parallel.
    async fn refresh(&mut self) {
        let mut groups: BTreeMap<ProviderKey, BTreeMap<String, Vec<InstanceAddr>>> = BTreeMap::new();
        for (addr, inst) in &self.refreshed.resources {
            if addr.resource.mode == Mode::Managed
                && matches!(inst.status, InstanceStatus::Ready | InstanceStatus::Tainted)
            {
                groups
                    .entry(inst.provider.clone())
                    .or_default()
                    .entry(addr.resource.type_name.clone())
                    .or_default()
                    .push(addr.clone());
            }
        }
        let mut futures = Vec::new();
        for (pk, by_type) in groups {
            let Some(client) = self.clients.get(&pk).cloned() else {
                continue;
            };
            let mut addrs = Vec::new();
            let mut batches = Vec::new();
            for (type_name, type_addrs) in by_type {
                let priors: Vec<Value> = type_addrs
                    .iter()
                    .map(|a| self.refreshed.resources[a].value.clone())
                    .collect();
                addrs.push(type_addrs);
                batches.push((type_name, priors));
            }
            let lineage = self.refreshed.lineage.clone();
            futures.push(async move {
                let mut results = client.refresh(&lineage, &batches).await.into_iter();
                // Every object gets an answer: one the provider left out is an error, never skipped.
                addrs
                    .into_iter()
                    .map(|a| {
                        let mut r = results.next().unwrap_or_default();
                        r.resize_with(a.len(), || {
                            Err(infra_provider::ProviderError::new(
                                "the provider returned no answer for it",
                            ))
                        });
                        (a, r)
                    })
                    .collect::<Vec<_>>()
            });
        }
        let answers = futures::future::join_all(futures).await.into_iter().flatten();
        for (addrs, results) in answers {
            for (addr, result) in addrs.into_iter().zip(results) {
                match result {
                    Ok(Some(v)) => {
                        let inst = self
                            .refreshed
                            .resources
                            .get_mut(&addr)
                            .expect("refreshed instance exists");
                        inst.value = match self.providers.schema(&inst.provider.name, &addr.resource) {
                            Ok(s) => crate::ephemeral::kept(&s.block, &v),
                            Err(_) => v,
                        };
                    }
                    Ok(None) => {
                        self.refreshed.resources.remove(&addr);
                        self.gone.insert(addr.clone());
                        self.notes.push(Note { addr: addr.to_string(), message: "was deleted outside infra; it will be created again if it is still in the configuration".into() });
                    }
                    Err(e) => self.diags.error(None, "Error refreshing state", format!("{addr}: {e}")),
                }
            }
        }
    }

    /// Objects whose create was interrupted: find what the create made and adopt it, or forget the intent.
    async fn adopt_interrupted_creates(&mut self) {
        let pending: Vec<(InstanceAddr, ResourceInstance, String)> = self
            .refreshed
            .resources
            .iter()
            .filter_map(|(a, r)| match &r.status {
                InstanceStatus::Creating { token, .. } => Some((a.clone(), r.clone(), token.clone())),
                _ => None,
            })
            .collect();
        let mut futures = Vec::new();
        for (addr, inst, token) in pending {
            let Some(client) = self.clients.get(&inst.provider).cloned() else {
                continue;
            };
            let timeout = self
                .schema(&inst.provider, &addr.resource)
                .map(|s| timeouts_for(s, self.cfg.resources.get(&addr.resource)).create)
                .unwrap_or(Duration::from_secs(1200));
            let ctx = OpContext::new(addr.to_string(), self.refreshed.lineage.clone(), token, timeout);
            futures.push(async move {
                let r = client.find_created(&ctx, &addr.resource.type_name, &inst.value).await;
                let steps = match &r {
                    Ok(Some(found)) => client.unfinished(&addr.resource.type_name, found, &inst.value),
                    _ => Vec::new(),
                };
                (addr, r, steps)
            });
        }
        for (addr, result, steps) in futures::future::join_all(futures).await {
            // An unfinished object stays an intent, which the apply's create resumes; one that is to go
            // (destroy, or its block removed) is adopted as it is and deleted.
            let resumes = self.opts.mode != PlanMode::Destroy && self.cfg.resources.contains_key(&addr.resource);
            match result {
                Ok(Some(v)) if !steps.is_empty() && resumes => {
                    let id = v.get_str("id").unwrap_or("?").to_string();
                    self.unfinished.insert(addr.clone());
                    self.notes.push(Note {
                        addr: addr.to_string(),
                        message: format!(
                            "found [id={id}], made by an apply that was interrupted before its create finished; still to do: {}",
                            steps.join("; ")
                        ),
                    });
                }
                Ok(Some(v)) => {
                    let inst = self
                        .refreshed
                        .resources
                        .get_mut(&addr)
                        .expect("pending instance exists");
                    inst.status = InstanceStatus::Ready;
                    inst.value = match self.providers.schema(&inst.provider.name, &addr.resource) {
                        Ok(s) => crate::ephemeral::kept(&s.block, &v),
                        Err(_) => v,
                    };
                    let id = inst.id().unwrap_or("?").to_string();
                    self.notes.push(Note {
                        addr: addr.to_string(),
                        message: format!("adopted [id={id}], created by an apply that was interrupted"),
                    });
                }
                Ok(None) => {
                    self.refreshed.resources.remove(&addr);
                }
                Err(e) => self
                    .diags
                    .error(None, "Error looking for an interrupted create", format!("{addr}: {e}")),
            }
        }
    }

    /// The value of every resource in (refreshed) state, for references to resources not planned now.
    fn register_state_values(&mut self) {
        let mut by_resource: BTreeMap<ResourceAddr, Vec<(InstanceKey, Value)>> = BTreeMap::new();
        for (addr, inst) in &self.refreshed.resources {
            if !matches!(inst.status, InstanceStatus::Ready | InstanceStatus::Tainted) {
                continue;
            }
            let v = match self.providers.schema(&inst.provider.name, &addr.resource) {
                Ok(s) => mark_sensitive(&s.block, inst.value.clone(), &inst.sensitive_paths),
                Err(_) => inst.value.clone(),
            };
            by_resource
                .entry(addr.resource.clone())
                .or_default()
                .push((addr.key.clone(), v));
        }
        for (r, instances) in by_resource {
            let for_each = self.cfg.resources.get(&r).is_some_and(|c| c.for_each.is_some());
            self.scope.set_resource(r, collect_instances(instances, for_each));
        }
    }

    async fn visit(&mut self, graph: &ConfigGraph, n: &Node) {
        if graph.deps(n).iter().any(|d| self.failed.contains(d)) {
            self.failed.insert(n.clone());
            return;
        }
        let before = self.diags.errors().count();
        match n {
            Node::Var(_) | Node::Output(_) => {}
            Node::Local(name) => {
                if let Some(Err(d)) = crate::lang::eval::Scope::local_value(&self.scope, name) {
                    self.diags.push(d);
                }
            }
            Node::Provider(k) => {
                match provider_config(&self.cfg, self.providers, &self.scope, k) {
                    Ok((p, value)) => {
                        if let Some(region) = p.pricing_region(&value) {
                            self.regions.insert(k.to_string(), region);
                        }
                    }
                    Err(d) => self.diags.extend(d),
                }
                if !self.opts.offline && !self.diags.has_errors() {
                    let k = k.clone();
                    self.client(&k).await;
                }
            }
            Node::Resource(a) => {
                let r = self.cfg.resources[a].clone();
                if self.included.as_ref().is_some_and(|set| !set.contains(a)) {
                    // Not targeted: keep what state says.
                } else if a.mode == Mode::Data {
                    self.plan_data(&r, graph).await;
                } else if a.mode == Mode::Ephemeral {
                    self.plan_ephemeral(&r, graph).await;
                } else if self.opts.mode == PlanMode::Normal {
                    self.plan_resource(&r, graph).await;
                }
            }
        }
        if self.diags.errors().count() > before {
            self.failed.insert(n.clone());
        }
    }

    /// `count`/`for_each` → instance keys, with `each.value`.
    fn expand(&mut self, r: &Resource) -> Option<Vec<(InstanceKey, Option<Value>)>> {
        match expand_instances(&self.scope, r) {
            Ok(Some(keys)) => Some(keys),
            Ok(None) => {
                let (arg, e) = match (&r.count, &r.for_each) {
                    (Some(e), _) => ("count", e),
                    (_, Some(e)) => ("for_each", e),
                    _ => unreachable!("a resource without count or for_each has one instance"),
                };
                self.diags.error(
                    Some(e.span()),
                    format!("Invalid {arg} argument"),
                    format!(
                        "The \"{arg}\" value of {} depends on resource attributes that cannot be determined until apply, so infra cannot predict how many instances will be created. To work around this, use --target to first apply only the resources that the {arg} depends on.",
                        r.addr
                    ),
                );
                None
            }
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    /// Evaluates one instance's configuration against its schema.
    fn instance_config(
        &mut self,
        r: &Resource,
        schema: &Schema,
        key: &InstanceKey,
        each: Option<Value>,
    ) -> (Value, Vec<Path>) {
        let scope = InstanceScope {
            module: &self.scope,
            count_index: match key {
                InstanceKey::Int(i) if r.count.is_some() => Some(Value::int(*i)),
                _ => None,
            },
            each: match (key, each) {
                (InstanceKey::Str(k), Some(v)) => Some((Value::string(k.clone()), v)),
                _ => None,
            },
        };
        let mut ev = scope.evaluator();
        let mut diags = Diagnostics::new();
        let v = decode(&mut ev, &r.body, &schema.block, META_ARGS, r.decl_span, &mut diags);
        self.diags.extend(diags);
        v.strip_marks()
    }

    async fn plan_resource(&mut self, r: &Resource, graph: &ConfigGraph) {
        let Some(schema) = self.schema(&r.provider, &r.addr).cloned() else {
            return;
        };
        let Some(keys) = self.expand(r) else { return };
        let deps = graph.resource_deps(&Node::Resource(r.addr.clone()));
        let client = if self.opts.offline {
            None
        } else {
            self.client(&r.provider).await
        };
        let mut instances = Vec::new();
        let wanted: BTreeSet<InstanceKey> = keys.iter().map(|(k, _)| k.clone()).collect();
        for (key, each) in keys {
            let addr = r.addr.instance(key.clone());
            let errors_before = self.diags.errors().count();
            let (mut config, config_sensitive) = self.instance_config(r, &schema, &key, each);
            if self.diags.errors().count() > errors_before {
                continue;
            }
            let prior_inst = self
                .refreshed
                .resources
                .get(&addr)
                .filter(|i| matches!(i.status, InstanceStatus::Ready | InstanceStatus::Tainted))
                .cloned();
            if !self.is_targeted(&addr) {
                if let Some(p) = &prior_inst {
                    instances.push((key, mark_sensitive(&schema.block, p.value.clone(), &p.sensitive_paths)));
                }
                continue;
            }
            let prior = prior_inst.as_ref().map(|p| &p.value);
            apply_ignore_changes(&mut config, prior, &r.lifecycle.ignore_changes);
            let mut proposal = propose(&schema.block, prior, &config);
            if let Some(c) = &client
                && let Err(e) = c.plan(PlanRequest {
                    type_name: &r.addr.type_name,
                    prior,
                    config: &config,
                    planned: &mut proposal.planned,
                    requires_replace: &mut proposal.replace_paths,
                })
            {
                self.diags.error(
                    Some(r.decl_span),
                    "Invalid resource configuration",
                    format!("{addr}: {e}"),
                );
                continue;
            }
            crate::ephemeral::clear_write_only(&schema.block, &mut proposal.planned);
            // Which write-only arguments are set: shown as such, never with their value.
            let write_only_set: Vec<Path> = schema
                .block
                .attributes
                .iter()
                .filter(|(k, a)| a.write_only && config.get(k).is_some_and(|v| !v.is_null()))
                .map(|(k, _)| Path::root().key(k))
                .collect();
            let tainted = prior_inst.as_ref().is_some_and(|p| p.status == InstanceStatus::Tainted);
            let requested = self.opts.replace.iter().any(|a| a == &addr);
            let (action, reason) = match prior {
                None if self.gone.contains(&addr) => (Action::Create, Some(Reason::GoneInCloud)),
                None if self.unfinished.contains(&addr) => (Action::Create, Some(Reason::UnfinishedCreate)),
                None => (Action::Create, None),
                Some(_) if tainted => (Action::Replace, Some(Reason::Tainted)),
                Some(_) if requested => (Action::Replace, Some(Reason::ReplaceRequested)),
                Some(_) if !proposal.replace_paths.is_empty() => (Action::Replace, None),
                Some(p) if &proposal.planned == p => (Action::NoOp, None),
                Some(_) => (Action::Update, None),
            };
            let mut planned = proposal.planned;
            if action == Action::Replace {
                // The new object: computed attributes are unknown again.
                let mut fresh = propose(&schema.block, None, &config);
                if let Some(c) = &client
                    && let Err(e) = c.plan(PlanRequest {
                        type_name: &r.addr.type_name,
                        prior: None,
                        config: &config,
                        planned: &mut fresh.planned,
                        requires_replace: &mut Vec::new(),
                    })
                {
                    self.diags.error(
                        Some(r.decl_span),
                        "Invalid resource configuration",
                        format!("{addr}: {e}"),
                    );
                    continue;
                }
                planned = fresh.planned;
                crate::ephemeral::clear_write_only(&schema.block, &mut planned);
                if r.lifecycle.prevent_destroy {
                    self.diags.error(Some(r.decl_span), "Instance cannot be destroyed", format!("Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be replaced. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using --target."));
                    continue;
                }
            }
            // A secret the provider copied elsewhere (the AWS provider's `tags_all` from `tags`) is as
            // secret there: every leaf of the planned object equal to a sensitive configured value is marked.
            let secrets: Vec<&Value> = config_sensitive
                .iter()
                .filter_map(|p| config.get_path(p))
                .filter(|v| matches!(v, Value::String(s) if !s.is_empty()))
                .collect();
            let mut copies = Vec::new();
            if !secrets.is_empty() {
                super::diff::paths_of_values(&planned, &secrets, &Path::root(), &mut copies);
            }
            let mut after_sensitive = config_sensitive;
            after_sensitive.extend(copies);
            after_sensitive.extend(write_only_set);
            after_sensitive.extend(sensitive_paths(&schema.block, &planned));
            after_sensitive.sort();
            after_sensitive.dedup();
            instances.push((
                key.clone(),
                mark_sensitive(&schema.block, planned.clone(), &after_sensitive),
            ));
            let mut before_sensitive = prior_inst
                .as_ref()
                .map(|p| p.sensitive_paths.clone())
                .unwrap_or_default();
            if let Some(p) = prior {
                before_sensitive.extend(sensitive_paths(&schema.block, p));
                before_sensitive.sort();
                before_sensitive.dedup();
            }
            self.changes.push(ResourceChange {
                addr,
                provider: r.provider.clone(),
                action,
                create_before_destroy: r.lifecycle.create_before_destroy,
                before: prior.cloned(),
                after: Some(planned),
                before_sensitive,
                after_sensitive,
                replace_paths: if action == Action::Replace {
                    proposal.replace_paths
                } else {
                    Vec::new()
                },
                reason,
                dependencies: deps.clone(),
                deposed: None,
            });
        }
        // Instances state has that count/for_each no longer produce.
        let stale: Vec<InstanceAddr> = self
            .refreshed
            .instances_of(&r.addr)
            .map(|(a, _)| a.clone())
            .filter(|a| !wanted.contains(&a.key))
            .collect();
        for addr in stale {
            if self.is_targeted(&addr) {
                self.plan_delete(&addr, Reason::NoInstanceKey, Some(r));
            }
        }
        self.scope
            .set_resource(r.addr.clone(), collect_instances(instances, r.for_each.is_some()));
    }

    fn plan_delete(&mut self, addr: &InstanceAddr, reason: Reason, r: Option<&Resource>) {
        let Some(inst) = self.refreshed.resources.get(addr).cloned() else {
            return;
        };
        if !matches!(inst.status, InstanceStatus::Ready | InstanceStatus::Tainted) {
            return;
        }
        if r.is_some_and(|r| r.lifecycle.prevent_destroy) {
            self.diags.error(r.map(|r| r.decl_span), "Instance cannot be destroyed", format!("Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using --target."));
            return;
        }
        let mut before_sensitive = inst.sensitive_paths.clone();
        if let Some(s) = self.schema(&inst.provider, &addr.resource) {
            before_sensitive.extend(sensitive_paths(&s.block, &inst.value));
        }
        self.changes.push(ResourceChange {
            addr: addr.clone(),
            provider: inst.provider.clone(),
            action: Action::Delete,
            create_before_destroy: inst.create_before_destroy,
            before: Some(inst.value.clone()),
            after: None,
            before_sensitive,
            after_sensitive: Vec::new(),
            replace_paths: Vec::new(),
            reason: Some(reason),
            dependencies: inst.dependencies.clone(),
            deposed: None,
        });
    }

    async fn plan_data(&mut self, r: &Resource, graph: &ConfigGraph) {
        let Some(schema) = self.schema(&r.provider, &r.addr).cloned() else {
            return;
        };
        if self.opts.mode == PlanMode::Destroy {
            return;
        }
        let Some(keys) = self.expand(r) else { return };
        let deps = graph.resource_deps(&Node::Resource(r.addr.clone()));
        // A data source that depends on resources with pending changes is read during apply.
        let deps_changing = deps
            .iter()
            .any(|d| self.changes.iter().any(|c| &c.addr.resource == d && !c.is_noop()));
        let client = if self.opts.offline {
            None
        } else {
            self.client(&r.provider).await
        };
        let mut instances = Vec::new();
        for (key, each) in keys {
            let addr = r.addr.instance(key.clone());
            let errors_before = self.diags.errors().count();
            let (config, config_sensitive) = self.instance_config(r, &schema, &key, each);
            if self.diags.errors().count() > errors_before {
                continue;
            }
            let stored = self.refreshed.resources.get(&addr).map(|i| i.value.clone());
            let value = match &client {
                Some(c) if config.is_wholly_known() && !deps_changing => {
                    match c.read_data(&r.addr.type_name, &config).await {
                        Ok(v) => {
                            let v = conform(&schema.block, &v);
                            let mut inst = ResourceInstance::ready(r.provider.clone(), v.clone());
                            inst.sensitive_paths = config_sensitive.clone();
                            inst.dependencies = deps.clone();
                            self.refreshed.resources.insert(addr.clone(), inst);
                            v
                        }
                        Err(e) => {
                            self.diags
                                .error(Some(r.decl_span), "Error reading data source", format!("{addr}: {e}"));
                            continue;
                        }
                    }
                }
                Some(_) => {
                    let planned = propose(&schema.block, None, &config).planned;
                    self.changes.push(ResourceChange {
                        addr: addr.clone(),
                        provider: r.provider.clone(),
                        action: Action::Read,
                        create_before_destroy: false,
                        before: stored,
                        after: Some(planned.clone()),
                        before_sensitive: Vec::new(),
                        after_sensitive: config_sensitive.clone(),
                        replace_paths: Vec::new(),
                        reason: None,
                        dependencies: deps.clone(),
                        deposed: None,
                    });
                    planned
                }
                // Offline: what state remembers, else unknown.
                None => stored.unwrap_or_else(|| propose(&schema.block, None, &config).planned),
            };
            instances.push((key, mark_sensitive(&schema.block, value, &config_sensitive)));
        }
        self.scope
            .set_resource(r.addr.clone(), collect_instances(instances, r.for_each.is_some()));
    }

    /// An ephemeral resource: opened now when its configuration is known and nothing it depends on has
    /// changes pending (as a data source is read: what it reads may not exist yet — a secret whose
    /// version this apply makes); unknown otherwise, and apply opens it again when something needs it.
    /// Its value is never kept.
    async fn plan_ephemeral(&mut self, r: &Resource, graph: &ConfigGraph) {
        let Some(schema) = self.schema(&r.provider, &r.addr).cloned() else {
            return;
        };
        let Some(keys) = self.expand(r) else { return };
        let deps_changing = graph
            .resource_deps(&Node::Resource(r.addr.clone()))
            .iter()
            .any(|d| self.changes.iter().any(|c| &c.addr.resource == d && !c.is_noop()));
        let client = if self.opts.offline || self.opts.mode == PlanMode::Destroy {
            None
        } else {
            self.client(&r.provider).await
        };
        let mut instances = Vec::new();
        for (key, each) in keys {
            let addr = r.addr.instance(key.clone());
            let errors_before = self.diags.errors().count();
            let (config, _) = self.instance_config(r, &schema, &key, each);
            if self.diags.errors().count() > errors_before {
                continue;
            }
            let value = match &client {
                Some(c) if config.is_wholly_known() && !deps_changing => {
                    match c.open_ephemeral(&r.addr.type_name, &config).await {
                        Ok(v) => conform(&schema.block, &v),
                        Err(e) => {
                            self.diags.error(
                                Some(r.decl_span),
                                "Error opening ephemeral resource",
                                format!("{addr}: {e}"),
                            );
                            continue;
                        }
                    }
                }
                _ => propose(&schema.block, None, &config).planned,
            };
            // Never shown: an ephemeral value is as secret as a sensitive one.
            instances.push((key, value.mark()));
        }
        self.scope
            .set_resource(r.addr.clone(), collect_instances(instances, r.for_each.is_some()));
    }

    /// Deletions of objects whose resource block is gone, destroy mode, and deposed objects.
    fn plan_orphans(&mut self) {
        let addrs: Vec<InstanceAddr> = self.refreshed.resources.keys().cloned().collect();
        for addr in &addrs {
            let in_config = self.cfg.resources.contains_key(&addr.resource);
            if addr.resource.mode == Mode::Data {
                if !in_config || self.opts.mode == PlanMode::Destroy {
                    self.refreshed.resources.remove(addr);
                }
                continue;
            }
            if self.opts.mode == PlanMode::RefreshOnly || !self.is_targeted(addr) {
                continue;
            }
            let r = self.cfg.resources.get(&addr.resource).cloned();
            if self.opts.mode == PlanMode::Destroy {
                self.plan_delete(addr, Reason::DestroyRequested, r.as_ref());
            } else if !in_config {
                // Terraform tells a removed module instance from a removed block inside one.
                let module = &addr.resource.module;
                let module_gone = !module.is_root() && !self.cfg.resources.keys().any(|r| r.module.within(module));
                let reason = if module_gone {
                    Reason::NoModule
                } else {
                    Reason::NoResourceConfig
                };
                self.plan_delete(addr, reason, None);
            }
            if let Some(inst) = self.refreshed.resources.get(addr).cloned() {
                for d in &inst.deposed {
                    self.changes.push(ResourceChange {
                        addr: addr.clone(),
                        provider: inst.provider.clone(),
                        action: Action::Delete,
                        create_before_destroy: false,
                        before: Some(d.value.clone()),
                        after: None,
                        before_sensitive: inst.sensitive_paths.clone(),
                        after_sensitive: Vec::new(),
                        replace_paths: Vec::new(),
                        reason: Some(Reason::Deposed),
                        dependencies: inst.dependencies.clone(),
                        deposed: Some(d.key.clone()),
                    });
                }
            }
        }
    }

    fn outputs(&mut self) -> Vec<OutputChange> {
        let mut out = Vec::new();
        if self.opts.mode == PlanMode::Destroy {
            for (name, o) in &self.original.outputs {
                out.push(OutputChange {
                    name: name.clone(),
                    before: Some(o.value.clone()),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
            return out;
        }
        for (name, o) in &self.cfg.outputs {
            let v = match self.scope.evaluator().eval(&o.value) {
                Ok(v) => v,
                Err(d) => {
                    self.diags.push(d);
                    continue;
                }
            };
            let (v, marked) = v.unmark_deep();
            if marked && !o.sensitive {
                self.diags.error(Some(o.span), "Output refers to sensitive values", format!("To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, infra requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent. Add sensitive = true to output {name:?}."));
                continue;
            }
            out.push(OutputChange {
                name: name.clone(),
                before: self.original.outputs.get(name).map(|o| o.value.clone()),
                after: Some(v),
                sensitive: o.sensitive,
            });
        }
        for (name, o) in &self.original.outputs {
            if !self.cfg.outputs.contains_key(name) {
                out.push(OutputChange {
                    name: name.clone(),
                    before: Some(o.value.clone()),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
        }
        out
    }

    fn drift(&self) -> Vec<Drift> {
        let mut out = Vec::new();
        for (addr, before) in &self.original.resources {
            if addr.resource.mode != Mode::Managed || before.status != InstanceStatus::Ready {
                continue;
            }
            let mut sensitive = before.sensitive_paths.clone();
            if let Some(s) = self.schema(&before.provider, &addr.resource) {
                sensitive.extend(sensitive_paths(&s.block, &before.value));
            }
            match self.refreshed.resources.get(addr) {
                Some(after) if after.value != before.value => out.push(Drift {
                    addr: addr.clone(),
                    before: before.value.clone(),
                    after: Some(after.value.clone()),
                    sensitive,
                }),
                None if self.gone.contains(addr) => out.push(Drift {
                    addr: addr.clone(),
                    before: before.value.clone(),
                    after: None,
                    sensitive,
                }),
                _ => {}
            }
        }
        out
    }
}

/// A resource's value from its instances: an object, a list (`count`) or a map (`for_each`).
pub fn collect_instances(mut instances: Vec<(InstanceKey, Value)>, for_each: bool) -> Value {
    instances.sort_by(|a, b| a.0.cmp(&b.0));
    match instances.first().map(|(k, _)| k) {
        None if for_each => Value::empty_map(),
        None => Value::List(Vec::new()),
        Some(InstanceKey::None) => instances.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null),
        Some(InstanceKey::Int(_)) => Value::List(instances.into_iter().map(|(_, v)| v).collect()),
        Some(InstanceKey::Str(_)) => Value::Map(
            instances
                .into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        InstanceKey::Str(s) => s,
                        other => other.to_string(),
                    };
                    (key, v)
                })
                .collect(),
        ),
    }
}

/// One instance of a resource: its key, and `each.value` for `for_each`.
pub(crate) type Instance = (InstanceKey, Option<Value>);

/// `count`/`for_each` → instance keys, with `each.value`; `Ok(None)` when the value is not known yet.
pub(crate) fn expand_instances(scope: &ModuleScope, r: &Resource) -> Result<Option<Vec<Instance>>, Diagnostic> {
    if let Some(e) = &r.count {
        // A sensitive count is allowed, as in Terraform 1.11 (the number of instances shows in every plan
        // anyway); a sensitive for_each is not (its keys would be printed).
        let (v, _) = scope.evaluator().eval(e)?.unmark_deep();
        let bad = |detail: String| Err(Diagnostic::error(Some(e.span()), "Invalid count argument", detail));
        return match infra_provider::convert(v, &infra_provider::Type::Number) {
            Ok(Value::Unknown) => Ok(None),
            Ok(Value::Null) => bad("The given \"count\" argument value is null. An integer is required.".into()),
            Ok(Value::Number(n)) => match n.as_i64() {
                Some(i) if i >= 0 => Ok(Some((0..i).map(|i| (InstanceKey::Int(i), None)).collect())),
                Some(_) => bad(
                    "The given \"count\" argument value is unsuitable: must be greater than or equal to zero.".into(),
                ),
                None => bad("The given \"count\" argument value is unsuitable: a whole number is required.".into()),
            },
            Ok(_) => bad("The given \"count\" argument value is unsuitable: a number is required.".into()),
            Err(err) => bad(format!("The given \"count\" argument value is unsuitable: {err}.")),
        };
    }
    if let Some(e) = &r.for_each {
        let v = scope.evaluator().eval(e)?;
        let (v, marked) = v.unmark_deep();
        let bad = |detail: String| Err(Diagnostic::error(Some(e.span()), "Invalid for_each argument", detail));
        if marked {
            return bad("Sensitive values cannot be used as for_each arguments: the instance keys would disclose them. Use nonsensitive() on values you know are safe.".into());
        }
        // As in Terraform, a map's keys must be known, its values may be known only after apply;
        // a set's elements are its keys.
        let keys_known = match &v {
            Value::Map(_) => true,
            Value::Set(items) => items.iter().all(Value::is_wholly_known),
            other => other.is_wholly_known(),
        };
        if !keys_known {
            return Ok(None);
        }
        return match v {
            Value::Map(m) => Ok(Some(m.into_iter().map(|(k, v)| (InstanceKey::Str(k), Some(v))).collect())),
            Value::Set(items) => {
                let mut out = Vec::new();
                for i in items {
                    match i {
                        Value::String(s) => out.push((InstanceKey::Str(s.clone()), Some(Value::String(s)))),
                        other => return bad(format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports sets of strings, but you have provided a set containing type {}.", other.type_name())),
                    }
                }
                Ok(Some(out))
            }
            Value::Null => bad("The given \"for_each\" argument value is unsuitable: the given \"for_each\" argument value is null. A map, or set of strings is allowed.".into()),
            Value::List(_) => bad("The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type tuple. Use toset() to convert a list of strings.".into()),
            other => bad(format!("The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.", other.type_name())),
        };
    }
    Ok(Some(vec![(InstanceKey::None, None)]))
}
