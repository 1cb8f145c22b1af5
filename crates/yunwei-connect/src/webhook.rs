//! Outbound webhooks: one signed HTTP POST per delivery, behind an SSRF guard.
//!
//! The host is resolved at send time and every address is checked (loopback,
//! private, link-local, CGNAT, multicast, unspecified and their IPv6 forms are
//! refused unless allow-listed); the connection then goes to the address that was
//! checked, so a second DNS answer cannot swap it. Redirects are not followed.

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Receivers' answers are read this far at most (for the error text).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid URL: {0}")]
    Url(&'static str),
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("refused: {host} resolves to {addr}, a {kind} address (not in [core.webhooks] allow)")]
    Forbidden { host: String, addr: IpAddr, kind: &'static str },
    #[error("connect to {addr}: {reason}")]
    Connect { addr: SocketAddr, reason: String },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("HTTP: {0}")]
    Http(String),
    #[error("timed out after {0} s")]
    Timeout(u64),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
}

/// An address range `addr/prefix` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s.trim().split_once('/').map_or((s.trim(), None), |(a, p)| (a, Some(p)));
        let net: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an address or CIDR range"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{s:?}: prefix must be 0–{max}"))?,
            None => max,
        };
        Ok(Self { net, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || (a[full] ^ b[full]) & (0xffu8 << (8 - rest)) == 0
}

/// Why an address is not for webhooks, or None if it is a public one.
pub fn forbidden_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
            // reach the IPv4 address inside: judge that one.
            let seg = v6.segments();
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            // Also local-use NAT64 (64:ff9b:1::/48) and SIIT (::ffff:0:a.b.c.d).
            let nat64 = seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || seg[..3] == [0x64, 0xff9b, 1];
            let siit = seg[..6] == [0, 0, 0, 0, 0xffff, 0];
            if nat64 || siit || (seg[..6] == [0; 6] && seg[6] != 0) {
                let o = v6.octets();
                return forbidden_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            // 6to4 (2002::/16) and Teredo (2001::/32) tunnel to IPv4 addresses of their own.
            if seg[0] == 0x2002 || seg[..2] == [0x2001, 0] {
                return Some("tunnel");
            }
            if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if seg[0] & 0xffc0 == 0xfe80 || seg[0] & 0xffc0 == 0xfec0 {
                Some("link-local")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("private")
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() || (o[0] == 192 && o[1] == 0 && o[2] == 0) || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("CGNAT")
    } else if ip.is_multicast() || ip.is_broadcast() || o[0] >= 240 {
        Some("multicast or reserved")
    } else {
        None
    }
}

/// Where webhooks may go: the allow-list (`[core.webhooks] allow`) and fixed host entries.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    pub allow: Vec<Cidr>,
    /// Host names answered without DNS (like /etc/hosts); the answers are still checked.
    pub hosts: BTreeMap<String, IpAddr>,
}

impl Guard {
    pub fn new(allow: &[String], hosts: &BTreeMap<String, String>) -> Result<Self, String> {
        let allow = allow.iter().map(|c| c.parse()).collect::<Result<Vec<Cidr>, String>>()?;
        let hosts = hosts
            .iter()
            .map(|(h, a)| a.parse().map(|ip| (h.to_ascii_lowercase(), ip)).map_err(|_| format!("hosts.{h}: {a:?} is not an address")))
            .collect::<Result<_, String>>()?;
        Ok(Self { allow, hosts })
    }

    /// None if webhooks may connect to `ip`, else why not.
    pub fn refuses(&self, ip: IpAddr) -> Option<&'static str> {
        let kind = forbidden_kind(ip)?;
        let mapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let allowed = self.allow.iter().any(|c| c.contains(ip) || mapped.is_some_and(|m| c.contains(m)));
        (!allowed).then_some(kind)
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, WebhookError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        if let Some(ip) = self.hosts.get(&host.to_ascii_lowercase()) {
            return Ok(vec![SocketAddr::new(*ip, port)]);
        }
        let found = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| WebhookError::Resolve { host: host.into(), reason: e.to_string() })?
            .collect::<Vec<_>>();
        if found.is_empty() {
            return Err(WebhookError::Resolve { host: host.into(), reason: "no address".into() });
        }
        Ok(found)
    }
}

