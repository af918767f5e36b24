//! The wire format, version 1: what the tracker sends to `POST <api>/api/v1/events`.
//!
//! This is a public contract, shared with the collector (`collector/src/ingest/wire.rs`)
//! and pinned on both sides by the golden fixtures in `tests/fixtures/wire/v1/`. A change
//! that is not a pure addition gets a new version number: trackers stay cached in browsers
//! for a long time, so the collector keeps accepting old versions.
//!
//! The types list their fields in wire order ([`Event::fields`], [`Batch::fields`],
//! [`Props::fields`]); [`encode`] hands an event's fields to the loader's `host.event`
//! in one call (which builds the object in that order, see [`crate::host::event`]),
//! lets `JSON.stringify` write the text and keeps it, in the loader, as the event's
//! entry in the queue's texts ([`crate::queue`]); [`head`] builds the batch's header
//! through `Reflect.set`, and the loader's `host.post` writes the body as that header's
//! JSON with the queued events' texts as its `events` array, last
//! (`…,"events":[<text>,<text>]}`: each text is one JSON object, written by
//! `JSON.stringify` or a stored line that passed [`is_stored_event`]). Nothing is ever
//! deserialised into a Rust type, and [`is_stored_event`] only checks, through
//! `Reflect`, that a stored line has the shape the collector parses. No JSON library is
//! in the bundle (the browser has one; the native tests use `serde_json` to compare with
//! the golden files).
//!
//! Invariants:
//! - optional fields are omitted when absent, never sent as `null`; so are `uid`,
//!   `customer` and a zero `dropped` on the batch;
//! - field order is the order of the struct fields, then `events` last;
//! - `props` is a JSON object of scalars, in the order the page gave them (held as a
//!   `Vec` of pairs: the order is kept, and no map type is needed);
//! - times are integer milliseconds since the epoch (`u64`; far below 2^53, so exact
//!   in a JS number);
//! - [`encode`]'s text never contains a line break (`JSON.stringify` without indentation
//!   escapes control characters in strings), so the queue can store one event per line.
//!
//! The types only describe the payload. Limits and cleaning live in [`crate::capture`].

use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::JsValue;

/// The wire version this tracker speaks.
pub const VERSION: u8 = 1;

/// One request body, but for its `events` (the loader adds them, last; see [`head`]).
pub struct Batch<'a> {
    /// Always [`VERSION`].
    pub v: u8,
    pub site: &'a str,
    /// When the batch left the browser, on the client's clock (ms since the epoch).
    pub sent_at: u64,
    /// The first-party visitor id; only after `spur.consent(true)`.
    pub uid: Option<&'a str>,
    /// The site's reference for a signed-in customer (`spur.identify`).
    pub customer: Option<&'a str>,
    /// Events the queue dropped (it was full) and has not reported yet; omitted when 0.
    pub dropped: u32,
}

/// A field's value, as JSON has them.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub enum Scalar<'a> {
    Text(&'a str),
    /// Always finite.
    Num(f64),
    Bool(bool),
}

impl Batch<'_> {
    /// The header's fields, in wire order; absent ones are skipped.
    pub fn fields(&self, mut put: impl FnMut(&'static str, Scalar<'_>)) {
        put("v", Scalar::Num(f64::from(self.v)));
        put("site", Scalar::Text(self.site));
        put("sent_at", millis(self.sent_at));
        if let Some(uid) = self.uid {
            put("uid", Scalar::Text(uid));
        }
        if let Some(customer) = self.customer {
            put("customer", Scalar::Text(customer));
        }
        if self.dropped > 0 {
            put("dropped", Scalar::Num(f64::from(self.dropped)));
        }
    }
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A time in ms as a JS number (exact: a clock is far below 2^53; the cap only keeps
/// the cast exact). `JSON.stringify` writes an integral number without a fraction.
fn millis(ms: u64) -> Scalar<'static> {
    Scalar::Num(ms.min(MAX_SAFE_INTEGER) as f64)
}

