//! The run report: what was (or would be) changed in each file, and what a human still has to do.
//!
//! Rendered as text for people (one finding per line group, coloured on a terminal) or as one
//! JSON document for tools (`--format json`, schema in README). Everything in a report is already
//! redacted: messages come from steps (which never include values), diffs from redacted texts,
//! and created files are listed by path, mode and size only.

pub mod github;
pub mod markdown;
pub mod sarif;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Color, Style};
use serde::Serialize;

use crate::detect::Detection;
use crate::detect_report;
use crate::diff;
use crate::document::{Format, Location};
use crate::step::{FileKind, Finding, Severity};
use crate::surface::Surface;
use crate::version::Version;

/// The version of the JSON report's layout; raised on any incompatible change.
pub const JSON_SCHEMA: u32 = 2;

/// Which command produced a report (it decides the wording).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Plan,
    Apply,
    Check,
}

/// The report of one invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub command: Command,
    pub files: Vec<FileReport>,
    /// Files (or FILE arguments) refused with an error; the other files went on.
    pub refused: Vec<Refused>,
    /// Files a directory walk or a glob found and left out (not a Pomerium config).
    pub skipped: Vec<Skipped>,
}

/// A file (or a FILE argument) refused with an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub path: String,
    /// The error, naming the file (and line and column where there is one).
    pub error: String,
    /// The exit code this error alone gives (2 invalid input, 3 refused for safety).
    pub exit_code: u8,
}

/// A file a directory walk or a glob left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The report of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    /// The path as given on the command line (`-` for stdin).
    pub path: String,
    pub kind: FileKind,
    /// Where the options live (a config file, a docker-compose file, …).
    pub surface: Surface,
    pub format: Format,
    pub from: Version,
    pub to: Version,
    /// The keys' version range when `from` was inferred from them (no `--from`).
    pub inferred: Option<Detection>,
    /// A `--kind` or `--from` given that the file's keys contradict, one line each.
    pub warnings: Vec<String>,
    /// Whether the migrated text differs from the input.
    pub changed: bool,
    /// In the order the steps ran; locations are in the input file, except after `apply`, where
    /// they point into the file as written (see `input_locations`).
    pub findings: Vec<Finding>,
    /// After `apply`: the findings' locations in the input, index for index with `findings`
    /// (whose locations then point into the written file). `None` for `plan` and `check`,
    /// whose locations are in the input already.
    pub input_locations: Option<Vec<Option<Location>>>,
    pub created: Vec<CreatedReport>,
    /// The (redacted) unified diff of the whole run; empty when unchanged.
    pub diff: String,
    /// One (redacted) diff per step that changed something, when `--per-step` asked for them.
    pub step_diffs: Option<Vec<StepDiff>>,
    /// Where the result went, for `apply`.
    pub written: Option<WrittenReport>,
    /// The last column (1-based, in characters) of each input line a finding points at: where
    /// a finding's span ends (findings cover the rest of their line).
    pub line_ends: BTreeMap<usize, usize>,
}

/// A file a step created (a decoded certificate): never its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreatedReport {
    pub path: String,
    /// Unix permission bits.
    #[serde(serialize_with = "octal_mode")]
    pub mode: u32,
    pub size: u64,
    /// It existed already with the same content and was left alone.
    pub already_present: bool,
    /// A different file exists at this path: `apply` will refuse (it never overwrites one).
    pub blocked: bool,
}

/// The diff of one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepDiff {
    /// `v0.24/set-authorization-header`.
    pub step: String,
    pub title: String,
    pub diff: String,
}

/// Where `apply` put a file's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WrittenReport {
    /// The file written (`-` for stdout).
    pub path: String,
    pub backup: Option<String>,
}

fn octal_mode<S: serde::Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{mode:04o}"))
}

/// Counts of findings by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    /// Files whose text changes.
    pub files_changed: usize,
    pub changed: usize,
    pub action_required: usize,
    pub notes: usize,
}

impl Summary {
    fn add(&mut self, findings: &[Finding]) {
        for f in findings {
            match f.severity {
                Severity::Changed => self.changed += 1,
                Severity::ActionRequired => self.action_required += 1,
                Severity::Note => self.notes += 1,
            }
        }
    }
}

