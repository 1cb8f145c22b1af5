//! Storage scenarios, run on SQLite and (with YUNWEI_TEST_DATABASE_URL) PostgreSQL.

use yunwei_domain::audit::ChainBreakReason;
use yunwei_domain::ids::UserId;
use yunwei_domain::page::PageRequest;
use yunwei_store::admin::{self, TeamFields, UserFields};
use yunwei_store::audit::{self, NewAuditEntry};
use yunwei_store::testing::FreshDatabase;
use yunwei_store::{Db, jobs, migrate, notify};

async fn fresh() -> (FreshDatabase, Db) {
    let fresh = FreshDatabase::create().await.expect("fresh database");
    let db = Db::connect(&fresh.url, 4).await.expect("connect");
    migrate::run(&db, 1).await.expect("migrate");
    (fresh, db)
}

async fn done(fresh: FreshDatabase, db: Db) {
    db.close().await;
    fresh.drop_now().await.expect("drop");
}

fn entry(action: &str) -> NewAuditEntry {
    NewAuditEntry {
        at_ms: 1000,
        actor_name: "admin".into(),
        source_ip: "127.0.0.1".into(),
        object_type: "team".into(),
        object_id: "1".into(),
        action: action.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_versioned() {
    let (fresh, db) = fresh().await;
    assert_eq!(migrate::run(&db, 2).await.unwrap(), Vec::<i64>::new(), "second run applies nothing");
    assert_eq!(migrate::current_version(&db).await.unwrap(), migrate::latest_version());
    done(fresh, db).await;
}

#[tokio::test]
async fn users_teams_and_keyset_paging() {
    let (fresh, db) = fresh().await;
    let mut tx = db.begin().await.unwrap();
    for i in 0..7 {
        let f = UserFields {
            username: format!("user{i}"),
            display_name: format!("用户{i}"),
            locale: "zh-CN".into(),
            time_zone: "Asia/Shanghai".into(),
            ..Default::default()
        };
        admin::insert_user(&mut tx, &f, Some("hash"), false, 5).await.unwrap();
    }
    let team = admin::insert_team(&mut tx, &TeamFields { name: "网络组".into(), ..Default::default() }, 5).await.unwrap();
    admin::set_team_members(&mut tx, team, &[UserId(1), UserId(2)]).await.unwrap();
    tx.commit().await.unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = PageRequest::parse(Some(3), cursor.as_deref(), false).unwrap();
        let p = admin::list_users(&db.read, &Default::default(), &page, true).await.unwrap();
        seen.extend(p.items.iter().map(|u| u.username.clone()));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("user{i}")).collect::<Vec<_>>());

    let filter = admin::UserFilter { team_id: Some(team), ..Default::default() };
    let members = admin::list_users(&db.read, &filter, &PageRequest::parse(None, None, false).unwrap(), false).await.unwrap();
    assert_eq!(members.items.len(), 2);
    let like = admin::UserFilter { q: Some("r_".into()), ..Default::default() };
    let none = admin::list_users(&db.read, &like, &PageRequest::parse(None, None, false).unwrap(), false).await.unwrap();
    assert!(none.items.is_empty(), "`_` in a search is literal, not a wildcard");

    let mut tx = db.begin().await.unwrap();
    let dup = admin::insert_team(&mut tx, &TeamFields { name: "网络组".into(), ..Default::default() }, 5).await.unwrap_err();
    assert!(dup.is_unique_violation(), "{dup}");
    drop(tx);
    done(fresh, db).await;
}

