//! What a config file is: its kind (core or console), the releases it can be written for, and
//! the keys Pomerium would not know after a migration (see "Version inference" in
//! `docs/ARCHITECTURE.md`).
//!
//! Everything here reads a [`Document`]; nothing prints or exits. The commands decide what to do
//! with a [`Detection`] (`detect` prints it; `plan`/`apply`/`check` start from
//! [`Detection::start_version`] unless `--from` is given, after [`refuse_ambiguous_escaping`]).
//!
//! # Which keys count
//!
//! Keys are read where Pomerium reads its own options: the top level, every route (items of
//! `routes` and of the older top-level `policy` list) and blocks nested in known options (e.g.
//! `downstream_mtls`, `certificates` items). Not read: keys nested in an unknown key (their
//! meaning is unknown), and the contents of options whose keys are user data or belong to
//! another schema ([`FREE_FORM`]: header maps, claim maps, PPL policies, Envoy blocks).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use thiserror::Error;

use crate::document::{Document, Location, NodeId};
use crate::keys::{self, KeyHistory};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

/// Options whose values are not read for keys: their keys are user data (header names, claim
/// names, flags), policy language, or the fields of another program's schema.
pub const FREE_FORM: &[&str] = &[
    "set_request_headers",
    "set_response_headers",
    "headers",
    "jwt_claims_headers",
    "idp_request_params",
    "allowed_idp_claims",
    "authorization_url_params",
    "runtime_flags",
    "otel_exporter_otlp_headers",
    "otel_exporter_otlp_traces_headers",
    "otel_resource_attributes",
    "ssh_policy",
    "envoy_dynamic_extensions",
    "_envoy_opts",
    // Envoy cluster fields: their inner names were Envoy's long before Pomerium listed them, so
    // they say nothing about the Pomerium release.
    "health_checks",
    "outlier_detection",
    "least_request_lb_config",
    "ring_hash_lb_config",
    "maglev_lb_config",
];

/// Nested blocks whose keys are Pomerium's own, checked by [`unknown_keys`] like the top level.
const CHECKED_BLOCKS: &[&str] = &[
    "downstream_mtls",
    "certificates",
    "rewrite_response_headers",
    "circuit_breaker_thresholds",
    "response",
    "upstream_oauth2",
];

/// What the Enterprise upgrade guide says about console options' releases
/// (snake_case spelling). The Core table does not apply to console files.
pub(crate) const CONSOLE_KEYS: &[(&str, Option<Version>, Option<Version>)] = &[
    // "signing-key has been replaced with authenticate-service-url" (0.16).
    ("authenticate_service_url", Some(Version::new(0, 16)), None),
    // "The new license-key option is required" (0.17).
    ("license_key", Some(Version::new(0, 17)), None),
    // New `--derive-tls` setting (0.21).
    ("derive_tls", Some(Version::new(0, 21)), None),
    // `debug` was removed in 0.25.
    ("debug", None, Some(Version::new(0, 24))),
    // `disable-validation` became `validation-mode` in 0.27.
    ("disable_validation", None, Some(Version::new(0, 26))),
    ("validation_mode", Some(Version::new(0, 27)), None),
];

/// Where a key was read, in Pomerium's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "level", content = "parent")]
pub enum Level {
    /// A top-level option.
    Global,
    /// An option of a route (`routes[N]` or `policy[N]`).
    Route,
    /// A key inside the value of option `parent`.
    Nested(String),
}

/// One key of the file, found where Pomerium reads options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySite {
    pub key: String,
    /// The data path, e.g. `routes[2].downstream_mtls.ca`.
    pub path: String,
    pub location: Location,
    pub level: Level,
}

/// Every key of `doc` at the levels described in the module documentation, in file order.
pub fn key_sites(doc: &Document) -> Vec<KeySite> {
    let mut out = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, &Level::Global, "", &mut out, 0);
    }
    out
}

/// Aliases can nest deeply in hostile input; real configs are a few levels deep.
const MAX_DEPTH: usize = 24;

