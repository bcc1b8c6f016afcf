//! `data "aws_iam_policy_document"`: an IAM policy document written as HCL blocks, rendered to JSON
//! exactly as the Terraform AWS provider renders it, so that a policy compared by text (a role's inline
//! policy, a bucket policy) plans the same in infra as in Terraform:
//! - keys in the provider's order (`Version`, `Id`, `Statement`; `Sid`, `Effect`, `Action`, `NotAction`,
//!   `Resource`, `NotResource`, `Principal`, `NotPrincipal`, `Condition`), two-space indentation;
//! - a set of one element as a string, larger sets in reverse lexical order (`actions`, `resources`,
//!   principal `identifiers`); condition `values` in the order given; principals and conditions keyed by
//!   type, test and variable in lexical order; `principals { type = "*" identifiers = ["*"] }` as `"*"`;
//! - `source_policy_documents` first, then this document's statements, then
//!   `override_policy_documents`: a statement with a `Sid` replaces the earlier one with that `Sid` in place,
//!   one without is appended;
//! - `id` is the CRC-32 of `json`. No API call.
//!
//! The expected texts in the tests are the Terraform provider's own output for the same blocks.

use crate::client::AwsClient;
use crate::values::complete;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, DataSourceType, NestedBlock, ProviderError, Result, Schema, Type, Value};
use serde_json::{Map, Value as Json};

pub struct IamPolicyDocument;

fn principals_block() -> NestedBlock {
    NestedBlock::set(
        Block::new()
            .attr("type", Attribute::required(Type::String))
            .attr("identifiers", Attribute::required(Type::string_set())),
    )
}

fn block() -> Block {
    Block::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("json", Attribute::computed(Type::String))
        .attr("minified_json", Attribute::computed(Type::String))
        .attr("policy_id", Attribute::optional(Type::String))
        .attr("source_policy_documents", Attribute::optional(Type::string_list()))
        .attr("override_policy_documents", Attribute::optional(Type::string_list()))
        .attr(
            "version",
            Attribute::optional(Type::String).one_of(&["2008-10-17", "2012-10-17"]),
        )
        .block(
            "statement",
            NestedBlock::list(
                Block::new()
                    .attr("sid", Attribute::optional(Type::String))
                    .attr("effect", Attribute::optional(Type::String).one_of(&["Allow", "Deny"]))
                    .attr("actions", Attribute::optional(Type::string_set()))
                    .attr("not_actions", Attribute::optional(Type::string_set()))
                    .attr("resources", Attribute::optional(Type::string_set()))
                    .attr("not_resources", Attribute::optional(Type::string_set()))
                    .block("principals", principals_block())
                    .block("not_principals", principals_block())
                    .block(
                        "condition",
                        NestedBlock::set(
                            Block::new()
                                .attr("test", Attribute::required(Type::String))
                                .attr("variable", Attribute::required(Type::String))
                                .attr("values", Attribute::required(Type::string_list())),
                        ),
                    ),
            ),
        )
}

/// A set as the provider writes it: one element as a string, more in reverse lexical order.
fn set_json(mut items: Vec<String>) -> Json {
    items.sort();
    items.dedup();
    items.reverse();
    match items.as_slice() {
        [one] => Json::String(one.clone()),
        _ => Json::Array(items.into_iter().map(Json::String).collect()),
    }
}

fn principals_json(blocks: &[Value]) -> Option<Json> {
    if blocks.is_empty() {
        return None;
    }
    let mut by_type: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for p in blocks {
        let ty = p.get_str("type").unwrap_or_default().to_string();
        by_type.entry(ty).or_default().extend(p.get_strings("identifiers"));
    }
    if by_type.len() == 1 && by_type.get("*").is_some_and(|ids| ids.iter().all(|i| i == "*")) {
        return Some(Json::String("*".into()));
    }
    Some(Json::Object(
        by_type.into_iter().map(|(t, ids)| (t, set_json(ids))).collect(),
    ))
}

fn condition_json(blocks: &[Value]) -> Option<Json> {
    if blocks.is_empty() {
        return None;
    }
    let mut tests: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>> =
        std::collections::BTreeMap::new();
    for c in blocks {
        tests
            .entry(c.get_str("test").unwrap_or_default().to_string())
            .or_default()
            .entry(c.get_str("variable").unwrap_or_default().to_string())
            .or_default()
            .extend(c.get_strings("values"));
    }
    Some(Json::Object(
        tests
            .into_iter()
            .map(|(t, vars)| {
                let vars: Map<String, Json> = vars
                    .into_iter()
                    .map(|(v, values)| {
                        let j = match values.as_slice() {
                            [one] => Json::String(one.clone()),
                            _ => Json::Array(values.into_iter().map(Json::String).collect()),
                        };
                        (v, j)
                    })
                    .collect();
                (t, Json::Object(vars))
            })
            .collect(),
    ))
}

