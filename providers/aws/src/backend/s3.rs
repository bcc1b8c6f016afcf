//! Terraform's `backend "s3"`: each environment's state is an S3 object, locked with a lock object beside
//! it — on AWS S3 and on S3-compatible services such as DigitalOcean Spaces.
//!
//! Layout (Terraform's): the `default` environment at `key`, the others at
//! `<workspace_key_prefix>/<env>/<key>` (prefix `env:` unless set). The lock of a state is
//! `<state key>.tflock`.
//!
//! - **Atomic, compare-and-swap writes.** A state is one `PutObject`, so a reader sees the old or the new
//!   version. Every write is conditional on the version this process last read or wrote (`If-Match` with its
//!   ETag; `If-None-Match: *` when there was none), so a second writer — whatever the lock says — can never
//!   overwrite a version it has not seen. A write the SDK retried after it had in fact succeeded is
//!   recognised (the stored object is what was written) rather than reported as a conflict.
//! - **Backups** are the bucket's object versions: `previous` reads the version before the current one when
//!   the bucket has versioning (recommended, as for Terraform).
//! - **Locking without DynamoDB** (`use_lockfile`, on unless set to `false`): the lock object is created with
//!   `PutObject` + `If-None-Match: *`, which S3 performs atomically, and holds the holder's [`LockInfo`] (ID,
//!   who, host, PID, operation, created, infra version). A lock cannot carry an OS lock across machines, so
//!   the holder renews a lease in the lock object (`Renewed`, `LeaseSeconds`) every third of the lease with
//!   a conditional write (`If-Match` on its own version: a lock someone force-unlocked is never written
//!   back). A lock whose lease ran out is reported as stale with its holder and age, and stays until
//!   `infra force-unlock ID` removes it: it is never taken over silently. A holder that finds its lock
//!   gone or replaced stops writing state ([`BackendError::LockLost`]).
//! - `dynamodb_table` (deprecated by Terraform) is refused with what to use instead.
//!
//! Credentials come from the backend block (`access_key`/`secret_key`/`token`, `profile`), else — for an
//! S3-compatible endpoint (`endpoints { s3 = ... }` or `AWS_ENDPOINT_URL_S3`) — from
//! `SPACES_ACCESS_KEY_ID`/`SPACES_SECRET_ACCESS_KEY` when they are set (as the DigitalOcean provider reads
//! them), else from the standard AWS chain.

