//! The resource types of the provider, one file each. Every type implements
//! [`infra_provider::ResourceType`] over the configured [`crate::client::Client`]; see each module for
//! how its create, update, delete, refresh and `find_created` map onto the API.

pub mod database_cluster;
pub mod database_db;
pub mod database_firewall;
pub mod database_user;
pub mod droplet;
pub mod firewall;
pub mod project;
pub mod project_resources;
pub mod ssh_key;
pub mod tag;
pub mod vpc;
