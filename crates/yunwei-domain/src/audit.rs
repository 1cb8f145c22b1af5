//! The audit trail's content rules: what an entry holds and the exact bytes
//! that its hash covers, so that editing, deleting or reordering a row breaks the chain.

use serde::{Deserialize, Serialize};

/// One entry as written. `seq` is gapless from the chain's anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub source_ip: String,
    pub user_agent: String,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditEntry {
    /// The bytes the hash covers: the previous hash then every field, each
    /// length-prefixed so that no two different entries share an encoding.
    pub fn chain_input(&self, prev_hash: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let mut put = |s: &str| {
            out.extend_from_slice(s.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(s.as_bytes());
            out.push(b'|');
        };
        put(prev_hash);
        put(&self.seq.to_string());
        put(&self.at_ms.to_string());
        put(&self.actor_id.map(|a| a.to_string()).unwrap_or_default());
        put(&self.actor_name);
        put(&self.source_ip);
        put(&self.user_agent);
        put(&self.object_type);
        put(&self.object_id);
        put(&self.action);
        put(self.before.as_deref().unwrap_or("\u{0}"));
        put(self.after.as_deref().unwrap_or("\u{0}"));
        out
    }
}

/// The hash before the first entry of a fresh chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a chain check stopped, if it found a break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The sequence number the check expected next.
    pub expected_seq: i64,
    /// The row found there (its seq), if any.
    pub found_seq: Option<i64>,
    pub reason: ChainBreakReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainBreakReason {
    /// A row's stored hash does not match its content (edited).
    HashMismatch,
    /// A row does not point at the hash before it (deleted or reordered).
    PrevHashMismatch,
    /// Sequence numbers skip (deleted).
    MissingRow,
    /// The head record disagrees with the last row (tail deleted).
    HeadMismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, actor: &str) -> AuditEntry {
        AuditEntry {
            seq,
            at_ms: 1,
            actor_id: Some(1),
            actor_name: actor.into(),
            source_ip: "127.0.0.1".into(),
            user_agent: "ua".into(),
            object_type: "user".into(),
            object_id: "1".into(),
            action: "update".into(),
            before: None,
            after: Some("{}".into()),
        }
    }

    #[test]
    fn encoding_is_unambiguous() {
        let a = AuditEntry { actor_name: "ab".into(), source_ip: "c".into(), ..entry(1, "") };
        let b = AuditEntry { actor_name: "a".into(), source_ip: "bc".into(), ..entry(1, "") };
        assert_ne!(a.chain_input("x"), b.chain_input("x"));
        let none = AuditEntry { before: None, ..entry(1, "z") };
        let empty = AuditEntry { before: Some(String::new()), ..entry(1, "z") };
        assert_ne!(none.chain_input("x"), empty.chain_input("x"));
        assert_ne!(entry(1, "z").chain_input("x"), entry(2, "z").chain_input("x"), "seq is covered");
    }
}
