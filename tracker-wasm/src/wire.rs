//! The wire format, version 1: what the tracker sends to `POST <api>/api/v1/events`.
//!
//! This is a public contract, shared with the collector (`collector/src/ingest/wire.rs`)
//! and pinned on both sides by the golden fixtures in `tests/fixtures/wire/v1/`. A change
//! that is not a pure addition gets a new version number: trackers stay cached in browsers
//! for a long time, so the collector keeps accepting old versions.
//!
//! Invariants:
//! - optional fields are omitted when absent, never sent as `null`;
//! - field order is the order of the struct fields (a map, in the JSON too);
//! - `props` is a JSON object of scalars; it is held as a `Vec` of pairs (insertion
//!   order, no hashing code in the bundle) and serialised as a map, which
//!   `serde_wasm_bindgen::Serializer::json_compatible()` turns into a plain object;
//! - times are integer milliseconds since the epoch (`u64`, safe in a JS number).
//!
//! The types only describe the payload. Limits and cleaning live in [`crate::capture`],
//! encoding and sending in [`crate::transport`].

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The wire version this tracker speaks.
pub const VERSION: u8 = 1;

/// One request body: the events of one flush (or of one part of it, see [`crate::transport`]).
pub struct Batch<'a> {
    pub v: u8,
    pub site: &'a str,
    /// When the batch left the browser, on the client's clock (ms since the epoch).
    pub sent_at: u64,
    pub events: &'a [Event],
}

#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub struct Event {
    /// 32 lowercase hex characters from `crypto.getRandomValues`; lets the collector
    /// drop a duplicate delivery.
    pub id: String,
    /// When the event happened, on the client's clock (ms since the epoch).
    pub ts: u64,
    /// Sent as `type`.
    pub kind: Kind,
    /// The full `location.href`: the collector reads UTM parameters from it.
    pub url: String,
    /// Sent as `ref`; page views only.
    pub referrer: Option<String>,
    /// The page's touchpoint for page views; the touchpoint or event name otherwise.
    pub name: Option<String>,
    pub stage: Option<Stage>,
    /// Custom events only; omitted when empty.
    pub props: Props,
}

#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Kind {
    Pageview,
    Click,
    Custom,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pageview => "pageview",
            Kind::Click => "click",
            Kind::Custom => "custom",
        }
    }
}

/// The five journey stages. Anything else found in a `data-stage` attribute is ignored.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Stage {
    Awareness,
    Consideration,
    Purchase,
    Retention,
    Advocacy,
}

const STAGES: [(&str, Stage); 5] = [
    ("awareness", Stage::Awareness),
    ("consideration", Stage::Consideration),
    ("purchase", Stage::Purchase),
    ("retention", Stage::Retention),
    ("advocacy", Stage::Advocacy),
];

impl Stage {
    /// Parses an attribute value; exact lowercase names only, like the collector.
    pub fn parse(s: &str) -> Option<Stage> {
        STAGES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|&(_, stage)| stage)
    }

    pub fn as_str(self) -> &'static str {
        STAGES[self as usize].0
    }
}

/// A custom event's properties, in the order the page gave them. Keys are unique
/// (enforced by [`crate::capture`]), so serialising them as a map is lossless.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub struct Props(pub Vec<(String, Value)>);

impl Props {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A property value: the scalars the collector accepts. Numbers are always finite.
#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
}

// Serialisation is written by hand, as maps with string keys and string enum values,
// rather than derived: the derive's struct and unit-variant paths make
// serde-wasm-bindgen intern every field name in a HashMap (several KB of wasm), and
// its u64 path carries a formatted error message (the core::fmt machinery). The output
// is the same JSON; the golden-fixture tests below pin it.

impl Serialize for Batch<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("v", &self.v)?;
        map.serialize_entry("site", self.site)?;
        map.serialize_entry("sent_at", &Millis(self.sent_at))?;
        map.serialize_entry("events", self.events)?;
        map.end()
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("ts", &Millis(self.ts))?;
        map.serialize_entry("type", self.kind.as_str())?;
        map.serialize_entry("url", &self.url)?;
        if let Some(referrer) = &self.referrer {
            map.serialize_entry("ref", referrer)?;
        }
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(stage) = self.stage {
            map.serialize_entry("stage", stage.as_str())?;
        }
        if !self.props.is_empty() {
            map.serialize_entry("props", &self.props)?;
        }
        map.end()
    }
}

