//! Every table declared with `table!` round-trips: a row with every field set to an edge
//! value (large and negative integers, unicode and quotes, `true`, nested JSON) and a row
//! with every field empty (NULL, zero, empty text, `false`) come back as they were written.
//! Run on SQLite and (with YUNWEI_TEST_DATABASE_URL) PostgreSQL.

use sqlx::Connection;
use yunwei_store::sql::Value;
use yunwei_store::table::{Fill, Sample, Table, round_trip};
use yunwei_store::testing::FreshDatabase;
use yunwei_store::{Db, migrate};

/// Writes both samples of `T` on a connection that does not check foreign keys (the samples'
/// ids point nowhere), reads them back and compares them field by field.
async fn check<T: Table + Sample + std::fmt::Debug>(extra: &[(&str, Value)]) {
    let fresh = FreshDatabase::create().await.expect("fresh database");
    let db = Db::connect(&fresh.url, 2).await.expect("connect");
    migrate::run(&db, 1).await.expect("migrate");
    db.close().await;
    // A connection of its own: SQLite with its foreign keys off, PostgreSQL in replica mode.
    let mut conn = sqlx::AnyConnection::connect(&fresh.url).await.expect("connect");
    let unchecked = if fresh.is_postgres() { "SET session_replication_role = replica" } else { "PRAGMA foreign_keys = OFF" };
    yunwei_store::raw_execute(&mut conn, unchecked).await.expect("foreign keys off");
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
    incident_activity: yunwei_store::incident::Activity;
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
}
