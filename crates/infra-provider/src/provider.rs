//! The traits between the engine and a provider, and what travels across them.
//!
//! The engine holds one [`Provider`] per provider name (`aws`, `digitalocean`). Each `provider` block of a
//! configuration (with or without `alias`) is turned into a [`ProviderClient`] by [`Provider::configure`].
//! Every operation on a resource goes through that client. Values crossing these traits carry no
//! sensitive marks and, for `create`/`update`, no unknowns except computed attributes the provider fills.

use crate::schema::ProviderSchema;
use crate::value::{Path, Value};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Tag key holding the resource address on every taggable resource infra creates.
pub const TAG_ADDRESS: &str = "infra:address";
/// Tag key holding the state lineage on every taggable resource infra creates.
pub const TAG_LINEAGE: &str = "infra:lineage";

/// Whether a provider error says something does not exist, timed out, or is anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Other,
    NotFound,
    Timeout,
    /// The provider's own configuration is wrong (bad region, missing token).
    Config,
    /// Refused by the caller's request before any API call (e.g. a plan-time check).
    Invalid,
    /// The call may or may not have taken effect: the connection broke or timed out after the request
    /// was written, or the cloud answered 5xx. For a create, the engine keeps the intent and asks
    /// [`ProviderClient::find_created`] before creating again.
    Ambiguous,
}

