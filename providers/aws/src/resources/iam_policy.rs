//! `aws_iam_policy`: a customer managed IAM policy. `id` is the policy ARN. Name, prefix, path and
//! description force a new policy (as Terraform); `policy` is compared by JSON meaning and changes in
//! place as a new default policy version — when the policy already has the five versions IAM allows, the
//! oldest non-default one is deleted first, as Terraform does. Tags change in place. The delete removes
//! the non-default versions, then the policy.
//!
//! Batched read: in a refresh, one `GetAccountAuthorizationDetails` (`Filter=LocalManagedPolicy`,
//! paginated, once per refresh) holds every customer managed policy with its versions' documents; IAM
//! lists no tags there, so each policy's tags come from `ListPolicyTags`. A policy the listing lacks, and
//! every read outside a refresh, is read with `GetPolicy` (tags included) and `GetPolicyVersion`.
//! Import ID: the ARN. An interrupted create is found by its ARN (path and name, given or derived from
//! the client token) when the policy carries this operation's ownership tags.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::iam::{decode_policy, tag_pairs};
use crate::tags;
use crate::values::{ReadResults, all_failed, complete, keep_json_text, partial_object, planned_name, str_attr};
use async_trait::async_trait;
use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, PolicyVersion, Tag};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub struct IamPolicy;

/// Most versions IAM keeps of one managed policy.
const MAX_VERSIONS: usize = 5;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 128))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 102))
                .conflicts_with(&["name"]),
        )
        .attr(
            "path",
            Attribute::optional(Type::String)
                .default("/")
                .force_new()
                .check(Check::Length(1, 512)),
        )
        .attr(
            "description",
            Attribute::optional(Type::String)
                .force_new()
                .check(Check::Length(0, 1000)),
        )
        .attr("policy", Attribute::required(Type::String).json())
        .attr("policy_id", Attribute::computed(Type::String))
        .attr("attachment_count", Attribute::computed(Type::Number))
        .tags()
}

/// What a read needs of a policy, from `GetPolicy` or the authorization details.
struct Pol<'a> {
    arn: &'a str,
    name: &'a str,
    id: Option<&'a str>,
    path: Option<&'a str>,
    description: Option<&'a str>,
    attachments: Option<i32>,
    document: Option<String>,
}

