//! `aws_scheduler_schedule`: an EventBridge Scheduler schedule. `id` is `GROUP/NAME`, as Terraform.
//! Name, prefix and group force a new schedule; everything else changes in place with `UpdateSchedule`,
//! which takes the whole schedule. Schedules have no tags (and so no ownership tags).
//!
//! Reads: `GetSchedule`, one per schedule — `ListSchedules` only summarises a target by its ARN, so a
//! batched listing could not tell a changed target, input or retry policy; the default `read_many` reads
//! a few at a time. The create passes a client token; an interrupted create is found by its name (given,
//! or derived from the client token) when the schedule has the planned expression and target.
//! Import ID: `GROUP/NAME`.
//!
//! Not supported yet (as blocks of `target`): `eventbridge_parameters`, `kinesis_parameters`,
//! `sagemaker_pipeline_parameters`, `sqs_parameters`, and in `ecs_parameters` the capacity provider
//! strategy and placement constraints/strategy.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::resources::scheduler_schedule_group::{rfc3339, valid_name};
use crate::values::{carry, complete, idempotency_token, planned_name, str_attr};
use async_trait::async_trait;
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, AssignPublicIp, AwsVpcConfiguration, DeadLetterConfig, EcsParameters, FlexibleTimeWindow,
    FlexibleTimeWindowMode, LaunchType, NetworkConfiguration, PropagateTags, RetryPolicy, ScheduleState, Target,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::HashMap;

pub struct SchedulerSchedule;

/// `Check::Fn`: an RFC 3339 timestamp (`2030-01-01T00:00:00Z`).
fn rfc3339_check(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(s) if DateTime::from_str(s, Format::DateTime).is_err() => Err(format!(
            "{s:?} is not a valid RFC 3339 timestamp, like \"2030-01-01T00:00:00Z\"."
        )),
        _ => Ok(()),
    }
}

fn ecs_block() -> Block {
    Block::new()
        .attr("task_definition_arn", Attribute::required(Type::String))
        .attr(
            "task_count",
            Attribute::optional(Type::Number)
                .default(1)
                .check(Check::IntRange(0, 10)),
        )
        .attr(
            "launch_type",
            Attribute::optional(Type::String).one_of(&["EC2", "FARGATE", "EXTERNAL"]),
        )
        .attr("platform_version", Attribute::optional(Type::String))
        .attr("group", Attribute::optional(Type::String).check(Check::Length(1, 255)))
        // Unset is false, as Terraform's provider plans and stores it (an API that answers nothing
        // for them means false too).
        .attr(
            "enable_ecs_managed_tags",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("enable_execute_command", Attribute::optional(Type::Bool).default(false))
        .attr(
            "propagate_tags",
            Attribute::optional(Type::String).one_of(&["TASK_DEFINITION"]),
        )
        .attr("reference_id", Attribute::optional(Type::String))
        .attr("tags", Attribute::optional(Type::string_map()))
        .block(
            "network_configuration",
            NestedBlock::list(
                Block::new()
                    .attr("subnets", Attribute::required(Type::string_set()))
                    .attr("security_groups", Attribute::optional(Type::string_set()))
                    .attr("assign_public_ip", Attribute::optional(Type::Bool).default(false)),
            )
            .max(1),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(|v| {
                    Check::Length(1, 64).check(v)?;
                    valid_name(v)
                }))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(|v| {
                    Check::Length(1, 38).check(v)?;
                    valid_name(v)
                }))
                .conflicts_with(&["name"]),
        )
        .attr(
            "group_name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(1, 64)),
        )
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 512)),
        )
        .attr(
            "schedule_expression",
            Attribute::required(Type::String).check(Check::Length(1, 256)),
        )
        .attr(
            "schedule_expression_timezone",
            Attribute::optional(Type::String)
                .default("UTC")
                .check(Check::Length(1, 50)),
        )
        .attr(
            "start_date",
            Attribute::optional(Type::String).check(Check::Fn(rfc3339_check)),
        )
        .attr(
            "end_date",
            Attribute::optional(Type::String).check(Check::Fn(rfc3339_check)),
        )
        .attr(
            "state",
            Attribute::optional(Type::String)
                .default("ENABLED")
                .one_of(&["ENABLED", "DISABLED"]),
        )
        .attr("kms_key_arn", Attribute::optional(Type::String))
        .attr(
            "action_after_completion",
            Attribute::optional_computed(Type::String).one_of(&["NONE", "DELETE"]),
        )
        .block(
            "flexible_time_window",
            NestedBlock::list(
                Block::new()
                    .attr("mode", Attribute::required(Type::String).one_of(&["OFF", "FLEXIBLE"]))
                    .attr(
                        "maximum_window_in_minutes",
                        Attribute::optional(Type::Number).check(Check::IntRange(1, 1440)),
                    ),
            )
            .min(1)
            .max(1),
        )
        .block(
            "target",
            NestedBlock::list(
                Block::new()
                    .attr("arn", Attribute::required(Type::String))
                    .attr("role_arn", Attribute::required(Type::String))
                    .attr("input", Attribute::optional(Type::String))
                    .block(
                        "dead_letter_config",
                        NestedBlock::list(Block::new().attr("arn", Attribute::required(Type::String))).max(1),
                    )
                    .block(
                        "retry_policy",
                        // The API always reports one (its defaults when none was given).
                        NestedBlock::list(
                            Block::new()
                                .attr(
                                    "maximum_event_age_in_seconds",
                                    Attribute::optional(Type::Number)
                                        .default(86400)
                                        .check(Check::IntRange(60, 86400)),
                                )
                                .attr(
                                    "maximum_retry_attempts",
                                    Attribute::optional(Type::Number)
                                        .default(185)
                                        .check(Check::IntRange(0, 185)),
                                ),
                        )
                        .max(1)
                        .computed(),
                    )
                    .block("ecs_parameters", NestedBlock::list(ecs_block()).max(1)),
            )
            .min(1)
            .max(1),
        )
}

