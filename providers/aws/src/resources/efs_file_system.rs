//! `aws_efs_file_system`: an EFS file system. `id` is the file system ID. The creation token is the
//! create's idempotency key: when the configuration sets none, one is derived from the operation's
//! client token, so a rerun of an interrupted create gets the same file system back (and
//! `find_created` finds it by that token). Creating waits until the file system is `available`,
//! deleting until it is gone. Throughput mode, provisioned throughput, lifecycle policies and
//! replication overwrite protection change in place; encryption, KMS key, performance mode, zone and
//! creation token force replacement.
//!
//! Batched read: `DescribeFileSystems` (tags included): one call for a single file system, else the
//! region's file systems listed (100 per page) and matched by ID. The lifecycle policies only come per
//! file system (`DescribeLifecycleConfiguration`, no batch form), one call each, made concurrently.
//! Import ID: the file system ID.

use crate::client::AwsClient;
use crate::efs::{dns_name, tag_list, tag_pairs, update_tags};
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, idempotency_token, partial_object, prior_for, str_attr,
};
use async_trait::async_trait;
use aws_sdk_efs::types::{
    FileSystemDescription, LifecyclePolicy, PerformanceMode, ReplicationOverwriteProtection, ThroughputMode,
    TransitionToArchiveRules, TransitionToIaRules, TransitionToPrimaryStorageClassRules,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result,
    Schema, Timeouts, Type, Value, wait_for,
};
use std::collections::HashMap;

pub struct EfsFileSystem;

/// When files move to another storage class (lifecycle policies).
const TRANSITIONS: &[&str] = &[
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
];

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("availability_zone_id", Attribute::computed(Type::String))
        .attr(
            "availability_zone_name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "creation_token",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 64)),
        )
        .attr("dns_name", Attribute::computed(Type::String))
        .attr("encrypted", Attribute::optional_computed(Type::Bool).force_new())
        .attr("kms_key_id", Attribute::optional_computed(Type::String).force_new())
        .attr("name", Attribute::computed(Type::String))
        .attr("number_of_mount_targets", Attribute::computed(Type::Number))
        .attr("owner_id", Attribute::computed(Type::String))
        .attr(
            "performance_mode",
            Attribute::optional_computed(Type::String)
                .force_new()
                .one_of(&["generalPurpose", "maxIO"]),
        )
        .attr("provisioned_throughput_in_mibps", Attribute::optional(Type::Number))
        .attr(
            "size_in_bytes",
            Attribute::computed(Type::list(Type::object([
                ("value", Type::Number),
                ("value_in_ia", Type::Number),
                ("value_in_standard", Type::Number),
            ]))),
        )
        .attr(
            "throughput_mode",
            Attribute::optional(Type::String)
                .default("bursting")
                .one_of(&["bursting", "provisioned", "elastic"]),
        )
        .block(
            "lifecycle_policy",
            NestedBlock::list(
                Block::new()
                    .attr(
                        "transition_to_archive",
                        Attribute::optional(Type::String).one_of(TRANSITIONS),
                    )
                    .attr(
                        "transition_to_ia",
                        Attribute::optional(Type::String).one_of(TRANSITIONS),
                    )
                    .attr(
                        "transition_to_primary_storage_class",
                        Attribute::optional(Type::String).one_of(&["AFTER_1_ACCESS"]),
                    ),
            )
            .max(3),
        )
        .block(
            "protection",
            NestedBlock::list(Block::new().attr(
                "replication_overwrite",
                Attribute::optional_computed(Type::String).one_of(&["ENABLED", "DISABLED"]),
            ))
            .max(1)
            .computed(),
        )
        .tags()
}

