//! Rebuilding the catalog from the providers' pricing APIs (`infra cost refresh-prices`).
//!
//! [`refresh_catalog`] asks each provider's [`PriceList`] (the HTTP calls live in the provider crates) and
//! rebuilds every file of a catalog with these pure conversions:
//! - AWS: for each catalog entry, `GetProducts` with the entry's service code and its filters as `TERM_MATCH`
//!   filters ([`aws_query`]); [`parse_get_products`] reads a response (whose `PriceList` items are JSON
//!   documents encoded as strings), and [`refresh_aws_entry`] / [`refresh_aws_file`] select the one product that
//!   matches every filter and take the price of its on-demand dimension starting at 0 (or, for a selector with
//!   `first_paid_tier`, the first dimension priced above zero: a free tier is not a list price). The Price
//!   List unit must agree with the catalog unit ([`unit_matches`]) so that a per-hour price never lands in a
//!   per-month slot. A `global` selector (Route 53, whose products have no region) is queried without
//!   `regionCode` and matches a product without one ([`selector_matches`]).
//! - DigitalOcean: [`do_size_entries`] turns a `GET /v2/sizes` response into `droplet/<slug>` entries
//!   (`price_monthly`, with `price_hourly`, vCPUs, memory and disk as attributes); [`refresh_do_file`] replaces
//!   the size entries of the DigitalOcean file and keeps the rest (database nodes, volumes, load balancers,
//!   backups), which that API does not serve.
//!
//! Errors name the catalog key and what did not fit ([`CostError::Refresh`]).

use super::catalog::{AwsSelector, CURRENCY, Catalog, CatalogFile, DoSelector, PriceEntry, PriceSource};
use super::error::CostError;
use futures::stream::{self, StreamExt};
use infra_provider::{PriceList, PriceQuery};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The URL of DigitalOcean's Droplet price list, recorded as the page for size entries.
pub const DO_DROPLET_PRICING_URL: &str = "https://www.digitalocean.com/pricing/droplets";

fn err(message: impl Into<String>) -> CostError {
    CostError::Refresh(message.into())
}

