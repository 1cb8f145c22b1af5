//! Users, teams, departments, roles.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, page_request};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use yunwei_core::admin::grants::{self, DutyGrant, Outcome};
use yunwei_core::admin::{self, CreatedUser, DepartmentInput, NewUser, RoleInput, TeamInput, TeamView, UserPatch, UserView};
use yunwei_core::auth::{CreatedToken, NewTokenInput};
use yunwei_core::store::admin::{Department, Role, Team, User, UserFilter};
use yunwei_core::store::auth::ApiToken;
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

pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    Ok((StatusCode::CREATED, Json(admin::create_user(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_user(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UserView>> {
    Ok(Json(admin::get_user(&state.core, &caller.ctx, UserId(id)).await?))
}

pub async fn patch_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UserPatch>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(admin::update_user(&state.core, &caller.ctx, UserId(id), body).await?))
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

pub async fn put_user_teams(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TeamsBody>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(admin::set_user_teams(&state.core, &caller.ctx, UserId(id), &body.teams).await?))
}

pub async fn disable_user(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UserView>> {
    Ok(Json(admin::set_user_disabled(&state.core, &caller.ctx, UserId(id), true).await?))
}

pub async fn enable_user(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UserView>> {
    Ok(Json(admin::set_user_disabled(&state.core, &caller.ctx, UserId(id), false).await?))
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

pub async fn reset_totp(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    yunwei_core::auth::disable_totp(&state.core, &caller.ctx, UserId(id), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_user_tokens(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(yunwei_core::auth::list_tokens(&state.core, &caller.ctx, UserId(id)).await?))
}

pub async fn create_user_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewTokenInput>,
) -> ApiResult<(StatusCode, axum::Extension<crate::middleware::SecretInside>, Json<CreatedToken>)> {
    let token = yunwei_core::auth::create_token(&state.core, &caller.ctx, UserId(id), body).await?;
    Ok((StatusCode::CREATED, axum::Extension(crate::middleware::SecretInside), Json(token)))
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

pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TeamInput>,
) -> ApiResult<(StatusCode, Json<TeamView>)> {
    Ok((StatusCode::CREATED, Json(admin::create_team(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_team(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<TeamView>> {
    Ok(Json(admin::get_team(&state.core, &caller.ctx, TeamId(id)).await?))
}

pub async fn put_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TeamInput>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(admin::update_team(&state.core, &caller.ctx, TeamId(id), body).await?))
}

pub async fn delete_team(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    admin::delete_team(&state.core, &caller.ctx, TeamId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_departments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<Json<Page<Department>>> {
    let page = page_request(q.limit, q.cursor.as_deref(), q.sort.as_deref(), "name")?;
    Ok(Json(admin::list_departments(&state.core, &caller.ctx, q.q.as_deref().filter(|s| !s.is_empty()), &page).await?))
}

pub async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DepartmentInput>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    Ok((StatusCode::CREATED, Json(admin::create_department(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_department(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Department>> {
    Ok(Json(admin::get_department(&state.core, &caller.ctx, DepartmentId(id)).await?))
}

pub async fn put_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DepartmentInput>,
) -> ApiResult<Json<Department>> {
    Ok(Json(admin::update_department(&state.core, &caller.ctx, DepartmentId(id), body).await?))
}

pub async fn delete_department(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    admin::delete_department(&state.core, &caller.ctx, DepartmentId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_roles(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(admin::list_roles(&state.core, &caller.ctx).await?))
}

pub async fn create_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RoleInput>,
) -> ApiResult<(StatusCode, Json<Role>)> {
    Ok((StatusCode::CREATED, Json(admin::create_role(&state.core, &caller.ctx, body).await?)))
}

pub async fn get_role(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Role>> {
    Ok(Json(admin::get_role(&state.core, &caller.ctx, RoleId(id)).await?))
}

pub async fn put_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RoleInput>,
) -> ApiResult<Response> {
    Ok(outcome(admin::update_role(&state.core, &caller.ctx, RoleId(id), body).await?))
}

pub async fn delete_role(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    admin::delete_role(&state.core, &caller.ctx, RoleId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
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

pub async fn list_duty_grants(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<GrantQuery>,
) -> ApiResult<Json<Vec<DutyGrant>>> {
    Ok(Json(grants::list_grants(&state.core, &caller.ctx, q.status.as_deref().filter(|s| !s.is_empty())).await?))
}

pub async fn get_duty_grant(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<DutyGrant>> {
    Ok(Json(grants::get_grant(&state.core, &caller.ctx, id).await?))
}

pub async fn approve_duty_grant(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<DutyGrant>> {
    Ok(Json(grants::approve_grant(&state.core, &caller.ctx, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    #[serde(default)]
    pub note: String,
}

pub async fn reject_duty_grant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RejectBody>,
) -> ApiResult<Json<DutyGrant>> {
    Ok(Json(grants::reject_grant(&state.core, &caller.ctx, id, &body.note).await?))
}
