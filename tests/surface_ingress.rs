//! The Ingress Controller's surfaces in Kubernetes manifests: `check` tells the truth about
//! annotations and `Pomerium` resource fields (before and after `apply`, and once an action
//! is done), and a manifest stream's other objects come out byte for byte as they went in,
//! wherever they sit between the controller's.

use std::fs;
use std::path::Path;

use pomerium_migrate::document::{Document, Format};
use pomerium_migrate::runner::{Input, RunConfig, Source};
use pomerium_migrate::step::StepOptions;
use pomerium_migrate::surface::ingress::manifest;
use pomerium_migrate::version::Version;

mod common;

use common::{TestResult, bin, run_parts, s};

fn run(args: &[&str]) -> (i32, String, String) {
    run_parts(bin().args(args))
}

/// `check`'s exit code for `file` with `args`.
fn check(file: &Path, args: &[&str]) -> i32 {
    let mut argv = vec!["check", s(file)];
    argv.extend(args);
    run(&argv).0
}

fn apply(file: &Path, args: &[&str]) -> Result<(), String> {
    let mut argv = vec!["apply", s(file), "--no-backup"];
    argv.extend(args);
    match run(&argv) {
        (0, _, _) => Ok(()),
        (code, out, err) => Err(format!("apply exited {code}: {out}{err}")),
    }
}

/// Deletes the tool's action marker lines (what the operator does once an action is done).
fn close_actions(file: &Path) -> TestResult {
    let text = fs::read_to_string(file)?;
    let kept: String = text
        .split_inclusive('\n')
        .filter(|l| !l.trim_start().starts_with("# pomerium-migrate action "))
        .collect();
    fs::write(file, kept)?;
    Ok(())
}

const RENAME: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n  \
                      annotations:\n    ingress.pomerium.io/lb_policy: RANDOM\n    \
                      ingress.pomerium.io/set_request_headers: |\n      X-Price: \"$5\"\n";

const ALLOWED_GROUPS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  \
                              name: wiki\n  annotations:\n    \
                              ingress.pomerium.io/allowed_groups: '[admins]'\n";

const LB_CONFIG: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \
                         api\n  annotations:\n    ingress.pomerium.io/lb_config: '{}'\n    \
                         ingress.pomerium.io/timeout: 30s\n";

const REDIS: &str = "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nmetadata:\n  name: \
                     global\nspec:\n  secrets: pomerium/bootstrap\n  storage:\n    redis:\n      \
                     secret: pomerium/redis\n";

const CALLBACK: &str = "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nmetadata:\n  name: \
                        global\nspec:\n  authenticate:\n    url: https://auth.example.com\n    \
                        callbackPath: /oauth2/callback\n";

/// A renamed option and a rewritten value need no action: `check` fails before `apply` and
/// passes after it. The same holds for a removed resource field whose behaviour the release
/// keeps (the default callback path).
#[test]
fn check_passes_once_the_changes_are_applied() -> TestResult {
    for (text, args) in [
        (RENAME, ["--from", "0.22", "--to", "0.32"]),
        (CALLBACK, ["--from", "0.30", "--to", "0.31"]),
    ] {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("manifest.yaml");
        fs::write(&file, text)?;
        assert_eq!(check(&file, &args), 1, "{text}");
        apply(&file, &args)?;
        assert_ne!(fs::read_to_string(&file)?, text);
        // Without --from (the written file is the target's; with the old --from, v0.23 would
        // double the `$` again, as for a config).
        assert_eq!(
            check(&file, &args[2..]),
            0,
            "{}",
            fs::read_to_string(&file)?
        );
    }
    Ok(())
}

/// A removed annotation or field with an action stays reported after `apply` through the
/// marker the tool leaves, until the operator deletes it.
#[test]
fn actions_stay_open_until_their_marker_is_deleted() -> TestResult {
    for (text, args, kept) in [
        (
            ALLOWED_GROUPS,
            ["--from", "0.19", "--to", "0.20"],
            "# ingress.pomerium.io/allowed_groups: '[admins]'",
        ),
        (
            REDIS,
            ["--from", "0.24", "--to", "0.25"],
            "#   redis:\n  #     secret: pomerium/redis",
        ),
    ] {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("manifest.yaml");
        fs::write(&file, text)?;
        assert_eq!(check(&file, &args), 1);
        apply(&file, &args)?;
        let written = fs::read_to_string(&file)?;
        assert!(written.contains(kept), "{written}");
        assert!(
            written.contains("# pomerium-migrate action v0.2"),
            "{written}"
        );
        assert_eq!(check(&file, &args), 1, "{written}");
        assert_eq!(check(&file, &args[2..]), 1, "{written}");
        close_actions(&file)?;
        assert_eq!(
            check(&file, &args[2..]),
            0,
            "{}",
            fs::read_to_string(&file)?
        );
    }
    Ok(())
}

/// An annotation the target's controller refuses, with nothing the chain can rewrite
/// (`lb_config`), keeps `check` failing whatever `--from` says, until it is gone.
#[test]
fn a_refused_annotation_fails_check_while_it_is_there() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("manifest.yaml");
    fs::write(&file, LB_CONFIG)?;
    assert_eq!(check(&file, &["--from", "0.15", "--to", "0.15"]), 0);
    for from in ["0.15", "0.16", "0.20"] {
        assert_eq!(check(&file, &["--from", from, "--to", "0.20"]), 1, "{from}");
    }
    let (code, out, _) = run(&["plan", s(&file), "--from", "0.15", "--to", "0.16"]);
    assert_eq!(code, 0);
    assert!(out.contains("ingress.pomerium.io/lb_config"), "{out}");
    fs::write(
        &file,
        LB_CONFIG.replace("    ingress.pomerium.io/lb_config: '{}'\n", ""),
    )?;
    assert_eq!(check(&file, &["--from", "0.16", "--to", "0.20"]), 0);
    Ok(())
}

