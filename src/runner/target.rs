//! The end of every run: validation at the target release and the action markers of the input
//! ([`crate::validate`]), merged with what the steps reported.

use super::Stage;
use super::locate::LineMap;
use crate::detect;
use crate::document::Location;
use crate::step::{FileKind, Finding, Step};
use crate::validate::RuleFinding;
use crate::version::Version;

/// The end of every run: validation at the target and the markers of the input, merged with
/// the steps' findings (module docs of [`validate`]). All locations are in the input.
///
/// What is reported once:
/// - a rule action is left out when a step of this run reported an action on the same line;
/// - a rule note is left out when the key was already written at that place in the input and a
///   step of this run reported on it (a finding at the key or at its value) and left it there;
///   a key a step wrote (a rename, a new entry) is checked like any other;
/// - a rule action is left out when an open marker above its line belongs to a step that
///   handles the key (the marker is reported instead);
/// - a marker is left out when its step reported an action at its line or the line it marks
///   in this run (the step's finding is reported instead).
///
/// A step's action at a line marked `accepted` for that step becomes a note. An action that
/// left no marker and that no rule keeps open says that `check` will not report it again.
pub(super) fn validate_result(
    stages: &[Stage],
    kind: FileKind,
    to: Version,
    chain: &[&'static Step],
    mut findings: Vec<Finding>,
    untraced: &[(usize, &'static Step)],
) -> Vec<Finding> {
    use crate::step::Severity;
    use crate::validate::{self, marker};
    let (Some(first), Some(last)) = (stages.first(), stages.last()) else {
        return findings;
    };
    let (original, result) = (&first.document, &last.document);
    let map = (stages.len() > 1).then(|| LineMap::new(original.text(), result.text()));
    let to_input = |at: Location| match &map {
        Some(map) => map.locate(result, at),
        None => Some(at),
    };
    let result_keys = detect::key_sites(result);
    // Each rule with the location of its key's value, both in the input.
    let rules: Vec<(RuleFinding, Option<Location>)> = validate::validate(result, kind, to, chain)
        .into_iter()
        .map(|mut rule| {
            let at = rule.finding.location;
            let value_at = result_keys
                .iter()
                .find(|site| Some(site.location) == at)
                .and_then(|site| result.select_str(&site.path).first().map(|v| v.node))
                .and_then(|node| to_input(result.location(node)));
            rule.finding.location = at.and_then(to_input);
            (rule, value_at)
        })
        .collect();
    let input_keys = detect::key_sites(original);
    let markers = marker::scan(original);
    let line = |f: &Finding| f.location.map(|l| l.line);

    // Actions kept by choice.
    for f in &mut findings {
        let Some(at) = line(f) else { continue };
        if f.severity != Severity::ActionRequired {
            continue;
        }
        let id = format!("v{}/{}", f.version, f.step);
        if let Some(m) = markers.iter().find(|m| {
            m.state == marker::State::Accepted
                && m.step == id
                && (m.attached_line == Some(at) || m.location.line == at)
        }) {
            f.severity = Severity::Note;
            f.message = format!(
                "accepted by the marker at line {}: {}",
                m.location.line, f.message
            );
        }
    }

    // Actions without a marker: does a rule keep them open?
    for &(index, step) in untraced {
        let covers = validate::coverage(step);
        let kept = rules.iter().any(|(r, _)| covers.contains(&r.rule.as_str()));
        if let Some(f) = findings.get_mut(index)
            && f.severity == Severity::ActionRequired
            && !kept
        {
            f.message.push_str(
                " (this action leaves no marker in the file, so once it is applied `check` \
                 will not report it again)",
            );
        }
    }

    let step_lines = |severity: Option<Severity>| -> Vec<usize> {
        findings
            .iter()
            .filter(|f| severity.is_none_or(|s| f.severity == s))
            .filter_map(line)
            .collect()
    };
    let action_lines = step_lines(Some(Severity::ActionRequired));
    let open: Vec<&marker::Marker> = markers
        .iter()
        .filter(|m| m.state == marker::State::Open)
        .collect();
    let reported_at =
        |at: Option<Location>| at.is_some_and(|at| findings.iter().any(|f| f.location == Some(at)));
    let rules: Vec<Finding> = rules
        .into_iter()
        .filter(|(r, value_at)| {
            let at = line(&r.finding);
            if r.finding.severity == Severity::ActionRequired {
                let by_step = at.is_some_and(|l| action_lines.contains(&l));
                let by_marker = at.is_some()
                    && open.iter().any(|m| {
                        m.attached_line == at
                            && chain
                                .iter()
                                .find(|s| s.qualified_id() == m.step)
                                .is_some_and(|s| s.handles.contains(&r.key.as_str()))
                    });
                !by_step && !by_marker
            } else {
                let left_in_place = input_keys
                    .iter()
                    .any(|k| k.key == r.key && Some(k.location) == r.finding.location);
                !(left_in_place && (reported_at(r.finding.location) || reported_at(*value_at)))
            }
        })
        .map(|(r, _)| r.finding)
        .collect();
    let reported = |m: &marker::Marker| {
        findings.iter().any(|f| {
            f.severity == Severity::ActionRequired
                && format!("v{}/{}", f.version, f.step) == m.step
                && line(f).is_some_and(|l| l == m.location.line || Some(l) == m.attached_line)
        })
    };
    let open: Vec<marker::Marker> = open.into_iter().filter(|m| !reported(m)).cloned().collect();
    let fallback = Finding {
        version: to,
        step: validate::MARKER,
        severity: Severity::ActionRequired,
        location: None,
        message: String::new(),
        link: "https://www.pomerium.com/docs/deploy/upgrading",
    };
    findings.extend(marker::findings(&open, chain, fallback));
    findings.extend(rules);
    findings
}
