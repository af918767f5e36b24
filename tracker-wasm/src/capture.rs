//! Capture: turns what happens on the page into [`wire::Event`]s.
//!
//! Four sources: page views (the start and every single-page-app navigation, see
//! [`crate::tracker`]), clicks on elements marked `data-touchpoint="name"` (found by the
//! loader's listener), `spur.track(name, props)`, and the rating widgets' events.
//!
//! Invariants:
//! - nothing here panics or throws: what the page or the host does not give is read as
//!   "absent", and an event that cannot be described (no name, no URL) is simply not
//!   captured;
//! - every event leaves here already valid for the collector
//!   (`collector/src/ingest/mod.rs`; names and keys cleaned by [`host::clean`]): names
//!   trimmed, 1 to 100 characters without control
//!   characters; URLs at most 2048 bytes; at most 20 props with keys of 1 to 64 and
//!   string values of at most 256 characters (1000 for a widget's comment; cut, not
//!   rejected). One bad event would
//!   make the collector refuse the whole batch, so the limits are enforced on this side;
//! - the page's own touchpoint and stage live on `<body>` (else `<html>`), so a click
//!   never resolves to those two elements (the loader's selector excludes them).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::host;
use crate::wire::{Event, Kind, Props, Stage, Value};

pub const MAX_NAME_CHARS: usize = 100;
/// A customer reference (`spur.identify`), as the collector takes it.
pub const MAX_CUSTOMER_CHARS: usize = 128;
pub const MAX_URL_BYTES: usize = 2048;
pub const MAX_PROPS: usize = 20;
pub const MAX_PROP_KEY_CHARS: usize = 64;
pub const MAX_PROP_VALUE_CHARS: usize = 256;
/// A rating widget's comment may be longer than a custom prop.
pub const MAX_FEEDBACK_VALUE_CHARS: usize = 1000;

/// The page's current address, cut to the collector's limit; `None` when there is none.
pub fn current_url() -> Option<String> {
    let mut url = host::href();
    truncate_bytes(&mut url, MAX_URL_BYTES);
    (!url.is_empty()).then_some(url)
}

/// A page view of `url` (from [`current_url`]).
pub fn page_view(url: String) -> Event {
    let mut event = new_event(Kind::Pageview, url);
    let referrer = host::referrer();
    event.referrer = (!referrer.is_empty() && referrer.len() <= MAX_URL_BYTES).then_some(referrer);
    event.name = clean(&host::page_attr_value("data-touchpoint"), MAX_NAME_CHARS);
    event.stage = page_stage();
    event
}

/// A click on (or inside) an element marked with `data-touchpoint`: its attribute, and
/// the `data-stage` of its closest ancestor that has one (the loader reads both).
pub fn click(touchpoint: &JsValue, stage: Option<String>) -> Option<Event> {
    let name = clean(touchpoint, MAX_NAME_CHARS)?;
    let mut event = new_event(Kind::Click, current_url()?);
    event.name = Some(name);
    event.stage = stage.and_then(|s| Stage::parse(&s)).or_else(page_stage);
    Some(event)
}

/// A custom event from `spur.track(name, props)`; `None` when `name` is not a usable name.
pub fn custom(name: &JsValue, props: &JsValue) -> Option<Event> {
    let name = clean(name, MAX_NAME_CHARS)?;
    // Read the page's object before anything else: a throwing getter must not leave
    // the tracker half-updated.
    let props = read_props(props, MAX_PROP_VALUE_CHARS);
    let mut event = new_event(Kind::Custom, current_url()?);
    event.name = Some(name);
    event.stage = page_stage();
    event.props = props;
    Some(event)
}

