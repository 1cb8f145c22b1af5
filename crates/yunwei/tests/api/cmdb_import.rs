//! CI import from spreadsheets (CMDB-5): CSV (UTF-8 and GBK) and XLSX, headings matched in
//! either language, a dry run that writes nothing, upsert by identifying attributes, per-row
//! errors in the reader's language, all-or-nothing, history source `import`, and who is stopped.

use serde_json::{Value, json};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Client, spawn_app};

async fn import(c: &Client, query: &str, body: Vec<u8>) -> Value {
    let r = c.send("POST", &format!("/api/v1/cmdb/imports?{query}"), Some("text/csv"), body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn outcomes(report: &Value) -> Vec<(i64, String)> {
    let mut rows: Vec<(i64, String)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["outcome"].as_str().unwrap().to_string()))
        .collect();
    rows.sort();
    rows
}

async fn cis_named(c: &Client, q: &str) -> Vec<Value> {
    let all = c.get("/api/v1/cmdb/cis?class=server").await.json();
    all["items"].as_array().unwrap().iter().filter(|ci| ci["name"].as_str().unwrap_or("").contains(q)).cloned().collect()
}

#[tokio::test]
async fn csv_import_previews_upserts_and_reports_rows() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("imp.director", &["ops_director"]).await;
    let director = director.header("accept-language", "zh-CN");
    // Headings in Chinese (attribute names) and English (fixed fields), a label for status.
    let csv = "名称,主机名,管理 IP,CPU 核数,Status\r\n\
               账务主机 01,acct-01,10.0.0.1,64,运行中\r\n\
               账务主机 02,acct-02,10.0.0.300,32,production\r\n\
               账务主机 03,acct-03,10.0.0.3,16,flying\r\n\
               ,acct-04,10.0.0.4,8,planned\r\n";
    let preview = import(&director, "class=server&dry_run=true", csv.as_bytes().to_vec()).await;
    assert_eq!(
        (preview["total"].as_i64(), preview["created"].as_i64(), preview["failed"].as_i64()),
        (Some(4), Some(1), Some(3)),
        "{preview}"
    );
    assert_eq!(preview["committed"], false);
    let fields: Vec<&str> = preview["columns"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap_or("-")).collect();
    assert_eq!(fields, ["name", "hostname", "management_ip", "cpu_cores", "status"]);
    let bad = preview["rows"].as_array().unwrap();
    assert_eq!(bad[0]["line"], 3, "errors first, by line: {preview}");
    assert_eq!(bad[0]["errors"][0]["field"], "attributes.management_ip");
    assert_eq!(bad[0]["errors"][0]["message"], "请填写 IPv4 或 IPv6 地址。");
    assert_eq!(bad[1]["errors"][0]["code"], "not_allowed_value");
    assert_eq!(bad[2]["errors"][0]["field"], "name");
    assert!(cis_named(&director, "账务主机").await.is_empty(), "a dry run writes nothing");

    // Per row: the valid row is written, the bad rows are reported.
    let done = import(&director, "class=server", csv.as_bytes().to_vec()).await;
    assert_eq!((done["created"].as_i64(), done["failed"].as_i64(), done["committed"].as_bool()), (Some(1), Some(3), Some(true)));
    let cis = cis_named(&director, "账务主机").await;
    assert_eq!(cis.len(), 1);
    assert_eq!(cis[0]["attributes"], json!({ "hostname": "acct-01", "management_ip": "10.0.0.1", "cpu_cores": 64 }));
    let id = cis[0]["id"].as_i64().unwrap();
    let history = director.get(&format!("/api/v1/cmdb/cis/{id}/history")).await.json();
    assert_eq!(history["items"][0]["source"], "import", "{history}");

    // Again, with one change: matched by host name → update; the same row again → unchanged.
    let again = "名称,主机名,CPU 核数\r\n账务主机 01,acct-01,128\r\n账务主机 05,acct-05,4\r\n";
    let r = import(&director, "class=server", again.as_bytes().to_vec()).await;
    assert_eq!(outcomes(&r), [(2, "update".to_string()), (3, "create".to_string())], "{r}");
    assert!(r["rows"].as_array().unwrap().iter().all(|row| row["ci_id"].as_i64().is_some()), "{r}");
    let r = import(&director, "class=server", again.as_bytes().to_vec()).await;
    assert_eq!(outcomes(&r), [(2, "unchanged".to_string()), (3, "unchanged".to_string())], "{r}");
    let history = director.get(&format!("/api/v1/cmdb/cis/{id}/history")).await.json();
    assert_eq!(history["items"].as_array().unwrap().len(), 2, "create + one update, no entry for unchanged: {history}");

    // All or nothing: one bad row, nothing written.
    let mixed = "Name,hostname\r\nokay-06,acct-06\r\nbad,bad host!\r\n";
    let r = import(&director, "class=server&mode=all_or_nothing", mixed.as_bytes().to_vec()).await;
    assert_eq!((r["committed"].as_bool(), r["failed"].as_i64()), (Some(false), Some(1)), "{r}");
    assert!(cis_named(&director, "okay-06").await.is_empty());

    // An explicit mapping; an unknown field in it is refused as a whole.
    let odd = "Server,Host\r\n网银前置机,web-01\r\n";
    let r =
        import(&director, "class=server&mapping=%7B%22Server%22%3A%22name%22%2C%22Host%22%3A%22hostname%22%7D", odd.as_bytes().to_vec())
            .await;
    assert_eq!(r["created"], 1, "{r}");
    let r = director
        .send(
            "POST",
            "/api/v1/cmdb/imports?class=server&mapping=%7B%22Host%22%3A%22nonsense%22%7D",
            Some("text/csv"),
            odd.as_bytes().to_vec(),
        )
        .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.json()["errors"][0]["field"], "mapping.Host");
    let r = director.send("POST", "/api/v1/cmdb/imports?class=server", Some("text/csv"), b"PK\x03\x04junk".to_vec()).await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.json()["errors"][0]["code"], "sheet_unreadable");
    app.stop().await;
}

