//! `aws_ecs_cluster`: an ECS cluster. `id` and `arn` are the cluster ARN; the name forces a new cluster.
//! Settings (`containerInsights`) and the `configuration` block (ECS Exec's KMS key and logging, managed
//! storage keys) change in place with `UpdateCluster`. The create waits for `ACTIVE`;
//! the delete retries while services or tasks are still draining and waits for `INACTIVE`, as Terraform.
//!
//! Batched read: `DescribeClusters` with up to 100 clusters per call, tags and settings included, so N
//! clusters cost N/100 calls. An `INACTIVE` cluster reads as gone.
//! Import ID: the cluster name (or ARN).

use crate::client::AwsClient;
use crate::ecs::{tag_list, tag_pairs, update_tags};
use crate::elbv2::owned;
use crate::errors::aws_err;
use crate::tags;
use crate::values::{ReadResults, all_failed, changed, complete, id_of, partial_object, prior_for, single, str_attr};
use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Cluster, ClusterConfiguration, ClusterField, ClusterSetting, ClusterSettingName, ExecuteCommandConfiguration,
    ExecuteCommandLogConfiguration, ExecuteCommandLogging, ManagedStorageConfiguration,
};
use infra_provider::{
    Attribute, Block, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, Timeouts,
    Type, Value, wait_for,
};
use std::collections::HashMap;

pub struct EcsCluster;

/// Most clusters one `DescribeClusters` call takes.
const DESCRIBE_BATCH: usize = 100;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String).force_new())
        .block(
            "setting",
            NestedBlock::set(
                Block::new()
                    .attr("name", Attribute::required(Type::String).one_of(&["containerInsights"]))
                    .attr(
                        "value",
                        Attribute::required(Type::String).one_of(&["enabled", "disabled", "enhanced"]),
                    ),
            )
            .computed(),
        )
        .block("configuration", NestedBlock::list(configuration_block()).max(1))
        .tags()
}

fn configuration_block() -> Block {
    let opt = |t: Type| Attribute::optional(t);
    Block::new()
        .block(
            "execute_command_configuration",
            NestedBlock::list(
                Block::new()
                    .attr("kms_key_id", opt(Type::String))
                    .attr("logging", opt(Type::String).one_of(&["NONE", "DEFAULT", "OVERRIDE"]))
                    .block(
                        "log_configuration",
                        NestedBlock::list(
                            Block::new()
                                .attr("cloud_watch_encryption_enabled", opt(Type::Bool))
                                .attr("cloud_watch_log_group_name", opt(Type::String))
                                .attr("s3_bucket_encryption_enabled", opt(Type::Bool))
                                .attr("s3_bucket_name", opt(Type::String))
                                .attr("s3_key_prefix", opt(Type::String)),
                        )
                        .max(1),
                    ),
            )
            .max(1),
        )
        .block(
            "managed_storage_configuration",
            NestedBlock::list(
                Block::new()
                    .attr("fargate_ephemeral_storage_kms_key_id", opt(Type::String))
                    .attr("kms_key_id", opt(Type::String)),
            )
            .max(1),
        )
}

/// The `configuration` block as the API's `ClusterConfiguration` (`None` when the block is absent).
fn configuration(v: &Value) -> Option<ClusterConfiguration> {
    let cfg = v.get_list("configuration").first()?.clone();
    let exec = cfg.get_list("execute_command_configuration").first().map(|e| {
        let log = e.get_list("log_configuration").first().map(|l| {
            ExecuteCommandLogConfiguration::builder()
                .set_cloud_watch_encryption_enabled(l.get_bool("cloud_watch_encryption_enabled"))
                .set_cloud_watch_log_group_name(str_attr(l, "cloud_watch_log_group_name"))
                .set_s3_encryption_enabled(l.get_bool("s3_bucket_encryption_enabled"))
                .set_s3_bucket_name(str_attr(l, "s3_bucket_name"))
                .set_s3_key_prefix(str_attr(l, "s3_key_prefix"))
                .build()
        });
        ExecuteCommandConfiguration::builder()
            .set_kms_key_id(str_attr(e, "kms_key_id"))
            .set_logging(e.get_str("logging").map(ExecuteCommandLogging::from))
            .set_log_configuration(log)
            .build()
    });
    let storage = cfg.get_list("managed_storage_configuration").first().map(|m| {
        ManagedStorageConfiguration::builder()
            .set_kms_key_id(str_attr(m, "kms_key_id"))
            .set_fargate_ephemeral_storage_kms_key_id(str_attr(m, "fargate_ephemeral_storage_kms_key_id"))
            .build()
    });
    Some(
        ClusterConfiguration::builder()
            .set_execute_command_configuration(exec)
            .set_managed_storage_configuration(storage)
            .build(),
    )
}

