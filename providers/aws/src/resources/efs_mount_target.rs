//! `aws_efs_mount_target`: an EFS mount target (the file system's network interface in one subnet).
//! `id` is the mount target ID. Security groups change in place (`ModifyMountTargetSecurityGroups`);
//! the file system, subnet and IP address force replacement. Creating waits until it is `available`,
//! deleting until it is gone. A file system has at most one mount target per availability zone, and so
//! `find_created` adopts the mount target of the planned file system in the planned subnet.
//!
//! Batched read: `DescribeMountTargets` takes one file system (or one mount target) per call, so a
//! refresh makes one call per distinct file system, which answers for all its mount targets. The
//! security groups only come per mount target (`DescribeMountTargetSecurityGroups`, no batch form), one
//! call each, made concurrently. Import ID: the mount target ID.

use crate::client::AwsClient;
use crate::efs::{dns_name, file_system_arn};
use crate::errors::{aws_err, code_of};
use crate::values::{ReadResults, all_failed, complete, id_of, partial_object, str_attr};
use async_trait::async_trait;
use aws_sdk_efs::types::MountTargetDescription;
use infra_provider::{
    Attribute, Block, Check, OpContext, Poll, ProviderError, ResourceType, Result, Schema, Timeouts, Type, Value,
    wait_for,
};
use std::collections::{BTreeSet, HashMap};

pub struct EfsMountTarget;

fn block() -> Block {
    Block::new()
        .id()
        .attr("file_system_id", Attribute::required(Type::String).force_new())
        .attr("subnet_id", Attribute::required(Type::String).force_new())
        .attr(
            "ip_address",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(crate::values::ipv4_address)),
        )
        .attr("security_groups", Attribute::optional_computed(Type::string_set()))
        .attr("availability_zone_id", Attribute::computed(Type::String))
        .attr("availability_zone_name", Attribute::computed(Type::String))
        .attr("dns_name", Attribute::computed(Type::String))
        .attr("file_system_arn", Attribute::computed(Type::String))
        .attr("mount_target_dns_name", Attribute::computed(Type::String))
        .attr("network_interface_id", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
}

async fn flatten(c: &AwsClient, mt: &MountTargetDescription, groups: Vec<String>) -> Result<Value> {
    let fs = mt.file_system_id();
    let az = mt.availability_zone_name().unwrap_or_default();
    let dns = dns_name(c, fs);
    Ok(complete(
        &block(),
        Value::map([
            ("id", Value::string(mt.mount_target_id())),
            ("file_system_id", Value::string(fs)),
            ("subnet_id", Value::string(mt.subnet_id())),
            ("ip_address", Value::opt_string(mt.ip_address())),
            ("security_groups", Value::string_set(groups)),
            ("availability_zone_id", Value::opt_string(mt.availability_zone_id())),
            ("availability_zone_name", Value::opt_string(mt.availability_zone_name())),
            ("dns_name", Value::string(&dns)),
            (
                "file_system_arn",
                Value::string(file_system_arn(c, fs, mt.owner_id()).await?),
            ),
            ("mount_target_dns_name", Value::string(format!("{az}.{dns}"))),
            ("network_interface_id", Value::opt_string(mt.network_interface_id())),
            ("owner_id", Value::opt_string(mt.owner_id())),
        ]),
    ))
}

