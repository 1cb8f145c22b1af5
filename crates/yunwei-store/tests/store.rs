//! Storage scenarios, run on SQLite and (with YUNWEI_TEST_DATABASE_URL) PostgreSQL.

use yunwei_domain::audit::ChainBreakReason;
use yunwei_domain::ids::UserId;
use yunwei_domain::page::PageRequest;
use yunwei_store::Stage;
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
    // SQLite stages the insert and refuses it at commit; PostgreSQL refuses it at once.
    let dup = match admin::insert_team(&mut tx, &TeamFields { name: "网络组".into(), ..Default::default() }, 5).await {
        Ok(_) => tx.commit().await.unwrap_err(),
        Err(e) => {
            drop(tx);
            e
        }
    };
    assert!(dup.is_unique_violation(), "{dup}");
    done(fresh, db).await;
}

#[tokio::test]
async fn audit_chain_detects_edit_delete_and_reorder() {
    for tamper in ["edit", "delete", "reorder", "tail"] {
        let (fresh, db) = fresh().await;
        for i in 0..5 {
            let mut tx = db.begin().await.unwrap();
            audit::append(&mut tx, entry(&format!("a{i}")));
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
        // As a database administrator could: past the append-only guard of migration 14.
        yunwei_store::testing::drop_audit_guard(&db).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut *db.writer().await.unwrap()).await.unwrap();
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
        audit::append(&mut tx, NewAuditEntry { at_ms: *at, ..entry(&format!("a{i}")) });
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
    let mut batch = db.batch();
    notify::finish_events(&mut batch, &[a[0].id, a[1].id], "node-a").await.unwrap();
    batch.commit().await.unwrap();
    let mut batch = db.batch();
    notify::finish_events(&mut batch, &[a[1].id], "node-c").await.unwrap();
    batch.commit().await.unwrap();
    let status = |id: yunwei_domain::ids::OutboxEventId| {
        let db = db.clone();
        async move {
            use yunwei_store::Row;
            let row = sqlx::query("SELECT status FROM outbox WHERE id = $1").bind(id.0).fetch_one(&db.read).await.unwrap();
            row.try_get::<String, _>(0).unwrap()
        }
    };
    assert_eq!(status(a[0].id).await, "pending", "a lost lease cannot finish");
    assert_eq!(status(a[1].id).await, "done", "the lease holder finishes");

    let j = jobs::claim(&db, "node-a", 20, 10_000, 100).await.unwrap();
    assert_eq!(j.len(), 10, "a unique key schedules once");
    assert!(jobs::start_run(&db, &j[0], "node-a", 20).await.unwrap());
    assert!(!jobs::start_run(&db, &j[0], "node-b", 21).await.unwrap(), "one run per due time");
    done(fresh, db).await;
}

async fn team_count(db: &Db) -> i64 {
    use yunwei_store::Row;
    let row = sqlx::query("SELECT COUNT(*) FROM teams").fetch_one(&db.read).await.unwrap();
    row.try_get(0).unwrap()
}

#[tokio::test]
async fn staged_rows_reach_the_database_with_the_commit_and_only_then() {
    let (fresh, db) = fresh().await;
    let mut tx = db.begin().await.unwrap();
    admin::insert_team(&mut tx, &TeamFields { name: "系统组".into(), ..Default::default() }, 5).await.unwrap();
    audit::append(&mut tx, entry("create"));
    audit::append(&mut tx, entry("update"));
    assert_eq!(audit::count(&db.read).await.unwrap(), 0, "nothing is visible before the commit");
    tx.commit().await.unwrap();
    assert_eq!(audit::count(&db.read).await.unwrap(), 2);
    assert_eq!(team_count(&db).await, 1);
    let v = audit::verify(&db).await.unwrap();
    assert!(v.broken.is_none(), "two appends in one transaction chain to each other: {v:?}");
    done(fresh, db).await;
}

#[tokio::test]
async fn a_failing_staged_row_undoes_the_whole_transaction() {
    let (fresh, db) = fresh().await;
    let mut tx = db.begin().await.unwrap();
    admin::insert_team(&mut tx, &TeamFields { name: "网络组".into(), ..Default::default() }, 5).await.unwrap();
    audit::append(&mut tx, entry("create"));
    // A staged row that the database refuses (the outbox needs an event type).
    let mut bad = tx.statement("INSERT INTO outbox (event_type, object_type, object_id, payload, created_at, next_attempt_at) VALUES (");
    bad.bind(None::<String>).push(", 'team', '1', '{}', 1, 1)");
    // SQLite refuses it at commit, PostgreSQL at once (staged statements run there immediately).
    let outcome = match tx.stage(bad).await {
        Ok(()) => tx.commit().await,
        Err(e) => {
            drop(tx);
            Err(e)
        }
    };
    assert!(outcome.is_err(), "the refused row fails the transaction");
    assert_eq!(team_count(&db).await, 0, "the statement that ran at once is undone too");
    assert_eq!(audit::count(&db.read).await.unwrap(), 0);
    // The writer is usable afterwards, and the chain continues from the real head.
    let mut tx = db.begin().await.unwrap();
    admin::insert_team(&mut tx, &TeamFields { name: "网络组".into(), ..Default::default() }, 6).await.unwrap();
    audit::append(&mut tx, entry("create"));
    tx.commit().await.unwrap();
    assert_eq!(team_count(&db).await, 1);
    assert!(audit::verify(&db).await.unwrap().broken.is_none());
    done(fresh, db).await;
}

#[tokio::test]
async fn a_transaction_dropped_without_commit_is_rolled_back() {
    let (fresh, db) = fresh().await;
    {
        let mut tx = db.begin().await.unwrap();
        admin::insert_team(&mut tx, &TeamFields { name: "安全组".into(), ..Default::default() }, 5).await.unwrap();
        audit::append(&mut tx, entry("create"));
        // Dropped here, as on an error path or a cancelled request.
    }
    let mut tx = db.begin().await.unwrap();
    admin::insert_team(&mut tx, &TeamFields { name: "桌面组".into(), ..Default::default() }, 6).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(team_count(&db).await, 1, "only the committed team is kept");
    assert_eq!(audit::count(&db.read).await.unwrap(), 0);
    // An explicit rollback leaves the writer usable too.
    let mut tx = db.begin().await.unwrap();
    admin::insert_team(&mut tx, &TeamFields { name: "数据组".into(), ..Default::default() }, 7).await.unwrap();
    tx.rollback().await.unwrap();
    let mut conn = db.writer().await.unwrap();
    sqlx::query("UPDATE teams SET description = 'x'").execute(&mut *conn).await.unwrap();
    drop(conn);
    assert_eq!(team_count(&db).await, 1);
    done(fresh, db).await;
}

#[tokio::test]
async fn an_audit_entry_written_by_another_connection_between_transactions_keeps_the_chain() {
    let (fresh, db) = fresh().await;
    let mut tx = db.begin().await.unwrap();
    audit::append(&mut tx, entry("first"));
    tx.commit().await.unwrap();
    // Another process (the CLI) appends through its own connection.
    let other = Db::connect(&fresh.url, 2).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    audit::append(&mut tx, entry("from_cli"));
    tx.commit().await.unwrap();
    other.close().await;
    let mut tx = db.begin().await.unwrap();
    audit::append(&mut tx, entry("after"));
    tx.commit().await.unwrap();
    assert_eq!(audit::count(&db.read).await.unwrap(), 3);
    assert!(audit::verify(&db).await.unwrap().broken.is_none());
    done(fresh, db).await;
}

#[tokio::test]
async fn a_team_id_taken_by_another_process_fails_one_commit_then_ids_are_handed_out_afresh() {
    let (fresh, db) = fresh().await;
    let team = |name: &str| TeamFields { name: name.into(), ..Default::default() };
    let mut tx = db.begin().await.unwrap();
    admin::insert_team(&mut tx, &team("系统组"), 5).await.unwrap();
    tx.commit().await.unwrap();
    // Another process (the CLI) inserts a team through its own connection.
    let other = Db::connect(&fresh.url, 2).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    let theirs = admin::insert_team(&mut tx, &team("网络组"), 6).await.unwrap();
    tx.commit().await.unwrap();
    other.close().await;

    let mut tx = db.begin().await.unwrap();
    let first = admin::insert_team(&mut tx, &team("安全组"), 7).await.unwrap();
    audit::append(&mut tx, entry("create"));
    let outcome = tx.commit().await;
    if db.backend == yunwei_store::Backend::Sqlite {
        assert_eq!(first, theirs, "the id this connection reserved is the one the other process took");
        assert!(matches!(outcome, Err(yunwei_store::StoreError::StaleId)), "{outcome:?}");
        let mut tx = db.begin().await.unwrap();
        let again = admin::insert_team(&mut tx, &team("安全组"), 8).await.unwrap();
        audit::append(&mut tx, entry("create"));
        tx.commit().await.unwrap();
        assert!(again.0 > theirs.0, "{again:?} after {theirs:?}");
    } else {
        outcome.unwrap();
    }
    assert_eq!(team_count(&db).await, 3);
    assert_eq!(audit::count(&db.read).await.unwrap(), 1, "the failed commit left no audit entry");
    assert!(audit::verify(&db).await.unwrap().broken.is_none());
    done(fresh, db).await;
}

#[tokio::test]
async fn a_passive_checkpoint_copies_the_wal_into_the_database_file() {
    let (fresh, db) = fresh().await;
    if db.backend != yunwei_store::Backend::Sqlite {
        return done(fresh, db).await;
    }
    let file = fresh.dir.join("yunwei.db");
    yunwei_store::checkpoint_passive(&db).await.unwrap();
    let before = std::fs::metadata(&file).unwrap().len();
    for n in 0..20 {
        let mut tx = db.begin().await.unwrap();
        let team = TeamFields { name: format!("组{n}"), description: "说明".repeat(700), ..Default::default() };
        admin::insert_team(&mut tx, &team, n).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(std::fs::metadata(&file).unwrap().len(), before, "the new pages are only in the WAL so far");
    yunwei_store::checkpoint_passive(&db).await.unwrap();
    let after = std::fs::metadata(&file).unwrap().len();
    assert!(after >= before + 20 * 4096, "the checkpoint wrote the new pages into the file: {before} -> {after}");
    assert_eq!(team_count(&db).await, 20);
    done(fresh, db).await;
}

// ---- group commit (yunwei_store::batch) ----

fn incident(title: &str) -> yunwei_store::incident::Incident {
    yunwei_store::incident::Incident {
        title: title.into(),
        description: "核心交换机端口丢包".into(),
        created_at: 1000,
        updated_at: 1000,
        version: 1,
        ..Default::default()
    }
}

/// A batch that creates one incident with its audit entry; `bad` adds an outbox row the database refuses.
async fn incident_batch(db: &Db, title: String, bad: bool) -> Result<i64, yunwei_store::StoreError> {
    let mut batch = db.batch();
    let mut i = incident(&title);
    i.id = yunwei_domain::ids::IncidentId(batch.reserve_id("incidents").await?);
    yunwei_store::incident::insert(&mut batch, &i).await?;
    audit::append(&mut batch, entry("create"));
    if bad {
        let mut sql =
            batch.statement("INSERT INTO outbox (event_type, object_type, object_id, payload, created_at, next_attempt_at) VALUES (");
        sql.bind(None::<String>).push(", 'incident', '1', '{}', 1, 1)");
        batch.stage(sql).await?;
    }
    batch.commit().await?;
    Ok(i.id.0)
}

async fn incident_ids(db: &Db) -> Vec<i64> {
    use yunwei_store::Row;
    let rows = sqlx::query("SELECT id FROM incidents ORDER BY id").fetch_all(&db.read).await.unwrap();
    rows.iter().map(|r| r.try_get(0).unwrap()).collect()
}

/// Waits (up to 5 s) until `n` batches wait for the writer (SQLite), so that they are sent together.
async fn wait_for_waiting_batches(db: &Db, n: usize) {
    for _ in 0..500 {
        match db.group_commit_state() {
            Some((waiting, _)) if waiting < n => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            _ => return,
        }
    }
    panic!("only {:?} batches waiting of {n}", db.group_commit_state());
}

async fn run_batches(db: &Db, first: usize, bad: Option<usize>) -> Vec<tokio::task::JoinHandle<yunwei_store::Result<i64>>> {
    (first..first + 12)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move { incident_batch(&db, format!("事件{n}"), Some(n) == bad).await })
        })
        .collect()
}

