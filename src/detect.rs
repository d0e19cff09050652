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
use smol_str::SmolStr;
use thiserror::Error;

use crate::document::{Document, EntryId, EntryRef, Location, NodeId, NodeKind};
use crate::keys::cache::KeyCache;
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
    let sites = Sites::of(doc);
    (0..sites.len()).map(|i| sites.key_site(i)).collect()
}

/// Aliases can nest deeply in hostile input; real configs are a few levels deep.
const MAX_DEPTH: usize = 24;

/// Where a key was read, borrowed from the document (see [`Level`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SiteLevel<'d> {
    Global,
    Route,
    Nested(&'d str),
}

impl SiteLevel<'_> {
    fn owned(self) -> Level {
        match self {
            SiteLevel::Global => Level::Global,
            SiteLevel::Route => Level::Route,
            SiteLevel::Nested(parent) => Level::Nested(parent.to_owned()),
        }
    }
}

/// No parent site: a top-level key.
const TOP: u32 = u32::MAX;

/// One key of the file, as [`KeySite`] without building its strings: the key is borrowed from
/// the document and the data path is written only when asked for ([`Sites::path`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site<'d> {
    pub key: &'d str,
    pub location: Location,
    pub level: SiteLevel<'d>,
    /// The entry's value as written (an alias is not followed).
    pub value: NodeId,
    /// The key's history in the Core table ([`keys::lookup`]).
    pub history: Option<&'static KeyHistory>,
    /// [`Sites::plain_path`] of this site.
    plain: bool,
    /// The site whose value holds this key ([`TOP`] for a top-level key) …
    parent: u32,
    /// … and the item of that value's sequence it is in ([`TOP`] when the value is a mapping).
    item: u32,
    /// Where the entry is written (its key is read from there again, see [`SiteTable`]).
    entry: EntryId,
}

/// Whether a stored site's level is global, a route's, or nested in its parent site's key.
#[derive(Clone, Copy, Debug)]
enum StoredLevel {
    Global,
    Route,
    Nested,
}

/// A [`Site`] without borrows, to be kept with its document.
#[derive(Clone, Debug)]
struct StoredSite {
    /// The key itself, so that the sites can be read again after the document's index is gone
    /// (a run hands the input's index to its first editing step; validation reads the input's
    /// keys at the end).
    key: SmolStr,
    map: NodeId,
    index: u32,
    /// The key's line and column (kept: finding them again reads two more nodes per site).
    line: u32,
    column: u32,
    value: NodeId,
    history: Option<&'static KeyHistory>,
    parent: u32,
    item: u32,
    level: StoredLevel,
    plain: bool,
}

/// The sites of a document as kept with it ([`Document::derived`]): detection and validation
/// read the same keys of a file that no step changed, and the walk is done once for both.
struct SiteTable(Vec<StoredSite>);

impl SiteTable {
    /// `None` for a file too large for the table's 32-bit numbers: it is walked each time.
    fn of(sites: &Sites<'_>) -> Option<SiteTable> {
        let mut list = Vec::with_capacity(sites.list.len());
        for site in &sites.list {
            list.push(StoredSite {
                key: SmolStr::new(site.key),
                map: site.entry.map,
                index: u32::try_from(site.entry.index).ok()?,
                line: u32::try_from(site.location.line).ok()?,
                column: u32::try_from(site.location.column).ok()?,
                level: match site.level {
                    SiteLevel::Global => StoredLevel::Global,
                    SiteLevel::Route => StoredLevel::Route,
                    SiteLevel::Nested(_) => StoredLevel::Nested,
                },
                value: site.value,
                history: site.history,
                plain: site.plain,
                parent: site.parent,
                item: site.item,
            });
        }
        Some(SiteTable(list))
    }

