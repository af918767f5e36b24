//! What a page pays for Spur's tracker, next to no tracker and to the npm builds of two
//! peers, in one headless Chromium, on the demo shop's home page.
//!
//! `cargo bench -p spur-tests --bench tracker -- --loads 9 --events 1000`
//!
//! Builds the tracker (`tracker-wasm/build.sh`) and installs the peers from npm into
//! `tests/benches/tracker/` (pinned by its lock file): Plausible's
//! `@plausible-analytics/tracker` (an ES module, imported by the page) and `posthog-js`
//! (`dist/array.js`, the bundle PostHog's snippet loads). Every variant is the same page
//! (`www/demo/index.html`) with its tracker's tags in place of Spur's. The variants take
//! turns, load after load, so that the machine's drift hits them alike; the figures are
//! medians over the loads:
//! - **bytes**: what the page downloads for the tracker, brotli (quality 11);
//! - **ready**: from the tracker's start to its being ready. Spur: from its script's
//!   first act (the `spur:start` mark) to its `spur:ready` mark: the module (which
//!   travels inside spur.js) compiled and instantiated and the tracker started and
//!   listening. Fetching spur.js is not in it (an `async` script is fetched while the
//!   page is parsed), nor the wait for a main thread busy with the page before the
//!   script runs (the summary line gives that wait). Plausible: from a mark before
//!   `import()` of its module to `init` returned; PostHog: from a mark before its script
//!   tag (a classic script, fetched, parsed and run) to its `loaded` callback; both
//!   include fetching their code from this machine.
//! - **script**: the main thread's script time for the whole visit (the load, then
//!   `--events` capture calls and the sends that follow, until the page has been quiet
//!   for the settle time), from the DevTools Protocol's `Performance.getMetrics`
//!   (ScriptDuration), minus the same page without a tracker;
//! - **per event**: the cost of one capture call (`spur.track`, Plausible's `track`,
//!   `posthog.capture`), timed over runs of 100 calls, each run a task of its own and
//!   timed until the microtasks it queued have run (Spur's summary line also gives the
//!   calls alone, without those microtasks: its save of the queue);
//! - **long tasks**: tasks over 50 ms during the visit (a PerformanceObserver);
//! - **requests**: the requests the tracker sent (Resource Timing), which says that it
//!   really captured.
//!
//! Spur's events go to an in-process collector; the peers' to a sink that answers 202.

use std::process::Command;
use std::time::Duration;

use clap::Parser;
use spur_tests::Server;
use spur_tests::browser::{Browser, eval, eventually};
use spur_tests::pages::{Page, Pages};

#[derive(Parser)]
struct Args {
    /// Page loads per variant.
    #[arg(long, default_value_t = 9)]
    loads: usize,
    /// Capture calls per load (in runs of 100).
    #[arg(long, default_value_t = 1000)]
    events: usize,
    /// Milliseconds the page is left alone after the calls, for the trackers' sends.
    #[arg(long, default_value_t = 3500)]
    settle: u64,
    /// Also profiles Spur's capture calls (Chromium's sampling profiler, in one more
    /// load), writes the profile to this file (open it in DevTools' Performance panel)
    /// and prints the functions that took the most time.
    #[arg(long)]
    profile: Option<std::path::PathBuf>,
    /// `cargo bench` passes `--bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One tracker on the demo page.
struct Variant {
    name: &'static str,
    /// The tags that replace Spur's script tag; `{api}` is the collector's origin.
    tags: &'static str,
    /// The Performance marks of its start and of its being ready.
    start: &'static str,
    ready: &'static str,
    /// The files it downloads (served by the benchmark's page server).
    files: &'static [&'static str],
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "no tracker",
        tags: r#"<script>performance.mark("tracker:start"); window.__capture = function () {}; performance.mark("tracker:ready");</script>"#,
        start: "tracker:start",
        ready: "tracker:ready",
        files: &[],
    },
    Variant {
        name: "Spur",
        tags: r#"<script src="/spur.js" data-site="demo" data-api="{api}" async></script>
<script>window.__capture = function (i) { spur.track("bench", { i: i }); };</script>"#,
        start: "spur:start",
        ready: "spur:ready",
        files: &["spur.js"],
    },
    Variant {
        name: "Plausible (npm)",
        tags: r#"<script type="module">
performance.mark("tracker:start");
import("/peers/plausible.js").then(function (plausible) {
  plausible.init({ domain: "demo.example", endpoint: location.origin + "/api/event", captureOnLocalhost: true, logging: false });
  window.__capture = function (i) { plausible.track("bench", { props: { i: String(i) } }); };
  performance.mark("tracker:ready");
});
</script>"#,
        start: "tracker:start",
        ready: "tracker:ready",
        files: &["peers/plausible.js"],
    },
    Variant {
        name: "PostHog (npm)",
        // Its cheapest setup for analytics alone: no flags, recordings, surveys or
        // extra bundles fetched; autocapture and page views on (its defaults). It
        // ignores browsers driven by WebDriver unless told not to.
        tags: r#"<script>performance.mark("tracker:start");</script>
<script src="/peers/posthog.js"></script>
<script>
posthog.init("phc_bench", { api_host: location.origin, opt_out_useragent_filter: true, advanced_disable_flags: true,
  disable_session_recording: true, disable_surveys: true, disable_external_dependency_loading: true,
  loaded: function () { performance.mark("tracker:ready"); } });
window.__capture = function (i) { posthog.capture("bench", { i: i }); };
</script>"#,
        start: "tracker:start",
        ready: "tracker:ready",
        files: &["peers/posthog.js"],
    },
];

