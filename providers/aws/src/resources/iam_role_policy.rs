//! `aws_iam_role_policy`: an inline policy of a role. `id` is `role:name`; `policy` is compared by JSON
//! meaning and changed in place (`PutRolePolicy`); the name and role force replacement.
//!
//! Batched read: one `GetAccountAuthorizationDetails` call (`Filter=Role`, paginated) holds the inline
//! policies of every role with their documents, so N policies cost one listing.
//! Import ID: `role-name:policy-name`, as Terraform. `PutRolePolicy` overwrites, so an interrupted create
//! is found by its name (given, or derived from the client token).

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::iam::{decode_policy, role_details};
use crate::values::{ReadResults, all_failed, complete, keep_json_text, single, str_attr};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, Check, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};
use std::collections::HashMap;

pub struct IamRolePolicy;

fn block() -> Block {
    Block::new()
        .id()
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 128))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional(Type::String)
                .force_new()
                .check(Check::Length(1, 102))
                .conflicts_with(&["name"]),
        )
        .attr("role", Attribute::required(Type::String).force_new())
        .attr("policy", Attribute::required(Type::String).json())
}

fn split_id(id: &str) -> Result<(String, String)> {
    id.split_once(':')
        .filter(|(r, n)| !r.is_empty() && !n.is_empty())
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .ok_or_else(|| ProviderError::invalid(format!("unexpected ID {id:?}: expected role-name:policy-name")))
}

async fn read_policies(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let details = role_details(c).await?;
    let mut results = ReadResults::new();
    let by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    for (id, prior) in by_id {
        let Ok((role, name)) = split_id(&id) else { continue };
        let Some(doc) = details.get(&role).and_then(|d| {
            d.role_policy_list()
                .iter()
                .find(|p| p.policy_name() == Some(&name))
                .and_then(|p| p.policy_document())
        }) else {
            continue;
        };
        let name_prefix = match str_attr(prior, "name_prefix") {
            Some(p) if name.starts_with(&p) => Value::string(p),
            _ => Value::Null,
        };
        let doc = decode_policy(doc);
        results.insert(
            id.clone(),
            complete(
                &block(),
                Value::map([
                    ("id", Value::string(&id)),
                    ("name", Value::string(&name)),
                    ("name_prefix", name_prefix),
                    ("role", Value::string(&role)),
                    ("policy", keep_json_text(prior.get_str("policy"), Some(&doc))),
                ]),
            ),
        );
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::prior_for(prior, id);
    single(
        read_policies(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

async fn put(c: &AwsClient, role: &str, name: &str, planned: &Value) -> Result<()> {
    c.iam()
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(str_attr(planned, "policy").unwrap_or_default())
        .send()
        .await
        .map_err(aws_err(format!("putting inline policy {name} of IAM role {role}")))?;
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for IamRolePolicy {
    fn name(&self) -> &'static str {
        "aws_iam_role_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
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
        let role = str_attr(planned, "role").ok_or_else(|| ProviderError::invalid("role is required"))?;
        let name = crate::values::planned_name(ctx, planned, "terraform-");
        put(c, &role, &name, planned).await?;
        let id = format!("{role}:{name}");
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::new(format!("IAM role policy {id} vanished after create")))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = crate::values::id_of(prior)?;
        let (role, name) = split_id(&id)?;
        put(c, &role, &name, planned).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("IAM role policy {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let (role, name) = split_id(&crate::values::id_of(prior)?)?;
        match c
            .iam()
            .delete_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting inline policy {name} of IAM role {role}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        split_id(id)?;
        read_one(c, id, &Value::Null).await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(role) = str_attr(planned, "role") else {
            return Ok(None);
        };
        read_one(
            c,
            &format!("{role}:{}", crate::values::planned_name(ctx, planned, "terraform-")),
            planned,
        )
        .await
    }
}
