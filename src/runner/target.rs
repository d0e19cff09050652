//! The end of every run: validation at the target release and the action markers of the input
//! ([`crate::validate`]), merged with what the steps reported.

use super::Stage;
use super::locate::LineMap;
use crate::step::{FileKind, Finding, Step};
use crate::version::Version;

/// The end of every run: validation at the target and the markers of the input, merged with
/// the steps' findings (module docs of [`validate`]). All locations are in the input.
///
/// What is reported once:
/// - a rule finding is left out when a step of this run reported on the same line (an action,
///   for the rules that raise actions; anything, for notes) or, for notes, handles the key;
/// - a rule action is left out when an open marker above its line belongs to a step that
///   handles the key (the marker is reported instead);
/// - a marker is left out when its step reported an action at its line or the line it marks
///   in this run (the step's finding is reported instead).
///
/// A step's action at a line marked `accepted` for that step becomes a note. An action that
/// left no marker and that no rule keeps open says that `check` will not report it again.
pub(super) fn validate_result(
    stages: &[Stage],
    ran: &[&'static Step],
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
    let mut rules = validate::validate(result, kind, to, chain);
    for rule in &mut rules {
        if let Some(map) = &map {
            rule.finding.location = rule.finding.location.and_then(|at| map.locate(result, at));
        }
    }
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
        let kept = rules.iter().any(|r| covers.contains(&r.rule.as_str()));
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
    let rules: Vec<Finding> = rules
        .into_iter()
        .filter(|r| {
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
                !ran.iter().any(|s| s.handles.contains(&r.key.as_str()))
            }
        })
        .map(|r| r.finding)
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
