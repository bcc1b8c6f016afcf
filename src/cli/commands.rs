//! One function per command: resolve settings, load configuration and state, call the engine, print.

use super::CliError;
use super::args::{
    ApplyArgs, Cli, Command, CostArgs, CostCommand, CostFormat, DestroyArgs, EnvArgs, EnvCommand, FmtArgs, ImportArgs,
    InitArgs, OutputArgs, PlanArgs, PlanningArgs, PolicyArgs, PolicyMode, RefreshPricesArgs, ShowArgs, StateCommand,
    VarArgs,
};
use super::backend;
use super::settings::{self, Settings};
use super::ui::{Printer, Ui};
use crate::addrs::{InstanceAddr, InstanceKey, Mode};
use crate::apply::{self, ApplyOptions, Outcome};
use crate::backend_set::BackendSet;
use crate::config::{Config, display_path};
use crate::cost;
use crate::diag::{Diagnostics, Severity};
use crate::encryption::Encryptors;
use crate::plan::planner::{self, PlanOptions, configure_provider};
use crate::plan::{Plan, PlanMode, json, planfile, render, vars};
use crate::policy;
use crate::provider_set::ProviderSet;
use crate::state::local::LocalBlob;
use crate::state::{LockInfo, ResourceInstance, State, StateStore};
use infra_backend::{Backend, StateBlob};
use infra_provider::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What a command works with besides its flags: the providers and backends built in, and the terminal.
pub struct Tools<'a> {
    pub providers: &'a ProviderSet,
    pub backends: &'a BackendSet,
    pub ui: &'a Ui,
}

pub async fn run(cli: Cli, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let (providers, ui) = (t.providers, t.ui);
    match cli.command {
        Command::Init(a) => init(&dir, &a, t).await,
        Command::Validate => validate(&dir, providers, ui),
        Command::Plan(a) => plan_cmd(&dir, a, matches, t).await,
        Command::Apply(a) => apply_cmd(&dir, a, matches, t).await,
        Command::Destroy(a) => destroy_cmd(&dir, a, matches, t).await,
        Command::State(s) => state_cmd(&dir, s, t).await,
        Command::Import(a) => import_cmd(&dir, a, matches, t).await,
        Command::Output(a) => output_cmd(&dir, a, t).await,
        Command::Graph => graph_cmd(&dir, ui),
        Command::Fmt(a) => fmt_cmd(&dir, a, ui),
        Command::ForceUnlock(a) => force_unlock(&dir, &a, t).await,
        Command::Show(a) => show_cmd(&dir, &a, t).await,
        Command::Env(EnvCommand::List { state }) => env_list(&dir, state, t).await,
        Command::Cost(CostArgs {
            command: Some(CostCommand::RefreshPrices(a)),
            ..
        }) => refresh_prices(&a, providers, ui).await,
        Command::Cost(a) => cost_cmd(&dir, a, matches, t).await,
        Command::Policy(a) => policy_cmd(&dir, a, matches, t).await,
    }
}

/// Loads the configuration; any error ends the command (nothing has been changed).
fn load_config(dir: &Path, ui: &Ui) -> Result<Config, CliError> {
    load_config_with(dir, None, ui)
}

/// Loads the configuration. With the providers, a configuration that has errors (an unsupported block,
/// a bad meta-argument) is also checked against their schemas, so that one run reports every error:
/// the unsupported types and arguments elsewhere too, not only the first kind found.
fn load_config_with(dir: &Path, providers: Option<&ProviderSet>, ui: &Ui) -> Result<Config, CliError> {
    if !dir.is_dir() {
        return Err(CliError::new(format!(
            "configuration directory {} does not exist",
            display_path(dir)
        )));
    }
    let (cfg, mut diags) = Config::load(dir);
    if diags.has_errors()
        && let Some(p) = providers
    {
        let cfg = Arc::new(cfg);
        for d in crate::validate::validate(cfg.clone(), p, true).0 {
            if !diags.0.iter().any(|e| e.span == d.span && e.summary == d.summary) {
                diags.push(d);
            }
        }
        diags.0.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
        return Err(CliError::diags(&diags, &cfg.sources));
    }
    report(&diags, &cfg, ui)?;
    Ok(cfg)
}

/// Prints warnings; turns errors into the command's error.
fn report(diags: &Diagnostics, cfg: &Config, ui: &Ui) -> Result<(), CliError> {
    if diags.has_errors() {
        return Err(CliError::diags(diags, &cfg.sources));
    }
    let warnings = Diagnostics(
        diags
            .0
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .cloned()
            .collect(),
    );
    if !warnings.is_empty() {
        ui.info(crate::diag::render(&warnings, &cfg.sources).trim_end());
    }
    Ok(())
}

/// A state opened for a command: settings, the store (with the configuration's encryption), the backend
/// it is in (`None` with `--state PATH`), and the encryptors of states and plans.
struct Opened {
    settings: Settings,
    store: Arc<StateStore>,
    backend: Option<Arc<dyn Backend>>,
    encryptors: Encryptors,
}

async fn open_state(dir: &Path, env: &EnvArgs, cfg: Option<&Config>, t: &Tools<'_>) -> Result<Opened, CliError> {
    settings::validate_env_name(&env.env)?;
    let lock_timeout = settings::parse_lock_timeout(&env.lock_timeout)?;
    let encryptors = backend::encryptors(cfg, t.backends).await?;
    let (blob, backend): (Arc<dyn StateBlob>, _) = match &env.state {
        Some(p) => (Arc::new(LocalBlob::new(p)), None),
        None => {
            let b = backend::for_command(cfg, dir, t.backends).await?;
            (b.state(&env.env), Some(b))
        }
    };
    let store = Arc::new(StateStore::new(blob, encryptors.state.clone()));
    Ok(Opened {
        settings: Settings {
            config_dir: dir.to_path_buf(),
            env: env.env.clone(),
            location: store.describe(),
            lock_timeout,
        },
        store,
        backend,
        encryptors,
    })
}

/// Says on stderr when the environment has no state yet while others have (a typo in `--env` would
/// otherwise plan to create everything again), and when a state sits where infra kept it before it
/// resolved the local default against the configuration directory.
async fn note_missing_state(o: &Opened, ui: &Ui) {
    let Some(b) = &o.backend else { return };
    if let Ok(envs) = b.environments().await {
        let others: Vec<&str> = envs
            .iter()
            .map(String::as_str)
            .filter(|e| *e != o.settings.env)
            .collect();
        if !others.is_empty() && !envs.contains(&o.settings.env) {
            ui.warn(&format!(
                "environment `{}` has no state yet; known: {}",
                o.settings.env,
                others.join(", ")
            ));
        }
    }
    if b.kind() == "local" {
        let old = PathBuf::from("state")
            .join(settings::stack_name(&o.settings.config_dir))
            .join(format!("{}.tfstate.json", o.settings.env));
        let here = std::fs::canonicalize(&old).ok();
        let used = std::fs::canonicalize(&o.settings.location).ok();
        if here.is_some() && here != used {
            ui.warn(&format!(
                "a state for this environment exists at {} (where infra used to keep it when run from this directory); this run uses {}. Move it there to keep using it.",
                display_path(&old),
                o.settings.location
            ));
        }
    }
}

/// Holds the state lock for as long as it lives; release it with [`Locked::release`] (dropping it
/// releases it too, blocking).
struct Locked {
    store: Arc<StateStore>,
    id: String,
    released: bool,
}

impl Locked {
    async fn release(mut self) {
        self.released = true;
        let _ = self.store.unlock(&self.id).await;
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(h) = tokio::runtime::Handle::try_current()
            && h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        {
            let store = self.store.clone();
            let id = self.id.clone();
            tokio::task::block_in_place(|| {
                let _ = h.block_on(store.unlock(&id));
            });
        }
    }
}

async fn lock(store: &Arc<StateStore>, operation: &str, timeout: Duration) -> Result<Locked, CliError> {
    let info = LockInfo::new(operation);
    let first = if timeout.is_zero() {
        store.lock(&info, timeout).await
    } else {
        match store.lock(&info, Duration::ZERO).await {
            Err(crate::state::StateError::Locked { info: holder, .. }) => {
                eprintln!(
                    "Waiting up to {} for the state lock held by {} ({}, ID {})...",
                    humantime::format_duration(timeout),
                    holder.who,
                    holder.operation,
                    holder.id
                );
                store.lock(&info, timeout).await
            }
            other => other,
        }
    };
    if let Some(stale) = first? {
        eprintln!(
            "Note: took over lock {} of an earlier {} ({}, pid {}) that ended without releasing it",
            stale.id, stale.operation, stale.who, stale.pid
        );
    }
    Ok(Locked {
        store: store.clone(),
        id: info.id,
        released: false,
    })
}

async fn load_state(store: &StateStore) -> Result<State, CliError> {
    Ok(store.load().await?.unwrap_or_default())
}

