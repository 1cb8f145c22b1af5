//! Asset labels (资产标签): for each asset, a QR code of its address (`/assets/tag/<TAG>`,
//! which a phone opens and a stocktake scan reads back as the tag), with its tag and name as
//! text. The web lays them out as a printable A4 sheet.

use super::{AssetQuery, holders};
use crate::{Core, Ctx, Result};
use serde::Serialize;
use yunwei_domain::ids::AssetId;
use yunwei_domain::permission::Action;
use yunwei_domain::policy;

/// The most labels one sheet holds (about 20 A4 pages).
pub const MAX_LABELS: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub id: AssetId,
    pub tag: String,
    pub name: String,
    /// What the QR code holds.
    pub url: String,
    /// The QR code as SVG (trusted markup: made here, from the URL only).
    pub svg: String,
}

/// The address a label's QR code holds.
pub fn label_url(core: &Core, tag: &str) -> String {
    format!("{}/assets/tag/{tag}", core.config.public_url.trim_end_matches('/'))
}

fn label(core: &Core, id: AssetId, tag: &str, name: &str) -> Label {
    let url = label_url(core, tag);
    Label { id, tag: tag.to_string(), name: name.to_string(), svg: crate::totp::qr_svg(&url), url }
}

/// Labels of the chosen assets (`ids`, those the caller may read), or else of the assets the
/// list's filter finds; by tag, at most [`MAX_LABELS`].
pub async fn labels(core: &Core, ctx: &Ctx, ids: &[AssetId], filter: &AssetQuery) -> Result<Vec<Label>> {
    ctx.may_any(&policy::ASSET, Action::Read)?;
    let mut out = Vec::new();
    if !ids.is_empty() {
        let chosen: Vec<AssetId> = ids.iter().take(MAX_LABELS).copied().collect();
        for a in yunwei_store::asset::by_ids(&core.db.read, &chosen).await? {
            if ctx.decide(&policy::ASSET, Action::Read, &holders(&a)).is_ok() {
                out.push(label(core, a.id, &a.tag, &a.name));
            }
        }
        return Ok(out);
    }
    let mut q = filter.clone();
    q.limit = Some(200);
    loop {
        let page = super::list(core, ctx, &q).await?;
        out.extend(page.items.iter().map(|a| label(core, a.id, &a.tag, &a.name)));
        match page.next_cursor {
            Some(c) if out.len() < MAX_LABELS => q.cursor = Some(c),
            _ => break,
        }
    }
    out.truncate(MAX_LABELS);
    out.sort_by(|a, b| a.tag.cmp(&b.tag));
    Ok(out)
}
