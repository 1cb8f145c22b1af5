//! Domain events: written to the outbox in the same transaction as the change
//! that caused them, then delivered (in-app, email, later webhooks) after commit.

crate::permission::string_enum!(
    EventType {
        UserCreated = "user.created",
        UserUpdated = "user.updated",
        UserDisabled = "user.disabled",
        UserEnabled = "user.enabled",
        UserRolesChanged = "user.roles_changed",
        AccountLocked = "account.locked",
        PasswordChanged = "password.changed",
        ApiTokenCreated = "api_token.created",
        TotpEnabled = "totp.enabled",
        TotpDisabled = "totp.disabled",
        TeamCreated = "team.created",
        TeamUpdated = "team.updated",
        TeamDeleted = "team.deleted",
        DepartmentCreated = "department.created",
        DepartmentUpdated = "department.updated",
        DepartmentDeleted = "department.deleted",
        RoleCreated = "role.created",
        RoleUpdated = "role.updated",
        RoleDeleted = "role.deleted",
        DutyGrantRequested = "duty_grant.requested",
        DutyGrantDecided = "duty_grant.decided",
        IncidentCreated = "incident.created",
        IncidentAssigned = "incident.assigned",
        IncidentStateChanged = "incident.state_changed",
        IncidentCommented = "incident.commented",
        IncidentSlaWarning = "incident.sla_warning",
        IncidentSlaBreached = "incident.sla_breached",
        IncidentMajorDeclared = "incident.major_declared",
        IncidentEscalated = "incident.escalated",
        IncidentPaged = "incident.paged",
        IncidentMajorPhaseChanged = "incident.major_phase_changed",
        IncidentMajorUpdatePosted = "incident.major_update_posted",
        IncidentMajorUpdateDue = "incident.major_update_due",
        ServiceRequestCreated = "service_request.created",
        ServiceRequestApprovalRequested = "service_request.approval_requested",
        ServiceRequestApproved = "service_request.approved",
        ServiceRequestRejected = "service_request.rejected",
        ServiceRequestTaskAssigned = "service_request.task_assigned",
        ServiceRequestFulfilled = "service_request.fulfilled",
        ServiceRequestStateChanged = "service_request.state_changed",
        ServiceRequestCommented = "service_request.commented",
        ServiceRequestApproverMissing = "service_request.approver_missing",
        SurveyRequested = "survey.requested",
        SurveyAnswered = "survey.answered",
        ImprovementOpened = "improvement.opened",
        CiCreated = "ci.created",
        CiUpdated = "ci.updated",
        CiDeleted = "ci.deleted",
        CiRelationCreated = "ci.relation_created",
        CiRelationDeleted = "ci.relation_deleted",
        AlertFiring = "alert.firing",
        AlertResolved = "alert.resolved",
        AlertAcknowledged = "alert.acknowledged",
        AssetCreated = "asset.created",
        AssetUpdated = "asset.updated",
        AssetTransitioned = "asset.transitioned",
        AssetWarrantyExpiring = "asset.warranty_expiring",
        LicenceCreated = "licence.created",
        LicenceUpdated = "licence.updated",
        LicenceAssigned = "licence.assigned",
        LicenceUnassigned = "licence.unassigned",
        LicenceExpiring = "licence.expiring",
        StocktakeOpened = "stocktake.opened",
        StocktakeClosed = "stocktake.closed",
        ChangeCreated = "change.created",
        ChangeCommented = "change.commented",
        ChangeApprovalRequested = "change.approval_requested",
        ChangeApproved = "change.approved",
        ChangeRejected = "change.rejected",
        ChangeStateChanged = "change.state_changed",
        ProblemCreated = "problem.created",
        ProblemCommented = "problem.commented",
        ProblemStateChanged = "problem.state_changed",
        ProblemUpdated = "problem.updated",
        ProblemSuggested = "problem_suggestion.raised",
        KnowledgeCreated = "knowledge.created",
        KnowledgeUpdated = "knowledge.updated",
        KnowledgeReviewRequested = "knowledge.review_requested",
        KnowledgePublished = "knowledge.published",
        KnowledgeRejected = "knowledge.rejected",
        KnowledgeRetired = "knowledge.retired",
        KnowledgeReviewDue = "knowledge.review_due",
    }
);

impl EventType {
    /// Events that tell the user they are about (the "subject") by in-app
    /// notice and e-mail. Security-relevant ones cannot be switched off.
    pub fn notifies_subject(self) -> bool {
        matches!(
            self,
            Self::UserCreated
                | Self::UserRolesChanged
                | Self::AccountLocked
                | Self::PasswordChanged
                | Self::ApiTokenCreated
                | Self::TotpEnabled
                | Self::TotpDisabled
        )
    }

    /// Events about a record that go to the users named in the event's
    /// `recipients` (assignee, team, requester, watchers), not to one subject.
    pub fn notifies_recipients(self) -> bool {
        ["incident.", "service_request.", "survey.", "improvement.", "duty_grant.", "change.", "problem.", "knowledge."]
            .iter()
            .any(|p| self.as_str().starts_with(p))
            || matches!(self, Self::LicenceExpiring | Self::AssetWarrantyExpiring)
    }

    /// A user may not opt out of these: they warn of a possible account takeover.
    pub fn is_security_notice(self) -> bool {
        matches!(self, Self::AccountLocked | Self::PasswordChanged | Self::ApiTokenCreated | Self::TotpDisabled)
    }
}

crate::permission::string_enum!(
    /// Delivery channels for notifications in this release.
    Channel {
        InApp = "in_app",
        Email = "email",
    }
);

/// Exponential backoff for redelivery: 10 s, 20 s, 40 s … capped at one hour.
pub fn retry_delay_seconds(attempt: u32) -> i64 {
    let exp = attempt.saturating_sub(1).min(20);
    (10i64 << exp).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(retry_delay_seconds(1), 10);
        assert_eq!(retry_delay_seconds(2), 20);
        assert_eq!(retry_delay_seconds(4), 80);
        assert_eq!(retry_delay_seconds(30), 3600);
    }

    #[test]
    fn security_notices_notify() {
        for e in EventType::ALL {
            assert!(!e.is_security_notice() || e.notifies_subject(), "{e}");
        }
    }
}
