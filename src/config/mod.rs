//! Loading a configuration directory: every `*.tf` file, its `terraform`, `provider`, `variable`,
//! `locals`, `resource`, `data` and `output` blocks, and the meta-arguments (`count`, `for_each`,
//! `depends_on`, `provider`, `lifecycle`, `timeouts`).
//!
//! Loading is purely structural: expressions are kept as [`Expr`] for the planner to evaluate, and
//! argument names are checked against provider schemas later ([`crate::lang::decode`]). Every problem of
//! every file is collected into one [`Diagnostics`].

use crate::addrs::{Mode, ProviderKey, ResourceAddr};
use crate::diag::{Diagnostics, SourceMap, Span};
use crate::lang::ast::{self, Attr, Block, Body, Expr};
use crate::lang::eval::{EmptyScope, Evaluator};
use crate::lang::refs::{Ref, body_refs, expr_refs};
use crate::lang::typeexpr::parse_type;
use infra_provider::{Path as AttrPath, PathStep, Type, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub mod expand;
pub mod modules;
pub mod refactor;
pub use expand::{DeferredCall, ModuleInput, ModuleInstances, expand, expand_with};
pub use modules::{ModuleCall, ModuleFiles};

/// A loaded configuration directory.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub dir: PathBuf,
    pub sources: SourceMap,
    pub terraform: TerraformSettings,
    pub providers: BTreeMap<ProviderKey, ProviderConfig>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub resources: BTreeMap<ResourceAddr, Resource>,
    pub outputs: BTreeMap<String, Output>,
    /// `module` blocks, each with the module it calls loaded.
    pub module_calls: BTreeMap<String, ModuleCall>,
    /// `moved` blocks (after [`expand`], those of every module instance, with full addresses).
    pub moved: Vec<refactor::Moved>,
    /// `removed` blocks.
    pub removed: Vec<refactor::Removed>,
    /// `import` blocks (root module only).
    pub imports: Vec<refactor::Import>,
    /// This is a called module, not the root module.
    pub is_module: bool,
    /// Module calls have been expanded into this configuration ([`expand`]).
    pub expanded: bool,
    /// After [`expand`]: the calls not expanded yet, whose `count`/`for_each` depends on resources or data
    /// sources (the planner evaluates them and expands again).
    pub deferred: Vec<DeferredCall>,
    /// Where each variable's value was last assigned in a `.tfvars` file (errors about the value point
    /// there); absent for defaults, `--var` and `TF_VAR_`.
    pub var_origins: BTreeMap<String, Span>,
    /// After [`expand`]: the locals that are ephemeral by declaration — a module's input variables
    /// declared `ephemeral = true` and its outputs declared `ephemeral = true`.
    pub ephemeral_locals: BTreeSet<String>,
}

#[derive(Debug, Default, Clone)]
pub struct TerraformSettings {
    pub required_version: Option<String>,
    /// Where `required_version` is written.
    pub required_version_span: Option<Span>,
    /// Provider local names from `required_providers`, with their `source`.
    pub required_providers: BTreeMap<String, String>,
    /// The same entries with their `version` constraint and where each is written.
    pub provider_requirements: BTreeMap<String, ProviderRequirement>,
    pub backend: Option<Backend>,
    /// `encryption { ... }` (OpenTofu's state and plan encryption).
    pub encryption: Option<crate::encryption::EncryptionSpec>,
    /// `configuration_aliases` of `required_providers` (a module's aliased provider configurations,
    /// passed in by its callers).
    pub configuration_aliases: BTreeSet<ProviderKey>,
}

/// One entry of `required_providers`.
#[derive(Debug, Clone)]
pub struct ProviderRequirement {
    pub source: String,
    pub version: Option<String>,
    pub span: Span,
}

/// A `backend "KIND" { ... }` block: its arguments as written (literal values only, as in Terraform; a
/// nested block such as `endpoints { s3 = "..." }` is read as a map argument). They are checked against
/// the backend's own argument list when a command uses it.
#[derive(Debug, Clone)]
pub struct Backend {
    pub kind: String,
    pub args: Vec<crate::backend_set::WrittenArg>,
    pub span: Span,
    pub kind_span: Span,
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub key: ProviderKey,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub ty: Option<Type>,
    pub default: Option<Value>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    /// `ephemeral = true`: the value is never kept in a plan file or the state (it is asked for again at
    /// apply) and may flow only where ephemeral values may.
    pub ephemeral: bool,
    pub validations: Vec<Validation>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
    /// Set on the local that holds a module instance's input variable.
    pub input: Option<Box<ModuleInput>>,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub sensitive: bool,
    /// `ephemeral = true` (child modules only): the output may carry ephemeral values.
    pub ephemeral: bool,
    pub description: Option<String>,
    pub depends_on: Vec<(ResourceAddr, Span)>,
    pub depends_on_modules: Vec<(String, Span)>,
    pub span: Span,
}

/// Attributes listed in `lifecycle { ignore_changes = [...] }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum IgnoreChanges {
    #[default]
    None,
    Paths(Vec<AttrPath>),
    All,
}

