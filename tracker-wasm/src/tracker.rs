//! The tracker: the one piece of state, and the wiring from page events to capture,
//! queue, storage and transport.
//!
//! Pipeline: [`crate::capture`] → [`crate::queue`] (kept by [`crate::storage`]) →
//! [`crate::transport`], with [`crate::retry`] deciding what an answer means,
//! [`crate::consent`] the visitor's choice and [`crate::wire`] the payload.
//! [`crate::lib`](crate) is only the `#[wasm_bindgen]` boundary.
//!
//! Delivery, in short: every captured event is queued (and saved) first; a batch of the
//! oldest events is sent when 10 wait (in a task of its own, right after the one that
//! captured the tenth) or 1 s after the first, when the page is hidden,
//! or on `spur.flush()`; one batch is in flight at a time and stays queued until the
//! collector answers 2xx (settled) or a 4xx that can never succeed (dropped). A network
//! error, 408, 429 or 5xx sends it again after a backoff ([`crate::retry`]), at once on
//! the `online` event. When the page goes away, what is not in flight is beaconed and
//! *stays queued*: a beacon's outcome is unknown, so the next page of this tab (or the
//! tab that adopts the queue) sends it again and the collector drops the duplicate by id.
//!
//! Privacy: in "quiet" mode (`data-consent="required"`, Global Privacy Control or Do Not
//! Track, decided by the loader) nothing is sent or stored until `spur.consent(true)`;
//! events wait in memory meanwhile and are discarded by `spur.consent(false)`.
//!
//! Invariants:
//! - the state sits in one `thread_local` `RefCell` and is reached only through
//!   [`with`], which uses `try_borrow_mut`: a re-entrant call is dropped instead of
//!   panicking (a panic aborts the module and would surface in the page). Browser
//!   callbacks (timers, fetch answers, Web Locks grants) always run as their own tasks,
//!   never inside [`with`];
//! - page events are read (DOM, the page's objects) *before* the state is borrowed, so a
//!   throwing getter on the page cannot leave a borrow behind;
//! - nothing is sent until this tab's storage is open (it is opened in a task of its
//!   own right after `start`; its earlier queue is not known before), while a batch
//!   is in flight, while a backoff runs, or after `pagehide` (until the page is
//!   visible again);
//! - the page's listeners are the loader's (they call the module's exports); a timer is
//!   a number, and forgetting the number cancels it: a `tick` that matches neither
//!   `timer` nor `backoff` is ignored.

use std::cell::RefCell;

use wasm_bindgen::JsValue;

use crate::consent::{create_uid, remove_uid, stored_uid};
use crate::queue::{FLUSH_AFTER_MS, FLUSH_AT_EVENTS, batch_len};
use crate::retry::{self, Outcome};
use crate::storage::{self, Opening, Pending, Queue, Store};
use crate::transport::{MAX_BODY_BYTES, Transport};
use crate::wire::{self, Batch, Event, Props, VERSION};
use crate::{capture, host};

/// A timer this short runs in a task of its own right after the current one (`0`
/// would mean a microtask of the current task, see [`host::timer`]): for sending a
/// full batch and for opening the storage after [`start`].
const NEXT_TASK_MS: u32 = 1;

/// Event text per batch: a body's limit minus room for the header (a site id and a
/// uid are at most 64 characters each, a customer reference 128).
const BATCH_BYTES: usize = MAX_BODY_BYTES - 1024;

thread_local! {
    /// `None` until [`start`]; the wasm module is single-threaded.
    static TRACKER: RefCell<Option<Tracker>> = const { RefCell::new(None) };
}

struct Tracker {
    site: String,
    transport: Transport,
    queue: Queue,
    /// Nothing is sent or stored before consent (see the module docs).
    quiet: bool,
    /// The first-party id, after `spur.consent(true)` (now or on an earlier page).
    uid: Option<String>,
    /// The site's reference for the signed-in customer (`spur.identify`), for this page
    /// only: every batch sent carries it.
    customer: Option<String>,
    store: Persistence,
    /// The number of the batch in flight, if one is.
    flight: Option<u32>,
    /// Batches sent so far; numbers them, so that a late answer to a batch that was
    /// discarded meanwhile is ignored.
    sent: u32,
    /// Consecutive failed attempts; 0 after an answer that settles a batch.
    failures: u32,
    /// The URL of the last page view, to skip a navigation that did not change it.
    last_url: String,
    /// The batching timer, armed while events wait.
    timer: Option<u32>,
    /// `timer` is the short one ([`NEXT_TASK_MS`]): a batch is full.
    soon: bool,
    /// The backoff timer, armed after a failed attempt.
    backoff: Option<u32>,
    /// Timers armed so far; numbers them.
    timers: u32,
    /// The queue changed and is saved at the end of the current task (one write for
    /// all the events a task captures, not one per event: each write is the whole
    /// queue). Nothing can unload the page before that.
    saving: Option<u32>,
    /// The page went away (`pagehide`) and its unsent events were beaconed; nothing
    /// more is sent until it is visible again (back from the back/forward cache).
    /// Without it, the `visibilitychange` that follows `pagehide` would send the same
    /// events a second time.
    gone: bool,
    /// The experiment variants the visitor was shown (from `data-variant` and
    /// `spur.variant`, kept by the loader) as props, `{"xp:<experiment>": variant}`:
    /// every event recorded carries them. Read from the page's object once, when it
    /// is handed over, not for every event.
    variants: Props,
}

