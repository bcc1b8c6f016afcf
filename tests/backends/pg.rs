//! `backend "pg"` against a real PostgreSQL on loopback (`infra_testkit::postgres`): the conformance suite,
//! killed holders, environments and schemas, configuration errors, and TLS for every `sslmode`.

use futures::FutureExt;
use infra::state::conformance::{self, DeadHolder, Subject};
use infra_backend::{Backend, BackendContext, BackendError, LockInfo, Settings};
use infra_testkit::postgres::Postgres;
use std::sync::Arc;
use std::time::Duration;

fn settings(conn_str: &str, schema: &str) -> Settings {
    let mut s = Settings::new();
    s.insert("conn_str".into(), conn_str.into());
    s.insert("schema_name".into(), schema.into());
    s
}

async fn configure(settings: &Settings) -> Result<Arc<dyn Backend>, BackendError> {
    infra_backend_pg::backend()
        .configure(settings, &BackendContext::default())
        .await
}

async fn backend(settings: &Settings) -> Arc<dyn Backend> {
    match configure(settings).await {
        Ok(b) => b,
        Err(e) => panic!("configure: {e}"),
    }
}

/// A superuser session of the test's own, to look at and tamper with the database.
async fn admin(pg: &Postgres) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&pg.conn_str("postgres"), tokio_postgres::NoTls)
        .await
        .expect("connect as the superuser");
    tokio::spawn(connection);
    client
}

/// What a killed holder leaves: a lock record without the advisory lock.
async fn plant_lock(pg: &'static Postgres, schema: String, env: &'static str, info: LockInfo) {
    let c = admin(pg).await;
    let json = serde_json::to_string(&info).expect("lock info");
    c.execute(
        &format!(
            "INSERT INTO \"{schema}\".infra_locks (name, info) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET info = EXCLUDED.info"
        ),
        &[&env, &json],
    )
    .await
    .expect("plant a lock record");
}

#[tokio::test(flavor = "multi_thread")]
async fn passes_the_conformance_suite() {
    let pg = Postgres::shared();
    let schema = pg.fresh_schema();
    let s = settings(&pg.conn_str("postgres"), &schema);
    let subject = Subject {
        // Every instance is a backend configured anew, with connections of its own, as another process's.
        open: Box::new(move || {
            let s = s.clone();
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async move { backend(&s).await.state("default") })
            })
        }),
        plant_dead_lock: Box::new(move |info| plant_lock(pg, schema.clone(), "default", info).boxed()),
        dead_holder: DeadHolder::TakenOver,
        keeps_previous: true,
    };
    conformance::run(&subject).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_holder_whose_session_dies_leaves_a_lock_the_next_run_takes_over() {
    let pg = Postgres::shared();
    let schema = pg.fresh_schema();
    let s = settings(&pg.conn_str("postgres"), &schema);
    let a = backend(&s).await.state("stage");
    let b = backend(&s).await.state("stage");

    let la = LockInfo::new("apply");
    assert!(a.lock(&la, Duration::ZERO).await.expect("lock").is_none());
    let lb = LockInfo::new("plan");
    match b.lock(&lb, Duration::from_millis(300)).await {
        Err(BackendError::Locked { info }) => {
            assert_eq!(info.id, la.id);
            assert_eq!(info.path, a.location(), "the record names the state");
        }
        other => panic!("a live holder's lock must be refused, got {other:?}"),
    }

    // The holder's process is killed: the server ends its session (here, on purpose).
    let key = infra_backend_pg::advisory_key(&schema, "stage") as u64;
    let killed: Vec<bool> = admin(pg)
        .await
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 \
             AND classid::bigint = $1 AND objid::bigint = $2",
            &[&((key >> 32) as i64), &((key & 0xffff_ffff) as i64)],
        )
        .await
        .expect("terminate the holder's session")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(killed, [true], "exactly one session held the lock");

    // Its record stays, naming the dead holder, until the next run takes the lock over and says so.
    assert_eq!(
        b.lock_holder().await.expect("holder").map(|h| h.id),
        Some(la.id.clone())
    );
    let taken = b
        .lock(&lb, Duration::from_secs(10))
        .await
        .expect("a dead holder's lock is taken over");
    let taken = taken.expect("the lock taken over is reported");
    assert_eq!(taken.id, la.id);
    assert_eq!(taken.operation, "apply");
    assert_eq!(
        b.lock_holder().await.expect("holder").map(|h| h.id),
        Some(lb.id.clone())
    );

    // The old holder, should it still run, finds out before it writes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    match a.put(b"{}").await {
        Err(BackendError::LockLost(m)) => assert!(m.contains("stage"), "{m}"),
        other => panic!("a holder whose session ended must not write, got {other:?}"),
    }
    match a.unlock(&la.id).await {
        Err(BackendError::NoSuchLock { held, .. }) => assert_eq!(held, Some(lb.id.clone())),
        other => panic!("the old holder's unlock must not release the new lock, got {other:?}"),
    }
    b.unlock(&lb.id).await.expect("unlock");
    assert!(b.lock_holder().await.expect("holder").is_none());
    // The advisory lock is really free: a third instance takes it at once, with nothing to report.
    let c = backend(&s).await.state("stage");
    let lc = LockInfo::new("apply");
    assert!(c.lock(&lc, Duration::ZERO).await.expect("lock").is_none());
    c.unlock(&lc.id).await.expect("unlock");
}

