//! `aws_lb_listener`: a listener of a load balancer, with its default actions (`forward`, `redirect`,
//! `fixed-response`). `id` and `arn` are the listener ARN. Port, protocol, certificate, SSL policy and
//! actions change in place with `ModifyListener`; moving to another load balancer forces a new listener.
//!
//! Batched read: `DescribeListeners` once per load balancer (paginated), which answers for every listener
//! of it; a load balancer that is gone means its listeners are gone. Tags: `DescribeTags` for 20 ARNs per
//! call. So N listeners on one load balancer cost 1 + N/20 calls.
//! Import ID: the listener ARN.

use crate::client::AwsClient;
use crate::elbv2::{self, describe_tags, owned, tag_list};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{ReadResults, all_failed, changed, complete, id_of, partial_object, prior_for, single, str_attr};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, ForwardActionConfig, Listener, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum, TargetGroupStickinessConfig, TargetGroupTuple,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema,
    Timeouts, Type, Value,
};
use std::collections::{BTreeMap, HashMap};

pub struct LbListener;

/// `Check::Fn` for a fixed response's `status_code`: `2XX`, `4XX` or `5XX`.
fn fixed_status_code(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(c) if !(c.len() == 3 && c.starts_with(['2', '4', '5']) && c.bytes().all(|b| b.is_ascii_digit())) => {
            Err(format!("expected an HTTP status code 2XX, 4XX or 5XX, got {c:?}."))
        }
        _ => Ok(()),
    }
}

fn action_block() -> Block {
    Block::new()
        .attr(
            "type",
            Attribute::required(Type::String).one_of(&[
                "forward",
                "redirect",
                "fixed-response",
                "authenticate-cognito",
                "authenticate-oidc",
            ]),
        )
        .attr(
            "order",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(1, 50000)),
        )
        .attr("target_group_arn", Attribute::optional(Type::String))
        .block(
            "forward",
            NestedBlock::list(
                Block::new()
                    .block(
                        "target_group",
                        NestedBlock::set(
                            Block::new().attr("arn", Attribute::required(Type::String)).attr(
                                "weight",
                                Attribute::optional(Type::Number)
                                    .default(1)
                                    .check(Check::IntRange(0, 999)),
                            ),
                        )
                        .min(1)
                        .max(5),
                    )
                    .block(
                        "stickiness",
                        NestedBlock::list(
                            Block::new()
                                .attr(
                                    "duration",
                                    Attribute::required(Type::Number).check(Check::IntRange(1, 604800)),
                                )
                                .attr("enabled", Attribute::optional(Type::Bool).default(false)),
                        )
                        .max(1),
                    ),
            )
            .max(1),
        )
        .block(
            "redirect",
            NestedBlock::list(
                Block::new()
                    .attr("host", Attribute::optional(Type::String).default("#{host}"))
                    .attr("path", Attribute::optional(Type::String).default("/#{path}"))
                    .attr("port", Attribute::optional(Type::String).default("#{port}"))
                    .attr(
                        "protocol",
                        Attribute::optional(Type::String).default("#{protocol}").one_of(&[
                            "#{protocol}",
                            "HTTP",
                            "HTTPS",
                        ]),
                    )
                    .attr("query", Attribute::optional(Type::String).default("#{query}"))
                    .attr(
                        "status_code",
                        Attribute::required(Type::String).one_of(&["HTTP_301", "HTTP_302"]),
                    ),
            )
            .max(1),
        )
        .block(
            "fixed_response",
            NestedBlock::list(
                Block::new()
                    .attr(
                        "content_type",
                        Attribute::required(Type::String).one_of(&[
                            "text/plain",
                            "text/css",
                            "text/html",
                            "application/javascript",
                            "application/json",
                        ]),
                    )
                    .attr(
                        "message_body",
                        Attribute::optional(Type::String).check(Check::Length(0, 1024)),
                    )
                    .attr(
                        "status_code",
                        Attribute::optional_computed(Type::String).check(Check::Fn(fixed_status_code)),
                    ),
            )
            .max(1),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("load_balancer_arn", Attribute::required(Type::String).force_new())
        .attr(
            "port",
            Attribute::optional(Type::Number).check(Check::IntRange(1, 65535)),
        )
        .attr(
            "protocol",
            Attribute::optional_computed(Type::String)
                .case_insensitive()
                .check(Check::OneOfIgnoreCase(&[
                    "HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE",
                ])),
        )
        .attr("certificate_arn", Attribute::optional(Type::String))
        .attr("ssl_policy", Attribute::optional_computed(Type::String))
        .attr(
            "alpn_policy",
            Attribute::optional(Type::String).one_of(&[
                "HTTP1Only",
                "HTTP2Only",
                "HTTP2Optional",
                "HTTP2Preferred",
                "None",
            ]),
        )
        .block("default_action", NestedBlock::list(action_block()).min(1))
        .tags()
}

