//! `aws_security_group`: a security group with inline `ingress` and `egress` rule blocks.
//!
//! Rules are compared as *atoms*: one (protocol, ports, single source, description) each, because that is
//! what EC2 stores. An update revokes the atoms that went away and authorizes the new ones, in place. A
//! read regroups the atoms it finds into rule blocks shaped like the prior state's (so a rule written with
//! three CIDR blocks stays one block), and groups whatever is left by protocol, ports and description.
//!
//! Batched read: one `DescribeSecurityGroups` call filtered on all the group IDs (paginated).

use crate::client::AwsClient;
use crate::ec2::{
    api_protocol, delete_retrying, normalize_protocol, ownership_filters, tag_pairs, tag_spec, update_tags,
};
use crate::errors::aws_err;
use crate::tags;
use crate::values::{
    ReadResults, all_failed, complete, id_of, keys_of, partial_object, prior_for, single, str_attr, unique_name,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2Type, SecurityGroup as Ec2Group, UserIdGroupPair,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result,
    Schema, Timeouts, Type, Value, wait_for,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct SecurityGroup;

const DEFAULT_DESCRIPTION: &str = "Managed by Terraform";

fn rule_block() -> Block {
    Block::new()
        .attr(
            "from_port",
            Attribute::required(Type::Number).check(Check::IntRange(-1, 65535)),
        )
        .attr(
            "to_port",
            Attribute::required(Type::Number).check(Check::IntRange(-1, 65535)),
        )
        .attr(
            "protocol",
            Attribute::required(Type::String).check(Check::Fn(crate::values::ip_protocol)),
        )
        .attr(
            "cidr_blocks",
            Attribute::optional(Type::string_list()).check(Check::Fn(crate::values::ipv4_cidr_any)),
        )
        .attr(
            "ipv6_cidr_blocks",
            Attribute::optional(Type::string_list()).check(Check::Fn(crate::values::ipv6_cidr_any)),
        )
        .attr("prefix_list_ids", Attribute::optional(Type::string_list()))
        .attr("security_groups", Attribute::optional(Type::string_set()))
        .attr("self", Attribute::optional(Type::Bool).default(false))
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 255)),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(0, 255))
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(0, 100))
                .conflicts_with(&["name"]),
        )
        .attr(
            "description",
            Attribute::optional(Type::String)
                .default(DEFAULT_DESCRIPTION)
                .force_new(),
        )
        .attr("vpc_id", Attribute::optional_computed(Type::String).force_new())
        .attr("revoke_rules_on_delete", Attribute::optional(Type::Bool).default(false))
        .block("ingress", NestedBlock::set(rule_block()).computed())
        .block("egress", NestedBlock::set(rule_block()).computed())
        .tags()
}

/// Where one atom of a rule lets traffic come from (ingress) or go to (egress).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    /// `sg-...`, or `account/sg-...` for another account's group.
    Group(String),
    SelfRef,
}

/// One rule as EC2 stores it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Atom {
    protocol: String,
    from: i64,
    to: i64,
    source: Source,
    description: Option<String>,
}

impl Atom {
    fn new(protocol: &str, from: i64, to: i64, source: Source, description: Option<&str>) -> Atom {
        let protocol = normalize_protocol(protocol);
        // Ports mean nothing for "all protocols".
        let (from, to) = if protocol == "-1" { (0, 0) } else { (from, to) };
        Atom {
            protocol,
            from,
            to,
            source,
            description: description.filter(|d| !d.is_empty()).map(str::to_string),
        }
    }
}

fn opt_list(items: Vec<String>) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::string_list(items)
    }
}

/// A rule block in the form reads produce: protocol normalized, `self` a bool, empty lists and
/// descriptions null.
fn canonical_rule(r: &Value) -> Value {
    if !r.is_wholly_known() {
        return r.clone();
    }
    let groups = r.get_strings("security_groups");
    complete(
        &rule_block(),
        Value::map([
            ("from_port", r.get("from_port").cloned().unwrap_or_default()),
            ("to_port", r.get("to_port").cloned().unwrap_or_default()),
            (
                "protocol",
                r.get_str("protocol")
                    .map(|p| Value::string(normalize_protocol(p)))
                    .unwrap_or_default(),
            ),
            ("cidr_blocks", opt_list(r.get_strings("cidr_blocks"))),
            ("ipv6_cidr_blocks", opt_list(r.get_strings("ipv6_cidr_blocks"))),
            ("prefix_list_ids", opt_list(r.get_strings("prefix_list_ids"))),
            (
                "security_groups",
                if groups.is_empty() {
                    Value::Null
                } else {
                    Value::string_set(groups)
                },
            ),
            ("self", Value::Bool(r.get_bool("self").unwrap_or(false))),
            ("description", Value::opt_string(str_attr(r, "description"))),
        ]),
    )
}

