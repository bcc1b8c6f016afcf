//! `ephemeral "aws_secretsmanager_random_password"`: a password made up by Secrets Manager
//! (`GetRandomPassword`), which keeps nothing. Arguments as Terraform's: `exclude_characters` (a string of
//! characters), the `exclude_*`/`include_space`/`require_each_included_type` switches and
//! `password_length`; unset ones take the API's defaults (32 characters, every class, each class
//! required). `random_password` is sensitive.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::complete;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, Check, EphemeralType, ProviderError, Result, Schema, Type, Value};

pub struct SecretsmanagerRandomPassword;

/// The boolean switches, by argument name.
const SWITCHES: &[&str] = &[
    "exclude_lowercase",
    "exclude_numbers",
    "exclude_punctuation",
    "exclude_uppercase",
    "include_space",
    "require_each_included_type",
];

fn block() -> Block {
    let mut b = Block::new()
        .attr("exclude_characters", Attribute::optional(Type::String))
        .attr(
            "password_length",
            // The API's bounds (the password must hold one character of each required class).
            Attribute::optional(Type::Number).check(Check::IntRange(1, 4096)),
        )
        .attr("random_password", Attribute::computed(Type::String).sensitive());
    for s in SWITCHES {
        b = b.attr(s, Attribute::optional(Type::Bool));
    }
    b
}

#[async_trait]
impl EphemeralType<AwsClient> for SecretsmanagerRandomPassword {
    fn name(&self) -> &'static str {
        "aws_secretsmanager_random_password"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn open(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let b = |k: &str| config.get_bool(k);
        let out = c
            .secretsmanager()
            .get_random_password()
            .set_exclude_characters(config.get_str("exclude_characters").map(str::to_string))
            .set_exclude_lowercase(b("exclude_lowercase"))
            .set_exclude_numbers(b("exclude_numbers"))
            .set_exclude_punctuation(b("exclude_punctuation"))
            .set_exclude_uppercase(b("exclude_uppercase"))
            .set_include_space(b("include_space"))
            .set_password_length(config.get_i64("password_length"))
            .set_require_each_included_type(b("require_each_included_type"))
            .send()
            .await
            .map_err(aws_err("generating a Secrets Manager random password"))?;
        let password = out
            .random_password()
            .ok_or_else(|| ProviderError::new("GetRandomPassword returned no password"))?;
        let mut v = config.clone();
        v.set_attr("random_password", Value::string(password));
        Ok(complete(&block(), v))
    }
}
