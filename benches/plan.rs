//! Benchmark: `plan` with refresh off on generated configurations of 1,000 and 10,000 resources (networks
//! and subnets that refer to them through attributes and functions) against a matching state.
//!
//! Run with `cargo bench --bench plan`. Each size is measured in a fresh child process (so peak RSS is the
//! plan's alone): load the configuration and state files, plan, report wall time and peak RSS (VmHWM).
//! The plan must find no changes — that is checked, so the figure is for real work.

use infra::addrs::{InstanceAddr, ProviderKey};
use infra::config::Config;
use infra::plan::planner::{PlanOptions, plan};
use infra::provider_set::ProviderSet;
use infra::state::{ResourceInstance, State, StateStore};

use infra::testing::FakeProvider;
use infra_provider::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The same allocator as the `infra` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SUBNETS_PER_NETWORK: usize = 9;

fn generate(dir: &Path, total: usize) {
    let networks = total / (SUBNETS_PER_NETWORK + 1);
    let mut tf = String::new();
    let mut state = State::new();
    let fake = ProviderKey::default_for("fake");
    for i in 0..networks {
        let cidr = format!("10.{}.{}.0/24", i / 256, i % 256);
        let _ = writeln!(
            tf,
            "resource \"fake_network\" \"n{i}\" {{\n  cidr_block = \"{cidr}\"\n  name       = \"net-{i}\"\n  tags = {{\n    Env   = \"bench\"\n    Index = \"{i}\"\n  }}\n}}\n"
        );
        let id = format!("net-{i}");
        let v = Value::map([
            ("id", Value::string(&id)),
            ("cidr_block", Value::string(&cidr)),
            ("name", Value::string(format!("net-{i}"))),
            ("arn", Value::string(format!("arn:fake:{id}"))),
            (
                "tags",
                Value::string_map([("Env", "bench".to_string()), ("Index", i.to_string())]),
            ),
        ]);
        state.resources.insert(
            format!("fake_network.n{i}").parse::<InstanceAddr>().unwrap(),
            ResourceInstance::ready(fake.clone(), v),
        );
        for m in 0..SUBNETS_PER_NETWORK {
            let j = i * SUBNETS_PER_NETWORK + m;
            let _ = writeln!(
                tf,
                "resource \"fake_subnet\" \"s{j}\" {{\n  network_id = fake_network.n{i}.id\n  cidr_block = cidrsubnet(fake_network.n{i}.cidr_block, 4, {m})\n  name       = \"${{fake_network.n{i}.name}}-{m}\"\n}}\n"
            );
            let base = format!("10.{}.{}", i / 256, i % 256);
            let sid = format!("subnet-{j}");
            let v = Value::map([
                ("id", Value::string(&sid)),
                ("network_id", Value::string(&id)),
                ("cidr_block", Value::string(format!("{base}.{}/28", m * 16))),
                ("zone", Value::string("zone-a")),
                ("name", Value::string(format!("net-{i}-{m}"))),
                ("arn", Value::string(format!("arn:fake:{sid}"))),
                ("tags", Value::Null),
            ]);
            let mut inst = ResourceInstance::ready(fake.clone(), v);
            inst.dependencies = vec![infra::addrs::ResourceAddr::managed("fake_network", &format!("n{i}"))];
            state
                .resources
                .insert(format!("fake_subnet.s{j}").parse::<InstanceAddr>().unwrap(), inst);
        }
    }
    std::fs::create_dir_all(dir.join("cfg")).unwrap();
    std::fs::write(dir.join("cfg/main.tf"), tf).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(StateStore::local(dir.join("state.json")).persist(&mut state))
        .unwrap();
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn measure(dir: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let (cfg, d) = Config::load(&dir.join("cfg"));
    assert!(!d.has_errors(), "{d:?}");
    let loaded = start.elapsed();
    let state = rt
        .block_on(StateStore::local(dir.join("state.json")).load())
        .unwrap()
        .unwrap();
    let state_loaded = start.elapsed();
    let providers = ProviderSet::new(vec![FakeProvider::new()]);
    let opts = PlanOptions {
        refresh: false,
        ..Default::default()
    };
    let n = state.resources.len();
    let (p, d) = rt.block_on(plan(
        Arc::new(cfg),
        &providers,
        state,
        BTreeMap::new(),
        "default",
        &opts,
    ));
    let total = start.elapsed();
    let p = p.unwrap_or_else(|| panic!("plan failed: {d:?}"));
    assert!(!p.has_changes(), "the generated state must match the configuration");
    println!(
        "{n:>6} resources: plan (refresh off) {:>7.1} ms total [config {:.1} ms, state {:.1} ms, plan {:.1} ms], peak RSS {:.1} MB",
        total.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3,
        (state_loaded - loaded).as_secs_f64() * 1e3,
        (total - state_loaded).as_secs_f64() * 1e3,
        peak_rss_kb() as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        measure(Path::new(&args[i + 1]));
        return;
    }
    // `--generate N DIR` writes a configuration and state to profile by hand.
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        generate(Path::new(&args[i + 2]), args[i + 1].parse().expect("a resource count"));
        return;
    }
    // `cargo bench` passes --bench; any other filter arguments are ignored.
    for total in [1_000, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), total);
        let status = std::process::Command::new(&args[0])
            .arg("--measure")
            .arg(dir.path())
            .status()
            .expect("run the measurement");
        assert!(status.success(), "measurement for {total} resources failed");
    }
}
