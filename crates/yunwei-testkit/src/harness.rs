//! Use cases tested without HTTP: a [`Core`] on a fresh test database (SQLite, or the
//! PostgreSQL server named by `YUNWEI_TEST_DATABASE_URL`), seeded as on a first start,
//! and contexts for seeded users, so a test calls `yunwei_core::…` functions directly.
//! No web server, dispatcher or scheduler runs: events wait in the outbox until
//! [`TestCore::drain_outbox`]. The database is removed on [`TestCore::stop`] or on drop.
//!
//! ```no_run
//! # async fn demo() {
//! use yunwei_testkit::harness::TestCore;
//! let t = TestCore::start().await;
//! let director = t.user("zhou.zhihui", &["ops_director"]).await;
//! let input = serde_json::from_value(serde_json::json!({
//!     "title": "ATM 网络中断", "description": "朝阳支行", "impact": "high", "urgency": "high" })).unwrap();
//! let incident = yunwei_core::incident::create(&t.core, &director, input).await.unwrap();
//! assert!(incident.number.starts_with("INC-"));
//! t.stop().await;
//! # }
//! ```

use crate::ADMIN_PASSWORD;
use std::sync::Arc;
use yunwei_core::context::{RequestMeta, Via};
use yunwei_core::{Clock, Core, CoreConfig, Ctx, SystemClock};
use yunwei_domain::ids::UserId;
use yunwei_store::testing::FreshDatabase;

pub struct TestCore {
    pub core: Core,
    pub fresh: FreshDatabase,
    /// The initial administrator (role system_admin).
    pub admin_id: UserId,
}

impl TestCore {
    pub async fn start() -> TestCore {
        Self::start_with(CoreConfig::default(), Arc::new(SystemClock)).await
    }

    pub async fn start_with(config: CoreConfig, clock: Arc<dyn Clock>) -> TestCore {
        let (core, fresh, admin_id) = crate::prepared_core(Some(config), Some(clock), false).await;
        TestCore { core, fresh, admin_id }
    }

    /// The server's own command line: every permission.
    pub fn system(&self) -> Ctx {
        Ctx::system()
    }

    /// The context of an existing user as if signed in with a session (what the web layer
    /// builds for a browser), with their roles, teams and place as stored now.
    pub async fn ctx_for(&self, user: UserId) -> Ctx {
        let actor = yunwei_core::auth::build_actor(&self.core, user, Via::Session, None).await.expect("actor");
        Ctx { actor: Some(actor), meta: RequestMeta { source_ip: "127.0.0.1".into(), user_agent: "yunwei-testkit".into() } }
    }

    /// Creates a user with the given role keys (password ADMIN_PASSWORD, nothing owed at
    /// sign-in) and returns their session context.
    pub async fn user(&self, username: &str, roles: &[&str]) -> Ctx {
        self.ctx_for(self.user_id(username, roles).await).await
    }

    /// As [`user`](Self::user), returning the id.
    pub async fn user_id(&self, username: &str, roles: &[&str]) -> UserId {
        let input = serde_json::from_value(serde_json::json!({
            "username": username, "display_name": username, "email": format!("{username}@bank.example"),
            "password": ADMIN_PASSWORD, "roles": []
        }))
        .expect("new user");
        let created = yunwei_core::admin::create_user(&self.core, &Ctx::system(), input).await.expect("create user");
        let id = created.user.user.id;
        if !roles.is_empty() {
            let keys: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            yunwei_core::admin::set_user_roles(&self.core, &Ctx::system(), id, &keys).await.expect("roles");
        }
        let mut conn = self.core.database().writer().await.expect("connection");
        yunwei_store::admin::set_must_change_password(&mut conn, id, false).await.expect("password flag");
        id
    }

    /// Expands every due outbox event into notices and deliveries (no dispatcher runs here).
    pub async fn drain_outbox(&self) {
        for _ in 0..1000 {
            if yunwei_core::notify::expand_events(&self.core, self.core.config.smtp.is_some()).await.expect("expand") == 0 {
                return;
            }
        }
        panic!("the outbox kept producing events");
    }

    pub async fn stop(self) {
        self.core.database().close().await;
        if let Err(e) = self.fresh.drop_now().await {
            panic!("the test database {} was not removed: {e}", self.fresh.name());
        }
    }
}
