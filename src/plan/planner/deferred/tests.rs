//! Module calls whose count/for_each depends on resources or data sources, planned and applied against
//! the in-memory provider.

use crate::addrs::{InstanceKey, ModulePath};
use crate::apply::{ApplyOptions, Outcome, Quiet, apply};
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::{Action, Plan, PlanMode, planfile};
use crate::provider_set::ProviderSet;
use crate::state::{State, StateStore};
use crate::testing::FakeProvider;
use infra_provider::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

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

    /// Writes the root module and the modules under `modules/` (replacing what was there), and loads it.
    fn config(&self, root: &str) -> Arc<Config> {
        self.config_with(root, SVC_MOD)
    }

    /// [`World::config`] with another `modules/svc`.
    fn config_with(&self, root: &str, svc: &str) -> Arc<Config> {
        let base = self.dir.path().join("cfg");
        let _ = std::fs::remove_dir_all(&base);
        for (p, t) in [
            ("main.tf", root),
            ("modules/svc/main.tf", svc),
            ("modules/az/main.tf", AZ_MOD),
            ("modules/outer/main.tf", OUTER_MOD),
        ] {
            let f = base.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        let (cfg, d) = Config::load(&base);
        assert!(!d.has_errors(), "{d:?}");
        Arc::new(cfg)
    }

    fn state(&self) -> State {
        match std::fs::read_to_string(&self.state_path) {
            Ok(t) => crate::state::file::decode(&t, "state").unwrap(),
            Err(_) => State::default(),
        }
    }

    async fn plan(&self, cfg: &Arc<Config>, opts: PlanOptions) -> Result<Plan, Diagnostics> {
        let (p, d) = plan(
            cfg.clone(),
            &self.providers,
            self.state(),
            BTreeMap::new(),
            "default",
            &opts,
        )
        .await;
        p.ok_or(d)
    }

    async fn apply(&self, cfg: &Arc<Config>, p: Plan) -> Outcome {
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let aopts = ApplyOptions {
            parallelism: Some(4),
            progress_interval: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(10),
            cancel: rx,
        };
        let (_, o) = apply(
            p,
            cfg.clone(),
            &self.providers,
            self.store.clone(),
            aopts,
            Arc::new(Quiet),
        )
        .await
        .expect("apply runs");
        assert!(o.ok(), "{o:?}");
        o
    }
}

/// The addresses of the plan's changes, sorted.
fn changed(p: &Plan) -> Vec<String> {
    let mut v: Vec<String> = p
        .changes
        .iter()
        .filter(|c| !c.is_noop())
        .map(|c| c.addr.to_string())
        .collect();
    v.sort();
    v
}

fn after<'a>(p: &'a Plan, addr: &str) -> &'a Value {
    p.changes
        .iter()
        .find(|c| c.addr.to_string() == addr)
        .and_then(|c| c.after.as_ref())
        .unwrap_or_else(|| panic!("no planned {addr} in {:?}", changed(p)))
}

fn call(path: &str) -> ModulePath {
    path.parse().unwrap()
}

const SVC_MOD: &str = r#"
variable "subnet_id" { type = string }
variable "name" { type = string }
resource "fake_network" "this" {
  cidr_block = "10.9.0.0/16"
  name       = var.name
  tags       = { subnet = var.subnet_id }
}
output "name" { value = fake_network.this.name }
"#;

const AZ_MOD: &str = r#"
variable "zone" { type = string }
resource "fake_network" "this" {
  cidr_block = "10.0.0.0/16"
  name       = var.zone
}
output "zone" { value = fake_network.this.name }
"#;

/// A deferred call (for_each over a resource's instances) with a deferred call inside each instance
/// (count from a data source of the instance).
const OUTER_MOD: &str = r#"
variable "region" { type = string }
data "fake_zones" "z" {
  region = var.region
}
module "az" {
  source = "../az"
  count  = length(data.fake_zones.z.names)
  zone   = data.fake_zones.z.names[count.index]
}
output "zones" { value = module.az[*].zone }
"#;

