//! `aws_route_table`: a route table with inline `route` blocks (a set, changed in place route by route:
//! `DeleteRoute`, `ReplaceRoute`, `CreateRoute`) and `propagating_vgws`.
//!
//! Batched read: one `DescribeRouteTables` call filtered on all the route table IDs (paginated).
//! The `local` route and routes propagated from virtual private gateways are not `route` blocks.

use crate::client::AwsClient;
use crate::ec2::{delete_retrying, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::{Context, aws_err};
use crate::tags;
use crate::values::{
    ReadResults, all_failed, complete, id_of, idempotency_token, keys_of, partial_object, prior_for, single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType as Ec2Type, Route, RouteTable as Ec2RouteTable};
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema,
    Timeouts, Type, Value,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct RouteTable;

/// Destinations of a route: exactly one is set.
const DESTINATIONS: &[&str] = &["cidr_block", "ipv6_cidr_block", "destination_prefix_list_id"];
/// Targets of a route.
const TARGETS: &[&str] = &[
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

fn route_block() -> Block {
    DESTINATIONS.iter().chain(TARGETS).fold(Block::new(), |b, name| {
        let a = Attribute::optional(Type::String);
        let a = match *name {
            "cidr_block" => a.check(Check::Fn(crate::values::ipv4_network_or_empty)),
            "ipv6_cidr_block" => a.check(Check::Fn(crate::values::ipv6_network_or_empty)),
            _ => a,
        };
        b.attr(name, a)
    })
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
        .attr("vpc_id", Attribute::required(Type::String).force_new())
        .attr("propagating_vgws", Attribute::optional_computed(Type::string_set()))
        .block("route", NestedBlock::set(route_block()).computed())
        .tags()
}

fn route_value(r: &Route) -> Value {
    let gateway = r.gateway_id().unwrap_or_default();
    let (gateway_id, vpc_endpoint_id) = if gateway.starts_with("vpce-") {
        (None, Some(gateway))
    } else {
        (r.gateway_id(), None)
    };
    complete(
        &route_block(),
        Value::map([
            ("cidr_block", Value::opt_string(r.destination_cidr_block())),
            ("ipv6_cidr_block", Value::opt_string(r.destination_ipv6_cidr_block())),
            (
                "destination_prefix_list_id",
                Value::opt_string(r.destination_prefix_list_id()),
            ),
            ("carrier_gateway_id", Value::opt_string(r.carrier_gateway_id())),
            ("core_network_arn", Value::opt_string(r.core_network_arn())),
            (
                "egress_only_gateway_id",
                Value::opt_string(r.egress_only_internet_gateway_id()),
            ),
            ("gateway_id", Value::opt_string(gateway_id)),
            ("local_gateway_id", Value::opt_string(r.local_gateway_id())),
            ("nat_gateway_id", Value::opt_string(r.nat_gateway_id())),
            ("network_interface_id", Value::opt_string(r.network_interface_id())),
            ("transit_gateway_id", Value::opt_string(r.transit_gateway_id())),
            ("vpc_endpoint_id", Value::opt_string(vpc_endpoint_id)),
            (
                "vpc_peering_connection_id",
                Value::opt_string(r.vpc_peering_connection_id()),
            ),
        ]),
    )
}

/// Routes that are `route` blocks: not the VPC's `local` route, not propagated, not made by a VPC endpoint.
fn is_managed(r: &Route) -> bool {
    let gateway = r.gateway_id().unwrap_or_default();
    let origin = r.origin().map(|o| o.as_str()).unwrap_or_default();
    gateway != "local"
        && origin != "EnableVgwRoutePropagation"
        && origin != "CreateRouteTable"
        && !(r.destination_prefix_list_id().is_some() && gateway.starts_with("vpce-"))
}

fn flatten(c: &AwsClient, t: &Ec2RouteTable, prior: &Value) -> Value {
    let id = t.route_table_id().unwrap_or_default();
    let owner = t.owner_id().unwrap_or_default();
    let mut obj = Value::map([
        ("id", Value::string(id)),
        ("arn", Value::string(c.arn("ec2", owner, &format!("route-table/{id}")))),
        ("owner_id", Value::opt_string(t.owner_id())),
        ("vpc_id", Value::opt_string(t.vpc_id())),
        (
            "propagating_vgws",
            Value::string_set(t.propagating_vgws().iter().filter_map(|p| p.gateway_id())),
        ),
        (
            "route",
            Value::set(t.routes().iter().filter(|r| is_managed(r)).map(route_value).collect()),
        ),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(t.tags()));
    complete(&block(), obj)
}

async fn read_tables(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for t in crate::ec2::route_tables(c, ids).await? {
        let id = t.route_table_id().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
        results.insert(id, flatten(c, &t, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_tables(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// The destination identifying a route within its table.
fn destination(r: &Value) -> Option<(&'static str, String)> {
    DESTINATIONS.iter().find_map(|d| str_attr(r, d).map(|v| (*d, v)))
}

/// The routes of a value by destination (routes still unknown are left out).
fn routes_by_destination(v: &Value) -> BTreeMap<(&'static str, String), Value> {
    match v.get("route") {
        Some(Value::Set(items) | Value::List(items)) => items
            .iter()
            .filter_map(|r| destination(r).map(|d| (d, r.clone())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Fills a CreateRoute/ReplaceRoute request from a route block (the two builders have the same setters).
macro_rules! route_request {
    ($req:expr, $r:expr) => {{
        let r = $r;
        $req.set_destination_cidr_block(str_attr(r, "cidr_block"))
            .set_destination_ipv6_cidr_block(str_attr(r, "ipv6_cidr_block"))
            .set_destination_prefix_list_id(str_attr(r, "destination_prefix_list_id"))
            .set_carrier_gateway_id(str_attr(r, "carrier_gateway_id"))
            .set_core_network_arn(str_attr(r, "core_network_arn"))
            .set_egress_only_internet_gateway_id(str_attr(r, "egress_only_gateway_id"))
            .set_gateway_id(str_attr(r, "gateway_id"))
            .set_local_gateway_id(str_attr(r, "local_gateway_id"))
            .set_nat_gateway_id(str_attr(r, "nat_gateway_id"))
            .set_network_interface_id(str_attr(r, "network_interface_id"))
            .set_transit_gateway_id(str_attr(r, "transit_gateway_id"))
            .set_vpc_endpoint_id(str_attr(r, "vpc_endpoint_id"))
            .set_vpc_peering_connection_id(str_attr(r, "vpc_peering_connection_id"))
    }};
}

fn describe_route(d: &(&'static str, String)) -> String {
    format!("route {}", d.1)
}

async fn create_route(c: &AwsClient, id: &str, r: &Value) -> Result<()> {
    let d = destination(r).ok_or_else(|| {
        ProviderError::invalid("a route needs one of cidr_block, ipv6_cidr_block or destination_prefix_list_id")
    })?;
    route_request!(c.ec2().create_route().route_table_id(id), r)
        .send()
        .await
        .map_err(aws_err(format!(
            "creating {} in EC2 route table {id}",
            describe_route(&d)
        )))?;
    Ok(())
}

async fn replace_route(c: &AwsClient, id: &str, r: &Value) -> Result<()> {
    let d = destination(r).ok_or_else(|| ProviderError::invalid("a route needs a destination"))?;
    route_request!(c.ec2().replace_route().route_table_id(id), r)
        .send()
        .await
        .map_err(aws_err(format!(
            "replacing {} in EC2 route table {id}",
            describe_route(&d)
        )))?;
    Ok(())
}

async fn delete_route(c: &AwsClient, id: &str, d: &(&'static str, String)) -> Result<()> {
    let req = c.ec2().delete_route().route_table_id(id);
    let req = match d.0 {
        "cidr_block" => req.destination_cidr_block(&d.1),
        "ipv6_cidr_block" => req.destination_ipv6_cidr_block(&d.1),
        _ => req.destination_prefix_list_id(&d.1),
    };
    match req.send().await.map_err(aws_err(format!(
        "deleting {} of EC2 route table {id}",
        describe_route(d)
    ))) {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

/// Brings routes and propagations from `prior` to `planned`.
async fn sync(c: &AwsClient, id: &str, prior: &Value, planned: &Value) -> Result<()> {
    if planned.get("route").is_some_and(|r| r.is_wholly_known()) {
        let old = routes_by_destination(prior);
        let new = routes_by_destination(planned);
        for d in old.keys().filter(|d| !new.contains_key(*d)) {
            delete_route(c, id, d).await?;
        }
        for (d, r) in &new {
            match old.get(d) {
                Some(o) if o == r => {}
                Some(_) => replace_route(c, id, r).await?,
                None => create_route(c, id, r).await?,
            }
        }
    }
    if planned.get("propagating_vgws").is_some_and(|v| v.is_wholly_known()) {
        let old: BTreeSet<String> = prior.get_strings("propagating_vgws").into_iter().collect();
        let new: BTreeSet<String> = planned.get_strings("propagating_vgws").into_iter().collect();
        for g in old.difference(&new) {
            c.ec2()
                .disable_vgw_route_propagation()
                .route_table_id(id)
                .gateway_id(g)
                .send()
                .await
                .map_err(aws_err(format!(
                    "disabling route propagation from {g} in EC2 route table {id}"
                )))?;
        }
        for g in new.difference(&old) {
            c.ec2()
                .enable_vgw_route_propagation()
                .route_table_id(id)
                .gateway_id(g)
                .send()
                .await
                .map_err(aws_err(format!(
                    "enabling route propagation from {g} in EC2 route table {id}"
                )))?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for RouteTable {
    fn name(&self) -> &'static str {
        "aws_route_table"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 2, 5))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if let Some(items) = req.planned.get("route").and_then(Value::as_list) {
            for r in items.iter().filter(|r| r.is_wholly_known()) {
                let n = DESTINATIONS.iter().filter(|d| str_attr(r, d).is_some()).count();
                if n != 1 {
                    return Err(ProviderError::invalid(
                        "each route needs exactly one of cidr_block, ipv6_cidr_block or destination_prefix_list_id",
                    ));
                }
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_tables(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let tags = tags::for_create(c, ctx, planned);
        let vpc_id = str_attr(planned, "vpc_id").ok_or_else(|| ProviderError::invalid("vpc_id is required"))?;
        let out = c
            .ec2()
            .create_route_table()
            .vpc_id(&vpc_id)
            .client_token(idempotency_token(&ctx.client_token, 1, 64))
            .tag_specifications(tag_spec(Ec2Type::RouteTable, &tags))
            .send()
            .await
            .map_err(aws_err(format!("creating EC2 route table in {vpc_id}")))?;
        let id = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .ok_or_else(|| ProviderError::new("CreateRouteTable returned no ID"))?
            .to_string();
        let rest = async {
            sync(c, &id, &Value::Null, planned).await?;
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EC2 route table {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        sync(c, &id, prior, planned).await?;
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 route table {id} not found")))
            .context("updating")
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        delete_retrying(ctx, "route table deletion", || async {
            c.ec2()
                .delete_route_table()
                .route_table_id(&id)
                .send()
                .await
                .map_err(aws_err(format!("deleting EC2 route table {id}")))?;
            Ok(())
        })
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let out = c
            .ec2()
            .describe_route_tables()
            .set_filters(Some(ownership_filters(ctx)))
            .send()
            .await
            .map_err(aws_err("looking for an EC2 route table made by an interrupted create"))?;
        match out.route_tables().first().and_then(|t| t.route_table_id()) {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}
