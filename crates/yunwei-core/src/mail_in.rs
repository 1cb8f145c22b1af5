//! Mail in (email-to-ticket): poll the service-desk mailbox; a new mail opens
//! an incident (address rules choose category, service, impact and urgency),
//! a reply carrying `[INC-000123]` (or our Message-ID in References) becomes a
//! public reply on that incident, attachments are kept, auto-replies, bounces
//! and our own mail are recorded but answered with nothing (no loops).
//! Every fetched mail is recorded before it is marked on the server, so a
//! crash between the two at worst fetches it again, and it is recognised.

use crate::incident::{self, NewIncident};
use crate::{Core, CoreError, Ctx, Result};
use serde::{Deserialize, Serialize};
use yunwei_connect::mail_in::{
    FetchedMail, ImapClient, ImapSettings, MailKind, ParsedMail, parse_mail, ticket_reference, ticket_reference_in_ids,
};
use yunwei_domain::ids::{CategoryId, IncidentId, ServiceId};
use yunwei_domain::incident::{ActivityKind, Channel, Level};
use yunwei_store::mail_in::{self as store, InboundMail, NewInboundMail};

/// `[mail_in]` in yunwei.toml.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailInSettings {
    pub imap: ImapSettings,
    /// How often to look for new mail.
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// Our own sending addresses: mail from them is never turned into tickets.
    #[serde(default)]
    pub own_addresses: Vec<String>,
    /// By the address a mail was sent to; the first rule that matches wins.
    #[serde(default)]
    pub rules: Vec<AddressRule>,
}

fn default_poll() -> u64 {
    60
}

/// What a mail to one address becomes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRule {
    /// e.g. `netops@bank.example`; compared case-insensitively with To and Cc.
    pub to: String,
    pub category_id: Option<CategoryId>,
    pub service_id: Option<ServiceId>,
    #[serde(default = "medium")]
    pub impact: Level,
    #[serde(default = "medium")]
    pub urgency: Level,
}

fn medium() -> Level {
    Level::Medium
}

/// What one poll did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PollReport {
    pub fetched: usize,
    pub incidents_created: usize,
    pub replies_added: usize,
    pub ignored: usize,
    pub failed: usize,
}

/// Fetches new mail once and handles it.
pub async fn poll_once(core: &Core) -> Result<PollReport> {
    let Some(settings) = core.config.mail_in.clone() else { return Ok(PollReport::default()) };
    let mut client = ImapClient::connect(&settings.imap).await.map_err(|e| CoreError::Internal(format!("mail in: {e}")))?;
    let mut report = PollReport::default();
    loop {
        let batch = client.fetch_new().await.map_err(|e| CoreError::Internal(format!("mail in: {e}")))?;
        if batch.is_empty() {
            break;
        }
        let mut done = Vec::new();
        let validity = batch[0].uid_validity();
        for mail in &batch {
            report.fetched += 1;
            match take_in(core, &settings, mail).await {
                Ok(status) => {
                    match status {
                        "incident_created" => report.incidents_created += 1,
                        "reply_added" => report.replies_added += 1,
                        "already_taken" => {}
                        _ => report.ignored += 1,
                    }
                    done.push(mail.uid());
                }
                // Not recorded, so not marked: it is fetched again next time.
                Err(e) => {
                    tracing::warn!(uid = mail.uid(), error = %e, "mail in: could not record a mail; will retry");
                    report.failed += 1;
                }
            }
        }
        client.mark_processed(validity, &done).await.map_err(|e| CoreError::Internal(format!("mail in: {e}")))?;
        if done.is_empty() {
            break;
        }
    }
    let _ = client.logout().await;
    Ok(report)
}

fn mailbox_of(settings: &MailInSettings) -> &str {
    &settings.imap.mailbox
}

