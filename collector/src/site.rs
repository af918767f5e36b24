//! Sites: the websites that may send events, and the origins they may send from.
//!
//! Sites are data in the store; [`Sites`] is the in-memory registry that the request path
//! reads, so validating a batch never touches the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The id the tracker sends (`data-site`): lowercase letters, digits, `-`, `_`, `.`.
    pub id: String,
    pub name: String,
    /// Origins (`https://shop.example`) allowed to send events; empty means any origin.
    pub allowed_origins: Vec<String>,
}

impl Site {
    /// Whether a request carrying this `Origin` header may send events for the site.
    /// Requests without an `Origin` (server-to-server, some beacons) are allowed.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        match origin {
            None => true,
            Some(_) if self.allowed_origins.is_empty() => true,
            Some(origin) => self.allowed_origins.iter().any(|allowed| allowed == origin),
        }
    }
}

/// `origin` as a browser sends it in an `Origin` header: `scheme://host[:port]`, http or
/// https, nothing after.
pub fn is_origin(origin: &str) -> bool {
    url::Url::parse(origin).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.origin().ascii_serialization() == origin
    })
}

/// Valid site ids: 1–64 of `[a-z0-9._-]`.
pub fn is_valid_site_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// The registry of known sites. A `RwLock` because reads (every ingest request) vastly
/// outnumber writes (a site being created), and no lock is held across an `.await`.
#[derive(Debug, Default)]
pub struct Sites {
    by_id: RwLock<HashMap<String, Arc<Site>>>,
}

impl Sites {
    pub fn new(sites: Vec<Site>) -> Sites {
        let registry = Sites::default();
        registry.replace(sites);
        registry
    }

    pub fn replace(&self, sites: Vec<Site>) {
        let map = sites
            .into_iter()
            .map(|s| (s.id.clone(), Arc::new(s)))
            .collect();
        *self.by_id.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    /// Every site's id, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .by_id
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Every site, by id.
    pub fn all(&self) -> Vec<Arc<Site>> {
        let mut all: Vec<Arc<Site>> = self
            .by_id
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    pub fn get(&self, id: &str) -> Option<Arc<Site>> {
        self.by_id
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}
