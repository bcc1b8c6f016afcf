//! The result of pricing: [`Estimate`] → [`ResourceCost`] → [`Component`], and [`estimate`] that builds it.
//!
//! Every resource given to [`estimate`] appears in the result with a [`Status`]:
//! - `Priced`: its components carry quantities and prices; its monthly cost is their sum.
//! - `Free`: the type costs nothing by itself (a VPC, a security group, a task definition priced through its
//!   service...).
//! - `NotPriced(reason)`: the cost model cannot price it (no model for the type, a size the catalog does not
//!   list, an option not modelled); it counts for $0.00 and the reason says why. Never dropped.
//! - `Unknown(reason)`: an attribute a component depends on is known only after apply (e.g. `instance_class`
//!   computed from another resource); the components that could be priced are kept and counted, the reason
//!   names what is missing. Never a silent zero.
//!
//! A [`Component`] is one line of a bill: a name, a unit, a quantity per month (or `None` for a usage-based
//! component the usage file does not give), the unit price and the catalog entry it came from ([`PriceRef`]:
//! key, file, source, date). Monthly costs are rounded to the cent per component; every total is the sum of
//! those rounded amounts, so it always equals the sum of its lines.
//!
//! Months: AWS prices per hour are multiplied by [`HOURS_PER_MONTH`] (730). DigitalOcean prices are monthly
//! already (DigitalOcean bills hourly up to a cap of 672 hours, which is its `price_monthly`).

use super::PricedResource;
use super::catalog::{Catalog, PriceEntry, PriceTable};
use super::error::CostError;
use super::money::Money;
use super::resources::{self, Kind};
use super::usage::{Quantities, Usage};
use infra_provider::Value;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// Hours in a month for hourly AWS prices (365 × 24 / 12).
pub const HOURS_PER_MONTH: i64 = 730;

/// The cost of a set of resources (one environment). See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// One entry per resource given, in the order given.
    pub resources: Vec<ResourceCost>,
    /// Monthly totals per provider, by provider name.
    pub providers: Vec<ProviderTotal>,
    /// Monthly total of every resource.
    pub total: Money,
}

/// The monthly total of one provider's resources.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderTotal {
    pub provider: String,
    pub monthly: Money,
}

/// One resource's cost. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceCost {
    pub address: String,
    pub type_name: String,
    pub provider: String,
    /// The AWS region priced in (`None` for DigitalOcean).
    pub region: Option<String>,
    pub status: Status,
    pub components: Vec<Component>,
    /// The sum of the components' monthly costs (usage-based components without quantity count for nothing).
    pub monthly: Money,
    /// Assumptions the model made (e.g. an optional attribute known only after apply, priced as its default).
    pub notes: Vec<String>,
}

/// How far a resource could be priced. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Priced,
    Free,
    NotPriced(String),
    Unknown(String),
}

impl Status {
    /// `priced`, `free`, `not_priced` or `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            Status::Priced => "priced",
            Status::Free => "free",
            Status::NotPriced(_) => "not_priced",
            Status::Unknown(_) => "unknown",
        }
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            Status::NotPriced(r) | Status::Unknown(r) => Some(r),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Priced => write!(f, "priced"),
            Status::Free => write!(f, "free"),
            Status::NotPriced(r) => write!(f, "not priced: {r}"),
            Status::Unknown(r) => write!(f, "unknown: {r}"),
        }
    }
}

/// One line of a resource's bill. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// Stable within the resource type (`instance`, `storage`, `iops`...), to line up environments.
    pub id: String,
    /// For people: what is charged, with the details that set the price (class, type, counts).
    pub name: String,
    /// The unit of `quantity` and `unit_price` (from the catalog entry).
    pub unit: String,
    /// Units per month; `None` for a usage-based component without a usage figure.
    pub quantity: Option<Decimal>,
    pub unit_price: Decimal,
    /// `quantity × unit_price` rounded to the cent; `None` when the quantity is.
    pub monthly: Option<Money>,
    /// The usage file key that gives the quantity, for usage-based components.
    pub usage_key: Option<String>,
    pub price: PriceRef,
}

/// Where a component's price came from: the catalog entry, traceable by key, file, source and date.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceRef {
    pub key: String,
    /// The catalog file, e.g. `prices/aws/us-east-1.json`.
    pub file: String,
    /// How the price is selected at its source (Price List filters, DigitalOcean slug) or the page.
    pub source: String,
    pub url: String,
    pub read_on: String,
    pub note: Option<String>,
}

