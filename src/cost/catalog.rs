//! The price catalog: list prices read from the providers' published pricing, bundled in the binary.
//!
//! A [`Catalog`] holds one [`PriceTable`] per AWS region (`prices/aws/<region>.json`) and one for DigitalOcean
//! (`prices/digitalocean.json`, whose prices are the same in every region). Each table is the in-memory form of
//! a [`CatalogFile`]: a list of [`PriceEntry`] values, each with a stable `key` (what the cost model asks for,
//! e.g. `rds/instance/postgres/db.t4g.micro/single-az`), a unit, an exact decimal price, its currency, the date
//! the price was read, and a [`PriceSource`]: the page a person can check it on plus, where a pricing API
//! serves it, the selector that finds it there (AWS Price List service code + attribute filters, or the
//! DigitalOcean size slug of `GET /v2/sizes`), so that `refresh` (see [`super::refresh`]) can rebuild the file.
//!
//! [`Catalog::bundled`] embeds the repository's `prices/` files with `include_str!`; [`Catalog::from_dir`] reads
//! the same layout from a directory. Loading validates every file (format version, provider, region, unique
//! keys, prices as decimal strings, USD only, AWS selectors pinned to the file's region) and reports problems as
//! [`CostError::Invalid`] with the file and line. The format is documented in `prices/README.md`.

use super::error::CostError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The catalog file format version this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The only currency the catalog holds.
pub const CURRENCY: &str = "USD";

/// One catalog file, as stored on disk (JSON). See `prices/README.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Format version, [`FORMAT_VERSION`].
    pub format: u32,
    /// `"aws"` or `"digitalocean"`.
    pub provider: String,
    /// The AWS region the file prices (`None` for DigitalOcean, whose prices do not vary by region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub currency: String,
    /// Free text: what the file covers and how it was made.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub entries: Vec<PriceEntry>,
}

/// One price. See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    /// Stable key the cost model looks the price up by.
    pub key: String,
    /// What is charged, in words.
    pub description: String,
    /// The unit the price is per: `hour`, `GB-month`, `IOPS-month`, `month`, `request`, ...
    pub unit: String,
    /// Price per unit, an exact decimal (written as a string in the file).
    #[serde(with = "decimal_string")]
    pub price: Decimal,
    pub currency: String,
    /// The date the price was read from its source (`YYYY-MM-DD`).
    pub read_on: String,
    pub source: PriceSource,
    /// Facts about the priced item the model needs (e.g. a database size's included storage).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Caveats, e.g. that the figure could not be confirmed from a stored copy of the source page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PriceEntry {
    /// A numeric attribute (see [`PriceEntry::attributes`]).
    pub fn attribute_decimal(&self, name: &str) -> Option<Decimal> {
        match self.attributes.get(name)? {
            serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
            serde_json::Value::String(s) => Decimal::from_str(s).ok(),
            _ => None,
        }
    }
}

/// Where a price comes from. See the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSource {
    /// The public page the figure can be checked on.
    pub url: String,
    /// How the AWS Price List API selects this price (`GetProducts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsSelector>,
    /// How the DigitalOcean API lists this price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digitalocean: Option<DoSelector>,
}

impl PriceSource {
    /// One line for people: the API selector when there is one, else the page.
    pub fn describe(&self) -> String {
        if let Some(aws) = &self.aws {
            let filters: Vec<String> = aws.filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let global = if aws.global { " (global service)" } else { "" };
            format!(
                "AWS Price List GetProducts {} [{}]{global}",
                aws.service_code,
                filters.join(", ")
            )
        } else if let Some(d) = &self.digitalocean {
            format!("DigitalOcean {} slug={}", d.api, d.slug)
        } else {
            self.url.clone()
        }
    }
}

/// An AWS Price List `GetProducts` query: the service code and `TERM_MATCH` filters that select exactly one
/// product; its on-demand price dimension starting at 0 is the price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSelector {
    pub service_code: String,
    /// Attribute name → value (`productFamily` matches the product family, the rest the product attributes).
    pub filters: BTreeMap<String, String>,
    /// The service prices globally (Route 53): its products carry no `regionCode`. The filters still pin
    /// `regionCode` to the file's region (the price is the same in every region), but a refresh leaves it out of
    /// the query and accepts a product without one; a product that has one must still match it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub global: bool,
    /// The product's first tier is a free tier (EventBridge Scheduler's first 14 million invocations a month):
    /// a refresh takes the first tier priced above zero instead of the one starting at 0, since the catalog holds
    /// list prices without free tiers.
    #[serde(default, skip_serializing_if = "is_false")]
    pub first_paid_tier: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A DigitalOcean API listing that carries the price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoSelector {
    /// The API call, e.g. `GET /v2/sizes`.
    pub api: String,
    /// The size slug in that listing.
    pub slug: String,
}

