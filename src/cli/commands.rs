//! One function per command: resolve settings, load configuration and state, call the engine, print.

use super::CliError;
use super::args::{
    ApplyArgs, Cli, Command, CostArgs, CostCommand, CostFormat, DestroyArgs, EnvArgs, FmtArgs, ImportArgs, OutputArgs,
    PlanArgs, PlanningArgs, RefreshPricesArgs, StateCommand, VarArgs,
};
use super::settings::{self, Settings};
use super::ui::{Printer, Ui};
use crate::addrs::{InstanceAddr, InstanceKey, Mode};
use crate::apply::{self, ApplyOptions, Outcome};
use crate::config::{Config, display_path};
use crate::cost;
use crate::diag::{Diagnostics, Severity};
use crate::plan::planner::{self, PlanOptions, configure_provider};
use crate::plan::{Plan, PlanMode, json, planfile, render, vars};
use crate::provider_set::ProviderSet;
use crate::state::local::LocalStore;
use crate::state::{LockInfo, ResourceInstance, State, StateStore};
use infra_provider::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub async fn run(cli: Cli, matches: &clap::ArgMatches, providers: &ProviderSet, ui: &Ui) -> Result<(), CliError> {
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Init(a) => init(&dir, &a, providers, ui),
        Command::Validate => validate(&dir, providers, ui),
        Command::Plan(a) => plan_cmd(&dir, a, matches, providers, ui).await,
        Command::Apply(a) => apply_cmd(&dir, a, matches, providers, ui).await,
        Command::Destroy(a) => destroy_cmd(&dir, a, matches, providers, ui).await,
        Command::State(s) => state_cmd(&dir, s, ui),
        Command::Import(a) => import_cmd(&dir, a, matches, providers, ui).await,
        Command::Output(a) => output_cmd(&dir, a, ui),
        Command::Graph => graph_cmd(&dir, ui),
        Command::Fmt(a) => fmt_cmd(&dir, a, ui),
        Command::ForceUnlock(a) => force_unlock(&dir, &a, ui),
        Command::Cost(CostArgs {
            command: Some(CostCommand::RefreshPrices(a)),
            ..
        }) => refresh_prices(&a, providers, ui).await,
        Command::Cost(a) => cost_cmd(&dir, a, matches, providers, ui).await,
    }
}

/// Loads the configuration; any error ends the command (nothing has been changed).
fn load_config(dir: &Path, ui: &Ui) -> Result<Config, CliError> {
    if !dir.is_dir() {
        return Err(CliError::new(format!(
            "configuration directory {} does not exist",
            display_path(dir)
        )));
    }
    let (cfg, diags) = Config::load(dir);
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

fn resolve(dir: &Path, env: &EnvArgs, cfg: Option<&Config>) -> Result<Settings, CliError> {
    settings::validate_env_name(&env.env)?;
    Ok(Settings {
        config_dir: dir.to_path_buf(),
        env: env.env.clone(),
        state_path: settings::state_path(cfg, dir, &env.env, env.state.as_deref()),
        lock_timeout: settings::parse_lock_timeout(&env.lock_timeout)?,
    })
}

/// Holds the state lock for as long as it lives.
struct Locked {
    store: Arc<LocalStore>,
    id: String,
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = self.store.unlock(&self.id);
    }
}

fn lock(store: &Arc<LocalStore>, operation: &str, timeout: Duration) -> Result<Locked, CliError> {
    let info = LockInfo::new(operation);
    if let Some(stale) = store.lock(&info, timeout)? {
        eprintln!(
            "Note: took over lock {} of an earlier {} ({}, pid {}) that ended without releasing it",
            stale.id, stale.operation, stale.who, stale.pid
        );
    }
    Ok(Locked {
        store: store.clone(),
        id: info.id,
    })
}

fn load_state(store: &LocalStore) -> Result<State, CliError> {
    Ok(store.load()?.unwrap_or_default())
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
    Ok(PlanOptions {
        mode,
        refresh: p.refresh,
        targets: parse(&p.target, "target")?,
        replace: parse(&p.replace, "replace")?,
        offline: false,
    })
}

