//! Data source `digitalocean_regions`: regions, filtered and sorted.

use crate::client::Client;
use crate::data::filter;
use crate::util::{jbool, jstr};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, Result, Schema, Type, Value};
use serde_json::Value as Json;

pub struct Regions;

const KEYS: &[&str] = &["slug", "name", "sizes", "available", "features"];

fn strings(j: &Json, key: &str) -> Value {
    Value::string_list(
        j.get(key)
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect::<Vec<_>>())
            .unwrap_or_default(),
    )
}

#[async_trait]
impl DataSourceType<Client> for Regions {
    fn name(&self) -> &'static str {
        "digitalocean_regions"
    }

    fn schema(&self) -> Schema {
        let region = Type::object([
            ("slug", Type::String),
            ("name", Type::String),
            ("sizes", Type::string_list()),
            ("available", Type::Bool),
            ("features", Type::string_list()),
        ]);
        Schema::new(filter::blocks(
            Block::new()
                .id()
                .attr("regions", Attribute::computed(Type::list(region))),
        ))
    }

    async fn read(&self, client: &Client, config: &Value) -> Result<Value> {
        let all = client.list("/v2/regions", &[], "regions").await?;
        let items: Vec<Value> = all
            .iter()
            .map(|r| {
                Value::map([
                    ("slug", jstr(r, "slug")),
                    ("name", jstr(r, "name")),
                    ("sizes", strings(r, "sizes")),
                    ("available", jbool(r, "available")),
                    ("features", strings(r, "features")),
                ])
            })
            .collect();
        let items = filter::apply(config, KEYS, items)?;
        let mut out = config.clone();
        out.set_attr("id", Value::string("regions"));
        out.set_attr("regions", Value::List(items));
        Ok(out)
    }
}
