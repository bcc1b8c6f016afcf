//! The evaluation scope of the root module: input variables, locals (evaluated on demand and cached,
//! shared with the evaluator rather than copied), resource values (as planned, or as applied so far),
//! `path.*` and `terraform.workspace`.
//! [`InstanceScope`] adds `count.index` / `each.*` for one resource instance.

use crate::addrs::ResourceAddr;
use crate::config::{Config, ModuleInput};
use crate::diag::Diagnostic;
use crate::lang::eval::{Evaluator, ResourceLookup, Scope};
use infra_provider::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub struct ModuleScope {
    pub cfg: Arc<Config>,
    pub vars: BTreeMap<String, Value>,
    /// Resource values: an object, a list (`count`) or a map (`for_each`); marks on sensitive parts.
    pub resources: HashMap<ResourceAddr, Value>,
    pub workspace: String,
    /// `timestamp()`/`uuid()` are unknown during plan.
    pub impure_unknown: bool,
    /// Evaluated locals, shared so that references walk into them without copying.
    locals: RefCell<HashMap<String, Result<Arc<Value>, Diagnostic>>>,
    evaluating: RefCell<Vec<String>>,
}

impl ModuleScope {
    pub fn new(cfg: Arc<Config>, vars: BTreeMap<String, Value>, workspace: &str) -> ModuleScope {
        ModuleScope {
            cfg,
            vars,
            resources: HashMap::new(),
            workspace: workspace.to_string(),
            impure_unknown: false,
            locals: RefCell::new(HashMap::new()),
            evaluating: RefCell::new(Vec::new()),
        }
    }

    /// Sets a resource's value; cached locals are recomputed on their next use.
    pub fn set_resource(&mut self, addr: ResourceAddr, v: Value) {
        self.resources.insert(addr, v);
        self.locals.get_mut().clear();
    }

    fn validate_input(&self, input: &ModuleInput) -> Result<(), Diagnostic> {
        for val in &input.var.validations {
            let mut ev = self.evaluator();
            match ev.eval(&val.condition).map(|c| c.unmark_deep().0) {
                Ok(Value::Bool(false)) => {
                    let msg = match ev.eval(&val.error_message).map(Value::unmark_deep) {
                        Ok((_, true)) => {
                            "The error message included a sensitive value, so it will not be displayed.".to_string()
                        }
                        Ok((Value::String(m), false)) => m,
                        _ => "The value is not valid.".to_string(),
                    };
                    return Err(Diagnostic::error(
                        Some(val.span),
                        "Invalid value for variable",
                        format!(
                            "{msg}\n\nThis was checked by the validation rule of {}'s variable {:?}.",
                            input.module, input.var.name
                        ),
                    ));
                }
                Err(d) => return Err(d),
                _ => {}
            }
        }
        Ok(())
    }

    /// An evaluator over this scope.
    pub fn evaluator(&self) -> Evaluator<'_> {
        let mut ev = Evaluator::new(self, &self.cfg.dir);
        ev.impure_unknown = self.impure_unknown;
        ev
    }
}

impl Scope for ModuleScope {
    fn input_variable(&self, name: &str) -> Option<Value> {
        if !self.cfg.variables.contains_key(name) {
            return None;
        }
        Some(self.vars.get(name).cloned().unwrap_or(Value::Unknown))
    }

    fn local_value(&self, name: &str) -> Option<Result<Value, Diagnostic>> {
        self.local_value_shared(name).map(|r| r.map(Arc::unwrap_or_clone))
    }

    fn local_value_shared(&self, name: &str) -> Option<Result<Arc<Value>, Diagnostic>> {
        let local = self.cfg.locals.get(name)?;
        if let Some(v) = self.locals.borrow().get(name) {
            return Some(v.clone());
        }
        if self.evaluating.borrow().iter().any(|n| n == name) {
            return Some(Err(Diagnostic::error(
                Some(local.span),
                "Cycle in local values",
                format!("local.{name} refers to itself."),
            )));
        }
        self.evaluating.borrow_mut().push(name.to_string());
        let r = self.evaluator().eval(&local.expr);
        let r = match &local.input {
            Some(input) => r.and_then(|v| module_input(input, v, local.span)),
            None => r,
        };
        let r = r.map(Arc::new);
        self.locals.borrow_mut().insert(name.to_string(), r.clone());
        // A module input's validation rules refer to the input itself: checked once it is cached.
        if let (Some(input), Ok(v)) = (&local.input, &r)
            && v.is_wholly_known()
            && let Err(d) = self.validate_input(input)
        {
            self.locals.borrow_mut().insert(name.to_string(), Err(d.clone()));
            self.evaluating.borrow_mut().pop();
            return Some(Err(d));
        }
        self.evaluating.borrow_mut().pop();
        Some(r)
    }