#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// Where each entry of `ignore_changes` is written (aligned with its paths).
    pub ignore_spans: Vec<Span>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub addr: ResourceAddr,
    pub provider: ProviderKey,
    /// True when the `provider` argument was set explicitly.
    pub provider_explicit: bool,
    /// Where the `provider` argument is written, when it is.
    pub provider_span: Option<Span>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<(ResourceAddr, Span)>,
    /// `depends_on = [module.x]` entries (made resource dependencies by [`expand`]).
    pub depends_on_modules: Vec<(String, Span)>,
    pub lifecycle: Lifecycle,
    /// `timeouts { create = "40m" }` overrides.
    pub timeouts: BTreeMap<String, Duration>,
    /// The body without meta-arguments.
    pub body: Body,
    /// The `resource "type" "name"` header, for diagnostics about the whole block.
    pub decl_span: Span,
    pub span: Span,
}

/// Names reserved for meta-arguments inside `resource`/`data` blocks.
pub const META_ARGS: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle", "timeouts"];

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// How a path is shown in messages: relative to the working directory when it is below it.
pub fn display_path(p: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd.as_deref().and_then(|c| p.strip_prefix(c).ok()).unwrap_or(p);
    match shown.display().to_string() {
        // The current directory itself.
        s if s.is_empty() => ".".to_string(),
        s => s,
    }
}

