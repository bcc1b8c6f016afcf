//! Plans: what an apply will do, per resource instance, and why.
//!
//! - [`Plan`] and [`ResourceChange`]: the model. A plan carries everything apply needs — the refreshed
//!   prior state, every change with its planned values (unknowns included), the configuration sources and
//!   input variables (to evaluate what is unknown now once its dependencies exist) — so that apply does
//!   exactly what was shown, even from a saved plan file.
//! - [`planner`]: refresh + diff, producing a plan. Performs no I/O except through providers.
//! - [`diff`]: the generic, schema-driven part of a diff.
//! - [`vars`]: input variables from flags, files and the environment.
//! - [`render`], [`json`], [`markdown`]: the human, machine and pull-request renderings; [`planfile`]:
//!   saved plans.

pub mod diff;
pub mod json;
pub mod markdown;
pub mod planfile;
pub mod planner;
pub mod render;
pub mod vars;

use crate::addrs::{InstanceAddr, ProviderKey, ResourceAddr};
use crate::state::State;
use infra_provider::{Path, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happens to one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// A data source read deferred to apply (its configuration depends on unknown values).
    Read,
    Update,
    Replace,
    Delete,
}

/// Why an action was chosen when the diff alone does not say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The object was deleted outside infra; it will be created again.
    GoneInCloud,
    /// A previous create failed half-way; the object is replaced.
    Tainted,
    /// `--replace ADDR`.
    ReplaceRequested,
    /// The resource block is no longer in the configuration.
    NoResourceConfig,
    /// The module instance that held the resource is no longer in the configuration.
    NoModule,
    /// The instance key is no longer produced by `count`/`for_each`.
    NoInstanceKey,
    /// `infra destroy`.
    DestroyRequested,
    /// An object left over by an interrupted create-before-destroy replacement.
    Deposed,
    /// An interrupted create made the object but not all of its steps: the apply finds it and finishes
    /// the create (the plan's notes name the steps).
    UnfinishedCreate,
}

impl Reason {
    pub fn describe(&self) -> &'static str {
        match self {
            Reason::GoneInCloud => "it was deleted outside infra",
            Reason::Tainted => "it is tainted: a previous create failed after the object was made",
            Reason::ReplaceRequested => "replacement was requested with --replace",
            Reason::NoResourceConfig => "its resource block is no longer in the configuration",
            Reason::NoModule => "its module instance is no longer in the configuration",
            Reason::NoInstanceKey => "its index is no longer produced by count or for_each",
            Reason::DestroyRequested => "destroy was requested",
            Reason::Deposed => "it was left over by an interrupted create-before-destroy replacement",
            Reason::UnfinishedCreate => {
                "an interrupted apply made it but did not finish its create; this apply finishes it"
            }
        }
    }
}

/// The planned change of one resource instance.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    pub provider: ProviderKey,
    pub action: Action,
    /// For `Replace`: create the new object before deleting the old one.
    pub create_before_destroy: bool,
    /// The current object (after refresh), `None` when creating.
    pub before: Option<Value>,
    /// The planned object (with unknowns), `None` when deleting.
    pub after: Option<Value>,
    pub before_sensitive: Vec<Path>,
    pub after_sensitive: Vec<Path>,
    /// Attributes whose change forces the replacement.
    pub replace_paths: Vec<Path>,
    pub reason: Option<Reason>,
    /// Resources this instance's configuration refers to (ordering of create/update).
    pub dependencies: Vec<ResourceAddr>,
    /// For a deposed object: its key in state.
    pub deposed: Option<String>,
}

impl ResourceChange {
    pub fn is_noop(&self) -> bool {
        self.action == Action::NoOp
    }
}

/// An attribute changed outside infra since the last apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub addr: InstanceAddr,
    pub before: Value,
    /// `None`: the object is gone.
    pub after: Option<Value>,
    pub sensitive: Vec<Path>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    /// `None` when the output is removed.
    pub after: Option<Value>,
    pub sensitive: bool,
}

impl OutputChange {
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    Normal,
    Destroy,
    RefreshOnly,
}

/// Something the plan found worth saying that is not a change (an adopted object, a gone object).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub addr: String,
    pub message: String,
}

/// A whole plan. See the module documentation.
#[derive(Clone, Debug)]
pub struct Plan {
    pub mode: PlanMode,
    pub env: String,
    /// Lineage and serial of the state as stored when planning began: a saved plan applies only to it.
    pub lineage: String,
    pub serial: u64,
    /// The refreshed state that apply starts from.
    pub prior: State,
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    pub outputs: Vec<OutputChange>,
    pub notes: Vec<Note>,
    /// Input variable values (raw, before type conversion) — apply re-evaluates with them.
    pub variables: BTreeMap<String, Value>,
    /// The configuration sources (file name, text).
    pub sources: Vec<(String, String)>,
    pub config_dir: std::path::PathBuf,
    pub targets: Vec<String>,
    /// Each provider configuration's pricing region (see `Provider::pricing_region`), by provider key.
    pub regions: BTreeMap<String, String>,
    /// The usage file (name, text) the plan's cost was estimated with, so a saved plan shows the same cost.
    pub usage: Option<(String, String)>,
    /// Objects `moved` blocks renamed in the state: (from, to).
    pub moved: Vec<(InstanceAddr, InstanceAddr)>,
    /// Objects a `removed` block with `destroy = false` takes out of the state (left in the cloud).
    pub forgotten: Vec<InstanceAddr>,
    /// Objects `import` blocks read from the cloud: (address, ID).
    pub imported: Vec<(InstanceAddr, String)>,
    /// The `count`/`for_each` values of module calls that depend on resources or data sources, as planned:
    /// apply and policy expand the configuration with them, so they see the planned module instances.
    pub module_instances: crate::config::ModuleInstances,
    /// Values of input variables declared `ephemeral = true`: used by an apply in the same run, never
    /// written to a plan file (applying a saved plan asks for them again).
    pub ephemeral_variables: BTreeMap<String, Value>,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub read: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => {
                    s.add += 1;
                    s.destroy += 1;
                }
                Action::Delete => s.destroy += 1,
                Action::Read => s.read += 1,
                Action::NoOp => {}
            }
        }
        s
    }

    /// True when applying would change infrastructure, outputs, or (refresh-only) the state.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| !c.is_noop())
            || self.outputs.iter().any(|o| !o.is_noop())
            || !self.moved.is_empty()
            || !self.forgotten.is_empty()
            || !self.imported.is_empty()
            || (self.mode == PlanMode::RefreshOnly && !self.drift.is_empty())
    }

    pub fn change(&self, addr: &InstanceAddr) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| &c.addr == addr && c.deposed.is_none())
    }
}