impl FileReport {
    /// Where `finding`'s span ends: the end of the line it starts on.
    pub fn end_of(&self, finding: &Finding) -> Option<Location> {
        finding.location.map(|at| Location {
            line: at.line,
            column: self
                .line_ends
                .get(&at.line)
                .copied()
                .unwrap_or(at.column)
                .max(at.column),
        })
    }

    /// Where finding `index` is in the input file.
    pub fn input_location(&self, index: usize) -> Option<Location> {
        match &self.input_locations {
            Some(locations) => locations.get(index).copied().flatten(),
            None => self.findings.get(index).and_then(|f| f.location),
        }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files: 1,
            files_changed: usize::from(self.changed),
            ..Summary::default()
        };
        s.add(&self.findings);
        s
    }

    /// Whether `check` should fail for this file: it would change, or needs a human.
    pub fn pending(&self) -> bool {
        self.changed
            || self
                .findings
                .iter()
                .any(|f| f.severity == Severity::ActionRequired)
            || self.created.iter().any(|c| !c.already_present)
    }
}

impl Report {
    pub fn summary(&self) -> Summary {
        let mut total = Summary::default();
        for file in &self.files {
            let s = file.summary();
            total.files += s.files;
            total.files_changed += s.files_changed;
            total.changed += s.changed;
            total.action_required += s.action_required;
            total.notes += s.notes;
        }
        total
    }

    pub fn pending(&self) -> bool {
        self.files.iter().any(FileReport::pending)
    }

    /// Keeps only the findings of `severity` (`--only`); counts and `pending` follow.
    pub fn retain_only(&mut self, severity: Severity) {
        for file in &mut self.files {
            let keep: Vec<bool> = file
                .findings
                .iter()
                .map(|f| f.severity == severity)
                .collect();
            if let Some(locations) = &mut file.input_locations {
                let mut kept = keep.iter();
                locations.retain(|_| kept.next().copied().unwrap_or(false));
            }
            file.findings.retain(|f| f.severity == severity);
        }
    }

    /// The action-required findings of every file, in file order, with their file.
    pub fn actions(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files.iter().flat_map(|file| {
            file.findings
                .iter()
                .filter(|f| f.severity == Severity::ActionRequired)
                .map(move |f| (file, f))
        })
    }

    /// Whether any file holds a key the target ignores (what `check --strict` also fails on).
    pub fn ignored_keys(&self) -> bool {
        self.files.iter().any(|file| {
            file.findings.iter().any(|f| {
                f.step == crate::validate::IGNORED_KEY || f.step == crate::validate::UNKNOWN_KEY
            })
        })
    }
}

/// The input line ends [`FileReport::line_ends`] needs for `findings` in `text`.
pub fn line_ends(text: &str, findings: &[Finding]) -> BTreeMap<usize, usize> {
    let wanted: std::collections::BTreeSet<usize> = findings
        .iter()
        .filter_map(|f| f.location.map(|l| l.line))
        .collect();
    ends_of_lines(text, &wanted)
}

/// The width in characters (at least 1) of each of the `wanted` lines (1-based) of `text`,
/// lines cut as [`str::lines`] cuts them and without their trailing `\r`s. Only the line breaks
/// before the last wanted line are looked for, and only the wanted lines are read.
fn ends_of_lines(text: &str, wanted: &std::collections::BTreeSet<usize>) -> BTreeMap<usize, usize> {
    let mut ends = BTreeMap::new();
    let bytes = text.as_bytes();
    let mut breaks = memchr::memchr_iter(b'\n', bytes);
    let (mut line, mut start) = (1usize, 0usize);
    for &want in wanted {
        while line < want {
            match breaks.next() {
                Some(at) => {
                    start = at + 1;
                    line += 1;
                }
                None => return ends,
            }
        }
        // A text ending with a line break has no empty line after it.
        if line != want || start >= bytes.len() {
            continue;
        }
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
        let width = text[start..end].trim_end_matches('\r').chars().count();
        ends.insert(want, width.max(1));
    }
    ends
}

/// `file:line:column` of a finding (the file alone when it has no location).
pub fn place(file: &FileReport, finding: &Finding) -> String {
    match finding.location {
        Some(Location { line, column }) => format!("{}:{line}:{column}", file.path),
        None => file.path.clone(),
    }
}

/// How to render text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours (`--color`).
    pub color: bool,
    /// Print the diffs (the whole run's, or each step's when the report has them).
    pub diffs: bool,
}

