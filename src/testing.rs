//! An in-memory provider for the engine's own tests and benchmarks: a small fake cloud whose objects live
//! in a map, with types shaped like real ones (`fake_network` ≈ VPC, `fake_subnet` ≈ subnet,
//! `fake_secret` with a sensitive value, `fake_waiter` that waits for readiness, `fake_gateway` whose create
//! is two steps, like a security group's, `fake_login` whose password is write-only as a database's
//! `password_wo`), a data source and an ephemeral resource (`fake_password`). Fault hooks on [`Cloud`] make creates end
//! ambiguously, as a reset connection or a 5xx answer does.
//! Nothing here is used by the `infra` binary.

use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, DataSourceType, EphemeralType, OpContext, Poll, Provider, ProviderClient, ProviderError,
    ProviderSchema, Registry, ResourceType, Result, Schema, Timeouts, Type, Value, wait_for,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The fake cloud: objects by ID, and counters tests can read.
#[derive(Default)]
pub struct Cloud {
    pub objects: Mutex<BTreeMap<String, Value>>,
    next: AtomicU64,
    pub reads: AtomicUsize,
    pub read_calls: AtomicUsize,
    pub creates: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// How long each create of a network or subnet takes (zero by default), as a cloud API would.
    pub create_latency: Mutex<Duration>,
    /// The next this-many creates take effect, then answer an ambiguous error (a reset after the
    /// request reached the cloud).
    pub ambiguous_after: AtomicUsize,
    /// The next this-many creates answer an ambiguous error and make nothing (a reset before).
    pub ambiguous_before: AtomicUsize,
    /// The next this-many `fake_gateway` creates stop after their first step, ambiguously.
    pub stop_between_steps: AtomicUsize,
    /// The next this-many creates take effect, and then answer "already exists", as a resent request
    /// whose first attempt's answer was lost does.
    pub resent_after: AtomicUsize,
    /// The next this-many creates answer "already exists" and make nothing (another's object has the name).
    pub name_taken: AtomicUsize,
    /// How many times `fake_password` (an ephemeral resource) was opened.
    pub ephemeral_opens: AtomicUsize,
}

/// Takes one from a fault counter; true if it was positive.
fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

fn reset_error() -> ProviderError {
    ProviderError::ambiguous("connection reset by peer (fake fault)")
}

impl Cloud {
    async fn take_time(&self) {
        let d = *self.create_latency.lock().unwrap();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }
    fn id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next.fetch_add(1, Ordering::SeqCst) + 1)
    }
    pub fn count(&self, prefix: &str) -> usize {
        self.objects
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .count()
    }
    pub fn get(&self, id: &str) -> Option<Value> {
        self.objects.lock().unwrap().get(id).cloned()
    }
    /// Changes an object behind infra's back.
    pub fn tamper(&self, id: &str, key: &str, v: Value) {
        if let Some(o) = self.objects.lock().unwrap().get_mut(id) {
            o.set_attr(key, v);
        }
    }
    pub fn remove(&self, id: &str) {
        self.objects.lock().unwrap().remove(id);
    }
}

pub struct FakeProvider {
    pub cloud: Arc<Cloud>,
    registry: Arc<Registry<Arc<Cloud>>>,
    schema: ProviderSchema,
}

impl FakeProvider {
    pub fn new() -> Arc<FakeProvider> {
        let registry = Registry::new()
            .resource(Network)
            .resource(Subnet)
            .resource(Secret)
            .resource(Waiter)
            .resource(Gateway)
            .resource(Login)
            .data_source(Zones)
            .ephemeral(Password);
        let schema = registry.schema(
            Block::new()
                .attr("region", Attribute::optional(Type::String))
                .attr("fail_configure", Attribute::optional(Type::Bool)),
        );
        Arc::new(FakeProvider {
            cloud: Arc::new(Cloud::default()),
            registry: Arc::new(registry),
            schema,
        })
    }
}

