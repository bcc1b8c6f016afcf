//! Retries that never make a second object.
//!
//! The SDK's retry layer resends a request whose attempt failed in a transient way: the connection was
//! reset, it timed out, or AWS answered 5xx. For a read that is harmless. For a call that makes
//! something and carries no idempotency token (`CreateSubnet`, `RegisterTaskDefinition`,
//! `PutParameter`, …) the first attempt may have taken effect although the client never heard: a resend
//! makes a second object, or fails with "already exists" while the first is never recorded.
//!
//! So for those calls ([`resend_is_unsafe`]) an ambiguous attempt is not resent: [`NoBlindResend`] (an
//! interceptor) marks the attempt, and [`ForbidResend`] (a retry classifier) forbids its retry. The call
//! fails with an error whose kind is [`ErrorKind::Ambiguous`](infra_provider::ErrorKind) (see
//! `errors::api_error`); the engine then keeps the create's intent and asks the type's `find_created`
//! before creating again. Throttling answers prove that nothing happened and are retried as usual, with
//! the adaptive retry mode's client-side rate limit (see `config.rs`).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{FinalizerInterceptorContextMut, InterceptorContext};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::fmt;

/// Header the interceptor puts on a 5xx answer to a call that must not be resent.
const NOT_RESENT: &str = "x-infra-not-resent";

/// Calls that make something: sending one twice can make two objects, or fail the second time
/// ("already exists") although the first took effect. Calls with an idempotency token are included:
/// not every service (nor every emulator) answers a repeated token with the first call's result — EFS
/// answers `FileSystemAlreadyExists` by design — and the engine's look-before-create is safe for all.
pub fn resend_is_unsafe(operation: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "Create",
        "Register",
        "Allocate",
        "Authorize",
        "Run",
        "Import",
        "Associate",
        "Attach",
        "Copy",
        "Request",
    ];
    operation == "PutParameter" || PREFIXES.iter().any(|p| operation.starts_with(p))
}

/// True when an answer is a throttling error (the request was refused, nothing happened).
fn is_throttling(resp: &HttpResponse) -> bool {
    if resp.status().as_u16() == 429 {
        return true;
    }
    if resp
        .headers()
        .get("x-amzn-ErrorType")
        .is_some_and(|t| t.contains("Throttl") || t.contains("TooManyRequests"))
    {
        return true;
    }
    let body = resp.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
    [
        "RequestLimitExceeded",
        "Throttl",
        "SlowDown",
        "TooManyRequests",
        "RequestThrottled",
    ]
    .iter()
    .any(|c| body.contains(c))
}

/// The error a call ends with when its attempt may have taken effect and it was not resent.
#[derive(Debug)]
pub struct MayHaveTakenEffect {
    pub operation: String,
    pub detail: String,
}

impl fmt::Display for MayHaveTakenEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} may have reached AWS ({}); it was not sent again, because a second call could make a second object",
            self.operation, self.detail
        )
    }
}

impl std::error::Error for MayHaveTakenEffect {}

/// Marks an ambiguous attempt of a call that must not be resent (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBlindResend;

impl Intercept for NoBlindResend {
    fn name(&self) -> &'static str {
        "infra-no-blind-resend"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(operation) = cfg.load::<Metadata>().map(|m| m.name().to_string()) else {
            return Ok(());
        };
        if !resend_is_unsafe(&operation) {
            return Ok(());
        }
        let ctx = context.inner_mut();
        if let Some(resp) = ctx.response_mut() {
            if resp.status().as_u16() >= 500 && !is_throttling(resp) {
                resp.headers_mut().insert(NOT_RESENT, "1");
            }
            return Ok(());
        }
        // No answer at all: reset, timeout, or a connection that failed after the request was written.
        if let Some(Err(e)) = ctx.output_or_error_mut() {
            let detail = crate::errors::error_chain(&*e);
            *e = OrchestratorError::other(MayHaveTakenEffect { operation, detail });
        }
        Ok(())
    }
}

/// Forbids the retry of an attempt [`NoBlindResend`] marked.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForbidResend;

impl ClassifyRetry for ForbidResend {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        if ctx.response().is_some_and(|r| r.headers().contains_key(NOT_RESENT)) {
            return RetryAction::RetryForbidden;
        }
        if let Some(Err(e)) = ctx.output_or_error()
            && is_may_have_taken_effect(e)
        {
            return RetryAction::RetryForbidden;
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "infra-forbid-blind-resend"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// True when `e` or one of its sources is a [`MayHaveTakenEffect`].
pub fn is_may_have_taken_effect(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<MayHaveTakenEffect>().is_some() {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_without_tokens_are_not_resent() {
        for op in [
            "CreateSubnet",
            "RegisterTaskDefinition",
            "PutParameter",
            "AuthorizeSecurityGroupEgress",
        ] {
            assert!(resend_is_unsafe(op), "{op}");
        }
        for op in [
            "DescribeVpcs",
            "GetParameters",
            "DeleteSubnet",
            "PutBucketPolicy",
            "ModifyVpcAttribute",
        ] {
            assert!(!resend_is_unsafe(op), "{op}");
        }
    }
}
