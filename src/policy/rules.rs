//! The checks behind [`super::RULES`]. Each looks at planned values; a value not known until apply is
//! never a finding (the next plan, with it known, checks it).

use super::world::{Instance, World};
use super::{EnvPolicy, Finding, Level};
use infra_provider::Value;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

/// Ports of databases, caches and internal services that are never opened to the internet.
pub const INTERNAL_PORTS: &[(i64, &str)] = &[
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (11434, "Ollama"),
    (9090, "Prometheus"),
    (3000, "Grafana"),
    (3200, "Tempo"),
    (4317, "OTLP gRPC"),
    (4318, "OTLP HTTP"),
    (8888, "the collector's metrics"),
];

const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];
const TASK_DEFINITIONS: &[&str] = &["aws_ecs_task_definition"];
const SERVICES: &[&str] = &["aws_ecs_service"];
const DROPLETS: &[&str] = &["digitalocean_droplet"];
/// Point-in-time recovery (RDS, DigitalOcean PostgreSQL/MySQL/MongoDB) restores to within five minutes.
const PITR: Duration = Duration::from_secs(300);
const DAY: Duration = Duration::from_secs(86400);
const WEEK: Duration = Duration::from_secs(7 * 86400);

struct Out<'a> {
    world: &'a World,
    findings: &'a mut Vec<Finding>,
}

impl Out<'_> {
    fn add(&mut self, rule: &'static str, inst: &Instance, path: &[&str], message: String, fix: &str) {
        let level = super::rule(rule).map(|r| r.level).unwrap_or(Level::Error);
        self.findings.push(Finding {
            rule,
            severity: level,
            address: inst.address(),
            attribute: path.join("."),
            location: self.world.location(inst, path),
            message,
            fix: fix.to_string(),
            waived: None,
        });
    }
}

/// Runs every rule (the caller drops those the policy turns off).
pub fn run_all(world: &World, policy: &EnvPolicy, findings: &mut Vec<Finding>) {
    let mut o = Out { world, findings };
    logs(&mut o);
    rollout(&mut o);
    health(&mut o);
    ports(&mut o);
    exposure(&mut o, policy);
    secrets(&mut o);
    recovery(&mut o, policy);
}

fn containers(world: &World, td: &Instance) -> Vec<Value> {
    world
        .json_doc(td, "container_definitions")
        .and_then(|d| d.as_list().map(<[Value]>::to_vec))
        .unwrap_or_default()
}

fn container_name(c: &Value) -> String {
    c.get_str("name").unwrap_or("(unnamed)").to_string()
}

fn is_false(v: Option<&Value>) -> bool {
    v.is_some_and(|v| v.as_bool() == Some(false))
}

// --- logs -------------------------------------------------------------------------------------------

