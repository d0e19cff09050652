//! Kind detection, version inference, the `$` refusal and unknown-key notes on small configs.

use pomerium_migrate::detect::{self, Detection, KindEvidence, Level};
use pomerium_migrate::document::{Document, Format, Location};
use pomerium_migrate::keys;
use pomerium_migrate::step::FileKind;
use pomerium_migrate::version::Version;

fn doc(text: &str) -> Document {
    Document::parse(text.to_owned(), Format::Yaml).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn detect(text: &str) -> Detection {
    found(&doc(text))
}

fn found(d: &Document) -> Detection {
    detect::detect(d).unwrap_or_else(|e| panic!("{e}"))
}

fn v(minor: u32) -> Version {
    Version::new(0, minor)
}

#[test]
fn a_file_without_kind_evidence_is_undecided_and_spans_the_chain() {
    // Empty, or only keys both kinds read, or anchors.
    for text in [
        "",
        "# only a comment\n",
        "{}\n",
        "shared_secret: x\nsigning_key: y\n",
        "x-defaults: &d {a: 1}\n.hidden: 2\n",
    ] {
        let err = detect::detect(&doc(text)).err();
        let err = err.unwrap_or_else(|| panic!("decided: {text:?}"));
        assert_eq!(err.evidence, KindEvidence::default(), "{text:?}");
        assert!(
            err.message("c.yaml")
                .contains("--kind core or --kind console")
        );
        // With --kind the version range is the whole chain.
        let d = detect::detect_as(&doc(text), FileKind::Core);
        assert_eq!((d.min_version, d.max_version), (keys::OLDEST, keys::NEWEST));
        assert!(!d.has_version_evidence() && !d.contradictory);
        assert_eq!(d.start_version(), keys::OLDEST);
    }
}

#[test]
fn keys_of_both_kinds_are_refused_naming_each_side() {
    let text = "routes: []\nshared_secret: x\ndatabase_url: postgres://x\nidp_provider: google\n";
    let err = detect::detect(&doc(text)).err();
    let err = err.unwrap_or_else(|| panic!("decided"));
    let keys = |e: &[detect::Evidence]| e.iter().map(|e| e.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&err.evidence.core), ["routes", "idp_provider"]);
    assert_eq!(keys(&err.evidence.console), ["database_url"]);
    assert_eq!(
        err.message("c.yaml"),
        "c.yaml: the keys do not tell whether this is a Pomerium Core or an Enterprise Console \
         config: only Core reads `routes` at c.yaml:1:1, `idp_provider` at c.yaml:4:1; only the \
         Console reads `database_url` at c.yaml:3:1; say which with --kind core or --kind console"
    );
    assert!(
        !err.message("c.yaml").contains("postgres"),
        "a value is shown"
    );
}

#[test]
fn anchors_and_unknown_dash_case_keys_are_no_kind_evidence() {
    // Issue 9, case 2: an `x-` anchor holder beside Core keys is a Core config.
    let d = detect(
        "x-common: &defaults\n  pass_identity_headers: true\n\
         authenticate_service_url: https://auth\ncertificates: []\n\
         routes:\n  - from: https://a\n    <<: *defaults\n",
    );
    assert_eq!(d.kind, FileKind::Core);
    let core: Vec<_> = d
        .kind_evidence
        .core
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    // `authenticate_service_url` is read by both (the Console since 0.16).
    assert_eq!(core, ["certificates", "routes"]);
    assert!(d.kind_evidence.console.is_empty());
    // A dash-case key that is no Console key's spelling is no evidence either.
    let d = detect("my-setting: 1\nroutes: []\n");
    assert_eq!(d.kind, FileKind::Core);
    assert!(d.kind_evidence.console.is_empty());
}

