//! Validation at the target: what the target release would say about a migrated config.
//!
//! Every `plan`, `apply` and `check` ends with [`validate`] over the result, against the target
//! release (`--to`), whatever `--from` was and whichever steps ran. So an action the steps of an
//! earlier run reported stays visible to a later run that infers a newer starting release: the
//! rule fires again as long as the file holds what the target refuses. The rules:
//!
//! - **refused keys** (`action-required`): the options the target refuses to start with, the
//!   `removedConfigFields` map of Pomerium's `config/options_check.go` per release
//!   (`refused-keys.tsv`). Route options are refused in the legacy `policy` list too.
//! - **refused values** (`action-required`): values the target refuses at start-up
//!   (`refused-values.tsv`; each rule's test of the value is [`value_refused`]).
//! - **required keys** (`action-required`): options the Enterprise Console needs
//!   (`console-required.tsv`, from its published reference and the Enterprise upgrade guide).
//! - **ignored keys** (`note`): Core options the target does not read (Pomerium logs "unknown
//!   config option" and starts), and Console options the Enterprise guide says were removed. A
//!   key some release read is reported with its history; only a key no release ever read gets a
//!   "did you mean".
//!
//! The action markers that `apply` leaves in YAML and TOML files are the other half of what
//! keeps an action open ([`marker`]).

pub mod marker;
#[cfg(test)]
mod oracle;

use std::collections::HashSet;

use foldhash::HashMapExt as _;

use crate::keys::cache::KeyCache;
use std::sync::LazyLock;

use crate::detect::{self, SiteLevel};
use crate::document::{Document, Location};
use crate::step::{FileKind, Finding, Severity, Step};
use crate::version::Version;

const REFUSED_KEYS_TSV: &str = include_str!("refused-keys.tsv");
const REFUSED_VALUES_TSV: &str = include_str!("refused-values.tsv");
const CONSOLE_REQUIRED_TSV: &str = include_str!("console-required.tsv");
const COVERAGE_TSV: &str = include_str!("coverage.tsv");

/// The id refused-key findings are reported under.
pub const REFUSED_KEY: &str = "refused-key";
/// The id refused-value findings are reported under.
pub const REFUSED_VALUE: &str = "refused-value";
/// The id required-key findings are reported under.
pub const REQUIRED_KEY: &str = "required-key";
/// The id of notes about keys some release read but the target does not.
pub const IGNORED_KEY: &str = "ignored-key";
/// The id of notes about keys no release read.
pub const UNKNOWN_KEY: &str = detect::UNKNOWN_KEY_ID;
/// The id open markers are reported under when they name no known step.
pub const MARKER: &str = "action-marker";

const UPGRADING: &str = "https://www.pomerium.com/docs/deploy/upgrading";
const REFERENCE: &str = "https://www.pomerium.com/docs/reference";
const CONSOLE_REFERENCE: &str = "https://www.pomerium.com/docs/deploy/enterprise/configure";

/// One row of a rule table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The rule's name (value rules) or key.
    pub name: &'static str,
    /// Value rules: the key the value is read from.
    pub key: &'static str,
    pub from: Version,
    /// Until which release the rule holds (`None`: still).
    pub until: Option<Version>,
    /// The tag and file (or docs page) the rule was read from.
    pub source: &'static str,
}

/// A malformed line of an embedded rule table (a build defect, caught by a unit test).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{table} line {line}: {reason}")]
pub struct TableError {
    pub table: &'static str,
    pub line: usize,
    pub reason: String,
}

fn version(text: &str) -> Result<Version, String> {
    text.parse::<Version>().map_err(|e| e.to_string())
}

/// `key<TAB>from<TAB>source` (refused keys).
pub fn parse_refused_keys(text: &'static str) -> Result<Vec<Row>, TableError> {
    rows(text, "refused-keys.tsv", 3, |f| {
        Ok(Row {
            name: f[0],
            key: f[0],
            from: version(f[1])?,
            until: None,
            source: f[2],
        })
    })
}

/// `rule<TAB>key<TAB>from<TAB>source` (refused values).
pub fn parse_refused_values(text: &'static str) -> Result<Vec<Row>, TableError> {
    rows(text, "refused-values.tsv", 4, |f| {
        Ok(Row {
            name: f[0],
            key: f[1],
            from: version(f[2])?,
            until: None,
            source: f[3],
        })
    })
}

