//! What the rules look at: every resource instance a plan leaves behind, with its planned values, and the
//! expanded configuration it comes from.

use crate::addrs::{InstanceKey, Mode, ResourceAddr};
use crate::config::{Config, Resource};
use crate::diag::{Diagnostics, Span};
use crate::lang::ast::{Body, Expr};
use crate::plan::Plan;
use crate::scope::{InstanceScope, ModuleScope};
use infra_provider::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One instance after the plan: the cost estimator's item (address, provider, planned values,
/// dependencies).
pub use crate::cost::assemble::Item as Instance;

/// The planned world. See the module documentation.
pub struct World {
    pub cfg: Arc<Config>,
    pub env: String,
    /// Managed resource instances, in address order.
    pub instances: Vec<Instance>,
    /// The configuration directory's README.md, when it has one.
    pub readme: Option<String>,
    scope: ModuleScope,
}

impl World {
    /// The world after `plan` is applied. The configuration is reloaded from the plan's sources and
    /// expanded with its variables and module instances, as apply does.
    pub fn from_plan(plan: &Plan) -> Result<World, Diagnostics> {
        let (cfg, d) = Config::load_saved(&plan.config_dir, &plan.sources);
        if d.has_errors() {
            return Err(d);
        }
        // Ephemeral variables a saved plan does not carry are unknown to the rules.
        let mut raw = plan.variables.clone();
        raw.extend(plan.ephemeral_variables.clone());
        for v in cfg.variables.values().filter(|v| v.ephemeral) {
            raw.entry(v.name.clone()).or_insert(Value::Unknown);
        }
        let (vars, d) = crate::plan::vars::finalize(&cfg, &raw, &plan.env);
        if d.has_errors() {
            return Err(d);
        }
        let (cfg, d) = crate::config::expand_with(&Arc::new(cfg), Some(&vars), &plan.module_instances, &plan.env);
        if d.has_errors() {
            return Err(d);
        }
        let items = crate::cost::assemble::after_plan(plan);
        let mut scope = ModuleScope::new(cfg.clone(), vars, &plan.env);
        scope.impure_unknown = true;
        let mut by_resource: BTreeMap<ResourceAddr, Vec<(InstanceKey, Value)>> = BTreeMap::new();
        for i in &items {
            by_resource
                .entry(i.addr.resource.clone())
                .or_default()
                .push((i.addr.key.clone(), i.attrs.clone()));
        }
        for (r, inst) in by_resource {
            let for_each = cfg.resources.get(&r).is_some_and(|c| c.for_each.is_some());
            scope.set_resource(r, crate::plan::planner::collect_instances(inst, for_each));
        }
        let instances = items
            .into_iter()
            .filter(|i| i.addr.resource.mode == Mode::Managed)
            .collect();
        let readme = std::fs::read_to_string(plan.config_dir.join("README.md")).ok();
        Ok(World {
            cfg,
            env: plan.env.clone(),
            instances,
            readme,
            scope,
        })
    }

    /// A root module variable's value.
    pub fn root_variable(&self, name: &str) -> Option<Value> {
        use crate::lang::eval::Scope as _;
        self.scope.input_variable(name).map(|v| v.unmark_deep().0)
    }

    /// The instances of any of `types`.
    pub fn of_type<'a>(&'a self, types: &'a [&'a str]) -> impl Iterator<Item = &'a Instance> + 'a {
        self.instances.iter().filter(move |i| types.contains(&i.type_name()))
    }

    /// The resource block of an instance.
    pub fn resource(&self, inst: &Instance) -> Option<&Resource> {
        self.cfg.resources.get(&inst.addr.resource)
    }

    /// `file:line` of an attribute of the instance's block, following nested blocks
    /// (`["deployment_circuit_breaker", "rollback"]`); the nearest enclosing block written when the
    /// attribute is not.
    pub fn location(&self, inst: &Instance, path: &[&str]) -> String {
        match self.resource(inst) {
            Some(r) => self.line(span_in(&r.body, path, r.decl_span)),
            None => "-".to_string(),
        }
    }

    /// `file:line` of a span.
    pub fn line(&self, span: Span) -> String {
        match (self.cfg.sources.get(span.file), self.cfg.sources.line_col(span)) {
            (Some(f), Some((l, _))) => format!("{}:{l}", f.name),
            _ => "-".to_string(),
        }
    }

    /// Whether the block writes a nested block or attribute at `path` (not a provider default).
    pub fn writes(&self, inst: &Instance, path: &[&str]) -> bool {
        let Some(r) = self.resource(inst) else { return false };
        let mut body = &r.body;
        for (i, seg) in path.iter().enumerate() {
            if i + 1 == path.len() && body.attr(seg).is_some() {
                return true;
            }
            match body.blocks_of(seg).next() {
                Some(b) => body = &b.body,
                None => {
                    return body
                        .blocks_of("dynamic")
                        .any(|d| d.labels.first().is_some_and(|(l, _)| l == seg));
                }
            }
        }
        true
    }

    /// A JSON document attribute (`container_definitions`) as a value. When the planned string is not
    /// known yet (an image URL of a repository being created), the argument of its `jsonencode(...)` is
    /// evaluated instead, so that only the parts not known yet are unknown.
    pub fn json_doc(&self, inst: &Instance, attr: &str) -> Option<Value> {
        if let Some(s) = inst.attrs.get_str(attr) {
            return serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .map(|j| Value::from_json(&j));
        }
        let r = self.resource(inst)?;
        let expr = &r.body.attr(attr)?.expr;
        let inner = match expr {
            Expr::Call { name, args, .. } if name == "jsonencode" && args.len() == 1 => &args[0],
            other => other,
        };
        let v = self.eval(inst, r, inner)?;
        match v.as_str() {
            Some(s) => serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .map(|j| Value::from_json(&j)),
            None if v.is_unknown() => None,
            None => Some(v.unmark_deep().0),
        }
    }

    /// An argument as the configuration writes it, evaluated for this instance (`user_data`, which a
    /// provider may keep only as a hash).
    pub fn config_value(&self, inst: &Instance, attr: &str) -> Option<Value> {
        let r = self.resource(inst)?;
        let expr = &r.body.attr(attr)?.expr;
        self.eval(inst, r, expr).map(|v| v.unmark_deep().0)
    }

    fn eval(&self, inst: &Instance, r: &Resource, e: &Expr) -> Option<Value> {
        let each = match &inst.addr.key {
            InstanceKey::Str(k) if r.for_each.is_some() => crate::plan::planner::expand_instances(&self.scope, r)
                .ok()
                .flatten()
                .and_then(|keys| keys.into_iter().find(|(key, _)| key == &inst.addr.key))
                .and_then(|(_, v)| v)
                .map(|v| (Value::string(k.clone()), v)),
            _ => None,
        };
        let scope = InstanceScope {
            module: &self.scope,
            count_index: match inst.addr.key {
                InstanceKey::Int(i) if r.count.is_some() => Some(Value::int(i)),
                _ => None,
            },
            each,
        };
        scope.evaluator().eval(e).ok()
    }
}

fn span_in(body: &Body, path: &[&str], mut last: Span) -> Span {
    let mut body = body;
    for seg in path {
        if let Some(a) = body.attr(seg) {
            return a.name_span;
        }
        if let Some(b) = body.blocks_of(seg).next() {
            last = b.kind_span;
            body = &b.body;
            continue;
        }
        if let Some(d) = body
            .blocks_of("dynamic")
            .find(|d| d.labels.first().is_some_and(|(l, _)| l == seg))
        {
            return d.kind_span;
        }
        break;
    }
    last
}
