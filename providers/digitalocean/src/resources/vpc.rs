//! `digitalocean_vpc`: a VPC network in one region.
//!
//! `region` and `ip_range` replace the VPC; `name` and `description` change in place (`PATCH`). Delete
//! is retried while the API refuses it (403 or 409: the VPC still has members, e.g. Droplets that were
//! deleted a moment ago and are still detaching), until the delete timeout (2 minutes by default, as
//! Terraform). Refresh lists all VPCs (`GET /v2/vpcs`, paginated). VPC names are unique in an account,
//! so `find_created` looks the name up (in the planned region).

use crate::client::Client;
use crate::util::{changed, id_of, jbool, jstr, object};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, Check, OpContext, Poll, Result, Schema, Timeouts, Type, Value, wait_for};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;

pub struct Vpc;

pub(crate) fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String))
        .attr("region", Attribute::required(Type::String).force_new())
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 255)),
        )
        .attr(
            "ip_range",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Ipv4Cidr),
        )
        .attr("urn", Attribute::computed(Type::String))
        .attr("default", Attribute::computed(Type::Bool))
        .attr("created_at", Attribute::computed(Type::String))
}

pub(crate) fn to_value(v: &Json, b: &Block) -> Value {
    let description = match jstr(v, "description") {
        Value::String(s) if s.is_empty() => Value::Null,
        d => d,
    };
    object(
        b,
        vec![
            ("id", jstr(v, "id")),
            ("name", jstr(v, "name")),
            ("region", jstr(v, "region")),
            ("description", description),
            ("ip_range", jstr(v, "ip_range")),
            ("urn", jstr(v, "urn")),
            ("default", jbool(v, "default")),
            ("created_at", jstr(v, "created_at")),
        ],
    )
}

#[async_trait]
impl infra_provider::ResourceType<Client> for Vpc {
    fn name(&self) -> &'static str {
        "digitalocean_vpc"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts {
            delete: Duration::from_secs(2 * 60),
            ..Timeouts::default()
        })
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let id = id_of(prior)?;
        Ok(client
            .get_opt(&format!("/v2/vpcs/{id}"))
            .await?
            .map(|v| to_value(&v["vpc"], &block())))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        match client.list("/v2/vpcs", &[], "vpcs").await {
            Ok(all) => {
                let by_id: HashMap<&str, &Json> = all
                    .iter()
                    .filter_map(|v| v.get("id").and_then(Json::as_str).map(|id| (id, v)))
                    .collect();
                priors
                    .iter()
                    .map(|p| {
                        Ok(p.get_str("id")
                            .and_then(|id| by_id.get(id))
                            .map(|v| to_value(v, &block())))
                    })
                    .collect()
            }
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let mut body = json!({
            "name": planned.get_str("name").unwrap_or(""),
            "region": planned.get_str("region").unwrap_or(""),
        });
        if let Some(d) = planned.get_str("description") {
            body["description"] = json!(d);
        }
        if let Some(r) = planned.get_str("ip_range") {
            body["ip_range"] = json!(r);
        }
        let v = client.post("/v2/vpcs", &body).await?;
        Ok(to_value(&v["vpc"], &block()))
    }

    async fn update(&self, client: &Client, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        if changed(prior, planned, "name") || changed(prior, planned, "description") {
            let body = json!({
                "name": planned.get_str("name").unwrap_or(""),
                "description": planned.get_str("description").unwrap_or(""),
            });
            let v = client.patch(&format!("/v2/vpcs/{id}"), &body).await?;
            return Ok(to_value(&v["vpc"], &block()));
        }
        Ok(self.read(client, prior).await?.unwrap_or_else(|| planned.clone()))
    }

    async fn delete(&self, client: &Client, ctx: &OpContext, prior: &Value) -> Result<()> {
        let path = format!("/v2/vpcs/{}", id_of(prior)?);
        let path = &path;
        wait_for(ctx, "vpc members detached", || async move {
            match client.delete(path).await {
                Ok(()) => Ok(Poll::Ready(())),
                Err(e) if matches!(e.code.as_deref(), Some("forbidden") | Some("conflict")) => Ok(Poll::Pending(
                    e.message.split(" (").next().unwrap_or("refused").to_string(),
                )),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let (Some(name), Some(region)) = (planned.get_str("name"), planned.get_str("region")) else {
            return Ok(None);
        };
        let all = client.list("/v2/vpcs", &[], "vpcs").await?;
        Ok(all
            .iter()
            .find(|v| {
                v.get("name").and_then(Json::as_str) == Some(name)
                    && v.get("region").and_then(Json::as_str) == Some(region)
            })
            .map(|v| to_value(v, &block())))
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;
    use infra_provider::ResourceType;

    #[test]
    fn ip_range_is_a_network() {
        let s = ResourceType::<Client>::schema(&Vpc);
        let c = s.block.attributes["ip_range"].check.unwrap();
        assert!(c.check(&Value::from("10.110.0.0/20")).is_ok());
        for bad in ["10.9.0.0/33", "10.9.0.300/16", "0.0.0.0/99", "10.110.0.1/20"] {
            assert!(c.check(&Value::from(bad)).is_err(), "{bad}");
        }
    }
}
