//! # infra-backend-pg: Terraform's `backend "pg"`
//!
//! Every environment's state is a row in a PostgreSQL database; the lock is a PostgreSQL advisory lock held
//! by the locking process's own database session, with the holder's [`LockInfo`] in a lock table.
//!
//! ```hcl
//! terraform {
//!   backend "pg" {
//!     conn_str    = "postgres://infra@db.internal/infra?sslmode=verify-full"
//!     schema_name = "terraform_remote_state"  # the default
//!   }
//! }
//! ```
//!
//! Arguments (Terraform's names and environment variables): `conn_str` (else `PG_CONN_STR`; a URL or
//! libpq's `key=value` form, see [`conn`] for `sslmode` and the libpq variables it honours), `schema_name`
//! (else `PG_SCHEMA_NAME`, else `terraform_remote_state`), `skip_schema_creation`, `skip_table_creation`,
//! `skip_index_creation` (else `PG_SKIP_SCHEMA_CREATION`, `PG_SKIP_TABLE_CREATION`,
//! `PG_SKIP_INDEX_CREATION`, read as Go's `strconv.ParseBool` does). Configuring connects once, to check
//! the server and the credentials, and changes nothing.
//!
//! ## Storage
//!
//! In schema `schema_name` (created with `CREATE SCHEMA IF NOT EXISTS` before the first write unless
//! `skip_schema_creation`), two tables of infra's own — Terraform's pg backend keeps its `states` table in
//! the same default schema with another layout, so neither touches the other's:
//!
//! ```sql
//! CREATE TABLE infra_states (
//!     name       text        NOT NULL,           -- the environment: default, stage, ...
//!     data       bytea       NOT NULL,           -- the state, as the engine encoded (and encrypted) it
//!     version    bigint      GENERATED ALWAYS AS IDENTITY,  -- drawn anew by every write
//!     previous   bytea,                          -- the version before this one
//!     updated_at timestamptz NOT NULL DEFAULT now()
//! );
//! CREATE TABLE infra_locks (
//!     name       text        NOT NULL,           -- the environment
//!     info       text        NOT NULL,           -- the holder's LockInfo, as JSON
//!     created_at timestamptz NOT NULL DEFAULT now()
//! );
//! CREATE UNIQUE INDEX infra_states_by_name ON infra_states (name);
//! CREATE UNIQUE INDEX infra_locks_by_name ON infra_locks (name);
//! ```
//!
//! The tables are created (`IF NOT EXISTS`, serialized between processes by a transaction-level advisory
//! lock) before the first write unless `skip_table_creation`, the indexes unless `skip_index_creation`
//! (any unique index or constraint on `name` will do). With `skip_table_creation`, configuring checks that
//! the tables exist and says what to create when they do not. Reads of a schema that has no tables yet read
//! as empty and create nothing. [`Backend::environments`] lists the names of `infra_states`, sorted.
//!
//! ## Writes: atomic and compare-and-swap
//!
//! A write is one SQL statement, hence one transaction: a reader sees the old row or the new one, never a
//! mix, and the old data moves to `previous` in the same statement ([`StateBlob::previous`] reads it).
//! Every instance remembers the `version` it last read or wrote — or that it found no row — and writes on
//! that condition only: `UPDATE ... WHERE version = $seen`, or `INSERT ... ON CONFLICT DO NOTHING` when it
//! saw none. A statement that changes no row is a [`BackendError::Conflict`]: someone else wrote since.
//! Versions come from the table's identity sequence, so a version number is never reused, even after a
//! delete. An instance that never read writes unconditionally (an upsert), as the protocol says.
//!
//! ## Locking
//!
//! The lock of an environment is the session-level advisory lock [`advisory_key`]`(schema, environment)`
//! of the database, taken with `pg_try_advisory_lock` on a connection of its own that the holder keeps
//! open for as long as it holds the lock. The server releases an advisory lock when its session ends, so
//! the lock of a holder that was killed, lost its network or crashed is free as soon as the server notices
//! — that is the proof that the holder ended. The holder also writes its [`LockInfo`] (`Path` set to the
//! location) into `infra_locks`, which is what [`StateBlob::lock_holder`] and lock conflicts report.
//!
//! - `lock` tries every 200 ms until its timeout. Once it has the advisory lock, a lock record still there
//!   is a dead holder's: it is replaced and returned (`Ok(Some(dead))`), never silently. While the advisory
//!   lock is busy, the record names the live holder ([`BackendError::Locked`]); a holder between taking the
//!   advisory lock and writing its record is waited for briefly.
//! - `unlock(id)` deletes the record if it names `id` ([`BackendError::NoSuchLock`] otherwise, with the
//!   current holder's ID), then the holding instance releases its advisory lock and closes the connection.
//! - **Force-unlock** is `unlock(id)` from another process. Deleting the record alone would leave the advisory
//!   lock held by the live holder's session — the lock would stay taken, with nobody named. So
//!   force-unlock also ends that session: it finds the session holding the advisory lock in `pg_locks`
//!   (`locktype = 'advisory'` and the key) and calls `pg_terminate_backend` on it, then waits until the
//!   lock is free. The holder notices on its next write ([`BackendError::LockLost`]). Ending another
//!   session needs the same role, a superuser or `pg_signal_backend`; without it force-unlock says so.
//!
//! ## Errors and logging
//!
//! Connection failures and SQL errors are [`BackendError::Io`] with the server's message (and SQLSTATE) and
//! the location `pg://host:port/db?schema=...`; a bad block or connection string is
//! [`BackendError::Config`]. No message contains the password. Every SQL round trip is logged at `debug`
//! under the target `infra::api` with the operation and the location, never with parameters.

