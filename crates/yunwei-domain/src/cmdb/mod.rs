//! The CMDB's pure rules (issue 11; ADR 0017): CI classes in a tree, held as data, whose
//! attributes a class inherits from its ancestors; a CI's fixed fields; which classes a
//! relation type may join; and the field-by-field changes that history records.

pub mod attr;
pub mod discovery;
pub mod history;
pub mod impact;

use crate::DomainError;
use crate::ids::{CiClassId, CiRelationTypeId};
use crate::permission::string_enum;
use crate::validate::{Checker, is_key};
use std::collections::HashMap;

pub use attr::{AttrDef, AttrKind, EnumValue};

string_enum!(
    /// Where a CI is in its life.
    CiStatus {
        Planned = "planned",
        Production = "production",
        Maintenance = "maintenance",
        Retired = "retired",
    }
);

string_enum!(
    Criticality {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
);

string_enum!(
    Environment {
        Production = "production",
        DisasterRecovery = "disaster_recovery",
        Staging = "staging",
        Test = "test",
        Development = "development",
    }
);

string_enum!(
    /// What a failure does along a relation: `source` — the target's failure reaches the
    /// source (depends on, runs on, hosted on, uses, member of); `none` — it does not.
    Propagation {
        Source = "source",
        None = "none",
    }
);

string_enum!(
    /// Who or what made a change that history records. `change` names its change record in
    /// `source_ref`; `system` is the platform itself (migrations, a business service's CI).
    HistorySource {
        Ui = "ui",
        Api = "api",
        Import = "import",
        Reconciliation = "reconciliation",
        Change = "change",
        System = "system",
    }
);

string_enum!(
    HistoryOp {
        Create = "create",
        Update = "update",
        Delete = "delete",
    }
);

/// The class of the business services' CIs (seeded; code is stable).
pub const BUSINESS_SERVICE_CLASS: &str = "business_service";
/// The seeded class of locations, which a CI's `location_id` must point at (or a descendant).
pub const LOCATION_CLASS: &str = "location";

/// One class as the tree needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassNode {
    pub id: CiClassId,
    pub parent_id: Option<CiClassId>,
    pub code: String,
    pub is_abstract: bool,
}

/// The class tree. Built from rows, so a cycle an editor made stops the walk, not the server.
#[derive(Debug, Clone, Default)]
pub struct ClassTree {
    nodes: HashMap<CiClassId, ClassNode>,
}

impl ClassTree {
    pub fn new(nodes: impl IntoIterator<Item = ClassNode>) -> Self {
        Self { nodes: nodes.into_iter().map(|n| (n.id, n)).collect() }
    }

    pub fn get(&self, id: CiClassId) -> Option<&ClassNode> {
        self.nodes.get(&id)
    }

    pub fn by_code(&self, code: &str) -> Option<&ClassNode> {
        self.nodes.values().find(|n| n.code == code)
    }

    /// The class itself, then its parent, up to the root.
    pub fn lineage(&self, id: CiClassId) -> Vec<CiClassId> {
        let mut out = Vec::new();
        let mut at = Some(id);
        while let Some(c) = at {
            if out.contains(&c) || !self.nodes.contains_key(&c) {
                break;
            }
            out.push(c);
            at = self.nodes.get(&c).and_then(|n| n.parent_id);
        }
        out
    }

    /// Is `id` the class `of` or below it?
    pub fn is_a(&self, id: CiClassId, of: CiClassId) -> bool {
        self.lineage(id).contains(&of)
    }

    /// `id` and every class below it.
    pub fn subtree(&self, id: CiClassId) -> Vec<CiClassId> {
        let mut ids: Vec<CiClassId> = self.nodes.keys().copied().filter(|c| self.is_a(*c, id)).collect();
        ids.sort();
        ids
    }

    /// Would making `parent` the parent of `id` close a loop?
    pub fn would_cycle(&self, id: CiClassId, parent: CiClassId) -> bool {
        self.is_a(parent, id)
    }

    /// The attributes a class has: its ancestors' first (root down), each class's in position order.
    pub fn attributes<'a>(&self, id: CiClassId, all: &'a [AttrDef]) -> Vec<&'a AttrDef> {
        let mut out = Vec::new();
        for class in self.lineage(id).into_iter().rev() {
            let mut own: Vec<&AttrDef> = all.iter().filter(|a| a.class_id == class).collect();
            own.sort_by_key(|a| (a.position, a.id));
            out.extend(own);
        }
        out
    }
}

