//! `digitalocean_database_firewall`: the trusted sources of a database cluster.
//!
//! The API replaces the whole rule set at once (`PUT /v2/databases/{id}/firewall`), so create and update
//! both send every rule, and delete sends an empty set. The resource's `id` is the cluster ID (Terraform
//! uses the cluster ID plus a random suffix; a deterministic ID makes an interrupted create adoptable and
//! `infra import` take the cluster ID directly). Each `rule` has computed `uuid` and `created_at`, carried
//! over at plan time for rules that stay.

use crate::client::Client;
use crate::util::{enc, jstr, object};
use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, Invalid, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type,
    Value,
};
use serde_json::{Value as Json, json};

pub struct DatabaseFirewall;

const RULE_TYPES: &[&str] = &["ip_addr", "droplet", "k8s", "tag", "app"];

fn rule_block() -> Block {
    Block::new()
        .attr("type", Attribute::required(Type::String).one_of(RULE_TYPES))
        .attr("value", Attribute::required(Type::String))
        .attr("uuid", Attribute::computed(Type::String))
        .attr("created_at", Attribute::computed(Type::String))
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("cluster_id", Attribute::required(Type::String).force_new())
        .block("rule", NestedBlock::set(rule_block()).min(1))
}

fn to_value(cluster: &str, rules: &Json) -> Value {
    let rules: Vec<Value> = rules
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    Value::map([
                        ("type", jstr(r, "type")),
                        ("value", jstr(r, "value")),
                        ("uuid", jstr(r, "uuid")),
                        ("created_at", jstr(r, "created_at")),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    object(
        &block(),
        vec![
            ("id", Value::string(cluster)),
            ("cluster_id", Value::string(cluster)),
            ("rule", Value::set(rules)),
        ],
    )
}

fn body(planned: &Value) -> Json {
    let rules: Vec<Json> = planned
        .get_list("rule")
        .iter()
        .map(|r| json!({"type": r.get_str("type").unwrap_or(""), "value": r.get_str("value").unwrap_or("")}))
        .collect();
    json!({"rules": rules})
}

fn cluster_of(v: &Value) -> Result<&str> {
    v.get_str("cluster_id")
        .or_else(|| v.get_str("id"))
        .ok_or_else(|| ProviderError::invalid("cluster_id is not set"))
}

impl DatabaseFirewall {
    async fn put_and_read(&self, client: &Client, planned: &Value) -> Result<Value> {
        let cluster = cluster_of(planned)?;
        client
            .put(&format!("/v2/databases/{}/firewall", enc(cluster)), &body(planned))
            .await?;
        let v = client.get(&format!("/v2/databases/{}/firewall", enc(cluster))).await?;
        Ok(to_value(cluster, &v["rules"]))
    }
}

#[async_trait]
impl ResourceType<Client> for DatabaseFirewall {
    fn name(&self) -> &'static str {
        "digitalocean_database_firewall"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        config
            .get_list("rule")
            .iter()
            .filter(|r| r.get_str("type") == Some("ip_addr"))
            .filter_map(|r| r.get("value").map(super::firewall::ip_or_cidr))
            .filter_map(std::result::Result::err)
            .map(|e| Invalid::at("rule", format!("an ip_addr rule's value: {e}")))
            .collect()
    }

    fn plan(&self, _client: &Client, req: &mut PlanRequest<'_>) -> Result<()> {
        let prior_rules: Vec<Value> = req.prior.map(|p| p.get_list("rule").to_vec()).unwrap_or_default();
        let mut rules = Vec::new();
        for r in req.planned.get_list("rule") {
            let same = prior_rules
                .iter()
                .find(|p| p.get("type") == r.get("type") && p.get("value") == r.get("value"));
            let mut r = r.clone();
            for k in ["uuid", "created_at"] {
                r.set_attr(k, same.and_then(|s| s.get(k)).cloned().unwrap_or(Value::Unknown));
            }
            rules.push(r);
        }
        if !req.planned.get("rule").is_some_and(Value::is_unknown) {
            req.planned.set_attr("rule", Value::set(rules));
        }
        if let Some(c) = req.planned.get_str("cluster_id").map(str::to_string) {
            req.planned.set_attr("id", Value::string(c));
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let cluster = cluster_of(prior)?;
        Ok(client
            .get_opt(&format!("/v2/databases/{}/firewall", enc(cluster)))
            .await?
            .map(|v| to_value(cluster, &v["rules"])))
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        self.put_and_read(client, planned).await
    }

    async fn update(&self, client: &Client, _ctx: &OpContext, _prior: &Value, planned: &Value) -> Result<Value> {
        self.put_and_read(client, planned).await
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let cluster = cluster_of(prior)?;
        match client
            .put(
                &format!("/v2/databases/{}/firewall", enc(cluster)),
                &json!({"rules": []}),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Option<Value>> {
        self.read(client, &Value::map([("cluster_id", Value::string(id))]))
            .await
    }

    /// The PUT is idempotent; an interrupted create is adopted when the cluster already has exactly the
    /// planned rules.
    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(current) = self.read(client, planned).await? else {
            return Ok(None);
        };
        let key = |v: &Value| {
            let mut k: Vec<(String, String)> = v
                .get_list("rule")
                .iter()
                .map(|r| {
                    (
                        r.get_str("type").unwrap_or("").to_string(),
                        r.get_str("value").unwrap_or("").to_string(),
                    )
                })
                .collect();
            k.sort();
            k
        };
        Ok((key(&current) == key(planned) && !key(planned).is_empty()).then_some(current))
    }
}