use super::{REGIONS, aws_config};
use crate::interceptor::ApiCallLogger;
use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use infra_backend::{
    ArgType, Argument, Backend, BackendContext, BackendError, BackendType, LockInfo, Settings, StateBlob,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a new lock is watched before it counts as held (see [`S3Blob::lock`]).
const SETTLE: Duration = Duration::from_millis(100);

/// How long a lock's lease lasts after each renewal, unless `INFRA_LOCK_LEASE_SECONDS` says otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

fn lease_from_env() -> Duration {
    std::env::var("INFRA_LOCK_LEASE_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s >= 1)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_LEASE)
}

/// `backend "s3"`. The lease of its locks is `lease`, else `INFRA_LOCK_LEASE_SECONDS`, else
/// [`DEFAULT_LEASE`].
#[derive(Default)]
pub struct S3BackendType {
    pub lease: Option<Duration>,
}

#[async_trait]
impl BackendType for S3BackendType {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn arguments(&self) -> Vec<Argument> {
        use ArgType::*;
        vec![
            Argument::required("bucket", String),
            Argument::required("key", String),
            Argument::optional("region", String),
            Argument::optional("profile", String),
            Argument::optional("access_key", String).sensitive(),
            Argument::optional("secret_key", String).sensitive(),
            Argument::optional("token", String).sensitive(),
            Argument::optional("encrypt", Bool),
            Argument::optional("kms_key_id", String),
            Argument::optional("acl", String),
            Argument::optional("use_lockfile", Bool),
            Argument::optional("workspace_key_prefix", String),
            Argument::optional("endpoints", StringMap),
            Argument::optional("use_path_style", Bool),
            Argument::optional("force_path_style", Bool),
            Argument::optional("skip_credentials_validation", Bool),
            Argument::optional("skip_region_validation", Bool),
            Argument::optional("skip_requesting_account_id", Bool),
            Argument::optional("skip_metadata_api_check", Bool),
            Argument::optional("skip_s3_checksum", Bool),
            Argument::optional("max_retries", Number),
            Argument::refused(
                "dynamodb_table",
                "locking with a DynamoDB table is deprecated in Terraform and not supported by infra: remove it; \
                 the lock is the S3 object <key>.tflock (use_lockfile, on by default)",
            ),
            Argument::refused(
                "endpoint",
                "the endpoint argument was replaced by endpoints = { s3 = \"...\" } in Terraform 1.6",
            ),
        ]
    }

    async fn configure(&self, settings: &Settings, _ctx: &BackendContext) -> Result<Arc<dyn Backend>, BackendError> {
        let s = |k: &str| infra_backend::string(settings, k);
        let bucket = s("bucket").ok_or_else(|| BackendError::Config("bucket must not be empty".into()))?;
        let key = s("key").ok_or_else(|| BackendError::Config("key must not be empty".into()))?;
        if key.starts_with('/') || key.ends_with('/') {
            return Err(BackendError::Config(format!(
                "key {key:?} must not start or end with \"/\""
            )));
        }
        let prefix = s("workspace_key_prefix").unwrap_or_else(|| "env:".into());
        if prefix.starts_with('/') || prefix.ends_with('/') {
            return Err(BackendError::Config(format!(
                "workspace_key_prefix {prefix:?} must not start or end with \"/\""
            )));
        }
        let kms_key_id = s("kms_key_id");
        let encrypt = infra_backend::bool(settings, "encrypt").unwrap_or(false);
        if kms_key_id.is_some() && !encrypt {
            return Err(BackendError::Config("kms_key_id needs encrypt = true".into()));
        }
        let mut cfg = aws_config(settings, false)?;
        let custom_endpoint = cfg
            .endpoints
            .get("s3")
            .cloned()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok().filter(|v| !v.is_empty()));
        let spaces = (
            std::env::var("SPACES_ACCESS_KEY_ID").ok().filter(|v| !v.is_empty()),
            std::env::var("SPACES_SECRET_ACCESS_KEY").ok().filter(|v| !v.is_empty()),
        );
        let on_aws = custom_endpoint
            .as_deref()
            .is_none_or(|e| e.contains(".amazonaws.com") || e.contains(".amazonaws.com.cn"));
        if cfg.access_key.is_none()
            && !on_aws
            && let (Some(ak), Some(sk)) = spaces
        {
            cfg.access_key = Some(ak);
            cfg.secret_key = Some(sk);
            cfg.token = None;
        }
        if cfg.region.is_none()
            && std::env::var("AWS_REGION").is_err()
            && std::env::var("AWS_DEFAULT_REGION").is_err()
            && cfg.profile.is_none()
        {
            return Err(BackendError::Config(
                "no region: set region in the backend block, or AWS_REGION (S3-compatible services such as \
                 DigitalOcean Spaces take region = \"us-east-1\")"
                    .into(),
            ));
        }
        let skip_region = infra_backend::bool(settings, "skip_region_validation").unwrap_or(false);
        let use_path_style = cfg.s3_use_path_style;
        let endpoint = cfg.endpoints.get("s3").cloned();
        let client = cfg.connect().await.map_err(|e| {
            let mut msg = e.to_string().replace("the provider block", "the backend block");
            if msg.contains("loading credentials") {
                msg.push_str(
                    " — no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, \
                     or access_key/secret_key in the backend block (for DigitalOcean Spaces: SPACES_ACCESS_KEY_ID and \
                     SPACES_SECRET_ACCESS_KEY with endpoints = { s3 = ... })",
                );
            }
            BackendError::Config(msg)
        })?;
        if !skip_region && !REGIONS.contains(&client.region()) {
            return Err(BackendError::Config(format!(
                "Invalid AWS Region: {} (set skip_region_validation = true for an S3-compatible service)",
                client.region()
            )));
        }
        let mut b = aws_sdk_s3::config::Builder::from(client.sdk())
            .interceptor(ApiCallLogger)
            .force_path_style(use_path_style);
        if let Some(url) = &endpoint {
            b = b.endpoint_url(url);
        }
        if infra_backend::bool(settings, "skip_s3_checksum").unwrap_or(false) {
            b = b
                .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
        }
        let s3 = aws_sdk_s3::Client::from_conf(b.build());
        let sse = match (encrypt, kms_key_id) {
            (false, _) => None,
            (true, None) => Some((aws_sdk_s3::types::ServerSideEncryption::Aes256, None)),
            (true, Some(k)) => Some((aws_sdk_s3::types::ServerSideEncryption::AwsKms, Some(k))),
        };
        let acl = match s("acl") {
            None => None,
            Some(a) => {
                if !aws_sdk_s3::types::ObjectCannedAcl::values().contains(&a.as_str()) {
                    return Err(BackendError::Config(format!(
                        "acl {a:?} is not a canned ACL (private, bucket-owner-full-control, ...)"
                    )));
                }
                Some(aws_sdk_s3::types::ObjectCannedAcl::from(a.as_str()))
            }
        };
        Ok(Arc::new(S3Backend {
            shared: Arc::new(Shared {
                s3,
                bucket,
                key,
                prefix,
                sse,
                acl,
                use_lockfile: infra_backend::bool(settings, "use_lockfile").unwrap_or(true),
                lease: self.lease.unwrap_or_else(lease_from_env),
            }),
        }))
    }
}

struct Shared {
    s3: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    prefix: String,
    sse: Option<(aws_sdk_s3::types::ServerSideEncryption, Option<String>)>,
    acl: Option<aws_sdk_s3::types::ObjectCannedAcl>,
    use_lockfile: bool,
    lease: Duration,
}

impl Shared {
    fn state_key(&self, env: &str) -> String {
        if env == "default" {
            self.key.clone()
        } else {
            format!("{}/{env}/{}", self.prefix, self.key)
        }
    }
}

/// The configured S3 backend.
pub struct S3Backend {
    shared: Arc<Shared>,
}

#[async_trait]
impl Backend for S3Backend {
    fn kind(&self) -> &str {
        "s3"
    }

    fn state(&self, env: &str) -> Arc<dyn StateBlob> {
        let key = self.shared.state_key(env);
        Arc::new(S3Blob {
            shared: self.shared.clone(),
            location: format!("s3://{}/{key}", self.shared.bucket),
            lock_key: format!("{key}.tflock"),
            key,
            seen: Mutex::new(None),
            held: Mutex::new(None),
            lost: Arc::new(AtomicBool::new(false)),
        })
    }

    async fn environments(&self) -> Result<Vec<String>, BackendError> {
        let sh = &self.shared;
        let mut envs = Vec::new();
        match sh.s3.head_object().bucket(&sh.bucket).key(&sh.key).send().await {
            Ok(_) => envs.push("default".to_string()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(io(&format!("s3://{}/{}", sh.bucket, sh.key), "reading", e)),
        }
        let prefix = format!("{}/", sh.prefix);
        let suffix = format!("/{}", sh.key);
        let mut token = None;
        loop {
            let out = sh
                .s3
                .list_objects_v2()
                .bucket(&sh.bucket)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| io(&format!("s3://{}/{prefix}", sh.bucket), "listing", e))?;
            for o in out.contents() {
                if let Some(env) = o
                    .key()
                    .and_then(|k| k.strip_prefix(&prefix))
                    .and_then(|k| k.strip_suffix(&suffix))
                    .filter(|e| !e.is_empty() && !e.contains('/'))
                {
                    envs.push(env.to_string());
                }
            }
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        envs.sort();
        envs.dedup();
        Ok(envs)
    }
}

/// What this instance last read or wrote.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Absent,
    Etag(String),
}

/// A lock this instance holds: its ID and the task renewing its lease.
struct Held {
    id: String,
    renewal: tokio::task::JoinHandle<()>,
}

/// One environment's state object and lock.
pub struct S3Blob {
    shared: Arc<Shared>,
    key: String,
    lock_key: String,
    location: String,
    seen: Mutex<Option<Seen>>,
    held: Mutex<Option<Held>>,
    lost: Arc<AtomicBool>,
}

/// The object does not exist (a missing bucket is an error, never "no state yet").
fn is_not_found<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::ServiceError(se) => match se.err().code() {
            Some("NoSuchBucket") => false,
            Some("NoSuchKey" | "NotFound" | "404") => true,
            _ => se.raw().status().as_u16() == 404,
        },
        _ => false,
    }
}

