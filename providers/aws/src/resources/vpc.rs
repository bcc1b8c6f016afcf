//! `aws_vpc`: a VPC.
//!
//! Batched read: one `DescribeVpcs` call filtered on all the VPC IDs (paginated), then one
//! `DescribeRouteTables` (main route tables), one `DescribeSecurityGroups` (default groups) and one
//! `DescribeNetworkAcls` (default ACLs), each filtered on all the found VPC IDs. In a refresh the main
//! route tables and default groups come from the route tables and groups the refresh reads for the other
//! types anyway (see [`crate::refresh`]); only VPCs whose main table or default group is not among them
//! need those two calls. The three DNS/metrics
//! attributes only exist per VPC (`DescribeVpcAttribute` has no batch form), so those are three calls per
//! VPC, made concurrently.

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, delete_retrying, filter, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, bool_attr, changed, complete, false_as_prior, id_of, keys_of, partial_object, prior_for,
    single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType as Ec2Type, Tenancy, VpcAttributeName, VpcTenancy};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, Type, Value,
    wait_for,
};
use std::collections::HashMap;

pub struct Vpc;

const AMAZON_IPV6_POOL: &str = "Amazon";

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "cidr_block",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Ipv4Cidr)
                .conflicts_with(&["ipv4_netmask_length"]),
        )
        .attr(
            "instance_tenancy",
            Attribute::optional(Type::String)
                .default("default")
                .one_of(&["default", "dedicated"]),
        )
        .attr("ipv4_ipam_pool_id", Attribute::optional(Type::String).force_new())
        .attr(
            "ipv4_netmask_length",
            Attribute::optional(Type::Number)
                .force_new()
                .check(Check::IntRange(16, 28))
                .conflicts_with(&["cidr_block"]),
        )
        .attr(
            "assign_generated_ipv6_cidr_block",
            Attribute::optional(Type::Bool).conflicts_with(&["ipv6_ipam_pool_id"]),
        )
        .attr(
            "ipv6_cidr_block",
            Attribute::optional_computed(Type::String).check(Check::Ipv6Cidr),
        )
        .attr(
            "ipv6_ipam_pool_id",
            Attribute::optional(Type::String).conflicts_with(&["assign_generated_ipv6_cidr_block"]),
        )
        .attr(
            "ipv6_netmask_length",
            Attribute::optional(Type::Number).check(Check::IntOneOf(&[44, 48, 52, 56, 60])),
        )
        .attr(
            "ipv6_cidr_block_network_border_group",
            Attribute::optional_computed(Type::String),
        )
        .attr("ipv6_association_id", Attribute::computed(Type::String))
        .attr("enable_dns_support", Attribute::optional(Type::Bool).default(true))
        .attr("enable_dns_hostnames", Attribute::optional_computed(Type::Bool))
        .attr(
            "enable_network_address_usage_metrics",
            Attribute::optional_computed(Type::Bool),
        )
        .attr("default_network_acl_id", Attribute::computed(Type::String))
        .attr("default_route_table_id", Attribute::computed(Type::String))
        .attr("default_security_group_id", Attribute::computed(Type::String))
        .attr("main_route_table_id", Attribute::computed(Type::String))
        .attr("dhcp_options_id", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
        .tags()
}

#[derive(Default)]
struct Attrs {
    dns_support: Option<bool>,
    dns_hostnames: Option<bool>,
    usage_metrics: Option<bool>,
}

