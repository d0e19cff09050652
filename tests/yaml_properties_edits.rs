//! Property tests of the YAML engine's edits (issue 2, "Tests"), on documents generated from the
//! model in `yaml_model`.
//!
//! For a random batch of edits the test checks:
//! - `Document::apply` succeeds, or refuses with the error that the engine documents for that
//!   batch (see `yaml_edit_model::predicted_refusal`);
//! - the output, loaded with yaml-rust2's own loader, equals the model's data with the edits
//!   applied;
//! - every input line that no edit touched appears unchanged, in order, in the output (see
//!   `yaml_edit_model::touched_lines` for the exact definition of "touched"), the line-break
//!   style, a BOM and the presence of a final line break are kept.

mod yaml_edit_model;
mod yaml_model;

use std::collections::BTreeSet;

use pomerium_migrate::document::{Document, Format};
use proptest::prelude::*;

use yaml_edit_model::*;
use yaml_model::*;

/// In a file without a final line break, deleting its last lines takes the break before them
/// (so that the file still ends without one). When a blank line precedes them, its break is the
/// one taken, and the output ends with the line before it plus a break: the blank line is then an
/// empty last line, and the text `a: 1\n` reads the same as `a: 1` with a final break. Returns that
/// blank line, which counts as touched.
fn final_break_gap(input: &str, touched: &BTreeSet<usize>) -> Option<usize> {
    let ends = input.ends_with('\n') || input.ends_with('\r');
    let lines = split_lines(input);
    let kept = lines.len()
        - (0..lines.len())
            .rev()
            .take_while(|n| touched.contains(n))
            .count();
    let blank = kept.checked_sub(1)?;
    (!ends && kept < lines.len() && lines[blank].is_empty()).then_some(blank)
}

/// In a file without a final line break, the engine keeps the output's final break when the edits
/// leave last a line that had its own break (say the end of a `|+` block scalar) and dropping that
/// break would change the data: whether `output` is such a case, given the `expected` data.
fn final_break_needed(input: &str, output: &str, expected: &Data) -> bool {
    let ends = |t: &str| t.ends_with('\n') || t.ends_with('\r');
    if ends(input) || !ends(output) {
        return false;
    }
    let last = |t: &str| t.rsplit(['\n', '\r']).next().map(str::to_owned);
    let without = ["\r\n", "\n", "\r"]
        .iter()
        .find_map(|b| output.strip_suffix(b))
        .unwrap_or(output);
    last(input) != last(without) && load(without).ok().as_ref() != Some(expected)
}

fn check_layout_kept(input: &str, output: &str, crlf: bool, gap: bool) -> Result<(), String> {
    if input.starts_with('\u{feff}') != output.starts_with('\u{feff}') {
        return Err("the BOM was not kept".into());
    }
    let ends = |t: &str| t.ends_with('\n') || t.ends_with('\r');
    if !output.is_empty() && ends(input) != ends(output) && !gap {
        return Err("the presence of a final line break changed".into());
    }
    let bytes = output.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let bad = match b {
            b'\n' => crlf != (i > 0 && bytes[i - 1] == b'\r'),
            b'\r' => !crlf || bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        if bad {
            return Err(format!("a line break of the other style at byte {i}"));
        }
    }
    Ok(())
}

fn check_untouched_kept(
    input: &str,
    output: &str,
    touched: &BTreeSet<usize>,
) -> Result<(), String> {
    let out_lines = split_lines(output);
    let mut at = 0;
    for (n, line) in split_lines(input).into_iter().enumerate() {
        if touched.contains(&n) {
            continue;
        }
        match out_lines[at..].iter().position(|o| *o == line) {
            Some(k) => at += k + 1,
            None => {
                return Err(format!(
                    "input line {} ({line:?}) is not touched by any edit but is missing or out of \
                     order in the output",
                    n + 1
                ));
            }
        }
    }
    Ok(())
}

