//! `aws_lb_target_group`: a target group of an application or network load balancer. `id` and `arn` are
//! the ARN. Health check settings change in place with `ModifyTargetGroup`; deregistration delay, slow
//! start, stickiness and the other attributes with `ModifyTargetGroupAttributes`; name, port, protocol,
//! VPC and target type force a new target group, as in Terraform.
//!
//! Batched read: `DescribeTargetGroups` with up to 20 ARNs per call (a chunk holding a deleted group is
//! split until the missing ARN is isolated, see [`crate::elbv2::describe_chunked`]) and `DescribeTags`
//! for 20 ARNs per call. The attributes (deregistration delay, stickiness, slow start...) only come from
//! `DescribeTargetGroupAttributes`, which takes one target group per call: that call is unavoidably per
//! resource, as it is in Terraform.
//! Import ID: the target group ARN.

use crate::client::AwsClient;
use crate::elbv2::{self, DescribeFn, arn_suffix, attr_map, describe_chunked, describe_tags, owned, tag_list};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{
    ReadResults, all_failed, carry, changed, complete, id_of, keys_of, partial_object, prior_for, single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetGroupIpAddressTypeEnum, TargetTypeEnum,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema,
    Type, Value,
};
use std::collections::HashMap;

pub struct LbTargetGroup;

/// `Check::Fn` for `deregistration_delay`: seconds, 0–3600 (a number given as a string).
fn deregistration_delay(v: &Value) -> std::result::Result<(), String> {
    match crate::values::int_of(v) {
        Some(Ok(n)) if !(0..=3600).contains(&n) => Err(format!("expected a number between 0 and 3600, got {n}.")),
        Some(Err(e)) => Err(e),
        _ => Ok(()),
    }
}

/// `Check::Fn` for `slow_start`: 0 (off) or 30–900 seconds.
fn slow_start(v: &Value) -> std::result::Result<(), String> {
    match v.as_i64() {
        Some(n) if n != 0 && !(30..=900).contains(&n) => {
            Err(format!("expected 0 or a number between 30 and 900, got {n}."))
        }
        _ => Ok(()),
    }
}

/// `Check::Fn` for the health check `port`: `traffic-port` or a port 1–65535.
fn health_check_port(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        None | Some("traffic-port") => Ok(()),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(()),
            _ => Err(format!(
                "expected \"traffic-port\" or a port between 1 and 65535, got {s:?}."
            )),
        },
    }
}

/// `Check::Fn` for the health check `path`: starts with `/`, at most 1024 characters.
fn health_check_path(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(p) if !p.starts_with('/') || p.len() > 1024 => Err(format!(
            "expected a path starting with \"/\", at most 1024 characters, got {p:?}."
        )),
        _ => Ok(()),
    }
}

fn health_check_block() -> Block {
    Block::new()
        .attr("enabled", Attribute::optional(Type::Bool).default(true))
        .attr(
            "healthy_threshold",
            Attribute::optional(Type::Number)
                .default(3)
                .check(Check::IntRange(2, 10)),
        )
        .attr(
            "interval",
            Attribute::optional(Type::Number)
                .default(30)
                .check(Check::IntRange(5, 300)),
        )
        .attr("matcher", Attribute::optional_computed(Type::String))
        .attr(
            "path",
            Attribute::optional_computed(Type::String).check(Check::Fn(health_check_path)),
        )
        .attr(
            "port",
            Attribute::optional(Type::String)
                .default("traffic-port")
                .check(Check::Fn(health_check_port)),
        )
        .attr(
            "protocol",
            Attribute::optional(Type::String)
                .default("HTTP")
                .case_insensitive()
                .check(Check::OneOfIgnoreCase(&["HTTP", "HTTPS", "TCP"])),
        )
        .attr(
            "timeout",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(2, 120)),
        )
        .attr(
            "unhealthy_threshold",
            Attribute::optional(Type::Number)
                .default(3)
                .check(Check::IntRange(2, 10)),
        )
}

