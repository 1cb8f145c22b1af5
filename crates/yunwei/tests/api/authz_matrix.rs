//! The authorisation matrix (issue 10, ADR 0014): every operation on one incident, service
//! request, improvement item or survey × every built-in role × a record that is the caller's own, their
//! team's, another team's in their department, or another department's. The expected answer
//! of each cell is computed from the DECLARED policy (`yunwei_domain::policy`) and the role's
//! permissions as the server holds them, with the record's holders read from its view — not
//! restated from the code. Each cell asserts the status and the problem body's code and
//! permission. An operation on such a record that is in neither table below fails the test.

use serde_json::{Value, json};
use yunwei_domain::ids::{DepartmentId, TeamId, UserId};
use yunwei_domain::permission::Action::{self, Approve, Assign, Read, Transition, Update};
use yunwei_domain::permission::{ActorPlace, PermissionSet};
use yunwei_domain::policy::{self, Decision, Holders, Policy};
use yunwei_testkit::{Client, TestApp, spawn_app};

/// One operation: `gate` is checked on the type before the lookup, then `checks` in order on
/// the record; allowed, it answers `ok` (and, for an error status, that problem code).
struct Op {
    method: &'static str,
    /// The documented path, `{id}` for the record.
    doc: &'static str,
    /// The path after the record's own.
    tail: &'static str,
    body: fn(&Ctx) -> Option<Value>,
    gate: Action,
    checks: &'static [Action],
    ok: u16,
    ok_code: Option<&'static str>,
}

/// What an operation's body may refer to.
struct Ctx {
    director: i64,
    far_team: i64,
}

fn none(_: &Ctx) -> Option<Value> {
    None
}

impl Op {
    /// Without a body, answering 200 when allowed.
    const fn new(method: &'static str, doc: &'static str, tail: &'static str, gate: Action, checks: &'static [Action]) -> Op {
        Op { method, doc, tail, body: none, gate, checks, ok: 200, ok_code: None }
    }
    /// A read: the gate and the one check are `read`.
    const fn read(doc: &'static str, tail: &'static str) -> Op {
        Op::new("GET", doc, tail, Read, &[Read])
    }
    const fn body(self, body: fn(&Ctx) -> Option<Value>) -> Op {
        Op { body, ..self }
    }
    /// Allowed, it answers this status (and, for an error status, this problem code).
    const fn answers(self, ok: u16, ok_code: Option<&'static str>) -> Op {
        Op { ok, ok_code, ..self }
    }
}

const INCIDENT_OPS: &[Op] = &[
    Op::read("/api/v1/incidents/{number}", ""),
    Op::read("/api/v1/incidents/{number}/attachments", "/attachments"),
    Op::read("/api/v1/incidents/{number}/attachments/{file}", "/attachments/999999").answers(404, Some("not_found")),
    Op::read("/api/v1/incidents/{number}/major/war-room", "/major/war-room").answers(409, Some("incident_not_major")),
    Op::read("/api/v1/incidents/{number}/emergency-report", "/emergency-report").answers(409, Some("incident_not_major")),
    Op::new("PATCH", "/api/v1/incidents/{number}", "", Update, &[Update]).body(|_| Some(json!({ "description": "矩阵测试" }))),
    // A work note (not public): the requester's public-reply exception does not apply.
    Op::new("POST", "/api/v1/incidents/{number}/comments", "/comments", Read, &[Read, Update])
        .body(|_| Some(json!({ "body": "矩阵测试", "public": false })))
        .answers(201, None),
    Op::read("/api/v1/incidents/{number}/watchers", "/watchers"),
    // Empty for callers who may not read problems: the incident's read right decides.
    Op::read("/api/v1/incidents/{number}/known-errors", "/known-errors"),
    // Watching oneself needs reading; making someone else watch needs assigning as well
    // (the kernel loads the record for reading first, so a stranger hears of the read right).
    Op::new("POST", "/api/v1/incidents/{number}/watchers", "/watchers", Read, &[Read]),
    Op::new("DELETE", "/api/v1/incidents/{number}/watchers", "/watchers", Read, &[Read]),
    Op::new("POST", "/api/v1/incidents/{number}/watchers", "/watchers", Read, &[Read, Assign])
        .body(|c| Some(json!({ "user_id": c.director }))),
    Op::new("POST", "/api/v1/incidents/{number}/escalations", "/escalations", Assign, &[Assign])
        .body(|_| Some(json!({ "kind": "hierarchical", "reason": "矩阵测试" }))),
    // An incident opened by hand has no escalation: allowed, the answer is 404.
    Op::read("/api/v1/incidents/{number}/escalation", "/escalation").answers(404, Some("not_found")),
    Op::new("POST", "/api/v1/incidents/{number}/acknowledge", "/acknowledge", Transition, &[Transition]).answers(404, Some("not_found")),
    Op::new("POST", "/api/v1/incidents/{number}/transitions/{transition}", "/transitions/start", Transition, &[Transition]),
    Op::new("POST", "/api/v1/incidents/{number}/major", "/major", Assign, &[Assign])
        .body(|c| Some(json!({ "commander_id": c.director, "reason": "矩阵测试" }))),
    // Last: it moves the record (to the other team, where the "far" records already are).
    Op::new("POST", "/api/v1/incidents/{number}/assignment", "/assignment", Assign, &[Assign])
        .body(|c| Some(json!({ "team_id": c.far_team }))),
];

