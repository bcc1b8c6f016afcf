//! # infra-aws: the AWS provider
//!
//! Terraform's AWS resource types (same type names, arguments, computed attributes and replacement rules)
//! over the AWS SDK for Rust. [`provider()`] is the engine's entry point; configuring it with a
//! `provider "aws" { ... }` block yields a client over the [`Registry`] of resource types and data sources.
//!
//! How the crate is organised:
//! - [`config`]: the provider block's schema and how it turns into a configured [`client::AwsClient`]
//!   (credential/region chain, endpoints, retries);
//! - [`client`]: the configured provider: one shared SDK config, service clients built lazily;
//! - [`interceptor`]: logs every API call (`tracing` target `infra::api`) so calls can be counted;
//! - [`limit`]: each service's HTTP client behind its own adaptive concurrency limit;
//! - [`errors`]: SDK error → `ProviderError` with the AWS code, message and request id;
//! - [`pricing`]: the Price List API (`GetProducts`) for `infra cost refresh-prices`;
//! - [`refresh`]: calls the types of one refresh share (one `DescribeRouteTables` for route tables, routes,
//!   associations and VPCs; one tag sweep; one IAM listing...), made once per refresh;
//! - [`tags`], [`ec2`], [`iam`], [`rds`], [`values`]: the helpers resource types share; [`tagging`]: tags of
//!   many resources in one call (Resource Groups Tagging API) for batched refreshes; [`s3`]: bucket tags and
//!   S3 read-after-write waits; [`efs`]: EFS tags and names; [`ecs`] and [`elbv2`]: those of the ECS and
//!   load balancing types; [`servicediscovery`]: Cloud Map operations and tags;
//! - [`resources`], [`data_sources`] and [`ephemeral`] (ephemeral resource types): one file per type;
//! - [`backend`]: Terraform's `backend "s3"` (also for DigitalOcean Spaces) and OpenTofu's
//!   `key_provider "aws_kms"`, which the binary hands to the engine beside the provider.

pub mod backend;
pub mod client;
pub mod config;
pub mod data_sources;
pub mod ec2;
pub mod ecs;
pub mod efs;
pub mod elbv2;
pub mod ephemeral;
pub mod errors;
pub mod iam;
pub mod interceptor;
pub mod limit;
pub mod pricing;
pub mod rds;
pub mod refresh;
pub mod resend;
pub mod resources;
pub mod s3;
pub mod servicediscovery;
pub mod tagging;
pub mod tags;
pub mod values;

use async_trait::async_trait;
use client::AwsClient;
use infra_provider::{PriceList, Provider, ProviderClient, ProviderSchema, Registry, Result, Value};
use std::sync::Arc;

/// The AWS provider: its schema and the registry of its types.
pub struct AwsProvider {
    registry: Arc<Registry<AwsClient>>,
    schema: ProviderSchema,
}

impl AwsProvider {
    pub fn new() -> AwsProvider {
        let registry = ephemeral::register(data_sources::register(resources::register(Registry::new())))
            .refresh_scope(|c: &AwsClient, r| c.for_refresh(r));
        let schema = registry.schema(config::provider_block());
        AwsProvider {
            registry: Arc::new(registry),
            schema,
        }
    }
}

impl Default for AwsProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn source(&self) -> &'static str {
        "hashicorp/aws"
    }

    fn version(&self) -> &'static str {
        "5.100.0"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<infra_provider::Invalid> {
        self.registry.validate(type_name, config)
    }

    async fn configure(&self, config: &Value) -> Result<Arc<dyn ProviderClient>> {
        let client = config::AwsConfig::from_value(config)?.connect().await?;
        Ok(self.registry.client(client))
    }

    /// The block's `region`, else the region the SDK would take from the environment (`AWS_REGION`,
    /// `AWS_DEFAULT_REGION`), as `configure` does. Profiles in `~/.aws/config` are not read here.
    fn pricing_region(&self, config: &Value) -> Option<String> {
        config
            .get_str("region")
            .map(str::to_string)
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok().filter(|r| !r.is_empty()))
    }

    async fn price_list(&self, config: &Value) -> Result<Option<Arc<dyn PriceList>>> {
        let mut cfg = config::AwsConfig::from_value(config)?;
        // The Price List API checks the credentials itself; no separate GetCallerIdentity.
        cfg.skip_credentials_validation = true;
        Ok(Some(Arc::new(pricing::PriceListApi::new(cfg.connect().await?))))
    }
}

/// The AWS provider, for the engine's provider table.
/// `backend "s3"`: states in S3 (or an S3-compatible service), locked with a lock object.
pub fn s3_backend() -> Arc<dyn infra_backend::BackendType> {
    backend::s3::backend_type()
}

/// `key_provider "aws_kms"`: state and plan encryption keys from AWS KMS.
pub fn kms_key_provider() -> Arc<dyn infra_backend::KeyProviderType> {
    backend::kms::key_provider_type()
}

pub fn provider() -> Arc<dyn Provider> {
    Arc::new(AwsProvider::new())
}