#[cfg_attr(test, derive(Debug, Clone, PartialEq))]
pub struct Event {
    /// 32 lowercase hex characters from `crypto.getRandomValues`; lets the collector
    /// drop a duplicate delivery.
    pub id: String,
    /// When the event happened, on the client's clock (ms since the epoch).
    pub ts: u64,
    /// `type` on the wire.
    pub kind: Kind,
    /// The full `location.href`: the collector reads UTM parameters from it.
    pub url: String,
    /// `ref` on the wire; page views only.
    pub referrer: Option<String>,
    /// The page's touchpoint for page views; the touchpoint or event name otherwise.
    pub name: Option<String>,
    pub stage: Option<Stage>,
    /// Custom and feedback events only; omitted when empty.
    pub props: Props,
}

impl Event {
    /// The scalar fields, in wire order (`props`, an object, comes after them); absent
    /// ones are skipped.
    pub fn fields(&self, mut put: impl FnMut(&'static str, Scalar<'_>)) {
        put("id", Scalar::Text(&self.id));
        put("ts", millis(self.ts));
        put("type", Scalar::Text(self.kind.as_str()));
        put("url", Scalar::Text(&self.url));
        if let Some(referrer) = &self.referrer {
            put("ref", Scalar::Text(referrer));
        }
        if let Some(name) = &self.name {
            put("name", Scalar::Text(name));
        }
        if let Some(stage) = self.stage {
            put("stage", Scalar::Text(stage.as_str()));
        }
    }
}

#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Kind {
    Pageview,
    Click,
    Custom,
    /// A rating widget shown, answered or dismissed.
    Feedback,
    /// How a page view went (visible time, deepest scroll), once, when it is left.
    Engagement,
    /// A rage click, a dead click, a JavaScript error or a failed form.
    Friction,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pageview => "pageview",
            Kind::Click => "click",
            Kind::Custom => "custom",
            Kind::Feedback => "feedback",
            Kind::Engagement => "engagement",
            Kind::Friction => "friction",
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

const STAGES: [(Stage, &str); 5] = [
    (Stage::Awareness, "awareness"),
    (Stage::Consideration, "consideration"),
    (Stage::Purchase, "purchase"),
    (Stage::Retention, "retention"),
    (Stage::Advocacy, "advocacy"),
];

impl Stage {
    /// Parses an attribute value; exact lowercase names only, like the collector.
    pub fn parse(s: &str) -> Option<Stage> {
        STAGES
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(stage, _)| *stage)
    }

    pub fn as_str(self) -> &'static str {
        STAGES[self as usize].1
    }
}

/// A custom event's properties, in the order the page gave them; keys are unique
/// (enforced by [`crate::capture`]).
#[derive(Default, Clone)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Props(pub Vec<(String, Value)>);

impl Props {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The properties in order.
    pub fn fields(&self, mut put: impl FnMut(&str, Scalar<'_>)) {
        for (key, value) in &self.0 {
            put(
                key,
                match value {
                    Value::Str(s) => Scalar::Text(s),
                    Value::Num(n) => Scalar::Num(*n),
                    Value::Bool(b) => Scalar::Bool(*b),
                },
            );
        }
    }
}

/// A property value: the scalars the collector accepts. Numbers are always finite.
#[derive(Clone)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn put(target: &JsValue) -> impl FnMut(&str, Scalar<'_>) + '_ {
    move |key, value| {
        let value = match value {
            Scalar::Text(s) => JsValue::from_str(s),
            Scalar::Num(n) => JsValue::from_f64(n),
            Scalar::Bool(b) => JsValue::from_bool(b),
        };
        set(target, key, &value);
    }
}

/// Encodes an event: the loader writes its JSON text and appends it to the queue's
/// texts (the event's line in the stored queue and its share of a batch). Its size in
/// bytes; `None` (and nothing appended) only if the page broke `JSON.stringify`.
pub fn encode(event: &Event) -> Option<u32> {
    let props = if event.props.is_empty() {
        JsValue::UNDEFINED
    } else {
        let props: JsValue = Object::new().into();
        event.props.fields(put(&props));
        props
    };
    let Scalar::Num(ts) = millis(event.ts) else {
        return None;
    };
    // The fields of `Event::fields`, in its order, in one call.
    let size = crate::host::event(
        &event.id,
        ts,
        event.kind.as_str(),
        &event.url,
        event.referrer.as_deref(),
        event.name.as_deref(),
        event.stage.map(Stage::as_str),
        &props,
    );
    (size > 0).then_some(size)
}

