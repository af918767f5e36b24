//! Drop-in ingestion: events in Plausible's and Umami's shapes, as their scripts send
//! them, end up in Spur's reports; what those tools' bodies get wrong is refused clearly.

use axum::body::Body;
use axum::http::Request;
use spur_tests::{Reply, Server, today};

async fn post(server: &Server, path: &str, user_agent: &str, body: &str) -> Reply {
    let content_type = if path == "/api/event" {
        "text/plain" // as Plausible's script sends it
    } else {
        "application/json" // as Umami's does
    };
    let request = Request::post(path)
        .header("content-type", content_type)
        .header("user-agent", user_agent)
        .header("origin", "https://shop.example")
        .body(Body::from(body.to_owned()))
        .unwrap();
    server.call(request).await
}

async fn paths(server: &Server) -> serde_json::Value {
    let day = today();
    let reply = server
        .get(&format!(
            "/api/v1/reports/paths?site=demo&from={day}&to={day}"
        ))
        .await;
    assert_eq!(reply.status, 200);
    reply.json()["paths"].clone()
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

#[tokio::test]
async fn plausible_and_umami_events_reach_the_reports() {
    let server = Server::start().await;
    // Plausible's script: short keys, `text/plain`; a domain list naming the site.
    for body in [
        r#"{"n":"pageview","u":"https://shop.example/","d":"shop.example,demo","r":"https://www.google.com/"}"#,
        r#"{"n":"pageview","u":"https://shop.example/cart","d":"shop.example,demo","r":null}"#,
        r#"{"name":"Purchase","url":"https://shop.example/checkout","domain":"demo","revenue":{"amount":"49.90","currency":"EUR"}}"#,
    ] {
        let reply = post(&server, "/api/event", FIREFOX, body).await;
        assert_eq!(reply.status, 202, "{}", reply.json());
        assert_eq!(reply.json()["accepted"], 1);
        // These events carry no time: they are stamped on arrival, and a visitor's
        // clicks are further apart than a millisecond.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Umami's script: one call, then a batch of two.
    let reply = post(
        &server,
        "/api/send",
        SAFARI,
        r#"{"type":"event","payload":{"website":"demo","hostname":"shop.example","screen":"1512x982","language":"en-US","title":"Shop","url":"/","referrer":""}}"#,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.json());
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let reply = post(
        &server,
        "/api/batch",
        SAFARI,
        r#"[{"type":"event","payload":{"website":"demo","hostname":"shop.example","url":"/faq","referrer":""}},
            {"type":"event","payload":{"website":"demo","hostname":"shop.example","url":"/faq","name":"newsletter-signup","data":{"list":"weekly"}}}]"#,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.json());
    assert_eq!(reply.json()["accepted"], 2);

    assert_eq!(server.stored("demo"), 6);
    let paths = paths(&server).await;
    let steps: Vec<&serde_json::Value> = paths
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["steps"])
        .collect();
    assert_eq!(paths.as_array().unwrap().len(), 2, "{paths}");
    assert!(
        steps.contains(&&serde_json::json!(["/", "/cart", "Purchase", "(exit)"])),
        "{paths}"
    );
    assert!(
        steps.contains(&&serde_json::json!([
            "/",
            "/faq",
            "newsletter-signup",
            "(exit)"
        ])),
        "{paths}"
    );
    let touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    let purchase = touches.iter().find(|t| t.touchpoint == "Purchase").unwrap();
    assert_eq!(purchase.revenue, Some(49.9));
}

#[tokio::test]
async fn what_is_not_kept_and_what_is_refused() {
    let server = Server::start().await;
    // Plausible's engagement pings and Umami's identify calls are taken and dropped.
    let reply = post(
        &server,
        "/api/event",
        FIREFOX,
        r#"{"n":"engagement","u":"https://shop.example/","d":"demo","sd":80,"e":12000}"#,
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.json()["ignored"].clone()),
        (202, "not_kept".into())
    );
    let reply = post(
        &server,
        "/api/send",
        FIREFOX,
        r#"{"type":"identify","payload":{"website":"demo","url":"/","data":{"plan":"pro"}}}"#,
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.json()["ignored"].clone()),
        (202, "not_kept".into())
    );
    assert_eq!(server.stored("demo"), 0);

    for (path, body, status, code) in [
        ("/api/event", "not json", 400, "malformed_body"),
        (
            "/api/event",
            r#"{"n":"pageview","d":"demo"}"#,
            400,
            "malformed_body",
        ),
        (
            "/api/event",
            r#"{"n":"pageview","u":"https://shop.example/","d":"nobody.example"}"#,
            422,
            "unknown_site",
        ),
        (
            "/api/event",
            r#"{"n":"pageview","u":"ftp://shop.example/","d":"demo"}"#,
            422,
            "invalid_event",
        ),
        (
            "/api/send",
            r#"{"type":"event","payload":{"url":"/"}}"#,
            400,
            "malformed_body",
        ),
        (
            "/api/batch",
            r#"[{"payload":{"website":"demo","url":"/"}},{"payload":{"website":"other","url":"/"}}]"#,
            422,
            "invalid_batch",
        ),
    ] {
        let reply = post(&server, path, FIREFOX, body).await;
        assert_eq!(
            (reply.status.as_u16(), reply.error_code()),
            (status, code.to_owned()),
            "{path} {body}"
        );
        assert!(
            !reply.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{path} {body}"
        );
    }
    assert_eq!(server.stored("demo"), 0);
}
