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

/// Terraform's rule that `name` and `name_prefix` conflict.
pub fn check_name_or_prefix(config: &Value) -> Result<()> {
    let set = |k: &str| !config.get(k).is_none_or(Value::is_null);
    if set("name") && set("name_prefix") {
        return Err(ProviderError::invalid("only one of name and name_prefix may be set"));
    }
    Ok(())
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