fn flatten(c: &AwsClient, p: &Pol<'_>, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(x) if p.name.starts_with(&x) => Value::string(x),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(p.arn)),
        ("arn", Value::string(p.arn)),
        ("name", Value::string(p.name)),
        ("name_prefix", name_prefix),
        ("path", Value::string(p.path.unwrap_or("/"))),
        (
            "description",
            Value::opt_string(p.description.filter(|d| !d.is_empty())),
        ),
        ("policy", keep_json_text(prior.get_str("policy"), p.document.as_deref())),
        ("policy_id", Value::opt_string(p.id)),
        ("attachment_count", Value::opt_int(p.attachments)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

/// Every customer managed policy with its versions, by ARN; once per refresh, `None` outside one.
async fn policy_details(c: &AwsClient) -> Result<Option<Arc<HashMap<String, ManagedPolicyDetail>>>> {
    crate::refresh::once(c, "iam:policy-details", || async {
        let pages: Vec<_> = c
            .iam()
            .get_account_authorization_details()
            .filter(EntityType::LocalManagedPolicy)
            .into_paginator()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading IAM policy details"))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.policies.unwrap_or_default())
            .filter_map(|p| Some((p.arn()?.to_string(), p)))
            .collect::<HashMap<_, _>>())
    })
    .await
}

async fn list_tags(c: &AwsClient, arn: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .iam()
        .list_policy_tags()
        .policy_arn(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading tags of IAM policy {arn}")))?;
    Ok(tag_pairs(out.tags()))
}

async fn read_policies(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let wanted = crate::values::keys_of(priors, "id");
    let by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    let details = policy_details(c).await?;
    let mut own = Vec::new();
    let mut listed = Vec::new();
    for arn in &wanted {
        match details.as_ref().and_then(|d| d.get(arn)) {
            Some(d) => listed.push(d),
            None => own.push(arn.clone()),
        }
    }
    let tags = futures::future::join_all(listed.iter().map(|d| list_tags(c, d.arn().unwrap_or_default()))).await;
    for (d, t) in listed.into_iter().zip(tags) {
        let t = match t {
            Ok(t) => t,
            // Deleted since the listing.
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let document = d
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version() || v.version_id() == d.default_version_id())
            .and_then(|v| v.document())
            .map(decode_policy);
        let arn = d.arn().unwrap_or_default();
        let prior = by_id.get(arn).copied().unwrap_or(&Value::Null);
        // moto lists neither the name nor the policy ID here: the name is the ARN's last segment,
        // the ID (which never changes) is kept from state.
        let prior_id = prior.get_str("policy_id");
        let p = Pol {
            arn,
            name: d
                .policy_name()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default()),
            id: d.policy_id().filter(|i| !i.is_empty()).or(prior_id),
            path: d.path(),
            description: d.description(),
            attachments: d.attachment_count(),
            document,
        };
        results.insert(p.arn, flatten(c, &p, t, prior));
    }
    let read = futures::future::join_all(own.iter().map(|arn| {
        let prior = by_id.get(arn).copied().unwrap_or(&Value::Null);
        read_one(c, arn, prior)
    }))
    .await;
    for (arn, r) in own.iter().zip(read) {
        if let Some(v) = r? {
            results.insert(arn.clone(), v);
        }
    }
    Ok(results)
}

/// One policy with `GetPolicy` and `GetPolicyVersion`.
async fn read_one(c: &AwsClient, arn: &str, prior: &Value) -> Result<Option<Value>> {
    let got = match c.iam().get_policy().policy_arn(arn).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws_err(format!("reading IAM policy {arn}"))(e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let Some(p) = got.policy() else { return Ok(None) };
    let document = match p.default_version_id() {
        Some(v) => c
            .iam()
            .get_policy_version()
            .policy_arn(arn)
            .version_id(v)
            .send()
            .await
            .map_err(aws_err(format!("reading the default version of IAM policy {arn}")))?
            .policy_version()
            .and_then(|v| v.document())
            .map(decode_policy),
        None => None,
    };
    let pol = Pol {
        arn: p.arn().unwrap_or(arn),
        name: p.policy_name().unwrap_or_default(),
        id: p.policy_id(),
        path: p.path(),
        description: p.description(),
        attachments: p.attachment_count(),
        document,
    };
    Ok(Some(flatten(c, &pol, tag_pairs(p.tags()), prior)))
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
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

/// The number of a version ID (`v3` → 3), for ordering versions by age.
fn version_number(v: &PolicyVersion) -> u64 {
    v.version_id()
        .and_then(|id| id.trim_start_matches('v').parse().ok())
        .unwrap_or(0)
}

/// The version to delete before a new one can be made: the oldest non-default one, when the policy has
/// the most versions IAM keeps.
fn version_to_prune(versions: &[PolicyVersion]) -> Option<String> {
    if versions.len() < MAX_VERSIONS {
        return None;
    }
    versions
        .iter()
        .filter(|v| !v.is_default_version())
        .min_by_key(|v| (v.create_date().map(|d| d.secs()), version_number(v)))
        .and_then(|v| v.version_id().map(str::to_string))
}

async fn versions(c: &AwsClient, arn: &str) -> Result<Vec<PolicyVersion>> {
    let pages: Vec<_> = c
        .iam()
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err(format!("listing the versions of IAM policy {arn}")))?;
    Ok(pages.into_iter().flat_map(|p| p.versions.unwrap_or_default()).collect())
}

async fn delete_version(c: &AwsClient, arn: &str, version: &str) -> Result<()> {
    match c
        .iam()
        .delete_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = aws_err(format!("deleting version {version} of IAM policy {arn}"))(e);
            if e.is_not_found() { Ok(()) } else { Err(e) }
        }
    }
}

