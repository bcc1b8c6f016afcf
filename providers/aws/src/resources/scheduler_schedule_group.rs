//! `aws_scheduler_schedule_group`: an EventBridge Scheduler schedule group. `id` is the name. Name and
//! prefix force a new group; only tags change in place. The create waits until the group is `ACTIVE`,
//! the delete until it is gone (deleting a group deletes its schedules), as Terraform does.
//!
//! Batched read: one `ListScheduleGroups` (paginated) holds every group with its state and dates; tags are
//! read with `ListTagsForResource`, one per group (the Scheduler API has no call for the tags of many).
//! Import ID: the name. An interrupted create is found by its name (given, or derived from the client
//! token) when the group carries this operation's ownership tags.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::{self, TagChanges};
use crate::values::{ReadResults, all_failed, complete, partial_object, planned_name, str_attr};
use async_trait::async_trait;
use aws_sdk_scheduler::types::{ScheduleGroupState, Tag};
use aws_smithy_types::DateTime;
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, Timeouts, Type,
    Value, wait_for,
};
use std::collections::HashMap;

pub struct SchedulerScheduleGroup;

/// `Check::Fn`: a schedule or group name (letters, digits, `-`, `_`, `.`).
pub fn valid_name(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(s) if !s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) => Err(format!(
            "{s:?}: the name must consist of alphanumerics, hyphens, and underscores."
        )),
        _ => Ok(()),
    }
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(|v| {
                    Check::Length(1, 64).check(v)?;
                    valid_name(v)
                }))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(|v| {
                    Check::Length(1, 38).check(v)?;
                    valid_name(v)
                }))
                .conflicts_with(&["name"]),
        )
        .attr("state", Attribute::computed(Type::String))
        .attr("creation_date", Attribute::computed(Type::String))
        .attr("last_modification_date", Attribute::computed(Type::String))
        .tags()
}

/// An RFC 3339 timestamp to the second, as Terraform writes them.
pub fn rfc3339(t: Option<&DateTime>) -> Value {
    match t {
        Some(t) => DateTime::from_secs(t.secs())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .map(Value::string)
            .unwrap_or(Value::Null),
        None => Value::Null,
    }
}

struct Group<'a> {
    arn: &'a str,
    name: &'a str,
    state: Option<&'a ScheduleGroupState>,
    created: Option<&'a DateTime>,
    modified: Option<&'a DateTime>,
}

fn flatten(c: &AwsClient, g: &Group<'_>, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if g.name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(g.name)),
        ("arn", Value::string(g.arn)),
        ("name", Value::string(g.name)),
        ("name_prefix", name_prefix),
        ("state", Value::opt_string(g.state.map(|s| s.as_str()))),
        ("creation_date", rfc3339(g.created)),
        ("last_modification_date", rfc3339(g.modified)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn list_tags(c: &AwsClient, arn: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .scheduler()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading tags of {arn}")))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

fn tag_list(tags: &std::collections::BTreeMap<String, String>) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::new(format!("building a tag: {e}")))
        })
        .collect()
}

async fn update_tags(c: &AwsClient, arn: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.scheduler()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.scheduler()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(&ch.set)?))
            .send()
            .await
            .map_err(aws_err(format!("tagging {arn}")))?;
    }
    Ok(())
}

async fn read_groups(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let wanted = crate::values::keys_of(priors, "id");
    let mut results = ReadResults::new();
    if wanted.is_empty() {
        return Ok(results);
    }
    let pages: Vec<_> = c
        .scheduler()
        .list_schedule_groups()
        .into_paginator()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("listing EventBridge Scheduler schedule groups"))?;
    let groups: Vec<_> = pages
        .into_iter()
        .flat_map(|p| p.schedule_groups)
        .filter(|g| g.name().is_some_and(|n| wanted.iter().any(|w| w == n)))
        .collect();
    let tags = futures::future::join_all(groups.iter().map(|g| list_tags(c, g.arn().unwrap_or_default()))).await;
    let by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    for (g, t) in groups.iter().zip(tags) {
        let t = match t {
            Ok(t) => t,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let group = Group {
            arn: g.arn().unwrap_or_default(),
            name: g.name().unwrap_or_default(),
            state: g.state(),
            created: g.creation_date(),
            modified: g.last_modification_date(),
        };
        let prior = by_id.get(group.name).copied().unwrap_or(&Value::Null);
        results.insert(group.name, flatten(c, &group, t, prior));
    }
    Ok(results)
}

