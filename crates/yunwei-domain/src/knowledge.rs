//! The knowledge base (知识库, SPEC KB): articles in versions that move draft → review →
//! published → retired, who may read them (public, internal, restricted to a team), the
//! article types of the seeds with their templates. Pure rules; the core applies them.

use crate::permission::{Action, Scope, string_enum};

string_enum!(
    /// Where one version of an article stands. Publishing a version supersedes the one
    /// published before it; retiring the article retires its published version.
    VersionState {
        Draft = "draft",
        Review = "review",
        Published = "published",
        Superseded = "superseded",
        Retired = "retired",
    }
);

string_enum!(
    /// A step on the version being worked (the newest one).
    KbAction {
        Submit = "submit",
        Publish = "publish",
        Reject = "reject",
        Retire = "retire",
    }
);

string_enum!(
    /// Who may read an article: requesters too (`public`), engineers (`internal`), or only
    /// the members of one team (`restricted`).
    Visibility {
        Public = "public",
        Internal = "internal",
        Restricted = "restricted",
    }
);

string_enum!(
    /// The document types the users' maintenance rules name (维护工作阶段报告, 故障诊断报告 …).
    ArticleType {
        OpsManual = "ops_manual",
        SystemDoc = "system_doc",
        FaultReport = "fault_report",
        MaintenancePlan = "maintenance_plan",
        StageReport = "stage_report",
        AcceptanceReport = "acceptance_report",
        ChangeRelease = "change_release",
        SecurityDoc = "security_doc",
    }
);

crate::permission::defaults!(VersionState = VersionState::Draft, Visibility = Visibility::Internal, ArticleType = ArticleType::OpsManual);

/// Where `action` takes the newest version in state `from`.
pub fn next(from: VersionState, action: KbAction) -> Option<VersionState> {
    use KbAction as A;
    use VersionState::*;
    Some(match (from, action) {
        (Draft, A::Submit) => Review,
        (Review, A::Publish) => Published,
        (Review, A::Reject) => Draft,
        (Published, A::Retire) => Retired,
        _ => return None,
    })
}

/// Submitting is the author's work (`knowledge:update`); publishing or sending back is a
/// review of someone else's text (`knowledge:approve`); retiring is `knowledge:transition`.
pub fn permission_for(action: KbAction) -> Action {
    match action {
        KbAction::Submit => Action::Update,
        KbAction::Publish | KbAction::Reject => Action::Approve,
        KbAction::Retire => Action::Transition,
    }
}

/// Reviews are a second person's: whoever wrote the version under review may not decide it.
pub fn needs_second_person(action: KbAction) -> bool {
    matches!(action, KbAction::Publish | KbAction::Reject)
}

/// May a reader whose widest `knowledge:read` scope is `scope` read an article of
/// `visibility`? `own` (what requesters hold) reaches public articles only; `team` and
/// `department` add internal ones and those restricted to a team the reader is in; `all`
/// reaches every article. The author always reads their own.
pub fn may_read(visibility: Visibility, scope: Option<Scope>, is_author: bool, in_team: bool) -> bool {
    let Some(scope) = scope else { return false };
    if is_author {
        return true;
    }
    match visibility {
        Visibility::Public => true,
        Visibility::Internal => scope >= Scope::Team,
        Visibility::Restricted => scope == Scope::All || (scope >= Scope::Team && in_team),
    }
}