pub mod conn;

use async_trait::async_trait;
use conn::{ConnSpec, Env};
use infra_backend::{
    ArgType, Argument, Backend, BackendContext, BackendError, BackendType, LockInfo, Settings, StateBlob,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

/// The `tracing` target of every SQL round trip (as the providers log their API calls).
pub const API_TARGET: &str = "infra::api";

/// The schema when neither `schema_name` nor `PG_SCHEMA_NAME` is set (Terraform's default).
pub const DEFAULT_SCHEMA: &str = "terraform_remote_state";

/// The states table in the schema.
pub const STATES_TABLE: &str = "infra_states";

/// The lock table in the schema.
pub const LOCKS_TABLE: &str = "infra_locks";

/// How often `lock` tries again while the lock is busy.
const LOCK_STEP: Duration = Duration::from_millis(200);

/// How long a busy lock without a record is waited for (its holder is writing the record) before it is
/// reported.
const NO_RECORD_GRACE: Duration = Duration::from_secs(2);

/// How long force-unlock waits for a terminated holder's session to release the lock.
const TERMINATE_WAIT: Duration = Duration::from_secs(10);

/// The ID reported for a lock record that is not valid JSON (`force-unlock` accepts it).
pub const UNREADABLE_LOCK_ID: &str = "(unreadable)";

/// The PostgreSQL identifier limit (NAMEDATALEN - 1); longer names would be truncated by the server.
const MAX_IDENTIFIER: usize = 63;

/// `backend "pg"`, reading the process environment.
pub fn backend() -> Arc<dyn BackendType> {
    Arc::new(PgBackendType {
        env: Arc::new(|name| std::env::var(name).ok()),
    })
}

/// `backend "pg"` with its environment variables (`PG_CONN_STR`, `PGHOST`...) looked up through `env`
/// instead of the process environment.
pub fn backend_with_env(env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Arc<dyn BackendType> {
    Arc::new(PgBackendType { env: Arc::new(env) })
}

/// The advisory lock key of an environment's state lock in a schema: FNV-1a (64 bits) of both names, so
/// every process computes the same key and different environments or schemas do not contend (advisory
/// locks are per database already).
pub fn advisory_key(schema: &str, environment: &str) -> i64 {
    fnv1a(&[b"infra state lock", schema.as_bytes(), environment.as_bytes()])
}

/// The transaction-level advisory lock that serializes creating the schema's tables.
fn ddl_key(schema: &str) -> i64 {
    fnv1a(&[b"infra schema creation", schema.as_bytes()])
}

/// FNV-1a (64 bits) of the parts, separated by a NUL byte (which no name contains), so that
/// ("ab", "c") and ("a", "bc") differ.
fn fnv1a(parts: &[&[u8]]) -> i64 {
    let step = |h: u64, b: u8| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h = step(h, 0);
        }
        h = part.iter().fold(h, |h, b| step(h, *b));
    }
    h as i64
}

/// A quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `backend "pg"`.
pub struct PgBackendType {
    env: Env,
}

/// Go's `strconv.ParseBool`, as Terraform reads its `PG_SKIP_*` variables.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Skip {
    schema: bool,
    table: bool,
    index: bool,
}

impl PgBackendType {
    fn flag(&self, settings: &Settings, name: &str, var: &str) -> Result<bool, BackendError> {
        if let Some(b) = infra_backend::bool(settings, name) {
            return Ok(b);
        }
        match (self.env)(var).filter(|v| !v.is_empty()) {
            None => Ok(false),
            Some(v) => parse_go_bool(v.trim()).ok_or_else(|| {
                BackendError::Config(format!(
                    "the pg backend: {var}={v:?} is not a boolean (use true or false) for {name}"
                ))
            }),
        }
    }
}

