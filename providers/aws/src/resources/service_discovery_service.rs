//! `aws_service_discovery_service`: a Cloud Map service. `id` is the service ID (`srv-…`). As in
//! Terraform: name, namespace, type, the DNS configuration's namespace and routing policy, the record
//! types and the custom health check force a new service; the description, record TTLs, the Route 53
//! health check and tags change in place (`UpdateService`, asynchronous: the update waits for its
//! operation). `force_destroy` deregisters the service's instances before deleting it.
//!
//! Batched read: one `ListServices` (paginated) holds every service with its DNS and health check
//! configuration; tags are read with `ListTagsForResource`, one per service. The listing does not name
//! a service's namespace outside its DNS configuration: a service without one keeps `namespace_id` from
//! state (it forces replacement, so it cannot have changed). Import ID: the service ID. The create
//! passes a `CreatorRequestId` derived from the client token, so an interrupted create is found by name
//! and that request ID.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::servicediscovery::{list_tags, tag_list, tags_of, update_tags, wait_operation};
use crate::tags;
use crate::values::{ReadResults, all_failed, carry, complete, idempotency_token, str_attr};
use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsConfigChange, DnsRecord, HealthCheckConfig, HealthCheckCustomConfig, HealthCheckType, RecordType,
    RoutingPolicy, Service, ServiceChange, ServiceSummary, ServiceTypeOption,
};
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type,
    Value,
};
use std::collections::HashMap;

pub struct ServiceDiscoveryService;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("namespace_id", Attribute::optional_computed(Type::String).force_new())
        .attr("description", Attribute::optional(Type::String))
        .attr(
            "type",
            Attribute::optional_computed(Type::String).force_new().one_of(&["HTTP"]),
        )
        .attr("force_destroy", Attribute::optional(Type::Bool).default(false))
        .block(
            "dns_config",
            NestedBlock::list(
                Block::new()
                    .attr("namespace_id", Attribute::required(Type::String).force_new())
                    .attr(
                        "routing_policy",
                        Attribute::optional(Type::String)
                            .default("MULTIVALUE")
                            .force_new()
                            .one_of(&["MULTIVALUE", "WEIGHTED"]),
                    )
                    .block(
                        "dns_records",
                        NestedBlock::list(
                            Block::new().attr("ttl", Attribute::required(Type::Number)).attr(
                                "type",
                                Attribute::required(Type::String)
                                    .force_new()
                                    .one_of(&["SRV", "A", "AAAA", "CNAME"]),
                            ),
                        )
                        .min(1),
                    ),
            )
            .max(1),
        )
        .block(
            "health_check_config",
            NestedBlock::list(
                Block::new()
                    .attr("failure_threshold", Attribute::optional(Type::Number))
                    .attr("resource_path", Attribute::optional(Type::String))
                    .attr(
                        "type",
                        Attribute::optional(Type::String)
                            .force_new()
                            .one_of(&["HTTP", "HTTPS", "TCP"]),
                    ),
            )
            .max(1),
        )
        .block(
            "health_check_custom_config",
            NestedBlock::list(
                Block::new().attr(
                    "failure_threshold",
                    // Cloud Map now always reports 1: computed, so leaving it out shows no diff.
                    Attribute::optional_computed(Type::Number)
                        .force_new()
                        .check(Check::IntRange(1, 10)),
                ),
            )
            .max(1)
            .force_new(),
        )
        .tags()
}

/// What a read needs of a service, from `GetService` or `ListServices`.
struct Svc<'a> {
    id: &'a str,
    arn: &'a str,
    name: Option<&'a str>,
    namespace_id: Option<&'a str>,
    description: Option<&'a str>,
    ty: Option<&'a str>,
    dns: Option<&'a DnsConfig>,
    health: Option<&'a HealthCheckConfig>,
    custom: Option<&'a HealthCheckCustomConfig>,
}

impl<'a> From<&'a Service> for Svc<'a> {
    fn from(s: &'a Service) -> Self {
        Svc {
            id: s.id().unwrap_or_default(),
            arn: s.arn().unwrap_or_default(),
            name: s.name(),
            namespace_id: s.namespace_id(),
            description: s.description(),
            ty: s.r#type().map(|t| t.as_str()),
            dns: s.dns_config(),
            health: s.health_check_config(),
            custom: s.health_check_custom_config(),
        }
    }
}

impl<'a> From<&'a ServiceSummary> for Svc<'a> {
    fn from(s: &'a ServiceSummary) -> Self {
        #[allow(deprecated)]
        let ns = s.dns_config().and_then(|d| d.namespace_id());
        Svc {
            id: s.id().unwrap_or_default(),
            arn: s.arn().unwrap_or_default(),
            name: s.name(),
            namespace_id: ns,
            description: s.description(),
            ty: s.r#type().map(|t| t.as_str()),
            dns: s.dns_config(),
            health: s.health_check_config(),
            custom: s.health_check_custom_config(),
        }
    }
}