fn split_id(id: &str) -> Result<(String, String)> {
    id.split_once('/')
        .filter(|(g, n)| !g.is_empty() && !n.is_empty() && !n.contains('/'))
        .map(|(g, n)| (g.to_string(), n.to_string()))
        .ok_or_else(|| {
            ProviderError::invalid(format!(
                "unexpected format of ID ({id:?}), expected schedule-group-name/schedule-name"
            ))
        })
}

fn flatten_ecs(e: &EcsParameters) -> Value {
    let network = e
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|a| {
            Value::map([
                ("subnets", Value::string_set(a.subnets())),
                (
                    "security_groups",
                    if a.security_groups().is_empty() {
                        Value::Null
                    } else {
                        Value::string_set(a.security_groups())
                    },
                ),
                (
                    "assign_public_ip",
                    Value::Bool(a.assign_public_ip() == Some(&AssignPublicIp::Enabled)),
                ),
            ])
        });
    let tags: Vec<(String, String)> = e
        .tags()
        .iter()
        .filter_map(|m| Some((m.get("key")?.clone(), m.get("value").cloned().unwrap_or_default())))
        .collect();
    Value::map([
        ("task_definition_arn", Value::string(e.task_definition_arn())),
        ("task_count", Value::opt_int(e.task_count())),
        ("launch_type", Value::opt_string(e.launch_type().map(|l| l.as_str()))),
        ("platform_version", Value::opt_string(e.platform_version())),
        ("group", Value::opt_string(e.group())),
        (
            "enable_ecs_managed_tags",
            Value::Bool(e.enable_ecs_managed_tags().unwrap_or(false)),
        ),
        (
            "enable_execute_command",
            Value::Bool(e.enable_execute_command().unwrap_or(false)),
        ),
        (
            "propagate_tags",
            Value::opt_string(e.propagate_tags().map(|p| p.as_str())),
        ),
        ("reference_id", Value::opt_string(e.reference_id())),
        (
            "tags",
            if tags.is_empty() {
                Value::Null
            } else {
                Value::string_map(tags)
            },
        ),
        ("network_configuration", Value::List(network.into_iter().collect())),
    ])
}

fn flatten(s: &GetScheduleOutput, prior: &Value) -> Value {
    let name = s.name().unwrap_or_default();
    let group = s.group_name().unwrap_or("default");
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let window = s.flexible_time_window().map(|w| {
        Value::map([
            ("mode", Value::string(w.mode().as_str())),
            (
                "maximum_window_in_minutes",
                Value::opt_int(w.maximum_window_in_minutes()),
            ),
        ])
    });
    let target = s.target().map(|t| {
        Value::map([
            ("arn", Value::string(t.arn())),
            ("role_arn", Value::string(t.role_arn())),
            ("input", Value::opt_string(t.input())),
            (
                "dead_letter_config",
                Value::List(
                    t.dead_letter_config()
                        .and_then(|d| d.arn())
                        .map(|a| Value::map([("arn", Value::string(a))]))
                        .into_iter()
                        .collect(),
                ),
            ),
            (
                "retry_policy",
                Value::List(
                    t.retry_policy()
                        .map(|r| {
                            Value::map([
                                (
                                    "maximum_event_age_in_seconds",
                                    Value::opt_int(r.maximum_event_age_in_seconds()),
                                ),
                                ("maximum_retry_attempts", Value::opt_int(r.maximum_retry_attempts())),
                            ])
                        })
                        .into_iter()
                        .collect(),
                ),
            ),
            (
                "ecs_parameters",
                Value::List(t.ecs_parameters().map(flatten_ecs).into_iter().collect()),
            ),
        ])
    });
    let obj = Value::map([
        ("id", Value::string(format!("{group}/{name}"))),
        ("arn", Value::opt_string(s.arn())),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("group_name", Value::string(group)),
        (
            "description",
            Value::opt_string(s.description().filter(|d| !d.is_empty())),
        ),
        ("schedule_expression", Value::opt_string(s.schedule_expression())),
        (
            "schedule_expression_timezone",
            Value::string(s.schedule_expression_timezone().unwrap_or("UTC")),
        ),
        ("start_date", rfc3339(s.start_date())),
        ("end_date", rfc3339(s.end_date())),
        (
            "state",
            Value::string(s.state().map(|x| x.as_str()).unwrap_or("ENABLED")),
        ),
        ("kms_key_arn", Value::opt_string(s.kms_key_arn())),
        (
            "action_after_completion",
            s.action_after_completion()
                .map(|a| Value::string(a.as_str()))
                .unwrap_or_else(|| carry(prior, "action_after_completion", Value::string("NONE"))),
        ),
        ("flexible_time_window", Value::List(window.into_iter().collect())),
        ("target", Value::List(target.into_iter().collect())),
    ]);
    complete(&block(), obj)
}