#[tokio::test]
async fn audit_chain_detects_edit_delete_and_reorder() {
    for tamper in ["edit", "delete", "reorder", "tail"] {
        let (fresh, db) = fresh().await;
        for i in 0..5 {
            let mut tx = db.begin().await.unwrap();
            audit::append(&mut tx, &db, entry(&format!("a{i}"))).await.unwrap();
            tx.commit().await.unwrap();
        }
        let ok = audit::verify(&db).await.unwrap();
        assert_eq!((ok.checked, ok.broken.clone()), (5, None));
        let sql = match tamper {
            "edit" => "UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3",
            "delete" => "DELETE FROM audit_log WHERE seq = 3",
            "reorder" => {
                "UPDATE audit_log SET at_ms = CASE seq WHEN 2 THEN 1001 ELSE at_ms END, action = CASE seq WHEN 2 THEN 'a3' WHEN 4 THEN 'a1' ELSE action END WHERE seq IN (2, 4)"
            }
            _ => "DELETE FROM audit_log WHERE seq = 5",
        };
        sqlx::raw_sql(sql).execute(&db.write).await.unwrap();
        let v = audit::verify(&db).await.unwrap();
        let broken = v.broken.unwrap_or_else(|| panic!("{tamper} not detected"));
        let expected = match tamper {
            "edit" | "reorder" => (2 + i64::from(tamper == "edit"), ChainBreakReason::HashMismatch),
            "delete" => (3, ChainBreakReason::MissingRow),
            _ => (5, ChainBreakReason::HeadMismatch),
        };
        assert_eq!((broken.expected_seq, broken.reason), expected, "{tamper}");
        done(fresh, db).await;
    }
}

#[tokio::test]
async fn audit_archive_keeps_the_chain_verifiable() {
    let (fresh, db) = fresh().await;
    for (i, at) in [100, 200, 300, 400].iter().enumerate() {
        let mut tx = db.begin().await.unwrap();
        audit::append(&mut tx, &db, NewAuditEntry { at_ms: *at, ..entry(&format!("a{i}")) }).await.unwrap();
        tx.commit().await.unwrap();
    }
    let file = fresh.dir.join("archive").join("audit.jsonl");
    assert_eq!(audit::archive_before(&db, 250, &file, 500).await.unwrap(), 2);
    let archived = std::fs::read_to_string(&file).unwrap();
    assert_eq!(archived.lines().count(), 2);
    assert!(archived.contains("\"seq\":1") && archived.contains("\"seq\":2"));
    let v = audit::verify(&db).await.unwrap();
    assert_eq!((v.checked, v.first_seq, v.broken), (2, Some(3), None));
    // A second run moves the anchor on and appends to the same file.
    assert_eq!(audit::archive_before(&db, 350, &file, 600).await.unwrap(), 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
    let v = audit::verify(&db).await.unwrap();
    assert_eq!((v.checked, v.first_seq, v.broken), (1, Some(4), None));
    done(fresh, db).await;
}

#[tokio::test]
async fn leases_claim_each_row_once() {
    let (fresh, db) = fresh().await;
    let mut tx = db.begin().await.unwrap();
    for i in 0..10 {
        notify::enqueue(
            &mut tx,
            &notify::NewEvent {
                event_type: "team.created".into(),
                object_type: "team".into(),
                object_id: i.to_string(),
                payload: serde_json::json!({}),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        jobs::schedule(&mut tx, "probe", Some(&format!("k{i}")), &serde_json::json!({}), 10, None, 10).await.unwrap();
    }
    jobs::schedule(&mut tx, "probe", Some("k0"), &serde_json::json!({"dup": true}), 10, None, 10).await.unwrap();
    tx.commit().await.unwrap();
    let a = notify::claim_events(&db, "node-a", 20, 10_000, 6).await.unwrap();
    let b = notify::claim_events(&db, "node-b", 20, 10_000, 6).await.unwrap();
    assert_eq!((a.len(), b.len()), (6, 4));
    assert!(a.iter().all(|e| !b.iter().any(|f| f.id == e.id)));
    let expired = notify::claim_events(&db, "node-c", 10_001, 20_000, 20).await.unwrap();
    assert_eq!(expired.len(), 10, "expired leases are claimable again");
    assert!(!notify::finish_event(&mut db.write.acquire().await.unwrap(), a[0].id, "node-a").await.unwrap(), "a lost lease cannot finish");

    let j = jobs::claim(&db, "node-a", 20, 10_000, 100).await.unwrap();
    assert_eq!(j.len(), 10, "a unique key schedules once");
    assert!(jobs::start_run(&db, &j[0], "node-a", 20).await.unwrap());
    assert!(!jobs::start_run(&db, &j[0], "node-b", 21).await.unwrap(), "one run per due time");
    done(fresh, db).await;
}
