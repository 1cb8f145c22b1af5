//! Article text as readers see it (ADR 0026): Markdown rendered on the server with
//! pulldown-cmark, raw HTML in it shown as text, and the result passed through ammonia's
//! allow-list, so no stored text can run a script whatever was pasted. And the side-by-side
//! comparison of two versions, line by line (the `similar` crate).

use pulldown_cmark::{Event, Options, Parser, html};
use serde::Serialize;

/// Safe HTML for a Markdown text: tables, fenced code, task lists, strikethrough, images
/// (attachments by their relative address, or http/https).
pub fn to_html(markdown: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // Raw HTML is never markup here: it is shown as the text that was typed.
    let events = Parser::new_ext(markdown, opts).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, events);
    sanitize(&raw)
}

/// The allow-list: ammonia's defaults (no scripts, styles, event handlers, forms or frames;
/// links only to http, https and mailto, marked `noopener noreferrer`), plus `input` for the
/// check boxes of task lists, read-only.
fn sanitize(html: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("code", ["class"])
        .set_tag_attribute_value("input", "disabled", "")
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"));
    b.clean(html).to_string()
}

/// One row of a side-by-side comparison: `equal`, `delete` (left only), `insert` (right
/// only), with the line numbers on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffRow {
    pub tag: &'static str,
    pub left_no: Option<usize>,
    pub left: Option<String>,
    pub right_no: Option<usize>,
    pub right: Option<String>,
}

/// The rows comparing `old` and `new` line by line (Myers' algorithm, from `similar`).
pub fn diff_rows(old: &str, new: &str) -> Vec<DiffRow> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    diff.iter_all_changes()
        .map(|c| {
            let line = c.value().trim_end_matches(['\n', '\r']).to_string();
            match c.tag() {
                ChangeTag::Equal => DiffRow {
                    tag: "equal",
                    left_no: c.old_index().map(|i| i + 1),
                    left: Some(line.clone()),
                    right_no: c.new_index().map(|i| i + 1),
                    right: Some(line),
                },
                ChangeTag::Delete => {
                    DiffRow { tag: "delete", left_no: c.old_index().map(|i| i + 1), left: Some(line), right_no: None, right: None }
                }
                ChangeTag::Insert => {
                    DiffRow { tag: "insert", left_no: None, left: None, right_no: c.new_index().map(|i| i + 1), right: Some(line) }
                }
            }
        })
        .collect()
}

/// The first `max` characters of the text a Markdown body shows (for suggestions).
pub fn snippet(markdown: &str, max: usize) -> String {
    let mut out = String::new();
    for e in Parser::new(markdown) {
        if let Event::Text(t) | Event::Code(t) = e {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(t.trim());
            if out.chars().count() >= max {
                break;
            }
        }
    }
    out.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_tables_code_and_images() {
        let h = to_html(
            "# 标题\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n```sh\nsystemctl restart nginx\n```\n\n![拓扑](/api/v1/knowledge/1/attachments/2)\n",
        );
        assert!(h.contains("<table>") && h.contains("<td>1</td>"), "{h}");
        assert!(h.contains("<pre><code class=\"language-sh\">systemctl restart nginx"), "{h}");
        assert!(h.contains("<img src=\"/api/v1/knowledge/1/attachments/2\" alt=\"拓扑\">"), "{h}");
    }

    #[test]
    fn stored_xss_comes_out_inert() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[点我](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "![x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil\"></iframe>",
            "<svg onload=alert(1)>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<details open ontoggle=alert(1)>",
            "```\n</code><script>alert(1)</script>\n```",
        ] {
            let h = to_html(attack).to_lowercase();
            // Whatever was typed may stay as text; no element may carry it out.
            for tag in h.split('<').skip(1).map(|t| t.split('>').next().unwrap_or_default()) {
                let name = tag.split_whitespace().next().unwrap_or_default();
                assert!(!tag.split_whitespace().skip(1).any(|a| a.starts_with("on") || a.starts_with("style")), "{attack:?} → {h}");
                assert!(!tag.contains("javascript:") && !tag.contains("data:"), "{attack:?} → {h}");
                assert!(!["script", "iframe", "svg"].contains(&name), "{attack:?} → {h}");
            }
        }
        // Raw HTML is kept as the text that was typed.
        assert!(to_html("<b>粗体</b>").contains("&lt;b&gt;粗体&lt;/b&gt;"));
    }

    #[test]
    fn links_are_kept_safe_and_marked() {
        let h = to_html("[文档](https://example.com/a)");
        assert!(h.contains("href=\"https://example.com/a\"") && h.contains("rel=\"noopener noreferrer nofollow\""), "{h}");
    }

    #[test]
    fn diffs_pair_lines() {
        let rows = diff_rows("a\nb\nc\n", "a\nB\nc\nd\n");
        let tags: Vec<&str> = rows.iter().map(|r| r.tag).collect();
        assert_eq!(tags, ["equal", "delete", "insert", "equal", "insert"]);
        assert_eq!(rows[1].left.as_deref(), Some("b"));
        assert_eq!(rows[4].right_no, Some(4));
        assert_eq!(snippet("## 现象\n\nVPN 无法连接", 6), "现象 VPN");
    }
}