/// The prices of one catalog file, by key.
#[derive(Clone, Debug)]
pub struct PriceTable {
    file: String,
    data: CatalogFile,
    by_key: BTreeMap<String, usize>,
}

impl PriceTable {
    /// The file the table was read from, as shown in output (e.g. `prices/aws/us-east-1.json`).
    pub fn file(&self) -> &str {
        &self.file
    }
    pub fn provider(&self) -> &str {
        &self.data.provider
    }
    pub fn region(&self) -> Option<&str> {
        self.data.region.as_deref()
    }
    pub fn get(&self, key: &str) -> Option<&PriceEntry> {
        self.by_key.get(key).map(|&i| &self.data.entries[i])
    }
    pub fn entries(&self) -> &[PriceEntry] {
        &self.data.entries
    }
    /// The file's content, e.g. to rebuild it with fresh prices.
    pub fn data(&self) -> &CatalogFile {
        &self.data
    }
}

/// All price tables. See the module documentation.
#[derive(Clone, Debug)]
pub struct Catalog {
    aws: BTreeMap<String, PriceTable>,
    digitalocean: Option<PriceTable>,
}

const BUNDLED: &[(&str, &str)] = &[
    (
        "prices/aws/us-east-1.json",
        include_str!("../../prices/aws/us-east-1.json"),
    ),
    (
        "prices/aws/sa-east-1.json",
        include_str!("../../prices/aws/sa-east-1.json"),
    ),
    (
        "prices/digitalocean.json",
        include_str!("../../prices/digitalocean.json"),
    ),
];

impl Catalog {
    /// The catalog bundled in the binary (the repository's `prices/` directory at build time).
    pub fn bundled() -> Catalog {
        let mut files = Vec::new();
        for (name, text) in BUNDLED {
            let expect = expectation_for(Path::new(name)).expect("bundled catalog file names follow the layout");
            // The bundled files are checked by the test suite; a failure here is a build defect.
            files.push(parse_table(Path::new(name), text, &expect).unwrap_or_else(|e| panic!("bundled catalog: {e}")));
        }
        Catalog::from_tables(files)
    }

    /// Reads a catalog laid out like the repository's `prices/`: `aws/<region>.json` files and an optional
    /// `digitalocean.json`.
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Catalog, CostError> {
        let dir = path.as_ref();
        let mut names: Vec<PathBuf> = Vec::new();
        let aws_dir = dir.join("aws");
        if aws_dir.is_dir() {
            let read = std::fs::read_dir(&aws_dir).map_err(|source| CostError::Io {
                path: aws_dir.clone(),
                source,
            })?;
            for item in read {
                let item = item.map_err(|source| CostError::Io {
                    path: aws_dir.clone(),
                    source,
                })?;
                let p = item.path();
                if p.extension().and_then(|e| e.to_str()) == Some("json") {
                    names.push(p);
                }
            }
        }
        let do_file = dir.join("digitalocean.json");
        if do_file.is_file() {
            names.push(do_file);
        }
        if names.is_empty() {
            return Err(CostError::Invalid {
                file: dir.to_path_buf(),
                line: 1,
                column: None,
                message: "no catalog files here (expected aws/<region>.json or digitalocean.json)".into(),
            });
        }
        names.sort();
        let mut tables = Vec::new();
        for name in names {
            let text = std::fs::read_to_string(&name).map_err(|source| CostError::Io {
                path: name.clone(),
                source,
            })?;
            let expect = expectation_for(&name).ok_or_else(|| CostError::Invalid {
                file: name.clone(),
                line: 1,
                column: None,
                message: "not a catalog file name (expected aws/<region>.json or digitalocean.json)".into(),
            })?;
            tables.push(parse_table(&name, &text, &expect)?);
        }
        Ok(Catalog::from_tables(tables))
    }

    fn from_tables(tables: Vec<PriceTable>) -> Catalog {
        let mut aws = BTreeMap::new();
        let mut digitalocean = None;
        for t in tables {
            match t.data.region.clone() {
                Some(region) if t.data.provider == "aws" => {
                    aws.insert(region, t);
                }
                _ => digitalocean = Some(t),
            }
        }
        Catalog { aws, digitalocean }
    }

