//! Facts about the Pomerium Ingress Controller's releases: which Pomerium release each one
//! embeds (`controller-versions.tsv`), and which `ingress.pomerium.io/<name>` annotations each
//! one accepts (`annotations.tsv`). Both tables were read from the controller's release tags
//! (github:pomerium/ingress-controller); their headers say how.
//!
//! The tool's versions stay Pomerium versions: a controller image tag
//! (`pomerium/ingress-controller:v0.23.0`) is evidence of the Pomerium release it embeds
//! ([`pomerium_version`]), and a Pomerium target release is checked against the annotations of
//! the newest controller release that embeds it ([`controller_for`]).

use std::fmt;
use std::sync::LazyLock;

use crate::version::Version;

const VERSIONS_TSV: &str = include_str!("controller-versions.tsv");
const ANNOTATIONS_TSV: &str = include_str!("annotations.tsv");

/// A controller release number, `vMAJOR.MINOR.PATCH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Tag {
    /// Reads `v0.23.0`, `0.23.0` (no pre-release or build suffix).
    pub fn parse(text: &str) -> Option<Tag> {
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let mut parts = t.split('.');
        let num = |p: Option<&str>| {
            p.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let tag = Tag {
            major: num(parts.next())?,
            minor: num(parts.next())?,
            patch: num(parts.next())?,
        };
        parts.next().is_none().then_some(tag)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// One controller release and the Pomerium release it embeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub tag: Tag,
    /// The Pomerium minor release it embeds.
    pub pomerium: Version,
    /// The module version its go.mod requires, as written (the evidence).
    pub go_mod: &'static str,
}

/// What an annotation's value is to the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnotationKind {
    /// The route option of the same name: migrated through the release steps.
    Route,
    /// The name of a Secret in the Ingress's namespace.
    Secret,
    /// Read by the controller itself; no Pomerium route option of that name.
    Controller,
}

/// When the controller accepted one annotation name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// The name after `ingress.pomerium.io/`.
    pub name: &'static str,
    /// The first release that accepts it.
    pub first: Tag,
    /// The first release that no longer does (`None`: the newest release still does).
    pub gone: Option<Tag>,
    pub kind: AnnotationKind,
    /// The tag, file and commit the row was read from.
    pub source: &'static str,
}

impl Annotation {
    /// Whether controller release `tag` accepts the name.
    pub fn accepted_by(&self, tag: Tag) -> bool {
        self.first <= tag && self.gone.is_none_or(|gone| tag < gone)
    }
}

/// A malformed line of an embedded table (a build defect, caught by a unit test).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{table} line {line}: {reason}")]
pub struct TableError {
    pub table: &'static str,
    pub line: usize,
    pub reason: String,
}

fn fields<const N: usize>(
    table: &'static str,
    line_no: usize,
    line: &'static str,
) -> Result<[&'static str; N], TableError> {
    let parts: Vec<&'static str> = line.split('\t').collect();
    let err = |reason: String| TableError {
        table,
        line: line_no,
        reason,
    };
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(err("an empty field".into()));
    }
    parts
        .try_into()
        .map_err(|p: Vec<&str>| err(format!("expected {N} fields, found {}", p.len())))
}

/// Parses `controller-versions.tsv`: `tag<TAB>pomerium<TAB>go_mod`, in release order.
pub fn parse_versions(text: &'static str) -> Result<Vec<Release>, TableError> {
    const TABLE: &str = "controller-versions.tsv";
    let mut out: Vec<Release> = Vec::new();
    for (line_no, line) in crate::keys::data_lines(text) {
        let err = |reason: String| TableError {
            table: TABLE,
            line: line_no,
            reason,
        };
        let [tag, pomerium, go_mod] = fields(TABLE, line_no, line)?;
        let tag = Tag::parse(tag).ok_or_else(|| err(format!("`{tag}` is not a release tag")))?;
        let pomerium: Version = pomerium.parse().map_err(|e| err(format!("{e}")))?;
        if out.last().is_some_and(|last| last.tag >= tag) {
            return Err(err(format!("{tag} is out of order")));
        }
        out.push(Release {
            tag,
            pomerium,
            go_mod,
        });
    }
    Ok(out)
}