fn walk(
    doc: &Document,
    map: NodeId,
    level: &Level,
    path: &str,
    out: &mut Vec<KeySite>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for entry in doc.entries(map) {
        let key = entry.key;
        // Built by hand: `format!` is measurably slower for the ~10 keys of every route.
        let mut here = String::with_capacity(path.len() + 1 + key.len());
        if !path.is_empty() {
            here.push_str(path);
            here.push('.');
        }
        here.push_str(key);
        out.push(KeySite {
            key: key.to_owned(),
            path: here.clone(),
            location: doc.location(entry.key_node),
            level: level.clone(),
        });
        let routes = *level == Level::Global && (key == "routes" || key == "policy");
        // A route's `policy` is PPL, not a list of routes.
        let opaque = FREE_FORM.contains(&key) || (*level == Level::Route && key == "policy");
        if !routes && (opaque || keys::lookup(key).is_none()) {
            continue;
        }
        let child_level = if routes {
            Level::Route
        } else {
            Level::Nested(key.to_owned())
        };
        let value = doc.resolve(entry.value);
        if doc.is_mapping(value) && !routes {
            walk(doc, value, &child_level, &here, out, depth + 1);
        } else if doc.is_sequence(value) {
            for (i, item) in doc.items(value).iter().enumerate() {
                let item = doc.resolve(*item);
                if doc.is_mapping(item) {
                    walk(doc, item, &child_level, &indexed(&here, i), out, depth + 1);
                }
            }
        }
    }
}

/// `path[i]`.
fn indexed(path: &str, i: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(path.len() + 8);
    out.push_str(path);
    // Writing to a String cannot fail.
    let _ = write!(out, "[{i}]");
    out
}

/// A key that decided something, with where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub key: String,
    pub path: String,
    pub location: Location,
    /// The release the key bounds the version to (absent for kind evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// For evidence from a value rather than a key: what about the value tells (never the value
    /// itself, which may be a secret), e.g. "a `${pomerium.…}` substitution". The location is
    /// then the value's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'static str>,
}

impl Evidence {
    fn of(site: &KeySite, version: Option<Version>) -> Evidence {
        Evidence {
            key: site.key.clone(),
            path: site.path.clone(),
            location: site.location,
            version,
            value: None,
        }
    }

    /// `` `path` `` or, for value evidence, `` `path` (a `${pomerium.…}` substitution) ``.
    pub fn subject(&self) -> String {
        match self.value {
            Some(what) => format!("`{}` ({what})", self.path),
            None => format!("`{}`", self.path),
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.subject(), self.location)
    }
}

/// The top-level keys that tell a Core config from a Console config.
///
/// - Core evidence: a key of the Core table (`keys/pomerium-core-keys.tsv`) that the Console
///   does not read (`routes`, `idp_provider`, `certificates`, …).
/// - Console evidence: a key of the Console list (`keys/pomerium-console-keys.tsv`) that Core
///   does not read (`database_url`, `license_key`, …), and any dash-case spelling of a Console
///   key (Core reads no dash-case key): `shared-secret` is console evidence, `shared_secret`
///   is none.
/// - No evidence: keys both read, keys neither reads, and keys starting with `x-` or `.`, which
///   YAML users write to hold anchors (`x-defaults: &defaults`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindEvidence {
    pub core: Vec<Evidence>,
    pub console: Vec<Evidence>,
}

impl KindEvidence {
    /// The evidence for `kind`.
    pub fn of(&self, kind: FileKind) -> &[Evidence] {
        match kind {
            FileKind::Core => &self.core,
            FileKind::Console => &self.console,
        }
    }

    /// The evidence against `kind`: keys only the other kind reads.
    pub fn against(&self, kind: FileKind) -> &[Evidence] {
        match kind {
            FileKind::Core => &self.console,
            FileKind::Console => &self.core,
        }
    }

    /// The kind the evidence decides: the side that has some when the other has none.
    pub fn decide(&self) -> Option<FileKind> {
        match (self.core.is_empty(), self.console.is_empty()) {
            (false, true) => Some(FileKind::Core),
            (true, false) => Some(FileKind::Console),
            _ => None,
        }
    }
}

