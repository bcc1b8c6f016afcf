//! OpenTofu's `key_provider "aws_kms"`: state and plan files are encrypted with a data key from AWS KMS
//! (`GenerateDataKey`, AES-256); the KMS-encrypted copy of the data key is stored with each file and
//! `Decrypt` recovers it. The data key is asked for once per run (and a file's own data key is reused
//! when it is written again), so an apply costs one or two KMS calls however many times it writes state.

use super::{aws_config, config_error};
use crate::interceptor::ApiCallLogger;
use async_trait::async_trait;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use infra_backend::{ArgType, Argument, BackendError, Key, KeyProvider, KeyProviderType, Settings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `key_provider "aws_kms"`.
pub struct KmsKeyProviderType;

#[async_trait]
impl KeyProviderType for KmsKeyProviderType {
    fn name(&self) -> &'static str {
        "aws_kms"
    }

    fn arguments(&self) -> Vec<Argument> {
        use ArgType::*;
        vec![
            Argument::required("kms_key_id", String),
            Argument::optional("key_spec", String),
            Argument::optional("region", String),
            Argument::optional("profile", String),
            Argument::optional("access_key", String).sensitive(),
            Argument::optional("secret_key", String).sensitive(),
            Argument::optional("token", String).sensitive(),
            Argument::optional("endpoints", StringMap),
            Argument::optional("skip_credentials_validation", Bool),
            Argument::optional("skip_region_validation", Bool),
            Argument::optional("max_retries", Number),
        ]
    }

    async fn configure(&self, settings: &Settings) -> Result<Arc<dyn KeyProvider>, BackendError> {
        let key_id = infra_backend::string(settings, "kms_key_id")
            .ok_or_else(|| BackendError::Config("kms_key_id must not be empty".into()))?;
        match infra_backend::string(settings, "key_spec").as_deref() {
            None | Some("AES_256") => {}
            Some(other) => {
                return Err(BackendError::Config(format!(
                    "key_spec {other:?}: aes_gcm needs \"AES_256\""
                )));
            }
        }
        // The KMS calls themselves check the credentials; no STS call is needed.
        let cfg = aws_config(settings, true)?;
        let endpoint = cfg.endpoints.get("kms").cloned();
        let client = cfg.connect().await.map_err(config_error)?;
        let mut b = aws_sdk_kms::config::Builder::from(client.sdk()).interceptor(ApiCallLogger);
        if let Some(url) = endpoint {
            b = b.endpoint_url(url);
        }
        Ok(Arc::new(KmsKeys {
            kms: aws_sdk_kms::Client::from_conf(b.build()),
            key_id,
            decrypted: Mutex::new(HashMap::new()),
            last: Mutex::new(None),
        }))
    }
}

struct KmsKeys {
    kms: aws_sdk_kms::Client,
    key_id: String,
    /// Data keys decrypted in this run, by their encrypted form (base64).
    decrypted: Mutex<HashMap<String, Key>>,
    /// The metadata of the last data key decrypted with the configured key, reused for writing.
    last: Mutex<Option<serde_json::Value>>,
}

fn kms_err<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    what: &str,
    key_id: &str,
    e: aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> BackendError {
    let detail = match e.as_service_error() {
        Some(se) => format!(
            "{}: {}",
            se.code().unwrap_or("error"),
            se.message().unwrap_or("no message")
        ),
        None => crate::errors::error_chain(&e),
    };
    BackendError::Key(format!("AWS KMS {what} with key {key_id}: {detail}"))
}

fn to_key(plaintext: &[u8], key_id: &str) -> Result<Key, BackendError> {
    let bytes: [u8; 32] = plaintext.try_into().map_err(|_| {
        BackendError::Key(format!(
            "AWS KMS returned a data key of {} bytes for {key_id}, not 32",
            plaintext.len()
        ))
    })?;
    Ok(Key::new(bytes))
}

#[async_trait]
impl KeyProvider for KmsKeys {
    async fn encryption_key(&self) -> Result<(Key, serde_json::Value), BackendError> {
        let reuse = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(meta) = reuse
            && meta.get("kms_key_id").and_then(|k| k.as_str()) == Some(self.key_id.as_str())
        {
            let key = self.decryption_key(&meta).await?;
            return Ok((key, meta));
        }
        let out = self
            .kms
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
            .send()
            .await
            .map_err(|e| kms_err("GenerateDataKey", &self.key_id, e))?;
        let plaintext = out
            .plaintext()
            .ok_or_else(|| BackendError::Key("AWS KMS GenerateDataKey returned no plaintext key".into()))?;
        let blob = out
            .ciphertext_blob()
            .ok_or_else(|| BackendError::Key("AWS KMS GenerateDataKey returned no encrypted key".into()))?;
        let key = to_key(plaintext.as_ref(), &self.key_id)?;
        let encoded = aws_smithy_types::base64::encode(blob.as_ref());
        self.decrypted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(encoded.clone(), key.clone());
        Ok((
            key,
            serde_json::json!({ "kms_key_id": self.key_id, "ciphertext_blob": encoded }),
        ))
    }

    async fn decryption_key(&self, meta: &serde_json::Value) -> Result<Key, BackendError> {
        let encoded = meta
            .get("ciphertext_blob")
            .and_then(|b| b.as_str())
            .ok_or_else(|| BackendError::Key("the aws_kms metadata has no ciphertext_blob".into()))?
            .to_string();
        if let Some(k) = self.decrypted.lock().unwrap_or_else(|e| e.into_inner()).get(&encoded) {
            return Ok(k.clone());
        }
        let blob = aws_smithy_types::base64::decode(&encoded)
            .map_err(|e| BackendError::Key(format!("the aws_kms ciphertext_blob is not base64: {e}")))?;
        let out = self
            .kms
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await
            .map_err(|e| kms_err("Decrypt", &self.key_id, e))?;
        let plaintext = out
            .plaintext()
            .ok_or_else(|| BackendError::Key("AWS KMS Decrypt returned no plaintext".into()))?;
        let key = to_key(plaintext.as_ref(), &self.key_id)?;
        self.decrypted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(encoded, key.clone());
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(meta.clone());
        Ok(key)
    }
}

/// The AWS KMS key provider type, for the binary to hand to the engine.
pub fn key_provider_type() -> Arc<dyn KeyProviderType> {
    Arc::new(KmsKeyProviderType)
}
