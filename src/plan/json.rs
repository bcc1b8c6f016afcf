//! `infra plan --json`: one JSON document describing every change, shaped like Terraform's JSON plan
//! (`resource_changes[].change.{actions,before,after,after_unknown,before_sensitive,after_sensitive}`),
//! plus `replace_paths` naming what forces each replacement. Sensitive values are never printed: they
//! are replaced by null and flagged in the `*_sensitive` masks.

use super::{Action, Plan, ResourceChange};
use crate::addrs::{InstanceKey, Mode};
use infra_provider::{Path, PathStep, Value};
use serde_json::{Value as J, json};

fn actions(c: &ResourceChange) -> Vec<&'static str> {
    match (c.action, c.create_before_destroy) {
        (Action::NoOp, _) => vec!["no-op"],
        (Action::Create, _) => vec!["create"],
        (Action::Read, _) => vec!["read"],
        (Action::Update, _) => vec!["update"],
        (Action::Delete, _) => vec!["delete"],
        (Action::Replace, false) => vec!["delete", "create"],
        (Action::Replace, true) => vec!["create", "delete"],
    }
}

/// The value with sensitive paths nulled, and the sensitivity mask.
pub fn redact(v: &Value, sensitive: &[Path]) -> (J, J) {
    let mut plain = v.clone();
    let mut mask = J::Bool(false);
    for p in sensitive {
        if p.is_root() {
            return (J::Null, J::Bool(true));
        }
        if let Some(slot) = plain.get_path_mut(p) {
            *slot = Value::Null;
            set_mask(&mut mask, &p.0);
        }
    }
    (plain.to_json(), mask)
}

fn set_mask(mask: &mut J, steps: &[PathStep]) {
    let Some((first, rest)) = steps.split_first() else {
        *mask = J::Bool(true);
        return;
    };
    match first {
        PathStep::Key(k) => {
            if !mask.is_object() {
                *mask = json!({});
            }
            let entry = mask
                .as_object_mut()
                .expect("object")
                .entry(k.clone())
                .or_insert(J::Bool(false));
            set_mask(entry, rest);
        }
        PathStep::Index(i) => {
            if !mask.is_array() {
                *mask = json!([]);
            }
            let arr = mask.as_array_mut().expect("array");
            while arr.len() <= *i {
                arr.push(J::Bool(false));
            }
            set_mask(&mut arr[*i], rest);
        }
    }
}

fn path_json(p: &Path) -> J {
    J::Array(
        p.0.iter()
            .map(|s| match s {
                PathStep::Key(k) => J::String(k.clone()),
                PathStep::Index(i) => J::from(*i),
            })
            .collect(),
    )
}

pub fn change_json(c: &ResourceChange) -> J {
    let (before, before_sensitive) = c
        .before
        .as_ref()
        .map(|v| redact(v, &c.before_sensitive))
        .unwrap_or((J::Null, J::Bool(false)));
    let (after, after_sensitive) = c
        .after
        .as_ref()
        .map(|v| redact(v, &c.after_sensitive))
        .unwrap_or((J::Null, J::Bool(false)));
    let after_unknown = c.after.as_ref().map(|v| v.unknown_mask()).unwrap_or(J::Bool(false));
    let mut j = json!({
        "address": c.addr.to_string(),
        "mode": if c.addr.resource.mode == Mode::Data { "data" } else { "managed" },
        "type": c.addr.resource.type_name,
        "name": c.addr.resource.name,
        "provider_name": c.provider.to_string(),
        "change": {
            "actions": actions(c),
            "before": before,
            "after": after,
            "after_unknown": after_unknown,
            "before_sensitive": before_sensitive,
            "after_sensitive": after_sensitive,
            "replace_paths": c.replace_paths.iter().map(path_json).collect::<Vec<_>>(),
        },
    });
    match &c.addr.key {
        InstanceKey::None => {}
        InstanceKey::Int(i) => j["index"] = J::from(*i),
        InstanceKey::Str(s) => j["index"] = J::from(s.clone()),
    }
    if let Some(r) = &c.reason {
        j["action_reason"] = serde_json::to_value(r).unwrap_or(J::Null);
    }
    if let Some(d) = &c.deposed {
        j["deposed"] = J::from(d.clone());
    }
    j
}

/// The whole document. `cost` is added by the caller when priced.
pub fn plan_json(plan: &Plan) -> J {
    let s = plan.summary();
    let outputs: serde_json::Map<String, J> = plan
        .outputs
        .iter()
        .map(|o| {
            let acts = match (&o.before, &o.after) {
                (None, Some(_)) => vec!["create"],
                (Some(_), None) => vec!["delete"],
                (b, a) if b == a => vec!["no-op"],
                _ => vec!["update"],
            };
            let show = |v: &Option<Value>| {
                if o.sensitive {
                    J::Null
                } else {
                    v.as_ref().map(Value::to_json).unwrap_or(J::Null)
                }
            };
            (
                o.name.clone(),
                json!({
                    "actions": acts,
                    "before": show(&o.before),
                    "after": show(&o.after),
                    "after_unknown": o.after.as_ref().map(|v| v.unknown_mask()).unwrap_or(J::Bool(false)),
                    "before_sensitive": o.sensitive,
                    "after_sensitive": o.sensitive,
                }),
            )
        })
        .collect();
    json!({
        "format_version": "1.0",
        "infra_version": env!("CARGO_PKG_VERSION"),
        "environment": plan.env,
        "mode": plan.mode,
        "resource_changes": plan.changes.iter().map(change_json).collect::<Vec<_>>(),
        "resource_drift": plan.drift.iter().map(|d| {
            let (before, bs) = redact(&d.before, &d.sensitive);
            let (after, _) = d.after.as_ref().map(|a| redact(a, &d.sensitive)).unwrap_or((J::Null, J::Bool(false)));
            json!({"address": d.addr.to_string(), "change": {"actions": [if d.after.is_some() { "update" } else { "delete" }], "before": before, "after": after, "before_sensitive": bs, "after_sensitive": bs}})
        }).collect::<Vec<_>>(),
        "output_changes": outputs,
        "notes": plan.notes,
        "summary": {"add": s.add, "change": s.change, "destroy": s.destroy, "read": s.read},
        "has_changes": plan.has_changes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_nulls_values_and_flags_them() {
        let v = Value::map([("user", Value::from("app")), ("password", Value::from("hunter2"))]);
        let (plain, mask) = redact(&v, &[Path::attr("password")]);
        assert_eq!(plain, json!({"user": "app", "password": null}));
        assert_eq!(mask, json!({"password": true}));
        assert!(!plain.to_string().contains("hunter2"));
    }
}
