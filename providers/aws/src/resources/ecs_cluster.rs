//! `aws_ecs_cluster`: an ECS cluster. `id` and `arn` are the cluster ARN; the name forces a new cluster.
//! Settings (`containerInsights`) change in place with `UpdateCluster`. The create waits for `ACTIVE`;
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
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};
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
        .tags()
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