fn flatten(c: &AwsClient, s: &Svc<'_>, tags: Vec<(String, String)>, prior: &Value) -> Value {
    // AWS names the namespace of a DNS service at the top level too; moto only in the DNS config.
    #[allow(deprecated)]
    let dns_namespace = s.dns.and_then(|d| d.namespace_id());
    let namespace_id = s
        .namespace_id
        .or(dns_namespace)
        .map(Value::string)
        .unwrap_or_else(|| carry(prior, "namespace_id", Value::Null));
    #[allow(deprecated)]
    let dns = s.dns.map(|d| {
        Value::map([
            (
                "namespace_id",
                d.namespace_id()
                    .map(Value::string)
                    .unwrap_or_else(|| namespace_id.clone()),
            ),
            (
                "routing_policy",
                Value::string(d.routing_policy().map(|r| r.as_str()).unwrap_or("MULTIVALUE")),
            ),
            (
                "dns_records",
                Value::List(
                    d.dns_records()
                        .iter()
                        .map(|r| {
                            Value::map([
                                ("ttl", Value::int(r.ttl())),
                                ("type", Value::string(r.r#type().as_str())),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    });
    let health = s.health.map(|h| {
        Value::map([
            ("failure_threshold", Value::opt_int(h.failure_threshold())),
            ("resource_path", Value::opt_string(h.resource_path())),
            ("type", Value::string(h.r#type().as_str())),
        ])
    });
    #[allow(deprecated)]
    let custom = s
        .custom
        .map(|h| Value::map([("failure_threshold", Value::opt_int(h.failure_threshold()))]));
    let mut obj = Value::map([
        ("id", Value::string(s.id)),
        ("arn", Value::string(s.arn)),
        ("name", Value::opt_string(s.name)),
        ("namespace_id", namespace_id),
        (
            "description",
            Value::opt_string(s.description.filter(|d| !d.is_empty())),
        ),
        ("type", Value::opt_string(s.ty)),
        ("force_destroy", carry(prior, "force_destroy", Value::Bool(false))),
        ("dns_config", Value::List(dns.into_iter().collect())),
        ("health_check_config", Value::List(health.into_iter().collect())),
        ("health_check_custom_config", Value::List(custom.into_iter().collect())),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn list_all(c: &AwsClient) -> Result<Vec<ServiceSummary>> {
    let pages: Vec<_> = c
        .servicediscovery()
        .list_services()
        .into_paginator()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("listing Cloud Map services"))?;
    Ok(pages.into_iter().flat_map(|p| p.services.unwrap_or_default()).collect())
}

async fn read_services(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let wanted = crate::values::keys_of(priors, "id");
    let mut results = ReadResults::new();
    if wanted.is_empty() {
        return Ok(results);
    }
    let all = list_all(c).await?;
    let found: Vec<&ServiceSummary> = all
        .iter()
        .filter(|s| s.id().is_some_and(|id| wanted.iter().any(|w| w == id)))
        .collect();
    let arns: Vec<String> = found.iter().filter_map(|s| s.arn().map(str::to_string)).collect();
    let mut tags = tags_of(c, &arns).await?;
    let by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    for s in found {
        let svc = Svc::from(s);
        let prior = by_id.get(svc.id).copied().unwrap_or(&Value::Null);
        let t = tags.remove(svc.arn).unwrap_or_default();
        results.insert(svc.id, flatten(c, &svc, t, prior));
    }
    Ok(results)
}

/// One service with `GetService` (reads after a write, imports).
async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let out = match c.servicediscovery().get_service().id(id).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws_err(format!("reading Cloud Map service {id}"))(e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let Some(s) = out.service() else { return Ok(None) };
    let svc = Svc::from(s);
    let t = list_tags(c, svc.arn).await?;
    Ok(Some(flatten(c, &svc, t, prior)))
}

fn dns_records(d: &Value) -> Result<Vec<DnsRecord>> {
    d.get_list("dns_records")
        .iter()
        .map(|r| {
            DnsRecord::builder()
                .ttl(r.get_i64("ttl").unwrap_or(0))
                .r#type(RecordType::from(r.get_str("type").unwrap_or("A")))
                .build()
                .map_err(|e| ProviderError::invalid(format!("dns_records: {e}")))
        })
        .collect()
}

fn dns_config(planned: &Value) -> Result<Option<DnsConfig>> {
    let Some(d) = planned.get_block("dns_config") else {
        return Ok(None);
    };
    #[allow(deprecated)]
    let b = DnsConfig::builder()
        .set_namespace_id(str_attr(d, "namespace_id"))
        .set_routing_policy(str_attr(d, "routing_policy").map(|r| RoutingPolicy::from(r.as_str())))
        .set_dns_records(Some(dns_records(d)?));
    b.build()
        .map(Some)
        .map_err(|e| ProviderError::invalid(format!("dns_config: {e}")))
}

fn health_check(planned: &Value) -> Result<Option<HealthCheckConfig>> {
    let Some(h) = planned.get_block("health_check_config") else {
        return Ok(None);
    };
    HealthCheckConfig::builder()
        .r#type(HealthCheckType::from(h.get_str("type").unwrap_or("HTTP")))
        .set_resource_path(str_attr(h, "resource_path"))
        .set_failure_threshold(h.get_i64("failure_threshold").filter(|n| *n != 0).map(|n| n as i32))
        .build()
        .map(Some)
        .map_err(|e| ProviderError::invalid(format!("health_check_config: {e}")))
}

async fn deregister_instances(c: &AwsClient, id: &str) -> Result<()> {
    let pages: Vec<_> = c
        .servicediscovery()
        .list_instances()
        .service_id(id)
        .into_paginator()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err(format!("listing instances of Cloud Map service {id}")))?;
    for i in pages.into_iter().flat_map(|p| p.instances.unwrap_or_default()) {
        let Some(instance) = i.id() else { continue };
        match c
            .servicediscovery()
            .deregister_instance()
            .service_id(id)
            .instance_id(instance)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let e = aws_err(format!("deregistering instance {instance} of Cloud Map service {id}"))(e);
                if !e.is_not_found() {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for ServiceDiscoveryService {
    fn name(&self) -> &'static str {
        "aws_service_discovery_service"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_services(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let tags = tags::for_create(c, ctx, planned);
        #[allow(deprecated)]
        let custom = planned.get_block("health_check_custom_config").map(|h| {
            HealthCheckCustomConfig::builder()
                .set_failure_threshold(h.get_i64("failure_threshold").filter(|n| *n != 0).map(|n| n as i32))
                .build()
        });
        let out = c
            .servicediscovery()
            .create_service()
            .name(&name)
            .creator_request_id(idempotency_token(&ctx.client_token, 1, 64))
            .set_namespace_id(str_attr(planned, "namespace_id"))
            .set_description(str_attr(planned, "description"))
            .set_dns_config(dns_config(planned)?)
            .set_health_check_config(health_check(planned)?)
            .set_health_check_custom_config(custom)
            .set_type(str_attr(planned, "type").map(|t| ServiceTypeOption::from(t.as_str())))
            .set_tags(Some(tag_list(&tags)?))
            .send()
            .await
            .map_err(aws_err(format!("creating Cloud Map service {name}")))?;
        let id = out
            .service()
            .and_then(|s| s.id())
            .ok_or_else(|| ProviderError::new("CreateService returned no service"))?
            .to_string();
        read_one(c, &id, planned)
            .await
            .and_then(|v| v.ok_or_else(|| ProviderError::new(format!("Cloud Map service {id} vanished after create"))))
            .map_err(|e| e.with_partial(crate::values::partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = crate::values::id_of(prior)?;
        let settings = ["description", "dns_config", "health_check_config"];
        if settings.iter().any(|k| crate::values::changed(prior, planned, k)) {
            let dns = match planned.get_block("dns_config") {
                Some(d) => Some(
                    DnsConfigChange::builder()
                        .set_dns_records(Some(dns_records(d)?))
                        .build()
                        .map_err(|e| ProviderError::invalid(format!("dns_config: {e}")))?,
                ),
                None => None,
            };
            let change = ServiceChange::builder()
                .description(str_attr(planned, "description").unwrap_or_default())
                .set_dns_config(dns)
                .set_health_check_config(health_check(planned)?)
                .build();
            let out = c
                .servicediscovery()
                .update_service()
                .id(&id)
                .service(change)
                .send()
                .await
                .map_err(aws_err(format!("updating Cloud Map service {id}")))?;
            if let Some(op) = out.operation_id() {
                wait_operation(c, ctx, op).await?;
            }
        }
        let arn = str_attr(prior, "arn").unwrap_or_default();
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("Cloud Map service {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = crate::values::id_of(prior)?;
        if prior.get_bool("force_destroy") == Some(true) {
            match deregister_instances(c, &id).await {
                Err(e) if e.is_not_found() => return Ok(()),
                other => other?,
            }
        }
        match c.servicediscovery().delete_service().id(&id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting Cloud Map service {id}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_one(c, id, &Value::Null).await
    }

    /// The service of the planned name whose `CreatorRequestId` is this create's.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "name") else {
            return Ok(None);
        };
        let token = idempotency_token(&ctx.client_token, 1, 64);
        for s in list_all(c).await? {
            if s.name() != Some(name.as_str()) {
                continue;
            }
            let Some(id) = s.id() else { continue };
            let got = match c.servicediscovery().get_service().id(id).send().await {
                Ok(g) => g,
                Err(e) => {
                    let e = aws_err(format!("reading Cloud Map service {id}"))(e);
                    if e.is_not_found() {
                        continue;
                    }
                    return Err(e);
                }
            };
            if got.service().and_then(|x| x.creator_request_id()) == Some(token.as_str()) {
                return read_one(c, id, planned).await;
            }
        }
        Ok(None)
    }
}
