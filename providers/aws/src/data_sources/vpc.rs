//! `data "aws_vpc"`, `data "aws_subnets"` and `data "aws_availability_zone"`: finding existing network
//! objects as Terraform's data sources do — by ID, by the arguments each takes (`cidr_block`, `default`,
//! `state`, `tags`, …) and by `filter` blocks, which become EC2 filters. `aws_vpc` and
//! `aws_availability_zone` must match exactly one object (an error otherwise, as in Terraform);
//! `aws_subnets` returns every matching ID. One describe call each (`aws_vpc` then reads the VPC's
//! attributes as the `aws_vpc` resource does).

use crate::client::AwsClient;
use crate::ec2::{filter, tags_map};
use crate::errors::aws_err;
use crate::tags::is_internal;
use crate::values::complete;
use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use infra_provider::{Attribute, Block, DataSourceType, NestedBlock, ProviderError, Result, Schema, Type, Value};

/// The `filter` blocks (`name`, `values`) every EC2 data source takes, and RDS's too.
pub(crate) fn filter_block() -> NestedBlock {
    NestedBlock::set(
        Block::new()
            .attr("name", Attribute::required(Type::String))
            .attr("values", Attribute::required(Type::string_set())),
    )
}

/// The EC2 filters of a data source's configuration: its own arguments (`(argument, filter name)`), its
/// `tags` (one `tag:KEY` filter each) and its `filter` blocks.
fn filters(config: &Value, arguments: &[(&str, &str)]) -> Vec<Filter> {
    let mut out = Vec::new();
    for (arg, name) in arguments {
        match config.get(arg) {
            Some(Value::String(s)) => out.push(filter(name, [s.clone()])),
            Some(Value::Bool(b)) => out.push(filter(name, [b.to_string()])),
            _ => {}
        }
    }
    if let Some(Value::Map(tags)) = config.get("tags") {
        for (k, v) in tags {
            if let Some(v) = v.as_str() {
                out.push(filter(&format!("tag:{k}"), [v.to_string()]));
            }
        }
    }
    for f in config.get_list("filter") {
        if let Some(name) = f.get_str("name") {
            out.push(filter(name, f.get_strings("values")));
        }
    }
    out
}

/// Tags as a data source shows them (infra's ownership tags left out, as every read does).
fn visible_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Value {
    Value::string_map(tags_map(tags).into_iter().filter(|(k, _)| !is_internal(k)))
}

pub struct Vpc;