/// Goes first in every variant's `<head>`: counts long tasks, keeps every resource's timing.
const PROBE: &str = r#"<script>
window.__longtasks = 0;
performance.setResourceTimingBufferSize(100000);
try {
  new PerformanceObserver(function (list) { window.__longtasks += list.getEntries().length; })
    .observe({ type: "longtask", buffered: true });
} catch (e) {}
</script>"#;

/// What one load of one variant measured.
#[derive(Default, Clone)]
struct Load {
    ready_ms: f64,
    script_ms: f64,
    task_ms: f64,
    per_event_us: f64,
    /// The calls alone, without the microtasks they queued (Spur's save of its queue).
    call_us: f64,
    long_tasks: f64,
    requests: f64,
    /// From the script's arrival to the request for a wasm module, and its fetch.
    /// From the script's arrival to its start (the main thread busy with the page).
    waited_ms: f64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let root = spur_tests::repo_root();
    let run = |what: &str, command: &mut Command| {
        let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(status.success(), "{what} failed: {status}");
    };
    run(
        "tracker-wasm/build.sh",
        Command::new("bash").arg(root.join("tracker-wasm/build.sh")),
    );
    let peers = root.join("tests/benches/tracker");
    if !peers.join("node_modules/posthog-js/package.json").exists()
        || !peers
            .join("node_modules/@plausible-analytics/tracker/package.json")
            .exists()
    {
        run(
            "npm ci (the peers' trackers)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&peers),
        );
    }
    let read = |path: std::path::PathBuf| {
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let served: Vec<(&str, Vec<u8>)> = vec![
        ("spur.js", read(root.join("tracker-wasm/pkg/spur.js"))),
        (
            "peers/plausible.js",
            read(peers.join("node_modules/@plausible-analytics/tracker/plausible.js")),
        ),
        (
            "peers/posthog.js",
            read(peers.join("node_modules/posthog-js/dist/array.js")),
        ),
    ];
    let brotli = |bytes: &[u8]| {
        let mut out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).unwrap();
        out.len()
    };