/// The configuration, settings, locked store, state and raw variables of a planning command.
struct Prepared {
    cfg: Arc<Config>,
    settings: Settings,
    store: Arc<LocalStore>,
    _lock: Locked,
    state: State,
    raw_vars: BTreeMap<String, Value>,
}

fn prepare(
    dir: &Path,
    env: &EnvArgs,
    vars_args: &VarArgs,
    matches: &clap::ArgMatches,
    operation: &str,
    ui: &Ui,
) -> Result<Prepared, CliError> {
    let mut cfg = load_config(dir, ui)?;
    let settings = resolve(dir, env, Some(&cfg))?;
    ui.info(&settings::announce(&settings, operation));
    let store = Arc::new(LocalStore::new(&settings.state_path));
    let lock = lock(&store, operation, settings.lock_timeout)?;
    let state = load_state(&store)?;
    let flags = settings::var_flags(matches, &vars_args.vars, &vars_args.var_files);
    let env_vars: Vec<(String, String)> = std::env::vars().collect();
    let (raw_vars, d) = vars::collect(&mut cfg, &settings.env, &flags, &env_vars);
    report(&d, &cfg, ui)?;
    Ok(Prepared {
        cfg: Arc::new(cfg),
        settings,
        store,
        _lock: lock,
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

/// The cost delta of a plan; a problem pricing it is a warning, never a failed plan.
fn plan_cost(plan: &Plan, usage: Option<&Path>, ui: &Ui) -> Option<cost::CostDelta> {
    let usage = match usage {
        Some(u) => match cost::Usage::load(u) {
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

fn print_plan(plan: &Plan, providers: &ProviderSet, cost: Option<&cost::CostDelta>, as_json: bool, ui: &Ui) {
    if as_json {
        let mut j = json::plan_json(plan);
        j["cost"] = cost.map(cost_json).unwrap_or(serde_json::Value::Null);
        ui.print(&format!("{j}\n"));
        return;
    }
    let mut text = render::render_plan(plan, providers, ui.out);
    if let Some(c) = cost {
        text.push_str(&format!("\n{}\n", ui.out.bold(&c.to_string())));
    }
    ui.print(&text);
}

async fn plan_cmd(
    dir: &Path,
    a: PlanArgs,
    matches: &clap::ArgMatches,
    providers: &ProviderSet,
    ui: &Ui,
) -> Result<(), CliError> {
    let mode = if a.destroy { PlanMode::Destroy } else { PlanMode::Normal };
    let opts = plan_options(&a.planning, mode)?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "plan", ui)?;
    let plan = make_plan(&prepared, providers, &opts, ui).await?;
    drop(prepared._lock);
    let cost = plan_cost(&plan, a.usage.as_deref(), ui);
    print_plan(&plan, providers, cost.as_ref(), a.json, ui);
    if let Some(out) = &a.out {
        planfile::save(&plan, out).map_err(|e| CliError::new(e.to_string()))?;
        if !a.json {
            ui.info(&format!(
                "Saved the plan to: {}\nTo perform exactly these actions, run: infra apply {}",
                display_path(out),
                display_path(out)
            ));
        }
    }
    if a.detailed_exitcode && plan.has_changes() {
        return Err(CliError::exit(2));
    }
    Ok(())
}

fn parallelism(n: usize) -> Result<usize, CliError> {
    if n == 0 {
        return Err(CliError::usage("--parallelism must be at least 1"));
    }
    Ok(n)
}

async fn apply_cmd(
    dir: &Path,
    a: ApplyArgs,
    matches: &clap::ArgMatches,
    providers: &ProviderSet,
    ui: &Ui,
) -> Result<(), CliError> {
    let parallelism = parallelism(a.parallelism)?;
    if let Some(file) = &a.plan_file {
        if !a.planning.target.is_empty()
            || !a.planning.replace.is_empty()
            || !a.vars.vars.is_empty()
            || !a.vars.var_files.is_empty()
        {
            return Err(CliError::usage(
                "a saved plan already fixes targets, replacements and variables: apply it without --target, --replace, --var or --var-file",
            ));
        }
        return apply_saved(dir, &a.env, file, parallelism, providers, ui).await;
    }
    let opts = plan_options(&a.planning, PlanMode::Normal)?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "apply", ui)?;
    let plan = make_plan(&prepared, providers, &opts, ui).await?;
    let cost = plan_cost(&plan, None, ui);
    print_plan(&plan, providers, cost.as_ref(), false, ui);
    if !plan.has_changes() && plan.drift.is_empty() && plan.notes.is_empty() {
        ui.print(&format!(
            "\n{} Resources: 0 added, 0 changed, 0 destroyed.\n",
            ui.out.green(&ui.out.bold("Apply complete!"))
        ));
        return Ok(());
    }
    if !a.auto_approve
        && plan.has_changes()
        && !ui.confirm(
            "Do you want to perform these actions?",
            "infra will perform the actions described above.",
        )?
    {
        return Err(CliError::new("Apply cancelled."));
    }
    execute(
        plan,
        prepared.cfg.clone(),
        prepared.store.clone(),
        parallelism,
        providers,
        ui,
        false,
    )
    .await
}

async fn apply_saved(
    dir: &Path,
    env: &EnvArgs,
    file: &Path,
    parallelism: usize,
    providers: &ProviderSet,
    ui: &Ui,
) -> Result<(), CliError> {
    let plan = planfile::load(file).map_err(|e| CliError::new(e.to_string()))?;
    let mut cfg = Config {
        dir: plan.config_dir.clone(),
        ..Default::default()
    };
    let d = cfg.load_sources(plan.sources.clone());
    report(&d, &cfg, ui)?;
    // The plan's own environment, unless the state is given explicitly.
    let env_args = EnvArgs {
        env: plan.env.clone(),
        state: env.state.clone(),
        lock_timeout: env.lock_timeout.clone(),
    };
    let config_dir = if dir == Path::new(".") {
        plan.config_dir.clone()
    } else {
        dir.to_path_buf()
    };
    let settings = resolve(&config_dir, &env_args, Some(&cfg))?;
    ui.info(&format!(
        "{} (saved plan {})",
        settings::announce(&settings, "apply"),
        display_path(file)
    ));
    let store = Arc::new(LocalStore::new(&settings.state_path));
    let _lock = lock(&store, "apply", settings.lock_timeout)?;
    let current = store.load()?;
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
            display_path(&settings.state_path),
            plan.lineage,
            plan.serial
        ))
        .with_hint("run infra plan again to see what would change now"));
    }
    execute(plan, Arc::new(cfg), store, parallelism, providers, ui, false).await
}

