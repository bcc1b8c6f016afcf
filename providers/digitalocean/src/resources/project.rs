//! `digitalocean_project`: a project, and optionally the resources (URNs) assigned to it.
//!
//! Create posts the project, assigns `resources`, and makes it the default when `is_default`. Update
//! sends every attribute (`PATCH`; an unset `environment` is left out, as the API accepts only its three
//! values) and moves resources: removed URNs go back to the account's default project, added ones come
//! here. Delete first moves the resources out, then deletes, retrying while the
//! API answers 412 "cannot delete a project with resources" (moves take a moment), within the delete
//! timeout (3 minutes by default, as Terraform). `environment` compares case-insensitively. Project names
//! are unique in an account, so `find_created` looks the name up. Refresh lists all projects once
//! (`GET /v2/projects`) and each project's resources.

use crate::client::Client;
use crate::util::{changed, changed_besides, id_of, jnum, jstr, object};
use async_trait::async_trait;
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, Timeouts, Type,
    Value, wait_for,
};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;

pub struct Project;

fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String).check(Check::Length(1, 175)))
        .attr(
            "description",
            Attribute::optional(Type::String)
                .default("")
                .check(Check::Length(0, 255)),
        )
        .attr(
            "purpose",
            Attribute::optional(Type::String)
                .default("Web Application")
                .check(Check::Length(0, 255)),
        )
        .attr(
            "environment",
            Attribute::optional(Type::String)
                .case_insensitive()
                .check(Check::OneOfIgnoreCase(&["Development", "Staging", "Production"])),
        )
        .attr("owner_uuid", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::Number))
        .attr("is_default", Attribute::optional(Type::Bool).default(false))
        .attr("created_at", Attribute::computed(Type::String))
        .attr("updated_at", Attribute::computed(Type::String))
        .attr("resources", Attribute::optional_computed(Type::string_set()))
}

fn to_value(p: &Json, urns: Vec<String>) -> Value {
    let purpose = p.get("purpose").and_then(Json::as_str).unwrap_or("");
    object(
        &block(),
        vec![
            ("id", jstr(p, "id")),
            ("name", jstr(p, "name")),
            (
                "description",
                Value::string(p.get("description").and_then(Json::as_str).unwrap_or("")),
            ),
            (
                "purpose",
                Value::string(purpose.strip_prefix("Other: ").unwrap_or(purpose)),
            ),
            ("environment", jstr(p, "environment")),
            ("owner_uuid", jstr(p, "owner_uuid")),
            ("owner_id", jnum(p, "owner_id")),
            (
                "is_default",
                Value::Bool(p.get("is_default").and_then(Json::as_bool).unwrap_or(false)),
            ),
            ("created_at", jstr(p, "created_at")),
            ("updated_at", jstr(p, "updated_at")),
            ("resources", Value::string_set(urns)),
        ],
    )
}

/// The URNs assigned to a project.
pub async fn project_urns(client: &Client, project: &str) -> Result<Vec<String>> {
    let items = client
        .list(&format!("/v2/projects/{project}/resources"), &[], "resources")
        .await?;
    Ok(items
        .iter()
        .filter_map(|r| r.get("urn").and_then(Json::as_str).map(str::to_string))
        .collect())
}