    // A thousand events a load from one address: no rate limits.
    let server = Server::start_with(|settings| {
        settings.rate_limit_ip = None;
        settings.rate_limit_site = None;
    })
    .await;
    let api = format!("http://{}", server.addr);
    let demo = root.join("www/demo");
    let index = String::from_utf8(read(demo.join("index.html"))).unwrap();
    let spur_tag = r#"<script src="/spur.js" data-site="demo" async></script>"#;
    assert!(
        index.contains(spur_tag),
        "the demo page embeds Spur as expected"
    );
    let mut pages = vec![Page::new(
        "/blank.html",
        "<!doctype html><title>blank</title>".into(),
    )];
    for (i, variant) in VARIANTS.iter().enumerate() {
        let tags = format!("{PROBE}\n{}", variant.tags.replace("{api}", &api));
        pages.push(Page::new(
            &format!("/v{i}.html"),
            index.replace(spur_tag, &tags),
        ));
    }
    for (name, bytes) in &served {
        let kind = "text/javascript";
        // spur.js comes with every Pages server.
        if name.starts_with("peers/") {
            pages.push(Page::file(&format!("/{name}"), kind, bytes.clone()));
        }
    }
    for entry in std::fs::read_dir(&demo)
        .unwrap()
        .chain(std::fs::read_dir(demo.join("img")).unwrap())
    {
        let path = entry.unwrap().path();
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("css") => "text/css",
            Some("js") => "text/javascript",
            Some("svg") => "image/svg+xml",
            _ => continue,
        };
        let name = path
            .strip_prefix(&demo)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        pages.push(Page::file(&format!("/{name}"), kind, read(path.clone())));
    }
    let pages = Pages::start(pages).await;
    let browser = Browser::start().await;

    let mut loads: Vec<Vec<Load>> = vec![Vec::new(); VARIANTS.len()];
    // One warm-up round (the browser's caches and code caches), not counted.
    for round in 0..=args.loads {
        for (i, variant) in VARIANTS.iter().enumerate() {
            let (load, _) = visit(&browser, &pages, i, variant, &args, false).await;
            if round > 0 {
                loads[i].push(load);
            }
        }
        eprint!("\rloads: {round}/{}", args.loads);
    }
    eprintln!();

    let spur_events = server.stored("demo");
    let expected = args.loads.saturating_add(1) * args.events;
    assert!(
        spur_events >= expected,
        "Spur's collector stored {spur_events} events, fewer than the {expected} captured"
    );

    let median = |values: Vec<f64>| {
        let mut values = values;
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let figures: Vec<Load> = loads
        .iter()
        .map(|runs| Load {
            ready_ms: median(runs.iter().map(|l| l.ready_ms).collect()),
            script_ms: median(runs.iter().map(|l| l.script_ms).collect()),
            task_ms: median(runs.iter().map(|l| l.task_ms).collect()),
            per_event_us: median(runs.iter().map(|l| l.per_event_us).collect()),
            call_us: median(runs.iter().map(|l| l.call_us).collect()),
            long_tasks: runs.iter().map(|l| l.long_tasks).fold(0.0, f64::max),
            requests: median(runs.iter().map(|l| l.requests).collect()),
            waited_ms: median(runs.iter().map(|l| l.waited_ms).collect()),
        })
        .collect();
    let chromium = browser.client.clone().capabilities().and_then(|c| {
        c.get("browserVersion")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    });
    println!(
        "\nTracker on the demo shop's home page, headless Chromium {}, medians of {} loads, {} capture calls per load",
        chromium.unwrap_or_default(),
        args.loads,
        args.events
    );
    println!(
        "{:<18} {:>11} {:>9} {:>11} {:>11} {:>13} {:>11} {:>9}",
        "",
        "bytes (br)",
        "ready ms",
        "script ms",
        "tasks ms",
        "per event µs",
        "long tasks",
        "requests"
    );
    let baseline = figures[0].clone();
    for (variant, figure) in VARIANTS.iter().zip(&figures) {
        let bytes: usize = variant
            .files
            .iter()
            .map(|f| brotli(&served.iter().find(|(n, _)| n == f).unwrap().1))
            .sum();
        let versus = |value: f64, base: f64| {
            if variant.files.is_empty() {
                format!("({value:.1})")
            } else {
                format!("{:+.1}", value - base)
            }
        };
        println!(
            "{:<18} {:>11} {:>9.1} {:>11} {:>11} {:>13.1} {:>11} {:>9}",
            variant.name,
            bytes,
            figure.ready_ms,
            versus(figure.script_ms, baseline.script_ms),
            versus(figure.task_ms, baseline.task_ms),
            figure.per_event_us,
            figure.long_tasks,
            figure.requests
        );
    }
    let spur = &figures[1];
    println!(
        "Spur: its script ran {:.1} ms after it arrived (the main thread busy with the page); a capture call alone (without saving the queue at the end of its task) took {:.1} µs",
        spur.waited_ms, spur.call_us
    );
    println!(
        "script, tasks: the main thread's script and task time for the visit, minus the page without a tracker (whose own figures are in brackets); long tasks: the most in any load"
    );
    if let Some(path) = &args.profile {
        let (_, profile) = visit(&browser, &pages, 1, &VARIANTS[1], &args, true).await;
        let profile = profile.expect("a profile");
        std::fs::write(path, profile.to_string()).unwrap();
        println!(
            "\nSpur's capture calls, sampled every 50 µs (whole profile in {}):",
            path.display()
        );
        for (function, share) in top_functions(&profile, 15) {
            println!("{share:>6.1} %  {function}");
        }
    }
    browser.close().await;
}

