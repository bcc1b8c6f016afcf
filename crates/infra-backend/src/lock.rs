//! [`LockInfo`]: who holds a state lock. The same JSON on every backend (Terraform's field names), plus a
//! lease on backends where the lock cannot be tied to the holder's life (S3).

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// Who holds a lock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: String,
    #[serde(rename = "Who")]
    pub who: String,
    #[serde(rename = "Host", default)]
    pub host: String,
    #[serde(rename = "Pid", default)]
    pub pid: u32,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Path", default)]
    pub path: String,
    /// When the holder last renewed its lease (RFC 3339), on backends with leases.
    #[serde(rename = "Renewed", default, skip_serializing_if = "Option::is_none")]
    pub renewed: Option<String>,
    /// How long the lease lasts after each renewal, in seconds.
    #[serde(rename = "LeaseSeconds", default, skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<u64>,
}

impl LockInfo {
    /// Lock info for an operation of this process.
    pub fn new(operation: &str) -> LockInfo {
        let host = hostname();
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{user}@{host}"),
            host,
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: now_rfc3339(),
            path: String::new(),
            renewed: None,
            lease_seconds: None,
        }
    }

    /// How long ago the lock was taken.
    pub fn age(&self) -> Option<Duration> {
        since(&self.created)
    }

    /// For a lock with a lease: how long ago the lease ran out (`None` while it runs, or without a lease).
    pub fn expired_for(&self) -> Option<Duration> {
        let lease = Duration::from_secs(self.lease_seconds?);
        let last = self.renewed.as_deref().unwrap_or(&self.created);
        let elapsed = since(last)?;
        elapsed.checked_sub(lease).filter(|d| !d.is_zero())
    }
}

/// The current time in RFC 3339, to the second.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn since(t: &str) -> Option<Duration> {
    let at = humantime::parse_rfc3339_weak(t).ok()?;
    Some(SystemTime::now().duration_since(at).unwrap_or(Duration::ZERO))
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Pid:       {}\n  Version:   {}\n  Created:   {}",
            self.id, self.path, self.operation, self.who, self.pid, self.version, self.created
        )?;
        if let Some(age) = self.age() {
            write!(
                f,
                " ({} ago)",
                humantime::format_duration(Duration::from_secs(age.as_secs()))
            )?;
        }
        if let Some(r) = &self.renewed {
            write!(f, "\n  Renewed:   {r}")?;
        }
        Ok(())
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length and gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_expires_after_its_length_since_the_last_renewal() {
        let mut l = LockInfo::new("apply");
        assert_eq!(l.expired_for(), None, "no lease, never expired");
        l.lease_seconds = Some(60);
        assert_eq!(l.expired_for(), None, "just taken");
        l.renewed = Some(humantime::format_rfc3339_seconds(SystemTime::now() - Duration::from_secs(90)).to_string());
        let e = l.expired_for().unwrap();
        assert!((29..=31).contains(&e.as_secs()), "{e:?}");
        // Lock files of older versions (no lease fields) still read.
        let old: LockInfo = serde_json::from_str(
            r#"{"ID":"x","Operation":"apply","Who":"a@b","Version":"0.1.0","Created":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(old.lease_seconds, None);
    }
}
