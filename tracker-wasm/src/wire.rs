//! The wire format, version 1: what the tracker sends to `POST <api>/api/v1/events`.
//!
//! This is a public contract, shared with the collector (`collector/src/ingest/wire.rs`)
//! and pinned on both sides by the golden fixtures in `tests/fixtures/wire/v1/`. A change
//! that is not a pure addition gets a new version number: trackers stay cached in browsers
//! for a long time, so the collector keeps accepting old versions.
//!
//! The types derive serde's `Serialize` (and `Deserialize` for [`Event`], which the
//! stored queue is read back into); field names and omission rules are the derive
//! attributes below. [`encode`] turns a value into JSON text with serde-wasm-bindgen's
//! JSON-compatible serializer and `JSON.stringify`, [`decode`] reads it back with
//! `JSON.parse` and serde-wasm-bindgen: no JSON is written or parsed by hand, and
//! `serde_json` stays out of the bundle (the native tests use it to compare with the
//! golden files).
//!
//! Invariants:
//! - optional fields are omitted when absent, never sent as `null`; so are `uid` and a
//!   zero `dropped` on the batch;
//! - field order is the order of the struct fields;
//! - `props` is a JSON object of scalars, in the order the page gave them (held as a
//!   `Vec` of pairs: the order is kept, and no map type is needed);
//! - times are integer milliseconds since the epoch (`u64`; far below 2^53, so exact
//!   in a JS number);
//! - [`encode`]'s text never contains a line break (`JSON.stringify` without indentation
//!   escapes control characters in strings), so the queue can store one event per line.
//!
//! The types only describe the payload. Limits and cleaning live in [`crate::capture`].

use std::fmt;

use js_sys::JSON;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Deserializer, Serialize};

/// The wire version this tracker speaks.
pub const VERSION: u8 = 1;

/// One request body.
///
/// Generic over the event type so that the batch can be written straight from the
/// queue's entries ([`crate::queue::Queued`] serialises as its [`Event`]).
#[derive(Serialize)]
pub struct Batch<'a, E> {
    /// Always [`VERSION`].
    pub v: u8,
    pub site: &'a str,
    /// When the batch left the browser, on the client's clock (ms since the epoch).
    pub sent_at: u64,
    /// The first-party visitor id; only after `spur.consent(true)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<&'a str>,
    /// Events the queue dropped (it was full) and has not reported yet; omitted when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped: u32,
    pub events: &'a [E],
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub struct Event {
    /// 32 lowercase hex characters from `crypto.getRandomValues`; lets the collector
    /// drop a duplicate delivery.
    pub id: String,
    /// When the event happened, on the client's clock (ms since the epoch).
    pub ts: u64,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The full `location.href`: the collector reads UTM parameters from it.
    pub url: String,
    /// Page views only.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The page's touchpoint for page views; the touchpoint or event name otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// Custom events only; omitted when empty.
    #[serde(default, skip_serializing_if = "Props::is_empty")]
    pub props: Props,
}

// The two enums serialise through the derive (`rename_all`) and are read back through
// their `parse` (`try_from = "String"`): the derive's enum visitor would cost about
// 2 KB more wasm than a string match, and `Stage::parse` is needed for `data-stage`
// anyway. A test keeps the names of both directions in step.

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Kind {
    Pageview,
    Click,
    Custom,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "pageview" => Kind::Pageview,
            "click" => Kind::Click,
            "custom" => Kind::Custom,
            _ => return None,
        })
    }
}

impl TryFrom<String> for Kind {
    type Error = UnknownName;

    fn try_from(s: String) -> Result<Kind, UnknownName> {
        Kind::parse(&s).ok_or(UnknownName)
    }
}

/// The five journey stages. Anything else found in a `data-stage` attribute is ignored.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Stage {
    Awareness,
    Consideration,
    Purchase,
    Retention,
    Advocacy,
}

