//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`: one security group rule
//! each, with its own ID (`sgr-...`) and tags. The two types are the same API with a direction, so they
//! share this file: [`VpcSecurityGroupRule::ingress`] and [`VpcSecurityGroupRule::egress`].
//!
//! Rule fields change in place with `ModifySecurityGroupRules`; changing the kind of source (CIDR, IPv6
//! CIDR, prefix list, referenced group) or the group replaces the rule, as in Terraform.
//!
//! Batched read: one `DescribeSecurityGroupRules` call filtered on all the rule IDs (paginated).

use crate::client::AwsClient;
use crate::ec2::{api_protocol, filter, normalize_protocol, ownership_filters, tag_pairs, tag_spec, update_tags};
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{ReadResults, all_failed, complete, id_of, keys_of, prior_for, single, str_attr};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2Type, SecurityGroupRule,
    SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, OpContext, Path, PlanRequest, ProviderError, ResourceType, Result, Schema, Type,
    Value,
};
use std::collections::HashMap;

/// A standalone security group rule, ingress or egress.
pub struct VpcSecurityGroupRule {
    egress: bool,
}

impl VpcSecurityGroupRule {
    pub fn ingress() -> Self {
        VpcSecurityGroupRule { egress: false }
    }
    pub fn egress() -> Self {
        VpcSecurityGroupRule { egress: true }
    }
    fn direction(&self) -> &'static str {
        if self.egress { "egress" } else { "ingress" }
    }
}

/// The source (ingress) or destination (egress) arguments: exactly one is set.
const SOURCES: &[&str] = &[
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "referenced_security_group_id",
];

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("security_group_rule_id", Attribute::computed(Type::String))
        .attr("security_group_id", Attribute::required(Type::String).force_new())
        .attr(
            "ip_protocol",
            Attribute::required(Type::String).check(Check::Fn(crate::values::ip_protocol)),
        )
        .attr(
            "from_port",
            Attribute::optional(Type::Number).check(Check::IntRange(-1, 65535)),
        )
        .attr(
            "to_port",
            Attribute::optional(Type::Number).check(Check::IntRange(-1, 65535)),
        )
        .attr(
            "cidr_ipv4",
            Attribute::optional(Type::String)
                .check(Check::Fn(crate::values::ipv4_cidr_any))
                .conflicts_with(&["cidr_ipv6", "prefix_list_id", "referenced_security_group_id"]),
        )
        .attr(
            "cidr_ipv6",
            Attribute::optional(Type::String)
                .check(Check::Fn(crate::values::ipv6_cidr_any))
                .conflicts_with(&["cidr_ipv4", "prefix_list_id", "referenced_security_group_id"]),
        )
        .attr(
            "prefix_list_id",
            Attribute::optional(Type::String).conflicts_with(&[
                "cidr_ipv4",
                "cidr_ipv6",
                "referenced_security_group_id",
            ]),
        )
        .attr(
            "referenced_security_group_id",
            Attribute::optional(Type::String).conflicts_with(&["cidr_ipv4", "cidr_ipv6", "prefix_list_id"]),
        )
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 255)),
        )
        .tags()
}

fn source_of(v: &Value) -> Option<&'static str> {
    SOURCES.iter().copied().find(|s| v.get(s).is_some_and(|x| !x.is_null()))
}

