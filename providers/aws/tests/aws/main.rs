//! Integration tests of the AWS provider against moto: one binary (link time), one module per type.
//! Every test starts its own moto server and configures the provider through `Provider::configure`.

mod cloudwatch_log_group;
mod cloudwatch_metric_alarm;
mod common;
mod data_sources;
mod db_instance;
mod db_parameter_group;
mod db_subnet_group;
mod ebs_volume;
mod ecr;
mod ecs;
mod efs;
mod eip;
mod ephemeral;
mod iam;
mod iam_policy;
mod internet_gateway;
mod lb;
mod nat_gateway;
mod refresh;
mod route;
mod route_table;
mod s3;
mod scheduler;
mod secretsmanager;
mod security_group;
mod security_group_rule;
mod service_discovery;
mod ssm_parameter;
mod subnet;
mod vpc;
mod vpc_endpoint;