/// for_each over a map built from a for_each'd resource: its keys are known, its values are not.
const BY_SUBNET: &str = r#"
variable "zones" {
  default = { a = "10.0.1.0/24", b = "10.0.2.0/24" }
}
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "fake_subnet" "private" {
  for_each   = var.zones
  network_id = fake_network.main.id
  cidr_block = each.value
}
module "svc" {
  source    = "./modules/svc"
  for_each  = { for k, s in fake_subnet.private : k => s.id }
  subnet_id = each.value
  name      = "svc-${each.key}"
}
output "names" { value = { for k, m in module.svc : k => m.name } }
"#;

#[tokio::test]
async fn for_each_over_a_for_each_resource_plans_the_module_instances() {
    let w = World::new();
    let cfg = w.config(BY_SUBNET);
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert_eq!(
        changed(&p),
        [
            "fake_network.main",
            "fake_subnet.private[\"a\"]",
            "fake_subnet.private[\"b\"]",
            "module.svc[\"a\"].fake_network.this",
            "module.svc[\"b\"].fake_network.this",
        ]
    );
    // What the for_each depends on is planned once, before the module instances.
    assert_eq!(p.changes.len(), 5, "{:?}", p.changes);
    let a = after(&p, "module.svc[\"a\"].fake_network.this");
    assert_eq!(a.get_str("name"), Some("svc-a"));
    assert!(
        a.get("tags").and_then(|t| t.get("subnet")).unwrap().is_unknown(),
        "{a:?}"
    );
    assert_eq!(
        p.module_instances,
        BTreeMap::from([(call("module.svc"), Value::map([("a", Value::Null), ("b", Value::Null)]))])
    );
    let names = p.outputs.iter().find(|o| o.name == "names").unwrap();
    assert_eq!(
        names.after,
        Some(Value::map([("a", Value::from("svc-a")), ("b", Value::from("svc-b"))]))
    );
    w.apply(&cfg, p).await;
    let st = w.state();
    let subnet_a = st.resources[&"fake_subnet.private[\"a\"]".parse().unwrap()]
        .id()
        .unwrap();
    let svc_a = &st.resources[&"module.svc[\"a\"].fake_network.this".parse().unwrap()];
    assert_eq!(
        svc_a.value.get("tags").and_then(|t| t.get_str("subnet")),
        Some(subnet_a)
    );
    // The next plan has nothing to do, and refreshes every object once.
    let reads = w.fake.cloud.reads.load(std::sync::atomic::Ordering::SeqCst);
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
    assert_eq!(
        w.fake.cloud.reads.load(std::sync::atomic::Ordering::SeqCst) - reads,
        5,
        "one refresh"
    );
    // Destroy: every object, those of the module instances included.
    let p = w
        .plan(
            &cfg,
            PlanOptions {
                mode: PlanMode::Destroy,
                ..Default::default()
            },
        )
        .await
        .expect("plan");
    assert_eq!(p.summary().destroy, 5, "{:?}", changed(&p));
    w.apply(&cfg, p).await;
    assert!(w.state().resources.is_empty());
}

#[tokio::test]
async fn count_from_a_data_source_list() {
    let w = World::new();
    let cfg = w.config(
        r#"
data "fake_zones" "this" {}
module "az" {
  source = "./modules/az"
  count  = length(data.fake_zones.this.names)
  zone   = data.fake_zones.this.names[count.index]
}
output "zones" { value = module.az[*].zone }
"#,
    );
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert_eq!(
        changed(&p),
        ["module.az[0].fake_network.this", "module.az[1].fake_network.this"]
    );
    assert_eq!(
        after(&p, "module.az[1].fake_network.this").get_str("name"),
        Some("fake-1b")
    );
    assert_eq!(p.module_instances, BTreeMap::from([(call("module.az"), Value::int(2))]));
    w.apply(&cfg, p).await;
    assert_eq!(
        w.state().outputs["zones"].value,
        Value::List(vec!["fake-1a".into(), "fake-1b".into()])
    );
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
}

