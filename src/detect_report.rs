//! How a [`Detection`] is shown: the `detect` command's output (text and JSON), and the lines
//! and JSON object that `plan`/`apply`/`check` add to a file's report when its `--from` was
//! inferred.
//!
//! Only keys, data paths and locations are printed, never values (SPEC §2).

use std::fmt::Write as _;

use serde::Serialize;

use crate::detect::{AmbiguousEscaping, Detection, ESCAPING_RELEASE, Evidence};
use crate::document::Format;
use crate::report::{self, JSON_SCHEMA};
use crate::step::FileKind;
use crate::version::Version;

/// Evidence listed in one line of text before the rest is counted.
const SHOWN_IN_LINE: usize = 4;

/// What `detect` found out about one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectedFile {
    /// As given on the command line (`-` for stdin).
    pub path: String,
    pub format: Format,
    pub detection: Detection,
    /// The kind came from `--kind`, not from the keys.
    pub kind_given: bool,
    /// Why `plan`/`apply`/`check` would refuse to infer `--from` (a `$` across 0.23).
    pub needs_from: Option<AmbiguousEscaping>,
}

/// Where a file's kind came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KindSource {
    /// Console-only or dash-case keys (console), or Core keys and none of those (core).
    Keys,
    /// No key tells: core is assumed.
    Assumed,
    /// `--kind`.
    Option,
}

impl DetectedFile {
    pub fn kind_source(&self) -> KindSource {
        if self.kind_given {
            KindSource::Option
        } else if self.detection.kind_evidence.is_empty() {
            KindSource::Assumed
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
        .map(|e| format!("`{}` at {file}:{}", e.path, e.location))
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

/// The `detect` report as text.
pub fn render_text(files: &[DetectedFile], color: bool) -> String {
    let mut out = String::new();
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_file(&mut out, file, color);
    }
    out
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

    let kind = match (file.kind_source(), d.kind) {
        (KindSource::Option, kind) => format!("{kind}, given with --kind"),
        (KindSource::Assumed, kind) => format!("{kind}, assumed: the file has no Pomerium key"),
        (KindSource::Keys, FileKind::Console) => format!(
            "console, from console-only or dash-case keys: {}",
            list(&d.kind_evidence, &file.path)
        ),
        (KindSource::Keys, FileKind::Core) => {
            "core: Core keys and no console-only or dash-case key".to_owned()
        }
    };
    let _ = writeln!(out, "  kind: {kind}");

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
                "without --from, plan/apply/check refuse: `{}` at {}:{} contains `$` and the range \
                 crosses {ESCAPING_RELEASE} (which escapes `$` as `$$`); pass --from with the \
                 release the file is used with today",
                refusal.path, file.path, refusal.location
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

/// A key that decided something, flattened like a finding's location.
#[derive(Serialize)]
pub(crate) struct JsonEvidence<'a> {
    key: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    /// The release the key bounds the version to (absent for kind evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<Version>,
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

#[derive(Serialize)]
struct JsonNeedsFrom<'a> {
    path: &'a str,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonDetectedFile<'a> {
    path: &'a str,
    kind: FileKind,
    kind_source: KindSource,
    kind_evidence: Vec<JsonEvidence<'a>>,
    format: String,
    #[serde(flatten)]
    range: JsonRange<'a>,
    /// Where plan/apply/check start without --from (`null` when they refuse).
    start_version: Option<Version>,
    needs_from: Option<JsonNeedsFrom<'a>>,
}

#[derive(Serialize)]
struct JsonDetectReport<'a> {
    schema: u32,
    command: &'static str,
    files: Vec<JsonDetectedFile<'a>>,
}

/// The `detect` report as one pretty-printed JSON document (schema in README).
pub fn render_json(files: &[DetectedFile]) -> String {
    let json = JsonDetectReport {
        schema: JSON_SCHEMA,
        command: "detect",
        files: files
            .iter()
            .map(|f| JsonDetectedFile {
                path: &f.path,
                kind: f.detection.kind,
                kind_source: f.kind_source(),
                kind_evidence: json_evidence(&f.detection.kind_evidence),
                format: f.format.to_string(),
                range: json_range(&f.detection),
                start_version: f.needs_from.is_none().then(|| f.detection.start_version()),
                needs_from: f.needs_from.as_ref().map(|r| JsonNeedsFrom {
                    path: &r.path,
                    line: r.location.line,
                    column: r.location.column,
                }),
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
        }
    }

    fn detection(min: u32, max: u32) -> Detection {
        let (min_version, max_version) = (Version::new(0, min), Version::new(0, max));
        Detection {
            kind: FileKind::Core,
            kind_evidence: vec![evidence("routes", 1, None)],
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
    fn kind_source_tells_keys_from_assumption_and_option() {
        let mut file = DetectedFile {
            path: "c.yaml".into(),
            format: Format::Yaml,
            detection: detection(17, 22),
            kind_given: false,
            needs_from: None,
        };
        assert_eq!(file.kind_source(), KindSource::Keys);
        file.detection.kind_evidence.clear();
        assert_eq!(file.kind_source(), KindSource::Assumed);
        file.kind_given = true;
        assert_eq!(file.kind_source(), KindSource::Option);
    }
}
