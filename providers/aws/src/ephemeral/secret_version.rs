//! `ephemeral "aws_secretsmanager_secret_version"`: a secret's value (`GetSecretValue`), by `secret_id`
//! (name or ARN) and optionally `version_id` or `version_stage` (the version labelled `AWSCURRENT` when
//! neither is given; `version_id` wins when both are). Attributes as hashicorp/aws 5.100: `arn` (the
//! secret's), `created_date` (RFC 3339, UTC), `secret_string` and `secret_binary` (sensitive; the binary
//! as its bytes in a string, as Terraform does), `version_id` and `version_stages`. There is no `id`.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::{complete, str_attr};
use async_trait::async_trait;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use infra_provider::{Attribute, Block, EphemeralType, ProviderError, Result, Schema, Type, Value};

pub struct SecretsmanagerSecretVersion;

fn block() -> Block {
    Block::new()
        .attr("arn", Attribute::computed(Type::String))
        .attr("created_date", Attribute::computed(Type::String))
        .attr("secret_id", Attribute::required(Type::String))
        .attr("secret_binary", Attribute::computed(Type::String).sensitive())
        .attr("secret_string", Attribute::computed(Type::String).sensitive())
        .attr("version_id", Attribute::optional_computed(Type::String))
        .attr("version_stage", Attribute::optional_computed(Type::String))
        .attr("version_stages", Attribute::computed(Type::string_list()))
}

/// `2024-05-01T12:00:00Z`.
fn rfc3339(t: Option<&DateTime>) -> Value {
    t.and_then(|t| DateTime::from_secs(t.secs()).fmt(Format::DateTime).ok())
        .map(Value::string)
        .unwrap_or(Value::Null)
}

#[async_trait]
impl EphemeralType<AwsClient> for SecretsmanagerSecretVersion {
    fn name(&self) -> &'static str {
        "aws_secretsmanager_secret_version"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn open(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let secret = str_attr(config, "secret_id").ok_or_else(|| ProviderError::invalid("secret_id is required"))?;
        let version_id = str_attr(config, "version_id");
        let stage = str_attr(config, "version_stage");
        let what = match (&version_id, &stage) {
            (Some(v), _) => format!("reading version {v} of Secrets Manager secret {secret}"),
            (None, Some(s)) => format!("reading version {s} of Secrets Manager secret {secret}"),
            (None, None) => format!("reading the current version of Secrets Manager secret {secret}"),
        };
        let out = c
            .secretsmanager()
            .get_secret_value()
            .secret_id(&secret)
            .set_version_id(version_id)
            .set_version_stage(stage)
            .send()
            .await
            .map_err(aws_err(what))?;
        let mut v = config.clone();
        v.set_attr("arn", Value::opt_string(out.arn()));
        v.set_attr("created_date", rfc3339(out.created_date()));
        v.set_attr("secret_string", Value::opt_string(out.secret_string()));
        v.set_attr(
            "secret_binary",
            Value::opt_string(
                out.secret_binary()
                    .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned()),
            ),
        );
        v.set_attr("version_id", Value::opt_string(out.version_id()));
        v.set_attr("version_stages", Value::string_list(out.version_stages()));
        Ok(complete(&block(), v))
    }
}
