//! `--format sarif`: the report as a SARIF 2.1.0 log, for code-scanning views (GitHub code
//! scanning, IDE SARIF viewers).
//!
//! The log is built from the typed SARIF object model of the `serde-sarif` crate, so its
//! structure follows the OASIS schema (`tests/schemas/sarif-schema-2.1.0.json` validates real
//! output in `tests/cli_workflow.rs`). One run, whose tool lists one rule per step that reported
//! something (`v0.24/set-authorization-header`, with its documentation link). Findings are
//! results: `action-required` → `error`, `note` → `warning`, `changed` → `note`; a file that
//! would change also gets one `error` result under the rule `pomerium-migrate/needs-migration`.
//! Regions are 1-based lines and columns in the input (columns in characters,
//! `columnKind: unicodeCodePoints`). Refused files are tool execution notifications of level
//! `error`, and the invocation is then not successful.

use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, Region, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};

use super::{Command, FileReport, Report};
use crate::step::{Finding, Severity};

/// The SARIF schema the log names.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The rule of the per-file "needs migration" result.
const NEEDS_MIGRATION: &str = "pomerium-migrate/needs-migration";

/// The report as one SARIF 2.1.0 log (pretty-printed JSON).
pub fn render(report: &Report) -> String {
    let mut rules: Vec<ReportingDescriptor> = Vec::new();
    let mut rule_index = |id: &str, link: &str, title: &str| -> i64 {
        if let Some(i) = rules.iter().position(|r| r.id == id) {
            return i as i64;
        }
        let mut rule = ReportingDescriptor::builder()
            .id(id.to_owned())
            .short_description(
                MultiformatMessageString::builder()
                    .text(title.to_owned())
                    .build(),
            )
            .build();
        if !link.is_empty() {
            rule.help_uri = Some(link.to_owned());
        }
        rules.push(rule);
        (rules.len() - 1) as i64
    };
    let mut results = Vec::new();
    for file in &report.files {
        if file.changed && report.command != Command::Apply {
            let index = rule_index(
                NEEDS_MIGRATION,
                "",
                "The file needs migrating to the target Pomerium release",
            );
            results.push(
                SarifResult::builder()
                    .rule_id(NEEDS_MIGRATION.to_owned())
                    .rule_index(index)
                    .level(ResultLevel::Error)
                    .message(text(&format!(
                        "{} needs migrating from Pomerium {} to {}: {} automatic changes; run \
                         `pomerium-migrate apply {}`",
                        file.path,
                        file.from,
                        file.to,
                        file.summary().changed,
                        file.path
                    )))
                    .locations(vec![location(file, None)])
                    .build(),
            );
        }
        for finding in &file.findings {
            let id = format!("v{}/{}", finding.version, finding.step);
            let title = format!(
                "Pomerium {} migration step {}",
                finding.version, finding.step
            );
            let index = rule_index(&id, finding.link, &title);
            results.push(
                SarifResult::builder()
                    .rule_id(id)
                    .rule_index(index)
                    .level(level(finding.severity))
                    .message(text(&finding.message))
                    .locations(vec![location(file, Some(finding))])
                    .build(),
            );
        }
    }
    let notifications: Vec<Notification> = report
        .refused
        .iter()
        .map(|refused| {
            Notification::builder()
                .level(serde_json::Value::from("error"))
                .message(text(&refused.error))
                .locations(vec![
                    Location::builder()
                        .physical_location(
                            PhysicalLocation::builder()
                                .artifact_location(artifact(&refused.path))
                                .build(),
                        )
                        .build(),
                ])
                .build()
        })
        .collect();
    let invocation = Invocation::builder()
        .execution_successful(report.refused.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = ToolComponent::builder()
        .name("pomerium-migrate".to_owned())
        .version(env!("CARGO_PKG_VERSION").to_owned())
        .information_uri("https://www.pomerium.com/docs/deploy/upgrading".to_owned())
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(results)
        .column_kind(serde_json::Value::from("unicodeCodePoints"))
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA_URI.to_owned())
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build();
    // The object model holds strings, numbers and enums only: serialising cannot fail.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::ActionRequired => ResultLevel::Error,
        Severity::Note => ResultLevel::Warning,
        Severity::Changed => ResultLevel::Note,
    }
}

fn text(message: &str) -> Message {
    Message::builder().text(message.to_owned()).build()
}

/// The file as SARIF names it: a relative URI reference (`/` separators, reserved characters
/// percent-encoded); stdin is `stdin`.
fn artifact(path: &str) -> ArtifactLocation {
    let path = if path == "-" { "stdin" } else { path };
    let mut uri = String::new();
    for c in path.replace('\\', "/").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' => uri.push(c),
            _ => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    uri.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    ArtifactLocation::builder().uri(uri).build()
}

fn location(file: &FileReport, finding: Option<&Finding>) -> Location {
    let physical = match finding.and_then(|f| f.location.zip(file.end_of(f))) {
        Some((start, end)) => PhysicalLocation::builder()
            .artifact_location(artifact(&file.path))
            .region(
                Region::builder()
                    .start_line(start.line as i64)
                    .start_column(start.column as i64)
                    .end_line(end.line as i64)
                    // SARIF's end column is exclusive.
                    .end_column(end.column as i64 + 1)
                    .build(),
            )
            .build(),
        None => PhysicalLocation::builder()
            .artifact_location(artifact(&file.path))
            .build(),
    };
    Location::builder().physical_location(physical).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(
            artifact("deploy/a b.yaml").uri.as_deref(),
            Some("deploy/a%20b.yaml")
        );
        assert_eq!(artifact("-").uri.as_deref(), Some("stdin"));
        assert_eq!(artifact("é.yaml").uri.as_deref(), Some("%C3%A9.yaml"));
    }
}