/// An error from a provider, with the cloud's own code, message and request id when there are any.
#[derive(Clone, Debug)]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The cloud's error code (`InvalidVpcID.NotFound`, `unprocessable_entity`).
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// The API call that failed (`ec2:CreateVpc`, `POST /v2/droplets`).
    pub operation: Option<String>,
    /// Set when the object was created but a later step failed (e.g. it never became ready): the engine
    /// keeps it in state, marked tainted, so that nothing is orphaned.
    pub partial: Option<Box<Value>>,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Other,
            code: None,
            message: message.into(),
            request_id: None,
            operation: None,
            partial: None,
        }
    }
    pub fn api(code: impl Into<String>, message: impl Into<String>) -> ProviderError {
        ProviderError {
            code: Some(code.into()),
            ..ProviderError::new(message)
        }
    }
    pub fn not_found(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::NotFound,
            ..ProviderError::new(message)
        }
    }
    pub fn invalid(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Invalid,
            ..ProviderError::new(message)
        }
    }
    pub fn config(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Config,
            ..ProviderError::new(message)
        }
    }
    pub fn timeout(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Timeout,
            ..ProviderError::new(message)
        }
    }
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }
    pub fn with_operation(mut self, op: impl Into<String>) -> Self {
        self.operation = Some(op.into());
        self
    }
    pub fn with_partial(mut self, v: Value) -> Self {
        self.partial = Some(Box::new(v));
        self
    }
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
    pub fn ambiguous(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Ambiguous,
            ..ProviderError::new(message)
        }
    }
    pub fn is_ambiguous(&self) -> bool {
        self.kind == ErrorKind::Ambiguous
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message)?,
            None => write!(f, "{}", self.message)?,
        }
        match (&self.operation, &self.request_id) {
            (Some(op), Some(id)) => write!(f, " (API call {op}, request id {id})")?,
            (Some(op), None) => write!(f, " (API call {op})")?,
            (None, Some(id)) => write!(f, " (request id {id})")?,
            (None, None) => {}
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

pub type Result<T, E = ProviderError> = std::result::Result<T, E>;

/// What the engine lends a provider while an operation waits: sleeping through [`OpContext::sleep`]
/// gives the operation's parallelism slot back to independent work until the sleep ends.
#[async_trait]
pub trait Pauser: Send + Sync {
    async fn pause(&self, d: Duration);
}

struct PlainSleep;

#[async_trait]
impl Pauser for PlainSleep {
    async fn pause(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// Context of one create/update/delete call.
#[derive(Clone)]
pub struct OpContext {
    /// The resource instance address, e.g. `aws_subnet.private["a"]`.
    pub address: String,
    /// The state's lineage (UUID).
    pub lineage: String,
    /// Stable across reruns of an interrupted create (kept in state with the create intent): pass it as
    /// the API's idempotency/client token where there is one.
    pub client_token: String,
    /// How long this operation may take, from the schema's defaults or the `timeouts` block.
    pub timeout: Duration,
    /// First poll interval of readiness waits; waits back off from here.
    pub poll_interval: Duration,
    pauser: Arc<dyn Pauser>,
    status: Arc<Mutex<Option<String>>>,
}

impl fmt::Debug for OpContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpContext")
            .field("address", &self.address)
            .field("lineage", &self.lineage)
            .finish()
    }
}

impl OpContext {
    pub fn new(
        address: impl Into<String>,
        lineage: impl Into<String>,
        client_token: impl Into<String>,
        timeout: Duration,
    ) -> OpContext {
        OpContext {
            address: address.into(),
            lineage: lineage.into(),
            client_token: client_token.into(),
            timeout,
            poll_interval: default_poll_interval(),
            pauser: Arc::new(PlainSleep),
            status: Arc::new(Mutex::new(None)),
        }
    }
    pub fn with_pauser(mut self, p: Arc<dyn Pauser>) -> Self {
        self.pauser = p;
        self
    }
    /// Tags that identify what infra created, so an interrupted create is found and adopted.
    pub fn ownership_tags(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (TAG_ADDRESS.to_string(), self.address.clone()),
            (TAG_LINEAGE.to_string(), self.lineage.clone()),
        ])
    }
    /// Sleeps without holding a parallelism slot.
    pub async fn sleep(&self, d: Duration) {
        self.pauser.pause(d).await;
    }
    /// Sets a short status shown with the engine's progress lines ("status: creating").
    pub fn set_status(&self, s: impl Into<String>) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = Some(s.into());
    }
    pub fn status(&self) -> Option<String> {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The first poll interval of readiness waits: `INFRA_POLL_INTERVAL_MS` (tests set it low), else 2 s.
pub fn default_poll_interval() -> Duration {
    std::env::var("INFRA_POLL_INTERVAL_MS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(2))
}

/// What [`ProviderClient::plan`] may adjust after the engine's generic diff.
pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// The current (refreshed) object, `None` when creating.
    pub prior: Option<&'a Value>,
    /// The configuration as written (nulls where arguments are left out).
    pub config: &'a Value,
    /// The engine's proposal: configuration merged with prior computed attributes; unknown where the
    /// cloud will decide. The provider may fill or mark values unknown here.
    pub planned: &'a mut Value,
    /// Attributes that force replacement; the provider may add (never needs to remove) paths.
    pub requires_replace: &'a mut Vec<Path>,
}

/// A configured provider: every operation the engine performs on resources and data sources.
#[async_trait]
pub trait ProviderClient: Send + Sync {
    /// Adjusts a planned change (custom diff rules, `tags_all`, plan-time validation). Performs no I/O.
    fn plan(&self, req: PlanRequest<'_>) -> Result<()>;

    /// Reads current objects, in batches where the API allows. Results align with `priors`; `Ok(None)`
    /// means the object no longer exists.
    async fn read(&self, type_name: &str, priors: &[Value]) -> Vec<Result<Option<Value>>>;

    /// Reads every object of a refresh at once: `batches` are (type, priors) pairs, the answer aligns with
    /// them. `lineage` is the state's (what `infra:lineage` tags hold). The default reads each type with
    /// [`read`](Self::read), all concurrently; providers override it to share calls across types.
    async fn refresh(&self, lineage: &str, batches: &[(String, Vec<Value>)]) -> Vec<Vec<Result<Option<Value>>>> {
        let _ = lineage;
        futures::future::join_all(batches.iter().map(|(t, priors)| self.read(t, priors))).await
    }

    async fn create(&self, ctx: &OpContext, type_name: &str, planned: &Value) -> Result<Value>;
    async fn update(&self, ctx: &OpContext, type_name: &str, prior: &Value, planned: &Value) -> Result<Value>;
    async fn delete(&self, ctx: &OpContext, type_name: &str, prior: &Value) -> Result<()>;

    /// Reads an existing object by its import ID (`infra import ADDR ID`).
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>>;

    /// Finds an object a previous, interrupted create made (by ownership tags, client token or unique
    /// name), so it is adopted instead of created twice.
    async fn find_created(&self, ctx: &OpContext, type_name: &str, planned: &Value) -> Result<Option<Value>>;

    /// The steps of a create that an object found by [`find_created`](Self::find_created) shows are not
    /// done yet (`planned` is what the interrupted create was asked to make). No I/O: the planner calls it.
    /// Empty means the object is finished.
    fn unfinished(&self, type_name: &str, found: &Value, planned: &Value) -> Vec<String> {
        let _ = (type_name, found, planned);
        Vec::new()
    }

    /// Does the steps of a create that a found object has not had (see [`unfinished`](Self::unfinished)),
    /// then brings it to `planned` as an update would. Returns the object as it now is.
    async fn finish_create(&self, ctx: &OpContext, type_name: &str, found: &Value, planned: &Value) -> Result<Value> {
        self.update(ctx, type_name, found, planned).await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value>;

    /// Opens an ephemeral resource (see [`EphemeralType`](crate::EphemeralType)): `config` is wholly
    /// known. The answer is never kept.
    async fn open_ephemeral(&self, type_name: &str, config: &Value) -> Result<Value> {
        let _ = config;
        Err(ProviderError::invalid(format!(
            "ephemeral resource type {type_name:?} is not supported by this provider"
        )))
    }
}

/// A provider: its schema, and how to configure it from a `provider` block.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's local name, the prefix of its type names (`aws`).
    fn name(&self) -> &'static str;
    fn schema(&self) -> &ProviderSchema;
    /// The registry address of the Terraform provider whose resource types this one implements
    /// (`hashicorp/aws`): what a `required_providers` entry's `source` must name.
    fn source(&self) -> &'static str;
    /// The version of that Terraform provider whose arguments and behaviour this one follows, checked
    /// against `required_providers` version constraints.
    fn version(&self) -> &'static str;
    /// Builds a client from the provider block's (fully known) configuration.
    async fn configure(&self, config: &Value) -> Result<Arc<dyn ProviderClient>>;

    /// A resource type's own checks of a configuration, before any provider is configured (see
    /// [`ResourceType::validate`](crate::ResourceType::validate)). The default finds nothing.
    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<crate::Invalid> {
        let _ = (type_name, config);
        Vec::new()
    }

    /// The region whose prices apply to this configuration, for offline cost estimates. Must not call the
    /// cloud. The default is the block's `region` argument.
    fn pricing_region(&self, config: &Value) -> Option<String> {
        config.get_str("region").map(str::to_string)
    }

    /// The provider's price list API, for `infra cost refresh-prices`, configured from a `provider` block
    /// (credentials and endpoints as for resources). `None` when the provider has none.
    async fn price_list(&self, config: &Value) -> Result<Option<Arc<dyn PriceList>>> {
        let _ = config;
        Ok(None)
    }
}

/// One question to a provider's price list: which products of which service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceQuery {
    /// AWS: the Price List service code (`AmazonRDS`); DigitalOcean: `sizes`.
    pub service: String,
    /// Product attribute → value, all of which must match (AWS `TERM_MATCH` filters).
    pub filters: Vec<(String, String)>,
}

/// A provider's price list API, read by `infra cost refresh-prices`.
#[async_trait]
pub trait PriceList: Send + Sync {
    /// Every product matching the query, all pages, as the API writes them (AWS: Price List documents;
    /// DigitalOcean: the objects of `GET /v2/sizes`).
    async fn products(&self, query: &PriceQuery) -> Result<Vec<serde_json::Value>>;
}
