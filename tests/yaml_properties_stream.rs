//! Property tests of YAML streams (`Document::parse_stream`), on documents generated from the
//! model in `yaml_model` joined by the text YAML allows between documents (`---`, `...`, a `%YAML`
//! directive, comments, an empty document).
//!
//! - Without an edit, the stream prints back byte for byte, and its data is the sequence of the
//!   documents' data (an empty document is a null).
//! - A batch of edits in document k gives exactly the text before document k, then what the same
//!   batch gives on document k parsed alone, then the text after it: the other documents and the
//!   text between documents are byte-identical, and document k is edited as a config would be
//!   (so the edit properties of `yaml_properties_edits.rs` carry over). A batch refused alone is
//!   refused the same way in the stream.

// This test uses the generator, the printer and the edit plans of the shared models; the rest
// of them serves `yaml_properties_edits.rs`.
#[allow(dead_code)]
mod yaml_edit_model;
#[allow(dead_code)]
mod yaml_model;

use pomerium_migrate::document::{Document, Format, Value};
use proptest::prelude::*;

use yaml_edit_model::*;
use yaml_model::*;

/// The text before one document of the stream (after the previous one).
#[derive(Clone, Debug)]
struct Separator {
    end_marker: bool,
    comment: bool,
    empty_document: bool,
    directive: bool,
}

fn separator() -> impl Strategy<Value = Separator> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(end_marker, comment, empty_document, directive)| Separator {
                end_marker,
                comment,
                empty_document,
                directive,
            },
        )
}

/// A stream: the documents and the text before each of the documents after the first.
#[derive(Debug)]
struct Stream {
    /// The text before each document, the document's text, and its item index in the stream.
    parts: Vec<(String, String, usize)>,
    docs: Vec<Doc>,
    /// The stream's data, empty documents included.
    data: Vec<Value>,
}

fn build(mut docs: Vec<Doc>, seps: &[Separator]) -> Stream {
    // One line-break style and one indentation step for the whole stream (the engine takes both
    // from the file); a BOM only at the start, a missing final line break only at the end.
    let (crlf, last) = (docs[0].crlf, docs.len() - 1);
    for (i, d) in docs.iter_mut().enumerate() {
        d.crlf = crlf;
        d.unit = 2;
        d.bom &= i == 0;
        d.final_newline |= i < last;
    }
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut parts = Vec::new();
    let mut data = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let mut before = String::new();
        if i > 0 {
            let sep = &seps[(i - 1) % seps.len()];
            if sep.end_marker {
                before.push_str(&format!("...{eol}"));
            }
            if sep.comment {
                before.push_str(&format!("# between documents{eol}"));
            }
            if sep.empty_document {
                before.push_str(&format!("--- # an empty document{eol}"));
                data.push(Value::Null);
            }
            if sep.directive {
                if sep.empty_document || !sep.end_marker {
                    before.push_str(&format!("...{eol}"));
                }
                before.push_str(&format!("%YAML 1.2{eol}"));
            }
            if !d.marker {
                before.push_str(&format!("---{eol}"));
            }
        }
        let text = render(d).text;
        data.push(to_value(&d.data()));
        parts.push((before, text, data.len() - 1));
    }
    Stream { parts, docs, data }
}

fn whole(parts: &[(String, String, usize)]) -> String {
    parts.iter().map(|(b, t, _)| format!("{b}{t}")).collect()
}

fn prefixed(path: &[Seg], k: usize) -> DataPath {
    let mut p = vec![Seg::Idx(k)];
    p.extend_from_slice(path);
    p
}

/// A plan on document k alone, as a plan on the stream.
fn in_stream(p: &Plan, k: usize) -> Plan {
    match p.clone() {
        Plan::Rename { map, key, new_key } => Plan::Rename {
            map: prefixed(&map, k),
            key,
            new_key,
        },
        Plan::SetScalar { path, value } => Plan::SetScalar {
            path: prefixed(&path, k),
            value,
        },
        Plan::Insert {
            map,
            after,
            key,
            value,
        } => Plan::Insert {
            map: prefixed(&map, k),
            after,
            key,
            value,
        },
        Plan::Remove { map, key, note } => Plan::Remove {
            map: prefixed(&map, k),
            key,
            note,
        },
        Plan::Replace { path, value } => Plan::Replace {
            path: prefixed(&path, k),
            value,
        },
        Plan::ReplaceBlock { path, value } => Plan::ReplaceBlock {
            path: prefixed(&path, k),
            value,
        },
        Plan::RemoveItem { seq, index, note } => Plan::RemoveItem {
            seq: prefixed(&seq, k),
            index,
            note,
        },
        Plan::AnnotateItem { seq, index, text } => Plan::AnnotateItem {
            seq: prefixed(&seq, k),
            index,
            text,
        },
    }
}

fn check(stream: &Stream, pick: usize, seeds: &[Seed]) -> Result<(), TestCaseError> {
    let text = whole(&stream.parts);
    let doc = Document::parse_stream(text.clone())
        .map_err(|e| TestCaseError::fail(format!("stream parse failed: {e}\n{text}")))?;
    prop_assert_eq!(doc.data(), Value::Sequence(stream.data.clone()), "{}", text);
    prop_assert_eq!(
        doc.apply(&[]).map(|d| d.text().to_owned()),
        Ok(text.clone())
    );

    let k = pick % stream.docs.len();
    let (_, alone_text, item) = &stream.parts[k];
    let model = &stream.docs[k];
    let alone = Document::parse(alone_text.clone(), Format::Yaml)
        .map_err(|e| TestCaseError::fail(format!("parse failed: {e}\n{alone_text}")))?;
    let plans = plan(model, seeds);
    let edit_alone: Option<Vec<_>> = plans.iter().map(|p| to_edit(&alone, p)).collect();
    let edit_stream: Option<Vec<_>> = plans
        .iter()
        .map(|p| to_edit(&doc, &in_stream(p, *item)))
        .collect();
    let (Some(edit_alone), Some(edit_stream)) = (edit_alone, edit_stream) else {
        return Err(TestCaseError::fail(format!(
            "no node for {plans:?}\n{text}"
        )));
    };
    match (alone.apply(&edit_alone), doc.apply(&edit_stream)) {
        (Ok(a), Ok(s)) => {
            let mut parts = stream.parts.clone();
            parts[k].1 = a.text().to_owned();
            prop_assert_eq!(
                s.text(),
                whole(&parts),
                "plans {:?} on document {}\n--- input\n{}",
                plans,
                k,
                text
            );
        }
        (Err(a), Err(s)) => prop_assert_eq!(refusal_kind(&a), refusal_kind(&s), "{} / {}", a, s),
        (a, s) => {
            return Err(TestCaseError::fail(format!(
                "alone: {:?}\nstream: {:?}\nplans {plans:?}\n--- input\n{text}",
                a.map(|d| d.text().to_owned()),
                s.map(|d| d.text().to_owned())
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn streams_print_back_and_edits_stay_in_their_document(
        docs in prop::collection::vec(doc(), 1..4),
        seps in prop::collection::vec(separator(), 1..3),
        pick in any::<usize>(),
        seeds in prop::collection::vec(seed(), 1..5),
    ) {
        let stream = build(docs, &seps);
        check(&stream, pick, &seeds)?;
    }
}