/// Where the queue is kept between page loads.
enum Persistence {
    /// Not asked for: quiet mode without consent.
    Off,
    /// To be opened in a task of its own, right after [`start`]: the page's storage is
    /// first read then (a synchronous load of its `localStorage`, most of what starting
    /// cost), after the tracker is listening. The timer's number.
    Deferred(Option<u32>),
    /// Waiting for this tab's Web Lock.
    Opening(Pending),
    /// No usable storage: memory only.
    Memory,
    Open(Store),
}

/// Starts tracking: opens the storage and records the first page view. `quiet`: wait
/// for consent (see the module docs). `false` if there is no site or page address, or
/// a tracker already runs.
pub fn start(site: String, api: &str, quiet: bool, variants: JsValue) -> bool {
    let Some(url) = capture::current_url().filter(|_| !site.is_empty()) else {
        return false;
    };
    let uid = stored_uid();
    let installed = TRACKER.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(Tracker {
            site,
            transport: Transport::new(api),
            queue: Queue::default(),
            quiet,
            uid,
            customer: None,
            store: Persistence::Off,
            flight: None,
            sent: 0,
            failures: 0,
            last_url: String::new(),
            timer: None,
            soon: false,
            backoff: None,
            timers: 0,
            saving: None,
            gone: false,
            variants: capture::read_props(&variants, capture::MAX_PROP_VALUE_CHARS),
        });
        Some(())
    });
    if installed.ok().flatten().is_none() {
        return false;
    }
    with(|t| {
        if t.allowed() {
            t.store = Persistence::Deferred(t.arm(NEXT_TASK_MS));
        }
        t.page_view(url);
    });
    true
}

/// A click on a touchpoint element (`data-touchpoint`; `stage`: the closest
/// `data-stage`), seen by the loader's capture-phase listener.
pub fn click(touchpoint: &JsValue, stage: Option<String>) {
    if let Some(event) = capture::click(touchpoint, stage) {
        with(|t| t.record(event));
    }
}

/// An engagement or friction event the loader observed (see [`capture::observed`]).
pub fn observed(
    what: u8,
    props: &JsValue,
    url: Option<String>,
    name: &JsValue,
    stage: Option<String>,
) {
    if let Some(event) = capture::observed(what, props, url, name, stage) {
        with(|t| t.record(event));
    }
}

/// The experiment variants the visitor was shown now, all of them (see `variants` in
/// [`Tracker`]).
pub fn variants(props: JsValue) {
    // Read before the state is borrowed (see the module docs).
    let props = capture::read_props(&props, capture::MAX_PROP_VALUE_CHARS);
    with(|t| t.variants = props);
}

/// The page was hidden (`true`) or is visible again.
pub fn hidden(hidden: bool) {
    with(|t| if hidden { t.pump() } else { t.visible() });
}

/// `pagehide`: the page is going away.
pub fn pagehide() {
    with(Tracker::unload);
}

/// The `online` event.
pub fn online() {
    with(Tracker::online);
}

/// The Web Lock `name` was granted (`held`) or, requested `ifAvailable`, was taken.
pub fn granted(name: &str, held: bool) {
    with(|t| t.granted(name, held));
}

/// Request number `n` was answered: `status` 0 for a network error.
pub fn answered(n: u32, status: u16, retry_after: Option<String>) {
    let outcome = if status == 0 {
        Outcome::Retry { after_ms: None }
    } else {
        retry::classify(status, retry_after.as_deref())
    };
    with(|t| t.answered(n, outcome));
}

/// Timer number `n` ran out.
pub fn tick(n: u32) {
    with(|t| t.tick(n));
}

/// A custom event from `spur.track`. Invalid names are dropped silently.
pub fn track(name: &JsValue, props: &JsValue) {
    if let Some(event) = capture::custom(name, props) {
        with(|t| t.record(event));
    }
}