/// Weighs the top-level keys of `sites` (see [`KindEvidence`]).
pub fn kind_evidence(sites: &[KeySite]) -> KindEvidence {
    let mut evidence = KindEvidence::default();
    for site in sites.iter().filter(|s| s.level == Level::Global) {
        let key = site.key.as_str();
        if key.starts_with("x-") || key.starts_with('.') {
            continue;
        }
        let console = keys::is_console_key(key);
        if key.contains('-') {
            if console {
                evidence.console.push(Evidence::of(site, None));
            }
            continue;
        }
        match (keys::lookup(key).is_some(), console) {
            (true, false) => evidence.core.push(Evidence::of(site, None)),
            (false, true) => evidence.console.push(Evidence::of(site, None)),
            _ => {}
        }
    }
    // In file order (a TOML file's tables come after its other keys in the tree).
    evidence.core.sort_by_key(|e| e.location);
    evidence.console.sort_by_key(|e| e.location);
    evidence
}

/// Why `--kind auto` cannot decide: both kinds have evidence, or neither has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindUndecided {
    pub evidence: KindEvidence,
}

impl KindUndecided {
    /// The refusal, with every location as `file:line:column`.
    pub fn message(&self, file: &str) -> String {
        const SHOWN: usize = 4;
        let list = |e: &[Evidence]| {
            let mut text = e
                .iter()
                .take(SHOWN)
                .map(|e| format!("{} at {file}:{}", e.subject(), e.location))
                .collect::<Vec<_>>()
                .join(", ");
            if e.len() > SHOWN {
                text.push_str(&format!(" and {} more", e.len() - SHOWN));
            }
            text
        };
        let KindEvidence { core, console } = &self.evidence;
        let what = if core.is_empty() && console.is_empty() {
            "no key tells whether this is a Pomerium Core or an Enterprise Console config (no \
             key that only one of them reads)"
                .to_owned()
        } else {
            format!(
                "the keys do not tell whether this is a Pomerium Core or an Enterprise Console \
                 config: only Core reads {}; only the Console reads {}",
                list(core),
                list(console)
            )
        };
        format!("{file}: {what}; say which with --kind core or --kind console")
    }
}

impl fmt::Display for KindUndecided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("<input>"))
    }
}

impl std::error::Error for KindUndecided {}

/// What [`detect`] found out about a file.
///
/// `min_version`..=`max_version` is the range of releases that read every key of the file.
///
/// - **No evidence** (no key bounds the version, e.g. a file of shared keys): the range is the whole
///   chain, [`keys::OLDEST`]..=[`keys::NEWEST`], and both evidence lists are empty. Migrating
///   from the oldest release is safe because every step only touches keys of older releases.
/// - **Contradictory** keys (a key removed before another was added, typically a file that was
///   upgraded by hand half-way): `min_version > max_version` and `contradictory` is set. The
///   file is treated as spanning both bounds: [`Detection::start_version`] is the lower one, so
///   the steps that retire the stale keys run, and the `$` refusal considers the whole span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detection {
    pub kind: FileKind,
    /// The keys that tell the kinds apart, on each side; also when the kind was given with
    /// `--kind` (evidence against it is worth a warning).
    pub kind_evidence: KindEvidence,
    /// The oldest release that reads every key of the file.
    pub min_version: Version,
    /// The newest release that reads every key of the file.
    pub max_version: Version,
    /// The keys (and values) first read in `min_version` (empty when nothing raised it above the
    /// oldest).
    pub min_evidence: Vec<Evidence>,
    /// The keys last read in `max_version` (empty when nothing lowered it below the newest).
    pub max_evidence: Vec<Evidence>,
    /// Whether the keys contradict each other (`min_version > max_version`).
    pub contradictory: bool,
}

impl Detection {
    /// The release to migrate from when the user gave no `--from`: the lowest of the range.
    pub fn start_version(&self) -> Version {
        self.min_version.min(self.max_version)
    }

    /// The range as a span that is never empty (see the type's documentation).
    pub fn span(&self) -> (Version, Version) {
        (
            self.min_version.min(self.max_version),
            self.min_version.max(self.max_version),
        )
    }

    /// Whether any key bounded the version.
    pub fn has_version_evidence(&self) -> bool {
        !self.min_evidence.is_empty() || !self.max_evidence.is_empty()
    }
}

