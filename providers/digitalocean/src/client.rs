//! The DigitalOcean API client every resource type uses.
//!
//! [`Client`] sends JSON requests to `api_endpoint` with the bearer token, and:
//! - follows pagination (`per_page=200`, the page numbers of `links.pages.next`) in [`Client::list`];
//! - waits out 429 answers for as long as `retry-after` (or `ratelimit-reset`) says, up to
//!   [`MAX_RATE_LIMITED`] times in a row;
//! - retries 5xx answers and connection failures with exponential backoff and jitter, at most
//!   [`MAX_ATTEMPTS`] attempts in all (8 to 12 s of waiting at most), and only where a retry cannot
//!   repeat a side effect: idempotent methods, or a POST whose connection was never made;
//! - bounds the requests in flight with one [`AdaptiveLimit`] for the API: 429 and 5xx answers halve it,
//!   successful answers grow it (the engine itself has no fixed worker count);
//! - turns error answers into [`ProviderError`]s carrying the API's `id` as code, its `message` and its
//!   `request_id`; a 404 is [`ErrorKind::NotFound`](infra_provider::ErrorKind::NotFound), and a 5xx, or a
//!   request that failed after its connection was made, is
//!   [`ErrorKind::Ambiguous`](infra_provider::ErrorKind::Ambiguous): a POST may have taken effect, and the
//!   engine looks for what it made before creating again.
//!
//! The token is held in [`Token`], whose `Debug` prints nothing of it; it is never part of an error or a
//! log line. Every call is logged with `tracing::debug!(target: "infra::api", method, path)`.

use infra_provider::{AdaptiveLimit, ProviderError, Result};
use rand::Rng;
use reqwest::Method;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Attempts for a request that meets 5xx answers or connection failures.
pub const MAX_ATTEMPTS: u32 = 6;
/// Consecutive 429 answers ridden out before giving up.
pub const MAX_RATE_LIMITED: u32 = 20;
/// The longest single wait a 429 may impose.
const MAX_RATE_WAIT: Duration = Duration::from_secs(60);

/// An API token. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Token {
        Token(s.into())
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

struct Inner {
    http: reqwest::Client,
    base: String,
    token: Token,
    /// Requests in flight to the API, adapting to 429 and 5xx answers.
    limit: AdaptiveLimit,
}

/// A configured DigitalOcean API client (cheap to clone).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .field("token", &self.inner.token)
            .finish()
    }
}