/// The `GetProducts` request for an entry: service code and `(field, value)` `TERM_MATCH` filters. `usagetype`
/// is left out: the catalog writes it without the region prefix (`NatGateway-Hours`, which AWS spells
/// `SAE1-NatGateway-Hours` in sa-east-1 and with or without `USE1-` in us-east-1), so [`product_matches`]
/// matches it on the products the other filters return. A `global` selector's `regionCode` is left out too:
/// the products of a global service (Route 53) have none.
pub fn aws_query(entry: &PriceEntry) -> Option<(String, Vec<(String, String)>)> {
    let sel = entry.source.aws.as_ref()?;
    let filters = sel
        .filters
        .iter()
        .filter(|(k, _)| k.as_str() != "usagetype" && !(sel.global && k.as_str() == "regionCode"));
    Some((
        sel.service_code.clone(),
        filters.map(|(k, v)| (k.clone(), v.clone())).collect(),
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

/// True when the product matches every filter. Values compare without regard to case, like `TERM_MATCH`;
/// a `usagetype` filter also matches the same usage type behind a region prefix (`SAE1-`, `USE1-`, `EU-`).
pub fn product_matches(product: &Json, service_code: &str, filters: &BTreeMap<String, String>) -> bool {
    let service_ok = match product.get("serviceCode").and_then(Json::as_str) {
        Some(s) => s == service_code,
        None => true,
    };
    service_ok
        && filters.iter().all(|(k, v)| {
            product_field(product, k)
                .is_some_and(|a| a.eq_ignore_ascii_case(v) || (k == "usagetype" && has_region_prefix(a, v)))
        })
}

/// True when the product matches an entry's selector: [`product_matches`] on its filters, except that a
/// `global` selector's `regionCode` also accepts a product without a `regionCode` attribute (or an empty one).
pub fn selector_matches(product: &Json, sel: &AwsSelector) -> bool {
    if !sel.global {
        return product_matches(product, &sel.service_code, &sel.filters);
    }
    let has_region = product_field(product, "regionCode").is_some_and(|r| !r.is_empty());
    let filters: BTreeMap<String, String> = sel
        .filters
        .iter()
        .filter(|(k, _)| has_region || k.as_str() != "regionCode")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    product_matches(product, &sel.service_code, &filters)
}

/// `SAE1-NatGateway-Hours` is `NatGateway-Hours` behind the region prefix `SAE1`.
fn has_region_prefix(actual: &str, wanted: &str) -> bool {
    match actual.split_once('-') {
        Some((prefix, rest)) => {
            (2..=5).contains(&prefix.len())
                && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && rest.eq_ignore_ascii_case(wanted)
        }
        None => false,
    }
}

/// The on-demand price of a product: `(price per unit in USD, Price List unit, SKU)` of the dimension that
/// starts at 0 (the first tier).
pub fn on_demand_price(product: &Json) -> Result<(Decimal, String, String), CostError> {
    on_demand_price_of_tier(product, false)
}

/// Like [`on_demand_price`]; with `first_paid`, the dimension with the lowest `beginRange` among those priced
/// above zero (the first tier after a free tier).
pub fn on_demand_price_of_tier(product: &Json, first_paid: bool) -> Result<(Decimal, String, String), CostError> {
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
    let usd_of = |d: &Json| {
        d.pointer("/pricePerUnit/USD")
            .and_then(Json::as_str)
            .and_then(|u| Decimal::from_str(u).ok())
    };
    let dim = if first_paid {
        let begin = |d: &Json| {
            d.get("beginRange")
                .and_then(Json::as_str)
                .and_then(|b| Decimal::from_str(b).ok())
                .unwrap_or(Decimal::MAX)
        };
        dims.values()
            .filter(|d| usd_of(d).is_some_and(|u| u > Decimal::ZERO))
            .min_by_key(|d| begin(d))
            .ok_or_else(|| err(format!("product {sku} has no price dimension above zero")))?
    } else if dims.len() == 1 {
        dims.values().next().expect("one dimension")
    } else {
        dims.values()
            .find(|d| d.get("beginRange").and_then(Json::as_str) == Some("0"))
            .ok_or_else(|| err(format!("product {sku} has no price dimension starting at 0")))?
    };
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
        "request" => &["Requests", "Request", "API Requests", "CloudMapAPICall"],
        "secret-month" => &["Secrets", "Secret-Mo", "Mo"],
        "parameter-month" => &["Parameters", "Parameter-Mo", "Mo"],
        "alarm-metric-month" => &["Alarms", "Alarm"],
        "hosted-zone-month" => &["HostedZone", "HostedZones", "Hosted Zone"],
        "resource-month" => &["CloudMapResource", "Resources", "Resource-Month"],
        "query" => &["Queries", "Query"],
        "invocation" => &["Invocations", "Invocation"],
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
    let found: Vec<&Json> = products.iter().filter(|p| selector_matches(p, sel)).collect();
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
    let (price, unit, sku) = on_demand_price_of_tier(product, sel.first_paid_tier).map_err(|e| match e {
        CostError::Refresh(m) => err(format!("{}: {m}", entry.key)),
        other => err(format!("{}: {other}", entry.key)),
    })?;
    if !unit_matches(&entry.unit, &unit) {
        return Err(err(format!(
            "{}: product {sku} is priced per {unit:?}, the catalog entry per {:?}",
            entry.key, entry.unit
        )));
    }
    Ok(PriceEntry {
        // An unchanged price keeps the catalog's writing ("0.10", where AWS writes "0.1000000000").
        price: if price == entry.price { entry.price } else { price },
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

/// How many Price List queries run at once.
const CONCURRENT_QUERIES: usize = 8;

/// One rebuilt catalog file: its place in the catalog layout (`aws/us-east-1.json`), its new content, and
/// the keys whose price changed (old, new).
#[derive(Debug)]
pub struct RefreshedFile {
    pub name: String,
    pub file: CatalogFile,
    pub entries: usize,
    pub changed: Vec<(String, Decimal, Decimal)>,
}

/// Rebuilds every file of `catalog` from the price lists given (`None`: that provider's files are kept as
/// they are and not returned). AWS entries are asked one `GetProducts` query each (service code and the
/// entry's filters), a few at a time; DigitalOcean sizes come from one paginated `GET /v2/sizes`. Every entry
/// that cannot be rebuilt is named in the error, and then nothing is returned.
pub async fn refresh_catalog(
    catalog: &Catalog,
    aws: Option<&dyn PriceList>,
    digitalocean: Option<&dyn PriceList>,
    read_on: &str,
) -> Result<Vec<RefreshedFile>, CostError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for table in catalog.tables() {
        let old = table.data();
        let (name, new) = match (old.provider.as_str(), &old.region) {
            ("aws", Some(region)) => {
                let Some(api) = aws else { continue };
                let results: Vec<Result<PriceEntry, CostError>> = stream::iter(old.entries.iter())
                    .map(|e| async move {
                        let Some((service, filters)) = aws_query(e) else {
                            return Ok(e.clone());
                        };
                        let query = PriceQuery { service, filters };
                        let products = api
                            .products(&query)
                            .await
                            .map_err(|pe| err(format!("{}: {pe}", e.key)))?;
                        refresh_aws_entry(e, &products, read_on)
                    })
                    .buffered(CONCURRENT_QUERIES)
                    .collect()
                    .await;
                let mut file = old.clone();
                file.entries.clear();
                for r in results {
                    match r {
                        Ok(e) => file.entries.push(e),
                        Err(CostError::Refresh(m)) => problems.push(m),
                        Err(other) => problems.push(other.to_string()),
                    }
                }
                (format!("aws/{region}.json"), file)
            }
            ("digitalocean", _) => {
                let Some(api) = digitalocean else { continue };
                let query = PriceQuery {
                    service: "sizes".into(),
                    filters: Vec::new(),
                };
                let sizes = match api.products(&query).await {
                    Ok(s) => s,
                    Err(e) => {
                        problems.push(format!("DigitalOcean sizes: {e}"));
                        continue;
                    }
                };
                let body = serde_json::json!({ "sizes": sizes }).to_string();
                match refresh_do_file(old, &body, read_on) {
                    Ok(f) => ("digitalocean.json".to_string(), f),
                    Err(e) => {
                        problems.push(e.to_string());
                        continue;
                    }
                }
            }
            _ => continue,
        };
        let changed = new
            .entries
            .iter()
            .filter_map(|n| {
                let o = old.entries.iter().find(|o| o.key == n.key)?;
                (o.price != n.price).then(|| (n.key.clone(), o.price, n.price))
            })
            .collect();
        out.push(RefreshedFile {
            name,
            entries: new.entries.len(),
            file: new,
            changed,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(err(problems.join("; ")))
    }
}

/// A catalog file as the repository writes it: pretty JSON, two-space indent, final newline.
pub fn encode_file(file: &CatalogFile) -> String {
    let mut s = serde_json::to_string_pretty(file).expect("catalog files serialize");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::catalog::{Catalog, parse_catalog_file};
    use serde_json::json;
    use std::path::Path;

    /// One Price List product in the `aws_v1` format, as `GetProducts` returns it.
    fn product(service: &str, sku: &str, family: &str, attributes: Json, dims: &[(&str, &str, &str, &str)]) -> Json {
        let term = format!("{sku}.JRTCKXETXF");
        let mut price_dimensions = serde_json::Map::new();
        for (i, (unit, begin, end, usd)) in dims.iter().enumerate() {
            let rate = format!("{term}.{}", ["6YS6EN2CT7", "PGHJ3S3EYE", "D42MF2PVJS"][i]);
            price_dimensions.insert(
                rate.clone(),
                json!({
                    "unit": unit,
                    "endRange": end,
                    "description": format!("${usd} per {unit}"),
                    "appliesTo": [],
                    "rateCode": rate,
                    "beginRange": begin,
                    "pricePerUnit": {"USD": usd}
                }),
            );
        }
        let mut on_demand = serde_json::Map::new();
        on_demand.insert(
            term.clone(),
            json!({
                "priceDimensions": price_dimensions,
                "sku": sku,
                "effectiveDate": "2026-11-01T00:00:00Z",
                "offerTermCode": "JRTCKXETXF",
                "termAttributes": {}
            }),
        );
        let mut reserved = serde_json::Map::new();
        reserved.insert(
            format!("{sku}.HU7G6KETJZ"),
            json!({
                "priceDimensions": {},
                "sku": sku,
                "effectiveDate": "2026-11-01T00:00:00Z",
                "offerTermCode": "HU7G6KETJZ",
                "termAttributes": {"LeaseContractLength": "1yr", "OfferingClass": "standard", "PurchaseOption": "No Upfront"}
            }),
        );
        json!({
            "product": {"productFamily": family, "attributes": attributes, "sku": sku},
            "serviceCode": service,
            "terms": {"OnDemand": on_demand, "Reserved": reserved},
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z"
        })
    }

    fn rds_instance(sku: &str, deployment: &str, usd: &str) -> Json {
        let usagetype = if deployment == "Single-AZ" {
            "InstanceUsage:db.t4g.micro"
        } else {
            "Multi-AZUsage:db.t4g.micro"
        };
        product(
            "AmazonRDS",
            sku,
            "Database Instance",
            json!({
                "servicecode": "AmazonRDS",
                "location": "US East (N. Virginia)",
                "locationType": "AWS Region",
                "instanceType": "db.t4g.micro",
                "instanceFamily": "General purpose",
                "vcpu": "2",
                "memory": "1 GiB",
                "databaseEngine": "PostgreSQL",
                "deploymentOption": deployment,
                "licenseModel": "No license required",
                "usagetype": usagetype,
                "operation": "CreateDBInstance:0014",
                "regionCode": "us-east-1",
                "servicename": "Amazon Relational Database Service"
            }),
            &[("Hrs", "0", "Inf", usd)],
        )
    }

    /// A `GetProducts` response body: price list items are JSON documents encoded as strings.
    fn response(products: &[Json], next: Option<&str>) -> String {
        let items: Vec<Json> = products.iter().map(|p| Json::String(p.to_string())).collect();
        json!({"FormatVersion": "aws_v1", "PriceList": items, "NextToken": next}).to_string()
    }

    fn file(region: &str) -> CatalogFile {
        Catalog::bundled().aws(region).unwrap().data().clone()
    }

    fn bundled_entry(region: &str, key: &str) -> PriceEntry {
        file(region).entries.into_iter().find(|e| e.key == key).unwrap()
    }

    #[test]
    fn get_products_responses_are_parsed_with_their_string_encoded_items() {
        let body = response(
            &[rds_instance("2XKMGE6UHQ9QJ3WT", "Single-AZ", "0.0160000000")],
            Some("token-2"),
        );
        let (products, next) = parse_get_products(&body).unwrap();
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].pointer("/product/sku").unwrap(), "2XKMGE6UHQ9QJ3WT");
        assert_eq!(next.as_deref(), Some("token-2"));
        assert!(
            parse_get_products("{\"FormatVersion\":\"aws_v1\"}")
                .unwrap_err()
                .to_string()
                .contains("no PriceList")
        );
        assert!(
            parse_get_products("{\"PriceList\":[\"{not json\"]}")
                .unwrap_err()
                .to_string()
                .contains("item 0")
        );
    }

    #[test]
    fn an_rds_instance_price_is_selected_by_the_entry_filters() {
        let body = response(
            &[
                rds_instance("2XKMGE6UHQ9QJ3WT", "Single-AZ", "0.0160000000"),
                rds_instance("8M7YZBKHRD2QZ5FD", "Multi-AZ", "0.0320000000"),
            ],
            None,
        );
        let (products, _) = parse_get_products(&body).unwrap();
        let old = bundled_entry("us-east-1", "rds/instance/postgres/db.t4g.micro/single-az");
        let fresh = refresh_aws_entry(&old, &products, "2026-12-01").unwrap();
        assert_eq!(fresh.price, Decimal::from_str("0.016").unwrap());
        assert_eq!(fresh.read_on, "2026-12-01");
        assert_eq!(
            PriceEntry {
                read_on: old.read_on.clone(),
                ..fresh.clone()
            },
            old,
            "only the date changes"
        );

        let multi_old = bundled_entry("us-east-1", "rds/instance/postgres/db.t4g.micro/multi-az");
        assert_eq!(
            refresh_aws_entry(&multi_old, &products, "2026-12-01")
                .unwrap()
                .price
                .to_string(),
            "0.032"
        );

        let (service, filters) = aws_query(&old).unwrap();
        assert_eq!(service, "AmazonRDS");
        assert!(filters.contains(&("regionCode".to_string(), "us-east-1".to_string())));
        assert!(filters.contains(&("deploymentOption".to_string(), "Single-AZ".to_string())));
        let nat = bundled_entry("us-east-1", "vpc/nat-gateway/hours");
        assert!(aws_query(&nat).unwrap().1.iter().all(|(k, _)| k != "usagetype"));
    }

    #[test]
    fn selection_errors_name_the_key() {
        let twice = vec![
            rds_instance("AAAAAAAAAAAAAAAA", "Single-AZ", "0.016"),
            rds_instance("BBBBBBBBBBBBBBBB", "Single-AZ", "0.017"),
        ];
        let old = bundled_entry("us-east-1", "rds/instance/postgres/db.t4g.micro/single-az");
        let e = refresh_aws_entry(&old, &twice, "2026-12-01").unwrap_err().to_string();
        assert_eq!(
            e,
            "price refresh: rds/instance/postgres/db.t4g.micro/single-az: 2 products match the filters \
             (AAAAAAAAAAAAAAAA, BBBBBBBBBBBBBBBB)"
        );
        let e = refresh_aws_entry(&old, &[], "2026-12-01").unwrap_err().to_string();
        assert!(e.contains("no AmazonRDS product matches the filters"), "{e}");
        // A unit that does not fit the catalog's (a per-GB-month price for a per-hour entry) is refused.
        let attrs = rds_instance("X", "Single-AZ", "1")["product"]["attributes"].clone();
        let wrong_unit = product(
            "AmazonRDS",
            "CCCCCCCCCCCCCCCC",
            "Database Instance",
            attrs,
            &[("GB-Mo", "0", "Inf", "0.016")],
        );
        let e = refresh_aws_entry(&old, &[wrong_unit], "2026-12-01")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("priced per \"GB-Mo\", the catalog entry per \"hour\""),
            "{e}"
        );
    }

    #[test]
    fn tiered_prices_take_the_first_tier_and_usage_types_ignore_the_region_prefix() {
        let s3 = product(
            "AmazonS3",
            "WP9ANXZGBYYSGJEA",
            "Storage",
            json!({
                "regionCode": "us-east-1",
                "storageClass": "General Purpose",
                "volumeType": "Standard",
                "usagetype": "TimedStorage-ByteHrs",
                "operation": ""
            }),
            &[
                ("GB-Mo", "0", "51200", "0.0230000000"),
                ("GB-Mo", "51200", "512000", "0.0220000000"),
                ("GB-Mo", "512000", "Inf", "0.0210000000"),
            ],
        );
        let fresh = refresh_aws_entry(&bundled_entry("us-east-1", "s3/storage/standard"), &[s3], "2026-12-01").unwrap();
        assert_eq!(fresh.price.to_string(), "0.023");

        let nat = bundled_entry("sa-east-1", "vpc/nat-gateway/hours");
        let p = product(
            "AmazonEC2",
            "SAE1NATGW0000001",
            "NAT Gateway",
            json!({"regionCode": "sa-east-1", "usagetype": "SAE1-NatGateway-Hours", "group": "NGW:NatGateway", "operation": "NatGateway"}),
            &[("Hrs", "0", "Inf", "0.0930000000")],
        );
        assert_eq!(
            refresh_aws_entry(&nat, &[p], "2026-12-01").unwrap().price.to_string(),
            "0.093"
        );
        assert!(has_region_prefix(
            "USE1-PS-Advanced-Param-Tier1",
            "PS-Advanced-Param-Tier1"
        ));
        assert!(!has_region_prefix("use1-NatGateway-Hours", "NatGateway-Hours"));
        assert!(!has_region_prefix("ABCDEF-NatGateway-Hours", "NatGateway-Hours"));
        assert!(!has_region_prefix("RDS:GP3-Storage", "Storage"));
    }

    #[test]
    fn global_products_without_a_region_and_free_first_tiers_are_handled() {
        // Route 53 prices globally: its products have no regionCode, and the query leaves it out.
        let zone = product(
            "AmazonRoute53",
            "QKVQ8C3NSWW2GX3V",
            "DNS Zone",
            json!({"servicecode": "AmazonRoute53", "location": "Global", "usagetype": "HostedZone", "operation": ""}),
            &[
                ("HostedZone", "0", "25", "0.5000000000"),
                ("HostedZone", "25", "Inf", "0.1000000000"),
            ],
        );
        for region in ["us-east-1", "sa-east-1"] {
            let old = bundled_entry(region, "route53/hosted-zone");
            let (_, filters) = aws_query(&old).unwrap();
            assert!(filters.iter().all(|(k, _)| k != "regionCode"), "{filters:?}");
            let fresh = refresh_aws_entry(&old, std::slice::from_ref(&zone), "2026-12-01").unwrap();
            assert_eq!(
                fresh.price.to_string(),
                "0.50",
                "{region}: the first 25 zones, the catalog's writing"
            );
        }
        // A product that does carry a region must still be the file's.
        let mut elsewhere = zone.clone();
        elsewhere["product"]["attributes"]["regionCode"] = json!("eu-west-3");
        let old = bundled_entry("us-east-1", "route53/hosted-zone");
        assert!(refresh_aws_entry(&old, &[elsewhere], "2026-12-01").is_err());
        // A regional selector still queries by region.
        let alarm = bundled_entry("us-east-1", "cloudwatch/alarm/standard");
        assert!(
            aws_query(&alarm)
                .unwrap()
                .1
                .contains(&("regionCode".into(), "us-east-1".into()))
        );

        // EventBridge Scheduler's first tier is the free tier: the list price is the first paid one.
        let scheduled = product(
            "AWSEvents",
            "29C3758CBCYNXH8B",
            "EventBridge",
            json!({"regionCode": "us-east-1", "usagetype": "USE1-ScheduledInvocation", "operation": "Invocation"}),
            &[
                ("Invocations", "14000000", "Inf", "0.0000010000"),
                ("Invocations", "0", "14000000", "0.0000000000"),
            ],
        );
        let old = bundled_entry("us-east-1", "scheduler/invocation");
        let fresh = refresh_aws_entry(&old, std::slice::from_ref(&scheduled), "2026-12-01").unwrap();
        assert_eq!(fresh.price.to_string(), "0.000001");
        assert_eq!(
            on_demand_price(&scheduled).unwrap().0,
            Decimal::ZERO,
            "without the flag the free tier would be taken"
        );
        let all_free = product(
            "AWSEvents",
            "FREEFREEFREEFREE",
            "EventBridge",
            json!({"regionCode": "us-east-1", "usagetype": "ScheduledInvocation"}),
            &[("Invocations", "0", "Inf", "0.0000000000")],
        );
        let e = refresh_aws_entry(&old, &[all_free], "2026-12-01")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("scheduler/invocation: product FREEFREEFREEFREE has no price dimension above zero"),
            "{e}"
        );

        for (catalog, price_list) in [
            ("alarm-metric-month", "Alarms"),
            ("hosted-zone-month", "HostedZone"),
            ("resource-month", "CloudMapResource"),
            ("request", "CloudMapAPICall"),
            ("query", "Queries"),
            ("invocation", "Invocations"),
        ] {
            assert!(unit_matches(catalog, price_list), "{catalog} / {price_list}");
        }
        assert!(!unit_matches("invocation", "Hrs"));
    }

    #[test]
    fn a_whole_file_refresh_reports_every_entry_it_could_not_rebuild() {
        let whole = file("us-east-1");
        let products = BTreeMap::from([(
            "AmazonRDS".to_string(),
            vec![rds_instance("2XKMGE6UHQ9QJ3WT", "Single-AZ", "0.0170000000")],
        )]);
        let e = refresh_aws_file(&whole, &products, "2026-12-01")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fargate/vcpu/linux/x86_64: no AmazonECS product matches"),
            "{e}"
        );
        assert!(!e.contains("rds/instance/postgres/db.t4g.micro/single-az:"), "{e}");
        // A file with only that entry refreshes cleanly and stays a valid catalog file.
        let one = CatalogFile {
            entries: vec![bundled_entry(
                "us-east-1",
                "rds/instance/postgres/db.t4g.micro/single-az",
            )],
            ..whole
        };
        let fresh = refresh_aws_file(&one, &products, "2026-12-01").unwrap();
        assert_eq!(fresh.entries[0].price.to_string(), "0.017");
        let text = serde_json::to_string_pretty(&fresh).unwrap();
        assert_eq!(
            parse_catalog_file(Path::new("prices/aws/us-east-1.json"), &text).unwrap(),
            fresh
        );
    }

    /// A `GET /v2/sizes` response in DigitalOcean's format (sizes, links, meta).
    const SIZES: &str = r#"{
      "sizes": [
        {
          "slug": "s-2vcpu-4gb",
          "memory": 4096,
          "vcpus": 2,
          "disk": 80,
          "transfer": 4.0,
          "price_monthly": 24.00,
          "price_hourly": 0.03571,
          "regions": ["ams3", "fra1", "nyc1", "nyc3", "sfo3", "sgp1"],
          "available": true,
          "description": "Basic",
          "disk_info": [{"type": "local", "size": {"amount": 80, "unit": "gib"}}]
        },
        {
          "slug": "s-4vcpu-8gb",
          "memory": 8192,
          "vcpus": 4,
          "disk": 160,
          "transfer": 5.0,
          "price_monthly": 48.00,
          "price_hourly": 0.07143,
          "regions": ["ams3", "fra1", "nyc1", "nyc3"],
          "available": true,
          "description": "Basic"
        },
        {
          "slug": "c-2",
          "memory": 4096,
          "vcpus": 2,
          "disk": 25,
          "transfer": 4.0,
          "price_monthly": 42.00,
          "price_hourly": 0.0625,
          "regions": ["nyc3"],
          "available": true,
          "description": "CPU-Optimized"
        }
      ],
      "links": {},
      "meta": {"total": 3}
    }"#;

    #[test]
    fn droplet_sizes_become_catalog_entries() {
        let entries = do_size_entries(SIZES, "2026-12-01").unwrap();
        assert_eq!(entries.len(), 3);
        let e = &entries[0];
        assert_eq!(e.key, "droplet/s-2vcpu-4gb");
        assert_eq!(e.price.to_string(), "24.00");
        assert_eq!(e.unit, "month");
        assert_eq!(e.attribute_decimal("price_hourly").unwrap().to_string(), "0.03571");
        assert_eq!(e.source.digitalocean.as_ref().unwrap().slug, "s-2vcpu-4gb");
        // The same entry as the bundled one, apart from the date and the caveat note.
        let bundled = Catalog::bundled();
        let old = bundled.digitalocean().unwrap().get("droplet/s-2vcpu-4gb").unwrap();
        assert_eq!(
            PriceEntry {
                read_on: old.read_on.clone(),
                note: old.note.clone(),
                ..e.clone()
            },
            *old
        );
        let e = do_size_entries("{\"sizes\":[{\"slug\":\"x\"}]}", "2026-12-01").unwrap_err();
        assert!(e.to_string().contains("size x has no price_monthly"), "{e}");
    }

    #[test]
    fn a_do_refresh_replaces_sizes_and_keeps_what_the_api_does_not_serve() {
        let bundled = Catalog::bundled();
        let old = bundled.digitalocean().unwrap().data().clone();
        let fresh = refresh_do_file(&old, SIZES, "2026-12-01").unwrap();
        let keys: Vec<&str> = fresh.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            &keys[..3],
            &["droplet/s-2vcpu-4gb", "droplet/s-4vcpu-8gb", "droplet/c-2"]
        );
        assert!(keys.contains(&"database/db-s-1vcpu-1gb"));
        assert!(keys.contains(&"volume/storage") && keys.contains(&"droplet/backups/weekly"));
        assert!(
            !keys.contains(&"droplet/s-1vcpu-1gb"),
            "sizes the API no longer lists are dropped"
        );
        let text = serde_json::to_string_pretty(&fresh).unwrap();
        assert_eq!(
            parse_catalog_file(Path::new("prices/digitalocean.json"), &text).unwrap(),
            fresh
        );
    }
}