impl Estimate {
    /// The resource with this address.
    pub fn resource(&self, address: &str) -> Option<&ResourceCost> {
        self.resources.iter().find(|r| r.address == address)
    }
    /// The monthly total of one provider ($0.00 when it has no resources).
    pub fn provider_total(&self, provider: &str) -> Money {
        self.providers
            .iter()
            .find(|p| p.provider == provider)
            .map(|p| p.monthly)
            .unwrap_or(Money::ZERO)
    }
    /// How many resources are only partly priced because of values known after apply.
    pub fn unknown_count(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| matches!(r.status, Status::Unknown(_)))
            .count()
    }
    /// How many resources could not be priced.
    pub fn not_priced_count(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| matches!(r.status, Status::NotPriced(_)))
            .count()
    }
}

/// Prices resources with a catalog and usage. Errors only for input the user must fix (an AWS region the
/// catalog does not have, a missing region); everything else is reported per resource.
pub fn estimate(catalog: &Catalog, usage: &Usage, resources: &[PricedResource]) -> Result<Estimate, CostError> {
    let mut out = Vec::with_capacity(resources.len());
    for r in resources {
        out.push(price_one(catalog, usage, r)?);
    }
    let mut providers: Vec<ProviderTotal> = Vec::new();
    for r in &out {
        match providers.iter_mut().find(|p| p.provider == r.provider) {
            Some(p) => p.monthly += r.monthly,
            None => providers.push(ProviderTotal {
                provider: r.provider.clone(),
                monthly: r.monthly,
            }),
        }
    }
    providers.sort_by(|a, b| a.provider.cmp(&b.provider));
    let total = out.iter().map(|r| r.monthly).sum();
    Ok(Estimate {
        resources: out,
        providers,
        total,
    })
}

fn price_one(catalog: &Catalog, usage: &Usage, r: &PricedResource) -> Result<ResourceCost, CostError> {
    let base = |status: Status| ResourceCost {
        address: r.address.clone(),
        type_name: r.type_name.clone(),
        provider: r.provider.clone(),
        region: if r.provider == "aws" { r.region.clone() } else { None },
        status,
        components: Vec::new(),
        monthly: Money::ZERO,
        notes: Vec::new(),
    };
    let model = match resources::lookup(&r.type_name) {
        Some(Kind::Free) => return Ok(base(Status::Free)),
        Some(Kind::Priced(m)) => m,
        None => return Ok(base(Status::NotPriced(format!("{} has no price model", r.type_name)))),
    };
    let table = match r.provider.as_str() {
        "aws" => {
            let region = r.region.as_deref().ok_or_else(|| CostError::MissingRegion {
                address: r.address.clone(),
            })?;
            catalog.aws(region).ok_or_else(|| CostError::UnknownRegion {
                address: r.address.clone(),
                region: region.to_string(),
                available: catalog.aws_regions(),
            })?
        }
        "digitalocean" => match catalog.digitalocean() {
            Some(t) => t,
            None => return Ok(base(Status::NotPriced("the catalog has no DigitalOcean prices".into()))),
        },
        other => {
            return Ok(base(Status::NotPriced(format!(
                "no price catalog for provider {other:?}"
            ))));
        }
    };
    let mut p = Pricer {
        attrs: &r.attrs,
        table,
        usage: usage.for_resource(&r.address, &r.type_name),
        components: Vec::new(),
        unknown: Vec::new(),
        missing: Vec::new(),
        not_priced: None,
        free: None,
        notes: Vec::new(),
    };
    (model.price)(&mut p);
    let mut out = base(Status::Priced);
    out.notes = p.notes;
    if let Some(reason) = p.not_priced {
        out.status = Status::NotPriced(reason);
    } else if !p.missing.is_empty() {
        out.status = Status::NotPriced(format!("{} has no price for {}", table.file(), p.missing.join(", ")));
    } else if let (Some(note), true) = (p.free, p.components.is_empty()) {
        out.status = Status::Free;
        out.notes.push(note);
    } else {
        if !p.unknown.is_empty() {
            out.status = Status::Unknown(format!("{} known only after apply", p.unknown.join(", ")));
        }
        out.monthly = p.components.iter().filter_map(|c| c.monthly).sum();
        out.components = p.components;
    }
    Ok(out)
}

