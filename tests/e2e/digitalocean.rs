//! DigitalOcean end to end, through the `infra` binary and Prism in front of the test double, on the
//! DigitalOcean part of the production plan `plans/docs-search-do/` (copied without `s3.tf`):
//! apply from empty → no-op plan → droplet resize in place (cost delta, power-off/resize/power-on
//! actions) under a 429 storm → region change planned as a replacement → destroy leaves nothing; and an
//! apply killed right after the droplet create call, whose rerun adopts the droplet by its tag.

use crate::support::{Run, World};
use std::time::{Duration, Instant};

const ENV: &str = "production";

/// The plan's DigitalOcean part in the scratch directory.
fn production(w: &World) {
    w.copy_plan_without("docs-search-do", &["s3.tf"]);
    w.allow_destroy();
    assert!(!w.cfg().join("s3.tf").exists());
    assert!(w.cfg().join("production.tfvars").exists());
}

/// Replaces `key = ...` in the copied production.tfvars.
fn set_tfvar(w: &World, key: &str, value: &str) {
    let p = w.cfg().join("production.tfvars");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut found = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.split('=').next().is_some_and(|k| k.trim() == key) {
                found = true;
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "{key} is not in production.tfvars");
    std::fs::write(&p, out.join("\n") + "\n").unwrap();
}

/// Every run of a test, to check at the end that the token never appeared in any output.
struct Runs<'a> {
    w: &'a World,
    outputs: Vec<String>,
}

impl<'a> Runs<'a> {
    fn new(w: &'a World) -> Self {
        Runs { w, outputs: vec![] }
    }
    fn run(&mut self, args: &[&str]) -> Run {
        let r = self.w.infra(args);
        self.outputs.push(r.all());
        r
    }
    fn run_env(&mut self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let r = self.w.infra_env(args, env);
        self.outputs.push(r.all());
        r
    }
    fn assert_token_never_printed(&self) {
        let token = self.w.do_token();
        assert!(token.len() > 10);
        for (i, o) in self.outputs.iter().enumerate() {
            assert!(!o.contains(token), "run {i} printed the DigitalOcean token:\n{o}");
        }
    }
}

/// The items of a DigitalOcean collection (`GET /v2/<path>` through Prism), asserting a 200.
fn list(w: &World, path: &str, key: &str) -> Vec<serde_json::Value> {
    let (status, body) = w.do_get(&format!("/v2/{path}"));
    assert_eq!(status, 200, "GET /v2/{path}: {body}");
    body[key]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn resource<'s>(state: &'s serde_json::Value, kind: &str) -> &'s serde_json::Value {
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in state: {state}"))
}

fn attrs<'s>(state: &'s serde_json::Value, kind: &str) -> &'s serde_json::Value {
    &resource(state, kind)["attributes"]
}

