//! `aws_vpc_endpoint`: a VPC endpoint (Gateway, e.g. S3 and DynamoDB, or Interface). The VPC, service and
//! type force replacement; route tables, subnets, security groups, policy (compared by JSON meaning) and
//! private DNS change in place with `ModifyVpcEndpoint`. Create waits until it is `available`, delete
//! until it is gone.
//!
//! Batched read: one `DescribeVpcEndpoints` call naming all the endpoint IDs (`VpcEndpointIds`, up to 200
//! per call) plus one `DescribePrefixLists` for the gateway services; tags come back in the describe, so N
//! endpoints cost two calls. AWS fails the whole call with `InvalidVpcEndpointId.NotFound` when one ID is
//! gone; the batch is then halved until the missing IDs are isolated (log2(N) extra calls per deleted
//! endpoint). (The `vpc-endpoint-id` filter would avoid that, but moto does not implement it.) A `deleted`
//! endpoint is gone.
//! Import ID: the endpoint ID. `CreateVpcEndpoint` gets a client token derived from the operation's, and
//! an interrupted create is found by its ownership tags (set atomically by its tag specifications).

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, filter, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, idempotency_token, keep_json_text, keys_of, partial_object,
    prior_for, single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    DnsOptionsSpecification, DnsRecordIpType, IpAddressType, ResourceType as Ec2Type, VpcEndpoint as Ec2Endpoint,
    VpcEndpointType,
};
use infra_provider::{
    Attribute, Block, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, Timeouts,
    Type, Value, wait_for,
};
use std::collections::{BTreeSet, HashMap};

pub struct VpcEndpoint;

/// Endpoint types.
const VPC_ENDPOINT_TYPES: &[&str] = &[
    "Gateway",
    "Interface",
    "GatewayLoadBalancer",
    "Resource",
    "ServiceNetwork",
];