/// One mount target by ID; `None` when it does not exist.
async fn describe_one(c: &AwsClient, id: &str) -> Result<Option<MountTargetDescription>> {
    match c.efs().describe_mount_targets().mount_target_id(id).send().await {
        Ok(out) => Ok(out
            .mount_targets()
            .first()
            .filter(|m| m.life_cycle_state().as_str() != "deleted")
            .cloned()),
        Err(e) => {
            let e = aws_err(format!("reading EFS mount target {id}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

/// The mount targets of one file system (empty when the file system is gone).
async fn of_file_system(c: &AwsClient, fs: &str) -> Result<Vec<MountTargetDescription>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = match c
            .efs()
            .describe_mount_targets()
            .file_system_id(fs)
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) => {
                let e = aws_err(format!("reading the mount targets of EFS file system {fs}"))(e);
                if e.is_not_found() {
                    return Ok(Vec::new());
                }
                return Err(e);
            }
        };
        out.extend(
            page.mount_targets()
                .iter()
                .filter(|m| m.life_cycle_state().as_str() != "deleted")
                .cloned(),
        );
        match page.next_marker().filter(|m| !m.is_empty()) {
            Some(m) => marker = Some(m.to_string()),
            None => break,
        }
    }
    Ok(out)
}

async fn security_groups(c: &AwsClient, id: &str) -> Result<Vec<String>> {
    let out = c
        .efs()
        .describe_mount_target_security_groups()
        .mount_target_id(id)
        .send()
        .await
        .map_err(aws_err(format!("reading the security groups of EFS mount target {id}")))?;
    Ok(out.security_groups().to_vec())
}

/// Flattens found mount targets (reading their security groups concurrently) into results.
async fn finish(c: &AwsClient, found: Vec<MountTargetDescription>) -> Result<ReadResults> {
    let groups = futures::future::join_all(found.iter().map(|m| security_groups(c, m.mount_target_id()))).await;
    let mut results = ReadResults::new();
    for (m, g) in found.iter().zip(groups) {
        let g = match g {
            Ok(g) => g,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        results.insert(m.mount_target_id(), flatten(c, m, g).await?);
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str) -> Result<Option<Value>> {
    let found: Vec<_> = describe_one(c, id).await?.into_iter().collect();
    let prior = Value::map([("id", Value::string(id))]);
    crate::values::single(finish(c, found).await?.answer(&[prior], |p| str_attr(p, "id")))
}

async fn read_batch(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let wanted: BTreeSet<String> = priors.iter().filter_map(|p| str_attr(p, "id")).collect();
    // Group by file system: one listing answers for all its mount targets.
    let mut by_fs: BTreeSet<String> = BTreeSet::new();
    let mut loose: Vec<String> = Vec::new();
    for p in priors {
        match (str_attr(p, "file_system_id"), str_attr(p, "id")) {
            (Some(fs), Some(_)) => {
                by_fs.insert(fs);
            }
            (None, Some(id)) => loose.push(id),
            _ => {}
        }
    }
    let listings = futures::future::join_all(by_fs.iter().map(|fs| of_file_system(c, fs))).await;
    let mut found: HashMap<String, MountTargetDescription> = HashMap::new();
    for l in listings {
        for m in l? {
            if wanted.contains(m.mount_target_id()) {
                found.insert(m.mount_target_id().to_string(), m);
            }
        }
    }
    for id in loose {
        if !found.contains_key(&id)
            && let Some(m) = describe_one(c, &id).await?
        {
            found.insert(id, m);
        }
    }
    finish(c, found.into_values().collect()).await
}

async fn wait_state(c: &AwsClient, ctx: &OpContext, id: &str) -> Result<()> {
    wait_for(ctx, "mount target available", || async {
        Ok(match describe_one(c, id).await? {
            Some(m) if m.life_cycle_state().as_str() == "available" => Poll::Ready(()),
            Some(m) => Poll::Pending(m.life_cycle_state().as_str().to_string()),
            None => Poll::Pending("not visible yet".into()),
        })
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for EfsMountTarget {
    fn name(&self) -> &'static str {
        "aws_efs_mount_target"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(30, 30, 10))
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_batch(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let fs =
            str_attr(planned, "file_system_id").ok_or_else(|| ProviderError::invalid("file_system_id is required"))?;
        let subnet = str_attr(planned, "subnet_id").ok_or_else(|| ProviderError::invalid("subnet_id is required"))?;
        let groups = planned.get_strings("security_groups");
        let out = c
            .efs()
            .create_mount_target()
            .file_system_id(&fs)
            .subnet_id(&subnet)
            .set_ip_address(str_attr(planned, "ip_address"))
            .set_security_groups(if groups.is_empty() { None } else { Some(groups) })
            .send()
            .await
            .map_err(aws_err(format!("creating EFS mount target for {fs} in {subnet}")))?;
        let id = out.mount_target_id().to_string();
        let rest = async {
            wait_state(c, ctx, &id).await?;
            read_one(c, &id)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EFS mount target {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        let want = planned.get("security_groups");
        if want.is_some_and(|w| !w.is_unknown()) && crate::values::changed(prior, planned, "security_groups") {
            c.efs()
                .modify_mount_target_security_groups()
                .mount_target_id(&id)
                .set_security_groups(Some(planned.get_strings("security_groups")))
                .send()
                .await
                .map_err(aws_err(format!("setting the security groups of EFS mount target {id}")))?;
        }
        read_one(c, &id)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EFS mount target {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        match c.efs().delete_mount_target().mount_target_id(&id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = aws_err(format!("deleting EFS mount target {id}"))(e);
                if e.is_not_found() || code_of(&e) == "MountTargetNotFound" {
                    return Ok(());
                }
                return Err(e);
            }
        }
        wait_for(ctx, "mount target deletion", || async {
            Ok(match describe_one(c, &id).await? {
                None => Poll::Ready(()),
                Some(m) => Poll::Pending(m.life_cycle_state().as_str().to_string()),
            })
        })
        .await
    }

    /// One mount target per zone and file system: the one of the planned file system in the planned
    /// subnet is what the interrupted create made.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let (Some(fs), Some(subnet)) = (str_attr(planned, "file_system_id"), str_attr(planned, "subnet_id")) else {
            return Ok(None);
        };
        let found = of_file_system(c, &fs).await?;
        match found.iter().find(|m| m.subnet_id() == subnet) {
            Some(m) => read_one(c, m.mount_target_id()).await,
            None => Ok(None),
        }
    }
}
