//! The rating widgets in a real headless Chromium, on a page whose CSS tries to break
//! them (`* { all: unset }`, `button { display: none }`): each kind answered with the
//! mouse or with the keyboard only, the popover dismissed, every answer stored once
//! with its touchpoint and stage, nobody asked twice, and the feedback report.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::Value;
use spur_tests::Server;
use spur_tests::browser::{Browser, eval, eventually};
use spur_tests::pages::{Page, Pages};

const PATIENCE: Duration = Duration::from_secs(30);
const HOSTILE_QUESTION: &str = "<img src=x onerror=\"window.pwned=1\"> Was this helpful?";

/// The test page at `/feedback<suffix>.html`; each widget's touchpoint ends in `suffix`.
fn page(api: &str, suffix: &str) -> Page {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>feedback</title>
<style>* {{ all: unset }} button {{ display: none }}
html {{ letter-spacing: 4px; word-spacing: 20px; text-transform: uppercase; text-align: center; direction: rtl }}</style>
<script>
window.errors = [];
addEventListener("error", function (e) {{ errors.push("error: " + e.message); }});
</script>
<script async src="/spur.js" data-site="demo" data-api="{api}"></script>
</head>
<body data-touchpoint="feedback-page" data-stage="retention">
<p>Top</p>
<div id="nps" data-spur-feedback="nps" data-touchpoint="after-delivery{suffix}"></div>
<div id="csat" data-spur-feedback="csat" data-touchpoint="checkout-csat{suffix}" data-stage="purchase"></div>
<div id="ces" data-spur-feedback="ces" data-touchpoint="support-ces{suffix}" data-lang="de"></div>
<div id="thumbs" data-spur-feedback="thumbs" data-touchpoint="faq-thumbs{suffix}" data-question="{question}"></div>
</body></html>"#,
        question = HOSTILE_QUESTION.replace('"', "&quot;"),
    );
    Page::new(&format!("/feedback{suffix}.html"), html)
}

/// Clicks with the mouse at the middle of `selector` inside widget `id`'s shadow root.
async fn mouse_click(browser: &Browser, id: &str, selector: &str) {
    let at = eval(
        browser,
        &format!(
            "var e = document.getElementById('{id}').shadowRoot.querySelector('{selector}');
             e.scrollIntoView({{block: 'center'}});
             var b = e.getBoundingClientRect();
             return [b.x + b.width / 2, b.y + b.height / 2];"
        ),
    )
    .await;
    let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    browser.click_at(x, y).await;
}

