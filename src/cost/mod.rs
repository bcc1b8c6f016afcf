//! # Offline cost estimation
//!
//! `infra cost` and the last line of `infra plan` come from here. The engine hands over resources (planned or
//! from state) as [`PricedResource`] values; this module prices them from a catalog bundled in the binary, with
//! no network access, and renders the result.
//!
//! - [`Catalog`] (`catalog`): list prices with unit, currency, source and date, per AWS region and for
//!   DigitalOcean, from the repository's `prices/` directory (format in `prices/README.md`).
//! - [`Usage`] (`usage`): Infracost-style YAML giving the monthly quantities configuration cannot hold
//!   (GB stored, GB processed, requests).
//! - [`estimate()`] (`estimate`): prices resources into an [`Estimate`] → [`ResourceCost`] (with a
//!   [`Status`]: priced, free, not priced with a reason, or unknown until apply) → [`Component`] (quantity, unit
//!   price, monthly cost, and the [`PriceRef`] of the catalog entry it came from). Money is [`Money`]: exact
//!   decimals rounded to the cent per component, so totals equal the sum of their lines.
//! - `resources`: one price model per resource type (Terraform type and attribute names), and the list of
//!   free types.
//! - [`render_table`], [`render_markdown`], [`to_json`] (`render`): one or several environments side by side.
//! - [`delta()`] (`delta`): before/after totals for `infra plan` ("Monthly cost will change by +$24.00 (from
//!   $15.00 to $39.00)").
//! - `refresh`: `infra cost refresh-prices` — [`refresh::refresh_catalog`] asks the providers' price lists
//!   (AWS Price List `GetProducts`, DigitalOcean `GET /v2/sizes`; the HTTP calls belong to the provider crates,
//!   behind [`infra_provider::PriceList`]) and rebuilds every catalog file with pure conversions.
//!
//! ## What the engine passes
//! A [`PricedResource`] holds the resource's address, its Terraform type, its provider (`"aws"` or
//! `"digitalocean"`), the AWS provider's region (DigitalOcean resources carry their region as an attribute),
//! and its attributes as a [`Value`] object with Terraform's attribute names: nested blocks as lists of
//! objects (`network_configuration[0]`), values known only after apply as [`Value::Unknown`].
//!
//! One addition: an `aws_ecs_service` is sized by the task definition it references, so the engine adds the
//! referenced `aws_ecs_task_definition`'s attributes to the service's attributes under the key
//! `task_definition_resolved` (an object: `cpu`, `memory`, `runtime_platform`, `ephemeral_storage`,
//! `requires_compatibilities`, as Terraform stores them). Without it the service is priced as unknown.

pub mod assemble;
pub mod catalog;
pub mod delta;
pub mod error;
pub mod estimate;
pub mod money;
pub mod refresh;
pub mod render;
pub mod resources;
pub mod usage;

pub use catalog::{Catalog, CatalogFile, PriceEntry, PriceSource, PriceTable};
pub use delta::{CostDelta, ResourceDelta, delta};
pub use error::CostError;
pub use estimate::{Component, Estimate, HOURS_PER_MONTH, PriceRef, ProviderTotal, ResourceCost, Status, estimate};
pub use money::Money;
pub use render::{render_markdown, render_table, to_json};
pub use usage::Usage;

use infra_provider::Value;

/// One resource instance to price: its attributes as planned or as in state (Terraform attribute names).
#[derive(Clone, Debug, PartialEq)]
pub struct PricedResource {
    /// The resource address, e.g. `module.app.aws_ecs_service.web[0]`.
    pub address: String,
    /// The Terraform resource type, e.g. `aws_ecs_service`.
    pub type_name: String,
    /// `"aws"` or `"digitalocean"`.
    pub provider: String,
    /// The provider's region (AWS); `None` for DigitalOcean (region is an attribute).
    pub region: Option<String>,
    /// The resource's attributes (an object). See the module documentation.
    pub attrs: Value,
}

impl PricedResource {
    /// An AWS resource in `region`.
    pub fn aws(address: &str, region: &str, attrs: Value) -> PricedResource {
        PricedResource {
            address: address.to_string(),
            type_name: type_of(address),
            provider: "aws".to_string(),
            region: Some(region.to_string()),
            attrs,
        }
    }

    /// A DigitalOcean resource.
    pub fn digitalocean(address: &str, attrs: Value) -> PricedResource {
        PricedResource {
            address: address.to_string(),
            type_name: type_of(address),
            provider: "digitalocean".to_string(),
            region: None,
            attrs,
        }
    }
}

fn type_of(address: &str) -> String {
    usage::type_of_address(address).unwrap_or_default()
}
