//! `/api/v1/assets`: the asset register, lifecycle steps, history and approval rules.

use crate::extract::{ApiJson, ApiPath, ApiQuery};
use yunwei_core::asset::lifecycle::{self, StepInput};
use yunwei_core::asset::{self, AssetPatch, AssetQuery, NewAsset};
use yunwei_domain::ids::AssetId;

handlers! {
    list(ApiQuery(q: AssetQuery)) -> json: asset::list(&q);
    create(ApiJson(body: NewAsset)) -> created: asset::create(body);
    get(ApiPath(id: i64)) -> json: asset::get(AssetId(id));
    by_tag(ApiPath(tag: String)) -> json: asset::by_tag(&tag);
    update(ApiPath(id: i64), ApiJson(body: AssetPatch)) -> json: asset::update(AssetId(id), body);
    act(ApiPath(id: i64), ApiJson(body: StepInput)) -> json: lifecycle::act(AssetId(id), body);
    history(ApiPath(id: i64)) -> items: asset::history(AssetId(id));
    approval_rules() -> items: asset::approval_rules();
}
