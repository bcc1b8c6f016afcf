//! Team state from CI: the S3 backend on moto (state objects, lock objects with leases, two applies at
//! once, a holder killed with SIGKILL), DigitalOcean Spaces credentials, encryption at rest (passphrase
//! with rotation, AWS KMS), `state pull`/`push`, `env list`, and state locations that do not depend on where
//! infra runs.

use crate::support::{Run, World};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "team-state";

/// A backend block for the test's bucket, with more arguments.
pub fn s3_backend(extra: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket         = \"{BUCKET}\"\n    key            = \"stack/terraform.tfstate\"\n    region         = \"us-east-1\"\n    use_path_style = true\n{extra}  }}\n}}\n"
    )
}

/// A parameter whose value is a variable: every apply with a new value is one update.
pub const PARAM: &str = "variable \"value\" {\n  default = \"one\"\n}\n\nresource \"aws_ssm_parameter\" \"p\" {\n  name  = \"/team/${terraform.workspace}/value\"\n  type  = \"String\"\n  value = var.value\n}\n\nresource \"aws_ssm_parameter\" \"secret\" {\n  name  = \"/team/${terraform.workspace}/token\"\n  type  = \"SecureString\"\n  value = \"hunter2-token-${terraform.workspace}\"\n}\n";

/// The SDK configuration of this test's moto server.
pub async fn sdk(w: &World) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(w.moto.as_ref().expect("moto").endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await
}

pub async fn s3(w: &World) -> aws_sdk_s3::Client {
    let conf = sdk(w).await;
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build())
}

/// Creates the test bucket (versioned: the backups of the states).
pub async fn bucket(w: &World) -> aws_sdk_s3::Client {
    let c = s3(w).await;
    c.create_bucket().bucket(BUCKET).send().await.unwrap();
    c.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    c
}

pub async fn object(c: &aws_sdk_s3::Client, key: &str) -> Option<Vec<u8>> {
    match c.get_object().bucket(BUCKET).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(_) => None,
    }
}

pub async fn state_of(c: &aws_sdk_s3::Client, key: &str) -> serde_json::Value {
    let raw = object(c, key)
        .await
        .unwrap_or_else(|| panic!("no state object at {key}"));
    serde_json::from_slice(&raw).unwrap()
}

const STAGE_KEY: &str = "env:/stage/stack/terraform.tfstate";

#[tokio::test]
async fn s3_backend_holds_each_environment_and_the_reviewed_plan_is_applied() {
    let w = World::aws();
    let c = bucket(&w).await;
    w.write(&[
        ("backend.tf", &s3_backend("")),
        ("main.tf", PARAM),
        ("stage.tfvars", "value = \"from-stage-tfvars\"\n"),
    ]);
    let init = w.infra(&["init", "--env", "stage"]);
    let out = init.ok();
    assert!(out.contains("Backend: s3"), "{out}");
    assert!(out.contains(&format!("State: s3://{BUCKET}/{STAGE_KEY}")), "{out}");
    // The README's flow: a saved plan made with the environment's .tfvars, then applied as it is.
    let plan = w.infra(&["plan", "--env", "stage", "--out", "stage.tfplan"]);
    assert!(plan.ok().contains("Plan: 2 to add"), "{}", plan.all());
    assert!(
        plan.stderr.contains(&format!("state s3://{BUCKET}/{STAGE_KEY}")),
        "{}",
        plan.stderr
    );
    let apply = w.infra(&["apply", "stage.tfplan"]);
    assert!(
        apply.ok().contains("Apply complete! Resources: 2 added"),
        "{}",
        apply.all()
    );
    // The state is the object, with the value the .tfvars gave; nothing was written locally.
    let st = state_of(&c, STAGE_KEY).await;
    let p = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "aws_ssm_parameter.p")
        .unwrap();
    assert_eq!(p["attributes"]["value"], "from-stage-tfvars");
    assert!(!w.path().join("state/cfg").exists(), "no local state");
    assert!(
        object(&c, &format!("{STAGE_KEY}.tflock")).await.is_none(),
        "the lock is released"
    );
    // A second environment lives beside it; `default` at the key itself.
    w.infra(&["apply", "--auto-approve"]).ok();
    assert!(object(&c, "stack/terraform.tfstate").await.is_some());
    let second = w.infra(&["plan", "--env", "stage", "--detailed-exitcode"]);
    assert_eq!(second.code, 0, "{}", second.all());
    let envs = w.infra(&["env", "list"]);
    let out = envs.ok();
    assert!(
        out.contains(&format!("stage        s3://{BUCKET}/{STAGE_KEY}")),
        "{out}"
    );
    assert!(out.contains(&format!("s3://{BUCKET}/stack/terraform.tfstate")), "{out}");
    let serial = st["serial"].as_u64().unwrap();
    assert!(out.contains(&format!("  {serial}\n")), "{out}");
    // `state pull` is the JSON of the state; the object's previous version is kept by the bucket.
    let pulled = w.infra(&["state", "pull", "--env", "stage"]);
    let j: serde_json::Value = serde_json::from_str(pulled.ok()).unwrap();
    assert_eq!(j["lineage"], st["lineage"]);
    let versions = c
        .list_object_versions()
        .bucket(BUCKET)
        .prefix(STAGE_KEY)
        .send()
        .await
        .unwrap();
    assert!(
        versions
            .versions()
            .iter()
            .filter(|v| v.key() == Some(STAGE_KEY))
            .count()
            >= 2,
        "every write is a new object version"
    );
    // A typo in --env is said, not silently planned as a new environment.
    let typo = w.infra(&["plan", "--env", "stgae"]);
    assert!(
        typo.stderr
            .contains("environment `stgae` has no state yet; known: default, stage"),
        "{}",
        typo.stderr
    );
}

