//! Usage files: the quantities a price model cannot know from configuration (GB stored, GB processed,
//! requests...), in Infracost's YAML format.
//!
//! ```yaml
//! version: 0.1
//! resource_usage:
//!   aws_s3_bucket.assets:          # a resource address
//!     storage_gb: 87
//!   aws_nat_gateway.main[*]:       # every instance of a counted/for_each resource
//!     monthly_data_processed_gb: 120
//! resource_type_default_usage:
//!   aws_s3_bucket:                 # every resource of a type
//!     storage_gb: 10
//! ```
//!
//! Every quantity is per month. For one resource, [`Usage::for_resource`] merges key by key: an exact address
//! beats an `address[*]` pattern, which beats the type default. Keys are checked against the usage keys of the
//! resource type (see the `cost::resources` models): an unknown key is a [`CostError::UnknownUsageKey`] naming the
//! file and line; malformed YAML or a value that is not a non-negative number is a [`CostError::Invalid`] with
//! file and line.

use super::error::CostError;
use super::resources;
use rust_decimal::Decimal;
use serde_yaml_ng::Value as Yaml;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Quantities per usage key.
pub type Quantities = BTreeMap<String, Decimal>;

/// A loaded usage file (or none). See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    file: Option<PathBuf>,
    by_address: BTreeMap<String, Quantities>,
    by_pattern: BTreeMap<String, Quantities>,
    by_type: BTreeMap<String, Quantities>,
    /// The line of each `resource_usage` entry (`aws_s3_bucket.data`, `aws_instance.web[*]`).
    lines: BTreeMap<String, usize>,
}

impl Usage {
    /// No usage file: usage-based components stay without quantity.
    pub fn empty() -> Usage {
        Usage::default()
    }

    /// Reads and validates a usage file.
    pub fn load(path: &Path) -> Result<Usage, CostError> {
        let text = std::fs::read_to_string(path).map_err(|source| CostError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Usage::parse(path, &text)
    }

    /// Parses and validates usage file text; `file` is used in messages.
    pub fn parse(file: &Path, text: &str) -> Result<Usage, CostError> {
        let invalid = |line: usize, column: Option<usize>, message: String| CostError::Invalid {
            file: file.to_path_buf(),
            line,
            column,
            message,
        };
        let doc: Yaml = serde_yaml_ng::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), Some(l.column()))).unwrap_or((1, None));
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            invalid(line, column, format!("malformed YAML: {message}"))
        })?;
        let Yaml::Mapping(top) = doc else {
            return Err(invalid(1, None, "a usage file is a mapping with `version: 0.1`".into()));
        };
        let mut usage = Usage {
            file: Some(file.to_path_buf()),
            ..Usage::default()
        };
        let mut version_seen = false;
        for (k, v) in &top {
            let key = yaml_key(k);
            match key.as_str() {
                "version" => {
                    version_seen = true;
                    let ok = match v {
                        Yaml::Number(n) => n.to_string() == "0.1",
                        Yaml::String(s) => s == "0.1",
                        _ => false,
                    };
                    if !ok {
                        return Err(invalid(
                            locate(text, &["version"]),
                            None,
                            "unsupported version (expected 0.1)".into(),
                        ));
                    }
                }
                "resource_usage" => {
                    for (addr, block) in mapping(v, text, file, &["resource_usage"])? {
                        let path = ["resource_usage", addr.as_str()];
                        let type_name = type_of_address(&addr).ok_or_else(|| {
                            invalid(locate(text, &path), None, format!("{addr:?} is not a resource address"))
                        })?;
                        let q = quantities(block, &type_name, text, file, &path)?;
                        usage.lines.insert(addr.clone(), locate(text, &path));
                        if let Some(prefix) = addr.strip_suffix("[*]") {
                            usage.by_pattern.insert(prefix.to_string(), q);
                        } else {
                            usage.by_address.insert(addr.clone(), q);
                        }
                    }
                }
                "resource_type_default_usage" => {
                    for (type_name, block) in mapping(v, text, file, &["resource_type_default_usage"])? {
                        let path = ["resource_type_default_usage", type_name.as_str()];
                        let q = quantities(block, &type_name, text, file, &path)?;
                        usage.by_type.insert(type_name.clone(), q);
                    }
                }
                other => {
                    return Err(invalid(
                        locate(text, &[other]),
                        None,
                        format!(
                            "unknown key `{other}` (expected version, resource_usage, resource_type_default_usage)"
                        ),
                    ));
                }
            }
        }
        if !version_seen {
            return Err(invalid(1, None, "missing `version: 0.1`".into()));
        }
        Ok(usage)
    }

    /// Every address `resource_usage` names, with its line; `[*]` patterns as written.
    pub fn addresses(&self) -> impl Iterator<Item = (&str, usize)> {
        self.lines.iter().map(|(a, l)| (a.as_str(), *l))
    }

    /// The file the usage came from.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The quantities for one resource: type defaults, overridden by an `address[*]` pattern, overridden by
    /// the exact address, key by key.
    pub fn for_resource(&self, address: &str, type_name: &str) -> Quantities {
        let mut out = self.by_type.get(type_name).cloned().unwrap_or_default();
        if let Some((_, q)) = self
            .by_pattern
            .iter()
            .filter(|(prefix, _)| {
                address
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.starts_with('['))
            })
            .max_by_key(|(prefix, _)| prefix.len())
        {
            out.extend(q.iter().map(|(k, v)| (k.clone(), *v)));
        }
        if let Some(q) = self.by_address.get(address) {
            out.extend(q.iter().map(|(k, v)| (k.clone(), *v)));
        }
        out
    }
}

