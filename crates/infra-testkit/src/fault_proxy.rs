//! [`FaultProxy`]: an HTTP/1.1 proxy on loopback in front of a local service (moto server, Prism) that
//! injects faults into requests, reproducibly from a seed: throttling errors, server errors, connections
//! reset before the request is forwarded, and connections reset after the upstream answered (the request
//! took effect but the client never learns it). It also holds a chosen request's connection open without
//! answering, so a test can kill the client between two steps of a create.
//!
//! Why: retries, idempotency and resumption after a crash are only tested if the backend misbehaves, and
//! the local emulators never do. Errors are answered in the wire format each client expects (the AWS JSON,
//! EC2, query and REST-XML protocols, the DigitalOcean API), so the SDKs see the real error codes.
//!
//! Unlike [`crate::proxy::LatencyProxy`] it parses HTTP: every request is read whole (headers, then a
//! `Content-Length` or chunked body), named (the operation), decided (one draw of a splitmix64 generator
//! shared by all requests in arrival order) and forwarded on a fresh upstream connection with
//! `Connection: close`; the response is the upstream's bytes up to EOF.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The largest request head (request line and headers) accepted.
const MAX_HEAD: u64 = 1 << 20;
/// The largest request body (or chunk) accepted.
const MAX_BODY: u64 = 1 << 30;
/// How long the upstream may take to answer one request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(300);

/// The operation name that makes [`FaultProxy::hold_after`] count every request: "hold the n-th call
/// of the run, whatever it is".
pub const ANY: &str = "*";

/// Which faults to inject, with which probability per request.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    pub seed: u64,
    /// Probability per request, 0.0..=1.0.
    pub throttle: f64,
    pub server_error: f64,
    pub reset_before: f64,
    pub reset_after: f64,
    /// Added to every forwarded request.
    pub latency: Duration,
    /// When non-empty, faults are injected only into requests whose operation name is in this list
    /// (latency still applies to all).
    pub only: Vec<String>,
    /// Operation names never faulted (e.g. "GetCallerIdentity").
    pub spare: Vec<String>,
}

impl Faults {
    /// No faults and no latency: a plain pass-through.
    pub fn none() -> Faults {
        Faults::default()
    }
}

/// What happened to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded and answered normally.
    None,
    /// Not forwarded; answered with a throttling error.
    Throttle,
    /// Not forwarded; answered with a 500 or 503 error.
    ServerError,
    /// Not forwarded; the client connection was reset.
    ResetBefore,
    /// Forwarded; the client connection was reset instead of answered.
    ResetAfter,
}

#[derive(Clone, Debug, Default)]
pub struct FaultStats {
    pub requests: usize,
    pub throttled: usize,
    pub server_errors: usize,
    pub reset_before: usize,
    pub reset_after: usize,
    /// Requests per operation name (every request, faulted or not).
    pub by_operation: BTreeMap<String, usize>,
}

pub struct FaultProxy {
    pub port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: u16,
    stop: AtomicBool,
    state: Mutex<State>,
    held_changed: Condvar,
}

#[derive(Default)]
struct State {
    faults: Faults,
    rng: SplitMix64,
    stats: FaultStats,
    log: Vec<(String, Fault)>,
    /// The armed hold: the operation and how many more of its requests pass before the held one.
    hold: Option<(String, usize)>,
    triggered: bool,
    held: Vec<TcpStream>,
}

/// The decision for one request.
struct Decision {
    fault: Fault,
    /// For a server error: 503 rather than 500.
    unavailable: bool,
    /// Hold the client connection after the upstream answered.
    hold: bool,
    latency: Duration,
}

