//! `digitalocean_database_user`: a user of a database cluster.
//!
//! ID `<cluster_id>/user/<name>` (import ID `<cluster_id>,<name>`). `password` is computed and sensitive;
//! reads keep the known password when the API answers without one. `mysql_auth_plugin` is sent on create
//! and replaces the user when changed (Terraform resets it in place; infra does not yet). Refresh lists
//! each cluster's users once; `find_created` looks the (unique) name up.

use crate::client::Client;
use crate::util::{enc, jstr, object};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

pub struct DatabaseUser;

fn block() -> Block {
    Block::new()
        .id()
        .attr("cluster_id", Attribute::required(Type::String).force_new())
        .attr("name", Attribute::required(Type::String).force_new())
        .attr(
            "mysql_auth_plugin",
            Attribute::optional(Type::String)
                .force_new()
                .one_of(&["mysql_native_password", "caching_sha2_password"]),
        )
        .attr("role", Attribute::computed(Type::String))
        .attr("password", Attribute::computed(Type::String).sensitive())
}

fn to_value(cluster: &str, u: &Json, base: &Value) -> Value {
    let name = u.get("name").and_then(Json::as_str).unwrap_or("");
    let password = match u.get("password").and_then(Json::as_str).filter(|p| !p.is_empty()) {
        Some(p) => Value::string(p),
        None => base
            .get("password")
            .filter(|p| p.as_str().is_some())
            .cloned()
            .unwrap_or(Value::Null),
    };
    let plugin = match u.pointer("/mysql_settings/auth_plugin").and_then(Json::as_str) {
        Some(p) => Value::string(p),
        None => base
            .get("mysql_auth_plugin")
            .filter(|v| v.as_str().is_some())
            .cloned()
            .unwrap_or(Value::Null),
    };
    let role = match jstr(u, "role") {
        Value::Null => Value::string("normal"),
        r => r,
    };
    object(
        &block(),
        vec![
            ("id", Value::string(format!("{cluster}/user/{name}"))),
            ("cluster_id", Value::string(cluster)),
            ("name", Value::string(name)),
            ("mysql_auth_plugin", plugin),
            ("role", role),
            ("password", password),
        ],
    )
}

fn keys(v: &Value) -> Result<(&str, &str)> {
    match (v.get_str("cluster_id"), v.get_str("name")) {
        (Some(c), Some(n)) => Ok((c, n)),
        _ => Err(ProviderError::invalid("cluster_id and name must be set")),
    }
}

#[async_trait]
impl ResourceType<Client> for DatabaseUser {
    fn name(&self) -> &'static str {
        "digitalocean_database_user"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let (c, n) = keys(prior)?;
        Ok(client
            .get_opt(&format!("/v2/databases/{}/users/{}", enc(c), enc(n)))
            .await?
            .map(|v| to_value(c, &v["user"], prior)))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut lists: HashMap<String, Result<Option<Vec<Json>>>> = HashMap::new();
        for p in priors {
            let Some(c) = p.get_str("cluster_id") else { continue };
            if lists.contains_key(c) {
                continue;
            }
            let got = client
                .get_opt(&format!("/v2/databases/{}/users", enc(c)))
                .await
                .map(|o| o.map(|v| v.get("users").and_then(Json::as_array).cloned().unwrap_or_default()));
            lists.insert(c.to_string(), got);
        }
        priors
            .iter()
            .map(|p| {
                let (c, n) = keys(p)?;
                match &lists[c] {
                    Ok(Some(users)) => Ok(users
                        .iter()
                        .find(|u| u.get("name").and_then(Json::as_str) == Some(n))
                        .map(|u| to_value(c, u, p))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e.clone()),
                }
            })
            .collect()
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let (c, n) = keys(planned)?;
        let mut body = json!({"name": n});
        if let Some(p) = planned.get_str("mysql_auth_plugin") {
            body["mysql_settings"] = json!({"auth_plugin": p});
        }
        let v = client.post(&format!("/v2/databases/{}/users", enc(c)), &body).await?;
        Ok(to_value(c, &v["user"], planned))
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let (c, n) = keys(prior)?;
        client
            .delete(&format!("/v2/databases/{}/users/{}", enc(c), enc(n)))
            .await
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Option<Value>> {
        let Some((c, n)) = id.split_once(',') else {
            return Err(ProviderError::invalid(
                "import a digitalocean_database_user with the cluster ID and the user name joined by a comma (id,name)",
            ));
        };
        self.read(
            client,
            &Value::map([("cluster_id", Value::string(c)), ("name", Value::string(n))]),
        )
        .await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        self.read(client, planned).await
    }
}
