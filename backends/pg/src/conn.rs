//! Connection strings, TLS and connecting.
//!
//! A connection string is a URL (`postgres://user:pass@host:port/db?sslmode=require`, also `postgresql://`)
//! or libpq's `key=value` form (`host=db.internal dbname=infra sslmode=verify-full`). The TLS keys libpq
//! knows and tokio-postgres does not (`sslmode` beyond `disable`/`prefer`/`require`, `sslrootcert`,
//! `sslcert`, `sslkey`) are taken out here; everything else is parsed by tokio-postgres. What the string
//! leaves out comes from libpq's environment variables (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`,
//! `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`),
//! then from defaults: host `localhost`, port 5432, the operating system's user name, a 30 s connect
//! timeout.
//!
//! `sslmode` as libpq has it, with the default of Terraform's driver (lib/pq), `require`:
//!
//! | sslmode | TLS | certificate check |
//! | --- | --- | --- |
//! | `disable` | never | — |
//! | `allow`, `prefer` | when the server offers it | none (the chain, when `sslrootcert` names a file) |
//! | `require` | always | none (the chain, when `sslrootcert` names a file, as libpq does with a root file) |
//! | `verify-ca` | always | the chain, against `sslrootcert` (else the Mozilla roots of webpki-roots) |
//! | `verify-full` | always | the chain and the host name, as for `verify-ca` |
//!
//! Unix-domain sockets (`host=/var/run/postgresql`) never use TLS, whatever `sslmode` says, as with libpq.
//! `sslrootcert=system` means the bundled Mozilla roots. `allow` is treated as `prefer` (TLS when the
//! server offers it), which is never weaker. `sslcert` + `sslkey` (PEM files) authenticate the client.
//!
//! The password never appears in a message: locations name host, port and database only, and every message
//! that leaves this crate passes through [`ConnSpec::redact`].

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::{Config, Host};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Looks up an environment variable (injectable, so that tests do not depend on the process environment).
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The connect timeout when neither the connection string nor `PGCONNECT_TIMEOUT` sets one.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Secrets shorter than this are not searched for in messages (they would garble them, and are no secret).
const MIN_REDACTED_LEN: usize = 4;

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode \"{other}\" is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }
}

/// How the server's certificate is checked, once TLS is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Not at all (libpq's `prefer`/`require` without a root certificate): encryption without
    /// authentication of the server. The handshake signatures are still checked.
    None,
    /// The chain up to a trusted root, whatever name the certificate is for (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// A parsed connection string: what to connect to, how, and what to keep out of messages.
pub struct ConnSpec {
    config: Config,
    sslmode: SslMode,
    verification: Verification,
    tls: MakeRustlsConnect,
    host: String,
    port: u16,
    db: String,
    secrets: Vec<String>,
}

/// The keys taken out of the connection string before tokio-postgres parses it.
const TLS_KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

#[derive(Default)]
struct TlsKeys {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    sslcert: Option<String>,
    sslkey: Option<String>,
    /// The password of a `key=value` string (passed on, and kept out of messages).
    password: Option<String>,
}

impl TlsKeys {
    fn set(&mut self, key: &str, value: String) {
        match key {
            "sslmode" => self.sslmode = Some(value),
            "sslrootcert" => self.sslrootcert = Some(value),
            "sslcert" => self.sslcert = Some(value),
            _ => self.sslkey = Some(value),
        }
    }
}