impl Serialize for Props {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(s) => serializer.serialize_str(s),
            Value::Num(n) => serializer.serialize_f64(*n),
            Value::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

/// Milliseconds since the epoch: an integer in JSON.
///
/// On wasm it goes out as an `f64`, which `JSON.stringify` writes without a fraction
/// (and exactly: current times are far below 2^53); that skips serde-wasm-bindgen's
/// u64 range check and its formatted error. Elsewhere (the native tests, through
/// serde_json) it is a `u64`, so the fixtures compare as integers.
struct Millis(u64);

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[cfg(target_arch = "wasm32")]
        return serializer.serialize_f64(self.0 as f64);
        #[cfg(not(target_arch = "wasm32"))]
        serializer.serialize_u64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str =
        "https://shop.example/demo/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn";

    fn event(id: &str, ts: u64, kind: Kind, url: &str) -> Event {
        Event {
            id: id.to_owned(),
            ts,
            kind,
            url: url.to_owned(),
            referrer: None,
            name: None,
            stage: None,
            props: Props::default(),
        }
    }

    /// Serialises `batch` and compares it, as a JSON value, with the golden fixture.
    fn check(batch: &Batch<'_>, fixture: &str) {
        let ours = serde_json::to_value(batch).expect("a batch always serialises");
        let golden: serde_json::Value = serde_json::from_str(fixture).expect("the fixture is JSON");
        assert_eq!(ours, golden);
    }

    #[test]
    fn batch_matches_the_golden_fixture() {
        let events = [
            Event {
                referrer: Some("https://mail.example/inbox".to_owned()),
                name: Some("landing".to_owned()),
                stage: Some(Stage::Awareness),
                ..event(
                    "3f9a1c0e5b7d4e2fa8b6c4d2e0f1a3b5",
                    1795341600000,
                    Kind::Pageview,
                    URL,
                )
            },
            Event {
                name: Some("product".to_owned()),
                stage: Some(Stage::Consideration),
                ..event(
                    "7c2e9b4d1a6f4c8e9d0b3a5f7e1c2d4b",
                    1795341600750,
                    Kind::Click,
                    URL,
                )
            },
            Event {
                name: Some("purchase".to_owned()),
                stage: Some(Stage::Purchase),
                props: Props(vec![
                    ("currency".to_owned(), Value::Str("EUR".to_owned())),
                    ("first_order".to_owned(), Value::Bool(true)),
                    ("revenue".to_owned(), Value::Num(49.9)),
                ]),
                ..event(
                    "b1d3f5a7c9e14b6d8f0a2c4e6b8d0f1a",
                    1795341601000,
                    Kind::Custom,
                    "https://shop.example/demo/checkout.html",
                )
            },
        ];
        let batch = Batch {
            v: VERSION,
            site: "demo",
            sent_at: 1795341601500,
            events: &events,
        };
        check(
            &batch,
            include_str!("../../tests/fixtures/wire/v1/batch.json"),
        );
    }

    #[test]
    fn minimal_batch_omits_every_optional_field() {
        let events = [event(
            "0123456789abcdef",
            1795341600000,
            Kind::Pageview,
            "http://localhost:8080/demo/",
        )];
        let batch = Batch {
            v: VERSION,
            site: "demo",
            sent_at: 1795341600000,
            events: &events,
        };
        check(
            &batch,
            include_str!("../../tests/fixtures/wire/v1/minimal.json"),
        );
    }

    #[test]
    fn stages_round_trip_through_their_wire_names() {
        for name in [
            "awareness",
            "consideration",
            "purchase",
            "retention",
            "advocacy",
        ] {
            let stage = Stage::parse(name).expect("a known stage");
            assert_eq!(stage.as_str(), name);
        }
        for name in ["", "Purchase", "loyalty", " purchase"] {
            assert_eq!(Stage::parse(name), None, "{name:?}");
        }
    }
}
