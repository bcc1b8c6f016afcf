//! The differential harness: the real Terraform and infra on the same configuration and the same moto.
//!
//! For each case, both tools plan the configuration on an empty moto (`terraform plan -out` +
//! `terraform show -json` beside `infra plan --json`) and the two JSON plans are compared per address:
//! the actions, `action_reason`, the replace paths and the planned values Terraform knows. Then Terraform
//! applies its plan, infra takes the stack over (`state import-terraform`) and must plan no changes, and
//! in a second round both tools plan the same edit of the variables against the applied stack (updates,
//! replacements with the attribute that forces them, module instances added and removed).
//!
//! Opt-in: `INFRA_TEST_TERRAFORM=1` on a machine with `../shared/terraform-reference/` (Terraform 1.11 and
//! the hashicorp/aws provider in a local mirror). The report (one table row per case and round, then every
//! difference) goes to stderr and to `target/differential-report.md`; the README quotes its last run.

use crate::support::{Run, World, copy_tree};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// One configuration to run both tools on.
struct Case {
    name: &'static str,
    /// The configuration directory, relative to the workspace root.
    dir: &'static str,
    /// infra's `--env` and Terraform's workspace; `ENV.tfvars` is the variables file of both.
    env: &'static str,
    /// `TF_VAR_*` for both tools.
    vars: &'static [(&'static str, &'static str)],
    /// Whether Terraform applies the stack (then infra takes it over and must plan no changes).
    apply: bool,
    /// A `.tfvars` both tools plan with in a second round, against the applied stack.
    edit: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "tests/fixtures/modular (network, database with count, service with for_each and a nested module)",
        dir: "tests/fixtures/modular",
        env: "stage",
        vars: &[],
        apply: true,
        edit: Some(include_str!("../fixtures/modular/edit.tfvars")),
    },
    Case {
        name: "tests/fixtures/ephemeral (a password through ephemeral resources into write-only arguments, modules whose for_each/count depend on a resource and a data source)",
        dir: "tests/fixtures/ephemeral",
        env: "stage",
        vars: &[],
        apply: true,
        edit: Some(include_str!("../fixtures/ephemeral/edit.tfvars")),
    },
    Case {
        name: "plans/stage-modules",
        dir: "plans/stage-modules",
        env: "stage",
        vars: &[],
        apply: true,
        edit: Some(
            "az_count = 3\nscan_images = false\nservices = {\n  api = { port = 8001, log_retention = 30 }\n  tempo = { port = 3200 }\n}\n",
        ),
    },
    Case {
        name: "plans/example",
        dir: "plans/example",
        env: "demo",
        vars: &[("TF_VAR_api_token", "differential-token")],
        apply: true,
        edit: Some("vpc_cidr = \"10.21.0.0/16\"\naz_count = 3\napi_config = { LOG_LEVEL = \"warn\" }\n"),
    },
    Case {
        name: "plans/araquem-stage",
        dir: "plans/araquem-stage",
        env: "stage",
        vars: &[
            ("TF_VAR_quality_ops_token", "differential-token"),
            ("TF_VAR_ecs_wait_for_steady_state", "false"),
            ("TF_VAR_ecs_exec_enabled", "false"),
            ("TF_VAR_api_health_check_grace_seconds", "0"),
        ],
        apply: true,
        edit: Some(ARAQUEM_EDIT),
    },
];

/// The stage grown: a larger database, longer logs, more memory for the API and a second Grafana.
const ARAQUEM_EDIT: &str = r#"
db_instance_class  = "db.t4g.small"
log_retention_days = 30
services = {
  api            = { cpu = 2048, memory = 4096, desired_count = 1 }
  redis          = { cpu = 1024, memory = 2048, desired_count = 1 }
  ollama         = { cpu = 4096, memory = 8192, desired_count = 1 }
  prometheus     = { cpu = 1024, memory = 2048, desired_count = 1 }
  grafana        = { cpu = 1024, memory = 2048, desired_count = 2 }
  tempo          = { cpu = 1024, memory = 2048, desired_count = 1 }
  otel-collector = { cpu = 512, memory = 1024, desired_count = 1 }
}
"#;