#[tokio::test]
async fn nested_deferred_calls_are_expanded_in_turn() {
    let w = World::new();
    let cfg = w.config(
        r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "fake_subnet" "s" {
  for_each   = toset(["a", "b"])
  network_id = fake_network.main.id
  cidr_block = "10.0.1.0/24"
}
module "outer" {
  source   = "./modules/outer"
  for_each = fake_subnet.s
  region   = each.key
}
output "zones" { value = { for k, m in module.outer : k => m.zones } }
"#,
    );
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    let modules: Vec<String> = changed(&p).into_iter().filter(|a| a.starts_with("module.")).collect();
    assert_eq!(
        modules,
        [
            "module.outer[\"a\"].module.az[0].fake_network.this",
            "module.outer[\"a\"].module.az[1].fake_network.this",
            "module.outer[\"b\"].module.az[0].fake_network.this",
            "module.outer[\"b\"].module.az[1].fake_network.this",
        ]
    );
    assert_eq!(
        after(&p, "module.outer[\"b\"].module.az[0].fake_network.this").get_str("name"),
        Some("ba")
    );
    assert_eq!(
        p.module_instances,
        BTreeMap::from([
            (
                call("module.outer"),
                Value::map([("a", Value::Null), ("b", Value::Null)])
            ),
            (call("module.outer[\"a\"].module.az"), Value::int(2)),
            (call("module.outer[\"b\"].module.az"), Value::int(2)),
        ])
    );
    w.apply(&cfg, p).await;
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
}

/// for_each over the IDs of subnets not created yet.
const BY_ID: &str = r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "fake_subnet" "a" {
  count      = 2
  network_id = fake_network.main.id
  cidr_block = "10.0.${count.index}.0/24"
}
module "x" {
  source    = "./modules/svc"
  for_each  = toset(fake_subnet.a[*].id)
  subnet_id = each.key
  name      = "x"
}
"#;

#[tokio::test]
async fn for_each_from_unknown_ids_is_refused_until_they_exist() {
    let w = World::new();
    let cfg = w.config(BY_ID);
    let d = w.plan(&cfg, PlanOptions::default()).await.unwrap_err();
    let text = crate::diag::render(&d, &cfg.sources);
    assert!(text.contains("Invalid for_each argument"), "{text}");
    assert!(text.contains("The \"for_each\" set of module.x includes values derived from resource attributes that cannot be determined until apply"), "{text}");
    assert!(
        text.contains("use --target to first apply only the resources that the for_each depends on"),
        "{text}"
    );
    let line = BY_ID.lines().position(|l| l.contains("toset(fake_subnet")).unwrap() + 1;
    assert!(text.contains(&format!("main.tf:{line}")), "{text}");
    assert_eq!(d.errors().count(), 1, "{text}");
    assert_eq!(w.fake.cloud.count(""), 0);
    // The workaround: the subnets first. The module call is not part of that plan.
    let targeted = PlanOptions {
        targets: vec!["fake_subnet.a".parse().unwrap()],
        ..Default::default()
    };
    let p = w.plan(&cfg, targeted).await.expect("targeted plan");
    assert_eq!(
        changed(&p),
        ["fake_network.main", "fake_subnet.a[0]", "fake_subnet.a[1]"]
    );
    assert!(p.module_instances.is_empty());
    w.apply(&cfg, p).await;
    // Now the IDs are in state, unchanged: the keys are known.
    let ids: Vec<String> = (0..2)
        .map(|i| {
            w.state().resources[&format!("fake_subnet.a[{i}]").parse().unwrap()]
                .id()
                .unwrap()
                .to_string()
        })
        .collect();
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    let mut want: Vec<String> = ids
        .iter()
        .map(|id| format!("module.x[\"{id}\"].fake_network.this"))
        .collect();
    want.sort();
    assert_eq!(changed(&p), want);
    let this = after(&p, &want[0]);
    assert!(
        this.get("tags")
            .and_then(|t| t.get_str("subnet"))
            .is_some_and(|s| s.starts_with("subnet-"))
    );
    w.apply(&cfg, p).await;
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
}

