//! `aws_service_discovery_private_dns_namespace`: a Cloud Map namespace of private DNS names in a VPC.
//! `id` is the namespace ID (`ns-…`). Name and VPC force a new namespace; the description and tags change
//! in place. Create, update and delete are asynchronous: each returns an operation ID, and the call waits
//! for it (`GetOperation`) as Terraform does. The API never says which VPC a namespace belongs to, so
//! `vpc` is kept from state (and from the import ID), as in Terraform.
//!
//! Batched read: one `ListNamespaces` (paginated) holds every namespace with its description and hosted
//! zone; tags are read with `ListTagsForResource`, one per namespace (Cloud Map has no call for the tags
//! of many). Import ID: `NAMESPACE_ID:VPC_ID`, as Terraform. The create passes a `CreatorRequestId`
//! derived from the client token, so an interrupted create is found by name and that request ID.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::servicediscovery::{tag_list, tags_of, update_tags, wait_operation};
use crate::tags;
use crate::values::{ReadResults, all_failed, carry, changed, complete, idempotency_token, str_attr};
use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    Namespace, NamespaceProperties, NamespaceSummary, OperationTargetType, PrivateDnsNamespaceChange,
};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::HashMap;

pub struct ServiceDiscoveryPrivateDnsNamespace;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::required(Type::String)
                .force_new()
                .check(Check::Length(1, 1024)),
        )
        .attr("vpc", Attribute::required(Type::String).force_new())
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 1024)),
        )
        .attr("hosted_zone", Attribute::computed(Type::String))
        .tags()
}

/// What a read needs of a namespace, from `GetNamespace` or `ListNamespaces`.
struct Ns<'a> {
    id: &'a str,
    arn: &'a str,
    name: Option<&'a str>,
    description: Option<&'a str>,
    properties: Option<&'a NamespaceProperties>,
}

impl<'a> From<&'a Namespace> for Ns<'a> {
    fn from(n: &'a Namespace) -> Self {
        Ns {
            id: n.id().unwrap_or_default(),
            arn: n.arn().unwrap_or_default(),
            name: n.name(),
            description: n.description(),
            properties: n.properties(),
        }
    }
}

impl<'a> From<&'a NamespaceSummary> for Ns<'a> {
    fn from(n: &'a NamespaceSummary) -> Self {
        Ns {
            id: n.id().unwrap_or_default(),
            arn: n.arn().unwrap_or_default(),
            name: n.name(),
            description: n.description(),
            properties: n.properties(),
        }
    }
}

fn flatten(c: &AwsClient, n: &Ns<'_>, tags: Vec<(String, String)>, prior: &Value) -> Value {
    let zone = n
        .properties
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id());
    let mut obj = Value::map([
        ("id", Value::string(n.id)),
        ("arn", Value::string(n.arn)),
        ("name", Value::opt_string(n.name)),
        ("vpc", carry(prior, "vpc", Value::Null)),
        (
            "description",
            Value::opt_string(n.description.filter(|d| !d.is_empty())),
        ),
        ("hosted_zone", Value::opt_string(zone)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn list_all(c: &AwsClient) -> Result<Vec<NamespaceSummary>> {
    let pages: Vec<_> = c
        .servicediscovery()
        .list_namespaces()
        .into_paginator()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("listing Cloud Map namespaces"))?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.namespaces.unwrap_or_default())
        .collect())
}

async fn read_namespaces(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let wanted = crate::values::keys_of(priors, "id");
    let mut results = ReadResults::new();
    if wanted.is_empty() {
        return Ok(results);
    }
    let all = list_all(c).await?;
    let found: Vec<&NamespaceSummary> = all
        .iter()
        .filter(|n| n.id().is_some_and(|id| wanted.iter().any(|w| w == id)))
        .collect();
    let arns: Vec<String> = found.iter().filter_map(|n| n.arn().map(str::to_string)).collect();
    let mut tags = tags_of(c, &arns).await?;
    let by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    for n in found {
        let ns = Ns::from(n);
        let prior = by_id.get(ns.id).copied().unwrap_or(&Value::Null);
        let t = tags.remove(ns.arn).unwrap_or_default();
        results.insert(ns.id, flatten(c, &ns, t, prior));
    }
    Ok(results)
}

