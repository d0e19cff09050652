//! The history of every Pomerium Core config key: the first and last release that read it.
//!
//! The table is `keys/pomerium-core-keys.tsv`, embedded at compile time, so the binary never reads
//! anything beside itself. Its `@releases` line says which releases it was read from
//! ([`table_releases`]); a `first_seen` of the oldest means "in that release or earlier", and a
//! `last_seen` of `-` means "still read by the newest release the table covers" (open-ended, so
//! adding a release does not touch every row). Global, route and nested keys share one
//! namespace, as in the table.
//!
//! Besides the table, [`ENVOY_CLUSTER_KEYS`] lists route keys that Pomerium read without naming
//! them in its config structs (see there).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use thiserror::Error;

use crate::version::Version;

pub(crate) mod cache;
mod console;

pub use console::{console_keys, is_console_key, parse_console_table};

/// The embedded table (tab-separated `key first_seen last_seen`, `#` comments).
const CORE_KEYS_TSV: &str = include_str!("keys/pomerium-core-keys.tsv");

/// The supported range, declared once in [`crate::migrations`].
pub use crate::migrations::{NEWEST, OLDEST};

/// When Pomerium read a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyHistory {
    pub key: &'static str,
    /// The first release that read the key ([`OLDEST`] means that release or earlier).
    pub first_seen: Version,
    /// The last release that read the key; `None` while it is still read.
    pub last_seen: Option<Version>,
}

impl KeyHistory {
    /// Whether release `version` reads this key.
    pub fn known_in(&self, version: Version) -> bool {
        self.first_seen <= version && self.last_seen.is_none_or(|last| version <= last)
    }

    /// Whether some release dropped the key.
    pub fn removed(&self) -> bool {
        self.last_seen.is_some()
    }
}

/// Route keys that Pomerium read as fields of an Envoy `Cluster` rather than as its own options.
///
/// From 0.13 to 0.31 Pomerium parsed every route a second time as an Envoy cluster definition and
/// kept the result under the internal key `_envoy_opts` (a value written under that name was
/// overwritten, so it never had an effect). Users therefore wrote Envoy cluster fields straight
/// into a route; the table, built from Pomerium's own struct tags, only shows the internal name.
/// 0.32 dropped this: `lb_policy` became `load_balancing_policy`, `health_checks` and
/// `outlier_detection` became Pomerium options, and the per-policy tuning objects are no longer
/// read. These entries complete the table for the keys Pomerium's route reference documented.
pub const ENVOY_CLUSTER_KEYS: &[(&str, Version, Option<Version>)] = &[
    ("lb_policy", Version::new(0, 13), Some(Version::new(0, 31))),
    (
        "least_request_lb_config",
        Version::new(0, 13),
        Some(Version::new(0, 31)),
    ),
    (
        "ring_hash_lb_config",
        Version::new(0, 13),
        Some(Version::new(0, 31)),
    ),
    (
        "maglev_lb_config",
        Version::new(0, 13),
        Some(Version::new(0, 31)),
    ),
    // Read through `_envoy_opts` before they became Pomerium options in 0.32.
    ("health_checks", Version::new(0, 13), None),
    ("outlier_detection", Version::new(0, 13), None),
];

/// A line of the embedded table that does not parse (a bug in the table, caught by a test).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("keys table line {line}: {reason}")]
pub struct TableError {
    pub line: usize,
    pub reason: String,
}

/// The lines of an embedded table that hold data, as `(line number, text)`: a trailing `\r`
/// removed, blank lines and `#` comments skipped. Every table of the tool is read through this.
pub(crate) fn data_lines(text: &'static str) -> impl Iterator<Item = (usize, &'static str)> {
    text.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
}

/// Parses the table format: `key<TAB>first<TAB>last` (`-` for a key still read), blank lines,
/// `#` comments and the `@releases` line ignored.
pub fn parse_table(text: &'static str) -> Result<Vec<KeyHistory>, TableError> {
    let mut out = Vec::new();
    for (line_no, line) in data_lines(text).filter(|(_, line)| !line.starts_with('@')) {
        let err = |reason: String| TableError {
            line: line_no,
            reason,
        };
        let fields: Vec<&'static str> = line.split('\t').collect();
        let [key, first, last] = fields[..] else {
            return Err(err(format!("expected 3 fields, found {}", fields.len())));
        };
        let first: Version = first.parse().map_err(|e| err(format!("{e}")))?;
        let last: Option<Version> = match last {
            "-" => None,
            last => Some(last.parse().map_err(|e| err(format!("{e}")))?),
        };
        if key.is_empty() || last.is_some_and(|last| first > last) {
            return Err(err(format!("bad entry for `{key}`")));
        }
        out.push(KeyHistory {
            key,
            first_seen: first,
            last_seen: last,
        });
    }
    Ok(out)
}

