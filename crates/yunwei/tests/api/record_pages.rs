//! The record pages over HTTP (issue 15): the incident page's one-click actions, fields
//! edited in place, watchers, files and parent/child incidents — each offered only to those
//! who may use it, and refused to those who may not even when posted by hand — and the
//! catalogue's searchable cards.

use serde_json::json;
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, TestResponse, spawn_app};

/// A page session with its CSRF token, in `lang`.
pub async fn page_session(app: &TestApp, username: &str, lang: &str) -> (Client, String) {
    let c = app.session(username, ADMIN_PASSWORD).await;
    assert_eq!(c.patch("/api/v1/me", &json!({ "locale": lang })).await.status, 200);
    let page = c.get("/profile").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = hidden(&page.text(), "csrf_token");
    (c, csrf)
}

async fn post(c: &Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> TestResponse {
    let mut pairs = vec![("csrf_token", csrf)];
    pairs.extend_from_slice(fields);
    c.post_form(path, &pairs).await
}

/// A `multipart/form-data` body with the token and one file, as a browser sends the upload form.
pub fn multipart(csrf: &str, filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----yunwei-test-boundary-7d1f";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n").into_bytes();
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The desk: a team with a lead who works incidents and a second engineer, and a business
/// user whose reported incident the team holds.
struct Desk {
    lead: i64,
    eng: i64,
    team: i64,
    /// The lead's API client, to check what the pages did.
    api: Client,
    biz: Client,
}

async fn desk(app: &TestApp) -> Desk {
    let (lead, api) = app.user_with_roles("rec.lead", &["ops_director"]).await;
    let (eng, _) = app.user_with_roles("rec.eng", &["ops_manager"]).await;
    let (_, biz) = app.user_with_roles("rec.biz", &["business_user"]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "网络组", "members": [lead, eng] })).await;
    assert_eq!(team.status, 201, "{}", team.text());
    Desk { lead, eng, team: team.json()["id"].as_i64().unwrap_or_default(), api, biz }
}

impl Desk {
    /// An incident the business user reports and the team is given.
    async fn reported(&self, title: &str) -> String {
        let body = json!({ "title": title, "description": "三楼打印机反复卡纸", "impact": "low", "urgency": "low" });
        let created = self.biz.post("/api/v1/incidents", &body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let number = created.json()["number"].as_str().unwrap_or_default().to_string();
        let r = self.api.post(&format!("/api/v1/incidents/{number}/assignment"), &json!({ "team_id": self.team })).await;
        assert_eq!(r.status, 200, "{}", r.text());
        number
    }

    async fn incident(&self, number: &str) -> serde_json::Value {
        self.api.get(&format!("/api/v1/incidents/{number}")).await.json()
    }
}

#[tokio::test]
async fn the_incident_page_offers_each_reader_only_what_they_may_do() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let lead = d.lead;
    let number = d.reported("打印机卡纸").await;
    let page = format!("/incidents/{number}");
    // The requester: reply, files and following; nothing of the desk's.
    let (biz, csrf) = page_session(&app, "rec.biz", "zh-CN").await;
    let html = biz.get(&page).await.text();
    for offered in [format!("action=\"{page}/comment\""), format!("action=\"{page}/attachments\""), format!("action=\"{page}/watch\"")] {
        assert!(html.contains(&offered), "the requester is offered {offered}");
    }
    for refused in ["/take", "/transition/start", "/set/priority", "/set/category", "/set/ci", "/assign", "/link", "name=\"user_id\""] {
        assert!(!html.contains(refused), "the requester is not offered {refused}");
    }
    assert!(html.contains("打印机卡纸") && html.contains("还没有附件。"), "{html}");
    // …and posting them by hand is refused, the incident unchanged.
    for (path, fields) in [
        (format!("{page}/take"), vec![]),
        (format!("{page}/transition/start"), vec![]),
        (format!("{page}/set/priority"), vec![("impact", "high"), ("urgency", "high")]),
        (format!("{page}/link"), vec![("as", "child"), ("number", "INC-000099")]),
    ] {
        let r = post(&biz, &path, &csrf, &fields).await;
        assert!(r.status == 403 || r.status == 404, "{path} answered {}: {}", r.status, r.text());
    }
    let r = post(&biz, &format!("{page}/watch"), &csrf, &[("user_id", &lead.to_string())]).await;
    assert_eq!(r.status, 403, "only the desk adds others as followers: {}", r.text());
    let now = d.incident(&number).await;
    assert_eq!((now["assignee_id"].is_null(), now["priority"].as_i64(), now["state"].as_str()), (true, Some(4), Some("assigned")), "{now}");
    assert_eq!(now["watchers"], json!([]), "{now}");