/// A webhook URL taken apart. Only http and https, a host, no user:password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Target {
    /// Field-error code when the URL is not acceptable.
    pub fn parse(url: &str) -> Result<Self, &'static str> {
        let uri: hyper::Uri = url.trim().parse().map_err(|_| "invalid_url")?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("url_scheme_not_allowed"),
        };
        let authority = uri.authority().ok_or("url_host_required")?;
        if authority.as_str().contains('@') {
            return Err("url_credentials_not_allowed");
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return Err("url_host_required");
        }
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let path = uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
        Ok(Self { https, host, port, path: if path.is_empty() { "/".into() } else { path } })
    }

    /// A check without DNS for the create form: address literals and `localhost` names.
    pub fn literal_refusal(&self, guard: &Guard) -> Option<&'static str> {
        let ip = match self.host.parse::<IpAddr>() {
            Ok(ip) => ip,
            // "127.1", "2130706433", "0x7f.0.0.1": resolvers read these as IPv4 addresses.
            Err(_) if let Some(v4) = inet_aton(&self.host) => IpAddr::V4(v4),
            Err(_) if self.host == "localhost" || self.host.ends_with(".localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Err(_) => return None,
        };
        guard.refuses(ip)
    }
}

/// The classic BSD reading of an IPv4 address: one to four parts, each decimal, octal (leading 0)
/// or hexadecimal (0x), the last filling the remaining bytes. None if `host` is not such a form.
fn inet_aton(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for p in &parts {
        let v = if let Some(hex) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            u32::from_str_radix(hex, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u32::from_str_radix(&p[1..], 8).ok()?
        } else {
            p.parse::<u32>().ok()?
        };
        values.push(v);
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    // The last part fills what the others left: 32, 24, 16 or 8 bits.
    let spare_bits = 8 * (4 - head.len() as u32);
    if spare_bits < 32 && *last >= (1u32 << spare_bits) {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i);
    }
    Some(Ipv4Addr::from(addr | last))
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// One POST to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub event_type: &'a str,
    pub delivery_id: &'a str,
    pub body: &'a str,
    pub secret: &'a str,
    pub user_agent: &'a str,
    /// Unix seconds, signed with the body.
    pub timestamp: i64,
}

/// Sends one delivery. Ok with the status for a 2xx answer; anything else is an error to retry.
pub async fn send(out: &Outgoing<'_>, guard: &Guard) -> Result<u16, WebhookError> {
    let headers = [
        ("content-type", "application/json".to_string()),
        ("user-agent", out.user_agent.to_string()),
        ("x-yunwei-event", out.event_type.to_string()),
        ("x-yunwei-delivery", out.delivery_id.to_string()),
        ("x-yunwei-signature", signature(out.secret, out.timestamp, out.body)),
    ];
    let answer = post(out.url, &headers, out.body, guard).await?;
    if (200..300).contains(&answer.status) {
        return Ok(answer.status);
    }
    Err(WebhookError::Status { status: answer.status, body: answer.body.chars().take(500).collect() })
}

/// What a receiver answered: its status and the start of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// At most [`MAX_RESPONSE_BYTES`], lossily decoded.
    pub body: String,
}

/// One POST of `body` with `headers` to `url`, behind the guard and within [`TOTAL_TIMEOUT`].
/// Any status is an answer; the caller judges it (chat robots answer 200 with an error inside).
pub async fn post(url: &str, headers: &[(&str, String)], body: &str, guard: &Guard) -> Result<Answer, WebhookError> {
    match tokio::time::timeout(TOTAL_TIMEOUT, post_inner(url, headers, body, guard)).await {
        Ok(r) => r,
        Err(_) => Err(WebhookError::Timeout(TOTAL_TIMEOUT.as_secs())),
    }
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

async fn post_inner(url: &str, headers: &[(&str, String)], body: &str, guard: &Guard) -> Result<Answer, WebhookError> {
    let target = Target::parse(url).map_err(WebhookError::Url)?;
    let addrs = guard.resolve(&target.host, target.port).await?;
    // Every answer must pass: a name with one public and one internal address is refused.
    for a in &addrs {
        if let Some(kind) = guard.refuses(a.ip()) {
            return Err(WebhookError::Forbidden { host: target.host.clone(), addr: a.ip(), kind });
        }
    }
    let addr = addrs[0];
    let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(WebhookError::Connect { addr, reason: e.to_string() }),
        Err(_) => return Err(WebhookError::Connect { addr, reason: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()) }),
    };
    let stream: Box<dyn Io> = if target.https { Box::new(tls(&target.host, tcp).await?) } else { Box::new(tcp) };
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| WebhookError::Http(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let host_header = if target.port == if target.https { 443 } else { 80 } {
        if target.host.contains(':') { format!("[{}]", target.host) } else { target.host.clone() }
    } else if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let mut request = Request::post(target.path.as_str()).header("host", host_header);
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let request = request.body(Full::new(Bytes::copy_from_slice(body.as_bytes()))).map_err(|e| WebhookError::Http(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(|e| WebhookError::Http(e.to_string()))?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut read = Vec::new();
    while read.len() < MAX_RESPONSE_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read.extend_from_slice(&data[..data.len().min(MAX_RESPONSE_BYTES - read.len())]);
                }
            }
            _ => break,
        }
    }
    Ok(Answer { status, body: String::from_utf8_lossy(&read).into_owned() })
}

