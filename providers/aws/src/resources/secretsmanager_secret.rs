//! `aws_secretsmanager_secret`: a Secrets Manager secret (its metadata; values are
//! `aws_secretsmanager_secret_version`). `id` and `arn` are the ARN. Deleting honours
//! `recovery_window_in_days` (0 deletes at once, without recovery).
//!
//! Batched read: `ListSecrets` filtered on the secrets' names (10 per call, paginated; a secret scheduled
//! for deletion is not listed, and so reads as gone), matched back by ARN. The resource policy only comes
//! per secret (`GetResourcePolicy`, no batch form), so a refresh reads it only for secrets whose state
//! holds a policy: a secret managed without one costs no policy call, and a policy the configuration sets
//! is written (and read back) by create and update, which always read it, as import does. The price: a
//! policy attached out of band to a secret whose state has none is not seen until the configuration
//! sets one. Reading it for every secret would cost one call per secret on every plan.
//! Import ID: the secret ARN.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::tags::{self, TagChanges};
use crate::values::{
    ReadResults, all_failed, changed, complete, idempotency_token, keep_json_text, partial_object, prior_for, single,
    str_attr,
};
use async_trait::async_trait;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, TAG_ADDRESS,
    TAG_LINEAGE, Type, Value, wait_for,
};
use std::collections::{BTreeMap, HashMap};

pub struct SecretsmanagerSecret;

/// Most values one `ListSecrets` filter takes.
const LIST_BATCH: usize = 10;

/// `Check::Fn` for `recovery_window_in_days`: 0 (delete at once) or 7–30.
fn recovery_window(v: &Value) -> std::result::Result<(), String> {
    match v.as_i64() {
        Some(d) if d != 0 && !(7..=30).contains(&d) => Err(format!(
            "recovery_window_in_days must be 0 or between 7 and 30, got {d}."
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
                .check(Check::Length(1, 512))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 486))
                .conflicts_with(&["name"]),
        )
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 2048)),
        )
        .attr("kms_key_id", Attribute::optional(Type::String))
        .attr("policy", Attribute::optional_computed(Type::String).json())
        .attr(
            "recovery_window_in_days",
            Attribute::optional(Type::Number)
                .default(30)
                .check(Check::Fn(recovery_window)),
        )
        .attr(
            "force_overwrite_replica_secret",
            Attribute::optional(Type::Bool).default(false),
        )
        .tags()
}

/// What a listed or described secret holds.
struct Found {
    arn: String,
    name: String,
    description: Option<String>,
    kms_key_id: Option<String>,
    tags: Vec<(String, String)>,
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The secret name inside an ARN (`...:secret:NAME-AbCdEf`).
pub fn name_from_arn(arn: &str) -> Option<String> {
    let rest = arn.split_once(":secret:")?.1;
    (rest.len() > 7 && rest.as_bytes()[rest.len() - 7] == b'-').then(|| rest[..rest.len() - 7].to_string())
}

fn flatten(c: &AwsClient, f: &Found, policy: Option<String>, prior: &Value) -> Value {
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if f.name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(&f.arn)),
        ("arn", Value::string(&f.arn)),
        ("name", Value::string(&f.name)),
        ("name_prefix", name_prefix),
        (
            "description",
            Value::opt_string(f.description.clone().filter(|d| !d.is_empty())),
        ),
        ("kms_key_id", Value::opt_string(f.kms_key_id.clone())),
        ("policy", keep_json_text(prior.get_str("policy"), policy.as_deref())),
        (
            "recovery_window_in_days",
            crate::values::carry(prior, "recovery_window_in_days", Value::int(30)),
        ),
        (
            "force_overwrite_replica_secret",
            crate::values::carry(prior, "force_overwrite_replica_secret", Value::Bool(false)),
        ),
    ]);
    tags::set_read_tags(c, &mut obj, prior, f.tags.clone());
    complete(&block(), obj)
}

