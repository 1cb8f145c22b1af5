//! `Idempotency-Key` for the web edge: the key is written by the command's own commit
//! (`yunwei_store::idempotency`); these read it back, store an answer and forget a failed one.

use crate::{Core, Result};
pub use yunwei_store::idempotency::{IdempotencyScope, StoredResponse, scoped};

/// The answer kept for this user's key, if any.
pub async fn find(core: &Core, user: i64, key: &str) -> Result<Option<StoredResponse>> {
    Ok(yunwei_store::idempotency::find(&core.db.read, user, key).await?)
}

/// Keeps the answer for replay.
pub async fn store(core: &Core, user: i64, key: &str, answer: &StoredResponse) -> Result<()> {
    let mut conn = core.db.writer().await?;
    Ok(yunwei_store::idempotency::store(&mut conn, user, key, answer, core.now_ms()).await?)
}

/// Forgets a key whose request failed (a refusal's audit entry may have written it).
pub async fn release(core: &Core, user: i64, key: &str) -> Result<()> {
    let mut conn = core.db.writer().await?;
    Ok(yunwei_store::idempotency::release(&mut conn, user, key).await?)
}