#[tokio::test]
async fn unknown_counts_and_cycles_through_deferred_outputs_are_errors() {
    let w = World::new();
    let cfg = w.config(
        r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
}
module "az" {
  source = "./modules/az"
  count  = length(fake_network.main.id)
  zone   = "z"
}
"#,
    );
    let d = w.plan(&cfg, PlanOptions::default()).await.unwrap_err();
    let text = crate::diag::render(&d, &cfg.sources);
    assert!(text.contains("Invalid count argument"), "{text}");
    assert!(
        text.contains(
            "The \"count\" value of module.az depends on resource attributes that cannot be determined until apply"
        ),
        "{text}"
    );
    assert!(text.contains("main.tf:7"), "{text}");
    // A resource the for_each depends on, depending on the module's outputs: a cycle, as in Terraform.
    let cfg = w.config(
        r#"
resource "fake_network" "main" {
  cidr_block = "10.0.0.0/16"
  name       = module.svc["a"].name
}
module "svc" {
  source    = "./modules/svc"
  for_each  = { a = fake_network.main.id }
  subnet_id = each.value
  name      = "svc"
}
"#,
    );
    let d = w.plan(&cfg, PlanOptions::default()).await.unwrap_err();
    assert!(format!("{d:?}").contains("Cycle"), "{d:?}");
}

#[tokio::test]
async fn a_saved_plan_applies_the_planned_instances() {
    let w = World::new();
    let cfg = w.config(BY_SUBNET);
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    let text = planfile::encode(&p);
    let saved = planfile::decode(&text, "plan").expect("decodes");
    assert_eq!(saved.module_instances, p.module_instances);
    // A plan file of an earlier version, without the field, still loads.
    let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
    old.as_object_mut().unwrap().remove("module_instances");
    let old = planfile::decode(&old.to_string(), "plan").expect("old plan file decodes");
    assert!(old.module_instances.is_empty());
    // Policy sees the planned instances.
    let world = crate::policy::World::from_plan(&saved).expect("world");
    let addrs: Vec<String> = world.instances.iter().map(|i| i.addr.to_string()).collect();
    assert!(
        addrs.contains(&"module.svc[\"b\"].fake_network.this".to_string()),
        "{addrs:?}"
    );
    // Applied from its own copy of the configuration.
    let (loaded, d) = Config::load_saved(&saved.config_dir, &saved.sources);
    assert!(!d.has_errors(), "{d:?}");
    let o = w.apply(&Arc::new(loaded), saved).await;
    assert_eq!(o.added, 5);
    let st = w.state();
    for k in ["a", "b"] {
        let subnet = st.resources[&format!("fake_subnet.private[\"{k}\"]").parse().unwrap()]
            .id()
            .unwrap();
        let svc = &st.resources[&format!("module.svc[\"{k}\"].fake_network.this").parse().unwrap()];
        assert_eq!(svc.value.get("tags").and_then(|t| t.get_str("subnet")), Some(subnet));
    }
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
}

