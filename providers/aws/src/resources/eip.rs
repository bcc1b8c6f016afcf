//! `aws_eip`: an Elastic IP address (VPC domain). `id` is the allocation ID. Associating it with an
//! instance or network interface (`instance`, `network_interface`, `associate_with_private_ip`) changes in
//! place; where the address comes from (`address`, pools, `domain`) forces replacement.
//!
//! Batched read: one `DescribeAddresses` call filtered on all the allocation IDs (`allocation-id`); tags
//! come back in it, so N addresses cost one call.
//! Import ID: the allocation ID. An interrupted create is found by its ownership tags, which
//! `AllocateAddress` sets atomically through its tag specifications.

use crate::client::AwsClient;
use crate::ec2::{FILTER_VALUES_MAX, filter, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{
    ReadResults, all_failed, changed, complete, id_of, keys_of, partial_object, prior_for, single, str_attr,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{Address, DomainType, ResourceType as Ec2Type};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Timeouts, Type, Value,
};
use std::collections::HashMap;

pub struct Eip;

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("address", Attribute::optional(Type::String).force_new())
        .attr("allocation_id", Attribute::computed(Type::String))
        .attr(
            "associate_with_private_ip",
            Attribute::optional(Type::String).check(Check::Fn(crate::values::ipv4_address)),
        )
        .attr("association_id", Attribute::computed(Type::String))
        .attr("carrier_ip", Attribute::computed(Type::String))
        .attr("customer_owned_ip", Attribute::computed(Type::String))
        .attr(
            "customer_owned_ipv4_pool",
            Attribute::optional(Type::String).force_new(),
        )
        .attr(
            "domain",
            Attribute::optional_computed(Type::String)
                .force_new()
                .one_of(&["vpc", "standard"]),
        )
        .attr("instance", Attribute::optional_computed(Type::String))
        .attr("ipam_pool_id", Attribute::optional_computed(Type::String).force_new())
        .attr(
            "network_border_group",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("network_interface", Attribute::optional_computed(Type::String))
        .attr("private_dns", Attribute::computed(Type::String))
        .attr("private_ip", Attribute::computed(Type::String))
        .attr("ptr_record", Attribute::computed(Type::String))
        .attr("public_dns", Attribute::computed(Type::String))
        .attr("public_ip", Attribute::computed(Type::String))
        .attr(
            "public_ipv4_pool",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("vpc", Attribute::optional_computed(Type::Bool).force_new())
        .tags()
}

/// The EC2 DNS names of an IP, as Terraform derives them.
fn dns_name(region: &str, ip: &str, public: bool) -> String {
    let dashed = ip.replace('.', "-");
    match (public, region) {
        (true, "us-east-1") => format!("ec2-{dashed}.compute-1.amazonaws.com"),
        (true, r) => format!("ec2-{dashed}.{r}.compute.amazonaws.com"),
        (false, "us-east-1") => format!("ip-{dashed}.ec2.internal"),
        (false, r) => format!("ip-{dashed}.{r}.compute.internal"),
    }
}

fn flatten(c: &AwsClient, a: &Address, account: &str, prior: &Value) -> Value {
    let alloc = a.allocation_id().unwrap_or_default();
    let domain = a.domain().map(|d| d.as_str()).unwrap_or("vpc");
    let public_ip = a.public_ip().filter(|s| !s.is_empty());
    let private_ip = a.private_ip_address().filter(|s| !s.is_empty());
    let mut obj = Value::map([
        ("id", Value::string(alloc)),
        (
            "arn",
            Value::string(c.arn("ec2", account, &format!("elastic-ip/{alloc}"))),
        ),
        ("address", prior.get("address").cloned().unwrap_or_default()),
        ("allocation_id", Value::string(alloc)),
        (
            "associate_with_private_ip",
            match (prior.get_str("associate_with_private_ip"), private_ip) {
                (Some(_), Some(ip)) => Value::string(ip),
                (p, _) => Value::opt_string(p),
            },
        ),
        ("association_id", Value::opt_string(a.association_id())),
        ("carrier_ip", Value::opt_string(a.carrier_ip())),
        ("customer_owned_ip", Value::opt_string(a.customer_owned_ip())),
        (
            "customer_owned_ipv4_pool",
            Value::opt_string(a.customer_owned_ipv4_pool()),
        ),
        ("domain", Value::string(domain)),
        ("instance", Value::string(a.instance_id().unwrap_or_default())),
        ("ipam_pool_id", crate::values::carry(prior, "ipam_pool_id", Value::Null)),
        ("network_border_group", Value::opt_string(a.network_border_group())),
        (
            "network_interface",
            Value::string(a.network_interface_id().unwrap_or_default()),
        ),
        ("private_ip", Value::opt_string(private_ip)),
        (
            "private_dns",
            Value::opt_string(private_ip.map(|ip| dns_name(c.region(), ip, false))),
        ),
        ("public_ip", Value::opt_string(public_ip)),
        (
            "public_dns",
            Value::opt_string(public_ip.map(|ip| dns_name(c.region(), ip, true))),
        ),
        ("ptr_record", crate::values::carry(prior, "ptr_record", Value::Null)),
        ("public_ipv4_pool", Value::opt_string(a.public_ipv4_pool())),
        ("vpc", Value::Bool(domain == "vpc")),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(a.tags()));
    complete(&block(), obj)
}

async fn describe(c: &AwsClient, filters: Vec<aws_sdk_ec2::types::Filter>) -> Result<Vec<Address>> {
    let out = c
        .ec2()
        .describe_addresses()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(aws_err("reading EC2 Elastic IPs"))?;
    Ok(out.addresses.unwrap_or_default())
}

async fn read_addresses(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    if ids.is_empty() {
        return Ok(results);
    }
    let account = c.account_id().await.unwrap_or_default();
    // DescribeAddresses is not paginated; a filter on IDs returns only those that exist.
    for chunk in ids.chunks(FILTER_VALUES_MAX) {
        for a in describe(c, vec![filter("allocation-id", chunk.iter().cloned())]).await? {
            let id = a.allocation_id().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            results.insert(id, flatten(c, &a, &account, prior));
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_addresses(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

async fn associate(c: &AwsClient, id: &str, planned: &Value) -> Result<()> {
    let instance = str_attr(planned, "instance");
    let eni = str_attr(planned, "network_interface");
    if instance.is_none() && eni.is_none() {
        return Ok(());
    }
    c.ec2()
        .associate_address()
        .allocation_id(id)
        .set_instance_id(if eni.is_some() { None } else { instance })
        .set_network_interface_id(eni)
        .set_private_ip_address(str_attr(planned, "associate_with_private_ip"))
        .allow_reassociation(false)
        .send()
        .await
        .map_err(aws_err(format!("associating EC2 Elastic IP {id}")))?;
    Ok(())
}

async fn disassociate(c: &AwsClient, prior: &Value) -> Result<()> {
    let Some(assoc) = str_attr(prior, "association_id") else {
        return Ok(());
    };
    match c.ec2().disassociate_address().association_id(&assoc).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = aws_err(format!("disassociating EC2 Elastic IP association {assoc}"))(e);
            if e.is_not_found() { Ok(()) } else { Err(e) }
        }
    }
}

#[async_trait]
impl ResourceType<AwsClient> for Eip {
    fn name(&self) -> &'static str {
        "aws_eip"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(5, 5, 3))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        // A change of association changes the association ID and the private IP.
        if let Some(prior) = req.prior {
            let assoc_changed = ["instance", "network_interface", "associate_with_private_ip"]
                .iter()
                .any(|k| !req.planned.get(k).is_some_and(Value::is_unknown) && changed(prior, req.planned, k));
            if assoc_changed {
                for k in ["association_id", "private_ip", "private_dns"] {
                    req.planned.set_attr(k, Value::Unknown);
                }
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_addresses(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let tags = tags::for_create(c, ctx, planned);
        let domain = match (str_attr(planned, "domain"), planned.get_bool("vpc")) {
            (Some(d), _) => d,
            (None, Some(false)) => "standard".to_string(),
            _ => "vpc".to_string(),
        };
        let out = c
            .ec2()
            .allocate_address()
            .domain(DomainType::from(domain.as_str()))
            .set_address(str_attr(planned, "address"))
            .set_customer_owned_ipv4_pool(str_attr(planned, "customer_owned_ipv4_pool"))
            .set_network_border_group(str_attr(planned, "network_border_group"))
            .set_public_ipv4_pool(str_attr(planned, "public_ipv4_pool"))
            .set_ipam_pool_id(str_attr(planned, "ipam_pool_id"))
            .tag_specifications(tag_spec(Ec2Type::ElasticIp, &tags))
            .send()
            .await
            .map_err(aws_err("allocating an EC2 Elastic IP"))?;
        let id = out
            .allocation_id()
            .ok_or_else(|| ProviderError::new("AllocateAddress returned no allocation ID"))?
            .to_string();
        let rest = async {
            associate(c, &id, planned).await?;
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EC2 Elastic IP {id} vanished after create")))
        };
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), planned, &id)))
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        let assoc_changed = ["instance", "network_interface", "associate_with_private_ip"]
            .iter()
            .any(|k| !planned.get(k).is_some_and(Value::is_unknown) && changed(prior, planned, k));
        if assoc_changed {
            disassociate(c, prior).await?;
            associate(c, &id, planned).await?;
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 Elastic IP {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        // Whatever it is associated with now (the prior may be stale).
        let current = match read_one(c, &id, prior).await? {
            Some(v) => v,
            None => return Ok(()),
        };
        disassociate(c, &current).await?;
        crate::ec2::delete_retrying(ctx, "Elastic IP release", || async {
            match c.ec2().release_address().allocation_id(&id).send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let mut e = aws_err(format!("releasing EC2 Elastic IP {id}"))(e);
                    // Still being disassociated: retried like a dependency.
                    if matches!(crate::errors::code_of(&e), "InvalidIPAddress.InUse" | "AuthFailure") {
                        e.code = Some("DependencyViolation".into());
                    }
                    Err(e)
                }
            }
        })
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let found = describe(c, ownership_filters(ctx)).await.map_err(|e| ProviderError {
            message: format!("looking for an Elastic IP made by an interrupted create: {}", e.message),
            ..e
        })?;
        match found.first().and_then(|a| a.allocation_id()) {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}
