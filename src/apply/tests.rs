//! Plan + apply against the in-memory provider: ordering, durability, adoption, failures, parallelism.

use super::*;
use crate::config::Config;
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::{Action, Reason};
use crate::testing::FakeProvider;
use infra_provider::Provider;

struct World {
    dir: tempfile::TempDir,
    fake: Arc<FakeProvider>,
    providers: ProviderSet,
    store: Arc<StateStore>,
    state_path: std::path::PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeProvider::new();
        let providers = ProviderSet::new(vec![fake.clone()]);
        let state_path = dir.path().join("state/default.tfstate.json");
        let store = Arc::new(StateStore::local(&state_path));
        World {
            dir,
            fake,
            providers,
            store,
            state_path,
        }
    }

    fn config(&self, text: &str) -> Arc<Config> {
        let cfg_dir = self.dir.path().join("cfg");
        std::fs::create_dir_all(&cfg_dir).unwrap();
        for e in std::fs::read_dir(&cfg_dir).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        std::fs::write(cfg_dir.join("main.tf"), text).unwrap();
        let (cfg, d) = Config::load(&cfg_dir);
        assert!(!d.has_errors(), "{d:?}");
        Arc::new(cfg)
    }

    fn state(&self) -> State {
        match std::fs::read_to_string(&self.state_path) {
            Ok(t) => crate::state::file::decode(&t, "state").unwrap(),
            Err(_) => State::default(),
        }
    }

    async fn plan_with(&self, text: &str, opts: PlanOptions) -> (Arc<Config>, Result<Plan, Diagnostics>) {
        let cfg = self.config(text);
        let (p, d) = plan(
            cfg.clone(),
            &self.providers,
            self.state(),
            BTreeMap::new(),
            "default",
            &opts,
        )
        .await;
        (cfg, p.ok_or(d))
    }

    async fn plan(&self, text: &str) -> Plan {
        self.plan_with(text, PlanOptions::default())
            .await
            .1
            .expect("plan succeeds")
    }

    async fn apply_with(
        &self,
        text: &str,
        opts: PlanOptions,
        parallelism: impl Into<Option<usize>>,
    ) -> (Plan, Outcome) {
        let (cfg, p) = self.plan_with(text, opts).await;
        let p = p.expect("plan succeeds");
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let aopts = ApplyOptions {
            parallelism: parallelism.into(),
            progress_interval: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(10),
            cancel: rx,
        };
        let (_, outcome) = apply(
            p.clone(),
            cfg,
            &self.providers,
            self.store.clone(),
            aopts,
            Arc::new(Quiet),
        )
        .await
        .expect("apply runs");
        (p, outcome)
    }

    async fn apply(&self, text: &str) -> Outcome {
        let (_, o) = self.apply_with(text, PlanOptions::default(), 10).await;
        assert!(o.ok(), "{o:?}");
        o
    }
}

fn actions(p: &Plan) -> Vec<(String, Action)> {
    p.changes
        .iter()
        .filter(|c| !c.is_noop())
        .map(|c| (c.addr.to_string(), c.action))
        .collect()
}

const NET: &str = r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  name       = "main"
}
resource "fake_subnet" "private" {
  count      = 2
  network_id = fake_network.main.id
  cidr_block = cidrsubnet_like(count.index)
}
output "subnet_ids" { value = fake_subnet.private[*].id }
"#;

fn net(cidr: &str, name: &str) -> String {
    NET.replace("10.0.0.0/16", cidr)
        .replace("\"main\"\n}", &format!("\"{name}\"\n}}"))
        .replace("cidrsubnet_like(count.index)", "\"10.0.${count.index}.0/24\"")
}

#[tokio::test]
async fn lifecycle_create_noop_update_replace_destroy() {
    let w = World::new();
    let p = w.plan(&net("10.0.0.0/16", "main")).await;
    assert_eq!(p.summary().add, 3);
    // Unknown IDs flow into dependents.
    let sub = p
        .changes
        .iter()
        .find(|c| c.addr.to_string() == "fake_subnet.private[0]")
        .unwrap();
    assert!(sub.after.as_ref().unwrap().get("network_id").unwrap().is_unknown());
    let o = w.apply(&net("10.0.0.0/16", "main")).await;
    assert_eq!(o.added, 3);
    let st = w.state();
    assert_eq!(st.resources.len(), 3);
    let net_id = st.resources[&"fake_network.main".parse().unwrap()]
        .id()
        .unwrap()
        .to_string();
    assert_eq!(
        st.resources[&"fake_subnet.private[1]".parse().unwrap()]
            .value
            .get_str("network_id"),
        Some(net_id.as_str())
    );
    assert_eq!(st.outputs["subnet_ids"].value.as_list().unwrap().len(), 2);
    // Ownership tags are on the cloud object.
    let cloud_tags = w.fake.cloud.objects.lock().unwrap()[&net_id].get_string_map("cloud_tags");
    assert_eq!(
        cloud_tags.get("infra:address").map(String::as_str),
        Some("fake_network.main")
    );
    assert_eq!(cloud_tags.get("infra:lineage"), Some(&st.lineage));

    // No changes.
    let p = w.plan(&net("10.0.0.0/16", "main")).await;
    assert!(!p.has_changes(), "{:?}", actions(&p));

    // In-place update.
    let p = w.plan(&net("10.0.0.0/16", "renamed")).await;
    assert_eq!(actions(&p), vec![("fake_network.main".to_string(), Action::Update)]);
    w.apply(&net("10.0.0.0/16", "renamed")).await;
    assert_eq!(w.fake.cloud.get(&net_id).unwrap().get_str("name"), Some("renamed"));

    // Replacement names the attribute; dependents with force_new references are replaced too.
    let p = w.plan(&net("10.1.0.0/16", "renamed")).await;
    let c = p.change(&"fake_network.main".parse().unwrap()).unwrap();
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.replace_paths, vec![infra_provider::Path::attr("cidr_block")]);
    for i in 0..2 {
        let s = p.change(&format!("fake_subnet.private[{i}]").parse().unwrap()).unwrap();
        assert_eq!(s.action, Action::Replace);
        assert_eq!(s.replace_paths, vec![infra_provider::Path::attr("network_id")]);
    }
    let o = w.apply(&net("10.1.0.0/16", "renamed")).await;
    assert_eq!((o.added, o.destroyed), (3, 3));
    assert_eq!(w.fake.cloud.count("net-"), 1);
    assert_eq!(w.fake.cloud.count("subnet-"), 2);

    // Destroy: subnets go before the network (the fake refuses the reverse).
    let (_, o) = w
        .apply_with(
            &net("10.1.0.0/16", "renamed"),
            PlanOptions {
                mode: PlanMode::Destroy,
                ..Default::default()
            },
            10,
        )
        .await;
    assert!(o.ok(), "{o:?}");
    assert_eq!(o.destroyed, 3);
    assert!(w.fake.cloud.objects.lock().unwrap().is_empty());
    assert!(w.state().resources.is_empty());
    assert!(w.state().outputs.is_empty());
}

#[tokio::test]
async fn count_decrease_deletes_the_extra_instances() {
    let w = World::new();
    w.apply(&net("10.0.0.0/16", "main")).await;
    let fewer = net("10.0.0.0/16", "main").replace("count      = 2", "count      = 1");
    let p = w.plan(&fewer).await;
    let c = p.change(&"fake_subnet.private[1]".parse().unwrap()).unwrap();
    assert_eq!(
        (c.action, c.reason.clone()),
        (Action::Delete, Some(Reason::NoInstanceKey))
    );
    w.apply(&fewer).await;
    assert_eq!(w.fake.cloud.count("subnet-"), 1);
}

