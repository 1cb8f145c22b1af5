//! Silences (维护窗口 / 静默) set by hand: label matchers and a time range. A silenced alert
//! is still recorded; it opens no incident and pages nobody while the silence lasts.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::alert::Matcher;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::alert::{self as store, AlertSilence};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    pub matchers: Vec<Matcher>,
    /// Milliseconds since the epoch; absent: now.
    pub starts_at: Option<i64>,
    pub ends_at: i64,
    #[serde(default)]
    pub comment: String,
}

pub async fn list(core: &Core, ctx: &Ctx) -> Result<Vec<AlertSilence>> {
    ctx.authorize(ObjectType::AlertSilence, Action::Read)?;
    Ok(store::silences_after(&core.db.read, core.now_ms()).await?)
}

pub async fn create(core: &Core, ctx: &Ctx, input: NewSilence) -> Result<AlertSilence> {
    let (actor, _) = ctx.authorize(ObjectType::AlertSilence, Action::Create)?;
    let now = core.now_ms();
    let starts_at = input.starts_at.unwrap_or(now);
    let mut errors = Vec::new();
    if input.matchers.is_empty() {
        errors.push(FieldError::new("matchers", "required"));
    }
    for (n, m) in input.matchers.iter().enumerate() {
        if let Err(code) = m.check() {
            errors.push(FieldError::new(format!("matchers[{n}]"), code));
        }
    }
    if input.ends_at <= starts_at.max(now) {
        errors.push(FieldError::new("ends_at", "silence_ends_too_early"));
    }
    if input.comment.chars().count() > 2000 {
        errors.push(FieldError::new("comment", "too_long").with("max", 2000));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors).into());
    }
    let mut s = AlertSilence {
        id: 0,
        matchers: input.matchers,
        starts_at,
        ends_at: input.ends_at,
        comment: input.comment,
        created_by: Some(actor.user_id.0).filter(|a| *a > 0),
        created_at: now,
    };
    let mut tx = core.db.begin().await?;
    s.id = store::insert_silence(&mut tx, &s).await?;
    audit::write(core, &mut tx, ctx, Change::new("alert_silence", s.id, "create").after(&s)).await?;
    core.commit(tx).await?;
    Ok(s)
}

/// Ends the silence now; it stays in the history.
pub async fn expire(core: &Core, ctx: &Ctx, id: i64) -> Result<AlertSilence> {
    ctx.authorize(ObjectType::AlertSilence, Action::Delete)?;
    let before = store::get_silence(&core.db.read, id).await?.ok_or(CoreError::NotFound("alert_silence"))?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::end_silence(&mut tx, id, now).await? {
        return Err(CoreError::Conflict("alert_silence_over"));
    }
    let after = AlertSilence { ends_at: now, ..before.clone() };
    audit::write(core, &mut tx, ctx, Change::new("alert_silence", id, "expire").before(&before).after(&after)).await?;
    core.commit(tx).await?;
    Ok(after)
}
