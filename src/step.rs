//! Migration steps: what a step is, what it receives and what it reports.
//!
//! A step is a small function over the [`Document`] API, registered with its version, id, scope
//! and documentation in `migrations/`. It reads the document, queues [`Edit`]s and adds
//! [`Finding`]s through a [`StepContext`]; the runner applies the edits in one batch and verifies
//! them. A step never sees text offsets or the file format.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::document::{
    DataEdits, Document, Edit, EntryId, EntryRef, Location, NodeId, Position, Value,
};
use crate::version::Version;

/// Which Pomerium component a config file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// Pomerium Core (`authenticate_service_url`, `routes`, …).
    Core,
    /// Pomerium Enterprise Console (`database_url`, `license-key`, …).
    Console,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Core => "core",
            FileKind::Console => "console",
        })
    }
}

/// Which files a step applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Core,
    Console,
}

impl Scope {
    pub fn applies_to(self, kind: FileKind) -> bool {
        matches!(
            (self, kind),
            (Scope::Core, FileKind::Core) | (Scope::Console, FileKind::Console)
        )
    }
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Rewritten automatically.
    Changed,
    /// The tool cannot finish this safely; the message says what to do.
    ActionRequired,
    /// A behaviour change that affects this file.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Changed => "changed",
            Severity::ActionRequired => "action-required",
            Severity::Note => "note",
        })
    }
}

/// One thing a step did or could not do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub version: Version,
    /// The step id, e.g. `set-authorization-header`.
    pub step: &'static str,
    pub severity: Severity,
    /// Where in the input file (the file as it was before the run).
    pub location: Option<Location>,
    /// In the tool's own words; never contains a secret value.
    pub message: String,
    pub link: &'static str,
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Location", 2)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("column", &self.column)?;
        st.end()
    }
}

/// What `--removed` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RemovedMode {
    /// Prefix the entry's lines with `# ` under a note ("Editing guarantees" in
    /// `docs/ARCHITECTURE.md`).
    #[default]
    Comment,
    Delete,
}

/// Which notes to report (`--notes`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NotesMode {
    /// Only notes about features this file uses.
    #[default]
    Relevant,
    /// Every note of the crossed versions.
    All,
}

/// Options that reach every step.
#[derive(Clone, Debug, Default)]
pub struct StepOptions {
    /// `--set KEY=VALUE`, keys as given (steps accept dash-case and snake_case).
    pub set: BTreeMap<String, String>,
    pub removed: RemovedMode,
    pub notes: NotesMode,
    /// Where decoded certificates go (`--certs-dir`); `None` means `certs/` beside the config.
    pub certs_dir: Option<PathBuf>,
    /// The version this run migrates the file to (`--to`, defaulted), set by the runner; `None`
    /// when a step runs on its own. A step may skip work that a later step of the same run
    /// would undo (v0.15 does not copy a private key that v0.16 would comment out).
    pub target: Option<Version>,
    /// The files on disk as this run sees them: steps ask it whether a file they would create
    /// exists already, and the report asks the same view afterwards.
    pub disk: Disk,
    /// Set when the config is not a file of its own but text inside another file (a Kubernetes
    /// ConfigMap or Secret entry): how that place is shown to the user. No file can be placed
    /// beside such a config, so steps then create none ([`StepContext::create_file`] refuses)
    /// and say instead how to deliver the data where Pomerium runs.
    pub embedded_in: Option<String>,
}

/// What the files a run may create hold on disk, read at most once per path per run, so that
/// the steps and the report see the same answer (and the steps never read the file system
/// themselves). Clones share what was read; [`Disk::default`] starts a new view. Writing
/// checks the disk again on its own, just before it writes (see `write`).
#[derive(Clone, Debug, Default)]
pub struct Disk {
    seen: Arc<Mutex<HashMap<PathBuf, OnDisk>>>,
}

/// What a path holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnDisk {
    /// Nothing: the path is free.
    Absent,
    /// A file with these bytes.
    File(Arc<Vec<u8>>),
    /// Something that could not be read (a directory, no permission): treat it as taken.
    Unreadable,
}

