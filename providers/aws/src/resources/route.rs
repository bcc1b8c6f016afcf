//! `aws_route`: one route of a route table, managed on its own. The destination (IPv4 or IPv6 CIDR block,
//! or prefix list) and the table force replacement; the target (gateway, NAT gateway, network
//! interface, ...) changes in place with `ReplaceRoute`. `id` is `r-` + table ID + the CRC-32 of the
//! destination, as Terraform makes it.
//!
//! Batched read: one `DescribeRouteTables` call filtered on the tables of all the routes (`route-table-id`,
//! paginated); each route is found in its table by destination. N routes in M tables cost one call.
//! Import ID: `rtb-xxx_destination` (e.g. `rtb-656c65616e6f72_0.0.0.0/0`), as Terraform. A route is
//! unique by table and destination, so an interrupted create is found by looking there.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::values::{ReadResults, all_failed, complete, keys_of, single, str_attr};
use async_trait::async_trait;
use aws_sdk_ec2::types::Route as Ec2Route;
use infra_provider::{
    Attribute, Block, Check, Invalid, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    Timeouts, Type, Value, wait_for,
};

pub struct Route;

/// Destinations: exactly one is set.
const DESTINATIONS: &[&str] = &[
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
];

/// Targets: exactly one is set.
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

fn block() -> Block {
    let b = Block::new()
        .id()
        .attr("route_table_id", Attribute::required(Type::String).force_new())
        .attr("instance_id", Attribute::computed(Type::String))
        .attr("instance_owner_id", Attribute::computed(Type::String))
        .attr("origin", Attribute::computed(Type::String))
        .attr("state", Attribute::computed(Type::String));
    let b = DESTINATIONS.iter().fold(b, |b, d| {
        let a = Attribute::optional(Type::String).force_new();
        let a = match *d {
            "destination_cidr_block" => a.check(Check::Ipv4Cidr),
            "destination_ipv6_cidr_block" => a.check(Check::Ipv6Cidr),
            _ => a,
        };
        b.attr(d, a)
    });
    TARGETS.iter().fold(b, |b, t| {
        let a = if *t == "network_interface_id" {
            Attribute::optional_computed(Type::String)
        } else {
            Attribute::optional(Type::String)
        };
        b.attr(t, a)
    })
}

