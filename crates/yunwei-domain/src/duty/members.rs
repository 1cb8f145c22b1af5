//! Anchored membership. A layer's members change over time (joined, left); each change
//! takes effect at the first handoff at or after it, so a shift in progress is never cut and
//! past shifts never move. Between two changes the members form an **epoch**: a fixed order
//! handed round from an offset. At the start of an epoch the person who was due next under
//! the old order stays due next (or, if they left, the next one who stayed): the others keep
//! their order, and a newcomer takes their place in the cycle by `position`.

use super::rotation::Rotation;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// One membership: `user` on the layer from `joined` until `left`, ordered by `position`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: i64,
    pub position: i64,
    pub joined: Timestamp,
    pub left: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Epoch {
    /// First slot of the epoch.
    from: i64,
    users: Vec<i64>,
    /// Index in `users` of who takes slot `from`.
    offset: usize,
}

/// A layer's epochs, in slot order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Epochs(Vec<Epoch>);

impl Epochs {
    pub(super) fn new(rotation: &Rotation, tz: &TimeZone, layer_starts: Timestamp, members: &[Member], responders: i64) -> Epochs {
        // A change takes effect at the first handoff at or after it (the layer's first slot at the earliest).
        let first = rotation.slot_at(tz.to_datetime(layer_starts));
        let effective = |t: Timestamp| rotation.first_slot_from(t, tz).max(first);
        let mut starts: Vec<i64> = members.iter().flat_map(|m| [Some(effective(m.joined)), m.left.map(effective)]).flatten().collect();
        starts.sort_unstable();
        starts.dedup();
        let mut out: Vec<Epoch> = Vec::with_capacity(starts.len());
        for from in starts {
            let mut present: Vec<&Member> =
                members.iter().filter(|m| effective(m.joined) <= from && m.left.is_none_or(|l| effective(l) > from)).collect();
            present.sort_by_key(|m| (m.position, m.user));
            let users: Vec<i64> = present.iter().map(|m| m.user).collect();
            let offset = out.last().map(|prev| continue_from(prev, from, responders, &users)).unwrap_or(0);
            if out.last().is_some_and(|prev| prev.users == users) {
                continue;
            }
            out.push(Epoch { from, users, offset });
        }
        Epochs(out)
    }

    /// The people on slot `slot`: `responders` consecutive members (fewer if the layer is smaller).
    pub(super) fn users(&self, slot: i64, responders: i64) -> Vec<i64> {
        let Some(e) = self.0.iter().rev().find(|e| e.from <= slot) else { return Vec::new() };
        let n = e.users.len() as i64;
        if n == 0 {
            return Vec::new();
        }
        let first = e.offset as i64 + (slot - e.from) * responders;
        (0..responders.min(n)).map(|j| e.users[(first + j).rem_euclid(n) as usize]).collect()
    }
}

/// Where the new order starts so that whoever was due next at `from` still is.
fn continue_from(prev: &Epoch, from: i64, responders: i64, users: &[i64]) -> usize {
    let n = prev.users.len() as i64;
    if n == 0 {
        return 0;
    }
    let due = (prev.offset as i64 + (from - prev.from) * responders).rem_euclid(n);
    (0..n).map(|step| prev.users[((due + step) % n) as usize]).find_map(|u| users.iter().position(|x| *x == u)).unwrap_or(0)
}