/// An attribute as the cost model sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attr<'a> {
    Null,
    Unknown,
    Known(&'a Value),
}

/// What a resource model works with: the resource's attributes, its price table and usage, and the
/// components it adds. Every lookup that fails is recorded so the resource's [`Status`] says why.
pub(crate) struct Pricer<'a> {
    attrs: &'a Value,
    table: &'a PriceTable,
    usage: Quantities,
    components: Vec<Component>,
    unknown: Vec<String>,
    missing: Vec<String>,
    not_priced: Option<String>,
    free: Option<String>,
    notes: Vec<String>,
}

impl<'a> Pricer<'a> {
    /// An attribute by a dotted path; numeric steps index lists (`network_configuration.0.assign_public_ip`).
    pub fn get(&self, path: &str) -> Attr<'a> {
        let mut cur = self.attrs;
        for step in path.split('.') {
            let next = match cur.unmark_shallow().0 {
                Value::Unknown => return Attr::Unknown,
                Value::Map(m) => m.get(step),
                Value::List(items) | Value::Set(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(v) => cur = v,
                None => return Attr::Null,
            }
        }
        let v = cur.unmark_shallow().0;
        match v {
            Value::Null => Attr::Null,
            Value::Unknown => Attr::Unknown,
            _ => Attr::Known(v),
        }
    }

