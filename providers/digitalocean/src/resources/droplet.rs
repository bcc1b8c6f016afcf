//! `digitalocean_droplet`: a virtual machine.
//!
//! - Create: `POST /v2/droplets` (202) with the user's tags plus the ownership tag, then wait until the
//!   Droplet is `active` and unlocked (early 404s are tolerated: a new Droplet can take a moment to
//!   appear). A Droplet that never becomes ready is returned as a partial object, so it is kept (tainted).
//! - Update in place: `size` by power_off → resize (`resize_disk`) → power_on, waiting for each action;
//!   `name` by the rename action; `backups` by enable/disable_backups (with `backup_policy` when set);
//!   `ipv6` false → true by enable_ipv6; `tags` by tagging and untagging. Everything else that Terraform marks ForceNew (`image`, `region`,
//!   `ssh_keys`, `user_data`, `vpc_uuid`, `monitoring`, `droplet_agent`, `public_networking`) replaces
//!   the Droplet, as does `ipv6` true → false.
//! - Delete: wait until unlocked, optionally shut down (`graceful_shutdown`), `DELETE`, wait until gone.
//! - Refresh: one `GET /v2/droplets` listing (paginated) for many Droplets.
//! - `find_created`: `GET /v2/droplets?tag_name=<ownership tag>`.

use crate::client::Client;
use crate::util::{self, changed, ctx_tag, id_of, jnum, jstr, object, user_tags};
use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, Path, PlanRequest, Poll, ProviderError, ResourceType,
    Result, Schema, Timeouts, Type, Value, wait_for,
};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;

pub struct Droplet;