#[async_trait]
impl BackendType for PgBackendType {
    fn name(&self) -> &'static str {
        "pg"
    }

    fn arguments(&self) -> Vec<Argument> {
        vec![
            Argument::optional("conn_str", ArgType::String).sensitive(),
            Argument::optional("schema_name", ArgType::String),
            Argument::optional("skip_schema_creation", ArgType::Bool),
            Argument::optional("skip_table_creation", ArgType::Bool),
            Argument::optional("skip_index_creation", ArgType::Bool),
        ]
    }

    async fn configure(&self, settings: &Settings, _ctx: &BackendContext) -> Result<Arc<dyn Backend>, BackendError> {
        let conn_str = infra_backend::string(settings, "conn_str")
            .or_else(|| (self.env)("PG_CONN_STR").filter(|s| !s.trim().is_empty()))
            .ok_or_else(|| {
                BackendError::Config(
                    "the pg backend needs a connection string: set conn_str in the backend block or the \
                     PG_CONN_STR environment variable (e.g. postgres://user@host:5432/db?sslmode=require)"
                        .into(),
                )
            })?;
        let schema = infra_backend::string(settings, "schema_name")
            .or_else(|| (self.env)("PG_SCHEMA_NAME").filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
        if schema.len() > MAX_IDENTIFIER || schema.contains('\0') {
            return Err(BackendError::Config(format!(
                "the pg backend: schema_name {schema:?} is not a PostgreSQL name (at most {MAX_IDENTIFIER} bytes, no NUL)"
            )));
        }
        let skip = Skip {
            schema: self.flag(settings, "skip_schema_creation", "PG_SKIP_SCHEMA_CREATION")?,
            table: self.flag(settings, "skip_table_creation", "PG_SKIP_TABLE_CREATION")?,
            index: self.flag(settings, "skip_index_creation", "PG_SKIP_INDEX_CREATION")?,
        };
        let spec =
            ConnSpec::parse(&conn_str, &self.env).map_err(|e| BackendError::Config(format!("the pg backend: {e}")))?;
        let shared = Arc::new(Shared::new(spec, schema, skip));
        shared.check().await?;
        Ok(Arc::new(PgBackend { shared }))
    }
}

/// What every state of a configured backend shares: the connection settings, the schema, and one data
/// connection (statements from many tasks are pipelined on it; each is atomic on its own).
struct Shared {
    spec: ConnSpec,
    schema: String,
    states: String,
    locks: String,
    skip: Skip,
    location: String,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
    created: tokio::sync::OnceCell<()>,
}

type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

/// A database session holding an environment's advisory lock, and the ID of the lock.
struct Held {
    id: String,
    client: Client,
}

fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                m.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                m.push_str(&format!(" (hint: {h})"));
            }
            m.push_str(&format!(" (SQLSTATE {})", db.code().code()));
            m
        }
        None => conn::error_chain(e),
    }
}

fn sqlstate(e: &tokio_postgres::Error) -> Option<&str> {
    e.as_db_error().map(|d| d.code().code())
}

/// A table or schema that does not exist (yet).
fn is_missing_relation(e: &tokio_postgres::Error) -> bool {
    matches!(sqlstate(e), Some("42P01" | "3F000"))
}

impl Shared {
    fn new(spec: ConnSpec, schema: String, skip: Skip) -> Shared {
        let location = format!("pg://{}?schema={}", spec.shown(), schema);
        Shared {
            states: format!("{}.{STATES_TABLE}", ident(&schema)),
            locks: format!("{}.{LOCKS_TABLE}", ident(&schema)),
            spec,
            schema,
            skip,
            location,
            client: tokio::sync::Mutex::new(None),
            created: tokio::sync::OnceCell::new(),
        }
    }

    fn io(&self, what: &str, detail: String) -> BackendError {
        BackendError::Io(
            self.spec
                .redact(format!("cannot {what} at {}: {detail}", self.location)),
        )
    }

    /// An SQL error, with what to do for the errors a configuration causes.
    fn sql_error(&self, what: &str, e: &tokio_postgres::Error) -> BackendError {
        let msg = db_message(e);
        let advice = match sqlstate(e) {
            Some("3F000") if self.skip.schema => format!(
                "; the schema {} does not exist and skip_schema_creation is set: create it, or unset skip_schema_creation",
                ident(&self.schema)
            ),
            Some("42P01") if self.skip.table => format!(
                "; skip_table_creation is set, so the tables {STATES_TABLE} and {LOCKS_TABLE} must exist in {}: \
                 create them (see the pg backend's documentation), or unset skip_table_creation",
                ident(&self.schema)
            ),
            Some("42P10") => format!(
                "; {STATES_TABLE} and {LOCKS_TABLE} need a unique index on name{}",
                if self.skip.index {
                    " (skip_index_creation is set: create infra_states_by_name and infra_locks_by_name, or unset it)"
                } else {
                    ""
                }
            ),
            _ => String::new(),
        };
        self.io(what, format!("{msg}{advice}"))
    }

