//! The `terraform { encryption { ... } }` block (OpenTofu's syntax) and the `INFRA_STATE_PASSPHRASE`
//! shortcut, parsed into an [`EncryptionSpec`] and built into the [`Encryptor`]s of states and plans.

use super::{Encryptor, Method};
use crate::backend_set::{BackendSet, WrittenArg, check_arguments, literal_args};
use crate::diag::{Diagnostics, Span};
use crate::lang::ast::{Block, Expr, Step};
use infra_backend::{KeyProvider, Settings};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const PASSPHRASE_ENV: &str = "INFRA_STATE_PASSPHRASE";
pub const FALLBACK_PASSPHRASE_ENV: &str = "INFRA_STATE_PASSPHRASE_FALLBACK";

/// `key_provider "KIND" "NAME" { ... }`.
#[derive(Clone, Debug)]
pub struct KeyProviderSpec {
    pub kind: String,
    pub name: String,
    pub args: Vec<WrittenArg>,
    pub span: Span,
}

/// `method "aes_gcm" "NAME" { keys = key_provider.KIND.NAME }` or `method "unencrypted" "NAME" {}`.
#[derive(Clone, Debug)]
pub struct MethodSpec {
    pub kind: String,
    pub name: String,
    /// `pbkdf2.main`.
    pub keys: Option<String>,
    pub span: Span,
}

