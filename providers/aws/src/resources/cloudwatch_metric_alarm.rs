//! `aws_cloudwatch_metric_alarm`: a CloudWatch alarm on one metric. `id` is the alarm name, which forces
//! a new alarm; every other argument changes in place with `PutMetricAlarm` (which rewrites the whole
//! alarm and ignores tags when the alarm exists: tags change with `TagResource`/`UntagResource`).
//!
//! Batched read: `DescribeAlarms` with up to 100 `AlarmNames` per call (paginated) for the alarms; their
//! tags from the refresh's Tagging API sweep ([`crate::tagging`]), shared with the other types, and
//! `ListTagsForResource` for an alarm the sweep does not answer for (and outside a refresh).
//! Import ID: the alarm name. An interrupted create is found by its name when the alarm carries this
//! operation's ownership tags.
//!
//! Not supported yet: `metric_query` blocks (metric math and anomaly detection alarms).

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::tags;
use crate::values::{ReadResults, all_failed, complete, str_attr};
use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, MetricAlarm, StandardUnit, Statistic, Tag};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::{BTreeMap, HashMap};

pub struct CloudwatchMetricAlarm;

/// Most names one `DescribeAlarms` call takes.
const DESCRIBE_BATCH: usize = 100;

const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "alarm_name",
            Attribute::required(Type::String)
                .force_new()
                .check(Check::Length(1, 255)),
        )
        .attr(
            "comparison_operator",
            Attribute::required(Type::String).one_of(&[
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
                "LessThanLowerOrGreaterThanUpperThreshold",
                "LessThanLowerThreshold",
                "GreaterThanUpperThreshold",
            ]),
        )
        .attr(
            "evaluation_periods",
            Attribute::required(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
        )
        .attr(
            "metric_name",
            Attribute::optional(Type::String).check(Check::Length(1, 255)),
        )
        .attr(
            "namespace",
            Attribute::optional(Type::String).check(Check::Length(1, 255)),
        )
        .attr(
            "period",
            Attribute::optional(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
        )
        .attr(
            "statistic",
            Attribute::optional(Type::String)
                .one_of(&["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
                .conflicts_with(&["extended_statistic"]),
        )
        .attr(
            "extended_statistic",
            Attribute::optional(Type::String).conflicts_with(&["statistic"]),
        )
        .attr(
            "threshold",
            Attribute::optional(Type::Number).conflicts_with(&["threshold_metric_id"]),
        )
        .attr(
            "threshold_metric_id",
            Attribute::optional(Type::String)
                .check(Check::Length(1, 255))
                .conflicts_with(&["threshold"]),
        )
        .attr("actions_enabled", Attribute::optional(Type::Bool).default(true))
        .attr("alarm_actions", Attribute::optional(Type::string_set()))
        .attr("ok_actions", Attribute::optional(Type::string_set()))
        .attr("insufficient_data_actions", Attribute::optional(Type::string_set()))
        .attr(
            "alarm_description",
            Attribute::optional(Type::String).check(Check::Length(0, 1024)),
        )
        .attr(
            "datapoints_to_alarm",
            Attribute::optional(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
        )
        .attr("dimensions", Attribute::optional(Type::string_map()))
        .attr(
            "treat_missing_data",
            Attribute::optional(Type::String).default("missing").one_of(&[
                "breaching",
                "notBreaching",
                "ignore",
                "missing",
            ]),
        )
        .attr(
            "evaluate_low_sample_count_percentiles",
            Attribute::optional_computed(Type::String).one_of(&["evaluate", "ignore"]),
        )
        .attr("unit", Attribute::optional(Type::String).one_of(UNITS))
        .tags()
}

fn set_or_null(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::string_set(items)
    }
}

fn flatten(c: &AwsClient, a: &MetricAlarm, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let dims: BTreeMap<String, String> = a
        .dimensions()
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value().unwrap_or_default().to_string())))
        .collect();
    let mut obj = Value::map([
        ("id", Value::opt_string(a.alarm_name())),
        ("arn", Value::opt_string(a.alarm_arn())),
        ("alarm_name", Value::opt_string(a.alarm_name())),
        (
            "comparison_operator",
            Value::opt_string(a.comparison_operator().map(|o| o.as_str())),
        ),
        ("evaluation_periods", Value::opt_int(a.evaluation_periods())),
        ("metric_name", Value::opt_string(a.metric_name())),
        ("namespace", Value::opt_string(a.namespace())),
        ("period", Value::opt_int(a.period())),
        ("statistic", Value::opt_string(a.statistic().map(|s| s.as_str()))),
        ("extended_statistic", Value::opt_string(a.extended_statistic())),
        ("threshold", a.threshold().map(Value::number).unwrap_or(Value::Null)),
        ("threshold_metric_id", Value::opt_string(a.threshold_metric_id())),
        ("actions_enabled", Value::Bool(a.actions_enabled().unwrap_or(true))),
        ("alarm_actions", set_or_null(a.alarm_actions())),
        ("ok_actions", set_or_null(a.ok_actions())),
        ("insufficient_data_actions", set_or_null(a.insufficient_data_actions())),
        (
            "alarm_description",
            Value::opt_string(a.alarm_description().filter(|d| !d.is_empty())),
        ),
        ("datapoints_to_alarm", Value::opt_int(a.datapoints_to_alarm())),
        (
            "dimensions",
            if dims.is_empty() {
                Value::Null
            } else {
                Value::string_map(dims)
            },
        ),
        (
            "treat_missing_data",
            Value::string(a.treat_missing_data().unwrap_or("missing")),
        ),
        (
            "evaluate_low_sample_count_percentiles",
            Value::opt_string(a.evaluate_low_sample_count_percentile().filter(|s| !s.is_empty())),
        ),
        ("unit", Value::opt_string(a.unit().map(|u| u.as_str()))),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn list_tags(c: &AwsClient, arn: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .cloudwatch()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws_err(format!("reading tags of alarm {arn}")))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .collect())
}

/// The tags of these alarms: from the refresh's sweep where it answers, else one
/// `ListTagsForResource` per alarm.
async fn tags_of_arns(c: &AwsClient, arns: &[String]) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut out = if c.refresh().is_some() {
        crate::tagging::tags_by_arn(c, arns).await?
    } else {
        HashMap::new()
    };
    let missing: Vec<&String> = arns.iter().filter(|a| !out.contains_key(*a)).collect();
    let own = futures::future::join_all(missing.iter().map(|arn| list_tags(c, arn))).await;
    for (arn, tags) in missing.into_iter().zip(own) {
        out.insert(arn.clone(), tags?);
    }
    Ok(out)
}

