//! Pseudonymous visitor ids.
//!
//! Anonymous (cookieless) mode, the default:
//! `visitor = keyed_hash(salt_of_today, site ‖ ip ‖ user agent)`, truncated to 64 bits.
//! The salt is random, lives in the store (so every collector process agrees on it) and
//! is deleted when the UTC day changes: afterwards nobody, including us, can link an IP
//! address to a visitor id. The raw IP address is never stored.
//!
//! Consent mode (the visitor agreed, `spur.consent(true)`): the tracker sends a random
//! first-party id (`uid`), and `visitor = keyed_hash(install secret, site ‖ uid)`, stable
//! across days so journeys can span them. The uid itself is not stored either.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::store::Store;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Computes visitor ids; caches today's salt so the request path reads the store once a
/// day. The `Mutex` guards a 40-byte value and is never held across an `.await`.
pub struct Visitors {
    store: Arc<dyn Store>,
    today: Mutex<Option<(i64, [u8; 32])>>,
    consent_key: [u8; 32],
}

/// The store secret that keys consented visitor ids.
pub const SECRET_NAME: &str = "consented-visitor-key";

/// Whether `uid` has the shape the tracker gives first-party ids (that of event ids).
pub fn valid_uid(uid: &str) -> bool {
    crate::event::is_token(uid)
}

/// The visitor id of a consented visitor: stable for as long as the install secret.
pub fn consented_id(key: &[u8; 32], site: &str, uid: &str) -> u64 {
    digest(key, &[b"consented", site.as_bytes(), uid.as_bytes()])
}

/// The longest customer reference (`spur.identify`), in characters.
pub const MAX_CUSTOMER_CHARS: usize = 128;

/// A customer reference as ingest takes it: 1 to [`MAX_CUSTOMER_CHARS`] characters,
/// none of them a control character, not blank.
pub fn valid_customer(customer: &str) -> bool {
    !customer.trim().is_empty()
        && customer.chars().count() <= MAX_CUSTOMER_CHARS
        && !customer.chars().any(char::is_control)
}

/// The visitor id of a customer the site identified: the same on every device, for as
/// long as the install secret. (Another domain than consented ids: a uid and a
/// reference that happen to be equal are two visitors.)
pub fn identified_id(key: &[u8; 32], site: &str, customer: &str) -> u64 {
    digest(key, &[b"identified", site.as_bytes(), customer.as_bytes()])
}

impl Visitors {
    /// Reads the install secret from the store (once, at start-up).
    pub fn new(store: Arc<dyn Store>) -> anyhow::Result<Visitors> {
        let consent_key = store.secret(SECRET_NAME)?;
        Ok(Visitors {
            store,
            today: Mutex::new(None),
            consent_key,
        })
    }

    /// The visitor id for a visitor who consented and has the first-party id `uid`.
    pub fn consented(&self, site: &str, uid: &str) -> u64 {
        consented_id(&self.consent_key, site, uid)
    }

    /// The visitor id for the customer the site identified as `customer`.
    pub fn identified(&self, site: &str, customer: &str) -> u64 {
        identified_id(&self.consent_key, site, customer)
    }

    /// The visitor id for a request received at `now_ms`.
    ///
    /// Blocks on the store when the day's salt is not cached yet: call it from a
    /// blocking context, or through [`Visitors::cached_id`] first.
    pub fn id(&self, now_ms: i64, site: &str, ip: IpAddr, user_agent: &str) -> anyhow::Result<u64> {
        if let Some(id) = self.cached_id(now_ms, site, ip, user_agent) {
            return Ok(id);
        }
        let day = now_ms.div_euclid(DAY_MS);
        let salt = self.store.daily_salt(day)?;
        *self.today.lock().unwrap_or_else(|e| e.into_inner()) = Some((day, salt));
        Ok(hash(&salt, site, ip, user_agent))
    }

    /// The visitor id if today's salt is cached; never blocks on I/O.
    pub fn cached_id(&self, now_ms: i64, site: &str, ip: IpAddr, user_agent: &str) -> Option<u64> {
        let day = now_ms.div_euclid(DAY_MS);
        let cached = *self.today.lock().unwrap_or_else(|e| e.into_inner());
        match cached {
            Some((cached_day, salt)) if cached_day == day => {
                Some(hash(&salt, site, ip, user_agent))
            }
            _ => None,
        }
    }
}

fn hash(salt: &[u8; 32], site: &str, ip: IpAddr, user_agent: &str) -> u64 {
    digest(
        salt,
        &[
            site.as_bytes(),
            ip.to_string().as_bytes(),
            user_agent.as_bytes(),
        ],
    )
}

fn digest(key: &[u8; 32], parts: &[&[u8]]) -> u64 {
    let mut hasher = blake3::Hasher::new_keyed(key);
    // Length-prefix each part so ("ab", "c") and ("a", "bc") cannot collide.
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn same_day_same_id_next_day_unlinkable() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let visitors = Visitors::new(store.clone()).unwrap();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let noon = 20_000 * DAY_MS + DAY_MS / 2;
        assert_eq!(visitors.cached_id(noon, "demo", ip, "UA"), None);
        let a = visitors.id(noon, "demo", ip, "UA").unwrap();
        assert_eq!(visitors.cached_id(noon + 1000, "demo", ip, "UA"), Some(a));
        assert_ne!(visitors.id(noon, "demo", ip, "UA2").unwrap(), a);
        assert_ne!(visitors.id(noon, "other", ip, "UA").unwrap(), a);
        let next_day = visitors.id(noon + DAY_MS, "demo", ip, "UA").unwrap();
        assert_ne!(next_day, a);
        // Yesterday's salt is gone: asking for it makes a new one, so the old id is lost.
        let fresh = Visitors::new(store.clone()).unwrap();
        assert_ne!(fresh.id(noon, "demo", ip, "UA").unwrap(), a);
    }

    #[test]
    fn consented_ids_are_stable_per_install_and_site() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let uid = "k3J9x2Lq8ZpW4nRt";
        let a = Visitors::new(store.clone()).unwrap().consented("demo", uid);
        // Another process on the same store agrees; another site or uid does not.
        let again = Visitors::new(store).unwrap();
        assert_eq!(again.consented("demo", uid), a);
        assert_ne!(again.consented("other", uid), a);
        assert_ne!(again.consented("demo", "k3J9x2Lq8ZpW4nRu"), a);
        // Another install (another secret) cannot link the same uid.
        let dir2 = tempfile::tempdir().unwrap();
        let store2: Arc<dyn Store> = Arc::new(SqliteStore::open(dir2.path()).unwrap());
        assert_ne!(Visitors::new(store2).unwrap().consented("demo", uid), a);
        assert!(valid_uid(uid) && !valid_uid("short") && !valid_uid("with space 123456"));
    }
}
