//! Why a run stops: [`RunError`], with messages that name the file (and line and column where
//! there is one) and say what to do, and the exit code each maps to.

use std::io;

use thiserror::Error;

use super::versions::OLDEST_KNOWN;
use crate::detect::{AmbiguousEscaping, KindUndecided};
use crate::document::{EditError, Format, Location, ParseError};
use crate::input_rules::InputRuleError;
use crate::version::Version;

/// Why a run stopped. Every message names the file (and line and column where there is one) and
/// says what to do.
#[derive(Debug, Error)]
pub enum RunError {
    #[error("{path}: cannot read the file: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}:{location}: the file is not UTF-8 text; save it as UTF-8 and run again")]
    NotUtf8 { path: String, location: Location },
    #[error(
        "{path}: the file is {size} bytes; pomerium-migrate reads files of up to {limit} bytes \
         (1 GiB)"
    )]
    TooLarge {
        path: String,
        size: u64,
        limit: usize,
    },
    #[error("{path}:{source}{hint}")]
    Parse {
        path: String,
        source: ParseError,
        /// Advice for stdin read as YAML that looks like another format (else empty).
        hint: &'static str,
    },
    /// An input Pomerium's own reader refuses (duplicate keys, control characters).
    #[error("{path}:{source}")]
    InputRule {
        path: String,
        source: InputRuleError,
    },
    #[error(
        "{path}:{location}: read as {format}, the file is {found}, not a mapping of options; if \
         it is written in another format, say which with --input-format yaml|json|toml"
    )]
    NotAMapping {
        path: String,
        format: Format,
        location: Location,
        found: &'static str,
    },
    #[error("{}", source.message(path))]
    KindUndecided { path: String, source: KindUndecided },
    #[error("{path}:{source}")]
    AmbiguousEscaping {
        path: String,
        source: AmbiguousEscaping,
    },
    #[error(
        "{path}: the keys of this file need Pomerium {from} or newer ({evidence}), but --to is \
         {to}; pomerium-migrate does not downgrade configs. Give a newer --to, or --from with \
         the version the file is used with today"
    )]
    InferredAfterTarget {
        path: String,
        from: Version,
        to: Version,
        evidence: String,
    },
    #[error(
        "unknown version {version}: pomerium-migrate knows Pomerium {OLDEST_KNOWN} to {newest}"
    )]
    UnknownVersion { version: Version, newest: Version },
    #[error("--to {to} is older than --from {from}; pomerium-migrate does not downgrade configs")]
    Downgrade { from: Version, to: Version },
    #[error(
        "{arg}: no Pomerium config found ({searched} YAML, JSON or TOML files looked at; \
         --verbose lists them with the reason each was skipped)"
    )]
    NoPomeriumFile { arg: String, searched: usize },
    #[error("{arg}: not a valid glob: {reason}")]
    BadGlob { arg: String, reason: String },
    #[error("stdin (-) can be given only once")]
    StdinTwice,
    #[error("{}", describe_unknown_setting(key, *closest, known))]
    UnknownSetting {
        key: String,
        /// The known key closest to `key`.
        closest: Option<&'static str>,
        /// Every key the chain's steps read.
        known: Vec<String>,
    },
    #[error(
        "-: stdin is empty: no config was read (did the command before the pipe fail?); apply \
         writes nothing for an empty input"
    )]
    EmptyStdin,
    /// A file that does not concern Pomerium (a compose file with no Pomerium service): skipped,
    /// not refused (exit 0), and never read as a config.
    #[error("{path}: skipped: {reason}")]
    NotPomerium { path: String, reason: String },
    #[error(
        "{path}: read as a {surface} ({evidence}); pomerium-migrate does not migrate this \
         surface yet. If the file is a Pomerium config, say so with --kind core or --kind console"
    )]
    SurfaceNotSupported {
        path: String,
        surface: String,
        evidence: String,
    },
    #[error("{path}: the same file is given twice; give each file once")]
    SameFileTwice { path: String },
    #[error("{}", describe_step_error(path, step, source))]
    Step {
        path: String,
        step: String,
        source: EditError,
    },
}

fn describe_step_error(path: &str, step: &str, source: &EditError) -> String {
    let located = !matches!(source, EditError::Verification { .. });
    let place = if located {
        format!("{path}:{source}")
    } else {
        format!("{path}: {source}")
    };
    let advice = match source {
        EditError::Verification { .. } => {
            "this is a bug in pomerium-migrate, please report it with the step name"
        }
        _ => "edit this part of the file by hand, or run up to the version before this step",
    };
    format!("{place} (step {step}); nothing was written: {advice}")
}

/// `--set KEY: no migration step reads this key; did you mean …? (the keys --set takes: …)`.
fn describe_unknown_setting(key: &str, closest: Option<&str>, known: &[String]) -> String {
    let mut text = format!("--set {key}: no migration step reads this key");
    if let Some(closest) = closest {
        text.push_str(&format!(
            "; did you mean `{closest}`? (the keys --set takes: {})",
            known.join(", ")
        ));
    }
    text
}

impl RunError {
    /// 3 when a step refused for safety, 2 for input and usage problems (see "Exit codes" in
    /// `docs/ARCHITECTURE.md`).
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Step { .. } => 3,
            RunError::NotPomerium { .. } => 0,
            _ => 2,
        }
    }
}
