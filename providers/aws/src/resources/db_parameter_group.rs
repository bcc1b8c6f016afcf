//! `aws_db_parameter_group`: a DB parameter group. `id` is the name; name, family and description force
//! replacement; the `parameter` set changes in place (`ModifyDBParameterGroup`, 20 parameters per call;
//! removed parameters go back to their defaults with `ResetDBParameterGroup`).
//!
//! Batched read: one `DescribeDBParameterGroups` listing (paginated; RDS supports no filter here) answers
//! every group. Unavoidably per group: `DescribeDBParameters` with `Source=user` (the parameters; no
//! batch form exists) and `ListTagsForResource` (the emulator the tests use does not index parameter
//! groups in the Resource Groups Tagging API), made concurrently.
//! Import ID: the name. An interrupted create is found by its name (given, or derived from the client
//! token) when it carries this operation's ownership tags.

use crate::client::AwsClient;
use crate::errors::aws_err;
use crate::rds::{list_tags, owned_by, tag_list, update_tags};
use crate::tags;
use crate::values::{ReadResults, all_failed, complete, partial_object, single, str_attr};
use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup as ApiGroup, Parameter};
use infra_provider::{
    Attribute, Block, NestedBlock, OpContext, PlanRequest, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::{BTreeMap, HashMap};

pub struct DbParameterGroup;

/// Most parameters one modify or reset call takes.
const PARAMETERS_PER_CALL: usize = 20;

fn parameter_block() -> Block {
    Block::new()
        .attr("name", Attribute::required(Type::String))
        .attr("value", Attribute::required(Type::String))
        .attr(
            "apply_method",
            Attribute::optional(Type::String)
                .default("immediate")
                .one_of(&["immediate", "pending-reboot"]),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .conflicts_with(&["name_prefix"]),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .conflicts_with(&["name"]),
        )
        .attr("family", Attribute::required(Type::String).force_new())
        .attr(
            "description",
            Attribute::optional(Type::String)
                .default("Managed by Terraform")
                .force_new(),
        )
        .attr("skip_destroy", Attribute::optional(Type::Bool).default(false))
        .block("parameter", NestedBlock::set(parameter_block()))
        .tags()
}

/// Parameters of a value by name: (value, apply method).
fn parameters_of(v: &Value) -> BTreeMap<String, (String, String)> {
    v.get_list("parameter")
        .iter()
        .filter_map(|p| {
            Some((
                str_attr(p, "name")?,
                (
                    p.get_str("value").unwrap_or_default().to_string(),
                    str_attr(p, "apply_method").unwrap_or_else(|| "immediate".into()),
                ),
            ))
        })
        .collect()
}

fn flatten(c: &AwsClient, g: &ApiGroup, params: &[Parameter], tags: Vec<(String, String)>, prior: &Value) -> Value {
    let name = g.db_parameter_group_name().unwrap_or_default();
    let name_prefix = match str_attr(prior, "name_prefix") {
        Some(p) if name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let prior_params = parameters_of(prior);
    let parameter = Value::set(
        params
            .iter()
            .filter(|p| p.parameter_value().is_some())
            .map(|p| {
                let pname = p.parameter_name().unwrap_or_default();
                // The apply method is how a change is applied, not a property the API keeps: as configured.
                let method = prior_params
                    .get(pname)
                    .map(|(_, m)| m.clone())
                    .unwrap_or_else(|| "immediate".into());
                Value::map([
                    ("name", Value::string(pname)),
                    ("value", Value::string(p.parameter_value().unwrap_or_default())),
                    ("apply_method", Value::string(method)),
                ])
            })
            .collect(),
    );
    let mut obj = Value::map([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", name_prefix),
        ("arn", Value::opt_string(g.db_parameter_group_arn())),
        ("family", Value::opt_string(g.db_parameter_group_family())),
        ("description", Value::string(g.description().unwrap_or_default())),
        (
            "skip_destroy",
            crate::values::carry(prior, "skip_destroy", Value::Bool(false)),
        ),
        ("parameter", parameter),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn describe(c: &AwsClient, name: Option<&str>) -> Result<Vec<ApiGroup>> {
    let res = c
        .rds()
        .describe_db_parameter_groups()
        .set_db_parameter_group_name(name.map(str::to_string))
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await;
    match res {
        Ok(v) => Ok(v),
        Err(e) => {
            let e = aws_err("reading RDS DB parameter groups")(e);
            if e.is_not_found() && name.is_some() {
                Ok(vec![])
            } else {
                Err(e)
            }
        }
    }
}

async fn user_parameters(c: &AwsClient, name: &str) -> Result<Vec<Parameter>> {
    c.rds()
        .describe_db_parameters()
        .db_parameter_group_name(name)
        .source("user")
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await
        .map_err(aws_err(format!(
            "reading the parameters of RDS DB parameter group {name}"
        )))
}

async fn read_groups(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let names = crate::values::keys_of(priors, "id");
    let groups = match names.as_slice() {
        [] => vec![],
        [one] => describe(c, Some(one)).await?,
        _ => describe(c, None).await?,
    };
    let wanted: Vec<&ApiGroup> = groups
        .iter()
        .filter(|g| {
            g.db_parameter_group_name()
                .is_some_and(|n| names.iter().any(|x| x == n))
        })
        .collect();
    let details = futures::future::join_all(wanted.iter().map(|g| async move {
        let name = g.db_parameter_group_name().unwrap_or_default();
        let (params, tags) = futures::future::join(
            user_parameters(c, name),
            list_tags(c, g.db_parameter_group_arn().unwrap_or_default()),
        )
        .await;
        Ok::<_, ProviderError>((params?, tags?))
    }))
    .await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for (g, d) in wanted.into_iter().zip(details) {
        let (params, tags) = match d {
            Ok(d) => d,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        let name = g.db_parameter_group_name().unwrap_or_default();
        let prior = priors_by_id.get(name).copied().unwrap_or(&Value::Null);
        results.insert(name, flatten(c, g, &params, tags, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::prior_for(prior, name);
    single(
        read_groups(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

/// RDS stores group names in lower case.
fn name_for(ctx: &OpContext, planned: &Value) -> String {
    crate::values::planned_name(ctx, planned, "terraform-").to_ascii_lowercase()
}

fn api_parameter(name: &str, value: Option<&str>, method: &str) -> Parameter {
    Parameter::builder()
        .parameter_name(name)
        .set_parameter_value(value.map(str::to_string))
        .apply_method(ApplyMethod::from(method))
        .build()
}

/// Sets the parameters of `want` that differ from `have`, and resets those `have` has and `want` has not.
async fn apply_parameters(
    c: &AwsClient,
    name: &str,
    have: &BTreeMap<String, (String, String)>,
    want: &BTreeMap<String, (String, String)>,
) -> Result<()> {
    let reset: Vec<Parameter> = have
        .iter()
        .filter(|(k, _)| !want.contains_key(*k))
        .map(|(k, (_, m))| api_parameter(k, None, m))
        .collect();
    for chunk in reset.chunks(PARAMETERS_PER_CALL) {
        c.rds()
            .reset_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err(format!(
                "resetting parameters of RDS DB parameter group {name}"
            )))?;
    }
    let set: Vec<Parameter> = want
        .iter()
        .filter(|(k, v)| have.get(*k).is_none_or(|h| h.0 != v.0))
        .map(|(k, (v, m))| api_parameter(k, Some(v), m))
        .collect();
    for chunk in set.chunks(PARAMETERS_PER_CALL) {
        c.rds()
            .modify_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err(format!("setting parameters of RDS DB parameter group {name}")))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for DbParameterGroup {
    fn name(&self) -> &'static str {
        "aws_db_parameter_group"
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
        match read_groups(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = name_for(ctx, planned);
        let family = str_attr(planned, "family").ok_or_else(|| ProviderError::invalid("family is required"))?;
        let tags = tags::for_create(c, ctx, planned);
        c.rds()
            .create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family(&family)
            .description(str_attr(planned, "description").unwrap_or_else(|| "Managed by Terraform".into()))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating RDS DB parameter group {name}")))?;
        let rest = async {
            apply_parameters(c, &name, &BTreeMap::new(), &parameters_of(planned)).await?;
            read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("RDS DB parameter group {name} vanished after create")))
        };
        rest.await.map_err(|e| {
            e.with_partial(partial_object(
                &block(),
                &planned.clone().with("name", Value::string(&name)),
                &name,
            ))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(prior)?;
        apply_parameters(c, &name, &parameters_of(prior), &parameters_of(planned)).await?;
        let arn = str_attr(prior, "arn").ok_or_else(|| ProviderError::new("the DB parameter group has no ARN"))?;
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("RDS DB parameter group {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        if prior.get_bool("skip_destroy") == Some(true) {
            return Ok(());
        }
        let name = crate::values::id_of(prior)?;
        // Still in use by an instance being deleted: retried until the operation's timeout.
        crate::errors::delete_retrying(
            ctx,
            "DB parameter group deletion",
            &["InvalidDBParameterGroupState"],
            || async {
                c.rds()
                    .delete_db_parameter_group()
                    .db_parameter_group_name(&name)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws_err(format!("deleting RDS DB parameter group {name}")))
            },
        )
        .await
    }

    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = name_for(ctx, planned);
        let Some(g) = describe(c, Some(&name)).await?.into_iter().next() else {
            return Ok(None);
        };
        if owned_by(
            ctx,
            &list_tags(c, g.db_parameter_group_arn().unwrap_or_default()).await?,
        ) {
            read_one(c, &name, planned).await
        } else {
            Ok(None)
        }
    }
}
