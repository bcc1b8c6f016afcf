//! Schemas: what arguments and nested blocks a resource type, data source or provider block accepts, which
//! are computed by the cloud, which force replacement, which are sensitive.
//!
//! The engine validates configuration against a schema (unknown argument, missing required argument,
//! wrong type) and derives the generic part of every diff from it: computed attributes stay as they are or
//! become unknown, a change to a `force_new` attribute is a replacement that names the attribute.
//!
//! Nested blocks are represented in values the way Terraform's SDK stores them: a `List`/`Set` block is a
//! list/set of objects (so `aws_lb.main.access_logs[0].bucket` works), a `Single` block an object or null.

use crate::check::Check;
use crate::types::Type;
use crate::value::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// One argument or attribute.
#[derive(Clone, Debug, Default)]
pub struct Attribute {
    pub ty: Option<Type>,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    /// A change replaces the resource instead of updating it in place.
    pub force_new: bool,
    pub sensitive: bool,
    /// A write-only argument (Terraform 1.11's `*_wo`): its value is sent to the cloud on create and
    /// update and never kept — planned and stored as null, never in a plan file or the state. It may hold
    /// ephemeral values.
    pub write_only: bool,
    /// Used when the configuration leaves the argument out (as SDKv2 `Default`).
    pub default: Option<Value>,
    /// A JSON document compared by meaning, not by text (policies, container definitions).
    pub json: bool,
    /// Compared case-insensitively (e.g. engine names the API upper-cases).
    pub case_insensitive: bool,
    /// Checked on every known value before any cloud call (see [`Check`]).
    pub check: Option<Check>,
    /// Arguments of the same block that may not be set together with this one.
    pub conflicts_with: &'static [&'static str],
    pub description: &'static str,
}

impl Attribute {
    fn with_type(ty: Type) -> Attribute {
        Attribute {
            ty: Some(ty),
            ..Default::default()
        }
    }
    /// An argument the configuration must set.
    pub fn required(ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::with_type(ty)
        }
    }
    /// An argument the configuration may set.
    pub fn optional(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::with_type(ty)
        }
    }
    /// An attribute only the cloud sets.
    pub fn computed(ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::with_type(ty)
        }
    }
    /// An argument the configuration may set and the cloud fills in when it does not.
    pub fn optional_computed(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::with_type(ty)
        }
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// A write-only argument (see [`Attribute::write_only`](Attribute#structfield.write_only)); always
    /// sensitive.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self.sensitive = true;
        self
    }
    pub fn default(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self
    }
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }
    pub fn case_insensitive(mut self) -> Self {
        self.case_insensitive = true;
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
    /// A check on the value (an enumeration, a range, a CIDR block).
    pub fn check(mut self, c: Check) -> Self {
        self.check = Some(c);
        self
    }
    /// Shorthand for `.check(Check::OneOf(values))`.
    pub fn one_of(self, values: &'static [&'static str]) -> Self {
        self.check(Check::OneOf(values))
    }
    /// Arguments that may not be set together with this one.
    pub fn conflicts_with(mut self, others: &'static [&'static str]) -> Self {
        self.conflicts_with = others;
        self
    }
    pub fn ty(&self) -> &Type {
        self.ty.as_ref().unwrap_or(&Type::Any)
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block, stored as an object (or null).
    Single,
    /// Ordered blocks, stored as a list of objects.
    List,
    /// Unordered blocks, stored as a set of objects.
    Set,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: usize,
    pub max_items: usize,
    /// Left out of the configuration, the blocks the cloud has are kept (SDKv2 `Optional + Computed`).
    pub computed: bool,
    /// Any change inside replaces the resource.
    pub force_new: bool,
    pub description: &'static str,
}

impl NestedBlock {
    pub fn list(block: Block) -> NestedBlock {
        NestedBlock {
            nesting: Nesting::List,
            block,
            min_items: 0,
            max_items: usize::MAX,
            computed: false,
            force_new: false,
            description: "",
        }
    }
    pub fn set(block: Block) -> NestedBlock {
        NestedBlock {
            nesting: Nesting::Set,
            ..NestedBlock::list(block)
        }
    }
    pub fn single(block: Block) -> NestedBlock {
        NestedBlock {
            nesting: Nesting::Single,
            max_items: 1,
            ..NestedBlock::list(block)
        }
    }
    pub fn max(mut self, n: usize) -> Self {
        self.max_items = n;
        self
    }
    pub fn min(mut self, n: usize) -> Self {
        self.min_items = n;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
}

/// The body of a resource, data source, provider or nested block.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }
    pub fn attr(mut self, name: &str, a: Attribute) -> Self {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: NestedBlock) -> Self {
        self.blocks.insert(name.to_string(), b);
        self
    }
    /// The `id` attribute every resource has.
    pub fn id(self) -> Self {
        self.attr("id", Attribute::computed(Type::String))
    }
    /// `tags` (optional) and `tags_all` (computed, with the provider's default tags merged in).
    pub fn tags(self) -> Self {
        self.attr("tags", Attribute::optional(Type::string_map()))
            .attr("tags_all", Attribute::optional_computed(Type::string_map()))
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.get(name)
    }
    /// True when any attribute at any depth is sensitive.
    pub fn has_sensitive(&self) -> bool {
        self.attributes.values().any(|a| a.sensitive) || self.blocks.values().any(|b| b.block.has_sensitive())
    }
}

/// Default operation timeouts, overridable with a `timeouts { create = "40m" }` block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            create: Duration::from_secs(20 * 60),
            update: Duration::from_secs(20 * 60),
            delete: Duration::from_secs(20 * 60),
        }
    }
}

impl Timeouts {
    pub fn minutes(create: u64, update: u64, delete: u64) -> Timeouts {
        Timeouts {
            create: Duration::from_secs(create * 60),
            update: Duration::from_secs(update * 60),
            delete: Duration::from_secs(delete * 60),
        }
    }
}

/// The schema of one resource type or data source.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub block: Block,
    /// `Some` when the type accepts a `timeouts` block.
    pub timeouts: Option<Timeouts>,
    /// Version of the attribute layout stored in state.
    pub version: u64,
    /// The schema version of the same type in the Terraform provider this one follows (what a Terraform
    /// state records as the instance's `schema_version`): written when a state is exported for Terraform.
    pub terraform_version: u64,
}

impl Schema {
    pub fn new(block: Block) -> Schema {
        Schema {
            block,
            timeouts: None,
            version: 0,
            terraform_version: 0,
        }
    }
    pub fn timeouts(mut self, t: Timeouts) -> Self {
        self.timeouts = Some(t);
        self
    }
    /// See [`Schema::terraform_version`].
    pub fn terraform_version(mut self, v: u64) -> Self {
        self.terraform_version = v;
        self
    }
}

/// Everything a provider accepts.
#[derive(Clone, Debug, Default)]
pub struct ProviderSchema {
    /// The `provider "name" { ... }` block.
    pub provider: Block,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
    /// Ephemeral resource types (`ephemeral "T" "N" {}`): opened at plan and again at apply, their
    /// values never kept.
    pub ephemeral_resources: BTreeMap<String, Schema>,
}
