//! Who may read the reports: marketers' accounts (argon2 password hashes), their
//! sign-in sessions (a cookie) and API tokens (a bearer header).
//!
//! Session and API tokens are 256 random bits, shown once; the store keeps only their
//! BLAKE3 hash, so a copy of the database signs nobody in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "spur_session";
/// How long a sign-in lasts.
pub const SESSION_DAYS: i64 = 7;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A password's PHC string (argon2id, default parameters, random salt).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that a wrong email
/// takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// A new session or API token: 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// A new random password for the demo account.
pub fn new_password() -> String {
    new_token()[..16].to_owned()
}

/// An email as accounts are kept and looked up: trimmed and in lower case (every mail
/// provider treats addresses that way, and people type them either way).
pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The account an address names: kept in lower case, or (made before that) as typed.
pub fn find_user(
    store: &dyn crate::store::Store,
    typed: &str,
) -> anyhow::Result<Option<(i64, String)>> {
    let typed = typed.trim();
    let email = normal_email(typed);
    match store.user(&email)? {
        None if typed != email => store.user(typed),
        found => Ok(found),
    }
}

/// An account's email: something@something, at most 254 characters, no spaces.
pub fn valid_email(email: &str) -> bool {
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && !host.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Checks a new password; the error says why it is refused.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("x", "not a hash"));
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(valid_email("ann@shop.example"));
        assert!(!valid_email("ann shop@example"));
        assert!(!valid_email("@example"));
        assert!(check_password("short").is_err());
    }
}