fn plan_options(p: &PlanningArgs, mode: PlanMode) -> Result<PlanOptions, CliError> {
    let parse = |list: &[String], flag: &str| -> Result<Vec<InstanceAddr>, CliError> {
        list.iter()
            .map(|s| {
                s.parse::<InstanceAddr>()
                    .map_err(|e| CliError::usage(format!("invalid --{flag}: {e}")))
            })
            .collect()
    };
    let mode = if p.refresh_only { PlanMode::RefreshOnly } else { mode };
    if p.refresh_only && !p.refresh {
        return Err(CliError::usage(
            "--refresh-only and --refresh=false cannot be used together",
        ));
    }
    // `--target module.net` names a module instance, not a resource.
    let (module_targets, targets): (Vec<&String>, Vec<&String>) = p.target.iter().partition(|t| {
        t.starts_with("module.") && t.parse::<InstanceAddr>().is_err() && t.parse::<crate::addrs::ModulePath>().is_ok()
    });
    let targets: Vec<String> = targets.into_iter().cloned().collect();
    Ok(PlanOptions {
        mode,
        refresh: p.refresh,
        targets: parse(&targets, "target")?,
        module_targets: module_targets.into_iter().filter_map(|t| t.parse().ok()).collect(),
        replace: parse(&p.replace, "replace")?,
        offline: false,
    })
}

/// The configuration, settings, locked store, state and raw variables of a planning command.
struct Prepared {
    cfg: Arc<Config>,
    settings: Settings,
    store: Arc<StateStore>,
    encryptors: Encryptors,
    lock: Option<Locked>,
    state: State,
    raw_vars: BTreeMap<String, Value>,
}

async fn prepare(
    dir: &Path,
    env: &EnvArgs,
    vars_args: &VarArgs,
    matches: &clap::ArgMatches,
    operation: &str,
    take_lock: bool,
    t: &Tools<'_>,
) -> Result<Prepared, CliError> {
    let ui = t.ui;
    settings::validate_env_name(&env.env)?;
    let mut cfg = load_config_with(dir, Some(t.providers), ui)?;
    // Variables first: a bad --var is an error before any state or cloud is touched.
    let flags = settings::var_flags(matches, &vars_args.vars, &vars_args.var_files);
    let env_vars: Vec<(String, String)> = std::env::vars().collect();
    let (raw_vars, d) = vars::collect(&mut cfg, &env.env, &flags, &env_vars);
    report(&d, &cfg, ui)?;
    let opened = open_state(dir, env, Some(&cfg), t).await?;
    ui.info(&settings::announce(&opened.settings, operation));
    let lock = if take_lock {
        Some(lock(&opened.store, operation, opened.settings.lock_timeout).await?)
    } else {
        None
    };
    let state = match opened.store.load().await? {
        Some(s) => s,
        None => {
            note_missing_state(&opened, ui).await;
            State::default()
        }
    };
    if let Err(e) = check_state_types(&state, &opened.store, t.providers) {
        if let Some(l) = lock {
            l.release().await;
        }
        return Err(e);
    }
    Ok(Prepared {
        cfg: Arc::new(cfg),
        settings: opened.settings,
        store: opened.store,
        encryptors: opened.encryptors,
        lock,
        state,
        raw_vars,
    })
}

async fn make_plan(p: &Prepared, providers: &ProviderSet, opts: &PlanOptions, ui: &Ui) -> Result<Plan, CliError> {
    let (plan, diags) = planner::plan(
        p.cfg.clone(),
        providers,
        p.state.clone(),
        p.raw_vars.clone(),
        &p.settings.env,
        opts,
    )
    .await;
    report(&diags, &p.cfg, ui)?;
    plan.ok_or_else(|| CliError::diags(&diags, &p.cfg.sources))
}

/// Every stored object's attributes must have the types its schema gives them: a state edited by hand (or
/// by another tool) into something else is an error naming the state and the attribute, before any
/// cloud call, instead of a plan built on values the provider cannot read.
fn check_state_types(state: &State, store: &StateStore, providers: &ProviderSet) -> Result<(), CliError> {
    for (addr, inst) in &state.resources {
        let Ok(schema) = providers.schema(&inst.provider.name, &addr.resource) else {
            continue;
        };
        if inst.schema_version > schema.version {
            return Err(CliError::new(format!(
                "the state {} is not valid: resource {addr} was stored with schema version {} of {}, newer than this infra's ({}): upgrade infra to use this state",
                store.describe(),
                inst.schema_version,
                addr.resource.type_name,
                schema.version
            )));
        }
        if let Some(e) = crate::plan::diff::type_error(&schema.block, &inst.value) {
            return Err(CliError::new(format!(
                "the state {} is not valid: resource {addr}: attribute {e}",
                store.describe()
            )));
        }
    }
    Ok(())
}

/// A file a command is asked to write (`--out`, `--markdown`): its directory must exist and take a new
/// file. Checked before the plan, so that a typo in the path costs nothing.
fn writable_destination(path: &Path) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::new(format!(
            "cannot write {}: the directory {} does not exist",
            display_path(path),
            display_path(dir)
        )));
    }
    if path.is_dir() {
        return Err(CliError::new(format!(
            "cannot write {}: it is a directory",
            display_path(path)
        )));
    }
    let probe = dir.join(format!(".infra-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", display_path(path))))
}

/// Reads and checks the usage file `plan --usage` names: its text (kept in a saved plan, so that the plan
/// shows the same cost later) and what it says. A file that cannot be read or is malformed is an error,
/// before any cloud call.
fn read_usage(path: &Path) -> Result<((String, String), cost::Usage), CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::new(format!("cannot read usage file {}: {e}", display_path(path))))?;
    let u = cost::Usage::parse(path, &text).map_err(|e| CliError::new(e.to_string()))?;
    Ok(((display_path(path), text), u))
}

/// Every address a usage file names must be a resource of the configuration (a typo would otherwise
/// price nothing, silently).
fn usage_addresses_known(u: &cost::Usage, cfg: &Config) -> Result<(), CliError> {
    // Resources in modules are named with their module instance keys, which need the variables: a module
    // resource is known when its address without the keys is.
    let flat = crate::config::expand(&Arc::new(cfg.clone()), None, "default").0;
    let unkeyed = |r: &crate::addrs::ResourceAddr| {
        let mut r = r.clone();
        for (_, k) in r.module.0.iter_mut() {
            *k = crate::addrs::InstanceKey::None;
        }
        r
    };
    for (addr, line) in u.addresses() {
        let base = addr.strip_suffix("[*]").unwrap_or(addr);
        let known = base
            .parse::<crate::addrs::InstanceAddr>()
            .is_ok_and(|a| flat.resources.contains_key(&unkeyed(&a.resource)));
        if !known {
            let file = u.file().map(display_path).unwrap_or_default();
            return Err(CliError::new(format!(
                "{file}:{line}: resource_usage names {addr}, which is not a resource of the configuration"
            )));
        }
    }
    Ok(())
}

/// The cost delta of a plan (with the usage file text the plan carries); a problem pricing it is a
/// warning, never a failed plan.
fn plan_cost(plan: &Plan, ui: &Ui) -> Option<cost::CostDelta> {
    let usage = match &plan.usage {
        Some((name, text)) => match cost::Usage::parse(Path::new(name), text) {
            Ok(u) => u,
            Err(e) => {
                ui.warn(&format!("cost not estimated: {e}"));
                return None;
            }
        },
        None => cost::Usage::empty(),
    };
    let catalog = cost::Catalog::bundled();
    let before = cost::assemble::priced(&cost::assemble::from_state(&plan.prior), &plan.regions);
    let after = cost::assemble::priced(&cost::assemble::after_plan(plan), &plan.regions);
    match (
        cost::estimate(&catalog, &usage, &before),
        cost::estimate(&catalog, &usage, &after),
    ) {
        (Ok(b), Ok(a)) => Some(cost::delta(&b, &a)),
        (Err(e), _) | (_, Err(e)) => {
            ui.warn(&format!("cost not estimated: {e}"));
            None
        }
    }
}

fn cost_json(d: &cost::CostDelta) -> serde_json::Value {
    serde_json::json!({
        "currency": "USD",
        "monthly_before": d.before.to_string(),
        "monthly_after": d.after.to_string(),
        "monthly_change": d.change.signed(),
        "summary": d.to_string(),
        "unknown_after_apply": d.unknown_after,
        "resources": d.resources.iter().map(|r| serde_json::json!({
            "address": r.address,
            "monthly_before": r.before.map(|m| m.to_string()),
            "monthly_after": r.after.map(|m| m.to_string()),
        })).collect::<Vec<_>>(),
    })
}

