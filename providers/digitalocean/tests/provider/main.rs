//! Integration tests of the DigitalOcean provider, against the `do-double` test double behind one Prism
//! validating proxy (see `infra_testkit::digitalocean`). Every test is a tenant of its own.

mod batch;
mod client;
mod common;
mod data;
mod database;
mod double;
mod droplet;
mod network;
mod project;