    /// The sites again, keys borrowed from the table (kept with the document it was made from:
    /// the document's tree is not read, so this works after its index was handed on).
    fn sites(&self) -> Option<Sites<'_>> {
        let mut list: Vec<Site<'_>> = Vec::with_capacity(self.0.len());
        for stored in &self.0 {
            let level = match stored.level {
                StoredLevel::Global => SiteLevel::Global,
                StoredLevel::Route => SiteLevel::Route,
                StoredLevel::Nested => SiteLevel::Nested(list.get(stored.parent as usize)?.key),
            };
            let entry = EntryId {
                map: stored.map,
                index: stored.index as usize,
            };
            list.push(Site {
                key: stored.key.as_str(),
                location: Location {
                    line: stored.line as usize,
                    column: stored.column as usize,
                },
                level,
                value: stored.value,
                history: stored.history,
                plain: stored.plain,
                parent: stored.parent,
                item: stored.item,
                entry,
            });
        }
        Some(Sites { list })
    }
}

/// The keys of a document in file order, read once and shared by detection, validation and
/// the unknown-key notes. Building it allocates one list; the keys are borrowed.
#[derive(Debug)]
pub(crate) struct Sites<'d> {
    list: Vec<Site<'d>>,
}

/// What decides how a key is walked into, worked out once per distinct key of a walk.
#[derive(Clone, Copy)]
struct KeyClass {
    history: Option<&'static KeyHistory>,
    free_form: bool,
    /// Read back as a path segment, the key is itself (see [`Sites::plain_path`]).
    plain: bool,
}

