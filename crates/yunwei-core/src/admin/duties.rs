//! Separation of duties in use: the duty an account holds, the matrix applied to a
//! command (refusals audited), and the four-eyes switch. The rules are pure, in
//! `yunwei_domain::admin::duties`.

use crate::audit::{self, Change};
use crate::context::Via;
use crate::{Core, Ctx, Result};
use yunwei_domain::DomainError;
use yunwei_domain::admin::AdminDuty;
use yunwei_domain::admin::duties::{AccountAction, Decision, Party, Target, duty_of_account, duty_of_set, judge_account_action};
use yunwei_domain::ids::UserId;
use yunwei_store::admin::{self as store, Role};

/// The duty a role's permissions carry. A role saved before duties were checked may
/// span two: it counts as holding the first, so the protections still apply.
pub fn role_duty(role: &Role) -> Option<AdminDuty> {
    first_on_clash(duty_of_set(&role.permissions))
}

/// The duty an account's roles carry together (the first, if old data combines two).
pub fn roles_duty(roles: &[Role]) -> Option<AdminDuty> {
    first_on_clash(duty_of_account(roles.iter().map(role_duty)))
}

/// For protection, data that combines two duties counts as holding the first.
fn first_on_clash(duty: std::result::Result<Option<AdminDuty>, DomainError>) -> Option<AdminDuty> {
    match duty {
        Ok(duty) => duty,
        Err(DomainError::SeparationOfDuties(first, _)) => Some(first),
        Err(_) => None,
    }
}

pub async fn account_duty(conn: &mut yunwei_store::Conn, user: UserId) -> Result<Option<AdminDuty>> {
    Ok(roles_duty(&store::roles_of_user(&mut *conn, user).await?))
}

/// Who acts, or `None` for the server's command line: the audited break-glass that
/// whoever runs the server holds anyway.
pub fn party(ctx: &Ctx) -> Result<Option<Party>> {
    let me = ctx.me()?;
    Ok((me.via != Via::System).then_some(Party { user: me.user_id, duty: me.duty }))
}

/// Applies the matrix to one account action; a refusal is audited before it is returned.
pub(crate) async fn judge_account(core: &Core, ctx: &Ctx, target: Target, action: AccountAction) -> Result<Decision> {
    let Some(actor) = party(ctx)? else { return Ok(Decision::Allowed) };
    match judge_account_action(&actor, &target, action, core.config.four_eyes) {
        Ok(d) => Ok(d),
        Err(e) => Err(refused(core, ctx, "user", target.user.0, action.as_str(), e).await),
    }
}

/// Writes an audit entry for a refused sensitive operation and hands the error back.
pub(crate) async fn refused(core: &Core, ctx: &Ctx, object_type: &str, object_id: i64, action: &str, e: DomainError) -> crate::CoreError {
    let change = Change::new(object_type, object_id, "refused").after(&serde_json::json!({ "action": action, "code": e.code() }));
    let written = async {
        let mut tx = core.db.begin().await?;
        audit::write(core, &mut tx, ctx, change).await?;
        core.commit(tx).await
    }
    .await;
    if let Err(w) = written {
        tracing::warn!(error = %w, "could not audit a refusal");
    }
    e.into()
}

/// [`judge_account`] for an action that leaves the account's duty as it is.
pub(crate) async fn judge_existing_account(core: &Core, ctx: &Ctx, user: UserId, action: AccountAction) -> Result<Decision> {
    let mut conn = core.db.read.acquire().await?;
    let duty = account_duty(&mut conn, user).await?;
    drop(conn);
    judge_account(core, ctx, Target { user, duty_before: duty, duty_after: duty }, action).await
}
