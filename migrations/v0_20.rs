//! Pomerium 0.20: directory sync moved to the Enterprise Console; group rules moved to claims.

use super::common;

use crate::step::{Scope, Severity, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0200";

crate::step! {
    /// # Directory sync moved to the Enterprise Console (Core)
    ///
    /// **What changed in Pomerium.** Pomerium 0.20 no longer synchronises users and groups from the
    /// identity provider; that job moved to the Enterprise Console's external data sources
    /// (Settings > Identity Provider). Core refuses to start when the old options are set:
    ///
    /// **Evidence.** v0.19.0 `config/options.go` reads `idp_service_account`, v0.20.0 does not; the
    /// upgrade guide (pomerium/documentation `content/docs/deploy/upgrading.mdx`), Core 0.20.0:
    /// "IdP directory sync has moved to External Data Sources in Pomerium Enterprise".
    ///
    /// **What the step does.** - `idp_service_account`: use the provider-specific settings in the
    /// Console instead. - `idp_refresh_directory_timeout`: becomes the Console's *Polling Min
    /// Delay*. - `idp_refresh_directory_interval`: becomes the Console's *Polling Max Delay*. -
    /// `idp_qps`: no longer needed; providers are queried at their own rate.
    ///
    /// The step comments these out (or deletes them with `--removed delete`) and adds a note
    /// naming the values to enter in the Console (never the service account, which is secret).
    ///
    /// Before:
    ///
    /// ```yaml
    /// idp_service_account: ewogICJ0eXBlIjog…
    /// idp_refresh_directory_timeout: 1m
    /// idp_refresh_directory_interval: 15m
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.20: removed; directory sync is configured in the Enterprise Console
    /// # idp_service_account: ewogICJ0eXBlIjog…
    /// # pomerium-migrate v0.20: removed; directory sync is configured in the Enterprise Console
    /// # idp_refresh_directory_timeout: 1m
    /// # pomerium-migrate v0.20: removed; directory sync is configured in the Enterprise Console
    /// # idp_refresh_directory_interval: 15m
    /// ```
    pub(crate) static REMOVE_DIRECTORY_SYNC = Step {
        version: Version::new(0, 20),
        id: "remove-directory-sync",
        title: "Comment out the IdP directory-sync options (moved to the Enterprise Console)",
        scope: Scope::Core,
        handles: &[
            "idp_service_account",
            "idp_refresh_directory_timeout",
            "idp_refresh_directory_interval",
            "idp_qps",
        ],
        link: LINK,
        run: remove_directory_sync,
    };
}

fn remove_directory_sync(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let duration = |key: &str| {
        doc.get(root, key)
            .and_then(|e| doc.scalar(e.value))
            .and_then(|v| v.scalar_text())
    };
    let min_delay = duration("idp_refresh_directory_timeout");
    let max_delay = duration("idp_refresh_directory_interval");
    let first = REMOVE_DIRECTORY_SYNC
        .handles
        .iter()
        .find_map(|key| doc.get(root, key))
        .and_then(|e| common::at(doc, &e));
    common::retire_top_level(
        cx,
        REMOVE_DIRECTORY_SYNC.handles,
        &common::Retirement::key_first(
            "removed; directory sync is configured in the Enterprise Console",
            "Pomerium 0.20 refuses to start with it; directory sync moved to the Enterprise \
         Console (Settings > Identity Provider)",
        ),
    );
    if first.is_none() {
        return;
    }
    let mut delays = Vec::new();
    if let Some(v) = min_delay {
        delays.push(format!(
            "Polling Min Delay to {v} (was `idp_refresh_directory_timeout`)"
        ));
    }
    if let Some(v) = max_delay {
        delays.push(format!(
            "Polling Max Delay to {v} (was `idp_refresh_directory_interval`)"
        ));
    }
    let mut message = "configure directory sync in the Enterprise Console under Settings > \
                       Identity Provider (provider-specific credentials replace \
                       `idp_service_account`)"
        .to_owned();
    if !delays.is_empty() {
        message.push_str("; set ");
        message.push_str(&delays.join(" and "));
    }
    cx.note(first, message);
}

crate::step! {
    /// # `allowed_groups` is removed; group rules use the identity provider's claims (Core)
    ///
    /// **What changed in Pomerium.** Pomerium 0.20 removed the `allowed_groups` route option
    /// and the PPL `groups` criterion,
    /// which relied on Core's directory sync (v0.19.0 `pkg/policy/criteria/groups.go` matched
    /// group IDs, names and e-mail addresses from the synced directory; v0.20.0 has no
    /// `groups` criterion, and `config/options_check.go` refuses `routes.allowed_groups` at
    /// start-up in every release since). Group membership then comes from the identity
    /// provider's token: make the provider put groups in a claim (often `groups`, possibly after
    /// adding a scope with `idp_scopes`), check it on the `/.pomerium` page, and match it with
    /// the PPL criterion `claim/groups`.
    ///
    /// Pomerium 0.26 brought a `groups` criterion back (commit 6a833b365, pomerium#4916;
    /// v0.26.0 `pkg/policy/criteria/groups.go`). It matches the group IDs of the directory user
    /// record in the databroker, which the Enterprise Console's directory sync (Settings >
    /// Identity Provider) fills in: IDs only, no names or e-mail addresses, and nothing at all
    /// without the Console.
    ///
    /// **Evidence.** v0.19.0, v0.20.0 and v0.26.0 `pkg/policy/criteria/groups.go`; commit
    /// 6a833b365; v0.20.0 `config/options_check.go`; the 0.20 upgrade guide.
    ///
    /// **What the step does.** It comments out each route's `allowed_groups` (or deletes it with
    /// `--removed delete`) and reports an action showing the equivalent policy for you to review
    /// and add: it never adds the policy itself, since whether a claim holds group names or IDs
    /// depends on the provider. Commenting out only narrows access (a route with no rule left
    /// denies everyone) until the policy is added. The advice depends on the run's target:
    ///
    /// - below 0.26, the policy uses `claim/groups`, and a `groups` criterion in a route's
    ///   `policy` is reported as removed (it is left unchanged);
    /// - from 0.26, the action shows both choices, `claim/groups` (the provider's claim) and
    ///   `groups: {has: …}` (the Console's directory sync, by group ID), and a `groups`
    ///   criterion in a route's `policy` is reported as one that now matches group IDs from the
    ///   Console's directory sync only.
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://wiki.example.com
    ///     to: http://wiki:8080
    ///     allowed_groups: [admins, staff]
    /// ```
    ///
    /// After (plus an action showing the policy below):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://wiki.example.com
    ///     to: http://wiki:8080
    ///     # pomerium-migrate v0.20: removed; use a claim/groups policy instead
    ///     # allowed_groups: [admins, staff]
    /// ```
    ///
    /// The policy to review and add to the route:
    ///
    /// ```yaml
    ///     policy:
    ///       - allow:
    ///           or:
    ///             - claim/groups: admins
    ///             - claim/groups: staff
    /// ```
    pub(crate) static ALLOWED_GROUPS_REMOVED = Step {
        version: Version::new(0, 20),
        id: "allowed-groups-removed",
        title: "Comment out allowed_groups and propose the equivalent group policy",
        scope: Scope::Core,
        handles: &["allowed_groups"],
        link: LINK,
        run: allowed_groups_removed,
    };
}

/// The release that brought the PPL `groups` criterion back.
const GROUPS_BACK: Version = Version::new(0, 26);

fn allowed_groups_removed(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let groups_back = cx.options.reaches(GROUPS_BACK);
    let mut findings = common::RouteFindings::default();
    for route in common::routes(doc) {
        let name = route.name();
        if let Some(entry) = doc.get(route.node, "allowed_groups") {
            let groups = common::strings(doc, doc.resolve(entry.value));
            let at = common::at(doc, &entry);
            let shared = common::shared_note(doc, entry.id.map);
            // The same note at every target, so a run to 0.33 and one release at a time write
            // the same file; from 0.26 the action also offers the `groups` criterion.
            let removal = common::Removal::of(
                cx.remove(entry.id, "removed; use a claim/groups policy instead"),
            );
            findings.add(
                Severity::Changed,
                at,
                format!(
                    "`allowed_groups` of {{routes}} {}{shared}: Pomerium 0.20 removed it",
                    removal.participle()
                ),
                name.clone(),
            );
            let has_policy = doc.get(route.node, "policy").is_some();
            findings.add(
                Severity::ActionRequired,
                at,
                policy_advice(&groups, has_policy, groups_back),
                name.clone(),
            );
        }
        if let Some(policy) = doc.get(route.node, "policy") {
            let message = if groups_back {
                "the PPL `groups` criterion in the policy of {routes} matched group IDs, names \
                 and e-mail addresses from Core's directory sync up to 0.19; the criterion that \
                 0.26 brought back matches only group IDs, from the Enterprise Console's \
                 directory sync (Settings > Identity Provider), and never matches without it: \
                 make sure the values are group IDs and the Console syncs the directory, or \
                 match the identity provider's groups claim with `claim/groups` instead (check \
                 the claim on the `/.pomerium` page)"
            } else {
                "the PPL `groups` criterion in the policy of {routes} was removed in 0.20: \
                 match the identity provider's groups claim with `claim/groups` instead \
                 (check the claim's content on the `/.pomerium` page)"
            };
            for criterion in common::groups_criteria(doc, policy.value) {
                findings.add(
                    Severity::ActionRequired,
                    common::at(doc, &criterion),
                    message.to_owned(),
                    name.clone(),
                );
            }
        }
    }
    findings.emit(cx);
}

/// The action text: the policy equivalent to `allowed_groups`, with `claim/groups`, and from
/// 0.26 (`groups_back`) also with the `groups` criterion. `{routes}` stands for the names of
/// the routes it concerns.
fn policy_advice(groups: &[String], has_policy: bool, groups_back: bool) -> String {
    let placement = if has_policy {
        "add these criteria to the `or:` of an `allow:` block in the existing `policy` of \
         {each route}, and review it:"
    } else {
        "add this policy to {each route} and review it:"
    };
    let claim = if groups_back {
        "Either, once your identity provider sends them in the `groups` claim (check \
         `/.pomerium`), "
    } else {
        "Once your identity provider sends them in the `groups` claim (check `/.pomerium`), "
    };
    let mut text = format!("{{routes}} allowed the groups below. {claim}{placement}");
    push_criteria(&mut text, groups, has_policy, |g| {
        format!("claim/groups: {}", yaml_plain(g))
    });
    if groups_back {
        text.push_str(
            "\nOr, with directory sync in the Enterprise Console (Settings > Identity Provider), \
             use the `groups` criterion that 0.26 brought back; it matches group IDs only, so \
             replace names and e-mail addresses by the directory's group IDs:",
        );
        push_criteria(&mut text, groups, has_policy, |g| {
            format!("groups: {{has: {}}}", yaml_plain(g))
        });
    }
    text
}

/// Appends one criterion per group (a placeholder when there are none), as a whole policy or
/// as bare criteria for an existing one.
fn push_criteria(
    text: &mut String,
    groups: &[String],
    has_policy: bool,
    criterion: impl Fn(&str) -> String,
) {
    if !has_policy {
        text.push_str("\npolicy:\n  - allow:\n      or:");
    }
    let indent = if has_policy { "" } else { "        " };
    if groups.is_empty() {
        text.push_str(&format!("\n{indent}- {}", criterion("GROUP")));
    }
    for group in groups {
        text.push_str(&format!("\n{indent}- {}", criterion(group)));
    }
}

/// A group name as a YAML scalar: plain when that reads back as the same string, else quoted.
fn yaml_plain(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@ ".contains(c))
        && !s.starts_with([' ', '-', '.'])
        && !s.ends_with(' ')
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        );
    if plain {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_quoted_when_needed() {
        assert_eq!(yaml_plain("admins"), "admins");
        assert_eq!(yaml_plain("eng@example.com"), "eng@example.com");
        assert_eq!(yaml_plain("123"), "\"123\"");
        assert_eq!(yaml_plain("yes"), "\"yes\"");
        assert_eq!(yaml_plain("a: b"), "\"a: b\"");
        assert_eq!(yaml_plain(""), "\"\"");
    }

    #[test]
    fn advice_lists_every_group() {
        let text = policy_advice(&["admins".into(), "123".into()], false, false);
        assert!(text.contains("\n        - claim/groups: admins"));
        assert!(text.contains("\n        - claim/groups: \"123\""));
        assert!(text.contains("policy:\n  - allow:\n      or:"));
        assert!(!text.contains("groups: {has:"));
        let text = policy_advice(&["admins".into()], true, false);
        assert!(text.contains("existing `policy`"));
        assert!(!text.contains("allow:\n"));
    }

    #[test]
    fn advice_from_0_26_offers_the_groups_criterion() {
        let text = policy_advice(&["admins".into()], false, true);
        assert!(text.contains("\n        - claim/groups: admins"));
        assert!(text.contains("\n        - groups: {has: admins}"));
        assert!(text.contains("group IDs only"));
        let text = policy_advice(&[], true, true);
        assert!(text.contains("\n- groups: {has: GROUP}"));
    }
}
