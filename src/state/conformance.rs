//! The conformance suite every state backend passes: the local files here (`state::tests`), S3 on moto
//! and PostgreSQL on loopback (`tests/backends/`). It checks the rules a user relies on through the
//! [`StateStore`] the engine uses, so a backend that passes behaves like every other:
//!
//! - an empty state reads as none; a round trip gives back what was written; the serial increases on a
//!   change and only then; another process reads what was written;
//! - a write never overwrites a version written by someone else since it was read (compare-and-swap);
//! - a state written by a newer infra, or not a state at all, is refused with its location;
//! - the previous version is kept (where the backend keeps versions);
//! - the lock is exclusive across instances, names its holder, waits within a timeout, is released by its
//!   ID only, can be force-unlocked from elsewhere, and a lock whose holder is gone is either taken over
//!   (when the backend can prove the holder ended) or reported stale — never silently;
//! - a reader never sees a half-written state.

use super::{InstanceStatus, LockInfo, OutputValue, ResourceInstance, State, StateError, StateStore};
use crate::addrs::{InstanceAddr, ProviderKey, ResourceAddr};
use crate::encryption::Encryptor;
use futures::future::BoxFuture;
use infra_backend::StateBlob;
use infra_provider::{Path, Value};
use std::sync::Arc;
use std::time::Duration;

/// What a backend does with a lock whose holder is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadHolder {
    /// The backend can prove the holder ended (an OS lock, a database session): the lock is taken over and
    /// reported to the caller.
    TakenOver,
    /// It cannot (a lease in an object): the lock is reported stale and stays until `force-unlock`.
    ReportedStale,
}

/// A backend under test.
pub struct Subject {
    /// Opens the state of one location as a new process would (a fresh instance every call).
    pub open: Box<dyn Fn() -> Arc<dyn StateBlob> + Send + Sync>,
    /// Leaves behind a lock held by `info` whose holder is gone (killed; lease long expired).
    pub plant_dead_lock: Box<dyn Fn(LockInfo) -> BoxFuture<'static, ()> + Send + Sync>,
    pub dead_holder: DeadHolder,
    /// Whether the backend keeps the previous version (local: `.backup`; S3: bucket versioning).
    pub keeps_previous: bool,
}

/// A state with a resource (with a sensitive path and a dependency), a pending create and an output.
pub fn sample() -> State {
    let mut s = State::new();
    let addr: InstanceAddr = "aws_vpc.main".parse().expect("address");
    let mut r = ResourceInstance::ready(
        ProviderKey::default_for("aws"),
        Value::map([("id", Value::from("vpc-1")), ("cidr_block", Value::from("10.0.0.0/16"))]),
    );
    r.dependencies = vec![ResourceAddr::managed("aws_vpc", "other")];
    r.sensitive_paths = vec![Path::attr("password")];
    s.resources.insert(addr, r);
    let mut pending = ResourceInstance::ready(
        ProviderKey::default_for("aws"),
        Value::map([("cidr_block", Value::from("10.0.1.0/24"))]),
    );
    pending.status = InstanceStatus::Creating {
        token: "tok".into(),
        started: "2026-01-01T00:00:00Z".into(),
    };
    s.resources.insert("aws_subnet.a[0]".parse().expect("address"), pending);
    s.outputs.insert(
        "vpc_id".into(),
        OutputValue {
            value: Value::from("vpc-1"),
            sensitive: false,
        },
    );
    s
}

/// A state of `n` resources with some bulk, to make writes take a while.
pub fn big(n: usize) -> State {
    let mut s = State::new();
    for i in 0..n {
        let addr: InstanceAddr = format!("aws_subnet.s[{i}]").parse().expect("address");
        s.resources.insert(
            addr,
            ResourceInstance::ready(
                ProviderKey::default_for("aws"),
                Value::map([
                    ("id", Value::string(format!("subnet-{i:08}"))),
                    ("cidr_block", Value::string(format!("10.{}.{}.0/24", i / 256, i % 256))),
                    ("description", Value::string("x".repeat(200))),
                ]),
            ),
        );
    }
    s
}

fn store(s: &Subject) -> StateStore {
    StateStore::new((s.open)(), Encryptor::none())
}

