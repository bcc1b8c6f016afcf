//! State tests: the local backend through the conformance suite, and what is particular to it.

use super::conformance::{self, DeadHolder, Subject, sample};
use super::local::LocalBlob;
use super::*;
use crate::addrs::InstanceAddr;
use std::sync::Arc;

fn local_subject(path: std::path::PathBuf) -> Subject {
    let lock = LocalBlob::new(&path).lock_path();
    let p = path.clone();
    Subject {
        open: Box::new(move || Arc::new(LocalBlob::new(&p))),
        // A lock file whose holder is gone: the file is there, the OS lock is not.
        plant_dead_lock: Box::new(move |info| {
            let lock = lock.clone();
            Box::pin(async move {
                std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
                std::fs::write(&lock, serde_json::to_vec(&info).unwrap()).unwrap();
            })
        }),
        dead_holder: DeadHolder::TakenOver,
        keeps_previous: true,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn local_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance::run(&local_subject(dir.path().join("s/default.tfstate.json"))).await;
}

#[tokio::test]
async fn local_store_keeps_the_previous_version_as_backup_and_files_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.tfstate.json");
    let store = StateStore::local(&path);
    let mut s = sample();
    store.persist(&mut s).await.unwrap();
    let first = std::fs::read_to_string(&path).unwrap();
    s.outputs.clear();
    store.persist(&mut s).await.unwrap();
    let backup = LocalBlob::new(&path).backup_path();
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), first);
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
    // States hold secrets: readable by their owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&path, &backup] {
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} has mode {mode:o}", p.display());
        }
    }
}

#[tokio::test]
async fn temporary_files_of_killed_writers_are_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.tfstate.json");
    // What a writer killed between creating its temporary file and renaming it leaves.
    let dead = dir.path().join(".x.tfstate.json.tmp-999999-0123abcd");
    let dead_backup = dir.path().join(".x.tfstate.json.backup.tmp-999999-0123abcd");
    let live = dir
        .path()
        .join(format!(".x.tfstate.json.tmp-{}-0123abcd", std::process::id()));
    for p in [&dead, &dead_backup, &live] {
        std::fs::write(p, "{").unwrap();
    }
    let store = StateStore::local(&path);
    store.persist(&mut sample()).await.unwrap();
    assert!(
        !dead.exists() && !dead_backup.exists(),
        "leftovers of a dead process are removed"
    );
    assert!(live.exists(), "a running writer's temporary file is left alone");
}

#[tokio::test]
async fn pending_creates_survive_a_round_trip() {
    let s = sample();
    let addr: InstanceAddr = "aws_subnet.a[0]".parse().unwrap();
    let back = file::decode(&file::encode(&s), "x").unwrap();
    assert_eq!(
        back.resources[&addr].status,
        InstanceStatus::Creating {
            token: "tok".into(),
            started: "2026-01-01T00:00:00Z".into()
        }
    );
}

#[tokio::test]
async fn a_live_lock_is_never_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.tfstate.json");
    let store = StateStore::local(&path);
    let mine = LockInfo::new("apply");
    store.lock(&mine, Duration::ZERO).await.unwrap();
    let other = StateStore::local(&path);
    assert!(matches!(
        other.lock(&LockInfo::new("plan"), Duration::ZERO).await,
        Err(StateError::Locked { .. })
    ));
    store.unlock(&mine.id).await.unwrap();
    other.lock(&LockInfo::new("plan"), Duration::ZERO).await.unwrap();
}

#[tokio::test]
async fn environments_of_the_default_layout_and_of_a_path() {
    use super::local::LocalLayout;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("state/stack");
    std::fs::create_dir_all(&d).unwrap();
    for f in [
        "stage.tfstate.json",
        "prod.tfstate.json",
        "prod.tfstate.json.backup",
        ".x.tfstate.json.tmp-1-2",
    ] {
        std::fs::write(d.join(f), "{}").unwrap();
    }
    let b = super::local::LocalBackend {
        layout: LocalLayout::Default { dir: d.clone() },
    };
    use infra_backend::Backend;
    assert_eq!(b.environments().await.unwrap(), vec!["prod", "stage"]);
    let p = dir.path().join("cfg/terraform.tfstate");
    let b = super::local::LocalBackend {
        layout: LocalLayout::Path {
            path: p.clone(),
            workspace_dir: None,
        },
    };
    assert_eq!(
        b.layout.state_path("stage"),
        dir.path().join("cfg/stage/terraform.tfstate")
    );
    std::fs::create_dir_all(dir.path().join("cfg/stage")).unwrap();
    std::fs::write(dir.path().join("cfg/stage/terraform.tfstate"), "{}").unwrap();
    std::fs::write(&p, "{}").unwrap();
    assert_eq!(b.environments().await.unwrap(), vec!["default", "stage"]);
}

#[test]
fn the_project_root_is_where_state_or_git_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let cfg = root.join("plans/stage");
    std::fs::create_dir_all(&cfg).unwrap();
    // Nothing above: the configuration directory itself.
    assert_eq!(super::local::project_root(&cfg), cfg);
    std::fs::create_dir_all(root.join(".git")).unwrap();
    assert_eq!(super::local::project_root(&cfg), root);
    std::fs::create_dir_all(root.join("plans/state")).unwrap();
    assert_eq!(super::local::project_root(&cfg), root.join("plans"));
}

#[test]
fn a_terraform_state_is_named_as_such() {
    let tf =
        r#"{"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "x", "outputs": {}, "resources": []}"#;
    let e = file::decode(tf, "s3://b/key").unwrap_err();
    assert!(matches!(e, StateError::Foreign { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("Terraform state (format version 4, written by Terraform 1.11.4)"),
        "{e}"
    );
}
