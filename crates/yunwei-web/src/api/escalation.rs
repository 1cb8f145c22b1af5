//! Escalation: policies, an incident's escalation and its acknowledgement, alert routing rules.

use crate::api::incident::incident_id;
use crate::extract::{ApiJson, ApiPath};
use yunwei_core::escalation::{self, PolicyInput, routes::RouteInput};

handlers! {
    list_policies() -> items: escalation::list_policies();
    create_policy(ApiJson(body: PolicyInput)) -> created: escalation::create_policy(body);
    get_policy(ApiPath(id: i64)) -> json: escalation::get_policy(id);
    put_policy(ApiPath(id: i64), ApiJson(body: PolicyInput)) -> json: escalation::update_policy(id, body);
    /// `GET /incidents/{number}/escalation`: the incident's escalation, if it has one.
    of_incident(ApiPath(id: String)) -> json: escalation::escalation_of(incident_id(&id)?);
    /// `POST /incidents/{number}/acknowledge`: stops the incident's escalation.
    acknowledge(ApiPath(id: String)) -> json: escalation::acknowledge(incident_id(&id)?);
    list_routes() -> items: escalation::routes::list();
    create_route(ApiJson(body: RouteInput)) -> created: escalation::routes::create(body);
    put_route(ApiPath(id: i64), ApiJson(body: RouteInput)) -> json: escalation::routes::update(id, body);
    delete_route(ApiPath(id: i64)) -> no_content: escalation::routes::delete(id);
}
