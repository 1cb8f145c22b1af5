//! Organisation administration: users, teams, departments, roles and role
//! assignment with separation of duties. Every change is audited; role and
//! permission changes as `permission_change`.

use crate::audit::{self, Change};
use crate::notify::{Event, emit};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Deserializer, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::admin::duties::{AccountAction, Decision, Target, duty_of_account};
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{DepartmentId, TeamId, UserId};
use yunwei_domain::page::PageRequest;
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;
use yunwei_store::admin::{self as store, Role, User, UserFields, UserFilter};
use yunwei_store::auth as sessions;
use yunwei_store::sql::Page;

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// For PATCH bodies: absent = keep, `null` = clear, value = set.
pub fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

mod departments;
pub mod duties;
pub mod grants;
mod roles;
mod teams;

use duties::{judge_account, judge_existing_account, role_duty};
use grants::Outcome;

pub use departments::*;
pub use roles::*;
pub use teams::*;

// ---- users ----

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub manager_id: Option<UserId>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    /// Initial password; generated (and returned once) when absent. Must be changed at first sign-in.
    #[serde(skip_serializing)]
    pub password: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub teams: Vec<TeamId>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "patch")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch")]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "patch")]
    pub manager_id: Option<Option<UserId>>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}

/// A user with their roles and teams.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub roles: Vec<String>,
    pub teams: Vec<TeamId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    /// Present only when the server generated the initial password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

async fn check_references(core: &Core, c: &mut Checker, department: Option<DepartmentId>, manager: Option<UserId>) -> Result<()> {
    if let Some(d) = department
        && store::get_department(&core.db.read, d).await?.is_none()
    {
        c.push(FieldError::new("department_id", "not_found"));
    }
    if let Some(m) = manager
        && store::get_user(&core.db.read, m).await?.is_none()
    {
        c.push(FieldError::new("manager_id", "not_found"));
    }
    Ok(())
}

fn check_locale_zone(c: &mut Checker, locale: &str, zone: &str) {
    c.one_of("locale", locale, &LOCALES);
    if !crate::is_known_time_zone(zone) {
        c.push(FieldError::new("time_zone", "unknown_time_zone"));
    }
}

