//! Automatic capture in a real headless Chromium: outbound links, downloads, engagement
//! (scroll depth), friction (rage and dead clicks, errors, failed forms), experiment
//! variants and share links each produce exactly the expected event, and the page keeps
//! working.

use std::time::Duration;

use spur::event::EventKind;
use spur_tests::Server;
use spur_tests::browser::{Browser, eval, eventually, until};
use spur_tests::pages::{Page, Pages};

const PATIENCE: Duration = Duration::from_secs(20);

fn lab(api: &str) -> Page {
    let html = format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>lab</title>
<script>
window.errors = [];
addEventListener("error", function (e) {{ errors.push(e.message); }});
// Links and the download are followed by nobody: the page stays.
document.addEventListener("click", function (e) {{
  if (e.target.closest("a")) e.preventDefault();
}});
addEventListener("scroll", function () {{ window.scrolled = true; }});
// A bug in the page's own code.
window.fail = function () {{ setTimeout(function () {{ null.boom42(); }}); }};
</script>
<script async src="/spur.js" data-site="demo" data-api="{api}"></script>
<style>body {{ margin: 0; }} #tall {{ height: 4000px; }}</style>
</head>
<body data-touchpoint="lab" data-stage="consideration" data-variant="checkout:green">
<button id="buy" data-touchpoint="buy">Buy</button> <span id="bought">0</span>
<button id="nothing">Nothing happens</button>
<a id="out" href="https://partner.example/offer?id=7">Partner</a>
<a id="pdf" href="/files/Price%20list.pdf">Price list</a>
<button id="share" data-spur-share>Share</button>
<svg width="60" height="20"><a id="svg-link" href="lab.html#svg"><text x="0" y="15">SVG link</text></a></svg>
<form id="signup" data-touchpoint="signup"><input name="email"></form>
<div id="tall"></div>
<script>
document.getElementById("buy").addEventListener("click", function () {{
  var b = document.getElementById("bought");
  b.textContent = String(Number(b.textContent) + 1);
}});
</script>
</body></html>"#
    );
    Page::new("/lab.html", html)
}

/// Every stored event as (kind, touchpoint, props), in time order.
fn stored(server: &Server) -> Vec<(EventKind, String, serde_json::Value)> {
    let mut touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    touches.sort_by(|a, b| (a.ts, &a.id).cmp(&(b.ts, &b.id)));
    touches
        .into_iter()
        .map(|t| {
            let props = t.props.as_deref().map_or(serde_json::Value::Null, |p| {
                serde_json::from_str(p).unwrap()
            });
            (t.kind, t.touchpoint, props)
        })
        .collect()
}