#[test]
fn keys_bound_the_range_with_their_locations() {
    let d = detect(
        "authenticate_service_url: https://auth.example.com\n\
         client_crl_file: /crl.pem\n\
         routes:\n  - from: https://a.example.com\n    to: http://a\n",
    );
    assert_eq!((d.min_version, d.max_version), (v(15), v(22)));
    let min: Vec<_> = d
        .min_evidence
        .iter()
        .map(|e| (e.key.as_str(), e.location))
        .collect();
    assert_eq!(min, [("routes", Location { line: 3, column: 1 })]);
    let max: Vec<_> = d.max_evidence.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(max, ["client_crl_file"]);
    assert_eq!(d.max_evidence[0].version, Some(v(22)));
    assert!(
        d.kind_evidence
            .core
            .iter()
            .any(|e| e.key == "client_crl_file")
    );
}

#[test]
fn route_and_nested_keys_count() {
    let d = detect(
        "policy:\n  - from: https://a.example.com\n    to: http://a\n    \
         set_authorization_header: id_token\n",
    );
    assert_eq!((d.min_version, d.max_version), (v(17), v(23)));
    assert_eq!(d.min_evidence[0].path, "policy[0].set_authorization_header");

    let d = detect("downstream_mtls:\n  enforcement: policy\n");
    assert_eq!(d.min_version, v(23));
    assert!(
        d.min_evidence
            .iter()
            .any(|e| e.path == "downstream_mtls.enforcement")
    );
}

/// A route's own maps and lists of maps are walked (their keys are known options); its
/// `policy` is PPL and is not.
#[test]
fn keys_inside_a_route_are_walked_except_its_policy() {
    let sites = detect::key_sites(&doc(
        "routes:\n  - from: https://a.example.com\n    to: http://a\n    \
         rewrite_response_headers:\n      - header: Location\n        prefix: http://a\n    \
         policy:\n      - allow:\n          or:\n            - email:\n                \
         is: a@example.com\n",
    ));
    let header = sites
        .iter()
        .find(|s| s.path == "routes[0].rewrite_response_headers[0].header");
    assert_eq!(
        header.map(|s| &s.level),
        Some(&Level::Nested("rewrite_response_headers".to_owned())),
        "{sites:?}"
    );
    assert!(
        !sites
            .iter()
            .any(|s| s.path.starts_with("routes[0].policy[")),
        "{sites:?}"
    );
}

/// The evidence for a kind is the evidence against the other kind.
#[test]
fn kind_evidence_for_one_kind_is_against_the_other() {
    let d = detect::detect_as(&doc("routes: []\nlicense_key: k\n"), FileKind::Console);
    let keys = |e: &[detect::Evidence]| e.iter().map(|e| e.key.clone()).collect::<Vec<_>>();
    let evidence = &d.kind_evidence;
    assert_eq!(keys(evidence.of(FileKind::Core)), ["routes"]);
    assert_eq!(keys(evidence.of(FileKind::Console)), ["license_key"]);
    assert_eq!(
        keys(evidence.of(FileKind::Core)),
        keys(evidence.against(FileKind::Console))
    );
    assert_eq!(
        keys(evidence.of(FileKind::Console)),
        keys(evidence.against(FileKind::Core))
    );
}

#[test]
fn free_form_maps_and_unknown_keys_give_no_evidence() {
    // A header named like a 0.30 option, Envoy health check fields named like 0.33 options, and
    // 0.33 names below an unknown key must not raise the minimum.
    let d = detect(
        "routes:\n  - from: https://a.example.com\n    to: http://a\n    \
         set_request_headers:\n      mcp: x\n    \
         health_checks:\n      - interval: 5s\n        timeout: 1s\n    \
         my_extension:\n      nodes: 3\n",
    );
    assert_eq!(d.min_version, v(15), "{:?}", d.min_evidence);
    let sites = detect::key_sites(&doc("runtime_flags:\n  match_any_incoming_port: false\n"));
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].level, Level::Global);
}

