//! Reading inputs: where a config comes from ([`Source`]) and goes to ([`Destination`]), its
//! bytes and text ([`Input`]), the format it is read as ([`format_for`]) and its parse
//! ([`parse_input`]). The check that no input is given twice lives here, once
//! ([`check_distinct`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::RunError;
use crate::document::{Document, Format, Location, NodeKind, Value};
use crate::input_rules;

/// Where a config comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// The source a command-line argument names (`-` is stdin).
    pub fn of(arg: &Path) -> Source {
        if arg.as_os_str() == "-" {
            Source::Stdin
        } else {
            Source::File(arg.to_owned())
        }
    }

    /// `-` for stdin, the path as given otherwise.
    pub fn display(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::File(p) => p.display().to_string(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File(p) => Some(p),
        }
    }
}

/// Where a migrated config is written: in place, or where `apply -o PATH` says (`-` is stdout;
/// stdin input goes to stdout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// Where the config read from `source` goes, given `apply`'s `-o` (one input file only).
    pub fn of(source: &Source, output: Option<&Path>) -> Destination {
        match (output, source) {
            (Some(out), _) if out.as_os_str() == "-" => Destination::Stdout,
            (Some(out), _) => Destination::File(out.to_owned()),
            (None, Source::Stdin) => Destination::Stdout,
            (None, Source::File(path)) => Destination::File(path.clone()),
        }
    }

    /// The written config's path: what steps place new files beside and name relative to
    /// (`None` for stdout: they go under the working directory).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Destination::Stdout => None,
            Destination::File(path) => Some(path),
        }
    }
}

/// A config as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub source: Source,
    /// The text read: the exact bytes, which are UTF-8 (compared again before writing, see
    /// [`Input::bytes`]).
    /// Shared with the document parsed from it.
    pub text: Arc<str>,
}

/// The largest input read, in bytes (1 GiB: a config of a million routes is about 400 MB). The
/// YAML index keeps offsets, lines and columns in 32 bits, which this leaves room for even when
/// edits make the text longer; a larger file is refused (exit 2) before it is read.
pub const MAX_INPUT_BYTES: usize = 1 << 30;

// The YAML index keeps offsets in 32 bits: the limit leaves room for edits to grow a text.
const _: () = assert!(2 * MAX_INPUT_BYTES <= crate::yaml::MAX_TEXT + 1);

