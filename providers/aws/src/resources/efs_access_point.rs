//! `aws_efs_access_point`: an EFS access point (a POSIX identity and root directory for NFS clients).
//! `id` is the access point ID. Everything but the tags forces replacement. `CreateAccessPoint` takes a
//! client token (derived from the operation's), so a rerun of an interrupted create returns the same
//! access point, and `find_created` finds it by that token. Creating waits until it is `available`,
//! deleting until it is gone.
//!
//! Batched read: `DescribeAccessPoints` for one file system lists all its access points (tags
//! included, paginated), so a refresh makes one call per distinct file system. Import ID: the access
//! point ID.

use crate::client::AwsClient;
use crate::efs::{file_system_arn, tag_list, tag_pairs, update_tags};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{ReadResults, all_failed, complete, id_of, idempotency_token, partial_object, str_attr};
use async_trait::async_trait;
use aws_sdk_efs::types::{AccessPointDescription, CreationInfo, PosixUser, RootDirectory};
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    Type, Value, wait_for,
};
use std::collections::{BTreeSet, HashMap};

pub struct EfsAccessPoint;

/// `Check::Fn` for `permissions`: POSIX permissions in octal (`"755"`, `"0755"`).
fn octal_permissions(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(p) if !((3..=4).contains(&p.len()) && p.bytes().all(|b| (b'0'..=b'7').contains(&b))) => Err(format!(
            "expected octal permissions of 3 or 4 digits 0-7, like \"755\", got {p:?}."
        )),
        _ => Ok(()),
    }
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("file_system_arn", Attribute::computed(Type::String))
        .attr("file_system_id", Attribute::required(Type::String).force_new())
        .attr("owner_id", Attribute::computed(Type::String))
        .block(
            "posix_user",
            NestedBlock::list(
                Block::new()
                    .attr(
                        "gid",
                        Attribute::required(Type::Number)
                            .force_new()
                            .check(Check::IntRange(0, 4294967295)),
                    )
                    .attr(
                        "uid",
                        Attribute::required(Type::Number)
                            .force_new()
                            .check(Check::IntRange(0, 4294967295)),
                    )
                    .attr(
                        "secondary_gids",
                        Attribute::optional(Type::set(Type::Number)).force_new(),
                    ),
            )
            .max(1)
            .force_new(),
        )
        .block(
            "root_directory",
            NestedBlock::list(
                Block::new()
                    .attr(
                        "path",
                        Attribute::optional_computed(Type::String)
                            .force_new()
                            .check(Check::Length(1, 100)),
                    )
                    .block(
                        "creation_info",
                        NestedBlock::list(
                            Block::new()
                                .attr(
                                    "owner_gid",
                                    Attribute::required(Type::Number)
                                        .force_new()
                                        .check(Check::IntRange(0, 4294967295)),
                                )
                                .attr(
                                    "owner_uid",
                                    Attribute::required(Type::Number)
                                        .force_new()
                                        .check(Check::IntRange(0, 4294967295)),
                                )
                                .attr(
                                    "permissions",
                                    Attribute::required(Type::String)
                                        .force_new()
                                        .check(Check::Fn(octal_permissions)),
                                ),
                        )
                        .max(1)
                        .computed()
                        .force_new(),
                    ),
            )
            .max(1)
            .computed()
            .force_new(),
        )
        .tags()
}

