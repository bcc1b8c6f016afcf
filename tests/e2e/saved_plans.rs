//! Saved plans: `plan --out` then `apply FILE` does exactly what was shown; a plan made from an older
//! state is refused.

use crate::support::World;

const CFG: &str = "variable \"name\" {\n  default = \"one\"\n}\nresource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.70.0.0/16\"\n  tags = {\n    Name = var.name\n  }\n}\n";

#[test]
fn apply_a_saved_plan_and_refuse_a_stale_one() {
    let w = World::aws();
    w.write(&[("main.tf", CFG)]);
    w.infra(&["plan", "--out", "first.tfplan", "--var", "name=saved"]).ok();
    // The saved plan is applied even if the configuration on disk changed since.
    w.write(&[("main.tf", &CFG.replace("10.70.0.0/16", "10.99.0.0/16"))]);
    let r = w.infra(&["apply", "first.tfplan"]);
    assert!(r.ok().contains("Apply complete! Resources: 1 added"), "{}", r.all());
    let st = w.state_json("default");
    let vpc = &st["resources"][0]["attributes"];
    assert_eq!(vpc["cidr_block"], "10.70.0.0/16");
    assert_eq!(vpc["tags"]["Name"], "saved");
    // Applying it again: the state has moved on.
    let r = w.infra(&["apply", "first.tfplan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
}

/// Values from every kind of variables file, and a secret.
const VARS_CFG: &str = "variable \"name\" {}\nvariable \"size\" {}\nvariable \"extra\" {\n  default = \"none\"\n}\nvariable \"token\" {\n  sensitive = true\n  default   = \"s3cr3t-token-value\"\n}\n\nresource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.71.0.0/16\"\n  tags = {\n    Name  = var.name\n    Size  = var.size\n    Extra = var.extra\n  }\n}\n\nresource \"aws_ssm_parameter\" \"token\" {\n  name  = \"/app/token\"\n  type  = \"SecureString\"\n  value = var.token\n}\n";

#[test]
fn a_saved_plan_made_with_tfvars_files_applies() {
    let w = World::aws();
    w.write(&[
        ("main.tf", VARS_CFG),
        ("terraform.tfvars", "size = \"small\"\n"),
        ("stage.tfvars", "name = \"stage-net\"\n"),
    ]);
    std::fs::write(w.path().join("extra.tfvars"), "extra = \"from-var-file\"\n").unwrap();
    w.infra(&[
        "plan",
        "--env",
        "stage",
        "--var-file",
        "extra.tfvars",
        "--out",
        "stage.tfplan",
    ])
    .ok();
    let r = w.infra(&["apply", "stage.tfplan"]);
    assert!(r.ok().contains("Apply complete! Resources: 2 added"), "{}", r.all());
    let st = w.state_json("stage");
    let vpc = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "aws_vpc.a")
        .unwrap();
    assert_eq!(vpc["attributes"]["tags"]["Name"], "stage-net");
    assert_eq!(vpc["attributes"]["tags"]["Size"], "small");
    assert_eq!(vpc["attributes"]["tags"]["Extra"], "from-var-file");
}

#[test]
fn apply_refuses_another_environment_or_variable_than_the_plans() {
    let w = World::aws();
    w.write(&[("main.tf", VARS_CFG), ("stage.tfvars", "name = \"n\"\nsize = \"s\"\n")]);
    w.infra(&["plan", "--env", "stage", "--out", "stage.tfplan"]).ok();
    let r = w.infra(&["apply", "--env", "prod", "stage.tfplan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("was made for environment \"stage\", not \"prod\""),
        "{}",
        r.stderr
    );
    let r = w.infra_env(&["apply", "stage.tfplan"], &[("INFRA_ENV", "prod")]);
    assert_eq!(r.code, 1, "INFRA_ENV counts as --env: {}", r.all());
    let r = w.infra(&["apply", "--var", "name=other", "stage.tfplan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("other values of name"), "{}", r.stderr);
    assert!(!w.state_file("stage").exists(), "nothing was applied");
    // The same environment and values are accepted.
    let r = w.infra(&["apply", "--env", "stage", "--var", "name=n", "stage.tfplan"]);
    assert!(r.ok().contains("Apply complete!"), "{}", r.all());
}

/// Renders Markdown as GitHub does (tables on) and returns the HTML.
fn html(md: &str) -> String {
    let mut opts = pulldown_cmark::Options::empty();
    opts.insert(pulldown_cmark::Options::ENABLE_TABLES);
    opts.insert(pulldown_cmark::Options::ENABLE_GFM);
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new_ext(md, opts));
    out
}

#[test]
fn show_prints_a_saved_plan_as_text_json_and_markdown() {
    let w = World::aws();
    w.write(&[
        ("main.tf", VARS_CFG),
        ("stage.tfvars", "name = \"n|pipe\"\nsize = \"s\"\n"),
    ]);
    let plan = w.infra(&[
        "plan",
        "--env",
        "stage",
        "--out",
        "stage.tfplan",
        "--markdown",
        "plan.md",
    ]);
    let printed = plan.ok().to_string();
    let shown = w.infra(&["show", "stage.tfplan"]);
    assert_eq!(shown.ok(), printed, "show prints the plan as plan printed it");
    let j: serde_json::Value = serde_json::from_str(w.infra(&["show", "--json", "stage.tfplan"]).ok()).unwrap();
    assert_eq!(j["resource_changes"].as_array().unwrap().len(), 2);
    assert!(j["cost"]["monthly_change"].is_string());
    let md = w.infra(&["show", "--markdown", "stage.tfplan"]).ok().to_string();
    assert_eq!(std::fs::read_to_string(w.path().join("plan.md")).unwrap(), md);
    assert!(md.contains("environment `stage`"), "{md}");
    assert!(md.contains("**Plan: 2 to add, 0 to change, 0 to destroy.**"), "{md}");
    assert!(md.contains("Monthly cost:"), "{md}");
    assert!(!md.contains("s3cr3t-token-value"), "no secret in the summary");
    let h = html(&md);
    // One table: a header row and one row per change, each with four cells.
    assert_eq!(h.matches("<table>").count(), 1, "{h}");
    assert_eq!(h.matches("<tr>").count(), 3, "{h}");
    assert_eq!(h.matches("<td>").count(), 8, "{h}");
    assert!(h.contains("<details>"), "the full plan is folded: {h}");
}

#[test]
fn the_summary_of_a_replacement_names_what_forces_it_and_calls_out_destruction() {
    let w = World::aws();
    let mut cfg = String::new();
    for i in 0..30 {
        cfg.push_str(&format!(
            "resource \"aws_vpc\" \"v{i}\" {{\n  cidr_block = \"10.{i}.0.0/16\"\n}}\n"
        ));
    }
    w.write(&[("main.tf", &cfg)]);
    // A long plan folds its table.
    w.infra(&["plan", "--markdown", "first.md"]).ok();
    let first = std::fs::read_to_string(w.path().join("first.md")).unwrap();
    assert!(first.contains("<details><summary>30 changes</summary>"), "{first}");
    let h = html(&first);
    assert_eq!(
        h.matches("<tr>").count(),
        31,
        "every row of the folded table renders: {h}"
    );
    w.infra(&["apply", "--auto-approve"]).ok();
    w.write(&[(
        "main.tf",
        &cfg.replace("10.3.0.0/16", "10.200.0.0/16").replacen(
            "resource \"aws_vpc\" \"v29\" {\n  cidr_block = \"10.29.0.0/16\"\n}\n",
            "",
            1,
        ),
    )]);
    let md = {
        let r = w.infra(&["plan", "--markdown", "plan.md"]);
        r.ok();
        std::fs::read_to_string(w.path().join("plan.md")).unwrap()
    };
    let caution = md.find("[!CAUTION]").expect("destruction is called out");
    let table = md.find("| | Resource | Action | Why |").expect("a table of changes");
    assert!(caution < table, "destruction comes first: {md}");
    assert!(md.contains("`aws_vpc.v29`"), "{md}");
    assert!(
        md.contains("| 🟠 | `aws_vpc.v3` | replace | `cidr_block` forces replacement |"),
        "{md}"
    );
    let h = html(&md);
    assert!(h.contains("<blockquote class=\"markdown-alert-caution\">"), "{h}");
    assert_eq!(h.matches("<table>").count(), 1, "{h}");
}

#[test]
fn an_encrypted_plan_file_needs_its_key() {
    let w = World::aws();
    w.write(&[("main.tf", VARS_CFG), ("stage.tfvars", "name = \"n\"\nsize = \"s\"\n")]);
    let pass = [("INFRA_STATE_PASSPHRASE", "plan passphrase of CI, long")];
    let r = w.infra_env(&["plan", "--env", "stage", "--out", "stage.tfplan"], &pass);
    assert!(r.stderr.contains("encrypted with key_provider.pbkdf2"), "{}", r.stderr);
    let raw = std::fs::read_to_string(w.path().join("stage.tfplan")).unwrap();
    assert!(raw.contains("encrypted_data") && !raw.contains("s3cr3t-token-value") && !raw.contains("aws_vpc"));
    let r = w.infra(&["apply", "stage.tfplan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("stage.tfplan"), "{}", r.stderr);
    assert!(r.stderr.contains("INFRA_STATE_PASSPHRASE"), "{}", r.stderr);
    let r = w.infra_env(&["apply", "stage.tfplan"], &pass);
    assert!(r.ok().contains("Apply complete!"), "{}", r.all());
    // The state written with the passphrase set is encrypted too.
    let st = std::fs::read_to_string(w.state_file("stage")).unwrap();
    assert!(st.contains("encrypted_data") && !st.contains("s3cr3t"));
}

/// A CI script written for Terraform runs unchanged: single-dash flags, `-chdir` (other paths relative
/// to it, as in Terraform), `-input=false`, a shared `.tfvars` with a variable this stack does not
/// declare (a warning), a saved plan applied exactly.
#[test]
fn a_terraform_ci_script_runs_unchanged() {
    let w = World::aws();
    w.write(&[
        ("main.tf", CFG),
        ("common.tfvars", "name = \"from-common\"\nregion_label = \"eu\"\n"),
    ]);
    let cwd = w.path();
    let r = w.infra_in(
        cwd,
        &[
            "-chdir=cfg",
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            "-var-file=common.tfvars",
            "-out=ci.tfplan",
            "-detailed-exitcode",
        ],
    );
    assert_eq!(r.code, 2, "changes present\n{}", r.all());
    assert!(r.stderr.contains("Value for undeclared variable"), "{}", r.stderr);
    assert!(r.stderr.contains("common.tfvars:2:1"), "{}", r.stderr);
    assert!(w.cfg().join("ci.tfplan").is_file(), "-out is relative to -chdir");
    // Without -auto-approve and with -input=false, apply refuses instead of asking.
    let r = w.infra_in(cwd, &["-chdir=cfg", "apply", "-input=false", "-var-file=common.tfvars"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("--input=false"), "{}", r.stderr);
    let r = w.infra_in(
        cwd,
        &["-chdir=cfg", "apply", "-input=false", "-auto-approve", "ci.tfplan"],
    );
    assert!(r.ok().contains("Apply complete! Resources: 1 added"), "{}", r.all());
    assert_eq!(
        w.state_json("default")["resources"][0]["attributes"]["tags"]["Name"],
        "from-common"
    );
    let r = w.infra_in(cwd, &["-chdir=nowhere", "plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("-chdir=nowhere"), "{}", r.stderr);
}