fn vpc_block() -> Block {
    Block::new()
        .attr("id", Attribute::optional_computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("cidr_block", Attribute::optional_computed(Type::String))
        .attr(
            "cidr_block_associations",
            Attribute::computed(Type::List(Box::new(Type::object([
                ("association_id", Type::String),
                ("cidr_block", Type::String),
                ("state", Type::String),
            ])))),
        )
        .attr("default", Attribute::optional_computed(Type::Bool))
        .attr("dhcp_options_id", Attribute::optional_computed(Type::String))
        .attr("enable_dns_hostnames", Attribute::computed(Type::Bool))
        .attr("enable_dns_support", Attribute::computed(Type::Bool))
        .attr("enable_network_address_usage_metrics", Attribute::computed(Type::Bool))
        .attr("instance_tenancy", Attribute::computed(Type::String))
        .attr("ipv6_association_id", Attribute::computed(Type::String))
        .attr("ipv6_cidr_block", Attribute::computed(Type::String))
        .attr("main_route_table_id", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
        .attr("state", Attribute::optional_computed(Type::String))
        .attr("tags", Attribute::optional_computed(Type::string_map()))
        .block("filter", filter_block())
}

#[async_trait]
impl DataSourceType<AwsClient> for Vpc {
    fn name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> Schema {
        Schema::new(vpc_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let found = c
            .ec2()
            .describe_vpcs()
            .set_vpc_ids(config.get_str("id").map(|id| vec![id.to_string()]))
            .set_filters(Some(filters(
                config,
                &[
                    ("cidr_block", "cidr"),
                    ("default", "is-default"),
                    ("dhcp_options_id", "dhcp-options-id"),
                    ("state", "state"),
                ],
            )))
            .send()
            .await
            .map_err(aws_err("reading EC2 VPCs (ec2:DescribeVpcs)"))?;
        let vpc = match found.vpcs() {
            [one] => one,
            [] => return Err(ProviderError::invalid("no matching EC2 VPC found")),
            many => {
                return Err(ProviderError::invalid(format!(
                    "{} EC2 VPCs matched; use additional constraints to reduce matches to a single EC2 VPC",
                    many.len()
                )));
            }
        };
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        // The attributes the `aws_vpc` resource reads (DNS settings, main route table, ARN).
        let read = crate::resources::vpc::read_one(c, &id, &Value::Null)
            .await?
            .ok_or_else(|| ProviderError::invalid(format!("EC2 VPC {id} disappeared while it was read")))?;
        let mut v = Value::map([
            ("id", Value::string(&id)),
            ("default", Value::Bool(vpc.is_default().unwrap_or(false))),
            ("state", Value::opt_string(vpc.state().map(|s| s.as_str()))),
            ("tags", visible_tags(vpc.tags())),
            (
                "cidr_block_associations",
                Value::List(
                    vpc.cidr_block_association_set()
                        .iter()
                        .map(|a| {
                            Value::map([
                                ("association_id", Value::opt_string(a.association_id())),
                                ("cidr_block", Value::opt_string(a.cidr_block())),
                                (
                                    "state",
                                    Value::opt_string(a.cidr_block_state().and_then(|s| s.state()).map(|s| s.as_str())),
                                ),
                            ])
                        })
                        .collect(),
                ),
            ),
        ]);
        for k in [
            "arn",
            "cidr_block",
            "dhcp_options_id",
            "enable_dns_hostnames",
            "enable_dns_support",
            "enable_network_address_usage_metrics",
            "instance_tenancy",
            "ipv6_association_id",
            "ipv6_cidr_block",
            "main_route_table_id",
            "owner_id",
        ] {
            v.set_attr(k, read.get(k).cloned().unwrap_or_default());
        }
        // Terraform's data source reads a false as false, not as unset.
        for k in [
            "enable_dns_hostnames",
            "enable_dns_support",
            "enable_network_address_usage_metrics",
        ] {
            if v.get(k).is_none_or(Value::is_null) {
                v.set_attr(k, Value::Bool(false));
            }
        }
        v.set_attr("filter", config.get("filter").cloned().unwrap_or_default());
        Ok(complete(&vpc_block(), v))
    }
}

pub struct Subnets;

fn subnets_block() -> Block {
    Block::new()
        .attr("id", Attribute::optional_computed(Type::String))
        .attr("ids", Attribute::computed(Type::string_list()))
        .attr("tags", Attribute::optional_computed(Type::string_map()))
        .block("filter", filter_block())
}

#[async_trait]
impl DataSourceType<AwsClient> for Subnets {
    fn name(&self) -> &'static str {
        "aws_subnets"
    }

    fn schema(&self) -> Schema {
        Schema::new(subnets_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let subnets: Vec<_> = c
            .ec2()
            .describe_subnets()
            .set_filters(Some(filters(config, &[])))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<std::result::Result<_, _>>()
            .map_err(aws_err("reading EC2 subnets (ec2:DescribeSubnets)"))?;
        let ids: Vec<&str> = subnets.iter().filter_map(|s| s.subnet_id()).collect();
        let v = config
            .clone()
            .with("id", Value::string(c.region()))
            .with("ids", Value::string_list(ids))
            .with("tags", config.get("tags").cloned().unwrap_or_else(Value::empty_map));
        Ok(complete(&subnets_block(), v))
    }
}

pub struct AvailabilityZone;

fn zone_block() -> Block {
    Block::new()
        .attr("all_availability_zones", Attribute::optional(Type::Bool))
        .attr("group_name", Attribute::computed(Type::String))
        .attr("id", Attribute::optional_computed(Type::String))
        .attr("name", Attribute::optional_computed(Type::String))
        .attr("name_suffix", Attribute::computed(Type::String))
        .attr("network_border_group", Attribute::computed(Type::String))
        .attr("opt_in_status", Attribute::computed(Type::String))
        .attr("parent_zone_id", Attribute::computed(Type::String))
        .attr("parent_zone_name", Attribute::computed(Type::String))
        .attr("region", Attribute::computed(Type::String))
        .attr("state", Attribute::optional_computed(Type::String))
        .attr("zone_id", Attribute::optional_computed(Type::String))
        .attr("zone_type", Attribute::computed(Type::String))
        .block("filter", filter_block())
}

#[async_trait]
impl DataSourceType<AwsClient> for AvailabilityZone {
    fn name(&self) -> &'static str {
        "aws_availability_zone"
    }

    fn schema(&self) -> Schema {
        Schema::new(zone_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let found = c
            .ec2()
            .describe_availability_zones()
            .set_all_availability_zones(config.get_bool("all_availability_zones"))
            .set_zone_names(config.get_str("name").map(|n| vec![n.to_string()]))
            .set_zone_ids(config.get_str("zone_id").map(|n| vec![n.to_string()]))
            .set_filters(Some(filters(config, &[("state", "state")])))
            .send()
            .await
            .map_err(aws_err("reading availability zones (ec2:DescribeAvailabilityZones)"))?;
        let z = match found.availability_zones() {
            [one] => one,
            [] => return Err(ProviderError::invalid("no matching EC2 Availability Zone found")),
            many => {
                return Err(ProviderError::invalid(format!(
                    "{} EC2 Availability Zones matched; use additional constraints to reduce matches to a single EC2 Availability Zone",
                    many.len()
                )));
            }
        };
        let name = z.zone_name().unwrap_or_default();
        let region = z.region_name().unwrap_or(c.region());
        let suffix = name
            .strip_prefix(region)
            .map(|s| s.trim_start_matches('-'))
            .unwrap_or(name);
        let v = config
            .clone()
            .with("id", Value::string(name))
            .with("name", Value::string(name))
            .with("name_suffix", Value::string(suffix))
            .with("zone_id", Value::opt_string(z.zone_id()))
            .with("zone_type", Value::opt_string(z.zone_type()))
            .with("region", Value::string(region))
            .with("group_name", Value::opt_string(z.group_name()))
            .with("network_border_group", Value::opt_string(z.network_border_group()))
            .with(
                "opt_in_status",
                Value::opt_string(z.opt_in_status().map(|s| s.as_str())),
            )
            .with("parent_zone_id", Value::opt_string(z.parent_zone_id()))
            .with("parent_zone_name", Value::opt_string(z.parent_zone_name()))
            .with("state", Value::opt_string(z.state().map(|s| s.as_str())));
        Ok(complete(&zone_block(), v))
    }
}

/// `data "aws_security_group"`: one security group by `id`, `name`, `vpc_id`, `tags` and `filter` blocks
/// (one `DescribeSecurityGroups`); exactly one must match.
pub struct SecurityGroup;

fn security_group_block() -> Block {
    Block::new()
        .attr("id", Attribute::optional_computed(Type::String))
        .attr("name", Attribute::optional_computed(Type::String))
        .attr("vpc_id", Attribute::optional_computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("description", Attribute::computed(Type::String))
        .attr("tags", Attribute::optional_computed(Type::string_map()))
        .block("filter", filter_block())
}

#[async_trait]
impl DataSourceType<AwsClient> for SecurityGroup {
    fn name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(security_group_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let found = c
            .ec2()
            .describe_security_groups()
            .set_group_ids(config.get_str("id").map(|id| vec![id.to_string()]))
            .set_filters(Some(filters(config, &[("name", "group-name"), ("vpc_id", "vpc-id")])))
            .send()
            .await
            .map_err(aws_err("reading EC2 security groups (ec2:DescribeSecurityGroups)"))?;
        let sg = match found.security_groups() {
            [one] => one,
            [] => return Err(ProviderError::invalid("no matching EC2 Security Group found")),
            many => {
                return Err(ProviderError::invalid(format!(
                    "{} EC2 Security Groups matched; use additional constraints to reduce matches to a single EC2 Security Group",
                    many.len()
                )));
            }
        };
        let id = sg.group_id().unwrap_or_default();
        let arn = format!(
            "arn:{}:ec2:{}:{}:security-group/{id}",
            c.partition(),
            c.region(),
            sg.owner_id().unwrap_or_default()
        );
        let mut v = Value::map([
            ("id", Value::string(id)),
            ("name", Value::opt_string(sg.group_name())),
            ("vpc_id", Value::opt_string(sg.vpc_id())),
            ("arn", Value::string(arn)),
            ("description", Value::opt_string(sg.description())),
            ("tags", visible_tags(sg.tags())),
        ]);
        v.set_attr("filter", config.get("filter").cloned().unwrap_or_default());
        Ok(complete(&security_group_block(), v))
    }
}