pub(crate) const PATH: Style = Style::new().bold();
const CHANGED: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Green)));
pub(crate) const ACTION: Style = Style::new()
    .fg_color(Some(Color::Ansi(AnsiColor::Red)))
    .bold();
pub(crate) const NOTE: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Cyan)));
const DIM: Style = Style::new().dimmed();

pub(crate) fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Changed => CHANGED,
        Severity::ActionRequired => ACTION,
        Severity::Note => NOTE,
    }
}

/// Width of the severity column (`action-required`).
const SEVERITY_WIDTH: usize = 15;

/// The report as text for a terminal or a log.
pub fn render_text(report: &Report, options: TextOptions) -> String {
    let mut out = String::new();
    let color = options.color;
    if options.diffs {
        for file in &report.files {
            match &file.step_diffs {
                Some(steps) => {
                    for step in steps {
                        if !out.is_empty() {
                            out.push('\n');
                        }
                        let head = format!("# {}: {}", step.step, step.title);
                        let _ = writeln!(out, "{}", paint(color, PATH, &head));
                        push_diff(&mut out, &step.diff, color);
                    }
                }
                None => push_diff(&mut out, &file.diff, color),
            }
        }
    }
    for (i, file) in report.files.iter().enumerate() {
        if i > 0 || (options.diffs && !out.is_empty()) {
            out.push('\n');
        }
        render_file(&mut out, report.command, file, color);
    }
    let actions: Vec<(&FileReport, &Finding)> = report.actions().collect();
    if !actions.is_empty() {
        let places: Vec<String> = actions.iter().map(|(file, f)| place(file, f)).collect();
        let width = places.iter().map(|p| p.chars().count()).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                color,
                ACTION,
                &format!("Actions required ({}):", actions.len())
            )
        );
        for ((_, finding), place) in actions.iter().zip(&places) {
            let what = finding.message.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  {place:<width$}  {}  {what}",
                paint(
                    color,
                    PATH,
                    &format!("v{}/{}", finding.version, finding.step)
                )
            );
        }
    }
    if report.files.len() > 1 {
        let s = report.summary();
        let _ = writeln!(
            out,
            "\n{} of {} files {}; {}",
            s.files_changed,
            s.files,
            match report.command {
                Command::Plan | Command::Check => "would change",
                Command::Apply => "changed",
            },
            counts(&s)
        );
    }
    out
}

fn push_diff(out: &mut String, diff_text: &str, color: bool) {
    if diff_text.is_empty() {
        return;
    }
    if color {
        out.push_str(&diff::paint(diff_text));
    } else {
        out.push_str(diff_text);
    }
}

fn counts(s: &Summary) -> String {
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    format!(
        "{}, {}, {}",
        plural(s.changed, "change", "changes"),
        plural(s.action_required, "action required", "actions required"),
        plural(s.notes, "note", "notes")
    )
}

fn render_file(out: &mut String, command: Command, file: &FileReport, color: bool) {
    let status = match (command, file.changed) {
        (Command::Plan, true) => "would change",
        (Command::Plan, false) => "no change needed",
        (Command::Check, true) => "needs migration",
        (Command::Check, false) => "up to date",
        (Command::Apply, true) => "migrated",
        (Command::Apply, false) => "already up to date",
    };
    let what = match file.surface {
        Surface::Config(_) => format!("{} config ({})", file.kind, file.format),
        surface => format!("{surface} ({}, {})", file.kind, file.format),
    };
    let _ = writeln!(
        out,
        "{}: {what}, {} -> {}: {}; {}",
        paint(color, PATH, &file.path),
        file.from,
        file.to,
        status,
        counts(&file.summary())
    );
    if let Some(detection) = &file.inferred {
        detect_report::inferred_lines(out, detection, &file.path);
    }
    for warning in &file.warnings {
        let _ = writeln!(
            out,
            "  {}",
            paint(color, ACTION, &format!("warning: {warning}"))
        );
    }
    let places: Vec<String> = file
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| match f.location {
            Some(Location { line, column }) => {
                // After apply: where the line was in the input, when it moved.
                let was = file
                    .input_location(i)
                    .filter(|input| input.line != line)
                    .map(|input| format!(" [was {}]", input.line))
                    .unwrap_or_default();
                format!("{}:{line}:{column}{was}", file.path)
            }
            None => file.path.clone(),
        })
        .collect();
    let width = places.iter().map(|p| p.chars().count()).max().unwrap_or(0);
    for (finding, place) in file.findings.iter().zip(&places) {
        render_finding(out, &format!("{place:<width$}"), finding, color);
    }
    for created in &file.created {
        let verb = match (command, created.already_present) {
            (_, true) => "already present",
            (Command::Apply, false) => "created",
            _ => "would create",
        };
        let _ = writeln!(
            out,
            "  {verb} {} (mode {:04o}, {} bytes)",
            created.path, created.mode, created.size
        );
        if created.blocked {
            let warning = "    a different file exists there: apply will refuse to overwrite it; \
                           move it away or choose another --certs-dir";
            let _ = writeln!(out, "{}", paint(color, ACTION, warning));
        }
    }
    if let Some(written) = &file.written {
        match &written.backup {
            Some(backup) => {
                let _ = writeln!(out, "  wrote {} (backup: {backup})", written.path);
            }
            None => {
                let _ = writeln!(out, "  wrote {}", written.path);
            }
        }
    }
}

