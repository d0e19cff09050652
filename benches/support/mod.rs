//! A realistic Pomerium config with N routes, and the edits the engine benchmarks apply to it.
//!
//! Shared by `benches/engine.rs` (criterion) and `benches/figures.rs` (the summary printer) with
//! `#[path = "support/mod.rs"] mod support;`.

use std::fmt::Write as _;

use pomerium_migrate::document::{Document, Edit, Format, Position, Value};

/// Route counts the benchmarks measure: ~3 MB and ~30 MB of YAML.
pub const SIZES: [usize; 2] = [10_000, 100_000];

/// A config with the usual top-level settings and `routes` routes, each with comments, headers,
/// a policy and several scalar styles (plain, single- and double-quoted, folded).
pub fn config(routes: usize) -> String {
    let mut out = String::with_capacity(routes * 380 + 1024);
    out.push_str(
        "# Pomerium configuration (generated for benchmarks)\n\
         authenticate_service_url: https://authenticate.example.com\n\
         shared_secret: \"c2hhcmVkIHNlY3JldCBmb3IgYmVuY2htYXJrcw==\"\n\
         cookie_secret: 'Y29va2llIHNlY3JldCBmb3IgYmVuY2htYXJrcw=='\n\
         idp_provider: oidc\n\
         idp_provider_url: https://idp.example.com/realms/main # the realm\n\
         idp_client_id: pomerium\n\
         log_level: info\n\
         \n\
         routes:\n",
    );
    for i in 0..routes {
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "  # route {i}\n\
             \x20 - from: https://app-{i}.example.com\n\
             \x20   to: ['http://backend-{i}:8080']\n\
             \x20   allowed_users: [alice-{i}@example.com, \"bob-{i}@example.com\"]\n\
             \x20   set_request_headers:\n\
             \x20     X-Team: team-{team} # owner\n\
             \x20   policy:\n\
             \x20     - allow:\n\
             \x20         or:\n\
             \x20           - email: {{is: user-{i}@example.com}}\n\
             \x20   description: >\n\
             \x20     Route {i}, team {team}.\n",
            team = i % 17,
        );
    }
    out
}

/// Three edits per route, as a migration step would make them: rename `allowed_users`, set the
/// `X-Team` header, and insert `preserve_host_header: true` after `from`.
pub fn edits(doc: &Document) -> Vec<Edit> {
    let mut edits = Vec::new();
    let Some(routes) = doc.top("routes") else {
        return edits;
    };
    for &route in doc.items(routes.value) {
        if let Some(users) = doc.get(route, "allowed_users") {
            edits.push(Edit::RenameKey {
                entry: users.id,
                new_key: "allowed_idp_users".into(),
            });
        }
        if let Some(team) = doc
            .get(route, "set_request_headers")
            .and_then(|h| doc.get(h.value, "X-Team"))
        {
            edits.push(Edit::SetScalar {
                node: team.value,
                value: Value::String("platform".into()),
            });
        }
        if let Some(from) = doc.get(route, "from") {
            edits.push(Edit::Insert {
                map: route,
                position: Position::After(from.id),
                key: "preserve_host_header".into(),
                value: Value::Bool(true),
            });
        }
    }
    edits
}

/// What the engine benchmark measures: index the text, plan 3 edits per route, apply them and
/// verify the result. Returns the new text's length (so the work cannot be optimised away).
pub fn engine_run(text: &str) -> usize {
    let doc = match Document::parse(text.to_owned(), Format::Yaml) {
        Ok(d) => d,
        Err(e) => panic!("the generated config does not parse: {e}"),
    };
    let edits = edits(&doc);
    match doc.apply(&edits) {
        Ok(d) => d.text().len(),
        Err(e) => panic!("the benchmark edits were refused: {e}"),
    }
}

/// What the engine is compared with: yaml-rust2's own loader on the same text.
pub fn bare_load(text: &str) -> usize {
    match yaml_rust2::YamlLoader::load_from_str(text) {
        Ok(docs) => docs.len(),
        Err(e) => panic!("the generated config does not load: {e}"),
    }
}

/// A config like [`config`] whose routes also give the migration steps from 0.22 work and the
/// unknown-key check something to report: every third route sets `set_authorization_header`
/// (rewritten by v0.24), every third `lb_policy` (renamed by v0.32), every third has a `$` in a
/// header value (escaped by v0.23); every route has a key 0.33 does not read (`tls_skip_verfy`,
/// a typo with a suggestion, or a custom `owner`).
#[allow(dead_code)] // only `benches/pipeline.rs` uses it
pub fn pipeline_config(routes: usize) -> String {
    let mut out = String::with_capacity(routes * 420 + 1024);
    out.push_str(
        "# Pomerium configuration (generated for benchmarks)\n\
         authenticate_service_url: https://authenticate.example.com\n\
         shared_secret: \"c2hhcmVkIHNlY3JldCBmb3IgYmVuY2htYXJrcw==\"\n\
         cookie_secret: 'Y29va2llIHNlY3JldCBmb3IgYmVuY2htYXJrcw=='\n\
         idp_provider: oidc\n\
         idp_provider_url: https://idp.example.com/realms/main # the realm\n\
         idp_client_id: pomerium\n\
         log_level: info\n\
         \n\
         routes:\n",
    );
    for i in 0..routes {
        let team = i % 17;
        let extra = match i % 3 {
            0 => "    set_authorization_header: id_token\n".to_owned(),
            1 => "    lb_policy: ROUND_ROBIN\n".to_owned(),
            _ => String::new(),
        };
        let header = if i % 3 == 2 {
            format!("      X-Cost: $cc-{team}\n")
        } else {
            String::new()
        };
        let unknown = if i % 2 == 0 {
            "    tls_skip_verfy: true\n".to_owned()
        } else {
            format!("    owner: team-{team}\n")
        };
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "  # route {i}\n\
             \x20 - from: https://app-{i}.example.com\n\
             \x20   to: ['http://backend-{i}:8080']\n\
             \x20   allowed_users: [alice-{i}@example.com, \"bob-{i}@example.com\"]\n\
             {extra}{unknown}\
             \x20   set_request_headers:\n\
             \x20     X-Team: team-{team} # owner\n\
             {header}\
             \x20   policy:\n\
             \x20     - allow:\n\
             \x20         or:\n\
             \x20           - email: {{is: user-{i}@example.com}}\n\
             \x20   description: >\n\
             \x20     Route {i}, team {team}.\n",
        );
    }
    out
}