#[async_trait]
impl Provider for FakeProvider {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn source(&self) -> &'static str {
        "infra/fake"
    }

    fn version(&self) -> &'static str {
        "1.0.0"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    async fn configure(&self, config: &Value) -> Result<Arc<dyn ProviderClient>> {
        if config.get_bool("fail_configure") == Some(true) {
            return Err(ProviderError::config("the fake provider was told to fail"));
        }
        Ok(self.registry.client(self.cloud.clone()))
    }
}

fn store(cloud: &Cloud, prefix: &str, planned: &Value, ctx: &OpContext) -> Result<Value> {
    if planned.get_str("name") == Some("fail") {
        return Err(ProviderError::api(
            "InvalidName",
            "the name \"fail\" is refused by the fake cloud",
        ));
    }
    if take(&cloud.ambiguous_before) {
        return Err(reset_error());
    }
    if take(&cloud.name_taken) {
        return Err(ProviderError::api(
            "InvalidObject.Duplicate",
            "an object of that name already exists (fake fault: not ours)",
        ));
    }
    let v = store_object(cloud, prefix, planned, ctx);
    if take(&cloud.ambiguous_after) {
        return Err(reset_error());
    }
    if take(&cloud.resent_after) {
        return Err(ProviderError::api(
            "InvalidObject.Duplicate",
            "the object already exists (fake fault: a resent create)",
        ));
    }
    Ok(v)
}

fn store_object(cloud: &Cloud, prefix: &str, planned: &Value, ctx: &OpContext) -> Value {
    let id = cloud.id(prefix);
    let mut v = planned.clone();
    v.set_attr("id", Value::string(id.clone()));
    v.set_attr("arn", Value::string(format!("arn:fake:{id}")));
    let mut tags = planned.get_string_map("tags");
    tags.extend(ctx.ownership_tags());
    v.set_attr("cloud_tags", Value::string_map(tags));
    if let Some(m) = v.as_map_mut() {
        for x in m.values_mut() {
            if x.is_unknown() {
                *x = Value::Null;
            }
        }
    }
    cloud.creates.fetch_add(1, Ordering::SeqCst);
    cloud.objects.lock().unwrap().insert(id, v.clone());
    without_cloud_tags(v)
}

fn without_cloud_tags(mut v: Value) -> Value {
    if let Some(m) = v.as_map_mut() {
        m.remove("cloud_tags");
    }
    v
}

async fn read_many(cloud: &Cloud, priors: &[Value]) -> Vec<Result<Option<Value>>> {
    cloud.read_calls.fetch_add(1, Ordering::SeqCst);
    let objects = cloud.objects.lock().unwrap();
    priors
        .iter()
        .map(|p| {
            cloud.reads.fetch_add(1, Ordering::SeqCst);
            Ok(p.get_str("id")
                .and_then(|id| objects.get(id))
                .cloned()
                .map(without_cloud_tags))
        })
        .collect()
}

fn find_by_tags(cloud: &Cloud, ctx: &OpContext) -> Option<Value> {
    let want = ctx.ownership_tags();
    cloud
        .objects
        .lock()
        .unwrap()
        .values()
        .find(|o| {
            want.iter()
                .all(|(k, v)| o.get("cloud_tags").and_then(|t| t.get_str(k)) == Some(v))
        })
        .cloned()
        .map(without_cloud_tags)
}

struct Network;

