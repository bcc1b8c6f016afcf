//! `aws_db_instance`: an RDS DB instance (written for PostgreSQL, general for the single-instance
//! engines). `id` is the DBI resource ID (`db-...`), as Terraform v5; `identifier` names the instance.
//!
//! Changes: most arguments change in place with `ModifyDBInstance` (instance class, engine version, storage,
//! backups, windows, security groups, parameter group, password, Multi-AZ, deletion protection...),
//! applied now or at the next maintenance window per `apply_immediately`. A major engine version change
//! must be allowed with `allow_major_version_upgrade`. The identifier, engine, `db_name`, `username`,
//! `db_subnet_group_name`, `storage_encrypted`, `kms_key_id` and `availability_zone` force replacement.
//! Create waits until the instance is `available`, as does every modify; delete waits until it is gone
//! (Terraform's default timeouts: 40 minutes to create, 80 to update, 60 to delete).
//!
//! Batched read: one `DescribeDBInstances` call filtered on all the identifiers (`db-instance-id`, 100 per
//! call, paginated); tags come back in it (`TagList`), so N instances cost one call.
//! Import ID: the identifier, as Terraform. An interrupted create is found by its identifier (given, or
//! derived from the client token) when the instance carries this operation's ownership tags.
//! The password is never read back (RDS does not return it) and never appears in an error.
//! `password_wo` (write-only, Terraform 1.11) is a password sent and never kept: on create, and on an
//! update when `password_wo_version` (kept from the prior state) changes (hashicorp/aws 5.100: it conflicts
//! with `password` and `manage_master_user_password`; `password_wo` and `password_wo_version` each require
//! the other).

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::rds::{owned_by, tag_list, tag_pairs, update_tags};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, false_as_prior, partial_object, single, str_attr, unique_name,
};
use async_trait::async_trait;
use aws_sdk_rds::types::{DbInstance as RdsInstance, Filter};
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result,
    Schema, Timeouts, Type, Value, wait_for,
};
use std::collections::HashMap;

pub struct DbInstance;

/// Most values one RDS filter takes.
const FILTER_MAX: usize = 100;

fn secret_block() -> Block {
    Block::new()
        .attr("kms_key_id", Attribute::computed(Type::String))
        .attr("secret_arn", Attribute::computed(Type::String))
        .attr("secret_status", Attribute::computed(Type::String))
}

/// `Check::Fn` for `identifier`: lowercase letters, digits and single hyphens, starting with a letter, at
/// most 63 characters.
fn identifier(v: &Value) -> std::result::Result<(), String> {
    let Some(id) = v.as_str() else { return Ok(()) };
    if id.is_empty()
        || id.len() > 63
        || !id.starts_with(|ch: char| ch.is_ascii_lowercase())
        || !id
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        || id.ends_with('-')
        || id.contains("--")
    {
        return Err(format!(
            "identifier {id:?}: only lowercase letters, digits and single hyphens, starting with a letter, at most \
             63 characters"
        ));
    }
    Ok(())
}

/// `Check::Fn` for `performance_insights_retention_period`: 7, 731, or a number of months times 31.
fn insights_retention(v: &Value) -> std::result::Result<(), String> {
    match v.as_i64() {
        Some(n) if n == 7 || n == 731 || (n % 31 == 0 && (31..=713).contains(&n)) => Ok(()),
        Some(n) => Err(format!(
            "expected 7, 731 or a multiple of 31 between 31 and 713 (months × 31), got {n}."
        )),
        None => Ok(()),
    }
}

