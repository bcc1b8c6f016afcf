//! `aws_ecs_cluster_capacity_providers`: the capacity providers an ECS cluster may use (`FARGATE`,
//! `FARGATE_SPOT`, Auto Scaling group providers) and its default capacity provider strategy, the one a
//! service or task without a strategy or launch type runs on. `id` is the cluster name; the name forces a
//! new object, both lists change in place. Create and update write both at once with
//! `PutClusterCapacityProviders` (retried while the cluster is not `ACTIVE` or is busy updating) and wait
//! for the cluster to be `ACTIVE`; the delete puts empty lists — the cluster itself stays — and a cluster
//! that is gone counts as done, as in hashicorp/aws (internal/service/ecs/cluster_capacity_providers.go).
//!
//! Batched read: `DescribeClusters`, up to 100 clusters per call (the answer always carries both lists). A
//! cluster that is missing or `INACTIVE` reads as gone.
//! Import ID: the cluster name (an ARN is accepted too and kept as the ID, as Terraform's passthrough does).

use crate::client::AwsClient;
use crate::ecs::{flatten_strategy, strategy_block, strategy_items};
use crate::errors::{aws_err, code_of};
use crate::resources::ecs_cluster::describe;
use crate::values::{all_failed, complete, id_of, keys_of, str_attr};
use async_trait::async_trait;
use aws_sdk_ecs::types::Cluster;
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, Poll, ProviderError, ResourceType, Result, Schema, Type, Value,
    wait_for,
};

pub struct EcsClusterCapacityProviders;

fn block() -> Block {
    Block::new()
        .id()
        // A name, not an ARN: the API takes both, but the read could not tell which to give back.
        .attr(
            "cluster_name",
            Attribute::required(Type::String)
                .force_new()
                .check(Check::Fn(valid_cluster_name)),
        )
        .attr("capacity_providers", Attribute::optional(Type::string_set()))
        .block("default_capacity_provider_strategy", NestedBlock::set(strategy_block()))
}

/// Terraform's `validateClusterName`: 1 to 255 letters, digits, hyphens and underscores.
fn valid_cluster_name(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    if s.is_empty() || s.chars().count() > 255 {
        return Err(format!("expected a cluster name of 1 to 255 characters, got {s:?}"));
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!(
            "the cluster name must consist of alphanumerics, hyphens, and underscores, got {s:?}"
        ));
    }
    Ok(())
}

fn flatten(id: &str, cl: &Cluster) -> Value {
    complete(
        &block(),
        Value::map([
            ("id", Value::string(id)),
            ("cluster_name", Value::opt_string(cl.cluster_name())),
            ("capacity_providers", Value::string_set(cl.capacity_providers())),
            (
                "default_capacity_provider_strategy",
                flatten_strategy(cl.default_capacity_provider_strategy()),
            ),
        ]),
    )
}

/// The cluster of an ID (name or ARN) among those described.
fn cluster_for<'a>(found: &'a [Cluster], id: &str) -> Option<&'a Cluster> {
    found
        .iter()
        .find(|cl| cl.cluster_name() == Some(id) || cl.cluster_arn() == Some(id))
}

async fn read_ids(c: &AwsClient, priors: &[Value]) -> Result<Vec<Option<Value>>> {
    let found = describe(c, &keys_of(priors, "id")).await?;
    priors
        .iter()
        .map(|p| {
            let id = id_of(p)?;
            Ok(cluster_for(&found, &id).map(|cl| flatten(&id, cl)))
        })
        .collect()
}

async fn read_one(c: &AwsClient, id: &str) -> Result<Option<Value>> {
    let found = describe(c, &[id.to_string()]).await?;
    Ok(cluster_for(&found, id).map(|cl| flatten(id, cl)))
}

/// Codes (with a message, when the code alone says too little) on which Terraform retries the put: the
/// cluster is still being created or is busy with another update.
fn busy(e: &ProviderError) -> bool {
    match code_of(e) {
        "ResourceInUseException" | "UpdateInProgressException" => true,
        "ClientException" => e.message.contains("Cluster was not ACTIVE"),
        _ => false,
    }
}

