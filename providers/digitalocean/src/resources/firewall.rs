//! `digitalocean_firewall`: a cloud firewall applied to Droplets (by ID or by tag).
//!
//! Create is `POST /v2/firewalls`; every update sends the whole object with `PUT /v2/firewalls/{id}`.
//! Rules are sets of blocks: `inbound_rule { protocol, port_range, source_addresses, source_droplet_ids,
//! source_load_balancer_uids, source_kubernetes_ids, source_tags }` and the same with `destination_` for
//! `outbound_rule`. The API answers port `0` for "all" ports and for ICMP rules without ports; reads turn
//! it back into `all` (TCP/UDP) or no `port_range` (ICMP), as Terraform does. `tags` here are the tags of
//! the Droplets the firewall applies to, not tags on the firewall.
//!
//! Refresh lists all firewalls (`GET /v2/firewalls`, paginated). Firewall names are not unique, so
//! `find_created` adopts an existing firewall only when exactly one has the planned name, Droplets, tags
//! and rules.

use crate::client::Client;
use crate::util::{changed_besides, id_of, jstr, object};
use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema,
    Type, Value,
};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

pub struct Firewall;

/// Target kinds of a rule: (attribute suffix, API key, element is a number).
const TARGETS: &[(&str, &str, bool)] = &[
    ("addresses", "addresses", false),
    ("droplet_ids", "droplet_ids", true),
    ("load_balancer_uids", "load_balancer_uids", false),
    ("kubernetes_ids", "kubernetes_ids", false),
    ("tags", "tags", false),
];

/// `Check::Fn` for a firewall address: an IPv4 or IPv6 address or CIDR block (`203.0.113.7`,
/// `203.0.113.0/24`, `::/0`).
pub(crate) fn ip_or_cidr(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let max = match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => 32,
        Ok(std::net::IpAddr::V6(_)) => 128,
        Err(_) => {
            return Err(format!(
                "{s:?} is not an IP address or CIDR block, like \"203.0.113.7\" or \"203.0.113.0/24\"."
            ));
        }
    };
    match len {
        Some(l) if !l.parse::<u32>().is_ok_and(|l| l <= max) || l.starts_with('+') => Err(format!(
            "{s:?} is not a valid CIDR block: the prefix length must be between 0 and {max}."
        )),
        _ => Ok(()),
    }
}

/// `Check::Fn` for `port_range`: `all`, a port (`"22"`) or a range (`"1-65535"`), ports 1–65535.
fn port_range(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    if s == "all" {
        return Ok(());
    }
    let port = |p: &str| p.trim().parse::<u32>().ok().filter(|n| (1..=65535).contains(n));
    let ok = match s.split_once('-') {
        Some((a, b)) => matches!((port(a), port(b)), (Some(a), Some(b)) if a <= b),
        None => port(s).is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected \"all\", a port or a range of ports between 1 and 65535 like \"8000-8080\", got {s:?}."
        ))
    }
}

fn rule_block(prefix: &str) -> Block {
    let mut b = Block::new()
        .attr(
            "protocol",
            Attribute::required(Type::String).one_of(&["tcp", "udp", "icmp"]),
        )
        .attr(
            "port_range",
            Attribute::optional(Type::String).check(Check::Fn(port_range)),
        );
    for (suffix, _, numeric) in TARGETS {
        let ty = if *numeric {
            Type::set(Type::Number)
        } else {
            Type::string_set()
        };
        let a = Attribute::optional(ty);
        let a = if *suffix == "addresses" {
            a.check(Check::Fn(ip_or_cidr))
        } else {
            a
        };
        b = b.attr(&format!("{prefix}_{suffix}"), a);
    }
    b
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String))
        .attr("droplet_ids", Attribute::optional(Type::set(Type::Number)))
        .block("inbound_rule", NestedBlock::set(rule_block("source")))
        .block("outbound_rule", NestedBlock::set(rule_block("destination")))
        .attr("status", Attribute::computed(Type::String))
        .attr("created_at", Attribute::computed(Type::String))
        .attr(
            "pending_changes",
            Attribute::computed(Type::list(Type::object([
                ("droplet_id", Type::Number),
                ("removing", Type::Bool),
                ("status", Type::String),
            ]))),
        )
        .attr("tags", Attribute::optional(Type::string_set()))
}