fn status_of<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    match e {
        SdkError::ServiceError(se) => Some(se.raw().status().as_u16()),
        _ => None,
    }
}

/// A failed condition (`If-Match`, `If-None-Match`): 412, or 409 when a concurrent conditional write won.
fn is_precondition<E>(e: &SdkError<E, HttpResponse>) -> bool {
    matches!(status_of(e), Some(412 | 409))
}

fn io<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    location: &str,
    what: &str,
    e: SdkError<E, HttpResponse>,
) -> BackendError {
    let detail = match &e {
        SdkError::ServiceError(se) if se.err().code() == Some("NoSuchBucket") => {
            "NoSuchBucket: the bucket does not exist: create it first (with versioning on: its object versions are the backups of the states)".to_string()
        }
        SdkError::ServiceError(se) => {
            let err = se.err();
            format!(
                "{}: {}",
                err.code().unwrap_or("error"),
                err.message()
                    .map(str::to_string)
                    .unwrap_or_else(|| crate::errors::error_chain(err))
            )
        }
        other => crate::errors::error_chain(other),
    };
    BackendError::Io(format!("{what} {location}: {detail}"))
}

async fn read_body(
    out: aws_sdk_s3::operation::get_object::GetObjectOutput,
    location: &str,
) -> Result<Vec<u8>, BackendError> {
    out.body
        .collect()
        .await
        .map(|b| b.into_bytes().to_vec())
        .map_err(|e| BackendError::Io(format!("reading {location}: {e}")))
}