async fn describe(c: &AwsClient, names: &[String]) -> Result<Vec<MetricAlarm>> {
    let mut found = Vec::new();
    for chunk in names.chunks(DESCRIBE_BATCH) {
        let pages: Vec<_> = c
            .cloudwatch()
            .describe_alarms()
            .set_alarm_names(Some(chunk.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .into_paginator()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading CloudWatch alarms"))?;
        found.extend(
            pages
                .into_iter()
                .flat_map(|p| p.metric_alarms.unwrap_or_default())
                .filter(|a| a.alarm_name().is_some_and(|n| chunk.iter().any(|x| x == n))),
        );
    }
    Ok(found)
}

async fn read_alarms(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let names = crate::values::keys_of(priors, "id");
    let mut results = ReadResults::new();
    if names.is_empty() {
        return Ok(results);
    }
    let alarms = describe(c, &names).await?;
    let arns: Vec<String> = alarms
        .iter()
        .filter_map(|a| a.alarm_arn().map(str::to_string))
        .collect();
    let tags_of = if arns.is_empty() {
        HashMap::new()
    } else {
        tags_of_arns(c, &arns).await?
    };
    let by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    for a in &alarms {
        let name = a.alarm_name().unwrap_or_default();
        let prior = by_id.get(name).copied().unwrap_or(&Value::Null);
        let t = a
            .alarm_arn()
            .and_then(|arn| tags_of.get(arn).cloned())
            .unwrap_or_default();
        results.insert(name, flatten(c, a, t, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::prior_for(prior, name);
    crate::values::single(
        read_alarms(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// `PutMetricAlarm` with every planned argument (it replaces the whole alarm); tags only on create.
async fn put(c: &AwsClient, name: &str, planned: &Value, tags: Option<Vec<Tag>>) -> Result<()> {
    let dims: Vec<Dimension> = planned
        .get_string_map("dimensions")
        .into_iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect();
    let strings = |k: &str| Some(planned.get_strings(k));
    c.cloudwatch()
        .put_metric_alarm()
        .alarm_name(name)
        .set_comparison_operator(str_attr(planned, "comparison_operator").map(|o| ComparisonOperator::from(o.as_str())))
        .set_evaluation_periods(planned.get_i64("evaluation_periods").map(|n| n as i32))
        .set_metric_name(str_attr(planned, "metric_name"))
        .set_namespace(str_attr(planned, "namespace"))
        .set_period(planned.get_i64("period").map(|n| n as i32))
        .set_statistic(str_attr(planned, "statistic").map(|s| Statistic::from(s.as_str())))
        .set_extended_statistic(str_attr(planned, "extended_statistic"))
        .set_threshold(planned.get_f64("threshold"))
        .set_threshold_metric_id(str_attr(planned, "threshold_metric_id"))
        .actions_enabled(planned.get_bool("actions_enabled").unwrap_or(true))
        .set_alarm_actions(strings("alarm_actions"))
        .set_ok_actions(strings("ok_actions"))
        .set_insufficient_data_actions(strings("insufficient_data_actions"))
        .set_alarm_description(str_attr(planned, "alarm_description"))
        .set_datapoints_to_alarm(planned.get_i64("datapoints_to_alarm").map(|n| n as i32))
        .set_dimensions((!dims.is_empty()).then_some(dims))
        .set_treat_missing_data(str_attr(planned, "treat_missing_data"))
        .set_evaluate_low_sample_count_percentile(str_attr(planned, "evaluate_low_sample_count_percentiles"))
        .set_unit(str_attr(planned, "unit").map(|u| StandardUnit::from(u.as_str())))
        .set_tags(tags)
        .send()
        .await
        .map_err(aws_err(format!("writing CloudWatch alarm {name}")))?;
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for CloudwatchMetricAlarm {
    fn name(&self) -> &'static str {
        "aws_cloudwatch_metric_alarm"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).terraform_version(1)
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_alarms(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "alarm_name").ok_or_else(|| ProviderError::invalid("alarm_name is required"))?;
        put(c, &name, planned, Some(tag_list(&tags::for_create(c, ctx, planned)))).await?;
        read_one(c, &name, planned)
            .await
            .and_then(|v| v.ok_or_else(|| ProviderError::new(format!("alarm {name} vanished after create"))))
            .map_err(|e| e.with_partial(crate::values::partial_object(&block(), planned, &name)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(prior)?;
        let ch = tags::changes(c, prior, planned);
        let mut rest = prior.clone();
        let mut want = planned.clone();
        for k in ["tags", "tags_all"] {
            rest.set_attr(k, Value::Null);
            want.set_attr(k, Value::Null);
        }
        if rest != want {
            put(c, &name, planned, None).await?;
        }
        let arn = str_attr(prior, "arn").unwrap_or_default();
        if !ch.remove.is_empty() {
            c.cloudwatch()
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(ch.remove.clone()))
                .send()
                .await
                .map_err(aws_err(format!("removing tags of alarm {name}")))?;
        }
        if !ch.set.is_empty() {
            c.cloudwatch()
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tag_list(&ch.set)))
                .send()
                .await
                .map_err(aws_err(format!("tagging alarm {name}")))?;
        }
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("alarm {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = crate::values::id_of(prior)?;
        match c.cloudwatch().delete_alarms().alarm_names(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting alarm {name}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "alarm_name") else {
            return Ok(None);
        };
        let Some(found) = read_one(c, &name, planned).await? else {
            return Ok(None);
        };
        let arn = str_attr(&found, "arn").unwrap_or_default();
        let tags = list_tags(c, &arn).await?;
        Ok(crate::elbv2::owned(&tags, ctx).then_some(found))
    }
}