/// Detects kind and version range; the kind is decided from the keys (`--kind auto`, see
/// [`KindEvidence`]).
pub fn detect(doc: &Document) -> Result<Detection, KindUndecided> {
    let sites = key_sites(doc);
    let evidence = kind_evidence(&sites);
    match evidence.decide() {
        Some(kind) => Ok(detection(doc, kind, evidence, &sites)),
        None => Err(KindUndecided { evidence }),
    }
}

/// Detects the version range of a file whose kind the user gave (`--kind core|console`); the
/// kind evidence is still weighed, so that evidence against the given kind can be reported.
pub fn detect_as(doc: &Document, kind: FileKind) -> Detection {
    let sites = key_sites(doc);
    detection(doc, kind, kind_evidence(&sites), &sites)
}

/// Something in the file that bounds the version: a key's first and last release, or a value
/// only some releases accept.
struct Bound {
    evidence: Evidence,
    min: Option<Version>,
    max: Option<Version>,
}

/// What a `${pomerium.…}` reference in a request header means (0.23 added the substitution).
const SUBSTITUTION: &str = "a `${pomerium.…}` substitution";
/// What `databroker_storage_type: redis` means (0.24 removed the Redis storage backend).
const REDIS: &str = "the value `redis`";

/// Every bound the keys and values of `doc` put on the version, for a file of `kind`, in file
/// order (keys, then values).
fn bounds(doc: &Document, kind: FileKind, sites: &[KeySite]) -> Vec<Bound> {
    let bound = |site: &KeySite, min: Option<Version>, max: Option<Version>| Bound {
        evidence: Evidence::of(site, None),
        min,
        max,
    };
    let mut out: Vec<Bound> = match kind {
        FileKind::Core => sites
            .iter()
            .filter_map(|s| keys::lookup(&s.key).map(|k| (s, core_bounds(k))))
            .map(|(s, (lo, hi))| bound(s, lo, hi))
            .collect(),
        FileKind::Console => sites
            .iter()
            .filter(|s| s.level == Level::Global)
            .filter_map(|s| {
                let snake = s.key.replace('-', "_");
                CONSOLE_KEYS
                    .iter()
                    .find(|(k, _, _)| *k == snake)
                    .map(|(_, lo, hi)| bound(s, *lo, *hi))
            })
            .collect(),
    };
    if kind == FileKind::Core {
        out.extend(value_bounds(doc));
    }
    out
}

/// Bounds from values of a Core config: a `${pomerium.…}` substitution in a route's
/// `set_request_headers` value means 0.23 or newer (the substitution did not exist before;
/// Pomerium v0.23.0, `config/policy.go` and the upgrade guide), `databroker_storage_type: redis`
/// means 0.23 or older (0.24 removed Redis storage; the upgrade guide, v0.24.0).
fn value_bounds(doc: &Document) -> Vec<Bound> {
    let mut out = Vec::new();
    let value_evidence = |path: String, key: &str, node: NodeId, what: &'static str| Evidence {
        key: key.to_owned(),
        path,
        location: doc.location(node),
        version: None,
        value: Some(what),
    };
    for header in request_header_values(doc) {
        if doc
            .str(header.node)
            .is_some_and(|v| v.contains("${pomerium."))
        {
            let key = header.entry.map(|e| e.key.to_owned()).unwrap_or_default();
            out.push(Bound {
                evidence: value_evidence(header.path, &key, header.node, SUBSTITUTION),
                min: Some(ESCAPING_RELEASE),
                max: None,
            });
        }
    }
    for storage in doc.select_str("databroker_storage_type") {
        if doc
            .str(storage.node)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("redis"))
        {
            out.push(Bound {
                evidence: value_evidence(
                    storage.path,
                    "databroker_storage_type",
                    storage.node,
                    REDIS,
                ),
                min: None,
                max: Some(Version::new(0, 23)),
            });
        }
    }
    out
}

/// The values of every route's `set_request_headers` (under `routes` and the older `policy`).
fn request_header_values(doc: &Document) -> Vec<crate::document::Selected<'_>> {
    let mut out = doc.select_str("routes[*].set_request_headers.*");
    out.extend(doc.select_str("policy[*].set_request_headers.*"));
    out
}

