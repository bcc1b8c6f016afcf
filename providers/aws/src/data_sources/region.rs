//! `data "aws_region"`: the provider's region, or the one named by `region` (or the older `name`), with
//! its `description` and EC2 `endpoint`. One `DescribeRegions` call, which also checks that the region
//! exists.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::complete;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, ProviderError, Result, Schema, Type, Value};

pub struct Region;

fn block() -> Block {
    Block::new()
        .attr("id", Attribute::optional_computed(Type::String))
        .attr("region", Attribute::optional_computed(Type::String))
        .attr("name", Attribute::optional_computed(Type::String))
        .attr("description", Attribute::computed(Type::String))
        .attr("endpoint", Attribute::optional_computed(Type::String))
}

/// Region descriptions as AWS names them.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
];

#[async_trait]
impl DataSourceType<AwsClient> for Region {
    fn name(&self) -> &'static str {
        "aws_region"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let wanted = config
            .get_str("region")
            .or_else(|| config.get_str("name"))
            .or_else(|| config.get_str("id"))
            .unwrap_or(c.region())
            .to_string();
        let out = c
            .ec2()
            .describe_regions()
            .all_regions(true)
            .region_names(&wanted)
            .send()
            .await
            .map_err(aws_err(format!("reading region {wanted}")))?;
        let region = out
            .regions()
            .iter()
            .find(|r| r.region_name() == Some(wanted.as_str()))
            .ok_or_else(|| ProviderError::invalid(format!("region {wanted:?} not found")))?;
        let description = DESCRIPTIONS
            .iter()
            .find(|(r, _)| *r == wanted)
            .map(|(_, d)| *d)
            .unwrap_or_default();
        Ok(complete(
            &block(),
            Value::map([
                ("id", Value::string(&wanted)),
                ("region", Value::string(&wanted)),
                ("name", Value::string(&wanted)),
                ("description", Value::string(description)),
                ("endpoint", Value::opt_string(region.endpoint())),
            ]),
        ))
    }
}
