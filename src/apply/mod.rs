//! Applying a plan.
//!
//! The apply graph is built from the plan's changes (never re-derived from configuration), so apply does
//! what was shown: create/update after what they depend on, deletions in reverse dependency order,
//! `-/+` as delete-then-create and `+/-` as create-then-delete (the old object *deposed* meanwhile).
//!
//! Scheduling is event-driven: an operation starts the moment its last dependency finishes, so the run
//! is bounded by the graph's critical path. There is no fixed worker count by default: what bounds the
//! requests in flight is each provider endpoint's adaptive limit (`infra_provider::AdaptiveLimit`),
//! which halves on throttling. `--parallelism N` adds a fixed bound on operations, and an operation that
//! is only waiting for readiness gives its slot back while it sleeps.
//!
//! Durability: before every create the intent (with its client token) is written to state, and the create
//! waits until that write is durable; after every operation the state is written again (atomically,
//! through the [`StateStore`]). An apply killed at any instant therefore leaves a state from which the next
//! plan finds — and adopts — whatever the cloud made. A failure stops the operations that depend on it;
//! independent work finishes; every success is kept.
//!
//! Writes are group commits ([`Writer`]): an operation changes the state in memory and asks for a write;
//! one writer task writes the latest state whenever something changed, so the intents and results of
//! operations that run at the same time share one write. Only intents are waited for: a result that is
//! not durable yet is written with the next intent at the latest, which every dependent operation waits
//! for before its own create. A remote backend's latency therefore costs an apply about one write per
//! wave of creates, not two per operation.

use crate::addrs::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::config::{Config, META_ARGS};
use crate::diag::Diagnostics;
use crate::ephemeral::kept;
use crate::graph::Node as CfgNode;
use crate::lang::decode::decode;
use crate::plan::diff::{apply_ignore_changes, conform, equivalent, mark_sensitive, propose, sensitive_paths};
use crate::plan::planner::{collect_instances, configure_provider, timeouts_for};
use crate::plan::{Action, Plan, PlanMode, ResourceChange};
use crate::provider_set::ProviderSet;
use crate::scope::{InstanceScope, ModuleScope};
use crate::state::{Deposed, InstanceStatus, OutputValue, ResourceInstance, State, StateStore};
use async_trait::async_trait;
use infra_provider::{Block, ErrorKind, OpContext, Pauser, PlanRequest, ProviderClient, ProviderError, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What an apply reports as it goes.
#[derive(Clone, Debug)]
pub enum Event {
    Started {
        addr: String,
        action: Action,
        deposed: bool,
    },
    Still {
        addr: String,
        action: Action,
        deposed: bool,
        elapsed: Duration,
        status: Option<String>,
    },
    Finished {
        addr: String,
        action: Action,
        deposed: bool,
        elapsed: Duration,
        id: Option<String>,
    },
    Failed {
        addr: String,
        action: Action,
        deposed: bool,
        error: String,
    },
    Skipped {
        addr: String,
        because: String,
    },
}

pub trait Progress: Send + Sync {
    fn event(&self, e: Event);
}

/// Discards events.
pub struct Quiet;
impl Progress for Quiet {
    fn event(&self, _: Event) {}
}

#[derive(Clone)]
pub struct ApplyOptions {
    /// At most this many operations at once; `None`: no fixed limit (each provider endpoint has its own
    /// adaptive limit on requests in flight).
    pub parallelism: Option<usize>,
    /// How often "Still creating..." is reported.
    pub progress_interval: Duration,
    /// First poll interval of readiness waits.
    pub poll_interval: Duration,
    /// Becomes true when the user asks to stop (Ctrl-C): no new operation starts.
    pub cancel: tokio::sync::watch::Receiver<bool>,
}

/// What happened.
#[derive(Debug, Default)]
pub struct Outcome {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub read: usize,
    /// (address, error) of every failed operation.
    pub errors: Vec<(String, String)>,
    pub skipped: Vec<String>,
    pub interrupted: bool,
    /// Diagnostics from evaluating configuration during apply.
    pub diags: Diagnostics,
    /// How many times the state was written.
    pub state_writes: usize,
    /// The time operations spent waiting for their intents to be durable, summed over operations.
    pub intent_wait: Duration,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.errors.is_empty() && !self.interrupted && !self.diags.has_errors()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Create,
    Update,
    Delete,
    Read,
}

#[derive(Clone, Debug)]
struct Node {
    change: usize,
    op: Op,
}

/// State and values for evaluation, behind one lock (never held across an await).
struct Shared {
    state: State,
    scope: ModuleScope,
    /// Every instance's current value (applied, else planned), for rebuilding resource values.
    values: BTreeMap<InstanceAddr, Value>,
}

/// The group-commit state writer (see the module documentation). Generations count the changes asked to
/// be written; a write covers every generation asked for before it started.
struct Writer {
    requested: AtomicU64,
    status: tokio::sync::watch::Sender<Written>,
    wake: tokio::sync::Notify,
    closed: AtomicBool,
    writes: AtomicUsize,
    waited: Mutex<Duration>,
}

#[derive(Clone, Default)]
struct Written {
    /// Every change up to this generation is durable.
    durable: u64,
    /// The last failed write: the generation it covered, and why.
    failed: Option<(u64, String)>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            requested: AtomicU64::new(0),
            status: tokio::sync::watch::Sender::new(Written::default()),
            wake: tokio::sync::Notify::new(),
            closed: AtomicBool::new(false),
            writes: AtomicUsize::new(0),
            waited: Mutex::new(Duration::ZERO),
        }
    }

    /// Asks for the state as it is now to be written; call with the state lock held, after the change.
    fn request(&self) -> u64 {
        let g = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        self.wake.notify_one();
        g
    }

    /// Waits until generation `g` is durable.
    async fn wait(&self, g: u64) -> Result<(), String> {
        let started = Instant::now();
        let mut rx = self.status.subscribe();
        let result = loop {
            {
                let w = rx.borrow_and_update();
                if w.durable >= g {
                    break Ok(());
                }
                if let Some((upto, msg)) = &w.failed
                    && *upto >= g
                {
                    break Err(msg.clone());
                }
            }
            if rx.changed().await.is_err() {
                break Err("the state writer stopped".to_string());
            }
        };
        *self.waited.lock().unwrap_or_else(|e| e.into_inner()) += started.elapsed();
        result
    }

    /// The first write error, if a write failed (no new operation starts then).
    fn failed(&self) -> Option<String> {
        self.status.borrow().failed.as_ref().map(|(_, m)| m.clone())
    }
}