/// A request body's header: `batch`'s fields in wire order, as a JS object; the loader
/// writes it with the events after it ([`crate::host::post`]).
pub fn head(batch: &Batch<'_>) -> JsValue {
    let head: JsValue = Object::new().into();
    batch.fields(put(&head));
    head
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

/// What [`encode`] and [`head`] put into their JS objects, as a `serde_json`
/// object, for the native tests.
#[cfg(test)]
fn json_object(fields: impl FnOnce(&mut dyn FnMut(&str, Scalar<'_>))) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    fields(&mut |key, value| {
        let value = match value {
            Scalar::Text(s) => serde_json::Value::from(s),
            Scalar::Num(n) => serde_json::Value::from(n),
            Scalar::Bool(b) => serde_json::Value::from(b),
        };
        object.insert(key.to_owned(), value);
    });
    serde_json::Value::Object(object)
}

/// [`encode`] for the native tests: `serde_json` in the place of `JSON.stringify`.
#[cfg(test)]
pub fn encode_json(event: &Event) -> String {
    let mut value = json_object(|put| event.fields(put));
    if !event.props.is_empty() {
        value["props"] = json_object(|put| event.props.fields(put));
    }
    value.to_string()
}

/// The batch header as [`head`] builds it, for the native tests.
#[cfg(test)]
pub fn batch_json(batch: &Batch<'_>) -> serde_json::Value {
    json_object(|put| batch.fields(put))
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
            customer: None,
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

    /// Builds the body as the loader's `host.post` does (the header's JSON without its
    /// closing brace, then `,"events":[`, the events' texts joined by commas, `]}`) and
    /// compares it, as a JSON value, with the golden fixture. Each event's text is also
    /// kept as a stored line, unless its id is not one the tracker makes (`minimal.json`
    /// has a shorter one).
    fn check(batch: &Batch<'_>, events: &[Event], fixture: &str) {
        let lines: Vec<String> = events.iter().map(encode_json).collect();
        let head = batch_json(batch).to_string();
        let body = format!(
            "{},\"events\":[{}]}}",
            head.strip_suffix('}').expect("an object"),
            lines.join(",")
        );
        let mut ours: serde_json::Value = serde_json::from_str(&body).expect("JSON");
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

    #[test]
    fn identified_batch_carries_customer() {
        let events = [Event {
            name: Some("signed-in".to_owned()),
            stage: Some(Stage::Retention),
            ..event(
                "5e0c7a9b2d4f4a1c8e6b0d2f4a6c8e0b",
                1795341602000,
                Kind::Custom,
                "https://shop.example/demo/account.html",
            )
        }];
        check(
            &Batch {
                customer: Some("Kunde 4711"),
                ..batch(1795341602500, Some("Qm9uam91ciBTcHVyIQ"), 0)
            },
            &events,
            include_str!("../../tests/fixtures/wire/v1/identified.json"),
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
        let mut keys = Vec::new();
        event.props.fields(|key, _| keys.push(key.to_owned()));
        assert_eq!(keys, ["z", "a", "m"]);
    }

    /// The wire names are the collector's, and `Stage::parse` (for `data-stage`) reads
    /// exactly the names written.
    #[test]
    fn kinds_and_stages_have_their_wire_names() {
        for (kind, name) in [
            (Kind::Pageview, "pageview"),
            (Kind::Click, "click"),
            (Kind::Custom, "custom"),
            (Kind::Feedback, "feedback"),
        ] {
            assert_eq!(kind.as_str(), name);
        }
        for (stage, name) in [
            (Stage::Awareness, "awareness"),
            (Stage::Consideration, "consideration"),
            (Stage::Purchase, "purchase"),
            (Stage::Retention, "retention"),
            (Stage::Advocacy, "advocacy"),
        ] {
            assert_eq!(stage.as_str(), name);
            assert_eq!(Stage::parse(name), Some(stage));
        }
        for name in ["", "Purchase", "loyalty", " purchase", "Click", "scroll"] {
            assert_eq!(Stage::parse(name), None, "{name:?}");
        }
    }
}