#[test]
fn production_stack_apply_resize_replace_destroy() {
    let w = World::digitalocean();
    production(&w);
    let ctl = w.do_control();
    let mut runs = Runs::new(&w);

    // Apply from empty.
    let a = runs.run(&["apply", "--env", ENV, "--auto-approve"]);
    let out = a.ok();
    assert!(
        out.contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    let state = w.state_json(ENV);
    let droplet_id = attrs(&state, "digitalocean_droplet")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster_id = attrs(&state, "digitalocean_database_cluster")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let vpc_id = attrs(&state, "digitalocean_vpc")["id"].as_str().unwrap().to_string();
    assert!(
        state["outputs"]["droplet_ipv4"]["value"]
            .as_str()
            .is_some_and(|ip| ip.contains('.'))
    );
    assert_eq!(
        state["outputs"]["database_uri"]["sensitive"], true,
        "{}",
        state["outputs"]
    );

    // What the API holds.
    let droplets = list(&w, "droplets", "droplets");
    assert_eq!(droplets.len(), 1, "{droplets:?}");
    let d = &droplets[0];
    assert_eq!(d["id"].to_string(), droplet_id);
    assert_eq!(d["name"], "docs-search-app");
    assert_eq!(d["size_slug"], "s-2vcpu-4gb");
    assert_eq!(d["region"]["slug"], "fra1");
    assert_eq!(d["vpc_uuid"], vpc_id.as_str());
    let tags = strs(&d["tags"]);
    assert!(tags.contains(&"docs-search".to_string()) && tags.contains(&"production".to_string()));
    assert!(tags.iter().any(|t| t.starts_with("infra-")), "ownership tag: {tags:?}");

    let dbs = list(&w, "databases", "databases");
    assert_eq!(dbs.len(), 1, "{dbs:?}");
    assert_eq!(dbs[0]["id"], cluster_id.as_str());
    assert_eq!(dbs[0]["engine"], "pg");
    assert_eq!(dbs[0]["version"], "16");
    assert_eq!(dbs[0]["size"], "db-s-1vcpu-1gb");
    assert_eq!(dbs[0]["private_network_uuid"], vpc_id.as_str());

    let (st, fw) = w.do_get(&format!("/v2/databases/{cluster_id}/firewall"));
    assert_eq!(st, 200);
    let rules = fw["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "only the droplet is admitted: {fw}");
    assert_eq!(rules[0]["type"], "droplet");
    assert_eq!(rules[0]["value"], droplet_id.as_str());

    let firewalls = list(&w, "firewalls", "firewalls");
    assert_eq!(firewalls.len(), 1);
    let f = &firewalls[0];
    assert_eq!(f["droplet_ids"][0].to_string(), droplet_id);
    let inbound = f["inbound_rules"].as_array().unwrap();
    let sources = |port: &str| -> Vec<String> {
        inbound
            .iter()
            .find(|r| r["ports"] == port)
            .map(|r| {
                let mut a = strs(&r["sources"]["addresses"]);
                a.sort();
                a
            })
            .unwrap_or_else(|| panic!("no inbound rule for {port}: {inbound:?}"))
    };
    assert_eq!(
        sources("22"),
        vec!["198.51.100.7/32", "203.0.113.0/24"],
        "SSH only from admin_cidrs"
    );
    assert!(sources("80").contains(&"0.0.0.0/0".to_string()));
    assert!(sources("443").contains(&"::/0".to_string()));
    assert_eq!(inbound.len(), 3, "{inbound:?}");
    assert_eq!(f["outbound_rules"].as_array().unwrap().len(), 3);

    let projects = list(&w, "projects", "projects");
    let p = projects
        .iter()
        .find(|p| p["name"] == "docs-search-production")
        .unwrap_or_else(|| panic!("{projects:?}"));
    assert_eq!(p["environment"], "Production");
    let pid = p["id"].as_str().unwrap();
    let urns: Vec<String> = list(&w, &format!("projects/{pid}/resources"), "resources")
        .iter()
        .map(|r| r["urn"].as_str().unwrap().to_string())
        .collect();
    assert!(urns.contains(&format!("do:droplet:{droplet_id}")), "{urns:?}");
    assert!(urns.contains(&format!("do:dbaas:{cluster_id}")), "{urns:?}");
    assert_eq!(urns.len(), 2, "{urns:?}");

    // A second plan has nothing to do.
    let again = runs.run(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // A bigger droplet is an in-place update costing $24 more a month.
    set_tfvar(&w, "droplet_size", "\"s-4vcpu-8gb\"");
    let p = runs.run(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(p.code, 2, "{}", p.all());
    assert!(
        p.stdout.contains("digitalocean_droplet.app will be updated in-place"),
        "{}",
        p.stdout
    );
    assert!(
        p.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        p.stdout
    );
    assert!(p.all().contains("Monthly cost will change by +$24.00"), "{}", p.all());

    // Applied under a storm of 429s (the next 6 requests), which the client rides out.
    let before = ctl.requests().len();
    ctl.rate_limit(6, 1);
    let a = runs.run_env(
        &["apply", "--env", ENV, "--auto-approve"],
        &[("INFRA_LOG", "infra::api=debug")],
    );
    let out = a.ok();
    assert!(
        out.contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."),
        "{out}"
    );
    let waits = a.stderr.lines().filter(|l| l.contains("rate limited")).count();
    assert_eq!(waits, 6, "each 429 waited out once:\n{}", a.stderr);
    let log = ctl.requests();
    let during = &log[before..];
    let action_posts = during
        .iter()
        .filter(|(m, path, _)| m == "POST" && path == &format!("/v2/droplets/{droplet_id}/actions"))
        .count();
    assert_eq!(action_posts, 3, "power off, resize, power on: {during:?}");
    let actions = list(&w, &format!("droplets/{droplet_id}/actions"), "actions");
    let mut types: Vec<(u64, String)> = actions
        .iter()
        .map(|a| (a["id"].as_u64().unwrap(), a["type"].as_str().unwrap().to_string()))
        .collect();
    types.sort();
    let types: Vec<&str> = types
        .iter()
        .map(|(_, t)| t.as_str())
        .filter(|t| *t != "create")
        .collect();
    assert_eq!(types, vec!["power_off", "resize", "power_on"]);
    let d = &list(&w, "droplets", "droplets")[0];
    assert_eq!(d["id"].to_string(), droplet_id, "resized in place, same droplet");
    assert_eq!(d["size_slug"], "s-4vcpu-8gb");
    assert_eq!(d["status"], "active");
    let again = runs.run(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    // Another region replaces the droplet, naming `region` as the reason.
    set_tfvar(&w, "region", "\"ams3\"");
    let p = runs.run(&["plan", "--env", ENV]);
    let out = p.ok();
    assert!(out.contains("digitalocean_droplet.app must be replaced"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("region") && l.contains("\"fra1\"") && l.contains("# forces replacement")),
        "{out}"
    );
    set_tfvar(&w, "region", "\"fra1\"");

    // Destroy leaves nothing.
    let d = runs.run(&["destroy", "--env", ENV, "--auto-approve"]);
    assert!(
        d.ok().contains("Destroy complete! Resources: 6 destroyed."),
        "{}",
        d.all()
    );
    assert_nothing_left(&w);
    runs.assert_token_never_printed();
}

/// Nothing of ours in any collection: no droplet, cluster, firewall, non-default VPC, non-default project,
/// and no tag still tagging something.
fn assert_nothing_left(w: &World) {
    assert!(list(w, "droplets", "droplets").is_empty());
    assert!(list(w, "databases", "databases").is_empty());
    assert!(list(w, "firewalls", "firewalls").is_empty());
    let vpcs = list(w, "vpcs", "vpcs");
    assert!(vpcs.iter().all(|v| v["default"] == true), "{vpcs:?}");
    let projects = list(w, "projects", "projects");
    assert!(projects.iter().all(|p| p["is_default"] == true), "{projects:?}");
    for t in list(w, "tags", "tags") {
        assert_eq!(t["resources"]["count"], 0, "tag still in use: {t}");
    }
}

#[test]
fn apply_killed_after_droplet_create_is_adopted_on_rerun() {
    let w = World::digitalocean();
    production(&w);
    let ctl = w.do_control();
    let mut runs = Runs::new(&w);

    // The droplet create call is held after the droplet exists; infra is killed while waiting for it.
    ctl.hang_next_droplet_create();
    let mut child = w
        .command(&["apply", "--env", ENV, "--auto-approve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if ctl
            .requests()
            .iter()
            .any(|(m, p, _)| m == "POST" && p == "/v2/droplets")
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "infra ended before creating the droplet"
        );
        assert!(Instant::now() < deadline, "no POST /v2/droplets within 120 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    let out = child.wait_with_output().unwrap();
    ctl.release();
    runs.outputs.push(format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ));
    let created = list(&w, "droplets", "droplets");
    assert_eq!(created.len(), 1, "the held create made the droplet: {created:?}");
    let droplet_id = created[0]["id"].to_string();

    // The killed process's lock died with it: the rerun takes it over and says so.
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.state_file(ENV).with_extension("json.lock")).unwrap()).unwrap();
    let lock_id = lock["ID"].as_str().unwrap().to_string();

    // The rerun's plan adopts the droplet instead of creating another one.
    let p = runs.run(&["plan", "--env", ENV]);
    let all = p.all();
    assert_eq!(p.code, 0, "{all}");
    assert!(all.contains(&format!("took over lock {lock_id}")), "{all}");
    assert!(
        all.lines()
            .any(|l| l.contains("digitalocean_droplet.app") && l.contains(&format!("adopted [id={droplet_id}]"))),
        "{all}"
    );
    assert!(
        !p.stdout.contains("digitalocean_droplet.app will be created"),
        "{}",
        p.stdout
    );

    let a = runs.run(&["apply", "--env", ENV, "--auto-approve"]);
    a.ok();
    let droplets = list(&w, "droplets", "droplets");
    assert_eq!(droplets.len(), 1, "exactly one droplet: {droplets:?}");
    assert_eq!(droplets[0]["id"].to_string(), droplet_id);
    let creates = ctl
        .requests()
        .iter()
        .filter(|(m, p, _)| m == "POST" && p == "/v2/droplets")
        .count();
    assert_eq!(creates, 1, "the droplet was created once");
    assert_eq!(list(&w, "databases", "databases").len(), 1);

    // The state is consistent: it holds the adopted droplet, everything resolves, nothing left to do.
    let state = w.state_json(ENV);
    assert_eq!(
        attrs(&state, "digitalocean_droplet")["id"].as_str(),
        Some(droplet_id.as_str())
    );
    assert_eq!(state["resources"].as_array().unwrap().len(), 6, "{state}");
    let again = runs.run(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    let d = runs.run(&["destroy", "--env", ENV, "--auto-approve"]);
    d.ok();
    assert_nothing_left(&w);
    runs.assert_token_never_printed();
}

/// The whole production stack: DigitalOcean through Prism and the S3 bucket for temporary files on moto,
/// in one plan, one apply and one destroy.
#[test]
fn the_whole_production_with_its_s3_bucket_applies_replans_and_destroys() {
    let mut w = World::digitalocean();
    let moto = infra_testkit::Moto::start();
    w.env.extend(moto.env());
    w.moto = Some(moto);
    w.copy_plan("docs-search-do");
    w.allow_destroy();
    let mut runs = Runs::new(&w);

    let a = runs.run(&["apply", "--env", ENV, "--auto-approve"]);
    assert!(
        a.ok()
            .contains("Apply complete! Resources: 9 added, 0 changed, 0 destroyed."),
        "{}",
        a.all()
    );
    let state = w.state_json(ENV);
    assert_eq!(attrs(&state, "aws_s3_bucket")["bucket"], "docs-search-production-tmp");
    let rule = &attrs(&state, "aws_s3_bucket_lifecycle_configuration")["rule"][0];
    assert_eq!(rule["expiration"][0]["days"], 7, "{rule}");
    assert!(
        state["outputs"]["database_uri"]["sensitive"] == true,
        "{}",
        state["outputs"]
    );

    let p = runs.run(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(p.code, 0, "{}", p.all());

    let d = runs.run(&["destroy", "--env", ENV, "--auto-approve"]);
    assert!(
        d.ok().contains("Destroy complete! Resources: 9 destroyed."),
        "{}",
        d.all()
    );
    assert_nothing_left(&w);
    assert_eq!(w.state_json(ENV)["resources"].as_array().unwrap().len(), 0);
    runs.assert_token_never_printed();
}