const REQUEST_OPS: &[Op] = &[
    Op::read("/api/v1/service-requests/{number}", ""),
    Op::read("/api/v1/service-requests/{number}/attachments", "/attachments"),
    // Adding a file is like a public reply: whoever may read the request may.
    Op::new("POST", "/api/v1/service-requests/{number}/attachments", "/attachments?filename=matrix.txt", Read, &[Read])
        .body(|_| Some(json!({ "note": "矩阵测试" })))
        .answers(201, None),
    Op::read("/api/v1/service-requests/{number}/attachments/{file}", "/attachments/999999").answers(404, Some("not_found")),
    // The kernel's watchers, as for incidents.
    Op::read("/api/v1/service-requests/{number}/watchers", "/watchers"),
    Op::new("POST", "/api/v1/service-requests/{number}/watchers", "/watchers", Read, &[Read]),
    Op::new("DELETE", "/api/v1/service-requests/{number}/watchers", "/watchers", Read, &[Read]),
    Op::new("POST", "/api/v1/service-requests/{number}/watchers", "/watchers", Read, &[Read, Assign])
        .body(|c| Some(json!({ "user_id": c.director }))),
    // A work note is the desk's: update rights on the request.
    Op::new("POST", "/api/v1/service-requests/{number}/comments", "/comments", Read, &[Update])
        .body(|_| Some(json!({ "body": "矩阵测试", "public": false })))
        .answers(201, None),
];

const IMPROVEMENT_OPS: &[Op] = &[
    Op::read("/api/v1/improvements/{id}", ""),
    Op::new("PATCH", "/api/v1/improvements/{id}", "", Update, &[Update]).body(|_| Some(json!({ "measures": "矩阵测试" }))),
];

const SURVEY_OPS: &[Op] = &[Op::read("/api/v1/surveys/{id}", "")];

/// A draft change request (issue 13). Submitting is last: it moves the draft on.
const CHANGE_OPS: &[Op] = &[
    Op::read("/api/v1/changes/{number}", ""),
    Op::read("/api/v1/changes/{number}/impact", "/impact"),
    Op::read("/api/v1/changes/{number}/schedule", "/schedule"),
    Op::read("/api/v1/changes/{number}/attachments", "/attachments"),
    Op::new("POST", "/api/v1/changes/{number}/attachments", "/attachments?filename=matrix.txt", Read, &[Read])
        .body(|_| Some(json!({ "note": "矩阵测试" })))
        .answers(201, None),
    Op::read("/api/v1/changes/{number}/attachments/{file}", "/attachments/999999").answers(404, Some("not_found")),
    Op::read("/api/v1/changes/{number}/watchers", "/watchers"),
    Op::new("POST", "/api/v1/changes/{number}/watchers", "/watchers", Read, &[Read]),
    Op::new("DELETE", "/api/v1/changes/{number}/watchers", "/watchers", Read, &[Read]),
    Op::new("POST", "/api/v1/changes/{number}/watchers", "/watchers", Read, &[Read, Assign])
        .body(|c| Some(json!({ "user_id": c.director }))),
    Op::new("POST", "/api/v1/changes/{number}/comments", "/comments", Read, &[Read, Update])
        .body(|_| Some(json!({ "body": "矩阵测试", "public": false })))
        .answers(201, None),
    Op::new("PATCH", "/api/v1/changes/{number}", "", Update, &[Update]).body(|_| Some(json!({ "test_plan": "矩阵测试" }))),
    // A draft is not voted on, and steps are marked only while implementing.
    Op::new("POST", "/api/v1/changes/{number}/approvals", "/approvals", Approve, &[Approve])
        .body(|_| Some(json!({ "vote": "approve" })))
        .answers(409, Some("illegal_transition")),
    Op::new("POST", "/api/v1/changes/{number}/steps/{step}", "/steps/1", Transition, &[Transition])
        .body(|_| Some(json!({ "status": "done" })))
        .answers(409, Some("change_not_implementing")),
    Op::new("POST", "/api/v1/changes/{number}/transitions/{transition}", "/transitions/submit", Update, &[Update]),
];

