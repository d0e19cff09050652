//! `--format markdown`: the report for a change ticket or a pull-request comment — a summary
//! table with one row per file, the actions a human must take (with what to do), the notes, and
//! each file's (redacted) diff collapsed in a `<details>` block.

use std::fmt::Write as _;

use super::{Command, FileReport, Report, place};
use crate::step::{Finding, Severity};

/// The report as GitHub-flavoured Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let title = match report.command {
        Command::Plan => "Pomerium config migration plan",
        Command::Apply => "Pomerium config migration",
        Command::Check => "Pomerium config check",
    };
    let _ = writeln!(out, "## {title}\n");
    if !report.files.is_empty() {
        out.push_str("| File | Kind | From | To | Status | Changes | Actions required | Notes |\n");
        out.push_str("| --- | --- | --- | --- | --- | ---: | ---: | ---: |\n");
        for file in &report.files {
            let s = file.summary();
            let status = match (report.command, file.changed) {
                (Command::Plan | Command::Check, true) => "needs migrating",
                (Command::Apply, true) => "migrated",
                (_, false) => "up to date",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {status} | {} | {} | {} |",
                cell(&format!("`{}`", file.path)),
                file.kind,
                file.from,
                file.to,
                s.changed,
                s.action_required,
                s.notes
            );
        }
        out.push('\n');
    }
    if !report.refused.is_empty() {
        let _ = writeln!(out, "### Refused ({})\n", report.refused.len());
        for refused in &report.refused {
            let _ = writeln!(out, "- {}", inline(&refused.error));
        }
        out.push('\n');
    }
    let actions: Vec<(&FileReport, &Finding)> = report.actions().collect();
    if !actions.is_empty() {
        let _ = writeln!(out, "### Actions required ({})\n", actions.len());
        for (file, finding) in &actions {
            item(&mut out, file, finding);
        }
        out.push('\n');
    }
    let notes: Vec<(&FileReport, &Finding)> = report
        .files
        .iter()
        .flat_map(|file| {
            file.findings
                .iter()
                .filter(|f| f.severity == Severity::Note)
                .map(move |f| (file, f))
        })
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "### Notes ({})\n", notes.len());
        for (file, finding) in &notes {
            item(&mut out, file, finding);
        }
        out.push('\n');
    }
    for file in report.files.iter().filter(|f| !f.diff.is_empty()) {
        let fence = fence_for(&file.diff);
        let _ = writeln!(
            out,
            "<details>\n<summary>Diff of <code>{}</code> ({} changes)</summary>\n\n{fence}diff\n{}{fence}\n\n</details>\n",
            html(&file.path),
            file.summary().changed,
            file.diff
        );
    }
    let s = report.summary();
    let _ = writeln!(
        out,
        "{} of {} files {}; {} changes, {} actions required, {} notes.",
        s.files_changed,
        s.files,
        match report.command {
            Command::Apply => "changed",
            Command::Plan | Command::Check => "would change",
        },
        s.changed,
        s.action_required,
        s.notes
    );
    out
}

/// One finding as a list item: where, which step, what to do (further lines indented in a
/// code block when they look like YAML to paste).
fn item(out: &mut String, file: &FileReport, finding: &Finding) {
    let mut lines = finding.message.lines();
    let first = lines.next().unwrap_or_default();
    let step = format!("v{}/{}", finding.version, finding.step);
    let link = if finding.link.is_empty() {
        format!("`{step}`")
    } else {
        format!("[`{step}`]({})", finding.link)
    };
    let _ = writeln!(
        out,
        "- `{}` {link}: {}",
        place(file, finding).replace('`', "'"),
        inline(first)
    );
    let rest: Vec<&str> = lines.collect();
    if rest.iter().any(|l| !l.trim().is_empty()) {
        let block = rest.join("\n");
        let fence = fence_for(&block);
        let _ = writeln!(out, "\n  {fence}yaml");
        for line in &rest {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "  {fence}\n");
    }
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Text for a table cell: `|` escaped, one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Text on one line of a list item: HTML-like `<` escaped so that `<redacted>` shows.
fn inline(text: &str) -> String {
    text.replace('<', "&lt;").replace(['\n', '\r'], " ")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_longer_than_any_backtick_run() {
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(fence_for("plain"), "```");
    }

    #[test]
    fn cells_and_lines_stay_on_one_line() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(inline("key is <redacted>\nx"), "key is &lt;redacted> x");
    }
}
