//! [`Postgres`]: a real PostgreSQL server for the tests of one process, from Debian's `postgresql` package.
//!
//! The server is started once per test process ([`Postgres::shared`]) in a fresh temporary directory, on a
//! free loopback port, with trust authentication on loopback, its Unix socket in that directory, durability
//! off (`fsync`, `synchronous_commit`, `full_page_writes`) and TLS on with a certificate for `localhost` from
//! a throw-away CA ([`Postgres::ca_cert`]), so that clients can test every `sslmode`. Every test takes a
//! namespace of its own ([`Postgres::fresh_schema`]), so tests run in parallel on the one server.
//!
//! The binaries are those of the newest `/usr/lib/postgresql/*/bin`, or of the directory `INFRA_PG_BIN`
//! names. PostgreSQL refuses to run as root: as root, `initdb` and the server run as the `postgres` user
//! (which the package creates) and the directory is theirs.
//!
//! **Nothing outlives the test process.** The server runs under a small supervisor shell whose standard
//! input is a pipe from this process. A pipe's write end closes when its process exits, whatever way it
//! exits (even `SIGKILL`), so the supervisor then reads end-of-file, stops the server (fast shutdown) and
//! removes the directory. No `atexit` or `Drop` is needed, and a killed test run leaves no server behind to
//! block the next one — which gets a fresh port and directory anyway.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The command that installs the server binaries, for messages.
pub const INSTALL: &str = "apt-get install -y postgresql";

/// The superuser of the test server (trusted on loopback, no password).
pub const SUPERUSER: &str = "postgres";

/// A PostgreSQL server of this test process.
pub struct Postgres {
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
    ca_cert: PathBuf,
    next: AtomicU64,
    /// The supervisor; its standard input is the pipe whose closing (when this process exits) stops the
    /// server. Never dropped: it lives in a static.
    _supervisor: Mutex<Child>,
}

static SERVER: OnceLock<Postgres> = OnceLock::new();

/// The user the server runs as when this process is root.
struct RunAs {
    uid: u32,
    gid: u32,
}

impl Postgres {
    /// The server of this process, started on first use.
    pub fn shared() -> &'static Postgres {
        SERVER.get_or_init(Postgres::start)
    }

    /// A URL connecting as the superuser to database `db` over TCP, without TLS.
    pub fn conn_str(&self, db: &str) -> String {
        self.url("127.0.0.1", db, "sslmode=disable")
    }

    /// A URL connecting as the superuser to database `db` on `host` (`127.0.0.1` or `localhost`, the name
    /// the server's certificate is for), with `query` as its query string (`sslmode=verify-full&...`).
    pub fn url(&self, host: &str, db: &str, query: &str) -> String {
        format!("postgres://{SUPERUSER}@{host}:{}/{db}?{query}", self.port)
    }

    /// The CA certificate (PEM) that issued the server's certificate (for `localhost` only), for
    /// `sslrootcert`.
    pub fn ca_cert(&self) -> &Path {
        &self.ca_cert
    }

    /// The server's directory (data, socket, log, certificates).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A schema name no other test of this process uses (not created: the code under test creates it, or
    /// the test does).
    pub fn fresh_schema(&self) -> String {
        format!("test_{}", self.next.fetch_add(1, Ordering::SeqCst))
    }

    fn start() -> Postgres {
        let bin = bin_dir();
        for tool in ["initdb", "postgres"] {
            assert!(
                bin.join(tool).is_file(),
                "{} not found: install the PostgreSQL server with `{INSTALL}` (or point INFRA_PG_BIN at its bin directory)",
                bin.join(tool).display()
            );
        }
        let run_as = run_as();
        let mut last_log = String::new();
        for attempt in 0..3 {
            let dir = make_dir(attempt, run_as.as_ref());
            let ca_cert = make_certificates(&dir);
            initdb(&bin, &dir, run_as.as_ref());
            if let Some(r) = &run_as {
                chown_tree(&dir, r);
            }
            let port = crate::free_port();
            let mut child = supervise(&bin, &dir, port, run_as.as_ref());
            match wait_ready(&dir, &mut child) {
                Ok(()) => {
                    return Postgres {
                        port,
                        dir,
                        ca_cert,
                        next: AtomicU64::new(1),
                        _supervisor: Mutex::new(child),
                    };
                }
                Err(log) => {
                    last_log = log;
                    // Closing its input tells the supervisor to stop the server and remove the directory.
                    drop(child.stdin.take());
                    let _ = child.wait();
                }
            }
        }
        panic!("the PostgreSQL test server did not start; its log:\n{last_log}");
    }
}

/// `INFRA_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("INFRA_PG_BIN") {
        return PathBuf::from(dir);
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("bin/initdb").is_file())
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let version = name.split('.').map(|p| p.parse().unwrap_or(0)).collect();
                    (version, e.path().join("bin"))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "the PostgreSQL server is not installed (no {}/*/bin/initdb): install it with `{INSTALL}`, or point \
             INFRA_PG_BIN at a directory with initdb and postgres",
            root.display()
        ),
    }
}