/// `state { method = ..., enforced = ..., fallback { method = ... } }` (and `plan { ... }`).
#[derive(Clone, Debug)]
pub struct TargetSpec {
    /// `aes_gcm.main`.
    pub method: String,
    pub fallback: Option<String>,
    pub enforced: bool,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct EncryptionSpec {
    pub key_providers: BTreeMap<String, KeyProviderSpec>,
    pub methods: BTreeMap<String, MethodSpec>,
    pub state: Option<TargetSpec>,
    pub plan: Option<TargetSpec>,
    /// Where the block is (`None` for the environment shortcut).
    pub span: Option<Span>,
}

/// `a.b.c` of a reference expression.
fn reference(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Var(v, _) => Some(vec![v.clone()]),
        Expr::Traversal(root, steps, _) => {
            let mut out = reference(root)?;
            for s in steps {
                match s {
                    Step::Attr(a, _) => out.push(a.clone()),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn reference_to(e: &Expr, root: &str, diags: &mut Diagnostics) -> Option<String> {
    match reference(e) {
        Some(parts) if parts.len() == 3 && parts[0] == root => Some(format!("{}.{}", parts[1], parts[2])),
        _ => {
            diags.error(
                Some(e.span()),
                "Invalid reference",
                format!("Expected a reference like {root}.KIND.NAME."),
            );
            None
        }
    }
}

fn target(b: &Block, diags: &mut Diagnostics) -> Option<TargetSpec> {
    let mut method = None;
    let mut enforced = false;
    let mut fallback = None;
    for a in &b.body.attrs {
        match a.name.as_str() {
            "method" => method = reference_to(&a.expr, "method", diags),
            "enforced" => match a.expr.as_literal() {
                Some(infra_provider::Value::Bool(x)) => enforced = x,
                _ => diags.error(Some(a.expr.span()), "Invalid value", "enforced must be true or false."),
            },
            other => diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!("An argument named {other:?} is not expected in a {} block.", b.kind),
            ),
        }
    }
    for nb in &b.body.blocks {
        if nb.kind != "fallback" {
            diags.error(
                Some(nb.kind_span),
                "Unsupported block type",
                format!("Blocks of type {:?} are not expected in a {} block.", nb.kind, b.kind),
            );
            continue;
        }
        if fallback.is_some() {
            diags.error(
                Some(nb.kind_span),
                "Duplicate fallback",
                "Only one fallback block is allowed.",
            );
            continue;
        }
        match nb.body.attr("method") {
            Some(a) => fallback = reference_to(&a.expr, "method", diags),
            None => diags.error(
                Some(nb.span),
                "Missing required argument",
                "A fallback block needs a method.",
            ),
        }
    }
    let Some(method) = method else {
        diags.error(
            Some(b.span),
            "Missing required argument",
            format!("A {} block needs a method.", b.kind),
        );
        return None;
    };
    Some(TargetSpec {
        method,
        fallback,
        enforced,
        span: b.span,
    })
}

impl EncryptionSpec {
    /// Parses a `terraform { encryption { ... } }` block.
    pub fn parse(block: &Block, diags: &mut Diagnostics) -> EncryptionSpec {
        let mut spec = EncryptionSpec {
            span: Some(block.span),
            ..Default::default()
        };
        for a in &block.body.attrs {
            diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!("An argument named {:?} is not expected in an encryption block.", a.name),
            );
        }
        for b in &block.body.blocks {
            let labels: Vec<&str> = b.labels.iter().map(|(l, _)| l.as_str()).collect();
            match (b.kind.as_str(), labels.as_slice()) {
                ("key_provider", [kind, name]) => {
                    let key = format!("{kind}.{name}");
                    if spec.key_providers.contains_key(&key) {
                        diags.error(
                            Some(b.kind_span),
                            "Duplicate key provider",
                            format!("key_provider.{key} is defined twice."),
                        );
                        continue;
                    }
                    let args = literal_args(
                        &b.body,
                        "Encryption settings must be literal values (a passphrase can come from INFRA_STATE_PASSPHRASE instead).",
                        diags,
                    );
                    spec.key_providers.insert(
                        key,
                        KeyProviderSpec {
                            kind: kind.to_string(),
                            name: name.to_string(),
                            args,
                            span: b.span,
                        },
                    );
                }
                ("method", [kind, name]) => {
                    let key = format!("{kind}.{name}");
                    let keys = match (*kind, b.body.attr("keys")) {
                        ("aes_gcm", Some(a)) => reference_to(&a.expr, "key_provider", diags),
                        ("aes_gcm", None) => {
                            diags.error(
                                Some(b.span),
                                "Missing required argument",
                                "An aes_gcm method needs keys = key_provider.KIND.NAME.",
                            );
                            None
                        }
                        ("unencrypted", None) => None,
                        ("unencrypted", Some(a)) => {
                            diags.error(
                                Some(a.name_span),
                                "Unsupported argument",
                                "An unencrypted method takes no keys.",
                            );
                            None
                        }
                        (other, _) => {
                            diags.error(
                                Some(b.labels[0].1),
                                "Unsupported encryption method",
                                format!("The method {other:?} is not supported: use \"aes_gcm\" (or \"unencrypted\" to migrate away from encryption)."),
                            );
                            continue;
                        }
                    };
                    for a in b.body.attrs.iter().filter(|a| a.name != "keys") {
                        diags.error(
                            Some(a.name_span),
                            "Unsupported argument",
                            format!("An argument named {:?} is not expected in a method block.", a.name),
                        );
                    }
                    spec.methods.insert(
                        key,
                        MethodSpec {
                            kind: kind.to_string(),
                            name: name.to_string(),
                            keys,
                            span: b.span,
                        },
                    );
                }
                ("state", []) => spec.state = target(b, diags),
                ("plan", []) => spec.plan = target(b, diags),
                ("remote_state_data_sources", _) => {}
                ("key_provider" | "method", _) => diags.error(
                    Some(b.kind_span),
                    "Missing or extra block labels",
                    format!("A {} block requires two labels: the kind and the name.", b.kind),
                ),
                ("state" | "plan", _) => diags.error(
                    Some(b.kind_span),
                    "Extra block labels",
                    format!("A {} block takes no labels.", b.kind),
                ),
                (other, _) => diags.error(
                    Some(b.kind_span),
                    "Unsupported block type",
                    format!("Blocks of type {other:?} are not expected in an encryption block."),
                ),
            }
        }
        for (name, t) in [("state", &spec.state), ("plan", &spec.plan)] {
            let Some(t) = t else { continue };
            for m in std::iter::once(&t.method).chain(t.fallback.iter()) {
                if !spec.methods.contains_key(m) {
                    diags.error(
                        Some(t.span),
                        "Reference to undeclared method",
                        format!("The {name} block refers to method.{m}, which is not declared."),
                    );
                }
            }
        }
        for m in spec.methods.values() {
            if let Some(k) = &m.keys
                && !spec.key_providers.contains_key(k)
            {
                diags.error(
                    Some(m.span),
                    "Reference to undeclared key provider",
                    format!(
                        "method.{}.{} refers to key_provider.{k}, which is not declared.",
                        m.kind, m.name
                    ),
                );
            }
        }
        spec
    }

    /// The `INFRA_STATE_PASSPHRASE` shortcut: states and plans encrypted with a passphrase key, and an
    /// older passphrase to read with.
    pub fn from_passphrases(has_passphrase: bool, has_fallback: bool) -> Option<EncryptionSpec> {
        if !has_passphrase && !has_fallback {
            return None;
        }
        let mut spec = EncryptionSpec::default();
        let provider = |name: &str| KeyProviderSpec {
            kind: "pbkdf2".into(),
            name: name.into(),
            args: Vec::new(),
            span: Span::default(),
        };
        let method = |name: &str| MethodSpec {
            kind: "aes_gcm".into(),
            name: name.into(),
            keys: Some(format!("pbkdf2.{name}")),
            span: Span::default(),
        };
        let mut fallback = None;
        if has_fallback {
            spec.key_providers
                .insert("pbkdf2.fallback".into(), provider("fallback"));
            spec.methods.insert("aes_gcm.fallback".into(), method("fallback"));
            fallback = Some("aes_gcm.fallback".to_string());
        }
        let primary = if has_passphrase {
            spec.key_providers
                .insert("pbkdf2.passphrase".into(), provider("passphrase"));
            spec.methods.insert("aes_gcm.passphrase".into(), method("passphrase"));
            "aes_gcm.passphrase".to_string()
        } else {
            // Only an old passphrase: read with it, write plaintext (turning encryption off).
            spec.methods.insert(
                "unencrypted.off".into(),
                MethodSpec {
                    kind: "unencrypted".into(),
                    name: "off".into(),
                    keys: None,
                    span: Span::default(),
                },
            );
            "unencrypted.off".to_string()
        };
        let t = TargetSpec {
            method: primary,
            fallback,
            enforced: false,
            span: Span::default(),
        };
        spec.state = Some(t.clone());
        spec.plan = Some(t);
        Some(spec)
    }
}

/// The encryptors of a run: states and saved plans.
#[derive(Clone)]
pub struct Encryptors {
    pub state: Arc<Encryptor>,
    pub plan: Arc<Encryptor>,
}

impl Encryptors {
    pub fn none() -> Encryptors {
        Encryptors {
            state: Encryptor::none(),
            plan: Encryptor::none(),
        }
    }
}

/// An error building the encryptors: where, and what.
#[derive(Debug)]
pub struct BuildError {
    pub span: Option<Span>,
    pub summary: String,
    pub detail: String,
}

/// Configures the key providers and methods the spec's `state` and `plan` blocks use. `env` reads
/// environment variables (the passphrases).
pub async fn build(
    spec: &EncryptionSpec,
    set: &BackendSet,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Encryptors, Vec<BuildError>> {
    let mut errors = Vec::new();
    // Key providers used only by fallbacks get the fallback passphrase.
    let mut primary_providers = Vec::new();
    for t in [&spec.state, &spec.plan].into_iter().flatten() {
        if let Some(k) = spec.methods.get(&t.method).and_then(|m| m.keys.clone()) {
            primary_providers.push(k);
        }
    }
    let mut providers: BTreeMap<String, Arc<dyn KeyProvider>> = BTreeMap::new();
    let mut used: Vec<String> = Vec::new();
    for t in [&spec.state, &spec.plan].into_iter().flatten() {
        for m in std::iter::once(&t.method).chain(t.fallback.iter()) {
            if let Some(k) = spec.methods.get(m).and_then(|m| m.keys.clone())
                && !used.contains(&k)
            {
                used.push(k);
            }
        }
    }
    for name in used {
        let Some(kp) = spec.key_providers.get(&name) else {
            continue;
        };
        let Some(ty) = set.key_provider(&kp.kind) else {
            errors.push(BuildError {
                span: Some(kp.span),
                summary: "Unsupported key provider".into(),
                detail: format!(
                    "The key provider {:?} is not available in this infra (available: {}).",
                    kp.kind,
                    set.key_provider_names().join(", ")
                ),
            });
            continue;
        };
        let mut diags = Diagnostics::new();
        let mut settings: Settings = check_arguments(
            &ty.arguments(),
            &kp.args,
            kp.span,
            &format!("key_provider \"{}\"", kp.kind),
            &mut diags,
        );
        if diags.has_errors() {
            for d in diags.errors() {
                errors.push(BuildError {
                    span: d.span,
                    summary: d.summary.clone(),
                    detail: d.detail.clone(),
                });
            }
            continue;
        }
        if kp.kind == "pbkdf2" && !settings.contains_key("passphrase") {
            let var = if primary_providers.contains(&name) {
                PASSPHRASE_ENV
            } else {
                FALLBACK_PASSPHRASE_ENV
            };
            match env(var).filter(|p| !p.is_empty()) {
                Some(p) => {
                    settings.insert("passphrase".into(), serde_json::Value::String(p));
                }
                None => {
                    errors.push(BuildError {
                        span: if spec.span.is_some() { Some(kp.span) } else { None },
                        summary: "No passphrase".into(),
                        detail: format!(
                            "key_provider.{name} has no passphrase: set {var}, or `passphrase` in its block."
                        ),
                    });
                    continue;
                }
            }
        }
        match ty.configure(&settings).await {
            Ok(p) => {
                providers.insert(name, p);
            }
            Err(e) => errors.push(BuildError {
                span: if spec.span.is_some() { Some(kp.span) } else { None },
                summary: "Invalid key provider".into(),
                detail: match (spec.span, name.as_str()) {
                    // The INFRA_STATE_PASSPHRASE shortcut: name the variable, not a block.
                    (None, "pbkdf2.passphrase") => format!("{PASSPHRASE_ENV}: {e}"),
                    (None, "pbkdf2.fallback") => format!("{FALLBACK_PASSPHRASE_ENV}: {e}"),
                    _ => format!("key_provider.{name}: {e}"),
                },
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let method = |m: &str| -> Option<Method> {
        let spec_m = spec.methods.get(m)?;
        let keys = spec_m.keys.clone()?;
        let p = providers.get(&keys)?.clone();
        Some(Method::new(m.to_string(), keys, p))
    };
    let target = |t: &Option<TargetSpec>, errors: &mut Vec<BuildError>| -> Arc<Encryptor> {
        let Some(t) = t else {
            return Encryptor::none();
        };
        let primary = method(&t.method);
        if primary.is_none() && t.enforced {
            errors.push(BuildError {
                span: Some(t.span),
                summary: "Encryption enforced".into(),
                detail: format!("enforced = true, but method.{} does not encrypt.", t.method),
            });
        }
        let fallbacks = t.fallback.as_deref().and_then(method).into_iter().collect();
        Encryptor::new(primary, fallbacks)
    };
    let state = target(&spec.state, &mut errors);
    let plan = target(&spec.plan, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Encryptors { state, plan })
}