/// The group as `GetScheduleGroup` reports it, with its tags; `None` when it does not exist.
async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let out = match c.scheduler().get_schedule_group().name(name).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws_err(format!("reading EventBridge Scheduler schedule group {name}"))(e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let group = Group {
        arn: out.arn().unwrap_or_default(),
        name: out.name().unwrap_or(name),
        state: out.state(),
        created: out.creation_date(),
        modified: out.last_modification_date(),
    };
    let t = list_tags(c, group.arn).await?;
    Ok(Some(flatten(c, &group, t, prior)))
}

async fn state_of(c: &AwsClient, name: &str) -> Result<Option<String>> {
    match c.scheduler().get_schedule_group().name(name).send().await {
        Ok(o) => Ok(Some(o.state().map(|s| s.as_str().to_string()).unwrap_or_default())),
        Err(e) => {
            let e = aws_err(format!("reading EventBridge Scheduler schedule group {name}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

#[async_trait]
impl ResourceType<AwsClient> for SchedulerScheduleGroup {
    fn name(&self) -> &'static str {
        "aws_scheduler_schedule_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 5, 5))
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
        let name = planned_name(ctx, planned, "terraform-");
        let tags = tags::for_create(c, ctx, planned);
        c.scheduler()
            .create_schedule_group()
            .name(&name)
            .client_token(crate::values::idempotency_token(&ctx.client_token, 1, 64))
            .set_tags(Some(tag_list(&tags)?))
            .send()
            .await
            .map_err(aws_err(format!("creating EventBridge Scheduler schedule group {name}")))?;
        let rest = async {
            wait_for(ctx, "schedule group active", || async {
                Ok(match state_of(c, &name).await? {
                    Some(s) if s == "ACTIVE" => Poll::Ready(()),
                    Some(s) => Poll::Pending(s),
                    None => Poll::Pending("not visible yet".into()),
                })
            })
            .await?;
            read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("schedule group {name} vanished after create")))
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
        let arn = str_attr(prior, "arn").unwrap_or_default();
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("schedule group {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = crate::values::id_of(prior)?;
        // moto answers a delete of a missing group with a server error instead of
        // ResourceNotFoundException: look first.
        if state_of(c, &name).await?.is_none() {
            return Ok(());
        }
        if let Err(e) = c.scheduler().delete_schedule_group().name(&name).send().await {
            let e = aws_err(format!("deleting EventBridge Scheduler schedule group {name}"))(e);
            return if e.is_not_found() { Ok(()) } else { Err(e) };
        }
        wait_for(ctx, "schedule group deleted", || async {
            Ok(match state_of(c, &name).await? {
                None => Poll::Ready(()),
                Some(s) => Poll::Pending(s),
            })
        })
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = planned_name(ctx, planned, "terraform-");
        let Some(arn) = c
            .scheduler()
            .get_schedule_group()
            .name(&name)
            .send()
            .await
            .map(|o| o.arn().map(str::to_string))
            .or_else(|e| {
                let e = aws_err(format!("reading EventBridge Scheduler schedule group {name}"))(e);
                if e.is_not_found() { Ok(None) } else { Err(e) }
            })?
        else {
            return Ok(None);
        };
        let tags = list_tags(c, &arn).await?;
        if !crate::elbv2::owned(&tags, ctx) {
            return Ok(None);
        }
        read_one(c, &name, planned).await
    }
}
