//! # do-double: a stateful test double of the DigitalOcean API v2
//!
//! DigitalOcean has no local emulator, so the provider's tests run against this double, normally behind
//! Prism (a proxy that checks every request and response against DigitalOcean's OpenAPI description).
//!
//! - [`DoDouble`]: the HTTP server. [`DoDouble::start`] serves on the caller's Tokio runtime,
//!   [`DoDouble::spawn`] on a thread of its own (so it outlives any one test's runtime).
//! - `/v2/...`: the API subset the provider uses (see `README.md`), with DigitalOcean's status
//!   transitions, actions, pagination and error bodies. State is kept per bearer token: every token is a
//!   tenant of its own, so parallel tests sharing one double never see each other's objects.
//! - `/_double/{token}/...`: the control surface (not part of the API, never proxied through Prism):
//!   inject 429s or server errors, hold the next Droplet create response, read poll counts and the request log, change
//!   the pacing [`Settings`], reset. [`Control`] is a small client for it.
//!
//! Modules: [`api`] (the endpoints), [`model`] (tenant state and rendering), [`catalog`] (regions, sizes
//! with list prices, images, database options), [`util`] (replies, pagination, timestamps).

pub mod api;
pub mod catalog;
pub mod model;
pub mod util;

pub use model::{Settings, Tenant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use util::{Reply, epoch_secs, parse_query, percent_decode};

/// How long a held `POST /v2/droplets` response waits for a release at most.
const HANG_LIMIT: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Shared {
    tenants: Mutex<HashMap<String, Tenant>>,
}

impl Shared {
    fn with<T>(&self, token: &str, f: impl FnOnce(&mut Tenant) -> T) -> T {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        f(tenants.entry(token.to_string()).or_default())
    }
}

/// A running double.
pub struct DoDouble {
    pub addr: SocketAddr,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DoDouble {
    /// Serves on `addr` (e.g. `127.0.0.1:0`) on the current Tokio runtime until dropped.
    pub async fn start(addr: &str) -> std::io::Result<DoDouble> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(DoDouble { addr, _stop: Some(tx) })
    }

    /// Serves on `addr` on a thread and runtime of its own, for the life of the process.
    pub fn spawn(addr: &str) -> std::io::Result<SocketAddr> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let local = std_listener.local_addr()?;
        std::thread::Builder::new().name("do-double".into()).spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime for the double");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                let _ = axum::serve(listener, router()).await;
            });
        })?;
        Ok(local)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The double's HTTP router: everything goes through one handler that routes by path segments.
pub fn router() -> axum::Router {
    axum::Router::new()
        .fallback(serve)
        .with_state(Arc::new(Shared::default()))
}

async fn serve(State(shared): State<Arc<Shared>>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query_str = parts.uri.query().unwrap_or("").to_string();
    let method = parts.method.as_str().to_string();
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("api.digitalocean.com")
        .to_string();
    if let Some(rest) = path.strip_prefix("/_double/") {
        return respond(control(&shared, &method, rest, &bytes).await);
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return respond(Reply::not_found());
    };
    let token = parts
        .headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let Some(token) = token else {
        return respond(Reply::error(401, "Unauthorized", "Unable to authenticate you"));
    };
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => return respond(Reply::error(400, "bad_request", format!("invalid JSON body: {e}"))),
        }
    };
    let req = api::Req {
        method: method.clone(),
        segs: rest.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect(),
        query: parse_query(Some(&query_str)),
        body,
        base_url: format!("http://{host}"),
    };
    let (reply, hang) = shared.with(&token, |t| {
        t.log.push(model::Logged {
            method: method.clone(),
            path: path.clone(),
            query: query_str.clone(),
        });
        if t.fail_next > 0 {
            t.fail_next -= 1;
            let mut r = Reply::error(429, "too_many_requests", "API rate limit exceeded.");
            r.headers.push(("retry-after".into(), t.retry_after.to_string()));
            r.headers
                .push(("ratelimit-reset".into(), (epoch_secs() + t.retry_after).to_string()));
            r.headers.push(("ratelimit-remaining".into(), "0".into()));
            return (r, None);
        }
        if t.fail_server > 0 {
            t.fail_server -= 1;
            return (
                Reply::error(
                    t.fail_status,
                    "server_error",
                    "Server was unable to give you a response.",
                ),
                None,
            );
        }
        let reply = api::handle(t, &req);
        let hang = if method == "POST" && req.segs == ["droplets"] && reply.status == 202 && t.hang_next_create {
            t.hang_next_create = false;
            Some(t.release.clone())
        } else {
            None
        };
        (reply, hang)
    });
    if let Some(release) = hang {
        let _ = tokio::time::timeout(HANG_LIMIT, release.notified()).await;
    }
    respond(reply)
}

fn respond(r: Reply) -> Response<Body> {
    let mut b = Response::builder().status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    let has = |k: &str| r.headers.iter().any(|(h, _)| h == k);
    let defaults = [
        ("ratelimit-limit", "5000".to_string()),
        ("ratelimit-remaining", "4999".to_string()),
        ("ratelimit-reset", (epoch_secs() + 60).to_string()),
    ];
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in defaults {
        if !has(k) {
            headers.push((k.to_string(), v));
        }
    }
    headers.extend(r.headers.iter().cloned());
    for (k, v) in headers {
        b = b.header(k, v);
    }
    match r.body {
        Some(v) => b
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(serde_json::to_vec(&v).unwrap_or_default()))
            .expect("response"),
        None => b.body(Body::empty()).expect("response"),
    }
}

