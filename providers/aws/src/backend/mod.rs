//! What the AWS crate gives the engine besides the provider: Terraform's `backend "s3"` ([`s3`]) and
//! OpenTofu's `key_provider "aws_kms"` ([`kms`]). Both configure the SDK the way the provider does
//! ([`crate::config::AwsConfig`]: the standard credential chain, profiles, `AWS_ENDPOINT_URL*`, retries)
//! and log every call under the `infra::api` target.

pub mod kms;
pub mod s3;

use crate::config::AwsConfig;
use infra_backend::{BackendError, Settings, string_map};

pub use crate::config::REGIONS;

/// The SDK settings a backend or key provider block shares with the provider block.
pub(crate) fn aws_config(settings: &Settings, skip_validation_default: bool) -> Result<AwsConfig, BackendError> {
    let s = |k: &str| infra_backend::string(settings, k);
    let b = |k: &str| infra_backend::bool(settings, k);
    let mut c = AwsConfig {
        region: s("region"),
        profile: s("profile"),
        access_key: s("access_key"),
        secret_key: s("secret_key"),
        token: s("token"),
        skip_credentials_validation: b("skip_credentials_validation").unwrap_or(skip_validation_default),
        skip_requesting_account_id: true,
        skip_metadata_api_check: b("skip_metadata_api_check").unwrap_or(false)
            || s("skip_metadata_api_check").as_deref() == Some("true"),
        s3_use_path_style: b("use_path_style").or(b("force_path_style")).unwrap_or(false),
        ..AwsConfig::default()
    };
    if let Some(n) = settings.get("max_retries").and_then(|v| v.as_u64()) {
        c.max_retries = Some(n.min(1000) as u32);
    }
    c.endpoints = string_map(settings, "endpoints")
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if c.access_key.is_some() != c.secret_key.is_some() {
        return Err(BackendError::Config(
            "access_key and secret_key must be set together".into(),
        ));
    }
    if !b("skip_region_validation").unwrap_or(false)
        && let Some(r) = &c.region
        && !REGIONS.contains(&r.as_str())
    {
        return Err(BackendError::Config(format!(
            "Invalid AWS Region: {r} (set skip_region_validation = true for an S3-compatible service or a region this version does not know)"
        )));
    }
    Ok(c)
}

/// A `ProviderError` from configuring the SDK, as a backend error.
pub(crate) fn config_error(e: infra_provider::ProviderError) -> BackendError {
    BackendError::Config(e.to_string())
}