impl<'d> Sites<'d> {
    /// The sites of `doc`, walked once per document: a second call reads them from the
    /// table kept with it.
    pub fn of(doc: &'d Document) -> Sites<'d> {
        let mut walked = None;
        let table = doc.derived(|| {
            let sites = Sites::walk_all(doc);
            let table = SiteTable::of(&sites);
            walked = Some(sites);
            table
        });
        if let Some(sites) = walked {
            return sites;
        }
        table
            .and_then(Option::as_ref)
            .and_then(SiteTable::sites)
            .unwrap_or_else(|| Sites::walk_all(doc))
    }

    /// The sites of `doc`, read by walking its keys.
    fn walk_all(doc: &'d Document) -> Sites<'d> {
        // A site per mapping entry at most, and an entry has a key node and a value node: room
        // for that many is only reserved, not touched, so the list never grows by copying.
        let mut sites = Sites {
            list: Vec::with_capacity(doc.node_count() / 2),
        };
        if let Some(root) = doc.root() {
            let mut classes = KeyCache::new();
            sites.walk(doc, root, SiteLevel::Global, TOP, TOP, &mut classes, 0);
        }
        sites
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        doc: &'d Document,
        map: NodeId,
        level: SiteLevel<'d>,
        parent: u32,
        item: u32,
        classes: &mut KeyCache<'d, KeyClass>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for entry in doc.entries_iter(map) {
            let key: &'d str = entry.key;
            let class = classes.get(key, |key| KeyClass {
                history: keys::lookup(key),
                free_form: FREE_FORM.contains(&key),
                plain: !(key.is_empty() || key == "*" || key.contains(['.', '[', ']'])),
            });
            let here = self.list.len() as u32;
            let plain = class.plain && (parent == TOP || self.list[parent as usize].plain);
            self.list.push(Site {
                key,
                location: doc.location(entry.key_node),
                level,
                value: entry.value,
                history: class.history,
                plain,
                parent,
                item,
                entry: entry.id,
            });
            let routes = level == SiteLevel::Global && (key == "routes" || key == "policy");
            // A route's `policy` is PPL, not a list of routes.
            let opaque = class.free_form || (level == SiteLevel::Route && key == "policy");
            if !routes && (opaque || class.history.is_none()) {
                continue;
            }
            let child_level = if routes {
                SiteLevel::Route
            } else {
                SiteLevel::Nested(key)
            };
            let value = doc.resolve(entry.value);
            match &doc.node(value).kind {
                NodeKind::Mapping(_) if !routes => {
                    self.walk(doc, value, child_level, here, TOP, classes, depth + 1);
                }
                NodeKind::Sequence(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let item = doc.resolve(*item);
                        if doc.is_mapping(item) {
                            self.walk(doc, item, child_level, here, i as u32, classes, depth + 1);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Site<'d>> {
        self.list.iter()
    }

    pub fn get(&self, i: usize) -> &Site<'d> {
        &self.list[i]
    }

    /// The data path of site `i`, e.g. `routes[2].downstream_mtls.ca`.
    pub fn path(&self, i: usize) -> String {
        let mut out = String::new();
        self.write_path(i, &mut out);
        out
    }

    /// Appends the data path of site `i` to `out`.
    pub fn write_path(&self, i: usize, out: &mut String) {
        use std::fmt::Write as _;
        let site = &self.list[i];
        if site.parent != TOP {
            self.write_path(site.parent as usize, out);
            if site.item != TOP {
                // Writing to a String cannot fail.
                let _ = write!(out, "[{}]", site.item);
            }
            out.push('.');
        }
        out.push_str(site.key);
    }

    /// Whether the data path of site `i`, read back as a [`crate::document::Path`], leads
    /// through the same keys: no key on the way is empty, `*`, or holds `.`, `[` or `]`.
    pub fn plain_path(&self, i: usize) -> bool {
        self.list[i].plain
    }

    /// Site `i` as an owned [`KeySite`].
    pub fn key_site(&self, i: usize) -> KeySite {
        let site = &self.list[i];
        KeySite {
            key: site.key.to_owned(),
            path: self.path(i),
            location: site.location,
            level: site.level.owned(),
        }
    }

    /// The evidence of site `i`.
    fn evidence(&self, i: usize, version: Option<Version>) -> Evidence {
        let site = &self.list[i];
        Evidence {
            key: site.key.to_owned(),
            path: self.path(i),
            location: site.location,
            version,
            value: None,
        }
    }
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
pub(crate) fn kind_evidence(sites: &Sites<'_>) -> KindEvidence {
    let mut evidence = KindEvidence::default();
    for (i, site) in sites.iter().enumerate() {
        if site.level != SiteLevel::Global {
            continue;
        }
        let key = site.key;
        if key.starts_with("x-") || key.starts_with('.') {
            continue;
        }
        let console = keys::is_console_key(key);
        if key.contains('-') {
            if console {
                evidence.console.push(sites.evidence(i, None));
            }
            continue;
        }
        match (keys::lookup(key).is_some(), console) {
            (true, false) => evidence.core.push(sites.evidence(i, None)),
            (false, true) => evidence.console.push(sites.evidence(i, None)),
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
    let sites = Sites::of(doc);
    let evidence = kind_evidence(&sites);
    match evidence.decide() {
        Some(kind) => Ok(detection(doc, kind, evidence, &sites)),
        None => Err(KindUndecided { evidence }),
    }
}

/// Detects the version range of a file whose kind the user gave (`--kind core|console`); the
/// kind evidence is still weighed, so that evidence against the given kind can be reported.
pub fn detect_as(doc: &Document, kind: FileKind) -> Detection {
    let sites = Sites::of(doc);
    detection(doc, kind, kind_evidence(&sites), &sites)
}

/// Something in the file that bounds the version: a key's first and last release, or a value
/// only some releases accept. A file has one for nearly every key: it stays small.
struct Bound<'v> {
    what: BoundBy<'v>,
    min: Option<Version>,
    max: Option<Version>,
}

/// What a [`Bound`] comes from: a key (by its index in the [`Sites`]), or a value.
enum BoundBy<'v> {
    Key(usize),
    Value(&'v Evidence),
}

impl Bound<'_> {
    fn evidence(&self, sites: &Sites<'_>, version: Option<Version>) -> Evidence {
        match self.what {
            BoundBy::Key(i) => sites.evidence(i, version),
            BoundBy::Value(evidence) => Evidence {
                version,
                ..evidence.clone()
            },
        }
    }
}

/// The bounds of a file ([`bounds`]), holding the evidence of the value bounds.
struct Bounds {
    /// Per key site with a bound: its index and the bound.
    keys: Vec<(usize, Option<Version>, Option<Version>)>,
    values: Vec<(Evidence, Option<Version>, Option<Version>)>,
}

impl Bounds {
    /// Every bound, in file order (keys, then values).
    fn iter(&self) -> impl Iterator<Item = Bound<'_>> {
        let keys = self.keys.iter().map(|&(i, min, max)| Bound {
            what: BoundBy::Key(i),
            min,
            max,
        });
        let values = self.values.iter().map(|(e, min, max)| Bound {
            what: BoundBy::Value(e),
            min: *min,
            max: *max,
        });
        keys.chain(values)
    }
}

/// What a `${pomerium.…}` reference in a request header means (0.23 added the substitution).
const SUBSTITUTION: &str = "a `${pomerium.…}` substitution";
/// What `databroker_storage_type: redis` means (0.24 removed the Redis storage backend).
const REDIS: &str = "the value `redis`";

/// Every bound the keys and values of `doc` put on the version, for a file of `kind`, in file
/// order (keys, then values). Only the keys that bound something are listed, each key's
/// history looked up once.
fn bounds(doc: &Document, kind: FileKind, sites: &Sites<'_>) -> Bounds {
    let mut out = Bounds {
        keys: Vec::new(),
        values: Vec::new(),
    };
    match kind {
        FileKind::Core => {
            for (i, site) in sites.iter().enumerate() {
                let (min, max) = site.history.map_or((None, None), core_bounds);
                if min.is_some() || max.is_some() {
                    out.keys.push((i, min, max));
                }
            }
        }
        FileKind::Console => {
            for (i, site) in sites.iter().enumerate() {
                if site.level != SiteLevel::Global {
                    continue;
                }
                let snake = site.key.replace('-', "_");
                if let Some((_, min, max)) = CONSOLE_KEYS.iter().find(|(k, _, _)| *k == snake)
                    && (min.is_some() || max.is_some())
                {
                    out.keys.push((i, *min, *max));
                }
            }
        }
    }
    if kind == FileKind::Core {
        out.values = value_bounds(doc);
    }
    out
}

/// Bounds from values of a Core config: a `${pomerium.…}` substitution in a route's
/// `set_request_headers` value means 0.23 or newer (the substitution did not exist before;
/// Pomerium v0.23.0, `config/policy.go` and the upgrade guide), `databroker_storage_type: redis`
/// means 0.23 or older (0.24 removed Redis storage; the upgrade guide, v0.24.0).
fn value_bounds(doc: &Document) -> Vec<(Evidence, Option<Version>, Option<Version>)> {
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
            .str(header.node())
            .is_some_and(|v| v.contains('$') && v.contains("${pomerium."))
        {
            out.push((
                value_evidence(header.path(), header.entry.key, header.node(), SUBSTITUTION),
                Some(ESCAPING_RELEASE),
                None,
            ));
        }
    }
    if let Some(root) = doc.root()
        && let Some(storage) = doc.get(root, "databroker_storage_type")
        && doc
            .str(storage.value)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("redis"))
    {
        out.push((
            value_evidence(
                "databroker_storage_type".to_owned(),
                "databroker_storage_type",
                storage.value,
                REDIS,
            ),
            None,
            Some(Version::new(0, 23)),
        ));
    }
    out
}

/// A value of a route's `set_request_headers`, with what its data path is made of (written only
/// when asked for: a file has a header or two in each of thousands of routes).
struct RequestHeader<'d> {
    /// `routes` or `policy`.
    list: &'static str,
    route: usize,
    entry: EntryRef<'d>,
}

impl RequestHeader<'_> {
    /// The header's value as written (an alias is not followed).
    fn node(&self) -> NodeId {
        self.entry.value
    }