/// Writes the state whenever a change was asked for, until closed and caught up.
async fn write_loop(ctx: Arc<Ctx>) {
    let w = &ctx.writer;
    let mut written = 0;
    loop {
        let target = w.requested.load(Ordering::SeqCst);
        if target <= written {
            if w.closed.load(Ordering::SeqCst) {
                return;
            }
            w.wake.notified().await;
            continue;
        }
        let staged = {
            let mut sh = lock(&ctx.shared);
            ctx.store.stage(&mut sh.state)
        };
        let result = match staged {
            Some(s) => {
                w.writes.fetch_add(1, Ordering::SeqCst);
                ctx.store.commit(s).await
            }
            None => Ok(()),
        };
        written = target;
        match result {
            Ok(()) => w.status.send_modify(|s| s.durable = s.durable.max(target)),
            Err(e) => {
                let msg = format!("failed to persist state: {e}");
                w.status.send_modify(|s| {
                    if s.failed.is_none() {
                        s.failed = Some((target, msg.clone()));
                    } else if let Some(f) = s.failed.as_mut() {
                        f.0 = target;
                    }
                });
            }
        }
    }
}

impl Shared {
    fn set_value(&mut self, addr: &InstanceAddr, v: Option<Value>) {
        match v {
            Some(v) => self.values.insert(addr.clone(), v),
            None => self.values.remove(addr),
        };
        let r = &addr.resource;
        let instances: Vec<(InstanceKey, Value)> = self
            .values
            .iter()
            .filter(|(a, _)| &a.resource == r)
            .map(|(a, v)| (a.key.clone(), v.clone()))
            .collect();
        let for_each = self.scope.cfg.resources.get(r).is_some_and(|c| c.for_each.is_some());
        self.scope
            .set_resource(r.clone(), collect_instances(instances, for_each));
    }
}

/// Gives the parallelism slot back while an operation sleeps.
struct SlotPauser {
    sem: Arc<Semaphore>,
    permit: Mutex<Option<OwnedSemaphorePermit>>,
}

#[async_trait]
impl Pauser for SlotPauser {
    async fn pause(&self, d: Duration) {
        let held = self.permit.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(held);
        tokio::time::sleep(d).await;
        if let Ok(p) = self.sem.clone().acquire_owned().await {
            *self.permit.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
        }
    }
}