async fn get_policy(c: &AwsClient, arn: &str) -> Result<Option<String>> {
    let out = c
        .secretsmanager()
        .get_resource_policy()
        .secret_id(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading the policy of Secrets Manager secret {arn}")))?;
    Ok(out.resource_policy.filter(|p| !p.is_empty() && p != "{}"))
}

/// `DescribeSecret`; `None` when the secret does not exist or is scheduled for deletion.
async fn describe(c: &AwsClient, id: &str) -> Result<Option<Found>> {
    match c.secretsmanager().describe_secret().secret_id(id).send().await {
        Ok(out) if out.deleted_date().is_some() => Ok(None),
        Ok(out) => Ok(Some(Found {
            arn: out.arn().unwrap_or_default().to_string(),
            name: out.name().unwrap_or_default().to_string(),
            description: out.description().map(str::to_string),
            kms_key_id: out.kms_key_id().map(str::to_string),
            tags: pairs(out.tags()),
        })),
        Err(e) => {
            let e = aws_err(format!("reading Secrets Manager secret {id}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

/// Reads secrets; their policies only where the prior holds one, or for all when `all_policies`.
async fn read_secrets(c: &AwsClient, priors: &[Value], all_policies: bool) -> Result<ReadResults> {
    // Secrets known by ARN are listed in batches by name; anything else is described one by one.
    let mut by_name: Vec<(String, String)> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for p in priors {
        let Some(id) = str_attr(p, "id") else { continue };
        match str_attr(p, "name").or_else(|| name_from_arn(&id)) {
            Some(name) if id.starts_with("arn:") => by_name.push((name, id)),
            _ => others.push(id),
        }
    }
    let mut found: HashMap<String, Found> = HashMap::new();
    for chunk in by_name.chunks(LIST_BATCH) {
        let filter = Filter::builder()
            .key(FilterNameStringType::Name)
            .set_values(Some(chunk.iter().map(|(n, _)| n.clone()).collect()))
            .build();
        let pages: Vec<_> = c
            .secretsmanager()
            .list_secrets()
            .filters(filter)
            .into_paginator()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("listing Secrets Manager secrets"))?;
        let listed: Vec<_> = pages
            .into_iter()
            .flat_map(|p| p.secret_list.unwrap_or_default())
            .collect();
        for s in listed.iter().filter(|s| s.deleted_date().is_none()) {
            let arn = s.arn().unwrap_or_default();
            if chunk.iter().any(|(_, id)| id == arn) {
                found.insert(
                    arn.to_string(),
                    Found {
                        arn: arn.to_string(),
                        name: s.name().unwrap_or_default().to_string(),
                        description: s.description().map(str::to_string),
                        kms_key_id: s.kms_key_id().map(str::to_string),
                        tags: pairs(s.tags()),
                    },
                );
            }
        }
    }
    let described = futures::future::join_all(others.iter().map(|id| describe(c, id))).await;
    let mut found_ids: Vec<(String, Found)> = found.into_iter().collect();
    for (id, d) in others.iter().zip(described) {
        if let Some(f) = d? {
            found_ids.push((id.clone(), f));
        }
    }
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let wants_policy = |id: &String| {
        all_policies
            || priors_by_id
                .get(id)
                .is_some_and(|p| p.get("policy").is_some_and(|v| !v.is_null() && !v.is_unknown()))
    };
    let policies = futures::future::join_all(found_ids.iter().map(|(id, f)| async move {
        if wants_policy(id) {
            get_policy(c, &f.arn).await
        } else {
            Ok(None)
        }
    }))
    .await;
    let mut results = ReadResults::new();
    for ((id, f), policy) in found_ids.iter().zip(policies) {
        let policy = match policy {
            Ok(p) => p,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let prior = priors_by_id.get(id).copied().unwrap_or(&Value::Null);
        results.insert(id.clone(), flatten(c, f, policy, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_secrets(c, std::slice::from_ref(&prior), true)
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

async fn update_tags(c: &AwsClient, arn: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.secretsmanager()
            .untag_resource()
            .secret_id(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of Secrets Manager secret {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.secretsmanager()
            .tag_resource()
            .secret_id(arn)
            .set_tags(Some(tag_list(&ch.set)))
            .send()
            .await
            .map_err(aws_err(format!("tagging Secrets Manager secret {arn}")))?;
    }
    Ok(())
}

async fn put_policy(c: &AwsClient, arn: &str, policy: Option<String>) -> Result<()> {
    match policy {
        Some(p) => {
            c.secretsmanager()
                .put_resource_policy()
                .secret_id(arn)
                .resource_policy(p)
                .send()
                .await
                .map_err(aws_err(format!("setting the policy of Secrets Manager secret {arn}")))?;
        }
        None => {
            c.secretsmanager()
                .delete_resource_policy()
                .secret_id(arn)
                .send()
                .await
                .map_err(aws_err(format!("removing the policy of Secrets Manager secret {arn}")))?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for SecretsmanagerSecret {
    fn name(&self) -> &'static str {
        "aws_secretsmanager_secret"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if !req.config.get("name").is_none_or(Value::is_null)
            && !req.config.get("name_prefix").is_none_or(Value::is_null)
        {
            return Err(ProviderError::invalid(
                "\"name\" and \"name_prefix\" cannot both be set",
            ));
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        let id = crate::values::id_of(prior)?;
        read_one(c, &id, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_secrets(c, priors, false).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .secretsmanager()
            .create_secret()
            .name(&name)
            .client_request_token(idempotency_token(&ctx.client_token, 32, 64))
            .set_description(str_attr(planned, "description"))
            .set_kms_key_id(str_attr(planned, "kms_key_id"))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating Secrets Manager secret {name}")))?;
        let arn = out
            .arn()
            .ok_or_else(|| ProviderError::new("CreateSecret returned no ARN"))?
            .to_string();
        let rest = async {
            if let Some(p) = str_attr(planned, "policy") {
                put_policy(c, &arn, Some(p)).await?;
            }
            read_one(c, &arn, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("Secrets Manager secret {name} vanished after create")))
        };
        let partial = planned
            .clone()
            .with("name", Value::string(&name))
            .with("arn", Value::string(&arn));
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), &partial, &arn)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = crate::values::id_of(prior)?;
        if changed(prior, planned, "description") || changed(prior, planned, "kms_key_id") {
            c.secretsmanager()
                .update_secret()
                .secret_id(&arn)
                .description(planned.get_str("description").unwrap_or_default())
                .set_kms_key_id(str_attr(planned, "kms_key_id"))
                .send()
                .await
                .map_err(aws_err(format!("updating Secrets Manager secret {arn}")))?;
        }
        if changed(prior, planned, "policy") && !planned.get("policy").is_some_and(Value::is_unknown) {
            put_policy(c, &arn, str_attr(planned, "policy")).await?;
        }
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("Secrets Manager secret {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = crate::values::id_of(prior)?;
        let days = prior.get_i64("recovery_window_in_days").unwrap_or(30);
        let mut req = c.secretsmanager().delete_secret().secret_id(&arn);
        req = if days == 0 {
            req.force_delete_without_recovery(true)
        } else {
            req.recovery_window_in_days(days)
        };
        if let Err(e) = req.send().await {
            let e = aws_err(format!("deleting Secrets Manager secret {arn}"))(e);
            // Already gone, or already scheduled for deletion.
            if e.is_not_found() || code_of(&e) == "InvalidRequestException" && e.message.contains("deleted") {
                return Ok(());
            }
            return Err(e);
        }
        if days == 0 {
            // Deletion without recovery is asynchronous: wait until the name is free again.
            wait_for(ctx, "secret deletion", || async {
                Ok(
                    match c.secretsmanager().describe_secret().secret_id(&arn).send().await {
                        Err(e) => match aws_err("reading the secret")(e) {
                            e if e.is_not_found() => Poll::Ready(()),
                            e => Poll::Pending(e.to_string()),
                        },
                        Ok(_) => Poll::Pending("deleting".into()),
                    },
                )
            })
            .await?;
        }
        Ok(())
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_one(c, id, &Value::map([("id", Value::string(id))])).await
    }

    /// The name is unique (generated names derive from the client token): a live secret of that name
    /// carrying this operation's ownership tags is the one an interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        let Some(f) = describe(c, &name).await? else {
            return Ok(None);
        };
        let tags: BTreeMap<String, String> = f.tags.iter().cloned().collect();
        if tags.get(TAG_ADDRESS) != Some(&ctx.address) || tags.get(TAG_LINEAGE) != Some(&ctx.lineage) {
            return Ok(None);
        }
        read_one(c, &f.arn, planned).await
    }
}

#[cfg(test)]
mod tests {
    use super::name_from_arn;

    #[test]
    fn names_come_out_of_arns() {
        assert_eq!(
            name_from_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-password-AbCdEf").as_deref(),
            Some("app/db-password")
        );
        assert_eq!(name_from_arn("arn:aws:secretsmanager:us-east-1:1:secret:x"), None);
    }
}
