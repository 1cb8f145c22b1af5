//! Every key the code asks for is in both locales: the literal ones (`tr.t("…")`,
//! `tr.with("…", …)` in the sources and templates) and the ones built at run time from
//! the code's own enums and tables (`event.{}`, `notice.{}`, `field.{}`, `process.{}.title`,
//! states, levels…). A key that is only in one locale, or in neither, fails here by name.

use super::keys;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use yunwei_domain::{cmdb, event, improvement, incident, knowledge, permission, request, survey, webhook};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs" || x == "html") {
            out.push(path);
        }
    }
}

fn sources(crates: &[&str]) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = Vec::new();
    for dir in crates {
        files(&root.join(dir), &mut paths);
    }
    paths.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap_or_default())).collect()
}

fn is_key(s: &str) -> bool {
    s.contains('.') && !s.ends_with('.') && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// The string literals that directly follow `call` (e.g. `.t("`), when they look like keys.
fn literals_after<'a>(text: &'a str, call: &str) -> Vec<&'a str> {
    text.match_indices(call)
        .filter_map(|(at, _)| {
            let rest = &text[at + call.len()..];
            rest.find('"').map(|end| &rest[..end]).filter(|k| is_key(k))
        })
        .collect()
}

/// The word that follows `marker` (letters, digits, `_`), e.g. the `saved` of `?ok=saved`.
fn words_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            // `ok=grant_{}` is built at run time: the caller enumerates its values.
            if rest[end..].starts_with('{') { "" } else { &rest[..end] }
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn used_keys() -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (path, text) in sources(&["yunwei-web/src", "yunwei-web/templates"]) {
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("i18n")) {
            continue; // this module's own examples of missing keys
        }
        for call in [".t(\"", ".with(\"", "tr.t(\""] {
            used.extend(literals_after(&text, call).into_iter().map(String::from));
        }
        // Pages say what was done through `?ok=<notice>`: notice.<notice>.
        // (The survey's own page shows `survey.thanks` for `answered`.)
        used.extend(words_after(&text, "ok=").into_iter().filter(|w| *w != "answered").map(|w| format!("notice.{w}")));
    }
    // Field errors name a field (its label is field.<first part>) and a code (error.<code>).
    for (_, text) in sources(&["yunwei-core/src", "yunwei-domain/src", "yunwei-web/src"]) {
        for (at, _) in text.match_indices("FieldError::new(\"") {
            let rest = &text[at + "FieldError::new(\"".len()..];
            let Some((field, rest)) = rest.split_once('"') else { continue };
            let first = field.split(['[', '.']).next().unwrap_or(field);
            if first.is_empty() {
                continue; // an error about the whole body, shown without a field label
            }
            used.insert(format!("field.{first}"));
            if let Some(code) = rest.strip_prefix(", \"").and_then(|r| r.split('"').next()) {
                used.insert(format!("error.{code}"));
            }
        }
    }
    let mut built = |prefix: &str, values: Vec<String>, suffix: &str| {
        used.extend(values.into_iter().map(|v| format!("{prefix}.{v}{suffix}")));
    };
    let all = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (process, group) in crate::pages::PROCESSES {
        built("process", vec![process.to_string()], ".title");
        built("process", vec![process.to_string()], ".about");
        built("nav.group", vec![group.to_string()], "");
    }
    built("event", event::EventType::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("channel", event::Channel::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("object", permission::ObjectType::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("permission.object", permission::ObjectType::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("incident.state", incident::IncidentState::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("incident.level", incident::Level::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("incident.channel", incident::Channel::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("incident.pending_reason", incident::PendingReason::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("request.state", request::RequestState::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("improvement.state", improvement::ImprovementState::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("improvement.source", improvement::ImprovementSource::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("survey.state", survey::SurveyState::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("survey.period", survey::Period::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("survey.by", survey::GroupBy::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("cmdb.status", cmdb::CiStatus::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("cmdb.criticality", cmdb::Criticality::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("cmdb.environment", cmdb::Environment::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("cmdb.kind", cmdb::AttrKind::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("cmdb.source", cmdb::HistorySource::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("cmdb.history", cmdb::HistoryOp::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("knowledge.state", knowledge::VersionState::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("knowledge.action", knowledge::KbAction::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("knowledge.visibility", knowledge::Visibility::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("knowledge.type", knowledge::ArticleType::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    built("webhooks.format", webhook::WebhookFormat::ALL.iter().map(|e| e.as_str().to_string()).collect(), "");
    // Chat robots' words, asked for by core through the installed wording.
    built("chat", all(&["ping_title", "ping_text", "open", "digest_title", "digest_why"]), "");
    // Deciding a duty grant redirects to `ok=grant_<its new status>`.
    built("notice", all(&["grant_approved", "grant_rejected", "grant_cancelled"]), "");
    // A request's cancel and close say which of the two happened.
    built("notice", all(&["request_cancelled", "request_closed"]), "");
    built("survey.score", all(&["1", "2", "3", "4", "5"]), "");
    used
}

#[test]
fn every_key_the_code_uses_is_in_both_locales() {
    let used = used_keys();
    assert!(used.len() > 300, "the scan found the code's keys ({})", used.len());
    for locale in super::LOCALES {
        let have: BTreeSet<String> = keys(locale).into_iter().collect();
        let missing: Vec<&String> = used.iter().filter(|k| !have.contains(*k)).collect();
        assert!(missing.is_empty(), "{} keys used but missing from locales/{locale}.json: {missing:#?}", missing.len());
    }
}

#[test]
fn the_scan_sees_literal_and_built_keys() {
    assert_eq!(literals_after(r#"tr.t("nav.main") tr.with("error.too_long", &p) t("x")"#, ".t(\""), ["nav.main"]);
    assert_eq!(words_after("redirect(\"/profile?ok=token_revoked\")", "ok="), ["token_revoked"]);
    let used = used_keys();
    for key in ["nav.main", "notice.token_revoked", "event.user.created", "process.incident.title", "incident.level.high"] {
        assert!(used.contains(key), "{key}");
    }
}

/// Files the core writes without the locales (incident exports) name states as the pages do.
#[test]
fn exports_name_incident_states_as_the_pages_do() {
    for locale in super::LOCALES {
        let tr = super::Tr::new(locale);
        for s in incident::IncidentState::ALL {
            assert_eq!(yunwei_core::incident::state_label(*s, tr.is_zh()), tr.t(&format!("incident.state.{s}")), "{locale}");
        }
    }
}

/// English state and status names are capitalised alike wherever they appear (badges, queues, reports).
#[test]
fn english_state_names_are_capitalised() {
    for key in keys("en") {
        let parts: Vec<&str> = key.split('.').collect();
        if parts.len() == 3 && (parts[1] == "state" || parts[1] == "status") {
            let text = super::Tr::new("en").t(&key);
            assert!(text.chars().next().is_some_and(char::is_uppercase), "{key} = {text:?}");
        }
    }
}
