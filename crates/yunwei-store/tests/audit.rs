//! The audit log against someone who can write the database (ADR 0008): the table refuses
//! UPDATE and DELETE outside archiving, and the anchor must match its archive file.
//! Run on SQLite and (with YUNWEI_TEST_DATABASE_URL) PostgreSQL.

use yunwei_domain::audit::ChainBreakReason;
use yunwei_store::audit::{self, NewAuditEntry};
use yunwei_store::testing::{FreshDatabase, drop_audit_guard};
use yunwei_store::{Db, Row, migrate, raw_execute};

async fn fresh_with_entries(times: &[i64]) -> (FreshDatabase, Db) {
    let fresh = FreshDatabase::create().await.expect("fresh database");
    let db = Db::connect(&fresh.url, 4).await.expect("connect");
    migrate::run(&db, 1).await.expect("migrate");
    for (i, at) in times.iter().enumerate() {
        let mut tx = db.begin().await.unwrap();
        let e = NewAuditEntry {
            at_ms: *at,
            actor_name: "admin".into(),
            object_type: "team".into(),
            object_id: i.to_string(),
            action: "create".into(),
            ..Default::default()
        };
        audit::append(&mut tx, e);
        tx.commit().await.unwrap();
    }
    (fresh, db)
}

async fn exec(db: &Db, sql: &str) -> Result<u64, String> {
    let mut conn = db.writer().await.unwrap();
    raw_execute(&mut conn, sql).await.map_err(|e| e.to_string())
}

async fn count(db: &Db) -> i64 {
    audit::count(&db.read).await.unwrap()
}

#[tokio::test]
async fn audit_log_refuses_update_and_delete_except_when_archiving() {
    let (fresh, db) = fresh_with_entries(&[100, 200, 300, 400]).await;
    for sql in ["UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 4", "DELETE FROM audit_log"]
    {
        let err = exec(&db, sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if fresh.is_postgres() {
        let err = exec(&db, "TRUNCATE audit_log").await.expect_err("truncate");
        assert!(err.contains("append-only"), "{err}");
    }
    assert_eq!(count(&db).await, 4, "nothing changed");
    assert_eq!(audit::verify(&db).await.unwrap().broken, None);

    // Archiving is the one way out, and closes the door behind it.
    let file = fresh.dir.join("archive").join("audit.jsonl");
    assert_eq!(audit::archive_before(&db, 250, &file, 500).await.unwrap(), 2);
    assert_eq!(count(&db).await, 2);
    let allowed: i64 = sqlx::query("SELECT allowed FROM audit_maintenance WHERE id = 1").fetch_one(&db.read).await.unwrap().get(0);
    assert_eq!(allowed, 0);
    assert!(exec(&db, "DELETE FROM audit_log WHERE seq = 3").await.unwrap_err().contains("append-only"));
    let anchor = audit::anchor(&db).await.unwrap().unwrap();
    let content = std::fs::read(&file).unwrap();
    assert_eq!((anchor.seq, anchor.archive_bytes), (2, Some(content.len() as i64)));
    assert_eq!(anchor.archive_sha256.as_deref().map(str::len), Some(64));
    let v = audit::verify(&db).await.unwrap();
    assert_eq!((v.checked, v.first_seq, v.broken, v.warnings), (2, Some(3), None, vec![]));
    // New entries still go in (the normal write path only inserts).
    let mut tx = db.begin().await.unwrap();
    audit::append(&mut tx, NewAuditEntry { at_ms: 500, actor_name: "admin".into(), action: "x".into(), ..Default::default() });
    tx.commit().await.unwrap();
    assert_eq!(audit::verify(&db).await.unwrap().checked, 3);
    db.close().await;
    fresh.drop_now().await.unwrap();
}

#[tokio::test]
async fn the_anchor_must_match_its_archive_file() {
    let (fresh, db) = fresh_with_entries(&[100, 200, 300, 400]).await;
    let file = fresh.dir.join("archive").join("audit.jsonl");
    assert_eq!(audit::archive_before(&db, 250, &file, 500).await.unwrap(), 2);
    let original = std::fs::read_to_string(&file).unwrap();
    let broken = |v: audit::Verification| v.broken.map(|b| (b.expected_seq, b.reason, b.detail.unwrap_or_default()));

    // An anchor from before migration 14 has no content hash: the file is still checked entry by entry.
    exec(&db, "UPDATE audit_anchor SET archive_sha256 = NULL, archive_bytes = NULL").await.unwrap();
    let v = audit::verify(&db).await.unwrap();
    assert_eq!((v.broken, v.warnings), (None, vec!["anchor_without_content_hash"]));
    std::fs::write(&file, original.replace("\"admin\"", "\"nobody\"")).unwrap();
    let (seq, reason, detail) = broken(audit::verify(&db).await.unwrap()).expect("edited archive");
    assert_eq!((seq, reason), (2, ChainBreakReason::ArchiveMismatch));
    assert!(detail.contains("line 1") && detail.contains("does not match its hash"), "{detail}");
    // Cut to its first line: the file no longer ends at the anchor.
    std::fs::write(&file, format!("{}\n", original.lines().next().unwrap())).unwrap();
    let (_, reason, detail) = broken(audit::verify(&db).await.unwrap()).expect("shortened archive");
    assert_eq!(reason, ChainBreakReason::ArchiveMismatch);
    assert!(detail.contains("ends at entry 1"), "{detail}");
    std::fs::write(&file, &original).unwrap();
    assert_eq!(audit::verify(&db).await.unwrap().broken, None);

    // Attack 3: the DBA deletes the oldest rows still in the log and writes an anchor over
    // them that names an archive file that does not exist, or one that is not theirs.
    drop_audit_guard(&db).await.unwrap();
    let hash3: String = sqlx::query("SELECT hash FROM audit_log WHERE seq = 3").fetch_one(&db.read).await.unwrap().get(0);
    exec(&db, "DELETE FROM audit_log WHERE seq = 3").await.unwrap();
    let fake = fresh.dir.join("archive").join("audit-2020.jsonl");
    exec(
        &db,
        &format!(
            "UPDATE audit_anchor SET seq = 3, hash = '{hash3}', archive_file = '{}', archive_sha256 = NULL, archive_bytes = NULL",
            fake.display()
        ),
    )
    .await
    .unwrap();
    let (seq, reason, detail) = broken(audit::verify(&db).await.unwrap()).expect("anchor to nowhere");
    assert_eq!((seq, reason), (3, ChainBreakReason::ArchiveMissing));
    assert!(detail.contains("audit-2020.jsonl"), "{detail}");
    exec(&db, &format!("UPDATE audit_anchor SET archive_file = '{}'", file.display())).await.unwrap();
    let (_, reason, _) = broken(audit::verify(&db).await.unwrap()).expect("anchor to the wrong archive");
    assert_eq!(reason, ChainBreakReason::ArchiveMismatch, "the real archive ends at entry 2");
    db.close().await;
    fresh.drop_now().await.unwrap();
}
