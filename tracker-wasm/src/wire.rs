//! The wire format, version 1: what the tracker sends to `POST <api>/api/v1/events`.
//!
//! This is a public contract, shared with the collector (`collector/src/ingest/wire.rs`)
//! and pinned on both sides by the golden fixtures in `tests/fixtures/wire/v1/`. A change
//! that is not a pure addition gets a new version number: trackers stay cached in browsers
//! for a long time, so the collector keeps accepting old versions.
//!
//! The types derive serde's `Serialize`; field names and omission rules are the derive
//! attributes below. [`encode`] turns an event into JSON text with serde-wasm-bindgen's
//! JSON-compatible serializer and `JSON.stringify`; [`encode_batch`] serialises a
//! batch's header the same way, attaches the queued events (`JSON.parse` of their text)
//! as `events` and stringifies the whole once. Nothing is ever deserialised into a Rust
//! type: a stored event stays JSON text (and a JS value while a batch is built), and
//! [`is_stored_event`] only checks, through `Reflect`, that a stored line has the shape
//! the collector parses. No JSON is written or parsed by hand, and `serde_json` stays
//! out of the bundle (the native tests use it to compare with the golden files).
//! (serde-wasm-bindgen's `from_value` is deliberately not used: its error messages
//! bring `core::fmt`, with float formatting, into the module, about 14 KB brotli.)
//!
//! Invariants:
//! - optional fields are omitted when absent, never sent as `null`; so are `uid` and a
//!   zero `dropped` on the batch;
//! - field order is the order of the struct fields, then `events` last;
//! - `props` is a JSON object of scalars, in the order the page gave them (held as a
//!   `Vec` of pairs: the order is kept, and no map type is needed);
//! - times are integer milliseconds since the epoch (`u64`; far below 2^53, so exact
//!   in a JS number);
//! - [`encode`]'s text never contains a line break (`JSON.stringify` without indentation
//!   escapes control characters in strings), so the queue can store one event per line.
//!
//! The types only describe the payload. Limits and cleaning live in [`crate::capture`].

use js_sys::{Array, JSON, Reflect};
use serde::Serialize;
use serde::ser::Serializer;
use wasm_bindgen::JsValue;

/// The wire version this tracker speaks.
pub const VERSION: u8 = 1;

/// One request body, but for its `events` ([`encode_batch`] adds them, last).
#[derive(Serialize)]
pub struct Batch<'a> {
    /// Always [`VERSION`].
    pub v: u8,
    pub site: &'a str,
    /// When the batch left the browser, on the client's clock (ms since the epoch).
    #[serde(serialize_with = "millis")]
    pub sent_at: u64,
    /// The first-party visitor id; only after `spur.consent(true)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<&'a str>,
    /// Events the queue dropped (it was full) and has not reported yet; omitted when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A time in ms as a JS number, i.e. an `f64` (exact: a clock is far below 2^53; the
/// cap only keeps the cast exact). Through `serialize_u64`, serde-wasm-bindgen would do
/// the same plus an error for larger numbers that formats them, which brings
/// `core::fmt`'s integer formatting into the module (about 1 KB brotli).
/// `JSON.stringify` writes an integral number without a fraction, so the text is the
/// same. (In the native tests `serde_json` writes `….0`; they compare numbers as JS
/// does.)
fn millis<S: Serializer>(ms: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((*ms).min(MAX_SAFE_INTEGER) as f64)
}

#[derive(Serialize)]
#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub struct Event {
    /// 32 lowercase hex characters from `crypto.getRandomValues`; lets the collector
    /// drop a duplicate delivery.
    pub id: String,
    /// When the event happened, on the client's clock (ms since the epoch).
    #[serde(serialize_with = "millis")]
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
    /// Custom and feedback events only; omitted when empty.
    #[serde(skip_serializing_if = "Props::is_empty")]
    pub props: Props,
}

#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Kind {
    Pageview,
    Click,
    Custom,
    /// A rating widget shown, answered or dismissed.
    Feedback,
}

/// The five journey stages. Anything else found in a `data-stage` attribute is ignored.
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
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

// serde has no derive for "a `Vec` of pairs as a map", so this one is written out.
impl Serialize for Props {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
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

/// `value` as a JS value, through serde-wasm-bindgen's JSON-compatible serializer
/// (plain objects for maps, plain numbers for `u64`).
fn to_js<T: Serialize>(value: &T) -> Option<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
}

/// An event as JSON text: its line in the stored queue and its share of a batch.
/// `None` only if the page broke `JSON.stringify`.
pub fn encode(event: &Event) -> Option<String> {
    JSON::stringify(&to_js(event)?).ok()?.as_string()
}

/// A request body: `batch`'s fields, then `events` (each one event's JSON text, from
/// [`encode`] or a stored line that passed [`is_stored_event`]) as an array. `None` if
/// a step fails, which only a page that broke `JSON` or `Reflect` can cause.
pub fn encode_batch<'a>(
    batch: &Batch<'_>,
    events: impl IntoIterator<Item = &'a String>,
) -> Option<String> {
    let body = to_js(batch)?;
    let array = Array::new();
    for event in events {
        array.push(&JSON::parse(event).ok()?);
    }
    Reflect::set(&body, &JsValue::from_str("events"), &array).ok()?;
    JSON::stringify(&body).ok()?.as_string()
}

