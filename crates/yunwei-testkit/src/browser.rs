//! A minimal W3C WebDriver client for browser tests in real headless Chromium
//! (Debian `chromium` + `chromium-driver`), over the kit's own HTTP client.
//! [`Browser::start`] installs the two packages when they are missing (see
//! `yunwei_connect::test_setup`) and fails when it cannot: browser tests never skip.

use crate::http::Client;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    driver: Child,
    client: Client,
    session: String,
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Where chromedriver lives, if installed.
pub fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().find(|p| std::path::Path::new(p).exists())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with the given UI language.
    pub async fn start(lang: &str) -> Result<Browser, String> {
        use yunwei_connect::test_setup::{Need, ensure};
        let needs = [
            Need { package: "chromium", present: || std::path::Path::new(CHROMIUM).exists() },
            Need { package: "chromium-driver", present: || chromedriver().is_some() },
        ];
        ensure("the browser tests (headless Chromium)", &needs)?;
        let driver_path = chromedriver().ok_or("chromedriver is not installed (apt-get install chromium chromium-driver)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?.local_addr().map_err(|e| e.to_string())?.port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().map_err(|e: std::net::AddrParseError| e.to_string())?;
        let client = Client::new(addr);
        let mut browser = Browser { driver, client, session: String::new() };
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900", format!("--lang={lang}")]
        } } } });
        for _ in 0..50 {
            if let Ok(r) = browser.client.try_send("POST", "/session", Some("application/json"), caps.to_string().into_bytes()).await
                && r.status == 200
            {
                browser.session = r.json()["value"]["sessionId"].as_str().unwrap_or_default().to_string();
                return Ok(browser);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("chromedriver did not start a session".into())
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let r = if method == "GET" {
            self.client.get(&path).await
        } else {
            self.client.send(method, &path, Some("application/json"), body.to_string().into_bytes()).await
        };
        assert_eq!(r.status, 200, "webdriver {method} {path}: {}", r.text());
        r.json()["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        self.call("GET", "/url", Value::Null).await.as_str().unwrap_or_default().to_string()
    }

    async fn element(&self, css: &str) -> String {
        let v = self.call("POST", "/element", json!({ "using": "css selector", "value": css })).await;
        v.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap_or_default().to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call("POST", &format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call("POST", &format!("/element/{id}/click"), json!({})).await;
    }

    /// The id of the element that has the keyboard focus.
    pub async fn focused_id(&self) -> String {
        let v = self
            .call(
                "POST",
                "/execute/sync",
                json!({ "script": "return document.activeElement ? document.activeElement.id : ''", "args": [] }),
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    pub async fn page_text(&self) -> String {
        let v = self.call("POST", "/execute/sync", json!({ "script": "return document.body.innerText", "args": [] })).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// Sets the window's size, e.g. 390 × 844 for the phone layout.
    pub async fn resize(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", json!({ "width": width, "height": height })).await;
    }

    /// The visible text of every element `css` matches, in document order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim())";
        let v = self.call("POST", "/execute/sync", json!({ "script": script, "args": [css] })).await;
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    }

    /// A property (`value`, `checked`…) of every element `css` matches, as text, in document order.
    pub async fn props(&self, css: &str, prop: &str) -> Vec<String> {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => String(e[arguments[1]]))";
        let v = self.call("POST", "/execute/sync", json!({ "script": script, "args": [css, prop] })).await;
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    }

    /// Signs in on the sign-in form on screen as a person would (user name, Tab, password,
    /// Enter) and waits to leave it.
    pub async fn sign_in(&self, user: &str, password: &str) {
        self.type_into("#username", &format!("{user}\u{E004}")).await;
        self.type_into("#password", &format!("{password}\u{E007}")).await;
        self.wait_until_left("/login").await;
    }

    /// Opens `url` (the sign-in page, or a page that asks to sign in first) and signs in there.
    pub async fn sign_in_at(&self, url: &str, user: &str, password: &str) {
        self.goto(url).await;
        self.sign_in(user, password).await;
    }

    /// Saves the page as `{name}.png` in `$YUNWEI_SCREENSHOTS` (default `target/screenshots/`)
    /// for people to look at, after checking it is a real rendered image.
    pub async fn shot(&self, name: &str) {
        let dir = std::env::var("YUNWEI_SCREENSHOTS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"));
        let png = self.screenshot_png().await;
        assert_eq!(png.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]), "a real rendered page");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot");
    }

    /// Saves the page at 1440 and at 390 px wide as `{dir}/{name}-{width}.png` (best effort:
    /// these are for people to look at), then goes back to 1440 px.
    pub async fn shots_in(&self, dir: &str, name: &str) {
        let _ = std::fs::create_dir_all(dir);
        for (w, h) in [(1440, 1000), (390, 844)] {
            self.resize(w, h).await;
            tokio::time::sleep(Duration::from_millis(150)).await;
            let _ = std::fs::write(format!("{dir}/{name}-{w}.png"), self.screenshot_png().await);
        }
        self.resize(1440, 1000).await;
    }

    /// Waits (up to 5 s) until the address no longer contains `part`, e.g. `/login` after signing in.
    pub async fn wait_until_left(&self, part: &str) {
        self.wait_for_url(&format!("an address without {part}"), |url| !url.contains(part)).await;
    }

    /// Waits (up to 5 s) until the address satisfies `ok`, and returns it.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if ok(&url) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("waited 5 s for {what}; still on {}", self.url().await);
    }

    /// Waits (up to 5 s) until the page's text contains `part`, and returns the text.
    pub async fn wait_for_text(&self, part: &str) -> String {
        for _ in 0..100 {
            let text = self.page_text().await;
            if text.contains(part) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("waited 5 s for {part:?} on {}: {}", self.url().await, self.page_text().await);
    }

    /// Runs `script` in the page (WebDriver "execute sync") and returns its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", json!({ "script": script, "args": [] })).await
    }

    pub async fn screenshot_png(&self) -> Vec<u8> {
        let v = self.call("GET", "/screenshot", Value::Null).await;
        decode_base64(v.as_str().unwrap_or_default())
    }

    pub async fn quit(mut self) {
        let path = format!("/session/{}", self.session);
        let _ = self.client.try_send("DELETE", &path, None, Vec::new()).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
