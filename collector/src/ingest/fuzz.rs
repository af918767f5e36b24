//! Fuzzing the parser and validator with proptest: arbitrary bytes, and valid batches
//! with fields replaced by arbitrary JSON. Nothing panics, and whatever is accepted keeps
//! every invariant the store relies on. CI runs a few thousand cases; set
//! `PROPTEST_CASES=1000000` for a long run.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::site::Site;

const RECEIVED_AT: i64 = 1_795_341_601_000;

fn site() -> Site {
    Site {
        id: "demo".into(),
        name: "Demo".into(),
        allowed_origins: Vec::new(),
    }
}

/// Everything the store may assume of an accepted event.
fn assert_invariants(event: &Event) {
    let clean = |s: &str| !s.chars().any(super::unfit);
    assert_eq!(event.site, "demo");
    assert!((16..=64).contains(&event.id.len()));
    assert!(!event.touchpoint.is_empty() && event.touchpoint.chars().count() <= MAX_NAME_LEN);
    assert!(clean(&event.touchpoint));
    assert!(event.url.len() <= MAX_URL_LEN);
    assert!(event.url.starts_with("http://") || event.url.starts_with("https://"));
    assert!(
        event
            .referrer
            .as_ref()
            .is_none_or(|r| r.len() <= MAX_URL_LEN)
    );
    assert!(
        event.ts >= RECEIVED_AT - MAX_EVENT_AGE_MS && event.ts <= RECEIVED_AT + MAX_EVENT_LEAD_MS
    );
    if let Some(props) = &event.props {
        let props: serde_json::Map<String, Value> = serde_json::from_str(props).unwrap();
        assert!(props.len() <= MAX_PROPS);
        for (key, value) in &props {
            assert!(key.chars().count() <= MAX_PROP_KEY_LEN);
            match value {
                Value::String(s) => assert!(s.chars().count() <= MAX_PROP_VALUE_LEN),
                Value::Number(_) | Value::Bool(_) => {}
                other => panic!("prop {key} is {other}"),
            }
        }
    }
}

/// Runs a body through the whole ingest path the HTTP handler takes.
fn ingest(body: &[u8]) {
    take(parse(body).map(Some));
}