fn print_plan(
    plan: &Plan,
    providers: &ProviderSet,
    cost: Option<&cost::CostDelta>,
    policy: Option<&policy::Report>,
    as_json: bool,
    ui: &Ui,
) {
    if as_json {
        let mut j = json::plan_json(plan, providers);
        j["cost"] = cost.map(cost_json).unwrap_or(serde_json::Value::Null);
        if let Some(p) = policy {
            j["infra_policy"] = policy::render::json(p);
        }
        ui.print(&format!("{j}\n"));
        return;
    }
    let mut text = render::render_plan(plan, providers, ui.out);
    if let Some(c) = cost {
        text.push_str(&format!("\n{}\n", ui.out.bold(&c.to_string())));
    }
    if let Some(p) = policy {
        text.push_str(&policy::render::text(p, ui.out));
    }
    ui.print(&text);
}

/// The Markdown summary of a plan, with its policy section.
fn plan_markdown(
    plan: &Plan,
    providers: &ProviderSet,
    cost: Option<&cost::CostDelta>,
    policy: Option<&policy::Report>,
) -> String {
    let mut text = crate::plan::markdown::render(plan, providers, cost);
    if let Some(p) = policy {
        text.push_str(&format!("\n{}", policy::render::markdown(p)));
    }
    text
}

/// The policy report of a plan (none for `--policy=off` and destroy plans). A malformed policy file is
/// an error; a configuration the rules cannot reload is a warning.
fn plan_policy(dir: &Path, plan: &Plan, mode: PolicyMode, ui: &Ui) -> Result<Option<policy::Report>, CliError> {
    if mode == PolicyMode::Off || plan.mode == PlanMode::Destroy {
        return Ok(None);
    }
    let file = policy::PolicyFile::load(dir).map_err(CliError::new)?;
    match policy::World::from_plan(plan) {
        Ok(world) => Ok(Some(policy::check(&world, &file.for_env(&plan.env)))),
        Err(d) => {
            ui.warn(&format!(
                "policy not checked: {}",
                d.errors().next().map(|e| e.to_string()).unwrap_or_default()
            ));
            Ok(None)
        }
    }
}

/// `--policy=error` with an unwaived error: the command fails.
fn policy_gate(mode: PolicyMode, report: Option<&policy::Report>, what: &str) -> Result<(), CliError> {
    match report {
        Some(r) if mode == PolicyMode::Error && r.has_errors() => Err(CliError::new(format!(
            "the plan breaks {} policy rule(s) (--policy=error): {what}. Fix them, or waive one with `# infra:waive RULE: reason` next to the resource",
            r.count(policy::Level::Error)
        ))),
        _ => Ok(()),
    }
}

async fn plan_cmd(dir: &Path, a: PlanArgs, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let mode = if a.destroy { PlanMode::Destroy } else { PlanMode::Normal };
    let opts = plan_options(&a.planning, mode)?;
    // Where the plan goes and what it is priced with are checked before anything else happens.
    for f in [&a.out, &a.markdown].into_iter().flatten() {
        writable_destination(f)?;
    }
    let usage = match &a.usage {
        Some(u) => Some(read_usage(u)?),
        None => None,
    };
    let mut prepared = prepare(dir, &a.env, &a.vars, matches, "plan", a.lock, t).await?;
    let checked = match &usage {
        Some((_, u)) => usage_addresses_known(u, &prepared.cfg),
        None => Ok(()),
    };
    let plan = match checked {
        Ok(()) => make_plan(&prepared, t.providers, &opts, ui).await,
        Err(e) => Err(e),
    };
    if let Some(l) = prepared.lock.take() {
        l.release().await;
    }
    let mut plan = plan?;
    plan.usage = usage.map(|(text, _)| text);
    let cost = plan_cost(&plan, ui);
    let policy = plan_policy(dir, &plan, a.planning.policy, ui)?;
    print_plan(&plan, t.providers, cost.as_ref(), policy.as_ref(), a.json, ui);
    if let Some(md) = &a.markdown {
        let text = plan_markdown(&plan, t.providers, cost.as_ref(), policy.as_ref());
        crate::state::local::write_atomic(md, text.as_bytes())
            .map_err(|e| CliError::new(format!("cannot write {}: {e}", display_path(md))))?;
    }
    policy_gate(
        a.planning.policy,
        policy.as_ref(),
        if a.out.is_some() {
            "the plan was not saved"
        } else {
            "see the findings above"
        },
    )?;
    if let Some(out) = &a.out {
        planfile::save(&plan, out, &prepared.encryptors.plan)
            .await
            .map_err(|e| CliError::new(e.to_string()))?;
        if !a.json {
            ui.info(&format!(
                "Saved the plan to: {}{}\nTo perform exactly these actions, run: infra apply {}",
                display_path(out),
                match prepared.encryptors.plan.describe() {
                    Some(k) => format!(" (encrypted with key_provider.{k})"),
                    None => String::new(),
                },
                display_path(out)
            ));
        }
    }
    if a.detailed_exitcode && plan.has_changes() {
        return Err(CliError::exit(2));
    }
    Ok(())
}

/// `--parallelism N`: a fixed bound if given (at least 1); none by default, where each provider
/// endpoint's adaptive limit bounds the requests in flight.
fn parallelism(n: Option<usize>) -> Result<Option<usize>, CliError> {
    if n == Some(0) {
        return Err(CliError::usage("--parallelism must be at least 1"));
    }
    Ok(n)
}

async fn apply_cmd(dir: &Path, a: ApplyArgs, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let parallelism = parallelism(a.parallelism)?;
    if let Some(file) = &a.plan_file {
        if !a.planning.target.is_empty() || !a.planning.replace.is_empty() {
            return Err(CliError::usage(
                "a saved plan already fixes its targets and replacements: apply it without --target or --replace",
            ));
        }
        let env_given = matches
            .value_source("env")
            .is_some_and(|s| s != clap::parser::ValueSource::DefaultValue);
        return apply_saved(dir, &a, env_given, file, parallelism, matches, t).await;
    }
    let opts = plan_options(&a.planning, PlanMode::Normal)?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "apply", true, t).await?;
    let plan = make_plan(&prepared, t.providers, &opts, ui).await?;
    let cost = plan_cost(&plan, ui);
    let policy = match plan_policy(dir, &plan, a.planning.policy, ui) {
        Ok(p) => p,
        Err(e) => return release(prepared, Err(e)).await,
    };
    print_plan(&plan, t.providers, cost.as_ref(), policy.as_ref(), false, ui);
    if let Err(e) = policy_gate(a.planning.policy, policy.as_ref(), "nothing was applied") {
        return release(prepared, Err(e)).await;
    }
    if !plan.has_changes() && plan.drift.is_empty() && plan.notes.is_empty() {
        ui.print(&format!(
            "\n{} Resources: 0 added, 0 changed, 0 destroyed.\n",
            ui.out.green(&ui.out.bold("Apply complete!"))
        ));
        return release(prepared, Ok(())).await;
    }
    if !a.auto_approve
        && plan.has_changes()
        && !ui.confirm(
            &format!(
                "Do you want to perform these actions in environment {:?}?",
                prepared.settings.env
            ),
            "infra will perform the actions described above.",
        )?
    {
        return release(prepared, Err(CliError::new("Apply cancelled."))).await;
    }
    let result = execute(
        plan,
        prepared.cfg.clone(),
        prepared.store.clone(),
        parallelism,
        t,
        false,
    )
    .await;
    release(prepared, result).await
}

/// Releases a prepared command's lock, then returns its result.
async fn release(mut p: Prepared, result: Result<(), CliError>) -> Result<(), CliError> {
    if let Some(l) = p.lock.take() {
        l.release().await;
    }
    result
}

/// Two raw variable values mean the same (a `--var` string and a `.tfvars` number alike).
fn same_value(a: &Value, b: &Value) -> bool {
    let prim = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(crate::plan::render::render_inline(v)),
        _ => None,
    };
    a == b || (prim(a).is_some() && prim(a) == prim(b))
}

/// The plan encryptor for reading a saved plan: the configuration directory's `encryption` block when it
/// has one, else the `INFRA_STATE_PASSPHRASE` shortcut.
async fn plan_encryptor(dir: &Path, t: &Tools<'_>) -> Result<Arc<crate::encryption::Encryptor>, CliError> {
    let cfg = if dir.is_dir() {
        let (c, d) = Config::load(dir);
        (c.terraform.encryption.is_some() && !d.has_errors()).then_some(c)
    } else {
        None
    };
    Ok(backend::encryptors(cfg.as_ref(), t.backends).await?.plan)
}

