//! Which environment variable sets which config key, per release: Pomerium's env binding.
//!
//! **Core** binds names explicitly, never by a prefix or `AutomaticEnv`
//! (`pomerium-core-env.tsv` says, row by row, which release binds which name, read from each
//! tag's `config/*.go`; its header names the functions and lines). Up to 0.22 the name is the
//! top-level key upper-cased; from 0.23 the fields of nested structs are bound as
//! `PARENT_CHILD` (`DOWNSTREAM_MTLS_CA` → `downstream_mtls.ca`). `POLICY` and `HEADERS` are
//! bound by name in every release; `HEADERS` fills `headers` up to 0.15 and
//! `set_response_headers` from 0.16, and `SET_RESPONSE_HEADERS` is never read. A key's name at
//! the target therefore comes from the target's binding ([`core_env`]), never from upper-casing
//! the new key.
//!
//! The **Enterprise Console** reads every key of its reference from the environment, upper-cased
//! with `-` → `_` (pomerium/documentation `content/docs/deploy/enterprise/configure.mdx:46`, and
//! `docs/enterprise/reference/config.md:11` at 480d4238); the keys are those of
//! `src/keys/pomerium-console-keys.tsv`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::step::FileKind;
use crate::version::Version;

const CORE_ENV_TSV: &str = include_str!("pomerium-core-env.tsv");

/// One name a range of Core releases binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub env: &'static str,
    /// The config key, dotted for nested keys (`downstream_mtls.ca`).
    pub key: &'static str,
    pub first: Version,
    /// `None`: still bound by the newest release the table covers.
    pub last: Option<Version>,
}

impl Binding {
    pub fn bound_in(&self, version: Version) -> bool {
        self.first <= version && self.last.is_none_or(|last| version <= last)
    }
}

/// A malformed line of the embedded table (a build defect the unit tests report).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("pomerium-core-env.tsv:{line}: {reason}")]
pub struct TableError {
    pub line: usize,
    pub reason: String,
}

/// Parses the table's data lines (`env key first last`).
pub fn parse_table(text: &'static str) -> Result<Vec<Binding>, TableError> {
    let version = |s: &str, line: usize| {
        s.parse::<Version>().map_err(|e| TableError {
            line,
            reason: e.to_string(),
        })
    };
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [env, key, first, last] = fields[..] else {
            return Err(TableError {
                line: line_no,
                reason: format!("expected 4 tab-separated fields, found {}", fields.len()),
            });
        };
        rows.push(Binding {
            env,
            key,
            first: version(first, line_no)?,
            last: if last == "-" {
                None
            } else {
                Some(version(last, line_no)?)
            },
        });
    }
    Ok(rows)
}

static CORE: LazyLock<Vec<Binding>> = LazyLock::new(|| {
    // Part of the binary; `the_embedded_table_parses` reports a malformed line.
    parse_table(CORE_ENV_TSV).unwrap_or_default()
});

static CONSOLE: LazyLock<BTreeMap<String, &'static str>> = LazyLock::new(|| {
    crate::keys::console_keys()
        .map(|key| (key.replace('-', "_").to_ascii_uppercase(), key))
        .collect()
});

/// Every Core binding of the table.
pub fn core_bindings() -> &'static [Binding] {
    &CORE
}

/// The key Core `version` reads from the variable `env`, `None` when that release does not
/// read it.
pub fn core_key(env: &str, version: Version) -> Option<&'static str> {
    CORE.iter()
        .find(|b| b.env == env && b.bound_in(version))
        .map(|b| b.key)
}

/// Whether any release the table covers reads `env`.
pub fn core_env_ever(env: &str) -> bool {
    CORE.iter().any(|b| b.env == env)
}

/// The variable Core `version` reads `key` from (dotted for nested keys), `None` when no
/// variable sets it in that release.
pub fn core_env(key: &str, version: Version) -> Option<&'static str> {
    CORE.iter()
        .find(|b| b.key == key && b.bound_in(version))
        .map(|b| b.env)
}

/// The Console key the variable `env` sets (every release of the Console reads the same way).
pub fn console_key(env: &str) -> Option<&'static str> {
    CONSOLE.get(env).copied()
}

/// The variable that sets Console key `key` (`license-key` and `license_key` → `LICENSE_KEY`),
/// `None` for a key the Console does not read.
pub fn console_env(key: &str) -> Option<String> {
    let env = key.replace('-', "_").to_ascii_uppercase();
    CONSOLE.contains_key(&env).then_some(env)
}

