//! Audit use cases: the one way to write an entry (inside the command's
//! transaction), and reading, exporting, verifying and archiving the log.

use crate::{Core, Ctx, Result};
use serde::Serialize;
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_sheet::CsvOut;
use yunwei_store::Stage;
use yunwei_store::audit::{self as store, AuditFilter, AuditRecord, NewAuditEntry, Verification};
use yunwei_store::sql::Page;

/// What changed, for one audit entry.
pub struct Change<'a> {
    pub object_type: &'a str,
    pub object_id: String,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    pub fn new(object_type: &'a str, object_id: impl ToString, action: &'a str) -> Self {
        Self { object_type, object_id: object_id.to_string(), action, before: None, after: None }
    }

    pub fn before(mut self, v: &impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: &impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// Appends an entry in the caller's transaction.
pub(crate) async fn write(core: &Core, tx: &mut impl Stage, ctx: &Ctx, change: Change<'_>) -> Result<()> {
    write_as(core, tx, ctx, ctx.actor_id(), ctx.actor_name(), change).await
}

/// As [`write`], naming the actor explicitly (sign-in, where no one is signed in yet).
pub(crate) async fn write_as(
    core: &Core,
    tx: &mut impl Stage,
    ctx: &Ctx,
    actor_id: Option<i64>,
    actor_name: String,
    change: Change<'_>,
) -> Result<()> {
    let entry = NewAuditEntry {
        seq: 0,
        at_ms: core.now_ms(),
        actor_id,
        actor_name,
        source_ip: ctx.meta.source_ip.clone(),
        user_agent: ctx.meta.user_agent.chars().take(512).collect(),
        object_type: change.object_type.to_string(),
        object_id: change.object_id,
        action: change.action.to_string(),
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
    };
    store::append(tx, entry);
    Ok(())
}

/// A page of the log. Reading the log is itself audited (who looked at what).
pub async fn list(core: &Core, ctx: &Ctx, filter: &AuditFilter, page: &PageRequest) -> Result<Page<AuditRecord>> {
    ctx.authorize(ObjectType::AuditLog, Action::Read)?;
    let found = store::list(&core.db, filter, page).await?;
    let read = serde_json::json!({ "filter": describe(filter), "entries": found.items.len() });
    record(core, ctx, Change::new("audit_log", "*", "read").after(&read)).await?;
    Ok(found)
}

/// The chain, its anchor's archive file and the keyed checkpoints (see [`crate::audit_checkpoint`]).
pub async fn verify(core: &Core, ctx: &Ctx) -> Result<Verification> {
    ctx.authorize(ObjectType::AuditLog, Action::Read)?;
    let v = crate::audit_checkpoint::verify(core).await?;
    // A person asked (the page, the API); the command line only reads, e.g. from cron.
    if ctx.actor_id().is_some() {
        record(core, ctx, Change::new("audit_log", "*", "verify").after(&serde_json::json!({ "intact": v.broken.is_none() }))).await?;
    }
    Ok(v)
}

fn describe(filter: &AuditFilter) -> serde_json::Value {
    serde_json::json!({
        "actor_id": filter.actor_id, "object_type": filter.object_type, "object_id": filter.object_id,
        "action": filter.action, "from_ms": filter.from_ms, "to_ms": filter.to_ms,
    })
}

/// Writes one entry in a transaction of its own (reads and refusals, which change nothing else).
pub(crate) async fn record(core: &Core, ctx: &Ctx, change: Change<'_>) -> Result<()> {
    let mut tx = core.db.begin().await?;
    write(core, &mut tx, ctx, change).await?;
    core.commit(tx).await
}

/// A request refused for want of a permission on a sensitive operation (any write, and reads
/// of administration data): attempts are evidence as much as changes are.
/// Not authorised here: it records a refusal, for whoever was refused.
pub async fn record_forbidden(core: &Core, ctx: &Ctx, method: &str, path: &str, permission: &str) -> Result<()> {
    let what = serde_json::json!({ "method": method, "code": "forbidden", "permission": permission });
    record(core, ctx, Change::new("request", path, "refused").after(&what)).await
}

/// The CSV's columns, in order; [`CsvText`] gives their headings in the reader's language.
pub const CSV_COLUMNS: [&str; 12] =
    ["seq", "time", "actor_id", "actor", "source_ip", "user_agent", "object_type", "object_id", "action", "before", "after", "hash"];

/// How the export speaks to its reader: the column headings, times in the reader's zone, and
/// object types and actions in words. The before/after JSON and the hash stay as recorded:
/// they are the evidence.
pub struct CsvText<'a> {
    pub header: [String; 12],
    pub time: &'a (dyn Fn(i64) -> String + Sync),
    pub object_type: &'a (dyn Fn(&str) -> String + Sync),
    pub action: &'a (dyn Fn(&str) -> String + Sync),
}

/// The filtered log as CSV (formula-escaped). The export itself is audited first.
pub async fn export_csv(core: &Core, ctx: &Ctx, filter: &AuditFilter, text: &CsvText<'_>) -> Result<String> {
    ctx.authorize(ObjectType::AuditLog, Action::Export)?;
    record(core, ctx, Change::new("audit_log", "*", "export").after(&describe(filter))).await?;
    let mut out = CsvOut::new(false);
    out.row(text.header.iter().map(String::as_str));
    store::for_each(&core.db, filter, |r| {
        let e = &r.entry;
        out.row(
            [
                e.seq.to_string(),
                (text.time)(e.at_ms),
                e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                e.actor_name.clone(),
                e.source_ip.clone(),
                e.user_agent.clone(),
                (text.object_type)(&e.object_type),
                e.object_id.clone(),
                (text.action)(&e.action),
                e.before.clone().unwrap_or_default(),
                e.after.clone().unwrap_or_default(),
                r.hash.clone(),
            ]
            .iter()
            .map(String::as_str),
        );
        Ok(())
    })
    .await?;
    Ok(out.into_string())
}

/// Moves entries past the retention period to `data_dir/audit-archive/audit-YYYY.jsonl`.
/// The archive run is itself audited, so the log says what left it and where to.
pub async fn archive_expired(core: &Core) -> Result<i64> {
    let now = core.now_ms();
    let cutoff = now - i64::from(core.config.audit_retention_days) * 86_400_000;
    let year = jiff::Timestamp::from_millisecond(now).map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year()).unwrap_or(0);
    let file = core.config.data_dir.join("audit-archive").join(format!("audit-{year}.jsonl"));
    let moved = store::archive_before(&core.db, cutoff, &file, now).await?;
    if moved > 0 {
        let mut tx = core.db.begin().await?;
        let ctx = Ctx::system();
        write(
            core,
            &mut tx,
            &ctx,
            Change::new("audit_log", "*", "archive")
                .after(&serde_json::json!({ "rows": moved, "file": file.display().to_string(), "before_ms": cutoff })),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(rows = moved, file = %file.display(), "audit entries archived");
    }
    Ok(moved)
}
