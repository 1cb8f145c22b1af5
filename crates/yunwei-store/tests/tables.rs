//! Every table declared with `table!` round-trips: a row with every field set to an edge
//! value (large and negative integers, unicode and quotes, `true`, nested JSON) and a row
//! with every field empty (NULL, zero, empty text, `false`) come back as they were written.
//! Run on SQLite and (with YUNWEI_TEST_DATABASE_URL) PostgreSQL.

use sqlx::Connection;
use yunwei_store::sql::Value;
use yunwei_store::table::{Fill, Sample, Table, round_trip};
use yunwei_store::testing::FreshDatabase;
use yunwei_store::{Db, migrate};

/// A fresh migrated database and a connection of its own that does not check foreign keys:
/// SQLite with its foreign keys off, PostgreSQL in replica mode.
async fn unchecked() -> (FreshDatabase, sqlx::AnyConnection) {
    let fresh = FreshDatabase::create().await.expect("fresh database");
    let db = Db::connect(&fresh.url, 2).await.expect("connect");
    migrate::run(&db, 1).await.expect("migrate");
    db.close().await;
    let mut conn = sqlx::AnyConnection::connect(&fresh.url).await.expect("connect");
    let unchecked = if fresh.is_postgres() { "SET session_replication_role = replica" } else { "PRAGMA foreign_keys = OFF" };
    yunwei_store::raw_execute(&mut conn, unchecked).await.expect("foreign keys off");
    (fresh, conn)
}

/// Writes both samples of `T` on a connection that does not check foreign keys (the samples'
/// ids point nowhere), reads them back and compares them field by field.
async fn check<T: Table + Sample + std::fmt::Debug>(extra: &[(&str, Value)]) {
    let (fresh, mut conn) = unchecked().await;
    for (fill, seed) in [(Fill::Full, 0), (Fill::Empty, 100)] {
        let row = T::sample(fill, seed);
        // The extra columns differ between the two rows, for the unique ones among them.
        let extra: Vec<(&str, Value)> = extra
            .iter()
            .map(|(c, v)| match v {
                Value::Int(Some(i)) => (*c, Value::from(i + seed)),
                Value::Text(Some(t)) => (*c, Value::from(format!("{t}{seed}"))),
                other => (*c, other.clone()),
            })
            .collect();
        let back = round_trip(&mut conn, &row, &extra).await.unwrap_or_else(|e| panic!("{} {fill:?}: {e}", T::TABLE));
        assert_eq!(format!("{back:#?}"), format!("{row:#?}"), "{} {fill:?} came back otherwise", T::TABLE);
        assert_eq!(format!("{:?}", back.values()), format!("{:?}", row.values()), "{} {fill:?} values", T::TABLE);
    }
    conn.close().await.expect("close");
    fresh.drop_now().await.expect("drop");
}

macro_rules! round_trips {
    ($($name:ident: $t:ty $(, $col:literal = $v:expr)*;)*) => {$(
        #[tokio::test]
        async fn $name() {
            check::<$t>(&[$(($col, Value::from($v))),*]).await;
        }
    )*};
}

round_trips! {
    incident: yunwei_store::incident::Incident;
    incident_category: yunwei_store::incident::Category;
    service_request: yunwei_store::request::ServiceRequest;
    catalog_item: yunwei_store::request::CatalogItem;
    request_approval: yunwei_store::request::Approval;
    request_task: yunwei_store::request::Task;
    major_incident: yunwei_store::major::MajorIncident;
    war_room_entry: yunwei_store::major::WarRoomEntry;
    user: yunwei_store::admin::User;
    department: yunwei_store::admin::Department;
    team: yunwei_store::admin::Team;
    role: yunwei_store::admin::Role;
    api_token: yunwei_store::auth::ApiToken, "token_hash" = "h";
    session: yunwei_store::auth::Session;
    credentials: yunwei_store::admin::Credentials, "username" = "u", "display_name" = "d", "created_at" = 1, "updated_at" = 1;
    attachment: yunwei_store::attachment::AttachmentMeta, "content" = vec![0u8, 255, 1];
    business_service: yunwei_store::service::BusinessService;
    calendar: yunwei_store::sla::CalendarRow;
    sla_policy: yunwei_store::sla::PolicyRow;
    survey: yunwei_store::survey::Survey, "token_hash" = "h";
    improvement: yunwei_store::improvement::Improvement;
    outbox_event: yunwei_store::notify::OutboxEvent, "next_attempt_at" = 1;
    delivery: yunwei_store::notify::Delivery, "next_attempt_at" = 1;
    notification: yunwei_store::notify::Notification, "user_id" = 1, "event_id" = 1;
    notification_template: yunwei_store::notify::Template;
    job: yunwei_store::jobs::Job, "created_at" = 1, "updated_at" = 1;
    webhook: yunwei_store::webhook::Webhook;
    inbound_mail: yunwei_store::mail_in::InboundMail;
    duty_grant: yunwei_store::duty_grant::DutyGrantRow;
    saved_view: yunwei_store::saved_view::SavedView, "user_id" = 1;
    ci_class: yunwei_store::cmdb::CiClass;
    ci_attribute: yunwei_store::cmdb::CiAttribute;
    ci_relation_type: yunwei_store::cmdb::CiRelationType;
    ci_relation_rule: yunwei_store::cmdb::CiRelationRule;
    ci_relation: yunwei_store::cmdb::CiRelation;
    ci: yunwei_store::cmdb::ci::Ci;
    ci_history: yunwei_store::cmdb::history::HistoryRow;
    ci_discovery_source: yunwei_store::cmdb::discovery::DiscoverySource;
    alert_integration: yunwei_store::alert::AlertIntegration;
    alert: yunwei_store::alert::Alert;
    alert_event: yunwei_store::alert::AlertEvent;
    alert_silence: yunwei_store::alert::AlertSilence;
    escalation_policy: yunwei_store::escalation::EscalationPolicy;
    escalation: yunwei_store::escalation::Escalation;
    alert_route: yunwei_store::escalation::AlertRoute;
    asset: yunwei_store::asset::Asset;
    asset_step: yunwei_store::asset::AssetStep;
    asset_approval_rule: yunwei_store::asset::ApprovalRuleRow;
    licence: yunwei_store::asset::licence::Licence;
    licence_assignment: yunwei_store::asset::licence::Assignment;
    stocktake: yunwei_store::asset::stocktake::Stocktake;
    stocktake_item: yunwei_store::asset::stocktake::Item;
    change: yunwei_store::change::Change;
    change_approval: yunwei_store::change::ChangeApproval;
    duty_schedule: yunwei_store::duty::Schedule;
    duty_layer: yunwei_store::duty::Layer;
    duty_member: yunwei_store::duty::Member;
    duty_override: yunwei_store::duty::Override;
    duty_swap: yunwei_store::duty::Swap;
    duty_log_entry: yunwei_store::duty_log::LogEntry;
    duty_handover: yunwei_store::duty_log::Handover;
    problem: yunwei_store::problem::Problem;
    problem_measure: yunwei_store::problem::Measure;
    problem_suggestion: yunwei_store::problem::Suggestion;
    knowledge_article: yunwei_store::knowledge::Article;
    knowledge_version: yunwei_store::knowledge::ArticleVersion;
    knowledge_link: yunwei_store::knowledge::Link;
    knowledge_vote: yunwei_store::knowledge::Vote;
}

