//! EC2 helpers shared by the VPC networking types: filters (batched reads filter on many IDs at once,
//! which returns only what exists instead of failing the whole call on one missing ID), tag
//! specifications (tags set atomically with the create, so an interrupted create is always findable by
//! its ownership tags), tag updates with `CreateTags`/`DeleteTags`, waits on "still in use" errors, and
//! the describe calls several types share in a refresh (route tables, security groups and their rules,
//! see [`crate::refresh`]).

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::TagChanges;
use aws_sdk_ec2::types::{Filter, ResourceType, RouteTable, SecurityGroup, SecurityGroupRule, Tag, TagSpecification};
use infra_provider::{OpContext, Result, TAG_ADDRESS, TAG_LINEAGE};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most values one EC2 filter takes.
pub const FILTER_VALUES_MAX: usize = 200;

/// A `Name=..., Values=[...]` filter.
pub fn filter<S: Into<String>>(name: &str, values: impl IntoIterator<Item = S>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// Filters matching the ownership tags of an operation: what an interrupted create of it made.
pub fn ownership_filters(ctx: &OpContext) -> Vec<Filter> {
    vec![
        filter(&format!("tag:{TAG_ADDRESS}"), [literal_filter_value(&ctx.address)]),
        filter(&format!("tag:{TAG_LINEAGE}"), [literal_filter_value(&ctx.lineage)]),
    ]
}

/// A filter value matching `s` literally. EC2 filter values treat `*` and `?` as wildcards (escaped with
/// `\`); moto also reads `[...]` as a character class, as in shell globs, which EC2 does not. An address
/// such as `aws_subnet.private[0]` has brackets, so each bracket is matched by `?` (any one character).
/// Another address of the same lineage matches too only if it differs from this one just there (a resource
/// named `private_0_` next to `private[0]`), which real configurations do not have.
pub fn literal_filter_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for ch in s.chars() {
        match ch {
            '*' | '?' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '[' | ']' => out.push('?'),
            _ => out.push(ch),
        }
    }
    out
}

