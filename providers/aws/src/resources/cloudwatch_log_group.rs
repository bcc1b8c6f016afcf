//! `aws_cloudwatch_log_group`: a CloudWatch Logs log group. `id` is the name; `arn` is the log group
//! ARN without the `:*` suffix, as Terraform. `skip_destroy = true` leaves the group in place on destroy.
//!
//! Batched read: `DescribeLogGroups` with up to 50 `logGroupIdentifiers` per call (paginated) for the
//! groups; their tags (CloudWatch Logs returns none with the groups) from the refresh's Tagging API sweep
//! ([`crate::tagging`]), shared with the other types, and `ListTagsForResource` for a group the sweep
//! does not answer for (and outside a refresh).
//! Import ID: the name. An interrupted create is found by its name (given, or derived from the client
//! token) when the group carries this operation's ownership tags.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags;
use crate::values::{ReadResults, all_failed, changed, complete, partial_object, single, str_attr};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::{LogGroup, LogGroupClass};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, TAG_ADDRESS,
    TAG_LINEAGE, Type, Value,
};
use std::collections::{BTreeMap, HashMap};

pub struct CloudwatchLogGroup;

/// Most identifiers one `DescribeLogGroups` call takes.
const DESCRIBE_BATCH: usize = 50;

/// The retention periods CloudWatch Logs accepts (0: never expire).
const RETENTION_DAYS: &[i64] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 512))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 483))
                .conflicts_with(&["name"]),
        )
        .attr(
            "retention_in_days",
            Attribute::optional(Type::Number)
                .default(0)
                .check(Check::IntOneOf(RETENTION_DAYS)),
        )
        .attr("kms_key_id", Attribute::optional(Type::String))
        .attr(
            "log_group_class",
            Attribute::optional_computed(Type::String).force_new().one_of(&[
                "STANDARD",
                "INFREQUENT_ACCESS",
                "DELIVERY",
            ]),
        )
        .attr("skip_destroy", Attribute::optional(Type::Bool).default(false))
        .tags()
}

fn plain_arn(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

fn flatten(c: &AwsClient, g: &LogGroup, tags_of: &HashMap<String, Vec<(String, String)>>, prior: &Value) -> Value {
    let name = g.log_group_name().unwrap_or_default();
    let arn = g
        .log_group_arn()
        .or(g.arn())
        .map(|a| plain_arn(a).to_string())
        .unwrap_or_default();
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("arn", Value::string(&arn)),
        (
            "retention_in_days",
            Value::int(g.retention_in_days().unwrap_or(0) as i64),
        ),
        ("kms_key_id", Value::opt_string(g.kms_key_id())),
        (
            "log_group_class",
            Value::string(g.log_group_class().map(|c| c.as_str()).unwrap_or("STANDARD")),
        ),
        (
            "skip_destroy",
            crate::values::carry(prior, "skip_destroy", Value::Bool(false)),
        ),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags_of.get(&arn).cloned().unwrap_or_default());
    complete(&block(), obj)
}

/// The tags of the groups with these ARNs: from the refresh's sweep where it answers, else one
/// `ListTagsForResource` per group.
async fn tags_of_arns(c: &AwsClient, arns: &[String]) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut out = if c.refresh().is_some() {
        crate::tagging::tags_by_arn(c, arns).await?
    } else {
        HashMap::new()
    };
    let missing: Vec<&String> = arns.iter().filter(|a| !out.contains_key(*a)).collect();
    let own = futures::future::join_all(missing.iter().map(|arn| async move {
        c.logs()
            .list_tags_for_resource()
            .resource_arn(arn.as_str())
            .send()
            .await
            .map_err(aws_err(format!("reading tags of log group {arn}")))
    }))
    .await;
    for (arn, tags) in missing.into_iter().zip(own) {
        let tags = tags?
            .tags()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        out.insert(arn.clone(), tags);
    }
    Ok(out)
}

