//! Test set-up that installs what the tests need (feature `testing`), so that the README's
//! test command, `cargo test --workspace`, works on a fresh Debian machine by itself.
//!
//! The real peers the tests talk to — Dovecot for mail in, Chromium and chromedriver for the
//! browser journeys — are Debian packages. When one is missing, [`ensure`] installs it with
//! `apt-get install -y` (`DEBIAN_FRONTEND=noninteractive`), once: test binaries run in
//! parallel processes and tests in parallel threads, so the work happens under a process-wide
//! mutex and a cross-process file lock, and whoever gets the lock second finds the package
//! already there. When the tests do not run as root, apt-get is missing, or
//! `YUNWEI_TEST_NO_INSTALL` is set, it fails with the command to run instead. It never skips:
//! a test that needs a peer fails without it.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// One Debian package a test needs, and how to tell that it is installed.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    pub package: &'static str,
    pub present: fn() -> bool,
}

/// Failed installations of this process, by package: tried once, the same answer afterwards.
fn failures() -> &'static Mutex<HashMap<&'static str, String>> {
    static FAILURES: OnceLock<Mutex<HashMap<&'static str, String>>> = OnceLock::new();
    FAILURES.get_or_init(Default::default)
}

/// Makes sure every package in `needs` is installed, installing the missing ones.
/// `purpose` names what needs them, for the error message.
pub fn ensure(purpose: &str, needs: &[Need]) -> Result<(), String> {
    ensure_with(purpose, needs, std::env::var_os("YUNWEI_TEST_NO_INSTALL").is_none())
}

fn ensure_with(purpose: &str, needs: &[Need], may_install: bool) -> Result<(), String> {
    let missing = |needs: &[Need]| needs.iter().filter(|n| !(n.present)()).map(|n| n.package).collect::<Vec<_>>();
    if missing(needs).is_empty() {
        return Ok(());
    }
    // One thread of this process at a time; the file lock then orders the processes.
    let mut failed = failures().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let lock_path = std::env::temp_dir().join("yunwei-test-setup.lock");
    let lock = File::create(&lock_path).map_err(|e| format!("{purpose}: cannot create {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("{purpose}: cannot lock {}: {e}", lock_path.display()))?;
    let packages = missing(needs);
    if packages.is_empty() {
        return Ok(());
    }
    let command = format!("apt-get install -y {}", packages.join(" "));
    if let Some(earlier) = packages.iter().find_map(|p| failed.get(p)) {
        return Err(earlier.clone());
    }
    let result = install(&packages, &command, may_install).map_err(|reason| {
        format!("{purpose} needs the Debian package(s) {}, which are not installed: {reason}. Run as root: {command}", packages.join(", "))
    });
    let result = result.and_then(|()| {
        let still = missing(needs);
        if still.is_empty() { Ok(()) } else { Err(format!("{purpose}: `{command}` succeeded but {} is still missing", still.join(", "))) }
    });
    if let Err(e) = &result {
        for p in packages {
            failed.insert(p, e.clone());
        }
    }
    drop(lock);
    result
}

fn install(packages: &[&str], command: &str, may_install: bool) -> Result<(), String> {
    if !may_install {
        return Err("YUNWEI_TEST_NO_INSTALL is set, so the tests do not install it".into());
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        return Err("apt-get is not available on this machine (install the package with your system's package manager)".into());
    }
    if !running_as_root() {
        return Err("the tests are not running as root, so they cannot install it".into());
    }
    eprintln!("yunwei tests: installing {} ({command})", packages.join(" "));
    let apt = |args: &[&str]| {
        let out = Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let tail: Vec<&str> = text.lines().rev().take(8).collect();
            Err(format!(
                "apt-get {} exited with {}: {}",
                args.join(" "),
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ))
        }
    };
    let mut args = vec!["install", "-y", "-q"];
    args.extend_from_slice(packages);
    // Package lists on a fresh machine may be missing or stale: refresh them and try again.
    apt(&args).or_else(|_| apt(&["update", "-q"]).and_then(|()| apt(&args)))
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    match status.lines().find_map(|l| l.strip_prefix("Uid:")) {
        // Real, effective, saved, filesystem: the effective one decides.
        Some(ids) => ids.split_whitespace().nth(1) == Some("0"),
        None => Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_present_needs_nothing() {
        assert_eq!(ensure("a test", &[Need { package: "coreutils", present: || true }]), Ok(()));
    }

    #[test]
    fn a_missing_package_that_cannot_be_installed_names_the_command() {
        let need = [Need { package: "yunwei-no-such-package", present: || false }];
        let err = ensure_with("the unit test", &need, false).unwrap_err();
        assert!(err.contains("apt-get install -y yunwei-no-such-package") && err.contains("the unit test"), "{err}");
        assert!(err.contains("YUNWEI_TEST_NO_INSTALL"), "says why it did not install: {err}");
        // Tried once: the same answer, without a second attempt, even where installing is allowed.
        assert_eq!(ensure_with("the unit test", &need, true).unwrap_err(), err);
    }
}
