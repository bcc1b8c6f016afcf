//! A module-based configuration (`plans/stage-modules`: a network module, a service module per service)
//! against moto: plan and apply with module addresses, no changes after, targets and state commands that
//! take module addresses, the JSON plan's module fields, a saved plan, a Terraform state with module
//! instances both ways, and destroy leaving nothing.

use crate::support::World;

const ENV: &str = "stage";

async fn ecr_repositories(w: &World) -> Vec<String> {
    let ecr = aws_sdk_ecr::Client::new(&w.sdk_config().await);
    let out = ecr.describe_repositories().send().await.unwrap();
    let mut names: Vec<String> = out
        .repositories
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.repository_name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_module_based_stack_plans_applies_and_moves_between_terraform_and_infra() {
    let w = World::aws();
    w.copy_plan("stage-modules");

    // The saved plan, made with the environment's .tfvars, applies exactly.
    let r = w.infra(&["plan", "--env", ENV, "--out", "stage.plan"]);
    let out = r.ok();
    for a in [
        "module.network.aws_vpc.this will be created",
        "module.network.aws_subnet.public[\"us-east-1a\"] will be created",
        "module.service[\"api\"].aws_ecr_repository.this will be created",
        "module.service[\"prometheus\"].aws_security_group.this will be created",
        "Plan: 12 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(out.contains(a), "{a}\n{out}");
    }
    w.infra(&["apply", "stage.plan"]).ok();
    assert_eq!(
        ecr_repositories(&w).await,
        ["araquem-stage-api", "araquem-stage-prometheus"]
    );
    let state = w.state_json(ENV);
    let text = state.to_string();
    assert!(
        text.contains("module.service[\\\"api\\\"].aws_ssm_parameter.config"),
        "{text}"
    );
    // Values flow through the module's inputs and optional attributes' defaults.
    let log_retention = |svc: &str| {
        state["resources"]
            .as_array()
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r["address"] == format!("module.service[\"{svc}\"].aws_cloudwatch_log_group.this"))
            })
            .map(|r| r["attributes"]["retention_in_days"].clone())
    };
    assert_eq!(log_retention("api"), Some(serde_json::json!(14)), "{text}");
    assert_eq!(log_retention("prometheus"), Some(serde_json::json!(7)), "{text}");

    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());

    // Cost itemizes module resources by address, with a subtotal per module instance.
    let r = w.infra(&["cost", "--env", ENV]);
    let out = r.ok();
    for row in [
        "module.service[\"api\"].aws_ecr_repository.this",
        "module.service[\"api\"] subtotal",
        "module.network subtotal",
    ] {
        assert!(out.contains(row), "{row}\n{out}");
    }

    // Module addresses in the state commands.
    let list = w.infra(&["state", "list", "--env", ENV]);
    assert!(
        list.ok().contains("module.network.aws_subnet.public[\"us-east-1b\"]"),
        "{}",
        list.all()
    );
    let show = w.infra(&[
        "state",
        "show",
        "--env",
        ENV,
        "module.service[\"api\"].aws_ecr_repository.this",
    ]);
    assert!(show.ok().contains("image_tag_mutability"), "{}", show.all());

    // A change inside one instance; --target selects one module instance.
    let tfvars = w.cfg().join("stage.tfvars");
    std::fs::write(
        &tfvars,
        "az_count = 2\nservices = {\n  api = { port = 8080 }\n  prometheus = { port = 9090, log_retention = 7 }\n}\n",
    )
    .unwrap();
    let r = w.infra(&["plan", "--env", ENV, "--target", "module.service[\"api\"]", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(r.ok()).unwrap();
    let changed: Vec<(String, String)> = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"]["actions"] != serde_json::json!(["no-op"]))
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["module_address"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        changed.contains(&(
            "module.service[\"api\"].aws_security_group.this".to_string(),
            "module.service[\"api\"]".to_string()
        )),
        "{changed:?}"
    );
    // The API's config parameter changes too (its JSON held no port), nothing of prometheus.
    assert!(changed.iter().all(|(a, _)| !a.contains("prometheus")), "{changed:?}");
    // Terraform's nesting of module resources in planned values and the configuration.
    let children = doc["planned_values"]["root_module"]["child_modules"]
        .as_array()
        .unwrap();
    assert!(
        children.iter().any(|m| m["address"] == "module.network"),
        "{children:?}"
    );
    let call = &doc["configuration"]["root_module"]["module_calls"]["service"];
    assert_eq!(call["source"], "./modules/service");
    assert!(call["module"]["resources"].as_array().unwrap().len() >= 4, "{call}");
    std::fs::write(&tfvars, "az_count = 2\n").unwrap();

    // Back to Terraform and over again: module instances are kept, and nothing changes.
    let r = w.infra(&["state", "export-terraform", "--env", ENV, "--out", "tf.tfstate"]);
    r.ok();
    let tf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path().join("tf.tfstate")).unwrap()).unwrap();
    assert!(
        tf["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["module"] == "module.service[\"prometheus\"]"),
        "{tf}"
    );
    std::fs::rename(w.state_file(ENV), w.path().join("infra-state.json")).unwrap();
    let r = w.infra(&["state", "import-terraform", "--env", ENV, "tf.tfstate"]);
    assert!(r.ok().contains("Imported 12 resource instances"), "{}", r.all());
    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());

    // `state mv` of a whole module instance, and back.
    let r = w.infra(&["state", "mv", "--env", ENV, "module.network", "module.net"]);
    assert!(r.ok().contains("Successfully moved 4 objects"), "{}", r.all());
    let list = w.infra(&["state", "list", "--env", ENV]);
    assert!(list.ok().contains("module.net.aws_vpc.this"), "{}", list.all());
    let r = w.infra(&["state", "mv", "--env", ENV, "module.net", "module.network"]);
    r.ok();
    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());

    w.infra(&["destroy", "--env", ENV, "--auto-approve"]).ok();
    assert!(ecr_repositories(&w).await.is_empty());
    assert!(w.infra(&["state", "list", "--env", ENV]).ok().trim().is_empty());
}