#[test]
fn terraform_and_infra_plan_the_same_changes() {
    if std::env::var("INFRA_TEST_TERRAFORM").is_err() {
        eprintln!("skipped: set INFRA_TEST_TERRAFORM=1 on a machine with ../shared/terraform-reference");
        return;
    }
    let only = std::env::var("INFRA_DIFFERENTIAL_CASE").ok();
    let mut report = Report::default();
    for case in CASES {
        if only.as_deref().is_some_and(|o| !case.dir.contains(o)) {
            continue;
        }
        run_case(case, &mut report);
    }
    let text = report.markdown();
    eprintln!("{text}");
    let out = infra_testkit::workspace_root().join("target/differential-report.md");
    let _ = std::fs::write(&out, &text);
    assert!(
        report.failures() == 0,
        "Terraform and infra disagree ({} differences); the report is above and in {}",
        report.failures(),
        out.display()
    );
}

fn run_case(case: &Case, report: &mut Report) {
    let w = World::aws();
    let src = infra_testkit::workspace_root().join(case.dir);
    let tf_dir = w.path().join("tf");
    copy_tree(&src, &tf_dir);
    copy_tree(&src, &w.cfg());
    std::fs::create_dir_all(w.path().join("state")).unwrap();
    let tf = w.terraform(tf_dir.clone(), case.vars);
    let var_file = format!("{}.tfvars", case.env);
    let tf_var_args = if src.join(&var_file).exists() {
        format!("-var-file={var_file}")
    } else {
        String::new()
    };
    tf.run("init -input=false -no-color");
    tf.run(&format!("workspace new {}", case.env));
    let infra = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--env", case.env]);
        let extra: Vec<(&str, &str)> = case.vars.to_vec();
        w.infra_env(&all, &extra)
    };

    // Round 1: both plan the stack on an empty moto.
    let tf_plan = tf.plan(&tf_var_args, "round1");
    let r = infra(&["plan", "--json"]);
    report.compare(case.name, "plan on an empty account", &tf_plan, &plan_json(&r));

    if !case.apply {
        return;
    }
    // Terraform applies; infra takes its state over and must plan nothing.
    tf.run("apply -input=false -no-color -auto-approve round1.tfplan");
    let tf_state = tf_dir
        .join("terraform.tfstate.d")
        .join(case.env)
        .join("terraform.tfstate");
    let tf_state = tf_state.to_str().unwrap();
    infra(&["state", "import-terraform", tf_state]).ok();
    let r = infra(&["plan", "--json", "--detailed-exitcode"]);
    report.takeover(case.name, r.code, &plan_json(&r));

    // Round 2: the same edit planned by both against the applied stack.
    let Some(edit) = case.edit else { return };
    std::fs::write(tf_dir.join("differential.tfvars"), edit).unwrap();
    let edit_file = w.path().join("differential.tfvars");
    std::fs::write(&edit_file, edit).unwrap();
    let tf_plan = tf.plan(&format!("{tf_var_args} -var-file=differential.tfvars"), "round2");
    let r = infra(&["plan", "--json", "--var-file", edit_file.to_str().unwrap()]);
    report.compare(case.name, "plan an edit of the applied stack", &tf_plan, &plan_json(&r));
}

/// The JSON plan of a successful `infra plan --json` (exit 0, or 2 with `--detailed-exitcode`).
fn plan_json(r: &Run) -> Json {
    assert!(r.code == 0 || r.code == 2, "infra failed\n{}", r.all());
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}", r.all()))
}

/// What one comparison found.
#[derive(Default)]
struct Round {
    case: String,
    round: String,
    addresses: usize,
    actions_agree: usize,
    replacements: usize,
    replace_paths_agree: usize,
    values_compared: usize,
    values_agree: usize,
    /// Attributes Terraform knows at plan time and infra plans as known after apply.
    later_known: Vec<String>,
    /// Attributes Terraform plans with a provider default or an SDKv2 zero value and infra leaves unset.
    not_planned: Vec<String>,
    /// Differences explained in [`KNOWN`].
    emulator: Vec<String>,
    /// Differences in actions, reasons, replace paths or values: each one fails the test.
    differences: Vec<String>,
}