fn yaml_key(k: &Yaml) -> String {
    match k {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        _ => String::from("?"),
    }
}

fn mapping<'a>(v: &'a Yaml, text: &str, file: &Path, path: &[&str]) -> Result<Vec<(String, &'a Yaml)>, CostError> {
    match v {
        Yaml::Null => Ok(Vec::new()),
        Yaml::Mapping(m) => Ok(m.iter().map(|(k, v)| (yaml_key(k), v)).collect()),
        _ => Err(CostError::Invalid {
            file: file.to_path_buf(),
            line: locate(text, path),
            column: None,
            message: format!("`{}` must be a mapping", path.join(".")),
        }),
    }
}

fn quantities(block: &Yaml, type_name: &str, text: &str, file: &Path, path: &[&str]) -> Result<Quantities, CostError> {
    let Some(known) = resources::usage_keys(type_name) else {
        return Err(CostError::Invalid {
            file: file.to_path_buf(),
            line: locate(text, path),
            column: None,
            message: format!("{type_name} is not a resource type the cost model knows"),
        });
    };
    let mut out = Quantities::new();
    for (key, value) in mapping(block, text, file, path)? {
        let mut at = path.to_vec();
        at.push(&key);
        let line = locate(text, &at);
        if !known.iter().any(|k| k.key == key) {
            return Err(CostError::UnknownUsageKey {
                file: file.to_path_buf(),
                line,
                type_name: type_name.to_string(),
                key: key.clone(),
                known: known.iter().map(|k| k.key.to_string()).collect(),
            });
        }
        let n = match value {
            Yaml::Number(n) => {
                let s = n.to_string();
                Decimal::from_str(&s).or_else(|_| Decimal::from_scientific(&s)).ok()
            }
            _ => None,
        };
        match n {
            Some(n) if !n.is_sign_negative() => {
                out.insert(key.clone(), n);
            }
            _ => {
                return Err(CostError::Invalid {
                    file: file.to_path_buf(),
                    line,
                    column: None,
                    message: format!("{type_name} usage `{key}` must be a non-negative number"),
                });
            }
        }
    }
    Ok(out)
}

