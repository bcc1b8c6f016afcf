//! Building resource values: [`complete`] gives an object every attribute and nested block of its schema
//! (null or empty when absent), as the engine expects; small accessors read planned values, treating
//! unknown and empty as absent; [`ReadResults`] helps `read_many` answer in the order of its priors.

use infra_provider::{Block, Nesting, OpContext, ProviderError, Result, Value};
use std::collections::{BTreeMap, HashMap};

/// Returns `v` with every attribute of `block` present (null when missing) and nested blocks completed
/// recursively (list/set blocks become empty lists/sets when missing).
pub fn complete(block: &Block, v: Value) -> Value {
    let mut m = match v {
        Value::Map(m) => m,
        _ => BTreeMap::new(),
    };
    for name in block.attributes.keys() {
        m.entry(name.clone()).or_insert(Value::Null);
    }
    for (name, nb) in &block.blocks {
        let cur = m.remove(name).unwrap_or(Value::Null);
        let done = match nb.nesting {
            Nesting::Single => match cur {
                Value::Null => Value::Null,
                Value::List(items) | Value::Set(items) => items
                    .into_iter()
                    .next()
                    .map(|x| complete(&nb.block, x))
                    .unwrap_or(Value::Null),
                other => complete(&nb.block, other),
            },
            Nesting::List => Value::List(items_of(cur).into_iter().map(|x| complete(&nb.block, x)).collect()),
            Nesting::Set => Value::set(items_of(cur).into_iter().map(|x| complete(&nb.block, x)).collect()),
        };
        m.insert(name.clone(), done);
    }
    Value::Map(m)
}

fn items_of(v: Value) -> Vec<Value> {
    match v {
        Value::List(items) | Value::Set(items) => items,
        Value::Null | Value::Unknown => Vec::new(),
        other => vec![other],
    }
}

/// A known, non-empty string attribute.
pub fn str_attr(v: &Value, key: &str) -> Option<String> {
    v.get_str(key).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A known bool attribute, or `default`.
pub fn bool_attr(v: &Value, key: &str, default: bool) -> bool {
    v.get_bool(key).unwrap_or(default)
}

/// A known integer attribute.
pub fn int_attr(v: &Value, key: &str) -> Option<i64> {
    v.get_i64(key)
}

/// True when the attribute differs between prior and planned (null and absent are equal).
pub fn changed(prior: &Value, planned: &Value, key: &str) -> bool {
    let a = prior.get(key).cloned().unwrap_or(Value::Null);
    let b = planned.get(key).cloned().unwrap_or(Value::Null);
    a != b
}

/// The prior value of an attribute the API does not return (kept from state), or `default` when the prior
/// has none (e.g. on import).
pub fn carry(prior: &Value, key: &str, default: Value) -> Value {
    match prior.get(key) {
        Some(v) if !v.is_null() && !v.is_unknown() => v.clone(),
        _ => default,
    }
}

/// The `id` of a prior object.
pub fn id_of(prior: &Value) -> Result<String> {
    str_attr(prior, "id").ok_or_else(|| ProviderError::invalid("the object has no id"))
}

/// `planned` with unknowns turned to null and `id` set: what is stored for a create that made an object
/// but failed in a later step and could not read it back.
pub fn partial_object(block: &Block, planned: &Value, id: &str) -> Value {
    complete(block, without_unknowns(planned).with("id", Value::string(id)))
}

/// `v` with every unknown (deep) turned to null.
pub fn without_unknowns(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.iter().map(without_unknowns).collect()),
        Value::Set(items) => Value::set(items.iter().map(without_unknowns).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), without_unknowns(v))).collect()),
        other => other.clone(),
    }
}

/// The one result of a batched read of one object.
pub fn single(results: Vec<Result<Option<Value>>>) -> Result<Option<Value>> {
    results.into_iter().next().unwrap_or(Ok(None))
}

/// A prior for reading the object `id` right after a create/update: `planned` without unknowns, with `id`.
pub fn prior_for(planned: &Value, id: &str) -> Value {
    without_unknowns(planned).with("id", Value::string(id))
}

/// Collects the results of a batched read by key, then answers in the order of the priors.
pub struct ReadResults {
    found: HashMap<String, Value>,
}

impl ReadResults {
    pub fn new() -> Self {
        ReadResults { found: HashMap::new() }
    }
    pub fn insert(&mut self, key: impl Into<String>, v: Value) {
        self.found.insert(key.into(), v);
    }
    pub fn contains(&self, key: &str) -> bool {
        self.found.contains_key(key)
    }
    /// One result per prior: the object found under `key_of(prior)`, or `None`.
    /// Two priors with the same key both get the object.
    pub fn answer(self, priors: &[Value], key_of: impl Fn(&Value) -> Option<String>) -> Vec<Result<Option<Value>>> {
        priors
            .iter()
            .map(|p| match key_of(p) {
                Some(k) => Ok(self.found.get(&k).cloned()),
                None => Err(ProviderError::invalid("the object has no id")),
            })
            .collect()
    }
}

