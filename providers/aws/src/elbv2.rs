//! Elastic Load Balancing v2 helpers shared by `aws_lb`, `aws_lb_target_group` and `aws_lb_listener`:
//!
//! - [`describe_tags`] — `DescribeTags` for many ARNs at once (20 per call, the API's limit), so a refresh
//!   of N objects costs N/20 tag calls; [`tags_of`] makes one such call for all three types of a refresh;
//! - [`describe_chunked`] — runs a describe call on chunks of ARNs; the ELBv2 describe calls fail as a whole
//!   (`LoadBalancerNotFound`, `TargetGroupNotFound`, `ListenerNotFound`) when one ARN of the list is gone,
//!   so a failing chunk is split in halves until the missing ARNs are isolated (k missing objects cost
//!   about k·log₂(20) extra calls, nothing when none is missing);
//! - [`update_tags`] — `AddTags`/`RemoveTags`;
//! - [`arn_suffix`] — the `arn_suffix` attribute (the part CloudWatch metrics use).

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::TagChanges;
use aws_sdk_elasticloadbalancingv2::types::Tag;
use infra_provider::{ProviderError, Result};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;

/// The most ARNs one `DescribeTags` call takes.
pub const TAGS_BATCH: usize = 20;
/// The most ARNs one `DescribeLoadBalancers`/`DescribeTargetGroups`/`DescribeListeners` call is given here.
pub const DESCRIBE_BATCH: usize = 20;

/// ELBv2 tags from a map.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Where a refresh finds the ARNs whose tags [`tags_of`] reads in one go.
const TAG_SOURCES: &[(&str, &str)] = &[
    ("aws_lb", "arn"),
    ("aws_lb_target_group", "arn"),
    ("aws_lb_listener", "arn"),
    ("aws_alb", "arn"),
    ("aws_alb_target_group", "arn"),
    ("aws_alb_listener", "arn"),
];

/// The tags of these (existing) load balancers, target groups or listeners: in a refresh from one
/// `DescribeTags` for the stored ARNs of all three types (see [`crate::refresh`]), the rest with a call of
/// their own. `DescribeTags` fails as a whole when one ARN is gone; then each type asks for its own.
pub async fn tags_of(c: &AwsClient, arns: &[String]) -> Result<HashMap<String, Vec<(String, String)>>> {
    let shared = crate::refresh::shared(c, "elbv2:tags", TAG_SOURCES, |all| async move {
        match describe_tags(c, &all).await {
            Err(e) if e.is_not_found() => Ok(HashMap::new()),
            other => other,
        }
    })
    .await?;
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    for arn in arns {
        match shared.as_ref().and_then(|s| s.get(arn)) {
            Some(t) => {
                out.insert(arn.clone(), t.clone());
            }
            None => missing.push(arn.clone()),
        }
    }
    if !missing.is_empty() {
        out.extend(describe_tags(c, &missing).await?);
    }
    Ok(out)
}

/// The tags of many resources: ARN → pairs. ARNs that are not found are left out.
pub async fn describe_tags(c: &AwsClient, arns: &[String]) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(TAGS_BATCH) {
        let got = c
            .elbv2()
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err("reading Elastic Load Balancing tags"))?;
        for d in got.tag_descriptions() {
            let pairs = d
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            out.insert(d.resource_arn().unwrap_or_default().to_string(), pairs);
        }
    }
    Ok(out)
}

/// A describe call over a chunk of ARNs.
pub type DescribeFn<'a, T> =
    dyn Fn(Vec<String>) -> Pin<Box<dyn Future<Output = Result<Vec<T>>> + Send + 'a>> + Sync + 'a;

/// Runs `call` on chunks of `arns`; a chunk failing with a not-found error is split in halves until the
/// missing ARNs are isolated (and left out). Other errors fail the whole read.
pub async fn describe_chunked<'a, T: Send>(arns: &[String], call: &DescribeFn<'a, T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut todo: Vec<Vec<String>> = arns.chunks(DESCRIBE_BATCH).map(<[String]>::to_vec).collect();
    while let Some(chunk) = todo.pop() {
        if chunk.is_empty() {
            continue;
        }
        match call(chunk.clone()).await {
            Ok(items) => out.extend(items),
            Err(e) if e.is_not_found() => {
                if chunk.len() > 1 {
                    let (a, b) = chunk.split_at(chunk.len() / 2);
                    todo.push(a.to_vec());
                    todo.push(b.to_vec());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Applies tag changes to one ELBv2 resource.
pub async fn update_tags(c: &AwsClient, arn: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.elbv2()
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.elbv2()
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(tag_list(&ch.set)))
            .send()
            .await
            .map_err(aws_err(format!("tagging {arn}")))?;
    }
    Ok(())
}

/// The `arn_suffix` of a load balancer or target group ARN: what follows `:loadbalancer/` (`app/name/id`)
/// or the `targetgroup/name/id` part.
pub fn arn_suffix(arn: &str) -> Option<String> {
    if let Some((_, rest)) = arn.split_once(":loadbalancer/") {
        return Some(rest.to_string());
    }
    arn.split_once(":targetgroup/")
        .map(|(_, rest)| format!("targetgroup/{rest}"))
}

/// True when both ownership tags match the operation.
pub fn owned(tags: &[(String, String)], ctx: &infra_provider::OpContext) -> bool {
    let m: BTreeMap<&str, &str> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    m.get(infra_provider::TAG_ADDRESS) == Some(&ctx.address.as_str())
        && m.get(infra_provider::TAG_LINEAGE) == Some(&ctx.lineage.as_str())
}

/// An attribute list as a map.
pub fn attr_map<'a>(pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>) -> HashMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// An error for a create call that returned no object.
pub fn missing(what: &str) -> ProviderError {
    ProviderError::new(format!("{what} returned nothing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_suffixes() {
        assert_eq!(
            arn_suffix("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/50dc6c495c0c9188").as_deref(),
            Some("app/web/50dc6c495c0c9188")
        );
        assert_eq!(
            arn_suffix("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/73e2d6bc24d8a067").as_deref(),
            Some("targetgroup/tg/73e2d6bc24d8a067")
        );
    }

    #[tokio::test]
    async fn missing_arns_are_isolated() {
        let arns: Vec<String> = (0..7).map(|i| format!("a{i}")).collect();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let call = |chunk: Vec<String>| -> Pin<Box<dyn Future<Output = Result<Vec<String>>> + Send + '_>> {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Box::pin(async move {
                if chunk.iter().any(|a| a == "a3") {
                    Err(ProviderError::not_found("gone"))
                } else {
                    Ok(chunk)
                }
            })
        };
        let mut got = describe_chunked(&arns, &call).await.unwrap();
        got.sort();
        assert_eq!(got, vec!["a0", "a1", "a2", "a4", "a5", "a6"]);
        assert!(calls.load(std::sync::atomic::Ordering::Relaxed) <= 7);
    }
}
