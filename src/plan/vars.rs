//! Input variables: where their values come from, and checking them.
//!
//! Precedence, lowest first (later sources win), as in Terraform plus the environment's own file:
//! `TF_VAR_<name>` environment variables, `terraform.tfvars`, `*.auto.tfvars` (sorted), the environment's
//! `<env>.tfvars`, then `--var-file` and `--var` flags in the order given. Values from flags and environment
//! variables are strings; for a variable whose type is not `string` they are parsed as HCL expressions,
//! as Terraform does (`--var 'azs=["a","b"]'`).

use crate::config::{Config, Variable, display_path};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::ast;
use crate::lang::eval::{EmptyScope, Evaluator, Scope};
use infra_provider::{Type, Value, convert};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One `--var` or `--var-file` flag, in command-line order.
#[derive(Clone, Debug, PartialEq)]
pub enum VarFlag {
    Var(String),
    File(PathBuf),
}

/// Collects raw values from every source. `env_vars` is the process environment (injected for tests).
pub fn collect(
    cfg: &mut Config,
    env: &str,
    flags: &[VarFlag],
    env_vars: &[(String, String)],
) -> (BTreeMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in env_vars {
        if let Some(name) = k.strip_prefix("TF_VAR_")
            && let Some(decl) = cfg.variables.get(name)
        {
            match parse_string_value(decl, v) {
                Ok(val) => {
                    out.insert(name.to_string(), val);
                    cfg.var_origins.remove(name);
                }
                Err(e) => diags.error(
                    Some(decl.span),
                    "Invalid value for input variable",
                    format!("The environment variable {k} does not contain a valid value for variable {name:?}: {e}."),
                ),
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let tfvars = cfg.dir.join("terraform.tfvars");
    if tfvars.is_file() {
        files.push(tfvars);
    }
    if let Ok(rd) = std::fs::read_dir(&cfg.dir) {
        let mut autos: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".auto.tfvars"))
            .collect();
        autos.sort();
        files.extend(autos);
    }
    let env_file = cfg.dir.join(format!("{env}.tfvars"));
    if env_file.is_file() {
        files.push(env_file);
    }
    for f in files {
        load_file(cfg, &f, &mut out, &mut diags);
    }
    collect_flags(cfg, flags, &mut out, &mut diags);
    (out, diags)
}

/// The values `--var` and `--var-file` flags give, alone (to check them against a saved plan's).
pub fn from_flags(cfg: &mut Config, flags: &[VarFlag]) -> (BTreeMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = BTreeMap::new();
    collect_flags(cfg, flags, &mut out, &mut diags);
    (out, diags)
}

fn collect_flags(cfg: &mut Config, flags: &[VarFlag], out: &mut BTreeMap<String, Value>, diags: &mut Diagnostics) {
    for flag in flags {
        match flag {
            VarFlag::File(f) => load_file(cfg, f, out, diags),
            VarFlag::Var(kv) => {
                let Some((name, v)) = kv.split_once('=') else {
                    diags.error(None, "Invalid --var option", format!("The given --var option {kv:?} is not correctly specified: it must be a variable name and value separated by an equals sign, like --var key=value."));
                    continue;
                };
                let name = name.trim();
                match cfg.variables.get(name) {
                    Some(decl) => match parse_string_value(decl, v) {
                        Ok(val) => {
                            out.insert(name.to_string(), val);
                            cfg.var_origins.remove(name);
                        }
                        Err(e) => diags.error(None, "Invalid value for input variable", format!("The --var value for {name:?} is not valid: {e}.")),
                    },
                    None => diags.error(None, "Value for undeclared variable", format!("A variable named {name:?} was assigned on the command line, but the configuration does not declare a variable of that name. To use this value, add a variable {name:?} {{}} block.")),
                }
            }
        }
    }
}

fn parse_string_value(decl: &Variable, s: &str) -> Result<Value, String> {
    match &decl.ty {
        None | Some(Type::String) => Ok(Value::string(s)),
        Some(Type::Number | Type::Bool) if !s.trim_start().starts_with(['[', '{', '"']) => Ok(Value::string(s)),
        Some(_) => {
            let e = ast::parse_expr(u32::MAX, s).map_err(|d| d.0.first().map(|x| x.to_string()).unwrap_or_default())?;
            let scope = EmptyScope;
            Evaluator::new(&scope, Path::new("."))
                .eval(&e)
                .map_err(|d| d.to_string())
        }
    }
}

fn load_file(cfg: &mut Config, path: &Path, out: &mut BTreeMap<String, Value>, diags: &mut Diagnostics) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.error(
                None,
                "Failed to read variables file",
                format!(
                    "Given variables file {} does not exist or cannot be read: {e}.",
                    display_path(path)
                ),
            );
            return;
        }
    };
    if path.extension().is_some_and(|e| e == "json") {
        diags.error(
            None,
            "Unsupported variables file",
            format!(
                "{}: JSON variable files are not supported; use HCL .tfvars.",
                display_path(path)
            ),
        );
        return;
    }
    let id = cfg.sources.add(display_path(path), text.clone());
    let body = match ast::parse_body(id, &text) {
        Ok(b) => b,
        Err(d) => {
            diags.extend(d);
            return;
        }
    };
    for b in &body.blocks {
        diags.error(
            Some(b.kind_span),
            "Unexpected block",
            "A variables file may only assign values to variables, like name = \"value\".",
        );
    }
    let scope = EmptyScope;
    let dir = cfg.dir.clone();
    let mut origins = Vec::new();
    for a in &body.attrs {
        if !cfg.variables.contains_key(&a.name) {
            // A warning, as in Terraform, also for a file given with --var-file: one shared
            // common.tfvars may serve several stacks. (--var for an undeclared variable is an error.)
            diags.push(Diagnostic::warning(
                Some(a.name_span),
                "Value for undeclared variable",
                format!(
                    "The variables file assigns {:?}, which the configuration does not declare; the value is ignored. To use it, add a variable {:?} {{}} block.",
                    a.name, a.name
                ),
            ));
            continue;
        }
        match Evaluator::new(&scope, &dir).eval(&a.expr) {
            Ok(v) => {
                out.insert(a.name.clone(), v);
                origins.push((a.name.clone(), a.expr.span()));
            }
            Err(_) => diags.error(
                Some(a.expr.span()),
                "Variables not allowed",
                "A variables file can only hold literal values and function calls of them.",
            ),
        }
    }
    cfg.var_origins.extend(origins);
}