#[tokio::test]
async fn batches_waiting_together_commit_as_one_group_and_one_refused_batch_fails_alone() {
    let (fresh, db) = fresh().await;
    let sqlite = db.backend == yunwei_store::Backend::Sqlite;
    // Holding the writer makes every batch below wait, so the next leader sends them as one group.
    let held = db.writer().await.unwrap();
    let tasks = run_batches(&db, 0, None).await;
    wait_for_waiting_batches(&db, 12).await;
    if sqlite {
        assert!(incident_ids(&db).await.is_empty(), "nothing is committed while the writer is held");
    }
    drop(held);
    let mut committed = Vec::new();
    for t in tasks {
        committed.push(t.await.unwrap().expect("a good batch commits"));
    }
    if sqlite {
        assert_eq!(db.group_commit_state(), Some((0, 12)), "all twelve were sent in one transaction");
    }
    // Again, with one batch whose row the database refuses: the group fails, then each batch
    // is sent on its own, and only that one fails.
    let held = db.writer().await.unwrap();
    let tasks = run_batches(&db, 12, Some(17)).await;
    wait_for_waiting_batches(&db, 12).await;
    drop(held);
    for (n, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(id) => committed.push(id),
            Err(e) => assert_eq!(n + 12, 17, "only the batch with the refused row fails: {e}"),
        }
    }
    assert_eq!(committed.len(), 23);
    committed.sort_unstable();
    assert_eq!(incident_ids(&db).await, committed, "each committed batch's incident is stored under its reserved id");
    assert_eq!(audit::count(&db.read).await.unwrap(), 23, "the refused batch left no audit entry");
    assert!(audit::verify(&db).await.unwrap().broken.is_none());
    done(fresh, db).await;
}

