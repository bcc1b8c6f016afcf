//! The data sources, one file each; [`register`] adds them to the registry.

use crate::client::AwsClient;
use infra_provider::Registry;

pub mod availability_zones;
pub mod caller_identity;
pub mod ecr;
pub mod iam_policy_document;
pub mod partition;
pub mod rds_engine_version;
pub mod rds_orderable_db_instance;
pub mod region;
pub mod secrets;
pub mod vpc;

/// Adds every data source of this crate to a registry.
pub fn register(r: Registry<AwsClient>) -> Registry<AwsClient> {
    r.data_source(availability_zones::AvailabilityZones)
        .data_source(caller_identity::CallerIdentity)
        .data_source(iam_policy_document::IamPolicyDocument)
        .data_source(partition::Partition)
        .data_source(partition::ServicePrincipal)
        .data_source(region::Region)
        .data_source(vpc::Vpc)
        .data_source(vpc::Subnets)
        .data_source(vpc::AvailabilityZone)
        .data_source(secrets::SsmParameter)
        .data_source(ecr::EcrRepository)
        .data_source(vpc::SecurityGroup)
        .data_source(secrets::SecretsmanagerSecret)
        .data_source(rds_orderable_db_instance::RdsOrderableDbInstance)
        .data_source(rds_engine_version::RdsEngineVersion)
}