impl Stage {
    /// Parses an attribute value; exact lowercase names only, like the collector.
    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "awareness" => Stage::Awareness,
            "consideration" => Stage::Consideration,
            "purchase" => Stage::Purchase,
            "retention" => Stage::Retention,
            "advocacy" => Stage::Advocacy,
            _ => return None,
        })
    }
}

impl TryFrom<String> for Stage {
    type Error = UnknownName;

    fn try_from(s: String) -> Result<Stage, UnknownName> {
        Stage::parse(&s).ok_or(UnknownName)
    }
}

/// A stored `type` or `stage` that this tracker does not know (the event is skipped).
#[derive(Debug)]
pub struct UnknownName;

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown name")
    }
}

/// A custom event's properties, in the order the page gave them. Keys are unique
/// (enforced by [`crate::capture`]), so serialising them as a map is lossless; the
/// JSON-compatible serializer makes that map a plain object.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub struct Props(pub Vec<(String, Value)>);

impl Props {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// serde has no derive for "a `Vec` of pairs as a map", so these two are written out:
// `collect_map` one way, a map visitor the other.

impl Serialize for Props {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

impl<'de> Deserialize<'de> for Props {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PropsVisitor;

        impl<'de> Visitor<'de> for PropsVisitor {
            type Value = Props;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Props, A::Error> {
                let mut props = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    props.push(entry);
                }
                Ok(Props(props))
            }
        }

        deserializer.deserialize_map(PropsVisitor)
    }
}

/// A property value: the scalars the collector accepts. Numbers are always finite.
#[derive(Serialize)]
#[serde(untagged)]
#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
}

// Read back with a visitor rather than the untagged derive: that one buffers the value
// in serde's private `Content` type and tries each variant in turn, about 4 KB more
// wasm for the same three cases.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl Visitor<'_> for ValueVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }

            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::Str(s.to_owned()))
            }

            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::Str(s))
            }

            fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
                Ok(Value::Num(n))
            }

            // Integral numbers arrive as integers (from JSON.parse's safe integers too).
            fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
                Ok(Value::Num(n as f64))
            }

            fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
                Ok(Value::Num(n as f64))
            }

            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

/// `value` as JSON text: serde-wasm-bindgen's JSON-compatible serializer (plain objects
/// for maps, plain numbers for `u64`) builds the JS value, `JSON.stringify` writes it.
/// `None` if either fails: never for the wire types, unless the page broke
/// `JSON.stringify`.
pub fn encode<T: Serialize>(value: &T) -> Option<String> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    JSON::stringify(&value).ok()?.as_string()
}

