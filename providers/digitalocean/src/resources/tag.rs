//! `digitalocean_tag`: a tag, with counts of what carries it.
//!
//! Creating a tag that exists is not an error for the API, so create (and `find_created`, which simply
//! reads the name) are idempotent. The ID is the name. Refresh lists all tags (`GET /v2/tags`).

use crate::client::Client;
use crate::util::{enc, id_of, object};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, Check, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

pub struct Tag;

fn block() -> Block {
    Block::new()
        .id()
        .attr(
            "name",
            Attribute::required(Type::String).force_new().check(Check::Fn(tag_name)),
        )
        .attr("total_resource_count", Attribute::computed(Type::Number))
        .attr("droplets_count", Attribute::computed(Type::Number))
        .attr("images_count", Attribute::computed(Type::Number))
        .attr("volumes_count", Attribute::computed(Type::Number))
        .attr("volume_snapshots_count", Attribute::computed(Type::Number))
        .attr("databases_count", Attribute::computed(Type::Number))
}

fn to_value(t: &Json) -> Value {
    let count = |p: &str| Value::int(t.pointer(p).and_then(Json::as_i64).unwrap_or(0));
    let name = t.get("name").and_then(Json::as_str).unwrap_or("");
    object(
        &block(),
        vec![
            ("id", Value::string(name)),
            ("name", Value::string(name)),
            ("total_resource_count", count("/resources/count")),
            ("droplets_count", count("/resources/droplets/count")),
            ("images_count", count("/resources/images/count")),
            ("volumes_count", count("/resources/volumes/count")),
            ("volume_snapshots_count", count("/resources/volume_snapshots/count")),
            ("databases_count", count("/resources/databases/count")),
        ],
    )
}

/// Tag names allow letters, digits, `-`, `_` and `:` (at most 255).
/// `Check::Fn` for a tag name (see [`valid_tag`]).
fn tag_name(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(n) if !valid_tag(n) => Err(format!(
            "tag {n:?}: tags may contain letters, numbers, colons, dashes, and underscores; at most 255 characters"
        )),
        _ => Ok(()),
    }
}

pub fn valid_tag(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c))
}

#[async_trait]
impl ResourceType<Client> for Tag {
    fn name(&self) -> &'static str {
        "digitalocean_tag"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, _client: &Client, req: &mut infra_provider::PlanRequest<'_>) -> Result<()> {
        if let Some(n) = req.planned.get_str("name")
            && !valid_tag(n)
        {
            return Err(ProviderError::invalid(format!(
                "tag {n:?}: tags may contain letters, numbers, colons, dashes, and underscores; at most 255 characters"
            )));
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let id = id_of(prior)?;
        Ok(client
            .get_opt(&format!("/v2/tags/{}", enc(id)))
            .await?
            .map(|v| to_value(&v["tag"])))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        match client.list("/v2/tags", &[], "tags").await {
            Ok(all) => {
                let by_name: HashMap<&str, &Json> = all
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Json::as_str).map(|n| (n, t)))
                    .collect();
                priors
                    .iter()
                    .map(|p| Ok(p.get_str("id").and_then(|id| by_name.get(id)).map(|t| to_value(t))))
                    .collect()
            }
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = planned.get_str("name").unwrap_or("");
        let v = client.post("/v2/tags", &json!({"name": name})).await?;
        Ok(to_value(&v["tag"]))
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        client.delete(&format!("/v2/tags/{}", enc(id_of(prior)?))).await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        match planned.get_str("name") {
            Some(n) => self.read(client, &Value::map([("id", Value::string(n))])).await,
            None => Ok(None),
        }
    }
}
