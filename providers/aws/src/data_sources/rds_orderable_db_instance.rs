//! `data "aws_rds_orderable_db_instance"`: one orderable combination of RDS engine, engine version and
//! instance class, chosen as Terraform's data source chooses it. `DescribeOrderableDBInstanceOptions`
//! (every page, 1000 options a page) takes `engine`, `engine_version`, `instance_class`, `license_model`,
//! `availability_zone_group` and `vpc`; the answer is then narrowed by `storage_type`, the boolean
//! capabilities (`read_replica_capable`, `supports_*`; `supports_multi_az` is the option's
//! `MultiAZCapable`), `supported_engine_modes` and `supported_network_types` (any one listed),
//! `preferred_engine_versions` (kept in the order listed) and `preferred_instance_classes` (the first
//! class listed that is offered wins). What is left must be one option unless a preference list was
//! given (then the first one is taken, or with `engine_latest_version` the one with the highest version).
//!
//! As in Terraform, a boolean argument set to `false` filters nothing (only `true` does), and a search
//! that matches nothing, or more than one option without a preference, is an error naming the criteria.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::{complete, str_attr};
use async_trait::async_trait;
use aws_sdk_rds::types::OrderableDbInstanceOption;
use infra_provider::{Attribute, Block, DataSourceType, ProviderError, Result, Schema, Type, Value};
use std::cmp::Ordering;

pub struct RdsOrderableDbInstance;

type Flag = fn(&OrderableDbInstanceOption) -> Option<bool>;

/// The boolean arguments that filter the answer (when `true`), each with the option's flag it checks.
const FLAG_FILTERS: &[(&str, Flag)] = &[
    ("read_replica_capable", OrderableDbInstanceOption::read_replica_capable),
    ("supports_clusters", OrderableDbInstanceOption::supports_clusters),
    (
        "supports_enhanced_monitoring",
        OrderableDbInstanceOption::supports_enhanced_monitoring,
    ),
    (
        "supports_global_databases",
        OrderableDbInstanceOption::supports_global_databases,
    ),
    (
        "supports_iam_database_authentication",
        OrderableDbInstanceOption::supports_iam_database_authentication,
    ),
    ("supports_iops", OrderableDbInstanceOption::supports_iops),
    (
        "supports_kerberos_authentication",
        OrderableDbInstanceOption::supports_kerberos_authentication,
    ),
    ("supports_multi_az", OrderableDbInstanceOption::multi_az_capable),
    (
        "supports_performance_insights",
        OrderableDbInstanceOption::supports_performance_insights,
    ),
    (
        "supports_storage_autoscaling",
        OrderableDbInstanceOption::supports_storage_autoscaling,
    ),
    (
        "supports_storage_encryption",
        OrderableDbInstanceOption::supports_storage_encryption,
    ),
];

/// The boolean attributes that are only read (the filters above are read back too).
const FLAG_ATTRIBUTES: &[(&str, Flag)] = &[
    ("multi_az_capable", OrderableDbInstanceOption::multi_az_capable),
    ("outpost_capable", OrderableDbInstanceOption::outpost_capable),
    ("vpc", OrderableDbInstanceOption::vpc),
];

fn block() -> Block {
    let mut b = Block::new()
        .id()
        .attr("availability_zone_group", Attribute::optional_computed(Type::String))
        .attr("availability_zones", Attribute::computed(Type::string_list()))
        .attr("engine", Attribute::required(Type::String))
        .attr("engine_latest_version", Attribute::optional(Type::Bool))
        .attr("engine_version", Attribute::optional_computed(Type::String))
        .attr("instance_class", Attribute::optional_computed(Type::String))
        .attr("license_model", Attribute::optional_computed(Type::String))
        .attr("max_iops_per_db_instance", Attribute::computed(Type::Number))
        .attr("max_iops_per_gib", Attribute::computed(Type::Number))
        .attr("max_storage_size", Attribute::computed(Type::Number))
        .attr("min_iops_per_db_instance", Attribute::computed(Type::Number))
        .attr("min_iops_per_gib", Attribute::computed(Type::Number))
        .attr("min_storage_size", Attribute::computed(Type::Number))
        .attr("multi_az_capable", Attribute::computed(Type::Bool))
        .attr("outpost_capable", Attribute::computed(Type::Bool))
        .attr("preferred_engine_versions", Attribute::optional(Type::string_list()))
        .attr("preferred_instance_classes", Attribute::optional(Type::string_list()))
        .attr("storage_type", Attribute::optional_computed(Type::String))
        .attr(
            "supported_engine_modes",
            Attribute::optional_computed(Type::string_list()),
        )
        .attr(
            "supported_network_types",
            Attribute::optional_computed(Type::string_list()),
        )
        .attr("vpc", Attribute::optional_computed(Type::Bool));
    for (name, _) in FLAG_FILTERS {
        b = b.attr(name, Attribute::optional_computed(Type::Bool));
    }
    b
}