/// The key `env` sets for a component at `version`.
pub fn key_for(kind: FileKind, env: &str, version: Version) -> Option<&'static str> {
    match kind {
        FileKind::Core => core_key(env, version),
        FileKind::Console => console_key(env),
    }
}

/// The variable that sets `key` for a component at `version`.
pub fn env_for(kind: FileKind, key: &str, version: Version) -> Option<String> {
    match kind {
        FileKind::Core => core_env(key, version).map(str::to_owned),
        FileKind::Console => console_env(key),
    }
}

/// Whether `env` holds a base64 route list (`POLICY`, `ROUTES`): not one option but many,
/// migrated as routes (see [`super::route_env`]).
pub fn is_route_list(kind: FileKind, key: &str) -> bool {
    kind == FileKind::Core && matches!(key, "policy" | "routes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u32) -> Version {
        Version::new(0, minor)
    }

    #[test]
    fn the_embedded_table_parses() {
        let rows = parse_table(CORE_ENV_TSV);
        assert!(rows.as_ref().is_ok_and(|r| r.len() > 150), "{rows:?}");
        assert_eq!(CORE.len(), rows.map(|r| r.len()).unwrap_or_default());
    }

    #[test]
    fn top_level_keys_are_upper_cased() {
        assert_eq!(core_key("POMERIUM_DEBUG", v(19)), Some("pomerium_debug"));
        assert_eq!(core_key("POMERIUM_DEBUG", v(32)), None);
        assert_eq!(
            core_key("IDP_SERVICE_ACCOUNT", v(19)),
            Some("idp_service_account")
        );
        assert_eq!(core_key("IDP_SERVICE_ACCOUNT", v(20)), None);
        assert_eq!(
            core_key("CACHE_SERVICE_URL", v(10)),
            Some("cache_service_url")
        );
        assert_eq!(core_key("CACHE_SERVICE_URL", v(11)), None);
        // Not Pomerium's at all.
        assert_eq!(core_key("DATABASE_URL", v(20)), None);
        assert!(!core_env_ever("PATH"));
    }

    #[test]
    fn nested_keys_are_bound_from_0_23() {
        assert_eq!(
            core_key("DOWNSTREAM_MTLS_CA", v(23)),
            Some("downstream_mtls.ca")
        );
        assert_eq!(core_key("DOWNSTREAM_MTLS_CA", v(22)), None);
        assert_eq!(
            core_env("downstream_mtls.enforcement", v(33)),
            Some("DOWNSTREAM_MTLS_ENFORCEMENT")
        );
    }

    #[test]
    fn headers_and_policy_are_bound_by_name() {
        assert_eq!(core_key("HEADERS", v(15)), Some("headers"));
        assert_eq!(core_key("HEADERS", v(16)), Some("set_response_headers"));
        // The target's name for the renamed key is still HEADERS, never its upper-case.
        assert_eq!(core_env("set_response_headers", v(33)), Some("HEADERS"));
        assert_eq!(core_key("SET_RESPONSE_HEADERS", v(33)), None);
        for minor in 10..=33 {
            assert_eq!(core_key("POLICY", v(minor)), Some("policy"), "0.{minor}");
        }
        assert_eq!(core_key("ROUTES", v(14)), None);
        assert_eq!(core_key("ROUTES", v(15)), Some("routes"));
        // A list of cert/key pairs cannot be set from the environment.
        assert_eq!(core_key("CERTIFICATES", v(20)), None);
    }

    #[test]
    fn squashed_options_of_sub_packages_are_top_level() {
        assert_eq!(
            core_key("OTEL_TRACES_SAMPLER_ARG", v(29)),
            Some("otel_traces_sampler_arg")
        );
        assert_eq!(core_key("OTEL_TRACES_EXPORTER", v(28)), None);
    }

    #[test]
    fn console_names_are_upper_snake() {
        assert_eq!(console_key("LICENSE_KEY"), Some("license_key"));
        assert_eq!(console_key("DATABASE_URL"), Some("database_url"));
        assert_eq!(console_env("license-key").as_deref(), Some("LICENSE_KEY"));
        assert_eq!(console_env("no_such_key"), None);
        assert_eq!(console_key("IDP_PROVIDER"), None);
    }
}
