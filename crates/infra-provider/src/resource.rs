//! Writing a provider: one [`ResourceType`] per resource type (one file each), one [`DataSourceType`] per data
//! source, gathered in a [`Registry`] that implements [`ProviderClient`] for a provider-specific client `C`
//! (the configured SDK clients, region, default tags...).

use crate::check::Invalid;
use crate::provider::{OpContext, PlanRequest, ProviderClient, ProviderError, Result};
use crate::refresh::Refresh;
use crate::schema::{ProviderSchema, Schema};
use crate::value::Value;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One resource type of a provider. `C` is the provider's configured client.
#[async_trait]
pub trait ResourceType<C: Send + Sync>: Send + Sync {
    /// The Terraform type name, e.g. `aws_vpc`.
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks of a configuration that need more than one argument's value (conflicts, rules between
    /// arguments). No I/O, no client: the engine calls it before configuring any provider, with the values
    /// known then (unknown ones must pass), and again at plan time with every value known.
    fn validate(&self, _config: &Value) -> Vec<Invalid> {
        Vec::new()
    }

    /// Custom diff rules on top of the engine's generic diff. No I/O.
    fn plan(&self, _client: &C, _req: &mut PlanRequest<'_>) -> Result<()> {
        Ok(())
    }

    /// Reads one object; `Ok(None)` when it is gone.
    async fn read(&self, client: &C, prior: &Value) -> Result<Option<Value>>;

    /// Reads many objects. Override with the API's batch form (many IDs per call, filters, pagination);
    /// the default reads one at a time, a few in flight.
    async fn read_many(&self, client: &C, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for chunk in priors.chunks(8) {
            let reads: Vec<_> = chunk.iter().map(|p| self.read(client, p)).collect();
            out.extend(futures::future::join_all(reads).await);
        }
        out
    }

    async fn create(&self, client: &C, ctx: &OpContext, planned: &Value) -> Result<Value>;

    async fn update(&self, _client: &C, _ctx: &OpContext, _prior: &Value, _planned: &Value) -> Result<Value> {
        Err(ProviderError::new(format!(
            "{} does not support in-place update",
            self.name()
        )))
    }

    async fn delete(&self, client: &C, ctx: &OpContext, prior: &Value) -> Result<()>;

    /// Reads an existing object by import ID. The default treats the ID as the `id` attribute.
    async fn import(&self, client: &C, id: &str) -> Result<Option<Value>> {
        self.read(client, &Value::map([("id", Value::string(id))])).await
    }

    /// Finds what an interrupted create made. The default finds nothing: override for every type whose
    /// create is not naturally idempotent.
    async fn find_created(&self, _client: &C, _ctx: &OpContext, _planned: &Value) -> Result<Option<Value>> {
        Ok(None)
    }

    /// The create steps a found object has not had (see [`ProviderClient::unfinished`]). The default:
    /// none — the type's create is one call, or `find_created` only finds finished objects.
    fn unfinished(&self, _found: &Value, _planned: &Value) -> Vec<String> {
        Vec::new()
    }

    /// Finishes a found object's create (see [`ProviderClient::finish_create`]). The default updates it
    /// to the planned values.
    async fn finish_create(&self, client: &C, ctx: &OpContext, found: &Value, planned: &Value) -> Result<Value> {
        self.update(client, ctx, found, planned).await
    }
}

/// One data source of a provider.
#[async_trait]
pub trait DataSourceType<C: Send + Sync>: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn read(&self, client: &C, config: &Value) -> Result<Value>;
}

/// An ephemeral resource type (`ephemeral "aws_secretsmanager_secret_version" "db" {}`): a value read
/// from (or made by) the cloud each time it is needed, at plan and again at apply, and never kept in a
/// plan file or the state. Opening has no effect the cloud keeps.
#[async_trait]
pub trait EphemeralType<C: Send + Sync>: Send + Sync {
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Opens the resource: `config` is the block's arguments (wholly known); the answer is the object of
    /// every attribute.
    async fn open(&self, client: &C, config: &Value) -> Result<Value>;
}

