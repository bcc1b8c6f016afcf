//! `data "aws_rds_engine_version"`: one RDS engine version, chosen as Terraform's data source chooses it.
//! `DescribeDBEngineVersions` (every page, with supported character sets and time zones listed) takes
//! `engine`, `version` (a partial version such as `16` matches every 16.x: the service matches it),
//! `parameter_group_family`, `include_all`, `default_only` and the `filter` blocks. When no criterion is
//! set — none of `filter`, `has_major_target`, `has_minor_target`, `include_all`, `latest`, the
//! `preferred_*` lists and `version` (`parameter_group_family` is not one) — only the default version is
//! asked for, as if `default_only` were `true`.
//!
//! The answer is then narrowed, in this order: `preferred_versions` (every version equal to one listed,
//! in the order listed), `preferred_upgrade_targets` (the versions with one of those upgrade targets, in
//! the answer's order), `preferred_major_targets` (the same, major upgrade targets only),
//! `has_minor_target`, `has_major_target`. Then `latest` takes the most recent version (by creation time
//! when both versions have different ones, else by version number); otherwise a single version is taken,
//! or the first one left when a preference list was given. More than one version left is an error, as is
//! nothing found; the errors name the criteria sent.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::values::{complete, str_attr};
use async_trait::async_trait;
use aws_sdk_rds::types::{DbEngineVersion, Filter};
use infra_provider::{Attribute, Block, DataSourceType, ProviderError, Result, Schema, Type, Value};
use std::cmp::Ordering;

pub struct RdsEngineVersion;

type Flag = fn(&DbEngineVersion) -> Option<bool>;

/// The boolean attributes read from the chosen version.
const FLAGS: &[(&str, Flag)] = &[
    (
        "supports_certificate_rotation_without_restart",
        DbEngineVersion::supports_certificate_rotation_without_restart,
    ),
    ("supports_global_databases", DbEngineVersion::supports_global_databases),
    ("supports_integrations", DbEngineVersion::supports_integrations),
    (
        "supports_limitless_database",
        DbEngineVersion::supports_limitless_database,
    ),
    (
        "supports_local_write_forwarding",
        DbEngineVersion::supports_local_write_forwarding,
    ),
    (
        "supports_log_exports_to_cloudwatch",
        DbEngineVersion::supports_log_exports_to_cloudwatch_logs,
    ),
    ("supports_parallel_query", DbEngineVersion::supports_parallel_query),
    ("supports_read_replica", DbEngineVersion::supports_read_replica),
];

fn block() -> Block {
    let mut b = Block::new()
        .id()
        .attr("default_character_set", Attribute::computed(Type::String))
        .attr("default_only", Attribute::optional(Type::Bool))
        .attr("engine", Attribute::required(Type::String))
        .attr("engine_description", Attribute::computed(Type::String))
        .attr("exportable_log_types", Attribute::computed(Type::string_set()))
        .attr("has_major_target", Attribute::optional(Type::Bool))
        .attr("has_minor_target", Attribute::optional(Type::Bool))
        .attr("include_all", Attribute::optional(Type::Bool))
        .attr("latest", Attribute::optional(Type::Bool))
        .attr("parameter_group_family", Attribute::optional_computed(Type::String))
        .attr("preferred_major_targets", Attribute::optional(Type::string_list()))
        .attr("preferred_upgrade_targets", Attribute::optional(Type::string_list()))
        .attr("preferred_versions", Attribute::optional(Type::string_list()))
        .attr("status", Attribute::computed(Type::String))
        .attr("supported_character_sets", Attribute::computed(Type::string_set()))
        .attr("supported_feature_names", Attribute::computed(Type::string_set()))
        .attr("supported_modes", Attribute::computed(Type::string_set()))
        .attr("supported_timezones", Attribute::computed(Type::string_set()))
        .attr("valid_major_targets", Attribute::computed(Type::string_set()))
        .attr("valid_minor_targets", Attribute::computed(Type::string_set()))
        .attr("valid_upgrade_targets", Attribute::computed(Type::string_set()))
        .attr("version", Attribute::optional_computed(Type::String))
        .attr("version_actual", Attribute::computed(Type::String))
        .attr("version_description", Attribute::computed(Type::String))
        .block("filter", super::vpc::filter_block());
    for (name, _) in FLAGS {
        b = b.attr(name, Attribute::computed(Type::Bool));
    }
    b
}

