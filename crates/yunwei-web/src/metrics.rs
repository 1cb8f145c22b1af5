//! Prometheus metrics, hand-written: request counts and latency histograms per
//! route, plus gauges read from the database at scrape time.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS_MS: [f64; 10] = [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 5000.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(String, String, u16), u64>>,
    latency: Mutex<HashMap<String, Histogram>>,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16, ms: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS_MS.iter().enumerate() {
                if ms <= *b {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum_ms += ms;
        }
    }

    pub fn render(&self, out: &mut String) {
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        out.push_str(
            "# HELP yunwei_http_requests_total HTTP requests by method, route and status.\n# TYPE yunwei_http_requests_total counter\n",
        );
        if let Ok(m) = self.requests.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((method, route, status), n) in rows {
                let _ = writeln!(
                    out,
                    "yunwei_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                    esc(method),
                    esc(route),
                    status,
                    n
                );
            }
        }
        out.push_str("# HELP yunwei_http_request_duration_seconds Time to answer, by route.\n# TYPE yunwei_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            let mut rows: Vec<_> = l.iter().collect();
            rows.sort_by(|a, b| a.0.cmp(b.0));
            for (route, h) in rows {
                let r = esc(route);
                for (i, b) in BUCKETS_MS.iter().enumerate() {
                    let _ =
                        writeln!(out, "yunwei_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{}\"}} {}", b / 1000.0, h.counts[i]);
                }
                let _ = writeln!(out, "yunwei_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "yunwei_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", h.sum_ms / 1000.0);
                let _ = writeln!(out, "yunwei_http_request_duration_seconds_count{{route=\"{r}\"}} {}", h.count);
            }
        }
    }
}
