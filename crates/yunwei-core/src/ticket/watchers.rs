//! Watchers of a ticket, for every kind: people who hear of its changes without working it.
//! Whoever may read a ticket may watch it themselves; naming someone else (or taking them
//! off) is the desk's (the kind's `assign` right on that record).

use super::{Ticket, for_kind};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use yunwei_domain::ids::UserId;
use yunwei_domain::ticket::TicketKind;
use yunwei_store::ticket as store;

/// The watchers of the ticket `id` of `kind`, if the caller may read it.
pub async fn watchers(core: &Core, ctx: &Ctx, kind: &TicketKind, id: i64) -> Result<Vec<UserId>> {
    let mut rd = core.db.read.acquire().await?;
    for_kind!(kind, T => {
        T::load_read(core, &mut rd, ctx, id).await?;
        Ok(store::watchers(&mut *rd, T::KIND, id).await?)
    })
}

/// Adds or removes the caller (`user` absent or the caller) or, for the desk, anyone as a
/// watcher of the ticket `id` of `kind`; the watchers after the change.
pub async fn set_watching(core: &Core, ctx: &Ctx, kind: &TicketKind, id: i64, user: Option<UserId>, watch: bool) -> Result<Vec<UserId>> {
    let me = ctx.me()?.user_id;
    let target = user.unwrap_or(me);
    let mut tx = core.db.begin().await?;
    for_kind!(kind, T => {
        let t = T::load_read(core, &mut tx, ctx, id).await?;
        if target != me && !t.may_assign(ctx) {
            return Err(CoreError::Forbidden(format!("{}:assign", T::KIND.object_type)));
        }
        if yunwei_store::admin::get_user(&mut *tx, target).await?.is_none() {
            return Err(yunwei_domain::DomainError::field("user_id", "not_found").into());
        }
        let changed = if watch {
            store::add_watcher(&mut tx, T::KIND, id, target).await?
        } else {
            store::remove_watcher(&mut tx, T::KIND, id, target).await?
        };
        if changed {
            let action = if watch { "watch" } else { "unwatch" };
            let change = Change::new(T::KIND.object_type, id, action).after(&serde_json::json!({ "user_id": target }));
            audit::write(core, &mut tx, ctx, change).await?;
        }
        let out = store::watchers(&mut *tx, T::KIND, id).await?;
        core.commit(tx).await?;
        Ok(out)
    })
}