/// A tag specification for a create call.
pub fn tag_spec(rt: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

/// EC2 tags as pairs.
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

/// Applies tag changes to one EC2 resource with `CreateTags` and `DeleteTags`.
pub async fn update_tags(client: &AwsClient, id: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        client
            .ec2()
            .delete_tags()
            .resources(id)
            .set_tags(Some(ch.remove.iter().map(|k| Tag::builder().key(k).build()).collect()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of {id}")))?;
    }
    if !ch.set.is_empty() {
        client
            .ec2()
            .create_tags()
            .resources(id)
            .set_tags(Some(
                ch.set
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(aws_err(format!("tagging {id}")))?;
    }
    Ok(())
}

/// Runs a delete call until it stops failing with `DependencyViolation` (something still uses the object,
/// e.g. an ENI being released) or the operation times out; a not-found error counts as deleted.
pub async fn delete_retrying<F, Fut>(ctx: &OpContext, what: &str, call: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    crate::errors::delete_retrying(ctx, what, &["DependencyViolation"], call).await
}

/// The tags of an EC2 object as a map.
pub fn tags_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tag_pairs(tags).into_iter().collect()
}

/// IP protocol names Terraform knows, with their numbers.
const PROTOCOLS: &[(&str, &str)] = &[
    ("icmp", "1"),
    ("tcp", "6"),
    ("udp", "17"),
    ("esp", "50"),
    ("ah", "51"),
    ("icmpv6", "58"),
    ("vrrp", "112"),
];

/// A security group rule protocol as Terraform stores it: `-1` for all, the lower-case name when the
/// protocol has one (`6` → `tcp`), else the number.
pub fn normalize_protocol(p: &str) -> String {
    let p = p.trim().to_ascii_lowercase();
    if p == "all" || p == "-1" {
        return "-1".into();
    }
    if let Some((name, _)) = PROTOCOLS.iter().find(|(name, num)| *name == p || *num == p) {
        return name.to_string();
    }
    p
}

/// A protocol as the EC2 API takes it: `-1`, `tcp`, `udp`, `icmp`, `icmpv6`, or a number.
pub fn api_protocol(p: &str) -> String {
    let n = normalize_protocol(p);
    match n.as_str() {
        "-1" | "tcp" | "udp" | "icmp" | "icmpv6" => n,
        other => PROTOCOLS
            .iter()
            .find(|(name, _)| *name == other)
            .map(|(_, num)| num.to_string())
            .unwrap_or(n),
    }
}

/// Runs a paginated EC2 describe call once per [`FILTER_VALUES_MAX`] IDs, filtering on `filter_name`.
macro_rules! describe_by {
    ($c:expr, $op:ident, $filter_name:expr, $ids:expr, $what:expr) => {{
        let mut out = Vec::new();
        for chunk in $ids.chunks(FILTER_VALUES_MAX) {
            let items: Vec<_> = $c
                .ec2()
                .$op()
                .filters(filter($filter_name, chunk.iter().cloned()))
                .into_paginator()
                .items()
                .send()
                .collect::<std::result::Result<_, _>>()
                .await
                .map_err(aws_err($what))?;
            out.extend(items);
        }
        Ok(out)
    }};
}

/// Where a refresh finds the route table IDs its types read: tables, standalone routes, associations
/// and the VPCs' main tables are all read through one `DescribeRouteTables`.
const ROUTE_TABLE_SOURCES: &[(&str, &str)] = &[
    ("aws_route_table", "id"),
    ("aws_route", "route_table_id"),
    ("aws_route_table_association", "route_table_id"),
    ("aws_vpc", "main_route_table_id"),
];

/// Where a refresh finds the security group IDs its types read (groups and the VPCs' default groups).
const SECURITY_GROUP_SOURCES: &[(&str, &str)] =
    &[("aws_security_group", "id"), ("aws_vpc", "default_security_group_id")];

/// Where a refresh finds the security group rule IDs its types read (ingress and egress rules).
const SECURITY_GROUP_RULE_SOURCES: &[(&str, &str)] = &[
    ("aws_vpc_security_group_ingress_rule", "id"),
    ("aws_vpc_security_group_egress_rule", "id"),
];

/// `DescribeRouteTables` of these route table IDs.
pub async fn describe_route_tables(c: &AwsClient, ids: &[String]) -> Result<Vec<RouteTable>> {
    describe_by!(
        c,
        describe_route_tables,
        "route-table-id",
        ids,
        "reading EC2 route tables"
    )
}

/// In a refresh, every route table any of its types reads, from one shared `DescribeRouteTables`.
pub async fn shared_route_tables(c: &AwsClient) -> Result<Option<Arc<Vec<RouteTable>>>> {
    crate::refresh::shared(c, "ec2:route-tables", ROUTE_TABLE_SOURCES, |ids| async move {
        describe_route_tables(c, &ids).await
    })
    .await
}

/// The route tables with these IDs (shared in a refresh, see [`crate::refresh`]).
pub async fn route_tables(c: &AwsClient, ids: &[String]) -> Result<Vec<RouteTable>> {
    let shared = shared_route_tables(c).await?;
    crate::refresh::pick(
        shared,
        ids,
        |t| t.route_table_id(),
        |missing| async move { describe_route_tables(c, &missing).await },
    )
    .await
}

/// `DescribeSecurityGroups` of these group IDs.
pub async fn describe_security_groups(c: &AwsClient, ids: &[String]) -> Result<Vec<SecurityGroup>> {
    describe_by!(
        c,
        describe_security_groups,
        "group-id",
        ids,
        "reading EC2 security groups"
    )
}

/// In a refresh, every security group any of its types reads, from one shared `DescribeSecurityGroups`.
pub async fn shared_security_groups(c: &AwsClient) -> Result<Option<Arc<Vec<SecurityGroup>>>> {
    crate::refresh::shared(c, "ec2:security-groups", SECURITY_GROUP_SOURCES, |ids| async move {
        describe_security_groups(c, &ids).await
    })
    .await
}

/// The security groups with these IDs (shared in a refresh).
pub async fn security_groups(c: &AwsClient, ids: &[String]) -> Result<Vec<SecurityGroup>> {
    let shared = shared_security_groups(c).await?;
    crate::refresh::pick(
        shared,
        ids,
        |g| g.group_id(),
        |missing| async move { describe_security_groups(c, &missing).await },
    )
    .await
}

/// The security group rules with these IDs (shared in a refresh by the ingress and egress rule types).
pub async fn security_group_rules(c: &AwsClient, ids: &[String]) -> Result<Vec<SecurityGroupRule>> {
    let describe = |ids: Vec<String>| async move {
        describe_by!(
            c,
            describe_security_group_rules,
            "security-group-rule-id",
            ids,
            "reading EC2 security group rules"
        )
    };
    let shared = crate::refresh::shared(c, "ec2:security-group-rules", SECURITY_GROUP_RULE_SOURCES, describe).await?;
    crate::refresh::pick(shared, ids, |r| r.security_group_rule_id(), describe).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn filter_values_match_addresses_literally() {
        assert_eq!(super::literal_filter_value("aws_subnet.s[3]"), "aws_subnet.s?3?");
        assert_eq!(super::literal_filter_value(r#"a.b["x*?\\"]"#), r#"a.b?"x\*\?\\\\"?"#);
        assert_eq!(super::literal_filter_value("0f3c-lineage"), "0f3c-lineage");
    }

    use super::*;

    #[test]
    fn protocols_normalize_like_terraform() {
        assert_eq!(normalize_protocol("6"), "tcp");
        assert_eq!(normalize_protocol("TCP"), "tcp");
        assert_eq!(normalize_protocol("all"), "-1");
        assert_eq!(normalize_protocol("50"), "esp");
        assert_eq!(normalize_protocol("132"), "132");
        assert_eq!(api_protocol("esp"), "50");
        assert_eq!(api_protocol("udp"), "udp");
    }
}