fn atoms_of_rule(r: &Value) -> Vec<Atom> {
    let protocol = r.get_str("protocol").unwrap_or("-1");
    let from = r.get_i64("from_port").unwrap_or(0);
    let to = r.get_i64("to_port").unwrap_or(0);
    let d = r.get_str("description");
    let mut out = Vec::new();
    out.extend(
        r.get_strings("cidr_blocks")
            .into_iter()
            .map(|c| Atom::new(protocol, from, to, Source::Cidr(c), d)),
    );
    out.extend(
        r.get_strings("ipv6_cidr_blocks")
            .into_iter()
            .map(|c| Atom::new(protocol, from, to, Source::Ipv6(c), d)),
    );
    out.extend(
        r.get_strings("prefix_list_ids")
            .into_iter()
            .map(|p| Atom::new(protocol, from, to, Source::PrefixList(p), d)),
    );
    out.extend(
        r.get_strings("security_groups")
            .into_iter()
            .map(|g| Atom::new(protocol, from, to, Source::Group(g), d)),
    );
    if r.get_bool("self") == Some(true) {
        out.push(Atom::new(protocol, from, to, Source::SelfRef, d));
    }
    out
}

fn atoms_of_rules(v: &Value, key: &str) -> BTreeSet<Atom> {
    v.get_list(key).iter().flat_map(atoms_of_rule).collect()
}

fn atoms_of_permission(p: &IpPermission, own_id: &str, owner: &str) -> Vec<Atom> {
    let protocol = p.ip_protocol().unwrap_or("-1");
    let from = p.from_port().unwrap_or(0) as i64;
    let to = p.to_port().unwrap_or(0) as i64;
    let mut out = Vec::new();
    for r in p.ip_ranges() {
        if let Some(c) = r.cidr_ip() {
            out.push(Atom::new(protocol, from, to, Source::Cidr(c.into()), r.description()));
        }
    }
    for r in p.ipv6_ranges() {
        if let Some(c) = r.cidr_ipv6() {
            out.push(Atom::new(protocol, from, to, Source::Ipv6(c.into()), r.description()));
        }
    }
    for r in p.prefix_list_ids() {
        if let Some(id) = r.prefix_list_id() {
            out.push(Atom::new(
                protocol,
                from,
                to,
                Source::PrefixList(id.into()),
                r.description(),
            ));
        }
    }
    for g in p.user_id_group_pairs() {
        let Some(gid) = g.group_id() else { continue };
        let source = if gid == own_id {
            Source::SelfRef
        } else {
            match g.user_id() {
                Some(u) if !u.is_empty() && u != owner => Source::Group(format!("{u}/{gid}")),
                _ => Source::Group(gid.into()),
            }
        };
        out.push(Atom::new(protocol, from, to, source, g.description()));
    }
    out
}

