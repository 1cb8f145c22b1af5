//! Users, teams, departments, roles.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_request};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use yunwei_core::admin::grants::{self, Outcome};
use yunwei_core::admin::{self, DepartmentInput, NewUser, RoleInput, TeamInput, UserPatch};
use yunwei_core::auth::NewTokenInput;
use yunwei_core::store::admin::{Department, Team, User, UserFilter};
use yunwei_core::store::sql::Page;
use yunwei_domain::ids::{DepartmentId, RoleId, TeamId, UserId};
use yunwei_domain::permission::{Action, ObjectType, Scope};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub q: Option<String>,
    pub department_id: Option<i64>,
    pub team_id: Option<i64>,
    pub role_id: Option<i64>,
    pub disabled: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub sort: Option<String>,
}

pub async fn list_users(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<UserQuery>) -> ApiResult<Json<Page<User>>> {
    let page = page_request(q.limit, q.cursor.as_deref(), q.sort.as_deref(), "username")?;
    let filter = UserFilter {
        q: q.q.filter(|s| !s.is_empty()),
        department_id: q.department_id.map(DepartmentId),
        team_id: q.team_id.map(TeamId),
        role_id: q.role_id.map(RoleId),
        disabled: q.disabled,
    };
    Ok(Json(admin::list_users(&state.core, &caller.ctx, &filter, &page).await?))
}

handlers! {
    create_user(ApiJson(body: NewUser)) -> created: admin::create_user(body);
    get_user(ApiPath(id: i64)) -> json: admin::get_user(UserId(id));
    patch_user(ApiPath(id: i64), ApiJson(body: UserPatch)) -> json: admin::update_user(UserId(id), body);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    pub roles: Vec<String>,
}

/// 200 with the result when the change is in force; 202 with the duty grant when it waits
/// for a second person.
fn outcome<T: Serialize>(o: Outcome<T>) -> Response {
    match o {
        Outcome::Applied(v) => Json(v).into_response(),
        Outcome::Pending(grant) => (StatusCode::ACCEPTED, Json(grant)).into_response(),
    }
}

pub async fn put_user_roles(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RolesBody>,
) -> ApiResult<Response> {
    Ok(outcome(admin::set_user_roles(&state.core, &caller.ctx, UserId(id), &body.roles).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamsBody {
    pub teams: Vec<TeamId>,
}

handlers! {
    put_user_teams(ApiPath(id: i64), ApiJson(body: TeamsBody)) -> json: admin::set_user_teams(UserId(id), &body.teams);
    disable_user(ApiPath(id: i64)) -> json: admin::set_user_disabled(UserId(id), true);
    enable_user(ApiPath(id: i64)) -> json: admin::set_user_disabled(UserId(id), false);
}

#[derive(Serialize)]
pub struct TemporaryPassword {
    pub temporary_password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemporaryPassword>> {
    Ok(Json(TemporaryPassword { temporary_password: yunwei_core::auth::reset_password(&state.core, &caller.ctx, UserId(id)).await? }))
}

handlers! {
    reset_totp(ApiPath(id: i64)) -> no_content: yunwei_core::auth::disable_totp(UserId(id), None);
    list_user_tokens(ApiPath(id: i64)) -> json: yunwei_core::auth::list_tokens(UserId(id));
}

handlers! {
    create_user_token(ApiPath(id: i64), ApiJson(body: NewTokenInput)) -> created_secret: yunwei_core::auth::create_token(UserId(id), body);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameQuery {
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub sort: Option<String>,
}

pub async fn list_teams(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<NameQuery>) -> ApiResult<Json<Page<Team>>> {
    let page = page_request(q.limit, q.cursor.as_deref(), q.sort.as_deref(), "name")?;
    Ok(Json(admin::list_teams(&state.core, &caller.ctx, q.q.as_deref().filter(|s| !s.is_empty()), &page).await?))
}

handlers! {
    create_team(ApiJson(body: TeamInput)) -> created: admin::create_team(body);
    get_team(ApiPath(id: i64)) -> json: admin::get_team(TeamId(id));
    put_team(ApiPath(id: i64), ApiJson(body: TeamInput)) -> json: admin::update_team(TeamId(id), body);
    delete_team(ApiPath(id: i64)) -> no_content: admin::delete_team(TeamId(id));
}

pub async fn list_departments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<Json<Page<Department>>> {
    let page = page_request(q.limit, q.cursor.as_deref(), q.sort.as_deref(), "name")?;
    Ok(Json(admin::list_departments(&state.core, &caller.ctx, q.q.as_deref().filter(|s| !s.is_empty()), &page).await?))
}

handlers! {
    create_department(ApiJson(body: DepartmentInput)) -> created: admin::create_department(body);
    get_department(ApiPath(id: i64)) -> json: admin::get_department(DepartmentId(id));
    put_department(ApiPath(id: i64), ApiJson(body: DepartmentInput)) -> json: admin::update_department(DepartmentId(id), body);
    delete_department(ApiPath(id: i64)) -> no_content: admin::delete_department(DepartmentId(id));
    list_roles() -> json: admin::list_roles();
    create_role(ApiJson(body: RoleInput)) -> created: admin::create_role(body);
    get_role(ApiPath(id: i64)) -> json: admin::get_role(RoleId(id));
}

pub async fn put_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RoleInput>,
) -> ApiResult<Response> {
    Ok(outcome(admin::update_role(&state.core, &caller.ctx, RoleId(id), body).await?))
}

handlers! {
    delete_role(ApiPath(id: i64)) -> no_content: admin::delete_role(RoleId(id));
}

#[derive(Serialize)]
pub struct PermissionCatalogue {
    pub object_types: Vec<&'static str>,
    pub actions: Vec<&'static str>,
    pub scopes: Vec<&'static str>,
}

/// What a role's permission strings may name: `object:action:scope`.
pub async fn permission_catalogue(caller: Caller) -> ApiResult<Json<PermissionCatalogue>> {
    caller.require()?;
    Ok(Json(PermissionCatalogue {
        object_types: ObjectType::ALL.iter().map(|o| o.as_str()).collect(),
        actions: Action::ALL.iter().map(|a| a.as_str()).collect(),
        scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
    }))
}

// ---- duty grants (four eyes) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantQuery {
    pub status: Option<String>,
}

handlers! {
    list_duty_grants(ApiQuery(q: GrantQuery)) -> json: grants::list_grants(q.status.as_deref().filter(|s| !s.is_empty()));
    get_duty_grant(ApiPath(id: i64)) -> json: grants::get_grant(id);
    approve_duty_grant(ApiPath(id: i64)) -> json: grants::approve_grant(id);
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    #[serde(default)]
    pub note: String,
}

handlers! {
    reject_duty_grant(ApiPath(id: i64), ApiJson(body: RejectBody)) -> json: grants::reject_grant(id, &body.note);
}