#[async_trait]
impl ResourceType<Arc<Cloud>> for Network {
    fn name(&self) -> &'static str {
        "fake_network"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("cidr_block", Attribute::required(Type::String).force_new())
                .attr("name", Attribute::optional(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("tags", Attribute::optional(Type::string_map())),
        )
    }
    async fn read(&self, c: &Arc<Cloud>, prior: &Value) -> Result<Option<Value>> {
        read_many(c, std::slice::from_ref(prior)).await.remove(0)
    }
    async fn read_many(&self, c: &Arc<Cloud>, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        read_many(c, priors).await
    }
    async fn create(&self, c: &Arc<Cloud>, ctx: &OpContext, planned: &Value) -> Result<Value> {
        c.in_flight.fetch_add(1, Ordering::SeqCst);
        c.max_in_flight
            .fetch_max(c.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
        c.take_time().await;
        let r = store(c, "net", planned, ctx);
        c.in_flight.fetch_sub(1, Ordering::SeqCst);
        r
    }
    async fn update(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = prior.get_str("id").unwrap_or_default().to_string();
        let mut objects = c.objects.lock().unwrap();
        let o = objects
            .get_mut(&id)
            .ok_or_else(|| ProviderError::api("NotFound", format!("network {id} does not exist")))?;
        for k in ["name", "tags"] {
            o.set_attr(k, planned.get(k).cloned().unwrap_or_default());
        }
        Ok(without_cloud_tags(o.clone()))
    }
    async fn delete(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = prior.get_str("id").unwrap_or_default();
        if c.objects
            .lock()
            .unwrap()
            .values()
            .any(|o| o.get_str("network_id") == Some(id))
        {
            return Err(ProviderError::api(
                "DependencyViolation",
                format!("network {id} has dependent subnets"),
            ));
        }
        c.remove(id);
        Ok(())
    }
    async fn find_created(&self, c: &Arc<Cloud>, ctx: &OpContext, _planned: &Value) -> Result<Option<Value>> {
        Ok(find_by_tags(c, ctx))
    }
}

struct Subnet;

#[async_trait]
impl ResourceType<Arc<Cloud>> for Subnet {
    fn name(&self) -> &'static str {
        "fake_subnet"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("network_id", Attribute::required(Type::String).force_new())
                .attr("cidr_block", Attribute::required(Type::String).force_new())
                .attr("zone", Attribute::optional_computed(Type::String).force_new())
                .attr("name", Attribute::optional(Type::String))
                .attr("arn", Attribute::computed(Type::String))
                .attr("tags", Attribute::optional(Type::string_map())),
        )
    }
    async fn read(&self, c: &Arc<Cloud>, prior: &Value) -> Result<Option<Value>> {
        read_many(c, std::slice::from_ref(prior)).await.remove(0)
    }
    async fn read_many(&self, c: &Arc<Cloud>, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        read_many(c, priors).await
    }
    async fn create(&self, c: &Arc<Cloud>, ctx: &OpContext, planned: &Value) -> Result<Value> {
        c.take_time().await;
        let net = planned.get_str("network_id").unwrap_or_default();
        if c.get(net).is_none() {
            return Err(ProviderError::api(
                "InvalidNetworkID.NotFound",
                format!("The network ID '{net}' does not exist"),
            ));
        }
        let mut p = planned.clone();
        if p.get("zone").is_none_or(Value::is_unknown) {
            p.set_attr("zone", Value::string("zone-a"));
        }
        store(c, "subnet", &p, ctx)
    }
    async fn update(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = prior.get_str("id").unwrap_or_default().to_string();
        let mut objects = c.objects.lock().unwrap();
        let o = objects
            .get_mut(&id)
            .ok_or_else(|| ProviderError::api("NotFound", format!("subnet {id} does not exist")))?;
        for k in ["name", "tags"] {
            o.set_attr(k, planned.get(k).cloned().unwrap_or_default());
        }
        Ok(without_cloud_tags(o.clone()))
    }
    async fn delete(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        c.remove(prior.get_str("id").unwrap_or_default());
        Ok(())
    }
    async fn find_created(&self, c: &Arc<Cloud>, ctx: &OpContext, _planned: &Value) -> Result<Option<Value>> {
        Ok(find_by_tags(c, ctx))
    }
}

struct Secret;

