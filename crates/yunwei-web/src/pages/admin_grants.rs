//! The duty-grant page (四眼原则): requests to grant, change or take away an administrator
//! duty, with approve, reject and withdraw offered only to those who may use them.

use super::{Cell, Section, TableSection, page, redirect, time};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, Caller, CsrfForm};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use yunwei_core::admin::grants::{self, DutyGrant, KIND_USER_ROLES};
use yunwei_domain::permission::{Action, ObjectType};

#[derive(Deserialize, Default)]
pub struct GrantListQuery {
    status: Option<String>,
    ok: Option<String>,
}

fn strings(v: &serde_json::Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// What the request asks for, in words: role names for a user, added and removed rights for a role.
fn describe(g: &DutyGrant, role_names: &HashMap<String, String>, tr: crate::i18n::Tr) -> (String, String) {
    let name = |k: &String| role_names.get(k).cloned().unwrap_or_else(|| k.clone());
    if g.kind == KIND_USER_ROLES {
        let separator = if tr.is_zh() { "、" } else { ", " };
        let list = |v: &serde_json::Value| strings(v, "roles").iter().map(name).collect::<Vec<_>>().join(separator);
        return (list(&g.requested_change), list(&g.state_before));
    }
    let (new, old) = (strings(&g.requested_change, "permissions"), strings(&g.state_before, "permissions"));
    let added: Vec<&String> = new.iter().filter(|p| !old.contains(p)).collect();
    let removed: Vec<&String> = old.iter().filter(|p| !new.contains(p)).collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("+ {}", added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("− {}", removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    }
    let totp = |v: &serde_json::Value| v.get("require_totp").and_then(serde_json::Value::as_bool).unwrap_or(false);
    if totp(&g.requested_change) != totp(&g.state_before) {
        parts.push(tr.labelled(&tr.t("grant.require_totp"), &tr.t(if totp(&g.requested_change) { "common.yes" } else { "common.no" })));
    }
    (parts.join(if tr.is_zh() { "；" } else { "; " }), format!("{} {}", old.len(), tr.t("grant.permissions")))
}

pub async fn list(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<GrantListQuery>) -> Result<Response, ApiError> {
    let tr = caller.tr;
    let show_all = q.status.as_deref() == Some("all");
    let list = grants::list_grants(&state.core, &caller.ctx, if show_all { None } else { Some("pending") }).await?;
    let roles = yunwei_core::admin::list_roles(&state.core, &caller.ctx).await?;
    let role_names: HashMap<String, String> = roles.into_iter().map(|r| (r.key, if tr.is_zh() { r.name_zh } else { r.name_en })).collect();
    let me = caller.ctx.me()?.user_id;
    let may_approve = caller.ctx.actor.as_ref().is_some_and(|a| a.permissions.allows(ObjectType::Role, Action::Approve));
    let rows = list
        .iter()
        .map(|g| {
            let (asked, before) = describe(g, &role_names, tr);
            let pending = g.status == "pending";
            let base = format!("/admin/duty-grants/{}", g.id);
            let affected = g.kind == KIND_USER_ROLES && g.target_id == me.0;
            let mut actions = Vec::new();
            if pending && may_approve && g.requested_by != me && !affected {
                actions.push(Cell::button(format!("{base}/approve"), tr.t("grant.approve"), tr.t("grant.approve")));
            }
            if pending && may_approve && g.requested_by != me {
                actions.push(Cell::button(format!("{base}/reject"), tr.t("grant.reject"), tr.t("grant.reject")));
            }
            if pending && g.requested_by == me {
                actions.push(Cell::button(format!("{base}/reject"), tr.t("grant.withdraw"), tr.t("grant.withdraw")));
            }
            let status_class = match g.status.as_str() {
                "approved" => "ok",
                "pending" => "warn",
                _ => "muted",
            };
            let mut row = vec![
                Cell::text(g.number.clone()),
                Cell::text(tr.t(&format!("grant.kind.{}", g.kind))),
                Cell::text(g.target_name.clone()),
                Cell::text(asked),
                Cell::text(before),
                Cell::text(format!("{} · {}", g.requested_by_name, time(g.requested_at, &caller))),
                Cell::badge(tr.t(&format!("grant.status.{}", g.status)), status_class),
                Cell::text(g.decided_by_name.clone().map(|n| format!("{n} {}", g.note)).unwrap_or_default()),
            ];
            // Two action columns, the last offered first (reject before approve).
            actions.resize_with(2, || Cell::text(""));
            row.extend(actions.into_iter().rev());
            row
        })
        .collect::<Vec<_>>();
    let mut sections = vec![
        Section::Text(tr.t("grant.about")),
        Section::Links(vec![
            ("/admin/duty-grants".into(), tr.t("grant.pending_only")),
            ("/admin/duty-grants?status=all".into(), tr.t("grant.all")),
        ]),
    ];
    if rows.is_empty() {
        sections.push(Section::Text(tr.t("grant.none")));
    } else {
        sections.push(Section::Table(TableSection {
            columns: vec![
                tr.t("grant.number"),
                tr.t("grant.kind.title"),
                tr.t("grant.target"),
                tr.t("grant.change"),
                tr.t("grant.before"),
                tr.t("grant.requested_by"),
                tr.t("field.state"),
                tr.t("grant.decided_by"),
                String::new(),
                String::new(),
            ],
            rows,
            next: None,
        }));
    }
    let notice = q.ok.as_ref().map(|k| format!("notice.{k}")).filter(|k| tr.has(k)).map(|k| tr.t(&k));
    Ok(page(&state, &caller, "/admin/duty-grants", tr.t("grant.title"), sections, notice, Vec::new()).await)
}

pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    grants::approve_grant(&state.core, &caller.ctx, id).await?;
    Ok(redirect("/admin/duty-grants?status=all&ok=grant_approved"))
}

pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let note = pairs.iter().find(|(k, _)| k == "note").map(|(_, v)| v.as_str()).unwrap_or_default();
    let g = grants::reject_grant(&state.core, &caller.ctx, id, note).await?;
    Ok(redirect(&format!("/admin/duty-grants?status=all&ok=grant_{}", g.status)))
}
