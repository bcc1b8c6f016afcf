//! Saved plans (`infra plan --out FILE`, `infra apply FILE`).
//!
//! A plan file holds everything apply needs without looking at the working directory again: the
//! configuration sources, input variable values, the refreshed prior state, and every change. It is
//! applied only to the state it was made from (same lineage and serial), so a plan that has gone stale
//! is refused rather than applied to something it was not made for. Values are encoded losslessly
//! (unknowns, sets and sensitive marks included). Plan files contain secrets (they must, to apply); they
//! are written readable by their owner only, and encrypted when the configuration encrypts plans
//! ([`crate::encryption`]).

use super::{Action, Drift, Note, OutputChange, Plan, PlanMode, Reason, ResourceChange};
use crate::addrs::{InstanceAddr, ProviderKey, ResourceAddr};
use crate::encryption::{Encryptor, Header};
use crate::state::file as statefile;
use infra_provider::{Path, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;

pub const FORMAT_VERSION: u64 = 1;

/// Lossless JSON for values: sets, unknowns and marks are tagged.
pub fn encode_value(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Unknown => json!({"$unknown": true}),
        Value::Sensitive(inner) => json!({"$sensitive": encode_value(inner)}),
        Value::Set(items) => json!({"$set": items.iter().map(encode_value).collect::<Vec<_>>()}),
        Value::List(items) => J::Array(items.iter().map(encode_value).collect()),
        Value::Map(m) => {
            let obj: serde_json::Map<String, J> = m.iter().map(|(k, x)| (k.clone(), encode_value(x))).collect();
            if m.keys().any(|k| k.starts_with('$')) {
                json!({"$map": obj})
            } else {
                J::Object(obj)
            }
        }
        other => other.to_json(),
    }
}

pub fn decode_value(j: &J) -> Value {
    match j {
        J::Array(items) => Value::List(items.iter().map(decode_value).collect()),
        J::Object(m) if m.len() == 1 => {
            let (k, x) = m.iter().next().expect("one entry");
            match k.as_str() {
                "$unknown" => Value::Unknown,
                "$sensitive" => decode_value(x).mark(),
                "$set" => Value::set(
                    x.as_array()
                        .map(|a| a.iter().map(decode_value).collect())
                        .unwrap_or_default(),
                ),
                "$map" => Value::Map(
                    x.as_object()
                        .map(|o| o.iter().map(|(k, v)| (k.clone(), decode_value(v))).collect())
                        .unwrap_or_default(),
                ),
                _ => Value::Map(m.iter().map(|(k, v)| (k.clone(), decode_value(v))).collect()),
            }
        }
        J::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), decode_value(v))).collect()),
        other => Value::from_json(other),
    }
}

mod lossless {
    use super::*;
    pub fn serialize<S: serde::Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(encode_value).serialize(s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Ok(Option::<J>::deserialize(d)?.map(|j| decode_value(&j)))
    }
}

