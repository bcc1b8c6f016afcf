//! Tags, the same way for every taggable resource type:
//!
//! - plan: [`plan_tags_all`] sets `tags_all` = provider `default_tags` merged with the resource's `tags`
//!   (resource tags win), unknown when either is not yet known;
//! - create: [`for_create`] is `tags_all` plus the ownership tags (`infra:address`, `infra:lineage`);
//! - read: [`set_read_tags`] drops every `infra:*` key, so ownership tags never show as drift, and splits
//!   what the cloud has into `tags_all` (everything) and `tags` (without the provider's default tags);
//! - update: [`changes`] lists the keys to set and to remove, for the service's own tag calls.

use crate::client::AwsClient;
use infra_provider::{OpContext, PlanRequest, Value};
use std::collections::BTreeMap;

/// Prefix of the tag keys infra keeps for itself.
pub const INTERNAL_PREFIX: &str = "infra:";

/// True for infra's own tag keys.
pub fn is_internal(key: &str) -> bool {
    key.starts_with(INTERNAL_PREFIX)
}

/// Sets `tags_all` in a plan from the provider's default tags and the planned `tags`.
pub fn plan_tags_all(client: &AwsClient, req: &mut PlanRequest<'_>) {
    let tags = req.planned.get("tags").cloned().unwrap_or(Value::Null);
    let all = if !tags.is_wholly_known() {
        Value::Unknown
    } else {
        let mut all: BTreeMap<String, Value> = client
            .default_tags()
            .iter()
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect();
        if let Some(m) = tags.as_map() {
            for (k, v) in m {
                if !v.is_null() {
                    all.insert(k.clone(), v.clone());
                }
            }
        }
        Value::Map(all)
    };
    req.planned.set_attr("tags_all", all);
}

/// The tags an object should have: its planned `tags_all` when known, else default tags merged with `tags`.
pub fn desired(client: &AwsClient, v: &Value) -> BTreeMap<String, String> {
    match v.get("tags_all") {
        Some(all @ Value::Map(_)) if all.is_wholly_known() => v.get_string_map("tags_all"),
        _ => {
            let mut all = client.default_tags().clone();
            all.extend(v.get_string_map("tags"));
            all
        }
    }
    .into_iter()
    .filter(|(k, _)| !is_internal(k))
    .collect()
}

/// The tags to create an object with: [`desired`] plus the ownership tags.
pub fn for_create(client: &AwsClient, ctx: &OpContext, planned: &Value) -> BTreeMap<String, String> {
    let mut t = desired(client, planned);
    t.extend(ctx.ownership_tags());
    t
}

/// Sets `tags` and `tags_all` of a read object from the tags the cloud has (see the module documentation).
/// A key of the prior `tags` whose value equals a default tag's stays in `tags`, so it shows no drift.
pub fn set_read_tags(
    client: &AwsClient,
    obj: &mut Value,
    prior: &Value,
    cloud: impl IntoIterator<Item = (String, String)>,
) {
    let all: BTreeMap<String, String> = cloud.into_iter().filter(|(k, _)| !is_internal(k)).collect();
    let prior_tags = prior.get_string_map("tags");
    let defaults = client.default_tags();
    let tags: BTreeMap<String, String> = all
        .iter()
        .filter(|(k, v)| defaults.get(*k) != Some(*v) || prior_tags.get(*k) == Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    obj.set_attr(
        "tags",
        if tags.is_empty() {
            Value::Null
        } else {
            Value::string_map(tags)
        },
    );
    obj.set_attr("tags_all", Value::string_map(all));
}

/// What an update must do to the tags.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Keys to create or overwrite.
    pub set: BTreeMap<String, String>,
    /// Keys to delete.
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// The tag changes from `prior` to `planned` (their `tags_all`); infra's own keys are never touched.
pub fn changes(client: &AwsClient, prior: &Value, planned: &Value) -> TagChanges {
    let old = desired(client, prior);
    let new = desired(client, planned);
    TagChanges {
        set: new
            .iter()
            .filter(|(k, v)| old.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: old.keys().filter(|k| !new.contains_key(*k)).cloned().collect(),
    }
}
