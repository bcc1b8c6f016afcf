//! Helpers shared by the resource types: building state objects from a schema, reading JSON fields,
//! the ownership tag, tag synchronisation, and waiting for Droplet actions.
//!
//! ## The ownership tag
//!
//! Every Droplet and database cluster infra creates carries one extra tag naming what created it, so
//! an interrupted create can be found again (`find_created`). DigitalOcean tags allow only letters,
//! digits, `-`, `_` and `:`, so the tag cannot hold the address itself; it is
//! `infra-` followed by the first 20 hex digits of SHA-256(`lineage` + `"\n"` + `address`), e.g.
//! `infra-3f1c0a9e2b7d4c5a6e81`. The same state and address always give the same tag; reads leave such
//! tags out of `tags`, so they never show as drift.

use crate::client::Client;
use infra_provider::{Block, Nesting, OpContext, Poll, ProviderError, Result, Value, wait_for};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// The ownership tag of (lineage, address). See the module documentation.
pub fn ownership_tag(lineage: &str, address: &str) -> String {
    let digest = Sha256::digest(format!("{lineage}\n{address}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("infra-{}", &hex[..20])
}

/// The ownership tag of an operation.
pub fn ctx_tag(ctx: &OpContext) -> String {
    ownership_tag(&ctx.lineage, &ctx.address)
}

/// True for tags made by [`ownership_tag`].
pub fn is_ownership_tag(t: &str) -> bool {
    t.strip_prefix("infra-")
        .is_some_and(|h| h.len() == 20 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// The tags of an API object without ownership tags, as a set.
pub fn user_tags(api: &Json) -> Value {
    Value::string_set(
        api.get("tags")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .filter(|t| !is_ownership_tag(t) && !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    )
}

/// A state object with every attribute of `block` (null) and every nested block (empty), then `pairs`.
pub fn object(block: &Block, pairs: Vec<(&str, Value)>) -> Value {
    let mut m = std::collections::BTreeMap::new();
    for name in block.attributes.keys() {
        m.insert(name.clone(), Value::Null);
    }
    for (name, nb) in &block.blocks {
        let empty = match nb.nesting {
            Nesting::Set => Value::Set(Vec::new()),
            Nesting::List => Value::List(Vec::new()),
            Nesting::Single => Value::Null,
        };
        m.insert(name.clone(), empty);
    }
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Map(m)
}

/// A JSON string field as a value (null when absent).
pub fn jstr(j: &Json, key: &str) -> Value {
    match j.get(key) {
        Some(Json::String(s)) => Value::string(s.clone()),
        Some(Json::Number(n)) => Value::string(n.to_string()),
        _ => Value::Null,
    }
}

/// A JSON number field as a value (null when absent).
pub fn jnum(j: &Json, key: &str) -> Value {
    match j.get(key) {
        Some(Json::Number(n)) => match n.as_i64() {
            Some(i) => Value::int(i),
            None => Value::number(n.as_f64().unwrap_or(0.0)),
        },
        _ => Value::Null,
    }
}

/// A JSON bool field as a value (null when absent).
pub fn jbool(j: &Json, key: &str) -> Value {
    j.get(key)
        .and_then(Json::as_bool)
        .map(Value::Bool)
        .unwrap_or(Value::Null)
}

/// The strings of a set/list attribute of a value.
pub fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get_strings(key)
}

/// The `id` attribute, required for operations on an existing object.
pub fn id_of(v: &Value) -> Result<&str> {
    v.get_str("id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::invalid("the object has no id"))
}

/// A string attribute that is set (not null, not unknown).
pub fn set_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get_str(key)
}

/// Whether attribute `key` differs between prior and planned.
pub fn changed(prior: &Value, planned: &Value, key: &str) -> bool {
    prior.get(key) != planned.get(key)
}

/// Whether planned differs from prior in any attribute or block other than `besides`. Plan rules that
/// mark what an update will change as unknown (`updated_at`, `status`) apply only when this is true:
/// marking them on an unchanged object would make the engine plan an update that changes nothing.
pub fn changed_besides(prior: &Value, planned: &Value, besides: &[&str]) -> bool {
    match (prior.as_map(), planned.as_map()) {
        (Some(a), Some(b)) => a
            .keys()
            .chain(b.keys())
            .filter(|k| !besides.contains(&k.as_str()))
            .any(|k| a.get(k) != b.get(k)),
        _ => prior != planned,
    }
}

/// Untags `old - new` and tags `new - old` on one resource (`resource_type` `droplet` or `database`),
/// creating tags that do not exist yet.
pub async fn sync_tags(
    client: &Client,
    resource_id: &str,
    resource_type: &str,
    old: &[String],
    new: &[String],
) -> Result<()> {
    let resource = json!({"resources": [{"resource_id": resource_id, "resource_type": resource_type}]});
    for t in old.iter().filter(|t| !new.contains(t)) {
        match client
            .delete_with_body(&format!("/v2/tags/{}/resources", enc(t)), &resource)
            .await
        {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    for t in new.iter().filter(|t| !old.contains(t)) {
        client.post("/v2/tags", &json!({"name": t})).await?;
        client
            .post(&format!("/v2/tags/{}/resources", enc(t)), &resource)
            .await?;
    }
    Ok(())
}

/// Percent-encodes a path segment.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Waits until action `id` is `completed` (an `errored` action is an error).
pub async fn wait_action(client: &Client, ctx: &OpContext, id: i64, what: &str) -> Result<()> {
    wait_for(ctx, what, || async move {
        let v = client.get(&format!("/v2/actions/{id}")).await?;
        match v.pointer("/action/status").and_then(Json::as_str) {
            Some("completed") => Ok(Poll::Ready(())),
            Some("errored") => Err(ProviderError::api(
                "action_errored",
                format!("{what}: action {id} errored"),
            )),
            Some(s) => Ok(Poll::Pending(s.to_string())),
            None => Ok(Poll::Pending("unknown".into())),
        }
    })
    .await
}

/// Runs a Droplet action and returns its ID.
pub async fn droplet_action(client: &Client, droplet: &str, body: Json) -> Result<i64> {
    let v = client.post(&format!("/v2/droplets/{droplet}/actions"), &body).await?;
    v.pointer("/action/id")
        .and_then(Json::as_i64)
        .ok_or_else(|| ProviderError::new(format!("droplet action {} answered without an action id", body["type"])))
}

#[cfg(test)]
mod tests {

    #[test]
    fn changed_besides_ignores_only_the_keys_named() {
        let prior = Value::map([("name", Value::string("a")), ("updated_at", Value::string("t1"))]);
        let same = Value::map([("name", Value::string("a")), ("updated_at", Value::Unknown)]);
        let renamed = Value::map([("name", Value::string("b")), ("updated_at", Value::string("t1"))]);
        assert!(!changed_besides(&prior, &same, &["updated_at"]));
        assert!(changed_besides(&prior, &same, &[]));
        assert!(changed_besides(&prior, &renamed, &["updated_at"]));
    }
    use super::*;

    #[test]
    fn ownership_tags_are_short_deterministic_and_valid() {
        let a = ownership_tag("4b7a0c4e-lineage", "digitalocean_droplet.web[\"a\"]");
        assert_eq!(a, ownership_tag("4b7a0c4e-lineage", "digitalocean_droplet.web[\"a\"]"));
        assert_ne!(a, ownership_tag("4b7a0c4e-lineage", "digitalocean_droplet.web[\"b\"]"));
        assert_ne!(a, ownership_tag("other-lineage", "digitalocean_droplet.web[\"a\"]"));
        assert_eq!(a.len(), 26);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')
        );
        assert!(is_ownership_tag(&a));
        assert!(!is_ownership_tag("infra-web"));
        assert!(!is_ownership_tag("production"));
        // The documented scheme, pinned: SHA-256("l\na") starts with these 20 hex digits.
        assert_eq!(ownership_tag("l", "a"), "infra-5dbe9af7a7e303013a79");
        assert_eq!(
            ownership_tag("4b7a0c4e-lineage", "digitalocean_droplet.web"),
            "infra-df6e8bce1a87e84a86ff"
        );
    }

    #[test]
    fn user_tags_leave_ownership_tags_out() {
        let tag = ownership_tag("l", "a.b");
        let api = json!({"tags": ["web", tag, "prod"]});
        assert_eq!(user_tags(&api), Value::string_set(["prod", "web"]));
    }
}