/// Assigns URNs to a project (`default` for the account's default project).
pub async fn assign(client: &Client, project: &str, urns: &[String]) -> Result<()> {
    if urns.is_empty() {
        return Ok(());
    }
    let project = if project == "default" {
        let v = client.get("/v2/projects/default").await?;
        v.pointer("/project/id")
            .and_then(Json::as_str)
            .unwrap_or("default")
            .to_string()
    } else {
        project.to_string()
    };
    let v = client
        .post_idempotent(
            &format!("/v2/projects/{project}/resources"),
            &json!({"resources": urns}),
        )
        .await?;
    let failed: Vec<String> = v
        .get("resources")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter(|r| {
                    !matches!(
                        r.get("status").and_then(Json::as_str),
                        Some("assigned" | "ok" | "already_assigned")
                    )
                })
                .map(|r| {
                    format!(
                        "{} ({})",
                        r.get("urn").and_then(Json::as_str).unwrap_or("?"),
                        r.get("status").and_then(Json::as_str).unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !failed.is_empty() {
        return Err(ProviderError::api(
            "assign_failed",
            format!("could not assign to project {project}: {}", failed.join(", ")),
        ));
    }
    Ok(())
}

fn diff(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let removed = old.iter().filter(|u| !new.contains(u)).cloned().collect();
    let added = new.iter().filter(|u| !old.contains(u)).cloned().collect();
    (removed, added)
}

/// The body of a project update: every attribute, except an unset environment (the API only accepts
/// one of its three values there), sent with `PATCH`.
fn project_body(planned: &Value) -> Json {
    let mut body = json!({
        "name": planned.get_str("name").unwrap_or(""),
        "description": planned.get_str("description").unwrap_or(""),
        "purpose": planned.get_str("purpose").unwrap_or("Web Application"),
        "is_default": planned.get_bool("is_default").unwrap_or(false),
    });
    if let Some(e) = planned.get_str("environment") {
        body["environment"] = json!(capitalize(e));
    }
    body
}

fn capitalize(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[async_trait]
impl ResourceType<Client> for Project {
    fn name(&self) -> &'static str {
        "digitalocean_project"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts {
            delete: Duration::from_secs(3 * 60),
            ..Timeouts::default()
        })
    }

    fn plan(&self, _client: &Client, req: &mut PlanRequest<'_>) -> Result<()> {
        if let Some(prior) = req.prior
            && changed_besides(prior, req.planned, &["updated_at"])
        {
            req.planned.set_attr("updated_at", Value::Unknown);
        }
        Ok(())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let id = id_of(prior)?;
        let Some(v) = client.get_opt(&format!("/v2/projects/{id}")).await? else {
            return Ok(None);
        };
        Ok(Some(to_value(&v["project"], project_urns(client, id).await?)))
    }

    async fn read_many(&self, client: &Client, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        if priors.len() < 2 {
            let mut out = Vec::new();
            for p in priors {
                out.push(self.read(client, p).await);
            }
            return out;
        }
        let all = match client.list("/v2/projects", &[], "projects").await {
            Ok(all) => all,
            Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
        };
        let by_id: HashMap<&str, &Json> = all
            .iter()
            .filter_map(|p| p.get("id").and_then(Json::as_str).map(|id| (id, p)))
            .collect();
        let mut out = Vec::new();
        for p in priors {
            let found = p.get_str("id").and_then(|id| by_id.get(id).map(|j| (id, j)));
            out.push(match found {
                None => Ok(None),
                Some((id, j)) => project_urns(client, id).await.map(|urns| Some(to_value(j, urns))),
            });
        }
        out
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        let mut body = json!({
            "name": planned.get_str("name").unwrap_or(""),
            "purpose": planned.get_str("purpose").unwrap_or("Web Application"),
            "description": planned.get_str("description").unwrap_or(""),
        });
        if let Some(e) = planned.get_str("environment") {
            body["environment"] = json!(capitalize(e));
        }
        let v = client.post("/v2/projects", &body).await?;
        let id = v
            .pointer("/project/id")
            .and_then(Json::as_str)
            .ok_or_else(|| ProviderError::new("POST /v2/projects answered without a project id"))?
            .to_string();
        let partial = to_value(&v["project"], Vec::new());
        let finish = async {
            assign(client, &id, &planned.get_strings("resources")).await?;
            if planned.get_bool("is_default") == Some(true) {
                client
                    .patch(&format!("/v2/projects/{id}"), &project_body(planned))
                    .await?;
            }
            self.read(client, &partial)
                .await?
                .ok_or_else(|| ProviderError::not_found(format!("project {id} disappeared")))
        };
        finish.await.map_err(|e| e.with_partial(partial.clone()))
    }

    async fn update(&self, client: &Client, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let id = id_of(prior)?;
        client
            .patch(&format!("/v2/projects/{id}"), &project_body(planned))
            .await?;
        if changed(prior, planned, "resources") && !planned.get("resources").is_some_and(Value::is_unknown) {
            let (removed, added) = diff(&prior.get_strings("resources"), &planned.get_strings("resources"));
            assign(client, "default", &removed).await?;
            assign(client, id, &added).await?;
        }
        self.read(client, prior)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("project {id} disappeared")))
    }

    async fn delete(&self, client: &Client, ctx: &OpContext, prior: &Value) -> Result<()> {
        let id = id_of(prior)?;
        let urns = match client.get_opt(&format!("/v2/projects/{id}")).await? {
            None => return Ok(()),
            Some(_) => project_urns(client, id).await?,
        };
        assign(client, "default", &urns).await?;
        let path = format!("/v2/projects/{id}");
        let path = &path;
        wait_for(ctx, "project emptied", || async move {
            match client.delete(path).await {
                Ok(()) => Ok(Poll::Ready(())),
                Err(e) if e.code.as_deref() == Some("precondition_failed") && e.message.contains("resources") => {
                    Ok(Poll::Pending("resources still assigned".into()))
                }
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = planned.get_str("name") else {
            return Ok(None);
        };
        let all = client.list("/v2/projects", &[], "projects").await?;
        let Some(p) = all.iter().find(|p| p.get("name").and_then(Json::as_str) == Some(name)) else {
            return Ok(None);
        };
        let id = p.get("id").and_then(Json::as_str).unwrap_or("");
        Ok(Some(to_value(p, project_urns(client, id).await?)))
    }
}
