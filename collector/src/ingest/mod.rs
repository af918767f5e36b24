//! Ingest: from a request body to validated [`Event`]s, with every limit in one place.
//!
//! Batch-level problems (not JSON, unknown version or site, disallowed origin, no or too
//! many events, a bad `uid`) refuse the whole batch and nothing of it is stored. Event-level
//! problems reject only that event: the good ones are stored and the answer lists each
//! rejected event's index, code and reason, so one bad event (a tracker bug, a site's
//! oversized property) never costs the rest of a visitor's journey. A batch whose events
//! are all invalid is refused. Knows nothing of HTTP; [`crate::http`] maps
//! [`IngestError`] to statuses.
//!
//! Invariants: every string stored is bounded and free of control characters (but the
//! line breaks and tabs of property values, such as a comment's); every
//! timestamp is on the collector's clock (client skew removed with the batch's
//! `sent_at`); a batch names a known site and holds 1..=[`MAX_EVENTS`] events.

pub mod compat;
pub mod wire;

use crate::event::{Device, Event, EventKind, Stage, Utm};
use crate::site::Site;

/// Largest request body accepted (bytes). A full batch of typical events is ~15 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const MAX_EVENTS: usize = 100;
pub const MAX_URL_LEN: usize = 2048;
pub const MAX_NAME_LEN: usize = 100;
pub const MAX_PROPS: usize = 20;
pub const MAX_PROP_KEY_LEN: usize = 64;
pub const MAX_PROP_VALUE_LEN: usize = 256;
/// The most visible time one engagement event may report (a day).
pub const MAX_ENGAGED_MS: u64 = 24 * 3600 * 1000;
/// How far an event may lie before its batch's send time: a week of being offline.
pub const MAX_EVENT_AGE_MS: i64 = 7 * 24 * 3600 * 1000;
/// How far an event may lie after its batch's send time (clock jitter within a page).
pub const MAX_EVENT_LEAD_MS: i64 = 60 * 1000;

/// Why a batch was refused. Each variant has a stable code (see [`IngestError::code`]).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IngestError {
    #[error("the body is not a valid event batch: {0}")]
    Malformed(String),
    #[error("wire version {0} is not supported (this collector speaks version {VERSION})", VERSION = wire::VERSION)]
    UnsupportedVersion(u32),
    #[error("site `{0}` is not known to this collector")]
    UnknownSite(String),
    #[error("origin `{0}` may not send events for this site")]
    OriginNotAllowed(String),
    #[error("the batch holds no events")]
    EmptyBatch,
    #[error("the batch holds {0} events; at most {MAX_EVENTS} are allowed")]
    TooManyEvents(usize),
    #[error("{field}: {reason}")]
    InvalidBatch {
        field: &'static str,
        reason: &'static str,
    },
    /// Every event of the batch is invalid (never empty); the message names the first.
    #[error("{}", all_rejected(.0))]
    InvalidEvent(Vec<Rejected>),
}

/// An event refused by validation, named by its index in the batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("events[{index}].{field}: {reason}")]
pub struct Rejected {
    pub index: usize,
    pub field: &'static str,
    pub reason: &'static str,
}

impl Rejected {
    pub fn code(&self) -> &'static str {
        "invalid_event"
    }
}

fn all_rejected(rejected: &[Rejected]) -> String {
    match rejected {
        [only] => only.to_string(),
        [first, ..] => format!("{first} (and every other event of the batch is invalid too)"),
        [] => "no valid event".to_owned(),
    }
}

/// A batch's valid events, and the ones rejected.
#[derive(Debug)]
pub struct Checked {
    pub events: Vec<Event>,
    pub rejected: Vec<Rejected>,
}

impl IngestError {
    /// The machine-readable code clients branch on. Stable: part of the public API.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Malformed(_) => "malformed_body",
            IngestError::UnsupportedVersion(_) => "unsupported_version",
            IngestError::UnknownSite(_) => "unknown_site",
            IngestError::OriginNotAllowed(_) => "origin_not_allowed",
            IngestError::EmptyBatch => "empty_batch",
            IngestError::TooManyEvents(_) => "too_many_events",
            IngestError::InvalidBatch { .. } => "invalid_batch",
            IngestError::InvalidEvent(_) => "invalid_event",
        }
    }
}