/// Groups atoms into rule blocks: first as the `shape` rules (prior state) have them, then the rest by
/// protocol, ports and description.
fn rules_from_atoms(mut atoms: BTreeSet<Atom>, shape: &[Value]) -> Value {
    let mut rules = Vec::new();
    for r in shape.iter().filter(|r| r.is_wholly_known()) {
        let mine = atoms_of_rule(r);
        if !mine.is_empty() && mine.iter().all(|a| atoms.contains(a)) {
            for a in &mine {
                atoms.remove(a);
            }
            rules.push(canonical_rule(r));
        }
    }
    let mut groups: BTreeMap<(String, i64, i64, Option<String>), Vec<Source>> = BTreeMap::new();
    for a in atoms {
        groups
            .entry((a.protocol, a.from, a.to, a.description))
            .or_default()
            .push(a.source);
    }
    for ((protocol, from, to, description), sources) in groups {
        let pick = |f: fn(&Source) -> Option<&String>| sources.iter().filter_map(f).cloned().collect::<Vec<_>>();
        let cidrs = pick(|s| if let Source::Cidr(c) = s { Some(c) } else { None });
        let ipv6 = pick(|s| if let Source::Ipv6(c) = s { Some(c) } else { None });
        let prefixes = pick(|s| if let Source::PrefixList(c) = s { Some(c) } else { None });
        let sgs = pick(|s| if let Source::Group(c) = s { Some(c) } else { None });
        rules.push(complete(
            &rule_block(),
            Value::map([
                ("from_port", Value::int(from)),
                ("to_port", Value::int(to)),
                ("protocol", Value::string(protocol)),
                ("cidr_blocks", opt_list(cidrs)),
                ("ipv6_cidr_blocks", opt_list(ipv6)),
                ("prefix_list_ids", opt_list(prefixes)),
                (
                    "security_groups",
                    if sgs.is_empty() {
                        Value::Null
                    } else {
                        Value::string_set(sgs)
                    },
                ),
                ("self", Value::Bool(sources.contains(&Source::SelfRef))),
                ("description", Value::opt_string(description)),
            ]),
        ));
    }
    Value::set(rules)
}

/// One EC2 permission per atom; descriptions left out when revoking.
fn permissions(atoms: &[&Atom], own_id: &str, with_description: bool) -> Vec<IpPermission> {
    atoms
        .iter()
        .map(|a| {
            let d = if with_description { a.description.clone() } else { None };
            let mut b = IpPermission::builder().ip_protocol(api_protocol(&a.protocol));
            if a.protocol != "-1" {
                b = b.from_port(a.from as i32).to_port(a.to as i32);
            }
            let pair = |gid: &str, user: Option<&str>| {
                UserIdGroupPair::builder()
                    .group_id(gid)
                    .set_user_id(user.map(str::to_string))
                    .set_description(d.clone())
                    .build()
            };
            match &a.source {
                Source::Cidr(c) => b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d.clone()).build()),
                Source::Ipv6(c) => b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d.clone()).build()),
                Source::PrefixList(p) => b.prefix_list_ids(
                    PrefixListId::builder()
                        .prefix_list_id(p)
                        .set_description(d.clone())
                        .build(),
                ),
                Source::Group(g) => match g.split_once('/') {
                    Some((user, gid)) => b.user_id_group_pairs(pair(gid, Some(user))),
                    None => b.user_id_group_pairs(pair(g, None)),
                },
                Source::SelfRef => b.user_id_group_pairs(pair(own_id, None)),
            }
            .build()
        })
        .collect()
}

fn flatten(c: &AwsClient, g: &Ec2Group, prior: &Value) -> Value {
    let id = g.group_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let atoms = |perms: &[IpPermission]| -> BTreeSet<Atom> {
        perms.iter().flat_map(|p| atoms_of_permission(p, id, owner)).collect()
    };
    let name = g.group_name().unwrap_or_default();
    let arn = g
        .security_group_arn()
        .map(str::to_string)
        .unwrap_or_else(|| c.arn("ec2", owner, &format!("security-group/{id}")));
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(id)),
        ("arn", Value::string(arn)),
        ("owner_id", Value::opt_string(g.owner_id())),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("description", Value::opt_string(g.description())),
        ("vpc_id", Value::opt_string(g.vpc_id())),
        (
            "revoke_rules_on_delete",
            Value::Bool(prior.get_bool("revoke_rules_on_delete").unwrap_or(false)),
        ),
        (
            "ingress",
            rules_from_atoms(atoms(g.ip_permissions()), prior.get_list("ingress")),
        ),
        (
            "egress",
            rules_from_atoms(atoms(g.ip_permissions_egress()), prior.get_list("egress")),
        ),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(g.tags()));
    complete(&block(), obj)
}

