//! Test support: a moto server per test, the provider configured against it, a small planner that does
//! what the engine's generic diff does (defaults, computed attributes unknown on create, kept on update),
//! and an API call counter.

use infra_aws::client::AwsClient;
use infra_aws::config::{AwsConfig, ENDPOINT_SERVICES};
use infra_provider::{Block, Nesting, OpContext, Path, PlanRequest, Provider, ProviderClient, Result, Schema, Value};
use infra_testkit::Moto;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const LINEAGE: &str = "7f1c2a8e-0000-4000-8000-lineage-test";

/// One test's world: its moto server, the configured provider, and a direct client for out-of-band work.
pub struct World {
    pub moto: Moto,
    pub provider: Arc<dyn Provider>,
    pub client: Arc<dyn ProviderClient>,
    /// The same configuration as `client`, for direct SDK calls (out-of-band changes, checks).
    pub aws: AwsClient,
}

/// The provider block pointing every service at `moto`, plus `extra` attributes.
pub fn provider_config(moto: &Moto, extra: &[(&str, Value)]) -> Value {
    let endpoints = Value::map(ENDPOINT_SERVICES.iter().map(|s| (*s, Value::string(moto.endpoint()))));
    let mut v = Value::map([
        ("region", Value::from("us-east-1")),
        ("access_key", Value::from("testing")),
        ("secret_key", Value::from("testing")),
        ("skip_metadata_api_check", Value::from("true")),
        ("endpoints", Value::List(vec![endpoints])),
    ]);
    for (k, x) in extra {
        v.set_attr(k, x.clone());
    }
    v
}

pub async fn world() -> World {
    world_with(&[]).await
}

pub async fn world_with(extra: &[(&str, Value)]) -> World {
    let moto = Moto::start();
    let config = provider_config(&moto, extra);
    let provider = infra_aws::provider();
    let client = provider.configure(&config).await.expect("configure the provider");
    let aws = AwsConfig::from_value(&config).unwrap().connect().await.unwrap();
    World {
        moto,
        provider,
        client,
        aws,
    }
}

/// `default_tags { tags = {...} }` as a provider block attribute.
pub fn default_tags(pairs: &[(&str, &str)]) -> (&'static str, Value) {
    (
        "default_tags",
        Value::List(vec![Value::map([("tags", Value::string_map(pairs.iter().copied()))])]),
    )
}

pub fn ctx(address: &str) -> OpContext {
    ctx_with_token(address, &format!("token-{address}"))
}

pub fn ctx_with_token(address: &str, token: &str) -> OpContext {
    let mut c = OpContext::new(address, LINEAGE, token, Duration::from_secs(120));
    c.poll_interval = Duration::from_millis(20);
    c
}

/// The planned value of a block, as the engine's generic diff makes it.
fn plan_block(block: &Block, prior: Option<&Value>, config: &Value) -> Value {
    let mut out = Value::empty_map();
    for (name, a) in &block.attributes {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let v = if !cfg.is_null() {
            cfg
        } else if let Some(d) = &a.default {
            d.clone()
        } else if a.computed {
            match prior {
                Some(p) => p.get(name).cloned().unwrap_or(Value::Null),
                None => Value::Unknown,
            }
        } else {
            Value::Null
        };
        out.set_attr(name, v);
    }
    for (name, nb) in &block.blocks {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let v = if cfg.is_null() {
            if nb.computed {
                match prior {
                    Some(p) => p.get(name).cloned().unwrap_or(Value::Null),
                    None => Value::Unknown,
                }
            } else if nb.nesting == Nesting::Set {
                Value::Set(vec![])
            } else {
                Value::List(vec![])
            }
        } else {
            // As the engine: list elements take the prior element at the same index, set elements the
            // prior element whose configured attributes match, so computed attributes inside carry over.
            let prior_items = prior.and_then(|p| p.get(name)).and_then(Value::as_list).unwrap_or(&[]);
            let items: Vec<Value> = cfg
                .as_list()
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let p = if nb.nesting == Nesting::Set {
                        prior_items.iter().find(|p| {
                            nb.block.attributes.keys().all(|k| {
                                let c = x.get(k).unwrap_or(&Value::Null);
                                c.is_null() || p.get(k) == Some(c)
                            })
                        })
                    } else {
                        prior_items.get(i)
                    };
                    plan_block(&nb.block, p, x)
                })
                .collect();
            if nb.nesting == Nesting::Set {
                Value::set(items)
            } else {
                Value::List(items)
            }
        };
        out.set_attr(name, v);
    }
    out
}