fn flatten(c: &AwsClient, fs: &FileSystemDescription, lifecycle: &[LifecyclePolicy], prior: &Value) -> Value {
    let id = fs.file_system_id();
    let size = fs
        .size_in_bytes()
        .map(|s| {
            Value::List(vec![Value::map([
                ("value", Value::int(s.value())),
                ("value_in_ia", Value::int(s.value_in_ia().unwrap_or(0))),
                ("value_in_standard", Value::int(s.value_in_standard().unwrap_or(0))),
            ])])
        })
        .unwrap_or(Value::List(vec![]));
    let policies = lifecycle
        .iter()
        .map(|p| {
            Value::map([
                (
                    "transition_to_archive",
                    Value::opt_string(p.transition_to_archive().map(|t| t.as_str())),
                ),
                (
                    "transition_to_ia",
                    Value::opt_string(p.transition_to_ia().map(|t| t.as_str())),
                ),
                (
                    "transition_to_primary_storage_class",
                    Value::opt_string(p.transition_to_primary_storage_class().map(|t| t.as_str())),
                ),
            ])
        })
        .collect();
    let protection = fs
        .file_system_protection()
        .and_then(|p| p.replication_overwrite_protection())
        .map(|r| vec![Value::map([("replication_overwrite", Value::string(r.as_str()))])])
        .unwrap_or_default();
    let arn = fs
        .file_system_arn()
        .map(str::to_string)
        .unwrap_or_else(|| c.arn("elasticfilesystem", fs.owner_id(), &format!("file-system/{id}")));
    let mut obj = Value::map([
        ("id", Value::string(id)),
        ("arn", Value::string(arn)),
        ("availability_zone_id", Value::opt_string(fs.availability_zone_id())),
        ("availability_zone_name", Value::opt_string(fs.availability_zone_name())),
        ("creation_token", Value::string(fs.creation_token())),
        ("dns_name", Value::string(dns_name(c, id))),
        ("encrypted", Value::Bool(fs.encrypted().unwrap_or(false))),
        ("kms_key_id", Value::opt_string(fs.kms_key_id())),
        ("name", Value::opt_string(fs.name())),
        (
            "number_of_mount_targets",
            Value::int(fs.number_of_mount_targets() as i64),
        ),
        ("owner_id", Value::string(fs.owner_id())),
        ("performance_mode", Value::string(fs.performance_mode().as_str())),
        (
            "provisioned_throughput_in_mibps",
            match fs.provisioned_throughput_in_mibps() {
                Some(n) if n > 0.0 => Value::number(n),
                _ => Value::Null,
            },
        ),
        ("size_in_bytes", size),
        (
            "throughput_mode",
            Value::string(fs.throughput_mode().map(|t| t.as_str()).unwrap_or("bursting")),
        ),
        ("lifecycle_policy", Value::List(policies)),
        ("protection", Value::List(protection)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(fs.tags()));
    complete(&block(), obj)
}

/// `DescribeFileSystems` for one ID; `None` when it does not exist (or is deleted).
async fn describe_one(c: &AwsClient, id: &str) -> Result<Option<FileSystemDescription>> {
    match c.efs().describe_file_systems().file_system_id(id).send().await {
        Ok(out) => Ok(out
            .file_systems()
            .first()
            .filter(|f| f.life_cycle_state().as_str() != "deleted")
            .cloned()),
        Err(e) => {
            let e = aws_err(format!("reading EFS file system {id}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

async fn lifecycle_of(c: &AwsClient, id: &str) -> Result<Vec<LifecyclePolicy>> {
    let out = c
        .efs()
        .describe_lifecycle_configuration()
        .file_system_id(id)
        .send()
        .await
        .map_err(aws_err(format!(
            "reading the lifecycle configuration of EFS file system {id}"
        )))?;
    Ok(out.lifecycle_policies().to_vec())
}

async fn read_file_systems(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let found: Vec<FileSystemDescription> = match ids {
        [] => Vec::new(),
        [one] => describe_one(c, one).await?.into_iter().collect(),
        _ => {
            let all: Vec<FileSystemDescription> = c
                .efs()
                .describe_file_systems()
                .into_paginator()
                .items()
                .send()
                .collect::<std::result::Result<_, _>>()
                .await
                .map_err(aws_err("listing EFS file systems"))?;
            all.into_iter()
                .filter(|f| ids.iter().any(|i| i == f.file_system_id()) && f.life_cycle_state().as_str() != "deleted")
                .collect()
        }
    };
    let lifecycles = futures::future::join_all(found.iter().map(|f| lifecycle_of(c, f.file_system_id()))).await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (f, l) in found.iter().zip(lifecycles) {
        let l = match l {
            Ok(l) => l,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let prior = priors_by_id.get(f.file_system_id()).copied().unwrap_or(&Value::Null);
        results.insert(f.file_system_id(), flatten(c, f, &l, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    crate::values::single(
        read_file_systems(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn expand_lifecycle(v: &Value) -> Vec<LifecyclePolicy> {
    v.get_list("lifecycle_policy")
        .iter()
        .map(|p| {
            LifecyclePolicy::builder()
                .set_transition_to_ia(str_attr(p, "transition_to_ia").map(|s| TransitionToIaRules::from(s.as_str())))
                .set_transition_to_primary_storage_class(
                    str_attr(p, "transition_to_primary_storage_class")
                        .map(|s| TransitionToPrimaryStorageClassRules::from(s.as_str())),
                )
                .set_transition_to_archive(
                    str_attr(p, "transition_to_archive").map(|s| TransitionToArchiveRules::from(s.as_str())),
                )
                .build()
        })
        .collect()
}

async fn put_lifecycle(c: &AwsClient, id: &str, planned: &Value) -> Result<()> {
    c.efs()
        .put_lifecycle_configuration()
        .file_system_id(id)
        .set_lifecycle_policies(Some(expand_lifecycle(planned)))
        .send()
        .await
        .map_err(aws_err(format!(
            "setting the lifecycle configuration of EFS file system {id}"
        )))?;
    Ok(())
}

async fn put_protection(c: &AwsClient, id: &str, planned: &Value) -> Result<()> {
    if let Some(r) = planned
        .get_block("protection")
        .and_then(|p| str_attr(p, "replication_overwrite"))
    {
        c.efs()
            .update_file_system_protection()
            .file_system_id(id)
            .replication_overwrite_protection(ReplicationOverwriteProtection::from(r.as_str()))
            .send()
            .await
            .map_err(aws_err(format!("setting the protection of EFS file system {id}")))?;
    }
    Ok(())
}

async fn wait_available(c: &AwsClient, ctx: &OpContext, id: &str) -> Result<()> {
    wait_for(ctx, "file system available", || async {
        Ok(match describe_one(c, id).await? {
            Some(f) if f.life_cycle_state().as_str() == "available" => Poll::Ready(()),
            Some(f) => Poll::Pending(f.life_cycle_state().as_str().to_string()),
            None => Poll::Pending("not visible yet".into()),
        })
    })
    .await
}

/// The creation token of a create: the configured one, else one derived from the client token.
fn creation_token(planned: &Value, ctx: &OpContext) -> String {
    str_attr(planned, "creation_token").unwrap_or_else(|| idempotency_token(&ctx.client_token, 1, 64))
}

#[async_trait]
impl ResourceType<AwsClient> for EfsFileSystem {
    fn name(&self) -> &'static str {
        "aws_efs_file_system"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(10, 10, 10))
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        if config.get_bool("encrypted") == Some(false) && config.get_str("kms_key_id").is_some() {
            out.push(Invalid::at(
                "encrypted",
                "encrypted must be set to true when kms_key_id is specified",
            ));
        }
        if config.get_str("throughput_mode") == Some("provisioned")
            && config.get("provisioned_throughput_in_mibps").is_none_or(Value::is_null)
        {
            out.push(Invalid::at(
                "provisioned_throughput_in_mibps",
                "provisioned_throughput_in_mibps must be set when throughput_mode is provisioned",
            ));
        }
        const KINDS: [&str; 3] = [
            "transition_to_archive",
            "transition_to_ia",
            "transition_to_primary_storage_class",
        ];
        // A policy with an unknown transition may still set exactly one.
        if config.get_list("lifecycle_policy").iter().any(|p| {
            !KINDS.iter().any(|k| p.get(k).is_some_and(Value::is_unknown))
                && KINDS.iter().filter(|k| p.get_str(k).is_some()).count() != 1
        }) {
            out.push(Invalid::at(
                "lifecycle_policy",
                "each lifecycle_policy block sets exactly one of transition_to_archive, transition_to_ia, \
                 transition_to_primary_storage_class",
            ));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_file_systems(c, &crate::values::keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let token = creation_token(planned, ctx);
        let throughput = planned.get_str("throughput_mode").unwrap_or("bursting").to_string();
        let mut req = c
            .efs()
            .create_file_system()
            .creation_token(&token)
            .throughput_mode(ThroughputMode::from(throughput.as_str()))
            .set_tags(Some(tag_list(&tags::for_create(c, ctx, planned))?))
            .set_availability_zone_name(str_attr(planned, "availability_zone_name"))
            .set_performance_mode(str_attr(planned, "performance_mode").map(|p| PerformanceMode::from(p.as_str())))
            .set_encrypted(planned.get_bool("encrypted"))
            .set_kms_key_id(str_attr(planned, "kms_key_id"));
        if throughput == "provisioned" {
            req = req.set_provisioned_throughput_in_mibps(planned.get_f64("provisioned_throughput_in_mibps"));
        }
        let id = match req.send().await {
            Ok(out) => out.file_system_id().to_string(),
            Err(e) => {
                let e = aws_err("creating EFS file system")(e);
                // The same creation token again: the file system of the interrupted create.
                if code_of(&e) != "FileSystemAlreadyExists" {
                    return Err(e);
                }
                let out = c
                    .efs()
                    .describe_file_systems()
                    .creation_token(&token)
                    .send()
                    .await
                    .map_err(aws_err("reading EFS file system by creation token"))?;
                out.file_systems()
                    .first()
                    .map(|f| f.file_system_id().to_string())
                    .ok_or(e)?
            }
        };
        let rest = async {
            wait_available(c, ctx, &id).await?;
            if !planned.get_list("lifecycle_policy").is_empty() {
                put_lifecycle(c, &id, planned).await?;
            }
            put_protection(c, &id, planned).await?;
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EFS file system {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        if changed(prior, planned, "throughput_mode") || changed(prior, planned, "provisioned_throughput_in_mibps") {
            let mode = planned.get_str("throughput_mode").unwrap_or("bursting").to_string();
            let mut req = c
                .efs()
                .update_file_system()
                .file_system_id(&id)
                .throughput_mode(ThroughputMode::from(mode.as_str()));
            if mode == "provisioned" {
                req = req.set_provisioned_throughput_in_mibps(planned.get_f64("provisioned_throughput_in_mibps"));
            }
            req.send()
                .await
                .map_err(aws_err(format!("updating EFS file system {id}")))?;
            wait_available(c, ctx, &id).await?;
        }
        if changed(prior, planned, "lifecycle_policy") {
            put_lifecycle(c, &id, planned).await?;
        }
        if changed(prior, planned, "protection") {
            put_protection(c, &id, planned).await?;
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EFS file system {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        match c.efs().delete_file_system().file_system_id(&id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = aws_err(format!("deleting EFS file system {id}"))(e);
                if e.is_not_found() {
                    return Ok(());
                }
                return Err(e);
            }
        }
        wait_for(ctx, "file system deletion", || async {
            Ok(match describe_one(c, &id).await? {
                None => Poll::Ready(()),
                Some(f) => Poll::Pending(f.life_cycle_state().as_str().to_string()),
            })
        })
        .await
    }

    /// The creation token is the create's idempotency key (derived from the client token when the
    /// configuration sets none): a file system with that token is the one the interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let token = creation_token(planned, ctx);
        let out = c
            .efs()
            .describe_file_systems()
            .creation_token(&token)
            .send()
            .await
            .map_err(aws_err("looking for an EFS file system made by an interrupted create"))?;
        match out
            .file_systems()
            .iter()
            .find(|f| f.life_cycle_state().as_str() != "deleted")
        {
            Some(f) => read_one(c, f.file_system_id(), planned).await,
            None => Ok(None),
        }
    }
}
