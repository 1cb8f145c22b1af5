//! Outbound webhooks: subscriptions, secret rotation, test ping and recent deliveries.

use crate::extract::{ApiJson, ApiPath, ApiQuery};
use serde::Deserialize;
use yunwei_core::webhook::{self, NewWebhook, WebhookPatch};

handlers! {
    list() -> items: webhook::list();
    create(ApiJson(body: NewWebhook)) -> created_secret: webhook::create(body);
    get(ApiPath(id: i64)) -> json: webhook::get(id);
    patch(ApiPath(id: i64), ApiJson(body: WebhookPatch)) -> json: webhook::patch(id, body);
    delete(ApiPath(id: i64)) -> no_content: webhook::delete(id);
    rotate_secret(ApiPath(id: i64)) -> secret: webhook::rotate_secret(id);
    test(ApiPath(id: i64)) -> accepted: webhook::test(id);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    pub limit: Option<i64>,
}

handlers! {
    deliveries(ApiPath(id: i64), ApiQuery(q: DeliveriesQuery)) -> items: webhook::deliveries(id, q.limit.unwrap_or(50));
}
