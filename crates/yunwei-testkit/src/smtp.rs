//! An SMTP listener on loopback that records every message it accepts, or
//! refuses them on demand (transient 451 or permanent 550), for mail tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The DATA section as sent (headers, blank line, body), dot-unstuffed.
    pub data: String,
}

impl ReceivedMail {
    /// The subject as a reader sees it (RFC 2047 encoded words decoded).
    pub fn subject(&self) -> Option<String> {
        mail_parser::MessageParser::default().parse(self.data.as_bytes())?.subject().map(str::to_string)
    }

    /// The text body as a reader sees it (transfer encoding undone).
    pub fn body_text(&self) -> Option<String> {
        mail_parser::MessageParser::default().parse(self.data.as_bytes())?.body_text(0).map(|t| t.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut()
                && (line.starts_with(' ') || line.starts_with('\t'))
            {
                v.push_str(line);
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_string());
            }
        }
        value
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 451: try again later.
    Transient,
    /// 550: never.
    Permanent,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<ReceivedMail>>>,
    mode: Arc<Mutex<Mode>>,
    /// Recipients refused (451 or 550): one per delivery attempt that failed here.
    refused: Arc<std::sync::atomic::AtomicUsize>,
}

impl SmtpSink {
    /// Settings that send to this sink: plain SMTP, no sign-in, 5 s timeout.
    pub fn settings(&self) -> yunwei_core::mail::SmtpSettings {
        yunwei_core::mail::SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.addr.port(),
            security: yunwei_core::mail::SmtpSecurity::None,
            username: None,
            password: None,
            from: "运维平台 <yunwei@bank.example>".into(),
            timeout_seconds: 5,
        }
    }

    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp sink");
        let sink = SmtpSink {
            addr: listener.local_addr().expect("addr"),
            received: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Accept)),
            refused: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(socket).await;
                });
            }
        });
        sink
    }

    pub fn set_mode(&self, mode: Mode) {
        if let Ok(mut m) = self.mode.lock() {
            *m = mode;
        }
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// How many recipients were refused so far (failed delivery attempts).
    pub fn refusals(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits up to `seconds` for at least `n` refusals.
    pub async fn wait_for_refusals(&self, n: usize, seconds: u64) {
        for _ in 0..seconds * 20 {
            if self.refusals() >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the sink refused {} of {n} expected attempts within {seconds} s", self.refusals());
    }

    /// Waits up to `seconds` for at least `n` messages.
    pub async fn wait_for(&self, n: usize, seconds: u64) -> Vec<ReceivedMail> {
        for _ in 0..seconds * 20 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.messages()
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_string();
            let upper = cmd.to_ascii_uppercase();
            let mode = self.mode.lock().map(|m| *m).unwrap_or(Mode::Accept);
            if upper.starts_with("EHLO") {
                write.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await?;
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                write.write_all(b"250 ok\r\n").await?;
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                write.write_all(b"250 ok\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                from =
                    cmd[10..].trim().trim_matches(['<', '>']).split_whitespace().next().unwrap_or("").trim_matches(['<', '>']).to_string();
                write.write_all(b"250 ok\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                if mode != Mode::Accept {
                    self.refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                match mode {
                    Mode::Transient => write.write_all(b"451 4.3.0 try again later\r\n").await?,
                    Mode::Permanent => write.write_all(b"550 5.1.1 no such user\r\n").await?,
                    Mode::Accept => {
                        to.push(cmd[8..].trim().trim_matches(['<', '>']).to_string());
                        write.write_all(b"250 ok\r\n").await?;
                    }
                }
            } else if upper == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                if let Ok(mut r) = self.received.lock() {
                    r.push(ReceivedMail { from: from.clone(), to: to.clone(), data });
                }
                write.write_all(b"250 queued\r\n").await?;
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
    }
}