fn block() -> Block {
    let oc = Attribute::optional_computed;
    Block::new()
        .id()
        .attr("address", Attribute::computed(Type::String))
        .attr("allocated_storage", oc(Type::Number).check(Check::IntRange(5, 65536)))
        .attr("allow_major_version_upgrade", Attribute::optional(Type::Bool))
        .attr("apply_immediately", Attribute::optional(Type::Bool))
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "auto_minor_version_upgrade",
            Attribute::optional(Type::Bool).default(true),
        )
        .attr("availability_zone", oc(Type::String).force_new())
        .attr(
            "backup_retention_period",
            oc(Type::Number).check(Check::IntRange(0, 35)),
        )
        .attr(
            "backup_window",
            oc(Type::String).check(Check::Fn(crate::values::daily_window)),
        )
        .attr("ca_cert_identifier", oc(Type::String))
        .attr("character_set_name", oc(Type::String).force_new())
        .attr("copy_tags_to_snapshot", Attribute::optional(Type::Bool).default(false))
        .attr("db_name", oc(Type::String).force_new())
        .attr("db_subnet_group_name", oc(Type::String).force_new())
        .attr(
            "delete_automated_backups",
            Attribute::optional(Type::Bool).default(true),
        )
        .attr("deletion_protection", Attribute::optional(Type::Bool))
        .attr(
            "enabled_cloudwatch_logs_exports",
            Attribute::optional(Type::string_set()),
        )
        .attr("endpoint", Attribute::computed(Type::String))
        .attr("engine", oc(Type::String).force_new())
        .attr("engine_version", oc(Type::String))
        .attr("engine_version_actual", Attribute::computed(Type::String))
        .attr("final_snapshot_identifier", Attribute::optional(Type::String))
        .attr("hosted_zone_id", Attribute::computed(Type::String))
        .attr("iam_database_authentication_enabled", Attribute::optional(Type::Bool))
        .attr(
            "identifier",
            oc(Type::String)
                .force_new()
                .check(Check::Fn(identifier))
                .conflicts_with(&["identifier_prefix"]),
        )
        .attr(
            "identifier_prefix",
            oc(Type::String)
                .force_new()
                .check(Check::Length(1, 37))
                .conflicts_with(&["identifier"]),
        )
        .attr("instance_class", Attribute::required(Type::String))
        .attr("iops", oc(Type::Number))
        .attr("kms_key_id", oc(Type::String).force_new())
        .attr("license_model", oc(Type::String))
        .attr(
            "maintenance_window",
            oc(Type::String).check(Check::Fn(crate::values::weekly_window)),
        )
        .attr("manage_master_user_password", Attribute::optional(Type::Bool))
        .block("master_user_secret", NestedBlock::list(secret_block()).computed())
        .attr("master_user_secret_kms_key_id", oc(Type::String))
        .attr(
            "max_allocated_storage",
            Attribute::optional(Type::Number).check(Check::IntRange(0, 65536)),
        )
        .attr(
            "monitoring_interval",
            Attribute::optional(Type::Number)
                .default(0)
                .check(Check::IntOneOf(&[0, 1, 5, 10, 15, 30, 60])),
        )
        .attr("monitoring_role_arn", oc(Type::String))
        .attr("multi_az", oc(Type::Bool))
        .attr("network_type", oc(Type::String).one_of(&["IPV4", "DUAL"]))
        .attr("option_group_name", oc(Type::String))
        .attr("parameter_group_name", oc(Type::String))
        .attr("password", Attribute::optional(Type::String).sensitive())
        .attr(
            "password_wo",
            Attribute::optional(Type::String)
                .write_only()
                .conflicts_with(&["manage_master_user_password", "password"]),
        )
        .attr(
            "password_wo_version",
            Attribute::optional(Type::Number).check(Check::IntRange(i64::MIN, i64::MAX)),
        )
        .attr(
            "performance_insights_enabled",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("performance_insights_kms_key_id", oc(Type::String))
        .attr(
            "performance_insights_retention_period",
            oc(Type::Number).check(Check::Fn(insights_retention)),
        )
        .attr("port", oc(Type::Number).check(Check::IntRange(0, 65535)))
        .attr("publicly_accessible", Attribute::optional(Type::Bool).default(false))
        .attr("replicas", Attribute::computed(Type::string_list()))
        .attr("resource_id", Attribute::computed(Type::String))
        .attr("skip_final_snapshot", Attribute::optional(Type::Bool).default(false))
        .attr("status", Attribute::computed(Type::String))
        .attr(
            "storage_encrypted",
            // No default: Terraform plans null when it is left out, and stores the `false` it reads back.
            Attribute::optional(Type::Bool).force_new(),
        )
        .attr("storage_throughput", oc(Type::Number))
        .attr(
            "storage_type",
            oc(Type::String).one_of(&["standard", "gp2", "gp3", "io1", "io2", "aurora", "aurora-iopt1"]),
        )
        .attr("timezone", oc(Type::String).force_new())
        .attr("username", oc(Type::String).force_new())
        .attr("vpc_security_group_ids", oc(Type::string_set()))
        .tags()
}

/// Arguments only known from the configuration (not returned by RDS): kept from the prior state.
const CARRIED: &[(&str, Option<bool>)] = &[
    ("allow_major_version_upgrade", None),
    ("apply_immediately", None),
    ("delete_automated_backups", Some(true)),
    ("final_snapshot_identifier", None),
    ("skip_final_snapshot", Some(false)),
    ("password", None),
    ("password_wo_version", None),
    ("identifier_prefix", None),
];

