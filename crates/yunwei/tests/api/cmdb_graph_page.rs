//! The impact graph drawn on a CI's page: the CIs around it by name and link, coloured by
//! their state if it fails, relation types on the edges, pools marked, names escaped, and
//! CIs the reader may not see counted, never named — in Chinese and in English.

use serde_json::json;
use yunwei_testkit::cmdb::{ci, class_id, relate};
use yunwei_testkit::{ADMIN_PASSWORD, Client, TestApp, spawn_app};

/// The SVG on a page, or a panic showing the page.
fn svg_of(html: &str) -> &str {
    let start = html.find("<svg class=\"cmdb-graph\"").unwrap_or_else(|| panic!("no graph in {html}"));
    let end = html[start..].find("</svg>").expect("closed svg") + start;
    &html[start..end]
}

/// A node's `<a>` element in the SVG, by CI id.
fn node(svg: &str, id: i64) -> &str {
    let start = svg.find(&format!("<a href=\"/cmdb/cis/{id}\"")).unwrap_or_else(|| panic!("no node {id} in {svg}"));
    let end = svg[start..].find("</a>").unwrap() + start;
    &svg[start..end]
}

struct Shop {
    service: i64,
    app: i64,
    pool: i64,
    vm_a: i64,
    vm_b: i64,
}

/// 网上银行 runs on an application (named like a script) on a pool of two VMs; VM a is
/// hosted on a server of a class restricted to a team the reader is not in.
async fn shop(app: &TestApp, director: &Client) -> Shop {
    let admin = app.admin();
    let service =
        ci(director, json!({ "class_id": class_id(&admin, "business_service").await, "name": "网上银行", "name_en": "Online banking" }))
            .await;
    let application =
        ci(director, json!({ "class_id": class_id(&admin, "application").await, "name": "<script>alert('x')</script>" })).await;
    let cluster = class_id(&admin, "cluster").await;
    let pool = ci(director, json!({ "class_id": cluster, "name": "网银 Web 池", "name_en": "Web pool", "min_healthy": 1 })).await;
    let vm = class_id(&admin, "virtual_machine").await;
    let vm_a = ci(director, json!({ "class_id": vm, "name": "web-vm-a", "attributes": { "hostname": "web-vm-a" } })).await;
    let vm_b = ci(director, json!({ "class_id": vm, "name": "web-vm-b", "attributes": { "hostname": "web-vm-b" } })).await;
    relate(director, "runs_on", service, application).await;
    relate(director, "runs_on", application, pool).await;
    relate(director, "member_of", vm_a, pool).await;
    relate(director, "member_of", vm_b, pool).await;
    Shop { service, app: application, pool, vm_a, vm_b }
}

#[tokio::test]
async fn the_ci_page_draws_its_impact_graph_escaped_and_without_hidden_names() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("graph.director", &["ops_director"]).await;
    let s = shop(&app, &director).await;
    // A server restricted to another team, under VM a.
    let admin = app.admin();
    let r = admin.post("/api/v1/teams", &json!({ "name": "机房组" })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let room = r.json()["id"].as_i64().unwrap();
    let server = class_id(&admin, "server").await;
    let srv = ci(&director, json!({ "class_id": server, "name": "机密主机-01", "attributes": { "hostname": "secret-01" } })).await;
    relate(&director, "hosted_on", s.vm_a, srv).await;
    let (_, sys) = app.user_with_roles("graph.sys", &["system_admin"]).await;
    assert_eq!(sys.patch(&format!("/api/v1/cmdb/classes/{server}"), &json!({ "restricted_team_id": room })).await.status, 200);

    let c = app.session("graph.director", ADMIN_PASSWORD).await;
    let page = c.get(&format!("/cmdb/cis/{}", s.vm_a)).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("影响关系图"), "{html}");
    let svg = svg_of(&html);
    // The failed VM is down; the pool and everything above it only degraded (VM b holds it).
    assert!(node(svg, s.vm_a).contains("state-down") && node(svg, s.vm_a).contains("web-vm-a"), "{svg}");
    assert!(node(svg, s.pool).contains("state-degraded") && node(svg, s.pool).contains("网银 Web 池"), "{svg}");
    assert!(node(svg, s.service).contains("state-degraded") && node(svg, s.service).contains("网上银行"), "{svg}");
    assert!(node(svg, s.app).contains("&lt;script&gt;"), "{svg}");
    assert!(!html.contains("<script>alert"), "the name is escaped");
    assert!(svg.contains("属于集群/资源池") && svg.contains("运行于"), "relation types on the edges: {svg}");
    assert!(svg.contains("stroke-dasharray"), "pool membership dashed: {svg}");
    assert!(!svg.contains(&format!("/cmdb/cis/{}\"", s.vm_b)), "VM b is neither affected nor needed by VM a");
    // The restricted server is counted, not named, not linked.
    assert!(!html.contains("机密主机") && !html.contains(&format!("/cmdb/cis/{srv}\"")), "{svg}");
    assert!(html.contains("另有 1 个您无权查看的配置项未显示"), "{html}");
    // The pool's own page: its members below it, needed.
    let svg_pool = c.get(&format!("/cmdb/cis/{}", s.pool)).await.text();
    let g = svg_of(&svg_pool);
    assert!(node(g, s.vm_b).contains("state-ok") && node(g, s.vm_a).contains("state-ok"), "{g}");
    assert!(node(g, s.pool).contains("stroke-width=\"3\""), "the centre stands out");

    // In English: English names and labels.
    assert_eq!(c.patch("/api/v1/me", &json!({ "locale": "en" })).await.status, 200);
    let html = c.get(&format!("/cmdb/cis/{}", s.vm_a)).await.text();
    let svg = svg_of(&html);
    assert!(html.contains("Impact graph") && svg.contains("Online banking") && svg.contains("member of"), "{svg}");
    assert!(html.contains("1 CIs you may not see are not shown."), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn many_neighbours_are_capped_with_a_count() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("graph.many", &["ops_director"]).await;
    let admin = app.admin();
    let cluster = class_id(&admin, "cluster").await;
    let vm = class_id(&admin, "virtual_machine").await;
    let pool = ci(&director, json!({ "class_id": cluster, "name": "大池" })).await;
    for i in 0..9 {
        let m = ci(&director, json!({ "class_id": vm, "name": format!("m-{i}"), "attributes": { "hostname": format!("m-{i}") } })).await;
        relate(&director, "member_of", m, pool).await;
    }
    let c = app.session("graph.many", ADMIN_PASSWORD).await;
    let html = c.get(&format!("/cmdb/cis/{pool}")).await.text();
    let svg = svg_of(&html);
    assert_eq!(svg.matches("<a href=").count(), 7, "the pool and six members: {svg}");
    assert!(svg.contains("另有 3 个"), "{svg}");
    app.stop().await;
}