    fn input_variable_ref(&self, name: &str) -> Option<Cow<'_, Value>> {
        if !self.cfg.variables.contains_key(name) {
            return None;
        }
        Some(match self.vars.get(name) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(Value::Unknown),
        })
    }

    fn resource_has_for_each(&self, addr: &ResourceAddr) -> bool {
        self.cfg.resources.get(addr).is_some_and(|r| r.for_each.is_some())
    }

    fn resource(&self, addr: &ResourceAddr) -> ResourceLookup<'_> {
        match self.resources.get(addr) {
            Some(v) => ResourceLookup::Value(Cow::Borrowed(v)),
            None if self.cfg.resources.contains_key(addr) => ResourceLookup::Value(Cow::Owned(Value::Unknown)),
            None => ResourceLookup::Undeclared,
        }
    }

    fn path(&self, which: &str) -> Option<String> {
        match which {
            "module" | "root" => Some(".".into()),
            "cwd" => Some(
                self.cfg
                    .dir
                    .canonicalize()
                    .unwrap_or_else(|_| self.cfg.dir.clone())
                    .display()
                    .to_string(),
            ),
            _ => None,
        }
    }

    fn workspace(&self) -> String {
        self.workspace.clone()
    }
}

/// A module instance's input variable from the call's argument: null replaced by the default when the
/// variable is not nullable, converted to its type, marked when sensitive.
fn module_input(input: &ModuleInput, v: Value, span: crate::diag::Span) -> Result<Value, Diagnostic> {
    let var = &input.var;
    let v = match (v.is_null(), var.nullable, &var.default) {
        (true, false, Some(d)) => d.clone(),
        (true, false, None) => {
            return Err(Diagnostic::error(
                Some(span),
                "Invalid value for input variable",
                format!(
                    "The variable {:?} of {} is required and not nullable: it may not be set to null.",
                    var.name, input.module
                ),
            ));
        }
        _ => v,
    };
    let v = match &var.ty {
        Some(t) => infra_provider::convert(v, t).map_err(|e| {
            Diagnostic::error(
                Some(span),
                "Invalid value for input variable",
                format!(
                    "The given value is not suitable for {}'s input variable {:?}: {e}.",
                    input.module, var.name
                ),
            )
        })?,
        None => v,
    };
    Ok(v.mark_if(var.sensitive))
}

/// The scope of one resource instance: the module plus `count.index` or `each`.
pub struct InstanceScope<'a> {
    pub module: &'a ModuleScope,
    /// `count.index` (unknown while validating).
    pub count_index: Option<Value>,
    pub each: Option<(Value, Value)>,
}

impl InstanceScope<'_> {
    pub fn evaluator(&self) -> Evaluator<'_> {
        let mut ev = Evaluator::new(self, &self.module.cfg.dir);
        ev.impure_unknown = self.module.impure_unknown;
        ev
    }
}

impl Scope for InstanceScope<'_> {
    fn input_variable(&self, name: &str) -> Option<Value> {
        self.module.input_variable(name)
    }
    fn local_value(&self, name: &str) -> Option<Result<Value, Diagnostic>> {
        self.module.local_value(name)
    }
    fn local_value_shared(&self, name: &str) -> Option<Result<Arc<Value>, Diagnostic>> {
        self.module.local_value_shared(name)
    }
    fn input_variable_ref(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.module.input_variable_ref(name)
    }
    fn resource_has_for_each(&self, addr: &ResourceAddr) -> bool {
        self.module.resource_has_for_each(addr)
    }
    fn resource(&self, addr: &ResourceAddr) -> ResourceLookup<'_> {
        self.module.resource(addr)
    }
    fn count_index(&self) -> Option<Value> {
        self.count_index.clone()
    }
    fn each(&self) -> Option<(Value, Value)> {
        self.each.clone()
    }
    fn path(&self, which: &str) -> Option<String> {
        self.module.path(which)
    }
    fn workspace(&self) -> String {
        self.module.workspace()
    }
}