/// Refuses an input of `size` bytes when it is over [`MAX_INPUT_BYTES`].
fn check_size(path: impl FnOnce() -> String, size: u64) -> Result<(), RunError> {
    if size > MAX_INPUT_BYTES as u64 {
        return Err(RunError::TooLarge {
            path: path(),
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

impl Input {
    /// Reads `arg` (`-` = `stdin`).
    pub fn read(arg: &Path, stdin: &mut dyn Read) -> Result<Input, RunError> {
        let (source, bytes) = if arg.as_os_str() == "-" {
            let mut bytes = Vec::new();
            // One byte more than the limit tells an input over it.
            stdin
                .take(MAX_INPUT_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| RunError::Read {
                    path: "-".into(),
                    source,
                })?;
            (Source::Stdin, bytes)
        } else {
            if let Ok(meta) = std::fs::metadata(arg) {
                check_size(|| arg.display().to_string(), meta.len())?;
            }
            let bytes = std::fs::read(arg).map_err(|source| RunError::Read {
                path: arg.display().to_string(),
                source,
            })?;
            (Source::File(arg.to_owned()), bytes)
        };
        Input::from_bytes(source, bytes)
    }

    /// The exact bytes read: the text's, since only UTF-8 is accepted.
    pub fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    pub fn from_bytes(source: Source, bytes: Vec<u8>) -> Result<Input, RunError> {
        check_size(|| source.display(), bytes.len() as u64)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            RunError::NotUtf8 {
                path: source.display(),
                location: Location { line, column },
            }
        })?;
        Ok(Input {
            source,
            text: text.into(),
        })
    }
}

/// The format of a file: the one given with `--input-format`, else its extension as Pomerium
/// decides it (stdin and other names are read as YAML).
pub fn format_for(source: &Source, given: Option<Format>) -> Format {
    given.unwrap_or_else(|| format_of(source))
}

/// The format a file's name says: its extension (`.json`, `.toml`, `.yaml`/`.yml`), else the
/// names compose projects give environment files (`.env`, `*.env`, `.env.*`: dotenv); stdin and
/// other names are read as YAML.
pub fn format_of(source: &Source) -> Format {
    let Some(path) = source.path() else {
        return Format::Yaml;
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_deref() {
        Some("json") => Format::Json,
        Some("toml") => Format::Toml,
        Some("yaml" | "yml") => Format::Yaml,
        Some("env") => Format::Dotenv,
        _ if name == ".env" || name.starts_with(".env.") => Format::Dotenv,
        _ => Format::Yaml,
    }
}

/// Picks the format ([`format_for`]) and parses the text.
pub fn parse_input(input: &Input, given: Option<Format>) -> Result<(Format, Document), RunError> {
    let path = input.source.display();
    let format = format_for(&input.source, given);
    let refused = |source| RunError::InputRule {
        path: path.clone(),
        source,
    };
    if format == Format::Yaml {
        input_rules::check_yaml_characters(&input.text).map_err(refused)?;
    }
    let document = Document::parse_shared(Arc::clone(&input.text), format).map_err(|source| {
        RunError::Parse {
            path: path.clone(),
            source,
            hint: if input.source == Source::Stdin && given.is_none() {
                format_hint(&input.text)
            } else {
                ""
            },
        }
    })?;
    input_rules::check_duplicate_keys(&document).map_err(refused)?;
    // TOML or JSON read as YAML is often one long plain string: a config that would silently
    // need no change.
    if let Some(root) = document.root().map(|r| document.resolve(r)) {
        let found = match &document.node(root).kind {
            NodeKind::Mapping(_) | NodeKind::Scalar(Value::Null) | NodeKind::Alias(_) => None,
            NodeKind::Sequence(_) => Some("a list"),
            NodeKind::Scalar(_) => Some("a single value"),
        };
        if let Some(found) = found {
            return Err(RunError::NotAMapping {
                path,
                format,
                location: document.location(root),
                found,
            });
        }
    }
    Ok((format, document))
}

/// Refuses inputs given twice: stdin more than once, or one file under two names (compared
/// after resolving links and relative paths). Checked before anything is read.
pub fn check_distinct<'a>(
    sources: impl IntoIterator<Item = &'a Source> + Clone,
) -> Result<(), RunError> {
    if sources
        .clone()
        .into_iter()
        .filter(|s| **s == Source::Stdin)
        .count()
        > 1
    {
        return Err(RunError::StdinTwice);
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    for source in sources {
        if let Source::File(path) = source {
            let identity = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if seen.contains(&identity) {
                return Err(RunError::SameFileTwice {
                    path: source.display(),
                });
            }
            seen.push(identity);
        }
    }
    Ok(())
}

/// Reads the files named on the command line (`-` is stdin), after checking that none is given
/// twice.
pub fn read_files(files: &[PathBuf], stdin: &mut dyn Read) -> Result<Vec<Input>, RunError> {
    let sources: Vec<Source> = files.iter().map(|f| Source::of(f)).collect();
    check_distinct(&sources)?;
    files.iter().map(|f| Input::read(f, stdin)).collect()
}

/// Advice for stdin that YAML cannot read but looks like TOML or JSON (stdin has no extension
/// to tell the format by).
fn format_hint(text: &str) -> &'static str {
    let lines = || {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    };
    let toml = lines().any(|l| {
        (l.starts_with('[') && l.ends_with(']') && !l.contains(','))
            || l.split_once('=').is_some_and(|(key, _)| {
                let key = key.trim();
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
            })
    });
    if toml {
        return "; stdin is read as YAML, and this looks like TOML: pass --input-format toml";
    }
    if lines().next().is_some_and(|l| l.starts_with('{')) {
        return "; stdin is read as YAML, and this looks like JSON: pass --input-format json";
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn formats_come_from_the_extension() {
        let f = |p: &str| format_of(&Source::File(p.into()));
        assert_eq!(f("config.yaml"), Format::Yaml);
        assert_eq!(f("config.YML"), Format::Yaml);
        assert_eq!(f("config.json"), Format::Json);
        assert_eq!(f("config.toml"), Format::Toml);
        assert_eq!(f("config"), Format::Yaml);
        assert_eq!(format_of(&Source::Stdin), Format::Yaml);
        assert_eq!(f(".env"), Format::Dotenv);
        assert_eq!(f("deploy/.env"), Format::Dotenv);
        assert_eq!(f("pomerium.env"), Format::Dotenv);
        assert_eq!(f("deploy/Pomerium.ENV"), Format::Dotenv);
        assert_eq!(f(".env.production"), Format::Dotenv);
        assert_eq!(f(".env.local"), Format::Dotenv);
        // A config extension wins over the `.env.` prefix.
        assert_eq!(f(".env.yaml"), Format::Yaml);
        assert_eq!(f(".env.json"), Format::Json);
        assert_eq!(f("config.env.toml"), Format::Toml);
        assert_eq!(f("environment"), Format::Yaml);
        assert_eq!(f(".envrc"), Format::Yaml);
    }

    #[test]
    fn the_given_input_format_wins_over_the_extension() {
        let f = |p: &str, given| format_for(&Source::File(p.into()), given);
        assert_eq!(f("config.yaml", Some(Format::Toml)), Format::Toml);
        assert_eq!(f("config.toml", Some(Format::Json)), Format::Json);
        assert_eq!(f("config.toml", None), Format::Toml);
        assert_eq!(format_for(&Source::Stdin, Some(Format::Toml)), Format::Toml);
        assert_eq!(format_for(&Source::Stdin, None), Format::Yaml);
        assert_eq!(
            format_for(&Source::Stdin, Some(Format::Dotenv)),
            Format::Dotenv
        );
        assert_eq!(f(".env", Some(Format::Yaml)), Format::Yaml);
    }

    #[test]
    fn non_utf8_input_names_line_and_column() {
        let err = Input::from_bytes(Source::File("c.yaml".into()), b"a: 1\nb: \xff\n".to_vec());
        match err {
            Err(e @ RunError::NotUtf8 { .. }) => {
                assert!(e.to_string().starts_with("c.yaml:2:4: "), "{e}");
            }
            other => panic!("unexpected: {other:?}"),
        }
    }

    #[test]
    fn inputs_over_the_size_limit_are_refused_with_exit_2() {
        let path = || "big.yaml".to_owned();
        assert!(check_size(path, MAX_INPUT_BYTES as u64).is_ok());
        match check_size(path, MAX_INPUT_BYTES as u64 + 1) {
            Err(e) => {
                assert_eq!(e.exit_code(), 2);
                assert_eq!(
                    e.to_string(),
                    "big.yaml: the file is 1073741825 bytes; pomerium-migrate reads files of up \
                     to 1073741824 bytes (1 GiB)"
                );
            }
            Ok(()) => panic!("a file over the limit was accepted"),
        }
    }

    #[test]
    fn missing_files_are_reported_with_their_path() {
        let err = Input::read(Path::new("/nonexistent/c.yaml"), &mut io::empty());
        match err {
            Err(e) => {
                assert_eq!(e.exit_code(), 2);
                assert!(
                    e.to_string()
                        .starts_with("/nonexistent/c.yaml: cannot read")
                );
            }
            Ok(_) => panic!("read a file that does not exist"),
        }
    }
}
