//! `aws_nat_gateway`: a NAT gateway in a subnet (public with an Elastic IP allocation, or private).
//! Create waits until it is `available`, delete until it is `deleted`. Secondary addresses change in
//! place; everything else forces replacement.
//!
//! Batched read: one `DescribeNatGateways` call filtered on all the gateway IDs (`nat-gateway-id`,
//! paginated); tags come back in it, so N gateways cost one call. A gateway in state `deleted` is gone.
//! Import ID: the gateway ID. `CreateNatGateway` gets a client token derived from the operation's, and an
//! interrupted create is found among the subnet's live gateways by its ownership tags (set atomically by
//! the create's tag specifications).

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, filter, tag_pairs, tag_spec, update_tags};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, idempotency_token, keys_of, partial_object, prior_for, single,
    str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGateway as Ec2Nat, ResourceType as Ec2Type};
use infra_provider::{
    Attribute, Block, Check, Invalid, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    TAG_ADDRESS, TAG_LINEAGE, Timeouts, Type, Value, wait_for,
};
use std::collections::{BTreeSet, HashMap};

pub struct NatGateway;

fn block() -> Block {
    Block::new()
        .id()
        .attr("allocation_id", Attribute::optional(Type::String).force_new())
        .attr("association_id", Attribute::computed(Type::String))
        .attr(
            "connectivity_type",
            Attribute::optional(Type::String)
                .default("public")
                .force_new()
                .one_of(&["private", "public"]),
        )
        .attr("network_interface_id", Attribute::computed(Type::String))
        .attr(
            "private_ip",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(crate::values::ipv4_address)),
        )
        .attr("public_ip", Attribute::computed(Type::String))
        .attr(
            "secondary_allocation_ids",
            Attribute::optional_computed(Type::string_set()),
        )
        .attr(
            "secondary_private_ip_address_count",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(1, 31)),
        )
        .attr(
            "secondary_private_ip_addresses",
            Attribute::optional_computed(Type::string_set()).check(Check::Fn(crate::values::ipv4_address)),
        )
        .attr("subnet_id", Attribute::required(Type::String).force_new())
        .tags()
}

fn state(n: &Ec2Nat) -> &str {
    n.state().map(|s| s.as_str()).unwrap_or("available")
}

fn flatten(c: &AwsClient, n: &Ec2Nat, prior: &Value) -> Value {
    let addrs = n.nat_gateway_addresses();
    let primary = addrs
        .iter()
        .find(|a| a.is_primary() == Some(true))
        .or_else(|| addrs.iter().find(|a| a.is_primary().is_none()))
        .or(addrs.first());
    let secondary: Vec<_> = addrs
        .iter()
        .filter(|a| primary.is_none_or(|p| !std::ptr::eq(*a, p)))
        .filter(|a| {
            !matches!(
                a.status().map(|s| s.as_str()),
                Some("disassociating" | "unassigning" | "failed")
            )
        })
        .collect();
    let public = n.connectivity_type().is_none_or(|t| t.as_str() == "public");
    let mut obj = Value::map([
        ("id", Value::opt_string(n.nat_gateway_id())),
        (
            "allocation_id",
            Value::opt_string(primary.and_then(|a| a.allocation_id())),
        ),
        (
            "association_id",
            Value::opt_string(primary.and_then(|a| a.association_id())),
        ),
        (
            "connectivity_type",
            Value::string(n.connectivity_type().map(|t| t.as_str()).unwrap_or("public")),
        ),
        (
            "network_interface_id",
            Value::opt_string(primary.and_then(|a| a.network_interface_id())),
        ),
        ("private_ip", Value::opt_string(primary.and_then(|a| a.private_ip()))),
        ("public_ip", Value::opt_string(primary.and_then(|a| a.public_ip()))),
        (
            "secondary_allocation_ids",
            Value::string_set(secondary.iter().filter_map(|a| a.allocation_id())),
        ),
        (
            "secondary_private_ip_address_count",
            if public {
                crate::values::carry(prior, "secondary_private_ip_address_count", Value::Null)
            } else {
                Value::int(secondary.len() as i64)
            },
        ),
        (
            "secondary_private_ip_addresses",
            Value::string_set(secondary.iter().filter_map(|a| a.private_ip())),
        ),
        ("subnet_id", Value::opt_string(n.subnet_id())),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(n.tags()));
    complete(&block(), obj)
}

async fn describe(c: &AwsClient, filters: Vec<aws_sdk_ec2::types::Filter>) -> Result<Vec<Ec2Nat>> {
    c.ec2()
        .describe_nat_gateways()
        .set_filter(Some(filters))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("reading EC2 NAT gateways"))
}

