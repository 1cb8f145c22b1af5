//! Test and benchmark kit: `spawn_app` on a fresh database (SQLite, or the
//! PostgreSQL server named by `YUNWEI_TEST_DATABASE_URL`), a small HTTP client,
//! an SMTP sink that records what arrives, a real Dovecot IMAP server for
//! mail-in (`imap::Dovecot`), and the bad-input checks every endpoint must pass; and
//! [`harness::TestCore`], a core without HTTP for testing use cases directly.
//!
//! Tests set themselves up: Dovecot, Chromium and chromedriver are installed when missing
//! (`yunwei_connect::test_setup`), test databases are removed even when a test fails, and a
//! missing translation key fails the test (`yunwei_web::i18n::set_strict`).

pub mod bad_input;
pub mod browser;
pub mod cmdb;
pub mod contract;
pub mod harness;
pub mod http;
pub mod robot;
pub mod smtp;
pub mod webhook;

/// Dovecot on loopback (Debian package dovecot-imapd): `imap::Dovecot::start()`.
pub use yunwei_connect::mail_in::testing as imap;
/// Installs what a test needs when it is missing (Debian packages).
pub use yunwei_connect::test_setup;

use std::net::SocketAddr;
use std::sync::Arc;
use yunwei_core::{Clock, Core, CoreConfig, Ctx, SystemClock};
use yunwei_store::Db;
use yunwei_store::testing::FreshDatabase;

pub use http::{Client, TestResponse};

/// The `href`s of an HTML page, entities decoded, fragments dropped (the crawl test and the
/// crawl bench read pages with it).
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(end) = rest.find('"') else { break };
        let raw = rest[..end].replace("&amp;", "&").replace("&#x2F;", "/").replace("&#47;", "/");
        let raw = raw.split('#').next().unwrap_or_default().to_string();
        if !raw.is_empty() {
            out.push(raw);
        }
        rest = &rest[end..];
    }
    out
}

/// The value of the first field named `name` on an HTML page (`name="…" value="…"`, as the
/// page's hidden inputs write it), or a panic showing the page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// The CSRF token a page's forms carry.
pub fn csrf(html: &str) -> String {
    hidden(html, "csrf_token")
}

/// Whether a crawl follows a link: same-site paths, not the language switch (it only sets a
/// cookie and redirects back) and not sign-out forms' targets.
pub fn followed(href: &str) -> bool {
    href.starts_with('/') && !href.starts_with("//") && !href.starts_with("/lang/") && !href.starts_with("/logout")
}

pub const ADMIN_PASSWORD: &str = "Ops#Secure2026";

pub struct TestApp {
    pub addr: SocketAddr,
    pub core: Core,
    pub fresh: FreshDatabase,
    /// Bearer token of the initial administrator (role system_admin).
    pub admin_token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Default)]
pub struct Options {
    pub config: Option<CoreConfig>,
    pub clock: Option<Arc<dyn Clock>>,
    pub web: Option<yunwei_web::WebConfig>,
    /// Keep the production defaults that tests usually step over: the initial administrator's
    /// forced password change and the second factor the administrator roles require.
    pub first_start_as_shipped: bool,
}

/// Steps over what a real first start asks of administrators (a new password, a second
/// factor), so that tests sign in with the shared test password.
async fn relax_first_start(core: &Core, admin: yunwei_domain::ids::UserId) {
    use yunwei_store::admin as org;
    let mut conn = core.database().writer().await.expect("connection");
    org::set_must_change_password(&mut conn, admin, false).await.expect("password flag");
    for role in org::list_roles(&mut *conn).await.expect("roles") {
        if role.require_totp {
            let fields = org::RoleFields {
                key: role.key.clone(),
                name_en: role.name_en.clone(),
                name_zh: role.name_zh.clone(),
                description: role.description.clone(),
                duty: role.duty,
                require_totp: false,
                permissions: role.permissions.clone(),
            };
            org::update_role(&mut conn, role.id, &fields, core.now_ms()).await.expect("role");
        }
    }
}

