//! A webhook receiver on 127.0.0.1 that records method, path, headers and body of
//! every request, and answers with planned statuses (then 200), for webhook tests.
//! Also a raw server-sent-events reader for the live-update stream.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The status the sink answered.
    pub answered: u16,
    /// The body the sink answered.
    pub answer: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("webhook body is not JSON ({e}): {}", self.body))
    }
}

/// Answers a request (status, body) given those that came before it.
pub type Responder = Box<dyn Fn(&Received, &[Received]) -> (u16, String) + Send>;

#[derive(Default)]
struct State {
    received: Vec<Received>,
    plan: VecDeque<u16>,
    responder: Option<Responder>,
}

pub struct WebhookSink {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookSink {
    pub async fn start() -> Self {
        Self::start_with(State::default()).await
    }

    /// A sink that answers as `responder` says (after any planned statuses): a stand-in
    /// for a service that checks what it is sent.
    pub async fn answering(responder: Responder) -> Self {
        Self::start_with(State { responder: Some(responder), ..State::default() }).await
    }

    async fn start_with(state: State) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind webhook sink");
        let addr = listener.local_addr().expect("sink address");
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        Self { addr, state, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The next answers, in order; after them the sink answers 200 again.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.state.lock().expect("sink lock").plan.extend(statuses.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("sink lock").received.clone()
    }

    /// Waits until `n` requests have arrived (panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("the webhook sink got {} of {n} requests: {got:#?}", got.len());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).await?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let length: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        let (answered, text) = {
            let mut s = state.lock().expect("sink lock");
            let mut r =
                Received { method, path, headers, body: String::from_utf8_lossy(&body).into_owned(), answered: 0, answer: String::new() };
            let (answered, text) = match (s.plan.pop_front(), &s.responder) {
                (Some(planned), _) => (planned, if planned < 300 { "ok" } else { "sink says no" }.to_string()),
                (None, Some(respond)) => respond(&r, &s.received),
                (None, None) => (200, "ok".to_string()),
            };
            r.answered = answered;
            r.answer = text.clone();
            s.received.push(r);
            (answered, text)
        };
        let response = format!("HTTP/1.1 {answered} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{text}", text.len());
        reader.get_mut().write_all(response.as_bytes()).await?;
    }
}

/// One server-sent event as it came over the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    /// The raw lines, to assert on the exact `event:` and `data:` text.
    pub lines: Vec<String>,
}

/// A raw HTTP/1.1 reader of `text/event-stream` (no client library in between).
pub struct SseStream {
    reader: BufReader<TcpStream>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    chunked: bool,
    buffer: String,
}

impl SseStream {
    /// `GET path` with the given headers; reads the status line and headers.
    pub async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect to the app");
        let mut request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\nconnection: close\r\n");
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        let mut reader = BufReader::new(stream);
        reader.get_mut().write_all(request.as_bytes()).await.expect("send request");
        let mut status_line = String::new();
        reader.read_line(&mut status_line).await.expect("status line");
        let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut head = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).await.expect("header");
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                head.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let chunked = head.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        Self { reader, status, headers: head, chunked, buffer: String::new() }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The rest of a non-stream answer (an error), for assertions.
    pub async fn body_text(mut self) -> String {
        let mut out = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), self.reader.read_to_string(&mut out)).await;
        out
    }

    async fn more(&mut self) -> std::io::Result<bool> {
        if self.chunked {
            let mut size = String::new();
            if self.reader.read_line(&mut size).await? == 0 {
                return Ok(false);
            }
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                return Ok(false);
            }
            let mut chunk = vec![0u8; n + 2];
            self.reader.read_exact(&mut chunk).await?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk[..n]));
        } else {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await? == 0 {
                return Ok(false);
            }
            self.buffer.push_str(&line);
        }
        Ok(true)
    }

    /// The next event that has an `event:` or `data:` line (comments such as heartbeats are skipped),
    /// or None if the stream ends or nothing comes within `timeout`.
    pub async fn next_event(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut e = SseEvent::default();
                for line in block.lines().filter(|l| !l.is_empty()) {
                    e.lines.push(line.to_string());
                    if let Some(v) = line.strip_prefix("id:") {
                        e.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        e.event = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        e.data.push_str(v.trim_start());
                    }
                }
                if e.event.is_some() || !e.data.is_empty() {
                    return Some(e);
                }
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.more()).await {
                Ok(Ok(true)) => {}
                _ => return None,
            }
        }
    }
}