/// Starts two applies at the same instant.
fn race(w: &World, value: &str) -> (Run, Run) {
    let spawn = || {
        w.command(&["apply", "--auto-approve", "--var", &format!("value={value}")])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    (
        Run::from_output(a.wait_with_output().unwrap()),
        Run::from_output(b.wait_with_output().unwrap()),
    )
}

#[tokio::test]
async fn two_applies_at_once_on_one_s3_state_exactly_one_proceeds() {
    let w = World::aws();
    let c = bucket(&w).await;
    w.write(&[("backend.tf", &s3_backend("")), ("main.tf", PARAM)]);
    w.infra(&["apply", "--auto-approve"]).ok();
    let mut serial = state_of(&c, "stack/terraform.tfstate").await["serial"]
        .as_u64()
        .unwrap();
    for i in 0..10 {
        let (a, b) = race(&w, &format!("v{i}"));
        let (won, lost) = match (a.code, b.code) {
            (0, 1) => (a, b),
            (1, 0) => (b, a),
            _ => panic!(
                "round {i}: exactly one apply must proceed\n--- first\n{}\n--- second\n{}",
                a.all(),
                b.all()
            ),
        };
        assert!(
            won.stdout.contains("Apply complete! Resources: 0 added, 1 changed"),
            "{}",
            won.all()
        );
        assert!(lost.stderr.contains("is locked by another operation"), "{}", lost.all());
        assert!(lost.stderr.contains("Operation: apply"), "{}", lost.stderr);
        assert!(lost.stderr.contains("infra force-unlock "), "{}", lost.stderr);
        assert!(!lost.stdout.contains("Apply complete"), "{}", lost.all());
        let now = state_of(&c, "stack/terraform.tfstate").await;
        let s = now["serial"].as_u64().unwrap();
        assert!(s > serial, "round {i}: the serial strictly increases ({serial} -> {s})");
        serial = s;
        let p = now["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == "aws_ssm_parameter.p")
            .unwrap()
            .clone();
        assert_eq!(p["attributes"]["value"], format!("v{i}"));
    }
    assert!(object(&c, "stack/terraform.tfstate.tflock").await.is_none());
}

#[tokio::test]
async fn a_holder_killed_with_sigkill_leaves_a_stale_lock_until_force_unlock() {
    let w = World::aws();
    let c = bucket(&w).await;
    // Enough work, behind enough latency, to be killed in the middle of it.
    let mut params = String::from(PARAM);
    for i in 0..40 {
        params.push_str(&format!(
            "\nresource \"aws_ssm_parameter\" \"n{i}\" {{\n  name  = \"/team/n/{i}\"\n  type  = \"String\"\n  value = \"{i}\"\n}}\n"
        ));
    }
    w.write(&[("backend.tf", &s3_backend("")), ("main.tf", &params)]);
    let proxy = infra_testkit::proxy::LatencyProxy::start(w.moto.as_ref().unwrap().port, Duration::from_millis(40));
    let endpoint = proxy.endpoint();
    let mut child = w
        .command(&["apply", "--auto-approve", "--parallelism", "2"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("INFRA_LOCK_LEASE_SECONDS", "2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it holds the lock and has started creating.
    let lock_key = "stack/terraform.tfstate.tflock";
    let start = Instant::now();
    let holder = loop {
        if let Some(l) = object(&c, lock_key).await
            && object(&c, "stack/terraform.tfstate").await.is_some()
        {
            break serde_json::from_slice::<serde_json::Value>(&l).unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the apply never locked the state"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let id = holder["ID"].as_str().unwrap().to_string();
    assert_eq!(holder["LeaseSeconds"], 2);
    // While the lease runs it is a live lock; once it ran out, a stale one — reported, never taken.
    std::thread::sleep(Duration::from_millis(2600));
    let r = w.infra(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("whose lease expired"), "{}", r.stderr);
    assert!(r.stderr.contains(&id), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("infra force-unlock {id}")), "{}", r.stderr);
    assert!(
        object(&c, lock_key).await.is_some(),
        "a stale lock stays until force-unlock"
    );
    let r = w.infra(&["force-unlock", &id]);
    assert!(r.ok().contains("successfully unlocked"), "{}", r.all());
    assert!(object(&c, lock_key).await.is_none());
    // The rerun finishes what the killed apply started, without duplicates.
    let r = w.infra(&["apply", "--auto-approve"]);
    r.ok();
    let again = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let ssm = ssm(&w).await;
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = ssm
            .describe_parameters()
            .max_results(50)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        names.extend(page.parameters().iter().filter_map(|p| p.name().map(str::to_string)));
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "no duplicates");
    assert_eq!(names.len(), 42, "every parameter, no orphans: {names:?}");
}

pub async fn ssm(w: &World) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&sdk(w).await)
}

#[tokio::test]
async fn spaces_credentials_sign_the_state_requests_of_an_s3_compatible_endpoint() {
    let w = World::aws();
    bucket(&w).await;
    let proxy = infra_testkit::proxy::LatencyProxy::start(w.moto.as_ref().unwrap().port, Duration::ZERO);
    // DigitalOcean's documented settings for Spaces, with the endpoint pointed at the proxy.
    let extra = format!(
        "    endpoints = {{\n      s3 = \"{}\"\n    }}\n    skip_credentials_validation = true\n    skip_requesting_account_id  = true\n    skip_region_validation      = true\n    skip_s3_checksum            = true\n",
        proxy.endpoint()
    );
    w.write(&[
        ("backend.tf", &s3_backend(&extra)),
        ("main.tf", "output \"x\" {\n  value = 1\n}\n"),
    ]);
    let r = w.infra_env(
        &["apply", "--auto-approve"],
        &[
            ("SPACES_ACCESS_KEY_ID", "DO00SPACESKEYEXAMPLE"),
            ("SPACES_SECRET_ACCESS_KEY", "spaces-secret"),
        ],
    );
    r.ok();
    let keys = proxy.access_keys();
    assert!(!keys.is_empty(), "state requests went to the Spaces endpoint");
    assert!(keys.iter().all(|k| k == "DO00SPACESKEYEXAMPLE"), "{keys:?}");
    assert!(!r.all().contains("spaces-secret"));
    // The endpoint from AWS_ENDPOINT_URL_S3 instead of the block works the same way.
    let other = infra_testkit::proxy::LatencyProxy::start(w.moto.as_ref().unwrap().port, Duration::ZERO);
    let plain = "    skip_credentials_validation = true\n    skip_region_validation      = true\n";
    w.write(&[
        ("backend.tf", &s3_backend(plain)),
        ("main.tf", "output \"x\" {\n  value = 1\n}\n"),
    ]);
    let r = w.infra_env(
        &["init", "--reconfigure"],
        &[
            ("AWS_ENDPOINT_URL_S3", &other.endpoint()),
            ("SPACES_ACCESS_KEY_ID", "DO00SPACESKEYEXAMPLE"),
            ("SPACES_SECRET_ACCESS_KEY", "spaces-secret"),
        ],
    );
    r.ok();
    let r = w.infra_env(
        &["plan", "--detailed-exitcode"],
        &[
            ("AWS_ENDPOINT_URL_S3", &other.endpoint()),
            ("SPACES_ACCESS_KEY_ID", "DO00SPACESKEYEXAMPLE"),
            ("SPACES_SECRET_ACCESS_KEY", "spaces-secret"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let keys = other.access_keys();
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k == "DO00SPACESKEYEXAMPLE"),
        "{keys:?}"
    );
}

#[tokio::test]
async fn encrypted_state_needs_its_key_and_rotates_with_a_fallback() {
    let w = World::aws();
    let c = bucket(&w).await;
    w.write(&[("backend.tf", &s3_backend("")), ("main.tf", PARAM)]);
    let first = "first passphrase, long enough";
    let second = "second passphrase, long enough";
    w.infra_env(&["apply", "--auto-approve"], &[("INFRA_STATE_PASSPHRASE", first)])
        .ok();
    let raw = object(&c, "stack/terraform.tfstate").await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    assert!(text.contains("\"encrypted_data\""), "{text}");
    assert!(
        !text.contains("hunter2-token"),
        "the secret is not readable in the bucket"
    );
    assert!(!text.contains("aws_ssm_parameter"), "nor anything else");
    // No key, or the wrong one: a clear error naming the state, nothing written.
    let r = w.infra(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains(&format!("s3://{BUCKET}/stack/terraform.tfstate")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("INFRA_STATE_PASSPHRASE"), "{}", r.stderr);
    let r = w.infra_env(
        &["apply", "--auto-approve", "--var", "value=x"],
        &[("INFRA_STATE_PASSPHRASE", second)],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("does not decrypt"), "{}", r.stderr);
    assert_eq!(
        object(&c, "stack/terraform.tfstate").await.unwrap(),
        raw,
        "nothing was written"
    );
    // Rotation: read with the old passphrase, write with the new one.
    let r = w.infra_env(
        &["apply", "--auto-approve", "--var", "value=rotated"],
        &[
            ("INFRA_STATE_PASSPHRASE", second),
            ("INFRA_STATE_PASSPHRASE_FALLBACK", first),
        ],
    );
    assert!(r.ok().contains("1 changed"), "{}", r.all());
    let r = w.infra_env(&["plan"], &[("INFRA_STATE_PASSPHRASE", first)]);
    assert_eq!(r.code, 1, "the old passphrase alone no longer reads it: {}", r.all());
    let r = w.infra_env(
        &["plan", "--var", "value=rotated", "--detailed-exitcode"],
        &[("INFRA_STATE_PASSPHRASE", second)],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    // `state pull` decrypts; `env list` shows the serial without any key.
    let pulled = w.infra_env(&["state", "pull"], &[("INFRA_STATE_PASSPHRASE", second)]);
    assert!(pulled.ok().contains("aws_ssm_parameter.p"));
    let envs = w.infra(&["env", "list"]);
    assert!(envs.ok().contains("(encrypted)"), "{}", envs.all());
}

#[tokio::test]
async fn aws_kms_keys_encrypt_state_and_saved_plans() {
    let w = World::aws();
    let c = bucket(&w).await;
    let kms = aws_sdk_kms::Client::new(&sdk(&w).await);
    let key = kms.create_key().send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    let enc = format!(
        "terraform {{\n  encryption {{\n    key_provider \"aws_kms\" \"team\" {{\n      kms_key_id = \"{key_id}\"\n      region     = \"us-east-1\"\n      key_spec   = \"AES_256\"\n    }}\n    method \"aes_gcm\" \"team\" {{\n      keys = key_provider.aws_kms.team\n    }}\n    state {{\n      method   = method.aes_gcm.team\n      enforced = true\n    }}\n    plan {{\n      method = method.aes_gcm.team\n    }}\n  }}\n}}\n"
    );
    w.write(&[
        ("backend.tf", &s3_backend("")),
        ("encryption.tf", &enc),
        ("main.tf", PARAM),
    ]);
    let r = w.infra(&["plan", "--out", "p.tfplan"]);
    assert!(
        r.stderr.contains("encrypted with key_provider.aws_kms.team"),
        "{}",
        r.stderr
    );
    let plan_file = std::fs::read_to_string(w.path().join("p.tfplan")).unwrap();
    assert!(plan_file.contains("\"key_provider\": \"aws_kms.team\"") && !plan_file.contains("hunter2"));
    w.infra(&["apply", "p.tfplan"]).ok();
    let raw = object(&c, "stack/terraform.tfstate").await.unwrap();
    let env: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(env["key_provider"], "aws_kms.team");
    assert!(env["meta"]["ciphertext_blob"].is_string());
    let again = w.infra(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
}

#[tokio::test]
async fn state_push_refuses_other_lineages_and_older_serials() {
    let w = World::aws();
    bucket(&w).await;
    w.write(&[("backend.tf", &s3_backend("")), ("main.tf", PARAM)]);
    w.infra(&["apply", "--auto-approve"]).ok();
    let pulled = w.infra(&["state", "pull"]).ok().to_string();
    let mut j: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    let serial = j["serial"].as_u64().unwrap();
    // Older serial.
    j["serial"] = (serial - 1).into();
    std::fs::write(w.path().join("old.json"), j.to_string()).unwrap();
    let r = w.infra(&["state", "push", "old.json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("older than the serial"), "{}", r.stderr);
    // Another lineage.
    j["serial"] = (serial + 5).into();
    j["lineage"] = "another-lineage".into();
    std::fs::write(w.path().join("other.json"), j.to_string()).unwrap();
    let r = w.infra(&["state", "push", "other.json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("lineage another-lineage differs"), "{}", r.stderr);
    // A newer serial of the same lineage is pushed; --force pushes anything, above the current serial.
    let mut j: serde_json::Value = serde_json::from_str(&pulled).unwrap();
    j["serial"] = (serial + 1).into();
    j["outputs"] = serde_json::json!({"pushed": {"value": "yes", "sensitive": false}});
    std::fs::write(w.path().join("new.json"), j.to_string()).unwrap();
    assert!(
        w.infra(&["state", "push", "new.json"])
            .ok()
            .contains(&format!("serial {}", serial + 1))
    );
    let r = w.infra(&["state", "push", "--force", "other.json"]);
    assert!(r.ok().contains("lineage another-lineage"), "{}", r.all());
    let back: serde_json::Value = serde_json::from_str(w.infra(&["state", "pull"]).ok()).unwrap();
    assert_eq!(back["lineage"], "another-lineage");
    assert!(back["serial"].as_u64().unwrap() >= serial + 5);
}

#[test]
fn the_local_state_does_not_depend_on_where_infra_runs() {
    let w = World::offline();
    w.write(&[("main.tf", "output \"x\" {\n  value = \"one\"\n}\n")]);
    w.infra(&["apply", "--auto-approve"]).ok();
    assert!(w.state_file("default").exists());
    // From another directory, with the configuration given by an absolute path: the same state.
    let elsewhere = tempfile::tempdir().unwrap();
    let cfg = w.cfg();
    let r = w.infra_in(
        elsewhere.path(),
        &["-C", cfg.to_str().unwrap(), "plan", "--detailed-exitcode"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("default.tfstate.json"), "{}", r.stderr);
    assert!(
        !elsewhere.path().join("state").exists(),
        "nothing is created where infra runs"
    );
}

#[test]
fn env_list_shows_environments_with_states_and_variables_files() {
    let w = World::offline();
    w.write(&[
        (
            "main.tf",
            "variable \"n\" {\n  default = 1\n}\noutput \"x\" {\n  value = var.n\n}\n",
        ),
        ("prod.tfvars", "n = 2\n"),
        ("stage.tfvars", "n = 3\n"),
    ]);
    w.infra(&["apply", "--auto-approve", "--env", "stage"]).ok();
    let r = w.infra(&["env", "list"]);
    let out = r.ok();
    assert!(out.starts_with("ENVIRONMENT"), "{out}");
    assert!(
        out.contains("prod         state/cfg/prod.tfstate.json   no state yet"),
        "{out}"
    );
    let serial = w.state_json("stage")["serial"].as_u64().unwrap();
    assert!(
        out.contains(&format!("stage        state/cfg/stage.tfstate.json  {serial}\n")),
        "{out}"
    );
    let r = w.infra(&["plan", "--env", "prdo"]);
    assert!(
        r.stderr.contains("environment `prdo` has no state yet; known: stage"),
        "{}",
        r.stderr
    );
}
