//! Transport: hands request bodies to the browser and reads the collector's answer.
//!
//! Two ways out, both `text/plain` so that no CORS preflight is needed:
//! - [`Transport::post`]: `fetch(url, {method: "POST", keepalive: true, signal})`, the
//!   normal path. Its answer (status, `Retry-After`, or a network error) is classified
//!   by [`crate::retry::classify`] and handed to a callback; `keepalive` lets a request
//!   started just before a navigation finish, and a timeout
//!   ([`REQUEST_TIMEOUT_MS`]) keeps a hung request from blocking the queue;
//! - [`Transport::beacon`]: `navigator.sendBeacon(url, body)` when the page goes away.
//!   Its outcome is never known, so the tracker keeps beaconed events queued (see
//!   [`crate::tracker`]).
//!
//! Invariant: nothing here throws into the page; a rejected fetch is an answer like
//! any other (a network error).

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::Response;

use crate::capture;
use crate::retry::{Outcome, classify};
use crate::storage::{ignore_rejection, once, then};

/// Keepalive requests and beacons must stay below 64 KiB, and so must a batch.
pub const MAX_BODY_BYTES: usize = 64 * 1024 - 1;
/// A request without an answer after this long counts as a network error.
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;

/// The collector's ingest path, appended to the `api` origin.
const EVENTS_PATH: &str = "/api/v1/events";

#[wasm_bindgen]
extern "C" {
    /// `AbortSignal.timeout(ms)`; `catch`: missing in older browsers.
    #[wasm_bindgen(catch, js_namespace = AbortSignal, js_name = timeout)]
    fn abort_after(ms: u32) -> Result<JsValue, JsValue>;

    /// The global `fetch`; `catch`: a page may have replaced it with one that throws.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> Result<JsValue, JsValue>;
}

pub struct Transport {
    endpoint: String,
}

impl Transport {
    /// `api` is the collector's origin (or a base path on it), with or without a
    /// trailing slash.
    pub fn new(api: &str) -> Transport {
        let mut endpoint = String::with_capacity(api.len() + EVENTS_PATH.len());
        endpoint.push_str(api.trim_end_matches('/'));
        endpoint.push_str(EVENTS_PATH);
        Transport { endpoint }
    }

    /// POSTs `body`; `done` gets the outcome once the collector answers (or the
    /// request fails), never synchronously, and not at all if the page goes away
    /// first. `false` (and `done` dropped) if the request could not even start.
    pub fn post(&self, body: &str, done: impl FnOnce(Outcome) + 'static) -> bool {
        let init = Object::new();
        set(&init, "method", &JsValue::from_str("POST"));
        set(&init, "body", &JsValue::from_str(body));
        set(&init, "headers", &text_plain());
        set(&init, "keepalive", &JsValue::TRUE);
        if let Ok(signal) = abort_after(REQUEST_TIMEOUT_MS) {
            set(&init, "signal", &signal);
        }
        let Ok(request) = fetch(&self.endpoint, &init) else {
            return false;
        };
        // One function for both the answer and the rejection: a `Response` is an
        // answer, anything else (TypeError, TimeoutError) a network error.
        let answered = once(Box::new(move |answer| {
            done(match answer.dyn_ref::<Response>() {
                Some(response) => {
                    let retry_after = response.headers().get("retry-after").ok().flatten();
                    classify(response.status(), retry_after.as_deref())
                }
                None => Outcome::Retry { after_ms: None },
            });
            JsValue::UNDEFINED
        }));
        match then(&request, &answered, &answered) {
            Some(next) => {
                ignore_rejection(&next);
                true
            }
            // Not a promise: `answered` is never called (and leaks, once).
            None => false,
        }
    }

    /// `navigator.sendBeacon`; `true` if the browser took the body.
    pub fn beacon(&self, body: &str) -> bool {
        capture::window().is_some_and(|w| {
            w.navigator()
                .send_beacon_with_opt_str(&self.endpoint, Some(body))
                == Ok(true)
        })
    }
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// `{"content-type": "text/plain"}`: a CORS-safelisted type, so no preflight.
fn text_plain() -> Object {
    let headers = Object::new();
    set(&headers, "content-type", &JsValue::from_str("text/plain"));
    headers
}