async fn control(shared: &Shared, method: &str, rest: &str, body: &[u8]) -> Reply {
    if rest == "health" {
        return Reply::ok(json!({"ok": true}));
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some((token, what)) = rest.split_once('/') else {
        return Reply::not_found();
    };
    let token = percent_decode(token);
    shared.with(&token, |t| match (method, what) {
        ("POST", "rate-limit") => {
            t.fail_next = body.get("count").and_then(Value::as_u64).unwrap_or(1) as u32;
            t.retry_after = body.get("retry_after").and_then(Value::as_u64).unwrap_or(1);
            Reply::ok(json!({"fail_next": t.fail_next, "retry_after": t.retry_after}))
        }
        ("POST", "server-error") => {
            t.fail_server = body.get("count").and_then(Value::as_u64).unwrap_or(1) as u32;
            t.fail_status = body
                .get("status")
                .and_then(Value::as_u64)
                .filter(|s| (500..600).contains(s))
                .unwrap_or(500) as u16;
            Reply::ok(json!({"fail_server": t.fail_server, "status": t.fail_status}))
        }
        ("POST", "hang-next-droplet-create") => {
            t.hang_next_create = true;
            Reply::ok(json!({"armed": true}))
        }
        ("POST", "release") => {
            t.release.notify_one();
            Reply::ok(json!({"released": true}))
        }
        ("GET", "requests") => Reply::ok(json!({"requests": t.log.iter().map(|l| json!({
            "method": l.method, "path": l.path, "query": l.query,
        })).collect::<Vec<_>>()})),
        ("GET", "polls") => Reply::ok(json!({"polls": t.polls})),
        ("POST", "settings") => {
            let s = &mut t.settings;
            let get = |k: &str, d: u32| body.get(k).and_then(Value::as_u64).map(|n| n as u32).unwrap_or(d);
            s.droplet_active_after = get("droplet_active_after", s.droplet_active_after);
            s.action_complete_after = get("action_complete_after", s.action_complete_after);
            s.cluster_online_after = get("cluster_online_after", s.cluster_online_after);
            s.vpc_member_linger = get("vpc_member_linger", s.vpc_member_linger);
            Reply::ok(json!({
                "droplet_active_after": s.droplet_active_after,
                "action_complete_after": s.action_complete_after,
                "cluster_online_after": s.cluster_online_after,
                "vpc_member_linger": s.vpc_member_linger,
            }))
        }
        ("POST", "reset") => {
            t.release.notify_one();
            *t = Tenant::new();
            Reply::ok(json!({"reset": true}))
        }
        _ => Reply::not_found(),
    })
}

/// A blocking client of the control surface, for tests (plain HTTP/1.1 over a TCP stream, so it works
/// from sync code and from inside any runtime).
#[derive(Clone, Debug)]
pub struct Control {
    /// `http://127.0.0.1:PORT` of the double itself (not of Prism).
    pub base: String,
    pub token: String,
}

impl Control {
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Control {
        Control {
            base: base.into(),
            token: token.into(),
        }
    }

    fn call(&self, method: &str, what: &str, body: Value) -> Value {
        use std::io::{Read, Write};
        let hostport = self
            .base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let mut s =
            std::net::TcpStream::connect(&hostport).unwrap_or_else(|e| panic!("connect to do-double {hostport}: {e}"));
        let body = body.to_string();
        let path = format!("/_double/{}/{what}", util::encode(&self.token));
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write control request");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read control answer");
        let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "control call {method} {what} failed: {answer}"
        );
        // The answer may be chunked; find the JSON object in it.
        let start = rest.find('{').unwrap_or(0);
        let end = rest.rfind('}').map(|i| i + 1).unwrap_or(rest.len());
        serde_json::from_str(&rest[start..end]).unwrap_or(Value::Null)
    }

    /// Answers the next `count` API requests of this token with 429 and `retry-after: retry_after`.
    pub fn rate_limit(&self, count: u32, retry_after_secs: u64) {
        self.call(
            "POST",
            "rate-limit",
            json!({"count": count, "retry_after": retry_after_secs}),
        );
    }
    /// Answers the next `count` API requests of this token with `status` (500-599).
    pub fn server_error(&self, count: u32, status: u16) {
        self.call("POST", "server-error", json!({"count": count, "status": status}));
    }
    /// Holds the response of the next `POST /v2/droplets` (the Droplet is created) until [`Control::release`].
    pub fn hang_next_droplet_create(&self) {
        self.call("POST", "hang-next-droplet-create", json!({}));
    }
    pub fn release(&self) {
        self.call("POST", "release", json!({}));
    }
    /// `(method, path, query)` of every API request this token made, in order.
    pub fn requests(&self) -> Vec<(String, String, String)> {
        let v = self.call("GET", "requests", json!({}));
        v["requests"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
                        (s("method"), s("path"), s("query"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// How many times each object was observed (`droplet:ID`, `action:ID`, `database:ID`).
    pub fn polls(&self) -> HashMap<String, u64> {
        let v = self.call("GET", "polls", json!({}));
        v["polls"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default()
    }
    /// Changes the pacing of status transitions (only the keys given).
    pub fn settings(&self, settings: Value) {
        self.call("POST", "settings", settings);
    }
    pub fn reset(&self) {
        self.call("POST", "reset", json!({}));
    }
}
