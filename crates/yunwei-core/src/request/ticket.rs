//! Service requests in the ticket kernel (ADR 0012): how the kernel loads, saves and tells
//! about one. A comment does not change the request itself.

use super::{RequestView, authorize_read, event_for, load, load_read, scope_allows, view};
use crate::notify::Event;
use crate::ticket::Ticket;
use crate::{Core, CoreError, Ctx, Result};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ServiceRequestId, UserId};
use yunwei_domain::permission::Action;
use yunwei_domain::ticket::{SERVICE_REQUEST, TicketKind};
use yunwei_store::Conn;
use yunwei_store::request::{self as store, ServiceRequest};

impl Ticket for ServiceRequest {
    const KIND: &'static TicketKind = &SERVICE_REQUEST;
    const CHANGED: &'static str = "service_request_changed";
    const COMMENTED: EventType = EventType::ServiceRequestCommented;
    crate::ticket::ticket_row!(RequestView, view, store::update);

    /// The indexed text (title, answers) does not change after the request is made.
    fn reindex(_before: &Self, _after: &Self) -> bool {
        false
    }

    async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load(core, conn, ctx, ServiceRequestId(id)).await
    }

    async fn load_read(_core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self> {
        load_read(conn, ctx, ServiceRequestId(id)).await
    }

    fn may_assign(&self, ctx: &Ctx) -> bool {
        scope_allows(ctx, Action::Assign, self)
    }

    /// The desk (update rights on the request) writes replies and work notes; whoever may
    /// read it (the requester, its approvers, its tasks' teams) may reply.
    async fn commenter(&self, ctx: &Ctx, conn: &mut Conn, public: bool) -> Result<bool> {
        ctx.me()?;
        let desk = scope_allows(ctx, Action::Update, self);
        if !(desk || public) {
            return Err(CoreError::Forbidden("service_request:update".into()));
        }
        if !desk {
            authorize_read(ctx, conn, self).await?;
        }
        Ok(desk)
    }

    /// The request's team, and for a reply its requester and watchers too.
    async fn audience(&self, _core: &Core, conn: &mut Conn, public: bool) -> Result<Vec<UserId>> {
        let mut tell: Vec<UserId> = Vec::new();
        if public {
            tell.extend(self.requester_id);
            tell.extend(yunwei_store::ticket::watchers(&mut *conn, &SERVICE_REQUEST, self.id.0).await?);
        }
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
