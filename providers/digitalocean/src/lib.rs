//! # infra-digitalocean: the DigitalOcean provider
//!
//! [`provider`] returns the provider named `digitalocean`. Its resource types and data sources carry the
//! Terraform DigitalOcean provider's type names, arguments, computed attributes and replacement rules, so
//! unchanged `.tf` files work:
//!
//! | type | file |
//! | --- | --- |
//! | `digitalocean_droplet` | [`resources::droplet`] |
//! | `digitalocean_database_cluster` | [`resources::database_cluster`] |
//! | `digitalocean_database_firewall` | [`resources::database_firewall`] |
//! | `digitalocean_database_db` | [`resources::database_db`] |
//! | `digitalocean_database_user` | [`resources::database_user`] |
//! | `digitalocean_firewall` | [`resources::firewall`] |
//! | `digitalocean_vpc` | [`resources::vpc`] |
//! | `digitalocean_project` | [`resources::project`] |
//! | `digitalocean_project_resources` | [`resources::project_resources`] |
//! | `digitalocean_tag` | [`resources::tag`] |
//! | `digitalocean_ssh_key` | [`resources::ssh_key`] |
//! | data `digitalocean_sizes`, `digitalocean_regions`, `digitalocean_vpc` | [`data`] |
//!
//! The provider block takes `token` (sensitive; else `DIGITALOCEAN_TOKEN` or `DIGITALOCEAN_ACCESS_TOKEN`)
//! and `api_endpoint` (else `DIGITALOCEAN_API_URL`, else `https://api.digitalocean.com`). All HTTP goes
//! through [`client::Client`]; [`util`] holds the ownership-tag scheme used for crash safety.

pub mod client;
pub mod data;
pub mod resources;
pub mod util;

use async_trait::async_trait;
use client::{Client, Token};
use infra_provider::{
    Attribute, Block, PriceList, PriceQuery, Provider, ProviderClient, ProviderError, ProviderSchema, Registry, Result,
    Type, Value,
};
use std::sync::{Arc, OnceLock};

/// The default API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://api.digitalocean.com";

/// The DigitalOcean provider.
pub fn provider() -> Arc<dyn Provider> {
    Arc::new(DigitalOcean::new())
}

/// All resource types and data sources, over the configured [`Client`].
pub fn registry() -> Registry<Client> {
    Registry::new()
        .resource(resources::droplet::Droplet)
        .resource(resources::database_cluster::DatabaseCluster)
        .resource(resources::database_firewall::DatabaseFirewall)
        .resource(resources::database_db::DatabaseDb)
        .resource(resources::database_user::DatabaseUser)
        .resource(resources::firewall::Firewall)
        .resource(resources::vpc::Vpc)
        .resource(resources::project::Project)
        .resource(resources::project_resources::ProjectResources)
        .resource(resources::tag::Tag)
        .resource(resources::ssh_key::SshKey)
        .data_source(data::sizes::Sizes)
        .data_source(data::regions::Regions)
        .data_source(data::vpc::VpcData)
}

struct DigitalOcean {
    registry: Arc<Registry<Client>>,
    schema: OnceLock<ProviderSchema>,
}

impl DigitalOcean {
    fn new() -> DigitalOcean {
        DigitalOcean {
            registry: Arc::new(registry()),
            schema: OnceLock::new(),
        }
    }
}

fn provider_block() -> Block {
    Block::new()
        .attr(
            "token",
            Attribute::optional(Type::String)
                .sensitive()
                .describe("API token; else DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"),
        )
        .attr(
            "api_endpoint",
            Attribute::optional(Type::String)
                .describe("API base URL; else DIGITALOCEAN_API_URL, else https://api.digitalocean.com"),
        )
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.trim().is_empty())
}

/// Builds the API client from a provider block (token and endpoint fall back to the environment).
pub fn client_from_config(config: &Value) -> Result<Client> {
    let token = config
        .get_str("token")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| env("DIGITALOCEAN_TOKEN"))
        .or_else(|| env("DIGITALOCEAN_ACCESS_TOKEN"))
        .ok_or_else(|| {
            ProviderError::config("no DigitalOcean API token: set `token` in the provider block, or DIGITALOCEAN_TOKEN")
        })?;
    let endpoint = config
        .get_str("api_endpoint")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| env("DIGITALOCEAN_API_URL"))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(ProviderError::config(format!(
            "api_endpoint {endpoint:?} is not an http(s) URL"
        )));
    }
    Client::new(&endpoint, Token::new(token))
}

#[async_trait]
impl Provider for DigitalOcean {
    fn name(&self) -> &'static str {
        "digitalocean"
    }

    fn source(&self) -> &'static str {
        "digitalocean/digitalocean"
    }

    fn version(&self) -> &'static str {
        "2.55.0"
    }

    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.registry.schema(provider_block()))
    }

    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<infra_provider::Invalid> {
        self.registry.validate(type_name, config)
    }

    async fn configure(&self, config: &Value) -> Result<Arc<dyn ProviderClient>> {
        Ok(self.registry.client(client_from_config(config)?))
    }

    async fn price_list(&self, config: &Value) -> Result<Option<Arc<dyn PriceList>>> {
        Ok(Some(Arc::new(Sizes(client_from_config(config)?))))
    }
}

/// DigitalOcean's price list: `GET /v2/sizes` (Droplet sizes with `price_monthly` and `price_hourly`). The
/// API serves no prices for databases, volumes or load balancers.
struct Sizes(Client);

#[async_trait]
impl PriceList for Sizes {
    async fn products(&self, query: &PriceQuery) -> Result<Vec<serde_json::Value>> {
        if query.service != "sizes" || !query.filters.is_empty() {
            return Err(ProviderError::invalid(format!(
                "DigitalOcean's price list serves `sizes` without filters, not {:?}",
                query.service
            )));
        }
        self.0.list("/v2/sizes", &[], "sizes").await
    }
}
