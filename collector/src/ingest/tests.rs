use super::*;
use crate::site::Site;

const GOLDEN: &str = include_str!("../../../tests/fixtures/wire/v1/batch.json");
const MINIMAL: &str = include_str!("../../../tests/fixtures/wire/v1/minimal.json");
const CONSENTED: &str = include_str!("../../../tests/fixtures/wire/v1/consented.json");
const IDENTIFIED: &str = include_str!("../../../tests/fixtures/wire/v1/identified.json");

fn demo() -> Site {
    Site {
        id: "demo".into(),
        name: "Demo".into(),
        allowed_origins: vec![],
    }
}

/// Parses, checks and converts `body` as the handler does, with a fixed clock.
fn ingest_checked(body: &str) -> Result<Checked, IngestError> {
    let batch = parse(body.as_bytes())?;
    let site = demo();
    check_batch(&batch, (batch.site == site.id).then_some(&site), None)?;
    let received_at = batch.sent_at + 250;
    events(batch, 7, Device::Mobile, received_at)
}

/// Like [`ingest_checked`], for batches expected to be wholly valid.
fn ingest(body: &str) -> Result<Vec<Event>, IngestError> {
    let checked = ingest_checked(body)?;
    assert_eq!(checked.rejected, vec![], "{body}");
    Ok(checked.events)
}

/// The rejection of the one bad event in `body`; the others are kept.
fn rejection(body: &str) -> Rejected {
    let checked = ingest_checked(body).unwrap();
    assert_eq!(checked.rejected.len(), 1, "{body}");
    checked.rejected[0].clone()
}

/// The golden batch with one event field replaced by `value` (raw JSON).
fn golden_with(field: &str, value: &str) -> String {
    let mut batch: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    batch["events"][0][field] = serde_json::from_str(value).unwrap();
    batch.to_string()
}