/// A rating widget's event: shown, answered or dismissed, with what the widget says
/// (`props`: `widget`, `outcome`, and with an answer `score` and `comment`, which may be
/// up to [`MAX_FEEDBACK_VALUE_CHARS`] long); `stage` as written in the page.
pub fn feedback(touchpoint: &JsValue, stage: Option<String>, props: &JsValue) -> Option<Event> {
    let name = clean(touchpoint, MAX_NAME_CHARS)?;
    let props = read_props(props, MAX_FEEDBACK_VALUE_CHARS);
    let mut event = new_event(Kind::Feedback, current_url()?);
    event.name = Some(name);
    event.stage = stage.and_then(|s| Stage::parse(&s)).or_else(page_stage);
    event.props = props;
    Some(event)
}

/// An event the loader describes whole. `what` 0: an `engagement` (props `ms` and
/// `scroll`, for the page view of `url` with its touchpoint `name` and `stage` as they
/// were then: a route change has already replaced them when it is sent); 1 to 4: a
/// `friction` event named [`FRICTION`]`[what - 1]` (props `target`, `message`,
/// `source`; at the current address). `None` for any other number.
pub fn observed(
    what: u8,
    props: &JsValue,
    url: Option<String>,
    name: &JsValue,
    stage: Option<String>,
) -> Option<Event> {
    let (kind, name) = match what {
        0 => (Kind::Engagement, clean(name, MAX_NAME_CHARS)),
        _ => (
            Kind::Friction,
            Some((*FRICTION.get(usize::from(what) - 1)?).into()),
        ),
    };
    let mut url = url.or_else(current_url)?;
    truncate_bytes(&mut url, MAX_URL_BYTES);
    let mut event = new_event(kind, url);
    event.name = name;
    event.stage = stage.and_then(|s| Stage::parse(&s)).or_else(page_stage);
    event.props = read_props(props, MAX_PROP_VALUE_CHARS);
    Some(event)
}

/// The names of friction events (the collector accepts only these).
const FRICTION: [&str; 4] = ["rage-click", "dead-click", "error", "form-error"];

fn new_event(kind: Kind, url: String) -> Event {
    let ts = now();
    Event {
        id: event_id(ts, random_bytes()),
        ts,
        kind,
        url,
        referrer: None,
        name: None,
        stage: None,
        props: Props::default(),
    }
}

/// Milliseconds since the epoch on the client's clock.
pub fn now() -> u64 {
    js_sys::Date::now() as u64
}

/// The page's stage: `data-stage` of `<body>`, else of `<html>`.
fn page_stage() -> Option<Stage> {
    Stage::parse(&host::page_attr("data-stage")?)
}

/// Random bytes drawn [`POOL_BYTES`] at a time: one `getRandomValues` call (two
/// crossings between wasm and JS) for every 16 ids instead of one per id.
struct Pool {
    bytes: [u8; POOL_BYTES],
    used: usize,
}

const POOL_BYTES: usize = 256;

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; POOL_BYTES], used: POOL_BYTES })
    };
}

/// 16 random bytes (`crypto.getRandomValues`) as 32 lowercase hex characters: a
/// first-party visitor id, a tab's id.
pub fn new_id() -> String {
    hex(&random_bytes())
}

/// An event's id: the time it was captured (`ts`, milliseconds since the epoch, 12 hex
/// digits) and then 10 of the `random` bytes (20 hex digits); 32 lowercase hex
/// characters, as [`new_id`]. Events captured close together get ids that sort close
/// together, so the collector's unique index of ids takes new ones near its end rather
/// than at random places: with random ids, each stored event rewrote an index page of
/// its own in every commit, and the collector ingested a third as many events a second.
pub fn event_id(ts: u64, mut random: [u8; 16]) -> String {
    random[..6].copy_from_slice(&ts.to_be_bytes()[2..]);
    hex(&random)
}

/// 16 random bytes, from the pool.
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let drawn = POOL.try_with(|cell| {
        let mut pool = cell.try_borrow_mut().ok()?;
        if pool.used + bytes.len() > POOL_BYTES {
            host::random(&mut pool.bytes);
            pool.used = 0;
        }
        let at = pool.used;
        bytes.copy_from_slice(pool.bytes.get(at..at + 16)?);
        pool.used = at + 16;
        Some(())
    });
    if drawn.ok().flatten().is_none() {
        host::random(&mut bytes);
    }
    bytes
}

