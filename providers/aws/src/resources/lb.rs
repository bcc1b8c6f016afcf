//! `aws_lb`: an application (or network) load balancer. `id` and `arn` are the ARN. The create waits
//! until the load balancer is `active`, then sets its attributes (idle timeout, deletion protection,
//! access logs, HTTP options); the delete waits until it is gone, as Terraform does. Security groups,
//! subnets, the IP address type and every attribute change in place; name, scheme (`internal`) and type
//! force a new load balancer.
//!
//! Batched read: `DescribeLoadBalancers` with up to 20 ARNs per call (a chunk holding a deleted load
//! balancer is split until the missing ARN is isolated) and `DescribeTags` for 20 ARNs per call. The
//! attributes only come from `DescribeLoadBalancerAttributes`, one load balancer per call: unavoidably
//! per resource, as in Terraform. An attribute the API does not report reads as Terraform's default.
//! Import ID: the load balancer ARN.

use crate::client::AwsClient;
use crate::elbv2::{self, DescribeFn, arn_suffix, attr_map, describe_chunked, describe_tags, owned, tag_list};
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, keys_of, partial_object, prior_for, single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, SubnetMapping,
};
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    Timeouts, Type, Value, wait_for,
};
use std::collections::HashMap;

pub struct Lb;

const CROSS_ZONE: &str = "enable_cross_zone_load_balancing";

/// Boolean/number/string arguments stored as load balancer attributes: (argument, attribute key,
/// Terraform's default, which load balancer types take it).
const ATTRS: &[(&str, &str, &str, &[&str])] = &[
    ("idle_timeout", "idle_timeout.timeout_seconds", "60", &["application"]),
    (
        "enable_deletion_protection",
        "deletion_protection.enabled",
        "false",
        &["application", "network", "gateway"],
    ),
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
        &["application"],
    ),
    ("enable_http2", "routing.http2.enabled", "true", &["application"]),
    (
        "desync_mitigation_mode",
        "routing.http.desync_mitigation_mode",
        "defensive",
        &["application"],
    ),
    (
        "preserve_host_header",
        "routing.http.preserve_host_header.enabled",
        "false",
        &["application"],
    ),
    (
        "enable_waf_fail_open",
        "waf.fail_open.enabled",
        "false",
        &["application"],
    ),
    (
        "enable_tls_version_and_cipher_suite_headers",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
        &["application"],
    ),
    (
        "enable_xff_client_port",
        "routing.http.xff_client_port.enabled",
        "false",
        &["application"],
    ),
    (
        "xff_header_processing_mode",
        "routing.http.xff_header_processing.mode",
        "append",
        &["application"],
    ),
    (
        "client_keep_alive",
        "client_keep_alive.seconds",
        "3600",
        &["application"],
    ),
    (
        "enable_cross_zone_load_balancing",
        "load_balancing.cross_zone.enabled",
        "false",
        &["network", "gateway"],
    ),
];

