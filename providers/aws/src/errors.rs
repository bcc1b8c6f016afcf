//! Mapping SDK errors to [`ProviderError`]: [`api_error`] keeps the AWS error code, message and request id
//! and classifies "does not exist" codes as [`ErrorKind::NotFound`](infra_provider::ErrorKind); the
//! [`Context`] extension prefixes what was being done ("creating EC2 VPC: ..."); [`delete_retrying`]
//! retries a delete while the cloud answers that the object is still in use.
//!
//! Messages come from AWS and from this crate only; no request parameter (and so no secret value) is ever
//! formatted into them.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use infra_provider::{ErrorKind, OpContext, Poll, ProviderError, wait_for};

/// AWS error codes that mean the object does not exist (besides every code ending in `NotFound`).
const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "ParameterNotFound",
    "NoSuchEntity",
    "NoSuchBucket",
    "DBInstanceNotFound",
    "DBSubnetGroupNotFoundFault",
    "NotFoundException",
];

/// True when an AWS error code says the request was refused for its rate (nothing happened).
pub fn is_throttling_code(code: &str) -> bool {
    code.contains("Throttl")
        || matches!(
            code,
            "RequestLimitExceeded"
                | "SlowDown"
                | "TooManyRequestsException"
                | "RequestThrottled"
                | "PriorRequestNotComplete"
        )
}

/// True when an AWS error code means "not found".
pub fn is_not_found_code(code: &str) -> bool {
    code.ends_with("NotFound") || code.ends_with(".NotFound") || NOT_FOUND_CODES.contains(&code)
}

/// Runs a delete call until it stops failing with one of the `busy` codes (something still uses the
/// object: an ENI being released, a service being drained) or the operation times out; a not-found error
/// counts as deleted.
pub async fn delete_retrying<F, Fut>(
    ctx: &OpContext,
    what: &str,
    busy: &[&str],
    mut call: F,
) -> infra_provider::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = infra_provider::Result<()>>,
{
    wait_for(ctx, what, || {
        let fut = call();
        async move {
            match fut.await {
                Ok(()) => Ok(Poll::Ready(())),
                Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                Err(e) if busy.contains(&code_of(&e)) => Ok(Poll::Pending(e.to_string())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// Converts an SDK error into a [`ProviderError`] with the AWS code, message and request id.
pub fn api_error<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let request_id = err.request_id().map(str::to_string);
    let mut pe = error_of(&err, request_id);
    pe.operation = operation_name::<E>();
    pe
}

/// The API call an SDK error type belongs to, from its Rust path: `aws_sdk_ec2::operation::create_vpc::
/// CreateVpcError` is `ec2:CreateVpc` (IAM's spelling of actions).
fn operation_name<E>() -> Option<String> {
    let path = std::any::type_name::<E>();
    let (krate, rest) = path.split_once("::operation::")?;
    let service = krate.rsplit("::").next()?.strip_prefix("aws_sdk_")?;
    let op = rest.rsplit("::").next()?.strip_suffix("Error")?;
    Some(format!("{service}:{op}"))
}

fn error_of<E>(err: &SdkError<E, HttpResponse>, request_id: Option<String>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().map(str::to_string).unwrap_or_else(|| error_chain(e));
            let status = se.raw().status().as_u16();
            let mut pe = ProviderError::api(code.clone(), message).with_request_id(request_id);
            if is_not_found_code(&code) {
                pe.kind = ErrorKind::NotFound;
            } else if status >= 500 && !is_throttling_code(&code) {
                // The service failed while handling the request: it may have done it.
                pe.kind = ErrorKind::Ambiguous;
            }
            pe
        }
        SdkError::ConstructionFailure(_) => {
            ProviderError::new(format!("calling AWS failed: {}", error_chain(err))).with_request_id(request_id)
        }
        _ if crate::resend::is_may_have_taken_effect(err) => {
            ProviderError::ambiguous(error_chain(err)).with_request_id(request_id)
        }
        // No answer, or one that could not be read: the request may have reached AWS.
        _ => ProviderError::ambiguous(format!("calling AWS failed: {}", error_chain(err))).with_request_id(request_id),
    }
}

/// Adds what was being done to an error's message, keeping its code, kind and request id.
pub trait Context<T> {
    fn context(self, what: impl std::fmt::Display) -> Result<T, ProviderError>;
}

impl<T> Context<T> for Result<T, ProviderError> {
    fn context(self, what: impl std::fmt::Display) -> Result<T, ProviderError> {
        self.map_err(|mut e| {
            e.message = format!("{what}: {}", e.message);
            e
        })
    }
}

/// `api_error` plus [`Context`] in one step: `.map_err(aws_err("creating EC2 VPC"))`.
pub fn aws_err<E>(what: impl std::fmt::Display) -> impl FnOnce(SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |err| {
        let mut e = api_error(err);
        e.message = format!("{what}: {}", e.message);
        e
    }
}

/// The AWS error code of an error, if it has one.
pub fn code_of(e: &ProviderError) -> &str {
    e.code.as_deref().unwrap_or("")
}

/// An error and its sources as one line of their messages (`dispatch failure: io error: connection
/// refused`), without the debug dump the SDK's `DisplayErrorContext` appends.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let msg = err.to_string();
        // A wrapper often repeats its source's message; keep each message once.
        if !msg.is_empty() && !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        cur = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names() {
        assert_eq!(
            operation_name::<aws_sdk_ec2::operation::create_vpc::CreateVpcError>().as_deref(),
            Some("ec2:CreateVpc")
        );
        assert_eq!(
            operation_name::<aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError>().as_deref(),
            Some("rds:DescribeDBInstances")
        );
    }

    #[test]
    fn not_found_codes() {
        assert!(is_not_found_code("InvalidVpcID.NotFound"));
        assert!(is_not_found_code("InvalidGroup.NotFound"));
        assert!(is_not_found_code("ParameterNotFound"));
        assert!(is_not_found_code("ResourceNotFoundException"));
        assert!(!is_not_found_code("DependencyViolation"));
    }
}
