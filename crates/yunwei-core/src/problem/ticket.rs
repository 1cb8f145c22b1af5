//! Problems in the ticket kernel (ADR 0012): how the kernel loads, saves and tells about one.
//! Problems are internal records: only those who may read problems comment on them.

use super::{ProblemView, event_for, load, load_read, scope_allows, view};
use crate::notify::Event;
use crate::ticket::Ticket;
use crate::{Core, Ctx, Result};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ProblemId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::ticket::{PROBLEM, TicketKind};
use yunwei_store::Conn;
use yunwei_store::problem::{self as store, Problem};

impl Ticket for Problem {
    const KIND: &'static TicketKind = &PROBLEM;
    const CHANGED: &'static str = "problem_changed";
    const COMMENTED: EventType = EventType::ProblemCommented;
    crate::ticket::ticket_row!(ProblemView, view, store::update);

    /// The search document holds the title, description, CI text and the known error.
    fn reindex(before: &Self, after: &Self) -> bool {
        (&before.title, &before.description, &before.ci_ref, &before.symptom, &before.root_cause, &before.workaround)
            != (&after.title, &after.description, &after.ci_ref, &after.symptom, &after.root_cause, &after.workaround)
    }

    async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load(core, conn, ctx, ProblemId(id), Action::Read).await
    }

    async fn load_read(_core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load_read(conn, ctx, ProblemId(id)).await
    }

    fn may_assign(&self, ctx: &Ctx) -> bool {
        scope_allows(ctx, Action::Assign, self)
    }

    /// Whoever may update the problem writes work notes and replies; readers reply.
    async fn commenter(&self, ctx: &Ctx, _conn: &mut Conn, public: bool) -> Result<bool> {
        crate::ticket::desk_or_reader(ctx, "problem", public, |action| scope_allows(ctx, action, self))
    }

    /// The owner and watchers, and the problem's team.
    async fn audience(&self, _core: &Core, conn: &mut Conn, _public: bool) -> Result<Vec<UserId>> {
        let mut tell: Vec<UserId> = self.owner_id.into_iter().collect();
        tell.extend(yunwei_store::ticket::watchers(&mut *conn, &PROBLEM, self.id.0).await?);
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
