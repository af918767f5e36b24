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
            "site": "demo", "from": day, "to": day, "report": "paths", "total": 4,
            "paths": [
                {"steps": ["landing", "product", "cart", "(exit)"], "count": 2, "share": 0.5},
                {"steps": ["landing", "faq", "(exit)"], "count": 1, "share": 0.25},
            ],
            "other": {"paths": 1, "count": 1},
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
    check(
        "/api/v1/reports/paths?site=demo&lmit=3",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/paths?site=demo&site=demo",
        400,
        "invalid_query",
    )
    .await;
    check("/api/v1/reports/funnel?site=demo", 400, "invalid_query").await;
    check(
        "/api/v1/reports/funnel?site=demo&steps=landing",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/explore?site=demo&start=cart&direction=sideways",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/channels?site=demo&model=random",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/paths?site=demo&channel=tv",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/paths?site=demo&format=xml",
        400,
        "invalid_query",
    )
    .await;
    check(
        "/api/v1/reports/visitor?site=demo&id=12",
        400,
        "invalid_query",
    )
    .await;
    let empty = server.get("/api/v1/reports/paths?site=demo").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json()["total"], 0);
    assert_eq!(empty.json()["paths"], serde_json::json!([]));
}

#[tokio::test]
async fn every_report_answers_json_and_csv() {
    let server = Server::start().await;
    post_as(
        &server,
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 visitor-a",
        journey("a", &["landing", "product", "cart", "purchase"]),
    )
    .await;
    post_as(
        &server,
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 visitor-b",
        journey("b", &["landing", "=HYPERLINK(\"x\")"]),
    )
    .await;
    let day = today();
    let base = format!("site=demo&from={day}&to={day}");
    for (report, extra) in [
        ("paths", "&unit=visitor&group=/x/*:x"),
        ("explore", "&start=landing&direction=forward&steps=3"),
        ("transitions", "&steps=3"),
        ("funnel", "&steps=landing,product,purchase&window=3600"),
        ("stages", ""),
        ("touchpoints", ""),
        ("channels", "&model=position"),
        ("referrals", ""),
        ("visitor", "&id=0000000000000001"),
    ] {
        let json = server
            .get(&format!("/api/v1/reports/{report}?{base}{extra}"))
            .await;
        assert_eq!(
            json.status,
            200,
            "{report}: {}",
            String::from_utf8_lossy(&json.body)
        );
        assert_eq!(json.json()["report"], report);
        let csv = server
            .get(&format!(
                "/api/v1/reports/{report}?{base}{extra}&format=csv"
            ))
            .await;
        assert_eq!(csv.status, 200, "{report}");
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            csv.header("content-disposition")
                .unwrap()
                .contains(&format!("spur-{report}-demo-"))
        );
        let text = String::from_utf8(csv.body).unwrap();
        assert!(
            text.lines().next().unwrap().contains(','),
            "{report}: a header row"
        );
        // A name a spreadsheet would run as a formula is defused.
        assert!(
            !text.lines().any(|l| l.starts_with("=") || l.contains(",=")),
            "{report}: {text}"
        );
    }
    let funnel = server
        .get(&format!(
            "/api/v1/reports/funnel?{base}&steps=landing,product,purchase"
        ))
        .await
        .json();
    let reached: Vec<u64> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["visitors"].as_u64().unwrap())
        .collect();
    assert_eq!(reached, [2, 1, 1]);
    let paths_csv = String::from_utf8(
        server
            .get(&format!("/api/v1/reports/paths?{base}&format=csv"))
            .await
            .body,
    )
    .unwrap();
    assert!(
        paths_csv.contains("landing > product > cart > purchase > (exit)"),
        "{paths_csv}"
    );
    let touchpoints_csv = String::from_utf8(
        server
            .get(&format!("/api/v1/reports/touchpoints?{base}&format=csv"))
            .await
            .body,
    )
    .unwrap();
    assert!(
        touchpoints_csv.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "{touchpoints_csv}"
    );
}

#[tokio::test]
async fn the_api_is_described_by_an_openapi_document() {
    let server = Server::start().await;
    let doc = server.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/events",
        "/api/v1/reports/{report}",
        "/api/v1/visitors",
        "/metrics",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not described");
    }
    let reports = &doc["paths"]["/api/v1/reports/{report}"]["get"]["parameters"];
    let names: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "site", "from", "to", "group", "channel", "device", "stage", "segment", "format", "steps",
        "window", "model",
    ] {
        assert!(names.contains(&name), "parameter {name} is not described");
    }
    assert!(doc["components"]["schemas"]["FunnelResult"].is_object());
}
