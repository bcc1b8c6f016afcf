//! Typed addresses: resources (`aws_vpc.main`, `data.aws_region.current`), their instances
//! (`aws_subnet.private[0]`, `aws_subnet.az["a"]`) and provider configurations (`aws`, `aws.west`).
//!
//! Resources in modules carry the module instance path in front (`module.net.aws_subnet.private[0]`,
//! `module.app["api"].aws_ecs_service.this`).
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
    /// An `ephemeral` block: opened at plan and at apply, never in a plan or the state.
    Ephemeral,
}

/// A module instance: the calls from the root module down to it, each with its instance key
/// (`module.net`, `module.app["api"].module.db`). Empty for the root module.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModulePath(pub Vec<(String, InstanceKey)>);

impl ModulePath {
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// The path of a module instance called from this one.
    pub fn child(&self, name: &str, key: InstanceKey) -> ModulePath {
        let mut p = self.0.clone();
        p.push((name.to_string(), key));
        ModulePath(p)
    }
    /// True when `self` is `other` or inside it; a step of `other` without a key matches every
    /// instance of that call (`module.app` contains `module.app["api"]`).
    pub fn within(&self, other: &ModulePath) -> bool {
        other.0.len() <= self.0.len()
            && other
                .0
                .iter()
                .zip(&self.0)
                .all(|((on, ok), (n, k))| on == n && (*ok == InstanceKey::None || ok == k))
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{name}{key}")?;
        }
        Ok(())
    }
}

impl FromStr for ModulePath {
    type Err = AddrError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (path, rest) = parse_module_prefix(input)?;
        if !rest.is_empty() || path.is_root() {
            return Err(AddrError {
                input: input.to_string(),
                reason: "expected a module address like module.net or module.app[\"api\"]".into(),
            });
        }
        Ok(path)
    }
}

/// The root name of a reference to a resource of module instance `path`, as module expansion writes it
/// into the expressions of a module (`aws_vpc` in `module.net` becomes `\u{1}module.net\u{1}aws_vpc`).
pub fn scoped_root(path: &ModulePath, root: &str) -> String {
    format!("\u{1}{path}\u{1}{root}")
}

/// The module path and root name of a root written by [`scoped_root`]; other roots are in the root module.
pub fn split_scoped_root(name: &str) -> (ModulePath, &str) {
    if let Some(rest) = name.strip_prefix('\u{1}')
        && let Some((path, root)) = rest.split_once('\u{1}')
        && let Ok(p) = path.parse::<ModulePath>()
    {
        return (p, root);
    }
    (ModulePath::root(), name)
}

