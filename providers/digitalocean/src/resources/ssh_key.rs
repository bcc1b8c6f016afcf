//! `digitalocean_ssh_key`: a public SSH key of the account.
//!
//! `public_key` replaces the key (surrounding whitespace is ignored); `name` changes in place (`PUT`).
//! The ID is the numeric key ID; `fingerprint` is computed. A key can be registered only once per
//! account, so `find_created` finds an interrupted create by its public key. Refresh lists all keys
//! (`GET /v2/account/keys`, paginated).

use crate::client::Client;
use crate::util::{id_of, jstr, object};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, OpContext, PlanRequest, ResourceType, Result, Schema, Timeouts, Type, Value};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;

pub struct SshKey;

fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String))
        .attr("public_key", Attribute::required(Type::String).force_new())
        .attr("fingerprint", Attribute::computed(Type::String))
}

fn to_value(k: &Json, base: &Value) -> Value {
    // Keep the key exactly as configured when it only differs in surrounding whitespace.
    let api_key = k.get("public_key").and_then(Json::as_str).unwrap_or("");
    let public_key = match base.get_str("public_key") {
        Some(b) if b.trim() == api_key.trim() => Value::string(b),
        _ => Value::string(api_key),
    };
    object(
        &block(),
        vec![
            ("id", jstr(k, "id")),
            ("name", jstr(k, "name")),
            ("public_key", public_key),
            ("fingerprint", jstr(k, "fingerprint")),
        ],
    )
}

#[async_trait]
impl ResourceType<Client> for SshKey {
    fn name(&self) -> &'static str {
        "digitalocean_ssh_key"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts {
            create: Duration::from_secs(2 * 60),
            ..Timeouts::default()
        })
    }

    fn plan(&self, _client: &Client, req: &mut PlanRequest<'_>) -> Result<()> {
        if let (Some(prior), Some(new)) = (
            req.prior.and_then(|p| p.get_str("public_key")),
            req.planned.get_str("public_key"),
        ) && prior.trim() == new.trim()
            && prior != new
        {
            let keep = Value::string(prior);
            req.planned.set_attr("public_key", keep);
            req.requires_replace.retain(|p| p.first_attr() != Some("public_key"));
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let id = id_of(prior)?;
        Ok(client
            .get_opt(&format!("/v2/account/keys/{id}"))
            .await?
            .map(|v| to_value(&v["ssh_key"], prior)))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        match client.list("/v2/account/keys", &[], "ssh_keys").await {
            Ok(all) => {
                let by_id: HashMap<String, &Json> = all
                    .iter()
                    .filter_map(|k| k.get("id").and_then(Json::as_i64).map(|id| (id.to_string(), k)))
                    .collect();
                priors
                    .iter()
                    .map(|p| Ok(p.get_str("id").and_then(|id| by_id.get(id)).map(|k| to_value(k, p))))
                    .collect()
            }
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let body = json!({
            "name": planned.get_str("name").unwrap_or(""),
            "public_key": planned.get_str("public_key").unwrap_or("").trim(),
        });
        let v = client.post("/v2/account/keys", &body).await?;
        Ok(to_value(&v["ssh_key"], planned))
    }

    async fn update(&self, client: &Client, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let body = json!({"name": planned.get_str("name").unwrap_or("")});
        let v = client
            .put(&format!("/v2/account/keys/{}", id_of(prior)?), &body)
            .await?;
        Ok(to_value(&v["ssh_key"], planned))
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        client.delete(&format!("/v2/account/keys/{}", id_of(prior)?)).await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(pk) = planned.get_str("public_key").map(str::trim) else {
            return Ok(None);
        };
        let all = client.list("/v2/account/keys", &[], "ssh_keys").await?;
        Ok(all
            .iter()
            .find(|k| k.get("public_key").and_then(Json::as_str).map(str::trim) == Some(pk))
            .map(|k| to_value(k, planned)))
    }
}