#[async_trait]
impl ResourceType<Arc<Cloud>> for Secret {
    fn name(&self) -> &'static str {
        "fake_secret"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("name", Attribute::required(Type::String).force_new())
                .attr("value", Attribute::required(Type::String).sensitive())
                .attr("arn", Attribute::computed(Type::String)),
        )
    }
    async fn read(&self, c: &Arc<Cloud>, prior: &Value) -> Result<Option<Value>> {
        read_many(c, std::slice::from_ref(prior)).await.remove(0)
    }
    async fn create(&self, c: &Arc<Cloud>, ctx: &OpContext, planned: &Value) -> Result<Value> {
        store(c, "secret", planned, ctx)
    }
    async fn update(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = prior.get_str("id").unwrap_or_default().to_string();
        let mut objects = c.objects.lock().unwrap();
        let o = objects
            .get_mut(&id)
            .ok_or_else(|| ProviderError::api("NotFound", "no such secret"))?;
        o.set_attr("value", planned.get("value").cloned().unwrap_or_default());
        Ok(without_cloud_tags(o.clone()))
    }
    async fn delete(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        c.remove(prior.get_str("id").unwrap_or_default());
        Ok(())
    }
}

/// Becomes ready after `polls` polls; holds no parallelism slot while waiting.
struct Waiter;

#[async_trait]
impl ResourceType<Arc<Cloud>> for Waiter {
    fn name(&self) -> &'static str {
        "fake_waiter"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("polls", Attribute::required(Type::Number))
                .attr("name", Attribute::optional(Type::String)),
        )
        .timeouts(Timeouts {
            create: Duration::from_secs(60),
            update: Duration::from_secs(60),
            delete: Duration::from_secs(60),
        })
    }
    async fn read(&self, c: &Arc<Cloud>, prior: &Value) -> Result<Option<Value>> {
        read_many(c, std::slice::from_ref(prior)).await.remove(0)
    }
    async fn create(&self, c: &Arc<Cloud>, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let polls = planned.get_i64("polls").unwrap_or(0);
        let v = store(c, "waiter", planned, ctx)?;
        c.in_flight.fetch_add(1, Ordering::SeqCst);
        c.max_in_flight
            .fetch_max(c.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
        let mut n = 0;
        let r = wait_for(ctx, "ready", || {
            n += 1;
            let k = n;
            async move {
                Ok(if k > polls {
                    Poll::Ready(())
                } else {
                    Poll::Pending("starting".into())
                })
            }
        })
        .await
        .map_err(|e| e.with_partial(v.clone()));
        c.in_flight.fetch_sub(1, Ordering::SeqCst);
        r?;
        Ok(v)
    }
    async fn delete(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        c.remove(prior.get_str("id").unwrap_or_default());
        Ok(())
    }
}

/// A create of two steps: the object is made (step 1), then attached (step 2), as a security group is
/// made and then loses its default egress rule. `find_created` finds it by its ownership tags whether
/// attached or not; `unfinished` tells which.
struct Gateway;

#[async_trait]
impl ResourceType<Arc<Cloud>> for Gateway {
    fn name(&self) -> &'static str {
        "fake_gateway"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("network_id", Attribute::required(Type::String).force_new())
                .attr("attachment", Attribute::computed(Type::String))
                .attr("arn", Attribute::computed(Type::String)),
        )
    }
    async fn read(&self, c: &Arc<Cloud>, prior: &Value) -> Result<Option<Value>> {
        read_many(c, std::slice::from_ref(prior)).await.remove(0)
    }
    async fn create(&self, c: &Arc<Cloud>, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let v = store(
            c,
            "gw",
            &planned.clone().with("attachment", Value::string("detached")),
            ctx,
        )?;
        if take(&c.stop_between_steps) {
            return Err(reset_error());
        }
        attach(c, &v)
    }
    async fn delete(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        c.remove(prior.get_str("id").unwrap_or_default());
        Ok(())
    }
    async fn find_created(&self, c: &Arc<Cloud>, ctx: &OpContext, _planned: &Value) -> Result<Option<Value>> {
        Ok(find_by_tags(c, ctx))
    }
    fn unfinished(&self, found: &Value, _planned: &Value) -> Vec<String> {
        if found.get_str("attachment") == Some("attached") {
            Vec::new()
        } else {
            vec!["attach the gateway to its network".to_string()]
        }
    }
    async fn finish_create(&self, c: &Arc<Cloud>, _ctx: &OpContext, found: &Value, _planned: &Value) -> Result<Value> {
        attach(c, found)
    }
}

