//! Permissions are data: object type × action × scope, written `incident:update:team`.
//! Roles hold lists of them; nothing in the code asks "is this user a manager?".

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($name::$variant),)* _ => Err(()) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
pub(crate) use string_enum;

/// `Default` for types whose default is one named value (what a new row starts as, so a
/// stored row of them can derive `Default`).
macro_rules! defaults {
    ($($t:ident = $v:expr),* $(,)?) => {$(
        impl Default for $t {
            fn default() -> Self {
                $v
            }
        }
    )*};
}
pub(crate) use defaults;

string_enum!(
    /// Every kind of record a permission can name: one per process in SPEC, plus
    /// the administration objects (`ci_class`: the CMDB's classes, attributes and
    /// relation rules, a system duty).
    ObjectType {
        Incident = "incident",
        ServiceRequest = "service_request",
        CatalogItem = "catalog_item",
        Problem = "problem",
        Change = "change",
        Release = "release",
        ConfigurationItem = "configuration_item",
        Asset = "asset",
        Alert = "alert",
        Duty = "duty",
        Inspection = "inspection",
        SecurityIncident = "security_incident",
        Continuity = "continuity",
        Sla = "sla",
        Survey = "survey",
        Improvement = "improvement",
        Knowledge = "knowledge",
        People = "people",
        Report = "report",
        User = "user",
        Team = "team",
        Department = "department",
        Role = "role",
        AuditLog = "audit_log",
        NotificationTemplate = "notification_template",
        Delivery = "delivery",
        Webhook = "webhook",
        Job = "job",
        Setting = "setting",
        CiClass = "ci_class",
        CiDiscovery = "ci_discovery",
    }
);

string_enum!(
    Action {
        Read = "read",
        Create = "create",
        Update = "update",
        Delete = "delete",
        Transition = "transition",
        Assign = "assign",
        Approve = "approve",
        Export = "export",
    }
);

string_enum!(
    /// How far a permission reaches. Ordered: `all` includes `department`, which includes `team`, …
    Scope {
        Own = "own",
        Team = "team",
        Department = "department",
        All = "all",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Permission {
    pub object: ObjectType,
    pub action: Action,
    pub scope: Scope,
}

impl Permission {
    pub const fn new(object: ObjectType, action: Action, scope: Scope) -> Self {
        Self { object, action, scope }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.object, self.action, self.scope)
    }
}

impl FromStr for Permission {
    type Err = String;
    /// `object:action[:scope]`; a missing scope means `all`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(':');
        let (Some(o), Some(a)) = (parts.next(), parts.next()) else {
            return Err(s.to_string());
        };
        let scope = match parts.next() {
            Some(sc) => sc.parse().map_err(|_| s.to_string())?,
            None => Scope::All,
        };
        if parts.next().is_some() {
            return Err(s.to_string());
        }
        Ok(Self { object: o.parse().map_err(|_| s.to_string())?, action: a.parse().map_err(|_| s.to_string())?, scope })
    }
}

impl TryFrom<String> for Permission {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Permission> for String {
    fn from(p: Permission) -> String {
        p.to_string()
    }
}

/// What a principal may do: the union of its roles, optionally narrowed by an
/// API token's scopes (a token never grants more than its user has).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet {
    grants: Vec<Permission>,
}

impl PermissionSet {
    pub fn new(mut grants: Vec<Permission>) -> Self {
        grants.sort();
        grants.dedup();
        Self { grants }
    }

    /// The widest scope granted for this object and action, if any.
    pub fn scope_for(&self, object: ObjectType, action: Action) -> Option<Scope> {
        self.grants.iter().filter(|p| p.object == object && p.action == action).map(|p| p.scope).max()
    }

    pub fn allows(&self, object: ObjectType, action: Action) -> bool {
        self.scope_for(object, action).is_some()
    }

    /// Keeps only what a token's scopes also allow; the scope is the narrower of the two.
    pub fn narrowed_to(&self, token_scopes: &[TokenScope]) -> PermissionSet {
        let grants =
            self.grants.iter().filter_map(|p| token_scopes.iter().filter(|t| t.covers(p.object, p.action)).map(|_| *p).next()).collect();
        PermissionSet::new(grants)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Permission> {
        self.grants.iter()
    }
}

/// An API token scope: `*` (everything its user may do), `object:*`, `object:action`,
/// or `read` (every read action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenScope(String);

impl TokenScope {
    pub fn covers(&self, object: ObjectType, action: Action) -> bool {
        let s = self.0.as_str();
        if s == "*" {
            return true;
        }
        if s == "read" {
            return action == Action::Read;
        }
        match s.split_once(':') {
            Some((o, "*")) => o == object.as_str(),
            Some((o, a)) => o == object.as_str() && a == action.as_str(),
            None => false,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let valid = match s {
            "*" | "read" => true,
            _ => match s.split_once(':') {
                Some((o, a)) => o.parse::<ObjectType>().is_ok() && (a == "*" || a.parse::<Action>().is_ok()),
                None => false,
            },
        };
        if valid { Ok(Self(s.to_string())) } else { Err(s.to_string()) }
    }
}

impl TryFrom<String> for TokenScope {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<TokenScope> for String {
    fn from(t: TokenScope) -> String {
        t.0
    }
}

/// Where the acting user sits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorPlace {
    pub user: crate::ids::UserId,
    pub teams: Vec<crate::ids::TeamId>,
    pub department: Option<crate::ids::DepartmentId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let p: Permission = "incident:update:team".parse().unwrap();
        assert_eq!(p, Permission::new(ObjectType::Incident, Action::Update, Scope::Team));
        assert_eq!(p.to_string(), "incident:update:team");
        assert_eq!("user:read".parse::<Permission>().unwrap().scope, Scope::All);
        assert!("user:fly".parse::<Permission>().is_err());
        assert!("user:read:all:extra".parse::<Permission>().is_err());
    }

    #[test]
    fn widest_scope_wins() {
        let set = PermissionSet::new(vec!["incident:read:own".parse().unwrap(), "incident:read:department".parse().unwrap()]);
        assert_eq!(set.scope_for(ObjectType::Incident, Action::Read), Some(Scope::Department));
        assert_eq!(set.scope_for(ObjectType::Incident, Action::Delete), None);
    }

    #[test]
    fn token_scopes_narrow() {
        let set = PermissionSet::new(vec!["user:read".parse().unwrap(), "user:update".parse().unwrap(), "team:read".parse().unwrap()]);
        let narrowed = set.narrowed_to(&["user:*".parse().unwrap()]);
        assert!(narrowed.allows(ObjectType::User, Action::Update));
        assert!(!narrowed.allows(ObjectType::Team, Action::Read));
        let read_only = set.narrowed_to(&["read".parse().unwrap()]);
        assert!(read_only.allows(ObjectType::Team, Action::Read));
        assert!(!read_only.allows(ObjectType::User, Action::Update));
        assert!("bogus:*".parse::<TokenScope>().is_err());
    }
}