#[derive(Serialize, Deserialize)]
struct ChangeV1 {
    addr: InstanceAddr,
    provider: ProviderKey,
    action: Action,
    create_before_destroy: bool,
    #[serde(with = "lossless")]
    before: Option<Value>,
    #[serde(with = "lossless")]
    after: Option<Value>,
    before_sensitive: Vec<Path>,
    after_sensitive: Vec<Path>,
    replace_paths: Vec<Path>,
    reason: Option<Reason>,
    dependencies: Vec<ResourceAddr>,
    deposed: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DriftV1 {
    addr: InstanceAddr,
    #[serde(with = "lossless")]
    before: Option<Value>,
    #[serde(with = "lossless")]
    after: Option<Value>,
    sensitive: Vec<Path>,
}

#[derive(Serialize, Deserialize)]
struct OutputV1 {
    name: String,
    #[serde(with = "lossless")]
    before: Option<Value>,
    #[serde(with = "lossless")]
    after: Option<Value>,
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct PlanFileV1 {
    format_version: u64,
    infra_version: String,
    mode: PlanMode,
    env: String,
    lineage: String,
    serial: u64,
    config_dir: std::path::PathBuf,
    targets: Vec<String>,
    sources: Vec<(String, String)>,
    variables: BTreeMap<String, J>,
    prior_state: J,
    changes: Vec<ChangeV1>,
    drift: Vec<DriftV1>,
    outputs: Vec<OutputV1>,
    notes: Vec<Note>,
    #[serde(default)]
    regions: BTreeMap<String, String>,
    #[serde(default)]
    usage: Option<(String, String)>,
    #[serde(default)]
    moved: Vec<(InstanceAddr, InstanceAddr)>,
    #[serde(default)]
    forgotten: Vec<InstanceAddr>,
    #[serde(default)]
    imported: Vec<(InstanceAddr, String)>,
    /// By module call path (`module.svc`); absent in plan files of earlier versions.
    #[serde(default)]
    module_instances: BTreeMap<String, J>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write plan file {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{path} is not a valid infra plan file: {detail}")]
    Invalid { path: String, detail: String },
    #[error(
        "plan file {path} was written by a newer version of infra (plan format {found}; this version reads up to {FORMAT_VERSION})"
    )]
    Newer { path: String, found: u64 },
    #[error("plan file {path}: {detail}")]
    Encryption { path: String, detail: String },
}

pub fn encode(plan: &Plan) -> String {
    let f = PlanFileV1 {
        format_version: FORMAT_VERSION,
        infra_version: env!("CARGO_PKG_VERSION").into(),
        mode: plan.mode,
        env: plan.env.clone(),
        lineage: plan.lineage.clone(),
        serial: plan.serial,
        config_dir: plan.config_dir.clone(),
        targets: plan.targets.clone(),
        moved: plan.moved.clone(),
        forgotten: plan.forgotten.clone(),
        imported: plan.imported.clone(),
        sources: plan.sources.clone(),
        variables: plan
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), encode_value(v)))
            .collect(),
        prior_state: serde_json::from_str(&statefile::encode(&plan.prior)).expect("state encodes to JSON"),
        changes: plan
            .changes
            .iter()
            .map(|c| ChangeV1 {
                addr: c.addr.clone(),
                provider: c.provider.clone(),
                action: c.action,
                create_before_destroy: c.create_before_destroy,
                before: c.before.clone(),
                after: c.after.clone(),
                before_sensitive: c.before_sensitive.clone(),
                after_sensitive: c.after_sensitive.clone(),
                replace_paths: c.replace_paths.clone(),
                reason: c.reason.clone(),
                dependencies: c.dependencies.clone(),
                deposed: c.deposed.clone(),
            })
            .collect(),
        drift: plan
            .drift
            .iter()
            .map(|d| DriftV1 {
                addr: d.addr.clone(),
                before: Some(d.before.clone()),
                after: d.after.clone(),
                sensitive: d.sensitive.clone(),
            })
            .collect(),
        outputs: plan
            .outputs
            .iter()
            .map(|o| OutputV1 {
                name: o.name.clone(),
                before: o.before.clone(),
                after: o.after.clone(),
                sensitive: o.sensitive,
            })
            .collect(),
        notes: plan.notes.clone(),
        regions: plan.regions.clone(),
        usage: plan.usage.clone(),
        module_instances: plan
            .module_instances
            .iter()
            .map(|(k, v)| (k.to_string(), encode_value(v)))
            .collect(),
    };
    serde_json::to_string(&f).expect("plan serializes")
}

