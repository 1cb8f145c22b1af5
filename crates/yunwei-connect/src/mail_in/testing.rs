//! A real Dovecot IMAP server on loopback for tests (feature `testing`).
//!
//! Needs the Debian package `dovecot-imapd`; when it is missing, [`Dovecot::start`]
//! installs it (`crate::test_setup::ensure`), or panics with a message naming the
//! command to run when it cannot, so tests never skip silently.
//! Nothing of the system installation is used: configuration, passwd file,
//! maildir, sockets and logs all live in a temporary directory, the server
//! listens on 127.0.0.1 on a free port, and it is stopped on drop. The
//! binary is looked up on PATH, then in /usr/sbin (`YUNWEI_DOVECOT` overrides).
//! Works as root (mail then runs as `nobody`) and as an ordinary user.
//!
//! ```no_run
//! # async fn demo() {
//! use yunwei_connect::mail_in::{ImapClient, testing::Dovecot};
//! let dovecot = Dovecot::start().await;
//! dovecot.deliver(b"From: a@bank.example\r\nSubject: hi\r\n\r\nbody\r\n").await;
//! let mut client = ImapClient::connect(&dovecot.settings()).await.unwrap();
//! let mails = client.fetch_new().await.unwrap();
//! # }
//! ```

use super::{ImapClient, ImapSecurity, ImapSettings, syntax};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const USER: &str = "servicedesk";
pub const PASSWORD: &str = "Imap#Test2026";

#[derive(Debug, Clone, Copy, Default)]
pub struct DovecotOptions {
    /// Also serve TLS: STARTTLS on `port`, implicit TLS on `tls_port`, with a
    /// certificate from a throwaway CA (made with the `openssl` command).
    pub tls: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DovecotError {
    #[error("Dovecot is not installed (`{0}`: {1}); install the Debian package: apt-get install dovecot-imapd")]
    Missing(String, String),
    #[error("dovecot fixture: {0}")]
    Setup(String),
    #[error("dovecot did not start: {reason}\n--- dovecot log ---\n{log}")]
    Start { reason: String, log: String },
}

fn setup(context: &str) -> impl Fn(std::io::Error) -> DovecotError + '_ {
    move |e| DovecotError::Setup(format!("{context}: {e}"))
}

pub struct Dovecot {
    /// Plain IMAP (and STARTTLS when started with TLS).
    pub port: u16,
    /// Implicit TLS, when started with TLS.
    pub tls_port: Option<u16>,
    /// The CA certificate (PEM) to trust, when started with TLS.
    pub ca_file: Option<PathBuf>,
    dir: PathBuf,
    child: Child,
}

impl Dovecot {
    pub async fn start() -> Dovecot {
        Self::start_with(DovecotOptions::default()).await
    }