    /// The AWS regions the catalog has prices for.
    pub fn aws_regions(&self) -> Vec<String> {
        self.aws.keys().cloned().collect()
    }
    pub fn aws(&self, region: &str) -> Option<&PriceTable> {
        self.aws.get(region)
    }
    pub fn digitalocean(&self) -> Option<&PriceTable> {
        self.digitalocean.as_ref()
    }
    /// Every table, AWS regions first.
    pub fn tables(&self) -> impl Iterator<Item = &PriceTable> {
        self.aws.values().chain(self.digitalocean.iter())
    }
}

/// What a file's name says its content must be.
struct Expectation {
    provider: &'static str,
    region: Option<String>,
}

fn expectation_for(path: &Path) -> Option<Expectation> {
    let stem = path.file_stem()?.to_str()?;
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|p| p.to_str());
    if stem == "digitalocean" && parent != Some("aws") {
        Some(Expectation {
            provider: "digitalocean",
            region: None,
        })
    } else if parent == Some("aws") {
        Some(Expectation {
            provider: "aws",
            region: Some(stem.to_string()),
        })
    } else {
        None
    }
}

/// Parses and validates one catalog file's text; `path` is used in messages only.
pub fn parse_catalog_file(path: &Path, text: &str) -> Result<CatalogFile, CostError> {
    let expect = expectation_for(path).ok_or_else(|| CostError::Invalid {
        file: path.to_path_buf(),
        line: 1,
        column: None,
        message: "not a catalog file name (expected aws/<region>.json or digitalocean.json)".into(),
    })?;
    Ok(parse_table(path, text, &expect)?.data)
}

