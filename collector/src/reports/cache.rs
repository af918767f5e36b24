//! The reports' copy of each site's touches, kept in memory and brought up to date
//! incrementally, so that a report reads only what was stored since the last one instead
//! of the whole range from the store.
//!
//! Invariants: a site's copy holds exactly the site's stored events as of its last
//! refresh, in the engine's compact [`Table`]; any deletion in the store (a visitor's
//! data, retention), by this process or another, makes the next refresh start over, so
//! deleted data never reaches a report after it. A store may say how long a copy can go
//! without asking ([`Store::refresh_every`]: ClickHouse, one second); a deletion by
//! this process ([`TouchCache::changed`]) makes the next read ask at once, one by
//! another process is seen within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::journey::Table;
use crate::store::Store;

/// How many events a refresh reads from the store at a time: the owned copies of one
/// read are short-lived, the table keeps the compact form.
const READ_CHUNK: usize = 50_000;

#[derive(Default)]
pub struct TouchCache {
    /// One entry per site; each behind its own lock so sites refresh independently.
    /// The outer lock is held only to find or create an entry.
    sites: Mutex<HashMap<String, Arc<RwLock<SiteTouches>>>>,
}

#[derive(Default)]
struct SiteTouches {
    table: Table,
    /// The store position of the last touch read.
    last: i64,
    deletions: Option<u64>,
    /// When the store was last asked, for [`Store::refresh_every`].
    asked: Option<std::time::Instant>,
}

impl TouchCache {
    /// Brings the site's copy up to date with the store.
    pub fn refresh(&self, store: &dyn Store, site: &str) -> anyhow::Result<()> {
        let entry = self.entry(site);
        let every = store.refresh_every();
        if !every.is_zero() {
            let cached = entry.read().unwrap_or_else(|e| e.into_inner());
            if cached.asked.is_some_and(|at| at.elapsed() < every) {
                return Ok(());
            }
        }
        let mut cached = entry.write().unwrap_or_else(|e| e.into_inner());
        cached.asked = Some(std::time::Instant::now());
        loop {
            let since = store.touches_since(site, cached.last, READ_CHUNK)?;
            if cached.deletions.is_some_and(|d| d != since.deletions) {
                // Something was deleted since the last refresh: read everything again.
                *cached = SiteTouches::default();
                continue;
            }
            cached.deletions = Some(since.deletions);
            cached.table.insert(since.touches);
            cached.last = since.last;
            if !since.more {
                return Ok(());
            }
        }
    }

    /// This process changed the store in a way a copy must not miss (a deletion): the
    /// next read of every site asks the store again, whatever
    /// [`Store::refresh_every`] says.
    pub fn changed(&self) {
        let sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        for entry in sites.values() {
            entry.write().unwrap_or_else(|e| e.into_inner()).asked = None;
        }
    }

    /// Runs `f` over the site's touches, up to date with the store. Reports of a site
    /// run side by side; a refresh waits for them.
    pub fn read<T>(
        &self,
        store: &dyn Store,
        site: &str,
        f: impl FnOnce(&Table) -> T,
    ) -> anyhow::Result<T> {
        self.refresh(store, site)?;
        let entry = self.entry(site);
        let cached = entry.read().unwrap_or_else(|e| e.into_inner());
        Ok(f(&cached.table))
    }

    fn entry(&self, site: &str) -> Arc<RwLock<SiteTouches>> {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        sites.entry(site.to_owned()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::store::sqlite::SqliteStore;

    /// The ids of the site's cached touches with `from <= ts < to`, in time order.
    fn window(
        cache: &TouchCache,
        store: &SqliteStore,
        site: &str,
        from: i64,
        to: i64,
    ) -> Vec<String> {
        cache
            .read(store, site, |table| {
                let mut rows: Vec<_> = table
                    .rows()
                    .filter(|r| (from..to).contains(&r.ts))
                    .collect();
                rows.sort_by_key(|r| r.ts);
                rows.into_iter().map(|r| table.id(r).to_owned()).collect()
            })
            .unwrap()
    }

    #[test]
    fn follows_the_store_through_appends_late_events_and_deletions() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let cache = TouchCache::default();
        let all = |cache: &TouchCache| window(cache, &store, "demo", i64::MIN, i64::MAX);
        assert!(all(&cache).is_empty());
        store
            .append(&[vec![
                Event::landing("event-00000000001", 1, 100),
                Event::landing("event-00000000002", 2, 200),
            ]])
            .unwrap();
        assert_eq!(all(&cache), ["event-00000000001", "event-00000000002"]);
        // A late event, older than what is cached, lands in time order; a re-sent one
        // is not stored again, so not cached twice.
        store
            .append(&[vec![
                Event::landing("event-00000000003", 1, 50),
                Event::landing("event-00000000001", 1, 100),
            ]])
            .unwrap();
        assert_eq!(
            all(&cache),
            [
                "event-00000000003",
                "event-00000000001",
                "event-00000000002"
            ]
        );
        assert_eq!(
            window(&cache, &store, "demo", 100, 200),
            ["event-00000000001"]
        );
        // A deletion, even by another connection (another process), is never missed.
        let other = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(other.delete_visitor("demo", 1).unwrap(), 2);
        assert_eq!(all(&cache), ["event-00000000002"]);
        store
            .append(&[vec![Event::landing("event-00000000004", 3, 300)]])
            .unwrap();
        assert_eq!(all(&cache), ["event-00000000002", "event-00000000004"]);
        assert_eq!(other.delete_before(250).unwrap(), 1);
        assert_eq!(all(&cache), ["event-00000000004"]);
        // Other sites are not mixed in.
        assert!(window(&cache, &store, "other", i64::MIN, i64::MAX).is_empty());
    }
}