#[tokio::test]
async fn xlsx_and_gbk_files_import_and_others_are_stopped() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("imp.director", &["ops_director"]).await;
    // An XLSX written by the export path reads back through calamine.
    let mut sheet = yunwei_core::sheet::Sheet::new(
        "servers",
        vec![yunwei_core::sheet::Column::text("名称"), yunwei_core::sheet::Column::text("主机名")],
    );
    sheet.rows.push(vec!["存储主机".into(), "store-01".into()]);
    let r = import(&director, "class=server", sheet.to_xlsx().unwrap()).await;
    assert_eq!(r["created"], 1, "{r}");
    // GBK CSV from Chinese Excel.
    let gbk: Vec<u8> = [&[0xC3, 0xFB, 0xB3, 0xC6][..], b",hostname\r\n", &[0xCD, 0xF8, 0xD2, 0xF8][..], b",bank-01\r\n"].concat();
    let r = import(&director, "class=server", gbk).await;
    assert_eq!(r["created"], 1, "{r}");
    let all = director.get("/api/v1/cmdb/cis?class=server").await.json();
    let bank = all["items"].as_array().unwrap().iter().find(|c| c["name"] == "网银").unwrap_or_else(|| panic!("{all}")).clone();
    assert_eq!(bank["attributes"]["hostname"], "bank-01");

    // No role: stopped before the file is read. An auditor reads CIs but may not write them.
    let (_, nobody) = app.user_with_roles("imp.nobody", &[]).await;
    let r = nobody.send("POST", "/api/v1/cmdb/imports?class=server", Some("text/csv"), b"name,hostname\r\nx,x-01\r\n".to_vec()).await;
    assert_problem(&r, 403, "forbidden");
    let (_, auditor) = app.user_with_roles("imp.auditor", &["auditor"]).await;
    let r = auditor.send("POST", "/api/v1/cmdb/imports?class=server", Some("text/csv"), b"name,hostname\r\nx,x-01\r\n".to_vec()).await;
    assert_problem(&r, 403, "forbidden");
    // A class restricted to another team does not exist for the importer.
    let (_, sys) = app.user_with_roles("imp.sys", &["system_admin"]).await;
    let team = app.admin().post("/api/v1/teams", &json!({ "name": "安全组", "members": [] })).await.json()["id"].as_i64().unwrap();
    let secdev =
        sys.get("/api/v1/cmdb/classes").await.json()["items"].as_array().unwrap().iter().find(|k| k["code"] == "security_device").unwrap()
            ["id"]
            .clone();
    assert_eq!(sys.patch(&format!("/api/v1/cmdb/classes/{secdev}"), &json!({ "restricted_team_id": team })).await.status, 200);
    let r = director
        .send("POST", "/api/v1/cmdb/imports?class=security_device", Some("text/csv"), b"name,device_type\r\nfw,firewall\r\n".to_vec())
        .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.json()["errors"][0]["field"], "class");
    app.stop().await;
}

/// The multipart form a browser sends: token, class, mode, preview box and the file.
fn import_form(csrf: &str, class: &str, dry_run: bool, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----yunwei-import-boundary";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes())
    };
    field("csrf_token", csrf);
    field("class", class);
    field("mode", "per_row");
    if dry_run {
        field("dry_run", "true");
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"servers.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .into_bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_import_page_previews_then_imports_in_the_readers_language() {
    let app = spawn_app().await;
    app.user_with_roles("imp.page", &["ops_director"]).await;
    let (c, csrf) = crate::record_pages::page_session(&app, "imp.page", "zh-CN").await;
    let list = c.get("/cmdb").await.text();
    assert!(list.contains("href=\"/cmdb/import\""), "offered on the list");
    let page = c.get("/cmdb/import").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("导入配置项") && page.text().contains("只预览"), "{}", page.text());
    let csv = "名称,主机名,管理 IP\r\n页面主机,page-01,10.1.1.1\r\n坏行,page-02,10.1.1.999\r\n".as_bytes();
    let (ct, body) = import_form(&csrf, "server", true, csv);
    let r = c.send("POST", "/cmdb/import", Some(&ct), body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let html = r.text();
    assert!(html.contains("预览：共 2 行，将新建 1 个"), "{html}");
    assert!(html.contains("管理 IP：请填写 IPv4 或 IPv6 地址。"), "the problem by the attribute's name: {html}");
    assert!(!html.contains("attributes.management_ip"), "no codes on a Chinese page");
    let (ct, body) = import_form(&csrf, "server", false, csv);
    let html = c.send("POST", "/cmdb/import", Some(&ct), body).await.text();
    assert!(html.contains("已导入：共 2 行，新建 1 个"), "{html}");
    // A forged token writes nothing; a roleless user is not offered the page.
    let (ct, body) = import_form("forged", "server", false, csv);
    assert_eq!(c.send("POST", "/cmdb/import", Some(&ct), body).await.status, 403);
    app.user_with_roles("imp.none", &[]).await;
    let (none, _) = crate::record_pages::page_session(&app, "imp.none", "en").await;
    assert_eq!(none.get("/cmdb/import").await.status, 403);
    app.stop().await;
}