impl Client {
    /// A client of `base` (e.g. `https://api.digitalocean.com`) with `token`.
    pub fn new(base: &str, token: Token) -> Result<Client> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("infra-digitalocean/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| ProviderError::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                limit: AdaptiveLimit::for_endpoint(base.trim_end_matches('/')),
                base: base.trim_end_matches('/').to_string(),
                token,
            }),
        })
    }

    /// The adaptive limit on requests in flight to this API.
    pub fn limit(&self) -> &AdaptiveLimit {
        &self.inner.limit
    }

    pub fn base(&self) -> &str {
        &self.inner.base
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        Ok(self.call(Method::GET, path, &[], None).await?.unwrap_or(Value::Null))
    }
    pub async fn get_query(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        Ok(self.call(Method::GET, path, query, None).await?.unwrap_or(Value::Null))
    }
    /// A GET that answers `None` on 404.
    pub async fn get_opt(&self, path: &str) -> Result<Option<Value>> {
        match self.get(path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self
            .call(Method::POST, path, &[], Some(body))
            .await?
            .unwrap_or(Value::Null))
    }
    /// A POST that repeating cannot change the outcome of (assigning resources to a project: an assigned
    /// resource answers `already_assigned`), so it is retried after 5xx answers and broken connections as
    /// a PUT would be.
    pub async fn post_idempotent(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self
            .send(Method::POST, path, &[], Some(body), true)
            .await?
            .unwrap_or(Value::Null))
    }
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self
            .call(Method::PUT, path, &[], Some(body))
            .await?
            .unwrap_or(Value::Null))
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self
            .call(Method::PATCH, path, &[], Some(body))
            .await?
            .unwrap_or(Value::Null))
    }
    /// A DELETE; "already gone" (404) is success.
    pub async fn delete(&self, path: &str) -> Result<()> {
        match self.call(Method::DELETE, path, &[], None).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
    /// A DELETE with a JSON body (untagging resources).
    pub async fn delete_with_body(&self, path: &str, body: &Value) -> Result<()> {
        self.call(Method::DELETE, path, &[], Some(body)).await.map(|_| ())
    }

    /// Every item under `key` of a paginated list, following `links.pages.next` with `per_page=200`.
    pub async fn list(&self, path: &str, query: &[(&str, String)], key: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut page = 1u64;
        for _ in 0..10_000 {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("per_page", "200".to_string()));
            let v = self.get_query(path, &q).await?;
            if let Some(items) = v.get(key).and_then(Value::as_array) {
                out.extend(items.iter().cloned());
            }
            let next = v.pointer("/links/pages/next").and_then(Value::as_str);
            match next {
                Some(url) => page = page_of(url).unwrap_or(page + 1).max(page + 1),
                None => return Ok(out),
            }
        }
        Err(ProviderError::new(format!(
            "GET {path}: pagination did not end after 10000 pages"
        )))
    }

    /// Sends one request with the retry rules of this module. `Ok(None)` for an empty (204) answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Option<Value>> {
        let idempotent = method != Method::POST && method != Method::PATCH;
        self.send(method, path, query, body, idempotent).await
    }

    /// [`call`](Self::call), saying whether the request may be repeated after an answer that does not
    /// prove it had no effect.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Option<Value>> {
        let url = format!("{}{}", self.inner.base, path);
        let mut attempts = 0u32;
        let mut limited = 0u32;
        loop {
            attempts += 1;
            tracing::debug!(target: "infra::api", method = %method, path = %path);
            let mut req = self
                .inner
                .http
                .request(method.clone(), &url)
                .query(query)
                .bearer_auth(self.inner.token.expose())
                .header("accept", "application/json");
            if let Some(b) = body {
                req = req.json(b);
            }
            let permit = self.inner.limit.acquire().await;
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    // A transport error says nothing about the endpoint's load.
                    drop(permit);
                    let retry = attempts < MAX_ATTEMPTS && (idempotent || e.is_connect());
                    if retry {
                        tokio::time::sleep(backoff(attempts)).await;
                        continue;
                    }
                    let message = format!("{method} {path}: the request failed: {}", describe_transport(&e));
                    // Not connected: nothing was sent. Otherwise the request may have taken effect.
                    return Err(if e.is_connect() {
                        ProviderError::new(message)
                    } else {
                        ProviderError::ambiguous(message)
                    });
                }
            };
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let problem = headers
                .get("content-type")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|c| c.contains("problem+json"));
            // The place in flight is given back before any wait, with what the answer says of the load.
            let overloaded = status == 429 || status >= 500;
            if status == 429 {
                limited += 1;
                if limited <= MAX_RATE_LIMITED {
                    permit.overloaded();
                    let wait = rate_limit_wait(&headers);
                    tracing::debug!(target: "infra::api", method = %method, path = %path, wait_ms = wait.as_millis() as u64, "rate limited");
                    tokio::time::sleep(wait).await;
                    attempts -= 1;
                    continue;
                }
            }
            if status >= 500 && !problem && idempotent && attempts < MAX_ATTEMPTS {
                permit.overloaded();
                tokio::time::sleep(backoff(attempts)).await;
                continue;
            }
            let text = resp.text().await.unwrap_or_default();
            if overloaded {
                permit.overloaded();
            } else {
                permit.success();
            }
            if (200..300).contains(&status) {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                return serde_json::from_str(&text).map(Some).map_err(|e| {
                    ProviderError::new(format!(
                        "{method} {path}: the answer is not JSON ({e}): {}",
                        snippet(&text)
                    ))
                });
            }
            // The message names the call (`POST /v2/droplets: HTTP 422`).
            return Err(api_error(&method, path, status, problem, &text, &headers));
        }
    }
}

