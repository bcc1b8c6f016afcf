//! The built-in policy rules through the binary: `infra policy` passes on the example plans (with their
//! waivers), each edit that breaks a guideline in the stage plan is reported with its rule and
//! `file:line`, and `plan --policy=error` fails CI while `--json` and `--markdown` carry the findings.

use crate::support::World;

const TOKEN: (&str, &str) = ("TF_VAR_quality_ops_token", "qot-policy-test");

fn policy_json(w: &World, env: &str) -> (i32, serde_json::Value, String) {
    let r = w.infra_env(&["policy", "--env", env, "--json"], &[TOKEN]);
    let j = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}", r.all()));
    (r.code, j, r.all())
}

#[test]
fn the_plans_pass_their_policy_with_their_waivers() {
    let w = World::offline();
    w.copy_plan("araquem-stage");
    for env in ["stage", "prod"] {
        let (code, j, all) = policy_json(&w, env);
        assert_eq!(code, 0, "{all}");
        assert_eq!(j["errors"], 0, "{all}");
    }
    let (_, j, _) = policy_json(&w, "prod");
    assert_eq!(j["rpo"], "5m", "prod states its recovery point in infra.policy.hcl");

    let w = World::offline();
    w.copy_plan("docs-search-do");
    let r = w.infra(&["policy", "--env", "production"]);
    let out = r.ok();
    assert!(out.contains("0 error(s)"), "{out}");
    // The droplet is stateless: its missing backups are waived, and the reason is printed.
    assert!(
        out.contains("waived[recovery-backups] digitalocean_droplet.app")
            && out.contains("waived: the droplet is stateless"),
        "{out}"
    );
}

/// The line of the first occurrence of `text` in a configuration file.
fn line_of(w: &World, file: &str, text: &str) -> usize {
    let src = std::fs::read_to_string(w.cfg().join(file)).unwrap();
    let at = src.find(text).unwrap_or_else(|| panic!("{file} has no {text:?}"));
    src[..at].lines().count() + usize::from(src[..at].ends_with('\n'))
}

#[test]
fn each_broken_guideline_in_the_stage_plan_is_reported_at_its_line() {
    // (file, from, to, rule, address prefix, the text whose line the finding names)
    let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "ecs.tf",
            "    rollback = true",
            "    rollback = false",
            "rollout-circuit-breaker",
            "aws_ecs_service.service[",
            "    rollback = false",
        ),
        (
            "ecs.tf",
            "deployment_minimum_healthy_percent = 100",
            "deployment_minimum_healthy_percent = 0",
            "rollout-min-healthy",
            "aws_ecs_service.service[",
            "deployment_minimum_healthy_percent = 0",
        ),
        (
            "ecs.tf",
            "retention_in_days = var.log_retention_days",
            "retention_in_days = 0",
            "logs-retention",
            "aws_cloudwatch_log_group.",
            "retention_in_days = 0",
        ),
        (
            "database.tf",
            "storage_encrypted     = true",
            "storage_encrypted     = false",
            "exposure-encryption",
            "aws_db_instance.main",
            "storage_encrypted     = false",
        ),
        (
            "database.tf",
            "publicly_accessible    = false",
            "publicly_accessible    = true",
            "exposure-internal-port",
            "aws_db_instance.main",
            "publicly_accessible    = true",
        ),
        (
            "storage.tf",
            "encrypted        = true",
            "encrypted        = false",
            "exposure-encryption",
            "aws_efs_file_system.",
            "encrypted        = false",
        ),
        (
            "security.tf",
            "  cidr_ipv4         = each.key\n  ip_protocol       = \"tcp\"\n  from_port         = 3000",
            "  cidr_ipv4         = \"0.0.0.0/0\"\n  ip_protocol       = \"tcp\"\n  from_port         = 3000",
            "exposure-internal-port",
            "aws_vpc_security_group_ingress_rule.grafana_admin",
            "  cidr_ipv4         = \"0.0.0.0/0\"\n  ip_protocol       = \"tcp\"\n  from_port         = 3000",
        ),
        (
            "config.tf",
            "type  = \"String\"",
            "type  = \"String\"",
            "secrets-plain",
            "aws_ssm_parameter.token_copy",
            "type  = \"String\"\n  # a secret",
        ),
        (
            "ecs.tf",
            "environment = { OLLAMA_KEEP_ALIVE = \"24h\" }",
            "environment = { OLLAMA_KEEP_ALIVE = \"24h\", OLLAMA_API_TOKEN = \"t0ken\" }",
            "secrets-plain",
            "aws_ecs_task_definition.service[\"ollama\"]",
            "container_definitions",
        ),
        (
            "ecs.tf",
            "logDriver = \"awslogs\"",
            "logDriver = \"json-file\"",
            "logs-container",
            "aws_ecs_task_definition.service[",
            "container_definitions",
        ),
        (
            "alb.tf",
            "    enabled             = true\n    path                = \"/health\"",
            "    enabled             = false\n    path                = \"/health\"",
            "health-target-group",
            "aws_lb_target_group.api",
            "    enabled             = false",
        ),
    ];
    for (file, from, to, rule, address, at) in cases {
        let w = World::offline();
        w.copy_plan("araquem-stage");
        let path = w.cfg().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        let mut edited = text.replacen(from, to, 1);
        if *rule == "secrets-plain" && *file == "config.tf" {
            // A secret-looking parameter name, written as a plain String.
            edited.push_str(
                "\nresource \"aws_ssm_parameter\" \"token_copy\" {\n  name  = \"/araquem/stage/QUALITY_OPS_TOKEN\"\n  type  = \"String\"\n  # a secret\n  value = \"x\"\n}\n",
            );
        }
        std::fs::write(&path, edited).unwrap();
        let (code, j, all) = policy_json(&w, "stage");
        assert_eq!(code, 1, "{rule}: an unwaived error fails `infra policy`\n{all}");
        let line = line_of(&w, file, at);
        let want = format!("{}/{file}:{line}", w.cfg().file_name().unwrap().to_string_lossy());
        let found = j["findings"].as_array().unwrap().iter().any(|f| {
            f["rule"] == *rule
                && f["address"].as_str().unwrap().starts_with(address)
                && f["location"].as_str().unwrap().ends_with(&want)
                && f["waived"].is_null()
        });
        assert!(
            found,
            "{rule} at {want} for {address}*\n{}",
            serde_json::to_string_pretty(&j).unwrap()
        );
        // Secrets are named, never printed.
        assert!(!all.contains("t0ken"), "{all}");
    }
}

