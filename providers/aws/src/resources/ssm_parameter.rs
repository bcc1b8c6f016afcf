//! `aws_ssm_parameter`: a Systems Manager parameter. `value` (sensitive) or `insecure_value` changes in
//! place with `PutParameter` (overwrite), which bumps `version`: the plan marks `version` unknown for every
//! change that rewrites the parameter. `value_wo` (write-only, Terraform 1.11) is the value sent instead
//! and never kept: a new `value_wo_version` (kept from the prior state: the API knows nothing of it)
//! rewrites the parameter in place, and while it is in use `value` reads as null (hashicorp/aws 5.100,
//! `internal/service/ssm/parameter.go`: exactly one of `value`, `insecure_value`, `value_wo`;
//! `value_wo` and `value_wo_version` each require the other).
//!
//! Batched read: `GetParameters` (10 names per call, decrypted; names in `InvalidParameters` are gone) and
//! `DescribeParameters` filtered on the names (50 per call, paginated) for the metadata. SSM's own tag
//! call (`ListTagsForResource`) takes one parameter per call, so tags come from the refresh's Resource
//! Groups Tagging API sweep instead ([`crate::tagging`], one for all types; a parameter it does not
//! answer for has its tags read with `ListTagsForResource`, for it alone; parameters made here always
//! carry the ownership tags). N parameters cost about N/10 + N/50 calls plus their share of the sweep. A read
//! right after a write uses `ListTagsForResource`, as the Tagging API may lag behind a tag change.
//! Import ID: the parameter name (or its ARN).

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::tags::{self, TagChanges};
use crate::values::{ReadResults, all_failed, changed, complete, keys_of, prior_for, single, str_attr};
use async_trait::async_trait;
use aws_sdk_ssm::types::{
    Parameter, ParameterMetadata, ParameterStringFilter, ParameterTier, ParameterType, ResourceTypeForTagging, Tag,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, OpContext, Path, PlanRequest, ProviderError, ResourceType, Result, Schema,
    TAG_ADDRESS, TAG_LINEAGE, Type, Value,
};
use std::collections::{BTreeMap, HashMap};

pub struct SsmParameter;

/// Most names one `GetParameters` call takes.
const GET_BATCH: usize = 10;
/// Most values one `DescribeParameters` filter takes.
const DESCRIBE_BATCH: usize = 50;

/// Arguments whose change rewrites the parameter (and so its version).
const REWRITING: &[&str] = &[
    "type",
    "value",
    "insecure_value",
    "description",
    "tier",
    "key_id",
    "data_type",
    "allowed_pattern",
    // Never `value_wo` itself: it is null in every plan and prior, and only the apply sees it.
    "value_wo_version",
];

fn block() -> Block {
    Block::new()
        .id()
        .attr(
            "name",
            Attribute::required(Type::String)
                .force_new()
                .check(Check::Length(1, 2048)),
        )
        .attr(
            "type",
            Attribute::required(Type::String).one_of(&["String", "StringList", "SecureString"]),
        )
        .attr(
            "value",
            Attribute::optional_computed(Type::String)
                .sensitive()
                .conflicts_with(&["insecure_value", "value_wo"]),
        )
        .attr(
            "insecure_value",
            Attribute::optional_computed(Type::String).conflicts_with(&["value", "value_wo"]),
        )
        .attr(
            "value_wo",
            Attribute::optional(Type::String)
                .write_only()
                .conflicts_with(&["insecure_value", "value"]),
        )
        .attr(
            "value_wo_version",
            Attribute::optional(Type::Number).check(Check::IntRange(i64::MIN, i64::MAX)),
        )
        .attr(
            "description",
            Attribute::optional(Type::String).check(Check::Length(0, 1024)),
        )
        .attr(
            "tier",
            Attribute::optional_computed(Type::String).one_of(&["Standard", "Advanced", "Intelligent-Tiering"]),
        )
        .attr("key_id", Attribute::optional_computed(Type::String))
        .attr("overwrite", Attribute::optional(Type::Bool))
        .attr(
            "data_type",
            Attribute::optional_computed(Type::String).force_new().one_of(&[
                "text",
                "aws:ec2:image",
                "aws:ssm:integration",
            ]),
        )
        .attr(
            "allowed_pattern",
            Attribute::optional(Type::String).check(Check::Length(0, 1024)),
        )
        .attr("arn", Attribute::optional_computed(Type::String))
        .attr("version", Attribute::computed(Type::Number))
        .tags()
}

