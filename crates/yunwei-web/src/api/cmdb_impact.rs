//! CMDB impact analysis (CMDB-3): one CI's impact or needs, and several failures together.

use crate::extract::{ApiJson, ApiPath, ApiQuery};
use yunwei_core::cmdb::impact::{self, FailuresInput, ImpactQuery};
use yunwei_core::domain::ids::CiId;

handlers! {
    /// `GET /cmdb/cis/{id}/impact`.
    of_ci(ApiPath(id: i64), ApiQuery(q: ImpactQuery)) -> json: impact::of_ci(CiId(id), &q);
    /// `POST /cmdb/impact`.
    of_failures(ApiJson(body: FailuresInput)) -> json: impact::of_failures(body);
}