/// A rating widget's event (see `rated` in [`crate`]).
pub fn feedback(touchpoint: &JsValue, stage: Option<String>, props: &JsValue) {
    if let Some(event) = capture::feedback(touchpoint, stage, props) {
        with(|t| t.record(event));
    }
}

/// The page's address changed (pushState, replaceState, popstate): a page view if the
/// URL differs from the last one. `again`: the page is shown again, back from the
/// back/forward cache (the visitor came back to it): a page view in any case.
pub fn navigated(again: bool) {
    if let Some(url) = capture::current_url() {
        with(|t| {
            if again || t.last_url != url {
                t.page_view(url);
            }
        });
    }
}

/// Sends what is queued now (`spur.flush()`), unless a backoff or a batch in flight
/// says to wait.
pub fn flush() {
    with(Tracker::pump);
}

/// `spur.consent(granted)`.
pub fn consent(granted: bool) {
    with(|t| t.consent(granted));
}

/// `spur.identify(reference)`: the signed-in customer's reference (cleaned as a name is,
/// at most [`capture::MAX_CUSTOMER_CHARS`] characters), or `None` to forget it.
pub fn identify(reference: &JsValue) {
    let customer = capture::clean(reference, capture::MAX_CUSTOMER_CHARS);
    with(|t| t.customer = customer);
}

/// Runs `f` on the started tracker; does nothing before [`start`] or on re-entry.
///
/// (`try_with` rather than `with` here and in [`start`]: `with` carries a panic, with
/// its formatting code, for a thread-local used during teardown, which a page never
/// does.)
fn with(f: impl FnOnce(&mut Tracker)) {
    let _ = TRACKER.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            if let Some(tracker) = slot.as_mut() {
                f(tracker);
            }
        }
    });
}

impl Tracker {
    /// Whether events may be sent and stored.
    fn allowed(&self) -> bool {
        !self.quiet || self.uid.is_some()
    }

    /// Whether sending must wait (see the module docs). Each of these states pumps when
    /// it ends: consent, `visible`, the answer, the backoff's tick, `opened`.
    fn waiting(&self) -> bool {
        !self.allowed()
            || self.gone
            || self.flight.is_some()
            || self.backoff.is_some()
            || matches!(
                self.store,
                Persistence::Opening(_) | Persistence::Deferred(_)
            )
    }

    /// Arms a timer: `tick` gets the number back after `ms`.
    fn arm(&mut self, ms: u32) -> Option<u32> {
        self.timers = self.timers.wrapping_add(1);
        host::timer(ms, self.timers);
        Some(self.timers)
    }

    fn tick(&mut self, n: u32) {
        if matches!(self.store, Persistence::Deferred(Some(at)) if at == n) {
            self.open();
            return;
        }
        if self.saving == Some(n) {
            self.saving = None;
            if let Persistence::Open(store) = &self.store {
                store.save(&self.queue);
            }
            return;
        }
        if self.backoff == Some(n) {
            self.backoff = None;
        } else if self.timer != Some(n) {
            return;
        }
        self.pump();
    }

    fn open(&mut self) {
        self.opening(storage::open(&self.site));
    }

    fn opening(&mut self, opening: Opening) {
        match opening {
            Opening::Pending(pending) => self.store = Persistence::Opening(pending),
            Opening::Done(store) => self.opened(store),
        }
    }

    fn granted(&mut self, name: &str, held: bool) {
        match std::mem::replace(&mut self.store, Persistence::Off) {
            Persistence::Opening(pending) if pending.is_for(name) => {
                self.opening(pending.granted(held));
            }
            Persistence::Open(mut store) => {
                if let Some(tab) = store.orphan(name).filter(|_| held) {
                    store.adopt(&tab, &mut self.queue);
                    self.store = Persistence::Open(store);
                    self.pump();
                } else {
                    self.store = Persistence::Open(store);
                }
            }
            // Consent was withdrawn while the lock was on its way (`Off`), or the
            // answer is not for this state: nothing changes.
            other => self.store = other,
        }
    }

    fn opened(&mut self, store: Option<Store>) {
        self.store = match store {
            Some(mut store) => {
                if let Some(text) = store.load() {
                    self.queue.adopt(&text, wire::is_stored_event);
                }
                store.save(&self.queue);
                store.watch_others();
                Persistence::Open(store)
            }
            None => Persistence::Memory,
        };
        if self.timer.is_none() {
            self.pump();
        }
    }

    /// Back in front: tabs may have closed meanwhile, leaving queues behind, and a page
    /// back from the back/forward cache sends again.
    fn visible(&mut self) {
        self.gone = false;
        self.watch();
        self.pump();
    }

    fn watch(&mut self) {
        if let Persistence::Open(store) = &mut self.store {
            store.watch_others();
        }
    }

