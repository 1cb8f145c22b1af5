//! The durable scheduler: jobs live in the database and are claimed with
//! leases, so any number of nodes share them and none runs twice.

use crate::audit::{self, Change};
use crate::{Core, Ctx, Result};
use std::time::Duration;
use yunwei_domain::FieldError;
use yunwei_domain::event::retry_delay_seconds;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::jobs::{self as store, Job};

const LEASE_MS: i64 = 5 * 60_000;

/// Recurring housekeeping every node declares at start (kept once by unique key).
/// `incident.major_updates` looks for late stakeholder updates every half minute; what is due is stored
/// on the major incident, so the job itself carries no state. `cmdb.discovery_stale` flags the CIs
/// a discovery source stopped reporting. `asset.reminders` sends licence and warranty expiry
/// reminders (each once per record and date).
const RECURRING: &[(&str, i64)] = &[
    ("audit.archive", 86_400),
    ("sessions.purge", 600),
    ("idempotency.purge", 3_600),
    ("incident.major_updates", 30),
    ("cmdb.discovery_stale", 300),
    ("asset.reminders", 3_600),
    ("problem.suggest", 600),
    ("knowledge.review_due", 3_600),
];

pub async fn declare_recurring(core: &Core) -> Result<()> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    for (kind, every) in RECURRING {
        store::schedule(&mut tx, kind, Some(kind), &serde_json::json!({}), now + 60_000, Some(*every), now).await?;
    }
    if let Some(m) = &core.config.mail_in {
        let every = i64::try_from(m.poll_seconds.max(5)).unwrap_or(60);
        store::schedule(&mut tx, "mail_in.poll", Some("mail_in.poll"), &serde_json::json!({}), now, Some(every), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn run_scheduler(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let busy = match run_due(&core).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "scheduler round failed");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// SQLite only: copies the WAL back into the database file from a read connection every
/// 50 ms (a passive checkpoint waits for no one), so that the automatic checkpoint SQLite
/// runs on the writer at every 1,000 pages finds little left to copy and holds commands up
/// less (ADR 0006).
pub async fn run_wal_checkpointer(core: Core, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    if core.db.backend != yunwei_store::Backend::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = yunwei_store::checkpoint_passive(&core.db).await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// Claims and runs due jobs once. Returns how many it claimed.
pub async fn run_due(core: &Core) -> Result<usize> {
    let now = core.now_ms();
    let jobs = store::claim(&core.db, &core.node_id, now, now + LEASE_MS, 10).await?;
    for job in &jobs {
        if !store::start_run(&core.db, job, &core.node_id, core.now_ms()).await? {
            continue; // another node already ran this due time
        }
        let outcome = run_job(core, job).await;
        let error = outcome.as_ref().err().map(|e| e.to_string());
        if let Some(e) = &error {
            tracing::warn!(job = job.id.0, kind = %job.kind, error = %e, "job failed");
        }
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        let retry_at = (error.is_some() && attempts < 10).then(|| core.now_ms() + retry_delay_seconds(attempts) * 1000);
        store::finish(&core.db, job, &core.node_id, core.now_ms(), error.as_deref(), retry_at).await?;
    }
    Ok(jobs.len())
}

async fn run_job(core: &Core, job: &Job) -> Result<()> {
    match job.kind.as_str() {
        "audit.archive" => crate::audit::archive_expired(core).await.map(drop),
        "sessions.purge" => crate::auth::purge_sessions(core).await.map(drop),
        "idempotency.purge" => yunwei_store::idempotency::purge_before(&mut *core.db.writer().await?, core.now_ms() - 86_400_000)
            .await
            .map(drop)
            .map_err(Into::into),
        "mail_in.poll" => {
            let report = crate::mail_in::poll_once(core).await?;
            if report.fetched > 0 {
                tracing::info!(?report, "mail in");
            }
            Ok(())
        }
        "incident.major_updates" => crate::incident::major::remind_late_updates(core).await.map(drop),
        "cmdb.discovery_stale" => crate::cmdb::discovery::flag_stale(core).await.map(drop),
        "asset.reminders" => crate::asset::reminders::send_due(core).await.map(drop),
        "problem.suggest" => crate::problem::scan(core).await.map(drop),
        "knowledge.review_due" => crate::knowledge::edit::remind_due(core).await.map(drop),
        crate::escalation::engine::JOB_KIND | "alert.recheck" => {
            let Some(id) = job.payload.get("id").and_then(serde_json::Value::as_i64) else { return Ok(()) };
            if job.kind == "alert.recheck" {
                crate::alert::process::recheck(core, id).await
            } else {
                crate::escalation::engine::run(core, id).await
            }
        }
        "sla.rebuild" => {
            let id = |k: &str| job.payload.get(k).and_then(serde_json::Value::as_i64);
            crate::incident::rebuild_slas(core, id("policy_id"), id("calendar_id")).await.map(drop)
        }
        // A probe leaves its run record (and may hold its lease a moment, like real work):
        // it proves the scheduler works and shares work between nodes.
        "system.probe" => {
            let hold = job.payload.get("hold_ms").and_then(serde_json::Value::as_u64).unwrap_or(0).min(1000);
            tokio::time::sleep(Duration::from_millis(hold)).await;
            Ok(())
        }
        other => Err(crate::CoreError::Internal(format!("unknown job kind {other}"))),
    }
}

/// Schedules `count` probe jobs due now (a self-test of the scheduler, also across nodes).
pub async fn schedule_probes(core: &Core, ctx: &Ctx, count: i64, hold_ms: i64) -> Result<i64> {
    ctx.authorize(ObjectType::Job, Action::Create)?;
    let mut c = Checker::new();
    if !(1..=1000).contains(&count) {
        c.push(FieldError::new("count", "out_of_range").with("min", 1).with("max", 1000));
    }
    if !(0..=1000).contains(&hold_ms) {
        c.push(FieldError::new("hold_ms", "out_of_range").with("min", 0).with("max", 1000));
    }
    c.finish()?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    for _ in 0..count {
        store::schedule(&mut tx, "system.probe", None, &serde_json::json!({ "hold_ms": hold_ms }), now, None, now).await?;
    }
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("job", "system.probe", "create").after(&serde_json::json!({ "count": count, "hold_ms": hold_ms })),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

pub async fn list_jobs(core: &Core, ctx: &Ctx) -> Result<Vec<Job>> {
    ctx.authorize(ObjectType::Job, Action::Read)?;
    Ok(store::list(&core.db).await?)
}

pub async fn runs_by_node(core: &Core, ctx: &Ctx, kind: &str) -> Result<Vec<(String, i64)>> {
    ctx.authorize(ObjectType::Job, Action::Read)?;
    Ok(store::runs_by_node(&core.db, kind).await?)
}
