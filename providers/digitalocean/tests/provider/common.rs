//! Test support: a configured provider client against the double behind Prism, operation contexts, and a
//! small stand-in for the engine's generic plan (defaults, computed attributes, force-new detection).

use infra_provider::{OpContext, Path, PlanRequest, Provider, ProviderClient, Schema, Value};
use infra_testkit::digitalocean::DoApi;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

pub struct Env {
    pub api: DoApi,
    pub provider: Arc<dyn Provider>,
    pub client: Arc<dyn ProviderClient>,
}

/// A provider configured for a fresh tenant of the shared double (through Prism when available).
pub async fn setup() -> Env {
    let api = tokio::task::spawn_blocking(DoApi::start)
        .await
        .expect("start the DigitalOcean API");
    let provider = infra_digitalocean::provider();
    let config = Value::map([
        ("token", Value::string(api.token.clone())),
        ("api_endpoint", Value::string(api.api_endpoint.clone())),
    ]);
    let client = provider.configure(&config).await.expect("configure the provider");
    Env { api, provider, client }
}

impl Env {
    pub fn schema(&self, type_name: &str) -> Schema {
        self.provider
            .schema()
            .resources
            .get(type_name)
            .cloned()
            .unwrap_or_else(|| panic!("no schema for {type_name}"))
    }

    /// Plans a create the way the engine does: configuration, defaults, computed attributes unknown.
    pub fn plan_create(&self, type_name: &str, config: Vec<(&str, Value)>) -> Value {
        let (planned, _) = self.plan(type_name, None, config);
        planned
    }

    /// Plans a change of `prior` to `config`: returns the planned object and the replace paths.
    pub fn plan(&self, type_name: &str, prior: Option<&Value>, config: Vec<(&str, Value)>) -> (Value, Vec<Path>) {
        let schema = self.schema(type_name);
        let config = config_object(&schema, config);
        let mut planned = config.clone();
        let mut replace = Vec::new();
        for (name, attr) in &schema.block.attributes {
            let set = config.get(name).is_some_and(|v| !v.is_null());
            if !set {
                let v = if let Some(d) = &attr.default {
                    d.clone()
                } else if attr.computed {
                    match prior {
                        Some(p) => p.get(name).cloned().unwrap_or(Value::Null),
                        None => Value::Unknown,
                    }
                } else {
                    Value::Null
                };
                planned.set_attr(name, v);
            }
            if let Some(p) = prior
                && attr.force_new
                && !same(p.get(name), planned.get(name), attr.case_insensitive)
            {
                replace.push(Path::attr(name));
            }
        }
        for (name, nb) in &schema.block.blocks {
            // Computed attributes a list block's element leaves out keep the prior element's value, or
            // are unknown when there is none.
            if nb.nesting == infra_provider::Nesting::List
                && let Some(items) = planned.get(name).and_then(Value::as_list).map(<[Value]>::to_vec)
            {
                let prior_items = prior.map(|p| p.get_list(name).to_vec()).unwrap_or_default();
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut item)| {
                        for (k, a) in &nb.block.attributes {
                            if a.computed && item.get(k).is_none_or(Value::is_null) {
                                let v = prior_items.get(i).and_then(|p| p.get(k)).cloned();
                                item.set_attr(k, v.unwrap_or(Value::Unknown));
                            }
                        }
                        item
                    })
                    .collect();
                planned.set_attr(name, Value::List(items));
            }
            if let Some(p) = prior
                && nb.force_new
                && p.get(name) != planned.get(name)
            {
                replace.push(Path::attr(name));
            }
        }
        let req = PlanRequest {
            type_name,
            prior,
            config: &config,
            planned: &mut planned,
            requires_replace: &mut replace,
        };
        self.client
            .plan(req)
            .unwrap_or_else(|e| panic!("plan {type_name}: {e}"));
        (planned, replace)
    }

    /// Plans, expecting the provider to refuse the change.
    pub fn plan_err(&self, type_name: &str, prior: Option<&Value>, config: Vec<(&str, Value)>) -> String {
        let schema = self.schema(type_name);
        let config = config_object(&schema, config);
        let mut planned = config.clone();
        let mut replace = Vec::new();
        let req = PlanRequest {
            type_name,
            prior,
            config: &config,
            planned: &mut planned,
            requires_replace: &mut replace,
        };
        self.client
            .plan(req)
            .expect_err("the plan should be refused")
            .to_string()
    }

    /// The double's request log of this test, as `METHOD path?query` lines.
    pub fn requests(&self) -> Vec<String> {
        self.api
            .control()
            .requests()
            .into_iter()
            .map(|(m, p, q)| {
                if q.is_empty() {
                    format!("{m} {p}")
                } else {
                    format!("{m} {p}?{q}")
                }
            })
            .collect()
    }

    /// A raw API call with this test's token (through Prism when available). Fails the test, showing
    /// the violations, when Prism finds the request or the response does not match the description.
    pub async fn raw(&self, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
        let (status, v) = raw(&self.api.api_endpoint, &self.api.token, method, path, body).await;
        assert!(
            v.get("validation").is_none(),
            "OpenAPI violations in {method} {path} (HTTP {status}): {v:#}"
        );
        (status, v)
    }

    /// A raw API call that may be refused by the validating proxy.
    pub async fn raw_unchecked(&self, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
        raw(&self.api.api_endpoint, &self.api.token, method, path, body).await
    }
}

fn same(a: Option<&Value>, b: Option<&Value>, case_insensitive: bool) -> bool {
    let norm = |v: Option<&Value>| match v {
        None | Some(Value::Null) => Value::Null,
        Some(v) if v.as_list().is_some_and(<[Value]>::is_empty) => Value::Null,
        Some(Value::String(s)) if case_insensitive => Value::string(s.to_lowercase()),
        Some(v) => v.clone(),
    };
    norm(a) == norm(b)
}

/// A configuration object: every attribute null and every block empty, then the given arguments.
pub fn config_object(schema: &Schema, config: Vec<(&str, Value)>) -> Value {
    let mut v = Value::empty_map();
    for name in schema.block.attributes.keys() {
        v.set_attr(name, Value::Null);
    }
    for (name, nb) in &schema.block.blocks {
        let empty = match nb.nesting {
            infra_provider::Nesting::Set => Value::Set(Vec::new()),
            _ => Value::List(Vec::new()),
        };
        v.set_attr(name, empty);
    }
    for (k, val) in config {
        v.set_attr(k, val);
    }
    v
}

/// An operation context with fast polling.
pub fn ctx(address: &str) -> OpContext {
    let mut c = OpContext::new(
        address,
        "lineage-test-0001",
        format!("token-{address}"),
        Duration::from_secs(60),
    );
    c.poll_interval = Duration::from_millis(5);
    c
}

/// A raw API call.
pub async fn raw(base: &str, token: &str, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
    let http = reqwest::Client::new();
    let mut req = http
        .request(method.parse().expect("method"), format!("{base}{path}"))
        .bearer_auth(token)
        .header("accept", "application/json");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Json::Null))
}

/// A string set value.
pub fn sset(items: &[&str]) -> Value {
    Value::string_set(items.iter().copied())
}

pub fn s(x: &str) -> Value {
    Value::string(x)
}