struct Ctx {
    plan: Plan,
    cfg: Arc<Config>,
    providers: ProviderSet,
    clients: BTreeMap<crate::addrs::ProviderKey, Arc<dyn ProviderClient>>,
    shared: Mutex<Shared>,
    store: Arc<StateStore>,
    writer: Writer,
    progress: Arc<dyn Progress>,
    sem: Arc<Semaphore>,
    interval: Duration,
    poll_interval: Duration,
    /// Ephemeral resources: those each change needs (dependencies first), and those opened so far (each
    /// is opened once per apply, so that everything using it sees the same value).
    ephemeral_needs: HashMap<ResourceAddr, Vec<ResourceAddr>>,
    ephemeral_open: tokio::sync::Mutex<BTreeSet<ResourceAddr>>,
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies a plan. `store` must be locked by the caller; the state in it must be the plan's (checked by
/// the caller for saved plans).
pub async fn apply(
    plan: Plan,
    cfg: Arc<Config>,
    providers: &ProviderSet,
    store: Arc<StateStore>,
    opts: ApplyOptions,
    progress: Arc<dyn Progress>,
) -> Result<(State, Outcome), Diagnostics> {
    let mut raw = plan.variables.clone();
    raw.extend(plan.ephemeral_variables.clone());
    let (vars, d) = crate::plan::vars::finalize(&cfg, &raw, &plan.env);
    if d.has_errors() {
        return Err(d);
    }
    // The module instances the plan was made with.
    let (cfg, d) = crate::config::expand_with(&cfg, Some(&vars), &plan.module_instances, &plan.env);
    if d.has_errors() {
        return Err(d);
    }
    let mut scope = ModuleScope::new(cfg.clone(), vars, &plan.env);
    let mut state = plan.prior.clone();
    for (addr, inst) in state.resources.iter_mut() {
        if let Ok(s) = providers.schema(&inst.provider.name, &addr.resource) {
            inst.value = conform(&s.block, &inst.value);
        }
    }
    // Values for evaluation: state, overlaid with what the plan expects.
    let mut values: BTreeMap<InstanceAddr, Value> = BTreeMap::new();
    for (addr, inst) in &state.resources {
        if matches!(inst.status, InstanceStatus::Ready | InstanceStatus::Tainted) {
            let v = match providers.schema(&inst.provider.name, &addr.resource) {
                Ok(s) => mark_sensitive(&s.block, inst.value.clone(), &inst.sensitive_paths),
                Err(_) => inst.value.clone(),
            };
            values.insert(addr.clone(), v);
        }
    }
    for c in &plan.changes {
        if c.deposed.is_some() {
            continue;
        }
        match (&c.action, &c.after) {
            (Action::Delete, _) => {
                values.remove(&c.addr);
            }
            (_, Some(after)) => {
                let v = match providers.schema(&c.provider.name, &c.addr.resource) {
                    Ok(s) => mark_sensitive(&s.block, after.clone(), &c.after_sensitive),
                    Err(_) => after.clone(),
                };
                values.insert(c.addr.clone(), v);
            }
            _ => {}
        }
    }
    let mut by_resource: BTreeMap<ResourceAddr, Vec<(InstanceKey, Value)>> = BTreeMap::new();
    for (a, v) in &values {
        by_resource
            .entry(a.resource.clone())
            .or_default()
            .push((a.key.clone(), v.clone()));
    }
    for (r, inst) in by_resource {
        let for_each = cfg.resources.get(&r).is_some_and(|c| c.for_each.is_some());
        scope.set_resource(r, collect_instances(inst, for_each));
    }
    // Providers of every change, and of the ephemeral resources the changes need.
    let mut clients: BTreeMap<crate::addrs::ProviderKey, Arc<dyn ProviderClient>> = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let graph = crate::graph::ConfigGraph::build(&cfg).map_err(Diagnostics::from)?;
    let order = graph.order();
    let ephemeral_order: Vec<ResourceAddr> = order
        .iter()
        .filter_map(|n| match n {
            CfgNode::Resource(a) if a.mode == Mode::Ephemeral => Some(a.clone()),
            _ => None,
        })
        .collect();
    let needs = |n: &CfgNode| -> Vec<ResourceAddr> {
        // Most configurations have none: no graph walk per change then.
        if ephemeral_order.is_empty() {
            return Vec::new();
        }
        let anc = graph.ancestors(n);
        ephemeral_order
            .iter()
            .filter(|a| anc.contains(&CfgNode::Resource((*a).clone())))
            .cloned()
            .collect()
    };
    let mut ephemeral_needs: HashMap<ResourceAddr, Vec<ResourceAddr>> = HashMap::new();
    for c in plan
        .changes
        .iter()
        .filter(|c| !c.is_noop() && c.action != Action::Delete)
    {
        if !ephemeral_needs.contains_key(&c.addr.resource) && cfg.resources.contains_key(&c.addr.resource) {
            let n = needs(&CfgNode::Resource(c.addr.resource.clone()));
            ephemeral_needs.insert(c.addr.resource.clone(), n);
        }
    }
    let mut keys: BTreeSet<_> = plan
        .changes
        .iter()
        .filter(|c| !c.is_noop())
        .map(|c| c.provider.clone())
        .collect();
    let mut opened = BTreeSet::new();
    for a in ephemeral_needs.values().flatten() {
        keys.insert(cfg.resources[a].provider.clone());
    }
    // In dependency order: an ephemeral resource a provider configuration uses is opened before it is
    // configured, with its own provider configured before that.
    for n in &order {
        let CfgNode::Provider(k) = n else { continue };
        if !keys.contains(k) {
            continue;
        }
        for a in needs(n) {
            keys.insert(cfg.resources[&a].provider.clone());
        }
    }
    for n in &order {
        match n {
            CfgNode::Provider(k) if keys.contains(k) => {
                for a in needs(n) {
                    if opened.insert(a.clone()) {
                        let r = &cfg.resources[&a];
                        let Some(client) = clients.get(&r.provider).cloned() else {
                            diags.error(
                                Some(r.decl_span),
                                "Error opening ephemeral resource",
                                format!(
                                    "{a}: its provider {} is configured after the provider that uses it",
                                    r.provider
                                ),
                            );
                            continue;
                        };
                        match open_ephemeral(&cfg, providers, &scope, client.as_ref(), &a).await {
                            Ok(v) => scope.set_resource(a.clone(), v),
                            Err(e) => diags.error(Some(r.decl_span), "Error opening ephemeral resource", e),
                        }
                    }
                }
                if diags.has_errors() {
                    return Err(diags);
                }
                match configure_provider(&cfg, providers, &scope, k).await {
                    Ok(c) => {
                        clients.insert(k.clone(), c);
                    }
                    Err(d) => diags.extend(d),
                }
            }
            _ => {}
        }
    }
    for k in keys {
        if clients.contains_key(&k) {
            continue;
        }
        match configure_provider(&cfg, providers, &scope, &k).await {
            Ok(c) => {
                clients.insert(k, c);
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    // Refresh results, adoptions and data reads of the plan become state now.
    let mut shared = Shared { state, scope, values };
    if plan.has_changes() || plan.mode == PlanMode::RefreshOnly || !plan.notes.is_empty() || plan.prior.serial == 0 {
        store.persist(&mut shared.state).await.map_err(|e| {
            Diagnostics::from(crate::diag::Diagnostic::error(
                None,
                "Failed to persist state",
                e.to_string(),
            ))
        })?;
    }
    let (nodes, deps) = build_graph(&plan);
    let ctx = Arc::new(Ctx {
        plan,
        cfg,
        providers: providers.clone(),
        clients,
        shared: Mutex::new(shared),
        store,
        writer: Writer::new(),
        progress,
        sem: Arc::new(Semaphore::new(
            opts.parallelism
                .map_or(Semaphore::MAX_PERMITS, |n| n.clamp(1, Semaphore::MAX_PERMITS)),
        )),
        interval: opts.progress_interval,
        poll_interval: opts.poll_interval,
        ephemeral_needs,
        ephemeral_open: tokio::sync::Mutex::new(opened),
    });
    let writer = tokio::spawn(write_loop(ctx.clone()));
    let mut outcome = run(ctx.clone(), nodes, deps, opts.cancel.clone()).await;
    // Outputs, from everything that is known now.
    let last = {
        let mut sh = lock(&ctx.shared);
        if ctx.plan.mode == PlanMode::Destroy {
            sh.state.outputs.clear();
        } else {
            let mut outputs = BTreeMap::new();
            for (name, o) in &ctx.cfg.outputs {
                match sh.scope.evaluator().eval(&o.value) {
                    Ok(v) => {
                        let (v, _) = v.unmark_deep();
                        if v.is_wholly_known() {
                            outputs.insert(
                                name.clone(),
                                OutputValue {
                                    value: v,
                                    sensitive: o.sensitive,
                                },
                            );
                        }
                    }
                    Err(d) if outcome.errors.is_empty() && !outcome.interrupted => outcome.diags.push(d),
                    Err(_) => {}
                }
            }
            sh.state.outputs = outputs;
        }
        ctx.writer.request()
    };
    let final_write = ctx.writer.wait(last).await;
    ctx.writer.closed.store(true, Ordering::SeqCst);
    ctx.writer.wake.notify_one();
    let _ = writer.await;
    if let Some(e) = ctx.writer.failed() {
        outcome.errors.push(("state".into(), e));
    } else if let Err(e) = final_write {
        outcome.errors.push(("state".into(), e));
    }
    outcome.state_writes = ctx.writer.writes.load(Ordering::SeqCst);
    outcome.intent_wait = *ctx.writer.waited.lock().unwrap_or_else(|e| e.into_inner());
    let state = lock(&ctx.shared).state.clone();
    Ok((state, outcome))
}

/// Nodes of the apply graph and, per node, the nodes it waits for.
fn build_graph(plan: &Plan) -> (Vec<Node>, Vec<BTreeSet<usize>>) {
    let mut nodes = Vec::new();
    let mut create_of: HashMap<usize, usize> = HashMap::new();
    let mut delete_of: HashMap<usize, usize> = HashMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        match c.action {
            Action::NoOp => {}
            Action::Create => {
                create_of.insert(i, nodes.len());
                nodes.push(Node {
                    change: i,
                    op: Op::Create,
                });
            }
            Action::Update => {
                create_of.insert(i, nodes.len());
                nodes.push(Node {
                    change: i,
                    op: Op::Update,
                });
            }
            Action::Read => {
                create_of.insert(i, nodes.len());
                nodes.push(Node {
                    change: i,
                    op: Op::Read,
                });
            }
            Action::Delete => {
                delete_of.insert(i, nodes.len());
                nodes.push(Node {
                    change: i,
                    op: Op::Delete,
                });
            }
            Action::Replace => {
                create_of.insert(i, nodes.len());
                nodes.push(Node {
                    change: i,
                    op: Op::Create,
                });
                delete_of.insert(i, nodes.len());
                nodes.push(Node {
                    change: i,
                    op: Op::Delete,
                });
            }
        }
    }
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
    let changes = &plan.changes;
    let state_deps = |i: usize| -> Vec<ResourceAddr> {
        plan.prior
            .resources
            .get(&changes[i].addr)
            .map(|r| r.dependencies.clone())
            .unwrap_or_else(|| changes[i].dependencies.clone())
    };
    // (a) create/update/read after the create/update/read of what they refer to.
    for (&i, &n) in &create_of {
        for d in &changes[i].dependencies {
            for (&j, &m) in &create_of {
                if &changes[j].addr.resource == d && j != i {
                    deps[n].insert(m);
                }
            }
        }
    }
    for (&i, &n) in &delete_of {
        let c = &changes[i];
        // Replacement order.
        if c.action == Action::Replace {
            let cn = create_of[&i];
            if c.create_before_destroy {
                deps[n].insert(cn);
            } else {
                deps[cn].insert(n);
            }
        }
        // (b) delete dependents before what they depend on.
        for (&j, &m) in &delete_of {
            if j != i && state_deps(j).contains(&c.addr.resource) {
                deps[n].insert(m);
            }
        }
        // (c) a plain delete (or the old half of +/-) waits for updates of objects that referred to it.
        if c.action == Action::Delete || c.create_before_destroy {
            for (&j, &m) in &create_of {
                if j != i
                    && changes[j].action != Action::Read
                    && (changes[j].dependencies.contains(&c.addr.resource) || state_deps(j).contains(&c.addr.resource))
                {
                    deps[n].insert(m);
                }
            }
        }
    }
    // A -/+ whose dependents are also replaced -/+ would cycle through rule (a) and (b) otherwise: the
    // delete of a dependency must not wait for the creates of its dependents.
    break_cycles(&nodes, &mut deps);
    (nodes, deps)
}

/// Removes edges that would close a cycle (keeping the earliest-built ones), so scheduling always ends.
fn break_cycles(nodes: &[Node], deps: &mut [BTreeSet<usize>]) {
    loop {
        let mut state = vec![0u8; nodes.len()];
        let mut found = None;
        for start in 0..nodes.len() {
            if state[start] != 0 {
                continue;
            }
            let mut stack = vec![(start, deps[start].iter().copied().collect::<Vec<_>>())];
            state[start] = 1;
            while let Some((n, rest)) = stack.last_mut() {
                if let Some(m) = rest.pop() {
                    if state[m] == 1 {
                        found = Some((*n, m));
                        break;
                    }
                    if state[m] == 0 {
                        state[m] = 1;
                        let next = deps[m].iter().copied().collect();
                        stack.push((m, next));
                    }
                } else {
                    state[*n] = 2;
                    stack.pop();
                }
            }
            if found.is_some() {
                break;
            }
        }
        match found {
            Some((n, m)) => {
                deps[n].remove(&m);
            }
            None => return,
        }
    }
}

async fn run(
    ctx: Arc<Ctx>,
    nodes: Vec<Node>,
    deps: Vec<BTreeSet<usize>>,
    mut cancel: tokio::sync::watch::Receiver<bool>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let n = nodes.len();
    let mut waiting: Vec<usize> = deps.iter().map(|d| d.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).rev().collect();
    let mut done = vec![false; n];
    let mut running = tokio::task::JoinSet::new();
    let mut cancelled = *cancel.borrow();
    loop {
        if !cancelled && ctx.writer.failed().is_none() {
            while let Some(i) = ready.pop() {
                let node = nodes[i].clone();
                let ctx2 = ctx.clone();
                running.spawn(async move {
                    let r = execute(&ctx2, &node).await;
                    (i, r)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        let next = tokio::select! {
            r = running.join_next() => r,
            _ = cancel.changed(), if !cancelled => {
                cancelled = *cancel.borrow();
                continue;
            }
        };
        let Some(joined) = next else { break };
        let (i, result) = match joined {
            Ok(x) => x,
            Err(e) => {
                outcome
                    .errors
                    .push(("apply".into(), format!("an operation task failed: {e}")));
                continue;
            }
        };
        done[i] = true;
        let c = &ctx.plan.changes[nodes[i].change];
        match result {
            Ok(()) => {
                match (nodes[i].op, c.action) {
                    (Op::Create, _) => outcome.added += 1,
                    (Op::Update, _) => outcome.changed += 1,
                    (Op::Delete, _) => outcome.destroyed += 1,
                    (Op::Read, _) => outcome.read += 1,
                }
                for &d in &dependents[i] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 {
                        ready.push(d);
                    }
                }
            }
            Err(msg) => {
                outcome.errors.push((c.addr.to_string(), msg));
                // Everything that waits on this, transitively, will not run.
                let mut stack = dependents[i].clone();
                while let Some(d) = stack.pop() {
                    if done[d] {
                        continue;
                    }
                    done[d] = true;
                    waiting[d] = usize::MAX;
                    let dc = &ctx.plan.changes[nodes[d].change];
                    ctx.progress.event(Event::Skipped {
                        addr: dc.addr.to_string(),
                        because: c.addr.to_string(),
                    });
                    outcome.skipped.push(dc.addr.to_string());
                    stack.extend(dependents[d].iter().copied());
                }
            }
        }
    }
    // An interrupted apply never reports success, even when the operations in flight were the last
    // ones: the user asked it to stop, and scripts read the exit code.
    if cancelled {
        outcome.interrupted = true;
    }
    outcome
}

fn action_of(node: &Node, c: &ResourceChange) -> Action {
    match node.op {
        Op::Create if c.action == Action::Replace => Action::Create,
        Op::Create => Action::Create,
        Op::Update => Action::Update,
        Op::Delete => Action::Delete,
        Op::Read => Action::Read,
    }
}

async fn execute(ctx: &Arc<Ctx>, node: &Node) -> Result<(), String> {
    let c = &ctx.plan.changes[node.change];
    let action = action_of(node, c);
    let deposed_delete =
        node.op == Op::Delete && (c.deposed.is_some() || (c.action == Action::Replace && c.create_before_destroy));
    let addr = c.addr.to_string();
    let permit = ctx.sem.clone().acquire_owned().await.map_err(|e| e.to_string())?;
    let pauser = Arc::new(SlotPauser {
        sem: ctx.sem.clone(),
        permit: Mutex::new(Some(permit)),
    });
    ctx.progress.event(Event::Started {
        addr: addr.clone(),
        action,
        deposed: deposed_delete,
    });
    let started = Instant::now();
    let status = Arc::new(Mutex::new(None::<OpContext>));
    // Progress ticker.
    let ticker = {
        let ctx = ctx.clone();
        let addr = addr.clone();
        let status = status.clone();
        tokio::spawn(async move {
            let mut t = tokio::time::interval(ctx.interval);
            t.tick().await;
            loop {
                t.tick().await;
                let s = status
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                    .and_then(|o: &OpContext| o.status());
                ctx.progress.event(Event::Still {
                    addr: addr.clone(),
                    action,
                    deposed: deposed_delete,
                    elapsed: started.elapsed(),
                    status: s,
                });
            }
        })
    };
    let result = match node.op {
        Op::Create | Op::Update => create_or_update(ctx, c, node.op, pauser, &status).await,
        Op::Delete => delete(ctx, c, pauser, &status).await,
        Op::Read => read_data(ctx, c).await,
    };
    ticker.abort();
    match &result {
        Ok(id) => ctx.progress.event(Event::Finished {
            addr,
            action,
            deposed: deposed_delete,
            elapsed: started.elapsed(),
            id: id.clone(),
        }),
        Err(e) => ctx.progress.event(Event::Failed {
            addr,
            action,
            deposed: deposed_delete,
            error: e.clone(),
        }),
    }
    result.map(|_| ())
}

fn schema_of<'a>(ctx: &'a Ctx, c: &ResourceChange) -> Result<&'a infra_provider::Schema, String> {
    ctx.providers.schema(&c.provider.name, &c.addr.resource)
}

fn op_ctx(ctx: &Ctx, c: &ResourceChange, token: String, timeout: Duration, pauser: Arc<SlotPauser>) -> OpContext {
    let lineage = lock(&ctx.shared).state.lineage.clone();
    let mut o = OpContext::new(c.addr.to_string(), lineage, token, timeout).with_pauser(pauser);
    o.poll_interval = ctx.poll_interval;
    o
}

/// Opens every instance of an ephemeral resource with the values known now; the value (marked
/// sensitive: it is never shown) goes into the scope, never into the state.
async fn open_ephemeral(
    cfg: &Config,
    providers: &ProviderSet,
    scope: &ModuleScope,
    client: &dyn ProviderClient,
    addr: &ResourceAddr,
) -> Result<Value, String> {
    let configs = ephemeral_configs(cfg, providers, scope, addr)?;
    open_instances(cfg, providers, client, addr, configs).await
}

/// Opens each instance of an ephemeral resource; the value of the resource for the scope.
async fn open_instances(
    cfg: &Config,
    providers: &ProviderSet,
    client: &dyn ProviderClient,
    addr: &ResourceAddr,
    configs: Vec<(InstanceKey, Value)>,
) -> Result<Value, String> {
    let r = &cfg.resources[addr];
    let schema = providers.schema(&r.provider.name, addr)?;
    let mut instances = Vec::new();
    for (key, config) in configs {
        let v = client
            .open_ephemeral(&addr.type_name, &config)
            .await
            .map_err(|e| format!("opening {}: {e}", addr.instance(key.clone())))?;
        instances.push((key, conform(&schema.block, &v).mark()));
    }
    Ok(collect_instances(instances, r.for_each.is_some()))
}

/// The configuration of each instance of an ephemeral resource, evaluated now (it must be known).
fn ephemeral_configs(
    cfg: &Config,
    providers: &ProviderSet,
    scope: &ModuleScope,
    addr: &ResourceAddr,
) -> Result<Vec<(InstanceKey, Value)>, String> {
    let r = &cfg.resources[addr];
    let schema = providers.schema(&r.provider.name, addr)?;
    let keys = crate::plan::planner::expand_instances(scope, r)
        .map_err(|d| d.to_string())?
        .ok_or_else(|| format!("the count or for_each of {addr} is not known yet"))?;
    let mut out = Vec::new();
    for (key, each) in keys {
        let iscope = InstanceScope {
            module: scope,
            count_index: match &key {
                InstanceKey::Int(i) if r.count.is_some() => Some(Value::int(*i)),
                _ => None,
            },
            each: match (&key, each) {
                (InstanceKey::Str(k), Some(v)) => Some((Value::string(k.clone()), v)),
                _ => None,
            },
        };
        let mut ev = iscope.evaluator();
        let mut diags = Diagnostics::new();
        let v = decode(&mut ev, &r.body, &schema.block, META_ARGS, r.decl_span, &mut diags);
        if diags.has_errors() {
            return Err(diags
                .errors()
                .map(|d| format!("{}: {}", cfg.sources.location(d.span.unwrap_or_default()), d))
                .collect::<Vec<_>>()
                .join("; "));
        }
        let (config, _) = v.strip_marks();
        if !config.is_wholly_known() {
            return Err(format!("the configuration of {} is not known yet", addr.instance(key)));
        }
        out.push((key, config));
    }
    Ok(out)
}

/// Opens the ephemeral resources a change's configuration needs and that this apply has not opened yet.
async fn ensure_ephemeral(ctx: &Ctx, resource: &ResourceAddr) -> Result<(), String> {
    let Some(needed) = ctx.ephemeral_needs.get(resource).filter(|n| !n.is_empty()) else {
        return Ok(());
    };
    let mut opened = ctx.ephemeral_open.lock().await;
    for a in needed {
        if opened.contains(a) {
            continue;
        }
        let r = &ctx.cfg.resources[a];
        let client = ctx
            .clients
            .get(&r.provider)
            .cloned()
            .ok_or_else(|| format!("provider {} is not configured", r.provider))?;
        let configs = {
            let sh = lock(&ctx.shared);
            ephemeral_configs(&ctx.cfg, &ctx.providers, &sh.scope, a)?
        };
        let v = open_instances(&ctx.cfg, &ctx.providers, client.as_ref(), a, configs).await?;
        lock(&ctx.shared).scope.set_resource(a.clone(), v);
        opened.insert(a.clone());
    }
    Ok(())
}

/// Evaluates the instance's configuration now that its dependencies exist, and checks it against the plan.
fn final_config(
    ctx: &Ctx,
    c: &ResourceChange,
    schema: &Block,
    prior: Option<&Value>,
) -> Result<(Value, Vec<infra_provider::Path>), String> {
    let Some(r) = ctx.cfg.resources.get(&c.addr.resource) else {
        return Err(format!(
            "{} is not in the configuration the plan was made from",
            c.addr.resource
        ));
    };
    let sh = lock(&ctx.shared);
    let each = match &c.addr.key {
        InstanceKey::Str(k) if r.for_each.is_some() => {
            // each.value: evaluate for_each again (its inputs were known at plan time).
            let fe = r.for_each.as_ref().expect("for_each");
            let v = sh
                .scope
                .evaluator()
                .eval(fe)
                .map_err(|d| d.to_string())?
                .unmark_deep()
                .0;
            let ev = match &v {
                Value::Map(m) => m.get(k).cloned(),
                Value::Set(_) => Some(Value::string(k.clone())),
                _ => None,
            };
            Some((
                Value::string(k.clone()),
                ev.ok_or_else(|| format!("for_each no longer produces the key {k:?}"))?,
            ))
        }
        _ => None,
    };
    let iscope = InstanceScope {
        module: &sh.scope,
        count_index: match &c.addr.key {
            InstanceKey::Int(i) if r.count.is_some() => Some(Value::int(*i)),
            _ => None,
        },
        each,
    };
    let mut ev = iscope.evaluator();
    let mut diags = Diagnostics::new();
    let v = decode(&mut ev, &r.body, schema, META_ARGS, r.decl_span, &mut diags);
    if diags.has_errors() {
        return Err(diags
            .errors()
            .map(|d| format!("{}: {}", ctx.cfg.sources.location(d.span.unwrap_or_default()), d))
            .collect::<Vec<_>>()
            .join("; "));
    }
    let (mut config, sens) = v.strip_marks();
    apply_ignore_changes(&mut config, prior, &r.lifecycle.ignore_changes);
    Ok((config, sens))
}

/// Checks that what is about to be sent agrees with what the plan showed, where the plan knew it.
fn check_consistent(schema: &Block, planned: &Value, actual: &Value, at: &str, errs: &mut Vec<String>) {
    match (planned, actual) {
        (Value::Unknown, _) => {}
        (Value::Map(p), Value::Map(a)) => {
            for (k, pv) in p {
                let av = a.get(k).unwrap_or(&Value::Null);
                let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                match (schema.attributes.get(k), schema.blocks.get(k)) {
                    // Planned as null, sent now.
                    (Some(attr), _) if attr.write_only => {}
                    (Some(attr), _) => {
                        if pv.is_wholly_known() && !equivalent(attr, pv, av) {
                            errs.push(path);
                        }
                    }
                    (None, Some(nb)) => {
                        if pv.is_wholly_known() && pv != av {
                            // Block contents: compare known parts element by element where shapes agree.
                            match (pv, av) {
                                (Value::List(x), Value::List(y)) if x.len() == y.len() => {
                                    for (i, (xe, ye)) in x.iter().zip(y).enumerate() {
                                        check_consistent(&nb.block, xe, ye, &format!("{path}[{i}]"), errs);
                                    }
                                }
                                _ => errs.push(path),
                            }
                        } else if let (Value::List(x), Value::List(y)) = (pv, av)
                            && x.len() == y.len()
                        {
                            for (i, (xe, ye)) in x.iter().zip(y).enumerate() {
                                check_consistent(&nb.block, xe, ye, &format!("{path}[{i}]"), errs);
                            }
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        (p, a) if p.is_wholly_known() && p != a => errs.push(at.to_string()),
        _ => {}
    }
}

async fn create_or_update(
    ctx: &Arc<Ctx>,
    c: &ResourceChange,
    op: Op,
    pauser: Arc<SlotPauser>,
    status: &Mutex<Option<OpContext>>,
) -> Result<Option<String>, String> {
    let schema = schema_of(ctx, c)?.clone();
    let r = ctx.cfg.resources.get(&c.addr.resource).cloned();
    let timeouts = timeouts_for(&schema, r.as_ref());
    let client = ctx
        .clients
        .get(&c.provider)
        .cloned()
        .ok_or_else(|| format!("provider {} is not configured", c.provider))?;
    let prior = if op == Op::Update {
        lock(&ctx.shared).state.resources.get(&c.addr).map(|i| i.value.clone())
    } else {
        None
    };
    ensure_ephemeral(ctx, &c.addr.resource).await?;
    let (config, config_sensitive) = final_config(ctx, c, &schema.block, prior.as_ref())?;
    let mut proposal = propose(&schema.block, prior.as_ref(), &config);
    client
        .plan(PlanRequest {
            type_name: &c.addr.resource.type_name,
            prior: prior.as_ref(),
            config: &config,
            planned: &mut proposal.planned,
            requires_replace: &mut proposal.replace_paths,
        })
        .map_err(|e| e.to_string())?;
    let planned = proposal.planned;
    if let Some(expected) = &c.after {
        let mut errs = Vec::new();
        check_consistent(&schema.block, expected, &planned, "", &mut errs);
        if !errs.is_empty() {
            return Err(format!(
                "Provider produced inconsistent final plan: when expanding the plan for {}, the values of {} differ from what the plan showed. This is a bug in infra or in the provider; the plan was not applied to this resource.",
                c.addr,
                errs.join(", ")
            ));
        }
    }
    let mut after_sensitive = config_sensitive;
    after_sensitive.extend(sensitive_paths(&schema.block, &planned));
    after_sensitive.sort();
    after_sensitive.dedup();
    let dependencies = c.dependencies.clone();
    let cbd = c.create_before_destroy;
    let result = if op == Op::Create {
        // An intent left by an interrupted create (its object found but unfinished, or not found yet): the
        // create resumes with the same token, and looks for what the first attempt made before creating.
        let resumed = match lock(&ctx.shared).state.resources.get(&c.addr).map(|i| &i.status) {
            Some(InstanceStatus::Creating { token, .. }) => Some(token.clone()),
            _ => None,
        };
        let look_first = resumed.is_some();
        let token = resumed.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let intent = {
            // The intent, durable before the cloud is asked.
            let mut sh = lock(&ctx.shared);
            let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
            let mut deposed = Vec::new();
            if let Some(old) = sh.state.resources.get(&c.addr).cloned() {
                deposed = old.deposed.clone();
                if c.action == Action::Replace
                    && cbd
                    && matches!(old.status, InstanceStatus::Ready | InstanceStatus::Tainted)
                {
                    deposed.push(Deposed {
                        key: format!("{:08x}", rand_key()),
                        value: old.value.clone(),
                    });
                }
            }
            let intent_value = kept(&schema.block, &strip_unknowns(&planned));
            let mut inst = ResourceInstance::ready(c.provider.clone(), intent_value);
            inst.status = InstanceStatus::Creating {
                token: token.clone(),
                started,
            };
            inst.sensitive_paths = after_sensitive.clone();
            inst.dependencies = dependencies.clone();
            inst.create_before_destroy = cbd;
            inst.deposed = deposed;
            inst.schema_version = schema.version;
            sh.state.resources.insert(c.addr.clone(), inst);
            ctx.writer.request()
        };
        // The intent must be durable before the cloud is asked; it shares its write with the intents and
        // results of the operations running now.
        ctx.writer.wait(intent).await?;
        let octx = op_ctx(ctx, c, token, timeouts.create, pauser);
        *status.lock().unwrap_or_else(|e| e.into_inner()) = Some(octx.clone());
        let op = Creating {
            ctx,
            client: client.as_ref(),
            octx: &octx,
            c,
            schema: &schema.block,
            config: &config,
        };
        create_resolving(&op, &planned, look_first).await
    } else {
        let octx = op_ctx(ctx, c, String::new(), timeouts.update, pauser);
        *status.lock().unwrap_or_else(|e| e.into_inner()) = Some(octx.clone());
        client
            .update(
                &octx,
                &c.addr.resource.type_name,
                prior.as_ref().unwrap_or(&Value::Null),
                &planned,
            )
            .await
    };
    let mut sh = lock(&ctx.shared);
    match result {
        Ok(v) => {
            let v = kept(&schema.block, &v);
            let id = v.get_str("id").map(str::to_string);
            let deposed = sh
                .state
                .resources
                .get(&c.addr)
                .map(|i| i.deposed.clone())
                .unwrap_or_default();
            let mut inst = ResourceInstance::ready(c.provider.clone(), v.clone());
            inst.sensitive_paths = after_sensitive.clone();
            inst.dependencies = dependencies;
            inst.create_before_destroy = cbd;
            inst.deposed = deposed;
            inst.schema_version = schema.version;
            sh.state.resources.insert(c.addr.clone(), inst);
            let marked = mark_sensitive(&schema.block, v, &after_sensitive);
            sh.set_value(&c.addr, Some(marked));
            ctx.writer.request();
            Ok(id)
        }
        Err(e) => {
            let msg = describe_error(c, &e);
            if let Some(partial) = e.partial.as_deref() {
                // The object exists but is not usable: keep it, tainted (create) or as it now is (update).
                // A create whose later step failed ambiguously stays an intent instead, with what is known
                // of the object: the next run finds it and finishes its create rather than replacing it.
                let v = kept(&schema.block, partial);
                if let Some(inst) = sh.state.resources.get_mut(&c.addr) {
                    inst.value = v;
                    if op == Op::Create && !e.is_ambiguous() {
                        inst.status = InstanceStatus::Tainted;
                    }
                }
            } else if op == Op::Create && definitive(&e) {
                // The cloud refused the create: nothing was made. Forget the intent (keep a deposed object).
                let keep_deposed = sh
                    .state
                    .resources
                    .get(&c.addr)
                    .map(|i| i.deposed.clone())
                    .unwrap_or_default();
                if keep_deposed.is_empty() {
                    sh.state.resources.remove(&c.addr);
                } else if let Some(inst) = sh.state.resources.get_mut(&c.addr) {
                    // Restore the deposed object as current: the replacement never happened.
                    let mut deposed = keep_deposed;
                    let last = deposed.pop().expect("non-empty");
                    inst.value = last.value;
                    inst.status = InstanceStatus::Ready;
                    inst.deposed = deposed;
                }
            }
            ctx.writer.request();
            Err(msg)
        }
    }
}

/// One create in progress: what resolving its outcome needs.
#[derive(Clone, Copy)]
struct Creating<'a> {
    ctx: &'a Ctx,
    client: &'a dyn ProviderClient,
    octx: &'a OpContext,
    c: &'a ResourceChange,
    schema: &'a Block,
    /// The instance's configuration, evaluated now.
    config: &'a Value,
}

/// How many times one create looks again (and creates again) after an ambiguous failure.
const AMBIGUOUS_RETRIES: u32 = 4;

/// Creates an object so that an ambiguous outcome never makes a second one. Each round either creates
/// or — after an ambiguous failure, or when resuming an interrupted create (`look_first`) — asks the
/// provider's `find_created` first: a found object whose create is unfinished is finished
/// (`finish_create`), a finished one is brought to the plan (`converge_found`), and nothing found means
/// the create is made again. A round that fails ambiguously is followed by another after a growing pause,
/// a few times. An error while looking, finishing or converging is made `Ambiguous`, so that the intent
/// stays and the next run looks (and finishes) again.
async fn create_resolving(op: &Creating<'_>, planned: &Value, mut look_first: bool) -> Result<Value, ProviderError> {
    let Creating { client, octx, .. } = *op;
    let type_name = op.c.addr.resource.type_name.as_str();
    // A found object: finished if its create is not, then brought to the plan.
    let settle = |found: Value| async move {
        let steps = client.unfinished(type_name, &found, planned);
        if steps.is_empty() {
            return converge_found(op, found).await;
        }
        octx.set_status(format!("finishing its create: {}", steps.join(", ")));
        client.finish_create(octx, type_name, &found, planned).await
    };
    let mut retries = 0;
    loop {
        let round = async {
            if look_first {
                octx.set_status("looking for what an earlier attempt made");
                let found = client
                    .find_created(octx, type_name, planned)
                    .await
                    .map_err(|e| (e, true))?;
                if let Some(found) = found {
                    return settle(found).await.map_err(|e| (e, true));
                }
            }
            match client.create(octx, type_name, planned).await {
                // "Already exists" may be this create's own object, made by an attempt whose answer was
                // lost: `find_created` only finds objects that carry this address and lineage.
                Err(e) if says_already_exists(&e) => match client.find_created(octx, type_name, planned).await {
                    Ok(Some(found)) => settle(found).await.map_err(|e| (e, true)),
                    _ => Err((e, false)),
                },
                other => other.map_err(|e| (e, false)),
            }
        };
        match round.await {
            Ok(v) => return Ok(v),
            Err((e, _)) if e.is_ambiguous() && retries < AMBIGUOUS_RETRIES => {
                retries += 1;
                octx.set_status(format!(
                    "the create may have taken effect ({e}); looking before trying again"
                ));
                // A pause that grows (half a poll interval, then one, two, four): what a fault outlasts.
                octx.sleep(octx.poll_interval * 2u32.pow(retries) / 4).await;
                look_first = true;
            }
            // Something exists (or may): keep the intent.
            Err((e, true)) => return Err(open(e)),
            Err((e, false)) => return Err(e),
        }
    }
}

/// True when a create was refused because its object (or one of its name) exists already.
fn says_already_exists(e: &ProviderError) -> bool {
    let code = e.code.as_deref().unwrap_or_default();
    ["AlreadyExists", "Duplicate", "ResourceExists", "AlreadyOwnedByYou"]
        .iter()
        .any(|c| code.contains(c))
}

/// Makes an error of looking for, finishing or converging a found object leave the intent in place.
fn open(mut e: ProviderError) -> ProviderError {
    if e.partial.is_none() {
        e.kind = ErrorKind::Ambiguous;
    }
    e
}

/// Brings a found object to the plan, as the next plan would: the provider's diff of the object against
/// the configuration, and the in-place update it calls for. A difference that needs a replacement is
/// left to the next plan, which shows it; the found object is what state records now.
async fn converge_found(op: &Creating<'_>, found: Value) -> Result<Value, ProviderError> {
    let Creating {
        ctx,
        client,
        octx,
        c,
        schema,
        config,
    } = *op;
    let found = conform(schema, &found);
    let mut config = config.clone();
    if let Some(r) = ctx.cfg.resources.get(&c.addr.resource) {
        apply_ignore_changes(&mut config, Some(&found), &r.lifecycle.ignore_changes);
    }
    let mut p = propose(schema, Some(&found), &config);
    client.plan(PlanRequest {
        type_name: &c.addr.resource.type_name,
        prior: Some(&found),
        config: &config,
        planned: &mut p.planned,
        requires_replace: &mut p.replace_paths,
    })?;
    if !p.replace_paths.is_empty() || kept(schema, &p.planned) == found {
        return Ok(found);
    }
    octx.set_status("found what an earlier attempt made; updating it to the plan");
    client
        .update(octx, &c.addr.resource.type_name, &found, &p.planned)
        .await
}

/// True when the error shows the cloud refused the request (so nothing was created).
fn definitive(e: &ProviderError) -> bool {
    matches!(e.kind, ErrorKind::Invalid | ErrorKind::Config)
        || (matches!(e.kind, ErrorKind::Other | ErrorKind::NotFound) && e.code.is_some())
}

fn describe_error(c: &ResourceChange, e: &ProviderError) -> String {
    let verb = match c.action {
        Action::Create | Action::Replace => "creating",
        Action::Update => "updating",
        Action::Delete => "deleting",
        Action::Read => "reading",
        Action::NoOp => "handling",
    };
    format!("{verb} {}: {e}", c.addr)
}

fn rand_key() -> u32 {
    let u = uuid::Uuid::new_v4();
    u32::from_le_bytes(u.as_bytes()[..4].try_into().expect("4 bytes"))
}

fn strip_unknowns(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.iter().map(strip_unknowns).collect()),
        Value::Set(items) => Value::set(items.iter().map(strip_unknowns).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (k.clone(), strip_unknowns(x))).collect()),
        other => other.clone(),
    }
}

async fn delete(
    ctx: &Arc<Ctx>,
    c: &ResourceChange,
    pauser: Arc<SlotPauser>,
    status: &Mutex<Option<OpContext>>,
) -> Result<Option<String>, String> {
    let schema = schema_of(ctx, c)?.clone();
    let r = ctx.cfg.resources.get(&c.addr.resource).cloned();
    let timeouts = timeouts_for(&schema, r.as_ref());
    let client = ctx
        .clients
        .get(&c.provider)
        .cloned()
        .ok_or_else(|| format!("provider {} is not configured", c.provider))?;
    // Which object: the deposed one (explicit, or the old half of +/-), else the current one.
    let (target, deposed_key) = {
        let sh = lock(&ctx.shared);
        let inst = sh.state.resources.get(&c.addr);
        match (&c.deposed, c.action, c.create_before_destroy) {
            (Some(k), _, _) => (
                inst.and_then(|i| i.deposed.iter().find(|d| &d.key == k))
                    .map(|d| d.value.clone()),
                Some(k.clone()),
            ),
            (None, Action::Replace, true) => {
                let d = inst.and_then(|i| i.deposed.last());
                (d.map(|d| d.value.clone()), d.map(|d| d.key.clone()))
            }
            _ => (inst.map(|i| i.value.clone()).or_else(|| c.before.clone()), None),
        }
    };
    let Some(target) = target else {
        return Ok(None);
    };
    let id = target.get_str("id").map(str::to_string);
    let octx = op_ctx(ctx, c, String::new(), timeouts.delete, pauser);
    *status.lock().unwrap_or_else(|e| e.into_inner()) = Some(octx.clone());
    let result = client.delete(&octx, &c.addr.resource.type_name, &target).await;
    let mut sh = lock(&ctx.shared);
    match result {
        Ok(()) => {
            match &deposed_key {
                Some(k) => {
                    if let Some(inst) = sh.state.resources.get_mut(&c.addr) {
                        inst.deposed.retain(|d| &d.key != k);
                    }
                }
                None => {
                    sh.state.resources.remove(&c.addr);
                    if c.action == Action::Delete {
                        sh.set_value(&c.addr, None);
                    }
                }
            }
            ctx.writer.request();
            Ok(id)
        }
        Err(e) => Err(describe_error(c, &e)),
    }
}

async fn read_data(ctx: &Arc<Ctx>, c: &ResourceChange) -> Result<Option<String>, String> {
    let schema = schema_of(ctx, c)?.clone();
    let client = ctx
        .clients
        .get(&c.provider)
        .cloned()
        .ok_or_else(|| format!("provider {} is not configured", c.provider))?;
    let (config, sens) = final_config(ctx, c, &schema.block, None)?;
    if !config.is_wholly_known() {
        return Err(format!(
            "the configuration of {} is still not known during apply",
            c.addr
        ));
    }
    let v = client
        .read_data(&c.addr.resource.type_name, &config)
        .await
        .map_err(|e| describe_error(c, &e))?;
    let v = conform(&schema.block, &v);
    let mut sh = lock(&ctx.shared);
    let mut inst = ResourceInstance::ready(c.provider.clone(), v.clone());
    inst.sensitive_paths = sens.clone();
    inst.dependencies = c.dependencies.clone();
    sh.state.resources.insert(c.addr.clone(), inst);
    sh.set_value(&c.addr, Some(mark_sensitive(&schema.block, v, &sens)));
    ctx.writer.request();
    Ok(None)
}

#[cfg(test)]
mod tests;
