//! Benchmark: what a remote state backend costs an apply.
//!
//! Applies 200 resources of the in-memory provider (20 networks of 9 subnets each; every create takes a
//! fixed time, as a cloud API call does) once with the state in a local file and once with the S3 backend
//! on moto behind a proxy that adds 50 ms to every request. The time spent persisting state is the
//! difference between the two applies; the target is at most 10 % of the apply. Also reported: how many
//! times the state was written, and how long operations waited for their intents to be durable.
//!
//! `cargo bench --bench state_backend` (needs moto: `scripts/tools.sh`). Under `cargo test` it runs a small
//! version, to check that it works.

use infra::apply::{ApplyOptions, Quiet, apply};
use infra::config::Config;
use infra::encryption::Encryptor;
use infra::plan::planner::{PlanOptions, plan};
use infra::provider_set::ProviderSet;
use infra::state::StateStore;
use infra::testing::FakeProvider;
use infra_backend::{BackendContext, Settings};
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Size {
    networks: usize,
    subnets: usize,
    create: Duration,
    latency: Duration,
}

fn config(dir: &Path, size: &Size) {
    let mut tf = String::new();
    for i in 0..size.networks {
        let _ = writeln!(
            tf,
            "resource \"fake_network\" \"n{i}\" {{\n  cidr_block = \"10.{i}.0.0/16\"\n  name       = \"net-{i}\"\n}}\n"
        );
        for m in 0..size.subnets {
            let _ = writeln!(
                tf,
                "resource \"fake_subnet\" \"s{i}_{m}\" {{\n  network_id = fake_network.n{i}.id\n  cidr_block = cidrsubnet(fake_network.n{i}.cidr_block, 8, {m})\n  name       = \"${{fake_network.n{i}.name}}-{m}\"\n}}\n"
            );
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("main.tf"), tf).unwrap();
}

struct Measured {
    first_read: Duration,
    wall: Duration,
    writes: usize,
    intent_wait: Duration,
    resources: usize,
}

async fn apply_once(cfg_dir: &Path, size: &Size, store: Arc<StateStore>) -> Measured {
    let fake = FakeProvider::new();
    *fake.cloud.create_latency.lock().unwrap() = size.create;
    let providers = ProviderSet::new(vec![fake.clone()]);
    let (cfg, d) = Config::load(cfg_dir);
    assert!(!d.has_errors(), "{d:?}");
    let cfg = Arc::new(cfg);
    let (_tx, rx) = tokio::sync::watch::channel(false);
    // The first request of a process sets up the SDK's HTTP client (a one-time cost of every command,
    // not of persisting); the apply is measured from the state read on.
    let t = Instant::now();
    let state = store.load().await.unwrap().unwrap_or_default();
    let first_read = t.elapsed();
    let start = Instant::now();
    let state = match store.load().await.unwrap() {
        Some(s) => s,
        None => state,
    };
    let (p, d) = plan(
        cfg.clone(),
        &providers,
        state,
        Default::default(),
        "default",
        &PlanOptions::default(),
    )
    .await;
    let p = p.unwrap_or_else(|| panic!("plan failed: {d:?}"));
    let opts = ApplyOptions {
        parallelism: Some(10),
        progress_interval: Duration::from_secs(3600),
        poll_interval: Duration::from_millis(10),
        cancel: rx,
    };
    let (state, outcome) = apply(p, cfg, &providers, store, opts, Arc::new(Quiet))
        .await
        .unwrap_or_else(|d| panic!("apply failed: {d:?}"));
    assert!(outcome.ok(), "apply failed: {:?}", outcome.errors);
    Measured {
        first_read,
        wall: start.elapsed(),
        writes: outcome.state_writes,
        intent_wait: outcome.intent_wait,
        resources: state.resources.len(),
    }
}

async fn s3_store(moto: &infra_testkit::Moto, proxy: &infra_testkit::proxy::LatencyProxy) -> Arc<StateStore> {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    s3.create_bucket().bucket("bench-state").send().await.unwrap();
    let mut settings = Settings::new();
    for (k, v) in [
        ("bucket", "bench-state"),
        ("key", "bench/terraform.tfstate"),
        ("region", "us-east-1"),
        ("access_key", "testing"),
        ("secret_key", "testing"),
    ] {
        settings.insert(k.into(), v.into());
    }
    settings.insert("use_path_style".into(), true.into());
    settings.insert("skip_credentials_validation".into(), true.into());
    settings.insert(
        "endpoints".into(),
        serde_json::json!({ "s3": proxy.endpoint(), "sts": proxy.endpoint() }),
    );
    let backend = infra_aws::s3_backend()
        .configure(&settings, &BackendContext::default())
        .await
        .unwrap();
    Arc::new(StateStore::new(backend.state("default"), Encryptor::none()))
}

fn run(size: &Size) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    config(&dir.path().join("cfg"), size);
    let total = size.networks * (size.subnets + 1);
    let local = rt.block_on(apply_once(
        &dir.path().join("cfg"),
        size,
        Arc::new(StateStore::local(dir.path().join("state/default.tfstate.json"))),
    ));
    assert_eq!(local.resources, total);
    let moto = infra_testkit::Moto::start();
    let proxy = infra_testkit::proxy::LatencyProxy::start(moto.port, size.latency);
    let store = rt.block_on(s3_store(&moto, &proxy));
    let before = proxy.requests();
    let remote = rt.block_on(apply_once(&dir.path().join("cfg"), size, store));
    assert_eq!(remote.resources, total);
    let requests = proxy.requests() - before;
    let persisting = remote.wall.saturating_sub(local.wall);
    println!(
        "{total} resources, {} ms per create, parallelism 10: local file {:.2} s ({} writes); S3 + {} ms/request {:.2} s (first read {:.2} s before it; {} writes, {requests} requests, intents waited {:.2} s in all); persisting state: {:.2} s = {:.1} % of the apply",
        size.create.as_millis(),
        local.wall.as_secs_f64(),
        local.writes,
        size.latency.as_millis(),
        remote.wall.as_secs_f64(),
        remote.first_read.as_secs_f64(),
        remote.writes,
        remote.intent_wait.as_secs_f64(),
        persisting.as_secs_f64(),
        100.0 * persisting.as_secs_f64() / remote.wall.as_secs_f64()
    );
}

fn main() {
    // INFRA_LOG=infra::api=debug shows every S3 call with its time.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("INFRA_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
    let bench = std::env::args().any(|a| a == "--bench");
    if !bench {
        // `cargo test`: a small run that checks the benchmark works.
        run(&Size {
            networks: 2,
            subnets: 4,
            create: Duration::from_millis(20),
            latency: Duration::from_millis(5),
        });
        return;
    }
    for create in [Duration::from_millis(500), Duration::from_secs(1)] {
        run(&Size {
            networks: 20,
            subnets: 9,
            create,
            latency: Duration::from_millis(50),
        });
    }
}