/// Waits until exactly one stored event of `kind` named `name` exists (the tracker's
/// batch timer sends within a second of capture; no second one may follow within a
/// moment); returns its props.
async fn exactly_one(server: &Server, kind: EventKind, name: &str) -> serde_json::Value {
    let matching = || {
        stored(server)
            .into_iter()
            .filter(|(k, n, _)| *k == kind && n == name)
            .map(|(_, _, p)| p)
            .collect::<Vec<_>>()
    };
    until(&format!("a {kind:?} event {name}"), PATIENCE, || {
        !matching().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let found = matching();
    assert_eq!(
        found.len(),
        1,
        "{kind:?} {name}: {found:?}\nall: {:?}",
        stored(server)
    );
    found.into_iter().next().unwrap()
}

/// `n` quick mouse clicks in the middle of the element with `id`.
async fn clicks_on(browser: &Browser, id: &str, n: usize) {
    let at = eval(
        browser,
        &format!(
            "var r = document.getElementById('{id}').getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]"
        ),
    )
    .await;
    let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    browser.clicks_at(x, y, n).await;
}

async fn flush(browser: &Browser) {
    eval(browser, "spur.flush(); return 1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_automatic_capture_produces_exactly_its_event() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let pages = Pages::start(vec![lab(&api)]).await;
    let browser = Browser::start().await;
    browser.client.goto(&pages.url("/lab.html")).await.unwrap();
    let view = exactly_one(&server, EventKind::Pageview, "lab").await;
    // The page's variant is on its first event already.
    assert_eq!(view["xp:checkout"], "green", "{view}");

    // A variant set from code: every later event carries both. (Set while a script of
    // the page adds to `Object.prototype`, which must not become a variant.)
    eval(
        &browser,
        "Object.prototype.polluted = 'yes'; spur.variant('hero', 'b'); delete Object.prototype.polluted; return 1",
    )
    .await;

    // Three quick clicks on a button that works: one rage click, no dead click; the
    // page's own handler saw all three.
    clicks_on(&browser, "buy", 3).await;
    flush(&browser).await;
    let rage = exactly_one(&server, EventKind::Friction, "rage-click").await;
    assert_eq!(rage["target"], "buy");
    assert_eq!(rage["xp:checkout"], "green");
    assert_eq!(rage["xp:hero"], "b");
    assert_eq!(rage.get("xp:polluted"), None, "{rage}");
    assert_eq!(
        eval(
            &browser,
            "return document.getElementById('bought').textContent"
        )
        .await,
        "3"
    );

    // Three quick clicks on a button that does nothing: one dead click, after 1.5 s of
    // no change (not one per click), and a rage click.
    clicks_on(&browser, "nothing", 3).await;
    let dead = exactly_one(&server, EventKind::Friction, "dead-click").await;
    assert_eq!(dead["target"], "button#nothing");

    // An error thrown by the page: message and source, no query string.
    eval(&browser, "fail(); return 1").await;
    let error = exactly_one(&server, EventKind::Friction, "error").await;
    assert!(
        error["message"].as_str().unwrap().contains("boom42"),
        "{error}"
    );
    let source = error["source"].as_str().unwrap();
    assert!(source.ends_with("/lab.html"), "{error}");

    // A failed form, as the site marks it.
    eval(
        &browser,
        "document.getElementById('signup').setAttribute('data-spur-failed', ''); return 1",
    )
    .await;
    let form = exactly_one(&server, EventKind::Friction, "form-error").await;
    assert_eq!(form["target"], "signup");

    // A link inside an SVG (no `pathname`, an object for `href`): nothing, and no error.
    browser.click("#svg-link text").await;

    // An outbound link and a download, as touchpoints.
    browser.click("#out").await;
    browser.click("#pdf").await;
    flush(&browser).await;
    exactly_one(&server, EventKind::Click, "outbound:partner.example").await;
    exactly_one(&server, EventKind::Click, "download:Price list.pdf").await;

    // A share link: the button gets it (and the clipboard, where allowed), a `share`
    // event carries its code, and code and link agree.
    browser.click("#share").await;
    let link = eval(
        &browser,
        "return document.getElementById('share').getAttribute('data-spur-link')",
    )
    .await;
    let link = url::Url::parse(link.as_str().unwrap()).unwrap();
    let code = link
        .query_pairs()
        .find(|(k, _)| k == "spur_ref")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(code.len(), 16);
    assert_eq!(link.path(), "/lab.html");
    let from_code = eval(
        &browser,
        "var u = new URL(spur.shareLink('https://shop.example/p?x=1#top')); \
         return [u.origin + u.pathname, u.searchParams.get('x'), u.hash, u.searchParams.get('spur_ref').length]",
    )
    .await;
    assert_eq!(
        from_code,
        serde_json::json!(["https://shop.example/p", "1", "#top", 16])
    );
    flush(&browser).await;
    let shares: Vec<String> = {
        until("two share events", PATIENCE, || {
            stored(&server)
                .iter()
                .filter(|(k, n, _)| *k == EventKind::Custom && n == "share")
                .count()
                == 2
        })
        .await;
        stored(&server)
            .into_iter()
            .filter(|(k, n, _)| *k == EventKind::Custom && n == "share")
            .map(|(_, _, p)| p["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(shares.contains(&code), "{shares:?} lacks {code}");

    // Scrolling to 80 %, then a route change: the page view's engagement, once, with
    // its own address and touchpoint; then the new page view.
    eval(
        &browser,
        "window.scrollTo(0, document.documentElement.scrollHeight * 0.8 - innerHeight); return 1",
    )
    .await;
    // Once the page has seen the scroll, so has the tracker (same dispatch).
    eventually("the scroll to be seen", PATIENCE, || async {
        eval(&browser, "return window.scrolled === true").await == true
    })
    .await;
    eval(
        &browser,
        "history.pushState({}, '', '/lab.html?step=2'); return 1",
    )
    .await;
    let engagement = exactly_one(&server, EventKind::Engagement, "lab").await;
    let scroll = engagement["scroll"].as_u64().unwrap();
    assert!((80..=82).contains(&scroll), "{engagement}");
    assert!(engagement["ms"].as_u64().unwrap() > 1_000, "{engagement}");
    assert_eq!(engagement["xp:hero"], "b");

    // Nothing else: the page view, 3 clicks, 4 friction events, 2 links, 2 shares, one
    // engagement, and the second page view.
    until("the second page view", PATIENCE, || {
        stored(&server)
            .iter()
            .filter(|(k, _, _)| *k == EventKind::Pageview)
            .count()
            == 2
    })
    .await;
    let kinds: Vec<EventKind> = stored(&server).into_iter().map(|(k, _, _)| k).collect();
    let count = |kind| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(
        [
            count(EventKind::Pageview),
            count(EventKind::Click),
            count(EventKind::Friction),
            count(EventKind::Custom),
            count(EventKind::Engagement),
        ],
        [2, 5, 5, 2, 1],
        "{:?}",
        stored(&server)
    );
    // The page's own error handler saw its error; the tracker threw nothing of its own.
    assert_eq!(
        eval(&browser, "return errors").await,
        serde_json::json!([
            "Uncaught TypeError: Cannot read properties of null (reading 'boom42')"
        ])
    );
    browser.close().await;
}

/// `spur.stage(name)` sets the stage of what follows on the page (custom events, clicks
/// on touchpoints without a stage of their own, the page view's engagement) until the
/// next page view, which takes the page's `data-stage` again; an unknown name changes
/// nothing, and `null` goes back to the page's attribute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spur_stage_sets_the_stage_of_what_follows_until_the_next_page_view() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let pages = Pages::start(vec![lab(&api)]).await;
    let browser = Browser::start().await;
    browser.client.goto(&pages.url("/lab.html")).await.unwrap();
    exactly_one(&server, EventKind::Pageview, "lab").await;
    let stage_of = |kind: EventKind, name: &str| {
        let touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
        let found: Vec<_> = touches
            .iter()
            .filter(|t| t.kind == kind && t.touchpoint == name)
            .map(|t| t.stage.map(|s| s.as_str()))
            .collect();
        assert_eq!(found.len(), 1, "{kind:?} {name}: {found:?}");
        found[0]
    };
    eval(
        &browser,
        "spur.stage('purchase'); spur.track('paid'); \
         spur.stage('nonsense'); spur.track('still'); return 1",
    )
    .await;
    browser.click("#buy").await;
    eval(
        &browser,
        "spur.stage(null); spur.track('back'); spur.stage('retention'); \
         history.pushState({}, '', 'lab.html?next'); return 1",
    )
    .await;
    // After the route change (the loader reacts in a task of its own).
    eventually("the second page view", PATIENCE, || async {
        let touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
        eval(&browser, "spur.flush(); return 1").await;
        touches
            .iter()
            .any(|t| t.kind == EventKind::Pageview && t.url.ends_with("?next"))
    })
    .await;
    eval(&browser, "spur.track('after'); spur.flush(); return 1").await;
    exactly_one(&server, EventKind::Custom, "after").await;
    exactly_one(&server, EventKind::Engagement, "lab").await;
    assert_eq!(stage_of(EventKind::Custom, "paid"), Some("purchase"));
    assert_eq!(stage_of(EventKind::Custom, "still"), Some("purchase"));
    assert_eq!(stage_of(EventKind::Click, "buy"), Some("purchase"));
    assert_eq!(stage_of(EventKind::Custom, "back"), Some("consideration"));
    // The first page view's engagement: its stage when it was left.
    assert_eq!(stage_of(EventKind::Engagement, "lab"), Some("retention"));
    assert_eq!(stage_of(EventKind::Custom, "after"), Some("consideration"));
    assert_eq!(
        eval(&browser, "return window.errors").await,
        serde_json::json!([])
    );
    browser.close().await;
}

/// `spur.identify(reference)`: the batches sent from then on carry the customer's
/// reference, so their events belong to the customer's visitor (found by the reference
/// in the visitors API); `spur.identify(null)` (signing out) ends that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spur_identify_puts_the_customer_on_the_batches_until_signing_out() {
    const TOKEN: &str = "test-admin-token-0123456789";
    let server = Server::start_with(|s| s.admin_token = Some(TOKEN.into())).await;
    let api = format!("http://{}", server.addr);
    let pages = Pages::start(vec![lab(&api)]).await;
    let browser = Browser::start().await;
    browser.client.goto(&pages.url("/lab.html")).await.unwrap();
    exactly_one(&server, EventKind::Pageview, "lab").await;
    eval(
        &browser,
        "spur.identify('Kunde 4711'); spur.track('signed-in'); spur.flush(); return 1",
    )
    .await;
    exactly_one(&server, EventKind::Custom, "signed-in").await;
    eval(
        &browser,
        "spur.identify(null); spur.track('signed-out'); spur.flush(); return 1",
    )
    .await;
    exactly_one(&server, EventKind::Custom, "signed-out").await;
    let export = server
        .call(
            axum::http::Request::get("/api/v1/visitors?site=demo&customer=Kunde%204711")
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .json();
    let touchpoints: Vec<&str> = export["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["touchpoint"].as_str().unwrap())
        .collect();
    assert_eq!(touchpoints, ["signed-in"], "{export}");
    assert_eq!(
        eval(&browser, "return window.errors").await,
        serde_json::json!([])
    );
    browser.close().await;
}

/// A script that runs before the parser reaches `<body>` (here a classic one in `<head>`;
/// an `async` one from the cache does the same) starts the tracker when `<body>` is
/// there: the first page view carries `<body>`'s touchpoint and stage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_runs_before_the_body_names_the_page_view_by_it() {
    let server = Server::start().await;
    let html = format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>early</title>
<script src="/spur.js" data-site="demo" data-api="{api}"></script>
<script>window.early = !document.body;</script>
</head>
<body data-touchpoint="early-page" data-stage="purchase"><p>Early.</p></body></html>"#,
        api = server.url("")
    );
    let pages = Pages::start(vec![Page::new("/early.html", html)]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/early.html"))
        .await
        .unwrap();
    assert_eq!(
        eval(&browser, "return window.early").await,
        true,
        "the script ran before <body> existed"
    );
    exactly_one(&server, EventKind::Pageview, "early-page").await;
    let touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    let view = touches
        .iter()
        .find(|t| t.kind == EventKind::Pageview)
        .unwrap();
    assert_eq!(view.stage.map(|s| s.as_str()), Some("purchase"));
    assert_eq!(
        eval(
            &browser,
            "return ['spur:start', 'spur:ready'].map(function (m) { return performance.getEntriesByName(m).length; })"
        )
        .await,
        serde_json::json!([1, 1])
    );
    browser.close().await;
}

/// Names, prop keys and values are cleaned in the page as the collector takes them, so
/// that no batch is refused for one odd call: control characters and the controls of
/// text direction removed, white space trimmed, names cut to 100 characters (code points,
/// not UTF-16 units), keys to 64, string values to 256; non-string names, blank names
/// and unusable values are dropped, and the first of two keys that clean alike wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_props_are_cleaned_as_the_collector_takes_them() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let pages = Pages::start(vec![lab(&api)]).await;
    let browser = Browser::start().await;
    browser.client.goto(&pages.url("/lab.html")).await.unwrap();
    exactly_one(&server, EventKind::Pageview, "lab").await;
    eval(
        &browser,
        r#"spur.track(42); spur.track(" \t\n "); spur.track(null);
           spur.track("\u00a0 order\u0000 placed\t\u0007 \ufeff\u202e", {
             "  plan\n": "x".repeat(300), " plan": "second", "n": 1.5, "ok": true,
             "nan": NaN, "obj": {}, "": "no key", ["k".repeat(70)]: "long key"});
           spur.track("ü".repeat(120));
           spur.track("😀".repeat(101));
           spur.flush(); return 1"#,
    )
    .await;
    let props = exactly_one(&server, EventKind::Custom, "order placed").await;
    assert_eq!(
        props,
        serde_json::json!({"plan": "x".repeat(256), "n": 1.5, "ok": true,
            "k".repeat(64): "long key", "xp:checkout": "green"})
    );
    exactly_one(&server, EventKind::Custom, &"ü".repeat(100)).await;
    exactly_one(&server, EventKind::Custom, &"😀".repeat(100)).await;
    let customs: Vec<String> = stored(&server)
        .into_iter()
        .filter(|(k, _, _)| *k == EventKind::Custom)
        .map(|(_, n, _)| n)
        .collect();
    assert_eq!(customs.len(), 3, "{customs:?}");
    assert_eq!(
        eval(&browser, "return window.errors").await,
        serde_json::json!([])
    );
    browser.close().await;
}

/// A page whose in-page link (`#details`) is followed, and whose fragment then changes
/// from code (`#/cart`); `data-hash` on the script tag when `hash` is set.
fn fragments(api: &str, hash: bool) -> Page {
    let (path, attributes) = if hash {
        ("/routes.html", " data-hash")
    } else {
        ("/anchors.html", "")
    };
    tracked(
        api,
        path,
        "fragments",
        attributes,
        "",
        r##"<a id="jump" href="#details">Details</a>
<div style="height: 3000px"></div><div id="details">Details</div>"##,
    )
}

/// A page at `path` named `touchpoint`, with the tracker (`attributes` added to its
/// script tag, after `head`) and `body`; it notes in `window.errors` what the page
/// throws, and in `window.prerendered` and `window.restored` how it was shown.
fn tracked(
    api: &str,
    path: &str,
    touchpoint: &str,
    attributes: &str,
    head: &str,
    body: &str,
) -> Page {
    Page::new(
        path,
        format!(
            r#"<!doctype html><html><head><meta charset="utf-8"><title>{touchpoint}</title>
<script>window.errors = []; addEventListener("error", function (e) {{ errors.push(e.message); }});
window.prerendered = document.prerendering;
addEventListener("pageshow", function (e) {{ window.restored = e.persisted; }});</script>{head}
<script async src="/spur.js" data-site="demo" data-api="{api}"{attributes}></script></head>
<body data-touchpoint="{touchpoint}">{body}</body></html>"#
        ),
    )
}

/// An in-page link is no new page view (its engagement goes on); with `data-hash`,
/// where a site's routes live in the fragment, each new fragment is one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_is_a_page_view_only_where_the_site_routes_by_it() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let pages = Pages::start(vec![fragments(&api, false), fragments(&api, true)]).await;
    let browser = Browser::start().await;
    for (page, views, engagements) in [
        ("/anchors.html", vec![""], vec![]),
        // Each route change sends the engagement of the page view it ends.
        (
            "/routes.html",
            vec!["", "#details", "#/cart"],
            vec!["", "#details"],
        ),
    ] {
        browser.client.goto(&pages.url(page)).await.unwrap();
        until("the first page view", PATIENCE, || {
            fragments_of(&server, EventKind::Pageview, page).len() == 1
        })
        .await;
        browser.click("#jump").await;
        eval(&browser, "location.hash = '#/cart'; return 1").await;
        // The loader looks at a navigation in a task of its own.
        tokio::time::sleep(Duration::from_millis(100)).await;
        flush(&browser).await;
        until("the page views", PATIENCE, || {
            fragments_of(&server, EventKind::Pageview, page).len() >= views.len()
        })
        .await;
        // No more follow.
        tokio::time::sleep(Duration::from_millis(500)).await;
        flush(&browser).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            fragments_of(&server, EventKind::Pageview, page),
            views,
            "{page}"
        );
        assert_eq!(
            fragments_of(&server, EventKind::Engagement, page),
            engagements,
            "{page}"
        );
    }
    browser.close().await;
}

/// The fragments (`#…`, or "" for none) of the addresses of the stored events of `kind`
/// on `path`, in time order.
fn fragments_of(server: &Server, kind: EventKind, path: &str) -> Vec<String> {
    let mut touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    touches.sort_by(|a, b| (a.ts, &a.id).cmp(&(b.ts, &b.id)));
    touches
        .into_iter()
        .filter(|t| t.kind == kind && t.url.contains(path))
        .map(|t| {
            t.url
                .find('#')
                .map_or(String::new(), |at| t.url[at..].to_owned())
        })
        .collect()
}

/// Back to a page restored from the back/forward cache (the same document, shown again):
/// a page view again, with an engagement of its own, and the page's clicks still count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_shown_again_from_the_back_forward_cache_is_a_page_view() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let page = tracked(
        &api,
        "/product.html",
        "product",
        "",
        "",
        r#"<a id="next" href="/cart.html">Cart</a> <button id="buy" data-touchpoint="buy">Buy</button>"#,
    );
    let cart = Page::new(
        "/cart.html",
        "<!doctype html><html><head><title>cart</title></head><body>Cart</body></html>".to_owned(),
    );
    let pages = Pages::start(vec![page, cart]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/product.html"))
        .await
        .unwrap();
    exactly_one(&server, EventKind::Pageview, "product").await;
    eval(&browser, "window.marker = 1; return 1").await;
    browser.click("#next").await;
    // Leaving sent the page view's engagement.
    exactly_one(&server, EventKind::Engagement, "product").await;
    browser.client.back().await.unwrap();
    // The same document (not loaded anew): it kept what its scripts set.
    eventually("the page restored", PATIENCE, || async {
        eval(&browser, "return [window.marker, window.restored];").await
            == serde_json::json!([1, true])
    })
    .await;
    until("a second page view", PATIENCE, || {
        kinds_named(&server, "product")
            == [
                EventKind::Pageview,
                EventKind::Engagement,
                EventKind::Pageview,
            ]
    })
    .await;
    // And it goes on: a click, then leaving again.
    browser.click("#buy").await;
    browser.click("#next").await;
    until("the click and the second engagement", PATIENCE, || {
        let all = stored(&server);
        all.iter()
            .any(|(k, n, _)| *k == EventKind::Click && n == "buy")
            && kinds_named(&server, "product").len() == 4
    })
    .await;
    assert_eq!(
        kinds_named(&server, "product"),
        [
            EventKind::Pageview,
            EventKind::Engagement,
            EventKind::Pageview,
            EventKind::Engagement
        ]
    );
    browser.close().await;
}

/// The kinds of the stored events named `name`, in time order.
fn kinds_named(server: &Server, name: &str) -> Vec<EventKind> {
    stored(server)
        .into_iter()
        .filter(|(_, n, _)| n == name)
        .map(|(k, _, _)| k)
        .collect()
}

/// A page the browser prerenders (speculation rules) before the visitor clicks the link
/// to it: its page view is taken when it is shown, right after the click, not when it
/// was prerendered; one that is never shown is no page view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prerendered_page_is_a_page_view_once_shown() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let page = |path: &str, touchpoint: &str, body: &str, head: &str| {
        tracked(&api, path, touchpoint, "", head, body)
    };
    let rules = |url: &str| {
        format!(
            r#"<script type="speculationrules">{{"prerender":[{{"source":"list","urls":["{url}"]}}]}}</script>"#
        )
    };
    let pages = Pages::start(vec![
        page(
            "/product.html",
            "product",
            r#"<a id="cart" href="/cart.html" data-touchpoint="add-to-cart">Add to cart</a>"#,
            &rules("/cart.html"),
        ),
        page("/cart.html", "cart", "Cart", ""),
        page(
            "/faq.html",
            "faq",
            r#"<a id="home" href="/home.html">Home</a>"#,
            &rules("/unseen.html"),
        ),
        page("/unseen.html", "unseen", "Never shown", ""),
        page("/home.html", "home", "Home", ""),
    ])
    .await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/product.html"))
        .await
        .unwrap();
    exactly_one(&server, EventKind::Pageview, "product").await;
    // Time for the browser to prerender the cart.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    browser.click("#cart").await;
    eventually("the cart shown", PATIENCE, || async {
        eval(&browser, "return [location.pathname, window.prerendered];").await
            == serde_json::json!(["/cart.html", true])
    })
    .await;
    exactly_one(&server, EventKind::Pageview, "cart").await;
    // The cart's page view is taken when it is shown, right after the click: not the
    // 3 s of prerendering before it. (The collector puts each batch on its own clock by
    // its `sent_at`, and the click leaves in a beacon as the page is left, so the two
    // stored times may differ from the browser's by a few milliseconds either way.)
    let at = |kind: EventKind, name: &str| {
        let touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
        let touch = touches
            .iter()
            .find(|t| t.kind == kind && t.touchpoint == name);
        touch.map(|t| t.ts).expect(name)
    };
    let (click, cart) = (
        at(EventKind::Click, "add-to-cart"),
        at(EventKind::Pageview, "cart"),
    );
    assert!(
        (click - 500..click + 2000).contains(&cart),
        "the cart's page view {} ms after the click",
        cart - click
    );

    // Prerendered, then left for another page: never a page view.
    browser.client.goto(&pages.url("/faq.html")).await.unwrap();
    exactly_one(&server, EventKind::Pageview, "faq").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    browser.click("#home").await;
    exactly_one(&server, EventKind::Pageview, "home").await;
    flush(&browser).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !stored(&server).iter().any(|(_, n, _)| n == "unseen"),
        "{:?}",
        stored(&server)
    );
    browser.close().await;
}