async fn read_gateways(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        for n in describe(c, vec![filter("nat-gateway-id", chunk.iter().cloned())]).await? {
            if matches!(state(&n), "deleted" | "deleting" | "failed") {
                continue;
            }
            let id = n.nat_gateway_id().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            results.insert(id, flatten(c, &n, prior));
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_gateways(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// Waits until the gateway is `available` (an error if it fails) and reads it.
async fn wait_available(c: &AwsClient, ctx: &OpContext, id: &str, planned: &Value) -> Result<Value> {
    wait_for(ctx, "NAT gateway available", || async {
        let found = describe(c, vec![filter("nat-gateway-id", [id])]).await?;
        let Some(n) = found.first() else {
            return Ok(Poll::Pending("not visible yet".into()));
        };
        match state(n) {
            "available" => Ok(Poll::Ready(())),
            "failed" | "deleted" | "deleting" => Err(ProviderError::api(
                n.failure_code().unwrap_or("NatGatewayFailed"),
                format!(
                    "EC2 NAT gateway {id} is {}: {}",
                    state(n),
                    n.failure_message().unwrap_or("no reason given")
                ),
            )),
            other => Ok(Poll::Pending(other.to_string())),
        }
    })
    .await?;
    read_one(c, id, planned)
        .await?
        .ok_or_else(|| ProviderError::new(format!("EC2 NAT gateway {id} vanished")))
}

/// Adds and removes secondary addresses as planned.
async fn update_secondary(c: &AwsClient, id: &str, prior: &Value, planned: &Value) -> Result<()> {
    let set = |v: &Value, k: &str| -> BTreeSet<String> { v.get_strings(k).into_iter().collect() };
    let public = planned.get_str("connectivity_type") != Some("private");
    if public {
        if !changed(prior, planned, "secondary_allocation_ids")
            || planned.get("secondary_allocation_ids").is_some_and(Value::is_unknown)
        {
            return Ok(());
        }
        let (have, want) = (
            set(prior, "secondary_allocation_ids"),
            set(planned, "secondary_allocation_ids"),
        );
        let remove: Vec<String> = have.difference(&want).cloned().collect();
        let add: Vec<String> = want.difference(&have).cloned().collect();
        if !remove.is_empty() {
            let current = describe(c, vec![filter("nat-gateway-id", [id])]).await?;
            let assoc_ids: Vec<String> = current
                .iter()
                .flat_map(|n| n.nat_gateway_addresses())
                .filter(|a| a.allocation_id().is_some_and(|x| remove.iter().any(|r| r == x)))
                .filter_map(|a| a.association_id().map(str::to_string))
                .collect();
            c.ec2()
                .disassociate_nat_gateway_address()
                .nat_gateway_id(id)
                .set_association_ids(Some(assoc_ids))
                .send()
                .await
                .map_err(aws_err(format!("removing secondary addresses of EC2 NAT gateway {id}")))?;
        }
        if !add.is_empty() {
            c.ec2()
                .associate_nat_gateway_address()
                .nat_gateway_id(id)
                .set_allocation_ids(Some(add))
                .send()
                .await
                .map_err(aws_err(format!("adding secondary addresses to EC2 NAT gateway {id}")))?;
        }
        return Ok(());
    }
    if changed(prior, planned, "secondary_private_ip_addresses")
        && !planned
            .get("secondary_private_ip_addresses")
            .is_some_and(Value::is_unknown)
    {
        let (have, want) = (
            set(prior, "secondary_private_ip_addresses"),
            set(planned, "secondary_private_ip_addresses"),
        );
        let remove: Vec<String> = have.difference(&want).cloned().collect();
        let add: Vec<String> = want.difference(&have).cloned().collect();
        if !remove.is_empty() {
            c.ec2()
                .unassign_private_nat_gateway_address()
                .nat_gateway_id(id)
                .set_private_ip_addresses(Some(remove))
                .send()
                .await
                .map_err(aws_err(format!("removing private addresses of EC2 NAT gateway {id}")))?;
        }
        if !add.is_empty() {
            c.ec2()
                .assign_private_nat_gateway_address()
                .nat_gateway_id(id)
                .set_private_ip_addresses(Some(add))
                .send()
                .await
                .map_err(aws_err(format!("adding private addresses to EC2 NAT gateway {id}")))?;
        }
    } else if changed(prior, planned, "secondary_private_ip_address_count")
        && let Some(want) = planned.get_i64("secondary_private_ip_address_count")
    {
        let have = prior.get_i64("secondary_private_ip_address_count").unwrap_or(0);
        if want > have {
            c.ec2()
                .assign_private_nat_gateway_address()
                .nat_gateway_id(id)
                .private_ip_address_count((want - have) as i32)
                .send()
                .await
                .map_err(aws_err(format!("adding private addresses to EC2 NAT gateway {id}")))?;
        } else if want < have {
            let mut current: Vec<String> = prior.get_strings("secondary_private_ip_addresses");
            current.truncate((have - want) as usize);
            c.ec2()
                .unassign_private_nat_gateway_address()
                .nat_gateway_id(id)
                .set_private_ip_addresses(Some(current))
                .send()
                .await
                .map_err(aws_err(format!("removing private addresses of EC2 NAT gateway {id}")))?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for NatGateway {
    fn name(&self) -> &'static str {
        "aws_nat_gateway"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(10, 10, 30))
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        let connectivity = match config.get("connectivity_type") {
            Some(Value::Unknown) => return out,
            _ => config.get_str("connectivity_type").unwrap_or("public"),
        };
        let private = connectivity == "private";
        if private && !config.get("allocation_id").is_none_or(Value::is_null) {
            out.push(Invalid::at(
                "allocation_id",
                "allocation_id is not allowed when connectivity_type is \"private\"",
            ));
        }
        if !private
            && !config
                .get("secondary_private_ip_address_count")
                .is_none_or(Value::is_null)
        {
            out.push(Invalid::at(
                "secondary_private_ip_address_count",
                "secondary_private_ip_address_count is only allowed when connectivity_type is \"private\"",
            ));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let private = req.planned.get_str("connectivity_type") == Some("private");
        // A new count means new addresses, and new addresses a new count.
        if let Some(prior) = req.prior {
            if changed(prior, req.planned, "secondary_private_ip_address_count")
                && req
                    .config
                    .get("secondary_private_ip_addresses")
                    .is_none_or(Value::is_null)
            {
                req.planned.set_attr("secondary_private_ip_addresses", Value::Unknown);
            }
            if changed(prior, req.planned, "secondary_private_ip_addresses")
                && req
                    .config
                    .get("secondary_private_ip_address_count")
                    .is_none_or(Value::is_null)
                && private
            {
                req.planned
                    .set_attr("secondary_private_ip_address_count", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_gateways(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let tags = tags::for_create(c, ctx, planned);
        let subnet = str_attr(planned, "subnet_id").ok_or_else(|| ProviderError::invalid("subnet_id is required"))?;
        let connectivity = str_attr(planned, "connectivity_type").unwrap_or_else(|| "public".into());
        let secondary_ips = planned.get_strings("secondary_private_ip_addresses");
        let out = c
            .ec2()
            .create_nat_gateway()
            .subnet_id(&subnet)
            .connectivity_type(ConnectivityType::from(connectivity.as_str()))
            .client_token(idempotency_token(&ctx.client_token, 1, 64))
            .set_allocation_id(str_attr(planned, "allocation_id"))
            .set_private_ip_address(str_attr(planned, "private_ip"))
            .set_secondary_allocation_ids(
                Some(planned.get_strings("secondary_allocation_ids")).filter(|v| !v.is_empty()),
            )
            .set_secondary_private_ip_addresses(Some(secondary_ips.clone()).filter(|v| !v.is_empty()))
            .set_secondary_private_ip_address_count(
                planned
                    .get_i64("secondary_private_ip_address_count")
                    .filter(|n| *n > 0 && secondary_ips.is_empty())
                    .map(|n| n as i32),
            )
            .tag_specifications(tag_spec(Ec2Type::Natgateway, &tags))
            .send()
            .await
            .map_err(aws_err(format!("creating EC2 NAT gateway in {subnet}")))?;
        let id = out
            .nat_gateway()
            .and_then(|n| n.nat_gateway_id())
            .ok_or_else(|| ProviderError::new("CreateNatGateway returned no gateway ID"))?
            .to_string();
        wait_available(c, ctx, &id, planned)
            .await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        update_secondary(c, &id, prior, planned).await?;
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        wait_available(c, ctx, &id, planned).await
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        if let Err(e) = c.ec2().delete_nat_gateway().nat_gateway_id(&id).send().await {
            let e = aws_err(format!("deleting EC2 NAT gateway {id}"))(e);
            return if e.is_not_found() { Ok(()) } else { Err(e) };
        }
        wait_for(ctx, "NAT gateway deleted", || async {
            let found = describe(c, vec![filter("nat-gateway-id", [id.as_str()])]).await?;
            Ok(match found.first().map(state) {
                None | Some("deleted") => Poll::Ready(()),
                Some(s) => Poll::Pending(s.to_string()),
            })
        })
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(subnet) = str_attr(planned, "subnet_id") else {
            return Ok(None);
        };
        // The subnet's live gateways, matched on the ownership tags here (tag filters are not needed).
        let found = describe(
            c,
            vec![filter("subnet-id", [subnet]), filter("state", ["pending", "available"])],
        )
        .await?;
        let ours = found.iter().find(|n| {
            let t = crate::ec2::tags_map(n.tags());
            t.get(TAG_ADDRESS) == Some(&ctx.address) && t.get(TAG_LINEAGE) == Some(&ctx.lineage)
        });
        match ours.and_then(|n| n.nat_gateway_id()) {
            Some(id) => wait_available(c, ctx, id, planned).await.map(Some),
            None => Ok(None),
        }
    }
}
