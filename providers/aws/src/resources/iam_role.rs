//! `aws_iam_role`: an IAM role. `id` is the role name. `assume_role_policy` is compared by JSON meaning.
//! `managed_policy_arns` and `inline_policy` (optional and computed, as Terraform) manage the role's
//! attached and inline policies exclusively when set; left out, they only report what the role has.
//!
//! Batched read: `ListRoles` (descriptions, session durations) and `GetAccountAuthorizationDetails` with
//! `Filter=Role` (tags, permissions boundary, inline and attached policies), both paginated, answer every
//! role at once: N roles cost two listings, whatever N is.
//! Import ID: the role name. An interrupted create is found by its name (given, or derived from the
//! client token) when the role carries this operation's ownership tags.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::iam::{AccountRoles, account_roles, decode_policy};
use crate::tags;
use crate::values::{ReadResults, all_failed, changed, complete, keep_json_text, partial_object, single, str_attr};
use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema,
    TAG_ADDRESS, TAG_LINEAGE, Type, Value,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct IamRole;

fn inline_block() -> Block {
    Block::new()
        .attr("name", Attribute::optional(Type::String))
        .attr("policy", Attribute::optional(Type::String).json())
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("unique_id", Attribute::computed(Type::String))
        .attr("create_date", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 64))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 38))
                .conflicts_with(&["name"]),
        )
        .attr("assume_role_policy", Attribute::required(Type::String).json())
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 1000)),
        )
        .attr("force_detach_policies", Attribute::optional(Type::Bool).default(false))
        .attr(
            "max_session_duration",
            Attribute::optional(Type::Number)
                .default(3600)
                .check(Check::IntRange(3600, 43200)),
        )
        .attr("path", Attribute::optional(Type::String).default("/").force_new())
        .attr("permissions_boundary", Attribute::optional(Type::String))
        .attr("managed_policy_arns", Attribute::optional_computed(Type::string_set()))
        .block("inline_policy", NestedBlock::set(inline_block()).computed())
        .tags()
}

