//! Applies under network faults and kills between the steps of one create, through the fault proxy
//! (`infra_testkit::fault_proxy`) in front of moto: every run converges, and the cloud holds exactly what
//! state says — no duplicate (two objects for one address) and no orphan (an object state does not know).
//!
//! The number of seeded trials is `INFRA_FAULT_TRIALS` (3 by default; the README's figures are from 10).
//! Each trial prints one line of figures on stderr (`cargo test ... faults -- --nocapture` shows them).

use crate::support::World;
use infra_testkit::fault_proxy::{ANY, FaultProxy, Faults};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

const TOKEN: &str = "tok-e2e-faults";

/// Sends the world's infra runs through a fault proxy in front of its moto.
fn through_proxy(w: &mut World, faults: Faults) -> FaultProxy {
    let proxy = FaultProxy::start(w.moto.as_ref().unwrap().port, faults);
    for (k, v) in w.env.iter_mut() {
        if k == "AWS_ENDPOINT_URL" {
            *v = proxy.endpoint();
        }
    }
    proxy
}

/// A world on `plans/example` whose infra runs go through a fault proxy.
fn world(faults: Faults) -> (World, FaultProxy) {
    let mut w = World::aws();
    w.copy_plan("example");
    let proxy = through_proxy(&mut w, faults);
    w.env.push(("TF_VAR_api_token".into(), TOKEN.into()));
    (w, proxy)
}

/// Runs `infra ARGS` and kills it with SIGKILL right after the `nth` call of `operation` reached moto
/// (the proxy holds its answer back).
fn kill_after(w: &World, proxy: &FaultProxy, args: &[&str], operation: &str, nth: usize) {
    proxy.hold_after(operation, nth);
    let mut child = w
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let held = proxy.wait_held(Duration::from_secs(300));
    // SAFETY: signalling a child process we own.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    proxy.release();
    assert!(held, "{operation} #{nth} was never called");
}

fn faults(seed: u64) -> Faults {
    Faults {
        seed,
        throttle: 0.10,
        server_error: 0.10,
        reset_before: 0.025,
        reset_after: 0.025,
        ..Faults::default()
    }
}

/// The EC2 filter on this state's ownership tag.
fn ours(lineage: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name("tag:infra:lineage")
        .values(lineage)
        .build()
}

/// What the cloud holds of this state's lineage, by resource type, counted through the AWS API
/// (directly on moto, not through the proxy).
async fn cloud_inventory(w: &World, lineage: &str) -> BTreeMap<String, usize> {
    let conf = w.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let ours = || ours(lineage);
    let mut inv = BTreeMap::new();
    let mut put = |k: &str, n: usize| {
        if n > 0 {
            inv.insert(k.to_string(), n);
        }
    };
    let vpcs = ec2.describe_vpcs().filters(ours()).send().await.unwrap();
    put("aws_vpc", vpcs.vpcs().len());
    let subnets = ec2.describe_subnets().filters(ours()).send().await.unwrap();
    put("aws_subnet", subnets.subnets().len());
    let igws = ec2.describe_internet_gateways().filters(ours()).send().await.unwrap();
    put("aws_internet_gateway", igws.internet_gateways().len());
    let tables = ec2.describe_route_tables().filters(ours()).send().await.unwrap();
    put("aws_route_table", tables.route_tables().len());
    let associations: usize = tables
        .route_tables()
        .iter()
        .map(|t| t.associations().iter().filter(|a| a.main() != Some(true)).count())
        .sum();
    put("aws_route_table_association", associations);
    let groups = ec2.describe_security_groups().filters(ours()).send().await.unwrap();
    put("aws_security_group", groups.security_groups().len());
    // Rules: the ones our standalone rule resources own (not inline rules of a group with inline rules),
    // and any rule nothing asked for (EC2's default egress rule left behind).
    let mut standalone_ingress = 0;
    let mut standalone_egress = 0;
    let mut unasked = Vec::new();
    for g in groups.security_groups() {
        let name = g.group_name().unwrap_or_default();
        let rules = ec2
            .describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(g.group_id().unwrap())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        for r in rules.security_group_rules() {
            let egress = r.is_egress() == Some(true);
            if name.ends_with("-api") {
                if egress {
                    standalone_egress += 1;
                    if r.description() != Some("API to anywhere") {
                        unasked.push(format!("{name}: egress {:?}", r.cidr_ipv4()));
                    }
                } else {
                    standalone_ingress += 1;
                }
            }
        }
    }
    assert!(unasked.is_empty(), "rules nothing configured: {unasked:?}");
    put("aws_vpc_security_group_ingress_rule", standalone_ingress);
    put("aws_vpc_security_group_egress_rule", standalone_egress);
    let ssm = aws_sdk_ssm::Client::new(&conf);
    let params = ssm.describe_parameters().send().await.unwrap();
    put("aws_ssm_parameter", params.parameters().len());
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    let secrets = sm.list_secrets().send().await.unwrap();
    put("aws_secretsmanager_secret", secrets.secret_list().len());
    let mut versions = 0;
    for s in secrets.secret_list() {
        let v = sm
            .list_secret_version_ids()
            .secret_id(s.arn().unwrap())
            .send()
            .await
            .unwrap();
        versions += v.versions().len();
    }
    put("aws_secretsmanager_secret_version", versions);
    inv
}