async fn execute(
    plan: Plan,
    cfg: Arc<Config>,
    store: Arc<LocalStore>,
    parallelism: usize,
    providers: &ProviderSet,
    ui: &Ui,
    destroying: bool,
) -> Result<(), CliError> {
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

async fn destroy_cmd(
    dir: &Path,
    a: DestroyArgs,
    matches: &clap::ArgMatches,
    providers: &ProviderSet,
    ui: &Ui,
) -> Result<(), CliError> {
    let parallelism = parallelism(a.parallelism)?;
    let planning = PlanningArgs {
        refresh: a.refresh,
        refresh_only: false,
        target: a.target.clone(),
        replace: Vec::new(),
    };
    let opts = plan_options(&planning, PlanMode::Destroy)?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "destroy", ui)?;
    let plan = make_plan(&prepared, providers, &opts, ui).await?;
    let cost = plan_cost(&plan, None, ui);
    print_plan(&plan, providers, cost.as_ref(), false, ui);
    if !plan.has_changes() {
        ui.print(&format!(
            "\n{} Resources: 0 destroyed.\n",
            ui.out.green(&ui.out.bold("Destroy complete!"))
        ));
        return Ok(());
    }
    if !a.auto_approve
        && !ui.confirm(
            "Do you really want to destroy all resources?",
            "infra will destroy all your managed infrastructure, as shown above. There is no undo.",
        )?
    {
        return Err(CliError::new("Destroy cancelled."));
    }
    execute(
        plan,
        prepared.cfg.clone(),
        prepared.store.clone(),
        parallelism,
        providers,
        ui,
        true,
    )
    .await
}

