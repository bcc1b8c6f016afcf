//! `aws_route_table_association`: associates a subnet (or an internet/virtual private gateway) with a
//! route table. Changing `route_table_id` is done in place with `ReplaceRouteTableAssociation`, which
//! gives the association a new ID.
//!
//! Batched read: one `DescribeRouteTables` call filtered on all the association IDs
//! (`association.route-table-association-id`, paginated).
//! Import ID: `subnet-id/route-table-id` or `gateway-id/route-table-id`, as Terraform.

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, filter};
use crate::errors::aws_err;
use crate::values::{ReadResults, all_failed, complete, id_of, keys_of, single, str_attr};
use async_trait::async_trait;
use aws_sdk_ec2::types::{RouteTable, RouteTableAssociation as Ec2Assoc};
use infra_provider::{
    Attribute, Block, Invalid, OpContext, Poll, ProviderError, ResourceType, Result, Schema, Timeouts, Type, Value,
    wait_for,
};

pub struct RouteTableAssociation;

fn block() -> Block {
    Block::new()
        .id()
        .attr(
            "subnet_id",
            Attribute::optional(Type::String)
                .force_new()
                .conflicts_with(&["gateway_id"]),
        )
        .attr(
            "gateway_id",
            Attribute::optional(Type::String)
                .force_new()
                .conflicts_with(&["subnet_id"]),
        )
        .attr("route_table_id", Attribute::required(Type::String))
}

fn flatten(a: &Ec2Assoc) -> Value {
    complete(
        &block(),
        Value::map([
            ("id", Value::opt_string(a.route_table_association_id())),
            ("subnet_id", Value::opt_string(a.subnet_id())),
            ("gateway_id", Value::opt_string(a.gateway_id())),
            ("route_table_id", Value::opt_string(a.route_table_id())),
        ]),
    )
}

fn state(a: &Ec2Assoc) -> String {
    a.association_state()
        .and_then(|s| s.state())
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "associated".into())
}

/// Inserts the live associations among `tables` whose IDs are in `ids`.
fn insert_live(results: &mut ReadResults, tables: &[RouteTable], ids: &[String]) {
    for t in tables {
        for a in t.associations() {
            let id = a.route_table_association_id().unwrap_or_default();
            if ids.iter().any(|x| x == id) && matches!(state(a).as_str(), "associated" | "associating") {
                results.insert(id, flatten(a));
            }
        }
    }
}

/// Reads associations by ID: in a refresh from the route tables it shares (see [`crate::refresh`]),
/// the rest with `DescribeRouteTables` filtered on association IDs.
async fn read_associations(c: &AwsClient, ids: &[String]) -> Result<ReadResults> {
    let mut results = ReadResults::new();
    let mut ids = ids.to_vec();
    if let Some(tables) = crate::ec2::shared_route_tables(c).await? {
        insert_live(&mut results, &tables, &ids);
        ids.retain(|id| !results.contains(id));
    }
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        let tables: Vec<_> = c
            .ec2()
            .describe_route_tables()
            .filters(filter("association.route-table-association-id", chunk.iter().cloned()))
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading EC2 route table associations"))?;
        insert_live(&mut results, &tables, chunk);
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str) -> Result<Option<Value>> {
    let prior = Value::map([("id", Value::string(id))]);
    single(
        read_associations(c, &[id.to_string()])
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// The association of `target` (a subnet or gateway ID) with `route_table_id`, if there is one.
async fn find_association(c: &AwsClient, target: &str, route_table_id: &str) -> Result<Option<Value>> {
    let out = c
        .ec2()
        .describe_route_tables()
        .filters(filter("route-table-id", [route_table_id]))
        .send()
        .await
        .map_err(aws_err(format!("reading EC2 route table {route_table_id}")))?;
    Ok(out
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .find(|a| {
            (a.subnet_id() == Some(target) || a.gateway_id() == Some(target))
                && matches!(state(a).as_str(), "associated" | "associating")
        })
        .map(flatten))
}

async fn wait_associated(c: &AwsClient, ctx: &OpContext, id: &str) -> Result<Value> {
    wait_for(ctx, "route table association", || async {
        Ok(match read_one(c, id).await? {
            Some(v) => Poll::Ready(v),
            None => Poll::Pending("associating".into()),
        })
    })
    .await
}

#[async_trait]
impl ResourceType<AwsClient> for RouteTableAssociation {
    fn name(&self) -> &'static str {
        "aws_route_table_association"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 2, 5))
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let subnet = config.get("subnet_id").is_some_and(|v| !v.is_null());
        let gateway = config.get("gateway_id").is_some_and(|v| !v.is_null());
        if subnet == gateway {
            return vec![Invalid::new("exactly one of subnet_id or gateway_id must be set")];
        }
        Vec::new()
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_associations(c, &keys_of(priors, "id")).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let rtb =
            str_attr(planned, "route_table_id").ok_or_else(|| ProviderError::invalid("route_table_id is required"))?;
        let out = c
            .ec2()
            .associate_route_table()
            .route_table_id(&rtb)
            .set_subnet_id(str_attr(planned, "subnet_id"))
            .set_gateway_id(str_attr(planned, "gateway_id"))
            .send()
            .await
            .map_err(aws_err(format!("associating EC2 route table {rtb}")))?;
        let id = out
            .association_id()
            .ok_or_else(|| ProviderError::new("AssociateRouteTable returned no ID"))?
            .to_string();
        wait_associated(c, ctx, &id)
            .await
            .map_err(|e| e.with_partial(complete(&block(), crate::values::prior_for(planned, &id))))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        let rtb =
            str_attr(planned, "route_table_id").ok_or_else(|| ProviderError::invalid("route_table_id is required"))?;
        let out = c
            .ec2()
            .replace_route_table_association()
            .association_id(&id)
            .route_table_id(&rtb)
            .send()
            .await
            .map_err(aws_err(format!("replacing EC2 route table association {id}")))?;
        let new_id = out.new_association_id().unwrap_or(&id).to_string();
        wait_associated(c, ctx, &new_id).await
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        match c.ec2().disassociate_route_table().association_id(&id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting EC2 route table association {id}"))(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let (target, rtb) = id.split_once('/').ok_or_else(|| {
            ProviderError::invalid(format!(
                "unexpected import ID {id:?}: expected subnet-id/route-table-id or gateway-id/route-table-id"
            ))
        })?;
        find_association(c, target, rtb).await
    }

    /// An association is unique per subnet/gateway: whatever associates it with the planned table is it.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let target = str_attr(planned, "subnet_id").or_else(|| str_attr(planned, "gateway_id"));
        match (target, str_attr(planned, "route_table_id")) {
            (Some(t), Some(rtb)) => find_association(c, &t, &rtb).await,
            _ => Ok(None),
        }
    }
}
