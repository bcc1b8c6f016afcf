//! Integration tests of the AWS provider against moto: one binary (link time), one module per type.
//! Every test starts its own moto server and configures the provider through `Provider::configure`.

mod common;
mod data_sources;
mod ecs;
mod internet_gateway;
mod lb;
mod route_table;
mod secretsmanager;
mod security_group;
mod security_group_rule;
mod ssm_parameter;
mod subnet;
mod vpc;
