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
