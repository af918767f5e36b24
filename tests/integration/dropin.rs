//! Drop-in ingestion: events in Plausible's and Umami's shapes, as their scripts send
//! them, end up in Spur's reports; what those tools' bodies get wrong is refused clearly.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use spur_tests::browser::{Browser, until};
use spur_tests::pages::{Page, Pages};
use spur_tests::{Reply, Server, repo_root, today};

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

/// Plausible's own npm module (pinned by `tests/fixtures/peers/package-lock.json`,
/// installed there on first use).
fn plausible_module() -> Vec<u8> {
    let dir = repo_root().join("tests/fixtures/peers");
    let module = dir.join("node_modules/@plausible-analytics/tracker/plausible.js");
    if !module.exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci in {}", dir.display());
    }
    std::fs::read(&module).unwrap()
}

#[tokio::test]
async fn plausibles_own_script_pointed_at_spur_delivers() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let page = Page::new(
        "/shop.html",
        format!(
            r#"<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>
<script type="module">
import {{ init, track }} from "/plausible.js";
init({{ domain: "demo", endpoint: "{api}/api/event", captureOnLocalhost: true, logging: false }});
setTimeout(function () {{
  track("Purchase", {{ props: {{ plan: "box" }}, revenue: {{ amount: 49.9, currency: "EUR" }} }});
}}, 50);
</script></body></html>"#
        ),
    );
    let module = Page::file("/plausible.js", "text/javascript", plausible_module());
    let pages = Pages::start(vec![page, module]).await;
    let browser = Browser::start().await;
    browser.client.goto(&pages.url("/shop.html")).await.unwrap();
    until(
        "Plausible's two events to be stored",
        Duration::from_secs(15),
        || server.stored("demo") >= 2,
    )
    .await;
    let touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    assert_eq!(touches.len(), 2, "{touches:?}");
    let url = pages.url("/shop.html");
    let view = touches
        .iter()
        .find(|t| t.kind == spur::event::EventKind::Pageview)
        .unwrap();
    assert_eq!(
        (view.url.as_str(), view.touchpoint.as_str()),
        (url.as_str(), "/shop.html")
    );
    let purchase = touches.iter().find(|t| t.touchpoint == "Purchase").unwrap();
    assert_eq!(purchase.revenue, Some(49.9));
    assert!(
        purchase
            .props
            .as_deref()
            .unwrap()
            .contains(r#""plan":"box""#),
        "{purchase:?}"
    );
    browser.close().await;
}