fn flatten(c: &AwsClient, d: &RdsInstance, prior: &Value) -> Value {
    let identifier = d.db_instance_identifier().unwrap_or_default();
    let ep = d.endpoint();
    let address = ep.and_then(|e| e.address());
    let port = ep.and_then(|e| e.port()).or(d.db_instance_port().filter(|p| *p > 0));
    let engine_version = d.engine_version().unwrap_or_default();
    // A configured version prefix ("16") stays as written while the instance runs a matching version.
    let version = match prior.get_str("engine_version") {
        Some(p) if engine_version == p || engine_version.starts_with(&format!("{p}.")) => p.to_string(),
        _ => engine_version.to_string(),
    };
    let secret = d.master_user_secret().map(|s| {
        Value::map([
            ("kms_key_id", Value::opt_string(s.kms_key_id())),
            ("secret_arn", Value::opt_string(s.secret_arn())),
            ("secret_status", Value::opt_string(s.secret_status())),
        ])
    });
    let manage = d.master_user_secret().is_some();
    let mut obj = Value::map([
        ("id", Value::opt_string(d.dbi_resource_id())),
        ("resource_id", Value::opt_string(d.dbi_resource_id())),
        ("identifier", Value::string(identifier)),
        ("arn", Value::opt_string(d.db_instance_arn())),
        ("address", Value::opt_string(address)),
        (
            "endpoint",
            Value::opt_string(address.map(|a| match port {
                Some(p) => format!("{a}:{p}"),
                None => a.to_string(),
            })),
        ),
        ("hosted_zone_id", Value::opt_string(ep.and_then(|e| e.hosted_zone_id()))),
        ("port", Value::opt_int(port.map(i64::from))),
        (
            "allocated_storage",
            Value::opt_int(d.allocated_storage().map(i64::from)),
        ),
        (
            "max_allocated_storage",
            Value::opt_int(
                d.max_allocated_storage()
                    .filter(|m| Some(*m) != d.allocated_storage() && *m > 0)
                    .map(i64::from),
            ),
        ),
        (
            "auto_minor_version_upgrade",
            Value::Bool(d.auto_minor_version_upgrade().unwrap_or(true)),
        ),
        ("availability_zone", Value::opt_string(d.availability_zone())),
        (
            "backup_retention_period",
            Value::opt_int(d.backup_retention_period().map(i64::from)),
        ),
        ("backup_window", Value::opt_string(d.preferred_backup_window())),
        ("ca_cert_identifier", Value::opt_string(d.ca_certificate_identifier())),
        ("character_set_name", Value::opt_string(d.character_set_name())),
        (
            "copy_tags_to_snapshot",
            Value::Bool(d.copy_tags_to_snapshot().unwrap_or(false)),
        ),
        ("db_name", Value::opt_string(d.db_name())),
        (
            "db_subnet_group_name",
            Value::opt_string(d.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
        ),
        (
            "deletion_protection",
            false_as_prior(prior, "deletion_protection", d.deletion_protection()),
        ),
        (
            "enabled_cloudwatch_logs_exports",
            if d.enabled_cloudwatch_logs_exports().is_empty() {
                Value::Null
            } else {
                Value::string_set(d.enabled_cloudwatch_logs_exports())
            },
        ),
        ("engine", Value::opt_string(d.engine())),
        ("engine_version", Value::string(version)),
        ("engine_version_actual", Value::string(engine_version)),
        (
            "iam_database_authentication_enabled",
            false_as_prior(
                prior,
                "iam_database_authentication_enabled",
                d.iam_database_authentication_enabled(),
            ),
        ),
        ("instance_class", Value::opt_string(d.db_instance_class())),
        ("iops", Value::opt_int(d.iops().map(i64::from))),
        ("kms_key_id", Value::opt_string(d.kms_key_id())),
        ("license_model", Value::opt_string(d.license_model())),
        (
            "maintenance_window",
            Value::opt_string(d.preferred_maintenance_window()),
        ),
        (
            "manage_master_user_password",
            if manage {
                Value::Bool(true)
            } else {
                false_as_prior(prior, "manage_master_user_password", Some(false))
            },
        ),
        ("master_user_secret", Value::List(secret.into_iter().collect())),
        (
            "master_user_secret_kms_key_id",
            Value::opt_string(d.master_user_secret().and_then(|s| s.kms_key_id())),
        ),
        (
            "monitoring_interval",
            Value::int(d.monitoring_interval().unwrap_or(0) as i64),
        ),
        ("monitoring_role_arn", Value::opt_string(d.monitoring_role_arn())),
        ("multi_az", Value::Bool(d.multi_az().unwrap_or(false))),
        ("network_type", Value::opt_string(d.network_type())),
        (
            "option_group_name",
            Value::opt_string(d.option_group_memberships().first().and_then(|o| o.option_group_name())),
        ),
        (
            "parameter_group_name",
            Value::opt_string(
                d.db_parameter_groups()
                    .first()
                    .and_then(|g| g.db_parameter_group_name()),
            ),
        ),
        (
            "performance_insights_enabled",
            Value::Bool(d.performance_insights_enabled().unwrap_or(false)),
        ),
        (
            "performance_insights_kms_key_id",
            Value::opt_string(d.performance_insights_kms_key_id()),
        ),
        (
            "performance_insights_retention_period",
            Value::opt_int(d.performance_insights_retention_period().map(i64::from)),
        ),
        (
            "publicly_accessible",
            Value::Bool(d.publicly_accessible().unwrap_or(false)),
        ),
        ("replicas", Value::string_list(d.read_replica_db_instance_identifiers())),
        ("status", Value::opt_string(d.db_instance_status())),
        (
            "storage_encrypted",
            false_as_prior(prior, "storage_encrypted", d.storage_encrypted()),
        ),
        (
            "storage_throughput",
            Value::opt_int(d.storage_throughput().map(i64::from)),
        ),
        ("storage_type", Value::opt_string(d.storage_type())),
        ("timezone", Value::opt_string(d.timezone())),
        ("username", Value::opt_string(d.master_username())),
        (
            "vpc_security_group_ids",
            Value::string_set(d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id())),
        ),
    ]);
    for (k, default) in CARRIED {
        obj.set_attr(
            k,
            crate::values::carry(prior, k, default.map(Value::Bool).unwrap_or(Value::Null)),
        );
    }
    if let Some(p) = str_attr(prior, "identifier_prefix")
        && !identifier.starts_with(&p)
    {
        obj.set_attr("identifier_prefix", Value::Null);
    }
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(d.tag_list()));
    complete(&block(), obj)
}

