//! Tags of many resources at once: [`tags_by_arn`] asks the Resource Groups Tagging API `GetResources`
//! for up to 100 ARNs per call, so that a batched refresh of types whose own API returns no tags (ECR
//! repositories, S3 buckets) does not cost one tag call per resource.
//!
//! `GetResources` only answers for resources that have (or once had) tags, and its answers may lag a
//! moment behind a tag change, so:
//! - it serves refreshes only; a read right after a create or update uses the service's own tag call;
//! - an ARN missing from its answer is not "untagged": the caller reads that resource's tags with the
//!   service's own call (one call for that resource only).

use crate::client::AwsClient;
use crate::errors::aws_err;
use infra_provider::Result;
use std::collections::{HashMap, HashSet};

/// Most ARNs one `GetResources` call takes.
pub const ARNS_PER_CALL: usize = 100;

/// The tags of the resources in `arns` that the Tagging API knows, by ARN. ARNs it does not answer for
/// are absent from the map (see the module documentation).
pub async fn tags_by_arn(c: &AwsClient, arns: &[String]) -> Result<HashMap<String, Vec<(String, String)>>> {
    let wanted: HashSet<&str> = arns.iter().map(String::as_str).collect();
    let mut out = HashMap::new();
    for chunk in arns.chunks(ARNS_PER_CALL) {
        let mut token: Option<String> = None;
        loop {
            let page = c
                .tagging()
                .get_resources()
                .set_resource_arn_list(Some(chunk.to_vec()))
                .set_pagination_token(token.take())
                .send()
                .await
                .map_err(aws_err("reading tags with the Resource Groups Tagging API"))?;
            for m in page.resource_tag_mapping_list() {
                let Some(arn) = m.resource_arn().filter(|a| wanted.contains(a)) else {
                    continue;
                };
                let tags = m
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
                out.insert(arn.to_string(), tags);
            }
            // With an ARN list the API answers in one page; follow a token only if one comes anyway.
            match page.pagination_token().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
    }
    Ok(out)
}
