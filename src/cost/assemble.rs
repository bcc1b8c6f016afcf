//! From plans and states to the [`PricedResource`]s the estimator takes: managed resource instances with
//! their attributes, their provider's pricing region, and — for `aws_ecs_service` — the attributes of the
//! task definition it runs (`task_definition_resolved`), found by ARN/family or, when the ARN is not known
//! yet, through the service's dependency on a task definition resource.

use super::PricedResource;
use crate::addrs::{InstanceAddr, Mode, ProviderKey, ResourceAddr};
use crate::plan::{Action, Plan};
use crate::state::{InstanceStatus, State};
use infra_provider::Value;
use std::collections::BTreeMap;

/// One instance to price.
pub struct Item {
    pub addr: InstanceAddr,
    pub provider: ProviderKey,
    pub attrs: Value,
    pub dependencies: Vec<ResourceAddr>,
}

/// Priced resources from items, with each provider configuration's region.
pub fn priced(items: &[Item], regions: &BTreeMap<String, String>) -> Vec<PricedResource> {
    items
        .iter()
        .filter(|i| i.addr.resource.mode == Mode::Managed)
        .map(|i| {
            let mut attrs = i.attrs.clone();
            if i.addr.resource.type_name == "aws_ecs_service"
                && let Some(td) = task_definition_for(i, items)
            {
                attrs.set_attr("task_definition_resolved", td.attrs.clone());
            }
            PricedResource {
                address: i.addr.to_string(),
                type_name: i.addr.resource.type_name.clone(),
                provider: i.provider.name.clone(),
                region: regions.get(&i.provider.to_string()).cloned(),
                attrs,
            }
        })
        .collect()
}

impl Item {
    pub fn type_name(&self) -> &str {
        &self.addr.resource.type_name
    }
    pub fn address(&self) -> String {
        self.addr.to_string()
    }
    /// True when this instance's configuration refers to `other`'s resource.
    pub fn refers_to(&self, other: &Item) -> bool {
        self.dependencies.contains(&other.addr.resource)
    }
}

/// The task definition an `aws_ecs_service` runs: by ARN, `family:revision` or family, else through the
/// service's reference to a task definition resource (preferring the same instance key).
pub(crate) fn task_definition_for<'a>(service: &Item, items: &'a [Item]) -> Option<&'a Item> {
    let tds: Vec<&Item> = items
        .iter()
        .filter(|i| i.addr.resource.type_name == "aws_ecs_task_definition")
        .collect();
    if let Some(want) = service.attrs.get_str("task_definition") {
        let found = tds.iter().find(|td| {
            let family = td.attrs.get_str("family").unwrap_or_default();
            let revision = td.attrs.get_i64("revision").map(|r| format!("{family}:{r}"));
            td.attrs.get_str("arn") == Some(want) || revision.as_deref() == Some(want) || family == want
        });
        if let Some(td) = found {
            return Some(td);
        }
    }
    let linked: Vec<&&Item> = tds.iter().filter(|td| service.refers_to(td)).collect();
    linked
        .iter()
        .find(|td| td.addr.key == service.addr.key)
        .or(linked.first())
        .map(|td| **td)
}

/// What the plan's prior state holds (the "before" of a plan).
pub fn from_state(state: &State) -> Vec<Item> {
    state
        .resources
        .iter()
        .filter(|(_, r)| matches!(r.status, InstanceStatus::Ready | InstanceStatus::Tainted))
        .map(|(a, r)| Item {
            addr: a.clone(),
            provider: r.provider.clone(),
            attrs: r.value.clone(),
            dependencies: r.dependencies.clone(),
        })
        .collect()
}

/// What will exist after the plan is applied.
pub fn after_plan(plan: &Plan) -> Vec<Item> {
    let mut out: BTreeMap<InstanceAddr, Item> = from_state(&plan.prior)
        .into_iter()
        .map(|i| (i.addr.clone(), i))
        .collect();
    for c in &plan.changes {
        if c.deposed.is_some() {
            continue;
        }
        match (c.action, &c.after) {
            (Action::Delete, _) => {
                out.remove(&c.addr);
            }
            (_, Some(after)) => {
                out.insert(
                    c.addr.clone(),
                    Item {
                        addr: c.addr.clone(),
                        provider: c.provider.clone(),
                        attrs: after.clone(),
                        dependencies: c.dependencies.clone(),
                    },
                );
            }
            _ => {}
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_get_their_task_definition_through_dependencies_when_the_arn_is_unknown() {
        let td = Item {
            addr: "aws_ecs_task_definition.api".parse().unwrap(),
            provider: ProviderKey::default_for("aws"),
            attrs: Value::map([
                ("family", Value::from("api")),
                ("cpu", Value::from("1024")),
                ("memory", Value::from("2048")),
                ("arn", Value::Unknown),
            ]),
            dependencies: vec![],
        };
        let svc = Item {
            addr: "aws_ecs_service.api".parse().unwrap(),
            provider: ProviderKey::default_for("aws"),
            attrs: Value::map([("task_definition", Value::Unknown), ("desired_count", Value::int(1))]),
            dependencies: vec![ResourceAddr::managed("aws_ecs_task_definition", "api")],
        };
        let regions = BTreeMap::from([("aws".to_string(), "us-east-1".to_string())]);
        let out = priced(&[td, svc], &regions);
        let s = out.iter().find(|p| p.type_name == "aws_ecs_service").unwrap();
        assert_eq!(
            s.attrs.get("task_definition_resolved").and_then(|t| t.get_str("cpu")),
            Some("1024")
        );
        assert_eq!(s.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn data_sources_are_never_priced() {
        // The stage's helpers (aws_iam_policy_document, aws_vpc, aws_subnets, ...) are data sources: they cost
        // nothing and are not resources to list.
        let item = |addr: &str| Item {
            addr: addr.parse().unwrap(),
            provider: ProviderKey::default_for("aws"),
            attrs: Value::map([("id", Value::from("x"))]),
            dependencies: vec![],
        };
        let regions = BTreeMap::from([("aws".to_string(), "us-east-1".to_string())]);
        let out = priced(
            &[
                item("data.aws_iam_policy_document.assume"),
                item("data.aws_secretsmanager_secret.token"),
                item("aws_iam_policy.read"),
            ],
            &regions,
        );
        let addresses: Vec<&str> = out.iter().map(|p| p.address.as_str()).collect();
        assert_eq!(addresses, vec!["aws_iam_policy.read"]);
    }
}