async fn describe(c: &AwsClient, identifiers: &[String]) -> Result<Vec<RdsInstance>> {
    let mut out = Vec::new();
    for chunk in identifiers.chunks(FILTER_MAX) {
        let found: Vec<_> = c
            .rds()
            .describe_db_instances()
            .filters(
                Filter::builder()
                    .name("db-instance-id")
                    .set_values(Some(chunk.to_vec()))
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading RDS DB instances"))?;
        out.extend(found);
    }
    Ok(out)
}

fn identifier_of(p: &Value) -> Option<String> {
    str_attr(p, "identifier")
}

async fn read_instances(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let ids = crate::values::keys_of(priors, "identifier");
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| identifier_of(p).map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for d in describe(c, &ids).await? {
        if d.db_instance_status() == Some("deleting") {
            continue;
        }
        let id = d.db_instance_identifier().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
        results.insert(id, flatten(c, &d, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, identifier: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::without_unknowns(prior).with("identifier", Value::string(identifier));
    single(
        read_instances(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], identifier_of),
    )
}

/// Statuses on the way to `available`.
const PENDING: &[&str] = &[
    "backing-up",
    "configuring-enhanced-monitoring",
    "configuring-iam-database-auth",
    "configuring-log-exports",
    "creating",
    "maintenance",
    "modifying",
    "moving-to-vpc",
    "rebooting",
    "renaming",
    "resetting-master-credentials",
    "starting",
    "upgrading",
];

/// Waits until the instance is `available` (or optimizing storage, which serves traffic) and reads it.
async fn wait_available(c: &AwsClient, ctx: &OpContext, identifier: &str, planned: &Value) -> Result<Value> {
    wait_for(ctx, "DB instance available", || async {
        let found = describe(c, &[identifier.to_string()]).await?;
        let Some(d) = found.first() else {
            return Ok(Poll::Pending("not visible yet".into()));
        };
        match d.db_instance_status().unwrap_or("available") {
            "available" | "storage-optimization" => Ok(Poll::Ready(())),
            s if PENDING.contains(&s) => Ok(Poll::Pending(s.to_string())),
            s => Err(ProviderError::api(
                "InvalidDBInstanceState",
                format!("RDS DB instance {identifier} is {s}"),
            )),
        }
    })
    .await?;
    read_one(c, identifier, planned)
        .await?
        .ok_or_else(|| ProviderError::new(format!("RDS DB instance {identifier} vanished")))
}

fn identifier_for(ctx: &OpContext, planned: &Value) -> String {
    str_attr(planned, "identifier")
        .unwrap_or_else(|| unique_name(str_attr(planned, "identifier_prefix").as_deref(), &ctx.client_token))
        .to_ascii_lowercase()
}

/// The master password to send: the write-only `password_wo` when set (only an apply's planned object
/// has it), else `password`.
fn password_of(planned: &Value) -> Option<String> {
    str_attr(planned, "password_wo").or_else(|| str_attr(planned, "password"))
}

fn int(v: &Value, k: &str) -> Option<i32> {
    v.get_i64(k).map(|n| n as i32)
}

/// The major version of an engine version: `16` of `16.3`, `5.7` of `5.7.44` (MySQL before 8).
fn major(engine: &str, version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    let two = matches!(engine, "mysql" | "mariadb") && parts.first().is_some_and(|p| *p == "5")
        || engine == "postgres"
            && parts
                .first()
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|m| m < 10);
    if two && parts.len() >= 2 {
        format!("{}.{}", parts[0], parts[1])
    } else {
        parts.first().unwrap_or(&"").to_string()
    }
}

#[async_trait]
impl ResourceType<AwsClient> for DbInstance {
    fn name(&self) -> &'static str {
        "aws_db_instance"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
            .timeouts(Timeouts::minutes(40, 80, 60))
            .terraform_version(2)
    }

    fn validate(&self, cfg: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        let set = |k: &str| !cfg.get(k).is_none_or(Value::is_null);
        if set("identifier") && set("identifier_prefix") {
            out.push(Invalid::at(
                "identifier_prefix",
                "only one of identifier and identifier_prefix may be set",
            ));
        }
        if set("password") && cfg.get_bool("manage_master_user_password") == Some(true) {
            out.push(Invalid::at(
                "password",
                "password and manage_master_user_password = true cannot both be set",
            ));
        }
        // Terraform's RequiredWith, both ways.
        for (k, other) in [
            ("password_wo", "password_wo_version"),
            ("password_wo_version", "password_wo"),
        ] {
            if set(k) && !set(other) {
                out.push(Invalid::at(
                    k,
                    "all of password_wo, password_wo_version must be specified",
                ));
            }
        }
        if let Some(Err(e)) = cfg.get("identifier").map(identifier) {
            out.push(Invalid::at("identifier", e));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let cfg = req.config;
        let set = |k: &str| !cfg.get(k).is_none_or(Value::is_null);
        let Some(prior) = req.prior else {
            if !set("engine") {
                return Err(ProviderError::invalid("engine is required to create a DB instance"));
            }
            return Ok(());
        };
        // Unset and `false` are one thing to the API (SDKv2's zero value): neither replaces the database
        // when the other is stored (a state written when infra planned `false` by default, say).
        let unencrypted = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v.as_bool() == Some(false));
        if unencrypted(prior.get("storage_encrypted")) && unencrypted(req.planned.get("storage_encrypted")) {
            req.planned.set_attr(
                "storage_encrypted",
                prior.get("storage_encrypted").cloned().unwrap_or_default(),
            );
            req.requires_replace
                .retain(|p| p != &infra_provider::Path::attr("storage_encrypted"));
        }
        // A version prefix in the configuration matching what runs is no change.
        if let (Some(want), Some(have)) = (cfg.get_str("engine_version"), prior.get_str("engine_version_actual"))
            && (have == want || have.starts_with(&format!("{want}.")))
        {
            req.planned.set_attr(
                "engine_version",
                prior.get("engine_version").cloned().unwrap_or_default(),
            );
        }
        if changed(prior, req.planned, "engine_version")
            && !req.planned.get("engine_version").is_some_and(Value::is_unknown)
        {
            let engine = prior.get_str("engine").unwrap_or("postgres");
            let (old, new) = (
                prior
                    .get_str("engine_version_actual")
                    .or(prior.get_str("engine_version"))
                    .unwrap_or(""),
                req.planned.get_str("engine_version").unwrap_or(""),
            );
            if !old.is_empty()
                && !new.is_empty()
                && major(engine, old) != major(engine, new)
                && req.planned.get_bool("allow_major_version_upgrade") != Some(true)
            {
                return Err(ProviderError::invalid(format!(
                    "changing engine_version from {old} to {new} is a major version upgrade: set \
                     allow_major_version_upgrade = true"
                )));
            }
            req.planned.set_attr("engine_version_actual", Value::Unknown);
        }
        // What a modify changes that the configuration does not say.
        if [
            "instance_class",
            "engine_version",
            "allocated_storage",
            "storage_type",
            "iops",
            "multi_az",
        ]
        .iter()
        .any(|k| changed(prior, req.planned, k))
        {
            req.planned.set_attr("status", Value::Unknown);
        }
        if changed(prior, req.planned, "manage_master_user_password") {
            req.planned.set_attr("master_user_secret", Value::Unknown);
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        let id = identifier_of(prior).ok_or_else(|| ProviderError::invalid("the DB instance has no identifier"))?;
        read_one(c, &id, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_instances(c, priors).await {
            Ok(r) => r.answer(priors, identifier_of),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let identifier = identifier_for(ctx, planned);
        let tags = tags::for_create(c, ctx, planned);
        let manage = planned.get_bool("manage_master_user_password") == Some(true);
        let req = c
            .rds()
            .create_db_instance()
            .db_instance_identifier(&identifier)
            .set_engine(str_attr(planned, "engine"))
            .set_engine_version(str_attr(planned, "engine_version"))
            .set_db_instance_class(str_attr(planned, "instance_class"))
            .set_allocated_storage(int(planned, "allocated_storage"))
            .set_max_allocated_storage(int(planned, "max_allocated_storage"))
            .set_storage_type(str_attr(planned, "storage_type"))
            .set_iops(int(planned, "iops"))
            .set_storage_throughput(int(planned, "storage_throughput"))
            .set_storage_encrypted(planned.get_bool("storage_encrypted"))
            .set_kms_key_id(str_attr(planned, "kms_key_id"))
            .set_multi_az(planned.get_bool("multi_az"))
            .set_availability_zone(str_attr(planned, "availability_zone"))
            .set_backup_retention_period(int(planned, "backup_retention_period"))
            .set_preferred_backup_window(str_attr(planned, "backup_window"))
            .set_preferred_maintenance_window(str_attr(planned, "maintenance_window"))
            .set_deletion_protection(planned.get_bool("deletion_protection"))
            .set_vpc_security_group_ids(Some(planned.get_strings("vpc_security_group_ids")).filter(|v| !v.is_empty()))
            .set_db_subnet_group_name(str_attr(planned, "db_subnet_group_name"))
            .set_db_parameter_group_name(str_attr(planned, "parameter_group_name"))
            .set_option_group_name(str_attr(planned, "option_group_name"))
            .set_master_username(str_attr(planned, "username"))
            .set_master_user_password(if manage { None } else { password_of(planned) })
            .set_manage_master_user_password(if manage { Some(true) } else { None })
            .set_master_user_secret_kms_key_id(str_attr(planned, "master_user_secret_kms_key_id"))
            .set_publicly_accessible(planned.get_bool("publicly_accessible"))
            .set_port(int(planned, "port"))
            .set_db_name(str_attr(planned, "db_name"))
            .set_auto_minor_version_upgrade(planned.get_bool("auto_minor_version_upgrade"))
            .set_copy_tags_to_snapshot(planned.get_bool("copy_tags_to_snapshot"))
            .set_ca_certificate_identifier(str_attr(planned, "ca_cert_identifier"))
            .set_character_set_name(str_attr(planned, "character_set_name"))
            .set_enable_iam_database_authentication(planned.get_bool("iam_database_authentication_enabled"))
            .set_enable_cloudwatch_logs_exports(
                Some(planned.get_strings("enabled_cloudwatch_logs_exports")).filter(|v| !v.is_empty()),
            )
            .set_monitoring_interval(int(planned, "monitoring_interval").filter(|n| *n > 0))
            .set_monitoring_role_arn(str_attr(planned, "monitoring_role_arn"))
            .set_network_type(str_attr(planned, "network_type"))
            .set_license_model(str_attr(planned, "license_model"))
            .set_enable_performance_insights(planned.get_bool("performance_insights_enabled").filter(|b| *b))
            .set_performance_insights_kms_key_id(str_attr(planned, "performance_insights_kms_key_id"))
            .set_performance_insights_retention_period(int(planned, "performance_insights_retention_period"))
            .set_timezone(str_attr(planned, "timezone"))
            .set_tags(Some(tag_list(&tags)));
        req.send()
            .await
            .map_err(aws_err(format!("creating RDS DB instance {identifier}")))?;
        wait_available(c, ctx, &identifier, planned).await.map_err(|e| {
            // Never a write-only value in what is stored.
            let partial = planned
                .clone()
                .with("identifier", Value::string(&identifier))
                .with("password_wo", Value::Null);
            e.with_partial(partial_object(&block(), &partial, &identifier))
        })
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let identifier =
            identifier_of(prior).ok_or_else(|| ProviderError::invalid("the DB instance has no identifier"))?;
        let ch = |k: &str| changed(prior, planned, k) && !planned.get(k).is_some_and(Value::is_unknown);
        let storage = ch("allocated_storage") || ch("storage_type") || ch("iops") || ch("storage_throughput");
        let manage_changed = ch("manage_master_user_password");
        let manage = planned.get_bool("manage_master_user_password") == Some(true);
        let mut req = c
            .rds()
            .modify_db_instance()
            .db_instance_identifier(&identifier)
            .apply_immediately(planned.get_bool("apply_immediately").unwrap_or(false));
        let mut any = false;
        macro_rules! when {
            ($key:literal, $set:ident, $val:expr) => {
                if ch($key) {
                    req = req.$set($val);
                    any = true;
                }
            };
        }
        when!(
            "instance_class",
            set_db_instance_class,
            str_attr(planned, "instance_class")
        );
        if ch("engine_version") {
            req = req
                .set_engine_version(str_attr(planned, "engine_version"))
                .set_allow_major_version_upgrade(planned.get_bool("allow_major_version_upgrade"));
            // A major upgrade moves to the planned (new family's) parameter group with it.
            if let Some(pg) = str_attr(planned, "parameter_group_name") {
                req = req.db_parameter_group_name(pg);
            }
            any = true;
        }
        if storage {
            // RDS wants the storage settings together.
            req = req
                .set_allocated_storage(int(planned, "allocated_storage"))
                .set_storage_type(str_attr(planned, "storage_type"))
                .set_iops(int(planned, "iops"))
                .set_storage_throughput(int(planned, "storage_throughput"));
            any = true;
        }
        if ch("max_allocated_storage") {
            // Zero turns storage autoscaling off.
            req = req.max_allocated_storage(int(planned, "max_allocated_storage").unwrap_or(0));
            any = true;
        }
        when!("multi_az", set_multi_az, planned.get_bool("multi_az"));
        when!(
            "backup_retention_period",
            set_backup_retention_period,
            int(planned, "backup_retention_period")
        );
        when!(
            "backup_window",
            set_preferred_backup_window,
            str_attr(planned, "backup_window")
        );
        when!(
            "maintenance_window",
            set_preferred_maintenance_window,
            str_attr(planned, "maintenance_window")
        );
        when!(
            "deletion_protection",
            set_deletion_protection,
            Some(planned.get_bool("deletion_protection").unwrap_or(false))
        );
        when!(
            "vpc_security_group_ids",
            set_vpc_security_group_ids,
            Some(planned.get_strings("vpc_security_group_ids"))
        );
        if ch("parameter_group_name") && !ch("engine_version") {
            req = req.set_db_parameter_group_name(str_attr(planned, "parameter_group_name"));
            any = true;
        }
        when!(
            "option_group_name",
            set_option_group_name,
            str_attr(planned, "option_group_name")
        );
        when!(
            "publicly_accessible",
            set_publicly_accessible,
            planned.get_bool("publicly_accessible")
        );
        when!("port", set_db_port_number, int(planned, "port"));
        when!(
            "auto_minor_version_upgrade",
            set_auto_minor_version_upgrade,
            planned.get_bool("auto_minor_version_upgrade")
        );
        when!(
            "copy_tags_to_snapshot",
            set_copy_tags_to_snapshot,
            planned.get_bool("copy_tags_to_snapshot")
        );
        when!(
            "ca_cert_identifier",
            set_ca_certificate_identifier,
            str_attr(planned, "ca_cert_identifier")
        );
        when!(
            "iam_database_authentication_enabled",
            set_enable_iam_database_authentication,
            Some(planned.get_bool("iam_database_authentication_enabled").unwrap_or(false))
        );
        when!(
            "monitoring_interval",
            set_monitoring_interval,
            int(planned, "monitoring_interval")
        );
        when!(
            "monitoring_role_arn",
            set_monitoring_role_arn,
            str_attr(planned, "monitoring_role_arn")
        );
        when!("network_type", set_network_type, str_attr(planned, "network_type"));
        when!("license_model", set_license_model, str_attr(planned, "license_model"));
        when!(
            "performance_insights_enabled",
            set_enable_performance_insights,
            planned.get_bool("performance_insights_enabled")
        );
        when!(
            "performance_insights_retention_period",
            set_performance_insights_retention_period,
            int(planned, "performance_insights_retention_period")
        );
        if ch("enabled_cloudwatch_logs_exports") {
            let have: Vec<String> = prior.get_strings("enabled_cloudwatch_logs_exports");
            let want: Vec<String> = planned.get_strings("enabled_cloudwatch_logs_exports");
            req = req.cloudwatch_logs_export_configuration(
                aws_sdk_rds::types::CloudwatchLogsExportConfiguration::builder()
                    .set_enable_log_types(Some(want.iter().filter(|w| !have.contains(w)).cloned().collect()))
                    .set_disable_log_types(Some(have.iter().filter(|h| !want.contains(h)).cloned().collect()))
                    .build(),
            );
            any = true;
        }
        if manage_changed {
            req = req.manage_master_user_password(manage);
            if manage {
                req = req.set_master_user_secret_kms_key_id(str_attr(planned, "master_user_secret_kms_key_id"));
            } else if let Some(p) = password_of(planned) {
                req = req.master_user_password(p);
            }
            any = true;
        } else if ch("password_wo_version") && !manage && str_attr(planned, "password_wo").is_some() {
            // Only a new version says the write-only password changed (it is null in every prior). Checked
            // first: moving from `password` to `password_wo` changes both.
            req = req.set_master_user_password(str_attr(planned, "password_wo"));
            any = true;
        } else if ch("password") && !manage {
            req = req.set_master_user_password(str_attr(planned, "password"));
            any = true;
        }
        if any {
            req.send()
                .await
                .map_err(aws_err(format!("updating RDS DB instance {identifier}")))?;
        }
        let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::new("the DB instance has no ARN"))?;
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        wait_available(c, ctx, &identifier, planned).await
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let identifier =
            identifier_of(prior).ok_or_else(|| ProviderError::invalid("the DB instance has no identifier"))?;
        let skip = prior.get_bool("skip_final_snapshot") == Some(true);
        let snapshot = str_attr(prior, "final_snapshot_identifier");
        if !skip && snapshot.is_none() {
            return Err(ProviderError::invalid(format!(
                "deleting RDS DB instance {identifier}: final_snapshot_identifier is required when \
                 skip_final_snapshot is false"
            )));
        }
        let res = c
            .rds()
            .delete_db_instance()
            .db_instance_identifier(&identifier)
            .skip_final_snapshot(skip)
            .set_final_db_snapshot_identifier(if skip { None } else { snapshot })
            .delete_automated_backups(prior.get_bool("delete_automated_backups").unwrap_or(true))
            .send()
            .await;
        if let Err(e) = res {
            let e = aws_err(format!("deleting RDS DB instance {identifier}"))(e);
            if e.is_not_found() {
                return Ok(());
            }
            if code_of(&e) != "InvalidDBInstanceState" || !e.message.contains("already being deleted") {
                return Err(e);
            }
        }
        wait_for(ctx, "DB instance deleted", || async {
            let found = describe(c, std::slice::from_ref(&identifier)).await?;
            Ok(match found.first() {
                None => Poll::Ready(()),
                Some(d) => Poll::Pending(d.db_instance_status().unwrap_or("deleting").to_string()),
            })
        })
        .await
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        // As Terraform, importing sets the arguments RDS does not report to their defaults.
        let prior = Value::map([
            ("identifier", Value::string(id)),
            ("skip_final_snapshot", Value::Bool(false)),
            ("delete_automated_backups", Value::Bool(true)),
        ]);
        read_one(c, id, &prior).await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let identifier = identifier_for(ctx, planned);
        let Some(d) = describe(c, std::slice::from_ref(&identifier)).await?.into_iter().next() else {
            return Ok(None);
        };
        if d.db_instance_status() == Some("deleting") || !owned_by(ctx, &tag_pairs(d.tag_list())) {
            return Ok(None);
        }
        let planned = planned.clone().with("identifier", Value::string(&identifier));
        wait_available(c, ctx, &identifier, &planned).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::major;

    #[test]
    fn major_versions() {
        assert_eq!(major("postgres", "16.3"), "16");
        assert_eq!(major("postgres", "9.6.22"), "9.6");
        assert_eq!(major("mysql", "5.7.44"), "5.7");
        assert_eq!(major("mysql", "8.0.35"), "8");
    }
}
