//! `aws_iam_role_policy_attachment`: attaches a managed policy to a role. Both arguments force
//! replacement. The `id` is the role name, `-` and a unique suffix, as Terraform makes it; the object is
//! identified by (role, policy_arn).
//!
//! Batched read: one `GetAccountAuthorizationDetails` call (`Filter=Role`, paginated) lists the attached
//! policies of every role, so N attachments cost one listing.
//! Import ID: `role-name/policy-arn`, as Terraform. Attaching is idempotent, so an interrupted create is
//! found by the attachment itself.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::iam::role_details;
use crate::values::{ReadResults, all_failed, complete, single, str_attr, unique_name};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};

pub struct IamRolePolicyAttachment;

fn block() -> Block {
    Block::new()
        .id()
        .attr("role", Attribute::required(Type::String).force_new())
        .attr("policy_arn", Attribute::required(Type::String).force_new())
}

fn key(role: &str, arn: &str) -> String {
    format!("{role}/{arn}")
}

fn key_of(p: &Value) -> Option<String> {
    Some(key(&str_attr(p, "role")?, &str_attr(p, "policy_arn")?))
}

async fn read_attachments(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let details = role_details(c).await?;
    let mut results = ReadResults::new();
    for p in priors {
        let (Some(role), Some(arn)) = (str_attr(p, "role"), str_attr(p, "policy_arn")) else {
            continue;
        };
        let attached = details.get(&role).is_some_and(|d| {
            d.attached_managed_policies()
                .iter()
                .any(|a| a.policy_arn() == Some(&arn))
        });
        if attached {
            let id = str_attr(p, "id").unwrap_or_else(|| format!("{role}-{}", &unique_name(Some(""), &arn)));
            results.insert(
                key(&role, &arn),
                complete(
                    &block(),
                    Value::map([
                        ("id", Value::string(id)),
                        ("role", Value::string(&role)),
                        ("policy_arn", Value::string(&arn)),
                    ]),
                ),
            );
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
    single(
        read_attachments(c, std::slice::from_ref(prior))
            .await?
            .answer(std::slice::from_ref(prior), key_of),
    )
}

#[async_trait]
impl ResourceType<AwsClient> for IamRolePolicyAttachment {
    fn name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_attachments(c, priors).await {
            Ok(r) => r.answer(priors, key_of),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let role = str_attr(planned, "role").ok_or_else(|| ProviderError::invalid("role is required"))?;
        let arn = str_attr(planned, "policy_arn").ok_or_else(|| ProviderError::invalid("policy_arn is required"))?;
        c.iam()
            .attach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(aws_err(format!("attaching {arn} to IAM role {role}")))?;
        let id = format!("{role}-{}", unique_name(Some(""), &ctx.client_token));
        let prior = crate::values::prior_for(planned, &id);
        read_one(c, &prior)
            .await?
            .ok_or_else(|| ProviderError::new(format!("the attachment of {arn} to IAM role {role} vanished")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let role = str_attr(prior, "role").ok_or_else(|| ProviderError::invalid("the object has no role"))?;
        let arn =
            str_attr(prior, "policy_arn").ok_or_else(|| ProviderError::invalid("the object has no policy_arn"))?;
        match c
            .iam()
            .detach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("detaching {arn} from IAM role {role}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let (role, arn) = id
            .split_once('/')
            .filter(|(r, a)| !r.is_empty() && a.starts_with("arn:"))
            .ok_or_else(|| {
                ProviderError::invalid(format!("unexpected import ID {id:?}: expected role-name/policy-arn"))
            })?;
        let prior = Value::map([
            ("id", Value::string(format!("{role}-{}", unique_name(Some(""), arn)))),
            ("role", Value::string(role)),
            ("policy_arn", Value::string(arn)),
        ]);
        read_one(c, &prior).await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        if key_of(planned).is_none() {
            return Ok(None);
        }
        let id = format!(
            "{}-{}",
            str_attr(planned, "role").unwrap_or_default(),
            unique_name(Some(""), &ctx.client_token)
        );
        read_one(c, &crate::values::prior_for(planned, &id)).await
    }
}
