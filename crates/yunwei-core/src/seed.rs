//! What every installation starts with: built-in roles, notification templates
//! and, on first start, the initial administrator.

use crate::audit::{self, Change};
use crate::{Core, Ctx, Result};
use yunwei_domain::admin::builtin_roles;
use yunwei_store::admin::{self as store, RoleFields, UserFields};
use yunwei_store::notify::{self as notify_store, Template};

/// Built-in notification templates: (event, locale, subject, body). Administrators
/// edit the stored copies; these are the fallback if an edit breaks.
const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "user.created",
        "zh-CN",
        "【运维平台】您的账号已开通",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 为您开通了运维平台账号 {{ user.username }}。\n请登录 {{ public_url }} 并按提示修改初始密码。\n",
    ),
    (
        "user.created",
        "en",
        "[Yunwei] Your account is ready",
        "Hello {{ user.display_name }},\n\n{{ actor }} created your Yunwei account {{ user.username }} at {{ time }}.\nSign in at {{ public_url }} and change the initial password when asked.\n",
    ),
    (
        "user.roles_changed",
        "zh-CN",
        "【运维平台】您的角色已变更",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 变更了您的角色，现为：{{ payload.roles_zh | join(\"、\") }}。\n如非预期，请联系安全管理员。\n",
    ),
    (
        "user.roles_changed",
        "en",
        "[Yunwei] Your roles changed",
        "Hello {{ user.display_name }},\n\n{{ actor }} changed your roles at {{ time }}. You now hold: {{ payload.roles_en | join(\", \") }}.\nIf you did not expect this, contact the security administrator.\n",
    ),
    (
        "account.locked",
        "zh-CN",
        "【运维平台】账号登录连续失败，已暂停来自该地址的登录",
        "{{ user.display_name }}，您好：\n\n您的账号 {{ user.username }} 从地址 {{ payload.source_ip }} 连续 {{ payload.failures }} 次登录失败，已于 {{ time }} 暂停来自该地址的登录 {{ payload.minutes }} 分钟；从其他地址登录不受影响。\n如非本人操作，说明有人在猜测您的密码，请立即联系安全管理员。\n",
    ),
    (
        "account.locked",
        "en",
        "[Yunwei] Failed sign-ins: your account is held back from one address",
        "Hello {{ user.display_name }},\n\nAfter {{ payload.failures }} failed sign-ins to your account {{ user.username }} from {{ payload.source_ip }}, sign-in from that address was held back at {{ time }} for {{ payload.minutes }} minutes; other addresses are not affected.\nIf this was not you, someone is guessing your password: contact the security administrator now.\n",
    ),
    (
        "password.changed",
        "zh-CN",
        "【运维平台】密码已修改",
        "{{ user.display_name }}，您好：\n\n您的账号 {{ user.username }} 的密码已于 {{ time }} 修改。\n如非本人操作，请立即联系安全管理员。\n",
    ),
    (
        "password.changed",
        "en",
        "[Yunwei] Password changed",
        "Hello {{ user.display_name }},\n\nThe password of your account {{ user.username }} was changed at {{ time }}.\nIf this was not you, contact the security administrator now.\n",
    ),
    (
        "api_token.created",
        "zh-CN",
        "【运维平台】新建了 API 令牌",
        "{{ user.display_name }}，您好：\n\n您的账号于 {{ time }} 新建了 API 令牌「{{ payload.name }}」（{{ payload.prefix }}…）。\n如非本人操作，请立即撤销该令牌并联系安全管理员。\n",
    ),
    (
        "api_token.created",
        "en",
        "[Yunwei] New API token",
        "Hello {{ user.display_name }},\n\nAn API token \"{{ payload.name }}\" ({{ payload.prefix }}…) was created for your account at {{ time }}.\nIf this was not you, revoke it and contact the security administrator now.\n",
    ),
    (
        "totp.enabled",
        "zh-CN",
        "【运维平台】已启用二次验证",
        "{{ user.display_name }}，您好：\n\n您的账号已于 {{ time }} 启用二次验证。请妥善保管恢复码。\n",
    ),
    (
        "totp.enabled",
        "en",
        "[Yunwei] Two-factor sign-in enabled",
        "Hello {{ user.display_name }},\n\nTwo-factor sign-in was enabled for your account at {{ time }}. Keep your recovery codes safe.\n",
    ),
    (
        "totp.disabled",
        "zh-CN",
        "【运维平台】已关闭二次验证",
        "{{ user.display_name }}，您好：\n\n您的账号已于 {{ time }} 关闭二次验证（操作人：{{ actor }}）。\n如非预期，请立即联系安全管理员。\n",
    ),
    (
        "totp.disabled",
        "en",
        "[Yunwei] Two-factor sign-in disabled",
        "Hello {{ user.display_name }},\n\nTwo-factor sign-in was disabled for your account at {{ time }} by {{ actor }}.\nIf you did not expect this, contact the security administrator now.\n",
    ),
    (
        "incident.created",
        "zh-CN",
        "【{{ payload.number }}】新事件：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 登记了事件 {{ payload.number }}（P{{ payload.priority }}）：{{ payload.title }}\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.created",
        "en",
        "[{{ payload.number }}] New incident: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} logged incident {{ payload.number }} (P{{ payload.priority }}) at {{ time }}: {{ payload.title }}\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.assigned",
        "zh-CN",
        "【{{ payload.number }}】事件已分派给您：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 将事件 {{ payload.number }}（P{{ payload.priority }}）分派给您或您的处理组：{{ payload.title }}\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.assigned",
        "en",
        "[{{ payload.number }}] Assigned to you: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} assigned incident {{ payload.number }} (P{{ payload.priority }}) to you or your team at {{ time }}: {{ payload.title }}\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.state_changed",
        "zh-CN",
        "【{{ payload.number }}】事件状态变更：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 将事件 {{ payload.number }} 的状态由 {{ payload.from }} 改为 {{ payload.to }}。\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.state_changed",
        "en",
        "[{{ payload.number }}] State changed: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} moved incident {{ payload.number }} from {{ payload.from }} to {{ payload.to }} at {{ time }}.\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.commented",
        "zh-CN",
        "【{{ payload.number }}】新回复：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 在事件 {{ payload.number }} 中写道：\n\n{{ payload.excerpt }}\n\n回复本邮件时请保留主题中的事件编号。\n",
    ),
    (
        "incident.commented",
        "en",
        "[{{ payload.number }}] New reply: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} wrote on incident {{ payload.number }} at {{ time }}:\n\n{{ payload.excerpt }}\n\nKeep the incident number in the subject when you reply.\n",
    ),
    (
        "incident.sla_warning",
        "zh-CN",
        "【{{ payload.number }}】SLA 预警（已用 {{ payload.percent }}%）：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n事件 {{ payload.number }}（P{{ payload.priority }}）的{% if payload.target == 'response' %}响应{% else %}解决{% endif %}时限已用去 {{ payload.percent }}%，请尽快处理。\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.sla_warning",
        "en",
        "[{{ payload.number }}] SLA warning ({{ payload.percent }}% used): {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ payload.percent }}% of the {{ payload.target }} target of incident {{ payload.number }} (P{{ payload.priority }}) is used. Please act soon.\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.sla_breached",
        "zh-CN",
        "【{{ payload.number }}】SLA 超时：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n事件 {{ payload.number }}（P{{ payload.priority }}）的{% if payload.target == 'response' %}响应{% else %}解决{% endif %}时限已超时。\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.sla_breached",
        "en",
        "[{{ payload.number }}] SLA breached: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nThe {{ payload.target }} target of incident {{ payload.number }} (P{{ payload.priority }}) is breached.\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_declared",
        "zh-CN",
        "【{{ payload.number }}】重大事件已宣布：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n事件 {{ payload.number }} 已于 {{ time }} 宣布为重大事件，启动应急响应。\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.major_declared",
        "en",
        "[{{ payload.number }}] Major incident declared: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nIncident {{ payload.number }} was declared a major incident at {{ time }}; emergency response has started.\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.escalated",
        "zh-CN",
        "【{{ payload.number }}】事件已升级：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 升级了事件 {{ payload.number }}（P{{ payload.priority }}）。原因：{{ payload.reason }}\n查看：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.escalated",
        "en",
        "[{{ payload.number }}] Incident escalated: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} escalated incident {{ payload.number }} (P{{ payload.priority }}) at {{ time }}. Reason: {{ payload.reason }}\nOpen: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.paged",
        "zh-CN",
        "【{{ payload.number }}】告警待响应（第 {{ payload.level }} 级）：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n事件 {{ payload.number }}（P{{ payload.priority }}）尚无人响应，按升级策略「{{ payload.policy }}」第 {{ payload.level }} 级（第 {{ payload.round }} 轮）通知您。\n请尽快确认：{{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "incident.paged",
        "en",
        "[{{ payload.number }}] Page (level {{ payload.level }}): {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nNobody has taken on incident {{ payload.number }} (P{{ payload.priority }}) yet; escalation policy \"{{ payload.policy }}\" pages you at level {{ payload.level }} (round {{ payload.round }}).\nPlease acknowledge: {{ public_url }}/incidents/{{ payload.number }}\n",
    ),
    (
        "survey.requested",
        "zh-CN",
        "【{{ payload.number }}】请评价本次服务：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n您的 {{ payload.number }}「{{ payload.title }}」已处理完毕。请花一分钟为本次服务打分（1–5 分），无需登录：\n{{ public_url }}{{ payload.path }}\n\n该链接只能提交一次，{{ payload.expires_on }} 前有效。感谢您的反馈！\n",
    ),
    (
        "survey.requested",
        "en",
        "[{{ payload.number }}] How did we do? {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ payload.number }} \"{{ payload.title }}\" has been resolved. Please take a minute to rate our service (1 to 5); no sign-in needed:\n{{ public_url }}{{ payload.path }}\n\nThe link can be used once, until {{ payload.expires_on }}. Thank you for your feedback!\n",
    ),
    (
        "survey.answered",
        "zh-CN",
        "【{{ payload.number }}】满意度评价 {{ payload.score }} 分：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ payload.requester }} 于 {{ time }} 对 {{ payload.number }}「{{ payload.title }}」的服务评价为 {{ payload.score }} 分（满分 5 分）。\n{% if payload.comment %}意见：{{ payload.comment }}\n{% endif %}查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "survey.answered",
        "en",
        "[{{ payload.number }}] Satisfaction {{ payload.score }}/5: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ payload.requester }} rated the service on {{ payload.number }} \"{{ payload.title }}\" {{ payload.score }} out of 5 at {{ time }}.\n{% if payload.comment %}Comment: {{ payload.comment }}\n{% endif %}Open: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "improvement.opened",
        "zh-CN",
        "【{{ payload.number }}】新的服务改进项：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{% if payload.source == 'survey' %}{{ payload.subject_ref }} 的满意度评价为 {{ payload.score }} 分，已自动登记服务改进项 {{ payload.number }}。{% else %}{{ actor }} 于 {{ time }} 登记了服务改进项 {{ payload.number }}。{% endif %}\n{% if payload.due_on %}完成期限：{{ payload.due_on }}\n{% endif %}请制定并落实改进措施：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "improvement.opened",
        "en",
        "[{{ payload.number }}] New improvement item: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{% if payload.source == 'survey' %}{{ payload.subject_ref }} was rated {{ payload.score }} out of 5, so improvement item {{ payload.number }} was opened.{% else %}{{ actor }} opened improvement item {{ payload.number }} at {{ time }}.{% endif %}\n{% if payload.due_on %}Due: {{ payload.due_on }}\n{% endif %}Please plan and carry out the measures: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.created",
        "zh-CN",
        "【{{ payload.number }}】新的变更申请：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 提交了变更申请 {{ payload.number }}「{{ payload.title }}」，您是实施人。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.created",
        "en",
        "[{{ payload.number }}] New change request: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} raised change request {{ payload.number }} \"{{ payload.title }}\" at {{ time }}; you are its implementer.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.commented",
        "zh-CN",
        "【{{ payload.number }}】变更有新的备注：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 在变更 {{ payload.number }}「{{ payload.title }}」上留言。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.commented",
        "en",
        "[{{ payload.number }}] New comment on change: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} commented on change {{ payload.number }} \"{{ payload.title }}\" at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.approval_requested",
        "zh-CN",
        "【{{ payload.number }}】待您审批的变更：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 提交变更 {{ payload.number }}「{{ payload.title }}」审批。\n请审阅变更方案、风险评估与回滚方案后审批：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.approval_requested",
        "en",
        "[{{ payload.number }}] Change awaiting your approval: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} submitted change {{ payload.number }} \"{{ payload.title }}\" for approval at {{ time }}.\nPlease review the plan, the risk assessment and the rollback plan, then decide: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.approved",
        "zh-CN",
        "【{{ payload.number }}】变更已批准：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n变更 {{ payload.number }}「{{ payload.title }}」已于 {{ time }} 获批准，请在批准的时间窗口内实施。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.approved",
        "en",
        "[{{ payload.number }}] Change approved: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\nChange {{ payload.number }} \"{{ payload.title }}\" was approved at {{ time }}. Implement it within the approved window.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.rejected",
        "zh-CN",
        "【{{ payload.number }}】变更被驳回：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 驳回了变更 {{ payload.number }}「{{ payload.title }}」。\n{% if payload.comment %}意见：{{ payload.comment }}\n{% endif %}查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.rejected",
        "en",
        "[{{ payload.number }}] Change rejected: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} rejected change {{ payload.number }} \"{{ payload.title }}\" at {{ time }}.\n{% if payload.comment %}Comment: {{ payload.comment }}\n{% endif %}Open: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.state_changed",
        "zh-CN",
        "【{{ payload.number }}】变更状态更新：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 更新了变更 {{ payload.number }}「{{ payload.title }}」的状态。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "change.state_changed",
        "en",
        "[{{ payload.number }}] Change updated: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} moved change {{ payload.number }} \"{{ payload.title }}\" on at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
];

/// The built-in templates of every process.
fn all_templates() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str, &'static str)> {
    TEMPLATES
        .iter()
        .chain(crate::request::TEMPLATES)
        .chain(crate::incident::major::TEMPLATES)
        .chain(crate::admin::grants::TEMPLATES)
        .chain(crate::asset::reminders::TEMPLATES)
        .chain(crate::problem::TEMPLATES)
        .chain(crate::knowledge::TEMPLATES)
}

pub fn default_template(event: &str, locale: &str) -> Option<(&'static str, &'static str)> {
    all_templates().find(|t| t.0 == event && t.1 == locale).map(|t| (t.2, t.3))
}

/// Seeds built-in roles and templates that are missing; edits are kept.
pub async fn builtin(core: &Core) -> Result<()> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    for r in builtin_roles() {
        // Usually empty: only permissions this installation's seeding has never given.
        let given = store::builtin_grants(&mut tx, r.key).await?;
        let new: Vec<_> = r.permissions.iter().filter(|p| !given.contains(&p.to_string())).copied().collect();
        if new.is_empty() {
            continue;
        }
        match store::get_role_by_key(&mut *tx, r.key).await? {
            None => {
                let fields = RoleFields {
                    key: r.key.into(),
                    name_en: r.name_en.into(),
                    name_zh: r.name_zh.into(),
                    description: String::new(),
                    duty: r.duty,
                    // The three administrator duties sign in with a second factor by default.
                    require_totp: r.duty.is_some(),
                    permissions: r.permissions.clone(),
                };
                store::insert_role(&mut tx, &fields, true, now).await?;
            }
            Some(role) => grant_new_permissions(core, &mut tx, role, &new, now).await?,
        }
        store::record_builtin_grants(&mut tx, r.key, &new).await?;
    }
    separate_duties(core, &mut tx, now).await?;
    for (event, locale, subject, body) in all_templates() {
        let t = Template {
            event_type: (*event).into(),
            locale: (*locale).into(),
            subject: (*subject).into(),
            body: (*body).into(),
            updated_at: now,
            updated_by: None,
        };
        notify_store::put_template(&mut tx, &t, true).await?;
    }
    seed_service_levels(&mut tx, now).await?;
    crate::request::seed_items(&mut tx, now).await?;
    tx.commit().await?;
    Ok(())
}

/// An upgrade gives a built-in role the permissions of features added since it was seeded
/// (`new`: never given before), keeping an administrator's removals and additions. Audited.
async fn grant_new_permissions(
    core: &Core,
    tx: &mut yunwei_store::Tx,
    role: store::Role,
    new: &[yunwei_domain::permission::Permission],
    now: i64,
) -> Result<()> {
    let added: Vec<_> = new.iter().filter(|p| !role.permissions.contains(p)).copied().collect();
    if added.is_empty() {
        return Ok(());
    }
    let mut permissions = role.permissions.clone();
    permissions.extend(added.iter().copied());
    permissions.sort();
    let fields = RoleFields {
        key: role.key.clone(),
        name_en: role.name_en.clone(),
        name_zh: role.name_zh.clone(),
        description: role.description.clone(),
        duty: role.duty,
        require_totp: role.require_totp,
        permissions,
    };
    store::update_role(&mut *tx, role.id, &fields, now).await?;
    let added: Vec<String> = added.iter().map(ToString::to_string).collect();
    let change = Change::new("role", role.id.0, "upgrade_grant").after(&serde_json::json!({ "key": role.key, "added": added }));
    audit::write(core, &mut *tx, &Ctx::system(), change).await?;
    Ok(())
}

/// Upgrades roles saved before duties were a property of permissions: a built-in duty role
/// loses permissions of another duty (the security administrator's old `user:update`), and
/// every role's recorded duty becomes the one its permissions carry. Audited.
async fn separate_duties(core: &Core, tx: &mut yunwei_store::Tx, now: i64) -> Result<()> {
    use yunwei_domain::admin::duties::{duty_of, duty_of_set};
    let declared: std::collections::HashMap<&str, _> = builtin_roles().into_iter().map(|r| (r.key, r.duty)).collect();
    for role in store::list_roles(&mut **tx).await? {
        let keep_duty = if role.builtin { declared.get(role.key.as_str()).copied().flatten() } else { None };
        let stray: Vec<_> =
            role.permissions.iter().filter(|p| keep_duty.is_some() && duty_of(p).is_some_and(|d| Some(d) != keep_duty)).copied().collect();
        let permissions: Vec<_> = role.permissions.iter().filter(|p| !stray.contains(p)).copied().collect();
        let duty = duty_of_set(&permissions).unwrap_or(None);
        if stray.is_empty() && duty == role.duty {
            continue;
        }
        let fields = RoleFields {
            key: role.key.clone(),
            name_en: role.name_en.clone(),
            name_zh: role.name_zh.clone(),
            description: role.description.clone(),
            duty,
            require_totp: role.require_totp,
            permissions,
        };
        store::update_role(&mut *tx, role.id, &fields, now).await?;
        let removed: Vec<String> = stray.iter().map(ToString::to_string).collect();
        let change = Change::new("role", role.id.0, "upgrade_separate_duties")
            .before(&serde_json::json!({ "duty": role.duty }))
            .after(&serde_json::json!({ "key": role.key, "duty": duty, "removed": removed }));
        audit::write(core, &mut *tx, &Ctx::system(), change).await?;
    }
    Ok(())
}

/// On a new installation: the mainland-China office calendar (with the shipped
/// public holidays and make-up working days) as the default, and a standard SLA
/// policy on it, so that deadlines are right from the first incident.
async fn seed_service_levels(tx: &mut yunwei_store::Conn, now: i64) -> Result<()> {
    use yunwei_store::sla as sla_store;
    if !sla_store::calendars(&mut *tx).await?.is_empty() || !sla_store::policies(&mut *tx).await?.is_empty() {
        return Ok(());
    }
    let spec = yunwei_calendar::CalendarSpec::china_office("Asia/Shanghai");
    let spec = serde_json::to_string(&spec).map_err(|e| crate::CoreError::Internal(e.to_string()))?;
    let calendar =
        sla_store::insert_calendar(tx, sla_store::Names { name: CHINA_CALENDAR_NAME, name_en: CHINA_CALENDAR_NAME_EN }, &spec, true, now)
            .await?;
    let rules = yunwei_domain::sla::SlaRules::standard();
    let policy = sla_store::PolicyFields {
        name: STANDARD_POLICY_NAME,
        name_en: STANDARD_POLICY_NAME_EN,
        service_id: None,
        department_id: None,
        calendar_id: Some(calendar),
        rules: &rules,
        active: true,
    };
    sla_store::insert_policy(tx, &policy, now).await?;
    Ok(())
}

pub const CHINA_CALENDAR_NAME: &str = "中国大陆工作日历";
pub const CHINA_CALENDAR_NAME_EN: &str = "China mainland office";
pub const STANDARD_POLICY_NAME: &str = "标准 SLA";
pub const STANDARD_POLICY_NAME_EN: &str = "Standard SLA";

/// Creates the initial administrator (role `system_admin`) if there are no users yet.
/// Returns the generated password when none was given, to be printed once.
pub async fn initial_admin(core: &Core, username: &str, password: Option<String>) -> Result<Option<String>> {
    if store::count_users(&core.db.read).await? > 0 {
        return Ok(None);
    }
    let generated = password.is_none();
    // A password given by environment variable has been seen by whoever set it up: it is
    // changed at the first sign-in like a generated one.
    let password = match password {
        Some(p) => p,
        None => generate_password()?,
    };
    crate::crypto::check_password(&core.config.password_policy(), &password, username, false)?;
    let hash = crate::crypto::hash_password(password.clone()).await?;
    let now = core.now_ms();
    let ctx = Ctx::system();
    let mut tx = core.db.begin().await?;
    let fields = UserFields {
        username: username.into(),
        display_name: "系统管理员".into(),
        locale: core.config.default_locale.clone(),
        time_zone: core.config.default_time_zone.clone(),
        ..Default::default()
    };
    let id = store::insert_user(&mut tx, &fields, Some(&hash), true, now).await?;
    let role = store::get_role_by_key(&mut *tx, "system_admin").await?.ok_or(crate::CoreError::NotFound("role"))?;
    store::set_user_roles(&mut tx, id, &[role.id]).await?;
    audit::write(
        core,
        &mut tx,
        &ctx,
        Change::new("user", id, "create")
            .after(&serde_json::json!({ "username": username, "roles": ["system_admin"], "initial_admin": true })),
    )
    .await?;
    core.commit(tx).await?;
    Ok(generated.then_some(password))
}

/// 20 characters from all four classes, for initial and reset passwords.
pub fn generate_password() -> Result<String> {
    const SETS: [&[u8]; 4] = [b"abcdefghijkmnpqrstuvwxyz", b"ABCDEFGHJKLMNPQRSTUVWXYZ", b"23456789", b"!#%+-=?@_"];
    let bytes = crate::crypto::random_bytes::<20>()?;
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let set = SETS[i % 4];
            set[*b as usize % set.len()] as char
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_notifying_event_has_both_templates_and_they_render() {
        use yunwei_domain::event::EventType;
        for e in EventType::ALL.iter().filter(|e| e.notifies_subject()) {
            for locale in crate::notify::LOCALES {
                let (s, b) = super::default_template(e.as_str(), locale).unwrap_or_else(|| panic!("{e} {locale}"));
                let ctx = serde_json::json!({"user": {"display_name": "张三", "username": "zs"}, "payload": {"roles_zh": ["甲"], "roles_en": ["a"], "name": "ci", "prefix": "yw_", "failures": 5, "minutes": 30}});
                assert!(!crate::notify::render(s, &ctx).unwrap().is_empty());
                assert!(crate::notify::render(b, &ctx).unwrap().contains("张三"));
            }
        }
    }

    #[test]
    fn every_record_event_has_both_templates_and_they_render() {
        use yunwei_domain::event::EventType;
        for e in EventType::ALL.iter().filter(|e| e.notifies_recipients()) {
            for locale in crate::notify::LOCALES {
                let (s, b) = super::default_template(e.as_str(), locale).unwrap_or_else(|| panic!("{e} {locale}"));
                let ctx = serde_json::json!({"user": {"display_name": "张三"}, "public_url": "https://yw.example", "payload": {"number": "INC-000001", "title": "网络丢包", "path": "/surveys/abc", "score": 2, "source": "survey", "subject_ref": "INC-000001"}});
                let subject = crate::notify::render(s, &ctx).unwrap();
                // A ticket's notice names its number; reminders about licences, assets and
                // articles name their own record (tag, product, title) instead.
                let about_a_ticket = ["incident.", "service_request.", "change.", "problem."].iter().any(|p| e.as_str().starts_with(p));
                assert!(!about_a_ticket || subject.contains("000001"), "{e} {locale}: {subject}");
                assert!(!subject.trim().is_empty(), "{e} {locale}");
                assert!(crate::notify::render(b, &ctx).unwrap().contains("张三"), "{e} {locale}");
            }
        }
    }

    #[test]
    fn generated_passwords_pass_both_profiles() {
        use yunwei_domain::auth::{PasswordPolicy, PasswordProfile};
        for _ in 0..20 {
            let p = super::generate_password().unwrap();
            assert!(crate::crypto::check_password(&PasswordPolicy::of(PasswordProfile::CnMlps), &p, "admin", false).is_ok(), "{p}");
            assert!(crate::crypto::check_password(&PasswordPolicy::of(PasswordProfile::Asvs), &p, "admin", false).is_ok(), "{p}");
        }
    }
}