/// One rule: `type_id` may join a CI of `from` (or below) to one of `to` (or below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelationRule {
    pub type_id: CiRelationTypeId,
    pub from_class: CiClassId,
    pub to_class: CiClassId,
}

/// Whether the rules let a relation of this type join these classes.
pub fn relation_allowed(tree: &ClassTree, rules: &[RelationRule], type_id: CiRelationTypeId, from: CiClassId, to: CiClassId) -> bool {
    rules.iter().any(|r| r.type_id == type_id && tree.is_a(from, r.from_class) && tree.is_a(to, r.to_class))
}

/// A new or renamed class: its code and names.
pub fn check_class(code: &str, name: &str, name_en: &str) -> Result<(String, String), DomainError> {
    let mut c = Checker::new();
    if !is_key(code) {
        c.push(crate::FieldError::new("code", "invalid_key"));
    }
    let name = c.name("name", name, 100);
    let name_en = c.optional_name("name_en", name_en, 100);
    c.finish()?;
    Ok((name, name_en))
}

/// Tags: trimmed, distinct, 1..=40 characters each, at most 30.
pub fn check_tags(c: &mut Checker, tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = crate::validate::strip_invisible(t).trim().to_string();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > 40 || t.chars().any(char::is_control) {
            c.push(crate::FieldError::new("tags", "invalid_tag").with("tag", &t));
        }
        out.push(t);
    }
    if out.len() > 30 {
        c.push(crate::FieldError::new("tags", "too_many").with("max", 30));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> ClassTree {
        let n = |id, parent: Option<i64>, code: &str| ClassNode {
            id: CiClassId(id),
            parent_id: parent.map(CiClassId),
            code: code.into(),
            is_abstract: false,
        };
        ClassTree::new([
            n(1, None, "functional_ci"),
            n(2, Some(1), "physical_device"),
            n(3, Some(2), "server"),
            n(4, Some(1), "application"),
            n(5, None, "location"),
            // A loop an editor made: it must not hang anything.
            n(6, Some(7), "a"),
            n(7, Some(6), "b"),
        ])
    }

    #[test]
    fn lineage_and_subtree() {
        let t = tree();
        assert_eq!(t.lineage(CiClassId(3)), vec![CiClassId(3), CiClassId(2), CiClassId(1)]);
        assert!(t.is_a(CiClassId(3), CiClassId(1)));
        assert!(!t.is_a(CiClassId(1), CiClassId(3)));
        assert_eq!(t.subtree(CiClassId(2)), vec![CiClassId(2), CiClassId(3)]);
        assert_eq!(t.lineage(CiClassId(6)), vec![CiClassId(6), CiClassId(7)]);
        assert!(t.would_cycle(CiClassId(1), CiClassId(3)));
        assert!(!t.would_cycle(CiClassId(3), CiClassId(4)));
    }

    #[test]
    fn rules_allow_descendants_only() {
        let t = tree();
        let rules = [RelationRule { type_id: CiRelationTypeId(1), from_class: CiClassId(4), to_class: CiClassId(2) }];
        assert!(relation_allowed(&t, &rules, CiRelationTypeId(1), CiClassId(4), CiClassId(3)));
        assert!(relation_allowed(&t, &rules, CiRelationTypeId(1), CiClassId(4), CiClassId(2)));
        // Wrong direction, wrong type, a class above the rule's.
        assert!(!relation_allowed(&t, &rules, CiRelationTypeId(1), CiClassId(3), CiClassId(4)));
        assert!(!relation_allowed(&t, &rules, CiRelationTypeId(2), CiClassId(4), CiClassId(3)));
        assert!(!relation_allowed(&t, &rules, CiRelationTypeId(1), CiClassId(4), CiClassId(1)));
    }

    #[test]
    fn inherited_attributes_come_root_first() {
        let t = tree();
        let a = |id, class, code: &str, position| AttrDef { position, ..AttrDef::sample(id, CiClassId(class), code, AttrKind::Text) };
        let all = vec![a(1, 3, "hostname", 1), a(2, 2, "serial", 5), a(3, 2, "vendor", 1), a(4, 4, "version", 1)];
        let codes: Vec<&str> = t.attributes(CiClassId(3), &all).iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["vendor", "serial", "hostname"]);
    }

    #[test]
    fn tags_are_trimmed_and_distinct() {
        let mut c = Checker::new();
        assert_eq!(check_tags(&mut c, &[" 核心 ".into(), "核心".into(), "".into(), "pci".into()]), ["核心", "pci"]);
        assert!(c.finish().is_ok());
        let mut c = Checker::new();
        check_tags(&mut c, &["x".repeat(41)]);
        assert!(c.finish().is_err());
    }
}