/// The input variables, for `validation` conditions (which may refer to other variables, as in
/// Terraform 1.9+).
struct Vars<'a> {
    values: &'a BTreeMap<String, Value>,
}

impl Scope for Vars<'_> {
    fn input_variable(&self, name: &str) -> Option<Value> {
        self.values.get(name).cloned()
    }
    fn local_value(&self, _: &str) -> Option<Result<Value, Diagnostic>> {
        None
    }
    fn resource(&self, _: &crate::addrs::ResourceAddr) -> crate::lang::eval::ResourceLookup<'_> {
        crate::lang::eval::ResourceLookup::Undeclared
    }
    fn path(&self, _: &str) -> Option<String> {
        None
    }
    fn workspace(&self) -> String {
        "default".into()
    }
}

/// Final values: defaults applied, converted to their types, validated, sensitive ones marked.
pub fn finalize(cfg: &Config, raw: &BTreeMap<String, Value>, env: &str) -> (BTreeMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = BTreeMap::new();
    for (name, decl) in &cfg.variables {
        let given = raw.get(name).cloned();
        let v = match (given, &decl.default) {
            (Some(v), _) if !v.is_null() || decl.nullable => v,
            (Some(_), Some(d)) => d.clone(),
            (Some(_), None) => {
                diags.error(
                    Some(decl.span),
                    "Required variable not set",
                    format!("Unsuitable value for var.{name}: required variable may not be set to null."),
                );
                continue;
            }
            (None, Some(d)) => d.clone(),
            (None, None) => {
                diags.error(
                    Some(decl.span),
                    "No value for required variable",
                    format!(
                        "The root module input variable {name:?} is not set, and has no default value. Set it in {} (the variables of environment {env:?}), or give it with --var {name}=VALUE, a --var-file, or the TF_VAR_{name} environment variable.",
                        display_path(&cfg.dir.join(if env == "default" { "terraform.tfvars".to_string() } else { format!("{env}.tfvars") }))
                    ),
                );
                continue;
            }
        };
        let v = match &decl.ty {
            Some(t) => match convert(v, t) {
                Ok(v) => v,
                Err(e) => {
                    match cfg.var_origins.get(name) {
                        Some(at) => diags.error(
                            Some(*at),
                            "Invalid value for input variable",
                            format!(
                                "The value given for variable {name:?} is not suitable: {e} (the variable is declared at {}).",
                                cfg.sources.location(decl.span)
                            ),
                        ),
                        None => diags.error(
                            Some(decl.span),
                            "Invalid value for input variable",
                            format!("The value given for variable {name:?} is not suitable: {e}."),
                        ),
                    }
                    continue;
                }
            },
            None => v,
        };
        out.insert(name.clone(), v.mark_if(decl.sensitive));
    }
    // Validation rules, once every value is known.
    let mut invalid = Vec::new();
    for (name, decl) in &cfg.variables {
        if !out.contains_key(name) {
            continue;
        }
        for val in &decl.validations {
            let scope = Vars { values: &out };
            let mut ev = Evaluator::new(&scope, &cfg.dir);
            match ev.eval(&val.condition).map(|c| c.unmark_deep().0) {
                Ok(Value::Bool(true)) | Ok(Value::Unknown) => {}
                Ok(Value::Bool(false)) => {
                    let msg = match ev.eval(&val.error_message).map(Value::unmark_deep) {
                        Ok((_, true)) => {
                            "The error message included a sensitive value, so it will not be displayed.".to_string()
                        }
                        Ok((Value::String(m), false)) => m,
                        _ => "The value is not valid.".to_string(),
                    };
                    diags.error(
                        Some(val.span),
                        "Invalid value for variable",
                        format!(
                            "{msg}\n\nThis was checked by the validation rule at {}.",
                            cfg.sources.location(val.span)
                        ),
                    );
                    invalid.push(name.clone());
                }
                Ok(other) => diags.error(
                    Some(val.condition.span()),
                    "Invalid validation result",
                    format!("The condition must produce a bool, not {}.", other.type_name()),
                ),
                Err(d) => diags.push(d),
            }
        }
    }
    for name in invalid {
        out.remove(&name);
    }
    (out, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, files: &[(&str, &str)]) -> Config {
        for (n, t) in files {
            std::fs::write(dir.join(n), t).unwrap();
        }
        let (cfg, d) = Config::load(dir);
        assert!(!d.has_errors(), "{d:?}");
        cfg
    }

    #[test]
    fn an_undeclared_variable_in_any_tfvars_file_is_a_warning_and_on_the_command_line_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(
            dir.path(),
            &[
                ("main.tf", "variable \"name\" {\n  type = string\n}\n"),
                // One shared file for several stacks: this stack does not declare `region`.
                ("common.tfvars", "name   = \"api\"\nregion = \"eu-west-1\"\n"),
                ("stage.tfvars", "replicas = 2\n"),
            ],
        );
        let flags = [VarFlag::File(dir.path().join("common.tfvars"))];
        let (raw, d) = collect(&mut cfg, "stage", &flags, &[]);
        assert!(!d.has_errors(), "{d:?}");
        let warned: Vec<String> = d.0.iter().map(|w| cfg.sources.location(w.span.unwrap())).collect();
        assert_eq!(warned.len(), 2, "{d:?}");
        assert!(warned.iter().any(|l| l.ends_with("common.tfvars:2:1")), "{warned:?}");
        assert!(warned.iter().any(|l| l.ends_with("stage.tfvars:1:1")), "{warned:?}");
        assert_eq!(raw.get("name"), Some(&Value::string("api")));
        assert!(!raw.contains_key("region"));
        let (_, d) = collect(&mut cfg, "stage", &[VarFlag::Var("region=x".into())], &[]);
        assert!(
            d.errors().any(|e| e.summary == "Value for undeclared variable"),
            "{d:?}"
        );
    }

    #[test]
    fn a_missing_variable_names_the_environments_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), &[("main.tf", "variable \"token\" {\n  type = string\n}\n")]);
        let (_, d) = finalize(&cfg, &BTreeMap::new(), "stage");
        let e = d.errors().next().expect("an error");
        assert!(e.detail.contains("stage.tfvars"), "{e:?}");
        assert!(!e.detail.contains("token.tfvars"), "{e:?}");
    }
}
