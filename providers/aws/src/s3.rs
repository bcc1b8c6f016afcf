//! S3 helpers shared by the bucket types: bucket tags (`GetBucketTagging`/`PutBucketTagging`, "no tag
//! set" read as no tags), the error codes that mean a bucket or one of its configurations is absent, and
//! the wait for a configuration change to be visible (S3 configuration reads lag behind writes).
//!
//! S3 has no batch read of bucket configurations: each aspect (versioning, lifecycle, public access
//! block) is one call per bucket. Bucket existence and tags do batch (`ListBuckets`, and the Resource
//! Groups Tagging API, see [`crate::tagging`]).

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use aws_sdk_s3::types::{Tag, Tagging};
use infra_provider::{OpContext, Poll, ProviderError, Result, wait_for};
use std::collections::BTreeMap;
use std::future::Future;

/// True when an S3 error says the bucket itself does not exist.
pub fn is_no_bucket(e: &ProviderError) -> bool {
    matches!(code_of(e), "NoSuchBucket" | "NotFound")
}

/// The ARN of a bucket.
pub fn bucket_arn(c: &AwsClient, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", c.partition())
}

/// The tags of a bucket (empty when it has none).
pub async fn get_tags(c: &AwsClient, bucket: &str) -> Result<Vec<(String, String)>> {
    match c.s3().get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) => {
            let e = aws_err(format!("reading tags of S3 bucket {bucket}"))(e);
            if code_of(&e) == "NoSuchTagSet" {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        }
    }
}

/// Replaces the tags of a bucket (S3 has no per-key tag calls); no tags deletes the tag set.
pub async fn put_tags(c: &AwsClient, bucket: &str, tags: &BTreeMap<String, String>) -> Result<()> {
    if tags.is_empty() {
        c.s3()
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(aws_err(format!("removing tags of S3 bucket {bucket}")))?;
        return Ok(());
    }
    let set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ProviderError::new(format!("building a tag: {e}")))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(|e| ProviderError::new(format!("building a tag set: {e}")))?;
    c.s3()
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(aws_err(format!("tagging S3 bucket {bucket}")))?;
    Ok(())
}

/// Polls `read` until `done` accepts what it returns (S3 configuration writes show up in reads after a
/// moment). `what` names the wait in progress lines and the timeout error.
pub async fn wait_visible<T, F, Fut>(ctx: &OpContext, what: &str, mut read: F, done: impl Fn(&T) -> bool) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    wait_for(ctx, what, || {
        let fut = read();
        let done = &done;
        async move {
            let v = fut.await?;
            Ok(if done(&v) {
                Poll::Ready(v)
            } else {
                Poll::Pending("not visible yet".into())
            })
        }
    })
    .await
}
