//! `module` blocks: the call as written (source, meta-arguments, input arguments), and loading the called
//! module's directory — a local path, or a module a previous `terraform init` installed and listed in
//! `.terraform/modules/modules.json`. Each called module is loaded once per call, into the root
//! configuration's source map (so spans point into its files); [`super::expand`] then makes its
//! instances part of the root configuration.

use super::{Config, depends_on, display_path, literal_string};
use crate::addrs::{ProviderKey, ResourceAddr};
use crate::diag::{Diagnostics, SourceMap, Span};
use crate::lang::ast::{Attr, Block, Expr};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A `module "NAME" { source = ... }` block.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub source_span: Span,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<(ResourceAddr, Span)>,
    /// `depends_on = [module.other]`: every resource of those module calls.
    pub depends_on_modules: Vec<(String, Span)>,
    /// `providers = { aws = aws.west }`: the module's provider configuration (its local name and alias)
    /// and the caller's that it gets.
    pub providers: Vec<(ProviderKey, ProviderKey, Span)>,
    /// The input arguments: every other argument.
    pub args: Vec<Attr>,
    /// The `module "NAME"` header.
    pub decl_span: Span,
    pub span: Span,
    /// The loaded module; `None` when it could not be loaded (the error is reported).
    pub module: Option<Arc<Config>>,
}

const CALL_META: &[&str] = &["source", "version", "count", "for_each", "depends_on", "providers"];

/// Where module files come from: the disk, or the files a saved plan carries.
pub enum ModuleFiles<'a> {
    Disk,
    /// The saved configuration's files as (name, text); the first file is the root module's.
    Saved(&'a [(String, String)]),
}

/// A path with `.` and `..` resolved lexically (a module directory as the user would write it).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() && !p.is_absolute() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

impl Config {
    pub(super) fn load_module_block(&mut self, b: Block, diags: &mut Diagnostics) {
        let Some(labels) = Self::labels(&b, 1, "module", diags) else {
            return;
        };
        let name = labels[0].clone();
        let mut call = ModuleCall {
            name: name.clone(),
            source: String::new(),
            source_span: b.kind_span,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            depends_on_modules: Vec::new(),
            providers: Vec::new(),
            args: Vec::new(),
            decl_span: b.kind_span.to(b.labels[0].1),
            span: b.span,
            module: None,
        };
        let mut has_source = false;
        for a in b.body.attrs {
            match a.name.as_str() {
                "source" => {
                    call.source = literal_string(&a, diags).unwrap_or_default();
                    call.source_span = a.expr.span();
                    has_source = true;
                }
                "version" => {}
                "count" => call.count = Some(a.expr),
                "for_each" => call.for_each = Some(a.expr),
                "depends_on" => (call.depends_on, call.depends_on_modules) = depends_on(&a, diags),
                "providers" => match &a.expr {
                    Expr::Object(items, _) => {
                        for (k, v) in items {
                            let key = match k {
                                crate::lang::ast::ObjKey::Name(n, _) => Some(vec![n.clone()]),
                                crate::lang::ast::ObjKey::Expr(e) => {
                                    e.as_static_names().map(|ns| ns.into_iter().map(|(n, _)| n).collect())
                                }
                            };
                            let val: Option<Vec<String>> =
                                v.as_static_names().map(|ns| ns.into_iter().map(|(n, _)| n).collect());
                            match (key, val) {
                                (Some(k), Some(p)) if (1..=2).contains(&k.len()) && (1..=2).contains(&p.len()) => {
                                    call.providers.push((
                                        ProviderKey {
                                            name: k[0].clone(),
                                            alias: k.get(1).cloned(),
                                        },
                                        ProviderKey {
                                            name: p[0].clone(),
                                            alias: p.get(1).cloned(),
                                        },
                                        v.span(),
                                    ))
                                }
                                _ => diags.error(
                                    Some(v.span()),
                                    "Invalid providers argument",
                                    "Each entry of providers must map a provider name in the module to a provider configuration here, like aws = aws.west.",
                                ),
                            }
                        }
                    }
                    other => diags.error(
                        Some(other.span()),
                        "Invalid providers argument",
                        "providers must be an object like { aws = aws.west }.",
                    ),
                },
                _ => call.args.push(a),
            }
        }
        for nb in &b.body.blocks {
            diags.error(
                Some(nb.kind_span),
                "Unsupported block type",
                format!("Blocks of type {:?} are not expected in a module block.", nb.kind),
            );
        }
        if !has_source {
            diags.error(
                Some(call.decl_span),
                "Missing required argument",
                "The argument \"source\" is required, but no definition was found.",
            );
        }
        if call.count.is_some() && call.for_each.is_some() {
            diags.error(
                call.for_each.as_ref().map(Expr::span),
                "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of module instances.",
            );
        }
        if let Some(prev) = self.module_calls.get(&name) {
            diags.error(
                Some(call.decl_span),
                "Duplicate module call",
                format!(
                    "A module call named {name:?} was already defined at {}. Module calls must have unique names within a module.",
                    self.sources.location(prev.decl_span)
                ),
            );
            return;
        }
        self.module_calls.insert(name, call);
    }