#[test]
fn contradictory_keys_start_at_the_lower_bound() {
    let d = detect("cache_service_url: https://cache\ndownstream_mtls: {}\n");
    assert!(d.contradictory);
    assert_eq!((d.min_version, d.max_version), (v(23), v(10)));
    assert_eq!(d.start_version(), v(10));
    assert_eq!(d.span(), (v(10), v(23)));
}

#[test]
fn console_files_are_recognised_by_their_keys() {
    let d = detect("database-url: postgres://x\nshared-secret: abc\n");
    assert_eq!(d.kind, FileKind::Console);
    let keys: Vec<_> = d
        .kind_evidence
        .console
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(keys, ["database-url", "shared-secret"]);

    let d = detect("audience: console.example.com\nprometheus_listen_addr: :9090\n");
    assert_eq!(d.kind, FileKind::Console);
    assert_eq!(d.kind_evidence.console.len(), 2);

    // Console history comes from the upgrade guide, not the Core table.
    let d = detect("license-key: abc\ndisable-validation: true\n");
    assert_eq!((d.min_version, d.max_version), (v(17), v(26)));
    // A dash in a header name is no evidence.
    let d = detect("routes:\n  - from: https://a\n    set_request_headers:\n      X-A: b\n");
    assert_eq!(d.kind, FileKind::Core);
}

#[test]
fn a_forced_kind_keeps_the_evidence_against_it() {
    let d = detect::detect_as(&doc("signing_key: abc\n"), FileKind::Console);
    assert_eq!(d.kind, FileKind::Console);
    assert_eq!(d.kind_evidence, KindEvidence::default());
    let d = detect::detect_as(&doc("routes: []\nlicense_key: k\n"), FileKind::Console);
    let against: Vec<_> = d
        .kind_evidence
        .against(FileKind::Console)
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(against, ["routes"]);
}

const DOLLAR: &str = "routes:\n  - from: https://a.example.com\n    to: http://a\n    \
                      set_request_headers:\n      X-Price: \"$5\"\n";

#[test]
fn dollar_across_the_escaping_release_is_refused() {
    let d = doc(DOLLAR);
    let found = found(&d);
    let err = detect::refuse_ambiguous_escaping(&d, &found, keys::NEWEST);
    let err = err.err().unwrap_or_else(|| panic!("not refused"));
    assert_eq!(err.path, "routes[0].set_request_headers.X-Price");
    assert_eq!(err.location.line, 5);
    let message = err.to_string();
    assert!(message.contains("--from"), "{message}");
    assert!(!message.contains("$5"), "the value is shown: {message}");
    // Not refused when the run stays below 0.23.
    assert!(detect::refuse_ambiguous_escaping(&d, &found, v(22)).is_ok());
}

/// The refusal's edges (issue 14): a run to exactly 0.23 crosses the escaping release, and a span
/// that starts exactly at 0.22 or ends exactly at 0.23 contains both sides.
#[test]
fn dollar_refusal_boundaries() {
    let d = doc(DOLLAR);
    let refused = |lo: u32, hi: u32, to: u32| {
        let mut found = found(&d);
        found.min_version = v(lo);
        found.max_version = v(hi);
        detect::refuse_ambiguous_escaping(&d, &found, v(to)).is_err()
    };
    // `to`: 0.23 is the first target that crosses.
    assert!(refused(17, 33, 23), "--to 0.23");
    assert!(!refused(17, 33, 22), "--to 0.22");
    // `lo`: a span starting at 0.22 holds 0.22; one starting at 0.23 does not.
    assert!(refused(22, 33, 33), "span 0.22..0.33");
    assert!(!refused(23, 33, 33), "span 0.23..0.33");
    // `hi`: a span ending at 0.23 holds 0.23; one ending at 0.22 does not.
    assert!(refused(17, 23, 33), "span 0.17..0.23");
    assert!(!refused(17, 22, 33), "span 0.17..0.22");
    // The narrowest ambiguous span and target.
    assert!(refused(22, 23, 23), "span 0.22..0.23, --to 0.23");
}