fn flatten(c: &AwsClient, roles: &AccountRoles, name: &str, prior: &Value) -> Option<Value> {
    let d = roles.details.get(name)?;
    let listed = roles.roles.get(name);
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let assume = d
        .assume_role_policy_document()
        .or_else(|| listed.and_then(|r| r.assume_role_policy_document()))
        .map(decode_policy);
    let inline: Vec<Value> = d
        .role_policy_list()
        .iter()
        .map(|p| {
            let doc = p.policy_document().map(decode_policy);
            let prior_doc = prior
                .get_list("inline_policy")
                .iter()
                .find(|x| x.get_str("name") == p.policy_name())
                .and_then(|x| x.get_str("policy"))
                .map(str::to_string);
            Value::map([
                ("name", Value::opt_string(p.policy_name())),
                ("policy", keep_json_text(prior_doc.as_deref(), doc.as_deref())),
            ])
        })
        .collect();
    let mut obj = Value::map([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("arn", Value::opt_string(d.arn())),
        ("unique_id", Value::opt_string(d.role_id())),
        (
            "create_date",
            Value::opt_string(
                d.create_date()
                    .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            ),
        ),
        (
            "assume_role_policy",
            keep_json_text(prior.get_str("assume_role_policy"), assume.as_deref()),
        ),
        (
            "description",
            Value::opt_string(listed.and_then(|r| r.description()).filter(|s| !s.is_empty())),
        ),
        (
            "force_detach_policies",
            crate::values::carry(prior, "force_detach_policies", Value::Bool(false)),
        ),
        (
            "max_session_duration",
            Value::int(listed.and_then(|r| r.max_session_duration()).unwrap_or(3600) as i64),
        ),
        ("path", Value::string(d.path().unwrap_or("/"))),
        (
            "permissions_boundary",
            Value::opt_string(d.permissions_boundary().and_then(|b| b.permissions_boundary_arn())),
        ),
        (
            "managed_policy_arns",
            Value::string_set(d.attached_managed_policies().iter().filter_map(|p| p.policy_arn())),
        ),
        ("inline_policy", Value::set(inline)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, crate::iam::tag_pairs(d.tags()));
    Some(complete(&block(), obj))
}

async fn read_roles(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let roles = account_roles(c).await?;
    let mut results = ReadResults::new();
    for p in priors {
        if let Some(name) = str_attr(p, "id")
            && let Some(v) = flatten(c, &roles, &name, p)
        {
            results.insert(name, v);
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::prior_for(prior, name);
    single(
        read_roles(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Inline policies of a planned value, by name.
fn inline_policies(v: &Value) -> BTreeMap<String, String> {
    v.get_list("inline_policy")
        .iter()
        .filter_map(|p| Some((str_attr(p, "name")?, str_attr(p, "policy")?)))
        .collect()
}

/// Makes the role's attached and inline policies those planned (only when the plan knows them).
async fn sync_policies(c: &AwsClient, name: &str, prior: Option<&Value>, planned: &Value) -> Result<()> {
    if let Some(Value::Set(_)) = planned.get("managed_policy_arns") {
        let want: BTreeSet<String> = planned.get_strings("managed_policy_arns").into_iter().collect();
        let have: BTreeSet<String> = prior
            .map(|p| p.get_strings("managed_policy_arns").into_iter().collect())
            .unwrap_or_default();
        for arn in have.difference(&want) {
            match c
                .iam()
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    let e = aws_err(format!("detaching {arn} from IAM role {name}"))(e);
                    if !e.is_not_found() {
                        return Err(e);
                    }
                }
            }
        }
        for arn in want.difference(&have) {
            c.iam()
                .attach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(aws_err(format!("attaching {arn} to IAM role {name}")))?;
        }
    }
    if let Some(Value::Set(_)) = planned.get("inline_policy") {
        let want = inline_policies(planned);
        let have = prior.map(inline_policies).unwrap_or_default();
        for old in have.keys().filter(|k| !want.contains_key(*k)) {
            match c
                .iam()
                .delete_role_policy()
                .role_name(name)
                .policy_name(old)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    let e = aws_err(format!("deleting inline policy {old} of IAM role {name}"))(e);
                    if !e.is_not_found() {
                        return Err(e);
                    }
                }
            }
        }
        for (pname, doc) in want.iter().filter(|(k, v)| have.get(*k) != Some(*v)) {
            c.iam()
                .put_role_policy()
                .role_name(name)
                .policy_name(pname)
                .policy_document(doc)
                .send()
                .await
                .map_err(aws_err(format!("putting inline policy {pname} of IAM role {name}")))?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for IamRole {
    fn name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let cfg = req.config;
        if req.prior.is_none() {
            // The name is decided at create when only a prefix (or nothing) is given.
            if cfg.get("name").is_none_or(Value::is_null) {
                req.planned.set_attr("name", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_roles(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        let tags = tags::for_create(c, ctx, planned);
        c.iam()
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(str_attr(planned, "assume_role_policy").unwrap_or_default())
            .path(str_attr(planned, "path").unwrap_or_else(|| "/".into()))
            .set_description(str_attr(planned, "description"))
            .set_max_session_duration(planned.get_i64("max_session_duration").map(|n| n as i32))
            .set_permissions_boundary(str_attr(planned, "permissions_boundary"))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating IAM role {name}")))?;
        let rest = async {
            sync_policies(c, &name, None, planned).await?;
            read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("IAM role {name} vanished after create")))
        };
        rest.await.map_err(|e| {
            e.with_partial(partial_object(
                &block(),
                &planned.clone().with("name", Value::string(&name)),
                &name,
            ))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(prior)?;
        if changed(prior, planned, "assume_role_policy") {
            c.iam()
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(str_attr(planned, "assume_role_policy").unwrap_or_default())
                .send()
                .await
                .map_err(aws_err(format!("updating the assume role policy of IAM role {name}")))?;
        }
        if changed(prior, planned, "description") || changed(prior, planned, "max_session_duration") {
            c.iam()
                .update_role()
                .role_name(&name)
                .description(str_attr(planned, "description").unwrap_or_default())
                .set_max_session_duration(planned.get_i64("max_session_duration").map(|n| n as i32))
                .send()
                .await
                .map_err(aws_err(format!("updating IAM role {name}")))?;
        }
        if changed(prior, planned, "permissions_boundary") {
            match str_attr(planned, "permissions_boundary") {
                Some(b) => {
                    c.iam()
                        .put_role_permissions_boundary()
                        .role_name(&name)
                        .permissions_boundary(b)
                        .send()
                        .await
                        .map_err(aws_err(format!("setting the permissions boundary of IAM role {name}")))?;
                }
                None => {
                    c.iam()
                        .delete_role_permissions_boundary()
                        .role_name(&name)
                        .send()
                        .await
                        .map_err(aws_err(format!("removing the permissions boundary of IAM role {name}")))?;
                }
            }
        }
        sync_policies(c, &name, Some(prior), planned).await?;
        let ch = tags::changes(c, prior, planned);
        if !ch.remove.is_empty() {
            c.iam()
                .untag_role()
                .role_name(&name)
                .set_tag_keys(Some(ch.remove.clone()))
                .send()
                .await
                .map_err(aws_err(format!("removing tags of IAM role {name}")))?;
        }
        if !ch.set.is_empty() {
            c.iam()
                .tag_role()
                .role_name(&name)
                .set_tags(Some(tag_list(&ch.set)))
                .send()
                .await
                .map_err(aws_err(format!("tagging IAM role {name}")))?;
        }
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM role {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = crate::values::id_of(prior)?;
        let gone = |e: ProviderError| if e.is_not_found() { Ok(()) } else { Err(e) };
        // Instance profiles always go; policies only with force_detach_policies (or when managed here).
        let profiles = match c.iam().list_instance_profiles_for_role().role_name(&name).send().await {
            Ok(out) => out.instance_profiles,
            Err(e) => return gone(aws_err(format!("listing instance profiles of IAM role {name}"))(e)),
        };
        for p in profiles {
            c.iam()
                .remove_role_from_instance_profile()
                .role_name(&name)
                .instance_profile_name(p.instance_profile_name())
                .send()
                .await
                .map_err(aws_err(format!("removing IAM role {name} from its instance profile")))
                .map(|_| ())
                .or_else(gone)?;
        }
        let force = prior.get_bool("force_detach_policies") == Some(true);
        if force {
            let attached = match c
                .iam()
                .list_attached_role_policies()
                .role_name(&name)
                .into_paginator()
                .items()
                .send()
                .collect::<std::result::Result<Vec<_>, _>>()
                .await
            {
                Ok(attached) => attached,
                Err(e) => return gone(aws_err(format!("listing policies of IAM role {name}"))(e)),
            };
            for p in attached {
                if let Some(arn) = p.policy_arn() {
                    c.iam()
                        .detach_role_policy()
                        .role_name(&name)
                        .policy_arn(arn)
                        .send()
                        .await
                        .map_err(aws_err(format!("detaching {arn} from IAM role {name}")))
                        .map(|_| ())
                        .or_else(gone)?;
                }
            }
            let inline = match c
                .iam()
                .list_role_policies()
                .role_name(&name)
                .into_paginator()
                .items()
                .send()
                .collect::<std::result::Result<Vec<_>, _>>()
                .await
            {
                Ok(inline) => inline,
                Err(e) => return gone(aws_err(format!("listing inline policies of IAM role {name}"))(e)),
            };
            for p in inline {
                c.iam()
                    .delete_role_policy()
                    .role_name(&name)
                    .policy_name(&p)
                    .send()
                    .await
                    .map_err(aws_err(format!("deleting inline policy {p} of IAM role {name}")))
                    .map(|_| ())
                    .or_else(gone)?;
            }
        }
        match c.iam().delete_role().role_name(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting IAM role {name}"))(e);
                if e.is_not_found() {
                    Ok(())
                } else if code_of(&e) == "DeleteConflict" && !force {
                    Err(ProviderError {
                        message: format!("{} (set force_detach_policies to detach its policies)", e.message),
                        ..e
                    })
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        let out = match c.iam().get_role().role_name(&name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = aws_err(format!("looking for IAM role {name}"))(e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let tags: HashMap<&str, &str> = out
            .role()
            .map(|r| r.tags().iter().map(|t| (t.key(), t.value())).collect())
            .unwrap_or_default();
        if tags.get(TAG_ADDRESS) == Some(&ctx.address.as_str()) && tags.get(TAG_LINEAGE) == Some(&ctx.lineage.as_str())
        {
            read_one(c, &name, planned).await
        } else {
            Ok(None)
        }
    }
}