/// What a configuration asks for, with Terraform's reading of it: empty strings and `false` are "not set"
/// (but see `default_only`).
#[derive(Debug, Default)]
struct Criteria {
    engine: String,
    version: Option<String>,
    parameter_group_family: Option<String>,
    include_all: bool,
    /// `DefaultOnly` as sent: `default_only = true`, or implied when no criterion is set.
    default_only: bool,
    filters: Vec<(String, Vec<String>)>,
    preferred_versions: Vec<String>,
    preferred_upgrade_targets: Vec<String>,
    preferred_major_targets: Vec<String>,
    has_minor_target: bool,
    has_major_target: bool,
    latest: bool,
}

impl Criteria {
    fn of(config: &Value) -> Criteria {
        let yes = |k: &str| config.get_bool(k) == Some(true);
        let filters: Vec<(String, Vec<String>)> = config
            .get_list("filter")
            .iter()
            .filter_map(|f| Some((f.get_str("name")?.to_string(), f.get_strings("values"))))
            .collect();
        let mut cr = Criteria {
            engine: str_attr(config, "engine").unwrap_or_default(),
            version: str_attr(config, "version"),
            parameter_group_family: str_attr(config, "parameter_group_family"),
            include_all: yes("include_all"),
            default_only: yes("default_only"),
            filters,
            preferred_versions: config.get_strings("preferred_versions"),
            preferred_upgrade_targets: config.get_strings("preferred_upgrade_targets"),
            preferred_major_targets: config.get_strings("preferred_major_targets"),
            has_minor_target: yes("has_minor_target"),
            has_major_target: yes("has_major_target"),
            latest: yes("latest"),
        };
        // Terraform counts `version` as a criterion whenever it is a string, even an empty one.
        let criterion = !cr.filters.is_empty()
            || cr.has_major_target
            || cr.has_minor_target
            || cr.include_all
            || cr.latest
            || !cr.preferred_major_targets.is_empty()
            || !cr.preferred_upgrade_targets.is_empty()
            || !cr.preferred_versions.is_empty()
            || config.get_str("version").is_some();
        cr.default_only |= !criterion;
        cr
    }

    /// The request's criteria, as `name = value` pairs (for error messages).
    fn describe(&self) -> String {
        let mut parts = vec![format!("engine = {:?}", self.engine)];
        for (name, v) in [
            ("version", &self.version),
            ("parameter_group_family", &self.parameter_group_family),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name} = {v:?}"));
            }
        }
        if self.include_all {
            parts.push("include_all = true".to_string());
        }
        if self.default_only {
            parts.push("default_only = true".to_string());
        }
        parts.extend(self.filters.iter().map(|(n, v)| format!("filter {n:?} = {v:?}")));
        parts.join(", ")
    }
}

fn no_match(what: &str, cr: &Criteria) -> ProviderError {
    ProviderError::invalid(format!(
        "no RDS engine versions match the criteria and {what}: {}",
        cr.describe()
    ))
}

fn has_target(v: &DbEngineVersion, wanted: impl Fn(&str, bool) -> bool) -> bool {
    v.valid_upgrade_target().iter().any(|t| {
        wanted(
            t.engine_version().unwrap_or(""),
            t.is_major_version_upgrade().unwrap_or(false),
        )
    })
}

