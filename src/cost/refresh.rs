//! Rebuilding the catalog from the providers' pricing APIs: pure conversions, no HTTP.
//!
//! A future `infra cost refresh-prices` fetches (in the provider crates) and calls these:
//! - AWS: for each catalog entry, `GetProducts` with the entry's service code and its filters as `TERM_MATCH`
//!   filters ([`aws_query`]); [`parse_get_products`] reads a response (whose `PriceList` items are JSON
//!   documents encoded as strings), and [`refresh_aws_entry`] / [`refresh_aws_file`] select the one product that
//!   matches every filter and take the price of its on-demand dimension starting at 0. The Price List unit
//!   must agree with the catalog unit ([`unit_matches`]) so that a per-hour price never lands in a per-month
//!   slot.
//! - DigitalOcean: [`do_size_entries`] turns a `GET /v2/sizes` response into `droplet/<slug>` entries
//!   (`price_monthly`, with `price_hourly`, vCPUs, memory and disk as attributes); [`refresh_do_file`] replaces
//!   the size entries of the DigitalOcean file and keeps the rest (database nodes, volumes, load balancers,
//!   backups), which that API does not serve.
//!
//! Errors name the catalog key and what did not fit ([`CostError::Refresh`]).

use super::catalog::{CURRENCY, CatalogFile, DoSelector, PriceEntry, PriceSource};
use super::error::CostError;
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The URL of DigitalOcean's Droplet price list, recorded as the page for size entries.
pub const DO_DROPLET_PRICING_URL: &str = "https://www.digitalocean.com/pricing/droplets";

fn err(message: impl Into<String>) -> CostError {
    CostError::Refresh(message.into())
}

/// The `GetProducts` request for an entry: service code and `(field, value)` `TERM_MATCH` filters.
pub fn aws_query(entry: &PriceEntry) -> Option<(String, Vec<(String, String)>)> {
    let sel = entry.source.aws.as_ref()?;
    Some((
        sel.service_code.clone(),
        sel.filters.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    ))
}

/// Reads a `GetProducts` response body (`{"FormatVersion": "aws_v1", "PriceList": [...], "NextToken": ...}`),
/// whose price list items are JSON documents encoded as strings (objects are accepted too). Returns the
/// products and the next-page token.
pub fn parse_get_products(body: &str) -> Result<(Vec<Json>, Option<String>), CostError> {
    let doc: Json = serde_json::from_str(body).map_err(|e| err(format!("GetProducts response is not JSON: {e}")))?;
    let items = doc
        .get("PriceList")
        .and_then(Json::as_array)
        .ok_or_else(|| err("GetProducts response has no PriceList array"))?;
    let mut products = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        products.push(match item {
            Json::String(s) => {
                serde_json::from_str(s).map_err(|e| err(format!("PriceList item {i} is not a JSON document: {e}")))?
            }
            Json::Object(_) => item.clone(),
            _ => return Err(err(format!("PriceList item {i} is neither a string nor an object"))),
        });
    }
    let next = doc
        .get("NextToken")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok((products, next))
}

fn product_field<'a>(product: &'a Json, field: &str) -> Option<&'a str> {
    let p = product.get("product")?;
    if field == "productFamily" {
        p.get("productFamily")?.as_str()
    } else {
        p.get("attributes")?.get(field)?.as_str()
    }
}

/// True when the product matches every filter (`TERM_MATCH` compares values without regard to case).
pub fn product_matches(product: &Json, service_code: &str, filters: &BTreeMap<String, String>) -> bool {
    let service_ok = match product.get("serviceCode").and_then(Json::as_str) {
        Some(s) => s == service_code,
        None => true,
    };
    service_ok
        && filters
            .iter()
            .all(|(k, v)| product_field(product, k).is_some_and(|a| a.eq_ignore_ascii_case(v)))
}