#[test]
fn dollar_is_fine_when_the_range_is_on_one_side() {
    for extra in ["downstream_mtls: {}\n", "client_crl: abc\n"] {
        let d = doc(&format!("{extra}{DOLLAR}"));
        let found = found(&d);
        assert!(
            detect::refuse_ambiguous_escaping(&d, &found, keys::NEWEST).is_ok(),
            "{extra}"
        );
    }
    // No `$`: nothing to refuse.
    let d = doc(&DOLLAR.replace('$', "USD "));
    assert!(detect::refuse_ambiguous_escaping(&d, &found(&d), keys::NEWEST).is_ok());
}

#[test]
fn unknown_keys_are_reported_with_suggestions() {
    let d = doc("idp_provder_url: https://idp\n\
         authenticate-service-url: https://auth\n\
         tracing_provider: jaeger\n\
         routes:\n  - from: https://a\n    to: http://a\n    alowed_users: [a@b.c]\n    \
         set_request_headers:\n      X-Unknown-Header: x\n\
         downstream_mtls:\n  enforcment: policy\n");
    let n = keys::NEWEST;
    let notes: Vec<String> = detect::unknown_keys(&d, FileKind::Core, keys::NEWEST)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        notes,
        [
            format!("unknown key 'idp_provder_url' for {n}; did you mean 'idp_provider_url'?"),
            format!(
                "unknown key 'authenticate-service-url' for {n}; did you mean \
                 'authenticate_service_url'?"
            ),
            format!("unknown key 'tracing_provider' for {n} (last read by 0.28)"),
            format!("unknown key 'alowed_users' for {n}; did you mean 'allowed_users'?"),
            format!("unknown key 'enforcment' for {n}; did you mean 'enforcement'?"),
        ]
    );
    let findings = detect::unknown_key_findings(&d, FileKind::Core, keys::NEWEST);
    assert_eq!(findings.len(), 5);
    assert_eq!(findings[0].location, Some(Location { line: 1, column: 1 }));
}

#[test]
fn unknown_keys_depend_on_the_target_release() {
    let d = doc("idp_servce_account: abc\nmcp: {}\n");
    let notes: Vec<String> = detect::unknown_keys(&d, FileKind::Core, v(19))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        notes,
        [
            "unknown key 'idp_servce_account' for 0.19; did you mean 'idp_service_account'?",
            "unknown key 'mcp' for 0.19 (first read by 0.30)",
        ]
    );
    // Console files are not checked against the Core table.
    let console = doc("database-url: x\nnot_a_key: 1\n");
    assert!(detect::unknown_keys(&console, FileKind::Console, keys::NEWEST).is_empty());
}

#[test]
fn detection_serializes_versions_as_strings() {
    let d = detect("routes: []\nclient_crl: abc\n");
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(json["kind"], "core");
    assert_eq!(json["min_version"], "0.15");
    assert_eq!(json["max_version"], "0.22");
    assert_eq!(json["contradictory"], false);
    assert_eq!(json["min_evidence"][0]["key"], "routes");
    assert_eq!(json["min_evidence"][0]["version"], "0.15");
    assert_eq!(json["max_evidence"][0]["location"]["line"], 2);
}

#[test]
fn a_pomerium_substitution_means_the_escaping_release_or_newer() {
    // Issue 9: such a file is neither refused as ambiguous nor escaped a second time.
    let text = "routes:\n  - from: https://a.example.com\n    to: http://a\n    \
                set_request_headers:\n      X-Token: \"${pomerium.id_token}\"\n";
    let d = doc(text);
    let found = found(&d);
    assert_eq!(found.min_version, detect::ESCAPING_RELEASE);
    let e = &found.min_evidence[0];
    assert_eq!(e.path, "routes[0].set_request_headers.X-Token");
    assert_eq!(e.key, "X-Token");
    assert_eq!(
        e.location,
        Location {
            line: 5,
            column: 16
        }
    );
    assert!(e.value.is_some_and(|w| w.contains("${pomerium.")));
    assert!(
        !e.to_string().contains("id_token"),
        "the value is shown: {e}"
    );
    assert!(detect::refuse_ambiguous_escaping(&d, &found, keys::NEWEST).is_ok());
    assert_eq!(found.start_version(), detect::ESCAPING_RELEASE);
}

