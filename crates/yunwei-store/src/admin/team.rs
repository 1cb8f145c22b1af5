//! Teams (assignment groups) and their members.

use super::escape_like;
use crate::sql::{Page, Sql};
use crate::table::Table;
use crate::{Result, Stage};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{TeamId, UserId};
use yunwei_domain::page::{Cursor, PageRequest};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct Team in "teams" {
        pub id: TeamId,
        pub name: String,
        /// The English name; empty: English readers see `name`.
        pub name_en: String,
        pub description: String,
        pub email: Option<String>,
        pub manager_id: Option<UserId>,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

#[derive(Debug, Clone, Default)]
pub struct TeamFields {
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub email: Option<String>,
    pub manager_id: Option<UserId>,
}

/// Staged on SQLite with a reserved id: a duplicate name fails at commit there.
pub async fn insert_team(tx: &mut crate::Tx, f: &TeamFields, now: i64) -> Result<TeamId> {
    const COLUMNS: &str = "name, name_en, description, email, manager_id, created_at, updated_at";
    let values = |sql: &mut Sql| {
        sql.bind(f.name.as_str()).push(", ").bind(f.name_en.as_str()).push(", ");
        sql.bind(f.description.as_str()).push(", ").bind(f.email.clone());
        sql.push(", ").bind(f.manager_id.map(|m| m.0)).push(", ").bind(now).push(", ").bind(now).push(")");
    };
    if let Some(id) = tx.reserve_id("teams").await? {
        let mut sql = tx.statement(&format!("INSERT INTO teams (id, {COLUMNS}) VALUES ("));
        sql.bind(id).push(", ");
        values(&mut sql);
        tx.stage(sql).await?;
        return Ok(TeamId(id));
    }
    let mut sql = tx.statement(&format!("INSERT INTO teams ({COLUMNS}) VALUES ("));
    values(&mut sql);
    sql.push(" RETURNING id");
    Ok(TeamId(sql.fetch_one(&mut **tx).await?.try_get(0)?))
}

pub async fn update_team(conn: &mut AnyConnection, id: TeamId, f: &TeamFields, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE teams SET name = $2, description = $3, email = $4, manager_id = $5, updated_at = $6, name_en = $7 WHERE id = $1",
    )
    .bind(id.0)
    .bind(&f.name)
    .bind(&f.description)
    .bind(&f.email)
    .bind(f.manager_id.map(|m| m.0))
    .bind(now)
    .bind(&f.name_en)
    .execute(conn)
    .await?;
    Ok(n.rows_affected() == 1)
}

pub async fn delete_team(conn: &mut AnyConnection, id: TeamId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM teams WHERE id = $1").bind(id.0).execute(conn).await?.rows_affected() == 1)
}

pub async fn get_team<'e, E: Executor<'e, Database = Any>>(ex: E, id: TeamId) -> Result<Option<Team>> {
    sqlx::query("SELECT * FROM teams WHERE id = $1").bind(id.0).fetch_optional(ex).await?.as_ref().map(Team::from_row).transpose()
}

pub async fn list_teams<'e, E: Executor<'e, Database = Any>>(ex: E, q: Option<&str>, page: &PageRequest) -> Result<Page<Team>> {
    let mut sql = Sql::new("SELECT * FROM teams WHERE 1=1");
    if let Some(q) = q {
        sql.push(" AND name LIKE ").bind(format!("%{}%", escape_like(q))).push(" ESCAPE '\\'");
    }
    sql.keyset(page, Some("name"));
    let rows = sql.fetch_all(ex).await?.iter().map(Team::from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, |t| Cursor { id: t.id.0, key: Some(t.name.clone()) }))
}

/// Flushes first: the team itself may be a staged insert (see [`insert_team`]).
pub async fn set_team_members(tx: &mut crate::Tx, team: TeamId, members: &[UserId]) -> Result<()> {
    tx.flush().await?;
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM team_members WHERE team_id = $1").bind(team.0).execute(&mut *conn).await?;
    for m in members {
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)").bind(team.0).bind(m.0).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Replaces the teams a user belongs to.
pub async fn set_user_teams(conn: &mut AnyConnection, user: UserId, teams: &[TeamId]) -> Result<()> {
    sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(user.0).execute(&mut *conn).await?;
    for t in teams {
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)").bind(t.0).bind(user.0).execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn team_members<'e, E: Executor<'e, Database = Any>>(ex: E, team: TeamId) -> Result<Vec<UserId>> {
    let rows = sqlx::query("SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id").bind(team.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}

/// A team's members, or `None` when there is no such team: one query for both.
pub async fn members_if_team<'e, E: Executor<'e, Database = Any>>(ex: E, team: TeamId) -> Result<Option<Vec<UserId>>> {
    let rows = sqlx::query("SELECT m.user_id FROM teams t LEFT JOIN team_members m ON m.team_id = t.id WHERE t.id = $1 ORDER BY m.user_id")
        .bind(team.0)
        .fetch_all(ex)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let members = rows.iter().map(|r| r.try_get::<Option<i64>, _>(0)).collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some(members.into_iter().flatten().map(UserId).collect()))
}

/// The leads of the teams `user` belongs to (not the user), in order.
pub async fn team_leads_of<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<UserId>> {
    let rows = sqlx::query(
        "SELECT DISTINCT t.manager_id FROM teams t JOIN team_members m ON m.team_id = t.id \
         WHERE m.user_id = $1 AND t.manager_id IS NOT NULL AND t.manager_id <> $1 ORDER BY t.manager_id",
    )
    .bind(user.0)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok(UserId(r.try_get(0)?))).collect()
}

pub async fn teams_of_user<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<TeamId>> {
    let rows = sqlx::query("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id").bind(user.0).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(TeamId(r.try_get(0)?))).collect()
}