    /// `routes[2].set_request_headers.X-Team`.
    fn path(&self) -> String {
        format!(
            "{}[{}].set_request_headers.{}",
            self.list, self.route, self.entry.key
        )
    }
}

/// The values of every route's `set_request_headers` (under `routes` and the older `policy`),
/// as `routes[*].set_request_headers.*` then `policy[*].set_request_headers.*` select them.
fn request_header_values(doc: &Document) -> Vec<RequestHeader<'_>> {
    let mut out = Vec::new();
    let Some(root) = doc.root() else {
        return out;
    };
    for list in ["routes", "policy"] {
        let Some(routes) = doc.get(root, list) else {
            continue;
        };
        for (route, item) in doc.items(routes.value).iter().enumerate() {
            let Some(headers) = doc.get(*item, "set_request_headers") else {
                continue;
            };
            out.extend(doc.entries_iter(headers.value).map(|entry| RequestHeader {
                list,
                route,
                entry,
            }));
        }
    }
    out
}

fn detection(
    doc: &Document,
    kind: FileKind,
    kind_evidence: KindEvidence,
    sites: &Sites<'_>,
) -> Detection {
    detection_of(kind, kind_evidence, sites, &bounds(doc, kind, sites))
}

fn detection_of(
    kind: FileKind,
    kind_evidence: KindEvidence,
    sites: &Sites<'_>,
    bounds: &Bounds,
) -> Detection {
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
    let min_evidence = bounds
        .iter()
        .filter(|b| b.min == Some(min_version))
        .map(|b| b.evidence(sites, b.min))
        .collect();
    let max_evidence = bounds
        .iter()
        .filter(|b| b.max == Some(max_version))
        .map(|b| b.evidence(sites, b.max))
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

/// The bound a [`Bound`] breaks for a run from `from`, if it breaks one.
fn misfit(b: &Bound, from: Version) -> Option<Version> {
    match (b.min, b.max) {
        (Some(min), _) if from < min => Some(min),
        (_, Some(max)) if max < from => Some(max),
        _ => None,
    }
}

/// What in `doc` does not fit release `from` for a file of `kind`: keys (and values) first read
/// after it, or last read before it. Each carries the bound it breaks (`version`).
pub fn misfits(doc: &Document, kind: FileKind, from: Version) -> Vec<Evidence> {
    let sites = Sites::of(doc);
    bounds(doc, kind, &sites)
        .iter()
        .filter_map(|b| Some(b.evidence(&sites, Some(misfit(&b, from)?))))
        .collect()
}

/// [`misfits`] as a warning shows them: the first `shown` in full, and how many there are and
/// on which side of `from` (a file has thousands when `--from` is far off; only a few are
/// printed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MisfitSummary {
    pub shown: Vec<Evidence>,
    pub count: usize,
    /// Some misfit was last read before `from`.
    pub older: bool,
    /// Some misfit was first read after `from`.
    pub newer: bool,
}

