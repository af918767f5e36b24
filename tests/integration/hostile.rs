//! Hostile and broken input to `POST /api/v1/events`: each case has the status and code
//! it must get, and how many events it may store (none, unless it is valid).

use axum::body::Body;
use axum::http::Request;
use spur_tests::Server;
use spur_tests::process::BROWSER_UA;

/// What a case must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Refused as a whole: status, error code, nothing stored.
    Refused(u16, &'static str),
    /// 202 with this many events newly stored and this many rejected.
    Stored { stored: usize, rejected: usize },
}
use Expect::{Refused, Stored};

struct Case {
    name: &'static str,
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    expect: Expect,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A valid event with `patch` applied (fields set; `null` removes a field).
fn event(n: usize, patch: serde_json::Value) -> serde_json::Value {
    let mut event = serde_json::json!({
        "id": format!("hostile-event-{n:06}"),
        "ts": now(),
        "type": "pageview",
        "url": "https://shop.example/demo/",
        "name": "landing",
        "stage": "awareness",
    });
    for (key, value) in patch.as_object().unwrap() {
        if value.is_null() {
            event.as_object_mut().unwrap().remove(key);
        } else {
            event[key] = value.clone();
        }
    }
    event
}

fn batch_of(events: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::json!({ "v": 1, "site": "demo", "sent_at": now(), "events": events })
        .to_string()
        .into_bytes()
}

/// A batch of one event (with an id of its own) with `patch` applied.
fn one(patch: serde_json::Value) -> Vec<u8> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    batch_of(vec![event(
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        patch,
    )])
}

fn case(name: &'static str, body: impl Into<Vec<u8>>, expect: Expect) -> Case {
    Case {
        name,
        content_type: Some("text/plain"),
        headers: Vec::new(),
        body: body.into(),
        expect,
    }
}

