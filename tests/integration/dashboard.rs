//! The dashboard's journey views in a real headless Chromium, on a seeded dataset: the
//! Sankey shows what the `transitions` report says, and clicking one of its nodes with the
//! mouse explores forward from that touchpoint as the `explore` report does.

use std::time::Duration;

use serde_json::{Value, json};
use spur_tests::Server;
use spur_tests::browser::{Browser, eval, eventually};

const PATIENCE: Duration = Duration::from_secs(30);

/// Eight visitors (each with the first-party id that comes with consent), an hour apart,
/// over three paths: landing → product → cart (×4), landing → product → faq (×2),
/// landing → blog (×2).
async fn seed(server: &Server) {
    let now = jiff::Timestamp::now().as_millisecond();
    let paths: [&[&str]; 3] = [
        &["landing", "product", "cart"],
        &["landing", "product", "faq"],
        &["landing", "blog"],
    ];
    for (n, path) in [0, 0, 0, 0, 1, 1, 2, 2]
        .iter()
        .map(|&i| paths[i])
        .enumerate()
    {
        let start = now - 3_600_000 * (n as i64 + 1);
        let events: Vec<Value> = path
            .iter()
            .enumerate()
            .map(|(i, touchpoint)| {
                json!({
                    "id": format!("dash-{n:02}-{i:02}-00000000000"),
                    "ts": start + 1000 * i as i64,
                    "type": "pageview",
                    "url": format!("https://shop.example/demo/{touchpoint}.html"),
                    "name": touchpoint,
                    "stage": match *touchpoint {
                        "landing" | "blog" => "awareness",
                        "product" | "faq" => "consideration",
                        _ => "purchase",
                    },
                })
            })
            .collect();
        let batch = json!({
            "v": 1, "site": "demo", "sent_at": now,
            "uid": format!("dashboard-visitor-{n:02}"),
            "events": events,
        });
        let reply = server.post_events("text/plain", batch.to_string()).await;
        assert_eq!(reply.json()["accepted"], path.len(), "{:?}", reply.json());
    }
}

/// Yesterday and today (the seeded sessions reach eight hours back), as query parameters.
fn range() -> String {
    let yesterday =
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24)).strftime("%Y-%m-%d");
    format!("site=demo&from={yesterday}&to={}", spur_tests::today())
}

/// A browser signed in as the marketer.
async fn signed_in(server: &Server) -> Browser {
    let browser = Browser::start().await;
    browser
        .sign_in(&server.url(""), spur_tests::MARKETER, spur_tests::PASSWORD)
        .await;
    browser
}

