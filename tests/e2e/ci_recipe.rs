//! The CI recipe of `docs/ci.md`, run as written: the shell steps of its GitHub Actions and GitLab CI jobs,
//! read from the document, in order, against moto — the S3 backend and its lock, an encrypted plan file
//! carried from the plan job to the apply job on another "runner", a concurrent job holding the lock, and a
//! second pull request whose plan went stale.

use crate::remote_state::{BUCKET, bucket, object, s3_backend};
use crate::support::World;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The fenced `yaml` blocks of docs/ci.md, in order.
fn yaml_blocks() -> Vec<serde_yaml_ng::Value> {
    let doc = std::fs::read_to_string(infra_testkit::workspace_root().join("docs/ci.md")).unwrap();
    let mut blocks = Vec::new();
    let mut rest = doc.as_str();
    while let Some(i) = rest.find("```yaml\n") {
        let after = &rest[i + 8..];
        let end = after.find("\n```").expect("a closed yaml block");
        blocks.push(serde_yaml_ng::from_str(&after[..end]).expect("the recipe's YAML parses"));
        rest = &after[end..];
    }
    assert_eq!(
        blocks.len(),
        2,
        "docs/ci.md has a GitHub workflow and a GitLab pipeline"
    );
    blocks
}

/// A workflow's `env` / `variables`, with `${{ ... }}` expressions replaced by this test's values.
fn variables(v: &serde_yaml_ng::Value, key: &str, ours: &BTreeMap<&str, String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(m) = v.get(key).and_then(|m| m.as_mapping()) {
        for (k, val) in m {
            let k = k.as_str().unwrap().to_string();
            let val = match ours.get(k.as_str()) {
                Some(o) => o.clone(),
                None => val.as_str().map(str::to_string).unwrap_or_default(),
            };
            assert!(!val.contains("${{"), "{k} needs a value in the test");
            out.push((k, val));
        }
    }
    out
}

struct Runner {
    /// The checkout this job runs in.
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Runner {
    /// A fresh checkout: the configuration copied to `INFRA_DIR` of a new directory.
    fn checkout(w: &World, name: &str, env: Vec<(String, String)>) -> Runner {
        let dir = w.path().join(name);
        let cfg = dir.join("stack");
        std::fs::create_dir_all(&cfg).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        for e in std::fs::read_dir(w.cfg()).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, cfg.join(p.file_name().unwrap())).unwrap();
            }
        }
        Runner { dir, env }
    }

    /// Runs one step's script as GitHub does (`bash -eo pipefail`); returns exit code and output.
    fn run(&self, w: &World, script: &str) -> (i32, String) {
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_infra")).parent().unwrap().to_path_buf();
        let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
        let mut c = Command::new("bash");
        c.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&self.dir)
            .env("PATH", path)
            .env_remove("INFRA_ENV")
            .env_remove("INFRA_LOG");
        for (k, v) in &w.env {
            c.env(k, v);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }
}

/// The `run` scripts of a GitHub job, leaving out installing infra (the test's build is on PATH).
fn github_steps(workflow: &serde_yaml_ng::Value, job: &str) -> Vec<String> {
    let steps = workflow["jobs"][job]["steps"].as_sequence().expect("steps");
    steps
        .iter()
        .filter_map(|s| s.get("run").and_then(|r| r.as_str()))
        .filter(|r| {
            if r.contains("cargo install") {
                assert!(r.contains(" infra"), "the install step installs infra");
                false
            } else {
                true
            }
        })
        .map(str::to_string)
        .collect()
}

fn config() -> Vec<(&'static str, String)> {
    vec![
        ("backend.tf", s3_backend("")),
        (
            "main.tf",
            "variable \"greeting\" {\n  default = \"hello\"\n}\n\nresource \"aws_ssm_parameter\" \"greeting\" {\n  name  = \"/app/${terraform.workspace}/greeting\"\n  type  = \"String\"\n  value = var.greeting\n}\n\nresource \"aws_ssm_parameter\" \"token\" {\n  name  = \"/app/${terraform.workspace}/token\"\n  type  = \"SecureString\"\n  value = \"ci-secret-${terraform.workspace}\"\n}\n"
                .to_string(),
        ),
    ]
}

fn write(w: &World, files: &[(&str, String)]) {
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    w.write(&refs);
}