fn attach(c: &Cloud, gw: &Value) -> Result<Value> {
    let id = gw.get_str("id").unwrap_or_default().to_string();
    let mut objects = c.objects.lock().unwrap();
    let o = objects
        .get_mut(&id)
        .ok_or_else(|| ProviderError::api("NotFound", format!("gateway {id} does not exist")))?;
    o.set_attr("attachment", Value::string("attached"));
    Ok(without_cloud_tags(o.clone()))
}

struct Zones;

#[async_trait]
impl DataSourceType<Arc<Cloud>> for Zones {
    fn name(&self) -> &'static str {
        "fake_zones"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("region", Attribute::optional(Type::String))
                .attr("names", Attribute::computed(Type::string_list())),
        )
    }
    async fn read(&self, _c: &Arc<Cloud>, config: &Value) -> Result<Value> {
        let region = config.get_str("region").unwrap_or("fake-1").to_string();
        Ok(Value::map([
            ("id", Value::string(region.clone())),
            ("region", Value::string(region.clone())),
            (
                "names",
                Value::string_list([format!("{region}a"), format!("{region}b")]),
            ),
        ]))
    }
}

/// A login whose password is write-only (`password_wo` + `password_wo_version`, as `aws_db_instance`):
/// the fake cloud keeps what it was sent under `password_wo`, so tests can see it arrived.
struct Login;

#[async_trait]
impl ResourceType<Arc<Cloud>> for Login {
    fn name(&self) -> &'static str {
        "fake_login"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .id()
                .attr("name", Attribute::required(Type::String).force_new())
                .attr("password_wo", Attribute::optional(Type::String).write_only())
                .attr("password_wo_version", Attribute::optional(Type::Number))
                .attr("arn", Attribute::computed(Type::String)),
        )
    }
    async fn read(&self, c: &Arc<Cloud>, prior: &Value) -> Result<Option<Value>> {
        read_many(c, std::slice::from_ref(prior)).await.remove(0)
    }
    async fn create(&self, c: &Arc<Cloud>, ctx: &OpContext, planned: &Value) -> Result<Value> {
        store(c, "login", planned, ctx)
    }
    async fn update(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = prior.get_str("id").unwrap_or_default().to_string();
        let mut objects = c.objects.lock().unwrap();
        let o = objects
            .get_mut(&id)
            .ok_or_else(|| ProviderError::api("NotFound", "no such login"))?;
        let version = planned.get("password_wo_version").cloned().unwrap_or_default();
        if prior.get("password_wo_version") != Some(&version) {
            o.set_attr("password_wo", planned.get("password_wo").cloned().unwrap_or_default());
        }
        o.set_attr("password_wo_version", version);
        Ok(without_cloud_tags(o.clone()))
    }
    async fn delete(&self, c: &Arc<Cloud>, _ctx: &OpContext, prior: &Value) -> Result<()> {
        c.remove(prior.get_str("id").unwrap_or_default());
        Ok(())
    }
}

/// An ephemeral password generator (as `aws_secretsmanager_random_password`): every open makes a new one.
struct Password;

#[async_trait]
impl EphemeralType<Arc<Cloud>> for Password {
    fn name(&self) -> &'static str {
        "fake_password"
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new()
                .attr("length", Attribute::required(Type::Number))
                .attr("result", Attribute::computed(Type::String).sensitive()),
        )
    }
    async fn open(&self, c: &Arc<Cloud>, config: &Value) -> Result<Value> {
        let n = c.ephemeral_opens.fetch_add(1, Ordering::SeqCst) + 1;
        let length = config.get("length").and_then(Value::as_i64).unwrap_or(8).max(1) as usize;
        let result: String = format!("pw{n}x").chars().cycle().take(length).collect();
        Ok(Value::map([
            ("length", config.get("length").cloned().unwrap_or_default()),
            ("result", Value::string(result)),
        ]))
    }
}
