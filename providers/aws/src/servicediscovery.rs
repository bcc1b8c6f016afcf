//! Cloud Map helpers shared by `aws_service_discovery_private_dns_namespace` and
//! `aws_service_discovery_service`: waiting for an asynchronous operation (`GetOperation` until
//! `SUCCESS`), tags from/to the API's form, tag updates, and the tags of many resources (one
//! `ListTagsForResource` per resource, several in flight: Cloud Map has no call for the tags of many).

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::TagChanges;
use aws_sdk_servicediscovery::types::{OperationStatus, OperationTargetType, Tag};
use infra_provider::{OpContext, Poll, ProviderError, Result, wait_for};
use std::collections::{BTreeMap, HashMap};

/// Cloud Map tags from a map.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
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

/// The tags of one resource.
pub async fn list_tags(c: &AwsClient, arn: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .servicediscovery()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading tags of {arn}")))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

type Pairs = Vec<(String, String)>;

/// The tags of these resources, by ARN (a few calls in flight).
pub async fn tags_of(c: &AwsClient, arns: &[String]) -> Result<HashMap<String, Pairs>> {
    use futures::StreamExt;
    let got: Vec<(String, Result<Pairs>)> = futures::stream::iter(arns.iter().cloned())
        .map(|arn| async move {
            let t = list_tags(c, &arn).await;
            (arn, t)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut out = HashMap::new();
    for (arn, t) in got {
        match t {
            Ok(t) => {
                out.insert(arn, t);
            }
            // Deleted between the listing and the tag call: the caller reports it with no tags.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Applies tag changes to one resource.
pub async fn update_tags(c: &AwsClient, arn: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.servicediscovery()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.servicediscovery()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(&ch.set)?))
            .send()
            .await
            .map_err(aws_err(format!("tagging {arn}")))?;
    }
    Ok(())
}

/// Waits until an operation succeeded; returns its targets (`NAMESPACE` → namespace ID...). A failed
/// operation is an error with Cloud Map's message.
pub async fn wait_operation(
    c: &AwsClient,
    ctx: &OpContext,
    operation_id: &str,
) -> Result<HashMap<OperationTargetType, String>> {
    wait_for(ctx, "Cloud Map operation", || async {
        let out = c
            .servicediscovery()
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await
            .map_err(aws_err(format!("reading Cloud Map operation {operation_id}")))?;
        let Some(op) = out.operation() else {
            return Ok(Poll::Pending("not visible yet".into()));
        };
        match op.status() {
            Some(OperationStatus::Success) => Ok(Poll::Ready(op.targets().cloned().unwrap_or_default())),
            Some(OperationStatus::Fail) => Err(ProviderError::api(
                op.error_code().unwrap_or("OperationFailed"),
                format!(
                    "Cloud Map operation {operation_id} failed: {}",
                    op.error_message().unwrap_or("no message")
                ),
            )),
            other => Ok(Poll::Pending(
                other
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "SUBMITTED".into()),
            )),
        }
    })
    .await
}
