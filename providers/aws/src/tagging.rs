//! Tags of many resources at once, with the Resource Groups Tagging API, for the types whose own API
//! returns no tags with the object (ECR repositories, log groups, SSM parameters, S3 buckets, ECS task
//! definitions, RDS subnet groups, CloudWatch alarms) — so that a refresh does not cost one tag call per resource.
//!
//! In a refresh, one sweep serves every such type: `GetResources` filtered on this state's
//! `infra:lineage` tag and on the resource types being refreshed, 100 resources per page, made once
//! (see [`crate::refresh`]). Outside a refresh, [`tags_by_arn`] asks for the given ARNs (100 per call).
//!
//! `GetResources` only answers for resources it knows to be tagged, and its answers may lag a moment
//! behind a tag change, so:
//! - it serves refreshes only; a read right after a create or update uses the service's own tag call;
//! - an ARN missing from its answer is not "untagged": the caller reads that resource's tags with the
//!   service's own call (one call for that resource only). Objects imported rather than created by infra
//!   carry no lineage tag and are read that way.

use crate::client::AwsClient;
use crate::errors::aws_err;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use infra_provider::{Result, TAG_LINEAGE};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Most ARNs one `GetResources` call takes, and most resources one page returns.
pub const ARNS_PER_CALL: usize = 100;

/// The types whose refresh takes tags from the sweep, with their `ResourceTypeFilters` entry.
const SWEPT: &[(&str, &str)] = &[
    ("aws_ecr_repository", "ecr:repository"),
    ("aws_cloudwatch_log_group", "logs"),
    ("aws_ssm_parameter", "ssm:parameter"),
    ("aws_s3_bucket", "s3"),
    ("aws_ecs_task_definition", "ecs:task-definition"),
    ("aws_db_subnet_group", "rds:subgrp"),
    ("aws_cloudwatch_metric_alarm", "cloudwatch:alarm"),
];

type Tags = HashMap<String, Vec<(String, String)>>;

/// The tags of the resources in `arns` that the Tagging API knows, by ARN. ARNs it does not answer for
/// are absent from the map (see the module documentation).
pub async fn tags_by_arn(c: &AwsClient, arns: &[String]) -> Result<Tags> {
    if let Some(swept) = sweep(c).await? {
        return Ok(arns
            .iter()
            .filter_map(|a| swept.get(a).map(|t| (a.clone(), t.clone())))
            .collect());
    }
    let wanted: HashSet<&str> = arns.iter().map(String::as_str).collect();
    let mut out = HashMap::new();
    // With an ARN list the API answers in one page and takes no pagination parameters.
    for chunk in arns.chunks(ARNS_PER_CALL) {
        let page = c
            .tagging()
            .get_resources()
            .set_resource_arn_list(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err("reading tags with the Resource Groups Tagging API"))?;
        collect(&mut out, page.resource_tag_mapping_list(), |a| wanted.contains(a));
    }
    Ok(out)
}

/// In a refresh, the tags of every resource of the swept types being refreshed that carries this
/// state's lineage tag, by ARN (one sweep per refresh); `None` outside a refresh.
async fn sweep(c: &AwsClient) -> Result<Option<Arc<Tags>>> {
    let Some(r) = c.refresh() else {
        return Ok(None);
    };
    let types: Vec<String> = SWEPT
        .iter()
        .filter(|(t, _)| r.has_type(t))
        .map(|(_, f)| f.to_string())
        .collect();
    let lineage = r.lineage().to_string();
    crate::refresh::once(c, "tagging:lineage", || async move {
        let mut out = HashMap::new();
        if types.is_empty() {
            return Ok(out);
        }
        let filter = TagFilter::builder().key(TAG_LINEAGE).values(lineage).build();
        let mut pages = c
            .tagging()
            .get_resources()
            .tag_filters(filter)
            .set_resource_type_filters(Some(types))
            .resources_per_page(ARNS_PER_CALL as i32)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(aws_err("reading tags with the Resource Groups Tagging API"))?;
            collect(&mut out, page.resource_tag_mapping_list(), |_| true);
        }
        Ok(out)
    })
    .await
}

fn collect(
    out: &mut Tags,
    mappings: &[aws_sdk_resourcegroupstagging::types::ResourceTagMapping],
    keep: impl Fn(&str) -> bool,
) {
    for m in mappings {
        let Some(arn) = m.resource_arn().filter(|a| keep(a)) else {
            continue;
        };
        let tags = m
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        out.insert(arn.to_string(), tags);
    }
}
