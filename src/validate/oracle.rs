//! Validation of Core configs as it read the keys before [`crate::detect::Sites`]: kept as the
//! oracle the tests compare with.

use std::collections::HashSet;

use super::{
    IGNORED_KEY, REFERENCE, REFUSED_KEY, REFUSED_VALUE, RuleFinding, UNKNOWN_KEY, UPGRADING,
    explain, handler, refused_keys, refused_values, value_refused,
};
use crate::detect::{self, Level};
use crate::document::{Document, Location};
use crate::step::{FileKind, Finding, Severity, Step};
use crate::version::Version;

pub(super) fn core(
    doc: &Document,
    sites: &[detect::KeySite],
    to: Version,
    steps: &[&'static Step],
) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let mut refused_sites: HashSet<Location> = HashSet::new();
    for site in sites {
        let qualified = match site.level {
            Level::Global => site.key.clone(),
            Level::Route => format!("routes.{}", site.key),
            Level::Nested(_) => continue,
        };
        let Some(row) = refused_keys()
            .iter()
            .find(|r| r.key == qualified && r.from <= to)
        else {
            continue;
        };
        refused_sites.insert(site.location);
        let step = handler(steps, &site.key, FileKind::Core);
        out.push(RuleFinding {
            rule: format!("{REFUSED_KEY}:{qualified}"),
            key: site.key.clone(),
            finding: Finding {
                version: to,
                step: REFUSED_KEY,
                severity: Severity::ActionRequired,
                location: Some(site.location),
                message: format!(
                    "`{}`: Pomerium {to} refuses to start with this option (removed in {}); \
                     remove it and set what replaces it{}",
                    site.path,
                    row.from,
                    explain(step)
                ),
                link: step.map_or(UPGRADING, |s| s.link),
            },
        });
    }
    for row in refused_values().iter().filter(|r| r.from <= to) {
        for (location, message) in value_refused(doc, row.name, to) {
            let step = handler(steps, row.key, FileKind::Core);
            out.push(RuleFinding {
                rule: format!("{REFUSED_VALUE}:{}", row.name),
                key: row.key.to_owned(),
                finding: Finding {
                    version: to,
                    step: REFUSED_VALUE,
                    severity: Severity::ActionRequired,
                    location: Some(location),
                    message: format!("{message}{}", explain(step)),
                    link: step.map_or(UPGRADING, |s| s.link),
                },
            });
        }
    }
    for unknown in detect::oracle::unknown_keys_of(sites, to) {
        if refused_sites.contains(&unknown.location) {
            continue;
        }
        let (id, message) = match unknown.history {
            Some(crate::keys::KeyHistory {
                last_seen: Some(last),
                ..
            }) if last < to => (
                IGNORED_KEY,
                format!(
                    "`{}` was removed in {} (last read by {last}); Pomerium {to} ignores it \
                     (\"unknown config option\"): delete it{}",
                    unknown.path,
                    Version::new(last.major, last.minor + 1),
                    explain(handler(steps, &unknown.key, FileKind::Core))
                ),
            ),
            Some(h) => (
                IGNORED_KEY,
                format!(
                    "`{}` is first read by Pomerium {}; {to} ignores it",
                    unknown.path, h.first_seen
                ),
            ),
            None => (
                UNKNOWN_KEY,
                match unknown.suggestion {
                    Some(s) => format!(
                        "`{}` is not a Pomerium option (no release reads it); Pomerium {to} \
                         ignores it; did you mean `{s}`?",
                        unknown.path
                    ),
                    None => format!(
                        "`{}` is not a Pomerium option (no release reads it); Pomerium {to} \
                         ignores it",
                        unknown.path
                    ),
                },
            ),
        };
        out.push(RuleFinding {
            rule: format!("{id}:{}", unknown.key),
            key: unknown.key.clone(),
            finding: Finding {
                version: to,
                step: id,
                severity: Severity::Note,
                location: Some(unknown.location),
                message,
                link: REFERENCE,
            },
        });
    }
    out
}