/// The on-demand price of a product: `(price per unit in USD, Price List unit, SKU)` of the dimension that
/// starts at 0 (the first tier).
pub fn on_demand_price(product: &Json) -> Result<(Decimal, String, String), CostError> {
    let sku = product
        .pointer("/product/sku")
        .and_then(Json::as_str)
        .unwrap_or("?")
        .to_string();
    let terms = product
        .pointer("/terms/OnDemand")
        .and_then(Json::as_object)
        .ok_or_else(|| err(format!("product {sku} has no on-demand terms")))?;
    if terms.len() != 1 {
        return Err(err(format!(
            "product {sku} has {} on-demand terms, expected one",
            terms.len()
        )));
    }
    let term = terms.values().next().expect("one term");
    let dims = term
        .get("priceDimensions")
        .and_then(Json::as_object)
        .ok_or_else(|| err(format!("product {sku} has no price dimensions")))?;
    let dim = if dims.len() == 1 {
        dims.values().next()
    } else {
        dims.values()
            .find(|d| d.get("beginRange").and_then(Json::as_str) == Some("0"))
    }
    .ok_or_else(|| err(format!("product {sku} has no price dimension starting at 0")))?;
    let usd = dim
        .pointer("/pricePerUnit/USD")
        .and_then(Json::as_str)
        .ok_or_else(|| err(format!("product {sku} has no USD price")))?;
    let price = Decimal::from_str(usd)
        .map_err(|e| err(format!("product {sku}: price {usd:?}: {e}")))?
        .normalize();
    let unit = dim.get("unit").and_then(Json::as_str).unwrap_or("").to_string();
    Ok((price, unit, sku))
}

/// Whether a Price List unit (e.g. `Hrs`, `GB-Mo`) is the catalog unit (e.g. `hour`, `GB-month`).
pub fn unit_matches(catalog_unit: &str, price_list_unit: &str) -> bool {
    let accepted: &[&str] = match catalog_unit {
        "hour" => &["Hrs", "Hours", "Hour"],
        "vCPU-hour" => &["hours", "Hrs", "vCPU-Hours"],
        "GB-hour" => &["GB-Hours", "hours", "Hrs"],
        "GB-month" => &["GB-Mo", "GB-Month"],
        "IOPS-month" => &["IOPS-Mo", "IOPS-Month"],
        "MBps-month" => &["MiBps-Mo", "MBps-Mo", "MBPS-Mo"],
        "GB" => &["GB"],
        "LCU-hour" => &["LCU-Hrs"],
        "NLCU-hour" => &["NLCU-Hrs", "LCU-Hrs"],
        "request" => &["Requests", "Request", "API Requests"],
        "secret-month" => &["Secrets", "Secret-Mo", "Mo"],
        "parameter-month" => &["Parameters", "Parameter-Mo", "Mo"],
        _ => &[],
    };
    accepted.iter().any(|u| u.eq_ignore_ascii_case(price_list_unit))
}

/// The entry with the price of the one product among `products` that matches its selector.
pub fn refresh_aws_entry(entry: &PriceEntry, products: &[Json], read_on: &str) -> Result<PriceEntry, CostError> {
    let sel = entry
        .source
        .aws
        .as_ref()
        .ok_or_else(|| err(format!("{}: no Price List selector", entry.key)))?;
    let found: Vec<&Json> = products
        .iter()
        .filter(|p| product_matches(p, &sel.service_code, &sel.filters))
        .collect();
    let product = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(err(format!(
                "{}: no {} product matches the filters",
                entry.key, sel.service_code
            )));
        }
        many => {
            let skus: Vec<&str> = many
                .iter()
                .filter_map(|p| p.pointer("/product/sku").and_then(Json::as_str))
                .collect();
            return Err(err(format!(
                "{}: {} products match the filters ({})",
                entry.key,
                many.len(),
                skus.join(", ")
            )));
        }
    };
    let (price, unit, sku) = on_demand_price(product).map_err(|e| err(format!("{}: {e}", entry.key)))?;
    if !unit_matches(&entry.unit, &unit) {
        return Err(err(format!(
            "{}: product {sku} is priced per {unit:?}, the catalog entry per {:?}",
            entry.key, entry.unit
        )));
    }
    Ok(PriceEntry {
        price,
        read_on: read_on.to_string(),
        note: None,
        ..entry.clone()
    })
}