const DEFERRED_ROOT: &str = r#"
variable "subnets" {
  type    = map(string)
  default = { a = "10.0.1.0/24", b = "10.0.2.0/24" }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "this" {
  for_each   = var.subnets
  vpc_id     = aws_vpc.main.id
  cidr_block = each.value
}

data "aws_availability_zones" "az" {}

# Named before "zones": expanded after it all the same.
module "app" {
  source = "./modules/sg"
  count  = length(module.zones.names)
  name   = "app-${count.index}"
  vpc_id = aws_vpc.main.id
  tag    = module.zones.names[count.index]
}

module "per_subnet" {
  source   = "./modules/sg"
  for_each = { for k, s in aws_subnet.this : k => s.id }
  name     = "sg-${each.key}"
  vpc_id   = aws_vpc.main.id
  tag      = each.value
}

module "zones" {
  source = "./modules/zones"
  names  = data.aws_availability_zones.az.names
}
"#;

const SG_MOD: &str = r#"
variable "name" { type = string }
variable "vpc_id" { type = string }
variable "tag" { type = string }
resource "aws_security_group" "this" {
  name   = var.name
  vpc_id = var.vpc_id
  tags   = { Tag = var.tag }
}
"#;

const ZONES_MOD: &str = r#"
variable "names" { type = list(string) }
output "names" { value = slice(var.names, 0, 2) }
"#;

/// Module calls whose count/for_each depend on a resource's instances, a data source and another
/// module's outputs, through the CLI: planned and applied, saved plans included, and a for_each of values
/// known only after apply refused at its line with the state untouched.
#[test]
fn module_instances_from_resources_and_data_sources() {
    let w = World::aws();
    let files = |root: &str| {
        w.write(&[
            ("main.tf", root),
            ("modules/sg/main.tf", SG_MOD),
            ("modules/zones/main.tf", ZONES_MOD),
        ])
    };
    files(DEFERRED_ROOT);
    let r = w.infra(&["plan", "--out", "first.tfplan"]);
    let out = r.ok();
    for a in [
        "module.per_subnet[\"a\"].aws_security_group.this will be created",
        "module.per_subnet[\"b\"].aws_security_group.this will be created",
        "module.app[0].aws_security_group.this will be created",
        "module.app[1].aws_security_group.this will be created",
        "Plan: 7 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(out.contains(a), "{a}\n{out}");
    }
    w.infra(&["apply", "first.tfplan"]).ok();
    let again = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());

    // An edit, saved and applied: one subnet's module instance goes, another comes.
    let r = w.infra(&[
        "plan",
        "--var",
        "subnets={b=\"10.0.2.0/24\",c=\"10.0.3.0/24\"}",
        "--out",
        "edit.tfplan",
    ]);
    let out = r.ok();
    assert!(
        out.contains("module.per_subnet[\"c\"].aws_security_group.this will be created"),
        "{out}"
    );
    assert!(
        out.contains("module.per_subnet[\"a\"].aws_security_group.this will be destroyed"),
        "{out}"
    );
    assert!(out.contains("Plan: 2 to add, 0 to change, 2 to destroy."), "{out}");
    w.infra(&["apply", "edit.tfplan"]).ok();
    let again = w.infra(&[
        "plan",
        "--var",
        "subnets={b=\"10.0.2.0/24\",c=\"10.0.3.0/24\"}",
        "--detailed-exitcode",
    ]);
    assert_eq!(again.code, 0, "{}", again.all());

    // Keys known only after apply: Terraform's error, at the line, nothing changed.
    let before = std::fs::read(w.state_file("default")).unwrap();
    files(
        &DEFERRED_ROOT
            .replace(
                "for_each = { for k, s in aws_subnet.this : k => s.id }",
                "for_each = toset([for s in aws_subnet.this : s.id if s.cidr_block != \"x\"])",
            )
            .replace(
                "default = { a = \"10.0.1.0/24\", b = \"10.0.2.0/24\" }",
                "default = { d = \"10.0.4.0/24\" }",
            ),
    );
    let r = w.infra(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Invalid for_each argument"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:30:"), "{}", r.stderr);
    assert!(r.stderr.contains("--target"), "{}", r.stderr);
    assert_eq!(std::fs::read(w.state_file("default")).unwrap(), before);
}