/// `detect` lists the Ingresses with Pomerium annotations, the `Pomerium` resources and the
/// controller containers, the image's tag read as the Pomerium release it embeds (table C4 of
/// the fact sheet: controller v0.16.0 still embeds 0.15).
#[test]
fn detect_names_the_controller_objects_and_the_image_evidence() -> TestResult {
    let dir = tempfile::tempdir()?;
    let deployment = dir.path().join("controller.yaml");
    fs::write(
        &deployment,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: pomerium\nspec:\n  \
         template:\n    spec:\n      containers:\n        - name: pomerium\n          image: \
         pomerium/ingress-controller:v0.16.0\n",
    )?;
    let ingress = dir.path().join("ingress.yaml");
    fs::write(&ingress, RENAME)?;
    let (code, out, err) = run(&["detect", s(&deployment), s(&ingress), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out)?;
    let surfaces = report["surfaces"].as_array().ok_or("no surfaces")?;
    assert_eq!(surfaces.len(), 2, "{out}");
    assert_eq!(surfaces[0]["surface"], "kubernetes");
    let container = &surfaces[0]["components"][0];
    assert_eq!(container["name"], "ingress controller container pomerium");
    assert_eq!(container["image"], "pomerium/ingress-controller:v0.16.0");
    assert_eq!(container["version"], "0.15");
    assert_eq!(container["line"], 10);
    let found = &surfaces[1]["components"][0];
    assert_eq!(
        found["name"],
        "Ingress app (2 ingress.pomerium.io/ annotations)"
    );
    assert_eq!(found["version"], serde_json::Value::Null);
    // The image is where `plan` starts: 0.15, so the 0.16 steps run.
    let (code, out, _) = run(&["plan", s(&deployment), "--to", "0.16"]);
    assert_eq!(code, 0);
    assert!(out.contains("0.15 -> 0.16"), "{out}");
    assert!(out.contains("ingress controller image"), "{out}");
    Ok(())
}

/// Objects of a manifest that are not the controller's.
const OTHERS: &[&str] = &[
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: app   # the app\nspec:\n  ports:\n    - \
     port: 8080\n",
    "# served by nginx\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \
     static\n  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prices\ndata:\n  note: \"cost: $5\"\n  \
     lb_policy: RANDOM\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
     spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
];

/// The controller's objects, and what each must read after the migration to 0.33.
const MINE: &[(&str, &str)] = &[
    (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: app\n  \
         annotations:\n    ingress.pomerium.io/lb_policy: RANDOM\n    \
         ingress.pomerium.io/set_request_headers: |\n      X-Price: \"$5\"\n",
        "ingress.pomerium.io/load_balancing_policy: RANDOM",
    ),
    (
        "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nmetadata:\n  name: global\nspec:\n  \
         cookie:\n    secure: true\n    name: _p\n",
        "# secure: true",
    ),
];

/// Every way of putting the controller's two objects among the others (each position, both
/// orders), as a stream with `---` and a trailing `...`: the others come out byte for byte,
/// the controller's changed as expected, and the result parses back as the same stream with
/// the edits applied (the engine's verification).
#[test]
fn other_objects_of_a_stream_are_kept_byte_for_byte() -> TestResult {
    let mut cases = 0;
    for first in 0..=OTHERS.len() {
        for second in first..=OTHERS.len() {
            for swap in [false, true] {
                let mut docs: Vec<(bool, &str, &str)> =
                    OTHERS.iter().map(|d| (false, *d, "")).collect();
                let (a, b) = if swap {
                    (MINE[1], MINE[0])
                } else {
                    (MINE[0], MINE[1])
                };
                docs.insert(second, (true, b.0, b.1));
                docs.insert(first, (true, a.0, a.1));
                let text = docs
                    .iter()
                    .map(|(_, d, _)| *d)
                    .collect::<Vec<_>>()
                    .join("---\n")
                    + "...\n";
                let result = migrate_stream(&text)?;
                let before: Vec<&str> = text.split("---\n").collect();
                let after: Vec<&str> = result.split("---\n").collect();
                assert_eq!(before.len(), after.len(), "{result}");
                for ((mine, _, expect), (old, new)) in docs.iter().zip(before.iter().zip(&after)) {
                    if *mine {
                        assert!(new.contains(expect), "{new}");
                        assert_ne!(old, new);
                    } else {
                        assert_eq!(old, new, "an object that is not the controller's changed");
                    }
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 30);
    Ok(())
}

fn migrate_stream(text: &str) -> Result<String, Box<dyn std::error::Error>> {
    let doc = Document::parse_stream(text.to_owned())?;
    assert_eq!(doc.format(), Format::Yaml);
    let input = Input::from_bytes(
        Source::File("manifest.yaml".into()),
        text.as_bytes().to_vec(),
    )?;
    let config = RunConfig {
        from: Some(Version::new(0, 31)),
        to: Some(pomerium_migrate::migrations::NEWEST),
        to_release: None,
        kind: None,
        surface: None,
        input_format: None,
        options: StepOptions::default(),
        output: None,
        steps: pomerium_migrate::migrations::STEPS,
        verify_each_step: false,
    };
    let part = manifest::migrate(&input, &doc, &config)?;
    Ok(doc.apply(&part.edits)?.text().to_owned())
}