/// What state holds, by resource type (managed resources only), and whether any intent is left.
fn state_inventory(w: &World) -> (BTreeMap<String, usize>, Vec<String>, String) {
    let st = w.state_json("default");
    let mut inv = BTreeMap::new();
    let mut intents = Vec::new();
    for r in st["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" {
            continue;
        }
        *inv.entry(r["type"].as_str().unwrap().to_string()).or_insert(0) += 1;
        if r["status"] != "ready" {
            intents.push(format!("{} is {}", r["address"], r["status"]));
        }
    }
    (inv, intents, st["lineage"].as_str().unwrap_or_default().to_string())
}

/// Runs `infra ARGS` until it succeeds, at most `tries` times; the number of runs it took.
fn until_ok(w: &World, args: &[&str], tries: usize) -> Option<usize> {
    for n in 1..=tries {
        let r = w.infra(args);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(!r.stderr.contains("DispatchFailure("), "a debug dump: {}", r.stderr);
        if r.code == 0 {
            return Some(n);
        }
        eprintln!("run {n} of `infra {}` failed:\n{}", args.join(" "), r.stderr);
    }
    None
}

fn trials() -> u64 {
    std::env::var("INFRA_FAULT_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

#[tokio::test]
async fn under_throttling_5xx_and_resets_the_example_converges_without_duplicates_or_orphans() {
    for seed in 1..=trials() {
        let (w, proxy) = world(faults(seed));
        let runs = until_ok(&w, &["apply", "--auto-approve"], 3)
            .unwrap_or_else(|| panic!("seed {seed}: the apply did not converge in 3 runs"));
        let stats = proxy.stats();
        proxy.set_faults(Faults::none());
        let (state, intents, lineage) = state_inventory(&w);
        assert!(intents.is_empty(), "seed {seed}: {intents:?}");
        let cloud = cloud_inventory(&w, &lineage).await;
        assert_eq!(cloud, state, "seed {seed}: the cloud holds what state says");
        let plan = w.infra(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "seed {seed}: a no-op plan after\n{}{}",
            plan.stdout, plan.stderr
        );

        // Destroy under the same faults leaves nothing of ours.
        proxy.set_faults(faults(seed + 100));
        let destroy_runs = until_ok(&w, &["destroy", "--auto-approve"], 3)
            .unwrap_or_else(|| panic!("seed {seed}: destroy did not converge in 3 runs"));
        proxy.set_faults(Faults::none());
        let left = cloud_inventory(&w, &lineage).await;
        assert!(left.is_empty(), "seed {seed}: left after destroy: {left:?}");
        eprintln!(
            "faults trial seed={seed}: apply converged in {runs} run(s), destroy in {destroy_runs}; {} requests in the apply, \
             {} throttled, {} 5xx, {} reset before, {} reset after; duplicates 0, orphans 0",
            stats.requests, stats.throttled, stats.server_errors, stats.reset_before, stats.reset_after
        );
    }
}

/// Kills `infra apply` right after the `nth` call of `operation` reached the cloud (its answer held back
/// by the proxy), then reruns it without faults.
async fn killed_after(operation: &str, nth: usize) {
    let (w, proxy) = world(Faults::none());
    kill_after(&w, &proxy, &["apply", "--auto-approve"], operation, nth);
    let rerun = w.infra(&["apply", "--auto-approve"]);
    assert_eq!(rerun.code, 0, "after a kill after {operation} #{nth}: {}", rerun.stderr);
    let (state, intents, lineage) = state_inventory(&w);
    assert!(intents.is_empty(), "after {operation} #{nth}: {intents:?}");
    let cloud = cloud_inventory(&w, &lineage).await;
    assert_eq!(cloud, state, "after a kill after {operation} #{nth}");
    let plan = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "after {operation} #{nth}: a no-op plan\n{}", plan.stdout);
}

#[tokio::test]
async fn a_kill_between_the_steps_of_a_create_is_finished_by_the_rerun() {
    // The first call of each step of the example's creates, and a few second calls.
    for (operation, nth) in [
        ("CreateSecurityGroup", 1),
        ("CreateSecurityGroup", 2),
        ("RevokeSecurityGroupEgress", 1),
        ("AuthorizeSecurityGroupIngress", 1),
        ("CreateInternetGateway", 1),
        ("AttachInternetGateway", 1),
        ("CreateVpc", 1),
        ("CreateSubnet", 3),
        ("CreateRouteTable", 1),
        ("PutParameter", 1),
        ("CreateSecret", 1),
    ] {
        killed_after(operation, nth).await;
    }
}

/// What the stage stack's kills can duplicate or orphan, counted through the AWS API (directly on moto).
async fn stage_inventory(w: &World, lineage: &str) -> BTreeMap<String, usize> {
    let conf = w.sdk_config().await;
    let mut inv = BTreeMap::new();
    let ecs = aws_sdk_ecs::Client::new(&conf);
    let defs = ecs.list_task_definitions().send().await.unwrap();
    inv.insert("aws_ecs_task_definition".to_string(), defs.task_definition_arns().len());
    let clusters = ecs.list_clusters().send().await.unwrap();
    // Deleted services stay listed as INACTIVE for a while (moto keeps them), as do deleted clusters:
    // only live ones count.
    let mut services = 0;
    for cl in clusters.cluster_arns() {
        let arns = ecs
            .list_services()
            .cluster(cl)
            .send()
            .await
            .unwrap()
            .service_arns()
            .to_vec();
        for chunk in arns.chunks(10) {
            let got = ecs
                .describe_services()
                .cluster(cl)
                .set_services(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            services += got.services().iter().filter(|s| s.status() != Some("INACTIVE")).count();
        }
    }
    inv.insert("aws_ecs_service".to_string(), services);
    let ecr = aws_sdk_ecr::Client::new(&conf);
    let repos = ecr.describe_repositories().send().await.unwrap();
    inv.insert("aws_ecr_repository".to_string(), repos.repositories().len());
    let iam = aws_sdk_iam::Client::new(&conf);
    let roles = iam.list_roles().send().await.unwrap();
    inv.insert("aws_iam_role".to_string(), roles.roles().len());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let groups = logs.describe_log_groups().send().await.unwrap();
    inv.insert("aws_cloudwatch_log_group".to_string(), groups.log_groups().len());
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let sgs = ec2
        .describe_security_groups()
        .filters(ours(lineage))
        .send()
        .await
        .unwrap();
    inv.insert("aws_security_group".to_string(), sgs.security_groups().len());
    inv
}

/// A world on `plans/araquem-stage` (environment `stage`) whose infra runs go through a fault proxy.
fn stage_world(faults: Faults) -> (World, FaultProxy) {
    let mut w = World::stage("qot-faults");
    let proxy = through_proxy(&mut w, faults);
    (w, proxy)
}

const STAGE_APPLY: &[&str] = &["apply", "--env", "stage", "--auto-approve"];

/// After the stage stack's runs: no intent left, the cloud holds what state says for the types a kill or
/// a fault could duplicate or orphan, and a plan shows no changes.
async fn assert_stage_converged(w: &World, label: &str) {
    let st = w.state_json("stage");
    let mut state = BTreeMap::new();
    for r in st["resources"].as_array().into_iter().flatten() {
        assert_eq!(r["status"], "ready", "{label}: {}", r["address"]);
        if r["mode"] == "managed" {
            *state.entry(r["type"].as_str().unwrap().to_string()).or_insert(0) += 1;
        }
    }
    let cloud = stage_inventory(w, st["lineage"].as_str().unwrap()).await;
    for (t, n) in &cloud {
        assert_eq!(
            state.get(t).copied().unwrap_or(0),
            *n,
            "{label}: {t} in the cloud vs in state"
        );
    }
    let plan = w.infra(&["plan", "--env", "stage", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{label}: a no-op plan\n{}{}", plan.stdout, plan.stderr);
}

/// Kills `infra apply` on the stage stack right after the `nth` call of `operation` reached moto, reruns
/// it, and compares the cloud with state for the types a kill there could duplicate or orphan.
async fn stage_killed_after(operation: &str, nth: usize) {
    let (w, proxy) = stage_world(Faults::none());
    kill_after(&w, &proxy, STAGE_APPLY, operation, nth);
    let rerun = w.infra(STAGE_APPLY);
    assert_eq!(
        rerun.code, 0,
        "stage, after a kill after {operation} #{nth}: {}",
        rerun.stderr
    );
    assert_stage_converged(&w, &format!("stage, after a kill after {operation} #{nth}")).await;
}

fn count_from_env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// How many requests a whole stage apply makes, from a clean apply through the proxy.
fn stage_apply_requests() -> usize {
    let (w, proxy) = stage_world(Faults::none());
    w.infra(STAGE_APPLY).ok();
    proxy.stats().requests
}

/// The seeded instants: the n-th request of the apply, spread over all of it.
fn instants(seeds: std::ops::RangeInclusive<u64>, total: usize) -> Vec<(u64, usize)> {
    seeds
        .map(|seed| {
            // splitmix64, as the proxy draws its faults.
            let mut z = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (seed, 1 + (z as usize) % total.max(1))
        })
        .collect()
}

/// SIGKILL at seeded instants spread over the whole stage apply (`INFRA_KILL_INSTANTS`, 2 by default; the
/// README's figures are from 30), then SIGINT — once, or twice for the immediate stop — at more
/// (`INFRA_SIGINT_INSTANTS`, 1 by default; 5 for the README): each rerun converges in one run.
#[tokio::test]
async fn stage_killed_or_interrupted_at_seeded_instants_converges_in_one_rerun() {
    let total = stage_apply_requests();
    let kills = count_from_env("INFRA_KILL_INSTANTS", 2);
    let sigints = count_from_env("INFRA_SIGINT_INSTANTS", 1);
    for (seed, nth) in instants(1..=kills, total) {
        let (w, proxy) = stage_world(Faults::none());
        kill_after(&w, &proxy, STAGE_APPLY, ANY, nth);
        let rerun = w.infra(STAGE_APPLY);
        let label = format!("stage, SIGKILL after request {nth} of {total} (seed {seed})");
        assert_eq!(rerun.code, 0, "{label}: the rerun failed\n{}", rerun.stderr);
        assert_stage_converged(&w, &label).await;
        eprintln!("{label}: the rerun converged; duplicates 0, orphans 0");
    }
    for (seed, nth) in instants(1001..=1000 + sigints, total) {
        let twice = seed % 2 == 0;
        let (w, proxy) = stage_world(Faults::none());
        proxy.hold_after(ANY, nth);
        let mut child = w
            .command(STAGE_APPLY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(
            proxy.wait_held(Duration::from_secs(300)),
            "request {nth} was never made"
        );
        // SAFETY: signalling a child process we own.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        if twice {
            std::thread::sleep(Duration::from_millis(200));
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        }
        // The held call now fails as a reset would (its effect happened; the client never heard).
        std::thread::sleep(Duration::from_millis(300));
        proxy.release();
        let status = child.wait().unwrap();
        assert_ne!(status.code(), Some(0), "an interrupted apply does not report success");
        let rerun = w.infra(STAGE_APPLY);
        let label = format!(
            "stage, {} after request {nth} of {total} (seed {seed})",
            if twice { "double SIGINT" } else { "SIGINT" }
        );
        assert_eq!(rerun.code, 0, "{label}: the rerun failed\n{}", rerun.stderr);
        assert_stage_converged(&w, &label).await;
        eprintln!("{label}: the rerun converged; duplicates 0, orphans 0");
    }
}

/// The stage stack under the same faults as the example (`INFRA_STAGE_FAULT_TRIALS`, 1 by default; the
/// README's figures are from 10): it converges, cloud == state, no-op plan, destroy leaves nothing.
#[tokio::test]
async fn under_throttling_5xx_and_resets_the_stage_converges_without_duplicates_or_orphans() {
    for seed in 1..=count_from_env("INFRA_STAGE_FAULT_TRIALS", 1) {
        let (w, proxy) = stage_world(faults(seed));
        let runs = until_ok(&w, STAGE_APPLY, 3)
            .unwrap_or_else(|| panic!("stage seed {seed}: the apply did not converge in 3 runs"));
        let stats = proxy.stats();
        proxy.set_faults(Faults::none());
        assert_stage_converged(&w, &format!("stage under faults, seed {seed}")).await;
        let lineage = w.state_json("stage")["lineage"].as_str().unwrap().to_string();
        proxy.set_faults(faults(seed + 100));
        let destroy_runs = until_ok(&w, &["destroy", "--env", "stage", "--auto-approve"], 3)
            .unwrap_or_else(|| panic!("stage seed {seed}: destroy did not converge in 3 runs"));
        proxy.set_faults(Faults::none());
        let left: BTreeMap<String, usize> = stage_inventory(&w, &lineage)
            .await
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(left.is_empty(), "stage seed {seed}: left after destroy: {left:?}");
        eprintln!(
            "stage faults trial seed={seed}: apply converged in {runs} run(s), destroy in {destroy_runs}; {} requests in the apply, \
             {} throttled, {} 5xx, {} reset before, {} reset after; duplicates 0, orphans 0",
            stats.requests, stats.throttled, stats.server_errors, stats.reset_before, stats.reset_after
        );
    }
}

/// `plans/docs-search-do` (its DigitalOcean part) through the fault proxy in front of Prism: 429s with
/// `retry-after`, 5xx and resets before and after forwarding (`INFRA_FAULT_TRIALS` seeds): the apply
/// converges, the double holds exactly what state says, a no-op plan follows, destroy leaves nothing.
#[tokio::test]
async fn under_429s_5xx_and_resets_docs_search_do_converges_without_duplicates_or_orphans() {
    for seed in 1..=trials() {
        let mut w = World::digitalocean();
        w.copy_plan_without("docs-search-do", &["s3.tf"]);
        w.allow_destroy();
        let prism_port: u16 = w
            .env
            .iter()
            .find(|(k, _)| k == "DIGITALOCEAN_API_URL")
            .and_then(|(_, v)| v.rsplit(':').next()?.trim_end_matches('/').parse().ok())
            .expect("the DigitalOcean API URL");
        let proxy = FaultProxy::start(prism_port, faults(seed));
        for (k, v) in w.env.iter_mut() {
            if k == "DIGITALOCEAN_API_URL" {
                *v = proxy.endpoint();
            }
        }
        let apply = ["apply", "--env", "production", "--auto-approve"];
        let runs = until_ok(&w, &apply, 3)
            .unwrap_or_else(|| panic!("digitalocean seed {seed}: the apply did not converge in 3 runs"));
        let stats = proxy.stats();
        proxy.set_faults(Faults::none());
        let st = w.state_json("production");
        let mut state = BTreeMap::new();
        for r in st["resources"].as_array().into_iter().flatten() {
            assert_eq!(r["status"], "ready", "digitalocean seed {seed}: {}", r["address"]);
            if r["mode"] == "managed" {
                *state.entry(r["type"].as_str().unwrap().to_string()).or_insert(0usize) += 1;
            }
        }
        let cloud = do_inventory(&w);
        for (t, n) in &cloud {
            assert_eq!(
                state.get(t).copied().unwrap_or(0),
                *n,
                "digitalocean seed {seed}: {t} in the double vs in state"
            );
        }
        let plan = w.infra(&["plan", "--env", "production", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "digitalocean seed {seed}: a no-op plan\n{}", plan.stdout);
        proxy.set_faults(faults(seed + 100));
        let destroy_runs = until_ok(&w, &["destroy", "--env", "production", "--auto-approve"], 3)
            .unwrap_or_else(|| panic!("digitalocean seed {seed}: destroy did not converge in 3 runs"));
        proxy.set_faults(Faults::none());
        let left: BTreeMap<String, usize> = do_inventory(&w).into_iter().filter(|(_, n)| *n > 0).collect();
        assert!(
            left.is_empty(),
            "digitalocean seed {seed}: left after destroy: {left:?}"
        );
        eprintln!(
            "digitalocean faults trial seed={seed}: apply converged in {runs} run(s), destroy in {destroy_runs}; {} requests in the apply, \
             {} throttled (429), {} 5xx, {} reset before, {} reset after; duplicates 0, orphans 0",
            stats.requests, stats.throttled, stats.server_errors, stats.reset_before, stats.reset_after
        );
    }
}

/// What the DigitalOcean double holds, by resource type (asked directly, not through the proxy): every
/// droplet, database cluster and firewall, and the VPCs and projects that are not the account's defaults.
fn do_inventory(w: &World) -> BTreeMap<String, usize> {
    let list = |path: &str, key: &str| -> Vec<serde_json::Value> {
        let (status, body) = w.do_get(&format!("/v2/{path}?per_page=200"));
        assert_eq!(status, 200, "GET /v2/{path}: {body}");
        body[key].as_array().cloned().unwrap_or_default()
    };
    let mut inv = BTreeMap::new();
    inv.insert("digitalocean_droplet".to_string(), list("droplets", "droplets").len());
    inv.insert(
        "digitalocean_database_cluster".to_string(),
        list("databases", "databases").len(),
    );
    inv.insert(
        "digitalocean_firewall".to_string(),
        list("firewalls", "firewalls").len(),
    );
    inv.insert(
        "digitalocean_vpc".to_string(),
        list("vpcs", "vpcs").iter().filter(|v| v["default"] != true).count(),
    );
    inv.insert(
        "digitalocean_project".to_string(),
        list("projects", "projects")
            .iter()
            .filter(|p| p["is_default"] != true)
            .count(),
    );
    inv
}

#[tokio::test]
async fn stage_kills_between_the_steps_of_its_creates_are_finished_by_the_rerun() {
    for (operation, nth) in [
        ("CreateSecurityGroup", 3),
        ("RegisterTaskDefinition", 2),
        ("CreateService", 1),
        ("CreateRepository", 1),
        ("CreateRole", 1),
        ("CreateLogGroup", 1),
    ] {
        stage_killed_after(operation, nth).await;
    }
}
