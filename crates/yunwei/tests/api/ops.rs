use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::spawn_app;

#[tokio::test]
async fn health_readiness_metrics_and_unknown_routes() {
    let app = spawn_app().await;
    let c = app.anonymous();
    assert_eq!(c.get("/healthz").await.json()["status"], "ok");
    let ready = c.get("/readyz").await;
    assert_eq!((ready.status, ready.json()["status"].as_str()), (200, Some("ready")));
    let _ = app.admin().get("/api/v1/teams").await;
    let m = c.get("/metrics").await.text();
    assert!(m.contains("yunwei_http_requests_total{method=\"GET\",route=\"/api/v1/teams\",status=\"200\"} 1"), "{m}");
    assert!(m.contains("yunwei_http_request_duration_seconds_bucket{route=\"/api/v1/teams\",le=\"+Inf\"} 1"));
    assert!(m.contains("yunwei_db_pool_connections{pool=\"write\"}"));
    assert_problem(&c.get("/api/v1/nothing-here").await, 404, "not_found");
    assert_problem(&c.send("PATCH", "/api/v1/teams", Some("application/json"), b"{}".to_vec()).await, 405, "method_not_allowed");
    assert_problem(&c.clone().bearer("yw_not-a-token").get("/api/v1/me").await, 401, "unauthenticated");
    let r = c.get("/healthz").await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(r.header("x-request-id").map(str::len), Some(16));
    app.stop().await;
}

/// A documented path with its parameters filled in (the values need not exist).
fn concrete(path: &str) -> String {
    path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/")
}

/// Router and document come from one table (ADR 0015). This walks the running server to
/// prove they agree exactly, both ways: every documented operation is served (its method
/// does not answer 405), every other method on a documented path answers 405, and the
/// number served is the number documented.
#[tokio::test]
async fn router_and_document_agree_exactly() {
    let app = spawn_app().await;
    let doc = app.anonymous().get("/api/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let c = app.anonymous();
    let (mut documented, mut served) = (0, 0);
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let answer = c.send(&method.to_uppercase(), &concrete(path), None, Vec::new()).await;
            let Some(op) = item.get(method) else {
                if answer.status != 405 {
                    wrong.push(format!("{method} {path} is not documented but answers {}", answer.status));
                }
                continue;
            };
            documented += 1;
            if answer.status == 405 {
                wrong.push(format!("{method} {path} is documented but not served"));
            } else {
                served += 1;
            }
            assert!(op["responses"].as_object().unwrap().keys().any(|k| k.starts_with('2')), "{method} {path} has no success response");
            assert!(op["responses"]["400"].is_object(), "{method} {path} lists no errors");
            if let Some(body) = op.get("requestBody").filter(|b| b["content"]["application/json"].is_object()) {
                let example = &body["content"]["application/json"]["example"];
                assert!(example.is_object() || example.is_array(), "{method} {path} has no example");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(documented, yunwei_web::openapi::operations().len(), "the document lists each operation of the table once");
    assert_eq!(served, documented);
    // Every $ref resolves.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {name}");
    }
    app.stop().await;
}

#[tokio::test]
async fn behind_a_proxy_the_proxys_entry_names_the_client() {
    let web = yunwei_web::WebConfig { trust_proxy_headers: true, ..Default::default() };
    let app = yunwei_testkit::spawn_app_with(yunwei_testkit::Options { web: Some(web), ..Default::default() }).await;
    let spoofing = app.admin().header("x-forwarded-for", "6.6.6.6, 10.20.30.40");
    assert_eq!(spoofing.post("/api/v1/teams", &serde_json::json!({ "name": "代理后的组" })).await.status, 201);
    let (_, auditor) = app.user_with_roles("audit.proxy", &["audit_admin"]).await;
    let entries = auditor.get("/api/v1/audit-events?object_type=team").await.json();
    assert_eq!(entries["items"][0]["source_ip"], "10.20.30.40", "{entries}");
    app.stop().await;
}

/// Reads until the server closes the connection (or `limit` passes); returns what
/// arrived and how long the server kept the connection open.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: std::time::Duration) -> (String, std::time::Duration) {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("still open after {limit:?}; received {:?}", String::from_utf8_lossy(&got)),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), started.elapsed())
}