impl Default for ReadResults {
    fn default() -> Self {
        Self::new()
    }
}

/// The same error for every prior (a batch call failed).
pub fn all_failed(n: usize, e: ProviderError) -> Vec<Result<Option<Value>>> {
    (0..n).map(|_| Err(e.clone())).collect()
}

/// The distinct known `key` attributes of the priors, in order.
pub fn keys_of(priors: &[Value], key: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    priors
        .iter()
        .filter_map(|p| str_attr(p, key))
        .filter(|k| seen.insert(k.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_provider::{Attribute, NestedBlock, Type};

    #[test]
    fn answers_follow_the_priors() {
        let mut r = ReadResults::new();
        r.insert("a", Value::from("A"));
        let priors = [
            Value::map([("id", Value::from("b"))]),
            Value::map([("id", Value::from("a"))]),
            Value::map([("id", Value::from("a"))]),
            Value::empty_map(),
        ];
        let got = r.answer(&priors, |p| str_attr(p, "id"));
        assert_eq!(got[0].as_ref().unwrap(), &None);
        assert_eq!(got[1].as_ref().unwrap(), &Some(Value::from("A")));
        assert_eq!(got[2].as_ref().unwrap(), &Some(Value::from("A")));
        assert!(got[3].is_err());
    }

    #[test]
    fn complete_fills_every_attribute_and_block() {
        let b = Block::new()
            .id()
            .attr("name", Attribute::optional(Type::String))
            .block(
                "rule",
                NestedBlock::set(Block::new().attr("port", Attribute::required(Type::Number))),
            )
            .block(
                "single",
                NestedBlock::list(Block::new().attr("x", Attribute::optional(Type::String))).max(1),
            );
        let v = complete(
            &b,
            Value::map([("rule", Value::List(vec![Value::map([("other", Value::int(1))])]))]),
        );
        assert_eq!(v.get("id"), Some(&Value::Null));
        assert_eq!(v.get("single"), Some(&Value::List(vec![])));
        let rule = &v.get_list("rule")[0];
        assert_eq!(rule.get("port"), Some(&Value::Null));
        assert!(matches!(v.get("rule"), Some(Value::Set(_))));
    }
}

/// An idempotency token for APIs with length rules, derived deterministically from the operation's
/// client token (stable across reruns of an interrupted create): ASCII letters, digits and `-`, padded
/// with a hash of the token up to `min` characters and cut at `max`.
pub fn idempotency_token(client_token: &str, min: usize, max: usize) -> String {
    let mut t: String = client_token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    while t.len() < min {
        for b in t.bytes().chain(client_token.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        t.push_str(&format!("{h:016x}"));
    }
    t.truncate(max);
    t
}

#[cfg(test)]
mod token_tests {
    use super::idempotency_token;

    #[test]
    fn tokens_are_stable_and_fit() {
        let a = idempotency_token("abc", 32, 64);
        assert_eq!(a, idempotency_token("abc", 32, 64));
        assert!(a.len() >= 32 && a.len() <= 64, "{a}");
        assert_ne!(a, idempotency_token("abd", 32, 64));
        let long = "x".repeat(100);
        assert_eq!(idempotency_token(&long, 1, 64).len(), 64);
    }
}

/// A unique name for a create that was given none, as Terraform makes them (`terraform-` or the
/// `name_prefix`, then 26 characters). Derived from the client token, so a rerun of an interrupted create
/// asks for the same name.
pub fn unique_name(prefix: Option<&str>, client_token: &str) -> String {
    let suffix: String = idempotency_token(&format!("name-{client_token}"), 40, 64)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let suffix = &suffix[suffix.len().saturating_sub(26)..];
    format!("{}{suffix}", prefix.unwrap_or("terraform-"))
}

/// The name a create asks for: `name`, else `name_prefix` (or `default_prefix`) and a suffix derived from
/// the client token (see [`unique_name`]).
pub fn planned_name(ctx: &OpContext, planned: &Value, default_prefix: &str) -> String {
    str_attr(planned, "name").unwrap_or_else(|| {
        let prefix = str_attr(planned, "name_prefix");
        unique_name(Some(prefix.as_deref().unwrap_or(default_prefix)), &ctx.client_token)
    })
}

/// `cloud` unless it is the same JSON document as the prior value, in which case the prior text is kept
/// (policies come back reformatted).
pub fn keep_json_text(prior: Option<&str>, cloud: Option<&str>) -> Value {
    match (prior, cloud) {
        (Some(p), Some(c)) => {
            let same = matches!(
                (serde_json::from_str::<serde_json::Value>(p), serde_json::from_str::<serde_json::Value>(c)),
                (Ok(a), Ok(b)) if a == b
            );
            Value::string(if same { p } else { c })
        }
        (_, c) => Value::opt_string(c.filter(|s| !s.is_empty())),
    }
}

/// A value the API reports as `false` for an optional argument the prior left null stays null, so that
/// an argument nobody set shows no drift (the engine compares null and `false` as different).
pub fn false_as_prior(prior: &Value, key: &str, cloud: Option<bool>) -> Value {
    match cloud {
        Some(false) | None if prior.get(key).is_none_or(Value::is_null) => Value::Null,
        other => Value::Bool(other.unwrap_or(false)),
    }
}

/// `Check::Fn` for an IPv4 CIDR block of a security group rule (host bits allowed).
pub fn ipv4_cidr_any(v: &Value) -> std::result::Result<(), String> {
    v.as_str().map_or(Ok(()), |s| infra_provider::check::any_cidr(s, false))
}

/// `Check::Fn` for an IPv6 CIDR block of a security group rule (host bits allowed).
pub fn ipv6_cidr_any(v: &Value) -> std::result::Result<(), String> {
    v.as_str().map_or(Ok(()), |s| infra_provider::check::any_cidr(s, true))
}

/// `Check::Fn`: an IPv4 network CIDR block or the empty string (route table routes).
pub fn ipv4_network_or_empty(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some("") | None => Ok(()),
        Some(s) => infra_provider::check::ipv4_cidr(s),
    }
}

/// `Check::Fn`: an IPv6 network CIDR block or the empty string (route table routes).
pub fn ipv6_network_or_empty(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some("") | None => Ok(()),
        Some(s) => infra_provider::check::ipv6_cidr(s),
    }
}

/// `Check::Fn`: an IPv4 address (`10.0.1.5`).
pub fn ipv4_address(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(s) if !s.is_empty() && s.parse::<std::net::Ipv4Addr>().is_err() => {
            Err(format!("{s:?} is not a valid IPv4 address."))
        }
        _ => Ok(()),
    }
}