fn flatten_action(a: &Action, prior: Option<&Value>) -> Value {
    let ty = a.r#type().map(|t| t.as_str()).unwrap_or_default();
    let mut obj = Value::map([
        ("type", Value::string(ty)),
        ("order", Value::opt_int(a.order())),
        ("target_group_arn", Value::opt_string(a.target_group_arn())),
    ]);
    if let Some(r) = a.redirect_config() {
        obj.set_attr(
            "redirect",
            Value::List(vec![Value::map([
                ("host", Value::opt_string(r.host())),
                ("path", Value::opt_string(r.path())),
                ("port", Value::opt_string(r.port())),
                ("protocol", Value::opt_string(r.protocol())),
                ("query", Value::opt_string(r.query())),
                ("status_code", Value::opt_string(r.status_code().map(|s| s.as_str()))),
            ])]),
        );
    }
    if let Some(f) = a.fixed_response_config() {
        obj.set_attr(
            "fixed_response",
            Value::List(vec![Value::map([
                ("content_type", Value::opt_string(f.content_type())),
                ("message_body", Value::opt_string(f.message_body())),
                ("status_code", Value::opt_string(f.status_code())),
            ])]),
        );
    }
    // As Terraform: a forward to one target group written as `target_group_arn` shows no `forward` block
    // (the API reports both forms); a `forward` block written in the configuration is read back as one.
    let prior_has_forward = prior.is_some_and(|p| !p.get_list("forward").is_empty());
    if let Some(fw) = a.forward_config()
        && (prior_has_forward || a.target_group_arn().is_none())
    {
        let groups: Vec<Value> = fw
            .target_groups()
            .iter()
            .map(|t| {
                Value::map([
                    ("arn", Value::opt_string(t.target_group_arn())),
                    ("weight", Value::int(t.weight().unwrap_or(1) as i64)),
                ])
            })
            .collect();
        let stickiness = match fw.target_group_stickiness_config() {
            Some(s) if s.enabled() == Some(true) || prior_has_forward_stickiness(prior) => {
                Value::List(vec![Value::map([
                    ("duration", Value::opt_int(s.duration_seconds())),
                    ("enabled", Value::Bool(s.enabled().unwrap_or(false))),
                ])])
            }
            _ => Value::List(vec![]),
        };
        obj.set_attr(
            "forward",
            Value::List(vec![Value::map([
                ("target_group", Value::set(groups)),
                ("stickiness", stickiness),
            ])]),
        );
        if prior.is_some_and(|p| p.get("target_group_arn").is_none_or(Value::is_null)) {
            obj.set_attr("target_group_arn", Value::Null);
        }
    }
    complete(&action_block(), obj)
}

fn prior_has_forward_stickiness(prior: Option<&Value>) -> bool {
    prior
        .and_then(|p| p.get_block("forward"))
        .is_some_and(|f| !f.get_list("stickiness").is_empty())
}