impl Disk {
    /// What `path` holds, read on first asking.
    pub fn read(&self, path: &Path) -> OnDisk {
        let mut seen = match self.seen.lock() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        };
        seen.entry(path.to_owned())
            .or_insert_with(|| match std::fs::read(path) {
                Ok(bytes) => OnDisk::File(Arc::new(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => OnDisk::Absent,
                Err(_) => OnDisk::Unreadable,
            })
            .clone()
    }

    /// `Some(true)`: `path` already holds `bytes`; `Some(false)`: it is free; `None`: it holds
    /// something else, or cannot be read.
    pub fn holds(&self, path: &Path, bytes: &[u8]) -> Option<bool> {
        match self.read(path) {
            OnDisk::File(existing) => (existing.as_slice() == bytes).then_some(true),
            OnDisk::Absent => Some(false),
            OnDisk::Unreadable => None,
        }
    }
}

impl StepOptions {
    /// Whether this run goes on to `version` or further (never, when the target is unknown).
    pub fn reaches(&self, version: Version) -> bool {
        self.target.is_some_and(|target| target >= version)
    }

    /// A `--set` value by any spelling of its key (`license-key` or `license_key`).
    pub fn get(&self, key: &str) -> Option<&str> {
        let dash = key.replace('_', "-");
        let snake = key.replace('-', "_");
        self.set
            .get(&dash)
            .or_else(|| self.set.get(&snake))
            .map(String::as_str)
    }
}

/// A file a step wants created next to the config (a decoded certificate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedFile {
    pub path: PathBuf,
    pub mode: u32,
    pub contents: Vec<u8>,
}

/// What a step function gets: the document, the run's facts, and places to put results.
pub struct StepContext<'a> {
    pub doc: &'a Document,
    pub kind: FileKind,
    pub options: &'a StepOptions,
    /// The data of a core config given in the same run (console steps take values from it).
    pub core: Option<&'a Value>,
    /// The config file's path (`None` for stdin), for files created beside it.
    pub config_path: Option<&'a std::path::Path>,
    pub(crate) step: &'a Step,
    pub(crate) edits: Vec<Edit>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) created: Vec<CreatedFile>,
    /// What `edits` and `findings` hold already, so that a step with an edit per route does not
    /// compare each new one with all the others.
    queued: foldhash::HashSet<Edit>,
    reported: foldhash::HashSet<(Severity, Option<Location>, String)>,
}