/// Operations on such records whose rules add something to the policy, each tested where
/// the rule lives (the reason says where).
const OWN_RULES: &[(&str, &str)] = &[
    ("post /api/v1/incidents/{number}/attachments", "the requester adds files with read rights (incident.rs)"),
    ("put /api/v1/incidents/{number}/related/{other}", "two records: `relating_needs_update_rights_on_both`"),
    ("delete /api/v1/incidents/{number}/related/{other}", "two records: `relating_needs_update_rights_on_both`"),
    ("post /api/v1/incidents/{number}/major/phase", "the commander leads (major.rs)"),
    ("post /api/v1/incidents/{number}/major/war-room", "the commander and the team write (major.rs)"),
    ("post /api/v1/incidents/{number}/major/stakeholder-updates", "the commander leads (major.rs)"),
    ("put /api/v1/incidents/{number}/major/interval", "the commander leads (major.rs)"),
    ("post /api/v1/service-requests/{number}/approvals", "only the approvers of the waiting step (request.rs)"),
    (
        "post /api/v1/service-requests/{number}/approvers",
        "the desk names a waiting step's approver, never for its own request (approvers.rs)",
    ),
    ("post /api/v1/service-requests/{number}/tasks/{task}", "the task's assignee and team (request.rs)"),
    ("post /api/v1/service-requests/{number}/transitions/{action}", "the requester acts on their own request (request.rs)"),
    ("post /api/v1/changes/{number}/incidents", "assign on the change and read on the incident (change.rs)"),
];

/// Where the record sits relative to the caller.
#[derive(Debug, Clone, Copy)]
enum Placement {
    Own,
    Team,
    OtherTeam,
    OtherDepartment,
}

const PLACEMENTS: [Placement; 4] = [Placement::Own, Placement::Team, Placement::OtherTeam, Placement::OtherDepartment];

struct World {
    director: (i64, Client),
    home_team: i64,
    far_team: i64,
    home_department: i64,
    /// Someone in the caller's department, outside their team; someone in another department.
    near: i64,
    far: i64,
}

impl World {
    /// (requester or owner, team) of a record placed so for `me`.
    fn place(&self, me: i64, p: Placement) -> (i64, i64) {
        match p {
            Placement::Own => (me, self.far_team),
            Placement::Team => (self.far, self.home_team),
            Placement::OtherTeam => (self.near, self.far_team),
            Placement::OtherDepartment => (self.far, self.far_team),
        }
    }
}

async fn created(r: yunwei_testkit::TestResponse) -> Value {
    assert!(r.status == 201 || r.status == 200, "create: {} {}", r.status, r.text());
    r.json()
}

async fn department(app: &TestApp, name: &str) -> i64 {
    created(app.admin().post("/api/v1/departments", &json!({ "name": name })).await).await["id"].as_i64().expect("department id")
}

async fn person(app: &TestApp, name: &str, roles: &[&str], department: i64) -> (i64, Client) {
    // The department first: an account that holds an administrator's duty is its own to edit.
    let (id, client) = app.user_with_roles(name, &[]).await;
    let r = app.admin().patch(&format!("/api/v1/users/{id}"), &json!({ "department_id": department })).await;
    assert_eq!(r.status, 200, "{}", r.text());
    if !roles.is_empty() {
        let keys: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        yunwei_core::admin::set_user_roles(&app.core, &yunwei_core::Ctx::system(), UserId(id), &keys).await.expect("roles");
    }
    (id, client)
}

