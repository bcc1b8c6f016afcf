//! Benchmark: how close an apply comes to its lower bound, the dependency graph's critical path.
//!
//! Applies `plans/araquem-stage` (environment `stage`, 136 resources) with the `infra` binary against moto
//! behind a proxy that adds 100 ms to every request (a cloud API across a network). Every operation's
//! start and end are taken from the apply's progress lines as they arrive ("Creating...", "Creation
//! complete after..."), and its dependencies from the state the apply wrote. The critical path is the
//! longest chain of dependent operations, each weighted with its own measured duration (API latencies and
//! readiness waits included): no schedule can finish sooner. The figure is the apply phase's wall time
//! (first operation started → last one finished) over that bound; the target is at most 1.10.
//!
//! `cargo bench --bench apply_critical_path` (needs moto: `scripts/tools.sh`; `--profile dev` measures the
//! debug binary, which is what the figure depends on least: the time is in latency, not in CPU).
//! `INFRA_BENCH_PARALLELISM` sets `--parallelism` (default: none, infra's default: no fixed limit, each
//! endpoint's adaptive limit). `INFRA_BENCH_TERRAFORM=1` also applies the same plan with the real
//! Terraform (through `../shared/terraform-reference/env.sh`, on its own fresh moto behind the same
//! latency) and reports the same figures for it. Under `cargo test` it runs
//! `plans/example` at 5 ms, to check that it works.

use infra_testkit::Moto;
use infra_testkit::proxy::LatencyProxy;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    plan: &'static str,
    env: &'static str,
    latency: Duration,
    vars: &'static [(&'static str, &'static str)],
}

/// One operation of the apply: when it started and ended, relative to the command's start.
#[derive(Default, Clone, Copy)]
struct Op {
    start: Option<Duration>,
    end: Option<Duration>,
}

fn copy_plan(name: &str, to: &Path) {
    let src = infra_testkit::workspace_root().join("plans").join(name);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// The address a progress line is about, and whether it starts or ends an operation.
fn progress(line: &str) -> Option<(String, bool)> {
    let (addr, rest) = line.split_once(": ")?;
    if addr.contains(' ') {
        return None;
    }
    let rest = rest.trim();
    if rest == "Creating..." || rest == "Modifying..." || rest == "Destroying..." {
        Some((addr.to_string(), true))
    } else if rest.starts_with("Creation complete")
        || rest.starts_with("Modifications complete")
        || rest.starts_with("Destruction complete")
    {
        Some((addr.to_string(), false))
    } else {
        None
    }
}

/// The resource part of an instance address (`aws_subnet.private[0]` → `aws_subnet.private`).
fn resource_of(addr: &str) -> &str {
    addr.split('[').next().unwrap_or(addr)
}

/// What one apply did: each operation's start and end, each instance's dependencies (resource
/// addresses), and the whole command's time and request count.
struct Measured {
    ops: BTreeMap<String, Op>,
    deps: BTreeMap<String, Vec<String>>,
    total: Duration,
    requests: usize,
}

/// Runs `cmd`, timing the progress lines of its standard output as they arrive.
fn timed(mut cmd: Command, what: &str) -> (BTreeMap<String, Op>, Duration) {
    cmd.stdout(Stdio::piped());
    let t0 = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("run {what}: {e}"));
    let mut ops: BTreeMap<String, Op> = BTreeMap::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        if let Some((addr, starts)) = progress(&line) {
            let op = ops.entry(addr).or_default();
            if starts {
                op.start = Some(t0.elapsed());
            } else {
                op.end = Some(t0.elapsed());
            }
        }
    }
    let status = child.wait().unwrap();
    let total = t0.elapsed();
    assert!(status.success(), "{what} failed");
    (ops, total)
}

