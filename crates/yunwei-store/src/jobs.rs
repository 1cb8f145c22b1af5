//! Durable jobs with leases: one-off timers and recurring work, shared by every
//! node on one database without running anything twice.

use crate::table::{LenientJson, Table};
use crate::{Db, Result};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use yunwei_domain::ids::JobId;

table! {
    #[derive(Debug, Clone, Serialize)]
    pub struct Job in "jobs" {
        pub id: JobId,
        pub kind: String,
        pub unique_key: Option<String>,
        pub payload: serde_json::Value as LenientJson,
        pub run_at: i64,
        pub interval_seconds: Option<i64>,
        pub status: String,
        pub attempts: i64,
        pub last_error: Option<String>,
    }
}

/// Schedules a job. With a `unique_key`, an existing job of that key is kept as it is
/// (so every node can declare the recurring jobs at start without duplicating them).
pub async fn schedule(
    conn: &mut AnyConnection,
    kind: &str,
    unique_key: Option<&str>,
    payload: &serde_json::Value,
    run_at: i64,
    interval_seconds: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, unique_key, payload, run_at, interval_seconds, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (unique_key) DO NOTHING",
    )
    .bind(kind)
    .bind(unique_key)
    .bind(payload.to_string())
    .bind(run_at)
    .bind(interval_seconds)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims due jobs for this node until `lease_until`.
pub async fn claim(db: &Db, owner: &str, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Job>> {
    let sql = format!(
        "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, status = 'running', updated_at = $3 WHERE id IN (\
           SELECT id FROM jobs WHERE run_at <= $3 AND (status = 'pending' OR (status = 'running' AND lease_until < $3)) \
           ORDER BY run_at, id LIMIT $4{}) RETURNING *",
        db.skip_locked()
    );
    let rows =
        sqlx::query(AssertSqlSafe(sql)).bind(owner).bind(lease_until).bind(now).bind(limit).fetch_all(&mut *db.writer().await?).await?;
    rows.iter().map(Job::from_row).collect()
}

/// Records that this node runs the job for its due time. False means another
/// node already did (its lease ran out mid-run): the caller must not run it again.
pub async fn start_run(db: &Db, job: &Job, node: &str, now: i64) -> Result<bool> {
    let n = sqlx::query("INSERT INTO job_runs (job_id, scheduled_for, node, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job_id, scheduled_for) DO NOTHING")
        .bind(job.id.0)
        .bind(job.run_at)
        .bind(node)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(n.rows_affected() == 1)
}

/// Ends a run: a recurring job moves to its next due time (skipping missed
/// ones), a one-off job is done, a failed one is retried at `retry_at` or dead.
pub async fn finish(db: &Db, job: &Job, owner: &str, now: i64, error: Option<&str>, retry_at: Option<i64>) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE job_runs SET finished_at = $3, outcome = $4 WHERE job_id = $1 AND scheduled_for = $2")
        .bind(job.id.0)
        .bind(job.run_at)
        .bind(now)
        .bind(error.unwrap_or("ok"))
        .execute(&mut *tx)
        .await?;
    let (status, next_run, last_error) = match (error, retry_at, job.interval_seconds) {
        (Some(_), Some(at), None) => ("pending", at, error),
        // A recurring job moves on to its next due time whether or not this run failed.
        (_, _, Some(every)) => ("pending", next_due(job.run_at, every, now), error),
        (None, _, None) => ("done", job.run_at, None),
        (Some(_), None, None) => ("dead", job.run_at, error),
    };
    sqlx::query("UPDATE jobs SET status = $3, run_at = $4, lease_owner = NULL, lease_until = NULL, last_error = $5, updated_at = $6, attempts = CASE WHEN $7 = 1 THEN 0 ELSE attempts END WHERE id = $1 AND lease_owner = $2")
        .bind(job.id.0)
        .bind(owner)
        .bind(status)
        .bind(next_run)
        .bind(last_error)
        .bind(now)
        .bind(i64::from(error.is_none()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The first due time after `now` on the grid `run_at + k * every`.
fn next_due(run_at: i64, every_seconds: i64, now: i64) -> i64 {
    let step = every_seconds.max(1) * 1000;
    let next = run_at + step;
    if next > now { next } else { next + ((now - next) / step + 1) * step }
}

pub async fn list(db: &Db) -> Result<Vec<Job>> {
    sqlx::query("SELECT * FROM jobs ORDER BY run_at, id LIMIT 500").fetch_all(&db.read).await?.iter().map(Job::from_row).collect()
}

/// How many runs each node made of the jobs of a kind (for the scale-out test and the admin page).
pub async fn runs_by_node(db: &Db, kind: &str) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT r.node, COUNT(*) FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE j.kind = $1 GROUP BY r.node ORDER BY r.node",
    )
    .bind(kind)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}