// Multi-threaded: the other job's lock is released by a task while the test blocks on the apply step.
#[tokio::test(flavor = "multi_thread")]
async fn the_github_actions_recipe_plans_comments_and_applies_the_reviewed_plan() {
    let w = World::aws();
    let c = bucket(&w).await;
    write(&w, &config());
    let workflow = yaml_blocks().remove(0);
    let ours: BTreeMap<&str, String> = [
        ("INFRA_DIR", "stack".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("INFRA_STATE_PASSPHRASE", "the CI secret passphrase".to_string()),
        ("TF_VAR_quality_ops_token", "unused".to_string()),
    ]
    .into_iter()
    .collect();
    let mut env = variables(&workflow, "env", &ours);
    let out_file = w.path().join("github_output");
    env.push(("GITHUB_OUTPUT".into(), out_file.display().to_string()));

    // The pull request: the plan job on one runner.
    let pr = Runner::checkout(&w, "pr-runner", env.clone());
    for step in github_steps(&workflow, "plan") {
        let (code, out) = pr.run(&w, &step);
        assert_eq!(code, 0, "plan step failed:\n{step}\n{out}");
    }
    let md = std::fs::read_to_string(pr.dir.join("plan.md")).expect("the comment's Markdown");
    assert!(md.contains("**Plan: 2 to add, 0 to change, 0 to destroy.**"), "{md}");
    assert!(!md.contains("ci-secret"), "{md}");
    assert!(std::fs::read_to_string(&out_file).unwrap().contains("changes=true"));
    let plan = std::fs::read(pr.dir.join("stage.tfplan")).unwrap();
    assert!(
        String::from_utf8_lossy(&plan).contains("encrypted_data"),
        "the artifact is encrypted"
    );

    // While another job holds the state (its lock object, with a live lease, released after 3 s)...
    let lock = "env:/stage/stack/terraform.tfstate.tflock";
    let mut other = infra_backend::LockInfo::new("plan");
    other.who = "ci@other-runner".into();
    other.host = "other-runner".into();
    other.renewed = Some(infra_backend::now_rfc3339());
    other.lease_seconds = Some(60);
    c.put_object()
        .bucket(BUCKET)
        .key(lock)
        .body(serde_json::to_vec(&other).unwrap().into())
        .send()
        .await
        .unwrap();
    let release = {
        let c = c.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            c.delete_object().bucket(BUCKET).key(lock).send().await.unwrap();
        })
    };
    let started = Instant::now();
    // ...the merge's apply job, on a fresh runner with the artifact, waits for it and applies the plan.
    let merged = Runner::checkout(&w, "merge-runner", env.clone());
    std::fs::write(merged.dir.join("stage.tfplan"), &plan).unwrap();
    for step in github_steps(&workflow, "apply") {
        let (code, out) = merged.run(&w, &step);
        assert_eq!(code, 0, "apply step failed:\n{step}\n{out}");
        if step.contains(" apply ") {
            assert!(out.contains("Apply complete! Resources: 2 added"), "{out}");
            assert!(
                out.contains("Waiting up to 10m for the state lock held by ci@other-runner (plan, ID"),
                "{out}"
            );
        }
    }
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the apply waited for the other job"
    );
    release.await.unwrap();
    let raw = object(&c, "env:/stage/stack/terraform.tfstate")
        .await
        .expect("the state is in the bucket");
    assert!(
        String::from_utf8_lossy(&raw).contains("encrypted_data"),
        "and encrypted"
    );
    assert!(object(&c, lock).await.is_none(), "no lock left behind");

    // Two pull requests planned against the same state: the first merge applies, the second one's plan
    // is stale and changes nothing.
    let mut files = config();
    files[1].1 = files[1].1.replace("\"hello\"", "\"hello from pr 2\"");
    write(&w, &files);
    let pr2 = Runner::checkout(&w, "pr2-runner", env.clone());
    let mut files3 = config();
    files3[1].1 = files3[1].1.replace("\"hello\"", "\"hello from pr 3\"");
    write(&w, &files3);
    let pr3 = Runner::checkout(&w, "pr3-runner", env.clone());
    for r in [&pr2, &pr3] {
        for step in github_steps(&workflow, "plan") {
            let (code, out) = r.run(&w, &step);
            assert_eq!(code, 0, "plan step failed:\n{step}\n{out}");
        }
    }
    for (r, name, merged) in [(&pr2, "merge2-runner", &files), (&pr3, "merge3-runner", &files3)] {
        write(&w, merged);
        let m = Runner::checkout(&w, name, env.clone());
        std::fs::copy(r.dir.join("stage.tfplan"), m.dir.join("stage.tfplan")).unwrap();
        let steps = github_steps(&workflow, "apply");
        let (code, out) = m.run(&w, &steps[0]);
        if name == "merge2-runner" {
            assert_eq!(code, 0, "{out}");
            assert!(out.contains("1 changed"), "{out}");
        } else {
            assert_eq!(code, 1, "{out}");
            assert!(out.contains("Saved plan is stale"), "{out}");
        }
    }
    let st = {
        let ssm = crate::remote_state::ssm(&w).await;
        ssm.get_parameter()
            .name("/app/stage/greeting")
            .send()
            .await
            .unwrap()
            .parameter()
            .unwrap()
            .value()
            .unwrap()
            .to_string()
    };
    assert_eq!(st, "hello from pr 2", "the stale plan changed nothing");
    let _ = BUCKET;
}

#[tokio::test]
async fn the_gitlab_recipe_plans_and_applies_its_plan_artifact() {
    let w = World::aws();
    let c = bucket(&w).await;
    write(&w, &config());
    let pipeline = yaml_blocks().remove(1);
    let ours: BTreeMap<&str, String> = [("INFRA_DIR", "stack".to_string())].into_iter().collect();
    let mut env = variables(&pipeline, "variables", &ours);
    env.push(("INFRA_STATE_PASSPHRASE".into(), "the CI secret passphrase".into()));
    let script = |job: &str| -> Vec<String> {
        pipeline[job]["script"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let plan_runner = Runner::checkout(&w, "plan-runner", env.clone());
    for line in script("plan") {
        let (code, out) = plan_runner.run(&w, &line);
        assert_eq!(code, 0, "{line}\n{out}");
    }
    let artifacts = pipeline["plan"]["artifacts"]["paths"].as_sequence().unwrap();
    let apply_runner = Runner::checkout(&w, "apply-runner", env.clone());
    for a in artifacts {
        let name = a.as_str().unwrap();
        std::fs::copy(plan_runner.dir.join(name), apply_runner.dir.join(name))
            .unwrap_or_else(|e| panic!("artifact {name}: {e}"));
    }
    let plan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(apply_runner.dir.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan_json["resource_changes"].as_array().unwrap().len(), 2);
    for line in script("apply") {
        let (code, out) = apply_runner.run(&w, &line);
        assert_eq!(code, 0, "{line}\n{out}");
    }
    assert!(object(&c, "env:/stage/stack/terraform.tfstate").await.is_some());
}
