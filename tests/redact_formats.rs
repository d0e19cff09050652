//! Redaction of TOML, JSON and `.env` documents: secret values in the document and in the lines
//! the TOML and `.env` backends write when they comment an entry out are hidden; everything else
//! stays readable.

use pomerium_migrate::document::{Document, Edit, EntryId, Format};
use pomerium_migrate::redact::{self, REDACTED};

fn parse(text: &str, format: Format) -> Document {
    match Document::parse(text.to_owned(), format) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}\n{text}"),
    }
}

fn entry(doc: &Document, path: &str) -> EntryId {
    match doc.select_str(path).first().and_then(|s| s.entry.as_ref()) {
        Some(e) => e.id,
        None => panic!("no entry at {path}"),
    }
}

/// The text the TOML backend writes when it comments out the entries at `paths`.
fn commented_out(text: &str, paths: &[&str]) -> Document {
    let doc = parse(text, Format::Toml);
    let edits: Vec<Edit> = paths
        .iter()
        .map(|path| Edit::CommentOut {
            entry: entry(&doc, path),
            note: format!("pomerium-migrate test: removed {path}"),
        })
        .collect();
    match doc.apply(&edits) {
        Ok(d) => d,
        Err(e) => panic!("comment-out failed: {e}\n{text}"),
    }
}

const TOML_CONFIG: &str = r#"# a Core config in TOML
authenticate_service_url = "https://authenticate.example.com"
shared_secret = "c2hhcmVkLXNlY3JldC0xMjM0NTY="
idp.provider = "google"
idp.client_secret = 'aWRwLWNsaWVudC1zZWNyZXQ='
idp_service_account = """
eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=
c2Vjb25kLWxpbmU=
"""
service_account_json = { type = "service_account", private_key = "cHJpdmF0ZS1rZXk=" }
pomerium_debug = true

[audit_key]
id = "YXVkaXQta2V5LWlk"
data = "YXVkaXQta2V5LWRhdGE="

[[certificates]]
cert = "certs/a.pem"
key = "Y2VydC1rZXktZGF0YQ=="

[[routes]]
from = "https://app.example.com"
to = "http://app:8080"
headers = { X-Custom = "visible", X-Api-Token = "dG9rZW4tdmFsdWU=" }
"#;

const SECRETS: &[&str] = &[
    "c2hhcmVkLXNlY3JldC0xMjM0NTY=",
    "aWRwLWNsaWVudC1zZWNyZXQ=",
    "eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=",
    "c2Vjb25kLWxpbmU=",
    "cHJpdmF0ZS1rZXk=",
    "YXVkaXQta2V5LWlk",
    "YXVkaXQta2V5LWRhdGE=",
    "Y2VydC1rZXktZGF0YQ==",
    "dG9rZW4tdmFsdWU=",
];

fn assert_hidden(r: &redact::Redacted, secrets: &[&str]) {
    for secret in secrets {
        assert!(!r.text.contains(secret), "{secret} shown:\n{}", r.text);
        assert!(
            r.secrets.iter().any(|s| s.contains(secret)),
            "{secret} not listed for scrubbing messages"
        );
    }
}

#[test]
fn toml_values_are_redacted() {
    let r = redact::redact(&parse(TOML_CONFIG, Format::Toml));
    let expected = r#"# a Core config in TOML
authenticate_service_url = "https://authenticate.example.com"
shared_secret = <redacted>
idp.provider = "google"
idp.client_secret = <redacted>
idp_service_account = <redacted>
service_account_json = { type = "service_account", private_key = <redacted> }
pomerium_debug = true

[audit_key]
id = <redacted>
data = <redacted>

[[certificates]]
cert = "certs/a.pem"
key = <redacted>

[[routes]]
from = "https://app.example.com"
to = "http://app:8080"
headers = { X-Custom = "visible", X-Api-Token = <redacted> }
"#;
    assert_eq!(r.text, expected);
    assert_hidden(&r, SECRETS);
}