    async fn connect(&self, application_name: &str) -> Result<Client, BackendError> {
        tracing::debug!(target: API_TARGET, service = "postgresql", operation = "connect", location = %self.location);
        self.spec.connect(application_name).await.map_err(|e| {
            let mut detail = db_message(&e);
            if detail.contains("server does not support TLS") {
                detail.push_str(" (set sslmode=disable in the connection string to connect without TLS)");
            }
            BackendError::Io(
                self.spec
                    .redact(format!("cannot connect to PostgreSQL at {}: {detail}", self.location)),
            )
        })
    }

    /// The shared data connection, opened again when it was closed.
    async fn client(&self) -> Result<Arc<Client>, BackendError> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref()
            && !c.is_closed()
        {
            return Ok(c.clone());
        }
        let c = Arc::new(self.connect("infra").await?);
        *slot = Some(c.clone());
        Ok(c)
    }

    /// One SQL round trip (one statement, typed parameters), logged without its parameters.
    async fn query(
        &self,
        client: &Client,
        operation: &'static str,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        tracing::debug!(target: API_TARGET, service = "postgresql", operation, location = %self.location);
        client.query_typed(sql, params).await
    }

    /// At configure time: the server answers, the credentials are good, and with `skip_table_creation` the
    /// tables are there. Changes nothing.
    async fn check(&self) -> Result<(), BackendError> {
        let client = self.client().await?;
        if !self.skip.table {
            return Ok(());
        }
        let rows = self
            .query(
                &client,
                "check the tables",
                "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL",
                &[(&self.states, Type::TEXT), (&self.locks, Type::TEXT)],
            )
            .await
            .map_err(|e| self.sql_error("check the tables", &e))?;
        let present = |i: usize| rows.first().and_then(|r| r.try_get::<_, bool>(i).ok()).unwrap_or(false);
        let missing: Vec<&str> = [(0, STATES_TABLE), (1, LOCKS_TABLE)]
            .into_iter()
            .filter(|(i, _)| !present(*i))
            .map(|(_, t)| t)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(BackendError::Config(format!(
            "the pg backend: skip_table_creation is set, but {} has no table {} in schema {}: create {} (see \
             the pg backend's documentation for the layout), or unset skip_table_creation",
            self.location,
            missing.join(" and "),
            ident(&self.schema),
            if missing.len() == 1 { "it" } else { "them" },
        )))
    }

    /// Creates the schema, tables and indexes the skip flags do not exclude, once per backend, before its
    /// first write.
    async fn ensure_created(&self) -> Result<(), BackendError> {
        self.created
            .get_or_try_init(|| async {
                let mut ddl = Vec::new();
                if !self.skip.schema {
                    ddl.push(format!("CREATE SCHEMA IF NOT EXISTS {}", ident(&self.schema)));
                }
                if !self.skip.table {
                    ddl.push(format!(
                        "CREATE TABLE IF NOT EXISTS {} (name text NOT NULL, data bytea NOT NULL, \
                         version bigint GENERATED ALWAYS AS IDENTITY, previous bytea, \
                         updated_at timestamptz NOT NULL DEFAULT now())",
                        self.states
                    ));
                    ddl.push(format!(
                        "CREATE TABLE IF NOT EXISTS {} (name text NOT NULL, info text NOT NULL, \
                         created_at timestamptz NOT NULL DEFAULT now())",
                        self.locks
                    ));
                }
                if !self.skip.index {
                    ddl.push(format!(
                        "CREATE UNIQUE INDEX IF NOT EXISTS infra_states_by_name ON {} (name)",
                        self.states
                    ));
                    ddl.push(format!(
                        "CREATE UNIQUE INDEX IF NOT EXISTS infra_locks_by_name ON {} (name)",
                        self.locks
                    ));
                }
                if ddl.is_empty() {
                    return Ok(());
                }
                // One simple-query message runs as one transaction; the transaction-level advisory lock
                // keeps two processes from racing on the same CREATE (which PostgreSQL does not serialize).
                let batch = format!(
                    "SELECT pg_advisory_xact_lock({}); {};",
                    ddl_key(&self.schema),
                    ddl.join("; ")
                );
                let client = self.client().await?;
                tracing::debug!(target: API_TARGET, service = "postgresql", operation = "create the tables", location = %self.location);
                client
                    .batch_execute(&batch)
                    .await
                    .map_err(|e| self.sql_error("create the state tables", &e))
            })
            .await
            .map(|_| ())
    }

    /// A read of a table that does not exist yet: empty, unless the tables were meant to exist.
    fn missing_is_empty(&self, e: &tokio_postgres::Error) -> bool {
        is_missing_relation(e) && !self.skip.table
    }
}

/// The configured pg backend.
pub struct PgBackend {
    shared: Arc<Shared>,
}

