//! Problem management in a real headless Chromium, in Chinese and in English: an engineer
//! opens a problem from an incident's number — an unknown number is refused beside the field,
//! with what was typed kept — starts the investigation, writes the known error on the
//! problem's page and records it. Screenshots at 1440 and 390 px (`problem-*`).

use yunwei_testkit::browser::Browser;
use yunwei_testkit::{ADMIN_PASSWORD, spawn_app};

async fn shoot(b: &Browser, name: &str) {
    for w in [1440, 390] {
        b.resize(w, if w == 390 { 844 } else { 1000 }).await;
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        b.shot(&format!("{name}-{w}")).await;
    }
    b.resize(1440, 1000).await;
}

async fn journey(lang: &str, words: [&str; 3]) {
    let [not_found, investigating, known_error] = words;
    let app = spawn_app().await;
    let tag = lang.to_lowercase().replace('-', "");
    let eng = format!("prb.eng.{tag}");
    app.user_with_roles(&eng, &["network_engineer"]).await;

    let b = app.browser_as(&eng, ADMIN_PASSWORD, lang, "/problems/new").await;
    b.type_into("#f-problem-new-title", "CS-01 端口反复重启").await;
    b.type_into("#f-problem-new-incident_ids", "INC-999999").await;
    b.click("#form-problem-new button[type=submit]").await;
    b.wait_for_text(not_found).await;
    let kept = b.props("#f-problem-new-title", "value").await;
    assert_eq!(kept.first().map(String::as_str), Some("CS-01 端口反复重启"), "the form keeps what was typed");
    shoot(&b, &format!("problem-form-error-{lang}")).await;

    b.execute("document.querySelector('#f-problem-new-incident_ids').value = ''; return true;").await;
    b.click("#form-problem-new button[type=submit]").await;
    b.wait_for_url("the problem's page", |u| u.contains("/problems/PRB-")).await;
    b.click("form[action$='/transition/start'] button").await;
    b.wait_for_text(investigating).await;
    b.type_into("#f-problem-edit-symptom", "办公网间歇中断").await;
    b.type_into("#f-problem-edit-root_cause", "固件缺陷").await;
    b.type_into("#f-problem-edit-workaround", "切换至 CS-02 备用端口").await;
    b.click("#form-problem-edit button[type=submit]").await;
    b.wait_for_text("切换至 CS-02 备用端口").await;
    b.click("form[action$='/transition/known_error'] button").await;
    // The move is offered no more once made; then the page names the new state.
    for _ in 0..200 {
        let gone = b.execute("return document.querySelector(\"form[action$='/transition/known_error']\") === null;").await;
        if gone == serde_json::Value::Bool(true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(b.page_text().await.contains(known_error), "the page names the known error");
    shoot(&b, &format!("problem-known-error-{lang}")).await;
    b.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn an_engineer_records_a_known_error_in_chinese() {
    if yunwei_testkit::browser::chromedriver().is_none() {
        return;
    }
    journey("zh-CN", ["未找到", "调查中", "已知错误"]).await;
}

#[tokio::test]
async fn an_engineer_records_a_known_error_in_english() {
    if yunwei_testkit::browser::chromedriver().is_none() {
        return;
    }
    journey("en", ["Not found", "Investigating", "Known error"]).await;
}
