//! The graph around one CI, drawn on the server as SVG (no script): levels by distance —
//! what its failure affects above, what it needs below — each CI a box coloured by its
//! state if the centre fails, linking to its page; relations labelled with their type,
//! pool memberships dashed, pools drawn with a double border.

use super::chart::xml;
use crate::i18n::Tr;
use std::collections::HashMap;
use yunwei_core::cmdb::neighbourhood::{GraphNode, Neighbourhood};
use yunwei_core::cmdb::pick;
use yunwei_domain::cmdb::impact::State;

const BOX_W: f64 = 150.0;
const BOX_H: f64 = 40.0;
const GAP_X: f64 = 24.0;
const ROW_H: f64 = 96.0;
const MARGIN: f64 = 16.0;
const LEGEND_H: f64 = 28.0;
/// Characters of a name shown in a box; the whole name is in its tooltip.
const NAME_CHARS: usize = 16;

fn colours(state: State) -> (&'static str, &'static str) {
    match state {
        State::Ok => ("#e3f9e5", "#2f8132"),
        State::Degraded => ("#fff3c4", "#b07d00"),
        State::Down => ("#ffe3e3", "#c53030"),
    }
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// The SVG (inside a scrolling container) for `n`, in the reader's language.
pub fn draw(tr: Tr, n: &Neighbourhood) -> String {
    let en = !tr.is_zh();
    let mut rows: Vec<i32> = n.nodes.iter().map(|g| g.level).chain(n.levels.iter().filter(|l| l.more > 0).map(|l| l.level)).collect();
    rows.sort();
    rows.dedup();
    let top = rows.first().copied().unwrap_or(0);
    let mut per_row: HashMap<i32, Vec<&GraphNode>> = HashMap::new();
    for g in &n.nodes {
        per_row.entry(g.level).or_default().push(g);
    }
    let more: HashMap<i32, usize> = n.levels.iter().map(|l| (l.level, l.more)).collect();
    let widest = rows
        .iter()
        .map(|r| per_row.get(r).map_or(0, Vec::len) + usize::from(more.get(r).copied().unwrap_or(0) > 0))
        .max()
        .unwrap_or(1)
        .max(1);
    let width = (MARGIN * 2.0 + widest as f64 * (BOX_W + GAP_X) - GAP_X).max(4.0 * (BOX_W + GAP_X));
    let height = MARGIN * 2.0 + LEGEND_H + rows.len().max(1) as f64 * ROW_H - (ROW_H - BOX_H);
    let y_of = |level: i32| MARGIN + LEGEND_H + f64::from(level - top) * ROW_H;
    let x_of = |i: usize, count: usize| {
        let used = count as f64 * (BOX_W + GAP_X) - GAP_X;
        (width - used) / 2.0 + i as f64 * (BOX_W + GAP_X)
    };
    let mut at: HashMap<i64, (f64, f64)> = HashMap::new();
    for r in &rows {
        let list = per_row.get(r).cloned().unwrap_or_default();
        let count = list.len() + usize::from(more.get(r).copied().unwrap_or(0) > 0);
        for (i, g) in list.iter().enumerate() {
            at.insert(g.id.0, (x_of(i, count), y_of(*r)));
        }
    }
    let title = tr.t("cmdb.graph.title");
    let mut svg = format!(
        "<div class=\"graph-scroll\"><svg class=\"cmdb-graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = xml(&title)
    );
    // Legend: the three states and what a dashed line means.
    let mut lx = MARGIN;
    for s in State::ALL {
        let (fill, stroke) = colours(s);
        let label = xml(&tr.t(&format!("cmdb.graph.state.{}", s.code())));
        svg.push_str(&format!(
            "<rect x=\"{lx:.0}\" y=\"{y:.0}\" width=\"14\" height=\"14\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
             <text x=\"{tx:.0}\" y=\"{ty:.0}\" font-size=\"12\" fill=\"#1f2933\">{label}</text>",
            y = MARGIN,
            tx = lx + 19.0,
            ty = MARGIN + 12.0
        ));
        lx += 24.0 + label.chars().count() as f64 * 12.0;
    }
    svg.push_str(&format!(
        "<line x1=\"{lx:.0}\" y1=\"{y:.0}\" x2=\"{x2:.0}\" y2=\"{y:.0}\" stroke=\"#52606d\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{tx:.0}\" y=\"{ty:.0}\" font-size=\"12\" fill=\"#1f2933\">{label}</text>",
        y = MARGIN + 7.0,
        x2 = lx + 22.0,
        tx = lx + 27.0,
        ty = MARGIN + 12.0,
        label = xml(&tr.t("cmdb.graph.pool"))
    ));
    // Edges under the boxes: from the bottom of the upper box to the top of the lower one.
    for e in &n.edges {
        let (Some(&(fx, fy)), Some(&(tx, ty))) = (at.get(&e.from.0), at.get(&e.to.0)) else { continue };
        let (x1, y1, x2, y2) = if fy <= ty {
            (fx + BOX_W / 2.0, fy + BOX_H, tx + BOX_W / 2.0, ty)
        } else {
            (fx + BOX_W / 2.0, fy, tx + BOX_W / 2.0, ty + BOX_H)
        };
        let dash = if e.pool { " stroke-dasharray=\"4 3\"" } else { "" };
        let label = xml(pick(&e.label, &e.label_en, en));
        svg.push_str(&format!(
            "<g class=\"edge\"><line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#7b8794\" stroke-width=\"1.5\"{dash}/>\
             <text x=\"{mx:.1}\" y=\"{my:.1}\" font-size=\"10\" fill=\"#52606d\" text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{label}</text></g>",
            mx = (x1 + x2) / 2.0,
            my = (y1 + y2) / 2.0 + 3.0,
        ));
    }
    for g in &n.nodes {
        let Some(&(x, y)) = at.get(&g.id.0) else { continue };
        let (fill, stroke) = colours(g.state);
        let name = pick(&g.name, &g.name_en, en);
        let class = pick(&g.class_name, &g.class_name_en, en);
        let stroke_w = if g.level == 0 { 3 } else { 1 };
        let state = tr.t(&format!("cmdb.graph.state.{}", g.state.code()));
        svg.push_str(&format!(
            "<a href=\"/cmdb/cis/{id}\" class=\"node state-{code}\"><title>{full}（{class}）：{state}</title>\
             <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"5\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{stroke_w}\"/>",
            id = g.id,
            code = g.state.code(),
            full = xml(name),
            class = xml(class),
            state = xml(&state),
        ));
        if g.pool {
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"none\" stroke=\"{stroke}\"/>",
                x + 3.0,
                y + 3.0,
                BOX_W - 6.0,
                BOX_H - 6.0
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{cx:.1}\" y=\"{ny:.1}\" font-size=\"12\" font-weight=\"600\" fill=\"#1f2933\" text-anchor=\"middle\">{name}</text>\
             <text x=\"{cx:.1}\" y=\"{cy:.1}\" font-size=\"10\" fill=\"#52606d\" text-anchor=\"middle\">{class}</text></a>",
            cx = x + BOX_W / 2.0,
            ny = y + 17.0,
            cy = y + 32.0,
            name = xml(&short(name, NAME_CHARS)),
            class = xml(&short(class, NAME_CHARS + 4)),
        ));
    }
    for r in &rows {
        let m = more.get(r).copied().unwrap_or(0);
        if m == 0 {
            continue;
        }
        let count = per_row.get(r).map_or(0, Vec::len) + 1;
        let x = x_of(count - 1, count);
        svg.push_str(&format!(
            "<text class=\"more\" x=\"{cx:.1}\" y=\"{cy:.1}\" font-size=\"12\" fill=\"#52606d\" text-anchor=\"middle\">{t}</text>",
            cx = x + BOX_W / 2.0,
            cy = y_of(*r) + BOX_H / 2.0 + 4.0,
            t = xml(&tr.with("cmdb.graph.more", &[("count".into(), m.to_string())]))
        ));
    }
    svg.push_str("</svg></div>");
    svg
}
