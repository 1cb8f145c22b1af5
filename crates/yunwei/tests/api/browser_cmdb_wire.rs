//! The CMDB wired into the desk, in a real headless Chromium, in Chinese and in English: the
//! impact graph on a CI's page (a box per CI, each a link; scrolls sideways at 390 px, the page
//! itself does not), and an incident reported with its CI picked from the list, whose page
//! then names the business service the CI's failure degrades. Screenshots go to /tmp/shots-cmdb/.

use serde_json::json;
use std::time::Duration;
use yunwei_testkit::browser::Browser;
use yunwei_testkit::cmdb::{ci, class_id, relate};
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

async fn walk(lang: &str, texts: [&str; 3]) {
    let [graph_title, degraded, services_help] = texts;
    let app = spawn_app().await;
    let user = format!("wire.{}", lang.to_lowercase().replace('-', ""));
    let (_, director) = app.user_with_roles(&user, &["ops_director"]).await;
    if lang == "en" {
        assert_eq!(director.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    }
    let admin = app.admin();
    let r = director.post("/api/v1/business-services", &json!({ "name": "网上银行", "description": "个人网银" })).await;
    let service_ci = r.json()["ci_id"].as_i64().unwrap();
    let front = ci(&director, json!({ "class_id": class_id(&admin, "application").await, "name": "网银前台" })).await;
    let pool = ci(&director, json!({ "class_id": class_id(&admin, "cluster").await, "name": "网银 Web 池" })).await;
    let vm = class_id(&admin, "virtual_machine").await;
    let mut vms = Vec::new();
    for n in 1..=8 {
        let name = format!("ebank-web-{n:02}");
        let id = ci(&director, json!({ "class_id": vm, "name": name, "attributes": { "hostname": name } })).await;
        relate(&director, "member_of", id, pool).await;
        vms.push(id);
    }
    relate(&director, "runs_on", service_ci, front).await;
    relate(&director, "runs_on", front, pool).await;

    let browser = Browser::start(lang).await.expect("headless Chromium");
    browser.goto(&app.url(&format!("/cmdb/cis/{pool}"))).await;
    browser.type_into("#username", &format!("{user}\u{E004}")).await;
    browser.type_into("#password", &format!("{ADMIN_PASSWORD}\u{E007}")).await;
    browser.wait_until_left("/login").await;
    browser.wait_for_text(graph_title).await;
    let boxes = browser.execute("return document.querySelectorAll('svg.cmdb-graph a').length").await;
    assert_eq!(boxes, json!(9), "the pool, the front end, the service and six of eight members");
    browser.shots_in("/tmp/shots-cmdb", &format!("graph-{lang}")).await;
    // At 390 px the graph scrolls inside its box; the page does not scroll sideways.
    browser.resize(390, 844).await;
    let mut fits = json!(null);
    for _ in 0..40 {
        fits = browser
            .execute(
                "const s = document.querySelector('.graph-scroll'); \
                 return [s.scrollWidth > s.clientWidth, document.documentElement.scrollWidth <= window.innerWidth + 1];",
            )
            .await;
        if fits == json!([true, true]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fits, json!([true, true]), "graph scrolls, page fits");
    browser.resize(1440, 1000).await;
    // A box leads to its CI.
    browser.click(&format!("svg.cmdb-graph a[href='/cmdb/cis/{front}']")).await;
    browser.wait_for_url("the front end's page", |u| u.ends_with(&format!("/cmdb/cis/{front}"))).await;

    // An incident on one member, picked from the list by its name.
    browser.goto(&app.url("/incidents/new")).await;
    browser.type_into("#f-report-title", "网银节点宕机").await;
    browser.type_into("#f-report-description", "ebank-web-01 无响应").await;
    browser.type_into("#f-report-ci_id", &format!("ebank-web-01 #{}", vms[0])).await;
    browser.click("#form-report button[type=submit]").await;
    browser.wait_for_url("the new incident", |u| u.contains("/incidents/INC-")).await;
    let text = browser.wait_for_text(services_help).await;
    assert!(text.contains("网上银行") && text.contains(degraded), "{text}");
    browser.shots_in("/tmp/shots-cmdb", &format!("incident-ci-{lang}")).await;
    browser.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn the_impact_graph_and_an_incident_on_a_ci_in_chromium_in_chinese() {
    walk("zh-CN", ["影响关系图", "降级", "此配置项故障时受影响的业务服务"]).await;
}

#[tokio::test]
async fn the_impact_graph_and_an_incident_on_a_ci_in_chromium_in_english() {
    walk("en", ["Impact graph", "Degraded", "Business services this CI's failure affects"]).await;
}