#[tokio::test]
async fn targeting_an_instance_of_a_deferred_module() {
    let w = World::new();
    let cfg = w.config(BY_SUBNET);
    // A module target: the instance's resources and what they, and the for_each, depend on.
    let p = w
        .plan(
            &cfg,
            PlanOptions {
                module_targets: vec![call("module.svc[\"a\"]")],
                ..Default::default()
            },
        )
        .await
        .expect("plan");
    assert_eq!(
        changed(&p),
        [
            "fake_network.main",
            "fake_subnet.private[\"a\"]",
            "fake_subnet.private[\"b\"]",
            "module.svc[\"a\"].fake_network.this",
        ]
    );
    w.apply(&cfg, p).await;
    // A resource target inside the other instance.
    let p = w
        .plan(
            &cfg,
            PlanOptions {
                targets: vec!["module.svc[\"b\"].fake_network.this".parse().unwrap()],
                ..Default::default()
            },
        )
        .await
        .expect("plan");
    assert_eq!(changed(&p), ["module.svc[\"b\"].fake_network.this"]);
    assert_eq!(
        after(&p, "module.svc[\"b\"].fake_network.this")
            .get("tags")
            .and_then(|t| t.get_str("subnet")),
        w.state().resources[&"fake_subnet.private[\"b\"]".parse().unwrap()].id()
    );
    // An instance the for_each does not produce names nothing.
    let d = w
        .plan(
            &cfg,
            PlanOptions {
                module_targets: vec![call("module.svc[\"c\"]")],
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        format!("{d:?}").contains("--target module.svc[\\\"c\\\"]: there is no module instance"),
        "{d:?}"
    );
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert_eq!(changed(&p), ["module.svc[\"b\"].fake_network.this"]);
    assert_eq!(p.changes.iter().find(|c| !c.is_noop()).unwrap().action, Action::Create);
}

#[tokio::test]
async fn a_call_depending_only_on_variables_is_expanded_as_before() {
    let w = World::new();
    let root = r#"
variable "zones" {
  default = { a = "10.0.1.0/24", b = "10.0.2.0/24" }
}
module "svc" {
  source    = "./modules/svc"
  for_each  = var.zones
  subnet_id = each.value
  name      = "svc-${each.key}"
}
"#;
    let cfg = w.config(root);
    let vars = BTreeMap::from([(
        "zones".to_string(),
        Value::map([("a", Value::from("10.0.1.0/24")), ("b", Value::from("10.0.2.0/24"))]),
    )]);
    let (flat, d) = crate::config::expand(&cfg, Some(&vars), "default");
    assert!(!d.has_errors(), "{d:?}");
    assert!(flat.deferred.is_empty());
    assert!(!flat.locals.contains_key("module.svc.for_each"));
    assert!(
        flat.resources.contains_key(
            &"module.svc[\"b\"].fake_network.this"
                .parse::<crate::addrs::InstanceAddr>()
                .unwrap()
                .resource
        )
    );
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(p.module_instances.is_empty());
    assert_eq!(
        changed(&p),
        [
            "module.svc[\"a\"].fake_network.this",
            "module.svc[\"b\"].fake_network.this"
        ]
    );
    assert_eq!(
        after(&p, "module.svc[\"a\"].fake_network.this")
            .get("tags")
            .and_then(|t| t.get_str("subnet")),
        Some("10.0.1.0/24")
    );
}

#[tokio::test]
async fn validate_and_offline_plans_see_a_deferred_module_once() {
    let w = World::new();
    let cfg = w.config(
        r#"
data "fake_zones" "this" {}
module "az" {
  source = "./modules/az"
  count  = length(data.fake_zones.this.names)
  zone   = data.fake_zones.this.names[count.index]
}
"#,
    );
    // Without variables, every call once with unknown keys, as before.
    let (flat, _) = crate::config::expand(&cfg, None, "default");
    assert!(flat.deferred.is_empty());
    assert!(
        flat.resources
            .keys()
            .any(|a| a.module == ModulePath::root().child("az", InstanceKey::None))
    );
    let d = crate::validate::validate(cfg.clone(), &w.providers, false);
    assert!(!d.has_errors(), "{d:?}");
    // Offline (cost, policy): the data source is not read, so the module is one instance of unknown keys.
    let p = w
        .plan(
            &cfg,
            PlanOptions {
                refresh: false,
                offline: true,
                ..Default::default()
            },
        )
        .await
        .expect("offline plan");
    assert_eq!(changed(&p), ["module.az.fake_network.this"]);
    assert_eq!(
        p.module_instances,
        BTreeMap::from([(call("module.az"), Value::Unknown)])
    );
    assert!(p.notes.iter().any(|n| n.addr == "module.az"), "{:?}", p.notes);
    let world = crate::policy::World::from_plan(&p).expect("world");
    assert_eq!(world.instances.len(), 1);
}

#[tokio::test]
async fn moved_blocks_inside_a_deferred_module_rename_its_objects() {
    let w = World::new();
    w.apply(
        &w.config(BY_SUBNET),
        w.plan(&w.config(BY_SUBNET), PlanOptions::default())
            .await
            .expect("plan"),
    )
    .await;
    let renamed = SVC_MOD
        .replace("\"fake_network\" \"this\"", "\"fake_network\" \"main\"")
        .replace("fake_network.this.name", "fake_network.main.name")
        + "moved {\n  from = fake_network.this\n  to   = fake_network.main\n}\n";
    let cfg = w.config_with(BY_SUBNET, &renamed);
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "{:?}", changed(&p));
    let mut moved: Vec<String> = p.moved.iter().map(|(f, t)| format!("{f} -> {t}")).collect();
    moved.sort();
    assert_eq!(
        moved,
        [
            "module.svc[\"a\"].fake_network.this -> module.svc[\"a\"].fake_network.main",
            "module.svc[\"b\"].fake_network.this -> module.svc[\"b\"].fake_network.main",
        ]
    );
    w.apply(&cfg, p).await;
    assert!(
        w.state()
            .resources
            .contains_key(&"module.svc[\"b\"].fake_network.main".parse().unwrap())
    );
}