/// The ARN a policy of this path and name has in the account.
fn policy_arn(c: &AwsClient, account: &str, path: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:policy{path}{name}", c.partition())
}

#[async_trait]
impl ResourceType<AwsClient> for IamPolicy {
    fn name(&self) -> &'static str {
        "aws_iam_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_policies(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = planned_name(ctx, planned, "terraform-");
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .iam()
            .create_policy()
            .policy_name(&name)
            .path(planned.get_str("path").unwrap_or("/"))
            .set_description(str_attr(planned, "description"))
            .policy_document(str_attr(planned, "policy").unwrap_or_default())
            .set_tags(Some(tag_list(&tags)?))
            .send()
            .await
            .map_err(aws_err(format!("creating IAM policy {name}")))?;
        let arn = out
            .policy()
            .and_then(|p| p.arn())
            .ok_or_else(|| ProviderError::new("CreatePolicy returned no policy"))?
            .to_string();
        read_one(c, &arn, planned)
            .await
            .and_then(|v| v.ok_or_else(|| ProviderError::new(format!("IAM policy {arn} vanished after create"))))
            .map_err(|e| {
                let p = planned.clone().with("name", Value::string(&name));
                e.with_partial(partial_object(&block(), &p, &arn))
            })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = crate::values::id_of(prior)?;
        if crate::values::changed(prior, planned, "policy") {
            if let Some(v) = version_to_prune(&versions(c, &arn).await?) {
                delete_version(c, &arn, &v).await?;
            }
            c.iam()
                .create_policy_version()
                .policy_arn(&arn)
                .policy_document(str_attr(planned, "policy").unwrap_or_default())
                .set_as_default(true)
                .send()
                .await
                .map_err(aws_err(format!("creating a version of IAM policy {arn}")))?;
        }
        let ch = tags::changes(c, prior, planned);
        if !ch.remove.is_empty() {
            c.iam()
                .untag_policy()
                .policy_arn(&arn)
                .set_tag_keys(Some(ch.remove.clone()))
                .send()
                .await
                .map_err(aws_err(format!("removing tags of IAM policy {arn}")))?;
        }
        if !ch.set.is_empty() {
            c.iam()
                .tag_policy()
                .policy_arn(&arn)
                .set_tags(Some(tag_list(&ch.set)?))
                .send()
                .await
                .map_err(aws_err(format!("tagging IAM policy {arn}")))?;
        }
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM policy {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = crate::values::id_of(prior)?;
        let all = match versions(c, &arn).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        for v in all.iter().filter(|v| !v.is_default_version()) {
            if let Some(id) = v.version_id() {
                delete_version(c, &arn, id).await?;
            }
        }
        match c.iam().delete_policy().policy_arn(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting IAM policy {arn}"))(e);
                if e.is_not_found() || code_of(&e) == "NoSuchEntity" {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        if !id.starts_with("arn:") {
            return Err(ProviderError::invalid(format!(
                "unexpected import ID {id:?}: expected the policy ARN"
            )));
        }
        read_one(c, id, &Value::Null).await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = planned_name(ctx, planned, "terraform-");
        let account = c.account_id().await?;
        let arn = policy_arn(c, &account, planned.get_str("path").unwrap_or("/"), &name);
        let Some(found) = read_one(c, &arn, planned).await? else {
            return Ok(None);
        };
        let tags = list_tags(c, &arn).await?;
        Ok(crate::elbv2::owned(&tags, ctx).then_some(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: &str, default: bool) -> PolicyVersion {
        PolicyVersion::builder()
            .version_id(id)
            .is_default_version(default)
            .build()
    }

    #[test]
    fn the_oldest_non_default_version_is_pruned_at_five() {
        let four: Vec<_> = (1..=4).map(|i| version(&format!("v{i}"), i == 4)).collect();
        assert_eq!(version_to_prune(&four), None);
        let five = vec![
            version("v3", false),
            version("v1", true),
            version("v2", false),
            version("v5", false),
            version("v4", false),
        ];
        assert_eq!(version_to_prune(&five).as_deref(), Some("v2"));
    }
}