async fn vpc_attrs(c: &AwsClient, id: &str) -> Result<Attrs> {
    let get = |name: VpcAttributeName| async move {
        c.ec2()
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name)
            .send()
            .await
            .map_err(aws_err(format!("reading attributes of EC2 VPC {id}")))
    };
    let (s, h, m) = futures::join!(
        get(VpcAttributeName::EnableDnsSupport),
        get(VpcAttributeName::EnableDnsHostnames),
        get(VpcAttributeName::EnableNetworkAddressUsageMetrics)
    );
    Ok(Attrs {
        dns_support: s?.enable_dns_support().and_then(AttributeBooleanValue::value),
        dns_hostnames: h?.enable_dns_hostnames().and_then(AttributeBooleanValue::value),
        usage_metrics: match m {
            Ok(o) => o
                .enable_network_address_usage_metrics()
                .and_then(AttributeBooleanValue::value),
            // Partitions and endpoints without this attribute refuse to describe it: it is off there.
            Err(e) if matches!(code_of(&e), "InvalidParameterValue" | "UnsupportedOperation") => None,
            Err(e) => return Err(e),
        },
    })
}

/// Reads the VPCs with these IDs (see the module documentation for the calls).
async fn read_vpcs(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let mut results = ReadResults::new();
    let mut vpcs = Vec::new();
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let page: Vec<_> = c
            .ec2()
            .describe_vpcs()
            .filters(filter("vpc-id", chunk.iter().cloned()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading EC2 VPCs"))?;
        vpcs.extend(page);
    }
    if vpcs.is_empty() {
        return Ok(results);
    }
    let found: Vec<String> = vpcs.iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect();
    let mut main_rtb = HashMap::new();
    let mut default_sg = HashMap::new();
    let mut default_acl = HashMap::new();
    let ours = |v: Option<&str>| v.is_some_and(|v| found.iter().any(|f| f == v));
    if let Some(tables) = crate::ec2::shared_route_tables(c).await? {
        for t in tables.iter().filter(|t| ours(t.vpc_id())) {
            if t.associations().iter().any(|a| a.main() == Some(true))
                && let (Some(v), Some(id)) = (t.vpc_id(), t.route_table_id())
            {
                main_rtb.insert(v.to_string(), id.to_string());
            }
        }
    }
    if let Some(groups) = crate::ec2::shared_security_groups(c).await? {
        for g in groups
            .iter()
            .filter(|g| ours(g.vpc_id()) && g.group_name() == Some("default"))
        {
            if let (Some(v), Some(id)) = (g.vpc_id(), g.group_id()) {
                default_sg.insert(v.to_string(), id.to_string());
            }
        }
    }
    let need_rtb: Vec<String> = found.iter().filter(|v| !main_rtb.contains_key(*v)).cloned().collect();
    let need_sg: Vec<String> = found.iter().filter(|v| !default_sg.contains_key(*v)).cloned().collect();
    for chunk in need_rtb.chunks(FILTER_VALUES_MAX) {
        let rtbs: Vec<_> = c
            .ec2()
            .describe_route_tables()
            .filters(filter("vpc-id", chunk.iter().cloned()))
            .filters(filter("association.main", ["true"]))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading main route tables of EC2 VPCs"))?;
        for r in rtbs {
            if let (Some(v), Some(id)) = (r.vpc_id(), r.route_table_id()) {
                main_rtb.insert(v.to_string(), id.to_string());
            }
        }
    }
    for chunk in need_sg.chunks(FILTER_VALUES_MAX) {
        let sgs: Vec<_> = c
            .ec2()
            .describe_security_groups()
            .filters(filter("vpc-id", chunk.iter().cloned()))
            .filters(filter("group-name", ["default"]))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading default security groups of EC2 VPCs"))?;
        for g in sgs {
            if let (Some(v), Some(id)) = (g.vpc_id(), g.group_id()) {
                default_sg.insert(v.to_string(), id.to_string());
            }
        }
    }
    for chunk in found.chunks(FILTER_VALUES_MAX) {
        let acls: Vec<_> = c
            .ec2()
            .describe_network_acls()
            .filters(filter("vpc-id", chunk.iter().cloned()))
            .filters(filter("default", ["true"]))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading default network ACLs of EC2 VPCs"))?;
        for a in acls {
            if let (Some(v), Some(id)) = (a.vpc_id(), a.network_acl_id()) {
                default_acl.insert(v.to_string(), id.to_string());
            }
        }
    }
    let attrs = futures::future::join_all(found.iter().map(|id| vpc_attrs(c, id))).await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let empty = Value::Null;
    for (v, a) in vpcs.iter().zip(attrs) {
        let a = a?;
        let id = v.vpc_id().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&id).copied().unwrap_or(&empty);
        let owner = v.owner_id().unwrap_or_default();
        let mut obj = Value::map([
            ("id", Value::string(&id)),
            ("arn", Value::string(c.arn("ec2", owner, &format!("vpc/{id}")))),
            ("cidr_block", Value::opt_string(v.cidr_block())),
            (
                "instance_tenancy",
                Value::opt_string(v.instance_tenancy().map(|t| t.as_str())),
            ),
            ("dhcp_options_id", Value::opt_string(v.dhcp_options_id())),
            ("owner_id", Value::opt_string(v.owner_id())),
            ("enable_dns_support", Value::opt_bool(a.dns_support)),
            ("enable_dns_hostnames", Value::opt_bool(a.dns_hostnames)),
            (
                "enable_network_address_usage_metrics",
                Value::Bool(a.usage_metrics.unwrap_or(false)),
            ),
            ("default_network_acl_id", Value::opt_string(default_acl.get(&id))),
            ("default_route_table_id", Value::opt_string(main_rtb.get(&id))),
            ("main_route_table_id", Value::opt_string(main_rtb.get(&id))),
            ("default_security_group_id", Value::opt_string(default_sg.get(&id))),
            // Only known at create; kept from state.
            (
                "ipv4_ipam_pool_id",
                prior.get("ipv4_ipam_pool_id").cloned().unwrap_or_default(),
            ),
            (
                "ipv4_netmask_length",
                prior.get("ipv4_netmask_length").cloned().unwrap_or_default(),
            ),
        ]);
        let assoc = v.ipv6_cidr_block_association_set().iter().find(|a| {
            let st = a
                .ipv6_cidr_block_state()
                .and_then(|s| s.state())
                .map(|s| s.as_str())
                .unwrap_or("associated");
            st == "associated" || st == "associating"
        });
        match assoc {
            None => {
                obj.set_attr(
                    "assign_generated_ipv6_cidr_block",
                    false_as_prior(prior, "assign_generated_ipv6_cidr_block", Some(false)),
                );
                for k in [
                    "ipv6_association_id",
                    "ipv6_cidr_block",
                    "ipv6_cidr_block_network_border_group",
                ] {
                    obj.set_attr(k, Value::Null);
                }
            }
            Some(a) => {
                let pool = a.ipv6_pool().unwrap_or_default();
                let amazon = pool == AMAZON_IPV6_POOL || pool.is_empty();
                obj.set_attr(
                    "assign_generated_ipv6_cidr_block",
                    false_as_prior(prior, "assign_generated_ipv6_cidr_block", Some(amazon)),
                );
                obj.set_attr("ipv6_association_id", Value::opt_string(a.association_id()));
                obj.set_attr("ipv6_cidr_block", Value::opt_string(a.ipv6_cidr_block()));
                obj.set_attr(
                    "ipv6_cidr_block_network_border_group",
                    Value::opt_string(a.network_border_group()),
                );
                if !amazon {
                    obj.set_attr("ipv6_ipam_pool_id", Value::string(pool));
                    obj.set_attr(
                        "ipv6_netmask_length",
                        prior.get("ipv6_netmask_length").cloned().unwrap_or_default(),
                    );
                }
            }
        }
        tags::set_read_tags(c, &mut obj, prior, tag_pairs(v.tags()));
        results.insert(id, complete(&block(), obj));
    }
    Ok(results)
}