impl Config {
    /// Loads every `*.tf` file of `dir`. Returns the configuration as far as it could be read, and every
    /// problem found.
    pub fn load(dir: &Path) -> (Config, Diagnostics) {
        let mut diags = Diagnostics::new();
        let mut cfg = Config {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        let mut files = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
                .collect::<Vec<_>>(),
            Err(e) => {
                diags.error(
                    None,
                    "Cannot read configuration directory",
                    format!("{}: {e}", display_path(dir)),
                );
                return (cfg, diags);
            }
        };
        files.sort();
        if files.is_empty() {
            diags.error(
                None,
                "No configuration files",
                format!("The directory {} contains no .tf files.", display_path(dir)),
            );
        }
        let mut sources = Vec::new();
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => sources.push((display_path(&f), text)),
                Err(e) => diags.error(
                    None,
                    "Cannot read configuration file",
                    format!("{}: {e}", display_path(&f)),
                ),
            }
        }
        let d = cfg.load_sources(sources);
        diags.extend(d);
        if !cfg.module_calls.is_empty() {
            let root = cfg.dir.clone();
            cfg.load_called_modules(&ModuleFiles::Disk, &root, "", 0, &mut diags);
            cfg.check_module_calls(&mut diags);
        }
        (cfg, diags)
    }

    /// Loads the configuration a saved plan carries: the root module's files (those in the directory of
    /// the first `.tf` file), then the modules it calls from the other files.
    pub fn load_saved(dir: &Path, files: &[(String, String)]) -> (Config, Diagnostics) {
        let parent = |n: &str| Path::new(n).parent().map(modules::normalize);
        let root_parent = files
            .iter()
            .find(|(n, _)| n.ends_with(".tf"))
            .and_then(|(n, _)| parent(n));
        let is_root = |n: &str| !n.ends_with(".tf") && !n.ends_with("modules.json") || parent(n) == root_parent;
        let mut cfg = Config {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        let root_files: Vec<(String, String)> = files.iter().filter(|(n, _)| is_root(n)).cloned().collect();
        let mut diags = cfg.load_sources(root_files);
        if !cfg.module_calls.is_empty() {
            cfg.load_called_modules(&ModuleFiles::Saved(files), dir, "", 0, &mut diags);
            cfg.check_module_calls(&mut diags);
        }
        (cfg, diags)
    }

    /// Loads configuration from (name, text) pairs — the files of a directory, or a saved plan's copy.
    pub fn load_sources(&mut self, files: Vec<(String, String)>) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for (name, text) in files {
            // A saved plan carries the variable files it read (for messages); they are not configuration.
            let is_vars = name.ends_with(".tfvars") || name.ends_with(".tfvars.json") || name.ends_with("modules.json");
            let id = self.sources.add(name, text);
            if is_vars {
                continue;
            }
            let text = self.sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
            match ast::parse_body(id, &text) {
                Ok(body) => self.load_body(body, &mut diags),
                Err(d) => diags.extend(d),
            }
        }
        self.check_references(&mut diags);
        diags
    }

    fn load_body(&mut self, body: Body, diags: &mut Diagnostics) {
        for a in &body.attrs {
            diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!("An argument named {:?} is not expected here.", a.name),
            );
        }
        for b in body.blocks {
            match b.kind.as_str() {
                "terraform" => self.load_terraform(b, diags),
                "provider" => self.load_provider(b, diags),
                "variable" => self.load_variable(b, diags),
                "locals" => {
                    for a in b.body.attrs {
                        if let Some(prev) = self.locals.get(&a.name) {
                            diags.error(
                                Some(a.name_span),
                                "Duplicate local value definition",
                                format!(
                                    "A local value named {:?} was already defined at {}.",
                                    a.name,
                                    self.sources.location(prev.span)
                                ),
                            );
                            continue;
                        }
                        self.locals.insert(
                            a.name.clone(),
                            Local {
                                name: a.name,
                                expr: a.expr,
                                span: a.span,
                                input: None,
                            },
                        );
                    }
                    for nb in b.body.blocks {
                        diags.error(
                            Some(nb.kind_span),
                            "Unsupported block type",
                            "Blocks are not allowed in locals.",
                        );
                    }
                }
                "resource" => self.load_resource(b, Mode::Managed, diags),
                "data" => self.load_resource(b, Mode::Data, diags),
                "output" => self.load_output(b, diags),
                "module" => self.load_module_block(b, diags),
                "ephemeral" => self.load_resource(b, Mode::Ephemeral, diags),
                "moved" => self.load_moved(b, diags),
                "removed" => self.load_removed(b, diags),
                "import" => self.load_import(b, diags),
                "check" => diags.error(
                    Some(b.kind_span),
                    "Unsupported block type",
                    format!(
                        "{:?} blocks are not supported by infra yet; use the infra state and import commands instead.",
                        b.kind
                    ),
                ),
                other => diags.error(
                    Some(b.kind_span),
                    "Unsupported block type",
                    format!("Blocks of type {other:?} are not expected here."),
                ),
            }
        }
    }

    fn labels(b: &Block, n: usize, what: &str, diags: &mut Diagnostics) -> Option<Vec<String>> {
        if b.labels.len() != n {
            let detail = match n {
                1 => format!("A {what} block requires one label: its name."),
                _ => format!("A {what} block requires {n} labels: the type and the name."),
            };
            diags.error(Some(b.kind_span), "Missing or extra block labels", detail);
            return None;
        }
        for (l, s) in &b.labels {
            if !is_identifier(l) {
                diags.error(Some(*s), "Invalid name", format!("{l:?} is not a valid name: a name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes."));
                return None;
            }
        }
        Some(b.labels.iter().map(|(l, _)| l.clone()).collect())
    }

    fn load_terraform(&mut self, b: Block, diags: &mut Diagnostics) {
        for a in &b.body.attrs {
            match a.name.as_str() {
                "required_version" => {
                    self.terraform.required_version = literal_string(a, diags);
                    self.terraform.required_version_span = Some(a.expr.span());
                }
                "experiments" => {}
                _ => diags.error(
                    Some(a.name_span),
                    "Unsupported argument",
                    format!("An argument named {:?} is not expected in a terraform block.", a.name),
                ),
            }
        }
        for nb in &b.body.blocks {
            match nb.kind.as_str() {
                "required_providers" => {
                    for a in &nb.body.attrs {
                        if let Expr::Object(items, _) = &a.expr
                            && let Some((_, Expr::Tuple(aliases, _))) = items.iter().find(|(k, _)| {
                                matches!(k, crate::lang::ast::ObjKey::Name(n, _) if n == "configuration_aliases")
                            })
                        {
                            for al in aliases {
                                match al.as_static_names().as_deref() {
                                    Some([(n, _), (alias, _)]) => {
                                        self.terraform.configuration_aliases.insert(ProviderKey {
                                            name: n.clone(),
                                            alias: Some(alias.clone()),
                                        });
                                    }
                                    _ => diags.error(Some(al.span()), "Invalid configuration_aliases", "Each entry must be a provider configuration address like aws.west."),
                                }
                            }
                            let rest: Vec<_> = items
                                .iter()
                                .filter(|(k, _)| !matches!(k, crate::lang::ast::ObjKey::Name(n, _) if n == "configuration_aliases"))
                                .cloned()
                                .collect();
                            let stripped = Expr::Object(rest, a.expr.span());
                            let m = stripped.as_literal();
                            let source = m.as_ref().and_then(|m| m.get("source")).and_then(|s| s.as_str().map(str::to_string)).unwrap_or_default();
                            let version = m.as_ref().and_then(|m| m.get("version")).and_then(|s| s.as_str().map(str::to_string));
                            self.terraform.required_providers.insert(a.name.clone(), source.clone());
                            self.terraform.provider_requirements.insert(a.name.clone(), ProviderRequirement { source, version, span: a.expr.span() });
                            continue;
                        }
                        let (source, version) = match a.expr.as_literal() {
                            Some(Value::Map(m)) => (
                                m.get("source").and_then(|s| s.as_str()).unwrap_or("").to_string(),
                                m.get("version").and_then(|s| s.as_str()).map(str::to_string),
                            ),
                            // The 0.12 form: `aws = "~> 5.0"`.
                            Some(Value::String(v)) => (String::new(), Some(v)),
                            _ => {
                                diags.error(Some(a.expr.span()), "Invalid required_providers entry", "Each provider requirement must be an object like { source = \"hashicorp/aws\", version = \"~> 5.0\" }.");
                                continue;
                            }
                        };
                        self.terraform.required_providers.insert(a.name.clone(), source.clone());
                        self.terraform.provider_requirements.insert(
                            a.name.clone(),
                            ProviderRequirement {
                                source,
                                version,
                                span: a.expr.span(),
                            },
                        );
                    }
                }
                "backend" => {
                    let Some(labels) = Self::labels(nb, 1, "backend", diags) else {
                        continue;
                    };
                    if let Some(prev) = &self.terraform.backend {
                        diags.error(
                            Some(nb.kind_span),
                            "Duplicate backend configuration",
                            format!(
                                "A backend was already configured at {}; a configuration has one backend.",
                                self.sources.location(prev.span)
                            ),
                        );
                        continue;
                    }
                    let args = crate::backend_set::literal_args(
                        &nb.body,
                        "A backend configuration must use literal values only (give other values with infra init --backend-config KEY=VALUE).",
                        diags,
                    );
                    self.terraform.backend = Some(Backend {
                        kind: labels[0].clone(),
                        args,
                        span: nb.span,
                        kind_span: nb.labels.first().map(|l| l.1).unwrap_or(nb.kind_span),
                    });
                }
                "encryption" => {
                    if !nb.labels.is_empty() {
                        diags.error(
                            Some(nb.kind_span),
                            "Extra block labels",
                            "An encryption block takes no labels.",
                        );
                        continue;
                    }
                    self.terraform.encryption = Some(crate::encryption::EncryptionSpec::parse(nb, diags));
                }
                "cloud" => diags.error(
                    Some(nb.kind_span),
                    "Unsupported block type",
                    "Terraform Cloud settings are not supported.",
                ),
                other => diags.error(
                    Some(nb.kind_span),
                    "Unsupported block type",
                    format!("Blocks of type {other:?} are not expected in a terraform block."),
                ),
            }
        }
    }

    fn load_provider(&mut self, b: Block, diags: &mut Diagnostics) {
        let Some(labels) = Self::labels(&b, 1, "provider", diags) else {
            return;
        };
        if self.is_module {
            diags.error(
                Some(b.kind_span),
                "Provider configuration in a module",
                format!(
                    "The module in {} configures the provider {:?} itself. infra takes provider configurations from the root module only: move this block to the root module, and pass it to the module with providers = {{ {} = {} }} where it is called.",
                    display_path(&self.dir),
                    labels[0],
                    labels[0],
                    labels[0]
                ),
            );
            return;
        }
        let mut body = b.body;
        let alias = match body.attrs.iter().position(|a| a.name == "alias") {
            Some(i) => {
                let a = body.attrs.remove(i);
                literal_string(&a, diags)
            }
            None => None,
        };
        body.attrs.retain(|a| a.name != "version");
        let key = ProviderKey {
            name: labels[0].clone(),
            alias,
        };
        if let Some(prev) = self.providers.get(&key) {
            diags.error(
                Some(b.kind_span),
                "Duplicate provider configuration",
                format!(
                    "A provider configuration for {key} was already given at {}. Use alias to configure several.",
                    self.sources.location(prev.span)
                ),
            );
            return;
        }
        self.providers.insert(
            key.clone(),
            ProviderConfig {
                key,
                body,
                span: b.span,
            },
        );
    }

    fn load_variable(&mut self, b: Block, diags: &mut Diagnostics) {
        let Some(labels) = Self::labels(&b, 1, "variable", diags) else {
            return;
        };
        let name = labels[0].clone();
        if [
            "source",
            "version",
            "providers",
            "count",
            "for_each",
            "lifecycle",
            "depends_on",
            "locals",
        ]
        .contains(&name.as_str())
        {
            diags.error(
                Some(b.labels[0].1),
                "Invalid variable name",
                format!("The variable name {name:?} is reserved."),
            );
        }
        let mut v = Variable {
            name: name.clone(),
            ty: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            ephemeral: false,
            validations: Vec::new(),
            span: b.labels[0].1.to(b.kind_span),
        };
        for a in &b.body.attrs {
            match a.name.as_str() {
                "type" => match parse_type(&a.expr) {
                    Ok(t) => v.ty = Some(t),
                    Err(d) => diags.push(d),
                },
                "default" => {
                    if let Some(call) = first_call(&a.expr) {
                        diags.error(
                            Some(call),
                            "Function calls not allowed",
                            "Functions may not be called here: a variable default must be a literal value.",
                        );
                        continue;
                    }
                    let scope = EmptyScope;
                    let dir = self.dir.clone();
                    let mut ev = Evaluator::new(&scope, &dir);
                    match ev.eval(&a.expr) {
                        Ok(val) => v.default = Some(val),
                        Err(_) => diags.error(Some(a.expr.span()), "Variables not allowed", "A variable default must be a literal value; it cannot refer to other variables, resources or functions of them."),
                    }
                }
                "description" => v.description = literal_string(a, diags),
                "sensitive" => v.sensitive = literal_bool(a, diags),
                "nullable" => v.nullable = literal_bool(a, diags),
                "ephemeral" => v.ephemeral = literal_bool(a, diags),
                other => diags.error(
                    Some(a.name_span),
                    "Unsupported argument",
                    format!("An argument named {other:?} is not expected in a variable block."),
                ),
            }
        }
        for nb in &b.body.blocks {
            if nb.kind != "validation" {
                diags.error(
                    Some(nb.kind_span),
                    "Unsupported block type",
                    format!("Blocks of type {:?} are not expected in a variable block.", nb.kind),
                );
                continue;
            }
            match (nb.body.attr("condition"), nb.body.attr("error_message")) {
                (Some(c), Some(m)) => v.validations.push(Validation {
                    condition: c.expr.clone(),
                    error_message: m.expr.clone(),
                    span: nb.span,
                }),
                _ => diags.error(
                    Some(nb.kind_span),
                    "Missing required argument",
                    "A validation block needs both condition and error_message.",
                ),
            }
        }
        if let (Some(ty), Some(d)) = (&v.ty, &v.default)
            && let Err(e) = infra_provider::convert(d.clone(), ty)
        {
            let span = b.body.attr("default").map(|a| a.expr.span());
            diags.error(
                span,
                "Invalid default value for variable",
                format!("This default value is not compatible with the variable's type constraint: {e}."),
            );
        }
        if let Some(prev) = self.variables.get(&name) {
            diags.error(
                Some(v.span),
                "Duplicate variable declaration",
                format!(
                    "A variable named {name:?} was already declared at {}.",
                    self.sources.location(prev.span)
                ),
            );
            return;
        }
        self.variables.insert(name, v);
    }

    fn load_output(&mut self, b: Block, diags: &mut Diagnostics) {
        let Some(labels) = Self::labels(&b, 1, "output", diags) else {
            return;
        };
        let name = labels[0].clone();
        let mut value = None;
        let mut o = Output {
            name: name.clone(),
            value: Expr::Literal(Value::Null, b.span),
            sensitive: false,
            ephemeral: false,
            description: None,
            depends_on: Vec::new(),
            depends_on_modules: Vec::new(),
            span: b.labels[0].1.to(b.kind_span),
        };
        for a in &b.body.attrs {
            match a.name.as_str() {
                "value" => value = Some(a.expr.clone()),
                "sensitive" => o.sensitive = literal_bool(a, diags),
                "description" => o.description = literal_string(a, diags),
                "depends_on" => (o.depends_on, o.depends_on_modules) = depends_on(a, diags),
                "ephemeral" => o.ephemeral = literal_bool(a, diags),
                other => diags.error(
                    Some(a.name_span),
                    "Unsupported argument",
                    format!("An argument named {other:?} is not expected in an output block."),
                ),
            }
        }
        for nb in &b.body.blocks {
            diags.error(
                Some(nb.kind_span),
                "Unsupported block type",
                format!("Blocks of type {:?} are not supported in an output block.", nb.kind),
            );
        }
        match value {
            Some(v) => o.value = v,
            None => diags.error(
                Some(o.span),
                "Missing required argument",
                "The argument \"value\" is required, but no definition was found.",
            ),
        }
        if let Some(prev) = self.outputs.get(&name) {
            diags.error(
                Some(o.span),
                "Duplicate output definition",
                format!(
                    "An output named {name:?} was already defined at {}.",
                    self.sources.location(prev.span)
                ),
            );
            return;
        }
        self.outputs.insert(name, o);
    }

    fn load_resource(&mut self, b: Block, mode: Mode, diags: &mut Diagnostics) {
        let what = match mode {
            Mode::Managed => "resource",
            Mode::Data => "data",
            Mode::Ephemeral => "ephemeral",
        };
        let Some(labels) = Self::labels(&b, 2, what, diags) else {
            return;
        };
        let addr = ResourceAddr {
            module: crate::addrs::ModulePath::root(),
            mode,
            type_name: labels[0].clone(),
            name: labels[1].clone(),
        };
        let mut r = Resource {
            provider: ProviderKey::default_for(addr.implied_provider()),
            provider_explicit: false,
            provider_span: None,
            addr: addr.clone(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            depends_on_modules: Vec::new(),
            lifecycle: Lifecycle::default(),
            timeouts: BTreeMap::new(),
            body: Body::default(),
            decl_span: b.kind_span.to(b.labels[1].1),
            span: b.span,
        };
        let mut body = b.body;
        let mut rest: Vec<Attr> = Vec::new();
        for a in std::mem::take(&mut body.attrs) {
            match a.name.as_str() {
                "count" => r.count = Some(a.expr),
                "for_each" => r.for_each = Some(a.expr),
                "depends_on" => (r.depends_on, r.depends_on_modules) = depends_on(&a, diags),
                "provider" => match a.expr.as_static_names() {
                    Some(names) if names.len() <= 2 && names.iter().all(|(n, _)| is_identifier(n)) => {
                        r.provider = ProviderKey { name: names[0].0.clone(), alias: names.get(1).map(|(n, _)| n.clone()) };
                        r.provider_explicit = true;
                        r.provider_span = Some(a.expr.span());
                    }
                    _ => diags.error(Some(a.expr.span()), "Invalid provider reference", "The provider argument must be a provider name and optional alias, like aws.west, without quotes."),
                },
                _ => rest.push(a),
            }
        }
        body.attrs = rest;
        let mut blocks = Vec::new();
        for nb in std::mem::take(&mut body.blocks) {
            match nb.kind.as_str() {
                "lifecycle" => r.lifecycle = lifecycle(&nb, diags),
                "timeouts" => {
                    for a in &nb.body.attrs {
                        match a.expr.as_literal().and_then(|v| v.as_str().map(str::to_string)) {
                            Some(s) => match parse_duration(&s) {
                                Some(d) if ["create", "read", "update", "delete"].contains(&a.name.as_str()) => {
                                    r.timeouts.insert(a.name.clone(), d);
                                }
                                Some(_) => diags.error(Some(a.name_span), "Unsupported argument", "A timeouts block accepts create, read, update and delete."),
                                None => diags.error(Some(a.expr.span()), "Invalid duration", format!("{s:?} is not a duration like \"40m\" or \"1h30m\".")),
                            },
                            None => diags.error(Some(a.expr.span()), "Invalid duration", "A timeout must be a literal string like \"40m\"."),
                        }
                    }
                }
                "provisioner" => diags.error(Some(nb.kind_span), "Unsupported block type", "Provisioners are not supported by infra; run configuration steps from your deployment pipeline or user_data instead."),
                "connection" => diags.error(Some(nb.kind_span), "Unsupported block type", "Connection blocks (how provisioners reach a machine over SSH or WinRM) are not supported by infra, which runs no provisioners; remove the block, and run configuration steps from your deployment pipeline or user_data instead."),
                _ => blocks.push(nb),
            }
        }
        body.blocks = blocks;
        if r.count.is_some() && r.for_each.is_some() {
            diags.error(r.for_each.as_ref().map(Expr::span), "Invalid combination of \"count\" and \"for_each\"", "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.");
        }
        if mode != Mode::Managed && (r.lifecycle.create_before_destroy || r.lifecycle.prevent_destroy) {
            diags.error(
                Some(r.decl_span),
                "Invalid lifecycle argument",
                if mode == Mode::Data {
                    "Data resources do not have a lifecycle to manage."
                } else {
                    "Ephemeral resources do not have a lifecycle to manage: they are opened when needed and never kept."
                },
            );
        }
        r.body = body;
        if let Some(prev) = self.resources.get(&addr) {
            diags.error(
                Some(r.decl_span),
                format!("Duplicate {what} {:?} configuration", addr.type_name),
                format!(
                    "A {what} {:?} {:?} was already declared at {}. Resource names must be unique per type.",
                    addr.type_name,
                    addr.name,
                    self.sources.location(prev.decl_span)
                ),
            );
            return;
        }
        self.resources.insert(addr, r);
    }

    /// Every reference must name a declared variable, local value or resource (as `terraform validate`
    /// checks before anything is evaluated, so that `try()` cannot hide a typo); references in depends_on
    /// must name declared resources; providers must be declared or implied.
    fn check_references(&self, diags: &mut Diagnostics) {
        let mut refs: Vec<(Ref, Span)> = Vec::new();
        for l in self.locals.values() {
            refs.extend(expr_refs(&l.expr));
        }
        for p in self.providers.values() {
            refs.extend(body_refs(&p.body, &[]));
        }
        for r in self.resources.values() {
            refs.extend(body_refs(&r.body, &[]));
            for e in [&r.count, &r.for_each].into_iter().flatten() {
                refs.extend(expr_refs(e));
            }
        }
        for o in self.outputs.values() {
            refs.extend(expr_refs(&o.value));
        }
        for c in self.module_calls.values() {
            for a in &c.args {
                refs.extend(expr_refs(&a.expr));
            }
            for e in [&c.count, &c.for_each].into_iter().flatten() {
                refs.extend(expr_refs(e));
            }
        }
        for v in self.variables.values() {
            for val in &v.validations {
                refs.extend(expr_refs(&val.condition));
                refs.extend(expr_refs(&val.error_message));
            }
        }
        refs.sort_by_key(|(_, s)| (s.file, s.start));
        for (r, span) in refs {
            match r {
                Ref::Var(name) if !self.variables.contains_key(&name) => diags.error(
                    Some(span),
                    "Reference to undeclared input variable",
                    format!(
                        "An input variable with the name {name:?} has not been declared. This variable can be declared with a variable {name:?} {{}} block."
                    ),
                ),
                Ref::Local(name) if !self.locals.contains_key(&name) => diags.error(
                    Some(span),
                    "Reference to undeclared local value",
                    format!("A local value with the name {name:?} has not been declared."),
                ),
                Ref::Module(name) if !self.module_calls.contains_key(&name) => {
                    let hint = crate::lang::eval::suggest(&name, self.module_calls.keys().map(String::as_str))
                        .map(|k| format!(" Did you mean {k:?}?"))
                        .unwrap_or_default();
                    diags.error(
                        Some(span),
                        "Reference to undeclared module",
                        format!("No module call named {name:?} is declared in this module.{hint}"),
                    )
                }
                Ref::Resource(addr) if !self.resources.contains_key(&addr) => {
                    let kind = match addr.mode {
                        Mode::Data => "data resource",
                        Mode::Ephemeral => "ephemeral resource",
                        Mode::Managed => "managed resource",
                    };
                    diags.error(
                        Some(span),
                        "Reference to undeclared resource",
                        format!(
                            "A {kind} {:?} {:?} has not been declared in the root module.",
                            addr.type_name, addr.name
                        ),
                    );
                }
                _ => {}
            }
        }
        let deps = self
            .resources
            .values()
            .flat_map(|r| r.depends_on.iter())
            .chain(self.outputs.values().flat_map(|o| o.depends_on.iter()));
        for (addr, span) in deps {
            if !self.resources.contains_key(addr) {
                diags.error(
                    Some(*span),
                    "Reference to undeclared resource",
                    format!("A resource {addr} has not been declared in the root module."),
                );
            }
        }
        let module_deps = self
            .resources
            .values()
            .flat_map(|r| r.depends_on_modules.iter())
            .chain(self.outputs.values().flat_map(|o| o.depends_on_modules.iter()))
            .chain(self.module_calls.values().flat_map(|c| c.depends_on_modules.iter()));
        for (name, span) in module_deps {
            if !self.module_calls.contains_key(name) {
                diags.error(
                    Some(*span),
                    "Reference to undeclared module",
                    format!("No module call named {name:?} is declared in this module."),
                );
            }
        }
        for r in self.resources.values() {
            if self.is_module {
                // A module's aliased configurations are passed in by its callers (checked there).
                break;
            }
            if r.provider.alias.is_some() && !self.providers.contains_key(&r.provider) {
                diags.error(Some(r.provider_span.unwrap_or(r.decl_span)), "Provider configuration not present", format!("The resource {} refers to the provider configuration {}, which is not declared: add a provider {:?} block with alias = {:?}.", r.addr, r.provider, r.provider.name, r.provider.alias.as_deref().unwrap_or("")));
            }
        }
    }

    /// Every provider configuration in use: declared ones plus the default configuration of every
    /// provider a resource implies.
    pub fn provider_keys(&self) -> Vec<ProviderKey> {
        let mut keys: Vec<ProviderKey> = self.providers.keys().cloned().collect();
        for r in self.resources.values() {
            if !keys.contains(&r.provider) {
                keys.push(r.provider.clone());
            }
        }
        keys.sort();
        keys
    }

    /// The text of every source file, for saving with a plan.
    pub fn source_files(&self) -> Vec<(String, String)> {
        // A module called from several places is in the source map once per call: one copy is kept.
        let mut seen = BTreeSet::new();
        self.sources
            .files()
            .filter(|(_, f)| seen.insert(f.name.clone()))
            .map(|(_, f)| (f.name.clone(), f.text.clone()))
            .collect()
    }
}

