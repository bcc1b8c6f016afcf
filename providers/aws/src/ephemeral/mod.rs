//! The ephemeral resource types (`ephemeral "aws_..." "name" {}`), one file each; [`register`] adds them to
//! the registry. Each is opened at plan and again at apply and its answer is never kept, so opening only
//! reads (or, for the random password, asks the cloud to make up a value it does not keep). Schemas follow
//! hashicorp/aws 5.100 (the Plugin Framework schemas in `internal/service/secretsmanager/*_ephemeral.go`
//! and `internal/service/ssm/parameter_ephemeral.go`): no `id` attribute, arguments as given, computed
//! attributes filled in. A cloud error names the secret or parameter asked for.

use crate::client::AwsClient;
use infra_provider::Registry;

pub mod random_password;
pub mod secret_version;
pub mod ssm_parameter;

/// Adds every ephemeral resource type of this crate to a registry.
pub fn register(r: Registry<AwsClient>) -> Registry<AwsClient> {
    r.ephemeral(random_password::SecretsmanagerRandomPassword)
        .ephemeral(secret_version::SecretsmanagerSecretVersion)
        .ephemeral(ssm_parameter::SsmParameter)
}