pub(crate) async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_vpcs(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

async fn modify_bool(c: &AwsClient, id: &str, name: &str, value: bool) -> Result<()> {
    let v = AttributeBooleanValue::builder().value(value).build();
    let req = c.ec2().modify_vpc_attribute().vpc_id(id);
    let req = match name {
        "enable_dns_support" => req.enable_dns_support(v),
        "enable_dns_hostnames" => req.enable_dns_hostnames(v),
        _ => req.enable_network_address_usage_metrics(v),
    };
    req.send()
        .await
        .map_err(aws_err(format!("updating {name} of EC2 VPC {id}")))?;
    Ok(())
}

async fn wait_available(c: &AwsClient, ctx: &OpContext, id: &str) -> Result<()> {
    wait_for(ctx, "VPC available", || async {
        let out = c
            .ec2()
            .describe_vpcs()
            .filters(filter("vpc-id", [id]))
            .send()
            .await
            .map_err(aws_err(format!("reading EC2 VPC {id}")))?;
        let state = out
            .vpcs()
            .first()
            .and_then(|v| v.state())
            .map(|s| s.as_str().to_string());
        Ok(match state.as_deref() {
            Some("available") => Poll::Ready(()),
            Some(s) => Poll::Pending(s.to_string()),
            None => Poll::Pending("not visible yet".into()),
        })
    })
    .await
}

/// Associates or removes the VPC's IPv6 block to match `planned`.
async fn update_ipv6(c: &AwsClient, id: &str, prior: &Value, planned: &Value) -> Result<()> {
    if let Some(assoc) = str_attr(prior, "ipv6_association_id") {
        c.ec2()
            .disassociate_vpc_cidr_block()
            .association_id(&assoc)
            .send()
            .await
            .map_err(aws_err(format!("removing the IPv6 CIDR block of EC2 VPC {id}")))?;
    }
    let amazon = bool_attr(planned, "assign_generated_ipv6_cidr_block", false);
    let pool = str_attr(planned, "ipv6_ipam_pool_id");
    if amazon || pool.is_some() {
        let mut req = c.ec2().associate_vpc_cidr_block().vpc_id(id);
        if amazon {
            req = req
                .amazon_provided_ipv6_cidr_block(true)
                .set_ipv6_cidr_block_network_border_group(str_attr(planned, "ipv6_cidr_block_network_border_group"));
        } else {
            req = req
                .set_ipv6_ipam_pool_id(pool)
                .set_ipv6_cidr_block(str_attr(planned, "ipv6_cidr_block"))
                .set_ipv6_netmask_length(planned.get_i64("ipv6_netmask_length").map(|n| n as i32));
        }
        req.send()
            .await
            .map_err(aws_err(format!("adding an IPv6 CIDR block to EC2 VPC {id}")))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for Vpc {
    fn name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> Schema {
        // Version 1 in the Terraform provider, as its state records it.
        Schema::new(block()).terraform_version(1)
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if req.prior.is_some_and(|p| {
            changed(p, req.planned, "assign_generated_ipv6_cidr_block") || changed(p, req.planned, "ipv6_ipam_pool_id")
        }) {
            for k in ["ipv6_association_id", "ipv6_cidr_block"] {
                if req.config.get(k).is_none_or(Value::is_null) {
                    req.planned.set_attr(k, Value::Unknown);
                }
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_vpcs(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .ec2()
            .create_vpc()
            .tag_specifications(tag_spec(Ec2Type::Vpc, &tags))
            .set_cidr_block(str_attr(planned, "cidr_block"))
            .instance_tenancy(Tenancy::from(planned.get_str("instance_tenancy").unwrap_or("default")))
            .set_ipv4_ipam_pool_id(str_attr(planned, "ipv4_ipam_pool_id"))
            .set_ipv4_netmask_length(planned.get_i64("ipv4_netmask_length").map(|n| n as i32))
            .set_amazon_provided_ipv6_cidr_block(planned.get_bool("assign_generated_ipv6_cidr_block"))
            .set_ipv6_cidr_block(str_attr(planned, "ipv6_cidr_block"))
            .set_ipv6_ipam_pool_id(str_attr(planned, "ipv6_ipam_pool_id"))
            .set_ipv6_netmask_length(planned.get_i64("ipv6_netmask_length").map(|n| n as i32))
            .set_ipv6_cidr_block_network_border_group(str_attr(planned, "ipv6_cidr_block_network_border_group"))
            .send()
            .await
            .map_err(aws_err("creating EC2 VPC"))?;
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| ProviderError::new("CreateVpc returned no VPC ID"))?
            .to_string();
        let rest = async {
            wait_available(c, ctx, &id).await?;
            if planned.get_bool("enable_dns_hostnames") == Some(true) {
                modify_bool(c, &id, "enable_dns_hostnames", true).await?;
            }
            if planned.get_bool("enable_dns_support") == Some(false) {
                modify_bool(c, &id, "enable_dns_support", false).await?;
            }
            if planned.get_bool("enable_network_address_usage_metrics") == Some(true) {
                modify_bool(c, &id, "enable_network_address_usage_metrics", true).await?;
            }
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EC2 VPC {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        for name in [
            "enable_dns_support",
            "enable_dns_hostnames",
            "enable_network_address_usage_metrics",
        ] {
            if let Some(b) = planned.get_bool(name).filter(|_| changed(prior, planned, name)) {
                modify_bool(c, &id, name, b).await?;
            }
        }
        if changed(prior, planned, "instance_tenancy") {
            let t = planned.get_str("instance_tenancy").unwrap_or("default");
            c.ec2()
                .modify_vpc_tenancy()
                .vpc_id(&id)
                .instance_tenancy(VpcTenancy::from(t))
                .send()
                .await
                .map_err(aws_err(format!("updating the tenancy of EC2 VPC {id}")))?;
        }
        if [
            "assign_generated_ipv6_cidr_block",
            "ipv6_ipam_pool_id",
            "ipv6_cidr_block_network_border_group",
        ]
        .iter()
        .any(|k| changed(prior, planned, k))
            || (str_attr(planned, "ipv6_ipam_pool_id").is_some() && changed(prior, planned, "ipv6_cidr_block"))
        {
            update_ipv6(c, &id, prior, planned).await?;
        }
        let ch = tags::changes(c, prior, planned);
        update_tags(c, &id, &ch).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 VPC {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        delete_retrying(ctx, "VPC deletion", || async {
            c.ec2()
                .delete_vpc()
                .vpc_id(&id)
                .send()
                .await
                .map_err(aws_err(format!("deleting EC2 VPC {id}")))?;
            Ok(())
        })
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let out = c
            .ec2()
            .describe_vpcs()
            .set_filters(Some(ownership_filters(ctx)))
            .send()
            .await
            .map_err(aws_err("looking for an EC2 VPC made by an interrupted create"))?;
        match out.vpcs().first().and_then(|v| v.vpc_id()) {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn network_cidrs() {
        let s = Vpc.schema();
        let cidr = s.block.attributes["cidr_block"].check.unwrap();
        assert!(cidr.check(&Value::from("10.20.0.0/16")).is_ok());
        for bad in ["10.9.0.0/33", "10.9.0.300/16", "0.0.0.0/99", "10.0.0.1/16"] {
            assert!(cidr.check(&Value::from(bad)).is_err(), "{bad}");
        }
        let v6 = s.block.attributes["ipv6_cidr_block"].check.unwrap();
        assert!(v6.check(&Value::from("2001:db8::/56")).is_ok());
        assert!(v6.check(&Value::from("2001:db8::/129")).is_err());
        let tenancy = s.block.attributes["instance_tenancy"].check.unwrap();
        let e = tenancy.check(&Value::from("dedicatd")).unwrap_err();
        assert!(e.contains("Did you mean \"dedicated\""), "{e}");
    }
}