/// `key<TAB>from<TAB>until|-<TAB>source` (console required keys).
pub fn parse_console_required(text: &'static str) -> Result<Vec<Row>, TableError> {
    rows(text, "console-required.tsv", 4, |f| {
        let until = match f[2] {
            "-" => None,
            v => Some(version(v)?),
        };
        Ok(Row {
            name: f[0],
            key: f[0],
            from: version(f[1])?,
            until,
            source: f[3],
        })
    })
}

fn rows(
    text: &'static str,
    table: &'static str,
    fields: usize,
    row: impl Fn(&[&'static str]) -> Result<Row, String>,
) -> Result<Vec<Row>, TableError> {
    let mut out = Vec::new();
    for (line_no, line) in crate::keys::data_lines(text) {
        let err = |reason: String| TableError {
            table,
            line: line_no,
            reason,
        };
        let f: Vec<&'static str> = line.split('\t').collect();
        if f.len() != fields || f.iter().any(|s| s.trim().is_empty()) {
            return Err(err(format!("expected {fields} non-empty fields")));
        }
        let r = row(&f).map_err(err)?;
        if r.until.is_some_and(|u| u < r.from) {
            return Err(err(format!("`{}` ends before it starts", r.name)));
        }
        out.push(r);
    }
    Ok(out)
}

/// What keeps a step's actions open after `apply` (`coverage.tsv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// `v0.24/redis-storage-removed`.
    pub step: &'static str,
    /// Whether its actions are marked in the file (actions located at an entry).
    pub marker: bool,
    /// The rules that fire while the action is not done (`refused-value:redis-storage`).
    pub rules: Vec<&'static str>,
}

/// `step<TAB>covers`: `none` (the step raises no action), or a comma-separated list of
/// `marker` and rule ids.
pub fn parse_coverage(text: &'static str) -> Result<Vec<Coverage>, TableError> {
    let mut out = Vec::new();
    for (line_no, line) in crate::keys::data_lines(text) {
        let err = |reason: String| TableError {
            table: "coverage.tsv",
            line: line_no,
            reason,
        };
        let [step, covers] = line.split('\t').collect::<Vec<_>>()[..] else {
            return Err(err("expected 2 fields".into()));
        };
        let mut c = Coverage {
            step,
            marker: false,
            rules: Vec::new(),
        };
        for item in covers.split(',').map(str::trim) {
            match item {
                "none" => {}
                "marker" => c.marker = true,
                rule if [REFUSED_KEY, REFUSED_VALUE, REQUIRED_KEY]
                    .iter()
                    .any(|p| rule.starts_with(&format!("{p}:"))) =>
                {
                    c.rules.push(rule)
                }
                other => return Err(err(format!("unknown cover `{other}`"))),
            }
        }
        out.push(c);
    }
    Ok(out)
}

struct Tables {
    coverage: Vec<Coverage>,
    refused_keys: Vec<Row>,
    refused_values: Vec<Row>,
    console_required: Vec<Row>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    // The tables are part of the binary; a malformed line is a build defect that the unit test
    // `embedded_tables_parse` reports, never something a user's input can cause.
    let ok = |r: Result<Vec<Row>, TableError>| r.unwrap_or_else(|e| panic!("{e}"));
    Tables {
        coverage: parse_coverage(COVERAGE_TSV).unwrap_or_else(|e| panic!("{e}")),
        refused_keys: ok(parse_refused_keys(REFUSED_KEYS_TSV)),
        refused_values: ok(parse_refused_values(REFUSED_VALUES_TSV)),
        console_required: ok(parse_console_required(CONSOLE_REQUIRED_TSV)),
    }
});

/// Every step's row of `coverage.tsv`.
pub fn coverage_table() -> &'static [Coverage] {
    &TABLES.coverage
}

/// The rules that keep the actions of `step` open (empty when none does).
pub fn coverage(step: &Step) -> &'static [&'static str] {
    let id = step.qualified_id();
    coverage_table()
        .iter()
        .find(|c| c.step == id)
        .map_or(&[], |c| c.rules.as_slice())
}

/// The refused-key rows.
pub fn refused_keys() -> &'static [Row] {
    &TABLES.refused_keys
}