    // The team's lead: the one-click actions and the forms in place.
    let (c, _) = page_session(&app, "rec.lead", "en").await;
    let html = c.get(&page).await.text();
    for offered in
        ["/take\"", "/transition/start\"", "/set/priority\"", "/set/category\"", "/set/ci\"", "/assign\"", "/link\"", "name=\"user_id\""]
    {
        assert!(html.contains(offered), "the lead is offered {offered}");
    }
    assert!(html.contains(">Assign to me<") && html.contains(">Start work<") && html.contains("Nobody follows this yet."), "{html}");
    // Another business user is refused the page and offered nothing on it.
    app.user_with_roles("rec.other", &["business_user"]).await;
    let (other, _) = page_session(&app, "rec.other", "zh-CN").await;
    let r = other.get(&page).await;
    assert_eq!(r.status, 403);
    assert!(!r.text().contains("/attachments\"") && !r.text().contains("打印机卡纸"), "{}", r.text());
    app.stop().await;
}

#[tokio::test]
async fn take_start_and_resolve_are_one_click_each_in_both_languages() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    for (lang, taken, resolved_badge) in [("zh-CN", "已分派。", "已解决"), ("en", "Assigned.", "Resolved")] {
        let number = d.reported(&format!("打印机卡纸 {lang}")).await;
        let page = format!("/incidents/{number}");
        let (c, csrf) = page_session(&app, "rec.lead", lang).await;
        let r = post(&c, &format!("{page}/take"), &csrf, &[]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let html = c.get(r.header("location").unwrap_or_default()).await.text();
        assert!(html.contains(taken) && !html.contains("/take\""), "{lang}: taken, no longer offered: {html}");
        assert_eq!(d.incident(&number).await["assignee_id"].as_i64(), Some(d.lead));
        assert_eq!(post(&c, &format!("{page}/transition/start"), &csrf, &[]).await.status, 303);
        assert_eq!(d.incident(&number).await["state"], "in_progress");
        // Resolve: the code from the list and a note; a missing note is a message by the field, the code kept.
        let r = post(&c, &format!("{page}/transition/resolve"), &csrf, &[("resolution_code", "workaround"), ("resolution", "")]).await;
        assert_eq!(r.status, 422, "{}", r.text());
        let html = r.text();
        assert!(html.contains("field-error") && html.contains(r#"<option value="workaround" selected>"#), "{html}");
        let r = post(&c, &format!("{page}/transition/resolve"), &csrf, &[("resolution_code", "fixed"), ("resolution", "清理进纸辊")]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let html = c.get(&page).await.text();
        assert!(html.contains(resolved_badge) && html.contains("清理进纸辊"), "{lang}: {html}");
        assert_eq!(d.incident(&number).await["state"], "resolved");
    }
    app.stop().await;
}

#[tokio::test]
async fn fields_edited_in_place_keep_input_and_show_errors() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let number = d.reported("打印机卡纸").await;
    let page = format!("/incidents/{number}");
    let (c, csrf) = page_session(&app, "rec.lead", "zh-CN").await;
    let version = hidden(&c.get(&page).await.text(), "version");
    let r = post(&c, &format!("{page}/set/priority"), &csrf, &[("version", &version), ("impact", "high"), ("urgency", "high")]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(d.incident(&number).await["priority"], 1);
    // Too long a CI: the typed text stays in its own small form, the message beside it.
    let long = "核心交换机".repeat(50);
    let version = hidden(&c.get(&page).await.text(), "version");
    let r = post(&c, &format!("{page}/set/ci"), &csrf, &[("version", &version), ("ci_ref", &long)]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    let html = r.text();
    let form = html.split("id=\"form-set-ci\"").nth(1).unwrap_or_default().split("</form>").next().unwrap_or_default();
    assert!(form.contains(&long) && form.contains("field-error"), "{form}");
    // A page drawn before someone else's change is refused, not overwritten.
    let r = post(&c, &format!("{page}/set/category"), &csrf, &[("version", "1"), ("category_id", "")]).await;
    assert_eq!(r.status, 409, "{}", r.text());
    // A form cannot smuggle other fields in.
    let r = post(&c, &format!("{page}/set/ci"), &csrf, &[("ci_ref", "SW-01"), ("title", "改掉标题")]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(d.incident(&number).await["title"], "打印机卡纸");
    assert_eq!(post(&c, &format!("{page}/set/title"), &csrf, &[("title", "x")]).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn watchers_are_listed_by_name_and_added_or_removed() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let (lead, eng) = (d.lead, d.eng);
    let number = d.reported("打印机卡纸").await;
    let page = format!("/incidents/{number}");
    let (c, csrf) = page_session(&app, "rec.lead", "zh-CN").await;
    assert_eq!(post(&c, &format!("{page}/watch"), &csrf, &[("user_id", &eng.to_string())]).await.status, 303);
    assert_eq!(post(&c, &format!("{page}/watch"), &csrf, &[("user_id", "")]).await.status, 303, "empty: the reader");
    let html = c.get(&page).await.text();
    let watchers = html.split("关注人</h2>").nth(1).unwrap_or_default().split("</table>").next().unwrap_or_default();
    assert!(watchers.contains("rec.eng") && watchers.contains("rec.lead"), "names, not ids: {watchers}");
    assert_eq!(d.incident(&number).await["watchers"], json!([lead, eng]));
    let r = post(&c, &format!("{page}/unwatch?user_id={eng}"), &csrf, &[]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(c.get(r.header("location").unwrap_or_default()).await.text().contains("已移除关注人。"));
    assert_eq!(d.incident(&number).await["watchers"], json!([lead]));
    // The requester may stop following themselves, not remove the lead.
    let (biz, bcsrf) = page_session(&app, "rec.biz", "en").await;
    assert_eq!(post(&biz, &format!("{page}/unwatch?user_id={lead}"), &bcsrf, &[]).await.status, 403);
    let r = post(&biz, &format!("{page}/watch"), &bcsrf, &[]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let html = biz.get(r.header("location").unwrap_or_default()).await.text();
    assert!(html.contains("You now watch this ticket."), "{html}");
    assert_eq!(d.incident(&number).await["watchers"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn files_are_uploaded_listed_and_downloaded_with_errors_by_the_field() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let number = d.reported("打印机卡纸").await;
    let page = format!("/incidents/{number}");
    for (lang, too_large, program) in [
        ("zh-CN", "超过 1 MiB 的上限。", "不接受可执行程序或脚本"),
        ("en", "Larger than the limit of 1 MiB.", "Programs and scripts are not accepted"),
    ] {
        // The requester may add files to their own incident.
        let (c, csrf) = page_session(&app, "rec.biz", lang).await;
        let name = format!("卡纸照片-{lang}.png");
        let (ct, body) = multipart(&csrf, &name, "image/png", b"\x89PNG\r\n\x1a\nfake image");
        let r = c.send("POST", &format!("{page}/attachments"), Some(&ct), body).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let html = c.get(r.header("location").unwrap_or_default()).await.text();
        assert!(html.contains(&name) && html.contains("rec.biz"), "listed with who uploaded it: {html}");
        let href = html
            .split("href=\"/api/v1/incidents/")
            .skip(1)
            .find(|s| s.split("</a>").next().unwrap_or_default().contains(&name))
            .map(|s| s.split('"').next().unwrap_or_default().to_string());
        let file = c.get(&format!("/api/v1/incidents/{}", href.unwrap_or_default())).await;
        assert_eq!((file.status, file.body.as_slice()), (200, &b"\x89PNG\r\n\x1a\nfake image"[..]));
        // Too large for the server (1 MiB here) and a program: each a message beside the file input.
        for (filename, bytes, message) in [("big.log", vec![b'x'; 1_200_000], too_large), ("setup.exe", b"MZ".to_vec(), program)] {
            let (ct, body) = multipart(&csrf, filename, "application/octet-stream", &bytes);
            let r = c.send("POST", &format!("{page}/attachments"), Some(&ct), body).await;
            assert!(r.status == 422 || r.status == 413, "{filename}: {}", r.status);
            let html = r.text();
            let field = html.split("id=\"f-attach-file\"").nth(1).unwrap_or_default().split("</div>").next().unwrap_or_default();
            assert!(field.contains("field-error") && field.contains(message), "{lang} {filename}: {field}");
        }
        // A form without its token stores nothing.
        let (ct, body) = multipart("forged", "x.txt", "text/plain", b"x");
        assert_eq!(c.send("POST", &format!("{page}/attachments"), Some(&ct), body).await.status, 403);
    }
    let list = d.api.get(&format!("/api/v1/incidents/{number}/attachments")).await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "only the two pictures: {list}");
    // Someone who may not read the incident cannot add to it.
    app.user_with_roles("rec.stranger", &["business_user"]).await;
    let (s, scsrf) = page_session(&app, "rec.stranger", "zh-CN").await;
    let (ct, body) = multipart(&scsrf, "x.txt", "text/plain", b"x");
    assert_eq!(s.send("POST", &format!("{page}/attachments"), Some(&ct), body).await.status, 403);
    let list = d.api.get(&format!("/api/v1/incidents/{number}/attachments")).await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "nothing added: {list}");
    app.stop().await;
}

#[tokio::test]
async fn child_incidents_are_linked_by_number_listed_with_state_and_unlinked() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let parent = d.reported("打印机卡纸").await;
    let child = d
        .api
        .post("/api/v1/incidents", &json!({ "title": "四楼打印机同样卡纸", "description": "同型号", "impact": "low", "urgency": "low" }))
        .await
        .json()["number"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let page = format!("/incidents/{parent}");
    for (lang, linked, new_state) in [("zh-CN", "已关联事件。", "新建"), ("en", "The incidents are linked.", "New")] {
        let (c, csrf) = page_session(&app, "rec.lead", lang).await;
        // Lower case and without the zeros is the same number.
        let short = child.trim_start_matches("INC-").trim_start_matches('0').to_string();
        let r = post(&c, &format!("{page}/link"), &csrf, &[("as", "child"), ("number", &format!("inc-{short}"))]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        let html = c.get(r.header("location").unwrap_or_default()).await.text();
        let family = html.split("id=\"form-link\"").next().unwrap_or_default();
        assert!(
            html.contains(linked) && family.contains(&format!("href=\"/incidents/{child}\"")) && family.contains("四楼打印机同样卡纸"),
            "{html}"
        );
        assert!(family.contains(new_state), "the child's state: {family}");
        assert_eq!(d.incident(&child).await["parent_id"].as_i64(), parent.trim_start_matches("INC-").parse::<i64>().ok());
        // The child's page names its parent.
        assert!(c.get(&format!("/incidents/{child}")).await.text().contains(&format!("href=\"/incidents/{parent}\"")));
        // Bad numbers are messages by the field, the text kept.
        for (typed, code) in [("INC-999999", "not_found"), ("abc", "invalid"), (parent.as_str(), "self")] {
            let r = post(&c, &format!("{page}/link"), &csrf, &[("as", "child"), ("number", typed)]).await;
            assert!(r.status == 422 || r.status == 404, "{typed}: {}", r.status);
            let html = r.text();
            let field = html.split("id=\"form-link\"").nth(1).unwrap_or_default().split("</form>").next().unwrap_or_default();
            assert!(field.contains("field-error") && field.contains(&format!("value=\"{typed}\"")), "{code}: {field}");
        }
        let r = post(&c, &format!("{page}/unlink/{child}"), &csrf, &[]).await;
        assert_eq!(r.status, 303, "{}", r.text());
        assert!(d.incident(&child).await["parent_id"].is_null());
    }
    // The requester may not link their incident under another.
    let (biz, bcsrf) = page_session(&app, "rec.biz", "zh-CN").await;
    let r = post(&biz, &format!("{page}/link"), &bcsrf, &[("as", "parent"), ("number", &child)]).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(d.incident(&parent).await["parent_id"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn the_catalogue_is_searchable_cards_in_both_languages() {
    let app = spawn_app().await;
    app.user_with_roles("cat.biz", &["business_user"]).await;
    for (lang, heading, password, days, none) in [
        ("zh-CN", "账号与权限", "密码重置", "预计 1 个工作日内完成", "没有找到相关服务。"),
        ("en", "Accounts and access", "Password reset", "Done within 1 working days", "No service matches."),
    ] {
        let (c, _) = page_session(&app, "cat.biz", lang).await;
        let html = c.get("/catalog").await.text();
        assert_eq!(html.matches("class=\"card\"").count(), 5, "five built-in services: {html}");
        assert_eq!(html.matches("<span class=\"card-icon\" aria-hidden=\"true\"><svg").count(), 5, "an icon each");
        assert!(html.contains(heading) && html.contains(password) && html.contains(days), "{lang}: {html}");
        // Server-side search, in either language's words.
        for q in ["密码", "password", "PASSWORD 重置"] {
            let html = c.get(&format!("/catalog?q={}", urlencode(q))).await.text();
            assert_eq!(html.matches("class=\"card\"").count(), 1, "{q}: {html}");
            assert!(html.contains(password), "{q}");
        }
        let html = c.get("/catalog?q=vpn").await.text();
        assert!(html.contains("VPN") && html.matches("class=\"card\"").count() == 1, "{html}");
        let html = c.get("/catalog?q=%E6%97%A0%E6%AD%A4%E6%9C%8D%E5%8A%A1").await.text();
        assert!(html.contains(none) && html.contains("href=\"/catalog\"") && !html.contains("class=\"card\""), "{html}");
        assert_eq!(c.get("/catalog?q=").await.text().matches("class=\"card\"").count(), 5, "an empty search is everything");
    }
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
