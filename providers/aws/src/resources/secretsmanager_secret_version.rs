//! `aws_secretsmanager_secret_version`: one version of a secret's value. As in Terraform, a new
//! `secret_string`/`secret_binary` replaces the resource (a new version); `version_stages` change in place.
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
                .conflicts_with(&["secret_binary"]),
        )
        .attr(
            "secret_binary",
            Attribute::optional(Type::String)
                .sensitive()
                .force_new()
                .check(Check::Fn(base64_text))
                .conflicts_with(&["secret_string"]),
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

fn flatten(secret_id: &str, r: &Read) -> Option<Value> {
    if r.stages.is_empty() {
        return None;
    }
    Some(complete(
        &block(),
        Value::map([
            ("id", Value::string(format!("{secret_id}|{}", r.version_id))),
            ("arn", Value::string(&r.arn)),
            ("secret_id", Value::string(secret_id)),
            ("secret_string", Value::opt_string(r.string.clone())),
            (
                "secret_binary",
                Value::opt_string(r.binary.as_ref().map(base64::encode)),
            ),
            ("version_id", Value::string(&r.version_id)),
            ("version_stages", Value::string_set(&r.stages)),
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
    let keys: Vec<(String, String, String)> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id"))
        .filter_map(|id| split_id(&id).ok().map(|(s, v)| (id, s, v)))
        .collect();
    let secrets: Vec<String> = keys
        .iter()
        .map(|(_, s, _)| s.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let current = current_versions(c, &secrets).await?;
    let mut results = ReadResults::new();
    let mut rest = Vec::new();
    for (id, secret, version) in &keys {
        match current.get(secret) {
            Some(r) if &r.version_id == version => {
                if let Some(v) = flatten(secret, r) {
                    results.insert(id.clone(), v);
                }
            }
            // The secret is gone: so is the version.
            None => {}
            Some(_) => rest.push((id, secret, version)),
        }
    }
    let others = futures::future::join_all(rest.iter().map(|(_, s, v)| get_version(c, s, v))).await;
    for ((id, secret, _), r) in rest.iter().zip(others) {
        if let Some(v) = r?.as_ref().and_then(|r| flatten(secret, r)) {
            results.insert((*id).clone(), v);
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, id: &str) -> Result<Option<Value>> {
    let (secret, version) = split_id(id)?;
    Ok(get_version(c, &secret, &version)
        .await?
        .and_then(|r| flatten(&secret, &r)))
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
        if set("secret_string") && set("secret_binary") {
            return vec![Invalid::at(
                "secret_binary",
                "only one of secret_string or secret_binary may be set",
            )];
        }
        Vec::new()
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?).await
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
            .set_secret_string(planned.get_str("secret_string").map(str::to_string))
            .set_secret_binary(binary)
            .set_version_stages(stages)
            .send()
            .await
            .map_err(aws_err(format!("putting a value of Secrets Manager secret {secret}")))?;
        let version = out
            .version_id()
            .ok_or_else(|| ProviderError::new("PutSecretValue returned no version ID"))?;
        let id = format!("{secret}|{version}");
        read_one(c, &id).await?.ok_or_else(|| {
            ProviderError::new(format!("the new version of Secrets Manager secret {secret} vanished"))
                .with_partial(crate::values::partial_object(&block(), planned, &id))
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
        read_one(c, &id)
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
        read_one(c, id).await
    }

    /// The version ID is the idempotency token derived from the client token.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(secret) = str_attr(planned, "secret_id") else {
            return Ok(None);
        };
        read_one(c, &format!("{secret}|{}", idempotency_token(&ctx.client_token, 32, 64))).await
    }
}