fn block() -> Block {
    let mut b = Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("arn_suffix", Attribute::computed(Type::String))
        .attr("dns_name", Attribute::computed(Type::String))
        .attr("zone_id", Attribute::computed(Type::String))
        .attr("vpc_id", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(lb_name))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(lb_name_prefix))
                .conflicts_with(&["name"]),
        )
        .attr("internal", Attribute::optional_computed(Type::Bool).force_new())
        .attr(
            "load_balancer_type",
            Attribute::optional(Type::String)
                .default("application")
                .force_new()
                .one_of(&["application", "network", "gateway"]),
        )
        .attr("security_groups", Attribute::optional_computed(Type::string_set()))
        .attr("subnets", Attribute::optional_computed(Type::string_set()))
        .attr(
            "ip_address_type",
            Attribute::optional_computed(Type::String).one_of(&["ipv4", "dualstack", "dualstack-without-public-ipv4"]),
        )
        .attr(
            "customer_owned_ipv4_pool",
            Attribute::optional(Type::String).force_new(),
        )
        .block(
            "subnet_mapping",
            NestedBlock::set(
                Block::new()
                    .attr("subnet_id", Attribute::required(Type::String))
                    .attr("allocation_id", Attribute::optional(Type::String))
                    .attr("ipv6_address", Attribute::optional(Type::String))
                    .attr("private_ipv4_address", Attribute::optional(Type::String))
                    .attr("outpost_id", Attribute::computed(Type::String)),
            )
            .computed(),
        )
        .block(
            "access_logs",
            NestedBlock::list(
                Block::new()
                    .attr("bucket", Attribute::required(Type::String))
                    .attr("enabled", Attribute::optional(Type::Bool).default(false))
                    .attr("prefix", Attribute::optional(Type::String)),
            )
            .max(1),
        )
        .tags();
    for (arg, _, default, _) in ATTRS {
        let a = match *arg {
            "idle_timeout" | "client_keep_alive" => {
                let range = if *arg == "idle_timeout" {
                    Check::IntRange(1, 4000)
                } else {
                    Check::IntRange(60, 604800)
                };
                Attribute::optional(Type::Number)
                    .default(Value::int(default.parse().unwrap_or(0)))
                    .check(range)
            }
            "desync_mitigation_mode" => {
                Attribute::optional(Type::String)
                    .default(*default)
                    .one_of(&["monitor", "defensive", "strictest"])
            }
            "xff_header_processing_mode" => Attribute::optional(Type::String)
                .default(*default)
                .one_of(&["append", "preserve", "remove"]),
            // No default: it depends on the type (see `plan`).
            CROSS_ZONE => Attribute::optional(Type::Bool),
            _ => Attribute::optional(Type::Bool).default(*default == "true"),
        };
        b = b.attr(arg, a);
    }
    b
}

/// `Check::Fn` for a load balancer or target group `name`: at most 32 characters.
pub(crate) fn lb_name(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(n) if n.len() > 32 => Err(format!(
            "\"name\" cannot be longer than 32 characters, got {}.",
            n.len()
        )),
        _ => Ok(()),
    }
}

/// `Check::Fn` for a load balancer or target group `name_prefix`: at most 6 characters.
pub(crate) fn lb_name_prefix(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(p) if p.len() > 6 => Err(format!(
            "\"name_prefix\" cannot be longer than 6 characters, got {}.",
            p.len()
        )),
        _ => Ok(()),
    }
}

fn lb_type(v: &Value) -> &str {
    v.get_str("load_balancer_type").unwrap_or("application")
}