/// The ticket kernel's timeline and watchers, for every declared kind: entries come back in
/// order with every field as written, work notes only to those who may see them, the owner
/// shown in JSON only where the kind's API always showed it, and watchers added once.
#[tokio::test]
async fn ticket_timeline_and_watchers_round_trip_for_every_kind() {
    use yunwei_domain::ids::UserId;
    use yunwei_store::ticket::{self, NewActivity};
    let (fresh, mut conn) = unchecked().await;
    let backend = if fresh.is_postgres() { yunwei_store::Backend::Postgres } else { yunwei_store::Backend::Sqlite };
    for kind in yunwei_domain::ticket::ALL {
        let data = serde_json::json!({ "键": [1, "二", null], "big": i64::MAX });
        let rows = [
            NewActivity {
                ticket_id: 7,
                at: i64::MIN + 1,
                actor_id: Some(UserId(3)),
                kind: "reply",
                public: true,
                body: "网络 ‘全角’ '\"",
                data: data.clone(),
            },
            NewActivity { ticket_id: 7, at: 2, actor_id: None, kind: "work_note", public: false, body: "", data: serde_json::json!({}) },
            NewActivity { ticket_id: 8, at: 3, actor_id: None, kind: "created", public: true, body: "other", data: serde_json::json!({}) },
            NewActivity {
                ticket_id: 7,
                at: i64::MAX,
                actor_id: None,
                kind: "resolved",
                public: true,
                body: "last",
                data: serde_json::json!({}),
            },
        ];
        ticket::add_activities_many(&mut conn, backend, kind, &rows).await.expect("add");
        let all = ticket::activities(&mut conn, kind, 7, true).await.expect("read");
        assert_eq!(all.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["reply", "work_note", "resolved"], "{}", kind.object_type);
        assert!(all.windows(2).all(|w| w[0].id.0 < w[1].id.0), "{} in id order", kind.object_type);
        let first = &all[0];
        assert_eq!((first.ticket_id, first.at, first.actor_id, first.public), (7, i64::MIN + 1, Some(UserId(3)), true));
        assert_eq!((first.body.as_str(), &first.data, &first.actor_name), ("网络 ‘全角’ '\"", &data, &None));
        assert!(!all[1].public && all[2].at == i64::MAX);
        let public = ticket::activities(&mut conn, kind, 7, false).await.expect("read");
        assert_eq!(
            public.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(),
            ["reply", "resolved"],
            "{}: no work notes",
            kind.object_type
        );
        let json = serde_json::to_value(first).expect("json");
        let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys.contains(&kind.owner_column), kind.timeline_shows_owner, "{}: {keys:?}", kind.object_type);
        assert_eq!(json["id"], serde_json::json!(first.id.0));
        assert_eq!(json["data"], data);

        assert!(ticket::add_watcher(&mut conn, kind, 7, UserId(5)).await.expect("watch"));
        assert!(!ticket::add_watcher(&mut conn, kind, 7, UserId(5)).await.expect("watch again"), "{}: once", kind.object_type);
        assert!(ticket::add_watcher(&mut conn, kind, 7, UserId(2)).await.expect("watch"));
        assert!(ticket::add_watcher(&mut conn, kind, 8, UserId(9)).await.expect("watch"));
        assert_eq!(ticket::watchers(&mut conn, kind, 7).await.expect("watchers"), [UserId(2), UserId(5)]);
        assert!(ticket::remove_watcher(&mut conn, kind, 7, UserId(5)).await.expect("unwatch"));
        assert!(!ticket::remove_watcher(&mut conn, kind, 7, UserId(5)).await.expect("unwatch again"));
        assert_eq!(ticket::watchers(&mut conn, kind, 7).await.expect("watchers"), [UserId(2)]);
    }
    conn.close().await.expect("close");
    fresh.drop_now().await.expect("drop");
}