/// What the handler does with a parsed batch (of any shape).
fn take(parsed: Result<Option<wire::Batch>, IngestError>) {
    let Ok(Some(batch)) = parsed else { return };
    let site = site();
    // As the handler does: the site must be known (only `demo` is).
    let known = (batch.site == site.id).then_some(&site);
    if check_batch(&batch, known, None).is_err() {
        return;
    }
    if let Ok(checked) = events(batch, 7, Device::Desktop, RECEIVED_AT) {
        for event in &checked.events {
            assert_invariants(event);
        }
        for rejected in &checked.rejected {
            assert_eq!(rejected.code(), "invalid_event");
        }
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,300}".prop_map(Value::String),
        "[\\x00-\\x1f\\u{202e}\\u{fffd}<>'\";]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,70}", inner, 0..25)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid_batch() -> Value {
    json!({
        "v": 1, "site": "demo", "sent_at": RECEIVED_AT,
        "events": [{
            "id": "fuzz-event-0000001", "ts": RECEIVED_AT - 1000, "type": "custom",
            "url": "https://shop.example/demo/?utm_source=x", "ref": "https://mail.example/",
            "name": "purchase", "stage": "purchase", "props": {"revenue": 1.5}
        }]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn other_tools_shapes_with_one_field_replaced_keep_every_invariant(
        field in prop::sample::select(vec![
            "n", "u", "d", "r", "p", "$", "name", "url", "domain", "referrer", "props", "revenue",
        ]),
        value in any_json(),
        umami_field in prop::sample::select(vec![
            "website", "hostname", "url", "referrer", "name", "data", "timestamp",
        ]),
        umami_value in any_json(),
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut plausible = json!({"n": "pageview", "u": "https://shop.example/", "d": "demo"});
        plausible[field] = value;
        take(compat::plausible(plausible.to_string().as_bytes(), RECEIVED_AT, |d| d == "demo"));
        let mut umami = json!({"type": "event", "payload": {"website": "demo", "hostname": "shop.example", "url": "/"}});
        umami["payload"][umami_field] = umami_value;
        take(compat::umami(umami.to_string().as_bytes(), RECEIVED_AT));
        take(compat::umami_batch(json!([umami, umami]).to_string().as_bytes(), RECEIVED_AT));
        take(compat::plausible(&bytes, RECEIVED_AT, |_| true));
        take(compat::umami(&bytes, RECEIVED_AT));
        take(compat::umami_batch(&bytes, RECEIVED_AT));
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        ingest(&body);
    }

    #[test]
    fn a_batch_with_one_field_replaced_keeps_every_invariant(
        field in prop::sample::select(vec!["id", "ts", "type", "url", "ref", "name", "stage", "props"]),
        value in any_json(),
        top in prop::sample::select(vec!["", "v", "site", "sent_at", "events", "uid", "dropped"]),
        top_value in any_json(),
    ) {
        let mut batch = valid_batch();
        batch["events"][0][field] = value;
        if !top.is_empty() {
            batch[top] = top_value;
        }
        ingest(batch.to_string().as_bytes());
    }

    #[test]
    fn strings_of_any_shape_in_named_fields(
        name in "\\PC{0,120}|[\\x00-\\x1f]{1,3}",
        // Mostly valid URLs and times, so that the name decides the outcome.
        url in prop_oneof![
            3 => "https://shop\\.example/[a-zA-Z0-9/?=&%._-]{0,80}",
            1 => "(https?|javascript|data|ftp)://[^ ]{0,2100}",
        ],
        ts_offset in prop_oneof![
            3 => -MAX_EVENT_AGE_MS..MAX_EVENT_LEAD_MS,
            1 => -(MAX_EVENT_AGE_MS * 2)..(MAX_EVENT_LEAD_MS * 2),
        ],
    ) {
        let mut batch = valid_batch();
        batch["events"][0]["name"] = json!(name);
        batch["events"][0]["url"] = json!(url);
        batch["events"][0]["ts"] = json!(RECEIVED_AT + ts_offset);
        ingest(batch.to_string().as_bytes());
    }
}

/// A piece of a JSON string literal and the UTF-16 code units it stands for.
fn string_piece() -> impl Strategy<Value = (String, Vec<u16>)> {
    prop_oneof![
        // Mostly surrogates, high and low, the rest anything.
        3 => prop_oneof![0xD800u16..=0xDFFF, any::<u16>()]
            .prop_map(|unit| (format!("\\u{unit:04x}"), vec![unit])),
        1 => "[a-z\u{e9}\u{1f600}]".prop_map(|s| (s.clone(), s.encode_utf16().collect())),
        1 => Just(("\\\\".to_owned(), vec![u16::from(b'\\')])),
        1 => Just(("\\\\u".to_owned(), vec![u16::from(b'\\'), u16::from(b'u')])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// What a JavaScript engine does with the same literal (`JSON.parse`, then every lone
    /// surrogate as U+FFFD when it becomes UTF-8) is what Spur reads.
    #[test]
    fn escaped_strings_read_as_javascript_would_then_lossily(
        pieces in prop::collection::vec(string_piece(), 0..24),
    ) {
        let literal: String = pieces.iter().map(|(text, _)| text.as_str()).collect();
        let units: Vec<u16> = pieces.iter().flat_map(|(_, units)| units.iter().copied()).collect();
        let read = from_json::<String>(format!("\"{literal}\"").as_bytes()).unwrap();
        prop_assert_eq!(read, String::from_utf16_lossy(&units));
    }

    #[test]
    fn replacing_lone_surrogates_never_panics_and_keeps_the_length(
        body in prop::collection::vec(
            prop_oneof![Just(b'\\'), Just(b'u'), Just(b'd'), Just(b'8'), Just(b'c'), Just(b'"'), any::<u8>()],
            0..64,
        ),
    ) {
        if let Some(fixed) = super::lone_surrogates_replaced(&body) {
            prop_assert_eq!(fixed.len(), body.len());
        }
    }
}