async fn read_one(c: &AwsClient, group: &str, name: &str, prior: &Value) -> Result<Option<Value>> {
    match c.scheduler().get_schedule().group_name(group).name(name).send().await {
        Ok(o) => Ok(Some(flatten(&o, prior))),
        Err(e) => {
            let e = aws_err(format!("reading EventBridge Scheduler schedule {group}/{name}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

fn date(v: &Value, key: &str) -> Result<Option<DateTime>> {
    str_attr(v, key)
        .map(|s| {
            DateTime::from_str(&s, Format::DateTime)
                .map_err(|e| ProviderError::invalid(format!("{key}: {s:?} is not an RFC 3339 timestamp: {e}")))
        })
        .transpose()
}

fn window(planned: &Value) -> Result<FlexibleTimeWindow> {
    let w = planned
        .get_block("flexible_time_window")
        .ok_or_else(|| ProviderError::invalid("flexible_time_window is required"))?;
    FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::from(w.get_str("mode").unwrap_or("OFF")))
        .set_maximum_window_in_minutes(w.get_i64("maximum_window_in_minutes").map(|n| n as i32))
        .build()
        .map_err(|e| ProviderError::invalid(format!("flexible_time_window: {e}")))
}

fn ecs_parameters(e: &Value) -> Result<EcsParameters> {
    let network = match e.get_block("network_configuration") {
        Some(n) => {
            let sgs = n.get_strings("security_groups");
            let vpc = AwsVpcConfiguration::builder()
                .set_subnets(Some(n.get_strings("subnets")))
                .set_security_groups((!sgs.is_empty()).then_some(sgs))
                .assign_public_ip(if n.get_bool("assign_public_ip") == Some(true) {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .map_err(|err| ProviderError::invalid(format!("network_configuration: {err}")))?;
            Some(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
        }
        None => None,
    };
    let tags: Vec<HashMap<String, String>> = e
        .get_string_map("tags")
        .into_iter()
        .map(|(k, v)| HashMap::from([("key".to_string(), k), ("value".to_string(), v)]))
        .collect();
    EcsParameters::builder()
        .set_task_definition_arn(str_attr(e, "task_definition_arn"))
        .set_task_count(e.get_i64("task_count").map(|n| n as i32))
        .set_launch_type(str_attr(e, "launch_type").map(|l| LaunchType::from(l.as_str())))
        .set_platform_version(str_attr(e, "platform_version"))
        .set_group(str_attr(e, "group"))
        .set_enable_ecs_managed_tags(e.get_bool("enable_ecs_managed_tags"))
        .set_enable_execute_command(e.get_bool("enable_execute_command"))
        .set_propagate_tags(str_attr(e, "propagate_tags").map(|p| PropagateTags::from(p.as_str())))
        .set_reference_id(str_attr(e, "reference_id"))
        .set_tags((!tags.is_empty()).then_some(tags))
        .set_network_configuration(network)
        .build()
        .map_err(|err| ProviderError::invalid(format!("ecs_parameters: {err}")))
}

fn target(planned: &Value) -> Result<Target> {
    let t = planned
        .get_block("target")
        .ok_or_else(|| ProviderError::invalid("target is required"))?;
    let retry = t.get_block("retry_policy").map(|r| {
        RetryPolicy::builder()
            .set_maximum_event_age_in_seconds(r.get_i64("maximum_event_age_in_seconds").map(|n| n as i32))
            .set_maximum_retry_attempts(r.get_i64("maximum_retry_attempts").map(|n| n as i32))
            .build()
    });
    let dlq = t
        .get_block("dead_letter_config")
        .map(|d| DeadLetterConfig::builder().set_arn(str_attr(d, "arn")).build());
    let ecs = t.get_block("ecs_parameters").map(ecs_parameters).transpose()?;
    Target::builder()
        .set_arn(str_attr(t, "arn"))
        .set_role_arn(str_attr(t, "role_arn"))
        .set_input(str_attr(t, "input"))
        .set_retry_policy(retry)
        .set_dead_letter_config(dlq)
        .set_ecs_parameters(ecs)
        .build()
        .map_err(|e| ProviderError::invalid(format!("target: {e}")))
}

fn planned_group(planned: &Value) -> String {
    str_attr(planned, "group_name").unwrap_or_else(|| "default".to_string())
}

#[async_trait]
impl ResourceType<AwsClient> for SchedulerSchedule {
    fn name(&self) -> &'static str {
        "aws_scheduler_schedule"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        let (group, name) = split_id(&crate::values::id_of(prior)?)?;
        read_one(c, &group, &name, prior).await
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = planned_name(ctx, planned, "terraform-");
        let group = planned_group(planned);
        c.scheduler()
            .create_schedule()
            .name(&name)
            .group_name(&group)
            .client_token(idempotency_token(&ctx.client_token, 1, 64))
            .set_schedule_expression(str_attr(planned, "schedule_expression"))
            .set_schedule_expression_timezone(str_attr(planned, "schedule_expression_timezone"))
            .set_description(str_attr(planned, "description"))
            .set_start_date(date(planned, "start_date")?)
            .set_end_date(date(planned, "end_date")?)
            .set_state(str_attr(planned, "state").map(|s| ScheduleState::from(s.as_str())))
            .set_kms_key_arn(str_attr(planned, "kms_key_arn"))
            .set_action_after_completion(
                str_attr(planned, "action_after_completion").map(|a| ActionAfterCompletion::from(a.as_str())),
            )
            .flexible_time_window(window(planned)?)
            .target(target(planned)?)
            .send()
            .await
            .map_err(aws_err(format!(
                "creating EventBridge Scheduler schedule {group}/{name}"
            )))?;
        let id = format!("{group}/{name}");
        read_one(c, &group, &name, planned)
            .await
            .and_then(|v| v.ok_or_else(|| ProviderError::new(format!("schedule {id} vanished after create"))))
            .map_err(|e| {
                let p = planned
                    .clone()
                    .with("name", Value::string(&name))
                    .with("group_name", Value::string(&group));
                e.with_partial(crate::values::partial_object(&block(), &p, &id))
            })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = crate::values::id_of(prior)?;
        let (group, name) = split_id(&id)?;
        c.scheduler()
            .update_schedule()
            .name(&name)
            .group_name(&group)
            .set_schedule_expression(str_attr(planned, "schedule_expression"))
            .set_schedule_expression_timezone(str_attr(planned, "schedule_expression_timezone"))
            .set_description(str_attr(planned, "description"))
            .set_start_date(date(planned, "start_date")?)
            .set_end_date(date(planned, "end_date")?)
            .set_state(str_attr(planned, "state").map(|s| ScheduleState::from(s.as_str())))
            .set_kms_key_arn(str_attr(planned, "kms_key_arn"))
            .set_action_after_completion(
                str_attr(planned, "action_after_completion").map(|a| ActionAfterCompletion::from(a.as_str())),
            )
            .flexible_time_window(window(planned)?)
            .target(target(planned)?)
            .send()
            .await
            .map_err(aws_err(format!("updating EventBridge Scheduler schedule {id}")))?;
        read_one(c, &group, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("schedule {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = crate::values::id_of(prior)?;
        let (group, name) = split_id(&id)?;
        match c
            .scheduler()
            .delete_schedule()
            .group_name(&group)
            .name(&name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting EventBridge Scheduler schedule {id}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    /// `GROUP/NAME`.
    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let (group, name) = split_id(id)?;
        read_one(c, &group, &name, &Value::Null).await
    }

    /// Schedules carry no tags: the schedule of the planned name and group that has the planned
    /// expression and target ARN is what an interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = planned_name(ctx, planned, "terraform-");
        let group = planned_group(planned);
        let Some(found) = read_one(c, &group, &name, planned).await? else {
            return Ok(None);
        };
        let target_arn = |v: &Value| v.get_block("target").and_then(|t| t.get_str("arn")).map(str::to_string);
        let same = found.get_str("schedule_expression") == planned.get_str("schedule_expression")
            && target_arn(&found) == target_arn(planned);
        Ok(same.then_some(found))
    }
}