/// Terraform's choice among the versions of the answer (see the module documentation).
fn choose(cr: &Criteria, mut found: Vec<DbEngineVersion>) -> Result<DbEngineVersion> {
    if found.is_empty() {
        return Err(ProviderError::invalid(format!(
            "no RDS engine versions found: {}",
            cr.describe()
        )));
    }
    let mut preferred = false;
    if !cr.preferred_versions.is_empty() {
        found = cr
            .preferred_versions
            .iter()
            .flat_map(|p| found.iter().filter(move |v| v.engine_version() == Some(p.as_str())))
            .cloned()
            .collect();
        if found.is_empty() {
            return Err(no_match(&format!("preferred versions {:?}", cr.preferred_versions), cr));
        }
        preferred = true;
    }
    if !cr.preferred_upgrade_targets.is_empty() {
        found.retain(|v| has_target(v, |t, _| cr.preferred_upgrade_targets.iter().any(|p| p == t)));
        if found.is_empty() {
            return Err(no_match(
                &format!("preferred upgrade targets {:?}", cr.preferred_upgrade_targets),
                cr,
            ));
        }
        preferred = true;
    }
    if !cr.preferred_major_targets.is_empty() {
        found.retain(|v| has_target(v, |t, major| major && cr.preferred_major_targets.iter().any(|p| p == t)));
        if found.is_empty() {
            return Err(no_match(
                &format!("preferred major targets {:?}", cr.preferred_major_targets),
                cr,
            ));
        }
        preferred = true;
    }
    if cr.has_minor_target {
        found.retain(|v| has_target(v, |_, major| !major));
        if found.is_empty() {
            return Err(no_match("have a minor target", cr));
        }
    }
    if cr.has_major_target {
        found.retain(|v| has_target(v, |_, major| major));
        if found.is_empty() {
            return Err(no_match("have a major target", cr));
        }
    }
    if cr.latest {
        // The last of the versions sorted by `newer` (the last of equals, as a stable sort leaves them).
        return Ok(found.into_iter().max_by(newer).expect("at least one version is left"));
    }
    if found.len() == 1 || preferred {
        return Ok(found.swap_remove(0));
    }
    let each: Vec<&str> = found.iter().map(|v| v.engine_version().unwrap_or("?")).collect();
    Err(ProviderError::invalid(format!(
        "multiple RDS engine versions ({}) match the criteria: {}",
        each.join(", "),
        cr.describe()
    )))
}

/// The order `latest` picks the last of: by creation time when both versions have one and they differ,
/// else by version.
fn newer(a: &DbEngineVersion, b: &DbEngineVersion) -> Ordering {
    let time = |v: &DbEngineVersion| v.create_time().map(|t| (t.secs(), t.subsec_nanos()));
    match (time(a), time(b)) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        _ => version_cmp(a.engine_version().unwrap_or(""), b.engine_version().unwrap_or("")),
    }
}

