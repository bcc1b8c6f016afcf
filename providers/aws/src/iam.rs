//! IAM helpers shared by the IAM role types: [`AccountRoles`] is every role of the account as the two
//! listing calls report them (`ListRoles` for descriptions and session durations,
//! `GetAccountAuthorizationDetails` with `Filter=Role` for tags, permissions boundaries, inline and
//! attached policies), so a refresh of any number of roles, role policies and attachments costs a couple
//! of paginated calls instead of several calls per role — made once per refresh for all three types
//! (see [`crate::refresh`]). [`decode_policy`] undoes the URL encoding IAM
//! applies to policy documents.

use crate::client::AwsClient;
use crate::errors::aws_err;
use aws_sdk_iam::types::{EntityType, Role, RoleDetail};
use infra_provider::Result;
use std::collections::HashMap;
use std::sync::Arc;

/// The roles of the account, by name.
#[derive(Default)]
pub struct AccountRoles {
    /// From `GetAccountAuthorizationDetails`: tags, boundary, inline and attached policies.
    pub details: Arc<HashMap<String, RoleDetail>>,
    /// From `ListRoles`: description and maximum session duration.
    pub roles: HashMap<String, Role>,
}

/// Every role's authorization details (`GetAccountAuthorizationDetails`, `Filter=Role`, paginated); once
/// per refresh.
pub async fn role_details(c: &AwsClient) -> Result<Arc<HashMap<String, RoleDetail>>> {
    match crate::refresh::once(c, "iam:role-details", || fetch_role_details(c)).await? {
        Some(shared) => Ok(shared),
        None => Ok(Arc::new(fetch_role_details(c).await?)),
    }
}

async fn fetch_role_details(c: &AwsClient) -> Result<HashMap<String, RoleDetail>> {
    let pages: Vec<_> = c
        .iam()
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .into_paginator()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("reading IAM role details"))?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.role_detail_list.unwrap_or_default())
        .map(|r| (r.role_name().unwrap_or_default().to_string(), r))
        .collect())
}

/// Every role of the account (see [`AccountRoles`]).
pub async fn account_roles(c: &AwsClient) -> Result<AccountRoles> {
    let (details, listed) = futures::future::join(role_details(c), async {
        c.iam()
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(aws_err("listing IAM roles"))
    })
    .await;
    Ok(AccountRoles {
        details: details?,
        roles: listed?.into_iter().map(|r| (r.role_name().to_string(), r)).collect(),
    })
}

/// A policy document as IAM returns it (URL-encoded JSON in most responses), decoded.
pub fn decode_policy(doc: &str) -> String {
    if serde_json::from_str::<serde_json::Value>(doc).is_ok() {
        return doc.to_string();
    }
    percent_decode(doc)
}

/// Decodes `%XX` escapes (and `+` as a space, as form encoding does).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether an IAM error code means the entity is still in use (`DeleteConflict`).
pub fn is_conflict(code: &str) -> bool {
    code == "DeleteConflict"
}

/// IAM tags as pairs.
pub fn tag_pairs(tags: &[aws_sdk_iam::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_decoded() {
        assert_eq!(decode_policy("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(decode_policy("%7B%22a%22%3A%201%7D"), "{\"a\": 1}");
        assert_eq!(percent_decode("a+b%2"), "a b%2");
    }
}