#[tokio::test]
async fn the_sankey_shows_the_transitions_and_a_clicked_node_explores_from_it() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let transitions = server
        .get(&format!(
            "/api/v1/reports/transitions?{range}&steps=5&top=6"
        ))
        .await
        .json();
    let explore = server
        .get(&format!(
            "/api/v1/reports/explore?{range}&start=product&direction=forward&steps=3&top=5"
        ))
        .await
        .json();
    assert_eq!(
        explore["steps"][0]["top"][0]["touchpoint"], "cart",
        "{explore}"
    );

    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!("/?{range}")))
        .await
        .unwrap();
    eventually("the Sankey", PATIENCE, || async {
        eval(
            &browser,
            "return !!window.spurCharts && !!spurCharts.nodeCentre(document.getElementById('flow'), 'product', 1);",
        )
        .await
            == true
    })
    .await;
    // The chart's nodes are the report's nodes: (step, label, value).
    let drawn = eval(
        &browser,
        "return spurCharts.nodes(document.getElementById('flow'));",
    )
    .await;
    let expected: Vec<Value> = transitions["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| json!([n["step"], n["label"], n["value"]]))
        .collect();
    assert_eq!(drawn, Value::Array(expected));

    browser.screenshots("dashboard-journeys").await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());

    // A real mouse click on the "product" node of step 2 (index 1).
    let at = eval(
        &browser,
        "var el = document.getElementById('flow');
         el.scrollIntoView({block: 'center'});
         var c = spurCharts.nodeCentre(el, 'product', 1);
         var b = el.getBoundingClientRect();
         return [b.left + c[0], b.top + c[1]];",
    )
    .await;
    let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    browser.click_at(x, y).await;
    let sessions = explore["sessions"].as_u64().unwrap();
    explore_title_becomes(
        &browser,
        "exploring from product",
        format!("After “product” ({sessions} sessions)"),
    )
    .await;
    let first_step = eval(
        &browser,
        "return [].map.call(document.querySelectorAll('#explore-steps li:first-child .chip'),
           function (c) { return c.firstChild.textContent; });",
    )
    .await;
    let expected: Vec<Value> = explore["steps"][0]["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["touchpoint"].clone())
        .chain(
            (explore["steps"][0]["end"].as_u64().unwrap_or(0) > 0)
                .then(|| json!(format!("ended {}", explore["steps"][0]["end"]))),
        )
        .collect();
    assert_eq!(first_step, Value::Array(expected));

    // And backwards: where the sessions came from before "product".
    let before = server
        .get(&format!(
            "/api/v1/reports/explore?{range}&start=product&direction=backward&steps=3&top=5"
        ))
        .await
        .json();
    browser.click("#explore-backward").await;
    let sessions = before["sessions"].as_u64().unwrap();
    explore_title_becomes(
        &browser,
        "exploring back from product",
        format!("Before “product” ({sessions} sessions)"),
    )
    .await;
    let first_step = eval(
        &browser,
        "return [].map.call(document.querySelectorAll('#explore-steps li:first-child .chip'),
           function (c) { return c.firstChild.textContent; });",
    )
    .await;
    assert_eq!(
        before["steps"][0]["top"][0]["touchpoint"], "landing",
        "{before}"
    );
    assert_eq!(first_step[0], "landing");

    // The same without the mouse (the chart's touchpoints as a list), on the German page,
    // whose translated heading once made the answer look stale.
    browser
        .client
        .goto(&server.url(&format!("/?{range}&lang=de")))
        .await
        .unwrap();
    eventually("the touchpoints to explore from", PATIENCE, || async {
        eval(
            &browser,
            "var s = document.getElementById('explore-from');
             return [].some.call(s.options, function (o) { return o.value === 'product'; });",
        )
        .await
            == true
    })
    .await;
    eval(
        &browser,
        "var s = document.getElementById('explore-from'); s.focus(); s.value = 'product';
         s.dispatchEvent(new Event('change')); return 1;",
    )
    .await;
    let sessions = explore["sessions"].as_u64().unwrap();
    explore_title_becomes(
        &browser,
        "exploring from product, in German",
        format!("Nach „product“ ({sessions} Sitzungen)"),
    )
    .await;
    browser.close().await;
}

/// Waits until the heading of "explore from a touchpoint" under the Sankey is `expected`.
async fn explore_title_becomes(browser: &Browser, what: &str, expected: String) {
    eventually(what, PATIENCE, || async {
        eval(
            browser,
            "return document.getElementById('explore-title').textContent;",
        )
        .await
            == expected
    })
    .await;
}

/// The journeys page takes the reports' filters from the URL, shows them in its form and
/// applies them to the paths and the Sankey.
#[tokio::test]
async fn the_journeys_page_applies_the_filters_in_its_url() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let all = server
        .get(&format!("/api/v1/reports/paths?{range}"))
        .await
        .json();
    let carts = server
        .get(&format!("/api/v1/reports/paths?{range}&segment=cart"))
        .await
        .json();
    assert_eq!((&all["total"], &carts["total"]), (&json!(8), &json!(4)));

    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!("/?{range}&segment=cart")))
        .await
        .unwrap();
    eventually("the segment's paths", PATIENCE, || async {
        eval(
            &browser,
            "return [document.getElementById('stat-sessions').textContent,
                     document.getElementById('segment').value];",
        )
        .await
            == json!(["4", "cart"])
    })
    .await;
    eventually("the segment's Sankey", PATIENCE, || async {
        eval(
            &browser,
            "var n = window.spurCharts && spurCharts.nodes(document.getElementById('flow'));
             return n && n.filter(function (x) { return x[0] === 0; }).map(function (x) { return x[2]; });",
        )
        .await
            == json!([4])
    })
    .await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

