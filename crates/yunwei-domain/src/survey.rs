//! Satisfaction rules (SPEC SAT, 用户满意度): scores 1–5, when a survey link may
//! still be answered, what counts as a low score, and the period buckets of the
//! statistics (month, quarter, half-year, year). Pure: core maps instants to
//! calendar months in the configured zone and asks these rules for the rest.

use crate::permission::string_enum;
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

pub const MIN_SCORE: u8 = 1;
pub const MAX_SCORE: u8 = 5;
/// Longest comment a requester may leave.
pub const MAX_COMMENT: usize = 4000;

string_enum!(
    /// What a survey asks about. Service requests will use the same table.
    SubjectType {
        Incident = "incident",
        ServiceRequest = "service_request",
    }
);

string_enum!(
    /// `expired` is not stored: it is a sent survey past its expiry.
    SurveyState {
        Sent = "sent",
        Answered = "answered",
        Expired = "expired",
    }
);

string_enum!(
    /// Buckets of the statistics (统计分析：月、季、半年、全年).
    Period {
        Month = "month",
        Quarter = "quarter",
        Half = "half",
        Year = "year",
    }
);

string_enum!(
    /// What the statistics are grouped by; the snapshot taken at resolution.
    GroupBy {
        Team = "team",
        Service = "service",
        Engineer = "engineer",
    }
);

/// The state a reader sees: stored `sent` turns `expired` at `expires_at`.
pub fn state_of(answered: bool, expires_at: i64, now: i64) -> SurveyState {
    if answered {
        SurveyState::Answered
    } else if now >= expires_at {
        SurveyState::Expired
    } else {
        SurveyState::Sent
    }
}

/// Why a survey link can no longer be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    AlreadyAnswered,
    Expired,
}

/// A link answers once, before it expires; an answer wins over a later expiry.
pub fn check_answerable(answered: bool, expires_at: i64, now: i64) -> Result<(), Refusal> {
    match state_of(answered, expires_at, now) {
        SurveyState::Sent => Ok(()),
        SurveyState::Answered => Err(Refusal::AlreadyAnswered),
        SurveyState::Expired => Err(Refusal::Expired),
    }
}

/// A score from the form or API: 1 to 5.
pub fn check_score(score: i64) -> Result<u8, FieldError> {
    u8::try_from(score)
        .ok()
        .filter(|s| (MIN_SCORE..=MAX_SCORE).contains(s))
        .ok_or_else(|| FieldError::new("score", "out_of_range").with("min", MIN_SCORE).with("max", MAX_SCORE))
}

/// A requester contact that is an e-mail address (a phone number is not surveyed by mail).
pub fn contact_email(contact: &str) -> Option<String> {
    let mut c = crate::validate::Checker::new();
    let v = c.email("contact", Some(contact))?;
    c.finish().ok().map(|_| v)
}

/// Who is asked about a resolved ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    User(crate::ids::UserId),
    Email(String),
}

/// The ticket's parties as they stand at resolution.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parties<'a> {
    pub requester: Option<crate::ids::UserId>,
    pub reporter: Option<crate::ids::UserId>,
    /// A caller named by the desk (`requester_name`): then the requester id is only whoever logged the call.
    pub named_caller: bool,
    pub contact: Option<&'a str>,
    pub resolver: Option<crate::ids::UserId>,
}

/// A named caller who is not a user is asked at their contact e-mail (if it is one);
/// otherwise the requesting user, unless they resolved it themselves.
pub fn recipient(p: Parties<'_>) -> Option<Recipient> {
    if p.named_caller && (p.requester.is_none() || p.requester == p.reporter) {
        return p.contact.and_then(contact_email).map(Recipient::Email);
    }
    match p.requester {
        Some(u) if Some(u) != p.resolver => Some(Recipient::User(u)),
        Some(_) => None,
        None => p.contact.and_then(contact_email).map(Recipient::Email),
    }
}

