//! Alert routing rules as data: label matchers tried in order, the first rule whose matchers
//! all match decides the team, the escalation policy and (if set) the severity of the
//! alert's incident. A rule without matchers matches every alert (the default route); with no
//! rule matching, the integration's team and that team's policy apply.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yunwei_domain::alert::{Matcher, Severity};
use yunwei_domain::ids::TeamId;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::escalation::{self as store, AlertRoute};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteInput {
    pub name: String,
    /// Lower first; equal positions in the order they were made.
    pub position: i64,
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    pub team_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub severity: Option<Severity>,
    /// For an update: the version read.
    pub version: Option<i64>,
}

/// The first route whose matchers all match the labels (none: matches everything).
pub fn first_match<'a>(routes: &'a [AlertRoute], labels: &BTreeMap<String, String>) -> Option<&'a AlertRoute> {
    routes.iter().find(|r| r.matchers.iter().all(|m| m.matches(labels)))
}

pub async fn list(core: &Core, ctx: &Ctx) -> Result<Vec<AlertRoute>> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Read)?;
    Ok(store::routes(&core.db.read).await?)
}

async fn check(conn: &mut yunwei_store::Conn, input: &RouteInput) -> Result<String> {
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    if input.matchers.len() > 20 {
        c.push(FieldError::new("matchers", "too_many").with("max", 20));
    }
    for (n, m) in input.matchers.iter().enumerate() {
        if let Err(code) = m.check() {
            c.push(FieldError::new(format!("matchers[{n}]"), code));
        }
    }
    if !(0..=1_000_000).contains(&input.position) {
        c.push(FieldError::new("position", "out_of_range").with("min", 0).with("max", 1_000_000));
    }
    if let Some(t) = input.team_id
        && yunwei_store::admin::get_team(&mut *conn, TeamId(t)).await?.is_none()
    {
        c.push(FieldError::new("team_id", "not_found"));
    }
    if let Some(p) = input.policy_id
        && store::policy(&mut *conn, p).await?.is_none()
    {
        c.push(FieldError::new("policy_id", "not_found"));
    }
    c.finish()?;
    Ok(name)
}

pub async fn create(core: &Core, ctx: &Ctx, input: RouteInput) -> Result<AlertRoute> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let name = check(&mut tx, &input).await?;
    let now = core.now_ms();
    let mut r = AlertRoute {
        id: 0,
        position: input.position,
        name,
        matchers: input.matchers,
        team_id: input.team_id,
        policy_id: input.policy_id,
        severity: input.severity,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    r.id = store::insert_route(&mut tx, &r).await?;
    audit::write(core, &mut tx, ctx, Change::new("alert_route", r.id, "create").after(&r)).await?;
    core.commit(tx).await?;
    Ok(r)
}

pub async fn update(core: &Core, ctx: &Ctx, id: i64, input: RouteInput) -> Result<AlertRoute> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let before = store::route(&mut *tx, id).await?.ok_or(CoreError::NotFound("alert_route"))?;
    let name = check(&mut tx, &input).await?;
    let Some(version) = input.version else {
        return Err(DomainError::Validation(vec![FieldError::new("version", "required")]).into());
    };
    let after = AlertRoute {
        position: input.position,
        name,
        matchers: input.matchers,
        team_id: input.team_id,
        policy_id: input.policy_id,
        severity: input.severity,
        updated_at: core.now_ms(),
        version: version + 1,
        ..before.clone()
    };
    if version != before.version || !store::update_route(&mut tx, &after, version).await? {
        return Err(CoreError::Conflict("alert_route_changed"));
    }
    audit::write(core, &mut tx, ctx, Change::new("alert_route", id, "update").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}

pub async fn delete(core: &Core, ctx: &Ctx, id: i64) -> Result<AlertRoute> {
    ctx.authorize(ObjectType::AlertIntegration, Action::Update)?;
    let mut tx = core.db.begin().await?;
    let before = store::route(&mut *tx, id).await?.ok_or(CoreError::NotFound("alert_route"))?;
    store::delete_route(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("alert_route", id, "delete").before(&before)).await?;
    core.commit(tx).await?;
    Ok(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(id: i64, matchers: &[(&str, &str, &str)]) -> AlertRoute {
        let matchers = matchers.iter().map(|(n, o, v)| Matcher { name: n.to_string(), op: o.to_string(), value: v.to_string() }).collect();
        AlertRoute { id, matchers, ..AlertRoute::default() }
    }

    #[test]
    fn the_first_matching_route_wins_and_an_empty_one_takes_the_rest() {
        let routes = [
            route(1, &[("service", "=", "核心账务"), ("env", "!=", "test")]),
            route(2, &[("instance", "=~", "10\\.1\\..*")]),
            route(3, &[("team", "!~", "db.*"), ("instance", "=~", ".*")]),
            route(4, &[]),
        ];
        let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
        let hit = |l: &BTreeMap<String, String>| first_match(&routes, l).map(|r| r.id);
        assert_eq!(hit(&labels(&[("service", "核心账务"), ("instance", "10.1.0.1")])), Some(1));
        assert_eq!(hit(&labels(&[("service", "核心账务"), ("env", "test"), ("instance", "10.1.0.1")])), Some(2));
        assert_eq!(hit(&labels(&[("team", "dba"), ("instance", "10.2.0.1")])), Some(4));
        assert_eq!(hit(&labels(&[("team", "net"), ("instance", "10.2.0.1")])), Some(3));
        assert_eq!(first_match(&routes[..3], &labels(&[("team", "dba")])).map(|r| r.id), None);
    }
}
