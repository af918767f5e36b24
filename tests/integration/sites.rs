//! Sites through the API: a signed-in marketer creates a site and sets the origins that
//! may send its events; the collector enforces them at once and after a restart.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use spur_tests::{Reply, Server};

async fn put_site(server: &Server, id: &str, body: serde_json::Value) -> Reply {
    let request = Request::put(format!("/api/v1/sites/{id}"))
        .header("authorization", format!("Bearer {}", server.token))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    server.call(request).await
}

async fn send(server: &Server, site: &str, origin: &str) -> Reply {
    let batch =
        spur_tests::fixture("wire/v1/minimal.json").replace("\"demo\"", &format!("\"{site}\""));
    let request = Request::post("/api/v1/events")
        .header("content-type", "text/plain")
        .header("origin", origin)
        .header("user-agent", spur_tests::process::BROWSER_UA)
        .body(Body::from(batch))
        .unwrap();
    server.call(request).await
}

/// Each site's id, and whether its snippet has sent anything yet.
async fn listed(server: &Server) -> Vec<(String, bool)> {
    server
        .get("/api/v1/sites")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["has_events"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_marketer_adds_a_site_and_its_origins() {
    let mut server = Server::start().await;
    assert_eq!(
        server.get_anonymous("/api/v1/sites").await.error_code(),
        "sign_in_required"
    );
    assert_eq!(
        send(&server, "roastery", "https://roastery.example")
            .await
            .error_code(),
        "unknown_site"
    );

    let reply = put_site(
        &server,
        "roastery",
        serde_json::json!({ "name": "The Roastery", "allowed_origins": ["https://roastery.example"] }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["has_events"], false);
    assert_eq!(
        listed(&server).await,
        [("demo".to_owned(), false), ("roastery".to_owned(), false)]
    );
    assert_eq!(
        send(&server, "roastery", "https://roastery.example")
            .await
            .status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        listed(&server).await,
        [("demo".to_owned(), false), ("roastery".to_owned(), true)]
    );
    assert_eq!(
        send(&server, "roastery", "https://elsewhere.example")
            .await
            .error_code(),
        "origin_not_allowed"
    );

    // Bad input is refused with the reason.
    for (id, body, says) in [
        ("Bad-ID", serde_json::json!({ "name": "x" }), "a site id"),
        ("ok", serde_json::json!({ "name": "" }), "name"),
        (
            "ok",
            serde_json::json!({ "name": "x", "allowed_origins": ["https://shop.example/path"] }),
            "not an origin",
        ),
        (
            "ok",
            serde_json::json!({ "name": "x", "allowed_origins": ["javascript:alert(1)"] }),
            "not an origin",
        ),
    ] {
        let reply = put_site(&server, id, body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.error_code(), "invalid_request");
        assert!(
            reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(says)
        );
    }

    // Changing the origins takes effect at once, and survives a restart.
    put_site(
        &server,
        "roastery",
        serde_json::json!({ "name": "The Roastery", "allowed_origins": ["https://shop.roastery.example"] }),
    )
    .await;
    server.restart().await;
    assert_eq!(
        send(&server, "roastery", "https://roastery.example")
            .await
            .error_code(),
        "origin_not_allowed"
    );
    assert_eq!(
        send(&server, "roastery", "https://shop.roastery.example")
            .await
            .status,
        StatusCode::ACCEPTED
    );
    server.stop().await;
}

#[tokio::test]
async fn sites_cannot_be_changed_from_another_site() {
    let server = Server::start().await;
    let request = Request::put("/api/v1/sites/evil")
        .header("authorization", format!("Bearer {}", server.token))
        .header("content-type", "application/json")
        .header("host", "spur.example")
        .header("origin", "https://evil.example")
        .body(Body::from(r#"{"name": "Evil"}"#))
        .unwrap();
    assert_eq!(
        server.call(request).await.error_code(),
        "cross_site_request"
    );
    assert!(server.store.sites().unwrap().iter().all(|s| s.id != "evil"));
}

/// The Sites page in Chromium: signed in, a marketer adds a site through the form and
/// sees it listed with its snippet; a hostile name is shown as text.
#[tokio::test]
async fn the_sites_page_adds_a_site() {
    use spur_tests::browser::{Browser, eval, eventually};
    use spur_tests::{MARKETER, PASSWORD};
    use std::time::Duration;
    const PATIENCE: Duration = Duration::from_secs(30);

    let server = Server::start().await;
    let browser = Browser::start().await;
    // Signed out, the page says where to sign in.
    browser
        .client
        .goto(&server.url("/dashboard/sites.html"))
        .await
        .unwrap();
    eventually("the sign-in hint", PATIENCE, || async {
        eval(
            &browser,
            "return !document.getElementById('sites-signin').hidden;",
        )
        .await
            == true
    })
    .await;
    browser.sign_in(&server.url(""), MARKETER, PASSWORD).await;

    browser
        .client
        .goto(&server.url("/dashboard/sites.html"))
        .await
        .unwrap();
    eventually("the demo site", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('sites-body').rows.length;",
        )
        .await
            == 1
    })
    .await;
    browser.type_into("site-id", "roastery").await;
    browser
        .type_into(
            "site-name",
            "<img src=x onerror=\"window.pwned=1\">Roastery",
        )
        .await;
    browser
        .type_into("site-origins", "https://roastery.example")
        .await;
    browser.click("#site-form button[type=submit]").await;
    eventually("the new site", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('sites-body').rows.length;",
        )
        .await
            == 2
    })
    .await;
    browser.screenshots("dashboard-sites").await;
    browser.click("#sites-csv").await;
    eventually("the sites CSV", PATIENCE, || async {
        browser.downloads().first().is_some_and(|(name, csv)| {
            name == "spur-sites.csv" && String::from_utf8_lossy(csv).lines().count() == 3
        })
    })
    .await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    let row = eval(
        &browser,
        "var r = document.getElementById('sites-body').rows[1];
         return [r.cells[0].querySelector('[translate=no]').textContent, r.cells[1].textContent,
                 r.querySelector('.snippet').textContent,
                 document.querySelectorAll('#sites-body img').length, !!window.pwned];",
    )
    .await;
    let origin = server.url("");
    assert_eq!(
        row,
        serde_json::json!([
            "<img src=x onerror=\"window.pwned=1\">Roastery roastery",
            "https://roastery.example",
            format!("<script async src=\"{origin}/spur.js\" data-site=\"roastery\"></script>"),
            0,
            false
        ])
    );
    let stored = server.store.sites().unwrap();
    assert!(
        stored
            .iter()
            .any(|s| s.id == "roastery" && s.allowed_origins == ["https://roastery.example"])
    );
    // Whether each site's snippet works: nothing has arrived yet; after an event of the
    // demo site, its row says so.
    let statuses = "return [].map.call(document.querySelectorAll('#sites-body .site-status'),
                      function (s) { return s.textContent; });";
    let none = "No events yet: put the snippet on the site's pages";
    assert_eq!(
        eval(&browser, statuses).await,
        serde_json::json!([none, none])
    );
    let reply = server
        .post_events("text/plain", spur_tests::fixture("wire/v1/minimal.json"))
        .await;
    assert_eq!(reply.status, axum::http::StatusCode::ACCEPTED);
    browser.client.refresh().await.unwrap();
    eventually("the demo site receiving", PATIENCE, || async {
        eval(&browser, statuses).await == serde_json::json!(["Receiving events", none])
    })
    .await;
    browser.close().await;
}
