//! `aws_s3_bucket_versioning`: the versioning state of a bucket (`Enabled`, `Suspended`, or `Disabled`
//! for a bucket never versioned). `id` is the bucket name (or `bucket,expected_bucket_owner`). Writing
//! `Disabled` to a bucket that was never versioned does nothing, as in Terraform; deleting the resource
//! suspends versioning (a versioned bucket can never go back to unversioned). After a write the
//! provider waits until `GetBucketVersioning` shows the new status.
//!
//! Reads: one `GetBucketVersioning` per bucket; S3 has no batch form (made concurrently in a refresh).
//! Import ID: the bucket name, or `bucket,expected_bucket_owner`.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::s3::{is_no_bucket, wait_visible};
use crate::values::{complete, id_of, str_attr};
use async_trait::async_trait;
use aws_sdk_s3::types::{BucketVersioningStatus, MfaDelete, VersioningConfiguration};
use infra_provider::{
    Attribute, Block, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type, Value,
};

pub struct S3BucketVersioning;

fn block() -> Block {
    Block::new()
        .id()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("expected_bucket_owner", Attribute::optional(Type::String).force_new())
        .attr("mfa", Attribute::optional(Type::String))
        .block(
            "versioning_configuration",
            NestedBlock::list(
                Block::new()
                    .attr(
                        "status",
                        Attribute::required(Type::String).one_of(&["Enabled", "Suspended", "Disabled"]),
                    )
                    .attr(
                        "mfa_delete",
                        Attribute::optional_computed(Type::String).one_of(&["Enabled", "Disabled"]),
                    ),
            )
            .min(1)
            .max(1),
        )
}

/// The bucket and expected owner in an ID (`bucket` or `bucket,owner`).
fn parse_id(id: &str) -> (String, Option<String>) {
    match id.split_once(',') {
        Some((b, o)) if !o.is_empty() => (b.to_string(), Some(o.to_string())),
        _ => (id.to_string(), None),
    }
}

fn make_id(bucket: &str, owner: Option<&str>) -> String {
    match owner {
        Some(o) => format!("{bucket},{o}"),
        None => bucket.to_string(),
    }
}

/// Status and MFA delete as S3 reports them; `None` when the bucket is gone.
async fn get(c: &AwsClient, bucket: &str, owner: Option<&str>) -> Result<Option<(String, Option<String>)>> {
    match c
        .s3()
        .get_bucket_versioning()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(str::to_string))
        .send()
        .await
    {
        Ok(out) => Ok(Some((
            out.status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "Disabled".to_string()),
            out.mfa_delete().map(|m| m.as_str().to_string()),
        ))),
        Err(e) => {
            let e = aws_err(format!("reading the versioning of S3 bucket {bucket}"))(e);
            if is_no_bucket(&e) { Ok(None) } else { Err(e) }
        }
    }
}

fn flatten(id: &str, status: &str, mfa_delete: Option<String>, prior: &Value) -> Value {
    let (bucket, owner) = parse_id(id);
    let prior_cfg = prior.get_block("versioning_configuration");
    // S3 only reports MFA delete once it was configured; a prior that never set it stays null.
    let mfa_delete = match (mfa_delete, prior_cfg.and_then(|p| p.get_str("mfa_delete"))) {
        (Some(m), _) => Value::string(m),
        (None, Some(_)) => Value::string("Disabled"),
        (None, None) => Value::Null,
    };
    complete(
        &block(),
        Value::map([
            ("id", Value::string(id)),
            ("bucket", Value::string(bucket)),
            ("expected_bucket_owner", Value::opt_string(owner)),
            ("mfa", prior.get("mfa").cloned().unwrap_or_default()),
            (
                "versioning_configuration",
                Value::List(vec![Value::map([
                    ("status", Value::string(status)),
                    ("mfa_delete", mfa_delete),
                ])]),
            ),
        ]),
    )
}

async fn read_id(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let (bucket, owner) = parse_id(id);
    Ok(get(c, &bucket, owner.as_deref())
        .await?
        .map(|(status, mfa)| flatten(id, &status, mfa, prior)))
}