/// `PutClusterCapacityProviders` with both lists (the API requires both; empty clears), retried while the
/// cluster is busy, then a wait until the cluster is `ACTIVE`.
async fn put(c: &AwsClient, ctx: &OpContext, cluster: &str, providers: Vec<String>, planned: &Value) -> Result<()> {
    let strategy = strategy_items(planned.get_list("default_capacity_provider_strategy"))?;
    wait_for(ctx, "cluster capacity providers", || {
        let (providers, strategy) = (providers.clone(), strategy.clone());
        async move {
            match c
                .ecs()
                .put_cluster_capacity_providers()
                .cluster(cluster)
                .set_capacity_providers(Some(providers))
                .set_default_capacity_provider_strategy(Some(strategy))
                .send()
                .await
            {
                Ok(_) => Ok(Poll::Ready(())),
                Err(e) => {
                    let e = aws_err(format!("putting the capacity providers of ECS cluster {cluster}"))(e);
                    if busy(&e) {
                        Ok(Poll::Pending(e.to_string()))
                    } else {
                        Err(e)
                    }
                }
            }
        }
    })
    .await?;
    wait_for(ctx, "cluster active", || async {
        Ok(
            match describe(c, &[cluster.to_string()])
                .await?
                .first()
                .and_then(|cl| cl.status())
            {
                Some("ACTIVE") => Poll::Ready(()),
                Some(s) => Poll::Pending(s.to_string()),
                None => Poll::Pending("not visible".into()),
            },
        )
    })
    .await
}

async fn put_planned(c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
    let cluster =
        str_attr(planned, "cluster_name").ok_or_else(|| ProviderError::invalid("cluster_name is required"))?;
    put(c, ctx, &cluster, planned.get_strings("capacity_providers"), planned).await?;
    read_one(c, &cluster)
        .await?
        .ok_or_else(|| ProviderError::not_found(format!("ECS cluster {cluster} not found")))
}

/// Whether a read object holds what `planned` asks for (both lists, as sets).
fn holds(found: &Value, planned: &Value) -> bool {
    let mut want = planned.get_strings("capacity_providers");
    let mut have = found.get_strings("capacity_providers");
    want.sort();
    have.sort();
    let strategy = |v: &Value| {
        let mut items = v.get_list("default_capacity_provider_strategy").to_vec();
        items.sort();
        items
    };
    want == have && strategy(found) == strategy(planned)
}

#[async_trait]
impl ResourceType<AwsClient> for EcsClusterCapacityProviders {
    fn name(&self) -> &'static str {
        "aws_ecs_cluster_capacity_providers"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_ids(c, priors).await {
            Ok(found) => found.into_iter().map(Ok).collect(),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        put_planned(c, ctx, planned).await
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, _prior: &Value, planned: &Value) -> Result<Value> {
        put_planned(c, ctx, planned).await
    }

    /// Empty lists: the cluster keeps no capacity provider and no default strategy. A cluster that is gone
    /// has none left either.
    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        match put(c, ctx, &id, Vec::new(), &Value::empty_map()).await {
            Err(e) if code_of(&e) == "ClusterNotFoundException" => Ok(()),
            other => other,
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_one(c, id).await
    }

    /// The put is idempotent and leaves no mark of its own: a cluster that already holds the planned lists
    /// is what the interrupted create wrote (or the same), and is adopted; otherwise the create runs again.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(cluster) = str_attr(planned, "cluster_name") else {
            return Ok(None);
        };
        Ok(read_one(c, &cluster).await?.filter(|found| holds(found, planned)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_as_terraform_checks_them() {
        let (longest, too_long) = ("a".repeat(255), "a".repeat(256));
        for ok in ["stage", "my_cluster-2", longest.as_str()] {
            assert!(valid_cluster_name(&Value::from(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "arn:aws:ecs:us-east-1:1:cluster/stage",
            "with space",
            too_long.as_str(),
        ] {
            assert!(valid_cluster_name(&Value::from(bad)).is_err(), "{bad}");
        }
    }
}
