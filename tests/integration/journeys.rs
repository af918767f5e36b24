//! Several customers take different journeys through the demo shop in real headless
//! Chromium (one browser each, so one visitor each); the funnel and stage reports must
//! tell their stories exactly.

use std::time::Duration;

use fantoccini::Locator;
use spur_tests::browser::Browser;
use spur_tests::{Server, today};

const PATIENCE: Duration = Duration::from_secs(30);

fn user_agent(n: u32) -> String {
    format!(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.{n}.0 Safari/537.36"
    )
}

/// Clicks `selector` and waits until the page at `path` is open.
async fn click_to(browser: &Browser, selector: &str, path: &str) {
    browser
        .client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    while !browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with(path)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{selector} did not open {path}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Clicks a button that stays on the page.
async fn click(browser: &Browser, selector: &str) {
    let element = browser.client.find(Locator::Css(selector)).await.unwrap();
    element.click().await.unwrap();
}

/// Waits until `times` touches named `touchpoint` are stored (page views and clicks: not
/// the engagement each page view reports when it is left, which carries its name too).
async fn wait_for(server: &Server, touchpoint: &str, times: usize) {
    let stored = || {
        let mut touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
        touches.retain(|t| t.kind != spur::event::EventKind::Engagement);
        touches.sort_by_key(|t| t.ts);
        touches
    };
    let deadline = std::time::Instant::now() + PATIENCE;
    while stored()
        .iter()
        .filter(|t| t.touchpoint == touchpoint)
        .count()
        < times
    {
        let so_far: Vec<(u64, String)> = stored()
            .into_iter()
            .map(|t| (t.visitor % 1000, t.touchpoint))
            .collect();
        assert!(
            std::time::Instant::now() < deadline,
            "waited for {touchpoint} ×{times}; stored so far: {so_far:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_customers_three_journeys_in_the_funnel_and_stage_reports() {
    let server = Server::start().await;

    // Ann: from the newsletter through checkout to a purchase, then recommends the shop.
    let ann = Browser::start_as(&user_agent(1)).await;
    ann.client
        .goto(&server.url("/demo/?utm_source=newsletter&utm_medium=email"))
        .await
        .unwrap();
    click_to(&ann, "#go-product", "/demo/product.html").await;
    click_to(&ann, "#add-to-cart", "/demo/cart.html").await;
    click_to(&ann, "#go-checkout", "/demo/checkout.html").await;
    click(&ann, "#place-order").await;
    wait_for(&server, "purchase", 1).await;
    click_to(
        &ann,
        "#order-confirmation a[href='review.html']",
        "/demo/review.html",
    )
    .await;
    click(&ann, "#recommend").await;
    wait_for(&server, "recommend", 2).await;
    ann.close().await;

    // Ben: lands, looks at the product, then goes comparing and leaves.
    let ben = Browser::start_as(&user_agent(2)).await;
    ben.client.goto(&server.url("/demo/")).await.unwrap();
    click_to(&ben, "#go-product", "/demo/product.html").await;
    click_to(
        &ben,
        "a[href='compare.html'][data-touchpoint='compare']",
        "/demo/compare.html",
    )
    .await;
    wait_for(&server, "compare", 2).await;
    ben.close().await;

    // Cy: comes straight to the product page (never sees the landing page), adds to cart.
    let cy = Browser::start_as(&user_agent(3)).await;
    cy.client
        .goto(&server.url("/demo/product.html"))
        .await
        .unwrap();
    click_to(&cy, "#add-to-cart", "/demo/cart.html").await;
    // Ann's cart page and click, Cy's click and page: four `cart` touches.
    wait_for(&server, "cart", 4).await;
    cy.close().await;

    let day = today();
    let funnel = server
        .get(&format!(
            "/api/v1/reports/funnel?site=demo&from={day}&to={day}&steps=landing,product,cart,checkout,purchase&window=3600"
        ))
        .await
        .json();
    let reached: Vec<u64> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["visitors"].as_u64().unwrap())
        .collect();
    // Ann goes all the way, Ben stops after the product page, Cy never started.
    assert_eq!(reached, [2, 2, 1, 1, 1], "{funnel}");
    let product = &funnel["steps"][1];
    assert_eq!(product["dropped"], 1, "{funnel}");
    assert_eq!(
        product["next_after_drop"]["top"],
        serde_json::json!([{"touchpoint": "compare", "count": 1}]),
        "{funnel}"
    );
    assert_eq!(funnel["steps"][4]["conversion"], 0.5);

    let stages = server
        .get(&format!(
            "/api/v1/reports/stages?site=demo&from={day}&to={day}"
        ))
        .await
        .json();
    let column = |key: &str| -> Vec<serde_json::Value> {
        stages["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[key].clone())
            .collect()
    };
    assert_eq!(stages["visitors"], 3, "{stages}");
    // awareness: Ann, Ben; consideration: all three; purchase: Ann (checkout) and Cy
    // (cart); nobody in retention; advocacy: Ann.
    assert_eq!(
        column("visitors"),
        [2, 3, 2, 0, 1].map(serde_json::Value::from),
        "{stages}"
    );
    assert_eq!(
        column("ended_here"),
        [0, 1, 1, 0, 1].map(serde_json::Value::from),
        "Ben ends comparing, Cy at the cart, Ann recommending: {stages}"
    );
    assert_eq!(
        stages["stages"][1]["conversion_from_previous"], 1.0,
        "{stages}"
    );
    assert_eq!(
        stages["stages"][2]["conversion_from_previous"], 0.6667,
        "{stages}"
    );
}
