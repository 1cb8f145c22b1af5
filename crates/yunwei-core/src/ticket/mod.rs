//! The ticket kernel's use cases (ADR 0012). A kind of ticket declared in
//! `yunwei_domain::ticket` plugs its record into the kernel by implementing [`Ticket`]
//! (how its record is loaded and saved, who works on it, who hears about it) and by one arm
//! in [`for_kind!`]; it then gets comments (replies and work notes), attachments and the
//! shared save (version check, timeline, audit, outbox) from here, so a fix lands for every
//! kind at once.

mod attachments;
mod comment;
mod watchers;

pub use attachments::*;
pub use comment::*;
pub use watchers::*;

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::Serialize;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::UserId;
use yunwei_domain::permission::Action;
use yunwei_domain::ticket::TicketKind;
use yunwei_store::Conn;
use yunwei_store::ticket::NewActivity;

/// What the kernel needs from a kind's record. Implemented in the kind's own core module.
pub(crate) trait Ticket: Clone + Send + Sync + Sized {
    /// The kind's declaration.
    const KIND: &'static TicketKind;
    /// The conflict code when the record changed under the caller (`incident_changed`).
    const CHANGED: &'static str;
    /// The event of a new reply or work note.
    const COMMENTED: EventType;
    /// What the API shows (and the audit entry records) of the record.
    type View: Serialize;

    fn id(&self) -> i64;
    fn version(&self) -> i64;
    fn view(&self) -> Result<Self::View>;
    /// Sets the time of the change and the new version before the write.
    fn stamp(&mut self, now: i64, version: i64);
    /// Writes the record if it is still at `expected` version.
    async fn update(tx: &mut yunwei_store::Tx, after: &Self, expected: i64) -> Result<bool>;
    /// Whether the search document must be rebuilt after this change.
    fn reindex(before: &Self, after: &Self) -> bool;

    /// The record, locked for a command; refused (403) before the lookup when the caller may
    /// not read any record of the kind. The record itself is checked by the caller.
    async fn load(core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self>;
    /// The record as it is, for a query, if the caller may read it.
    async fn load_read(core: &Core, conn: &mut Conn, ctx: &Ctx, id: i64) -> Result<Self>;
    /// May the caller comment (`public`: a reply; else a work note) or add a file (as a
    /// reply)? `Ok(true)` when they answer as the desk, `Ok(false)` as the requester's side.
    async fn commenter(&self, ctx: &Ctx, conn: &mut Conn, public: bool) -> Result<bool>;
    /// May the caller name others as watchers (or take them off)? The kind's `assign` right on the record.
    fn may_assign(&self, ctx: &Ctx) -> bool;
    /// Who hears of a reply (`public`) or a work note.
    async fn audience(&self, core: &Core, conn: &mut Conn, public: bool) -> Result<Vec<UserId>>;
    /// An event about the record with its usual payload and `extra`.
    fn event(&self, kind: EventType, recipients: &[UserId], extra: serde_json::Value) -> Event;
    /// What a comment changes on the record itself (an incident's first response); whether
    /// the comment is saved as an update of the record (new version, audit before and after).
    async fn on_comment(&mut self, core: &Core, conn: &mut Conn, public: bool, by_desk: bool) -> Result<bool>;
}

/// Calls `$body` with `$t` the [`Ticket`] type of `$kind`; an undeclared kind is not found.
macro_rules! for_kind {
    ($kind:expr, $t:ident => $body:expr) => {
        match $kind.object {
            yunwei_domain::permission::ObjectType::Incident => {
                type $t = yunwei_store::incident::Incident;
                $body
            }
            yunwei_domain::permission::ObjectType::ServiceRequest => {
                type $t = yunwei_store::request::ServiceRequest;
                $body
            }
            yunwei_domain::permission::ObjectType::Change => {
                type $t = yunwei_store::change::Change;
                $body
            }
            yunwei_domain::permission::ObjectType::Problem => {
                type $t = yunwei_store::problem::Problem;
                $body
            }
            _ => Err($crate::CoreError::NotFound("ticket_kind")),
        }
    };
}
pub(crate) use for_kind;

/// The row plumbing of a [`Ticket`] impl for a record with `id`, `version` and `updated_at`
/// fields: its view and its store update (`ticket_row!(IncidentView, view, store::update)`).
macro_rules! ticket_row {
    ($view:ty, $view_fn:path, $update:path) => {
        type View = $view;

        fn id(&self) -> i64 {
            self.id.0
        }

        fn version(&self) -> i64 {
            self.version
        }

        fn view(&self) -> $crate::Result<$view> {
            $view_fn(self)
        }

        fn stamp(&mut self, now: i64, version: i64) {
            self.updated_at = now;
            self.version = version;
        }

        async fn update(tx: &mut yunwei_store::Tx, after: &Self, expected: i64) -> $crate::Result<bool> {
            Ok($update(tx, after, expected).await?)
        }
    };
}
pub(crate) use ticket_row;

/// One timeline entry a command adds.
pub(crate) struct Note<'a> {
    pub kind: &'a str,
    pub public: bool,
    pub body: &'a str,
    pub data: serde_json::Value,
}

/// What a save leaves besides the row: the audit action, timeline entries and events.
pub(crate) struct Effects<'a> {
    pub action: &'a str,
    pub notes: Vec<Note<'a>>,
    pub events: Vec<Event>,
}

/// Writes a changed record of any kind: the optimistic version check (409 `CHANGED` when
/// someone else saved first), the search document, its timeline entries, the audit entry
/// (before and after) and the events, all in the caller's transaction.
pub(crate) async fn save<T: Ticket>(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    before: &T,
    after: &mut T,
    fx: Effects<'_>,
) -> Result<()> {
    let now = core.now_ms();
    after.stamp(now, before.version() + 1);
    if !T::update(tx, after, before.version()).await? {
        return Err(CoreError::Conflict(T::CHANGED));
    }
    if T::reindex(before, after) {
        yunwei_store::search::enqueue(tx, T::KIND, after.id()).await?;
    }
    add_notes::<T>(tx, ctx, after.id(), now, &fx.notes).await?;
    let change = Change::new(T::KIND.object_type, after.id(), fx.action).before(&before.view()?).after(&after.view()?);
    audit::write(core, tx, ctx, change).await?;
    for e in fx.events {
        emit(core, tx, ctx, e).await?;
    }
    Ok(())
}

/// Stages timeline entries by the caller.
pub(crate) async fn add_notes<T: Ticket>(tx: &mut yunwei_store::Tx, ctx: &Ctx, id: i64, now: i64, notes: &[Note<'_>]) -> Result<()> {
    for n in notes {
        let a = NewActivity {
            ticket_id: id,
            at: now,
            actor_id: ctx.actor_id().map(UserId),
            kind: n.kind,
            public: n.public,
            body: n.body,
            data: n.data.clone(),
        };
        yunwei_store::ticket::add_activity(tx, T::KIND, &a).await?;
    }
    Ok(())
}

/// The comment rule of kinds a team works (changes, problems): whoever may update the record
/// writes work notes and replies as the desk (`Ok(true)`); whoever may only read it replies.
pub(crate) fn desk_or_reader(ctx: &Ctx, object: &str, public: bool, may: impl Fn(Action) -> bool) -> Result<bool> {
    ctx.me()?;
    let desk = may(Action::Update);
    if !(desk || public) {
        return Err(CoreError::Forbidden(format!("{object}:update")));
    }
    if !desk && !may(Action::Read) {
        return Err(CoreError::Forbidden(format!("{object}:read")));
    }
    Ok(desk)
}