fn detection(
    doc: &Document,
    kind: FileKind,
    kind_evidence: KindEvidence,
    sites: &[KeySite],
) -> Detection {
    let bounds = bounds(doc, kind, sites);
    let min_version = bounds
        .iter()
        .filter_map(|b| b.min)
        .max()
        .unwrap_or(keys::OLDEST);
    let max_version = bounds
        .iter()
        .filter_map(|b| b.max)
        .min()
        .unwrap_or(keys::NEWEST);
    let with_version = |b: &Bound, v: Option<Version>| Evidence {
        version: v,
        ..b.evidence.clone()
    };
    let min_evidence = bounds
        .iter()
        .filter(|b| b.min == Some(min_version))
        .map(|b| with_version(b, b.min))
        .collect();
    let max_evidence = bounds
        .iter()
        .filter(|b| b.max == Some(max_version))
        .map(|b| with_version(b, b.max))
        .collect();
    Detection {
        kind,
        kind_evidence,
        min_version,
        max_version,
        min_evidence,
        max_evidence,
        contradictory: min_version > max_version,
    }
}

/// What in `doc` does not fit release `from` for a file of `kind`: keys (and values) first read
/// after it, or last read before it. Each carries the bound it breaks (`version`).
pub fn misfits(doc: &Document, kind: FileKind, from: Version) -> Vec<Evidence> {
    let sites = key_sites(doc);
    bounds(doc, kind, &sites)
        .into_iter()
        .filter_map(|b| {
            let version = match (b.min, b.max) {
                (Some(min), _) if from < min => min,
                (_, Some(max)) if max < from => max,
                _ => return None,
            };
            Some(Evidence {
                version: Some(version),
                ..b.evidence
            })
        })
        .collect()
}

/// The bounds a Core key puts on the version: `first_seen` unless it is the oldest release (the
/// table cannot say how old such a key is), `last_seen` unless the key is still read.
fn core_bounds(k: &KeyHistory) -> (Option<Version>, Option<Version>) {
    (
        (k.first_seen > keys::OLDEST).then_some(k.first_seen),
        k.last_seen,
    )
}

/// The refusal of the version inference (docs/ARCHITECTURE.md): the rewrites of v0.23 in
/// request header values (`$` escaped as `$$`, `%%` read as `%`) are the only ones that are not
/// idempotent.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error(
    "{location}: `{path}` contains `{found}`, and the keys of this file fit releases {min} to \
     {max}: it cannot be told whether the value is already written for 0.23 (which reads `$$` \
     as `$` and `%%` as `%`) or not. Pass --from with the release this file is used with today \
     (e.g. --from 0.22 or --from 0.23)"
)]
pub struct AmbiguousEscaping {
    pub path: String,
    pub location: Location,
    /// What the value contains: `$` or `%%`.
    pub found: &'static str,
    pub min: Version,
    pub max: Version,
}

/// The release whose step escapes `$` in `set_request_headers`.
pub const ESCAPING_RELEASE: Version = Version::new(0, 23);

/// Refuses to infer `--from` when the inferred span contains both 0.22 and 0.23, the run would
/// cross 0.23 (`to` ≥ 0.23), and a route's `set_request_headers` value contains `$` or `%%`.
pub fn refuse_ambiguous_escaping(
    doc: &Document,
    detection: &Detection,
    to: Version,
) -> Result<(), AmbiguousEscaping> {
    let (lo, hi) = detection.span();
    let before = Version::new(0, 22);
    if detection.kind != FileKind::Core || !(lo <= before && ESCAPING_RELEASE <= hi) {
        return Ok(());
    }
    if to < ESCAPING_RELEASE {
        return Ok(());
    }
    for header in request_header_values(doc) {
        let Some(value) = doc.str(header.node) else {
            continue;
        };
        let found = if value.contains('$') {
            "$"
        } else if value.contains("%%") {
            "%%"
        } else {
            continue;
        };
        return Err(AmbiguousEscaping {
            location: doc.location(header.node),
            path: header.path,
            found,
            min: lo,
            max: hi,
        });
    }
    Ok(())
}

/// A key the target release does not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    pub key: String,
    pub path: String,
    pub location: Location,
    /// A close key that release reads, if any.
    pub suggestion: Option<&'static str>,
    /// The key's history when some other release read it.
    pub history: Option<KeyHistory>,
    pub version: Version,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown key '{}' for {}", self.key, self.version)?;
        if let Some(h) = &self.history {
            if let Some(last) = h.last_seen.filter(|last| *last < self.version) {
                write!(f, " (last read by {last})")?;
            } else {
                write!(f, " (first read by {})", h.first_seen)?;
            }
        }
        if let Some(s) = self.suggestion {
            write!(f, "; did you mean '{s}'?")?;
        }
        Ok(())
    }
}

