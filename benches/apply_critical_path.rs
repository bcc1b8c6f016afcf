//! Benchmark: how close an apply comes to its lower bound, the dependency graph's critical path.
//!
//! Applies `plans/araquem-stage` (environment `stage`, 105 resources) with the `infra` binary against moto
//! behind a proxy that adds 100 ms to every request (a cloud API across a network). Every operation's
//! start and end are taken from the apply's progress lines as they arrive ("Creating...", "Creation
//! complete after..."), and its dependencies from the state the apply wrote. The critical path is the
//! longest chain of dependent operations, each weighted with its own measured duration (API latencies and
//! readiness waits included): no schedule can finish sooner. The figure is the apply phase's wall time
//! (first operation started → last one finished) over that bound; the target is at most 1.10.
//!
//! `cargo bench --bench apply_critical_path` (needs moto: `scripts/tools.sh`; `--profile dev` measures the
//! debug binary, which is what the figure depends on least: the time is in latency, not in CPU).
//! `INFRA_BENCH_PARALLELISM` sets `--parallelism` (default: infra's, 10). Under `cargo test` it runs
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

fn run(r: &Run) {
    let moto = Moto::start();
    let proxy = LatencyProxy::start(moto.port, r.latency);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let cfg = dir.path().join("cfg");
    copy_plan(r.plan, &cfg);
    let parallelism = std::env::var("INFRA_BENCH_PARALLELISM").unwrap_or_else(|_| "10".into());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_infra"));
    cmd.current_dir(dir.path())
        .args(["-C", "cfg", "apply", "--auto-approve", "--no-color"])
        .args(["--env", r.env, "--parallelism", &parallelism])
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in r.vars {
        cmd.env(k, v);
    }
    let t0 = Instant::now();
    let mut child = cmd.spawn().expect("run infra");
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
    assert!(status.success(), "the apply failed");
    // Dependencies, from the state the apply wrote (resource addresses; every instance of one counts).
    let state_file = dir.path().join("state/cfg").join(format!("{}.tfstate.json", r.env));
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut instances: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for res in state["resources"].as_array().into_iter().flatten() {
        let addr = res["address"].as_str().unwrap().to_string();
        instances
            .entry(resource_of(&addr).to_string())
            .or_default()
            .push(addr.clone());
        let d = res["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_string))
            .collect();
        deps.insert(addr, d);
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
        let f = finish(a, &deps, &instances, &duration, &mut memo, &mut BTreeSet::new());
        if f.0 > critical.0 {
            critical = f;
        }
    }
    let first = ops.values().filter_map(|o| o.start).min().unwrap_or_default();
    let last = ops.values().filter_map(|o| o.end).max().unwrap_or_default();
    let wall = last.saturating_sub(first);
    let busy: Duration = ops.keys().map(|a| duration(a)).sum();
    println!(
        "{} ({} operations, {} ms per request, --parallelism {parallelism}): apply phase {:.2} s, critical path {:.2} s \
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
        total.as_secs_f64(),
        proxy.requests(),
    );
    println!("  critical path: {}", critical.1.join(" → "));
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
        ],
    });
}