/// The refused-value rows.
pub fn refused_values() -> &'static [Row] {
    &TABLES.refused_values
}

/// The console required-key rows.
pub fn console_required() -> &'static [Row] {
    &TABLES.console_required
}

/// A validation finding with the rule that raised it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFinding {
    /// `refused-key:routes.allowed_groups`, `refused-value:redis-storage`,
    /// `required-key:license_key`, `ignored-key:cookie_secure`, `unknown-key:KEY`.
    pub rule: String,
    /// The key it is about (top-level or route option), for matching with step findings.
    pub key: String,
    /// Located in the document validated.
    pub finding: Finding,
}

/// What release `to` would say about `doc`, a config of `kind`. `steps` is the chain, to name
/// the step that handles a key.
pub fn validate(
    doc: &Document,
    kind: FileKind,
    to: Version,
    steps: &[&'static Step],
) -> Vec<RuleFinding> {
    match kind {
        FileKind::Core => core(doc, &detect::Sites::of(doc), to, steps),
        FileKind::Console => console(doc, to, steps),
    }
}

/// [`validate`] of a document whose keys ([`detect::Sites`]) are read already.
pub(crate) fn validate_sites(
    doc: &Document,
    sites: &detect::Sites<'_>,
    kind: FileKind,
    to: Version,
    steps: &[&'static Step],
) -> Vec<RuleFinding> {
    match kind {
        FileKind::Core => core(doc, sites, to, steps),
        FileKind::Console => console(doc, to, steps),
    }
}

fn handler(steps: &[&'static Step], key: &str, kind: FileKind) -> Option<&'static Step> {
    steps
        .iter()
        .copied()
        .rfind(|s| s.scope.applies_to(kind) && s.handles.contains(&key))
}

fn explain(step: Option<&Step>) -> String {
    step.map_or_else(String::new, |s| {
        format!(" (`pomerium-migrate explain {}`)", s.qualified_id())
    })
}

fn core(
    doc: &Document,
    sites: &detect::Sites<'_>,
    to: Version,
    steps: &[&'static Step],
) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let mut refused_sites: HashSet<Location> = HashSet::new();
    // The refused-key row of each key, looked up once per key and level.
    let mut rows: [KeyCache<'_, Option<&'static Row>>; 2] = [KeyCache::new(), KeyCache::new()];
    // Per key and level: indices into `refused_written`.
    let mut refused_texts: [KeyCache<'_, usize>; 2] = [KeyCache::new(), KeyCache::new()];
    let mut refused_written: Vec<(String, String, &'static str)> = Vec::new();
    // The step that handles each key reported, looked up once per key.
    let mut handlers: foldhash::HashMap<&str, Option<&'static Step>> = foldhash::HashMap::new();
    let mut handler_of = |key| {
        *handlers
            .entry(key)
            .or_insert_with(|| handler(steps, key, FileKind::Core))
    };
    for (i, site) in sites.iter().enumerate() {
        // A top-level option is refused by its name, a route option as `routes.NAME`.
        let route = match site.level {
            SiteLevel::Global => false,
            SiteLevel::Route => true,
            SiteLevel::Nested(_) => continue,
        };
        let row = rows[usize::from(route)].get(site.key, |key| {
            refused_keys().iter().find(|r| {
                let name = if route {
                    r.key.strip_prefix("routes.")
                } else {
                    Some(r.key)
                };
                name == Some(key) && r.from <= to
            })
        });
        let Some(row) = row else {
            continue;
        };
        refused_sites.insert(site.location);
        // The rule name, the end of the message and the link, written once per key and level.
        let at = refused_texts[usize::from(route)].get(site.key, |key| {
            let step = handler_of(key);
            let qualified = if route {
                format!("routes.{key}")
            } else {
                key.to_owned()
            };
            refused_written.push((
                format!("{REFUSED_KEY}:{qualified}"),
                format!(
                    "`: Pomerium {to} refuses to start with this option (removed in {}); \
                     remove it and set what replaces it{}",
                    row.from,
                    explain(step)
                ),
                step.map_or(UPGRADING, |s| s.link),
            ));
            refused_written.len() - 1
        });
        let (rule, tail, link) = &refused_written[at];
        let mut message = String::with_capacity(tail.len() + 48);
        message.push('`');
        sites.write_path(i, &mut message);
        message.push_str(tail);
        out.push(RuleFinding {
            rule: rule.clone(),
            key: site.key.to_owned(),
            finding: Finding {
                version: to,
                step: REFUSED_KEY,
                severity: Severity::ActionRequired,
                location: Some(site.location),
                message,
                link,
            },
        });
    }
    for row in refused_values().iter().filter(|r| r.from <= to) {
        for (location, message) in value_refused(doc, row.name, to) {
            let step = handler(steps, row.key, FileKind::Core);
            out.push(RuleFinding {
                rule: format!("{REFUSED_VALUE}:{}", row.name),
                key: row.key.to_owned(),
                finding: Finding {
                    version: to,
                    step: REFUSED_VALUE,
                    severity: Severity::ActionRequired,
                    location: Some(location),
                    message: format!("{message}{}", explain(step)),
                    link: step.map_or(UPGRADING, |s| s.link),
                },
            });
        }
    }
    // The rule name and the end of the message of each key, written once per key (a file
    // repeats the same few unknown keys in thousands of routes): indices into `written`.
    let mut texts: KeyCache<'_, usize> = KeyCache::new();
    let mut written: Vec<(&'static str, String, String)> = Vec::new();
    for found in detect::unknown_sites(sites, to) {
        let site = sites.get(found.site);
        if refused_sites.contains(&site.location) {
            continue;
        }
        let at = texts.get(site.key, |key| {
            let (id, tail) = match found.history {
                Some(crate::keys::KeyHistory {
                    last_seen: Some(last),
                    ..
                }) if last < to => (
                    IGNORED_KEY,
                    format!(
                        "` was removed in {} (last read by {last}); Pomerium {to} ignores it \
                         (\"unknown config option\"): delete it{}",
                        Version::new(last.major, last.minor + 1),
                        explain(handler_of(key))
                    ),
                ),
                Some(h) => (
                    IGNORED_KEY,
                    format!(
                        "` is first read by Pomerium {}; {to} ignores it",
                        h.first_seen
                    ),
                ),
                None => (
                    UNKNOWN_KEY,
                    match found.suggestion {
                        Some(s) => format!(
                            "` is not a Pomerium option (no release reads it); Pomerium {to} \
                             ignores it; did you mean `{s}`?"
                        ),
                        None => format!(
                            "` is not a Pomerium option (no release reads it); Pomerium {to} \
                             ignores it"
                        ),
                    },
                ),
            };
            written.push((id, format!("{id}:{key}"), tail));
            written.len() - 1
        });
        let (id, rule, tail) = &written[at];
        // `` `PATH` `` and the key's text.
        let mut message = String::with_capacity(tail.len() + 48);
        message.push('`');
        sites.write_path(found.site, &mut message);
        message.push_str(tail);
        out.push(RuleFinding {
            rule: rule.clone(),
            key: site.key.to_owned(),
            finding: Finding {
                version: to,
                step: id,
                severity: Severity::Note,
                location: Some(site.location),
                message,
                link: REFERENCE,
            },
        });
    }
    out
}

/// Where a value rule fires in `doc`, with the message for each place.
pub fn value_refused(doc: &Document, rule: &str, to: Version) -> Vec<(Location, String)> {
    let mut out = Vec::new();
    match rule {
        "redis-storage" => {
            if let Some(entry) = doc.top("databroker_storage_type")
                && doc
                    .str(doc.resolve(entry.value))
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("redis"))
            {
                out.push((
                    doc.location(entry.key_node),
                    format!(
                        "`databroker_storage_type: redis`: Pomerium {to} refuses to start with \
                         Redis storage (removed in 0.24); move the databroker to Postgres \
                         (`databroker_storage_type: postgres` and a `postgres://` URL in \
                         `databroker_storage_connection_string`)"
                    ),
                ));
            }
        }
        "base64-certificate" => {
            for item in doc.select_str("certificates[*].*") {
                let field = item.path.rsplit('.').next().unwrap_or_default();
                if field != "cert" && field != "key" {
                    continue;
                }
                if doc
                    .str(doc.resolve(item.node))
                    .is_some_and(crate::migrations::certificate_is_data)
                {
                    out.push((
                        doc.location(item.node),
                        format!(
                            "`{}` holds base64 data; Pomerium {to} reads `certificates` entries \
                             as file paths only (since 0.24): write the data to a file and \
                             name the file here",
                            item.path
                        ),
                    ));
                }
            }
        }
        "ed25519-signing-key" => {
            if let Some(entry) = doc.top("signing_key")
                && doc
                    .str(doc.resolve(entry.value))
                    .is_some_and(crate::migrations::is_ed25519_key)
            {
                out.push((
                    doc.location(entry.key_node),
                    format!(
                        "`signing_key` holds an Ed25519 key; Pomerium {to} accepts only ECDSA \
                         or RSA signing keys (since 0.15): generate a new key and give the \
                         Enterprise Console the same value"
                    ),
                ));
            }
        }
        "policy-file" => {
            if let Some(entry) = doc.top("policy_file")
                && doc
                    .str(doc.resolve(entry.value))
                    .is_some_and(|v| !v.trim().is_empty())
            {
                out.push((
                    doc.location(entry.key_node),
                    format!(
                        "`policy_file`: Pomerium {to} refuses to start when it is set; move \
                         its routes into `routes` in this file and delete the key"
                    ),
                ));
            }
        }
        "unknown-storage-type" => {
            if let Some((at, value)) = storage_type(doc)
                && !(value == "redis" && to >= Version::new(0, 24))
                && !storage_types(to).contains(&value.as_str())
            {
                out.push((
                    at,
                    format!(
                        "`databroker_storage_type: {value}`: Pomerium {to} does not know this \
                         storage backend and refuses to start; use one of {}",
                        storage_types(to)
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        "storage-without-connection-string" => {
            let set = |key: &str| {
                doc.top(key).is_some_and(|e| {
                    doc.str(doc.resolve(e.value))
                        .is_some_and(|v| !v.trim().is_empty())
                })
            };
            if let Some((at, value)) = storage_type(doc)
                && (value == "postgres" || value == "redis")
                && storage_types(to).contains(&value.as_str())
                && !set("databroker_storage_connection_string")
                && !(to >= Version::new(0, 27) && set("databroker_storage_connection_string_file"))
            {
                out.push((
                    at,
                    format!(
                        "`databroker_storage_type: {value}` without \
                         `databroker_storage_connection_string`: Pomerium {to} refuses to start \
                         without the connection string of the storage"
                    ),
                ));
            }
        }
        _ => {}
    }
    out
}

/// `databroker_storage_type` as written, with where its key is.
fn storage_type(doc: &Document) -> Option<(Location, String)> {
    let entry = doc.top("databroker_storage_type")?;
    let value = doc.str(doc.resolve(entry.value))?;
    Some((doc.location(entry.key_node), value.to_owned()))
}

/// The storage backends release `to` accepts (see `refused-values.tsv`).
fn storage_types(to: Version) -> Vec<&'static str> {
    let mut out = vec!["memory"];
    if to <= Version::new(0, 23) {
        out.push("redis");
    }
    if to >= Version::new(0, 18) {
        out.push("postgres");
    }
    if to >= Version::new(0, 31) {
        out.push("file");
    }
    out
}

/// The value rules [`value_refused`] knows (a test checks they match the table).
pub const VALUE_RULES: &[&str] = &[
    "redis-storage",
    "base64-certificate",
    "ed25519-signing-key",
    "policy-file",
    "unknown-storage-type",
    "storage-without-connection-string",
];

fn console(doc: &Document, to: Version, steps: &[&'static Step]) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    // An empty file lacks every required key too.
    let entries = doc
        .root()
        .map(|root| doc.resolve(root))
        .filter(|root| doc.is_mapping(*root))
        .map(|root| doc.entries(root))
        .unwrap_or_default();
    let keys: Vec<String> = entries.iter().map(|e| e.key.replace('-', "_")).collect();
    let dash = entries.iter().any(|e| e.key.contains('-'));
    // Options the Console no longer reads (what the Enterprise guide says was removed).
    for entry in &entries {
        let snake = entry.key.replace('-', "_");
        let Some(last) = detect::CONSOLE_KEYS
            .iter()
            .find(|(k, _, _)| *k == snake)
            .and_then(|(_, _, last)| *last)
        else {
            continue;
        };
        if last >= to {
            continue;
        }
        let step = handler(steps, entry.key, FileKind::Console)
            .or_else(|| handler(steps, &snake, FileKind::Console));
        out.push(RuleFinding {
            rule: format!("{IGNORED_KEY}:{snake}"),
            key: entry.key.to_owned(),
            finding: Finding {
                version: to,
                step: IGNORED_KEY,
                severity: Severity::Note,
                location: Some(doc.location(entry.key_node)),
                message: format!(
                    "`{}` was removed in {} (last read by {last}); the Enterprise Console {to} \
                     does not read it: delete it{}",
                    entry.key,
                    Version::new(last.major, last.minor + 1),
                    explain(step)
                ),
                link: step.map_or(CONSOLE_REFERENCE, |s| s.link),
            },
        });
    }
    for row in console_required() {
        let applies = row.from <= to && row.until.is_none_or(|u| to <= u);
        if !applies || keys.iter().any(|k| k == row.key) {
            continue;
        }
        // `*_file` spellings give the same value from a file.
        if keys.iter().any(|k| *k == format!("{}_file", row.key)) {
            continue;
        }
        let spelled = if dash {
            row.key.replace('_', "-")
        } else {
            row.key.to_owned()
        };
        let step = handler(steps, row.key, FileKind::Console)
            .or_else(|| handler(steps, &row.key.replace('_', "-"), FileKind::Console));
        out.push(RuleFinding {
            rule: format!("{REQUIRED_KEY}:{}", row.key),
            key: row.key.to_owned(),
            finding: Finding {
                version: to,
                step: REQUIRED_KEY,
                severity: Severity::ActionRequired,
                location: None,
                message: format!(
                    "`{spelled}` is missing: the Enterprise Console {to} requires it (since \
                     {}); add it, or give it with --set {spelled}=…{}",
                    row.from,
                    explain(step)
                ),
                link: step.map_or(CONSOLE_REFERENCE, |s| s.link),
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;
    use crate::keys;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Validation over the keys read once gives what it gave over its own walk.
        #[test]
        fn validation_over_shared_keys_matches_the_separate_walk(
            text in crate::detect::oracle::configs::config()
        ) {
            let Ok(doc) = Document::parse(text.clone(), Format::Yaml) else {
                return Err(proptest::test_runner::TestCaseError::reject("not YAML"));
            };
            let steps = crate::migrations::STEPS;
            for to in [15, 20, 23, 24, 27, 33] {
                let to = Version::new(0, to);
                let old = oracle::core(&doc, &detect::oracle::key_sites(&doc), to, steps);
                proptest::prop_assert_eq!(validate(&doc, FileKind::Core, to, steps), old);
            }
        }
    }

    #[test]
    fn embedded_tables_parse() {
        for (name, rows) in [
            ("keys", parse_refused_keys(REFUSED_KEYS_TSV)),
            ("values", parse_refused_values(REFUSED_VALUES_TSV)),
            ("console", parse_console_required(CONSOLE_REQUIRED_TSV)),
        ] {
            assert!(
                rows.as_ref().is_ok_and(|r| !r.is_empty()),
                "{name}: {rows:?}"
            );
        }
        // Every refused key is a key the key table knows, last read before it was refused.
        for row in refused_keys() {
            let key = row.key.strip_prefix("routes.").unwrap_or(row.key);
            let history = keys::lookup(key);
            assert!(
                history.is_some_and(|h| h.last_seen.is_some_and(|last| last < row.from)),
                "{}: {history:?}",
                row.key
            );
        }
        // Every value rule has its test, and every test its row.
        let names: Vec<&str> = refused_values().iter().map(|r| r.name).collect();
        assert_eq!(names, VALUE_RULES);
    }

    #[test]
    fn malformed_rows_are_refused() {
        assert!(parse_refused_keys("a\t0.x\tsrc\n").is_err());
        assert!(parse_refused_keys("a\t0.20\n").is_err());
        assert!(parse_console_required("a\t0.20\t0.19\tsrc\n").is_err());
        assert!(parse_console_required("# c\na\t0.20\t-\tsrc\n").is_ok());
    }

    fn yaml(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(doc) => doc,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    fn rules(text: &str, kind: FileKind, to: u32) -> Vec<String> {
        validate(&yaml(text), kind, Version::new(0, to), &[])
            .into_iter()
            .map(|r| r.rule)
            .collect()
    }

    #[test]
    fn rules_depend_on_the_target() {
        let text = "databroker_storage_type: redis\ndatabroker_storage_connection_string: redis://r\n\
                    idp_service_account: x\n\
                    routes:\n  - from: https://a\n    set_authorization_header: id_token\n\
                    policy:\n  - from: https://b\n    allowed_groups: [a]\n";
        assert_eq!(
            rules(text, FileKind::Core, 24),
            [
                "refused-key:idp_service_account",
                "refused-key:routes.set_authorization_header",
                "refused-key:routes.allowed_groups",
                "refused-value:redis-storage",
            ]
        );
        assert_eq!(
            rules(text, FileKind::Core, 20),
            [
                "refused-key:idp_service_account",
                "refused-key:routes.allowed_groups",
            ]
        );
        assert!(
            rules(text, FileKind::Core, 19)
                .iter()
                .all(|r| !r.starts_with("refused"))
        );
    }

    #[test]
    fn storage_backends_follow_the_release() {
        let core = |text: &str, to: u32| -> Vec<String> {
            rules(text, FileKind::Core, to)
                .into_iter()
                .filter(|r| r.starts_with("refused-value"))
                .collect()
        };
        let pg = "databroker_storage_type: postgres\n";
        assert_eq!(
            core(pg, 17),
            ["refused-value:unknown-storage-type"],
            "no Postgres before 0.18"
        );
        assert_eq!(
            core(pg, 24),
            ["refused-value:storage-without-connection-string"]
        );
        let dsn = "databroker_storage_type: postgres\n\
                   databroker_storage_connection_string: postgres://db\n";
        assert!(core(dsn, 33).is_empty());
        let file = "databroker_storage_type: file\n";
        assert_eq!(core(file, 30), ["refused-value:unknown-storage-type"]);
        assert!(core(file, 31).is_empty());
        // Redis is the redis-storage rule's from 0.24, and needs its URL before.
        let redis = "databroker_storage_type: redis\n";
        assert_eq!(core(redis, 24), ["refused-value:redis-storage"]);
        assert_eq!(
            core(redis, 23),
            ["refused-value:storage-without-connection-string"]
        );
        assert!(core("databroker_storage_type: memory\n", 33).is_empty());
    }

    #[test]
    fn ignored_keys_say_what_they_are() {
        let found = validate(
            &yaml("cookie_secure: true\ncookie_secrte: x\n"),
            FileKind::Core,
            Version::new(0, 33),
            &[],
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rule, "ignored-key:cookie_secure");
        assert!(
            found[0].finding.message.contains("was removed in 0.26"),
            "{found:?}"
        );
        assert!(!found[0].finding.message.contains("did you mean"));
        assert_eq!(found[1].rule, "unknown-key:cookie_secrte");
        assert!(
            found[1]
                .finding
                .message
                .contains("did you mean `cookie_secret`")
        );
    }

    #[test]
    fn console_requirements_follow_the_release() {
        let text = "database-url: x\n";
        assert_eq!(rules(text, FileKind::Console, 14), Vec::<String>::new());
        assert_eq!(
            rules(text, FileKind::Console, 15),
            ["required-key:signing_key", "required-key:audience"]
        );
        assert_eq!(
            rules(text, FileKind::Console, 17),
            [
                "required-key:authenticate_service_url",
                "required-key:audience",
                "required-key:license_key"
            ]
        );
        assert_eq!(
            rules(text, FileKind::Console, 33),
            ["required-key:audience", "required-key:license_key"]
        );
        // Options it no longer reads are notes.
        assert_eq!(
            rules(
                "debug: true\naudience: [a]\nlicense-key: k\n",
                FileKind::Console,
                25
            ),
            ["ignored-key:debug"]
        );
        assert!(rules("debug: true\n", FileKind::Console, 14).is_empty());
        // An empty file lacks them too.
        assert_eq!(
            rules("", FileKind::Console, 33),
            ["required-key:audience", "required-key:license_key"]
        );
        let full = "audience: [a]\nlicense_key_file: /k\n";
        assert_eq!(rules(full, FileKind::Console, 33), Vec::<String>::new());
    }
}
