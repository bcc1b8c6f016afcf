//! `aws_subnet`: a subnet of a VPC.
//!
//! Batched read: one `DescribeSubnets` call filtered on all the subnet IDs (paginated); everything the
//! schema holds comes back in it, so N subnets cost one call.

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, delete_retrying, filter, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, false_as_prior, id_of, keys_of, partial_object, prior_for, single,
    str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, HostnameType, ResourceType as Ec2Type, Subnet as Ec2Subnet};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, Timeouts, Type,
    Value, wait_for,
};
use std::collections::HashMap;

pub struct Subnet;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("vpc_id", Attribute::required(Type::String).force_new())
        .attr(
            "cidr_block",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Ipv4Cidr),
        )
        .attr(
            "availability_zone",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "availability_zone_id",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "assign_ipv6_address_on_creation",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("customer_owned_ipv4_pool", Attribute::optional(Type::String))
        .attr("enable_dns64", Attribute::optional(Type::Bool).default(false))
        .attr("enable_lni_at_device_index", Attribute::optional(Type::Number))
        .attr(
            "enable_resource_name_dns_aaaa_record_on_launch",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr(
            "enable_resource_name_dns_a_record_on_launch",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("ipv4_ipam_pool_id", Attribute::optional(Type::String).force_new())
        .attr("ipv4_netmask_length", Attribute::optional(Type::Number).force_new())
        .attr(
            "ipv6_cidr_block",
            Attribute::optional_computed(Type::String).check(Check::Ipv6Cidr),
        )
        .attr("ipv6_cidr_block_association_id", Attribute::computed(Type::String))
        .attr("ipv6_ipam_pool_id", Attribute::optional(Type::String).force_new())
        .attr(
            "ipv6_native",
            Attribute::optional(Type::Bool).default(false).force_new(),
        )
        .attr("ipv6_netmask_length", Attribute::optional(Type::Number).force_new())
        .attr("map_customer_owned_ip_on_launch", Attribute::optional(Type::Bool))
        .attr(
            "map_public_ip_on_launch",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("outpost_arn", Attribute::optional(Type::String).force_new())
        .attr("owner_id", Attribute::computed(Type::String))
        .attr(
            "private_dns_hostname_type_on_launch",
            Attribute::optional_computed(Type::String).one_of(&["ip-name", "resource-name"]),
        )
        .tags()
}

fn flatten(c: &AwsClient, s: &Ec2Subnet, prior: &Value) -> Value {
    let dns = s.private_dns_name_options_on_launch();
    let ipv6 = s.ipv6_cidr_block_association_set().iter().find(|a| {
        let st = a
            .ipv6_cidr_block_state()
            .and_then(|s| s.state())
            .map(|s| s.as_str())
            .unwrap_or("associated");
        st == "associated" || st == "associating"
    });
    let mut obj = Value::map([
        ("id", Value::opt_string(s.subnet_id())),
        ("arn", Value::opt_string(s.subnet_arn())),
        ("vpc_id", Value::opt_string(s.vpc_id())),
        ("cidr_block", Value::opt_string(s.cidr_block())),
        ("availability_zone", Value::opt_string(s.availability_zone())),
        ("availability_zone_id", Value::opt_string(s.availability_zone_id())),
        (
            "assign_ipv6_address_on_creation",
            Value::Bool(s.assign_ipv6_address_on_creation().unwrap_or(false)),
        ),
        (
            "customer_owned_ipv4_pool",
            Value::opt_string(s.customer_owned_ipv4_pool()),
        ),
        ("enable_dns64", Value::Bool(s.enable_dns64().unwrap_or(false))),
        (
            "enable_lni_at_device_index",
            Value::opt_int(s.enable_lni_at_device_index().filter(|n| *n != 0)),
        ),
        (
            "enable_resource_name_dns_aaaa_record_on_launch",
            Value::Bool(
                dns.and_then(|d| d.enable_resource_name_dns_aaaa_record())
                    .unwrap_or(false),
            ),
        ),
        (
            "enable_resource_name_dns_a_record_on_launch",
            Value::Bool(dns.and_then(|d| d.enable_resource_name_dns_a_record()).unwrap_or(false)),
        ),
        (
            "ipv6_cidr_block",
            Value::opt_string(ipv6.and_then(|a| a.ipv6_cidr_block())),
        ),
        (
            "ipv6_cidr_block_association_id",
            Value::opt_string(ipv6.and_then(|a| a.association_id())),
        ),
        ("ipv6_native", Value::Bool(s.ipv6_native().unwrap_or(false))),
        (
            "map_customer_owned_ip_on_launch",
            false_as_prior(
                prior,
                "map_customer_owned_ip_on_launch",
                s.map_customer_owned_ip_on_launch(),
            ),
        ),
        (
            "map_public_ip_on_launch",
            Value::Bool(s.map_public_ip_on_launch().unwrap_or(false)),
        ),
        ("outpost_arn", Value::opt_string(s.outpost_arn())),
        ("owner_id", Value::opt_string(s.owner_id())),
        (
            "private_dns_hostname_type_on_launch",
            Value::opt_string(dns.and_then(|d| d.hostname_type()).map(|h| h.as_str())),
        ),
    ]);
    // Only known at create; kept from state.
    for k in [
        "ipv4_ipam_pool_id",
        "ipv4_netmask_length",
        "ipv6_ipam_pool_id",
        "ipv6_netmask_length",
    ] {
        obj.set_attr(k, prior.get(k).cloned().unwrap_or_default());
    }
    if obj.get_str("arn").is_none() {
        let arn = c.arn(
            "ec2",
            s.owner_id().unwrap_or_default(),
            &format!("subnet/{}", s.subnet_id().unwrap_or_default()),
        );
        obj.set_attr("arn", Value::string(arn));
    }
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(s.tags()));
    complete(&block(), obj)
}

async fn read_subnets(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let subnets: Vec<_> = c
            .ec2()
            .describe_subnets()
            .filters(filter("subnet-id", chunk.iter().cloned()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading EC2 subnets"))?;
        for s in subnets {
            let id = s.subnet_id().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            results.insert(id, flatten(c, &s, prior));
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_subnets(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// Changes one subnet attribute (the API takes one per call).
async fn modify(c: &AwsClient, id: &str, name: &str, planned: &Value) -> Result<()> {
    let b = |v: bool| AttributeBooleanValue::builder().value(v).build();
    let flag = planned.get_bool(name).unwrap_or(false);
    let req = c.ec2().modify_subnet_attribute().subnet_id(id);
    let req = match name {
        "map_public_ip_on_launch" => req.map_public_ip_on_launch(b(flag)),
        "assign_ipv6_address_on_creation" => req.assign_ipv6_address_on_creation(b(flag)),
        "enable_dns64" => req.enable_dns64(b(flag)),
        "enable_resource_name_dns_a_record_on_launch" => req.enable_resource_name_dns_a_record_on_launch(b(flag)),
        "enable_resource_name_dns_aaaa_record_on_launch" => req.enable_resource_name_dns_aaaa_record_on_launch(b(flag)),
        "private_dns_hostname_type_on_launch" => {
            req.private_dns_hostname_type_on_launch(HostnameType::from(planned.get_str(name).unwrap_or("ip-name")))
        }
        "enable_lni_at_device_index" => match planned.get_i64(name) {
            Some(n) => req.enable_lni_at_device_index(n as i32),
            None => req.disable_lni_at_device_index(b(true)),
        },
        "customer_owned" => req
            .set_customer_owned_ipv4_pool(str_attr(planned, "customer_owned_ipv4_pool"))
            .map_customer_owned_ip_on_launch(b(planned.get_bool("map_customer_owned_ip_on_launch").unwrap_or(false))),
        other => return Err(ProviderError::new(format!("unknown subnet attribute {other}"))),
    };
    req.send()
        .await
        .map_err(aws_err(format!("updating {name} of EC2 subnet {id}")))?;
    Ok(())
}

/// Replaces the subnet's IPv6 CIDR block association with the planned one (or none).
async fn update_ipv6(c: &AwsClient, id: &str, prior: &Value, planned: &Value) -> Result<()> {
    if let Some(assoc) = str_attr(prior, "ipv6_cidr_block_association_id") {
        c.ec2()
            .disassociate_subnet_cidr_block()
            .association_id(assoc)
            .send()
            .await
            .map_err(aws_err(format!("removing the IPv6 CIDR block of EC2 subnet {id}")))?;
    }
    if let Some(cidr) = str_attr(planned, "ipv6_cidr_block") {
        c.ec2()
            .associate_subnet_cidr_block()
            .subnet_id(id)
            .ipv6_cidr_block(cidr)
            .send()
            .await
            .map_err(aws_err(format!("adding an IPv6 CIDR block to EC2 subnet {id}")))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for Subnet {
    fn name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
            .timeouts(Timeouts::minutes(10, 20, 20))
            .terraform_version(1)
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        // As Terraform: changing the IPv6 block of a subnet that assigns IPv6 addresses replaces it.
        if let Some(prior) = req.prior
            && changed(prior, req.planned, "ipv6_cidr_block")
            && !prior.get("ipv6_cidr_block").is_none_or(Value::is_null)
            && prior.get_bool("assign_ipv6_address_on_creation") == Some(true)
        {
            req.requires_replace.push(infra_provider::Path::attr("ipv6_cidr_block"));
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_subnets(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let tags = tags::for_create(c, ctx, planned);
        let vpc_id = str_attr(planned, "vpc_id").ok_or_else(|| ProviderError::invalid("vpc_id is required"))?;
        let out = c
            .ec2()
            .create_subnet()
            .vpc_id(&vpc_id)
            .tag_specifications(tag_spec(Ec2Type::Subnet, &tags))
            .set_cidr_block(str_attr(planned, "cidr_block"))
            .set_availability_zone(str_attr(planned, "availability_zone"))
            .set_availability_zone_id(str_attr(planned, "availability_zone_id"))
            .set_ipv4_ipam_pool_id(str_attr(planned, "ipv4_ipam_pool_id"))
            .set_ipv4_netmask_length(planned.get_i64("ipv4_netmask_length").map(|n| n as i32))
            .set_ipv6_cidr_block(str_attr(planned, "ipv6_cidr_block"))
            .set_ipv6_ipam_pool_id(str_attr(planned, "ipv6_ipam_pool_id"))
            .set_ipv6_netmask_length(planned.get_i64("ipv6_netmask_length").map(|n| n as i32))
            .set_ipv6_native(planned.get_bool("ipv6_native").filter(|b| *b))
            .set_outpost_arn(str_attr(planned, "outpost_arn"))
            .send()
            .await
            .map_err(aws_err(format!("creating EC2 subnet in {vpc_id}")))?;
        let id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .ok_or_else(|| ProviderError::new("CreateSubnet returned no subnet ID"))?
            .to_string();
        let rest = async {
            wait_for(ctx, "subnet available", || async {
                let out = c
                    .ec2()
                    .describe_subnets()
                    .filters(filter("subnet-id", [id.as_str()]))
                    .send()
                    .await
                    .map_err(aws_err(format!("reading EC2 subnet {id}")))?;
                Ok(
                    match out
                        .subnets()
                        .first()
                        .and_then(|s| s.state())
                        .map(|s| s.as_str().to_string())
                    {
                        Some(s) if s == "available" => Poll::Ready(()),
                        Some(s) => Poll::Pending(s),
                        None => Poll::Pending("not visible yet".into()),
                    },
                )
            })
            .await?;
            for name in [
                "map_public_ip_on_launch",
                "assign_ipv6_address_on_creation",
                "enable_dns64",
                "enable_resource_name_dns_a_record_on_launch",
                "enable_resource_name_dns_aaaa_record_on_launch",
            ] {
                if planned.get_bool(name) == Some(true) {
                    modify(c, &id, name, planned).await?;
                }
            }
            if planned
                .get_str("private_dns_hostname_type_on_launch")
                .is_some_and(|h| h != "ip-name")
            {
                modify(c, &id, "private_dns_hostname_type_on_launch", planned).await?;
            }
            if planned.get_i64("enable_lni_at_device_index").is_some() {
                modify(c, &id, "enable_lni_at_device_index", planned).await?;
            }
            if str_attr(planned, "customer_owned_ipv4_pool").is_some() {
                modify(c, &id, "customer_owned", planned).await?;
            }
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EC2 subnet {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        if changed(prior, planned, "customer_owned_ipv4_pool")
            || changed(prior, planned, "map_customer_owned_ip_on_launch")
        {
            modify(c, &id, "customer_owned", planned).await?;
        }
        // Stop assigning IPv6 addresses before the IPv6 block changes, start again after (as Terraform).
        let assign_changed = changed(prior, planned, "assign_ipv6_address_on_creation");
        if assign_changed && planned.get_bool("assign_ipv6_address_on_creation") != Some(true) {
            modify(c, &id, "assign_ipv6_address_on_creation", planned).await?;
        }
        if changed(prior, planned, "ipv6_cidr_block") && !planned.get("ipv6_cidr_block").is_some_and(Value::is_unknown)
        {
            update_ipv6(c, &id, prior, planned).await?;
        }
        for name in [
            "enable_dns64",
            "enable_lni_at_device_index",
            "enable_resource_name_dns_aaaa_record_on_launch",
            "enable_resource_name_dns_a_record_on_launch",
            "map_public_ip_on_launch",
            "private_dns_hostname_type_on_launch",
        ] {
            if changed(prior, planned, name) && !planned.get(name).is_some_and(Value::is_unknown) {
                modify(c, &id, name, planned).await?;
            }
        }
        if assign_changed && planned.get_bool("assign_ipv6_address_on_creation") == Some(true) {
            modify(c, &id, "assign_ipv6_address_on_creation", planned).await?;
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 subnet {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        delete_retrying(ctx, "subnet deletion", || async {
            c.ec2()
                .delete_subnet()
                .subnet_id(&id)
                .send()
                .await
                .map_err(aws_err(format!("deleting EC2 subnet {id}")))?;
            Ok(())
        })
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let out = c
            .ec2()
            .describe_subnets()
            .set_filters(Some(ownership_filters(ctx)))
            .send()
            .await
            .map_err(aws_err("looking for an EC2 subnet made by an interrupted create"))?;
        match out.subnets().first().and_then(|s| s.subnet_id()) {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}