#[test]
fn plan_policy_error_fails_ci_and_the_json_and_markdown_carry_the_findings() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudwatch_log_group" "app" {
  name = "app"
}

# infra:waive exposure-internal-port: the team's VPN egress is 0.0.0.0/0 for now
resource "aws_security_group" "db" {
  name = "db"
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#,
    )]);
    let warn = w.infra(&["plan"]);
    let out = warn.ok();
    assert!(
        out.contains("error[logs-retention] aws_cloudwatch_log_group.app"),
        "{out}"
    );
    assert!(out.contains("main.tf:5"), "{out}");
    assert!(
        out.contains("waived: the team's VPN egress is 0.0.0.0/0 for now"),
        "{out}"
    );

    let md = w.path().join("plan.md");
    let saved = w.path().join("plan.bin");
    let r = w.infra(&[
        "plan",
        "--policy=error",
        "--out",
        saved.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("the plan breaks 1 policy rule(s)"), "{}", r.all());
    assert!(!saved.exists(), "a plan that breaks the policy is not saved");
    let md = std::fs::read_to_string(md).unwrap();
    assert!(
        md.contains("| error | `logs-retention` | `aws_cloudwatch_log_group.app` |"),
        "{md}"
    );

    let j = w.infra(&["plan", "--json"]);
    let j: serde_json::Value = serde_json::from_str(j.ok()).unwrap();
    let p = &j["infra_policy"];
    assert_eq!(p["errors"], 1, "{p}");
    assert_eq!(p["waived"], 1, "{p}");

    // Fixed: the same plan passes, and is saved.
    let main = w.cfg().join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        text.replace("  name = \"app\"\n", "  name = \"app\"\n  retention_in_days = 30\n"),
    )
    .unwrap();
    let r = w.infra(&["plan", "--policy=error", "--out", saved.to_str().unwrap()]);
    r.ok();
    assert!(saved.exists());
    let off = w.infra(&["plan", "--policy=off"]);
    assert!(!off.ok().contains("Policy ("), "{}", off.stdout);
}

#[test]
fn a_bad_policy_file_names_its_line_and_policy_list_names_every_rule() {
    let w = World::offline();
    w.write(&[
        (
            "main.tf",
            "resource \"aws_cloudwatch_log_group\" \"l\" {\n  name = \"l\"\n}\n",
        ),
        ("infra.policy.hcl", "environment \"prod\" {\n  rpo = \"5 minutes\"\n}\n"),
    ]);
    let r = w.infra(&["policy", "--env", "prod"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("infra.policy.hcl:2:"), "{}", r.all());
    let list = w.infra(&["policy", "--list"]);
    let out = list.ok();
    for rule in [
        "logs-container",
        "rollout-circuit-breaker",
        "exposure-ssh",
        "recovery-backups",
    ] {
        assert!(out.contains(rule), "{out}");
    }
}
