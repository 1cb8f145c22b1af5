//! Expiry reminders (到期提醒): a licence `remind_days` before its end date, an asset's
//! warranty [`WARRANTY_REMIND_DAYS`] before it ends. Run by the leased scheduler (job
//! `asset.reminders`); each reminder is recorded once per record and date in the same commit
//! as its outbox event, so two nodes or a rerun never send it twice.

use crate::notify::{Event, emit};
use crate::{Core, Ctx, Result};
use yunwei_domain::asset::licence as rules;
use yunwei_domain::event::EventType;
use yunwei_domain::ids::UserId;
use yunwei_store::asset::licence as store;

/// How long before a warranty ends its asset's people hear of it.
pub const WARRANTY_REMIND_DAYS: i64 = 30;
/// The longest `remind_days` a licence may have (the window searched).
const WINDOW_DAYS: i64 = 365;
/// Who hears of a record nobody is responsible for.
const FALLBACK_ROLE: &str = "ops_manager";

/// The responsible person; for a record without one, the operations managers (whoever
/// registered it may have moved on).
async fn recipients(tx: &mut yunwei_store::Tx, responsible: Option<UserId>) -> Result<Vec<UserId>> {
    Ok(match responsible {
        Some(u) => vec![u],
        None => yunwei_store::admin::role_holders(&mut **tx, FALLBACK_ROLE).await?,
    })
}

/// Sends what is due today; returns how many reminders went out.
pub async fn send_due(core: &Core) -> Result<usize> {
    let today = super::today(core);
    let now = core.now_ms();
    let ctx = Ctx::system();
    let horizon = today.checked_add(jiff::Span::new().days(WINDOW_DAYS)).unwrap_or(today).to_string();
    let mut sent = 0;
    let mut tx = core.db.begin().await?;
    for l in store::ending_between(&mut *tx, &today.to_string(), &horizon, 500).await? {
        let Some(end) = l.end_date.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok()) else { continue };
        if !rules::reminder_due(end, l.remind_days, today)
            || !store::mark_reminded(&mut tx, "licence_expiry", l.id.0, &end.to_string(), now).await?
        {
            continue;
        }
        let to = recipients(&mut tx, l.responsible_id).await?;
        let data = serde_json::json!({
            "id": l.id, "number": l.product, "title": l.vendor, "product": l.product, "vendor": l.vendor, "kind": l.kind,
            "end_date": end.to_string(), "days_left": rules::days_left(end, today), "recipients": to,
            "path": format!("/assets/licences/{}", l.id),
        });
        emit(core, &mut tx, &ctx, Event::new(EventType::LicenceExpiring, "licence", l.id).with(data)).await?;
        sent += 1;
    }
    let until = today.checked_add(jiff::Span::new().days(WARRANTY_REMIND_DAYS)).unwrap_or(today).to_string();
    for a in yunwei_store::asset::warranty_ending_between(&mut *tx, &today.to_string(), &until, 500).await? {
        let Some(end) = a.warranty_end.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok()) else { continue };
        if !store::mark_reminded(&mut tx, "warranty_expiry", a.id.0, &end.to_string(), now).await? {
            continue;
        }
        let to = recipients(&mut tx, a.responsible_id).await?;
        let data = serde_json::json!({
            "id": a.id, "number": a.tag, "title": a.name, "tag": a.tag, "name": a.name, "warranty_end": end.to_string(),
            "days_left": rules::days_left(end, today), "recipients": to, "path": format!("/assets/{}", a.id),
        });
        emit(core, &mut tx, &ctx, Event::new(EventType::AssetWarrantyExpiring, "asset", a.id).with(data)).await?;
        sent += 1;
    }
    core.commit(tx).await?;
    Ok(sent)
}

/// Built-in notification templates of the reminders: (event, locale, subject, body).
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "licence.expiring",
        "zh-CN",
        "【软件许可到期提醒】{{ payload.product }} 将于 {{ payload.end_date }} 到期",
        "{{ user.display_name }}，您好：\n\n{{ payload.vendor }} {{ payload.product }} 的软件许可将于 {{ payload.end_date }} 到期（剩余 {{ payload.days_left }} 天）。请及时办理续约或停用。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "licence.expiring",
        "en",
        "[Licence expiry] {{ payload.product }} ends on {{ payload.end_date }}",
        "Hello {{ user.display_name }},\n\nThe {{ payload.vendor }} {{ payload.product }} licence ends on {{ payload.end_date }} ({{ payload.days_left }} days left). Renew it or plan its retirement.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "asset.warranty_expiring",
        "zh-CN",
        "【维保到期提醒】{{ payload.tag }} {{ payload.name }} 的维保将于 {{ payload.warranty_end }} 到期",
        "{{ user.display_name }}，您好：\n\n资产 {{ payload.tag }}（{{ payload.name }}）的维保将于 {{ payload.warranty_end }} 到期（剩余 {{ payload.days_left }} 天）。请及时续保或安排替换。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "asset.warranty_expiring",
        "en",
        "[Warranty expiry] {{ payload.tag }} {{ payload.name }}: warranty ends on {{ payload.warranty_end }}",
        "Hello {{ user.display_name }},\n\nThe warranty of asset {{ payload.tag }} ({{ payload.name }}) ends on {{ payload.warranty_end }} ({{ payload.days_left }} days left). Extend it or plan a replacement.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
];
