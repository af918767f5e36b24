//! Transport: encodes queued events as wire batches and hands them to the browser.
//!
//! Two ways out, both `text/plain` so that no CORS preflight is needed:
//! - [`Mode::Fetch`]: `fetch(url, {method: "POST", keepalive: true, ...})`, the normal
//!   path; the rejection of a failed request is swallowed so that it never surfaces in
//!   the page as an unhandled rejection;
//! - [`Mode::Beacon`]: `navigator.sendBeacon(url, body)` when the page is being hidden
//!   or unloaded; if the browser refuses the beacon, the fetch path is tried.
//!
//! Invariant: every body is smaller than [`MAX_BODY_BYTES`] (keepalive requests and
//! beacons share a 64 KiB budget), so a flush is split into parts by halving until each
//! part fits (see [`split`]).
//!
//! Retries with backoff and offline persistence are a later addition: [`Transport::send`]
//! already reports which part failed ([`SendError`]), so a retry queue can take the
//! events of a failed part back.

use js_sys::{JSON, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::wire::{Batch, Event, VERSION};

/// Keepalive bodies must stay below 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024 - 1;

/// The collector's ingest path, appended to the `api` origin.
const EVENTS_PATH: &str = "/api/v1/events";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Fetch,
    Beacon,
}

/// Why a part was not handed to the browser. No text: the variants are the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The batch could not be turned into JSON (a JS-side failure; should not happen).
    Encode,
    /// No `window` (the tracker does not run in a page).
    NoWindow,
}

pub struct Transport {
    site: String,
    endpoint: String,
    /// The rejection handler attached to every fetch. One closure for the page's
    /// lifetime, rather than one per request.
    swallow: Closure<dyn FnMut(JsValue)>,
}

impl Transport {
    /// `api` is the collector's origin (or a base path on it), with or without a
    /// trailing slash.
    pub fn new(site: String, api: &str) -> Transport {
        let mut endpoint = String::with_capacity(api.len() + EVENTS_PATH.len());
        endpoint.push_str(api.trim_end_matches('/'));
        endpoint.push_str(EVENTS_PATH);
        Transport {
            site,
            endpoint,
            swallow: Closure::new(|_: JsValue| {}),
        }
    }

    /// Sends `events` (oldest first) in as many parts as needed. Each part is a
    /// complete batch; the parts go out in order.
    pub fn send(&self, events: &[Event], mode: Mode) -> Result<(), SendError> {
        let sent_at = crate::capture::now();
        let mut bodies = Vec::new();
        split(events, &|part| self.encode(sent_at, part), &mut bodies)?;
        let mut result = Ok(());
        for body in &bodies {
            // Keep going: a later part may still get through.
            if let Err(e) = self.post(body, mode) {
                result = Err(e);
            }
        }
        result
    }

    fn encode(&self, sent_at: u64, events: &[Event]) -> Result<String, SendError> {
        let batch = Batch {
            v: VERSION,
            site: &self.site,
            sent_at,
            events,
        };
        // json_compatible: maps become plain objects and u64 plain numbers, so that
        // `JSON.stringify` writes exactly the wire format (no serde_json in the bundle).
        let value = batch
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|_| SendError::Encode)?;
        JSON::stringify(&value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or(SendError::Encode)
    }

    fn post(&self, body: &str, mode: Mode) -> Result<(), SendError> {
        let window = crate::capture::window().ok_or(SendError::NoWindow)?;
        if mode == Mode::Beacon
            && window
                .navigator()
                .send_beacon_with_opt_str(&self.endpoint, Some(body))
                == Ok(true)
        {
            return Ok(());
        }
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
        init.set_headers(&text_plain());
        // RequestInit has no typed `keepalive` setter in web-sys; the dictionary is a
        // plain object. Without keepalive the request still goes out while the page lives.
        let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
        // A network failure rejects the promise: handled here, never seen by the page.
        // (The HTTP status is not checked yet; retries will look at it.)
        let _ = window
            .fetch_with_str_and_init(&self.endpoint, &init)
            .catch(&self.swallow);
        Ok(())
    }
}

/// `{"content-type": "text/plain"}`: a CORS-safelisted type, so no preflight.
fn text_plain() -> Object {
    let headers = Object::new();
    let _ = Reflect::set(
        &headers,
        &JsValue::from_str("content-type"),
        &JsValue::from_str("text/plain"),
    );
    headers
}

/// Encodes `events` into `out` as one body, or, if that body would be too large, as the
/// bodies of its two halves (recursively). A single event is never split: the capture
/// limits keep it far below [`MAX_BODY_BYTES`].
pub fn split<E>(
    events: &[Event],
    encode: &impl Fn(&[Event]) -> Result<String, E>,
    out: &mut Vec<String>,
) -> Result<(), E> {
    if events.is_empty() {
        return Ok(());
    }
    let body = encode(events)?;
    if body.len() <= MAX_BODY_BYTES || events.len() == 1 {
        out.push(body);
        return Ok(());
    }
    let (first, second) = events.split_at(events.len() / 2);
    split(first, encode, out)?;
    split(second, encode, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Kind, Props};

    fn event(ts: u64, url_len: usize) -> Event {
        let mut url = "https://shop.example/?q=".to_owned();
        url.push_str(&"x".repeat(url_len));
        Event {
            id: "0123456789abcdef0123456789abcdef".to_owned(),
            ts,
            kind: Kind::Pageview,
            url,
            referrer: None,
            name: None,
            stage: None,
            props: Props::default(),
        }
    }

    /// Splits events with URLs of the given lengths; checks the number of events per part.
    fn check(url_lens: &[usize], expected_parts: &[usize]) {
        let events: Vec<Event> = url_lens
            .iter()
            .enumerate()
            .map(|(i, &n)| event(i as u64, n))
            .collect();
        let encode = |part: &[Event]| {
            let batch = Batch {
                v: VERSION,
                site: "demo",
                sent_at: 0,
                events: part,
            };
            serde_json::to_string(&batch)
        };
        let mut out = Vec::new();
        split(&events, &encode, &mut out).expect("encodes");
        let parts: Vec<usize> = out
            .iter()
            .map(|body| {
                let value: serde_json::Value = serde_json::from_str(body).expect("valid JSON");
                value["events"].as_array().expect("an events array").len()
            })
            .collect();
        assert_eq!(parts, expected_parts, "url lengths {url_lens:?}");
        let ts: Vec<u64> = out
            .iter()
            .flat_map(|body| {
                let value: serde_json::Value = serde_json::from_str(body).expect("valid JSON");
                let events = value["events"].as_array().expect("events").clone();
                events.into_iter().map(|e| e["ts"].as_u64().expect("ts"))
            })
            .collect();
        assert_eq!(
            ts,
            (0..url_lens.len() as u64).collect::<Vec<_>>(),
            "order is kept"
        );
        if out.len() > 1 {
            assert!(out.iter().all(|b| b.len() <= MAX_BODY_BYTES));
        }
    }

    #[test]
    fn splits_only_when_too_large() {
        check(&[], &[]);
        check(&[10], &[1]);
        check(&[10; 10], &[10]);
        // Ten events of ~8 KB: 80 KB in one body is too much; halves of 40 KB fit.
        check(&[8000; 10], &[5, 5]);
        // Ten of ~20 KB: halves are still too big, quarters fit (2 or 3 events each).
        check(&[20000; 10], &[2, 3, 2, 3]);
        // One oversized event goes out alone rather than being dropped here.
        check(&[70000], &[1]);
    }
}
