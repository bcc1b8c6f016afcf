//! `data "aws_availability_zones"`: the availability zones of the provider's region, filtered as in
//! Terraform (`state`, `all_availability_zones`, `exclude_names`, `exclude_zone_ids`, `filter` blocks).
//! One `DescribeAvailabilityZones` call.

use crate::client::AwsClient;
use crate::ec2::filter;
use crate::errors::aws_err;
use crate::values::complete;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, Result, Schema, Type, Value};
use std::collections::BTreeSet;

pub struct AvailabilityZones;

fn block() -> Block {
    Block::new()
        .id()
        .attr("all_availability_zones", Attribute::optional(Type::Bool))
        .attr("exclude_names", Attribute::optional(Type::string_set()))
        .attr("exclude_zone_ids", Attribute::optional(Type::string_set()))
        .attr("state", Attribute::optional(Type::String))
        .attr("group_names", Attribute::computed(Type::string_set()))
        .attr("names", Attribute::computed(Type::string_list()))
        .attr("zone_ids", Attribute::computed(Type::string_list()))
        .block("filter", super::vpc::filter_block())
}

#[async_trait]
impl DataSourceType<AwsClient> for AvailabilityZones {
    fn name(&self) -> &'static str {
        "aws_availability_zones"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let mut req = c
            .ec2()
            .describe_availability_zones()
            .set_all_availability_zones(config.get_bool("all_availability_zones"));
        if let Some(state) = config.get_str("state") {
            req = req.filters(filter("state", [state]));
        }
        for f in config.get_list("filter") {
            if let Some(name) = f.get_str("name") {
                req = req.filters(filter(name, f.get_strings("values")));
            }
        }
        let out = req.send().await.map_err(aws_err("reading availability zones"))?;
        let exclude_names: BTreeSet<String> = config.get_strings("exclude_names").into_iter().collect();
        let exclude_ids: BTreeSet<String> = config.get_strings("exclude_zone_ids").into_iter().collect();
        let mut zones: Vec<_> = out
            .availability_zones()
            .iter()
            .filter(|z| !z.zone_name().is_some_and(|n| exclude_names.contains(n)))
            .filter(|z| !z.zone_id().is_some_and(|n| exclude_ids.contains(n)))
            .collect();
        zones.sort_by(|a, b| a.zone_name().cmp(&b.zone_name()));
        let v = config
            .clone()
            .with("id", Value::string(c.region()))
            .with("names", Value::string_list(zones.iter().filter_map(|z| z.zone_name())))
            .with("zone_ids", Value::string_list(zones.iter().filter_map(|z| z.zone_id())))
            .with(
                "group_names",
                Value::string_set(zones.iter().filter_map(|z| z.group_name())),
            );
        Ok(complete(&block(), v))
    }
}
