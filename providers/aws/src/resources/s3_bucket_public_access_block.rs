//! `aws_s3_bucket_public_access_block`: the four public access switches of a bucket. `id` is the bucket
//! name. Changes are written in place with `PutPublicAccessBlock` (all four at once), then the provider
//! waits until `GetPublicAccessBlock` shows them (S3 reads lag a moment behind writes).
//!
//! Reads: one `GetPublicAccessBlock` per bucket; S3 has no batch form (made concurrently in a refresh).
//! Import ID: the bucket name.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::s3::{is_no_bucket, wait_visible};
use crate::values::{complete, id_of, str_attr};
use async_trait::async_trait;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use infra_provider::{Attribute, Block, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};

pub struct S3BucketPublicAccessBlock;

const FLAGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

fn block() -> Block {
    let mut b = Block::new()
        .id()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("skip_destroy", Attribute::optional(Type::Bool));
    for f in FLAGS {
        b = b.attr(f, Attribute::optional(Type::Bool).default(false));
    }
    b
}

/// The four flags S3 has for a bucket; `None` when the bucket or its block is gone.
async fn get(c: &AwsClient, bucket: &str) -> Result<Option<[bool; 4]>> {
    match c.s3().get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            let p = out.public_access_block_configuration();
            Ok(Some([
                p.and_then(|p| p.block_public_acls()).unwrap_or(false),
                p.and_then(|p| p.block_public_policy()).unwrap_or(false),
                p.and_then(|p| p.ignore_public_acls()).unwrap_or(false),
                p.and_then(|p| p.restrict_public_buckets()).unwrap_or(false),
            ]))
        }
        Err(e) => {
            let e = aws_err(format!("reading the public access block of S3 bucket {bucket}"))(e);
            if is_no_bucket(&e) || code_of(&e) == "NoSuchPublicAccessBlockConfiguration" {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

fn flags_of(v: &Value) -> [bool; 4] {
    FLAGS.map(|f| v.get_bool(f).unwrap_or(false))
}

fn flatten(bucket: &str, flags: [bool; 4], prior: &Value) -> Value {
    let mut obj = Value::map([
        ("id", Value::string(bucket)),
        ("bucket", Value::string(bucket)),
        ("skip_destroy", prior.get("skip_destroy").cloned().unwrap_or_default()),
    ]);
    for (f, on) in FLAGS.iter().zip(flags) {
        obj.set_attr(f, Value::Bool(on));
    }
    complete(&block(), obj)
}

async fn read_bucket(c: &AwsClient, bucket: &str, prior: &Value) -> Result<Option<Value>> {
    Ok(get(c, bucket).await?.map(|f| flatten(bucket, f, prior)))
}

async fn put(c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<String> {
    let bucket = str_attr(planned, "bucket").ok_or_else(|| ProviderError::invalid("bucket is required"))?;
    let want = flags_of(planned);
    let conf = PublicAccessBlockConfiguration::builder()
        .block_public_acls(want[0])
        .block_public_policy(want[1])
        .ignore_public_acls(want[2])
        .restrict_public_buckets(want[3])
        .build();
    c.s3()
        .put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(conf)
        .send()
        .await
        .map_err(aws_err(format!(
            "setting the public access block of S3 bucket {bucket}"
        )))?;
    wait_visible(
        ctx,
        "public access block visible",
        || get(c, &bucket),
        |got| *got == Some(want),
    )
    .await?;
    Ok(bucket)
}

#[async_trait]
impl ResourceType<AwsClient> for S3BucketPublicAccessBlock {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_public_access_block"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_bucket(c, &id_of(prior)?, prior).await
    }

    /// No batch form exists: one `GetPublicAccessBlock` per bucket, made concurrently.
    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for chunk in priors.chunks(16) {
            let reads: Vec<_> = chunk.iter().map(|p| self.read(c, p)).collect();
            out.extend(futures::future::join_all(reads).await);
        }
        out
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let bucket = put(c, ctx, planned).await?;
        read_bucket(c, &bucket, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("S3 bucket {bucket} not found")))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, _prior: &Value, planned: &Value) -> Result<Value> {
        let bucket = put(c, ctx, planned).await?;
        read_bucket(c, &bucket, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("S3 bucket {bucket} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        if prior.get_bool("skip_destroy") == Some(true) {
            return Ok(());
        }
        let bucket = id_of(prior)?;
        match c.s3().delete_public_access_block().bucket(&bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting the public access block of S3 bucket {bucket}"))(e);
                if is_no_bucket(&e) || code_of(&e) == "NoSuchPublicAccessBlockConfiguration" {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The write is idempotent: a block that already holds the planned flags is what the interrupted
    /// create wrote (or equivalent to it), and is adopted.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(bucket) = str_attr(planned, "bucket") else {
            return Ok(None);
        };
        match get(c, &bucket).await? {
            Some(f) if f == flags_of(planned) => Ok(Some(flatten(&bucket, f, planned))),
            _ => Ok(None),
        }
    }
}