fn cases() -> Vec<Case> {
    use serde_json::json;
    let invalid = Refused(422, "invalid_event");
    let malformed = Refused(400, "malformed_body");
    let t = now();
    let mut cases = vec![
        // Not a batch at all.
        case("empty body", "", malformed),
        case("null", "null", malformed),
        case("array", "[]", malformed),
        case("string", "\"hello\"", malformed),
        case("empty object", "{}", malformed),
        case(
            "truncated",
            r#"{"v":1,"site":"demo","sent_at":1,"events":["#,
            malformed,
        ),
        case(
            "byte order mark",
            [b"\xEF\xBB\xBF".as_slice(), &one(json!({}))].concat(),
            malformed,
        ),
        case(
            "malformed UTF-8",
            [
                &br#"{"v":1,"site":"de"#[..],
                b"\xFF\xFE",
                br#"mo","sent_at":1,"events":[]}"#,
            ]
            .concat(),
            malformed,
        ),
        case(
            "raw NUL byte",
            format!(
                r#"{{"v":1,"site":"demo","sent_at":{t},"events":[{{"id":"hostile-event-000000","ts":{t},"type":"pageview","url":"https://shop.example/","name":"a{}b"}}]}}"#,
                '\0'
            ),
            malformed,
        ),
        // As `JSON.stringify` writes half an emoji: read as U+FFFD, not refused.
        case(
            "unpaired surrogate",
            format!(
                r#"{{"v":1,"site":"demo","sent_at":{t},"events":[{{"id":"hostile-event-000000","ts":{t},"type":"pageview","url":"https://shop.example/","name":"\ud800"}}]}}"#
            ),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "deeply nested",
            format!(
                r#"{{"v":1,"site":"demo","sent_at":{t},"events":[{{"id":"hostile-event-000000","ts":{t},"type":"custom","url":"https://shop.example/","name":"x","props":{{"a":{}{}}}}}]}}"#,
                "[".repeat(5000),
                "]".repeat(5000)
            ),
            malformed,
        ),
        case(
            "NaN literal",
            format!(
                r#"{{"v":1,"site":"demo","sent_at":{t},"events":[{{"id":"hostile-event-000000","ts":{t},"type":"custom","url":"https://shop.example/","name":"x","props":{{"a":NaN}}}}]}}"#
            ),
            malformed,
        ),
        case(
            "huge sent_at",
            r#"{"v":1,"site":"demo","sent_at":1e400,"events":[]}"#,
            malformed,
        ),
        case(
            "fractional sent_at",
            r#"{"v":1,"site":"demo","sent_at":1.5,"events":[]}"#,
            malformed,
        ),
        case(
            "sent_at beyond i64",
            r#"{"v":1,"site":"demo","sent_at":99999999999999999999,"events":[]}"#,
            malformed,
        ),
        case(
            "missing sent_at",
            r#"{"v":1,"site":"demo","events":[]}"#,
            malformed,
        ),
        case(
            "duplicate keys",
            format!(r#"{{"v":1,"v":1,"site":"demo","sent_at":{t},"events":[]}}"#),
            malformed,
        ),
        case(
            "version as string",
            r#"{"v":"1","site":"demo","sent_at":1,"events":[]}"#,
            malformed,
        ),
        case(
            "future version",
            r#"{"v":2,"site":"demo","sent_at":1,"events":[]}"#,
            Refused(400, "unsupported_version"),
        ),
        case(
            "events is an object",
            format!(r#"{{"v":1,"site":"demo","sent_at":{t},"events":{{}}}}"#),
            malformed,
        ),
        // Batch-level rules.
        case(
            "unknown site",
            String::from_utf8(one(json!({})))
                .unwrap()
                .replace("\"demo\"", "\"nope\""),
            Refused(422, "unknown_site"),
        ),
        case(
            "empty site",
            String::from_utf8(one(json!({})))
                .unwrap()
                .replace("\"demo\"", "\"\""),
            Refused(422, "unknown_site"),
        ),
        case(
            "SQL in site",
            String::from_utf8(one(json!({})))
                .unwrap()
                .replace("\"demo\"", "\"demo' OR '1'='1\""),
            Refused(422, "unknown_site"),
        ),
        case(
            "10 000-character site",
            String::from_utf8(one(json!({})))
                .unwrap()
                .replace("\"demo\"", &format!("\"{}\"", "s".repeat(10_000))),
            Refused(422, "unknown_site"),
        ),
        case("empty batch", batch_of(vec![]), Refused(422, "empty_batch")),
        case(
            "101 events",
            batch_of((0..101).map(|n| event(n, json!({}))).collect()),
            Refused(422, "too_many_events"),
        ),
        case(
            "oversized body",
            batch_of(vec![event(0, json!({"name": "x".repeat(70 * 1024)}))]),
            Refused(413, "body_too_large"),
        ),
        case(
            "bad uid",
            String::from_utf8(one(json!({}))).unwrap().replacen(
                "\"site\"",
                "\"uid\":\"a b\",\"site\"",
                1,
            ),
            Refused(422, "invalid_batch"),
        ),
        case(
            "negative dropped",
            String::from_utf8(one(json!({}))).unwrap().replacen(
                "\"site\"",
                "\"dropped\":-5,\"site\"",
                1,
            ),
            malformed,
        ),
        // One bad event: refused, nothing stored.
        case("negative timestamp", one(json!({"ts": -1})), invalid),
        case(
            "timestamp a year ahead",
            one(json!({"ts": t + 365 * 86_400_000})),
            invalid,
        ),
        case(
            "timestamp 8 days old",
            one(json!({"ts": t - 8 * 86_400_000})),
            invalid,
        ),
        case("short id", one(json!({"id": "abc"})), invalid),
        case(
            "id with spaces",
            one(json!({"id": "hostile event 000000"})),
            invalid,
        ),
        case(
            "id of 65 characters",
            one(json!({"id": "i".repeat(65)})),
            invalid,
        ),
        case("unknown type", one(json!({"type": "purchase"})), invalid),
        case(
            "type of wrong case",
            one(json!({"type": "PAGEVIEW"})),
            invalid,
        ),
        case(
            "javascript: url",
            one(json!({"url": "javascript:alert(1)"})),
            invalid,
        ),
        case("relative url", one(json!({"url": "/demo/"})), invalid),
        case(
            "url of 3000 characters",
            one(json!({"url": format!("https://shop.example/{}", "p".repeat(3000))})),
            invalid,
        ),
        case(
            "referrer not a URL",
            one(json!({"ref": "not a url"})),
            invalid,
        ),
        case("unknown stage", one(json!({"stage": "buying"})), invalid),
        case(
            "name of 101 characters",
            one(json!({"name": "n".repeat(101)})),
            invalid,
        ),
        case("NUL in name", one(json!({"name": "a\u{0}b"})), invalid),
        case("newline in name", one(json!({"name": "a\nb"})), invalid),
        case(
            "click without name",
            one(json!({"type": "click", "name": null})),
            invalid,
        ),
        case(
            "nested props",
            one(json!({"type": "custom", "name": "x", "props": {"a": {"b": {}}}})),
            invalid,
        ),
        case(
            "array prop",
            one(json!({"type": "custom", "name": "x", "props": {"a": [1, 2]}})),
            invalid,
        ),
        case(
            "prop value of 300 characters",
            one(json!({"type": "custom", "name": "x", "props": {"a": "v".repeat(300)}})),
            invalid,
        ),
        case(
            "prop key of 65 characters",
            one(json!({"type": "custom", "name": "x", "props": {"k".repeat(65): 1}})),
            invalid,
        ),
        case(
            "21 properties",
            one(
                json!({"type": "custom", "name": "x", "props": (0..21).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>()}),
            ),
            invalid,
        ),
        case(
            "10 000 properties",
            format!(
                r#"{{"v":1,"site":"demo","sent_at":{t},"events":[{{"id":"hostile-event-000000","ts":{t},"type":"custom","url":"https://shop.example/","name":"x","props":{{{}}}}}]}}"#,
                (0..10_000)
                    .map(|i| format!("\"{i}\":1"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Refused(413, "body_too_large"),
        ),
        case(
            "5 000 properties",
            format!(
                r#"{{"v":1,"site":"demo","sent_at":{t},"events":[{{"id":"hostile-event-000000","ts":{t},"type":"custom","url":"https://shop.example/","name":"x","props":{{{}}}}}]}}"#,
                (0..5_000)
                    .map(|i| format!("\"{i}\":1"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            invalid,
        ),
        // Valid, if odd: stored as text, never interpreted.
        case(
            "script tag in name",
            one(json!({"name": "<script>alert(1)</script>"})),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "SQL in name",
            one(json!({"name": "'; DROP TABLE events; --"})),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "SQL in prop",
            one(json!({"type": "custom", "name": "x", "props": {"q": "1' OR '1'='1"}})),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "emoji and right-to-left text",
            one(json!({"name": "🛒 سلة"})),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "huge but finite number prop",
            one(json!({"type": "custom", "name": "x", "props": {"n": 1e308}})),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "unknown fields",
            one(json!({"extra": {"deep": [1, 2, 3]}})),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "same id twice in a batch",
            batch_of(vec![event(900_000, json!({})), event(900_000, json!({}))]),
            Stored {
                stored: 1,
                rejected: 0,
            },
        ),
        case(
            "one bad event among good ones",
            batch_of(vec![
                event(900_001, json!({})),
                event(900_002, json!({"stage": "buying"})),
                event(900_003, json!({})),
            ]),
            Stored {
                stored: 2,
                rejected: 1,
            },
        ),
    ];
    cases.push(Case {
        content_type: Some("application/x-www-form-urlencoded"),
        ..case(
            "form content type",
            one(json!({})),
            Refused(415, "unsupported_media_type"),
        )
    });
    cases.push(Case {
        content_type: None,
        ..case(
            "no content type",
            one(json!({})),
            Refused(415, "unsupported_media_type"),
        )
    });
    cases.push(Case {
        headers: vec![("content-encoding", "gzip".into())],
        ..case(
            "gzip-encoded body (bombs are not opened)",
            gzip_bomb(),
            Refused(415, "unsupported_encoding"),
        )
    });
    cases.push(Case {
        headers: vec![(
            "user-agent",
            "Googlebot/2.1 (+http://www.google.com/bot.html)".into(),
        )],
        ..case(
            "crawler",
            one(json!({})),
            Stored {
                stored: 0,
                rejected: 0,
            },
        )
    });
    cases.push(Case {
        headers: vec![("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36".into())],
        ..case("headless browser", one(json!({})), Stored { stored: 0, rejected: 0 })
    });
    cases.push(Case {
        headers: vec![("user-agent", String::new())],
        ..case(
            "no user agent",
            one(json!({})),
            Stored {
                stored: 0,
                rejected: 0,
            },
        )
    });
    cases
}

/// About 10 KB of gzip that inflates to 10 MiB of spaces around a valid batch.
fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&one(serde_json::json!({}))).unwrap();
    for _ in 0..10 * 1024 {
        gz.write_all(&[b' '; 1024]).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    bomb
}

#[tokio::test]
async fn every_hostile_input_gets_its_answer_and_stores_only_what_is_valid() {
    let server = Server::start().await;
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let before = server.stored("demo");
        let mut request = Request::post("/api/v1/events");
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        if !case.headers.iter().any(|(name, _)| *name == "user-agent") {
            request = request.header("user-agent", BROWSER_UA);
        }
        for (name, value) in &case.headers {
            request = request.header(*name, value.as_str());
        }
        let reply = server
            .call(request.body(Body::from(case.body)).unwrap())
            .await;
        let stored = server.stored("demo") - before;
        let body = String::from_utf8_lossy(&reply.body);
        let ok = match case.expect {
            Refused(status, code) => {
                reply.status == status
                    && reply.error_code() == code
                    && !reply.json()["error"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .is_empty()
                    && stored == 0
            }
            Stored {
                stored: want,
                rejected,
            } => {
                reply.status == 202
                    && stored == want
                    && reply.json()["rejected"].as_array().map_or(0, Vec::len) == rejected
            }
        };
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got {} {} (stored {stored})",
                case.name,
                case.expect,
                reply.status,
                body.chars().take(300).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The SQL fragments were data, not statements: the table is still there.
    assert!(server.stored("demo") >= 6);
}
