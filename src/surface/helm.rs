//! Helm values of Pomerium's two charts (pomerium/pomerium-helm; the facts and their evidence
//! are in [`super::helm_tables`]).
//!
//! **`pomerium-console`.** The chart writes every non-empty `config.<key>` value into the
//! Console's `config.yaml` as `{{ snakecase $k }}: {{ $v }}`
//! (`charts/pomerium-console/templates/secret.yaml:24-28`), so `config.signingKey` is the
//! Console option `signing_key`. The values are projected into a virtual Console config
//! ([`super::virtual_config`]) under their snake_case names and the Console steps run on it:
//! a renamed option renames the camelCase value (`disableValidation` → `validationMode`), a
//! rewritten value is rewritten, a removed option's value is commented out, and an option a
//! step adds (`--set license-key=…`) is added under `config` in camelCase.
//!
//! **`pomerium` (deprecated since chart 33.0.0 in favour of the Ingress Controller;
//! `charts/pomerium/README.md:94-96`).**
//! - `config.extraOpts` is appended to the rendered `config.yaml` as it is
//!   (`_helpers.tpl:452-455`): it is migrated like a config file, its block replaced by the
//!   migrated text ([`Edit::ReplaceBlock`]), comments kept.
//! - Values the chart renders as options that releases removed or refuse
//!   ([`super::helm_tables::POMERIUM_VALUES`]: `authenticate.idp.serviceAccount`,
//!   `config.administrators`, `redis.enabled`, `databroker.storage.type`, `tracing.*`,
//!   `forwardAuth.enabled`) are projected as the options they render, and the chain judges
//!   them. A value that can simply go is commented out; the others (a switch such as
//!   `redis.enabled`, or `tracing.*` while `tracing.enabled` is true, where removing one value
//!   would break the chart's rendering) get an action saying what to set.
//! - `config.policy` was renamed `config.routes` in chart 25.0.0 (Pomerium 0.15.3; "Rename
//!   `config.policy` to `config.routes` in your values file", README upgrade notes): a run to
//!   0.16 or later renames it.
//! - A note says the chart is deprecated, and which chart version deploys which release.
//!
//! **Versions.** `--from`, else a chart version the values name the way Helm labels objects
//! (`pomerium-25.0.0`, `pomerium-console-11.0.0`, in a comment or a value) through the charts'
//! `appVersion` history, else `image.tag`, else the options' keys (as for a config).

use crate::document::{Document, Edit, EntryId, Location, NodeId, Value};
use crate::runner::{self, FileRun, Input, RunConfig, RunError, Stage};
use crate::step::{FileKind, Finding, Severity};
use crate::validate::marker;
use crate::version::Version;

use super::helm_tables::{
    self, CONSOLE_CHART, ChartValue, ChartVersion, DEPRECATED_IN, POMERIUM_CHART, POMERIUM_VALUES,
    Rendered,
};
use super::image::Image;
use super::virtual_config::{self, Fate, Origin, Piece, VirtualEntry};
use super::{HelmChart, Surface, finding};

/// Ids of the findings this module reports itself.
const HELM_VALUE: &str = "helm-value";
const HELM_CHART: &str = "helm-chart";

/// Migrates a Helm values file of `chart`.
pub fn migrate(
    input: Input,
    document: Document,
    chart: HelmChart,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    let to_default = runner::default_target(config.steps);
    let evidence = version_evidence(&document, chart);
    let mut warnings = Vec::new();
    if let (Some(given), Some((found, why))) = (config.from, &evidence)
        && given != *found
    {
        warnings.push(format!("{path}: --from {given}, but {why} means {found}"));
    }
    let from = config.from.or(evidence.as_ref().map(|(v, _)| *v));
    let (from, to) = match from {
        Some(from) => {
            let (from, to) = runner::resolve_versions(from, config.to, config.steps)?;
            (Some(from), to)
        }
        None => (None, config.to.unwrap_or(to_default)),
    };
    let mut done = Done::default();
    match chart {
        HelmChart::Console => console(&input, &document, from, config, &mut done)?,
        HelmChart::Pomerium => pomerium(&input, &document, from, to, config, &mut done)?,
    }
    let from = from.or(done.inferred).unwrap_or(to);
    let mut stages = vec![Stage {
        step: None,
        document,
    }];
    if !done.edits.is_empty() {
        let result = stages[0]
            .document
            .apply(&done.edits)
            .map_err(|source| RunError::Step {
                path: path.clone(),
                step: "Helm values".into(),
                source,
            })?;
        stages.push(Stage {
            step: None,
            document: result,
        });
    }
    let mut findings = done.findings;
    findings.sort_by_key(|f| f.location.map(|l| (l.line, l.column)));
    Ok(FileRun {
        input,
        format: crate::document::Format::Yaml,
        kind: match chart {
            HelmChart::Console => FileKind::Console,
            HelmChart::Pomerium => FileKind::Core,
        },
        surface: Surface::Helm(chart),
        from,
        to,
        inferred: None,
        warnings,
        stages,
        findings,
        created: Vec::new(),
        decoded: Vec::new(),
        line_ops: Default::default(),
        input_shown: None,
    })
}

