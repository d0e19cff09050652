//! The commands that look without migrating: `detect` (what a file is and which versions its
//! keys fit), `list` (the chain of steps) and `explain` (a step's documentation).

use std::io::{self, Write};

use serde::Serialize;

use super::{CliError, DetectArgs, ExplainArgs, ListArgs, OutputFormat, Streams};
use crate::collect;
use crate::detect;
use crate::detect_report::{self, DetectEntry, DetectedFile, SurfaceFile, UndecidedFile};
use crate::document::Format;
use crate::report;
use crate::runner;
use crate::step::{Scope, Step};
use crate::surface::{self, Surface, SurfaceKind};
use crate::version::Version;

pub(super) fn detect(
    args: DetectArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    color: bool,
) -> Result<u8, CliError> {
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(runner::RunError::StdinTwice.into());
    }
    // Directories and globs as for plan/apply/check; a file that cannot be read or parsed is
    // reported on stderr and the others go on.
    let collected = collect::collect(
        &args.files,
        args.input_format.map(Format::from),
        streams.stdin,
    );
    let mut files = Vec::with_capacity(collected.entries.len());
    let mut code = 0;
    for entry in collected.entries {
        // A `.env` file is told by its name, before any parse.
        if args.kind.given().is_none()
            && let Ok(input) = &entry.input
            && let Some((surface @ Surface::Dotenv, evidence)) =
                surface::detect_surface(input.source.path(), None)
        {
            files.push(DetectEntry::Surface(SurfaceFile {
                path: input.source.display(),
                surface,
                evidence,
                components: surface::dotenv::components(
                    input.source.path(),
                    args.kind.surface() == Some(SurfaceKind::Dotenv),
                ),
            }));
            continue;
        }
        let parsed = entry.input.and_then(|input| {
            let format = args.input_format.map(Format::from);
            let parsed = if args.kind.given().is_some() {
                runner::parse_input(&input, format)
            } else {
                runner::parse_input_or_manifest(&input, format)
            };
            parsed.map(|p| (input, p))
        });
        let (input, (format, document)) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                writeln!(streams.stderr, "error: {error}")?;
                code = code.max(error.exit_code());
                continue;
            }
        };
        let path = input.source.display();
        let forced = args.kind.surface().filter(|s| *s != SurfaceKind::Config);
        let detected = match (args.kind.given(), forced) {
            (Some(_), _) => None,
            (None, Some(kind)) => Some((
                surface::forced_surface(
                    kind,
                    surface::detect_surface(None, Some(&document)).map(|(s, _)| s),
                ),
                format!("--kind {}", surface::kind_name(kind)),
            )),
            (None, None) => surface::detect_surface(None, Some(&document)),
        };
        if let Some((surface, evidence)) = detected {
            files.push(DetectEntry::Surface(SurfaceFile {
                components: surface::components(surface, &document, forced.is_some()),
                path,
                surface,
                evidence,
            }));
            continue;
        }
        let detection = match runner::detect_file(&document, args.kind.given()) {
            Ok(detection) => detection,
            Err(undecided) => {
                // Like plan/apply/check, which refuse a file whose kind is undecided.
                code = code.max(2);
                files.push(DetectEntry::Undecided(UndecidedFile {
                    path,
                    format,
                    undecided,
                }));
                continue;
            }
        };
        // What plan/apply/check would say without --from, for a run to the newest release.
        let needs_from =
            detect::refuse_ambiguous_escaping(&document, &detection, runner::default_target(steps))
                .err();
        files.push(DetectEntry::Detected(DetectedFile {
            path,
            format,
            detection,
            kind_given: args.kind.given().is_some(),
            needs_from,
        }));
    }
    let rendered = match args.format {
        OutputFormat::Text => detect_report::render_text(&files, color),
        OutputFormat::Json => detect_report::render_json(&files),
    };
    if !files.is_empty() || code == 0 {
        streams.stdout.write_all(rendered.as_bytes())?;
        streams.stdout.flush()?;
    }
    Ok(code)
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Core => "core",
        Scope::Console => "console",
    }
}

