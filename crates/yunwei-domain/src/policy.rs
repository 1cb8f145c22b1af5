//! One policy per object type: who may do what to a record, given the caller's grants
//! (object × action × scope) and where the record sits — the people it belongs to (`own`),
//! its team and its department. Pure rules: core loads a record only through a function
//! that asks the record's policy (ADR 0014), and the authorisation matrix test computes
//! every expected answer from these declarations and the built-in roles.
//!
//! A new process declares its policy in one constant and says where its records sit:
//!
//! ```
//! use yunwei_domain::permission::{Action, ObjectType, PermissionSet};
//! use yunwei_domain::policy::{Decision, Holders, Policy};
//! use yunwei_domain::ids::{TeamId, UserId};
//! const CHANGE: Policy = Policy { object: ObjectType::Change, owned_by: &["requester", "implementer"] };
//! let holders = Holders { owners: vec![UserId(7)], team: Some(TeamId(2)), ..Holders::default() };
//! let grants = PermissionSet::new(vec!["change:update:team".parse().unwrap()]);
//! let me = yunwei_domain::permission::ActorPlace { user: UserId(9), teams: vec![TeamId(2)], department: None };
//! assert_eq!(CHANGE.decide(&grants, &me, Action::Update, &holders), Decision::Allow);
//! assert_eq!(CHANGE.decide(&grants, &me, Action::Delete, &holders), Decision::NoGrant);
//! ```

use crate::ids::{DepartmentId, TeamId, UserId};
use crate::permission::{Action, ActorPlace, ObjectType, PermissionSet, Scope};

/// Where a record sits, as its policy sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    /// The people for whom the record is their own (a grant at scope `own` reaches it).
    pub owners: Vec<UserId>,
    /// The team that works it (`team` reaches it).
    pub team: Option<TeamId>,
    /// The department it belongs to (`department` reaches it).
    pub department: Option<DepartmentId>,
    /// People who may read it without any grant (a service request's approvers).
    pub readers: Vec<UserId>,
    /// Where parts of it are worked (a request's tasks: assignee and team): whoever holds any
    /// read grant on the type and is such an assignee or team member may read the record.
    pub workers: Vec<(Option<UserId>, Option<TeamId>)>,
}

/// A policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No grant of the action on the object type at any scope: refused before any lookup,
    /// so that a missing record and a forbidden one answer alike.
    NoGrant,
    /// A grant whose widest scope does not reach the record.
    OutOfScope(Scope),
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The rules of one object type. `owned_by` names the record's fields that make it someone's
/// own, for people reading the declaration (the guide prints them) and for the matrix test.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub object: ObjectType,
    pub owned_by: &'static [&'static str],
}

impl Policy {
    /// The widest scope of the caller's grants for `action` on this type, if any.
    pub fn grant(&self, grants: &PermissionSet, action: Action) -> Option<Scope> {
        grants.scope_for(self.object, action)
    }

    /// May a caller with `grants`, sitting at `actor`, do `action` on a record held by `h`?
    pub fn decide(&self, grants: &PermissionSet, actor: &ActorPlace, action: Action, h: &Holders) -> Decision {
        if action == Action::Read && h.readers.contains(&actor.user) {
            return Decision::Allow;
        }
        let Some(scope) = self.grant(grants, action) else { return Decision::NoGrant };
        if reaches(scope, actor, h) {
            return Decision::Allow;
        }
        let works_on_it = h.workers.iter().any(|(user, team)| *user == Some(actor.user) || team.is_some_and(|t| actor.teams.contains(&t)));
        if action == Action::Read && works_on_it { Decision::Allow } else { Decision::OutOfScope(scope) }
    }
}

/// Does a grant of `scope` reach a record held by `h`?
pub fn reaches(scope: Scope, actor: &ActorPlace, h: &Holders) -> bool {
    let own = h.owners.contains(&actor.user);
    let team = h.team.is_some_and(|t| actor.teams.contains(&t));
    let dept = h.department.is_some() && h.department == actor.department;
    match scope {
        Scope::All => true,
        Scope::Department => own || team || dept,
        Scope::Team => own || team,
        Scope::Own => own,
    }
}

/// Incidents belong to their requester, reporter and assignee, their team, and the
/// requester's department.
pub const INCIDENT: Policy = Policy { object: ObjectType::Incident, owned_by: &["requester", "reporter", "assignee"] };

/// Service requests as incidents; approvers read without a grant, and a task's assignee or
/// team member with any read grant reads the request. Working a task needs an update grant
/// reaching the task (its assignee, team, the request's department) or the request.
pub const SERVICE_REQUEST: Policy = Policy { object: ObjectType::ServiceRequest, owned_by: &["requester", "reporter", "assignee"] };

/// Improvement items belong to their owner and whoever opened them, and to their team.
pub const IMPROVEMENT: Policy = Policy { object: ObjectType::Improvement, owned_by: &["owner", "created_by"] };

