//! The reports' copy of each site's touches, kept in memory and brought up to date
//! incrementally, so that a report reads only what was stored since the last one instead
//! of the whole range from the store.
//!
//! Invariants: a site's copy holds exactly the site's stored events as of its last
//! refresh, sorted by time; any deletion in the store (a visitor's data, retention), by
//! this process or another, makes the next refresh start over, so deleted data never
//! reaches a report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::journey::Touch;
use crate::store::Store;

#[derive(Default)]
pub struct TouchCache {
    /// One entry per site; each behind its own lock so sites refresh independently.
    /// The outer lock is held only to find or create an entry.
    sites: Mutex<HashMap<String, Arc<Mutex<SiteTouches>>>>,
}

#[derive(Default)]
struct SiteTouches {
    /// Sorted by `ts`.
    touches: Vec<Touch>,
    /// The store position of the last touch read.
    last: i64,
    deletions: Option<u64>,
}

impl TouchCache {
    /// The site's touches with `from_ms <= ts < to_ms`, up to date with the store.
    pub fn window(
        &self,
        store: &dyn Store,
        site: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> anyhow::Result<Vec<Touch>> {
        let entry = {
            let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
            sites.entry(site.to_owned()).or_default().clone()
        };
        let mut cached = entry.lock().unwrap_or_else(|e| e.into_inner());
        let mut since = store.touches_since(site, cached.last)?;
        if cached.deletions.is_some_and(|d| d != since.deletions) {
            // Something was deleted since the last refresh: read everything again.
            *cached = SiteTouches::default();
            since = store.touches_since(site, 0)?;
        }
        cached.deletions = Some(since.deletions);
        if !since.touches.is_empty() {
            let tail = cached.touches.len();
            cached.touches.extend(since.touches);
            cached.last = since.last;
            // Late events (offline queues) can be older than the newest cached one.
            let sorted = cached.touches[tail.saturating_sub(1)..]
                .windows(2)
                .all(|w| w[0].ts <= w[1].ts);
            if !sorted {
                cached.touches.sort_by_key(|t| t.ts);
            }
        }
        let start = cached.touches.partition_point(|t| t.ts < from_ms);
        let end = cached.touches.partition_point(|t| t.ts < to_ms);
        Ok(cached.touches[start..end.max(start)].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Device, Event, EventKind, Utm};
    use crate::store::sqlite::SqliteStore;

    fn event(id: &str, visitor: u64, ts: i64) -> Event {
        Event {
            site: "demo".into(),
            id: id.into(),
            visitor,
            ts,
            received_at: ts,
            kind: EventKind::Pageview,
            touchpoint: "landing".into(),
            stage: None,
            url: "https://shop.example/".into(),
            referrer: None,
            utm: Utm::default(),
            props: None,
            device: Device::Desktop,
        }
    }

    fn ids(touches: &[Touch]) -> Vec<&str> {
        touches.iter().map(|t| t.id.as_str()).collect()
    }

    #[test]
    fn follows_the_store_through_appends_late_events_and_deletions() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let cache = TouchCache::default();
        let all = |cache: &TouchCache| cache.window(&store, "demo", i64::MIN, i64::MAX).unwrap();
        assert!(all(&cache).is_empty());
        store
            .append(&[vec![
                event("event-00000000001", 1, 100),
                event("event-00000000002", 2, 200),
            ]])
            .unwrap();
        assert_eq!(
            ids(&all(&cache)),
            ["event-00000000001", "event-00000000002"]
        );
        // A late event, older than what is cached, lands in time order; a re-sent one
        // is not stored again, so not cached twice.
        store
            .append(&[vec![
                event("event-00000000003", 1, 50),
                event("event-00000000001", 1, 100),
            ]])
            .unwrap();
        assert_eq!(
            ids(&all(&cache)),
            [
                "event-00000000003",
                "event-00000000001",
                "event-00000000002"
            ]
        );
        assert_eq!(
            ids(&cache.window(&store, "demo", 100, 200).unwrap()),
            ["event-00000000001"]
        );
        // A deletion, even by another connection (another process), is never missed.
        let other = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(other.delete_visitor("demo", 1).unwrap(), 2);
        assert_eq!(ids(&all(&cache)), ["event-00000000002"]);
        store
            .append(&[vec![event("event-00000000004", 3, 300)]])
            .unwrap();
        assert_eq!(
            ids(&all(&cache)),
            ["event-00000000002", "event-00000000004"]
        );
        assert_eq!(other.delete_before(250).unwrap(), 1);
        assert_eq!(ids(&all(&cache)), ["event-00000000004"]);
        // Other sites are not mixed in.
        assert!(
            cache
                .window(&store, "other", i64::MIN, i64::MAX)
                .unwrap()
                .is_empty()
        );
    }
}