/// Presses keys, as a person would, wherever the focus is.
async fn keys(browser: &Browser, keys: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for &key in keys {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    browser.client.perform_actions(actions).await.unwrap();
}

fn text(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// What has focus: the widget host's id and, inside its shadow root, the focused
/// element's role or tag and `data-v`.
async fn focus(browser: &Browser) -> String {
    eval(
        browser,
        "var h = document.activeElement, s = h && h.shadowRoot && h.shadowRoot.activeElement;
         return (h && h.id) + ':' + (s ? (s.getAttribute('role') || s.tagName.toLowerCase()) + (s.dataset.v || '') : '');",
    )
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

/// Presses Tab until the focus is on a radio of widget `id`.
async fn tab_into(browser: &Browser, id: &str) {
    for _ in 0..30 {
        if focus(browser).await.starts_with(&format!("{id}:radio")) {
            return;
        }
        keys(browser, &[Key::Tab.into()]).await;
    }
    panic!("Tab never reached {id}; focus at {}", focus(browser).await);
}

/// Opens a test page and waits until its last widget is rendered.
async fn open(browser: &Browser, pages: &Pages, path: &str) {
    browser.client.goto(&pages.url(path)).await.unwrap();
    eventually("the widgets to render", PATIENCE, || async {
        eval(
            browser,
            "return !!document.getElementById('thumbs').shadowRoot;",
        )
        .await
            == true
    })
    .await;
}

/// The stored feedback events: (touchpoint, stage, props) in time order.
fn stored(server: &Server) -> Vec<(String, Option<String>, Value)> {
    let mut touches = server.store.touches("demo", i64::MIN, i64::MAX).unwrap();
    touches.sort_by_key(|t| t.ts);
    touches
        .into_iter()
        .filter(|t| t.kind == spur::event::EventKind::Feedback)
        .map(|t| {
            (
                t.touchpoint,
                t.stage.map(|s| s.as_str().to_owned()),
                serde_json::from_str(t.props.as_deref().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// How many stored events of site `demo` are named `touchpoint`.
/// Stored touches named `touchpoint`, not counting the engagement a page view reports
/// when it is left (it carries the page's name too, and arrives when it likes: after a
/// reload the count of a page's touches could jump from one to three between polls).
fn touches_named(server: &Server, touchpoint: &str) -> usize {
    server
        .store
        .touches("demo", i64::MIN, i64::MAX)
        .unwrap()
        .iter()
        .filter(|t| t.kind != spur::event::EventKind::Engagement && t.touchpoint == touchpoint)
        .count()
}

fn answers(server: &Server) -> Vec<(String, Option<String>, Value)> {
    stored(server)
        .into_iter()
        .filter(|(_, _, p)| p["outcome"] != "shown")
        .collect()
}

#[tokio::test]
async fn widgets_answered_by_mouse_and_keyboard_once_each() {
    let server = Server::start().await;
    let pages = Pages::start(vec![page(&server.url(""), "")]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/feedback.html"))
        .await
        .unwrap();

    // Rendered despite the page's CSS: every radio has a size and is displayed.
    let rendered = "return ['nps', 'csat', 'ces', 'thumbs'].map(function (id) {
        var r = document.getElementById(id).shadowRoot;
        if (!r) return 0;
        var radios = [].slice.call(r.querySelectorAll('[role=radio]'));
        return radios.filter(function (b) {
          var box = b.getBoundingClientRect();
          return box.width > 20 && box.height > 20 && getComputedStyle(b).display != 'none';
        }).length;
      });";
    eventually("the widgets to render", PATIENCE, || async {
        eval(&browser, rendered).await == serde_json::json!([11, 5, 7, 2])
    })
    .await;
    // Each widget said it was shown.
    eventually("four `shown` events", PATIENCE, || async {
        stored(&server).len() == 4
    })
    .await;
    // The page's own text is text: no element was made of the question.
    let question = eval(
        &browser,
        "var r = document.getElementById('thumbs').shadowRoot;
         return [r.getElementById('q').textContent, r.querySelectorAll('img').length, !!window.pwned];",
    )
    .await;
    assert_eq!(question, serde_json::json!([HOSTILE_QUESTION, 0, false]));
    // German from data-lang.
    let ces_question = eval(
        &browser,
        "return document.getElementById('ces').shadowRoot.getElementById('q').textContent;",
    )
    .await;
    assert_eq!(
        ces_question,
        "Wie einfach war es, zu erledigen, was Sie vorhatten?"
    );

    // Screen readers hear what the ends of a number scale mean, and what faces mean.
    let labels = eval(
        &browser,
        "var label = function (id, v) {
           return document.getElementById(id).shadowRoot.querySelector('[data-v=\"' + v + '\"]').getAttribute('aria-label');
         };
         return [label('nps', 0), label('nps', 10), label('nps', 5), label('ces', 7), label('csat', 1)];",
    )
    .await;
    assert_eq!(
        labels,
        serde_json::json!([
            "0, Not likely",
            "10, Very likely",
            null,
            "7, Sehr einfach",
            "Very dissatisfied"
        ])
    );

    // What the page's elements pass on stops at the widget.
    let inherited = eval(
        &browser,
        "var s = getComputedStyle(document.getElementById('nps').shadowRoot.getElementById('q'));
         return [s.letterSpacing, s.wordSpacing, s.textTransform, s.textAlign, s.direction];",
    )
    .await;
    assert_eq!(
        inherited,
        serde_json::json!(["normal", "0px", "none", "start", "ltr"])
    );

    // NPS with the mouse: 9, a comment typed into the box, Send.
    mouse_click(&browser, "nps", "[data-v=\"9\"]").await;
    mouse_click(&browser, "nps", "textarea").await;
    keys(&browser, &text("Fast delivery")).await;
    // A second line, and white space around: the line break stays, the rest is trimmed.
    eval(
        &browser,
        "var t = document.getElementById('nps').shadowRoot.querySelector('textarea');
         t.value = '  ' + t.value + '\\nwithin two days \\n';",
    )
    .await;
    mouse_click(&browser, "nps", "form button").await;
    // The thank-you's close button closes it.
    eventually("the NPS thank-you", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('nps').shadowRoot.querySelector('.t').textContent;",
        )
        .await
            == "Thank you for your feedback!"
    })
    .await;
    mouse_click(&browser, "nps", ".x").await;
    assert_eq!(
        eval(&browser, "return document.getElementById('nps').hidden;").await,
        true
    );

    // CSAT with the keyboard only: Tab to the faces, arrows to the fourth, Enter, Tab
    // to Send, Enter.
    eval(
        &browser,
        "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);",
    )
    .await;
    tab_into(&browser, "csat").await;
    keys(
        &browser,
        &[Key::Right.into(), Key::Right.into(), Key::Right.into()],
    )
    .await;
    assert_eq!(focus(&browser).await, "csat:radio4");
    keys(&browser, &[Key::Enter.into()]).await;
    assert_eq!(focus(&browser).await, "csat:textarea");
    keys(&browser, &[Key::Tab.into(), Key::Enter.into()]).await;
    let thanks = eval(
        &browser,
        "var t = document.getElementById('csat').shadowRoot.querySelector('[role=status]');
         return [t.textContent, document.getElementById('csat').shadowRoot.activeElement === t];",
    )
    .await;
    assert_eq!(
        thanks,
        serde_json::json!(["Thank you for your feedback!", true])
    );

    // CES in German, keyboard only: End (7), Left (6), Space, comment, Tab, Enter.
    tab_into(&browser, "ces").await;
    keys(&browser, &[Key::End.into(), Key::Left.into()]).await;
    assert_eq!(focus(&browser).await, "ces:radio6");
    keys(&browser, &[' ']).await;
    keys(&browser, &text("Ging schnell")).await;
    keys(&browser, &[Key::Tab.into(), Key::Enter.into()]).await;

    // Thumbs with the mouse: up, Send without a comment.
    mouse_click(&browser, "thumbs", "[data-v=\"1\"]").await;
    mouse_click(&browser, "thumbs", "form button").await;

    // The popover from code, dismissed with Escape from inside it.
    eval(
        &browser,
        "spur.feedback({kind: ' nps ', touchpoint: ' after-purchase\\u0007', question: 'Would you recommend us?', days: 30});",
    )
    .await;
    eventually("the popover", PATIENCE, || async {
        eval(&browser, "return [].some.call(document.body.children, function (e) { return e.shadowRoot && !e.id; });")
            .await
            == true
    })
    .await;
    eval(
        &browser,
        "var host = [].filter.call(document.body.children, function (e) { return e.shadowRoot && !e.id; })[0];
         host.shadowRoot.querySelector('[role=radio]').focus();",
    )
    .await;
    keys(&browser, &[Key::Escape.into()]).await;
    eventually("the popover to go", PATIENCE, || async {
        eval(&browser, "return [].some.call(document.body.children, function (e) { return e.shadowRoot && !e.id; });")
            .await
            == false
    })
    .await;

    // Every answer once, with its touchpoint and stage.
    let expected = serde_json::json!([
        ["after-delivery", "retention", {"widget": "nps", "outcome": "answered", "score": 9, "comment": "Fast delivery\nwithin two days"}],
        ["checkout-csat", "purchase", {"widget": "csat", "outcome": "answered", "score": 4}],
        ["support-ces", "retention", {"widget": "ces", "outcome": "answered", "score": 6, "comment": "Ging schnell"}],
        ["faq-thumbs", "retention", {"widget": "thumbs", "outcome": "answered", "score": 1}],
        ["after-purchase", "retention", {"widget": "nps", "outcome": "dismissed"}],
    ]);
    wait_for_answers(&server, &browser, &expected).await;
    assert_eq!(stored(&server).len(), 10, "{:?}", stored(&server));
    // The clicks that answered are no touches of their own, nor friction.
    let clicks: Vec<String> = server
        .store
        .touches("demo", i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .filter(|t| {
            matches!(
                t.kind,
                spur::event::EventKind::Click | spur::event::EventKind::Friction
            )
        })
        .map(|t| t.touchpoint)
        .collect();
    assert_eq!(clicks, Vec::<String>::new());

    // Never asked twice: after a reload nothing renders, the popover stays away, and no
    // new event is sent.
    browser.client.refresh().await.unwrap();
    // The tracker has started (and looked for widgets) once the reload's page view is
    // stored; a custom event sent after the popover call arrives after anything that
    // call would have sent.
    eventually("the reload's page view", PATIENCE, || async {
        touches_named(&server, "feedback-page") == 2
    })
    .await;
    eval(
        &browser,
        "spur.feedback({kind: 'nps', touchpoint: 'after-purchase'}); spur.track('after-reload'); spur.flush();",
    )
    .await;
    eventually("the event after the popover call", PATIENCE, || async {
        touches_named(&server, "after-reload") == 1
    })
    .await;
    let shadows = eval(
        &browser,
        "return [].filter.call(document.querySelectorAll('*'), function (e) { return e.shadowRoot; }).length;",
    )
    .await;
    assert_eq!(shadows, 0);
    assert_eq!(stored(&server).len(), 10);
    assert_eq!(
        eval(&browser, "return window.errors;").await,
        serde_json::json!([])
    );

    // The report.
    let report = server
        .get(&format!(
            "/api/v1/reports/feedback?site=demo&from={today}&to={today}",
            today = spur_tests::today()
        ))
        .await;
    assert!(report.status.is_success(), "{:?}", report.json());
    let r = report.json();
    assert_eq!(r["overall"]["nps"]["promoters"], 1);
    assert_eq!(r["overall"]["csat"]["satisfied"], 1.0);
    assert_eq!(r["overall"]["ces"]["mean"], 6.0);
    assert_eq!(r["overall"]["thumbs"]["up"], 1);
    let popover = r["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["touchpoint"] == "after-purchase")
        .unwrap();
    assert_eq!(
        (
            &popover["shown"],
            &popover["dismissed"],
            &popover["answered"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(0)
        )
    );
    browser.close().await;
}

/// The same kinds, each answered the other way: NPS and thumbs with the keyboard only,
/// CSAT and CES with the mouse.
#[tokio::test]
async fn each_kind_answered_the_other_way() {
    let server = Server::start().await;
    let pages = Pages::start(vec![page(&server.url(""), "-2")]).await;
    let browser = Browser::start().await;
    open(&browser, &pages, "/feedback-2.html").await;
    // NPS: Tab in, Home (0), eight times Right (8), Enter, a comment, Tab to Send, Enter.
    tab_into(&browser, "nps").await;
    keys(&browser, &[Key::Home.into()]).await;
    keys(&browser, &[Key::Right.into(); 8]).await;
    assert_eq!(focus(&browser).await, "nps:radio8");
    keys(&browser, &[Key::Enter.into()]).await;
    keys(&browser, &text("ok")).await;
    keys(&browser, &[Key::Tab.into(), Key::Enter.into()]).await;
    // CSAT and CES with the mouse.
    mouse_click(&browser, "csat", "[data-v=\"2\"]").await;
    mouse_click(&browser, "csat", "form button").await;
    mouse_click(&browser, "ces", "[data-v=\"3\"]").await;
    mouse_click(&browser, "ces", "form button").await;
    // Thumbs: Tab in (down has focus), Right (up), Space, Tab to Send, Enter.
    tab_into(&browser, "thumbs").await;
    keys(&browser, &[Key::Right.into()]).await;
    assert_eq!(focus(&browser).await, "thumbs:radio1");
    keys(&browser, &[' ', Key::Tab.into(), Key::Enter.into()]).await;
    let expected = serde_json::json!([
        ["after-delivery-2", "retention", {"widget": "nps", "outcome": "answered", "score": 8, "comment": "ok"}],
        ["checkout-csat-2", "purchase", {"widget": "csat", "outcome": "answered", "score": 2}],
        ["support-ces-2", "retention", {"widget": "ces", "outcome": "answered", "score": 3}],
        ["faq-thumbs-2", "retention", {"widget": "thumbs", "outcome": "answered", "score": 1}],
    ]);
    wait_for_answers(&server, &browser, &expected).await;
    assert_eq!(
        eval(&browser, "return window.errors;").await,
        serde_json::json!([])
    );
    browser.close().await;
}

/// A score is the answer without the optional comment: when the visitor closes the
/// widget after choosing, or leaves the page without pressing "Send", the score arrives
/// (once, without a comment) instead of a dismissal or nothing.
#[tokio::test]
async fn a_chosen_score_is_the_answer_when_the_visitor_closes_the_widget_or_leaves() {
    let server = Server::start().await;
    let pages = Pages::start(vec![
        page(&server.url(""), "-3"),
        Page::new(
            "/elsewhere.html",
            "<!doctype html><title>elsewhere</title>".into(),
        ),
    ])
    .await;
    let browser = Browser::start().await;
    open(&browser, &pages, "/feedback-3.html").await;
    // CSAT: a score, then the close button. NPS: a score, and then the page is left.
    mouse_click(&browser, "csat", "[data-v=\"4\"]").await;
    mouse_click(&browser, "csat", ".x").await;
    mouse_click(&browser, "nps", "[data-v=\"9\"]").await;
    browser
        .client
        .goto(&pages.url("/elsewhere.html"))
        .await
        .unwrap();
    let expected = serde_json::json!([
        ["checkout-csat-3", "purchase", {"widget": "csat", "outcome": "answered", "score": 4}],
        ["after-delivery-3", "retention", {"widget": "nps", "outcome": "answered", "score": 9}],
    ]);
    wait_for_answers(&server, &browser, &expected).await;
    // Once: leaving fires both `pagehide` and `visibilitychange`, and what was queued
    // after the beacon waits in this tab's stored queue. Back on a page with the tracker,
    // that queue is sent; when it is empty, nothing more has come.
    browser
        .client
        .goto(&pages.url("/feedback-3.html"))
        .await
        .unwrap();
    eventually("this tab's queue to be sent", PATIENCE, || async {
        eval(
            &browser,
            "return Object.keys(localStorage).filter(function (k) { return k.indexOf('spur:q:') === 0; }).length;",
        )
        .await
            == 0
    })
    .await;
    assert_eq!(serde_json::to_value(answers(&server)).unwrap(), expected);
    browser.close().await;
}

/// The demo shop asks its after-sales question in a popover once an order is placed.
#[tokio::test]
async fn the_demo_shop_asks_after_a_purchase() {
    // In English, and in the German shop in German (a visitor is asked once: each
    // language gets a browser and a collector of its own).
    let languages = [
        ("", "How satisfied are you with your order so far?", "Send"),
        (
            "de/",
            "Wie zufrieden sind Sie bisher mit Ihrer Bestellung?",
            "Senden",
        ),
    ];
    for (folder, question, send) in languages {
        let server = Server::start().await;
        let browser = Browser::start().await;
        browser
            .client
            .goto(&server.url(&format!("/demo/{folder}checkout.html")))
            .await
            .unwrap();
        eventually("the tracker", PATIENCE, || async {
            eval(&browser, "return !!(window.spur && window.spur._spur);").await == true
        })
        .await;
        browser.click("#place-order").await;
        let popover =
            "[].filter.call(document.body.children, function (e) { return e.shadowRoot; })[0]";
        eventually("the popover", PATIENCE, || async {
            eval(&browser, &format!("return !!{popover};")).await == true
        })
        .await;
        if let Some(dir) = std::env::var_os("SPUR_SCREENSHOTS") {
            let png = browser.client.screenshot().await.unwrap();
            let name = format!("demo-{}checkout-popover.png", folder.replace('/', "-"));
            std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
        }
        eval(&browser, &format!("{popover}.id = 'popover';")).await;
        let root = "document.getElementById('popover').shadowRoot";
        let text = eval(&browser, &format!("return {root}.textContent;")).await;
        let text = text.as_str().unwrap_or_default();
        assert!(text.contains(question), "{folder}: {text}");
        // ("Send" is in "Senden": the button's own label, whole.)
        let button = eval(
            &browser,
            &format!("return {root}.querySelector('form button').textContent;"),
        )
        .await;
        assert_eq!(button, send, "{folder}");
        mouse_click(&browser, "popover", "[data-v=\"5\"]").await;
        mouse_click(&browser, "popover", "form button").await;
        let expected = serde_json::json!([
            ["checkout", "purchase", {"widget": "csat", "outcome": "answered", "score": 5}],
        ]);
        wait_for_answers(&server, &browser, &expected).await;
        browser.close().await;
    }
}

/// The dashboard's Feedback page shows the report's figures, and a comment full of
/// markup as the text it is.
#[tokio::test]
async fn the_dashboard_shows_feedback_and_comments_as_text() {
    const COMMENT: &str =
        "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">Lieferung zu spät";
    let server = Server::start().await;
    let now = jiff::Timestamp::now().as_millisecond();
    let url = "https://shop.example/demo/account.html";
    let batch = serde_json::json!({
        "v": 1, "site": "demo", "sent_at": now,
        "events": [
            { "id": "fbpage-0000000001", "ts": now - 2000, "type": "pageview", "url": url, "name": "account" },
            { "id": "fbpage-0000000002", "ts": now - 1000, "type": "feedback", "url": url,
              "name": "after-delivery",
              "props": { "widget": "nps", "outcome": "answered", "score": 3, "comment": COMMENT } },
            { "id": "fbpage-0000000003", "ts": now - 900, "type": "feedback", "url": url,
              "name": "support", "props": { "widget": "ces", "outcome": "answered", "score": 6 } },
            { "id": "fbpage-0000000004", "ts": now - 800, "type": "feedback", "url": url,
              "name": "faq", "props": { "widget": "thumbs", "outcome": "answered", "score": 1 } },
        ]
    });
    let reply = server.post_events("text/plain", batch.to_string()).await;
    assert_eq!(reply.json()["accepted"], 4, "{:?}", reply.json());
    let day = spur_tests::today();
    let api = server
        .get(&format!(
            "/api/v1/reports/feedback?site=demo&from={day}&to={day}"
        ))
        .await
        .json();
    assert_eq!(api["overall"]["nps"]["score"], -100.0);

    let browser = Browser::start().await;
    browser
        .sign_in(&server.url(""), spur_tests::MARKETER, spur_tests::PASSWORD)
        .await;
    browser
        .client
        .goto(&server.url("/dashboard/feedback.html"))
        .await
        .unwrap();
    eventually("the NPS the API gives", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('fb-nps').textContent;",
        )
        .await
            == "-100"
    })
    .await;
    // The gauge and the NPS, CES and thumbs distributions are drawn; CSAT has no
    // answers and says so.
    eventually("the score charts", PATIENCE, || async {
        eval(
            &browser,
            "return [!!document.querySelector('#fb-gauge canvas'), !!document.querySelector('#fb-nps-dist canvas'),
                     !!document.querySelector('#fb-ces-dist canvas'), !!document.querySelector('#fb-thumbs-dist canvas'),
                     document.getElementById('fb-csat-dist').textContent];",
        )
        .await
            == serde_json::json!([true, true, true, true, "no answers"])
    })
    .await;
    // NPS per day: today's answer is a dot of its own (no line, the days around it
    // have no answers).
    eventually("today's NPS drawn", PATIENCE, || async {
        eval(
            &browser,
            "return spurCharts.points(document.getElementById('fb-trend'));",
        )
        .await
            == serde_json::json!([[day, -100]])
    })
    .await;
    // No widget reported being shown (only answers were sent): no response rate.
    assert_eq!(
        eval(
            &browser,
            "return [].map.call(document.querySelectorAll('#fb-widgets tr'), function (r) {
               return r.cells[4].textContent; });",
        )
        .await,
        serde_json::json!(["—", "—", "—"])
    );
    browser.screenshots("dashboard-feedback").await;
    // The tables as CSV, downloaded from the API with the session.
    browser.click("#fb-csv").await;
    eventually("the feedback CSV", PATIENCE, || async {
        browser.downloads().first().is_some_and(|(_, csv)| {
            String::from_utf8_lossy(csv).contains("touchpoint,after-delivery,1,-100")
        })
    })
    .await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    let shown = eval(
        &browser,
        "var c = document.getElementById('fb-comments');
         return [c.querySelector('.fb-comment-text').textContent,
                 c.querySelectorAll('script, img').length, window.pwned === undefined,
                 document.getElementById('fb-widgets').rows.length];",
    )
    .await;
    assert_eq!(shown, serde_json::json!([COMMENT, 0, true, 3]));
    browser.close().await;
}

/// Flushes the tracker (where the page has one) until the stored answers are
/// `expected` (then compared, so a difference shows).
async fn wait_for_answers(server: &Server, browser: &Browser, expected: &Value) {
    let start = Instant::now();
    while serde_json::to_value(answers(server)).unwrap() != *expected && start.elapsed() < PATIENCE
    {
        eval(browser, "window.spur && spur.flush();").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(serde_json::to_value(answers(server)).unwrap(), *expected);
}

/// The tracker fetches the widget module only when a page needs it: not for a page
/// without widgets, and as soon as that page calls `spur.feedback`.
#[tokio::test]
async fn the_widget_module_is_fetched_only_when_a_page_needs_it() {
    let server = Server::start().await;
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>plain</title>
<script async src="/spur.js" data-site="demo" data-api="{api}"></script></head>
<body data-touchpoint="plain-page"><p>No widgets here.</p></body></html>"#,
        api = server.url("")
    );
    let pages = Pages::start(vec![Page::new("/plain.html", html)]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&pages.url("/plain.html"))
        .await
        .unwrap();
    let fetched = "return performance.getEntriesByType('resource')
        .map(function (e) { return new URL(e.name).pathname; })
        .filter(function (p) { return p.indexOf('/spur') === 0; }).sort();";
    // The page view arrives: the tracker is running.
    eventually("the page view", PATIENCE, || async {
        let reply = server.get("/api/v1/reports/touchpoints?site=demo").await;
        String::from_utf8_lossy(&reply.body).contains("plain-page")
    })
    .await;
    assert_eq!(
        eval(&browser, fetched).await,
        serde_json::json!(["/spur.js"])
    );
    eval(
        &browser,
        "spur.feedback({kind: 'thumbs', touchpoint: 'late-question'}); return true;",
    )
    .await;
    eventually("the popover", PATIENCE, || async {
        eval(
            &browser,
            "return [].some.call(document.body.children, function (e) { return !!e.shadowRoot; });",
        )
        .await
            == true
    })
    .await;
    assert_eq!(
        eval(&browser, fetched).await,
        serde_json::json!(["/spur-widgets.js", "/spur.js"])
    );
    browser.close().await;
}
