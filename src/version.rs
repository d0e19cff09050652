//! Pomerium minor versions (`0.25`, `v0.25`, `v0.25.1` all mean 0.25).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A Pomerium minor release. Patch numbers are ignored: steps are per minor release.
///
/// ```
/// use pomerium_migrate::version::Version;
///
/// let v: Version = "v0.25.1".parse()?;
/// assert_eq!(v, Version::new(0, 25));
/// assert_eq!(v.to_string(), "0.25");
/// assert!("0.9".parse::<Version>()? < "0.10".parse::<Version>()?);
/// # Ok::<(), pomerium_migrate::version::VersionError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("`{0}` is not a version; write it like 0.25, v0.25 or v0.25.1")]
pub struct VersionError(pub String);

impl Version {
    pub const fn new(major: u32, minor: u32) -> Version {
        Version { major, minor }
    }

    /// The release before this one (`0.24` for `0.25`); `None` for `x.0`.
    pub fn previous(self) -> Option<Version> {
        self.minor
            .checked_sub(1)
            .map(|m| Version::new(self.major, m))
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Version, VersionError> {
        let err = || VersionError(s.to_owned());
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let mut parts = t.split('.');
        let major = parts.next().ok_or_else(err)?;
        let minor = parts.next().ok_or_else(err)?;
        let patch = parts.next();
        if parts.next().is_some() {
            return Err(err());
        }
        let num = |p: &str| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                Err(err())
            } else {
                p.parse::<u32>().map_err(|_| err())
            }
        };
        if let Some(p) = patch {
            num(p)?;
        }
        Ok(Version::new(num(major)?, num(minor)?))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_spellings() {
        for s in ["0.25", "v0.25", "v0.25.1", "V0.25.0", " 0.25 "] {
            assert_eq!(s.parse(), Ok(Version::new(0, 25)), "{s}");
        }
        for s in ["", "0", "v", "0.x", "0.25.1.2", "1..2", "-1.2", "0.25-rc1"] {
            assert!(s.parse::<Version>().is_err(), "{s}");
        }
    }

    #[test]
    fn orders_numerically() {
        let a: Version = "0.9".parse().unwrap_or(Version::new(9, 9));
        let b: Version = "0.10".parse().unwrap_or(Version::new(0, 0));
        assert!(a < b);
        assert_eq!(b.to_string(), "0.10");
        assert_eq!(b.previous(), Some(a));
    }
}
