//! A local fake of RDS `DescribeDBEngineVersions`, answering in its real wire format.
//!
//! moto does not implement `DescribeDBEngineVersions`, so `data "aws_rds_engine_version"` is tested
//! against this: a loopback server holding a fixed catalog of engine versions ([`catalog`]: PostgreSQL
//! 15/16, MySQL 5.7/8.0/8.4, one Oracle and one SQL Server Express version). The wire format is botocore's
//! service model of RDS (`botocore/data/rds/2014-10-31/service-2.json`): the AWS query protocol, a
//! form-encoded `POST /` with `Action=DescribeDBEngineVersions`, `Version=2014-10-31`, `Engine`,
//! `EngineVersion`, `DBParameterGroupFamily`, `DefaultOnly`, `IncludeAll`, `ListSupportedCharacterSets`,
//! `ListSupportedTimezones`, `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M`, `MaxRecords`
//! (20 to 100, 100 by default) and `Marker`; the answer is
//! `DescribeDBEngineVersionsResponse/DescribeDBEngineVersionsResult` holding `DBEngineVersions` (one
//! `DBEngineVersion` element each; string lists as `member` elements, `ValidUpgradeTarget/UpgradeTarget`,
//! `SupportedCharacterSets/CharacterSet`, `SupportedTimezones/Timezone`) and a `Marker` while more pages
//! follow. A page holds at most `page_size` versions (fewer than AWS's 100, to exercise pagination).
//!
//! The service's documented semantics, as this fake reads them:
//! - `EngineVersion` matches a version or a version prefix ending at a dot (`16` matches `16.3` and `16.4`,
//!   as the service's partial versions do);
//! - without `IncludeAll` only `available` versions are listed;
//! - `DefaultOnly` keeps the engine's default version, or with `EngineVersion` (or
//!   `DBParameterGroupFamily`) the default of each major version that matches (the "engine and major
//!   version combination");
//! - character sets and time zones are listed only when `ListSupportedCharacterSets` /
//!   `ListSupportedTimezones` are `true`;
//! - filters `db-parameter-group-family`, `engine`, `engine-mode`, `engine-version` and `status` (any value
//!   of a filter matches, every filter must match); another filter name is an `InvalidParameterValue`.
//!
//! Every request is recorded ([`RdsEngineVersionsFake::requests`]) so tests can check what was sent and
//! that every page was asked for.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// One upgrade target of an engine version (`UpgradeTarget`).
#[derive(Clone, Debug)]
pub struct UpgradeTarget {
    pub version: &'static str,
    pub is_major: bool,
    pub auto_upgrade: bool,
}

/// One engine version of the catalog (the `DBEngineVersion` fields the fake writes, plus whether it is a
/// default, which the API does not return but `DefaultOnly` selects on).
#[derive(Clone, Debug)]
pub struct EngineVersion {
    pub engine: &'static str,
    pub version: &'static str,
    pub major: &'static str,
    pub family: &'static str,
    pub engine_description: &'static str,
    pub version_description: &'static str,
    pub status: &'static str,
    pub create_time: &'static str,
    /// The engine's default version (`DefaultOnly` without `EngineVersion`).
    pub engine_default: bool,
    /// The default version of its major version (`DefaultOnly` with `EngineVersion` or a family).
    pub major_default: bool,
    pub upgrade_targets: Vec<UpgradeTarget>,
    pub log_types: Vec<&'static str>,
    pub modes: Vec<&'static str>,
    pub features: Vec<&'static str>,
    pub default_character_set: Option<&'static str>,
    pub character_sets: Vec<&'static str>,
    pub timezones: Vec<&'static str>,
    pub read_replica: bool,
    pub global_databases: bool,
    pub parallel_query: bool,
    pub limitless: bool,
    pub integrations: bool,
    pub local_write_forwarding: Option<bool>,
    pub certificate_rotation: Option<bool>,
}

fn up(version: &'static str, is_major: bool) -> UpgradeTarget {
    UpgradeTarget {
        version,
        is_major,
        auto_upgrade: false,
    }
}

