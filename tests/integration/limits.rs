//! Rate limits and bots: real traffic never meets a limit, a flood does, and bots are
//! dropped with a counted reason.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use spur::ratelimit::Rate;
use spur_tests::process::BROWSER_UA;
use spur_tests::{Reply, Server};

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn batch(id: &str) -> String {
    let t = now();
    serde_json::json!({"v": 1, "site": "demo", "sent_at": t, "events": [
        {"id": id, "ts": t, "type": "pageview", "url": "https://shop.example/demo/", "name": "landing"}
    ]})
    .to_string()
}

/// Posts a batch as if from `ip` with user agent `ua`.
async fn post_from(server: &Server, ip: [u8; 4], ua: &str, body: String) -> Reply {
    let mut request = Request::post("/api/v1/events")
        .header("content-type", "text/plain")
        .header("user-agent", ua)
        .body(Body::from(body))
        .unwrap();
    let addr = SocketAddr::from((ip, 40_000));
    request.extensions_mut().insert(ConnectInfo(addr));
    server.call(request).await
}

fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn fifty_busy_visitors_are_never_limited() {
    // Default limits. Each visitor sends ten batches 100 ms apart: ten times the rate
    // of a real tracker, which batches for a second.
    let server = Server::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    let server = std::sync::Arc::new(server);
    for visitor in 0..50u8 {
        let server = server.clone();
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..10 {
                let id = format!("busy-visitor-{visitor:03}-{n:03}");
                let reply = post_from(&server, [10, 0, 0, visitor], BROWSER_UA, batch(&id)).await;
                statuses.push(reply.status.as_u16());
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            statuses
        });
    }
    while let Some(statuses) = tasks.join_next().await {
        assert!(statuses.unwrap().iter().all(|&s| s == 202));
    }
    assert_eq!(server.stored("demo"), 500);
}

#[tokio::test]
async fn a_flood_from_one_address_gets_429_with_retry_after() {
    let server = Server::start().await;
    let mut accepted = 0;
    let mut limited: Option<Reply> = None;
    for n in 0..400 {
        let reply = post_from(
            &server,
            [192, 0, 2, 1],
            BROWSER_UA,
            batch(&format!("flood-event-{n:06}")),
        )
        .await;
        match reply.status.as_u16() {
            202 => accepted += 1,
            429 => {
                limited = Some(reply);
                break;
            }
            other => panic!("{other}"),
        }
    }
    let limited = limited.expect("a flood is limited");
    // The default burst (ten seconds' worth at 20 requests a second) passes first.
    assert!(accepted >= 200, "only {accepted} accepted before the limit");
    assert_eq!(limited.error_code(), "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(server.stored("demo"), accepted);
    // Another address is not affected.
    let other = post_from(
        &server,
        [192, 0, 2, 2],
        BROWSER_UA,
        batch("other-address-0001"),
    )
    .await;
    assert_eq!(other.status, 202);
    let metrics = String::from_utf8(server.get("/metrics").await.body).unwrap();
    assert_eq!(
        metric(
            &metrics,
            "spur_ingest_refused_requests_total{code=\"rate_limited\"}"
        ),
        1
    );
}

#[tokio::test]
async fn a_flood_against_one_site_is_limited_across_addresses() {
    let server = Server::start_with(|s| s.rate_limit_site = Rate::per_second(5)).await;
    let mut statuses = Vec::new();
    for n in 0..80u8 {
        let reply = post_from(
            &server,
            [198, 51, 100, n],
            BROWSER_UA,
            batch(&format!("site-flood-{n:06}")),
        )
        .await;
        statuses.push(reply.status.as_u16());
    }
    let accepted = statuses.iter().filter(|&&s| s == 202).count();
    assert!((50..80).contains(&accepted), "{accepted} of 80 accepted");
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        80 - accepted
    );
}

#[tokio::test]
async fn bots_are_dropped_and_counted_not_stored() {
    let server = Server::start().await;
    let bots = [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "",
    ];
    for (n, ua) in bots.iter().enumerate() {
        let reply = post_from(
            &server,
            [203, 0, 113, 5],
            ua,
            batch(&format!("bot-event-{n:08}")),
        )
        .await;
        assert_eq!(reply.status, 202, "{ua}");
        assert_eq!(reply.json()["accepted"], 0, "{ua}");
        assert_eq!(reply.json()["ignored"], "bot", "{ua}");
    }
    let human = post_from(
        &server,
        [203, 0, 113, 5],
        BROWSER_UA,
        batch("human-event-0001"),
    )
    .await;
    assert_eq!(human.json()["accepted"], 1);
    assert_eq!(server.stored("demo"), 1);
    let metrics = String::from_utf8(server.get("/metrics").await.body).unwrap();
    assert_eq!(
        metric(&metrics, "spur_ingest_events_total{outcome=\"bot\"}"),
        bots.len() as u64
    );
    assert_eq!(
        metric(&metrics, "spur_ingest_events_total{outcome=\"stored\"}"),
        1
    );
    // Only the human's batch reached the writer: one commit of one event.
    assert_eq!(metric(&metrics, "spur_store_commit_seconds_count"), 1);
    assert!(
        metrics.contains("\nspur_store_commit_events_sum 1.0\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn behind_a_proxy_the_forwarded_address_counts_and_otherwise_it_is_ignored() {
    for behind_proxy in [false, true] {
        let server = Server::start_with(|s| {
            s.behind_proxy = behind_proxy;
            s.rate_limit_ip = Rate::per_second(1);
        })
        .await;
        // Twenty clients behind one proxy address, each sending one batch.
        let mut statuses = Vec::new();
        for n in 0..20u8 {
            let mut request = Request::post("/api/v1/events")
                .header("content-type", "text/plain")
                .header("user-agent", BROWSER_UA)
                .header("x-forwarded-for", format!("10.9.8.7, 203.0.113.{n}"))
                .body(Body::from(batch(&format!("proxied-event-{n:04}"))))
                .unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
            statuses.push(server.call(request).await.status.as_u16());
        }
        let accepted = statuses.iter().filter(|&&s| s == 202).count();
        if behind_proxy {
            // Each forwarded address has its own bucket (burst 10).
            assert_eq!(accepted, 20, "{statuses:?}");
        } else {
            // One peer address: the header is not trusted, the burst of 10 runs out.
            assert!((10..20).contains(&accepted), "{statuses:?}");
        }
    }
}