/// The `postgres` user, when this process is root (PostgreSQL refuses to run as root).
fn run_as() -> Option<RunAs> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let user = passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() > 3 && f[0] == SUPERUSER).then(|| (f[2].parse().ok(), f[3].parse().ok()))
    });
    match user {
        Some((Some(uid), Some(gid))) => Some(RunAs { uid, gid }),
        _ => panic!(
            "running as root, PostgreSQL must run as the `postgres` user, which does not exist: install the server \
             with `{INSTALL}` (it creates the user)"
        ),
    }
}

fn make_dir(attempt: u32, run_as: Option<&RunAs>) -> PathBuf {
    // Under root the server's user must reach the directory: /tmp, whatever TMPDIR says.
    let base = if run_as.is_some() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = base.join(format!("infra-pg-{}-{attempt}-{nanos:x}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .unwrap_or_else(|e| panic!("cannot restrict {}: {e}", dir.display()));
    dir
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for `localhost` signed by it (ECDSA P-256), made with the openssl
/// command (which Debian's postgresql package depends on). Returns the CA certificate's path.
fn make_certificates(dir: &Path) -> PathBuf {
    let openssl = |args: &[&str], what: &str| {
        let mut cmd = Command::new("openssl");
        cmd.args(args).current_dir(dir);
        match cmd.stdin(Stdio::null()).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!("openssl ({what}) failed: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => panic!("cannot run openssl ({what}): {e}; install it with `apt-get install -y openssl`"),
        }
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc"];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "7",
        "-subj",
        "/CN=infra test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&ca, "the CA certificate");
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend(["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
    openssl(&csr, "the server key");
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n",
    )
    .unwrap_or_else(|e| panic!("cannot write server.ext: {e}"));
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "7",
            "-extfile",
            "server.ext",
        ],
        "the server certificate",
    );
    use std::os::unix::fs::PermissionsExt;
    // PostgreSQL refuses a key others can read.
    std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("cannot restrict server.key: {e}"));
    dir.join("ca.crt")
}

fn as_user(cmd: &mut Command, run_as: Option<&RunAs>) {
    use std::os::unix::process::CommandExt;
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid).env("HOME", "/tmp").env("USER", SUPERUSER);
    }
}

fn initdb(bin: &Path, dir: &Path, run_as: Option<&RunAs>) {
    if let Some(r) = run_as {
        // initdb (as the postgres user) creates data/ in the directory.
        std::os::unix::fs::chown(dir, Some(r.uid), Some(r.gid))
            .unwrap_or_else(|e| panic!("cannot give {} to the postgres user: {e}", dir.display()));
    }
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .current_dir(dir)
        .env("LC_ALL", "C");
    as_user(&mut cmd, run_as);
    run(&mut cmd, "initdb");
}

fn chown_tree(path: &Path, r: &RunAs) {
    let _ = std::os::unix::fs::lchown(path, Some(r.uid), Some(r.gid));
    if path.is_dir()
        && !path.is_symlink()
        && let Ok(entries) = std::fs::read_dir(path)
    {
        for e in entries.flatten() {
            chown_tree(&e.path(), r);
        }
    }
}

/// The supervisor: starts the server in the background, waits for end-of-file on its input (this process
/// exited, or gave up on this server), then stops the server and removes the directory. Interrupts (Ctrl-C
/// reaches the whole process group) do not stop it before it has cleaned up.
const SUPERVISOR: &str = r#"
trap '' INT HUP
"$1" -D "$2/data" -p "$3" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories="$2" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c max_connections=200 -c lc_messages=C \
  -c ssl=on -c ssl_cert_file="$2/server.crt" -c ssl_key_file="$2/server.key" \
  >"$2/postgres.log" 2>&1 &
pg=$!
cat >/dev/null
kill -INT "$pg" 2>/dev/null
wait "$pg"
rm -rf "$2"
"#;

fn supervise(bin: &Path, dir: &Path, port: u16, run_as: Option<&RunAs>) -> Child {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(SUPERVISOR)
        .arg("infra-pg-supervisor")
        .arg(bin.join("postgres"))
        .arg(dir)
        .arg(port.to_string())
        .current_dir(dir)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    as_user(&mut cmd, run_as);
    cmd.spawn()
        .unwrap_or_else(|e| panic!("cannot start the PostgreSQL supervisor: {e}"))
}

/// Waits until the server's log says it accepts connections; `Err(log)` when it failed or took too long.
fn wait_ready(dir: &Path, child: &mut Child) -> Result<(), String> {
    let log_path = dir.join("postgres.log");
    let read_log = || {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&log_path) {
            let _ = f.read_to_string(&mut s);
        }
        s
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let log = read_log();
        if log.contains("database system is ready to accept connections") {
            return Ok(());
        }
        if log.contains("FATAL") || log.contains("could not bind") {
            return Err(log);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the supervisor exited ({status})\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("not ready after 60 s\n{}", read_log()))
}
