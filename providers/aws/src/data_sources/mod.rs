//! The data sources, one file each; [`register`] adds them to the registry.

use crate::client::AwsClient;
use infra_provider::Registry;

pub mod availability_zones;
pub mod caller_identity;
pub mod region;

/// Adds every data source of this crate to a registry.
pub fn register(r: Registry<AwsClient>) -> Registry<AwsClient> {
    r.data_source(availability_zones::AvailabilityZones)
        .data_source(caller_identity::CallerIdentity)
        .data_source(region::Region)
}
