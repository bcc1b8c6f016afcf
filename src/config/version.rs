//! Version constraints (`required_version = ">= 1.5, < 2.0"`, provider `version = "~> 5.0"`), with
//! Terraform's operators: `=`, `!=`, `>`, `>=`, `<`, `<=` and `~>` (the rightmost given part may grow).

/// A version as three numbers; missing parts are zero (`1.5` is `1.5.0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    /// Parses `1`, `1.5`, `1.5.2` (a `v` prefix and a pre-release or build suffix are accepted and
    /// ignored); returns the version and how many parts were written.
    pub fn parse(s: &str) -> Option<(Version, usize)> {
        let s = s.trim().trim_start_matches('v');
        let core = s.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut n = [0u64; 3];
        for (i, p) in parts.iter().enumerate() {
            n[i] = p.parse().ok()?;
        }
        Some((Version(n[0], n[1], n[2]), parts.len()))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Whether `v` meets every constraint of `spec`. `Err` says what in `spec` cannot be read.
pub fn satisfies(spec: &str, v: Version) -> Result<bool, String> {
    let mut ok = true;
    for c in spec.split(',') {
        let c = c.trim();
        if c.is_empty() {
            return Err(format!("{spec:?} has an empty constraint"));
        }
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("=", c));
        let (want, parts) = Version::parse(rest)
            .ok_or_else(|| format!("{c:?} is not a version constraint (like \">= 1.5\" or \"~> 5.0\")"))?;
        ok &= match op {
            "=" => v == want,
            "!=" => v != want,
            ">" => v > want,
            ">=" => v >= want,
            "<" => v < want,
            "<=" => v <= want,
            _ => {
                // ~> 1.2 means >= 1.2, < 2.0; ~> 1.2.3 means >= 1.2.3, < 1.3.0.
                let upper = match parts {
                    1 | 2 => Version(want.0 + 1, 0, 0),
                    _ => Version(want.0, want.1 + 1, 0),
                };
                v >= want && v < upper
            }
        };
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints() {
        let v = Version(1, 11, 0);
        assert!(satisfies(">= 1.5", v).unwrap());
        assert!(!satisfies(">= 99.0", v).unwrap());
        assert!(satisfies(">= 1.0, < 2.0", v).unwrap());
        assert!(satisfies("~> 1.5", v).unwrap());
        assert!(!satisfies("~> 1.5.0", v).unwrap());
        assert!(satisfies("1.11.0", v).unwrap());
        assert!(!satisfies("!= 1.11.0", v).unwrap());
        assert!(satisfies("~> 5.0", Version(5, 100, 0)).unwrap());
        assert!(!satisfies("~> 4.0", Version(5, 100, 0)).unwrap());
        assert!(satisfies("banana", v).is_err());
        assert!(satisfies(">= 1.x", v).is_err());
    }
}