fn init(dir: &Path, a: &EnvArgs, providers: &ProviderSet, ui: &Ui) -> Result<(), CliError> {
    let cfg = load_config(dir, ui)?;
    let settings = resolve(dir, a, Some(&cfg))?;
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
    let state_dir = settings.state_path.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&state_dir).map_err(|e| {
        CliError::new(format!(
            "cannot create state directory {}: {e}",
            display_path(&state_dir)
        ))
    })?;
    let used: Vec<String> = cfg
        .provider_keys()
        .iter()
        .map(|k| k.name.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    ui.info(&settings::announce(&settings, "init"));
    ui.print(&format!(
        "Providers: {} (built in).\nState: {}\n\n{}\n",
        if used.is_empty() {
            "none".to_string()
        } else {
            used.join(", ")
        },
        display_path(&settings.state_path),
        ui.out.green(&ui.out.bold("infra has been successfully initialized!"))
    ));
    Ok(())
}

fn validate(dir: &Path, providers: &ProviderSet, ui: &Ui) -> Result<(), CliError> {
    let cfg = Arc::new(load_config(dir, ui)?);
    let d = crate::validate::validate(cfg.clone(), providers, false);
    report(&d, &cfg, ui)?;
    ui.print(&format!(
        "{} The configuration is valid.\n",
        ui.out.green(&ui.out.bold("Success!"))
    ));
    Ok(())
}

/// The state store of a command that does not need the configuration (it is read when present, for its
/// backend setting).
fn store_for(dir: &Path, env: &EnvArgs) -> Result<(Settings, Arc<LocalStore>), CliError> {
    let cfg = if dir.is_dir() { Some(Config::load(dir).0) } else { None };
    let s = resolve(dir, env, cfg.as_ref())?;
    let store = Arc::new(LocalStore::new(&s.state_path));
    Ok((s, store))
}

