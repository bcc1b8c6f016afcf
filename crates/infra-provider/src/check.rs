//! Value checks on schema attributes (Terraform SDK's `ValidateFunc`s): enumerations, integer ranges,
//! CIDR blocks, conflicting arguments. The engine applies them to every known value while decoding a
//! configuration, so a bad value is reported at its own `file:line` before any cloud call.

use crate::value::Value;

/// One check on an attribute's value. A list, set or map attribute applies it to each element; unknown
/// values and null pass.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// One of these strings (case-sensitive, as the APIs compare them).
    OneOf(&'static [&'static str]),
    /// One of these strings, compared case-insensitively (e.g. `HTTP`/`http`).
    OneOfIgnoreCase(&'static [&'static str]),
    /// An integer in `min..=max`.
    IntRange(i64, i64),
    /// An integer out of this list (`retention_in_days`).
    IntOneOf(&'static [i64]),
    /// An IPv4 network in CIDR notation (`10.0.0.0/16`).
    Ipv4Cidr,
    /// An IPv6 network in CIDR notation (`2001:db8::/56`).
    Ipv6Cidr,
    /// A string between these lengths, in characters.
    Length(usize, usize),
    /// Anything else: `Err` says what is wrong.
    Fn(fn(&Value) -> Result<(), String>),
}

impl Check {
    /// Checks one element (a string, number...). `Err` is the detail of the error the engine reports.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        let v = v.unmark_shallow().0;
        if v.is_null() || v.is_unknown() {
            return Ok(());
        }
        match self {
            Check::OneOf(allowed) | Check::OneOfIgnoreCase(allowed) => {
                let Some(s) = v.as_str() else { return Ok(()) };
                let ok = match self {
                    Check::OneOf(_) => allowed.contains(&s),
                    _ => allowed.iter().any(|a| a.eq_ignore_ascii_case(s)),
                };
                if ok {
                    return Ok(());
                }
                let hint = closest(s, allowed)
                    .map(|c| format!(" Did you mean {c:?}?"))
                    .unwrap_or_default();
                Err(format!("expected one of {}, got {s:?}.{hint}", quoted(allowed)))
            }
            Check::IntRange(min, max) => match v.as_f64() {
                Some(n) if n.fract() != 0.0 => Err(format!("expected a whole number, got {n}.")),
                Some(n) if n < *min as f64 || n > *max as f64 => {
                    Err(format!("expected a number between {min} and {max}, got {n}."))
                }
                _ => Ok(()),
            },
            Check::IntOneOf(allowed) => match v.as_f64() {
                Some(n) if !allowed.iter().any(|a| *a as f64 == n) => {
                    let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
                    Err(format!("expected one of {}, got {n}.", list.join(", ")))
                }
                _ => Ok(()),
            },
            Check::Ipv4Cidr => match v.as_str() {
                Some(s) => ipv4_cidr(s),
                None => Ok(()),
            },
            Check::Ipv6Cidr => match v.as_str() {
                Some(s) => ipv6_cidr(s),
                None => Ok(()),
            },
            Check::Length(min, max) => match v.as_str() {
                Some(s) if s.chars().count() < *min || s.chars().count() > *max => Err(format!(
                    "expected a length between {min} and {max}, got {} characters.",
                    s.chars().count()
                )),
                _ => Ok(()),
            },
            Check::Fn(f) => f(v),
        }
    }
}

/// What a type's own [`validate`](crate::ResourceType::validate) found wrong with a configuration: the
/// argument it is about (the engine points at its line) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub attribute: Option<String>,
    pub message: String,
}

impl Invalid {
    pub fn at(attribute: &str, message: impl Into<String>) -> Invalid {
        Invalid {
            attribute: Some(attribute.to_string()),
            message: message.into(),
        }
    }
    pub fn new(message: impl Into<String>) -> Invalid {
        Invalid {
            attribute: None,
            message: message.into(),
        }
    }
}

/// Every value check and conflict of `block` applied to a (decoded) configuration value, nested blocks
/// included: what the engine checks while decoding, for callers of a provider that did not decode
/// (the provider applies it again at plan time, so no caller can skip it).
pub fn check_block(block: &crate::schema::Block, v: &Value) -> Vec<Invalid> {
    let mut out = Vec::new();
    check_block_at(block, v, "", &mut out);
    out
}

fn check_block_at(block: &crate::schema::Block, v: &Value, prefix: &str, out: &mut Vec<Invalid>) {
    let Some(m) = v.unmark_shallow().0.as_map() else { return };
    let set = |n: &str| m.get(n).is_some_and(|x| !x.is_null());
    for (name, attr) in &block.attributes {
        let Some(x) = m.get(name) else { continue };
        if let Some(c) = &attr.check
            && let Err(e) = check_each(c, x)
        {
            // The message quotes the value: never a sensitive one.
            let e = if attr.sensitive {
                "it is sensitive, so it is not shown".to_string()
            } else {
                e
            };
            out.push(Invalid::at(&format!("{prefix}{name}"), format!("invalid value: {e}")));
        }
        if set(name)
            && let Some(other) = attr.conflicts_with.iter().find(|o| set(o))
        {
            out.push(Invalid::at(
                &format!("{prefix}{name}"),
                format!("conflicts with {other}"),
            ));
        }
    }
    for (name, nb) in &block.blocks {
        let items: Vec<&Value> = match m.get(name).map(|x| x.unmark_shallow().0) {
            Some(Value::List(items)) | Some(Value::Set(items)) => items.iter().collect(),
            Some(one @ Value::Map(_)) => vec![one],
            _ => continue,
        };
        for (i, item) in items.into_iter().enumerate() {
            check_block_at(&nb.block, item, &format!("{prefix}{name}[{i}]."), out);
        }
    }
}

