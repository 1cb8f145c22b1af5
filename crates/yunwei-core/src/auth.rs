//! Identity: sign-in with lockout and a second factor, server-side sessions,
//! API tokens, passwords and TOTP. Local accounts today; an LDAP/OIDC source
//! only has to produce a `UserId` at `establish_session` (users.auth_source).

use crate::admin::duties::judge_existing_account;
use crate::audit::{self, Change};
use crate::crypto::{hash_password, random_secret, sha256_hex, verify_password};
use crate::notify::{Event, emit};
use crate::{Actor, Core, CoreError, Ctx, RequestMeta, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::RwLock;
use yunwei_domain::admin::duties::{AccountAction, duty_of, duty_of_set};
use yunwei_domain::auth::ThrottleKind;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::{ApiTokenId, UserId};
use yunwei_domain::permission::{Action, ActorPlace, ObjectType, Permission, PermissionSet, TokenScope};
use yunwei_domain::validate::Checker;
use yunwei_domain::{DomainError, FieldError};
use yunwei_store::admin as users;
use yunwei_store::auth::{self as store, ApiToken, Session};
use yunwei_store::throttle;

pub use crate::context::Via;

pub const TOKEN_PREFIX: &str = "yw_";
const TOKEN_CACHE_MS: i64 = 5_000;
const TOUCH_EVERY_MS: i64 = 60_000;
const RECOVERY_CODES: usize = 10;

/// A just-created session: the secret goes into the cookie and is never stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub second_factor_pending: bool,
    pub user_id: UserId,
}

pub async fn login(core: &Core, meta: &RequestMeta, username: &str, password: &str) -> Result<NewSession> {
    let ctx = Ctx::anonymous(meta.clone());
    let username = username.trim().to_lowercase();
    let keys = SignInKeys::new(&username, &meta.source_ip);
    // Held back: the same answer whether or not the name exists.
    if let Some(until) = throttle::blocked_until(&core.db.read, &keys.all(), core.now_ms()).await? {
        audit_refusal(core, &ctx, None, username, "throttled").await?;
        return Err(CoreError::too_many_attempts(until, core.now_ms()));
    }
    let Some(user) = users::get_user_by_username(&core.db.read, &username).await? else {
        // Spend what a real check costs, so response time does not reveal which names exist.
        let _ = hash_password(password.to_string()).await;
        return Err(record_failure(core, &ctx, None, &username, &keys, "unknown_user").await?);
    };
    let creds = users::credentials(&core.db.read, user.id).await?.ok_or(CoreError::BadCredentials)?;
    let ok = match creds.password_hash.clone() {
        Some(hash) => verify_password(password.to_string(), hash).await,
        None => false,
    };
    if !ok {
        return Err(record_failure(core, &ctx, Some(user.id), &username, &keys, "bad_password").await?);
    }
    if creds.disabled {
        audit_refusal(core, &ctx, Some(user.id), username, "disabled").await?;
        return Err(CoreError::AccountDisabled);
    }
    establish_session(core, &ctx, user.id, &username, creds.totp_enabled).await
}

/// The throttle keys of a sign-in: the name from this address, the address, the name.
struct SignInKeys {
    account_at_address: String,
    address: String,
    account: String,
}

impl SignInKeys {
    fn new(username: &str, address: &str) -> Self {
        Self {
            account_at_address: format!("acct_addr:{username}|{address}"),
            address: format!("addr:{address}"),
            account: format!("acct:{username}"),
        }
    }

    fn all(&self) -> Vec<String> {
        vec![self.account_at_address.clone(), self.address.clone(), self.account.clone()]
    }

    /// What a success forgets: the name's failures (the address's decay with time).
    fn cleared_by_success(&self) -> Vec<String> {
        vec![self.account_at_address.clone(), self.account.clone()]
    }
}

/// Records a refused sign-in that counts towards nothing.
async fn audit_refusal(core: &Core, ctx: &Ctx, user: Option<UserId>, username: String, reason: &str) -> Result<()> {
    let mut tx = core.db.begin().await?;
    let change = Change::new("session", "-", "login_failed").after(&serde_json::json!({ "reason": reason }));
    audit::write_as(core, &mut tx, ctx, user.map(|u| u.0), username, change).await?;
    core.commit(tx).await
}