/// A client that sends part of a request and then waits (slowloris) is cut off: the
/// headers within `header_read_timeout_secs` or the connection closes; the body
/// within `body_read_timeout_secs` or a 408 problem. Whole requests still work.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let web = yunwei_web::WebConfig { header_read_timeout_secs: 1, body_read_timeout_secs: 1, ..Default::default() };
    let app = yunwei_testkit::spawn_app_with(yunwei_testkit::Options { web: Some(web), ..Default::default() }).await;
    let limit = std::time::Duration::from_secs(6);

    let mut partial_line = TcpStream::connect(app.addr).await.unwrap();
    partial_line.write_all(b"GET /healthz HT").await.unwrap();
    let (got, open_for) = read_until_closed(&mut partial_line, limit).await;
    assert!(open_for < std::time::Duration::from_secs(3), "closed after {open_for:?}");
    assert!(!got.contains("200 OK"), "{got}");

    let mut partial_headers = TcpStream::connect(app.addr).await.unwrap();
    partial_headers.write_all(b"GET /healthz HTTP/1.1\r\nHost: yunwei\r\nX-Slow: ").await.unwrap();
    let (_, open_for) = read_until_closed(&mut partial_headers, limit).await;
    assert!(open_for < std::time::Duration::from_secs(3), "closed after {open_for:?}");

    let mut partial_body = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/teams HTTP/1.1\r\nHost: yunwei\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": \"sl",
        app.admin_token
    );
    partial_body.write_all(head.as_bytes()).await.unwrap();
    let (got, open_for) = read_until_closed(&mut partial_body, limit).await;
    assert!(open_for < std::time::Duration::from_secs(4), "answered after {open_for:?}");
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("application/problem+json") && got.contains("\"code\":\"body_timeout\""), "{got}");
    // The administrator's own language (zh-CN) wins over Accept-Language.
    assert!(got.contains("\"title\":\"请求正文未在规定时间内送达。\""), "{got}");

    // A client that sends its request promptly is served, twice on one connection.
    let mut prompt = TcpStream::connect(app.addr).await.unwrap();
    prompt
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: yunwei\r\n\r\nGET /healthz HTTP/1.1\r\nHost: yunwei\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (got, _) = read_until_closed(&mut prompt, limit).await;
    assert_eq!(got.matches("HTTP/1.1 200 OK").count(), 2, "{got}");
    assert_eq!(app.admin().get("/api/v1/teams").await.status, 200);
    app.stop().await;
}

/// The document and the server agree where they once did not: paged lists answer a
/// bad cursor with 422, sign-in and the second factor answer 401, the
/// Idempotency-Key bounds are the ones enforced, and a struct body must be an object.
#[tokio::test]
async fn openapi_declares_what_the_server_answers() {
    let app = spawn_app().await;
    let doc = app.anonymous().get("/api/openapi.json").await.json();
    let admin = app.admin();
    let mut paged = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let names: Vec<&str> = get["parameters"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
        if path.contains('{') || !names.contains(&"cursor") {
            continue;
        }
        paged += 1;
        assert!(get["responses"]["422"].is_object(), "GET {path} does not declare 422");
        let r = admin.get(&format!("{path}?cursor=%E2%82%AC%E2%82%AC")).await;
        assert!(get["responses"][r.status.to_string()].is_object(), "GET {path} answered an undeclared {}: {}", r.status, r.text());
        assert!(r.status == 422 || r.status == 403, "GET {path}: {} {}", r.status, r.text());
    }
    assert!(paged >= 8, "{paged} paged lists");

    let login = &doc["paths"]["/api/v1/session"]["post"]["responses"];
    assert!(login["401"].is_object() && login["429"].is_object(), "{login}");
    let r = app.anonymous().post("/api/v1/session", &serde_json::json!({ "username": "admin", "password": "wrong" })).await;
    assert_problem(&r, 401, "bad_credentials");
    assert!(doc["paths"]["/api/v1/session/second-factor"]["post"]["responses"]["401"].is_object());
    let r = app.anonymous().post("/api/v1/session/second-factor", &serde_json::json!({ "code": "123456" })).await;
    assert_eq!(r.status, 401, "{}", r.text());

    let key = doc["paths"]["/api/v1/teams"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .cloned()
        .unwrap();
    assert_eq!((key["schema"]["minLength"].as_u64(), key["schema"]["maxLength"].as_u64()), (Some(1), Some(255)));
    let body = serde_json::json!({ "name": "幂等键边界" });
    let long = admin.clone().header("idempotency-key", &"k".repeat(256)).post("/api/v1/teams", &body).await;
    assert_problem(&long, 400, "invalid_idempotency_key");
    let longest = admin.clone().header("idempotency-key", &"k".repeat(255)).post("/api/v1/teams", &body).await;
    assert_eq!(longest.status, 201, "{}", longest.text());

    for array in ["[null,null]", "[\"en\",\"Asia/Shanghai\"]", "[]"] {
        let r = admin.send("PATCH", "/api/v1/me", Some("application/json"), array.as_bytes().to_vec()).await;
        assert_problem(&r, 422, "invalid_body");
    }
    let r = admin.send("POST", "/api/v1/teams", Some("application/json"), b"[\"array team\", \"d\"]".to_vec()).await;
    assert_problem(&r, 422, "invalid_body");
    let ok = admin.send("PATCH", "/api/v1/me", Some("application/json"), b"{\"locale\": \"en\"}".to_vec()).await;
    assert_eq!((ok.status, ok.json()["locale"].as_str()), (200, Some("en")), "{}", ok.text());
    app.stop().await;
}