impl<'a> StepContext<'a> {
    pub fn new(
        step: &'a Step,
        doc: &'a Document,
        kind: FileKind,
        options: &'a StepOptions,
        core: Option<&'a Value>,
        config_path: Option<&'a std::path::Path>,
    ) -> StepContext<'a> {
        StepContext {
            doc,
            kind,
            options,
            core,
            config_path,
            step,
            edits: Vec::new(),
            findings: Vec::new(),
            created: Vec::new(),
            queued: foldhash::HashSet::default(),
            reported: foldhash::HashSet::default(),
        }
    }

    /// Queues an edit; all of a step's edits are applied together after it returns.
    pub fn edit(&mut self, edit: Edit) {
        if !self.queued.contains(&edit) {
            self.queued.insert(edit.clone());
            self.edits.push(edit);
        }
    }

    fn finding(&mut self, severity: Severity, location: Option<Location>, message: String) {
        let f = Finding {
            version: self.step.version,
            step: self.step.id,
            severity,
            location,
            message,
            link: self.step.link,
        };
        // Several routes can reach one anchored entry; report it once. (Version, step and link
        // are this step's for every finding here.)
        if self
            .reported
            .insert((f.severity, f.location, f.message.clone()))
        {
            self.findings.push(f);
        }
    }

    pub fn changed(&mut self, location: Option<Location>, message: impl Into<String>) {
        self.finding(Severity::Changed, location, message.into());
    }

    pub fn action(&mut self, location: Option<Location>, message: impl Into<String>) {
        self.finding(Severity::ActionRequired, location, message.into());
    }

    /// A note about a behaviour change. Notes that only matter with `--notes all` should be
    /// added with [`StepContext::general_note`].
    pub fn note(&mut self, location: Option<Location>, message: impl Into<String>) {
        self.finding(Severity::Note, location, message.into());
    }

    /// A note shown only with `--notes all` (it does not depend on this file's content).
    pub fn general_note(&mut self, message: impl Into<String>) {
        if self.options.notes == NotesMode::All {
            self.finding(Severity::Note, None, message.into());
        }
    }

    /// The `--set` value of `key` (either spelling given). `key` must be one of the step's
    /// [`Step::settings`]: that list is what `--set` accepts, so a key read without being
    /// listed would be refused on the command line (caught in debug builds).
    pub fn setting(&self, key: &str) -> Option<&'a str> {
        let listed = self.step.settings.contains(&key);
        debug_assert!(
            listed,
            "step {} reads --set {key} without listing it in `settings`",
            self.step.qualified_id()
        );
        if listed { self.options.get(key) } else { None }
    }

    /// Asks for a file to be created (written before the config, removed if that fails).
    /// Refused (nothing is asked for, `false`) when the config is embedded in another file
    /// ([`StepOptions::embedded_in`]): there is no directory beside it to write to, and a step
    /// must check that before it rewrites a value to name the file.
    pub fn create_file(&mut self, file: CreatedFile) -> bool {
        if self.options.embedded_in.is_some() {
            return false;
        }
        self.created.push(file);
        true
    }

    pub fn created_files(&self) -> &[CreatedFile] {
        &self.created
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Removes an entry as `--removed` asks: commented out under `note` where the format
    /// allows, deleted otherwise. Returns whether it was commented out.
    pub fn remove(&mut self, entry: EntryId, note: &str) -> bool {
        let comment =
            self.options.removed == RemovedMode::Comment && self.doc.can_comment_out(entry);
        if comment {
            self.edit(Edit::CommentOut {
                entry,
                note: format!("pomerium-migrate v{}: {note}", self.step.version),
            });
        } else {
            self.edit(Edit::Delete { entry });
        }
        comment
    }

    /// Renames an entry's key.
    pub fn rename(&mut self, entry: &EntryRef<'_>, new_key: &str) {
        self.edit(Edit::RenameKey {
            entry: entry.id,
            new_key: new_key.to_owned(),
        });
    }

    /// Sets a scalar's value.
    pub fn set_scalar(&mut self, node: NodeId, value: Value) {
        self.edit(Edit::SetScalar { node, value });
    }

    /// Adds `key: value` to `map`, after `after` when given, else at the end.
    pub fn insert(&mut self, map: NodeId, after: Option<EntryId>, key: &str, value: Value) {
        self.edit(Edit::Insert {
            map,
            position: after.map_or(Position::End, Position::After),
            key: key.to_owned(),
            value,
        });
    }

    /// Replaces a value node (scalar or collection) by `value`.
    pub fn replace(&mut self, node: NodeId, value: Value) {
        self.edit(Edit::ReplaceValue { node, value });
    }
}

/// A migration step, registered in `migrations/mod.rs`.
#[derive(Debug)]
pub struct Step {
    /// The release this step migrates to: it turns a config valid for the previous release into
    /// one valid for this one.
    pub version: Version,
    /// Short kebab-case id, unique across the chain (`set-authorization-header`).
    pub id: &'static str,
    pub title: &'static str,
    pub scope: Scope,
    /// The step's documentation: what changed in Pomerium, what the step does, before/after.
    /// Written as the doc comment of the step's declaration; `explain` prints it.
    pub doc: &'static str,
    /// The config keys this step handles (rewrites or reports); used to prove every removed key
    /// is covered.
    pub handles: &'static [&'static str],
    /// The `--set` keys this step reads (dash-case), through [`StepContext::setting`]. The keys
    /// `--set` accepts are those of the chain's steps: a key no step reads is refused.
    pub settings: &'static [&'static str],
    pub link: &'static str,
    pub run: fn(&mut StepContext<'_>),
}

impl Step {
    /// `v0.24/set-authorization-header`.
    pub fn qualified_id(&self) -> String {
        format!("v{}/{}", self.version, self.id)
    }
}

