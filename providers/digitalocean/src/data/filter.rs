//! The `filter { key, values, all, match_by }` and `sort { key, direction }` blocks of list data
//! sources, as the Terraform DigitalOcean provider defines them.
//!
//! A filter keeps items whose attribute `key` matches any of `values` (all of them when `all = true`);
//! for list attributes (e.g. `regions`) an item matches when any element does. `match_by` is `exact`
//! (default), `substring` or `re` (a regular expression is not available here: `re` matches when the
//! value, used as a plain pattern with `^`/`$` anchors honoured, matches). Numbers compare by value.
//! Sorts apply in order, `asc` by default.

use infra_provider::{Attribute, Block, NestedBlock, ProviderError, Result, Type, Value};
use std::cmp::Ordering;

/// The `filter` and `sort` blocks for a data source whose items have `keys`.
pub fn blocks(b: Block) -> Block {
    b.block(
        "filter",
        NestedBlock::set(
            Block::new()
                .attr("key", Attribute::required(Type::String))
                .attr("values", Attribute::required(Type::string_list()))
                .attr("all", Attribute::optional(Type::Bool))
                .attr("match_by", Attribute::optional(Type::String)),
        ),
    )
    .block(
        "sort",
        NestedBlock::list(
            Block::new()
                .attr("key", Attribute::required(Type::String))
                .attr("direction", Attribute::optional(Type::String)),
        ),
    )
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_json().to_string(),
    }
}

fn matches_one(actual: &Value, wanted: &str, match_by: &str) -> bool {
    let a = text(actual);
    match match_by {
        "substring" => a.contains(wanted),
        "re" => {
            let (start, rest) = match wanted.strip_prefix('^') {
                Some(r) => (true, r),
                None => (false, wanted),
            };
            let (end, core) = match rest.strip_suffix('$') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            match (start, end) {
                (true, true) => a == core,
                (true, false) => a.starts_with(core),
                (false, true) => a.ends_with(core),
                (false, false) => a.contains(core),
            }
        }
        _ => match (actual.as_f64(), wanted.parse::<f64>()) {
            (Some(x), Ok(y)) => x == y,
            _ => a == wanted,
        },
    }
}

/// Applies the configuration's `filter` and `sort` blocks to `items` (objects).
pub fn apply(config: &Value, keys: &[&str], mut items: Vec<Value>) -> Result<Vec<Value>> {
    for f in config.get_list("filter") {
        let key = f.get_str("key").unwrap_or("");
        if !keys.contains(&key) {
            return Err(ProviderError::invalid(format!(
                "filter key {key:?} is not one of {}",
                keys.join(", ")
            )));
        }
        let values = f.get_strings("values");
        let all = f.get_bool("all").unwrap_or(false);
        let match_by = f.get_str("match_by").unwrap_or("exact").to_string();
        items.retain(|item| {
            let actual = item.get(key).cloned().unwrap_or(Value::Null);
            let hit = |w: &String| match actual.as_list() {
                Some(list) => list.iter().any(|x| matches_one(x, w, &match_by)),
                None => matches_one(&actual, w, &match_by),
            };
            if all {
                values.iter().all(hit)
            } else {
                values.iter().any(hit)
            }
        });
    }
    let sorts: Vec<(String, bool)> = config
        .get_list("sort")
        .iter()
        .map(|s| {
            (
                s.get_str("key").unwrap_or("").to_string(),
                s.get_str("direction").unwrap_or("asc") == "desc",
            )
        })
        .collect();
    for (key, _) in &sorts {
        if !keys.contains(&key.as_str()) {
            return Err(ProviderError::invalid(format!(
                "sort key {key:?} is not one of {}",
                keys.join(", ")
            )));
        }
    }
    items.sort_by(|a, b| {
        for (key, desc) in &sorts {
            let (x, y) = (
                a.get(key).cloned().unwrap_or(Value::Null),
                b.get(key).cloned().unwrap_or(Value::Null),
            );
            let o = match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
                _ => text(&x).cmp(&text(&y)),
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(slug: &str, price: f64, regions: &[&str]) -> Value {
        Value::map([
            ("slug", Value::string(slug)),
            ("price_monthly", Value::number(price)),
            ("regions", Value::string_list(regions)),
        ])
    }

    #[test]
    fn filters_and_sorts() {
        let items = vec![
            item("b", 12.0, &["nyc3"]),
            item("a", 6.0, &["nyc3", "fra1"]),
            item("c", 24.0, &["fra1"]),
        ];
        let config = Value::map([
            (
                "filter",
                Value::set(vec![Value::map([
                    ("key", Value::string("regions")),
                    ("values", Value::string_list(["nyc3"])),
                ])]),
            ),
            (
                "sort",
                Value::List(vec![Value::map([
                    ("key", Value::string("price_monthly")),
                    ("direction", Value::string("desc")),
                ])]),
            ),
        ]);
        let out = apply(&config, &["slug", "price_monthly", "regions"], items).unwrap();
        let slugs: Vec<&str> = out.iter().filter_map(|v| v.get_str("slug")).collect();
        assert_eq!(slugs, ["b", "a"]);
        let bad = Value::map([("sort", Value::List(vec![Value::map([("key", Value::string("nope"))])]))]);
        assert!(apply(&bad, &["slug"], vec![]).is_err());
    }
}
