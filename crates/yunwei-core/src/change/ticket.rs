//! Changes in the ticket kernel (ADR 0012): how the kernel loads, saves and tells about one.
//! A comment does not change the change itself; changes have no search document yet.

use super::{ChangeView, event_for, load, load_read, scope_allows, view};
use crate::notify::Event;
use crate::ticket::Ticket;
use crate::{Core, Ctx, Result};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ChangeId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::ticket::{CHANGE, TicketKind};
use yunwei_store::Conn;
use yunwei_store::change::{self as store, Change};

impl Ticket for Change {
    const KIND: &'static TicketKind = &CHANGE;
    const CHANGED: &'static str = "change_changed";
    const COMMENTED: EventType = EventType::ChangeCommented;
    crate::ticket::ticket_row!(ChangeView, view, store::update);

    fn reindex(_before: &Self, _after: &Self) -> bool {
        false
    }

    async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load(core, conn, ctx, ChangeId(id), Action::Read).await
    }

    async fn load_read(_core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load_read(conn, ctx, ChangeId(id)).await
    }

    fn may_assign(&self, ctx: &Ctx) -> bool {
        scope_allows(ctx, Action::Assign, self)
    }

    /// Whoever may update the change writes work notes and replies; whoever may read it
    /// (approvers, the CAB) replies.
    async fn commenter(&self, ctx: &Ctx, _conn: &mut Conn, public: bool) -> Result<bool> {
        crate::ticket::desk_or_reader(ctx, "change", public, |action| scope_allows(ctx, action, self))
    }

    /// The requester, implementer and watchers, and the change's team.
    async fn audience(&self, _core: &Core, conn: &mut Conn, _public: bool) -> Result<Vec<UserId>> {
        let mut tell: Vec<UserId> = [self.requester_id, self.implementer_id].into_iter().flatten().collect();
        tell.extend(yunwei_store::ticket::watchers(&mut *conn, &CHANGE, self.id.0).await?);
        if let Some(t) = self.team_id {
            tell.extend(yunwei_store::admin::team_members(&mut *conn, t).await?);
        }
        tell.sort();
        tell.dedup();
        Ok(tell)
    }

    fn event(&self, kind: EventType, recipients: &[UserId], extra: serde_json::Value) -> Event {
        event_for(kind, self, recipients, extra)
    }

    async fn on_comment(&mut self, _core: &Core, _conn: &mut Conn, _public: bool, _by_desk: bool) -> Result<bool> {
        Ok(false)
    }
}
