//! Small charts drawn on the server as SVG (no script, no build step): one series
//! over days, as columns or as a line, with the axis labelled in the reader's terms.

/// How a series is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Columns,
    Line,
}

pub fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A chart of `values` (one per label; `None` is a gap). `max` fixes the top of the scale
/// (e.g. 100 for percentages); otherwise it is the largest value. `unit` follows the numbers.
pub fn series(title: &str, kind: Kind, labels: &[String], values: &[Option<f64>], max: Option<f64>, unit: &str) -> String {
    let (left, top, w, h) = (44.0, 26.0, 500.0, 150.0);
    let n = values.len().max(1) as f64;
    let largest = values.iter().flatten().cloned().fold(0.0_f64, f64::max);
    let top_value = max.unwrap_or_else(|| nice(largest)).max(1.0);
    let step = w / n;
    let x = |i: usize| left + step * (i as f64 + 0.5);
    let y = |v: f64| top + h - h * (v / top_value).clamp(0.0, 1.0);
    let mut svg = format!(
        "<svg class=\"chart trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 560 210\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"{left}\" y=\"16\" font-size=\"13\" font-weight=\"600\" fill=\"#1f2933\">{t}</text>",
        t = xml(title)
    );
    for tick in 0..=2 {
        let v = top_value * f64::from(tick) / 2.0;
        svg.push_str(&format!(
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{x2}\" y2=\"{yy:.1}\" stroke=\"#d9e2ec\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">{v}{unit}</text>",
            yy = y(v),
            x2 = left + w,
            tx = left - 4.0,
            ty = y(v) + 4.0,
            v = v.round(),
            unit = xml(unit)
        ));
    }
    match kind {
        Kind::Columns => {
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    let bar = (step * 0.7).max(1.0);
                    svg.push_str(&format!(
                        "<rect x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"#0b5cad\"><title>{l}: {v}{u}</title></rect>",
                        bx = x(i) - bar / 2.0,
                        by = y(*v),
                        bh = top + h - y(*v),
                        l = xml(labels.get(i).map_or("", String::as_str)),
                        u = xml(unit)
                    ));
                }
            }
        }
        Kind::Line => {
            let mut path = String::new();
            let mut pen_down = false;
            for (i, v) in values.iter().enumerate() {
                match v {
                    Some(v) => {
                        path.push_str(&format!("{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v)));
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            svg.push_str(&format!("<path d=\"{}\" fill=\"none\" stroke=\"#0b5cad\" stroke-width=\"2\"/>", path.trim_end()));
        }
    }
    // First, middle and last day under the axis.
    let last = labels.len().saturating_sub(1);
    for i in [0, last / 2, last] {
        if let Some(l) = labels.get(i) {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#52606d\">{}</text>",
                x(i),
                top + h + 16.0,
                xml(l)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A round number at or above `v` for the top of a scale (1, 2, 5 × 10ⁿ).
fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|c| *c >= v).unwrap_or(10.0 * mag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_escape_and_skip_gaps() {
        let labels: Vec<String> = (1..=3).map(|d| format!("12-0{d}")).collect();
        let svg = series("流入 <x>", Kind::Line, &labels, &[Some(3.0), None, Some(7.0)], None, "");
        assert!(svg.contains("流入 &lt;x&gt;"), "{svg}");
        // The gap lifts the pen: two separate moves, no line through the missing day.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(svg.contains(">10<"), "the scale tops at a round 10: {svg}");
        let bars = series("t", Kind::Columns, &labels, &[Some(0.0), Some(5.0), Some(10.0)], Some(10.0), "%");
        assert_eq!(bars.matches("<rect").count(), 3, "{bars}");
        assert!(bars.contains("height=\"150.0\""), "the full value fills the chart: {bars}");
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(13.0), 20.0);
        assert_eq!(nice(50.0), 50.0);
    }
}