#[tokio::test]
async fn a_failure_stops_dependents_and_keeps_every_success() {
    let w = World::new();
    let cfg = r#"
resource "fake_network" "bad" {
  cidr_block = "10.0.0.0/16"
  name       = "fail"
}
resource "fake_subnet" "needs_bad" {
  network_id = fake_network.bad.id
  cidr_block = "10.0.1.0/24"
}
resource "fake_network" "good" { cidr_block = "10.9.0.0/16" }
"#;
    let (_, o) = w.apply_with(cfg, PlanOptions::default(), 10).await;
    assert!(!o.ok());
    assert_eq!(o.errors.len(), 1);
    assert_eq!(o.errors[0].0, "fake_network.bad");
    assert!(o.errors[0].1.contains("InvalidName"), "{:?}", o.errors);
    assert_eq!(o.skipped, vec!["fake_subnet.needs_bad".to_string()]);
    let st = w.state();
    assert!(st.resources.contains_key(&"fake_network.good".parse().unwrap()));
    // The refused create left no intent behind.
    assert!(!st.resources.contains_key(&"fake_network.bad".parse().unwrap()));
}

#[tokio::test]
async fn an_interrupted_create_is_adopted_not_duplicated() {
    let w = World::new();
    let cfg = r#"resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }"#;
    // Simulate a process killed after the cloud created the object but before state recorded it:
    // the intent is in state, the object exists with its ownership tags.
    let mut st = State::new();
    let addr: InstanceAddr = "fake_network.main".parse().unwrap();
    let mut inst = ResourceInstance::ready(
        crate::addrs::ProviderKey::default_for("fake"),
        Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    );
    inst.status = InstanceStatus::Creating {
        token: "t1".into(),
        started: "now".into(),
    };
    st.resources.insert(addr.clone(), inst);
    w.store.persist(&mut st).await.unwrap();
    let ctx = OpContext::new("fake_network.main", st.lineage.clone(), "t1", Duration::from_secs(1));
    let client = w.fake.configure(&Value::empty_map()).await.unwrap();
    let made = client
        .create(
            &ctx,
            "fake_network",
            &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
        )
        .await
        .unwrap();
    let p = w.plan(cfg).await;
    assert!(!p.has_changes(), "{:?}", actions(&p));
    assert!(p.notes.iter().any(|n| n.message.contains("adopted")), "{:?}", p.notes);
    w.apply(cfg).await;
    assert_eq!(w.fake.cloud.count("net-"), 1);
    assert_eq!(w.state().resources[&addr].id(), made.get_str("id"));
    assert_eq!(w.state().resources[&addr].status, InstanceStatus::Ready);
}

#[tokio::test]
async fn an_intent_with_nothing_behind_it_is_created() {
    let w = World::new();
    let cfg = r#"resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }"#;
    let mut st = State::new();
    let mut inst = ResourceInstance::ready(
        crate::addrs::ProviderKey::default_for("fake"),
        Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    );
    inst.status = InstanceStatus::Creating {
        token: "t1".into(),
        started: "now".into(),
    };
    st.resources.insert("fake_network.main".parse().unwrap(), inst);
    w.store.persist(&mut st).await.unwrap();
    let p = w.plan(cfg).await;
    assert_eq!(actions(&p), vec![("fake_network.main".to_string(), Action::Create)]);
    w.apply(cfg).await;
    assert_eq!(w.fake.cloud.count("net-"), 1);
}

#[tokio::test]
async fn out_of_band_changes_show_as_drift_and_deletions_are_recreated() {
    let w = World::new();
    let cfg = net("10.0.0.0/16", "main");
    w.apply(&cfg).await;
    let st = w.state();
    let net_id = st.resources[&"fake_network.main".parse().unwrap()]
        .id()
        .unwrap()
        .to_string();
    let sub_id = st.resources[&"fake_subnet.private[1]".parse().unwrap()]
        .id()
        .unwrap()
        .to_string();
    w.fake.cloud.tamper(&net_id, "name", Value::from("hacked"));
    w.fake.cloud.remove(&sub_id);
    let p = w.plan(&cfg).await;
    assert_eq!(p.drift.len(), 2);
    let c = p.change(&"fake_subnet.private[1]".parse().unwrap()).unwrap();
    assert_eq!(
        (c.action, c.reason.clone()),
        (Action::Create, Some(Reason::GoneInCloud))
    );
    assert_eq!(
        p.change(&"fake_network.main".parse().unwrap()).unwrap().action,
        Action::Update
    );
    // Refresh is batched: one read call per type.
    assert_eq!(w.fake.cloud.read_calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    w.apply(&cfg).await;
    assert_eq!(w.fake.cloud.count("subnet-"), 2);
    assert_eq!(w.fake.cloud.get(&net_id).unwrap().get_str("name"), Some("main"));
}

#[tokio::test]
async fn refresh_false_trusts_state() {
    let w = World::new();
    let cfg = net("10.0.0.0/16", "main");
    w.apply(&cfg).await;
    let before = w.fake.cloud.reads.load(std::sync::atomic::Ordering::SeqCst);
    let (_, p) = w
        .plan_with(
            &cfg,
            PlanOptions {
                refresh: false,
                ..Default::default()
            },
        )
        .await;
    assert!(!p.unwrap().has_changes());
    assert_eq!(w.fake.cloud.reads.load(std::sync::atomic::Ordering::SeqCst), before);
}

#[tokio::test]
async fn waiting_operations_give_their_slot_back() {
    let w = World::new();
    let cfg = r#"
resource "fake_waiter" "a" { polls = 5 }
resource "fake_waiter" "b" { polls = 5 }
resource "fake_waiter" "c" { polls = 5 }
"#;
    let (_, o) = w.apply_with(cfg, PlanOptions::default(), 1).await;
    assert!(o.ok(), "{o:?}");
    assert_eq!(w.fake.cloud.count("waiter-"), 3);
    // With one slot, the three waits still overlapped.
    assert_eq!(w.fake.cloud.max_in_flight.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn without_a_fixed_parallelism_every_ready_operation_starts_and_with_one_it_bounds() {
    let cfg = r#"resource "fake_network" "n" {
  count      = 40
  cidr_block = "10.${count.index}.0.0/16"
}
"#;
    for (parallelism, expected) in [(None, 40), (Some(10), 10)] {
        let w = World::new();
        *w.fake.cloud.create_latency.lock().unwrap() = Duration::from_millis(200);
        let (_, o) = w.apply_with(cfg, PlanOptions::default(), parallelism).await;
        assert!(o.ok(), "{o:?}");
        assert_eq!(
            w.fake.cloud.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
            expected,
            "--parallelism {parallelism:?}"
        );
    }
}

#[tokio::test]
async fn targets_limit_the_plan_to_a_resource_and_its_dependencies() {
    let w = World::new();
    let cfg = format!(
        "{}\nresource \"fake_network\" \"other\" {{ cidr_block = \"10.5.0.0/16\" }}\n",
        net("10.0.0.0/16", "main")
    );
    let (_, p) = w
        .plan_with(
            &cfg,
            PlanOptions {
                targets: vec!["fake_subnet.private[0]".parse().unwrap()],
                ..Default::default()
            },
        )
        .await;
    let p = p.unwrap();
    let mut got: Vec<String> = actions(&p).into_iter().map(|(a, _)| a).collect();
    got.sort();
    assert_eq!(got, vec!["fake_network.main", "fake_subnet.private[0]"]);
}

#[tokio::test]
async fn two_targets_on_instances_of_one_resource_select_both() {
    let w = World::new();
    let (_, p) = w
        .plan_with(
            &net("10.0.0.0/16", "main"),
            PlanOptions {
                targets: vec![
                    "fake_subnet.private[0]".parse().unwrap(),
                    "fake_subnet.private[1]".parse().unwrap(),
                ],
                ..Default::default()
            },
        )
        .await;
    let mut got: Vec<String> = actions(&p.unwrap()).into_iter().map(|(a, _)| a).collect();
    got.sort();
    assert_eq!(
        got,
        vec!["fake_network.main", "fake_subnet.private[0]", "fake_subnet.private[1]"]
    );
}

#[tokio::test]
async fn replace_flag_and_create_before_destroy() {
    let w = World::new();
    let cfg = r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  lifecycle { create_before_destroy = true }
}
"#;
    w.apply(cfg).await;
    let old = w.state().resources[&"fake_network.main".parse().unwrap()]
        .id()
        .unwrap()
        .to_string();
    let (p, o) = w
        .apply_with(
            cfg,
            PlanOptions {
                replace: vec!["fake_network.main".parse().unwrap()],
                ..Default::default()
            },
            10,
        )
        .await;
    assert!(o.ok(), "{o:?}");
    let c = p.change(&"fake_network.main".parse().unwrap()).unwrap();
    assert_eq!(
        (c.action, c.create_before_destroy, c.reason.clone()),
        (Action::Replace, true, Some(Reason::ReplaceRequested))
    );
    let st = w.state();
    let inst = &st.resources[&"fake_network.main".parse().unwrap()];
    assert_ne!(inst.id().unwrap(), old);
    assert!(inst.deposed.is_empty());
    assert!(w.fake.cloud.get(&old).is_none());
}

#[tokio::test]
async fn sensitive_values_are_marked_in_plans_and_outputs_must_say_so() {
    let w = World::new();
    let cfg = r#"
variable "token" {
  default   = "s3cr3t-value"
  sensitive = true
}
resource "fake_secret" "t" {
  name  = "token"
  value = var.token
}
output "arn" { value = fake_secret.t.arn }
"#;
    let p = w.plan(cfg).await;
    let c = p.change(&"fake_secret.t".parse().unwrap()).unwrap();
    assert!(c.after_sensitive.contains(&infra_provider::Path::attr("value")));
    let text = crate::plan::render::render_plan(&p, &w.providers, crate::plan::render::Style { color: false });
    assert!(!text.contains("s3cr3t-value"), "{text}");
    assert!(text.contains("(sensitive value)"), "{text}");
    let json = crate::plan::json::plan_json(&p, &w.providers).to_string();
    assert!(!json.contains("s3cr3t-value"), "{json}");
    // An output of a sensitive attribute must be marked sensitive.
    let leak = format!("{cfg}\noutput \"v\" {{ value = fake_secret.t.value }}\n");
    let (_, r) = w.plan_with(&leak, PlanOptions::default()).await;
    let d = r.expect_err("an error");
    assert!(
        d.errors().any(|e| e.summary == "Output refers to sensitive values"),
        "{d:?}"
    );
}

#[tokio::test]
async fn unknown_count_is_an_error_naming_the_resource() {
    let w = World::new();
    let cfg = r#"
resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }
resource "fake_subnet" "s" {
  count      = length(fake_network.main.id)
  network_id = fake_network.main.id
  cidr_block = "10.0.0.0/24"
}
"#;
    let (_, r) = w.plan_with(cfg, PlanOptions::default()).await;
    let d = r.expect_err("an error");
    let e = d.errors().next().unwrap();
    assert_eq!(e.summary, "Invalid count argument");
    assert!(e.detail.contains("fake_subnet.s"), "{}", e.detail);
}

