//! Typed addresses: resources (`aws_vpc.main`, `data.aws_region.current`), their instances
//! (`aws_subnet.private[0]`, `aws_subnet.az["a"]`) and provider configurations (`aws`, `aws.west`).
//!
//! Addresses print and parse exactly as Terraform writes them, so `--target`, `state rm` and `import` take
//! what a Terraform user would type.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

/// A resource (all instances of one `resource` or `data` block).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn managed(type_name: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            mode: Mode::Managed,
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }
    pub fn data(type_name: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            mode: Mode::Data,
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
    /// The provider local name implied by the type name (`aws_vpc` → `aws`).
    pub fn implied_provider(&self) -> &str {
        self.type_name.split('_').next().unwrap_or(&self.type_name)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == Mode::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// Which instance of a resource: none (no `count`/`for_each`), `[3]` or `["key"]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

/// One resource instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// An address parse failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid resource address {input:?}: {reason}")]
pub struct AddrError {
    pub input: String,
    pub reason: String,
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

impl FromStr for InstanceAddr {
    type Err = AddrError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| AddrError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let s = input.trim();
        let (body, key) = match s.find('[') {
            Some(i) => {
                let Some(inner) = s[i..].strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
                    return Err(fail("an index must be closed with ]"));
                };
                let key = if let Ok(n) = inner.trim().parse::<i64>() {
                    InstanceKey::Int(n)
                } else if let Ok(serde_json::Value::String(k)) = serde_json::from_str::<serde_json::Value>(inner.trim())
                {
                    InstanceKey::Str(k)
                } else {
                    return Err(fail("an index must be a number or a quoted string"));
                };
                (&s[..i], key)
            }
            None => (s, InstanceKey::None),
        };
        let parts: Vec<&str> = body.split('.').collect();
        let (mode, parts) = match parts.first() {
            Some(&"data") => (Mode::Data, &parts[1..]),
            Some(&"module") => return Err(fail("modules are not supported")),
            _ => (Mode::Managed, &parts[..]),
        };
        if parts.len() != 2 || !is_ident(parts[0]) || !is_ident(parts[1]) {
            return Err(fail(
                "expected TYPE.NAME, optionally with data. in front and an index after",
            ));
        }
        Ok(InstanceAddr {
            resource: ResourceAddr {
                mode,
                type_name: parts[0].to_string(),
                name: parts[1].to_string(),
            },
            key,
        })
    }
}

impl Serialize for InstanceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for InstanceAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
impl Serialize for ResourceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for ResourceAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let a: InstanceAddr = s.parse().map_err(serde::de::Error::custom)?;
        if a.key != InstanceKey::None {
            return Err(serde::de::Error::custom(format!(
                "{s:?} is an instance address, not a resource address"
            )));
        }
        Ok(a.resource)
    }
}

/// A provider configuration: local name and optional alias (`aws`, `aws.west`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ProviderKey {
    pub name: String,
    pub alias: Option<String>,
}

impl ProviderKey {
    pub fn default_for(name: &str) -> ProviderKey {
        ProviderKey {
            name: name.to_string(),
            alias: None,
        }
    }
}

impl fmt::Display for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(a) => write!(f, "{}.{}", self.name, a),
            None => write!(f, "{}", self.name),
        }
    }
}

impl From<ProviderKey> for String {
    fn from(k: ProviderKey) -> String {
        k.to_string()
    }
}

impl TryFrom<String> for ProviderKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let s = s.strip_prefix("provider.").unwrap_or(&s);
        match s.split_once('.') {
            Some((n, a)) if is_ident(n) && is_ident(a) => Ok(ProviderKey {
                name: n.into(),
                alias: Some(a.into()),
            }),
            None if is_ident(s) => Ok(ProviderKey {
                name: s.into(),
                alias: None,
            }),
            _ => Err(format!("invalid provider address {s:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_terraform_addresses() {
        for s in [
            "aws_vpc.main",
            "data.aws_region.current",
            "aws_subnet.private[0]",
            "aws_subnet.az[\"us-east-1a\"]",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        let a: InstanceAddr = "aws_subnet.private[2]".parse().unwrap();
        assert_eq!(a.key, InstanceKey::Int(2));
        assert_eq!(a.resource.implied_provider(), "aws");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for s in [
            "aws_vpc",
            "aws_vpc.main.extra",
            "aws_vpc.main[",
            "aws_vpc.main[x]",
            "module.a.aws_vpc.b",
            "1a.b",
        ] {
            assert!(s.parse::<InstanceAddr>().is_err(), "{s} should not parse");
        }
    }

    #[test]
    fn provider_keys_round_trip() {
        let k = ProviderKey::try_from("aws.west".to_string()).unwrap();
        assert_eq!(k.alias.as_deref(), Some("west"));
        assert_eq!(String::from(k), "aws.west");
    }
}