fn check_each(c: &Check, v: &Value) -> Result<(), String> {
    match v.unmark_shallow().0 {
        Value::List(items) | Value::Set(items) => items.iter().try_for_each(|i| check_each(c, i)),
        Value::Map(m) => m.values().try_for_each(|i| check_each(c, i)),
        other => c.check(other),
    }
}

/// `10.0.0.0/16`: an IPv4 address, a prefix length of at most 32, and no host bits set (as AWS and the
/// Terraform provider require of network CIDRs).
pub fn ipv4_cidr(s: &str) -> Result<(), String> {
    network::<ipnet::Ipv4Net>(s, "IPv4", "10.0.0.0/16", 32)
}

/// `2001:db8::/56`, as [`ipv4_cidr`] for IPv6.
pub fn ipv6_cidr(s: &str) -> Result<(), String> {
    network::<ipnet::Ipv6Net>(s, "IPv6", "2001:db8::/56", 128)
}

/// A CIDR block of either family whose address may have host bits set (`10.0.0.1/16`), as security group
/// rules accept.
pub fn any_cidr(s: &str, v6: bool) -> Result<(), String> {
    if v6 {
        parse::<ipnet::Ipv6Net>(s, "IPv6", "2001:db8::/64", 128).map(drop)
    } else {
        parse::<ipnet::Ipv4Net>(s, "IPv4", "10.0.0.0/16", 32).map(drop)
    }
}

/// What every CIDR network of one family has: `trunc` clears the host bits.
trait Net: std::str::FromStr + std::fmt::Display + PartialEq + Copy {
    fn trunc(&self) -> Self;
}

impl Net for ipnet::Ipv4Net {
    fn trunc(&self) -> Self {
        ipnet::Ipv4Net::trunc(self)
    }
}

impl Net for ipnet::Ipv6Net {
    fn trunc(&self) -> Self {
        ipnet::Ipv6Net::trunc(self)
    }
}

fn parse<N: Net>(s: &str, family: &str, example: &str, max: u32) -> Result<N, String> {
    let Some((addr, len)) = s.split_once('/') else {
        return Err(format!(
            "{s:?} is not a CIDR block: expected an address and a prefix length, like {example:?}."
        ));
    };
    if addr.parse::<std::net::IpAddr>().map(|a| a.is_ipv6()) != Ok(family == "IPv6") {
        return Err(format!(
            "{s:?} is not a valid CIDR block: {addr:?} is not an {family} address."
        ));
    }
    if !len.bytes().all(|b| b.is_ascii_digit()) || len.parse::<u32>().map_or(true, |l| l > max) {
        return Err(format!(
            "{s:?} is not a valid CIDR block: the prefix length must be between 0 and {max}."
        ));
    }
    s.parse::<N>().map_err(|_| format!("{s:?} is not a valid CIDR block."))
}

fn network<N: Net>(s: &str, family: &str, example: &str, max: u32) -> Result<(), String> {
    let net = parse::<N>(s, family, example, max)?;
    if net.trunc() != net {
        return Err(format!(
            "{s:?} is not a valid network CIDR block: it has host bits set (the network is \"{}\").",
            net.trunc()
        ));
    }
    Ok(())
}

fn quoted(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    q.join(", ")
}

/// The allowed value nearest to `s` when it is close enough to be a typo.
fn closest<'a>(s: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::osa_distance(&s.to_lowercase(), &a.to_lowercase()), *a))
        .filter(|(d, a)| *d <= (a.len() / 3).max(1) || a.eq_ignore_ascii_case(s))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(ipv4_cidr("10.0.0.0/16").is_ok());
        assert!(ipv4_cidr("0.0.0.0/0").is_ok());
        assert!(ipv4_cidr("10.9.0.0/33").unwrap_err().contains("between 0 and 32"));
        assert!(ipv4_cidr("10.9.0.300/16").unwrap_err().contains("not an IPv4 address"));
        assert!(ipv4_cidr("0.0.0.0/99").is_err());
        assert!(ipv4_cidr("10.0.0.1/16").unwrap_err().contains("10.0.0.0/16"));
        assert!(ipv4_cidr("10.0.0.0").is_err());
        assert!(ipv6_cidr("::/0").is_ok());
        assert!(ipv6_cidr("2001:db8::/56").is_ok());
        assert!(ipv6_cidr("2001:db8::/129").is_err());
    }

    #[test]
    fn enums_suggest() {
        let c = Check::OneOf(&["String", "StringList", "SecureString"]);
        let e = c.check(&Value::string("Strng")).unwrap_err();
        assert!(e.contains("Did you mean \"String\""), "{e}");
        assert!(c.check(&Value::string("String")).is_ok());
        assert!(c.check(&Value::Unknown).is_ok());
        assert!(Check::IntRange(0, 65535).check(&Value::int(70000)).is_err());
        assert!(Check::IntRange(0, 65535).check(&Value::number(1.5)).is_err());
    }
}