fn postgres(
    version: &'static str,
    status: &'static str,
    create_time: &'static str,
    upgrade_targets: Vec<UpgradeTarget>,
) -> EngineVersion {
    let major = version.split('.').next().unwrap_or(version);
    EngineVersion {
        engine: "postgres",
        version,
        major,
        family: if major == "15" { "postgres15" } else { "postgres16" },
        engine_description: "PostgreSQL",
        version_description: match version {
            "15.4" => "PostgreSQL 15.4-R3",
            "15.7" => "PostgreSQL 15.7-R1",
            "15.8" => "PostgreSQL 15.8-R1",
            "16.3" => "PostgreSQL 16.3-R1",
            _ => "PostgreSQL 16.4-R1",
        },
        status,
        create_time,
        engine_default: false,
        major_default: false,
        upgrade_targets,
        log_types: vec!["postgresql", "upgrade"],
        modes: vec!["provisioned"],
        features: vec!["Lambda", "s3Export", "s3Import"],
        default_character_set: None,
        character_sets: vec![],
        timezones: vec![],
        read_replica: true,
        global_databases: false,
        parallel_query: false,
        limitless: false,
        integrations: false,
        local_write_forwarding: Some(false),
        certificate_rotation: Some(true),
    }
}

fn mysql(version: &'static str, create_time: &'static str, upgrade_targets: Vec<UpgradeTarget>) -> EngineVersion {
    let major = if version.starts_with("5.7") {
        "5.7"
    } else if version.starts_with("8.0") {
        "8.0"
    } else {
        "8.4"
    };
    EngineVersion {
        engine: "mysql",
        version,
        major,
        family: match major {
            "5.7" => "mysql5.7",
            "8.0" => "mysql8.0",
            _ => "mysql8.4",
        },
        engine_description: "MySQL Community Edition",
        version_description: match version {
            "5.7.44" => "MySQL 5.7.44",
            "8.0.36" => "MySQL 8.0.36",
            "8.0.39" => "MySQL 8.0.39",
            _ => "MySQL 8.4.2",
        },
        status: "available",
        create_time,
        engine_default: false,
        major_default: false,
        upgrade_targets,
        log_types: vec!["audit", "error", "general", "slowquery"],
        modes: vec!["provisioned"],
        features: vec![],
        default_character_set: None,
        character_sets: vec![],
        timezones: vec![],
        read_replica: true,
        global_databases: false,
        parallel_query: false,
        limitless: false,
        integrations: major != "5.7",
        local_write_forwarding: None,
        certificate_rotation: Some(true),
    }
}

/// The versions the fake serves, in the order the API lists them (by engine, then version).
///
/// PostgreSQL: 15.4 (deprecated), 15.7, 15.8 (default of 15), 16.3, 16.4 (the engine default); 15.8 and
/// 16.4 were created at the same instant. MySQL: 5.7.44 (default of 5.7), 8.0.36, 8.0.39 (the engine
/// default, created after 8.4.2), 8.4.2 (default of 8.4). Oracle EE and SQL Server Express: one version
/// each, the ones with character sets and time zones.
pub fn catalog() -> Vec<EngineVersion> {
    let mut pg154 = postgres(
        "15.4",
        "deprecated",
        "2023-09-07T18:22:41.283Z",
        vec![up("15.7", false), up("15.8", false), up("16.3", true), up("16.4", true)],
    );
    pg154.upgrade_targets[1].auto_upgrade = true;
    let pg157 = postgres(
        "15.7",
        "available",
        "2024-05-09T18:41:05.421Z",
        vec![up("15.8", false), up("16.3", true), up("16.4", true)],
    );
    let mut pg158 = postgres("15.8", "available", "2024-08-08T21:19:33.107Z", vec![up("16.4", true)]);
    pg158.major_default = true;
    let pg163 = postgres("16.3", "available", "2024-05-09T18:47:12.655Z", vec![up("16.4", false)]);
    let mut pg164 = postgres("16.4", "available", "2024-08-08T21:19:33.107Z", vec![]);
    pg164.engine_default = true;
    pg164.major_default = true;

    let mut my57 = mysql(
        "5.7.44",
        "2023-10-24T22:31:08.516Z",
        vec![up("8.0.36", true), up("8.0.39", true)],
    );
    my57.major_default = true;
    let my8036 = mysql(
        "8.0.36",
        "2024-01-30T02:14:55.032Z",
        vec![up("8.0.39", false), up("8.4.2", true)],
    );
    let mut my8039 = mysql("8.0.39", "2024-08-01T19:02:47.338Z", vec![up("8.4.2", true)]);
    my8039.engine_default = true;
    my8039.major_default = true;
    let mut my842 = mysql("8.4.2", "2024-07-30T23:45:10.874Z", vec![]);
    my842.major_default = true;

    let oracle = EngineVersion {
        engine: "oracle-ee",
        version: "19.0.0.0.ru-2024-07.rur-2024-07.r1",
        major: "19",
        family: "oracle-ee-19",
        engine_description: "Oracle Database Enterprise Edition",
        version_description: "Oracle 19.0.0.0.ru-2024-07.rur-2024-07.r1",
        status: "available",
        create_time: "2024-07-22T20:31:44.902Z",
        engine_default: true,
        major_default: true,
        upgrade_targets: vec![],
        log_types: vec!["alert", "audit", "listener", "trace", "oemagent"],
        modes: vec!["provisioned"],
        features: vec!["Lambda", "S3_INTEGRATION", "SSL"],
        default_character_set: Some("AL32UTF8"),
        character_sets: vec!["AL32UTF8", "WE8ISO8859P1", "WE8MSWIN1252"],
        timezones: vec![],
        read_replica: true,
        global_databases: false,
        parallel_query: false,
        limitless: false,
        integrations: false,
        local_write_forwarding: None,
        certificate_rotation: Some(false),
    };
    let sqlserver = EngineVersion {
        engine: "sqlserver-ex",
        version: "16.00.4135.4.v1",
        major: "16.00",
        family: "sqlserver-ex-16.0",
        engine_description: "Microsoft SQL Server Express Edition",
        version_description: "SQL Server 2022 16.00.4135.4.v1",
        status: "available",
        create_time: "2024-07-11T17:58:20.118Z",
        engine_default: true,
        major_default: true,
        upgrade_targets: vec![],
        log_types: vec!["error"],
        modes: vec!["provisioned"],
        features: vec![],
        default_character_set: None,
        character_sets: vec![],
        timezones: vec!["Central European Standard Time", "Pacific Standard Time", "UTC"],
        read_replica: false,
        global_databases: false,
        parallel_query: false,
        limitless: false,
        integrations: false,
        local_write_forwarding: None,
        certificate_rotation: Some(false),
    };
    vec![
        pg154, pg157, pg158, pg163, pg164, my57, my8036, my8039, my842, oracle, sqlserver,
    ]
}

