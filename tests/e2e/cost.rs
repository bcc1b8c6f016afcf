//! `infra cost` through the binary, offline: bad input is a clear error (exit 1) naming what is wrong.

use crate::support::World;

const SECRET: &str = r#"
resource "aws_secretsmanager_secret" "token" {
  name = "quality-ops-token"
}
"#;

#[test]
fn a_region_without_prices_is_an_error_naming_the_region_and_the_resource() {
    let w = World::offline();
    w.write(&[(
        "main.tf",
        &format!("provider \"aws\" {{\n  region = \"eu-north-9\"\n}}\n{SECRET}"),
    )]);
    let r = w.infra(&["cost"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("eu-north-9"), "{}", r.stderr);
    assert!(r.stderr.contains("aws_secretsmanager_secret.token"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn a_malformed_usage_file_is_an_error_naming_its_file_and_line() {
    let w = World::offline();
    w.write(&[("main.tf", SECRET)]);
    std::fs::write(
        w.path().join("usage.yml"),
        "version: 0.1\nresource_usage:\n  aws_secretsmanager_secret.token:\n    monthly_requests: 100: 200\n  other: 1\n",
    )
    .unwrap();
    let r = w.infra(&["cost", "--usage", "usage.yml"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("usage.yml:4"), "{}", r.stderr);

    // An unknown key is named with its line too.
    std::fs::write(
        w.path().join("usage.yml"),
        "version: 0.1\nresource_usage:\n  aws_secretsmanager_secret.token:\n    monthly_requets: 100000\n",
    )
    .unwrap();
    let r = w.infra(&["cost", "--usage", "usage.yml"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("usage.yml:4"), "{}", r.stderr);
    assert!(r.stderr.contains("monthly_requets"), "{}", r.stderr);

    // A good one prices the requests: $0.40 per secret + 100,000 × $0.05 per 10,000 = $0.90.
    std::fs::write(
        w.path().join("usage.yml"),
        "version: 0.1\nresource_usage:\n  aws_secretsmanager_secret.token:\n    monthly_requests: 100000\n",
    )
    .unwrap();
    let r = w.infra(&["cost", "--usage", "usage.yml"]);
    assert!(r.ok().contains("0.90"), "{}", r.stdout);
}

/// The docs-search production on DigitalOcean with its S3 bucket holding 87 GB: droplet $24.00 + database
/// $15.00 + S3 87 GB × $0.023 = $2.00 → $41.00 a month.
#[test]
fn the_docs_search_production_costs_41_dollars_a_month() {
    let w = World::offline();
    w.copy_plan("docs-search-do");
    std::fs::write(
        w.path().join("usage.yml"),
        "version: 0.1\nresource_usage:\n  aws_s3_bucket.tmp:\n    storage_gb: 87\n",
    )
    .unwrap();
    let r = w.infra_env(
        &[
            "cost",
            "--env",
            "production",
            "--usage",
            "usage.yml",
            "--format",
            "json",
        ],
        &[("DIGITALOCEAN_TOKEN", "unused-offline")],
    );
    let doc: serde_json::Value = serde_json::from_str(r.ok()).unwrap();
    let text = doc.to_string();
    assert!(
        text.contains("24.00") && text.contains("15.00") && text.contains("2.00"),
        "{text}"
    );
    assert!(text.contains("41.00"), "{text}");
    let r = w.infra_env(
        &["cost", "--env", "production", "--usage", "usage.yml"],
        &[("DIGITALOCEAN_TOKEN", "unused-offline")],
    );
    assert!(r.ok().contains("41.00"), "{}", r.stdout);
}

/// The stage stack's environments side by side: prod is larger than stage, and the table's totals are
/// the sums of their lines.
#[test]
fn the_stage_stack_prices_stage_and_prod_side_by_side() {
    let w = World::offline();
    w.copy_plan("araquem-stage");
    let extra = [("TF_VAR_quality_ops_token", "x")];
    let r = w.infra_env(&["cost", "--env", "stage", "--env", "prod"], &extra);
    let out = r.ok();
    assert!(out.contains("stage") && out.contains("prod"), "{out}");
    let r = w.infra_env(&["cost", "--env", "stage", "--env", "prod", "--format", "json"], &extra);
    let doc: serde_json::Value = serde_json::from_str(r.ok()).unwrap();
    let cents = |s: &serde_json::Value| -> i64 {
        let s = s.as_str().unwrap();
        let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
        whole.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}")[..2].parse::<i64>().unwrap()
    };
    let envs = doc["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 2);
    let mut totals = Vec::new();
    for e in envs {
        let resources = e["resources"].as_array().unwrap();
        assert!(resources.iter().any(|r| r["address"] == "aws_db_instance.main"), "{e}");
        // Each resource is the sum of its components, the environment the sum of its resources.
        let mut sum = 0;
        for r in resources {
            let parts: i64 = r["components"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| !c["monthly"].is_null())
                .map(|c| cents(&c["monthly"]))
                .sum();
            assert_eq!(parts, cents(&r["monthly"]), "{r}");
            sum += cents(&r["monthly"]);
        }
        assert_eq!(sum, cents(&e["total"]), "{}", e["name"]);
        totals.push(sum);
    }
    assert!(totals[1] > totals[0], "prod costs more than stage: {totals:?}");
}
