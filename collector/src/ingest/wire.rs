//! The tracker's wire format, version 1: what arrives in `POST /api/v1/events`.
//!
//! This is a public contract. Golden fixtures in `tests/fixtures/wire/` pin it on both
//! sides (the tracker's serializer and this parser). Unknown fields are ignored so that a
//! newer tracker's additions do not break an older collector; a change that is not an
//! addition gets a new version number, and old versions stay accepted, because a
//! tracker cached in a browser for a year must still be understood.
//!
//! Wire types stop at ingest: [`super::events`] turns them into [`crate::event::Event`].

use serde::Deserialize;

/// The only wire version so far.
pub const VERSION: u32 = 1;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Batch {
    pub v: u32,
    pub site: String,
    /// When the tracker sent the batch, on the client's clock (ms since the epoch).
    pub sent_at: i64,
    pub events: Vec<WireEvent>,
    /// The first-party visitor id, sent only after the visitor consented.
    #[serde(default)]
    pub uid: Option<String>,
    /// The site's reference for a signed-in customer (`spur.identify`), never stored:
    /// the visitor id is derived from it, so that the customer's journeys on any device
    /// are one. Takes precedence over `uid`.
    #[serde(default)]
    pub customer: Option<String>,
    /// Events the tracker's offline queue dropped (it was full) since its last 2xx.
    #[serde(default)]
    pub dropped: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WireEvent {
    pub id: String,
    /// When the event happened, on the client's clock (ms since the epoch).
    pub ts: i64,
    /// `pageview`, `click`, `custom`, `feedback`, `engagement` or `friction`; parsed by
    /// validation so the error can name it.
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[serde(rename = "ref", default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub props: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Just the version, to tell "a version we don't know" from "not a batch at all".
#[derive(Debug, Deserialize)]
pub struct Probe {
    pub v: u32,
}