async fn load_plan_file(dir: &Path, file: &Path, t: &Tools<'_>) -> Result<Plan, CliError> {
    let enc = plan_encryptor(dir, t).await?;
    planfile::load(file, &enc).await.map_err(|e| {
        let hint = matches!(e, planfile::PlanFileError::Encryption { .. }).then(|| {
            "give the key the plan was encrypted with (INFRA_STATE_PASSPHRASE), or -C the configuration directory whose encryption block encrypted it".to_string()
        });
        let err = CliError::new(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    })
}

async fn apply_saved(
    dir: &Path,
    a: &ApplyArgs,
    env_given: bool,
    file: &Path,
    parallelism: Option<usize>,
    matches: &clap::ArgMatches,
    t: &Tools<'_>,
) -> Result<(), CliError> {
    let ui = t.ui;
    let mut plan = load_plan_file(dir, file, t).await?;
    if env_given && a.env.env != plan.env {
        return Err(CliError::usage(format!(
            "the saved plan {} was made for environment {:?}, not {:?}: a saved plan applies to the environment it was made for",
            display_path(file),
            plan.env,
            a.env.env
        ))
        .with_hint(format!(
            "run infra apply {} without --env, or plan again with --env {}",
            display_path(file),
            a.env.env
        )));
    }
    let (mut cfg, d) = Config::load_saved(&plan.config_dir, &plan.sources);
    report(&d, &cfg, ui)?;
    let flags = settings::var_flags(matches, &a.vars.vars, &a.vars.var_files);
    if !flags.is_empty() {
        let (given, d) = vars::from_flags(&mut cfg, &flags);
        report(&d, &cfg, ui)?;
        let differing: Vec<String> = given
            .iter()
            .filter(|(k, _)| !cfg.variables.get(*k).is_some_and(|v| v.ephemeral))
            .filter(|(k, v)| !plan.variables.get(*k).is_some_and(|p| same_value(p, v)))
            .map(|(k, _)| k.clone())
            .collect();
        if !differing.is_empty() {
            return Err(CliError::usage(format!(
                "the saved plan {} was made with other values of {}: a saved plan applies exactly what was reviewed",
                display_path(file),
                differing.join(", ")
            ))
            .with_hint("plan again with these values, or apply the plan without --var/--var-file"));
        }
    }
    // Ephemeral variables are not in the plan file: they are given again, from the same sources as for
    // a plan (TF_VAR_*, the .tfvars files, --var and --var-file).
    if cfg.variables.values().any(|v| v.ephemeral) {
        let env_vars: Vec<(String, String)> = std::env::vars().collect();
        let (raw, d) = vars::collect(&mut cfg, &plan.env, &flags, &env_vars);
        report(&d, &cfg, ui)?;
        for (k, v) in raw {
            if cfg.variables.get(&k).is_some_and(|d| d.ephemeral) {
                plan.ephemeral_variables.insert(k, v);
            }
        }
    }
    // The plan's own environment and configuration directory, unless given explicitly.
    let env_args = EnvArgs {
        env: plan.env.clone(),
        state: a.env.state.clone(),
        lock_timeout: a.env.lock_timeout.clone(),
    };
    let config_dir = if dir == Path::new(".") {
        plan.config_dir.clone()
    } else {
        dir.to_path_buf()
    };
    let opened = open_state(&config_dir, &env_args, Some(&cfg), t).await?;
    ui.info(&format!(
        "{} (saved plan {})",
        settings::announce(&opened.settings, "apply"),
        display_path(file)
    ));
    let store = opened.store.clone();
    let lock = lock(&store, "apply", opened.settings.lock_timeout).await?;
    let result = async {
        let current = store.load().await?;
        let stale = match &current {
            Some(s) => s.lineage != plan.lineage || s.serial != plan.serial,
            None => plan.serial != 0,
        };
        if stale {
            let now = current
                .map(|s| format!("lineage {}, serial {}", s.lineage, s.serial))
                .unwrap_or_else(|| "no state".into());
            return Err(CliError::new(format!(
                "Saved plan is stale: {} was made from state {} (lineage {}, serial {}), but the state is now {now}",
                display_path(file),
                store.describe(),
                plan.lineage,
                plan.serial
            ))
            .with_hint("run infra plan again to see what would change now"));
        }
        execute(plan, Arc::new(cfg), store.clone(), parallelism, t, false).await
    }
    .await;
    lock.release().await;
    result
}

async fn execute(
    plan: Plan,
    cfg: Arc<Config>,
    store: Arc<StateStore>,
    parallelism: Option<usize>,
    t: &Tools<'_>,
    destroying: bool,
) -> Result<(), CliError> {
    let (providers, ui) = (t.providers, t.ui);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let interrupts = tokio::spawn({
        let style = ui.err;
        async move {
            let mut n = 0;
            while tokio::signal::ctrl_c().await.is_ok() {
                n += 1;
                if n == 1 {
                    eprintln!("\n{}", style.yellow("Interrupt received: no new operations will start; waiting for the ones in flight to finish and recording them in state. Press Ctrl-C again to stop at once (the next plan will find what was created)."));
                    let _ = tx.send(true);
                } else {
                    eprintln!("Stopping now.");
                    std::process::exit(130);
                }
            }
        }
    });
    let progress_interval = std::env::var("INFRA_PROGRESS_INTERVAL_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(10));
    let opts = ApplyOptions {
        parallelism,
        progress_interval,
        poll_interval: infra_provider::default_poll_interval(),
        cancel: rx,
    };
    let printer = Arc::new(Printer::new(ui.out));
    let result = apply::apply(plan, cfg.clone(), providers, store.clone(), opts, printer).await;
    interrupts.abort();
    let (state, outcome) = match result {
        Ok(x) => x,
        Err(d) => return Err(CliError::diags(&d, &cfg.sources)),
    };
    finish(&state, &outcome, ui, destroying)
}

fn finish(state: &State, o: &Outcome, ui: &Ui, destroying: bool) -> Result<(), CliError> {
    if o.ok() {
        let line = if destroying {
            format!(
                "{} Resources: {} destroyed.",
                ui.out.green(&ui.out.bold("Destroy complete!")),
                o.destroyed
            )
        } else {
            format!(
                "{} Resources: {} added, {} changed, {} destroyed.",
                ui.out.green(&ui.out.bold("Apply complete!")),
                o.added,
                o.changed,
                o.destroyed
            )
        };
        ui.print(&format!("\n{line}\n"));
        if !destroying && !state.outputs.is_empty() {
            ui.print(&format!("\n{}\n\n{}", ui.out.bold("Outputs:"), render_outputs(state)));
        }
        return Ok(());
    }
    let mut msg = String::new();
    for (addr, e) in &o.errors {
        if addr == "state" || e.contains(addr.as_str()) {
            msg.push_str(&format!("{e}\n"));
        } else {
            msg.push_str(&format!("{addr}: {e}\n"));
        }
    }
    if !o.diags.is_empty() {
        for d in o.diags.errors() {
            msg.push_str(&format!("{d}\n"));
        }
    }
    let what = if o.interrupted {
        "Apply interrupted"
    } else {
        "Apply failed"
    };
    msg.push_str(&format!(
        "{what}: {} added, {} changed, {} destroyed before it stopped; {} not attempted because something they depend on failed. Every completed operation is recorded in state.",
        o.added,
        o.changed,
        o.destroyed,
        o.skipped.len()
    ));
    Err(CliError::new(msg.trim_end().to_string())
        .with_hint("fix the problem and run infra apply again: it continues from what was done"))
}

fn render_outputs(state: &State) -> String {
    let w = state.outputs.keys().map(|k| k.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (k, o) in &state.outputs {
        let v = if o.sensitive {
            "(sensitive value)".to_string()
        } else {
            render::render_value(&o.value, 0)
        };
        s.push_str(&format!("{k:w$} = {v}\n"));
    }
    s
}

async fn destroy_cmd(dir: &Path, a: DestroyArgs, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let parallelism = parallelism(a.parallelism)?;
    let planning = PlanningArgs {
        refresh: a.refresh,
        refresh_only: false,
        target: a.target.clone(),
        replace: Vec::new(),
        policy: PolicyMode::Off,
    };
    let opts = plan_options(&planning, PlanMode::Destroy)?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "destroy", true, t).await?;
    let plan = make_plan(&prepared, t.providers, &opts, ui).await?;
    let cost = plan_cost(&plan, ui);
    print_plan(&plan, t.providers, cost.as_ref(), None, false, ui);
    if !plan.has_changes() {
        ui.print(&format!(
            "\n{} Resources: 0 destroyed.\n",
            ui.out.green(&ui.out.bold("Destroy complete!"))
        ));
        return release(prepared, Ok(())).await;
    }
    if !a.auto_approve
        && !ui.confirm(
            &format!(
                "Do you really want to destroy all resources in environment {:?}?",
                prepared.settings.env
            ),
            "infra will destroy all your managed infrastructure, as shown above. There is no undo.",
        )?
    {
        return release(prepared, Err(CliError::new("Destroy cancelled."))).await;
    }
    let result = execute(plan, prepared.cfg.clone(), prepared.store.clone(), parallelism, t, true).await;
    release(prepared, result).await
}

async fn init(dir: &Path, a: &InitArgs, t: &Tools<'_>) -> Result<(), CliError> {
    let (providers, ui) = (t.providers, t.ui);
    let cfg = load_config(dir, ui)?;
    settings::validate_env_name(&a.env.env)?;
    for (name, source) in &cfg.terraform.required_providers {
        if providers.get(name).is_none() {
            return Err(CliError::new(format!(
                "the configuration requires provider {name:?}{}, which infra does not include (available: {})",
                if source.is_empty() {
                    String::new()
                } else {
                    format!(" ({source})")
                },
                providers.names().join(", ")
            )));
        }
    }
    let overrides = backend::parse_overrides(&a.backend_config)?;
    let encryptors = backend::encryptors(Some(&cfg), t.backends).await?;
    let (b, moved) = backend::init(
        &cfg,
        dir,
        t.backends,
        &overrides,
        a.migrate_state,
        a.reconfigure,
        &encryptors,
    )
    .await?;
    let location = match &a.env.state {
        Some(p) => display_path(p),
        None => b.state(&a.env.env).location(),
    };
    if b.kind() == "local" || a.env.state.is_some() {
        let state_dir = Path::new(&location).parent().map(Path::to_path_buf).unwrap_or_default();
        std::fs::create_dir_all(&state_dir).map_err(|e| {
            CliError::new(format!(
                "cannot create state directory {}: {e}",
                display_path(&state_dir)
            ))
        })?;
    }
    let used: Vec<String> = cfg
        .provider_keys()
        .iter()
        .map(|k| k.name.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let settings = Settings {
        config_dir: dir.to_path_buf(),
        env: a.env.env.clone(),
        location: location.clone(),
        lock_timeout: Duration::ZERO,
    };
    ui.info(&settings::announce(&settings, "init"));
    let mut out = String::new();
    for line in &moved {
        out.push_str(&format!("{line}\n"));
    }
    if !moved.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!(
        "Providers: {} (built in).\nBackend: {}{}\nState: {location}\n\n{}\n",
        if used.is_empty() {
            "none".to_string()
        } else {
            used.join(", ")
        },
        b.kind(),
        match encryptors.state.describe() {
            Some(k) => format!(" (state encrypted with key_provider.{k})"),
            None => String::new(),
        },
        ui.out.green(&ui.out.bold("infra has been successfully initialized!"))
    ));
    ui.print(&out);
    Ok(())
}

fn validate(dir: &Path, providers: &ProviderSet, ui: &Ui) -> Result<(), CliError> {
    let cfg = Arc::new(load_config_with(dir, Some(providers), ui)?);
    let d = crate::validate::validate(cfg.clone(), providers, false);
    report(&d, &cfg, ui)?;
    ui.print(&format!(
        "{} The configuration is valid.\n",
        ui.out.green(&ui.out.bold("Success!"))
    ));
    Ok(())
}

/// The state of a command that reads or edits state without planning: the configuration is read for its
/// backend and encryption (not needed with `--state PATH`).
async fn store_for(dir: &Path, env: &EnvArgs, t: &Tools<'_>) -> Result<Opened, CliError> {
    let cfg = if env.state.is_some() && !dir.is_dir() {
        None
    } else {
        Some(load_config(dir, t.ui)?)
    };
    open_state(dir, env, cfg.as_ref(), t).await
}

fn parse_addr(s: &str) -> Result<InstanceAddr, CliError> {
    s.parse()
        .map_err(|e: crate::addrs::AddrError| CliError::usage(e.to_string()))
}

async fn state_cmd(dir: &Path, cmd: StateCommand, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    match cmd {
        StateCommand::List { env, addresses } => {
            let o = store_for(dir, &env, t).await?;
            let state = load_state(&o.store).await?;
            let mut out = String::new();
            for (addr, inst) in &state.resources {
                let a = addr.to_string();
                if !addresses.is_empty() && !addresses.iter().any(|p| a.starts_with(p.as_str())) {
                    continue;
                }
                let note = match &inst.status {
                    crate::state::InstanceStatus::Ready => String::new(),
                    crate::state::InstanceStatus::Tainted => " (tainted)".into(),
                    crate::state::InstanceStatus::Creating { .. } => {
                        " (create interrupted; the next plan will look for it)".into()
                    }
                };
                out.push_str(&format!("{a}{note}\n"));
            }
            ui.print(&out);
            Ok(())
        }
        StateCommand::Show { env, address } => {
            let o = store_for(dir, &env, t).await?;
            let state = load_state(&o.store).await?;
            let addr = parse_addr(&address)?;
            let inst = state
                .resources
                .get(&addr)
                .ok_or_else(|| CliError::new(format!("no instance {addr} in state {}", o.store.describe())))?;
            ui.print(&show_instance(&addr, inst));
            Ok(())
        }
        StateCommand::Rm { env, addresses } => {
            let o = store_for(dir, &env, t).await?;
            let parsed = addresses.iter().map(|a| parse_addr(a)).collect::<Result<Vec<_>, _>>()?;
            let lock = lock(&o.store, "state rm", o.settings.lock_timeout).await?;
            let result = async {
                let mut state = load_state(&o.store).await?;
                let mut removed = Vec::new();
                for (a, addr) in addresses.iter().zip(&parsed) {
                    let matching: Vec<InstanceAddr> = state
                        .resources
                        .keys()
                        .filter(|k| *k == addr || (addr.key == InstanceKey::None && k.resource == addr.resource))
                        .cloned()
                        .collect();
                    if matching.is_empty() {
                        return Err(CliError::new(format!(
                            "no instance matches {a} in state {}; nothing was removed",
                            o.store.describe()
                        )));
                    }
                    removed.extend(matching);
                }
                for r in &removed {
                    state.resources.remove(r);
                }
                o.store.persist(&mut state).await?;
                let mut out = String::new();
                for r in removed {
                    out.push_str(&format!("Removed {r}\n"));
                }
                out.push_str("The objects still exist in the cloud; infra no longer manages them.\n");
                ui.print(&out);
                Ok(())
            }
            .await;
            lock.release().await;
            result
        }
        StateCommand::Mv {
            env,
            source,
            destination,
        } => {
            use crate::config::refactor::{Endpoint, Moved, moved_to, names};
            let o = store_for(dir, &env, t).await?;
            let parse = |s: &str| s.parse::<Endpoint>().map_err(|e| CliError::usage(e.to_string()));
            let (from, to) = (parse(&source)?, parse(&destination)?);
            let same_kind = match (&from, &to) {
                (Endpoint::Module(_), Endpoint::Module(_)) => true,
                (
                    Endpoint::Resource(f) | Endpoint::Instance(InstanceAddr { resource: f, .. }),
                    Endpoint::Resource(t) | Endpoint::Instance(InstanceAddr { resource: t, .. }),
                ) => {
                    if f.type_name != t.type_name || f.mode != t.mode {
                        return Err(CliError::usage(format!(
                            "cannot move {from} to {to}: the resource type must stay the same"
                        )));
                    }
                    true
                }
                _ => false,
            };
            if !same_kind {
                return Err(CliError::usage(format!(
                    "cannot move {from} to {to}: move a module to a module, a resource or instance to a resource or instance"
                )));
            }
            let m = Moved {
                from: from.clone(),
                to: to.clone(),
                span: crate::diag::Span::default(),
            };
            let lock = lock(&o.store, "state mv", o.settings.lock_timeout).await?;
            let result = async {
                let mut state = load_state(&o.store).await?;
                let moving: Vec<InstanceAddr> = state
                    .resources
                    .keys()
                    .filter(|a| match (&from, &to) {
                        // A resource moving to one instance address: its instance without a key.
                        (Endpoint::Resource(_), Endpoint::Instance(_)) => names(&from, a) && a.key == InstanceKey::None,
                        _ => names(&from, a),
                    })
                    .cloned()
                    .collect();
                if moving.is_empty() {
                    return Err(CliError::new(format!(
                        "nothing at {from} in state {}",
                        o.store.describe()
                    )));
                }
                let mut moves = Vec::new();
                for a in &moving {
                    let mut dest = moved_to(&m, a);
                    if let (Endpoint::Instance(_), Endpoint::Resource(_)) = (&from, &to) {
                        dest.key = InstanceKey::None;
                    }
                    if state.resources.contains_key(&dest) && !moving.contains(&dest) {
                        return Err(CliError::new(format!(
                            "cannot move {a} to {dest}: {dest} is already in state"
                        )));
                    }
                    moves.push((a.clone(), dest));
                }
                let taken: Vec<_> = moves.iter().filter_map(|(a, _)| state.resources.remove(a)).collect();
                for ((_, dest), inst) in moves.iter().zip(taken) {
                    state.resources.insert(dest.clone(), inst);
                }
                o.store.persist(&mut state).await?;
                let n = moves.len();
                ui.print(&format!(
                    "Move \"{from}\" to \"{to}\"\nSuccessfully moved {n} object{}.\n",
                    if n == 1 { "" } else { "s" }
                ));
                Ok(())
            }
            .await;
            lock.release().await;
            result
        }
        StateCommand::Pull { env } => {
            let o = store_for(dir, &env, t).await?;
            match o.store.load_json().await? {
                Some((json, _)) => {
                    ui.print(&String::from_utf8_lossy(&json));
                    Ok(())
                }
                None => {
                    ui.warn(&format!("there is no state at {} yet", o.store.describe()));
                    Ok(())
                }
            }
        }
        StateCommand::Push { env, file, force } => state_push(dir, &env, &file, force, t).await,
        StateCommand::ImportTerraform { env, file } => import_terraform(dir, &env, file, t).await,
        StateCommand::ExportTerraform { env, out } => {
            let o = store_for(dir, &env, t).await?;
            let Some(state) = o.store.load().await? else {
                return Err(CliError::new(format!(
                    "there is no state at {} to export",
                    o.store.describe()
                )));
            };
            let text = crate::state::terraform::to_terraform(&state, t.providers)
                .map_err(|e| CliError::new(format!("cannot export state {}: {e}", o.store.describe())))?;
            match out {
                None => ui.print(&text),
                Some(path) => {
                    let shown = display_path(&path);
                    writable_destination(&path)?;
                    // It holds secrets: readable by its owner only, like infra's own state files.
                    let mut open = std::fs::OpenOptions::new();
                    open.write(true).create_new(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
                    let mut f = open
                        .open(&path)
                        .map_err(|e| CliError::new(format!("cannot write {shown}: {e}")))?;
                    std::io::Write::write_all(&mut f, text.as_bytes())
                        .and_then(|()| f.sync_all())
                        .map_err(|e| CliError::new(format!("cannot write {shown}: {e}")))?;
                    ui.info(&format!(
                        "Wrote {shown}: a Terraform state of {} resource instances (lineage {}, serial {}). It holds every attribute in plain text, secrets included: keep it where you keep state.",
                        state.resources.len(),
                        state.lineage,
                        state.serial
                    ));
                }
            }
            Ok(())
        }
    }
}

/// `state import-terraform`: a Terraform state read into a new state of the environment.
async fn import_terraform(dir: &Path, env: &EnvArgs, file: Option<PathBuf>, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let file = match file {
        Some(f) => f,
        None => {
            let workspace = dir.join("terraform.tfstate.d").join(&env.env).join("terraform.tfstate");
            if env.env != "default" && workspace.is_file() {
                workspace
            } else {
                dir.join("terraform.tfstate")
            }
        }
    };
    let shown = display_path(&file);
    let text = std::fs::read_to_string(&file).map_err(|e| {
        CliError::new(format!("cannot read the Terraform state {shown}: {e}"))
            .with_hint("give its path: infra state import-terraform PATH (`terraform state pull > PATH` writes a remote one to a file)")
    })?;
    // The configuration tells Terraform's zero values from values it sets; without one (a state moved
    // before its configuration), every zero of an argument without a default is taken as unset.
    let cfg = if dir.is_dir() {
        Some(load_config(dir, ui)?)
    } else {
        None
    };
    let imported = crate::state::terraform::from_terraform(&text, &shown, t.providers, cfg.as_ref())?;
    let o = store_for(dir, env, t).await?;
    let lock = lock(&o.store, "state import-terraform", o.settings.lock_timeout).await?;
    let result = async {
        if let Some(current) = o.store.load().await?
            && !current.resources.is_empty()
        {
            return Err(CliError::new(format!(
                "state {} already manages {} resource instances; import-terraform only starts a new state, and nothing was written",
                o.store.describe(),
                current.resources.len()
            ))
            .with_hint("import into another environment (--env), or empty this one first (infra state rm)"));
        }
        let mut state = imported.state;
        state.serial = 1;
        o.store.write_exact(&state).await?;
        let mut msg = format!(
            "Imported {} resource instances and {} outputs from {shown} ({}) into {} (new lineage {}). Nothing was changed in the cloud.
",
            state.resources.len(),
            state.outputs.len(),
            imported.terraform,
            o.store.describe(),
            state.lineage
        );
        if imported.data_sources > 0 {
            msg.push_str(&format!(
                "{} data source instances were not taken: every plan reads them again.
",
                imported.data_sources
            ));
        }
        if !imported.left.is_empty() {
            msg.push_str(&format!(
                "Not taken, and left to Terraform ({}):
",
                imported.left.len()
            ));
            for (addr, why) in &imported.left {
                msg.push_str(&format!("  {addr}: {why}
"));
            }
        }
        msg.push_str(&format!(
            "Next: infra plan --env {} reads every object from the cloud and should show no changes for them.
",
            o.settings.env
        ));
        ui.print(&msg);
        Ok(())
    }
    .await;
    lock.release().await;
    result
}

async fn state_push(dir: &Path, env: &EnvArgs, file: &Path, force: bool, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let shown = if file == Path::new("-") {
        "standard input".to_string()
    } else {
        display_path(file)
    };
    let raw = if file == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| CliError::new(format!("cannot read standard input: {e}")))?;
        buf
    } else {
        std::fs::read(file).map_err(|e| CliError::new(format!("cannot read {shown}: {e}")))?
    };
    let o = store_for(dir, env, t).await?;
    let opened = o
        .store
        .encryptor()
        .open(&raw, "state")
        .await
        .map_err(|e| CliError::new(format!("{shown}: {e}")))?;
    let text = String::from_utf8(opened.plaintext).map_err(|e| CliError::new(format!("{shown}: not UTF-8: {e}")))?;
    let mut pushed = crate::state::file::decode(&text, &shown)?;
    let lock = lock(&o.store, "state push", o.settings.lock_timeout).await?;
    let result = async {
        if let Some(current) = o.store.load().await? {
            if current.lineage != pushed.lineage && !force {
                return Err(CliError::new(format!(
                    "cannot push {shown}: its lineage {} differs from the lineage {} of state {} (it is another environment's or another stack's state); nothing was written",
                    pushed.lineage,
                    current.lineage,
                    o.store.describe()
                ))
                .with_hint("push it with --force if you really mean to replace this state with it"));
            }
            if pushed.serial < current.serial && !force {
                return Err(CliError::new(format!(
                    "cannot push {shown}: its serial {} is older than the serial {} of state {}; nothing was written",
                    pushed.serial,
                    current.serial,
                    o.store.describe()
                ))
                .with_hint("pull the current state and make your change to it, or push with --force"));
            }
            if pushed.serial == current.serial && pushed.lineage == current.lineage {
                if pushed.resources == current.resources && pushed.outputs == current.outputs {
                    ui.print(&format!("{shown} is the state already in {}; nothing to push.\n", o.store.describe()));
                    return Ok(());
                }
                if !force {
                    return Err(CliError::new(format!(
                        "cannot push {shown}: it differs from state {} but has the same serial {}; nothing was written",
                        o.store.describe(),
                        current.serial
                    ))
                    .with_hint("increase its serial, or push with --force"));
                }
            }
            if force {
                pushed.serial = pushed.serial.max(current.serial + 1);
            }
        }
        o.store.write_exact(&pushed).await?;
        ui.print(&format!(
            "Pushed {shown} to {} (lineage {}, serial {}, {} resources).\n",
            o.store.describe(),
            pushed.lineage,
            pushed.serial,
            pushed.resources.len()
        ));
        Ok(())
    }
    .await;
    lock.release().await;
    result
}

/// `env list`: every environment of the configuration, its state's location and serial.
async fn env_list(dir: &Path, state: Option<PathBuf>, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let cfg = load_config(dir, ui)?;
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let backend = match &state {
        Some(_) => None,
        None => Some(backend::for_command(Some(&cfg), dir, t.backends).await?),
    };
    let mut envs: std::collections::BTreeSet<String> = match &backend {
        Some(b) => b
            .environments()
            .await
            .map_err(|e| CliError::new(format!("listing the environments of the {} backend: {e}", b.kind())))?
            .into_iter()
            .collect(),
        None => ["default".to_string()].into_iter().collect(),
    };
    // Environments with a variables file of their own, even before they have a state.
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some(env) = n.strip_suffix(".tfvars")
                && env != "terraform"
                && !env.ends_with(".auto")
                && settings::validate_env_name(env).is_ok()
            {
                envs.insert(env.to_string());
            }
        }
    }
    for env in &envs {
        let blob: Arc<dyn StateBlob> = match (&backend, &state) {
            (Some(b), _) => b.state(env),
            (None, Some(p)) => Arc::new(LocalBlob::new(p)),
            (None, None) => unreachable!("a backend or a state file"),
        };
        let serial = match blob.get().await {
            Ok(Some(raw)) => match crate::encryption::peek(&raw) {
                Some((_, serial)) => format!("{serial} (encrypted)"),
                None => serde_json::from_slice::<serde_json::Value>(&raw)
                    .ok()
                    .and_then(|j| j.get("serial").and_then(|s| s.as_u64()))
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unreadable".into()),
            },
            Ok(None) => "no state yet".into(),
            Err(e) => format!("cannot read: {e}"),
        };
        rows.push((env.clone(), blob.location(), serial));
    }
    let w0 = rows
        .iter()
        .map(|r| r.0.len())
        .max()
        .unwrap_or(0)
        .max("ENVIRONMENT".len());
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max("STATE".len());
    let mut out = format!("{:w0$}  {:w1$}  SERIAL\n", "ENVIRONMENT", "STATE");
    for (e, l, s) in rows {
        out.push_str(&format!("{e:w0$}  {l:w1$}  {s}\n"));
    }
    ui.print(&out);
    Ok(())
}

/// `show PLANFILE`: the plan as `plan` printed it, or its JSON, or its Markdown summary.
async fn show_cmd(dir: &Path, a: &ShowArgs, t: &Tools<'_>) -> Result<(), CliError> {
    let plan = load_plan_file(dir, &a.plan_file, t).await?;
    let cost = plan_cost(&plan, t.ui);
    let policy = plan_policy(dir, &plan, PolicyMode::Warn, t.ui)?;
    if a.markdown {
        t.ui.print(&plan_markdown(&plan, t.providers, cost.as_ref(), policy.as_ref()));
    } else {
        print_plan(&plan, t.providers, cost.as_ref(), policy.as_ref(), a.json, t.ui);
    }
    Ok(())
}

fn show_instance(addr: &InstanceAddr, inst: &ResourceInstance) -> String {
    let kind = if addr.resource.mode == Mode::Data {
        "data"
    } else {
        "resource"
    };
    let mut out = format!(
        "# {addr}:\n{kind} \"{}\" \"{}\" {{\n",
        addr.resource.type_name, addr.resource.name
    );
    if let Some(m) = inst.value.as_map() {
        let names: Vec<&String> = m
            .keys()
            .filter(|k| !crate::plan::diff::is_empty_or_null(&m[*k]))
            .collect();
        let w = names.iter().map(|k| k.len()).max().unwrap_or(0);
        for k in names {
            let p = infra_provider::Path::attr(k);
            let sensitive = inst
                .sensitive_paths
                .iter()
                .any(|s| s.starts_with(&p) || p.starts_with(s));
            let v = if sensitive {
                "(sensitive value)".to_string()
            } else {
                render::render_value(&m[k], 4)
            };
            out.push_str(&format!("    {k:w$} = {v}\n"));
        }
    }
    out.push_str("}\n");
    out
}

async fn import_cmd(dir: &Path, a: ImportArgs, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let addr = parse_addr(&a.address)?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "import", true, t).await?;
    let result = import_prepared(&prepared, &addr, &a.id, t).await;
    release(prepared, result).await
}