fn flatten_rule(r: &Json, prefix: &str, api_side: &str) -> Value {
    let protocol = r.get("protocol").and_then(Json::as_str).unwrap_or("");
    let ports = r.get("ports").and_then(Json::as_str).unwrap_or("");
    let port_range = match (ports, protocol) {
        ("0" | "", "icmp") => Value::Null,
        ("0" | "", _) => Value::string("all"),
        (p, _) => Value::string(p),
    };
    let mut pairs = vec![
        ("protocol".to_string(), Value::string(protocol)),
        ("port_range".to_string(), port_range),
    ];
    let side = r.get(api_side).cloned().unwrap_or(Json::Null);
    for (suffix, key, numeric) in TARGETS {
        let items: Vec<Value> = side
            .get(*key)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| {
                        if *numeric {
                            x.as_i64().map(Value::int)
                        } else {
                            x.as_str().map(Value::string)
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let v = if items.is_empty() {
            Value::Null
        } else {
            Value::set(items)
        };
        pairs.push((format!("{prefix}_{suffix}"), v));
    }
    Value::map(pairs)
}

fn expand_rule(r: &Value, prefix: &str, api_side: &str) -> Json {
    let protocol = r.get_str("protocol").unwrap_or("");
    let ports = match r.get_str("port_range") {
        Some(p) => p.to_string(),
        None => "0".to_string(),
    };
    let mut side = serde_json::Map::new();
    for (suffix, key, numeric) in TARGETS {
        let list = r.get_list(&format!("{prefix}_{suffix}"));
        if list.is_empty() {
            continue;
        }
        let items: Vec<Json> = list
            .iter()
            .filter_map(|x| {
                if *numeric {
                    x.as_i64().map(|n| json!(n))
                } else {
                    x.as_str().map(|s| json!(s))
                }
            })
            .collect();
        side.insert(key.to_string(), Json::Array(items));
    }
    json!({"protocol": protocol, "ports": ports, api_side: side})
}

fn to_value(f: &Json) -> Value {
    let rules = |key: &str, prefix: &str, side: &str| {
        Value::set(
            f.get(key)
                .and_then(Json::as_array)
                .map(|a| a.iter().map(|r| flatten_rule(r, prefix, side)).collect())
                .unwrap_or_default(),
        )
    };
    let ids: Vec<Value> = f
        .get("droplet_ids")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_i64).map(Value::int).collect())
        .unwrap_or_default();
    let tags: Vec<&str> = f
        .get("tags")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let pending: Vec<Value> = f
        .get("pending_changes")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    Value::map([
                        (
                            "droplet_id",
                            p.get("droplet_id")
                                .and_then(Json::as_i64)
                                .map(Value::int)
                                .unwrap_or(Value::Null),
                        ),
                        (
                            "removing",
                            p.get("removing")
                                .and_then(Json::as_bool)
                                .map(Value::Bool)
                                .unwrap_or(Value::Null),
                        ),
                        ("status", jstr(p, "status")),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    object(
        &block(),
        vec![
            ("id", jstr(f, "id")),
            ("name", jstr(f, "name")),
            (
                "droplet_ids",
                if ids.is_empty() { Value::Null } else { Value::set(ids) },
            ),
            ("inbound_rule", rules("inbound_rules", "source", "sources")),
            ("outbound_rule", rules("outbound_rules", "destination", "destinations")),
            ("status", jstr(f, "status")),
            ("created_at", jstr(f, "created_at")),
            ("pending_changes", Value::List(pending)),
            (
                "tags",
                if tags.is_empty() {
                    Value::Null
                } else {
                    Value::string_set(tags)
                },
            ),
        ],
    )
}

fn request(planned: &Value) -> Json {
    let ids: Vec<Json> = planned
        .get_list("droplet_ids")
        .iter()
        .filter_map(Value::as_i64)
        .map(|n| json!(n))
        .collect();
    json!({
        "name": planned.get_str("name").unwrap_or(""),
        "droplet_ids": ids,
        "tags": planned.get_strings("tags"),
        "inbound_rules": planned.get_list("inbound_rule").iter().map(|r| expand_rule(r, "source", "sources")).collect::<Vec<_>>(),
        "outbound_rules": planned.get_list("outbound_rule").iter().map(|r| expand_rule(r, "destination", "destinations")).collect::<Vec<_>>(),
    })
}

/// What identifies the firewall's configuration, for comparing an existing firewall with a plan.
fn fingerprint(v: &Value) -> String {
    let keep = ["name", "droplet_ids", "tags", "inbound_rule", "outbound_rule"];
    let m: Vec<(&str, Value)> = keep
        .iter()
        .map(|k| (*k, v.get(k).cloned().unwrap_or(Value::Null)))
        .collect();
    let norm = |x: &Value| {
        if x.as_list().is_some_and(<[Value]>::is_empty) {
            Value::Null
        } else {
            x.clone()
        }
    };
    Value::map(m.into_iter().map(|(k, x)| (k, norm(&x))))
        .to_json()
        .to_string()
}

#[async_trait]
impl ResourceType<Client> for Firewall {
    fn name(&self) -> &'static str {
        "digitalocean_firewall"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        for (key, side) in [("inbound_rule", "inbound"), ("outbound_rule", "outbound")] {
            for r in config.get_list(key) {
                if matches!(r.get_str("protocol"), Some("tcp" | "udp"))
                    && r.get("port_range").is_none_or(Value::is_null)
                {
                    out.push(Invalid::at(
                        key,
                        format!("`port_range` of {side} rules is required if protocol is `tcp` or `udp`"),
                    ));
                }
            }
        }
        out
    }

    fn plan(&self, _client: &Client, req: &mut PlanRequest<'_>) -> Result<()> {
        let inbound = req.planned.get_list("inbound_rule").to_vec();
        let outbound = req.planned.get_list("outbound_rule").to_vec();
        let unknown = req.planned.get("inbound_rule").is_some_and(Value::is_unknown)
            || req.planned.get("outbound_rule").is_some_and(Value::is_unknown);
        if inbound.is_empty() && outbound.is_empty() && !unknown {
            return Err(ProviderError::invalid(
                "digitalocean_firewall: at least one rule must be specified",
            ));
        }
        if let Some(prior) = req.prior
            && changed_besides(prior, req.planned, &["status", "pending_changes"])
        {
            req.planned.set_attr("status", Value::Unknown);
            req.planned.set_attr("pending_changes", Value::Unknown);
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let id = id_of(prior)?;
        Ok(client
            .get_opt(&format!("/v2/firewalls/{id}"))
            .await?
            .map(|v| to_value(&v["firewall"])))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        match client.list("/v2/firewalls", &[], "firewalls").await {
            Ok(all) => {
                let by_id: HashMap<&str, &Json> = all
                    .iter()
                    .filter_map(|f| f.get("id").and_then(Json::as_str).map(|id| (id, f)))
                    .collect();
                priors
                    .iter()
                    .map(|p| Ok(p.get_str("id").and_then(|id| by_id.get(id)).map(|f| to_value(f))))
                    .collect()
            }
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let v = client.post("/v2/firewalls", &request(planned)).await?;
        Ok(to_value(&v["firewall"]))
    }

    async fn update(&self, client: &Client, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let v = client
            .put(&format!("/v2/firewalls/{}", id_of(prior)?), &request(planned))
            .await?;
        Ok(to_value(&v["firewall"]))
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        client.delete(&format!("/v2/firewalls/{}", id_of(prior)?)).await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let want = fingerprint(planned);
        let all = client.list("/v2/firewalls", &[], "firewalls").await?;
        let matching: Vec<Value> = all.iter().map(to_value).filter(|f| fingerprint(f) == want).collect();
        Ok(if matching.len() == 1 {
            matching.into_iter().next()
        } else {
            None
        })
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    fn rule_check(name: &str, v: Value) -> std::result::Result<(), String> {
        let s = Firewall.schema();
        s.block.blocks["inbound_rule"].block.attributes[name]
            .check
            .unwrap()
            .check(&v)
    }

    #[test]
    fn protocols_ports_and_addresses() {
        let e = rule_check("protocol", Value::from("tcpp")).unwrap_err();
        assert!(e.contains("Did you mean \"tcp\""), "{e}");
        assert!(rule_check("protocol", Value::from("icmp")).is_ok());
        for ok in ["22", "1-65535", "all"] {
            assert!(rule_check("port_range", Value::from(ok)).is_ok(), "{ok}");
        }
        for bad in ["70000", "80-22", "0-70000", "http"] {
            assert!(rule_check("port_range", Value::from(bad)).is_err(), "{bad}");
        }
        for ok in ["0.0.0.0/0", "::/0", "203.0.113.0/24", "198.51.100.7/32", "198.51.100.7"] {
            assert!(rule_check("source_addresses", Value::from(ok)).is_ok(), "{ok}");
        }
        for bad in ["10.9.0.0/33", "10.9.0.300/16", "0.0.0.0/99", "::/129", "example.com"] {
            assert!(rule_check("source_addresses", Value::from(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn tcp_needs_a_port_range() {
        let cfg = |rule: Value| Value::map([("inbound_rule", Value::set(vec![rule]))]);
        let tcp = Value::map([("protocol", Value::from("tcp"))]);
        assert_eq!(Firewall.validate(&cfg(tcp)).len(), 1);
        let icmp = Value::map([("protocol", Value::from("icmp"))]);
        assert!(Firewall.validate(&cfg(icmp)).is_empty());
        let good = Value::map([("protocol", Value::from("tcp")), ("port_range", Value::from("22"))]);
        assert!(Firewall.validate(&cfg(good)).is_empty());
    }
}
