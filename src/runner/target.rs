//! The end of every run: validation at the target release and the action markers of the input
//! ([`crate::validate`]), merged with what the steps reported.

use std::collections::{HashMap, HashSet};

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
    line_map: Option<LineMap>,
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
    // From the result back to the input: the steps' own when they built it already.
    let map = (stages.len() > 1)
        .then(|| line_map.unwrap_or_else(|| LineMap::new(original.text(), result.text())));
    let to_input = |at: Location| match &map {
        Some(map) => map.locate(result, at),
        None => Some(at),
    };
    let result_keys = detect::key_sites(result);
    // The first key written at each place (a file has thousands: every lookup below is by hash).
    let mut key_at: HashMap<Location, &detect::KeySite> = HashMap::new();
    for site in &result_keys {
        key_at.entry(site.location).or_insert(site);
    }
    // Each rule with the location of its key's value, both in the input.
    let rules: Vec<(RuleFinding, Option<Location>)> =
        validate::validate_with_keys(result, &result_keys, kind, to, chain)
            .into_iter()
            .map(|mut rule| {
                let at = rule.finding.location;
                let value_at = at
                    .and_then(|at| key_at.get(&at))
                    .and_then(|site| result.select_str(&site.path).first().map(|v| v.node))
                    .and_then(|node| to_input(result.location(node)));
                rule.finding.location = at.and_then(to_input);
                (rule, value_at)
            })
            .collect();
    let input_keys: HashSet<(String, Location)> = detect::key_sites(original)
        .into_iter()
        .map(|k| (k.key, k.location))
        .collect();
    let markers = marker::scan(original);
    let line = |f: &Finding| f.location.map(|l| l.line);

    // Actions kept by choice: the accepted markers by step and line (the marker's own line and
    // the line it is attached to), the first in the file for each.
    let mut accepted: HashMap<(&str, usize), &marker::Marker> = HashMap::new();
    for m in markers
        .iter()
        .filter(|m| m.state == marker::State::Accepted)
    {
        for l in [Some(m.location.line), m.attached_line]
            .into_iter()
            .flatten()
        {
            accepted.entry((m.step.as_str(), l)).or_insert(m);
        }
    }
    for f in &mut findings {
        let Some(at) = line(f) else { continue };
        if f.severity != Severity::ActionRequired || accepted.is_empty() {
            continue;
        }
        let id = format!("v{}/{}", f.version, f.step);
        if let Some(m) = accepted.get(&(id.as_str(), at)) {
            f.severity = Severity::Note;
            f.message = format!(
                "accepted by the marker at line {}: {}",
                m.location.line, f.message
            );
        }
    }

    // Actions without a marker: does a rule keep them open?
    let rule_names: HashSet<&str> = rules.iter().map(|(r, _)| r.rule.as_str()).collect();
    for &(index, step) in untraced {
        let kept = validate::coverage(step)
            .iter()
            .any(|rule| rule_names.contains(rule));
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

    let action_lines: HashSet<usize> = findings
        .iter()
        .filter(|f| f.severity == Severity::ActionRequired)
        .filter_map(line)
        .collect();
    let open: Vec<&marker::Marker> = markers
        .iter()
        .filter(|m| m.state == marker::State::Open)
        .collect();
    // The open markers by the line they are attached to.
    let mut open_at: HashMap<usize, Vec<&marker::Marker>> = HashMap::new();
    for m in &open {
        if let Some(l) = m.attached_line {
            open_at.entry(l).or_default().push(m);
        }
    }
    let finding_locations: HashSet<Location> = findings.iter().filter_map(|f| f.location).collect();
    let reported_at = |at: Option<Location>| at.is_some_and(|at| finding_locations.contains(&at));
    let rules: Vec<Finding> = rules
        .into_iter()
        .filter(|(r, value_at)| {
            let at = line(&r.finding);
            if r.finding.severity == Severity::ActionRequired {
                let by_step = at.is_some_and(|l| action_lines.contains(&l));
                let by_marker = at.and_then(|l| open_at.get(&l)).is_some_and(|markers| {
                    markers.iter().any(|m| {
                        chain
                            .iter()
                            .find(|s| s.qualified_id() == m.step)
                            .is_some_and(|s| s.handles.contains(&r.key.as_str()))
                    })
                });
                !by_step && !by_marker
            } else {
                let left_in_place = r
                    .finding
                    .location
                    .is_some_and(|at| input_keys.contains(&(r.key.clone(), at)));
                !(left_in_place && (reported_at(r.finding.location) || reported_at(*value_at)))
            }
        })
        .map(|(r, _)| r.finding)
        .collect();
    // The step and line of every action the steps reported, for the open markers to check.
    let step_actions: HashSet<(String, usize)> = if open.is_empty() {
        HashSet::new()
    } else {
        findings
            .iter()
            .filter(|f| f.severity == Severity::ActionRequired)
            .filter_map(|f| Some((format!("v{}/{}", f.version, f.step), line(f)?)))
            .collect()
    };
    let reported = |m: &marker::Marker| {
        [Some(m.location.line), m.attached_line]
            .into_iter()
            .flatten()
            .any(|l| step_actions.contains(&(m.step.clone(), l)))
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