    /// A required string: records "unknown" or "not set" and returns `None` when there is none.
    pub fn str_req(&mut self, path: &str) -> Option<&'a str> {
        match self.get(path) {
            Attr::Known(v) => match v.as_str() {
                Some(s) => Some(s),
                None => {
                    self.not_priced(format!("{path} is not a string"));
                    None
                }
            },
            Attr::Unknown => {
                self.unknown(path);
                None
            }
            Attr::Null => {
                self.not_priced(format!("{path} is not set"));
                None
            }
        }
    }

    /// An optional string with a documented default. Unknown is priced as the default too: an optional
    /// attribute known only after apply is, in practice, one the configuration leaves unset (an unset
    /// optional + computed attribute is unknown on create).
    pub fn str_or(&mut self, path: &str, default: &'a str) -> &'a str {
        match self.get(path) {
            Attr::Known(v) => v.as_str().unwrap_or(default),
            Attr::Null | Attr::Unknown => default,
        }
    }

    /// Like [`Pricer::str_or`], but an unknown value adds a note: for defaults that are a guess worth showing.
    pub fn str_or_noted(&mut self, path: &str, default: &'a str) -> &'a str {
        if matches!(self.get(path), Attr::Unknown) {
            self.note(format!(
                "{path} is known only after apply; priced as the default {default}"
            ));
        }
        self.str_or(path, default)
    }

    /// A required number (numbers written as strings, like a task definition's `"1024"`, are read too).
    pub fn num_req(&mut self, path: &str) -> Option<Decimal> {
        match self.get(path) {
            Attr::Known(v) => match number(v) {
                Some(n) => Some(n),
                None => {
                    self.not_priced(format!("{path} is not a number"));
                    None
                }
            },
            Attr::Unknown => {
                self.unknown(path);
                None
            }
            Attr::Null => {
                self.not_priced(format!("{path} is not set"));
                None
            }
        }
    }

    /// A number when known and set, else `None` (no record).
    pub fn num_opt(&self, path: &str) -> Option<Decimal> {
        match self.get(path) {
            Attr::Known(v) => number(v),
            _ => None,
        }
    }

    /// An optional number whose unknown value cannot be assumed (it is not computed): unknown is recorded.
    pub fn num_or_unknown(&mut self, path: &str, default: Decimal) -> Option<Decimal> {
        match self.get(path) {
            Attr::Known(v) => number(v).or(Some(default)),
            Attr::Null => Some(default),
            Attr::Unknown => {
                self.unknown(path);
                None
            }
        }
    }

    /// An optional bool with a documented default (unknown priced as the default, see [`Pricer::str_or`]).
    pub fn bool_or(&mut self, path: &str, default: bool) -> bool {
        match self.get(path) {
            Attr::Known(v) => v.as_bool().unwrap_or(default),
            Attr::Null | Attr::Unknown => default,
        }
    }

    /// The number of elements of a list/set attribute (`Some(0)` when null); unknown is recorded.
    pub fn count(&mut self, path: &str) -> Option<usize> {
        match self.get(path) {
            Attr::Known(v) => Some(v.as_list().map(<[Value]>::len).unwrap_or(0)),
            Attr::Null => Some(0),
            Attr::Unknown => {
                self.unknown(path);
                None
            }
        }
    }

    /// The catalog entry for `key`; a missing one is recorded (the resource becomes "not priced").
    pub fn entry(&mut self, key: &str) -> Option<&'a PriceEntry> {
        let table: &'a PriceTable = self.table;
        let e = table.get(key);
        if e.is_none() && !self.missing.iter().any(|m| m == key) {
            self.missing.push(key.to_string());
        }
        e
    }

    /// A component whose monthly quantity is known.
    pub fn fixed(&mut self, id: &str, name: impl Into<String>, key: &str, quantity: Decimal) {
        if let Some(e) = self.entry(key) {
            let c = component(self.table, e, id, name.into(), Some(quantity), None);
            self.components.push(c);
        }
    }

    /// An hourly component running all month: `count × 730` hours.
    pub fn hourly(&mut self, id: &str, name: impl Into<String>, key: &str, count: Decimal) {
        self.fixed(id, name, key, count * Decimal::from(HOURS_PER_MONTH));
    }

    /// A usage-based component: quantity = usage figure × `scale`, or none without a usage figure.
    pub fn usage(&mut self, id: &str, name: impl Into<String>, key: &str, usage_key: &str, scale: Decimal) {
        let q = self.usage.get(usage_key).map(|u| *u * scale);
        if let Some(e) = self.entry(key) {
            let c = component(self.table, e, id, name.into(), q, Some(usage_key.to_string()));
            self.components.push(c);
        }
    }

    /// A usage-based component whose quantity has a default the model derived from the configuration (e.g.
    /// the invocations a schedule expression makes): the usage figure when the usage file gives one, else
    /// `default`.
    pub fn usage_or(&mut self, id: &str, name: impl Into<String>, key: &str, usage_key: &str, default: Decimal) {
        let q = self.usage.get(usage_key).copied().unwrap_or(default);
        if let Some(e) = self.entry(key) {
            let c = component(self.table, e, id, name.into(), Some(q), Some(usage_key.to_string()));
            self.components.push(c);
        }
    }

    /// The usage file's figure for `usage_key`, if it gives one.
    pub fn usage_value(&self, usage_key: &str) -> Option<Decimal> {
        self.usage.get(usage_key).copied()
    }

    /// Records that `what` is known only after apply.
    pub fn unknown(&mut self, what: &str) {
        if !self.unknown.iter().any(|u| u == what) {
            self.unknown.push(what.to_string());
        }
    }

    /// The resource cannot be priced (first reason wins).
    pub fn not_priced(&mut self, reason: impl Into<String>) {
        if self.not_priced.is_none() {
            self.not_priced = Some(reason.into());
        }
    }

    /// The resource costs nothing by itself (when it has no components).
    pub fn free(&mut self, note: impl Into<String>) {
        self.free = Some(note.into());
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

fn component(
    table: &PriceTable,
    e: &PriceEntry,
    id: &str,
    name: String,
    quantity: Option<Decimal>,
    usage_key: Option<String>,
) -> Component {
    let quantity = quantity.map(|q| q.normalize());
    Component {
        id: id.to_string(),
        name,
        unit: e.unit.clone(),
        quantity,
        unit_price: e.price,
        monthly: quantity.map(|q| Money::round(q * e.price)),
        usage_key,
        price: PriceRef {
            key: e.key.clone(),
            file: table.file().to_string(),
            source: e.source.describe(),
            url: e.source.url.clone(),
            read_on: e.read_on.clone(),
            note: e.note.clone(),
        },
    }
}

/// A number attribute; strings holding a number are accepted (ECS task definitions keep cpu/memory as strings).
fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::try_from(n.as_f64()).ok().map(|d| d.normalize()),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        Value::Sensitive(inner) => number(inner),
        _ => None,
    }
}

/// Formats a decimal for people: no trailing zeros, thousands separators (`5,110`, `0.25`).
pub(crate) fn fmt_quantity(d: Decimal) -> String {
    super::money::group_thousands(&d.normalize().to_string())
}