/// One `statement` block as JSON.
fn statement_json(s: &Value) -> Json {
    let mut j = Map::new();
    if let Some(sid) = s.get_str("sid").filter(|x| !x.is_empty()) {
        j.insert("Sid".into(), Json::String(sid.into()));
    }
    j.insert(
        "Effect".into(),
        Json::String(s.get_str("effect").unwrap_or("Allow").into()),
    );
    for (arg, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        let items = s.get_strings(arg);
        if !items.is_empty() {
            j.insert(key.into(), set_json(items));
        }
    }
    if let Some(p) = principals_json(s.get_list("principals")) {
        j.insert("Principal".into(), p);
    }
    if let Some(p) = principals_json(s.get_list("not_principals")) {
        j.insert("NotPrincipal".into(), p);
    }
    if let Some(c) = condition_json(s.get_list("condition")) {
        j.insert("Condition".into(), c);
    }
    Json::Object(j)
}

/// A statement of a given policy document, its keys in the provider's order.
fn canonical(statement: &Map<String, Json>) -> Json {
    const ORDER: &[&str] = &[
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    ];
    let mut j = Map::new();
    for k in ORDER {
        if let Some(v) = statement.get(*k) {
            j.insert((*k).into(), v.clone());
        }
    }
    Json::Object(j)
}

/// The statements of a policy document given as JSON text (one statement or a list of them).
fn statements_of(text: &str, which: &str) -> Result<Vec<Json>> {
    let doc: Json = serde_json::from_str(text)
        .map_err(|e| ProviderError::invalid(format!("{which}: not a JSON policy document: {e}")))?;
    let list = match doc.get("Statement") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items.clone(),
        Some(one @ Json::Object(_)) => vec![one.clone()],
        Some(_) => {
            return Err(ProviderError::invalid(format!(
                "{which}: Statement is neither an object nor a list"
            )));
        }
    };
    list.iter()
        .map(|s| match s {
            Json::Object(m) => Ok(canonical(m)),
            _ => Err(ProviderError::invalid(format!("{which}: a statement is not an object"))),
        })
        .collect()
}

/// Adds a statement: one with a `Sid` replaces the earlier one with that `Sid`, in place.
fn merge(into: &mut Vec<Json>, s: Json) {
    let sid = s
        .get("Sid")
        .and_then(Json::as_str)
        .filter(|x| !x.is_empty())
        .map(str::to_string);
    if let Some(sid) = sid
        && let Some(slot) = into
            .iter_mut()
            .find(|x| x.get("Sid").and_then(Json::as_str) == Some(sid.as_str()))
    {
        *slot = s;
        return;
    }
    into.push(s);
}

/// The document's `json` (pretty) and `minified_json`.
pub fn render(config: &Value) -> Result<(String, String)> {
    let mut statements = Vec::new();
    for (i, text) in config.get_strings("source_policy_documents").iter().enumerate() {
        for s in statements_of(text, &format!("source_policy_documents[{i}]"))? {
            merge(&mut statements, s);
        }
    }
    for s in config.get_list("statement") {
        merge(&mut statements, statement_json(s));
    }
    for (i, text) in config.get_strings("override_policy_documents").iter().enumerate() {
        for s in statements_of(text, &format!("override_policy_documents[{i}]"))? {
            merge(&mut statements, s);
        }
    }
    let mut doc = Map::new();
    doc.insert(
        "Version".into(),
        Json::String(config.get_str("version").unwrap_or("2012-10-17").into()),
    );
    if let Some(id) = config.get_str("policy_id") {
        doc.insert("Id".into(), Json::String(id.into()));
    }
    if !statements.is_empty() {
        doc.insert("Statement".into(), Json::Array(statements));
    }
    let doc = Json::Object(doc);
    let pretty = serde_json::to_string_pretty(&doc).map_err(|e| ProviderError::new(e.to_string()))?;
    let minified = serde_json::to_string(&doc).map_err(|e| ProviderError::new(e.to_string()))?;
    Ok((pretty, minified))
}

