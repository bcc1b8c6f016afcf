//! Bad input, one case each: exit 1, a message naming the file and line (or the state path), no API call,
//! and the state file unchanged byte for byte.

use crate::support::{World, api_calls};

const STATE: &str = r#"{
  "format_version": 1,
  "serial": 7,
  "lineage": "5d3c2a9e-0000-4000-8000-000000000001",
  "outputs": {},
  "resources": []
}
"#;

fn check(files: &[(&str, &str)], args: &[&str], expect: &[&str]) {
    let w = World::offline();
    w.write(files);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, STATE).unwrap();
    let before = std::fs::read(&state).unwrap();
    let r = w.infra_env(args, &[("INFRA_LOG", "infra::api=debug")]);
    assert_eq!(r.code, 1, "expected exit 1\n{}", r.all());
    for e in expect {
        assert!(r.stderr.contains(e), "expected {e:?} in stderr:\n{}", r.stderr);
    }
    assert_eq!(api_calls(&r.stderr), 0, "no API call may be made:\n{}", r.stderr);
    assert_eq!(std::fs::read(&state).unwrap(), before, "the state file must not change");
    assert!(!state.with_extension("json.lock").exists(), "the lock must be released");
}

#[test]
fn malformed_hcl() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags = {\n}\n",
        )],
        &["plan"],
        &["Unclosed configuration block", "main.tf:4:"],
    );
}

#[test]
fn unknown_resource_type() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vcp\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
        )],
        &["plan"],
        &[
            "Invalid resource type",
            "main.tf:1:1",
            "aws_vcp",
            "Did you mean \"aws_vpc\"",
        ],
    );
}

#[test]
fn unknown_argument() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_blok = \"10.0.0.0/16\"\n}\n",
        )],
        &["plan"],
        &["Unsupported argument", "main.tf:2:3", "cidr_blok"],
    );
}

#[test]
fn wrong_type() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block         = \"10.0.0.0/16\"\n  enable_dns_support = \"maybe\"\n}\n",
        )],
        &["plan"],
        &["Incorrect attribute value type", "main.tf:3:24"],
    );
}

#[test]
fn undeclared_variable() {
    check(
        &[("main.tf", "resource \"aws_vpc\" \"a\" {\n  cidr_block = var.cidr\n}\n")],
        &["plan"],
        &["Reference to undeclared input variable", "main.tf:2:16"],
    );
}

#[test]
fn missing_required_variable() {
    check(
        &[
            ("variables.tf", "variable \"cidr\" {\n  type = string\n}\n"),
            ("main.tf", "resource \"aws_vpc\" \"a\" {\n  cidr_block = var.cidr\n}\n"),
        ],
        &["plan"],
        &["No value for required variable", "variables.tf:1:"],
    );
}

#[test]
fn reference_cycle() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block = aws_subnet.b.cidr_block\n}\nresource \"aws_subnet\" \"b\" {\n  vpc_id     = aws_vpc.a.id\n  cidr_block = \"10.0.0.0/24\"\n}\n",
        )],
        &["plan"],
        &["Cycle in references", "aws_vpc.a", "aws_subnet.b", "main.tf:"],
    );
}

#[test]
fn corrupted_state() {
    let w = World::offline();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )]);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(
        &state,
        "{\"format_version\": 1, \"serial\": 3, \"lineage\": \"x\", \"resources\": [ {",
    )
    .unwrap();
    let before = std::fs::read(&state).unwrap();
    let r = w.infra_env(&["plan"], &[("INFRA_LOG", "infra::api=debug")]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("state/cfg/default.tfstate.json is not valid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("line 1"), "{}", r.stderr);
    assert_eq!(api_calls(&r.stderr), 0);
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn state_of_a_newer_version() {
    let w = World::offline();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )]);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, STATE.replace("\"format_version\": 1", "\"format_version\": 2")).unwrap();
    let before = std::fs::read(&state).unwrap();
    let r = w.infra(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("state/cfg/default.tfstate.json was written by a newer version of infra"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn bad_flags_exit_1() {
    let w = World::offline();
    w.write(&[("main.tf", "")]);
    let r = w.infra(&["plan", "--no-such-flag"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let r = w.infra(&["plan", "--target", "not an address"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("invalid --target"), "{}", r.stderr);
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let w = World::offline();
    w.write(&[("main.tf", "output \"x\" {\n  value = 1\n}\n")]);
    let r = w.infra(&["apply"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
}
