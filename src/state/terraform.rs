//! Terraform's state format, version 4: reading a Terraform state into infra's ([`from_terraform`], for
//! `infra state import-terraform`) and writing infra's state as a Terraform one ([`to_terraform`], for
//! `infra state export-terraform`), so that a team can move a stack from Terraform to infra and back
//! without re-creating or importing anything by hand.
//!
//! Attributes are carried by name: infra's resource types have the Terraform providers' attribute names.
//! Reading, each object is shaped to infra's schema of its type (attributes infra does not model are
//! dropped, those it has and Terraform's state lacks are null until the next refresh reads them);
//! writing, each object is given the schema version the Terraform provider records for its type
//! ([`infra_provider::Schema::terraform_version`]) and single nested blocks become the one-element lists
//! Terraform stores them as.
//!
//! What infra cannot take is reported, never dropped silently: resources in modules, types infra does not
//! implement, providers it does not have. Data sources are not taken: every plan reads them again.

use super::{Deposed, InstanceStatus, OutputValue, ResourceInstance, State, StateError};
use crate::addrs::{InstanceAddr, InstanceKey, Mode, ProviderKey, ResourceAddr};
use crate::config::Config;
use crate::lang::ast::Body;
use crate::plan::diff::{conform, sensitive_paths, type_error};
use crate::provider_set::ProviderSet;
use infra_provider::{Block, Nesting, Path, PathStep, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// The only Terraform state format version read and written.
pub const TERRAFORM_STATE_VERSION: u64 = 4;

#[derive(Serialize, Deserialize)]
struct TfState {
    version: u64,
    terraform_version: String,
    serial: u64,
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, TfOutput>,
    #[serde(default)]
    resources: Vec<TfResource>,
    #[serde(default)]
    check_results: Option<Json>,
}

#[derive(Serialize, Deserialize)]
struct TfOutput {
    value: Json,
    #[serde(rename = "type", default)]
    ty: Json,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct TfResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    provider: String,
    #[serde(default)]
    instances: Vec<TfInstance>,
}

#[derive(Serialize, Deserialize)]
struct TfInstance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index_key: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deposed: Option<String>,
    #[serde(default)]
    schema_version: u64,
    #[serde(default)]
    attributes: Option<Json>,
    #[serde(default)]
    sensitive_attributes: Vec<Json>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    create_before_destroy: bool,
}

/// A Terraform state read into infra's.
#[derive(Debug)]
pub struct Imported {
    /// A new state (new lineage, serial 0) with every instance infra could take.
    pub state: State,
    /// The Terraform state's lineage, serial and version, for the report.
    pub terraform: String,
    /// Data source instances left out (every plan reads them again).
    pub data_sources: usize,
    /// What could not be taken, by Terraform address, with the reason.
    pub left: Vec<(String, String)>,
}

