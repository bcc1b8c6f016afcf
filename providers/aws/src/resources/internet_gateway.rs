//! `aws_internet_gateway`: an internet gateway, attached to `vpc_id` when it is set (changing it detaches
//! and attaches in place).
//!
//! Batched read: one `DescribeInternetGateways` call filtered on all the gateway IDs (paginated).

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, delete_retrying, filter, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, keys_of, partial_object, prior_for, single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{InternetGateway as Ec2Igw, ResourceType as Ec2Type};
use infra_provider::{
    Attribute, Block, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Timeouts, Type, Value,
};
use std::collections::HashMap;

pub struct InternetGateway;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
        .attr("vpc_id", Attribute::optional(Type::String))
        .tags()
}

fn flatten(c: &AwsClient, g: &Ec2Igw, prior: &Value) -> Value {
    let id = g.internet_gateway_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let vpc = g
        .attachments()
        .iter()
        .find(|a| {
            a.state()
                .is_none_or(|s| matches!(s.as_str(), "available" | "attached" | "attaching"))
        })
        .and_then(|a| a.vpc_id());
    let mut obj = Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(c.arn("ec2", owner, &format!("internet-gateway/{id}"))),
        ),
        ("owner_id", Value::opt_string(g.owner_id())),
        ("vpc_id", Value::opt_string(vpc)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(g.tags()));
    complete(&block(), obj)
}

async fn read_gateways(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let gws: Vec<_> = c
            .ec2()
            .describe_internet_gateways()
            .filters(filter("internet-gateway-id", chunk.iter().cloned()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading EC2 internet gateways"))?;
        for g in gws {
            let id = g.internet_gateway_id().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            results.insert(id, flatten(c, &g, prior));
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

async fn attach(c: &AwsClient, id: &str, vpc: &str) -> Result<()> {
    c.ec2()
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(aws_err(format!("attaching EC2 internet gateway {id} to {vpc}")))?;
    Ok(())
}

async fn detach(c: &AwsClient, ctx: &OpContext, id: &str, vpc: &str) -> Result<()> {
    // Detaching fails with DependencyViolation while public addresses are still mapped in the VPC.
    delete_retrying(ctx, "internet gateway detachment", || async {
        match c
            .ec2()
            .detach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("detaching EC2 internet gateway {id} from {vpc}"))(e);
                if code_of(&e) == "Gateway.NotAttached" {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for InternetGateway {
    fn name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(20, 20, 20))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
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
        let out = c
            .ec2()
            .create_internet_gateway()
            .tag_specifications(tag_spec(Ec2Type::InternetGateway, &tags))
            .send()
            .await
            .map_err(aws_err("creating EC2 internet gateway"))?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .ok_or_else(|| ProviderError::new("CreateInternetGateway returned no ID"))?
            .to_string();
        let rest = async {
            if let Some(vpc) = str_attr(planned, "vpc_id") {
                attach(c, &id, &vpc).await?;
            }
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EC2 internet gateway {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        if changed(prior, planned, "vpc_id") {
            if let Some(old) = str_attr(prior, "vpc_id") {
                detach(c, ctx, &id, &old).await?;
            }
            if let Some(new) = str_attr(planned, "vpc_id") {
                attach(c, &id, &new).await?;
            }
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 internet gateway {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        // Detach from whatever VPC it is attached to now, not only the one in state.
        let current = match read_one(c, &id, prior).await? {
            Some(v) => str_attr(&v, "vpc_id"),
            None => return Ok(()),
        };
        if let Some(vpc) = current {
            detach(c, ctx, &id, &vpc).await?;
        }
        delete_retrying(ctx, "internet gateway deletion", || async {
            c.ec2()
                .delete_internet_gateway()
                .internet_gateway_id(&id)
                .send()
                .await
                .map_err(aws_err(format!("deleting EC2 internet gateway {id}")))?;
            Ok(())
        })
        .await
    }

    /// The create is `CreateInternetGateway` (with its tags), then `AttachInternetGateway`: a found
    /// gateway that is not attached to the planned VPC was interrupted in between. Finishing it is the
    /// update that attaches it.
    fn unfinished(&self, found: &Value, planned: &Value) -> Vec<String> {
        match str_attr(planned, "vpc_id") {
            Some(vpc) if str_attr(found, "vpc_id").as_deref() != Some(vpc.as_str()) => {
                vec![format!("attach it to {vpc}")]
            }
            _ => Vec::new(),
        }
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let out = c
            .ec2()
            .describe_internet_gateways()
            .set_filters(Some(ownership_filters(ctx)))
            .send()
            .await
            .map_err(aws_err(
                "looking for an EC2 internet gateway made by an interrupted create",
            ))?;
        match out.internet_gateways().first().and_then(|g| g.internet_gateway_id()) {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}
