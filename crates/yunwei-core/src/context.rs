//! Who is acting, from where, and what they may do.

use crate::{CoreError, Result};
use serde::Serialize;
use yunwei_domain::ids::UserId;
use yunwei_domain::permission::{Action, ActorPlace, ObjectType, PermissionSet, Scope};
use yunwei_domain::policy::{Decision, Holders, Policy};

/// How the actor proved who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Via {
    Session,
    ApiToken {
        token_id: i64,
    },
    /// The command line on the server itself (`yunwei user create` …).
    System,
    /// A mail the sender wrote to the service-desk mailbox.
    MailIn,
    /// A calendar application fetching a person's duty feed by its secret URL (read only).
    Feed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub locale: String,
    pub time_zone: String,
    #[serde(skip)]
    pub permissions: PermissionSet,
    #[serde(skip)]
    pub place: ActorPlace,
    /// An API token's scopes (`None` for a session): self-service honours them too.
    #[serde(skip)]
    pub token_scopes: Option<Vec<yunwei_domain::permission::TokenScope>>,
    /// The administrator duty the actor's roles carry (三权分立), if any.
    pub duty: Option<yunwei_domain::admin::AdminDuty>,
    pub via: Via,
    /// Until resolved, only self-service (profile, password, 2FA) is allowed.
    pub must_change_password: bool,
    pub must_enrol_totp: bool,
}

/// Source of a request, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub source_ip: String,
    pub user_agent: String,
}

/// Everything a use case needs about the caller.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Option<Actor>,
    pub meta: RequestMeta,
}

impl Ctx {
    pub fn anonymous(meta: RequestMeta) -> Self {
        Self { actor: None, meta }
    }

    /// The server's own command line: every permission, audited as `system`.
    pub fn system() -> Self {
        let all = yunwei_domain::permission::ObjectType::ALL
            .iter()
            .flat_map(|o| Action::ALL.iter().map(move |a| yunwei_domain::permission::Permission::new(*o, *a, Scope::All)))
            .collect();
        Self {
            actor: Some(Actor {
                user_id: UserId(0),
                username: "system".into(),
                display_name: "system".into(),
                locale: "en".into(),
                time_zone: "UTC".into(),
                permissions: PermissionSet::new(all),
                place: ActorPlace::default(),
                token_scopes: None,
                duty: None,
                via: Via::System,
                must_change_password: false,
                must_enrol_totp: false,
            }),
            meta: RequestMeta { source_ip: "local".into(), user_agent: "yunwei-cli".into() },
        }
    }

    /// The signed-in actor, whatever they still owe (self-service calls use this).
    pub fn me(&self) -> Result<&Actor> {
        self.actor.as_ref().ok_or(CoreError::Unauthenticated)
    }

    /// The actor changing their own account (language, notification settings, own tokens): a
    /// session, or a token whose scopes cover `user:update` — a leaked read-only token changes nothing.
    pub fn self_service(&self) -> Result<&Actor> {
        let actor = self.me()?;
        match &actor.token_scopes {
            Some(scopes) if !scopes.iter().any(|s| s.covers(ObjectType::User, Action::Update)) => {
                Err(CoreError::Forbidden("user:update".into()))
            }
            _ => Ok(actor),
        }
    }

    /// The actor signed in with a session: a password or a second factor is changed only by a
    /// person who just proved who they are, never through an API token.
    pub fn in_session(&self) -> Result<&Actor> {
        let actor = self.me()?;
        if actor.via == Via::Session { Ok(actor) } else { Err(CoreError::Forbidden("session".into())) }
    }

    /// The actor, if allowed to do `action` on `object` at all; returns the widest scope.
    pub fn authorize(&self, object: ObjectType, action: Action) -> Result<(&Actor, Scope)> {
        let actor = self.me()?;
        if actor.must_change_password {
            return Err(CoreError::PasswordChangeRequired);
        }
        if actor.must_enrol_totp {
            return Err(CoreError::TotpEnrolmentRequired);
        }
        let scope = actor.permissions.scope_for(object, action).ok_or_else(|| CoreError::Forbidden(format!("{object}:{action}")))?;
        Ok((actor, scope))
    }

    /// Asks a record's policy (`yunwei_domain::policy`) whether the caller may do `action` on a
    /// record held by `holders`. Loaders call this; use cases never see a record it refused.
    pub fn decide(&self, policy: &Policy, action: Action, holders: &Holders) -> Result<&Actor> {
        let actor = self.me()?;
        // A request's approvers read it without a grant, whatever else they still owe.
        if !(action == Action::Read && holders.readers.contains(&actor.user_id)) {
            self.authorize(policy.object, action)?;
        }
        match policy.decide(&actor.permissions, &actor.place, action, holders) {
            Decision::Allow => Ok(actor),
            Decision::NoGrant => Err(CoreError::Forbidden(format!("{}:{action}", policy.object))),
            Decision::OutOfScope(scope) => Err(CoreError::Forbidden(format!("{}:{action}:{scope}", policy.object))),
        }
    }

    /// The check a loader makes BEFORE looking a record up: the caller holds `action` on the
    /// type at some scope. Without it the answer is 403 whether or not the record exists, so
    /// ids reveal nothing to a caller who may see no record of the type.
    pub fn may_any(&self, policy: &Policy, action: Action) -> Result<Scope> {
        self.authorize(policy.object, action).map(|(_, scope)| scope)
    }

    pub fn actor_id(&self) -> Option<i64> {
        self.actor.as_ref().map(|a| a.user_id.0).filter(|id| *id > 0)
    }

    pub fn actor_name(&self) -> String {
        self.actor.as_ref().map(|a| a.username.clone()).unwrap_or_else(|| "anonymous".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yunwei_domain::ids::{TeamId, UserId};

    fn engineer() -> Ctx {
        let mut ctx = Ctx::system();
        if let Some(a) = ctx.actor.as_mut() {
            a.user_id = UserId(7);
            a.permissions = PermissionSet::new(vec!["incident:update:team".parse().unwrap()]);
            a.place = ActorPlace { user: UserId(7), teams: vec![TeamId(1)], department: None };
        }
        ctx
    }

    #[test]
    fn record_scope_is_checked() {
        let ctx = engineer();
        let mine = Holders { team: Some(TeamId(1)), ..Default::default() };
        let theirs = Holders { team: Some(TeamId(2)), ..Default::default() };
        assert!(ctx.decide(&yunwei_domain::policy::INCIDENT, Action::Update, &mine).is_ok());
        let refused = ctx.decide(&yunwei_domain::policy::INCIDENT, Action::Update, &theirs);
        assert!(matches!(refused, Err(CoreError::Forbidden(p)) if p == "incident:update:team"));
        assert!(
            matches!(ctx.may_any(&yunwei_domain::policy::INCIDENT, Action::Delete), Err(CoreError::Forbidden(p)) if p == "incident:delete")
        );
        assert!(matches!(ctx.authorize(ObjectType::Incident, Action::Delete), Err(CoreError::Forbidden(_))));
    }
}