/// Declares a step; the doc comment above it becomes [`Step::doc`]. A step that reads `--set`
/// values names their keys first, as `settings: &["license-key"],` ([`Step::settings`]); the
/// others leave it out (no key).
///
/// ```text
/// step! {
///     /// What changed in Pomerium, what the step does, a before/after example.
///     pub static PASS_THROUGH = Step {
///         version: Version::new(0, 24), id: "…", title: "…", scope: Scope::Core,
///         handles: &["…"], link: "…", run: run,
///     };
/// }
/// ```
#[macro_export]
macro_rules! step {
    ($(#[doc = $doc:literal])* $vis:vis static $name:ident = Step { settings: $settings:expr, $($field:ident : $value:expr),* $(,)? };) => {
        $(#[doc = $doc])*
        $vis static $name: $crate::step::Step = $crate::step::Step {
            doc: concat!($($doc, "\n"),*),
            settings: $settings,
            $($field: $value),*
        };
    };
    ($(#[doc = $doc:literal])* $vis:vis static $name:ident = Step { $($field:ident : $value:expr),* $(,)? };) => {
        $(#[doc = $doc])*
        $vis static $name: $crate::step::Step = $crate::step::Step {
            doc: concat!($($doc, "\n"),*),
            settings: &[],
            $($field: $value),*
        };
    };
}

/// What running one step produced.
#[derive(Debug)]
pub struct StepOutcome {
    /// The edited document (verified, except by [`run_chain_step`] with `composed`); `None` when the step
    /// queued no edit.
    pub document: Option<Document>,
    pub findings: Vec<Finding>,
    pub created: Vec<CreatedFile>,
    /// Indices into `findings` of actions that left no marker in the document (no place to
    /// put one: no location, a deleted entry, JSON, a flow collection).
    pub untraced: Vec<usize>,
}

/// Runs one step on a document: calls it, marks the actions it leaves
/// ([`crate::validate::marker`]), applies its edits in one batch and verifies them.
pub fn run_step(
    step: &Step,
    doc: &Document,
    kind: FileKind,
    options: &StepOptions,
    core: Option<&Value>,
    config_path: Option<&std::path::Path>,
) -> Result<StepOutcome, crate::document::EditError> {
    run_chain_step(
        step,
        StepDoc::Shared(doc),
        kind,
        options,
        core,
        config_path,
        None,
    )
}

/// The document a step runs on ([`run_chain_step`]), and whether its index may go to the
/// step's result.
pub enum StepDoc<'d> {
    /// Read only: the result's index is grafted from a copy of this one's.
    Shared(&'d Document),
    /// A chain's intermediate document, replaced by the step's result: the result's index is
    /// built from this one's by moving it (see [`Document::apply_composed_releasing`]). The
    /// document keeps its text.
    Releasing(&'d mut Document),
}

impl StepDoc<'_> {
    fn get(&self) -> &Document {
        match self {
            StepDoc::Shared(doc) => doc,
            StepDoc::Releasing(doc) => doc,
        }
    }
}

/// [`run_step`] as one step of a chain. With `composed` the chain is verified once at its end:
/// the edits are rendered and the result indexed, and what they mean to the data is appended to
/// `composed`, the data edits of the chain's steps so far (see [`Document::apply_composed`]);
/// the caller builds the expected data from them and compares the last document with it
/// ([`Document::verify`]). Without it the step's result is verified on its own, as by
/// [`run_step`].
pub fn run_chain_step(
    step: &Step,
    mut doc: StepDoc<'_>,
    kind: FileKind,
    options: &StepOptions,
    core: Option<&Value>,
    config_path: Option<&std::path::Path>,
    mut composed: Option<&mut DataEdits>,
) -> Result<StepOutcome, crate::document::EditError> {
    let (placement, findings, created) = {
        let shared = doc.get();
        let mut cx = StepContext::new(step, shared, kind, options, core, config_path);
        (step.run)(&mut cx);
        let placement = crate::validate::marker::place(shared, step, &cx.findings, &cx.edits);
        (placement, cx.findings, cx.created)
    };
    let mut untraced = placement.untraced;
    // A refused batch may be retried without its markers (below): how many data edits the
    // chain had before it.
    let before = composed.as_deref().map(DataEdits::len);
    let document = match apply_batch(&mut doc, &placement.edits, composed.as_deref_mut()) {
        Ok(document) => document,
        Err(_) if !placement.annotated.is_empty() => {
            // A marker that does not fit the layout (the engine refused it) must not cost the
            // step its work: apply the step's own edits, and say the actions are unmarked.
            if let (Some(composed), Some(before)) = (composed.as_deref_mut(), before) {
                composed.truncate(before);
            }
            let own: Vec<Edit> = placement
                .edits
                .into_iter()
                .filter(|e| !matches!(e, Edit::Annotate { .. }))
                .collect();
            untraced.extend(placement.annotated);
            untraced.sort_unstable();
            apply_batch(&mut doc, &own, composed)?
        }
        Err(e) => return Err(e),
    };
    Ok(StepOutcome {
        document,
        findings,
        created,
        untraced,
    })
}

/// Applies one batch: verified on its own, or its data edits appended to `composed` for a
/// verification at the end of the chain.
fn apply_batch(
    doc: &mut StepDoc<'_>,
    edits: &[Edit],
    composed: Option<&mut DataEdits>,
) -> Result<Option<Document>, crate::document::EditError> {
    if edits.is_empty() {
        return Ok(None);
    }
    match (composed, doc) {
        (Some(composed), StepDoc::Releasing(doc)) => {
            Ok(Some(doc.apply_composed_releasing(edits, composed)?))
        }
        (Some(composed), StepDoc::Shared(doc)) => Ok(Some(doc.apply_composed(edits, composed)?)),
        (None, doc) => {
            let next = doc.get().apply_indexed(edits)?;
            // The next step reads it: index it now so a failure is this step's.
            next.ensure_indexed()?;
            Ok(Some(next))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Steps reach documents only through the format-neutral API and the disk only through
    /// [`Disk`]; the compiler cannot tell `migrations/` from the engine (they share the crate),
    /// so this test does.
    #[test]
    fn steps_use_only_the_step_api() -> Result<(), std::io::Error> {
        const FORBIDDEN: &[&str] = &[
            ".span(",
            ".tree()",
            "backend_render_for_debug",
            "crate::yaml",
            "crate::toml",
            "crate::runner",
            "crate::cli",
            "crate::write",
            "std::fs",
            "fs::",
            "File::open",
        ];
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files = vec![dir.clone()];
        let mut checked = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path)? {
                    files.push(entry?.path());
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for bad in FORBIDDEN {
                    assert!(
                        !code.contains(bad),
                        "{}:{}: a step uses `{bad}`; use the Document API and StepOptions::disk",
                        path.display(),
                        n + 1
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > 10, "only {checked} migration files found");
        Ok(())
    }

    fn noop(_: &mut StepContext<'_>) {}

    crate::step! {
        /// Test step.
        static FILE_STEP = Step {
            version: Version::new(0, 24), id: "file-step", title: "t", scope: Scope::Core,
            handles: &[], link: "", run: noop,
        };
    }

    /// A config embedded in another file has no directory of its own: asking for a file there
    /// is refused, whatever the step does next; a config file of its own gets its file.
    #[test]
    fn an_embedded_config_gets_no_created_file() -> Result<(), crate::document::ParseError> {
        let doc = Document::parse("a: 1\n".to_owned(), crate::document::Format::Yaml)?;
        let file = CreatedFile {
            path: PathBuf::from("certs/a.pem"),
            mode: 0o644,
            contents: b"pem".to_vec(),
        };
        for (embedded_in, expected) in [(None, 1), (Some("ConfigMap `c`".to_owned()), 0)] {
            let options = StepOptions {
                embedded_in: embedded_in.clone(),
                ..StepOptions::default()
            };
            let mut cx = StepContext::new(&FILE_STEP, &doc, FileKind::Core, &options, None, None);
            assert_eq!(cx.create_file(file.clone()), embedded_in.is_none());
            assert_eq!(cx.created_files().len(), expected, "{embedded_in:?}");
        }
        Ok(())
    }

    /// Replaces the mapping under `outer` and reports an action at the entry `inner` inside it:
    /// the marker above `inner` falls inside the replaced text, which the engine refuses.
    fn replace_around_action(cx: &mut StepContext<'_>) {
        let doc = cx.doc;
        let Some(outer) = doc.top("outer") else {
            return;
        };
        if let Some(inner) = doc.get(outer.value, "inner") {
            cx.action(Some(doc.location(inner.key_node)), "check `inner`");
        }
        cx.replace(
            outer.value,
            Value::Mapping(vec![(Value::String("new".into()), Value::Int(1))]),
        );
    }

    crate::step! {
        /// Test step.
        static REPLACE_AROUND_ACTION = Step {
            version: Version::new(0, 24), id: "replace-around-action", title: "t",
            scope: Scope::Core, handles: &[], link: "", run: replace_around_action,
        };
    }

    /// A batch refused because of its markers is applied again without them, in a chain
    /// verified at its end too: the step's own edits are kept, the action is reported as
    /// unmarked, and the chain's data edits are those of the batch that was applied, after
    /// those of the steps before (the refused attempt's are forgotten).
    #[test]
    fn a_batch_refused_for_its_markers_is_composed_without_them()
    -> Result<(), Box<dyn std::error::Error>> {
        let text = "a: 1\nouter:\n  inner: x\n  other: y\n";
        let doc = Document::parse(text.to_owned(), crate::document::Format::Yaml)?;
        let options = StepOptions::default();
        let (outer, a) = match (doc.top("outer"), doc.top("a")) {
            (Some(outer), Some(a)) => (outer.value, a.value),
            _ => panic!("the test document lacks its keys"),
        };
        let replace = Edit::ReplaceValue {
            node: outer,
            value: Value::Mapping(vec![(Value::String("new".into()), Value::Int(1))]),
        };
        // The batch with the marker is refused; without it, it is not.
        let mut cx = StepContext::new(
            &REPLACE_AROUND_ACTION,
            &doc,
            FileKind::Core,
            &options,
            None,
            None,
        );
        (REPLACE_AROUND_ACTION.run)(&mut cx);
        let placement =
            crate::validate::marker::place(&doc, &REPLACE_AROUND_ACTION, &cx.findings, &cx.edits);
        assert_eq!(placement.annotated, vec![0]);
        assert!(doc.apply(&placement.edits).is_err());
        // An earlier step's data edits, made for the same document.
        let earlier = [Edit::SetScalar {
            node: a,
            value: Value::Int(2),
        }];
        let mut composed = DataEdits::default();
        doc.apply_composed(&earlier, &mut composed)?;
        let held = composed.len();
        assert!(held > 0);
        let outcome = run_chain_step(
            &REPLACE_AROUND_ACTION,
            StepDoc::Shared(&doc),
            FileKind::Core,
            &options,
            None,
            None,
            Some(&mut composed),
        )?;
        assert_eq!(outcome.untraced, vec![0]);
        let Some(next) = outcome.document else {
            panic!("the step's own edit was not applied");
        };
        // The same text as the step verified on its own.
        let alone = run_step(
            &REPLACE_AROUND_ACTION,
            &doc,
            FileKind::Core,
            &options,
            None,
            None,
        )?;
        assert_eq!(
            alone.document.as_ref().map(Document::text),
            Some("a: 1\nouter:\n  new: 1\n")
        );
        assert_eq!(alone.untraced, vec![0]);
        assert_eq!(
            alone.document.as_ref().map(Document::text),
            Some(next.text())
        );
        // Exactly the earlier data edits and the replacement's.
        assert_eq!(composed.len(), held + 1);
        let oracle = doc.expected_data(&[earlier[0].clone(), replace.clone()])?;
        let expected = composed.expected_data(&doc);
        assert_eq!(expected, oracle);
        // `a` is still 1 in the step's text: the composed data (a: 2) is not its data, but is
        // the data of the earlier edit and this one together.
        assert!(next.verify(&expected).is_err());
        let both = doc.apply(&[earlier[0].clone(), replace])?;
        assert_eq!(both.verify(&expected), Ok(()));
        Ok(())
    }

    #[test]
    fn the_disk_view_reads_each_path_once() -> Result<(), std::io::Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.pem");
        std::fs::write(&path, b"one")?;
        let disk = Disk::default();
        assert_eq!(disk.holds(&path, b"one"), Some(true));
        assert_eq!(disk.holds(&dir.path().join("b.pem"), b"x"), Some(false));
        // Changed meanwhile: the run keeps the answer it started with, in every clone.
        std::fs::write(&path, b"two")?;
        let clone = disk.clone();
        assert_eq!(clone.holds(&path, b"one"), Some(true));
        assert_eq!(clone.holds(&path, b"two"), None);
        assert_eq!(Disk::default().holds(&path, b"two"), Some(true));
        // A directory is no file to replace.
        assert_eq!(disk.read(dir.path()), OnDisk::Unreadable);
        Ok(())
    }
}
