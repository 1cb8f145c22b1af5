//! `yunwei`: the one binary. Serves, migrates, administers, backs up, benchmarks.

mod backup;
mod bench;
mod bench_change_calendar;
mod bench_crawl;
mod bench_import;
mod bench_knowledge;
mod bench_oncall;
mod bench_problem;
mod config;
mod lock;
mod open;

use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use open::{open_read_only, open_tool, retry_busy};
use std::path::PathBuf;
use std::process::ExitCode;
use yunwei_core::{Core, Ctx};

#[derive(Parser)]
#[command(name = "yunwei", version, about = "Yunwei (运维): IT operations and service management")]
struct Cli {
    /// Configuration file (default: ./yunwei.toml if present).
    #[arg(long, global = true, env = "YUNWEI_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Data directory (SQLite file, audit archives).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://…
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies migrations first unless --no-migrate).
    Serve {
        /// Load the demo organisation (departments, teams, a user in every role).
        #[arg(long)]
        demo: bool,
        /// Do not apply database migrations at start; refuse to start if the schema is behind
        /// (for deployments that run `yunwei migrate` as a separate, reviewed step).
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo organisation and service desk into the database and exit.
    Demo {
        /// Also bulk-load this many generated incidents (with timelines, SLA data and search terms).
        #[arg(long, default_value_t = 0)]
        incidents: u64,
        /// Also bulk-load about this many generated CIs (services → applications → instances →
        /// clusters of 2–8 VMs → servers → racks → power), for the impact benchmark.
        #[arg(long, default_value_t = 0)]
        cis: u64,
        /// Relations among the generated CIs (default: three per CI).
        #[arg(long)]
        relations: Option<u64>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Full-text search index tools.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Copy the SQLite database to a file, safely while the server runs.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the SQLite database with a backup (the server must be stopped).
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// Overwrite an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Load-test a server on a temporary database over loopback HTTP.
    Bench(bench::BenchArgs),
    /// Print the OpenAPI 3.1 document (the same as GET /api/openapi.json).
    Openapi,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints the generated password unless one is given.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Role keys, comma separated (e.g. security_admin).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        #[arg(long, env = "YUNWEI_NEW_USER_PASSWORD")]
        password: Option<String>,
    },
    /// Set a temporary password (to be changed at sign-in) and unlock.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (shown once).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Scopes, comma separated: *, read, object:*, object:action.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Empty the index and index every incident and service request again (safe while serving).
    Rebuild,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exit code 1 and the first broken link if any.
    Verify,
    /// Move entries past the retention period to the archive file now.
    Archive,
}

