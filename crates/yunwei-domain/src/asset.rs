//! Asset management (资产管理, SPEC AST): the lifecycle of an asset from the purchase
//! request to scrapping, who approves what, money in fen, and straight-line depreciation.
//! Pure rules; the core applies them. Licences and stocktakes are in the submodules.

pub mod licence;
pub mod stocktake;

use crate::FieldError;
use crate::permission::{Action, string_enum};

string_enum!(
    /// purchase request → approval → ordered → acceptance (验收) → in stock (入库) → deployed →
    /// maintenance → retired → scrapping requested → scrapped (报废). Rejected ends a request.
    AssetState {
        Requested = "requested",
        Approved = "approved",
        Rejected = "rejected",
        Ordered = "ordered",
        Accepted = "accepted",
        InStock = "in_stock",
        Deployed = "deployed",
        Maintenance = "maintenance",
        Retired = "retired",
        ScrapRequested = "scrap_requested",
        Scrapped = "scrapped",
    }
);

string_enum!(
    /// What a person does to an asset; [`next`] says where it leads.
    AssetAction {
        Approve = "approve",
        Reject = "reject",
        Order = "order",
        Accept = "accept",
        Stock = "stock",
        Deploy = "deploy",
        Maintain = "maintain",
        Retire = "retire",
        RequestScrap = "request_scrap",
    }
);

string_enum!(
    /// What kind of asset it is; approval rules are per category (`*`: any).
    AssetCategory {
        Server = "server",
        Network = "network",
        Storage = "storage",
        Security = "security",
        Desktop = "desktop",
        Laptop = "laptop",
        Peripheral = "peripheral",
        Software = "software",
        Other = "other",
    }
);

crate::permission::defaults!(AssetState = AssetState::Requested, AssetCategory = AssetCategory::Other);

/// Where `action` takes an asset in state `from`, if it may be taken there at all.
pub fn next(from: AssetState, action: AssetAction) -> Option<AssetState> {
    use AssetAction as A;
    use AssetState::*;
    Some(match (from, action) {
        (Requested, A::Approve) => Approved,
        (Requested, A::Reject) => Rejected,
        (Approved, A::Order) => Ordered,
        (Ordered, A::Accept) => Accepted,
        (Accepted | Deployed | Maintenance, A::Stock) => InStock,
        (InStock | Maintenance, A::Deploy) => Deployed,
        (InStock | Deployed, A::Maintain) => Maintenance,
        (InStock | Deployed | Maintenance, A::Retire) => Retired,
        (Retired, A::RequestScrap) => ScrapRequested,
        // Scrapping always needs a second person: approving the request scraps it,
        // rejecting it returns the asset to retired.
        (ScrapRequested, A::Approve) => Scrapped,
        (ScrapRequested, A::Reject) => Retired,
        _ => return None,
    })
}

/// The actions open from `from`, in the order a page offers them.
pub fn actions_from(from: AssetState) -> Vec<AssetAction> {
    AssetAction::ALL.iter().copied().filter(|a| next(from, *a).is_some()).collect()
}

/// Approving or rejecting is a decision on someone else's request (`asset:approve`); every
/// other step is work (`asset:transition`).
pub fn permission_for(action: AssetAction) -> Action {
    match action {
        AssetAction::Approve | AssetAction::Reject => Action::Approve,
        _ => Action::Transition,
    }
}

/// States that wait for an approver's decision.
pub fn awaits_decision(state: AssetState) -> bool {
    matches!(state, AssetState::Requested | AssetState::ScrapRequested)
}

/// Who approves a purchase request: holders of `role_key`, for requests of `category`
/// (`*` for any) costing at least `min_cost_fen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    pub category: String,
    pub min_cost_fen: i64,
    pub role_key: String,
}