impl Round {
    /// Progress on stderr while the harness runs (a case takes minutes).
    fn print(&self) {
        eprintln!(
            "== {} — {}: {} addresses, {} same actions, {} differences",
            self.case,
            self.round,
            self.addresses,
            self.actions_agree,
            self.differences.len()
        );
        for d in &self.differences {
            eprintln!("   {d}");
        }
    }
}

#[derive(Default)]
struct Report {
    rounds: Vec<Round>,
}

/// The managed resource changes of a JSON plan, by address.
fn changes(plan: &Json) -> BTreeMap<String, &Json> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rc| rc["mode"] == "managed")
        .map(|rc| (rc["address"].as_str().unwrap_or_default().to_string(), rc))
        .collect()
}

fn actions(rc: Option<&&Json>) -> String {
    match rc {
        None => "no-op (absent)".to_string(),
        Some(rc) => {
            let a: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            a.join(",")
        }
    }
}

/// The attributes an update changes.
fn changed_keys(rc: &Json) -> Vec<String> {
    let c = &rc["change"];
    let (before, after) = (&c["before"], &c["after"]);
    after
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .filter(|k| {
            any_unknown(&c["after_unknown"][k.as_str()])
                || normalize(&before[k.as_str()]) != normalize(&after[k.as_str()])
        })
        .cloned()
        .collect()
}

/// What an update changes, for the report: ` (attr: before → after, …)`.
fn changed(rc: Option<&&Json>) -> String {
    let Some(rc) = rc else { return String::new() };
    let c = &rc["change"];
    let (before, after) = (&c["before"], &c["after"]);
    let keys: BTreeSet<&String> = after.as_object().into_iter().flat_map(|o| o.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (b, a) = (normalize(&before[k.as_str()]), normalize(&after[k.as_str()]));
        if any_unknown(&c["after_unknown"][k.as_str()]) {
            if !b.is_null() {
                out.push(format!("{k}: {b} → (known after apply)"));
            }
        } else if b != a {
            out.push(format!("{k}: {b} → {a}"));
        }
    }
    if out.is_empty() {
        String::new()
    } else {
        format!(" ({})", out.join("; "))
    }
}

