//! Paths such as `routes[*].set_request_headers`, `policy[*]` or `downstream_mtls.ca`.

use std::fmt;

use thiserror::Error;

/// One segment of a [`Path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    /// A mapping key.
    Key(String),
    /// One sequence item.
    Index(usize),
    /// `[*]`: every item of a sequence.
    AnyItem,
    /// `*`: every entry of a mapping.
    AnyKey,
}

/// A query path into a document. Keys are separated by `.`, sequence items are `[N]` or `[*]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path(pub Vec<PathSeg>);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid path `{path}`: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: &'static str,
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let err = |reason| PathError {
            path: text.to_owned(),
            reason,
        };
        let mut segs = Vec::new();
        let mut rest = text;
        let mut expect_key = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']').ok_or_else(|| err("unclosed `[`"))?;
                let inner = &after[..close];
                segs.push(if inner == "*" {
                    PathSeg::AnyItem
                } else {
                    PathSeg::Index(
                        inner
                            .parse()
                            .map_err(|_| err("index must be a number or *"))?,
                    )
                });
                rest = &after[close + 1..];
                expect_key = false;
                continue;
            }
            if !expect_key {
                rest = rest
                    .strip_prefix('.')
                    .ok_or_else(|| err("expected `.` or `[` after a segment"))?;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() {
                return Err(err("empty key"));
            }
            if key.contains(']') {
                return Err(err("unexpected `]`"));
            }
            segs.push(if key == "*" {
                PathSeg::AnyKey
            } else {
                PathSeg::Key(key.to_owned())
            });
            rest = &rest[end..];
            expect_key = false;
        }
        Ok(Path(segs))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathSeg::AnyKey => f.write_str(if i > 0 { ".*" } else { "*" })?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
                PathSeg::AnyItem => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for text in [
            "routes[*].set_request_headers",
            "policy[*]",
            "downstream_mtls.ca",
            "a[3][*].b",
            "routes[*].*",
        ] {
            let p = Path::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(
            Path::parse("routes[*].to").map(|p| p.0),
            Ok(vec![
                PathSeg::Key("routes".into()),
                PathSeg::AnyItem,
                PathSeg::Key("to".into())
            ])
        );
    }

    #[test]
    fn rejects_malformed() {
        for text in ["a..b", "a[", "a[x]", "a]b", ".a"] {
            assert!(Path::parse(text).is_err(), "{text}");
        }
    }
}
