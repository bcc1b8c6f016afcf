//! The resource types, one file each. A file holds the type's schema (Terraform's names, computed
//! attributes and replacement rules) and its API calls; shared work lives in [`crate::tags`],
//! [`crate::ec2`], [`crate::values`] and [`crate::errors`]. [`register`] adds every type to the registry.

use crate::client::AwsClient;
use infra_provider::Registry;

pub mod cloudwatch_log_group;
pub mod cloudwatch_metric_alarm;
pub mod db_instance;
pub mod db_parameter_group;
pub mod db_subnet_group;
pub mod ebs_volume;
pub mod ecr_lifecycle_policy;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_cluster_capacity_providers;
pub mod ecs_service;
pub mod ecs_task_definition;
pub mod efs_access_point;
pub mod efs_file_system;
pub mod efs_mount_target;
pub mod eip;
pub mod iam_policy;
pub mod iam_role;
pub mod iam_role_policy;
pub mod iam_role_policy_attachment;
pub mod internet_gateway;
pub mod lb;
pub mod lb_listener;
pub mod lb_target_group;
pub mod nat_gateway;
pub mod route;
pub mod route_table;
pub mod route_table_association;
pub mod s3_bucket;
pub mod s3_bucket_lifecycle_configuration;
pub mod s3_bucket_public_access_block;
pub mod s3_bucket_versioning;
pub mod scheduler_schedule;
pub mod scheduler_schedule_group;
pub mod secretsmanager_secret;
pub mod secretsmanager_secret_version;
pub mod security_group;
pub mod service_discovery_private_dns_namespace;
pub mod service_discovery_service;
pub mod ssm_parameter;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;
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
        // Stage A1: networking rest, database, identity and logs.
        .resource(eip::Eip)
        .resource(nat_gateway::NatGateway)
        .resource(route::Route)
        .resource(vpc_endpoint::VpcEndpoint)
        .resource(db_subnet_group::DbSubnetGroup)
        .resource(db_parameter_group::DbParameterGroup)
        .resource(db_instance::DbInstance)
        .resource(iam_role::IamRole)
        .resource(iam_role_policy_attachment::IamRolePolicyAttachment)
        .resource(iam_role_policy::IamRolePolicy)
        .resource(cloudwatch_log_group::CloudwatchLogGroup)
        // Stage A2: containers registry, storage.
        .resource(ecr_repository::EcrRepository)
        .resource(ecr_lifecycle_policy::EcrLifecyclePolicy)
        .resource(efs_file_system::EfsFileSystem)
        .resource(efs_mount_target::EfsMountTarget)
        .resource(efs_access_point::EfsAccessPoint)
        .resource(ebs_volume::EbsVolume)
        .resource(s3_bucket::S3Bucket)
        .resource(s3_bucket_versioning::S3BucketVersioning)
        .resource(s3_bucket_public_access_block::S3BucketPublicAccessBlock)
        .resource(s3_bucket_lifecycle_configuration::S3BucketLifecycleConfiguration)
        // Stage B: ECS and load balancing.
        .resource(ecs_cluster::EcsCluster)
        .resource(ecs_cluster_capacity_providers::EcsClusterCapacityProviders)
        .resource(ecs_task_definition::EcsTaskDefinition)
        .resource(ecs_service::EcsService)
        .resource(lb::Lb)
        .resource(lb_target_group::LbTargetGroup)
        .resource(lb_listener::LbListener)
        // Service discovery.
        .resource(service_discovery_private_dns_namespace::ServiceDiscoveryPrivateDnsNamespace)
        .resource(service_discovery_service::ServiceDiscoveryService)
        // EventBridge Scheduler.
        .resource(scheduler_schedule_group::SchedulerScheduleGroup)
        .resource(scheduler_schedule::SchedulerSchedule)
        .resource(iam_policy::IamPolicy)
        .resource(cloudwatch_metric_alarm::CloudwatchMetricAlarm)
        // Terraform's older names for the same three types.
        .alias("aws_alb", "aws_lb")
        .alias("aws_alb_target_group", "aws_lb_target_group")
        .alias("aws_alb_listener", "aws_lb_listener")
}