/// What `detect` lists of Helm values: the chart's Pomerium component, with the release the
/// values name.
pub fn components(doc: &Document, chart: HelmChart) -> Vec<super::Component> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let at = doc
        .get(root, "config")
        .map_or(Location { line: 1, column: 1 }, |e| {
            doc.location(e.key_node)
        });
    let image = doc.get(root, "image").and_then(|i| {
        let repository = doc
            .get(i.value, "repository")
            .and_then(|e| doc.str(e.value));
        let tag = doc.get(i.value, "tag").and_then(|e| doc.str(e.value));
        match (repository, tag) {
            (Some(r), Some(t)) if !t.is_empty() => Some(format!("{r}:{t}")),
            (Some(r), _) => Some(r.to_owned()),
            _ => None,
        }
    });
    let (name, kind) = match chart {
        HelmChart::Console => ("pomerium-console chart", FileKind::Console),
        HelmChart::Pomerium => ("pomerium chart", FileKind::Core),
    };
    vec![super::Component {
        marked: None,
        name: name.to_owned(),
        kind,
        image,
        at,
        version: version_evidence(doc, chart).map(|(v, _)| v),
    }]
}

/// What the values' migration produced.
#[derive(Default)]
struct Done {
    edits: Vec<Edit>,
    findings: Vec<Finding>,
    /// The release the chain inferred from the options, when nothing else said.
    inferred: Option<Version>,
}

