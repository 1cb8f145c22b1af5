//! The change calendar as an iCalendar feed (CHG-5): written by the same writer as the
//! business calendars' holiday feed (`yunwei_calendar::ics`), with stable UIDs
//! (`change-12@yunwei`, `freeze-month_end-1764518400000@yunwei`). Calendar programs cannot
//! sign in, so each user may hold one secret feed URL; it reads as that user, read-only.

use super::schedule::{ChangeCalendar, calendar};
use crate::context::Via;
use crate::{Core, CoreError, Ctx, Result};
use jiff::Timestamp;
use yunwei_calendar::ics::{TimedEvent, export_events};
use yunwei_domain::change::ChangeState;
use yunwei_domain::change::schedule::FreezeKind;
use yunwei_domain::permission::{Action, ObjectType, TokenScope};

const DAY_MS: i64 = 86_400_000;
/// The feed covers this many days back and ahead of now.
const BACK_DAYS: i64 = 31;
const AHEAD_DAYS: i64 = 180;
const TOKEN_PREFIX: &str = "ywcal_";

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn freeze_word(k: FreezeKind) -> &'static str {
    match k {
        FreezeKind::Named => "named",
        FreezeKind::MonthEnd => "month_end",
        FreezeKind::QuarterEnd => "quarter_end",
        FreezeKind::Holiday => "holiday",
    }
}

/// The calendar as iCalendar text; `english` picks the freezes' names.
pub fn to_ics(cal: &ChangeCalendar, english: bool) -> String {
    let mut events = Vec::with_capacity(cal.changes.len() + cal.freezes.len());
    for c in &cal.changes {
        let status = match c.state {
            ChangeState::PendingApproval => "TENTATIVE",
            _ => "CONFIRMED",
        };
        events.push(TimedEvent {
            uid: format!("change-{}@yunwei", c.change_id.0),
            start: ts(c.window_start),
            end: ts(c.window_end),
            summary: format!("{} {}", c.number, c.title),
            description: format!("{} · {} · {}", c.state, c.change_type, c.risk_level),
            category: "CHANGE".into(),
            status,
            transparent: false,
        });
    }
    for f in &cal.freezes {
        let name = if english && !f.name_en.is_empty() { &f.name_en } else { &f.name };
        events.push(TimedEvent {
            uid: format!("freeze-{}-{}@yunwei", freeze_word(f.kind), f.start),
            start: ts(f.start),
            end: ts(f.end),
            summary: name.clone(),
            description: String::new(),
            category: "FREEZE".into(),
            status: "CONFIRMED",
            transparent: true,
        });
    }
    // The newest edit stamps every event, so an unchanged calendar exports the same bytes.
    let stamp = cal.changes.iter().map(|c| c.updated_at).max().unwrap_or(cal.from);
    export_events(&events, if english { "Change calendar" } else { "变更日历" }, ts(stamp))
}

/// The caller's feed: a month back to half a year ahead of now.
/// Not authorised here: [`calendar`] asks the change policy for reading.
pub async fn feed(core: &Core, ctx: &Ctx, english: bool) -> Result<String> {
    let now = core.now_ms();
    let from = now - now.rem_euclid(DAY_MS) - BACK_DAYS * DAY_MS;
    let cal = calendar(core, ctx, from, from + (BACK_DAYS + AHEAD_DAYS) * DAY_MS).await?;
    Ok(to_ics(&cal, english))
}

/// A feed URL's secret, shown once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedToken {
    pub token: String,
    /// Where calendar programs subscribe (after the server's address).
    pub path: String,
}

/// A new secret feed token for the caller (the old one stops working); shown once.
pub async fn new_feed_token(core: &Core, ctx: &Ctx) -> Result<FeedToken> {
    ctx.authorize(ObjectType::Change, Action::Read)?;
    let me = ctx.me()?.user_id;
    let token = format!("{TOKEN_PREFIX}{}", crate::crypto::random_secret::<32>()?);
    let mut tx = core.db.begin().await?;
    yunwei_store::change::set_feed_token(&mut tx, me, &crate::crypto::sha256_hex(&token), core.now_ms()).await?;
    crate::audit::write(core, &mut tx, ctx, crate::audit::Change::new("change_feed_token", me, "create")).await?;
    core.commit(tx).await?;
    Ok(FeedToken { path: format!("/api/v1/change-calendar/feed/{token}"), token })
}

/// The feed of the user holding `token`, read with their rights and nothing but reading.
pub async fn feed_by_token(core: &Core, meta: crate::context::RequestMeta, token: &str, english: bool) -> Result<String> {
    // An unknown URL is simply not found: nothing to sign in to.
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(CoreError::NotFound("change_feed"));
    }
    let hash = crate::crypto::sha256_hex(token);
    let user = yunwei_store::change::feed_user(&core.db.read, &hash).await?.ok_or(CoreError::NotFound("change_feed"))?;
    let read_only: Vec<TokenScope> = vec!["read".parse().map_err(|e: String| CoreError::Internal(e))?];
    // Not an API token (id 0 names none): the scope keeps the feed to reading.
    let actor = crate::auth::build_actor(core, user, Via::ApiToken { token_id: 0 }, Some(&read_only)).await?;
    let mut ctx = Ctx::anonymous(meta);
    ctx.actor = Some(actor);
    feed(core, &ctx, english).await
}