/// The overview shows the `overview` report's totals, and the stages at a glance.
#[tokio::test]
async fn the_overview_shows_the_totals() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let api = server
        .get(&format!("/api/v1/reports/overview?{range}"))
        .await
        .json();
    assert_eq!(
        (&api["totals"]["visitors"], &api["totals"]["sessions"]),
        (&json!(8), &json!(8)),
        "{api}"
    );
    let per_day: u64 = api["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["sessions"].as_u64().unwrap())
        .sum();
    assert_eq!(per_day, 8, "{api}");

    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!("/dashboard/overview.html?{range}")))
        .await
        .unwrap();
    eventually("the key figures", PATIENCE, || async {
        eval(
            &browser,
            "return ['visitors', 'sessions'].map(function (k) {
               return document.querySelector('[data-kpi=' + k + '] .stat-value').textContent; });",
        )
        .await
            == json!(["8", "8"])
    })
    .await;
    eventually("the stages at a glance", PATIENCE, || async {
        eval(
            &browser,
            "return !!window.spurCharts && !!echartsReady();
             function echartsReady() { return document.querySelector('#overview-stages canvas'); }",
        )
        .await
            == true
    })
    .await;
    // Every request answered: the page no longer says it is loading.
    assert_eq!(
        eval(
            &browser,
            "return [document.querySelector('main').getAttribute('aria-busy'), document.body.classList.contains('loading')];"
        )
        .await,
        json!(["false", false])
    );
    browser.screenshots("dashboard-overview").await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

/// The site, the range and the filters chosen on one page hold on the next one reached
/// through the navigation, also after the page changed them; a page opened without a
/// range shows the last 30 days, as every other page does.
#[tokio::test]
async fn the_range_and_the_filters_carry_from_page_to_page() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let yesterday =
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24)).strftime("%Y-%m-%d");
    let days_ago = |n: i64| {
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * n))
            .strftime("%Y-%m-%d")
            .to_string()
    };
    let today = spur_tests::today();
    let view =
        "return [location.pathname].concat(['site', 'from', 'to', 'channel'].map(function (n) {
                  return document.querySelector('main form [name=' + n + ']').value; }));";

    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!("/dashboard/overview.html?{range}&channel=direct")))
        .await
        .unwrap();
    eventually("the overview's figures", PATIENCE, || async {
        eval(
            &browser,
            "return document.querySelector('[data-kpi=visitors] .stat-value').textContent;",
        )
        .await
            == json!("8")
    })
    .await;
    // The overview's own link to the Stages page, then the top bar's.
    assert_eq!(
        eval(
            &browser,
            "return document.querySelector('main a[href^=\"/dashboard/report.html?report=stages\"]').getAttribute('href');",
        )
        .await,
        json!(format!("/dashboard/report.html?report=stages&{range}&channel=direct"))
    );
    browser
        .click(".topnav a[href^='/dashboard/report.html?report=stages']")
        .await;
    eventually(
        "the stages page with the overview's view",
        PATIENCE,
        || async {
            eval(&browser, view).await
                == json!([
                    "/dashboard/report.html",
                    "demo",
                    yesterday.to_string(),
                    today,
                    "direct"
                ])
        },
    )
    .await;

    // A quick range chosen here goes on with the next link.
    browser
        .click("main form .presets button:nth-of-type(2)")
        .await;
    eventually("the last 7 days in the address", PATIENCE, || async {
        eval(
            &browser,
            "return new URLSearchParams(location.search).get('from');",
        )
        .await
            == json!(days_ago(6))
    })
    .await;
    browser
        .click(".topnav a[href^='/dashboard/feedback.html']")
        .await;
    eventually(
        "the feedback page with the stages page's view",
        PATIENCE,
        || async {
            eval(&browser, view).await
                == json!([
                    "/dashboard/feedback.html",
                    "demo",
                    days_ago(6),
                    today,
                    "direct"
                ])
        },
    )
    .await;

    // Without a range in its address, a page shows the last 30 days.
    for page in ["/", "/dashboard/overview.html", "/dashboard/funnels.html"] {
        browser.client.goto(&server.url(page)).await.unwrap();
        eventually(&format!("{page}: the last 30 days"), PATIENCE, || async {
            eval(
                &browser,
                "return ['from', 'to'].map(function (n) {
                   return document.querySelector('main form [name=' + n + ']').value; });",
            )
            .await
                == json!([days_ago(29), today])
        })
        .await;
    }
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