/// The splitmix64 generator: tiny, and the same sequence for the same seed everywhere.
#[derive(Default)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The splitmix64 finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl FaultProxy {
    /// Proxies a free loopback port to `127.0.0.1:upstream`, injecting `faults`.
    pub fn start(upstream: u16, faults: Faults) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let port = listener.local_addr().expect("fault proxy address").port();
        let state = State {
            rng: SplitMix64(faults.seed),
            faults,
            ..State::default()
        };
        let shared = Arc::new(Shared {
            upstream,
            stop: AtomicBool::new(false),
            state: Mutex::new(state),
            held_changed: Condvar::new(),
        });
        {
            let shared = shared.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(client) = conn else { continue };
                    let shared = shared.clone();
                    std::thread::spawn(move || serve(client, &shared));
                }
            });
        }
        FaultProxy { port, shared }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the faults for later requests and restarts the random sequence from the new seed.
    pub fn set_faults(&self, faults: Faults) {
        let mut state = self.shared.lock();
        state.rng = SplitMix64(faults.seed);
        state.faults = faults;
    }

    pub fn stats(&self) -> FaultStats {
        self.shared.lock().stats.clone()
    }

    /// Every request so far as (operation, fault), in arrival order.
    pub fn log(&self) -> Vec<(String, Fault)> {
        self.shared.lock().log.clone()
    }

    /// After forwarding the `nth` (1-based, counted from this call) request whose operation is
    /// `operation` ([`ANY`] counts every request) and receiving its response, holds that client connection open forever without
    /// answering: the request took effect, the client waits. Only requests forwarded without a fault
    /// count. Only that one connection is held; other requests proceed normally.
    pub fn hold_after(&self, operation: &str, nth: usize) {
        let mut state = self.shared.lock();
        state.hold = Some((operation.to_string(), nth.saturating_sub(1)));
        state.triggered = false;
    }

    /// Waits until the hold armed by [`FaultProxy::hold_after`] has triggered; true if it did within
    /// `timeout`.
    pub fn wait_held(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while !state.triggered {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let changed = &self.shared.held_changed;
            state = changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    /// Releases held connections by closing them, and disarms a hold not yet triggered (for cleanup).
    pub fn release(&self) {
        let held = {
            let mut state = self.shared.lock();
            state.hold = None;
            std::mem::take(&mut state.held)
        };
        for conn in held {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.release();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `conn` open, unanswered, until [`FaultProxy::release`].
    fn hold(&self, conn: TcpStream) {
        let mut state = self.lock();
        if self.stop.load(Ordering::SeqCst) {
            return;
        }
        state.held.push(conn);
        state.triggered = true;
        self.held_changed.notify_all();
    }
}

impl State {
    /// Decides the fate of a request named `operation`, recording it in the stats and the log.
    fn decide(&mut self, operation: &str) -> Decision {
        let faults = &self.faults;
        let exempt = faults.spare.iter().any(|s| s == operation)
            || (!faults.only.is_empty() && !faults.only.iter().any(|s| s == operation));
        let (fault, unavailable) = if exempt {
            (Fault::None, false)
        } else {
            draw(faults, &mut self.rng)
        };
        let stats = &mut self.stats;
        stats.requests += 1;
        *stats.by_operation.entry(operation.to_string()).or_default() += 1;
        match fault {
            Fault::None => {}
            Fault::Throttle => stats.throttled += 1,
            Fault::ServerError => stats.server_errors += 1,
            Fault::ResetBefore => stats.reset_before += 1,
            Fault::ResetAfter => stats.reset_after += 1,
        }
        self.log.push((operation.to_string(), fault));
        let hold = fault == Fault::None && self.count_for_hold(operation);
        Decision {
            fault,
            unavailable,
            hold,
            latency: self.faults.latency,
        }
    }

    /// Counts a forwarded request for the armed hold; true (and disarms) when it is the one to hold.
    fn count_for_hold(&mut self, operation: &str) -> bool {
        match self.hold.as_mut() {
            Some((op, 0)) if op == operation || op == ANY => self.hold = None,
            Some((op, left)) if op == operation || op == ANY => *left -= 1,
            _ => return false,
        }
        self.hold.is_none()
    }
}

/// One uniform draw against the cumulative probabilities; a second draw picks 500 vs 503.
fn draw(faults: &Faults, rng: &mut SplitMix64) -> (Fault, bool) {
    let u = rng.uniform();
    let mut cumulative = 0.0;
    let mut fault = Fault::None;
    for (p, f) in [
        (faults.throttle, Fault::Throttle),
        (faults.server_error, Fault::ServerError),
        (faults.reset_before, Fault::ResetBefore),
        (faults.reset_after, Fault::ResetAfter),
    ] {
        cumulative += p.max(0.0);
        if u < cumulative {
            fault = f;
            break;
        }
    }
    let unavailable = fault == Fault::ServerError && rng.uniform() < 0.5;
    (fault, unavailable)
}

/// Serves one client connection, request after request, until it closes or a fault ends it.
fn serve(client: TcpStream, shared: &Shared) {
    let _ = client.set_nodelay(true);
    let mut conn = BufReader::new(client);
    while let Some(req) = read_request(&mut conn) {
        let decision = shared.lock().decide(&req.operation());
        match decision.fault {
            Fault::Throttle | Fault::ServerError => {
                let answer = synthesized(&req, decision.fault, decision.unavailable);
                if conn.get_mut().write_all(&answer).is_err() || req.wants_close() {
                    return;
                }
            }
            Fault::ResetBefore => return reset(conn.into_inner()),
            Fault::ResetAfter => {
                std::thread::sleep(decision.latency);
                let _ = exchange(shared.upstream, &req);
                return reset(conn.into_inner());
            }
            Fault::None => {
                std::thread::sleep(decision.latency);
                let Some(response) = exchange(shared.upstream, &req) else {
                    return;
                };
                if decision.hold {
                    return shared.hold(conn.into_inner());
                }
                let (answer, keep_alive) = client_response(&response, req.wants_close());
                if conn.get_mut().write_all(&answer).is_err() || !keep_alive {
                    return;
                }
            }
        }
    }
}

/// Closes `conn` with SO_LINGER 0, so the client sees ECONNRESET rather than an orderly close.
fn reset(conn: TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is open for the lifetime of `conn`, and `linger` is a valid `struct linger`
    // of the size passed.
    unsafe {
        libc::setsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(conn);
}

/// Sends `req` on a fresh upstream connection; the response is everything up to EOF.
fn exchange(upstream: u16, req: &Request) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let _ = server.set_nodelay(true);
    let _ = server.set_read_timeout(Some(UPSTREAM_TIMEOUT));
    server.write_all(&req.upstream_bytes()).ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

/// The upstream's `response` as the client gets it (its `Connection` header rewritten), and whether the
/// client connection stays open: only if the response is framed and the client did not ask to close.
fn client_response(response: &[u8], client_close: bool) -> (Vec<u8>, bool) {
    let mut body = response;
    let Some(lines) = read_head(&mut body) else {
        return (response.to_vec(), false);
    };
    let headers = parse_headers(&lines[1..]);
    let status: u16 = lines[0].split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let framed = header(&headers, "content-length").is_some() || chunked(&headers);
    let keep_alive = (framed || matches!(status, 100..=199 | 204 | 304)) && !client_close;
    let mut out = format!("{}\r\n", lines[0]);
    for (name, value) in headers.iter().filter(|(n, _)| !hop_by_hop(n)) {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    } else if lines[0].starts_with("HTTP/1.0") {
        out.push_str("Connection: keep-alive\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    (bytes, keep_alive)
}

fn parse_headers(lines: &[String]) -> Vec<(String, String)> {
    let pairs = lines.iter().filter_map(|l| l.split_once(':'));
    pairs
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn chunked(headers: &[(String, String)]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

/// Headers about the connection rather than the message, not passed on (`Expect`: the body is here).
fn hop_by_hop(name: &str) -> bool {
    ["connection", "keep-alive", "expect"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// A client request, read whole.
struct Request {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    /// The body as received (still chunk-encoded if it was).
    body: Vec<u8>,
    /// The body decoded.
    content: Vec<u8>,
}

/// How a request expects errors to be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    AwsJson,
    AwsEc2,
    AwsQuery,
    AwsRestXml,
    DigitalOcean,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    fn wants_close(&self) -> bool {
        let connection = self.header("connection").unwrap_or_default().to_ascii_lowercase();
        connection.contains("close") || (self.version == "HTTP/1.0" && !connection.contains("keep-alive"))
    }

    /// The value of `key` in a form-encoded body.
    fn form_param(&self, key: &str) -> Option<String> {
        let content_type = self.header("content-type")?;
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return None;
        }
        let body = String::from_utf8_lossy(&self.content);
        let value = body
            .split('&')
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='));
        value.map(str::to_string)
    }

    /// The operation name: the `X-Amz-Target` action, the form `Action`, or `METHOD /first/two`.
    fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_string();
        }
        if let Some(action) = self.form_param("Action") {
            return action;
        }
        let path = self.target.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).take(2).collect();
        format!("{} /{}", self.method, segments.join("/"))
    }

    fn wire(&self) -> Wire {
        let signed = self
            .header("authorization")
            .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256"));
        if self.header("x-amz-target").is_some() {
            Wire::AwsJson
        } else if self.form_param("Action").is_some() {
            match self.form_param("Version").as_deref() {
                Some("2016-11-15") => Wire::AwsEc2,
                _ => Wire::AwsQuery,
            }
        } else if signed {
            Wire::AwsRestXml
        } else {
            Wire::DigitalOcean
        }
    }

    /// The request as sent upstream, with `Connection: close`.
    fn upstream_bytes(&self) -> Vec<u8> {
        let mut head = format!("{} {} {}\r\n", self.method, self.target, self.version);
        for (name, value) in self.headers.iter().filter(|(n, _)| !hop_by_hop(n)) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Reads one request; `None` when the connection ends or the request is malformed.
fn read_request<R: BufRead>(r: &mut R) -> Option<Request> {
    let lines = read_head(r)?;
    let mut parts = lines.first()?.split_whitespace();
    let (method, target, version) = (
        parts.next()?.to_string(),
        parts.next()?.to_string(),
        parts.next()?.to_string(),
    );
    let headers = parse_headers(&lines[1..]);
    let mut req = Request {
        method,
        target,
        version,
        headers,
        body: Vec::new(),
        content: Vec::new(),
    };
    if chunked(&req.headers) {
        read_chunked(r, &mut req.body, &mut req.content)?;
    } else if let Some(len) = req.header("content-length") {
        let len: u64 = len.parse().ok().filter(|&n| n <= MAX_BODY)?;
        r.take(len).read_to_end(&mut req.body).ok()?;
        if req.body.len() as u64 != len {
            return None;
        }
        req.content = req.body.clone();
    }
    Some(req)
}

/// The lines of a request head, up to the empty line (leading empty lines are skipped).
fn read_head<R: BufRead>(r: &mut R) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let line = read_line(r, MAX_HEAD.saturating_sub(total))?;
        total += line.len() as u64;
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        match (text.is_empty(), lines.is_empty()) {
            (true, true) => continue,
            (true, false) => return Some(lines),
            _ => lines.push(text),
        }
    }
}

/// One line, with its line end, of at most `limit` bytes.
fn read_line<R: BufRead>(r: &mut R, limit: u64) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    r.take(limit).read_until(b'\n', &mut line).ok()?;
    line.ends_with(b"\n").then_some(line)
}

/// Reads a chunked body through its terminating 0-chunk and trailers: `raw` as received, `content` decoded.
fn read_chunked<R: BufRead>(r: &mut R, raw: &mut Vec<u8>, content: &mut Vec<u8>) -> Option<()> {
    loop {
        let line = read_line(r, MAX_HEAD)?;
        raw.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line);
        let size = u64::from_str_radix(text.split(';').next()?.trim(), 16)
            .ok()
            .filter(|&n| n <= MAX_BODY)?;
        if size == 0 {
            loop {
                let trailer = read_line(r, MAX_HEAD)?;
                raw.extend_from_slice(&trailer);
                if trailer == b"\r\n" || trailer == b"\n" {
                    return Some(());
                }
            }
        }
        let start = content.len();
        r.take(size).read_to_end(content).ok()?;
        if (content.len() - start) as u64 != size {
            return None;
        }
        raw.extend_from_slice(&content[start..]);
        raw.extend_from_slice(&read_line(r, 2)?);
    }
}

fn unix_time() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// A fresh request id, shaped like a UUID.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let a = mix(unix_time().as_nanos() as u64 ^ NEXT.fetch_add(1, Ordering::Relaxed).rotate_left(32));
    let (b, c) = (mix(a), a >> 32);
    format!(
        "{c:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 48,
        a & 0xfff,
        0x8000 | (b >> 50),
        b & 0xffff_ffff_ffff
    )
}

/// Per wire format (in [`Wire`] order), the (status, code, message) of a throttle, a 500 and a 503.
const ERRORS: [[(u16, &str, &str); 3]; 5] = [
    [
        (400, "ThrottlingException", "Rate exceeded"),
        (500, "InternalFailure", "An internal error occurred."),
        (503, "ServiceUnavailable", "Service is unavailable."),
    ],
    [
        (503, "RequestLimitExceeded", "Request limit exceeded."),
        (500, "InternalError", "An internal error has occurred."),
        (
            503,
            "Unavailable",
            "The server is overloaded and can't handle the request.",
        ),
    ],
    [
        (400, "Throttling", "Rate exceeded"),
        (500, "InternalFailure", "An internal error occurred."),
        (503, "ServiceUnavailable", "Service is unavailable."),
    ],
    [
        (503, "SlowDown", "Please reduce your request rate."),
        (
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        (503, "ServiceUnavailable", "Service is unable to handle request."),
    ],
    [
        (429, "too_many_requests", "API Rate limit exceeded."),
        (500, "server_error", "Unexpected server-side error"),
        (503, "service_unavailable", "Service temporarily unavailable"),
    ],
];

/// The error answer for a `Throttle` or `ServerError` fault, in the wire format `req` expects.
fn synthesized(req: &Request, fault: Fault, unavailable: bool) -> Vec<u8> {
    let (id, wire) = (request_id(), req.wire());
    let kind = if fault == Fault::Throttle {
        0
    } else {
        1 + unavailable as usize
    };
    let (status, code, message) = ERRORS[wire as usize][kind];
    let error = format!("<Code>{code}</Code><Message>{message}</Message>");
    let mut headers = vec![("x-amzn-RequestId", id.clone())];
    let (content_type, body) = match wire {
        Wire::AwsJson => {
            headers.push(("x-amzn-ErrorType", code.to_string()));
            (
                "application/x-amz-json-1.1",
                format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
            )
        }
        Wire::AwsEc2 => (
            "text/xml;charset=UTF-8",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>{error}</Error></Errors><RequestID>{id}</RequestID></Response>"#
            ),
        ),
        Wire::AwsQuery => {
            let who = if kind == 0 { "Sender" } else { "Receiver" };
            let body = format!("<Error><Type>{who}</Type>{error}</Error><RequestId>{id}</RequestId>");
            ("text/xml", format!("<ErrorResponse>{body}</ErrorResponse>"))
        }
        Wire::AwsRestXml => {
            headers = vec![("x-amz-request-id", id.clone()), ("x-amz-id-2", id.clone())];
            (
                "application/xml",
                format!("<Error>{error}<RequestId>{id}</RequestId></Error>"),
            )
        }
        Wire::DigitalOcean => {
            headers = vec![("x-request-id", id.clone())];
            if kind == 0 {
                let reset = (unix_time().as_secs() + 1).to_string();
                headers.extend([("retry-after", "1".into()), ("ratelimit-limit", "5000".into())]);
                headers.extend([("ratelimit-remaining", "0".into()), ("ratelimit-reset", reset)]);
            }
            (
                "application/json",
                format!(r#"{{"id":"{code}","message":"{message}","request_id":"{id}"}}"#),
            )
        }
    };
    let reason = match status {
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let close = if req.wants_close() { "Connection: close\r\n" } else { "" };
    head.push_str(&format!("Content-Length: {}\r\n{close}\r\n", body.len()));
    (head + &body).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Result};

    const SIGV4: &str = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecs/aws4_request, \
                         SignedHeaders=host, Signature=abc\r\n";

    /// What the test upstream received: (target, Connection header, body).
    type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

    /// A tiny HTTP/1.1 server answering `200 ok <target>` (reading bodies by `Content-Length`), recording
    /// every request.
    fn upstream() -> (u16, Seen) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (port, seen) = (listener.local_addr().unwrap().port(), Seen::default());
        let record = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let record = record.clone();
                std::thread::spawn(move || {
                    let mut r = BufReader::new(conn);
                    while let Some(lines) = read_head(&mut r) {
                        let headers = parse_headers(&lines[1..]);
                        let mut body = vec![0; header(&headers, "content-length").map_or(0, |v| v.parse().unwrap())];
                        r.read_exact(&mut body).unwrap();
                        let target = lines[0].split(' ').nth(1).unwrap().to_string();
                        let connection = header(&headers, "connection").unwrap_or_default().to_string();
                        let answer = format!("ok {target}");
                        let close = if connection == "close" {
                            "Connection: close\r\n"
                        } else {
                            ""
                        };
                        let body = String::from_utf8(body).unwrap();
                        record.lock().unwrap().push((target, connection, body));
                        let response = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{close}\r\n", answer.len());
                        r.get_mut().write_all((response + &answer).as_bytes()).unwrap();
                        if !close.is_empty() {
                            return;
                        }
                    }
                });
            }
        });
        (port, seen)
    }

    /// An upstream and a fault proxy in front of it, with the faults `set` sets.
    fn start(set: impl FnOnce(&mut Faults)) -> (FaultProxy, Seen) {
        let (port, seen) = upstream();
        let mut faults = Faults::none();
        set(&mut faults);
        (FaultProxy::start(port, faults), seen)
    }

    fn client(proxy: &FaultProxy) -> BufReader<TcpStream> {
        let conn = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        BufReader::new(conn)
    }

    /// Sends `req` and reads the response: (status, head lines, body).
    fn call(c: &mut BufReader<TcpStream>, req: &str) -> Option<(u16, Vec<String>, String)> {
        c.get_mut().write_all(req.as_bytes()).ok()?;
        let lines = read_head(c)?;
        let status = lines[0].split(' ').nth(1)?.parse().ok()?;
        let mut body = vec![0; header(&parse_headers(&lines), "content-length")?.parse().ok()?];
        c.read_exact(&mut body).ok()?;
        Some((status, lines, String::from_utf8(body).unwrap()))
    }

    fn status(c: &mut BufReader<TcpStream>, req: &str) -> u16 {
        call(c, req).expect("an answer").0
    }

    fn has(lines: &[String], header: &str) -> bool {
        lines
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with(&header.to_ascii_lowercase()))
    }

    /// Sends `req` and reads what comes back on the raw connection.
    fn send_and_read(c: &mut BufReader<TcpStream>, req: &str) -> Result<usize> {
        c.get_mut().write_all(req.as_bytes())?;
        c.get_mut().read(&mut [0; 64])
    }

    fn was_reset(read: &Result<usize>) -> bool {
        matches!(read, Err(e) if e.kind() == ErrorKind::ConnectionReset)
    }

    fn json(op: &str) -> String {
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\n{SIGV4}X-Amz-Target: AmazonEC2ContainerServiceV20141113.{op}\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{{}}"
        )
    }

    fn form(action: &str, version: &str) -> String {
        let body = format!("Action={action}&Version={version}&CidrBlock=10.0.0.0%2F16");
        let content_type = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\n{SIGV4}{content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    fn ec2(action: &str) -> String {
        form(action, "2016-11-15")
    }

    fn digitalocean(method: &str, path: &str) -> String {
        let headers = "Host: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 2";
        format!("{method} {path} HTTP/1.1\r\n{headers}\r\n\r\n{{}}")
    }

    fn count(seen: &Seen, needle: &str) -> usize {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(t, _, b)| t.contains(needle) || b.contains(needle))
            .count()
    }

    #[test]
    fn passes_requests_through_and_keeps_the_client_connection_alive() {
        let (proxy, seen) = start(|_| {});
        let mut c = client(&proxy);
        for path in ["/v2/droplets", "/v2/droplets/7"] {
            let (status, lines, body) = call(&mut c, &digitalocean("GET", path)).expect("an answer");
            assert_eq!((status, body), (200, format!("ok {path}")));
            assert!(!has(&lines, "connection:"), "{lines:?}");
        }
        let closing = digitalocean("GET", "/v2/account").replace("Host: x\r\n", "Host: x\r\nConnection: close\r\n");
        let (status, lines, _) = call(&mut c, &closing).expect("an answer");
        assert!(status == 200 && has(&lines, "connection: close"), "{lines:?}");
        assert_eq!(
            c.get_mut().read(&mut [0; 8]).unwrap(),
            0,
            "closed after Connection: close"
        );
        let seen = seen.lock().unwrap();
        assert!(
            seen.len() == 3 && seen.iter().all(|(_, conn, _)| conn == "close"),
            "{seen:?}"
        );
        let stats = proxy.stats();
        assert_eq!((stats.requests, stats.by_operation["GET /v2/droplets"]), (3, 2));
    }

    #[test]
    fn throttles_and_fails_in_the_wire_format_of_each_client() {
        let (proxy, seen) = start(|f| f.throttle = 1.0);
        let mut c = client(&proxy);
        let (status, lines, body) = call(&mut c, &json("RegisterTaskDefinition")).unwrap();
        assert!(
            status == 400 && has(&lines, "x-amzn-ErrorType: ThrottlingException"),
            "{lines:?}"
        );
        assert!(has(&lines, "x-amzn-RequestId: ") && body.contains(r#""__type":"ThrottlingException""#));
        let (status, _, body) = call(&mut c, &ec2("CreateVpc")).unwrap();
        assert!(
            status == 503 && body.contains("<Code>RequestLimitExceeded</Code>"),
            "{body}"
        );
        let (status, _, body) = call(&mut c, &form("CreateRole", "2010-05-08")).unwrap();
        assert!(
            status == 400 && body.contains("<Type>Sender</Type><Code>Throttling</Code>"),
            "{body}"
        );
        let s3 = format!("PUT /my-bucket/key HTTP/1.1\r\nHost: x\r\n{SIGV4}Content-Length: 0\r\n\r\n");
        let (status, _, body) = call(&mut c, &s3).unwrap();
        assert!(status == 503 && body.contains("<Code>SlowDown</Code>"), "{body}");
        let (status, lines, body) = call(&mut c, &digitalocean("POST", "/v2/droplets")).unwrap();
        assert!(status == 429 && has(&lines, "retry-after: 1") && has(&lines, "ratelimit-reset: "));
        assert!(body.contains(r#""id":"too_many_requests""#), "{body}");
        assert_eq!(proxy.stats().throttled, 5);

        proxy.set_faults(Faults {
            server_error: 1.0,
            ..Faults::none()
        });
        let mut statuses = Vec::new();
        for _ in 0..8 {
            let (status, _, body) = call(&mut c, &json("RunTask")).unwrap();
            let code = if status == 500 {
                "InternalFailure"
            } else {
                "ServiceUnavailable"
            };
            assert!(matches!(status, 500 | 503) && body.contains(code), "{status} {body}");
            statuses.push(status);
        }
        assert!(statuses.contains(&500) && statuses.contains(&503), "{statuses:?}");
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn resets_before_forwarding() {
        let (proxy, seen) = start(|f| f.reset_before = 1.0);
        let read = send_and_read(&mut client(&proxy), &json("RunTask"));
        assert!(was_reset(&read), "{read:?}");
        assert!(seen.lock().unwrap().is_empty());
        assert_eq!(proxy.log(), vec![("RunTask".to_string(), Fault::ResetBefore)]);
    }

    #[test]
    fn resets_after_the_upstream_answered() {
        let (proxy, seen) = start(|f| f.reset_after = 1.0);
        let read = send_and_read(&mut client(&proxy), &ec2("CreateVpc"));
        assert!(was_reset(&read), "{read:?}");
        assert_eq!(count(&seen, "Action=CreateVpc"), 1);
        assert_eq!(proxy.stats().reset_after, 1);
    }

    /// 50 requests on fresh connections; their part of the log.
    fn run(proxy: &FaultProxy) -> Vec<(String, Fault)> {
        let start = proxy.log().len();
        for i in 0..50 {
            let reqs = [json("RunTask"), ec2("CreateVpc"), digitalocean("GET", "/v2/droplets")];
            let _ = call(&mut client(proxy), &reqs[i % 3]);
        }
        proxy.log()[start..].to_vec()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let mixed = |seed| Faults {
            seed,
            throttle: 0.2,
            server_error: 0.2,
            reset_before: 0.1,
            reset_after: 0.1,
            ..Faults::none()
        };
        let (first, _) = start(|f| *f = mixed(7));
        let (second, _) = start(|f| *f = mixed(7));
        let (other, _) = start(|f| *f = mixed(8));
        let one = run(&first);
        assert_eq!(run(&second), one);
        assert_ne!(run(&other), one);
        for fault in [
            Fault::None,
            Fault::Throttle,
            Fault::ServerError,
            Fault::ResetBefore,
            Fault::ResetAfter,
        ] {
            assert!(one.iter().any(|(_, f)| *f == fault), "no {fault:?} in {one:?}");
        }
        first.set_faults(mixed(7));
        assert_eq!(run(&first), one, "set_faults restarts the sequence");
    }

    #[test]
    fn only_and_spare_limit_the_faulted_operations_latency_applies_to_all() {
        let (proxy, _) = start(|f| {
            f.throttle = 1.0;
            f.only = vec!["CreateVpc".into(), "GetCallerIdentity".into()];
            f.spare = vec!["GetCallerIdentity".into()];
            f.latency = Duration::from_millis(30);
        });
        let mut c = client(&proxy);
        let began = Instant::now();
        assert_eq!(status(&mut c, &ec2("DescribeVpcs")), 200);
        assert!(
            began.elapsed() >= Duration::from_millis(30),
            "latency applies to every forwarded request"
        );
        assert_eq!(status(&mut c, &form("GetCallerIdentity", "2011-06-15")), 200);
        assert_eq!(status(&mut c, &ec2("CreateVpc")), 503);
    }

    #[test]
    fn holds_the_nth_request_after_it_took_effect() {
        let (proxy, seen) = start(|_| {});
        proxy.hold_after("CreateVpc", 2);
        assert!(!proxy.wait_held(Duration::from_millis(10)));
        let mut a = client(&proxy);
        assert_eq!(status(&mut a, &ec2("CreateVpc")), 200);
        let mut held = client(&proxy);
        held.get_mut()
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let read = send_and_read(&mut held, &ec2("CreateVpc"));
        assert!(matches!(&read, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)));
        assert!(proxy.wait_held(Duration::from_secs(2)));
        assert_eq!(count(&seen, "Action=CreateVpc"), 2, "the held request took effect");
        assert_eq!(status(&mut a, &ec2("DescribeVpcs")), 200);
        assert_eq!(status(&mut client(&proxy), &ec2("CreateVpc")), 200);
        proxy.release();
        assert_eq!(held.get_mut().read(&mut [0; 8]).unwrap(), 0, "released by closing");
    }

    fn parse(raw: &str) -> Request {
        read_request(&mut raw.as_bytes()).expect("a request")
    }

    fn named(raw: &str) -> (String, Wire) {
        let req = parse(raw);
        (req.operation(), req.wire())
    }

    #[test]
    fn names_and_classifies_requests() {
        let json = named(&json("RegisterTaskDefinition"));
        assert_eq!(json, ("RegisterTaskDefinition".into(), Wire::AwsJson));
        assert_eq!(named(&ec2("CreateVpc")), ("CreateVpc".into(), Wire::AwsEc2));
        assert_eq!(
            named(&form("CreateRole", "2010-05-08")),
            ("CreateRole".into(), Wire::AwsQuery)
        );
        let s3 = named(&format!(
            "PUT /my-bucket?acl HTTP/1.1\r\n{SIGV4}Content-Length: 0\r\n\r\n"
        ));
        assert_eq!(s3, ("PUT /my-bucket".into(), Wire::AwsRestXml));
        let droplet = named(&digitalocean("POST", "/v2/droplets/12/actions?x=1"));
        assert_eq!(droplet, ("POST /v2/droplets".into(), Wire::DigitalOcean));
    }

    #[test]
    fn reads_a_chunked_body_and_forwards_it_with_connection_close() {
        let body = "5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
        let raw = format!("PUT /b/k HTTP/1.1\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
        let mut input = raw.as_bytes();
        let req = read_request(&mut input).expect("a request");
        assert!(
            input.is_empty() && req.content == b"hello world",
            "the whole body is read"
        );
        let sent = String::from_utf8(req.upstream_bytes()).unwrap();
        assert!(
            sent.ends_with(&format!("\r\nConnection: close\r\n\r\n{body}")),
            "{sent}"
        );
        assert!(!sent.contains("keep-alive"), "{sent}");
    }
}
