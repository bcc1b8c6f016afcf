//! [`CostError`]: everything that stops an estimate.
//!
//! A problem with one resource's price (an instance class the catalog does not list, an unknown attribute) is
//! not an error: the resource is reported as "not priced" or "unknown" with a reason. Errors are reserved for
//! input the user must fix: a malformed catalog or usage file (named with file and line), an AWS region
//! without a catalog (named with the resource and region), or a price refresh whose response does not fit.

use std::path::PathBuf;

/// Why an estimate, a catalog load or a usage file load failed. See the module documentation.
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A catalog or usage file that does not parse or does not fit its format.
    #[error("{}:{line}{}: {message}", file.display(), column.map(|c| format!(":{c}")).unwrap_or_default())]
    Invalid {
        file: PathBuf,
        line: usize,
        column: Option<usize>,
        message: String,
    },

    /// A usage file names a usage key that the resource type does not take.
    #[error("{}:{line}: unknown usage key `{key}` for {type_name} (it takes: {})", file.display(), known_list(known))]
    UnknownUsageKey {
        file: PathBuf,
        line: usize,
        type_name: String,
        key: String,
        known: Vec<String>,
    },

    /// An AWS resource in a region the catalog has no prices for.
    #[error("{address}: no price catalog for AWS region {region:?} (the catalog has: {})", available.join(", "))]
    UnknownRegion {
        address: String,
        region: String,
        available: Vec<String>,
    },

    /// An AWS resource passed without its provider's region.
    #[error("{address}: the AWS provider region is not known, so the resource cannot be priced")]
    MissingRegion { address: String },

    /// A price refresh could not turn a pricing API response into catalog entries.
    #[error("price refresh: {0}")]
    Refresh(String),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "no usage keys".to_string()
    } else {
        known.join(", ")
    }
}