impl PgBackend {
    /// `pg://host:port/db?schema=...`.
    pub fn location(&self) -> &str {
        &self.shared.location
    }
}

#[async_trait]
impl Backend for PgBackend {
    fn kind(&self) -> &str {
        "pg"
    }

    fn state(&self, env: &str) -> Arc<dyn StateBlob> {
        Arc::new(PgBlob {
            key: advisory_key(&self.shared.schema, env),
            shared: self.shared.clone(),
            env: env.to_string(),
            seen: Mutex::new(None),
            held: Mutex::new(None),
        })
    }

    async fn environments(&self) -> Result<Vec<String>, BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let rows = match sh
            .query(
                &client,
                "list the environments",
                &format!("SELECT name FROM {}", sh.states),
                &[],
            )
            .await
        {
            Ok(rows) => rows,
            Err(e) if sh.missing_is_empty(&e) => Vec::new(),
            Err(e) => return Err(sh.sql_error("list the environments", &e)),
        };
        let mut names = rows
            .iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| sh.sql_error("list the environments", &e))?;
        names.sort();
        names.dedup();
        Ok(names)
    }
}

/// The state of one environment: a row of `infra_states`, and its lock.
pub struct PgBlob {
    shared: Arc<Shared>,
    env: String,
    key: i64,
    /// The version this instance last read or wrote (`Some(None)`: it found no row; `None`: it never read).
    seen: Mutex<Option<Option<i64>>>,
    /// The session holding this environment's advisory lock, while this instance holds the lock.
    held: Mutex<Option<Held>>,
}

impl PgBlob {
    fn seen(&self) -> std::sync::MutexGuard<'_, Option<Option<i64>>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<Held>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A lock record's holder; a record that is not valid JSON is reported with [`UNREADABLE_LOCK_ID`].
    fn parse_info(&self, raw: &str) -> LockInfo {
        serde_json::from_str(raw).unwrap_or_else(|e| LockInfo {
            id: UNREADABLE_LOCK_ID.into(),
            operation: "unknown".into(),
            who: format!("an unreadable lock record ({e})"),
            host: String::new(),
            pid: 0,
            version: String::new(),
            created: String::new(),
            path: self.location(),
            renewed: None,
            lease_seconds: None,
        })
    }

