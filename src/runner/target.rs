//! The end of every run: validation at the target release and the action markers of the input
//! ([`crate::validate`]), merged with what the steps reported.

use std::collections::{HashMap, HashSet};

use super::Stage;
use super::locate::LineMap;
use crate::detect;
use crate::document::{Location, NodeId, Path};
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
#[allow(clippy::too_many_arguments)]
pub(super) fn validate_result(
    stages: &[Stage],
    line_map: Option<LineMap>,
    kind: FileKind,
    to: Version,
    chain: &[&'static Step],
    mut findings: Vec<Finding>,
    untraced: &[(usize, &'static Step)],
    input_markers: Option<Vec<crate::validate::marker::Marker>>,
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
    // The keys of the result, read once for every check below; a run that changed nothing
    // reads the input's.
    let result_sites = detect::Sites::of(result);
    let input_sites = (stages.len() > 1).then(|| detect::Sites::of(original));
    let input_sites = input_sites.as_ref().unwrap_or(&result_sites);
    let found = validate::validate_sites(result, &result_sites, kind, to, chain);
    // The first key written at the place of each rule (a file has thousands: every lookup
    // below is by hash).
    let mut key_at: foldhash::HashMap<Location, Option<usize>> = found
        .iter()
        .filter_map(|rule| Some((rule.finding.location?, None)))
        .collect();
    for (i, site) in result_sites.iter().enumerate() {
        if let Some(slot @ None) = key_at.get_mut(&site.location) {
            *slot = Some(i);
        }
    }
    // The node a key's data path leads to in the result.
    let value_of = |i: usize| -> Option<NodeId> {
        if result_sites.plain_path(i) {
            return Some(result_sites.get(i).value);
        }
        // A key that reads as several path segments (or none): what the path selects.
        let path = Path::parse(&result_sites.path(i)).ok()?;
        result.select(&path).first().map(|v| v.node)
    };
    // Each rule with the location of its key's value, both in the input.
    let rules: Vec<(RuleFinding, Option<Location>)> = found
        .into_iter()
        .map(|mut rule| {
            let at = rule.finding.location;
            let value_at = at
                .and_then(|at| key_at.get(&at).copied().flatten())
                .and_then(value_of)
                .and_then(|node| to_input(result.location(node)));
            rule.finding.location = at.and_then(to_input);
            (rule, value_at)
        })
        .collect();
    // The keys of the input at the places of the rules' notes (the only places asked about).
    let note_at: foldhash::HashSet<Location> = rules
        .iter()
        .filter(|(r, _)| r.finding.severity != Severity::ActionRequired)
        .filter_map(|(r, _)| r.finding.location)
        .collect();
    let input_keys: foldhash::HashSet<(&str, Location)> = input_sites
        .iter()
        .filter(|k| note_at.contains(&k.location))
        .map(|k| (k.key, k.location))
        .collect();
    // Read before the chain when the input's index was handed on.
    let markers = input_markers.unwrap_or_else(|| marker::scan(original));
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
    let rule_names: foldhash::HashSet<&str> = rules.iter().map(|(r, _)| r.rule.as_str()).collect();
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
                    .is_some_and(|at| input_keys.contains(&(r.key.as_str(), at)));
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
