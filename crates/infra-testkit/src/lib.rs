//! # infra-testkit: the local services tests run against
//!
//! - [`Moto`]: a moto server (the AWS API emulator) of its own on a free loopback port, stopped when
//!   dropped. Every test gets a fresh one, so tests run in parallel without resetting each other.
//! - [`digitalocean::DoApi`]: the DigitalOcean test double behind one Prism validating proxy, shared by
//!   all tests of a process; every test gets a token of its own (its own tenant of the double).
//! - [`price_list::PriceListFake`]: a local fake of the AWS Price List API (`GetProducts`), which moto lacks.
//! - [`rds_engine_versions::RdsEngineVersionsFake`]: a local fake of RDS `DescribeDBEngineVersions` (query
//!   protocol, XML), which moto lacks, serving a fixed catalog of engine versions.
//! - [`proxy::LatencyProxy`]: a loopback proxy that delays every request (a remote backend's latency) and
//!   records which access keys signed them.
//! - [`fault_proxy::FaultProxy`]: a loopback HTTP proxy that injects seeded, reproducible faults (throttling,
//!   server errors, connection resets, held connections) in the wire format each client expects.
//! - [`postgres::Postgres`]: a real PostgreSQL server (Debian's `postgresql` package) shared by the tests of
//!   a process, each test in a schema of its own; stopped and removed when the process exits.
//!
//! The services are installed by `scripts/tools.sh` into `.tools/`; [`tools_dir`] finds them, or the
//! `INFRA_TOOLS_DIR` variable points elsewhere. A missing tool fails the test with the command to run.

pub mod digitalocean;
pub mod fault_proxy;
pub mod postgres;
pub mod price_list;
pub mod proxy;
pub mod rds_engine_versions;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory `scripts/tools.sh` installs into.
pub fn tools_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("INFRA_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    workspace_root().join(".tools")
}

/// The workspace root (the directory holding `scripts/`).
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("scripts").is_dir() {
        if !dir.pop() {
            panic!("cannot find the workspace root above {}", env!("CARGO_MANIFEST_DIR"));
        }
    }
    dir
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// Waits until something accepts TCP connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A moto server of this test's own.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts a moto server on a free loopback port and waits until it answers.
    pub fn start() -> Moto {
        let bin = tools_dir().join("venv/bin/moto_server");
        assert!(
            bin.exists(),
            "moto server not found at {}: run scripts/tools.sh first",
            bin.display()
        );
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // AWS managed IAM policies (AmazonECSTaskExecutionRolePolicy...) exist, as in AWS.
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let mut moto = Moto { child, port };
            if wait_for_port(port, Duration::from_secs(30)) {
                return moto;
            }
            let _ = moto.child.kill();
        }
        panic!("moto server did not start");
    }

    /// The endpoint URL for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment variables that point the AWS SDK at this server with test credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("INFRA_POLL_INTERVAL_MS".into(), "20".into()),
        ]
    }

    /// `POST /moto-api/reset`: clears everything.
    pub fn reset(&self) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        write!(
            s,
            "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("write reset");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
            "moto reset failed: {answer}"
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
