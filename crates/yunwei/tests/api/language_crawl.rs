//! Language, both ways, on every page (issue 15): the five people of the demo organisation walk
//! every page they are offered in zh-CN, and no page shows a raw state or role code
//! (`in_progress`, `(network_engineer)`), a snake_case code, or half-width punctuation inside
//! Chinese (说明: 必填 instead of 说明：必填, 剩余 (30 分钟) instead of （剩余 30 分钟）). In English
//! the same people find no snake_case code, state badges all capitalised alike ("In progress",
//! never "approved"), and no search page that shows how it split the words.

use crate::crawl::{ROLES, demo_app, links};
use crate::language::visible_text;
use std::collections::{BTreeSet, VecDeque};
use yunwei_testkit::Client;

fn cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3000}'..='\u{303f}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// The states and codes a reader must never see raw on a Chinese page.
const RAW: &[&str] = &[
    "new",
    "assigned",
    "in_progress",
    "pending",
    "resolved",
    "closed",
    "cancelled",
    "pending_approval",
    "in_fulfilment",
    "fulfilled",
    "rejected",
    "open",
    "done",
    "skipped",
    "approve",
    "approved",
    "fixed",
];

/// What is wrong with the text of a zh-CN page, each with a little context.
pub fn zh_problems(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let around = |i: usize| {
        chars[i.saturating_sub(12)..(i + 12).min(chars.len())].iter().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let mut out = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let prev = chars[..i].iter().rev().find(|c| **c != ' ');
        let next = chars[i + 1..].iter().find(|c| **c != ' ');
        match c {
            ':' if prev.is_some_and(|p| cjk(*p)) => out.push(format!("half-width colon: {}", around(i))),
            '(' if prev.is_some_and(|p| cjk(*p)) || next.is_some_and(|n| cjk(*n)) => out.push(format!("half-width bracket: {}", around(i))),
            _ => {}
        }
    }
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if RAW.contains(&w) || (w.contains('_') && w.chars().any(|c| c.is_ascii_lowercase()) && !w.starts_with('_')) {
            out.push(format!("raw code: {w}"));
        }
    }
    out
}

/// Identifiers some administration pages show on purpose, because administrators type them:
/// role keys, template variables, webhook event names, resolution codes (their labels are
/// another change), a configuration key, token prefixes, and the field keys and values that a
/// catalogue item's form defines (the audit log records answers as submitted).
fn shown_by_design(path: &str, problem: &str) -> bool {
    let Some(code) = problem.strip_prefix("raw code: ") else { return false };
    let page = |p: &str| path.starts_with(p);
    (page("/admin/roles") && code.contains('_'))
        || page("/admin/templates")
        || (page("/admin/webhooks") && code.contains('_'))
        || page("/admin/service-desk")
        || code == "public_url"
        || code.starts_with("yw_")
        || (page("/admin/audit") && FORM_KEYS.contains(&code))
}

/// Keys and values of the demo catalogue's forms (password reset, VPN access, equipment).
const FORM_KEYS: &[&str] = &["contact_phone", "core_banking", "end_date", "needed_by", "start_date", "vpn_user", "initial_admin"];

/// The text of every state badge (`<span class="badge state …">`) of a page.
pub fn state_badges(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<span class=\"badge state") {
        rest = &rest[i..];
        let Some(open_end) = rest.find('>') else { break };
        let Some(close) = rest.find("</span>") else { break };
        if open_end < close {
            out.push(rest[open_end + 1..close].trim().to_string());
        }
        rest = &rest[close..];
    }
    out
}

/// What is wrong with an English page: snake_case codes in its text, state badges not
/// capitalised, the search's word splitting shown.
pub fn en_problems(html: &str) -> Vec<String> {
    let text = visible_text(html);
    let mut out = Vec::new();
    for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if w.contains('_') && w.chars().any(|c| c.is_ascii_lowercase()) && !w.starts_with('_') {
            out.push(format!("raw code: {w}"));
        }
    }
    for b in state_badges(html) {
        if b.chars().next().is_some_and(|c| c.is_lowercase()) {
            out.push(format!("state badge not capitalised: {b}"));
        }
    }
    if text.contains("Searching for") || text.contains("按以下词") {
        out.push("the search shows its word splitting".into());
    }
    out
}

