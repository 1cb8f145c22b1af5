//! Stocktake (盘点): which assets a campaign expects, what a scan reads, and what each tag
//! comes to when the campaign closes.

use super::AssetState;
use crate::permission::{defaults, string_enum};

string_enum!(
    StocktakeState {
        Open = "open",
        Closed = "closed",
    }
);

string_enum!(
    /// What became of one tag: expected and not yet seen (pending; missing once closed),
    /// found where expected, found though listed elsewhere (a known asset outside the
    /// scope), or unexpected (a tag the register does not know).
    ItemResult {
        Pending = "pending",
        Found = "found",
        Missing = "missing",
        FoundElsewhere = "found_elsewhere",
        Unexpected = "unexpected",
    }
);

defaults!(StocktakeState = StocktakeState::Open, ItemResult = ItemResult::Pending);

/// Assets physically on hand, so a stocktake expects them: accepted onwards, until scrapped.
pub fn on_hand(state: AssetState) -> bool {
    use AssetState::*;
    matches!(state, Accepted | InStock | Deployed | Maintenance | Retired | ScrapRequested)
}

/// The tag a scan carries: the tag itself (a barcode scanner types it), or a label's QR
/// code, which holds the asset's address `…/assets/tag/<TAG>`. Upper-cased like tags are.
pub fn tag_from_scan(text: &str) -> Option<String> {
    let t = text.trim();
    let t = match t.rfind("/assets/tag/") {
        Some(at) => t[at + "/assets/tag/".len()..].split(['?', '#', '/', ' ', '\n']).next().unwrap_or_default(),
        None => t.lines().next().unwrap_or_default().trim(),
    };
    super::check_tag("tag", t).ok()
}

/// The result of scanning a tag: whether the campaign listed it, and whether the register knows it.
pub fn scanned(expected: bool, known: bool) -> ItemResult {
    match (expected, known) {
        (true, _) => ItemResult::Found,
        (false, true) => ItemResult::FoundElsewhere,
        (false, false) => ItemResult::Unexpected,
    }
}

/// What a tag comes to at closing: an expected tag never seen is missing.
pub fn at_close(r: ItemResult) -> ItemResult {
    if r == ItemResult::Pending { ItemResult::Missing } else { r }
}

/// The differences a closed campaign reports (everything but what was found in place).
pub fn is_difference(r: ItemResult) -> bool {
    matches!(r, ItemResult::Missing | ItemResult::FoundElsewhere | ItemResult::Unexpected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_reads_a_typed_tag_or_a_labels_address() {
        assert_eq!(tag_from_scan(" zh-2026-0001\n").as_deref(), Some("ZH-2026-0001"));
        assert_eq!(tag_from_scan("https://yunwei.example/assets/tag/ZH-2026-0001").as_deref(), Some("ZH-2026-0001"));
        assert_eq!(tag_from_scan("http://h/assets/tag/br-7?x=1").as_deref(), Some("BR-7"));
        assert_eq!(tag_from_scan("有 空格"), None);
        assert_eq!(tag_from_scan(""), None);
        assert_eq!(tag_from_scan("https://evil/assets/tag/"), None);
    }

    #[test]
    fn results_of_scans_and_of_closing() {
        assert_eq!(scanned(true, true), ItemResult::Found);
        assert_eq!(scanned(false, true), ItemResult::FoundElsewhere);
        assert_eq!(scanned(false, false), ItemResult::Unexpected);
        assert_eq!(at_close(ItemResult::Pending), ItemResult::Missing);
        assert_eq!(at_close(ItemResult::Found), ItemResult::Found);
        assert!(is_difference(ItemResult::Missing) && !is_difference(ItemResult::Found));
    }

    #[test]
    fn only_assets_on_hand_are_expected() {
        assert!(on_hand(AssetState::InStock) && on_hand(AssetState::Deployed) && on_hand(AssetState::Retired));
        assert!(!on_hand(AssetState::Requested) && !on_hand(AssetState::Ordered) && !on_hand(AssetState::Scrapped));
    }
}
