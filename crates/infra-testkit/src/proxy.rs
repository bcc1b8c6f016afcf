//! [`LatencyProxy`]: a TCP proxy on loopback in front of a local service (moto) that delays every HTTP
//! request by a fixed latency — what a remote backend across a network costs — and records the access key
//! IDs requests were signed with (to check which credentials a client used).
//!
//! It is HTTP-agnostic: a request starts when the client sends after the server last answered (or on a new
//! connection), which is how HTTP/1.1 without pipelining behaves; the delay is applied once there.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct LatencyProxy {
    pub port: u16,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
}

#[derive(Default)]
struct Stats {
    requests: AtomicUsize,
    access_keys: Mutex<Vec<String>>,
}

/// The access key ID of an AWS Signature V4 `Authorization` header in `chunk`, if any.
fn access_key(chunk: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(chunk);
    let at = text.find("Credential=")? + "Credential=".len();
    let rest = &text[at..];
    let end = rest.find('/')?;
    Some(rest[..end].to_string())
}

impl LatencyProxy {
    /// Proxies a free loopback port to `127.0.0.1:upstream`, delaying each request by `delay`.
    pub fn start(upstream: u16, delay: Duration) -> LatencyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stats = stats.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(client) = conn else { continue };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    // Whether the server spoke last: the next client bytes start a new request.
                    let answered = Arc::new(AtomicBool::new(true));
                    let (c2, s2) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                    {
                        let answered = answered.clone();
                        let stats = stats.clone();
                        std::thread::spawn(move || pipe_requests(client, server, answered, stats, delay));
                    }
                    std::thread::spawn(move || pipe_answers(s2, c2, answered));
                }
            });
        }
        LatencyProxy { port, stats, stop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// The access key IDs requests were signed with, in order.
    pub fn access_keys(&self) -> Vec<String> {
        self.stats.access_keys.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pipe_requests(
    mut from: TcpStream,
    mut to: TcpStream,
    answered: Arc<AtomicBool>,
    stats: Arc<Stats>,
    delay: Duration,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if answered.swap(false, Ordering::SeqCst) {
            stats.requests.fetch_add(1, Ordering::SeqCst);
            if let Some(k) = access_key(&buf[..n]) {
                stats.access_keys.lock().unwrap_or_else(|e| e.into_inner()).push(k);
            }
            std::thread::sleep(delay);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn pipe_answers(mut from: TcpStream, mut to: TcpStream, answered: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        answered.store(true, Ordering::SeqCst);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_access_key_of_a_signed_request() {
        let req = b"PUT /b/k HTTP/1.1\r\nauthorization: AWS4-HMAC-SHA256 Credential=DO00SPACESKEY/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc\r\n\r\n";
        assert_eq!(access_key(req).as_deref(), Some("DO00SPACESKEY"));
        assert_eq!(access_key(b"GET / HTTP/1.1\r\n\r\n"), None);
    }
}
