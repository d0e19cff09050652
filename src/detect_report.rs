//! How a [`Detection`] is shown: the `detect` command's output (text and JSON), and the lines
//! and JSON object that `plan`/`apply`/`check` add to a file's report when its `--from` was
//! inferred.
//!
//! Only keys, data paths and locations are printed, never values (see "Secrets" in
//! `docs/ARCHITECTURE.md`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::detect::{self, AmbiguousEscaping, Detection, ESCAPING_RELEASE, Evidence};
use crate::document::{Document, Format};
use crate::report::{self, JSON_SCHEMA};
use crate::step::FileKind;
use crate::surface::{Component, Surface};
use crate::version::Version;

/// Evidence listed in one line of text before the rest is counted.
pub(crate) const SHOWN_IN_LINE: usize = 4;

/// What `detect` found out about one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectedFile {
    /// As given on the command line (`-` for stdin).
    pub path: String,
    pub format: Format,
    pub detection: Detection,
    /// The kind came from `--kind`, not from the keys.
    pub kind_given: bool,
    /// Why `plan`/`apply`/`check` would refuse to infer `--from` (a `$` or `%%` across 0.23).
    pub needs_from: Option<AmbiguousEscaping>,
}

/// What `detect` found out about one file whose kind the keys do not decide (no `--kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndecidedFile {
    pub path: String,
    pub format: Format,
    pub undecided: detect::KindUndecided,
}

/// What `detect` found out about a surface file (a docker-compose file, a manifest, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurfaceFile {
    pub path: String,
    pub surface: Surface,
    /// Why the file is that surface, in words (locations without the path).
    pub evidence: String,
    /// What in it runs Pomerium; empty: plan/apply/check skip the file.
    pub components: Vec<Component>,
}

/// One file's entry in the `detect` report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DetectEntry {
    Detected(DetectedFile),
    /// A deployment surface rather than a config file.
    Surface(SurfaceFile),
    /// `plan`/`apply`/`check` refuse such a file without `--kind` (exit 2).
    Undecided(UndecidedFile),
}

/// Where a file's kind came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KindSource {
    /// Keys only one kind reads, and none only the other reads.
    Keys,
    /// `--kind`.
    Option,
    /// No `--kind`, and the keys do not decide: evidence on both sides, or none.
    Undecided,
}

impl DetectedFile {
    pub fn kind_source(&self) -> KindSource {
        if self.kind_given {
            KindSource::Option
        } else {
            KindSource::Keys
        }
    }
}

/// `` `a` at FILE:1:1, `b` at FILE:2:1 and 3 more ``.
fn list(evidence: &[Evidence], file: &str) -> String {
    let mut text = evidence
        .iter()
        .take(SHOWN_IN_LINE)
        .map(|e| format!("{} at {file}:{}", e.subject(), e.location))
        .collect::<Vec<_>>()
        .join(", ");
    if evidence.len() > SHOWN_IN_LINE {
        let _ = write!(text, " and {} more", evidence.len() - SHOWN_IN_LINE);
    }
    text
}

/// The range in words: `the keys fit 0.17 to 0.22`, or what is wrong with it.
fn range_text(d: &Detection) -> String {
    if d.contradictory {
        format!(
            "the keys contradict each other: at least {} but at most {} (a file upgraded by \
             hand half-way?)",
            d.min_version, d.max_version
        )
    } else if !d.has_version_evidence() {
        format!(
            "no key bounds the version, any of {} to {} fits",
            d.min_version, d.max_version
        )
    } else if d.min_version == d.max_version {
        format!("the keys fit only {}", d.min_version)
    } else {
        format!("the keys fit {} to {}", d.min_version, d.max_version)
    }
}

/// The keys that set each bound, one line each, indented by `indent`.
fn bound_lines(out: &mut String, d: &Detection, file: &str, indent: &str) {
    if !d.min_evidence.is_empty() {
        let _ = writeln!(
            out,
            "{indent}at least {}: {}",
            d.min_version,
            list(&d.min_evidence, file)
        );
    }
    if !d.max_evidence.is_empty() {
        let _ = writeln!(
            out,
            "{indent}at most {}: {}",
            d.max_version,
            list(&d.max_evidence, file)
        );
    }
}

