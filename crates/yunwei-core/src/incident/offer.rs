//! What a reader may do on an incident they have loaded, for pages that offer only the
//! buttons and forms that will not be refused. The same policy the commands ask (ADR 0014).

use super::IncidentView;
use crate::Ctx;
use yunwei_domain::ids::UserId;
use yunwei_domain::permission::Action;
use yunwei_domain::policy::{self, Holders};

fn holders(v: &IncidentView) -> Holders {
    Holders {
        owners: [v.requester_id, v.reporter_id, v.assignee_id].into_iter().flatten().collect(),
        team: v.team_id,
        department: v.department_id,
        ..Holders::default()
    }
}

/// Would the incident policy let the caller do `action` on this incident?
pub fn may(ctx: &Ctx, action: Action, v: &IncidentView) -> bool {
    ctx.decide(&policy::INCIDENT, action, &holders(v)).is_ok()
}

/// May the caller add files: those who may update it, and its requester or reporter (as
/// `ticket::attach` decides). Not authorised here: it only asks the policy, through `may`.
pub fn may_attach(ctx: &Ctx, v: &IncidentView) -> bool {
    let me = ctx.actor_id().map(UserId);
    may(ctx, Action::Update, v) || (me.is_some() && (v.requester_id == me || v.reporter_id == me) && may(ctx, Action::Read, v))
}

/// The incidents among `ids` the caller may read (a page's parent and children), in order;
/// the others are left out, so their titles stay hidden.
pub async fn linked(core: &crate::Core, ctx: &Ctx, ids: &[yunwei_domain::ids::IncidentId]) -> crate::Result<Vec<IncidentView>> {
    let mut rd = core.db.read.acquire().await?;
    let mut out = Vec::new();
    for id in ids {
        match super::load_read(&mut rd, ctx, *id, Action::Read).await {
            Ok(i) => out.push(super::view(&i)?),
            Err(crate::CoreError::NotFound(_) | crate::CoreError::Forbidden(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