/// A cluster's `ClusterConfiguration` as the `configuration` block (empty when it has none). The API
/// answers `false` for a flag never set: it reads as the prior's value then (false or unset).
fn flatten_configuration(cfg: Option<&ClusterConfiguration>, prior: &Value) -> Value {
    let Some(cfg) = cfg else { return Value::List(Vec::new()) };
    let prior_log = prior
        .get_list("configuration")
        .first()
        .and_then(|c| c.get_list("execute_command_configuration").first().cloned())
        .and_then(|e| e.get_list("log_configuration").first().cloned())
        .unwrap_or_default();
    let flag = |on: bool, key: &str| {
        if on {
            Value::Bool(true)
        } else if prior_log.get_bool(key) == Some(false) {
            Value::Bool(false)
        } else {
            Value::Null
        }
    };
    let exec: Vec<Value> = cfg
        .execute_command_configuration()
        .map(|e| {
            let log: Vec<Value> = e
                .log_configuration()
                .map(|l| {
                    Value::map([
                        (
                            "cloud_watch_encryption_enabled",
                            flag(l.cloud_watch_encryption_enabled(), "cloud_watch_encryption_enabled"),
                        ),
                        (
                            "cloud_watch_log_group_name",
                            Value::opt_string(l.cloud_watch_log_group_name()),
                        ),
                        (
                            "s3_bucket_encryption_enabled",
                            flag(l.s3_encryption_enabled(), "s3_bucket_encryption_enabled"),
                        ),
                        ("s3_bucket_name", Value::opt_string(l.s3_bucket_name())),
                        ("s3_key_prefix", Value::opt_string(l.s3_key_prefix())),
                    ])
                })
                .into_iter()
                .collect();
            Value::map([
                ("kms_key_id", Value::opt_string(e.kms_key_id())),
                ("logging", Value::opt_string(e.logging().map(|l| l.as_str()))),
                ("log_configuration", Value::List(log)),
            ])
        })
        .into_iter()
        .collect();
    let storage: Vec<Value> = cfg
        .managed_storage_configuration()
        .map(|m| {
            Value::map([
                (
                    "fargate_ephemeral_storage_kms_key_id",
                    Value::opt_string(m.fargate_ephemeral_storage_kms_key_id()),
                ),
                ("kms_key_id", Value::opt_string(m.kms_key_id())),
            ])
        })
        .into_iter()
        .collect();
    if exec.is_empty() && storage.is_empty() {
        return Value::List(Vec::new());
    }
    Value::List(vec![Value::map([
        ("execute_command_configuration", Value::List(exec)),
        ("managed_storage_configuration", Value::List(storage)),
    ])])
}