/// Reads a Terraform state (format version 4). `path` is only used in messages. With the configuration
/// the state belongs to, Terraform's stand-ins for "not set" are told from values the configuration
/// sets (see [`unset_zero_values`]).
pub fn from_terraform(
    text: &str,
    path: &str,
    providers: &ProviderSet,
    config: Option<&Config>,
) -> Result<Imported, StateError> {
    let corrupt = |detail: String| StateError::Corrupt {
        path: path.into(),
        detail,
    };
    let head: Json = serde_json::from_str(text).map_err(|e| corrupt(format!("not JSON: {e}")))?;
    match head.get("version").and_then(Json::as_u64) {
        Some(TERRAFORM_STATE_VERSION) => {}
        Some(v) => {
            return Err(corrupt(format!(
                "it is a Terraform state of format version {v}; infra reads version {TERRAFORM_STATE_VERSION} (Terraform 0.12 and later): run `terraform apply` or `terraform state push` with a current Terraform first"
            )));
        }
        None if head.get("format_version").is_some() => {
            return Err(corrupt(
                "it is an infra state, not a Terraform one: use `infra state push`".into(),
            ));
        }
        None => return Err(corrupt("it is not a Terraform state (no \"version\")".into())),
    }
    let tf: TfState = serde_json::from_value(head).map_err(|e| corrupt(format!("not a Terraform state: {e}")))?;
    // Each module call once: which arguments are set does not depend on the instance.
    let expanded = config.map(|c| crate::config::expand(&std::sync::Arc::new(c.clone()), None, "default").0);
    let config = expanded.as_deref();
    let unkeyed = |a: &ResourceAddr| {
        let mut a = a.clone();
        for (_, k) in a.module.0.iter_mut() {
            *k = crate::addrs::InstanceKey::None;
        }
        a
    };
    let mut state = State::new();
    let mut left = Vec::new();
    let mut data_sources = 0;
    for r in tf.resources {
        let shown = |key: Option<&Json>| {
            let mut a = String::new();
            if let Some(m) = &r.module {
                a.push_str(m);
                a.push('.');
            }
            if r.mode == "data" {
                a.push_str("data.");
            }
            a.push_str(&format!("{}.{}", r.type_name, r.name));
            if let Some(k) = key {
                a.push_str(&format!("[{k}]"));
            }
            a
        };
        let mode = match r.mode.as_str() {
            "managed" => Mode::Managed,
            "data" => {
                data_sources += r.instances.len();
                continue;
            }
            other => return Err(corrupt(format!("resource {} has mode {other:?}", shown(None)))),
        };
        let module = match &r.module {
            Some(m) => match m.parse::<crate::addrs::ModulePath>() {
                Ok(p) => p,
                Err(e) => return Err(corrupt(format!("resource {}: {e}", shown(None)))),
            },
            None => crate::addrs::ModulePath::root(),
        };
        let provider = match provider_key(&r.provider) {
            Some(p) => p,
            None => {
                return Err(corrupt(format!(
                    "resource {} has provider {:?}, which is not a provider address",
                    shown(None),
                    r.provider
                )));
            }
        };
        let addr = ResourceAddr {
            module,
            mode,
            type_name: r.type_name.clone(),
            name: r.name.clone(),
        };
        let schema = match providers.schema(&provider.0.name, &addr) {
            Ok(s) => s,
            Err(_) => {
                let why = if providers.get(&provider.0.name).is_none() {
                    format!("infra has no provider for {}", provider.1)
                } else {
                    format!("infra does not support the resource type {} yet", r.type_name)
                };
                for i in &r.instances {
                    left.push((shown(i.index_key.as_ref()), why.clone()));
                }
                continue;
            }
        };
        if let Some(p) = providers.get(&provider.0.name)
            && p.source() != provider.1
        {
            for i in &r.instances {
                left.push((
                    shown(i.index_key.as_ref()),
                    format!(
                        "its provider is {}; infra's {} provider implements {}",
                        provider.1,
                        provider.0.name,
                        p.source()
                    ),
                ));
            }
            continue;
        }
        // Current objects first, so that deposed ones find theirs.
        let (current, deposed): (Vec<_>, Vec<_>) = r.instances.into_iter().partition(|i| i.deposed.is_none());
        for i in current {
            let key =
                instance_key(i.index_key.as_ref()).map_err(|e| corrupt(format!("resource {}: {e}", shown(None))))?;
            let at = addr.instance(key);
            let raw = Value::from_json(i.attributes.as_ref().unwrap_or(&Json::Null));
            let body = match config {
                Some(c) => c
                    .resources
                    .get(&unkeyed(&addr))
                    .map_or(Given::Absent, |r| Given::Body(&r.body)),
                None => Given::Absent,
            };
            let value = unset_zero_values(&schema.block, conform(&schema.block, &raw), body);
            if value.get_str("id").is_none_or(str::is_empty) {
                left.push((at.to_string(), "it has no id (its create never finished)".into()));
                continue;
            }
            if let Some(e) = type_error(&schema.block, &value) {
                left.push((at.to_string(), format!("attribute {e}")));
                continue;
            }
            let mut sensitive = sensitive_paths(&schema.block, &value);
            for p in &i.sensitive_attributes {
                if let Some(p) = import_path(&schema.block, p)
                    && !sensitive.contains(&p)
                {
                    sensitive.push(p);
                }
            }
            let inst = ResourceInstance {
                provider: provider.0.clone(),
                status: match i.status.as_deref() {
                    Some("tainted") => InstanceStatus::Tainted,
                    _ => InstanceStatus::Ready,
                },
                value,
                sensitive_paths: sensitive,
                dependencies: i.dependencies.iter().filter_map(|d| dependency(d)).collect(),
                create_before_destroy: i.create_before_destroy,
                deposed: Vec::new(),
                schema_version: schema.version,
            };
            state.resources.insert(at, inst);
        }
        for i in deposed {
            let key =
                instance_key(i.index_key.as_ref()).map_err(|e| corrupt(format!("resource {}: {e}", shown(None))))?;
            let at = addr.instance(key);
            let value = conform(
                &schema.block,
                &Value::from_json(i.attributes.as_ref().unwrap_or(&Json::Null)),
            );
            match state.resources.get_mut(&at) {
                Some(cur) => cur.deposed.push(Deposed {
                    key: i.deposed.unwrap_or_default(),
                    value,
                }),
                None => left.push((
                    format!("{at} (deposed)"),
                    "a deposed object without a current one: delete it with Terraform first".into(),
                )),
            }
        }
    }
    for (name, o) in tf.outputs {
        state.outputs.insert(
            name,
            OutputValue {
                value: Value::from_json(&o.value),
                sensitive: o.sensitive,
            },
        );
    }
    Ok(Imported {
        state,
        terraform: format!(
            "Terraform {} state, lineage {}, serial {}",
            tf.terraform_version, tf.lineage, tf.serial
        ),
        data_sources,
        left,
    })
}

