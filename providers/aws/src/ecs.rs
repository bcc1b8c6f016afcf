//! ECS helpers shared by `aws_ecs_cluster`, `aws_ecs_cluster_capacity_providers`, `aws_ecs_task_definition`
//! and `aws_ecs_service`:
//!
//! - tags: ECS tags from/to pairs, `TagResource`/`UntagResource` updates;
//! - capacity provider strategies ([`strategy_block`], [`strategy_items`], [`flatten_strategy`]): a
//!   service's `capacity_provider_strategy` and a cluster's `default_capacity_provider_strategy`;
//! - [`RawJson`]: container definitions travel as the user's JSON document, untouched. The SDK models
//!   them as typed structs without a JSON form, so `RegisterTaskDefinition` is sent with the document
//!   spliced into the request body ([`RawJson::splice`], before signing), and `DescribeTaskDefinition`'s
//!   document is taken from the raw response body ([`RawJson::capture`]). Every field the ECS API knows
//!   round-trips, including ones this crate never names;
//! - [`normalize_container_definitions`] — Terraform's equivalence of container definitions (order of
//!   containers, environment and secrets, API defaults such as `essential = true`, empty lists, `tcp`
//!   protocol, host ports in `awsvpc` mode).

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::TagChanges;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, Tag};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use infra_provider::{Attribute, Block, Check, ProviderError, Result, Type, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// ECS tags from a map.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// ECS tags as pairs.
pub fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Applies tag changes to one ECS resource.
pub async fn update_tags(c: &AwsClient, arn: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.ecs()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.ecs()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(&ch.set)))
            .send()
            .await
            .map_err(aws_err(format!("tagging {arn}")))?;
    }
    Ok(())
}

/// One capacity provider strategy item, as hashicorp/aws has it (`capacity_provider_strategy` of
/// `aws_ecs_service`, `default_capacity_provider_strategy` of `aws_ecs_cluster_capacity_providers`, both sets):
/// `capacity_provider` (required), `weight` 0..=1000 and `base` 0..=100000.
///
/// `weight` and `base` default to 0, the API's default: ECS reports both for every item, and Terraform
/// stores an unset one as 0 (a `Default` of the cluster's block; the SDK's zero value in the service's), so an
/// item written without them plans no change against what was read back.
pub fn strategy_block() -> Block {
    Block::new()
        .attr("capacity_provider", Attribute::required(Type::String))
        .attr(
            "weight",
            Attribute::optional(Type::Number)
                .default(0)
                .check(Check::IntRange(0, 1000)),
        )
        .attr(
            "base",
            Attribute::optional(Type::Number)
                .default(0)
                .check(Check::IntRange(0, 100_000)),
        )
}

/// The items of a strategy block (a set) as the API's strategy.
pub fn strategy_items(items: &[Value]) -> Result<Vec<CapacityProviderStrategyItem>> {
    items
        .iter()
        .map(|i| {
            CapacityProviderStrategyItem::builder()
                .set_capacity_provider(i.get_str("capacity_provider").map(str::to_string))
                .weight(i.get_i64("weight").unwrap_or(0) as i32)
                .base(i.get_i64("base").unwrap_or(0) as i32)
                .build()
                .map_err(|e| ProviderError::invalid(format!("capacity provider strategy: {e}")))
        })
        .collect()
}

/// The API's strategy as a strategy block (a set; empty when there is none).
pub fn flatten_strategy(items: &[CapacityProviderStrategyItem]) -> Value {
    Value::set(
        items
            .iter()
            .map(|i| {
                Value::map([
                    ("capacity_provider", Value::string(i.capacity_provider())),
                    ("weight", Value::int(i.weight() as i64)),
                    ("base", Value::int(i.base() as i64)),
                ])
            })
            .collect(),
    )
}

/// A JSON document carried past the SDK's typed model (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct RawJson {
    captured: Arc<Mutex<Option<Vec<u8>>>>,
}

impl RawJson {
    pub fn new() -> RawJson {
        RawJson::default()
    }

    /// An interceptor keeping the raw response body of the operation it is added to.
    pub fn capture(&self) -> Capture {
        Capture(self.captured.clone())
    }

    /// The captured response body as JSON.
    pub fn json(&self) -> Option<Json> {
        let body = self.captured.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        serde_json::from_slice(&body).ok()
    }

    /// An interceptor replacing the top-level `key` of the JSON request body with `value` (before the
    /// request is signed).
    pub fn splice(key: &'static str, value: Json) -> Splice {
        Splice { key, value }
    }
}

/// See [`RawJson::capture`].
#[derive(Debug)]
pub struct Capture(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "infra-raw-json-capture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes() {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(bytes.to_vec());
        }
        Ok(())
    }
}

/// See [`RawJson::splice`].
#[derive(Debug)]
pub struct Splice {
    key: &'static str,
    value: Json,
}