fn flatten(
    c: &AwsClient,
    lb: &LoadBalancer,
    attrs: &HashMap<String, String>,
    tags: Vec<(String, String)>,
    prior: &Value,
) -> Value {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let name = lb.load_balancer_name().unwrap_or_default();
    let ty = lb.r#type().map(|t| t.as_str()).unwrap_or("application");
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("arn_suffix", Value::opt_string(arn_suffix(arn))),
        ("dns_name", Value::opt_string(lb.dns_name())),
        ("zone_id", Value::opt_string(lb.canonical_hosted_zone_id())),
        ("vpc_id", Value::opt_string(lb.vpc_id())),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        (
            "internal",
            Value::Bool(lb.scheme().is_some_and(|s| *s == LoadBalancerSchemeEnum::Internal)),
        ),
        ("load_balancer_type", Value::string(ty)),
        ("security_groups", Value::string_set(lb.security_groups())),
        (
            "subnets",
            Value::string_set(lb.availability_zones().iter().filter_map(|z| z.subnet_id())),
        ),
        (
            "subnet_mapping",
            Value::set(
                lb.availability_zones()
                    .iter()
                    .map(|z| {
                        let addr = z.load_balancer_addresses().first();
                        Value::map([
                            ("subnet_id", Value::opt_string(z.subnet_id())),
                            ("outpost_id", Value::opt_string(z.outpost_id())),
                            ("allocation_id", Value::opt_string(addr.and_then(|a| a.allocation_id()))),
                            ("ipv6_address", Value::opt_string(addr.and_then(|a| a.ipv6_address()))),
                            (
                                "private_ipv4_address",
                                Value::opt_string(addr.and_then(|a| a.private_ipv4_address())),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "ip_address_type",
            Value::opt_string(lb.ip_address_type().map(|t| t.as_str())),
        ),
        (
            "customer_owned_ipv4_pool",
            Value::opt_string(lb.customer_owned_ipv4_pool()),
        ),
    ]);
    for (arg, key, default, _) in ATTRS {
        if *arg == CROSS_ZONE && ty == "application" {
            // As Terraform: an application load balancer always balances across zones and the
            // argument is ignored there; the state keeps what it held.
            obj.set_attr(arg, prior.get(arg).cloned().unwrap_or(Value::Null));
            continue;
        }
        let raw = attrs.get(*key).map(String::as_str).unwrap_or(default);
        let v = match *arg {
            "idle_timeout" | "client_keep_alive" => raw.parse::<i64>().map(Value::int).unwrap_or(Value::Null),
            "desync_mitigation_mode" | "xff_header_processing_mode" => Value::string(raw),
            _ => Value::Bool(raw == "true"),
        };
        obj.set_attr(arg, v);
    }
    let bucket = attrs.get("access_logs.s3.bucket").filter(|b| !b.is_empty());
    let logs_enabled = attrs.get("access_logs.s3.enabled").is_some_and(|e| e == "true");
    // As Terraform: the block shows when a bucket is set or logging is on.
    let access_logs = if bucket.is_some() || logs_enabled {
        Value::List(vec![Value::map([
            ("bucket", Value::opt_string(bucket.cloned())),
            ("enabled", Value::Bool(logs_enabled)),
            (
                "prefix",
                Value::opt_string(attrs.get("access_logs.s3.prefix").filter(|p| !p.is_empty()).cloned()),
            ),
        ])])
    } else {
        Value::List(vec![])
    };
    obj.set_attr("access_logs", access_logs);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn attributes_of(c: &AwsClient, arn: &str) -> Result<Option<HashMap<String, String>>> {
    match c
        .elbv2()
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Some(attr_map(out.attributes().iter().map(|a| (a.key(), a.value()))))),
        Err(e) => {
            let e = aws_err(format!("reading attributes of load balancer {arn}"))(e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

async fn describe(c: &AwsClient, arns: &[String]) -> Result<Vec<LoadBalancer>> {
    let call: &DescribeFn<'_, LoadBalancer> = &|chunk| {
        Box::pin(async move {
            let pages: Vec<_> = c
                .elbv2()
                .describe_load_balancers()
                .set_load_balancer_arns(Some(chunk))
                .into_paginator()
                .send()
                .collect::<std::result::Result<_, _>>()
                .await
                .map_err(aws_err("reading load balancers"))?;
            Ok(pages
                .into_iter()
                .flat_map(|p| p.load_balancers.unwrap_or_default())
                .collect())
        })
    };
    describe_chunked(arns, call).await
}

async fn read_lbs(c: &AwsClient, arns: &[String], priors: &[Value]) -> Result<ReadResults> {
    let lbs = describe(c, arns).await?;
    let found: Vec<String> = lbs
        .iter()
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .collect();
    let mut tags = elbv2::tags_of(c, &found).await?;
    let attrs = futures::future::join_all(found.iter().map(|a| attributes_of(c, a))).await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (lb, a) in lbs.iter().zip(attrs) {
        let Some(a) = a? else { continue };
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&arn).copied().unwrap_or(&Value::Null);
        let t = tags.remove(&arn).unwrap_or_default();
        results.insert(arn.clone(), flatten(c, lb, &a, t, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, arn: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, arn);
    single(
        read_lbs(c, &[arn.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// The attributes to write: all that apply to the type on create (`prior` None), else the changed ones.
fn attributes(planned: &Value, prior: Option<&Value>) -> Vec<LoadBalancerAttribute> {
    let ty = lb_type(planned);
    let mut out: Vec<(String, String)> = Vec::new();
    for (arg, key, _, types) in ATTRS {
        if !types.contains(&ty) || prior.is_some_and(|p| !changed(p, planned, arg)) {
            continue;
        }
        let v = match planned.get(arg) {
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => continue,
        };
        out.push((key.to_string(), v));
    }
    if prior.is_none_or(|p| changed(p, planned, "access_logs")) {
        match planned.get_block("access_logs") {
            Some(l) => {
                out.push((
                    "access_logs.s3.enabled".into(),
                    l.get_bool("enabled").unwrap_or(false).to_string(),
                ));
                out.push((
                    "access_logs.s3.bucket".into(),
                    l.get_str("bucket").unwrap_or_default().to_string(),
                ));
                out.push((
                    "access_logs.s3.prefix".into(),
                    l.get_str("prefix").unwrap_or_default().to_string(),
                ));
            }
            None if prior.is_some() => out.push(("access_logs.s3.enabled".into(), "false".into())),
            None => {}
        }
    }
    out.into_iter()
        .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build())
        .collect()
}

async fn modify_attributes(c: &AwsClient, arn: &str, attrs: Vec<LoadBalancerAttribute>) -> Result<()> {
    if attrs.is_empty() {
        return Ok(());
    }
    c.elbv2()
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attrs))
        .send()
        .await
        .map_err(aws_err(format!("setting attributes of load balancer {arn}")))?;
    Ok(())
}

async fn wait_active(c: &AwsClient, ctx: &OpContext, arn: &str) -> Result<()> {
    wait_for(ctx, "load balancer active", || async {
        let lbs = describe(c, &[arn.to_string()]).await?;
        Ok(
            match lbs
                .first()
                .and_then(|l| l.state())
                .and_then(|s| s.code())
                .map(|c| c.as_str())
            {
                Some("active") => Poll::Ready(()),
                Some("failed") => {
                    return Err(ProviderError::new(format!("load balancer {arn} failed to provision")));
                }
                Some(s) => Poll::Pending(s.to_string()),
                None => Poll::Pending("not visible yet".into()),
            },
        )
    })
    .await
}

fn strings(v: &Value, key: &str) -> Option<Vec<String>> {
    match v.get(key) {
        Some(Value::Unknown) | None | Some(Value::Null) => None,
        _ => Some(v.get_strings(key)),
    }
}

/// The planned `subnet_mapping` blocks as the API's, when the configuration gives them (known and not
/// empty).
fn subnet_mappings(planned: &Value) -> Option<Vec<SubnetMapping>> {
    // The blocks' computed `outpost_id` is unknown before the create; what is sent must be known.
    let known = planned.get_list("subnet_mapping").iter().all(|m| {
        ["subnet_id", "allocation_id", "ipv6_address", "private_ipv4_address"]
            .iter()
            .all(|k| m.get(k).is_none_or(|v| !v.is_unknown()))
    });
    if !known {
        return None;
    }
    let out: Vec<SubnetMapping> = planned
        .get_list("subnet_mapping")
        .iter()
        .map(|m| {
            SubnetMapping::builder()
                .set_subnet_id(str_attr(m, "subnet_id"))
                .set_allocation_id(str_attr(m, "allocation_id"))
                .set_ipv6_address(str_attr(m, "ipv6_address"))
                .set_private_ipv4_address(str_attr(m, "private_ipv4_address"))
                .build()
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

#[async_trait]
impl ResourceType<AwsClient> for Lb {
    fn name(&self) -> &'static str {
        "aws_lb"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(10, 10, 10))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let set = |k: &str| req.config.get(k).is_some_and(|v| !v.is_null());
        if set("name") && set("name_prefix") {
            return Err(ProviderError::invalid(
                "\"name\" and \"name_prefix\" cannot both be set",
            ));
        }
        // As Terraform: on an application load balancer `enable_cross_zone_load_balancing` has no
        // default and no effect (cross-zone is always on): planned only as written, never a change.
        // Network and gateway load balancers default to false, as in Terraform.
        if !set(CROSS_ZONE) {
            let planned = if lb_type(req.planned) == "application" {
                req.prior
                    .and_then(|p| p.get(CROSS_ZONE))
                    .cloned()
                    .unwrap_or(Value::Null)
            } else {
                Value::Bool(false)
            };
            req.planned.set_attr(CROSS_ZONE, planned);
        }
        // As Terraform: a network load balancer cannot lose subnets in place (given as subnets or as
        // subnet mappings).
        if let Some(prior) = req.prior
            && lb_type(req.planned) == "network"
        {
            if req.planned.get("subnets").is_some_and(Value::is_wholly_known) {
                let new = req.planned.get_strings("subnets");
                if prior.get_strings("subnets").iter().any(|s| !new.contains(s)) {
                    req.requires_replace.push(infra_provider::Path::attr("subnets"));
                }
            }
            let mapped = req.planned.get_list("subnet_mapping");
            if req.planned.get("subnet_mapping").is_some_and(|v| !v.is_unknown())
                && !mapped.is_empty()
                && mapped
                    .iter()
                    .all(|m| m.get("subnet_id").is_some_and(|v| !v.is_unknown()))
            {
                let ids = |v: &Value| -> Vec<String> {
                    v.get_list("subnet_mapping")
                        .iter()
                        .filter_map(|m| str_attr(m, "subnet_id"))
                        .collect()
                };
                let new = ids(req.planned);
                if ids(prior).iter().any(|s| !new.contains(s)) {
                    req.requires_replace.push(infra_provider::Path::attr("subnet_mapping"));
                }
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_lbs(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = crate::values::planned_name(ctx, planned, "tf-lb-");
        let tags = tags::for_create(c, ctx, planned);
        let scheme = if planned.get_bool("internal") == Some(true) {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        let out = c
            .elbv2()
            .create_load_balancer()
            .name(&name)
            .r#type(LoadBalancerTypeEnum::from(lb_type(planned)))
            .scheme(scheme)
            .set_subnets(strings(planned, "subnets"))
            .set_subnet_mappings(subnet_mappings(planned))
            .set_security_groups(strings(planned, "security_groups"))
            .set_ip_address_type(str_attr(planned, "ip_address_type").map(|t| IpAddressType::from(t.as_str())))
            .set_customer_owned_ipv4_pool(str_attr(planned, "customer_owned_ipv4_pool"))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating load balancer {name}")))?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .ok_or_else(|| elbv2::missing("CreateLoadBalancer"))?
            .to_string();
        let rest = async {
            wait_active(c, ctx, &arn).await?;
            modify_attributes(c, &arn, attributes(planned, None)).await?;
            read_one(c, &arn, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("load balancer {name} vanished after create")))
        };
        let partial = planned
            .clone()
            .with("name", Value::string(&name))
            .with("arn", Value::string(&arn));
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), &partial, &arn)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = id_of(prior)?;
        if changed(prior, planned, "security_groups")
            && let Some(sgs) = strings(planned, "security_groups")
        {
            c.elbv2()
                .set_security_groups()
                .load_balancer_arn(&arn)
                .set_security_groups(Some(sgs))
                .send()
                .await
                .map_err(aws_err(format!("setting security groups of load balancer {arn}")))?;
        }
        if changed(prior, planned, "subnet_mapping")
            && let Some(mappings) = subnet_mappings(planned)
        {
            c.elbv2()
                .set_subnets()
                .load_balancer_arn(&arn)
                .set_subnet_mappings(Some(mappings))
                .send()
                .await
                .map_err(aws_err(format!("setting subnet mappings of load balancer {arn}")))?;
        } else if changed(prior, planned, "subnets")
            && let Some(subnets) = strings(planned, "subnets")
        {
            c.elbv2()
                .set_subnets()
                .load_balancer_arn(&arn)
                .set_subnets(Some(subnets))
                .send()
                .await
                .map_err(aws_err(format!("setting subnets of load balancer {arn}")))?;
        }
        if changed(prior, planned, "ip_address_type")
            && let Some(t) = str_attr(planned, "ip_address_type")
        {
            c.elbv2()
                .set_ip_address_type()
                .load_balancer_arn(&arn)
                .ip_address_type(IpAddressType::from(t.as_str()))
                .send()
                .await
                .map_err(aws_err(format!("setting the IP address type of load balancer {arn}")))?;
        }
        modify_attributes(c, &arn, attributes(planned, Some(prior))).await?;
        elbv2::update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        wait_active(c, ctx, &arn).await?;
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("load balancer {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = id_of(prior)?;
        if let Err(e) = c.elbv2().delete_load_balancer().load_balancer_arn(&arn).send().await {
            let e = aws_err(format!("deleting load balancer {arn}"))(e);
            if e.is_not_found() {
                return Ok(());
            }
            if code_of(&e) == "OperationNotPermitted" {
                return Err(ProviderError {
                    message: format!("{} (enable_deletion_protection is set: turn it off first)", e.message),
                    ..e
                });
            }
            return Err(e);
        }
        wait_for(ctx, "load balancer deletion", || async {
            Ok(if describe(c, std::slice::from_ref(&arn)).await?.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending("deleting".into())
            })
        })
        .await
    }

    /// Load balancer names are unique per account and region (generated names derive from the client
    /// token): one of that name carrying this operation's ownership tags is what an interrupted create
    /// made (the create call sets the tags).
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = crate::values::planned_name(ctx, planned, "tf-lb-");
        let out = match c.elbv2().describe_load_balancers().names(&name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = aws_err(format!("looking for load balancer {name}"))(e);
                return if e.is_not_found() { Ok(None) } else { Err(e) };
            }
        };
        let Some(arn) = out.load_balancers().first().and_then(|l| l.load_balancer_arn()) else {
            return Ok(None);
        };
        let tags = describe_tags(c, &[arn.to_string()]).await?;
        if !tags.get(arn).is_some_and(|t| owned(t, ctx)) {
            return Ok(None);
        }
        // An interrupted create may have stopped before the wait: wait for it. Its attributes are left
        // to `unfinished` (finding writes nothing: a plan calls it too).
        wait_active(c, ctx, arn).await?;
        read_one(c, arn, planned).await
    }

    /// The create is `CreateLoadBalancer` (with its tags), then, once it is active,
    /// `ModifyLoadBalancerAttributes` with every attribute of its type: a found load balancer whose
    /// attributes are not the planned ones was interrupted before that call. Finishing it is the update
    /// that sets them.
    fn unfinished(&self, found: &Value, planned: &Value) -> Vec<String> {
        // No access logs is no access logs, whether the block reads as null or empty.
        let mut want = planned.clone();
        if planned.get_list("access_logs").is_empty() && found.get_list("access_logs").is_empty() {
            want.set_attr("access_logs", found.get("access_logs").cloned().unwrap_or(Value::Null));
        }
        let left: Vec<String> = attributes(&want, Some(found))
            .iter()
            .filter_map(|a| a.key().map(str::to_string))
            .collect();
        if left.is_empty() {
            Vec::new()
        } else {
            vec![format!("set its attributes ({})", left.join(", "))]
        }
    }
}
