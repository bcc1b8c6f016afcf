//! `aws_secretsmanager_secret_version`: one version of a secret's value. As in Terraform, a new
//! `secret_string`/`secret_binary` replaces the resource (a new version); `version_stages` change in place.
//! `secret_string_wo` (write-only, Terraform 1.11) is the string sent instead of `secret_string` and never
//! kept: `secret_string_wo_version` (kept from the prior state, as the API knows nothing of it) says when
//! it changed, and, like `secret_string`, a new one replaces the resource (hashicorp/aws 5.100,
//! `internal/service/secretsmanager/secret_version.go`: `ForceNew`). While it is in use, `secret_string`
//! reads as null.
//! `id` is `secret_id|version_id`. The version ID is derived from the operation's client token, so a rerun
//! of an interrupted create writes (and finds) the same version. A version left with no staging label
//! reads as gone: Secrets Manager deletes such versions on its own.
//!
//! Batched read: `BatchGetSecretValue` (20 secrets per call) returns the current version of every secret,
//! which is the version almost every resource holds; only versions that are not current need a
//! `GetSecretValue` call each.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::values::{ReadResults, all_failed, complete, idempotency_token, str_attr};
use async_trait::async_trait;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_smithy_types::base64;
use infra_provider::{
    Attribute, Block, Check, Invalid, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value,
};
use std::collections::{BTreeSet, HashMap};

pub struct SecretsmanagerSecretVersion;

const CURRENT: &str = "AWSCURRENT";
/// Most secrets one `BatchGetSecretValue` call takes.
const BATCH: usize = 20;

/// `Check::Fn` for `secret_binary`: base64 text (the value itself is never shown).
fn base64_text(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(b) if base64::decode(b).is_err() => Err("secret_binary must be base64-encoded.".to_string()),
        _ => Ok(()),
    }
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("arn", Attribute::computed(Type::String))
        .attr("secret_id", Attribute::required(Type::String).force_new())
        .attr(
            "secret_string",
            Attribute::optional(Type::String)
                .sensitive()
                .force_new()
                .conflicts_with(&["secret_binary", "secret_string_wo"]),
        )
        .attr(
            "secret_binary",
            Attribute::optional(Type::String)
                .sensitive()
                .force_new()
                .check(Check::Fn(base64_text))
                .conflicts_with(&["secret_string", "secret_string_wo"]),
        )
        .attr(
            "secret_string_wo",
            Attribute::optional(Type::String)
                .write_only()
                .conflicts_with(&["secret_binary", "secret_string"]),
        )
        .attr(
            "secret_string_wo_version",
            Attribute::optional(Type::Number)
                .force_new()
                .check(Check::IntRange(i64::MIN, i64::MAX)),
        )
        .attr("version_id", Attribute::computed(Type::String))
        .attr("version_stages", Attribute::optional_computed(Type::string_set()))
}

/// `secret_id|version_id`.
fn split_id(id: &str) -> Result<(String, String)> {
    id.rsplit_once('|')
        .map(|(s, v)| (s.to_string(), v.to_string()))
        .ok_or_else(|| ProviderError::invalid(format!("unexpected ID {id:?}: expected secret_id|version_id")))
}

/// One version as read.
struct Read {
    arn: String,
    version_id: String,
    string: Option<String>,
    binary: Option<Vec<u8>>,
    stages: Vec<String>,
}

/// True when the object's string is the write-only `secret_string_wo` (its version is set: the two go
/// together).
fn write_only(v: &Value) -> bool {
    v.get("secret_string_wo_version")
        .is_some_and(|x| !x.is_null() && !x.is_unknown())
}

/// The object as read; `prior` (the state, or the planned object after a create) gives what the API does
/// not return: `secret_string_wo_version`, and whether the string is write-only.
fn flatten(secret_id: &str, r: &Read, prior: &Value) -> Option<Value> {
    if r.stages.is_empty() {
        return None;
    }
    let wo = write_only(prior);
    Some(complete(
        &block(),
        Value::map([
            ("id", Value::string(format!("{secret_id}|{}", r.version_id))),
            ("arn", Value::string(&r.arn)),
            ("secret_id", Value::string(secret_id)),
            (
                "secret_string",
                if wo {
                    Value::Null
                } else {
                    Value::opt_string(r.string.clone())
                },
            ),
            (
                "secret_binary",
                Value::opt_string(r.binary.as_ref().map(base64::encode)),
            ),
            ("version_id", Value::string(&r.version_id)),
            ("version_stages", Value::string_set(&r.stages)),
            (
                "secret_string_wo_version",
                crate::values::carry(prior, "secret_string_wo_version", Value::Null),
            ),
        ]),
    ))
}