/// The inverse of [`encode`]: `JSON.parse`, then serde-wasm-bindgen. `None` for text
/// that is not JSON or not a `T` (neither throws).
pub fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_wasm_bindgen::from_value(JSON::parse(text).ok()?).ok()
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

    fn batch<'a>(
        sent_at: u64,
        uid: Option<&'a str>,
        dropped: u32,
        events: &'a [Event],
    ) -> Batch<'a, Event> {
        Batch {
            v: VERSION,
            site: "demo",
            sent_at,
            uid,
            dropped,
            events,
        }
    }

    fn golden(fixture: &str) -> serde_json::Value {
        serde_json::from_str(fixture).expect("the fixture is JSON")
    }

    /// Serialises `batch` and compares it, as a JSON value, with the golden fixture; then
    /// reads the fixture's events back as the stored queue does and checks that they are
    /// the batch's events.
    fn check(batch: &Batch<'_, Event>, fixture: &str) {
        let ours = serde_json::to_value(batch).expect("a batch always serialises");
        let golden = golden(fixture);
        assert_eq!(ours, golden);
        let back: Vec<Event> =
            serde_json::from_value(golden["events"].clone()).expect("the events read back");
        assert_eq!(back, batch.events);
    }

    fn the_batch_events() -> [Event; 3] {
        [
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
        ]
    }

    #[test]
    fn batch_matches_the_golden_fixture() {
        let events = the_batch_events();
        check(
            &batch(1795341601500, None, 0, &events),
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
        check(
            &batch(1795341600000, None, 0, &events),
            include_str!("../../tests/fixtures/wire/v1/minimal.json"),
        );
    }

    #[test]
    fn consented_batch_carries_uid_and_dropped() {
        let events = [Event {
            name: Some("account".to_owned()),
            stage: Some(Stage::Retention),
            ..event(
                "5e0c7a9b2d4f4a1c8e6b0d2f4a6c8e0a",
                1795341601000,
                Kind::Pageview,
                "https://shop.example/demo/account.html",
            )
        }];
        check(
            &batch(1795341601500, Some("Qm9uam91ciBTcHVyIQ"), 3, &events),
            include_str!("../../tests/fixtures/wire/v1/consented.json"),
        );
    }

    /// What the stored queue accepts as an event line: `Some(id)`, or `None` (skipped).
    #[test]
    fn stored_events_are_read_back_or_skipped() {
        for (line, expected) in [
            // As the tracker writes them (also before serde wrote them).
            (r#"{"id":"a","ts":1,"type":"click","url":"u"}"#, Some("a")),
            (
                r#"{"id":"b","ts":1,"type":"custom","url":"u","name":"n","stage":"purchase","props":{"k":"v","n":-1.5,"b":false}}"#,
                Some("b"),
            ),
            // Unknown fields are ignored, `null` is absent.
            (
                r#"{"id":"c","ts":1,"type":"pageview","url":"u","ref":null,"later":[1]}"#,
                Some("c"),
            ),
            (r#"{"ts":1,"type":"click","url":"u"}"#, None),
            (r#"{"id":"d","ts":-1,"type":"click","url":"u"}"#, None),
            (r#"{"id":"e","ts":1,"type":"scroll","url":"u"}"#, None),
            (
                r#"{"id":"f","ts":1,"type":"click","url":"u","stage":"loyalty"}"#,
                None,
            ),
            (
                r#"{"id":"g","ts":1,"type":"custom","url":"u","props":{"k":[]}}"#,
                None,
            ),
            (
                r#"{"id":"h","ts":1,"type":"custom","url":"u","props":[]}"#,
                None,
            ),
            ("[]", None),
            ("7", None),
        ] {
            let event: Option<Event> = serde_json::from_str(line).ok();
            assert_eq!(event.map(|e| e.id).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn props_keep_the_page_order() {
        let line =
            r#"{"id":"a","ts":1,"type":"custom","url":"u","props":{"z":"1","a":2,"m":true}}"#;
        let event: Event = serde_json::from_str(line).expect("an event");
        assert_eq!(
            event.props.0,
            [
                ("z".to_owned(), Value::Str("1".to_owned())),
                ("a".to_owned(), Value::Num(2.0)),
                ("m".to_owned(), Value::Bool(true)),
            ]
        );
        let again = serde_json::to_string(&event).expect("serialises");
        assert!(
            again.ends_with(r#","props":{"z":"1","a":2.0,"m":true}}"#),
            "{again}"
        );
    }

    /// `parse` (attributes, and reading back) and the derive (writing) agree on the
    /// names.
    #[test]
    fn kinds_and_stages_parse_their_wire_names() {
        for kind in [Kind::Pageview, Kind::Click, Kind::Custom] {
            let name = serde_json::to_value(kind).expect("serialises");
            assert_eq!(Kind::parse(name.as_str().expect("a string")), Some(kind));
            assert_eq!(serde_json::from_value::<Kind>(name).ok(), Some(kind));
        }
        for stage in [
            Stage::Awareness,
            Stage::Consideration,
            Stage::Purchase,
            Stage::Retention,
            Stage::Advocacy,
        ] {
            let name = serde_json::to_value(stage).expect("serialises");
            assert_eq!(Stage::parse(name.as_str().expect("a string")), Some(stage));
            assert_eq!(serde_json::from_value::<Stage>(name).ok(), Some(stage));
        }
        for name in ["", "Purchase", "loyalty", " purchase", "Click", "scroll"] {
            assert_eq!(Stage::parse(name), None, "{name:?}");
            assert_eq!(Kind::parse(name), None, "{name:?}");
        }
    }
}
