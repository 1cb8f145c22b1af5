//! Replies and work notes on any ticket: one use case for every kind.

use super::{Effects, Note, Ticket, add_notes, for_kind, save};
use crate::audit::{self, Change};
use crate::notify::emit;
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::ids::UserId;
use yunwei_domain::ticket::TicketKind;
use yunwei_domain::validate::Checker;
use yunwei_store::ticket::Activity;

/// Longest reply or work note.
pub const MAX_COMMENT: usize = 20_000;

/// A reply (`public`, reaches the requester) or a work note (stays with the desk).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Comment {
    pub body: String,
    pub public: bool,
}

/// Adds a reply or work note to the ticket `id` of `kind`; returns it as it now stands on
/// the timeline. Work notes need the right to work on the ticket; a reply also comes from
/// the requester's side (the kind says who that is).
pub async fn comment(core: &Core, ctx: &Ctx, kind: &TicketKind, id: i64, input: Comment) -> Result<Activity> {
    let mut c = Checker::new();
    let body = c.text("body", &input.body, MAX_COMMENT);
    if body.trim().is_empty() {
        c.push(FieldError::new("body", "required"));
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    for_kind!(kind, T => {
        let before = T::load(core, &mut tx, ctx, id).await?;
        comment_on(core, tx, ctx, before, &Comment { body, public: input.public }).await
    })
}

async fn comment_on<T: Ticket>(core: &Core, mut tx: yunwei_store::Tx, ctx: &Ctx, before: T, input: &Comment) -> Result<Activity> {
    let public = input.public;
    let by_desk = before.commenter(ctx, &mut tx, public).await?;
    let actor = ctx.actor_id().map(UserId);
    let mut after = before.clone();
    let saves = after.on_comment(core, &mut tx, public, by_desk).await?;
    let action = if public { "reply" } else { "work_note" };
    let mut to = after.audience(core, &mut tx, public).await?;
    to.retain(|u| Some(*u) != actor);
    let excerpt: String = input.body.chars().take(200).collect();
    let event = after.event(T::COMMENTED, &to, serde_json::json!({ "public": public, "excerpt": excerpt }));
    let notes = vec![Note { kind: action, public, body: &input.body, data: serde_json::json!({}) }];
    if saves {
        save(core, &mut tx, ctx, &before, &mut after, Effects { action, notes, events: vec![event] }).await?;
    } else {
        add_notes::<T>(&mut tx, ctx, after.id(), core.now_ms(), &notes).await?;
        let change = Change::new(T::KIND.object_type, after.id(), action).after(&serde_json::json!({ "public": public }));
        audit::write(core, &mut tx, ctx, change).await?;
        emit(core, &mut tx, ctx, event).await?;
    }
    tx.flush().await?;
    let added = yunwei_store::ticket::activities(&mut *tx, T::KIND, after.id(), true).await?.pop().ok_or(CoreError::NotFound("comment"))?;
    core.commit(tx).await?;
    Ok(added)
}
