//! Built-in policy checks: the team's infrastructure guidelines as rules evaluated on a plan's *planned*
//! values, offline, for AWS and DigitalOcean alike.
//!
//! - [`RULES`]: every rule, with its id, default severity and the guideline it comes from.
//! - [`world`]: what the rules look at — every instance the plan leaves (planned values, unknowns
//!   included), the expanded configuration for `file:line`, and partial evaluation of JSON documents
//!   (`jsonencode(...)` of values not known yet) so container definitions can be checked before apply.
//! - [`settings`]: `infra.policy.hcl` in the configuration directory: the recovery point objective, admin
//!   CIDRs and rule severities, for every environment and per environment.
//! - [`waivers`]: `# infra:waive RULE: reason` comments next to a resource.
//! - [`rules`]: the checks; [`render`]: text, Markdown and JSON.
//!
//! Invariant: a finding never carries a value of the configuration — only names, addresses and
//! locations — so a secret flagged by `secrets-plain` is not printed by the report either.

pub mod render;
pub mod rules;
pub mod settings;
pub mod waivers;
pub mod world;

#[cfg(test)]
mod tests;

use serde::Serialize;
use std::time::Duration;

pub use settings::{EnvPolicy, PolicyFile};
pub use world::World;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One rule.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub level: Level,
    /// The guideline it enforces, as the team wrote it.
    pub guideline: &'static str,
    /// What it checks, in one sentence.
    pub checks: &'static str,
}

/// Every rule, in report order. The README documents each one.
pub static RULES: &[Rule] = &[
    Rule {
        id: "logs-container",
        level: Level::Error,
        guideline: "every job must have log rotation",
        checks: "every container of an aws_ecs_task_definition logs through awslogs or firelens (logConfiguration)",
    },
    Rule {
        id: "logs-retention",
        level: Level::Error,
        guideline: "every job must have log rotation",
        checks: "every aws_cloudwatch_log_group has a finite retention_in_days",
    },
    Rule {
        id: "logs-droplet-rotation",
        level: Level::Error,
        guideline: "every job must have log rotation",
        checks: "a droplet whose user_data runs Docker configures log rotation (max-size or the local log driver)",
    },
    Rule {
        id: "rollout-circuit-breaker",
        level: Level::Error,
        guideline: "rolling updates with automatic revert on failed health checks; a restart policy that stops crash loops",
        checks: "every aws_ecs_service has deployment_circuit_breaker { enable = true, rollback = true }",
    },
    Rule {
        id: "rollout-min-healthy",
        level: Level::Error,
        guideline: "rolling updates with automatic revert on failed health checks",
        checks: "with desired_count >= 1, deployment_minimum_healthy_percent keeps a task running and deployment_maximum_percent leaves room to start one",
    },
    Rule {
        id: "health-target-group",
        level: Level::Error,
        guideline: "health checks",
        checks: "every load balancer target group has an enabled health_check block",
    },
    Rule {
        id: "health-container",
        level: Level::Error,
        guideline: "health checks",
        checks: "every essential container of a service's task definition has a healthCheck or is the service's load-balanced container",
    },
    Rule {
        id: "health-droplet",
        level: Level::Error,
        guideline: "health checks",
        checks: "a droplet's services have a health check: in its user_data (healthcheck) or a health check path in the plan's README.md",
    },
    Rule {
        id: "ports-unique",
        level: Level::Error,
        guideline: "unique ports per host",
        checks: "no two containers of one task, and no two services sharing a host network on one cluster, claim the same port",
    },
    Rule {
        id: "exposure-internal-port",
        level: Level::Error,
        guideline: "databases, caches and internal ports are never public",
        checks: "no database, cache or internal port (5432, 6379, 11434, 9090, 3000, 3200, 4317, 4318, 8888) open to 0.0.0.0/0 or ::/0; no publicly accessible RDS; every DigitalOcean database cluster has a database firewall",
    },
    Rule {
        id: "exposure-ssh",
        level: Level::Error,
        guideline: "SSH only from the admin networks",
        checks: "port 22 is open only to the declared admin CIDRs",
    },
    Rule {
        id: "exposure-s3-public-access",
        level: Level::Error,
        guideline: "buckets are never public",
        checks: "every aws_s3_bucket has an aws_s3_bucket_public_access_block with all four settings true",
    },
    Rule {
        id: "exposure-encryption",
        level: Level::Error,
        guideline: "data at rest is encrypted",
        checks: "RDS instances (storage_encrypted), EFS file systems (encrypted) and EBS volumes (encrypted) are encrypted",
    },
    Rule {
        id: "secrets-plain",
        level: Level::Error,
        guideline: "secrets live in a secret store",
        checks: "no secret-looking value (token, password, key) in a task definition's plain environment, an SSM String parameter or user data",
    },
    Rule {
        id: "recovery-backups",
        level: Level::Error,
        guideline: "backups that meet the stated recovery point",
        checks: "RDS backup_retention_period, DigitalOcean database backups and droplet backups meet the environment's rpo",
    },
    Rule {
        id: "recovery-deletion-protection",
        level: Level::Error,
        guideline: "backups that meet the stated recovery point",
        checks: "where the rpo is under a day, databases cannot be deleted by accident (deletion_protection; prevent_destroy on DigitalOcean clusters)",
    },
];

