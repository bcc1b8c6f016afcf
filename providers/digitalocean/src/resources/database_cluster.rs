//! `digitalocean_database_cluster`: a managed database cluster (PostgreSQL and the other engines).
//!
//! - Create: `POST /v2/databases` with the user's tags plus the ownership tag, wait `creating` →
//!   `online`, then set the maintenance window when one is configured.
//! - Update in place: `size`, `node_count`, `storage_size_mib` through `PUT .../resize` (wait `resizing` →
//!   `online` with the new layout); `region` through `PUT .../migrate` (wait `migrating` → `online`);
//!   `maintenance_window` through `PUT .../maintenance`; `storage_autoscale` through `PUT .../autoscale`;
//!   `tags` by tagging (resource type `database`).
//!   `name`, `engine`, `private_network_uuid` and `project_id` replace the cluster. A `version` change is
//!   refused at plan time (major-version upgrades are not supported by infra yet).
//! - Refresh: one `GET /v2/databases` for many clusters.
//! - `maintenance_window` and `storage_autoscale` are tracked only when configured, as Terraform does;
//!   removing either block from the configuration leaves the cluster's setting as it is. Storage
//!   autoscaling is read from the cluster's `autoscale` (`GET .../autoscale` when the cluster object
//!   leaves it out); `threshold_percent` and `increment_gib` left out take the platform's values.
//! - `find_created`: `GET /v2/databases?tag_name=<ownership tag>`.
//!
//! `uri`, `private_uri` and `password` are sensitive.

use crate::client::Client;
use crate::util::{self, changed, ctx_tag, id_of, jnum, jstr, object, user_tags};
use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema,
    Timeouts, Type, Value, wait_for,
};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

pub struct DatabaseCluster;

/// `Check::Fn` for the maintenance window `hour`: `HH:MM` or `HH:MM:SS` (UTC).
fn hour_of_day(v: &Value) -> std::result::Result<(), String> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let parts: Vec<&str> = s.split(':').collect();
    let limits = [24, 60, 60];
    let ok = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .zip(limits)
            .all(|(p, max)| p.len() == 2 && p.parse::<u32>().is_ok_and(|n| n < max));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a time of day like \"03:00\" or \"03:00:00\", got {s:?}."
        ))
    }
}

fn maintenance_block() -> Block {
    Block::new()
        .attr(
            "day",
            Attribute::required(Type::String).check(Check::OneOfIgnoreCase(&[
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ])),
        )
        .attr("hour", Attribute::required(Type::String).check(Check::Fn(hour_of_day)))
}

