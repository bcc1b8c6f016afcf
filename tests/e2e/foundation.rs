//! The foundation flow against moto: apply → check through the AWS API → no-op plan → in-place update →
//! replacement naming its attribute → out-of-band deletion recreated → import → destroy leaves nothing.

use crate::support::{World, api_calls};

fn network(cidr: &str, team: &str, sg_port: u16) -> String {
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
  default_tags {{
    tags = {{ Project = "e2e" }}
  }}
}}

variable "cidr" {{
  type    = string
  default = "{cidr}"
}}

resource "aws_vpc" "main" {{
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  tags = {{
    Name = "e2e"
    Team = "{team}"
  }}
}}

resource "aws_subnet" "private" {{
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index)
}}

resource "aws_security_group" "api" {{
  name        = "api"
  description = "api"
  vpc_id      = aws_vpc.main.id

  ingress {{
    from_port   = {sg_port}
    to_port     = {sg_port}
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }}
}}

output "vpc_id" {{ value = aws_vpc.main.id }}
output "subnet_ids" {{ value = aws_subnet.private[*].id }}
"#
    )
}

async fn vpcs_of(w: &World, lineage: &str) -> Vec<aws_sdk_ec2::types::Vpc> {
    let out = w
        .ec2()
        .await
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:infra:lineage")
                .values(lineage)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.vpcs.unwrap_or_default()
}

#[tokio::test]
async fn apply_update_replace_recreate_destroy() {
    let w = World::aws();
    w.write(&[("main.tf", &network("10.30.0.0/16", "a", 8000))]);

    // First plan: everything to add, known-after-apply IDs, the state file untouched.
    let plan = w.infra(&["plan"]);
    let out = plan.ok();
    assert!(out.contains("Plan: 4 to add, 0 to change, 0 to destroy."), "{out}");
    assert!(out.contains("(known after apply)"), "{out}");
    assert!(
        plan.stderr.contains("environment default") && plan.stderr.contains("state/cfg/default.tfstate.json"),
        "{}",
        plan.stderr
    );

    // Apply.
    let out = w.infra(&["apply", "--auto-approve"]);
    let text = out.ok();
    assert!(text.contains("aws_vpc.main: Creation complete after"), "{text}");
    assert!(
        text.contains("Apply complete! Resources: 4 added, 0 changed, 0 destroyed."),
        "{text}"
    );
    let state = w.state_json("default");
    let lineage = state["lineage"].as_str().unwrap().to_string();
    let vpc_id = state["outputs"]["vpc_id"]["value"].as_str().unwrap().to_string();

    // Through the AWS API: the VPC exists with our tags, default tags and ownership tags.
    let vpcs = vpcs_of(&w, &lineage).await;
    assert_eq!(vpcs.len(), 1);
    let vpc = &vpcs[0];
    assert_eq!(vpc.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(vpc.cidr_block(), Some("10.30.0.0/16"));
    let tags: std::collections::BTreeMap<_, _> = vpc
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    assert_eq!(tags.get("Team"), Some(&"a"));
    assert_eq!(tags.get("Project"), Some(&"e2e"));
    assert_eq!(tags.get("infra:address"), Some(&"aws_vpc.main"));
    let subnets = w
        .ec2()
        .await
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc_id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 2);

    // No changes: exit 0 with --detailed-exitcode; refresh reads in batches.
    let again = w.infra_env(&["plan", "--detailed-exitcode"], &[("INFRA_LOG", "infra::api=debug")]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let calls = api_calls(&again.stderr);
    assert!(
        calls <= 12,
        "a no-op plan of 4 resources and 0 data sources made {calls} API calls:\n{}",
        again.stderr
    );

    // A tag change is an update in place; a rule change too.
    w.write(&[("main.tf", &network("10.30.0.0/16", "b", 8080))]);
    let p = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 2, "{}", p.all());
    assert!(
        p.stdout.contains("aws_vpc.main will be updated in-place"),
        "{}",
        p.stdout
    );
    assert!(
        p.stdout.contains("aws_security_group.api will be updated in-place"),
        "{}",
        p.stdout
    );
    assert!(
        p.stdout.contains("Plan: 0 to add, 2 to change, 0 to destroy."),
        "{}",
        p.stdout
    );
    w.infra(&["apply", "--auto-approve"]).ok();
    let vpc = &vpcs_of(&w, &lineage).await[0];
    assert!(
        vpc.tags()
            .iter()
            .any(|t| t.key() == Some("Team") && t.value() == Some("b"))
    );
    assert_eq!(vpc.vpc_id(), Some(vpc_id.as_str()), "an in-place update keeps the VPC");

    // A CIDR change replaces the VPC and everything that depends on it, naming the attribute.
    w.write(&[("main.tf", &network("10.31.0.0/16", "b", 8080))]);
    let p = w.infra(&["plan"]);
    let out = p.ok();
    assert!(out.contains("aws_vpc.main must be replaced"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("cidr_block") && l.contains("# forces replacement")),
        "{out}"
    );
    w.infra(&["apply", "--auto-approve"]).ok();
    let vpcs = vpcs_of(&w, &lineage).await;
    assert_eq!(vpcs.len(), 1, "the old VPC is gone");
    assert_eq!(vpcs[0].cidr_block(), Some("10.31.0.0/16"));
    let new_vpc = vpcs[0].vpc_id().unwrap().to_string();

    // Deleted out of band: the next plan says so and creates it again.
    let sid = w.state_json("default")["outputs"]["subnet_ids"]["value"][1]
        .as_str()
        .unwrap()
        .to_string();
    w.ec2().await.delete_subnet().subnet_id(&sid).send().await.unwrap();
    let p = w.infra(&["plan"]);
    let out = p.ok();
    assert!(out.contains("aws_subnet.private[1] will be created"), "{out}");
    assert!(p.all().contains("deleted outside infra"), "{}", p.all());
    w.infra(&["apply", "--auto-approve"]).ok();
    assert_eq!(w.infra(&["plan", "--detailed-exitcode"]).code, 0);

    // Destroy: nothing of ours is left.
    let d = w.infra(&["destroy", "--auto-approve"]);
    assert!(
        d.ok().contains("Destroy complete! Resources: 4 destroyed."),
        "{}",
        d.stdout
    );
    assert!(vpcs_of(&w, &lineage).await.is_empty());
    let left = w
        .ec2()
        .await
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&new_vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(left.subnets().is_empty());
    assert_eq!(w.state_json("default")["resources"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_import_block_brings_an_existing_vpc_under_management() {
    let w = World::aws();
    let made = w
        .ec2()
        .await
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .unwrap();
    let id = made.vpc().unwrap().vpc_id().unwrap().to_string();
    w.write(&[(
        "main.tf",
        &format!(
            "variable \"legacy_vpc\" {{ default = \"{id}\" }}\nresource \"aws_vpc\" \"legacy\" {{\n  cidr_block = \"10.42.0.0/16\"\n  tags = {{ Name = \"legacy\" }}\n}}\nimport {{\n  to = aws_vpc.legacy\n  id = var.legacy_vpc\n}}\n"
        ),
    )]);
    let r = w.infra(&["plan", "--out", "p.plan"]);
    let out = r.ok();
    assert!(
        out.contains(&format!("# aws_vpc.legacy will be imported (ID \"{id}\")")),
        "{out}"
    );
    // The tag the configuration adds is an update of the imported object, not a new VPC.
    assert!(
        out.contains("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy."),
        "{out}"
    );
    w.infra(&["apply", "p.plan"]).ok();
    let vpcs = w.ec2().await.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    let tags = vpcs.vpcs()[0].tags();
    assert!(
        tags.iter()
            .any(|t| t.key() == Some("Name") && t.value() == Some("legacy")),
        "{tags:?}"
    );
    let p = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 0, "{}", p.all());
}

#[tokio::test]
async fn import_an_existing_vpc() {
    let w = World::aws();
    let made = w
        .ec2()
        .await
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .unwrap();
    let id = made.vpc().unwrap().vpc_id().unwrap().to_string();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"legacy\" {\n  cidr_block = \"10.40.0.0/16\"\n}\n",
    )]);
    let out = w.infra(&["import", "aws_vpc.legacy", &id]);
    assert!(out.ok().contains("Import successful!"), "{}", out.all());
    let list = w.infra(&["state", "list"]);
    assert_eq!(list.ok().trim(), "aws_vpc.legacy");
    // The configuration matches the imported object: nothing to do.
    let p = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(p.code, 0, "{}", p.all());
    // Importing a missing object is an error naming it.
    w.write(&[("main.tf", "resource \"aws_vpc\" \"legacy\" {\n  cidr_block = \"10.40.0.0/16\"\n}\nresource \"aws_vpc\" \"other\" {\n  cidr_block = \"10.41.0.0/16\"\n}\n")]);
    let bad = w.infra(&["import", "aws_vpc.other", "vpc-00000000deadbeef0"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("vpc-00000000deadbeef0"), "{}", bad.stderr);
}