/// What a configuration asks for, with Terraform's reading of it: empty strings, empty lists and
/// `false` are "not set".
#[derive(Debug, Default)]
struct Criteria {
    engine: String,
    engine_version: Option<String>,
    instance_class: Option<String>,
    license_model: Option<String>,
    availability_zone_group: Option<String>,
    vpc: bool,
    storage_type: Option<String>,
    /// The `FLAG_FILTERS` arguments set to `true`.
    flags: Vec<&'static str>,
    engine_modes: Vec<String>,
    network_types: Vec<String>,
    preferred_versions: Vec<String>,
    preferred_classes: Vec<String>,
    latest: bool,
}

impl Criteria {
    fn of(config: &Value) -> Criteria {
        let yes = |k: &str| config.get_bool(k) == Some(true);
        let list = |k: &str| -> Vec<String> { config.get_strings(k).into_iter().filter(|s| !s.is_empty()).collect() };
        Criteria {
            engine: str_attr(config, "engine").unwrap_or_default(),
            engine_version: str_attr(config, "engine_version"),
            instance_class: str_attr(config, "instance_class"),
            license_model: str_attr(config, "license_model"),
            availability_zone_group: str_attr(config, "availability_zone_group"),
            vpc: yes("vpc"),
            storage_type: str_attr(config, "storage_type"),
            flags: FLAG_FILTERS.iter().map(|(n, _)| *n).filter(|n| yes(n)).collect(),
            engine_modes: list("supported_engine_modes"),
            network_types: list("supported_network_types"),
            preferred_versions: list("preferred_engine_versions"),
            preferred_classes: list("preferred_instance_classes"),
            latest: yes("engine_latest_version"),
        }
    }

    /// The criteria every option must meet, as `name = value` pairs (for error messages).
    fn describe(&self) -> String {
        let mut parts = vec![format!("engine = {:?}", self.engine)];
        for (name, v) in [
            ("engine_version", &self.engine_version),
            ("instance_class", &self.instance_class),
            ("license_model", &self.license_model),
            ("availability_zone_group", &self.availability_zone_group),
            ("storage_type", &self.storage_type),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name} = {v:?}"));
            }
        }
        if self.vpc {
            parts.push("vpc = true".to_string());
        }
        parts.extend(self.flags.iter().map(|f| format!("{f} = true")));
        for (name, l) in [
            ("supported_engine_modes", &self.engine_modes),
            ("supported_network_types", &self.network_types),
        ] {
            if !l.is_empty() {
                parts.push(format!("{name} = {l:?}"));
            }
        }
        parts.join(", ")
    }

    /// The preferences, as `name = value` pairs (for error messages).
    fn describe_preferences(&self) -> String {
        let mut parts = Vec::new();
        for (name, l) in [
            ("preferred_instance_classes", &self.preferred_classes),
            ("preferred_engine_versions", &self.preferred_versions),
        ] {
            if !l.is_empty() {
                parts.push(format!("{name} = {l:?}"));
            }
        }
        if self.latest {
            parts.push("engine_latest_version = true".to_string());
        }
        parts.join(", ")
    }

    /// Whether an option of the answer meets the arguments checked after the call. `instance_class` and
    /// `license_model` are request parameters, checked again in case an endpoint (an emulator) ignores
    /// them; `engine_version` is not, as the service may match versions more loosely than by equality.
    fn keeps(&self, o: &OrderableDbInstanceOption) -> bool {
        let same = |want: &Option<String>, got: Option<&str>| want.as_deref().is_none_or(|w| got == Some(w));
        same(&self.instance_class, o.db_instance_class())
            && same(&self.license_model, o.license_model())
            && same(&self.storage_type, o.storage_type())
            && FLAG_FILTERS
                .iter()
                .filter(|(name, _)| self.flags.contains(name))
                .all(|(_, flag)| flag(o).unwrap_or(false))
    }
}

