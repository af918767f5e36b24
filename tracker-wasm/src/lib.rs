//! Spur's browser tracker, compiled to WebAssembly and loaded by `js/loader.js`.
//!
//! This file is only the `#[wasm_bindgen]` boundary: the functions the loader calls.
//! None of them throws; `start` reports why it did nothing as a short string code, the
//! only place where a `JsValue` error exists.
//!
//! Code map, in pipeline order:
//! - [`capture`]: page views, touchpoint clicks and custom events → wire events;
//! - [`queue`]: when a flush is due (10 events or 1 s);
//! - [`transport`]: batches → JSON → `fetch` keepalive / `sendBeacon`;
//! - [`wire`]: the versioned payload types (the public contract);
//! - [`tracker`]: the state and the page listeners that tie the others together.

pub mod capture;
pub mod queue;
pub mod tracker;
pub mod transport;
pub mod wire;

use wasm_bindgen::prelude::*;

/// Starts tracking for `site`, sending to `<api>/api/v1/events`.
#[wasm_bindgen]
pub fn start(site: String, api: String) -> Result<(), JsValue> {
    tracker::start(site, &api).map_err(|e| JsValue::from_str(e.code()))
}

/// `spur.track(name, props)`: a custom event; `props` is an optional plain object.
#[wasm_bindgen]
pub fn track(name: JsValue, props: JsValue) {
    tracker::track(&name, &props);
}

/// `spur.flush()`: send what is queued now.
#[wasm_bindgen]
pub fn flush() {
    tracker::flush();
}

/// Called by the loader after `history.pushState`/`replaceState` and on `popstate`.
#[wasm_bindgen]
pub fn navigated() {
    tracker::navigated();
}