async fn team(app: &TestApp, name: &str, members: &[i64], manager: Option<i64>) -> i64 {
    let body = json!({ "name": name, "members": members, "manager_id": manager });
    created(app.admin().post("/api/v1/teams", &body).await).await["id"].as_i64().expect("team id")
}

/// The record's holders, read from its view through the policy's declared owner fields.
fn holders(policy: &Policy, view: &Value) -> Holders {
    let id = |v: &Value| v.as_i64();
    let owners =
        policy.owned_by.iter().filter_map(|f| view.get(format!("{f}_id")).or_else(|| view.get(*f)).and_then(id)).map(UserId).collect();
    let readers = view["approvals"].as_array().into_iter().flatten().filter_map(|a| id(&a["approver_id"])).map(UserId).collect();
    let workers = view["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (id(&t["assignee_id"]).map(UserId), id(&t["team_id"]).map(TeamId)))
        .collect();
    Holders { owners, team: id(&view["team_id"]).map(TeamId), department: id(&view["department_id"]).map(DepartmentId), readers, workers }
}

/// The permission a refusal names (`object:action`), or `None` when the operation is allowed.
fn expected(policy: &Policy, grants: &PermissionSet, me: &ActorPlace, op: &Op, h: &Holders) -> Option<String> {
    if policy.grant(grants, op.gate).is_none() {
        return Some(format!("{}:{}", policy.object, op.gate));
    }
    op.checks.iter().find(|a| policy.decide(grants, me, **a, h) != Decision::Allow).map(|a| format!("{}:{a}", policy.object))
}

#[derive(Default)]
struct Tally {
    cells: usize,
    allowed: usize,
    wrong: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn walk(
    tally: &mut Tally,
    who: (&str, &Client, &PermissionSet, &ActorPlace),
    placement: Placement,
    policy: &Policy,
    ops: &[Op],
    base: &str,
    view: &Value,
    ctx: &Ctx,
) {
    let (role, client, grants, me) = who;
    let h = holders(policy, view);
    for op in ops {
        let want = expected(policy, grants, me, op, &h);
        let body = (op.body)(ctx).map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let ct = (!body.is_empty()).then_some("application/json");
        let r = client.send(op.method, &format!("{base}{}", op.tail), ct, body).await;
        let code = r.json().get("code").and_then(Value::as_str).unwrap_or_default().to_string();
        let permission = r.json().get("permission").and_then(Value::as_str).unwrap_or_default().to_string();
        let right = match &want {
            None => r.status == op.ok && op.ok_code.is_none_or(|c| c == code),
            Some(p) => r.status == 403 && code == "forbidden" && (permission == *p || permission.starts_with(&format!("{p}:"))),
        };
        tally.cells += 1;
        tally.allowed += usize::from(want.is_none());
        if !right {
            tally.wrong.push(format!(
                "{role} × {placement:?} {} {}{}: expected {}, got {} {code} {permission}",
                op.method,
                policy.object,
                op.tail,
                want.map_or(format!("{} {}", op.ok, op.ok_code.unwrap_or("")), |p| format!("403 forbidden {p}")),
                r.status
            ));
        }
    }
}

async fn world(app: &TestApp) -> World {
    let home_department = department(app, "矩阵本部门").await;
    let other_department = department(app, "矩阵外部门").await;
    let director = person(app, "matrix.director", &["ops_director"], other_department).await;
    let (near, _) = person(app, "matrix.near", &[], home_department).await;
    let (far, _) = person(app, "matrix.far", &[], other_department).await;
    let far_team = team(app, "矩阵外组", &[far, near], Some(director.0)).await;
    World { director, home_team: 0, far_team, home_department, near, far }
}

#[tokio::test]
async fn every_record_operation_by_every_role_on_every_placement() {
    let app = spawn_app().await;
    let doc = app.anonymous().get("/api/openapi.json").await.json();
    // Every operation on one record of these types is in the matrix or has its own rules.
    let mut listed: Vec<String> = OWN_RULES.iter().map(|(k, _)| k.to_string()).collect();
    for op in INCIDENT_OPS.iter().chain(REQUEST_OPS).chain(IMPROVEMENT_OPS).chain(SURVEY_OPS).chain(CHANGE_OPS) {
        listed.push(format!("{} {}", op.method.to_lowercase(), op.doc));
    }
    let mut unlisted = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let record =
            ["/api/v1/incidents/{", "/api/v1/service-requests/{", "/api/v1/improvements/{", "/api/v1/surveys/{", "/api/v1/changes/{"];
        if !record.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        for method in item.as_object().expect("operations").keys() {
            let key = format!("{method} {path}");
            if !listed.contains(&key) {
                unlisted.push(key);
            }
        }
    }
    assert!(unlisted.is_empty(), "operations on one record missing from the matrix: {unlisted:?}");

    let mut w = world(&app).await;
    let roles = app.admin().get("/api/v1/roles").await.json();
    let roles = roles.get("items").unwrap_or(&roles).clone();
    let builtin = yunwei_domain::admin::builtin_roles();
    let mut callers = Vec::new();
    for (i, r) in builtin.iter().enumerate() {
        let (id, client) = person(&app, &format!("matrix.{i}"), &[r.key], w.home_department).await;
        let held = roles.as_array().expect("roles").iter().find(|x| x["key"] == r.key).expect("built-in role listed");
        let grants = PermissionSet::new(
            held["permissions"].as_array().expect("permissions").iter().filter_map(|p| p.as_str()?.parse().ok()).collect(),
        );
        callers.push((r.key, id, client, grants));
    }
    let members: Vec<i64> = callers.iter().map(|c| c.1).collect();
    w.home_team = team(&app, "矩阵本组", &members, Some(w.director.0)).await;
    let (director_id, director) = (w.director.0, &w.director.1);
    let ctx = Ctx { director: director_id, far_team: w.far_team };
    // Catalogue items whose requests go to each team, with one task so they stay open.
    let item = |team: i64, code: &'static str| {
        let body = json!({
            "code": code, "name": { "zh": "矩阵", "en": "Matrix" }, "team_id": team, "fields": [],
            "tasks": [ { "title": { "zh": "处理", "en": "Handle" } } ]
        });
        async move { created(director.post("/api/v1/catalog-items", &body).await).await["id"].as_i64().expect("item id") }
    };
    let home_item = item(w.home_team, "matrix_home").await;
    let far_item = item(w.far_team, "matrix_far").await;

    let mut tally = Tally::default();
    for (role, me_id, client, grants) in &callers {
        let me = ActorPlace { user: UserId(*me_id), teams: vec![TeamId(w.home_team)], department: Some(DepartmentId(w.home_department)) };
        for p in PLACEMENTS {
            let (holder, team) = w.place(*me_id, p);
            let who = (*role, client, grants, &me);
            let inc = created(
                director
                    .post(
                        "/api/v1/incidents",
                        &json!({ "title": "矩阵测试", "description": "x", "impact": "low", "urgency": "low", "requester_id": holder, "team_id": team }),
                    )
                    .await,
            )
            .await;
            let base = format!("/api/v1/incidents/{}", inc["number"].as_str().expect("number"));
            walk(&mut tally, who, p, &policy::INCIDENT, INCIDENT_OPS, &base, &inc, &ctx).await;

            let item_id = if team == w.home_team { home_item } else { far_item };
            let req = created(
                director.post("/api/v1/service-requests", &json!({ "item_id": item_id, "requester_id": holder, "answers": {} })).await,
            )
            .await;
            let base = format!("/api/v1/service-requests/{}", req["number"].as_str().expect("number"));
            let detail = director.get(&base).await.json();
            let view = json!({ "requester_id": req["requester_id"], "reporter_id": req["reporter_id"], "assignee_id": req["assignee_id"],
                               "team_id": req["team_id"], "department_id": req["department_id"], "approvals": detail["approvals"], "tasks": detail["tasks"] });
            walk(&mut tally, who, p, &policy::SERVICE_REQUEST, REQUEST_OPS, &base, &view, &ctx).await;

            let imp = created(
                director
                    .post(
                        "/api/v1/improvements",
                        &json!({ "title": "矩阵测试", "description": "x", "measures": "x", "team_id": team, "owner_id": holder }),
                    )
                    .await,
            )
            .await;
            let base = format!("/api/v1/improvements/{}", imp["id"]);
            walk(&mut tally, who, p, &policy::IMPROVEMENT, IMPROVEMENT_OPS, &base, &imp, &ctx).await;

            // A survey is sent when an incident with a requester is resolved.
            let body = json!({ "title": "矩阵测试", "description": "x", "impact": "low", "urgency": "low", "requester_id": holder, "team_id": team });
            let subject = created(director.post("/api/v1/incidents", &body).await).await;
            let number = subject["number"].as_str().expect("number");
            let resolve = json!({ "resolution_code": "fixed", "resolution": "矩阵测试" });
            created(director.post(&format!("/api/v1/incidents/{number}/transitions/resolve"), &resolve).await).await;
            let sent = director.get(&format!("/api/v1/surveys?subject_type=incident&subject_id={}", subject["id"])).await.json();
            let survey = &sent["items"][0];
            assert!(survey["id"].is_i64(), "a survey for {number}: {sent}");
            let base = format!("/api/v1/surveys/{}", survey["id"]);
            walk(&mut tally, who, p, &policy::SURVEY, SURVEY_OPS, &base, survey, &ctx).await;

            let body = json!({ "title": "矩阵测试", "content": "x", "reason": "x", "rollback_plan": "x", "steps": ["x"],
                               "window_start": 4_000_000_000_000i64, "window_end": 4_000_003_600_000i64, "team_id": team, "implementer_id": holder });
            let chg = created(director.post("/api/v1/changes", &body).await).await;
            let base = format!("/api/v1/changes/{}", chg["number"].as_str().expect("number"));
            walk(&mut tally, who, p, &policy::CHANGE, CHANGE_OPS, &base, &chg, &ctx).await;
        }
    }
    let per_role =
        (INCIDENT_OPS.len() + REQUEST_OPS.len() + IMPROVEMENT_OPS.len() + SURVEY_OPS.len() + CHANGE_OPS.len()) * PLACEMENTS.len();
    assert_eq!(tally.cells, per_role * builtin.len());
    // The matrix must mean something: both answers occur, for scoped roles too.
    assert!(tally.allowed > 50 && tally.cells - tally.allowed > 50, "{} of {} cells allowed", tally.allowed, tally.cells);
    assert!(tally.wrong.is_empty(), "{} of {} cells answer otherwise:\n{}", tally.wrong.len(), tally.cells, tally.wrong.join("\n"));
    app.stop().await;
}