/// Tests schedule change windows around the real now; the shipped month-end, quarter-end and
/// holiday freezes would refuse them on those days only. Tests of freezes set them explicitly.
async fn lift_calendar_freezes(core: &Core) {
    // Written as the seed writes, without an audit entry, so audit tests count only their own.
    let mut settings = yunwei_core::change::change_settings(core).await.expect("change settings");
    settings.schedule.month_end_days = 0;
    settings.schedule.quarter_end_days = 0;
    settings.schedule.holiday_freeze = false;
    let text = serde_json::to_string(&settings).expect("settings as JSON");
    let mut conn = core.database().writer().await.expect("connection");
    yunwei_store::settings::put(&mut conn, "change", &text, core.now_ms()).await.expect("freezes lifted");
}

/// A core on a fresh database, migrated and seeded, with the initial administrator "admin".
async fn prepared_core(
    config: Option<CoreConfig>,
    clock: Option<Arc<dyn Clock>>,
    first_start_as_shipped: bool,
) -> (Core, FreshDatabase, yunwei_domain::ids::UserId) {
    let fresh = FreshDatabase::create().await.expect("fresh database");
    let db = Db::connect(&fresh.url, 8).await.expect("connect");
    let mut config = config.unwrap_or_default();
    config.data_dir = fresh.dir.clone();
    let core = Core::new(db, config, clock.unwrap_or_else(|| Arc::new(SystemClock)));
    core.prepare().await.expect("migrate and seed");
    yunwei_core::seed::initial_admin(&core, "admin", Some(ADMIN_PASSWORD.into())).await.expect("initial admin");
    let admin = yunwei_store::admin::get_user_by_username(&core.database().read, "admin").await.expect("query").expect("admin exists");
    if !first_start_as_shipped {
        relax_first_start(&core, admin.id).await;
        lift_calendar_freezes(&core).await;
    }
    (core, fresh, admin.id)
}