fn parse_table(path: &Path, text: &str, expect: &Expectation) -> Result<PriceTable, CostError> {
    let data: CatalogFile = serde_json::from_str(text).map_err(|e| CostError::Invalid {
        file: path.to_path_buf(),
        line: e.line().max(1),
        column: Some(e.column()),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
    })?;
    let invalid = |line: usize, message: String| CostError::Invalid {
        file: path.to_path_buf(),
        line,
        column: None,
        message,
    };
    if data.format != FORMAT_VERSION {
        return Err(invalid(
            line_of(text, "\"format\""),
            format!("format {} is not supported (expected {FORMAT_VERSION})", data.format),
        ));
    }
    if data.provider != expect.provider {
        return Err(invalid(
            line_of(text, "\"provider\""),
            format!(
                "provider {:?} does not match the file name (expected {:?})",
                data.provider, expect.provider
            ),
        ));
    }
    if data.region != expect.region {
        return Err(invalid(
            line_of(text, "\"region\""),
            format!(
                "region {:?} does not match the file name (expected {:?})",
                data.region, expect.region
            ),
        ));
    }
    if data.currency != CURRENCY {
        return Err(invalid(
            line_of(text, "\"currency\""),
            format!("currency {:?} is not supported (only USD)", data.currency),
        ));
    }
    let mut by_key = BTreeMap::new();
    for (i, e) in data.entries.iter().enumerate() {
        let at = || {
            line_of(
                text,
                &format!("\"key\": {}", serde_json::to_string(&e.key).unwrap_or_default()),
            )
        };
        if e.key.trim().is_empty() {
            return Err(invalid(at(), "an entry has an empty key".into()));
        }
        if by_key.insert(e.key.clone(), i).is_some() {
            return Err(invalid(at(), format!("duplicate key {:?}", e.key)));
        }
        if e.currency != CURRENCY {
            return Err(invalid(
                at(),
                format!("{}: currency {:?} is not supported (only USD)", e.key, e.currency),
            ));
        }
        if e.price.is_sign_negative() {
            return Err(invalid(at(), format!("{}: negative price {}", e.key, e.price)));
        }
        if e.unit.trim().is_empty() {
            return Err(invalid(at(), format!("{}: no unit", e.key)));
        }
        if !is_date(&e.read_on) {
            return Err(invalid(
                at(),
                format!("{}: read_on {:?} is not a YYYY-MM-DD date", e.key, e.read_on),
            ));
        }
        if let (Some(region), Some(sel)) = (&expect.region, &e.source.aws)
            && sel.filters.get("regionCode") != Some(region)
        {
            return Err(invalid(
                at(),
                format!("{}: the Price List filters must pin regionCode={region}", e.key),
            ));
        }
    }
    Ok(PriceTable {
        file: path.display().to_string(),
        data,
        by_key,
    })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// The 1-based line of the first occurrence of `needle` (1 when absent).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|at| text[..at].matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Prices are written as JSON strings ("0.016") so that no float rounding ever touches them.
mod decimal_string {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        Decimal::from_str(&s).map_err(|e| serde::de::Error::custom(format!("price {s:?} is not a decimal: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_loads_and_has_the_anchor_prices() {
        let c = Catalog::bundled();
        assert_eq!(c.aws_regions(), vec!["sa-east-1".to_string(), "us-east-1".to_string()]);
        let d = c.digitalocean().unwrap();
        assert_eq!(d.get("droplet/s-2vcpu-4gb").unwrap().price, Decimal::from(24));
        assert_eq!(d.get("droplet/s-4vcpu-8gb").unwrap().price, Decimal::from(48));
        assert_eq!(d.get("database/db-s-1vcpu-1gb").unwrap().price, Decimal::from(15));
        let us = c.aws("us-east-1").unwrap();
        assert_eq!(
            us.get("s3/storage/standard").unwrap().price,
            Decimal::from_str("0.023").unwrap()
        );
        assert_eq!(us.file(), "prices/aws/us-east-1.json");
    }

    #[test]
    fn every_bundled_entry_names_its_source() {
        for t in Catalog::bundled().tables() {
            for e in t.entries() {
                assert!(e.source.url.starts_with("https://"), "{}: {}", t.file(), e.key);
                if t.provider() == "aws" {
                    let sel = e
                        .source
                        .aws
                        .as_ref()
                        .unwrap_or_else(|| panic!("{} has no Price List selector", e.key));
                    assert!(!sel.service_code.is_empty());
                    assert!(sel.filters.len() >= 2, "{}: filters too loose", e.key);
                }
                if e.key.starts_with("droplet/s-") || e.key.starts_with("droplet/c-") {
                    assert_eq!(
                        e.source.digitalocean.as_ref().unwrap().slug,
                        e.key.trim_start_matches("droplet/")
                    );
                }
            }
        }
    }

    #[test]
    fn bundled_files_round_trip_through_the_format() {
        for (name, text) in BUNDLED {
            let parsed = parse_catalog_file(Path::new(name), text).unwrap();
            let again = serde_json::to_string_pretty(&parsed).unwrap();
            assert_eq!(parse_catalog_file(Path::new(name), &again).unwrap(), parsed);
        }
    }

    #[test]
    fn bundled_files_are_in_canonical_form() {
        // A rebuilt file (see `refresh`) serializes the same way, so refreshes give reviewable diffs.
        for (name, text) in BUNDLED {
            let parsed = parse_catalog_file(Path::new(name), text).unwrap();
            assert_eq!(serde_json::to_string_pretty(&parsed).unwrap() + "\n", *text, "{name}");
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = "{\n  \"format\": 1,\n  \"provider\": \"aws\",\n  \"region\": \"us-east-1\",\n  \"currency\": \"USD\",\n  \"entries\": [\n    {\"key\": \"a\", \"description\": \"x\", \"unit\": \"hour\", \"price\": 0.5,\n     \"currency\": \"USD\", \"read_on\": \"2026-01-01\", \"source\": {\"url\": \"https://x\"}}\n  ]\n}\n";
        let err = parse_catalog_file(Path::new("prices/aws/us-east-1.json"), text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("prices/aws/us-east-1.json:7:"), "{err}");
        assert!(err.contains("string"), "{err}");

        let dup = text.replace("\"price\": 0.5", "\"price\": \"0.5\"").replace(
            "\"source\": {\"url\": \"https://x\"}}\n",
            "\"source\": {\"url\": \"https://x\"}},\n    {\"key\": \"a\", \"description\": \"x\", \"unit\": \"hour\", \"price\": \"1\",\n     \"currency\": \"USD\", \"read_on\": \"2026-01-01\", \"source\": {\"url\": \"https://x\"}}\n",
        );
        let err = parse_catalog_file(Path::new("prices/aws/us-east-1.json"), &dup)
            .unwrap_err()
            .to_string();
        assert!(err.contains("duplicate key \"a\""), "{err}");

        let wrong_region = text.replace("\"price\": 0.5", "\"price\": \"0.5\"");
        let err = parse_catalog_file(Path::new("prices/aws/sa-east-1.json"), &wrong_region)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "prices/aws/sa-east-1.json:4: region Some(\"us-east-1\") does not match the file name (expected Some(\"sa-east-1\"))"
        );
    }

    #[test]
    fn from_dir_reads_the_repository_layout() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("prices");
        let c = Catalog::from_dir(&root).unwrap();
        assert_eq!(c.aws_regions(), Catalog::bundled().aws_regions());
        assert!(
            c.aws("us-east-1")
                .unwrap()
                .file()
                .ends_with("prices/aws/us-east-1.json")
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(
            Catalog::from_dir(empty.path())
                .unwrap_err()
                .to_string()
                .contains("no catalog files")
        );
    }
}