fn flatten(c: &AwsClient, cl: &Cluster, prior: &Value) -> Value {
    let arn = cl.cluster_arn().unwrap_or_default();
    let settings: Vec<Value> = cl
        .settings()
        .iter()
        .map(|s| {
            Value::map([
                ("name", Value::opt_string(s.name().map(|n| n.as_str()))),
                ("value", Value::opt_string(s.value())),
            ])
        })
        .collect();
    let mut obj = Value::map([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("name", Value::opt_string(cl.cluster_name())),
        ("setting", Value::set(settings)),
        ("configuration", flatten_configuration(cl.configuration(), prior)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(cl.tags()));
    complete(&block(), obj)
}

/// `DescribeClusters` for many clusters (names or ARNs); inactive clusters are left out.
pub async fn describe(c: &AwsClient, ids: &[String]) -> Result<Vec<Cluster>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(DESCRIBE_BATCH) {
        let got = c
            .ecs()
            .describe_clusters()
            .set_clusters(Some(chunk.to_vec()))
            .include(ClusterField::Tags)
            .include(ClusterField::Settings)
            .include(ClusterField::Configurations)
            .send()
            .await
            .map_err(aws_err("reading ECS clusters"))?;
        out.extend(
            got.clusters
                .unwrap_or_default()
                .into_iter()
                .filter(|cl| cl.status() != Some("INACTIVE")),
        );
    }
    Ok(out)
}

async fn read_clusters(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let ids = crate::values::keys_of(priors, "id");
    let found = describe(c, &ids).await?;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for cl in &found {
        let arn = cl.cluster_arn().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&arn).copied().unwrap_or(&Value::Null);
        results.insert(arn, flatten(c, cl, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, arn: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, arn);
    single(
        read_clusters(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn settings(v: &Value) -> Option<Vec<ClusterSetting>> {
    match v.get("setting") {
        Some(Value::Set(items) | Value::List(items)) => Some(
            items
                .iter()
                .map(|s| {
                    ClusterSetting::builder()
                        .set_name(s.get_str("name").map(ClusterSettingName::from))
                        .set_value(str_attr(s, "value"))
                        .build()
                })
                .collect(),
        ),
        _ => None,
    }
}

async fn wait_active(c: &AwsClient, ctx: &OpContext, name: &str) -> Result<()> {
    wait_for(ctx, "cluster active", || async {
        let out = c
            .ecs()
            .describe_clusters()
            .clusters(name)
            .send()
            .await
            .map_err(aws_err(format!("reading ECS cluster {name}")))?;
        Ok(match out.clusters().first().and_then(|cl| cl.status()) {
            Some("ACTIVE") => Poll::Ready(()),
            Some(s) => Poll::Pending(s.to_string()),
            None => Poll::Pending("not visible yet".into()),
        })
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for EcsCluster {
    fn name(&self) -> &'static str {
        "aws_ecs_cluster"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(10, 10, 10))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_clusters(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .ecs()
            .create_cluster()
            .cluster_name(&name)
            .set_settings(settings(planned))
            .set_configuration(configuration(planned))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating ECS cluster {name}")))?;
        let arn = out
            .cluster()
            .and_then(|cl| cl.cluster_arn())
            .ok_or_else(|| ProviderError::new("CreateCluster returned no cluster"))?
            .to_string();
        let rest = async {
            wait_active(c, ctx, &arn).await?;
            read_one(c, &arn, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("ECS cluster {name} vanished after create")))
        };
        let partial = planned.clone().with("arn", Value::string(&arn));
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), &partial, &arn)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = id_of(prior)?;
        if changed(prior, planned, "setting")
            && let Some(s) = settings(planned)
        {
            c.ecs()
                .update_cluster()
                .cluster(&arn)
                .set_settings(Some(s))
                .send()
                .await
                .map_err(aws_err(format!("updating ECS cluster {arn}")))?;
            wait_active(c, ctx, &arn).await?;
        }
        if changed(prior, planned, "configuration") {
            // An emptied block clears what was configured (an empty configuration object).
            let cfg = configuration(planned).unwrap_or_else(|| ClusterConfiguration::builder().build());
            c.ecs()
                .update_cluster()
                .cluster(&arn)
                .configuration(cfg)
                .send()
                .await
                .map_err(aws_err(format!("updating the configuration of ECS cluster {arn}")))?;
            wait_active(c, ctx, &arn).await?;
        }
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("ECS cluster {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = id_of(prior)?;
        // Services being deleted keep the cluster busy for a while: retry until the timeout.
        const BUSY: &[&str] = &[
            "ClusterContainsServicesException",
            "ClusterContainsTasksException",
            "ClusterContainsContainerInstancesException",
            "UpdateInProgressException",
        ];
        crate::errors::delete_retrying(ctx, "cluster deletion", BUSY, || async {
            c.ecs()
                .delete_cluster()
                .cluster(&arn)
                .send()
                .await
                .map(drop)
                .map_err(aws_err(format!("deleting ECS cluster {arn}")))
        })
        .await?;
        wait_for(ctx, "cluster inactive", || async {
            Ok(if describe(c, std::slice::from_ref(&arn)).await?.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending("DEPROVISIONING".into())
            })
        })
        .await
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let Some(cl) = describe(c, &[id.to_string()]).await?.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(flatten(c, &cl, &Value::Null)))
    }

    /// Cluster names are unique: an active cluster of that name carrying this operation's ownership tags
    /// (set by the create call) is what an interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "name") else {
            return Ok(None);
        };
        let Some(cl) = describe(c, &[name]).await?.into_iter().next() else {
            return Ok(None);
        };
        if !owned(&tag_pairs(cl.tags()), ctx) {
            return Ok(None);
        }
        let arn = cl.cluster_arn().unwrap_or_default().to_string();
        wait_active(c, ctx, &arn).await?;
        read_one(c, &arn, planned).await
    }
}
