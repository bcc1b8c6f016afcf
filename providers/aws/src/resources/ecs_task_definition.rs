//! `aws_ecs_task_definition`: one revision of an ECS task definition family. As in Terraform, `id` is
//! the family, `arn` the revision's ARN, and every argument except `tags`, `skip_destroy` and
//! `track_latest` forces replacement: a change registers a new revision and deregisters the old one
//! (unless `skip_destroy`). `container_definitions` is the user's JSON document, sent to ECS untouched
//! (see [`crate::ecs::RawJson`]) and compared as Terraform does: a document that differs only by API
//! defaults, empty lists or the order of containers, environment variables or secrets is no change (the
//! plan hook keeps the stored document then, so nothing is replaced).
//!
//! Read: `DescribeTaskDefinition` (tags included) takes one task definition per call and ECS has no batch
//! form. A refresh uses that a revision is immutable: only its status (deregistered: `INACTIVE`) and its
//! tags can change. So it lists the active revisions (`ListTaskDefinitions`, 100 per page) and takes the
//! tags from the refresh's Tagging API sweep ([`crate::tagging`]); a revision that is active and swept
//! keeps its stored attributes with the tags read. Anything else — a revision the sweep does not answer
//! for, `track_latest`, or a listing that would take more pages than there are revisions left to find —
//! is read with `DescribeTaskDefinition`, 8 at a time. An `INACTIVE` (deregistered) revision reads as
//! gone; with `track_latest` the family's latest active revision is read instead of the stored one.
//! Import ID: the revision ARN (`arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`).

use crate::client::AwsClient;
use crate::ecs::{RawJson, container_definitions_equivalent, tag_list, tag_pairs};
use crate::elbv2::owned;
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{carry, complete, str_attr};
use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, CpuArchitecture, EfsAuthorizationConfig, EfsAuthorizationConfigIam, EfsTransitEncryption,
    EfsVolumeConfiguration, EphemeralStorage, HostVolumeProperties, IpcMode, NetworkMode, OsFamily, PidMode,
    RuntimePlatform, SortOrder, TaskDefinition, TaskDefinitionPlacementConstraint,
    TaskDefinitionPlacementConstraintType, TaskDefinitionStatus, Volume,
};
use futures::StreamExt;
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, Path, PlanRequest, ProviderError, ResourceType, Result, Schema,
    Type, Value,
};
use serde_json::Value as Json;
use std::collections::HashSet;

pub struct EcsTaskDefinition;

/// Concurrent `DescribeTaskDefinition` calls of one refresh.
const READ_CONCURRENCY: usize = 8;
/// Revisions of a family `find_created` looks at, newest first.
const FIND_DEPTH: i32 = 5;

/// ECS launch types (`requires_compatibilities`, and `launch_type` of a service).
pub(crate) const LAUNCH_TYPES: &[&str] = &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"];

/// `Check::Fn` for task `cpu` and `memory`: a positive number (`"1024"`), or the API's unit form
/// (`"1 vCPU"`, `"2 GB"`), which is left to the API.
fn positive_size(v: &Value) -> std::result::Result<(), String> {
    match v.as_str().map(str::trim) {
        Some("") => Err("expected a positive number, got an empty string.".to_string()),
        Some(s) => match s.parse::<f64>() {
            Ok(n) if n <= 0.0 => Err(format!("expected a positive number, got {s:?}.")),
            _ => Ok(()),
        },
        None => Ok(()),
    }
}