/// The release the values name: a chart version written as Helm labels charts
/// (`pomerium-25.0.0`), else `image.tag`. With the words saying where it was found.
fn version_evidence(doc: &Document, chart: HelmChart) -> Option<(Version, String)> {
    let (name, table) = match chart {
        HelmChart::Console => ("pomerium-console-", CONSOLE_CHART),
        HelmChart::Pomerium => ("pomerium-", POMERIUM_CHART),
    };
    let text = doc.text();
    for (at, _) in text.match_indices(name) {
        let rest = &text[at + name.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let Some(chart_version) = ChartVersion::parse(rest[..end].trim_end_matches('.')) else {
            continue;
        };
        if let Some(app) = helm_tables::app_version(table, chart_version) {
            let line = text[..at].matches('\n').count() + 1;
            return Some((
                app,
                format!("the chart version {name}{chart_version} at line {line}"),
            ));
        }
    }
    let root = doc.root()?;
    let image = doc.get(root, "image")?;
    let tag_entry = doc.get(image.value, "tag")?;
    let tag = doc.str(tag_entry.value)?;
    let version = Image::parse(&format!("image:{tag}")).version()?;
    Some((
        version,
        format!("`image.tag: {tag}` at {}", doc.location(tag_entry.key_node)),
    ))
}

/// A value read from the values file.
struct ValueEntry {
    /// The dotted path (`config.signingKey`).
    path: String,
    entry: EntryId,
    key_at: Location,
    value_node: NodeId,
    /// The scalar's text.
    text: String,
    /// Tool markers right above it (text after `# `, and where).
    markers: Vec<(String, Location)>,
}

/// The scalar at a dotted path, when it is set (not empty, not null: the charts render only
/// values that are).
fn value_at(doc: &Document, lines: &[&str], path: &str) -> Option<ValueEntry> {
    let mut node = doc.root()?;
    let mut found = None;
    for key in path.split('.') {
        let entry = doc.get(node, key)?;
        node = entry.value;
        found = Some(entry);
    }
    let entry = found?;
    let value_node = doc.resolve(entry.value);
    let text = match doc.scalar(value_node)? {
        Value::Null => return None,
        Value::String(s) if s.is_empty() => return None,
        Value::Bool(false) => return None,
        v => v.scalar_text()?,
    };
    let key_at = doc.location(entry.key_node);
    Some(ValueEntry {
        path: path.to_owned(),
        entry: entry.id,
        key_at,
        value_node,
        text,
        markers: markers_above(lines, key_at.line),
    })
}

/// Tool markers in the comment lines right above 1-based `line`, with their places.
fn markers_above(lines: &[&str], line: usize) -> Vec<(String, Location)> {
    let mut out = Vec::new();
    let mut at = line.saturating_sub(1);
    while at > 0 {
        let Some(raw) = lines.get(at - 1) else {
            break;
        };
        let text = raw.trim_start();
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim_start();
        if comment.starts_with(marker::TOOL) {
            let column = raw.len() - text.len() + 1;
            out.push((comment.to_owned(), Location { line: at, column }));
        }
        at -= 1;
    }
    out.reverse();
    out
}

/// Pieces projected into a virtual config, with where each came from.
struct Projected {
    text: String,
    pieces: Vec<Piece>,
    origins: Vec<Origin>,
    /// Per origin, the value it belongs to (`None` for a marker line).
    origin_value: Vec<Option<usize>>,
}

fn project(values: &[ValueEntry], keys: &[String], rendered: &[String]) -> Projected {
    let entries: Vec<VirtualEntry> = values
        .iter()
        .zip(keys.iter().zip(rendered))
        .map(|(v, (key, text))| VirtualEntry {
            path: vec![key.clone()],
            value: virtual_config::yaml_scalar(text),
            comments: v.markers.iter().map(|(m, _)| m.clone()).collect(),
        })
        .collect();
    let projection = virtual_config::project(&entries);
    let mut origins = Vec::new();
    let mut origin_value = Vec::new();
    for (i, value) in values.iter().enumerate() {
        origins.push(Origin {
            virtual_line: projection.lines[i],
            at: value.key_at,
        });
        origin_value.push(Some(i));
        for (line, (_, at)) in projection.comment_lines[i].iter().zip(&value.markers) {
            origins.push(Origin {
                virtual_line: *line,
                at: *at,
            });
            origin_value.push(None);
        }
    }
    Projected {
        text: projection.text.clone(),
        pieces: projection
            .lines
            .iter()
            .map(|&virtual_line| Piece { virtual_line })
            .collect(),
        origins,
        origin_value,
    }
}

/// The `pomerium-console` chart: every `config.<key>` value as the Console option
/// `snakecase(key)`.
fn console(
    input: &Input,
    doc: &Document,
    from: Option<Version>,
    config: &RunConfig<'_>,
    done: &mut Done,
) -> Result<(), RunError> {
    let Some(root) = doc.root() else {
        return Ok(());
    };
    let Some(section) = doc.get(root, "config") else {
        return Ok(());
    };
    let section_at = doc.location(section.key_node);
    let section_node = doc.resolve(section.value);
    let lines: Vec<&str> = doc.text().lines().collect();
    let values: Vec<ValueEntry> = doc
        .entries(section_node)
        .iter()
        .filter(|e| e.merged_into.is_none())
        .filter_map(|e| value_at(doc, &lines, &format!("config.{}", e.key)))
        .collect();
    let keys: Vec<String> = values
        .iter()
        .map(|v| helm_tables::snake_case(v.path.trim_start_matches("config.")))
        .collect();
    let rendered: Vec<String> = values.iter().map(|v| v.text.clone()).collect();
    let projected = project(&values, &keys, &rendered);
    let run = virtual_config::run_virtual(
        &input.source,
        projected.text.clone(),
        FileKind::Console,
        from,
        config,
    )?;
    done.inferred = Some(run.from);
    let to = run.to;
    for (mut f, origin) in
        virtual_config::relocate_findings(&run, &projected.origins, Some(section_at))
    {
        if let Some(i) = origin.and_then(|o| projected.origin_value[o]) {
            f.message = format!("`{}`: {}", values[i].path, f.message);
        }
        done.findings.push(f);
    }
    let fates = virtual_config::fates(&run, &projected.pieces);
    let mut kept_keys: Vec<String> = Vec::new();
    for (value, fate) in values.iter().zip(fates) {
        match fate {
            Fate::Kept {
                path,
                was,
                value: new_value,
                value_changed,
                markers,
            } => {
                let key = path.join(".");
                kept_keys.push(key.clone());
                if path != was {
                    let camel = helm_tables::camel_case(&key);
                    done.edits.push(Edit::RenameKey {
                        entry: value.entry,
                        new_key: camel.clone(),
                    });
                    done.findings.push(finding(
                        to,
                        HELM_VALUE,
                        Severity::Changed,
                        value.key_at,
                        format!(
                            "renamed `{}` to `config.{camel}`: the chart writes it as the Console \
                             option `{key}`",
                            value.path
                        ),
                    ));
                }
                if value_changed && new_value.is_scalar() {
                    done.edits.push(Edit::SetScalar {
                        node: value.value_node,
                        value: new_value,
                    });
                }
                for text in markers {
                    if doc.can_comment_out(value.entry) {
                        done.edits.push(Edit::Annotate {
                            entry: value.entry,
                            text,
                        });
                    }
                }
            }
            Fate::Removed { was, note } => {
                remove_value(doc, value, &was.join("."), note, to, done);
            }
        }
    }
    // Options the steps added (a license key given with --set): added under `config`.
    let result = run.result();
    if let Some(result_root) = result.root() {
        for entry in result.entries(result_root) {
            if kept_keys.iter().any(|k| k == entry.key) || keys.iter().any(|k| k == entry.key) {
                continue;
            }
            let new_value = result.value(entry.value);
            if !new_value.is_scalar() {
                continue;
            }
            let camel = helm_tables::camel_case(entry.key);
            done.edits.push(Edit::Insert {
                map: section_node,
                position: crate::document::Position::End,
                key: camel.clone(),
                value: new_value,
            });
            done.findings.push(finding(
                to,
                HELM_VALUE,
                Severity::Changed,
                section_at,
                format!(
                    "added `config.{camel}`: the chart writes it as the Console option `{}`",
                    entry.key
                ),
            ));
        }
    }
    Ok(())
}

/// Comments out (or deletes) a value whose option a release removed, under the step's note.
fn remove_value(
    doc: &Document,
    value: &ValueEntry,
    option: &str,
    note: Option<String>,
    to: Version,
    done: &mut Done,
) {
    let commented = doc.can_comment_out(value.entry);
    let note =
        note.unwrap_or_else(|| format!("{} v{to}: `{option}` is no longer read", marker::TOOL));
    done.edits.push(if commented {
        Edit::CommentOut {
            entry: value.entry,
            note,
        }
    } else {
        Edit::Delete { entry: value.entry }
    });
}

/// The deprecated `pomerium` chart.
fn pomerium(
    input: &Input,
    doc: &Document,
    from: Option<Version>,
    to: Version,
    config: &RunConfig<'_>,
    done: &mut Done,
) -> Result<(), RunError> {
    let Some(root) = doc.root() else {
        return Ok(());
    };
    let lines: Vec<&str> = doc.text().lines().collect();
    let first_key = doc
        .entries(root)
        .first()
        .map(|e| doc.location(e.key_node))
        .unwrap_or(Location { line: 1, column: 1 });
    done.findings.push(finding(
        to,
        HELM_CHART,
        Severity::Note,
        first_key,
        format!(
            "the `pomerium` Helm chart is deprecated since chart {DEPRECATED_IN} (Pomerium 0.20): \
             Pomerium recommends the Ingress Controller with its manifests \
             (https://www.pomerium.com/docs/k8s/quickstart); the last chart, 34.0.1, deploys \
             Pomerium 0.22, so running {to} also needs `image.tag` set to a {to} release"
        ),
    ));

    // `config.policy` → `config.routes` (chart 25.0.0).
    if let Some(config_entry) = doc.get(root, "config")
        && let Some(policy) = doc.get(config_entry.value, "policy")
    {
        let at = doc.location(policy.key_node);
        let routes_set = doc
            .get(config_entry.value, "routes")
            .is_some_and(|r| !doc.items(doc.resolve(r.value)).is_empty());
        if to >= Version::new(0, 16) && !routes_set {
            done.edits.push(Edit::RenameKey {
                entry: policy.id,
                new_key: "routes".into(),
            });
            done.findings.push(finding(
                Version::new(0, 16),
                HELM_VALUE,
                Severity::Changed,
                at,
                "renamed `config.policy` to `config.routes`: chart 25.0.0 (Pomerium 0.15.3) \
                 renamed the value and no longer reads `config.policy`"
                    .into(),
            ));
        } else {
            done.findings.push(finding(
                Version::new(0, 15),
                HELM_VALUE,
                Severity::ActionRequired,
                at,
                "chart 25.0.0 (Pomerium 0.15.3) renamed `config.policy` to `config.routes` and \
                 no longer reads `config.policy`: move its routes into `config.routes`"
                    .into(),
            ));
        }
    }

    // Values rendered as options.
    let mut values = Vec::new();
    let mut keys = Vec::new();
    let mut rendered = Vec::new();
    let mut specs: Vec<&ChartValue> = Vec::new();
    for spec in POMERIUM_VALUES {
        if let Some(gate) = helm_tables::gate(spec.path)
            && value_at(doc, &lines, gate).is_none_or(|g| g.text != "true")
        {
            continue;
        }
        let Some(value) = value_at(doc, &lines, spec.path) else {
            continue;
        };
        let (key, text) = match spec.rendered {
            Rendered::As(option) => (option, value.text.clone()),
            Rendered::Switch(option, text) => {
                if value.text != "true" {
                    continue;
                }
                (option, text.to_owned())
            }
        };
        keys.push(key.to_owned());
        rendered.push(text);
        values.push(value);
        specs.push(spec);
    }
    if !values.is_empty() {
        let projected = project(&values, &keys, &rendered);
        // What the chart always renders, so that the steps judge the config Pomerium gets
        // (`pomerium.config.static`: `authenticate_service_url`; `SIGNING_KEY` from a generated
        // Secret since chart 11.0.0). Findings about these lines are not the values' business.
        let mut text = projected.text.clone();
        let context_from = text.lines().count() + 1;
        text.push_str("authenticate_service_url: \"https://authenticate.example.com\"\n");
        text.push_str("signing_key: \"set-by-the-chart\"\n");
        if keys.iter().any(|k| k == "databroker_storage_type") {
            text.push_str("databroker_storage_connection_string: \"set-by-the-chart\"\n");
        }
        let mut run =
            virtual_config::run_virtual(&input.source, text, FileKind::Core, from, config)?;
        run.findings
            .retain(|f| f.location.is_none_or(|at| at.line < context_from));
        done.inferred = Some(run.from);
        let fates = virtual_config::fates(&run, &projected.pieces);
        // Values that can go are commented out; the others keep the chart rendering and get
        // the advice instead.
        let removable = |spec: &ChartValue| {
            matches!(
                spec.path,
                "authenticate.idp.serviceAccount"
                    | "authenticate.idp.serviceAccountYAML"
                    | "config.administrators"
            )
        };
        // Per value: whether the chain reported something to do, and whether the advice for
        // the values has been given.
        let mut needs_advice = vec![false; values.len()];
        let mut advised = vec![false; values.len()];
        for (mut f, origin) in virtual_config::relocate_findings(&run, &projected.origins, None) {
            let Some(i) = origin.and_then(|o| projected.origin_value[o]) else {
                done.findings.push(f);
                continue;
            };
            let spec = specs[i];
            if !removable(spec) && f.severity == Severity::Changed {
                // The chain rewrote the option, which the values cannot express: the advice
                // says what to change instead.
                needs_advice[i] = true;
                continue;
            }
            f.message = format!(
                "`{}` is rendered as `{}`: {}",
                values[i].path, keys[i], f.message
            );
            if f.severity == Severity::ActionRequired && !removable(spec) && !advised[i] {
                f.message
                    .push_str(&format!("; in these values: {}", spec.advice));
                advised[i] = true;
            }
            done.findings.push(f);
        }
        for (i, fate) in fates.into_iter().enumerate() {
            let spec = specs[i];
            match fate {
                Fate::Removed { was, note } if removable(spec) => {
                    remove_value(doc, &values[i], &was.join("."), note, run.to, done);
                    done.findings.push(finding(
                        run.to,
                        HELM_VALUE,
                        Severity::Changed,
                        values[i].key_at,
                        format!("`{}` commented out: {}", values[i].path, spec.advice),
                    ));
                }
                Fate::Removed { .. } => needs_advice[i] = true,
                Fate::Kept { path, was, .. } if path != was => {
                    advised[i] = true;
                    done.findings.push(finding(
                        run.to,
                        HELM_VALUE,
                        Severity::ActionRequired,
                        values[i].key_at,
                        format!(
                            "the chart renders `{}` as `{}`, which Pomerium renamed `{}`: set \
                             `{}` in `config.extraOpts` instead and remove `{}`",
                            values[i].path,
                            was.join("."),
                            path.join("."),
                            path.join("."),
                            values[i].path
                        ),
                    ));
                }
                Fate::Kept { .. } => {}
            }
        }
        for i in 0..values.len() {
            if needs_advice[i] && !advised[i] {
                done.findings.push(finding(
                    run.to,
                    HELM_VALUE,
                    Severity::ActionRequired,
                    values[i].key_at,
                    format!(
                        "`{}` makes the chart render `{}`, which Pomerium {} no longer reads: {}",
                        values[i].path, keys[i], run.to, specs[i].advice
                    ),
                ));
            }
        }
    }

    // `config.extraOpts`: a config of its own inside the values.
    if let Some(config_entry) = doc.get(root, "config")
        && let Some(extra) = doc.get(config_entry.value, "extraOpts")
    {
        let key_line = doc.location(extra.key_node).line;
        extra_opts(
            input,
            doc,
            key_line,
            doc.resolve(extra.value),
            from,
            config,
            done,
        )?;
    }
    Ok(())
}

/// Migrates `config.extraOpts` like a config file: its block, written at indent 0, is run
/// through the chain and replaced by the result.
fn extra_opts(
    input: &Input,
    doc: &Document,
    key_line: usize,
    node: NodeId,
    from: Option<Version>,
    config: &RunConfig<'_>,
    done: &mut Done,
) -> Result<(), RunError> {
    if !doc.is_mapping(node) || doc.entries(node).is_empty() {
        return Ok(());
    }
    let text = doc.text();
    let span = doc.span(node);
    // A flow mapping (`extraOpts: {a: 1}`) is not a block to replace.
    if text.get(span.start..span.start + 1) == Some("{") {
        return Ok(());
    }
    let first_entry = text[..span.start].rfind('\n').map_or(0, |n| n + 1);
    let indent = span.start - first_entry;
    // The block as `Edit::ReplaceBlock` replaces it: every line after the key's line (comments
    // above the first entry included), written at indent 0.
    let Some(block_start) = text
        .match_indices('\n')
        .nth(key_line.saturating_sub(1))
        .map(|(n, _)| n + 1)
        .filter(|start| *start <= first_entry)
    else {
        return Ok(());
    };
    let block = &text[block_start..span.end];
    let mut dedented = String::with_capacity(block.len());
    for line in block.split_inclusive('\n') {
        let strip = line
            .char_indices()
            .take_while(|(i, c)| *i < indent && *c == ' ')
            .count();
        dedented.push_str(&line[strip..]);
    }
    if !dedented.ends_with('\n') {
        dedented.push('\n');
    }
    let run = super::decoded::run_text(
        &input.source,
        "`config.extraOpts`",
        dedented,
        crate::document::Format::Yaml,
        FileKind::Core,
        from,
        config,
    )?;
    if done.inferred.is_none() {
        done.inferred = Some(run.from);
    }
    // Findings without a line are about a whole config (a top-level option it lacks), which
    // `extraOpts` is only a part of: the chart renders the rest.
    for f in &run.findings {
        let Some(at) = f.location else {
            continue;
        };
        done.findings.push(Finding {
            location: Some(Location {
                line: key_line + at.line,
                column: at.column + indent,
            }),
            ..f.clone()
        });
    }
    if run.changed() {
        // The migrated block, comments and commented-out options included, written back at
        // the mapping's place.
        done.edits.push(Edit::ReplaceBlock {
            node,
            yaml: run.result().text().to_owned(),
        });
    }
    Ok(())
}
