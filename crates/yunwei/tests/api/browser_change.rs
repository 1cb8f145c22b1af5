//! Change management in a real headless Chromium, in Chinese and in English: the requester
//! (an engineer) raises a change request — a window that ends before it starts is refused
//! beside the end, with what was typed kept — submits it, and a CAB member approves it on the
//! change's page. Screenshots at 1440 and 390 px (`change-*` in the screenshot directory).

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

async fn set(b: &Browser, css: &str, value: &str) {
    b.execute(&format!("document.querySelector('{css}').value = '{value}'; return true;")).await;
}

async fn journey(lang: &str, words: [&str; 3]) {
    let [ends_before, pending, approved] = words;
    let app = spawn_app().await;
    let tag = lang.to_lowercase().replace('-', "");
    let (eng_name, cab_name) = (format!("chg.eng.{tag}"), format!("chg.cab.{tag}"));
    app.user_with_roles(&eng_name, &["system_engineer"]).await;
    app.user_with_roles(&cab_name, &["cab_member"]).await;

    let b = app.browser_as(&eng_name, ADMIN_PASSWORD, lang, "/changes/new").await;
    b.type_into("#f-change-new-title", "核心交换机固件升级").await;
    b.type_into("#f-change-new-content", "升级 CS-01 固件至 9.3(12)。").await;
    b.type_into("#f-change-new-reason", "修复端口异常重启缺陷。").await;
    b.type_into("#f-change-new-steps", "备份配置\n升级固件\n回切观察").await;
    b.type_into("#f-change-new-backup_plan", "导出运行配置。").await;
    b.type_into("#f-change-new-rollback_plan", "以备份镜像回退。").await;
    set(&b, "#f-change-new-window_start", "2030-06-01T02:00").await;
    set(&b, "#f-change-new-window_end", "2030-06-01T01:00").await;
    b.click("#form-change-new button[type=submit]").await;
    b.wait_for_text(ends_before).await;
    let kept = b.props("#f-change-new-title", "value").await;
    assert_eq!(kept.first().map(String::as_str), Some("核心交换机固件升级"), "the form keeps what was typed");
    shoot(&b, &format!("change-form-error-{lang}")).await;

    set(&b, "#f-change-new-window_end", "2030-06-01T04:00").await;
    b.click("#form-change-new button[type=submit]").await;
    let url = b.wait_for_url("the change's page", |u| u.contains("/changes/CHG-")).await;
    b.click("form[action$='/transition/submit'] button").await;
    b.wait_for_text(pending).await;
    shoot(&b, &format!("change-submitted-{lang}")).await;
    b.quit().await;

    let path = url.split_once("/changes/").map(|(_, n)| format!("/changes/{}", n.split('?').next().unwrap_or(n))).expect("path");
    let c = app.browser_as(&cab_name, ADMIN_PASSWORD, lang, &path).await;
    c.type_into("#f-change-vote-comment", "方案完整，同意实施。").await;
    c.click("#form-change-vote button[type=submit]").await;
    c.wait_for_text(approved).await;
    shoot(&c, &format!("change-approved-{lang}")).await;
    c.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn requester_and_approver_in_chinese() {
    if yunwei_testkit::browser::chromedriver().is_none() {
        return;
    }
    journey("zh-CN", ["结束时间必须晚于开始时间", "待审批", "已批准"]).await;
}

#[tokio::test]
async fn requester_and_approver_in_english() {
    if yunwei_testkit::browser::chromedriver().is_none() {
        return;
    }
    journey("en", ["Must end after it starts", "Awaiting approval", "Approved"]).await;
}
