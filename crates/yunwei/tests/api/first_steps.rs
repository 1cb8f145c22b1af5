//! First steps of an administrator: a holiday import that never claims success for nothing, a
//! first start that explains a refused password in words, and the forced password change.

use serde_json::json;
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::hidden;
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, TestResponse, spawn_app};

async fn desk_session(app: &TestApp, username: &str) -> (Client, String) {
    app.user_with_roles(username, &["ops_director"]).await;
    let c = app.session(username, ADMIN_PASSWORD).await;
    let page = c.get("/admin/sla").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = hidden(&page.text(), "csrf_token");
    (c, csrf)
}

async fn import(c: &Client, csrf: &str, format: &str, body: &str) -> TestResponse {
    c.post_form("/admin/sla/import", &[("csrf_token", csrf), ("calendar_id", "1"), ("format", format), ("body", body)]).await
}

/// Defect 2: the default format (iCalendar) with CSV text pasted, any text, or an empty
/// body said "已导入" and changed nothing. Now the content decides the format, and
/// nothing imported is refused with the reason, in the reader's language.
#[tokio::test]
async fn calendar_import_sniffs_the_format_and_refuses_zero_days() {
    let app = spawn_app().await;
    let (c, csrf) = desk_session(&app, "wang.wu").await;
    let before = c.get("/api/v1/calendars/1").await.json();

    let csv = "date,kind,name\n2027-01-01,holiday,元旦\n";
    let ok = import(&c, &csrf, "ics", csv).await;
    assert_eq!(ok.status, 303, "CSV pasted under the default iCalendar format is read as CSV: {}", ok.text());
    let exported = c.get("/api/v1/calendars/1/days?format=csv").await.text();
    assert!(exported.contains("2027-01-01,holiday,元旦"), "{exported}");

    for (body, said) in [
        ("", "文件内容为空"),
        ("   \n# only a comment\n", "文件内容为空"),
        ("hello world", "无法识别文件格式"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "未导入任何日期：这份 iCalendar 文本"),
        ("date,kind,name\n", "未导入任何日期：这份 CSV 文本"),
    ] {
        let r = import(&c, &csrf, "ics", body).await;
        assert_eq!(r.status, 422, "{body:?}: {}", r.text());
        let html = r.text();
        assert!(html.contains(said) && !html.contains("已导入"), "{body:?}: {html}");
    }

    // The API says the same with a stable code, and English readers read English.
    let api = |body: &'static str| {
        let c = c.clone();
        async move { c.send("PUT", "/api/v1/calendars/1/days?format=ics", Some("text/calendar"), body.as_bytes().to_vec()).await }
    };
    let none = api("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").await;
    assert_problem(&none, 422, "validation_failed");
    assert_eq!(none.json()["errors"][0]["code"], "import_no_days");
    assert_eq!(none.json()["errors"][0]["field"], "body");
    assert_problem(&api("").await, 422, "validation_failed");
    assert_eq!(api("").await.json()["errors"][0]["code"], "import_empty");
    assert_eq!(api("x,y\n1,2").await.json()["errors"][0]["code"], "import_unknown_format");
    let after = c.get("/api/v1/calendars/1").await.json();
    assert_eq!(after["spec"]["holidays"].as_array().map(Vec::len), before["spec"]["holidays"].as_array().map(|h| h.len() + 1));

    let lang = c.post_form("/profile", &[("csrf_token", &csrf), ("locale", "en"), ("time_zone", "Asia/Shanghai")]).await;
    assert_eq!(lang.status, 303);
    let en = import(&c, &csrf, "csv", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").await;
    assert_eq!(en.status, 422);
    assert!(en.text().contains("Nothing was imported: this iCalendar text lists no holidays"), "{}", en.text());
    assert!(import(&c, &csrf, "csv", "").await.text().contains("The file content is empty"));
    let msg = api("nonsense").await.json();
    assert!(msg["errors"][0]["message"].as_str().unwrap_or_default().contains("not recognised"), "{msg}");
    assert_eq!(json!(msg["errors"][0]["code"]), json!("import_unknown_format"));
    app.stop().await;
}

/// Newcomer: a first start with a YUNWEI_ADMIN_PASSWORD the policy refuses printed
/// `[ContainsUsername]`. It says what is wrong in words, in the terminal's language,
/// with what the policy asks for, and exits 2 without serving.
#[test]
fn a_weak_initial_admin_password_is_explained_in_the_terminals_language() {
    for (lang, wrong, asks) in [
        ("zh_CN.UTF-8", "  - 不能包含用户名。", "密码策略要求："),
        ("en_US.UTF-8", "  - Must not contain the user name.", "The password policy asks for:"),
    ] {
        let dir = crate::cli::temp_dir("weak-admin");
        let url = format!("sqlite://{}?mode=rwc", dir.join("yunwei.db").display());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = std::process::Command::new(crate::cli::BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &url, "--data-dir"])
            .arg(&dir)
            .env("YUNWEI_ADMIN_PASSWORD", "Admin-Xq7#Lp9z")
            .env("YUNWEI_LOG", "error")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("YUNWEI_ADMIN_PASSWORD") && err.contains(wrong) && err.contains(asks), "{lang}: {err}");
        assert!(!err.contains("ContainsUsername"), "{lang}: {err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Defect 11: the first sign-in with a temporary password landed on the home page, and every
/// link then bounced to the profile with a grey hint. Now every page leads, at once, to a page
/// that says why and offers only the password form; afterwards the pages open.
#[tokio::test]
async fn a_forced_password_change_says_so_up_front() {
    let app = spawn_app().await;
    for (username, locale, heading, why, tokens) in [
        ("zhao.temp", "zh-CN", "请先修改密码", "您正在使用管理员发放的临时密码", "API 令牌"),
        ("ann.temp", "en", "Change your password first", "You are signing in with a temporary password", "API tokens"),
    ] {
        let body = json!({ "username": username, "display_name": username, "locale": locale, "roles": ["system_engineer"] });
        let created = app.admin().post("/api/v1/users", &body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let initial = created.json()["initial_password"].as_str().unwrap_or_default().to_string();
        let c = app.session(username, &initial).await;
        for path in ["/", "/incidents", "/requests"] {
            let r = c.get(path).await;
            assert_eq!((r.status, r.header("location")), (303, Some("/profile")), "{path} waits for the password change");
        }
        let profile = c.get("/profile").await;
        assert_eq!(profile.status, 200);
        let html = profile.text();
        assert!(html.contains(&format!("<h1>{heading}</h1>")) && html.contains(why), "{locale}: {html}");
        assert!(html.contains("name=\"new_password\"") && !html.contains(tokens) && !html.contains("name=\"time_zone\""), "{html}");
        let csrf = hidden(&html, "csrf_token");
        let new = "Qz7#vLp2-Xk9wRt";
        let changed = c
            .post_form(
                "/profile/password",
                &[("csrf_token", &csrf), ("current_password", &initial), ("new_password", new), ("confirm_password", new)],
            )
            .await;
        assert_eq!(changed.status, 303, "{}", changed.text());
        let after = app.session(username, new).await;
        assert_eq!(after.get("/").await.status, 200, "the pages open once the password is changed");
        assert!(after.get("/profile").await.text().contains(tokens));
    }
    app.stop().await;
}
