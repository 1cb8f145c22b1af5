//! Keyed audit checkpoints (ADR 0008) against someone who can write the database but not
//! the key or the checkpoint file: a chain cut short, a chain recomputed after an edit, a
//! forged checkpoint line, and the checkpoint a graceful stop writes.

use crate::cli::{BIN, Server, yunwei};
use std::path::Path;
use std::time::Duration;
use yunwei_core::Ctx;
use yunwei_core::audit_checkpoint::Checkpointer;
use yunwei_domain::audit::{ChainBreakReason, Checkpoint, GENESIS_HASH};
use yunwei_store::audit::{self as store, AuditRecord, hash_entry};
use yunwei_store::testing::{FreshDatabase, drop_audit_guard};
use yunwei_store::{Db, Row};
use yunwei_testkit::{Client, TestApp, spawn_app};

async fn exec(db: &Db, sql: &str) {
    let mut conn = db.writer().await.unwrap();
    yunwei_store::raw_execute(&mut conn, sql).await.unwrap();
}

/// A few audited writes, then a checkpoint of them (as the server writes every minute).
async fn app_with_checkpoint() -> (TestApp, Checkpoint) {
    let app = spawn_app().await;
    for name in ["一组", "二组", "三组", "四组"] {
        let r = app.admin().post("/api/v1/teams", &serde_json::json!({ "name": name })).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // The same key and file as the server's own checkpointer (same configuration).
    let checkpointer = Checkpointer::open(&app.core.config).unwrap();
    let cp = checkpointer.write_if_moved(&app.core).await.unwrap().expect("the chain grew");
    assert!(cp.seq >= 4);
    let v = yunwei_core::audit::verify(&app.core, &Ctx::system()).await.unwrap();
    assert_eq!((v.broken, v.latest_checkpoint_seq), (None, Some(cp.seq)));
    assert!(v.checkpoints >= 1 && v.warnings.is_empty(), "{:?}", v.warnings);
    (app, cp)
}

async fn records(db: &Db) -> Vec<AuditRecord> {
    let mut all = Vec::new();
    store::for_each(db, &Default::default(), |r| {
        all.push(r.clone());
        Ok(())
    })
    .await
    .unwrap();
    all
}

#[tokio::test]
async fn deleting_the_newest_entries_and_moving_the_head_back_is_caught() {
    let (app, cp) = app_with_checkpoint().await;
    let db = app.core.database();
    let keep = cp.seq - 2;
    drop_audit_guard(db).await.unwrap();
    exec(db, &format!("DELETE FROM audit_log WHERE seq > {keep}")).await;
    exec(db, &format!("UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_log WHERE seq = {keep}) WHERE id = 1")).await;
    assert_eq!(store::verify(db).await.unwrap().broken, None, "the hash chain alone sees nothing");
    let v = yunwei_core::audit::verify(&app.core, &Ctx::system()).await.unwrap();
    let b = v.broken.expect("cut short");
    assert_eq!((b.expected_seq, b.reason), (cp.seq, ChainBreakReason::CheckpointBeyondChain));
    assert!(b.detail.unwrap().contains(&format!("ends at entry {keep}")));
    app.stop().await;
}

#[tokio::test]
async fn an_edit_with_every_later_hash_recomputed_is_caught() {
    let (app, cp) = app_with_checkpoint().await;
    let db = app.core.database();
    drop_audit_guard(db).await.unwrap();
    // The entry just before the checkpoint (after the one the server wrote when it started).
    let edited = cp.seq - 1;
    let mut prev = GENESIS_HASH.to_string();
    for mut r in records(db).await {
        if r.entry.seq == edited {
            r.entry.actor_name = "mallory".into();
        }
        let hash = hash_entry(&r.entry, &prev);
        let name = r.entry.actor_name.replace('\'', "''");
        exec(db, &format!("UPDATE audit_log SET actor_name = '{name}', prev_hash = '{prev}', hash = '{hash}' WHERE seq = {}", r.entry.seq))
            .await;
        prev = hash;
    }
    exec(db, &format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1")).await;
    assert_eq!(store::verify(db).await.unwrap().broken, None, "a recomputed chain is consistent");
    let v = yunwei_core::audit::verify(&app.core, &Ctx::system()).await.unwrap();
    let b = v.broken.expect("rewritten");
    assert_eq!((b.expected_seq, b.reason), (cp.seq, ChainBreakReason::CheckpointMismatch));
    // The API and the audit page say so too.
    let (_, auditor) = app.user_with_roles("audit.cp", &["audit_admin"]).await;
    let api = auditor.post("/api/v1/audit-events/verify", &serde_json::json!({})).await.json();
    assert_eq!(api["broken"]["reason"], "checkpoint_mismatch", "{api}");
    app.stop().await;
}

#[tokio::test]
async fn a_tampered_checkpoint_line_is_reported() {
    let (app, cp) = app_with_checkpoint().await;
    let file = app.core.config.audit_checkpoint_path();
    let text = std::fs::read_to_string(&file).unwrap();
    let line = serde_json::to_string(&cp).unwrap();
    let number = text.lines().position(|l| l == line).expect("our checkpoint is in the file") + 1;
    // Claim a longer chain than there is (a DBA who could write here could hide a deletion).
    let forged = Checkpoint { seq: cp.seq + 100, ..cp.clone() };
    std::fs::write(&file, text.replace(&line, &serde_json::to_string(&forged).unwrap())).unwrap();
    let v = yunwei_core::audit::verify(&app.core, &Ctx::system()).await.unwrap();
    let b = v.broken.expect("forged line");
    assert_eq!(b.reason, ChainBreakReason::CheckpointForged);
    assert!(b.detail.unwrap().contains(&format!("line {number}: the MAC does not match")));
    app.stop().await;
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let d = std::env::temp_dir().join(format!("yunwei-cp-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn last_checkpoint(file: &Path) -> Checkpoint {
    let text = std::fs::read_to_string(file).unwrap();
    serde_json::from_str(text.lines().last().expect("a checkpoint line")).unwrap()
}

async fn newest_seq(url: &str) -> i64 {
    let db = Db::connect(url, 1).await.unwrap();
    let seq: i64 = sqlx::query("SELECT MAX(seq) FROM audit_log").fetch_one(&db.read).await.unwrap().get(0);
    db.close().await;
    seq
}

#[tokio::test]
async fn the_server_checkpoints_while_running_and_when_stopped_and_verify_exits_1_or_2() {
    let fresh = FreshDatabase::create().await.unwrap();
    let dir = temp_dir("serve");
    let (key, file) = (dir.join("keys").join("audit.key"), dir.join("keys").join("checkpoints.jsonl"));
    let d = dir.to_str().unwrap();
    let env = [
        ("YUNWEI_AUDIT_KEY_FILE", key.to_str().unwrap()),
        ("YUNWEI_AUDIT_CHECKPOINT_FILE", file.to_str().unwrap()),
        ("YUNWEI_AUDIT_CHECKPOINT_SECONDS", "1"),
    ];
    let s = Server::start_with(&fresh.url, &dir, "cp", &env).await;
    let out = yunwei(&["token", "create", "--user", "admin", "--scope", "*", "--database-url", &fresh.url, "--data-dir", d]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let c = Client::new(s.addr).bearer(&token);
    assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": "值班组" })).await.status, 201);
    // Within a second or two the running server has checkpointed the new entry.
    let newest = newest_seq(&fresh.url).await;
    let mut seen = 0;
    for _ in 0..50 {
        if std::fs::read_to_string(&file).is_ok_and(|t| t.lines().next().is_some()) {
            seen = last_checkpoint(&file).seq;
        }
        if seen == newest {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, newest, "periodic checkpoint");
    assert!(s.stop().success());
    // Again with checkpoints an hour apart: the last write before the stop is sealed by the stop itself.
    let hourly = [env[0], env[1], ("YUNWEI_AUDIT_CHECKPOINT_SECONDS", "3600")];
    let s = Server::start_with(&fresh.url, &dir, "cp", &hourly).await;
    let c = Client::new(s.addr).bearer(&token);
    assert_eq!(c.post("/api/v1/teams", &serde_json::json!({ "name": "最后一组" })).await.status, 201);
    // Longer than the one-second period above, so a server that ignored the setting would have
    // checkpointed by now: nothing arrives late here, it is a question of the period.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(last_checkpoint(&file).seq < newest_seq(&fresh.url).await, "nothing periodic within the hour");
    assert!(s.stop().success());
    let newest = newest_seq(&fresh.url).await;
    assert_eq!(last_checkpoint(&file).seq, newest, "checkpoint written at graceful stop");

    let with_key =
        |args: &[&str]| std::process::Command::new(BIN).args(args).envs(env.iter().copied()).env("YUNWEI_LOG", "error").output().unwrap();
    let verify = ["audit", "verify", "--database-url", &fresh.url, "--data-dir", d];
    let ok = with_key(&verify);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).contains(&format!("latest at entry {newest}")));

    // While it was stopped, the newest entry goes and the head moves back.
    let db = Db::connect(&fresh.url, 1).await.unwrap();
    drop_audit_guard(&db).await.unwrap();
    exec(&db, &format!("DELETE FROM audit_log WHERE seq = {newest}")).await;
    exec(&db, &format!("UPDATE audit_head SET seq = {0}, hash = (SELECT hash FROM audit_log WHERE seq = {0}) WHERE id = 1", newest - 1))
        .await;
    db.close().await;
    let broken = with_key(&verify);
    let text = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("BROKEN at seq {newest}")) && text.contains("CheckpointBeyondChain"), "{text}");

    // A damaged key: verify cannot run (2), and the server refuses to start.
    std::fs::write(&key, "not a key").unwrap();
    let cannot = with_key(&verify);
    assert_eq!(cannot.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cannot.stderr).contains("malformed"));
    let refused = with_key(&["serve", "--listen", "127.0.0.1:0", "--database-url", &fresh.url, "--data-dir", d]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("malformed"), "{}", String::from_utf8_lossy(&refused.stderr));
    fresh.drop_now().await.unwrap();
}
