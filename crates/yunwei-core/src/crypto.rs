//! Hashing and randomness: Argon2id for passwords (off the async threads),
//! SHA-256 for high-entropy secrets (tokens, session ids, recovery codes).

use crate::{CoreError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CoreError::Internal(format!("random: {e}")))?;
    Ok(buf)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A URL-safe random secret of `N` bytes (hex).
pub fn random_secret<const N: usize>() -> Result<String> {
    Ok(hex(&random_bytes::<N>()?))
}

pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes), run on a blocking thread.
pub async fn hash_password(password: String) -> Result<String> {
    let salt_bytes = random_bytes::<16>()?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| CoreError::Internal(e.to_string()))?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| CoreError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| CoreError::Internal(e.to_string()))?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Compares secrets without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How hard a password is to guess, as zxcvbn scores it (0–4), counting the user's own names
/// as dictionary words.
pub fn password_strength(password: &str, user_inputs: &[&str]) -> u8 {
    u8::from(zxcvbn::zxcvbn(password, user_inputs).score())
}

/// Checks a new password against the policy with a strength estimate.
pub fn check_password(policy: &yunwei_domain::auth::PasswordPolicy, password: &str, username: &str, reused: bool) -> crate::Result<()> {
    // zxcvbn's matching grows with length; past the policy's maximum the length rule refuses anyway.
    let strength =
        if password.chars().count() <= yunwei_domain::auth::MAX_PASSWORD_LENGTH { password_strength(password, &[username]) } else { 4 };
    Ok(policy.check(password, username, reused, strength)?)
}

#[cfg(test)]
mod strength_tests {
    #[test]
    fn guessable_passwords_score_low_and_phrases_high() {
        for weak in ["Abcdef1!", "Password123!", "Qwerty@123456", "zhangsan2026"] {
            assert!(super::password_strength(weak, &["zhangsan"]) < 3, "{weak}");
        }
        for strong in ["Kx7#vQ2m!Lp9zR", "瀑布-Lantern-47-Orbit"] {
            assert!(super::password_strength(strong, &["zhangsan"]) >= 3, "{strong}");
        }
    }
}