#[async_trait]
impl DataSourceType<AwsClient> for IamPolicyDocument {
    fn name(&self) -> &'static str {
        "aws_iam_policy_document"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, _c: &AwsClient, config: &Value) -> Result<Value> {
        let (json, minified) = render(config)?;
        let id = crc32fast::hash(json.as_bytes()).to_string();
        let v = config
            .clone()
            .with("json", Value::string(json))
            .with("minified_json", Value::string(minified))
            .with("id", Value::string(id));
        Ok(complete(&block(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Value {
        Value::string_set(items.iter().copied())
    }

    fn principal(ty: &str, ids: &[&str]) -> Value {
        Value::map([("type", Value::from(ty)), ("identifiers", strings(ids))])
    }

    fn statement(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }

    /// The texts below are what Terraform 1.11.4 with hashicorp/aws 5.100.0 wrote for the same blocks.
    #[test]
    fn documents_render_as_the_terraform_provider_renders_them() {
        let assume = Value::map([(
            "statement",
            Value::List(vec![statement(vec![
                ("actions", strings(&["sts:AssumeRole"])),
                (
                    "principals",
                    Value::set(vec![principal("Service", &["ecs-tasks.amazonaws.com"])]),
                ),
            ])]),
        )]);
        let (json, min) = render(&assume).unwrap();
        assert_eq!(
            min,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs-tasks.amazonaws.com"}}]}"#
        );
        assert_eq!(crc32fast::hash(json.as_bytes()), 1077804475, "Terraform's id for it");

        let cond = |test: &str, var: &str, values: &[&str]| {
            Value::map([
                ("test", Value::from(test)),
                ("variable", Value::from(var)),
                ("values", Value::string_list(values.iter().copied())),
            ])
        };
        let rich = Value::map([
            ("policy_id", Value::from("rich")),
            (
                "statement",
                Value::List(vec![
                    statement(vec![
                        ("sid", Value::from("Read")),
                        (
                            "actions",
                            strings(&["s3:GetObject", "s3:ListBucket", "s3:GetObjectVersion"]),
                        ),
                        ("resources", strings(&["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
                        (
                            "condition",
                            Value::set(vec![
                                cond("StringEquals", "aws:PrincipalTag/team", &["data"]),
                                cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8", "192.168.0.0/16"]),
                            ]),
                        ),
                    ]),
                    statement(vec![
                        ("effect", Value::from("Deny")),
                        ("not_actions", strings(&["iam:*"])),
                        ("not_resources", strings(&["*"])),
                        (
                            "principals",
                            Value::set(vec![
                                principal(
                                    "AWS",
                                    &["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/a"],
                                ),
                                principal("Service", &["logs.amazonaws.com"]),
                            ]),
                        ),
                    ]),
                    statement(vec![
                        ("actions", strings(&["*"])),
                        ("resources", strings(&["*"])),
                        ("principals", Value::set(vec![principal("*", &["*"])])),
                        (
                            "not_principals",
                            Value::set(vec![principal("AWS", &["arn:aws:iam::123456789012:root"])]),
                        ),
                    ]),
                ]),
            ),
        ]);
        let (json, min) = render(&rich).unwrap();
        assert_eq!(
            min,
            r#"{"Version":"2012-10-17","Id":"rich","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:ListBucket","s3:GetObjectVersion","s3:GetObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"],"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"StringEquals":{"aws:PrincipalTag/team":"data"}}},{"Effect":"Deny","NotAction":"iam:*","NotResource":"*","Principal":{"AWS":["arn:aws:iam::123456789012:user/a","arn:aws:iam::123456789012:root"],"Service":"logs.amazonaws.com"}},{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"}}]}"#
        );
        assert_eq!(crc32fast::hash(json.as_bytes()), 1984728732, "Terraform's id for it");
        assert!(json.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Id\": \"rich\",\n  \"Statement\": [\n    {\n      \"Sid\": \"Read\","));

        let (assume_json, _) = render(&assume).unwrap();
        let merged = Value::map([
            ("source_policy_documents", Value::string_list([assume_json.as_str()])),
            (
                "override_policy_documents",
                Value::string_list([
                    r#"{"Statement":[{"Action":"ec2:Describe*","Effect":"Allow","Resource":"*","Sid":"Over"}],"Version":"2012-10-17"}"#,
                ]),
            ),
            (
                "statement",
                Value::List(vec![
                    statement(vec![
                        ("sid", Value::from("Over")),
                        ("actions", strings(&["ec2:RunInstances"])),
                        ("resources", strings(&["*"])),
                    ]),
                    statement(vec![
                        ("sid", Value::from("Mine")),
                        ("actions", strings(&["ssm:GetParameter"])),
                        ("resources", strings(&["*"])),
                    ]),
                ]),
            ),
        ]);
        let (json, _) = render(&merged).unwrap();
        assert_eq!(
            crc32fast::hash(json.as_bytes()),
            4226652529,
            "Terraform's id for it:\n{json}"
        );

        let (json, min) = render(&Value::empty_map()).unwrap();
        assert_eq!(min, r#"{"Version":"2012-10-17"}"#);
        assert_eq!(crc32fast::hash(json.as_bytes()), 1132004489);

        let bad = Value::map([("source_policy_documents", Value::string_list(["{not json"]))]);
        assert!(
            render(&bad)
                .unwrap_err()
                .to_string()
                .contains("source_policy_documents[0]")
        );
    }
}