/// One finding; `place` is `file:line:column` (or the file), padded to the file's widest.
fn render_finding(out: &mut String, place: &str, finding: &Finding, color: bool) {
    let severity = format!("{:<SEVERITY_WIDTH$}", finding.severity.to_string());
    let step = format!("v{}/{}", finding.version, finding.step);
    let mut lines = finding.message.lines();
    let first = lines.next().unwrap_or_default();
    let _ = writeln!(
        out,
        "{place}  {}  {}  {first}",
        paint(color, severity_style(finding.severity), &severity),
        paint(color, PATH, &step)
    );
    for line in lines {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "    {line}");
        }
    }
    if !finding.link.is_empty() {
        let _ = writeln!(
            out,
            "    {}",
            paint(color, DIM, &format!("see {}", finding.link))
        );
    }
}

/// The JSON form of a report (schema documented in README, versioned by [`JSON_SCHEMA`]).
#[derive(Serialize)]
struct JsonReport<'a> {
    schema: u32,
    command: Command,
    files: Vec<JsonFile<'a>>,
    refused: &'a [Refused],
    skipped: &'a [Skipped],
    summary: Summary,
    /// Whether `check` fails on this report.
    pending: bool,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    kind: FileKind,
    /// `config`, `compose`, `dotenv`, `kubernetes` or `helm`.
    surface: &'static str,
    format: String,
    from: Version,
    to: Version,
    /// The keys' version range when `from` was inferred (`null` with `--from`).
    inferred: Option<detect_report::JsonRange<'a>>,
    /// A `--kind` or `--from` given that the file's keys contradict, one line each.
    warnings: &'a [String],
    changed: bool,
    findings: Vec<JsonFinding<'a>>,
    created: &'a [CreatedReport],
    diff: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<&'a [StepDiff]>,
    written: Option<&'a WrittenReport>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    /// `v0.24/set-authorization-header`.
    id: String,
    version: Version,
    step: &'a str,
    severity: Severity,
    /// Where the finding is in the file as written by `apply` (the input for plan/check).
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    /// Where the finding is in the input file (equal to line/column for plan/check).
    input_line: Option<usize>,
    input_column: Option<usize>,
    message: &'a str,
    link: &'a str,
}