async fn read_groups(c: &AwsClient, ids: &[String], priors: &[Value]) -> Result<ReadResults> {
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for g in crate::ec2::security_groups(c, ids).await? {
        let id = g.group_id().unwrap_or_default().to_string();
        let prior = priors_by_id.get(&id).copied().unwrap_or(&Value::Null);
        results.insert(id, flatten(c, &g, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, id);
    single(
        read_groups(c, &[id.to_string()], std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

async fn authorize(c: &AwsClient, id: &str, egress: bool, atoms: &[&Atom]) -> Result<()> {
    if atoms.is_empty() {
        return Ok(());
    }
    let perms = Some(permissions(atoms, id, true));
    if egress {
        c.ec2()
            .authorize_security_group_egress()
            .group_id(id)
            .set_ip_permissions(perms)
            .send()
            .await
            .map_err(aws_err(format!("authorizing egress rules of EC2 security group {id}")))?;
    } else {
        c.ec2()
            .authorize_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(perms)
            .send()
            .await
            .map_err(aws_err(format!("authorizing ingress rules of EC2 security group {id}")))?;
    }
    Ok(())
}

async fn revoke_permissions(c: &AwsClient, id: &str, egress: bool, perms: Vec<IpPermission>) -> Result<()> {
    if perms.is_empty() {
        return Ok(());
    }
    let result = if egress {
        c.ec2()
            .revoke_security_group_egress()
            .group_id(id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(aws_err(format!("revoking egress rules of EC2 security group {id}")))
    } else {
        c.ec2()
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .map(|_| ())
            .map_err(aws_err(format!("revoking ingress rules of EC2 security group {id}")))
    };
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// The "allow all" egress rule EC2 gives every new VPC group.
fn default_egress_atom() -> Atom {
    Atom::new("-1", 0, 0, Source::Cidr("0.0.0.0/0".into()), None)
}

/// Revokes the "allow all" egress rule EC2 gives every new VPC group: Terraform removes it so that only
/// the configured rules exist (a group already without it is left as it is).
async fn revoke_default_egress(c: &AwsClient, id: &str) -> Result<()> {
    let default = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    revoke_permissions(c, id, true, vec![default]).await
}

/// True when a group (as read) still has the default egress rule and `planned` does not ask for it.
fn default_egress_left(found: &Value, planned: &Value) -> bool {
    found.get_str("vpc_id").is_some_and(|v| !v.is_empty())
        && atoms_of_rules(found, "egress").contains(&default_egress_atom())
        && !atoms_of_rules(planned, "egress").contains(&default_egress_atom())
}

/// Revokes and authorizes the difference between the prior rules and the planned ones.
async fn sync_rules(c: &AwsClient, id: &str, prior: &Value, planned: &Value) -> Result<()> {
    for (key, egress) in [("ingress", false), ("egress", true)] {
        if !planned.get(key).is_some_and(|v| v.is_wholly_known()) {
            continue;
        }
        let old = atoms_of_rules(prior, key);
        let new = atoms_of_rules(planned, key);
        let gone: Vec<&Atom> = old.difference(&new).collect();
        revoke_permissions(c, id, egress, permissions(&gone, id, false)).await?;
        let added: Vec<&Atom> = new.difference(&old).collect();
        authorize(c, id, egress, &added).await?;
    }
    Ok(())
}

fn canonicalize_rules(planned: &mut Value, key: &str) {
    if let Some(items) = planned.get(key).and_then(Value::as_list) {
        let items = items.iter().map(canonical_rule).collect();
        planned.set_attr(key, Value::set(items));
    }
}

#[async_trait]
impl ResourceType<AwsClient> for SecurityGroup {
    fn name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
            .timeouts(Timeouts::minutes(10, 20, 15))
            .terraform_version(1)
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        for key in ["ingress", "egress"] {
            for r in config.get_list(key) {
                let Some(protocol) = r.get_str("protocol") else {
                    continue;
                };
                if let Some(problem) =
                    crate::values::rule_ports_problem(protocol, r.get_i64("from_port"), r.get_i64("to_port"), true)
                {
                    out.push(Invalid::at(key, format!("{key} rule: {problem}")));
                }
            }
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if !req.config.get("name").is_none_or(Value::is_null)
            && !req.config.get("name_prefix").is_none_or(Value::is_null)
        {
            return Err(ProviderError::invalid(
                "\"name\" and \"name_prefix\" cannot both be set",
            ));
        }
        canonicalize_rules(req.planned, "ingress");
        canonicalize_rules(req.planned, "egress");
        for key in ["ingress", "egress"] {
            for r in req.planned.get_list(key).iter().filter(|r| r.is_wholly_known()) {
                if atoms_of_rule(r).is_empty() {
                    return Err(ProviderError::invalid(format!(
                        "each {key} rule needs one of cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, security_groups or self = true"
                    )));
                }
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_groups(c, &keys_of(priors, "id"), priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name")
            .unwrap_or_else(|| unique_name(str_attr(planned, "name_prefix").as_deref(), &ctx.client_token));
        let tags = tags::for_create(c, ctx, planned);
        let out = c
            .ec2()
            .create_security_group()
            .group_name(&name)
            .description(planned.get_str("description").unwrap_or(DEFAULT_DESCRIPTION))
            .set_vpc_id(str_attr(planned, "vpc_id"))
            .tag_specifications(tag_spec(Ec2Type::SecurityGroup, &tags))
            .send()
            .await
            .map_err(aws_err(format!("creating EC2 security group {name}")))?;
        let id = out
            .group_id()
            .ok_or_else(|| ProviderError::new("CreateSecurityGroup returned no ID"))?
            .to_string();
        let rest = async {
            let group = wait_for(ctx, "security group visible", || async {
                Ok(
                    match crate::ec2::describe_security_groups(c, std::slice::from_ref(&id))
                        .await?
                        .into_iter()
                        .next()
                    {
                        Some(g) => Poll::Ready(g),
                        None => Poll::Pending("not visible yet".into()),
                    },
                )
            })
            .await?;
            if group.vpc_id().is_some() {
                revoke_default_egress(c, &id).await?;
            }
            sync_rules(c, &id, &Value::Null, planned).await?;
            read_one(c, &id, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("EC2 security group {id} vanished after create")))
        };
        rest.await.map_err(|e| {
            e.with_partial(partial_object(
                &block(),
                &planned.clone().with("name", Value::string(&name)),
                &id,
            ))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        sync_rules(c, &id, prior, planned).await?;
        update_tags(c, &id, &tags::changes(c, prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 security group {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        if prior.get_bool("revoke_rules_on_delete") == Some(true)
            && let Some(g) = crate::ec2::describe_security_groups(c, std::slice::from_ref(&id))
                .await?
                .into_iter()
                .next()
        {
            revoke_permissions(c, &id, false, g.ip_permissions().to_vec()).await?;
            revoke_permissions(c, &id, true, g.ip_permissions_egress().to_vec()).await?;
        }
        delete_retrying(ctx, "security group deletion", || async {
            c.ec2()
                .delete_security_group()
                .group_id(&id)
                .send()
                .await
                .map_err(aws_err(format!("deleting EC2 security group {id}")))?;
            Ok(())
        })
        .await
    }

    /// The create is `CreateSecurityGroup` (with its tags), then revoking EC2's default egress rule,
    /// then authorizing the configured rules. A found group that still has the default rule, unasked
    /// for, was interrupted before the revoke; missing configured rules are a plain difference.
    fn unfinished(&self, found: &Value, planned: &Value) -> Vec<String> {
        if default_egress_left(found, planned) {
            vec!["revoke the allow-all egress rule EC2 gives a new group".to_string()]
        } else {
            Vec::new()
        }
    }

    async fn finish_create(&self, c: &AwsClient, _ctx: &OpContext, found: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(found)?;
        let mut prior = found.clone();
        if default_egress_left(found, planned) {
            revoke_default_egress(c, &id).await?;
            let left: BTreeSet<Atom> = atoms_of_rules(found, "egress")
                .into_iter()
                .filter(|a| *a != default_egress_atom())
                .collect();
            prior.set_attr("egress", rules_from_atoms(left, &[]));
        }
        sync_rules(c, &id, &prior, planned).await?;
        update_tags(c, &id, &tags::changes(c, &prior, planned)).await?;
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("EC2 security group {id} not found")))
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let out = c
            .ec2()
            .describe_security_groups()
            .set_filters(Some(ownership_filters(ctx)))
            .send()
            .await
            .map_err(aws_err(
                "looking for an EC2 security group made by an interrupted create",
            ))?;
        match out.security_groups().first().and_then(|g| g.group_id()) {
            Some(id) => read_one(c, id, planned).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(cidrs: &[&str], description: Option<&str>) -> Value {
        canonical_rule(&Value::map([
            ("from_port", Value::int(443)),
            ("to_port", Value::int(443)),
            ("protocol", Value::from("6")),
            ("cidr_blocks", Value::string_list(cidrs)),
            ("description", Value::opt_string(description)),
        ]))
    }

    #[test]
    fn atoms_regroup_in_the_prior_shape() {
        let a = rule(&["10.0.0.0/8", "192.168.0.0/16"], Some("https"));
        let b = rule(&["172.16.0.0/12"], Some("https"));
        let atoms: BTreeSet<Atom> = atoms_of_rule(&a).into_iter().chain(atoms_of_rule(&b)).collect();
        assert_eq!(atoms.len(), 3);
        assert_eq!(atoms.iter().next().unwrap().protocol, "tcp");
        let regrouped = rules_from_atoms(atoms.clone(), &[a.clone(), b.clone()]);
        assert_eq!(regrouped, Value::set(vec![a, b]));
        // Without a shape, rules with the same ports and description become one.
        let grouped = rules_from_atoms(atoms, &[]);
        assert_eq!(grouped.as_list().unwrap().len(), 1);
        assert_eq!(grouped.as_list().unwrap()[0].get_strings("cidr_blocks").len(), 3);
    }

    #[test]
    fn all_protocols_ignore_ports() {
        let a = Atom::new("all", 0, 0, Source::Cidr("0.0.0.0/0".into()), None);
        let b = Atom::new("-1", -1, -1, Source::Cidr("0.0.0.0/0".into()), Some(""));
        assert_eq!(a, b);
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    fn rule_check(name: &str, v: Value) -> std::result::Result<(), String> {
        let s = SecurityGroup.schema();
        s.block.blocks["ingress"].block.attributes[name]
            .check
            .unwrap()
            .check(&v)
    }

    fn config(protocol: &str, from: i64, to: i64) -> Value {
        Value::map([(
            "ingress",
            Value::set(vec![Value::map([
                ("protocol", Value::from(protocol)),
                ("from_port", Value::int(from)),
                ("to_port", Value::int(to)),
                ("cidr_blocks", Value::string_list(["0.0.0.0/0"])),
            ])]),
        )])
    }

    #[test]
    fn ports_protocols_and_cidrs() {
        assert!(rule_check("from_port", Value::int(70000)).is_err());
        assert!(rule_check("to_port", Value::int(443)).is_ok());
        assert!(rule_check("from_port", Value::int(-1)).is_ok());
        assert!(rule_check("protocol", Value::from("tcp")).is_ok());
        assert!(rule_check("protocol", Value::from("-1")).is_ok());
        assert!(rule_check("protocol", Value::from("300")).is_err());
        let e = rule_check("protocol", Value::from("tpc")).unwrap_err();
        assert!(e.contains("Did you mean \"tcp\""), "{e}");
        for bad in ["10.9.0.0/33", "10.9.0.300/16", "0.0.0.0/99"] {
            assert!(rule_check("cidr_blocks", Value::from(bad)).is_err(), "{bad}");
        }
        assert!(rule_check("cidr_blocks", Value::from("10.0.0.1/16")).is_ok());
        assert!(rule_check("ipv6_cidr_blocks", Value::from("::/0")).is_ok());
        assert!(rule_check("ipv6_cidr_blocks", Value::from("10.0.0.0/8")).is_err());
    }

    #[test]
    fn rules_between_arguments() {
        assert!(SecurityGroup.validate(&config("tcp", 443, 443)).is_empty());
        assert!(SecurityGroup.validate(&config("-1", 0, 0)).is_empty());
        assert!(SecurityGroup.validate(&config("icmp", 8, 0)).is_empty());
        let e = SecurityGroup.validate(&config("-1", 0, 65535));
        assert!(e[0].message.contains("must both be 0"), "{e:?}");
        let e = SecurityGroup.validate(&config("tcp", 8080, 80));
        assert!(e[0].message.contains("greater than to_port"), "{e:?}");
        let unknown = Value::map([(
            "ingress",
            Value::set(vec![Value::map([
                ("protocol", Value::Unknown),
                ("from_port", Value::int(1)),
                ("to_port", Value::int(0)),
            ])]),
        )]);
        assert!(SecurityGroup.validate(&unknown).is_empty());
    }
}