/// Runs the whole suite. Panics (with what went wrong) on the first rule broken. Run it on a
/// multi-threaded runtime, so that readers and writers really overlap.
pub async fn run(s: &Subject) {
    round_trip_and_serial(s).await;
    compare_and_swap(s).await;
    refuses_newer_and_corrupt(s).await;
    locking(s).await;
    dead_holders(s).await;
    atomic_writes(s).await;
}

async fn round_trip_and_serial(s: &Subject) {
    let a = store(s);
    assert!(a.load().await.expect("load").is_none(), "a new state reads as none");
    let mut st = sample();
    a.persist(&mut st).await.expect("persist");
    assert_eq!(st.serial, 1);
    let loaded = a.load().await.expect("load").expect("a state");
    assert_eq!(loaded, st, "round trip");
    a.persist(&mut st).await.expect("persist");
    assert_eq!(st.serial, 1, "no change, no new serial");
    st.outputs.clear();
    a.persist(&mut st).await.expect("persist");
    assert_eq!(st.serial, 2);
    let other = store(s);
    let seen = other.load().await.expect("load").expect("a state");
    assert_eq!(seen.serial, 2, "another process reads what was written");
    assert_eq!(seen, st);
    if s.keeps_previous {
        let prev = other.previous().await.expect("previous").expect("a previous version");
        assert_eq!(prev.serial, 1, "the previous version is kept");
        assert_eq!(prev.outputs.len(), 1);
    }
}

async fn compare_and_swap(s: &Subject) {
    let a = store(s);
    let b = store(s);
    let mut sa = a.load().await.expect("load").expect("a state");
    let mut sb = b.load().await.expect("load").expect("a state");
    sb.outputs.insert(
        "b".into(),
        OutputValue {
            value: Value::from("b"),
            sensitive: false,
        },
    );
    b.persist(&mut sb).await.expect("b writes");
    sa.outputs.insert(
        "a".into(),
        OutputValue {
            value: Value::from("a"),
            sensitive: false,
        },
    );
    match a.persist(&mut sa).await {
        Err(StateError::Backend {
            source: infra_backend::BackendError::Conflict(_),
            ..
        }) => {}
        other => panic!("a write over someone else's newer version must fail as a conflict, got {other:?}"),
    }
    let now = store(s).load().await.expect("load").expect("a state");
    assert_eq!(now.serial, sb.serial, "the other writer's version stays");
    assert!(now.outputs.contains_key("b") && !now.outputs.contains_key("a"));
    // Reading again and writing works.
    let mut fresh = a.load().await.expect("load").expect("a state");
    fresh.outputs.remove("b");
    a.persist(&mut fresh).await.expect("write after reading again");
    assert!(fresh.serial > sb.serial);
}