/// Starts the whole server (web, dispatcher, scheduler) on 127.0.0.1 and a random port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    // A page that asks for a translation key the catalogue lacks fails the test, naming the key.
    yunwei_web::i18n::set_strict(true);
    let (core, fresh, admin_id) = prepared_core(opts.config, opts.clock, opts.first_start_as_shipped).await;
    let token = yunwei_core::auth::create_token(
        &core,
        &Ctx::system(),
        admin_id,
        yunwei_core::auth::NewTokenInput { name: "tests".into(), scopes: vec![], expires_in_days: None },
    )
    .await
    .expect("admin token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serve_core = core.clone();
    let web = opts.web.unwrap_or_default();
    let task = tokio::spawn(async move {
        let _ = yunwei_web::serve(serve_core, web, listener, async move {
            let _ = rx.await;
        })
        .await;
    });
    TestApp { addr, core, fresh, admin_token: token.secret, shutdown: Some(tx), task: Some(task) }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client that sends the administrator's bearer token.
    pub fn admin(&self) -> Client {
        Client::new(self.addr).bearer(&self.admin_token)
    }

    /// A client signed in through `POST /api/v1/session`: session cookie plus CSRF header.
    pub async fn session(&self, username: &str, password: &str) -> Client {
        let r = self.anonymous().post("/api/v1/session", &serde_json::json!({ "username": username, "password": password })).await;
        assert_eq!(r.status, 201, "sign-in as {username}: {}", r.text());
        let cookie = r.header("set-cookie").and_then(|c| c.split(';').next()).expect("session cookie").to_string();
        let csrf = r.json()["csrf_token"].as_str().expect("csrf token").to_string();
        self.anonymous().header("cookie", &cookie).header("x-csrf-token", &csrf)
    }

    /// A headless Chromium in `lang`, 1440 px wide, signed in as `user` at `path`; the account's
    /// own language is set to `lang` first, as pages speak the account's language.
    pub async fn browser_as(&self, user: &str, password: &str, lang: &str, path: &str) -> crate::browser::Browser {
        let c = self.session(user, password).await;
        assert_eq!(c.patch("/api/v1/me", &serde_json::json!({ "locale": lang })).await.status, 200, "{user}'s language");
        let browser = crate::browser::Browser::start(lang).await.expect("headless Chromium");
        browser.resize(1440, 900).await;
        browser.sign_in_at(&self.url(path), user, password).await;
        browser
    }

    /// The initial administrator, signed in with a session (tokens cannot create tokens).
    pub async fn admin_session(&self) -> Client {
        self.session("admin", ADMIN_PASSWORD).await
    }

    pub fn anonymous(&self) -> Client {
        Client::new(self.addr)
    }

    pub fn is_postgres(&self) -> bool {
        self.fresh.is_postgres()
    }

    /// Creates a user with the given roles (password ADMIN_PASSWORD, no forced change,
    /// ready to sign in) and returns a client holding a token of theirs.
    pub async fn user_with_roles(&self, username: &str, roles: &[&str]) -> (i64, Client) {
        let body = serde_json::json!({ "username": username, "display_name": username, "email": format!("{username}@bank.example"), "password": ADMIN_PASSWORD, "roles": [] });
        let created = self.admin().post("/api/v1/users", &body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let id = created.json()["id"].as_i64().expect("user id");
        if !roles.is_empty() {
            let ctx = Ctx::system();
            let keys: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            yunwei_core::admin::set_user_roles(&self.core, &ctx, yunwei_domain::ids::UserId(id), &keys).await.expect("roles");
        }
        let hash = yunwei_core::crypto::hash_password(ADMIN_PASSWORD.into()).await.expect("hash");
        let mut conn = self.core.database().writer().await.expect("connection");
        yunwei_store::admin::set_password(&mut conn, yunwei_domain::ids::UserId(id), &hash, false, self.core.now_ms())
            .await
            .expect("password");
        drop(conn);
        let token = yunwei_core::auth::create_token(
            &self.core,
            &Ctx::system(),
            yunwei_domain::ids::UserId(id),
            yunwei_core::auth::NewTokenInput { name: "t".into(), scopes: vec![], expires_in_days: None },
        )
        .await
        .expect("token");
        (id, Client::new(self.addr).bearer(&token.secret))
    }

    /// Runs the dispatcher's work now instead of waiting for its loop.
    /// Expands every due outbox event, and waits for those the server's own dispatcher has
    /// leased but not yet finished, so that a test sees every notice its requests caused.
    pub async fn drain_outbox(&self) {
        for _ in 0..400 {
            let n = yunwei_core::notify::expand_events(&self.core, self.core.config.smtp.is_some()).await.expect("expand");
            if n > 0 {
                continue;
            }
            let now = self.core.now_ms();
            if yunwei_store::notify::unfinished_due_events(self.core.database(), now).await.expect("count outbox") == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the outbox did not drain within 10 s");
    }

    /// Drains the outbox, then waits until no delivery is pending (every due mail and webhook
    /// was attempted). A test that checks something was *not* sent waits for this: anything
    /// its requests caused has then arrived, so a missing one is missing, not late.
    pub async fn settle(&self) {
        self.drain_outbox().await;
        for _ in 0..400 {
            let depths = yunwei_store::notify::queue_depths(self.core.database()).await.expect("queue depths");
            if !depths.iter().any(|(queue, status, n)| queue == "deliveries" && status == "pending" && *n > 0) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("deliveries were still pending after 10 s");
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.core.database().close().await;
        if let Err(e) = self.fresh.drop_now().await {
            panic!("the test database {} was not removed: {e}", self.fresh.name());
        }
    }
}

/// Cleans up always: a test that fails, or never calls [`TestApp::stop`], still stops its
/// server and removes its database (the `FreshDatabase` field's own `Drop` does that).
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