/// The span of the first function call in an expression, if it has one.
fn first_call(e: &Expr) -> Option<Span> {
    use crate::lang::ast::{ObjKey, Step, TemplatePart};
    fn parts(ps: &[TemplatePart]) -> Option<Span> {
        ps.iter().find_map(|p| match p {
            TemplatePart::Lit(_) => None,
            TemplatePart::Interp(e) => first_call(e),
            TemplatePart::If { cond, then, otherwise } => {
                first_call(cond).or_else(|| parts(then)).or_else(|| parts(otherwise))
            }
            TemplatePart::For { coll, body, .. } => first_call(coll).or_else(|| parts(body)),
        })
    }
    match e {
        Expr::Call { span, .. } => Some(*span),
        Expr::Literal(..) | Expr::Var(..) => None,
        Expr::Template(ps, _) => parts(ps),
        Expr::Tuple(items, _) => items.iter().find_map(first_call),
        Expr::Object(items, _) => items.iter().find_map(|(k, v)| {
            let key = match k {
                ObjKey::Expr(ke) => first_call(ke),
                ObjKey::Name(..) => None,
            };
            key.or_else(|| first_call(v))
        }),
        Expr::Traversal(base, steps, _) => first_call(base).or_else(|| {
            steps.iter().find_map(|s| match s {
                Step::Index(i, _) => first_call(i),
                _ => None,
            })
        }),
        Expr::Cond(c, t, f, _) => first_call(c).or_else(|| first_call(t)).or_else(|| first_call(f)),
        Expr::Unary(_, x, _) => first_call(x),
        Expr::Binary(_, l, r, _) => first_call(l).or_else(|| first_call(r)),
        Expr::For(f) => first_call(&f.coll)
            .or_else(|| f.key_expr.as_ref().and_then(first_call))
            .or_else(|| first_call(&f.value_expr))
            .or_else(|| f.cond.as_ref().and_then(first_call)),
    }
}

