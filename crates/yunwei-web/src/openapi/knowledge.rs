//! OpenAPI operations and schemas of the knowledge base: articles and their versions, the
//! review steps, suggestions while typing, votes, templates and drafts from incidents.

use super::frag::{CURSOR, LIMIT, Param, Tag, items_of, ns, page_of, s};
use super::{Op, obj};
use crate::api::knowledge as h;
use serde_json::{Value, json};

const KB: Tag = Tag("knowledge");

const TYPES: [&str; 8] =
    ["ops_manual", "system_doc", "fault_report", "maintenance_plan", "stage_report", "acceptance_report", "change_release", "security_doc"];

const LIST_Q: &[Param] = &[
    ("state", "string", "comma-separated: draft, review, published, retired (readers who do not write articles see published ones only)"),
    (
        "article_type",
        "string",
        "ops_manual, system_doc, fault_report, maintenance_plan, stage_report, acceptance_report, change_release or security_doc",
    ),
    ("visibility", "string", "public, internal or restricted"),
    ("category", "string", ""),
    ("tag", "string", "one tag"),
    ("author_id", "integer", ""),
    ("q", "string", "words of the published text (Chinese without spaces, or English), or part of a title"),
    ("expires_by", "string", "YYYY-MM-DD: only articles due for review by then"),
    LIMIT,
    CURSOR,
];

pub(super) fn ops() -> Vec<Op> {
    vec![
        KB.get("/api/v1/knowledge", h::list, "Articles the caller may read, newest first (requesters: public published ones; engineers: internal ones and their teams' restricted ones too)", "ArticlePage").query(LIST_Q),
        KB.create("/api/v1/knowledge", h::create, "Write a new article (version 1, a draft); a blank body starts from the type's template", "Article")
            .body("NewArticle", || json!({
                "article_type": "ops_manual", "title": "VPN 客户端无法连接的处理步骤", "body": "## 操作步骤\n\n1. 检查网络\n2. 重启客户端\n",
                "category": "网络", "tags": ["VPN", "远程办公"], "visibility": "public", "expires_on": "2027-06-30", "service_ids": [1], "ci_ids": []
            })),
        KB.get("/api/v1/knowledge/suggest", h::suggest, "Published articles the caller may read matching what is being typed (title or description), most helpful first", "KnowledgeSuggestionList")
            .query(&[("q", "string", "the text typed so far"), ("limit", "integer", "1–20, default 5")]),
        KB.get("/api/v1/knowledge/templates", h::templates, "The Markdown template of each article type, in the caller's language", "KnowledgeTemplateList"),
        KB.get("/api/v1/knowledge/from-incident/{id}", h::draft_from_incident, "A new article's fields prefilled from a resolved incident (nothing is saved; post them to create)", "NewArticle").errors(&[409]),
        KB.get("/api/v1/knowledge/{id}", h::get, "One article: the published version readers see, the version being worked (editors), links and the review steps the caller may take; counts a view", "Article"),
        KB.patch("/api/v1/knowledge/{id}", h::update, "Edit an article. Text edits on a published article start a new draft version; readers keep the published one until it is replaced", "Article")
            .body("ArticlePatch", || json!({ "version": 4, "body": "## 操作步骤\n\n1. 检查网络\n2. 重新安装客户端\n", "tags": ["VPN"] })).errors(&[409]),
        KB.post("/api/v1/knowledge/{id}/steps", h::act, "A review step: submit (author), publish or reject (knowledge:approve, never on one's own text; reject needs a note), retire (knowledge:transition)", "Article")
            .body("ArticleStep", || json!({ "action": "publish", "version": 5, "note": "步骤已核实" })).errors(&[409]),
        KB.get("/api/v1/knowledge/{id}/versions", h::versions, "The versions the caller may see, newest first", "ArticleVersionList"),
        KB.get("/api/v1/knowledge/{id}/versions/{n}", h::version, "One version with its text rendered to safe HTML", "ArticleVersion"),
        KB.get("/api/v1/knowledge/{id}/diff", h::diff, "Two versions side by side, line by line", "ArticleDiff")
            .query(&[("from", "integer", "the older version number (default: the one before to)"), ("to", "integer", "the newer version number (default: the newest the caller may see)")]),
        KB.post("/api/v1/knowledge/{id}/votes", h::vote, "Did this help? One answer per reader (a second replaces the first)", "Article")
            .body("ArticleVote", || json!({ "helpful": true })).errors(&[409]),
    ]
}