/// One namespace with `GetNamespace` (reads after a write, imports).
async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let out = match c.servicediscovery().get_namespace().id(id).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = aws_err(format!("reading Cloud Map namespace {id}"))(e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let Some(n) = out.namespace() else { return Ok(None) };
    let ns = Ns::from(n);
    let t = crate::servicediscovery::list_tags(c, ns.arn).await?;
    Ok(Some(flatten(c, &ns, t, prior)))
}

#[async_trait]
impl ResourceType<AwsClient> for ServiceDiscoveryPrivateDnsNamespace {
    fn name(&self) -> &'static str {
        "aws_service_discovery_private_dns_namespace"
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
        match read_namespaces(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let vpc = str_attr(planned, "vpc").ok_or_else(|| ProviderError::invalid("vpc is required"))?;
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .servicediscovery()
            .create_private_dns_namespace()
            .name(&name)
            .vpc(&vpc)
            .creator_request_id(idempotency_token(&ctx.client_token, 1, 64))
            .set_description(str_attr(planned, "description"))
            .set_tags(Some(tag_list(&tags)?))
            .send()
            .await
            .map_err(aws_err(format!("creating Cloud Map private DNS namespace {name}")))?;
        let op = out
            .operation_id()
            .ok_or_else(|| ProviderError::new("CreatePrivateDnsNamespace returned no operation"))?;
        // Until the operation names the namespace there is no ID to keep: the intent stays, and
        // `find_created` finds the namespace by its name and request ID.
        let targets = wait_operation(c, ctx, op).await?;
        let id = targets
            .get(&OperationTargetType::Namespace)
            .cloned()
            .ok_or_else(|| ProviderError::new(format!("operation {op} names no namespace")))?;
        read_one(c, &id, planned)
            .await
            .and_then(|v| v.ok_or_else(|| ProviderError::new(format!("namespace {id} vanished after create"))))
            .map_err(|e| e.with_partial(crate::values::partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = crate::values::id_of(prior)?;
        if changed(prior, planned, "description") {
            let description = str_attr(planned, "description").unwrap_or_default();
            let out = c
                .servicediscovery()
                .update_private_dns_namespace()
                .id(&id)
                .updater_request_id(idempotency_token(
                    &format!("{}-update-{description}", ctx.client_token),
                    1,
                    64,
                ))
                .namespace(PrivateDnsNamespaceChange::builder().description(description).build())
                .send()
                .await
                .map_err(aws_err(format!("updating Cloud Map namespace {id}")))?;
            if let Some(op) = out.operation_id() {
                wait_operation(c, ctx, op).await?;
            }
        }
        let arn = str_attr(prior, "arn").unwrap_or_default();
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("Cloud Map namespace {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = crate::values::id_of(prior)?;
        let out = match c.servicediscovery().delete_namespace().id(&id).send().await {
            Ok(o) => o,
            Err(e) => {
                let e = aws_err(format!("deleting Cloud Map namespace {id}"))(e);
                return if e.is_not_found() { Ok(()) } else { Err(e) };
            }
        };
        if let Some(op) = out.operation_id() {
            wait_operation(c, ctx, op).await?;
        }
        Ok(())
    }

    /// `NAMESPACE_ID:VPC_ID`.
    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let (ns, vpc) = id
            .split_once(':')
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .ok_or_else(|| {
                ProviderError::invalid(format!(
                    "unexpected format of ID ({id:?}), expected NAMESPACE_ID:VPC_ID"
                ))
            })?;
        read_one(c, ns, &Value::map([("vpc", Value::string(vpc))])).await
    }

    /// The namespace of the planned name whose `CreatorRequestId` is this create's.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "name") else {
            return Ok(None);
        };
        let token = idempotency_token(&ctx.client_token, 1, 64);
        for n in list_all(c).await? {
            if n.name() != Some(name.as_str()) {
                continue;
            }
            let Some(id) = n.id() else { continue };
            let got = c
                .servicediscovery()
                .get_namespace()
                .id(id)
                .send()
                .await
                .map_err(aws_err(format!("reading Cloud Map namespace {id}")))?;
            if got.namespace().and_then(|x| x.creator_request_id()) == Some(token.as_str()) {
                return read_one(c, id, planned).await;
            }
        }
        Ok(None)
    }
}