async fn import_prepared(prepared: &Prepared, addr: &InstanceAddr, id: &str, t: &Tools<'_>) -> Result<(), CliError> {
    let (providers, ui) = (t.providers, t.ui);
    let addr = addr.clone();
    let (vars, d) = vars::finalize(&prepared.cfg, &prepared.raw_vars, &prepared.settings.env);
    report(&d, &prepared.cfg, ui)?;
    let (cfg, d) = crate::config::expand(&prepared.cfg, Some(&vars), &prepared.settings.env);
    report(&d, &cfg, ui)?;
    let Some(r) = cfg
        .resources
        .get(&addr.resource)
        .filter(|r| r.addr.mode == Mode::Managed)
    else {
        return Err(CliError::new(format!(
            "Configuration for import target does not exist: the configuration has no resource {}",
            addr.resource
        ))
        .with_hint(format!(
            "add a resource \"{}\" \"{}\" block first, then run infra import again",
            addr.resource.type_name, addr.resource.name
        )));
    };
    if prepared.state.resources.contains_key(&addr) {
        return Err(CliError::new(format!(
            "Resource already managed by infra: {addr} is already in state {}",
            prepared.store.describe()
        ))
        .with_hint(format!(
            "to import to this address you must first remove the existing object from the state: infra state rm {addr}"
        )));
    }
    let schema = providers
        .schema(&r.provider.name, &addr.resource)
        .map_err(CliError::new)?;
    let scope = crate::scope::ModuleScope::new(cfg.clone(), vars, &prepared.settings.env);
    let client = configure_provider(&cfg, providers, &scope, &r.provider)
        .await
        .map_err(|d| CliError::diags(&d, &cfg.sources))?;
    ui.print(&format!(
        "{}: Importing from ID {:?}...\n",
        ui.out.bold(&addr.to_string()),
        id
    ));
    let found = client
        .import(&addr.resource.type_name, id)
        .await
        .map_err(|e| CliError::new(format!("importing {addr}: {e}")))?;
    let Some(v) = found else {
        return Err(CliError::new(format!(
            "Cannot import non-existent remote object: no {} with ID {:?} exists",
            addr.resource.type_name, id
        )));
    };
    let v = crate::plan::diff::conform(&schema.block, &v);
    let mut state = prepared.state.clone();
    let mut inst = ResourceInstance::ready(r.provider.clone(), v);
    if let Ok(g) = crate::graph::ConfigGraph::build(&cfg) {
        inst.dependencies = g.resource_deps(&crate::graph::Node::Resource(addr.resource.clone()));
    }
    inst.create_before_destroy = r.lifecycle.create_before_destroy;
    state.resources.insert(addr.clone(), inst);
    prepared.store.persist(&mut state).await?;
    ui.print(&format!(
        "{}: Import prepared!\n\n{}\n\nThe resources that were imported are shown above. These resources are now in your state and will be managed by infra. Run infra plan to see how your configuration compares.\n",
        ui.out.bold(&addr.to_string()),
        ui.out.green(&ui.out.bold("Import successful!"))
    ));
    Ok(())
}

