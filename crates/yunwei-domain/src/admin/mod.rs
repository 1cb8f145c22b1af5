//! Organisation rules: built-in roles (SPEC ORG) and separation of duties (三权分立).

pub mod duties;

use crate::permission::{Action, ObjectType, Permission, Scope};
use serde::{Deserialize, Serialize};

crate::permission::string_enum!(
    /// The three administrator duties that one account may never combine.
    AdminDuty {
        System = "system",
        Security = "security",
        Audit = "audit",
    }
);

/// A role as shipped. Seeded into the database on first start, then editable data.
/// `duty` is what its permissions carry ([`duties::duty_of_set`]); a test holds them equal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuiltinRole {
    pub key: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    pub duty: Option<AdminDuty>,
    pub permissions: Vec<Permission>,
}

const PROCESS_OBJECTS: &[ObjectType] = &[
    ObjectType::Incident,
    ObjectType::ServiceRequest,
    ObjectType::CatalogItem,
    ObjectType::Problem,
    ObjectType::Change,
    ObjectType::Release,
    ObjectType::ConfigurationItem,
    ObjectType::Asset,
    ObjectType::Alert,
    ObjectType::Duty,
    ObjectType::Inspection,
    ObjectType::SecurityIncident,
    ObjectType::Continuity,
    ObjectType::Sla,
    ObjectType::Survey,
    ObjectType::Improvement,
    ObjectType::Knowledge,
    ObjectType::People,
    ObjectType::Report,
    ObjectType::AlertSilence,
];

fn grants(objects: &[ObjectType], actions: &[Action], scope: Scope) -> Vec<Permission> {
    objects.iter().flat_map(|o| actions.iter().map(move |a| Permission::new(*o, *a, scope))).collect()
}

fn engineer(key: &'static str, name_en: &'static str, name_zh: &'static str, extra: &[ObjectType]) -> BuiltinRole {
    use Action::*;
    use ObjectType::*;
    let mut permissions = read_all_but_restricted_knowledge();
    permissions.extend(grants(
        &[Incident, ServiceRequest, Problem, Change, Inspection],
        &[Create, Update, Transition, Assign],
        Scope::Team,
    ));
    // On duty an engineer writes the duty log and asks for swaps; the roster itself is the
    // supervisor's (`duty:update`), so nobody rewrites their own shifts.
    permissions.extend(grants(&[Duty], &[Create, Transition], Scope::Team));
    permissions.extend(grants(&[Knowledge], &[Create, Update], Scope::All));
    permissions.extend(grants(extra, &[Create, Update, Transition], Scope::All));
    permissions.extend(grants(&[User, Team, Department, Setting], &[Read], Scope::All));
    BuiltinRole { key, name_en, name_zh, duty: None, permissions }
}

/// Every process record read at `all`, but knowledge at `team`: internal articles and those
/// restricted to the reader's own teams (`knowledge::may_read`).
fn read_all_but_restricted_knowledge() -> Vec<Permission> {
    let mut permissions = grants(PROCESS_OBJECTS, &[Action::Read], Scope::All);
    permissions.retain(|p| p.object != ObjectType::Knowledge);
    permissions.push(Permission::new(ObjectType::Knowledge, Action::Read, Scope::Team));
    permissions
}

