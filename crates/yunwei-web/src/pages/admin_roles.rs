//! The roles pages: the list and the permission matrix, bound to the API's `RoleInput`.

use super::admin::ListQuery;
use super::{Cell, Field, ListView, MatrixCell, MatrixRow, MatrixSection, Section, failed, notice, page, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, PageForm};
use crate::i18n::Tr;
use axum::extract::State;
use axum::response::Response;
use yunwei_core::admin::grants::Outcome;
use yunwei_core::admin::{self, RoleInput};
use yunwei_domain::ids::RoleId;
use yunwei_domain::permission::{Action, ObjectType, Permission, Scope};

pub async fn roles(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let list = admin::list_roles(&state.core, &caller.ctx).await?;
    let rows = list
        .iter()
        .map(|r| {
            vec![
                Cell::link(if tr.is_zh() { r.name_zh.clone() } else { r.name_en.clone() }, format!("/admin/roles/{}", r.id)),
                Cell::text(r.key.clone()),
                Cell::text(r.duty.map(|d| tr.t(&format!("duty.{d}"))).unwrap_or_default()),
                Cell::text(r.permissions.len().to_string()),
                Cell::text(tr.t(if r.builtin { "role.builtin" } else { "role.custom" })),
            ]
        })
        .collect();
    let columns = ["field.name", "role.key", "role.duty", "role.permissions", "role.kind"];
    let sections = ListView::new(tr, &columns, rows).create_link("/admin/roles/new", tr.t("role.new")).sections();
    Ok(page(&state, &caller, "/admin/roles", tr.t("nav.roles"), sections, notice(tr, &q.ok), Vec::new()).await)
}

fn role_matrix(
    tr: Tr,
    action: String,
    key: Option<&str>,
    name_zh: &str,
    name_en: &str,
    require_totp: bool,
    granted: &[Permission],
) -> Section {
    let mut fields = Vec::new();
    if let Some(k) = key {
        fields.push(Field::new("text", "key", tr.t("role.key"), k).required());
    }
    fields.push(Field::new("text", "name_zh", tr.t("role.name_zh"), name_zh).required());
    fields.push(Field::new("text", "name_en", tr.t("role.name_en"), name_en).required());
    fields.push(Field::new("checkbox", "require_totp", tr.t("role.require_totp"), "true").checked(require_totp));
    let rows = ObjectType::ALL
        .iter()
        .map(|o| MatrixRow {
            key: o.as_str(),
            label: tr.t(&format!("permission.object.{o}")),
            cells: Action::ALL
                .iter()
                .map(|a| MatrixCell {
                    key: a.as_str(),
                    label: tr.t(&format!("permission.action.{a}")),
                    scope: granted
                        .iter()
                        .filter(|p| p.object == *o && p.action == *a)
                        .map(|p| p.scope.as_str())
                        .max_by_key(|s| s.parse::<Scope>().ok())
                        .unwrap_or("none"),
                })
                .collect(),
        })
        .collect();
    let mut scopes = vec![("none", "—".to_string())];
    scopes.extend(Scope::ALL.iter().map(|s| (s.as_str(), tr.t(&format!("permission.scope.{s}")))));
    Section::Matrix(MatrixSection {
        action,
        fields,
        actions: Action::ALL.iter().map(|a| (a.as_str(), tr.t(&format!("permission.action.{a}")))).collect(),
        scopes,
        rows,
        submit: tr.t("action.save"),
    })
}

pub async fn new_role(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.ctx.authorize(ObjectType::Role, Action::Create)?;
    let tr = caller.tr;
    let s = vec![role_matrix(tr, "/admin/roles/new".into(), Some(""), "", "", false, &[])];
    Ok(page(&state, &caller, "/admin/roles", tr.t("role.new"), s, None, Vec::new()).await)
}

/// The matrix posts every cell (`object:action:scope`); "none" grants nothing.
fn role_input(form: PageForm<RoleInput>) -> (Result<RoleInput, ApiError>, RoleInput) {
    let get = |k: &str| form.posted.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // What was typed, to draw the matrix again if the role is refused.
    let typed = RoleInput {
        key: get("key"),
        name_en: get("name_en").unwrap_or_default(),
        name_zh: get("name_zh").unwrap_or_default(),
        description: String::new(),
        require_totp: get("require_totp").is_some(),
        permissions: form.posted.iter().filter(|(k, _)| k == "permissions").map(|(_, v)| v.clone()).collect(),
    };
    let input = form.input.map(|mut i| {
        i.permissions.retain(|p| !p.ends_with(":none"));
        i
    });
    (input, typed)
}

pub async fn create_role(State(state): State<AppState>, caller: Caller, form: PageForm<RoleInput>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let (result, input) = role_input(form);
    let result = match result {
        Ok(i) => admin::create_role(&state.core, &caller.ctx, i).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(redirect(&format!("/admin/roles/{}?ok=saved", r.id))),
        Err(e) => {
            let granted: Vec<Permission> = input.permissions.iter().filter_map(|p| p.parse().ok()).collect();
            let s = vec![role_matrix(
                tr,
                "/admin/roles/new".into(),
                Some(input.key.as_deref().unwrap_or("")),
                &input.name_zh,
                &input.name_en,
                input.require_totp,
                &granted,
            )];
            failed(&state, &caller, e, s, tr.t("role.new"), "/admin/roles").await
        }
    }
}

pub async fn role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let r = admin::get_role(&state.core, &caller.ctx, RoleId(id)).await?;
    let mut s = vec![Section::Facts(vec![
        (tr.t("role.key"), r.key.clone()),
        (tr.t("role.duty"), r.duty.map(|d| tr.t(&format!("duty.{d}"))).unwrap_or_else(|| "—".into())),
    ])];
    s.push(role_matrix(tr, format!("/admin/roles/{id}"), None, &r.name_zh, &r.name_en, r.require_totp, &r.permissions));
    Ok(page(&state, &caller, "/admin/roles", tr.t("role.title"), s, notice(tr, &q.ok), Vec::new()).await)
}

pub async fn update_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    form: PageForm<RoleInput>,
) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let (result, input) = role_input(form);
    let result = match result {
        Ok(i) => admin::update_role(&state.core, &caller.ctx, RoleId(id), i).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(Outcome::Applied(_)) => Ok(redirect(&format!("/admin/roles/{id}?ok=saved"))),
        Ok(Outcome::Pending(_)) => Ok(redirect(&format!("/admin/roles/{id}?ok=grant_requested"))),
        Err(e) => {
            let granted: Vec<Permission> = input.permissions.iter().filter_map(|p| p.parse().ok()).collect();
            let s = vec![role_matrix(tr, format!("/admin/roles/{id}"), None, &input.name_zh, &input.name_en, input.require_totp, &granted)];
            failed(&state, &caller, e, s, tr.t("role.title"), "/admin/roles").await
        }
    }
}