fn run_infra(r: &Run) -> (Measured, String) {
    let moto = Moto::start();
    let proxy = LatencyProxy::start(moto.port, r.latency);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let cfg = dir.path().join("cfg");
    copy_plan(r.plan, &cfg);
    let fixed = std::env::var("INFRA_BENCH_PARALLELISM").ok();
    let parallelism = fixed.clone().unwrap_or_else(|| "adaptive (default)".into());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_infra"));
    cmd.current_dir(dir.path())
        .args(["-C", "cfg", "apply", "--auto-approve", "--no-color"])
        .args(["--env", r.env])
        .args(fixed.iter().flat_map(|n| ["--parallelism", n.as_str()]))
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("NO_COLOR", "1")
        .stderr(Stdio::null());
    for (k, v) in r.vars {
        cmd.env(k, v);
    }
    let (ops, total) = timed(cmd, "infra apply");
    // Dependencies, from the state the apply wrote (resource addresses; every instance of one counts).
    let state_file = dir.path().join("state/cfg").join(format!("{}.tfstate.json", r.env));
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for res in state["resources"].as_array().into_iter().flatten() {
        let addr = res["address"].as_str().unwrap().to_string();
        deps.insert(addr, strings(&res["dependencies"]));
    }
    let m = Measured {
        ops,
        deps,
        total,
        requests: proxy.requests(),
    };
    (m, format!("infra, --parallelism {parallelism}"))
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_string))
        .collect()
}

