//! Storage: where the unsent [`Queue`] lives between page loads, so that it survives a
//! reload, a tab crash and an offline period, and how tabs share that storage without
//! sending an event twice.
//!
//! Each tab has its own queue, `localStorage["spur:q:<site>:<tab>"]`, and its id in
//! `sessionStorage["spur:tab"]` (so a reload finds its queue again). One rule makes
//! several tabs safe: **whoever holds the Web Lock `spur:tab:<tab>` owns that key** —
//! the only one that reads, writes or sends its events.
//! - A tab takes its own lock when it opens its queue, with `ifAvailable`, and holds
//!   it for the page's lifetime. If the lock is taken (a duplicated tab inherited the
//!   id, or the previous page of this tab has not let go yet), it picks a new id.
//! - For every other queue key it finds, a tab requests that tab's lock and waits: the
//!   browser grants it when that tab is gone (closed, crashed, navigated away). The
//!   first waiter then adopts the queue (appends it to its own, saves, removes the
//!   orphan) and releases the lock; later waiters find the key gone.
//! - A tab whose queue is empty removes its key: nothing else is stored.
//!
//! Without Web Locks (plain-http pages, old browsers) the queue lives in
//! `sessionStorage` (one tab, survives reloads, not a crash); without storage at all,
//! or when it throws (disabled, full), in memory only. Storage failures are ignored:
//! the tracker goes on in memory.

use crate::{capture, host};

/// The tracker's queue: its texts are the loader's.
pub type Queue = crate::queue::Queue<host::Texts>;

/// `sessionStorage` key of this tab's id.
const TAB_KEY: &str = "spur:tab";
/// Every tab's lock name starts with it.
const LOCK_PREFIX: &str = "spur:tab:";

/// This tab's open queue storage.
pub struct Store {
    /// The queue is in `sessionStorage` (the fallback without Web Locks).
    session: bool,
    /// This tab's queue key.
    key: String,
    /// `spur:q:<site>:` — every tab's queue key starts with it.
    prefix: String,
    /// This tab's id; `None` in the `sessionStorage` fallback (no other tab sees it).
    tab: Option<String>,
    /// Tabs whose lock this one is waiting for.
    watching: Vec<String>,
}

/// The result of [`open`] and of [`Pending::granted`].
pub enum Opening {
    /// Decided now: a store, or memory only.
    Done(Option<Store>),
    /// Waiting for this tab's lock: the module's `granted` export brings the answer.
    Pending(Pending),
}

/// A request for this tab's lock, on its way.
pub struct Pending {
    prefix: String,
    tab: String,
    /// The first id tried (the one from `sessionStorage`, or a new one).
    first: bool,
}

/// Opens this tab's queue storage for `site`.
pub fn open(site: &str) -> Opening {
    let mut prefix = String::from("spur:q:");
    prefix.push_str(site);
    prefix.push(':');
    if host::storage(false) {
        let tab = host::get(true, TAB_KEY)
            .filter(|t| capture::is_id(t))
            .unwrap_or_else(capture::new_id);
        if let Some(pending) = own(prefix.clone(), tab, true) {
            return Opening::Pending(pending);
        }
    }
    Opening::Done(host::storage(true).then(|| Store {
        session: true,
        key: prefix.clone(),
        prefix,
        tab: None,
        watching: Vec::new(),
    }))
}

/// Requests `tab`'s lock (`ifAvailable`, held for the page's lifetime once granted);
/// `None` if the request could not be made (no Web Locks).
fn own(prefix: String, tab: String, first: bool) -> Option<Pending> {
    host::lock(&lock_name(&tab), true).then_some(Pending { prefix, tab, first })
}

impl Pending {
    /// Whether `name` is the lock this request waits for.
    pub fn is_for(&self, name: &str) -> bool {
        name.strip_prefix(LOCK_PREFIX) == Some(self.tab.as_str())
    }

    /// The lock was granted (`held`) or was taken: then one more try with a new id
    /// (a duplicated tab inherited the id, or this tab's previous page still holds it).
    pub fn granted(self, held: bool) -> Opening {
        let Pending { prefix, tab, first } = self;
        if !held {
            return match first
                .then(|| own(prefix, capture::new_id(), false))
                .flatten()
            {
                Some(pending) => Opening::Pending(pending),
                None => Opening::Done(None),
            };
        }
        host::set(true, TAB_KEY, &tab);
        let mut key = prefix.clone();
        key.push_str(&tab);
        Opening::Done(Some(Store {
            session: false,
            key,
            prefix,
            tab: Some(tab),
            watching: Vec::new(),
        }))
    }
}

impl Store {
    /// What this tab's previous page left in its queue.
    pub fn load(&self) -> Option<String> {
        host::get(self.session, &self.key)
    }

    /// Writes `queue` (or removes the key when it is empty). A failure (quota, storage
    /// disabled meanwhile) leaves the last saved state and is otherwise ignored.
    pub fn save(&self, queue: &Queue) {
        if queue.is_empty() {
            host::remove(self.session, &self.key);
        } else {
            host::save(self.session, &self.key, queue.dropped());
        }
    }

    /// Removes everything this tab stored: its queue and its id (consent withdrawn).
    pub fn forget(&self) {
        host::remove(self.session, &self.key);
        if self.tab.is_some() {
            host::remove(true, TAB_KEY);
        }
    }

    /// Waits for the lock of every other tab that has a queue (once per tab), to adopt
    /// the queue when that tab is gone (the lock's grant goes to [`Store::orphan`]).
    pub fn watch_others(&mut self) {
        let Some(mine) = self.tab.as_deref() else {
            return;
        };
        let keys = host::keys();
        let mut rest = keys.as_str();
        while !rest.is_empty() {
            let (key, next) = crate::queue::first_line(rest);
            rest = next;
            let Some(tab) = key.strip_prefix(&self.prefix) else {
                continue;
            };
            if tab != mine
                && capture::is_id(tab)
                && !self.watching.iter().any(|t| t == tab)
                && host::lock(&lock_name(tab), false)
            {
                self.watching.push(tab.to_owned());
            }
        }
    }

    /// The tab whose lock `name` is, if this store waits for it (that tab is gone).
    pub fn orphan(&self, name: &str) -> Option<String> {
        let tab = name.strip_prefix(LOCK_PREFIX)?;
        self.watching.iter().find(|t| *t == tab).cloned()
    }

    /// Called once `tab` is gone (its lock was granted to this tab and released): moves
    /// its queue into `queue`, saves, then removes the orphan.
    pub fn adopt(&mut self, tab: &str, queue: &mut Queue) {
        self.watching.retain(|t| t != tab);
        let mut key = self.prefix.clone();
        key.push_str(tab);
        if let Some(text) = host::get(false, &key) {
            queue.adopt(&text, crate::wire::is_stored_event);
            self.save(queue);
            host::remove(false, &key);
        }
    }
}

fn lock_name(tab: &str) -> String {
    let mut name = String::from(LOCK_PREFIX);
    name.push_str(tab);
    name
}