/// Counts a failed attempt against the name at this address, the address and the name,
/// holds back whichever key the policy says, and returns the error to show. A name that does
/// not exist is counted and held back the same way, so the answers reveal nothing.
async fn record_failure(
    core: &Core,
    ctx: &Ctx,
    user: Option<UserId>,
    username: &str,
    keys: &SignInKeys,
    reason: &str,
) -> Result<CoreError> {
    const WINDOW_MS: i64 = 3_600_000;
    let now = core.now_ms();
    let policy = core.config.lockout;
    let mut tx = core.db.begin().await?;
    let mut until: Option<i64> = None;
    let mut locked_here = None;
    for (key, kind) in [
        (&keys.account_at_address, ThrottleKind::AccountAtAddress),
        (&keys.address, ThrottleKind::Address),
        (&keys.account, ThrottleKind::Account),
    ] {
        let failures = throttle::record_failure(&mut tx, key, now, WINDOW_MS).await?;
        if let Some(hold) = policy.hold_after(kind, u32::try_from(failures).unwrap_or(u32::MAX)) {
            let end = now + hold * 1000;
            throttle::block(&mut tx, key, end).await?;
            until = until.max(Some(end));
            if kind == ThrottleKind::AccountAtAddress {
                locked_here = Some(failures);
            }
        }
    }
    let after = serde_json::json!({ "reason": reason, "held_until": until });
    audit::write_as(core, &mut tx, ctx, user.map(|u| u.0), username.into(), Change::new("session", "-", "login_failed").after(&after))
        .await?;
    // The owner hears that someone is guessing their password, and from where.
    if let (Some(user), Some(failures)) = (user, locked_here) {
        let payload = serde_json::json!({ "failures": failures, "minutes": policy.lock_seconds / 60, "source_ip": ctx.meta.source_ip });
        emit(core, &mut tx, ctx, Event::new(EventType::AccountLocked, "user", user).about(user).with(payload)).await?;
    }
    core.commit(tx).await?;
    Ok(match until {
        Some(until) => CoreError::too_many_attempts(until, now),
        None if reason == "bad_second_factor" => CoreError::BadSecondFactor,
        None => CoreError::BadCredentials,
    })
}

/// Opens a session for a user whose first factor is proven (by password today,
/// by LDAP or OIDC later).
pub(crate) async fn establish_session(core: &Core, ctx: &Ctx, user: UserId, username: &str, second_factor: bool) -> Result<NewSession> {
    let now = core.now_ms();
    let secret = random_secret::<32>()?;
    let session = Session {
        id_hash: sha256_hex(&secret),
        user_id: user,
        csrf_token: random_secret::<32>()?,
        second_factor_pending: second_factor,
        created_at: now,
        last_seen_at: now,
        source_ip: ctx.meta.source_ip.clone(),
        user_agent: ctx.meta.user_agent.chars().take(512).collect(),
    };
    let mut tx = core.db.begin().await?;
    users::reset_failed_logins(&mut tx, user).await?;
    throttle::clear(&mut tx, &SignInKeys::new(username, &ctx.meta.source_ip).cleared_by_success()).await?;
    store::insert_session(&mut tx, &session).await?;
    let action = if second_factor { "login_password_ok" } else { "login" };
    audit::write_as(core, &mut tx, ctx, Some(user.0), username.into(), Change::new("session", &session.id_hash[..12], action)).await?;
    core.commit(tx).await?;
    Ok(NewSession { secret, csrf_token: session.csrf_token, second_factor_pending: second_factor, user_id: user })
}

/// The language someone chose on the sign-in page becomes their profile's: they chose it
/// just now, and the profile's older choice would otherwise undo it on the next page.
pub async fn adopt_sign_in_locale(core: &Core, meta: &RequestMeta, user: UserId, locale: &str) -> Result<()> {
    if !matches!(locale, "zh-CN" | "en") {
        return Ok(());
    }
    let Some(u) = users::get_user(&core.db.read, user).await? else { return Ok(()) };
    if u.locale == locale {
        return Ok(());
    }
    let mut tx = core.db.begin().await?;
    users::set_locale_and_zone(&mut tx, user, locale, &u.time_zone, core.now_ms()).await?;
    let change = Change::new("user", user, "update").after(&serde_json::json!({ "locale": locale, "chosen_at": "sign_in" }));
    audit::write_as(core, &mut tx, &Ctx::anonymous(meta.clone()), Some(user.0), u.username, change).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(())
}