/// One visit of one variant: load, wait for ready, capture, settle, read the figures.
/// With `profiling`, the capture calls run under the sampling profiler, and the visit
/// returns its profile instead of figures.
async fn visit(
    browser: &Browser,
    pages: &Pages,
    index: usize,
    variant: &Variant,
    args: &Args,
    profiling: bool,
) -> (Load, Option<serde_json::Value>) {
    let client = &browser.client;
    // The previous visit ends (its page hides and unloads) on a blank page; the
    // metrics count from the new document on.
    client.goto(&pages.url("/blank.html")).await.unwrap();
    browser
        .cdp("Performance.enable", serde_json::json!({}))
        .await;
    client
        .goto(&pages.url(&format!("/v{index}.html")))
        .await
        .unwrap();
    let (start, ready) = (variant.start, variant.ready);
    eventually(
        &format!("{} to be ready", variant.name),
        Duration::from_secs(20),
        || async move {
            eval(
                browser,
                &format!("return performance.getEntriesByName({ready:?}).length > 0;"),
            )
            .await
                == serde_json::json!(true)
        },
    )
    .await;
    // Runs of 100 calls, each in a task of its own; a run ends after the microtasks it
    // queued (a promise callback queued after the calls runs after them), so the work a
    // tracker defers to the end of the task counts too.
    if profiling {
        browser.cdp("Profiler.enable", serde_json::json!({})).await;
        browser
            .cdp(
                "Profiler.setSamplingInterval",
                serde_json::json!({ "interval": 50 }),
            )
            .await;
        browser.cdp("Profiler.start", serde_json::json!({})).await;
    }
    let per_call = browser
        .client
        .execute_async(
            &format!(
                "var done = arguments[arguments.length - 1], runs = [], calls = [], n = 0;
                 var median = function (a) {{
                   a.sort(function (x, y) {{ return x - y; }});
                   return a[Math.floor(a.length / 2)];
                 }};
                 function run() {{
                   var t = performance.now();
                   for (var k = 0; k < 100; k++) window.__capture(n++);
                   calls.push((performance.now() - t) * 1000 / 100);
                   Promise.resolve().then(function () {{
                     runs.push((performance.now() - t) * 1000 / 100);
                     if (n < {events}) return setTimeout(run, 0);
                     done([median(runs), median(calls)]);
                   }});
                 }}
                 run();",
                events = args.events
            ),
            vec![],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(args.settle)).await;
    if profiling {
        let profile = browser.cdp("Profiler.stop", serde_json::json!({})).await;
        return (Load::default(), Some(profile["profile"].clone()));
    }
    let after = busy_seconds(browser).await;
    let page = eval(
        browser,
        &format!(
            "var start = performance.getEntriesByName({start:?})[0].startTime;
             var ready = performance.getEntriesByName({ready:?})[0].startTime;
             var arrived = performance.getEntriesByType('resource').filter(function (r) {{
               return /spur[.]js/.test(r.name);
             }})[0];
             var sent = performance.getEntriesByType('resource').filter(function (r) {{
               return ['fetch', 'xmlhttprequest', 'beacon'].indexOf(r.initiatorType) >= 0;
             }}).length;
             return [ready - start, window.__longtasks, sent, arrived ? start - arrived.responseEnd : 0];"
        ),
    )
    .await;
    let load = Load {
        ready_ms: page[0].as_f64().unwrap(),
        script_ms: after[0] * 1000.0,
        task_ms: after[1] * 1000.0,
        per_event_us: per_call[0].as_f64().unwrap(),
        call_us: per_call[1].as_f64().unwrap(),
        long_tasks: page[1].as_f64().unwrap(),
        requests: page[2].as_f64().unwrap(),
        waited_ms: page[3].as_f64().unwrap(),
    };
    (load, None)
}

/// The functions with the most self time in a `Profiler.stop` profile, with their
/// share of the samples.
fn top_functions(profile: &serde_json::Value, n: usize) -> Vec<(String, f64)> {
    let nodes = profile["nodes"].as_array().unwrap();
    let mut hits: std::collections::HashMap<String, u64> = Default::default();
    let mut total = 0;
    for node in nodes {
        let frame = &node["callFrame"];
        let name = match frame["functionName"].as_str() {
            Some("") | None => "(anonymous)",
            Some(name) => name,
        };
        let url = frame["url"].as_str().unwrap_or("");
        let file = url.rsplit('/').next().unwrap_or("");
        let key = if file.is_empty() {
            name.to_owned()
        } else {
            format!("{name} ({file})")
        };
        let count = node["hitCount"].as_u64().unwrap_or(0);
        if !matches!(name, "(idle)" | "(program)" | "(garbage collector)") {
            total += count;
        }
        *hits.entry(key).or_default() += count;
    }
    let mut hits: Vec<(String, u64)> = hits
        .into_iter()
        .filter(|(k, _)| !k.starts_with("(idle)") && !k.starts_with("(program)"))
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.1));
    hits.into_iter()
        .take(n)
        .map(|(k, c)| (k, c as f64 * 100.0 / total.max(1) as f64))
        .collect()
}

/// The renderer's main-thread script and task time so far, in seconds.
async fn busy_seconds(browser: &Browser) -> [f64; 2] {
    let metrics = browser
        .cdp("Performance.getMetrics", serde_json::json!({}))
        .await;
    let metric = |name: &str| {
        metrics["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("Performance.getMetrics has no {name}"))
    };
    [metric("ScriptDuration"), metric("TaskDuration")]
}
