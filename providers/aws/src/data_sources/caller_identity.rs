//! `data "aws_caller_identity"`: who the credentials are (`account_id`, `arn`, `user_id`). STS
//! `GetCallerIdentity`, which the provider already called to validate its credentials (the answer is kept).

use crate::client::AwsClient;
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
        let id = c.caller_identity().await?;
        Ok(complete(
            &block(),
            Value::map([
                ("id", Value::string(&id.account)),
                ("account_id", Value::string(&id.account)),
                ("arn", Value::string(&id.arn)),
                ("user_id", Value::string(&id.user_id)),
            ]),
        ))
    }
}
