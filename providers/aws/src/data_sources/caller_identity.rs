//! `data "aws_caller_identity"`: who the credentials are (`account_id`, `arn`, `user_id`). One STS
//! `GetCallerIdentity` call.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::complete;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, Result, Schema, Type, Value};

pub struct CallerIdentity;

fn block() -> Block {
    Block::new()
        .id()
        .attr("account_id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("user_id", Attribute::computed(Type::String))
}

#[async_trait]
impl DataSourceType<AwsClient> for CallerIdentity {
    fn name(&self) -> &'static str {
        "aws_caller_identity"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, _config: &Value) -> Result<Value> {
        let out = c
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(aws_err("reading the caller identity"))?;
        Ok(complete(
            &block(),
            Value::map([
                ("id", Value::opt_string(out.account())),
                ("account_id", Value::opt_string(out.account())),
                ("arn", Value::opt_string(out.arn())),
                ("user_id", Value::opt_string(out.user_id())),
            ]),
        ))
    }
}