#[test]
fn golden_batch_is_accepted_field_for_field() {
    let events = ingest(GOLDEN).unwrap();
    assert_eq!(events.len(), 3);
    let landing = &events[0];
    assert_eq!(landing.id, "3f9a1c0e5b7d4e2fa8b6c4d2e0f1a3b5");
    assert_eq!(landing.kind, EventKind::Pageview);
    assert_eq!(landing.touchpoint, "landing");
    assert_eq!(landing.stage, Some(Stage::Awareness));
    assert_eq!(
        landing.referrer.as_deref(),
        Some("https://mail.example/inbox")
    );
    assert_eq!(landing.utm.source.as_deref(), Some("newsletter"));
    assert_eq!(landing.utm.medium.as_deref(), Some("email"));
    assert_eq!(landing.utm.campaign.as_deref(), Some("autumn"));
    assert_eq!(landing.visitor, 7);
    // Sent 1.5 s after it happened, received 250 ms after sending: skew removed.
    assert_eq!(landing.ts, 1795341600000 + 250);
    assert_eq!(events[1].kind, EventKind::Click);
    assert_eq!(events[1].touchpoint, "product");
    let purchase = &events[2];
    assert_eq!(purchase.kind, EventKind::Custom);
    assert_eq!(
        purchase.props.as_deref(),
        Some(r#"{"currency":"EUR","first_order":true,"revenue":49.9}"#)
    );
}

#[test]
fn pageview_without_name_is_its_url_path() {
    let events = ingest(MINIMAL).unwrap();
    assert_eq!(events[0].touchpoint, "/demo/");
    assert_eq!(events[0].stage, None);
    assert_eq!(events[0].utm, Utm::default());
}

#[test]
fn malformed_and_refused_batches() {
    let check = |body: &str, code: &str| {
        let err = ingest(body).expect_err(body);
        assert_eq!(err.code(), code, "{body}: {err}");
    };
    check("", "malformed_body");
    check("{", "malformed_body");
    check("[]", "malformed_body");
    check(
        r#"{"v":1,"site":"demo","sent_at":1,"events":{}}"#,
        "malformed_body",
    );
    check(
        r#"{"v":2,"site":"demo","sent_at":1,"events":[]}"#,
        "unsupported_version",
    );
    check(r#"{"v":9,"whatever":true}"#, "unsupported_version");
    check(
        r#"{"v":1,"site":"nope","sent_at":1,"events":[]}"#,
        "unknown_site",
    );
    check(
        r#"{"v":1,"site":"demo","sent_at":1,"events":[]}"#,
        "empty_batch",
    );
    let many: Vec<serde_json::Value> = (0..=MAX_EVENTS)
        .map(|_| serde_json::from_str::<serde_json::Value>(GOLDEN).unwrap()["events"][0].clone())
        .collect();
    let body =
        serde_json::json!({"v": 1, "site": "demo", "sent_at": 1795341601500i64, "events": many});
    check(&body.to_string(), "too_many_events");
}

#[test]
fn every_field_is_validated() {
    let long_url = format!("\"https://x.example/{}\"", "a".repeat(MAX_URL_LEN));
    let long_string = format!("{{\"k\":\"{}\"}}", "é".repeat(MAX_PROP_VALUE_LEN + 1));
    let many_props = format!(
        "{{{}}}",
        (0..=MAX_PROPS)
            .map(|i| format!("\"k{i}\":1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let cases: &[(&str, &str, &str)] = &[
        ("id", r#""short""#, "id"),
        ("id", r#""0123456789abcdef!""#, "id"),
        ("ts", "1795341601500000", "ts"),
        ("ts", "1000", "ts"),
        ("type", r#""scroll""#, "type"),
        ("url", r#""/relative""#, "url"),
        ("url", r#""javascript:alert(1)""#, "url"),
        ("url", &long_url, "url"),
        ("ref", r#""not a url""#, "ref"),
        ("name", r#""""#, "name"),
        ("name", r#""line\nbreak""#, "name"),
        ("name", r#""abc\u202edcba""#, "name"),
        ("name", r#""\u2067cart""#, "name"),
        ("props", r#"{"k\u202e":1}"#, "props"),
        ("props", r#"{"k":"a\u0000b"}"#, "props"),
        ("props", r#"{"k":"a\u001bb"}"#, "props"),
        ("props", r#"{"k":"a\u0085b"}"#, "props"),
        (
            "name",
            &format!("\"{}\"", "n".repeat(MAX_NAME_LEN + 1)),
            "name",
        ),
        ("stage", r#""delight""#, "stage"),
        ("props", r#"{"nested":{"a":1}}"#, "props"),
        ("props", r#"{"n":null}"#, "props"),
        ("props", &long_string, "props"),
        ("props", &many_props, "props"),
    ];
    for (field, value, expected_field) in cases {
        let rejected = rejection(&golden_with(field, value));
        assert_eq!(
            (rejected.index, rejected.field),
            (0, *expected_field),
            "{field}={value}"
        );
    }
}

#[test]
fn property_values_keep_line_breaks_and_tabs() {
    let checked =
        ingest_checked(&golden_with("props", r#"{"comment":"late\r\nbut\tfine"}"#)).unwrap();
    assert!(checked.rejected.is_empty());
    assert_eq!(
        checked.events[0].props.as_deref(),
        Some(r#"{"comment":"late\r\nbut\tfine"}"#)
    );
}

#[test]
fn good_events_survive_a_bad_neighbour_but_an_all_bad_batch_is_refused() {
    let checked = ingest_checked(&golden_with("stage", r#""delight""#)).unwrap();
    assert_eq!(checked.events.len(), 2);
    assert_eq!(checked.events[0].touchpoint, "product");
    assert_eq!(
        checked.rejected[0].to_string(),
        "events[0].stage: must be one of awareness, consideration, purchase, retention, advocacy"
    );
    let mut batch: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    for event in batch["events"].as_array_mut().unwrap() {
        event["type"] = "scroll".into();
    }
    let err = ingest_checked(&batch.to_string()).unwrap_err();
    assert_eq!(err.code(), "invalid_event");
    assert_eq!(
        err.to_string(),
        "events[0].type: must be one of pageview, click, custom, feedback, engagement, \
         friction (and every other event of the batch is invalid too)"
    );
}

#[test]
fn uid_and_dropped_are_read_and_a_bad_uid_refuses_the_batch() {
    let batch = parse(CONSENTED.as_bytes()).unwrap();
    assert_eq!(batch.uid.as_deref(), Some("Qm9uam91ciBTcHVyIQ"));
    assert_eq!(batch.dropped, Some(3));
    assert_eq!(ingest(CONSENTED).unwrap().len(), 1);
    let bad = CONSENTED.replace("Qm9uam91ciBTcHVyIQ", "not/a uid");
    assert_eq!(ingest_checked(&bad).unwrap_err().code(), "invalid_batch");
}

/// The golden batch of a customer the site identified: `customer` next to `uid`; a
/// blank reference, one with a control character or one too long refuses the batch.
#[test]
fn identified_batch_carries_customer() {
    let batch = parse(IDENTIFIED.as_bytes()).unwrap();
    assert_eq!(batch.customer.as_deref(), Some("Kunde 4711"));
    assert_eq!(batch.uid.as_deref(), Some("Qm9uam91ciBTcHVyIQ"));
    assert_eq!(ingest(IDENTIFIED).unwrap().len(), 1);
    let longest = "ü".repeat(crate::visitor::MAX_CUSTOMER_CHARS);
    assert_eq!(
        ingest(&IDENTIFIED.replace("Kunde 4711", &longest))
            .unwrap()
            .len(),
        1
    );
    for bad in ["  ", "Kunde\\u00074711", &format!("{longest}x")] {
        let body = IDENTIFIED.replace("Kunde 4711", bad);
        let error = ingest_checked(&body).unwrap_err();
        assert_eq!(error.code(), "invalid_batch", "{bad:?}");
        assert!(error.to_string().contains("customer"), "{error}");
    }
}

#[test]
fn click_and_custom_events_need_a_name() {
    let mut batch: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    batch["events"][2].as_object_mut().unwrap().remove("name");
    let rejected = rejection(&batch.to_string());
    assert_eq!(
        rejected,
        Rejected {
            index: 2,
            field: "name",
            reason: "is required for click, custom, feedback and friction events"
        }
    );
    assert_eq!(
        rejected.to_string(),
        "events[2].name: is required for click, custom, feedback and friction events"
    );
}

#[test]
fn engagement_and_friction_events_are_checked() {
    let with = |event: serde_json::Value| {
        let mut batch: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
        let mut first = batch["events"][0].clone();
        for (k, v) in event.as_object().unwrap() {
            first[k] = v.clone();
        }
        batch["events"] = serde_json::json!([first]);
        batch.to_string()
    };
    // An engagement event without a name is the page's (its URL path), like a page view.
    let mut engaged = with(serde_json::json!({
        "type": "engagement", "props": {"ms": 12500, "scroll": 80, "xp:checkout": "green"}
    }));
    let mut batch: serde_json::Value = serde_json::from_str(&engaged).unwrap();
    batch["events"][0].as_object_mut().unwrap().remove("name");
    engaged = batch.to_string();
    let events = ingest(&engaged).unwrap();
    assert_eq!(events[0].kind, EventKind::Engagement);
    assert_eq!(events[0].touchpoint, "/demo/");
    for props in [
        serde_json::json!({"ms": 1}),
        serde_json::json!({"scroll": 1}),
        serde_json::json!({"ms": -1, "scroll": 5}),
        serde_json::json!({"ms": 1.5, "scroll": 5}),
        serde_json::json!({"ms": 86_400_001u64, "scroll": 5}),
        serde_json::json!({"ms": 5, "scroll": 101}),
    ] {
        let body = with(serde_json::json!({"type": "engagement", "props": props}));
        assert_eq!(rejection_or_refusal(&body), "props", "{props}");
    }
    let events = ingest(&with(serde_json::json!({
        "type": "friction", "name": "rage-click", "props": {"target": "add-to-cart"}
    })))
    .unwrap();
    assert_eq!(
        (events[0].kind, &events[0].touchpoint[..]),
        (EventKind::Friction, "rage-click")
    );
    let body = with(serde_json::json!({"type": "friction", "name": "slow"}));
    assert_eq!(rejection_or_refusal(&body), "name");
}

/// The field of the only event's rejection (a batch of one bad event is refused as a
/// whole, with the same detail).
fn rejection_or_refusal(body: &str) -> &'static str {
    match ingest_checked(body) {
        Ok(checked) => checked.rejected[0].field,
        Err(IngestError::InvalidEvent(rejected)) => rejected[0].field,
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let events = ingest(&golden_with("future_field", r#"{"x":1}"#)).unwrap();
    assert_eq!(events.len(), 3);
}

#[test]
fn disallowed_origin_is_refused() {
    let batch = parse(GOLDEN.as_bytes()).unwrap();
    let site = Site {
        allowed_origins: vec!["https://shop.example".into()],
        ..demo()
    };
    assert_eq!(
        check_batch(&batch, Some(&site), Some("https://shop.example")),
        Ok(())
    );
    assert_eq!(check_batch(&batch, Some(&site), None), Ok(()));
    let err = check_batch(&batch, Some(&site), Some("https://evil.example")).unwrap_err();
    assert_eq!(err.code(), "origin_not_allowed");
}

#[test]
fn feedback_events_carry_a_checked_answer() {
    let with = |props: Option<&str>| {
        let mut batch: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
        let event = &mut batch["events"][2];
        event["type"] = "feedback".into();
        event["name"] = "after-delivery".into();
        match props {
            Some(p) => event["props"] = serde_json::from_str(p).unwrap(),
            None => {
                event.as_object_mut().unwrap().remove("props");
            }
        }
        batch.to_string()
    };
    let long = "x".repeat(1000);
    let ok = with(Some(&format!(
        r#"{{"widget":"nps","outcome":"answered","score":10,"comment":"{long}"}}"#
    )));
    let events = ingest(&ok).unwrap();
    assert_eq!(events[2].kind, crate::event::EventKind::Feedback);
    assert_eq!(events[2].touchpoint, "after-delivery");
    let reason = |body: &str| rejection(body).reason;
    assert_eq!(
        reason(&with(None)),
        "is required for feedback: widget, outcome, score when answered"
    );
    assert_eq!(
        reason(&with(Some(
            r#"{"widget":"nps","outcome":"answered","score":11}"#
        ))),
        "props.score must be a whole number on the widget's scale (nps 0-10, csat 1-5, ces 1-7, thumbs 0-1)"
    );
    assert_eq!(
        reason(&with(Some(r#"{"widget":"stars","outcome":"shown"}"#))),
        "props.widget must be one of nps, csat, ces, thumbs"
    );
    let too_long = "x".repeat(1001);
    assert_eq!(
        reason(&with(Some(&format!(
            r#"{{"widget":"nps","outcome":"answered","score":1,"comment":"{too_long}"}}"#
        )))),
        "props.comment must be at most 1000 characters"
    );
    // Other events keep the 256-character limit.
    let mut custom: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    custom["events"][2]["props"] = serde_json::json!({ "note": "x".repeat(300) });
    assert_eq!(
        reason(&custom.to_string()),
        "string values must be at most 256 characters (a feedback comment 1000)"
    );
}

#[test]
fn times_at_the_ends_of_the_integers_are_refused_not_overflowed() {
    // A `ts` of i64::MIN once made the age check negate i64::MIN (a panic in debug
    // builds; in release the wrapped value let the event through).
    for (ts, field) in [(i64::MIN, "ts"), (i64::MAX, "ts"), (i64::MIN + 1, "ts")] {
        let rejected = rejection(&golden_with("ts", &ts.to_string()));
        assert_eq!((rejected.index, rejected.field), (0, field), "ts {ts}");
    }
}

#[test]
fn a_purchase_with_an_absurd_revenue_is_rejected() {
    let with_revenue = |revenue: &str| {
        let mut batch: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
        assert_eq!(batch["events"][2]["type"], "custom");
        batch["events"][2]["props"]["revenue"] = serde_json::from_str(revenue).unwrap();
        batch.to_string()
    };
    for revenue in ["1e308", "-1e13", "1000000000000.01"] {
        let rejected = rejection(&with_revenue(revenue));
        assert_eq!((rejected.index, rejected.field), (2, "props"), "{revenue}");
    }
    // Up to a trillion either way (a refund may be negative), and a text is not an amount.
    for revenue in ["1e12", "-20", "0", "\"49.90\""] {
        assert_eq!(
            ingest(&with_revenue(revenue)).unwrap().len(),
            3,
            "{revenue}"
        );
    }
    // Stored before ingest refused it: never counted, so no total turns infinite.
    assert_eq!(crate::journey::revenue(Some(r#"{"revenue":1e308}"#)), None);
    assert_eq!(
        crate::journey::revenue(Some(r#"{"revenue":49.9}"#)),
        Some(49.9)
    );
}

#[test]
fn a_lone_surrogate_escape_reads_as_the_replacement_character() {
    // `JSON.stringify` of half an emoji, as a name and a prop's value, the other event
    // of the batch untouched.
    let body = GOLDEN
        .replacen(r#""name": "landing""#, r#""name": "landing \ud83d""#, 1)
        .replacen(r#""currency": "EUR""#, r#""currency": "\ude00EUR""#, 1);
    let events = ingest(&body).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].touchpoint, "landing \u{fffd}");
    assert!(
        events[2]
            .props
            .as_deref()
            .unwrap()
            .contains("\"currency\":\"\u{fffd}EUR\"")
    );
    assert_eq!(events[1].touchpoint, "product");
}

#[test]
fn only_lone_surrogates_are_replaced() {
    let read = |json: &str| from_json::<String>(json.as_bytes()).unwrap();
    // A pair is one character; an escaped backslash before `u` is text.
    assert_eq!(read(r#""\ud83d\ude00""#), "😀");
    assert_eq!(read(r#""\\ud83d""#), r"\ud83d");
    assert_eq!(read(r#""\\\ud83d""#), "\\\u{fffd}");
    // High then high, low then high, one at the very end.
    assert_eq!(read(r#""\ud83d\ud83d\ude00""#), "\u{fffd}😀");
    assert_eq!(read(r#""\ude00\ud83d""#), "\u{fffd}\u{fffd}");
    assert_eq!(read(r#""a\uD800""#), "a\u{fffd}");
    // Not JSON for other reasons: still refused, with serde_json's message.
    let error = parse(br#"{"v": 1, "site": "\ud800"#).unwrap_err();
    assert_eq!(error.code(), "malformed_body");
    assert!(from_json::<String>(br#""\ud800\"#).is_err());
}

#[test]
fn drop_in_trackers_events_with_a_lone_surrogate_are_taken() {
    let plausible =
        br#"{"n":"Signup","u":"https://shop.example/","d":"demo","p":{"plan":"Pro \ud83d"}}"#;
    let batch = compat::plausible(plausible, 1_795_341_601_000, |d| d == "demo")
        .unwrap()
        .unwrap();
    let props = batch.events[0].props.as_ref().unwrap();
    assert_eq!(props["plan"], "Pro \u{fffd}");
    let umami = br#"{"type":"event","payload":{"website":"demo","hostname":"shop.example","url":"/","title":"Caf\udce9"}}"#;
    assert!(compat::umami(umami, 1_795_341_601_000).unwrap().is_some());
}
