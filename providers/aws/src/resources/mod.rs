//! The resource types, one file each. A file holds the type's schema (Terraform's names, computed
//! attributes and replacement rules) and its API calls; shared work lives in [`crate::tags`],
//! [`crate::ec2`], [`crate::values`] and [`crate::errors`]. [`register`] adds every type to the registry.

use crate::client::AwsClient;
use infra_provider::Registry;

pub mod ecs_cluster;
pub mod ecs_service;
pub mod ecs_task_definition;
pub mod internet_gateway;
pub mod lb;
pub mod lb_listener;
pub mod lb_target_group;
pub mod route_table;
pub mod route_table_association;
pub mod secretsmanager_secret;
pub mod secretsmanager_secret_version;
pub mod security_group;
pub mod ssm_parameter;
pub mod subnet;
pub mod vpc;
pub mod vpc_security_group_rule;

/// Adds every resource type of this crate to a registry.
pub fn register(r: Registry<AwsClient>) -> Registry<AwsClient> {
    r.resource(vpc::Vpc)
        .resource(subnet::Subnet)
        .resource(internet_gateway::InternetGateway)
        .resource(route_table::RouteTable)
        .resource(route_table_association::RouteTableAssociation)
        .resource(security_group::SecurityGroup)
        .resource(vpc_security_group_rule::VpcSecurityGroupRule::ingress())
        .resource(vpc_security_group_rule::VpcSecurityGroupRule::egress())
        .resource(ssm_parameter::SsmParameter)
        .resource(secretsmanager_secret::SecretsmanagerSecret)
        .resource(secretsmanager_secret_version::SecretsmanagerSecretVersion)
        .resource(ecs_cluster::EcsCluster)
        .resource(ecs_task_definition::EcsTaskDefinition)
        .resource(ecs_service::EcsService)
        .resource(lb::Lb)
        .resource(lb_target_group::LbTargetGroup)
        .resource(lb_listener::LbListener)
}