/// Makes the client one refresh's types read with (it can then share calls, see [`Refresh`]).
type Scope<C> = Arc<dyn Fn(&C, Arc<Refresh>) -> C + Send + Sync>;

/// All resource types and data sources of a provider.
pub struct Registry<C: Send + Sync + 'static> {
    resources: BTreeMap<&'static str, Arc<dyn ResourceType<C>>>,
    /// Each resource type's schema, made once at registration (plan-time checks use it).
    schemas: BTreeMap<&'static str, Schema>,
    data_sources: BTreeMap<&'static str, Arc<dyn DataSourceType<C>>>,
    ephemeral: BTreeMap<&'static str, Arc<dyn EphemeralType<C>>>,
    scope: Option<Scope<C>>,
}

impl<C: Send + Sync + 'static> Default for Registry<C> {
    fn default() -> Self {
        Registry {
            resources: BTreeMap::new(),
            schemas: BTreeMap::new(),
            data_sources: BTreeMap::new(),
            ephemeral: BTreeMap::new(),
            scope: None,
        }
    }
}

impl<C: Send + Sync + 'static> Registry<C> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn resource(mut self, r: impl ResourceType<C> + 'static) -> Self {
        self.schemas.insert(r.name(), r.schema());
        self.resources.insert(r.name(), Arc::new(r));
        self
    }
    /// Registers `alias` as a second name of the registered type `of`: same schema, same
    /// implementation (Terraform's `aws_alb` for `aws_lb`).
    ///
    /// # Panics
    /// When `of` is not registered: a mistake in the provider's registration, found by its tests.
    pub fn alias(mut self, alias: &'static str, of: &'static str) -> Self {
        let r = self.resources.get(of).cloned().expect("an alias of a registered type");
        self.schemas.insert(alias, r.schema());
        self.resources.insert(alias, r);
        self
    }
    pub fn data_source(mut self, d: impl DataSourceType<C> + 'static) -> Self {
        self.data_sources.insert(d.name(), Arc::new(d));
        self
    }
    pub fn ephemeral(mut self, e: impl EphemeralType<C> + 'static) -> Self {
        self.ephemeral.insert(e.name(), Arc::new(e));
        self
    }
    /// How to make the client that the types of one refresh read with: `scope` gets the configured client
    /// and the [`Refresh`], and returns a client that knows it (so reads can share calls through
    /// [`Refresh::once`]). Without one, every type reads with the configured client.
    pub fn refresh_scope(mut self, scope: impl Fn(&C, Arc<Refresh>) -> C + Send + Sync + 'static) -> Self {
        self.scope = Some(Arc::new(scope));
        self
    }
    /// The provider schema, given the provider block's own schema.
    pub fn schema(&self, provider: crate::schema::Block) -> ProviderSchema {
        ProviderSchema {
            provider,
            resources: self
                .resources
                .iter()
                .map(|(k, r)| (k.to_string(), r.schema()))
                .collect(),
            data_sources: self
                .data_sources
                .iter()
                .map(|(k, d)| (k.to_string(), d.schema()))
                .collect(),
            ephemeral_resources: self
                .ephemeral
                .iter()
                .map(|(k, e)| (k.to_string(), e.schema()))
                .collect(),
        }
    }
    /// The type's own checks of a configuration (see [`ResourceType::validate`]); nothing for a type the
    /// registry does not have (the engine reports those by themselves).
    pub fn validate(&self, type_name: &str, config: &Value) -> Vec<Invalid> {
        self.resources
            .get(type_name)
            .map(|r| r.validate(config))
            .unwrap_or_default()
    }
    pub fn get(&self, type_name: &str) -> Result<&Arc<dyn ResourceType<C>>> {
        self.resources.get(type_name).ok_or_else(|| {
            ProviderError::invalid(format!("resource type {type_name:?} is not supported by this provider"))
        })
    }
    pub fn get_data(&self, type_name: &str) -> Result<&Arc<dyn DataSourceType<C>>> {
        self.data_sources.get(type_name).ok_or_else(|| {
            ProviderError::invalid(format!("data source {type_name:?} is not supported by this provider"))
        })
    }
    pub fn get_ephemeral(&self, type_name: &str) -> Result<&Arc<dyn EphemeralType<C>>> {
        self.ephemeral.get(type_name).ok_or_else(|| {
            ProviderError::invalid(format!(
                "ephemeral resource type {type_name:?} is not supported by this provider"
            ))
        })
    }
    /// A [`ProviderClient`] over this registry and a configured client.
    pub fn client(self: &Arc<Self>, client: C) -> Arc<dyn ProviderClient> {
        Arc::new(Configured {
            registry: self.clone(),
            client,
        })
    }
}