/// What [`is_event`] needs to know about one field of a stored event.
#[cfg_attr(test, derive(Debug))]
pub enum Field {
    /// Missing, `undefined` or `null`.
    Absent,
    Text(String),
    Number(f64),
    /// An object that is not an array.
    Object,
    /// Anything else (an array, a boolean).
    Other,
}

/// Whether a stored line is an event this tracker can send: a JSON object that the
/// collector's parser accepts as a v1 event, with an id as [`crate::capture::new_id`]
/// makes them. A line that is not (corrupt, edited, empty) is discarded: sent along, it
/// would make the collector refuse the whole batch. (What the collector checks per event
/// — known `type` and `stage`, scalar props — it rejects per event, so it is not repeated
/// here.)
pub fn is_stored_event(line: &str) -> bool {
    let Ok(event) = JSON::parse(line) else {
        return false;
    };
    event.is_object()
        && !Array::is_array(&event)
        && is_event(|key| {
            let value = Reflect::get(&event, &JsValue::from_str(key)).unwrap_or(JsValue::NULL);
            if value.is_null() || value.is_undefined() {
                Field::Absent
            } else if let Some(text) = value.as_string() {
                Field::Text(text)
            } else if let Some(n) = value.as_f64() {
                Field::Number(n)
            } else if value.is_object() && !Array::is_array(&value) {
                Field::Object
            } else {
                Field::Other
            }
        })
}

/// [`is_stored_event`] on an object whose fields `field` reads (pure, so that the native
/// tests check it with `serde_json`).
pub fn is_event(field: impl Fn(&str) -> Field) -> bool {
    // The collector reads `ts` as an `i64`: a fraction or a huge number would fail the
    // whole batch.
    let ts_ok = matches!(field("ts"), Field::Number(ts)
        if (0.0..=MAX_SAFE_INTEGER as f64).contains(&ts) && ts.fract() == 0.0);
    let optional_text = |key| matches!(field(key), Field::Absent | Field::Text(_));
    matches!(field("id"), Field::Text(id) if crate::capture::is_id(&id))
        && ts_ok
        && matches!(field("type"), Field::Text(_))
        && matches!(field("url"), Field::Text(_))
        && optional_text("ref")
        && optional_text("name")
        && optional_text("stage")
        && matches!(field("props"), Field::Absent | Field::Object)
}

