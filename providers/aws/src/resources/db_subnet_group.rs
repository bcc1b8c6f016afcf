//! `aws_db_subnet_group`: the subnets an RDS instance may be placed in. `id` is the name, which forces
//! replacement; the subnets and description change in place (`ModifyDBSubnetGroup`).
//!
//! Batched read: one `DescribeDBSubnetGroups` listing (paginated, no filter: RDS supports none for subnet
//! groups) answers every group. Tags are not in it: in a refresh they come from the Resource Groups
//! Tagging API sweep shared by all types ([`crate::tagging`]); a group it does not answer for (and every
//! group outside a refresh) costs one `ListTagsForResource`, made concurrently. (The emulator the tests
//! use does not index RDS subnet groups in its Tagging API, so there every group takes that call.)
//! Import ID: the name. An interrupted create is found by its name (given, or derived from the client
//! token) when it carries this operation's ownership tags.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::rds::{list_tags, owned_by, tag_list, update_tags};
use crate::tags;
use crate::values::{ReadResults, all_failed, changed, complete, partial_object, single, str_attr};
use async_trait::async_trait;
use aws_sdk_rds::types::DbSubnetGroup as ApiGroup;
use infra_provider::{
    Attribute, Block, Invalid, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::HashMap;

pub struct DbSubnetGroup;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .conflicts_with(&["name"]),
        )
        .attr(
            "description",
            Attribute::optional(Type::String).default("Managed by Terraform"),
        )
        .attr("subnet_ids", Attribute::required(Type::string_set()))
        .attr("supported_network_types", Attribute::computed(Type::string_set()))
        .attr("vpc_id", Attribute::computed(Type::String))
        .tags()
}

fn flatten(c: &AwsClient, g: &ApiGroup, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let name = g.db_subnet_group_name().unwrap_or_default();
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("arn", Value::opt_string(g.db_subnet_group_arn())),
        (
            "description",
            Value::string(g.db_subnet_group_description().unwrap_or_default()),
        ),
        (
            "subnet_ids",
            Value::string_set(g.subnets().iter().filter_map(|s| s.subnet_identifier())),
        ),
        (
            "supported_network_types",
            Value::string_set(g.supported_network_types()),
        ),
        ("vpc_id", Value::opt_string(g.vpc_id())),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn describe(c: &AwsClient, name: Option<&str>) -> Result<Vec<ApiGroup>> {
    let res = c
        .rds()
        .describe_db_subnet_groups()
        .set_db_subnet_group_name(name.map(str::to_string))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await;
    match res {
        Ok(v) => Ok(v),
        Err(e) => {
            let e = aws_err("reading RDS DB subnet groups")(e);
            if e.is_not_found() && name.is_some() {
                Ok(vec![])
            } else {
                Err(e)
            }
        }
    }
}

async fn read_groups(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let names = crate::values::keys_of(priors, "id");
    // One group: ask for it by name; several: list them all once.
    let groups = match names.as_slice() {
        [] => vec![],
        [one] => describe(c, Some(one)).await?,
        _ => describe(c, None).await?,
    };
    let wanted: Vec<&ApiGroup> = groups
        .iter()
        .filter(|g| g.db_subnet_group_name().is_some_and(|n| names.iter().any(|x| x == n)))
        .collect();
    let arns: Vec<String> = wanted
        .iter()
        .filter_map(|g| g.db_subnet_group_arn().map(str::to_string))
        .collect();
    let swept = if c.refresh().is_some() {
        crate::tagging::tags_by_arn(c, &arns).await?
    } else {
        HashMap::new()
    };
    let tags = futures::future::join_all(wanted.iter().map(|g| {
        let arn = g.db_subnet_group_arn().unwrap_or_default();
        let known = swept.get(arn).cloned();
        async move {
            match known {
                Some(t) => Ok(t),
                None => list_tags(c, arn).await,
            }
        }
    }))
    .await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (g, t) in wanted.into_iter().zip(tags) {
        let t = match t {
            Ok(t) => t,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let name = g.db_subnet_group_name().unwrap_or_default();
        let prior = priors_by_id.get(name).copied().unwrap_or(&Value::Null);
        results.insert(name, flatten(c, g, t, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::prior_for(prior, name);
    single(
        read_groups(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// The name a create uses (RDS stores names in lower case).
/// RDS stores group names in lower case.
fn name_for(ctx: &OpContext, planned: &Value) -> String {
    crate::values::planned_name(ctx, planned, "terraform-").to_ascii_lowercase()
}

#[async_trait]
impl ResourceType<AwsClient> for DbSubnetGroup {
    fn name(&self) -> &'static str {
        "aws_db_subnet_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, cfg: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        if let Some(n) = cfg.get_str("name")
            && (n != n.to_ascii_lowercase() || n.is_empty() || n.len() > 255)
        {
            out.push(Invalid::at(
                "name",
                format!(
                    "name {n:?}: only lowercase alphanumerics, hyphens, underscores, periods and spaces, at most 255"
                ),
            ));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if let Some(prior) = req.prior
            && changed(prior, req.planned, "subnet_ids")
        {
            req.planned.set_attr("vpc_id", Value::Unknown);
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_groups(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = name_for(ctx, planned);
        let tags = tags::for_create(c, ctx, planned);
        c.rds()
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(
                str_attr(planned, "description").unwrap_or_else(|| "Managed by Terraform".into()),
            )
            .set_subnet_ids(Some(planned.get_strings("subnet_ids")))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating RDS DB subnet group {name}")))?;
        read_one(c, &name, planned)
            .await
            .and_then(|v| {
                v.ok_or_else(|| ProviderError::new(format!("RDS DB subnet group {name} vanished after create")))
            })
            .map_err(|e| {
                e.with_partial(partial_object(
                    &block(),
                    &planned.clone().with("name", Value::string(&name)),
                    &name,
                ))
            })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(prior)?;
        let mut modified = None;
        if changed(prior, planned, "subnet_ids") || changed(prior, planned, "description") {
            let out = c
                .rds()
                .modify_db_subnet_group()
                .db_subnet_group_name(&name)
                .set_db_subnet_group_description(str_attr(planned, "description"))
                .set_subnet_ids(Some(planned.get_strings("subnet_ids")))
                .send()
                .await
                .map_err(aws_err(format!("updating RDS DB subnet group {name}")))?;
            modified = out.db_subnet_group;
        }
        let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::new("the DB subnet group has no ARN"))?;
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        match modified {
            // The modify answer holds the whole group: only its tags remain to be read.
            Some(g) => Ok(flatten(c, &g, list_tags(c, &arn).await?, planned)),
            None => read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::not_found(format!("RDS DB subnet group {name} not found"))),
        }
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = crate::values::id_of(prior)?;
        // A subnet group stays in use for a while after its last instance is deleted.
        crate::errors::delete_retrying(
            ctx,
            "DB subnet group deletion",
            &["InvalidDBSubnetGroupStateFault"],
            || async {
                c.rds()
                    .delete_db_subnet_group()
                    .db_subnet_group_name(&name)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws_err(format!("deleting RDS DB subnet group {name}")))
            },
        )
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = name_for(ctx, planned);
        let Some(g) = describe(c, Some(&name)).await?.into_iter().next() else {
            return Ok(None);
        };
        if owned_by(ctx, &list_tags(c, g.db_subnet_group_arn().unwrap_or_default()).await?) {
            read_one(c, &name, planned).await
        } else {
            Ok(None)
        }
    }
}
