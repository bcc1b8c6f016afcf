//! `ephemeral "aws_ssm_parameter"`: a parameter's value (`GetParameter`) by its `arn`, decrypted unless
//! `with_decryption = false` (left out, it is true and the answer says so, as hashicorp/aws 5.100 does).
//! Attributes: `name`, `type`, `value` (sensitive), `version`, `with_decryption`.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::{complete, str_attr};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, Check, EphemeralType, ProviderError, Result, Schema, Type, Value};

pub struct SsmParameter;

/// `Check::Fn` for `arn`: an ARN (Terraform's `fwtypes.ARNType`).
fn arn(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(s) if s.split(':').count() < 6 || !s.starts_with("arn:") => Err(format!(
            "{s:?} is not an ARN (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME)"
        )),
        _ => Ok(()),
    }
}

fn block() -> Block {
    Block::new()
        .attr("arn", Attribute::required(Type::String).check(Check::Fn(arn)))
        .attr("name", Attribute::computed(Type::String))
        .attr("type", Attribute::computed(Type::String))
        .attr("value", Attribute::computed(Type::String).sensitive())
        .attr("version", Attribute::computed(Type::Number))
        .attr("with_decryption", Attribute::optional_computed(Type::Bool))
}

#[async_trait]
impl EphemeralType<AwsClient> for SsmParameter {
    fn name(&self) -> &'static str {
        "aws_ssm_parameter"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn open(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let arn = str_attr(config, "arn").ok_or_else(|| ProviderError::invalid("arn is required"))?;
        let decrypt = config.get_bool("with_decryption").unwrap_or(true);
        let out = c
            .ssm()
            .get_parameter()
            .name(&arn)
            .with_decryption(decrypt)
            .send()
            .await
            .map_err(aws_err(format!("reading SSM parameter {arn}")))?;
        let p = out
            .parameter()
            .ok_or_else(|| ProviderError::not_found(format!("SSM parameter {arn} not found")))?;
        let mut v = config.clone();
        v.set_attr("name", Value::opt_string(p.name()));
        v.set_attr("type", Value::opt_string(p.r#type().map(|t| t.as_str())));
        v.set_attr("value", Value::opt_string(p.value()));
        v.set_attr("version", Value::int(p.version()));
        v.set_attr("with_decryption", Value::Bool(decrypt));
        Ok(complete(&block(), v))
    }
}