/// Parses `annotations.tsv`: `annotation<TAB>first<TAB>gone|-<TAB>kind<TAB>source`.
pub fn parse_annotations(text: &'static str) -> Result<Vec<Annotation>, TableError> {
    const TABLE: &str = "annotations.tsv";
    let mut out: Vec<Annotation> = Vec::new();
    for (line_no, line) in crate::keys::data_lines(text) {
        let err = |reason: String| TableError {
            table: TABLE,
            line: line_no,
            reason,
        };
        let [name, first, gone, kind, source] = fields(TABLE, line_no, line)?;
        let tag = |t: &str| Tag::parse(t).ok_or_else(|| err(format!("`{t}` is not a release tag")));
        let first = tag(first)?;
        let gone = match gone {
            "-" => None,
            t => Some(tag(t)?),
        };
        let kind = match kind {
            "route" => AnnotationKind::Route,
            "secret" => AnnotationKind::Secret,
            "controller" => AnnotationKind::Controller,
            other => return Err(err(format!("unknown kind `{other}`"))),
        };
        if gone.is_some_and(|gone| gone <= first) || out.iter().any(|a| a.name == name) {
            return Err(err(format!("bad entry for `{name}`")));
        }
        out.push(Annotation {
            name,
            first,
            gone,
            kind,
            source,
        });
    }
    Ok(out)
}

static RELEASES: LazyLock<Vec<Release>> =
    LazyLock::new(|| parse_versions(VERSIONS_TSV).unwrap_or_default());
static ANNOTATIONS: LazyLock<Vec<Annotation>> =
    LazyLock::new(|| parse_annotations(ANNOTATIONS_TSV).unwrap_or_default());

/// Every controller release, oldest first.
pub fn releases() -> &'static [Release] {
    &RELEASES
}

/// Every annotation name some controller release accepted.
pub fn annotations() -> &'static [Annotation] {
    &ANNOTATIONS
}

/// The row of one annotation name (after the prefix).
pub fn annotation(name: &str) -> Option<&'static Annotation> {
    annotations().iter().find(|a| a.name == name)
}

/// The Pomerium release a controller image tag embeds: `v0.23.0` exactly; `v0.23` when every
/// release of that line embeds the same Pomerium release (not `v0.16`, whose v0.16.0 embeds 0.15
/// and v0.16.1 0.16). `None` for a tag the table does not know (`latest`, `main`, a newer
/// release): no evidence rather than a guess.
pub fn pomerium_version(image_tag: &str) -> Option<Version> {
    if let Some(tag) = Tag::parse(image_tag) {
        return releases().iter().find(|r| r.tag == tag).map(|r| r.pomerium);
    }
    let line: Version = image_tag.parse().ok()?;
    let mut embedded = releases()
        .iter()
        .filter(|r| r.tag.major == line.major && r.tag.minor == line.minor)
        .map(|r| r.pomerium);
    let first = embedded.next()?;
    embedded.all(|v| v == first).then_some(first)
}

/// The controller release that runs Pomerium `version`: the newest one embedding it. `None`
/// before 0.15 (the first controller release), when Ingress objects were read by the older
/// `pomerium-operator`, which took any route option as an annotation.
pub fn controller_for(version: Version) -> Option<&'static Release> {
    releases().iter().rev().find(|r| r.pomerium == version)
}

/// What the controller that runs Pomerium `version` makes of `ingress.pomerium.io/<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Accepted.
    Accepted,
    /// No controller runs this release (before 0.15): not checked.
    NoController,
    /// Refused: it was accepted up to this release and is gone from `gone`.
    Gone {
        annotation: &'static Annotation,
        controller: Tag,
    },
    /// Refused: only later releases accept it.
    NotYet {
        annotation: &'static Annotation,
        controller: Tag,
    },
    /// Refused: no controller release ever accepted it.
    Unknown { controller: Tag },
}

/// Whether the controller that runs Pomerium `version` accepts the annotation `name`.
pub fn acceptance(name: &str, version: Version) -> Acceptance {
    let Some(release) = controller_for(version) else {
        return Acceptance::NoController;
    };
    let controller = release.tag;
    match annotation(name) {
        None => Acceptance::Unknown { controller },
        Some(a) if a.accepted_by(controller) => Acceptance::Accepted,
        Some(a) if controller < a.first => Acceptance::NotYet {
            annotation: a,
            controller,
        },
        Some(a) => Acceptance::Gone {
            annotation: a,
            controller,
        },
    }
}