impl ConnSpec {
    /// Parses a connection string. The error never contains the string itself (it may hold a password).
    pub fn parse(conn_str: &str, env: &Env) -> Result<ConnSpec, String> {
        let conn_str = conn_str.trim();
        let mut secrets = Vec::new();
        let (rest, keys) = if let Some(after) = ["postgres://", "postgresql://"]
            .iter()
            .find_map(|p| conn_str.strip_prefix(p))
        {
            // The raw (percent-encoded) password of a URL, to keep it out of messages too.
            let authority = after.split(['/', '?']).next().unwrap_or_default();
            if let Some((creds, _)) = authority.rsplit_once('@')
                && let Some((_, pass)) = creds.split_once(':')
            {
                secrets.push(pass.to_string());
            }
            if let Some(raw) = secrets.last() {
                let decoded = percent_encoding::percent_decode_str(raw)
                    .decode_utf8_lossy()
                    .into_owned();
                secrets.push(decoded);
            }
            split_url(conn_str)
        } else {
            split_key_values(conn_str)?
        };
        if let Some(p) = &keys.password {
            secrets.push(p.clone());
        }
        let mut config = Config::from_str(&rest).map_err(|e| {
            redact(
                &secrets,
                format!("the connection string is not valid: {}", error_chain(&e)),
            )
        })?;
        if let Some(p) = config.get_password() {
            secrets.push(String::from_utf8_lossy(p).into_owned());
        }

        // What the string leaves out: libpq's environment variables, then defaults.
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            match env("PGHOST").filter(|h| !h.is_empty()) {
                Some(hosts) => {
                    for h in hosts.split(',') {
                        if h.starts_with('/') {
                            config.host_path(h);
                        } else {
                            config.host(h);
                        }
                    }
                }
                None => {
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(ports) = env("PGPORT").filter(|p| !p.is_empty())
        {
            for p in ports.split(',') {
                let port = p
                    .trim()
                    .parse::<u16>()
                    .map_err(|_| format!("PGPORT \"{p}\" is not a port number"))?;
                config.port(port);
            }
        }
        if config.get_user().is_none()
            && let Some(u) = env("PGUSER").filter(|u| !u.is_empty())
        {
            config.user(u);
        }
        if config.get_dbname().is_none()
            && let Some(d) = env("PGDATABASE").filter(|d| !d.is_empty())
        {
            config.dbname(d);
        }
        if config.get_password().is_none()
            && let Some(p) = env("PGPASSWORD").filter(|p| !p.is_empty())
        {
            secrets.push(p.clone());
            config.password(p);
        }
        if config.get_connect_timeout().is_none() {
            let timeout = match env("PGCONNECT_TIMEOUT").filter(|t| !t.is_empty()) {
                Some(t) => t
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&s| s > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| format!("PGCONNECT_TIMEOUT \"{t}\" is not a number of seconds"))?,
                None => DEFAULT_CONNECT_TIMEOUT,
            };
            config.connect_timeout(timeout);
        }
        if config.get_application_name().is_none()
            && let Some(a) = env("PGAPPNAME").filter(|a| !a.is_empty())
        {
            config.application_name(a);
        }

        let sslmode = match keys.sslmode.or_else(|| env("PGSSLMODE").filter(|m| !m.is_empty())) {
            Some(m) => SslMode::parse(&m)?,
            None => SslMode::Require,
        };
        let rootcert = keys
            .sslrootcert
            .or_else(|| env("PGSSLROOTCERT"))
            .filter(|r| !r.is_empty());
        let root_file = rootcert.as_deref().filter(|r| *r != "system").map(PathBuf::from);
        let verification = match sslmode {
            SslMode::Disable => Verification::None,
            SslMode::Allow | SslMode::Prefer | SslMode::Require if root_file.is_some() => Verification::Chain,
            SslMode::Allow | SslMode::Prefer | SslMode::Require => Verification::None,
            SslMode::VerifyCa => Verification::Chain,
            SslMode::VerifyFull => Verification::Full,
        };
        // PostgreSQL has no TLS on Unix-domain sockets, and libpq does not ask for it there.
        let only_sockets =
            config.get_hostaddrs().is_empty() && config.get_hosts().iter().all(|h| !matches!(h, Host::Tcp(_)));
        config.ssl_mode(match sslmode {
            _ if only_sockets => tokio_postgres::config::SslMode::Disable,
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
        });
        let client_cert = match (
            keys.sslcert.or_else(|| env("PGSSLCERT")).filter(|c| !c.is_empty()),
            keys.sslkey.or_else(|| env("PGSSLKEY")).filter(|k| !k.is_empty()),
        ) {
            (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
            (None, None) => None,
            _ => return Err("sslcert and sslkey go together: set both (PEM files) or neither".into()),
        };
        let tls = if sslmode == SslMode::Disable {
            // Never used: tokio-postgres does not start TLS with sslmode=disable.
            tls_config(Verification::None, None, None)?
        } else {
            tls_config(verification, root_file.as_deref(), client_cert.as_ref())?
        };

        let (host, port) = shown_host_port(&config);
        let db = config
            .get_dbname()
            .or(config.get_user())
            .map(str::to_string)
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
            .unwrap_or_default();
        secrets.retain(|s| s.len() >= MIN_REDACTED_LEN);
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Ok(ConnSpec {
            config,
            sslmode,
            verification,
            tls: MakeRustlsConnect::new(tls),
            host,
            port,
            db,
            secrets,
        })
    }

    /// The `sslmode` in force.
    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    /// Whether connections attempt TLS (everything but `disable`, and never over Unix-domain sockets).
    pub fn uses_tls(&self) -> bool {
        self.config.get_ssl_mode() != tokio_postgres::config::SslMode::Disable
    }

    /// How the server's certificate is checked when TLS is on.
    pub fn verification(&self) -> Verification {
        self.verification
    }

    /// `host:port/db` of the first host, for locations (IPv6 addresses in brackets, socket directories
    /// percent-encoded).
    pub fn shown(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.db)
    }

    /// The message with every secret of the connection string replaced by `***`.
    pub fn redact(&self, message: String) -> String {
        redact(&self.secrets, message)
    }

    /// Opens a connection; its driver runs on the current tokio runtime until the client is dropped.
    pub async fn connect(&self, application_name: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let mut config = self.config.clone();
        if config.get_application_name().is_none() {
            config.application_name(application_name);
        }
        let (client, connection) = config.connect(self.tls.clone()).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(target: crate::API_TARGET, service = "postgresql", error = %e, "connection ended");
            }
        });
        Ok(client)
    }
}