#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Core(#[from] yunwei_core::CoreError),
    #[error(transparent)]
    Store(#[from] yunwei_store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        config: cli.config.clone(),
        listen: cli.listen.clone(),
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
    };
    let config = match Config::load(&overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("yunwei: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config.server.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("yunwei: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            // 2, so that scripts can tell "could not run" from a command's own 1 (e.g. a broken audit chain).
            eprintln!("yunwei: {e}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(format: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("YUNWEI_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(command: Command, config: Config) -> Result<ExitCode, AppError> {
    match command {
        Command::Serve { demo, no_migrate } => serve(config, demo, no_migrate).await,
        Command::Migrate => {
            let core = open_tool(&config, true).await?;
            println!("schema at version {}", yunwei_store::migrate::current_version(core.database()).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { incidents, cis, relations } => {
            let core = open_tool(&config, true).await?;
            let core = &core;
            let n = retry_busy(|| async { Ok(yunwei_core::demo::load(core).await?) }).await?;
            println!("demo organisation loaded: {n} users created (password {})", yunwei_core::demo::DEMO_PASSWORD);
            let samples = retry_busy(|| async { Ok(yunwei_core::demo::load_desk(core).await?) }).await?;
            println!("service desk: {samples} sample incidents");
            let requests = retry_busy(|| async { Ok(yunwei_core::demo::load_requests(core).await?) }).await?;
            println!("service requests: {requests} sample requests");
            if incidents > 0 {
                let started = std::time::Instant::now();
                let mut last = 0;
                let written = yunwei_core::demo::load_incidents(core, incidents, |done| {
                    if done - last >= 100_000 || done == incidents {
                        last = done;
                        eprintln!("  {done} incidents ({:.1} s)", started.elapsed().as_secs_f64());
                    }
                })
                .await?;
                println!("{written} incidents loaded in {:.1} s", started.elapsed().as_secs_f64());
            }
            if cis > 0 {
                let started = std::time::Instant::now();
                let mut last = 0;
                let relations = relations.unwrap_or(cis.saturating_mul(3));
                let loaded = yunwei_core::demo::cmdb::load_cis(core, cis, relations, |c, r| {
                    if c + r - last >= 500_000 {
                        last = c + r;
                        eprintln!("  {c} CIs, {r} relations ({:.1} s)", started.elapsed().as_secs_f64());
                    }
                })
                .await?;
                println!("{} CIs and {} relations loaded in {:.1} s", loaded.cis, loaded.relations, started.elapsed().as_secs_f64());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            let core = open_tool(&config, true).await?;
            let (core, ctx) = (&core, &Ctx::system());
            match command {
                UserCommand::Create { username, display_name, email, roles, password } => {
                    let input = yunwei_core::admin::NewUser {
                        display_name: display_name.unwrap_or_else(|| username.clone()),
                        username,
                        email,
                        phone: None,
                        department_id: None,
                        manager_id: None,
                        locale: None,
                        time_zone: None,
                        password,
                        roles,
                        teams: Vec::new(),
                    };
                    let input = &input;
                    let created = retry_busy(|| async { Ok(yunwei_core::admin::create_user(core, ctx, input.clone()).await?) }).await?;
                    println!("created user {} (id {})", created.user.user.username, created.user.user.id);
                    if let Some(p) = created.initial_password {
                        println!("initial password (change at first sign-in): {p}");
                    }
                }
                UserCommand::ResetPassword { username } => {
                    let username = &username;
                    let p = retry_busy(|| async {
                        let user = user_named(core, username).await?;
                        Ok(yunwei_core::auth::reset_password(core, ctx, user.id).await?)
                    })
                    .await?;
                    println!("temporary password for {username} (change at sign-in): {p}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command: TokenCommand::Create { user, name, scope, expires_in_days } } => {
            let core = open_tool(&config, true).await?;
            let (core, user, name, scope) = (&core, &user, &name, &scope);
            let t = retry_busy(|| async {
                let u = user_named(core, user).await?;
                let input = yunwei_core::auth::NewTokenInput { name: name.clone(), scopes: scope.clone(), expires_in_days };
                Ok(yunwei_core::auth::create_token(core, &Ctx::system(), u.id, input).await?)
            })
            .await?;
            println!("{}", t.secret);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command } => match command {
            AuditCommand::Verify => {
                let core = open_read_only(&config).await?;
                let v = retry_busy(|| async { Ok(yunwei_core::audit::verify(&core, &Ctx::system()).await?) }).await?;
                Ok(report_verification(&core, &v))
            }
            AuditCommand::Archive => {
                let core = open_tool(&config, false).await?;
                let n = retry_busy(|| async { Ok(yunwei_core::audit::archive_expired(&core).await?) }).await?;
                println!("{n} entries archived");
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Search { command: SearchCommand::Rebuild } => {
            let core = open_tool(&config, false).await?;
            let n = retry_busy(|| async { Ok(yunwei_core::search::rebuild(&core).await?) }).await?;
            println!("{n} records indexed");
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { to } => backup::backup(&config, &to).await,
        Command::Restore { from, force } => backup::restore(&config, &from, force).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&yunwei_web::openapi::build()).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The user of that name (user names are kept in lower case).
async fn user_named(core: &Core, username: &str) -> Result<yunwei_store::admin::User, AppError> {
    yunwei_store::admin::get_user_by_username(&core.database().read, &username.to_lowercase())
        .await?
        .ok_or_else(|| AppError::Other(format!("no user {username}")))
}

/// Exit code 0: intact; 1: broken, the first problem printed; 2 (from `main`): could not run.
fn report_verification(core: &Core, v: &yunwei_store::audit::Verification) -> ExitCode {
    for w in &v.warnings {
        match *w {
            "no_checkpoint_file" => println!(
                "warning: no checkpoint file at {}: only the hash chain was checked (newest entries deleted, or a chain recomputed, would not be found)",
                core.config.audit_checkpoint_path().display()
            ),
            "anchor_without_content_hash" => println!(
                "warning: the archive anchor predates content hashes: its file was checked entry by entry; the next archive run records its SHA-256"
            ),
            other => println!("warning: {other}"),
        }
    }
    match &v.broken {
        None => {
            let latest = v.latest_checkpoint_seq.map(|s| format!(", latest at entry {s}")).unwrap_or_default();
            println!("audit chain intact: {} entries checked, {} checkpoints matched{latest}", v.checked, v.checkpoints);
            ExitCode::SUCCESS
        }
        Some(b) => {
            println!(
                "audit chain BROKEN at seq {} (found {:?}): {:?}; {} entries verified before it",
                b.expected_seq, b.found_seq, b.reason, v.checked
            );
            if let Some(d) = &b.detail {
                println!("  {d}");
            }
            ExitCode::from(1)
        }
    }
}

/// Refuses to start without a usable audit key and checkpoint file (made on first start).
fn check_audit_key(config: &Config) -> Result<(), AppError> {
    let checkpointer = yunwei_core::audit_checkpoint::Checkpointer::open(&config.core).map_err(|e| AppError::Other(e.to_string()))?;
    let key = config.core.audit_key_path();
    let in_data_dir = |p: &std::path::Path| {
        let abs = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        abs(p).starts_with(abs(&config.server.data_dir))
    };
    if config.database_url().starts_with("sqlite:") && (in_data_dir(&key) || in_data_dir(checkpointer.file())) {
        tracing::warn!(
            key = %key.display(),
            checkpoints = %checkpointer.file().display(),
            "the audit key or checkpoint file is in the data directory beside the database: whoever can change the database file can also reach them; set core.audit_key_file and core.audit_checkpoint_file (see the administrator guide)"
        );
    }
    Ok(())
}

async fn serve(config: Config, demo: bool, no_migrate: bool) -> Result<ExitCode, AppError> {
    let _lock = backup::lock_data_dir(&config)?;
    let core = open::open_serve(&config, !no_migrate).await?;
    check_audit_key(&config)?;
    let admin_password = std::env::var("YUNWEI_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
    let username = &config.server.admin_username;
    let seeded = match yunwei_core::seed::initial_admin(&core, username, admin_password).await {
        // Said in words, in the language of whoever started the server, with what the policy asks.
        Err(yunwei_core::CoreError::Domain(yunwei_domain::DomainError::WeakPassword(broken))) => {
            let tr = yunwei_web::startup::terminal_tr(&core.config.default_locale);
            return Err(AppError::Other(yunwei_web::startup::weak_admin_password(tr, username, &broken, &core.config.password_policy())));
        }
        other => other?,
    };
    if let Some(generated) = seeded {
        println!(
            "\n==== Yunwei initial administrator ====\n  user:     {}\n  password: {generated}\n  (shown once; change it after signing in)\n======================================\n",
            config.server.admin_username
        );
    }
    if demo {
        let n = yunwei_core::demo::load(&core).await?;
        // The shared password goes to the terminal once, never into the log.
        tracing::info!(users = n, "demo organisation loaded");
        println!("Demo organisation loaded: {n} users, all with the password {}", yunwei_core::demo::DEMO_PASSWORD);
        let samples = yunwei_core::demo::load_desk(&core).await?;
        tracing::info!(incidents = samples, "demo service desk loaded");
        let requests = yunwei_core::demo::load_requests(&core).await?;
        tracing::info!(requests, "demo service requests loaded");
    }
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .map_err(|e| AppError::Other(format!("cannot listen on {}: {e}", config.server.listen)))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = core.database().url_redacted(), node = %core.node_id, "Yunwei is serving");
    println!("Yunwei listening on http://{addr}");
    yunwei_web::serve(core.clone(), config.web.clone(), listener, shutdown_signal()).await?;
    core.database().close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