/// Why the run starts where it does.
fn start_reason(d: &Detection) -> &'static str {
    if d.contradictory {
        ", the lower bound, so that the steps retiring the older keys run"
    } else if !d.has_version_evidence() {
        ", the oldest release: every step only touches options of older releases"
    } else {
        ", the lowest release that reads every key"
    }
}

/// The lines a run report prints under the header of `file` when `--from` was inferred.
pub fn inferred_lines(out: &mut String, d: &Detection, file: &str) {
    let _ = writeln!(
        out,
        "  --from inferred: {}; starting at {}{} (pass --from to override)",
        range_text(d),
        d.start_version(),
        start_reason(d)
    );
    bound_lines(out, d, file, "    ");
}

/// The warnings of a file whose kind or `--from` was given and does not fit what its keys say:
/// one line for a `--kind` that keys only the other kind reads contradict, one for a `--from`
/// that keys (or values) first read later or last read earlier contradict. `detection` is the
/// file's detection as the run uses it; `from` the `--from` given, if any.
pub fn run_warnings(
    file: &str,
    doc: &Document,
    detection: &Detection,
    kind_given: bool,
    from: Option<Version>,
) -> Vec<String> {
    let misfits = from.map(|from| detect::misfit_summary_of(doc, detection, from, SHOWN_IN_LINE));
    run_warnings_with(file, detection, misfits.as_ref(), kind_given, from)
}

/// [`run_warnings`] with the misfits of `from` known already (`misfits` is
/// [`detect::misfit_summary`] of `from` with [`SHOWN_IN_LINE`] shown, when `from` is given).
pub(crate) fn run_warnings_with(
    file: &str,
    detection: &Detection,
    misfits: Option<&detect::MisfitSummary>,
    kind_given: bool,
    from: Option<Version>,
) -> Vec<String> {
    let mut out = Vec::new();
    if kind_given && let Some(line) = kind_warning(detection, file) {
        out.push(line);
    }
    if let (Some(from), Some(misfits)) = (from, misfits)
        && misfits.count > 0
    {
        let looks = match (misfits.older, misfits.newer) {
            (true, false) => "; the file looks older than --from",
            (false, true) => "; the file looks newer than --from",
            _ => "",
        };
        out.push(format!(
            "--from {from} does not fit this file: {}{looks}; {} (see `pomerium-migrate \
             detect`)",
            misfit_list(&misfits.shown, misfits.count, from, file),
            range_text(detection)
        ));
    }
    out
}

/// `--kind X, but only Y reads …` when keys only the other kind reads contradict a given kind.
fn kind_warning(d: &Detection, file: &str) -> Option<String> {
    let against = d.kind_evidence.against(d.kind);
    if against.is_empty() {
        return None;
    }
    let other = match d.kind {
        FileKind::Core => "the Console",
        FileKind::Console => "Core",
    };
    Some(format!(
        "--kind {}, but only {other} reads {}",
        d.kind,
        list(against, file)
    ))
}

/// `` `a` at FILE:1:1 was removed in 0.24, `b` at FILE:2:1 was added in 0.30 ``; `count` is
/// how many misfits there are in all (`misfits` may hold only the first few).
fn misfit_list(misfits: &[Evidence], count: usize, from: Version, file: &str) -> String {
    let mut text = misfits
        .iter()
        .take(SHOWN_IN_LINE)
        .map(|e| {
            let when = match e.version {
                Some(v) if v > from => format!("was added in {v}"),
                Some(v) => format!(
                    "was removed in {}",
                    Version::new(v.major, v.minor.saturating_add(1))
                ),
                None => String::new(),
            };
            format!("{} at {file}:{} {when}", e.subject(), e.location)
        })
        .collect::<Vec<_>>()
        .join(", ");
    if count > SHOWN_IN_LINE {
        let _ = write!(text, " and {} more", count - SHOWN_IN_LINE);
    }
    text
}

/// The `detect` report as text.
pub fn render_text(files: &[DetectEntry], color: bool) -> String {
    let mut out = String::new();
    for (i, entry) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match entry {
            DetectEntry::Detected(file) => render_file(&mut out, file, color),
            DetectEntry::Undecided(file) => render_undecided(&mut out, file, color),
            DetectEntry::Surface(file) => render_surface(&mut out, file, color),
        }
    }
    out
}