fn redact(secrets: &[String], message: String) -> String {
    let mut m = message;
    for s in secrets.iter().filter(|s| s.len() >= MIN_REDACTED_LEN) {
        if m.contains(s.as_str()) {
            m = m.replace(s.as_str(), "***");
        }
    }
    m
}

/// An error and its causes, `: `-separated (tokio-postgres's errors show their cause only as a source).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut m = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !m.contains(&text) {
            m.push_str(": ");
            m.push_str(&text);
        }
        cause = c.source();
    }
    m
}

/// Splits the TLS keys off a URL's query string; the rest stays as written.
fn split_url(url: &str) -> (String, TlsKeys) {
    let mut keys = TlsKeys::default();
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), keys);
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
        if TLS_KEYS.contains(&key.as_ref()) {
            keys.set(
                &key,
                percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned(),
            );
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (rest, keys)
}

/// Splits the TLS keys off a `key=value` string (libpq's quoting: `'...'` with `\` escapes) and writes the
/// others back quoted.
fn split_key_values(s: &str) -> Result<(String, TlsKeys), String> {
    let mut keys = TlsKeys::default();
    let mut kept = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.next() != Some('=') {
            return Err(format!(
                "the connection string is not valid: expected \"=\" after \"{key}\" (key=value pairs or a postgres:// URL)"
            ));
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if_eq(&'\'').is_some() {
            loop {
                match it.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(it.next()),
                    Some(c) => value.push(c),
                    None => {
                        return Err(format!(
                            "the connection string is not valid: the quoted value of \"{key}\" is not closed"
                        ));
                    }
                }
            }
        } else {
            while let Some(c) = it.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(it.next());
                } else {
                    value.push(c);
                }
            }
        }
        if TLS_KEYS.contains(&key.as_str()) {
            keys.set(&key, value);
        } else {
            if key == "password" {
                keys.password = Some(value.clone());
            }
            kept.push(format!("{key}='{}'", value.replace('\\', "\\\\").replace('\'', "\\'")));
        }
    }
    Ok((kept.join(" "), keys))
}