impl Intercept for Splice {
    fn name(&self) -> &'static str {
        "infra-raw-json-splice"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request_mut();
        let body = req.body().bytes().ok_or("the request body is not in memory")?;
        let mut doc: Json = serde_json::from_slice(body)?;
        let obj = doc.as_object_mut().ok_or("the request body is not a JSON object")?;
        obj.insert(self.key.to_string(), self.value.clone());
        let bytes = serde_json::to_vec(&doc)?;
        let len = bytes.len();
        *req.body_mut() = SdkBody::from(bytes);
        req.headers_mut().insert("content-length", len.to_string());
        Ok(())
    }
}

/// Removes nulls, empty arrays, empty objects and zero-value array elements, deep.
fn prune(v: &mut Json) {
    match v {
        Json::Object(m) => {
            for x in m.values_mut() {
                prune(x);
            }
            m.retain(|_, x| !is_empty(x));
        }
        Json::Array(items) => {
            for x in items.iter_mut() {
                prune(x);
            }
            items.retain(|x| !is_empty(x));
        }
        _ => {}
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Array(a) => a.is_empty(),
        Json::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn sort_by_name(v: Option<&mut Json>) {
    if let Some(Json::Array(items)) = v {
        items.sort_by(|a, b| {
            let key = |x: &Json| x.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
            key(a).cmp(&key(b))
        });
    }
}

/// Container definitions as Terraform compares them (see the module documentation). `None` when the
/// document is not a JSON array.
pub fn normalize_container_definitions(doc: &str, awsvpc: bool) -> Option<Json> {
    let mut v: Json = serde_json::from_str(doc).ok()?;
    let items = v.as_array_mut()?;
    for def in items.iter_mut() {
        let Some(obj) = def.as_object_mut() else { continue };
        if obj.get("cpu").and_then(Json::as_i64) == Some(0) {
            obj.remove("cpu");
        }
        if obj.get("essential").is_none_or(Json::is_null) {
            obj.insert("essential".into(), Json::Bool(true));
        }
        if let Some(hc) = obj.get_mut("healthCheck").and_then(Json::as_object_mut) {
            for (k, d) in [("interval", 30), ("retries", 3), ("timeout", 5)] {
                if hc.get(k).is_none_or(Json::is_null) {
                    hc.insert(k.into(), Json::from(d));
                }
            }
        }
        if let Some(Json::Array(pms)) = obj.get_mut("portMappings") {
            for pm in pms.iter_mut().filter_map(Json::as_object_mut) {
                if pm.get("protocol").and_then(Json::as_str) == Some("tcp") {
                    pm.remove("protocol");
                }
                if pm.get("hostPort").and_then(Json::as_i64) == Some(0) {
                    pm.remove("hostPort");
                }
                if awsvpc
                    && pm.get("hostPort").is_none_or(Json::is_null)
                    && let Some(cp) = pm.get("containerPort").cloned()
                {
                    pm.insert("hostPort".into(), cp);
                }
            }
        }
        sort_by_name(obj.get_mut("environment"));
        sort_by_name(obj.get_mut("secrets"));
    }
    items.sort_by(|a, b| {
        let key = |x: &Json| x.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
        key(a).cmp(&key(b))
    });
    prune(&mut v);
    Some(v)
}

/// Whether two container definition documents mean the same to ECS (Terraform's rule).
pub fn container_definitions_equivalent(a: &str, b: &str, awsvpc: bool) -> bool {
    match (
        normalize_container_definitions(a, awsvpc),
        normalize_container_definitions(b, awsvpc),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_defaults_and_order_do_not_matter() {
        let config = r#"[{"name":"web","image":"nginx:1","portMappings":[{"containerPort":80}],
            "environment":[{"name":"B","value":"2"},{"name":"A","value":"1"}]},
            {"name":"api","image":"api:1","essential":false}]"#;
        let api = r#"[{"name":"api","image":"api:1","essential":false,"cpu":0,"environment":[],
            "mountPoints":[],"volumesFrom":[],"portMappings":[]},
            {"name":"web","image":"nginx:1","cpu":0,"essential":true,
            "portMappings":[{"containerPort":80,"hostPort":80,"protocol":"tcp"}],
            "environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"mountPoints":[],"volumesFrom":[]}]"#;
        assert!(container_definitions_equivalent(config, api, true));
        // Without awsvpc the host port is a real difference.
        assert!(!container_definitions_equivalent(config, api, false));
        let other_image = config.replace("nginx:1", "nginx:2");
        assert!(!container_definitions_equivalent(&other_image, api, true));
        let health = r#"[{"name":"w","image":"i","healthCheck":{"command":["CMD","true"]}}]"#;
        let health_api = r#"[{"name":"w","image":"i","healthCheck":{"command":["CMD","true"],"interval":30,"retries":3,"timeout":5}}]"#;
        assert!(container_definitions_equivalent(health, health_api, false));
    }
}