/// Completes a sign-in with a TOTP code or a recovery code.
pub async fn second_factor(core: &Core, meta: &RequestMeta, session_secret: &str, code: &str) -> Result<()> {
    let hash = sha256_hex(session_secret);
    let session = store::get_session(&core.db.read, &hash).await?.ok_or(CoreError::SessionExpired)?;
    if !session.second_factor_pending {
        return Ok(());
    }
    let user = users::get_user(&core.db.read, session.user_id).await?.ok_or(CoreError::SessionExpired)?;
    let ctx = Ctx::anonymous(meta.clone());
    let keys = SignInKeys::new(&user.username, &meta.source_ip);
    if let Some(until) = throttle::blocked_until(&core.db.read, &keys.all(), core.now_ms()).await? {
        return Err(CoreError::too_many_attempts(until, core.now_ms()));
    }
    if !check_second_factor(core, user.id, code).await? {
        return Err(record_failure(core, &ctx, Some(user.id), &user.username, &keys, "bad_second_factor").await?);
    }
    let mut tx = core.db.begin().await?;
    store::complete_second_factor(&mut tx, &hash).await?;
    users::reset_failed_logins(&mut tx, user.id).await?;
    audit::write_as(core, &mut tx, &ctx, Some(user.id.0), user.username.clone(), Change::new("session", &hash[..12], "login")).await?;
    core.commit(tx).await
}

/// A TOTP code (not replayable) or an unused recovery code.
async fn check_second_factor(core: &Core, user: UserId, code: &str) -> Result<bool> {
    let creds = users::credentials(&core.db.read, user).await?.ok_or(CoreError::Unauthenticated)?;
    let secret = creds.totp_secret.as_deref().and_then(crate::totp::base32_decode);
    let mut conn = core.db.writer().await?;
    if let Some(secret) = secret
        && let Some(step) = crate::totp::matching_step(&secret, code, core.now_ms())
    {
        return Ok(users::use_totp_step(&mut conn, user, step).await?);
    }
    let normalized: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
    Ok(normalized.len() == 10 && store::use_recovery_code(&mut conn, user, &sha256_hex(&normalized), core.now_ms()).await?)
}

/// Ends the session whose secret the caller holds. Not authorised here: holding the secret is
/// the right to end it (the context only names the actor in the audit entry).
pub async fn logout(core: &Core, ctx: &Ctx, session_secret: &str) -> Result<()> {
    let hash = sha256_hex(session_secret);
    let mut tx = core.db.begin().await?;
    if store::delete_session(&mut tx, &hash).await? {
        audit::write(core, &mut tx, ctx, Change::new("session", &hash[..12], "logout")).await?;
    }
    core.commit(tx).await
}

/// What a session cookie is worth.
pub enum SessionState {
    Active {
        actor: Box<Actor>,
        csrf_token: String,
    },
    /// Password accepted, second factor still owed.
    SecondFactorPending,
}

pub async fn authenticate_session(core: &Core, session_secret: &str) -> Result<SessionState> {
    let hash = sha256_hex(session_secret);
    let session = store::get_session(&core.db.read, &hash).await?.ok_or(CoreError::SessionExpired)?;
    let now = core.now_ms();
    let policy = core.config.session;
    if !policy.is_live(session.created_at / 1000, session.last_seen_at / 1000, now / 1000) {
        let mut conn = core.db.writer().await?;
        store::delete_session(&mut conn, &hash).await?;
        return Err(CoreError::SessionExpired);
    }
    if session.second_factor_pending {
        return Ok(SessionState::SecondFactorPending);
    }
    let actor = build_actor(core, session.user_id, Via::Session, None).await?;
    if now - session.last_seen_at > 15_000 {
        store::touch_session(&mut *core.db.writer().await?, &hash, now).await?;
    }
    Ok(SessionState::Active { actor: Box::new(actor), csrf_token: session.csrf_token })
}