/// Keys of a Core config that release `version` does not read, at the top level, in routes and
/// in Pomerium's own nested blocks ([`CHECKED_BLOCKS`]). Console configs are not checked: the
/// table describes Core only.
pub fn unknown_keys(doc: &Document, kind: FileKind, version: Version) -> Vec<UnknownKey> {
    if kind != FileKind::Core {
        return Vec::new();
    }
    unknown_keys_of(&key_sites(doc), version)
}

/// [`unknown_keys`] of a Core config whose [`key_sites`] are known already.
pub fn unknown_keys_of(sites: &[KeySite], version: Version) -> Vec<UnknownKey> {
    let mut out = Vec::new();
    for site in sites {
        let checked = match &site.level {
            Level::Global | Level::Route => true,
            Level::Nested(parent) => CHECKED_BLOCKS.contains(&parent.as_str()),
        };
        // `<<` never reaches here (merges are resolved); keys are never empty in practice.
        if !checked || site.key.is_empty() {
            continue;
        }
        let history = keys::lookup(&site.key).copied();
        if history.is_some_and(|h| h.known_in(version)) {
            continue;
        }
        out.push(UnknownKey {
            // A key with a history is what it is (removed, or newer): never a typo.
            suggestion: if history.is_none() {
                suggest(&site.key, version)
            } else {
                None
            },
            history,
            key: site.key.clone(),
            path: site.path.clone(),
            location: site.location,
            version,
        });
    }
    out
}

/// The key `version` reads that is closest to `key`, when it is close enough to be a typo.
///
/// A config repeats the same unknown key in many routes, so each distinct key is looked up once
/// per thread; keys whose length alone puts them out of reach are not compared at all.
fn suggest(key: &str, version: Version) -> Option<&'static str> {
    thread_local! {
        static SUGGESTIONS: RefCell<HashMap<(String, Version), Option<&'static str>>> =
            RefCell::new(HashMap::new());
    }
    let cached = SUGGESTIONS.with(|c| c.borrow().get(&(key.to_owned(), version)).copied());
    if let Some(found) = cached {
        return found;
    }
    let found = closest_known_key(key, version);
    SUGGESTIONS.with(|c| c.borrow_mut().insert((key.to_owned(), version), found));
    found
}

fn closest_known_key(key: &str, version: Version) -> Option<&'static str> {
    let snake = key.replace('-', "_").to_ascii_lowercase();
    let len = snake.chars().count();
    // One edit per five characters, at least one: `idp_servce_account` → 1 edit of 18 allowed 3.
    let allowed = (len / 5).max(1);
    let mut best: Option<(usize, &'static str)> = None;
    for k in keys::known_in(version) {
        if k.key == snake {
            return Some(k.key);
        }
        // The distance is at least the difference in length: such a key is never close enough,
        // so it cannot be the answer (the closest key is returned only within `allowed`).
        if k.key.chars().count().abs_diff(len) > allowed {
            continue;
        }
        let d = strsim::damerau_levenshtein(&snake, k.key);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k.key));
        }
    }
    best.filter(|(d, _)| *d <= allowed).map(|(_, k)| k)
}

/// The id that unknown-key notes are reported under.
pub const UNKNOWN_KEY_ID: &str = "unknown-key";

impl UnknownKey {
    /// This key as a report note (located where the key is written in the document checked).
    pub fn finding(&self) -> Finding {
        Finding {
            version: self.version,
            step: UNKNOWN_KEY_ID,
            severity: Severity::Note,
            location: Some(self.location),
            message: self.to_string(),
            link: "https://www.pomerium.com/docs/reference",
        }
    }
}

/// [`unknown_keys`] as report notes for release `version`.
pub fn unknown_key_findings(doc: &Document, kind: FileKind, version: Version) -> Vec<Finding> {
    unknown_keys(doc, kind, version)
        .iter()
        .map(UnknownKey::finding)
        .collect()
}
