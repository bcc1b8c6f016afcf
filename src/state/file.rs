//! The state file format: versioned JSON, kept apart from the in-memory [`State`] so the model can change
//! without breaking files on disk.
//!
//! ```json
//! { "format_version": 1, "infra_version": "0.1.0", "serial": 3, "lineage": "…",
//!   "outputs": { "vpc_id": { "value": "vpc-1", "sensitive": false } },
//!   "resources": [ { "address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "name": "main",
//!                    "index_key": null, "provider": "aws", "status": "ready", "id": "vpc-1",
//!                    "attributes": { … }, "sensitive_attributes": [["password"]],
//!                    "dependencies": ["aws_vpc.other"], "create_before_destroy": false,
//!                    "deposed": [], "schema_version": 0 } ] }
//! ```
//! A file with a newer `format_version` is refused; older versions get a reader here when the format
//! changes.

use super::{Deposed, InstanceStatus, OutputValue, ResourceInstance, State, StateError};
use crate::addrs::{InstanceAddr, InstanceKey, Mode, ProviderKey, ResourceAddr};
use infra_provider::{Path, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format this version writes, and the newest it reads.
pub const FORMAT_VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct FileV1 {
    format_version: u64,
    #[serde(default)]
    infra_version: String,
    serial: u64,
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, OutputV1>,
    #[serde(default)]
    resources: Vec<ResourceV1>,
}

#[derive(Serialize, Deserialize)]
struct OutputV1 {
    value: Value,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct ResourceV1 {
    address: InstanceAddr,
    mode: String,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    index_key: serde_json::Value,
    provider: ProviderKey,
    #[serde(flatten)]
    status: InstanceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    attributes: Value,
    #[serde(default)]
    sensitive_attributes: Vec<Path>,
    #[serde(default)]
    dependencies: Vec<ResourceAddr>,
    #[serde(default)]
    create_before_destroy: bool,
    #[serde(default)]
    deposed: Vec<DeposedV1>,
    #[serde(default)]
    schema_version: u64,
}

#[derive(Serialize, Deserialize)]
struct DeposedV1 {
    key: String,
    attributes: Value,
}

/// Serializes a state to the current format.
pub fn encode(state: &State) -> String {
    let file = FileV1 {
        format_version: FORMAT_VERSION,
        infra_version: env!("CARGO_PKG_VERSION").to_string(),
        serial: state.serial,
        lineage: state.lineage.clone(),
        outputs: state
            .outputs
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    OutputV1 {
                        value: o.value.clone(),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        resources: state
            .resources
            .iter()
            .map(|(addr, r)| ResourceV1 {
                address: addr.clone(),
                mode: if addr.resource.mode == Mode::Data {
                    "data".into()
                } else {
                    "managed".into()
                },
                type_name: addr.resource.type_name.clone(),
                name: addr.resource.name.clone(),
                index_key: match &addr.key {
                    InstanceKey::None => serde_json::Value::Null,
                    InstanceKey::Int(i) => serde_json::Value::from(*i),
                    InstanceKey::Str(s) => serde_json::Value::from(s.clone()),
                },
                provider: r.provider.clone(),
                status: r.status.clone(),
                id: r.id().map(str::to_string),
                attributes: r.value.clone(),
                sensitive_attributes: r.sensitive_paths.clone(),
                dependencies: r.dependencies.clone(),
                create_before_destroy: r.create_before_destroy,
                deposed: r
                    .deposed
                    .iter()
                    .map(|d| DeposedV1 {
                        key: d.key.clone(),
                        attributes: d.value.clone(),
                    })
                    .collect(),
                schema_version: r.schema_version,
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&file).expect("state serializes");
    s.push('\n');
    s
}

/// Parses a state file; `path` is only used in messages.
pub fn decode(text: &str, path: &str) -> Result<State, StateError> {
    #[derive(Deserialize)]
    struct Head {
        format_version: Option<u64>,
        /// Terraform's own state format has `version` and `terraform_version`.
        version: Option<u64>,
        terraform_version: Option<String>,
    }
    // One pass in the common case; the version alone is read again only to explain a failure.
    let parsed: Result<FileV1, _> = serde_json::from_str(text);
    let head = match &parsed {
        Ok(_) => None,
        Err(_) => serde_json::from_str::<Head>(text).ok(),
    };
    if let Some(Head {
        format_version: None,
        version: Some(v),
        terraform_version: Some(tv),
    }) = &head
    {
        return Err(StateError::Foreign {
            path: path.into(),
            detail: format!("it is a Terraform state (format version {v}, written by Terraform {tv})"),
        });
    }
    let version = match &parsed {
        Ok(f) => Some(f.format_version),
        Err(_) => head.and_then(|h| h.format_version),
    };
    if let Some(v) = version
        && v > FORMAT_VERSION
    {
        return Err(StateError::NewerFormat {
            path: path.into(),
            found: v,
            supported: FORMAT_VERSION,
        });
    }
    let file = parsed.map_err(|e| StateError::Corrupt {
        path: path.into(),
        detail: format!("{e}"),
    })?;
    let ours = env!("CARGO_PKG_VERSION");
    if let (Some((theirs, _)), Some((mine, _))) = (
        crate::config::version::Version::parse(&file.infra_version),
        crate::config::version::Version::parse(ours),
    ) && (theirs.0, theirs.1) > (mine.0, mine.1)
    {
        return Err(StateError::NewerInfra {
            path: path.into(),
            found: file.infra_version.clone(),
            ours: ours.to_string(),
        });
    }
    let mut resources = BTreeMap::new();
    for r in file.resources {
        if r.address.resource.type_name != r.type_name || r.address.resource.name != r.name {
            return Err(StateError::Corrupt {
                path: path.into(),
                detail: format!(
                    "resource {} has type {:?} and name {:?}, which do not match its address",
                    r.address, r.type_name, r.name
                ),
            });
        }
        if resources.contains_key(&r.address) {
            return Err(StateError::Corrupt {
                path: path.into(),
                detail: format!("resource {} appears twice", r.address),
            });
        }
        if !matches!(r.attributes, Value::Map(_)) {
            return Err(StateError::Corrupt {
                path: path.into(),
                detail: format!("resource {} has no attributes object", r.address),
            });
        }
        resources.insert(
            r.address,
            ResourceInstance {
                provider: r.provider,
                status: r.status,
                value: r.attributes,
                sensitive_paths: r.sensitive_attributes,
                dependencies: r.dependencies,
                create_before_destroy: r.create_before_destroy,
                deposed: r
                    .deposed
                    .into_iter()
                    .map(|d| Deposed {
                        key: d.key,
                        value: d.attributes,
                    })
                    .collect(),
                schema_version: r.schema_version,
            },
        );
    }
    Ok(State {
        lineage: file.lineage,
        serial: file.serial,
        resources,
        outputs: file
            .outputs
            .into_iter()
            .map(|(k, o)| {
                (
                    k,
                    OutputValue {
                        value: o.value,
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
    })
}
