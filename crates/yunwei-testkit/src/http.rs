//! A small HTTP/1.1 client over hyper, with keep-alive, for tests and `yunwei bench`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;

type Inner = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

#[derive(Clone)]
pub struct Client {
    inner: Inner,
    addr: SocketAddr,
    headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct TestResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body text if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        let inner = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).pool_max_idle_per_host(64).build_http();
        Self { inner, addr, headers: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A header this client sends (e.g. `authorization`, to reuse it on a raw connection).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sends a request; panics if it fails or if the answer breaks the API's documented
    /// contract (status and JSON schema, see [`crate::contract`]).
    pub async fn send(&self, method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>) -> TestResponse {
        let res = self.try_send(method, path, content_type, body).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if let Err(broken) = crate::contract::check(method, path, res.status, res.header("content-type"), &res.body) {
            crate::contract::broken(broken);
        }
        res
    }

    pub async fn try_send(&self, method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Result<TestResponse, String> {
        let uri = format!("http://{}{}", self.addr, path);
        let mut req = Request::builder().method(Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?).uri(uri);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let req = req.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
        let res = self.inner.request(req).await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let headers = res.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes().to_vec();
        Ok(TestResponse { status, headers, body })
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send("GET", path, None, Vec::new()).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send("DELETE", path, None, Vec::new()).await
    }

    pub async fn post(&self, path: &str, json: &serde_json::Value) -> TestResponse {
        self.send("POST", path, Some("application/json"), json.to_string().into_bytes()).await
    }

    pub async fn put(&self, path: &str, json: &serde_json::Value) -> TestResponse {
        self.send("PUT", path, Some("application/json"), json.to_string().into_bytes()).await
    }

    pub async fn patch(&self, path: &str, json: &serde_json::Value) -> TestResponse {
        self.send("PATCH", path, Some("application/json"), json.to_string().into_bytes()).await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded_pairs(pairs);
        self.send("POST", path, Some("application/x-www-form-urlencoded"), body.into_bytes()).await
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}