    /// Loads the module of every call (and theirs, recursively). `key` is the dotted chain of call names
    /// (`net.subnets`), as `modules.json` names installed modules; `root_dir` is the root module's
    /// directory.
    pub(super) fn load_called_modules(
        &mut self,
        files: &ModuleFiles<'_>,
        root_dir: &Path,
        key: &str,
        depth: usize,
        diags: &mut Diagnostics,
    ) {
        let names: Vec<String> = self.module_calls.keys().cloned().collect();
        for name in names {
            let call = &self.module_calls[&name];
            if call.source.is_empty() {
                continue;
            }
            let call_key = if key.is_empty() {
                name.clone()
            } else {
                format!("{key}.{name}")
            };
            if depth >= 16 {
                diags.error(
                    Some(call.decl_span),
                    "Module calls nested too deeply",
                    "Modules call each other more than 16 levels deep; a module probably calls itself.",
                );
                continue;
            }
            let local = call.source.starts_with("./") || call.source.starts_with("../");
            let dir = if local {
                Some(normalize(&self.dir.join(&call.source)))
            } else {
                installed_module(root_dir, &call_key, files, &mut self.sources)
            };
            let Some(dir) = dir else {
                diags.error(
                    Some(call.source_span),
                    "Module not installed",
                    format!(
                        "The module source {:?} is not a local path (./ or ../), and no module installed by terraform init is listed for module.{name} in {}. infra loads local modules only: copy the module into this repository and give its path as source, or run terraform init once so that .terraform/modules holds it.",
                        call.source,
                        display_path(&root_dir.join(".terraform/modules/modules.json"))
                    ),
                );
                continue;
            };
            let (mut child, mut d) = load_module_dir(&dir, std::mem::take(&mut self.sources), files, call.source_span);
            if !d.has_errors() {
                child.load_called_modules(files, root_dir, &call_key, depth + 1, &mut d);
            }
            self.sources = std::mem::take(&mut child.sources);
            diags.extend(d);
            if let Some(c) = self.module_calls.get_mut(&name) {
                c.module = Some(Arc::new(child));
            }
        }
    }

    /// Checks every module call against its loaded module: each argument is a variable it declares,
    /// each required variable is given, each provider it is passed is one it can use.
    pub(super) fn check_module_calls(&self, diags: &mut Diagnostics) {
        for call in self.module_calls.values() {
            let Some(m) = &call.module else { continue };
            for a in &call.args {
                if CALL_META.contains(&a.name.as_str()) {
                    continue;
                }
                if !m.variables.contains_key(&a.name) {
                    let hint = crate::lang::eval::suggest(&a.name, m.variables.keys().map(String::as_str))
                        .map(|k| format!(" Did you mean {k:?}?"))
                        .unwrap_or_default();
                    diags.error(
                        Some(a.name_span),
                        "Unsupported argument",
                        format!(
                            "An argument named {:?} is not expected here: the module {} declares no variable {:?}.{hint}",
                            a.name,
                            display_path(&m.dir),
                            a.name
                        ),
                    );
                }
            }
            for (name, v) in &m.variables {
                if v.default.is_none() && !call.args.iter().any(|a| &a.name == name) {
                    diags.error(
                        Some(call.decl_span),
                        "Missing required argument",
                        format!(
                            "The argument {name:?} is required by module.{}, but no definition was found (the variable is declared at {}).",
                            call.name,
                            self.sources.location(v.span)
                        ),
                    );
                }
            }
            for (inner, outer, span) in &call.providers {
                if outer.alias.is_some() && !self.providers.contains_key(outer) && !self.is_passed_alias(outer) {
                    diags.error(
                        Some(*span),
                        "Provider configuration not present",
                        format!("module.{} is passed {outer} for {inner}, but there is no provider {:?} block with alias = {:?} here.", call.name, outer.name, outer.alias.as_deref().unwrap_or("")),
                    );
                }
            }
            // An aliased configuration the module's resources use must be passed in.
            for r in m.resources.values() {
                if r.provider.alias.is_some() && !call.providers.iter().any(|(i, _, _)| i == &r.provider) {
                    diags.error(
                        Some(r.provider_span.unwrap_or(r.decl_span)),
                        "Provider configuration not present",
                        format!(
                            "{} in module.{} uses the provider configuration {}, which the call at {} does not pass: add {} = ... to its providers argument.",
                            r.addr,
                            call.name,
                            r.provider,
                            self.sources.location(call.decl_span),
                            r.provider
                        ),
                    );
                }
            }
        }
    }