async fn describe(c: &AwsClient, names: &[String]) -> Result<Vec<LogGroup>> {
    let mut found = Vec::new();
    for chunk in names.chunks(DESCRIBE_BATCH) {
        let groups: Vec<_> = c
            .logs()
            .describe_log_groups()
            .set_log_group_identifiers(Some(chunk.to_vec()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading CloudWatch Logs log groups"))?;
        found.extend(
            groups
                .into_iter()
                .filter(|g| g.log_group_name().is_some_and(|n| chunk.iter().any(|x| x == n))),
        );
    }
    Ok(found)
}

async fn read_groups(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let names = crate::values::keys_of(priors, "id");
    let groups = describe(c, &names).await?;
    let arns: Vec<String> = groups
        .iter()
        .filter_map(|g| g.log_group_arn().or(g.arn()).map(|a| plain_arn(a).to_string()))
        .collect();
    let tags_of = if arns.is_empty() {
        HashMap::new()
    } else {
        tags_of_arns(c, &arns).await?
    };
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for g in &groups {
        let name = g.log_group_name().unwrap_or_default();
        let prior = priors_by_id.get(name).copied().unwrap_or(&Value::Null);
        results.insert(name, flatten(c, g, &tags_of, prior));
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

async fn set_retention(c: &AwsClient, name: &str, days: i64) -> Result<()> {
    if days > 0 {
        c.logs()
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days as i32)
            .send()
            .await
            .map_err(aws_err(format!("setting the retention of log group {name}")))?;
    } else {
        c.logs()
            .delete_retention_policy()
            .log_group_name(name)
            .send()
            .await
            .map_err(aws_err(format!("removing the retention of log group {name}")))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for CloudwatchLogGroup {
    fn name(&self) -> &'static str {
        "aws_cloudwatch_log_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
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
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        let tags: BTreeMap<String, String> = tags::for_create(c, ctx, planned);
        c.logs()
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(str_attr(planned, "kms_key_id"))
            .set_log_group_class(str_attr(planned, "log_group_class").map(|s| LogGroupClass::from(s.as_str())))
            .set_tags(Some(tags.into_iter().collect()))
            .send()
            .await
            .map_err(aws_err(format!("creating CloudWatch Logs log group {name}")))?;
        let rest = async {
            let days = planned.get_i64("retention_in_days").unwrap_or(0);
            if days > 0 {
                set_retention(c, &name, days).await?;
            }
            read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("log group {name} vanished after create")))
        };
        rest.await.map_err(|e| {
            e.with_partial(partial_object(
                &block(),
                &planned.clone().with("name", Value::string(&name)),
                &name,
            ))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(prior)?;
        if changed(prior, planned, "retention_in_days") {
            set_retention(c, &name, planned.get_i64("retention_in_days").unwrap_or(0)).await?;
        }
        if changed(prior, planned, "kms_key_id") {
            match str_attr(planned, "kms_key_id") {
                Some(k) => {
                    c.logs()
                        .associate_kms_key()
                        .log_group_name(&name)
                        .kms_key_id(k)
                        .send()
                        .await
                        .map_err(aws_err(format!("setting the KMS key of log group {name}")))?;
                }
                None => {
                    c.logs()
                        .disassociate_kms_key()
                        .log_group_name(&name)
                        .send()
                        .await
                        .map_err(aws_err(format!("removing the KMS key of log group {name}")))?;
                }
            }
        }
        let ch = tags::changes(c, prior, planned);
        if !ch.is_empty() {
            let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::new("the log group has no ARN"))?;
            if !ch.remove.is_empty() {
                c.logs()
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(ch.remove.clone()))
                    .send()
                    .await
                    .map_err(aws_err(format!("removing tags of log group {name}")))?;
            }
            if !ch.set.is_empty() {
                c.logs()
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(ch.set.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(aws_err(format!("tagging log group {name}")))?;
            }
        }
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("log group {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        if prior.get_bool("skip_destroy") == Some(true) {
            return Ok(());
        }
        let name = crate::values::id_of(prior)?;
        match c.logs().delete_log_group().log_group_name(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting log group {name}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        let Some(found) = read_one(c, &name, planned).await? else {
            return Ok(None);
        };
        // Ownership tags are hidden in reads: ask for them directly.
        let arn = str_attr(&found, "arn").unwrap_or_default();
        let tags: HashMap<String, String> = tags_of_arns(c, &[arn]).await?.into_values().flatten().collect();
        let ours = tags.get(TAG_ADDRESS) == Some(&ctx.address) && tags.get(TAG_LINEAGE) == Some(&ctx.lineage);
        Ok(ours.then_some(found))
    }
}