pub async fn create_user(core: &Core, ctx: &Ctx, input: NewUser) -> Result<CreatedUser> {
    ctx.authorize(ObjectType::User, Action::Create)?;
    let mut c = Checker::new();
    let username = c.username("username", &input.username);
    let display_name = c.name("display_name", &input.display_name, 100);
    let email = c.email("email", input.email.as_deref());
    let phone = input.phone.as_deref().map(|p| c.name("phone", p, 40));
    let locale = input.locale.clone().unwrap_or_else(|| core.config.default_locale.clone());
    let time_zone = input.time_zone.clone().unwrap_or_else(|| core.config.default_time_zone.clone());
    check_locale_zone(&mut c, &locale, &time_zone);
    check_references(core, &mut c, input.department_id, input.manager_id).await?;
    let roles = resolve_roles(core, &mut c, &input.roles).await?;
    for (i, t) in input.teams.iter().enumerate() {
        if store::get_team(&core.db.read, *t).await?.is_none() {
            c.push(FieldError::new(format!("teams[{i}]"), "not_found"));
        }
    }
    if let Some(p) = &input.password
        && let Err(crate::CoreError::Domain(yunwei_domain::DomainError::WeakPassword(rules))) =
            crate::crypto::check_password(&core.config.password_policy(), p, &username, false)
    {
        for r in rules {
            c.push(FieldError::new("password", r.code()));
        }
    }
    c.finish()?;
    if !roles.is_empty() {
        ctx.authorize(ObjectType::Role, Action::Assign)?;
        let duty_after = duty_of_account(roles.iter().map(role_duty))?;
        let target = Target { user: UserId(0), duty_before: None, duty_after };
        judge_account(core, ctx, target, AccountAction::Create).await?;
    }
    let generated = input.password.is_none();
    let password = match input.password.clone() {
        Some(p) => p,
        None => crate::seed::generate_password()?,
    };
    let hash = crate::crypto::hash_password(password.clone()).await?;
    let fields = UserFields {
        username,
        display_name,
        email,
        phone,
        department_id: input.department_id,
        manager_id: input.manager_id,
        locale,
        time_zone,
    };
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    let id = store::insert_user(&mut tx, &fields, Some(&hash), true, now).await.map_err(CoreError::unique_as("username_taken"))?;
    store::set_user_roles(&mut tx, id, &roles.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    for t in &input.teams {
        let mut members = store::team_members(&mut *tx, *t).await?;
        members.push(id);
        store::set_team_members(&mut tx, *t, &members).await?;
    }
    let view = user_view(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("user", id, "create").after(&view)).await?;
    emit(
        core,
        &mut tx,
        ctx,
        Event::new(EventType::UserCreated, "user", id).about(id).with(serde_json::json!({ "username": view.user.username })),
    )
    .await?;
    core.commit(tx).await?;
    core.config_cache.clear_teams();
    Ok(CreatedUser { user: view, initial_password: generated.then_some(password) })
}

pub(crate) async fn user_view(conn: &mut yunwei_store::Conn, id: UserId) -> Result<UserView> {
    let user = store::get_user(&mut *conn, id).await?.ok_or(CoreError::NotFound("user"))?;
    let roles = store::roles_of_user(&mut *conn, id).await?.into_iter().map(|r| r.key).collect();
    let teams = store::teams_of_user(&mut *conn, id).await?;
    Ok(UserView { user, roles, teams })
}

pub async fn get_user(core: &Core, ctx: &Ctx, id: UserId) -> Result<UserView> {
    if ctx.me()?.user_id != id {
        ctx.authorize(ObjectType::User, Action::Read)?;
    }
    let mut conn = core.db.read.acquire().await?;
    let mut view = user_view(&mut conn, id).await?;
    hide_contact_details(ctx, &mut view.user);
    Ok(view)
}

pub async fn list_users(core: &Core, ctx: &Ctx, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
    ctx.authorize(ObjectType::User, Action::Read)?;
    let mut page = store::list_users(&core.db.read, filter, page, true).await?;
    for user in &mut page.items {
        hide_contact_details(ctx, user);
    }
    Ok(page)
}

/// E-mail and phone are for the person themself and for those who administer
/// users (`user:update`); everyone else who may read users sees names only.
fn hide_contact_details(ctx: &Ctx, user: &mut User) {
    if ctx.actor_id() != Some(user.id.0) && ctx.authorize(ObjectType::User, Action::Update).is_err() {
        user.email = None;
        user.phone = None;
    }
}

pub async fn update_user(core: &Core, ctx: &Ctx, id: UserId, p: UserPatch) -> Result<UserView> {
    ctx.authorize(ObjectType::User, Action::Update)?;
    let before = store::get_user(&core.db.read, id).await?.ok_or(CoreError::NotFound("user"))?;
    judge_existing_account(core, ctx, id, AccountAction::EditProfile).await?;
    let mut c = Checker::new();
    let fields = UserFields {
        username: before.username.clone(),
        display_name: match &p.display_name {
            Some(d) => c.name("display_name", d, 100),
            None => before.display_name.clone(),
        },
        email: match &p.email {
            Some(e) => c.email("email", e.as_deref()),
            None => before.email.clone(),
        },
        phone: match &p.phone {
            Some(Some(ph)) => Some(c.name("phone", ph, 40)),
            Some(None) => None,
            None => before.phone.clone(),
        },
        department_id: p.department_id.unwrap_or(before.department_id),
        manager_id: p.manager_id.unwrap_or(before.manager_id),
        locale: p.locale.clone().unwrap_or_else(|| before.locale.clone()),
        time_zone: p.time_zone.clone().unwrap_or_else(|| before.time_zone.clone()),
    };
    check_locale_zone(&mut c, &fields.locale, &fields.time_zone);
    check_references(core, &mut c, fields.department_id, fields.manager_id).await?;
    if fields.manager_id == Some(id) {
        c.push(FieldError::new("manager_id", "self_reference"));
    }
    c.finish()?;
    let mut tx = core.db.begin().await?;
    store::update_user(&mut tx, id, &fields, core.now_ms()).await?;
    let after = user_view(&mut tx, id).await?;
    audit::write(core, &mut tx, ctx, Change::new("user", id, "update").before(&before).after(&after.user)).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::UserUpdated, "user", id).about(id)).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(after)
}

/// Disabling ends every session and revokes every API token of the user at once.
pub async fn set_user_disabled(core: &Core, ctx: &Ctx, id: UserId, disabled: bool) -> Result<UserView> {
    let (me, _) = ctx.authorize(ObjectType::User, Action::Update)?;
    if me.user_id == id && disabled {
        return Err(CoreError::Conflict("cannot_disable_self"));
    }
    store::get_user(&core.db.read, id).await?.ok_or(CoreError::NotFound("user"))?;
    judge_existing_account(core, ctx, id, if disabled { AccountAction::Disable } else { AccountAction::Enable }).await?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if !store::set_disabled(&mut tx, id, disabled, now).await? {
        return Err(CoreError::NotFound("user"));
    }
    let (mut ended, mut revoked) = (0, 0);
    if disabled {
        ended = sessions::delete_user_sessions(&mut tx, id).await?;
        revoked = sessions::revoke_user_tokens(&mut tx, id, now).await?;
    }
    let view = user_view(&mut tx, id).await?;
    let action = if disabled { "disable" } else { "enable" };
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("user", id, action).after(&serde_json::json!({ "sessions_ended": ended, "tokens_revoked": revoked })),
    )
    .await?;
    let event = if disabled { EventType::UserDisabled } else { EventType::UserEnabled };
    emit(core, &mut tx, ctx, Event::new(event, "user", id).about(id)).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(view)
}

