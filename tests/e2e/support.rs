//! The harness: a scratch directory per test (configuration + state), the `infra` binary run in it with
//! the environment pointing at this test's own moto server, or at the DigitalOcean test double behind
//! Prism (`World::digitalocean`, with `World::do_control` for the double's control surface).

#![allow(dead_code)]

use infra_testkit::Moto;
use infra_testkit::digitalocean::DoApi;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(o: Output) -> Run {
        Run::from(o)
    }
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub moto: Option<Moto>,
    /// The DigitalOcean API of this test (`World::digitalocean`).
    pub digitalocean: Option<DoApi>,
    pub env: Vec<(String, String)>,
}

impl World {
    /// A scratch directory with a moto server of its own.
    pub fn aws() -> World {
        let moto = Moto::start();
        let env = moto.env();
        World {
            dir: tempfile::tempdir().unwrap(),
            moto: Some(moto),
            digitalocean: None,
            env,
        }
    }

    /// A scratch directory with no cloud at all (an AWS endpoint that refuses connections).
    pub fn offline() -> World {
        let port = infra_testkit::free_port();
        let env = vec![
            ("AWS_ENDPOINT_URL".to_string(), format!("http://127.0.0.1:{port}")),
            ("AWS_ACCESS_KEY_ID".to_string(), "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "testing".to_string()),
            ("AWS_REGION".to_string(), "us-east-1".to_string()),
            ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
            ("AWS_MAX_ATTEMPTS".to_string(), "1".to_string()),
        ];
        World {
            dir: tempfile::tempdir().unwrap(),
            moto: None,
            digitalocean: None,
            env,
        }
    }

    /// A scratch directory with a DigitalOcean tenant of its own: `DIGITALOCEAN_TOKEN` and
    /// `DIGITALOCEAN_API_URL` point at Prism in front of the test double (shared by the process).
    pub fn digitalocean() -> World {
        let api = DoApi::start();
        let env = api.env();
        World {
            dir: tempfile::tempdir().unwrap(),
            moto: None,
            digitalocean: Some(api),
            env,
        }
    }

    /// The control surface of this test's tenant of the DigitalOcean double (never through Prism).
    pub fn do_control(&self) -> do_double::Control {
        self.digitalocean.as_ref().expect("World::digitalocean").control()
    }

    /// A world on moto with `plans/araquem-stage` as the configuration and the variables the stage needs
    /// there: the token, and ECS Exec and the health-check grace period off (moto's CreateService drops
    /// both and reads them back as unset; against AWS they are on, the defaults), and no waits for steady
    /// state (this moto never runs a task; `stage.rs` runs the waits on a moto that does).
    pub fn stage(token: &str) -> World {
        let mut w = World::aws();
        w.env.push(("TF_VAR_ecs_wait_for_steady_state".into(), "false".into()));
        w.env.push(("TF_VAR_quality_ops_token".into(), token.into()));
        w.env.push(("TF_VAR_ecs_exec_enabled".into(), "false".into()));
        w.env.push(("TF_VAR_api_health_check_grace_seconds".into(), "0".into()));
        w.copy_plan("araquem-stage");
        w
    }

    /// The DigitalOcean token of this test (to check it never leaks into output).
    pub fn do_token(&self) -> &str {
        &self.digitalocean.as_ref().expect("World::digitalocean").token
    }

    /// `GET` of a DigitalOcean API path (through Prism, with this test's token): status and JSON body.
    pub fn do_get(&self, path: &str) -> (u16, serde_json::Value) {
        let api = self.digitalocean.as_ref().expect("World::digitalocean");
        http_get(&api.api_endpoint, path, &api.token)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The configuration directory `cfg/` (created on first write).
    pub fn cfg(&self) -> PathBuf {
        self.path().join("cfg")
    }

    /// Replaces the configuration with these files. The scratch directory is the project root (it has a
    /// `state/` directory, as this repository does), so local states are in `state/cfg/`.
    pub fn write(&self, files: &[(&str, &str)]) {
        std::fs::create_dir_all(self.path().join("state")).unwrap();
        let cfg = self.cfg();
        // Like editing the files: what `init` recorded in `.infra/` stays.
        if let Ok(rd) = std::fs::read_dir(&cfg) {
            for e in rd.flatten() {
                if e.path().is_file() {
                    std::fs::remove_file(e.path()).unwrap();
                }
            }
        }
        std::fs::create_dir_all(&cfg).unwrap();
        for (name, text) in files {
            // A module's files: `modules/net/main.tf`.
            if let Some(parent) = Path::new(name).parent() {
                std::fs::create_dir_all(cfg.join(parent)).unwrap();
            }
            std::fs::write(cfg.join(name), text).unwrap();
        }
    }

    /// Copies a directory of `plans/` as the configuration.
    pub fn copy_plan(&self, name: &str) {
        self.copy_plan_without(name, &[]);
    }

    /// Copies a directory of `plans/` as the configuration, leaving out the files named.
    pub fn copy_plan_without(&self, name: &str, leave_out: &[&str]) {
        std::fs::create_dir_all(self.path().join("state")).unwrap();
        let src = infra_testkit::workspace_root().join("plans").join(name);
        let cfg = self.cfg();
        let _ = std::fs::remove_dir_all(&cfg);
        std::fs::create_dir_all(&cfg).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() && !leave_out.iter().any(|l| p.file_name().is_some_and(|n| n == *l)) {
                std::fs::copy(&p, cfg.join(p.file_name().unwrap())).unwrap();
            }
        }
        // The plan's own modules (`modules/`), with their files.
        if src.join("modules").is_dir() {
            copy_tree(&src.join("modules"), &cfg.join("modules"));
        }
    }

    /// The real Terraform in `dir`, on this test's moto, with these variables (`TF_VAR_*`).
    pub fn terraform(&self, dir: PathBuf, vars: &[(&'static str, &'static str)]) -> Terraform {
        let endpoint = self
            .env
            .iter()
            .find(|(k, _)| k == "AWS_ENDPOINT_URL")
            .map(|(_, v)| v.clone())
            .expect("a World with an AWS endpoint");
        Terraform {
            dir,
            endpoint,
            vars: vars.to_vec(),
        }
    }

    /// Lets the copied configuration be destroyed: plans protect their databases with
    /// `prevent_destroy = true`, which tests that destroy switch off as a team would for a teardown.
    pub fn allow_destroy(&self) {
        for e in std::fs::read_dir(self.cfg()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "tf") {
                let text = std::fs::read_to_string(&p).unwrap();
                if text.contains("prevent_destroy = true") {
                    std::fs::write(&p, text.replace("prevent_destroy = true", "prevent_destroy = false")).unwrap();
                }
            }
        }
    }

