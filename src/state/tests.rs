//! State tests, including the conformance suite every [`StateStore`] must pass.

use super::local::LocalStore;
use super::*;
use crate::addrs::InstanceAddr;

fn sample() -> State {
    let mut s = State::new();
    let addr: InstanceAddr = "aws_vpc.main".parse().unwrap();
    let mut r = ResourceInstance::ready(
        ProviderKey::default_for("aws"),
        Value::map([("id", Value::from("vpc-1")), ("cidr_block", Value::from("10.0.0.0/16"))]),
    );
    r.dependencies = vec![ResourceAddr::managed("aws_vpc", "other")];
    r.sensitive_paths = vec![Path::attr("password")];
    s.resources.insert(addr, r);
    s.outputs.insert(
        "vpc_id".into(),
        OutputValue {
            value: Value::from("vpc-1"),
            sensitive: false,
        },
    );
    s
}

/// What every state store must do.
pub fn conformance(store: &dyn StateStore) {
    // Empty at first.
    assert!(store.load().unwrap().is_none());
    // Round trip, with the serial increasing on change only.
    let mut s = sample();
    store.persist(&mut s).unwrap();
    assert_eq!(s.serial, 1);
    let loaded = store.load().unwrap().unwrap();
    assert_eq!(loaded, s);
    store.persist(&mut s).unwrap();
    assert_eq!(s.serial, 1, "no change, no new serial");
    s.outputs.clear();
    store.persist(&mut s).unwrap();
    assert_eq!(s.serial, 2);
    assert_eq!(store.load().unwrap().unwrap().serial, 2);
    // Locking: exclusive, holder named, released by its ID only.
    let a = LockInfo::new("apply");
    store.lock(&a, Duration::ZERO).unwrap();
    let b = LockInfo::new("plan");
    match store.lock(&b, Duration::from_millis(300)) {
        Err(StateError::Locked { info, .. }) => {
            assert_eq!(info.id, a.id);
            assert_eq!(info.operation, "apply");
        }
        other => panic!("expected a lock conflict, got {other:?}"),
    }
    assert!(matches!(store.unlock(&b.id), Err(StateError::NoSuchLock { .. })));
    store.unlock(&a.id).unwrap();
    store.lock(&b, Duration::ZERO).unwrap();
    store.unlock(&b.id).unwrap();
    assert!(store.lock_holder().unwrap().is_none());
}

#[test]
fn local_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    conformance(&LocalStore::new(dir.path().join("s/default.tfstate.json")));
}

#[test]
fn local_store_keeps_the_previous_version_as_backup() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path().join("x.tfstate.json"));
    let mut s = sample();
    store.persist(&mut s).unwrap();
    let first = std::fs::read_to_string(store.path()).unwrap();
    s.outputs.clear();
    store.persist(&mut s).unwrap();
    assert_eq!(std::fs::read_to_string(store.backup_path()).unwrap(), first);
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_lock_waits_for_its_holder_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.tfstate.json");
    let store = LocalStore::new(&path);
    let a = LockInfo::new("apply");
    store.lock(&a, Duration::ZERO).unwrap();
    let id = a.id.clone();
    let p2 = path.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        LocalStore::new(p2).unlock(&id).unwrap();
    });
    store.lock(&LockInfo::new("plan"), Duration::from_secs(10)).unwrap();
    t.join().unwrap();
}

#[test]
fn corrupt_and_newer_states_are_refused_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.tfstate.json");
    std::fs::write(&path, "{ not json").unwrap();
    let e = LocalStore::new(&path).load().unwrap_err();
    assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("bad.tfstate.json"), "{e}");
    std::fs::write(
        &path,
        r#"{"format_version": 99, "serial": 1, "lineage": "x", "resources": []}"#,
    )
    .unwrap();
    let e = LocalStore::new(&path).load().unwrap_err();
    assert!(matches!(e, StateError::NewerFormat { found: 99, .. }), "{e}");
    assert!(e.to_string().contains("newer version of infra"), "{e}");
}

#[test]
fn pending_creates_survive_a_round_trip() {
    let mut s = sample();
    let addr: InstanceAddr = "aws_subnet.a[0]".parse().unwrap();
    let mut r = ResourceInstance::ready(
        ProviderKey::default_for("aws"),
        Value::map([("cidr_block", Value::from("10.0.1.0/24"))]),
    );
    r.status = InstanceStatus::Creating {
        token: "tok".into(),
        started: "2026-01-01T00:00:00Z".into(),
    };
    s.resources.insert(addr.clone(), r);
    let back = file::decode(&file::encode(&s), "x").unwrap();
    assert_eq!(
        back.resources[&addr].status,
        InstanceStatus::Creating {
            token: "tok".into(),
            started: "2026-01-01T00:00:00Z".into()
        }
    );
}

#[test]
fn a_lock_left_by_a_killed_process_is_taken_over_but_a_live_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.tfstate.json");
    // A lock file whose holder is gone: the file is there, the OS lock is not.
    let dead = LockInfo::new("apply");
    std::fs::write(
        dir.path().join("x.tfstate.json.lock"),
        serde_json::to_vec(&dead).unwrap(),
    )
    .unwrap();
    let store = LocalStore::new(&path);
    let mine = LockInfo::new("apply");
    store.lock(&mine, Duration::ZERO).unwrap();
    assert_eq!(store.lock_holder().unwrap().unwrap().id, mine.id);
    // A live holder (this store) is not taken over by another.
    let other = LocalStore::new(&path);
    assert!(matches!(
        other.lock(&LockInfo::new("plan"), Duration::ZERO),
        Err(StateError::Locked { .. })
    ));
    store.unlock(&mine.id).unwrap();
    other.lock(&LockInfo::new("plan"), Duration::ZERO).unwrap();
}