/// A link is written on both incidents, so the caller needs update rights on both (it was
/// checked on the first only); an incident the caller cannot read is "not found".
#[tokio::test]
async fn relating_needs_update_rights_on_both() {
    let app = spawn_app().await;
    let (_, director) = app.user_with_roles("rel.director", &["ops_director"]).await;
    let (eng, engineer) = app.user_with_roles("rel.engineer", &["network_engineer"]).await;
    let (_, requester) = app.user_with_roles("rel.requester", &["business_user"]).await;
    let mine = team(&app, "关联本组", &[eng], None).await;
    let theirs = team(&app, "关联外组", &[], None).await;
    let incident = |team: i64| {
        let director = &director;
        async move {
            let body = json!({ "title": "关联", "description": "x", "impact": "low", "urgency": "low", "team_id": team });
            created(director.post("/api/v1/incidents", &body).await).await["number"].as_str().expect("number").to_string()
        }
    };
    let (a, b, c) = (incident(mine).await, incident(theirs).await, incident(mine).await);
    let refused = engineer.send("PUT", &format!("/api/v1/incidents/{a}/related/{b}"), None, Vec::new()).await;
    yunwei_testkit::bad_input::assert_problem(&refused, 403, "forbidden");
    assert_eq!(refused.json()["permission"], "incident:update:team", "{}", refused.text());
    let linked = engineer.send("PUT", &format!("/api/v1/incidents/{a}/related/{c}"), None, Vec::new()).await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    assert_eq!(linked.json()["related"].as_array().map(Vec::len), Some(1));
    // Seen from the other side: the refused link was not written.
    let other = director.get(&format!("/api/v1/incidents/{b}")).await.json();
    assert_eq!(other["related"], json!([]));
    // A caller who may read no incident learns nothing from the second number.
    let unseen = requester.send("PUT", &format!("/api/v1/incidents/{a}/related/{b}"), None, Vec::new()).await;
    yunwei_testkit::bad_input::assert_problem(&unseen, 403, "forbidden");
    app.stop().await;
}
