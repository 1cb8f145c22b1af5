//! Newtype ids, so that a team id can never be passed where a user id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

/// Calls the macro `$m` with the name of every id type: code elsewhere that must cover each
/// id (the store's column mappings) names them here once, as the types themselves are.
#[macro_export]
macro_rules! for_each_id {
    ($m:ident) => {
        $m!(
            UserId,
            TeamId,
            DepartmentId,
            RoleId,
            ApiTokenId,
            NotificationId,
            OutboxEventId,
            DeliveryId,
            JobId,
            IncidentId,
            CategoryId,
            ServiceId,
            CalendarId,
            SlaPolicyId,
            ActivityId,
            ServiceRequestId,
            CatalogItemId,
            RequestTaskId,
            ApprovalId,
            SurveyId,
            ImprovementId,
            CiClassId,
            CiAttributeId,
            CiId,
            CiRelationTypeId,
            CiRelationId,
            AssetId,
            AssetApprovalRuleId,
            LicenceId,
            LicenceAssignmentId,
            StocktakeId,
            ChangeId,
            ProblemId,
            ProblemMeasureId,
            ProblemSuggestionId,
            DutyScheduleId,
            DutyLayerId,
            DutyOverrideId,
            DutySwapId,
            ArticleId
        );
    };
}

for_each_id!(id_type);