/// Protocol names a security group rule accepts besides numbers (any case).
const PROTOCOL_NAMES: &[&str] = &["tcp", "udp", "icmp", "icmpv6", "all", "-1", "esp", "ah", "vrrp"];

/// `Check::Fn` for a security group rule protocol: a name (`tcp`, `udp`, `icmp`, `icmpv6`, `all` or
/// `-1`, any case) or an IP protocol number 0–255.
pub fn ip_protocol(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    if PROTOCOL_NAMES.iter().any(|p| p.eq_ignore_ascii_case(s)) {
        return Ok(());
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u32>() {
            Ok(n) if n <= 255 => Ok(()),
            _ => Err(format!("protocol number {s} is not between 0 and 255.")),
        };
    }
    let hint = ["tcp", "udp", "icmp", "icmpv6", "all"]
        .iter()
        .find(|p| {
            s.len() > 1
                && (p.starts_with(&s.to_ascii_lowercase()) || strsim::osa_distance(p, &s.to_ascii_lowercase()) <= 1)
        })
        .map(|p| format!(" Did you mean {p:?}?"))
        .unwrap_or_default();
    Err(format!(
        "expected a protocol name (\"tcp\", \"udp\", \"icmp\", \"icmpv6\", \"all\" or \"-1\") or a protocol number \
         between 0 and 255, got {s:?}.{hint}"
    ))
}

/// A number given as a string or a number (`"300"`, `300`).
pub fn int_of(v: &Value) -> Option<std::result::Result<i64, String>> {
    match v {
        Value::Number(_) => Some(
            v.as_i64()
                .ok_or_else(|| format!("expected a whole number, got {}.", v.as_f64().unwrap_or(0.0))),
        ),
        Value::String(s) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("expected a whole number, got {s:?}.")),
        ),
        _ => None,
    }
}

/// The rule of a security group rule's ports, as the AWS provider applies it: for TCP and UDP both ports
/// 0–65535 and `from_port <= to_port`; for ICMP and ICMPv6 a type and a code, -1–255 each; for all
/// protocols (`-1`) both 0 when `all_needs_zero`. `None` when the rule is fine (or not fully known).
pub fn rule_ports_problem(protocol: &str, from: Option<i64>, to: Option<i64>, all_needs_zero: bool) -> Option<String> {
    let p = protocol.trim().to_ascii_lowercase();
    match p.as_str() {
        "tcp" | "6" | "udp" | "17" => {
            let (from, to) = (from?, to?);
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) {
                Some(format!(
                    "from_port ({from}) and to_port ({to}) of a {p} rule must be ports between 0 and 65535"
                ))
            } else if from > to {
                Some(format!("from_port ({from}) must not be greater than to_port ({to})"))
            } else {
                None
            }
        }
        "icmp" | "1" | "icmpv6" | "58" => {
            let bad = |n: Option<i64>| n.is_some_and(|n| !(-1..=255).contains(&n));
            (bad(from) || bad(to)).then(|| {
                format!(
                    "for {p}, from_port is the ICMP type and to_port the ICMP code: each between -1 and 255, got {} and {}",
                    from.map_or("null".into(), |n| n.to_string()),
                    to.map_or("null".into(), |n| n.to_string())
                )
            })
        }
        "-1" | "all" if all_needs_zero => {
            let (from, to) = (from?, to?);
            (from != 0 || to != 0).then(|| {
                format!("from_port ({from}) and to_port ({to}) must both be 0 to use the 'ALL' \"-1\" protocol")
            })
        }
        _ => None,
    }
}