async fn walk(client: &Client, who: &str) -> Vec<String> {
    walk_checking(client, who, |html| zh_problems(&visible_text(html))).await
}

async fn walk_checking(client: &Client, who: &str, check: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::from(["/".to_string()]);
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut found = Vec::new();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        visited += 1;
        if visited > 600 {
            break;
        }
        let r = client.get(&path).await;
        if !r.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            if let Some(to) = r.header("location").filter(|_| (300..400).contains(&r.status))
                && seen.insert(to.to_string())
            {
                queue.push_back(to.to_string());
            }
            continue;
        }
        let html = r.text();
        // Administrators' template editor shows template source, which is code by nature.
        if !path.starts_with("/admin/templates/") {
            for p in check(&html).into_iter().filter(|p| !shown_by_design(&path, p)) {
                found.push(format!("{who} {path}: {p}"));
            }
        }
        for href in links(&html) {
            if href.starts_with('/')
                && !href.starts_with("//")
                && !href.starts_with("/lang/")
                && !href.starts_with("/logout")
                && seen.insert(href.clone())
            {
                queue.push_back(href);
            }
        }
    }
    found
}

#[tokio::test]
async fn no_zh_cn_page_shows_codes_or_half_width_punctuation() {
    let app = demo_app().await;
    let mut found = Vec::new();
    for (user, password) in ROLES {
        let client = app.session(user, password).await;
        assert_eq!(client.patch("/api/v1/me", &serde_json::json!({ "locale": "zh-CN" })).await.status, 200);
        found.extend(walk(&client, user).await);
    }
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "{} problems on zh-CN pages:\n{}", found.len(), found.join("\n"));
}

#[tokio::test]
async fn no_english_page_shows_codes_or_lowercase_state_badges() {
    let app = demo_app().await;
    // Approvals decided and pending, so the approval badges are on the pages too.
    let mut found = Vec::new();
    for (user, password) in ROLES {
        let client = app.session(user, password).await;
        assert_eq!(client.patch("/api/v1/me", &serde_json::json!({ "locale": "en" })).await.status, 200);
        found.extend(walk_checking(&client, user, en_problems).await);
        // A search with two words: the page lists what it found, not how it split them.
        let search = client.get("/search?q=core%20switch").await;
        if search.status == 200 {
            found.extend(en_problems(&search.text()).into_iter().map(|p| format!("{user} /search: {p}")));
        }
    }
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "{} problems on English pages:\n{}", found.len(), found.join("\n"));
}

#[test]
fn the_english_checker_finds_what_it_should() {
    let ok = r#"<td><span class="badge state state-in_progress">In progress</span></td><span class="badge state decision-approved">Approved</span>"#;
    assert_eq!(en_problems(ok), Vec::<String>::new());
    let bad = r#"<span class="badge state decision-approved">approved</span> state in_progress"#;
    assert_eq!(en_problems(bad).len(), 2, "{:?}", en_problems(bad));
    assert_eq!(state_badges(ok), ["In progress", "Approved"]);
}

#[test]
fn the_checker_finds_what_it_should() {
    assert_eq!(zh_problems("说明：必填。（剩余 30 分钟）状态改为 已完成"), Vec::<String>::new());
    assert_eq!(zh_problems("说明: 必填").len(), 1);
    assert_eq!(zh_problems("标准 SLA (Standard)").len(), 0, "English inside a bracket after Latin text is not flagged here");
    assert_eq!(zh_problems("刘网络 (network_engineer)").len(), 2);
    assert_eq!(zh_problems("状态由 in_progress 改为 resolved").len(), 2);
}