/// CRC-32 (IEEE), as Terraform's string hash codes use.
fn crc32(s: &str) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in s.bytes() {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Terraform's route ID.
pub fn route_id(table: &str, destination: &str) -> String {
    format!("r-{table}{}", crc32(destination))
}

/// The destination of a planned or prior route: (attribute, value).
fn destination(v: &Value) -> Option<(&'static str, String)> {
    DESTINATIONS.iter().find_map(|d| str_attr(v, d).map(|x| (*d, x)))
}

fn route_destination(r: &Ec2Route) -> Option<(&'static str, &str)> {
    r.destination_cidr_block()
        .map(|d| ("destination_cidr_block", d))
        .or(r
            .destination_ipv6_cidr_block()
            .map(|d| ("destination_ipv6_cidr_block", d)))
        .or(r
            .destination_prefix_list_id()
            .map(|d| ("destination_prefix_list_id", d)))
}

fn flatten(table: &str, r: &Ec2Route) -> Value {
    let (dest_attr, dest) = route_destination(r).unwrap_or(("destination_cidr_block", ""));
    let gateway = r.gateway_id().unwrap_or_default();
    let (gateway_id, vpc_endpoint_id) = if gateway.starts_with("vpce-") {
        (None, Some(gateway))
    } else {
        (r.gateway_id(), None)
    };
    let mut obj = Value::map([
        ("id", Value::string(route_id(table, dest))),
        ("route_table_id", Value::string(table)),
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
        ("instance_id", Value::opt_string(r.instance_id())),
        ("instance_owner_id", Value::opt_string(r.instance_owner_id())),
        ("origin", Value::opt_string(r.origin().map(|o| o.as_str()))),
        ("state", Value::opt_string(r.state().map(|s| s.as_str()))),
    ]);
    obj.set_attr(dest_attr, Value::string(dest));
    complete(&block(), obj)
}

/// Key of a route in a batched read: table and destination.
fn key(table: &str, dest: &str) -> String {
    format!("{table}_{dest}")
}

fn key_of(p: &Value) -> Option<String> {
    Some(key(&str_attr(p, "route_table_id")?, &destination(p)?.1))
}

async fn read_routes(c: &AwsClient, tables: &[String]) -> Result<ReadResults> {
    let mut results = ReadResults::new();
    for t in &crate::ec2::route_tables(c, tables).await? {
        let table = t.route_table_id().unwrap_or_default();
        for r in t.routes() {
            if let Some((_, dest)) = route_destination(r) {
                results.insert(key(table, dest), flatten(table, r));
            }
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
    let Some(table) = str_attr(prior, "route_table_id") else {
        return Err(ProviderError::invalid("the route has no route_table_id"));
    };
    single(
        read_routes(c, &[table])
            .await?
            .answer(std::slice::from_ref(prior), key_of),
    )
}

fn target_of(v: &Value) -> Option<(&'static str, String)> {
    TARGETS.iter().find_map(|t| str_attr(v, t).map(|x| (*t, x)))
}

/// Runs CreateRoute or ReplaceRoute with the planned destination and target.
async fn put_route(c: &AwsClient, planned: &Value, replace: bool) -> Result<()> {
    let table = str_attr(planned, "route_table_id").unwrap_or_default();
    let (dest_attr, dest) =
        destination(planned).ok_or_else(|| ProviderError::invalid("the route has no destination"))?;
    let (target_attr, target) = target_of(planned).ok_or_else(|| ProviderError::invalid("the route has no target"))?;
    macro_rules! send {
        ($req:expr) => {{
            let req = $req.route_table_id(&table);
            let req = match dest_attr {
                "destination_cidr_block" => req.destination_cidr_block(&dest),
                "destination_ipv6_cidr_block" => req.destination_ipv6_cidr_block(&dest),
                _ => req.destination_prefix_list_id(&dest),
            };
            let req = match target_attr {
                "carrier_gateway_id" => req.carrier_gateway_id(&target),
                "core_network_arn" => req.core_network_arn(&target),
                "egress_only_gateway_id" => req.egress_only_internet_gateway_id(&target),
                "gateway_id" => req.gateway_id(&target),
                "local_gateway_id" => req.local_gateway_id(&target),
                "nat_gateway_id" => req.nat_gateway_id(&target),
                "network_interface_id" => req.network_interface_id(&target),
                "transit_gateway_id" => req.transit_gateway_id(&target),
                "vpc_endpoint_id" => req.vpc_endpoint_id(&target),
                _ => req.vpc_peering_connection_id(&target),
            };
            req.send().await.map(|_| ())
        }};
    }
    if replace {
        send!(c.ec2().replace_route()).map_err(aws_err(format!("replacing the route to {dest} in {table}")))
    } else {
        send!(c.ec2().create_route()).map_err(aws_err(format!("creating a route to {dest} in {table}")))
    }
}

/// Waits until the route is visible in its table and reads it.
async fn wait_visible(c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
    wait_for(ctx, "route", || async {
        Ok(match read_one(c, planned).await? {
            Some(v) => Poll::Ready(v),
            None => Poll::Pending("not visible yet".into()),
        })
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for Route {
    fn name(&self) -> &'static str {
        "aws_route"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 2, 5))
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let set = |names: &[&str]| {
            names
                .iter()
                .filter(|n| !config.get(n).is_none_or(Value::is_null))
                .count()
        };
        let mut out = Vec::new();
        if set(DESTINATIONS) != 1 {
            out.push(Invalid::new(
                "exactly one of destination_cidr_block, destination_ipv6_cidr_block or destination_prefix_list_id \
                 must be set",
            ));
        }
        if set(TARGETS) != 1 {
            out.push(Invalid::new(format!(
                "exactly one target must be set, one of {}",
                TARGETS.join(", ")
            )));
        }
        out
    }

    fn plan(&self, _c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        // The ID follows from the table and destination; the computed target shows the new one.
        if let (Some(table), Some((_, dest))) = (str_attr(req.planned, "route_table_id"), destination(req.planned)) {
            req.planned.set_attr("id", Value::string(route_id(&table, &dest)));
        }
        if req.config.get("network_interface_id").is_none_or(Value::is_null)
            && let Some(prior) = req.prior
            && target_of(prior).map(|t| t.0) != target_of(req.planned).map(|t| t.0)
        {
            req.planned.set_attr("network_interface_id", Value::Unknown);
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_routes(c, &keys_of(priors, "route_table_id")).await {
            Ok(r) => r.answer(priors, key_of),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let planned = &crate::values::without_unknowns(planned);
        // A route to the same destination already there is someone else's: CreateRoute reports
        // RouteAlreadyExists, as Terraform does.
        wait_for(ctx, "route creation", || async {
            match put_route(c, planned, false).await {
                Ok(()) => Ok(Poll::Ready(())),
                // Freshly created targets (a NAT gateway, an endpoint) may not be visible yet.
                Err(e) if e.is_not_found() && code_of(&e) != "InvalidRouteTableID.NotFound" => {
                    Ok(Poll::Pending(e.to_string()))
                }
                Err(e) => Err(e),
            }
        })
        .await?;
        wait_visible(c, ctx, planned).await
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, _prior: &Value, planned: &Value) -> Result<Value> {
        let planned = &crate::values::without_unknowns(planned);
        put_route(c, planned, true).await?;
        wait_visible(c, ctx, planned).await
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let table = str_attr(prior, "route_table_id").unwrap_or_default();
        let (attr, dest) = destination(prior).ok_or_else(|| ProviderError::invalid("the route has no destination"))?;
        let req = c.ec2().delete_route().route_table_id(&table);
        let req = match attr {
            "destination_cidr_block" => req.destination_cidr_block(&dest),
            "destination_ipv6_cidr_block" => req.destination_ipv6_cidr_block(&dest),
            _ => req.destination_prefix_list_id(&dest),
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting the route to {dest} in {table}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let (table, dest) = id
            .split_once('_')
            .filter(|(t, d)| t.starts_with("rtb-") && !d.is_empty())
            .ok_or_else(|| {
                ProviderError::invalid(format!(
                    "unexpected import ID {id:?}: expected ROUTETABLEID_DESTINATION, e.g. rtb-1234_0.0.0.0/0"
                ))
            })?;
        let attr = if dest.starts_with("pl-") {
            "destination_prefix_list_id"
        } else if dest.contains(':') {
            "destination_ipv6_cidr_block"
        } else {
            "destination_cidr_block"
        };
        read_one(
            c,
            &Value::map([("route_table_id", Value::string(table)), (attr, Value::string(dest))]),
        )
        .await
    }

    /// A route is unique by table and destination: the one there with the planned target is ours.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let planned = crate::values::without_unknowns(planned);
        let Some(found) = read_one(c, &planned).await? else {
            return Ok(None);
        };
        let same_target = target_of(&planned).is_some_and(|(k, v)| found.get_str(k) == Some(v.as_str()));
        Ok(same_target.then_some(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_terraform() {
        assert_eq!(crc32("0.0.0.0/0"), 1080289494);
        assert_eq!(route_id("rtb-123", "0.0.0.0/0"), "r-rtb-1231080289494");
    }
}