fn render_surface(out: &mut String, file: &SurfaceFile, color: bool) {
    let _ = writeln!(
        out,
        "{}: {} ({})",
        report::paint(color, report::PATH, &file.path),
        file.surface,
        file.evidence
    );
    if file.components.is_empty() {
        let _ = writeln!(
            out,
            "  nothing in it runs Pomerium: plan, apply and check skip it"
        );
    }
    for c in &file.components {
        // A container says what its image tag tells; values of a chart have no image.
        let image = match (&c.image, c.version) {
            (Some(i), Some(v)) => match c.marked.filter(|m| *m > v) {
                Some(m) => format!(
                    ", image `{i}` (tagged {v}; starts at {m}, the release the pomerium-migrate \
                     marker above the image says an earlier apply migrated to)"
                ),
                None => format!(", image `{i}` (starts at {v})"),
            },
            (Some(i), None) => format!(
                ", image `{i}` (no version in the tag: the start is inferred from the keys)"
            ),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            out,
            "  Pomerium {}: `{}` at {}:{}{image}",
            match c.kind {
                FileKind::Core => "Core",
                FileKind::Console => "Enterprise Console",
            },
            c.name,
            file.path,
            c.at
        );
    }
}

/// The kind evidence, one line per side (`none` for a side without any).
fn side_lines(out: &mut String, d: &detect::KindEvidence, file: &str) {
    for (who, evidence) in [("Core", &d.core), ("the Console", &d.console)] {
        let keys = if evidence.is_empty() {
            "none".to_owned()
        } else {
            list(evidence, file)
        };
        let _ = writeln!(out, "    only {who} reads: {keys}");
    }
}

fn render_undecided(out: &mut String, file: &UndecidedFile, color: bool) {
    let _ = writeln!(
        out,
        "{}: undecided kind ({})",
        report::paint(color, report::PATH, &file.path),
        file.format
    );
    let evidence = &file.undecided.evidence;
    let why = if evidence.core.is_empty() && evidence.console.is_empty() {
        "no key that only one kind reads"
    } else {
        "keys that only Core reads and keys that only the Console reads"
    };
    let _ = writeln!(out, "  kind: undecided: {why}");
    side_lines(out, evidence, &file.path);
    let refusal = "plan/apply/check refuse this file: say which it is with --kind core or \
                   --kind console";
    let _ = writeln!(out, "  {}", report::paint(color, report::ACTION, refusal));
}

fn render_file(out: &mut String, file: &DetectedFile, color: bool) {
    let d = &file.detection;
    let (lo, hi) = d.span();
    let headline = if d.contradictory {
        format!("{} config ({}), contradictory keys", d.kind, file.format)
    } else if !d.has_version_evidence() {
        format!("{} config ({}), no version evidence", d.kind, file.format)
    } else if lo == hi {
        format!("{} config ({}), Pomerium {lo}", d.kind, file.format)
    } else {
        format!("{} config ({}), Pomerium {lo} to {hi}", d.kind, file.format)
    };
    let _ = writeln!(
        out,
        "{}: {headline}",
        report::paint(color, report::PATH, &file.path)
    );

    let kind = match file.kind_source() {
        KindSource::Option => format!("{}, given with --kind", d.kind),
        _ => format!("{}, from the keys", d.kind),
    };
    let _ = writeln!(out, "  kind: {kind}");
    side_lines(out, &d.kind_evidence, &file.path);
    if file.kind_given
        && let Some(warning) = kind_warning(d, &file.path)
    {
        let warning = format!("warning: {warning}");
        let _ = writeln!(out, "  {}", report::paint(color, report::ACTION, &warning));
    }

    let version = range_text(d);
    let version = if d.contradictory {
        report::paint(color, report::NOTE, &version)
    } else {
        version
    };
    let _ = writeln!(out, "  version: {version}");
    bound_lines(out, d, &file.path, "    ");

    match &file.needs_from {
        Some(refusal) => {
            let warning = format!(
                "without --from, plan/apply/check refuse: `{}` at {}:{} contains `{}` and the \
                 range crosses {ESCAPING_RELEASE} (which reads `$$` as `$` and `%%` as `%`); \
                 pass --from with the release the file is used with today",
                refusal.path, file.path, refusal.location, refusal.found
            );
            let _ = writeln!(out, "  {}", report::paint(color, report::ACTION, &warning));
        }
        None => {
            let _ = writeln!(
                out,
                "  without --from, plan/apply/check start at {}{}",
                d.start_version(),
                start_reason(d)
            );
        }
    }
}

