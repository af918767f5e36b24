//! Delivery, in a real headless Chromium: nothing lost, nothing counted twice, nobody
//! tracked without need.
//!
//! The test pages come from their own static server ([`Pages`]), with `data-api`
//! pointing at the collector, so they load while the collector is down. Each page
//! records what reaches it from the tracker: errors (`window.errors`: `error` and
//! `unhandledrejection` events) and every batch it sends (`window.sent`: event ids,
//! `uid`, how it went out and the HTTP status, 0 for a network error). Duplicates are
//! read on both sides: the collector's `spur_ingest_events_total{outcome="duplicate"}`
//! and the ids the pages saw acknowledged (2xx) more than once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value, json};
use spur_tests::Server;
use spur_tests::browser::{Browser, eval, eventually};
use spur_tests::pages::{Page, Pages};

/// Long enough for a few backoff rounds (1 s, 2 s, 4 s, 8 s ceilings with full jitter).
const PATIENCE: Duration = Duration::from_secs(60);
const DUPLICATES: &str = "spur_ingest_events_total{outcome=\"duplicate\"}";

/// A test page named `name` (also its page-view touchpoint) whose tracker sends to
/// `api`. `attrs` go on the script tag, `script` runs before the tracker loads. These
/// pages count exactly what they track, so automatic engagement and friction events are
/// off (they are tested in `capture.rs`).
fn page(name: &str, api: &str, attrs: &str, script: &str) -> Page {
    let html = format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>{name}</title>
<script>
window.errors = [];
addEventListener("error", function (e) {{ errors.push("error: " + e.message); }});
addEventListener("unhandledrejection", function (e) {{ errors.push("rejection: " + e.reason); }});
window.violations = [];
document.addEventListener("securitypolicyviolation", function (e) {{
  violations.push(e.violatedDirective + " " + e.blockedURI);
}});
window.sent = [];
(function () {{
  var read = function (body, via) {{
    var r = {{ via: via, status: -1, ids: [], uid: null }};
    try {{
      var b = JSON.parse(body);
      r.ids = b.events.map(function (e) {{ return e.id; }});
      r.uid = b.uid || null;
    }} catch (e) {{}}
    sent.push(r);
    return r;
  }};
  var fetch0 = window.fetch;
  window.fetch = function (url, init) {{
    var p = fetch0.apply(this, arguments);
    if (String(url).indexOf("/api/v1/events") >= 0) {{
      var r = read(init && init.body, "fetch");
      p.then(function (res) {{ r.status = res.status; }}, function () {{ r.status = 0; }});
    }}
    return p;
  }};
  var beacon0 = navigator.sendBeacon;
  navigator.sendBeacon = function (url, body) {{
    read(body, "beacon");
    return beacon0.apply(navigator, arguments);
  }};
}})();
window.spur = window.spur || {{ q: [] }};
["track", "flush", "consent"].forEach(function (m) {{
  spur[m] = spur[m] || function () {{ spur.q.push([m, [].slice.call(arguments)]); }};
}});
{script}
</script>
<script async src="/spur.js" data-site="demo" data-api="{api}" data-exclude="engagement friction" {attrs}></script>
</head>
<body data-touchpoint="{name}">
<p id="status">loaded</p>
<button id="go" onclick="document.getElementById('status').textContent = 'clicked'; spur.track('clicked'); spur.consent(true); spur.flush();">Go</button>
</body></html>"#
    );
    Page::new(&format!("/{name}.html"), html)
}

/// The collector's origin, as `data-api` wants it.
fn api(server: &Server) -> String {
    server.url("")
}