fn not_found(what: &str, cr: &Criteria) -> ProviderError {
    ProviderError::invalid(format!(
        "no RDS Orderable DB Instance Options found matching {what} ({}); try different search",
        cr.describe()
    ))
}

/// Terraform's choice among the options of the answer (see the module documentation).
fn choose(cr: &Criteria, options: Vec<OrderableDbInstanceOption>) -> Result<OrderableDbInstanceOption> {
    let mut found: Vec<_> = options.into_iter().filter(|o| cr.keeps(o)).collect();
    if found.is_empty() {
        return Err(not_found("criteria", cr));
    }
    for (name, wanted, offered) in [
        (
            "supported_engine_modes",
            &cr.engine_modes,
            OrderableDbInstanceOption::supported_engine_modes as fn(&OrderableDbInstanceOption) -> &[String],
        ),
        (
            "supported_network_types",
            &cr.network_types,
            OrderableDbInstanceOption::supported_network_types,
        ),
    ] {
        if wanted.is_empty() {
            continue;
        }
        found.retain(|o| offered(o).iter().any(|m| wanted.contains(m)));
        if found.is_empty() {
            return Err(not_found(&format!("{name} {wanted:?}"), cr));
        }
    }
    let mut preferred = false;
    if !cr.preferred_versions.is_empty() {
        // In the order of preference: the first option left is of the most preferred version offered.
        found = cr
            .preferred_versions
            .iter()
            .flat_map(|v| found.iter().filter(move |o| o.engine_version() == Some(v.as_str())))
            .cloned()
            .collect();
        if found.is_empty() {
            return Err(not_found(
                &format!("preferred_engine_versions {:?}", cr.preferred_versions),
                cr,
            ));
        }
        preferred = true;
    }
    if !cr.preferred_classes.is_empty() {
        let Some(class) = cr
            .preferred_classes
            .iter()
            .find(|k| found.iter().any(|o| o.db_instance_class() == Some(k.as_str())))
            .cloned()
        else {
            return Err(not_found(
                &format!("preferred_instance_classes {:?}", cr.preferred_classes),
                cr,
            ));
        };
        found.retain(|o| o.db_instance_class() == Some(class.as_str()));
        if !cr.latest {
            found.truncate(1);
        }
        preferred = true;
    }
    if preferred {
        if cr.latest {
            found.sort_by(|a, b| version_cmp(a.engine_version().unwrap_or(""), b.engine_version().unwrap_or("")));
            return Ok(found.pop().expect("a preference keeps at least one option"));
        }
        return Ok(found.swap_remove(0));
    }
    if found.len() == 1 {
        return Ok(found.remove(0));
    }
    // Terraform names the options only when there are a few.
    let listed = if found.len() <= 4 {
        let each: Vec<String> = found
            .iter()
            .map(|o| {
                format!(
                    "{} {}",
                    o.db_instance_class().unwrap_or("?"),
                    o.engine_version().unwrap_or("?")
                )
            })
            .collect();
        format!(" ({})", each.join(", "))
    } else {
        String::new()
    };
    let prefs = cr.describe_preferences();
    Err(ProviderError::invalid(format!(
        "multiple ({}) RDS DB Instance Classes{listed} match the criteria; try a different search: {}{}",
        found.len(),
        cr.describe(),
        if prefs.is_empty() {
            String::new()
        } else {
            format!(", {prefs}")
        }
    )))
}

/// Engine versions compared as versions: dot-separated parts, numbers as numbers (`11.13` after `11.9`),
/// other parts as text; a version that extends another comes after it.
fn version_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        let o = match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match (p.parse::<u64>(), q.parse::<u64>()) {
                (Ok(m), Ok(n)) => m.cmp(&n),
                _ => p.cmp(q),
            },
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