/// The page number in a `links.pages.next` URL.
fn page_of(url: &str) -> Option<u64> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|p| p.parse().ok())
}

fn backoff(attempt: u32) -> Duration {
    let base = 250u64 << (attempt.saturating_sub(1)).min(5);
    let jitter = rand::rng().random_range(0..=base / 2);
    Duration::from_millis(base + jitter)
}

/// How long a 429 asks to wait: `retry-after` seconds, else until `ratelimit-reset` (epoch seconds).
pub fn rate_limit_wait(headers: &reqwest::header::HeaderMap) -> Duration {
    let num = |k: &str| {
        headers
            .get(k)
            .and_then(|h| h.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
    };
    let wait = if let Some(secs) = num("retry-after") {
        Duration::from_secs_f64(secs.max(0.0))
    } else if let Some(reset) = num("ratelimit-reset") {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Duration::from_secs_f64((reset - now).max(0.0))
    } else {
        Duration::from_secs(1)
    };
    wait.clamp(Duration::from_millis(50), MAX_RATE_WAIT)
}

fn describe_transport(e: &reqwest::Error) -> String {
    // reqwest's messages hold the URL (no credentials in it) and the cause; never the headers.
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(cause) = src {
        s.push_str(&format!(": {cause}"));
        src = cause.source();
    }
    s
}

fn snippet(text: &str) -> String {
    let t: String = text.chars().take(2000).collect();
    if t.len() < text.len() { format!("{t}...") } else { t }
}

/// The error of a non-2xx answer. DigitalOcean answers `{id, message, request_id}`; a validating proxy
/// in front (tests) answers `application/problem+json` with a `validation` list, reported in full.
fn api_error(
    method: &Method,
    path: &str,
    status: u16,
    problem: bool,
    text: &str,
    headers: &reqwest::header::HeaderMap,
) -> ProviderError {
    let json: Option<Value> = serde_json::from_str(text).ok();
    if problem {
        let j = json.unwrap_or(Value::Null);
        let title = j
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("invalid request or response");
        let violations: Vec<String> = j
            .get("validation")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| {
                        let loc = v
                            .get("location")
                            .and_then(Value::as_array)
                            .map(|l| {
                                l.iter()
                                    .map(|x| x.as_str().map(str::to_string).unwrap_or(x.to_string()))
                                    .collect::<Vec<_>>()
                                    .join(".")
                            })
                            .unwrap_or_default();
                        format!("{loc}: {}", v.get("message").and_then(Value::as_str).unwrap_or(""))
                    })
                    .collect()
            })
            .unwrap_or_default();
        return ProviderError::api(
            "openapi_violation",
            format!("{method} {path}: HTTP {status} {title}: {}", violations.join("; ")),
        );
    }
    let request_id = json
        .as_ref()
        .and_then(|j| j.get("request_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            headers
                .get("x-request-id")
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    let (code, message) = match &json {
        Some(j) if j.get("message").is_some() => (
            j.get("id").and_then(Value::as_str).unwrap_or("error").to_string(),
            j.get("message").and_then(Value::as_str).unwrap_or("").to_string(),
        ),
        _ => (format!("http_{status}"), snippet(text)),
    };
    let mut e =
        ProviderError::api(code, format!("{message} ({method} {path}: HTTP {status})")).with_request_id(request_id);
    if status == 404 {
        e.kind = infra_provider::ErrorKind::NotFound;
    } else if status >= 500 {
        // The server failed while handling it: a POST may have taken effect.
        e.kind = infra_provider::ErrorKind::Ambiguous;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints() {
        let t = Token::new("dop_v1_secret");
        assert!(!format!("{t:?} {t}").contains("secret"));
        let c = Client::new("http://127.0.0.1:1", t).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn next_page_numbers_come_from_links() {
        assert_eq!(
            page_of("https://api.digitalocean.com/v2/droplets?page=3&per_page=200"),
            Some(3)
        );
        assert_eq!(page_of("https://x/v2/tags?per_page=1&page=12"), Some(12));
        assert_eq!(page_of("https://x/v2/tags"), None);
    }

    #[test]
    fn rate_limit_wait_uses_retry_after_then_reset() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(rate_limit_wait(&h), Duration::from_secs(2));
        let mut h = reqwest::header::HeaderMap::new();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        h.insert("ratelimit-reset", (now + 3).to_string().parse().unwrap());
        let w = rate_limit_wait(&h);
        assert!(w <= Duration::from_secs(3) && w >= Duration::from_secs(1), "{w:?}");
        h.insert("ratelimit-reset", (now + 100_000).to_string().parse().unwrap());
        assert_eq!(rate_limit_wait(&h), MAX_RATE_WAIT);
    }

    /// Records every tracing event as text.
    struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    struct Fields<'a>(&'a mut String);

    impl tracing::field::Visit for Fields<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
            self.0.push_str(&format!("{}={value:?} ", field.name()));
        }
    }

    impl tracing::Subscriber for Recorder {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut line = format!("{} ", event.metadata().target());
            event.record(&mut Fields(&mut line));
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[tokio::test]
    async fn every_call_is_logged_without_the_token() {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let _guard = tracing::subscriber::set_default(Recorder(lines.clone()));
        let double = do_double::DoDouble::start("127.0.0.1:0").await.unwrap();
        let secret = "dop_v1_0123456789abcdef-very-secret";
        let client = Client::new(&double.url(), Token::new(secret)).unwrap();
        let sizes = client.list("/v2/sizes", &[], "sizes").await.unwrap();
        assert!(sizes.len() >= 5);
        let e = client.get("/v2/droplets/42").await.unwrap_err();
        assert!(e.is_not_found());
        assert!(!format!("{e} {e:?}").contains(secret));
        let lines = lines.lock().unwrap().clone();
        let api: Vec<&String> = lines.iter().filter(|l| l.starts_with("infra::api ")).collect();
        assert!(
            api.iter()
                .any(|l| l.contains("method=GET") && l.contains("path=/v2/sizes")),
            "{lines:?}"
        );
        assert!(api.iter().any(|l| l.contains("path=/v2/droplets/42")), "{lines:?}");
        assert!(
            lines.iter().all(|l| !l.contains(secret)),
            "the token was logged: {lines:?}"
        );
    }

    #[test]
    fn the_token_and_endpoint_fall_back_to_the_environment() {
        // SAFETY: no other test of this crate reads or writes these variables.
        unsafe {
            std::env::set_var("DIGITALOCEAN_ACCESS_TOKEN", "from-env");
            std::env::set_var("DIGITALOCEAN_API_URL", "http://127.0.0.1:9");
            std::env::remove_var("DIGITALOCEAN_TOKEN");
        }
        let c = crate::client_from_config(&infra_provider::Value::empty_map()).unwrap();
        assert_eq!(c.base(), "http://127.0.0.1:9");
        let c = crate::client_from_config(&infra_provider::Value::map([(
            "api_endpoint",
            infra_provider::Value::string("https://example.test/"),
        )]))
        .unwrap();
        assert_eq!(c.base(), "https://example.test");
        unsafe {
            std::env::remove_var("DIGITALOCEAN_ACCESS_TOKEN");
            std::env::remove_var("DIGITALOCEAN_API_URL");
        }
        let e = crate::client_from_config(&infra_provider::Value::empty_map()).unwrap_err();
        assert_eq!(e.kind, infra_provider::ErrorKind::Config);
    }
}
