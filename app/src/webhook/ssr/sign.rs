//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>):
//! the secret is `whsec_` + base64 of random bytes; the signature is
//! `v1,` + base64(HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>")).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: 32 random bytes from the OS.
pub fn new_secret() -> Result<String, crate::AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(crate::AppError::internal)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` header for one message, or `None` when the
/// secret is not one [`new_secret`] made.
pub fn signature(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference libraries.
    #[test]
    fn signs_the_standard_webhooks_reference_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn a_secret_without_the_prefix_or_not_base64_signs_nothing() {
        assert_eq!(signature("MfKQ9r8GKYqrTwjUPD8I", "m", 1, b""), None);
        assert_eq!(signature("whsec_***", "m", 1, b""), None);
    }

    #[test]
    fn new_secrets_differ_and_sign() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert!(signature(&a, "m", 1, b"x").is_some());
    }
}