fn logs(o: &mut Out<'_>) {
    let w = o.world;
    for td in w.of_type(TASK_DEFINITIONS) {
        for c in containers(w, td) {
            let driver = c.get("logConfiguration").and_then(|l| l.get("logDriver"));
            match driver {
                Some(d) if d.is_unknown() => {}
                Some(d) if matches!(d.as_str(), Some("awslogs" | "awsfirelens")) => {}
                Some(d) if d.as_str().is_some() => o.add(
                    "logs-container",
                    td,
                    &["container_definitions"],
                    format!(
                        "container {} logs with the {} driver, not to CloudWatch Logs (awslogs) or FireLens",
                        container_name(&c),
                        d.as_str().unwrap_or_default()
                    ),
                    "set \"logConfiguration\": { \"logDriver\": \"awslogs\", ... } with a log group that has a retention",
                ),
                _ => o.add(
                    "logs-container",
                    td,
                    &["container_definitions"],
                    format!(
                        "container {} has no logConfiguration: its logs are lost when the task stops",
                        container_name(&c)
                    ),
                    "add \"logConfiguration\": { \"logDriver\": \"awslogs\", \"options\": { \"awslogs-group\" = ..., \"awslogs-region\" = ..., \"awslogs-stream-prefix\" = ... } }",
                ),
            }
        }
    }
    for lg in w.of_type(&["aws_cloudwatch_log_group"]) {
        let r = lg.attrs.get("retention_in_days");
        if r.is_some_and(Value::is_unknown) {
            continue;
        }
        if r.and_then(Value::as_i64).unwrap_or(0) <= 0 {
            o.add(
                "logs-retention",
                lg,
                &["retention_in_days"],
                "keeps its logs forever: no retention_in_days".into(),
                "set retention_in_days (e.g. 30)",
            );
        }
    }
    static ROTATION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)max-size|logrotate|log-driver"?\s*[:=]\s*"?local\b|--log-opt"#).expect("valid regex")
    });
    for d in w.of_type(DROPLETS) {
        let Some(ud) = user_data(w, d) else { continue };
        if ud.to_lowercase().contains("docker") && !ROTATION.is_match(&ud) {
            o.add(
                "logs-droplet-rotation",
                d,
                &["user_data"],
                "runs Docker without log rotation: json-file logs grow until the disk is full".into(),
                "write /etc/docker/daemon.json with {\"log-driver\": \"local\"} or {\"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"3\"}}",
            );
        }
    }
}

fn user_data(w: &World, inst: &Instance) -> Option<String> {
    match w.config_value(inst, "user_data") {
        Some(Value::String(s)) => Some(s),
        _ => inst.attrs.get_str("user_data").map(str::to_string),
    }
}

// --- rollout ----------------------------------------------------------------------------------------

fn ecs_controlled(svc: &Instance) -> bool {
    svc.attrs
        .get_block("deployment_controller")
        .and_then(|d| d.get_str("type"))
        .is_none_or(|t| t == "ECS")
}

fn rollout(o: &mut Out<'_>) {
    let w = o.world;
    for svc in w.of_type(SERVICES) {
        if !ecs_controlled(svc) {
            continue;
        }
        let cb = svc.attrs.get_block("deployment_circuit_breaker");
        let fix = "add deployment_circuit_breaker { enable = true, rollback = true }";
        match cb {
            None => o.add(
                "rollout-circuit-breaker",
                svc,
                &["deployment_circuit_breaker"],
                "has no deployment circuit breaker: a deployment whose tasks crash keeps restarting them and never reverts".into(),
                fix,
            ),
            Some(cb) => {
                for (arg, what) in [
                    ("enable", "failed deployments are not stopped"),
                    ("rollback", "a failed deployment is not rolled back to the last working one"),
                ] {
                    let v = cb.get(arg);
                    if v.is_some_and(Value::is_unknown) {
                        continue;
                    }
                    if v.and_then(Value::as_bool) != Some(true) {
                        o.add(
                            "rollout-circuit-breaker",
                            svc,
                            &["deployment_circuit_breaker", arg],
                            format!("deployment_circuit_breaker.{arg} is not true: {what}"),
                            fix,
                        );
                    }
                }
            }
        }
        if svc.attrs.get_str("scheduling_strategy") == Some("DAEMON") {
            continue;
        }
        let num = |k: &str, default: i64| match svc.attrs.get(k) {
            Some(v) if v.is_unknown() => None,
            Some(v) => Some(v.as_i64().unwrap_or(default)),
            None => Some(default),
        };
        let (Some(desired), Some(min), Some(max)) = (
            num("desired_count", 0),
            num("deployment_minimum_healthy_percent", 100),
            num("deployment_maximum_percent", 200),
        ) else {
            continue;
        };
        if desired < 1 {
            continue;
        }
        let kept = (desired * min + 99) / 100;
        let most = desired * max / 100;
        if kept < 1 {
            o.add(
                "rollout-min-healthy",
                svc,
                &["deployment_minimum_healthy_percent"],
                format!(
                    "deployment_minimum_healthy_percent = {min} with desired_count = {desired} lets a deployment stop every task before new ones are healthy"
                ),
                "set deployment_minimum_healthy_percent = 100",
            );
        } else if most <= kept {
            o.add(
                "rollout-min-healthy",
                svc,
                &["deployment_maximum_percent"],
                format!(
                    "deployment_maximum_percent = {max} leaves no room to start a new task while {kept} of {desired} keep running: deployments cannot proceed"
                ),
                "set deployment_maximum_percent = 200",
            );
        }
    }
}