    /// The lock record and the database session holding the advisory lock (if any, other than ours).
    async fn lock_record(&self) -> Result<Option<(String, Option<i32>)>, BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let (hi, lo) = self.key_halves();
        let sql = format!(
            "SELECT l.info, (SELECT k.pid FROM pg_locks k WHERE {} LIMIT 1) FROM {} l WHERE l.name = $3",
            HOLDER_FILTER, sh.locks
        );
        match sh
            .query(
                &client,
                "read the lock",
                &sql,
                &[(&hi, Type::INT8), (&lo, Type::INT8), (&self.env, Type::TEXT)],
            )
            .await
        {
            Ok(rows) => match rows.first() {
                None => Ok(None),
                Some(r) => {
                    let info: String = r.try_get(0).map_err(|e| sh.sql_error("read the lock", &e))?;
                    let pid: Option<i32> = r.try_get(1).map_err(|e| sh.sql_error("read the lock", &e))?;
                    Ok(Some((info, pid)))
                }
            },
            Err(e) if sh.missing_is_empty(&e) => Ok(None),
            Err(e) => Err(sh.sql_error("read the lock", &e)),
        }
    }

    /// The key as `pg_locks` shows a bigint advisory lock: `classid` the high 32 bits, `objid` the low.
    fn key_halves(&self) -> (i64, i64) {
        let k = self.key as u64;
        ((k >> 32) as i64, (k & 0xffff_ffff) as i64)
    }

    /// The session holding the advisory lock, if any other than the data connection's.
    async fn holder_pid(&self) -> Result<Option<i32>, BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let (hi, lo) = self.key_halves();
        let sql = format!("SELECT k.pid FROM pg_locks k WHERE {HOLDER_FILTER} LIMIT 1");
        let rows = sh
            .query(
                &client,
                "find the lock's session",
                &sql,
                &[(&hi, Type::INT8), (&lo, Type::INT8)],
            )
            .await
            .map_err(|e| sh.sql_error("find the session holding the lock", &e))?;
        Ok(rows.first().and_then(|r| r.try_get::<_, i32>(0).ok()))
    }

    /// Ends the session `pid` holding the advisory lock (force-unlock of a live holder) and waits until the
    /// lock is free.
    async fn end_session(&self, pid: i32) -> Result<(), BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let (hi, lo) = self.key_halves();
        let terminate =
            format!("SELECT pg_terminate_backend(k.pid) FROM pg_locks k WHERE {HOLDER_FILTER} AND k.pid = $3");
        let params: &Params<'_> = &[(&hi, Type::INT8), (&lo, Type::INT8), (&pid, Type::INT4)];
        sh.query(&client, "end the lock holder's session", &terminate, params)
            .await
            .map_err(|e| {
                sh.io(
                    "force-unlock",
                    format!(
                        "the lock record was removed, but the database session holding the lock (pid {pid}) \
                         cannot be ended: {}; the lock stays taken until that session ends",
                        db_message(&e)
                    ),
                )
            })?;
        let still = format!("SELECT EXISTS (SELECT 1 FROM pg_locks k WHERE {HOLDER_FILTER} AND k.pid = $3)");
        let start = Instant::now();
        loop {
            let rows = sh
                .query(&client, "wait for the lock's release", &still, params)
                .await
                .map_err(|e| sh.sql_error("force-unlock", &e))?;
            if !rows.first().and_then(|r| r.try_get::<_, bool>(0).ok()).unwrap_or(false) {
                return Ok(());
            }
            if start.elapsed() >= TERMINATE_WAIT {
                return Err(sh.io(
                    "force-unlock",
                    format!(
                        "the lock record was removed and the database session holding the lock (pid {pid}) was \
                         told to end, but it still holds the lock after {}s",
                        TERMINATE_WAIT.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Releases this instance's advisory lock and closes its session.
    async fn release(&self, held: Held) {
        let sh = &self.shared;
        if let Err(e) = sh
            .query(
                &held.client,
                "release the lock",
                "SELECT pg_advisory_unlock($1)",
                &[(&self.key, Type::INT8)],
            )
            .await
        {
            // The session is gone (force-unlocked, network): its advisory lock ended with it.
            tracing::debug!(target: API_TARGET, service = "postgresql", error = %db_message(&e), "releasing the lock: the session had ended");
        }
        drop(held);
    }

    /// Removes the lock record if it names `id`; ends the holder's session unless `ours` (this instance
    /// holds the lock and releases it itself).
    async fn remove_record(&self, id: &str, ours: bool) -> Result<(), BackendError> {
        let sh = &self.shared;
        // The record can change between reading and deleting it (its holder released it, someone took it):
        // the delete is conditional on what was read, and read again when it misses.
        for _ in 0..3 {
            let Some((raw, pid)) = self.lock_record().await? else {
                return Err(BackendError::NoSuchLock {
                    id: id.into(),
                    held: None,
                });
            };
            let holder = self.parse_info(&raw);
            if holder.id != id {
                return Err(BackendError::NoSuchLock {
                    id: id.into(),
                    held: Some(holder.id),
                });
            }
            let client = sh.client().await?;
            let deleted = sh
                .query(
                    &client,
                    "remove the lock record",
                    &format!("DELETE FROM {} WHERE name = $1 AND info = $2 RETURNING 1", sh.locks),
                    &[(&self.env, Type::TEXT), (&raw, Type::TEXT)],
                )
                .await
                .map_err(|e| sh.sql_error("remove the lock", &e))?;
            if deleted.is_empty() {
                continue;
            }
            if !ours && let Some(pid) = pid {
                self.end_session(pid).await?;
            }
            return Ok(());
        }
        Err(sh.io(
            "remove the lock",
            "the lock record kept changing while it was being removed".into(),
        ))
    }
}

/// `pg_locks` rows of the session holding a state's advisory lock (`$1`, `$2`: the key's halves), other
/// than the session asking.
const HOLDER_FILTER: &str = "k.locktype = 'advisory' AND k.granted AND k.objsubid = 1 \
     AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
     AND k.classid::bigint = $1 AND k.objid::bigint = $2 AND k.pid <> pg_backend_pid()";

#[async_trait]
impl StateBlob for PgBlob {
    fn location(&self) -> String {
        format!("{} (environment {})", self.shared.location, self.env)
    }

    async fn get(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let sql = format!("SELECT data, version FROM {} WHERE name = $1", sh.states);
        let row = match sh
            .query(&client, "read the state", &sql, &[(&self.env, Type::TEXT)])
            .await
        {
            Ok(rows) => rows.into_iter().next(),
            Err(e) if sh.missing_is_empty(&e) => None,
            Err(e) => return Err(sh.sql_error("read the state", &e)),
        };
        let found = match row {
            None => None,
            Some(r) => {
                let data: Vec<u8> = r.try_get(0).map_err(|e| sh.sql_error("read the state", &e))?;
                let version: i64 = r.try_get(1).map_err(|e| sh.sql_error("read the state", &e))?;
                Some((data, version))
            }
        };
        *self.seen() = Some(found.as_ref().map(|(_, v)| *v));
        Ok(found.map(|(d, _)| d))
    }

    async fn put(&self, data: &[u8]) -> Result<(), BackendError> {
        let sh = &self.shared;
        if self.held().as_ref().is_some_and(|h| h.client.is_closed()) {
            return Err(BackendError::LockLost(format!(
                "the database session holding the lock of {} ended (force-unlocked from elsewhere, or the \
                 connection broke)",
                self.location()
            )));
        }
        sh.ensure_created().await?;
        let client = sh.client().await?;
        let expected = *self.seen();
        let s = &sh.states;
        let rows = match expected {
            None => {
                let sql = format!(
                    "INSERT INTO {s} AS t (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE \
                     SET previous = t.data, data = EXCLUDED.data, version = DEFAULT, updated_at = now() \
                     RETURNING version"
                );
                sh.query(
                    &client,
                    "write the state",
                    &sql,
                    &[(&self.env, Type::TEXT), (&data, Type::BYTEA)],
                )
                .await
            }
            Some(None) => {
                let sql = format!(
                    "INSERT INTO {s} (name, data) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING version"
                );
                sh.query(
                    &client,
                    "write the state",
                    &sql,
                    &[(&self.env, Type::TEXT), (&data, Type::BYTEA)],
                )
                .await
            }
            Some(Some(v)) => {
                let sql = format!(
                    "UPDATE {s} SET previous = data, data = $2, version = DEFAULT, updated_at = now() \
                     WHERE name = $1 AND version = $3 RETURNING version"
                );
                sh.query(
                    &client,
                    "write the state",
                    &sql,
                    &[(&self.env, Type::TEXT), (&data, Type::BYTEA), (&v, Type::INT8)],
                )
                .await
            }
        }
        .map_err(|e| sh.sql_error("write the state", &e))?;
        let Some(row) = rows.first() else {
            return Err(BackendError::Conflict(match expected {
                Some(Some(v)) => format!(
                    "{} is no longer version {v}, which this run read or wrote last",
                    self.location()
                ),
                _ => format!(
                    "{} was created by someone else since this run found none",
                    self.location()
                ),
            }));
        };
        let version: i64 = row.try_get(0).map_err(|e| sh.sql_error("write the state", &e))?;
        *self.seen() = Some(Some(version));
        Ok(())
    }

    async fn delete(&self) -> Result<(), BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let sql = format!("DELETE FROM {} WHERE name = $1", sh.states);
        match sh
            .query(&client, "delete the state", &sql, &[(&self.env, Type::TEXT)])
            .await
        {
            Ok(_) => {}
            Err(e) if sh.missing_is_empty(&e) => {}
            Err(e) => return Err(sh.sql_error("delete the state", &e)),
        }
        *self.seen() = Some(None);
        Ok(())
    }

    async fn previous(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let sh = &self.shared;
        let client = sh.client().await?;
        let sql = format!("SELECT previous FROM {} WHERE name = $1", sh.states);
        match sh
            .query(&client, "read the previous state", &sql, &[(&self.env, Type::TEXT)])
            .await
        {
            Ok(rows) => match rows.first() {
                None => Ok(None),
                Some(r) => r
                    .try_get::<_, Option<Vec<u8>>>(0)
                    .map_err(|e| sh.sql_error("read the previous state", &e)),
            },
            Err(e) if sh.missing_is_empty(&e) => Ok(None),
            Err(e) => Err(sh.sql_error("read the previous state", &e)),
        }
    }

    async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<Option<LockInfo>, BackendError> {
        let sh = &self.shared;
        sh.ensure_created().await?;
        let mut info = info.clone();
        info.path = self.location();
        let body = serde_json::to_string(&info)
            .map_err(|e| sh.io("lock the state", format!("cannot encode the lock record: {e}")))?;
        let start = Instant::now();
        // The session that will hold the lock: kept open for as long as the lock is held.
        let session = sh.connect("infra (state lock)").await?;
        let mut no_record_since: Option<Instant> = None;
        loop {
            let got = sh
                .query(
                    &session,
                    "try the lock",
                    "SELECT pg_try_advisory_lock($1)",
                    &[(&self.key, Type::INT8)],
                )
                .await
                .map_err(|e| sh.sql_error("lock the state", &e))?
                .first()
                .and_then(|r| r.try_get::<_, bool>(0).ok())
                .unwrap_or(false);
            if got {
                // Ours. A record still there is a holder's whose session ended: taken over, and reported.
                let sql = format!(
                    "WITH old AS (SELECT info FROM {l} WHERE name = $1), \
                     new AS (INSERT INTO {l} (name, info) VALUES ($1, $2) \
                             ON CONFLICT (name) DO UPDATE SET info = EXCLUDED.info, created_at = now()) \
                     SELECT info FROM old",
                    l = sh.locks
                );
                // On failure the session is dropped, which releases the advisory lock.
                let rows = sh
                    .query(
                        &session,
                        "write the lock record",
                        &sql,
                        &[(&self.env, Type::TEXT), (&body, Type::TEXT)],
                    )
                    .await
                    .map_err(|e| sh.sql_error("write the lock record", &e))?;
                let old = match rows.first() {
                    None => None,
                    Some(r) => Some(
                        r.try_get::<_, String>(0)
                            .map_err(|e| sh.sql_error("read the lock", &e))?,
                    ),
                };
                *self.held() = Some(Held {
                    id: info.id.clone(),
                    client: session,
                });
                return Ok(old.map(|raw| self.parse_info(&raw)).filter(|o| o.id != info.id));
            }
            let elapsed = start.elapsed();
            if elapsed < timeout {
                tokio::time::sleep(LOCK_STEP.min(timeout - elapsed).max(Duration::from_millis(10))).await;
                continue;
            }
            match self.lock_record().await? {
                Some((raw, _)) => {
                    return Err(BackendError::Locked {
                        info: Box::new(self.parse_info(&raw)),
                    });
                }
                None => {
                    // Its holder is between taking the advisory lock and writing the record, or releasing.
                    let since = *no_record_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= NO_RECORD_GRACE {
                        let who = match self.holder_pid().await? {
                            Some(pid) => format!("database session {pid}"),
                            None => "a database session".into(),
                        };
                        return Err(sh.io(
                            "lock the state",
                            format!(
                                "environment {} is locked by {who}, which left no lock record (a holder whose \
                                 record was removed while it ran, or a client other than infra); it is free once \
                                 that session ends",
                                self.env
                            ),
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), BackendError> {
        // This instance's own session, if it holds `id`: released whatever the record says, after the
        // record is gone (so that a waiter never finds the lock free with the old record still there).
        let mine = {
            let mut held = self.held();
            if held.as_ref().is_some_and(|h| h.id == id) {
                held.take()
            } else {
                None
            }
        };
        let result = self.remove_record(id, mine.is_some()).await;
        if let Some(held) = mine {
            self.release(held).await;
        }
        result
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, BackendError> {
        Ok(self.lock_record().await?.map(|(raw, _)| self.parse_info(&raw)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> Arc<dyn BackendType> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        backend_with_env(move |k| map.get(k).cloned())
    }

    async fn config_error(t: &Arc<dyn BackendType>, settings: Settings) -> String {
        match t.configure(&settings, &BackendContext::default()).await {
            Err(BackendError::Config(m)) => m,
            Err(e) => panic!("expected a configuration error, got {e:?}"),
            Ok(_) => panic!("expected a configuration error, got a backend"),
        }
    }

    #[test]
    fn keys_are_stable_and_distinct() {
        // The key is part of the protocol between processes (and versions): it must never change.
        assert_eq!(
            advisory_key("terraform_remote_state", "default"),
            advisory_key("terraform_remote_state", "default")
        );
        assert_ne!(advisory_key("a", "bc"), advisory_key("ab", "c"));
        assert_ne!(advisory_key("s", "default"), advisory_key("s", "stage"));
        assert_ne!(advisory_key("s", "default"), ddl_key("s"));
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c_u64 as i64, "FNV-1a of \"a\"");
    }

    #[test]
    fn go_booleans() {
        for t in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(parse_go_bool(t), Some(true), "{t}");
        }
        for f in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(parse_go_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_go_bool("yes"), None);
    }

    #[test]
    fn arguments_are_terraforms() {
        let t = backend();
        assert_eq!(t.name(), "pg");
        let args = t.arguments();
        let names: Vec<&str> = args.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "conn_str",
                "schema_name",
                "skip_schema_creation",
                "skip_table_creation",
                "skip_index_creation"
            ]
        );
        assert!(args[0].sensitive, "the connection string may hold a password");
    }

    #[tokio::test]
    async fn configuration_errors_name_what_to_set() {
        let t = env_of(&[]);
        let m = config_error(&t, Settings::new()).await;
        assert!(m.contains("conn_str") && m.contains("PG_CONN_STR"), "{m}");

        let t = env_of(&[
            ("PG_CONN_STR", "host=x sslmode=disable"),
            ("PG_SKIP_TABLE_CREATION", "yes"),
        ]);
        let m = config_error(&t, Settings::new()).await;
        assert!(m.contains("PG_SKIP_TABLE_CREATION"), "{m}");

        let t = env_of(&[]);
        let mut s = Settings::new();
        s.insert("conn_str".into(), "postgres://u:topsecret@h/db?sslmode=maybe".into());
        let m = config_error(&t, s.clone()).await;
        assert!(m.contains("sslmode") && !m.contains("topsecret"), "{m}");

        s.insert("conn_str".into(), "postgres://h/db".into());
        s.insert("schema_name".into(), "x".repeat(64).into());
        let m = config_error(&t, s).await;
        assert!(m.contains("schema_name"), "{m}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("terraform_remote_state"), "\"terraform_remote_state\"");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