    fn save(&mut self) {
        if matches!(self.store, Persistence::Open(_)) && self.saving.is_none() {
            // 0 ms: at the end of the current task (see `host::timer`).
            self.saving = self.arm(0);
        }
    }

    fn page_view(&mut self, url: String) {
        let event = capture::page_view(url.clone());
        self.last_url = url;
        self.record(event);
    }

    fn record(&mut self, mut event: Event) {
        for prop in &self.variants.0 {
            if event.props.0.len() < capture::MAX_PROPS {
                event.props.0.push(prop.clone());
            }
        }
        // Encoded once, here: the JSON (kept by the loader) is what storage keeps and
        // what bounds a batch. (Wire types always serialise; only a page that broke
        // `JSON.stringify` could make this fail, and then the event is not captured.)
        let Some(size) = wire::encode(&event) else {
            return;
        };
        self.queue.push(size);
        self.save();
        if self.waiting() {
            // (Whatever it waits for pumps when it ends.)
            return;
        }
        if self.queue.unsent().len() >= FLUSH_AT_EVENTS {
            // Sent in a task of its own, right after this one: the call that fills a
            // batch does not wait for the request to be built and handed over.
            if !self.soon {
                self.timer = self.arm(NEXT_TASK_MS);
                self.soon = true;
            }
        } else if self.timer.is_none() {
            self.timer = self.arm(FLUSH_AFTER_MS);
        }
    }

    /// Sends the oldest unsent events now, unless sending must wait (see the module
    /// docs); whatever ends the wait pumps again.
    fn pump(&mut self) {
        // Dropping the timer cancels it (harmless when it is the one firing now).
        self.timer = None;
        self.soon = false;
        if self.waiting() {
            return;
        }
        let taken = self.queue.take(BATCH_BYTES);
        if taken.count == 0 {
            return;
        }
        let head = self.head(taken.dropped);
        self.sent = self.sent.wrapping_add(1);
        let number = self.sent;
        self.flight = Some(number);
        if !self.transport.post(&head, taken.count, number) {
            self.answered(number, Outcome::Retry { after_ms: None });
        }
    }

    /// A batch's header, sent now, reporting `dropped` events.
    fn head(&self, dropped: u32) -> JsValue {
        wire::head(&Batch {
            v: VERSION,
            site: &self.site,
            sent_at: capture::now(),
            uid: self.uid.as_deref(),
            customer: self.customer.as_deref(),
            dropped,
        })
    }

    fn answered(&mut self, number: u32, outcome: Outcome) {
        if self.flight != Some(number) {
            return;
        }
        self.flight = None;
        if let Outcome::Retry { after_ms } = outcome {
            self.queue.retry();
            self.failures = self.failures.saturating_add(1);
            let delay = retry::delay_ms(self.failures, after_ms, js_sys::Math::random());
            // (Never 0 ms, which would mean "at the end of this task".)
            self.backoff = self.arm(delay.max(1));
            return;
        }
        // Settled, or refused for good: either way the batch leaves the queue.
        let recovered = self.failures > 0;
        self.failures = 0;
        self.queue.settle();
        self.save();
        if recovered {
            // The collector is back: queues of tabs closed meanwhile can go too.
            self.watch();
        }
        self.pump();
    }

    /// The network is back: retry at once.
    fn online(&mut self) {
        self.backoff = None;
        self.watch();
        self.pump();
    }

    /// The page is going away: beacon what is not in flight. It stays queued (and
    /// saved), since a beacon's outcome is never known.
    fn unload(&mut self) {
        if !self.allowed() || self.gone {
            return;
        }
        self.gone = true;
        // Drops are reported by acknowledged batches only (never twice).
        let head = self.head(0);
        let mut from = self.queue.in_flight();
        let mut events = self.queue.unsent();
        while let Some((part, rest)) = events.split_at_checked(batch_len(events, BATCH_BYTES)) {
            if part.is_empty() || !self.transport.beacon(&head, from, part.len()) {
                break;
            }
            from += part.len();
            events = rest;
        }
    }

    fn consent(&mut self, granted: bool) {
        if granted {
            if self.uid.is_none() {
                self.uid = Some(create_uid());
            }
            if matches!(self.store, Persistence::Off) {
                self.open();
            }
            self.pump();
            return;
        }
        remove_uid();
        self.uid = None;
        self.customer = None;
        if self.quiet {
            // Back to nothing sent, nothing stored: what waited is discarded, and a
            // late answer to a batch in flight is ignored.
            if let Persistence::Open(store) = &self.store {
                store.forget();
            }
            self.store = Persistence::Off;
            self.queue.clear();
            self.flight = None;
            self.timer = None;
            self.soon = false;
            self.backoff = None;
            self.saving = None;
        }
    }
}