#[tokio::test]
async fn many_concurrent_batches_all_land_with_distinct_ids_and_an_unbroken_chain() {
    let (fresh, db) = fresh().await;
    let mut tasks = Vec::new();
    for n in 0..64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move { incident_batch(&db, format!("并发{n}"), false).await.unwrap() }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 64);
    assert_eq!(incident_ids(&db).await, ids);
    assert_eq!(audit::count(&db.read).await.unwrap(), 64);
    assert!(audit::verify(&db).await.unwrap().broken.is_none());
    done(fresh, db).await;
}

#[tokio::test]
async fn an_incident_id_taken_by_another_process_fails_one_batch_then_ids_are_checked_again() {
    let (fresh, db) = fresh().await;
    if db.backend != yunwei_store::Backend::Sqlite {
        // PostgreSQL hands ids out from the identity sequence; nothing can take them.
        let a = incident_batch(&db, "甲".into(), false).await.unwrap();
        let b = incident_batch(&db, "乙".into(), false).await.unwrap();
        assert!(b > a);
        return done(fresh, db).await;
    }
    incident_batch(&db, "第一".into(), false).await.unwrap();
    // Reserve the next id, then let another process (the CLI) insert a row that takes it.
    let mut batch = db.batch();
    let mut mine = incident("本进程");
    mine.id = yunwei_domain::ids::IncidentId(batch.reserve_id("incidents").await.unwrap());
    yunwei_store::incident::insert(&mut batch, &mine).await.unwrap();
    audit::append(&mut batch, entry("create"));
    let other = Db::connect(&fresh.url, 2).await.unwrap();
    sqlx::query(
        "INSERT INTO incidents (title, description, state, impact, urgency, priority, channel, created_at, updated_at) \
         VALUES ('其他进程', '', 'new', 'low', 'low', 4, 'api', 1, 1)",
    )
    .execute(&mut *other.writer().await.unwrap())
    .await
    .unwrap();
    other.close().await;
    let outcome = batch.commit().await;
    assert!(matches!(outcome, Err(yunwei_store::StoreError::StaleId)), "{outcome:?}");
    let again = incident_batch(&db, "再来".into(), false).await.unwrap();
    assert_eq!(again, mine.id.0 + 1, "the book asked the database again and skipped the taken id");
    assert_eq!(incident_ids(&db).await.len(), 3);
    assert_eq!(audit::count(&db.read).await.unwrap(), 2, "the failed batch left no audit entry");
    assert!(audit::verify(&db).await.unwrap().broken.is_none());
    done(fresh, db).await;
}

