//! Satisfaction statistics: answers in different months counted per month,
//! quarter, half-year and year in the Shanghai zone, per team, engineer and
//! service; and who may read them.

use crate::survey::{desk, resolved, survey_token};
use serde_json::{Value, json};
use std::sync::Arc;
use yunwei_core::{Clock, FixedClock};
use yunwei_testkit::bad_input::assert_problem;
use yunwei_testkit::{Options, spawn_app_with};

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().expect("time").as_millisecond()
}

/// (sent, answered, average, low, distribution) of one bucket or group.
fn figures(g: &Value) -> (i64, i64, Option<f64>, i64, Vec<i64>) {
    (
        g["sent"].as_i64().unwrap_or(-1),
        g["answered"].as_i64().unwrap_or(-1),
        g["average_score"].as_f64(),
        g["low_scores"].as_i64().unwrap_or(-1),
        g["distribution"].as_array().map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default(),
    )
}

fn group<'a>(bucket: &'a Value, name: &str) -> &'a Value {
    bucket["groups"].as_array().and_then(|gs| gs.iter().find(|g| g["group_name"] == name)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn statistics_bucket_by_period_in_the_configured_zone_and_group() {
    let clock = Arc::new(FixedClock::new(ms("2026-01-05T09:00:00+08:00")));
    let app = spawn_app_with(Options { clock: Some(clock.clone()), ..Default::default() }).await;
    let d = desk(&app, "s").await;
    let team_b = app.admin().post("/api/v1/teams", &json!({ "name": "s 桌面组", "members": [d.engineer2.0] })).await.json()["id"].clone();
    let svc = |name: &'static str| {
        let director = d.director.clone();
        async move { director.post("/api/v1/business-services", &json!({ "name": name })).await.json()["id"].clone() }
    };
    let (core_banking, ebank) = (svc("核心业务系统").await, svc("网上银行").await);
    // (resolved at, team, engineer, service, score)
    let a = json!(d.team);
    let plan = [
        ("2026-01-15T10:00:00+08:00", &a, &d.engineer, &core_banking, Some(5)),
        ("2026-03-20T10:00:00+08:00", &team_b, &d.engineer2, &ebank, Some(2)),
        ("2026-04-02T10:00:00+08:00", &a, &d.engineer, &core_banking, None),
        // 30 June 18:00 UTC is already 1 July in Shanghai: the second half-year.
        ("2026-07-01T02:00:00+08:00", &team_b, &d.engineer2, &core_banking, Some(4)),
        ("2026-07-20T10:00:00+08:00", &a, &d.engineer, &ebank, Some(3)),
        // 31 December 17:00 UTC is 2027 in Shanghai: not in 2026.
        ("2027-01-01T01:00:00+08:00", &a, &d.engineer, &ebank, Some(1)),
    ];
    for (n, (at, team, engineer, service, score)) in plan.iter().enumerate() {
        clock.advance_ms(ms(at) - clock.now_ms());
        let number = resolved(&d, engineer, json!({ "team_id": team, "service_id": service }), &format!("统计样本 {n}")).await;
        if let Some(score) = score {
            let token = survey_token(&app, &d.requester.1, &number).await;
            let r = app.anonymous().post(&format!("/api/v1/surveys/answer/{token}"), &json!({ "score": score })).await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
    }
    let stats = |q: &str| {
        let director = d.director.clone();
        let q = q.to_string();
        async move {
            let r = director.get(&format!("/api/v1/surveys/stats?year=2026{q}")).await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()
        }
    };

    let month = stats("&period=month").await;
    assert_eq!(month["time_zone"], "Asia/Shanghai");
    let buckets = month["buckets"].as_array().cloned().unwrap_or_default();
    assert_eq!(buckets.len(), 12);
    assert_eq!(
        (buckets[0]["label"].as_str(), buckets[0]["start"].as_str(), buckets[0]["end"].as_str()),
        (Some("2026-01"), Some("2026-01-01"), Some("2026-02-01"))
    );
    assert_eq!(figures(&buckets[0]["total"]), (1, 1, Some(5.0), 0, vec![0, 0, 0, 0, 1]));
    assert_eq!(figures(&buckets[2]["total"]), (1, 1, Some(2.0), 1, vec![0, 1, 0, 0, 0]));
    assert_eq!(figures(&buckets[3]["total"]), (1, 0, None, 0, vec![0; 5]));
    assert_eq!(buckets[3]["total"]["response_rate"], 0.0);
    assert_eq!(figures(&buckets[5]["total"]).0, 0, "nothing counted in June");
    assert_eq!(figures(&buckets[6]["total"]), (2, 2, Some(3.5), 0, vec![0, 0, 1, 1, 0]));
    assert_eq!(figures(&buckets[11]["total"]).0, 0, "the New Year's Eve survey is 2027's");
    assert_eq!(buckets[0]["groups"], json!([]), "no grouping asked");

    let quarter = stats("&period=quarter").await;
    let q: Vec<_> = quarter["buckets"].as_array().unwrap().iter().map(|b| figures(&b["total"])).collect();
    assert_eq!(quarter["buckets"][2]["label"], "2026-Q3");
    assert_eq!(q[0], (2, 2, Some(3.5), 1, vec![0, 1, 0, 0, 1]));
    assert_eq!(q[1], (1, 0, None, 0, vec![0; 5]));
    assert_eq!(q[2], (2, 2, Some(3.5), 0, vec![0, 0, 1, 1, 0]));
    assert_eq!(q[3].0, 0);

    let half = stats("&period=half").await;
    assert_eq!(half["buckets"][0]["label"], "2026-H1");
    assert_eq!(figures(&half["buckets"][0]["total"]), (3, 2, Some(3.5), 1, vec![0, 1, 0, 0, 1]));
    assert_eq!(half["buckets"][0]["total"]["response_rate"], 0.6667);
    assert_eq!(figures(&half["buckets"][1]["total"]), (2, 2, Some(3.5), 0, vec![0, 0, 1, 1, 0]));

    let year = stats("&period=year&by=team").await;
    let y = &year["buckets"][0];
    assert_eq!((y["label"].as_str(), y["end"].as_str()), (Some("2026"), Some("2027-01-01")));
    assert_eq!(figures(&y["total"]), (5, 4, Some(3.5), 1, vec![0, 1, 1, 1, 1]));
    assert_eq!(y["total"]["response_rate"], 0.8);
    assert_eq!(figures(group(y, "s 网络组")), (3, 2, Some(4.0), 0, vec![0, 0, 1, 0, 1]), "{y}");
    assert_eq!(figures(group(y, "s 桌面组")), (2, 2, Some(3.0), 1, vec![0, 1, 0, 1, 0]));
    assert_eq!(group(y, "s 网络组")["group_id"], d.team);

    let engineers = stats("&period=year&by=engineer").await;
    let e = &engineers["buckets"][0];
    assert_eq!(figures(group(e, "s.eng")).2, Some(4.0), "{e}");
    assert_eq!(group(e, "s.eng2")["group_id"], d.engineer2.0);
    assert_eq!(figures(group(e, "s.eng2")).2, Some(3.0));

    let services = stats("&period=quarter&by=service").await;
    let q3 = &services["buckets"][2];
    assert_eq!(figures(group(q3, "核心业务系统")), (1, 1, Some(4.0), 0, vec![0, 0, 0, 1, 0]), "{q3}");
    assert_eq!(figures(group(q3, "网上银行")), (1, 1, Some(3.0), 0, vec![0, 0, 1, 0, 0]));
    let next_year = d.director.get("/api/v1/surveys/stats?year=2027&period=year").await.json();
    assert_eq!(figures(&next_year["buckets"][0]["total"]), (1, 1, Some(1.0), 1, vec![1, 0, 0, 0, 0]));
    let default_year = d.director.get("/api/v1/surveys/stats").await.json();
    assert_eq!((default_year["year"].as_i64(), default_year["period"].as_str()), (Some(2027), Some("month")), "this year, by month");

    // Organisation-wide figures: a teller may not read them; bad parameters are refused.
    assert_problem(&d.requester.1.get("/api/v1/surveys/stats").await, 403, "forbidden");
    assert_eq!(d.manager.1.get("/api/v1/surveys/stats?by=engineer").await.status, 200);
    assert_problem(&d.director.get("/api/v1/surveys/stats?year=1999").await, 422, "validation_failed");
    assert_problem(&d.director.get("/api/v1/surveys/stats?by=desk").await, 400, "invalid_query");
    app.stop().await;
}