pub(super) fn schemas() -> Value {
    let state = json!({ "enum": ["draft", "review", "published", "retired"] });
    let vstate = json!({ "enum": ["draft", "review", "published", "superseded", "retired"] });
    let visibility = json!({ "enum": ["public", "internal", "restricted"] });
    let types = json!({ "enum": TYPES });
    let date = json!({ "type": ["string", "null"], "format": "date" });
    let version = json!({
        "id": s("integer"), "article_id": s("integer"), "number": s("integer"), "title": s("string"),
        "body": { "type": "string", "description": "Markdown as written" },
        "html": { "type": "string", "description": "the body rendered and sanitised (no scripts, event handlers or javascript: links)" },
        "state": vstate.clone(), "author_id": ns("integer"), "author_name": ns("string"), "reviewer_id": ns("integer"),
        "reviewer_name": ns("string"), "review_note": s("string"), "created_at": s("integer"), "updated_at": s("integer"), "decided_at": ns("integer")
    });
    let article = json!({
        "id": s("integer"), "article_type": types.clone(), "title": s("string"), "state": state.clone(), "category": s("string"),
        "tags": { "type": "array", "items": s("string") }, "visibility": visibility.clone(), "team_id": ns("integer"),
        "author_id": ns("integer"), "published_number": ns("integer"), "latest_number": s("integer"), "expires_on": date.clone(),
        "reminded_for": ns("string"), "views": s("integer"), "helpful": s("integer"), "unhelpful": s("integer"),
        "source_type": { "type": "string", "description": "incident when written from one (problem is reserved)" }, "source_id": ns("integer"),
        "created_at": s("integer"), "updated_at": s("integer"), "version": s("integer")
    });
    let mut full = article.clone();
    if let (Some(f), Value::Object(more)) = (
        full.as_object_mut(),
        json!({
            "author_name": ns("string"), "team_name": ns("string"),
            "published": { "oneOf": [{ "$ref": "#/components/schemas/ArticleVersion" }, { "type": "null" }] },
            "working": { "oneOf": [{ "$ref": "#/components/schemas/ArticleVersion" }, { "type": "null" }] },
            "links": { "type": "array", "items": obj(&["target_type", "target_id", "name"], json!({
                "target_type": { "enum": ["service", "ci"] }, "target_id": s("integer"), "name": s("string") })) },
            "actions": { "type": "array", "items": { "enum": ["submit", "publish", "reject", "retire"] } },
            "may_edit": s("boolean"), "my_vote": ns("boolean")
        }),
    ) {
        f.extend(more);
    }
    json!({
        "ArticleSummary": obj(&["id", "title", "state", "visibility", "version"], article),
        "ArticlePage": page_of("ArticleSummary"),
        "Article": obj(&["id", "title", "state", "visibility", "actions", "version"], full),
        "ArticleVersion": obj(&["number", "title", "body", "html", "state"], version),
        "ArticleVersionSummary": obj(&["number", "title", "state"], json!({
            "number": s("integer"), "title": s("string"), "state": vstate, "author_id": ns("integer"), "author_name": ns("string"),
            "reviewer_name": ns("string"), "review_note": s("string"), "created_at": s("integer"), "decided_at": ns("integer")
        })),
        "ArticleVersionList": items_of("ArticleVersionSummary"),
        "NewArticle": obj(&["article_type", "title"], json!({
            "article_type": types.clone(), "title": s("string"), "body": s("string"), "category": s("string"),
            "tags": { "type": "array", "items": s("string") }, "visibility": visibility.clone(),
            "team_id": { "type": ["integer", "null"], "description": "required when visibility is restricted" },
            "expires_on": date.clone(), "service_ids": { "type": "array", "items": s("integer") },
            "ci_ids": { "type": "array", "items": s("integer") }, "source_incident_id": ns("integer")
        })),
        "ArticlePatch": obj(&["version"], json!({
            "version": s("integer"), "article_type": types.clone(), "title": s("string"), "body": s("string"), "category": s("string"),
            "tags": { "type": "array", "items": s("string") }, "visibility": visibility, "team_id": ns("integer"), "expires_on": date,
            "service_ids": { "type": "array", "items": s("integer") }, "ci_ids": { "type": "array", "items": s("integer") }
        })),
        "ArticleStep": obj(&["action", "version"], json!({
            "action": { "enum": ["submit", "publish", "reject", "retire"] }, "version": s("integer"),
            "note": { "type": "string", "description": "the reviewer's comment; required to reject" }
        })),
        "ArticleVote": obj(&["helpful"], json!({ "helpful": s("boolean") })),
        "ArticleDiff": obj(&["from", "to", "rows"], json!({
            "article_id": s("integer"), "from": s("integer"), "to": s("integer"), "from_title": s("string"), "to_title": s("string"),
            "rows": { "type": "array", "items": obj(&["tag"], json!({
                "tag": { "enum": ["equal", "delete", "insert"] }, "left_no": ns("integer"), "left": ns("string"),
                "right_no": ns("integer"), "right": ns("string") })) }
        })),
        "KnowledgeSuggestion": obj(&["id", "title", "path"], json!({
            "id": s("integer"), "title": s("string"), "snippet": s("string"), "article_type": types.clone(),
            "helpful": s("integer"), "views": s("integer"), "path": s("string")
        })),
        "KnowledgeSuggestionList": items_of("KnowledgeSuggestion"),
        "KnowledgeTemplate": obj(&["article_type", "body"], json!({ "article_type": types, "body": s("string") })),
        "KnowledgeTemplateList": items_of("KnowledgeTemplate"),
    })
}