/// The rule that decides a request: the highest threshold the cost reaches, a rule for the
/// category preferred over a `*` rule at the same threshold. `None`: anyone with `asset:approve`.
pub fn rule_for(rules: &[ApprovalRule], category: AssetCategory, cost_fen: i64) -> Option<&ApprovalRule> {
    let applies = |r: &&ApprovalRule| (r.category == category.as_str() || r.category == "*") && r.min_cost_fen <= cost_fen;
    rules.iter().filter(applies).max_by_key(|r| (r.min_cost_fen, r.category != "*"))
}

/// `12345.67` (yuan, up to two decimals, optional thousands commas) → 1234567 fen.
pub fn parse_money(text: &str) -> Option<i64> {
    let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    let t = t.strip_prefix('¥').or_else(|| t.strip_prefix('￥')).unwrap_or(&t);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// 1234567 fen → `12,345.67`.
pub fn format_money(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (n, c) in whole.chars().enumerate() {
        if n > 0 && (whole.len() - n).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// Whole months from `start` to `at` (a month counts once its day is reached); 0 before `start`.
pub fn months_between(start: jiff::civil::Date, at: jiff::civil::Date) -> i64 {
    if at <= start {
        return 0;
    }
    let mut months = i64::from(at.year() - start.year()) * 12 + i64::from(at.month() - start.month());
    if at.day() < start.day() && at.day() < at.days_in_month() {
        months -= 1;
    }
    months.max(0)
}

/// Straight-line depreciation: the book value at `at` of an asset bought on `start` for
/// `cost_fen`, worth `salvage_fen` after `life_months`. Rounded down to the fen, never below
/// the salvage value; no life (0 months) means no depreciation.
pub fn book_value(cost_fen: i64, salvage_fen: i64, life_months: i64, start: jiff::civil::Date, at: jiff::civil::Date) -> i64 {
    let salvage = salvage_fen.clamp(0, cost_fen.max(0));
    if life_months <= 0 {
        return cost_fen;
    }
    let used = months_between(start, at).min(life_months);
    let depreciable = i128::from(cost_fen - salvage);
    let spent = depreciable * i128::from(used) / i128::from(life_months);
    cost_fen - i64::try_from(spent).unwrap_or(0)
}

/// An asset tag: 1–40 letters, digits, `-`, `_` or `.` (what a barcode carries), upper-cased.
pub fn check_tag(field: &str, text: &str) -> Result<String, FieldError> {
    let t = text.trim().to_ascii_uppercase();
    if t.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    let ok = t.len() <= 40 && t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok { Ok(t) } else { Err(FieldError::new(field, "invalid_asset_tag")) }
}

#[cfg(test)]
mod tests {
    use super::AssetAction as A;
    use super::AssetState::*;
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_lifecycle_runs_from_request_to_scrap() {
        let path = [A::Approve, A::Order, A::Accept, A::Stock, A::Deploy, A::Maintain, A::Deploy, A::Retire, A::RequestScrap, A::Approve];
        let mut s = Requested;
        for a in path {
            s = next(s, a).unwrap_or_else(|| panic!("{a} refused from {s}"));
        }
        assert_eq!(s, Scrapped);
    }

    #[test]
    fn steps_cannot_be_skipped_and_ends_are_ends() {
        assert_eq!(next(Requested, A::Order), None, "ordering needs the approval first");
        assert_eq!(next(Ordered, A::Stock), None, "stocking needs the acceptance first");
        assert_eq!(next(Retired, A::Approve), None, "scrapping is requested first, then approved");
        assert_eq!(next(InStock, A::Approve), None);
        assert!(actions_from(Scrapped).is_empty() && actions_from(Rejected).is_empty());
        assert_eq!(next(ScrapRequested, A::Reject), Some(Retired));
        assert_eq!(next(Maintenance, A::Stock), Some(InStock));
    }

    #[test]
    fn decisions_need_the_approve_permission() {
        assert_eq!(permission_for(A::Approve), Action::Approve);
        assert_eq!(permission_for(A::Reject), Action::Approve);
        assert_eq!(permission_for(A::RequestScrap), Action::Transition);
        assert!(awaits_decision(Requested) && awaits_decision(ScrapRequested) && !awaits_decision(Retired));
    }

    fn rule(category: &str, min: i64, role: &str) -> ApprovalRule {
        ApprovalRule { category: category.into(), min_cost_fen: min, role_key: role.into() }
    }

    #[test]
    fn the_highest_threshold_reached_decides_and_a_category_rule_beats_any() {
        let rules = [rule("*", 0, "ops_manager"), rule("*", 5_000_000, "ops_director"), rule("server", 0, "system_engineer")];
        assert_eq!(rule_for(&rules, AssetCategory::Laptop, 800_000).map(|r| r.role_key.as_str()), Some("ops_manager"));
        assert_eq!(rule_for(&rules, AssetCategory::Server, 800_000).map(|r| r.role_key.as_str()), Some("system_engineer"));
        assert_eq!(rule_for(&rules, AssetCategory::Server, 9_000_000).map(|r| r.role_key.as_str()), Some("ops_director"));
        assert_eq!(rule_for(&rules, AssetCategory::Laptop, 5_000_000).map(|r| r.role_key.as_str()), Some("ops_director"));
        assert_eq!(rule_for(&[rule("server", 100, "x")], AssetCategory::Laptop, 500), None);
    }

    #[test]
    fn money_reads_yuan_and_writes_fen() {
        assert_eq!(parse_money("12345.67"), Some(1_234_567));
        assert_eq!(parse_money("12,345.6"), Some(1_234_560));
        assert_eq!(parse_money("￥800"), Some(80_000));
        assert_eq!(parse_money("1.234"), None);
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money(""), None);
        assert_eq!(parse_money("12e3"), None);
        assert_eq!(format_money(1_234_567), "12,345.67");
        assert_eq!(format_money(5), "0.05");
        assert_eq!(format_money(100_000_000), "1,000,000.00");
    }

    #[test]
    fn straight_line_depreciation() {
        let bought = date(2024, 1, 15);
        // 36 months, 120,000.00 cost, 12,000.00 salvage: 3,000.00 a month.
        let v = |at| book_value(12_000_000, 1_200_000, 36, bought, at);
        assert_eq!(v(date(2023, 12, 1)), 12_000_000, "before purchase");
        assert_eq!(v(date(2024, 2, 14)), 12_000_000, "the first month is not yet over");
        assert_eq!(v(date(2024, 2, 15)), 11_700_000);
        assert_eq!(v(date(2025, 1, 15)), 12_000_000 - 12 * 300_000);
        assert_eq!(v(date(2027, 1, 15)), 1_200_000, "end of life: the salvage value");
        assert_eq!(v(date(2035, 1, 1)), 1_200_000, "never below salvage");
        assert_eq!(book_value(100, 0, 3, bought, date(2024, 2, 15)), 67, "rounded down to the fen spent");
        assert_eq!(book_value(100, 0, 0, bought, date(2030, 1, 1)), 100, "no useful life: no depreciation");
        assert_eq!(book_value(100, 500, 12, bought, date(2030, 1, 1)), 100, "salvage above cost is capped");
        // The 31st reaches month-end in shorter months.
        assert_eq!(months_between(date(2024, 1, 31), date(2024, 2, 29)), 1);
        assert_eq!(months_between(date(2024, 1, 31), date(2024, 2, 28)), 0);
    }

    #[test]
    fn tags_are_what_a_barcode_carries() {
        assert_eq!(check_tag("tag", " zh-2024-0001 ").ok().as_deref(), Some("ZH-2024-0001"));
        assert!(check_tag("tag", "").is_err());
        assert!(check_tag("tag", "有 空格").is_err());
        assert!(check_tag("tag", &"A".repeat(41)).is_err());
    }
}