async fn output_cmd(dir: &Path, a: OutputArgs, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let o = store_for(dir, &a.env, t).await?;
    let store = o.store;
    let state = load_state(&store).await?;
    match &a.name {
        Some(name) => {
            let o = state.outputs.get(name).ok_or_else(|| {
                CliError::new(format!("Output {name:?} not found in state {}", store.describe()))
                    .with_hint("the output may not be applied yet: run infra apply")
            })?;
            if a.json {
                ui.print(&format!("{}\n", o.value.to_json()));
            } else if a.raw {
                match &o.value {
                    Value::String(s) => ui.print(s),
                    Value::Number(_) | Value::Bool(_) => ui.print(&crate::plan::render::render_inline(&o.value)),
                    _ => {
                        return Err(CliError::new(format!(
                            "output {name:?} is not a string, number or bool; use --json"
                        )));
                    }
                }
            } else {
                ui.print(&format!("{}\n", render::render_value(&o.value, 0)));
            }
        }
        None if a.json => {
            let j: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({"sensitive": o.sensitive, "value": o.value.to_json()}),
                    )
                })
                .collect();
            ui.print(&format!("{}\n", serde_json::Value::Object(j)));
        }
        None => {
            if state.outputs.is_empty() {
                ui.warn(&format!("no outputs found in state {}", store.describe()));
            }
            ui.print(&render_outputs(&state));
        }
    }
    Ok(())
}