/// `Check::Fn`: an RDS backup window, `hh24:mi-hh24:mi` (UTC).
pub fn daily_window(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let ok = s.split_once('-').is_some_and(|(a, b)| hh_mm(a) && hh_mm(b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a window in the format hh24:mi-hh24:mi, like \"03:00-04:00\"."
        ))
    }
}

/// `Check::Fn`: an RDS maintenance window, `ddd:hh24:mi-ddd:hh24:mi` (UTC).
pub fn weekly_window(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let part = |p: &str| {
        p.split_once(':')
            .is_some_and(|(d, t)| DAYS.contains(&d.to_ascii_lowercase().as_str()) && hh_mm(t))
    };
    if s.split_once('-').is_some_and(|(a, b)| part(a) && part(b)) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a window in the format ddd:hh24:mi-ddd:hh24:mi, like \"sun:05:00-sun:06:00\"."
        ))
    }
}

fn hh_mm(s: &str) -> bool {
    s.split_once(':').is_some_and(|(h, m)| {
        h.len() == 2 && m.len() == 2 && h.parse::<u32>().is_ok_and(|h| h < 24) && m.parse::<u32>().is_ok_and(|m| m < 60)
    })
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn rule_cidrs_allow_host_bits() {
        assert!(ipv4_cidr_any(&Value::string("10.0.0.1/16")).is_ok());
        assert!(ipv4_cidr_any(&Value::string("0.0.0.0/0")).is_ok());
        for bad in ["10.9.0.0/33", "10.9.0.300/16", "0.0.0.0/99", "10.0.0.0", "::/0"] {
            assert!(ipv4_cidr_any(&Value::string(bad)).is_err(), "{bad}");
        }
        assert!(ipv6_cidr_any(&Value::string("::/0")).is_ok());
        assert!(ipv6_cidr_any(&Value::string("2001:db8::1/64")).is_ok());
        assert!(ipv6_cidr_any(&Value::string("2001:db8::/129")).is_err());
        assert!(ipv4_network_or_empty(&Value::string("")).is_ok());
        assert!(ipv4_network_or_empty(&Value::string("10.0.0.1/16")).is_err());
    }

    #[test]
    fn protocols() {
        for ok in [
            "tcp", "TCP", "udp", "icmp", "icmpv6", "all", "-1", "6", "0", "255", "esp",
        ] {
            assert!(ip_protocol(&Value::string(ok)).is_ok(), "{ok}");
        }
        assert!(ip_protocol(&Value::string("256")).is_err());
        let e = ip_protocol(&Value::string("tpc")).unwrap_err();
        assert!(e.contains("Did you mean \"tcp\""), "{e}");
        assert!(ip_protocol(&Value::Unknown).is_ok());
    }

    #[test]
    fn rule_ports() {
        assert!(rule_ports_problem("tcp", Some(80), Some(80), true).is_none());
        assert!(rule_ports_problem("tcp", Some(90), Some(80), true).is_some());
        assert!(rule_ports_problem("icmp", Some(8), Some(0), true).is_none());
        assert!(rule_ports_problem("icmp", Some(300), Some(0), true).is_some());
        assert!(rule_ports_problem("-1", Some(0), Some(0), true).is_none());
        assert!(rule_ports_problem("-1", Some(0), Some(65535), true).is_some());
        assert!(rule_ports_problem("-1", Some(0), Some(65535), false).is_none());
        assert!(rule_ports_problem("tcp", None, Some(80), true).is_none());
    }

    #[test]
    fn windows() {
        assert!(daily_window(&Value::string("03:00-04:00")).is_ok());
        assert!(daily_window(&Value::string("3:00-04:00")).is_err());
        assert!(weekly_window(&Value::string("sun:05:00-sun:06:00")).is_ok());
        assert!(weekly_window(&Value::string("Mon:00:00-Mon:03:00")).is_ok());
        assert!(weekly_window(&Value::string("sun:05:00")).is_err());
    }
}