/// Writes infra's state as a Terraform state (format version 4): same lineage and serial, every
/// resource instance with its provider's registry address. An instance whose create has not finished
/// (an intent) cannot be written: Terraform has no such thing.
pub fn to_terraform(state: &State, providers: &ProviderSet) -> Result<String, String> {
    let mut resources: Vec<TfResource> = Vec::new();
    for (addr, inst) in &state.resources {
        if let InstanceStatus::Creating { .. } = inst.status {
            return Err(format!(
                "{addr} has a create that has not finished (an apply was interrupted): run infra apply first, so that the state holds only finished objects"
            ));
        }
        let provider = providers
            .get(&inst.provider.name)
            .ok_or_else(|| format!("{addr}: infra has no provider {:?}", inst.provider.name))?;
        let schema = providers.schema(&inst.provider.name, &addr.resource)?;
        let provider_addr = match &inst.provider.alias {
            Some(a) => format!("provider[\"registry.terraform.io/{}\"].{a}", provider.source()),
            None => format!("provider[\"registry.terraform.io/{}\"]", provider.source()),
        };
        let module = (!addr.resource.module.is_root()).then(|| addr.resource.module.to_string());
        let same = resources.last().is_some_and(|r| {
            r.module == module
                && r.type_name == addr.resource.type_name
                && r.name == addr.resource.name
                && (r.mode == "data") == (addr.resource.mode == Mode::Data)
        });
        if !same {
            resources.push(TfResource {
                module,
                mode: if addr.resource.mode == Mode::Data {
                    "data"
                } else {
                    "managed"
                }
                .into(),
                type_name: addr.resource.type_name.clone(),
                name: addr.resource.name.clone(),
                provider: provider_addr,
                instances: Vec::new(),
            });
        }
        let index_key = match &addr.key {
            InstanceKey::None => None,
            InstanceKey::Int(i) => Some(json!(i)),
            InstanceKey::Str(s) => Some(json!(s)),
        };
        let object = |value: &Value, deposed: Option<String>| TfInstance {
            index_key: index_key.clone(),
            status: (inst.status == InstanceStatus::Tainted && deposed.is_none()).then(|| "tainted".into()),
            deposed,
            schema_version: schema.terraform_version,
            attributes: Some(export_value(&schema.block, value)),
            sensitive_attributes: inst
                .sensitive_paths
                .iter()
                .map(|p| export_path(&schema.block, p))
                .collect(),
            dependencies: inst.dependencies.iter().map(ToString::to_string).collect(),
            create_before_destroy: inst.create_before_destroy,
        };
        let r = resources.last_mut().expect("pushed above");
        r.instances.push(object(&inst.value, None));
        for d in &inst.deposed {
            r.instances.push(object(&d.value, Some(d.key.clone())));
        }
    }
    let outputs = state
        .outputs
        .iter()
        .map(|(k, o)| {
            let (plain, _) = o.value.clone().unmark_deep();
            (
                k.clone(),
                TfOutput {
                    value: plain.to_json(),
                    ty: type_of(&plain),
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    let tf = TfState {
        version: TERRAFORM_STATE_VERSION,
        terraform_version: crate::validate::LANGUAGE_VERSION.into(),
        serial: state.serial,
        lineage: state.lineage.clone(),
        outputs,
        resources,
        check_results: None,
    };
    let mut s = serde_json::to_string_pretty(&tf).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

/// What the configuration says about an object's arguments.
#[derive(Clone, Copy)]
enum Given<'a> {
    /// These arguments and blocks.
    Body(&'a Body),
    /// Not known (blocks made by `dynamic`): every value is kept.
    Unknown,
    /// Nothing: the object or block is not in the configuration.
    Absent,
}

/// Terraform's SDK stores an argument that was never set as its type's zero value (`""`, `0`, `false`),
/// where infra stores null. Kept as they are, those zeros would plan as updates to null on the first
/// plan after an import. So a zero of an argument the configuration does not set becomes null, unless
/// infra's schema gives the argument a default (then the zero is a real value). Collections are kept.
fn unset_zero_values(block: &Block, v: Value, given: Given<'_>) -> Value {
    let Value::Map(mut m) = v else { return v };
    if matches!(given, Given::Unknown) {
        return Value::Map(m);
    }
    let set_in_config = |name: &str| match given {
        Given::Body(b) => b.attrs.iter().any(|a| a.name == name),
        _ => false,
    };
    for (name, attr) in &block.attributes {
        let Some(val) = m.get_mut(name) else { continue };
        let zero = matches!(val, Value::String(s) if s.is_empty())
            || matches!(val, Value::Bool(false))
            || matches!(val, Value::Number(n) if n.0 == 0.0);
        if zero && !attr.required && attr.default.is_none() && !set_in_config(name) {
            *val = Value::Null;
        }
    }
    for (name, nb) in &block.blocks {
        let Some(val) = m.remove(name) else { continue };
        let configured: Vec<&Body> = match given {
            Given::Body(b) => b.blocks.iter().filter(|x| x.kind == *name).map(|x| &x.body).collect(),
            _ => Vec::new(),
        };
        let dynamic = matches!(given, Given::Body(b) if b.blocks.iter().any(|x| x.kind == "dynamic" && x.labels.first().is_some_and(|l| l.0 == *name)));
        let item_given = |i: usize| {
            if dynamic {
                Given::Unknown
            } else if nb.nesting == Nesting::Set && !configured.is_empty() {
                // Set elements have no order to match them to their blocks by.
                Given::Unknown
            } else {
                configured.get(i).map_or(Given::Absent, |b| Given::Body(b))
            }
        };
        let shaped = match val {
            Value::List(items) => Value::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| unset_zero_values(&nb.block, x, item_given(i)))
                    .collect(),
            ),
            Value::Set(items) => Value::set(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| unset_zero_values(&nb.block, x, item_given(i)))
                    .collect(),
            ),
            one @ Value::Map(_) => unset_zero_values(&nb.block, one, item_given(0)),
            other => other,
        };
        m.insert(name.clone(), shaped);
    }
    Value::Map(m)
}

/// `provider["registry.terraform.io/hashicorp/aws"]` or `…].west` → (`aws`, `aws.west` key), and the
/// provider's `namespace/type` source.
fn provider_key(s: &str) -> Option<(ProviderKey, String)> {
    let rest = s.strip_prefix("provider[\"")?;
    let (source, tail) = rest.split_once("\"]")?;
    let source = source.strip_prefix("registry.terraform.io/").unwrap_or(source);
    let name = source.rsplit('/').next()?.to_string();
    let alias = match tail.strip_prefix('.') {
        Some(a) if !a.is_empty() => Some(a.to_string()),
        Some(_) => return None,
        None if tail.is_empty() => None,
        None => return None,
    };
    Some((ProviderKey { name, alias }, source.to_string()))
}

fn instance_key(k: Option<&Json>) -> Result<InstanceKey, String> {
    match k {
        None | Some(Json::Null) => Ok(InstanceKey::None),
        Some(Json::Number(n)) => n
            .as_i64()
            .map(InstanceKey::Int)
            .ok_or_else(|| format!("index key {n} is not a whole number")),
        Some(Json::String(s)) => Ok(InstanceKey::Str(s.clone())),
        Some(other) => Err(format!("index key {other} is neither a number nor a string")),
    }
}

/// A dependency of the root module (`aws_vpc.main`, `data.aws_region.r`); those inside modules are left
/// out with the module's resources.
fn dependency(d: &str) -> Option<ResourceAddr> {
    d.parse::<InstanceAddr>().ok().map(|a| a.resource)
}

/// A Terraform sensitive path (`[{"type":"get_attr","value":"password"}, {"type":"index",…}]`) as
/// infra's: the index Terraform puts after a single nested block (stored as a one-element list there)
/// is dropped.
fn import_path(block: &Block, steps: &Json) -> Option<Path> {
    let mut out = Vec::new();
    let mut at = Some(block);
    let mut skip_index = false;
    for s in steps.as_array()? {
        match s.get("type")?.as_str()? {
            "get_attr" => {
                let name = s.get("value")?.as_str()?;
                out.push(PathStep::Key(name.to_string()));
                let nested = at.and_then(|b| b.blocks.get(name));
                skip_index = nested.is_some_and(|nb| nb.nesting == Nesting::Single);
                at = nested.map(|nb| &nb.block);
            }
            "index" => {
                let key = s.get("value")?;
                let key = key.get("value").unwrap_or(key);
                if std::mem::take(&mut skip_index) {
                    continue;
                }
                match key {
                    Json::Number(n) => out.push(PathStep::Index(n.as_u64()? as usize)),
                    Json::String(k) => out.push(PathStep::Key(k.clone())),
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(Path(out))
}

/// infra's sensitive path in Terraform's form (the inverse of [`import_path`]).
fn export_path(block: &Block, p: &Path) -> Json {
    let mut out = Vec::new();
    let mut at = Some(block);
    for s in &p.0 {
        match s {
            PathStep::Key(k) => {
                let nested = at.and_then(|b| b.blocks.get(k));
                if at.is_some_and(|b| b.attributes.contains_key(k)) || nested.is_some() || at.is_none() {
                    out.push(json!({"type": "get_attr", "value": k}));
                } else {
                    out.push(json!({"type": "index", "value": {"value": k, "type": "string"}}));
                }
                if nested.is_some_and(|nb| nb.nesting == Nesting::Single) {
                    out.push(json!({"type": "index", "value": {"value": 0, "type": "number"}}));
                }
                at = nested.map(|nb| &nb.block);
            }
            PathStep::Index(i) => out.push(json!({"type": "index", "value": {"value": i, "type": "number"}})),
        }
    }
    Json::Array(out)
}

/// An object's attributes as Terraform stores them: single nested blocks as lists of one object (or
/// none).
fn export_value(block: &Block, v: &Value) -> Json {
    let (v, _) = v.clone().unmark_deep();
    let Value::Map(m) = &v else { return v.to_json() };
    let mut out = serde_json::Map::new();
    for (k, item) in m {
        let j = match block.blocks.get(k) {
            Some(nb) => match (nb.nesting, item) {
                (Nesting::Single, Value::Null) => json!([]),
                (Nesting::Single, one) => json!([export_value(&nb.block, one)]),
                (_, Value::List(items) | Value::Set(items)) => {
                    Json::Array(items.iter().map(|i| export_value(&nb.block, i)).collect())
                }
                (_, Value::Null) => json!([]),
                (_, other) => other.to_json(),
            },
            None => item.to_json(),
        };
        out.insert(k.clone(), j);
    }
    Json::Object(out)
}

/// The Terraform (cty) type of a value, as a state's output `type`.
fn type_of(v: &Value) -> Json {
    match v {
        Value::Null | Value::Unknown => json!("dynamic"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::List(items) => json!(["tuple", items.iter().map(type_of).collect::<Vec<_>>()]),
        Value::Set(items) => json!(["set", items.first().map(type_of).unwrap_or(json!("dynamic"))]),
        Value::Map(m) => json!([
            "object",
            m.iter()
                .map(|(k, v)| (k.clone(), type_of(v)))
                .collect::<serde_json::Map<_, _>>()
        ]),
        Value::Sensitive(inner) => type_of(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_addresses_parse_with_and_without_alias() {
        let (k, src) = provider_key("provider[\"registry.terraform.io/hashicorp/aws\"]").unwrap();
        assert_eq!((k.name.as_str(), k.alias, src.as_str()), ("aws", None, "hashicorp/aws"));
        let (k, src) = provider_key("provider[\"registry.terraform.io/digitalocean/digitalocean\"].lon").unwrap();
        assert_eq!(
            (k.name.as_str(), k.alias.as_deref(), src.as_str()),
            ("digitalocean", Some("lon"), "digitalocean/digitalocean")
        );
        assert!(provider_key("aws").is_none());
        assert!(provider_key("provider[\"registry.terraform.io/hashicorp/aws\"]x").is_none());
    }

    #[test]
    fn sensitive_paths_round_trip_through_single_blocks() {
        use infra_provider::{Attribute, NestedBlock, Type};
        let block = Block::new().attr("password", Attribute::optional(Type::String)).block(
            "auth",
            NestedBlock::single(Block::new().attr("token", Attribute::optional(Type::String))),
        );
        let tf = json!([{"type": "get_attr", "value": "auth"}, {"type": "index", "value": {"value": 0, "type": "number"}}, {"type": "get_attr", "value": "token"}]);
        let p = import_path(&block, &tf).unwrap();
        assert_eq!(p, Path::attr("auth").key("token"));
        assert_eq!(export_path(&block, &p), tf);
        let top = json!([{"type": "get_attr", "value": "password"}]);
        assert_eq!(import_path(&block, &top).unwrap(), Path::attr("password"));
    }

    #[test]
    fn output_types_are_ctys() {
        assert_eq!(type_of(&Value::string("x")), json!("string"));
        assert_eq!(
            type_of(&Value::map([("a", Value::int(1))])),
            json!(["object", {"a": "number"}])
        );
        assert_eq!(
            type_of(&Value::List(vec![Value::Bool(true)])),
            json!(["tuple", ["bool"]])
        );
    }
}
