//! What the service desk's pages share: times in the user's zone, business
//! durations, priority badges (coloured by `/static/desk.css`), the category tree,
//! and the names of teams and people.

use crate::AppState;
use crate::extract::{Caller, page_request};
use crate::i18n::Tr;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use yunwei_core::incident;
use yunwei_core::store::admin::UserFilter;
use yunwei_core::store::incident::Category;
use yunwei_core::store::service::BusinessService;
use yunwei_domain::ids::{CategoryId, ServiceId, TeamId, UserId};
use yunwei_domain::incident::{DeskSettings, IncidentState, Priority};

pub fn zone(caller: &Caller) -> &str {
    caller.ctx.actor.as_ref().map(|a| a.time_zone.as_str()).unwrap_or("Asia/Shanghai")
}

/// A `datetime-local` value typed in the caller's zone, as unix milliseconds.
pub fn parse_local(text: &str, caller: &Caller) -> Option<i64> {
    let dt: jiff::civil::DateTime = text.trim().parse().ok()?;
    let tz = jiff::tz::TimeZone::get(zone(caller)).ok()?;
    dt.to_zoned(tz).ok().map(|z| z.timestamp().as_millisecond())
}

/// "2 h 15 min" / "2 小时 15 分钟", rounded up to the minute.
pub fn duration(tr: Tr, secs: i64) -> String {
    let minutes = secs.unsigned_abs().div_ceil(60);
    let (h, m) = (minutes / 60, minutes % 60);
    let p = |k: &str, v: u64| (k.to_string(), v.to_string());
    match (h, m) {
        (0, m) => tr.with("duration.minutes", &[p("m", m)]),
        (h, 0) => tr.with("duration.hours", &[p("h", h)]),
        (h, m) => tr.with("duration.hours_minutes", &[p("h", h), p("m", m)]),
    }
}

/// Business time left on a clock, or how long it is overdue.
pub fn remaining(tr: Tr, secs: i64) -> String {
    let key = if secs >= 0 { "sla.left" } else { "sla.overdue" };
    tr.with(key, &[("time".into(), duration(tr, secs))])
}

/// The configured label of a priority and its badge class (coloured by `/static/desk.css`).
pub fn priority_badge(settings: &DeskSettings, p: Priority, tr: Tr) -> (String, String) {
    (settings.label(p, tr.is_zh()).to_string(), format!("prio prio-{}", p.get()))
}

pub fn state_label(tr: Tr, s: IncidentState) -> String {
    tr.t(&format!("incident.state.{s}"))
}

pub fn opt_text(v: &Option<String>) -> String {
    v.as_deref().filter(|s| !s.is_empty()).unwrap_or("—").to_string()
}

/// Categories as a tree, depth first: (category, depth).
pub fn category_tree(all: &[Category]) -> Vec<(&Category, usize)> {
    fn walk<'a>(all: &'a [Category], parent: Option<CategoryId>, depth: usize, out: &mut Vec<(&'a Category, usize)>) {
        // The depth limit guards against a cycle that slipped into the data.
        if depth > 16 {
            return;
        }
        for c in all.iter().filter(|c| c.parent_id == parent) {
            out.push((c, depth));
            walk(all, Some(c.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(all, None, 0, &mut out);
    // Children of a missing parent still show, at the top level.
    for c in all {
        if !out.iter().any(|(x, _)| x.id == c.id) {
            out.push((c, 0));
        }
    }
    out
}

/// Options for a category select, indented by depth; `active_only` for forms that file incidents.
pub fn category_options(all: &[Category], tr: Tr, active_only: bool) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr.t("field.none"))];
    out.extend(category_tree(all).into_iter().filter(|(c, _)| c.active || !active_only).map(|(c, depth)| {
        (c.id.to_string(), format!("{}{}", "\u{a0}\u{a0}\u{a0}\u{a0}".repeat(depth), super::local_name(tr, &c.name, &c.name_en)))
    }));
    out
}

/// A category's full path ("网络 / 核心交换机") in the reader's language.
pub fn category_path(all: &[Category], id: CategoryId, tr: Tr) -> String {
    let mut names = Vec::new();
    let mut at = Some(id);
    while let Some(c) = at.and_then(|i| all.iter().find(|c| c.id == i)) {
        names.push(super::local_name(tr, &c.name, &c.name_en));
        at = c.parent_id.filter(|_| names.len() < 16);
    }
    names.reverse();
    if names.is_empty() { format!("#{id}") } else { names.join(" / ") }
}

pub fn service_options(all: &[BusinessService], tr: Tr, active_only: bool) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr.t("field.none"))];
    out.extend(all.iter().filter(|s| s.active || !active_only).map(|s| (s.id.to_string(), super::local_name(tr, &s.name, &s.name_en))));
    out
}

