//! Teams and their members.

use super::*;
use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use yunwei_domain::FieldError;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{TeamId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::admin::{self as store, Team, TeamFields};
use yunwei_store::sql::Page;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    pub name: String,
    /// The English name; absent or empty: English readers see `name`.
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    pub email: Option<String>,
    pub manager_id: Option<UserId>,
    /// Replaces the member list when given.
    pub members: Option<Vec<UserId>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    #[serde(flatten)]
    pub team: Team,
    pub members: Vec<UserId>,
}

async fn vet_team(core: &Core, input: &TeamInput) -> Result<TeamFields> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let name_en = c.optional_name("name_en", &input.name_en, 100);
    let description = c.text("description", &input.description, 2000);
    let email = c.email("email", input.email.as_deref());
    check_references(core, &mut c, None, input.manager_id).await?;
    for (i, m) in input.members.iter().flatten().enumerate() {
        if store::get_user(&core.db.read, *m).await?.is_none() {
            c.push(FieldError::new(format!("members[{i}]"), "not_found"));
        }
    }
    c.finish()?;
    Ok(TeamFields { name, name_en, description, email, manager_id: input.manager_id })
}

async fn team_view(conn: &mut yunwei_store::Conn, id: TeamId) -> Result<TeamView> {
    let team = store::get_team(&mut *conn, id).await?.ok_or(CoreError::NotFound("team"))?;
    Ok(TeamView { members: store::team_members(&mut *conn, id).await?, team })
}

pub async fn create_team(core: &Core, ctx: &Ctx, input: TeamInput) -> Result<TeamView> {
    ctx.authorize(ObjectType::Team, Action::Create)?;
    let fields = vet_team(core, &input).await?;
    // An id reserved on SQLite and meanwhile taken by another process (the CLI) fails one attempt.
    match create_team_once(core, ctx, &input, fields.clone()).await {
        Err(CoreError::Store(yunwei_store::StoreError::StaleId)) => create_team_once(core, ctx, &input, fields).await,
        done => done,
    }
}

async fn create_team_once(core: &Core, ctx: &Ctx, input: &TeamInput, fields: TeamFields) -> Result<TeamView> {
    let name_taken = || CoreError::unique_as("team_name_taken");
    let mut tx = core.db.begin().await?;
    let now = core.now_ms();
    let id = store::insert_team(&mut tx, &fields, now).await.map_err(name_taken())?;
    let members = input.members.clone().unwrap_or_default();
    if !members.is_empty() {
        // Flushes the staged team first: a duplicate name shows here on SQLite.
        store::set_team_members(&mut tx, id, &members).await.map_err(name_taken())?;
    }
    // Built from what was just written, not read back: creating teams is a hot path.
    let TeamFields { name, name_en, description, email, manager_id } = fields;
    let team = Team { id, name, name_en, description, email, manager_id, created_at: now, updated_at: now };
    let view = TeamView { team, members };
    audit::write(core, &mut tx, ctx, Change::new("team", id, "create").after(&view)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::TeamCreated, "team", id).with(serde_json::json!({ "name": view.team.name }))).await?;
    core.commit_or(tx, name_taken()).await?;
    Ok(view)
}

pub async fn update_team(core: &Core, ctx: &Ctx, id: TeamId, input: TeamInput) -> Result<TeamView> {
    ctx.authorize(ObjectType::Team, Action::Update)?;
    let fields = vet_team(core, &input).await?;
    let mut tx = core.db.begin().await?;
    let before = team_view(&mut tx, id).await?;
    store::update_team(&mut tx, id, &fields, core.now_ms()).await.map_err(CoreError::unique_as("team_name_taken"))?;
    if let Some(m) = &input.members {
        store::set_team_members(&mut tx, id, m).await?;
    }
    let after = team_view(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("team", id, "update").before(&before).after(&after)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::TeamUpdated, "team", id).with(serde_json::json!({ "name": after.team.name }))).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    core.config_cache.clear_teams();
    Ok(after)
}

pub async fn delete_team(core: &Core, ctx: &Ctx, id: TeamId) -> Result<()> {
    ctx.authorize(ObjectType::Team, Action::Delete)?;
    let mut tx = core.db.begin().await?;
    let before = team_view(&mut tx, id).await?;
    store::delete_team(&mut tx, id)
        .await
        .map_err(|e| if e.is_foreign_key_violation() { CoreError::Conflict("team_in_use") } else { e.into() })?;
    audit::write(core, &mut tx, ctx, Change::new("team", id, "delete").before(&before)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::TeamDeleted, "team", id).with(serde_json::json!({ "name": before.team.name }))).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    core.config_cache.clear_teams();
    Ok(())
}

pub async fn get_team(core: &Core, ctx: &Ctx, id: TeamId) -> Result<TeamView> {
    ctx.authorize(ObjectType::Team, Action::Read)?;
    let mut conn = core.db.read.acquire().await?;
    team_view(&mut conn, id).await
}

pub async fn list_teams(core: &Core, ctx: &Ctx, q: Option<&str>, page: &PageRequest) -> Result<Page<Team>> {
    ctx.authorize(ObjectType::Team, Action::Read)?;
    Ok(store::list_teams(&core.db.read, q, page).await?)
}

/// A team's members from the configuration cache, or `None` when there is no such team.
pub(crate) async fn team_members_cached(core: &Core, conn: &mut yunwei_store::Conn, team: TeamId) -> Result<Option<Arc<Vec<UserId>>>> {
    if let Some(m) = core.config_cache.team_members(team) {
        return Ok(Some(m));
    }
    let Some(members) = store::members_if_team(&mut *conn, team).await? else { return Ok(None) };
    let members = Arc::new(members);
    core.config_cache.put_team_members(team, members.clone());
    Ok(Some(members))
}
