//! Spur's browser tracker, compiled to WebAssembly and loaded by `js/loader.js`.
//!
//! This file is only the `#[wasm_bindgen]` boundary: the functions the loader calls.
//! None of them throws. Text arrives as `JsValue` and is read with `as_string` (a value
//! that is not a string is "none"): a `String` or `Option<String>` parameter costs each
//! export an allocation, a copy and a clean-up path in the glue; `as_string` is one
//! import that every export shares.
//!
//! Two kinds of exports: the page's calls (`start`, `track`, `flush`, `consent`,
//! `identify`, `variants`, `navigated`), which the loader forwards from `window.spur`,
//! and the host's reports (`click`, `observed`, `hidden`, `pagehide`, `online`,
//! `granted`, `answered`, `tick`, and `rated` from the rating widgets): what the
//! loader's listeners, timers and requests and the widget module saw (see [`host`]).
//!
//! Code map, in pipeline order:
//! - [`host`]: the browser calls the module makes (the loader's `host` object);
//! - [`capture`]: page views, touchpoint clicks and custom events → wire events;
//! - [`wire`]: the versioned payload and its JSON (the public contract);
//! - [`queue`]: the bounded queue of unacknowledged events, batches, drop counting;
//! - [`storage`]: the queue in `localStorage`, one owner tab per queue (Web Locks);
//! - [`transport`]: bodies → `fetch` keepalive / `sendBeacon`, answers → outcomes;
//! - [`retry`]: what an answer means, and the backoff;
//! - [`consent`]: the visitor's choice and the first-party id;
//! - [`tracker`]: the state and the page listeners that tie the others together.

pub mod capture;
pub mod consent;
pub mod host;
pub mod queue;
pub mod retry;
pub mod storage;
pub mod tracker;
pub mod transport;
pub mod wire;

use wasm_bindgen::prelude::*;

/// Starts tracking for `site`, sending to `<api>/api/v1/events`. `quiet`: nothing is
/// sent or stored before `consent(true)` (`data-consent="required"`, Global Privacy
/// Control or Do Not Track; the loader decides). `false`: nothing was started (no
/// site, no page address, or already started), and the loader installs nothing.
///
/// `variants`: the experiment variants the visitor was shown (from `data-variant` and
/// earlier pages) as props, `{"xp:<experiment>": variant}`, carried by every event from
/// the first page view on.
#[wasm_bindgen]
pub fn start(site: JsValue, api: JsValue, quiet: bool, variants: JsValue) -> bool {
    let (Some(site), Some(api)) = (site.as_string(), api.as_string()) else {
        return false;
    };
    tracker::start(site, &api, quiet, variants)
}

/// What the loader observed. `what` 0: an `engagement`, when a page view is left
/// (props `ms`, its visible and focused time, and `scroll`, its deepest scroll in
/// percent; `url`, `name` and `stage` of that page view); 1 to 4: a friction event —
/// rage-click, dead-click, error, form-error — with props `target`, `message`, `source`.
#[wasm_bindgen]
pub fn observed(what: u8, props: JsValue, url: JsValue, name: JsValue, stage: JsValue) {
    tracker::observed(what, &props, url.as_string(), &name, stage.as_string());
}

/// `spur.variant(experiment, variant)` and `data-variant`: every variant the visitor
/// was shown so far, as props `{"xp:<experiment>": variant}` (the loader keeps them).
#[wasm_bindgen]
pub fn variants(props: JsValue) {
    tracker::variants(props);
}

/// `spur.track(name, props)`: a custom event; `props` is an optional plain object.
#[wasm_bindgen]
pub fn track(name: JsValue, props: JsValue) {
    tracker::track(&name, &props);
}

/// A rating widget's event, from the widget module (`spur-widgets`, which the loader
/// fetches only for pages that show a widget): `props` holds `widget` (its kind),
/// `outcome` (shown, answered or dismissed) and, with an answer, `score` and `comment`.
#[wasm_bindgen]
pub fn rated(touchpoint: JsValue, stage: JsValue, props: JsValue) {
    tracker::feedback(&touchpoint, stage.as_string(), &props);
}

/// `spur.flush()`: send what is queued now.
#[wasm_bindgen]
pub fn flush() {
    tracker::flush();
}

/// `spur.consent(true | false)`; any other value is ignored.
#[wasm_bindgen]
pub fn consent(granted: JsValue) {
    if let Some(granted) = granted.as_bool() {
        tracker::consent(granted);
    }
}

/// `spur.identify(reference)`: every batch from now on carries the site's reference for
/// the signed-in customer, from which the collector derives one visitor id on every
/// device; `null` (signing out) forgets it. Not kept beyond the page.
#[wasm_bindgen]
pub fn identify(reference: JsValue) {
    tracker::identify(&reference);
}

/// Called by the loader after a change of the page's address (`history.pushState`,
/// `replaceState`, `popstate`), and with `again` when the page is shown again from the
/// back/forward cache.
#[wasm_bindgen]
pub fn navigated(again: bool) {
    tracker::navigated(again);
}

/// A click on an element marked `data-touchpoint` (`touchpoint`: its value; `stage`:
/// the `data-stage` of the closest element that has one).
#[wasm_bindgen]
pub fn click(touchpoint: JsValue, stage: JsValue) {
    tracker::click(&touchpoint, stage.as_string());
}

/// `visibilitychange`: `document.hidden`.
#[wasm_bindgen]
pub fn hidden(hidden: bool) {
    tracker::hidden(hidden);
}

/// `pagehide`.
#[wasm_bindgen]
pub fn pagehide() {
    tracker::pagehide();
}

/// `online`.
#[wasm_bindgen]
pub fn online() {
    tracker::online();
}

/// The answer to `host.lock(name, …)`: the lock is held (or was released at once after
/// being granted), or (`held` false) it was taken.
#[wasm_bindgen]
pub fn granted(name: JsValue, held: bool) {
    if let Some(name) = name.as_string() {
        tracker::granted(&name, held);
    }
}

/// The answer to `host.post(…, n, …)`: the status (0: a network error or the timeout)
/// and the `Retry-After` header.
#[wasm_bindgen]
pub fn answered(n: u32, status: u16, retry_after: JsValue) {
    tracker::answered(n, status, retry_after.as_string());
}

/// `host.timer(…, n)` ran out.
#[wasm_bindgen]
pub fn tick(n: u32) {
    tracker::tick(n);
}

/// `lol_alloc`'s free list, the smallest allocator we measured (0.4 KB brotli less than
/// Talc, 1.9 KB less than the default, dlmalloc). It searches its free list from the
/// start on every allocation: while the queued events' texts lived in wasm memory, that
/// list grew with the queue and a `spur.track` call cost 19–26 µs on the benchmark page
/// (Talc, with size bins: 8–10 µs). Since the texts live in the loader, what the module
/// allocates is an event's strings, freed when the call returns, and a few long-lived
/// values, and the list stays short.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