async fn refuses_newer_and_corrupt(s: &Subject) {
    let raw = (s.open)();
    let before = raw.get().await.expect("get");
    raw.put(br#"{"format_version": 99, "serial": 1, "lineage": "x", "resources": []}"#)
        .await
        .expect("put");
    let st = store(s);
    match st.load().await {
        Err(e @ StateError::NewerFormat { found: 99, .. }) => {
            assert!(e.to_string().contains(&st.describe()), "names the location: {e}");
            assert!(e.to_string().contains("newer version of infra"), "{e}");
        }
        other => panic!("a newer format must be refused, got {other:?}"),
    }
    raw.put(b"{ not json").await.expect("put");
    match store(s).load().await {
        Err(e @ StateError::Corrupt { .. }) => assert!(e.to_string().contains(&st.describe()), "{e}"),
        other => panic!("a corrupt state must be refused, got {other:?}"),
    }
    match before {
        Some(b) => raw.put(&b).await.expect("restore"),
        None => raw.delete().await.expect("delete"),
    }
}

async fn locking(s: &Subject) {
    let a = store(s);
    let b = store(s);
    let la = LockInfo::new("apply");
    assert!(a.lock(&la, Duration::ZERO).await.expect("lock").is_none());
    let lb = LockInfo::new("plan");
    match b.lock(&lb, Duration::from_millis(300)).await {
        Err(StateError::Locked { info, path }) => {
            assert_eq!(info.id, la.id, "names the holder");
            assert_eq!(info.operation, "apply");
            assert_eq!(info.who, la.who);
            assert_eq!(info.pid, la.pid);
            assert_eq!(path, b.describe());
        }
        other => panic!("expected a lock conflict, got {other:?}"),
    }
    assert_eq!(
        b.lock_holder().await.expect("holder").map(|h| h.id),
        Some(la.id.clone())
    );
    assert!(matches!(b.unlock(&lb.id).await, Err(StateError::NoSuchLock { .. })));
    a.unlock(&la.id).await.expect("unlock");
    assert!(b.lock_holder().await.expect("holder").is_none());
    b.lock(&lb, Duration::ZERO).await.expect("lock after release");
    b.unlock(&lb.id).await.expect("unlock");

    // Waiting within the timeout for a holder that releases.
    let la = LockInfo::new("apply");
    a.lock(&la, Duration::ZERO).await.expect("lock");
    let release = {
        let a = (s.open)();
        let id = la.id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            a.unlock(&id).await.expect("unlock from another instance");
        })
    };
    let lc = LockInfo::new("apply");
    b.lock(&lc, Duration::from_secs(20))
        .await
        .expect("waits for the holder");
    release.await.expect("release task");
    // Force-unlock: another process releases it by its ID.
    let other = store(s);
    other.unlock(&lc.id).await.expect("force-unlock");
    assert!(other.lock_holder().await.expect("holder").is_none());
    let ld = LockInfo::new("apply");
    other.lock(&ld, Duration::ZERO).await.expect("lock after force-unlock");
    other.unlock(&ld.id).await.expect("unlock");
}

async fn dead_holders(s: &Subject) {
    let mut dead = LockInfo::new("apply");
    dead.pid = 999_999;
    dead.host = "runner-gone".into();
    dead.who = "ci@runner-gone".into();
    (s.plant_dead_lock)(dead.clone()).await;
    let c = store(s);
    let mine = LockInfo::new("apply");
    match (s.dead_holder, c.lock(&mine, Duration::ZERO).await) {
        (DeadHolder::TakenOver, Ok(Some(taken))) => {
            assert_eq!(taken.id, dead.id, "the lock taken over is reported");
            c.unlock(&mine.id).await.expect("unlock");
        }
        (DeadHolder::ReportedStale, Err(e @ StateError::StaleLock { .. })) => {
            let StateError::StaleLock { info, .. } = &e else {
                unreachable!()
            };
            assert_eq!(info.id, dead.id, "names the holder");
            assert!(e.to_string().contains("runner-gone"), "{e}");
            assert!(e.to_string().contains("expired"), "{e}");
            c.unlock(&dead.id).await.expect("force-unlock removes a stale lock");
            c.lock(&mine, Duration::ZERO).await.expect("lock after force-unlock");
            c.unlock(&mine.id).await.expect("unlock");
        }
        (policy, other) => panic!("a dead holder's lock ({policy:?}): got {other:?}"),
    }
    assert!(c.lock_holder().await.expect("holder").is_none());
}

async fn atomic_writes(s: &Subject) {
    let writer = store(s);
    let mut st = writer.load().await.expect("load").unwrap_or_default();
    let base = big(1500);
    st.resources = base.resources.clone();
    writer.persist(&mut st).await.expect("persist");
    let first = st.serial;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let r = store(s);
        tokio::spawn(async move {
            let mut reads = 0;
            let mut last = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let got = r.load().await.expect("a reader never sees a half-written state");
                let got = got.expect("a state");
                assert!(got.serial >= last, "serials only increase");
                assert_eq!(got.resources.len(), 1500);
                last = got.serial;
                reads += 1;
            }
            reads
        })
    };
    for i in 0..15 {
        st.outputs.insert(
            "n".into(),
            OutputValue {
                value: Value::from(i as f64),
                sensitive: false,
            },
        );
        writer.persist(&mut st).await.expect("persist");
        tokio::task::yield_now().await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads = reader.await.expect("reader");
    assert!(reads > 0);
    assert_eq!(st.serial, first + 15);
}