/// [`is_stored_event`] for the native tests: `serde_json` in the place of `JSON.parse`
/// and `Reflect`.
#[cfg(test)]
pub fn is_stored_json(line: &str) -> bool {
    use serde_json::Value as Json;
    let Ok(Json::Object(event)) = serde_json::from_str::<Json>(line) else {
        return false;
    };
    is_event(|key| match event.get(key) {
        None | Some(Json::Null) => Field::Absent,
        Some(Json::String(text)) => Field::Text(text.clone()),
        Some(Json::Number(n)) => Field::Number(n.as_f64().unwrap_or(f64::NAN)),
        Some(Json::Object(_)) => Field::Object,
        Some(_) => Field::Other,
    })
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

    fn batch(sent_at: u64, uid: Option<&str>, dropped: u32) -> Batch<'_> {
        Batch {
            v: VERSION,
            site: "demo",
            sent_at,
            uid,
            dropped,
        }
    }

    /// Numbers as `JSON.stringify` writes them: JS has only `f64`s, and an integral one
    /// is written without a fraction (`serde_json` writes a serialised `f64` as `1.0`).
    fn as_js_numbers(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(n) => {
                if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15) {
                    *n = serde_json::Number::from(f as i64);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(as_js_numbers),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(as_js_numbers),
            _ => {}
        }
    }

    fn golden(fixture: &str) -> serde_json::Value {
        serde_json::from_str(fixture).expect("the fixture is JSON")
    }

    /// Builds the body as [`encode_batch`] does (the header serialised, the events'
    /// JSON text parsed and attached as `events`) and compares it, as a JSON value, with
    /// the golden fixture. Each event's text is also kept as a stored line, unless its
    /// id is not one the tracker makes (`minimal.json` has a shorter one).
    fn check(batch: &Batch<'_>, events: &[Event], fixture: &str) {
        let lines: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).expect("an event serialises"))
            .collect();
        let mut ours = serde_json::to_value(batch).expect("a batch always serialises");
        let parsed = lines
            .iter()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        ours["events"] = serde_json::Value::Array(parsed);
        as_js_numbers(&mut ours);
        assert_eq!(ours, golden(fixture));
        for (event, line) in events.iter().zip(&lines) {
            let own_id = crate::capture::is_id(&event.id);
            assert_eq!(is_stored_json(line), own_id, "{line}");
        }
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
            &batch(1795341601500, None, 0),
            &events,
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
            &batch(1795341600000, None, 0),
            &events,
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
            &batch(1795341601500, Some("Qm9uam91ciBTcHVyIQ"), 3),
            &events,
            include_str!("../../tests/fixtures/wire/v1/consented.json"),
        );
    }

    /// What the stored queue keeps of a line: `true` (kept as it is) or `false`
    /// (discarded).
    #[test]
    fn stored_events_are_kept_or_discarded() {
        const ID: &str = "0123456789abcdef0123456789abcdef";
        let cases = [
            // As the tracker writes them (also the earlier versions).
            (r#"{"id":"ID","ts":1,"type":"click","url":"u"}"#, true),
            (
                r#"{"id":"ID","ts":1795341600000,"type":"custom","url":"u","name":"n","stage":"purchase","props":{"k":"v","n":-1.5,"b":false}}"#,
                true,
            ),
            // Unknown fields and `null` for an optional one: the collector takes them.
            (
                r#"{"id":"ID","ts":1,"type":"pageview","url":"u","ref":null,"later":[1]}"#,
                true,
            ),
            // Values the collector rejects per event (not the whole batch) pass here.
            (
                r#"{"id":"ID","ts":1,"type":"scroll","url":"u","stage":"loyalty","props":{"k":[]}}"#,
                true,
            ),
            // Not an event of this tracker.
            (r#"{"id":"a","ts":1,"type":"click","url":"u"}"#, false),
            (
                r#"{"id":"0123456789ABCDEF0123456789ABCDEF","ts":1,"type":"click","url":"u"}"#,
                false,
            ),
            (r#"{"id":7,"ts":1,"type":"click","url":"u"}"#, false),
            (r#"{"ts":1,"type":"click","url":"u"}"#, false),
            // Shapes that would make the collector refuse the whole batch.
            (r#"{"id":"ID","ts":-1,"type":"click","url":"u"}"#, false),
            (r#"{"id":"ID","ts":1.5,"type":"click","url":"u"}"#, false),
            (r#"{"id":"ID","ts":"1","type":"click","url":"u"}"#, false),
            (r#"{"id":"ID","ts":1e300,"type":"click","url":"u"}"#, false),
            (r#"{"id":"ID","type":"click","url":"u"}"#, false),
            (r#"{"id":"ID","ts":1,"url":"u"}"#, false),
            (r#"{"id":"ID","ts":1,"type":1,"url":"u"}"#, false),
            (r#"{"id":"ID","ts":1,"type":"click"}"#, false),
            (
                r#"{"id":"ID","ts":1,"type":"click","url":"u","ref":1}"#,
                false,
            ),
            (
                r#"{"id":"ID","ts":1,"type":"click","url":"u","name":{}}"#,
                false,
            ),
            (
                r#"{"id":"ID","ts":1,"type":"click","url":"u","stage":true}"#,
                false,
            ),
            (
                r#"{"id":"ID","ts":1,"type":"custom","url":"u","props":[]}"#,
                false,
            ),
            (
                r#"{"id":"ID","ts":1,"type":"custom","url":"u","props":"p"}"#,
                false,
            ),
            // Not an object, or not JSON.
            (r#"["ID"]"#, false),
            ("7", false),
            ("null", false),
            ("", false),
            ("{", false),
        ];
        for (line, expected) in cases {
            let line = line.replace("ID", ID);
            assert_eq!(is_stored_json(&line), expected, "{line}");
        }
    }

    #[test]
    fn props_keep_the_page_order() {
        let event = Event {
            props: Props(vec![
                ("z".to_owned(), Value::Str("1".to_owned())),
                ("a".to_owned(), Value::Num(2.5)),
                ("m".to_owned(), Value::Bool(true)),
            ]),
            ..event("a", 1, Kind::Custom, "u")
        };
        let json = serde_json::to_string(&event).expect("serialises");
        assert!(
            json.ends_with(r#","props":{"z":"1","a":2.5,"m":true}}"#),
            "{json}"
        );
    }

    /// The serialised names are the collector's, and `Stage::parse` (for `data-stage`)
    /// reads exactly the names the derive writes.
    #[test]
    fn kinds_and_stages_have_their_wire_names() {
        for (kind, name) in [
            (Kind::Pageview, "pageview"),
            (Kind::Click, "click"),
            (Kind::Custom, "custom"),
        ] {
            assert_eq!(serde_json::to_value(kind).expect("serialises"), name);
        }
        for (stage, name) in [
            (Stage::Awareness, "awareness"),
            (Stage::Consideration, "consideration"),
            (Stage::Purchase, "purchase"),
            (Stage::Retention, "retention"),
            (Stage::Advocacy, "advocacy"),
        ] {
            assert_eq!(serde_json::to_value(stage).expect("serialises"), name);
            assert_eq!(Stage::parse(name), Some(stage));
        }
        for name in ["", "Purchase", "loyalty", " purchase", "Click", "scroll"] {
            assert_eq!(Stage::parse(name), None, "{name:?}");
        }
    }
}