/// A funnel built by clicking touchpoints shows what the `funnel` report says.
#[tokio::test]
async fn a_funnel_built_by_clicking_shows_the_report() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let api = server
        .get(&format!(
            "/api/v1/reports/funnel?{range}&steps=landing,product,cart&window=86400"
        ))
        .await
        .json();

    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!("/dashboard/funnels.html?{range}")))
        .await
        .unwrap();
    eventually("the touchpoints to pick from", PATIENCE, || async {
        eval(
            &browser,
            "return document.querySelectorAll('#funnel-touchpoints [data-touchpoint]').length;",
        )
        .await
            == 5
    })
    .await;
    for touchpoint in ["landing", "product", "cart"] {
        browser
            .click(&format!(
                "#funnel-touchpoints [data-touchpoint=\"{touchpoint}\"]"
            ))
            .await;
    }
    browser.click("#show-funnel").await;
    let rows = "return [].map.call(document.querySelectorAll('#funnel-body tr'), function (r) {
                  return [r.cells[0].textContent, r.cells[1].textContent, r.cells[4].textContent];
                });";
    let expected: Vec<Value> = api["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!([
                format!("{}. {}", i + 1, s["touchpoint"].as_str().unwrap()),
                s["visitors"].to_string(),
                s["dropped"].to_string()
            ])
        })
        .collect();
    eventually("the funnel", PATIENCE, || async {
        eval(&browser, rows).await == Value::Array(expected.clone())
    })
    .await;
    assert_eq!(expected[2][1], "4", "{api}");
    // Where the drop-offs went, drawn: per step left after, a segment per destination
    // of the report's `next_after_drop` (and "other"), adding up to `dropped`.
    let mut expected_segments = Vec::new();
    for (i, step) in api["steps"].as_array().unwrap().iter().enumerate() {
        let row = format!("after {}. {}", i + 1, step["touchpoint"].as_str().unwrap());
        let next = &step["next_after_drop"];
        let mut sum = next["other"]["count"].as_u64().unwrap();
        for t in next["top"].as_array().unwrap() {
            expected_segments.push((
                row.clone(),
                t["touchpoint"].as_str().unwrap().to_owned(),
                t["count"].as_u64().unwrap(),
            ));
            sum += t["count"].as_u64().unwrap();
        }
        if next["other"]["count"].as_u64().unwrap() > 0 {
            expected_segments.push((
                row,
                "other".to_owned(),
                next["other"]["count"].as_u64().unwrap(),
            ));
        }
        assert_eq!(sum, step["dropped"].as_u64().unwrap(), "{step}");
    }
    assert!(!expected_segments.is_empty(), "{api}");
    expected_segments.sort();
    let drawn = eval(
        &browser,
        "return spurCharts.segments(document.getElementById('funnel-dropoffs'));",
    )
    .await;
    let mut drawn: Vec<(String, String, u64)> = serde_json::from_value(drawn).unwrap();
    drawn.sort();
    assert_eq!(drawn, expected_segments);
    // The view is in the URL, to be shared.
    let url = browser.client.current_url().await.unwrap();
    assert!(
        url.as_str().contains("steps=landing%2Cproduct%2Ccart"),
        "{url}"
    );
    browser.screenshots("dashboard-funnels").await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());

    // The table as CSV, downloaded: one line per step with the report's numbers.
    browser.click("#funnel-csv").await;
    eventually("the CSV download", PATIENCE, || async {
        browser
            .downloads()
            .first()
            .is_some_and(|(_, bytes)| !bytes.is_empty())
    })
    .await;
    let (name, bytes) = browser.downloads().remove(0);
    assert_eq!(
        name,
        format!(
            "spur-funnel_demo_{}_{}.csv",
            &range["site=demo&from=".len().."site=demo&from=".len() + 10],
            spur_tests::today()
        )
    );
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("step,touchpoint,visitors,conversion,step_conversion,dropped,median_ms_from_previous")
    );
    for (i, step) in api["steps"].as_array().unwrap().iter().enumerate() {
        let line = lines.next().unwrap();
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0], (i + 1).to_string(), "{line}");
        assert_eq!(fields[1], step["touchpoint"], "{line}");
        assert_eq!(fields[2], step["visitors"].to_string(), "{line}");
        assert_eq!(fields[5], step["dropped"].to_string(), "{line}");
    }

    // Steps nobody reached: the API writes their shares as 0, the page as "—" where the
    // step before had nobody either (0 of 0 is no share).
    browser
        .client
        .goto(&server.url(&format!(
            "/dashboard/funnels.html?{range}&steps=landing,faq,blog,cart&window=86400"
        )))
        .await
        .unwrap();
    let shares = "return [].map.call(document.querySelectorAll('#funnel-body tr'), function (r) {
                    return [r.cells[1].textContent, r.cells[3].textContent];
                  });";
    eventually(
        "the shares of a funnel with empty steps",
        PATIENCE,
        || async {
            eval(&browser, shares).await
                == json!([["8", "100%"], ["2", "25%"], ["0", "0%"], ["0", "—"]])
        },
    )
    .await;
    browser.close().await;
}