#[test]
fn toml_commented_out_entries_are_redacted() {
    let doc = commented_out(
        TOML_CONFIG,
        &[
            "shared_secret",
            "idp.client_secret",
            "idp_service_account",
            "service_account_json",
            "pomerium_debug",
            "audit_key",
            "certificates[0].key",
            "routes[0].headers",
        ],
    );
    // What the backend writes: `# ` before every line of the entry, under the note.
    assert!(doc.text().contains(
        "# [audit_key]\n# id = \"YXVkaXQta2V5LWlk\"\n# data = \"YXVkaXQta2V5LWRhdGE=\"\n"
    ));
    assert!(doc.text().contains(
        "# idp_service_account = \"\"\"\n# eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=\n# c2Vjb25kLWxpbmU=\n# \"\"\"\n"
    ));
    let r = redact::redact(&doc);
    let expected = r#"# a Core config in TOML
authenticate_service_url = "https://authenticate.example.com"
# pomerium-migrate test: removed shared_secret
# shared_secret = <redacted>
idp.provider = "google"
# pomerium-migrate test: removed idp.client_secret
# idp.client_secret = <redacted>
# pomerium-migrate test: removed idp_service_account
# idp_service_account = <redacted>
# pomerium-migrate test: removed service_account_json
# service_account_json = { type = "service_account", private_key = <redacted> }
# pomerium-migrate test: removed pomerium_debug
# pomerium_debug = true

# pomerium-migrate test: removed audit_key
# [audit_key]
# id = <redacted>
# data = <redacted>

[[certificates]]
cert = "certs/a.pem"
# pomerium-migrate test: removed certificates[0].key
# key = <redacted>

[[routes]]
from = "https://app.example.com"
to = "http://app:8080"
# pomerium-migrate test: removed routes[0].headers
# headers = { X-Custom = "visible", X-Api-Token = <redacted> }
"#;
    assert_eq!(r.text, expected);
    assert_hidden(&r, SECRETS);
}

#[test]
fn commented_sections_arrays_and_literal_strings_are_redacted() {
    let text = r#"ssh_host_keys = [
  "aG9zdC1rZXktb25l",

  "aG9zdC1rZXktdHdv",
]
signing_key = '''
LS0tLS1CRUdJTi1rZXk=
'''

[[certificates]]
  cert = "certs/b.pem"
  key = "Yi1rZXktZGF0YQ=="

[audit_key.nested]
  value = "bmVzdGVkLXNlY3JldA=="
"#;
    let doc = commented_out(
        text,
        &["ssh_host_keys", "signing_key", "certificates", "audit_key"],
    );
    let r = redact::redact(&doc);
    let expected = r#"# pomerium-migrate test: removed ssh_host_keys
# ssh_host_keys = [
#   <redacted>,
#
#   <redacted>,
# ]
# pomerium-migrate test: removed signing_key
# signing_key = <redacted>

# pomerium-migrate test: removed certificates
# [[certificates]]
#   cert = "certs/b.pem"
#   key = <redacted>

# pomerium-migrate test: removed audit_key
# [audit_key.nested]
#   value = <redacted>
"#;
    assert_eq!(r.text, expected, "commented:\n{}", doc.text());
    assert_hidden(
        &r,
        &[
            "aG9zdC1rZXktb25l",
            "aG9zdC1rZXktdHdv",
            "LS0tLS1CRUdJTi1rZXk=",
            "Yi1rZXktZGF0YQ==",
            "bmVzdGVkLXNlY3JldA==",
        ],
    );
}

#[test]
fn crlf_and_bom_toml_files_are_redacted_in_place() {
    let text = "\u{feff}a = 1\r\nshared_secret = \"czNjcjN0LXZhbHVl\"\r\ncookie_secret = \"\"\"\r\nbXVsdGktbGluZQ==\r\n\"\"\"\r\nb = 2\r\n";
    let doc = commented_out(text, &["shared_secret", "cookie_secret"]);
    let r = redact::redact(&doc);
    assert_eq!(
        r.text,
        "\u{feff}a = 1\r\n# pomerium-migrate test: removed shared_secret\r\n# shared_secret = <redacted>\r\n# pomerium-migrate test: removed cookie_secret\r\n# cookie_secret = <redacted>\r\nb = 2\r\n"
    );
    assert_hidden(&r, &["czNjcjN0LXZhbHVl", "bXVsdGktbGluZQ=="]);
}