/// Surveys belong to the ticket's requester and assignee, its team and department.
pub const SURVEY: Policy = Policy { object: ObjectType::Survey, owned_by: &["requester", "assignee"] };

/// CIs belong to whoever created them and to their owner team. A class restricted to a
/// team hides its CIs from everyone else (core checks that before the policy).
pub const CONFIGURATION_ITEM: Policy = Policy { object: ObjectType::ConfigurationItem, owned_by: &["created_by"] };

/// Assets belong to their responsible person and whoever registered them, and to their department.
pub const ASSET: Policy = Policy { object: ObjectType::Asset, owned_by: &["responsible", "created_by"] };

/// Changes belong to their requester and implementer, their team and the requester's department.
pub const CHANGE: Policy = Policy { object: ObjectType::Change, owned_by: &["requester", "implementer"] };

/// Problems belong to their owner and whoever opened them, and to their team.
pub const PROBLEM: Policy = Policy { object: ObjectType::Problem, owned_by: &["owner", "created_by"] };

/// Every declared record policy, for documentation and the matrix test.
/// Knowledge articles belong to their author, and to the team they are restricted to; who
/// reads which is further narrowed by the article's visibility (`knowledge::may_read`).
pub const KNOWLEDGE: Policy = Policy { object: ObjectType::Knowledge, owned_by: &["author"] };

pub const ALL: &[Policy] = &[INCIDENT, SERVICE_REQUEST, IMPROVEMENT, SURVEY, CONFIGURATION_ITEM, ASSET, CHANGE, PROBLEM, KNOWLEDGE];

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> ActorPlace {
        ActorPlace { user: UserId(1), teams: vec![TeamId(7)], department: Some(DepartmentId(3)) }
    }

    fn grants(p: &[&str]) -> PermissionSet {
        PermissionSet::new(p.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn no_grant_is_told_apart_from_out_of_scope() {
        let other = Holders { owners: vec![UserId(2)], team: Some(TeamId(8)), department: Some(DepartmentId(4)), ..Holders::default() };
        let g = grants(&["incident:read:team"]);
        assert_eq!(INCIDENT.decide(&g, &me(), Action::Update, &other), Decision::NoGrant);
        assert_eq!(INCIDENT.decide(&g, &me(), Action::Read, &other), Decision::OutOfScope(Scope::Team));
        let team = Holders { team: Some(TeamId(7)), ..other.clone() };
        assert_eq!(INCIDENT.decide(&g, &me(), Action::Read, &team), Decision::Allow);
        let dept = Holders { department: Some(DepartmentId(3)), ..other };
        assert!(!INCIDENT.decide(&g, &me(), Action::Read, &dept).allowed());
        assert!(INCIDENT.decide(&grants(&["incident:read:department"]), &me(), Action::Read, &dept).allowed());
    }

    #[test]
    fn scopes_reach() {
        let other_team =
            Holders { owners: vec![UserId(2)], team: Some(TeamId(8)), department: Some(DepartmentId(3)), ..Holders::default() };
        assert!(!reaches(Scope::Team, &me(), &other_team));
        assert!(reaches(Scope::Department, &me(), &other_team));
        let mine = Holders { owners: vec![UserId(1)], ..Holders::default() };
        assert!(reaches(Scope::Own, &me(), &mine));
        assert!(!reaches(Scope::Own, &me(), &Holders::default()));
    }

    proptest::proptest! {
        #[test]
        fn wider_scope_reaches_at_least_as_much(owner in 0i64..4, team in 0i64..4, dept in 0i64..4) {
            let h = Holders { owners: vec![UserId(owner)], team: Some(TeamId(team)), department: Some(DepartmentId(dept)), ..Holders::default() };
            let order = [Scope::Own, Scope::Team, Scope::Department, Scope::All];
            for w in order.windows(2) {
                proptest::prop_assert!(!reaches(w[0], &me(), &h) || reaches(w[1], &me(), &h));
            }
        }
    }

    #[test]
    fn readers_and_workers_read_only() {
        let h = Holders { owners: vec![UserId(2)], readers: vec![UserId(1)], ..Holders::default() };
        assert_eq!(SERVICE_REQUEST.decide(&PermissionSet::default(), &me(), Action::Read, &h), Decision::Allow);
        assert_eq!(SERVICE_REQUEST.decide(&PermissionSet::default(), &me(), Action::Update, &h), Decision::NoGrant);
        let h = Holders { owners: vec![UserId(2)], workers: vec![(None, Some(TeamId(7)))], ..Holders::default() };
        let g = grants(&["service_request:read:own", "service_request:update:own"]);
        assert_eq!(SERVICE_REQUEST.decide(&g, &me(), Action::Read, &h), Decision::Allow);
        assert_eq!(SERVICE_REQUEST.decide(&g, &me(), Action::Update, &h), Decision::OutOfScope(Scope::Own));
        assert_eq!(SERVICE_REQUEST.decide(&PermissionSet::default(), &me(), Action::Read, &h), Decision::NoGrant);
    }
}