/// How surveys run; administrators edit them (setting `survey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SurveySettings {
    /// Ask the requester when a ticket is resolved.
    pub enabled: bool,
    /// How long a survey link can be answered.
    pub expiry_days: u32,
    /// Scores at or below this open an improvement item; 0 never does.
    pub low_score_threshold: u8,
    /// Due date of an improvement opened from a low score, in days.
    pub improvement_due_days: u32,
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings { enabled: true, expiry_days: 14, low_score_threshold: 2, improvement_due_days: 30 }
    }
}

impl SurveySettings {
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        if !(1..=90).contains(&self.expiry_days) {
            errors.push(FieldError::new("expiry_days", "out_of_range").with("min", 1).with("max", 90));
        }
        if self.low_score_threshold >= MAX_SCORE {
            errors.push(FieldError::new("low_score_threshold", "out_of_range").with("min", 0).with("max", MAX_SCORE - 1));
        }
        if !(1..=365).contains(&self.improvement_due_days) {
            errors.push(FieldError::new("improvement_due_days", "out_of_range").with("min", 1).with("max", 365));
        }
        if errors.is_empty() { Ok(()) } else { Err(DomainError::Validation(errors)) }
    }

    pub fn is_low(&self, score: u8) -> bool {
        score <= self.low_score_threshold
    }

    pub fn expiry_ms(&self) -> i64 {
        i64::from(self.expiry_days) * 86_400_000
    }
}

impl Period {
    /// How many buckets a year has.
    pub fn buckets(self) -> u8 {
        match self {
            Period::Month => 12,
            Period::Quarter => 4,
            Period::Half => 2,
            Period::Year => 1,
        }
    }

    fn months(self) -> u8 {
        12 / self.buckets()
    }

    /// The bucket (1-based) a calendar month (1–12) falls in.
    pub fn bucket_of(self, month: u8) -> u8 {
        (month.clamp(1, 12) - 1) / self.months() + 1
    }

    /// The first month (1–12) of a bucket.
    pub fn first_month(self, bucket: u8) -> u8 {
        (bucket.clamp(1, self.buckets()) - 1) * self.months() + 1
    }

    /// `2026-03`, `2026-Q1`, `2026-H2`, `2026`.
    pub fn label(self, year: i16, bucket: u8) -> String {
        match self {
            Period::Month => format!("{year}-{bucket:02}"),
            Period::Quarter => format!("{year}-Q{bucket}"),
            Period::Half => format!("{year}-H{bucket}"),
            Period::Year => format!("{year}"),
        }
    }
}

/// Counts of one group in one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: u64,
    pub answered: u64,
    pub score_sum: u64,
    /// How many answers gave 1, 2, 3, 4, 5.
    pub distribution: [u64; 5],
    pub low: u64,
}

impl Tally {
    /// One survey: `score` if answered.
    pub fn add(&mut self, score: Option<u8>, settings: &SurveySettings) {
        self.sent += 1;
        if let Some(s) = score.filter(|s| (MIN_SCORE..=MAX_SCORE).contains(s)) {
            self.answered += 1;
            self.score_sum += u64::from(s);
            self.distribution[usize::from(s - 1)] += 1;
            if settings.is_low(s) {
                self.low += 1;
            }
        }
    }

    /// Answered ÷ sent, to four decimals; 0 when nothing was sent.
    pub fn response_rate(&self) -> f64 {
        if self.sent == 0 { 0.0 } else { round(self.answered as f64 / self.sent as f64, 4) }
    }

