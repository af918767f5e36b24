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

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::Storage;

use crate::queue::Queue;
use crate::{capture, tracker};

/// `sessionStorage` key of this tab's id.
const TAB_KEY: &str = "spur:tab";

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`. Bound here: web-sys has it only behind
    /// `--cfg=web_sys_unstable_apis`.
    #[derive(Clone)]
    type LockManager;

    /// `locks.request(name, options, callback)`; throws in opaque origins (sandboxed
    /// frames), hence `catch`.
    #[wasm_bindgen(method, catch)]
    fn request(
        this: &LockManager,
        name: &str,
        options: &JsValue,
        callback: &JsValue,
    ) -> Result<JsValue, JsValue>;

    /// Anything with a `then` method: a promise, normally.
    type Thenable;

    /// `then(onFulfilled, onRejected)`; `catch`: a page's replacement of `fetch` may
    /// return something that is not a promise.
    #[wasm_bindgen(method, catch, js_name = then)]
    fn then(
        this: &Thenable,
        on_fulfilled: &JsValue,
        on_rejected: &JsValue,
    ) -> Result<JsValue, JsValue>;
}

/// This tab's open queue storage.
pub struct Store {
    storage: Storage,
    /// This tab's queue key.
    key: String,
    /// `spur:q:<site>:` — every tab's queue key starts with it.
    prefix: String,
    /// This tab's id; `None` in the `sessionStorage` fallback (no other tab sees it).
    tab: Option<String>,
    /// Tabs whose lock this one is waiting for.
    watching: Vec<String>,
}

/// The result of [`open`].
pub enum Opening {
    /// Decided now: a store, or memory only.
    Done(Option<Store>),
    /// Waiting for this tab's lock; [`tracker::opened`] gets the store.
    Pending,
}

/// Opens this tab's queue storage for `site`.
pub fn open(site: &str) -> Opening {
    let Some(window) = capture::window() else {
        return Opening::Done(None);
    };
    let session = window.session_storage().ok().flatten();
    let prefix = queue_prefix(site);
    if let (Some(local), Some(locks)) = (window.local_storage().ok().flatten(), locks()) {
        let tab = session
            .as_ref()
            .and_then(|s| s.get_item(TAB_KEY).ok().flatten())
            .filter(|t| capture::is_id(t))
            .unwrap_or_else(capture::new_id);
        if own(locks, local, session.clone(), prefix.clone(), tab, true) {
            return Opening::Pending;
        }
    }
    Opening::Done(session.map(|storage| Store {
        storage,
        key: prefix.clone(),
        prefix,
        tab: None,
        watching: Vec::new(),
    }))
}

/// Requests this tab's lock for `tab` (`ifAvailable`); once granted, the store goes to
/// [`tracker::opened`] and the lock is held until the page goes away. If it is taken,
/// tries once more with a new id. `false` if the request could not be made.
fn own(
    locks: LockManager,
    local: Storage,
    session: Option<Storage>,
    prefix: String,
    tab: String,
    first: bool,
) -> bool {
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let name = lock_name(&tab);
    let again = locks.clone();
    let callback = once(Box::new(move |lock: JsValue| {
        if lock.is_null() {
            if !(first && own(again, local, session, prefix, capture::new_id(), false)) {
                tracker::opened(None);
            }
            return JsValue::UNDEFINED;
        }
        if let Some(session) = &session {
            let _ = session.set_item(TAB_KEY, &tab);
        }
        let mut key = prefix.clone();
        key.push_str(&tab);
        tracker::opened(Some(Store {
            storage: local,
            key,
            prefix,
            tab: Some(tab),
            watching: Vec::new(),
        }));
        // `Promise.race([])` never settles: the lock is held for the page's lifetime.
        Promise::race(&js_sys::Array::new()).into()
    }));
    match locks.request(&name, &options, &callback) {
        Ok(promise) => {
            ignore_rejection(&promise);
            true
        }
        Err(_) => false,
    }
}

impl Store {
    /// What this tab's previous page left in its queue.
    pub fn load(&self) -> Option<String> {
        self.storage.get_item(&self.key).ok().flatten()
    }

    /// Writes `queue` (or removes the key when it is empty). A failure (quota, storage
    /// disabled meanwhile) leaves the last saved state and is otherwise ignored.
    pub fn save(&self, queue: &Queue) {
        let _ = if queue.is_empty() {
            self.storage.remove_item(&self.key)
        } else {
            self.storage.set_item(&self.key, &queue.to_text())
        };
    }

    /// Removes everything this tab stored: its queue and its id (consent withdrawn).
    pub fn forget(&self) {
        let _ = self.storage.remove_item(&self.key);
        if self.tab.is_some() {
            if let Some(session) =
                capture::window().and_then(|w| w.session_storage().ok().flatten())
            {
                let _ = session.remove_item(TAB_KEY);
            }
        }
    }

    /// Waits for the lock of every other tab that has a queue (once per tab), to adopt
    /// the queue when that tab is gone ([`tracker::orphaned`]).
    pub fn watch_others(&mut self) {
        let (Some(mine), Some(locks)) = (self.tab.as_deref(), locks()) else {
            return;
        };
        let mut found = Vec::new();
        for i in 0..self.storage.length().unwrap_or(0) {
            if let Ok(Some(key)) = self.storage.key(i) {
                if let Some(tab) = key.strip_prefix(&self.prefix) {
                    if tab != mine && capture::is_id(tab) && !self.watching.iter().any(|t| t == tab)
                    {
                        found.push(tab.to_owned());
                    }
                }
            }
        }
        for tab in found {
            let name = lock_name(&tab);
            let other = tab.clone();
            // Returns at once, which releases the lock.
            let callback = once(Box::new(move |_lock| {
                tracker::orphaned(&other);
                JsValue::UNDEFINED
            }));
            if let Ok(promise) = locks.request(&name, &Object::new(), &callback) {
                ignore_rejection(&promise);
                self.watching.push(tab);
            }
        }
    }

    /// Called holding `tab`'s lock (that tab is gone): moves its queue into `queue`,
    /// saves, then removes the orphan.
    pub fn adopt(&mut self, tab: &str, queue: &mut Queue) {
        self.watching.retain(|t| t != tab);
        let mut key = self.prefix.clone();
        key.push_str(tab);
        if let Ok(Some(text)) = self.storage.get_item(&key) {
            queue.adopt(&text, crate::wire::is_stored_event);
            self.save(queue);
            let _ = self.storage.remove_item(&key);
        }
    }
}

fn locks() -> Option<LockManager> {
    let navigator = capture::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    locks.is_object().then(|| locks.unchecked_into())
}

fn queue_prefix(site: &str) -> String {
    let mut prefix = String::from("spur:q:");
    prefix.push_str(site);
    prefix.push(':');
    prefix
}

fn lock_name(tab: &str) -> String {
    let mut name = String::from("spur:tab:");
    name.push_str(tab);
    name
}

/// A JS function that runs `f` (at most once). Every one-shot callback goes through
/// this one closure type: each distinct type would cost its own glue in the module.
pub fn once(f: Box<dyn FnOnce(JsValue) -> JsValue>) -> JsValue {
    Closure::once_into_js(f)
}

/// `promise.then(on_fulfilled, on_rejected)`; `None` if `promise` is not one.
pub fn then(promise: &JsValue, on_fulfilled: &JsValue, on_rejected: &JsValue) -> Option<JsValue> {
    promise
        .unchecked_ref::<Thenable>()
        .then(on_fulfilled, on_rejected)
        .ok()
}

thread_local! {
    /// A rejection handler that does nothing, for promises nobody else waits for.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// Keeps a rejection of `promise` from surfacing in the page as an unhandled rejection.
pub fn ignore_rejection(promise: &JsValue) {
    let _ = IGNORE.try_with(|ignore| then(promise, &JsValue::UNDEFINED, ignore.as_ref()));
}
