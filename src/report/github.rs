//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the files of a pull request.
//!
//! - an `action-required` finding → `::error`, a `note` → `::warning`, a `changed` finding →
//!   `::notice` (the change `apply` would make);
//! - a file that would change gets one `::error` on the file saying that it needs migrating (this
//!   is what makes `check` fail), and its (redacted) diff inside a collapsed
//!   `::group::`/`::endgroup::` of the log;
//! - a refused file → `::error` with the tool's message.
//!
//! Escaping follows the runner's rules for workflow commands: in the message `%`, CR and LF
//! become `%25`, `%0D`, `%0A`; in a property value `:` and `,` also become `%3A` and `%2C`.
//! A line of a diff that would itself read as a workflow command (it starts with `::`) is
//! prefixed with a space so that the runner prints it instead.

use std::fmt::Write as _;

use super::{Command, FileReport, Report};
use crate::step::{Finding, Severity};

/// The report as workflow commands, one per line.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for file in &report.files {
        if file.changed {
            let verb = match report.command {
                Command::Apply => "was migrated",
                Command::Plan | Command::Check => "needs migrating",
            };
            let apply = match report.command {
                Command::Apply => String::new(),
                Command::Plan | Command::Check => {
                    format!("; run `pomerium-migrate apply {}`", file.path)
                }
            };
            command(
                &mut out,
                "error",
                &[("file", &file.path), ("title", "pomerium-migrate")],
                &format!(
                    "{} {verb} from Pomerium {} to {}: {} automatic changes{apply}",
                    file.path,
                    file.from,
                    file.to,
                    file.summary().changed
                ),
            );
        }
        for finding in &file.findings {
            annotate(&mut out, file, finding);
        }
        if !file.diff.is_empty() {
            let _ = writeln!(
                out,
                "::group::{}",
                escape_data(&format!("diff {}", file.path))
            );
            for line in file.diff.lines() {
                if line.starts_with("::") {
                    out.push(' ');
                }
                out.push_str(line);
                out.push('\n');
            }
            out.push_str("::endgroup::\n");
        }
    }
    for refused in &report.refused {
        command(
            &mut out,
            "error",
            &[("file", &refused.path), ("title", "pomerium-migrate")],
            &refused.error,
        );
    }
    let s = report.summary();
    let _ = writeln!(
        out,
        "pomerium-migrate: {} files, {} to change, {} changes, {} actions required, {} notes, {} \
         refused",
        s.files,
        s.files_changed,
        s.changed,
        s.action_required,
        s.notes,
        report.refused.len()
    );
    out
}

fn annotate(out: &mut String, file: &FileReport, finding: &Finding) {
    let level = match finding.severity {
        Severity::ActionRequired => "error",
        Severity::Note => "warning",
        Severity::Changed => "notice",
    };
    let title = format!("v{}/{}", finding.version, finding.step);
    let (line, col, end_line, end_col) = match (finding.location, file.end_of(finding)) {
        (Some(start), Some(end)) => (
            start.line.to_string(),
            start.column.to_string(),
            end.line.to_string(),
            end.column.to_string(),
        ),
        _ => Default::default(),
    };
    let mut props: Vec<(&str, &str)> = vec![("file", &file.path)];
    if !line.is_empty() {
        props.extend([
            ("line", line.as_str()),
            ("endLine", end_line.as_str()),
            ("col", col.as_str()),
            ("endColumn", end_col.as_str()),
        ]);
    }
    props.push(("title", &title));
    let mut message = finding.message.clone();
    if !finding.link.is_empty() {
        let _ = write!(message, "\n\nSee {}", finding.link);
    }
    command(out, level, &props, &message);
}

fn command(out: &mut String, name: &str, props: &[(&str, &str)], message: &str) {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    let _ = writeln!(
        out,
        "::{name} {}::{}",
        props.join(","),
        escape_data(message)
    );
}

/// A workflow command's message: `%`, CR and LF escaped.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`escape_data`], and `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner_rules() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