    /// Modules refer to aliased configurations they are passed (declared in `configuration_aliases`);
    /// such a module has no provider block for them.
    fn is_passed_alias(&self, key: &ProviderKey) -> bool {
        self.is_module && self.terraform.configuration_aliases.contains(key)
    }
}

/// The directory `terraform init` installed a non-local module into, from `.terraform/modules/modules.json`.
fn installed_module(root_dir: &Path, key: &str, files: &ModuleFiles<'_>, sources: &mut SourceMap) -> Option<PathBuf> {
    let name = display_path(&root_dir.join(".terraform/modules/modules.json"));
    let text = match files {
        ModuleFiles::Disk => {
            let text = std::fs::read_to_string(root_dir.join(".terraform/modules/modules.json")).ok()?;
            // Kept with the sources, so that a saved plan finds the same modules.
            if !sources.files().any(|(_, f)| f.name == name) {
                sources.add(name, text.clone());
            }
            text
        }
        ModuleFiles::Saved(all) => all.iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone())?,
    };
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let m = v
        .get("Modules")?
        .as_array()?
        .iter()
        .find(|m| m.get("Key").and_then(|k| k.as_str()) == Some(key))?;
    let dir = m.get("Dir")?.as_str()?;
    Some(normalize(&root_dir.join(dir)))
}

/// Loads one module directory (its `*.tf` files) into the shared source map.
fn load_module_dir(dir: &Path, sources: SourceMap, files: &ModuleFiles<'_>, at: Span) -> (Config, Diagnostics) {
    let mut cfg = Config {
        dir: dir.to_path_buf(),
        sources,
        is_module: true,
        ..Default::default()
    };
    let mut diags = Diagnostics::new();
    let list: Vec<(String, String)> = match files {
        ModuleFiles::Disk => {
            let mut paths = match std::fs::read_dir(dir) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
                    .collect::<Vec<_>>(),
                Err(e) => {
                    diags.error(
                        Some(at),
                        "Cannot read module directory",
                        format!("{}: {e}", display_path(dir)),
                    );
                    return (cfg, diags);
                }
            };
            paths.sort();
            let mut out = Vec::new();
            for p in paths {
                match std::fs::read_to_string(&p) {
                    Ok(t) => out.push((display_path(&p), t)),
                    Err(e) => diags.error(
                        Some(at),
                        "Cannot read module file",
                        format!("{}: {e}", display_path(&p)),
                    ),
                }
            }
            out
        }
        ModuleFiles::Saved(all) => {
            let want = normalize(Path::new(&display_path(dir)));
            all.iter()
                .filter(|(n, _)| n.ends_with(".tf") && Path::new(n).parent().map(normalize).as_deref() == Some(&want))
                .cloned()
                .collect()
        }
    };
    if list.is_empty() && !diags.has_errors() {
        diags.error(
            Some(at),
            "Module directory has no configuration",
            format!("The module directory {} contains no .tf files.", display_path(dir)),
        );
        return (cfg, diags);
    }
    diags.extend(cfg.load_sources(list));
    (cfg, diags)
}

/// Every module call of a configuration tree by its dotted key, for messages and `modules.json`.
pub fn calls_by_key(cfg: &Config) -> BTreeMap<String, &ModuleCall> {
    fn walk<'a>(cfg: &'a Config, prefix: &str, out: &mut BTreeMap<String, &'a ModuleCall>) {
        for (n, c) in &cfg.module_calls {
            let k = if prefix.is_empty() {
                n.clone()
            } else {
                format!("{prefix}.{n}")
            };
            if let Some(m) = &c.module {
                walk(m, &k, out);
            }
            out.insert(k, c);
        }
    }
    let mut out = BTreeMap::new();
    walk(cfg, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_module_paths_lexically() {
        assert_eq!(
            normalize(Path::new("plans/x/./modules/net")),
            PathBuf::from("plans/x/modules/net")
        );
        assert_eq!(
            normalize(Path::new("plans/x/../shared/m")),
            PathBuf::from("plans/shared/m")
        );
        assert_eq!(normalize(Path::new("./../m")), PathBuf::from("../m"));
        assert_eq!(normalize(Path::new(".")), PathBuf::from("."));
    }
}
