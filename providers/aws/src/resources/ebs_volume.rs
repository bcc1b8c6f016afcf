//! `aws_ebs_volume`: an EBS volume. `id` is the volume ID. Size, type, IOPS and throughput change in
//! place with `ModifyVolume`, after which the provider waits (as Terraform) until the modification is
//! `optimizing` or `completed`; zone, encryption, KMS key, snapshot, multi-attach and outpost force
//! replacement. Creating passes a client token (derived from the operation's) and the tags in the call,
//! and waits until the volume is `available`. Deleting with `final_snapshot` first snapshots the volume
//! (tagged with its `tags_all`) and waits for the snapshot to complete; deleting retries while the
//! volume is still in use and waits until it is gone.
//!
//! Batched read: one `DescribeVolumes` call filtered on all the volume IDs (200 per filter, paginated),
//! tags included, so N volumes cost one call. Import ID: the volume ID.

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, filter, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, idempotency_token, keys_of, partial_object, prior_for, single,
    str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::primitives::DateTimeFormat;
use aws_sdk_ec2::types::{ResourceType as Ec2Type, Volume, VolumeType};
use infra_provider::{
    Attribute, Block, Check, Invalid, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    Timeouts, Type, Value, wait_for,
};
use std::collections::HashMap;

pub struct EbsVolume;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("availability_zone", Attribute::required(Type::String).force_new())
        .attr("create_time", Attribute::computed(Type::String))
        .attr("encrypted", Attribute::optional_computed(Type::Bool).force_new())
        .attr("final_snapshot", Attribute::optional(Type::Bool).default(false))
        .attr("iops", Attribute::optional_computed(Type::Number))
        .attr("kms_key_id", Attribute::optional_computed(Type::String).force_new())
        .attr("multi_attach_enabled", Attribute::optional(Type::Bool).force_new())
        .attr("outpost_arn", Attribute::optional(Type::String).force_new())
        .attr(
            "size",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(1, 65536)),
        )
        .attr("snapshot_id", Attribute::optional_computed(Type::String).force_new())
        .attr(
            "throughput",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(125, 1000)),
        )
        .attr(
            "type",
            Attribute::optional_computed(Type::String).one_of(&["standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"]),
        )
        .tags()
}

fn flatten(c: &AwsClient, v: &Volume, prior: &Value, account: &str) -> Value {
    let id = v.volume_id().unwrap_or_default();
    let mut obj = Value::map([
        ("id", Value::string(id)),
        ("arn", Value::string(c.arn("ec2", account, &format!("volume/{id}")))),
        ("availability_zone", Value::opt_string(v.availability_zone())),
        (
            "create_time",
            Value::opt_string(v.create_time().and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())),
        ),
        ("encrypted", Value::Bool(v.encrypted().unwrap_or(false))),
        (
            "final_snapshot",
            crate::values::carry(prior, "final_snapshot", Value::Bool(false)),
        ),
        ("iops", Value::opt_int(v.iops().filter(|n| *n > 0))),
        ("kms_key_id", Value::opt_string(v.kms_key_id())),
        (
            "multi_attach_enabled",
            crate::values::false_as_prior(prior, "multi_attach_enabled", v.multi_attach_enabled()),
        ),
        ("outpost_arn", Value::opt_string(v.outpost_arn())),
        ("size", Value::opt_int(v.size())),
        ("snapshot_id", Value::string(v.snapshot_id().unwrap_or_default())),
        ("throughput", Value::opt_int(v.throughput().filter(|n| *n > 0))),
        ("type", Value::opt_string(v.volume_type().map(|t| t.as_str()))),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(v.tags()));
    complete(&block(), obj)
}

/// The account of the volumes' ARNs: from a prior's ARN, else from STS (called at most once per client).
async fn account_for(c: &AwsClient, priors: &[Value]) -> Result<String> {
    match priors
        .iter()
        .filter_map(|p| p.get_str("arn").and_then(|a| a.split(':').nth(4)))
        .find(|a| !a.is_empty())
    {
        Some(a) => Ok(a.to_string()),
        None => c.account_id().await,
    }
}