/// True when the parameter's value is the write-only `value_wo` (its version is set: the two go together).
fn write_only(v: &Value) -> bool {
    v.get("value_wo_version")
        .is_some_and(|x| !x.is_null() && !x.is_unknown())
}

fn flatten(
    c: &AwsClient,
    p: &Parameter,
    meta: Option<&ParameterMetadata>,
    tags: Vec<(String, String)>,
    prior: &Value,
) -> Value {
    let ty = p.r#type().map(|t| t.as_str()).unwrap_or("String");
    let insecure = prior.get("insecure_value").is_some_and(|v| !v.is_null()) && ty != "SecureString";
    // The value is write-only (`value_wo_version` goes with `value_wo`): shown in neither attribute.
    let wo = write_only(prior);
    let value = Value::opt_string(p.value());
    let mut obj = Value::map([
        ("id", Value::opt_string(p.name())),
        ("name", Value::opt_string(p.name())),
        ("type", Value::string(ty)),
        ("value", if insecure || wo { Value::Null } else { value.clone() }),
        ("insecure_value", if insecure && !wo { value } else { Value::Null }),
        (
            "value_wo_version",
            crate::values::carry(prior, "value_wo_version", Value::Null),
        ),
        ("arn", Value::opt_string(p.arn())),
        ("version", Value::int(p.version())),
        ("data_type", Value::opt_string(p.data_type())),
        ("overwrite", prior.get("overwrite").cloned().unwrap_or_default()),
    ]);
    if let Some(m) = meta {
        obj.set_attr(
            "description",
            Value::opt_string(m.description().filter(|d| !d.is_empty())),
        );
        obj.set_attr("tier", Value::opt_string(m.tier().map(|t| t.as_str())));
        obj.set_attr("key_id", Value::opt_string(m.key_id()));
        obj.set_attr(
            "allowed_pattern",
            Value::opt_string(m.allowed_pattern().filter(|d| !d.is_empty())),
        );
        if let Some(d) = m.data_type() {
            obj.set_attr("data_type", Value::string(d));
        }
    }
    tags::set_read_tags(c, &mut obj, prior, tags);
    complete(&block(), obj)
}