pub fn decode(text: &str, path: &str) -> Result<Plan, PlanFileError> {
    let invalid = |detail: String| PlanFileError::Invalid {
        path: path.into(),
        detail,
    };
    let head: J = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let version = head
        .get("format_version")
        .and_then(J::as_u64)
        .ok_or_else(|| invalid("no format_version".into()))?;
    if version > FORMAT_VERSION {
        return Err(PlanFileError::Newer {
            path: path.into(),
            found: version,
        });
    }
    let f: PlanFileV1 = serde_json::from_value(head).map_err(|e| invalid(e.to_string()))?;
    let prior = statefile::decode(&f.prior_state.to_string(), path).map_err(|e| invalid(e.to_string()))?;
    let mut module_instances = BTreeMap::new();
    for (k, v) in &f.module_instances {
        let call: crate::addrs::ModulePath = k.parse().map_err(|e| invalid(format!("module_instances: {e}")))?;
        module_instances.insert(call, decode_value(v));
    }
    Ok(Plan {
        mode: f.mode,
        env: f.env,
        lineage: f.lineage,
        serial: f.serial,
        prior,
        changes: f
            .changes
            .into_iter()
            .map(|c| ResourceChange {
                addr: c.addr,
                provider: c.provider,
                action: c.action,
                create_before_destroy: c.create_before_destroy,
                before: c.before,
                after: c.after,
                before_sensitive: c.before_sensitive,
                after_sensitive: c.after_sensitive,
                replace_paths: c.replace_paths,
                reason: c.reason,
                dependencies: c.dependencies,
                deposed: c.deposed,
            })
            .collect(),
        drift: f
            .drift
            .into_iter()
            .map(|d| Drift {
                addr: d.addr,
                before: d.before.unwrap_or_default(),
                after: d.after,
                sensitive: d.sensitive,
            })
            .collect(),
        outputs: f
            .outputs
            .into_iter()
            .map(|o| OutputChange {
                name: o.name,
                before: o.before,
                after: o.after,
                sensitive: o.sensitive,
            })
            .collect(),
        notes: f.notes,
        variables: f.variables.iter().map(|(k, v)| (k.clone(), decode_value(v))).collect(),
        sources: f.sources,
        config_dir: f.config_dir,
        targets: f.targets,
        regions: f.regions,
        usage: f.usage,
        moved: f.moved,
        forgotten: f.forgotten,
        imported: f.imported,
        module_instances,
        ephemeral_variables: BTreeMap::new(),
    })
}

/// Writes a plan file readable by its owner only, encrypted with `enc` when it encrypts.
pub async fn save(plan: &Plan, path: &std::path::Path, enc: &Encryptor) -> Result<(), PlanFileError> {
    let shown = crate::config::display_path(path);
    let header = Header {
        kind: "plan",
        lineage: plan.lineage.clone(),
        serial: plan.serial,
    };
    let data = enc
        .seal(encode(plan).as_bytes(), &header)
        .await
        .map_err(|detail| PlanFileError::Encryption {
            path: shown.clone(),
            detail,
        })?;
    crate::state::local::write_atomic_private(path, &data).map_err(|e| PlanFileError::Write {
        path: shown.clone(),
        source: e,
    })
}

/// Reads a plan file, decrypting it with `enc` when it is encrypted.
pub async fn load(path: &std::path::Path, enc: &Encryptor) -> Result<Plan, PlanFileError> {
    let shown = crate::config::display_path(path);
    let raw = std::fs::read(path).map_err(|e| PlanFileError::Read {
        path: shown.clone(),
        source: e,
    })?;
    let opened = enc
        .open(&raw, "plan")
        .await
        .map_err(|detail| PlanFileError::Encryption {
            path: shown.clone(),
            detail,
        })?;
    let text = String::from_utf8(opened.plaintext).map_err(|e| PlanFileError::Invalid {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    decode(&text, &shown)
}

/// Whether a plan file is encrypted (without any key).
pub fn is_encrypted(path: &std::path::Path) -> bool {
    std::fs::read(path)
        .ok()
        .is_some_and(|raw| crate::encryption::peek(&raw).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_losslessly() {
        let v = Value::map([
            ("$odd", Value::from(1)),
            ("set", Value::set(vec!["b".into(), "a".into()])),
            ("unknown", Value::Unknown),
            ("secret", Value::from("x").mark()),
            ("list", Value::List(vec![Value::Null, Value::Bool(true)])),
        ]);
        assert_eq!(decode_value(&encode_value(&v)), v);
    }
}