pub fn schema_of(w: &World, type_name: &str) -> Schema {
    w.provider
        .schema()
        .resources
        .get(type_name)
        .unwrap_or_else(|| panic!("no schema for {type_name}"))
        .clone()
}

/// Plans `config` against `prior` (None = create): the planned value and the replacement paths.
pub fn plan(w: &World, type_name: &str, prior: Option<&Value>, config: &Value) -> Result<(Value, Vec<Path>)> {
    let schema = schema_of(w, type_name);
    let mut planned = plan_block(&schema.block, prior, config);
    let mut replace = Vec::new();
    if let Some(p) = prior {
        for (name, a) in &schema.block.attributes {
            if a.force_new {
                let (old, new) = (
                    p.get(name).cloned().unwrap_or_default(),
                    planned.get(name).cloned().unwrap_or_default(),
                );
                if !new.is_unknown() && old != new {
                    replace.push(Path::attr(name));
                }
            }
        }
        // A changed nested block that forces replacement (as a whole, or by an attribute inside).
        for (name, b) in &schema.block.blocks {
            let (old, new) = (
                p.get(name).cloned().unwrap_or_default(),
                planned.get(name).cloned().unwrap_or_default(),
            );
            if (b.force_new || forces_inside(&b.block)) && !new.is_unknown() && old != new {
                replace.push(Path::attr(name));
            }
        }
    }
    w.client.plan(PlanRequest {
        type_name,
        prior,
        config,
        planned: &mut planned,
        requires_replace: &mut replace,
    })?;
    Ok((planned, replace))
}

fn forces_inside(b: &infra_provider::Block) -> bool {
    b.attributes.values().any(|a| a.force_new) || b.blocks.values().any(|n| n.force_new || forces_inside(&n.block))
}

/// Plans and creates.
pub async fn create(w: &World, type_name: &str, address: &str, config: &Value) -> Value {
    let (planned, _) = plan(w, type_name, None, config).unwrap_or_else(|e| panic!("plan {address}: {e}"));
    w.client
        .create(&ctx(address), type_name, &planned)
        .await
        .unwrap_or_else(|e| panic!("create {address}: {e}"))
}

/// Plans and updates in place (asserting the plan replaces nothing).
pub async fn update(w: &World, type_name: &str, address: &str, prior: &Value, config: &Value) -> Value {
    let (planned, replace) = plan(w, type_name, Some(prior), config).unwrap_or_else(|e| panic!("plan {address}: {e}"));
    assert!(replace.is_empty(), "{address}: unexpected replacement of {replace:?}");
    w.client
        .update(&ctx(address), type_name, prior, &planned)
        .await
        .unwrap_or_else(|e| panic!("update {address}: {e}"))
}

/// Reads one object.
pub async fn read(w: &World, type_name: &str, prior: &Value) -> Option<Value> {
    w.client
        .read(type_name, std::slice::from_ref(prior))
        .await
        .pop()
        .unwrap()
        .unwrap()
}

/// Asserts that planning `config` against `current` changes nothing (top-level empty maps, lists and sets
/// count as null, as the engine compares them).
pub fn assert_no_diff(w: &World, type_name: &str, current: &Value, config: &Value) {
    let (planned, replace) = plan(w, type_name, Some(current), config).unwrap();
    assert!(replace.is_empty(), "unexpected replacement: {replace:?}");
    assert_eq!(
        empties_as_null(&planned),
        empties_as_null(current),
        "planned differs from current"
    );
}