#[tokio::test]
async fn a_set_of_values_known_only_after_apply_keeps_every_element_and_an_unknown_length() {
    let w = World::new();
    let base = r#"
resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }
resource "fake_subnet" "s" {
  count      = 3
  network_id = fake_network.main.id
  cidr_block = "10.0.${count.index}.0/24"
}
"#;
    // Three unknown IDs do not collapse into one: the set keeps three elements, whose length is unknown.
    let outputs = format!(
        r#"{base}output "ids" {{ value = toset(fake_subnet.s[*].id) }}
output "n" {{ value = length(toset(fake_subnet.s[*].id)) }}
output "listed" {{ value = length(fake_subnet.s[*].id) }}
"#
    );
    let (_, r) = w.plan_with(&outputs, PlanOptions::default()).await;
    let p = r.expect("a plan");
    let out = |n: &str| p.outputs.iter().find(|o| o.name == n).and_then(|o| o.after.clone());
    assert_eq!(
        out("ids"),
        Some(Value::Set(vec![Value::Unknown, Value::Unknown, Value::Unknown]))
    );
    assert_eq!(out("n"), Some(Value::Unknown));
    assert_eq!(out("listed"), Some(Value::int(3)), "a list's length is known");
    // A count from it is Terraform's "Invalid count argument", not one instance.
    let counted = format!(
        r#"{base}resource "fake_subnet" "per" {{
  count      = length(toset(fake_subnet.s[*].id))
  network_id = fake_network.main.id
  cidr_block = "10.1.0.0/24"
}}
"#
    );
    let (_, r) = w.plan_with(&counted, PlanOptions::default()).await;
    let d = r.expect_err("an error");
    assert!(d.errors().any(|e| e.summary == "Invalid count argument"), "{d:?}");
}

#[tokio::test]
async fn a_sensitive_count_plans_its_instances_as_terraform_does() {
    let w = World::new();
    let cfg = r#"
variable "n" {
  type      = number
  default   = 2
  sensitive = true
}
resource "fake_network" "n" {
  count      = var.n
  cidr_block = "10.0.${count.index}.0/24"
}
"#;
    let p = w.plan(cfg).await;
    assert_eq!(p.summary().add, 2);
}

#[tokio::test]
async fn validate_names_a_reference_to_an_attribute_the_type_does_not_have() {
    let w = World::new();
    let cfg = w.config(
        r#"
resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }
resource "fake_subnet" "s" {
  count      = 2
  network_id = fake_network.main.idd
  cidr_block = "10.0.${count.index}.0/24"
}
output "arns" { value = fake_subnet.s[*].arnn }
output "ok" { value = [fake_network.main.arn, fake_subnet.s[0].zone, fake_network.main.tags] }
"#,
    );
    {
        let d = crate::validate::validate(cfg.clone(), &w.providers, false);
        let errs: Vec<String> = d
            .errors()
            .map(|e| format!("{} {}", cfg.sources.location(e.span.unwrap()), e.detail))
            .collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].contains(":5:") && errs[0].contains("\"idd\"") && errs[0].contains("Did you mean \"id\"?"),
            "{errs:?}"
        );
        assert!(errs[1].contains(":8:") && errs[1].contains("\"arnn\""), "{errs:?}");
    }
}

#[tokio::test]
async fn for_each_and_data_sources() {
    let w = World::new();
    let cfg = r#"
data "fake_zones" "z" { region = "r1" }
resource "fake_subnet" "az" {
  for_each   = toset(data.fake_zones.z.names)
  network_id = fake_network.main.id
  cidr_block = "10.0.0.0/24"
  zone       = each.key
  name       = "subnet-${each.value}"
}
resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }
"#;
    w.apply(cfg).await;
    let st = w.state();
    assert_eq!(
        st.resources[&"fake_subnet.az[\"r1a\"]".parse().unwrap()]
            .value
            .get_str("name"),
        Some("subnet-r1a")
    );
    assert!(st.resources.contains_key(&"data.fake_zones.z".parse().unwrap()));
    assert!(!w.plan(cfg).await.has_changes());
}