fn shown_host_port(config: &Config) -> (String, u16) {
    let host = match (config.get_hosts().first(), config.get_hostaddrs().first()) {
        (Some(Host::Tcp(h)), _) if h.contains(':') => format!("[{h}]"),
        (Some(Host::Tcp(h)), _) => h.clone(),
        (Some(Host::Unix(p)), _) => {
            percent_encoding::utf8_percent_encode(&p.to_string_lossy(), percent_encoding::NON_ALPHANUMERIC).to_string()
        }
        (None, Some(std::net::IpAddr::V6(a))) => format!("[{a}]"),
        (None, Some(a)) => a.to_string(),
        (None, None) => "localhost".into(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

/// The rustls configuration for a verification mode: ring as the only crypto provider (whatever else the
/// binary links), the root store from `root_file` or webpki-roots, and an optional client certificate.
fn tls_config(
    verification: Verification,
    root_file: Option<&Path>,
    client_cert: Option<&(PathBuf, PathBuf)>,
) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let roots = || -> Result<Arc<RootCertStore>, String> {
        let mut store = RootCertStore::empty();
        match root_file {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("cannot read the root certificates sslrootcert={}: {e}", path.display()))?;
                if certs.is_empty() {
                    return Err(format!("sslrootcert={} holds no PEM certificate", path.display()));
                }
                for c in certs {
                    store
                        .add(c)
                        .map_err(|e| format!("sslrootcert={}: not a usable root certificate: {e}", path.display()))?;
                }
            }
            None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        Ok(Arc::new(store))
    };
    let builder = match verification {
        Verification::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider))),
        Verification::Chain => {
            let webpki = WebPkiServerVerifier::builder_with_provider(roots()?, provider)
                .build()
                .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
        }
        Verification::Full => builder.with_root_certificates(roots()?),
    };
    match client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read the client certificate sslcert={}: {e}", cert.display()))?;
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("cannot read the client key sslkey={}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| format!("the client certificate sslcert={} is not usable: {e}", cert.display()))
        }
    }
}

