//! Tests of the offline cost estimation (`infra::cost`): per-type price models against hand-computed figures,
//! the acceptance scenarios, rendering snapshots, usage files and bad input.

mod cost {
    pub mod acceptance;
    pub mod models;
    pub mod render;
}

use infra::cost::{Catalog, Estimate, PricedResource, ResourceCost, Status, Usage, estimate};
use infra_provider::Value;

pub fn s(v: &str) -> Value {
    Value::string(v)
}

pub fn n(v: f64) -> Value {
    Value::number(v)
}

pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

/// A one-element list of one object: how Terraform stores a single nested block.
pub fn block(pairs: &[(&str, Value)]) -> Value {
    Value::List(vec![obj(pairs)])
}

pub fn aws(address: &str, attrs: Value) -> PricedResource {
    PricedResource::aws(address, "us-east-1", attrs)
}

pub fn dio(address: &str, attrs: Value) -> PricedResource {
    PricedResource::digitalocean(address, attrs)
}

pub fn estimate_with(usage: &Usage, resources: &[PricedResource]) -> Estimate {
    let e = estimate(&Catalog::bundled(), usage, resources).unwrap();
    check_sums(&e);
    e
}

pub fn est(resources: &[PricedResource]) -> Estimate {
    estimate_with(&Usage::empty(), resources)
}

pub fn one(resource: PricedResource) -> ResourceCost {
    est(&[resource]).resources.remove(0)
}

pub fn usage(yaml: &str) -> Usage {
    Usage::parse(std::path::Path::new("infra-usage.yml"), yaml).unwrap()
}

/// `(component name, monthly cost)` lines; a usage-based component without a figure shows `usage?`.
pub fn lines(r: &ResourceCost) -> Vec<(String, String)> {
    r.components
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.monthly
                    .map(|m| m.to_plain_string())
                    .unwrap_or_else(|| "usage?".into()),
            )
        })
        .collect()
}

pub fn line(name: &str, monthly: &str) -> (String, String) {
    (name.to_string(), monthly.to_string())
}

/// Totals equal the sum of their lines, to the cent, at every level.
pub fn check_sums(e: &Estimate) {
    let mut total = infra::cost::Money::ZERO;
    for r in &e.resources {
        let sum: infra::cost::Money = r.components.iter().filter_map(|c| c.monthly).sum();
        assert_eq!(r.monthly, sum, "{}", r.address);
        if matches!(r.status, Status::Free | Status::NotPriced(_)) {
            assert!(r.monthly.is_zero(), "{}", r.address);
        }
        total += r.monthly;
    }
    assert_eq!(e.total, total);
    let by_provider: infra::cost::Money = e.providers.iter().map(|p| p.monthly).sum();
    assert_eq!(e.total, by_provider);
}

/// The cost model prices only what infra can manage: every priced or free type is a resource type of a
/// provider built into the binary (a model for any other type would price a plan infra refuses).
#[cfg(all(feature = "aws", feature = "digitalocean"))]
#[test]
fn every_type_the_cost_model_knows_is_one_infra_manages() {
    let providers = [infra_aws::provider(), infra_digitalocean::provider()];
    let manages = |t: &str| providers.iter().any(|p| p.schema().resources.contains_key(t));
    let mut unmanaged: Vec<&str> = infra::cost::resources::MODELS
        .iter()
        .map(|m| m.type_name)
        .chain(infra::cost::resources::FREE.iter().copied())
        .filter(|t| !manages(t))
        .collect();
    unmanaged.sort();
    assert!(
        unmanaged.is_empty(),
        "cost models for types infra cannot manage: {unmanaged:?}"
    );
    // And every type a provider manages is priced or known to be free (a prefix counts).
    let mut unknown: Vec<String> = providers
        .iter()
        .flat_map(|p| p.schema().resources.keys().cloned().collect::<Vec<_>>())
        .filter(|t| infra::cost::resources::usage_keys(t).is_none())
        .collect();
    unknown.sort();
    assert!(
        unknown.is_empty(),
        "managed types the cost model does not know: {unknown:?}"
    );
}