fn stickiness_block() -> Block {
    Block::new()
        .attr(
            "cookie_duration",
            Attribute::optional(Type::Number)
                .default(86400)
                .check(Check::IntRange(0, 604800)),
        )
        .attr("cookie_name", Attribute::optional(Type::String))
        .attr("enabled", Attribute::optional(Type::Bool).default(true))
        .attr(
            "type",
            Attribute::required(Type::String).one_of(&[
                "lb_cookie",
                "app_cookie",
                "source_ip",
                "source_ip_dest_ip",
                "source_ip_dest_ip_proto",
            ]),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("arn_suffix", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(crate::resources::lb::lb_name))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(crate::resources::lb::lb_name_prefix))
                .conflicts_with(&["name"]),
        )
        .attr(
            "port",
            Attribute::optional(Type::Number)
                .force_new()
                .check(Check::IntRange(1, 65535)),
        )
        .attr(
            "protocol",
            Attribute::optional(Type::String)
                .force_new()
                .case_insensitive()
                .check(Check::OneOfIgnoreCase(&[
                    "GENEVE", "HTTP", "HTTPS", "TCP", "TCP_UDP", "TLS", "UDP",
                ])),
        )
        .attr(
            "protocol_version",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::OneOfIgnoreCase(&["GRPC", "HTTP1", "HTTP2"])),
        )
        .attr("vpc_id", Attribute::optional(Type::String).force_new())
        .attr(
            "target_type",
            Attribute::optional(Type::String)
                .default("instance")
                .force_new()
                .one_of(&["instance", "ip", "lambda", "alb"]),
        )
        .attr(
            "ip_address_type",
            Attribute::optional_computed(Type::String)
                .force_new()
                .one_of(&["ipv4", "ipv6"]),
        )
        .attr(
            "deregistration_delay",
            Attribute::optional(Type::String)
                .default("300")
                .check(Check::Fn(deregistration_delay)),
        )
        .attr(
            "slow_start",
            Attribute::optional(Type::Number)
                .default(0)
                .check(Check::Fn(slow_start)),
        )
        .attr("proxy_protocol_v2", Attribute::optional(Type::Bool).default(false))
        .attr(
            "lambda_multi_value_headers_enabled",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("connection_termination", Attribute::optional_computed(Type::Bool))
        .attr(
            "load_balancing_algorithm_type",
            Attribute::optional_computed(Type::String).one_of(&[
                "round_robin",
                "least_outstanding_requests",
                "weighted_random",
            ]),
        )
        .attr(
            "load_balancing_cross_zone_enabled",
            Attribute::optional_computed(Type::String).one_of(&["true", "false", "use_load_balancer_configuration"]),
        )
        .attr("preserve_client_ip", Attribute::optional_computed(Type::String))
        .attr("load_balancer_arns", Attribute::computed(Type::string_set()))
        .block(
            "health_check",
            NestedBlock::list(health_check_block()).max(1).computed(),
        )
        .block("stickiness", NestedBlock::list(stickiness_block()).max(1).computed())
        .tags()
}

/// Arguments stored as target group attributes, with the attribute keys they map to.
const ATTRIBUTE_ARGS: &[&str] = &[
    "deregistration_delay",
    "slow_start",
    "proxy_protocol_v2",
    "lambda_multi_value_headers_enabled",
    "connection_termination",
    "load_balancing_algorithm_type",
    "load_balancing_cross_zone_enabled",
    "preserve_client_ip",
    "stickiness",
];