#[test]
fn ordinary_toml_comments_are_kept() {
    // Prose, commented non-secret options, a secret name without a value and an unclosed
    // bracket stay; an entry whose value is secret by its content is hidden whatever its key.
    let text = "# Note: rotate shared_secret yearly\n# see [docs] for = more\n# timeout = \"30s\"\n# shared_secret =\n# list = [ not toml\n# upstream = \"postgres://user:cGFzcw@db/x\"\na = 1\n";
    let r = redact::redact(&parse(text, Format::Toml));
    assert_eq!(
        r.text,
        "# Note: rotate shared_secret yearly\n# see [docs] for = more\n# timeout = \"30s\"\n# shared_secret =\n# list = [ not toml\n# upstream = <redacted>\na = 1\n"
    );
    // An option kept in YAML spelling from the config this one was converted from.
    let r = redact::redact(&parse(
        "# shared_secret: eWFtbC1zcGVsbGluZw==\na = 1\n",
        Format::Toml,
    ));
    assert_eq!(r.text, "# shared_secret: <redacted>\na = 1\n");
}

#[test]
fn json_secrets_are_redacted_in_old_and_new_text() {
    let text = "{\n  \"shared_secret\": \"anNvbi1zaGFyZWQtc2VjcmV0\",\n  \"idp_service_account\": {\n    \"private_key\": \"anNvbi1wcml2YXRl\"\n  },\n  \"routes\": [\n    {\"from\": \"https://a\", \"to\": \"http://a\", \"kubernetes_service_account_token\": \"azhzLXRva2Vu\"}\n  ]\n}\n";
    let doc = parse(text, Format::Json);
    let r = redact::redact(&doc);
    assert_eq!(
        r.text,
        format!(
            "{{\n  \"shared_secret\": {REDACTED},\n  \"idp_service_account\": {{\n    \"private_key\": {REDACTED}\n  }},\n  \"routes\": [\n    {{\"from\": \"https://a\", \"to\": \"http://a\", \"kubernetes_service_account_token\": {REDACTED}}}\n  ]\n}}\n"
        )
    );
    assert_hidden(
        &r,
        &[
            "anNvbi1zaGFyZWQtc2VjcmV0",
            "anNvbi1wcml2YXRl",
            "azhzLXRva2Vu",
        ],
    );
    // A deleted secret shows only on the diff's `-` lines, which come from the old text.
    let deleted = match doc.apply(&[Edit::Delete {
        entry: entry(&doc, "shared_secret"),
    }]) {
        Ok(d) => d,
        Err(e) => panic!("delete failed: {e}"),
    };
    let after = redact::redact(&deleted);
    let diff = pomerium_migrate::diff::unified(&r.text, &after.text, "config.json");
    assert!(
        diff.contains(&format!("-  \"shared_secret\": {REDACTED},")),
        "{diff}"
    );
    assert!(!diff.contains("anNvbi1zaGFyZWQtc2VjcmV0"), "{diff}");
}

#[test]
fn toml_certificate_key_paths_are_shown_like_in_yaml() {
    // A key file's path says where the key is, not what it is; key material stays hidden.
    let text = "[[certificates]]\ncert = \"certs/a.pem\"\nkey = \"certs/a-key.pem\"\n\n[[certificates]]\ncert = \"certs/b.pem\"\nkey = \"Yi1rZXktbWF0ZXJpYWw=\"\n";
    let r = redact::redact(&parse(text, Format::Toml));
    assert_eq!(
        r.text,
        "[[certificates]]\ncert = \"certs/a.pem\"\nkey = \"certs/a-key.pem\"\n\n[[certificates]]\ncert = \"certs/b.pem\"\nkey = <redacted>\n"
    );
    let doc = commented_out(text, &["certificates"]);
    let r = redact::redact(&doc);
    assert_eq!(
        r.text,
        "# pomerium-migrate test: removed certificates\n# [[certificates]]\n# cert = \"certs/a.pem\"\n# key = \"certs/a-key.pem\"\n\n# [[certificates]]\n# cert = \"certs/b.pem\"\n# key = <redacted>\n",
        "commented:\n{}",
        doc.text()
    );
}