fn graph_cmd(dir: &Path, ui: &Ui) -> Result<(), CliError> {
    let cfg = Arc::new(load_config(dir, ui)?);
    // Each module call once: its instances are known only with the variables.
    let (cfg, d) = crate::config::expand(&cfg, None, "default");
    report(&d, &cfg, ui)?;
    let g = crate::graph::ConfigGraph::build(&cfg).map_err(|d| CliError::diags(&d.into(), &cfg.sources))?;
    ui.print(&g.to_dot());
    Ok(())
}

fn fmt_cmd(dir: &Path, a: FmtArgs, ui: &Ui) -> Result<(), CliError> {
    let roots = if a.paths.is_empty() {
        vec![dir.to_path_buf()]
    } else {
        a.paths.clone()
    };
    let mut files = Vec::new();
    for r in &roots {
        if r.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(r)
                .map_err(|e| CliError::new(format!("cannot read {}: {e}", display_path(r))))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && (p.extension().is_some_and(|e| e == "tf" || e == "tfvars")))
                .collect();
            found.sort();
            files.extend(found);
        } else if r.is_file() {
            files.push(r.clone());
        } else {
            return Err(CliError::new(format!("no file or directory at {}", display_path(r))));
        }
    }
    let mut unformatted = Vec::new();
    let mut errors = Vec::new();
    for f in &files {
        let text =
            std::fs::read_to_string(f).map_err(|e| CliError::new(format!("cannot read {}: {e}", display_path(f))))?;
        match crate::fmt::format_source(&text) {
            Ok(out) if out != text => {
                unformatted.push(f.clone());
                if a.diff {
                    ui.print(&simple_diff(&display_path(f), &text, &out));
                }
                if !a.check {
                    crate::state::local::write_atomic(f, out.as_bytes())
                        .map_err(|e| CliError::new(format!("cannot write {}: {e}", display_path(f))))?;
                }
                ui.print(&format!("{}\n", display_path(f)));
            }
            Ok(_) => {}
            Err(e) => errors.push(format!("{}:{e}", display_path(f))),
        }
    }
    if !errors.is_empty() {
        return Err(CliError::new(format!(
            "cannot format files with syntax errors:\n{}",
            errors.join("\n")
        )));
    }
    if a.check && !unformatted.is_empty() {
        return Err(CliError::exit(3));
    }
    Ok(())
}

