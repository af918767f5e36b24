//! `GET /api/v1/reports/paths`: totals add up, errors are clear.

use spur_tests::{Server, today};

/// A batch of page views for one visitor (one user agent), `gap_s` seconds apart.
fn journey(ids: &str, steps: &[&str]) -> String {
    let now = jiff::Timestamp::now().as_millisecond();
    let events: Vec<serde_json::Value> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            serde_json::json!({
                "id": format!("{ids}{i:016}"), "ts": now - 60_000 + i as i64 * 1000, "type": "pageview",
                "url": format!("https://shop.example/{step}"), "name": step,
            })
        })
        .collect();
    serde_json::json!({"v": 1, "site": "demo", "sent_at": now, "events": events}).to_string()
}

async fn post_as(server: &Server, user_agent: &str, body: String) {
    use axum::body::Body;
    use axum::http::Request;
    let request = Request::post("/api/v1/events")
        .header("content-type", "text/plain")
        .header("user-agent", user_agent)
        .body(Body::from(body))
        .unwrap();
    assert_eq!(server.call(request).await.status, 202);
}

#[tokio::test]
async fn top_paths_add_up_to_sessions() {
    let server = Server::start().await;
    post_as(
        &server,
        "visitor-a",
        journey("a", &["landing", "product", "cart"]),
    )
    .await;
    post_as(
        &server,
        "visitor-b",
        journey("b", &["landing", "product", "cart"]),
    )
    .await;
    post_as(&server, "visitor-c", journey("c", &["landing", "faq"])).await;
    post_as(&server, "visitor-d", journey("d", &["review"])).await;

    let day = today();
    let reply = server
        .get(&format!(
            "/api/v1/reports/paths?site=demo&from={day}&to={day}&limit=2"
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "site": "demo", "from": day, "to": day, "sessions": 4,
            "paths": [
                {"steps": ["landing", "product", "cart"], "sessions": 2, "share": 0.5},
                {"steps": ["landing", "faq"], "sessions": 1, "share": 0.25},
            ],
            "other": {"paths": 1, "sessions": 1},
        })
    );
}

#[tokio::test]
async fn report_errors() {
    let server = Server::start().await;
    let check = |uri: &'static str, status: u16, code: &'static str| {
        let server = &server;
        async move {
            let reply = server.get(uri).await;
            assert_eq!(reply.status.as_u16(), status, "{uri}");
            assert_eq!(reply.error_code(), code, "{uri}");
        }
    };
    check("/api/v1/reports/paths", 400, "invalid_query").await;
    check("/api/v1/reports/paths?site=nope", 404, "unknown_site").await;
    check(
        "/api/v1/reports/paths?site=demo&from=monday",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/paths?site=demo&limit=0",
        400,
        "invalid_query",
    )
    .await;
    check("/api/v1/reports/nothing", 404, "not_found").await;
    let empty = server.get("/api/v1/reports/paths?site=demo").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json()["sessions"], 0);
    assert_eq!(empty.json()["paths"], serde_json::json!([]));
}
