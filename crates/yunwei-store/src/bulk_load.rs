//! Fast bulk loading (demo data, imports): secondary indexes are dropped for the
//! load and rebuilt once afterwards, SQLite skips fsync while loading, and FTS5
//! merges its segments once at the end instead of after every insert.

use crate::{Backend, Result};
use sqlx::{AnyConnection, Row};

/// Index definitions (name, CREATE statement) taken off tables for a load.
#[derive(Debug, Default)]
pub struct SuspendedIndexes(Vec<(String, String)>);

/// Drops the secondary (non-primary-key, non-unique-constraint) indexes of `tables`
/// and returns their definitions so that [`restore`] can rebuild them.
pub async fn suspend(conn: &mut AnyConnection, backend: Backend, tables: &[&str]) -> Result<SuspendedIndexes> {
    let mut defs = Vec::new();
    for table in tables {
        let rows = match backend {
            Backend::Sqlite => {
                sqlx::query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'")
                    .bind(*table)
                    .fetch_all(&mut *conn)
                    .await?
            }
            Backend::Postgres => {
                sqlx::query(
                    "SELECT i.indexname::text AS name, i.indexdef AS sql FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname \
                     JOIN pg_index x ON x.indexrelid = c.oid WHERE i.schemaname = current_schema() AND i.tablename = $1 \
                     AND NOT x.indisprimary AND NOT x.indisunique",
                )
                .bind(*table)
                .fetch_all(&mut *conn)
                .await?
            }
        };
        for r in rows {
            defs.push((r.try_get::<String, _>("name")?, r.try_get::<String, _>("sql")?));
        }
    }
    for (name, _) in &defs {
        // Names come from the catalogue, not from users; quoted all the same.
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS \"{}\"", name.replace('"', "")))).execute(&mut *conn).await?;
    }
    if backend == Backend::Sqlite {
        sqlx::raw_sql("PRAGMA synchronous = OFF; INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(SuspendedIndexes(defs))
}

/// Rebuilds what [`suspend`] dropped and puts durability back.
pub async fn restore(conn: &mut AnyConnection, backend: Backend, suspended: SuspendedIndexes) -> Result<()> {
    for (_, sql) in suspended.0 {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
    }
    match backend {
        Backend::Sqlite => {
            sqlx::raw_sql(
                "INSERT INTO search_fts(search_fts) VALUES ('optimize'); INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 4); \
                 PRAGMA synchronous = NORMAL; ANALYZE",
            )
            .execute(&mut *conn)
            .await?;
        }
        Backend::Postgres => {
            sqlx::raw_sql("ANALYZE incidents; ANALYZE incident_activities; ANALYZE search_docs").execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// One batch of incidents with their timelines and search terms, in one transaction.
pub async fn incidents(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[crate::incident::Incident],
    activities: &[crate::ticket::NewActivity<'_>],
    docs: &[(i64, String)],
) -> Result<()> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    crate::incident::insert_many(&mut tx, backend, rows).await?;
    crate::ticket::add_activities_many(&mut tx, backend, &yunwei_domain::ticket::INCIDENT, activities).await?;
    crate::search::insert_new_docs(&mut tx, backend, &yunwei_domain::ticket::INCIDENT, docs).await?;
    tx.commit().await?;
    Ok(())
}
