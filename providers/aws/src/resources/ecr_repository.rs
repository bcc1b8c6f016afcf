//! `aws_ecr_repository`: an ECR image repository. `id` is the repository name. The tag mutability and
//! scan-on-push setting change in place; the name and the encryption configuration force replacement.
//! `image_scanning_configuration` and `encryption_configuration` left out of the configuration keep what
//! ECR has (as Terraform suppresses a missing block). Deleting waits until the repository is gone;
//! `force_delete` deletes the images with it.
//!
//! Batched read: `DescribeRepositories` with up to 100 names per call (when one of them no longer
//! exists the call fails as a whole, and the provider lists the registry's repositories instead,
//! paginated), and the tags of all of them from the refresh's Resource Groups Tagging API sweep
//! ([`crate::tagging`], one for all types);
//! a repository that API does not answer for is read with `ListTagsForResource`. Reads right after a
//! write use `ListTagsForResource`. Import ID: the repository name.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::tagging::tags_by_arn;
use crate::tags::{self, TagChanges};
use crate::values::{ReadResults, all_failed, complete, id_of, keys_of, partial_object, prior_for, str_attr};
use async_trait::async_trait;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Repository, Tag,
};
use infra_provider::{
    Attribute, Block, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    TAG_ADDRESS, TAG_LINEAGE, Timeouts, Type, Value, wait_for,
};
use std::collections::{BTreeMap, HashMap};

pub struct EcrRepository;

/// Most names one `DescribeRepositories` call takes.
const NAMES_PER_CALL: usize = 100;

fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("arn", Attribute::computed(Type::String))
        .attr("registry_id", Attribute::computed(Type::String))
        .attr("repository_url", Attribute::computed(Type::String))
        .attr("force_delete", Attribute::optional(Type::Bool))
        .attr(
            "image_tag_mutability",
            Attribute::optional(Type::String).default("MUTABLE").one_of(&[
                "MUTABLE",
                "IMMUTABLE",
                "IMMUTABLE_WITH_EXCLUSION",
                "MUTABLE_WITH_EXCLUSION",
            ]),
        )
        .block(
            "image_scanning_configuration",
            NestedBlock::list(Block::new().attr("scan_on_push", Attribute::required(Type::Bool)))
                .max(1)
                .computed(),
        )
        .block(
            "encryption_configuration",
            NestedBlock::list(
                Block::new()
                    .attr(
                        "encryption_type",
                        Attribute::optional(Type::String)
                            .default("AES256")
                            .force_new()
                            .one_of(&["AES256", "KMS", "KMS_DSSE"]),
                    )
                    .attr("kms_key", Attribute::optional_computed(Type::String).force_new()),
            )
            .computed()
            .force_new(),
        )
        .tags()
}