impl S3Blob {
    /// The current object and its ETag.
    async fn fetch(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, BackendError> {
        let sh = &self.shared;
        let shown = format!("s3://{}/{key}", sh.bucket);
        match sh.s3.get_object().bucket(&sh.bucket).key(key).send().await {
            Ok(out) => {
                let etag = out.e_tag().unwrap_or_default().to_string();
                Ok(Some((read_body(out, &shown).await?, etag)))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(io(&shown, "reading", e)),
        }
    }

    async fn read_lock(&self) -> Result<Option<(LockInfo, String)>, BackendError> {
        match self.fetch(&self.lock_key).await? {
            None => Ok(None),
            Some((body, etag)) => serde_json::from_slice(&body).map(|l| Some((l, etag))).map_err(|e| {
                BackendError::Io(format!(
                    "the lock s3://{}/{} is not valid: {e}",
                    self.shared.bucket, self.lock_key
                ))
            }),
        }
    }

    fn put_request(
        &self,
        key: &str,
        body: Vec<u8>,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let sh = &self.shared;
        let mut req = sh
            .s3
            .put_object()
            .bucket(&sh.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body));
        if let Some((sse, kms)) = &sh.sse {
            req = req.server_side_encryption(sse.clone()).set_ssekms_key_id(kms.clone());
        }
        if let Some(acl) = &sh.acl {
            req = req.acl(acl.clone());
        }
        req
    }

    fn lock_body(&self, info: &LockInfo, lease: Duration) -> Vec<u8> {
        let mut info = info.clone();
        info.path = self.location.clone();
        info.renewed = Some(infra_backend::lock::now_rfc3339());
        info.lease_seconds = Some(lease.as_secs());
        serde_json::to_vec_pretty(&info).expect("lock info serializes")
    }

    /// Keeps the lease of a held lock alive until stopped; marks the lock lost if it was removed or
    /// replaced.
    fn renew(&self, info: LockInfo, etag: Arc<Mutex<String>>, lease: Duration) -> tokio::task::JoinHandle<()> {
        let sh = self.shared.clone();
        let lock_key = self.lock_key.clone();
        let location = self.location.clone();
        let lost = self.lost.clone();
        let every = (lease / 3).max(Duration::from_millis(300));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let mut info = info.clone();
                info.path = location.clone();
                info.renewed = Some(infra_backend::lock::now_rfc3339());
                info.lease_seconds = Some(lease.as_secs());
                let body = serde_json::to_vec_pretty(&info).expect("lock info serializes");
                let current = etag.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let mut req = sh
                    .s3
                    .put_object()
                    .bucket(&sh.bucket)
                    .key(&lock_key)
                    .content_type("application/json")
                    .if_match(current)
                    .body(ByteStream::from(body));
                if let Some((sse, kms)) = &sh.sse {
                    req = req.server_side_encryption(sse.clone()).set_ssekms_key_id(kms.clone());
                }
                match req.send().await {
                    Ok(out) => {
                        *etag.lock().unwrap_or_else(|e| e.into_inner()) = out.e_tag().unwrap_or_default().to_string();
                    }
                    Err(e) if is_precondition(&e) || is_not_found(&e) => {
                        lost.store(true, Ordering::SeqCst);
                        tracing::warn!(target: "infra::state", "the lock of {location} was removed or taken by someone else");
                        return;
                    }
                    // A transient failure: the lease is long enough for the next attempt.
                    Err(e) => {
                        tracing::debug!(target: "infra::state", "renewing the lock of {location}: {}", crate::errors::error_chain(&e))
                    }
                }
            }
        })
    }

    /// Records a lock this instance now holds and starts renewing its lease.
    fn hold(&self, info: &LockInfo, etag: String, lease: Duration) {
        let renewal = self.renew(info.clone(), Arc::new(Mutex::new(etag)), lease);
        self.lost.store(false, Ordering::SeqCst);
        let previous = self.held.lock().unwrap_or_else(|e| e.into_inner()).replace(Held {
            id: info.id.clone(),
            renewal,
        });
        if let Some(p) = previous {
            p.renewal.abort();
        }
    }

    fn stop_renewal(&self, id: &str) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|h| h.id == id)
            && let Some(h) = held.take()
        {
            h.renewal.abort();
        }
    }
}

