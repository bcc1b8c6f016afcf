//! Data source `digitalocean_sizes`: Droplet sizes with their list prices, filtered and sorted.

use crate::client::Client;
use crate::data::filter;
use crate::util::{jbool, jnum, jstr};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, Result, Schema, Type, Value};
use serde_json::Value as Json;

pub struct Sizes;

const KEYS: &[&str] = &[
    "slug",
    "available",
    "price_monthly",
    "price_hourly",
    "memory",
    "vcpus",
    "disk",
    "transfer",
    "regions",
];

fn size_type() -> Type {
    Type::object([
        ("slug", Type::String),
        ("available", Type::Bool),
        ("price_monthly", Type::Number),
        ("price_hourly", Type::Number),
        ("memory", Type::Number),
        ("vcpus", Type::Number),
        ("disk", Type::Number),
        ("transfer", Type::Number),
        ("regions", Type::string_list()),
    ])
}

fn to_value(s: &Json) -> Value {
    let regions: Vec<&str> = s
        .get("regions")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    Value::map([
        ("slug", jstr(s, "slug")),
        ("available", jbool(s, "available")),
        ("price_monthly", jnum(s, "price_monthly")),
        ("price_hourly", jnum(s, "price_hourly")),
        ("memory", jnum(s, "memory")),
        ("vcpus", jnum(s, "vcpus")),
        ("disk", jnum(s, "disk")),
        ("transfer", jnum(s, "transfer")),
        ("regions", Value::string_list(regions)),
    ])
}

#[async_trait]
impl DataSourceType<Client> for Sizes {
    fn name(&self) -> &'static str {
        "digitalocean_sizes"
    }

    fn schema(&self) -> Schema {
        Schema::new(filter::blocks(
            Block::new()
                .id()
                .attr("sizes", Attribute::computed(Type::list(size_type()))),
        ))
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value> {
        let all = client.list("/v2/sizes", &[], "sizes").await?;
        let items = filter::apply(config, KEYS, all.iter().map(to_value).collect())?;
        let mut out = config.clone();
        out.set_attr("id", Value::string("sizes"));
        out.set_attr("sizes", Value::List(items));
        Ok(out)
    }
}
