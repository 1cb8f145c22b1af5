//! The crawl (issue 15): five people of the demo organisation — the administrator, a network
//! engineer, a requester, an approver and the audit administrator — sign in and follow every
//! same-site link reachable from the home page, breadth first. Nothing offered to a reader may
//! answer 4xx or 5xx: a link to a page the reader may not use is the defect (navigation must
//! offer only what the policy allows). Timing is measured by the release-mode bench
//! (`yunwei bench --scenario crawl`), not here.

use std::collections::{BTreeSet, VecDeque};
pub use yunwei_testkit::links;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, followed, spawn_app};

/// Pages per role at most: the demo data has a few dozen records, so this bounds a runaway
/// (e.g. an ever-growing cursor) without cutting the real site short.
const MAX_PAGES: usize = 600;

/// Crawls as `client`; returns the pages visited and the failures found.
pub async fn crawl(client: &Client, who: &str) -> (usize, Vec<String>) {
    let mut seen = BTreeSet::from(["/".to_string()]);
    let mut queue = VecDeque::from([("/".to_string(), "(start)".to_string())]);
    let mut failures = Vec::new();
    let mut visited = 0;
    while let Some((path, from)) = queue.pop_front() {
        if visited >= MAX_PAGES {
            failures.push(format!("{who}: more than {MAX_PAGES} pages; the crawl is unbounded somewhere (last {path})"));
            break;
        }
        visited += 1;
        let r = client.get(&path).await;
        if r.status >= 400 {
            let body: String = r.text().chars().take(200).collect();
            failures.push(format!("{who}: GET {path} (linked from {from}) answered {}: {body}", r.status));
            continue;
        }
        let mut next = Vec::new();
        if (300..400).contains(&r.status) {
            next.extend(r.header("location").map(str::to_string));
        } else if r.header("content-type").is_some_and(|c| c.starts_with("text/html")) {
            next = links(&r.text());
        }
        for href in next {
            if followed(&href) && seen.insert(href.clone()) {
                queue.push_back((href, path.clone()));
            }
        }
    }
    (visited, failures)
}

pub async fn demo_app() -> TestApp {
    let app = spawn_app().await;
    yunwei_core::demo::load(&app.core).await.unwrap();
    yunwei_core::demo::load_desk(&app.core).await.unwrap();
    yunwei_core::demo::load_requests(&app.core).await.unwrap();
    app
}

/// The five roles of the crawl: (username, password).
pub const ROLES: &[(&str, &str)] = &[
    ("admin", ADMIN_PASSWORD),
    ("net01", yunwei_core::demo::DEMO_PASSWORD),
    ("biz01", yunwei_core::demo::DEMO_PASSWORD),
    ("branch01", yunwei_core::demo::DEMO_PASSWORD),
    ("auditadmin", yunwei_core::demo::DEMO_PASSWORD),
];

#[tokio::test]
async fn every_link_offered_to_five_roles_answers_in_both_languages() {
    let app = demo_app().await;
    let mut failures = Vec::new();
    for (user, password) in ROLES {
        for lang in ["zh-CN", "en"] {
            let client = app.session(user, password).await;
            let r = client.patch("/api/v1/me", &serde_json::json!({ "locale": lang })).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let (visited, found) = crawl(&client, &format!("{user} ({lang})")).await;
            assert!(visited > 3, "{user} reached only {visited} pages");
            failures.extend(found);
        }
    }
    assert!(failures.is_empty(), "{} broken links:\n{}", failures.len(), failures.join("\n"));
}

/// The hrefs of a page as `who` sees it.
async fn hrefs(client: &Client, path: &str) -> Vec<String> {
    let r = client.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    links(&r.text())
}

#[tokio::test]
async fn navigation_offers_only_what_the_reader_may_open() {
    let app = demo_app().await;
    let sign_in = |u: &'static str| {
        let app = &app;
        async move { app.session(u, if u == "admin" { ADMIN_PASSWORD } else { yunwei_core::demo::DEMO_PASSWORD }).await }
    };
    // The system and audit administrators hold no desk rights: no desk entries, but their own.
    for who in ["admin", "auditadmin"] {
        let c = sign_in(who).await;
        let home = hrefs(&c, "/").await;
        for refused in ["/incidents", "/admin/sla", "/surveys"] {
            assert!(!home.iter().any(|h| h == refused), "{who} is offered {refused}: {home:?}");
        }
        let requests = hrefs(&c, "/requests").await;
        for refused in ["/catalog", "/requests?queue=all", "/requests?queue=my_teams"] {
            assert!(!requests.iter().any(|h| h == refused), "{who} is offered {refused} on /requests");
        }
        assert!(requests.iter().any(|h| h == "/requests?queue=mine"), "{who}: {requests:?}");
    }
    let admin = sign_in("admin").await;
    assert!(hrefs(&admin, "/").await.iter().any(|h| h == "/admin/users"));
    // An engineer sees the desk; without sla:export no calendar downloads are offered.
    let net01 = sign_in("net01").await;
    let home = hrefs(&net01, "/").await;
    assert!(home.iter().any(|h| h == "/incidents") && home.iter().any(|h| h == "/admin/sla"), "{home:?}");
    assert!(!hrefs(&net01, "/admin/sla").await.iter().any(|h| h.contains("/days?format=")));
    // A requester: their requests and the catalogue, no SLA page, no improvement register.
    let biz01 = sign_in("biz01").await;
    let home = hrefs(&biz01, "/").await;
    assert!(!home.iter().any(|h| h == "/admin/sla"), "{home:?}");
    assert!(hrefs(&biz01, "/requests").await.iter().any(|h| h == "/catalog"));
    assert!(!hrefs(&biz01, "/surveys/list").await.iter().any(|h| h == "/improvements"));
}

#[tokio::test]
async fn error_pages_keep_the_navigation_and_link_home_in_both_languages() {
    let app = demo_app().await;
    let c = app.admin_session().await;
    for (lang, home) in [("zh-CN", "回到首页"), ("en", "Back to the home page")] {
        assert_eq!(c.patch("/api/v1/me", &serde_json::json!({ "locale": lang })).await.status, 200);
        for (path, status) in [("/incidents", 403), ("/no-such-page", 404), ("/incidents?queue=nonsense", 400)] {
            let r = c.get(path).await;
            assert_eq!(r.status, status, "{path}");
            let body = r.text();
            assert!(body.contains(&format!(r#"href="/">{home}</a>"#)), "{lang} {path}: no link home in {body}");
            assert!(links(&body).iter().any(|h| h == "/admin/users"), "{lang} {path}: no navigation in {body}");
        }
    }
    // Every page names its icon, and the path browsers try first answers too (no 404 per page).
    for path in ["/favicon.ico", "/static/favicon.svg"] {
        let r = app.anonymous().get(path).await;
        assert_eq!((r.status, r.header("content-type")), (200, Some("image/svg+xml")), "{path}");
    }
    assert!(c.get("/").await.text().contains(r#"<link rel="icon" href="/static/favicon.svg""#));
    // Someone not signed in still gets the link home (and no navigation).
    let r = app.anonymous().get("/no-such-page").await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains(r#"href="/">"#));
}

#[test]
fn links_are_read_from_html() {
    let html = r#"<a href="/a?x=1&amp;y=2#top">a</a> <link href="/static/app.css"> <a href="https://example.com/">x</a>"#;
    assert_eq!(links(html), ["/a?x=1&y=2", "/static/app.css", "https://example.com/"]);
    assert!(!followed("https://example.com/") && !followed("/lang/en") && followed("/incidents"));
}