#[tokio::test]
async fn prevent_destroy_blocks_deletion() {
    let w = World::new();
    let cfg = r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  lifecycle { prevent_destroy = true }
}
"#;
    w.apply(cfg).await;
    let (_, r) = w
        .plan_with(&cfg.replace("10.0.0.0", "10.1.0.0"), PlanOptions::default())
        .await;
    assert!(
        r.err()
            .unwrap()
            .errors()
            .any(|e| e.summary == "Instance cannot be destroyed")
    );
}

const GATEWAY: &str = r#"
resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }
resource "fake_gateway" "gw" { network_id = fake_network.main.id }
"#;

#[tokio::test]
async fn a_create_that_took_effect_but_answered_ambiguously_is_adopted_not_repeated() {
    let w = World::new();
    w.fake.cloud.ambiguous_after.store(1, Ordering::SeqCst);
    let o = w.apply(GATEWAY).await;
    assert_eq!(o.added, 2);
    assert_eq!(w.fake.cloud.count("net-"), 1, "no second network");
    assert_eq!(w.fake.cloud.count("gw-"), 1);
    assert_eq!(
        w.fake.cloud.creates.load(Ordering::SeqCst),
        2,
        "one create call per object"
    );
    let st = w.state();
    assert!(st.resources.values().all(|i| i.status == InstanceStatus::Ready));
    assert!(!w.plan(GATEWAY).await.has_changes());
}

#[tokio::test]
async fn a_create_answered_already_exists_adopts_its_own_object() {
    let w = World::new();
    w.fake.cloud.resent_after.store(2, Ordering::SeqCst);
    w.apply(GATEWAY).await;
    assert_eq!(w.fake.cloud.count("net-"), 1);
    assert_eq!(w.fake.cloud.count("gw-"), 1);
    assert!(w.state().resources.values().all(|i| i.status == InstanceStatus::Ready));
    assert!(!w.plan(GATEWAY).await.has_changes());
    // Someone else's object of that name is not adopted: the create fails, and nothing is recorded.
    let w = World::new();
    w.fake.cloud.name_taken.store(1, Ordering::SeqCst);
    let cfg = r#"resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }"#;
    let (_, o) = w.apply_with(cfg, PlanOptions::default(), 10).await;
    assert!(
        o.errors
            .iter()
            .any(|(a, e)| a == "fake_network.main" && e.contains("Duplicate")),
        "{:?}",
        o.errors
    );
    assert!(w.state().resources.is_empty());
}

#[tokio::test]
async fn a_create_that_failed_ambiguously_and_made_nothing_is_made_again() {
    let w = World::new();
    w.fake.cloud.ambiguous_before.store(2, Ordering::SeqCst);
    let o = w.apply(GATEWAY).await;
    assert_eq!(o.added, 2);
    assert_eq!(w.fake.cloud.count("net-"), 1);
    assert_eq!(w.fake.cloud.count("gw-"), 1);
    assert!(!w.plan(GATEWAY).await.has_changes());
}

#[tokio::test]
async fn a_create_stopped_between_its_steps_is_finished_in_the_same_apply() {
    let w = World::new();
    w.fake.cloud.stop_between_steps.store(1, Ordering::SeqCst);
    w.apply(GATEWAY).await;
    assert_eq!(w.fake.cloud.count("gw-"), 1);
    let gw = w.state().resources[&"fake_gateway.gw".parse::<InstanceAddr>().unwrap()].clone();
    assert_eq!(gw.status, InstanceStatus::Ready);
    assert_eq!(gw.value.get_str("attachment"), Some("attached"));
    let id = gw.id().unwrap().to_string();
    assert_eq!(w.fake.cloud.get(&id).unwrap().get_str("attachment"), Some("attached"));
}

#[tokio::test]
async fn an_ambiguous_failure_that_outlasts_the_retries_keeps_the_intent_for_the_next_run() {
    let w = World::new();
    w.fake.cloud.ambiguous_before.store(100, Ordering::SeqCst);
    let (_, o) = w.apply_with(GATEWAY, PlanOptions::default(), 10).await;
    assert!(!o.ok());
    assert!(o.errors.iter().any(|(a, _)| a == "fake_network.main"), "{:?}", o.errors);
    let st = w.state();
    let net = &st.resources[&"fake_network.main".parse::<InstanceAddr>().unwrap()];
    assert!(
        matches!(net.status, InstanceStatus::Creating { .. }),
        "{:?}",
        net.status
    );
    // The fault is gone: the next run looks, finds nothing, creates once.
    w.fake.cloud.ambiguous_before.store(0, Ordering::SeqCst);
    w.apply(GATEWAY).await;
    assert_eq!(w.fake.cloud.count("net-"), 1);
    assert_eq!(w.fake.cloud.count("gw-"), 1);
    assert!(!w.plan(GATEWAY).await.has_changes());
}

/// The state and cloud a kill between the two steps of the gateway's create leaves: the network made,
/// the gateway's intent in state, the gateway made but not attached.
async fn killed_between_steps(w: &World) -> InstanceAddr {
    w.apply(r#"resource "fake_network" "main" { cidr_block = "10.0.0.0/16" }"#)
        .await;
    let mut st = w.state();
    let net_id = st.resources[&"fake_network.main".parse::<InstanceAddr>().unwrap()]
        .id()
        .unwrap()
        .to_string();
    let addr: InstanceAddr = "fake_gateway.gw".parse().unwrap();
    let planned = Value::map([("network_id", Value::string(&net_id))]);
    let mut inst = ResourceInstance::ready(crate::addrs::ProviderKey::default_for("fake"), planned.clone());
    inst.status = InstanceStatus::Creating {
        token: "t1".into(),
        started: "now".into(),
    };
    st.resources.insert(addr.clone(), inst);
    w.store.persist(&mut st).await.unwrap();
    let ctx = OpContext::new("fake_gateway.gw", st.lineage.clone(), "t1", Duration::from_secs(1));
    let client = w.fake.configure(&Value::empty_map()).await.unwrap();
    w.fake.cloud.stop_between_steps.store(1, Ordering::SeqCst);
    let e = client.create(&ctx, "fake_gateway", &planned).await.unwrap_err();
    assert!(e.is_ambiguous());
    addr
}

#[tokio::test]
async fn a_create_killed_between_its_steps_is_finished_by_the_next_apply() {
    let w = World::new();
    let addr = killed_between_steps(&w).await;

    // The plan says what is left, and plans the create that finishes it.
    let p = w.plan(GATEWAY).await;
    let c = p.changes.iter().find(|c| c.addr == addr).unwrap();
    assert_eq!(
        (c.action, c.reason.clone()),
        (Action::Create, Some(Reason::UnfinishedCreate))
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.addr == "fake_gateway.gw" && n.message.contains("attach the gateway")),
        "{:?}",
        p.notes
    );
    // A plan changes nothing.
    assert!(matches!(
        w.state().resources[&addr].status,
        InstanceStatus::Creating { .. }
    ));

    w.apply(GATEWAY).await;
    assert_eq!(w.fake.cloud.count("gw-"), 1, "adopted, not made twice");
    let gw = w.state().resources[&addr].clone();
    assert_eq!(gw.status, InstanceStatus::Ready);
    assert_eq!(gw.value.get_str("attachment"), Some("attached"));
    assert!(!w.plan(GATEWAY).await.has_changes());
}