fn block() -> Block {
    Block::new()
        .id()
        .attr("image", Attribute::required(Type::String).force_new())
        .attr("name", Attribute::required(Type::String))
        .attr(
            "region",
            Attribute::optional_computed(Type::String)
                .force_new()
                .case_insensitive(),
        )
        .attr("size", Attribute::required(Type::String).case_insensitive())
        .attr("graceful_shutdown", Attribute::optional(Type::Bool).default(false))
        .attr("created_at", Attribute::computed(Type::String))
        .attr("urn", Attribute::computed(Type::String))
        .attr("disk", Attribute::computed(Type::Number))
        .attr("vcpus", Attribute::computed(Type::Number))
        .attr("memory", Attribute::computed(Type::Number))
        .attr("price_hourly", Attribute::computed(Type::Number))
        .attr("price_monthly", Attribute::computed(Type::Number))
        .attr("resize_disk", Attribute::optional(Type::Bool).default(true))
        .attr("status", Attribute::computed(Type::String))
        .attr("locked", Attribute::computed(Type::Bool))
        .attr("backups", Attribute::optional(Type::Bool).default(false))
        .block(
            "backup_policy",
            NestedBlock::list(
                Block::new()
                    .attr("plan", Attribute::optional(Type::String).one_of(&["daily", "weekly"]))
                    .attr(
                        "weekday",
                        Attribute::optional(Type::String).one_of(&["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
                    )
                    .attr(
                        "hour",
                        Attribute::optional(Type::Number).check(Check::IntOneOf(&[0, 4, 8, 12, 16, 20])),
                    ),
            )
            .max(1),
        )
        .attr("ipv6", Attribute::optional(Type::Bool).default(false))
        .attr("ipv6_address", Attribute::optional_computed(Type::String))
        .attr("private_networking", Attribute::optional_computed(Type::Bool))
        .attr(
            "public_networking",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
        .attr("ipv4_address", Attribute::computed(Type::String))
        .attr("ipv4_address_private", Attribute::computed(Type::String))
        .attr("ssh_keys", Attribute::optional(Type::string_set()).force_new())
        .attr("user_data", Attribute::optional(Type::String).force_new())
        .attr("volume_ids", Attribute::optional_computed(Type::string_set()))
        .attr("monitoring", Attribute::optional(Type::Bool).default(false).force_new())
        .attr("droplet_agent", Attribute::optional(Type::Bool).force_new())
        .attr("tags", Attribute::optional(Type::string_set()))
        .attr("vpc_uuid", Attribute::optional_computed(Type::String).force_new())
}

/// Attributes only the configuration knows (the API does not return them): kept from `base`.
const CONFIG_ONLY: &[&str] = &[
    "graceful_shutdown",
    "resize_disk",
    "ssh_keys",
    "backup_policy",
    "user_data",
    "droplet_agent",
];

/// The state object of an API Droplet; `base` (planned or prior) supplies what the API does not return.
fn to_value(d: &Json, base: &Value) -> Value {
    let schema = block();
    let id = d.get("id").and_then(Json::as_i64).unwrap_or(0);
    let features: Vec<&str> = d
        .get("features")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let ip = |version: &str, kind: &str| -> Value {
        d.pointer(&format!("/networks/{version}"))
            .and_then(Json::as_array)
            .and_then(|a| a.iter().find(|n| n.get("type").and_then(Json::as_str) == Some(kind)))
            .and_then(|n| n.get("ip_address").and_then(Json::as_str))
            .map(|s| Value::string(s.to_lowercase()))
            .unwrap_or(Value::Null)
    };
    let size = d.get("size").cloned().unwrap_or(Json::Null);
    let image = match base.get_str("image") {
        Some(i) => Value::string(i),
        None => match d.pointer("/image/slug").and_then(Json::as_str) {
            Some(slug) => Value::string(slug),
            None => jstr(d.get("image").unwrap_or(&Json::Null), "id"),
        },
    };
    let ipv4 = ip("v4", "public");
    let mut pairs = vec![
        ("id", Value::string(id.to_string())),
        ("name", jstr(d, "name")),
        ("image", image),
        (
            "region",
            d.pointer("/region/slug")
                .and_then(Json::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null),
        ),
        ("size", jstr(d, "size_slug")),
        ("created_at", jstr(d, "created_at")),
        ("urn", Value::string(format!("do:droplet:{id}"))),
        ("disk", jnum(d, "disk")),
        ("vcpus", jnum(d, "vcpus")),
        ("memory", jnum(d, "memory")),
        ("price_hourly", jnum(&size, "price_hourly")),
        ("price_monthly", jnum(&size, "price_monthly")),
        ("status", jstr(d, "status")),
        (
            "locked",
            Value::Bool(d.get("locked").and_then(Json::as_bool).unwrap_or(false)),
        ),
        ("backups", Value::Bool(features.contains(&"backups"))),
        ("ipv6", Value::Bool(features.contains(&"ipv6"))),
        (
            "private_networking",
            Value::Bool(features.contains(&"private_networking")),
        ),
        ("monitoring", Value::Bool(features.contains(&"monitoring"))),
        ("public_networking", Value::Bool(!ipv4.is_null())),
        ("ipv4_address", ipv4),
        ("ipv4_address_private", ip("v4", "private")),
        ("ipv6_address", ip("v6", "public")),
        (
            "volume_ids",
            Value::string_set(
                d.get("volume_ids")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(Json::as_str).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
        ),
        ("tags", user_tags(d)),
        ("vpc_uuid", jstr(d, "vpc_uuid")),
        ("graceful_shutdown", Value::Bool(false)),
        ("resize_disk", Value::Bool(true)),
    ];
    for k in CONFIG_ONLY {
        if let Some(v) = base.get(k).filter(|v| !v.is_null() && !v.is_unknown()) {
            pairs.retain(|(name, _)| name != k);
            pairs.push((k, v.clone()));
        }
    }
    object(&schema, pairs)
}

fn is_ready(d: &Json) -> bool {
    d.get("status").and_then(Json::as_str) == Some("active")
        && !d.get("locked").and_then(Json::as_bool).unwrap_or(false)
}

/// Waits until the Droplet is active and unlocked. Early 404s are tolerated on create.
async fn wait_active(client: &Client, ctx: &OpContext, id: &str, tolerate_404: bool) -> Result<Json> {
    wait_for(ctx, "droplet active", || async move {
        match client.get_opt(&format!("/v2/droplets/{id}")).await? {
            None if tolerate_404 => Ok(Poll::Pending("not visible yet".into())),
            None => Err(ProviderError::not_found(format!("droplet {id} disappeared"))),
            Some(v) => {
                let d = v.get("droplet").cloned().unwrap_or(Json::Null);
                if is_ready(&d) {
                    Ok(Poll::Ready(d))
                } else {
                    let status = d.get("status").and_then(Json::as_str).unwrap_or("?");
                    let locked = d.get("locked").and_then(Json::as_bool).unwrap_or(false);
                    Ok(Poll::Pending(if locked {
                        format!("{status}, locked")
                    } else {
                        status.to_string()
                    }))
                }
            }
        }
    })
    .await
}

/// Waits until no action runs on the Droplet, and returns it.
async fn wait_unlocked(client: &Client, ctx: &OpContext, id: &str) -> Result<Json> {
    wait_for(ctx, "droplet unlocked", || async move {
        let v = client.get(&format!("/v2/droplets/{id}")).await?;
        let d = v.get("droplet").cloned().unwrap_or(Json::Null);
        if d.get("locked").and_then(Json::as_bool).unwrap_or(false) {
            Ok(Poll::Pending("locked".into()))
        } else {
            Ok(Poll::Ready(d))
        }
    })
    .await
}

/// Waits until the Droplet's status is `status` and it is unlocked.
async fn wait_status(client: &Client, ctx: &OpContext, id: &str, status: &'static str) -> Result<Json> {
    wait_for(ctx, &format!("droplet {status}"), || async move {
        let v = client.get(&format!("/v2/droplets/{id}")).await?;
        let d = v.get("droplet").cloned().unwrap_or(Json::Null);
        let now = d.get("status").and_then(Json::as_str).unwrap_or("?").to_string();
        let locked = d.get("locked").and_then(Json::as_bool).unwrap_or(false);
        if now == status && !locked {
            Ok(Poll::Ready(d))
        } else {
            Ok(Poll::Pending(now))
        }
    })
    .await
}

/// The `backup_policy` block as the API takes it (`None` when not configured).
fn backup_policy(v: &Value) -> Option<Json> {
    let p = v.get_list("backup_policy").first()?;
    let mut out = serde_json::Map::new();
    if let Some(plan) = p.get_str("plan") {
        out.insert("plan".into(), json!(plan));
    }
    if let Some(day) = p.get_str("weekday") {
        out.insert("weekday".into(), json!(day));
    }
    if let Some(hour) = p.get_i64("hour") {
        out.insert("hour".into(), json!(hour));
    }
    Some(Json::Object(out))
}

fn create_body(planned: &Value, tag: &str) -> Json {
    let mut body = json!({
        "name": planned.get_str("name").unwrap_or(""),
        "size": planned.get_str("size").unwrap_or("").to_lowercase(),
    });
    let image = planned.get_str("image").unwrap_or("");
    body["image"] = match image.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(image),
    };
    if let Some(r) = planned.get_str("region") {
        body["region"] = json!(r.to_lowercase());
    }
    let keys: Vec<Json> = util::strings(planned, "ssh_keys")
        .into_iter()
        .map(|k| match k.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => json!(k),
        })
        .collect();
    if !keys.is_empty() {
        body["ssh_keys"] = Json::Array(keys);
    }
    for (arg, field) in [
        ("backups", "backups"),
        ("ipv6", "ipv6"),
        ("monitoring", "monitoring"),
        ("private_networking", "private_networking"),
    ] {
        if planned.get_bool(arg) == Some(true) {
            body[field] = json!(true);
        }
    }
    if let Some(policy) = backup_policy(planned) {
        body["backup_policy"] = policy;
    }
    if planned.get_bool("public_networking") == Some(false) {
        body["public_networking"] = json!(false);
    }
    if let Some(a) = planned.get_bool("droplet_agent") {
        body["with_droplet_agent"] = json!(a);
    }
    if let Some(u) = planned.get_str("user_data") {
        body["user_data"] = json!(u);
    }
    if let Some(v) = planned.get_str("vpc_uuid") {
        body["vpc_uuid"] = json!(v);
    }
    let mut tags = util::strings(planned, "tags");
    tags.push(tag.to_string());
    body["tags"] = json!(tags);
    body
}

#[async_trait]
impl ResourceType<Client> for Droplet {
    fn name(&self) -> &'static str {
        "digitalocean_droplet"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
            .timeouts(Timeouts {
                create: Duration::from_secs(60 * 60),
                update: Duration::from_secs(60 * 60),
                delete: Duration::from_secs(60),
            })
            // Version 1 in digitalocean/digitalocean, as its state records it.
            .terraform_version(1)
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        if !config.get_list("backup_policy").is_empty() && config.get_bool("backups") == Some(false) {
            return vec![Invalid::at(
                "backup_policy",
                "backup_policy can only be set when backups are enabled",
            )];
        }
        Vec::new()
    }

    fn plan(&self, _client: &Client, req: &mut PlanRequest<'_>) -> Result<()> {
        for k in ["region", "size"] {
            if let Some(s) = req.planned.get_str(k).map(str::to_lowercase) {
                req.planned.set_attr(k, Value::string(s));
            }
        }
        let Some(prior) = req.prior else { return Ok(()) };
        if prior.get_bool("backups") == Some(true)
            && req.planned.get_bool("backups") == Some(true)
            && changed(prior, req.planned, "backup_policy")
        {
            return Err(ProviderError::invalid(
                "digitalocean_droplet: changing the backup_policy of a Droplet whose backups stay enabled is not supported by infra yet",
            ));
        }
        let old_ipv6 = prior.get_bool("ipv6").unwrap_or(false);
        let new_ipv6 = req.planned.get_bool("ipv6").unwrap_or(false);
        if old_ipv6 && !new_ipv6 {
            req.requires_replace.push(Path::attr("ipv6"));
        } else if !old_ipv6 && new_ipv6 && req.config.get("ipv6_address").is_none_or(Value::is_null) {
            req.planned.set_attr("ipv6_address", Value::Unknown);
        }
        if changed(prior, req.planned, "size") {
            for k in ["price_hourly", "price_monthly", "memory", "vcpus", "disk"] {
                req.planned.set_attr(k, Value::Unknown);
            }
        }
        if let Some(v) = req.config.get("volume_ids").filter(|v| !v.is_null())
            && prior.get("volume_ids") != Some(v)
            && !v.as_list().is_some_and(<[Value]>::is_empty)
        {
            return Err(ProviderError::invalid(
                "digitalocean_droplet: attaching or detaching volumes through volume_ids is not supported by infra yet",
            ));
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let id = id_of(prior)?;
        Ok(client
            .get_opt(&format!("/v2/droplets/{id}"))
            .await?
            .map(|v| to_value(&v["droplet"], prior)))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        match client.list("/v2/droplets", &[], "droplets").await {
            Ok(all) => {
                let by_id: HashMap<String, &Json> = all
                    .iter()
                    .filter_map(|d| d.get("id").and_then(Json::as_i64).map(|id| (id.to_string(), d)))
                    .collect();
                priors
                    .iter()
                    .map(|p| Ok(p.get_str("id").and_then(|id| by_id.get(id)).map(|d| to_value(d, p))))
                    .collect()
            }
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create(&self, client: &Client, ctx: &OpContext, planned: &Value) -> Result<Value> {
        ctx.set_status("creating");
        let v = client
            .post("/v2/droplets", &create_body(planned, &ctx_tag(ctx)))
            .await?;
        let id = v
            .pointer("/droplet/id")
            .and_then(Json::as_i64)
            .ok_or_else(|| ProviderError::new("POST /v2/droplets answered without a droplet id"))?
            .to_string();
        match wait_active(client, ctx, &id, true).await {
            Ok(d) => Ok(to_value(&d, planned)),
            Err(e) => {
                let partial = to_value(&v["droplet"], planned);
                Err(e.with_partial(partial))
            }
        }
    }

    async fn update(&self, client: &Client, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?.to_string();
        if changed(prior, planned, "size") {
            let size = planned.get_str("size").unwrap_or("").to_lowercase();
            let resize_disk = planned.get_bool("resize_disk").unwrap_or(true);
            ctx.set_status("powering off for resize");
            match util::droplet_action(client, &id, json!({"type": "power_off"})).await {
                Ok(a) => util::wait_action(client, ctx, a, "droplet power off").await?,
                Err(e) if e.message.contains("already powered off") => {}
                Err(e) => return Err(e),
            }
            wait_status(client, ctx, &id, "off").await?;
            ctx.set_status("resizing");
            let resized = match util::droplet_action(
                client,
                &id,
                json!({"type": "resize", "size": size, "disk": resize_disk}),
            )
            .await
            {
                Ok(a) => util::wait_action(client, ctx, a, "droplet resize").await,
                Err(e) => Err(e),
            };
            ctx.set_status("powering on after resize");
            let on = util::droplet_action(client, &id, json!({"type": "power_on"})).await;
            let on = match on {
                Ok(a) => util::wait_action(client, ctx, a, "droplet power on").await,
                Err(e) => Err(e),
            };
            resized?;
            on?;
            wait_status(client, ctx, &id, "active").await?;
        }
        if changed(prior, planned, "name") {
            let name = planned.get_str("name").unwrap_or("");
            let a = util::droplet_action(client, &id, json!({"type": "rename", "name": name})).await?;
            util::wait_action(client, ctx, a, "droplet rename").await?;
        }
        if changed(prior, planned, "backups") {
            let body = if planned.get_bool("backups") == Some(true) {
                match backup_policy(planned) {
                    Some(policy) => json!({"type": "enable_backups", "backup_policy": policy}),
                    None => json!({"type": "enable_backups"}),
                }
            } else {
                json!({"type": "disable_backups"})
            };
            let a = util::droplet_action(client, &id, body).await?;
            util::wait_action(client, ctx, a, "droplet backups").await?;
        }
        if prior.get_bool("ipv6") != Some(true) && planned.get_bool("ipv6") == Some(true) {
            let a = util::droplet_action(client, &id, json!({"type": "enable_ipv6"})).await?;
            util::wait_action(client, ctx, a, "droplet ipv6").await?;
        }
        if changed(prior, planned, "tags") {
            util::sync_tags(
                client,
                &id,
                "droplet",
                &util::strings(prior, "tags"),
                &util::strings(planned, "tags"),
            )
            .await?;
        }
        // A Droplet the user keeps powered off stays off: wait only for its actions to finish.
        let d = wait_unlocked(client, ctx, &id).await?;
        Ok(to_value(&d, planned))
    }

    async fn delete(&self, client: &Client, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?.to_string();
        let path = format!("/v2/droplets/{id}");
        // Wait until no action runs on it (a locked Droplet refuses deletion).
        let current = wait_for(ctx, "droplet unlocked", || async {
            match client.get_opt(&path).await? {
                None => Ok(Poll::Ready(None)),
                Some(v) if v.pointer("/droplet/locked").and_then(Json::as_bool) == Some(true) => {
                    Ok(Poll::Pending("locked".into()))
                }
                Some(v) => Ok(Poll::Ready(Some(v))),
            }
        })
        .await?;
        let Some(current) = current else { return Ok(()) };
        if prior.get_bool("graceful_shutdown") == Some(true)
            && current.pointer("/droplet/status").and_then(Json::as_str) == Some("active")
        {
            let a = util::droplet_action(client, &id, json!({"type": "shutdown"})).await?;
            util::wait_action(client, ctx, a, "droplet shutdown").await?;
        }
        client.delete(&path).await?;
        wait_for(ctx, "droplet deleted", || async {
            match client.get_opt(&path).await? {
                None => Ok(Poll::Ready(())),
                Some(_) => Ok(Poll::Pending("deleting".into())),
            }
        })
        .await
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Option<Value>> {
        if id.parse::<u64>().is_err() {
            return Err(ProviderError::invalid(format!(
                "invalid droplet id {id:?}: a droplet id is a number"
            )));
        }
        self.read(client, &Value::map([("id", Value::string(id))])).await
    }

    async fn find_created(&self, client: &Client, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let found = client
            .list("/v2/droplets", &[("tag_name", ctx_tag(ctx))], "droplets")
            .await?;
        let Some(d) = found
            .into_iter()
            .min_by_key(|d| d.get("id").and_then(Json::as_i64).unwrap_or(i64::MAX))
        else {
            return Ok(None);
        };
        let id = d.get("id").and_then(Json::as_i64).unwrap_or(0).to_string();
        let d = if is_ready(&d) {
            d
        } else {
            wait_active(client, ctx, &id, true).await?
        };
        Ok(Some(to_value(&d, planned)))
    }
}