/// The same apply with the real Terraform (opt-in: `INFRA_BENCH_TERRAFORM=1`; needs `terraform` and
/// the provider mirror that `../shared/terraform-reference/env.sh` finds, or `INFRA_TERRAFORM_ENV`
/// naming another such script). `None`, saying why, when Terraform is not there.
fn run_terraform(r: &Run) -> Option<(Measured, String)> {
    let env_sh = std::env::var("INFRA_TERRAFORM_ENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| infra_testkit::workspace_root().join("../shared/terraform-reference/env.sh"));
    let moto = Moto::start();
    let proxy = LatencyProxy::start(moto.port, r.latency);
    let dir = tempfile::tempdir().unwrap();
    copy_plan(r.plan, dir.path());
    let script = |tf: &str| {
        let mut c = Command::new("bash");
        c.current_dir(dir.path())
            .arg("-c")
            .arg(format!(". '{}' >/dev/null 2>&1 && {tf}", env_sh.display()))
            .envs(moto.env())
            .env("AWS_ENDPOINT_URL", proxy.endpoint())
            .stderr(Stdio::inherit());
        for (k, v) in r.vars {
            c.env(k, v);
        }
        c
    };
    let init = script("terraform init -input=false -no-color >/dev/null").status();
    if !init.is_ok_and(|s| s.success()) {
        println!(
            "terraform: not measured (no terraform or provider mirror via {})",
            env_sh.display()
        );
        return None;
    }
    let requests_before = proxy.requests();
    let var_file = format!("{}.tfvars", r.env);
    let var_file = if dir.path().join(&var_file).exists() {
        format!("-var-file={var_file}")
    } else {
        String::new()
    };
    let (ops, total) = timed(
        script(&format!(
            "terraform apply -auto-approve -input=false -no-color {var_file}"
        )),
        "terraform apply",
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap()).unwrap();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for res in state["resources"].as_array().into_iter().flatten() {
        if res["mode"] != "managed" {
            continue;
        }
        let base = format!("{}.{}", res["type"].as_str().unwrap(), res["name"].as_str().unwrap());
        for inst in res["instances"].as_array().into_iter().flatten() {
            let addr = match &inst["index_key"] {
                serde_json::Value::Null => base.clone(),
                serde_json::Value::String(k) => format!("{base}[\"{k}\"]"),
                k => format!("{base}[{k}]"),
            };
            deps.insert(addr, strings(&inst["dependencies"]));
        }
    }
    let m = Measured {
        ops,
        deps,
        total,
        requests: proxy.requests() - requests_before,
    };
    Some((m, "Terraform 1.11, -parallelism=10 (its default)".into()))
}

fn report(r: &Run, m: &Measured, who: &str) {
    let Measured { ops, deps, .. } = m;
    let mut instances: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for addr in deps.keys() {
        instances
            .entry(resource_of(addr).to_string())
            .or_default()
            .push(addr.clone());
    }
    let duration = |a: &str| -> Duration {
        match ops.get(a) {
            Some(Op {
                start: Some(s),
                end: Some(e),
            }) => e.saturating_sub(*s),
            _ => Duration::ZERO,
        }
    };
    // Longest path ending at each instance: its own duration plus the longest of its dependencies'.
    fn finish(
        a: &str,
        deps: &BTreeMap<String, Vec<String>>,
        instances: &BTreeMap<String, Vec<String>>,
        duration: &dyn Fn(&str) -> Duration,
        memo: &mut BTreeMap<String, (Duration, Vec<String>)>,
        visiting: &mut BTreeSet<String>,
    ) -> (Duration, Vec<String>) {
        if let Some(m) = memo.get(a) {
            return m.clone();
        }
        assert!(visiting.insert(a.to_string()), "a dependency cycle at {a}");
        let mut best = (Duration::ZERO, Vec::new());
        for d in deps.get(a).into_iter().flatten() {
            for i in instances.get(d).into_iter().flatten() {
                let f = finish(i, deps, instances, duration, memo, visiting);
                if f.0 > best.0 {
                    best = f;
                }
            }
        }
        visiting.remove(a);
        let mut path = best.1;
        path.push(a.to_string());
        let out = (best.0 + duration(a), path);
        memo.insert(a.to_string(), out.clone());
        out
    }
    let mut memo = BTreeMap::new();
    let mut critical = (Duration::ZERO, Vec::new());
    for a in deps.keys() {
        let f = finish(a, deps, &instances, &duration, &mut memo, &mut BTreeSet::new());
        if f.0 > critical.0 {
            critical = f;
        }
    }
    let first = ops.values().filter_map(|o| o.start).min().unwrap_or_default();
    let last = ops.values().filter_map(|o| o.end).max().unwrap_or_default();
    let wall = last.saturating_sub(first);
    let busy: Duration = ops.keys().map(|a| duration(a)).sum();
    println!(
        "{} with {who} ({} operations, {} ms per request): apply phase {:.2} s, critical path {:.2} s \
         ({} operations long), ratio {:.3}; sum of all operations {:.1} s; whole command {:.2} s (plan and refresh included), \
         {} requests",
        r.plan,
        ops.len(),
        r.latency.as_millis(),
        wall.as_secs_f64(),
        critical.0.as_secs_f64(),
        critical.1.len(),
        wall.as_secs_f64() / critical.0.as_secs_f64().max(1e-9),
        busy.as_secs_f64(),
        m.total.as_secs_f64(),
        m.requests,
    );
    println!("  critical path: {}", critical.1.join(" → "));
}

fn run(r: &Run) {
    let (m, who) = run_infra(r);
    report(r, &m, &who);
    if std::env::var("INFRA_BENCH_TERRAFORM").is_ok_and(|v| v == "1")
        && let Some((m, who)) = run_terraform(r)
    {
        report(r, &m, &who);
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    if !bench {
        run(&Run {
            plan: "example",
            env: "default",
            latency: Duration::from_millis(5),
            vars: &[("TF_VAR_api_token", "bench-token")],
        });
        return;
    }
    run(&Run {
        plan: "araquem-stage",
        env: "stage",
        latency: Duration::from_millis(100),
        vars: &[
            ("TF_VAR_quality_ops_token", "bench-token"),
            // moto drops these two on CreateService (see tests/e2e/stage.rs).
            ("TF_VAR_ecs_exec_enabled", "false"),
            ("TF_VAR_api_health_check_grace_seconds", "0"),
            // This moto never runs a task, so a wait for steady state would never end.
            ("TF_VAR_ecs_wait_for_steady_state", "false"),
        ],
    });
}
