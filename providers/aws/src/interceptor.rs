//! Counting API calls: [`ApiCallLogger`] is an SDK interceptor installed on every service client. It emits one
//! `tracing` debug event per API operation (not per retry attempt) with target `infra::api` and the fields
//! `service` and `operation`, so the engine can count the calls each plan or apply makes and report them per
//! resource.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The `tracing` target of API call events.
pub const API_TARGET: &str = "infra::api";

/// Logs every API operation a client executes (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiCallLogger;

impl Intercept for ApiCallLogger {
    fn name(&self) -> &'static str {
        "infra-api-call-logger"
    }

    // Once per operation, after the operation's configuration (which holds its name) is in the bag;
    // `read_before_execution` runs before that for client-level interceptors.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(m) => tracing::debug!(target: "infra::api", service = m.service(), operation = m.name(), "api call"),
            None => tracing::debug!(target: "infra::api", service = "unknown", operation = "unknown", "api call"),
        }
        Ok(())
    }
}
