//! `digitalocean_project_resources`: resources (URNs) assigned to a project that another configuration
//! (or the account) owns.
//!
//! The ID is the project ID; `project` replaces the resource. Create and update move added URNs into the
//! project and removed ones back to the account's default project; delete moves all of them back. Reads
//! report only the configured URNs that are still in the project, as Terraform does. Assigning is
//! idempotent, so `find_created` reports the assignment when every planned URN is already there.

use crate::client::Client;
use crate::resources::project::{assign, project_urns};
use crate::util::object;
use async_trait::async_trait;
use infra_provider::{Attribute, Block, OpContext, ProviderError, ResourceType, Result, Schema, Type, Value};

pub struct ProjectResources;

fn block() -> Block {
    Block::new()
        .id()
        .attr("project", Attribute::required(Type::String).force_new())
        .attr("resources", Attribute::required(Type::string_set()))
}

fn to_value(project: &str, urns: Vec<String>) -> Value {
    object(
        &block(),
        vec![
            ("id", Value::string(project)),
            ("project", Value::string(project)),
            ("resources", Value::string_set(urns)),
        ],
    )
}

fn project_of(v: &Value) -> Result<&str> {
    v.get_str("project")
        .or_else(|| v.get_str("id"))
        .ok_or_else(|| ProviderError::invalid("project is not set"))
}

impl ProjectResources {
    async fn apply(&self, client: &Client, old: &[String], planned: &Value) -> Result<Value> {
        let project = project_of(planned)?;
        if client.get_opt(&format!("/v2/projects/{project}")).await?.is_none() {
            return Err(ProviderError::not_found(format!("project {project} does not exist")));
        }
        let new = planned.get_strings("resources");
        let removed: Vec<String> = old.iter().filter(|u| !new.contains(u)).cloned().collect();
        let added: Vec<String> = new.iter().filter(|u| !old.contains(u)).cloned().collect();
        assign(client, "default", &removed).await?;
        assign(client, project, &added).await?;
        self.read(client, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("project {project} disappeared")))
    }
}

#[async_trait]
impl ResourceType<Client> for ProjectResources {
    fn name(&self) -> &'static str {
        "digitalocean_project_resources"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
    }

    async fn read(&self, client: &Client, prior: &Value) -> Result<Option<Value>> {
        let project = project_of(prior)?;
        if client.get_opt(&format!("/v2/projects/{project}")).await?.is_none() {
            return Ok(None);
        }
        let in_project = project_urns(client, project).await?;
        let wanted = prior.get_strings("resources");
        let kept: Vec<String> = if prior.get("resources").is_none_or(Value::is_null) {
            in_project
        } else {
            wanted.into_iter().filter(|u| in_project.contains(u)).collect()
        };
        Ok(Some(to_value(project, kept)))
    }

    async fn create(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Value> {
        self.apply(client, &[], planned).await
    }

    async fn update(&self, client: &Client, _ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        self.apply(client, &prior.get_strings("resources"), planned).await
    }

    async fn delete(&self, client: &Client, _ctx: &OpContext, prior: &Value) -> Result<()> {
        let project = project_of(prior)?;
        if client.get_opt(&format!("/v2/projects/{project}")).await?.is_none() {
            return Ok(());
        }
        let in_project = project_urns(client, project).await?;
        let ours: Vec<String> = prior
            .get_strings("resources")
            .into_iter()
            .filter(|u| in_project.contains(u))
            .collect();
        assign(client, "default", &ours).await
    }

    async fn import(&self, client: &Client, id: &str) -> Result<Option<Value>> {
        self.read(client, &Value::map([("project", Value::string(id))])).await
    }

    async fn find_created(&self, client: &Client, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(current) = self.read(client, planned).await? else {
            return Ok(None);
        };
        let all_there = planned.get_strings("resources").len() == current.get_strings("resources").len();
        Ok(all_there.then_some(current))
    }
}
