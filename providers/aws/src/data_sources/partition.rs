//! `data "aws_partition"` and `data "aws_service_principal"`: names derived from the region, without any
//! API call — the partition of the provider's region with its DNS suffix, and a service's principal name
//! (`logs.amazonaws.com`; in China three services take `amazonaws.com.cn`), as the Terraform AWS provider
//! computes them (its answers for these regions and services are the tests' expected values).

use crate::client::AwsClient;
use crate::values::complete;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, Result, Schema, Type, Value};

/// A region's partition: (partition, DNS suffix, reverse DNS prefix).
pub fn partition_of(region: &str) -> (&'static str, &'static str, &'static str) {
    const PARTITIONS: &[(&str, (&str, &str, &str))] = &[
        ("cn-", ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws")),
        ("us-gov-", ("aws-us-gov", "amazonaws.com", "com.amazonaws")),
        ("us-isob-", ("aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s")),
        ("us-isof-", ("aws-iso-f", "csp.hci.ic.gov", "gov.ic.hci.csp")),
        ("us-iso-", ("aws-iso", "c2s.ic.gov", "gov.ic.c2s")),
        ("eu-isoe-", ("aws-iso-e", "cloud.adc-e.uk", "uk.adc-e.cloud")),
    ];
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or(("aws", "amazonaws.com", "com.amazonaws"), |(_, p)| *p)
}

/// The suffix of a service principal's name in a region.
pub fn principal_suffix(service: &str, region: &str) -> &'static str {
    // The services whose principals in China end in amazonaws.com.cn; every other principal, in every
    // partition, ends in amazonaws.com.
    const CHINA_CN: &[&str] = &["codedeploy", "elasticmapreduce", "logs"];
    if region.starts_with("cn-") && CHINA_CN.contains(&service) {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

pub struct Partition;

fn partition_block() -> Block {
    Block::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("partition", Attribute::computed(Type::String))
        .attr("dns_suffix", Attribute::computed(Type::String))
        .attr("reverse_dns_prefix", Attribute::computed(Type::String))
}

#[async_trait]
impl DataSourceType<AwsClient> for Partition {
    fn name(&self) -> &'static str {
        "aws_partition"
    }

    fn schema(&self) -> Schema {
        Schema::new(partition_block())
    }

    async fn read(&self, c: &AwsClient, _config: &Value) -> Result<Value> {
        Ok(partition_value(c.region()))
    }
}

fn partition_value(region: &str) -> Value {
    let (partition, dns, reverse) = partition_of(region);
    complete(
        &partition_block(),
        Value::map([
            ("id", Value::string(partition)),
            ("partition", Value::string(partition)),
            ("dns_suffix", Value::string(dns)),
            ("reverse_dns_prefix", Value::string(reverse)),
        ]),
    )
}

pub struct ServicePrincipal;

fn principal_block() -> Block {
    Block::new()
        .attr("service_name", Attribute::required(Type::String))
        .attr("region", Attribute::optional_computed(Type::String))
        .attr("id", Attribute::computed(Type::String))
        .attr("name", Attribute::computed(Type::String))
        .attr("suffix", Attribute::computed(Type::String))
}

fn principal_value(service: &str, region: &str) -> Value {
    let suffix = principal_suffix(service, region);
    complete(
        &principal_block(),
        Value::map([
            ("service_name", Value::string(service)),
            ("region", Value::string(region)),
            ("id", Value::string(format!("{service}.{region}.{suffix}"))),
            ("name", Value::string(format!("{service}.{suffix}"))),
            ("suffix", Value::string(suffix)),
        ]),
    )
}

#[async_trait]
impl DataSourceType<AwsClient> for ServicePrincipal {
    fn name(&self) -> &'static str {
        "aws_service_principal"
    }

    fn schema(&self) -> Schema {
        Schema::new(principal_block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let service = config.get_str("service_name").unwrap_or_default();
        let region = config.get_str("region").unwrap_or(c.region());
        Ok(principal_value(service, region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Terraform 1.11.4 with hashicorp/aws 5.100.0 answered these (`data.aws_partition` with the provider
    /// in each region; `data.aws_service_principal` for each service and region).
    #[test]
    fn partitions_and_principals_are_the_terraform_providers() {
        let p = |r: &str| {
            let v = partition_value(r);
            ["partition", "dns_suffix", "reverse_dns_prefix", "id"].map(|k| v.get_str(k).unwrap().to_string())
        };
        assert_eq!(p("us-east-1"), ["aws", "amazonaws.com", "com.amazonaws", "aws"]);
        assert_eq!(
            p("cn-north-1"),
            ["aws-cn", "amazonaws.com.cn", "cn.com.amazonaws", "aws-cn"]
        );
        assert_eq!(
            p("us-gov-west-1"),
            ["aws-us-gov", "amazonaws.com", "com.amazonaws", "aws-us-gov"]
        );
        assert_eq!(p("us-iso-east-1"), ["aws-iso", "c2s.ic.gov", "gov.ic.c2s", "aws-iso"]);
        assert_eq!(
            p("us-isob-east-1"),
            ["aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s", "aws-iso-b"]
        );
        assert_eq!(
            p("eu-isoe-west-1"),
            ["aws-iso-e", "cloud.adc-e.uk", "uk.adc-e.cloud", "aws-iso-e"]
        );
        assert_eq!(
            p("us-isof-south-1"),
            ["aws-iso-f", "csp.hci.ic.gov", "gov.ic.hci.csp", "aws-iso-f"]
        );
        let sp = |s: &str, r: &str| {
            let v = principal_value(s, r);
            ["id", "name", "suffix"].map(|k| v.get_str(k).unwrap().to_string())
        };
        assert_eq!(
            sp("logs", "us-east-1"),
            ["logs.us-east-1.amazonaws.com", "logs.amazonaws.com", "amazonaws.com"]
        );
        assert_eq!(
            sp("logs", "cn-north-1"),
            [
                "logs.cn-north-1.amazonaws.com.cn",
                "logs.amazonaws.com.cn",
                "amazonaws.com.cn"
            ]
        );
        assert_eq!(
            sp("ec2", "cn-north-1"),
            ["ec2.cn-north-1.amazonaws.com", "ec2.amazonaws.com", "amazonaws.com"]
        );
        assert_eq!(sp("ecs-tasks", "eu-west-1")[1], "ecs-tasks.amazonaws.com");
        assert_eq!(sp("s3", "us-iso-east-1")[2], "amazonaws.com");
        assert_eq!(sp("states", "cn-northwest-1")[2], "amazonaws.com");
        for s in ["codedeploy", "elasticmapreduce", "logs"] {
            assert_eq!(sp(s, "cn-north-1")[2], "amazonaws.com.cn", "{s}");
        }
    }
}