/// `storage_autoscale`: Terraform's block (`enabled`, `threshold_percent` 15–95, `increment_gib` ≥ 10).
/// The two numbers are also computed here: left out, they read back as the platform's defaults, which
/// must not show as a change on the next plan.
fn autoscale_block() -> Block {
    Block::new()
        .attr("enabled", Attribute::required(Type::Bool))
        .attr(
            "threshold_percent",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(15, 95)),
        )
        .attr(
            "increment_gib",
            Attribute::optional_computed(Type::Number).check(Check::IntRange(10, i32::MAX as i64)),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String).force_new())
        .attr(
            "engine",
            Attribute::required(Type::String).force_new().one_of(&[
                "pg",
                "mysql",
                "redis",
                "valkey",
                "mongodb",
                "kafka",
                "opensearch",
            ]),
        )
        .attr("version", Attribute::optional(Type::String))
        .attr("size", Attribute::required(Type::String))
        .attr("region", Attribute::required(Type::String).case_insensitive())
        .attr(
            "node_count",
            Attribute::required(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
        )
        .block("maintenance_window", NestedBlock::list(maintenance_block()).max(1))
        .attr(
            "private_network_uuid",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("project_id", Attribute::optional_computed(Type::String).force_new())
        .attr("host", Attribute::computed(Type::String))
        .attr("private_host", Attribute::computed(Type::String))
        .attr("port", Attribute::computed(Type::Number))
        .attr("uri", Attribute::computed(Type::String).sensitive())
        .attr("private_uri", Attribute::computed(Type::String).sensitive())
        .attr("database", Attribute::computed(Type::String))
        .attr("user", Attribute::computed(Type::String))
        .attr("password", Attribute::computed(Type::String).sensitive())
        .attr("urn", Attribute::computed(Type::String))
        .attr("tags", Attribute::optional(Type::string_set()))
        .attr("storage_size_mib", Attribute::optional_computed(Type::String))
        .block("storage_autoscale", NestedBlock::list(autoscale_block()).max(1))
        .attr("metrics_endpoints", Attribute::computed(Type::string_list()))
        .attr("ui_host", Attribute::computed(Type::String))
        .attr("ui_port", Attribute::computed(Type::Number))
        .attr("ui_uri", Attribute::computed(Type::String).sensitive())
        .attr("ui_database", Attribute::computed(Type::String))
        .attr("ui_user", Attribute::computed(Type::String))
        .attr("ui_password", Attribute::computed(Type::String).sensitive())
}

/// The state object of an API cluster; `base` (planned or prior) decides whether the maintenance window
/// and storage autoscaling are tracked (only when configured, as Terraform does) and keeps a known
/// password the API left out.
fn to_value(c: &Json, base: &Value) -> Value {
    let id = c.get("id").and_then(Json::as_str).unwrap_or("");
    let conn = c.get("connection").cloned().unwrap_or(Json::Null);
    let private = c.get("private_connection").cloned().unwrap_or(Json::Null);
    // OpenSearch clusters have a dashboard connection; other engines have none (null attributes).
    let ui = c.get("ui_connection").cloned().unwrap_or(Json::Null);
    let password = match conn.get("password").and_then(Json::as_str).filter(|p| !p.is_empty()) {
        Some(p) => Value::string(p),
        None => base
            .get("password")
            .filter(|p| p.as_str().is_some())
            .cloned()
            .unwrap_or(Value::Null),
    };
    let maintenance = if base.get_list("maintenance_window").is_empty() {
        Value::List(Vec::new())
    } else {
        let mw = c.get("maintenance_window").cloned().unwrap_or(Json::Null);
        Value::List(vec![Value::map([
            ("day", jstr(&mw, "day")),
            ("hour", jstr(&mw, "hour")),
        ])])
    };
    let autoscale = if tracks_autoscale(base) {
        let a = c.pointer("/autoscale/storage").cloned().unwrap_or(Json::Null);
        Value::List(vec![Value::map([
            (
                "enabled",
                Value::Bool(a.get("enabled").and_then(Json::as_bool).unwrap_or(false)),
            ),
            ("threshold_percent", jnum(&a, "threshold_percent")),
            ("increment_gib", jnum(&a, "increment_gib")),
        ])])
    } else {
        Value::List(Vec::new())
    };
    object(
        &block(),
        vec![
            ("id", Value::string(id)),
            ("name", jstr(c, "name")),
            ("engine", jstr(c, "engine")),
            ("version", jstr(c, "version")),
            ("size", jstr(c, "size")),
            ("region", jstr(c, "region")),
            ("node_count", jnum(c, "num_nodes")),
            ("maintenance_window", maintenance),
            ("private_network_uuid", jstr(c, "private_network_uuid")),
            ("project_id", jstr(c, "project_id")),
            ("host", jstr(&conn, "host")),
            ("private_host", jstr(&private, "host")),
            ("port", jnum(&conn, "port")),
            ("uri", jstr(&conn, "uri")),
            ("private_uri", jstr(&private, "uri")),
            ("database", jstr(&conn, "database")),
            ("user", jstr(&conn, "user")),
            ("password", password),
            ("urn", Value::string(format!("do:dbaas:{id}"))),
            ("ui_host", jstr(&ui, "host")),
            ("ui_port", jnum(&ui, "port")),
            ("ui_uri", jstr(&ui, "uri")),
            ("ui_database", jstr(&ui, "database")),
            ("ui_user", jstr(&ui, "user")),
            ("ui_password", jstr(&ui, "password")),
            ("tags", user_tags(c)),
            ("storage_size_mib", jstr(c, "storage_size_mib")),
            ("storage_autoscale", autoscale),
            (
                "metrics_endpoints",
                Value::List(
                    c.get("metrics_endpoints")
                        .and_then(Json::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|e| {
                                    Value::string(format!(
                                        "https://{}:{}/metrics",
                                        e.get("host").and_then(Json::as_str).unwrap_or(""),
                                        e.get("port").and_then(Json::as_i64).unwrap_or(0)
                                    ))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
            ),
        ],
    )
}

/// Waits until the cluster is `online` and `check` holds for it.
async fn wait_online(
    client: &Client,
    ctx: &OpContext,
    id: &str,
    what: &str,
    check: impl Fn(&Json) -> bool,
) -> Result<Json> {
    let check = &check;
    wait_for(ctx, what, || async move {
        match client.get_opt(&format!("/v2/databases/{id}")).await? {
            None => Ok(Poll::Pending("not visible yet".into())),
            Some(v) => {
                let c = v.get("database").cloned().unwrap_or(Json::Null);
                let status = c.get("status").and_then(Json::as_str).unwrap_or("?").to_string();
                if status == "online" && check(&c) {
                    Ok(Poll::Ready(c))
                } else {
                    Ok(Poll::Pending(status))
                }
            }
        }
    })
    .await
}

fn maintenance_body(v: &Value) -> Option<Json> {
    let mw = v.get_list("maintenance_window").first()?;
    Some(json!({"day": mw.get_str("day").unwrap_or(""), "hour": mw.get_str("hour").unwrap_or("")}))
}

/// Whether the configuration (planned) or the state (prior) has a `storage_autoscale` block.
fn tracks_autoscale(v: &Value) -> bool {
    !v.get_list("storage_autoscale").is_empty()
}

/// The `PUT .../autoscale` body of a planned `storage_autoscale` block; numbers left out (unknown) are
/// left to the platform.
fn autoscale_body(v: &Value) -> Option<Json> {
    let a = v.get_list("storage_autoscale").first()?;
    let mut storage = json!({"enabled": a.get_bool("enabled").unwrap_or(false)});
    for k in ["threshold_percent", "increment_gib"] {
        if let Some(n) = a.get_i64(k) {
            storage[k] = json!(n);
        }
    }
    Some(json!({ "storage": storage }))
}

/// When `base` tracks storage autoscaling and the cluster object `c` leaves `autoscale` out, reads it
/// with `GET .../autoscale` into `c`.
async fn fill_autoscale(client: &Client, c: &mut Json, base: &Value) -> Result<()> {
    if !tracks_autoscale(base) || c.pointer("/autoscale/storage").is_some_and(Json::is_object) {
        return Ok(());
    }
    let Some(id) = c.get("id").and_then(Json::as_str).map(str::to_string) else {
        return Ok(());
    };
    if let Some(v) = client.get_opt(&format!("/v2/databases/{id}/autoscale")).await?
        && let Some(obj) = c.as_object_mut()
    {
        obj.insert("autoscale".into(), v.get("autoscale").cloned().unwrap_or(Json::Null));
    }
    Ok(())
}

/// `GET /v2/databases/{id}` as a state object based on `base`.
async fn read_cluster(client: &Client, id: &str, base: &Value) -> Result<Option<Value>> {
    let Some(v) = client.get_opt(&format!("/v2/databases/{id}")).await? else {
        return Ok(None);
    };
    let mut c = v.get("database").cloned().unwrap_or(Json::Null);
    fill_autoscale(client, &mut c, base).await?;
    Ok(Some(to_value(&c, base)))
}

fn storage_mib(v: &Value) -> Option<u64> {
    v.get_str("storage_size_mib")
        .and_then(|s| s.parse().ok())
        .or_else(|| v.get_i64("storage_size_mib").map(|n| n as u64))
}

#[async_trait]
impl ResourceType<Client> for DatabaseCluster {
    fn name(&self) -> &'static str {
        "digitalocean_database_cluster"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts {
            create: std::time::Duration::from_secs(30 * 60),
            ..Timeouts::default()
        })
    }

    fn plan(&self, _client: &Client, req: &mut PlanRequest<'_>) -> Result<()> {
        if req.planned.get("version").is_some_and(Value::is_null) {
            return Err(ProviderError::invalid(
                match req.prior.and_then(|p| p.get_str("version")) {
                    Some(v) => format!("the argument \"version\" is required: set it to the version in state, {v:?}"),
                    None => "the argument \"version\" is required".to_string(),
                },
            ));
        }
        if let Some(r) = req.planned.get_str("region").map(str::to_lowercase) {
            req.planned.set_attr("region", Value::string(r));
        }
        let Some(prior) = req.prior else { return Ok(()) };
        if changed(prior, req.planned, "version") && !req.planned.get("version").is_some_and(Value::is_unknown) {
            return Err(ProviderError::invalid(format!(
                "changing the version of database cluster {} ({} → {}) is a major-version upgrade, which infra does not perform yet",
                prior.get_str("name").unwrap_or(""),
                prior.get_str("version").unwrap_or("?"),
                req.planned.get_str("version").unwrap_or("?"),
            )));
        }
        if changed(prior, req.planned, "region") {
            for k in ["host", "private_host", "uri", "private_uri"] {
                req.planned.set_attr(k, Value::Unknown);
            }
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        read_cluster(client, id_of(prior)?, prior).await
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        match client.get("/v2/databases").await {
            Ok(v) => {
                let all = v.get("databases").and_then(Json::as_array).cloned().unwrap_or_default();
                let by_id: HashMap<&str, &Json> = all
                    .iter()
                    .filter_map(|c| c.get("id").and_then(Json::as_str).map(|id| (id, c)))
                    .collect();
                let mut out = Vec::with_capacity(priors.len());
                for p in priors {
                    out.push(match p.get_str("id").and_then(|id| by_id.get(id)) {
                        None => Ok(None),
                        Some(c) => {
                            let mut c = (*c).clone();
                            fill_autoscale(client, &mut c, p).await.map(|()| Some(to_value(&c, p)))
                        }
                    });
                }
                out
            }
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn create(&self, client: &Client, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let mut tags = util::strings(planned, "tags");
        tags.push(ctx_tag(ctx));
        let mut body = json!({
            "name": planned.get_str("name").unwrap_or(""),
            "engine": planned.get_str("engine").unwrap_or(""),
            "size": planned.get_str("size").unwrap_or(""),
            "region": planned.get_str("region").unwrap_or("").to_lowercase(),
            "num_nodes": planned.get_i64("node_count").unwrap_or(1),
            "tags": tags,
        });
        if let Some(v) = planned.get_str("version") {
            body["version"] = json!(v);
        }
        if let Some(v) = planned.get_str("private_network_uuid") {
            body["private_network_uuid"] = json!(v);
        }
        if let Some(v) = planned.get_str("project_id") {
            body["project_id"] = json!(v);
        }
        if let Some(n) = storage_mib(planned) {
            body["storage_size_mib"] = json!(n);
        }
        ctx.set_status("creating");
        let created = client.post("/v2/databases", &body).await?;
        let first = created.get("database").cloned().unwrap_or(Json::Null);
        let id = first
            .get("id")
            .and_then(Json::as_str)
            .ok_or_else(|| ProviderError::new("POST /v2/databases answered without a cluster id"))?
            .to_string();
        let finish = async {
            wait_online(client, ctx, &id, "database cluster online", |_| true).await?;
            if let Some(mw) = maintenance_body(planned) {
                client.put(&format!("/v2/databases/{id}/maintenance"), &mw).await?;
            }
            if let Some(body) = autoscale_body(planned) {
                client.put(&format!("/v2/databases/{id}/autoscale"), &body).await?;
            }
            let base = to_value(&first, planned);
            read_cluster(client, &id, &base).await?.ok_or_else(|| {
                ProviderError::not_found(format!("database cluster {id} disappeared while being created"))
            })
        };
        match finish.await {
            Ok(v) => Ok(v),
            Err(e) => Err(e.with_partial(to_value(&first, planned))),
        }
    }

    async fn update(&self, client: &Client, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?.to_string();
        if changed(prior, planned, "size")
            || changed(prior, planned, "node_count")
            || storage_mib(prior) != storage_mib(planned)
        {
            let size = planned.get_str("size").unwrap_or("").to_string();
            let nodes = planned.get_i64("node_count").unwrap_or(1);
            let mut body = json!({"size": size, "num_nodes": nodes});
            if let Some(n) = storage_mib(planned).filter(|n| Some(*n) != storage_mib(prior)) {
                body["storage_size_mib"] = json!(n);
            }
            ctx.set_status("resizing");
            client.put(&format!("/v2/databases/{id}/resize"), &body).await?;
            let want_storage = body.get("storage_size_mib").and_then(Json::as_u64);
            wait_online(client, ctx, &id, "database cluster resized", |c| {
                c.get("size").and_then(Json::as_str) == Some(size.as_str())
                    && c.get("num_nodes").and_then(Json::as_i64) == Some(nodes)
                    && want_storage.is_none_or(|s| c.get("storage_size_mib").and_then(Json::as_u64) == Some(s))
            })
            .await?;
        }
        if changed(prior, planned, "region") {
            let region = planned.get_str("region").unwrap_or("").to_lowercase();
            ctx.set_status("migrating");
            client
                .put(&format!("/v2/databases/{id}/migrate"), &json!({"region": region}))
                .await?;
            wait_online(client, ctx, &id, "database cluster migrated", |c| {
                c.get("region").and_then(Json::as_str) == Some(region.as_str())
            })
            .await?;
        }
        if changed(prior, planned, "maintenance_window")
            && let Some(mw) = maintenance_body(planned)
        {
            client.put(&format!("/v2/databases/{id}/maintenance"), &mw).await?;
        }
        if changed(prior, planned, "storage_autoscale")
            && let Some(body) = autoscale_body(planned)
        {
            client.put(&format!("/v2/databases/{id}/autoscale"), &body).await?;
        }
        if changed(prior, planned, "tags") {
            util::sync_tags(
                client,
                &id,
                "database",
                &util::strings(prior, "tags"),
                &util::strings(planned, "tags"),
            )
            .await?;
        }
        read_cluster(client, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("database cluster {id}")))
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        client.delete(&format!("/v2/databases/{}", id_of(prior)?)).await
    }

    async fn find_created(&self, client: &Client, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let v = client.get_query("/v2/databases", &[("tag_name", ctx_tag(ctx))]).await?;
        let Some(c) = v
            .get("databases")
            .and_then(Json::as_array)
            .and_then(|a| a.first())
            .cloned()
        else {
            return Ok(None);
        };
        let id = c.get("id").and_then(Json::as_str).unwrap_or("").to_string();
        let mut c = wait_online(client, ctx, &id, "database cluster online", |_| true).await?;
        fill_autoscale(client, &mut c, planned).await?;
        Ok(Some(to_value(&c, planned)))
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn engines_and_windows() {
        let s = DatabaseCluster.schema();
        let engine = s.block.attributes["engine"].check.unwrap();
        assert!(engine.check(&Value::from("pg")).is_ok());
        let e = engine.check(&Value::from("mysq")).unwrap_err();
        assert!(e.contains("Did you mean \"mysql\""), "{e}");
        let w = &s.block.blocks["maintenance_window"].block.attributes;
        assert!(w["day"].check.unwrap().check(&Value::from("Sunday")).is_ok());
        assert!(w["day"].check.unwrap().check(&Value::from("sundae")).is_err());
        assert!(w["hour"].check.unwrap().check(&Value::from("03:00:00")).is_ok());
        assert!(w["hour"].check.unwrap().check(&Value::from("25:00")).is_err());
        assert!(
            s.block.attributes["node_count"]
                .check
                .unwrap()
                .check(&Value::int(0))
                .is_err()
        );
        let a = &s.block.blocks["storage_autoscale"];
        assert_eq!(a.max_items, 1);
        let a = &a.block.attributes;
        assert!(a["enabled"].required);
        let threshold = a["threshold_percent"].check.unwrap();
        for (n, ok) in [(14, false), (15, true), (95, true), (96, false)] {
            assert_eq!(threshold.check(&Value::int(n)).is_ok(), ok, "threshold {n}");
        }
        let increment = a["increment_gib"].check.unwrap();
        assert!(increment.check(&Value::int(9)).is_err());
        assert!(increment.check(&Value::int(10)).is_ok());
    }

    #[test]
    fn autoscale_bodies_and_reads() {
        let planned = Value::map([(
            "storage_autoscale",
            Value::List(vec![Value::map([
                ("enabled", Value::Bool(true)),
                ("threshold_percent", Value::int(70)),
                ("increment_gib", Value::Unknown),
            ])]),
        )]);
        assert_eq!(
            autoscale_body(&planned),
            Some(json!({"storage": {"enabled": true, "threshold_percent": 70}}))
        );
        assert_eq!(
            autoscale_body(&Value::map([("storage_autoscale", Value::List(vec![]))])),
            None
        );
        let c = json!({"id": "x", "autoscale": {"storage": {"enabled": true, "threshold_percent": 70, "increment_gib": 20}}});
        let v = to_value(&c, &planned);
        let a = &v.get_list("storage_autoscale")[0];
        assert_eq!(
            (
                a.get_bool("enabled"),
                a.get_i64("threshold_percent"),
                a.get_i64("increment_gib")
            ),
            (Some(true), Some(70), Some(20))
        );
        let untracked = to_value(&c, &Value::empty_map());
        assert!(untracked.get_list("storage_autoscale").is_empty());
    }
}