/// Whether `s` looks like a [`new_id`] or an [`event_id`]: 32 lowercase hex digits.
pub fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Keeps string, finite number and boolean values of a plain object's own enumerable
/// properties, at most [`MAX_PROPS`] of them; anything else is skipped, never an error.
pub(crate) fn read_props(value: &JsValue, max_value_chars: usize) -> Props {
    let mut props = Vec::new();
    if !value.is_object() || Array::is_array(value) {
        return Props(props);
    }
    let keys = Object::keys(value.unchecked_ref::<Object>());
    for key in keys.iter() {
        if props.len() == MAX_PROPS {
            break;
        }
        let Some(clean_key) = clean(&key, MAX_PROP_KEY_CHARS) else {
            continue;
        };
        let Ok(raw) = Reflect::get(value, &key) else {
            continue;
        };
        let Some(value) = prop_value(&raw, max_value_chars) else {
            continue;
        };
        // Cleaning can make two keys equal; the first one wins.
        if props.iter().all(|(k, _)| *k != clean_key) {
            props.push((clean_key, value));
        }
    }
    Props(props)
}

fn prop_value(raw: &JsValue, max_chars: usize) -> Option<Value> {
    if let Some(mut s) = raw.as_string() {
        truncate_chars(&mut s, max_chars);
        return Some(Value::Str(s));
    }
    if let Some(n) = raw.as_f64() {
        return n.is_finite().then_some(Value::Num(n));
    }
    raw.as_bool().map(Value::Bool)
}

/// A name, key or customer reference as the collector accepts it (see [`host::clean`]).
pub(crate) fn clean(raw: &JsValue, max: usize) -> Option<String> {
    host::clean(raw, max as u32)
}

/// Cuts `s` to at most `max` characters (Unicode scalar values, as the collector counts).
fn truncate_chars(s: &mut String, max: usize) {
    let end = s.chars().take(max).map(char::len_utf8).sum();
    s.truncate(end);
}

/// Cuts `s` to at most `max` bytes, on a character boundary.
fn truncate_bytes(s: &mut String, max: usize) {
    if s.len() > max {
        let end = (0..=max)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        s.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T, U>(cases: &[(&str, U)], f: impl Fn(&str) -> T)
    where
        T: PartialEq<U> + std::fmt::Debug,
        U: std::fmt::Debug,
    {
        for (input, expected) in cases {
            assert_eq!(f(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn event_ids_start_with_their_time_and_sort_by_it() {
        let random = [0xab; 16];
        // 2026-12-05 12:00:00 UTC.
        let ts = 1_796_472_000_000;
        let id = event_id(ts, random);
        assert_eq!(id, format!("{ts:012x}{}", "ab".repeat(10)));
        assert!(is_id(&id));
        // A millisecond later sorts after, whatever the random part.
        assert!(event_id(ts + 1, [0; 16]) > event_id(ts, [0xff; 16]));
        // The random part tells apart two ids of the same millisecond.
        assert_ne!(event_id(ts, [1; 16]), event_id(ts, [2; 16]));
    }

    #[test]
    fn truncate_on_character_boundaries() {
        check(
            &[("abc", "ab"), ("äöü", "äö"), ("a", "a"), ("", "")],
            |s| {
                let mut s = s.to_owned();
                truncate_chars(&mut s, 2);
                s
            },
        );
        // "ä" is 2 bytes, "€" is 3.
        check(
            &[
                ("abcd", "ab"),
                ("aä", "a"),
                ("€", ""),
                ("ab", "ab"),
                ("äx", "ä"),
            ],
            |s| {
                let mut s = s.to_owned();
                truncate_bytes(&mut s, 2);
                s
            },
        );
    }

    #[test]
    fn ids_are_lowercase_hex() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[0xab; 16]).len(), 32);
    }
}