/// The environment variable that sets a config key: upper case, `-` and `.` read as `_` (Core
/// binds `UPPER(key)`, nested keys with a `PARENT_` prefix; Console keys take `-` → `_`).
fn env_name(key: &str) -> String {
    key.to_ascii_uppercase().replace(['-', '.'], "_")
}

/// Every secret key of the tool's key tables, set as an environment variable in a `.env` file
/// (however it is quoted, and once the backend has commented it out), is hidden.
#[test]
fn every_secret_env_variable_is_redacted_in_dotenv_files() {
    const VALUE: &str = "not-a-real-secret-value-42";
    let keys: Vec<&str> = pomerium_migrate::keys::all()
        .map(|h| h.key)
        .chain(pomerium_migrate::keys::console_keys())
        .filter(|k| redact::is_secret_key(k, &[]) && *k != "key")
        .collect();
    assert!(
        keys.len() >= 20,
        "only {} secret keys: {keys:?}",
        keys.len()
    );
    for name in [
        "SHARED_SECRET",
        "COOKIE_SECRET",
        "IDP_CLIENT_SECRET",
        "SIGNING_KEY",
    ] {
        assert!(
            keys.iter().any(|k| env_name(k) == name),
            "{name} is not among the secret keys"
        );
    }
    for key in keys {
        let name = env_name(key);
        for (line, shown) in [
            (format!("{name}={VALUE}"), ""),
            (format!("export {name} = '{VALUE}' # c"), " # c"),
            (format!("{name}=\"{VALUE}\""), ""),
        ] {
            let text = format!("# Pomerium\nIDP_PROVIDER=google\n{line}\nHTTP_PORT=80\n");
            let doc = parse(&text, Format::Dotenv);
            let out = redact::redact(&doc);
            assert!(!out.text.contains(VALUE), "{name}: {}", out.text);
            assert!(
                out.text.contains(&format!("{REDACTED}{shown}\n")),
                "{name}: {}",
                out.text
            );
            assert!(
                out.text.contains("IDP_PROVIDER=google\n") && out.text.contains("HTTP_PORT=80\n"),
                "{}",
                out.text
            );
            assert_eq!(out.secrets, vec![VALUE.to_owned()], "{name}");
            let Some(entry) = doc.top(&name).map(|e| e.id) else {
                panic!("{name} not read: {text}");
            };
            let commented = match doc.apply(&[Edit::CommentOut {
                entry,
                note: format!("pomerium-migrate test: removed {name}"),
            }]) {
                Ok(d) => d,
                Err(e) => panic!("{name}: {e}"),
            };
            let out = redact::redact(&commented);
            assert!(!out.text.contains(VALUE), "{name}: {}", out.text);
            let before_value = line
                .split(VALUE)
                .next()
                .unwrap_or_default()
                .trim_end_matches(['\'', '"']);
            assert!(
                out.text
                    .contains(&format!("\n# {before_value}{REDACTED}{shown}\n")),
                "{}",
                out.text
            );
            assert_eq!(out.secrets, vec![VALUE.to_owned()], "{name} commented out");
        }
    }
}

#[test]
fn dotenv_files_keep_what_is_not_secret() {
    let text = "IDP_PROVIDER=google\nCERTIFICATE_KEY=/etc/ssl/key.pem\nDATABASE_URL=postgres://u:pw@db/x\nMY_DSN='postgres://a:b@h/x'\n# IDP_CLIENT_ID=abc\n";
    let out = redact::redact(&parse(text, Format::Dotenv));
    assert_eq!(
        out.text,
        "IDP_PROVIDER=google\nCERTIFICATE_KEY=/etc/ssl/key.pem\nDATABASE_URL=<redacted>\nMY_DSN=<redacted>\n# IDP_CLIENT_ID=abc\n"
    );
}