/// The roles of SPEC ORG. Keys are stable; names and permissions may be edited.
pub fn builtin_roles() -> Vec<BuiltinRole> {
    use Action::*;
    use ObjectType::*;
    let every_action = Action::ALL;
    let org = [User, Team, Department];
    vec![
        BuiltinRole {
            key: "system_admin",
            name_en: "System administrator",
            name_zh: "系统管理员",
            duty: Some(AdminDuty::System),
            permissions: [
                grants(&org, &[Read, Create, Update, Delete], Scope::All),
                grants(&[Role], &[Read, Assign], Scope::All),
                grants(&[NotificationTemplate, Delivery], &[Read, Update], Scope::All),
                grants(&[Job], &[Read, Create], Scope::All),
                grants(&[Webhook], &[Read, Create, Update, Delete], Scope::All),
                grants(&[Setting], &[Read, Create, Update, Delete], Scope::All),
                grants(&[CiClass], &[Read, Create, Update, Delete], Scope::All),
                grants(&[AlertIntegration], &[Read, Create, Update, Delete], Scope::All),
            ]
            .concat(),
        },
        BuiltinRole {
            key: "security_admin",
            name_en: "Security administrator",
            name_zh: "安全管理员",
            duty: Some(AdminDuty::Security),
            permissions: [
                grants(&[Role], &[Read, Create, Update, Delete, Assign, Approve], Scope::All),
                grants(&org, &[Read], Scope::All),
                grants(&[SecurityIncident], &[Read, Create, Update, Transition, Assign], Scope::All),
            ]
            .concat(),
        },
        BuiltinRole {
            key: "audit_admin",
            name_en: "Audit administrator",
            name_zh: "审计管理员",
            duty: Some(AdminDuty::Audit),
            permissions: [grants(&[AuditLog], &[Read, Export], Scope::All), grants(&[User, Team, Department, Role], &[Read], Scope::All)]
                .concat(),
        },
        BuiltinRole {
            key: "ops_director",
            name_en: "Operations director",
            name_zh: "运维总监",
            duty: None,
            permissions: [
                grants(PROCESS_OBJECTS, every_action, Scope::All),
                grants(&[User, Team, Department, Role], &[Read], Scope::All),
                // The second person who approves a duty grant the security administrator asks for.
                grants(&[Role], &[Approve], Scope::All),
                grants(&[Setting], &[Read, Create, Update, Delete], Scope::All),
            ]
            .concat(),
        },
        BuiltinRole {
            key: "ops_manager",
            name_en: "Operations manager",
            name_zh: "运维经理",
            duty: None,
            permissions: [
                grants(PROCESS_OBJECTS, &[Read, Create, Update, Transition, Assign, Approve, Export], Scope::All),
                grants(&[User, Team, Department], &[Read], Scope::All),
                grants(&[Setting], &[Read, Create, Update], Scope::All),
            ]
            .concat(),
        },
        engineer("system_engineer", "System engineer", "系统运维工程师", &[ConfigurationItem, Asset, Continuity]),
        engineer("network_engineer", "Network engineer", "网络运维工程师", &[ConfigurationItem, Alert]),
        engineer("desktop_engineer", "Desktop engineer", "桌面运维工程师", &[Asset]),
        engineer("application_support", "Application support engineer", "应用支持工程师", &[Release]),
        engineer("dba_engineer", "Data engineer (DBA)", "数据运维工程师", &[Continuity]),
        BuiltinRole {
            key: "duty_officer",
            name_en: "Duty officer",
            name_zh: "值班人员",
            duty: None,
            permissions: [
                read_all_but_restricted_knowledge(),
                grants(&[Incident, Alert, Duty], &[Create, Update, Transition, Assign], Scope::All),
                grants(&[AlertSilence], &[Create, Update, Delete], Scope::All),
                grants(&[User, Team, Setting], &[Read], Scope::All),
            ]
            .concat(),
        },
        BuiltinRole {
            key: "cab_member",
            name_en: "Change advisory board member",
            name_zh: "变更管理委员会成员",
            duty: None,
            permissions: [
                grants(&[Change, Release, ConfigurationItem], &[Read], Scope::All),
                grants(&[Change, Release], &[Approve], Scope::All),
            ]
            .concat(),
        },
        BuiltinRole {
            key: "business_user",
            name_en: "Business user",
            name_zh: "业务部门用户",
            duty: None,
            permissions: [
                grants(&[Incident, ServiceRequest], &[Create, Read], Scope::Own),
                grants(&[Survey], &[Create, Read], Scope::Own),
                // `own`: public articles only (internal ones are for engineers).
                grants(&[Knowledge], &[Read], Scope::Own),
            ]
            .concat(),
        },
        // A scanner's service account: its API token reports what discovery found (CMDB-5).
        BuiltinRole {
            key: "discovery_scanner",
            name_en: "Discovery scanner",
            name_zh: "自动发现扫描器",
            duty: None,
            permissions: [grants(&[CiDiscovery], &[Create], Scope::All), grants(&[ConfigurationItem], &[Read], Scope::All)].concat(),
        },
        BuiltinRole {
            key: "auditor",
            name_en: "Auditor",
            name_zh: "审计员",
            duty: None,
            permissions: [
                grants(PROCESS_OBJECTS, &[Read, Export], Scope::All),
                grants(&[User, Team, Department, Role], &[Read], Scope::All),
            ]
            .concat(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roles_are_consistent() {
        let roles = builtin_roles();
        let mut keys: Vec<_> = roles.iter().map(|r| r.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), roles.len(), "role keys are unique");
        let duties: Vec<_> = roles.iter().filter_map(|r| r.duty).collect();
        assert_eq!(duties.len(), 3, "exactly one role per administrator duty");
        let audit = roles.iter().find(|r| r.key == "audit_admin").unwrap();
        assert!(audit.permissions.iter().all(|p| p.action == Action::Read || p.action == Action::Export));
        let sys = roles.iter().find(|r| r.key == "system_admin").unwrap();
        assert!(!sys.permissions.iter().any(|p| p.object == ObjectType::AuditLog), "system admin cannot read the audit log");
    }
}