/// The resource type of an address: `module.app.aws_s3_bucket.assets["x"]` → `aws_s3_bucket`.
pub fn type_of_address(address: &str) -> Option<String> {
    let mut segments = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut cur = String::new();
    for c in address.chars() {
        match c {
            '"' => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth = depth.saturating_sub(1),
            '.' if !in_string && depth == 0 => {
                segments.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        if depth == 0 && c != ']' {
            cur.push(c);
        }
    }
    segments.push(cur);
    let mut i = 0;
    while i + 1 < segments.len() && segments[i] == "module" {
        i += 2;
    }
    let rest = &segments[i..];
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match rest {
        [t, name] if ok(t) && ok(name) && t != "data" => Some(t.clone()),
        _ => None,
    }
}

/// The 1-based line of the key at `path` in block-style YAML (the deepest key found; 1 when none).
fn locate(text: &str, path: &[&str]) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0usize;
    let mut parent_indent: Option<usize> = None;
    let mut found = 1usize;
    for seg in path {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if let Some(p) = parent_indent
                && indent <= p
            {
                break;
            }
            let is_key = [format!("{seg}:"), format!("\"{seg}\":"), format!("'{seg}':")]
                .iter()
                .any(|k| trimmed.starts_with(k.as_str()));
            if is_key {
                hit = Some((i, indent));
                break;
            }
        }
        match hit {
            Some((i, indent)) => {
                found = i + 1;
                start = i + 1;
                parent_indent = Some(indent);
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Usage, CostError> {
        Usage::parse(Path::new("infra-usage.yml"), text)
    }

    #[test]
    fn address_beats_pattern_beats_type_default() {
        let u = parse(
            "version: 0.1\nresource_usage:\n  aws_s3_bucket.assets:\n    storage_gb: 87\n  aws_s3_bucket.logs[*]:\n    storage_gb: 5\n    monthly_tier_1_requests: 1000\nresource_type_default_usage:\n  aws_s3_bucket:\n    storage_gb: 10\n    monthly_tier_2_requests: 200\n",
        )
        .unwrap();
        let q = u.for_resource("aws_s3_bucket.assets", "aws_s3_bucket");
        assert_eq!(q["storage_gb"], Decimal::from(87));
        assert_eq!(q["monthly_tier_2_requests"], Decimal::from(200));
        let q = u.for_resource("aws_s3_bucket.logs[0]", "aws_s3_bucket");
        assert_eq!(q["storage_gb"], Decimal::from(5));
        assert_eq!(q["monthly_tier_1_requests"], Decimal::from(1000));
        let q = u.for_resource("aws_s3_bucket.other", "aws_s3_bucket");
        assert_eq!(q["storage_gb"], Decimal::from(10));
        assert!(
            Usage::empty()
                .for_resource("aws_s3_bucket.assets", "aws_s3_bucket")
                .is_empty()
        );
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err =
            parse("version: 0.1\nresource_usage:\n  aws_s3_bucket.assets:\n    storage_gb: 87\n    storage_tb: 1\n")
                .unwrap_err();
        assert!(
            matches!(&err, CostError::UnknownUsageKey { line: 5, key, .. } if key == "storage_tb"),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with("infra-usage.yml:5: unknown usage key `storage_tb` for aws_s3_bucket"),
            "{msg}"
        );
        assert!(msg.contains("storage_gb"), "{msg}");

        let err = parse("version: 0.1\nresource_type_default_usage:\n  aws_vpc:\n    storage_gb: 1\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("infra-usage.yml:4: unknown usage key `storage_gb` for aws_vpc (it takes: no usage keys)"),
            "{err}"
        );
    }

    #[test]
    fn malformed_yaml_names_file_and_line() {
        let err = parse("version: 0.1\nresource_usage:\n  aws_s3_bucket.assets:\n    storage_gb: [87\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("infra-usage.yml:"), "{msg}");
        assert!(matches!(err, CostError::Invalid { line, .. } if line >= 4), "{msg}");
        assert!(msg.contains("malformed YAML"), "{msg}");
    }

    #[test]
    fn bad_values_and_structure_are_reported_where_they_are() {
        let err = parse("version: 0.1\nresource_usage:\n  aws_s3_bucket.assets:\n    storage_gb: lots\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "infra-usage.yml:4: aws_s3_bucket usage `storage_gb` must be a non-negative number"
        );
        let err = parse("version: 0.1\nresource_usage:\n  aws_s3_bucket.assets:\n    storage_gb: -1\n").unwrap_err();
        assert!(err.to_string().contains("non-negative"), "{err}");
        let err = parse("version: 0.2\n").unwrap_err();
        assert_eq!(err.to_string(), "infra-usage.yml:1: unsupported version (expected 0.1)");
        let err = parse("resource_usage: {}\n").unwrap_err();
        assert!(err.to_string().contains("missing `version: 0.1`"), "{err}");
        let err = parse("version: 0.1\nresource_usage:\n  not an address:\n    storage_gb: 1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "infra-usage.yml:3: \"not an address\" is not a resource address"
        );
        let err = parse("version: 0.1\nresource_type_default_usage:\n  google_storage_bucket:\n    storage_gb: 1\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("google_storage_bucket is not a resource type the cost model knows"),
            "{err}"
        );
        let err = parse("version: 0.1\nresources: {}\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("infra-usage.yml:2: unknown key `resources`"),
            "{err}"
        );
    }

    #[test]
    fn addresses_give_their_type() {
        assert_eq!(
            type_of_address("aws_s3_bucket.assets").as_deref(),
            Some("aws_s3_bucket")
        );
        assert_eq!(
            type_of_address("module.app.aws_ecs_service.web[\"a.b\"]").as_deref(),
            Some("aws_ecs_service")
        );
        assert_eq!(
            type_of_address("module.a[0].module.b.aws_eip.nat[2]").as_deref(),
            Some("aws_eip")
        );
        assert_eq!(
            type_of_address("aws_s3_bucket.logs[*]").as_deref(),
            Some("aws_s3_bucket")
        );
        assert_eq!(type_of_address("data.aws_ami.x"), None);
        assert_eq!(type_of_address("nonsense"), None);
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("usage.yml");
        std::fs::write(
            &p,
            "version: 0.1\nresource_usage:\n  aws_nat_gateway.main:\n    monthly_data_processed_gb: 100\n",
        )
        .unwrap();
        let u = Usage::load(&p).unwrap();
        assert_eq!(u.file(), Some(p.as_path()));
        assert_eq!(
            u.for_resource("aws_nat_gateway.main", "aws_nat_gateway")["monthly_data_processed_gb"],
            Decimal::from(100)
        );
        let missing = Usage::load(&dir.path().join("nope.yml")).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read "), "{missing}");
    }
}