/// Records one mail and acts on it; returns the status recorded.
async fn take_in(core: &Core, settings: &MailInSettings, mail: &FetchedMail) -> Result<&'static str> {
    let mailbox = mailbox_of(settings);
    let (validity, uid) = (i64::from(mail.uid_validity()), i64::from(mail.uid()));
    let parsed = mail.raw().map(parse_mail);
    let message_id = match &parsed {
        Some(Ok(p)) => p.message_id.clone(),
        _ => None,
    };
    if store::seen(&core.db.read, mailbox, validity, uid, message_id.as_deref()).await? {
        return Ok("already_taken");
    }
    let mut record = NewInboundMail {
        mailbox,
        uid_validity: validity,
        uid,
        message_id: message_id.as_deref(),
        from_address: None,
        subject: None,
        size: mail.size().and_then(|s| i64::try_from(s).ok()),
        status: "no_ticket",
        reason: None,
        incident_id: None,
        raw: mail.raw(),
    };
    let reason_text: String;
    let (subject, from);
    match (mail, &parsed) {
        (FetchedMail::Oversize { subject: s, from: f, .. }, _) => {
            record.status = "oversize";
            reason_text = format!("larger than {} bytes", settings.imap.max_message_bytes);
            record.reason = Some(&reason_text);
            record.subject = s.as_deref();
            record.from_address = f.as_deref();
            return record_only(core, &record).await;
        }
        (FetchedMail::Unreadable { reason, .. }, _) => {
            record.status = "unreadable";
            record.reason = Some(reason);
            return record_only(core, &record).await;
        }
        (_, Some(Err(malformed))) => {
            record.status = "malformed";
            reason_text = malformed.reason.clone();
            record.reason = Some(&reason_text);
            return record_only(core, &record).await;
        }
        (_, Some(Ok(p))) => {
            subject = p.subject.clone();
            from = p.from.address.to_ascii_lowercase();
        }
        (_, None) => return Err(CoreError::Internal("a fetched message without content".into())),
    }
    let Some(Ok(p)) = &parsed else { return Err(CoreError::Internal("unreachable".into())) };
    record.subject = Some(&subject);
    record.from_address = Some(&from);
    let own = settings.own_addresses.iter().any(|a| a.eq_ignore_ascii_case(&from));
    let ignored = match p.kind {
        _ if own => Some(("ignored_own", "sent by the service desk itself".to_string())),
        MailKind::AutoReply => Some(("ignored_auto_reply", p.kind_reason.clone().unwrap_or_default())),
        MailKind::Bounce => Some(("ignored_bounce", p.kind_reason.clone().unwrap_or_default())),
        MailKind::Normal => None,
    };
    if let Some((status, why)) = ignored {
        record.status = status;
        reason_text = why;
        record.reason = Some(&reason_text);
        return record_only(core, &record).await;
    }
    let sender = yunwei_store::admin::get_user_by_email(&core.db.read, &from).await?.filter(|u| !u.disabled);
    let ctx = mail_ctx(sender.as_ref());
    let reference = ticket_reference(&subject).or_else(|| ticket_reference_in_ids(&[p.in_reply_to.clone(), p.references.clone()].concat()));
    let existing = match reference {
        Some((prefix, n)) if prefix == "INC" => {
            let id = i64::try_from(n).unwrap_or(0);
            yunwei_store::incident::get(&core.db.read, IncidentId(id)).await?.map(|i| i.id)
        }
        _ => None,
    };
    let body = body_of(p);
    let (status, incident_id) = match existing {
        Some(id) => {
            incident::reply_from_mail(core, &ctx, id, &body, &from).await?;
            ("reply_added", id)
        }
        None => {
            let rule = rule_for(settings, p);
            // Invisible formatting goes before the emptiness check (the title rule drops it).
            let visible = yunwei_domain::validate::strip_invisible(&subject);
            let title: String = yunwei_connect::mail_in::strip_reply_prefixes(&visible).chars().take(incident::MAX_TITLE).collect();
            let input = NewIncident {
                title: if title.trim().is_empty() { format!("邮件报障 / Mail from {from}") } else { title },
                description: if body.trim().is_empty() {
                    "(空邮件 / empty mail)".into()
                } else {
                    body.chars().take(incident::MAX_TEXT).collect()
                },
                impact: rule.map_or(Level::Medium, |r| r.impact),
                urgency: rule.map_or(Level::Medium, |r| r.urgency),
                category_id: rule.and_then(|r| r.category_id),
                service_id: rule.and_then(|r| r.service_id),
                ci_ref: None,
                ci_id: None,
                channel: Some(Channel::Email),
                requester_id: sender.as_ref().map(|u| u.id),
                requester_name: if sender.is_none() {
                    Some(p.from.name.clone().unwrap_or_else(|| from.clone()).chars().take(100).collect())
                } else {
                    None
                },
                requester_contact: Some(from.chars().take(200).collect()),
                location: None,
                impact_scope: None,
                occurred_at: None,
                team_id: None,
                assignee_id: None,
                parent_id: None,
                watchers: Vec::new(),
            };
            let created = incident::create(core, &ctx, input).await?;
            ("incident_created", created.id)
        }
    };
    for a in &p.attachments {
        let mut tx = core.db.begin().await?;
        match crate::ticket::store_file(
            core,
            &mut tx,
            &ctx,
            (&yunwei_domain::ticket::INCIDENT, incident_id.0),
            &a.filename,
            &a.content_type,
            &a.content,
        )
        .await
        {
            Ok(_) => core.commit(tx).await?,
            Err(e) => tracing::warn!(incident = incident_id.0, file = %a.filename, error = %e, "mail in: attachment not kept"),
        }
    }
    record.status = status;
    record.incident_id = Some(incident_id.0);
    record_only(core, &record).await?;
    Ok(status)
}