/// The Stages, Touchpoints and Channels pages show the API's rows, and sort on a click.
#[tokio::test]
async fn the_report_pages_show_what_the_api_returns() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let browser = signed_in(&server).await;
    let first_columns = "return [].map.call(document.querySelectorAll('#report-body tr'),
        function (r) { return [r.cells[0].textContent, r.cells[1].textContent]; });";
    for (page, query, rows, key, measure) in [
        ("stages", "", "stages", "stage", "visitors"),
        ("touchpoints", "", "touchpoints", "touchpoint", "visitors"),
        (
            "channels",
            "&model=position",
            "channels",
            "channel",
            "sessions",
        ),
    ] {
        let api = server
            .get(&format!("/api/v1/reports/{page}?{range}{query}"))
            .await
            .json();
        // Stages and channels are shown by name ("awareness" as "Awareness"), touchpoints
        // as the site named them.
        let shown = |name: &str| match page {
            "touchpoints" => name.to_owned(),
            _ => name[..1].to_uppercase() + &name[1..],
        };
        let expected: Vec<Value> = api[rows]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!([shown(r[key].as_str().unwrap()), r[measure].to_string()]))
            .collect();
        assert!(!expected.is_empty(), "{page}: {api}");
        browser
            .client
            .goto(&server.url(&format!(
                "/dashboard/report.html?report={page}&{range}{query}"
            )))
            .await
            .unwrap();
        eventually(&format!("the {page} table"), PATIENCE, || async {
            eval(&browser, first_columns).await == Value::Array(expected.clone())
        })
        .await;
        browser.screenshots(&format!("dashboard-{page}")).await;
        assert_eq!(
            browser.console_errors().await,
            Vec::<String>::new(),
            "{page}"
        );
    }
    // Touchpoints sorted by visitors, fewest first after two clicks on the header.
    browser
        .client
        .goto(&server.url(&format!(
            "/dashboard/report.html?report=touchpoints&{range}"
        )))
        .await
        .unwrap();
    eventually("the touchpoints table", PATIENCE, || async {
        eval(
            &browser,
            "return document.querySelectorAll('#report-body tr').length;",
        )
        .await
            == 5
    })
    .await;
    browser.click("#report-head th:nth-child(2) button").await;
    browser.click("#report-head th:nth-child(2) button").await;
    let visitors = eval(
        &browser,
        "return [].map.call(document.querySelectorAll('#report-body tr'),
           function (r) { return Number(r.cells[1].textContent); });",
    )
    .await;
    let mut sorted: Vec<u64> = visitors
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let shown = sorted.clone();
    sorted.sort_unstable();
    assert_eq!(shown, sorted);
    assert_ne!(shown.first(), shown.last(), "{shown:?}");

    // A quick range sets both dates, and the view (in the URL) follows.
    browser.click(".presets button:last-of-type").await;
    let from = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(89 * 24))
        .strftime("%Y-%m-%d")
        .to_string();
    eventually("the last 90 days", PATIENCE, || async {
        let url = browser.client.current_url().await.unwrap();
        url.query()
            .unwrap_or_default()
            .contains(&format!("from={from}"))
    })
    .await;
    browser.close().await;
}

