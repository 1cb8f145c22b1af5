//! Files on any ticket: the same record scope as the ticket for reading, and for adding
//! the rights of a public reply (the requester may add files to their own ticket).

use super::{Ticket, for_kind};
use crate::audit::{self, Change};
use crate::{Core, CoreError, Ctx, Result};
use sha2::{Digest, Sha256};
use yunwei_domain::ticket::TicketKind;
use yunwei_store::attachment::{self as store, AttachmentMeta, NewAttachment};

/// Largest attachment accepted (the mailbox limit for mail in is 10 MiB per message).
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// A file name safe to store and to offer for download: no path, no control
/// characters, no quotes, no invisible formatting (`invoice\u{202E}gpj.exe` would
/// show as `invoiceexe.jpg`); at most 200 characters; never empty.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !yunwei_domain::validate::is_invisible_format(*c) && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?')
        })
        .take(200)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').to_string();
    if trimmed.is_empty() { "attachment".into() } else { trimmed }
}

/// A content type we will label the file with: a plain `type/subtype`, else octet-stream.
pub fn clean_content_type(ct: &str) -> String {
    let base = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let ok = base.len() <= 100 && base.split('/').count() == 2 && base.chars().all(|c| c.is_ascii_alphanumeric() || "/.+-".contains(c));
    if ok { base } else { "application/octet-stream".into() }
}

/// Stores a file on a ticket in the caller's transaction (attach, a request form's files, mail in).
pub(crate) async fn store_file(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    ctx: &Ctx,
    (kind, object_id): (&TicketKind, i64),
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<AttachmentMeta> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(yunwei_domain::DomainError::Validation(vec![
            yunwei_domain::FieldError::new("file", "too_large").with("max", MAX_ATTACHMENT_BYTES / 1024 / 1024),
        ])
        .into());
    }
    let name = clean_filename(filename);
    let ct = clean_content_type(content_type);
    let sha = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let a = NewAttachment { kind, object_id, filename: &name, content_type: &ct, sha256: &sha, content: bytes, created_by: ctx.actor_id() };
    let new_id = store::insert(tx, &a, core.now_ms()).await?;
    let meta = AttachmentMeta {
        id: new_id,
        object_type: kind.object_type.into(),
        object_id,
        filename: name,
        content_type: ct,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: sha,
        created_by: ctx.actor_id(),
        created_at: core.now_ms(),
    };
    audit::write(core, tx, ctx, Change::new(kind.object_type, object_id, "attach").after(&meta)).await?;
    Ok(meta)
}

/// A file to attach: its name and type as the client gave them (both cleaned on storing).
pub struct Upload<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Attaches a file to the ticket `id` of `kind`, if the caller may reply on it.
pub async fn attach(core: &Core, ctx: &Ctx, kind: &TicketKind, id: i64, file: Upload<'_>) -> Result<AttachmentMeta> {
    let mut tx = core.db.begin().await?;
    for_kind!(kind, T => {
        let t = T::load(core, &mut tx, ctx, id).await?;
        t.commenter(ctx, &mut tx, true).await?;
        let meta = store_file(core, &mut tx, ctx, (T::KIND, id), file.filename, file.content_type, file.bytes).await?;
        core.commit(tx).await?;
        Ok(meta)
    })
}

/// The files on the ticket `id` of `kind`, if the caller may read it.
pub async fn attachments(core: &Core, ctx: &Ctx, kind: &TicketKind, id: i64) -> Result<Vec<AttachmentMeta>> {
    let mut rd = core.db.read.acquire().await?;
    for_kind!(kind, T => {
        T::load_read(core, &mut rd, ctx, id).await?;
        Ok(store::list(&mut *rd, T::KIND, id).await?)
    })
}

/// One file's bytes, if it is on the ticket `id` of `kind` and the caller may read that.
pub async fn attachment(core: &Core, ctx: &Ctx, kind: &TicketKind, id: i64, attachment_id: i64) -> Result<(AttachmentMeta, Vec<u8>)> {
    let mut rd = core.db.read.acquire().await?;
    for_kind!(kind, T => {
        T::load_read(core, &mut rd, ctx, id).await?;
        let (meta, bytes) = store::get(&mut *rd, attachment_id).await?.ok_or(CoreError::NotFound("attachment"))?;
        if meta.object_type != T::KIND.object_type || meta.object_id != id {
            return Err(CoreError::NotFound("attachment"));
        }
        Ok((meta, bytes))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_are_cleaned() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\张三\\故障截图.png"), "故障截图.png");
        assert_eq!(clean_filename("a\"b<c>.txt\r\n"), "abc.txt");
        assert_eq!(clean_filename("..."), "attachment");
        assert_eq!(clean_filename("invoice\u{202E}gpj.exe"), "invoicegpj.exe");
        assert_eq!(clean_filename("\u{200B}\u{2066}.\u{FEFF}"), "attachment");
        assert_eq!(clean_content_type("image/PNG; name=x"), "image/png");
        assert_eq!(clean_content_type("text/html\r\nX-Evil: 1"), "application/octet-stream");
    }
}