/// A key (or value) that decided something, flattened like a finding's location.
#[derive(Serialize)]
pub(crate) struct JsonEvidence<'a> {
    key: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    /// The release the key bounds the version to (absent for kind evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<Version>,
    /// For evidence from a value: what about the value tells (never the value).
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

fn json_evidence(evidence: &[Evidence]) -> Vec<JsonEvidence<'_>> {
    evidence
        .iter()
        .map(|e| JsonEvidence {
            key: &e.key,
            path: &e.path,
            line: e.location.line,
            column: e.location.column,
            version: e.version,
            value: e.value,
        })
        .collect()
}

/// The version range and the keys that bound it.
#[derive(Serialize)]
pub(crate) struct JsonRange<'a> {
    min_version: Version,
    max_version: Version,
    /// `min_version > max_version`: the run starts at the lower one.
    contradictory: bool,
    /// The keys first read in `min_version`.
    min_evidence: Vec<JsonEvidence<'a>>,
    /// The keys last read in `max_version`.
    max_evidence: Vec<JsonEvidence<'a>>,
}

pub(crate) fn json_range(d: &Detection) -> JsonRange<'_> {
    JsonRange {
        min_version: d.min_version,
        max_version: d.max_version,
        contradictory: d.contradictory,
        min_evidence: json_evidence(&d.min_evidence),
        max_evidence: json_evidence(&d.max_evidence),
    }
}

/// The kind evidence on each side.
#[derive(Serialize)]
struct JsonKindEvidence<'a> {
    core: Vec<JsonEvidence<'a>>,
    console: Vec<JsonEvidence<'a>>,
}

fn json_kind_evidence(e: &detect::KindEvidence) -> JsonKindEvidence<'_> {
    JsonKindEvidence {
        core: json_evidence(&e.core),
        console: json_evidence(&e.console),
    }
}

#[derive(Serialize)]
struct JsonNeedsFrom<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    /// What the value contains: `$` or `%%`.
    found: &'a str,
}

#[derive(Serialize)]
struct JsonDetectedFile<'a> {
    path: &'a str,
    /// `null` when the keys do not decide (`kind_source` is then `undecided`).
    kind: Option<FileKind>,
    kind_source: KindSource,
    kind_evidence: JsonKindEvidence<'a>,
    format: String,
    /// Absent when the kind is undecided.
    #[serde(flatten)]
    range: Option<JsonRange<'a>>,
    /// Where plan/apply/check start without --from (`null` when they refuse).
    start_version: Option<Version>,
    needs_from: Option<JsonNeedsFrom<'a>>,
    /// Evidence against a `--kind` given.
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct JsonDetectReport<'a> {
    schema: u32,
    command: &'static str,
    files: Vec<JsonDetectedFile<'a>>,
    /// Deployment surfaces (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    surfaces: Vec<JsonSurface<'a>>,
}

#[derive(Serialize)]
struct JsonSurface<'a> {
    path: &'a str,
    surface: &'static str,
    evidence: &'a str,
    components: Vec<JsonComponent<'a>>,
}

#[derive(Serialize)]
struct JsonComponent<'a> {
    name: &'a str,
    kind: FileKind,
    image: Option<&'a str>,
    line: usize,
    column: usize,
    version: Option<Version>,
}

fn json_file(entry: &DetectEntry) -> Option<JsonDetectedFile<'_>> {
    Some(match entry {
        DetectEntry::Surface(_) => return None,
        DetectEntry::Detected(f) => JsonDetectedFile {
            path: &f.path,
            kind: Some(f.detection.kind),
            kind_source: f.kind_source(),
            kind_evidence: json_kind_evidence(&f.detection.kind_evidence),
            format: f.format.to_string(),
            range: Some(json_range(&f.detection)),
            start_version: f.needs_from.is_none().then(|| f.detection.start_version()),
            needs_from: f.needs_from.as_ref().map(|r| JsonNeedsFrom {
                path: &r.path,
                line: r.location.line,
                column: r.location.column,
                found: r.found,
            }),
            warnings: if f.kind_given {
                kind_warning(&f.detection, &f.path).into_iter().collect()
            } else {
                Vec::new()
            },
        },
        DetectEntry::Undecided(f) => JsonDetectedFile {
            path: &f.path,
            kind: None,
            kind_source: KindSource::Undecided,
            kind_evidence: json_kind_evidence(&f.undecided.evidence),
            format: f.format.to_string(),
            range: None,
            start_version: None,
            needs_from: None,
            warnings: Vec::new(),
        },
    })
}