/// The Markdown an article of `t` starts from, in the reader's language.
pub fn template(t: ArticleType, zh: bool) -> &'static str {
    use ArticleType::*;
    match (t, zh) {
        (OpsManual, true) => "## 适用范围\n\n## 前提条件\n\n## 操作步骤\n\n1. \n2. \n\n## 验证方法\n\n## 回退方法\n",
        (OpsManual, false) => "## Scope\n\n## Prerequisites\n\n## Steps\n\n1. \n2. \n\n## How to verify\n\n## How to roll back\n",
        (SystemDoc, true) => {
            "## 系统概述\n\n## 架构与部署\n\n| 组件 | 主机 | 说明 |\n| --- | --- | --- |\n|  |  |  |\n\n## 依赖与接口\n\n## 联系人\n"
        }
        (SystemDoc, false) => {
            "## Overview\n\n## Architecture and deployment\n\n| Component | Host | Notes |\n| --- | --- | --- |\n|  |  |  |\n\n## Dependencies and interfaces\n\n## Contacts\n"
        }
        (FaultReport, true) => "## 故障现象\n\n## 影响范围\n\n## 诊断过程\n\n## 根本原因\n\n## 处理措施\n\n## 预防建议\n",
        (FaultReport, false) => "## Symptoms\n\n## Impact\n\n## Diagnosis\n\n## Root cause\n\n## Fix\n\n## Prevention\n",
        (MaintenancePlan, true) => {
            "## 维护对象\n\n## 维护内容与周期\n\n| 项目 | 周期 | 责任人 |\n| --- | --- | --- |\n|  |  |  |\n\n## 风险与应急措施\n"
        }
        (MaintenancePlan, false) => {
            "## What is maintained\n\n## Tasks and intervals\n\n| Task | Interval | Owner |\n| --- | --- | --- |\n|  |  |  |\n\n## Risks and contingency\n"
        }
        (StageReport, true) => "## 报告期间\n\n## 完成的工作\n\n## 发现的问题\n\n## 下一阶段计划\n",
        (StageReport, false) => "## Period\n\n## Work done\n\n## Problems found\n\n## Plan for the next stage\n",
        (AcceptanceReport, true) => {
            "## 验收对象\n\n## 验收标准\n\n## 验收结果\n\n| 检查项 | 结果 | 备注 |\n| --- | --- | --- |\n|  |  |  |\n\n## 结论与签字\n"
        }
        (AcceptanceReport, false) => {
            "## What is accepted\n\n## Criteria\n\n## Results\n\n| Check | Result | Notes |\n| --- | --- | --- |\n|  |  |  |\n\n## Conclusion and sign-off\n"
        }
        (ChangeRelease, true) => "## 变更/发布内容\n\n## 实施步骤\n\n## 验证方法\n\n## 回滚方案\n\n## 影响的服务与配置项\n",
        (ChangeRelease, false) => {
            "## What changes or is released\n\n## Steps\n\n## How to verify\n\n## Rollback plan\n\n## Services and CIs affected\n"
        }
        (SecurityDoc, true) => "## 适用范围\n\n## 安全要求\n\n## 检查方法\n\n## 违规处理\n",
        (SecurityDoc, false) => "## Scope\n\n## Security requirements\n\n## How to check\n\n## When it is breached\n",
    }
}

/// Tags typed as `网络, VPN，交换机`: trimmed, deduplicated, at most 20 of 40 characters.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in text.split([',', '，', ';', '；']).map(str::trim).filter(|t| !t.is_empty()) {
        let t: String = t.chars().take(40).collect();
        if !out.contains(&t) && out.len() < 20 {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_move_through_review() {
        assert_eq!(next(VersionState::Draft, KbAction::Submit), Some(VersionState::Review));
        assert_eq!(next(VersionState::Review, KbAction::Publish), Some(VersionState::Published));
        assert_eq!(next(VersionState::Review, KbAction::Reject), Some(VersionState::Draft));
        assert_eq!(next(VersionState::Published, KbAction::Retire), Some(VersionState::Retired));
        assert_eq!(next(VersionState::Draft, KbAction::Publish), None, "nothing is published unreviewed");
        assert_eq!(next(VersionState::Retired, KbAction::Submit), None);
        assert!(needs_second_person(KbAction::Publish) && !needs_second_person(KbAction::Submit));
        assert_eq!(permission_for(KbAction::Publish), Action::Approve);
    }

    #[test]
    fn visibility_by_scope() {
        use Visibility::*;
        // A requester (`own`) reads public articles only.
        assert!(may_read(Public, Some(Scope::Own), false, false));
        assert!(!may_read(Internal, Some(Scope::Own), false, false));
        assert!(!may_read(Restricted, Some(Scope::Own), false, true));
        // An engineer (`team`) reads internal ones and their own team's restricted ones.
        assert!(may_read(Internal, Some(Scope::Team), false, false));
        assert!(may_read(Restricted, Some(Scope::Team), false, true));
        assert!(!may_read(Restricted, Some(Scope::Team), false, false));
        assert!(may_read(Restricted, Some(Scope::All), false, false));
        assert!(may_read(Restricted, Some(Scope::Own), true, false), "authors read their own");
        assert!(!may_read(Public, None, true, true));
    }

    #[test]
    fn every_type_has_a_template_in_both_languages() {
        for t in ArticleType::ALL {
            assert!(template(*t, true).starts_with("## ") && template(*t, false).starts_with("## "));
        }
        assert_eq!(parse_tags(" 网络, VPN，网络;;交换机 "), vec!["网络", "VPN", "交换机"]);
    }
}