pub fn service_name(all: &[BusinessService], id: ServiceId, tr: Tr) -> String {
    all.iter().find(|s| s.id == id).map(|s| super::local_name(tr, &s.name, &s.name_en)).unwrap_or_else(|| format!("#{id}"))
}

/// What the desk's pages look up for every incident: the settings, the category tree and the services.
pub struct DeskData {
    pub settings: DeskSettings,
    pub categories: Vec<Category>,
    pub services: Vec<BusinessService>,
}

impl DeskData {
    /// The settings are required; the lists are empty if the caller may not read them.
    pub async fn load(state: &AppState, caller: &Caller) -> Result<DeskData, crate::error::ApiError> {
        Ok(DeskData {
            settings: incident::read_desk_settings(&state.core, &caller.ctx).await?,
            categories: incident::list_categories(&state.core, &caller.ctx).await.unwrap_or_default(),
            services: incident::list_services(&state.core, &caller.ctx, None).await.unwrap_or_default(),
        })
    }
}

/// Names of teams and people, from core's directory (names only, for anyone who may read
/// the records that carry them); an id that names nobody shows as `#id`.
#[derive(Default)]
pub struct Names {
    pub teams: Vec<(TeamId, String)>,
    users: HashMap<UserId, String>,
}

impl Names {
    pub async fn load(state: &AppState, caller: &Caller) -> Names {
        let teams = yunwei_core::directory::teams(&state.core, &caller.ctx).await.unwrap_or_default();
        let teams = teams.into_iter().map(|t| (t.id, super::local_name(caller.tr, &t.name, &t.name_en))).collect();
        Names { teams, users: HashMap::new() }
    }

    pub fn team(&self, id: TeamId) -> String {
        self.teams.iter().find(|t| t.0 == id).map(|t| t.1.clone()).unwrap_or_else(|| format!("#{id}"))
    }

    pub fn team_or_dash(&self, id: Option<TeamId>) -> String {
        id.map(|t| self.team(t)).unwrap_or_else(|| "—".into())
    }

    /// Looks up the names of many people in one go (a list page's assignees and requesters).
    pub async fn prefetch(&mut self, state: &AppState, caller: &Caller, ids: impl IntoIterator<Item = UserId>) {
        let missing: Vec<UserId> = ids.into_iter().filter(|id| !self.users.contains_key(id)).collect();
        if missing.is_empty() {
            return;
        }
        if let Ok(found) = yunwei_core::directory::user_names(&state.core, &caller.ctx, &missing).await {
            self.users.extend(found);
        }
    }

    pub async fn user(&mut self, state: &AppState, caller: &Caller, id: UserId) -> String {
        if let Some(n) = self.users.get(&id) {
            return n.clone();
        }
        self.prefetch(state, caller, [id]).await;
        let name = self.users.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        self.users.insert(id, name.clone());
        name
    }

    pub async fn user_or_dash(&mut self, state: &AppState, caller: &Caller, id: Option<UserId>) -> String {
        match id {
            Some(u) => self.user(state, caller, u).await,
            None => "—".into(),
        }
    }

    /// The enabled members of a team (id, name), also remembered as names.
    pub async fn members(&mut self, state: &AppState, caller: &Caller, team: TeamId) -> Vec<(UserId, String)> {
        let filter = UserFilter { team_id: Some(team), disabled: Some(false), ..Default::default() };
        let Ok(req) = page_request(Some(200), None, None, "username") else { return Vec::new() };
        let users = yunwei_core::admin::list_users(&state.core, &caller.ctx, &filter, &req).await.map(|p| p.items).unwrap_or_default();
        let out: Vec<(UserId, String)> = users.into_iter().map(|u| (u.id, u.display_name)).collect();
        for (id, name) in &out {
            self.users.insert(*id, name.clone());
        }
        out
    }
}

/// `/static/desk.css`: the priority colours administrators chose, with readable text on them.
pub async fn desk_css(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let settings = incident::desk_settings(&state.core).await.unwrap_or_default();
    let mut css = String::from("/* Priority colours from the service desk settings. */\n");
    for (i, l) in settings.labels.iter().enumerate() {
        // Only well-formed colours reach the stylesheet (core validates them; this guards old data).
        let Some(rgb) = hex_rgb(&l.colour) else { continue };
        let ink = if luminance(rgb) > 0.35 { "#1f2933" } else { "#ffffff" };
        css.push_str(&format!(".badge.prio-{} {{ background: {}; color: {ink}; }}\n", i + 1, l.colour));
    }
    let etag = format!("\"{:016x}\"", fnv1a(css.as_bytes()));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
            (header::ETAG, etag),
        ],
        css,
    )
        .into_response()
}

