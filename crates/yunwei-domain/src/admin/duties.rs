//! Separation of duties (三权分立) as a property of permissions.
//!
//! Every permission belongs to the system, security or audit duty, or to ordinary work.
//! No role and no account may combine two duties, whoever edits it; nobody changes their
//! own rights; accounts that hold a duty are out of reach of the other duties; granting or
//! taking away a duty needs a second person. The matrix is in the admin guide and every
//! cell of it is a test.

use super::AdminDuty;
use crate::DomainError;
use crate::ids::UserId;
use crate::permission::{Action, ObjectType, Permission};

/// The duty a permission belongs to; `None` is ordinary work.
///
/// - audit: everything on the audit log;
/// - security: defining roles and what they may do;
/// - system: managing accounts, teams, departments and the platform's plumbing
///   (templates, deliveries, jobs, webhooks, the CMDB's classes).
///
/// Reading organisation data, assigning ordinary roles (`role:assign`) and approving
/// someone else's duty grant (`role:approve`) are ordinary: the rules below bound them.
pub fn duty_of(p: &Permission) -> Option<AdminDuty> {
    use ObjectType::*;
    let writes = !matches!(p.action, Action::Read);
    match p.object {
        AuditLog => Some(AdminDuty::Audit),
        Role if matches!(p.action, Action::Create | Action::Update | Action::Delete) => Some(AdminDuty::Security),
        User | Team | Department if matches!(p.action, Action::Create | Action::Update | Action::Delete) => Some(AdminDuty::System),
        NotificationTemplate | Delivery | Job | Webhook if writes => Some(AdminDuty::System),
        // The CMDB's model (classes, attributes, relation rules) is the platform's plumbing.
        CiClass if writes => Some(AdminDuty::System),
        // Monitoring integrations hold the tokens senders use: plumbing too.
        AlertIntegration if writes => Some(AdminDuty::System),
        _ => None,
    }
}

/// The one duty a set of permissions carries, or the first two that clash.
pub fn duty_of_set<'a>(permissions: impl IntoIterator<Item = &'a Permission>) -> Result<Option<AdminDuty>, DomainError> {
    one_duty(permissions.into_iter().filter_map(duty_of))
}

/// Joins the duties of several roles (each already a single duty) into an account's duty.
pub fn duty_of_account(role_duties: impl IntoIterator<Item = Option<AdminDuty>>) -> Result<Option<AdminDuty>, DomainError> {
    one_duty(role_duties.into_iter().flatten())
}

/// None, one duty, or the first two that clash.
fn one_duty(duties: impl Iterator<Item = AdminDuty>) -> Result<Option<AdminDuty>, DomainError> {
    let mut held: Vec<AdminDuty> = duties.collect();
    held.sort();
    held.dedup();
    match held.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        [first, second, ..] => Err(DomainError::SeparationOfDuties(*first, *second)),
    }
}

crate::permission::string_enum!(
    /// What one person does to another person's account.
    AccountAction {
        Create = "create",
        EditProfile = "edit_profile",
        ResetPassword = "reset_password",
        ResetSecondFactor = "reset_second_factor",
        ManageTokens = "manage_tokens",
        Disable = "disable",
        Enable = "enable",
        ChangeRoles = "change_roles",
    }
);

/// Who acts: their account and the duty their roles carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    pub user: UserId,
    pub duty: Option<AdminDuty>,
}

/// The account acted on: its duty now and (for role changes and creation) afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub user: UserId,
    pub duty_before: Option<AdminDuty>,
    pub duty_after: Option<AdminDuty>,
}

/// What the rules allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead now.
    Allowed,
    /// Record the request; it takes effect when a second person approves it.
    NeedsSecondPerson,
}

/// The 三权分立 matrix for account management. Permission checks (`user:update`,
/// `role:assign`…) come first and are not repeated here.
///
/// - Nobody changes their own roles.
/// - Granting, changing or taking away a duty takes the security duty, and a second
///   person's approval when `four_eyes` is on; an account is never created holding one.
/// - An account that holds a duty is out of reach for password resets, second-factor
///   resets, token management and profile edits by anyone else (its holder uses
///   self-service; the server's command line is the audited break-glass).
/// - Such an account is disabled or enabled only by another holder of the same duty.
pub fn judge_account_action(actor: &Party, target: &Target, action: AccountAction, four_eyes: bool) -> Result<Decision, DomainError> {
    use AccountAction::*;
    if actor.user == target.user && matches!(action, ChangeRoles | Disable | Enable | ResetPassword | ResetSecondFactor) {
        return Err(DomainError::OwnRights);
    }
    match action {
        ChangeRoles => {
            if target.duty_before.is_none() && target.duty_after.is_none() {
                Ok(Decision::Allowed)
            } else if actor.duty != Some(AdminDuty::Security) {
                Err(DomainError::DutyGrantNeedsSecurity)
            } else if four_eyes {
                Ok(Decision::NeedsSecondPerson)
            } else {
                Ok(Decision::Allowed)
            }
        }
        Create => match target.duty_after {
            Some(_) => Err(DomainError::DutyOnCreate),
            None => Ok(Decision::Allowed),
        },
        EditProfile | ResetPassword | ResetSecondFactor | ManageTokens => match target.duty_before {
            Some(duty) if actor.user != target.user => Err(DomainError::ProtectedAccount(duty)),
            _ => Ok(Decision::Allowed),
        },
        Disable | Enable => match target.duty_before {
            Some(duty) if actor.duty != Some(duty) => Err(DomainError::ProtectedAccount(duty)),
            _ => Ok(Decision::Allowed),
        },
    }
}

