//! Moving a stack between Terraform and infra: `state export-terraform` writes Terraform's state format 4,
//! `state import-terraform` reads it into a new state, and the next plan shows no changes (nothing is
//! created again, nothing is written to the cloud by the import). With `INFRA_TEST_TERRAFORM=1` the real
//! Terraform (../shared/terraform-reference) is the other side: it applies a stack that infra then takes
//! over, and plans no changes on the state infra exports.

use crate::support::World;
use serde_json::{Value as Json, json};

const ENV: &str = "stage";

/// Forgets the environment's infra state (the state file and its backup): what a team coming from
/// Terraform starts with.
fn forget_state(w: &World, env: &str) {
    let f = w.state_file(env);
    std::fs::remove_file(&f).unwrap();
    let _ = std::fs::remove_file(f.with_extension("json.backup"));
}

#[tokio::test]
async fn the_stage_exported_for_terraform_and_imported_back_plans_no_changes() {
    let w = World::stage("qot-5ecr3t-f00d");
    w.infra(&["apply", "--env", ENV, "--auto-approve"]).ok();
    let before = w.state_json(ENV);

    let r = w.infra(&["state", "export-terraform", "--env", ENV, "--out", "tf.tfstate"]);
    r.ok();
    let tf: Json = serde_json::from_str(&std::fs::read_to_string(w.path().join("tf.tfstate")).unwrap()).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.path().join("tf.tfstate"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the exported state holds secrets: owner only");
    }
    assert_eq!(tf["version"], 4);
    assert_eq!(tf["lineage"], before["lineage"]);
    let resource = |t: &str, n: &str| {
        tf["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == t && r["name"] == n)
            .unwrap_or_else(|| panic!("{t}.{n} exported"))
            .clone()
    };
    let vpc = resource("aws_vpc", "main");
    assert_eq!(vpc["provider"], "provider[\"registry.terraform.io/hashicorp/aws\"]");
    assert_eq!(
        vpc["instances"][0]["schema_version"], 1,
        "hashicorp/aws records aws_vpc at version 1"
    );
    assert!(
        vpc["instances"][0]["attributes"]["id"]
            .as_str()
            .unwrap()
            .starts_with("vpc-")
    );
    let db = resource("aws_db_instance", "main");
    assert_eq!(db["instances"][0]["schema_version"], 2);
    let exported_count: usize = tf["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| r["instances"].as_array().unwrap().len())
        .sum();
    let managed = before["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .count();
    assert_eq!(exported_count, managed, "every instance exported");
    // The file must not be overwritten by a second export.
    let r = w.infra(&["state", "export-terraform", "--env", ENV, "--out", "tf.tfstate"]);
    assert_eq!(r.code, 1, "{}", r.all());

    // A team coming from Terraform: no infra state, only Terraform's — with what infra cannot take.
    let mut tf_more = tf.clone();
    let extra = tf_more["resources"].as_array_mut().unwrap();
    extra.push(
        json!({"module": "module.dns", "mode": "managed", "type": "aws_route53_record", "name": "x",
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 1, "attributes": {"id": "vpc-0000"}}]}),
    );
    extra.push(json!({"mode": "managed", "type": "aws_route53_zone", "name": "z",
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 0, "attributes": {"id": "Z123"}}]}));
    extra.push(json!({"mode": "data", "type": "aws_region", "name": "current",
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 0, "attributes": {"id": "us-east-1", "name": "us-east-1"}}]}));
    std::fs::write(
        w.cfg().join("terraform.tfstate"),
        serde_json::to_string(&tf_more).unwrap(),
    )
    .unwrap();
    let tf_text = std::fs::read(w.cfg().join("terraform.tfstate")).unwrap();
    forget_state(&w, ENV);

    // Read from terraform.tfstate in the configuration directory, the default place.
    let r = w.infra(&["state", "import-terraform", "--env", ENV]);
    let out = r.ok();
    assert!(out.contains(&format!("Imported {managed} resource instances")), "{out}");
    assert!(
        out.contains("module.dns.aws_route53_record.x: infra does not support the resource type aws_route53_record"),
        "{out}"
    );
    assert!(
        out.contains("aws_route53_zone.z: infra does not support the resource type aws_route53_zone"),
        "{out}"
    );
    let data_sources = before["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "data")
        .count();
    assert!(
        out.contains(&format!("{} data source instances were not taken", data_sources + 1)),
        "{out}"
    );
    assert!(!r.all().contains("qot-5ecr3t-f00d"), "no secret printed");
    assert_eq!(
        std::fs::read(w.cfg().join("terraform.tfstate")).unwrap(),
        tf_text,
        "Terraform's state is left as it was"
    );
    let after = w.state_json(ENV);
    assert_ne!(after["lineage"], before["lineage"], "a new lineage");

    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "no changes after the import\n{}", r.all());
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A second import into a state that manages resources is refused; nothing is written.
    let state_before = std::fs::read(w.state_file(ENV)).unwrap();
    let r = w.infra(&["state", "import-terraform", "--env", ENV]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("already manages"), "{}", r.stderr);
    assert_eq!(std::fs::read(w.state_file(ENV)).unwrap(), state_before);
}

