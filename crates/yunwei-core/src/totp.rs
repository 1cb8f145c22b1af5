//! TOTP (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits) with ±1 step of clock skew, through the
//! maintained `totp-rs` and `base32` crates; what is ours is the step that matched (so a code
//! cannot be replayed), the otpauth URI and the QR code.

use totp_rs::{Algorithm, TOTP};

pub const STEP_SECONDS: i64 = 30;
const BASE32: base32::Alphabet = base32::Alphabet::Rfc4648 { padding: false };

pub fn base32_encode(bytes: &[u8]) -> String {
    base32::encode(BASE32, bytes)
}

/// Case, spaces and padding as people type them are forgiven.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let clean: String = text.chars().filter(|c| *c != '=' && !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    base32::decode(BASE32, &clean)
}

fn totp(secret: &[u8]) -> TOTP {
    // Unchecked: secrets made here are 160 bits; the check only refuses short ones.
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, STEP_SECONDS.unsigned_abs(), secret.to_vec())
}

/// The code for one time step.
pub fn code_at(secret: &[u8], step: i64) -> String {
    totp(secret).generate(u64::try_from(step).unwrap_or(0) * STEP_SECONDS.unsigned_abs())
}

/// The time step a code is valid for, within ±1 step of `now_ms`.
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret);
    let now_step = now_ms.div_euclid(1000 * STEP_SECONDS);
    // `check` compares in constant time; with no skew of its own it answers for one step.
    [now_step - 1, now_step, now_step + 1]
        .into_iter()
        .find(|s| u64::try_from(*s).is_ok_and(|s| totp.check(code, s * STEP_SECONDS.unsigned_abs())))
}
/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn provisioning_uri(secret_b32: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        secret_b32,
        enc(issuer)
    )
}

/// The URI as an SVG QR code.
pub fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last six digits.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59 / 30), "287082");
        assert_eq!(code_at(secret, 1_111_111_109 / 30), "081804");
        assert_eq!(code_at(secret, 2_000_000_000 / 30), "279037");
    }

    #[test]
    fn base32_round_trip_and_rfc4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn skew_window() {
        let secret = b"12345678901234567890";
        let now = 1_000_000_000_000i64;
        let step = now / 30_000;
        assert_eq!(matching_step(secret, &code_at(secret, step - 1), now), Some(step - 1));
        assert_eq!(matching_step(secret, &code_at(secret, step - 2), now), None);
        assert_eq!(matching_step(secret, "12345", now), None);
    }
}
