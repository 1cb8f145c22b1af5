//! Monitoring alerts: integrations (with their tokens), the alert list and detail, acknowledge.

use crate::extract::{ApiJson, ApiPath, ApiQuery};
use yunwei_core::alert::{self, AlertQuery, IntegrationPatch, NewIntegration};

handlers! {
    list_integrations() -> items: alert::list_integrations();
    create_integration(ApiJson(body: NewIntegration)) -> created_secret: alert::create_integration(body);
    get_integration(ApiPath(id: i64)) -> json: alert::get_integration(id);
    patch_integration(ApiPath(id: i64), ApiJson(body: IntegrationPatch)) -> json: alert::patch_integration(id, body);
    delete_integration(ApiPath(id: i64)) -> no_content: alert::delete_integration(id);
    rotate_token(ApiPath(id: i64)) -> secret: alert::rotate_token(id);
    list(ApiQuery(q: AlertQuery)) -> items: alert::list(q);
    get(ApiPath(id: i64)) -> json: alert::get(id);
    acknowledge(ApiPath(id: i64)) -> json: alert::acknowledge(id);
}

handlers! {
    list_silences() -> items: alert::silence::list();
    create_silence(ApiJson(body: alert::silence::NewSilence)) -> created: alert::silence::create(body);
    expire_silence(ApiPath(id: i64)) -> json: alert::silence::expire(id);
}