async fn tls(host: &str, tcp: tokio::net::TcpStream) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, WebhookError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| WebhookError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| WebhookError::Tls(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(WebhookError::Tls(e.to_string())),
        Err(_) => Err(WebhookError::Timeout(CONNECT_TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        for (a, kind) in [
            ("127.0.0.1", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "CGNAT"),
            ("224.0.0.1", "multicast or reserved"),
            ("0.0.0.0", "unspecified"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fe80::1", "link-local"),
            ("fd00::1", "private"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b:1::a9fe:a9fe", "link-local"),
            ("::ffff:0:7f00:1", "loopback"),
            ("2002:7f00:1::1", "tunnel"),
            ("2001:0:4136:e378::1", "tunnel"),
        ] {
            assert_eq!(forbidden_kind(ip(a)), Some(kind), "{a}");
        }
        for a in ["8.8.8.8", "203.0.114.7", "2001:4860:4860::8888", "100.128.0.1"] {
            assert_eq!(forbidden_kind(ip(a)), None, "{a}");
        }
    }

    #[test]
    fn the_allow_list_opens_ranges_including_mapped_forms() {
        let guard = Guard::new(&["127.0.0.0/8".into(), "fd00::/8".into()], &BTreeMap::new()).unwrap();
        assert_eq!(guard.refuses(ip("127.0.0.1")), None);
        assert_eq!(guard.refuses(ip("::ffff:127.0.0.1")), None);
        assert_eq!(guard.refuses(ip("fd12::1")), None);
        assert_eq!(guard.refuses(ip("10.0.0.1")), Some("private"));
        assert!(Guard::new(&["10.0.0.0/33".into()], &BTreeMap::new()).is_err());
        assert!("10.1.0.0/16".parse::<Cidr>().unwrap().contains(ip("10.1.255.3")));
        assert!(!"10.1.0.0/16".parse::<Cidr>().unwrap().contains(ip("10.2.0.3")));
    }

    #[test]
    fn urls_are_checked_before_they_are_stored() {
        assert_eq!(Target::parse("ftp://x.example/").unwrap_err(), "url_scheme_not_allowed");
        assert_eq!(Target::parse("https://user:pw@x.example/").unwrap_err(), "url_credentials_not_allowed");
        assert_eq!(Target::parse("not a url").unwrap_err(), "invalid_url");
        let t = Target::parse("https://Hooks.Example:8443/in?x=1").unwrap();
        assert_eq!((t.https, t.host.as_str(), t.port, t.path.as_str()), (true, "hooks.example", 8443, "/in?x=1"));
        let none = Guard::default();
        assert_eq!(Target::parse("http://localhost:9000/").unwrap().literal_refusal(&none), Some("loopback"));
        assert_eq!(Target::parse("http://[::1]/").unwrap().literal_refusal(&none), Some("loopback"));
        assert_eq!(Target::parse("http://hooks.example/").unwrap().literal_refusal(&none), None);
        for short in ["http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://10.1/"] {
            assert!(Target::parse(short).unwrap().literal_refusal(&none).is_some(), "{short}");
        }
        assert_eq!(inet_aton("127.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(inet_aton("10.0.258"), Some(Ipv4Addr::new(10, 0, 1, 2)));
        assert_eq!(inet_aton("1.2.3.256"), None);
        assert_eq!(inet_aton("hooks"), None);
    }

    #[test]
    fn signature_is_hmac_sha256_of_time_dot_body() {
        // Computed independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac secret
        let sig = signature("secret", 1_700_000_000, "{}");
        assert_eq!(sig, "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163");
    }
}
