//! Config text found inside a surface (a ConfigMap entry, a base64 Secret value, a `POLICY`
//! variable) run through the ordinary chain as a config of its own, and its before/after kept
//! for the report.

use std::path::PathBuf;

use crate::document::{Document, Format};
use crate::redact;
use crate::runner::{self, FileRun, Input, RunConfig, RunError, Source};
use crate::step::FileKind;
use crate::version::Version;

/// A decoded text before and after the chain, which the surface file does not show readably
/// (base64): the report shows its diff, redacted like a config's.
#[derive(Debug)]
pub struct DecodedView {
    /// What the text is, for the diff's header: ``Secret `p`, `data.config.yaml` ``.
    pub label: String,
    pub before: Document,
    pub after: Document,
}

impl DecodedView {
    /// The texts as the report shows them (redacted unless `show_secrets`), with the secrets
    /// they hid (to scrub messages).
    pub fn shown(&self, show_secrets: bool) -> (redact::Redacted, redact::Redacted) {
        let shown = |doc: &Document| {
            if show_secrets {
                redact::Redacted {
                    text: doc.text().to_owned(),
                    secrets: Vec::new(),
                }
            } else {
                redact::redact(doc)
            }
        };
        (shown(&self.before), shown(&self.after))
    }
}

/// Runs the chain on `text` as a config of `kind` in `format`: `from` when known (else `--from`,
/// else the keys decide), to `--to`; `embedded_in` names where the text lives (no file is
/// created beside it). `label` names it in error messages, after the surface file's path.
pub fn run_text(
    surface: &Source,
    label: &str,
    text: String,
    format: Format,
    kind: FileKind,
    from: Option<Version>,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let input = Input::from_bytes(
        Source::File(PathBuf::from(format!("{} ({label})", surface.display()))),
        text.into_bytes(),
    )?;
    let mut options = config.options.clone();
    options.embedded_in = Some(label.to_owned());
    let inner = RunConfig {
        from: from.or(config.from),
        to: config.to,
        to_release: config.to_release.clone(),
        kind: Some(kind),
        // The text is a config, whatever surface it was found in.
        surface: Some(super::SurfaceKind::Config),
        input_format: Some(format),
        options,
        output: None,
        steps: config.steps,
        verify_each_step: config.verify_each_step,
    };
    let prepared = runner::prepare(input, &inner)?;
    runner::migrate_one(prepared, &inner, None)
}