fn flatten(
    c: &AwsClient,
    tg: &TargetGroup,
    attrs: &HashMap<String, String>,
    tags: Vec<(String, String)>,
    prior: &Value,
) -> Value {
    let arn = tg.target_group_arn().unwrap_or_default();
    let name = tg.target_group_name().unwrap_or_default();
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let attr = |k: &str| attrs.get(k).map(String::as_str);
    let bool_attr = |k: &str| attr(k).map(|v| Value::Bool(v == "true"));
    let int_attr = |k: &str| attr(k).and_then(|v| v.parse::<i64>().ok()).map(Value::int);
    let health = Value::map([
        ("enabled", Value::Bool(tg.health_check_enabled().unwrap_or(true))),
        ("healthy_threshold", Value::opt_int(tg.healthy_threshold_count())),
        ("interval", Value::opt_int(tg.health_check_interval_seconds())),
        (
            "matcher",
            Value::opt_string(tg.matcher().and_then(|m| m.http_code().or(m.grpc_code()))),
        ),
        ("path", Value::opt_string(tg.health_check_path())),
        ("port", Value::opt_string(tg.health_check_port())),
        (
            "protocol",
            Value::opt_string(tg.health_check_protocol().map(|p| p.as_str())),
        ),
        ("timeout", Value::opt_int(tg.health_check_timeout_seconds())),
        ("unhealthy_threshold", Value::opt_int(tg.unhealthy_threshold_count())),
    ]);
    let stickiness = match attr("stickiness.type") {
        Some(ty) if !ty.is_empty() => Value::List(vec![Value::map([
            ("enabled", bool_attr("stickiness.enabled").unwrap_or(Value::Bool(false))),
            ("type", Value::string(ty)),
            (
                "cookie_duration",
                int_attr("stickiness.lb_cookie.duration_seconds").unwrap_or(Value::int(86400)),
            ),
            (
                "cookie_name",
                Value::opt_string(attr("stickiness.app_cookie.cookie_name").filter(|n| !n.is_empty())),
            ),
        ])]),
        _ => Value::List(vec![]),
    };
    let mut obj = Value::map([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("arn_suffix", Value::opt_string(arn_suffix(arn))),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("port", Value::opt_int(tg.port())),
        ("protocol", Value::opt_string(tg.protocol().map(|p| p.as_str()))),
        ("protocol_version", Value::opt_string(tg.protocol_version())),
        ("vpc_id", Value::opt_string(tg.vpc_id())),
        (
            "target_type",
            Value::string(tg.target_type().map(|t| t.as_str()).unwrap_or("instance")),
        ),
        (
            "ip_address_type",
            Value::opt_string(tg.ip_address_type().map(|t| t.as_str())),
        ),
        (
            "deregistration_delay",
            attr("deregistration_delay.timeout_seconds")
                .map(Value::string)
                .unwrap_or_else(|| carry(prior, "deregistration_delay", Value::string("300"))),
        ),
        (
            "slow_start",
            int_attr("slow_start.duration_seconds").unwrap_or(Value::int(0)),
        ),
        (
            "proxy_protocol_v2",
            bool_attr("proxy_protocol_v2.enabled").unwrap_or(Value::Bool(false)),
        ),
        (
            "lambda_multi_value_headers_enabled",
            bool_attr("lambda.multi_value_headers.enabled").unwrap_or(Value::Bool(false)),
        ),
        (
            "connection_termination",
            bool_attr("deregistration_delay.connection_termination.enabled")
                .unwrap_or_else(|| carry(prior, "connection_termination", Value::Null)),
        ),
        (
            "load_balancing_algorithm_type",
            Value::opt_string(attr("load_balancing.algorithm.type")),
        ),
        (
            "load_balancing_cross_zone_enabled",
            Value::opt_string(attr("load_balancing.cross_zone.enabled")),
        ),
        (
            "preserve_client_ip",
            attr("preserve_client_ip.enabled")
                .map(Value::string)
                .unwrap_or_else(|| carry(prior, "preserve_client_ip", Value::Null)),
        ),
        ("load_balancer_arns", Value::string_set(tg.load_balancer_arns())),
        ("health_check", Value::List(vec![health])),
        ("stickiness", stickiness),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn attributes_of(c: &AwsClient, arn: &str) -> Result<Option<HashMap<String, String>>> {
    match c
        .elbv2()
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Some(attr_map(out.attributes().iter().map(|a| (a.key(), a.value()))))),
        Err(e) => {
            let e = aws_err(format!("reading attributes of target group {arn}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

async fn read_groups(c: &AwsClient, arns: &[String], priors: &[Value]) -> Result<ReadResults> {
    let call: &DescribeFn<'_, TargetGroup> = &|chunk| {
        Box::pin(async move {
            let pages: Vec<_> = c
                .elbv2()
                .describe_target_groups()
                .set_target_group_arns(Some(chunk))
                .into_paginator()
                .send()
                .collect::<std::result::Result<_, _>>()
                .await
                .map_err(aws_err("reading ELB target groups"))?;
            Ok(pages
                .into_iter()
                .flat_map(|p| p.target_groups.unwrap_or_default())
                .collect())
        })
    };
    let groups = describe_chunked(arns, call).await?;
    let found: Vec<String> = groups
        .iter()
        .filter_map(|g| g.target_group_arn().map(str::to_string))
        .collect();
    let mut tags = elbv2::tags_of(c, &found).await?;
    let attrs = futures::future::join_all(found.iter().map(|a| attributes_of(c, a))).await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (g, a) in groups.iter().zip(attrs) {
        let Some(a) = a? else { continue };
        let arn = g.target_group_arn().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&arn).copied().unwrap_or(&Value::Null);
        let t = tags.remove(&arn).unwrap_or_default();
        results.insert(arn.clone(), flatten(c, g, &a, t, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, arn: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, arn);
    single(
        read_groups(c, &[arn.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// The attribute changes for `planned`: all of them on create (`prior` None), else the changed ones.
fn attributes(planned: &Value, prior: Option<&Value>) -> Vec<TargetGroupAttribute> {
    let wanted = |k: &str| {
        let v = planned.get(k);
        !v.is_none_or(|v| v.is_null() || v.is_unknown()) && prior.is_none_or(|p| changed(p, planned, k))
    };
    let protocol = planned.get_str("protocol").unwrap_or_default().to_ascii_uppercase();
    let target_type = planned.get_str("target_type").unwrap_or("instance");
    let mut out: Vec<(&str, String)> = Vec::new();
    if target_type != "lambda" && wanted("deregistration_delay") {
        out.push((
            "deregistration_delay.timeout_seconds",
            planned.get_str("deregistration_delay").unwrap_or("300").to_string(),
        ));
    }
    if matches!(protocol.as_str(), "HTTP" | "HTTPS") && wanted("slow_start") {
        out.push((
            "slow_start.duration_seconds",
            planned.get_i64("slow_start").unwrap_or(0).to_string(),
        ));
    }
    let flag = |k: &str| planned.get_bool(k).unwrap_or(false).to_string();
    if matches!(protocol.as_str(), "TCP" | "TLS" | "UDP" | "TCP_UDP")
        && wanted("proxy_protocol_v2")
        && (prior.is_some() || planned.get_bool("proxy_protocol_v2") == Some(true))
    {
        out.push(("proxy_protocol_v2.enabled", flag("proxy_protocol_v2")));
    }
    if target_type == "lambda" && wanted("lambda_multi_value_headers_enabled") {
        out.push((
            "lambda.multi_value_headers.enabled",
            flag("lambda_multi_value_headers_enabled"),
        ));
    }
    if wanted("connection_termination") {
        out.push((
            "deregistration_delay.connection_termination.enabled",
            flag("connection_termination"),
        ));
    }
    if wanted("load_balancing_algorithm_type") {
        out.push((
            "load_balancing.algorithm.type",
            planned
                .get_str("load_balancing_algorithm_type")
                .unwrap_or_default()
                .to_string(),
        ));
    }
    if wanted("load_balancing_cross_zone_enabled") {
        out.push((
            "load_balancing.cross_zone.enabled",
            planned
                .get_str("load_balancing_cross_zone_enabled")
                .unwrap_or_default()
                .to_string(),
        ));
    }
    if wanted("preserve_client_ip") {
        out.push((
            "preserve_client_ip.enabled",
            planned.get_str("preserve_client_ip").unwrap_or_default().to_string(),
        ));
    }
    if let Some(s) = planned.get_block("stickiness")
        && prior.is_none_or(|p| changed(p, planned, "stickiness"))
    {
        let enabled = s.get_bool("enabled").unwrap_or(true);
        out.push(("stickiness.enabled", enabled.to_string()));
        if let Some(ty) = s.get_str("type") {
            out.push(("stickiness.type", ty.to_string()));
            match ty {
                "lb_cookie" => out.push((
                    "stickiness.lb_cookie.duration_seconds",
                    s.get_i64("cookie_duration").unwrap_or(86400).to_string(),
                )),
                "app_cookie" => {
                    out.push((
                        "stickiness.app_cookie.cookie_name",
                        s.get_str("cookie_name").unwrap_or_default().to_string(),
                    ));
                    out.push((
                        "stickiness.app_cookie.duration_seconds",
                        s.get_i64("cookie_duration").unwrap_or(86400).to_string(),
                    ));
                }
                _ => {}
            }
        }
    }
    out.into_iter()
        .map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v).build())
        .collect()
}

async fn modify_attributes(c: &AwsClient, arn: &str, attrs: Vec<TargetGroupAttribute>) -> Result<()> {
    if attrs.is_empty() {
        return Ok(());
    }
    c.elbv2()
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(attrs))
        .send()
        .await
        .map_err(aws_err(format!("setting attributes of target group {arn}")))?;
    Ok(())
}

fn matcher(hc: &Value, protocol_version: Option<&str>) -> Option<Matcher> {
    let code = str_attr(hc, "matcher")?;
    Some(if protocol_version.is_some_and(|v| v.eq_ignore_ascii_case("GRPC")) {
        Matcher::builder().grpc_code(code).build()
    } else {
        Matcher::builder().http_code(code).build()
    })
}

/// Health check arguments are only sent for protocols that take them (a TCP check has no path or matcher).
fn http_check(hc: &Value) -> bool {
    matches!(
        hc.get_str("protocol").map(str::to_ascii_uppercase).as_deref(),
        Some("HTTP") | Some("HTTPS") | None
    )
}

#[async_trait]
impl ResourceType<AwsClient> for LbTargetGroup {
    fn name(&self) -> &'static str {
        "aws_lb_target_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        let target_type = match config.get("target_type") {
            Some(Value::Unknown) => return Vec::new(),
            _ => config.get_str("target_type").unwrap_or("instance"),
        };
        if target_type == "lambda" {
            return Vec::new();
        }
        ["port", "protocol", "vpc_id"]
            .into_iter()
            .filter(|k| !set(k))
            .map(|k| {
                Invalid::new(format!(
                    "\"{k}\" is required for a target group with target_type {target_type:?}"
                ))
            })
            .collect()
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        // Terraform stores the protocol upper-cased: `http` against a stored `HTTP` is no change.
        if let (Some(prior), Some(cfg)) = (
            req.prior.and_then(|p| p.get_str("protocol")),
            req.config.get_str("protocol"),
        ) && prior.eq_ignore_ascii_case(cfg)
        {
            let prior = prior.to_string();
            req.planned.set_attr("protocol", Value::from(prior.as_str()));
            req.requires_replace
                .retain(|p| *p != infra_provider::Path::attr("protocol"));
        }
        let set = |k: &str| req.config.get(k).is_some_and(|v| !v.is_null());
        if set("name") && set("name_prefix") {
            return Err(ProviderError::invalid(
                "\"name\" and \"name_prefix\" cannot both be set",
            ));
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_groups(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = crate::values::planned_name(ctx, planned, "tf-");
        let tags = tags::for_create(c, ctx, planned);
        let target_type = planned.get_str("target_type").unwrap_or("instance");
        let protocol_version = str_attr(planned, "protocol_version");
        let mut req = c
            .elbv2()
            .create_target_group()
            .name(&name)
            .target_type(TargetTypeEnum::from(target_type))
            .set_port(planned.get_i64("port").map(|p| p as i32))
            .set_protocol(str_attr(planned, "protocol").map(|p| ProtocolEnum::from(p.to_ascii_uppercase().as_str())))
            .set_protocol_version(protocol_version.clone())
            .set_vpc_id(str_attr(planned, "vpc_id"))
            .set_ip_address_type(
                str_attr(planned, "ip_address_type").map(|t| TargetGroupIpAddressTypeEnum::from(t.as_str())),
            )
            .set_tags(Some(tag_list(&tags)));
        if let Some(hc) = planned.get_block("health_check") {
            let http = http_check(hc);
            req = req
                .set_health_check_enabled(hc.get_bool("enabled"))
                .set_healthy_threshold_count(hc.get_i64("healthy_threshold").map(|n| n as i32))
                .set_unhealthy_threshold_count(hc.get_i64("unhealthy_threshold").map(|n| n as i32))
                .set_health_check_interval_seconds(hc.get_i64("interval").map(|n| n as i32))
                .set_health_check_timeout_seconds(hc.get_i64("timeout").map(|n| n as i32))
                .set_health_check_port(str_attr(hc, "port"))
                .set_health_check_protocol(
                    str_attr(hc, "protocol").map(|p| ProtocolEnum::from(p.to_ascii_uppercase().as_str())),
                );
            if http {
                req = req
                    .set_health_check_path(str_attr(hc, "path"))
                    .set_matcher(matcher(hc, protocol_version.as_deref()));
            }
        }
        let out = req
            .send()
            .await
            .map_err(aws_err(format!("creating ELB target group {name}")))?;
        let arn = out
            .target_groups()
            .first()
            .and_then(|g| g.target_group_arn())
            .ok_or_else(|| elbv2::missing("CreateTargetGroup"))?
            .to_string();
        let rest = async {
            modify_attributes(c, &arn, attributes(planned, None)).await?;
            read_one(c, &arn, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("ELB target group {name} vanished after create")))
        };
        let partial = planned
            .clone()
            .with("name", Value::string(&name))
            .with("arn", Value::string(&arn));
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), &partial, &arn)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = id_of(prior)?;
        if changed(prior, planned, "health_check")
            && let Some(hc) = planned.get_block("health_check")
        {
            let mut req = c
                .elbv2()
                .modify_target_group()
                .target_group_arn(&arn)
                .set_health_check_enabled(hc.get_bool("enabled"))
                .set_healthy_threshold_count(hc.get_i64("healthy_threshold").map(|n| n as i32))
                .set_unhealthy_threshold_count(hc.get_i64("unhealthy_threshold").map(|n| n as i32))
                .set_health_check_interval_seconds(hc.get_i64("interval").map(|n| n as i32))
                .set_health_check_timeout_seconds(hc.get_i64("timeout").map(|n| n as i32))
                .set_health_check_port(str_attr(hc, "port"))
                .set_health_check_protocol(
                    str_attr(hc, "protocol").map(|p| ProtocolEnum::from(p.to_ascii_uppercase().as_str())),
                );
            if http_check(hc) {
                req = req
                    .set_health_check_path(str_attr(hc, "path"))
                    .set_matcher(matcher(hc, planned.get_str("protocol_version")));
            }
            req.send()
                .await
                .map_err(aws_err(format!("updating the health check of target group {arn}")))?;
        }
        if ATTRIBUTE_ARGS.iter().any(|k| changed(prior, planned, k)) {
            modify_attributes(c, &arn, attributes(planned, Some(prior))).await?;
        }
        elbv2::update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("ELB target group {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = id_of(prior)?;
        // A listener or rule being deleted at the same time may still hold the group for a moment.
        crate::errors::delete_retrying(ctx, "target group deletion", &["ResourceInUse"], || async {
            c.elbv2()
                .delete_target_group()
                .target_group_arn(&arn)
                .send()
                .await
                .map(drop)
                .map_err(aws_err(format!("deleting ELB target group {arn}")))
        })
        .await
    }

    /// Target group names are unique per account and region (generated names derive from the client
    /// token): a group of that name carrying this operation's ownership tags is the one an interrupted
    /// create made (the tags are set by the create call itself).
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = crate::values::planned_name(ctx, planned, "tf-");
        let out = match c.elbv2().describe_target_groups().names(&name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = aws_err(format!("looking for ELB target group {name}"))(e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let Some(arn) = out.target_groups().first().and_then(|g| g.target_group_arn()) else {
            return Ok(None);
        };
        let tags = describe_tags(c, &[arn.to_string()]).await?;
        if !tags.get(arn).is_some_and(|t| owned(t, ctx)) {
            return Ok(None);
        }
        read_one(c, arn, planned).await
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn ports_delays_and_health_checks() {
        let s = LbTargetGroup.schema();
        let a = &s.block.attributes;
        assert!(a["port"].check.unwrap().check(&Value::int(70000)).is_err());
        assert!(a["port"].check.unwrap().check(&Value::int(8000)).is_ok());
        assert!(a["protocol"].check.unwrap().check(&Value::from("http")).is_ok());
        let e = a["target_type"]
            .check
            .unwrap()
            .check(&Value::from("lamda"))
            .unwrap_err();
        assert!(e.contains("Did you mean \"lambda\""), "{e}");
        let delay = a["deregistration_delay"].check.unwrap();
        assert!(delay.check(&Value::from("30")).is_ok());
        assert!(delay.check(&Value::from("3601")).is_err());
        let hc = &s.block.blocks["health_check"].block.attributes;
        assert!(hc["port"].check.unwrap().check(&Value::from("traffic-port")).is_ok());
        assert!(hc["port"].check.unwrap().check(&Value::from("70000")).is_err());
        assert!(hc["interval"].check.unwrap().check(&Value::int(1)).is_err());
        let cfg = Value::map([("target_type", Value::from("ip")), ("port", Value::int(80))]);
        assert_eq!(LbTargetGroup.validate(&cfg).len(), 2);
        let lambda = Value::map([("target_type", Value::from("lambda"))]);
        assert!(LbTargetGroup.validate(&lambda).is_empty());
    }
}