/// `GetSecretValue` of one version; `None` when the secret or version is gone.
async fn get_version(c: &AwsClient, secret_id: &str, version_id: &str) -> Result<Option<Read>> {
    match c
        .secretsmanager()
        .get_secret_value()
        .secret_id(secret_id)
        .version_id(version_id)
        .send()
        .await
    {
        Ok(out) => Ok(Some(Read {
            arn: out.arn().unwrap_or_default().to_string(),
            version_id: out.version_id().unwrap_or(version_id).to_string(),
            string: out.secret_string().map(str::to_string),
            binary: out.secret_binary().map(|b| b.as_ref().to_vec()),
            stages: out.version_stages().to_vec(),
        })),
        Err(e) => {
            let e = aws_err(format!("reading a version of Secrets Manager secret {secret_id}"))(e);
            if e.is_not_found() || code_of(&e) == "InvalidRequestException" && e.message.contains("deleted") {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// The current version of each secret, by the secret ID asked for; secrets that are gone are absent.
async fn current_versions(c: &AwsClient, secret_ids: &[String]) -> Result<HashMap<String, Read>> {
    let mut out = HashMap::new();
    for chunk in secret_ids.chunks(BATCH) {
        let resp = c
            .secretsmanager()
            .batch_get_secret_value()
            .set_secret_id_list(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(aws_err("reading Secrets Manager secret values"))?;
        for e in resp.secret_values() {
            let read = Read {
                arn: e.arn().unwrap_or_default().to_string(),
                version_id: e.version_id().unwrap_or_default().to_string(),
                string: e.secret_string().map(str::to_string),
                binary: e.secret_binary().map(|b| b.as_ref().to_vec()),
                stages: e.version_stages().to_vec(),
            };
            // Answers name the secret by ARN and name; match them to the IDs asked for.
            if let Some(id) = chunk
                .iter()
                .find(|id| Some(id.as_str()) == e.arn() || Some(id.as_str()) == e.name())
            {
                out.insert(id.clone(), read);
            }
        }
        for err in resp.errors() {
            let code = err.error_code().unwrap_or_default();
            if !(code.contains("NotFound") || code == "InvalidRequestException") {
                return Err(ProviderError::api(code, err.message().unwrap_or_default().to_string()));
            }
        }
    }
    Ok(out)
}

async fn read_versions(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let keys: Vec<(String, String, String, &Value)> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .filter_map(|(id, p)| split_id(&id).ok().map(|(s, v)| (id, s, v, p)))
        .collect();
    let secrets: Vec<String> = keys
        .iter()
        .map(|(_, s, _, _)| s.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let current = current_versions(c, &secrets).await?;
    let mut results = ReadResults::new();
    let mut rest = Vec::new();
    for (id, secret, version, prior) in &keys {
        match current.get(secret) {
            Some(r) if &r.version_id == version => {
                if let Some(v) = flatten(secret, r, prior) {
                    results.insert(id.clone(), v);
                }
            }
            // The secret is gone: so is the version.
            None => {}
            Some(_) => rest.push((id, secret, version, *prior)),
        }
    }
    let others = futures::future::join_all(rest.iter().map(|(_, s, v, _)| get_version(c, s, v))).await;
    for ((id, secret, _, prior), r) in rest.iter().zip(others) {
        if let Some(v) = r?.as_ref().and_then(|r| flatten(secret, r, prior)) {
            results.insert((*id).clone(), v);
        }
    }
    Ok(results)
}

/// Reads one version; `prior` as in [`flatten`].
async fn read_one(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let (secret, version) = split_id(id)?;
    Ok(get_version(c, &secret, &version)
        .await?
        .and_then(|r| flatten(&secret, &r, prior)))
}

/// Moves or removes staging labels so that the version has exactly `want` (AWSCURRENT can only be moved
/// onto a version, never removed from one).
async fn set_stages(c: &AwsClient, secret: &str, version: &str, have: &[String], want: &[String]) -> Result<()> {
    for stage in want.iter().filter(|s| !have.contains(s)) {
        // A label on another version must be moved from it.
        let holder = c
            .secretsmanager()
            .list_secret_version_ids()
            .secret_id(secret)
            .send()
            .await
            .map_err(aws_err(format!("reading versions of Secrets Manager secret {secret}")))?
            .versions()
            .iter()
            .find(|v| v.version_stages().contains(stage) && v.version_id() != Some(version))
            .and_then(|v| v.version_id().map(str::to_string));
        c.secretsmanager()
            .update_secret_version_stage()
            .secret_id(secret)
            .version_stage(stage)
            .move_to_version_id(version)
            .set_remove_from_version_id(holder)
            .send()
            .await
            .map_err(aws_err(format!(
                "moving stage {stage} of Secrets Manager secret {secret}"
            )))?;
    }
    for stage in have.iter().filter(|s| !want.contains(s) && s.as_str() != CURRENT) {
        c.secretsmanager()
            .update_secret_version_stage()
            .secret_id(secret)
            .version_stage(stage)
            .remove_from_version_id(version)
            .send()
            .await
            .map_err(aws_err(format!(
                "removing stage {stage} of Secrets Manager secret {secret}"
            )))?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for SecretsmanagerSecretVersion {
    fn name(&self) -> &'static str {
        "aws_secretsmanager_secret_version"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        let mut out = Vec::new();
        if set("secret_string") && set("secret_binary") {
            out.push(Invalid::at(
                "secret_binary",
                "only one of secret_string or secret_binary may be set",
            ));
        }
        // Terraform's RequiredWith, both ways.
        for (k, other) in [
            ("secret_string_wo", "secret_string_wo_version"),
            ("secret_string_wo_version", "secret_string_wo"),
        ] {
            if set(k) && !set(other) {
                out.push(Invalid::at(
                    k,
                    "all of secret_string_wo, secret_string_wo_version must be specified",
                ));
            }
        }
        out
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_versions(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let secret = str_attr(planned, "secret_id").ok_or_else(|| ProviderError::invalid("secret_id is required"))?;
        let binary = match planned.get_str("secret_binary") {
            Some(b) => {
                Some(Blob::new(base64::decode(b).map_err(|_| {
                    ProviderError::invalid("secret_binary must be base64-encoded")
                })?))
            }
            None => None,
        };
        let stages = planned
            .get("version_stages")
            .filter(|v| v.is_wholly_known() && !v.is_null())
            .map(|_| planned.get_strings("version_stages"));
        let out = c
            .secretsmanager()
            .put_secret_value()
            .secret_id(&secret)
            .client_request_token(idempotency_token(&ctx.client_token, 32, 64))
            // The write-only string when set (validate keeps the two apart).
            .set_secret_string(
                planned
                    .get_str("secret_string_wo")
                    .or_else(|| planned.get_str("secret_string"))
                    .map(str::to_string),
            )
            .set_secret_binary(binary)
            .set_version_stages(stages)
            .send()
            .await
            .map_err(aws_err(format!("putting a value of Secrets Manager secret {secret}")))?;
        let version = out
            .version_id()
            .ok_or_else(|| ProviderError::new("PutSecretValue returned no version ID"))?;
        let id = format!("{secret}|{version}");
        read_one(c, &id, planned).await?.ok_or_else(|| {
            // Never a write-only value in what is stored.
            let planned = planned.clone().with("secret_string_wo", Value::Null);
            ProviderError::new(format!("the new version of Secrets Manager secret {secret} vanished"))
                .with_partial(crate::values::partial_object(&block(), &planned, &id))
        })
    }

    async fn update(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = crate::values::id_of(prior)?;
        let (secret, version) = split_id(&id)?;
        if planned
            .get("version_stages")
            .is_some_and(|v| v.is_wholly_known() && !v.is_null())
        {
            set_stages(
                c,
                &secret,
                &version,
                &prior.get_strings("version_stages"),
                &planned.get_strings("version_stages"),
            )
            .await?;
        }
        read_one(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("secret version {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = crate::values::id_of(prior)?;
        let (secret, version) = split_id(&id)?;
        let Some(current) = get_version(c, &secret, &version).await? else {
            return Ok(());
        };
        // AWSCURRENT cannot be removed: such a version stays until another one becomes current.
        for stage in current.stages.iter().filter(|s| s.as_str() != CURRENT) {
            match c
                .secretsmanager()
                .update_secret_version_stage()
                .secret_id(&secret)
                .version_stage(stage)
                .remove_from_version_id(&version)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    let e = aws_err(format!("removing stage {stage} of Secrets Manager secret {secret}"))(e);
                    if !e.is_not_found() {
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_one(c, id, &Value::Null).await
    }

    /// The version ID is the idempotency token derived from the client token.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(secret) = str_attr(planned, "secret_id") else {
            return Ok(None);
        };
        read_one(
            c,
            &format!("{secret}|{}", idempotency_token(&ctx.client_token, 32, 64)),
            planned,
        )
        .await
    }
}
