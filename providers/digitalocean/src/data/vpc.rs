//! Data source `digitalocean_vpc`: one VPC by `id`, by `name`, or the default VPC of `region`.

use crate::client::Client;
use crate::resources::vpc::to_value;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, ProviderError, Result, Schema, Type, Value};
use serde_json::Value as Json;

pub struct VpcData;

fn block() -> Block {
    Block::new()
        .attr("id", Attribute::optional_computed(Type::String))
        .attr("name", Attribute::optional_computed(Type::String))
        .attr("region", Attribute::optional_computed(Type::String))
        .attr("description", Attribute::computed(Type::String))
        .attr("ip_range", Attribute::computed(Type::String))
        .attr("urn", Attribute::computed(Type::String))
        .attr("default", Attribute::computed(Type::Bool))
        .attr("created_at", Attribute::computed(Type::String))
}

#[async_trait]
impl DataSourceType<Client> for VpcData {
    fn name(&self) -> &'static str {
        "digitalocean_vpc"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value> {
        if let Some(id) = config.get_str("id") {
            let v = client.get(&format!("/v2/vpcs/{id}")).await?;
            return Ok(to_value(&v["vpc"], &block()));
        }
        let all = client.list("/v2/vpcs", &[], "vpcs").await?;
        let s = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).map(str::to_string);
        let found: Vec<&Json> = match (config.get_str("name"), config.get_str("region")) {
            (Some(name), _) => all.iter().filter(|v| s(v, "name").as_deref() == Some(name)).collect(),
            (None, Some(region)) => all
                .iter()
                .filter(|v| {
                    s(v, "region").as_deref() == Some(region) && v.get("default").and_then(Json::as_bool) == Some(true)
                })
                .collect(),
            (None, None) => {
                return Err(ProviderError::invalid(
                    "digitalocean_vpc: set one of id, name or region",
                ));
            }
        };
        match found.as_slice() {
            [one] => Ok(to_value(one, &block())),
            [] => Err(ProviderError::not_found(
                "digitalocean_vpc: no VPC matches the given arguments",
            )),
            _ => Err(ProviderError::invalid(
                "digitalocean_vpc: more than one VPC matches the given arguments",
            )),
        }
    }
}
