//! The whole product in a real headless Chromium: the demo shop loads the wasm tracker,
//! a customer clicks through a journey, and the paths report shows exactly that journey.

use std::time::Duration;

use fantoccini::Locator;
use spur_tests::browser::{Browser, until};
use spur_tests::{Server, today};

const PATIENCE: Duration = Duration::from_secs(20);

/// The touchpoints stored so far, in time order (page views and clicks: not the
/// engagement each page view reports when it is left).
fn touchpoints(server: &Server) -> Vec<String> {
    let mut touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    touches.retain(|t| t.kind != spur::event::EventKind::Engagement);
    touches.sort_by_key(|t| t.ts);
    touches.into_iter().map(|t| t.touchpoint).collect()
}

/// Waits until exactly `expected` is stored: page views and the marked links' clicks.
async fn wait_for_stored(server: &Server, expected: &[&str]) {
    until(&format!("{expected:?} to be stored"), PATIENCE, || {
        touchpoints(server) == expected
    })
    .await;
}

async fn click_and_wait_for_page(browser: &Browser, selector: &str, page: &str) {
    browser
        .client
        .find(Locator::Css(selector))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let url = browser.client.current_url().await.unwrap();
        if url.path().ends_with(page) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "clicking {selector} did not open {page} (at {url})"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journey_through_the_demo_shop_is_reported_exactly_once() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    let landing = server.url("/demo/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn");
    browser.client.goto(&landing).await.unwrap();
    // The landing page view is flushed by the batch timer while the visitor reads.
    wait_for_stored(&server, &["landing"]).await;

    // A click on a link named `product` is sent as the page unloads (beacon); the
    // product page's view follows with the batch timer.
    click_and_wait_for_page(&browser, "#go-product", "/demo/product.html").await;
    wait_for_stored(&server, &["landing", "product", "product"]).await;
    click_and_wait_for_page(&browser, "#add-to-cart", "/demo/cart.html").await;
    wait_for_stored(&server, &["landing", "product", "product", "cart", "cart"]).await;
    click_and_wait_for_page(&browser, "#go-checkout", "/demo/checkout.html").await;
    wait_for_stored(
        &server,
        &[
            "landing", "product", "product", "cart", "cart", "checkout", "checkout",
        ],
    )
    .await;

    // Each click on a link, and the page view's engagement, are beaconed as its page
    // goes away and, since a beacon's outcome is unknown, sent again by the next page:
    // at most two duplicates per page left, which the collector drops (and counts).
    let duplicates = server
        .metric("spur_ingest_events_total{outcome=\"duplicate\"}")
        .await;
    assert!(
        duplicates <= 6.0,
        "{duplicates} duplicates for 3 pages left"
    );
    // Every page left reported its engagement once.
    let engaged: Vec<String> = {
        let mut touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
        touches.sort_by_key(|t| t.ts);
        touches
            .into_iter()
            .filter(|t| t.kind == spur::event::EventKind::Engagement)
            .map(|t| t.touchpoint)
            .collect()
    };
    assert_eq!(engaged, ["landing", "product", "cart"]);

    let day = today();
    let reply = server
        .get(&format!(
            "/api/v1/reports/paths?site=demo&from={day}&to={day}"
        ))
        .await;
    assert_eq!(reply.status, 200);
    let report = reply.json();
    assert_eq!(report["total"], 1, "{report}");
    assert_eq!(
        report["paths"],
        serde_json::json!([{"steps": ["landing", "product", "cart", "checkout", "(exit)"], "count": 1, "share": 1.0}]),
        "{report}"
    );
    assert_eq!(report["other"], serde_json::json!({"paths": 0, "count": 0}));

    browser.close().await;
}