/// Top-level empty maps, lists and sets as null, as the engine compares them.
fn empties_as_null(v: &Value) -> Value {
    Value::Map(
        v.as_map()
            .unwrap()
            .iter()
            .map(|(k, x)| {
                let empty = matches!(x, Value::Map(m) if m.is_empty())
                    || matches!(x, Value::List(l) | Value::Set(l) if l.is_empty());
                (k.clone(), if empty { Value::Null } else { x.clone() })
            })
            .collect(),
    )
}

/// The planned object as the engine plans it: `config` through the test planner, every write-only
/// attribute null (the engine never plans or stores one).
pub fn plan_as_engine(w: &World, type_name: &str, prior: &Value, config: &Value) -> (Value, Vec<Path>) {
    let (mut planned, replace) = plan(w, type_name, Some(prior), config).expect("plan");
    for (name, a) in &schema_of(w, type_name).block.attributes {
        if a.write_only {
            planned.set_attr(name, Value::Null);
        }
    }
    (planned, replace)
}

/// [`assert_no_diff`] for a configuration with write-only arguments.
pub fn assert_no_diff_write_only(w: &World, type_name: &str, current: &Value, config: &Value) {
    let (planned, replace) = plan_as_engine(w, type_name, current, config);
    assert!(replace.is_empty(), "unexpected replacement: {replace:?}");
    assert_eq!(
        empties_as_null(&planned),
        empties_as_null(current),
        "planned differs from current"
    );
}

pub fn id(v: &Value) -> String {
    v.get_str("id").expect("an id").to_string()
}

/// Records the API call events (`infra::api`) emitted on this thread while alive.
pub struct ApiCalls {
    calls: Arc<Mutex<Vec<(String, String)>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl ApiCalls {
    pub fn record() -> ApiCalls {
        use tracing_subscriber::layer::SubscriberExt;
        let calls = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Recorder(calls.clone()));
        let guard = tracing::subscriber::set_default(subscriber);
        // Another test's thread may have cached "nobody listens" for the call event while this
        // subscriber was being set: ask every callsite again.
        tracing::callsite::rebuild_interest_cache();
        ApiCalls { calls, _guard: guard }
    }
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

struct Recorder(Arc<Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != infra_aws::interceptor::API_TARGET {
            return;
        }
        #[derive(Default)]
        struct Fields(String, String);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "service" => self.0 = value.to_string(),
                    "operation" => self.1 = value.to_string(),
                    _ => {}
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.record_str(field, &format!("{value:?}"));
            }
        }
        let mut f = Fields::default();
        event.record(&mut f);
        self.0.lock().unwrap().push((f.0, f.1));
    }
}

/// Tags an EC2 resource has in the cloud (ownership tags included).
pub async fn ec2_tags(w: &World, id: &str) -> std::collections::BTreeMap<String, String> {
    let out = w
        .aws
        .ec2()
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Asserts the ownership tags are in the cloud but not in the returned `tags`/`tags_all`.
pub async fn assert_ownership_tags_hidden(
    w: &World,
    v: &Value,
    cloud: &std::collections::BTreeMap<String, String>,
    address: &str,
) {
    let _ = w;
    assert_eq!(
        cloud.get(infra_provider::TAG_ADDRESS).map(String::as_str),
        Some(address),
        "cloud tags: {cloud:?}"
    );
    assert_eq!(
        cloud.get(infra_provider::TAG_LINEAGE).map(String::as_str),
        Some(LINEAGE)
    );
    for key in ["tags", "tags_all"] {
        let m = v.get_string_map(key);
        assert!(
            m.keys().all(|k| !k.starts_with("infra:")),
            "{key} shows ownership tags: {m:?}"
        );
    }
}