#[test]
fn redis_storage_means_0_23_or_older() {
    let d = detect("databroker_storage_type: redis\nroutes: []\n");
    assert_eq!((d.min_version, d.max_version), (v(15), v(23)));
    assert_eq!(d.max_evidence[0].path, "databroker_storage_type");
    assert_eq!(
        d.max_evidence[0].location,
        Location {
            line: 1,
            column: 26
        }
    );
    let d = detect("databroker_storage_type: postgres\nroutes: []\n");
    assert_eq!(d.max_version, keys::NEWEST);
}

/// Keys that pin the version to one release from both sides (0.23 or newer, 0.23 or older)
/// agree: that release, not a contradiction.
#[test]
fn bounds_that_meet_at_one_release_are_not_contradictory() {
    let d = detect("databroker_storage_type: redis\ndownstream_mtls:\n  enforcement: policy\n");
    assert_eq!((d.min_version, d.max_version), (v(23), v(23)));
    assert!(!d.contradictory);
    assert_eq!(d.start_version(), v(23));
}

/// A key still read in the release a run starts from fits it; it misfits only a later start.
/// Likewise a key first read in that release.
#[test]
fn misfits_start_after_the_last_release_that_reads_a_key() {
    let redis = doc("databroker_storage_type: redis\nroutes: []\n");
    assert_eq!(detect::misfits(&redis, FileKind::Core, v(23)), []);
    let late = detect::misfits(&redis, FileKind::Core, v(24));
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].path, "databroker_storage_type");
    assert_eq!(late[0].version, Some(v(23)));

    let mtls = doc("downstream_mtls:\n  enforcement: policy\n");
    assert_eq!(detect::misfits(&mtls, FileKind::Core, v(23)), []);
    let early = detect::misfits(&mtls, FileKind::Core, v(22));
    let paths: Vec<_> = early.iter().map(|e| (e.path.as_str(), e.version)).collect();
    assert_eq!(
        paths,
        [
            ("downstream_mtls", Some(v(23))),
            ("downstream_mtls.enforcement", Some(v(23)))
        ]
    );
}

#[test]
fn a_double_percent_is_refused_like_a_dollar() {
    let d = doc(&DOLLAR.replace("$5", "100%% sure"));
    let err = detect::refuse_ambiguous_escaping(&d, &found(&d), keys::NEWEST).err();
    let err = err.unwrap_or_else(|| panic!("not refused"));
    assert_eq!(err.found, "%%");
    assert!(err.to_string().contains("contains `%%`"), "{err}");
    // A single `%` is read the same by 0.22 and 0.23.
    let d = doc(&DOLLAR.replace("$5", "100% sure"));
    assert!(detect::refuse_ambiguous_escaping(&d, &found(&d), keys::NEWEST).is_ok());
}

#[test]
fn misfits_name_what_does_not_fit_a_given_release() {
    let d = doc(
        "routes:\n  - from: https://a\n    set_authorization_header: id_token\n\
         databroker_storage_type: redis\n",
    );
    let at = |from| -> Vec<(String, Option<Version>)> {
        detect::misfits(&d, FileKind::Core, from)
            .into_iter()
            .map(|e| (e.path, e.version))
            .collect()
    };
    assert_eq!(at(v(20)), []);
    assert_eq!(
        at(v(25)),
        [
            ("routes[0].set_authorization_header".to_owned(), Some(v(23))),
            ("databroker_storage_type".to_owned(), Some(v(23))),
        ]
    );
    assert_eq!(
        at(v(16)),
        [("routes[0].set_authorization_header".to_owned(), Some(v(17)))]
    );
}
