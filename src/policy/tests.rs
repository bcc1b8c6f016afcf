//! Each rule with a fixture that breaks it and one that passes, on hand-made plans: every resource of the
//! fixture is planned as created with the values its block writes (nested blocks as lists of objects),
//! plus an `id` and `arn` as a provider would return them.

use super::*;
use crate::addrs::InstanceKey;
use crate::config::Config;
use crate::graph::{ConfigGraph, Node};
use crate::lang::ast::Body;
use crate::plan::{Action, Plan, PlanMode, ResourceChange};
use crate::scope::ModuleScope;
use crate::state::State;
use infra_provider::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

fn eval_body(scope: &ModuleScope, body: &Body) -> Value {
    let mut m = BTreeMap::new();
    for a in &body.attrs {
        let v = scope.evaluator().eval(&a.expr).unwrap_or(Value::Unknown);
        m.insert(a.name.clone(), v.unmark_deep().0);
    }
    for b in &body.blocks {
        if b.kind == "lifecycle" {
            continue;
        }
        let v = eval_body(scope, &b.body);
        match m.entry(b.kind.clone()).or_insert_with(|| Value::List(Vec::new())) {
            Value::List(items) => items.push(v),
            _ => unreachable!(),
        }
    }
    Value::Map(m)
}

fn plan_of(tf: &str, env: &str) -> Plan {
    let dir = std::env::temp_dir();
    let sources = vec![("main.tf".to_string(), tf.to_string())];
    let (cfg, d) = Config::load_saved(&dir, &sources);
    assert!(!d.has_errors(), "{d:?}");
    let graph = ConfigGraph::build(&cfg).expect("no cycle");
    let cfg = Arc::new(cfg);
    let mut scope = ModuleScope::new(cfg.clone(), BTreeMap::new(), env);
    let mut changes = Vec::new();
    for node in graph.order() {
        let Node::Resource(addr) = &node else { continue };
        let r = &cfg.resources[addr];
        let mut v = eval_body(&scope, &r.body);
        for k in ["id", "arn"] {
            if v.get(k).is_none() {
                v.set_attr(k, Value::string(format!("{k}-of-{addr}")));
            }
        }
        scope.set_resource(addr.clone(), v.clone());
        changes.push(ResourceChange {
            addr: addr.instance(InstanceKey::None),
            provider: r.provider.clone(),
            action: Action::Create,
            create_before_destroy: false,
            before: None,
            after: Some(v),
            before_sensitive: vec![],
            after_sensitive: vec![],
            replace_paths: vec![],
            reason: None,
            dependencies: graph.resource_deps(&node),
            deposed: None,
        });
    }
    Plan {
        mode: PlanMode::Normal,
        env: env.to_string(),
        lineage: String::new(),
        serial: 0,
        prior: State::default(),
        changes,
        drift: vec![],
        outputs: vec![],
        notes: vec![],
        variables: BTreeMap::new(),
        sources,
        config_dir: dir,
        targets: vec![],
        regions: BTreeMap::new(),
        usage: None,
        moved: vec![],
        forgotten: vec![],
        imported: vec![],
        module_instances: BTreeMap::new(),
        ephemeral_variables: BTreeMap::new(),
    }
}

fn report_with(tf: &str, policy: &str) -> Report {
    let file = PolicyFile::parse("infra.policy.hcl", policy).expect("valid policy file");
    let world = World::from_plan(&plan_of(tf, "prod")).expect("world");
    check(&world, &file.for_env("prod"))
}

fn report(tf: &str) -> Report {
    report_with(tf, "")
}

/// The unwaived findings of one rule: (address, location).
fn of(r: &Report, rule: &str) -> Vec<(String, String)> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule && f.waived.is_none())
        .map(|f| (f.address.clone(), f.location.clone()))
        .collect()
}

fn task(containers: &str) -> String {
    format!(
        r#"resource "aws_ecs_task_definition" "t" {{
  family                = "t"
  network_mode          = "awsvpc"
  container_definitions = jsonencode({containers})
}}
"#
    )
}

const LOGS: &str = r#"logConfiguration = { logDriver = "awslogs", options = {} }"#;
const CHECK: &str = r#"healthCheck = { command = ["CMD", "true"] }"#;

