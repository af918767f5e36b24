//! The host: the browser calls this module makes, all through `js/loader.js`.
//!
//! The module decides and the loader's `host` object only does I/O: it reads the page,
//! touches storage, Web Locks, `fetch`, `sendBeacon` and timers, cleans texts with the
//! browser's string functions ([`clean`]), and reports what
//! happened by calling the module's exports ([`crate`]'s `#[wasm_bindgen]` functions:
//! `granted`, `answered`, `tick`, `click`, …). Why not `web-sys`: every imported browser
//! method costs a glue function in the JS and bookkeeping of JS values in the module, and
//! every Rust closure handed to the browser a closure shim on both sides. This surface of
//! a dozen calls (and no closures at all) took the tracker from 27 to 16 KB brotli (see
//! the README's *Size*).
//!
//! Contract, for every function here: it never throws (the loader catches and returns
//! the "nothing" value: `None`, `false`, an empty string), and it never calls back into
//! the module synchronously — answers always arrive as a later task, so they never meet
//! the tracker's state borrowed (see [`crate::tracker`]).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = host, js_name = href)]
    fn href_value() -> JsValue;

    #[wasm_bindgen(js_namespace = host, js_name = referrer)]
    fn referrer_value() -> JsValue;

    #[wasm_bindgen(js_namespace = host, js_name = page_attr)]
    pub fn page_attr_value(name: &str) -> JsValue;

    #[wasm_bindgen(js_namespace = host, js_name = clean)]
    fn clean_value(raw: &JsValue, max: u32) -> JsValue;

    /// Fills `bytes` from `crypto.getRandomValues` (`Math.random` where it is missing).
    #[wasm_bindgen(js_namespace = host)]
    pub fn random(bytes: &mut [u8]);

    /// Whether `sessionStorage` (`session`) or `localStorage` can be used at all.
    #[wasm_bindgen(js_namespace = host)]
    pub fn storage(session: bool) -> bool;

    /// `JSON.stringify` of one event, `{id, ts, type, url, ref, name, stage, props}`:
    /// the wire order of [`crate::wire::Event::fields`], then `props`; `None` fields
    /// and an undefined `props` are left out. One call instead of a `Reflect.set` (and
    /// two strings passed) per field. The text is appended to the queue's texts (see
    /// [`crate::queue`]); the answer is its size in UTF-8 bytes, 0 when nothing was
    /// appended.
    #[wasm_bindgen(js_namespace = host)]
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        id: &str,
        ts: f64,
        kind: &str,
        url: &str,
        referrer: Option<&str>,
        name: Option<&str>,
        stage: Option<&str>,
        props: &JsValue,
    ) -> u32;

    /// Removes the `n` oldest of the queue's texts.
    #[wasm_bindgen(js_namespace = host)]
    pub fn drop_oldest(n: u32);

    /// Inserts a stored line into the queue's texts at position `at`; its size in UTF-8
    /// bytes.
    #[wasm_bindgen(js_namespace = host)]
    pub fn insert(at: u32, line: &str) -> u32;

    /// Writes the queue in its stored form (see [`crate::queue`]): `dropped`, then the
    /// queue's texts, one per line, under `key`; `false` when it failed (quota,
    /// storage disabled).
    #[wasm_bindgen(js_namespace = host)]
    pub fn save(session: bool, key: &str, dropped: u32) -> bool;

    #[wasm_bindgen(js_namespace = host, js_name = get)]
    fn get_value(session: bool, key: &str) -> JsValue;

    /// `setItem(key, value)`; `false` when it failed (quota, storage disabled).
    #[wasm_bindgen(js_namespace = host)]
    pub fn set(session: bool, key: &str, value: &str) -> bool;

    /// `removeItem(key)`.
    #[wasm_bindgen(js_namespace = host)]
    pub fn remove(session: bool, key: &str);

    #[wasm_bindgen(js_namespace = host, js_name = keys)]
    fn keys_value() -> JsValue;

    /// Requests the Web Lock `name`: with `ifAvailable` and held for the page's lifetime
    /// once granted (`hold`), or waited for and released at once. The module's
    /// `granted(name, held)` gets the result. `false`: no Web Locks (or the request
    /// threw, as in a sandboxed frame), and `granted` is never called.
    #[wasm_bindgen(js_namespace = host)]
    pub fn lock(name: &str, hold: bool) -> bool;

    /// `fetch(url, {method: "POST", body, keepalive: true})` as `text/plain`, given up
    /// after `timeout_ms`, where the body is `head`'s JSON with the `count` oldest of the
    /// queue's texts as its `events` ([`crate::wire::head`]). The module's
    /// `answered(n, status, retry_after)` gets the status (0 for a network error) and the
    /// `Retry-After` header. `false`: the request could not start, and `answered` is
    /// never called.
    #[wasm_bindgen(js_namespace = host)]
    pub fn post(url: &str, head: &JsValue, count: u32, n: u32, timeout_ms: u32) -> bool;

    /// `navigator.sendBeacon(url, body)`, the body as for [`post`] with the queue's texts
    /// `from..from + count`: whether the browser took it.
    #[wasm_bindgen(js_namespace = host)]
    pub fn beacon(url: &str, head: &JsValue, from: u32, count: u32) -> bool;

    /// Calls the module's `tick(n)` after `ms`; with 0, at the end of the current task
    /// (a microtask), before anything else can run.
    #[wasm_bindgen(js_namespace = host)]
    pub fn timer(ms: u32, n: u32);
}

// The imports above that answer a string return it as a JS value, turned into a Rust
// string here by one function of wasm-bindgen's: a `String` return type gives each
// import a glue function of its own that copies the string into wasm memory.

/// `location.href`.
/// `raw` (a name, a prop's key, a customer reference) as the collector takes a name:
/// control characters and the controls of text direction removed, white space trimmed (JavaScript's `\s`: Unicode's
/// White_Space and U+FEFF), cut to `max` code points; `None` when `raw` is not a string
/// or nothing is left. The browser's regular expressions do it in a few bytes of script,
/// where Rust's Unicode tables and UTF-8 handling cost 447 B brotli in the module.
pub fn clean(raw: &JsValue, max: u32) -> Option<String> {
    clean_value(raw, max).as_string()
}

pub fn href() -> String {
    href_value().as_string().unwrap_or_default()
}

/// `document.referrer`.
pub fn referrer() -> String {
    referrer_value().as_string().unwrap_or_default()
}

/// The attribute `name` of `<body>`, else of `<html>` (`data-stage`: `spur.stage`'s, when
/// set); [`page_attr_value`] answers it as a JS value.
pub fn page_attr(name: &str) -> Option<String> {
    page_attr_value(name).as_string()
}

/// `getItem(key)` of `sessionStorage` (`session`) or `localStorage`.
pub fn get(session: bool, key: &str) -> Option<String> {
    get_value(session, key).as_string()
}

/// Every `localStorage` key, each followed by a line break.
pub fn keys() -> String {
    keys_value().as_string().unwrap_or_default()
}

/// The queue's texts as the loader keeps them: an array of JS strings, never copied
/// into wasm memory (see [`crate::queue`]).
#[derive(Default)]
pub struct Texts;

impl crate::queue::Texts for Texts {
    fn drop_oldest(&mut self, n: usize) {
        if n > 0 {
            drop_oldest(n as u32);
        }
    }

    fn insert(&mut self, at: usize, line: &str) -> Option<u32> {
        Some(insert(at as u32, line)).filter(|&size| size > 0)
    }
}
