//! The price models: one file per priced resource type, plus the list of types that cost nothing.
//!
//! A [`Model`] names a Terraform resource type, the usage-file keys it accepts ([`UsageKey`]) and a function
//! that reads the resource's attributes (Terraform's names; nested blocks as lists of objects) and adds
//! components through the crate-private `Pricer` of the `estimate` module. Adding a priced type means one new file here and
//! one line in [`MODELS`]. Types in [`FREE`] (or starting with a prefix in [`FREE_PREFIXES`]) are reported as
//! free; any other type is reported as "not priced", never dropped.

use super::estimate::Pricer;

mod aws_cloudwatch_log_group;
mod aws_cloudwatch_metric_alarm;
mod aws_db_instance;
mod aws_ebs_volume;
mod aws_ecr_repository;
mod aws_ecs_service;
mod aws_efs_file_system;
mod aws_eip;
mod aws_lb;
mod aws_nat_gateway;
mod aws_s3_bucket;
mod aws_scheduler_schedule;
mod aws_secretsmanager_secret;
mod aws_service_discovery_private_dns_namespace;
mod aws_service_discovery_service;
mod aws_ssm_parameter;
mod aws_vpc_endpoint;
mod digitalocean_database_cluster;
mod digitalocean_droplet;

/// How one resource type is priced. See the module documentation.
pub struct Model {
    pub type_name: &'static str,
    /// The usage-file keys this type accepts.
    pub usage: &'static [UsageKey],
    pub(crate) price: fn(&mut Pricer<'_>),
}

/// One usage-file key: a monthly quantity the configuration does not hold.
#[derive(Clone, Copy, Debug)]
pub struct UsageKey {
    pub key: &'static str,
    /// What the number counts, per month.
    pub description: &'static str,
}

/// Every priced resource type.
pub static MODELS: &[&Model] = &[
    &aws_cloudwatch_log_group::MODEL,
    &aws_cloudwatch_metric_alarm::MODEL,
    &aws_db_instance::MODEL,
    &aws_ebs_volume::MODEL,
    &aws_ecr_repository::MODEL,
    &aws_ecs_service::MODEL,
    &aws_efs_file_system::MODEL,
    &aws_eip::MODEL,
    &aws_lb::MODEL,
    &aws_nat_gateway::MODEL,
    &aws_s3_bucket::MODEL,
    &aws_scheduler_schedule::MODEL,
    &aws_secretsmanager_secret::MODEL,
    &aws_service_discovery_private_dns_namespace::MODEL,
    &aws_service_discovery_service::MODEL,
    &aws_ssm_parameter::MODEL,
    &aws_vpc_endpoint::MODEL,
    &digitalocean_database_cluster::MODEL,
    &digitalocean_droplet::MODEL,
];

/// Types that cost nothing by themselves.
pub static FREE: &[&str] = &[
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_route_table",
    "aws_route_table_association",
    "aws_route",
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_db_subnet_group",
    "aws_db_parameter_group",
    "aws_ecs_cluster",
    "aws_ecs_cluster_capacity_providers",
    "aws_ecs_task_definition",
    "aws_efs_mount_target",
    "aws_efs_access_point",
    "aws_lb_target_group",
    "aws_lb_listener",
    "aws_ecr_lifecycle_policy",
    "aws_secretsmanager_secret_version",
    "aws_scheduler_schedule_group",
    "digitalocean_vpc",
    "digitalocean_firewall",
    "digitalocean_database_firewall",
    "digitalocean_database_db",
    "digitalocean_database_user",
    "digitalocean_project",
    "digitalocean_project_resources",
    "digitalocean_tag",
    "digitalocean_ssh_key",
];

/// Type-name prefixes that cost nothing (`aws_iam_*`, the `aws_s3_bucket_*` sub-resources).
pub static FREE_PREFIXES: &[&str] = &["aws_iam_", "aws_s3_bucket_"];

/// What the cost model does with a type.
pub(crate) enum Kind {
    Priced(&'static Model),
    Free,
}

/// Terraform's second names of one type: priced as the type they name.
const ALIASES: &[(&str, &str)] = &[
    ("aws_alb", "aws_lb"),
    ("aws_alb_target_group", "aws_lb_target_group"),
    ("aws_alb_listener", "aws_lb_listener"),
];

pub(crate) fn lookup(type_name: &str) -> Option<Kind> {
    let type_name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == type_name)
        .map_or(type_name, |(_, of)| of);
    if let Some(m) = MODELS.iter().find(|m| m.type_name == type_name) {
        return Some(Kind::Priced(m));
    }
    if FREE.contains(&type_name) || FREE_PREFIXES.iter().any(|p| type_name.starts_with(p)) {
        return Some(Kind::Free);
    }
    None
}

/// The usage keys a type accepts: `None` for a type the cost model does not know, empty for a free type.
pub fn usage_keys(type_name: &str) -> Option<&'static [UsageKey]> {
    match lookup(type_name)? {
        Kind::Priced(m) => Some(m.usage),
        Kind::Free => Some(&[]),
    }
}