fn hex_rgb(s: &str) -> Option<[u8; 3]> {
    if s.len() != 7 || !s.starts_with('#') {
        return None;
    }
    let c = |i: usize| u8::from_str_radix(s.get(i..i + 2)?, 16).ok();
    Some([c(1)?, c(3)?, c(5)?])
}

/// Relative luminance (WCAG 2) of an sRGB colour.
fn luminance(rgb: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// "812 B", "12.5 KB", "3.2 MB".
pub fn file_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// A resolution code in the reader's language (the rule is the domain's, so pages and
/// exports name a code alike): the administrator's name, else the built-in one, else the
/// name in the other language, else the code itself.
pub fn resolution_label(tr: Tr, settings: &yunwei_domain::incident::DeskSettings, code: &str) -> String {
    settings.resolution_name(code, tr.is_zh())
}

/// The settings form's text for the codes: one line each, `code | 中文名 | English name`,
/// the built-in codes with their translations filled in so they can be renamed.
pub fn codes_text(settings: &yunwei_domain::incident::DeskSettings) -> String {
    let (zh, en) = (Tr::new("zh-CN"), Tr::new("en"));
    settings
        .resolution_codes
        .iter()
        .map(|c| format!("{c} | {} | {}", resolution_label(zh, settings, c), resolution_label(en, settings, c)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads [`codes_text`] back: the codes in order and each one's names (a bare code keeps
/// its built-in translation; `｜` is accepted for `|`, as Chinese keyboards type it).
pub fn parse_codes(text: &str) -> (Vec<String>, std::collections::BTreeMap<String, yunwei_domain::incident::CodeLabel>) {
    let mut codes = Vec::new();
    let mut labels = std::collections::BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line.split(['|', '｜']).map(str::trim);
        let code = parts.next().unwrap_or_default().to_string();
        let (name_zh, name_en) = (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
        if !name_zh.is_empty() || !name_en.is_empty() {
            labels.insert(code.clone(), yunwei_domain::incident::CodeLabel { name_zh, name_en });
        }
        codes.push(code);
    }
    (codes, labels)
}

/// Roles to choose as the fallback approvers, by name: the stored roles when the reader may
/// see them, else the built-in ones (keys are stable); "None" first.
pub async fn fallback_role_options(state: &AppState, caller: &Caller) -> Vec<(String, String)> {
    let tr = caller.tr;
    let mut out = vec![(String::new(), tr.t("field.none"))];
    match yunwei_core::admin::list_roles(&state.core, &caller.ctx).await {
        Ok(roles) => out.extend(roles.into_iter().map(|r| (r.key, if tr.is_zh() { r.name_zh } else { r.name_en }))),
        Err(_) => out.extend(
            yunwei_domain::admin::builtin_roles()
                .into_iter()
                .filter(|r| r.duty.is_none())
                .map(|r| (r.key.to_string(), (if tr.is_zh() { r.name_zh } else { r.name_en }).to_string())),
        ),
    }
    out
}

/// The resolution codes as (code, label) options of a select.
/// "Allowed: fixed, workaround" names the values as people know them (已修复、临时解决):
/// resolution codes by their names, transitions and states by their words.
pub fn allowed_in_words(e: &mut crate::error::ApiError, tr: Tr, settings: &yunwei_domain::incident::DeskSettings) {
    for f in e.fields.iter_mut().filter(|f| f.code == "not_allowed_value") {
        let field = f.field.clone();
        let word = |v: &str| -> String {
            let key = match field.as_str() {
                "resolution_code" => return resolution_label(tr, settings, v),
                "transition" => format!("incident.action.{v}"),
                "state" => format!("incident.state.{v}"),
                _ => String::new(),
            };
            if tr.has(&key) { tr.t(&key) } else { v.to_string() }
        };
        if let Some((_, allowed)) = f.params.iter_mut().find(|(k, _)| k == "allowed") {
            *allowed = allowed.split(',').map(|v| word(v.trim())).collect::<Vec<_>>().join(if tr.is_zh() { "、" } else { ", " });
        }
    }
}

pub fn resolution_options(tr: Tr, settings: &yunwei_domain::incident::DeskSettings) -> Vec<(String, String)> {
    settings.resolution_codes.iter().map(|c| (c.clone(), resolution_label(tr, settings, c))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_values_are_named_in_words() {
        let settings = yunwei_domain::incident::DeskSettings::default();
        let codes = settings.resolution_codes.join(", ");
        let err = |field: &str, allowed: &str| {
            let mut e = crate::error::ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            e.fields.push(yunwei_domain::FieldError::new(field, "not_allowed_value").with("allowed", allowed));
            e
        };
        let mut zh = err("resolution_code", &codes);
        allowed_in_words(&mut zh, Tr::new("zh-CN"), &settings);
        let words = &zh.fields[0].params[0].1;
        assert!(words.contains("已修复") && !words.contains("fixed") && words.contains('、'), "{words}");
        let mut en = err("state", "in_progress, resolved");
        allowed_in_words(&mut en, Tr::new("en"), &settings);
        assert_eq!(en.fields[0].params[0].1, "In progress, Resolved");
    }

    #[test]
    fn resolution_codes_round_trip_through_the_settings_text() {
        let mut settings = yunwei_domain::incident::DeskSettings::default();
        let (codes, labels) = parse_codes("fixed\nvendor_patch ｜ 厂商补丁 | Vendor patch\n\n  cabling | 更换线缆 |  ");
        assert_eq!(codes, ["fixed", "vendor_patch", "cabling"]);
        settings.resolution_codes = codes;
        settings.resolution_labels = labels;
        let (zh, en) = (Tr::new("zh-CN"), Tr::new("en"));
        assert_eq!(resolution_label(zh, &settings, "fixed"), "已修复");
        assert_eq!(resolution_label(en, &settings, "vendor_patch"), "Vendor patch");
        assert_eq!(resolution_label(zh, &settings, "vendor_patch"), "厂商补丁");
        assert_eq!(resolution_label(en, &settings, "cabling"), "更换线缆", "no English name: the Chinese one");
        let text = codes_text(&settings);
        assert!(text.starts_with("fixed | 已修复 | Fixed\nvendor_patch | 厂商补丁 | Vendor patch"), "{text}");
        assert_eq!(parse_codes(&text).0, settings.resolution_codes);
    }

    #[test]
    fn durations_read_naturally() {
        let en = Tr::new("en");
        let zh = Tr::new("zh-CN");
        assert_eq!(duration(en, 8100), "2 h 15 min");
        assert_eq!(duration(en, 7200), "2 h");
        assert_eq!(duration(en, 30), "1 min");
        assert_eq!(remaining(zh, -360), "超时 6 分钟");
        assert_eq!(remaining(zh, 8100), "剩余 2 小时 15 分钟");
        assert_eq!((file_size(812).as_str(), file_size(12_800).as_str(), file_size(3_355_443).as_str()), ("812 B", "12.5 KB", "3.2 MB"));
    }

    #[test]
    fn text_on_priority_colours_stays_readable() {
        // Parsed first: a colour that failed to parse must not pass as black.
        let (dark, light) = (hex_rgb("#b42318"), hex_rgb("#fedf89"));
        assert_eq!((dark, light), (Some([0xb4, 0x23, 0x18]), Some([0xfe, 0xdf, 0x89])));
        assert!(dark.is_some_and(|c| luminance(c) < 0.35), "white text on the dark red");
        assert!(light.is_some_and(|c| luminance(c) > 0.35), "dark text on the light yellow");
        assert!(luminance([0, 0, 0]) < 0.01 && luminance([255, 255, 255]) > 0.99);
        assert_eq!(hex_rgb("red;}"), None);
        assert_eq!(hex_rgb("#12345g"), None);
    }

    #[test]
    fn categories_form_a_tree() {
        let c = |id: i64, parent: Option<i64>, name: &str| Category {
            id: CategoryId(id),
            name: name.into(),
            name_en: if id == 1 { "Network".into() } else { String::new() },
            parent_id: parent.map(CategoryId),
            team_id: None,
            active: true,
            created_at: 0,
            updated_at: 0,
        };
        let all = vec![c(1, None, "网络"), c(2, Some(1), "核心交换机"), c(3, None, "桌面"), c(4, Some(9), "孤儿")];
        let tree: Vec<(i64, usize)> = category_tree(&all).iter().map(|(c, d)| (c.id.0, *d)).collect();
        assert_eq!(tree, [(1, 0), (2, 1), (3, 0), (4, 0)]);
        assert_eq!(category_path(&all, CategoryId(2), Tr::new("zh-CN")), "网络 / 核心交换机");
        assert_eq!(category_path(&all, CategoryId(2), Tr::new("en")), "Network / 核心交换机", "no English name: the Chinese one");
    }
}
