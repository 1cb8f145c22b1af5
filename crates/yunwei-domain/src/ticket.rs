//! The ticket kernel's declarations (ADR 0012). Every process whose records are tickets —
//! incidents and service requests today; changes, problems, releases, security incidents
//! and alerts next — declares itself once here: its number prefix, its object type (audit,
//! outbox events, live topic `object_type:id`), its policy, its search-document kind and the
//! tables of its timeline and watchers. The store's `ticket` module and core's `ticket`
//! module give every declared kind the same numbering, timeline (replies and work notes) and
//! watchers from that one declaration, so a fix lands for every kind at once.

use crate::permission::ObjectType;
use crate::policy::{self, Policy};

/// One kind of ticket, as the kernel knows it.
#[derive(Debug)]
pub struct TicketKind {
    /// Stable name: audit object type, outbox `object_type`, live topic prefix.
    pub object_type: &'static str,
    pub object: ObjectType,
    /// Who may do what (ADR 0014).
    pub policy: Policy,
    /// `INC` in `INC-000123`.
    pub number_prefix: &'static str,
    /// The table of the records themselves (search joins it for the caller's scope).
    pub table: &'static str,
    /// The search document kind, part of the document key (1–15; never reuse a number).
    pub search_kind: i64,
    /// The timeline table: `id`, the owner column, `at_ms`, `actor_id`, `kind`, `public`, `body`, `data`.
    pub timeline_table: &'static str,
    /// The column of the timeline and watcher tables that holds the ticket's id.
    pub owner_column: &'static str,
    /// Whether timeline entries show that column (the API's shape for the kind, kept as it was).
    pub timeline_shows_owner: bool,
    /// The watcher table: the owner column and `user_id`, both the key.
    pub watchers_table: &'static str,
}

impl TicketKind {
    /// `INC-000123`: human numbers are the record id, zero-padded to six digits.
    pub fn number(&self, id: i64) -> String {
        format!("{}-{id:06}", self.number_prefix)
    }

    /// The id in `INC-000123`, `inc-000123` (or a bare `123`), if it is one: 1 to 12 digits.
    pub fn parse_number(&self, text: &str) -> Option<i64> {
        let t = text.trim();
        let digits =
            t.split_once('-').filter(|(prefix, _)| prefix.eq_ignore_ascii_case(self.number_prefix)).map(|(_, digits)| digits).unwrap_or(t);
        let ok = !digits.is_empty() && digits.len() <= 12 && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| digits.parse().ok()).flatten().filter(|n: &i64| *n > 0)
    }

    /// The live topic of one ticket (`incident:12`).
    pub fn topic(&self, id: i64) -> String {
        format!("{}:{id}", self.object_type)
    }

    /// The kind and id of a live topic (`service_request:7`), if it names a declared ticket.
    pub fn parse_topic(text: &str) -> Option<(&'static TicketKind, i64)> {
        let (kind, id) = text.split_once(':')?;
        let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
        Some((by_object_type(kind)?, id))
    }
}

pub const INCIDENT: TicketKind = TicketKind {
    object_type: "incident",
    object: ObjectType::Incident,
    policy: policy::INCIDENT,
    number_prefix: "INC",
    table: "incidents",
    search_kind: 1,
    timeline_table: "incident_activities",
    owner_column: "incident_id",
    timeline_shows_owner: true,
    watchers_table: "incident_watchers",
};

pub const SERVICE_REQUEST: TicketKind = TicketKind {
    object_type: "service_request",
    object: ObjectType::ServiceRequest,
    policy: policy::SERVICE_REQUEST,
    number_prefix: "REQ",
    table: "service_requests",
    search_kind: 2,
    timeline_table: "request_activities",
    owner_column: "request_id",
    timeline_shows_owner: false,
    watchers_table: "request_watchers",
};

pub const CHANGE: TicketKind = TicketKind {
    object_type: "change",
    object: ObjectType::Change,
    policy: policy::CHANGE,
    number_prefix: "CHG",
    table: "changes",
    search_kind: 3,
    timeline_table: "change_activities",
    owner_column: "change_id",
    timeline_shows_owner: false,
    watchers_table: "change_watchers",
};

pub const PROBLEM: TicketKind = TicketKind {
    object_type: "problem",
    object: ObjectType::Problem,
    policy: policy::PROBLEM,
    number_prefix: "PRB",
    table: "problems",
    search_kind: 4,
    timeline_table: "problem_activities",
    owner_column: "problem_id",
    timeline_shows_owner: false,
    watchers_table: "problem_watchers",
};

/// Every declared kind: tests walk them so each gets the same checks.
pub const ALL: &[&TicketKind] = &[&INCIDENT, &SERVICE_REQUEST, &CHANGE, &PROBLEM];

/// The declared kind of that object type (`incident`, `service_request`), if it is a ticket.
pub fn by_object_type(object_type: &str) -> Option<&'static TicketKind> {
    ALL.iter().copied().find(|k| k.object_type == object_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_for_every_kind() {
        for k in ALL {
            assert_eq!(k.parse_number(&k.number(123)), Some(123), "{}", k.object_type);
            assert_eq!(k.parse_number(&k.number(123).to_lowercase()), Some(123));
            assert_eq!(k.parse_number(" 42 "), Some(42));
            assert_eq!(k.parse_number(&format!("{}-", k.number_prefix)), None);
            assert_eq!(k.parse_number("0"), None);
            assert_eq!(k.parse_number("1234567890123"), None);
            assert_eq!(k.parse_number("12a"), None);
            assert_eq!(k.parse_number("-12"), None);
        }
        assert_eq!(INCIDENT.parse_number("REQ-000001"), None);
        assert_eq!(SERVICE_REQUEST.parse_number("INC-000001"), None);
        assert_eq!(INCIDENT.parse_number("CHG-000001"), None);
        assert_eq!(by_object_type("service_request").map(|k| k.number_prefix), Some("REQ"));
        assert!(by_object_type("survey").is_none());
        for bad in ["incident:0", "incident:-1", "incident:x", "survey:1", "incident", ":1"] {
            assert!(TicketKind::parse_topic(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn kinds_do_not_share_names_or_tables() {
        for (n, a) in ALL.iter().enumerate() {
            for b in &ALL[n + 1..] {
                assert_ne!(a.object_type, b.object_type);
                assert_ne!(a.number_prefix, b.number_prefix);
                assert_ne!(a.search_kind, b.search_kind);
                assert_ne!(a.timeline_table, b.timeline_table);
                assert_ne!(a.watchers_table, b.watchers_table);
                assert_ne!(a.table, b.table);
            }
            assert_eq!(a.policy.object, a.object);
            // The search document key is `id * 16 + search_kind`.
            assert!((1..16).contains(&a.search_kind), "{}", a.object_type);
            assert_eq!(TicketKind::parse_topic(&a.topic(7)).map(|(k, id)| (k.object_type, id)), Some((a.object_type, 7)));
        }
    }
}