    /// Mean score to two decimals; none without answers.
    pub fn average(&self) -> Option<f64> {
        (self.answered > 0).then(|| round(self.score_sum as f64 / self.answered as f64, 2))
    }
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_fall_in_their_buckets() {
        assert_eq!(Period::Month.bucket_of(7), 7);
        assert_eq!([1, 3, 4, 6, 7, 9, 10, 12].map(|m| Period::Quarter.bucket_of(m)), [1, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!([1, 6, 7, 12].map(|m| Period::Half.bucket_of(m)), [1, 1, 2, 2]);
        assert_eq!([1, 12].map(|m| Period::Year.bucket_of(m)), [1, 1]);
        assert_eq!(Period::Quarter.first_month(3), 7);
        assert_eq!(Period::Half.first_month(2), 7);
        assert_eq!(Period::Year.first_month(1), 1);
        assert_eq!(Period::Month.label(2026, 3), "2026-03");
        assert_eq!(Period::Quarter.label(2026, 4), "2026-Q4");
        assert_eq!(Period::Half.label(2026, 1), "2026-H1");
        assert_eq!(Period::Year.label(2026, 1), "2026");
    }

    #[test]
    fn every_month_is_in_exactly_one_bucket_that_starts_at_or_before_it() {
        for p in Period::ALL {
            for m in 1..=12u8 {
                let b = p.bucket_of(m);
                assert!((1..=p.buckets()).contains(&b), "{p} {m}");
                assert!(p.first_month(b) <= m && m < p.first_month(b) + 12 / p.buckets(), "{p} {m}");
            }
        }
    }

    #[test]
    fn tallies_count_rate_average_and_low_scores() {
        let s = SurveySettings::default();
        let mut t = Tally::default();
        for score in [Some(5), Some(4), Some(1), None] {
            t.add(score, &s);
        }
        assert_eq!((t.sent, t.answered, t.low), (4, 3, 1));
        assert_eq!(t.distribution, [1, 0, 0, 1, 1]);
        assert_eq!(t.response_rate(), 0.75);
        assert_eq!(t.average(), Some(3.33));
        assert_eq!(Tally::default().average(), None);
        assert_eq!(Tally::default().response_rate(), 0.0);
    }

    #[test]
    fn a_link_answers_once_before_it_expires() {
        assert_eq!(check_answerable(false, 100, 99), Ok(()));
        assert_eq!(check_answerable(false, 100, 100), Err(Refusal::Expired));
        assert_eq!(check_answerable(true, 100, 500), Err(Refusal::AlreadyAnswered));
        assert_eq!(state_of(false, 100, 200), SurveyState::Expired);
    }

    #[test]
    fn scores_and_contacts() {
        assert_eq!(check_score(1), Ok(1));
        assert_eq!(check_score(5), Ok(5));
        assert!(check_score(0).is_err() && check_score(6).is_err() && check_score(-1).is_err() && check_score(256 + 3).is_err());
        assert_eq!(contact_email(" li@branch.example "), Some("li@branch.example".into()));
        assert_eq!(contact_email("13800138000"), None);
        assert_eq!(contact_email("a@b@c"), None);
    }

    #[test]
    fn the_requester_is_asked_not_whoever_logged_the_call() {
        use crate::ids::UserId;
        let user = Parties { requester: Some(UserId(5)), reporter: Some(UserId(5)), resolver: Some(UserId(9)), ..Default::default() };
        assert_eq!(recipient(user), Some(Recipient::User(UserId(5))));
        assert_eq!(recipient(Parties { resolver: Some(UserId(5)), ..user }), None, "nobody rates their own work");
        let phoned = Parties {
            named_caller: true,
            contact: Some("li@branch.example"),
            reporter: Some(UserId(2)),
            requester: Some(UserId(2)),
            ..user
        };
        assert_eq!(recipient(phoned), Some(Recipient::Email("li@branch.example".into())));
        assert_eq!(recipient(Parties { contact: Some("010-8888"), ..phoned }), None, "a phone number gets no mail");
        let for_colleague = Parties { requester: Some(UserId(7)), ..phoned };
        assert_eq!(recipient(for_colleague), Some(Recipient::User(UserId(7))));
    }

    #[test]
    fn settings_validate_and_judge_low_scores() {
        let s = SurveySettings::default();
        assert!(s.validate().is_ok());
        assert!(s.is_low(2) && !s.is_low(3));
        let never = SurveySettings { low_score_threshold: 0, ..s.clone() };
        assert!(!never.is_low(1));
        let bad = SurveySettings { expiry_days: 0, low_score_threshold: 5, improvement_due_days: 400, enabled: true };
        let Err(DomainError::Validation(e)) = bad.validate() else { panic!("accepted") };
        assert_eq!(e.len(), 3);
    }
}