/// Parses a body as a batch of the supported wire version.
pub fn parse(body: &[u8]) -> Result<wire::Batch, IngestError> {
    match from_json::<wire::Batch>(body) {
        Ok(batch) if batch.v == wire::VERSION => Ok(batch),
        Ok(batch) => Err(IngestError::UnsupportedVersion(batch.v)),
        Err(error) => match from_json::<wire::Probe>(body) {
            Ok(probe) if probe.v != wire::VERSION => Err(IngestError::UnsupportedVersion(probe.v)),
            _ => Err(IngestError::Malformed(error.to_string())),
        },
    }
}

/// `serde_json::from_slice`, except that a lone UTF-16 surrogate written as an escape
/// (`"\ud83d"`) reads as U+FFFD instead of failing the whole body.
///
/// JavaScript's strings are UTF-16, and `JSON.stringify` writes a lone surrogate (half
/// an emoji, left by `slice` cutting a title or a product name) as such an escape; Rust's
/// strings cannot hold one, so serde_json refuses the body. A page, a drop-in tracker
/// (Plausible's, Umami's) or a server in JavaScript would lose every event of the batch
/// to one cut string. Only a body that failed is looked at again, so the usual path
/// costs nothing.
pub fn from_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(body).or_else(|error| match lone_surrogates_replaced(body) {
        Some(fixed) => serde_json::from_slice(&fixed),
        None => Err(error),
    })
}