pub(crate) fn misfit_summary(
    doc: &Document,
    kind: FileKind,
    from: Version,
    shown: usize,
) -> MisfitSummary {
    let sites = Sites::of(doc);
    summary_of(&sites, &bounds(doc, kind, &sites), from, shown)
}

/// [`misfit_summary`] from the bounds of a file.
fn summary_of(sites: &Sites<'_>, bounds: &Bounds, from: Version, shown: usize) -> MisfitSummary {
    let mut summary = MisfitSummary {
        shown: Vec::new(),
        count: 0,
        older: false,
        newer: false,
    };
    for b in bounds.iter() {
        let Some(version) = misfit(&b, from) else {
            continue;
        };
        summary.count += 1;
        summary.older |= version < from;
        summary.newer |= version > from;
        if summary.shown.len() < shown {
            summary.shown.push(b.evidence(sites, Some(version)));
        }
    }
    summary
}

/// [`detect`] (`kind` `None`) or [`detect_as`], and with `from` the [`misfit_summary`] of the
/// `--from` warning, reading the keys and weighing their bounds once for both.
pub(crate) fn detect_for_run(
    doc: &Document,
    kind: Option<FileKind>,
    from: Option<Version>,
    shown: usize,
) -> Result<(Detection, Option<MisfitSummary>), KindUndecided> {
    let sites = Sites::of(doc);
    let evidence = kind_evidence(&sites);
    let Some(kind) = kind.or_else(|| evidence.decide()) else {
        return Err(KindUndecided { evidence });
    };
    let bounds = bounds(doc, kind, &sites);
    let detection = detection_of(kind, evidence, &sites, &bounds);
    let misfits = from.map(|from| {
        if in_range(&detection, from) {
            MisfitSummary::default()
        } else {
            summary_of(&sites, &bounds, from, shown)
        }
    });
    Ok((detection, misfits))
}

/// Whether `from` lies inside the detected range, where no bound breaks.
fn in_range(detection: &Detection, from: Version) -> bool {
    detection.min_version <= from && from <= detection.max_version
}