/// Engine versions compared as versions, best effort (as Terraform's): dot-separated parts, each a run of
/// digits (compared as numbers) and letters (compared as text), so `16.10` comes after `16.9` and
/// `ru-2024-10` after `ru-2024-7`; when the common parts are equal, the whole texts are compared
/// (`8.0` before `8.0.1`).
fn version_cmp(a: &str, b: &str) -> Ordering {
    fn runs(part: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut run: Option<(usize, bool)> = None;
        for (i, c) in part.char_indices().chain([(part.len(), '.')]) {
            let kind = c.is_ascii_alphanumeric().then(|| c.is_ascii_digit());
            if let Some((start, digits)) = run {
                if kind == Some(digits) {
                    continue;
                }
                out.push(&part[start..i]);
            }
            run = kind.map(|k| (i, k));
        }
        out
    }
    fn cmp_run(x: &str, y: &str) -> Ordering {
        match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        }
    }
    for (p, q) in a.split('.').zip(b.split('.')) {
        if p == q {
            continue;
        }
        let o = match (p.parse::<u64>(), q.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => runs(p)
                .into_iter()
                .zip(runs(q))
                .map(|(x, y)| cmp_run(x, y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        };
        if o.is_ne() {
            return o;
        }
    }
    a.cmp(b)
}

fn output(config: &Value, v: &DbEngineVersion) -> Value {
    let targets = |major: Option<bool>| {
        Value::string_set(
            v.valid_upgrade_target()
                .iter()
                .filter(|t| major.is_none_or(|m| t.is_major_version_upgrade().unwrap_or(false) == m))
                .filter_map(|t| t.engine_version()),
        )
    };
    let mut out = config
        .clone()
        .with("id", Value::opt_string(v.engine_version()))
        .with(
            "default_character_set",
            Value::opt_string(v.default_character_set().and_then(|c| c.character_set_name())),
        )
        .with("engine", Value::opt_string(v.engine()))
        .with("engine_description", Value::opt_string(v.db_engine_description()))
        .with("exportable_log_types", Value::string_set(v.exportable_log_types()))
        .with(
            "parameter_group_family",
            Value::opt_string(v.db_parameter_group_family()),
        )
        .with("status", Value::opt_string(v.status()))
        .with(
            "supported_character_sets",
            Value::string_set(
                v.supported_character_sets()
                    .iter()
                    .filter_map(|c| c.character_set_name()),
            ),
        )
        .with(
            "supported_feature_names",
            Value::string_set(v.supported_feature_names()),
        )
        .with("supported_modes", Value::string_set(v.supported_engine_modes()))
        .with(
            "supported_timezones",
            Value::string_set(v.supported_timezones().iter().filter_map(|t| t.timezone_name())),
        )
        .with("valid_upgrade_targets", targets(None))
        .with("valid_major_targets", targets(Some(true)))
        .with("valid_minor_targets", targets(Some(false)))
        .with("version", Value::opt_string(v.engine_version()))
        .with("version_actual", Value::opt_string(v.engine_version()))
        .with(
            "version_description",
            Value::opt_string(v.db_engine_version_description()),
        );
    for (name, flag) in FLAGS {
        out = out.with(name, Value::opt_bool(flag(v)));
    }
    out
}

#[async_trait]
impl DataSourceType<AwsClient> for RdsEngineVersion {
    fn name(&self) -> &'static str {
        "aws_rds_engine_version"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, config: &Value) -> Result<Value> {
        let cr = Criteria::of(config);
        if cr.engine.is_empty() {
            return Err(ProviderError::invalid("engine is required"));
        }
        let filters: Vec<Filter> = cr
            .filters
            .iter()
            .map(|(name, values)| Filter::builder().name(name).set_values(Some(values.clone())).build())
            .collect();
        let versions = c
            .rds()
            .describe_db_engine_versions()
            .list_supported_character_sets(true)
            .list_supported_timezones(true)
            .engine(&cr.engine)
            .set_filters((!filters.is_empty()).then_some(filters))
            .set_db_parameter_group_family(cr.parameter_group_family.clone())
            .set_engine_version(cr.version.clone())
            .set_include_all(cr.include_all.then_some(true))
            .set_default_only(cr.default_only.then_some(true))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(aws_err("reading RDS engine versions (rds:DescribeDBEngineVersions)"))?;
        let found = choose(&cr, versions)?;
        Ok(complete(&block(), output(config, &found)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::UpgradeTarget;
    use aws_smithy_types::DateTime;

    fn version(v: &str, created: i64, targets: &[(&str, bool)]) -> DbEngineVersion {
        let mut b = DbEngineVersion::builder()
            .engine("postgres")
            .engine_version(v)
            .create_time(DateTime::from_secs(created));
        for (t, major) in targets {
            b = b.valid_upgrade_target(
                UpgradeTarget::builder()
                    .engine_version(*t)
                    .is_major_version_upgrade(*major)
                    .build(),
            );
        }
        b.build()
    }

    fn answer() -> Vec<DbEngineVersion> {
        vec![
            version("15.7", 100, &[("15.8", false), ("16.4", true)]),
            version("15.8", 300, &[("16.4", true)]),
            version("16.3", 100, &[("16.4", false)]),
            version("16.4", 300, &[]),
        ]
    }

    fn pick(cfg: Value) -> Result<String> {
        let cfg = cfg.with("engine", Value::from("postgres"));
        choose(&Criteria::of(&cfg), answer()).map(|v| v.engine_version().unwrap().to_string())
    }

    #[test]
    fn default_only_is_implied_without_criteria() {
        let of = |cfg: Value| Criteria::of(&cfg.with("engine", Value::from("postgres"))).default_only;
        assert!(of(Value::empty_map()));
        // parameter_group_family and default_only = false are not criteria; an empty version is.
        assert!(of(Value::map([("parameter_group_family", Value::from("postgres16"))])));
        assert!(of(Value::map([("default_only", Value::Bool(false))])));
        assert!(!of(Value::map([("version", Value::from(""))])));
        assert!(!of(Value::map([("latest", Value::Bool(true))])));
        assert!(!of(Value::map([("preferred_versions", Value::string_list(["16.4"]))])));
        assert!(of(Value::map([("latest", Value::Bool(false))])));
        assert!(of(Value::map([
            ("default_only", Value::Bool(true)),
            ("latest", Value::Bool(true))
        ])));
    }

    #[test]
    fn preferences_narrow_in_order() {
        let pv = Value::map([("preferred_versions", Value::string_list(["17.1", "16.3", "15.7"]))]);
        assert_eq!(pick(pv.clone()).unwrap(), "16.3");
        assert_eq!(pick(pv.with("latest", Value::Bool(true))).unwrap(), "16.3");
        // Upgrade targets keep the answer's order; major targets only count when major.
        let ut = Value::map([("preferred_upgrade_targets", Value::string_list(["16.4"]))]);
        assert_eq!(pick(ut).unwrap(), "15.7");
        let mt = Value::map([
            ("preferred_versions", Value::string_list(["16.3", "15.8"])),
            ("preferred_major_targets", Value::string_list(["16.4"])),
        ]);
        assert_eq!(pick(mt).unwrap(), "15.8");
        let minor = Value::map([
            ("has_minor_target", Value::Bool(true)),
            ("has_major_target", Value::Bool(true)),
        ]);
        assert_eq!(pick(minor).unwrap(), "15.7");
        let e = pick(Value::map([("preferred_major_targets", Value::string_list(["16.3"]))])).unwrap_err();
        assert_eq!(
            e.message,
            "no RDS engine versions match the criteria and preferred major targets [\"16.3\"]: engine = \"postgres\""
        );
    }

    #[test]
    fn latest_is_by_creation_time_then_version() {
        // 15.8 and 16.4 were created together: the version decides. 16.3 is older than 15.8.
        assert_eq!(pick(Value::map([("latest", Value::Bool(true))])).unwrap(), "16.4");
        let older = Value::map([
            ("latest", Value::Bool(true)),
            ("preferred_versions", Value::string_list(["16.3", "15.8"])),
        ]);
        assert_eq!(pick(older).unwrap(), "15.8");
        let many = pick(Value::map([("has_major_target", Value::Bool(true))])).unwrap_err();
        assert_eq!(
            many.message,
            "multiple RDS engine versions (15.7, 15.8) match the criteria: engine = \"postgres\""
        );
    }

    #[test]
    fn versions_order_by_their_numbers() {
        assert_eq!(version_cmp("16.10", "16.9"), Ordering::Greater);
        assert_eq!(version_cmp("8.0", "8.0.1"), Ordering::Less);
        assert_eq!(version_cmp("15.2", "15.2"), Ordering::Equal);
        assert_eq!(
            version_cmp("8.0.mysql_aurora.3.10.0", "8.0.mysql_aurora.3.02.0"),
            Ordering::Greater
        );
        assert_eq!(
            version_cmp(
                "19.0.0.0.ru-2024-10.rur-2024-10.r1",
                "19.0.0.0.ru-2024-7.rur-2024-07.r1"
            ),
            Ordering::Greater
        );
    }

    #[test]
    fn schema_has_terraform_names() {
        let b = block();
        for name in [
            "default_character_set",
            "default_only",
            "engine",
            "engine_description",
            "exportable_log_types",
            "has_major_target",
            "has_minor_target",
            "include_all",
            "latest",
            "parameter_group_family",
            "preferred_major_targets",
            "preferred_upgrade_targets",
            "preferred_versions",
            "status",
            "supported_character_sets",
            "supported_feature_names",
            "supported_modes",
            "supported_timezones",
            "supports_certificate_rotation_without_restart",
            "supports_global_databases",
            "supports_integrations",
            "supports_limitless_database",
            "supports_local_write_forwarding",
            "supports_log_exports_to_cloudwatch",
            "supports_parallel_query",
            "supports_read_replica",
            "valid_major_targets",
            "valid_minor_targets",
            "valid_upgrade_targets",
            "version",
            "version_actual",
            "version_description",
        ] {
            assert!(b.attributes.contains_key(name), "{name}");
        }
        assert!(b.attributes["engine"].required);
        assert!(b.blocks.contains_key("filter"));
    }
}
