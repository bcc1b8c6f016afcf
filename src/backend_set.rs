//! The state backends and key providers a run can use, by name — the built-in ones (`local`, `pbkdf2`)
//! plus those the binary hands in (`s3` and `aws_kms` from `providers/aws`, `pg` from `backends/pg`), as
//! [`crate::provider_set::ProviderSet`] does for providers. The engine never names a concrete backend
//! outside this module's built-ins.

use crate::diag::{Diagnostics, Span};
use crate::lang::ast::Body;
use infra_backend::{ArgType, Argument, BackendType, KeyProviderType, Settings};
use infra_provider::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct BackendSet {
    backends: BTreeMap<&'static str, Arc<dyn BackendType>>,
    key_providers: BTreeMap<&'static str, Arc<dyn KeyProviderType>>,
}

impl Default for BackendSet {
    fn default() -> Self {
        BackendSet::new(Vec::new(), Vec::new())
    }
}

impl BackendSet {
    /// The built-ins plus these.
    pub fn new(backends: Vec<Arc<dyn BackendType>>, key_providers: Vec<Arc<dyn KeyProviderType>>) -> BackendSet {
        let mut b: BTreeMap<&'static str, Arc<dyn BackendType>> = BTreeMap::new();
        b.insert("local", Arc::new(crate::state::local::LocalBackendType));
        for t in backends {
            b.insert(t.name(), t);
        }
        let mut k: BTreeMap<&'static str, Arc<dyn KeyProviderType>> = BTreeMap::new();
        k.insert("pbkdf2", Arc::new(crate::encryption::Pbkdf2Type));
        for t in key_providers {
            k.insert(t.name(), t);
        }
        BackendSet {
            backends: b,
            key_providers: k,
        }
    }
    pub fn backend(&self, name: &str) -> Option<&Arc<dyn BackendType>> {
        self.backends.get(name)
    }
    pub fn backend_names(&self) -> Vec<&'static str> {
        self.backends.keys().copied().collect()
    }
    pub fn key_provider(&self, name: &str) -> Option<&Arc<dyn KeyProviderType>> {
        self.key_providers.get(name)
    }
    pub fn key_provider_names(&self) -> Vec<&'static str> {
        self.key_providers.keys().copied().collect()
    }
}

/// One argument as written: name, literal value, spans of the name and value.
#[derive(Clone, Debug)]
pub struct WrittenArg {
    pub name: String,
    pub value: Value,
    pub name_span: Span,
    pub span: Span,
}

/// The arguments of a block body as written: literal values only (`not_literal` says why, at the value);
/// a nested block such as `endpoints { s3 = "..." }` is read as a map argument, as Terraform's
/// `endpoints = { ... }` would be.
pub fn literal_args(body: &Body, not_literal: &str, diags: &mut Diagnostics) -> Vec<WrittenArg> {
    let literal = |a: &crate::lang::ast::Attr, diags: &mut Diagnostics| {
        let v = a.expr.as_literal();
        if v.is_none() {
            diags.error(Some(a.expr.span()), "Variables not allowed", not_literal.to_string());
        }
        v
    };
    let mut out = Vec::new();
    for a in &body.attrs {
        if let Some(v) = literal(a, diags) {
            out.push(WrittenArg {
                name: a.name.clone(),
                value: v,
                name_span: a.name_span,
                span: a.expr.span(),
            });
        }
    }
    for inner in &body.blocks {
        let mut m = std::collections::BTreeMap::new();
        for a in &inner.body.attrs {
            if let Some(v) = literal(a, diags) {
                m.insert(a.name.clone(), v);
            }
        }
        out.push(WrittenArg {
            name: inner.kind.clone(),
            value: Value::Map(m),
            name_span: inner.kind_span,
            span: inner.span,
        });
    }
    out
}

/// Checks a block's arguments against what its type accepts: unknown, refused, missing or mistyped
/// arguments are errors at their line. `what` names the block in messages (`the s3 backend`).
pub fn check_arguments(
    accepted: &[Argument],
    written: &[WrittenArg],
    block_span: Span,
    what: &str,
    diags: &mut Diagnostics,
) -> Settings {
    let mut settings = Settings::new();
    for w in written {
        let Some(arg) = accepted.iter().find(|a| a.name == w.name) else {
            let names: Vec<&str> = accepted
                .iter()
                .filter(|a| a.refused.is_none())
                .map(|a| a.name)
                .collect();
            let hint = crate::lang::eval::suggest(&w.name, names.iter().copied())
                .map(|s| format!(" Did you mean {s:?}?"))
                .unwrap_or_default();
            diags.error(
                Some(w.name_span),
                "Unsupported argument",
                format!("{what} does not accept an argument named {:?}.{hint}", w.name),
            );
            continue;
        };
        if let Some(why) = arg.refused {
            diags.error(
                Some(w.name_span),
                "Unsupported argument",
                format!("{:?}: {why}", w.name),
            );
            continue;
        }
        let ok = match (arg.ty, &w.value) {
            (_, Value::Null) => true,
            (ArgType::String, Value::String(_)) => true,
            (ArgType::Bool, Value::Bool(_)) => true,
            (ArgType::Number, Value::Number(_)) => true,
            (ArgType::StringMap, Value::Map(m)) => m.values().all(|v| matches!(v, Value::String(_))),
            _ => false,
        };
        if !ok {
            let want = match arg.ty {
                ArgType::String => "a string",
                ArgType::Bool => "true or false",
                ArgType::Number => "a number",
                ArgType::StringMap => "a map of strings, like { s3 = \"https://...\" }",
            };
            diags.error(
                Some(w.span),
                "Incorrect attribute value type",
                format!("{:?} in {what} must be {want}.", w.name),
            );
            continue;
        }
        settings.insert(w.name.clone(), w.value.to_json());
    }
    for a in accepted.iter().filter(|a| a.required) {
        if !settings.contains_key(a.name) {
            diags.error(
                Some(block_span),
                "Missing required argument",
                format!("{what} requires the argument {:?}.", a.name),
            );
        }
    }
    settings
}

/// The settings without the sensitive ones (what may be recorded on disk or printed).
pub fn non_sensitive(accepted: &[Argument], settings: &Settings) -> Settings {
    settings
        .iter()
        .filter(|(k, _)| !accepted.iter().any(|a| a.name == k.as_str() && a.sensitive))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