struct Configured<C: Send + Sync + 'static> {
    registry: Arc<Registry<C>>,
    client: C,
}

#[async_trait]
impl<C: Send + Sync + 'static> ProviderClient for Configured<C> {
    fn plan(&self, mut req: PlanRequest<'_>) -> Result<()> {
        let t = self.registry.get(req.type_name)?;
        let mut bad = match self.registry.schemas.get(req.type_name) {
            Some(schema) => crate::check::check_block(&schema.block, req.config),
            None => Vec::new(),
        };
        bad.extend(t.validate(req.config));
        if let Some(bad) = bad.into_iter().next() {
            return Err(ProviderError::invalid(match bad.attribute {
                Some(a) => format!("{a}: {}", bad.message),
                None => bad.message,
            }));
        }
        t.plan(&self.client, &mut req)
    }

    async fn read(&self, type_name: &str, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match self.registry.get(type_name) {
            Ok(r) => r.read_many(&self.client, priors).await,
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn refresh(&self, lineage: &str, batches: &[(String, Vec<Value>)]) -> Vec<Vec<Result<Option<Value>>>> {
        let scoped = self.registry.scope.as_ref().map(|scope| {
            let by_type = batches
                .iter()
                .fold(BTreeMap::new(), |mut m: BTreeMap<String, Vec<Value>>, (t, p)| {
                    m.entry(t.clone()).or_default().extend(p.iter().cloned());
                    m
                });
            scope(&self.client, Arc::new(Refresh::new(lineage, by_type)))
        });
        let client = scoped.as_ref().unwrap_or(&self.client);
        let reads = batches.iter().map(|(type_name, priors)| async move {
            match self.registry.get(type_name) {
                Ok(r) => r.read_many(client, priors).await,
                Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
            }
        });
        futures::future::join_all(reads).await
    }

    async fn create(&self, ctx: &OpContext, type_name: &str, planned: &Value) -> Result<Value> {
        self.registry.get(type_name)?.create(&self.client, ctx, planned).await
    }

    async fn update(&self, ctx: &OpContext, type_name: &str, prior: &Value, planned: &Value) -> Result<Value> {
        self.registry
            .get(type_name)?
            .update(&self.client, ctx, prior, planned)
            .await
    }

    async fn delete(&self, ctx: &OpContext, type_name: &str, prior: &Value) -> Result<()> {
        self.registry.get(type_name)?.delete(&self.client, ctx, prior).await
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>> {
        self.registry.get(type_name)?.import(&self.client, id).await
    }

    async fn find_created(&self, ctx: &OpContext, type_name: &str, planned: &Value) -> Result<Option<Value>> {
        self.registry
            .get(type_name)?
            .find_created(&self.client, ctx, planned)
            .await
    }

    fn unfinished(&self, type_name: &str, found: &Value, planned: &Value) -> Vec<String> {
        match self.registry.get(type_name) {
            Ok(t) => t.unfinished(found, planned),
            Err(_) => Vec::new(),
        }
    }

    async fn finish_create(&self, ctx: &OpContext, type_name: &str, found: &Value, planned: &Value) -> Result<Value> {
        self.registry
            .get(type_name)?
            .finish_create(&self.client, ctx, found, planned)
            .await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value> {
        self.registry.get_data(type_name)?.read(&self.client, config).await
    }

    async fn open_ephemeral(&self, type_name: &str, config: &Value) -> Result<Value> {
        self.registry.get_ephemeral(type_name)?.open(&self.client, config).await
    }
}