pub(crate) async fn resolve_roles(core: &Core, c: &mut Checker, keys: &[String]) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        match store::get_role_by_key(&core.db.read, k).await? {
            Some(r) if !roles.iter().any(|x: &Role| x.id == r.id) => roles.push(r),
            Some(_) => {}
            None => c.push(FieldError::new(format!("roles[{i}]"), "unknown_role")),
        }
    }
    Ok(roles)
}

/// Replaces a user's roles. Refused if they would combine administrator duties (三权分立)
/// or change the caller's own; a change that grants, alters or takes away a duty waits
/// for a second person (see [`grants`]).
pub async fn set_user_roles(core: &Core, ctx: &Ctx, id: UserId, keys: &[String]) -> Result<Outcome<UserView>> {
    ctx.authorize(ObjectType::Role, Action::Assign)?;
    let mut c = Checker::new();
    let roles = resolve_roles(core, &mut c, keys).await?;
    c.finish()?;
    let duty_after = duty_of_account(roles.iter().map(role_duty))?;
    let mut conn = core.db.read.acquire().await?;
    let before = user_view(&mut conn, id).await?;
    let duty_before = duties::account_duty(&mut conn, id).await?;
    drop(conn);
    let mut wanted: Vec<String> = roles.iter().map(|r| r.key.clone()).collect();
    wanted.sort();
    if wanted == before.roles {
        return Ok(Outcome::Applied(before));
    }
    match judge_account(core, ctx, Target { user: id, duty_before, duty_after }, AccountAction::ChangeRoles).await? {
        Decision::Allowed => Ok(Outcome::Applied(apply_user_roles(core, ctx, id, &roles, None).await?)),
        Decision::NeedsSecondPerson => {
            let change = serde_json::json!({ "roles": wanted });
            let before = serde_json::json!({ "roles": before.roles });
            Ok(Outcome::Pending(Box::new(grants::request(core, ctx, grants::KIND_USER_ROLES, id.0, &change, &before).await?)))
        }
    }
}

/// Writes a user's new roles, audited, and closes the approved request they came from.
pub(crate) async fn apply_user_roles(
    core: &Core,
    ctx: &Ctx,
    id: UserId,
    roles: &[Role],
    grant: Option<&yunwei_store::duty_grant::DutyGrantRow>,
) -> Result<UserView> {
    let mut tx = core.db.begin().await?;
    let before = user_view(&mut tx, id).await?;
    store::set_user_roles(&mut tx, id, &roles.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let after = user_view(&mut tx, id).await?;
    let entry = match grant {
        Some(g) => {
            grants::close(core, &mut tx, ctx, g, "approved", "").await?;
            serde_json::json!({ "roles": after.roles, "duty_grant": g.id, "requested_by": g.requested_by })
        }
        None => serde_json::json!(after.roles),
    };
    audit::write(core, &mut tx, ctx, Change::new("user", id, "permission_change").before(&before.roles).after(&entry)).await?;
    let names = |f: fn(&Role) -> &String| roles.iter().map(|r| f(r).clone()).collect::<Vec<_>>();
    let payload = serde_json::json!({ "roles": after.roles, "roles_zh": names(|r| &r.name_zh), "roles_en": names(|r| &r.name_en) });
    emit(core, &mut tx, ctx, Event::new(EventType::UserRolesChanged, "user", id).about(id).with(payload)).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(after)
}

/// Replaces the teams a user belongs to (needs `team:update`).
pub async fn set_user_teams(core: &Core, ctx: &Ctx, id: UserId, teams: &[TeamId]) -> Result<UserView> {
    ctx.authorize(ObjectType::Team, Action::Update)?;
    let mut c = Checker::new();
    for (i, t) in teams.iter().enumerate() {
        if store::get_team(&core.db.read, *t).await?.is_none() {
            c.push(FieldError::new(format!("teams[{i}]"), "not_found"));
        }
    }
    c.finish()?;
    let mut unique = teams.to_vec();
    unique.sort();
    unique.dedup();
    let mut tx = core.db.begin().await?;
    let before = user_view(&mut tx, id).await?;
    store::set_user_teams(&mut tx, id, &unique).await?;
    let after = user_view(&mut tx, id).await?;
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("user", id, "update")
            .before(&serde_json::json!({ "teams": before.teams }))
            .after(&serde_json::json!({ "teams": after.teams })),
    )
    .await?;
    core.commit(tx).await?;
    core.tokens.clear();
    core.config_cache.clear_teams();
    Ok(after)
}

/// Self-service: language and time zone.
pub async fn update_my_preferences(core: &Core, ctx: &Ctx, locale: &str, zone: &str) -> Result<()> {
    let me = ctx.self_service()?;
    let mut c = Checker::new();
    check_locale_zone(&mut c, locale, zone);
    c.finish()?;
    let mut tx = core.db.begin().await?;
    store::set_locale_and_zone(&mut tx, me.user_id, locale, zone, core.now_ms()).await?;
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("user", me.user_id, "update").after(&serde_json::json!({ "locale": locale, "time_zone": zone })),
    )
    .await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(())
}
