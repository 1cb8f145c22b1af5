//! The audit trail's content rules: what an entry holds and the exact bytes
//! that its hash covers, so that editing, deleting or reordering a row breaks the chain.

use serde::{Deserialize, Serialize};

/// One entry as written. `seq` is gapless from the chain's anchor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The sequence number the check expected next (for a checkpoint: the seq it records).
    pub expected_seq: i64,
    /// The row found there (its seq), if any.
    pub found_seq: Option<i64>,
    pub reason: ChainBreakReason,
    /// What exactly was found (file, line, hashes), for the operator; not translated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ChainBreak {
    pub fn new(expected_seq: i64, found_seq: Option<i64>, reason: ChainBreakReason) -> Self {
        Self { expected_seq, found_seq, reason, detail: None }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
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
    /// The row at a keyed checkpoint's seq has another hash (the chain was rewritten).
    CheckpointMismatch,
    /// The chain ends before a keyed checkpoint's seq (the newest rows were deleted).
    CheckpointBeyondChain,
    /// A line of the checkpoint file is not a checkpoint made with the key (forged or damaged).
    CheckpointForged,
    /// The archive file the anchor names does not exist.
    ArchiveMissing,
    /// The archive file's content does not end at the anchor or was changed.
    ArchiveMismatch,
}

/// A keyed statement that the chain's newest entry was `seq` with `hash` at `at_ms`: one
/// JSON line of the checkpoint file. `mac` is HMAC-SHA256 over [`Checkpoint::mac_input`]
/// with a key kept outside the database, so that whoever can write the database cannot
/// make one (ADR 0008).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at_ms: i64,
    pub mac: String,
}

impl Checkpoint {
    /// The bytes the MAC covers. Versioned, and every field is length-prefixed as in
    /// [`AuditEntry::chain_input`].
    pub fn mac_input(seq: i64, hash: &str, at_ms: i64) -> Vec<u8> {
        let mut out = b"yunwei-audit-checkpoint/1|".to_vec();
        for s in [seq.to_string().as_str(), hash, at_ms.to_string().as_str()] {
            out.extend_from_slice(s.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(s.as_bytes());
            out.push(b'|');
        }
        out
    }
}

/// What the valid checkpoints say the chain held: seq → (checkpoint file line, hash).
/// Verification compares every row still in the log against it, and the chain must reach
/// the highest seq.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointExpectations {
    by_seq: std::collections::BTreeMap<i64, Vec<(usize, String)>>,
}

impl CheckpointExpectations {
    pub fn add(&mut self, line: usize, seq: i64, hash: &str) {
        self.by_seq.entry(seq).or_default().push((line, hash.to_string()));
    }

    pub fn len(&self) -> usize {
        self.by_seq.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// The highest seq a checkpoint records, with the line that records it.
    pub fn latest(&self) -> Option<(i64, usize)> {
        self.by_seq.last_key_value().and_then(|(seq, v)| v.first().map(|(line, _)| (*seq, *line)))
    }

    /// The first checkpoint that contradicts `hash` being the hash of entry `seq`.
    pub fn contradiction(&self, seq: i64, hash: &str) -> Option<ChainBreak> {
        let (line, expected) = self.by_seq.get(&seq)?.iter().find(|(_, h)| h != hash)?;
        Some(
            ChainBreak::new(seq, Some(seq), ChainBreakReason::CheckpointMismatch)
                .detail(format!("checkpoint line {line} records hash {expected} for entry {seq}, the log has {hash}")),
        )
    }

    /// A break if the chain, ending at `last_seq`, stops before the latest checkpoint.
    pub fn beyond(&self, last_seq: i64) -> Option<ChainBreak> {
        let (seq, line) = self.latest().filter(|(seq, _)| *seq > last_seq)?;
        Some(
            ChainBreak::new(seq, None, ChainBreakReason::CheckpointBeyondChain)
                .detail(format!("checkpoint line {line} records entry {seq}, but the log ends at entry {last_seq}")),
        )
    }
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

    #[test]
    fn checkpoints_catch_rewritten_and_shortened_chains() {
        assert_ne!(Checkpoint::mac_input(1, "ab", 2), Checkpoint::mac_input(1, "a", 2), "hash covered");
        assert_ne!(Checkpoint::mac_input(12, "a", 3), Checkpoint::mac_input(1, "2a", 3), "unambiguous");
        let mut e = CheckpointExpectations::default();
        assert_eq!((e.latest(), e.beyond(0)), (None, None));
        e.add(1, 5, "h5");
        e.add(2, 9, "h9");
        e.add(3, 9, "h9");
        assert_eq!((e.len(), e.latest()), (3, Some((9, 2))));
        assert_eq!(e.contradiction(5, "h5"), None);
        assert_eq!(e.contradiction(6, "anything"), None, "no checkpoint there");
        let c = e.contradiction(9, "x").unwrap();
        assert_eq!((c.expected_seq, c.reason), (9, ChainBreakReason::CheckpointMismatch));
        assert!(c.detail.unwrap().contains("line 2"));
        assert_eq!(e.beyond(9), None);
        let b = e.beyond(7).unwrap();
        assert_eq!((b.expected_seq, b.found_seq, b.reason), (9, None, ChainBreakReason::CheckpointBeyondChain));
    }
}
