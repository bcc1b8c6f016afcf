//! The providers a run can use, by local name, and schema lookups over them.
//!
//! The engine never names a concrete provider: the binary (`main.rs`) builds a [`ProviderSet`] from the
//! provider crates and hands it in.

use crate::addrs::{Mode, ResourceAddr};
use infra_provider::{Provider, Schema};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct ProviderSet {
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl ProviderSet {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> ProviderSet {
        ProviderSet {
            providers: providers.into_iter().map(|p| (p.name().to_string(), p)).collect(),
        }
    }
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }
    pub fn names(&self) -> Vec<&str> {
        self.providers.keys().map(String::as_str).collect()
    }
    /// The schema of a resource type or data source, by the provider that serves it.
    pub fn schema(&self, provider: &str, addr: &ResourceAddr) -> Result<&Schema, String> {
        let p = self.get(provider).ok_or_else(|| {
            format!(
                "infra has no provider named {provider:?} (available: {}).",
                self.names().join(", ")
            )
        })?;
        let (map, what) = match addr.mode {
            Mode::Managed => (&p.schema().resources, "resource type"),
            Mode::Data => (&p.schema().data_sources, "data source"),
            Mode::Ephemeral => (&p.schema().ephemeral_resources, "ephemeral resource type"),
        };
        map.get(&addr.type_name).ok_or_else(|| {
            let hint = crate::lang::eval::suggest(&addr.type_name, map.keys().map(String::as_str))
                .map(|k| format!(" Did you mean {k:?}?"))
                .unwrap_or_default();
            format!(
                "infra does not support the {what} {:?} yet (its {provider} provider implements {} {what}s; the README lists them).{hint}",
                addr.type_name,
                map.len()
            )
        })
    }
}
