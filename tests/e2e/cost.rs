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
