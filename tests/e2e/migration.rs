//! Moving states between backends with `infra init --migrate-state`: local → s3 → pg → local, every
//! environment, content unchanged; a destination holding another lineage is never overwritten; and the pg
//! backend under two applies started at the same instant.

use crate::remote_state::{PARAM, bucket, object, s3_backend, state_of};
use crate::support::{Run, World};
use infra_testkit::postgres::Postgres;

fn pg_backend(pg: &Postgres, schema: &str) -> String {
    format!(
        "terraform {{\n  backend \"pg\" {{\n    conn_str    = \"{}\"\n    schema_name = \"{schema}\"\n  }}\n}}\n",
        pg.conn_str("postgres")
    )
}

/// A state's content: everything but the version of infra that wrote it.
fn content(mut j: serde_json::Value) -> serde_json::Value {
    j.as_object_mut().unwrap().remove("infra_version");
    j
}

fn pulled(w: &World, env: &str) -> serde_json::Value {
    let r = w.infra(&["state", "pull", "--env", env]);
    content(serde_json::from_str(r.ok()).unwrap_or_else(|e| panic!("{e}: {}", r.all())))
}

fn files(backend: &str) -> Vec<(&str, &str)> {
    let mut f = vec![
        ("main.tf", PARAM),
        ("stage.tfvars", "value = \"stage-value\"\n"),
        ("prod.tfvars", "value = \"prod-value\"\n"),
    ];
    if !backend.is_empty() {
        f.push(("backend.tf", backend));
    }
    f
}