/// Loads who a user is and what they may do. A disabled user gets nothing.
pub async fn build_actor(core: &Core, user_id: UserId, via: Via, token_scopes: Option<&[TokenScope]>) -> Result<Actor> {
    let user = users::get_user(&core.db.read, user_id).await?.ok_or(CoreError::Unauthenticated)?;
    if user.disabled {
        return Err(CoreError::AccountDisabled);
    }
    let roles = users::roles_of_user(&core.db.read, user_id).await?;
    let teams = users::teams_of_user(&core.db.read, user_id).await?;
    let granted: Vec<Permission> = roles.iter().flat_map(|r| r.permissions.iter().copied()).collect();
    let (duty, granted) = match duty_of_set(&granted) {
        Ok(duty) => (duty, granted),
        Err(e) => {
            // Roles saved before duties were checked can combine two: such an account gets
            // neither until a security administrator separates them.
            tracing::warn!(user = user_id.0, error = %e, "account combines administrator duties; its duty permissions are withheld");
            (None, granted.into_iter().filter(|p| duty_of(p).is_none()).collect())
        }
    };
    let mut permissions = PermissionSet::new(granted);
    if let Some(scopes) = token_scopes {
        permissions = permissions.narrowed_to(scopes);
    }
    let is_session = via == Via::Session;
    let expired = user.password_changed_at.is_some_and(|at| core.config.password_policy().is_expired(at / 1000, core.now_ms() / 1000));
    Ok(Actor {
        user_id,
        username: user.username,
        display_name: user.display_name,
        locale: user.locale,
        time_zone: user.time_zone,
        permissions,
        place: ActorPlace { user: user_id, teams, department: user.department_id },
        token_scopes: token_scopes.map(<[TokenScope]>::to_vec),
        duty,
        via,
        // Tokens serve automation: a forced password change or 2FA enrolment applies to people signing in.
        must_change_password: is_session && (user.must_change_password || expired),
        must_enrol_totp: is_session && !user.totp_enabled && roles.iter().any(|r| r.require_totp),
    })
}

// ---- API tokens ----

#[derive(Clone)]
struct CachedToken {
    actor: Actor,
    token_id: ApiTokenId,
    expires_at: Option<i64>,
    cached_at: i64,
    touched_at: i64,
}

/// Recently checked tokens, so that a bearer request costs a hash and a map
/// lookup. Entries live 5 s; any revocation or disablement on this node clears it.
#[derive(Default)]
pub struct TokenCache(RwLock<HashMap<String, CachedToken>>);

impl TokenCache {
    pub fn clear(&self) {
        if let Ok(mut m) = self.0.write() {
            m.clear();
        }
    }
}

pub async fn authenticate_token(core: &Core, bearer: &str) -> Result<Actor> {
    if !bearer.starts_with(TOKEN_PREFIX) || bearer.len() != TOKEN_PREFIX.len() + 64 {
        return Err(CoreError::Unauthenticated);
    }
    let hash = sha256_hex(bearer);
    let now = core.now_ms();
    let cached = core.tokens.0.read().ok().and_then(|m| m.get(&hash).cloned());
    if let Some(c) = cached
        && now - c.cached_at < TOKEN_CACHE_MS
        && c.expires_at.is_none_or(|e| e > now)
    {
        if now - c.touched_at > TOUCH_EVERY_MS {
            touch(core, &hash, c.token_id, now).await?;
        }
        return Ok(c.actor);
    }
    let token = store::token_by_hash(&core.db.read, &hash).await?.ok_or(CoreError::Unauthenticated)?;
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e <= now) {
        return Err(CoreError::Unauthenticated);
    }
    let actor = build_actor(core, token.user_id, Via::ApiToken { token_id: token.id.0 }, Some(&token.scopes)).await?;
    let stale = token.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY_MS);
    if stale {
        store::touch_token(&mut *core.db.writer().await?, token.id, now).await?;
    }
    let touched_at = if stale { now } else { token.last_used_at.unwrap_or(now) };
    if let Ok(mut m) = core.tokens.0.write() {
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(hash, CachedToken { actor: actor.clone(), token_id: token.id, expires_at: token.expires_at, cached_at: now, touched_at });
    }
    Ok(actor)
}