#[tokio::test]
async fn destroy_deletes_an_unfinished_object() {
    let w = World::new();
    killed_between_steps(&w).await;
    let (p, o) = w
        .apply_with(
            GATEWAY,
            PlanOptions {
                mode: PlanMode::Destroy,
                ..PlanOptions::default()
            },
            10,
        )
        .await;
    assert!(o.ok(), "{o:?}");
    assert!(p.notes.iter().any(|n| n.message.contains("adopted")), "{:?}", p.notes);
    assert_eq!(w.fake.cloud.count("gw-"), 0);
    assert_eq!(w.fake.cloud.count("net-"), 0);
    assert!(w.state().resources.is_empty());
}

mod modules {
    use super::*;

    /// A root module calling `./modules/net` once and `./modules/app` per name, nested calls included.
    const ROOT: &str = r#"
variable "apps" {
  default = { api = "10.0.1.0/24", web = "10.0.2.0/24" }
}
module "net" {
  source = "./modules/net"
  cidr   = "10.0.0.0/16"
  name   = "main"
}
module "app" {
  source     = "./modules/app"
  for_each   = var.apps
  network_id = module.net.id
  cidr       = each.value
  name       = "app-${each.key}"
}
resource "fake_network" "after" {
  cidr_block = "10.9.0.0/16"
  depends_on = [module.app]
}
output "net_id" { value = module.net.id }
output "net_dir" { value = module.net.own_dir }
output "subnet_ids" { value = { for k, m in module.app : k => m.subnet_id } }
output "secret" {
  value     = module.net.secret
  sensitive = true
}
"#;
    const NET_MOD: &str = r#"
variable "cidr" { type = string }
variable "name" {
  type = string
  validation {
    condition     = length(var.name) > 2
    error_message = "The name must be longer than two characters."
  }
}
variable "secret" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}
locals { full = "${var.name}-net" }
resource "fake_network" "this" {
  cidr_block = var.cidr
  name       = local.full
}
output "id" { value = fake_network.this.id }
output "own_dir" { value = "${path.module}:${fileexists("${path.module}/main.tf")}" }
output "secret" {
  value     = var.secret
  sensitive = true
}
"#;
    const APP_MOD: &str = r#"
variable "network_id" {}
variable "cidr" {}
variable "name" {}
module "inner" {
  source = "../inner"
  label  = "${var.name}-inner"
}
resource "fake_subnet" "this" {
  network_id = var.network_id
  cidr_block = var.cidr
  name       = module.inner.label
}
output "subnet_id" { value = fake_subnet.this.id }
"#;
    const INNER_MOD: &str = r#"