fn flatten(c: &AwsClient, r: &Repository, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let scanning = r
        .image_scanning_configuration()
        .map(|s| vec![Value::map([("scan_on_push", Value::Bool(s.scan_on_push()))])])
        .unwrap_or_default();
    let encryption = r
        .encryption_configuration()
        .map(|e| {
            vec![Value::map([
                ("encryption_type", Value::string(e.encryption_type().as_str())),
                ("kms_key", Value::string(e.kms_key().unwrap_or_default())),
            ])]
        })
        .unwrap_or_default();
    let mut obj = Value::map([
        ("id", Value::opt_string(r.repository_name())),
        ("name", Value::opt_string(r.repository_name())),
        ("arn", Value::opt_string(r.repository_arn())),
        ("registry_id", Value::opt_string(r.registry_id())),
        ("repository_url", Value::opt_string(r.repository_uri())),
        ("force_delete", prior.get("force_delete").cloned().unwrap_or_default()),
        (
            "image_tag_mutability",
            Value::string(r.image_tag_mutability().map(|m| m.as_str()).unwrap_or("MUTABLE")),
        ),
        ("image_scanning_configuration", Value::List(scanning)),
        ("encryption_configuration", Value::List(encryption)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn list_tags(c: &AwsClient, arn: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .ecr()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading tags of ECR repository {arn}")))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// The repositories among `names` that exist.
async fn describe(c: &AwsClient, names: &[String]) -> Result<Vec<Repository>> {
    let mut found = Vec::new();
    for chunk in names.chunks(NAMES_PER_CALL) {
        let res: std::result::Result<Vec<Repository>, _> = c
            .ecr()
            .describe_repositories()
            .set_repository_names(Some(chunk.to_vec()))
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        match res.map_err(aws_err("reading ECR repositories")) {
            Ok(repos) => found.extend(repos),
            Err(e) if code_of(&e) == "RepositoryNotFoundException" => {
                if chunk.len() == 1 {
                    continue;
                }
                // One of them is gone: list the registry instead and keep the ones asked for.
                let all: Vec<Repository> = c
                    .ecr()
                    .describe_repositories()
                    .max_results(1000)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<std::result::Result<_, _>>()
                    .await
                    .map_err(aws_err("listing ECR repositories"))?;
                found.extend(
                    all.into_iter()
                        .filter(|r| r.repository_name().is_some_and(|n| chunk.iter().any(|c| c == n))),
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// Reads repositories by name; `batch_tags` reads tags through the Tagging API (refreshes only).
async fn read_repositories(c: &AwsClient, names: &[String], priors: &[Value], batch_tags: bool) -> Result<ReadResults> {
    let repos = describe(c, names).await?;
    let arns: Vec<String> = repos
        .iter()
        .filter_map(|r| r.repository_arn().map(str::to_string))
        .collect();
    let mut tagged = if batch_tags && !arns.is_empty() {
        tags_by_arn(c, &arns).await?
    } else {
        HashMap::new()
    };
    let tag_reads = repos.iter().map(|r| {
        let arn = r.repository_arn().unwrap_or_default().to_string();
        let known = tagged.remove(&arn);
        async move {
            match known {
                Some(t) => Ok(t),
                None => list_tags(c, &arn).await,
            }
        }
    });
    let tags = futures::future::join_all(tag_reads).await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (r, t) in repos.iter().zip(tags) {
        let t = match t {
            Ok(t) => t,
            Err(e) if code_of(&e) == "RepositoryNotFoundException" => continue,
            Err(e) => return Err(e),
        };
        let name = r.repository_name().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&name).copied().unwrap_or(&Value::Null);
        results.insert(name, flatten(c, r, t, prior));
    }
    Ok(results)
}

pub(crate) async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, name);
    crate::values::single(
        read_repositories(c, &[name.to_string()], std::slice::from_ref(&prior), false)
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
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
        c.ecr()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of ECR repository {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.ecr()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(&ch.set)?))
            .send()
            .await
            .map_err(aws_err(format!("tagging ECR repository {arn}")))?;
    }
    Ok(())
}

fn scan_on_push(v: &Value) -> Option<bool> {
    v.get_block("image_scanning_configuration")
        .and_then(|b| b.get_bool("scan_on_push"))
}

#[async_trait]
impl ResourceType<AwsClient> for EcrRepository {
    fn name(&self) -> &'static str {
        "aws_ecr_repository"
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
        match read_repositories(c, &keys_of(priors, "id"), priors, true).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let mut req = c
            .ecr()
            .create_repository()
            .repository_name(&name)
            .image_tag_mutability(ImageTagMutability::from(
                planned.get_str("image_tag_mutability").unwrap_or("MUTABLE"),
            ))
            .set_tags(Some(tag_list(&tags::for_create(c, ctx, planned))?));
        if let Some(scan) = scan_on_push(planned) {
            req = req.image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(scan).build());
        }
        if let Some(e) = planned.get_block("encryption_configuration") {
            req = req.encryption_configuration(
                EncryptionConfiguration::builder()
                    .encryption_type(EncryptionType::from(e.get_str("encryption_type").unwrap_or("AES256")))
                    .set_kms_key(str_attr(e, "kms_key"))
                    .build()
                    .map_err(|e| ProviderError::invalid(format!("encryption_configuration: {e}")))?,
            );
        }
        req.send()
            .await
            .map_err(aws_err(format!("creating ECR repository {name}")))?;
        let rest = async {
            // ECR reads may lag a moment behind the create.
            wait_for(ctx, "repository visible", || async {
                Ok(match read_one(c, &name, planned).await? {
                    Some(v) => Poll::Ready(v),
                    None => Poll::Pending("not found yet".into()),
                })
            })
            .await
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &name)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = id_of(prior)?;
        let registry = str_attr(prior, "registry_id");
        if crate::values::changed(prior, planned, "image_tag_mutability") {
            c.ecr()
                .put_image_tag_mutability()
                .repository_name(&name)
                .set_registry_id(registry.clone())
                .image_tag_mutability(ImageTagMutability::from(
                    planned.get_str("image_tag_mutability").unwrap_or("MUTABLE"),
                ))
                .send()
                .await
                .map_err(aws_err(format!("setting the tag mutability of ECR repository {name}")))?;
        }
        if scan_on_push(planned) != scan_on_push(prior) {
            c.ecr()
                .put_image_scanning_configuration()
                .repository_name(&name)
                .set_registry_id(registry)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(scan_on_push(planned).unwrap_or(false))
                        .build(),
                )
                .send()
                .await
                .map_err(aws_err(format!("setting the scanning of ECR repository {name}")))?;
        }
        let ch = tags::changes(c, prior, planned);
        if !ch.is_empty() {
            let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::invalid("the repository has no ARN"))?;
            update_tags(c, &arn, &ch).await?;
        }
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("ECR repository {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = id_of(prior)?;
        match c
            .ecr()
            .delete_repository()
            .repository_name(&name)
            .set_registry_id(str_attr(prior, "registry_id"))
            .force(prior.get_bool("force_delete") == Some(true))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let mut e = aws_err(format!("deleting ECR repository {name}"))(e);
                match code_of(&e) {
                    "RepositoryNotFoundException" => return Ok(()),
                    "RepositoryNotEmptyException" => {
                        e.message = format!("{} (set force_delete = true to delete its images too)", e.message);
                        return Err(e);
                    }
                    _ => return Err(e),
                }
            }
        }
        wait_for(ctx, "repository deletion", || async {
            Ok(match describe(c, std::slice::from_ref(&name)).await?.is_empty() {
                true => Poll::Ready(()),
                false => Poll::Pending("still listed".into()),
            })
        })
        .await
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_one(c, id, &Value::map([("id", Value::string(id))])).await
    }

    /// The name is unique in the registry, and the ownership tags are written by the create call itself:
    /// a repository of that name carrying this operation's ownership tags is the one to adopt.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "name") else {
            return Ok(None);
        };
        let Some(repo) = describe(c, std::slice::from_ref(&name)).await?.into_iter().next() else {
            return Ok(None);
        };
        let tags: BTreeMap<String, String> = list_tags(c, repo.repository_arn().unwrap_or_default())
            .await?
            .into_iter()
            .collect();
        if tags.get(TAG_ADDRESS) == Some(&ctx.address) && tags.get(TAG_LINEAGE) == Some(&ctx.lineage) {
            read_one(c, &name, planned).await
        } else {
            Ok(None)
        }
    }
}