    /// The default state file of an environment (`state/cfg/<env>.tfstate.json`).
    pub fn state_file(&self, env: &str) -> PathBuf {
        self.path()
            .join("state")
            .join("cfg")
            .join(format!("{env}.tfstate.json"))
    }

    pub fn state_json(&self, env: &str) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.state_file(env)).unwrap()).unwrap()
    }

    /// Runs `infra -C cfg ARGS` in the scratch directory.
    pub fn infra(&self, args: &[&str]) -> Run {
        self.infra_env(args, &[])
    }

    pub fn infra_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in extra {
            c.env(k, v);
        }
        Run::from(c.output().expect("run infra"))
    }

    /// Runs `infra ARGS` (no `-C`) in another directory.
    pub fn infra_in(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut c = self.command(args);
        c.current_dir(cwd);
        let mut all: Vec<std::ffi::OsString> = c.get_args().map(|a| a.to_os_string()).collect();
        all.drain(..2);
        let mut d = Command::new(env!("CARGO_BIN_EXE_infra"));
        d.current_dir(cwd).args(all);
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => d.env(k, v),
                None => d.env_remove(k),
            };
        }
        Run::from(d.output().expect("run infra"))
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_infra"));
        c.current_dir(self.path())
            .arg("-C")
            .arg("cfg")
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("INFRA_LOG")
            .env_remove("INFRA_ENV");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.env("INFRA_POLL_INTERVAL_MS", "20");
        c
    }

    /// The SDK configuration of a client on this test's moto server (directly, never through a proxy).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.moto.as_ref().expect("moto").endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// An EC2 client on this test's moto server.
    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config().await)
    }
}

/// The number of cloud API calls an infra run logged (`INFRA_LOG=infra::api=debug`).
pub fn api_calls(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.contains("infra::api")).count()
}

/// A blocking `GET` over plain HTTP/1.1 with a bearer token: status and JSON body (`Null` when not JSON).
pub fn http_get(base: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport).unwrap_or_else(|e| panic!("connect to {hostport}: {e}"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(body) } else { body.to_string() };
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Copies a configuration directory with its subdirectories (modules), leaving out what `terraform init`
/// and `infra init` leave behind.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name == ".terraform" || name == ".infra" || name == "terraform.tfstate.d" {
            continue;
        }
        let dest = to.join(name);
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, dest).unwrap();
        }
    }
}

/// The real Terraform (`../shared/terraform-reference/env.sh`) in a directory, on a test's moto: for the
/// opt-in tests (`INFRA_TEST_TERRAFORM=1`).
pub struct Terraform {
    pub dir: PathBuf,
    /// The moto endpoint (`AWS_ENDPOINT_URL`).
    pub endpoint: String,
    /// `TF_VAR_*` and other variables for every command.
    pub vars: Vec<(&'static str, &'static str)>,
}

impl Terraform {
    pub fn command(&self, args: &str) -> Command {
        let script = format!(
            ". {}/../shared/terraform-reference/env.sh >/dev/null 2>&1 && terraform {args}",
            infra_testkit::workspace_root().display()
        );
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(script)
            .current_dir(&self.dir)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("TF_IN_AUTOMATION", "1");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// Runs `terraform ARGS`, which must succeed; its stdout.
    pub fn run(&self, args: &str) -> String {
        let o = self.command(args).output().unwrap();
        assert!(
            o.status.success(),
            "terraform {args}\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs `terraform ARGS`; its exit code (its output on stderr when not 0).
    pub fn status(&self, args: &str) -> i32 {
        let o = self.command(args).output().unwrap();
        if o.status.code() != Some(0) {
            eprintln!(
                "terraform {args}\n{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        }
        o.status.code().unwrap_or(-1)
    }

    /// `terraform plan -out NAME.tfplan` and its `show -json`.
    pub fn plan(&self, var_args: &str, name: &str) -> serde_json::Value {
        self.run(&format!(
            "plan -input=false -no-color -lock=false {var_args} -out={name}.tfplan"
        ));
        serde_json::from_str(&self.run(&format!("show -json {name}.tfplan"))).unwrap()
    }
}
