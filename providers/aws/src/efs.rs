//! EFS helpers shared by the file system, mount target and access point types: tags (EFS tags file
//! systems and access points by ID with `TagResource`/`UntagResource`), the file system ARN, and the
//! "already gone" test for deletes.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::TagChanges;
use aws_sdk_efs::types::Tag;
use infra_provider::{ProviderError, Result};
use std::collections::BTreeMap;

/// EFS tags as pairs.
pub fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// A tag list for a create call.
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

/// Applies tag changes to a file system or access point (by ID).
pub async fn update_tags(c: &AwsClient, id: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.efs()
            .untag_resource()
            .resource_id(id)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {id}")))?;
    }
    if !ch.set.is_empty() {
        c.efs()
            .tag_resource()
            .resource_id(id)
            .set_tags(Some(tag_list(&ch.set)?))
            .send()
            .await
            .map_err(aws_err(format!("tagging {id}")))?;
    }
    Ok(())
}

/// The ARN of a file system (for mount targets and access points, whose API does not return it).
pub async fn file_system_arn(c: &AwsClient, fs_id: &str, owner: Option<&str>) -> Result<String> {
    let account = match owner {
        Some(o) if !o.is_empty() => o.to_string(),
        _ => c.account_id().await?,
    };
    Ok(c.arn("elasticfilesystem", &account, &format!("file-system/{fs_id}")))
}

/// The regional DNS name of a file system (`fs-1234.efs.us-east-1.amazonaws.com`).
pub fn dns_name(c: &AwsClient, fs_id: &str) -> String {
    let suffix = if c.partition() == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("{fs_id}.efs.{}.{suffix}", c.region())
}