/// Referrals: a customer shares a code, another arrives through it and buys; the page
/// lists the code, and its sharer's link opens their timeline.
#[tokio::test]
async fn referrals_link_to_the_sharers_timeline() {
    let server = Server::start().await;
    let now = jiff::Timestamp::now().as_millisecond();
    let shop = "https://shop.example/demo";
    for (uid, events) in [
        (
            "dashboard-sharer-0001",
            json!([
                { "id": "ref-a-0000000000000001", "ts": now - 60_000, "type": "pageview",
                  "url": format!("{shop}/account.html"), "name": "account" },
                { "id": "ref-a-0000000000000002", "ts": now - 50_000, "type": "custom",
                  "url": format!("{shop}/account.html"), "name": "share",
                  "props": { "code": "anna-k3" } },
            ]),
        ),
        (
            "dashboard-friend-0002",
            json!([
                { "id": "ref-b-0000000000000001", "ts": now - 40_000, "type": "pageview",
                  "url": format!("{shop}/?spur_ref=anna-k3"), "name": "landing" },
                { "id": "ref-b-0000000000000002", "ts": now - 30_000, "type": "pageview",
                  "url": format!("{shop}/checkout.html"), "name": "purchase" },
            ]),
        ),
    ] {
        let batch = json!({ "v": 1, "site": "demo", "sent_at": now, "uid": uid, "events": events });
        let reply = server.post_events("text/plain", batch.to_string()).await;
        assert_eq!(reply.json()["accepted"], 2, "{:?}", reply.json());
    }
    let day = spur_tests::today();
    let range = format!("site=demo&from={day}&to={day}");
    let api = server
        .get(&format!("/api/v1/reports/referrals?{range}"))
        .await
        .json();
    let owner = api["codes"][0]["owner"].as_str().unwrap().to_owned();
    assert_eq!(
        (&api["codes"][0]["code"], &api["codes"][0]["arrivals"]),
        (&json!("anna-k3"), &json!(1)),
        "{api}"
    );

    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!("/dashboard/report.html?report=referrals&{range}")))
        .await
        .unwrap();
    eventually("the referrals table", PATIENCE, || async {
        eval(
            &browser,
            "var r = document.querySelector('#report-body tr');
             return r ? [r.cells[0].textContent, r.cells[1].textContent, r.cells[2].textContent] : null;",
        )
        .await
            == json!(["anna-k3", owner, "1"])
    })
    .await;
    browser.screenshots("dashboard-referrals").await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());

    browser.click("#report-body tr a").await;
    let visitor = server
        .get(&format!("/api/v1/reports/visitor?site=demo&id={owner}"))
        .await
        .json();
    let touches: Vec<Value> = visitor["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["touches"].as_array().unwrap().iter())
        .map(|t| t["touchpoint"].clone())
        .collect();
    assert_eq!(touches, [json!("account"), json!("share")], "{visitor}");
    eventually("the sharer's timeline", PATIENCE, || async {
        eval(
            &browser,
            "return [].map.call(document.querySelectorAll('.timeline-touch .chip:not(.chip-muted)'),
               function (c) { return c.textContent; });",
        )
        .await
            == Value::Array(touches.clone())
    })
    .await;
    // Each touch's kind by its name: the page view, then the custom event.
    assert_eq!(
        eval(
            &browser,
            "return [].map.call(document.querySelectorAll('.timeline-kind'), function (k) { return k.textContent; });",
        )
        .await,
        json!(["Page view", "Event"])
    );
    browser.screenshots("dashboard-visitor").await;
    browser.click("#visitor-csv").await;
    eventually("the timeline as CSV", PATIENCE, || async {
        browser
            .downloads()
            .first()
            .is_some_and(|(_, csv)| String::from_utf8_lossy(csv).contains("share"))
    })
    .await;
    // Without a visitor there is nothing to export: no button (a hidden `.btn` showed,
    // and downloaded an error).
    browser
        .client
        .goto(&server.url("/dashboard/visitor.html"))
        .await
        .unwrap();
    assert_eq!(
        eval(
            &browser,
            "return getComputedStyle(document.getElementById('visitor-csv')).display;"
        )
        .await,
        json!("none")
    );
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