#[tokio::test(flavor = "multi_thread")]
async fn environments_are_rows_and_schemas_do_not_see_each_other() {
    let pg = Postgres::shared();
    let (one, two) = (pg.fresh_schema(), pg.fresh_schema());
    let a = backend(&settings(&pg.conn_str("postgres"), &one)).await;
    let b = backend(&settings(&pg.conn_str("postgres"), &two)).await;

    // Reading a schema that has nothing yet creates nothing.
    assert!(a.environments().await.expect("environments").is_empty());
    assert!(a.state("default").get().await.expect("get").is_none());
    let exists: bool = admin(pg)
        .await
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", &[&one])
        .await
        .expect("query")
        .get(0);
    assert!(!exists, "reads must not create the schema");

    for env in ["default", "stage", "prod"] {
        a.state(env).put(env.as_bytes()).await.expect("put");
    }
    assert_eq!(
        a.environments().await.expect("environments"),
        ["default", "prod", "stage"]
    );
    assert_eq!(
        a.state("prod").get().await.expect("get").as_deref(),
        Some(&b"prod"[..]),
        "each environment is its own row"
    );
    assert!(b.environments().await.expect("environments").is_empty());
    assert!(b.state("stage").get().await.expect("get").is_none());
    b.state("dev").put(b"dev").await.expect("put");
    assert_eq!(b.environments().await.expect("environments"), ["dev"]);
    assert_eq!(
        a.environments().await.expect("environments"),
        ["default", "prod", "stage"]
    );

    // A lock in one schema does not lock the same environment in another.
    let la = LockInfo::new("apply");
    a.state("default").lock(&la, Duration::ZERO).await.expect("lock");
    let sb = b.state("default");
    let lb = LockInfo::new("apply");
    assert!(
        sb.lock(&lb, Duration::ZERO)
            .await
            .expect("another schema's lock")
            .is_none()
    );
    sb.unlock(&lb.id).await.expect("unlock");
    a.state("default")
        .unlock(&la.id)
        .await
        .expect("force-unlock from another instance");

    let stage = a.state("stage");
    assert_eq!(
        stage.location(),
        format!("pg://127.0.0.1:{}/postgres?schema={one} (environment stage)", pg.port)
    );
    stage.delete().await.expect("delete");
    assert!(stage.get().await.expect("get").is_none());
    assert_eq!(a.environments().await.expect("environments"), ["default", "prod"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_previous_version_and_blind_writes() {
    let pg = Postgres::shared();
    let s = settings(&pg.conn_str("postgres"), &pg.fresh_schema());
    let a = backend(&s).await.state("default");
    assert!(a.previous().await.expect("previous").is_none());
    a.put(b"one").await.expect("put");
    assert!(
        a.previous().await.expect("previous").is_none(),
        "a first write has no previous version"
    );
    a.put(b"two").await.expect("put");
    assert_eq!(a.previous().await.expect("previous").as_deref(), Some(&b"one"[..]));

    // An instance that never read overwrites; one that read an older version does not.
    let reader = backend(&s).await.state("default");
    assert_eq!(reader.get().await.expect("get").as_deref(), Some(&b"two"[..]));
    let blind = backend(&s).await.state("default");
    blind.put(b"three").await.expect("a blind write overwrites");
    assert!(matches!(reader.put(b"stale").await, Err(BackendError::Conflict(_))));
    // Deleted and written again: the version a reader saw before is never current again.
    let before = backend(&s).await.state("default");
    before.get().await.expect("get");
    a.delete().await.expect("delete");
    let again = backend(&s).await.state("default");
    again.put(b"four").await.expect("put");
    assert!(matches!(before.put(b"stale").await, Err(BackendError::Conflict(_))));
    assert_eq!(again.get().await.expect("get").as_deref(), Some(&b"four"[..]));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configurations_are_clear_errors() {
    // No connection string at all.
    let none = infra_backend_pg::backend_with_env(|_| None);
    match none.configure(&Settings::new(), &BackendContext::default()).await {
        Err(BackendError::Config(m)) => assert!(m.contains("conn_str") && m.contains("PG_CONN_STR"), "{m}"),
        Err(e) => panic!("expected a configuration error, got {e}"),
        Ok(_) => panic!("expected a configuration error, got a backend"),
    }
    if std::env::var_os("PG_CONN_STR").is_none() {
        assert!(matches!(
            configure(&Settings::new()).await.err(),
            Some(BackendError::Config(_))
        ));
    }

    // Nothing listens there: the error names host, port and database, never the password.
    let port = infra_testkit::free_port();
    for conn_str in [
        format!("postgres://infra:Sup3r-Secret-Pw@127.0.0.1:{port}/states?sslmode=disable"),
        format!("host=127.0.0.1 port={port} dbname=states user=infra password='Sup3r-Secret-Pw' sslmode=disable"),
    ] {
        match configure(&settings(&conn_str, "s")).await {
            Err(e @ BackendError::Io(_)) => {
                let m = e.to_string();
                assert!(m.contains(&format!("127.0.0.1:{port}/states")), "{m}");
                assert!(m.contains("schema=s"), "{m}");
                assert!(!m.contains("Sup3r"), "the password leaked: {m}");
            }
            Err(e) => panic!("expected an I/O error, got {e:?}"),
            Ok(_) => panic!("nothing listens on {port}"),
        }
    }

    let pg = Postgres::shared();
    let db = admin(pg).await;

    // skip_table_creation on a schema without the tables.
    let empty = pg.fresh_schema();
    db.batch_execute(&format!("CREATE SCHEMA \"{empty}\""))
        .await
        .expect("create schema");
    let mut s = settings(&pg.conn_str("postgres"), &empty);
    s.insert("skip_table_creation".into(), true.into());
    match configure(&s).await {
        Err(BackendError::Config(m)) => {
            assert!(m.contains("skip_table_creation"), "{m}");
            assert!(m.contains("infra_states and infra_locks"), "{m}");
        }
        Err(e) => panic!("expected a configuration error, got {e:?}"),
        Ok(_) => panic!("the tables do not exist"),
    }

    // skip_schema_creation on a schema that does not exist: the first write says what is missing.
    let mut s = settings(&pg.conn_str("postgres"), &pg.fresh_schema());
    s.insert("skip_schema_creation".into(), true.into());
    match backend(&s).await.state("default").put(b"{}").await {
        Err(BackendError::Io(m)) => assert!(m.contains("skip_schema_creation"), "{m}"),
        other => panic!("expected an error about the missing schema, got {other:?}"),
    }

    // skip_index_creation without a unique index: writes need one, and the error says so.
    let mut s = settings(&pg.conn_str("postgres"), &pg.fresh_schema());
    s.insert("skip_index_creation".into(), true.into());
    match backend(&s).await.state("default").put(b"{}").await {
        Err(BackendError::Io(m)) => {
            assert!(m.contains("unique index") && m.contains("skip_index_creation"), "{m}")
        }
        other => panic!("expected an error about the missing index, got {other:?}"),
    }

    // With the tables made by hand (as a DBA would), skip_table_creation works.
    let manual = pg.fresh_schema();
    db.batch_execute(&format!(
        "CREATE SCHEMA \"{manual}\"; \
         CREATE TABLE \"{manual}\".infra_states (name text PRIMARY KEY, data bytea NOT NULL, \
           version bigint GENERATED ALWAYS AS IDENTITY, previous bytea, updated_at timestamptz NOT NULL DEFAULT now()); \
         CREATE TABLE \"{manual}\".infra_locks (name text PRIMARY KEY, info text NOT NULL, \
           created_at timestamptz NOT NULL DEFAULT now());"
    ))
    .await
    .expect("create the tables");
    let mut s = settings(&pg.conn_str("postgres"), &manual);
    s.insert("skip_schema_creation".into(), true.into());
    s.insert("skip_table_creation".into(), true.into());
    s.insert("skip_index_creation".into(), true.into());
    let st = backend(&s).await.state("default");
    st.put(b"{}").await.expect("put into tables made by hand");
    let l = LockInfo::new("apply");
    st.lock(&l, Duration::ZERO).await.expect("lock");
    st.unlock(&l.id).await.expect("unlock");
}

/// Whether the server sees the session of `application_name` encrypted.
async fn session_uses_tls(db: &tokio_postgres::Client, application_name: &str) -> Vec<bool> {
    db.query(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
        &[&application_name],
    )
    .await
    .expect("pg_stat_ssl")
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sslmode_selects_tls_and_verification() {
    let pg = Postgres::shared();
    let db = admin(pg).await;
    let ca = pg.ca_cert().display().to_string();
    let schema = pg.fresh_schema();

    // (host, query, encrypted?) that connect.
    let good = [
        ("127.0.0.1", "sslmode=disable".to_string(), false),
        ("127.0.0.1", "sslmode=prefer".to_string(), true),
        ("127.0.0.1", "sslmode=require".to_string(), true),
        ("127.0.0.1", format!("sslmode=verify-ca&sslrootcert={ca}"), true),
        ("localhost", format!("sslmode=verify-full&sslrootcert={ca}"), true),
    ];
    for (i, (host, query, encrypted)) in good.iter().enumerate() {
        let app = format!("{schema}-tls-{i}");
        let url = pg.url(host, "postgres", &format!("{query}&application_name={app}"));
        let b = match configure(&settings(&url, &schema)).await {
            Ok(b) => b,
            Err(e) => panic!("{query} to {host}: {e}"),
        };
        b.state("default").put(b"{}").await.expect("put");
        assert_eq!(session_uses_tls(&db, &app).await, [*encrypted], "{query} to {host}");
    }

    // Verification that must fail: a CA the client does not trust, a certificate for another name.
    let bad = [
        ("localhost", "sslmode=verify-full".to_string()),
        ("localhost", "sslmode=verify-ca".to_string()),
        ("127.0.0.1", format!("sslmode=verify-full&sslrootcert={ca}")),
    ];
    for (host, query) in bad {
        let url = pg.url(host, "postgres", &query);
        match configure(&settings(&url, &schema)).await {
            Err(BackendError::Io(m)) => assert!(m.contains("certificate"), "{query} to {host}: {m}"),
            Err(e) => panic!("{query} to {host}: expected an I/O error, got {e:?}"),
            Ok(_) => panic!("{query} to {host} must not connect"),
        }
    }
}

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

// A current-thread runtime: every event of the backend's calls is emitted on this thread.
#[tokio::test]
async fn every_sql_round_trip_is_logged_without_secrets() {
    let pg = Postgres::shared();
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // tracing caches whether a callsite is enabled when it is first hit. While a single dispatcher exists,
    // it asks only the dispatcher of the thread that hits it — a concurrent test's thread, which has none —
    // and caches "never" for everyone. With a second live dispatcher it asks them all; then the cache is
    // rebuilt for the callsites hit before.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    tracing::callsite::rebuild_interest_cache();

    let url = format!(
        "postgres://postgres:Log-Secret-Pw@127.0.0.1:{}/postgres?sslmode=disable",
        pg.port
    );
    let st = backend(&settings(&url, &pg.fresh_schema())).await.state("default");
    st.put(br#"{"password": "kept-in-the-state"}"#).await.expect("put");
    st.get().await.expect("get");
    let l = LockInfo::new("apply");
    st.lock(&l, Duration::ZERO).await.expect("lock");
    st.unlock(&l.id).await.expect("unlock");

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    for op in [
        "connect",
        "create the tables",
        "write the state",
        "read the state",
        "try the lock",
        "write the lock record",
        "read the lock",
        "remove the lock record",
        "release the lock",
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains("infra::api") && l.contains(&format!("operation=\"{op}\""))),
            "{op} is not logged:\n{text}"
        );
    }
    assert!(!text.contains("Log-Secret-Pw"), "the password is logged:\n{text}");
    assert!(!text.contains("kept-in-the-state"), "parameters are logged:\n{text}");
}