/// The Pomerium release of a controller tag named in a table row (for messages and for the
/// release a change belongs to); the controller line's own number when the table lacks it.
pub fn pomerium_of(tag: Tag) -> Version {
    releases()
        .iter()
        .find(|r| r.tag == tag)
        .map_or(Version::new(tag.major, tag.minor), |r| r.pomerium)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u32) -> Version {
        Version::new(0, minor)
    }

    #[test]
    fn the_tables_parse_completely() {
        let releases = parse_versions(VERSIONS_TSV);
        assert!(
            releases.as_ref().is_ok_and(|r| r.len() == 64),
            "{releases:?}"
        );
        let annotations = parse_annotations(ANNOTATIONS_TSV);
        assert!(
            annotations.as_ref().is_ok_and(|a| a.len() == 72),
            "{annotations:?}"
        );
        assert_eq!(super::releases().len(), 64);
        assert_eq!(super::annotations().len(), 72);
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line() {
        let bad = parse_versions("# c\nv0.2.0\t0.2\tx\nv0.1.0\t0.1\tx\n");
        assert!(matches!(bad, Err(TableError { line: 3, .. })), "{bad:?}");
        let bad = parse_versions("v0.1\t0.1\tx\n");
        assert!(matches!(bad, Err(TableError { line: 1, .. })), "{bad:?}");
        let bad = parse_annotations("a\tv0.15.0\tv0.15.0\troute\ts\n");
        assert!(bad.is_err(), "{bad:?}");
        let bad = parse_annotations("a\tv0.15.0\t-\tother\ts\n");
        assert!(bad.is_err(), "{bad:?}");
        let bad = parse_annotations("a\tv0.15.0\t-\troute\n");
        assert!(bad.is_err(), "{bad:?}");
    }

    /// The fact sheet's table C4, checked row by row against the parsed table.
    #[test]
    fn image_tags_give_the_embedded_pomerium_release() {
        for (tag, minor) in [
            ("v0.15.0", 15),
            ("v0.16.0", 15),
            ("v0.16.1", 16),
            ("v0.17.3", 17),
            ("v0.19.0", 19),
            ("v0.21.3", 21),
            ("0.22.1", 22),
            ("v0.23.0", 23),
            ("v0.23.1", 23),
            ("v0.26.2", 26),
            ("v0.30.6", 30),
            ("v0.32.0", 32),
            ("v0.32.2", 32),
            ("v0.32.9", 32),
            ("v0.33.1", 33),
        ] {
            assert_eq!(pomerium_version(tag), Some(v(minor)), "{tag}");
        }
        // A line whose releases agree; v0.16 does not.
        assert_eq!(pomerium_version("v0.23"), Some(v(23)));
        assert_eq!(pomerium_version("v0.16"), None);
        for unknown in ["latest", "main", "v0.34.0", "v0.21.0", "v0.23.0-rc1", ""] {
            assert_eq!(pomerium_version(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn each_pomerium_release_has_the_newest_controller_that_embeds_it() {
        let tag = |r: Option<&Release>| r.map(|r| r.tag.to_string());
        assert_eq!(tag(controller_for(v(15))), Some("v0.16.0".into()));
        assert_eq!(tag(controller_for(v(16))), Some("v0.16.1".into()));
        assert_eq!(tag(controller_for(v(32))), Some("v0.32.9".into()));
        assert_eq!(tag(controller_for(v(14))), None);
        assert_eq!(tag(controller_for(v(34))), None);
    }

    /// The allowlist changes the fact sheet's section C2 lists, seen from Pomerium releases.
    #[test]
    fn annotations_are_refused_from_the_release_that_dropped_them() {
        let accepted = |name: &str, minor: u32| acceptance(name, v(minor)) == Acceptance::Accepted;
        assert!(accepted("lb_config", 15));
        assert!(matches!(
            acceptance("lb_config", v(16)),
            Acceptance::Gone { .. }
        ));
        assert!(accepted("allowed_groups", 19));
        assert!(!accepted("allowed_groups", 20));
        assert!(accepted("lb_policy", 31));
        assert!(!accepted("lb_policy", 32));
        assert!(accepted("load_balancing_policy", 32));
        assert!(matches!(
            acceptance("load_balancing_policy", v(31)),
            Acceptance::NotYet { .. }
        ));
        for name in [
            "least_request_lb_config",
            "maglev_lb_config",
            "ring_hash_lb_config",
        ] {
            assert!(accepted(name, 31), "{name}");
            assert!(!accepted(name, 32), "{name}");
        }
        assert!(accepted("set_request_headers", 33));
        assert!(matches!(
            acceptance("set_authorization_header", v(25)),
            Acceptance::Unknown { .. }
        ));
        assert_eq!(
            acceptance("set_authorization_header", v(12)),
            Acceptance::NoController
        );
    }

    #[test]
    fn kinds_follow_the_controller_groups() {
        let kind = |n: &str| annotation(n).map(|a| a.kind);
        assert_eq!(kind("set_request_headers"), Some(AnnotationKind::Route));
        assert_eq!(kind("policy"), Some(AnnotationKind::Route));
        assert_eq!(kind("lb_policy"), Some(AnnotationKind::Route));
        assert_eq!(kind("lb_config"), Some(AnnotationKind::Controller));
        assert_eq!(kind("secure_upstream"), Some(AnnotationKind::Controller));
        assert_eq!(kind("tls_client_secret"), Some(AnnotationKind::Secret));
        assert_eq!(kind("nope"), None);
    }
}