fn replace_paths(rc: &Json) -> BTreeSet<String> {
    rc["change"]["replace_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            p.as_array()
                .into_iter()
                .flatten()
                .map(|s| match s {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

/// Whether any part of an `after_unknown` mask is `true`.
fn any_unknown(mask: &Json) -> bool {
    match mask {
        Json::Bool(b) => *b,
        Json::Array(a) => a.iter().any(any_unknown),
        Json::Object(o) => o.values().any(any_unknown),
        _ => false,
    }
}

/// A value with empty collections and nulls taken out (Terraform writes an unset block as `[]`, an unset
/// attribute as `null`), zero values inside nested blocks taken out too (an SDKv2 provider cannot tell
/// `""`, `0` or `false` from unset there), numbers as floats, and arrays sorted (Terraform orders a set
/// by its own hash; the lists these plans compare hold JSON documents or scalars compared as sets).
fn normalize(v: &Json) -> Json {
    normalize_in(v, false)
}

fn normalize_in(v: &Json, in_block: bool) -> Json {
    match v {
        Json::Object(o) => {
            let m: serde_json::Map<String, Json> = o
                .iter()
                .map(|(k, v)| (k.clone(), normalize_in(v, in_block)))
                .filter(|(_, v)| !(v.is_null() || in_block && is_zero(v)))
                .collect();
            if m.is_empty() { Json::Null } else { Json::Object(m) }
        }
        Json::Array(a) => {
            let mut items: Vec<Json> = a
                .iter()
                .map(|i| normalize_in(i, true))
                .filter(|v| !v.is_null())
                .collect();
            if items.is_empty() {
                return Json::Null;
            }
            items.sort_by_key(|i| i.to_string());
            Json::Array(items)
        }
        Json::Number(n) => n.as_f64().map(Json::from).unwrap_or(Json::Null),
        Json::String(s) => {
            // Terraform plans JSON-valued attributes as the provider normalized them.
            match serde_json::from_str::<Json>(s) {
                Ok(j @ (Json::Object(_) | Json::Array(_))) => normalize_in(&j, in_block),
                _ => v.clone(),
            }
        }
        other => other.clone(),
    }
}

impl Report {
    fn compare(&mut self, case: &str, round: &str, tf: &Json, infra: &Json) {
        let mut r = Round {
            case: case.to_string(),
            round: round.to_string(),
            ..Round::default()
        };
        let tf_changes = changes(tf);
        let infra_changes = changes(infra);
        let addresses: BTreeSet<&String> = tf_changes.keys().chain(infra_changes.keys()).collect();
        r.addresses = addresses.len();
        for addr in addresses {
            let (t, i) = (tf_changes.get(addr), infra_changes.get(addr));
            let (ta, ia) = (actions(t), actions(i));
            let same = ta == ia || (ta == "no-op" && ia == "no-op (absent)");
            if !same
                && ta == "update"
                && ia.starts_with("no-op")
                && t.is_some_and(|t| {
                    let keys = changed_keys(t);
                    !keys.is_empty() && keys.iter().all(|k| known(&t["type"], k).is_some())
                })
            {
                let t = t.unwrap();
                r.actions_agree += 1;
                for k in changed_keys(t) {
                    let why = known(&t["type"], &k).unwrap_or_default();
                    r.emulator
                        .push(format!("{addr}: Terraform plans an update of {k}, infra none ({why})"));
                }
                continue;
            }
            if !same {
                r.differences.push(format!(
                    "{addr}: Terraform plans {ta}{}, infra plans {ia}{}",
                    changed(t),
                    changed(i)
                ));
                continue;
            }
            r.actions_agree += 1;
            let (Some(t), Some(i)) = (t, i) else { continue };
            let (tr, ir) = (&t["action_reason"], &i["action_reason"]);
            if !tr.is_null() && tr != ir {
                r.differences.push(format!(
                    "{addr}: action_reason {tr} in Terraform's plan, {ir} in infra's"
                ));
            }
            if ta.contains("delete") && ta.contains("create") {
                r.replacements += 1;
                let (tp, ip) = (replace_paths(t), replace_paths(i));
                if tp == ip {
                    r.replace_paths_agree += 1;
                } else {
                    r.differences.push(format!(
                        "{addr}: replaced because of {tp:?} in Terraform's plan, {ip:?} in infra's"
                    ));
                }
            }
            if ta.contains("create") || ta.contains("update") {
                compare_values(addr, t, i, &mut r);
            }
        }
        r.print();
        self.rounds.push(r);
    }

    fn takeover(&mut self, case: &str, code: i32, plan: &Json) {
        let mut r = Round {
            case: case.to_string(),
            round: "infra plan after state import-terraform".to_string(),
            ..Round::default()
        };
        let c = changes(plan);
        r.addresses = c.len();
        for (addr, rc) in &c {
            let a = actions(Some(rc));
            if a == "no-op" {
                r.actions_agree += 1;
            } else {
                r.differences.push(format!(
                    "{addr}: infra plans {a}{} on the stack Terraform applied",
                    changed(Some(rc))
                ));
            }
        }
        if code != 0 && r.differences.is_empty() {
            r.differences
                .push(format!("infra plan --detailed-exitcode exited {code} (0: no changes)"));
        }
        r.print();
        self.rounds.push(r);
    }

    fn failures(&self) -> usize {
        self.rounds.iter().map(|r| r.differences.len()).sum()
    }

    fn markdown(&self) -> String {
        let mut s = String::from(
            "| case | round | addresses | same actions | replacements with the same replace paths | planned values equal | known later in infra | defaults and zero values infra leaves unset | known differences | differences |\n|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rounds {
            s += &format!(
                "| {} | {} | {} | {} | {}/{} | {}/{} | {} | {} | {} | {} |\n",
                r.case,
                r.round,
                r.addresses,
                r.actions_agree,
                r.replace_paths_agree,
                r.replacements,
                r.values_agree,
                r.values_compared,
                r.later_known.len(),
                r.not_planned.len(),
                r.emulator.len(),
                r.differences.len()
            );
        }
        for r in &self.rounds {
            let lists = [
                ("Differences", &r.differences),
                ("Known differences, explained", &r.emulator),
                ("Known at plan time in Terraform, after apply in infra", &r.later_known),
                (
                    "Provider defaults in Terraform's plan that infra's leaves out",
                    &r.not_planned,
                ),
            ];
            for (title, items) in lists {
                if items.is_empty() {
                    continue;
                }
                s += &format!("\n{title} — {}, {}:\n", r.case, r.round);
                for d in items {
                    s += &format!("- {d}\n");
                }
            }
        }
        s
    }
}

/// Known differences, each explained, each still listed in the report: (type, attribute, why).
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "aws_cloudwatch_log_group",
        "log_group_class",
        "moto's CreateLogGroup answers no logGroupClass, so Terraform's state holds \"\"; AWS answers STANDARD, infra's default",
    ),
    (
        "aws_ecs_service",
        "availability_zone_rebalancing",
        "moto's DescribeServices answers no availabilityZoneRebalancing, so Terraform plans its default DISABLED on every plan against moto",
    ),
    (
        "aws_db_instance",
        "master_user_secret_kms_key_id",
        "Terraform's provider never reads it back (its plan keeps null); infra reads the key of the managed secret from DescribeDBInstances",
    ),
];

fn known(type_name: &Json, attr: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(t, a, _)| *a == attr && type_name == *t)
        .map(|(_, _, why)| *why)
}

/// `""`, `0` or `false`: what Terraform's SDKv2 providers store for an attribute left unset.
fn is_zero(v: &Json) -> bool {
    matches!(v, Json::String(s) if s.is_empty()) || v.as_f64() == Some(0.0) || *v == Json::Bool(false)
}

/// Compares the planned values, attribute by attribute: where Terraform knows a value (and it is not
/// sensitive), infra must plan the same one.
fn compare_values(addr: &str, t: &Json, i: &Json, r: &mut Round) {
    let (t_after, t_unknown, t_sensitive) = (
        &t["change"]["after"],
        &t["change"]["after_unknown"],
        &t["change"]["after_sensitive"],
    );
    let (i_after, i_unknown) = (&i["change"]["after"], &i["change"]["after_unknown"]);
    let keys: BTreeSet<&String> = t_after
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .chain(i_after.as_object().into_iter().flat_map(|o| o.keys()))
        .collect();
    for k in keys {
        if any_unknown(&t_sensitive[k.as_str()]) || t_sensitive[k.as_str()] == Json::Bool(true) {
            continue;
        }
        let t_unk = any_unknown(&t_unknown[k.as_str()]);
        let i_unk = any_unknown(&i_unknown[k.as_str()]);
        let tv = normalize(&t_after[k.as_str()]);
        let iv = normalize(&i_after[k.as_str()]);
        if t_unk {
            if !i_unk && !iv.is_null() {
                // infra claims a value Terraform cannot know yet.
                r.values_compared += 1;
                r.differences.push(format!(
                    "{addr}.{k}: (known after apply) in Terraform's plan, {iv} in infra's"
                ));
            }
            continue;
        }
        if i_unk {
            if !tv.is_null() {
                r.later_known.push(format!("{addr}.{k} = {tv}"));
            }
            continue;
        }
        if tv.is_null() && iv.is_null() {
            continue;
        }
        if iv.is_null() && (i_after.get(k.as_str()).is_none() || is_zero(&tv)) {
            // A provider default infra's plan does not show, or the zero value Terraform's SDKv2
            // provider stores for an unset attribute ("", 0, false), which infra leaves null.
            r.not_planned.push(format!("{addr}.{k} = {tv}"));
            continue;
        }
        r.values_compared += 1;
        if tv == iv {
            r.values_agree += 1;
        } else if let Some(why) = known(&t["type"], k) {
            r.values_agree += 1;
            r.emulator
                .push(format!("{addr}.{k}: {tv} in Terraform's plan, {iv} in infra's ({why})"));
        } else {
            r.differences
                .push(format!("{addr}.{k}: {tv} in Terraform's plan, {iv} in infra's"));
        }
    }
}