#[tokio::test]
async fn plan_json_is_one_document_with_replace_paths() {
    let w = World::aws();
    w.write(&[("main.tf", &network("10.50.0.0/16", "a", 8000))]);
    w.infra(&["apply", "--auto-approve"]).ok();
    w.write(&[("main.tf", &network("10.51.0.0/16", "a", 8000))]);
    let p = w.infra(&["plan", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(p.ok()).expect("stdout is exactly one JSON document");
    let vpc = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aws_vpc.main")
        .unwrap();
    assert_eq!(vpc["change"]["actions"], serde_json::json!(["delete", "create"]));
    assert_eq!(vpc["change"]["replace_paths"], serde_json::json!([["cidr_block"]]));
    assert_eq!(vpc["change"]["after_unknown"]["id"], true);
    assert!(doc["cost"].is_object(), "{doc}");
}

/// Terraform's older names `aws_alb`, `aws_alb_target_group` and `aws_alb_listener` are the same types
/// as `aws_lb*`: they apply, plan no changes after, and the load balancer is priced.
#[test]
fn the_aws_alb_names_apply_replan_to_nothing_and_are_priced() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.80.0.0/16"
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_alb" "api" {
  name    = "api"
  subnets = aws_subnet.public[*].id
}

resource "aws_alb_target_group" "api" {
  name        = "api"
  port        = 8000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.main.id
}

resource "aws_alb_listener" "http" {
  load_balancer_arn = aws_alb.api.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_alb_target_group.api.arn
  }
}
"#,
    )]);
    let r = w.infra(&["apply", "--auto-approve"]);
    assert!(r.ok().contains("Apply complete! Resources: 6 added"), "{}", r.all());
    let r = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = w.infra(&["cost"]);
    let out = r.ok();
    let line = out
        .lines()
        .find(|l| l.contains("aws_alb.api"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains('$') && !line.contains("not priced"), "{line}");
}
