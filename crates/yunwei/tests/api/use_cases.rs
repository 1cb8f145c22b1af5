//! Use cases tested in core, without HTTP (`yunwei_testkit::harness::TestCore`): the same
//! rules the API tests see through their answers, asked of the functions directly.

use serde_json::json;
use yunwei_core::CoreError;
use yunwei_domain::incident::IncidentState;
use yunwei_testkit::harness::TestCore;

fn report(title: &str) -> yunwei_core::incident::NewIncident {
    serde_json::from_value(json!({ "title": title, "description": "朝阳支行 3 台 ATM 无法联机", "impact": "high", "urgency": "medium" }))
        .expect("a valid report")
}

#[tokio::test]
async fn an_incident_is_reported_and_read_by_who_may_and_refused_to_who_may_not() {
    let t = TestCore::start().await;
    let director = t.user("core.director", &["ops_director"]).await;
    let teller = t.user("core.teller", &["business_user"]).await;
    let created = yunwei_core::incident::create(&t.core, &director, report("ATM 网络中断")).await.expect("the director reports");
    assert!(created.number.starts_with("INC-"), "{}", created.number);
    assert_eq!((created.title.as_str(), created.state), ("ATM 网络中断", IncidentState::New));
    let read = yunwei_core::incident::get(&t.core, &director, created.id).await.expect("the director reads it");
    assert_eq!(read.incident.number, created.number);
    // Someone else's incident is not the teller's to read; the administrator's duty is the
    // system, not the service desk (separation of duties).
    let refused = yunwei_core::incident::get(&t.core, &teller, created.id).await.map(|_| ());
    assert!(matches!(refused, Err(CoreError::Forbidden(_) | CoreError::NotFound(_))), "{refused:?}");
    let admin = t.ctx_for(t.admin_id).await;
    let refused = yunwei_core::incident::create(&t.core, &admin, report("不该登记")).await.map(|_| ());
    assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{refused:?}");
    // What the command promised is in the outbox, for the dispatcher this harness does not run.
    t.drain_outbox().await;
    t.stop().await;
}

#[tokio::test]
async fn one_account_cannot_combine_two_administrator_duties() {
    let t = TestCore::start().await;
    let clerk = t.user_id("core.clerk", &["auditor"]).await;
    let keys = ["system_admin".to_string(), "audit_admin".to_string()];
    let refused = yunwei_core::admin::set_user_roles(&t.core, &t.system(), clerk, &keys).await.map(|_| ());
    let code = refused.as_ref().err().map(|e| e.code());
    assert_eq!(code, Some("separation_of_duties"), "{refused:?}");
    let roles = t.ctx_for(clerk).await.actor.map(|a| a.duty);
    assert_eq!(roles, Some(None), "the clerk still holds no administrator duty");
    t.stop().await;
}