/// Refreshes every entry of an AWS catalog file that has a Price List selector; `products` holds the products
/// fetched per service code. Every entry that cannot be refreshed is named in the error.
pub fn refresh_aws_file(
    file: &CatalogFile,
    products: &BTreeMap<String, Vec<Json>>,
    read_on: &str,
) -> Result<CatalogFile, CostError> {
    let mut out = file.clone();
    let mut problems = Vec::new();
    for e in out.entries.iter_mut() {
        let Some(sel) = &e.source.aws else { continue };
        let list = products.get(&sel.service_code).map(Vec::as_slice).unwrap_or(&[]);
        match refresh_aws_entry(e, list, read_on) {
            Ok(new) => *e = new,
            Err(CostError::Refresh(m)) => problems.push(m),
            Err(other) => problems.push(other.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(err(problems.join("; ")))
    }
}

fn json_decimal(v: &Json) -> Option<Decimal> {
    match v {
        Json::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Json::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

/// Catalog entries (`droplet/<slug>`) from a DigitalOcean `GET /v2/sizes` response body.
pub fn do_size_entries(body: &str, read_on: &str) -> Result<Vec<PriceEntry>, CostError> {
    let doc: Json = serde_json::from_str(body).map_err(|e| err(format!("/v2/sizes response is not JSON: {e}")))?;
    let sizes = doc
        .get("sizes")
        .and_then(Json::as_array)
        .ok_or_else(|| err("/v2/sizes response has no sizes array"))?;
    let mut out = Vec::with_capacity(sizes.len());
    for s in sizes {
        let slug = s
            .get("slug")
            .and_then(Json::as_str)
            .ok_or_else(|| err("a size has no slug"))?;
        let mut monthly = s
            .get("price_monthly")
            .and_then(json_decimal)
            .ok_or_else(|| err(format!("size {slug} has no price_monthly")))?;
        if monthly.scale() < 2 {
            monthly.rescale(2);
        }
        let hourly = s
            .get("price_hourly")
            .and_then(json_decimal)
            .map(|d| d.normalize().to_string());
        let vcpus = s.get("vcpus").cloned().unwrap_or(Json::Null);
        let memory = s.get("memory").cloned().unwrap_or(Json::Null);
        let disk = s.get("disk").cloned().unwrap_or(Json::Null);
        let description = s.get("description").and_then(Json::as_str).unwrap_or("").to_string();
        let mut attributes = BTreeMap::new();
        if let Some(h) = hourly {
            attributes.insert("price_hourly".to_string(), Json::String(h));
        }
        attributes.insert("vcpus".to_string(), vcpus.clone());
        attributes.insert("memory_mib".to_string(), memory.clone());
        attributes.insert("disk_gb".to_string(), disk.clone());
        attributes.insert("description".to_string(), Json::String(description.clone()));
        out.push(PriceEntry {
            key: format!("droplet/{slug}"),
            description: format!("Droplet {slug} ({description}, {vcpus} vCPU, {memory} MiB, {disk} GB disk)"),
            unit: "month".to_string(),
            price: monthly,
            currency: CURRENCY.to_string(),
            read_on: read_on.to_string(),
            source: PriceSource {
                url: DO_DROPLET_PRICING_URL.to_string(),
                aws: None,
                digitalocean: Some(DoSelector {
                    api: "GET /v2/sizes".to_string(),
                    slug: slug.to_string(),
                }),
            },
            attributes,
            note: None,
        });
    }
    Ok(out)
}

/// The DigitalOcean catalog file with its `GET /v2/sizes` entries replaced by `sizes_body`'s (in the API's
/// order, where the first old size entry was) and every other entry kept.
pub fn refresh_do_file(file: &CatalogFile, sizes_body: &str, read_on: &str) -> Result<CatalogFile, CostError> {
    let fresh = do_size_entries(sizes_body, read_on)?;
    let from_sizes = |e: &PriceEntry| e.source.digitalocean.as_ref().is_some_and(|d| d.api == "GET /v2/sizes");
    let insert_at = file.entries.iter().position(from_sizes).unwrap_or(0);
    let mut kept: Vec<PriceEntry> = file.entries.iter().filter(|e| !from_sizes(e)).cloned().collect();
    for k in &kept {
        if fresh.iter().any(|f| f.key == k.key) {
            return Err(err(format!(
                "{}: served by /v2/sizes but also kept from the old file",
                k.key
            )));
        }
    }
    let tail = kept.split_off(insert_at.min(kept.len()));
    let mut entries = kept;
    entries.extend(fresh);
    entries.extend(tail);
    Ok(CatalogFile {
        entries,
        ..file.clone()
    })
}
