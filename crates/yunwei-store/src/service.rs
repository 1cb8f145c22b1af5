//! Business services (业务服务): what incidents affect, SLAs cover and
//! availability is measured for. Each has its CI in the CMDB (`ci_id`).

use crate::Result;
use crate::admin::escape_like;
use crate::table::{Table, insert_returning_key, update_row};
use serde::Serialize;
use sqlx::{AnyConnection, Executor};
use yunwei_domain::ids::{CiId, ServiceId, TeamId};

type Any = sqlx::Any;

table! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct BusinessService in "business_services" {
        pub id: ServiceId,
        pub name: String,
        /// English name; empty: English readers see `name`.
        pub name_en: String,
        pub code: Option<String>,
        pub description: String,
        /// Incidents on this service go to this team unless their category names one.
        pub team_id: Option<TeamId>,
        pub downtime_budget_minutes: i64,
        pub active: bool,
        pub created_at: i64,
        pub updated_at: i64,
        /// The service's CI (class `business_service`); kept in step with its name and team.
        pub ci_id: Option<CiId>,
    }
}

pub struct ServiceFields {
    pub name: String,
    pub name_en: String,
    pub code: Option<String>,
    pub description: String,
    pub team_id: Option<TeamId>,
    pub downtime_budget_minutes: i64,
    pub active: bool,
}

impl ServiceFields {
    fn row(&self, id: ServiceId, now: i64) -> BusinessService {
        BusinessService {
            id,
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            code: self.code.clone(),
            description: self.description.clone(),
            team_id: self.team_id,
            downtime_budget_minutes: self.downtime_budget_minutes,
            active: self.active,
            created_at: now,
            updated_at: now,
            ci_id: None,
        }
    }
}

pub async fn insert(conn: &mut AnyConnection, f: &ServiceFields, now: i64) -> Result<ServiceId> {
    Ok(ServiceId(insert_returning_key(conn, &f.row(ServiceId(0), now)).await?))
}

pub async fn update(conn: &mut AnyConnection, id: ServiceId, f: &ServiceFields, now: i64) -> Result<bool> {
    let cols = ["name", "name_en", "code", "description", "team_id", "downtime_budget_minutes", "active", "updated_at"];
    update_row(conn, &f.row(id, now), &cols, None).await
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
            sqlx::query("SELECT * FROM business_services WHERE name LIKE $1 ESCAPE '\\' OR name_en LIKE $1 ESCAPE '\\' ORDER BY name, id")
                .bind(format!("%{}%", escape_like(q)))
                .fetch_all(ex)
                .await?
        }
        None => sqlx::query("SELECT * FROM business_services ORDER BY name, id").fetch_all(ex).await?,
    };
    rows.iter().map(BusinessService::from_row).collect()
}

/// Links a service to its CI.
pub async fn set_ci(conn: &mut AnyConnection, id: ServiceId, ci: CiId) -> Result<()> {
    sqlx::query("UPDATE business_services SET ci_id = $1 WHERE id = $2").bind(ci.0).bind(id.0).execute(conn).await?;
    Ok(())
}