/// `list --format json`: the envelope every command's JSON shares (`schema`, `command`).
#[derive(Serialize)]
struct JsonList<'a> {
    schema: u32,
    command: &'static str,
    from: Version,
    to: Version,
    steps: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    id: String,
    version: Version,
    step: &'a str,
    scope: &'static str,
    title: &'a str,
    link: &'a str,
}

pub(super) fn list(
    args: ListArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
) -> Result<u8, CliError> {
    let from = args.from.unwrap_or(runner::OLDEST_KNOWN);
    let to = args.to.unwrap_or_else(|| runner::newest_version(steps));
    let (from, to) = runner::resolve_versions(from, Some(to), steps)?;
    let selected = runner::select_steps(steps, from, to, None);
    let out = &mut *streams.stdout;
    match args.format {
        OutputFormat::Json => {
            let json: Vec<JsonStep<'_>> = selected
                .iter()
                .map(|s| JsonStep {
                    id: s.qualified_id(),
                    version: s.version,
                    step: s.id,
                    scope: scope_name(s.scope),
                    title: s.title,
                    link: s.link,
                })
                .collect();
            let envelope = JsonList {
                schema: report::JSON_SCHEMA,
                command: "list",
                from,
                to,
                steps: json,
            };
            let text = serde_json::to_string_pretty(&envelope).unwrap_or_default();
            writeln!(out, "{text}")?;
        }
        OutputFormat::Text if selected.is_empty() => {
            writeln!(
                out,
                "no migration steps after {from} up to {to}: configs need no rewriting"
            )?;
        }
        OutputFormat::Text => {
            let version_width = selected
                .iter()
                .map(|s| s.version.to_string().len() + 1)
                .max()
                .unwrap_or(0);
            let id_width = selected.iter().map(|s| s.id.len()).max().unwrap_or(0);
            for s in &selected {
                let version = format!("v{}", s.version);
                writeln!(
                    out,
                    "{version:<version_width$}  {:<id_width$}  {:<7}  {}",
                    s.id,
                    scope_name(s.scope),
                    s.title
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

pub(super) fn explain(
    args: ExplainArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
) -> Result<u8, CliError> {
    let target = args.target.trim();
    let out = &mut *streams.stdout;
    if let Ok(version) = target.parse::<Version>() {
        let of_version: Vec<_> = steps.iter().filter(|s| s.version == version).collect();
        if of_version.is_empty() {
            // Validates the version (unknown → exit 2).
            runner::resolve_versions(version, Some(version), steps)?;
            writeln!(
                out,
                "v{version}: no migration step; configs valid for {} need no change for {version}",
                version.previous().unwrap_or(version)
            )?;
        }
        for (i, step) in of_version.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            write_explanation(out, step)?;
        }
        return Ok(0);
    }
    let step = steps.iter().find(|s| {
        s.id == target || s.qualified_id() == target || format!("v{}", s.qualified_id()) == target
    });
    match step {
        Some(step) => {
            write_explanation(out, step)?;
            Ok(0)
        }
        None => {
            let hint = closest_step(target, steps)
                .map(|id| format!("did you mean `{id}`? "))
                .unwrap_or_default();
            Err(CliError::Usage(format!(
                "unknown step `{target}`; {hint}`pomerium-migrate list` shows every step"
            )))
        }
    }
}

/// The step id closest to a mistyped one (by Jaro-Winkler similarity of the bare ids), when
/// it is close enough to be what was meant.
fn closest_step(target: &str, steps: &[&'static Step]) -> Option<String> {
    let bare = target
        .trim_start_matches('v')
        .split_once('/')
        .map_or(target, |(_, id)| id)
        .to_ascii_lowercase();
    steps
        .iter()
        .map(|s| (strsim::jaro_winkler(&bare, s.id), s))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s.qualified_id())
}

fn write_explanation(out: &mut dyn Write, step: &Step) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} ({} config)",
        step.qualified_id(),
        step.title,
        scope_name(step.scope)
    )?;
    if !step.link.is_empty() {
        writeln!(out, "{}", step.link)?;
    }
    writeln!(out)?;
    // `///` comments carry one leading space per line.
    let doc: Vec<&str> = step
        .doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    writeln!(out, "{}", doc.join("\n").trim_end())?;
    out.flush()
}