fn state_cmd(dir: &Path, cmd: StateCommand, ui: &Ui) -> Result<(), CliError> {
    match cmd {
        StateCommand::List { env, addresses } => {
            let (_, store) = store_for(dir, &env)?;
            let state = load_state(&store)?;
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
            let (_, store) = store_for(dir, &env)?;
            let state = load_state(&store)?;
            let addr: InstanceAddr = address
                .parse()
                .map_err(|e: crate::addrs::AddrError| CliError::usage(e.to_string()))?;
            let inst = state
                .resources
                .get(&addr)
                .ok_or_else(|| CliError::new(format!("no instance {addr} in state {}", store.describe())))?;
            ui.print(&show_instance(&addr, inst));
            Ok(())
        }
        StateCommand::Rm { env, addresses } => {
            let (s, store) = store_for(dir, &env)?;
            let _lock = lock(&store, "state rm", s.lock_timeout)?;
            let mut state = load_state(&store)?;
            let mut removed = Vec::new();
            for a in &addresses {
                let addr: InstanceAddr = a
                    .parse()
                    .map_err(|e: crate::addrs::AddrError| CliError::usage(e.to_string()))?;
                let matching: Vec<InstanceAddr> = state
                    .resources
                    .keys()
                    .filter(|k| **k == addr || (addr.key == InstanceKey::None && k.resource == addr.resource))
                    .cloned()
                    .collect();
                if matching.is_empty() {
                    return Err(CliError::new(format!(
                        "no instance matches {a} in state {}; nothing was removed",
                        store.describe()
                    )));
                }
                removed.extend(matching);
            }
            for r in &removed {
                state.resources.remove(r);
            }
            store.persist(&mut state)?;
            for r in removed {
                ui.print(&format!("Removed {r}\n"));
            }
            ui.print("The objects still exist in the cloud; infra no longer manages them.\n");
            Ok(())
        }
        StateCommand::Mv {
            env,
            source,
            destination,
        } => {
            let (s, store) = store_for(dir, &env)?;
            let _lock = lock(&store, "state mv", s.lock_timeout)?;
            let mut state = load_state(&store)?;
            let from: InstanceAddr = source
                .parse()
                .map_err(|e: crate::addrs::AddrError| CliError::usage(e.to_string()))?;
            let to: InstanceAddr = destination
                .parse()
                .map_err(|e: crate::addrs::AddrError| CliError::usage(e.to_string()))?;
            if from.resource.type_name != to.resource.type_name || from.resource.mode != to.resource.mode {
                return Err(CliError::usage(format!(
                    "cannot move {from} to {to}: the resource type must stay the same"
                )));
            }
            if state.resources.contains_key(&to) {
                return Err(CliError::new(format!(
                    "cannot move {from} to {to}: {to} is already in state"
                )));
            }
            let inst = state
                .resources
                .remove(&from)
                .ok_or_else(|| CliError::new(format!("no instance {from} in state {}", store.describe())))?;
            state.resources.insert(to.clone(), inst);
            store.persist(&mut state)?;
            ui.print(&format!("Move \"{from}\" to \"{to}\"\nSuccessfully moved 1 object.\n"));
            Ok(())
        }
    }
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

async fn import_cmd(
    dir: &Path,
    a: ImportArgs,
    matches: &clap::ArgMatches,
    providers: &ProviderSet,
    ui: &Ui,
) -> Result<(), CliError> {
    let addr: InstanceAddr = a
        .address
        .parse()
        .map_err(|e: crate::addrs::AddrError| CliError::usage(e.to_string()))?;
    let prepared = prepare(dir, &a.env, &a.vars, matches, "import", ui)?;
    let cfg = prepared.cfg.clone();
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
    let (vars, d) = vars::finalize(&cfg, &prepared.raw_vars);
    report(&d, &cfg, ui)?;
    let scope = crate::scope::ModuleScope::new(cfg.clone(), vars, &prepared.settings.env);
    let client = configure_provider(&cfg, providers, &scope, &r.provider)
        .await
        .map_err(|d| CliError::diags(&d, &cfg.sources))?;
    ui.print(&format!(
        "{}: Importing from ID {:?}...\n",
        ui.out.bold(&addr.to_string()),
        a.id
    ));
    let found = client
        .import(&addr.resource.type_name, &a.id)
        .await
        .map_err(|e| CliError::new(format!("importing {addr}: {e}")))?;
    let Some(v) = found else {
        return Err(CliError::new(format!(
            "Cannot import non-existent remote object: no {} with ID {:?} exists",
            addr.resource.type_name, a.id
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
    prepared.store.persist(&mut state)?;
    ui.print(&format!(
        "{}: Import prepared!\n\n{}\n\nThe resources that were imported are shown above. These resources are now in your state and will be managed by infra. Run infra plan to see how your configuration compares.\n",
        ui.out.bold(&addr.to_string()),
        ui.out.green(&ui.out.bold("Import successful!"))
    ));
    Ok(())
}

fn output_cmd(dir: &Path, a: OutputArgs, ui: &Ui) -> Result<(), CliError> {
    let (_, store) = store_for(dir, &a.env)?;
    let state = load_state(&store)?;
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
    let cfg = load_config(dir, ui)?;
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

fn force_unlock(dir: &Path, a: &super::args::ForceUnlockArgs, ui: &Ui) -> Result<(), CliError> {
    let (_, store) = store_for(dir, &a.env)?;
    store.unlock(&a.lock_id)?;
    ui.print(&format!(
        "{}\nThe state {} has been unlocked; infra commands can use it again.\n",
        ui.out
            .green(&ui.out.bold("infra state has been successfully unlocked!")),
        store.describe()
    ));
    Ok(())
}

async fn cost_cmd(
    dir: &Path,
    a: CostArgs,
    matches: &clap::ArgMatches,
    providers: &ProviderSet,
    ui: &Ui,
) -> Result<(), CliError> {
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
        let s = resolve(
            dir,
            &EnvArgs {
                env: env.clone(),
                state: None,
                lock_timeout: "0s".into(),
            },
            Some(&cfg),
        )?;
        ui.info(&settings::announce(&s, "cost"));
        let state = LocalStore::new(&s.state_path).load()?.unwrap_or_default();
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