async fn touch(core: &Core, hash: &str, id: ApiTokenId, now: i64) -> Result<()> {
    store::touch_token(&mut *core.db.writer().await?, id, now).await?;
    if let Ok(mut m) = core.tokens.0.write()
        && let Some(c) = m.get_mut(hash)
    {
        c.touched_at = now;
    }
    Ok(())
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenInput {
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Days until it expires; none means it does not (administrators may prefer a limit).
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Shown once; only its hash is kept.
    pub secret: String,
}

/// Creates a token for `owner`: the actor themself, or (with `user:update`) someone else.
pub async fn create_token(core: &Core, ctx: &Ctx, owner: UserId, input: NewTokenInput) -> Result<CreatedToken> {
    let me = ctx.me()?;
    // A token never mints tokens: a leaked one must not be able to outlive its revocation.
    if matches!(me.via, Via::ApiToken { .. }) {
        return Err(CoreError::Forbidden("api_token:create".into()));
    }
    if me.user_id != owner {
        ctx.authorize(ObjectType::User, Action::Update)?;
        judge_existing_account(core, ctx, owner, AccountAction::ManageTokens).await?;
    }
    let mut c = Checker::new();
    let name = c.name("name", &input.name, 100);
    let scopes_in = if input.scopes.is_empty() { vec!["*".to_string()] } else { input.scopes.clone() };
    let mut scopes = Vec::new();
    for (i, s) in scopes_in.iter().enumerate() {
        match s.parse::<TokenScope>() {
            Ok(t) => scopes.push(t),
            Err(_) => c.push(FieldError::new(format!("scopes[{i}]"), "invalid_scope")),
        }
    }
    if let Some(d) = input.expires_in_days
        && !(1..=3650).contains(&d)
    {
        c.push(FieldError::new("expires_in_days", "out_of_range").with("min", 1).with("max", 3650));
    }
    c.finish()?;
    let owner_user = users::get_user(&core.db.read, owner).await?.ok_or(CoreError::NotFound("user"))?;
    if owner_user.disabled {
        return Err(CoreError::Conflict("user_disabled"));
    }
    let now = core.now_ms();
    let secret = format!("{TOKEN_PREFIX}{}", random_secret::<32>()?);
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let expires_at = input.expires_in_days.map(|d| now + d * 86_400_000);
    let mut tx = core.db.begin().await?;
    let hash = sha256_hex(&secret);
    let new = store::NewToken { user: owner, name: &name, hash: &hash, prefix: &prefix, scopes: &scopes, expires_at };
    let id = store::insert_token(&mut tx, &new, now).await?;
    let token = store::get_token(&mut *tx, id).await?.ok_or(CoreError::NotFound("api_token"))?;
    audit::write(core, &mut tx, ctx, Change::new("api_token", id, "create").after(&token)).await?;
    let event =
        Event::new(EventType::ApiTokenCreated, "api_token", id).about(owner).with(serde_json::json!({ "name": name, "prefix": prefix }));
    emit(core, &mut tx, ctx, event).await?;
    core.commit(tx).await?;
    Ok(CreatedToken { token, secret })
}

pub async fn list_tokens(core: &Core, ctx: &Ctx, owner: UserId) -> Result<Vec<ApiToken>> {
    // Someone else's tokens (names, scopes, prefixes, last use) are for user administrators.
    if ctx.me()?.user_id != owner {
        ctx.authorize(ObjectType::User, Action::Update)?;
    }
    Ok(store::tokens_of_user(&core.db.read, owner).await?)
}

pub async fn revoke_token(core: &Core, ctx: &Ctx, id: ApiTokenId) -> Result<()> {
    let token = store::get_token(&core.db.read, id).await?.ok_or(CoreError::NotFound("api_token"))?;
    if ctx.self_service()?.user_id != token.user_id {
        ctx.authorize(ObjectType::User, Action::Update)?;
        judge_existing_account(core, ctx, token.user_id, AccountAction::ManageTokens).await?;
    }
    let mut tx = core.db.begin().await?;
    if !store::revoke_token(&mut tx, id, core.now_ms()).await? {
        return Err(CoreError::Conflict("token_already_revoked"));
    }
    audit::write(core, &mut tx, ctx, Change::new("api_token", id, "revoke").before(&token)).await?;
    core.commit(tx).await?;
    core.tokens.clear();
    Ok(())
}

// ---- passwords ----

/// Checks a new password against the policy and the user's recent passwords.
async fn vet_new_password(core: &Core, user: UserId, username: &str, password: &str) -> Result<String> {
    let policy = core.config.password_policy();
    let mut reused = false;
    for old in users::password_history(&core.db.read, user, policy.history as i64).await? {
        if verify_password(password.to_string(), old).await {
            reused = true;
            break;
        }
    }
    crate::crypto::check_password(&policy, password, username, reused)?;
    hash_password(password.to_string()).await
}

/// Re-authentication inside a session: the current password, with guesses counted and held
/// back like sign-in failures (a stolen session cannot try passwords without limit).
async fn verify_current_password(core: &Core, ctx: &Ctx, field: &str, current: &str) -> Result<()> {
    const WINDOW_MS: i64 = 3_600_000;
    let me = ctx.in_session()?;
    let key = format!("pw:{}", me.user_id.0);
    let now = core.now_ms();
    if let Some(until) = throttle::blocked_until(&core.db.read, std::slice::from_ref(&key), now).await? {
        return Err(CoreError::too_many_attempts(until, now));
    }
    let creds = users::credentials(&core.db.read, me.user_id).await?.ok_or(CoreError::Unauthenticated)?;
    let ok = match creds.password_hash {
        Some(h) => verify_password(current.to_string(), h).await,
        None => false,
    };
    let mut tx = core.db.begin().await?;
    if ok {
        throttle::clear(&mut tx, std::slice::from_ref(&key)).await?;
        core.commit(tx).await?;
        return Ok(());
    }
    let failures = throttle::record_failure(&mut tx, &key, now, WINDOW_MS).await?;
    let hold = core.config.lockout.hold_after(ThrottleKind::CurrentPassword, u32::try_from(failures).unwrap_or(u32::MAX));
    if let Some(hold) = hold {
        throttle::block(&mut tx, &key, now + hold * 1000).await?;
    }
    let change = Change::new("user", me.user_id, "reauth_failed").after(&serde_json::json!({ "failures": failures }));
    audit::write(core, &mut tx, ctx, change).await?;
    core.commit(tx).await?;
    Err(match hold {
        Some(hold) => CoreError::too_many_attempts(now + hold * 1000, now),
        None => DomainError::field(field, "wrong_password").into(),
    })
}

/// The signed-in user changes their own password; every other session ends.
pub async fn change_password(core: &Core, ctx: &Ctx, current_session: Option<&str>, current: &str, new: &str) -> Result<()> {
    verify_current_password(core, ctx, "current_password", current).await?;
    let me = ctx.me()?;
    let hash = vet_new_password(core, me.user_id, &me.username, new).await?;
    let mut tx = core.db.begin().await?;
    users::set_password(&mut tx, me.user_id, &hash, false, core.now_ms()).await?;
    let ended = store::delete_user_sessions_except(&mut tx, me.user_id, current_session.map(sha256_hex).as_deref()).await?;
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("user", me.user_id, "password_change").after(&serde_json::json!({ "other_sessions_ended": ended })),
    )
    .await?;
    emit(core, &mut tx, ctx, Event::new(EventType::PasswordChanged, "user", me.user_id).about(me.user_id)).await?;
    core.commit(tx).await
}

