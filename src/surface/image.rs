//! Container images: which are Pomerium's, and the version their tag names.
//!
//! Core is published as `pomerium/pomerium` (Docker Hub; `docker.io/…` and other registries
//! mirror the same path). The Enterprise Console is
//! `docker.cloudsmith.io/pomerium/enterprise/pomerium-console` (pomerium/documentation, the
//! Enterprise quickstart's docker-compose file and the "Pull a specific tagged release" page).

use crate::step::FileKind;
use crate::validate::marker;
use crate::version::Version;

/// The id of the action about a Pomerium image older than the target (compose services,
/// Kubernetes containers).
pub const IMAGE_TAG: &str = "image-tag";

/// The release an open image action marker names (`pomerium-migrate action v0.33/image-tag: …`
/// gives 0.33 for `step` `image-tag`): the release an earlier `apply` migrated the options
/// beside an image to while its tag stayed older. Later runs start there instead of at the
/// tag, so steps that are not idempotent (0.23's `$` escaping) do not run twice; deleting the
/// marker (after changing the tag) returns to the tag as evidence.
pub fn marker_release(text: &str, step: &str) -> Option<Version> {
    let rest = text.strip_prefix(marker::TOOL)?.trim_start();
    let id = rest.strip_prefix("action ")?.split([':', ' ']).next()?;
    let (release, id_step) = id.split_once('/')?;
    (id_step == step).then_some(())?;
    release.parse().ok()
}

/// The newest release an image action marker `step` right above line `line` (1-based, the
/// image's key) names, in a text split into `lines`.
pub fn marked_release(lines: &[&str], line: usize, step: &str) -> Option<Version> {
    super::env_vars::markers_above(lines, line)
        .iter()
        .filter_map(|(text, _)| marker_release(text, step))
        .max()
}

/// An image reference split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image<'a> {
    /// Registry and path, without tag or digest (`docker.io/pomerium/pomerium`).
    pub name: &'a str,
    /// The tag as written (`v0.19.0`), `None` when there is none.
    pub tag: Option<&'a str>,
    /// Where the tag starts in the reference (byte offset), for rewriting it.
    pub tag_at: Option<usize>,
}

impl<'a> Image<'a> {
    pub fn parse(reference: &'a str) -> Image<'a> {
        let without_digest = reference.split('@').next().unwrap_or(reference);
        let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
        match without_digest[last_slash..].rfind(':') {
            Some(colon) => {
                let at = last_slash + colon;
                Image {
                    name: &without_digest[..at],
                    tag: Some(&without_digest[at + 1..]),
                    tag_at: Some(at + 1),
                }
            }
            None => Image {
                name: without_digest,
                tag: None,
                tag_at: None,
            },
        }
    }

    /// The Pomerium component this image runs, `None` for other images.
    pub fn component(&self) -> Option<FileKind> {
        let path = self.name.to_ascii_lowercase();
        if path == "pomerium/pomerium" || path.ends_with("/pomerium/pomerium") {
            Some(FileKind::Core)
        } else if path.ends_with("pomerium/enterprise/pomerium-console")
            || path == "pomerium/pomerium-console"
            || path.ends_with("/pomerium/pomerium-console")
        {
            Some(FileKind::Console)
        } else {
            None
        }
    }

    /// The release the tag names (`v0.19.0`, `0.19`, `v0.19.0-nonroot`), `None` for `latest`,
    /// a `${…}` tag or anything else.
    pub fn version(&self) -> Option<Version> {
        let tag = self.tag?;
        let core = tag.split('-').next().unwrap_or(tag);
        let digits = core.strip_prefix(['v', 'V']).unwrap_or(core);
        if !digits.contains('.') {
            return None;
        }
        core.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_markers_name_their_release() {
        let step = "image-tag";
        assert_eq!(
            marker_release("pomerium-migrate action v0.33/image-tag: runs 0.22", step),
            Some(Version::new(0, 33))
        );
        assert_eq!(
            marker_release("pomerium-migrate action v0.33/controller-image: x", step),
            None
        );
        assert_eq!(
            marker_release("pomerium-migrate accepted v0.33/image-tag", step),
            None
        );
        assert_eq!(marker_release("something else", step), None);
        let lines = [
            "services:",
            "  pomerium:",
            "    # pomerium-migrate action v0.30/image-tag: older",
            "    # pomerium-migrate action v0.33/image-tag: newer",
            "    image: pomerium/pomerium:v0.22.0",
        ];
        assert_eq!(marked_release(&lines, 5, step), Some(Version::new(0, 33)));
        assert_eq!(marked_release(&lines, 2, step), None);
    }

    #[test]
    fn images_are_told_by_their_path() {
        let core = Image::parse("pomerium/pomerium:v0.19.0");
        assert_eq!(core.component(), Some(FileKind::Core));
        assert_eq!(core.tag, Some("v0.19.0"));
        assert_eq!(core.version(), Some(Version::new(0, 19)));
        let hub = Image::parse("docker.io/pomerium/pomerium:v0.22.1@sha256:abc");
        assert_eq!(hub.component(), Some(FileKind::Core));
        assert_eq!(hub.version(), Some(Version::new(0, 22)));
        let console =
            Image::parse("docker.cloudsmith.io/pomerium/enterprise/pomerium-console:v0.27.2");
        assert_eq!(console.component(), Some(FileKind::Console));
        assert_eq!(console.version(), Some(Version::new(0, 27)));
        for other in [
            "postgres:15",
            "pomerium/verify:latest",
            "pomerium/ingress-controller:v0.25.0",
            "localhost:5000/app",
        ] {
            assert_eq!(Image::parse(other).component(), None, "{other}");
        }
        assert_eq!(Image::parse("localhost:5000/app").tag, None);
        assert_eq!(Image::parse("pomerium/pomerium").version(), None);
        assert_eq!(Image::parse("pomerium/pomerium:latest").version(), None);
        assert_eq!(Image::parse("pomerium/pomerium:${TAG}").version(), None);
        let tagged = "pomerium/pomerium:v0.19.0";
        assert_eq!(
            Image::parse(tagged).tag_at.map(|i| &tagged[i..]),
            Some("v0.19.0")
        );
    }
}