impl Drop for S3Blob {
    fn drop(&mut self) {
        if let Some(h) = self.held.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
            h.renewal.abort();
        }
    }
}

#[async_trait]
impl StateBlob for S3Blob {
    fn location(&self) -> String {
        self.location.clone()
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let got = self.fetch(&self.key).await?;
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(match &got {
            Some((_, etag)) => Seen::Etag(etag.clone()),
            None => Seen::Absent,
        });
        Ok(got.map(|(b, _)| b))
    }

    async fn put(&self, data: &[u8]) -> Result<(), BackendError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(BackendError::LockLost(format!(
                "s3://{}/{} was removed or taken by someone else (force-unlock?); the state was not written",
                self.shared.bucket, self.lock_key
            )));
        }
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut req = self.put_request(&self.key, data.to_vec());
        req = match &seen {
            Some(Seen::Etag(e)) => req.if_match(e.clone()),
            Some(Seen::Absent) => req.if_none_match("*"),
            None => req,
        };
        match req.send().await {
            Ok(out) => {
                let etag = out.e_tag().unwrap_or_default().to_string();
                *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(Seen::Etag(etag));
                Ok(())
            }
            Err(e) if is_precondition(&e) => {
                // Either someone else wrote, or the SDK retried a write that had succeeded.
                match self.fetch(&self.key).await? {
                    Some((body, etag)) if body == data => {
                        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(Seen::Etag(etag));
                        Ok(())
                    }
                    _ => Err(BackendError::Conflict(format!(
                        "{} is not the version this run read or wrote last",
                        self.location
                    ))),
                }
            }
            Err(e) => Err(io(&self.location, "writing", e)),
        }
    }

    async fn delete(&self) -> Result<(), BackendError> {
        let sh = &self.shared;
        sh.s3
            .delete_object()
            .bucket(&sh.bucket)
            .key(&self.key)
            .send()
            .await
            .map_err(|e| io(&self.location, "deleting", e))?;
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(Seen::Absent);
        Ok(())
    }

    async fn previous(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let sh = &self.shared;
        let out = sh
            .s3
            .list_object_versions()
            .bucket(&sh.bucket)
            .prefix(&self.key)
            .send()
            .await
            .map_err(|e| io(&self.location, "listing the versions of", e))?;
        let mut versions: Vec<_> = out
            .versions()
            .iter()
            .filter(|v| v.key() == Some(self.key.as_str()))
            .filter(|v| v.version_id().is_some_and(|id| id != "null"))
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.last_modified().map(|t| (t.secs(), t.subsec_nanos()))));
        // The latest first; the one before it is the backup.
        let latest = versions.iter().position(|v| v.is_latest() == Some(true)).unwrap_or(0);
        let Some(prev) = versions.get(latest + 1) else {
            return Ok(None);
        };
        let got = sh
            .s3
            .get_object()
            .bucket(&sh.bucket)
            .key(&self.key)
            .set_version_id(prev.version_id().map(str::to_string))
            .send()
            .await
            .map_err(|e| io(&self.location, "reading the previous version of", e))?;
        read_body(got, &self.location).await.map(Some)
    }

    async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>, BackendError> {
        if !self.shared.use_lockfile {
            return Ok(None);
        }
        let lease = self.shared.lease;
        let start = Instant::now();
        let shown = format!("s3://{}/{}", self.shared.bucket, self.lock_key);
        loop {
            // Someone's lock is there: a conditional create would fail anyway, and a service that ignores
            // conditions would overwrite it.
            let holder = match self.read_lock().await? {
                Some((h, etag)) if h.id == info.id => {
                    self.hold(info, etag, lease);
                    return Ok(None);
                }
                Some((h, _)) => Some(h),
                None => {
                    let body = self.lock_body(info, lease);
                    match self.put_request(&self.lock_key, body).if_none_match("*").send().await {
                        Ok(_) => {}
                        Err(e) if is_precondition(&e) => {}
                        Err(e) => return Err(io(&shown, "creating the lock", e)),
                    }
                    // Read it back, twice: whoever it names holds it. This settles a create the SDK
                    // retried after it had succeeded, and a race on a service whose conditional writes are
                    // not atomic.
                    let first = self.read_lock().await?;
                    let settled = match first {
                        Some((h, _)) if h.id == info.id => {
                            tokio::time::sleep(SETTLE).await;
                            self.read_lock().await?
                        }
                        other => other,
                    };
                    match settled {
                        Some((h, etag)) if h.id == info.id => {
                            self.hold(info, etag, lease);
                            return Ok(None);
                        }
                        Some((h, _)) => Some(h),
                        // Released meanwhile: try again at once.
                        None => continue,
                    }
                }
            };
            if let Some(holder) = holder {
                if let Some(expired_for) = holder.expired_for() {
                    return Err(BackendError::StaleLock {
                        info: Box::new(holder),
                        expired_for,
                    });
                }
                if start.elapsed() >= timeout {
                    return Err(BackendError::Locked { info: Box::new(holder) });
                }
            }
            tokio::time::sleep(
                Duration::from_millis(500)
                    .min(timeout.saturating_sub(start.elapsed()))
                    .max(Duration::from_millis(50)),
            )
            .await;
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), BackendError> {
        if !self.shared.use_lockfile {
            return Ok(());
        }
        let shown = format!("s3://{}/{}", self.shared.bucket, self.lock_key);
        let Some((holder, etag)) = self.read_lock().await? else {
            self.stop_renewal(id);
            return Err(BackendError::NoSuchLock {
                id: id.into(),
                held: None,
            });
        };
        if holder.id != id {
            return Err(BackendError::NoSuchLock {
                id: id.into(),
                held: Some(holder.id),
            });
        }
        self.stop_renewal(id);
        let sh = &self.shared;
        let conditional = sh
            .s3
            .delete_object()
            .bucket(&sh.bucket)
            .key(&self.lock_key)
            .if_match(etag)
            .send()
            .await;
        match conditional {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            // Renewed between our read and the delete: read again.
            Err(e) if is_precondition(&e) => Box::pin(self.unlock(id)).await,
            // Services without conditional deletes (501 NotImplemented, 400): delete plainly; the ID was
            // checked just before.
            Err(e) if matches!(status_of(&e), Some(501 | 400)) => sh
                .s3
                .delete_object()
                .bucket(&sh.bucket)
                .key(&self.lock_key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| io(&shown, "removing the lock", e)),
            Err(e) => Err(io(&shown, "removing the lock", e)),
        }
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, BackendError> {
        if !self.shared.use_lockfile {
            return Ok(None);
        }
        Ok(self.read_lock().await?.map(|(l, _)| l))
    }
}

/// The S3 backend type, for the binary to hand to the engine.
pub fn backend_type() -> Arc<dyn BackendType> {
    Arc::new(S3BackendType::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_terraforms_workspace_layout() {
        let sh = |prefix: &str| Shared {
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::new()
                    .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                    .region(aws_sdk_s3::config::Region::new("us-east-1"))
                    .build(),
            ),
            bucket: "b".into(),
            key: "stack/terraform.tfstate".into(),
            prefix: prefix.into(),
            sse: None,
            acl: None,
            use_lockfile: true,
            lease: DEFAULT_LEASE,
        };
        assert_eq!(sh("env:").state_key("default"), "stack/terraform.tfstate");
        assert_eq!(sh("env:").state_key("stage"), "env:/stage/stack/terraform.tfstate");
        assert_eq!(sh("teams/a").state_key("prod"), "teams/a/prod/stack/terraform.tfstate");
    }
}