/// In German (`?lang=de`, remembered), the pages speak German, numbers are written the
/// German way, and what the sites sent stays as it was.
#[tokio::test]
async fn the_dashboard_speaks_german() {
    let server = Server::start().await;
    seed(&server).await;
    let range = range();
    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!(
            "/dashboard/funnels.html?{range}&steps=landing,product&lang=de"
        )))
        .await
        .unwrap();
    eventually("the German funnel", PATIENCE, || async {
        eval(
            &browser,
            "var s = document.getElementById('funnel-summary');
             return [document.querySelector('h1').textContent, s && s.textContent,
                     document.querySelector('#funnel-body td') && document.querySelector('#funnel-body td').textContent];",
        )
        .await
            == json!([
                "Trichter",
                "8 Besucher traten in den Trichter ein; 6 erreichten den letzten Schritt.",
                "1. landing"
            ])
    })
    .await;
    // Remembered: the next page is German without asking.
    browser
        .client
        .goto(&server.url(&format!("/dashboard/report.html?report=stages&{range}")))
        .await
        .unwrap();
    eventually("the German stages", PATIENCE, || async {
        eval(
            &browser,
            "var b = document.querySelector('#report-body tr');
             return [document.documentElement.lang, document.querySelector('#report-head th') && document.querySelector('#report-head th').textContent,
                     b && b.cells[0].textContent, b && b.cells[2].textContent];",
        )
        .await
            == json!(["de", "Phase", "Aufmerksamkeit", "—"])
    })
    .await;
    browser.screenshots("dashboard-stages-de").await;
    // The attribution model by its name in the form, in German too.
    browser
        .client
        .goto(&server.url(&format!(
            "/dashboard/report.html?report=channels&{range}&model=first"
        )))
        .await
        .unwrap();
    eventually("the German channels", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('report-summary') && document.getElementById('report-summary').textContent;",
        )
        .await
            == json!("Attributionsmodell: Erster Kontakt.")
    })
    .await;
    // The referrals page: its description and its summary in German.
    browser
        .client
        .goto(&server.url(&format!("/dashboard/report.html?report=referrals&{range}")))
        .await
        .unwrap();
    eventually("the German referrals", PATIENCE, || async {
        eval(
            &browser,
            "return [document.getElementById('report-description').textContent,
                     document.getElementById('report-summary').textContent];",
        )
        .await
            == json!([
                "Empfehlungen, die Kunden brachten: Codes aus geteilten Links (?spur_ref=), wer sie teilte, wie viele Besucher über jeden kamen und wie viele davon konvertierten. Klicken Sie auf eine teilende Person, um ihre Journey zu sehen.",
                "0 geteilte Codes · längste Kette 0 Empfehlungen tief · 0 neue Besucher pro Empfehlendem"
            ])
    })
    .await;
    // German labels are longer: every button of every form still holds its label.
    for page in [
        "/dashboard/feedback.html?site=demo",
        "/dashboard/overview.html?site=demo",
        "/dashboard/report.html?report=touchpoints&site=demo",
        "/dashboard/funnels.html?site=demo",
        "/?site=demo",
    ] {
        browser.client.goto(&server.url(page)).await.unwrap();
        eventually(&format!("{page} in German"), PATIENCE, || async {
            eval(&browser, "return document.documentElement.lang").await == json!("de")
        })
        .await;
        assert_eq!(
            eval(
                &browser,
                "return [].filter.call(document.querySelectorAll('form button'), function (b) {
                   return b.offsetParent && b.scrollWidth > b.clientWidth + 1;
                 }).map(function (b) { return b.textContent.trim(); });"
            )
            .await,
            json!([]),
            "{page}: buttons whose label runs out of them"
        );
    }
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    // The API's own message for a bad query, in German too (after the check of the
    // console, where the browser notes the 404).
    browser
        .client
        .goto(&server.url("/dashboard/report.html?report=stages&site=nope"))
        .await
        .unwrap();
    eventually("the German error", PATIENCE, || async {
        eval(
            &browser,
            "return document.getElementById('report-error-message').textContent;",
        )
        .await
            == json!("Die Website `nope` gibt es nicht")
    })
    .await;
    browser.close().await;
}