/// The stored touchpoints of site `demo`, sorted (the store keeps one row per event id).
fn stored(server: &Server) -> Vec<String> {
    let mut names: Vec<String> = server
        .store
        .touches("demo", i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .map(|t| t.touchpoint)
        .collect();
    names.sort();
    names
}

async fn wait_for_stored(server: &Server, expected: &[String]) {
    let mut expected = expected.to_vec();
    expected.sort();
    let start = Instant::now();
    loop {
        let now = stored(server);
        if now == expected {
            return;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {expected:?} to be stored; stored: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Waits until the tracker on the current page has loaded (the loader replays and
/// empties the stub's queue once the module runs).
async fn wait_until_ready(browser: &Browser) {
    eventually("the tracker to load", PATIENCE, || async {
        eval(
            browser,
            "return !!(window.spur && spur._spur && spur.q.length === 0)",
        )
        .await
            == json!(true)
    })
    .await;
}

/// Events in this origin's queue keys (`spur:q:demo:*`), per key.
async fn queued(browser: &Browser) -> BTreeMap<String, usize> {
    let value = eval(
        browser,
        r#"var out = {};
        for (var i = 0; i < localStorage.length; i++) {
          var k = localStorage.key(i);
          if (k.indexOf("spur:q:demo:") === 0) out[k] = localStorage.getItem(k).split("\n").length - 1;
        }
        return out;"#,
    )
    .await;
    serde_json::from_value(value).unwrap()
}

/// Every queued event's fields are in the wire order (`tracker-wasm/src/wire.rs`,
/// `Event::fields`, then `props`), which the loader's `host.event` writes, and none is
/// `null` (absent fields are left out).
async fn assert_in_wire_order(browser: &Browser) {
    const ORDER: [&str; 8] = ["id", "ts", "type", "url", "ref", "name", "stage", "props"];
    let lines = eval(
        browser,
        r#"var out = [];
        for (var i = 0; i < localStorage.length; i++) {
          var k = localStorage.key(i);
          if (k.indexOf("spur:q:demo:") === 0) out = out.concat(localStorage.getItem(k).split("\n").slice(1));
        }
        return out;"#,
    )
    .await;
    let lines: Vec<String> = serde_json::from_value(lines).unwrap();
    assert!(!lines.is_empty());
    for line in &lines {
        // `serde_json` keeps the text's key order only with `preserve_order`, so the
        // order is read from the text: where each key first occurs (the events here
        // have one prop, `n`, which is none of these names).
        let value: Value = serde_json::from_str(line).unwrap();
        let object = value.as_object().unwrap();
        assert!(object.values().all(|v| !v.is_null()), "{line}");
        let at = |key: &str| line.find(&format!("\"{key}\":"));
        let positions: Vec<usize> = ORDER.iter().filter_map(|k| at(k)).collect();
        assert_eq!(positions.len(), object.len(), "{line}");
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "not in wire order: {line}"
        );
    }
}

/// Every key the tracker may have left in this origin's storage, and the cookies.
async fn traces(browser: &Browser) -> Value {
    eval(
        browser,
        r#"var keys = function (s) {
          var out = [];
          for (var i = 0; i < s.length; i++) if (s.key(i).indexOf("spur") === 0) out.push(s.key(i));
          return out.sort();
        };
        return { local: keys(localStorage), session: keys(sessionStorage), cookie: document.cookie };"#,
    )
    .await
}

/// The batches the current page recorded.
async fn sent(browser: &Browser) -> Vec<Value> {
    serde_json::from_value(eval(browser, "return window.sent").await).unwrap()
}

/// Event ids the pages saw acknowledged (2xx), with how often.
fn acknowledged(batches: &[Value]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for batch in batches {
        let status = batch["status"].as_i64().unwrap();
        if (200..300).contains(&status) {
            for id in batch["ids"].as_array().unwrap() {
                *ids.entry(id.as_str().unwrap().to_owned()).or_insert(0) += 1;
            }
        }
    }
    ids
}

/// Event ids the current page tried to send and saw fail (network error).
async fn failed(browser: &Browser) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for batch in sent(browser).await {
        if batch["status"] == 0 {
            for id in batch["ids"].as_array().unwrap() {
                ids.insert(id.as_str().unwrap().to_owned());
            }
        }
    }
    ids
}

/// Waits until `n` distinct events have failed to go out from the current page, then
/// checks that all `n` are still queued: a failed send keeps its events.
async fn wait_for_failures_then_check_queued(browser: &Browser, n: usize) {
    eventually(
        &format!("{n} events to fail to go out"),
        PATIENCE,
        || async { failed(browser).await.len() >= n },
    )
    .await;
    let queued = queued(browser).await;
    assert_eq!(
        queued.values().sum::<usize>(),
        n,
        "the unacknowledged events are kept in localStorage: {queued:?}"
    );
}

fn assert_no_id_acknowledged_twice(batches: &[Value]) {
    let twice: Vec<_> = acknowledged(batches)
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .collect();
    assert!(twice.is_empty(), "acknowledged more than once: {twice:?}");
}

async fn track(browser: &Browser, prefix: &str, n: usize) {
    eval(
        browser,
        &format!(
            r#"for (var i = 0; i < {n}; i++) spur.track("{prefix}-" + i, {{ n: i }}); return null;"#
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_captured_while_the_collector_is_down_arrive_exactly_once_when_it_is_back() {
    let mut server = Server::start().await;
    let pages = Pages::start(vec![page("outage", &api(&server), "", "")]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/outage.html"))
        .await
        .unwrap();
    wait_for_stored(&server, &["outage".to_owned()]).await;
    let duplicates_before = server.metric(DUPLICATES).await;

    server.stop().await;
    // 25 events: two batches are due at once (10 each), the rest by the timer.
    track(&browser, "down", 25).await;
    wait_for_failures_then_check_queued(&browser, 25).await;

    server.restart().await;
    let mut expected = names("down", 25);
    expected.push("outage".to_owned());
    wait_for_stored(&server, &expected).await;

    let batches = sent(&browser).await;
    assert_no_id_acknowledged_twice(&batches);
    assert_eq!(duplicates_before, 0.0);
    assert_eq!(server.metric(DUPLICATES).await, 0.0);
    let failed = batches.iter().filter(|b| b["status"] == 0).count();
    assert!(failed >= 1, "{batches:?}");
    eventually("the queue to be emptied", PATIENCE, || async {
        queued(&browser).await.is_empty()
    })
    .await;
    assert_eq!(
        eval(&browser, "return window.errors").await,
        json!([]),
        "nothing reached the page"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reloaded_while_the_collector_is_unreachable_replays_its_queue() {
    let mut server = Server::start().await;
    // The port and the data directory are kept for the restart; nothing listens now.
    server.stop().await;
    let pages = Pages::start(vec![page("reload", &api(&server), "", "")]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/reload.html"))
        .await
        .unwrap();
    wait_until_ready(&browser).await;
    track(&browser, "before", 3).await;
    wait_for_failures_then_check_queued(&browser, 4).await;

    browser.client.refresh().await.unwrap();
    wait_until_ready(&browser).await;
    track(&browser, "after", 2).await;
    // Both page views and all 5 events, sent (and failed) by the reloaded page, and
    // still queued: this tab's queue, or the old one adopted by it.
    wait_for_failures_then_check_queued(&browser, 7).await;
    assert_eq!(stored(&server), Vec::<String>::new());
    assert_in_wire_order(&browser).await;

    server.restart().await;
    let mut expected = names("before", 3);
    expected.extend(names("after", 2));
    expected.extend(["reload".to_owned(), "reload".to_owned()]);
    wait_for_stored(&server, &expected).await;
    assert_no_id_acknowledged_twice(&sent(&browser).await);
    assert_eq!(server.metric(DUPLICATES).await, 0.0);
    eventually("the queue to be emptied", PATIENCE, || async {
        queued(&browser).await.is_empty()
    })
    .await;
    assert_eq!(eval(&browser, "return window.errors").await, json!([]));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_capturing_at_once_deliver_every_event_once() {
    let mut server = Server::start().await;
    let pages = Pages::start(vec![page("tabs", &api(&server), "", "")]).await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&pages.url("/tabs.html")).await.unwrap();
    wait_until_ready(&browser).await;
    let first = client.window().await.unwrap();
    // Opened by the page, the second tab starts with a copy of the first one's
    // sessionStorage, tab id included: the Web Lock must make them tell apart.
    eval(&browser, "window.open(location.href); return null;").await;
    let second = loop {
        let windows = client.windows().await.unwrap();
        if let Some(w) = windows.into_iter().find(|w| *w != first) {
            break w;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    client.switch_to_window(second.clone()).await.unwrap();
    wait_until_ready(&browser).await;

    let tabs = [first, second];
    let mut expected = vec!["tabs".to_owned(), "tabs".to_owned()];
    let mut batches = Vec::new();
    // Round 1 with the collector up, round 2 while it is down (both tabs queue in
    // localStorage), then it comes back.
    for round in ["up", "down"] {
        if round == "down" {
            server.stop().await;
        }
        for half in 0..2 {
            for (t, tab) in tabs.iter().enumerate() {
                client.switch_to_window(tab.clone()).await.unwrap();
                let prefix = format!("{round}-{t}-{half}");
                track(&browser, &prefix, 15).await;
                expected.extend(names(&prefix, 15));
            }
        }
        if round == "down" {
            let mut keys = BTreeMap::new();
            for tab in &tabs {
                client.switch_to_window(tab.clone()).await.unwrap();
                eventually("a failed send", PATIENCE, || async {
                    sent(&browser).await.iter().any(|b| b["status"] == 0)
                })
                .await;
                keys = queued(&browser).await;
            }
            assert_eq!(keys.len(), 2, "one queue per tab: {keys:?}");
            assert_eq!(keys.values().sum::<usize>(), 60, "{keys:?}");
            let duplicates = server.metric(DUPLICATES).await;
            assert_eq!(duplicates, 0.0, "before the outage");
            server.restart().await;
        }
        wait_for_stored(&server, &expected).await;
    }
    let mut tab_ids = Vec::new();
    for tab in &tabs {
        client.switch_to_window(tab.clone()).await.unwrap();
        batches.extend(sent(&browser).await);
        tab_ids.push(eval(&browser, "return sessionStorage.getItem('spur:tab')").await);
        assert_eq!(eval(&browser, "return window.errors").await, json!([]));
    }
    assert_ne!(tab_ids[0], tab_ids[1], "each tab has its own id");
    assert_no_id_acknowledged_twice(&batches);
    assert_eq!(server.metric(DUPLICATES).await, 0.0, "after the outage");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_of_a_tab_closed_while_offline_is_adopted_and_delivered_by_another() {
    let mut server = Server::start().await;
    server.stop().await;
    let pages = Pages::start(vec![page("orphan", &api(&server), "", "")]).await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&pages.url("/orphan.html")).await.unwrap();
    wait_until_ready(&browser).await;
    track(&browser, "closed", 5).await;
    wait_for_failures_then_check_queued(&browser, 6).await;
    let closing = client.window().await.unwrap();

    // A tab of its own (not opened by the page: nothing shared but localStorage).
    let other = client.new_window(true).await.unwrap().handle;
    client.switch_to_window(other.clone()).await.unwrap();
    client.goto(&pages.url("/orphan.html")).await.unwrap();
    wait_until_ready(&browser).await;
    assert_eq!(queued(&browser).await.len(), 2, "one queue per tab");

    client.switch_to_window(closing).await.unwrap();
    client.close_window().await.unwrap();
    client.switch_to_window(other).await.unwrap();
    eventually("the closed tab's queue to be adopted", PATIENCE, || async {
        queued(&browser).await.into_values().collect::<Vec<_>>() == [7]
    })
    .await;

    server.restart().await;
    let mut expected = names("closed", 5);
    expected.extend(["orphan".to_owned(), "orphan".to_owned()]);
    wait_for_stored(&server, &expected).await;
    assert_no_id_acknowledged_twice(&sent(&browser).await);
    assert_eq!(server.metric(DUPLICATES).await, 0.0);
    assert_eq!(eval(&browser, "return window.errors").await, json!([]));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_keeps_working_when_webassembly_is_blocked_or_missing() {
    let server = Server::start().await;
    let api = api(&server);
    let csp = page("csp", &api, "", "").header(
        "content-security-policy",
        "script-src 'self' 'unsafe-inline'",
    );
    // A browser without WebAssembly.
    let missing = page("missing", &api, "", "window.WebAssembly = undefined;");
    let pages = Pages::start(vec![csp, missing]).await;
    let browser = Browser::start().await;

    for (name, failed) in [
        (
            "csp",
            "return violations.some(function (v) { return v.indexOf('wasm') >= 0; })",
        ),
        (
            "missing",
            "return performance.getEntriesByType('resource').some(function (e) { \
             return e.name.indexOf('/spur.js') >= 0; })",
        ),
    ] {
        browser
            .client
            .goto(&pages.url(&format!("/{name}.html")))
            .await
            .unwrap();
        eventually(&format!("{name}: the module to fail"), PATIENCE, || async {
            eval(&browser, failed).await == json!(true)
        })
        .await;
        // A rejection would be reported after the current task: give it a few.
        browser
            .client
            .execute_async(
                "var done = arguments[0]; setTimeout(function () { setTimeout(done, 50); }, 50);",
                vec![],
            )
            .await
            .unwrap();
        browser
            .client
            .find(Locator::Css("#go"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(
            eval(
                &browser,
                "return document.getElementById('status').textContent"
            )
            .await,
            json!("clicked"),
            "{name}: the page's own script runs"
        );
        assert_eq!(
            eval(
                &browser,
                "return [typeof spur.track, typeof spur.consent, spur.q.length]"
            )
            .await,
            json!(["function", "function", 3]),
            "{name}: spur's calls are queued, harmlessly"
        );
        assert_eq!(
            eval(&browser, "return window.errors").await,
            json!([]),
            "{name}: no error reached the page"
        );
        assert!(sent(&browser).await.is_empty(), "{name}");
    }
    assert!(stored(&server).is_empty());
    browser.close().await;
}

/// The module's bytes are characters of spur.js: they must reach the page as they were
/// written, on a page in another encoding (windows-1252, where UTF-8's two bytes for
/// é read as "Ã©") from a server that names no charset for the script, as the test
/// pages' server does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracker_starts_on_a_page_in_another_encoding() {
    let server = Server::start().await;
    let mut latin = page("latin", &api(&server), "", "")
        .header("content-type", "text/html; charset=windows-1252");
    latin.html = latin.html.replace(
        r#"<meta charset="utf-8">"#,
        r#"<meta charset="windows-1252">"#,
    );
    let pages = Pages::start(vec![latin]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/latin.html"))
        .await
        .unwrap();
    assert_eq!(
        eval(&browser, "return document.characterSet").await,
        json!("windows-1252")
    );
    wait_until_ready(&browser).await;
    track(&browser, "latin-track", 2).await;
    let mut expected = names("latin-track", 2);
    expected.push("latin".to_owned());
    wait_for_stored(&server, &expected).await;
    assert_eq!(eval(&browser, "return window.errors").await, json!([]));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_consent_nothing_is_sent_or_stored_until_the_visitor_says_yes() {
    let server = Server::start().await;
    let api = api(&server);
    let pages = Pages::start(vec![
        page(
            "required",
            &api,
            r#"data-consent="required""#,
            "spur.track('required-early');",
        ),
        page(
            "gpc",
            &api,
            "",
            "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', \
             { get: function () { return true; } }); spur.track('gpc-early');",
        ),
        page(
            "dnt",
            &api,
            "",
            "Object.defineProperty(Navigator.prototype, 'doNotTrack', \
             { get: function () { return '1'; } }); spur.track('dnt-early');",
        ),
    ])
    .await;
    let browser = Browser::start().await;
    let nothing = json!({ "local": [], "session": [], "cookie": "" });
    let mut expected = Vec::new();

    for name in ["required", "gpc", "dnt"] {
        browser
            .client
            .goto(&pages.url(&format!("/{name}.html")))
            .await
            .unwrap();
        wait_until_ready(&browser).await;
        eval(
            &browser,
            &format!("spur.track('{name}-quiet'); spur.flush(); return null;"),
        )
        .await;
        // A variant, and a rating widget closed: kept in memory for this page only.
        eval(
            &browser,
            &format!(
                "spur.variant('{name}-xp', 'b'); spur.feedback({{kind: 'thumbs', touchpoint: '{name}-fb'}}); return null;"
            ),
        )
        .await;
        let popover = "var h = document.querySelector('[data-spur-widget]');
            var x = h && h.shadowRoot && h.shadowRoot.querySelector('.x');
            if (x) x.click();
            return !!x;";
        eventually("the popover, closed", PATIENCE, || async {
            eval(&browser, popover).await == json!(true)
        })
        .await;
        // Nothing may happen here, so there is no event to wait for: give the batch
        // timer (1 s) time to fire.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(sent(&browser).await.is_empty(), "{name}: nothing sent");
        assert_eq!(traces(&browser).await, nothing, "{name}: nothing stored");
        assert_eq!(stored(&server), expected, "{name}");
        // The widget is not asked again on this page.
        eval(
            &browser,
            &format!("spur.feedback({{kind: 'thumbs', touchpoint: '{name}-fb'}}); return null;"),
        )
        .await;

        // Yes: what waited in memory goes out, with the new first-party id.
        eval(&browser, "spur.consent(true); return null;").await;
        // (The widget's `shown` and `dismissed` waited too.)
        for event in [
            name.to_owned(),
            format!("{name}-early"),
            format!("{name}-quiet"),
            format!("{name}-fb"),
            format!("{name}-fb"),
        ] {
            expected.push(event);
        }
        expected.sort();
        wait_for_stored(&server, &expected).await;
        let uid = eval(&browser, "return localStorage.getItem('spur:uid')").await;
        let uid = uid.as_str().expect("a stored uid").to_owned();
        // The variant and the widget's answer are kept for later pages now.
        let kept = eval(
            &browser,
            &format!(
                "return [JSON.parse(localStorage.getItem('spur:xp')), !!localStorage.getItem('spur:fb:{name}-fb'),
                         document.querySelectorAll('[data-spur-widget]').length];"
            ),
        )
        .await;
        assert_eq!(
            kept,
            json!([{ format!("{name}-xp"): "b" }, true, 0]),
            "{name}"
        );
        assert!(
            uid.len() == 32 && uid.bytes().all(|b| b.is_ascii_hexdigit()),
            "{uid}"
        );
        let batches = sent(&browser).await;
        assert!(!batches.is_empty());
        assert!(
            batches.iter().all(|b| b["uid"] == json!(uid)),
            "{name}: every batch carries the uid: {batches:?}"
        );

        // No: the id goes, nothing more is sent or kept.
        eval(
            &browser,
            "spur.consent(false); spur.track('no'); spur.flush(); return null;",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            traces(&browser).await,
            nothing,
            "{name}: nothing stored after no"
        );
        assert_eq!(sent(&browser).await.len(), batches.len(), "{name}");
        assert_eq!(stored(&server), expected, "{name}");
        assert_eq!(eval(&browser, "return window.errors").await, json!([]));
    }
    browser.close().await;
}