fn output(config: &Value, o: &OrderableDbInstanceOption) -> Value {
    let int = |n: Option<i32>| Value::opt_int(n);
    let float = |n: Option<f64>| n.map(Value::number).unwrap_or(Value::Null);
    let mut v = config
        .clone()
        .with("id", Value::opt_string(o.db_instance_class()))
        .with(
            "availability_zone_group",
            Value::opt_string(o.availability_zone_group()),
        )
        .with(
            "availability_zones",
            Value::string_list(o.availability_zones().iter().filter_map(|z| z.name())),
        )
        .with("engine", Value::opt_string(o.engine()))
        .with("engine_version", Value::opt_string(o.engine_version()))
        .with("instance_class", Value::opt_string(o.db_instance_class()))
        .with("license_model", Value::opt_string(o.license_model()))
        .with("max_iops_per_db_instance", int(o.max_iops_per_db_instance()))
        .with("max_iops_per_gib", float(o.max_iops_per_gib()))
        .with("max_storage_size", int(o.max_storage_size()))
        .with("min_iops_per_db_instance", int(o.min_iops_per_db_instance()))
        .with("min_iops_per_gib", float(o.min_iops_per_gib()))
        .with("min_storage_size", int(o.min_storage_size()))
        .with("storage_type", Value::opt_string(o.storage_type()))
        .with("supported_engine_modes", Value::string_list(o.supported_engine_modes()))
        .with(
            "supported_network_types",
            Value::string_list(o.supported_network_types()),
        );
    for (name, flag) in FLAG_FILTERS.iter().chain(FLAG_ATTRIBUTES) {
        v = v.with(name, Value::opt_bool(flag(o)));
    }
    v
}