fn flatten(c: &AwsClient, r: &SecurityGroupRule, account: &str, prior: &Value) -> Value {
    let id = r.security_group_rule_id().unwrap_or_default();
    let owner = r.group_owner_id().unwrap_or(account);
    let arn = r
        .security_group_rule_arn()
        .map(str::to_string)
        .unwrap_or_else(|| c.arn("ec2", owner, &format!("security-group-rule/{id}")));
    // Keep the prior spelling of an equivalent protocol ("6" and "tcp").
    let api_proto = r.ip_protocol().unwrap_or("-1");
    let protocol = match prior.get_str("ip_protocol") {
        Some(p) if normalize_protocol(p) == normalize_protocol(api_proto) => p.to_string(),
        _ => api_proto.to_string(),
    };
    // EC2 answers -1 for "no ports"; keep null where the configuration left them out.
    let port = |n: Option<i32>, key: &str| match n {
        Some(-1) | None if prior.get(key).is_none_or(Value::is_null) => Value::Null,
        n => Value::opt_int(n.map(i64::from)),
    };
    let referenced = r.referenced_group_info().and_then(|g| {
        g.group_id().map(|gid| match g.user_id() {
            Some(u) if !u.is_empty() && !owner.is_empty() && u != owner => format!("{u}/{gid}"),
            _ => gid.to_string(),
        })
    });
    let mut obj = Value::map([
        ("id", Value::string(id)),
        ("arn", Value::string(arn)),
        ("security_group_rule_id", Value::string(id)),
        ("security_group_id", Value::opt_string(r.group_id())),
        ("ip_protocol", Value::string(protocol)),
        ("from_port", port(r.from_port(), "from_port")),
        ("to_port", port(r.to_port(), "to_port")),
        ("cidr_ipv4", Value::opt_string(r.cidr_ipv4())),
        ("cidr_ipv6", Value::opt_string(r.cidr_ipv6())),
        ("prefix_list_id", Value::opt_string(r.prefix_list_id())),
        ("referenced_security_group_id", Value::opt_string(referenced)),
        (
            "description",
            Value::opt_string(r.description().filter(|d| !d.is_empty())),
        ),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(r.tags()));
    complete(&block(), obj)
}

async fn read_rules(c: &AwsClient, egress: bool, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    {
        let rules = crate::ec2::security_group_rules(c, ids).await?;
        // Endpoints that leave out the owner still need it for ARNs.
        let account = if rules
            .iter()
            .any(|r| r.group_owner_id().is_none() && r.security_group_rule_arn().is_none())
        {
            c.account_id().await.unwrap_or_default()
        } else {
            String::new()
        };
        for r in rules.iter().filter(|r| r.is_egress().unwrap_or(false) == egress) {
            let id = r.security_group_rule_id().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
            results.insert(id, flatten(c, r, &account, prior));
        }
    }
    Ok(results)
}

fn permission(v: &Value) -> IpPermission {
    let protocol = api_protocol(v.get_str("ip_protocol").unwrap_or("-1"));
    let d = str_attr(v, "description");
    let mut b = IpPermission::builder()
        .ip_protocol(&protocol)
        .set_from_port(v.get_i64("from_port").map(|n| n as i32))
        .set_to_port(v.get_i64("to_port").map(|n| n as i32));
    if let Some(c) = str_attr(v, "cidr_ipv4") {
        b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d.clone()).build());
    }
    if let Some(c) = str_attr(v, "cidr_ipv6") {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d.clone()).build());
    }
    if let Some(p) = str_attr(v, "prefix_list_id") {
        b = b.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(p)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(g) = str_attr(v, "referenced_security_group_id") {
        let (user, gid) = match g.split_once('/') {
            Some((u, g)) => (Some(u.to_string()), g.to_string()),
            None => (None, g),
        };
        b = b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(gid)
                .set_user_id(user)
                .set_description(d)
                .build(),
        );
    }
    b.build()
}

fn rule_request(v: &Value) -> SecurityGroupRuleRequest {
    SecurityGroupRuleRequest::builder()
        .ip_protocol(api_protocol(v.get_str("ip_protocol").unwrap_or("-1")))
        .set_from_port(v.get_i64("from_port").map(|n| n as i32))
        .set_to_port(v.get_i64("to_port").map(|n| n as i32))
        .set_cidr_ipv4(str_attr(v, "cidr_ipv4"))
        .set_cidr_ipv6(str_attr(v, "cidr_ipv6"))
        .set_prefix_list_id(str_attr(v, "prefix_list_id"))
        .set_referenced_group_id(str_attr(v, "referenced_security_group_id"))
        .set_description(str_attr(v, "description"))
        .build()
}

impl VpcSecurityGroupRule {
    async fn read_one(&self, c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
        let prior = prior_for(prior, id);
        single(
            read_rules(c, self.egress, &[id.to_string()], std::slice::from_ref(&prior))
                .await?
                .answer(&[prior], |p| str_attr(p, "id")),
        )
    }
}