/// Experiments: visitors carrying variants, some buying; the page lists each variant
/// with the API's figures and verdict; the touchpoints page shows engagement and
/// friction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_experiments_page_shows_each_variant_with_its_verdict() {
    let server = Server::start().await;
    let now = jiff::Timestamp::now().as_millisecond();
    for n in 0..12u64 {
        let variant = if n % 2 == 0 { "control" } else { "green" };
        let xp = json!({ "xp:checkout": variant });
        let mut events = vec![
            json!({"id": format!("xp-{n:02}-00-000000000000"), "ts": now - 60_000, "type": "pageview",
                   "url": "https://shop.example/demo/", "name": "landing", "props": xp}),
            json!({"id": format!("xp-{n:02}-01-000000000000"), "ts": now - 50_000, "type": "engagement",
                   "url": "https://shop.example/demo/", "name": "landing",
                   "props": {"ms": 4000 + 1000 * n, "scroll": 50, "xp:checkout": variant}}),
        ];
        if n % 3 == 0 {
            events.push(json!({"id": format!("xp-{n:02}-02-000000000000"), "ts": now - 40_000,
                "type": "custom", "url": "https://shop.example/demo/checkout.html", "name": "purchase",
                "props": {"revenue": 20, "xp:checkout": variant}}));
        }
        if n == 5 {
            events.push(
                json!({"id": format!("xp-{n:02}-03-000000000000"), "ts": now - 55_000,
                "type": "friction", "url": "https://shop.example/demo/", "name": "rage-click",
                "props": {"target": "add-to-cart"}}),
            );
        }
        let batch = json!({"v": 1, "site": "demo", "sent_at": now,
            "uid": format!("experiment-visitor-{n:02}"), "events": events});
        let reply = server.post_events("text/plain", batch.to_string()).await;
        assert_eq!(reply.status, 202, "{:?}", reply.json());
    }
    let range = range();
    let api = server
        .get(&format!("/api/v1/reports/experiments?{range}"))
        .await
        .json();
    let variants = &api["experiments"][0]["variants"];
    assert_eq!(variants[0]["visitors"], 6, "{api}");
    let expected: Vec<Value> = variants
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            json!([
                v["variant"],
                v["visitors"].to_string(),
                v["conversions"].to_string()
            ])
        })
        .collect();
    let browser = signed_in(&server).await;
    browser
        .client
        .goto(&server.url(&format!(
            "/dashboard/report.html?report=experiments&{range}"
        )))
        .await
        .unwrap();
    let shown = "return [].map.call(document.querySelectorAll('#report-body tr'), function (r) {
        return [r.cells[1].textContent.replace(' (control)', ''), r.cells[2].textContent, r.cells[3].textContent]; });";
    eventually("the experiments table", PATIENCE, || async {
        eval(&browser, shown).await == Value::Array(expected.clone())
    })
    .await;
    let verdict = eval(
        &browser,
        "return document.querySelector('#report-body tr:last-child td:last-child').textContent",
    )
    .await;
    assert!(
        verdict.as_str().unwrap() == "Not enough data yet",
        "{verdict}"
    );
    let summary = eval(
        &browser,
        "return document.getElementById('report-summary').textContent",
    )
    .await;
    assert!(
        summary
            .as_str()
            .unwrap()
            .contains("checkout: Not enough data yet: green has 6"),
        "{summary}"
    );
    // Only the filters the report takes are offered; the API refuses the others.
    let offered = eval(
        &browser,
        "return ['device', 'channel', 'stage', 'segment'].map(function (id) {
            return !!document.getElementById(id); });",
    )
    .await;
    assert_eq!(offered, json!([true, false, false, false]));
    let refused = server
        .get(&format!(
            "/api/v1/reports/experiments?{range}&channel=email"
        ))
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code().as_str()),
        (400, "invalid_query")
    );
    browser.screenshots("dashboard-experiments").await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());

    // The scorecard's engagement and friction.
    browser
        .client
        .goto(&server.url(&format!(
            "/dashboard/report.html?report=touchpoints&{range}"
        )))
        .await
        .unwrap();
    let landing = "return [].map.call(document.querySelectorAll('#report-body tr'), function (r) {
        return [].map.call(r.cells, function (c) { return c.textContent; }); })
        .filter(function (r) { return r[0] === 'landing'; })[0] || null;";
    eventually("the landing row", PATIENCE, || async {
        !eval(&browser, landing).await.is_null()
    })
    .await;
    let row = eval(&browser, landing).await;
    let cells: Vec<&str> = row
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // Median of 4 … 15 s is 9.5 s (shown rounded); scroll 50 %; one rage click in 12
    // views.
    let touchpoints = server
        .get(&format!("/api/v1/reports/touchpoints?{range}"))
        .await
        .json();
    let health = touchpoints["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["touchpoint"] == "landing")
        .map(|t| t["health"].clone())
        .unwrap();
    assert_eq!(
        (
            &health["median_engaged_ms"],
            &health["median_scroll"],
            &health["rage_clicks"]
        ),
        (&json!(9500), &json!(50), &json!(1)),
        "{health}"
    );
    assert_eq!(
        &cells[cells.len() - 3..],
        ["10 s", "50%", "0.08"],
        "{cells:?}"
    );
    browser.screenshots("dashboard-touchpoints-health").await;
    browser.close().await;
}
