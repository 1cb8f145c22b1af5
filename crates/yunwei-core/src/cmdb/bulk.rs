//! Bulk edit of ticked CIs (CMDB-1): status, owner team, environment and tags. Each CI is
//! its own update (own transaction, checks, history row and audit entry), so one refusal
//! does not undo the others; the caller gets one result per CI.

use super::Channel;
use super::ci::{CiPatch, CiView, update};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_domain::FieldError;
use yunwei_domain::cmdb::{CiStatus, Environment};
use yunwei_domain::ids::{CiId, TeamId};
use yunwei_domain::permission::{Action, ObjectType};
use yunwei_domain::validate::Checker;

pub const MAX_BULK: usize = 200;

/// `POST /api/v1/cmdb/cis/bulk`: the CIs and what to set on each (absent: unchanged).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BulkCiInput {
    pub ids: Vec<CiId>,
    pub status: Option<CiStatus>,
    /// `null` clears the owner team.
    #[serde(default, deserialize_with = "crate::admin::patch")]
    pub owner_team_id: Option<Option<TeamId>>,
    pub environment: Option<Environment>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

impl BulkCiInput {
    fn changes_nothing(&self) -> bool {
        self.status.is_none()
            && self.owner_team_id.is_none()
            && self.environment.is_none()
            && self.add_tags.is_empty()
            && self.remove_tags.is_empty()
    }
}

pub async fn bulk_update(core: &Core, ctx: &Ctx, input: BulkCiInput, channel: Channel) -> Result<Vec<(CiId, Result<CiView>)>> {
    // Whoever may change no CI is refused as a whole, before any is tried.
    ctx.authorize(ObjectType::ConfigurationItem, Action::Update)?;
    let mut c = Checker::new();
    if input.ids.is_empty() {
        c.push(FieldError::new("ids", "required"));
    }
    if input.ids.len() > MAX_BULK {
        c.push(FieldError::new("ids", "too_long").with("max", MAX_BULK));
    }
    if input.changes_nothing() {
        c.push(FieldError::new("status", "required"));
    }
    c.finish()?;
    let mut ids = input.ids.clone();
    ids.sort();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let result = one(core, ctx, id, &input, channel).await;
        // A lost session or a broken store ends the batch; refusals are per CI.
        if let Err(e @ (CoreError::Store(_) | CoreError::Internal(_) | CoreError::Unauthenticated)) = result {
            return Err(e);
        }
        out.push((id, result));
    }
    Ok(out)
}

async fn one(core: &Core, ctx: &Ctx, id: CiId, input: &BulkCiInput, channel: Channel) -> Result<CiView> {
    // Read as the caller: a CI they may not see is "not found", like any other.
    let current = super::ci::get(core, ctx, id).await?;
    let tags = if input.add_tags.is_empty() && input.remove_tags.is_empty() {
        None
    } else {
        let mut tags: Vec<String> = current.ci.tags.iter().filter(|t| !input.remove_tags.contains(t)).cloned().collect();
        for t in &input.add_tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        Some(tags)
    };
    let patch = CiPatch {
        version: current.ci.version,
        status: input.status,
        owner_team_id: input.owner_team_id,
        environment: input.environment,
        tags,
        ..CiPatch::default()
    };
    update(core, ctx, id, patch, channel).await
}
