//! `data "aws_ecr_repository"`: an existing repository by name, with Terraform's attributes (its URL,
//! settings, tags, and the tags of its most recently pushed image). The resource's read, then one
//! `DescribeImages`.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::{complete, str_attr};
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, ProviderError, Result, Schema, Type, Value};

pub struct EcrRepository;

fn block() -> Block {
    let scanning = Type::object([("scan_on_push", Type::Bool)]);
    let encryption = Type::object([("encryption_type", Type::String), ("kms_key", Type::String)]);
    Block::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String))
        .attr("registry_id", Attribute::optional_computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("repository_url", Attribute::computed(Type::String))
        .attr("image_tag_mutability", Attribute::computed(Type::String))
        .attr(
            "image_scanning_configuration",
            Attribute::computed(Type::List(Box::new(scanning))),
        )
        .attr(
            "encryption_configuration",
            Attribute::computed(Type::List(Box::new(encryption))),
        )
        .attr("most_recent_image_tags", Attribute::computed(Type::string_list()))
        .attr("tags", Attribute::optional_computed(Type::string_map()))
}

#[async_trait]
impl DataSourceType<AwsClient> for EcrRepository {
    fn name(&self) -> &'static str {
        "aws_ecr_repository"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let name = str_attr(config, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let Some(repo) = crate::resources::ecr_repository::read_one(c, &name, &Value::Null).await? else {
            return Err(ProviderError::not_found(format!("no ECR repository named {name:?}")));
        };
        if let Some(want) = str_attr(config, "registry_id")
            && repo.get_str("registry_id") != Some(want.as_str())
        {
            return Err(ProviderError::not_found(format!(
                "the ECR repository {name:?} is not in registry {want}"
            )));
        }
        let images = c
            .ecr()
            .describe_images()
            .repository_name(&name)
            .send()
            .await
            .map_err(aws_err(format!("reading the images of ECR repository {name}")))?;
        let latest = images
            .image_details()
            .iter()
            .filter(|i| i.image_pushed_at().is_some())
            .max_by_key(|i| i.image_pushed_at().map(|t| (t.secs(), t.subsec_nanos())));
        let tags: Vec<String> = latest.map(|i| i.image_tags().to_vec()).unwrap_or_default();
        let pick = |k: &str| repo.get(k).cloned().unwrap_or(Value::Null);
        let v = Value::map([
            ("id", pick("name")),
            ("name", pick("name")),
            ("registry_id", pick("registry_id")),
            ("arn", pick("arn")),
            ("repository_url", pick("repository_url")),
            ("image_tag_mutability", pick("image_tag_mutability")),
            ("image_scanning_configuration", pick("image_scanning_configuration")),
            ("encryption_configuration", pick("encryption_configuration")),
            ("most_recent_image_tags", Value::string_list(tags)),
            ("tags", pick("tags")),
        ]);
        Ok(complete(&block(), v))
    }
}
