//! Incidents in the ticket kernel (ADR 0012): how the kernel loads, saves and tells about
//! one, and what a comment means for its SLA.

use super::{IncidentView, apply_sla, audience, authorize_on, event_for, governing_of, load, load_read, view};
use crate::notify::Event;
use crate::ticket::Ticket;
use crate::{Core, Ctx, Result};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{IncidentId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::ticket::{INCIDENT, TicketKind};
use yunwei_store::Conn;
use yunwei_store::incident::{self as store, Incident};

/// The fields the search index holds (see `search::index_pending`).
fn indexed_text(i: &Incident) -> impl PartialEq + '_ {
    (&i.title, &i.description, &i.ci_ref, &i.location, &i.impact_scope, &i.requester_name, &i.resolution)
}

impl Ticket for Incident {
    const KIND: &'static TicketKind = &INCIDENT;
    const CHANGED: &'static str = "incident_changed";
    const COMMENTED: EventType = EventType::IncidentCommented;
    crate::ticket::ticket_row!(IncidentView, view, store::update);

    fn reindex(before: &Self, after: &Self) -> bool {
        indexed_text(before) != indexed_text(after)
    }

    async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load(core, conn, ctx, IncidentId(id), Action::Read).await
    }

    async fn load_read(_core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load_read(conn, ctx, IncidentId(id), Action::Read).await
    }

    fn may_assign(&self, ctx: &Ctx) -> bool {
        authorize_on(ctx, Action::Assign, self).is_ok()
    }

    /// The requester (or reporter) may always reply on their own incident; anything else
    /// needs update rights. A reply by the requester who is not its assignee is not the desk's.
    async fn commenter(&self, ctx: &Ctx, _conn: &mut Conn, public: bool) -> Result<bool> {
        let actor = ctx.actor_id().map(UserId);
        let requester_reply = public && actor.is_some() && (self.requester_id == actor || self.reporter_id == actor);
        if requester_reply {
            authorize_on(ctx, Action::Read, self)?;
        } else {
            authorize_on(ctx, Action::Update, self)?;
        }
        Ok(!requester_reply || self.assignee_id == actor)
    }

    async fn audience(&self, core: &Core, conn: &mut Conn, public: bool) -> Result<Vec<UserId>> {
        audience(core, conn, self, public).await
    }

    fn event(&self, kind: EventType, recipients: &[UserId], extra: serde_json::Value) -> Event {
        event_for(kind, self, recipients, extra)
    }

    /// The desk's first public reply is the response the SLA waits for. Every comment is an
    /// update of the incident (new version), as it always was.
    async fn on_comment(&mut self, core: &Core, conn: &mut Conn, public: bool, by_desk: bool) -> Result<bool> {
        if public && by_desk && self.responded_at.is_none() {
            self.responded_at = Some(core.now_ms());
            let g = governing_of(core, conn, self).await?;
            apply_sla(g.as_ref(), self, core.now_ms())?;
        }
        Ok(true)
    }
}