    pub async fn start_with(options: DovecotOptions) -> Dovecot {
        match Self::try_start(options).await {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    pub async fn try_start(options: DovecotOptions) -> Result<Dovecot, DovecotError> {
        let need = crate::test_setup::Need { package: "dovecot-imapd", present: || find_binary().is_ok() };
        crate::test_setup::ensure("the mail-in tests (a real Dovecot IMAP server)", &[need])
            .map_err(|e| DovecotError::Missing("dovecot".into(), e))?;
        let binary = find_binary()?;
        let version = Command::new(&binary).arg("--version").output().map_err(|e| DovecotError::Missing(binary.clone(), e.to_string()))?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
        let dir = make_temp_dir()?;
        let started = Self::start_in(&dir, &binary, &version, options).await;
        if started.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        started
    }

    async fn start_in(dir: &Path, binary: &str, version: &str, options: DovecotOptions) -> Result<Dovecot, DovecotError> {
        let v24 = version_at_least(version, 2, 4);
        let ids = Identity::detect(dir)?;
        let mail_dir = dir.join("mail");
        std::fs::create_dir(&mail_dir).map_err(setup("mail dir"))?;
        if ids.root {
            // Mail processes must not run as root; they run as nobody and own the maildir.
            std::os::unix::fs::chown(&mail_dir, Some(ids.mail_uid), Some(ids.mail_gid)).map_err(setup("chown mail dir"))?;
        }
        std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).map_err(setup("passwd file"))?;
        let ca_file = if options.tls { Some(make_certificates(dir)?) } else { None };
        let mut last_error = None;
        // A free port can be taken between our probe and Dovecot's bind: retry.
        for _ in 0..3 {
            let port = free_port()?;
            let tls_port = if options.tls { Some(free_port()?) } else { None };
            let conf = config(dir, &ids, port, tls_port, v24);
            std::fs::write(dir.join("dovecot.conf"), conf).map_err(setup("dovecot.conf"))?;
            let _ = std::fs::remove_file(dir.join("run").join("master.pid"));
            let out = std::fs::File::create(dir.join("stdout.log")).map_err(setup("stdout log"))?;
            let err = out.try_clone().map_err(setup("stderr log"))?;
            let mut child = Command::new(binary)
                .arg("-F")
                .arg("-c")
                .arg(dir.join("dovecot.conf"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| DovecotError::Missing(binary.to_string(), e.to_string()))?;
            match wait_ready(&mut child, port).await {
                Ok(()) => return Ok(Dovecot { port, tls_port, ca_file, dir: dir.to_path_buf(), child }),
                Err(reason) => {
                    stop(&mut child);
                    let log = read_log(dir);
                    let port_taken = log.contains("Address already in use");
                    last_error = Some(DovecotError::Start { reason: format!("{reason} (dovecot {version})"), log });
                    if !port_taken {
                        break;
                    }
                }
            }
        }
        Err(last_error.unwrap_or_else(|| DovecotError::Setup("no attempt made".into())))
    }

    /// Plain-text settings for the test account (fine on loopback).
    pub fn settings(&self) -> ImapSettings {
        let mut s = ImapSettings::new("127.0.0.1", self.port, ImapSecurity::None, USER, PASSWORD);
        s.timeout_seconds = 10;
        s
    }

    /// Settings for STARTTLS or implicit TLS, trusting the fixture's CA.
    /// Panics unless started with `tls: true`.
    pub fn tls_settings(&self, security: ImapSecurity) -> ImapSettings {
        let (Some(tls_port), Some(ca)) = (self.tls_port, &self.ca_file) else {
            panic!("Dovecot was started without TLS: use Dovecot::start_with(DovecotOptions {{ tls: true }})");
        };
        let mut s = self.settings();
        s.security = security;
        s.port = if security == ImapSecurity::Tls { tls_port } else { self.port };
        s.tls_ca_file = Some(ca.display().to_string());
        s
    }

    /// Puts a message into INBOX (IMAP APPEND), unread.
    pub async fn deliver(&self, raw: &[u8]) {
        self.deliver_to("INBOX", raw).await;
    }

    pub async fn deliver_to(&self, mailbox: &str, raw: &[u8]) {
        let result = async {
            let mut client = ImapClient::connect(&self.settings()).await?;
            client.append(mailbox, raw).await?;
            client.logout().await
        }
        .await;
        if let Err(e) = result {
            panic!("delivering to Dovecot failed: {e}\n--- dovecot log ---\n{}", self.log());
        }
    }

    /// The files of the messages in `mailbox`, read from the maildir on disk,
    /// oldest first: to check where processed mail went without going
    /// through IMAP, or to damage a message.
    pub fn message_files(&self, mailbox: &str) -> Vec<PathBuf> {
        let mut base = self.dir.join("mail").join(USER);
        if !mailbox.eq_ignore_ascii_case("INBOX") {
            base = base.join(format!(".{}", syntax::encode_mailbox(mailbox)));
        }
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(base.join(sub)).ok())
            .flat_map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect::<Vec<_>>())
            .collect();
        // Maildir names start with the delivery time.
        files.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
        files
    }

    pub fn message_count(&self, mailbox: &str) -> usize {
        self.message_files(mailbox).len()
    }

    /// Dovecot's own log, for failure messages.
    pub fn log(&self) -> String {
        read_log(&self.dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    use tokio::io::AsyncReadExt;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("dovecot exited with {status}"));
        }
        if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let mut buf = [0u8; 64];
            if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await
                && buf[..n].starts_with(b"* OK")
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("no IMAP greeting within 20 s".into())
}

/// SIGTERM lets the master stop its children; SIGKILL if it dawdles.
fn stop(child: &mut Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn read_log(dir: &Path) -> String {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    format!("{}{}", read("dovecot.log"), read("stdout.log"))
}

fn find_binary() -> Result<String, DovecotError> {
    if let Ok(explicit) = std::env::var("YUNWEI_DOVECOT") {
        return Ok(explicit);
    }
    let in_path =
        std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).map(|d| d.join("dovecot"));
    // Debian puts it in /usr/sbin, which is not on a normal user's PATH.
    let known = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"].into_iter().map(PathBuf::from);
    in_path
        .chain(known)
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
        .ok_or_else(|| DovecotError::Missing("dovecot".into(), "not found on PATH or in /usr/sbin".into()))
}

fn version_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    let (ma, mi) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (ma, mi) >= (major, minor)
}

fn make_temp_dir() -> Result<PathBuf, DovecotError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    // Short: Dovecot's unix sockets live under it and paths are capped at 108 bytes.
    let dir =
        std::env::temp_dir().join(format!("ywdc-{}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000));
    std::fs::create_dir(&dir).map_err(setup("temp dir"))?;
    // Login and mail processes run as other users when we are root.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).map_err(setup("temp dir mode"))?;
    Ok(dir)
}

fn free_port() -> Result<u16, DovecotError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(setup("probe port"))?;
    Ok(l.local_addr().map_err(setup("probe port"))?.port())
}