/// A site's own people can keep their browser out of the figures: `?spur_ignore=1` once,
/// and no page of the site counts it (its `spur` calls do nothing and throw nothing)
/// until `?spur_ignore=0`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_can_be_left_out_of_the_figures() {
    let server = Server::start().await;
    let api = format!("http://{}", server.addr);
    let page = tracked(
        &api,
        "/own.html",
        "own",
        "",
        "",
        r#"<button id="buy" data-touchpoint="buy">Buy</button>"#,
    );
    let pages = Pages::start(vec![page]).await;
    let browser = Browser::start().await;
    for query in ["?spur_ignore=1", ""] {
        browser
            .client
            .goto(&pages.url(&format!("/own.html{query}")))
            .await
            .unwrap();
        eventually("the script run", PATIENCE, || async {
            eval(&browser, "return typeof spur;").await == "object"
        })
        .await;
        clicks_on(&browser, "buy", 1).await;
        eval(
            &browser,
            "spur.track('tried', {a: 1}); spur.flush(); return 1",
        )
        .await;
        assert_eq!(
            eval(&browser, "return errors;").await,
            serde_json::json!([])
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(stored(&server), vec![]);

    // Counted again.
    browser
        .client
        .goto(&pages.url("/own.html?spur_ignore=0"))
        .await
        .unwrap();
    exactly_one(&server, EventKind::Pageview, "own").await;
    browser.close().await;
}