/// Helpers for the models' unit tests: price one resource with the bundled catalog.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::cost::{Catalog, Money, PricedResource, ResourceCost, Usage, estimate};
    use infra_provider::Value;

    /// One AWS resource priced in `region` with `usage` (a usage file's text, or none).
    pub fn priced(region: &str, usage: Option<&str>, address: &str, attrs: Value) -> ResourceCost {
        let usage = match usage {
            Some(text) => Usage::parse(std::path::Path::new("infra-usage.yml"), text).unwrap(),
            None => Usage::empty(),
        };
        let e = estimate(
            &Catalog::bundled(),
            &usage,
            &[PricedResource::aws(address, region, attrs)],
        )
        .unwrap();
        let r = e.resources.into_iter().next().unwrap();
        let sum: Money = r.components.iter().filter_map(|c| c.monthly).sum();
        assert_eq!(r.monthly, sum, "{address}: the total is the sum of its lines");
        r
    }

    pub fn one(address: &str, attrs: Value) -> ResourceCost {
        priced("us-east-1", None, address, attrs)
    }

    pub fn one_in(region: &str, address: &str, attrs: Value) -> ResourceCost {
        priced(region, None, address, attrs)
    }

    pub fn with_usage(usage: &str, address: &str, attrs: Value) -> ResourceCost {
        priced("us-east-1", Some(usage), address, attrs)
    }

    /// `(component name, monthly cost)`; `usage?` for a usage-based component without a figure.
    pub fn lines(r: &ResourceCost) -> Vec<(String, String)> {
        r.components
            .iter()
            .map(|c| {
                let monthly = c.monthly.map(|m| m.to_plain_string());
                (c.name.clone(), monthly.unwrap_or_else(|| "usage?".into()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_sorted_unique_and_disjoint_from_free_types() {
        let names: Vec<&str> = MODELS.iter().map(|m| m.type_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        for n in names {
            assert!(
                !FREE.contains(&n) && !FREE_PREFIXES.iter().any(|p| n.starts_with(p)),
                "{n}"
            );
        }
        assert!(matches!(lookup("aws_s3_bucket"), Some(Kind::Priced(_))));
        assert!(matches!(lookup("aws_s3_bucket_versioning"), Some(Kind::Free)));
        assert!(matches!(lookup("aws_iam_role"), Some(Kind::Free)));
        assert!(lookup("aws_dynamodb_table").is_none());
    }

    #[test]
    fn the_stage_types_of_issue_11_are_priced_or_free() {
        for t in [
            "aws_cloudwatch_metric_alarm",
            "aws_scheduler_schedule",
            "aws_service_discovery_private_dns_namespace",
            "aws_service_discovery_service",
        ] {
            assert!(matches!(lookup(t), Some(Kind::Priced(_))), "{t}");
        }
        for t in [
            "aws_scheduler_schedule_group",
            "aws_iam_policy",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
        ] {
            assert!(matches!(lookup(t), Some(Kind::Free)), "{t}");
        }
    }

    #[test]
    fn every_usage_key_is_documented_in_the_catalog_readme() {
        let readme = include_str!("../../../prices/README.md");
        for m in MODELS {
            for k in m.usage {
                let row = readme
                    .lines()
                    .find(|l| l.starts_with(&format!("| `{}` |", m.type_name)));
                let row = row.unwrap_or_else(|| panic!("{} has no usage row in prices/README.md", m.type_name));
                assert!(
                    row.contains(&format!("`{}`", k.key)),
                    "{}: {} undocumented",
                    m.type_name,
                    k.key
                );
            }
        }
    }
}
