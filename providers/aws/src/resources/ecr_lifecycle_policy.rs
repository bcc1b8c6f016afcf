//! `aws_ecr_lifecycle_policy`: the lifecycle policy (a JSON document) of an ECR repository. `id` is the
//! repository name. A policy change is written in place with `PutLifecyclePolicy`; the policy is
//! compared by JSON meaning, and the text ECR returns is replaced by the prior text when both mean the
//! same, so a reformatted policy shows no change.
//!
//! Reads: one `GetLifecyclePolicy` per repository; ECR has no batch form (made concurrently in a
//! refresh). Import ID: the repository name.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::values::{complete, id_of, keep_json_text, str_attr};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, Invalid, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};

pub struct EcrLifecyclePolicy;

fn block() -> Block {
    Block::new()
        .id()
        .attr("repository", Attribute::required(Type::String).force_new())
        .attr("policy", Attribute::required(Type::String).json())
        .attr("registry_id", Attribute::computed(Type::String))
}

/// True for the codes that mean the repository or its policy is gone.
fn is_gone(code: &str) -> bool {
    matches!(code, "LifecyclePolicyNotFoundException" | "RepositoryNotFoundException")
}

async fn read_repo(c: &AwsClient, repo: &str, prior: &Value) -> Result<Option<Value>> {
    match c.ecr().get_lifecycle_policy().repository_name(repo).send().await {
        Ok(out) => Ok(Some(complete(
            &block(),
            Value::map([
                ("id", Value::string(repo)),
                ("repository", Value::opt_string(out.repository_name().or(Some(repo)))),
                (
                    "policy",
                    keep_json_text(prior.get_str("policy"), out.lifecycle_policy_text()),
                ),
                ("registry_id", Value::opt_string(out.registry_id())),
            ]),
        ))),
        Err(e) => {
            let e = aws_err(format!("reading the lifecycle policy of ECR repository {repo}"))(e);
            if is_gone(code_of(&e)) { Ok(None) } else { Err(e) }
        }
    }
}

async fn put(c: &AwsClient, planned: &Value) -> Result<String> {
    let repo = str_attr(planned, "repository").ok_or_else(|| ProviderError::invalid("repository is required"))?;
    let policy = str_attr(planned, "policy").ok_or_else(|| ProviderError::invalid("policy is required"))?;
    c.ecr()
        .put_lifecycle_policy()
        .repository_name(&repo)
        .lifecycle_policy_text(policy)
        .send()
        .await
        .map_err(aws_err(format!(
            "setting the lifecycle policy of ECR repository {repo}"
        )))?;
    Ok(repo)
}

fn same_json(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            match (
                serde_json::from_str::<serde_json::Value>(a),
                serde_json::from_str::<serde_json::Value>(b),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => a == b,
            }
        }
        _ => false,
    }
}

#[async_trait]
impl ResourceType<AwsClient> for EcrLifecyclePolicy {
    fn name(&self) -> &'static str {
        "aws_ecr_lifecycle_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        match config.get_str("policy") {
            Some(p) if serde_json::from_str::<serde_json::Value>(p).is_err() => {
                vec![Invalid::at("policy", "policy is not a valid JSON document")]
            }
            _ => Vec::new(),
        }
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_repo(c, &id_of(prior)?, prior).await
    }

    /// No batch form exists: one `GetLifecyclePolicy` per repository, made concurrently.
    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for chunk in priors.chunks(16) {
            let reads: Vec<_> = chunk.iter().map(|p| self.read(c, p)).collect();
            out.extend(futures::future::join_all(reads).await);
        }
        out
    }

    async fn create(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let repo = put(c, planned).await?;
        read_repo(c, &repo, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("lifecycle policy of ECR repository {repo} not found")))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, _prior: &Value, planned: &Value) -> Result<Value> {
        let repo = put(c, planned).await?;
        read_repo(c, &repo, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("lifecycle policy of ECR repository {repo} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let repo = id_of(prior)?;
        match c
            .ecr()
            .delete_lifecycle_policy()
            .repository_name(&repo)
            .set_registry_id(str_attr(prior, "registry_id"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting the lifecycle policy of ECR repository {repo}"))(e);
                if is_gone(code_of(&e)) { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_repo(c, id, &Value::map([("id", Value::string(id))])).await
    }

    /// The put is idempotent: a repository already holding the planned policy (by JSON meaning) is what
    /// the interrupted create wrote, and is adopted.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(repo) = str_attr(planned, "repository") else {
            return Ok(None);
        };
        match read_repo(c, &repo, planned).await? {
            Some(v) if same_json(v.get_str("policy"), planned.get_str("policy")) => Ok(Some(v)),
            _ => Ok(None),
        }
    }
}
