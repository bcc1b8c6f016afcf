//! The `provider "aws" { ... }` block: its schema ([`provider_block`]), its parsed form ([`AwsConfig`]) and
//! how it becomes an [`AwsClient`] ([`AwsConfig::connect`]).
//!
//! Credentials and region come from the block when it sets them, else from the SDK's standard chain
//! (environment, shared config/credentials files with profiles and SSO, web identity, container and
//! instance metadata; `skip_metadata_api_check = true` leaves out instance metadata). Endpoints come from
//! the SDK's standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, which an `endpoints { }`
//! block overrides per service. Retries are the SDK's adaptive mode (exponential backoff with jitter on
//! throttling and transient errors, and a client-side rate limit per service that slows down when AWS
//! throttles), `max_retries` retries at most (25 by default, as Terraform's provider); calls that could
//! make a second object are never resent after an ambiguous failure (see [`crate::resend`]).

use crate::client::AwsClient;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use infra_provider::{Attribute, Block, NestedBlock, ProviderError, Result, Type, Value};
use std::collections::BTreeMap;

/// The regions of the AWS partitions (commercial, China, GovCloud, ISO): a `region` of the provider block
/// or of the S3 backend is checked against them, as Terraform checks its partition data, unless
/// `skip_region_validation` is set (S3-compatible services, regions newer than this list).
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isof-south-1",
    "us-isof-east-1",
    "eu-isoe-west-1",
];

/// Retries per call when the provider block does not set `max_retries` (Terraform's default).
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// The services an `endpoints { }` block may override, by their Terraform names.
pub const ENDPOINT_SERVICES: &[&str] = &[
    "ec2",
    "ssm",
    "secretsmanager",
    "sts",
    "rds",
    "ecr",
    "ecs",
    "iam",
    "logs",
    "efs",
    "s3",
    "elbv2",
    "pricing",
    "resourcegroupstaggingapi",
    "servicediscovery",
    "scheduler",
    "cloudwatch",
];

/// The schema of the provider block (Terraform's argument names).
pub fn provider_block() -> Block {
    let mut endpoints = Block::new();
    for s in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(s, Attribute::optional(Type::String));
    }
    Block::new()
        .attr("region", Attribute::optional(Type::String))
        .attr("profile", Attribute::optional(Type::String))
        .attr("access_key", Attribute::optional(Type::String))
        .attr("secret_key", Attribute::optional(Type::String).sensitive())
        .attr("token", Attribute::optional(Type::String).sensitive())
        .attr("max_retries", Attribute::optional(Type::Number))
        .attr("skip_credentials_validation", Attribute::optional(Type::Bool))
        .attr("skip_region_validation", Attribute::optional(Type::Bool))
        .attr("skip_requesting_account_id", Attribute::optional(Type::Bool))
        .attr("skip_metadata_api_check", Attribute::optional(Type::String))
        .attr("s3_use_path_style", Attribute::optional(Type::Bool))
        .block(
            "default_tags",
            NestedBlock::list(Block::new().attr("tags", Attribute::optional(Type::string_map()))).max(1),
        )
        .block("endpoints", NestedBlock::list(endpoints).max(1))
}

/// The provider block, parsed.
#[derive(Clone, Default)]
pub struct AwsConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub max_retries: Option<u32>,
    pub default_tags: BTreeMap<String, String>,
    pub endpoints: BTreeMap<String, String>,
    pub skip_credentials_validation: bool,
    /// Accept a region name infra does not know (a new region, or a compatible service's).
    pub skip_region_validation: bool,
    pub skip_requesting_account_id: bool,
    pub skip_metadata_api_check: bool,
    pub s3_use_path_style: bool,
}

impl std::fmt::Debug for AwsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret key or session token.
        f.debug_struct("AwsConfig")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("access_key", &self.access_key)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

fn non_empty(v: Option<&str>) -> Option<String> {
    v.filter(|s| !s.is_empty()).map(str::to_string)
}

impl AwsConfig {
    /// Parses the provider block's value.
    pub fn from_value(v: &Value) -> Result<AwsConfig> {
        let mut c = AwsConfig {
            region: non_empty(v.get_str("region")),
            profile: non_empty(v.get_str("profile")),
            access_key: non_empty(v.get_str("access_key")),
            secret_key: non_empty(v.get_str("secret_key")),
            token: non_empty(v.get_str("token")),
            skip_credentials_validation: v.get_bool("skip_credentials_validation").unwrap_or(false),
            skip_region_validation: v.get_bool("skip_region_validation").unwrap_or(false),
            skip_requesting_account_id: v.get_bool("skip_requesting_account_id").unwrap_or(false),
            skip_metadata_api_check: matches!(v.get_str("skip_metadata_api_check"), Some("true")),
            s3_use_path_style: v.get_bool("s3_use_path_style").unwrap_or(false),
            ..AwsConfig::default()
        };
        if let Some(n) = v.get("max_retries").filter(|n| !n.is_null()) {
            let n = n
                .as_i64()
                .filter(|n| (0..=1000).contains(n))
                .ok_or_else(|| ProviderError::config("max_retries must be a whole number between 0 and 1000"))?;
            c.max_retries = Some(n as u32);
        }
        if let Some(dt) = v.get_block("default_tags") {
            c.default_tags = dt.get_string_map("tags");
        }
        if let Some(ep) = v.get_block("endpoints") {
            for s in ENDPOINT_SERVICES {
                if let Some(url) = non_empty(ep.get_str(s)) {
                    c.endpoints.insert(s.to_string(), url);
                }
            }
        }
        if c.access_key.is_some() != c.secret_key.is_some() {
            return Err(ProviderError::config("access_key and secret_key must be set together"));
        }
        Ok(c)
    }