async fn list_tags(c: &AwsClient, name: &str) -> Result<Vec<(String, String)>> {
    let out = c
        .ssm()
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map_err(aws_err(format!("reading tags of SSM parameter {name}")))?;
    Ok(out
        .tag_list()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// Reads parameters. A refresh (`bulk_tags`) takes tags from the Tagging API and asks SSM only for the
/// parameters it does not answer for; a read after a write asks SSM directly.
async fn read_parameters(c: &AwsClient, names: &[String], priors: &[Value], bulk_tags: bool) -> Result<ReadResults> {
    let mut params: Vec<Parameter> = Vec::new();
    for chunk in names.chunks(GET_BATCH) {
        let out = c
            .ssm()
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(aws_err("reading SSM parameters"))?;
        params.extend(out.parameters.unwrap_or_default());
    }
    let mut results = ReadResults::new();
    if params.is_empty() {
        return Ok(results);
    }
    let found: Vec<String> = params.iter().filter_map(|p| p.name().map(str::to_string)).collect();
    let mut metas: HashMap<String, ParameterMetadata> = HashMap::new();
    for chunk in found.chunks(DESCRIBE_BATCH) {
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .set_values(Some(chunk.to_vec()))
            .build()
            .map_err(|e| ProviderError::new(format!("building a parameter filter: {e}")))?;
        let pages: Vec<_> = c
            .ssm()
            .describe_parameters()
            .parameter_filters(filter)
            .into_paginator()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(aws_err("reading SSM parameter metadata"))?;
        let page: Vec<ParameterMetadata> = pages
            .into_iter()
            .flat_map(|p| p.parameters.unwrap_or_default())
            .collect();
        metas.extend(
            page.into_iter()
                .filter_map(|m| m.name().map(|n| (n.to_string(), m.clone()))),
        );
    }
    let arns: Vec<String> = params.iter().filter_map(|p| p.arn().map(str::to_string)).collect();
    let mut tags = if bulk_tags {
        crate::tagging::tags_by_arn(c, &arns).await?
    } else {
        HashMap::new()
    };
    let missing: Vec<&Parameter> = params
        .iter()
        .filter(|p| p.arn().is_none_or(|a| !tags.contains_key(a)))
        .collect();
    let own = futures::future::join_all(missing.iter().map(|p| list_tags(c, p.name().unwrap_or_default()))).await;
    let mut own_by_name: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (p, t) in missing.iter().zip(own) {
        own_by_name.insert(p.name().unwrap_or_default().to_string(), t?);
    }
    let priors_by_name: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    for p in &params {
        let name = p.name().unwrap_or_default().to_string();
        let prior = priors_by_name.get(&name).copied().unwrap_or(&Value::Null);
        let t = p
            .arn()
            .and_then(|a| tags.remove(a))
            .or_else(|| own_by_name.remove(&name))
            .unwrap_or_default();
        results.insert(name.clone(), flatten(c, p, metas.get(&name), t, prior));
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, name: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, name);
    single(
        read_parameters(c, &[name.to_string()], std::slice::from_ref(&prior), false)
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::new(format!("building a tag: {e}")))
        })
        .collect()
}

async fn update_tags(c: &AwsClient, name: &str, ch: &TagChanges) -> Result<()> {
    if !ch.remove.is_empty() {
        c.ssm()
            .remove_tags_from_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tag_keys(Some(ch.remove.clone()))
            .send()
            .await
            .map_err(aws_err(format!("removing tags of SSM parameter {name}")))?;
    }
    if !ch.set.is_empty() {
        c.ssm()
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tags(Some(tag_list(&ch.set)?))
            .send()
            .await
            .map_err(aws_err(format!("tagging SSM parameter {name}")))?;
    }
    Ok(())
}

/// The value to write: the write-only `value_wo` when set (only an apply's planned object has it), else
/// `insecure_value` when set, else `value`.
fn value_of(v: &Value) -> Option<String> {
    v.get_str("value_wo")
        .or_else(|| v.get_str("insecure_value"))
        .or_else(|| v.get_str("value"))
        .map(str::to_string)
}

/// `PutParameter` with the planned arguments.
async fn put(c: &AwsClient, name: &str, planned: &Value, overwrite: bool, tags: Option<Vec<Tag>>) -> Result<()> {
    let ty = planned.get_str("type").unwrap_or("String");
    let mut req = c
        .ssm()
        .put_parameter()
        .name(name)
        .r#type(ParameterType::from(ty))
        .set_value(value_of(planned))
        .overwrite(overwrite)
        .set_description(
            planned
                .get_str("description")
                .map(str::to_string)
                .or(overwrite.then(String::new)),
        )
        .set_allowed_pattern(planned.get_str("allowed_pattern").map(str::to_string))
        .set_data_type(str_attr(planned, "data_type"))
        .set_tier(str_attr(planned, "tier").map(|t| ParameterTier::from(t.as_str())))
        .set_tags(tags);
    if ty == "SecureString" {
        req = req.set_key_id(str_attr(planned, "key_id"));
    }
    req.send()
        .await
        .map_err(aws_err(format!("writing SSM parameter {name}")))?;
    Ok(())
}