#[async_trait]
impl DataSourceType<AwsClient> for RdsOrderableDbInstance {
    fn name(&self) -> &'static str {
        "aws_rds_orderable_db_instance"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let cr = Criteria::of(config);
        if cr.engine.is_empty() {
            return Err(ProviderError::invalid("engine is required"));
        }
        let options = c
            .rds()
            .describe_orderable_db_instance_options()
            .engine(&cr.engine)
            .set_engine_version(cr.engine_version.clone())
            .set_db_instance_class(cr.instance_class.clone())
            .set_license_model(cr.license_model.clone())
            .set_availability_zone_group(cr.availability_zone_group.clone())
            .set_vpc(cr.vpc.then_some(true))
            .max_records(1000)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(aws_err(
                "reading RDS Orderable DB Instance Options (rds:DescribeOrderableDBInstanceOptions)",
            ))?;
        let found = choose(&cr, options)?;
        Ok(complete(&block(), output(config, &found)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::AvailabilityZone;

    fn option(class: &str, version: &str) -> OrderableDbInstanceOption {
        OrderableDbInstanceOption::builder()
            .engine("mysql")
            .engine_version(version)
            .db_instance_class(class)
            .license_model("general-public-license")
            .storage_type("gp2")
            .availability_zones(AvailabilityZone::builder().name("us-east-1a").build())
            .supports_iops(class != "db.t3.micro")
            .supported_engine_modes("provisioned")
            .build()
    }

    fn answer() -> Vec<OrderableDbInstanceOption> {
        vec![
            option("db.t3.micro", "8.0.35"),
            option("db.t3.small", "8.0.35"),
            option("db.t3.small", "8.0.9"),
            option("db.m5.large", "8.0.35"),
            option("db.t3.small", "8.0.10"),
            option("db.m5.large", "5.7.44"),
        ]
    }

    fn pick(cfg: Value) -> Result<(String, String)> {
        let cfg = cfg.with("engine", Value::from("mysql"));
        choose(&Criteria::of(&cfg), answer()).map(|o| {
            (
                o.db_instance_class().unwrap().to_string(),
                o.engine_version().unwrap().to_string(),
            )
        })
    }

    fn got(class: &str, version: &str) -> (String, String) {
        (class.to_string(), version.to_string())
    }

    #[test]
    fn first_offered_preferred_class_wins() {
        let cfg = Value::map([(
            "preferred_instance_classes",
            Value::string_list(["db.r6g.large", "db.m5.large", "db.t3.small"]),
        )]);
        // The first db.m5.large of the answer, although db.t3.small comes earlier in it.
        assert_eq!(pick(cfg).unwrap(), got("db.m5.large", "8.0.35"));
    }

    #[test]
    fn preferred_versions_keep_their_order_and_latest_compares_versions() {
        let both = Value::map([
            ("preferred_instance_classes", Value::string_list(["db.t3.small"])),
            ("preferred_engine_versions", Value::string_list(["8.0.10", "8.0.35"])),
        ]);
        assert_eq!(pick(both.clone()).unwrap(), got("db.t3.small", "8.0.10"));
        let latest = both.with("engine_latest_version", Value::Bool(true));
        assert_eq!(pick(latest).unwrap(), got("db.t3.small", "8.0.35"));
        // All of the first preferred class, then the highest version (8.0.35 > 8.0.10 > 8.0.9).
        let latest_of_class = Value::map([
            ("preferred_instance_classes", Value::string_list(["db.t3.small"])),
            ("engine_latest_version", Value::Bool(true)),
        ]);
        assert_eq!(pick(latest_of_class).unwrap(), got("db.t3.small", "8.0.35"));
        let versions_only = Value::map([("preferred_engine_versions", Value::string_list(["5.7.44", "8.0.35"]))]);
        assert_eq!(pick(versions_only).unwrap(), got("db.m5.large", "5.7.44"));
    }

    #[test]
    fn filters_and_errors() {
        // `true` filters (db.t3.micro has no IOPS); `false` filters nothing, as in Terraform.
        let iops = Value::map([
            ("supports_iops", Value::Bool(true)),
            (
                "preferred_instance_classes",
                Value::string_list(["db.t3.micro", "db.t3.small"]),
            ),
        ]);
        assert_eq!(pick(iops).unwrap(), got("db.t3.small", "8.0.35"));
        let no_iops = Value::map([
            ("supports_iops", Value::Bool(false)),
            ("preferred_instance_classes", Value::string_list(["db.t3.micro"])),
        ]);
        assert_eq!(pick(no_iops).unwrap(), got("db.t3.micro", "8.0.35"));
        let one = Value::map([
            ("instance_class", Value::from("db.m5.large")),
            (
                "supported_engine_modes",
                Value::string_list(["serverless", "provisioned"]),
            ),
            ("license_model", Value::from("general-public-license")),
        ]);
        assert!(pick(one).unwrap_err().message.contains(
            "multiple (2) RDS DB Instance Classes (db.m5.large 8.0.35, db.m5.large 5.7.44) match the criteria"
        ));
        let many = pick(Value::empty_map()).unwrap_err();
        assert!(
            many.message.starts_with(
                "multiple (6) RDS DB Instance Classes match the criteria; try a different search: engine = \"mysql\""
            ),
            "{many}"
        );
        let none = pick(Value::map([("storage_type", Value::from("io1"))])).unwrap_err();
        assert_eq!(
            none.message,
            "no RDS Orderable DB Instance Options found matching criteria (engine = \"mysql\", storage_type = \"io1\"); try different search"
        );
        let modes = pick(Value::map([(
            "supported_engine_modes",
            Value::string_list(["serverless"]),
        )]))
        .unwrap_err();
        assert!(
            modes
                .message
                .contains("matching supported_engine_modes [\"serverless\"]"),
            "{modes}"
        );
        let classes = pick(Value::map([(
            "preferred_instance_classes",
            Value::string_list(["db.x1.huge"]),
        )]))
        .unwrap_err();
        assert!(
            classes
                .message
                .contains("matching preferred_instance_classes [\"db.x1.huge\"]"),
            "{classes}"
        );
    }

    #[test]
    fn versions_order_by_their_numbers() {
        assert_eq!(version_cmp("11.13", "11.9"), Ordering::Greater);
        assert_eq!(version_cmp("8.0", "8.0.1"), Ordering::Less);
        assert_eq!(version_cmp("15.2", "15.2"), Ordering::Equal);
        assert_eq!(
            version_cmp("8.0.mysql_aurora.3.10.0", "8.0.mysql_aurora.3.02.0"),
            Ordering::Greater
        );
    }

    #[test]
    fn schema_has_terraform_names() {
        let b = block();
        for name in [
            "availability_zone_group",
            "availability_zones",
            "engine",
            "engine_latest_version",
            "engine_version",
            "instance_class",
            "license_model",
            "max_storage_size",
            "min_storage_size",
            "multi_az_capable",
            "preferred_engine_versions",
            "preferred_instance_classes",
            "read_replica_capable",
            "supports_iops",
            "supports_multi_az",
            "vpc",
        ] {
            assert!(b.attributes.contains_key(name), "{name}");
        }
        assert!(b.attributes["engine"].required);
    }
}