fn literal_string(a: &Attr, diags: &mut Diagnostics) -> Option<String> {
    match a.expr.as_literal() {
        Some(Value::String(s)) => Some(s),
        _ => {
            diags.error(
                Some(a.expr.span()),
                "Invalid value",
                format!("The {:?} argument must be a literal string.", a.name),
            );
            None
        }
    }
}

fn literal_bool(a: &Attr, diags: &mut Diagnostics) -> bool {
    match a.expr.as_literal() {
        Some(Value::Bool(b)) => b,
        _ => {
            diags.error(
                Some(a.expr.span()),
                "Invalid value",
                format!("The {:?} argument must be true or false.", a.name),
            );
            false
        }
    }
}

/// The resources and module calls a `depends_on` names.
type DependsOnLists = (Vec<(ResourceAddr, Span)>, Vec<(String, Span)>);

fn depends_on(a: &Attr, diags: &mut Diagnostics) -> DependsOnLists {
    let Expr::Tuple(items, _) = &a.expr else {
        diags.error(
            Some(a.expr.span()),
            "Invalid depends_on",
            "depends_on must be a list of resource references, like [aws_vpc.main].",
        );
        return (Vec::new(), Vec::new());
    };
    let mut out = Vec::new();
    let mut modules = Vec::new();
    for i in items {
        // Terraform 0.11's quoted form, `depends_on = ["aws_vpc.main"]`: accepted with Terraform's warning.
        let quoted = match i.as_literal() {
            Some(Value::String(q)) => {
                diags.push(crate::diag::Diagnostic::warning(
                    Some(i.span()),
                    "Quoted references are deprecated",
                    "In this context, references are expected literally rather than in quotes. Terraform 0.11 and earlier required quotes, but quoted references are now deprecated. Remove the quotes surrounding this reference to silence this warning.",
                ));
                Some(q.split('.').map(str::to_string).collect::<Vec<_>>())
            }
            _ => None,
        };
        let names: Vec<String> = match quoted {
            Some(q) => q,
            None => i
                .as_static_names()
                .unwrap_or_default()
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
        };
        let parts: Vec<&str> = names.iter().map(String::as_str).collect();
        match parts.as_slice() {
            ["module", m, ..] => modules.push((m.to_string(), i.span())),
            ["data", t, n, ..] => out.push((ResourceAddr::data(t, n), i.span())),
            ["ephemeral", t, n, ..] => out.push((
                ResourceAddr {
                    mode: Mode::Ephemeral,
                    ..ResourceAddr::managed(t, n)
                },
                i.span(),
            )),
            [t, n, ..] if !["var", "local", "module", "count", "each", "path"].contains(t) => {
                out.push((ResourceAddr::managed(t, n), i.span()))
            }
            ["var" | "local", ..] => {}
            _ => diags.error(
                Some(i.span()),
                "Invalid depends_on reference",
                "Each depends_on entry must be a resource or module reference, like aws_vpc.main or module.network.",
            ),
        }
    }
    (out, modules)
}