/// `body` with every `\uXXXX` escape of a lone surrogate (one not in a high-low pair)
/// replaced by `\ufffd`, of the same length so that an error's column still points
/// into the body as sent; `None` when it has none.
fn lone_surrogates_replaced(body: &[u8]) -> Option<Vec<u8>> {
    /// The code unit of the `\uXXXX` escape at `at`, if one is there.
    fn unit(body: &[u8], at: usize) -> Option<u16> {
        let escape = body.get(at..at + 6)?;
        let hex = std::str::from_utf8(escape.strip_prefix(b"\\u")?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    }
    let mut fixed: Option<Vec<u8>> = None;
    let mut at = 0;
    while let Some(offset) = body
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
    {
        at += offset;
        let step = match unit(body, at) {
            Some(0xD800..=0xDBFF)
                if unit(body, at + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) =>
            {
                12
            }
            Some(0xD800..=0xDFFF) => {
                fixed.get_or_insert_with(|| body.to_vec())[at..at + 6].copy_from_slice(b"\\ufffd");
                6
            }
            Some(_) => 6,
            // Any other escape is two bytes: `\\` must not start a `\u` with its second.
            None => 2,
        };
        at += step;
    }
    fixed
}

/// Checks the batch-level rules that do not depend on its events' contents.
pub fn check_batch(
    batch: &wire::Batch,
    site: Option<&Site>,
    origin: Option<&str>,
) -> Result<(), IngestError> {
    let site = site.ok_or_else(|| IngestError::UnknownSite(truncate(&batch.site, MAX_NAME_LEN)))?;
    if !site.allows_origin(origin) {
        return Err(IngestError::OriginNotAllowed(truncate(
            origin.unwrap_or_default(),
            MAX_URL_LEN,
        )));
    }
    if batch
        .uid
        .as_deref()
        .is_some_and(|uid| !crate::visitor::valid_uid(uid))
    {
        return Err(IngestError::InvalidBatch {
            field: "uid",
            reason: "must be 16 to 64 characters of A-Z, a-z, 0-9, '-' or '_'",
        });
    }
    if batch
        .customer
        .as_deref()
        .is_some_and(|c| !crate::visitor::valid_customer(c))
    {
        return Err(IngestError::InvalidBatch {
            field: "customer",
            reason: "must be 1 to 128 characters, not blank, without control characters",
        });
    }
    match batch.events.len() {
        0 => Err(IngestError::EmptyBatch),
        n if n > MAX_EVENTS => Err(IngestError::TooManyEvents(n)),
        _ => Ok(()),
    }
}

/// Turns a checked batch into events for `visitor`, received at `received_at` (ms):
/// the valid ones, and the rejected ones with their reasons. Fails only when no event is
/// valid.
pub fn events(
    batch: wire::Batch,
    visitor: u64,
    device: Device,
    received_at: i64,
) -> Result<Checked, IngestError> {
    let sent_at = batch.sent_at;
    let site = batch.site;
    let mut checked = Checked {
        events: Vec::with_capacity(batch.events.len()),
        rejected: Vec::new(),
    };
    for (index, event) in batch.events.into_iter().enumerate() {
        match event_from_wire(event, &site, visitor, device, sent_at, received_at) {
            Ok(event) => checked.events.push(event),
            Err((field, reason)) => checked.rejected.push(Rejected {
                index,
                field,
                reason,
            }),
        }
    }
    if checked.events.is_empty() {
        return Err(IngestError::InvalidEvent(checked.rejected));
    }
    Ok(checked)
}

type FieldError = (&'static str, &'static str);

fn event_from_wire(
    event: wire::WireEvent,
    site: &str,
    visitor: u64,
    device: Device,
    sent_at: i64,
    received_at: i64,
) -> Result<Event, FieldError> {
    if !crate::event::is_token(&event.id) {
        return Err((
            "id",
            "must be 16 to 64 characters of A-Z, a-z, 0-9, '-' or '_'",
        ));
    }
    let lead = event.ts.saturating_sub(sent_at);
    if lead > MAX_EVENT_LEAD_MS {
        return Err(("ts", "lies after the batch's sent_at"));
    }
    // (Not `-lead`: a `ts` of i64::MIN makes `lead` i64::MIN, which has no negation.)
    if lead < -MAX_EVENT_AGE_MS {
        return Err(("ts", "is more than 7 days older than the batch's sent_at"));
    }
    let kind = EventKind::parse(&event.kind).ok_or((
        "type",
        "must be one of pageview, click, custom, feedback, engagement, friction",
    ))?;

    if event.url.len() > MAX_URL_LEN {
        return Err(("url", "is longer than 2048 bytes"));
    }
    let url = url::Url::parse(&event.url).map_err(|_| ("url", "is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(("url", "must be an http or https URL"));
    }
    let referrer = match event.referrer.filter(|r| !r.is_empty()) {
        None => None,
        Some(r) if r.len() > MAX_URL_LEN => return Err(("ref", "is longer than 2048 bytes")),
        Some(r) if url::Url::parse(&r).is_err() => return Err(("ref", "is not an absolute URL")),
        Some(r) => Some(r),
    };
    let name = match event.name {
        None => None,
        Some(name) => Some(clean_name(&name).ok_or((
            "name",
            "must be 1 to 100 characters without control or text-direction characters",
        ))?),
    };
    let touchpoint = match (kind, name) {
        (EventKind::Friction, Some(name)) if !crate::event::FRICTION.contains(&name.as_str()) => {
            return Err((
                "name",
                "must be one of rage-click, dead-click, error, form-error for friction",
            ));
        }
        (_, Some(name)) => name,
        (EventKind::Pageview | EventKind::Engagement, None) => truncate(url.path(), MAX_NAME_LEN),
        (_, None) => {
            return Err((
                "name",
                "is required for click, custom, feedback and friction events",
            ));
        }
    };
    let stage = match event.stage {
        None => None,
        Some(s) => Some(Stage::parse(&s).ok_or((
            "stage",
            "must be one of awareness, consideration, purchase, retention, advocacy",
        ))?),
    };
    let props = match (kind, event.props) {
        (EventKind::Feedback, None) => {
            return Err((
                "props",
                "is required for feedback: widget, outcome, score when answered",
            ));
        }
        (EventKind::Feedback, Some(props)) => {
            crate::feedback::Answer::from_props(&props).map_err(|m| ("props", m))?;
            Some(check_props(&props, crate::feedback::MAX_COMMENT_CHARS)?)
        }
        (EventKind::Engagement, props) => {
            let props = props.unwrap_or_default();
            let whole = |key: &str, max: u64| {
                props
                    .get(key)
                    .and_then(|v| v.as_u64())
                    .is_some_and(|n| n <= max)
            };
            if !whole("ms", MAX_ENGAGED_MS) || !whole("scroll", 100) {
                return Err((
                    "props",
                    "engagement needs ms (0 to 86400000) and scroll (0 to 100), whole numbers",
                ));
            }
            Some(check_props(&props, MAX_PROP_VALUE_LEN)?)
        }
        (_, None) => None,
        (_, Some(props)) => {
            // One absurd amount would make every revenue total meaningless (or, past
            // 1.8e306, not a number at all).
            if kind == EventKind::Custom
                && props
                    .get("revenue")
                    .and_then(|r| r.as_f64())
                    .is_some_and(|r| r.abs() > crate::journey::MAX_REVENUE)
            {
                return Err((
                    "props",
                    "revenue must lie between -1000000000000 and 1000000000000",
                ));
            }
            Some(check_props(&props, MAX_PROP_VALUE_LEN)?)
        }
    };
    Ok(Event {
        site: site.to_owned(),
        id: event.id,
        visitor,
        // Remove the client's clock skew: the event happened `sent_at - ts` before the
        // batch left the browser, and the batch left (about) when it arrived.
        ts: received_at.saturating_add(lead),
        received_at,
        kind,
        touchpoint,
        stage,
        utm: utm_of(&url),
        url: event.url,
        referrer,
        props,
        device,
    })
}

/// Trims a touchpoint or event name; `None` when empty, too long or with control chars.
fn clean_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = !name.is_empty() && name.chars().count() <= MAX_NAME_LEN && !name.chars().any(unfit);
    ok.then(|| name.to_owned())
}

/// Characters a name or key may not hold: control characters, and the controls of text
/// direction (embeddings, overrides, isolates), with which a name shows in reports as
/// another (`abc\u{202e}dcba` reads "abcabcd").
pub fn unfit(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Checks custom properties; string values may be `max_chars` long (feedback comments
/// are longer than other values).
fn check_props(
    props: &serde_json::Map<String, serde_json::Value>,
    max_chars: usize,
) -> Result<String, FieldError> {
    use serde_json::Value;
    if props.len() > MAX_PROPS {
        return Err(("props", "holds more than 20 properties"));
    }
    for (key, value) in props {
        if key.is_empty() || key.chars().count() > MAX_PROP_KEY_LEN || key.chars().any(unfit) {
            return Err((
                "props",
                "keys must be 1 to 64 characters without control or text-direction characters",
            ));
        }
        match value {
            Value::String(s) if s.chars().count() > max_chars => {
                return Err((
                    "props",
                    "string values must be at most 256 characters (a feedback comment 1000)",
                ));
            }
            // (A comment may keep its line breaks.)
            Value::String(s)
                if s.chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
            {
                return Err((
                    "props",
                    "string values must not hold control characters other than line breaks and tabs",
                ));
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            _ => return Err(("props", "values must be strings, numbers or booleans")),
        }
    }
    // Re-serialising a map of scalars cannot fail.
    serde_json::to_string(props).map_err(|_| ("props", "cannot be stored"))
}

fn utm_of(url: &url::Url) -> Utm {
    let mut utm = Utm::default();
    for (key, value) in url.query_pairs() {
        let slot = match key.as_ref() {
            "utm_source" => &mut utm.source,
            "utm_medium" => &mut utm.medium,
            "utm_campaign" => &mut utm.campaign,
            "utm_term" => &mut utm.term,
            "utm_content" => &mut utm.content,
            _ => continue,
        };
        if slot.is_none() && !value.is_empty() {
            *slot = clean_name(&value);
        }
    }
    utm
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