/// A rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The pseudo-rule of a malformed waiver comment (not waivable, always an error).
pub const WAIVER_RULE: &str = "policy-waiver";

/// One broken guideline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Level,
    /// The resource instance (or `-` for a problem that is not about one).
    pub address: String,
    /// The attribute the finding is about (`deployment_circuit_breaker.rollback`, `container_definitions`).
    pub attribute: String,
    /// `file:line` of that attribute, or of the resource block when the attribute is not written.
    pub location: String,
    pub message: String,
    /// A one-line fix.
    pub fix: String,
    /// The waiver's reason, when a waiver comment covers this finding.
    pub waived: Option<String>,
}

/// Every finding of one environment.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub environment: String,
    /// The recovery point objective the recovery rules used.
    #[serde(serialize_with = "ser_duration")]
    pub rpo: Duration,
    /// True when the policy file states no rpo for the environment (a day is assumed).
    pub rpo_assumed: bool,
    pub findings: Vec<Finding>,
    /// Waivers that cover no finding (stale: the problem was fixed or the rule renamed): `file:line`s.
    pub unused_waivers: Vec<String>,
}

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&settings::format_duration(*d))
}

impl Report {
    /// Findings not covered by a waiver, at a level.
    pub fn count(&self, level: Level) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == level && f.waived.is_none())
            .count()
    }
    pub fn waived(&self) -> usize {
        self.findings.iter().filter(|f| f.waived.is_some()).count()
    }
    /// True when an unwaived error remains (`--policy=error` fails then).
    pub fn has_errors(&self) -> bool {
        self.count(Level::Error) > 0
    }
}

/// Runs every enabled rule of `policy` over `world`, then applies the waivers.
pub fn check(world: &World, policy: &EnvPolicy) -> Report {
    let mut findings = Vec::new();
    rules::run_all(world, policy, &mut findings);
    findings.retain(|f| f.rule == WAIVER_RULE || policy.level(f.rule).is_some());
    for f in &mut findings {
        if let Some(l) = policy.level(f.rule) {
            f.severity = l;
        }
    }
    let waivers = waivers::collect(world);
    let mut used = vec![false; waivers.list.len()];
    for f in &mut findings {
        if f.rule == WAIVER_RULE {
            continue;
        }
        if let Some(i) = waivers
            .list
            .iter()
            .position(|w| w.rule == f.rule && w.resources.iter().any(|r| address_is_of(&f.address, r)))
        {
            f.waived = Some(waivers.list[i].reason.clone());
            used[i] = true;
        }
    }
    findings.extend(waivers.problems);
    findings.sort_by(|a, b| {
        (a.waived.is_some(), a.severity, rule_index(a.rule), &a.address).cmp(&(
            b.waived.is_some(),
            b.severity,
            rule_index(b.rule),
            &b.address,
        ))
    });
    let unused_waivers = waivers
        .list
        .iter()
        .zip(used)
        .filter(|(w, used)| !used && policy.level(&w.rule).is_some())
        .map(|(w, _)| w.location.clone())
        .collect();
    Report {
        environment: policy.environment.clone(),
        rpo: policy.rpo,
        rpo_assumed: policy.rpo_assumed,
        findings,
        unused_waivers,
    }
}

fn rule_index(id: &str) -> usize {
    RULES.iter().position(|r| r.id == id).unwrap_or(usize::MAX)
}

/// `aws_ecs_service.api` covers `aws_ecs_service.api` and its instances (`aws_ecs_service.api["x"]`).
fn address_is_of(instance: &str, resource: &str) -> bool {
    instance == resource
        || instance
            .strip_prefix(resource)
            .is_some_and(|rest| rest.starts_with('['))
}