// --- health -----------------------------------------------------------------------------------------

fn task_definition_of<'a>(w: &'a World, svc: &Instance) -> Option<&'a Instance> {
    crate::cost::assemble::task_definition_for(svc, &w.instances)
}

fn health(o: &mut Out<'_>) {
    let w = o.world;
    for tg in w.of_type(&["aws_lb_target_group", "aws_alb_target_group"]) {
        if tg.attrs.get_str("target_type") == Some("lambda") {
            continue;
        }
        let hc = tg.attrs.get_block("health_check");
        if !w.writes(tg, &["health_check"]) {
            o.add(
                "health-target-group",
                tg,
                &["health_check"],
                "has no health_check block: targets are judged by the default check of / on the traffic port".into(),
                "add health_check { path = \"/health\", matcher = \"200\" }",
            );
        } else if is_false(hc.and_then(|h| h.get("enabled"))) {
            o.add(
                "health-target-group",
                tg,
                &["health_check", "enabled"],
                "health_check.enabled = false: the load balancer sends traffic to targets that do not answer".into(),
                "remove enabled = false",
            );
        }
    }
    let mut seen = BTreeSet::new();
    for svc in w.of_type(SERVICES) {
        let Some(td) = task_definition_of(w, svc) else { continue };
        let balanced: BTreeSet<String> = svc
            .attrs
            .get_list("load_balancer")
            .iter()
            .filter_map(|lb| lb.get_str("container_name").map(str::to_string))
            .collect();
        for c in containers(w, td) {
            if is_false(c.get("essential")) {
                continue;
            }
            let name = container_name(&c);
            if c.get("healthCheck").is_some_and(|h| !h.is_null()) || balanced.contains(&name) {
                continue;
            }
            if seen.insert((td.address(), name.clone())) {
                o.add(
                    "health-container",
                    td,
                    &["container_definitions"],
                    format!(
                        "essential container {name} (run by {}) has no healthCheck and no load balancer checks it: a hung container stays in service",
                        svc.address()
                    ),
                    "add \"healthCheck\": { \"command\": [\"CMD-SHELL\", \"...\"], \"interval\": 30, \"retries\": 3 } to the container",
                );
            }
        }
    }
    static README_PATH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)health[^\n]*?\s`?/[A-Za-z0-9_\-/.]*").expect("valid regex"));
    let readme_has = w.readme.as_deref().is_some_and(|r| README_PATH.is_match(r));
    for d in w.of_type(DROPLETS) {
        let in_user_data = user_data(w, d).is_some_and(|u| {
            let u = u.to_lowercase();
            u.contains("healthcheck") || u.contains("health-cmd")
        });
        if !readme_has && !in_user_data {
            o.add(
                "health-droplet",
                d,
                &["user_data"],
                "nothing checks the health of what the droplet runs: no healthcheck in its user_data and no health check path in the plan's README.md".into(),
                "add a healthcheck to the containers its user_data starts, or write the health check path (e.g. `/health`) in README.md",
            );
        }
    }
}

// --- ports ------------------------------------------------------------------------------------------

/// The ports a task definition's containers claim on the task's network (awsvpc, host) or on the host
/// (bridge with a fixed hostPort): (port/protocol, container).
fn claimed_ports(w: &World, td: &Instance) -> (bool, Vec<(String, String)>) {
    let mode = td.attrs.get_str("network_mode").unwrap_or("bridge").to_string();
    let mut out = Vec::new();
    for c in containers(w, td) {
        for pm in c.get_list("portMappings") {
            let protocol = pm.get_str("protocol").unwrap_or("tcp").to_lowercase();
            let port = match mode.as_str() {
                "bridge" => pm.get_i64("hostPort").filter(|p| *p > 0),
                _ => pm.get_i64("containerPort").or_else(|| pm.get_i64("hostPort")),
            };
            if let Some(p) = port {
                out.push((format!("{p}/{protocol}"), container_name(&c)));
            }
        }
    }
    (mode == "host" || mode == "bridge", out)
}

fn ports(o: &mut Out<'_>) {
    let w = o.world;
    for td in w.of_type(TASK_DEFINITIONS) {
        let (_, claimed) = claimed_ports(w, td);
        let mut by_port: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (p, c) in &claimed {
            by_port.entry(p).or_default().push(c);
        }
        for (p, cs) in by_port.into_iter().filter(|(_, cs)| cs.len() > 1) {
            o.add(
                "ports-unique",
                td,
                &["container_definitions"],
                format!("containers {} all claim port {p} of the task", cs.join(", ")),
                "give each container its own port",
            );
        }
    }
    // Services whose tasks share their host's network, per cluster.
    let mut hosts: BTreeMap<String, BTreeMap<String, Vec<&Instance>>> = BTreeMap::new();
    for svc in w.of_type(SERVICES) {
        let Some(td) = task_definition_of(w, svc) else { continue };
        let (on_host, claimed) = claimed_ports(w, td);
        if !on_host {
            continue;
        }
        let cluster = match svc.attrs.get_str("cluster") {
            Some(c) => c.to_string(),
            None => svc
                .dependencies
                .iter()
                .find(|d| d.type_name == "aws_ecs_cluster")
                .map(|d| d.to_string())
                .unwrap_or_default(),
        };
        let ports: BTreeSet<String> = claimed.into_iter().map(|(p, _)| p).collect();
        for p in ports {
            hosts
                .entry(cluster.clone())
                .or_default()
                .entry(p)
                .or_default()
                .push(svc);
        }
    }
    for ports in hosts.values() {
        for (p, svcs) in ports.iter().filter(|(_, s)| s.len() > 1) {
            let first = svcs[0].address();
            for svc in &svcs[1..] {
                o.add(
                    "ports-unique",
                    svc,
                    &["task_definition"],
                    format!("claims host port {p} on its cluster's instances, as {first} does: two tasks cannot bind one host port"),
                    "use network_mode = \"awsvpc\", or a dynamic hostPort (0) behind a load balancer",
                );
            }
        }
    }
}

// --- exposure ---------------------------------------------------------------------------------------

/// One ingress opening: ports `from..=to` from `cidrs`.
struct Opening<'a> {
    inst: &'a Instance,
    path: &'static [&'static str],
    from: i64,
    to: i64,
    cidrs: Vec<String>,
}

fn all_ports(protocol: &str) -> bool {
    matches!(protocol, "-1" | "all")
}

fn carries_tcp(protocol: &str) -> bool {
    !matches!(protocol, "icmp" | "1" | "icmpv6" | "58")
}

fn openings(w: &World) -> Vec<Opening<'_>> {
    let mut out = Vec::new();
    let range = |v: &Value, proto: &str| -> Option<(i64, i64)> {
        if all_ports(proto) {
            return Some((0, 65535));
        }
        let from = v.get_i64("from_port")?;
        Some((from, v.get_i64("to_port").unwrap_or(from)))
    };
    for sg in w.of_type(&["aws_security_group"]) {
        for rule in sg.attrs.get_list("ingress") {
            let proto = rule.get_str("protocol").unwrap_or("tcp").to_lowercase();
            if !carries_tcp(&proto) {
                continue;
            }
            if let Some((from, to)) = range(rule, &proto) {
                let mut cidrs = rule.get_strings("cidr_blocks");
                cidrs.extend(rule.get_strings("ipv6_cidr_blocks"));
                out.push(Opening {
                    inst: sg,
                    path: &["ingress"],
                    from,
                    to,
                    cidrs,
                });
            }
        }
    }
    for r in w.of_type(&["aws_security_group_rule"]) {
        let proto = r.attrs.get_str("protocol").unwrap_or("tcp").to_lowercase();
        if r.attrs.get_str("type") != Some("ingress") || !carries_tcp(&proto) {
            continue;
        }
        if let Some((from, to)) = range(&r.attrs, &proto) {
            let mut cidrs = r.attrs.get_strings("cidr_blocks");
            cidrs.extend(r.attrs.get_strings("ipv6_cidr_blocks"));
            out.push(Opening {
                inst: r,
                path: &["cidr_blocks"],
                from,
                to,
                cidrs,
            });
        }
    }
    for r in w.of_type(&["aws_vpc_security_group_ingress_rule"]) {
        let proto = r.attrs.get_str("ip_protocol").unwrap_or("tcp").to_lowercase();
        if !carries_tcp(&proto) {
            continue;
        }
        if let Some((from, to)) = range(&r.attrs, &proto) {
            let cidrs = ["cidr_ipv4", "cidr_ipv6"]
                .iter()
                .filter_map(|k| r.attrs.get_str(k).map(str::to_string))
                .collect();
            out.push(Opening {
                inst: r,
                path: &["cidr_ipv4"],
                from,
                to,
                cidrs,
            });
        }
    }
    for fw in w.of_type(&["digitalocean_firewall"]) {
        for rule in fw.attrs.get_list("inbound_rule") {
            let proto = rule.get_str("protocol").unwrap_or("tcp").to_lowercase();
            if !carries_tcp(&proto) {
                continue;
            }
            let ports = rule.get_str("port_range").unwrap_or("all");
            let (from, to) = match ports.split_once('-') {
                _ if ports == "all" || ports == "0" => (0, 65535),
                Some((a, b)) => match (a.trim().parse(), b.trim().parse()) {
                    (Ok(a), Ok(b)) => (a, b),
                    _ => continue,
                },
                None => match ports.trim().parse() {
                    Ok(p) => (p, p),
                    Err(_) => continue,
                },
            };
            out.push(Opening {
                inst: fw,
                path: &["inbound_rule"],
                from,
                to,
                cidrs: rule.get_strings("source_addresses"),
            });
        }
    }
    out
}

fn exposure(o: &mut Out<'_>, policy: &EnvPolicy) {
    let w = o.world;
    let admin: Option<Vec<String>> = policy.admin_cidrs.clone().or_else(|| {
        w.root_variable("admin_cidrs")
            .filter(|v| v.as_list().is_some())
            .map(|v| {
                v.as_list()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
    });
    for op in openings(w) {
        let public: Vec<&str> = op
            .cidrs
            .iter()
            .map(String::as_str)
            .filter(|c| WORLD.contains(c))
            .collect();
        if !public.is_empty() {
            let hit: Vec<String> = INTERNAL_PORTS
                .iter()
                .filter(|(p, _)| op.from <= *p && *p <= op.to)
                .map(|(p, what)| format!("{p} ({what})"))
                .collect();
            if !hit.is_empty() {
                let ports = if op.to - op.from > 1000 {
                    format!("ports {}-{}, including {}", op.from, op.to, hit.join(", "))
                } else {
                    format!("port {}", hit.join(", port "))
                };
                o.add(
                    "exposure-internal-port",
                    op.inst,
                    op.path,
                    format!("opens {ports} to {}", public.join(" and ")),
                    "allow only the security groups or networks that use it (e.g. referenced_security_group_id)",
                );
            }
        }
        if op.from <= 22 && 22 <= op.to {
            let bad: Vec<&str> = op
                .cidrs
                .iter()
                .map(String::as_str)
                .filter(|c| match &admin {
                    Some(a) => !a.iter().any(|x| x == c),
                    None => WORLD.contains(c),
                })
                .collect();
            if !bad.is_empty() {
                o.add(
                    "exposure-ssh",
                    op.inst,
                    op.path,
                    format!(
                        "opens SSH (22) to {}, {}",
                        bad.join(", "),
                        if admin.is_some() {
                            "which is not one of the admin CIDRs"
                        } else {
                            "and no admin CIDRs are declared"
                        }
                    ),
                    "allow port 22 only from the admin CIDRs (admin_cidrs in infra.policy.hcl or the admin_cidrs variable)",
                );
            }
        }
    }
    for db in w.of_type(&["aws_db_instance"]) {
        if db.attrs.get_bool("publicly_accessible") == Some(true) {
            o.add(
                "exposure-internal-port",
                db,
                &["publicly_accessible"],
                "publicly_accessible = true: the database gets a public address".into(),
                "set publicly_accessible = false and reach it from inside the VPC",
            );
        }
    }
    let firewalls: Vec<&Instance> = w.of_type(&["digitalocean_database_firewall"]).collect();
    for c in w.of_type(&["digitalocean_database_cluster"]) {
        let id = c.attrs.get_str("id");
        let guarded = firewalls
            .iter()
            .any(|f| f.refers_to(c) || (id.is_some() && f.attrs.get_str("cluster_id") == id));
        if !guarded {
            o.add(
                "exposure-internal-port",
                c,
                &[],
                "has no digitalocean_database_firewall: any address can try to connect".into(),
                "add a digitalocean_database_firewall with rules for the droplets, tags or addresses that use it",
            );
        }
    }
    let blocks: Vec<&Instance> = w.of_type(&["aws_s3_bucket_public_access_block"]).collect();
    for b in w.of_type(&["aws_s3_bucket"]) {
        let name = b.attrs.get_str("bucket");
        let pab = blocks.iter().find(|p| {
            let pb = p.attrs.get_str("bucket");
            (pb.is_some() && (pb == name || pb == b.attrs.get_str("id")))
                || (pb.is_none() && p.refers_to(b) && (p.addr.key == b.addr.key))
        });
        match pab {
            None => o.add(
                "exposure-s3-public-access",
                b,
                &["bucket"],
                "has no aws_s3_bucket_public_access_block: a policy or ACL can make it public".into(),
                "add aws_s3_bucket_public_access_block with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets = true",
            ),
            Some(p) => {
                for flag in [
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                ] {
                    let v = p.attrs.get(flag);
                    if v.is_some_and(Value::is_unknown) || v.and_then(Value::as_bool) == Some(true) {
                        continue;
                    }
                    o.add(
                        "exposure-s3-public-access",
                        p,
                        &[flag],
                        format!("{flag} is not true"),
                        &format!("set {flag} = true"),
                    );
                }
            }
        }
    }
    for (types, attr) in [
        (&["aws_db_instance"][..], "storage_encrypted"),
        (&["aws_efs_file_system"][..], "encrypted"),
        (&["aws_ebs_volume"][..], "encrypted"),
    ] {
        for r in w.of_type(types) {
            let v = r.attrs.get(attr);
            if v.is_some_and(Value::is_unknown) || v.and_then(Value::as_bool) == Some(true) {
                continue;
            }
            o.add(
                "exposure-encryption",
                r,
                &[attr],
                format!("{attr} is not true: the data is stored unencrypted"),
                &format!("set {attr} = true (changing it replaces the resource)"),
            );
        }
    }
}

// --- secrets ----------------------------------------------------------------------------------------

/// A name that says its value is a secret (`QUALITY_OPS_TOKEN`, `dbPassword`, `OPENAI_API_KEY`), but
/// not one that only points at a secret (`TOKEN_FILE`, `SECRET_ARN`).
pub fn secret_name(name: &str) -> bool {
    let mut spaced = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            spaced.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        spaced.push(ch.to_ascii_lowercase());
    }
    let words: Vec<&str> = spaced
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else { return false };
    const POINTERS: &[&str] = &[
        "file", "path", "arn", "name", "id", "ref", "url", "uri", "endpoint", "host", "length", "ttl", "header",
        "type", "version", "dir", "enabled",
    ];
    if POINTERS.contains(last) {
        return false;
    }
    const SECRET: &[&str] = &[
        "token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "apikey",
        "credential",
        "credentials",
        "privatekey",
        "passphrase",
    ];
    if words.iter().any(|w| SECRET.contains(w)) {
        return true;
    }
    // `..._KEY`: a key, unless it is a kind of identifier.
    const NOT_SECRET_KEYS: &[&str] = &[
        "cache",
        "partition",
        "sort",
        "primary",
        "routing",
        "object",
        "public",
        "idempotency",
        "s3",
    ];
    words.len() >= 2 && *last == "key" && !NOT_SECRET_KEYS.contains(&words[words.len() - 2])
}

/// A value that is a credential whatever its name: cloud and SaaS token formats, private keys, and URLs
/// with a password.
pub fn secret_value(v: &str) -> bool {
    static PATTERNS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"\b(AKIA|ASIA)[A-Z0-9]{16}\b",
            r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
            r"|\b(ghp|gho|ghs|ghu)_[A-Za-z0-9]{20,}",
            r"|\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"|\bdop_v1_[a-f0-9]{20,}",
            r"|\bglpat-[A-Za-z0-9_\-]{20,}",
            r"|\bxox[abpr]-[A-Za-z0-9-]{10,}",
            r"|\bsk_live_[A-Za-z0-9]{16,}",
            r"|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^@\s/]+@",
        ))
        .expect("valid regex")
    });
    PATTERNS.is_match(v)
}

fn secrets(o: &mut Out<'_>) {
    let w = o.world;
    for td in w.of_type(TASK_DEFINITIONS) {
        for c in containers(w, td) {
            for e in c.get_list("environment") {
                let name = e.get_str("name").unwrap_or_default();
                let value = e.get("value");
                let empty = value.is_none_or(|v| v.is_null() || v.as_str() == Some(""));
                let by_name = secret_name(name) && !empty;
                let by_value = value.and_then(Value::as_str).is_some_and(secret_value);
                if by_name || by_value {
                    o.add(
                        "secrets-plain",
                        td,
                        &["container_definitions"],
                        format!(
                            "container {} has {name} in its plain environment, readable by anyone who can describe the task definition",
                            container_name(&c)
                        ),
                        "move it to the container's \"secrets\" (valueFrom a Secrets Manager secret or a SecureString parameter)",
                    );
                }
            }
        }
    }
    for p in w.of_type(&["aws_ssm_parameter"]) {
        let ty = p.attrs.get_str("type").unwrap_or("String");
        if ty == "SecureString" {
            continue;
        }
        let name = p.attrs.get_str("name").unwrap_or_default();
        let last = name.rsplit('/').next().unwrap_or(name);
        let by_value = p.attrs.get_str("value").is_some_and(secret_value);
        if secret_name(last) || by_value {
            o.add(
                "secrets-plain",
                p,
                &["type"],
                format!("{name} looks like a secret but is a plain {ty} parameter"),
                "use type = \"SecureString\", or keep it in Secrets Manager",
            );
        }
    }
    static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?m)(?:^|[\s"'\-])([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*["']?([^\s"'$\{][^\s"']*)"#)
            .expect("valid regex")
    });
    for inst in w.of_type(&["digitalocean_droplet", "aws_instance"]) {
        let Some(ud) = user_data(w, inst) else { continue };
        let named = ASSIGNMENT
            .captures_iter(&ud)
            .find(|c| secret_name(&c[1]))
            .map(|c| c[1].to_string());
        let what = match (named, secret_value(&ud)) {
            (Some(n), _) => Some(format!("its user_data sets {n}")),
            (None, true) => Some("its user_data holds a credential".to_string()),
            _ => None,
        };
        if let Some(what) = what {
            o.add(
                "secrets-plain",
                inst,
                &["user_data"],
                format!("{what}: user data is readable from the instance's metadata service and the provider's API"),
                "fetch the secret at boot from a secret store, or write it from the deploy pipeline",
            );
        }
    }
}

// --- recovery ---------------------------------------------------------------------------------------

fn recovery(o: &mut Out<'_>, policy: &EnvPolicy) {
    let w = o.world;
    let rpo = policy.rpo;
    let rpo_text = super::settings::format_duration(rpo);
    let under_pitr = |o: &mut Out<'_>, inst: &Instance, path: &[&str]| {
        o.add(
            "recovery-backups",
            inst,
            path,
            format!("point-in-time recovery restores to within 5 minutes, which does not meet the rpo of {rpo_text}"),
            "an rpo under 5 minutes needs a synchronous replica; state the rpo the backups meet",
        );
    };
    for db in w.of_type(&["aws_db_instance"]) {
        if db.attrs.get_str("replicate_source_db").is_some() {
            continue;
        }
        let ret = db.attrs.get("backup_retention_period");
        if ret.is_some_and(Value::is_unknown) {
            continue;
        }
        // Unset, RDS keeps a day of automated backups.
        if ret.and_then(Value::as_i64).unwrap_or(1) < 1 {
            o.add(
                "recovery-backups",
                db,
                &["backup_retention_period"],
                format!("backup_retention_period = 0 keeps no automated backups: nothing meets the rpo of {rpo_text}"),
                "set backup_retention_period to at least 1 (7 or more for production)",
            );
        } else if rpo < PITR {
            under_pitr(o, db, &["backup_retention_period"]);
        }
        if rpo < DAY {
            let dp = db.attrs.get("deletion_protection");
            if !dp.is_some_and(Value::is_unknown) && dp.and_then(Value::as_bool) != Some(true) {
                o.add(
                    "recovery-deletion-protection",
                    db,
                    &["deletion_protection"],
                    format!("deletion_protection is not true where the rpo is {rpo_text}: one destroy loses the database and its automated backups"),
                    "set deletion_protection = true",
                );
            }
        }
    }
    for c in w.of_type(&["digitalocean_database_cluster"]) {
        let engine = c.attrs.get_str("engine").unwrap_or_default();
        if !matches!(engine, "pg" | "mysql" | "mongodb") {
            continue;
        }
        if rpo < PITR {
            under_pitr(o, c, &["engine"]);
        }
        let protected = w.resource(c).is_some_and(|r| r.lifecycle.prevent_destroy);
        if rpo < DAY && !protected {
            o.add(
                "recovery-deletion-protection",
                c,
                &["lifecycle"],
                format!("nothing stops a destroy where the rpo is {rpo_text}: DigitalOcean deletes the cluster's backups with it"),
                "add lifecycle { prevent_destroy = true } (DigitalOcean has no deletion protection setting)",
            );
        }
    }
    for d in w.of_type(DROPLETS) {
        let b = d.attrs.get("backups");
        if b.is_some_and(Value::is_unknown) {
            continue;
        }
        let every = if b.and_then(Value::as_bool) == Some(true) {
            match d.attrs.get_block("backup_policy").and_then(|p| p.get_str("plan")) {
                Some("daily") => Some(DAY),
                _ => Some(WEEK),
            }
        } else {
            None
        };
        match every {
            None => o.add(
                "recovery-backups",
                d,
                &["backups"],
                format!("the droplet has no backups: what is on its disk does not meet the rpo of {rpo_text}"),
                "set backups = true with backup_policy { plan = \"daily\" }, or keep the droplet stateless and waive this with the reason",
            ),
            Some(e) if e > rpo => o.add(
                "recovery-backups",
                d,
                &["backup_policy"],
                format!(
                    "the droplet is backed up every {}, which does not meet the rpo of {rpo_text}",
                    super::settings::format_duration(e)
                ),
                if rpo >= DAY {
                    "set backup_policy { plan = \"daily\" }"
                } else {
                    "droplet backups are at most daily: keep the data in a managed database, or waive this with the reason"
                },
            ),
            Some(_) => {}
        }
    }
}