async fn record_only(core: &Core, record: &NewInboundMail<'_>) -> Result<&'static str> {
    let mut tx = core.db.begin().await?;
    store::insert(&mut tx, record, core.now_ms()).await?;
    core.commit(tx).await?;
    Ok(match record.status {
        "incident_created" => "incident_created",
        "reply_added" => "reply_added",
        _ => "ignored",
    })
}

/// The first rule whose address the mail was sent (or copied) to.
fn rule_for<'a>(settings: &'a MailInSettings, p: &ParsedMail) -> Option<&'a AddressRule> {
    settings.rules.iter().find(|r| p.to.iter().chain(p.cc.iter()).any(|a| a.address.eq_ignore_ascii_case(&r.to)))
}

/// The reply text without the quoted history below it (the usual markers of mail clients).
fn body_of(p: &ParsedMail) -> String {
    let text = p.text.replace("\r\n", "\n");
    let mut kept = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let quote_header = t.starts_with("-----Original Message")
            || (t.starts_with('-') && t.contains("原始邮件"))
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with('在') && (t.ends_with("写道：") || t.ends_with("写道:")));
        if quote_header {
            break;
        }
        if !t.starts_with('>') {
            kept.push(line);
        }
    }
    kept.join("\n").trim().to_string()
}

/// Mail acts for the sender when we know them (so the timeline names them), else as the system.
fn mail_ctx(sender: Option<&yunwei_store::admin::User>) -> Ctx {
    let mut ctx = Ctx::system();
    ctx.meta = crate::RequestMeta { source_ip: "imap".into(), user_agent: "yunwei-mail-in".into() };
    if let (Some(actor), Some(user)) = (ctx.actor.as_mut(), sender) {
        actor.user_id = user.id;
        actor.username = user.username.clone();
        actor.display_name = user.display_name.clone();
        actor.via = crate::context::Via::MailIn;
    }
    ctx
}

/// Fetched mail may hold anything a sender wrote: the desk leads (who assign incidents) read it.
fn authorize_mail(ctx: &Ctx) -> Result<()> {
    ctx.authorize(yunwei_domain::permission::ObjectType::Incident, yunwei_domain::permission::Action::Assign)?;
    Ok(())
}

/// The record of fetched mail, for the desk to handle what did not become a ticket.
pub async fn list(core: &Core, ctx: &Ctx, status: Option<&str>) -> Result<Vec<InboundMail>> {
    authorize_mail(ctx)?;
    Ok(store::list(&core.db.read, status, 200).await?)
}

/// A poll on request (an administrator who does not want to wait for the schedule).
pub async fn poll_now(core: &Core, ctx: &Ctx) -> Result<PollReport> {
    authorize_mail(ctx)?;
    if core.config.mail_in.is_none() {
        return Err(CoreError::Conflict("mail_in_not_configured"));
    }
    poll_once(core).await
}

/// A mail's original bytes (`message/rfc822`).
pub async fn raw(core: &Core, ctx: &Ctx, id: i64) -> Result<Vec<u8>> {
    authorize_mail(ctx)?;
    store::raw(&core.db.read, id).await?.ok_or(CoreError::NotFound("mail"))
}

/// The mail reply a user sent, as a public reply on the incident.
pub(crate) fn reply_note(body: &str, from: &str) -> crate::incident::Note {
    crate::incident::Note {
        kind: ActivityKind::Reply,
        public: true,
        body: body.to_string(),
        data: serde_json::json!({ "via": "email", "from": from }),
    }
}