variable "label" { type = string }
output "label" { value = upper(var.label) }
"#;

    fn write_tree(w: &World, root: &str, net_mod: &str) -> Arc<Config> {
        let base = w.dir.path().join("cfg");
        for (p, t) in [
            ("main.tf", root),
            ("modules/net/main.tf", net_mod),
            ("modules/app/main.tf", APP_MOD),
            ("modules/inner/main.tf", INNER_MOD),
        ] {
            let f = base.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        let (cfg, d) = Config::load(&base);
        assert!(!d.has_errors(), "{d:?}");
        Arc::new(cfg)
    }

    async fn plan_tree(w: &World, cfg: &Arc<Config>, opts: PlanOptions) -> Result<Plan, Diagnostics> {
        let (p, d) = plan(cfg.clone(), &w.providers, w.state(), BTreeMap::new(), "default", &opts).await;
        p.ok_or(d)
    }

    async fn apply_tree(w: &World, cfg: &Arc<Config>, p: Plan) -> Outcome {
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let aopts = ApplyOptions {
            parallelism: Some(4),
            progress_interval: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(10),
            cancel: rx,
        };
        let (_, o) = apply(p, cfg.clone(), &w.providers, w.store.clone(), aopts, Arc::new(Quiet))
            .await
            .expect("apply runs");
        o
    }

    #[tokio::test]
    async fn module_instances_plan_apply_and_converge() {
        let w = World::new();
        let cfg = write_tree(&w, ROOT, NET_MOD);
        let p = plan_tree(&w, &cfg, PlanOptions::default()).await.expect("plan");
        let mut addrs: Vec<String> = actions(&p).into_iter().map(|(a, _)| a).collect();
        addrs.sort();
        assert_eq!(
            addrs,
            [
                "fake_network.after",
                "module.app[\"api\"].fake_subnet.this",
                "module.app[\"web\"].fake_subnet.this",
                "module.net.fake_network.this",
            ]
        );
        // Values flow through inputs, locals, nested module outputs and each.*.
        let web = p
            .changes
            .iter()
            .find(|c| c.addr.to_string() == "module.app[\"web\"].fake_subnet.this")
            .unwrap();
        let after = web.after.as_ref().unwrap();
        assert_eq!(after.get_str("name"), Some("APP-WEB-INNER"));
        assert_eq!(after.get_str("cidr_block"), Some("10.0.2.0/24"));
        let o = apply_tree(&w, &cfg, p).await;
        assert!(o.ok(), "{o:?}");
        let state = w.state();
        let net = state
            .resources
            .get(&"module.net.fake_network.this".parse().unwrap())
            .expect("module resource in state");
        assert_eq!(net.value.get_str("name"), Some("main-net"));
        // depends_on = [module.app] waits for every instance of the call.
        let after = &state.resources[&"fake_network.after".parse().unwrap()];
        let deps: Vec<String> = after.dependencies.iter().map(|d| d.to_string()).collect();
        assert!(
            deps.contains(&"module.app[\"api\"].fake_subnet.this".to_string()),
            "{deps:?}"
        );
        let subnet_ids = &state.outputs["subnet_ids"].value;
        assert_eq!(
            subnet_ids
                .get("api")
                .and_then(|v| v.as_str())
                .map(|s| s.starts_with("subnet-")),
            Some(true),
            "{subnet_ids:?}"
        );
        assert!(state.outputs["secret"].sensitive);
        // path.module is the module's directory from the root module's, where file functions resolve.
        assert_eq!(state.outputs["net_dir"].value.as_str(), Some("modules/net:true"));
        // The next plan has nothing to do.
        let p = plan_tree(&w, &cfg, PlanOptions::default()).await.expect("plan");
        assert!(actions(&p).is_empty(), "{:?}", actions(&p));
        // A module instance taken out of for_each: its resources go because their module did
        // (Terraform's `delete_because_no_module`), not because a block was removed.
        let fewer = write_tree(
            &w,
            &ROOT
                .replace("web = \"10.0.2.0/24\"", "")
                .replace("\"10.0.1.0/24\",", "\"10.0.1.0/24\""),
            NET_MOD,
        );
        let p = plan_tree(&w, &fewer, PlanOptions::default()).await.expect("plan");
        let gone: Vec<(String, Option<crate::plan::Reason>)> = p
            .changes
            .iter()
            .filter(|c| !c.is_noop())
            .map(|c| (c.addr.to_string(), c.reason.clone()))
            .collect();
        assert_eq!(
            gone,
            [(
                "module.app[\"web\"].fake_subnet.this".to_string(),
                Some(crate::plan::Reason::NoModule)
            )]
        );
        // --target module.app["web"] selects that instance's resources and what they depend on.
        let p = plan_tree(
            &w,
            &cfg,
            PlanOptions {
                mode: PlanMode::Destroy,
                module_targets: vec!["module.app[\"web\"]".parse().unwrap()],
                ..Default::default()
            },
        )
        .await
        .expect("plan");
        let destroyed: Vec<String> = actions(&p).into_iter().map(|(a, _)| a).collect();
        assert!(
            destroyed.contains(&"module.app[\"web\"].fake_subnet.this".to_string()),
            "{destroyed:?}"
        );
        assert!(!destroyed.iter().any(|a| a.contains("api")), "{destroyed:?}");
    }

    #[tokio::test]
    async fn module_input_errors_name_the_module() {
        let w = World::new();
        // A validation rule of the module's variable.
        let cfg = write_tree(&w, &ROOT.replace("name   = \"main\"", "name   = \"ab\""), NET_MOD);
        let d = plan_tree(&w, &cfg, PlanOptions::default()).await.unwrap_err();
        let text = format!("{d:?}");
        assert!(text.contains("longer than two characters"), "{text}");
        // An argument the module does not declare, and a required one missing.
        let base = w.dir.path().join("cfg");
        std::fs::write(
            base.join("main.tf"),
            ROOT.replace("name   = \"main\"", "nmae   = \"main\""),
        )
        .unwrap();
        let (_, d) = Config::load(&base);
        let text = crate::diag::render(&d, &Config::load(&base).0.sources);
        assert!(text.contains("declares no variable \"nmae\""), "{text}");
        assert!(text.contains("Did you mean \"name\"?"), "{text}");
        assert!(
            text.contains("The argument \"name\" is required by module.net"),
            "{text}"
        );
        assert!(text.contains("main.tf:5"), "{text}");
        // A module for_each known only after apply.
        std::fs::write(
            base.join("main.tf"),
            ROOT.replace(
                "for_each   = var.apps",
                "for_each   = { for k, v in var.apps : k => fake_network.after.id }",
            ),
        )
        .unwrap();
        let (cfg, d) = Config::load(&base);
        assert!(!d.has_errors(), "{d:?}");
        let d = plan_tree(&w, &Arc::new(cfg), PlanOptions::default()).await.unwrap_err();
        assert!(
            format!("{d:?}").contains("Invalid for_each argument") || format!("{d:?}").contains("Cycle"),
            "{d:?}"
        );
    }

    #[tokio::test]
    async fn a_saved_plan_reloads_its_modules() {
        let w = World::new();
        let cfg = write_tree(&w, ROOT, NET_MOD);
        let p = plan_tree(&w, &cfg, PlanOptions::default()).await.expect("plan");
        let (saved, d) = Config::load_saved(&p.config_dir, &p.sources);
        assert!(!d.has_errors(), "{d:?}");
        assert_eq!(saved.module_calls.len(), 2);
        assert_eq!(saved.resources.len(), 1, "only the root module's own resources");
        let o = apply_tree(&w, &Arc::new(saved), p).await;
        assert!(o.ok(), "{o:?}");
        assert_eq!(w.fake.cloud.count("subnet-"), 2);
    }

    #[tokio::test]
    async fn moved_blocks_refactor_into_modules_without_recreating() {
        let w = World::new();
        let base = w.dir.path().join("cfg");
        let write = |files: &[(&str, &str)]| {
            let _ = std::fs::remove_dir_all(&base);
            for (p, t) in files {
                let f = base.join(p);
                std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                std::fs::write(f, t).unwrap();
            }
            let (cfg, d) = Config::load(&base);
            assert!(!d.has_errors(), "{d:?}");
            Arc::new(cfg)
        };
        let flat = write(&[(
            "main.tf",
            r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  name       = "main-net"
}
resource "fake_network" "old" {
  cidr_block = "10.1.0.0/16"
}
"#,
        )]);
        let p = plan_tree(&w, &flat, PlanOptions::default()).await.expect("plan");
        assert!(apply_tree(&w, &flat, p).await.ok());
        let id = w.state().resources[&"fake_network.main".parse().unwrap()]
            .value
            .get_str("id")
            .unwrap()
            .to_string();
        // The network moves into the module; the other one is let go of, not destroyed.
        let moved = write(&[
            (
                "main.tf",
                r#"
module "net" {
  source = "./modules/net"
  cidr   = "10.0.0.0/16"
  name   = "main"
}
moved {
  from = fake_network.main
  to   = module.net.fake_network.this
}
removed {
  from = fake_network.old
  lifecycle {
    destroy = false
  }
}
"#,
            ),
            ("modules/net/main.tf", NET_MOD),
        ]);
        let p = plan_tree(&w, &moved, PlanOptions::default()).await.expect("plan");
        assert!(
            actions(&p).is_empty(),
            "nothing is created or destroyed: {:?}",
            actions(&p)
        );
        assert_eq!(p.moved.len(), 1);
        assert_eq!(p.moved[0].1.to_string(), "module.net.fake_network.this");
        assert_eq!(
            p.forgotten.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            ["fake_network.old"]
        );
        let text = crate::plan::render::render_plan(&p, &w.providers, crate::plan::render::Style { color: false });
        assert!(
            text.contains("# fake_network.main has moved to module.net.fake_network.this"),
            "{text}"
        );
        assert!(text.contains("1 to forget"), "{text}");
        assert!(p.has_changes());
        assert!(apply_tree(&w, &moved, p).await.ok());
        let state = w.state();
        assert_eq!(
            state.resources[&"module.net.fake_network.this".parse().unwrap()]
                .value
                .get_str("id"),
            Some(id.as_str())
        );
        assert!(!state.resources.keys().any(|a| a.to_string() == "fake_network.old"));
        assert_eq!(
            w.fake.cloud.count("net-"),
            2,
            "the forgotten network stays in the cloud"
        );
        let p = plan_tree(&w, &moved, PlanOptions::default()).await.expect("plan");
        assert!(!p.has_changes(), "{:?} {:?}", actions(&p), p.moved);
    }

    #[test]
    fn conflicting_moves_are_errors_with_both_locations() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            "moved {\n  from = fake_network.a\n  to   = fake_network.b\n}\nmoved {\n  from = fake_network.a\n  to   = fake_network.c\n}\nmoved {\n  from = fake_network.b\n  to   = fake_subnet.b\n}\n",
        )
        .unwrap();
        let (cfg, d) = Config::load(dir.path());
        let text = crate::diag::render(&d, &cfg.sources);
        assert!(text.contains("Resource type mismatch"), "{text}");
        let mut d2 = Diagnostics::new();
        crate::config::refactor::check_moves(&cfg, &mut d2);
        let text = crate::diag::render(&d2, &cfg.sources);
        assert!(text.contains("Ambiguous move statements"), "{text}");
        assert!(text.contains("main.tf:5") && text.contains("main.tf:1"), "{text}");
    }

    #[tokio::test]
    async fn import_blocks_are_planned_as_imports_and_applied() {
        let w = World::new();
        let net = r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  name       = "main"
}
"#;
        w.apply(net).await;
        let id = w.state().resources[&"fake_network.main".parse().unwrap()]
            .value
            .get_str("id")
            .unwrap()
            .to_string();
        // The state is lost; the object is still in the cloud.
        let mut st = w.store.load().await.unwrap().unwrap();
        st.resources.clear();
        w.store.persist(&mut st).await.unwrap();
        let with_import = format!("{net}\nimport {{\n  to = fake_network.main\n  id = \"{id}\"\n}}\n");
        let p = w.plan(&with_import).await;
        assert!(actions(&p).is_empty(), "nothing created: {:?}", actions(&p));
        assert_eq!(p.imported, vec![("fake_network.main".parse().unwrap(), id.clone())]);
        let text = crate::plan::render::render_plan(&p, &w.providers, crate::plan::render::Style { color: false });
        assert!(text.contains("# fake_network.main will be imported"), "{text}");
        assert!(text.contains("Plan: 1 to import, 0 to add"), "{text}");
        let j = crate::plan::json::plan_json(&p, &w.providers);
        let c = j["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == "fake_network.main")
            .cloned();
        assert_eq!(
            c.map(|c| c["change"]["importing"]["id"].clone()),
            Some(serde_json::json!(id))
        );
        w.apply(&with_import).await;
        assert_eq!(w.fake.cloud.count("net-"), 1, "imported, not created again");
        assert!(w.state().resources.contains_key(&"fake_network.main".parse().unwrap()));
        // Once managed, the block is satisfied: nothing more to do.
        let p = w.plan(&with_import).await;
        assert!(!p.has_changes());
        // An ID the cloud does not have.
        let missing = format!(
            "{net}\nresource \"fake_network\" \"other\" {{\n  cidr_block = \"10.1.0.0/16\"\n}}\nimport {{\n  to = fake_network.other\n  id = \"net-missing\"\n}}\n"
        );
        let (_, r) = w.plan_with(&missing, PlanOptions::default()).await;
        let d = r.unwrap_err();
        assert!(
            format!("{d:?}").contains("Cannot import non-existent remote object"),
            "{d:?}"
        );
    }

    #[tokio::test]
    async fn import_blocks_with_for_each_import_one_instance_per_element() {
        let w = World::new();
        let nets = r#"
variable "nets" {
  default = { a = "10.0.0.0/16", b = "10.1.0.0/16" }
}
resource "fake_network" "n" {
  for_each   = var.nets
  cidr_block = each.value
  name       = each.key
}
"#;
        w.apply(nets).await;
        let ids: BTreeMap<String, String> = w
            .state()
            .resources
            .iter()
            .map(|(a, r)| (a.key.to_string(), r.value.get_str("id").unwrap().to_string()))
            .collect();
        let mut st = w.store.load().await.unwrap().unwrap();
        st.resources.clear();
        w.store.persist(&mut st).await.unwrap();
        let ids_hcl: Vec<String> = ids
            .iter()
            .map(|(k, v)| format!("{} = \"{v}\"", k.trim_matches(|c| c == '[' || c == ']' || c == '"')))
            .collect();
        let with_import = format!(
            "{nets}\nlocals {{\n  ids = {{ {} }}\n}}\nimport {{\n  for_each = local.ids\n  to       = fake_network.n[each.key]\n  id       = each.value\n}}\n",
            ids_hcl.join(", ")
        );
        let p = w.plan(&with_import).await;
        assert!(actions(&p).is_empty(), "nothing created: {:?}", actions(&p));
        let imported: Vec<String> = p.imported.iter().map(|(a, _)| a.to_string()).collect();
        assert_eq!(imported, ["fake_network.n[\"a\"]", "fake_network.n[\"b\"]"]);
        w.apply(&with_import).await;
        assert_eq!(w.fake.cloud.count("net-"), 2, "imported, not created again");
        assert!(!w.plan(&with_import).await.has_changes());
        // A key the configuration does not produce is refused: importing it would destroy it.
        let mut st = w.store.load().await.unwrap().unwrap();
        st.resources.clear();
        w.store.persist(&mut st).await.unwrap();
        let stray = with_import.replace(
            "for_each = local.ids",
            "for_each = merge(local.ids, { c = local.ids.a })",
        );
        let (_, r) = w.plan_with(&stray, PlanOptions::default()).await;
        let d = format!("{:?}", r.unwrap_err());
        assert!(
            d.contains("does not declare the instance fake_network.n[\\\"c\\\"]"),
            "{d}"
        );
        // for_each without an index in `to` is an error at its line.
        let bad = with_import.replace("fake_network.n[each.key]", "fake_network.n");
        let dir = w.dir.path().join("bad");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), &bad).unwrap();
        let (cfg, d) = Config::load(&dir);
        let text = crate::diag::render(&d, &cfg.sources);
        assert!(
            text.contains("index to with each.key") && text.contains("main.tf:16"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_secret_inside_a_map_is_never_printed() {
        let w = World::new();
        let cfg = r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "tok-SECRET-123"
}
module "net" {
  source = "./modules/net"
  cidr   = "10.0.0.0/16"
  name   = "main"
  secret = var.token
}
resource "fake_network" "direct" {
  cidr_block = "10.1.0.0/16"
  tags       = { Plain = "visible", Token = var.token }
}
"#;
        let base = w.dir.path().join("cfg");
        for (p, t) in [
            ("main.tf", cfg),
            (
                "modules/net/main.tf",
                &NET_MOD.replace(
                    "name       = local.full",
                    "name       = local.full\n  tags       = { Secret = var.secret }",
                ),
            ),
        ] {
            let f = base.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        let (loaded, d) = Config::load(&base);
        assert!(!d.has_errors(), "{d:?}");
        let p = plan_tree(&w, &Arc::new(loaded), PlanOptions::default())
            .await
            .expect("plan");
        let text = crate::plan::render::render_plan(&p, &w.providers, crate::plan::render::Style { color: false });
        assert!(!text.contains("tok-SECRET-123"), "{text}");
        assert!(text.contains("\"Token\" = (sensitive value)"), "{text}");
        assert!(text.contains("\"Secret\" = (sensitive value)"), "{text}");
        assert!(text.contains("\"Plain\" = \"visible\""), "{text}");
        let json = crate::plan::json::plan_json(&p, &w.providers).to_string();
        assert!(!json.contains("tok-SECRET-123"), "{json}");
    }
}

/// Ephemeral resources and write-only arguments: opened at plan and again at apply, sent on create and
/// update, kept by nothing.
mod ephemeral {
    use super::*;

    const LOGIN: &str = r#"
ephemeral "fake_password" "db" {
  length = 12
}

resource "fake_login" "db" {
  name                = "db"
  password_wo         = ephemeral.fake_password.db.result
  password_wo_version = VERSION
}
"#;

    fn login(version: u32) -> String {
        LOGIN.replace("VERSION", &version.to_string())
    }

    fn cloud_password(w: &World) -> Option<String> {
        let objects = w.fake.cloud.objects.lock().unwrap();
        let (_, o) = objects.iter().find(|(k, _)| k.starts_with("login"))?;
        o.get_str("password_wo").map(str::to_string)
    }

    #[tokio::test]
    async fn a_write_only_password_reaches_the_cloud_and_no_plan_or_state_keeps_it() {
        let w = World::new();
        let p = w.plan(&login(1)).await;
        // Opened once by the plan; only the managed resource is a change.
        assert_eq!(w.fake.cloud.ephemeral_opens.load(Ordering::SeqCst), 1);
        assert_eq!(actions(&p), vec![("fake_login.db".to_string(), Action::Create)]);
        let after = p.changes[0].after.as_ref().unwrap();
        assert_eq!(after.get("password_wo"), Some(&Value::Null));
        assert_eq!(after.get("password_wo_version").and_then(Value::as_i64), Some(1));
        let saved = crate::plan::planfile::encode(&p);
        assert!(!saved.contains("pw1x"), "the saved plan holds the ephemeral value");
        let shown = crate::plan::render::render_plan(&p, &w.providers, crate::plan::render::Style { color: false });
        assert!(
            shown.contains("+ password_wo         = (write-only attribute)"),
            "{shown}"
        );
        assert!(!shown.contains("pw1x") && !shown.contains("ephemeral."), "{shown}");

        w.apply(&login(1)).await;
        // Opened again by the apply (the plan's value is not kept), and sent on create.
        assert_eq!(w.fake.cloud.ephemeral_opens.load(Ordering::SeqCst), 3);
        let sent = cloud_password(&w).expect("the cloud got the password");
        assert_eq!(sent.len(), 12);
        let state_text = std::fs::read_to_string(&w.state_path).unwrap();
        assert!(
            !state_text.contains(&sent),
            "the state holds the write-only value: {state_text}"
        );
        let st = w.state();
        let inst = st.resources.values().next().unwrap();
        assert_eq!(inst.value.get("password_wo"), Some(&Value::Null));

        // Nothing to do until the version changes; then an update sends a new password.
        let p = w.plan(&login(1)).await;
        assert!(!p.has_changes(), "{:?}", actions(&p));
        let p = w.plan(&login(2)).await;
        assert_eq!(actions(&p), vec![("fake_login.db".to_string(), Action::Update)]);
        w.apply(&login(2)).await;
        let rotated = cloud_password(&w).unwrap();
        assert_ne!(rotated, sent);
        assert_eq!(rotated.len(), 12);
        assert!(!std::fs::read_to_string(&w.state_path).unwrap().contains(&rotated));
    }

    #[tokio::test]
    async fn an_ephemeral_resource_that_needs_a_new_resource_is_opened_by_the_apply_after_it() {
        let w = World::new();
        let text = r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  name       = "main"
}

ephemeral "fake_password" "p" {
  length = length(fake_network.main.id)
}

resource "fake_login" "l" {
  name                = "app"
  password_wo         = ephemeral.fake_password.p.result
  password_wo_version = 1
}
"#;
        let p = w.plan(text).await;
        // Its configuration is unknown at plan time: not opened yet.
        assert_eq!(w.fake.cloud.ephemeral_opens.load(Ordering::SeqCst), 0);
        let login = p.changes.iter().find(|c| c.addr.to_string() == "fake_login.l").unwrap();
        assert_eq!(login.dependencies, vec![ResourceAddr::managed("fake_network", "main")]);
        w.apply(text).await;
        let id_len = w
            .state()
            .resources
            .iter()
            .find(|(a, _)| a.resource.type_name == "fake_network")
            .and_then(|(_, i)| i.value.get_str("id").map(str::len))
            .unwrap();
        assert_eq!(cloud_password(&w).map(|s| s.len()), Some(id_len));
        assert_eq!(w.fake.cloud.ephemeral_opens.load(Ordering::SeqCst), 1);
    }

    /// What an ephemeral resource reads may change in this apply (a secret whose version is made after an
    /// interrupted apply made the secret): it is opened by the apply, after that change, not by the plan.
    #[tokio::test]
    async fn an_ephemeral_resource_whose_inputs_change_is_opened_after_the_change() {
        let w = World::new();
        let text = |name: &str| {
            format!(
                r#"
resource "fake_network" "main" {{
  cidr_block = "10.0.0.0/16"
  name       = "{name}"
}}

ephemeral "fake_password" "p" {{
  length = length(fake_network.main.name)
}}

resource "fake_login" "l" {{
  name                = "app"
  password_wo         = ephemeral.fake_password.p.result
  password_wo_version = length(fake_network.main.name)
}}
"#
            )
        };
        w.apply(&text("abc")).await;
        let opens = w.fake.cloud.ephemeral_opens.load(Ordering::SeqCst);
        let p = w.plan(&text("abcdefgh")).await;
        assert_eq!(
            w.fake.cloud.ephemeral_opens.load(Ordering::SeqCst),
            opens,
            "opened by the plan"
        );
        assert_eq!(actions(&p).len(), 2, "{:?}", actions(&p));
        w.apply(&text("abcdefgh")).await;
        assert_eq!(cloud_password(&w).map(|s| s.len()), Some(8));
    }

    #[tokio::test]
    async fn ephemeral_values_are_refused_where_they_would_be_kept() {
        let w = World::new();
        let text = r#"
variable "token" {
  type      = string
  ephemeral = true
}

ephemeral "fake_password" "p" {
  length = 8
}

resource "fake_secret" "s" {
  name  = "s"
  value = ephemeral.fake_password.p.result
}

locals {
  derived = "x-${var.token}"
}

resource "fake_login" "l" {
  name        = local.derived
  password_wo = local.derived
}

output "leak" {
  value     = ephemeral.fake_password.p.result
  sensitive = true
}
"#;
        let cfg = w.config(text);
        let d = crate::validate::validate(cfg, &w.providers, false);
        let msgs: Vec<String> = d
            .errors()
            .map(|e| format!("{}: {}", e.span.map(|s| cfg_line(&w, s)).unwrap_or_default(), e))
            .collect();
        let all = msgs.join("\n");
        assert_eq!(d.errors().count(), 3, "{all}");
        assert!(
            all.contains("13: ") && all.contains("\"value\" of fake_secret.s"),
            "{all}"
        );
        assert!(
            all.contains("21: ") && all.contains("\"name\" of fake_login.l"),
            "{all}"
        );
        assert!(all.contains("26: ") && all.contains("Output \"leak\""), "{all}");
        // The write-only argument takes the same local without complaint.
        assert!(!all.contains("password_wo"), "{all}");
    }

    fn module_tree(w: &World, output_ephemeral: bool) -> Arc<Config> {
        let base = w.dir.path().join("cfg");
        let decl = if output_ephemeral { "\n  ephemeral = true" } else { "" };
        for (p, t) in [
            (
                "main.tf",
                "module \"pw\" {\n  source = \"./modules/pw\"\n}\n\nresource \"fake_login\" \"l\" {\n  name                = \"m\"\n  password_wo         = module.pw.value\n  password_wo_version = 1\n}\n\nresource \"fake_secret\" \"s\" {\n  name  = \"plain\"\n  value = module.pw.label\n}\n".to_string(),
            ),
            (
                "modules/pw/main.tf",
                format!("ephemeral \"fake_password\" \"p\" {{\n  length = 10\n}}\n\noutput \"value\" {{\n  value = ephemeral.fake_password.p.result{decl}\n}}\n\noutput \"label\" {{\n  value = \"not-secret\"\n}}\n"),
            ),
        ] {
            let f = base.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        let (cfg, d) = Config::load(&base);
        assert!(!d.has_errors(), "{d:?}");
        Arc::new(cfg)
    }

    #[tokio::test]
    async fn a_module_passes_an_ephemeral_value_only_through_an_output_declared_ephemeral() {
        let w = World::new();
        let cfg = module_tree(&w, true);
        // The module's other output is an ordinary value: usable anywhere.
        let (p, d) = plan(
            cfg.clone(),
            &w.providers,
            w.state(),
            BTreeMap::new(),
            "default",
            &PlanOptions::default(),
        )
        .await;
        let p = p.unwrap_or_else(|| panic!("{d:?}"));
        assert_eq!(p.summary().add, 2);
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let opts = ApplyOptions {
            parallelism: None,
            progress_interval: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(10),
            cancel: rx,
        };
        let (_, o) = apply(p, cfg, &w.providers, w.store.clone(), opts, Arc::new(Quiet))
            .await
            .unwrap();
        assert!(o.ok(), "{o:?}");
        assert_eq!(cloud_password(&w).map(|s| s.len()), Some(10));

        let cfg = module_tree(&w, false);
        let d = crate::validate::validate(cfg, &w.providers, false);
        let all: Vec<String> = d.errors().map(|e| e.to_string()).collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(
            all[0].contains("Output \"value\" of module.pw") && all[0].contains("ephemeral = true"),
            "{all:?}"
        );
    }

    fn cfg_line(w: &World, span: crate::diag::Span) -> String {
        let (cfg, _) = Config::load(&w.dir.path().join("cfg"));
        let loc = cfg.sources.location(span);
        loc.rsplit(':').nth(1).unwrap_or_default().to_string()
    }
}