/// `prefer`/`require` without a root certificate: any certificate is accepted (as libpq does), but the
/// handshake signatures are verified, so the session is encrypted with the key the server holds.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: webpki's verification, except that a certificate for another name is accepted (webpki
/// checks the name only after the chain, so the chain was valid).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Env {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Arc::new(move |k| map.get(k).cloned())
    }

    fn parse(s: &str) -> ConnSpec {
        match ConnSpec::parse(s, &env(&[])) {
            Ok(c) => c,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn sslmode_selects_tls_and_verification() {
        let c = parse("postgres://u@db.example.com/infra?sslmode=disable");
        assert!(!c.uses_tls());
        assert_eq!(c.config.get_ssl_mode(), tokio_postgres::config::SslMode::Disable);

        let c = parse("postgres://u@db.example.com/infra?sslmode=require");
        assert!(c.uses_tls());
        assert_eq!(c.config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        assert_eq!(c.verification(), Verification::None);

        let c = parse("host=db.example.com sslmode=prefer");
        assert_eq!(c.config.get_ssl_mode(), tokio_postgres::config::SslMode::Prefer);
        assert_eq!(c.verification(), Verification::None);

        let c = parse("postgresql://db.example.com/infra?sslmode=verify-ca");
        assert_eq!(c.config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        assert_eq!(c.verification(), Verification::Chain);

        let c = parse("host=db.example.com sslmode='verify-full'");
        assert_eq!(c.config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        assert_eq!(c.verification(), Verification::Full);

        // Terraform's driver (lib/pq) requires TLS unless told otherwise.
        let c = parse("postgres://db.example.com/infra");
        assert_eq!(c.sslmode(), SslMode::Require);
        assert!(c.uses_tls());

        // No TLS on Unix-domain sockets (the server has none there).
        let c = parse("host=/var/run/postgresql dbname=infra");
        assert!(!c.uses_tls());
        assert_eq!(c.shown(), "%2Fvar%2Frun%2Fpostgresql:5432/infra");

        let e = ConnSpec::parse("host=x sslmode=sometimes", &env(&[]))
            .err()
            .unwrap_or_default();
        assert!(e.contains("sslmode \"sometimes\""), "{e}");
    }

    #[test]
    fn a_root_certificate_turns_require_into_a_chain_check() {
        let dir = std::env::temp_dir().join(format!("infra-pg-conn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let missing = dir.join("nope.crt");
        let e = ConnSpec::parse(
            &format!("host=x sslmode=require sslrootcert={}", missing.display()),
            &env(&[]),
        )
        .err()
        .unwrap_or_default();
        assert!(e.contains("cannot read the root certificates sslrootcert="), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn urls_and_key_values_name_host_port_and_database() {
        let c = parse("postgres://alice:s3cr3t-pass@db.example.com:6543/states?sslmode=disable&connect_timeout=5");
        assert_eq!(c.shown(), "db.example.com:6543/states");
        assert_eq!(c.config.get_user(), Some("alice"));
        assert_eq!(c.config.get_password(), Some(&b"s3cr3t-pass"[..]));
        assert_eq!(c.config.get_connect_timeout(), Some(&Duration::from_secs(5)));
        assert_eq!(
            c.redact("FATAL: password s3cr3t-pass rejected".into()),
            "FATAL: password *** rejected"
        );

        let c = parse(r"host=10.0.0.5 port=5433 dbname=infra user=bob password='it\'s secret' sslmode=disable");
        assert_eq!(c.shown(), "10.0.0.5:5433/infra");
        assert_eq!(c.config.get_password(), Some(&b"it's secret"[..]));
        assert_eq!(c.redact("x it's secret y".into()), "x *** y");

        let c = parse("postgres://[::1]:5432/db?sslmode=disable");
        assert_eq!(c.shown(), "[::1]:5432/db");

        // A percent-encoded password is kept out of messages in both spellings.
        let c = parse("postgres://u:p%40ss%3Aword@h/db?sslmode=disable");
        assert_eq!(c.config.get_password(), Some(&b"p@ss:word"[..]));
        assert_eq!(c.redact("a p@ss:word b p%40ss%3Aword".into()), "a *** b ***");
    }

    #[test]
    fn the_environment_fills_what_the_string_leaves_out() {
        let e = env(&[
            ("PGHOST", "pg.internal"),
            ("PGPORT", "5999"),
            ("PGDATABASE", "infra"),
            ("PGUSER", "carol"),
            ("PGPASSWORD", "from-the-env"),
            ("PGSSLMODE", "disable"),
        ]);
        let c = ConnSpec::parse("", &e).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.shown(), "pg.internal:5999/infra");
        assert_eq!(c.config.get_user(), Some("carol"));
        assert!(!c.uses_tls());
        assert_eq!(c.redact("from-the-env".into()), "***");
        // The string wins over the environment.
        let c = ConnSpec::parse("postgres://h2:1234/db2?sslmode=require", &e).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.shown(), "h2:1234/db2");
        assert!(c.uses_tls());
    }

    #[test]
    fn bad_strings_are_refused_without_echoing_them() {
        for s in [
            "host=x port=notaport password=hunter2-secret",
            "host=x password='hunter2-secret",
            "host=x password hunter2-secret",
            "postgres://u:hunter2-secret@h:99999/db",
        ] {
            let e = match ConnSpec::parse(s, &env(&[])) {
                Err(e) => e,
                Ok(_) => panic!("{s} parsed"),
            };
            assert!(!e.contains("hunter2"), "{e}");
            assert!(e.contains("not valid"), "{e}");
        }
        let e = ConnSpec::parse("host=x sslcert=/a.crt", &env(&[]))
            .err()
            .unwrap_or_default();
        assert!(e.contains("sslcert and sslkey"), "{e}");
    }
}