/// An administrator sets a temporary password (generated), to be changed at next sign-in.
pub async fn reset_password(core: &Core, ctx: &Ctx, user: UserId) -> Result<String> {
    ctx.authorize(ObjectType::User, Action::Update)?;
    let target = users::get_user(&core.db.read, user).await?.ok_or(CoreError::NotFound("user"))?;
    judge_existing_account(core, ctx, user, AccountAction::ResetPassword).await?;
    let temporary = crate::seed::generate_password()?;
    let hash = hash_password(temporary.clone()).await?;
    let mut tx = core.db.begin().await?;
    users::set_password(&mut tx, user, &hash, true, core.now_ms()).await?;
    users::lock_until(&mut tx, user, None).await?;
    store::delete_user_sessions(&mut tx, user).await?;
    audit::write(
        core,
        &mut tx,
        ctx,
        Change::new("user", user, "password_reset").after(&serde_json::json!({ "username": target.username })),
    )
    .await?;
    emit(
        core,
        &mut tx,
        ctx,
        Event::new(EventType::PasswordChanged, "user", user).about(user).with(serde_json::json!({ "by_admin": true })),
    )
    .await?;
    core.commit(tx).await?;
    Ok(temporary)
}

// ---- TOTP ----

#[derive(Debug, Clone, Serialize)]
pub struct TotpEnrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// Starts enrolment: a new secret, not yet in force until a code confirms it. Only in a
/// session, after the current password again.
pub async fn begin_totp(core: &Core, ctx: &Ctx, password: &str) -> Result<TotpEnrolment> {
    verify_current_password(core, ctx, "password", password).await?;
    let me = ctx.me()?;
    let creds = users::credentials(&core.db.read, me.user_id).await?.ok_or(CoreError::Unauthenticated)?;
    if creds.totp_enabled {
        return Err(CoreError::Conflict("totp_already_enabled"));
    }
    let secret = crate::totp::base32_encode(&crate::crypto::random_bytes::<20>()?);
    let mut conn = core.db.writer().await?;
    users::set_totp(&mut conn, me.user_id, Some(&secret), false).await?;
    let uri = crate::totp::provisioning_uri(&secret, "Yunwei", &me.username);
    Ok(TotpEnrolment { qr_svg: crate::totp::qr_svg(&uri), otpauth_uri: uri, secret })
}