// ---- queue text filter (yunwei_store::search::text_match) ----

#[tokio::test]
async fn a_common_word_filters_a_queue_by_substring_and_a_rare_one_by_the_index() {
    use yunwei_domain::ticket::INCIDENT;
    use yunwei_store::incident::{self as incidents, IncidentFilter, QueueSort};
    use yunwei_store::search::{self, TextMatch};
    let (fresh, db) = fresh().await;
    let team = |n: i64| if n % 2 == 0 { "a" } else { "b" };
    // 2,101 incidents: all but 51 say 网络 (somewhere), so the word is common; one says 数据库.
    // The 51 that do not are there so that a filter that was not applied cannot pass.
    let says_network = |n: i64| n % 41 != 0;
    let mut rows = Vec::new();
    for n in 1..=2101i64 {
        let mut i = incident(&format!("{}组 工单{n}", team(n)));
        i.id = yunwei_domain::ids::IncidentId(n);
        if !says_network(n) {
            i.description = format!("服务器宕机 {n}");
        } else if n % 3 == 0 {
            i.location = Some("网络机房".into());
        } else {
            i.description = format!("核心交换机网络丢包 {n}");
        }
        if n == 2101 {
            i.title = "数据库连接池耗尽".into();
        }
        rows.push(i);
    }
    let mut conn = db.writer().await.unwrap();
    incidents::insert_many(&mut conn, db.backend, &rows).await.unwrap();
    let docs: Vec<(i64, String)> = rows
        .iter()
        .map(|i| (i.id.0, yunwei_domain::search::index_text(&[&i.title, &i.description, i.location.as_deref().unwrap_or("")])))
        .collect();
    search::insert_new_docs(&mut conn, db.backend, &INCIDENT, &docs).await.unwrap();
    drop(conn);

    let common = search::text_match(&db.read, db.backend, &INCIDENT, yunwei_domain::search::query_terms("网络")).await.unwrap();
    assert!(matches!(common, TextMatch::Substrings(_, ref t) if t == &vec!["网络".to_string()]), "{common:?}");
    let rare = search::text_match(&db.read, db.backend, &INCIDENT, yunwei_domain::search::query_terms("数据库")).await.unwrap();
    assert!(matches!(rare, TextMatch::Ids(ref ids) if ids == &vec![2101]), "{rare:?}");

    let page = PageRequest::parse(Some(50), None, false).unwrap();
    let mut all_a = Vec::new();
    let mut listed = Vec::new();
    let mut next = page.clone();
    loop {
        let f = IncidentFilter { matching: Some(common.clone()), text: None, ..IncidentFilter::default() };
        let got = incidents::list(&db.read, &f, QueueSort::Created, &next).await.unwrap();
        listed.extend(got.items.iter().map(|i| i.id.0));
        all_a.extend(got.items.iter().filter(|i| i.title.starts_with("a组")).map(|i| i.id.0));
        match got.next_cursor {
            Some(cursor) => next = PageRequest::parse(Some(50), Some(&cursor), false).unwrap(),
            None => break,
        }
    }
    listed.sort_unstable();
    assert_eq!(listed, (1..=2101).filter(|n| says_network(*n)).collect::<Vec<i64>>(), "exactly those that say 网络, each once");
    let expected_a = (1..=2101).filter(|n| n % 2 == 0 && says_network(*n)).count();
    assert_eq!((all_a.len(), expected_a), (1025, 1025), "team a's that say 网络, in their description or their location");
    let f = IncidentFilter { matching: Some(rare), ..IncidentFilter::default() };
    let got = incidents::list(&db.read, &f, QueueSort::Created, &page).await.unwrap();
    assert_eq!(got.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), vec!["数据库连接池耗尽"]);
    let none = search::text_match(&db.read, db.backend, &INCIDENT, yunwei_domain::search::query_terms("打印机")).await.unwrap();
    let f = IncidentFilter { matching: Some(none), ..IncidentFilter::default() };
    assert!(incidents::list(&db.read, &f, QueueSort::Created, &page).await.unwrap().items.is_empty());
    done(fresh, db).await;
}