/// The releases a table was read from, from its line `@releases<TAB>OLDEST<TAB>NEWEST`.
pub fn parse_releases(text: &str) -> Result<(Version, Version), TableError> {
    for (n, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_end_matches('\r').strip_prefix("@releases\t") else {
            continue;
        };
        let err = |reason: String| TableError {
            line: n + 1,
            reason,
        };
        let Some((oldest, newest)) = rest.split_once('\t') else {
            return Err(err("expected `@releases<TAB>OLDEST<TAB>NEWEST`".to_owned()));
        };
        let oldest: Version = oldest.parse().map_err(|e| err(format!("{e}")))?;
        let newest: Version = newest.parse().map_err(|e| err(format!("{e}")))?;
        return Ok((oldest, newest));
    }
    Err(TableError {
        line: 0,
        reason: "no `@releases` line".to_owned(),
    })
}

/// The releases the embedded Core key table was read from (its `@releases` line). Every release
/// the tool supports must be among them: a test fails otherwise.
pub fn table_releases() -> Result<(Version, Version), TableError> {
    parse_releases(CORE_KEYS_TSV)
}

struct Table {
    keys: BTreeMap<&'static str, KeyHistory>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    // The text is part of the binary; a malformed line is a build defect that the unit test
    // `embedded_table_parses` reports, never something a user's input can cause.
    let rows = parse_table(CORE_KEYS_TSV).unwrap_or_else(|e| panic!("{e}"));
    let mut keys: BTreeMap<&'static str, KeyHistory> =
        rows.into_iter().map(|k| (k.key, k)).collect();
    for &(key, first_seen, last_seen) in ENVOY_CLUSTER_KEYS {
        keys.insert(
            key,
            KeyHistory {
                key,
                first_seen,
                last_seen,
            },
        );
    }
    Table { keys }
});

/// The history of a Core key, `None` for a key no release read.
pub fn lookup(key: &str) -> Option<&'static KeyHistory> {
    TABLE.keys.get(key)
}

/// Every known Core key, sorted by name.
pub fn all() -> impl Iterator<Item = &'static KeyHistory> {
    TABLE.keys.values()
}

/// The keys release `version` reads.
pub fn known_in(version: Version) -> impl Iterator<Item = &'static KeyHistory> {
    all().filter(move |k| k.known_in(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses() {
        let rows = parse_table(CORE_KEYS_TSV);
        assert!(rows.is_ok(), "{rows:?}");
        let rows = rows.unwrap_or_default();
        assert!(rows.len() > 250, "only {} rows", rows.len());
        let releases = table_releases();
        assert!(releases.is_ok(), "{releases:?}");
        let (oldest, newest) = releases.unwrap_or((NEWEST, OLDEST));
        for k in &rows {
            assert!(k.first_seen >= oldest, "{k:?}");
            assert!(
                k.last_seen.is_none_or(|last| last < newest),
                "{k:?}: write `-` for still read"
            );
        }
        assert_eq!(rows.iter().map(|k| k.first_seen).min(), Some(oldest));
        assert!(rows.iter().any(|k| k.last_seen.is_none()));
    }

    /// Adding a release to the chain means reading the new release's config keys into the table:
    /// until then every key of a migrated config would be "unknown" for the new release.
    #[test]
    fn the_table_covers_every_supported_release() {
        let releases = table_releases();
        assert!(releases.is_ok(), "{releases:?}");
        let (oldest, newest) = releases.unwrap_or((NEWEST, OLDEST));
        assert!(
            oldest <= OLDEST && NEWEST <= newest,
            "the key table covers {oldest} to {newest}, but the tool supports {OLDEST} to \
             {NEWEST} (migrations::NEWEST): read the config keys of the new release into \
             keys/pomerium-core-keys.tsv and raise its `@releases` line"
        );
        let newest_step = crate::migrations::STEPS.iter().map(|s| s.version).max();
        assert!(newest_step.is_some_and(|v| v <= newest), "{newest_step:?}");
    }

    #[test]
    fn lookup_gives_first_and_last_release() {
        let k = lookup("cache_service_url");
        assert_eq!(
            k.map(|k| (k.first_seen, k.last_seen)),
            Some((OLDEST, Some(OLDEST)))
        );
        let k = lookup("routes");
        assert_eq!(k.map(|k| k.first_seen), Some(Version::new(0, 15)));
        assert!(k.is_some_and(|k| !k.removed() && k.known_in(NEWEST)));
        assert!(lookup("idp_servce_account").is_none());
    }

    #[test]
    fn envoy_cluster_keys_override_the_struct_tags() {
        let hc = lookup("health_checks");
        assert_eq!(hc.map(|k| k.first_seen), Some(Version::new(0, 13)));
        assert!(lookup("lb_policy").is_some_and(|k| k.removed()));
    }

    #[test]
    fn parse_rejects_malformed_lines() {
        assert!(parse_table("# c\n@releases\t0.10\t0.33\n\na\t0.10\t0.12\nb\t0.11\t-\n").is_ok());
        assert_eq!(
            parse_releases("# c\n@releases\t0.10\t0.33\n"),
            Ok((Version::new(0, 10), Version::new(0, 33)))
        );
        assert!(parse_releases("a\t0.10\t0.12\n").is_err());
        for bad in [
            "a\t0.10",
            "a\t0.x\t0.12",
            "a\t0.13\t0.12",
            "\t0.10\t0.12",
            "a\t0.10\t+",
        ] {
            let e = parse_table(bad);
            assert!(matches!(e, Err(TableError { line: 1, .. })), "{bad}: {e:?}");
        }
    }
}