async fn flatten(c: &AwsClient, ap: &AccessPointDescription, prior: &Value) -> Result<Value> {
    let fs = ap.file_system_id().unwrap_or_default();
    let posix = ap
        .posix_user()
        .map(|p| {
            vec![Value::map([
                ("gid", Value::int(p.gid())),
                ("uid", Value::int(p.uid())),
                (
                    "secondary_gids",
                    if p.secondary_gids().is_empty() {
                        Value::Null
                    } else {
                        Value::set(p.secondary_gids().iter().map(|g| Value::int(*g)).collect())
                    },
                ),
            ])]
        })
        .unwrap_or_default();
    let root = ap
        .root_directory()
        .map(|r| {
            let info = r
                .creation_info()
                .map(|i| {
                    vec![Value::map([
                        ("owner_gid", Value::int(i.owner_gid())),
                        ("owner_uid", Value::int(i.owner_uid())),
                        ("permissions", Value::string(i.permissions())),
                    ])]
                })
                .unwrap_or_default();
            vec![Value::map([
                ("path", Value::opt_string(r.path())),
                ("creation_info", Value::List(info)),
            ])]
        })
        .unwrap_or_default();
    let mut obj = Value::map([
        ("id", Value::opt_string(ap.access_point_id())),
        ("arn", Value::opt_string(ap.access_point_arn())),
        (
            "file_system_arn",
            Value::string(file_system_arn(c, fs, ap.owner_id()).await?),
        ),
        ("file_system_id", Value::string(fs)),
        ("owner_id", Value::opt_string(ap.owner_id())),
        ("posix_user", Value::List(posix)),
        ("root_directory", Value::List(root)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(ap.tags()));
    Ok(complete(&block(), obj))
}

fn live(ap: &AccessPointDescription) -> bool {
    ap.life_cycle_state().is_none_or(|s| s.as_str() != "deleted")
}

/// One access point by ID; `None` when it does not exist.
async fn describe_one(c: &AwsClient, id: &str) -> Result<Option<AccessPointDescription>> {
    match c.efs().describe_access_points().access_point_id(id).send().await {
        Ok(out) => Ok(out.access_points().iter().find(|a| live(a)).cloned()),
        Err(e) => {
            let e = aws_err(format!("reading EFS access point {id}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

/// The access points of one file system (empty when the file system is gone).
async fn of_file_system(c: &AwsClient, fs: &str) -> Result<Vec<AccessPointDescription>> {
    let res: std::result::Result<Vec<AccessPointDescription>, _> = c
        .efs()
        .describe_access_points()
        .file_system_id(fs)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    match res.map_err(aws_err(format!("reading the access points of EFS file system {fs}"))) {
        Ok(all) => Ok(all.into_iter().filter(live).collect()),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

async fn read_batch(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let wanted: BTreeSet<String> = priors.iter().filter_map(|p| str_attr(p, "id")).collect();
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
    let mut found: HashMap<String, AccessPointDescription> = HashMap::new();
    for l in listings {
        for a in l? {
            if let Some(id) = a.access_point_id().filter(|id| wanted.contains(*id)) {
                found.insert(id.to_string(), a);
            }
        }
    }
    for id in loose {
        if !found.contains_key(&id)
            && let Some(a) = describe_one(c, &id).await?
        {
            found.insert(id, a);
        }
    }
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (id, a) in found {
        let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
        results.insert(id, flatten(c, &a, prior).await?);
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    match describe_one(c, id).await? {
        Some(a) => Ok(Some(flatten(c, &a, prior).await?)),
        None => Ok(None),
    }
}

fn token(ctx: &OpContext) -> String {
    idempotency_token(&ctx.client_token, 1, 64)
}

fn expand_posix(v: &Value) -> Result<Option<PosixUser>> {
    let Some(p) = v.get_block("posix_user") else {
        return Ok(None);
    };
    let secondary: Vec<i64> = p.get_list("secondary_gids").iter().filter_map(Value::as_i64).collect();
    PosixUser::builder()
        .set_gid(p.get_i64("gid"))
        .set_uid(p.get_i64("uid"))
        .set_secondary_gids(if secondary.is_empty() { None } else { Some(secondary) })
        .build()
        .map(Some)
        .map_err(|e| ProviderError::invalid(format!("posix_user: {e}")))
}

fn expand_root(v: &Value) -> Result<Option<RootDirectory>> {
    let Some(r) = v.get_block("root_directory") else {
        return Ok(None);
    };
    let info = match r.get_block("creation_info") {
        Some(i) => Some(
            CreationInfo::builder()
                .set_owner_gid(i.get_i64("owner_gid"))
                .set_owner_uid(i.get_i64("owner_uid"))
                .set_permissions(str_attr(i, "permissions"))
                .build()
                .map_err(|e| ProviderError::invalid(format!("root_directory.creation_info: {e}")))?,
        ),
        None => None,
    };
    Ok(Some(
        RootDirectory::builder()
            .set_path(str_attr(r, "path"))
            .set_creation_info(info)
            .build(),
    ))
}

async fn wait_available(c: &AwsClient, ctx: &OpContext, id: &str) -> Result<()> {
    wait_for(ctx, "access point available", || async {
        Ok(match describe_one(c, id).await? {
            Some(a) => match a.life_cycle_state().map(|s| s.as_str()) {
                Some("available") | None => Poll::Ready(()),
                Some(s) => Poll::Pending(s.to_string()),
            },
            None => Poll::Pending("not visible yet".into()),
        })
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for EfsAccessPoint {
    fn name(&self) -> &'static str {
        "aws_efs_access_point"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
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
        let out = c
            .efs()
            .create_access_point()
            .client_token(token(ctx))
            .file_system_id(&fs)
            .set_tags(Some(tag_list(&tags::for_create(c, ctx, planned))?))
            .set_posix_user(expand_posix(planned)?)
            .set_root_directory(expand_root(planned)?)
            .send()
            .await
            .map_err(aws_err(format!("creating EFS access point for {fs}")))?;
        let id = out
            .access_point_id()
            .ok_or_else(|| ProviderError::new("CreateAccessPoint returned no access point ID"))?
            .to_string();
        let rest = async {
            wait_available(c, ctx, &id).await?;
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EFS access point {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    /// Only the tags change in place.
    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EFS access point {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        match c.efs().delete_access_point().access_point_id(&id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = aws_err(format!("deleting EFS access point {id}"))(e);
                if e.is_not_found() {
                    return Ok(());
                }
                return Err(e);
            }
        }
        wait_for(ctx, "access point deletion", || async {
            Ok(match describe_one(c, &id).await? {
                None => Poll::Ready(()),
                Some(a) => Poll::Pending(
                    a.life_cycle_state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "deleting".into()),
                ),
            })
        })
        .await
    }

    /// The create's client token is derived from the operation's: an access point of the planned file
    /// system with that token (or with this operation's ownership tags) is the one to adopt.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(fs) = str_attr(planned, "file_system_id") else {
            return Ok(None);
        };
        let want = token(ctx);
        let owned = |a: &AccessPointDescription| {
            let t: HashMap<&str, &str> = a.tags().iter().map(|t| (t.key(), t.value())).collect();
            a.client_token() == Some(want.as_str())
                || (t.get(infra_provider::TAG_ADDRESS) == Some(&ctx.address.as_str())
                    && t.get(infra_provider::TAG_LINEAGE) == Some(&ctx.lineage.as_str()))
        };
        match of_file_system(c, &fs).await?.iter().find(|a| owned(a)) {
            Some(a) => Ok(Some(flatten(c, a, planned).await?)),
            None => Ok(None),
        }
    }
}
