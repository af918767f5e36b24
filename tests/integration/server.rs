//! The collector over a real socket: static assets as browsers fetch them, and a
//! graceful shutdown in the middle of a load that loses nothing it acknowledged.

use axum::body::{Body, Bytes};
use axum::http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use spur_tests::Server;

#[tokio::test]
async fn tracker_is_served_cross_origin_compressed_and_cacheable() {
    let server = Server::start().await;
    let js = server
        .call(
            Request::get("/spur.js")
                .header("accept-encoding", "br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        js.status, 200,
        "build the tracker first: tracker-wasm/build.sh"
    );
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("access-control-allow-origin"), Some("*"));
    assert_eq!(js.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(js.header("content-encoding"), Some("br"));
    assert_eq!(js.header("vary"), Some("accept-encoding"));

    // The tracker's wasm module travels inside it, as a string literal of its bytes
    // (one character each) in a file marked UTF-8 by its byte order mark.
    let plain = server.get("/spur.js").await;
    assert_eq!(plain.header("content-encoding"), None);

    // What a page downloads is what the build measured against the byte budget: brotli
    // at its best quality, compressed once by the build, not per request.
    let sizes: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tracker-wasm/pkg/sizes.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        Some(js.body.len() as u64),
        sizes["files"]["spur.js"]["brotli"].as_u64()
    );
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut brotli::Decompressor::new(js.body.as_slice(), 4096),
        &mut inflated,
    )
    .unwrap();
    assert!(inflated == plain.body, "the brotli copy is the bundle");
    let gzip = server
        .call(
            Request::get("/spur.js")
                .header("accept-encoding", "br;q=0, gzip;q=0.5")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(
        Some(gzip.body.len() as u64),
        sizes["files"]["spur.js"]["gzip"].as_u64()
    );
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gzip.body.as_slice()),
        &mut inflated,
    )
    .unwrap();
    assert!(inflated == plain.body, "the gzip copy is the bundle");
    assert!(
        plain.body.starts_with("\u{feff}".as_bytes()),
        "a byte order mark"
    );
    assert!(
        plain.body.windows(9).any(|w| w == b"\"\0asm\x01\0\0\0"),
        "the module's bytes in a string literal"
    );

    // The loader names the widget bundle by content hash, which makes it immutable.
    let source = String::from_utf8(plain.body.clone()).unwrap();
    let start = source
        .find("spur-widgets.js?v=")
        .expect("the loader names a versioned widget bundle");
    let versioned = &source[start..start + "spur-widgets.js?v=".len() + 12];
    let widgets = server.get(&format!("/{versioned}")).await;
    assert_eq!(widgets.status, 200);
    assert_eq!(
        widgets.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        widgets.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(widgets.header("access-control-allow-origin"), Some("*"));
    assert!(
        widgets.body.windows(9).any(|w| w == b"\"\0asm\x01\0\0\0"),
        "the widget module's bytes in a string literal"
    );
    assert_eq!(server.get("/spur.wasm").await.status, 404);

    let etag = plain.headers.get("etag").unwrap().clone();
    let again = server
        .call(
            Request::get("/spur.js")
                .header("if-none-match", etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, 304);
}

/// A tracker's request carries the browser's `Accept-Encoding`; its answer is a few
/// dozen bytes and goes out as it is (compressing it cost a third of the collector's
/// single-event request rate), while what is worth compressing still is.
/// A method a route does not take is a JSON error with `Allow`, and the ingest routes
/// still answer CORS preflight requests; the auth scheme's name is read in any case.
#[tokio::test]
async fn wrong_methods_get_a_json_error_and_preflights_an_answer() {
    let server = Server::start().await;
    for (method, path, allow) in [
        ("PUT", "/api/v1/events", "POST"),
        ("GET", "/api/v1/events", "POST"),
        ("DELETE", "/api/v1/sites/demo", "PUT"),
        ("POST", "/healthz", "GET,HEAD"),
    ] {
        let reply = server
            .call(
                Request::builder()
                    .method(method)
                    .uri(path)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            (reply.status.as_u16(), reply.error_code().as_str()),
            (405, "method_not_allowed"),
            "{method} {path}"
        );
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
    let preflight = server
        .call(
            Request::options("/api/v1/events")
                .header("origin", "https://shop.example")
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("POST")
    );
    let lower = server
        .call(
            Request::get("/api/v1/sites")
                .header("authorization", format!("bearer {}", server.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(lower.status, 200);
}

#[tokio::test]
async fn ingest_answers_are_not_compressed() {
    let server = Server::start().await;
    let now = jiff::Timestamp::now().as_millisecond();
    let body = serde_json::json!({"v": 1, "site": "demo", "sent_at": now, "events": [
        {"id": format!("{now:012x}00000000000000000000"), "ts": now, "type": "pageview",
         "url": "https://shop.example/"}]});
    for (path, body) in [
        ("/api/v1/events", body.to_string()),
        ("/api/v1/events", "{not json".to_owned()),
        ("/api/event", "{}".to_owned()),
    ] {
        let reply = server
            .call(
                Request::post(path)
                    .header("content-type", "text/plain")
                    .header("user-agent", spur_tests::process::BROWSER_UA)
                    .header("accept-encoding", "gzip, deflate, br, zstd")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert!(reply.status.as_u16() < 500, "{path}: {}", reply.status);
        assert_eq!(reply.header("content-encoding"), None, "{path}");
        assert!(reply.json().is_object(), "{path}: a JSON answer");
    }
    let document = server
        .call(
            Request::get("/api/v1/openapi.json")
                .header("accept-encoding", "gzip, deflate, br, zstd")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(document.status, 200);
    assert!(document.header("content-encoding").is_some());
}

#[tokio::test]
async fn pages_are_served_with_a_strict_policy() {
    let server = Server::start().await;
    for path in [
        "/",
        "/demo/",
        "/demo/product.html",
        "/demo/checkout.html",
        "/demo/de/",
        "/demo/de/checkout.html",
    ] {
        let page = server.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
    assert_eq!(server.get("/demo/missing.html").await.status, 404);
    assert_eq!(server.get("/demo").await.status, 308);
    let german = server.get("/demo/de").await;
    assert_eq!(german.status, 308);
    assert_eq!(german.header("location"), Some("/demo/de/"));
    assert_eq!(server.get("/demo/img/").await.status, 404);
    assert_eq!(
        server.get("/healthz").await.json(),
        serde_json::json!({"status": "ok"})
    );
}

/// A batch of `n` page views with ids unique to `batch`.
fn batch(batch: usize, n: usize) -> String {
    let now = jiff::Timestamp::now().as_millisecond();
    let events: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({"id": format!("load{batch:08}x{i:08}"), "ts": now, "type": "pageview",
                "url": "https://shop.example/load"})
        })
        .collect();
    serde_json::json!({"v": 1, "site": "demo", "sent_at": now, "events": events}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_under_load_keeps_every_acknowledged_event() {
    // One client address sends it all: no per-address limit here.
    let mut server = Server::start_with(|s| s.rate_limit_ip = None).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let url = server.url("/api/v1/events");
    let senders: Vec<_> = (0..400)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let request = Request::post(url)
                    .header("content-type", "text/plain")
                    .header("user-agent", spur_tests::process::BROWSER_UA)
                    .body(Full::new(Bytes::from(batch(i, 20))))
                    .unwrap();
                match client.request(request).await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.into_body().collect().await.map(|b| b.to_bytes());
                        match (status, body) {
                            (202, Ok(body)) => {
                                let json: serde_json::Value =
                                    serde_json::from_slice(&body).unwrap();
                                json["accepted"].as_u64().unwrap()
                            }
                            (503, _) => 0,
                            (status, body) => panic!("unexpected {status}: {body:?}"),
                        }
                    }
                    // Refused or cut off by the shutdown: not acknowledged, may be lost.
                    Err(_) => 0,
                }
            })
        })
        .collect();
    // Stop once some batches are in, while others are still being sent.
    let store = server.store.clone();
    spur_tests::browser::until(
        "the first commits",
        std::time::Duration::from_secs(20),
        || {
            store
                .touches("demo", i64::MIN, i64::MAX)
                .map(|t| !t.is_empty())
                .unwrap_or(false)
        },
    )
    .await;
    server.stop().await;
    let mut acknowledged = 0;
    for sender in senders {
        acknowledged += sender.await.unwrap();
    }
    assert!(acknowledged > 0);
    assert_eq!(
        server.stored("demo") as u64,
        acknowledged,
        "acknowledged events were lost or extra"
    );
}

/// `/readyz` says whether the store commits: not while another process holds the
/// database's write lock, and again as soon as it lets go, without waiting for a batch.
/// Ingest waits for such a lock (SQLite's busy timeout, 5 s), then fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_whether_the_store_commits() {
    let server = Server::start().await;
    let ready = server.get_anonymous("/readyz").await;
    assert_eq!(ready.status, 200, "{:?}", ready.json());
    assert_eq!(ready.json()["status"], "ready");
    let taken = server.post_events("text/plain", batch(0, 1)).await;
    assert_eq!(taken.status, 202, "{:?}", taken.json());

    // Another process (a backup tool, say) holds the write lock: commits fail.
    let other = rusqlite::Connection::open(server.data.path().join("spur.sqlite3")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let refused = server.post_events("text/plain", batch(1, 1)).await;
    assert_eq!(refused.status, 500, "{:?}", refused.json());
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "failed after {:?}, without waiting for the lock",
        started.elapsed()
    );
    let not_ready = server.get_anonymous("/readyz").await;
    assert_eq!(not_ready.status, 503, "{:?}", not_ready.json());
    assert_eq!(not_ready.error_code(), "not_ready");
    // The empty commit that asked is still waiting for the lock; a batch queued behind it
    // fails after it, so once the batch's answer is in, so is the empty commit's.
    let refused = server.post_events("text/plain", batch(3, 1)).await;
    assert_eq!(refused.status, 500, "{:?}", refused.json());

    // Let go: ready at once, with no batch committed since the failed one.
    other.execute_batch("ROLLBACK").unwrap();
    let ready = server.get_anonymous("/readyz").await;
    assert_eq!(ready.status, 200, "{:?}", ready.json());
    let taken = server.post_events("text/plain", batch(2, 1)).await;
    assert_eq!(taken.status, 202, "{:?}", taken.json());
    assert_eq!(server.stored("demo"), 2);
}

/// The German demo shop (`www/demo/de/`) is the English one translated: the same pages,
/// and in each the same touchpoints, stages, widgets, ids and form fields' names in the
/// same order, so that a journey reads the same in both languages.
#[test]
fn the_german_demo_shop_mirrors_the_english_one() {
    /// The values of the attributes the journey and the page's script depend on.
    fn skeleton(html: &str) -> Vec<String> {
        const NAMES: [&str; 5] = [
            " data-touchpoint=\"",
            " data-stage=\"",
            " data-spur-feedback=\"",
            " id=\"",
            " name=\"",
        ];
        let mut found = Vec::new();
        for (at, _) in html.match_indices(" ") {
            for name in NAMES {
                if let Some(rest) = html[at..].strip_prefix(name) {
                    let value = &rest[..rest.find('"').unwrap()];
                    found.push(format!("{}={value}", name.trim()));
                }
            }
        }
        found
    }
    let demo = spur_tests::repo_root().join("www/demo");
    let mut pages = 0;
    for entry in std::fs::read_dir(&demo).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let name = path.file_name().unwrap();
        let english = std::fs::read_to_string(&path).unwrap();
        let german = std::fs::read_to_string(demo.join("de").join(name))
            .unwrap_or_else(|e| panic!("de/{}: {e}", name.display()));
        assert!(german.contains("<html lang=\"de\">"), "{}", name.display());
        let skeleton_en = skeleton(&english);
        assert!(!skeleton_en.is_empty(), "{}", name.display());
        assert_eq!(skeleton_en, skeleton(&german), "{}", name.display());
        pages += 1;
    }
    assert_eq!(pages, 9);
}