#[async_trait]
impl ResourceType<AwsClient> for VpcSecurityGroupRule {
    fn name(&self) -> &'static str {
        if self.egress {
            "aws_vpc_security_group_egress_rule"
        } else {
            "aws_vpc_security_group_ingress_rule"
        }
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        // Unknown counts as set: it is a value, only not known yet.
        let n = SOURCES
            .iter()
            .filter(|s| config.get(s).is_some_and(|x| !x.is_null()))
            .count();
        if n != 1 {
            out.push(Invalid::new(
                "exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id must be set",
            ));
        }
        if let Some(protocol) = config.get_str("ip_protocol")
            && let Some(problem) = crate::values::rule_ports_problem(
                protocol,
                config.get_i64("from_port"),
                config.get_i64("to_port"),
                false,
            )
        {
            out.push(Invalid::at("from_port", problem));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if let Some(prior) = req.prior {
            // "6" and "tcp" are the same protocol: keep the state's spelling.
            if let (Some(old), Some(new)) = (prior.get_str("ip_protocol"), req.planned.get_str("ip_protocol"))
                && old != new
                && normalize_protocol(old) == normalize_protocol(new)
            {
                req.planned.set_attr("ip_protocol", Value::string(old));
            }
            // A rule cannot change the kind of its source in place.
            let (old, new) = (source_of(prior), source_of(req.planned));
            if let (Some(old), Some(new)) = (old, new)
                && old != new
            {
                req.requires_replace.push(Path::attr(old));
                req.requires_replace.push(Path::attr(new));
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        self.read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_rules(c, self.egress, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let group = str_attr(planned, "security_group_id")
            .ok_or_else(|| ProviderError::invalid("security_group_id is required"))?;
        let spec = tag_spec(Ec2Type::SecurityGroupRule, &tags::for_create(c, ctx, planned));
        let what = format!("creating EC2 security group {} rule in {group}", self.direction());
        let rules = if self.egress {
            c.ec2()
                .authorize_security_group_egress()
                .group_id(&group)
                .ip_permissions(permission(planned))
                .tag_specifications(spec)
                .send()
                .await
                .map_err(aws_err(&what))?
                .security_group_rules
        } else {
            c.ec2()
                .authorize_security_group_ingress()
                .group_id(&group)
                .ip_permissions(permission(planned))
                .tag_specifications(spec)
                .send()
                .await
                .map_err(aws_err(&what))?
                .security_group_rules
        };
        let id = rules
            .unwrap_or_default()
            .into_iter()
            .find_map(|r| r.security_group_rule_id)
            .ok_or_else(|| ProviderError::new(format!("{what}: no rule ID in the answer")))?;
        self.read_one(c, &id, planned).await?.ok_or_else(|| {
            ProviderError::new(format!("EC2 security group rule {id} vanished after create"))
                .with_partial(crate::values::partial_object(&block(), planned, &id))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        let fields = ["ip_protocol", "from_port", "to_port", "description"]
            .iter()
            .chain(SOURCES);
        if fields.into_iter().any(|k| crate::values::changed(prior, planned, k)) {
            let group = str_attr(planned, "security_group_id").unwrap_or_default();
            c.ec2()
                .modify_security_group_rules()
                .group_id(&group)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(&id)
                        .security_group_rule(rule_request(planned))
                        .build(),
                )
                .send()
                .await
                .map_err(aws_err(format!("updating EC2 security group rule {id}")))?;
        }
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        self.read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 security group rule {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        let group = str_attr(prior, "security_group_id").unwrap_or_default();
        let what = format!("deleting EC2 security group rule {id}");
        let result = if self.egress {
            c.ec2()
                .revoke_security_group_egress()
                .group_id(&group)
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(aws_err(&what))
        } else {
            c.ec2()
                .revoke_security_group_ingress()
                .group_id(&group)
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(aws_err(&what))
        };
        match result {
            Err(e) if e.is_not_found() || code_of(&e) == "InvalidPermission.NotFound" => Ok(()),
            other => other,
        }
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let mut filters = ownership_filters(ctx);
        if let Some(group) = str_attr(planned, "security_group_id") {
            filters.push(filter("group-id", [group]));
        }
        let out = c
            .ec2()
            .describe_security_group_rules()
            .set_filters(Some(filters))
            .send()
            .await
            .map_err(aws_err(
                "looking for an EC2 security group rule made by an interrupted create",
            ))?;
        let found = out
            .security_group_rules()
            .iter()
            .find(|r| r.is_egress().unwrap_or(false) == self.egress)
            .and_then(|r| r.security_group_rule_id());
        match found {
            Some(id) => self.read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}