fn volume_block() -> Block {
    Block::new()
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("host_path", Attribute::optional(Type::String).force_new())
        .attr(
            "configure_at_launch",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
        .block(
            "efs_volume_configuration",
            NestedBlock::list(
                Block::new()
                    .attr("file_system_id", Attribute::required(Type::String).force_new())
                    .attr(
                        "root_directory",
                        Attribute::optional(Type::String).default("/").force_new(),
                    )
                    .attr(
                        "transit_encryption",
                        Attribute::optional(Type::String)
                            .force_new()
                            .one_of(&["ENABLED", "DISABLED"]),
                    )
                    .attr(
                        "transit_encryption_port",
                        Attribute::optional(Type::Number)
                            .force_new()
                            .check(Check::IntRange(0, 65535)),
                    )
                    .block(
                        "authorization_config",
                        NestedBlock::list(
                            Block::new()
                                .attr("access_point_id", Attribute::optional(Type::String).force_new())
                                .attr(
                                    "iam",
                                    Attribute::optional(Type::String)
                                        .force_new()
                                        .one_of(&["ENABLED", "DISABLED"]),
                                ),
                        )
                        .max(1)
                        .force_new(),
                    ),
            )
            .max(1)
            .force_new(),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("arn_without_revision", Attribute::computed(Type::String))
        .attr("revision", Attribute::computed(Type::Number))
        .attr("family", Attribute::required(Type::String).force_new())
        .attr(
            "container_definitions",
            Attribute::required(Type::String).force_new().json(),
        )
        .attr(
            "cpu",
            Attribute::optional(Type::String)
                .force_new()
                .check(Check::Fn(positive_size)),
        )
        .attr(
            "memory",
            Attribute::optional(Type::String)
                .force_new()
                .check(Check::Fn(positive_size)),
        )
        .attr(
            "network_mode",
            Attribute::optional_computed(Type::String)
                .force_new()
                .one_of(&["bridge", "host", "awsvpc", "none"]),
        )
        .attr(
            "requires_compatibilities",
            Attribute::optional(Type::string_set()).force_new().one_of(LAUNCH_TYPES),
        )
        .attr("execution_role_arn", Attribute::optional(Type::String).force_new())
        .attr("task_role_arn", Attribute::optional(Type::String).force_new())
        .attr(
            "ipc_mode",
            Attribute::optional(Type::String)
                .force_new()
                .one_of(&["host", "task", "none"]),
        )
        .attr(
            "pid_mode",
            Attribute::optional(Type::String).force_new().one_of(&["host", "task"]),
        )
        .attr("skip_destroy", Attribute::optional(Type::Bool).default(false))
        .attr("track_latest", Attribute::optional(Type::Bool).default(false))
        .block(
            "runtime_platform",
            NestedBlock::list(
                Block::new()
                    .attr("operating_system_family", Attribute::optional(Type::String).force_new())
                    .attr(
                        "cpu_architecture",
                        Attribute::optional(Type::String)
                            .force_new()
                            .one_of(&["X86_64", "ARM64"]),
                    ),
            )
            .max(1)
            .force_new(),
        )
        .block(
            "ephemeral_storage",
            NestedBlock::list(
                Block::new().attr(
                    "size_in_gib",
                    Attribute::required(Type::Number)
                        .force_new()
                        .check(Check::IntRange(21, 200)),
                ),
            )
            .max(1)
            .force_new(),
        )
        .block(
            "placement_constraints",
            NestedBlock::set(
                Block::new()
                    .attr(
                        "type",
                        Attribute::required(Type::String).force_new().one_of(&["memberOf"]),
                    )
                    .attr("expression", Attribute::optional(Type::String).force_new()),
            )
            .max(10)
            .force_new(),
        )
        .block("volume", NestedBlock::set(volume_block()).force_new())
        .tags()
}

fn awsvpc(v: &Value) -> bool {
    v.get_str("network_mode") == Some("awsvpc")
}

/// The ARN without its `:REVISION` suffix.
fn without_revision(arn: &str) -> String {
    match arn.rsplit_once(':') {
        Some((head, rev)) if rev.chars().all(|c| c.is_ascii_digit()) && head.contains("task-definition/") => {
            head.to_string()
        }
        _ => arn.to_string(),
    }
}

fn flatten_volume(v: &Volume) -> Value {
    let efs = v.efs_volume_configuration().map(|e| {
        let auth = e.authorization_config().map(|a| {
            Value::map([
                ("access_point_id", Value::opt_string(a.access_point_id())),
                ("iam", Value::opt_string(a.iam().map(|i| i.as_str()))),
            ])
        });
        Value::map([
            ("file_system_id", Value::string(e.file_system_id())),
            (
                "root_directory",
                Value::string(e.root_directory().filter(|r| !r.is_empty()).unwrap_or("/")),
            ),
            (
                "transit_encryption",
                Value::opt_string(e.transit_encryption().map(|t| t.as_str())),
            ),
            ("transit_encryption_port", Value::opt_int(e.transit_encryption_port())),
            ("authorization_config", Value::List(auth.into_iter().collect())),
        ])
    });
    Value::map([
        ("name", Value::opt_string(v.name())),
        ("host_path", Value::opt_string(v.host().and_then(|h| h.source_path()))),
        ("configure_at_launch", Value::opt_bool(v.configured_at_launch())),
        ("efs_volume_configuration", Value::List(efs.into_iter().collect())),
    ])
}

/// The task definition read back; `raw` is the `containerDefinitions` document of the response.
fn flatten(
    c: &AwsClient,
    td: &TaskDefinition,
    raw: Option<&Json>,
    tags: Vec<(String, String)>,
    prior: &Value,
) -> Value {
    let arn = td.task_definition_arn().unwrap_or_default();
    let network_mode = td.network_mode().map(|n| n.as_str());
    let awsvpc = network_mode == Some("awsvpc");
    let cloud_doc = raw
        .map(|j| {
            let mut j = j.clone();
            strip_nulls(&mut j);
            j.to_string()
        })
        .unwrap_or_else(|| "[]".to_string());
    // The stored document stays as written while ECS means the same thing by it.
    let container_definitions = match prior.get_str("container_definitions") {
        Some(p) if container_definitions_equivalent(p, &cloud_doc, awsvpc) => p.to_string(),
        _ => cloud_doc,
    };
    let compat: Vec<&str> = td.requires_compatibilities().iter().map(|c| c.as_str()).collect();
    let mut obj = Value::map([
        ("id", Value::opt_string(td.family())),
        ("arn", Value::string(arn)),
        ("arn_without_revision", Value::string(without_revision(arn))),
        ("revision", Value::int(td.revision() as i64)),
        ("family", Value::opt_string(td.family())),
        ("container_definitions", Value::string(container_definitions)),
        ("cpu", Value::opt_string(td.cpu())),
        ("memory", Value::opt_string(td.memory())),
        ("network_mode", Value::opt_string(network_mode)),
        (
            "requires_compatibilities",
            if compat.is_empty() {
                Value::Null
            } else {
                Value::string_set(compat)
            },
        ),
        ("execution_role_arn", Value::opt_string(td.execution_role_arn())),
        ("task_role_arn", Value::opt_string(td.task_role_arn())),
        ("ipc_mode", Value::opt_string(td.ipc_mode().map(|m| m.as_str()))),
        ("pid_mode", Value::opt_string(td.pid_mode().map(|m| m.as_str()))),
        ("skip_destroy", carry(prior, "skip_destroy", Value::Bool(false))),
        ("track_latest", carry(prior, "track_latest", Value::Bool(false))),
        (
            "runtime_platform",
            Value::List(
                td.runtime_platform()
                    .map(|r| {
                        Value::map([
                            (
                                "operating_system_family",
                                Value::opt_string(r.operating_system_family().map(|o| o.as_str())),
                            ),
                            (
                                "cpu_architecture",
                                Value::opt_string(r.cpu_architecture().map(|a| a.as_str())),
                            ),
                        ])
                    })
                    .into_iter()
                    .collect(),
            ),
        ),
        (
            "ephemeral_storage",
            Value::List(
                td.ephemeral_storage()
                    .map(|e| Value::map([("size_in_gib", Value::int(e.size_in_gib() as i64))]))
                    .into_iter()
                    .collect(),
            ),
        ),
        (
            "placement_constraints",
            Value::set(
                td.placement_constraints()
                    .iter()
                    .map(|p| {
                        Value::map([
                            ("type", Value::opt_string(p.r#type().map(|t| t.as_str()))),
                            ("expression", Value::opt_string(p.expression())),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("volume", Value::set(td.volumes().iter().map(flatten_volume).collect())),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

fn strip_nulls(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Json::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// `DescribeTaskDefinition` of a revision ARN or family: the definition, its raw container definitions
/// and its tags; `None` when it does not exist or is inactive.
async fn describe(
    c: &AwsClient,
    which: &str,
    include_inactive: bool,
) -> Result<Option<(TaskDefinition, Option<Json>, Vec<(String, String)>)>> {
    let raw = RawJson::new();
    let out = c
        .ecs()
        .describe_task_definition()
        .task_definition(which)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .customize()
        .interceptor(raw.capture())
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let e = aws_err(format!("reading ECS task definition {which}"))(e);
            // ECS answers ClientException for an unknown family or revision.
            if e.is_not_found() || code_of(&e) == "ClientException" && e.message.contains("nable to describe") {
                return Ok(None);
            }
            return Err(e);
        }
    };
    let Some(td) = out.task_definition().cloned() else {
        return Ok(None);
    };
    if !include_inactive && td.status() == Some(&TaskDefinitionStatus::Inactive) {
        return Ok(None);
    }
    let doc = raw.json().and_then(|j| {
        j.get("taskDefinition")
            .and_then(|t| t.get("containerDefinitions"))
            .cloned()
    });
    Ok(Some((td, doc, tag_pairs(out.tags()))))
}

async fn read_one(c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
    let which = if prior.get_bool("track_latest") == Some(true) {
        str_attr(prior, "family").or_else(|| str_attr(prior, "id"))
    } else {
        str_attr(prior, "arn")
    }
    .ok_or_else(|| ProviderError::invalid("the task definition has no arn"))?;
    Ok(describe(c, &which, false)
        .await?
        .map(|(td, doc, tags)| flatten(c, &td, doc.as_ref(), tags, prior)))
}

/// `read_one` for each prior, [`READ_CONCURRENCY`] at a time.
async fn describe_each(c: &AwsClient, priors: Vec<&Value>) -> Vec<Result<Option<Value>>> {
    // Collected first: a lazy `map` closure inside the stream trips the `Send` check on this future.
    let reads: Vec<_> = priors.into_iter().map(|p| Box::pin(read_one(c, p))).collect();
    futures::stream::iter(reads).buffered(READ_CONCURRENCY).collect().await
}

/// Which of `arns` are active revisions, from `ListTaskDefinitions`. The listing covers the whole
/// account, so it stops once it would cost more pages than there are revisions still unseen; the answer
/// then says which were seen, and that the rest are unknown (`false`).
async fn active_revisions(c: &AwsClient, arns: &[String]) -> Result<(HashSet<String>, bool)> {
    let wanted: HashSet<&str> = arns.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = c
            .ecs()
            .list_task_definitions()
            .status(TaskDefinitionStatus::Active)
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(aws_err("listing ECS task definitions"))?;
        pages += 1;
        seen.extend(
            out.task_definition_arns()
                .iter()
                .filter(|a| wanted.contains(a.as_str()))
                .cloned(),
        );
        match out.next_token().filter(|t| !t.is_empty()) {
            None => return Ok((seen, true)),
            Some(_) if pages >= wanted.len() - seen.len() => return Ok((seen, false)),
            Some(t) => token = Some(t.to_string()),
        }
    }
}

/// A refresh of many revisions (see the module documentation).
async fn refresh_revisions(c: &AwsClient, priors: &[Value]) -> Result<Vec<Result<Option<Value>>>> {
    let fixed = |p: &Value| {
        if p.get_bool("track_latest") == Some(true) {
            None
        } else {
            str_attr(p, "arn")
        }
    };
    let arns: Vec<String> = priors.iter().filter_map(fixed).collect();
    let (active, listed_all) = if arns.is_empty() {
        (HashSet::new(), true)
    } else {
        active_revisions(c, &arns).await?
    };
    let live: Vec<String> = arns.iter().filter(|a| active.contains(*a)).cloned().collect();
    let tags = crate::tagging::tags_by_arn(c, &live).await?;
    let mut out: Vec<Option<Result<Option<Value>>>> = Vec::with_capacity(priors.len());
    let mut to_describe = Vec::new();
    for p in priors {
        let answer = match fixed(p) {
            Some(arn) if active.contains(&arn) => tags.get(&arn).map(|t| {
                let mut obj = p.clone();
                tags::set_read_tags(c, &mut obj, p, t.clone());
                Ok(Some(complete(&block(), obj)))
            }),
            Some(_) if listed_all => Some(Ok(None)),
            _ => None,
        };
        if answer.is_none() {
            to_describe.push(p);
        }
        out.push(answer);
    }
    let mut described = describe_each(c, to_describe).await.into_iter();
    Ok(out
        .into_iter()
        .map(|a| a.unwrap_or_else(|| described.next().unwrap_or(Ok(None))))
        .collect())
}

fn volumes(planned: &Value) -> Result<Vec<Volume>> {
    planned
        .get_list("volume")
        .iter()
        .map(|v| {
            let efs = match v.get_block("efs_volume_configuration") {
                Some(e) => {
                    let auth = e.get_block("authorization_config").map(|a| {
                        EfsAuthorizationConfig::builder()
                            .set_access_point_id(str_attr(a, "access_point_id"))
                            .set_iam(str_attr(a, "iam").map(|i| EfsAuthorizationConfigIam::from(i.as_str())))
                            .build()
                    });
                    Some(
                        EfsVolumeConfiguration::builder()
                            .set_file_system_id(str_attr(e, "file_system_id"))
                            .set_root_directory(str_attr(e, "root_directory"))
                            .set_transit_encryption(
                                str_attr(e, "transit_encryption").map(|t| EfsTransitEncryption::from(t.as_str())),
                            )
                            .set_transit_encryption_port(e.get_i64("transit_encryption_port").map(|p| p as i32))
                            .set_authorization_config(auth)
                            .build()
                            .map_err(|err| ProviderError::invalid(format!("efs_volume_configuration: {err}")))?,
                    )
                }
                None => None,
            };
            Ok(Volume::builder()
                .set_name(str_attr(v, "name"))
                .set_host(str_attr(v, "host_path").map(|p| HostVolumeProperties::builder().source_path(p).build()))
                .set_efs_volume_configuration(efs)
                .set_configured_at_launch(v.get_bool("configure_at_launch"))
                .build())
        })
        .collect()
}

/// The planned document as ECS takes it: the user's JSON, with zero-value list elements removed (as
/// Terraform's expansion does).
fn container_document(planned: &Value) -> Result<Json> {
    let doc = planned
        .get_str("container_definitions")
        .ok_or_else(|| ProviderError::invalid("container_definitions is required"))?;
    let parsed: Json = serde_json::from_str(doc)
        .map_err(|e| ProviderError::invalid(format!("container_definitions is not valid JSON: {e}")))?;
    match &parsed {
        Json::Array(items) if !items.is_empty() && items.iter().all(Json::is_object) => Ok(parsed),
        _ => Err(ProviderError::invalid(
            "container_definitions must be a JSON array of container definition objects",
        )),
    }
}

/// True when a registered revision is what `planned` asks for.
fn matches_planned(found: &Value, planned: &Value) -> bool {
    let same = |k: &str| {
        let p = planned.get(k).filter(|v| !v.is_unknown() && !v.is_null());
        p.is_none_or(|p| found.get(k) == Some(p))
    };
    container_definitions_equivalent(
        found.get_str("container_definitions").unwrap_or_default(),
        planned.get_str("container_definitions").unwrap_or_default(),
        awsvpc(found),
    ) && [
        "family",
        "cpu",
        "memory",
        "network_mode",
        "execution_role_arn",
        "task_role_arn",
    ]
    .iter()
    .all(|k| same(k))
}

#[async_trait]
impl ResourceType<AwsClient> for EcsTaskDefinition {
    fn name(&self) -> &'static str {
        "aws_ecs_task_definition"
    }

    fn schema(&self) -> Schema {
        // Version 1 in the Terraform provider, as its state records it.
        Schema::new(block()).terraform_version(1)
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if req
            .config
            .get("container_definitions")
            .is_some_and(Value::is_wholly_known)
        {
            container_document(req.config)?;
        }
        if let Some(prior) = req.prior
            && let (Some(old), Some(new)) = (
                prior.get_str("container_definitions"),
                req.planned.get_str("container_definitions"),
            )
            && container_definitions_equivalent(old, new, awsvpc(req.planned))
        {
            // Terraform's rule: the same containers written differently are no change.
            req.planned.set_attr("container_definitions", Value::string(old));
            let path = Path::attr("container_definitions");
            req.requires_replace.retain(|p| *p != path);
        }
        if req.prior.is_some() && !req.requires_replace.is_empty() {
            // A new revision: its number and ARN are not known yet.
            for k in ["arn", "revision"] {
                req.planned.set_attr(k, Value::Unknown);
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if c.refresh().is_some() {
            return match refresh_revisions(c, priors).await {
                Ok(r) => r,
                Err(e) => crate::values::all_failed(priors.len(), e),
            };
        }
        describe_each(c, priors.iter().collect()).await
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let family = str_attr(planned, "family").ok_or_else(|| ProviderError::invalid("family is required"))?;
        let doc = container_document(planned)?;
        let tags = tags::for_create(c, ctx, planned);
        let runtime = planned.get_block("runtime_platform").map(|r| {
            RuntimePlatform::builder()
                .set_operating_system_family(str_attr(r, "operating_system_family").map(|o| OsFamily::from(o.as_str())))
                .set_cpu_architecture(str_attr(r, "cpu_architecture").map(|a| CpuArchitecture::from(a.as_str())))
                .build()
        });
        let storage = planned.get_block("ephemeral_storage").and_then(|e| {
            e.get_i64("size_in_gib")
                .map(|s| EphemeralStorage::builder().size_in_gib(s as i32).build())
        });
        let constraints: Vec<TaskDefinitionPlacementConstraint> = planned
            .get_list("placement_constraints")
            .iter()
            .map(|p| {
                TaskDefinitionPlacementConstraint::builder()
                    .set_type(str_attr(p, "type").map(|t| TaskDefinitionPlacementConstraintType::from(t.as_str())))
                    .set_expression(str_attr(p, "expression"))
                    .build()
            })
            .collect();
        let compat: Vec<Compatibility> = planned
            .get_strings("requires_compatibilities")
            .iter()
            .map(|s| Compatibility::from(s.as_str()))
            .collect();
        let out = c
            .ecs()
            .register_task_definition()
            .family(&family)
            .set_container_definitions(Some(Vec::new()))
            .set_cpu(str_attr(planned, "cpu"))
            .set_memory(str_attr(planned, "memory"))
            .set_network_mode(str_attr(planned, "network_mode").map(|n| NetworkMode::from(n.as_str())))
            .set_requires_compatibilities((!compat.is_empty()).then_some(compat))
            .set_execution_role_arn(str_attr(planned, "execution_role_arn"))
            .set_task_role_arn(str_attr(planned, "task_role_arn"))
            .set_ipc_mode(str_attr(planned, "ipc_mode").map(|m| IpcMode::from(m.as_str())))
            .set_pid_mode(str_attr(planned, "pid_mode").map(|m| PidMode::from(m.as_str())))
            .set_runtime_platform(runtime)
            .set_ephemeral_storage(storage)
            .set_placement_constraints((!constraints.is_empty()).then_some(constraints))
            .set_volumes(Some(volumes(planned)?).filter(|v| !v.is_empty()))
            .set_tags(Some(tag_list(&tags)))
            .customize()
            .interceptor(RawJson::splice("containerDefinitions", doc))
            .send()
            .await
            .map_err(aws_err(format!("registering ECS task definition {family}")))?;
        let arn = out
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .ok_or_else(|| ProviderError::new("RegisterTaskDefinition returned no task definition"))?
            .to_string();
        let prior = planned
            .clone()
            .with("arn", Value::string(&arn))
            .with("track_latest", Value::Bool(false));
        let mut got = read_one(c, &crate::values::without_unknowns(&prior))
            .await
            .and_then(|v| {
                v.ok_or_else(|| ProviderError::new(format!("ECS task definition {arn} vanished after create")))
            })
            .map_err(|e| {
                e.with_partial(
                    crate::values::partial_object(&block(), &prior, &family).with("arn", Value::string(&arn)),
                )
            })?;
        got.set_attr(
            "track_latest",
            planned.get("track_latest").cloned().unwrap_or(Value::Bool(false)),
        );
        Ok(got)
    }

    /// Only `tags`, `skip_destroy` and `track_latest` change in place.
    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::invalid("the task definition has no arn"))?;
        crate::ecs::update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        let mut next = planned.clone();
        next.set_attr("track_latest", Value::Bool(false));
        let mut got = read_one(
            c,
            &crate::values::without_unknowns(&next.with("arn", Value::string(&arn))),
        )
        .await?
        .ok_or_else(|| ProviderError::not_found(format!("ECS task definition {arn} not found")))?;
        for k in ["skip_destroy", "track_latest"] {
            got.set_attr(k, planned.get(k).cloned().unwrap_or(Value::Bool(false)));
        }
        Ok(got)
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        if prior.get_bool("skip_destroy") == Some(true) {
            return Ok(());
        }
        let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::invalid("the task definition has no arn"))?;
        match c.ecs().deregister_task_definition().task_definition(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deregistering ECS task definition {arn}"))(e);
                let gone = e.is_not_found()
                    || code_of(&e) == "ClientException"
                        && (e.message.contains("inactive") || e.message.contains("nable to describe"));
                if gone { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let family = id
            .split_once("task-definition/")
            .and_then(|(_, rest)| rest.split_once(':'))
            .map(|(f, _)| f.to_string())
            .ok_or_else(|| {
                ProviderError::invalid(format!(
                    "expected an import ID like arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION, got {id:?}"
                ))
            })?;
        read_one(
            c,
            &Value::map([("id", Value::string(&family)), ("arn", Value::string(id))]),
        )
        .await
    }

    /// RegisterTaskDefinition has no client token. The newest active revisions of the family (at most 5)
    /// are checked: one carrying this operation's ownership tags (set by the register call) whose
    /// content is what the plan asks for is what an interrupted create registered.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(family) = str_attr(planned, "family") else {
            return Ok(None);
        };
        let out = c
            .ecs()
            .list_task_definitions()
            .family_prefix(&family)
            .status(TaskDefinitionStatus::Active)
            .sort(SortOrder::Desc)
            .max_results(FIND_DEPTH)
            .send()
            .await
            .map_err(aws_err(format!("listing ECS task definitions of {family}")))?;
        for arn in out.task_definition_arns().iter().take(FIND_DEPTH as usize) {
            if without_revision(arn).rsplit('/').next() != Some(family.as_str()) {
                continue;
            }
            let Some((td, doc, tags)) = describe(c, arn, false).await? else {
                continue;
            };
            if !owned(&tags, ctx) {
                continue;
            }
            let prior = crate::values::without_unknowns(planned).with("arn", Value::string(arn));
            let found = flatten(c, &td, doc.as_ref(), tags, &prior);
            if matches_planned(&found, planned) {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_without_revision() {
        assert_eq!(
            without_revision("arn:aws:ecs:us-east-1:1:task-definition/web:12"),
            "arn:aws:ecs:us-east-1:1:task-definition/web"
        );
    }

    #[test]
    fn documents_are_checked_at_plan_time() {
        let ok = Value::map([("container_definitions", Value::from(r#"[{"name":"a","image":"b"}]"#))]);
        assert!(container_document(&ok).is_ok());
        for bad in ["{}", "[]", "not json", "[1]"] {
            let v = Value::map([("container_definitions", Value::from(bad))]);
            assert!(container_document(&v).is_err(), "{bad}");
        }
    }
}