/// A parameter name from an import ID (a name or an ARN).
fn name_from_import_id(id: &str) -> String {
    match id.split_once(":parameter") {
        Some((prefix, rest)) if prefix.starts_with("arn:") => {
            let rest = rest.trim_start_matches('/');
            if rest.contains('/') {
                format!("/{rest}")
            } else {
                rest.to_string()
            }
        }
        _ => id.to_string(),
    }
}

#[async_trait]
impl ResourceType<AwsClient> for SsmParameter {
    fn name(&self) -> &'static str {
        "aws_ssm_parameter"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        let mut out = Vec::new();
        // Terraform's ExactlyOneOf.
        let given: Vec<&str> = ["value", "insecure_value", "value_wo"]
            .into_iter()
            .filter(|k| set(k))
            .collect();
        match given.as_slice() {
            [] => out.push(Invalid::new(
                "exactly one of value, insecure_value or value_wo must be set",
            )),
            [_] => {}
            [_, second, ..] => out.push(Invalid::at(
                second,
                format!(
                    "only one of value, insecure_value or value_wo may be set ({})",
                    given.join(", ")
                ),
            )),
        }
        // Terraform's RequiredWith, both ways.
        for (k, other) in [("value_wo", "value_wo_version"), ("value_wo_version", "value_wo")] {
            if set(k) && !set(other) {
                out.push(Invalid::at(k, "all of value_wo, value_wo_version must be specified"));
            }
        }
        if config.get_str("type") == Some("SecureString") && set("insecure_value") {
            out.push(Invalid::at(
                "insecure_value",
                "insecure_value cannot be used with type = SecureString",
            ));
        }
        out
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let set = |k: &str| req.config.get(k).is_some_and(|v| !v.is_null());
        // A read puts the value in one attribute only (validate made sure exactly one is set), and in
        // none when it is write-only.
        if set("value_wo") || set("value_wo_version") {
            req.planned.set_attr("value", Value::Null);
            req.planned.set_attr("insecure_value", Value::Null);
        } else if set("value") {
            req.planned.set_attr("insecure_value", Value::Null);
        } else {
            req.planned.set_attr("value", Value::Null);
        }
        if let Some(prior) = req.prior {
            // Advanced parameters cannot go back to the standard tier.
            if prior.get_str("tier") == Some("Advanced") && req.planned.get_str("tier") == Some("Standard") {
                req.requires_replace.push(Path::attr("tier"));
            }
            if REWRITING
                .iter()
                .any(|k| changed(prior, req.planned, k) || req.planned.get(k).is_some_and(Value::is_unknown))
            {
                req.planned.set_attr("version", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        let name = str_attr(prior, "id")
            .or_else(|| str_attr(prior, "name"))
            .ok_or_else(|| ProviderError::invalid("no name"))?;
        read_one(c, &name, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_parameters(c, &keys_of(priors, "id"), priors, true).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let tags = tags::for_create(c, ctx, planned);
        let overwrite = planned.get_bool("overwrite") == Some(true);
        // PutParameter takes tags only when it does not overwrite.
        put(
            c,
            &name,
            planned,
            overwrite,
            if overwrite { None } else { Some(tag_list(&tags)?) },
        )
        .await?;
        let rest = async {
            if overwrite {
                update_tags(
                    c,
                    &name,
                    &TagChanges {
                        set: tags,
                        remove: Vec::new(),
                    },
                )
                .await?;
            }
            read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("SSM parameter {name} vanished after create")))
        };
        rest.await.map_err(|e| {
            // Never a write-only value in what is stored.
            let planned = planned.clone().with("value_wo", Value::Null);
            e.with_partial(crate::values::partial_object(&block(), &planned, &name))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = str_attr(prior, "id").ok_or_else(|| ProviderError::invalid("no name"))?;
        if REWRITING.iter().any(|k| changed(prior, planned, k)) {
            put(c, &name, planned, true, None).await?;
        }
        update_tags(c, &name, &tags::changes(c, prior, planned)).await?;
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("SSM parameter {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = str_attr(prior, "name")
            .or_else(|| str_attr(prior, "id"))
            .ok_or_else(|| ProviderError::invalid("no name"))?;
        match c.ssm().delete_parameter().name(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws_err(format!("deleting SSM parameter {name}"))(e);
                if e.is_not_found() || code_of(&e) == "ParameterNotFound" {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let name = name_from_import_id(id);
        read_one(c, &name, &Value::map([("id", Value::string(&name))])).await
    }

    /// The name is unique: a parameter of that name carrying this operation's ownership tags is the one an
    /// interrupted create wrote (the tags are written in the same call).
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "name") else {
            return Ok(None);
        };
        let owned = match list_tags(c, &name).await {
            Ok(tags) => {
                let t: BTreeMap<String, String> = tags.into_iter().collect();
                t.get(TAG_ADDRESS) == Some(&ctx.address) && t.get(TAG_LINEAGE) == Some(&ctx.lineage)
            }
            Err(e) if e.is_not_found() || code_of(&e) == "InvalidResourceId" => false,
            Err(e) => return Err(e),
        };
        if owned {
            read_one(c, &name, planned).await
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::name_from_import_id;

    #[test]
    fn import_ids_are_names_or_arns() {
        assert_eq!(name_from_import_id("/app/db/url"), "/app/db/url");
        assert_eq!(
            name_from_import_id("arn:aws:ssm:us-east-1:123456789012:parameter/app/db/url"),
            "/app/db/url"
        );
        assert_eq!(
            name_from_import_id("arn:aws:ssm:us-east-1:123456789012:parameter/plain"),
            "plain"
        );
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    fn attr_check(name: &str, v: Value) -> std::result::Result<(), String> {
        let s = SsmParameter.schema();
        s.block.attributes[name].check.unwrap().check(&v)
    }

    #[test]
    fn enums_are_checked_with_a_hint() {
        let e = attr_check("type", Value::string("Strng")).unwrap_err();
        assert!(e.contains("Did you mean \"String\""), "{e}");
        assert!(attr_check("type", Value::string("SecureString")).is_ok());
        assert!(attr_check("type", Value::Unknown).is_ok());
        let e = attr_check("tier", Value::string("advanced")).unwrap_err();
        assert!(e.contains("Did you mean \"Advanced\""), "{e}");
        assert!(attr_check("data_type", Value::string("aws:ec2:image")).is_ok());
        let s = SsmParameter.schema();
        assert_eq!(
            s.block.attributes["value"].conflicts_with,
            &["insecure_value", "value_wo"]
        );
        assert!(s.block.attributes["value_wo"].write_only);
        assert!(!s.block.attributes["value_wo_version"].force_new);
    }

    #[test]
    fn value_or_insecure_value() {
        let cfg = |pairs: Vec<(&str, Value)>| Value::map(pairs);
        let good = cfg(vec![("type", Value::from("String")), ("value", Value::from("x"))]);
        assert!(SsmParameter.validate(&good).is_empty());
        let unknown = cfg(vec![("type", Value::Unknown), ("value", Value::Unknown)]);
        assert!(SsmParameter.validate(&unknown).is_empty());
        let none = cfg(vec![("type", Value::from("String"))]);
        assert_eq!(SsmParameter.validate(&none).len(), 1);
        let secure = cfg(vec![
            ("type", Value::from("SecureString")),
            ("insecure_value", Value::from("x")),
        ]);
        assert_eq!(
            SsmParameter.validate(&secure)[0].attribute.as_deref(),
            Some("insecure_value")
        );
    }
}
