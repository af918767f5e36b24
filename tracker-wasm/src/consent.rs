//! Consent: the visitor's choice and the first-party id that comes with a yes.
//!
//! - `spur.consent(true)` creates a random id (32 hex digits from
//!   `crypto.getRandomValues`) in `localStorage["spur:uid"]`; every batch then carries it
//!   as `uid`, so the collector can follow the visitor across days. One id per origin:
//!   consent is given to the website, and the collector keys the id with the site anyway.
//! - `spur.consent(false)` removes it; batches carry no `uid` from then on.
//! - The stored id is the record of the yes: a later page (even with
//!   `data-consent="required"`, Global Privacy Control or Do Not Track) finds it and
//!   behaves as consented until `spur.consent(false)`.
//!
//! When tracking waits for consent is [`crate::tracker`]'s business ("quiet" mode).

use crate::{capture, host};

/// `localStorage` key of the id.
const UID_KEY: &str = "spur:uid";

/// The stored id of a visitor who consented, if there is a valid one.
pub fn stored_uid() -> Option<String> {
    host::get(false, UID_KEY).filter(|uid| is_uid(uid))
}

/// A new id, stored for later pages (best effort: without storage it lasts this page).
pub fn create_uid() -> String {
    let uid = capture::new_id();
    host::set(false, UID_KEY, &uid);
    uid
}

pub fn remove_uid() {
    host::remove(false, UID_KEY);
}

/// What the collector accepts as a `uid`: 16 to 64 of `[A-Za-z0-9_-]`.
pub fn is_uid(s: &str) -> bool {
    (16..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_checked_like_the_collector_does() {
        for (uid, ok) in [
            ("0123456789abcdef", true),
            ("Qm9uam91ciBTcHVyIQ", true),
            ("a-b_c-d_e-f_g-h_", true),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
            ("0123456789abcde", false),
            ("0123456789abcdef!", false),
            ("0123456789abcdef ", false),
            ("", false),
        ] {
            assert_eq!(is_uid(uid), ok, "{uid:?}");
        }
    }
}
