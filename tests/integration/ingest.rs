//! `POST /api/v1/events`: what is accepted, what is refused, and that a refusal stores
//! nothing.

use spur_tests::{Server, fixture};

#[tokio::test]
async fn golden_batch_is_committed_before_the_answer() {
    let server = Server::start().await;
    let reply = server
        .post_events("text/plain;charset=UTF-8", fixture("wire/v1/batch.json"))
        .await;
    assert_eq!(
        reply.status,
        202,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.json(),
        serde_json::json!({"accepted": 3, "duplicates": 0, "rejected": []})
    );
    // A 202 means committed: the events are in the store now, not eventually.
    assert_eq!(server.stored("demo"), 3);
    let json = server
        .post_events("application/json", fixture("wire/v1/minimal.json"))
        .await;
    assert_eq!(json.status, 202);
    assert_eq!(server.stored("demo"), 4);
}

#[tokio::test]
async fn a_resent_batch_is_stored_once() {
    let server = Server::start().await;
    for attempt in 0..3 {
        let reply = server
            .post_events("text/plain", fixture("wire/v1/batch.json"))
            .await;
        assert_eq!(reply.status, 202);
        // Every re-send is acknowledged (the tracker may stop retrying) and says so.
        assert_eq!(reply.json()["accepted"], 3);
        assert_eq!(reply.json()["duplicates"], if attempt == 0 { 0 } else { 3 });
    }
    assert_eq!(server.stored("demo"), 3);
}

#[tokio::test]
async fn bad_batches_get_a_documented_error_and_store_nothing() {
    let oversized = format!(
        r#"{{"v":1,"site":"demo","sent_at":1,"events":[],"pad":"{}"}}"#,
        "x".repeat(spur::ingest::MAX_BODY_BYTES)
    );
    let golden: serde_json::Value = serde_json::from_str(&fixture("wire/v1/batch.json")).unwrap();
    let mut all_bad = golden.clone();
    for event in all_bad["events"].as_array_mut().unwrap() {
        event["stage"] = "delight".into();
    }
    let mut unknown_site = golden.clone();
    unknown_site["site"] = "no-such-site".into();
    let mut empty = golden;
    empty["events"] = serde_json::json!([]);

    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        (
            "malformed JSON",
            "text/plain",
            r#"{"v":1,"site":"demo","#.into(),
            400,
            "malformed_body",
        ),
        (
            "not a batch",
            "application/json",
            "[1,2,3]".into(),
            400,
            "malformed_body",
        ),
        (
            "future version",
            "text/plain",
            r#"{"v":99,"batch":{}}"#.into(),
            400,
            "unsupported_version",
        ),
        (
            "unknown site",
            "text/plain",
            unknown_site.to_string(),
            422,
            "unknown_site",
        ),
        (
            "oversized body",
            "text/plain",
            oversized,
            413,
            "body_too_large",
        ),
        (
            "empty batch",
            "text/plain",
            empty.to_string(),
            422,
            "empty_batch",
        ),
        (
            "only invalid events",
            "text/plain",
            all_bad.to_string(),
            422,
            "invalid_event",
        ),
        (
            "form post",
            "application/x-www-form-urlencoded",
            "a=b".into(),
            415,
            "unsupported_media_type",
        ),
    ];
    let server = Server::start().await;
    for (what, content_type, body, status, code) in cases {
        let reply = server.post_events(content_type, body).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{what}: {:?}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.error_code(), code, "{what}");
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.len() > 10,
            "{what}: a human message, got {message:?}"
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{what}"
        );
        assert_eq!(server.stored("demo"), 0, "{what} stored something");
    }
}

#[tokio::test]
async fn an_invalid_event_is_named_and_its_neighbours_are_stored() {
    let server = Server::start().await;
    let mut batch: serde_json::Value =
        serde_json::from_str(&fixture("wire/v1/batch.json")).unwrap();
    batch["events"][2]["url"] = "javascript:alert(1)".into();
    let reply = server.post_events("text/plain", batch.to_string()).await;
    assert_eq!(reply.status, 202);
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "accepted": 2,
            "duplicates": 0,
            "rejected": [{
                "index": 2,
                "code": "invalid_event",
                "message": "events[2].url: must be an http or https URL"
            }]
        })
    );
    assert_eq!(server.stored("demo"), 2);
}

#[tokio::test]
async fn cross_origin_posts_are_allowed_and_preflight_is_answered() {
    use axum::body::Body;
    use axum::http::Request;
    let server = Server::start().await;
    let preflight = Request::options("/api/v1/events")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let reply = server.call(preflight).await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let post = Request::post("/api/v1/events")
        .header("origin", "https://shop.example")
        .header("content-type", "text/plain")
        .body(Body::from(fixture("wire/v1/minimal.json")))
        .unwrap();
    let reply = server.call(post).await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    // A tracker on another origin can read `Retry-After` to honour it.
    assert_eq!(
        reply
            .header("access-control-expose-headers")
            .map(str::to_ascii_lowercase),
        Some("retry-after".into())
    );
}
