//! One adaptive concurrency limit per AWS service endpoint.
//!
//! Every service client sends through a [`LimitedHttpClient`]: the SDK's own HTTPS client (hyper 1,
//! rustls with aws-lc, proxy settings from the environment — what the SDK would choose by itself)
//! behind an [`AdaptiveLimit`] of that service. A request holds a place while it is on the wire; an
//! answer that says the service is overloaded — HTTP 429 or 5xx, or a 400 whose error code is a
//! throttling code (`Throttling`, `ThrottlingException`, `RequestLimitExceeded`, …; AWS throttles with
//! 400 in most protocols) — halves the limit, and successful answers grow it again. Together with the
//! adaptive retry mode's client-side *rate* limit (`config.rs`), a throttled service slows infra down
//! instead of failing the apply, while the engine runs every operation whose dependencies are done.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use infra_provider::AdaptiveLimit;

/// The HTTPS client the SDK makes by default, made once and shared by every service's limited client.
pub fn base_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut b = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.set_proxy_config(Some(ProxyConfig::from_env()));
        b.build()
    })
}

/// An HTTP client whose requests wait for a place in `limit`.
#[derive(Clone, Debug)]
pub struct LimitedHttpClient {
    inner: SharedHttpClient,
    limit: AdaptiveLimit,
}

impl LimitedHttpClient {
    pub fn new(inner: SharedHttpClient, limit: AdaptiveLimit) -> LimitedHttpClient {
        LimitedHttpClient { inner, limit }
    }
}

impl HttpClient for LimitedHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limit: self.limit.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    limit: AdaptiveLimit,
}

/// Error codes that mean "slow down", wherever AWS puts them (XML `<Code>`, JSON `__type`/`code`).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
];

/// True when an error body names a throttling code.
fn names_throttling(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    THROTTLING_CODES.iter().any(|c| text.contains(c))
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let limit = self.limit.clone();
        HttpConnectorFuture::new(async move {
            let permit = limit.acquire().await;
            let mut resp = match inner.call(request).await {
                Ok(r) => r,
                // A transport error (reset, timeout) is no signal about the load: the place is freed.
                Err(e) => return Err(e),
            };
            let status = resp.status().as_u16();
            if status == 429 || status >= 500 {
                permit.overloaded();
            } else if status == 400 {
                // Error answers are small; read this one to learn whether it is throttling, then hand the
                // SDK the same bytes.
                let body = resp.take_body();
                let bytes = ByteStream::new(body).collect().await.map(|b| b.into_bytes());
                match bytes {
                    Ok(bytes) => {
                        if names_throttling(&bytes) {
                            permit.overloaded();
                        } else {
                            permit.success();
                        }
                        *resp.body_mut() = SdkBody::from(bytes);
                    }
                    Err(e) => {
                        drop(permit);
                        return Err(aws_smithy_runtime_api::client::result::ConnectorError::io(e.into()));
                    }
                }
            } else {
                permit.success();
            }
            Ok(resp)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;

    /// Answers every request with one status and body.
    #[derive(Debug)]
    struct Answer(u16, &'static str);

    impl HttpConnector for Answer {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let (status, body) = (self.0, self.1);
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body),
            )))
        }
    }

    async fn send(limit: &AdaptiveLimit, answer: Answer) -> (u16, String) {
        let c = LimitedConnector {
            inner: SharedHttpConnector::new(answer),
            limit: limit.clone(),
        };
        let req = HttpRequest::get("http://localhost/").unwrap();
        let resp = c.call(req).await.unwrap();
        let body = ByteStream::new(SdkBody::from(resp.body().bytes().unwrap().to_vec()))
            .collect()
            .await
            .unwrap()
            .into_bytes();
        (resp.status().as_u16(), String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_throttled_answer_halves_the_limit_and_reaches_the_sdk_unchanged() {
        let limit = AdaptiveLimit::new("ecs", 16, 1, 256);
        let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
        let (status, got) = send(&limit, Answer(400, body)).await;
        assert_eq!((status, got.as_str()), (400, body));
        assert_eq!(limit.limit(), 8);
        // Another client error is an ordinary answer: the limit grows.
        let (status, _) = send(&limit, Answer(400, r#"{"__type":"InvalidParameterException"}"#)).await;
        assert_eq!(status, 400);
        assert!(limit.limit() >= 8);
        // 503 and 429 are overload answers whatever the body says.
        let before = limit.limit();
        send(&limit, Answer(503, "")).await;
        assert_eq!(limit.limit(), before / 2);
        let before = limit.limit();
        send(&limit, Answer(429, "")).await;
        assert_eq!(limit.limit(), (before / 2).max(1));
        assert_eq!(limit.in_flight(), 0);
    }

    #[tokio::test]
    async fn successful_answers_grow_the_limit() {
        let limit = AdaptiveLimit::new("ec2", 4, 1, 256);
        for _ in 0..4 {
            send(&limit, Answer(200, "<ok/>")).await;
        }
        assert_eq!(limit.limit(), 8);
    }

    #[test]
    fn throttling_codes_are_found_in_xml_and_json_error_bodies() {
        assert!(names_throttling(
            b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"
        ));
        assert!(names_throttling(
            br#"{"__type":"com.amazonaws.ecs#ThrottlingException","message":"Rate exceeded"}"#
        ));
        assert!(names_throttling(
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>"
        ));
        assert!(!names_throttling(
            b"<Response><Errors><Error><Code>InvalidParameterValue</Code></Error></Errors></Response>"
        ));
    }
}