/// Confirms enrolment with a code; returns the recovery codes, shown once.
pub async fn confirm_totp(core: &Core, ctx: &Ctx, code: &str) -> Result<Vec<String>> {
    let me = ctx.in_session()?;
    let creds = users::credentials(&core.db.read, me.user_id).await?.ok_or(CoreError::Unauthenticated)?;
    let secret = creds.totp_secret.as_deref().and_then(crate::totp::base32_decode).ok_or(CoreError::Conflict("totp_not_started"))?;
    if creds.totp_enabled {
        return Err(CoreError::Conflict("totp_already_enabled"));
    }
    let step = crate::totp::matching_step(&secret, code, core.now_ms()).ok_or(CoreError::BadSecondFactor)?;
    let mut codes = Vec::new();
    for _ in 0..RECOVERY_CODES {
        codes.push(random_secret::<5>()?);
    }
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
    let mut tx = core.db.begin().await?;
    users::set_totp(&mut tx, me.user_id, creds.totp_secret.as_deref(), true).await?;
    users::use_totp_step(&mut tx, me.user_id, step).await?;
    store::replace_recovery_codes(&mut tx, me.user_id, &hashes).await?;
    audit::write(core, &mut tx, ctx, Change::new("user", me.user_id, "totp_enable")).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::TotpEnabled, "user", me.user_id).about(me.user_id)).await?;
    core.commit(tx).await?;
    Ok(codes.iter().map(|c| format!("{}-{}", &c[..5], &c[5..])).collect())
}

/// Turns TOTP off: the user with a current code, or an administrator (`user:update`) for a lost device.
pub async fn disable_totp(core: &Core, ctx: &Ctx, user: UserId, code: Option<&str>) -> Result<()> {
    let me = ctx.me()?;
    if me.user_id == user {
        ctx.in_session()?;
        let code = code.ok_or_else(|| DomainError::field("code", "required"))?;
        if !check_second_factor(core, user, code).await? {
            return Err(CoreError::BadSecondFactor);
        }
    } else {
        ctx.authorize(ObjectType::User, Action::Update)?;
        judge_existing_account(core, ctx, user, AccountAction::ResetSecondFactor).await?;
    }
    let mut tx = core.db.begin().await?;
    users::set_totp(&mut tx, user, None, false).await?;
    store::replace_recovery_codes(&mut tx, user, &[]).await?;
    audit::write(core, &mut tx, ctx, Change::new("user", user, "totp_disable")).await?;
    emit(core, &mut tx, ctx, Event::new(EventType::TotpDisabled, "user", user).about(user)).await?;
    core.commit(tx).await
}

/// Removes sessions past their lifetime (a scheduled job).
pub async fn purge_sessions(core: &Core) -> Result<u64> {
    let now = core.now_ms();
    let p = core.config.session;
    Ok(store::purge_sessions(&mut *core.db.writer().await?, now - p.idle_seconds * 1000, now - p.absolute_seconds * 1000).await?)
}