fn run_batch(doc: &Doc, seeds: &[Seed]) -> Result<(), TestCaseError> {
    let Rendered { text, recs } = render(doc);
    let model = doc.data();
    prop_assert_eq!(
        load(&text),
        Ok(model.clone()),
        "the generator's text does not mean its model:\n{}",
        text
    );
    let parsed = Document::parse(text.clone(), Format::Yaml)
        .map_err(|e| TestCaseError::fail(format!("parse failed: {e}\n{text}")))?;
    let plans = plan(doc, seeds);
    let mut edits = Vec::new();
    for p in &plans {
        match to_edit(&parsed, p) {
            Some(e) => edits.push(e),
            None => {
                return Err(TestCaseError::fail(format!(
                    "the engine has no node for {p:?}\n{text}"
                )));
            }
        }
    }
    // Comment-outs are possible exactly in block mappings.
    for p in &plans {
        if let Plan::Remove { map, key, .. } = p
            && let Some(entry) = entry_at(&parsed, map, key)
        {
            let flow = recs.maps.get(map).is_some_and(|m| m.flow);
            prop_assert_eq!(
                parsed.can_comment_out(entry),
                !flow,
                "can_comment_out of {}",
                key
            );
        }
    }
    // Item comment-outs (and annotations) are possible exactly in block sequences.
    for p in &plans {
        if let Plan::RemoveItem { seq, index, .. } | Plan::AnnotateItem { seq, index, .. } = p
            && let Some(item) =
                node_at(&parsed, seq).and_then(|s| parsed.items(s).get(*index).copied())
        {
            let flow = t_flow_seq(doc, seq);
            prop_assert_eq!(
                parsed.can_comment_out_item(item),
                !flow,
                "item {:?}[{}]",
                seq,
                index
            );
        }
    }
    let result = parsed.apply(&edits);
    if let Some(kind) = predicted_refusal(doc, &recs, &text, &plans) {
        match result {
            Err(e) => prop_assert_eq!(refusal_kind(&e), kind, "refused otherwise: {}", e),
            Ok(d) => {
                return Err(TestCaseError::fail(format!(
                    "expected a refusal ({kind}) for {plans:?}\n--- input\n{text}--- output\n{}",
                    d.text()
                )));
            }
        }
        return Ok(());
    }
    let out = match result {
        Ok(d) => d.text().to_owned(),
        Err(e) => {
            let rendered = parsed
                .backend_render_for_debug(&edits)
                .unwrap_or_else(|e| format!("<render failed: {e}>"));
            return Err(TestCaseError::fail(format!(
                "apply failed: {e}\nplans: {plans:?}\n--- input\n{text}\n--- rendered\n{rendered}"
            )));
        }
    };
    let expected = expected_data(&model, &plans);
    let context = || format!("plans: {plans:?}\n--- input\n{text}\n--- output\n{out}");
    match load(&out) {
        Ok(actual) if actual == expected => {}
        Ok(actual) => {
            return Err(TestCaseError::fail(format!(
                "wrong data:\nexpected {expected:?}\nactual   {actual:?}\n{}",
                context()
            )));
        }
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "output does not load: {e}\n{}",
                context()
            )));
        }
    }
    let mut touched = touched_lines(&recs, doc, &plans);
    for (_, _, _, lines) in block_scalar_absorptions(doc, &recs, &text, &plans) {
        touched.extend(lines);
    }
    let gap = final_break_gap(&text, &touched);
    touched.extend(gap);
    let needed = final_break_needed(&text, &out, &expected);
    check_layout_kept(&text, &out, doc.crlf, gap.is_some() || needed)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", context())))?;
    check_untouched_kept(&text, &out, &touched)
        .map_err(|e| TestCaseError::fail(format!("{e}\ntouched: {touched:?}\n{}", context())))?;
    Ok(())
}

/// Whether the sequence at `seq` is written in flow style.
fn t_flow_seq(doc: &Doc, seq: &[Seg]) -> bool {
    matches!(model_node(&doc.root, seq), Some(Node::Seq(s)) if s.flow)
}

proptest! {
    #[test]
    fn edit_batches_give_the_model_data_and_keep_untouched_lines(
        doc in doc(),
        seeds in prop::collection::vec(seed(), 1..6),
    ) {
        run_batch(&doc, &seeds)?;
    }

    #[test]
    fn item_edit_batches_give_the_model_data_and_keep_untouched_lines(
        doc in doc(),
        seeds in prop::collection::vec(item_seed(), 2..8),
    ) {
        run_batch(&doc, &seeds)?;
    }
}