fn flatten(c: &AwsClient, l: &Listener, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let arn = l.listener_arn().unwrap_or_default();
    let prior_actions = prior.get_list("default_action");
    let mut actions: Vec<&Action> = l.default_actions().iter().collect();
    actions.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    let actions: Vec<Value> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| flatten_action(a, prior_actions.get(i)))
        .collect();
    let cert = l
        .certificates()
        .iter()
        .find(|c| c.is_default() != Some(false))
        .and_then(|c| c.certificate_arn());
    let mut obj = Value::map([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("load_balancer_arn", Value::opt_string(l.load_balancer_arn())),
        ("port", Value::opt_int(l.port())),
        ("protocol", Value::opt_string(l.protocol().map(|p| p.as_str()))),
        ("certificate_arn", Value::opt_string(cert)),
        ("ssl_policy", Value::opt_string(l.ssl_policy())),
        ("alpn_policy", Value::opt_string(l.alpn_policy().first())),
        ("default_action", Value::List(actions)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

/// The listeners of one load balancer; `None` when the load balancer is gone.
async fn listeners_of(c: &AwsClient, lb_arn: &str) -> Result<Option<Vec<Listener>>> {
    let pages: std::result::Result<Vec<_>, _> = c
        .elbv2()
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .into_paginator()
        .send()
        .collect()
        .await;
    match pages {
        Ok(pages) => Ok(Some(
            pages
                .into_iter()
                .flat_map(|p| p.listeners.unwrap_or_default())
                .collect(),
        )),
        Err(e) => {
            let e = aws_err(format!("reading the listeners of load balancer {lb_arn}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

async fn read_listeners(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    // The load balancer of a listener is in its prior, or in its ARN.
    let mut lbs: Vec<String> = Vec::new();
    for p in priors {
        if let Some(lb) = str_attr(p, "load_balancer_arn").or_else(|| str_attr(p, "id").and_then(|id| lb_of(&id)))
            && !lbs.contains(&lb)
        {
            lbs.push(lb);
        }
    }
    let wanted: Vec<String> = priors.iter().filter_map(|p| str_attr(p, "id")).collect();
    let listed = futures::future::join_all(lbs.iter().map(|lb| listeners_of(c, lb))).await;
    let mut found: Vec<Listener> = Vec::new();
    for l in listed {
        found.extend(
            l?.unwrap_or_default()
                .into_iter()
                .filter(|l| l.listener_arn().is_some_and(|a| wanted.iter().any(|w| w == a))),
        );
    }
    let arns: Vec<String> = found
        .iter()
        .filter_map(|l| l.listener_arn().map(str::to_string))
        .collect();
    let mut tags = elbv2::tags_of(c, &arns).await?;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for l in &found {
        let arn = l.listener_arn().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&arn).copied().unwrap_or(&Value::Null);
        let t = tags.remove(&arn).unwrap_or_default();
        results.insert(arn.clone(), flatten(c, l, t, prior));
    }
    Ok(results)
}

/// The load balancer ARN of a listener ARN (`...:listener/app/name/lbid/listenerid`).
pub fn lb_of(listener_arn: &str) -> Option<String> {
    let (head, rest) = listener_arn.split_once(":listener/")?;
    let (lb, _) = rest.rsplit_once('/')?;
    Some(format!("{head}:loadbalancer/{lb}"))
}

async fn read_one(c: &AwsClient, arn: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, arn);
    single(
        read_listeners(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn expand_action(a: &Value) -> Result<Action> {
    let ty = a.get_str("type").unwrap_or_default();
    let mut b = Action::builder()
        .r#type(ActionTypeEnum::from(ty))
        .set_order(a.get_i64("order").map(|o| o as i32));
    match ty {
        "forward" => {
            if let Some(fw) = a.get_block("forward") {
                let groups = fw
                    .get_list("target_group")
                    .iter()
                    .map(|t| {
                        TargetGroupTuple::builder()
                            .set_target_group_arn(str_attr(t, "arn"))
                            .set_weight(t.get_i64("weight").map(|w| w as i32))
                            .build()
                    })
                    .collect();
                let stickiness = fw.get_block("stickiness").map(|s| {
                    TargetGroupStickinessConfig::builder()
                        .enabled(s.get_bool("enabled").unwrap_or(false))
                        .set_duration_seconds(s.get_i64("duration").map(|d| d as i32))
                        .build()
                });
                b = b.forward_config(
                    ForwardActionConfig::builder()
                        .set_target_groups(Some(groups))
                        .set_target_group_stickiness_config(stickiness)
                        .build(),
                );
            } else {
                let tg = str_attr(a, "target_group_arn").ok_or_else(|| {
                    ProviderError::invalid("a forward action needs target_group_arn or a forward block")
                })?;
                b = b.target_group_arn(tg);
            }
        }
        "redirect" => {
            let r = a
                .get_block("redirect")
                .ok_or_else(|| ProviderError::invalid("a redirect action needs a redirect block"))?;
            b = b.redirect_config(
                RedirectActionConfig::builder()
                    .set_host(str_attr(r, "host"))
                    .set_path(str_attr(r, "path"))
                    .set_port(str_attr(r, "port"))
                    .set_protocol(str_attr(r, "protocol"))
                    .set_query(r.get_str("query").map(str::to_string))
                    .status_code(RedirectActionStatusCodeEnum::from(
                        r.get_str("status_code").unwrap_or("HTTP_301"),
                    ))
                    .build(),
            );
        }
        "fixed-response" => {
            let f = a
                .get_block("fixed_response")
                .ok_or_else(|| ProviderError::invalid("a fixed-response action needs a fixed_response block"))?;
            b = b.fixed_response_config(
                FixedResponseActionConfig::builder()
                    .set_content_type(str_attr(f, "content_type"))
                    .set_message_body(str_attr(f, "message_body"))
                    .set_status_code(str_attr(f, "status_code"))
                    .build(),
            );
        }
        other => {
            return Err(ProviderError::invalid(format!(
                "default_action type {other:?} is not supported (forward, redirect, fixed-response)"
            )));
        }
    }
    Ok(b.build())
}

fn actions(planned: &Value) -> Result<Vec<Action>> {
    planned.get_list("default_action").iter().map(expand_action).collect()
}

fn certificates(planned: &Value) -> Option<Vec<Certificate>> {
    str_attr(planned, "certificate_arn").map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

#[async_trait]
impl ResourceType<AwsClient> for LbListener {
    fn name(&self) -> &'static str {
        "aws_lb_listener"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 5, 5))
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        for a in config.get_list("default_action") {
            let ty = a.get_str("type").unwrap_or_default();
            // An unknown block (a dynamic block over an unknown collection) may hold one.
            let has = |k: &str| a.get(k).is_some_and(Value::is_unknown) || !a.get_list(k).is_empty();
            match ty {
                "forward" if a.get("target_group_arn").is_none_or(Value::is_null) && !has("forward") => {
                    out.push(Invalid::at(
                        "default_action",
                        "a forward default_action needs target_group_arn or a forward block",
                    ));
                }
                "redirect" if !has("redirect") => {
                    out.push(Invalid::at(
                        "default_action",
                        "a redirect default_action needs a redirect block",
                    ));
                }
                "fixed-response" if !has("fixed_response") => {
                    out.push(Invalid::at(
                        "default_action",
                        "a fixed-response default_action needs a fixed_response block",
                    ));
                }
                _ => {}
            }
        }
        if config
            .get_str("protocol")
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
            && config.get("certificate_arn").is_none_or(Value::is_null)
        {
            out.push(Invalid::at(
                "certificate_arn",
                "an HTTPS listener needs certificate_arn",
            ));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_listeners(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let lb = str_attr(planned, "load_balancer_arn")
            .ok_or_else(|| ProviderError::invalid("load_balancer_arn is required"))?;
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .elbv2()
            .create_listener()
            .load_balancer_arn(&lb)
            .set_port(planned.get_i64("port").map(|p| p as i32))
            .set_protocol(str_attr(planned, "protocol").map(|p| ProtocolEnum::from(p.to_ascii_uppercase().as_str())))
            .set_ssl_policy(str_attr(planned, "ssl_policy"))
            .set_certificates(certificates(planned))
            .set_alpn_policy(str_attr(planned, "alpn_policy").map(|a| vec![a]))
            .set_default_actions(Some(actions(planned)?))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating a listener on {lb}")))?;
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .ok_or_else(|| elbv2::missing("CreateListener"))?
            .to_string();
        read_one(c, &arn, planned)
            .await
            .and_then(|v| v.ok_or_else(|| ProviderError::new(format!("listener {arn} vanished after create"))))
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &arn)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = id_of(prior)?;
        let settings = [
            "port",
            "protocol",
            "ssl_policy",
            "certificate_arn",
            "alpn_policy",
            "default_action",
        ];
        if settings.iter().any(|k| changed(prior, planned, k)) {
            c.elbv2()
                .modify_listener()
                .listener_arn(&arn)
                .set_port(planned.get_i64("port").map(|p| p as i32))
                .set_protocol(
                    str_attr(planned, "protocol").map(|p| ProtocolEnum::from(p.to_ascii_uppercase().as_str())),
                )
                .set_ssl_policy(str_attr(planned, "ssl_policy"))
                .set_certificates(certificates(planned))
                .set_alpn_policy(str_attr(planned, "alpn_policy").map(|a| vec![a]))
                .set_default_actions(Some(actions(planned)?))
                .send()
                .await
                .map_err(aws_err(format!("updating listener {arn}")))?;
        }
        elbv2::update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("listener {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = id_of(prior)?;
        match c.elbv2().delete_listener().listener_arn(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting listener {arn}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    /// A listener has no name or token: the one on the planned load balancer and port carrying this
    /// operation's ownership tags (set by the create call) is what an interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(lb) = str_attr(planned, "load_balancer_arn") else {
            return Ok(None);
        };
        let Some(listeners) = listeners_of(c, &lb).await? else {
            return Ok(None);
        };
        let port = planned.get_i64("port");
        let candidates: Vec<String> = listeners
            .iter()
            .filter(|l| port.is_none_or(|p| l.port() == Some(p as i32)))
            .filter_map(|l| l.listener_arn().map(str::to_string))
            .collect();
        let tags: BTreeMap<String, Vec<(String, String)>> = describe_tags(c, &candidates).await?.into_iter().collect();
        match tags.iter().find(|(_, t)| owned(t, ctx)) {
            Some((arn, _)) => read_one(c, arn, planned).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lb_of;

    #[test]
    fn load_balancer_of_a_listener() {
        assert_eq!(
            lb_of("arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2")
                .as_deref(),
            Some("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/50dc6c495c0c9188")
        );
    }
}
