//! Transport: hands request bodies to the browser and reads the collector's answer.
//!
//! Two ways out, both `text/plain` so that no CORS preflight is needed:
//! - [`Transport::post`]: `fetch(url, {method: "POST", keepalive: true, signal})`, the
//!   normal path. Its answer (status, `Retry-After`, or a network error) comes back
//!   through the module's `answered` export and is classified by
//!   [`crate::retry::classify`]; `keepalive` lets a request
//!   started just before a navigation finish, and a timeout
//!   ([`REQUEST_TIMEOUT_MS`]) keeps a hung request from blocking the queue;
//! - [`Transport::beacon`]: `navigator.sendBeacon(url, body)` when the page goes away.
//!   Its outcome is never known, so the tracker keeps beaconed events queued (see
//!   [`crate::tracker`]).
//!
//! Invariant: nothing here throws into the page; a rejected fetch is an answer like
//! any other (a network error).

use wasm_bindgen::JsValue;

use crate::host;

/// Keepalive requests and beacons must stay below 64 KiB, and so must a batch.
pub const MAX_BODY_BYTES: usize = 64 * 1024 - 1;
/// A request without an answer after this long counts as a network error.
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;

/// The collector's ingest path, appended to the `api` origin.
const EVENTS_PATH: &str = "/api/v1/events";

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

    /// POSTs a batch as request number `n`: `head` (see [`crate::wire::head`]) with the
    /// `count` oldest queued events. The answer arrives later through the module's
    /// `answered` export, never synchronously, and not at all if the page goes away
    /// first. `false` if the request could not even start.
    pub fn post(&self, head: &JsValue, count: usize, n: u32) -> bool {
        host::post(&self.endpoint, head, count as u32, n, REQUEST_TIMEOUT_MS)
    }

    /// `navigator.sendBeacon` of `head` with the queued events `from..from + count`;
    /// `true` if the browser took the body.
    pub fn beacon(&self, head: &JsValue, from: usize, count: usize) -> bool {
        host::beacon(&self.endpoint, head, from as u32, count as u32)
    }
}
