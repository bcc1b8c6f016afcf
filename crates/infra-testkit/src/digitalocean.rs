//! The DigitalOcean API for tests: the `do-double` test double, behind one Prism validating proxy.
//!
//! [`DoApi::start`] starts, once per test process, the double (on a thread of its own) and one Prism
//! (`prism proxy --errors`) in front of it, checking every request and response against DigitalOcean's
//! OpenAPI description (`../shared/digitalocean-openapi/digitalocean-v2.json` beside the repository, or
//! `INFRA_DO_OPENAPI`). Prism takes about ten seconds to load that file, which is why it is shared.
//! Each call hands out a fresh bearer token, so each test is a tenant of its own and tests run in parallel.
//!
//! With Prism in front, an invalid request is answered 422 and an invalid response becomes a 500, both
//! `application/problem+json` with a `validation` list; the provider reports such answers as errors
//! carrying the violation text (it never treats them as a DigitalOcean answer), so a test that hits one
//! fails showing the violations. When the description file is absent the helper says so on stderr and
//! hands out the double's own URL: the tests still run, without validation.

use crate::{tools_dir, wait_for_port, workspace_root};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One test's view of the DigitalOcean API.
#[derive(Clone, Debug)]
pub struct DoApi {
    /// What the provider's `api_endpoint` should be: Prism's URL, or the double's when there is no Prism.
    pub api_endpoint: String,
    /// The double itself, for control calls (never through Prism).
    pub double_url: String,
    /// This test's bearer token (its tenant).
    pub token: String,
    /// Whether requests go through the validating proxy.
    pub validated: bool,
}

struct Services {
    /// The shell guard running Prism (kept so it is not a zombie; it ends with this process).
    _prism: Option<std::process::Child>,
    double_url: String,
    api_endpoint: String,
    validated: bool,
}

static SERVICES: OnceLock<Services> = OnceLock::new();
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The OpenAPI description: `INFRA_DO_OPENAPI`, else `shared/` beside the repository.
pub fn openapi_path() -> PathBuf {
    if let Ok(p) = std::env::var("INFRA_DO_OPENAPI") {
        return PathBuf::from(p);
    }
    workspace_root().join("../shared/digitalocean-openapi/digitalocean-v2.json")
}

fn start_services() -> Services {
    let addr = do_double::DoDouble::spawn("127.0.0.1:0").expect("start the DigitalOcean test double");
    let double_url = format!("http://{addr}");
    let spec = openapi_path();
    if !spec.exists() {
        eprintln!(
            "NOTE: DigitalOcean's OpenAPI description is absent ({}): tests talk to the test double directly, \
             WITHOUT Prism validation of requests and responses",
            spec.display()
        );
        return Services {
            _prism: None,
            api_endpoint: double_url.clone(),
            double_url,
            validated: false,
        };
    }
    let prism = tools_dir().join("node_modules/.bin/prism");
    assert!(
        prism.exists(),
        "Prism not found at {}: run scripts/tools.sh first",
        prism.display()
    );
    let port = crate::free_port();
    // A small shell guard ends Prism when this test process ends (a OnceLock is never dropped).
    let script = r#"prism="$1"; shift; "$prism" "$@" >/dev/null 2>&1 & child=$!
while kill -0 "$PARENT" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
kill "$child" 2>/dev/null"#;
    let guard = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("prism-guard")
        .arg(&prism)
        .args(["proxy", "-h", "127.0.0.1", "-p", &port.to_string(), "--errors"])
        .arg(&spec)
        .arg(&double_url)
        .env("PARENT", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start Prism ({}): {e}", prism.display()));
    assert!(
        wait_for_port(port, Duration::from_secs(90)),
        "Prism did not start listening on port {port} within 90 s"
    );
    Services {
        _prism: Some(guard),
        api_endpoint: format!("http://127.0.0.1:{port}"),
        double_url,
        validated: true,
    }
}

impl DoApi {
    /// The shared double and Prism (started on first use), with a fresh token for this test.
    pub fn start() -> DoApi {
        let s = SERVICES.get_or_init(start_services);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let token = format!(
            "dop_v1_test{}x{}x{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        DoApi {
            api_endpoint: s.api_endpoint.clone(),
            double_url: s.double_url.clone(),
            token,
            validated: s.validated,
        }
    }

    /// The control surface of the double for this test's tenant.
    pub fn control(&self) -> do_double::Control {
        do_double::Control::new(self.double_url.clone(), self.token.clone())
    }

    /// Environment for the provider and the CLI: token, API URL, fast polling.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DIGITALOCEAN_TOKEN".into(), self.token.clone()),
            ("DIGITALOCEAN_API_URL".into(), self.api_endpoint.clone()),
            ("INFRA_POLL_INTERVAL_MS".into(), "20".into()),
        ]
    }
}