fn lifecycle(b: &Block, diags: &mut Diagnostics) -> Lifecycle {
    let mut l = Lifecycle::default();
    for a in &b.body.attrs {
        match a.name.as_str() {
            "create_before_destroy" => l.create_before_destroy = literal_bool(a, diags),
            "prevent_destroy" => l.prevent_destroy = literal_bool(a, diags),
            "ignore_changes" => match &a.expr {
                Expr::Var(n, _) if n == "all" => l.ignore_changes = IgnoreChanges::All,
                Expr::Tuple(items, _) => {
                    let mut paths = Vec::new();
                    for i in items {
                        if i.as_static_names().is_some() || matches!(i.as_literal(), Some(Value::String(_))) {
                            l.ignore_spans.push(i.span());
                        }
                        match i.as_static_names() {
                            Some(names) => paths.push(AttrPath(
                                names
                                    .into_iter()
                                    .enumerate()
                                    .map(|(idx, (n, _))| match n.parse::<usize>() {
                                        Ok(k) if idx > 0 => PathStep::Index(k),
                                        _ => PathStep::Key(n),
                                    })
                                    .collect(),
                            )),
                            None => match i.as_literal() {
                                Some(Value::String(s)) => paths.push(AttrPath::attr(&s)),
                                _ => diags.error(
                                    Some(i.span()),
                                    "Invalid ignore_changes",
                                    "Each entry must be an attribute name, like tags or tags[\"Name\"].",
                                ),
                            },
                        }
                    }
                    l.ignore_changes = IgnoreChanges::Paths(paths);
                }
                other => diags.error(
                    Some(other.span()),
                    "Invalid ignore_changes",
                    "ignore_changes must be a list of attribute names, or all.",
                ),
            },
            "replace_triggered_by" => diags.error(
                Some(a.name_span),
                "Unsupported argument",
                "replace_triggered_by is not supported yet; use infra plan --replace ADDR.",
            ),
            other => diags.error(
                Some(a.name_span),
                "Unsupported argument",
                format!("An argument named {other:?} is not expected in a lifecycle block."),
            ),
        }
    }
    for nb in &b.body.blocks {
        diags.error(
            Some(nb.kind_span),
            "Unsupported block type",
            format!("{:?} blocks are not supported in lifecycle.", nb.kind),
        );
    }
    l
}

/// Parses Terraform-style durations: "40m", "1h30m", "90s", "2h".
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut seen = false;
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += n * unit;
        seen = true;
    }
    if !num.is_empty() || !seen {
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests;
pub mod version;
