//! iCalendar feeds of duty shifts (RFC 5545, written by `yunwei_calendar::ics`): one per
//! schedule and one per person ("my shifts"). Calendar applications cannot sign in, so each
//! person makes a secret that goes in the URL; only its hash is kept, a new one replaces the
//! old, and the feed answers with what its owner may read *now* (a disabled account or a
//! lost `duty:read` ends it).

use super::cache::roster_at;
use super::schedule::names;
use crate::audit::{self, Change};
use crate::auth::build_actor;
use crate::context::Via;
use crate::crypto::{random_secret, sha256_hex};
use crate::{Core, CoreError, Ctx, Result};
use jiff::Timestamp;
use serde::Serialize;
use yunwei_calendar::ics::{TimedEvent, export_events};
use yunwei_domain::ids::{DutyScheduleId, UserId};
use yunwei_domain::permission::{Action, ObjectType, TokenScope};
use yunwei_store::duty as store;
use yunwei_store::duty_log as log_store;

pub const FEED_PREFIX: &str = "ywcal_";
const DAY_MS: i64 = 86_400_000;
/// A feed covers the past month and the coming half-year.
const BACK_DAYS: i64 = 30;
const AHEAD_DAYS: i64 = 183;

#[derive(Debug, Clone, Serialize)]
pub struct FeedSecret {
    /// Shown once; the feed URLs carry it.
    pub secret: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedState {
    /// When the current secret was made; none: no feed yet.
    pub created_at: Option<i64>,
}

/// Makes (or replaces) the caller's feed secret. Needs `duty:read`.
pub async fn new_secret(core: &Core, ctx: &Ctx) -> Result<FeedSecret> {
    let (me, _) = ctx.authorize(ObjectType::Duty, Action::Read)?;
    let user = me.user_id;
    let secret = format!("{FEED_PREFIX}{}", random_secret::<32>()?);
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    log_store::replace_feed_token(&mut tx, user, &sha256_hex(&secret), now).await?;
    // The secret itself is never audited, only that a new one exists.
    audit::write(core, &mut tx, ctx, Change::new("duty_feed", user, "rotate_token").after(&serde_json::json!({ "created_at": now })))
        .await?;
    core.commit(tx).await?;
    Ok(FeedSecret { secret, created_at: now })
}

/// Whether the caller has a feed secret, and since when.
pub async fn state(core: &Core, ctx: &Ctx) -> Result<FeedState> {
    let (me, _) = ctx.authorize(ObjectType::Duty, Action::Read)?;
    Ok(FeedState { created_at: log_store::feed_token_made(&core.db.read, me.user_id).await? })
}

/// The feed's owner as a read-only caller, or `NotFound("duty_feed")` for any secret that
/// is not a current one (an unknown URL says nothing about why).
async fn owner(core: &Core, secret: &str) -> Result<Ctx> {
    if !secret.starts_with(FEED_PREFIX) || secret.len() != FEED_PREFIX.len() + 64 {
        return Err(CoreError::NotFound("duty_feed"));
    }
    let (user, _) = log_store::feed_owner(&core.db.read, &sha256_hex(secret)).await?.ok_or(CoreError::NotFound("duty_feed"))?;
    let read: TokenScope = "duty:read".parse().map_err(|_| CoreError::Internal("duty:read scope".into()))?;
    let actor = build_actor(core, user, Via::Feed, Some(&[read])).await.map_err(|_| CoreError::NotFound("duty_feed"))?;
    Ok(Ctx { actor: Some(actor), meta: Default::default() })
}

fn zh(ctx: &Ctx) -> bool {
    ctx.actor.as_ref().is_none_or(|a| a.locale.starts_with("zh"))
}

fn window(core: &Core) -> (i64, i64) {
    let now = core.now_ms();
    (now - BACK_DAYS * DAY_MS, now + AHEAD_DAYS * DAY_MS)
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or_default()
}

/// One schedule's shifts with the people on call, by the feed's secret.
pub async fn schedule_feed(core: &Core, secret: &str, id: DutyScheduleId) -> Result<String> {
    let ctx = owner(core, secret).await?;
    ctx.authorize(ObjectType::Duty, Action::Read)?;
    let schedule = store::get_schedule(&core.db.read, id).await?.ok_or(CoreError::NotFound("duty_schedule"))?;
    let (from, to) = window(core);
    let roster = roster_at(core, id, from).await?;
    let shifts = roster.shifts(from, to);
    let mut people: Vec<UserId> = shifts.iter().flat_map(|s| s.on_call.users.iter().map(|u| UserId(*u))).collect();
    people.sort_unstable();
    people.dedup();
    let mut conn = core.db.read.acquire().await?;
    let named = names(&mut conn, people).await?;
    let (label, sep) = if zh(&ctx) { ("值班：", "、") } else { ("On call: ", ", ") };
    let events: Vec<TimedEvent> = shifts
        .iter()
        .filter(|s| !s.on_call.users.is_empty())
        .map(|s| {
            let who: Vec<String> =
                s.on_call.users.iter().map(|u| named.get(&UserId(*u)).cloned().unwrap_or_else(|| format!("#{u}"))).collect();
            TimedEvent {
                uid: format!("duty-s{}-{}@yunwei", id.0, s.starts.as_millisecond()),
                start: s.starts,
                end: s.ends,
                summary: format!("{label}{}", who.join(sep)),
                description: schedule.name.clone(),
                category: "DUTY".into(),
                status: "CONFIRMED",
                transparent: false,
            }
        })
        .collect();
    Ok(export_events(&events, &schedule.name, ts(schedule.updated_at)))
}

/// The feed owner's own shifts on every schedule they are on, merged where one shift runs
/// into the next.
pub async fn my_feed(core: &Core, secret: &str) -> Result<String> {
    let ctx = owner(core, secret).await?;
    let (me, _) = ctx.authorize(ObjectType::Duty, Action::Read)?;
    let user = me.user_id;
    let (from, to) = window(core);
    let ids = store::schedules_of(&core.db.read, user, from).await?;
    let zh = zh(&ctx);
    let mut events = Vec::new();
    let mut stamp = 0;
    for id in ids {
        let Some(schedule) = store::get_schedule(&core.db.read, id).await? else { continue };
        stamp = stamp.max(schedule.updated_at);
        let roster = roster_at(core, id, from).await?;
        let mut mine: Vec<(Timestamp, Timestamp)> = Vec::new();
        for s in roster.shifts(from, to).iter().filter(|s| s.on_call.users.contains(&user.0)) {
            match mine.last_mut() {
                Some(last) if last.1 == s.starts => last.1 = s.ends,
                _ => mine.push((s.starts, s.ends)),
            }
        }
        let summary = if zh { format!("{} 值班", schedule.name) } else { format!("On call: {}", schedule.name) };
        events.extend(mine.into_iter().map(|(starts, ends)| TimedEvent {
            uid: format!("duty-s{}-u{}-{}@yunwei", id.0, user.0, starts.as_millisecond()),
            start: starts,
            end: ends,
            summary: summary.clone(),
            description: String::new(),
            category: "DUTY".into(),
            status: "CONFIRMED",
            transparent: false,
        }));
    }
    events.sort_by_key(|e| e.start);
    let title = if zh { format!("{} 的值班", me.display_name) } else { format!("{}'s shifts", me.display_name) };
    Ok(export_events(&events, &title, ts(stamp)))
}