/// Which users the Dovecot processes run as. As root: login as dovenull (or
/// nobody), mail as nobody, since Dovecot refuses root for both. Otherwise
/// everything runs as the current user.
struct Identity {
    root: bool,
    internal_user: String,
    internal_group: String,
    login_user: String,
    mail_uid: u32,
    mail_gid: u32,
}

impl Identity {
    fn detect(dir: &Path) -> Result<Identity, DovecotError> {
        let meta = std::fs::metadata(dir).map_err(setup("temp dir"))?;
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
        let users: Vec<Vec<&str>> = passwd.lines().map(|l| l.split(':').collect::<Vec<_>>()).filter(|f| f.len() >= 4).collect();
        let by_name = |name: &str| users.iter().find(|f| f[0] == name);
        let name_of_uid = |uid: u32| users.iter().find(|f| f[2] == uid.to_string()).map(|f| f[0].to_string());
        let name_of_gid = |gid: u32| {
            group
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() >= 3 && f[2] == gid.to_string())
                .map(|f| f[0].to_string())
        };
        if meta.uid() == 0 {
            let nobody = by_name("nobody").ok_or_else(|| DovecotError::Setup("running as root needs a `nobody` user".into()))?;
            let num = |s: &str| s.parse::<u32>().map_err(|_| DovecotError::Setup("bad /etc/passwd entry for nobody".into()));
            let (mail_uid, mail_gid) = (num(nobody[2])?, num(nobody[3])?);
            let login_user = if by_name("dovenull").is_some() { "dovenull" } else { "nobody" };
            return Ok(Identity {
                root: true,
                internal_user: "root".into(),
                internal_group: "root".into(),
                login_user: login_user.into(),
                mail_uid,
                mail_gid,
            });
        }
        let user = name_of_uid(meta.uid())
            .or_else(|| std::env::var("USER").ok())
            .ok_or_else(|| DovecotError::Setup(format!("uid {} has no user name; Dovecot needs one", meta.uid())))?;
        let group = name_of_gid(meta.gid()).unwrap_or_else(|| user.clone());
        Ok(Identity {
            root: false,
            internal_user: user.clone(),
            internal_group: group,
            login_user: user,
            mail_uid: meta.uid(),
            mail_gid: meta.gid(),
        })
    }
}

fn config(dir: &Path, ids: &Identity, port: u16, tls_port: Option<u16>, v24: bool) -> String {
    let d = dir.display();
    let Identity { internal_user, internal_group, login_user, mail_uid, mail_gid, .. } = ids;
    let imaps = tls_port.unwrap_or(0);
    let tls = tls_port.is_some();
    if v24 {
        // Dovecot 2.4 syntax (Debian 13), written from its documentation and
        // not yet run here; 2.3 below (Debian 12) is what CI uses.
        let ssl = if tls {
            format!("ssl = yes\nssl_server_cert_file = {d}/server.pem\nssl_server_key_file = {d}/server.key\n")
        } else {
            "ssl = no\n".into()
        };
        return format!(
            "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n\
             base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\n{ssl}auth_allow_cleartext = yes\nauth_mechanisms = plain login\n\
             default_internal_user = {internal_user}\ndefault_internal_group = {internal_group}\ndefault_login_user = {login_user}\n\
             first_valid_uid = {mail_uid}\nfirst_valid_gid = 0\n\
             mail_driver = maildir\nmail_home = {d}/mail/%{{user}}\nmail_path = {d}/mail/%{{user}}\n\
             passdb passwd-file {{\n  passwd_file_path = {d}/passwd\n}}\n\
             userdb static {{\n  fields {{\n    uid = {mail_uid}\n    gid = {mail_gid}\n    home = {d}/mail/%{{user}}\n  }}\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = {imaps}\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
    }
    let ssl = if tls { format!("ssl = yes\nssl_cert = <{d}/server.pem\nssl_key = <{d}/server.key\n") } else { "ssl = no\n".into() };
    format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         protocols = imap\nlisten = 127.0.0.1\n{ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
         default_internal_user = {internal_user}\ndefault_internal_group = {internal_group}\ndefault_login_user = {login_user}\n\
         first_valid_uid = {mail_uid}\nfirst_valid_gid = 0\n\
         mail_location = maildir:{d}/mail/%u\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={mail_uid} gid={mail_gid} home={d}/mail/%u\n}}\n\
         service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = {imaps}\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n"
    )
}

/// A throwaway CA and a server certificate for 127.0.0.1/localhost, made with
/// the openssl command (present wherever ca-certificates is). Returns the CA file.
fn make_certificates(dir: &Path) -> Result<PathBuf, DovecotError> {
    let run = |args: &[&str]| -> Result<(), DovecotError> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| DovecotError::Setup(format!("openssl (needed for the TLS fixture): {e}")))?;
        if !out.status.success() {
            return Err(DovecotError::Setup(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr))));
        }
        Ok(())
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Yunwei Test CA"]].concat())?;
    run(&[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat())?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(setup("server.ext"))?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ])?;
    Ok(dir.join("ca.pem"))
}
