//! The Enterprise Console's config: its two key spellings, keys it shares with Core, and adding
//! a required key.

use super::{last_top_level, non_empty_str};
use crate::document::{Document, EntryRef, Value};
use crate::step::StepContext;
use crate::version::Version;

/// The first Console release taken to need neither `signing-key` nor `authenticate-service-url`
/// (its reference marks both deprecated from March 2023, between 0.21 and 0.22). v0.15 and v0.16
/// both stop asking for them from there.
pub(crate) const CONSOLE_NEEDS_NEITHER: Version = Version::new(0, 22);

/// How a console config spells its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// `signing-key` (the Console's flags, and config files up to about 0.20).
    Dash,
    /// `signing_key` (newer config files).
    Snake,
}

impl Spelling {
    /// The spelling most top-level keys of the file use. A file with no key that shows either
    /// (empty, or only one-word keys) gets dash-case, the spelling of the Console's own flags
    /// and of the 0.15-era documentation these steps follow.
    pub(crate) fn of(doc: &Document) -> Spelling {
        let Some(root) = doc.root() else {
            return Spelling::Dash;
        };
        let (mut dash, mut snake) = (0, 0);
        for entry in doc.entries(root) {
            dash += usize::from(entry.key.contains('-'));
            snake += usize::from(entry.key.contains('_'));
        }
        if snake > dash {
            Spelling::Snake
        } else {
            Spelling::Dash
        }
    }

    /// The spelling of one key: dash-case if it has a dash.
    pub(crate) fn of_key(key: &str) -> Spelling {
        if key.contains('-') {
            Spelling::Dash
        } else {
            Spelling::Snake
        }
    }

    /// `key` (in either spelling) in this spelling.
    pub(crate) fn key(self, key: &str) -> String {
        match self {
            Spelling::Dash => key.replace('_', "-"),
            Spelling::Snake => key.replace('-', "_"),
        }
    }
}

/// A console key's entry in either spelling (`license-key` or `license_key`, given either way),
/// the dash-case one first.
pub(crate) fn console_entry<'a>(doc: &'a Document, key: &str) -> Option<EntryRef<'a>> {
    let root = doc.root()?;
    let dash = Spelling::Dash.key(key);
    let snake = Spelling::Snake.key(key);
    doc.get_any(root, &[dash.as_str(), snake.as_str()])
}

/// Adds a top-level console key in the file's spelling and reports where its value came from.
pub(crate) fn add_console_key(
    cx: &mut StepContext<'_>,
    dash_key: &str,
    value: String,
    source: &str,
) {
    let Some(root) = cx.doc.root() else {
        cx.action(
            None,
            format!("the file is empty: add `{dash_key}` by hand ({source} has its value)"),
        );
        return;
    };
    let key = Spelling::of(cx.doc).key(dash_key);
    let after = last_top_level(cx.doc);
    cx.insert(root, after, &key, Value::String(value));
    cx.changed(None, format!("added `{key}` with the value of {source}"));
}

/// The Core config is authoritative for values the Console must share with it: when `--set`
/// gave another value, say that it was not used (without printing either value).
pub(crate) fn warn_if_set_differs(
    cx: &mut StepContext<'_>,
    dash_key: &str,
    core_key: &str,
    from_core: &str,
    set: Option<&str>,
) {
    if set.is_some_and(|set| set != from_core) {
        cx.action(
            None,
            format!(
                "`--set {dash_key}` differs from the Core config's `{core_key}`; the Console \
                 must use Core's value, so that one was written: drop the `--set` or fix the \
                 Core config"
            ),
        );
    }
}

/// Core's `authenticate_service_url`, from the Core config given in the same run.
pub(crate) fn core_authenticate_service_url<'a>(cx: &StepContext<'a>) -> Option<&'a str> {
    non_empty_str(
        cx.core
            .and_then(|core| core.get("authenticate_service_url")),
    )
}

/// The URL the Console's `authenticate-service-url` gets, and where it comes from: the Core
/// config (which wins over `--set`), else `--set authenticate-service-url`. v0.16 writes it;
/// v0.15 asks whether v0.16 will, to know whether the signing key needs copying at all.
pub(crate) fn known_authenticate_service_url(
    cx: &StepContext<'_>,
) -> Option<(String, &'static str)> {
    match (
        core_authenticate_service_url(cx),
        cx.setting("authenticate-service-url"),
    ) {
        (Some(url), _) => Some((
            url.to_owned(),
            "the Core config's `authenticate_service_url`",
        )),
        (None, Some(url)) => Some((url.to_owned(), "`--set authenticate-service-url`")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Spelling::Snake.key("license-key"), "license_key");
        assert_eq!(Spelling::Dash.key("license-key"), "license-key");
        assert_eq!(Spelling::Dash.key("license_key"), "license-key");
        assert_eq!(Spelling::Snake.key("audience"), "audience");
        assert_eq!(
            Spelling::of_key("disable-validation").key("validation_mode"),
            "validation-mode"
        );
        assert_eq!(
            Spelling::of_key("disable_validation").key("validation_mode"),
            "validation_mode"
        );
    }

    /// A file's spelling is the one most of its top-level keys use; a tie, or no key that
    /// shows either, is dash-case.
    #[test]
    fn a_file_is_spelt_the_way_most_of_its_keys_are() {
        let of = |text: &str| match Document::parse(text.to_owned(), crate::document::Format::Yaml)
        {
            Ok(doc) => Spelling::of(&doc),
            Err(e) => panic!("{text}: {e}"),
        };
        assert_eq!(
            of("license-key: a\ndatabase-url: b\nshared_secret: c\n"),
            Spelling::Dash
        );
        assert_eq!(
            of("license_key: a\ndatabase-url: b\nshared_secret: c\n"),
            Spelling::Snake
        );
        assert_eq!(of("license_key: a\ndatabase-url: b\n"), Spelling::Dash);
        assert_eq!(of("audience: a\n"), Spelling::Dash);
        assert_eq!(of(""), Spelling::Dash);
    }
}
