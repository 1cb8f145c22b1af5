//! Settings documents: one JSON document per process under its key (`desk`, `survey`,
//! `change`, `problem`), read with the defaults until an administrator saves one, and saved in
//! one commit with the audit entry that says what changed.

use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The document stored under `key`, or the defaults when none was saved.
pub(crate) async fn stored<T: DeserializeOwned + Default>(core: &Core, key: &str) -> Result<T> {
    match yunwei_store::settings::get(&core.db.read, key).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| CoreError::Internal(format!("{key} settings: {e}"))),
        None => Ok(T::default()),
    }
}

/// Saves `after` under `key`, audited as a change from `before`.
/// Not authorised here: each process's `put_settings` asks for `setting:update` and validates.
pub(crate) async fn save<T: Serialize>(core: &Core, ctx: &Ctx, key: &str, before: &T, after: &T) -> Result<()> {
    let text = serde_json::to_string(after).map_err(|e| CoreError::Internal(e.to_string()))?;
    let mut tx = core.db.begin().await?;
    yunwei_store::settings::put(&mut tx, key, &text, core.now_ms()).await?;
    audit::write(core, &mut tx, ctx, Change::new("setting", key, "update").before(before).after(after)).await?;
    core.commit(tx).await?;
    Ok(())
}