#[tokio::test]
async fn a_deferred_module_is_checked_as_the_others_are() {
    let w = World::new();
    let bad = SVC_MOD.replace(
        "  tags       = { subnet = var.subnet_id }\n",
        "  tags       = { subnet = var.subnet_id }\n  lifecycle {\n    ignore_changes = [nope]\n  }\n",
    );
    let cfg = w.config_with(BY_SUBNET, &bad);
    let d = w.plan(&cfg, PlanOptions::default()).await.unwrap_err();
    let text = crate::diag::render(&d, &cfg.sources);
    assert_eq!(
        text.matches("has no attribute \"nope\" to ignore changes of").count(),
        2,
        "once per instance: {text}"
    );
}

#[tokio::test]
async fn import_blocks_into_a_deferred_module_instance() {
    let w = World::new();
    w.apply(
        &w.config(BY_SUBNET),
        w.plan(&w.config(BY_SUBNET), PlanOptions::default())
            .await
            .expect("plan"),
    )
    .await;
    let addr: crate::addrs::InstanceAddr = "module.svc[\"a\"].fake_network.this".parse().unwrap();
    let id = w.state().resources[&addr].id().unwrap().to_string();
    // The module instance's object is lost from the state; it is still in the cloud.
    let mut st = w.store.load().await.unwrap().unwrap();
    st.resources.remove(&addr);
    w.store.persist(&mut st).await.unwrap();
    let with_import =
        format!("{BY_SUBNET}\nimport {{\n  to = module.svc[\"a\"].fake_network.this\n  id = \"{id}\"\n}}\n");
    let cfg = w.config(&with_import);
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&p).is_empty(), "nothing created: {:?}", changed(&p));
    assert_eq!(p.imported, vec![(addr.clone(), id)]);
    w.apply(&cfg, p).await;
    assert!(w.state().resources.contains_key(&addr));
    assert_eq!(w.fake.cloud.count("net-"), 3, "imported, not created again");
}

/// A call whose count reads the outputs of a call named after it (`app` before `zones`): expanded after
/// it, as Terraform orders them by reference, not by name.
#[tokio::test]
async fn a_count_from_the_outputs_of_a_module_named_after_it() {
    let w = World::new();
    let cfg = w.config(
        r#"
module "app" {
  source    = "./modules/svc"
  count     = length(module.zones.zones)
  subnet_id = module.zones.zones[count.index]
  name      = "app-${count.index}"
}
module "zones" {
  source = "./modules/outer"
  region = "r1"
}
"#,
    );
    let p = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert_eq!(
        changed(&p),
        [
            "module.app[0].fake_network.this",
            "module.app[1].fake_network.this",
            "module.zones.data.fake_zones.z",
            "module.zones.module.az[0].fake_network.this",
            "module.zones.module.az[1].fake_network.this",
        ]
        .iter()
        .filter(|a| !a.contains("data."))
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
    );
    w.apply(&cfg, p).await;
    let again = w.plan(&cfg, PlanOptions::default()).await.expect("plan");
    assert!(changed(&again).is_empty(), "{:?}", changed(&again));
}
