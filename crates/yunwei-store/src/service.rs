//! Business services (业务服务): what incidents affect, SLAs cover and
//! availability is measured for. The CMDB will link them to CIs.

use crate::admin::escape_like;
use crate::table::Table;
use crate::{Result, b};
use serde::Serialize;
use sqlx::{AnyConnection, Executor, Row};
use yunwei_domain::ids::{ServiceId, TeamId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct BusinessService in "business_services" {
        pub id: ServiceId,
        pub name: String,
        pub code: Option<String>,
        pub description: String,
        /// Incidents on this service go to this team unless their category names one.
        pub team_id: Option<TeamId>,
        pub downtime_budget_minutes: i64,
        pub active: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub struct ServiceFields {
    pub name: String,
    pub code: Option<String>,
    pub description: String,
    pub team_id: Option<TeamId>,
    pub downtime_budget_minutes: i64,
    pub active: bool,
}

pub async fn insert(conn: &mut AnyConnection, f: &ServiceFields, now: i64) -> Result<ServiceId> {
    let row = sqlx::query(
        "INSERT INTO business_services (name, code, description, team_id, downtime_budget_minutes, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&f.name)
    .bind(&f.code)
    .bind(&f.description)
    .bind(f.team_id.map(|t| t.0))
    .bind(f.downtime_budget_minutes)
    .bind(b(f.active))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(ServiceId(row.try_get(0)?))
}

pub async fn update(conn: &mut AnyConnection, id: ServiceId, f: &ServiceFields, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE business_services SET name = $2, code = $3, description = $4, team_id = $5, downtime_budget_minutes = $6, \
         active = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(id.0)
    .bind(&f.name)
    .bind(&f.code)
    .bind(&f.description)
    .bind(f.team_id.map(|t| t.0))
    .bind(f.downtime_budget_minutes)
    .bind(b(f.active))
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: ServiceId) -> Result<Option<BusinessService>> {
    sqlx::query("SELECT * FROM business_services WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(BusinessService::from_row)
        .transpose()
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(ex: E, q: Option<&str>) -> Result<Vec<BusinessService>> {
    let rows = match q.filter(|q| !q.is_empty()) {
        Some(q) => {
            sqlx::query("SELECT * FROM business_services WHERE name LIKE $1 ESCAPE '\\' ORDER BY name, id")
                .bind(format!("%{}%", escape_like(q)))
                .fetch_all(ex)
                .await?
        }
        None => sqlx::query("SELECT * FROM business_services ORDER BY name, id").fetch_all(ex).await?,
    };
    rows.iter().map(BusinessService::from_row).collect()
}