/// Writes the planned status (and MFA delete), then waits until S3 reports the status.
async fn put(c: &AwsClient, ctx: &OpContext, planned: &Value, prior_status: Option<&str>) -> Result<()> {
    let bucket = str_attr(planned, "bucket").ok_or_else(|| ProviderError::invalid("bucket is required"))?;
    let owner = str_attr(planned, "expected_bucket_owner");
    let cfg = planned
        .get_block("versioning_configuration")
        .ok_or_else(|| ProviderError::invalid("versioning_configuration is required"))?;
    let status = cfg.get_str("status").unwrap_or("Enabled").to_string();
    if status == "Disabled" {
        if prior_status.is_some_and(|s| s != "Disabled") {
            return Err(ProviderError::invalid(format!(
                "versioning of S3 bucket {bucket} cannot be Disabled once it was enabled: use Suspended"
            )));
        }
        return Ok(());
    }
    let conf = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::from(status.as_str()))
        .set_mfa_delete(str_attr(cfg, "mfa_delete").map(|m| MfaDelete::from(m.as_str())))
        .build();
    c.s3()
        .put_bucket_versioning()
        .bucket(&bucket)
        .set_expected_bucket_owner(owner.clone())
        .set_mfa(str_attr(planned, "mfa"))
        .versioning_configuration(conf)
        .send()
        .await
        .map_err(aws_err(format!("setting the versioning of S3 bucket {bucket}")))?;
    wait_visible(
        ctx,
        "versioning status visible",
        || get(c, &bucket, owner.as_deref()),
        |got| got.as_ref().is_some_and(|(s, _)| *s == status),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for S3BucketVersioning {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_versioning"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, _c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        let status = req
            .planned
            .get_block("versioning_configuration")
            .and_then(|b| b.get_str("status"));
        if let Some(prior) = req.prior {
            let before = prior
                .get_block("versioning_configuration")
                .and_then(|b| b.get_str("status"));
            if status == Some("Disabled") && before.is_some_and(|b| b != "Disabled") {
                return Err(ProviderError::invalid(
                    "a bucket whose versioning was enabled cannot go back to Disabled: use Suspended",
                ));
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_id(c, &id_of(prior)?, prior).await
    }

    /// No batch form exists: one `GetBucketVersioning` per bucket, made concurrently.
    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for chunk in priors.chunks(16) {
            let reads: Vec<_> = chunk.iter().map(|p| self.read(c, p)).collect();
            out.extend(futures::future::join_all(reads).await);
        }
        out
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        put(c, ctx, planned, None).await?;
        let bucket = str_attr(planned, "bucket").unwrap_or_default();
        let id = make_id(&bucket, planned.get_str("expected_bucket_owner"));
        read_id(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("S3 bucket {bucket} not found")))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let before = prior
            .get_block("versioning_configuration")
            .and_then(|b| b.get_str("status"))
            .map(str::to_string);
        put(c, ctx, planned, before.as_deref()).await?;
        let id = id_of(prior)?;
        read_id(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("S3 bucket of {id} not found")))
    }

    /// Suspends versioning (S3 cannot turn it off); nothing to do for `Disabled` or a gone bucket.
    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let (bucket, owner) = parse_id(&id_of(prior)?);
        let status = prior
            .get_block("versioning_configuration")
            .and_then(|b| b.get_str("status"));
        if status == Some("Disabled") {
            return Ok(());
        }
        let conf = VersioningConfiguration::builder()
            .status(BucketVersioningStatus::Suspended)
            .build();
        match c
            .s3()
            .put_bucket_versioning()
            .bucket(&bucket)
            .set_expected_bucket_owner(owner)
            .versioning_configuration(conf)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("suspending the versioning of S3 bucket {bucket}"))(e);
                if is_no_bucket(&e) { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_id(c, id, &Value::map([("id", Value::string(id))])).await
    }

    /// Writing a status is idempotent: what an interrupted create did is simply the bucket's state,
    /// adopted when it already shows the planned status.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(bucket) = str_attr(planned, "bucket") else {
            return Ok(None);
        };
        let id = make_id(&bucket, planned.get_str("expected_bucket_owner"));
        let want = planned
            .get_block("versioning_configuration")
            .and_then(|b| b.get_str("status"))
            .unwrap_or("Enabled")
            .to_string();
        match read_id(c, &id, planned).await? {
            Some(v)
                if v.get_block("versioning_configuration")
                    .and_then(|b| b.get_str("status"))
                    == Some(&want)
                    && want != "Disabled" =>
            {
                Ok(Some(v))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_the_expected_owner() {
        assert_eq!(parse_id("b"), ("b".to_string(), None));
        assert_eq!(
            parse_id("b,123456789012"),
            ("b".to_string(), Some("123456789012".to_string()))
        );
        assert_eq!(make_id("b", Some("1")), "b,1");
    }
}
