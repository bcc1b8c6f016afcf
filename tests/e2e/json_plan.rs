//! `plan --json` in Terraform's JSON plan format, read by a real consumer of that format: checkov (PyPI,
//! installed by `scripts/tools.sh --checkov`) runs its Terraform-plan checks on infra's JSON plan and finds
//! the security group open to the world on SSH, and only that one. The document's Terraform fields are
//! checked too: planned values without unknowns, Terraform's `action_reason`, the registry address as
//! `provider_name`, the configuration's expressions, no secret anywhere.

use crate::support::World;
use serde_json::Value as Json;

const CFG: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "pa55-w0rd-never-shown"
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
}

resource "aws_security_group" "ssh_world" {
  name        = "ssh-world"
  description = "ssh from anywhere"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "ssh_admin" {
  count       = 2
  name        = "ssh-admin-${count.index}"
  description = "ssh from the admin network"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.60.0.0/24"]
  }
}

resource "aws_ssm_parameter" "db_password" {
  name  = "/app/db-password"
  type  = "SecureString"
  value = var.db_password
}
"#;

fn checkov() -> std::path::PathBuf {
    let bin = infra_testkit::tools_dir().join("checkov/bin/checkov");
    assert!(
        bin.is_file(),
        "checkov is not installed at {}: run scripts/tools.sh --checkov",
        bin.display()
    );
    bin
}

#[test]
fn checkov_reads_infras_json_plan_and_finds_the_open_ssh_port() {
    let w = World::aws();
    w.write(&[("main.tf", CFG)]);
    let r = w.infra(&["plan", "--json"]);
    let doc: Json = serde_json::from_str(r.ok()).expect("one JSON document on stdout");
    assert!(
        !r.all().contains("pa55-w0rd-never-shown"),
        "the secret is never printed"
    );

    // Terraform's fields.
    assert_eq!(doc["format_version"], "1.2");
    assert_eq!(doc["terraform_version"], "1.11.0");
    assert_eq!(doc["applyable"], true);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["errored"], false);
    assert!(doc["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        doc["variables"]["db_password"],
        serde_json::json!({}),
        "a sensitive variable has no value"
    );
    let planned = doc["planned_values"]["root_module"]["resources"].as_array().unwrap();
    assert_eq!(planned.len(), 5);
    let sg = planned
        .iter()
        .find(|r| r["address"] == "aws_security_group.ssh_world")
        .unwrap();
    assert_eq!(sg["provider_name"], "registry.terraform.io/hashicorp/aws");
    assert_eq!(sg["schema_version"], 1);
    assert!(
        sg["values"].get("vpc_id").is_none(),
        "unknown values are left out: {}",
        sg["values"]
    );
    assert_eq!(sg["values"]["ingress"][0]["cidr_blocks"][0], "0.0.0.0/0");
    let admin1 = planned
        .iter()
        .find(|r| r["address"] == "aws_security_group.ssh_admin[1]")
        .unwrap();
    assert_eq!(admin1["index"], 1);
    let change = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aws_security_group.ssh_world")
        .unwrap();
    assert!(change["change"]["after"].get("id").is_none());
    assert_eq!(change["change"]["after_unknown"]["id"], true);
    let param = planned
        .iter()
        .find(|r| r["address"] == "aws_ssm_parameter.db_password")
        .unwrap();
    assert_eq!(param["sensitive_values"]["value"], true);
    let cfg_sg = doc["configuration"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "aws_security_group.ssh_world")
        .unwrap();
    assert_eq!(cfg_sg["provider_config_key"], "aws");
    assert_eq!(cfg_sg["expressions"]["name"]["constant_value"], "ssh-world");
    let refs = cfg_sg["expressions"]["vpc_id"]["references"].as_array().unwrap();
    assert_eq!(refs, &[Json::from("aws_vpc.main.id"), Json::from("aws_vpc.main")]);
    assert_eq!(
        doc["configuration"]["provider_config"]["aws"]["full_name"],
        "registry.terraform.io/hashicorp/aws"
    );

    // The consumer: checkov's Terraform-plan checks on it (offline).
    let file = w.path().join("plan.json");
    std::fs::write(&file, r.stdout.as_bytes()).unwrap();
    let out = std::process::Command::new(checkov())
        .args([
            "-f",
            "plan.json",
            "--framework",
            "terraform_plan",
            "--check",
            "CKV_AWS_24",
            "-o",
            "json",
            "--quiet",
            "--skip-download",
        ])
        .current_dir(w.path())
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap();
    let report: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov's report is JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let failed: Vec<&str> = report["results"]["failed_checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["resource"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["aws_security_group.ssh_world"], "{report}");
    assert_eq!(report["summary"]["passed"], 2, "both admin groups pass: {report}");
    assert_eq!(report["summary"]["parsing_errors"], 0, "{report}");
}
