//! `digitalocean_database_db`: a database inside a cluster.
//!
//! ID `<cluster_id>/database/<name>` (import ID `<cluster_id>,<name>`, as Terraform). Both arguments
//! replace the database. Refresh lists each cluster's databases once (`GET .../dbs`) for all priors of
//! that cluster. Names are unique per cluster, so `find_created` looks the name up.

use crate::client::Client;
use crate::util::{enc, object};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

pub struct DatabaseDb;

fn block() -> Block {
    Block::new()
        .id()
        .attr("cluster_id", Attribute::required(Type::String).force_new())
        .attr("name", Attribute::required(Type::String).force_new())
}

fn to_value(cluster: &str, name: &str) -> Value {
    object(
        &block(),
        vec![
            ("id", Value::string(format!("{cluster}/database/{name}"))),
            ("cluster_id", Value::string(cluster)),
            ("name", Value::string(name)),
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
impl ResourceType<Client> for DatabaseDb {
    fn name(&self) -> &'static str {
        "digitalocean_database_db"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let (c, n) = keys(prior)?;
        Ok(client
            .get_opt(&format!("/v2/databases/{}/dbs/{}", enc(c), enc(n)))
            .await?
            .map(|_| to_value(c, n)))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut lists: HashMap<String, Result<Option<Vec<String>>>> = HashMap::new();
        for p in priors {
            let Some(c) = p.get_str("cluster_id") else { continue };
            if lists.contains_key(c) {
                continue;
            }
            let got = match client.get_opt(&format!("/v2/databases/{}/dbs", enc(c))).await {
                Ok(Some(v)) => Ok(Some(
                    v.get("dbs")
                        .and_then(Json::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|d| d.get("name").and_then(Json::as_str).map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                )),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            lists.insert(c.to_string(), got);
        }
        priors
            .iter()
            .map(|p| {
                let (c, n) = keys(p)?;
                match &lists[c] {
                    Ok(Some(names)) => Ok(names.iter().any(|x| x == n).then(|| to_value(c, n))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e.clone()),
                }
            })
            .collect()
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let (c, n) = keys(planned)?;
        client
            .post(&format!("/v2/databases/{}/dbs", enc(c)), &json!({"name": n}))
            .await?;
        Ok(to_value(c, n))
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let (c, n) = keys(prior)?;
        client.delete(&format!("/v2/databases/{}/dbs/{}", enc(c), enc(n))).await
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Option<Value>> {
        let Some((c, n)) = id.split_once(',') else {
            return Err(ProviderError::invalid(
                "import a digitalocean_database_db with the cluster ID and the database name joined by a comma (id,name)",
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