#[test]
fn import_terraform_refuses_what_is_not_a_terraform_state() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )]);
    let r = w.infra(&["state", "import-terraform"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("terraform.tfstate"), "{}", r.stderr);
    std::fs::write(
        w.cfg().join("old.tfstate"),
        r#"{"version": 3, "terraform_version": "0.11.14", "serial": 1, "lineage": "x", "modules": []}"#,
    )
    .unwrap();
    let r = w.infra(&["state", "import-terraform", "cfg/old.tfstate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("format version 3"), "{}", r.stderr);
    assert!(!w.state_file("default").exists(), "nothing written");
}

/// `INFRA_TEST_TERRAFORM=1`: the real Terraform applies a stack on moto, infra takes it over with no
/// changes planned; infra's export of it plans no changes in Terraform.
#[test]
fn with_the_real_terraform_a_stack_moves_both_ways_without_changes() {
    if std::env::var("INFRA_TEST_TERRAFORM").is_err() {
        eprintln!("skipped: set INFRA_TEST_TERRAFORM=1 on a machine with ../shared/terraform-reference");
        return;
    }
    let w = World::aws();
    w.write(&[("main.tf", TF_STACK)]);
    let terraform = w.terraform(w.cfg(), &[]);
    let tf = |args: &str| {
        terraform.run(args);
    };
    tf("init -input=false");
    tf("apply -input=false -auto-approve");
    let r = w.infra(&["state", "import-terraform"]);
    let out = r.ok();
    assert!(out.contains("Imported 8 resource instances"), "{out}");
    let r = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "no changes after taking over Terraform's state\n{}", r.all());
    assert!(
        !r.stdout.contains("changed outside of infra"),
        "no drift either\n{}",
        r.stdout
    );
    eprintln!("{}", r.stdout);
    // And back: Terraform plans no changes on infra's export.
    std::fs::rename(
        w.cfg().join("terraform.tfstate"),
        w.cfg().join("terraform.tfstate.orig"),
    )
    .unwrap();
    w.infra(&["state", "export-terraform", "--out", "cfg/terraform.tfstate"])
        .ok();
    let plan = terraform.status("plan -input=false -detailed-exitcode");
    assert_eq!(plan, 0, "Terraform plans no changes on infra's export");
}

const TF_STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block           = "10.40.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "tf" }
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}

resource "aws_security_group" "api" {
  name        = "api"
  description = "api"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.api.id
  cidr_ipv4         = "10.40.0.0/16"
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}

resource "aws_ssm_parameter" "p" {
  for_each = toset(["a", "b"])
  name     = "/tf/${each.key}"
  type     = "String"
  value    = each.key
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/tf/api"
  retention_in_days = 14
}

output "vpc_id" {
  value = aws_vpc.main.id
}
"#;
