//! Every documented operation walked as an anonymous caller and as a signed-in user without
//! roles. The first gets 401 from every operation not marked public. The second does nothing
//! anywhere but on their own account: every operation answers 403 `forbidden` — a record too,
//! although none of the walk's ids exists, because a caller without any right on the type is
//! refused before the lookup (ids reveal nothing; ADR 0014). A new route that forgets its
//! check fails here (the OpenAPI test keeps routes and document equal). The matrix of roles ×
//! records is `authz_matrix.rs`.

use serde_json::Value;
use yunwei_testkit::spawn_app;

/// Operations anyone signed in may use on their own account or data.
const SELF_SERVICE: &[&str] = &[
    "get /api/v1/me",
    "patch /api/v1/me",
    "post /api/v1/me/password",
    "get /api/v1/me/tokens",
    "post /api/v1/me/tokens",
    "post /api/v1/me/totp",
    "delete /api/v1/me/totp",
    "post /api/v1/me/totp/confirm",
    "get /api/v1/me/notification-preferences",
    "put /api/v1/me/notification-preferences",
    "get /api/v1/notifications",
    "get /api/v1/notifications/unread-count",
    "post /api/v1/notifications/read-all",
    "post /api/v1/notifications/{id}/read",
    "delete /api/v1/session",
    "get /api/v1/users/{id}",
    // The walk's {id} for users is the caller's own.
    "get /api/v1/users/{id}/tokens",
    "post /api/v1/users/{id}/tokens",
    "delete /api/v1/users/{id}/totp",
    // Own saved views, and the catalogue of permission names (no data).
    "get /api/v1/saved-views",
    "delete /api/v1/saved-views/{id}",
    "get /api/v1/permissions",
];

/// Query parameters an operation cannot do without (the walk fills them in).
const REQUIRED_QUERY: &[(&str, &str)] =
    &[("format", "csv"), ("kind", "incident"), ("q", "x"), ("topic", "incident:1"), ("object_type", "incident"), ("filename", "a.txt")];

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{event}" => "incident.created",
            "{locale}" => "en",
            "{format}" => "csv",
            // Names the edge knows, so that the walk reaches core's check.
            "{transition}" => "start",
            "{action}" => "cancel",
            "{other}" => "2",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_refuses_the_anonymous_and_the_roleless() {
    let app = spawn_app().await;
    let doc = app.anonymous().get("/api/openapi.json").await.json();
    let (uid, _) = app.user_with_roles("no.roles", &[]).await;
    let nobody = app.session("no.roles", yunwei_testkit::ADMIN_PASSWORD).await;
    let mut wrong = Vec::new();
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"] == serde_json::json!([]) {
                continue;
            }
            let mut url = concrete(path).replace("/users/1", &format!("/users/{uid}"));
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let query: Vec<String> = REQUIRED_QUERY.iter().filter(|(n, _)| declared.contains(n)).map(|(n, v)| format!("{n}={v}")).collect();
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            let json = &op["requestBody"]["content"]["application/json"]["example"];
            // A JSON operation gets its documented example; a file upload gets a one-byte file.
            let (body, ct) = match (op.get("requestBody"), json.is_null()) {
                (None, _) => (Vec::new(), None),
                (Some(_), false) => (json.to_string().into_bytes(), Some("application/json")),
                (Some(_), true) => (b"x".to_vec(), Some("application/octet-stream")),
            };
            let anonymous = app.anonymous().send(&method.to_uppercase(), &url, ct, body.clone()).await;
            if anonymous.status != 401 {
                wrong.push(format!(
                    "anonymous {method} {path}: {} {}",
                    anonymous.status,
                    anonymous.text().chars().take(120).collect::<String>()
                ));
            }
            let key = format!("{method} {path}");
            if key == "delete /api/v1/session" {
                // Signing out would end the walk's own session; it is self-service, tested in auth.rs.
                walked += 1;
                continue;
            }
            let answer = nobody.send(&method.to_uppercase(), &url, ct, body).await;
            let code = answer.json().get("code").and_then(Value::as_str).unwrap_or_default().to_string();
            let refused = answer.status == 403 && code == "forbidden";
            let own = SELF_SERVICE.contains(&key.as_str());
            if own && answer.status == 403 || !own && !refused {
                wrong.push(format!("no roles {key}: {} {code}", answer.status));
            }
            walked += 1;
        }
    }
    assert!(walked >= 130, "{walked} operations walked");
    assert!(wrong.is_empty(), "{} operations answer differently:\n{}", wrong.len(), wrong.join("\n"));
    app.stop().await;
}
