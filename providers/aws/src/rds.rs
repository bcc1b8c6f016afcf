//! RDS helpers shared by the database types: tag lists in both directions, `ListTagsForResource` for the
//! objects whose describe calls return no tags (subnet and parameter groups), tag updates with
//! `AddTagsToResource`/`RemoveTagsFromResource`, and ownership checks for adopting an interrupted create.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::TagChanges;
use aws_sdk_rds::types::Tag;
use infra_provider::{OpContext, Result, TAG_ADDRESS, TAG_LINEAGE};
use std::collections::BTreeMap;

/// RDS tags from a map.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// RDS tags as pairs.
pub fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The tags of one RDS object (`ListTagsForResource`).
pub async fn list_tags(c: &AwsClient, arn: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .rds()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading the tags of {arn}")))?;
    Ok(tag_pairs(out.tag_list()))
}

/// True when `tags` hold this operation's ownership tags.
pub fn owned_by(ctx: &OpContext, tags: &[(String, String)]) -> bool {
    let get = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    get(TAG_ADDRESS) == Some(ctx.address.as_str()) && get(TAG_LINEAGE) == Some(ctx.lineage.as_str())
}

/// Applies tag changes to one RDS object.
pub async fn update_tags(c: &AwsClient, arn: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.rds()
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {arn}")))?;
    }
    if !ch.set.is_empty() {
        c.rds()
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(tag_list(&ch.set)))
            .send()
            .await
            .map_err(aws_err(format!("tagging {arn}")))?;
    }
    Ok(())
}