    /// Loads the shared SDK configuration and builds the client. Validates credentials with STS
    /// `GetCallerIdentity` unless `skip_credentials_validation` is set.
    pub async fn connect(self) -> Result<AwsClient> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &self.region {
            loader = loader.region(Region::new(r.clone()));
        } else if self.skip_metadata_api_check {
            let mut chain =
                RegionProviderChain::first_try(aws_config::environment::EnvironmentVariableRegionProvider::new());
            let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
            if let Some(p) = &self.profile {
                profile_region = profile_region.profile_name(p);
            }
            chain = chain.or_else(profile_region.build());
            loader = loader.region(chain);
        }
        if let (Some(ak), Some(sk)) = (&self.access_key, &self.secret_key) {
            loader = loader.credentials_provider(Credentials::new(ak, sk, self.token.clone(), None, "provider-block"));
        } else if self.skip_metadata_api_check {
            let mut profile = aws_config::profile::ProfileFileCredentialsProvider::builder();
            if let Some(p) = &self.profile {
                profile = profile.profile_name(p);
            }
            let chain = CredentialsProviderChain::first_try(
                "Environment",
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            )
            .or_else("Profile", profile.build())
            .or_else(
                "WebIdentityToken",
                aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder().build(),
            )
            .or_else(
                "EcsContainer",
                aws_config::ecs::EcsCredentialsProvider::builder().build(),
            );
            loader = loader.credentials_provider(chain);
        }
        // Terraform's AWS provider retries 25 times by default; the adaptive mode adds a client-side rate
        // limit per service endpoint that slows down when AWS throttles, instead of failing the apply.
        let retries = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(retries + 1));
        let sdk = loader.load().await;
        let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
            ProviderError::config(
                "no AWS region: set `region` in the provider block, or the AWS_REGION environment variable, \
                 or a region in the shared config file's profile",
            )
        })?;
        if !self.skip_region_validation && !REGIONS.contains(&region.as_str()) {
            return Err(ProviderError::config(format!(
                "invalid AWS Region: {region} is not a region AWS has; check `region` (or AWS_REGION), or set \
                 skip_region_validation = true for a region infra does not know yet"
            )));
        }
        let client = AwsClient::new(sdk, region, self.clone());
        if !self.skip_credentials_validation {
            client.validate_credentials().await?;
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_and_keeps_secrets_out_of_debug() {
        let v = Value::map([
            ("region", Value::from("eu-west-1")),
            ("access_key", Value::from("AKIDEXAMPLE")),
            ("secret_key", Value::from("s3cr3t-value")),
            ("max_retries", Value::int(5)),
            (
                "default_tags",
                Value::List(vec![Value::map([("tags", Value::string_map([("env", "stage")]))])]),
            ),
            (
                "endpoints",
                Value::List(vec![Value::map([("ec2", Value::from("http://localhost:1"))])]),
            ),
        ]);
        let c = AwsConfig::from_value(&v).unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.max_retries, Some(5));
        assert_eq!(c.default_tags.get("env").map(String::as_str), Some("stage"));
        assert_eq!(c.endpoints.get("ec2").map(String::as_str), Some("http://localhost:1"));
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn an_unknown_region_is_refused_before_any_call() {
        let mut v = Value::map([
            ("region", Value::from("mars-north-9")),
            ("access_key", Value::from("AKID")),
            ("secret_key", Value::from("secret")),
            ("skip_credentials_validation", Value::Bool(true)),
        ]);
        let Err(e) = AwsConfig::from_value(&v).unwrap().connect().await else {
            panic!("a region AWS does not have was accepted");
        };
        assert_eq!(e.kind, infra_provider::ErrorKind::Config);
        assert!(e.message.contains("invalid AWS Region: mars-north-9"), "{e}");
        v.set_attr("skip_region_validation", Value::Bool(true));
        assert!(AwsConfig::from_value(&v).unwrap().connect().await.is_ok());
    }

    #[test]
    fn half_static_credentials_are_a_config_error() {
        let v = Value::map([("access_key", Value::from("AKID"))]);
        let e = AwsConfig::from_value(&v).unwrap_err();
        assert_eq!(e.kind, infra_provider::ErrorKind::Config);
    }
}