async fn read_volumes(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    let mut account: Option<String> = None;
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let vols: Vec<Volume> = c
            .ec2()
            .describe_volumes()
            .filters(filter("volume-id", chunk.iter().cloned()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading EBS volumes"))?;
        for v in vols {
            let id = v.volume_id().unwrap_or_default().to_string();
            if v.state().is_some_and(|s| s.as_str() == "deleted") {
                continue;
            }
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            if account.is_none() {
                // DescribeVolumes returns no owner account.
                account = Some(account_for(c, priors).await?);
            }
            results.insert(id, flatten(c, &v, prior, account.as_deref().unwrap_or_default()));
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_volumes(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

async fn volume_state(c: &AwsClient, id: &str) -> Result<Option<String>> {
    match c
        .ec2()
        .describe_volumes()
        .filters(filter("volume-id", [id]))
        .send()
        .await
    {
        Ok(out) => Ok(out
            .volumes()
            .first()
            .map(|v| v.state().map(|s| s.as_str()).unwrap_or("available").to_string())
            .filter(|s| s != "deleted")),
        Err(e) => {
            let e = aws_err(format!("reading EBS volume {id}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

fn int32(v: &Value, k: &str) -> Option<i32> {
    v.get(k)
        .filter(|x| !x.is_unknown())
        .and_then(Value::as_i64)
        .map(|n| n as i32)
}

/// Waits for the latest modification of a volume to reach `optimizing` or `completed`.
async fn wait_modified(c: &AwsClient, ctx: &OpContext, id: &str) -> Result<()> {
    wait_for(ctx, "volume modification", || async {
        let out = c
            .ec2()
            .describe_volumes_modifications()
            .volume_ids(id)
            .send()
            .await
            .map_err(aws_err(format!("reading the modifications of EBS volume {id}")))?;
        let latest = out
            .volumes_modifications()
            .iter()
            .max_by_key(|m| m.start_time().map(|t| (t.secs(), t.subsec_nanos())))
            .and_then(|m| m.modification_state())
            .map(|s| s.as_str().to_string());
        Ok(match latest.as_deref() {
            None | Some("optimizing") | Some("completed") => Poll::Ready(()),
            Some("failed") => {
                return Err(ProviderError::new(format!(
                    "the modification of EBS volume {id} failed"
                )));
            }
            Some(s) => Poll::Pending(s.to_string()),
        })
    })
    .await
}

async fn final_snapshot(c: &AwsClient, ctx: &OpContext, id: &str, prior: &Value) -> Result<()> {
    let tags = tags::desired(c, prior);
    let mut req = c.ec2().create_snapshot().volume_id(id);
    if !tags.is_empty() {
        req = req.tag_specifications(tag_spec(Ec2Type::Snapshot, &tags));
    }
    let out = req
        .send()
        .await
        .map_err(aws_err(format!("creating the final snapshot of EBS volume {id}")))?;
    let snap = out
        .snapshot_id()
        .ok_or_else(|| ProviderError::new("CreateSnapshot returned no snapshot ID"))?
        .to_string();
    wait_for(ctx, "final snapshot", || async {
        let out = c
            .ec2()
            .describe_snapshots()
            .snapshot_ids(&snap)
            .send()
            .await
            .map_err(aws_err(format!("reading EBS snapshot {snap}")))?;
        Ok(
            match out
                .snapshots()
                .first()
                .and_then(|s| s.state())
                .map(|s| s.as_str().to_string())
            {
                Some(s) if s == "completed" => Poll::Ready(()),
                Some(s) if s == "error" => {
                    return Err(ProviderError::new(format!(
                        "final snapshot {snap} of EBS volume {id} failed"
                    )));
                }
                Some(s) => Poll::Pending(s),
                None => Poll::Pending("not visible yet".into()),
            },
        )
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for EbsVolume {
    fn name(&self) -> &'static str {
        "aws_ebs_volume"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 5, 10))
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        let mut out = Vec::new();
        if !set("size") && !set("snapshot_id") {
            out.push(Invalid::new("one of size or snapshot_id must be set"));
        }
        // Without a type the volume is gp2, which has no provisioned IOPS or throughput.
        if config.get("type").is_none_or(|v| v.is_null()) {
            for k in ["iops", "throughput"] {
                if set(k) {
                    out.push(Invalid::at(
                        k,
                        format!("'{k}' must not be set when 'type' is not set (the default, gp2, takes no {k}); set type to {}", if k == "iops" { "io1, io2 or gp3" } else { "gp3" }),
                    ));
                }
            }
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let set = |k: &str| req.config.get(k).is_some_and(|v| !v.is_null());
        let ty = req.config.get_str("type").or(req.prior.and_then(|p| p.get_str("type")));
        let iops = req.config.get_i64("iops").unwrap_or(0);
        let throughput = req.config.get_i64("throughput").unwrap_or(0);
        if let Some(ty) = ty {
            if req.prior.is_none() {
                match ty {
                    "io1" | "io2" if iops == 0 => {
                        return Err(ProviderError::invalid(format!(
                            "'iops' must be set when 'type' is '{ty}'"
                        )));
                    }
                    "io1" | "io2" | "gp3" => {}
                    _ if iops != 0 => {
                        return Err(ProviderError::invalid(format!(
                            "'iops' must not be set when 'type' is '{ty}'"
                        )));
                    }
                    _ => {}
                }
                if req.config.get_bool("multi_attach_enabled") == Some(true) && !matches!(ty, "io1" | "io2") {
                    return Err(ProviderError::invalid(format!(
                        "'multi_attach_enabled' must not be set when 'type' is '{ty}'"
                    )));
                }
            }
            if throughput > 0 && ty != "gp3" {
                return Err(ProviderError::invalid(format!(
                    "'throughput' must not be set when 'type' is '{ty}'"
                )));
            }
        }
        if let Some(prior) = req.prior {
            // A new type brings its own IOPS and throughput unless the configuration sets them.
            if changed(prior, req.planned, "type") {
                for k in ["iops", "throughput"] {
                    if !set(k) {
                        req.planned.set_attr(k, Value::Unknown);
                    }
                }
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_volumes(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let az = str_attr(planned, "availability_zone")
            .ok_or_else(|| ProviderError::invalid("availability_zone is required"))?;
        let out = c
            .ec2()
            .create_volume()
            .availability_zone(&az)
            .client_token(idempotency_token(&ctx.client_token, 1, 64))
            .tag_specifications(tag_spec(Ec2Type::Volume, &tags::for_create(c, ctx, planned)))
            .set_encrypted(planned.get_bool("encrypted").filter(|e| *e))
            .set_iops(int32(planned, "iops").filter(|n| *n > 0))
            .set_kms_key_id(str_attr(planned, "kms_key_id"))
            .set_multi_attach_enabled(planned.get_bool("multi_attach_enabled").filter(|m| *m))
            .set_outpost_arn(str_attr(planned, "outpost_arn"))
            .set_size(int32(planned, "size").filter(|n| *n > 0))
            .set_snapshot_id(str_attr(planned, "snapshot_id"))
            .set_throughput(int32(planned, "throughput").filter(|n| *n > 0))
            .set_volume_type(str_attr(planned, "type").map(|t| VolumeType::from(t.as_str())))
            .send()
            .await
            .map_err(aws_err(format!("creating EBS volume in {az}")))?;
        let id = out
            .volume_id()
            .ok_or_else(|| ProviderError::new("CreateVolume returned no volume ID"))?
            .to_string();
        let rest = async {
            wait_for(ctx, "volume available", || async {
                Ok(match volume_state(c, &id).await? {
                    Some(s) if s == "available" || s == "in-use" => Poll::Ready(()),
                    Some(s) if s == "error" => {
                        return Err(ProviderError::new(format!("EBS volume {id} failed to create")));
                    }
                    Some(s) => Poll::Pending(s),
                    None => Poll::Pending("not visible yet".into()),
                })
            })
            .await?;
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EBS volume {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        let modify = ["size", "type", "iops", "throughput"]
            .iter()
            .any(|k| changed(prior, planned, k) && !planned.get(k).is_some_and(Value::is_unknown));
        if modify {
            let ty = str_attr(planned, "type");
            let mut req = c.ec2().modify_volume().volume_id(&id);
            if changed(prior, planned, "size") {
                req = req.set_size(int32(planned, "size"));
            }
            if changed(prior, planned, "iops") {
                req = req.set_iops(int32(planned, "iops").filter(|n| *n > 0));
            }
            if changed(prior, planned, "type") {
                req = req.set_volume_type(ty.as_deref().map(VolumeType::from));
                if matches!(ty.as_deref(), Some("io1" | "io2" | "gp3")) {
                    req = req.set_iops(int32(planned, "iops").filter(|n| *n > 0));
                }
            }
            // As Terraform: always send a known throughput of a gp3 volume (the API may reset it).
            if ty.as_deref() == Some("gp3") {
                req = req.set_throughput(int32(planned, "throughput").filter(|n| *n > 0));
            }
            req.send()
                .await
                .map_err(aws_err(format!("modifying EBS volume {id}")))?;
            wait_modified(c, ctx, &id).await?;
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EBS volume {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        if prior.get_bool("final_snapshot") == Some(true) {
            match volume_state(c, &id).await? {
                None => return Ok(()),
                Some(_) => final_snapshot(c, ctx, &id, prior).await?,
            }
        }
        wait_for(ctx, "volume deletion", || async {
            match c.ec2().delete_volume().volume_id(&id).send().await {
                Ok(_) => {}
                Err(e) => {
                    let e = aws_err(format!("deleting EBS volume {id}"))(e);
                    if e.is_not_found() {
                        return Ok(Poll::Ready(()));
                    }
                    if code_of(&e) == "VolumeInUse" {
                        return Ok(Poll::Pending(e.to_string()));
                    }
                    return Err(e);
                }
            }
            Ok(match volume_state(c, &id).await? {
                None => Poll::Ready(()),
                Some(s) => Poll::Pending(s),
            })
        })
        .await
    }

    /// The tags are written by the create call itself: a volume carrying this operation's ownership tags
    /// is the one the interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let out = c
            .ec2()
            .describe_volumes()
            .set_filters(Some(ownership_filters(ctx)))
            .send()
            .await
            .map_err(aws_err("looking for an EBS volume made by an interrupted create"))?;
        match out
            .volumes()
            .iter()
            .find(|v| v.state().is_none_or(|s| s.as_str() != "deleted"))
            .and_then(|v| v.volume_id())
        {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}