fn simple_diff(name: &str, a: &str, b: &str) -> String {
    let mut out = format!("--- old/{name}\n+++ new/{name}\n");
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    for i in 0..al.len().max(bl.len()) {
        match (al.get(i), bl.get(i)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!("-{x}\n"));
                }
                if let Some(y) = y {
                    out.push_str(&format!("+{y}\n"));
                }
            }
        }
    }
    out
}

async fn force_unlock(dir: &Path, a: &super::args::ForceUnlockArgs, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    let store = store_for(dir, &a.env, t).await?.store;
    store.unlock(&a.lock_id).await?;
    ui.print(&format!(
        "{}\nThe state {} has been unlocked; infra commands can use it again.\n",
        ui.out
            .green(&ui.out.bold("infra state has been successfully unlocked!")),
        store.describe()
    ));
    Ok(())
}

async fn cost_cmd(dir: &Path, a: CostArgs, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let (providers, ui) = (t.providers, t.ui);
    let envs = if a.envs.is_empty() {
        vec!["default".to_string()]
    } else {
        a.envs.clone()
    };
    let catalog = match &a.catalog {
        Some(d) => cost::Catalog::from_dir(d).map_err(|e| CliError::new(e.to_string()))?,
        None => cost::Catalog::bundled(),
    };
    let usage = match &a.usage {
        Some(u) => cost::Usage::load(u).map_err(|e| CliError::new(e.to_string()))?,
        None => cost::Usage::empty(),
    };
    let flags = settings::var_flags(matches, &a.vars.vars, &a.vars.var_files);
    let mut estimates = Vec::new();
    for env in &envs {
        let mut cfg = load_config(dir, ui)?;
        let o = open_state(
            dir,
            &EnvArgs {
                env: env.clone(),
                state: None,
                lock_timeout: "0s".into(),
            },
            Some(&cfg),
            t,
        )
        .await?;
        ui.info(&settings::announce(&o.settings, "cost"));
        let state = load_state(&o.store).await?;
        let env_vars: Vec<(String, String)> = std::env::vars().collect();
        let (raw, d) = vars::collect(&mut cfg, env, &flags, &env_vars);
        report(&d, &cfg, ui)?;
        let cfg = Arc::new(cfg);
        let opts = PlanOptions {
            refresh: false,
            offline: true,
            ..Default::default()
        };
        let (plan, diags) = planner::plan(cfg.clone(), providers, state, raw, env, &opts).await;
        report(&diags, &cfg, ui)?;
        let plan = plan.ok_or_else(|| CliError::diags(&diags, &cfg.sources))?;
        let items = cost::assemble::priced(&cost::assemble::after_plan(&plan), &plan.regions);
        let est =
            cost::estimate(&catalog, &usage, &items).map_err(|e| CliError::new(format!("environment {env}: {e}")))?;
        estimates.push((env.clone(), est));
    }
    let refs: Vec<(&str, &cost::Estimate)> = estimates.iter().map(|(e, x)| (e.as_str(), x)).collect();
    let text = match a.format {
        CostFormat::Table => cost::render_table(&refs),
        CostFormat::Markdown => cost::render_markdown(&refs),
        CostFormat::Json => format!("{}\n", cost::to_json(&refs)),
    };
    ui.print(&text);
    Ok(())
}

/// `infra cost refresh-prices`: asks the providers' price lists and writes the rebuilt catalog.
async fn refresh_prices(a: &RefreshPricesArgs, providers: &ProviderSet, ui: &Ui) -> Result<(), CliError> {
    let catalog = match &a.catalog {
        Some(d) => cost::Catalog::from_dir(d).map_err(|e| CliError::new(e.to_string()))?,
        None => cost::Catalog::bundled(),
    };
    let wanted = |name: &str| a.providers.is_empty() || a.providers.iter().any(|p| p == name);
    for p in &a.providers {
        if p != "aws" && p != "digitalocean" {
            return Err(CliError::new(format!(
                "--provider {p}: prices can be refreshed for aws and digitalocean"
            )));
        }
    }
    let mut lists: BTreeMap<&str, Arc<dyn infra_provider::PriceList>> = BTreeMap::new();
    for name in ["aws", "digitalocean"] {
        let has_files = catalog.tables().any(|t| t.provider() == name);
        if !wanted(name) || !has_files {
            continue;
        }
        let Some(provider) = providers.get(name) else {
            return Err(CliError::new(format!(
                "this infra was built without the {name} provider; refresh with --provider for the others"
            )));
        };
        // Credentials and endpoints from the environment, as a provider block without arguments would.
        let mut config = BTreeMap::new();
        if name == "aws" && std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            config.insert("region".to_string(), Value::from("us-east-1"));
        }
        match provider.price_list(&Value::Map(config)).await {
            Ok(Some(list)) => {
                lists.insert(name, list);
            }
            Ok(None) => return Err(CliError::new(format!("the {name} provider has no price list API"))),
            Err(e) => return Err(CliError::new(format!("configuring the {name} price list: {e}"))),
        }
    }
    if lists.is_empty() {
        return Err(CliError::new("no catalog files to refresh for the providers asked"));
    }
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let read_on = &now[..10];
    ui.info(&format!(
        "Refreshing prices ({}) into {}",
        lists.keys().copied().collect::<Vec<_>>().join(", "),
        display_path(&a.out)
    ));
    let files = cost::refresh::refresh_catalog(
        &catalog,
        lists.get("aws").map(|l| l.as_ref()),
        lists.get("digitalocean").map(|l| l.as_ref()),
        read_on,
    )
    .await
    .map_err(|e| CliError::new(format!("nothing was written: {e}")))?;
    let mut report = String::new();
    for f in &files {
        let path = a.out.join(&f.name);
        crate::state::local::write_atomic(&path, cost::refresh::encode_file(&f.file).as_bytes())
            .map_err(|e| CliError::new(format!("writing {}: {e}", display_path(&path))))?;
        report.push_str(&format!(
            "{}: {} prices, {} changed\n",
            display_path(&path),
            f.entries,
            f.changed.len()
        ));
        for (key, old, new) in &f.changed {
            report.push_str(&format!("  {key}: {old} -> {new}\n"));
        }
    }
    report.push_str(&format!("Use it with: infra cost --catalog {}\n", display_path(&a.out)));
    ui.print(&report);
    Ok(())
}

/// `infra policy`: plans offline against an empty state (nothing is read from the cloud or the state)
/// and checks the planned values.
async fn policy_cmd(dir: &Path, a: PolicyArgs, matches: &clap::ArgMatches, t: &Tools<'_>) -> Result<(), CliError> {
    let ui = t.ui;
    if a.list {
        let mut s = String::new();
        for r in policy::RULES {
            s.push_str(&format!(
                "{:30} {:7} {}\n{:38} guideline: {}\n",
                r.id,
                r.level.as_str(),
                r.checks,
                "",
                r.guideline
            ));
        }
        ui.print(&s);
        return Ok(());
    }
    settings::validate_env_name(&a.env)?;
    let file = policy::PolicyFile::load(dir).map_err(CliError::new)?;
    let mut cfg = load_config_with(dir, Some(t.providers), ui)?;
    let flags = settings::var_flags(matches, &a.vars.vars, &a.vars.var_files);
    let env_vars: Vec<(String, String)> = std::env::vars().collect();
    let (raw, d) = vars::collect(&mut cfg, &a.env, &flags, &env_vars);
    report(&d, &cfg, ui)?;
    let cfg = Arc::new(cfg);
    let opts = PlanOptions {
        refresh: false,
        offline: true,
        ..Default::default()
    };
    let (plan, diags) = planner::plan(cfg.clone(), t.providers, State::default(), raw, &a.env, &opts).await;
    report(&diags, &cfg, ui)?;
    let plan = plan.ok_or_else(|| CliError::diags(&diags, &cfg.sources))?;
    let world = policy::World::from_plan(&plan).map_err(|d| CliError::diags(&d, &cfg.sources))?;
    ui.info(&format!(
        "policy: configuration {}, environment {}, {}",
        display_path(dir),
        a.env,
        file.path
            .as_deref()
            .unwrap_or("no infra.policy.hcl (every rule at its default severity)")
    ));
    let r = policy::check(&world, &file.for_env(&a.env));
    if a.json {
        ui.print(&format!("{}\n", policy::render::json(&r)));
    } else if a.markdown {
        ui.print(&policy::render::markdown(&r));
    } else {
        ui.print(&policy::render::text(&r, ui.out));
    }
    if r.has_errors() {
        return Err(CliError::exit(1));
    }
    Ok(())
}