#[test]
fn logs_container_needs_awslogs_or_firelens() {
    let bad = report(&task(&format!(r#"[{{ name = "a", image = "x", {CHECK} }}]"#)));
    assert_eq!(
        of(&bad, "logs-container"),
        [("aws_ecs_task_definition.t".into(), "main.tf:4".into())]
    );
    let syslog = report(&task(&format!(
        r#"[{{ name = "a", {CHECK}, logConfiguration = {{ logDriver = "syslog" }} }}]"#
    )));
    assert_eq!(of(&syslog, "logs-container").len(), 1);
    let good = report(&task(&format!(r#"[{{ name = "a", {LOGS}, {CHECK} }}]"#)));
    assert!(of(&good, "logs-container").is_empty(), "{good:?}");
}

#[test]
fn a_container_definition_not_known_yet_is_checked_from_its_jsonencode() {
    let tf = format!(
        r#"resource "aws_ecr_repository" "r" {{
  name = "r"
}}
{}"#,
        task(r#"[{ name = "a", image = "${aws_ecr_repository.r.repository_url}:1" }]"#)
    );
    // The repository's URL is unknown at plan time: the whole JSON string is, but not its structure.
    let mut plan = plan_of(&tf, "prod");
    for c in &mut plan.changes {
        match c.addr.resource.type_name.as_str() {
            "aws_ecs_task_definition" => c
                .after
                .as_mut()
                .unwrap()
                .set_attr("container_definitions", Value::Unknown),
            _ => c.after.as_mut().unwrap().set_attr("repository_url", Value::Unknown),
        }
    }
    let world = World::from_plan(&plan).unwrap();
    let r = check(&world, &EnvPolicy::defaults("prod"));
    assert_eq!(of(&r, "logs-container").len(), 1, "{r:?}");
}

#[test]
fn log_groups_need_a_finite_retention() {
    let bad = report(r#"resource "aws_cloudwatch_log_group" "l" { name = "l" }"#);
    assert_eq!(of(&bad, "logs-retention").len(), 1);
    let zero = report("resource \"aws_cloudwatch_log_group\" \"l\" {\n  name = \"l\"\n  retention_in_days = 0\n}\n");
    assert_eq!(
        of(&zero, "logs-retention"),
        [("aws_cloudwatch_log_group.l".into(), "main.tf:3".into())]
    );
    let good = report(r#"resource "aws_cloudwatch_log_group" "l" { retention_in_days = 30 }"#);
    assert!(of(&good, "logs-retention").is_empty());
}

fn droplet(user_data: &str, extra: &str) -> String {
    format!(
        "resource \"digitalocean_droplet\" \"d\" {{\n  name = \"d\"\n  backups = true\n  {extra}\n  user_data = <<-EOT\n{user_data}\nEOT\n}}\n"
    )
}

#[test]
fn droplets_running_docker_rotate_their_logs_and_check_health() {
    let bad = report(&droplet("runcmd:\n  - docker compose up -d", ""));
    assert_eq!(of(&bad, "logs-droplet-rotation").len(), 1);
    assert_eq!(of(&bad, "health-droplet").len(), 1);
    let good = report(&droplet(
        "write_files:\n  - path: /etc/docker/daemon.json\n    content: '{\"log-driver\": \"local\"}'\n  healthcheck: curl\nruncmd:\n  - docker compose up -d",
        "",
    ));
    assert!(of(&good, "logs-droplet-rotation").is_empty(), "{good:?}");
    assert!(of(&good, "health-droplet").is_empty(), "{good:?}");
}

fn service(extra: &str) -> String {
    format!(
        "{}resource \"aws_ecs_service\" \"s\" {{\n  name = \"s\"\n  task_definition = aws_ecs_task_definition.t.arn\n  desired_count = 1\n{extra}\n}}\n",
        task(&format!(r#"[{{ name = "a", {LOGS}, {CHECK} }}]"#))
    )
}

const BREAKER: &str = "  deployment_circuit_breaker {\n    enable   = true\n    rollback = true\n  }";

#[test]
fn services_need_a_circuit_breaker_with_rollback() {
    let none = report(&service(""));
    assert_eq!(of(&none, "rollout-circuit-breaker").len(), 1);
    let no_rollback = report(&service(
        "  deployment_circuit_breaker {\n    enable   = true\n    rollback = false\n  }",
    ));
    let f = of(&no_rollback, "rollout-circuit-breaker");
    assert_eq!(
        f,
        [("aws_ecs_service.s".into(), "main.tf:12".into())],
        "{no_rollback:?}"
    );
    assert!(of(&report(&service(BREAKER)), "rollout-circuit-breaker").is_empty());
}

#[test]
fn deployments_keep_a_task_and_leave_room_for_a_new_one() {
    let zero = report(&service(&format!(
        "{BREAKER}\n  deployment_minimum_healthy_percent = 0"
    )));
    assert_eq!(of(&zero, "rollout-min-healthy").len(), 1);
    let stuck = report(&service(&format!(
        "{BREAKER}\n  deployment_minimum_healthy_percent = 100\n  deployment_maximum_percent = 100"
    )));
    assert_eq!(of(&stuck, "rollout-min-healthy").len(), 1);
    // 50% of one task rounds up to one kept running.
    let good = report(&service(&format!(
        "{BREAKER}\n  deployment_minimum_healthy_percent = 50"
    )));
    assert!(of(&good, "rollout-min-healthy").is_empty(), "{good:?}");
    assert!(of(&report(&service(BREAKER)), "rollout-min-healthy").is_empty());
}

#[test]
fn target_groups_need_a_health_check() {
    let bad = report(r#"resource "aws_lb_target_group" "t" { port = 80 }"#);
    assert_eq!(of(&bad, "health-target-group").len(), 1);
    let alias_disabled =
        report("resource \"aws_alb_target_group\" \"t\" {\n  health_check {\n    enabled = false\n  }\n}\n");
    assert_eq!(
        of(&alias_disabled, "health-target-group"),
        [("aws_alb_target_group.t".into(), "main.tf:3".into())]
    );
    let good = report("resource \"aws_lb_target_group\" \"t\" {\n  health_check {\n    path = \"/health\"\n  }\n}\n");
    assert!(of(&good, "health-target-group").is_empty());
}

#[test]
fn essential_containers_of_a_service_need_a_health_check_or_a_load_balancer() {
    let tf = |containers: &str, lb: &str| {
        format!(
            "{}resource \"aws_ecs_service\" \"s\" {{\n  task_definition = aws_ecs_task_definition.t.arn\n{lb}\n}}\n",
            task(containers)
        )
    };
    let bad = report(&tf(&format!(r#"[{{ name = "a", {LOGS} }}]"#), ""));
    assert_eq!(of(&bad, "health-container").len(), 1);
    let balanced = report(&tf(
        &format!(r#"[{{ name = "a", {LOGS} }}]"#),
        "  load_balancer {\n    container_name = \"a\"\n    container_port = 80\n  }",
    ));
    assert!(of(&balanced, "health-container").is_empty(), "{balanced:?}");
    let sidecar = report(&tf(
        &format!(r#"[{{ name = "a", {LOGS}, {CHECK} }}, {{ name = "b", essential = false, {LOGS} }}]"#),
        "",
    ));
    assert!(of(&sidecar, "health-container").is_empty());
    // A task definition no service runs (a scheduled job) is not checked.
    assert!(
        of(
            &report(&task(&format!(r#"[{{ name = "a", {LOGS} }}]"#))),
            "health-container"
        )
        .is_empty()
    );
}

#[test]
fn ports_are_unique_per_task_and_per_host() {
    let dup = report(&task(&format!(
        r#"[{{ name = "a", {LOGS}, {CHECK}, portMappings = [{{ containerPort = 8000 }}] }}, {{ name = "b", {LOGS}, {CHECK}, portMappings = [{{ containerPort = 8000 }}] }}]"#
    )));
    assert_eq!(of(&dup, "ports-unique").len(), 1, "{dup:?}");
    let host = |port2: u16| {
        format!(
            r#"resource "aws_ecs_cluster" "c" {{ name = "c" }}
resource "aws_ecs_task_definition" "a" {{
  network_mode          = "host"
  container_definitions = jsonencode([{{ name = "a", {LOGS}, {CHECK}, portMappings = [{{ containerPort = 9100 }}] }}])
}}
resource "aws_ecs_task_definition" "b" {{
  network_mode          = "host"
  container_definitions = jsonencode([{{ name = "b", {LOGS}, {CHECK}, portMappings = [{{ containerPort = {port2} }}] }}])
}}
resource "aws_ecs_service" "a" {{
  cluster         = aws_ecs_cluster.c.id
  task_definition = aws_ecs_task_definition.a.arn
}}
resource "aws_ecs_service" "b" {{
  cluster         = aws_ecs_cluster.c.id
  task_definition = aws_ecs_task_definition.b.arn
}}
"#
        )
    };
    assert_eq!(of(&report(&host(9100)), "ports-unique").len(), 1);
    assert!(of(&report(&host(9101)), "ports-unique").is_empty());
}

fn sg(port: u16, cidr: &str) -> String {
    format!(
        "resource \"aws_security_group\" \"g\" {{\n  ingress {{\n    from_port   = {port}\n    to_port     = {port}\n    protocol    = \"tcp\"\n    cidr_blocks = [\"{cidr}\"]\n  }}\n}}\n"
    )
}

#[test]
fn internal_ports_are_never_open_to_the_internet() {
    let bad = report(&sg(5432, "0.0.0.0/0"));
    assert_eq!(
        of(&bad, "exposure-internal-port"),
        [("aws_security_group.g".into(), "main.tf:2".into())]
    );
    assert!(of(&report(&sg(5432, "10.0.0.0/16")), "exposure-internal-port").is_empty());
    assert!(of(&report(&sg(443, "0.0.0.0/0")), "exposure-internal-port").is_empty());
    let all = report(
        "resource \"aws_vpc_security_group_ingress_rule\" \"r\" {\n  ip_protocol = \"-1\"\n  cidr_ipv6 = \"::/0\"\n}\n",
    );
    assert_eq!(of(&all, "exposure-internal-port").len(), 1);
    let do_fw = report(
        "resource \"digitalocean_firewall\" \"f\" {\n  inbound_rule {\n    protocol = \"tcp\"\n    port_range = \"6000-7000\"\n    source_addresses = [\"0.0.0.0/0\"]\n  }\n}\n",
    );
    assert_eq!(of(&do_fw, "exposure-internal-port").len(), 1);
    let public_db =
        report("resource \"aws_db_instance\" \"d\" {\n  publicly_accessible = true\n  storage_encrypted = true\n}\n");
    assert_eq!(of(&public_db, "exposure-internal-port").len(), 1);
    let cluster = r#"resource "digitalocean_database_cluster" "c" { engine = "redis" }"#;
    assert_eq!(of(&report(cluster), "exposure-internal-port").len(), 1);
    let guarded = format!(
        "{cluster}\nresource \"digitalocean_database_firewall\" \"f\" {{\n  cluster_id = digitalocean_database_cluster.c.id\n}}\n"
    );
    assert!(of(&report(&guarded), "exposure-internal-port").is_empty());
}

#[test]
fn ssh_only_from_the_admin_cidrs() {
    assert_eq!(of(&report(&sg(22, "0.0.0.0/0")), "exposure-ssh").len(), 1);
    // Without declared admin CIDRs only the whole internet is refused.
    assert!(of(&report(&sg(22, "198.51.100.0/24")), "exposure-ssh").is_empty());
    let policy = r#"admin_cidrs = ["203.0.113.0/24"]"#;
    assert_eq!(
        of(&report_with(&sg(22, "198.51.100.0/24"), policy), "exposure-ssh").len(),
        1
    );
    assert!(of(&report_with(&sg(22, "203.0.113.0/24"), policy), "exposure-ssh").is_empty());
    // The configuration's admin_cidrs variable counts as the declaration.
    let with_var = format!(
        "variable \"admin_cidrs\" {{\n  default = [\"203.0.113.0/24\"]\n}}\n{}",
        sg(22, "198.51.100.0/24")
    );
    let plan = plan_of(&with_var, "prod");
    let mut plan = plan;
    plan.variables
        .insert("admin_cidrs".into(), Value::string_list(["203.0.113.0/24"]));
    let r = check(&World::from_plan(&plan).unwrap(), &EnvPolicy::defaults("prod"));
    assert_eq!(of(&r, "exposure-ssh").len(), 1, "{r:?}");
}

#[test]
fn buckets_need_a_full_public_access_block() {
    let bucket = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n";
    assert_eq!(of(&report(bucket), "exposure-s3-public-access").len(), 1);
    let block = |v: &str| {
        format!(
            "{bucket}resource \"aws_s3_bucket_public_access_block\" \"b\" {{\n  bucket = aws_s3_bucket.b.id\n  block_public_acls = true\n  block_public_policy = {v}\n  ignore_public_acls = true\n  restrict_public_buckets = true\n}}\n"
        )
    };
    let partial = report(&block("false"));
    assert_eq!(
        of(&partial, "exposure-s3-public-access"),
        [("aws_s3_bucket_public_access_block.b".into(), "main.tf:7".into())]
    );
    assert!(of(&report(&block("true")), "exposure-s3-public-access").is_empty());
}

#[test]
fn databases_and_file_systems_are_encrypted() {
    let bad = report(
        "resource \"aws_db_instance\" \"d\" {}\nresource \"aws_efs_file_system\" \"f\" {\n  encrypted = false\n}\n",
    );
    assert_eq!(of(&bad, "exposure-encryption").len(), 2);
    let good = report(
        "resource \"aws_db_instance\" \"d\" {\n  storage_encrypted = true\n}\nresource \"aws_efs_file_system\" \"f\" {\n  encrypted = true\n}\n",
    );
    assert!(of(&good, "exposure-encryption").is_empty());
}

#[test]
fn secret_names_and_values() {
    for yes in [
        "QUALITY_OPS_TOKEN",
        "dbPassword",
        "OPENAI_API_KEY",
        "STRIPE_KEY",
        "client_secret",
        "DB_PASSWD",
    ] {
        assert!(rules::secret_name(yes), "{yes}");
    }
    for no in [
        "TOKEN_FILE",
        "SECRET_ARN",
        "CACHE_KEY",
        "API_URL",
        "PORT",
        "LOG_LEVEL",
        "KEY",
    ] {
        assert!(!rules::secret_name(no), "{no}");
    }
    assert!(rules::secret_value("postgres://app:hunter2@db:5432/app"));
    assert!(rules::secret_value("AKIAIOSFODNN7EXAMPLE"));
    assert!(!rules::secret_value("postgres://db:5432/app"));
}

#[test]
fn secrets_stay_out_of_plain_environment_parameters_and_user_data() {
    let env = |name: &str| {
        task(&format!(
            r#"[{{ name = "a", {LOGS}, {CHECK}, environment = [{{ name = "{name}", value = "s3cr3t-value" }}] }}]"#
        ))
    };
    let bad = report(&env("API_TOKEN"));
    let f: Vec<&Finding> = bad.findings.iter().filter(|f| f.rule == "secrets-plain").collect();
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message.contains("API_TOKEN") && !f[0].message.contains("s3cr3t"),
        "{}",
        f[0].message
    );
    assert!(of(&report(&env("LOG_LEVEL")), "secrets-plain").is_empty());
    let param = |ty: &str| {
        format!(
            "resource \"aws_ssm_parameter\" \"p\" {{\n  name = \"/app/db_password\"\n  type = \"{ty}\"\n  value = \"x\"\n}}\n"
        )
    };
    assert_eq!(of(&report(&param("String")), "secrets-plain").len(), 1);
    assert!(of(&report(&param("SecureString")), "secrets-plain").is_empty());
    let ud = report(&droplet("runcmd:\n  - echo API_TOKEN=abc123 >> /etc/env", ""));
    assert_eq!(of(&ud, "secrets-plain").len(), 1);
    let clean = report(&droplet("runcmd:\n  - touch /etc/env", ""));
    assert!(of(&clean, "secrets-plain").is_empty());
}

#[test]
fn backups_meet_the_rpo_and_short_rpos_need_deletion_protection() {
    let rds = |ret: u32, dp: bool| {
        format!(
            "resource \"aws_db_instance\" \"d\" {{\n  storage_encrypted = true\n  backup_retention_period = {ret}\n  deletion_protection = {dp}\n}}\n"
        )
    };
    let five = r#"environment "prod" { rpo = "5m" }"#;
    let day = r#"environment "prod" { rpo = "24h" }"#;
    assert_eq!(of(&report_with(&rds(0, true), day), "recovery-backups").len(), 1);
    assert!(of(&report_with(&rds(7, true), five), "recovery-backups").is_empty());
    assert_eq!(
        of(
            &report_with(&rds(7, true), r#"environment "prod" { rpo = "1m" }"#),
            "recovery-backups"
        )
        .len(),
        1
    );
    assert_eq!(
        of(&report_with(&rds(7, false), five), "recovery-deletion-protection").len(),
        1
    );
    assert!(of(&report_with(&rds(7, false), day), "recovery-deletion-protection").is_empty());
    // Droplets: weekly backups meet a week, daily ones a day, none nothing.
    let weekly = droplet("", "");
    assert_eq!(of(&report_with(&weekly, day), "recovery-backups").len(), 1);
    assert!(
        of(
            &report_with(&weekly, r#"environment "prod" { rpo = "7d" }"#),
            "recovery-backups"
        )
        .is_empty()
    );
    let daily = droplet("", "backup_policy {\n    plan = \"daily\"\n  }");
    assert!(of(&report_with(&daily, day), "recovery-backups").is_empty());
    // A DigitalOcean cluster has no deletion protection setting: prevent_destroy is the protection.
    let pg = |lifecycle: &str| {
        format!("resource \"digitalocean_database_cluster\" \"c\" {{\n  engine = \"pg\"\n{lifecycle}\n}}\n")
    };
    assert_eq!(of(&report_with(&pg(""), five), "recovery-deletion-protection").len(), 1);
    assert!(
        of(
            &report_with(&pg("  lifecycle {\n    prevent_destroy = true\n  }"), five),
            "recovery-deletion-protection"
        )
        .is_empty()
    );
}

#[test]
fn a_waiver_next_to_the_resource_covers_its_findings_and_prints_the_reason() {
    let tf = format!(
        "# infra:waive exposure-internal-port: reached only through the VPN\n{}",
        sg(5432, "0.0.0.0/0")
    );
    let r = report(&tf);
    let f = r.findings.iter().find(|f| f.rule == "exposure-internal-port").unwrap();
    assert_eq!(f.waived.as_deref(), Some("reached only through the VPN"));
    assert!(!r.has_errors(), "{r:?}");
    let text = render::text(&r, crate::plan::render::Style { color: false });
    assert!(text.contains("waived: reached only through the VPN"), "{text}");
    // Inside the block works too; another rule's waiver does not.
    let inside = sg(5432, "0.0.0.0/0").replacen("{\n", "{\n  # infra:waive exposure-internal-port: VPN\n", 1);
    assert!(!report(&inside).has_errors());
    let other = format!("# infra:waive exposure-ssh: VPN\n{}", sg(5432, "0.0.0.0/0"));
    let r = report(&other);
    assert!(r.has_errors());
    assert_eq!(r.unused_waivers, ["main.tf:1"]);
}

#[test]
fn malformed_waivers_are_errors_with_their_line() {
    let no_reason = report(&format!(
        "# infra:waive exposure-internal-port\n{}",
        sg(443, "10.0.0.0/8")
    ));
    assert_eq!(of(&no_reason, WAIVER_RULE), [("-".into(), "main.tf:1".into())]);
    let typo = report(&format!(
        "# infra:waive exposure-internal-prot: x\n{}",
        sg(443, "10.0.0.0/8")
    ));
    let f = typo.findings.iter().find(|f| f.rule == WAIVER_RULE).unwrap();
    assert!(
        f.message.contains("did you mean \"exposure-internal-port\""),
        "{}",
        f.message
    );
}

#[test]
fn the_policy_file_selects_rules_and_levels_per_environment() {
    let file = PolicyFile::parse(
        "infra.policy.hcl",
        "rules = { \"logs-retention\" = \"warning\" }\nenvironment \"prod\" {\n  rpo = \"5m\"\n  rules = { \"logs-retention\" = \"off\" }\n}\n",
    )
    .unwrap();
    let prod = file.for_env("prod");
    assert_eq!(prod.level("logs-retention"), None);
    assert_eq!(prod.rpo, std::time::Duration::from_secs(300));
    let stage = file.for_env("stage");
    assert_eq!(stage.level("logs-retention"), Some(Level::Warning));
    assert!(stage.rpo_assumed);
    let r = report_with(
        r#"resource "aws_cloudwatch_log_group" "l" { name = "l" }"#,
        "rules = { \"logs-retention\" = \"warning\" }",
    );
    assert!(!r.has_errors());
    assert_eq!(r.count(Level::Warning), 1);
    let e = PolicyFile::parse("p.hcl", "rules = { \"logs-retension\" = \"off\" }").unwrap_err();
    assert!(
        e.starts_with("p.hcl:1:") && e.contains("did you mean \"logs-retention\"")
            || e.contains("Did you mean \"logs-retention\""),
        "{e}"
    );
    let e = PolicyFile::parse("p.hcl", "environment \"prod\" {\n  rpo = \"soon\"\n}\n").unwrap_err();
    assert!(e.starts_with("p.hcl:2:"), "{e}");
}
