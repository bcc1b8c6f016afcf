//! `blk`: a provider for the language tests whose resource has every shape of nested block — a set
//! (`ingress`), a list with a nested list (`rule` → `target`), a list limited to one (`settings`), a
//! single block (`meta`) — plus a sensitive argument, and a data source (`blk_echo`) that returns its
//! input, so that fixtures get known values of any shape at plan time.

use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, DataSourceType, NestedBlock, OpContext, Provider, ProviderClient, ProviderSchema, Registry,
    ResourceType, Result, Schema, Type, Value,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Store {
    objects: Mutex<BTreeMap<String, Value>>,
    next: AtomicU64,
}

pub struct BlkProvider {
    store: Arc<Store>,
    registry: Arc<Registry<Arc<Store>>>,
    schema: ProviderSchema,
}

impl BlkProvider {
    pub fn new() -> Arc<BlkProvider> {
        let registry = Registry::new().resource(Group).data_source(Echo);
        let schema = registry.schema(Block::new());
        Arc::new(BlkProvider {
            store: Arc::new(Store::default()),
            registry: Arc::new(registry),
            schema,
        })
    }
}

#[async_trait]
impl Provider for BlkProvider {
    fn name(&self) -> &'static str {
        "blk"
    }
    fn source(&self) -> &'static str {
        "infra/blk"
    }

    fn version(&self) -> &'static str {
        "1.0.0"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    async fn configure(&self, _config: &Value) -> Result<Arc<dyn ProviderClient>> {
        Ok(self.registry.client(self.store.clone()))
    }
}

struct Group;

#[async_trait]
impl ResourceType<Arc<Store>> for Group {
    fn name(&self) -> &'static str {
        "blk_group"
    }
    fn schema(&self) -> Schema {
        let target = Block::new()
            .attr("key", Attribute::required(Type::String))
            .attr("values", Attribute::optional(Type::string_list()));
        Schema::new(
            Block::new()
                .id()
                .attr("name", Attribute::optional(Type::String))
                .attr("password", Attribute::optional(Type::String).sensitive())
                .attr("labels", Attribute::optional(Type::string_map()))
                .block(
                    "ingress",
                    NestedBlock::set(
                        Block::new()
                            .attr("from_port", Attribute::required(Type::Number))
                            .attr("to_port", Attribute::required(Type::Number))
                            .attr("protocol", Attribute::optional(Type::String).default("tcp"))
                            .attr("cidr_blocks", Attribute::optional(Type::string_list()))
                            .attr("description", Attribute::optional(Type::String)),
                    ),
                )
                .block(
                    "rule",
                    NestedBlock::list(
                        Block::new()
                            .attr("priority", Attribute::required(Type::Number))
                            .attr("action", Attribute::optional(Type::String))
                            .block("target", NestedBlock::list(target)),
                    ),
                )
                .block(
                    "settings",
                    NestedBlock::list(
                        Block::new()
                            .attr("enabled", Attribute::optional(Type::Bool))
                            .attr("level", Attribute::optional(Type::Number)),
                    )
                    .max(1),
                )
                .block(
                    "meta",
                    NestedBlock::single(Block::new().attr("owner", Attribute::optional(Type::String))),
                ),
        )
    }
    async fn read(&self, s: &Arc<Store>, prior: &Value) -> Result<Option<Value>> {
        let id = prior.get_str("id").unwrap_or_default();
        Ok(s.objects.lock().unwrap().get(id).cloned())
    }
    async fn create(&self, s: &Arc<Store>, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let id = format!("grp-{}", s.next.fetch_add(1, Ordering::SeqCst) + 1);
        let mut v = planned.clone();
        v.set_attr("id", Value::string(id.clone()));
        s.objects.lock().unwrap().insert(id, v.clone());
        Ok(v)
    }
    async fn update(&self, s: &Arc<Store>, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let mut v = planned.clone();
        v.set_attr("id", prior.get("id").cloned().unwrap_or_default());
        let id = prior.get_str("id").unwrap_or_default().to_string();
        s.objects.lock().unwrap().insert(id, v.clone());
        Ok(v)
    }
    async fn delete(&self, s: &Arc<Store>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        s.objects
            .lock()
            .unwrap()
            .remove(prior.get_str("id").unwrap_or_default());
        Ok(())
    }
}

/// `data "blk_echo" "x" { input = ... }`: `output` is `input`, `id` is `"echo"`.
struct Echo;

#[async_trait]
impl DataSourceType<Arc<Store>> for Echo {
    fn name(&self) -> &'static str {
        "blk_echo"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("input", Attribute::optional(Type::Any))
                .attr("output", Attribute::computed(Type::Any)),
        )
    }
    async fn read(&self, _s: &Arc<Store>, config: &Value) -> Result<Value> {
        let input = config.get("input").cloned().unwrap_or_default();
        Ok(Value::map([
            ("id", Value::string("echo")),
            ("input", input.clone()),
            ("output", input),
        ]))
    }
}
