//! `data "aws_ssm_parameter"` and `data "aws_secretsmanager_secret"`: reading an existing parameter (its
//! value is sensitive) or a secret's metadata (not its value), with Terraform's attribute names. One
//! `GetParameter`, or one `DescribeSecret` plus `GetResourcePolicy`.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags::is_internal;
use crate::values::{complete, str_attr};
use async_trait::async_trait;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use infra_provider::{Attribute, Block, DataSourceType, ProviderError, Result, Schema, Type, Value};

pub struct SsmParameter;

fn ssm_block() -> Block {
    Block::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String))
        .attr("with_decryption", Attribute::optional(Type::Bool).default(true))
        .attr("arn", Attribute::computed(Type::String))
        .attr("type", Attribute::computed(Type::String))
        .attr("value", Attribute::computed(Type::String).sensitive())
        .attr("insecure_value", Attribute::computed(Type::String))
        .attr("version", Attribute::computed(Type::Number))
}

#[async_trait]
impl DataSourceType<AwsClient> for SsmParameter {
    fn name(&self) -> &'static str {
        "aws_ssm_parameter"
    }

    fn schema(&self) -> Schema {
        Schema::new(ssm_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let name = str_attr(config, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let decrypt = config.get_bool("with_decryption").unwrap_or(true);
        let out = c
            .ssm()
            .get_parameter()
            .name(&name)
            .with_decryption(decrypt)
            .send()
            .await
            .map_err(aws_err(format!("reading SSM parameter {name}")))?;
        let p = out
            .parameter()
            .ok_or_else(|| ProviderError::not_found(format!("SSM parameter {name} not found")))?;
        let ty = p.r#type().map(|t| t.as_str()).unwrap_or("String");
        let value = Value::opt_string(p.value());
        let v = Value::map([
            ("id", Value::opt_string(p.name())),
            ("name", Value::opt_string(p.name())),
            ("with_decryption", Value::Bool(decrypt)),
            ("arn", Value::opt_string(p.arn())),
            ("type", Value::string(ty)),
            // As Terraform: `value` is always sensitive (schema); `insecure_value` only for non-secure types.
            ("value", value.clone()),
            ("insecure_value", if ty == "SecureString" { Value::Null } else { value }),
            ("version", Value::int(p.version())),
        ]);
        Ok(complete(&ssm_block(), v))
    }
}

pub struct SecretsmanagerSecret;

fn secret_block() -> Block {
    Block::new()
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "arn",
            Attribute::optional_computed(Type::String).conflicts_with(&["name"]),
        )
        .attr(
            "name",
            Attribute::optional_computed(Type::String).conflicts_with(&["arn"]),
        )
        .attr("description", Attribute::computed(Type::String))
        .attr("kms_key_id", Attribute::computed(Type::String))
        .attr("policy", Attribute::computed(Type::String))
        .attr("created_date", Attribute::computed(Type::String))
        .attr("last_changed_date", Attribute::computed(Type::String))
        .attr("tags", Attribute::optional_computed(Type::string_map()))
}

fn rfc3339(t: Option<&DateTime>) -> Value {
    t.and_then(|t| DateTime::from_secs(t.secs()).fmt(Format::DateTime).ok())
        .map(Value::string)
        .unwrap_or(Value::Null)
}

#[async_trait]
impl DataSourceType<AwsClient> for SecretsmanagerSecret {
    fn name(&self) -> &'static str {
        "aws_secretsmanager_secret"
    }

    fn schema(&self) -> Schema {
        Schema::new(secret_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let id = str_attr(config, "arn")
            .or_else(|| str_attr(config, "name"))
            .ok_or_else(|| ProviderError::invalid("one of arn or name must be set"))?;
        let s = c
            .secretsmanager()
            .describe_secret()
            .secret_id(&id)
            .send()
            .await
            .map_err(aws_err(format!("reading Secrets Manager secret {id}")))?;
        let arn = s.arn().unwrap_or_default().to_string();
        let policy = c
            .secretsmanager()
            .get_resource_policy()
            .secret_id(&arn)
            .send()
            .await
            .map_err(aws_err(format!("reading the policy of Secrets Manager secret {id}")))?
            .resource_policy()
            .map(str::to_string);
        let tags: Vec<(String, String)> = s
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
            .filter(|(k, _)| !is_internal(k))
            .collect();
        let v = Value::map([
            ("id", Value::string(&arn)),
            ("arn", Value::string(&arn)),
            ("name", Value::opt_string(s.name())),
            ("description", Value::opt_string(s.description())),
            ("kms_key_id", Value::opt_string(s.kms_key_id())),
            ("policy", Value::opt_string(policy.filter(|p| !p.is_empty()))),
            ("created_date", rfc3339(s.created_date())),
            ("last_changed_date", rfc3339(s.last_changed_date())),
            ("tags", Value::string_map(tags)),
        ]);
        Ok(complete(&secret_block(), v))
    }
}