/// The report as one pretty-printed JSON document.
pub fn render_json(report: &Report) -> String {
    let json = JsonReport {
        schema: JSON_SCHEMA,
        command: report.command,
        files: report
            .files
            .iter()
            .map(|f| JsonFile {
                path: &f.path,
                kind: f.kind,
                surface: f.surface.name(),
                format: f.format.to_string(),
                from: f.from,
                to: f.to,
                inferred: f.inferred.as_ref().map(detect_report::json_range),
                warnings: &f.warnings,
                changed: f.changed,
                findings: f
                    .findings
                    .iter()
                    .enumerate()
                    .map(|(i, x)| JsonFinding {
                        id: format!("v{}/{}", x.version, x.step),
                        version: x.version,
                        step: x.step,
                        severity: x.severity,
                        line: x.location.map(|l| l.line),
                        column: x.location.map(|l| l.column),
                        end_line: f.end_of(x).map(|l| l.line),
                        end_column: f.end_of(x).map(|l| l.column),
                        input_line: f.input_location(i).map(|l| l.line),
                        input_column: f.input_location(i).map(|l| l.column),
                        message: &x.message,
                        link: x.link,
                    })
                    .collect(),
                created: &f.created,
                diff: (!f.diff.is_empty()).then_some(f.diff.as_str()),
                steps: f.step_diffs.as_deref(),
                written: f.written.as_ref(),
            })
            .collect(),
        refused: &report.refused,
        skipped: &report.skipped,
        summary: report.summary(),
        pending: report.pending(),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    /// [`super::ends_of_lines`] as it was first written: every line of the text read in turn.
    fn ends_of_lines_by_every_line(
        text: &str,
        wanted: &std::collections::BTreeSet<usize>,
    ) -> BTreeMap<usize, usize> {
        let mut ends = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if wanted.contains(&(i + 1)) {
                let width = line.trim_end_matches('\r').chars().count();
                ends.insert(i + 1, width.max(1));
            }
        }
        ends
    }

    proptest::proptest! {
        #[test]
        fn line_ends_read_only_the_wanted_lines_and_agree_with_reading_every_line(
            text in "(a|é|\r|\n|\r\n| ){0,40}",
            wanted in proptest::collection::btree_set(0usize..20, 0..8),
        ) {
            proptest::prop_assert_eq!(
                super::ends_of_lines(&text, &wanted),
                ends_of_lines_by_every_line(&text, &wanted)
            );
        }
    }

    use super::*;

    fn finding(severity: Severity, line: Option<usize>, message: &str) -> Finding {
        Finding {
            version: Version::new(0, 24),
            step: "set-authorization-header",
            severity,
            location: line.map(|line| Location { line, column: 3 }),
            message: message.to_owned(),
            link: "https://www.pomerium.com/docs/deploy/upgrading",
        }
    }

    fn sample() -> Report {
        Report {
            command: Command::Plan,
            files: vec![FileReport {
                path: "config.yaml".into(),
                kind: FileKind::Core,
                surface: Surface::Config(FileKind::Core),
                format: Format::Yaml,
                from: Version::new(0, 20),
                to: Version::new(0, 25),
                inferred: None,
                warnings: Vec::new(),
                input_locations: None,
                changed: true,
                findings: vec![
                    finding(Severity::Changed, Some(12), "replaced it"),
                    finding(Severity::ActionRequired, None, "do this\nthen that"),
                ],
                created: vec![CreatedReport {
                    path: "certs/a.pem".into(),
                    mode: 0o600,
                    size: 241,
                    already_present: false,
                    blocked: false,
                }],
                diff: "--- a/config.yaml\n+++ b/config.yaml\n@@ -1 +1 @@\n-a\n+b\n".into(),
                step_diffs: None,
                written: None,
                line_ends: BTreeMap::from([(12, 40)]),
            }],
            refused: Vec::new(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn text_has_one_line_group_per_finding() {
        let text = render_text(&sample(), TextOptions::default());
        let expected = "\
config.yaml: core config (yaml), 0.20 -> 0.25: would change; 1 change, 1 action required, 0 notes
config.yaml:12:3  changed          v0.24/set-authorization-header  replaced it
    see https://www.pomerium.com/docs/deploy/upgrading
config.yaml       action-required  v0.24/set-authorization-header  do this
    then that
    see https://www.pomerium.com/docs/deploy/upgrading
  would create certs/a.pem (mode 0600, 241 bytes)

Actions required (1):
  config.yaml  v0.24/set-authorization-header  do this
";
        assert_eq!(text, expected);
        // --only keeps the findings of one severity, and the counts follow.
        let mut only = sample();
        only.retain_only(Severity::Changed);
        let text = render_text(&only, TextOptions::default());
        assert!(text.contains("1 change, 0 actions required"), "{text}");
        assert!(!text.contains("Actions required"), "{text}");
    }

    #[test]
    fn text_shows_diffs_and_colours_when_asked() {
        let options = TextOptions {
            color: true,
            diffs: true,
        };
        let text = render_text(&sample(), options);
        assert!(text.starts_with("\x1b[1m--- a/config.yaml"));
        assert!(text.contains("\x1b[1m\x1b[31maction-required\x1b[0m"));
        let plain = render_text(
            &sample(),
            TextOptions {
                color: false,
                diffs: true,
            },
        );
        assert!(!plain.contains('\x1b'));
        assert!(plain.contains("-a\n+b\n\nconfig.yaml: core config"));
    }

    #[test]
    fn json_has_the_documented_shape() -> Result<(), serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(&render_json(&sample()))?;
        assert_eq!(v["schema"], 2);
        assert_eq!(v["command"], "plan");
        assert_eq!(v["pending"], true);
        let file = &v["files"][0];
        assert_eq!(file["path"], "config.yaml");
        assert_eq!(file["kind"], "core");
        assert_eq!(file["format"], "yaml");
        assert_eq!(file["from"], "0.20");
        assert_eq!(file["to"], "0.25");
        assert_eq!(file["changed"], true);
        assert_eq!(file["findings"][0]["id"], "v0.24/set-authorization-header");
        assert_eq!(file["findings"][0]["severity"], "changed");
        assert_eq!(file["findings"][0]["line"], 12);
        assert_eq!(file["findings"][0]["end_line"], 12);
        assert_eq!(file["findings"][0]["end_column"], 40);
        assert!(file["findings"][1]["end_line"].is_null());
        assert_eq!(v["refused"], serde_json::json!([]));
        assert_eq!(file["findings"][1]["severity"], "action-required");
        assert!(file["findings"][1]["line"].is_null());
        assert_eq!(file["created"][0]["mode"], "0600");
        assert_eq!(file["created"][0]["size"], 241);
        assert!(
            file["diff"]
                .as_str()
                .is_some_and(|d| d.starts_with("--- a/"))
        );
        assert!(file.get("steps").is_none());
        assert!(file["written"].is_null());
        assert_eq!(v["summary"]["action_required"], 1);
        Ok(())
    }

    #[test]
    fn an_inferred_from_is_shown_in_text_and_json() -> Result<(), serde_json::Error> {
        use crate::detect::Evidence;
        let mut report = sample();
        let file = &mut report.files[0];
        file.from = Version::new(0, 17);
        file.inferred = Some(Detection {
            kind: FileKind::Core,
            kind_evidence: crate::detect::KindEvidence::default(),
            min_version: Version::new(0, 17),
            max_version: Version::new(0, 22),
            min_evidence: vec![Evidence {
                key: "set_authorization_header".into(),
                path: "routes[0].set_authorization_header".into(),
                location: Location { line: 7, column: 5 },
                version: Some(Version::new(0, 17)),
                value: None,
            }],
            max_evidence: Vec::new(),
            contradictory: false,
        });
        let text = render_text(&report, TextOptions::default());
        assert!(
            text.starts_with(
                "config.yaml: core config (yaml), 0.17 -> 0.25: would change; 1 change, 1 action \
                 required, 0 notes\n  --from inferred: the keys fit 0.17 to 0.22; starting at \
                 0.17"
            ),
            "{text}"
        );
        assert!(text.contains(
            "\n    at least 0.17: `routes[0].set_authorization_header` at config.yaml:7:5\n"
        ));
        let v: serde_json::Value = serde_json::from_str(&render_json(&report))?;
        let inferred = &v["files"][0]["inferred"];
        assert_eq!(inferred["min_version"], "0.17");
        assert_eq!(inferred["max_version"], "0.22");
        assert_eq!(inferred["min_evidence"][0]["line"], 7);
        assert_eq!(inferred["max_evidence"], serde_json::json!([]));
        // Without inference the field is there, as null.
        let v: serde_json::Value = serde_json::from_str(&render_json(&sample()))?;
        assert!(v["files"][0]["inferred"].is_null());
        Ok(())
    }

    #[test]
    fn only_keeps_the_input_locations_of_the_findings_it_keeps() {
        let mut report = sample();
        let file = &mut report.files[0];
        let input = |line| Some(Location { line, column: 1 });
        file.input_locations = Some(vec![input(30), input(40)]);
        report.retain_only(Severity::ActionRequired);
        let file = &report.files[0];
        assert_eq!(file.findings.len(), 1);
        assert_eq!(file.input_location(0), input(40));
        assert_eq!(file.input_location(1), None);
    }

    #[test]
    fn pending_means_changes_or_actions() {
        let mut r = sample();
        assert!(r.pending());
        let file = &mut r.files[0];
        file.changed = false;
        file.created.clear();
        file.findings
            .retain(|f| f.severity != Severity::ActionRequired);
        assert!(!r.pending());
        r.files[0]
            .findings
            .push(finding(Severity::Note, None, "fyi"));
        assert!(!r.pending());
    }
}
