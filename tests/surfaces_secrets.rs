//! Secrets in Kubernetes manifests, `POLICY`/`ROUTES` variables and Helm values never reach
//! the output: every report format of `plan`, for the surface fixtures that hold them, is
//! searched for the secret values (and for the base64 that hides them), with and without the
//! values changing.

use std::fs;

mod common;

use common::{TestResult, bin, repo, s};

/// The fixture, with values that must not be printed: as written in it (the test checks they
/// are), or inside its base64 values.
const CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "tests/surfaces/kubernetes/secret-string-data/input.yaml",
        &[
            "aGVsbG8tc2hhcmVkLXNlY3JldC12YWx1ZS0xMjM0NTY=",
            "Y29va2llLXNlY3JldC12YWx1ZS1mb3ItdGVzdHMtMTIzNA==",
            "idp-client-secret-value",
            "some-token-value",
        ],
        &[],
    ),
    (
        "tests/surfaces/kubernetes/secret-data-base64/input.yaml",
        &[
            "YXV0aGVudGljYXRlX3NlcnZpY2VfdXJs",
            "bm90IGEgcG9tZXJpdW0gY29uZmln",
        ],
        // The secrets the config decodes to.
        &[
            "aGVsbG8tc2hhcmVkLXNlY3JldC12YWx1ZS0xMjM0NTY=",
            "b2t0YS1zZXJ2aWNlLWFjY291bnQ=",
        ],
    ),
    (
        "tests/surfaces/compose/policy-base64/input.yml",
        &[
            "IyByb3V0ZXMgZm9yIHRoZSBwcm94eQ",
            "W3siZnJvbSI6Imh0dHBzOi8vaHR0cGJpbi",
        ],
        &[],
    ),
    (
        "tests/surfaces/helm/console-chart/input.yaml",
        &[
            "c2hhcmVkLXNlY3JldC1vZi10aGUtY29uc29sZS0xMjM=",
            "ZGF0YWJhc2UtZW5jcnlwdGlvbi1rZXktMTIzNDU2Nzg=",
            "c2lnbmluZy1rZXktb2YtdGhlLWNvbnNvbGUtMTIzNDU2",
            "bGljZW5zZS1rZXktdmFsdWUtZm9yLXRlc3RzLTEyMzQ=",
        ],
        &[],
    ),
];

#[test]
fn surface_secrets_are_never_printed() -> TestResult {
    for (path, written, decoded) in CASES {
        let input = repo().join(path);
        let text = fs::read_to_string(&input)?;
        for secret in *written {
            assert!(text.contains(secret), "{path}: the fixture lost `{secret}`");
        }
        for format in ["text", "json", "sarif", "github", "markdown"] {
            let out = bin()
                .env("NO_COLOR", "1")
                .args(["plan", s(&input), "--per-step", "--format", format])
                .output()?;
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{path} {format}: {printed}"
            );
            for secret in written.iter().chain(*decoded) {
                assert!(
                    !printed.contains(secret),
                    "{path} --format {format} prints `{secret}`"
                );
            }
        }
    }
    Ok(())
}

/// What is hidden in the manifest's diff is shown decoded and redacted after it: the change
/// stays visible.
#[test]
fn encoded_configs_show_a_redacted_decoded_diff() -> TestResult {
    let input = repo().join("tests/surfaces/kubernetes/secret-data-base64/input.yaml");
    let out = bin()
        .env("NO_COLOR", "1")
        .args(["plan", s(&input)])
        .output()?;
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("(Secret `pomerium-config`, `data.config.yaml`, decoded)"),
        "{printed}"
    );
    assert!(
        printed.contains("+# idp_service_account: <redacted>"),
        "{printed}"
    );
    assert!(printed.contains(" shared_secret: <redacted>"), "{printed}");
    Ok(())
}