/// The `detect` report as one pretty-printed JSON document (schema in README).
pub fn render_json(files: &[DetectEntry]) -> String {
    let json = JsonDetectReport {
        schema: JSON_SCHEMA,
        command: "detect",
        files: files.iter().filter_map(json_file).collect(),
        surfaces: files
            .iter()
            .filter_map(|f| match f {
                DetectEntry::Surface(f) => Some(JsonSurface {
                    path: &f.path,
                    surface: f.surface.name(),
                    evidence: &f.evidence,
                    components: f
                        .components
                        .iter()
                        .map(|c| JsonComponent {
                            name: &c.name,
                            kind: c.kind,
                            image: c.image.as_deref(),
                            line: c.at.line,
                            column: c.at.column,
                            version: c.version,
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect(),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Location;

    fn evidence(key: &str, line: usize, version: Option<Version>) -> Evidence {
        Evidence {
            key: key.to_owned(),
            path: key.to_owned(),
            location: Location { line, column: 1 },
            version,
            value: None,
        }
    }

    fn detection(min: u32, max: u32) -> Detection {
        let (min_version, max_version) = (Version::new(0, min), Version::new(0, max));
        Detection {
            kind: FileKind::Core,
            kind_evidence: detect::KindEvidence {
                core: vec![evidence("routes", 1, None)],
                console: Vec::new(),
            },
            min_version,
            max_version,
            min_evidence: vec![evidence("downstream_mtls", 2, Some(min_version))],
            max_evidence: vec![evidence("client_crl", 3, Some(max_version))],
            contradictory: min > max,
        }
    }

    #[test]
    fn long_evidence_lists_are_cut() {
        let many: Vec<Evidence> = (1..=6).map(|n| evidence("k", n, None)).collect();
        let text = list(&many, "c.yaml");
        assert!(text.ends_with("`k` at c.yaml:4:1 and 2 more"), "{text}");
        assert_eq!(
            list(&many[..2], "c.yaml"),
            "`k` at c.yaml:1:1, `k` at c.yaml:2:1"
        );
    }

    #[test]
    fn run_reports_say_where_the_inferred_version_comes_from() {
        let mut out = String::new();
        inferred_lines(&mut out, &detection(17, 22), "c.yaml");
        assert_eq!(
            out,
            "  --from inferred: the keys fit 0.17 to 0.22; starting at 0.17, the lowest release \
             that reads every key (pass --from to override)\n    at least 0.17: \
             `downstream_mtls` at c.yaml:2:1\n    at most 0.22: `client_crl` at c.yaml:3:1\n"
        );
        let mut out = String::new();
        inferred_lines(&mut out, &detection(23, 10), "c.yaml");
        assert!(out.contains("contradict each other"), "{out}");
        assert!(out.contains("starting at 0.10, the lower bound"), "{out}");
    }

    #[test]
    fn kind_source_tells_keys_from_option() {
        let mut file = DetectedFile {
            path: "c.yaml".into(),
            format: Format::Yaml,
            detection: detection(17, 22),
            kind_given: false,
            needs_from: None,
        };
        assert_eq!(file.kind_source(), KindSource::Keys);
        file.kind_given = true;
        assert_eq!(file.kind_source(), KindSource::Option);
    }

    #[test]
    fn a_given_kind_against_the_keys_is_warned_about() {
        let mut d = detection(17, 22);
        assert_eq!(kind_warning(&d, "c.yaml"), None);
        d.kind = FileKind::Console;
        assert_eq!(
            kind_warning(&d, "c.yaml").as_deref(),
            Some("--kind console, but only Core reads `routes` at c.yaml:1:1")
        );
    }

    #[test]
    fn misfits_say_what_was_added_or_removed_when() {
        let from = Version::new(0, 25);
        let text = misfit_list(
            &[
                evidence("set_authorization_header", 7, Some(Version::new(0, 23))),
                evidence("mcp", 9, Some(Version::new(0, 30))),
            ],
            2,
            from,
            "c.yaml",
        );
        assert_eq!(
            text,
            "`set_authorization_header` at c.yaml:7:1 was removed in 0.24, `mcp` at c.yaml:9:1 \
             was added in 0.30"
        );
    }
}