/// A change to a role's permissions (or its second-factor requirement).
///
/// Nobody edits the rights of a role they hold; a change to a role that carries a duty,
/// before or after, needs a second person when `four_eyes` is on. Name and description
/// edits (`rights_changed == false`) are always immediate.
pub fn judge_role_edit(
    actor_holds_role: bool,
    duty_before: Option<AdminDuty>,
    duty_after: Option<AdminDuty>,
    rights_changed: bool,
    four_eyes: bool,
) -> Result<Decision, DomainError> {
    if !rights_changed {
        return Ok(Decision::Allowed);
    }
    if actor_holds_role {
        return Err(DomainError::OwnRights);
    }
    if four_eyes && (duty_before.is_some() || duty_after.is_some()) { Ok(Decision::NeedsSecondPerson) } else { Ok(Decision::Allowed) }
}

/// The second person: not the one who asked, and not the one whose rights change
/// (the target of a role change, or a holder of the role being edited).
pub fn judge_approval(approver: UserId, requester: UserId, approver_is_affected: bool) -> Result<(), DomainError> {
    if approver == requester {
        return Err(DomainError::OwnRequest);
    }
    if approver_is_affected {
        return Err(DomainError::OwnRights);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::builtin_roles;
    use AccountAction::*;
    use AdminDuty::*;

    fn p(s: &str) -> Permission {
        s.parse().unwrap()
    }

    #[test]
    fn permissions_carry_their_duty() {
        assert_eq!(duty_of(&p("audit_log:read:all")), Some(Audit));
        assert_eq!(duty_of(&p("audit_log:export:all")), Some(Audit));
        assert_eq!(duty_of(&p("role:update:all")), Some(Security));
        assert_eq!(duty_of(&p("role:assign:all")), None);
        assert_eq!(duty_of(&p("role:approve:all")), None);
        assert_eq!(duty_of(&p("user:create:all")), Some(System));
        assert_eq!(duty_of(&p("user:update:all")), Some(System));
        assert_eq!(duty_of(&p("user:read:all")), None);
        assert_eq!(duty_of(&p("webhook:create:all")), Some(System));
        assert_eq!(duty_of(&p("incident:update:team")), None);
        assert_eq!(duty_of(&p("setting:update:all")), None);
    }

    #[test]
    fn a_role_never_spans_two_duties() {
        assert_eq!(duty_of_set(&[p("user:create:all"), p("incident:read:all")]), Ok(Some(System)));
        assert_eq!(duty_of_set(&[p("role:update:all"), p("audit_log:read:all")]), Err(DomainError::SeparationOfDuties(Security, Audit)));
        assert_eq!(duty_of_set(&[]), Ok(None));
        for r in builtin_roles() {
            assert_eq!(duty_of_set(&r.permissions), Ok(r.duty), "built-in role {} declares the duty its permissions carry", r.key);
        }
    }

    #[test]
    fn an_account_never_spans_two_duties() {
        assert_eq!(duty_of_account([Some(Audit), None, Some(Audit)]), Ok(Some(Audit)));
        assert_eq!(duty_of_account([Some(System), Some(Audit)]), Err(DomainError::SeparationOfDuties(System, Audit)));
    }

    const SYS: Party = Party { user: UserId(1), duty: Some(System) };
    const SEC: Party = Party { user: UserId(2), duty: Some(Security) };
    const AUD: Party = Party { user: UserId(3), duty: Some(Audit) };
    const DIRECTOR: Party = Party { user: UserId(4), duty: None };

    fn holder(duty: Option<AdminDuty>) -> Target {
        Target { user: UserId(50), duty_before: duty, duty_after: duty }
    }

    #[test]
    fn nobody_changes_their_own_rights() {
        for actor in [SYS, SEC, AUD, DIRECTOR] {
            let me = Target { user: actor.user, duty_before: actor.duty, duty_after: actor.duty };
            for action in [ChangeRoles, Disable, ResetPassword, ResetSecondFactor] {
                assert_eq!(judge_account_action(&actor, &me, action, true), Err(DomainError::OwnRights), "{action}");
            }
        }
        assert_eq!(judge_role_edit(true, Some(Security), Some(Security), true, true), Err(DomainError::OwnRights));
        assert_eq!(judge_role_edit(true, None, None, false, true), Ok(Decision::Allowed), "renaming one's own role is fine");
    }

    #[test]
    fn ordinary_accounts_are_managed_by_whoever_has_the_permission() {
        for action in AccountAction::ALL {
            assert_eq!(judge_account_action(&SYS, &holder(None), *action, true), Ok(Decision::Allowed), "{action}");
        }
    }

    #[test]
    fn the_system_administrator_cannot_reach_security_or_audit_accounts() {
        for duty in [Security, Audit] {
            for action in [EditProfile, ResetPassword, ResetSecondFactor, ManageTokens, Disable, Enable] {
                assert_eq!(
                    judge_account_action(&SYS, &holder(Some(duty)), action, true),
                    Err(DomainError::ProtectedAccount(duty)),
                    "{action} on {duty}"
                );
            }
            assert_eq!(judge_account_action(&SYS, &holder(Some(duty)), ChangeRoles, true), Err(DomainError::DutyGrantNeedsSecurity));
            let puppet = Target { user: UserId(60), duty_before: None, duty_after: Some(duty) };
            assert_eq!(judge_account_action(&SYS, &puppet, Create, true), Err(DomainError::DutyOnCreate));
            assert_eq!(judge_account_action(&SYS, &puppet, ChangeRoles, true), Err(DomainError::DutyGrantNeedsSecurity));
        }
    }

    #[test]
    fn no_administrator_resets_another_duty_holder() {
        for actor in [SYS, SEC, AUD] {
            for duty in [System, Security, Audit] {
                assert_eq!(
                    judge_account_action(&actor, &holder(Some(duty)), ResetPassword, true),
                    Err(DomainError::ProtectedAccount(duty)),
                    "{:?} resetting a {duty} holder",
                    actor.duty
                );
            }
        }
    }

    #[test]
    fn only_a_colleague_of_the_same_duty_disables_a_duty_holder() {
        assert_eq!(judge_account_action(&SYS, &holder(Some(System)), Disable, true), Ok(Decision::Allowed));
        assert_eq!(judge_account_action(&SEC, &holder(Some(System)), Disable, true), Err(DomainError::ProtectedAccount(System)));
        assert_eq!(judge_account_action(&DIRECTOR, &holder(Some(Audit)), Disable, true), Err(DomainError::ProtectedAccount(Audit)));
    }

    #[test]
    fn duties_are_granted_by_the_security_duty_with_a_second_person() {
        let grant = Target { user: UserId(70), duty_before: None, duty_after: Some(Audit) };
        assert_eq!(judge_account_action(&SEC, &grant, ChangeRoles, true), Ok(Decision::NeedsSecondPerson));
        assert_eq!(judge_account_action(&SEC, &grant, ChangeRoles, false), Ok(Decision::Allowed));
        let revoke = Target { user: UserId(70), duty_before: Some(Audit), duty_after: None };
        assert_eq!(judge_account_action(&SEC, &revoke, ChangeRoles, true), Ok(Decision::NeedsSecondPerson));
        assert_eq!(judge_account_action(&DIRECTOR, &grant, ChangeRoles, true), Err(DomainError::DutyGrantNeedsSecurity));
        assert_eq!(judge_account_action(&AUD, &grant, ChangeRoles, true), Err(DomainError::DutyGrantNeedsSecurity));
    }

    #[test]
    fn duty_roles_change_with_a_second_person() {
        assert_eq!(judge_role_edit(false, Some(Audit), None, true, true), Ok(Decision::NeedsSecondPerson), "stripping the audit role");
        assert_eq!(judge_role_edit(false, None, Some(Audit), true, true), Ok(Decision::NeedsSecondPerson), "arming a custom role");
        assert_eq!(judge_role_edit(false, None, None, true, true), Ok(Decision::Allowed));
        assert_eq!(judge_role_edit(false, Some(Audit), Some(Audit), true, false), Ok(Decision::Allowed));
    }

    #[test]
    fn the_second_person_is_someone_else() {
        assert_eq!(judge_approval(UserId(2), UserId(2), false), Err(DomainError::OwnRequest));
        assert_eq!(judge_approval(UserId(4), UserId(2), true), Err(DomainError::OwnRights));
        assert_eq!(judge_approval(UserId(4), UserId(2), false), Ok(()));
    }
}