/// [`misfit_summary`] of a file whose [`Detection`] (of the same document) is known: a release
/// inside the detected range breaks no bound (the range is where every bound holds), so the
/// keys are read again only for a release outside it.
pub(crate) fn misfit_summary_of(
    doc: &Document,
    detection: &Detection,
    from: Version,
    shown: usize,
) -> MisfitSummary {
    if in_range(detection, from) {
        return MisfitSummary::default();
    }
    misfit_summary(doc, detection.kind, from, shown)
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
        let Some(value) = doc.str(header.node()) else {
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
            location: doc.location(header.node()),
            path: header.path(),
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
    let sites = Sites::of(doc);
    unknown_sites(&sites, version)
        .into_iter()
        .map(|u| UnknownKey {
            key: sites.get(u.site).key.to_owned(),
            path: sites.path(u.site),
            location: sites.get(u.site).location,
            suggestion: u.suggestion,
            history: u.history,
            version,
        })
        .collect()
}

/// An unknown key as [`unknown_sites`] finds it: the [`UnknownKey`] of a site, without its
/// strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnknownSite {
    /// The index of the key in its [`Sites`].
    pub site: usize,
    pub suggestion: Option<&'static str>,
    pub history: Option<KeyHistory>,
}

/// [`unknown_keys`] of a Core config whose [`Sites`] are known already, in file order. What a
/// key is for `version` is worked out once per distinct key.
pub(crate) fn unknown_sites(sites: &Sites<'_>, version: Version) -> Vec<UnknownSite> {
    // Per key: `None` when `version` reads it, else its history and suggestion.
    type Verdict = Option<(Option<KeyHistory>, Option<&'static str>)>;
    let mut verdicts: KeyCache<'_, Verdict> = KeyCache::new();
    let mut out = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let checked = match site.level {
            SiteLevel::Global | SiteLevel::Route => true,
            SiteLevel::Nested(parent) => CHECKED_BLOCKS.contains(&parent),
        };
        // `<<` never reaches here (merges are resolved); keys are never empty in practice.
        if !checked || site.key.is_empty() {
            continue;
        }
        let verdict = verdicts.get(site.key, |_| {
            let history = site.history.copied();
            if history.is_some_and(|h| h.known_in(version)) {
                return None;
            }
            // A key with a history is what it is (removed, or newer): never a typo.
            let suggestion = if history.is_none() {
                suggest(site.key, version)
            } else {
                None
            };
            Some((history, suggestion))
        });
        if let Some((history, suggestion)) = verdict {
            out.push(UnknownSite {
                site: i,
                suggestion,
                history,
            });
        }
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

#[cfg(test)]
pub(crate) mod oracle;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::document::Format;

    fn parse(text: &str) -> Option<Document> {
        Document::parse(text.to_owned(), Format::Yaml).ok()
    }

    /// The sites a second reading takes from the table kept with the document are the ones
    /// the walk gives, on every config of the repository and on merge keys and aliases.
    #[test]
    fn sites_read_again_from_the_kept_table_are_the_walked_ones() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pending = vec![root.join("examples"), root.join("tests")];
        let mut docs = vec![
            parse("base: &b {log_level: info}\nroutes:\n  - <<: *b\n    from: https://a\n")
                .map(|d| (String::from("merge"), d)),
        ];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let format = match path.extension().and_then(|e| e.to_str()) {
                    Some("yaml" | "yml") => Format::Yaml,
                    Some("json") => Format::Json,
                    Some("toml") => Format::Toml,
                    _ => {
                        if path.is_dir() {
                            pending.push(path);
                        }
                        continue;
                    }
                };
                if let Ok(text) = std::fs::read_to_string(&path)
                    && let Ok(doc) = Document::parse(text, format)
                {
                    docs.push(Some((path.display().to_string(), doc)));
                }
            }
        }
        let mut with_keys = 0;
        for (name, doc) in docs.into_iter().flatten() {
            let walked = format!("{:?}", Sites::walk_all(&doc));
            let first = format!("{:?}", Sites::of(&doc));
            let again = Sites::of(&doc);
            assert_eq!(walked, first, "{name}");
            assert_eq!(walked, format!("{again:?}"), "{name}");
            with_keys += usize::from(again.len() > 0);
        }
        assert!(with_keys > 100, "only {with_keys} documents with keys");
    }

    const RELEASES: [Version; 8] = [
        Version::new(0, 15),
        Version::new(0, 19),
        Version::new(0, 22),
        Version::new(0, 23),
        Version::new(0, 24),
        Version::new(0, 28),
        Version::new(0, 31),
        Version::new(0, 33),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The keys read once into [`Sites`], and everything weighed from them, are what the
        /// separate walks found.
        #[test]
        fn shared_reading_matches_the_separate_walks(text in oracle::configs::config()) {
            let Some(doc) = parse(&text) else {
                return Err(TestCaseError::reject("not YAML"));
            };
            prop_assert_eq!(key_sites(&doc), oracle::key_sites(&doc), "{}", text);
            prop_assert_eq!(detect(&doc), oracle::detect(&doc), "{}", text);
            for kind in [FileKind::Core, FileKind::Console] {
                prop_assert_eq!(detect_as(&doc, kind), oracle::detect_as(&doc, kind));
                for from in RELEASES {
                    let all = oracle::misfits(&doc, kind, from);
                    prop_assert_eq!(&misfits(&doc, kind, from), &all);
                    let summary = misfit_summary(&doc, kind, from, 2);
                    prop_assert_eq!(
                        &misfit_summary_of(&doc, &detect_as(&doc, kind), from, 2),
                        &summary
                    );
                    prop_assert_eq!(
                        detect_for_run(&doc, Some(kind), Some(from), 2),
                        Ok((detect_as(&doc, kind), Some(summary.clone())))
                    );
                    prop_assert_eq!(
                        detect_for_run(&doc, None, Some(from), 2),
                        detect(&doc).map(|d| {
                            let misfits = misfit_summary(&doc, d.kind, from, 2);
                            (d, Some(misfits))
                        })
                    );
                    prop_assert_eq!(summary.count, all.len());
                    prop_assert_eq!(&summary.shown[..], &all[..all.len().min(2)]);
                    prop_assert_eq!(
                        summary.older,
                        all.iter().any(|e| e.version.is_some_and(|v| v < from))
                    );
                    prop_assert_eq!(
                        summary.newer,
                        all.iter().any(|e| e.version.is_some_and(|v| v > from))
                    );
                    prop_assert_eq!(
                        unknown_keys(&doc, kind, from),
                        oracle::unknown_keys(&doc, kind, from)
                    );
                }
            }
            let old_headers = oracle::request_header_values(&doc);
            let headers = request_header_values(&doc);
            prop_assert_eq!(headers.len(), old_headers.len());
            for (new, old) in headers.iter().zip(&old_headers) {
                prop_assert_eq!(new.path(), old.path.clone());
                prop_assert_eq!(new.node(), old.node);
            }
        }

        /// A plain data path leads to the site's own value, as selecting it did.
        #[test]
        fn plain_paths_select_the_site_value(text in oracle::configs::config()) {
            let Some(doc) = parse(&text) else {
                return Err(TestCaseError::reject("not YAML"));
            };
            let sites = Sites::of(&doc);
            for i in 0..sites.len() {
                let path = sites.path(i);
                if sites.plain_path(i) {
                    let selected = doc.select_str(&path);
                    prop_assert_eq!(
                        selected.first().map(|s| s.node),
                        Some(sites.get(i).value),
                        "{} in {}", path, text
                    );
                }
            }
        }
    }

    #[test]
    fn odd_keys_are_not_plain_paths() {
        let doc = parse("\"a.b\": 1\n\"c[0]\": 2\n\"*\": 3\nd: {e: 4}\n");
        let Some(doc) = doc else {
            panic!("test input does not parse");
        };
        let sites = Sites::of(&doc);
        let plain: Vec<(String, bool)> = (0..sites.len())
            .map(|i| (sites.path(i), sites.plain_path(i)))
            .collect();
        assert_eq!(
            plain,
            [
                ("a.b".to_owned(), false),
                ("c[0]".to_owned(), false),
                ("*".to_owned(), false),
                ("d".to_owned(), true),
            ]
        );
    }
}