/// A resource (all instances of one `resource` or `data` block, in one module instance).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    pub module: ModulePath,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn managed(type_name: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            module: ModulePath::root(),
            mode: Mode::Managed,
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }
    pub fn data(type_name: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            module: ModulePath::root(),
            mode: Mode::Data,
            type_name: type_name.to_string(),
            name: name.to_string(),
        }
    }
    /// The same resource in module instance `module` (its path replaced).
    pub fn in_module(&self, module: &ModulePath) -> ResourceAddr {
        ResourceAddr {
            module: module.clone(),
            ..self.clone()
        }
    }
    /// The address inside its module: `aws_subnet.private` for `module.net.aws_subnet.private`.
    pub fn local(&self) -> ResourceAddr {
        self.in_module(&ModulePath::root())
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
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        match self.mode {
            Mode::Data => write!(f, "data.")?,
            Mode::Ephemeral => write!(f, "ephemeral.")?,
            Mode::Managed => {}
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

/// Parses `[KEY]` at the start of `s`: the key and what follows it.
fn parse_key(s: &str) -> Result<(InstanceKey, &str), String> {
    let Some(r) = s.strip_prefix('[') else {
        return Ok((InstanceKey::None, s));
    };
    // A string key may hold `]`: read it as JSON up to its closing quote.
    let inner_end = if r.trim_start().starts_with('"') {
        let q = r.find('"').unwrap_or(0);
        let mut esc = false;
        let mut close = None;
        for (i, ch) in r[q + 1..].char_indices() {
            match ch {
                _ if esc => esc = false,
                '\\' => esc = true,
                '"' => {
                    close = Some(q + 1 + i);
                    break;
                }
                _ => {}
            }
        }
        let close = close.ok_or("a string key must be closed with \"")?;
        r[close..].find(']').map(|j| close + j)
    } else {
        r.find(']')
    };
    let Some(end) = inner_end else {
        return Err("an index must be closed with ]".into());
    };
    let inner = r[..end].trim();
    let key = if let Ok(n) = inner.parse::<i64>() {
        InstanceKey::Int(n)
    } else if let Ok(serde_json::Value::String(k)) = serde_json::from_str::<serde_json::Value>(inner) {
        InstanceKey::Str(k)
    } else {
        return Err("an index must be a number or a quoted string".into());
    };
    Ok((key, &r[end + 1..]))
}

/// Splits the `module.NAME[KEY].` steps off the front of an address.
fn parse_module_prefix(input: &str) -> Result<(ModulePath, &str), AddrError> {
    let fail = |reason: &str| AddrError {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let mut rest = input.trim();
    let mut path = ModulePath::root();
    while let Some(r) = rest.strip_prefix("module.") {
        let end = r.find(['.', '[']).unwrap_or(r.len());
        let name = &r[..end];
        if !is_ident(name) {
            return Err(fail("a module name must follow module."));
        }
        let (key, after) = parse_key(&r[end..]).map_err(|e| fail(&e))?;
        path.0.push((name.to_string(), key));
        rest = match after.strip_prefix('.') {
            Some(a) => a,
            None if after.is_empty() => "",
            None => return Err(fail("expected . after a module instance")),
        };
    }
    Ok((path, rest))
}

impl FromStr for InstanceAddr {
    type Err = AddrError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| AddrError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (module, s) = parse_module_prefix(input)?;
        if s.is_empty() && !module.is_root() {
            return Err(fail(
                "this is a module address; a resource address continues with TYPE.NAME",
            ));
        }
        let (body, key) = match s.find('[') {
            Some(i) => {
                let (key, after) = parse_key(&s[i..]).map_err(|e| fail(&e))?;
                if !after.is_empty() {
                    return Err(fail("nothing may follow the instance key"));
                }
                (&s[..i], key)
            }
            None => (s, InstanceKey::None),
        };
        let parts: Vec<&str> = body.split('.').collect();
        let (mode, parts) = match parts.first() {
            Some(&"data") => (Mode::Data, &parts[1..]),
            Some(&"ephemeral") => (Mode::Ephemeral, &parts[1..]),
            _ => (Mode::Managed, &parts[..]),
        };
        if parts.len() != 2 || !is_ident(parts[0]) || !is_ident(parts[1]) || parts[0] == "module" {
            return Err(fail(
                "expected TYPE.NAME, optionally with module.NAME. and data. in front and an index after",
            ));
        }
        Ok(InstanceAddr {
            resource: ResourceAddr {
                module,
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
            "module.net.aws_subnet.private[0]",
            "module.app[\"api\"].aws_ecs_service.this",
            "module.app[\"a]b\"].module.db[2].data.aws_vpc.x",
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
            "module.a",
            "module..aws_vpc.b",
            "module.a[x].aws_vpc.b",
            "module.a.module.aws_vpc",
            "1a.b",
        ] {
            assert!(s.parse::<InstanceAddr>().is_err(), "{s} should not parse");
        }
    }

    #[test]
    fn module_paths_contain_their_instances() {
        let inst: InstanceAddr = "module.app[\"api\"].module.db.aws_db_instance.x".parse().unwrap();
        assert_eq!(inst.resource.module.0.len(), 2);
        assert_eq!(inst.resource.local().to_string(), "aws_db_instance.x");
        let all: ModulePath = "module.app".parse().unwrap();
        let api: ModulePath = "module.app[\"api\"]".parse().unwrap();
        let web: ModulePath = "module.app[\"web\"]".parse().unwrap();
        assert!(inst.resource.module.within(&all));
        assert!(inst.resource.module.within(&api));
        assert!(!inst.resource.module.within(&web));
        assert!(!all.within(&api));
        assert!("aws_vpc.x".parse::<ModulePath>().is_err());
    }

    #[test]
    fn provider_keys_round_trip() {
        let k = ProviderKey::try_from("aws.west".to_string()).unwrap();
        assert_eq!(k.alias.as_deref(), Some("west"));
        assert_eq!(String::from(k), "aws.west");
    }
}