#[tokio::test]
async fn states_move_local_to_s3_to_pg_and_back_with_their_content() {
    let w = World::aws();
    let c = bucket(&w).await;
    let pg = Postgres::shared();
    let schema = pg.fresh_schema();
    w.write(&files(""));
    for env in ["stage", "prod"] {
        w.infra(&["apply", "--auto-approve", "--env", env]).ok();
    }
    let local: Vec<_> = ["stage", "prod"].iter().map(|e| content(w.state_json(e))).collect();

    // local → s3: commands stop until the states are moved.
    let s3 = s3_backend("");
    w.write(&files(&s3));
    let r = w.infra(&["plan", "--env", "stage"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("states exist in the local default location"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("infra init --migrate-state"), "{}", r.stderr);
    let r = w.infra(&["init", "--migrate-state"]);
    let out = r.ok();
    assert!(out.contains("stage: moved") && out.contains("prod: moved"), "{out}");
    for (env, before) in ["stage", "prod"].iter().zip(&local) {
        let key = format!("env:/{env}/stack/terraform.tfstate");
        assert_eq!(&content(state_of(&c, &key).await), before, "{env} in S3");
    }
    assert_eq!(w.infra(&["plan", "--env", "stage", "--detailed-exitcode"]).code, 0);
    // Interrupted or repeated: running it again checks and skips.
    let r = w.infra(&["init", "--migrate-state"]);
    assert!(!r.all().contains("moved"), "{}", r.all());

    // s3 → pg.
    let pgb = pg_backend(pg, &schema);
    w.write(&files(&pgb));
    let r = w.infra(&["plan", "--env", "stage"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Backend configuration changed"), "{}", r.stderr);
    let r = w.infra(&["init", "--migrate-state"]);
    let out = r.ok();
    assert!(out.contains("stage: moved") && out.contains("prod: moved"), "{out}");
    for (env, before) in ["stage", "prod"].iter().zip(&local) {
        assert_eq!(&pulled(&w, env), before, "{env} in PostgreSQL");
    }
    // A change while on pg.
    let r = w.infra(&[
        "apply",
        "--auto-approve",
        "--env",
        "stage",
        "--var",
        "value=changed-on-pg",
    ]);
    assert!(r.ok().contains("1 changed"), "{}", r.all());
    let on_pg = pulled(&w, "stage");
    assert!(on_pg["serial"].as_u64() > local[0]["serial"].as_u64());

    // pg → local: the local stage file is older and is replaced; prod is the same and is kept.
    w.write(&files(""));
    let r = w.infra(&["plan", "--env", "stage"]);
    assert!(r.stderr.contains("Backend configuration changed"), "{}", r.stderr);
    let r = w.infra(&["init", "--migrate-state"]);
    let out = r.ok();
    assert!(out.contains("stage: moved"), "{out}");
    assert!(out.contains("prod: already in"), "{out}");
    assert_eq!(content(w.state_json("stage")), on_pg, "round trip of stage");
    assert_eq!(content(w.state_json("prod")), local[1], "round trip of prod");
    assert_eq!(
        w.infra(&[
            "plan",
            "--env",
            "stage",
            "--var",
            "value=changed-on-pg",
            "--detailed-exitcode"
        ])
        .code,
        0
    );
}

#[tokio::test]
async fn a_migration_never_overwrites_another_lineage() {
    let w = World::aws();
    let c = bucket(&w).await;
    w.write(&files(""));
    w.infra(&["apply", "--auto-approve", "--env", "stage"]).ok();
    let mine = w.state_json("stage");
    // The bucket already holds another stack's state for stage.
    let mut other = mine.clone();
    other["lineage"] = "someone-elses-lineage".into();
    other["serial"] = 1.into();
    c.put_object()
        .bucket(crate::remote_state::BUCKET)
        .key("env:/stage/stack/terraform.tfstate")
        .body(serde_json::to_vec(&other).unwrap().into())
        .send()
        .await
        .unwrap();
    w.write(&files(&s3_backend("")));
    let r = w.infra(&["init", "--migrate-state"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("already holds a different state (lineage someone-elses-lineage"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("the backend was not switched"), "{}", r.stderr);
    let there = state_of(&c, "env:/stage/stack/terraform.tfstate").await;
    assert_eq!(there["lineage"], "someone-elses-lineage", "nothing was overwritten");
    assert_eq!(w.state_json("stage"), mine, "the local state is untouched");
    // --reconfigure starts over with the new backend as it is.
    let r = w.infra(&["init", "--reconfigure"]);
    r.ok();
    let j: serde_json::Value = serde_json::from_str(w.infra(&["state", "pull", "--env", "stage"]).ok()).unwrap();
    assert_eq!(j["lineage"], "someone-elses-lineage");
    assert!(object(&c, "env:/stage/stack/terraform.tfstate.tflock").await.is_none());
}

#[test]
fn two_applies_at_once_on_one_pg_state_exactly_one_proceeds() {
    let w = World::aws();
    let pg = Postgres::shared();
    let schema = pg.fresh_schema();
    let pgb = pg_backend(pg, &schema);
    w.write(&[("backend.tf", &pgb), ("main.tf", PARAM)]);
    w.infra(&["apply", "--auto-approve"]).ok();
    let serial = |w: &World| -> u64 {
        let j: serde_json::Value = serde_json::from_str(w.infra(&["state", "pull"]).ok()).unwrap();
        j["serial"].as_u64().unwrap()
    };
    let mut last = serial(&w);
    for i in 0..10 {
        let spawn = || {
            w.command(&["apply", "--auto-approve", "--var", &format!("value=pg{i}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (
            Run::from_output(a.wait_with_output().unwrap()),
            Run::from_output(b.wait_with_output().unwrap()),
        );
        let lost = match (a.code, b.code) {
            (0, 1) => b,
            (1, 0) => a,
            _ => panic!(
                "round {i}: exactly one apply must proceed\n{}\n---\n{}",
                a.all(),
                b.all()
            ),
        };
        assert!(lost.stderr.contains("is locked by another operation"), "{}", lost.all());
        assert!(lost.stderr.contains("Operation: apply"), "{}", lost.stderr);
        let s = serial(&w);
        assert!(s > last, "round {i}: the serial strictly increases ({last} -> {s})");
        last = s;
    }
}

#[tokio::test]
async fn a_pg_holder_killed_with_sigkill_is_taken_over_by_the_next_run() {
    let w = World::aws();
    let pg = Postgres::shared();
    let schema = pg.fresh_schema();
    let mut params = String::from(PARAM);
    for i in 0..40 {
        params.push_str(&format!(
            "\nresource \"aws_ssm_parameter\" \"n{i}\" {{\n  name  = \"/team/n/{i}\"\n  type  = \"String\"\n  value = \"{i}\"\n}}\n"
        ));
    }
    w.write(&[("backend.tf", &pg_backend(pg, &schema)), ("main.tf", &params)]);
    let proxy =
        infra_testkit::proxy::LatencyProxy::start(w.moto.as_ref().unwrap().port, std::time::Duration::from_millis(40));
    let mut child = w
        .command(&["apply", "--auto-approve", "--parallelism", "2"])
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (db, conn) = tokio_postgres::connect(&pg.conn_str("postgres"), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let started = std::time::Instant::now();
    let holder: String = loop {
        let rows = db
            .query(&format!("SELECT info FROM \"{schema}\".infra_locks"), &[])
            .await
            .unwrap_or_default();
        let states = db
            .query(&format!("SELECT 1 FROM \"{schema}\".infra_states"), &[])
            .await
            .unwrap_or_default();
        if let (Some(r), false) = (rows.first(), states.is_empty()) {
            break r.get(0);
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the apply never locked the state"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let id = serde_json::from_str::<serde_json::Value>(&holder).unwrap()["ID"]
        .as_str()
        .unwrap()
        .to_string();
    // The server released the advisory lock with the killed session: the next run takes over and says so.
    let r = w.infra(&["apply", "--auto-approve"]);
    r.ok();
    assert!(r.stderr.contains(&format!("Note: took over lock {id}")), "{}", r.stderr);
    assert_eq!(w.infra(&["plan", "--detailed-exitcode"]).code, 0);
}