struct Shared {
    versions: Vec<EngineVersion>,
    page_size: usize,
    requests: Mutex<Vec<BTreeMap<String, String>>>,
}

/// The fake, serving on a loopback port for the life of the process.
pub struct RdsEngineVersionsFake {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl RdsEngineVersionsFake {
    /// Serves [`catalog`], at most `page_size` versions per page.
    pub fn start(page_size: usize) -> RdsEngineVersionsFake {
        RdsEngineVersionsFake::start_with(catalog(), page_size)
    }

    /// Serves `versions`, at most `page_size` per page.
    pub fn start_with(versions: Vec<EngineVersion>, page_size: usize) -> RdsEngineVersionsFake {
        let shared = Arc::new(Shared {
            versions,
            page_size: page_size.max(1),
            requests: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the RDS engine versions fake");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = shared.clone();
        std::thread::Builder::new()
            .name("rds-engine-versions-fake".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime for the RDS engine versions fake");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let app = axum::Router::new().fallback(serve).with_state(state);
                    let _ = axum::serve(listener, app).await;
                });
            })
            .expect("spawn the RDS engine versions fake");
        RdsEngineVersionsFake { addr, shared }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The parameters of every request received so far (`Action`, `Engine`, `Filters.Filter.1.Name`, …).
    pub fn requests(&self) -> Vec<BTreeMap<String, String>> {
        self.shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn form(body: &str) -> BTreeMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("00000000-0000-4000-8000-{:012x}", N.fetch_add(1, Ordering::Relaxed))
}

fn xml(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .body(Body::from(body))
        .expect("response")
}

/// The query protocol's error document.
fn error(code: &str, message: &str) -> Response<Body> {
    xml(
        StatusCode::BAD_REQUEST,
        format!(
            "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(message),
            request_id()
        ),
    )
}

/// `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M`, in order.
fn filters(params: &BTreeMap<String, String>) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for n in 1.. {
        let Some(name) = params.get(&format!("Filters.Filter.{n}.Name")) else {
            break;
        };
        let values = (1..)
            .map_while(|m| params.get(&format!("Filters.Filter.{n}.Values.Value.{m}")).cloned())
            .collect();
        out.push((name.clone(), values));
    }
    out
}

fn yes(params: &BTreeMap<String, String>, key: &str) -> bool {
    params.get(key).is_some_and(|v| v == "true")
}

/// `16` matches `16.4`; `16.4` matches `16.4` only.
fn version_matches(want: &str, have: &str) -> bool {
    have == want || have.strip_prefix(want).is_some_and(|rest| rest.starts_with('.'))
}

fn write_list(out: &mut String, wrapper: &str, member: &str, items: &[&str]) {
    let _ = write!(out, "<{wrapper}>");
    for i in items {
        let _ = write!(out, "<{member}>{}</{member}>", escape(i));
    }
    let _ = write!(out, "</{wrapper}>");
}

fn write_version(out: &mut String, v: &EngineVersion, charsets: bool, timezones: bool) {
    let field = |out: &mut String, name: &str, value: &str| {
        let _ = write!(out, "<{name}>{}</{name}>", escape(value));
    };
    out.push_str("<DBEngineVersion>");
    field(out, "Engine", v.engine);
    field(out, "MajorEngineVersion", v.major);
    field(out, "EngineVersion", v.version);
    field(out, "DBParameterGroupFamily", v.family);
    field(out, "DBEngineDescription", v.engine_description);
    field(out, "DBEngineVersionDescription", v.version_description);
    if let Some(cs) = v.default_character_set {
        let _ = write!(
            out,
            "<DefaultCharacterSet><CharacterSetName>{cs}</CharacterSetName>\
             <CharacterSetDescription>{cs}</CharacterSetDescription></DefaultCharacterSet>"
        );
    }
    field(out, "CreateTime", v.create_time);
    if charsets && !v.character_sets.is_empty() {
        out.push_str("<SupportedCharacterSets>");
        for cs in &v.character_sets {
            let _ = write!(
                out,
                "<CharacterSet><CharacterSetName>{cs}</CharacterSetName>\
                 <CharacterSetDescription>{cs}</CharacterSetDescription></CharacterSet>"
            );
        }
        out.push_str("</SupportedCharacterSets>");
    }
    out.push_str("<ValidUpgradeTarget>");
    for t in &v.upgrade_targets {
        let _ = write!(
            out,
            "<UpgradeTarget><Engine>{}</Engine><EngineVersion>{}</EngineVersion>\
             <Description>{} {}</Description><AutoUpgrade>{}</AutoUpgrade>\
             <IsMajorVersionUpgrade>{}</IsMajorVersionUpgrade>",
            v.engine, t.version, v.engine_description, t.version, t.auto_upgrade, t.is_major
        );
        write_list(out, "SupportedEngineModes", "member", &v.modes);
        let _ = write!(
            out,
            "<SupportsParallelQuery>false</SupportsParallelQuery>\
             <SupportsGlobalDatabases>false</SupportsGlobalDatabases>\
             <SupportsBabelfish>false</SupportsBabelfish>\
             <SupportsLimitlessDatabase>false</SupportsLimitlessDatabase>\
             <SupportsLocalWriteForwarding>false</SupportsLocalWriteForwarding>\
             <SupportsIntegrations>{}</SupportsIntegrations></UpgradeTarget>",
            v.integrations
        );
    }
    out.push_str("</ValidUpgradeTarget>");
    if timezones && !v.timezones.is_empty() {
        out.push_str("<SupportedTimezones>");
        for tz in &v.timezones {
            let _ = write!(out, "<Timezone><TimezoneName>{}</TimezoneName></Timezone>", escape(tz));
        }
        out.push_str("</SupportedTimezones>");
    }
    write_list(out, "ExportableLogTypes", "member", &v.log_types);
    let _ = write!(
        out,
        "<SupportsLogExportsToCloudwatchLogs>{}</SupportsLogExportsToCloudwatchLogs>\
         <SupportsReadReplica>{}</SupportsReadReplica>",
        !v.log_types.is_empty(),
        v.read_replica
    );
    write_list(out, "SupportedEngineModes", "member", &v.modes);
    write_list(out, "SupportedFeatureNames", "member", &v.features);
    field(out, "Status", v.status);
    let _ = write!(
        out,
        "<SupportsParallelQuery>{}</SupportsParallelQuery>\
         <SupportsGlobalDatabases>{}</SupportsGlobalDatabases><TagList/>\
         <SupportsBabelfish>false</SupportsBabelfish>\
         <SupportsLimitlessDatabase>{}</SupportsLimitlessDatabase>",
        v.parallel_query, v.global_databases, v.limitless
    );
    if let Some(b) = v.certificate_rotation {
        let _ = write!(
            out,
            "<SupportsCertificateRotationWithoutRestart>{b}</SupportsCertificateRotationWithoutRestart>"
        );
    }
    write_list(
        out,
        "SupportedCACertificateIdentifiers",
        "member",
        &[
            "rds-ca-2019",
            "rds-ca-ecc384-g1",
            "rds-ca-rsa2048-g1",
            "rds-ca-rsa4096-g1",
        ],
    );
    if let Some(b) = v.local_write_forwarding {
        let _ = write!(out, "<SupportsLocalWriteForwarding>{b}</SupportsLocalWriteForwarding>");
    }
    let _ = write!(out, "<SupportsIntegrations>{}</SupportsIntegrations>", v.integrations);
    out.push_str("</DBEngineVersion>");
}

async fn serve(State(shared): State<Arc<Shared>>, body: String) -> Response<Body> {
    let params = form(&body);
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(params.clone());
    let action = params.get("Action").map(String::as_str).unwrap_or("");
    if action != "DescribeDBEngineVersions" {
        return error(
            "InvalidAction",
            &format!("The action {action} is not valid for this web service."),
        );
    }
    if params.get("Version").map(String::as_str) != Some("2014-10-31") {
        return error("InvalidParameterValue", "Version must be 2014-10-31");
    }
    let max = match params.get("MaxRecords") {
        None => 100,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (20..=100).contains(&n) => n,
            _ => {
                return error(
                    "InvalidParameterValue",
                    &format!("Invalid value {m} for MaxRecords. Must be between 20 and 100"),
                );
            }
        },
    }
    .min(shared.page_size);
    let start = match params.get("Marker") {
        None => 0,
        Some(m) => match m.strip_prefix("marker-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return error("InvalidParameterValue", "The marker is not valid"),
        },
    };
    let filters = filters(&params);
    for (name, _) in &filters {
        if ![
            "db-parameter-group-family",
            "engine",
            "engine-mode",
            "engine-version",
            "status",
        ]
        .contains(&name.as_str())
        {
            return error("InvalidParameterValue", &format!("Unrecognized filter name: {name}"));
        }
    }
    let engine = params.get("Engine").filter(|s| !s.is_empty());
    let version = params.get("EngineVersion").filter(|s| !s.is_empty());
    let family = params.get("DBParameterGroupFamily").filter(|s| !s.is_empty());
    let default_only = yes(&params, "DefaultOnly");
    let include_all = yes(&params, "IncludeAll");
    let matching: Vec<&EngineVersion> = shared
        .versions
        .iter()
        .filter(|v| engine.is_none_or(|e| e == v.engine))
        .filter(|v| version.is_none_or(|w| version_matches(w, v.version)))
        .filter(|v| family.is_none_or(|f| f == v.family))
        .filter(|v| include_all || v.status == "available")
        .filter(|v| {
            !default_only
                || if version.is_some() || family.is_some() {
                    v.major_default
                } else {
                    v.engine_default
                }
        })
        .filter(|v| {
            filters.iter().all(|(name, values)| {
                let has = |x: &str| values.iter().any(|w| w == x);
                match name.as_str() {
                    "db-parameter-group-family" => has(v.family),
                    "engine" => has(v.engine),
                    "engine-mode" => v.modes.iter().any(|m| has(m)),
                    "engine-version" => has(v.version),
                    _ => has(v.status),
                }
            })
        })
        .collect();
    let charsets = yes(&params, "ListSupportedCharacterSets");
    let timezones = yes(&params, "ListSupportedTimezones");
    let mut out = String::from(
        "<DescribeDBEngineVersionsResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
         <DescribeDBEngineVersionsResult><DBEngineVersions>",
    );
    for v in matching.iter().skip(start).take(max) {
        write_version(&mut out, v, charsets, timezones);
    }
    out.push_str("</DBEngineVersions>");
    if start + max < matching.len() {
        let _ = write!(out, "<Marker>marker-{}</Marker>", start + max);
    }
    let _ = write!(
        out,
        "</DescribeDBEngineVersionsResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\
         </DescribeDBEngineVersionsResponse>",
        request_id()
    );
    xml(StatusCode::OK, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_and_versions_match_at_dots() {
        let f = form("Action=DescribeDBEngineVersions&Filters.Filter.1.Values.Value.1=a%2Fb+c&Empty=");
        assert_eq!(f["Action"], "DescribeDBEngineVersions");
        assert_eq!(f["Filters.Filter.1.Values.Value.1"], "a/b c");
        assert_eq!(f["Empty"], "");
        assert!(version_matches("16", "16.4"));
        assert!(version_matches("16.4", "16.4"));
        assert!(!version_matches("1", "16.4"));
        assert!(!version_matches("16.4", "16.40"));
    }
}