fn dns_options_block() -> Block {
    Block::new()
        .attr(
            "dns_record_ip_type",
            Attribute::optional_computed(Type::String).one_of(&["ipv4", "dualstack", "service-defined", "ipv6"]),
        )
        .attr(
            "private_dns_only_for_inbound_resolver_endpoint",
            Attribute::optional_computed(Type::Bool),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("auto_accept", Attribute::optional(Type::Bool))
        .attr("cidr_blocks", Attribute::computed(Type::string_list()))
        .attr(
            "dns_entry",
            Attribute::computed(Type::list(Type::object([
                ("dns_name", Type::String),
                ("hosted_zone_id", Type::String),
            ]))),
        )
        .block("dns_options", NestedBlock::list(dns_options_block()).max(1).computed())
        .attr(
            "ip_address_type",
            Attribute::optional_computed(Type::String).one_of(&["ipv4", "dualstack", "ipv6"]),
        )
        .attr("network_interface_ids", Attribute::computed(Type::string_set()))
        .attr("owner_id", Attribute::computed(Type::String))
        .attr("policy", Attribute::optional_computed(Type::String).json())
        .attr("prefix_list_id", Attribute::computed(Type::String))
        .attr("private_dns_enabled", Attribute::optional_computed(Type::Bool))
        .attr("requester_managed", Attribute::computed(Type::Bool))
        .attr("route_table_ids", Attribute::optional_computed(Type::string_set()))
        .attr("security_group_ids", Attribute::optional_computed(Type::string_set()))
        .attr("service_name", Attribute::required(Type::String).force_new())
        .attr("state", Attribute::computed(Type::String))
        .attr("subnet_ids", Attribute::optional_computed(Type::string_set()))
        .attr(
            "vpc_endpoint_type",
            Attribute::optional(Type::String)
                .default("Gateway")
                .force_new()
                .one_of(VPC_ENDPOINT_TYPES),
        )
        .attr("vpc_id", Attribute::required(Type::String).force_new())
        .tags()
}

fn state(e: &Ec2Endpoint) -> String {
    e.state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_else(|| "available".into())
}

fn flatten(
    c: &AwsClient,
    e: &Ec2Endpoint,
    prefix_lists: &HashMap<String, (String, Vec<String>)>,
    prior: &Value,
) -> Value {
    let id = e.vpc_endpoint_id().unwrap_or_default();
    let owner = e.owner_id().unwrap_or_default();
    let service = e.service_name().unwrap_or_default();
    let (prefix_list_id, cidrs) = prefix_lists.get(service).cloned().unwrap_or_default();
    let dns_options = e.dns_options().map(|d| {
        Value::map([
            (
                "dns_record_ip_type",
                Value::opt_string(d.dns_record_ip_type().map(|t| t.as_str())),
            ),
            (
                "private_dns_only_for_inbound_resolver_endpoint",
                Value::Bool(d.private_dns_only_for_inbound_resolver_endpoint().unwrap_or(false)),
            ),
        ])
    });
    let mut obj = Value::map([
        ("id", Value::string(id)),
        ("arn", Value::string(c.arn("ec2", owner, &format!("vpc-endpoint/{id}")))),
        ("auto_accept", crate::values::carry(prior, "auto_accept", Value::Null)),
        (
            "cidr_blocks",
            if prefix_list_id.is_empty() {
                Value::List(vec![])
            } else {
                Value::string_list(cidrs)
            },
        ),
        (
            "dns_entry",
            Value::List(
                e.dns_entries()
                    .iter()
                    .map(|d| {
                        Value::map([
                            ("dns_name", Value::opt_string(d.dns_name())),
                            ("hosted_zone_id", Value::opt_string(d.hosted_zone_id())),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("dns_options", Value::List(dns_options.into_iter().collect())),
        (
            "ip_address_type",
            Value::opt_string(e.ip_address_type().map(|t| t.as_str())),
        ),
        ("network_interface_ids", Value::string_set(e.network_interface_ids())),
        ("owner_id", Value::opt_string(e.owner_id())),
        ("policy", keep_json_text(prior.get_str("policy"), e.policy_document())),
        (
            "prefix_list_id",
            Value::opt_string(Some(prefix_list_id).filter(|p| !p.is_empty())),
        ),
        (
            "private_dns_enabled",
            Value::Bool(e.private_dns_enabled().unwrap_or(false)),
        ),
        ("requester_managed", Value::Bool(e.requester_managed().unwrap_or(false))),
        ("route_table_ids", Value::string_set(e.route_table_ids())),
        (
            "security_group_ids",
            Value::string_set(e.groups().iter().filter_map(|g| g.group_id())),
        ),
        ("service_name", Value::string(service)),
        ("state", Value::string(state(e))),
        ("subnet_ids", Value::string_set(e.subnet_ids())),
        (
            "vpc_endpoint_type",
            Value::string(e.vpc_endpoint_type().map(|t| t.as_str()).unwrap_or("Gateway")),
        ),
        ("vpc_id", Value::opt_string(e.vpc_id())),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(e.tags()));
    complete(&block(), obj)
}

async fn describe(c: &AwsClient, filters: Vec<aws_sdk_ec2::types::Filter>) -> Result<Vec<Ec2Endpoint>> {
    c.ec2()
        .describe_vpc_endpoints()
        .set_filters(Some(filters))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("reading EC2 VPC endpoints"))
}

/// The endpoints among `ids` that exist: `DescribeVpcEndpoints` with the IDs; a batch failing with
/// "not found" is halved until the missing IDs are isolated.
async fn describe_ids(c: &AwsClient, ids: &[String]) -> Result<Vec<Ec2Endpoint>> {
    let mut out = Vec::new();
    let mut pending: Vec<&[String]> = vec![ids];
    while let Some(batch) = pending.pop() {
        if batch.is_empty() {
            continue;
        }
        let res = c
            .ec2()
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(batch.to_vec()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await
            .map_err(aws_err("reading EC2 VPC endpoints"));
        match res {
            Ok(found) => out.extend(found),
            Err(e) if e.is_not_found() && batch.len() > 1 => {
                let (a, b) = batch.split_at(batch.len() / 2);
                pending.push(a);
                pending.push(b);
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The AWS-managed prefix lists of the gateway services among `endpoints` (`DescribePrefixLists`, one
/// call for all of them): service name → (prefix list ID, CIDR blocks).
async fn prefix_lists(c: &AwsClient, endpoints: &[Ec2Endpoint]) -> Result<HashMap<String, (String, Vec<String>)>> {
    let services: BTreeSet<&str> = endpoints
        .iter()
        .filter(|e| e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Gateway"))
        .filter_map(|e| e.service_name())
        .collect();
    if services.is_empty() {
        return Ok(HashMap::new());
    }
    let lists: Vec<_> = c
        .ec2()
        .describe_prefix_lists()
        .filters(filter("prefix-list-name", services.iter().copied()))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<_, _>>()
        .await
        .map_err(aws_err("reading EC2 prefix lists"))?;
    Ok(lists
        .into_iter()
        .filter_map(|p| {
            Some((
                p.prefix_list_name()?.to_string(),
                (p.prefix_list_id()?.to_string(), p.cidrs().to_vec()),
            ))
        })
        .collect())
}

async fn read_endpoints(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let found: Vec<_> = describe_ids(c, chunk)
            .await?
            .into_iter()
            .filter(|e| !matches!(state(e).as_str(), "deleted" | "deleting" | "rejected" | "failed"))
            .collect();
        let lists = prefix_lists(c, &found).await?;
        for e in &found {
            let id = e.vpc_endpoint_id().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            results.insert(id, flatten(c, e, &lists, prior));
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_endpoints(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

async fn wait_available(c: &AwsClient, ctx: &OpContext, id: &str, planned: &Value) -> Result<Value> {
    wait_for(ctx, "VPC endpoint available", || async {
        let found = describe_ids(c, &[id.to_string()]).await?;
        let Some(e) = found.first() else {
            return Ok(Poll::Pending("not visible yet".into()));
        };
        match state(e).as_str() {
            "available" => Ok(Poll::Ready(())),
            // Waiting on the service owner: done unless auto_accept asks for more.
            "pendingacceptance" if planned.get_bool("auto_accept") != Some(true) => Ok(Poll::Ready(())),
            s @ ("failed" | "rejected" | "deleted") => Err(ProviderError::api(
                e.last_error().and_then(|l| l.code()).unwrap_or("VpcEndpointFailed"),
                format!(
                    "EC2 VPC endpoint {id} is {s}: {}",
                    e.last_error().and_then(|l| l.message()).unwrap_or("no reason given")
                ),
            )),
            other => Ok(Poll::Pending(other.to_string())),
        }
    })
    .await?;
    read_one(c, id, planned)
        .await?
        .ok_or_else(|| ProviderError::new(format!("EC2 VPC endpoint {id} vanished")))
}

/// True when a found endpoint waits for an acceptance the planned `auto_accept` asks the create to give.
fn awaits_acceptance(found: &Value, planned: &Value) -> bool {
    planned.get_bool("auto_accept") == Some(true) && found.get_str("state") == Some("pendingacceptance")
}

/// Accepts the endpoint's pending connection (the service is in this account). Accepting takes the
/// service's ID, not its name.
async fn accept(c: &AwsClient, id: &str, service: &str) -> Result<()> {
    let services = c
        .ec2()
        .describe_vpc_endpoint_services()
        .service_names(service)
        .send()
        .await
        .map_err(aws_err(format!("reading EC2 VPC endpoint service {service}")))?;
    let service_id = services
        .service_details()
        .first()
        .and_then(|s| s.service_id())
        .unwrap_or_default()
        .to_string();
    c.ec2()
        .accept_vpc_endpoint_connections()
        .service_id(service_id)
        .vpc_endpoint_ids(id)
        .send()
        .await
        .map_err(aws_err(format!("accepting EC2 VPC endpoint {id}")))?;
    Ok(())
}

fn set_of(v: &Value, k: &str) -> BTreeSet<String> {
    v.get_strings(k).into_iter().collect()
}

fn dns_spec(planned: &Value) -> Option<DnsOptionsSpecification> {
    let d = planned.get_list("dns_options").first()?;
    Some(
        DnsOptionsSpecification::builder()
            .set_dns_record_ip_type(d.get_str("dns_record_ip_type").map(DnsRecordIpType::from))
            .set_private_dns_only_for_inbound_resolver_endpoint(
                d.get_bool("private_dns_only_for_inbound_resolver_endpoint"),
            )
            .build(),
    )
}

#[async_trait]
impl ResourceType<AwsClient> for VpcEndpoint {
    fn name(&self) -> &'static str {
        "aws_vpc_endpoint"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(10, 10, 10))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if let Some(t) = req.planned.get_str("vpc_endpoint_type")
            && !VPC_ENDPOINT_TYPES.contains(&t)
        {
            return Err(ProviderError::invalid(format!("unknown vpc_endpoint_type {t:?}")));
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_endpoints(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let tags = tags::for_create(c, ctx, planned);
        let vpc = str_attr(planned, "vpc_id").ok_or_else(|| ProviderError::invalid("vpc_id is required"))?;
        let service =
            str_attr(planned, "service_name").ok_or_else(|| ProviderError::invalid("service_name is required"))?;
        let kind = str_attr(planned, "vpc_endpoint_type").unwrap_or_else(|| "Gateway".into());
        let nonempty = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
        let out = c
            .ec2()
            .create_vpc_endpoint()
            .vpc_id(&vpc)
            .service_name(&service)
            .vpc_endpoint_type(VpcEndpointType::from(kind.as_str()))
            .client_token(idempotency_token(&ctx.client_token, 1, 64))
            .set_policy_document(str_attr(planned, "policy"))
            .set_private_dns_enabled(if kind == "Interface" {
                planned.get_bool("private_dns_enabled")
            } else {
                None
            })
            .set_route_table_ids(nonempty(planned.get_strings("route_table_ids")))
            .set_subnet_ids(nonempty(planned.get_strings("subnet_ids")))
            .set_security_group_ids(nonempty(planned.get_strings("security_group_ids")))
            .set_ip_address_type(planned.get_str("ip_address_type").map(IpAddressType::from))
            .set_dns_options(dns_spec(planned))
            .tag_specifications(tag_spec(Ec2Type::VpcEndpoint, &tags))
            .send()
            .await
            .map_err(aws_err(format!("creating EC2 VPC endpoint for {service} in {vpc}")))?;
        let id = out
            .vpc_endpoint()
            .and_then(|e| e.vpc_endpoint_id())
            .ok_or_else(|| ProviderError::new("CreateVpcEndpoint returned no endpoint ID"))?
            .to_string();
        let rest = async {
            if planned.get_bool("auto_accept") == Some(true) {
                let found = describe_ids(c, std::slice::from_ref(&id)).await?;
                if found.first().is_some_and(|e| state(e) == "pendingacceptance") {
                    accept(c, &id, &service).await?;
                }
            }
            wait_available(c, ctx, &id, planned).await
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        let diff = |k: &str| -> (Option<Vec<String>>, Option<Vec<String>>) {
            if !changed(prior, planned, k) || planned.get(k).is_some_and(Value::is_unknown) {
                return (None, None);
            }
            let (have, want) = (set_of(prior, k), set_of(planned, k));
            let add: Vec<String> = want.difference(&have).cloned().collect();
            let remove: Vec<String> = have.difference(&want).cloned().collect();
            (
                Some(add).filter(|v| !v.is_empty()),
                Some(remove).filter(|v| !v.is_empty()),
            )
        };
        let (add_rt, remove_rt) = diff("route_table_ids");
        let (add_sn, remove_sn) = diff("subnet_ids");
        let (add_sg, remove_sg) = diff("security_group_ids");
        let policy_changed = changed(prior, planned, "policy") && !planned.get("policy").is_some_and(Value::is_unknown);
        let dns_changed =
            changed(prior, planned, "private_dns_enabled") && planned.get_bool("private_dns_enabled").is_some();
        let options_changed = changed(prior, planned, "dns_options") && dns_spec(planned).is_some();
        let ip_changed = changed(prior, planned, "ip_address_type") && planned.get_str("ip_address_type").is_some();
        let anything = add_rt.is_some()
            || remove_rt.is_some()
            || add_sn.is_some()
            || remove_sn.is_some()
            || add_sg.is_some()
            || remove_sg.is_some()
            || policy_changed
            || dns_changed
            || options_changed
            || ip_changed;
        if anything {
            let policy = str_attr(planned, "policy");
            c.ec2()
                .modify_vpc_endpoint()
                .vpc_endpoint_id(&id)
                .set_add_route_table_ids(add_rt)
                .set_remove_route_table_ids(remove_rt)
                .set_add_subnet_ids(add_sn)
                .set_remove_subnet_ids(remove_sn)
                .set_add_security_group_ids(add_sg)
                .set_remove_security_group_ids(remove_sg)
                .set_policy_document(if policy_changed { policy.clone() } else { None })
                .set_reset_policy(if policy_changed && policy.is_none() {
                    Some(true)
                } else {
                    None
                })
                .set_private_dns_enabled(if dns_changed {
                    planned.get_bool("private_dns_enabled")
                } else {
                    None
                })
                .set_dns_options(if options_changed { dns_spec(planned) } else { None })
                .set_ip_address_type(if ip_changed {
                    planned.get_str("ip_address_type").map(IpAddressType::from)
                } else {
                    None
                })
                .send()
                .await
                .map_err(aws_err(format!("updating EC2 VPC endpoint {id}")))?;
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        wait_available(c, ctx, &id, planned).await
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        match c.ec2().delete_vpc_endpoints().vpc_endpoint_ids(&id).send().await {
            Ok(out) => {
                if let Some(u) = out.unsuccessful().first() {
                    let err = u.error();
                    let code = err.and_then(|e| e.code()).unwrap_or("Unknown");
                    if code != "InvalidVpcEndpointId.NotFound" {
                        return Err(ProviderError::api(
                            code,
                            format!(
                                "deleting EC2 VPC endpoint {id}: {}",
                                err.and_then(|e| e.message()).unwrap_or("failed")
                            ),
                        ));
                    }
                    return Ok(());
                }
            }
            Err(e) => {
                let e = aws_err(format!("deleting EC2 VPC endpoint {id}"))(e);
                if e.code.as_deref() == Some("InvalidVpcEndpointId.NotFound") {
                    return Ok(());
                }
                // A resend of a delete that took effect (the client lost the first answer) can fail on
                // what the first one removed — moto answers InvalidRoute.NotFound for the endpoint's
                // routes. The endpoint itself being gone (or deleted) is what counts; anything else, such
                // as a route missing from an endpoint that is still there, stays an error.
                let found = describe_ids(c, std::slice::from_ref(&id)).await?;
                return match found.first().map(state).as_deref() {
                    None | Some("deleted") => Ok(()),
                    _ => Err(e),
                };
            }
        }
        wait_for(ctx, "VPC endpoint deleted", || async {
            let found = describe_ids(c, std::slice::from_ref(&id)).await?;
            Ok(match found.first().map(state).as_deref() {
                None | Some("deleted") => Poll::Ready(()),
                Some(s) => Poll::Pending(s.to_string()),
            })
        })
        .await
    }

    /// Waits until the endpoint is available or pending acceptance: with `auto_accept`, the accept is a
    /// step of the create that a found endpoint may not have had (see `unfinished`), so waiting for it
    /// to be available would wait out the timeout.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let found = describe(c, ownership_filters(ctx)).await?;
        let live = found
            .iter()
            .find(|e| !matches!(state(e).as_str(), "deleted" | "deleting" | "rejected" | "failed"));
        match live.and_then(|e| e.vpc_endpoint_id()) {
            Some(id) => {
                let settled = planned.clone().with("auto_accept", Value::Null);
                let mut v = wait_available(c, ctx, id, &settled).await?;
                v.set_attr(
                    "auto_accept",
                    planned.get("auto_accept").cloned().unwrap_or(Value::Null),
                );
                Ok(Some(v))
            }
            None => Ok(None),
        }
    }

    /// The create is `CreateVpcEndpoint` (with its tags), then, with `auto_accept`, accepting the
    /// connection when the service asks for acceptance. A found endpoint still pending acceptance was
    /// interrupted before the accept, which the diff cannot see (`auto_accept` is not read back).
    fn unfinished(&self, found: &Value, planned: &Value) -> Vec<String> {
        if awaits_acceptance(found, planned) {
            vec!["accept its connection to the endpoint service (auto_accept)".to_string()]
        } else {
            Vec::new()
        }
    }

    async fn finish_create(&self, c: &AwsClient, ctx: &OpContext, found: &Value, planned: &Value) -> Result<Value> {
        if awaits_acceptance(found, planned) {
            let id = id_of(found)?;
            let service = str_attr(found, "service_name")
                .or_else(|| str_attr(planned, "service_name"))
                .ok_or_else(|| ProviderError::new(format!("EC2 VPC endpoint {id} has no service name")))?;
            accept(c, &id, &service).await?;
        }
        // The update's changes (none for a create that stopped there), then its wait until available.
        self.update(c, ctx, found, planned).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_pending_acceptance_is_unfinished_only_with_auto_accept() {
        let pending = Value::map([("state", Value::from("pendingacceptance"))]);
        let available = Value::map([("state", Value::from("available"))]);
        let auto = Value::map([("auto_accept", Value::Bool(true))]);
        let manual = Value::map([("auto_accept", Value::Null)]);
        let steps = VpcEndpoint.unfinished(&pending, &auto);
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert!(steps[0].contains("accept"), "{steps:?}");
        assert!(VpcEndpoint.unfinished(&pending, &manual).is_empty());
        assert!(VpcEndpoint.unfinished(&available, &auto).is_empty());
    }
}
