//! How fast reports answer as data grows: a synthetic shop's journeys are stored through
//! the embedded store, then every report runs through the reports' in-memory cache the
//! way `GET /api/v1/reports/…` runs it.
//!
//! `cargo bench -p spur --bench reports -- --events 10000000`
//!
//! Prints: the append rate into the store, the first (cold) load of the site into the
//! cache, the median and spread of repeated runs of each report, and the process's
//! resident memory. The data is generated from a fixed seed, so runs compare.

use std::time::{Duration, Instant};

// The allocator of the `spur` binary (see src/main.rs), so that the figures are its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spur::event::{Device, Event, EventKind, Stage, Utm};
use spur::reports::{self, Kind, Request, cache::TouchCache};
use spur::store::clickhouse::ClickHouseStore;
use spur::store::{Store, sqlite::SqliteStore};

#[derive(Parser)]
struct Args {
    /// How many events to generate (about eight per visitor).
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Runs per report; the median is printed.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Store the events in ClickHouse at this URL (a new database, dropped at the end)
    /// instead of SQLite: the first report then loads them from ClickHouse.
    #[arg(long)]
    clickhouse_url: Option<String>,
    /// Only the reports whose names start with this (e.g. `paths`).
    #[arg(long)]
    only: Option<String>,
    /// Keep the SQLite store in this directory and reuse it in later runs with the same
    /// `--events` (the generation is skipped; the first report still loads it).
    #[arg(long)]
    data: Option<std::path::PathBuf>,
    /// `cargo bench` passes `--bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const SITE: &str = "bench";
const DAY: i64 = 86_400_000;
/// 2026-11-01T00:00:00Z: the data spans the 30 days from here.
const START: i64 = 1_793_491_200_000;
const DAYS: i64 = 30;

/// (touchpoint, stage, kind) of the shop's pages and events.
const PAGES: [(&str, Option<Stage>, EventKind); 9] = [
    ("/", Some(Stage::Awareness), EventKind::Pageview),
    (
        "/blog/brewing-guide",
        Some(Stage::Awareness),
        EventKind::Pageview,
    ),
    ("/product/", Some(Stage::Consideration), EventKind::Pageview),
    ("/faq", Some(Stage::Consideration), EventKind::Pageview),
    ("/cart", Some(Stage::Purchase), EventKind::Pageview),
    ("/checkout", Some(Stage::Purchase), EventKind::Pageview),
    ("purchase", Some(Stage::Purchase), EventKind::Custom),
    (
        "/account/orders",
        Some(Stage::Retention),
        EventKind::Pageview,
    ),
    ("share", Some(Stage::Advocacy), EventKind::Custom),
];
/// The next page from each of `PAGES` (weights), the last column being "leave".
const NEXT: [[u32; 10]; 9] = [
    [0, 5, 50, 5, 5, 0, 0, 5, 0, 30],
    [10, 0, 40, 5, 0, 0, 0, 0, 0, 45],
    [5, 0, 30, 5, 25, 0, 0, 0, 0, 35],
    [5, 0, 40, 0, 10, 0, 0, 0, 0, 45],
    [0, 0, 20, 5, 0, 50, 0, 0, 0, 25],
    [0, 0, 5, 5, 5, 0, 60, 0, 0, 25],
    [10, 0, 10, 0, 0, 0, 0, 30, 15, 35],
    [10, 0, 30, 10, 0, 0, 0, 0, 10, 40],
    [10, 0, 10, 0, 0, 0, 0, 0, 0, 80],
];
const REFERRERS: [(Option<&str>, Option<&str>, Option<&str>); 7] = [
    (None, None, None),
    (Some("https://www.google.com/"), None, None),
    (Some("https://l.facebook.com/"), None, None),
    (None, Some("newsletter"), Some("email")),
    (Some("https://www.google.com/"), Some("google"), Some("cpc")),
    (Some("https://de.trustpilot.com/review/shop"), None, None),
    (Some("https://blog.example/best-coffee"), None, None),
];

fn pick(rng: &mut StdRng, weights: &[u32]) -> usize {
    let mut x = rng.random_range(0..weights.iter().sum::<u32>());
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// About `events` events of a coffee shop's visitors, in the order they happen per
/// visitor (page views, purchases, shares, rating widgets shown, answered and
/// dismissed); sent in batches as trackers would.
fn generate(events: usize, mut send: impl FnMut(Vec<Event>)) -> usize {
    let mut rng = StdRng::seed_from_u64(7);
    let mut made = 0;
    let mut batch = Vec::new();
    let mut visitor = 0u64;
    while made < events {
        visitor += 1;
        let device = Device::ALL[pick(&mut rng, &[55, 40, 5])];
        let mut ts = START + rng.random_range(0..DAYS * DAY);
        let sessions = 1 + pick(&mut rng, &[60, 25, 10, 5]);
        let mut code = None;
        for _ in 0..sessions {
            let (referrer, source, medium) = REFERRERS[rng.random_range(0..REFERRERS.len())];
            let mut page = pick(&mut rng, &[50, 20, 30, 0, 0, 0, 0, 0, 0]);
            let mut first = true;
            loop {
                let (touchpoint, stage, kind) = PAGES[page];
                let mut url = if touchpoint == "/product/" {
                    format!("https://shop.example/product/{}", rng.random_range(0..200))
                } else if kind == EventKind::Custom {
                    "https://shop.example/checkout".to_owned()
                } else {
                    format!("https://shop.example{touchpoint}")
                };
                if first && rng.random_range(0..50) == 0 {
                    url.push_str(&format!("?spur_ref=r{}", rng.random_range(0..visitor)));
                }
                let path = url::Url::parse(&url).unwrap().path().to_owned();
                let props = match touchpoint {
                    "purchase" => Some(format!(
                        r#"{{"revenue":{}.{:02}}}"#,
                        rng.random_range(8..120),
                        rng.random_range(0..100)
                    )),
                    "share" => Some(format!(
                        r#"{{"code":"{}"}}"#,
                        code.get_or_insert_with(|| format!("r{visitor}"))
                    )),
                    _ => None,
                };
                batch.push(Event {
                    site: SITE.into(),
                    id: format!("{visitor:012x}{made:012x}"),
                    visitor,
                    ts,
                    received_at: ts,
                    kind,
                    touchpoint: if kind == EventKind::Custom {
                        touchpoint.to_owned()
                    } else {
                        path
                    },
                    stage,
                    url,
                    referrer: first.then(|| referrer.map(str::to_owned)).flatten(),
                    utm: Utm {
                        source: first.then(|| source.map(str::to_owned)).flatten(),
                        medium: first.then(|| medium.map(str::to_owned)).flatten(),
                        ..Utm::default()
                    },
                    props,
                    device,
                });
                made += 1;
                if batch.len() == 20 {
                    send(std::mem::take(&mut batch));
                }
                // Rating widgets: a CSAT popover after a purchase, the NPS question on
                // the orders page; shown, then answered (some with a comment) or
                // dismissed.
                let widget = match touchpoint {
                    "purchase" => Some(("csat", "after-purchase", 5)),
                    "/account/orders" if rng.random_range(0..2) == 0 => Some(("nps", "orders", 10)),
                    _ => None,
                };
                if let Some((widget, at, top)) = widget.filter(|_| made + 2 <= events) {
                    let answered = rng.random_range(0..10) < 6;
                    let score = if widget == "nps" {
                        pick(&mut rng, &[2, 1, 1, 2, 2, 3, 5, 10, 20, 30, 24])
                    } else {
                        1 + pick(&mut rng, &[5, 8, 15, 35, 37])
                    }
                    .min(top);
                    let comment = [
                        "",
                        "fast delivery",
                        "price is too high",
                        "Lieferung war schnell",
                        "great coffee, slow delivery",
                    ][rng.random_range(0..5)];
                    for outcome in ["shown", if answered { "answered" } else { "dismissed" }] {
                        let props = if outcome == "answered" {
                            format!(
                                r#"{{"widget":"{widget}","outcome":"answered","score":{score},"comment":"{comment}"}}"#
                            )
                        } else {
                            format!(r#"{{"widget":"{widget}","outcome":"{outcome}"}}"#)
                        };
                        ts += rng.random_range(1_000..20_000);
                        batch.push(Event {
                            site: SITE.into(),
                            id: format!("{visitor:012x}{made:012x}"),
                            visitor,
                            ts,
                            received_at: ts,
                            kind: EventKind::Feedback,
                            touchpoint: at.to_owned(),
                            stage,
                            url: "https://shop.example/checkout".to_owned(),
                            referrer: None,
                            utm: Utm::default(),
                            props: Some(props),
                            device,
                        });
                        made += 1;
                        if batch.len() == 20 {
                            send(std::mem::take(&mut batch));
                        }
                    }
                }
                first = false;
                ts += rng.random_range(5_000..300_000);
                let next = pick(&mut rng, &NEXT[page]);
                if next == PAGES.len() || made >= events {
                    break;
                }
                page = next;
            }
            ts += rng.random_range(DAY / 24..4 * DAY);
            if made >= events {
                break;
            }
        }
    }
    if !batch.is_empty() {
        send(batch);
    }
    visitor as usize
}

fn resident_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or("?".to_owned(), |kb| format!("{} MB", kb / 1024))
    };
    format!("{} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let data = match &args.data {
        Some(data) => data.join(format!("{}-events", args.events)),
        None => dir.path().to_owned(),
    };
    // Written once every event is stored: a run cut short is not reused.
    let stored = data.join("stored");
    let reuse = args.clickhouse_url.is_none() && stored.exists();
    let clickhouse = match &args.clickhouse_url {
        Some(url) => Some(ClickHouseStore::open(
            url,
            &format!("spur_bench_{}", std::process::id()),
        )?),
        None => None,
    };
    let sqlite;
    let store: &dyn Store = match &clickhouse {
        Some(store) => store,
        None => {
            std::fs::create_dir_all(&data)?;
            sqlite = SqliteStore::open(&data)?;
            &sqlite
        }
    };
    if reuse {
        println!(
            "reused the {} events stored in {}",
            args.events,
            data.display()
        );
    } else {
        let started = Instant::now();
        let mut pending: Vec<Vec<Event>> = Vec::new();
        let visitors = generate(args.events, |batch| {
            pending.push(batch);
            // The writer's group commit: many batches per transaction.
            if pending.len() == 500 {
                store.append(&pending).expect("append");
                pending.clear();
            }
        });
        store.append(&pending)?;
        let took = started.elapsed();
        println!(
            "stored {} events of {visitors} visitors in {:.1} s ({:.0} events/s, generation included)",
            args.events,
            took.as_secs_f64(),
            args.events as f64 / took.as_secs_f64()
        );
        if args.data.is_some() && clickhouse.is_none() {
            std::fs::write(&stored, b"")?;
        }
    }
    println!("memory after storing: {}", resident_mb());
    if let Some(store) = &clickhouse {
        // What was just inserted is read once it is past the readers' horizon.
        store.settled()?;
    }

    let cache = TouchCache::default();
    let today = jiff::civil::date(2026, 11, 30);
    let request = |kind: Kind, query: &[(&str, &str)]| {
        let mut pairs: Vec<(String, String)> =
            [("site", SITE), ("from", "2026-11-01"), ("to", "2026-11-30")]
                .into_iter()
                .filter(|(k, _)| !query.iter().any(|(q, _)| q == k))
                .chain(query.iter().copied())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        pairs.sort();
        Request::parse(kind, &pairs, today, 30 * 60 * 1000).expect("a valid query")
    };
    let started = Instant::now();
    reports::run(store, &cache, &request(Kind::Stages, &[]))?;
    println!(
        "first report (loads the site into the cache): {:.0} ms; memory {}",
        ms(started.elapsed()),
        resident_mb()
    );

    let cases: Vec<(&str, Request)> = vec![
        ("overview", request(Kind::Overview, &[])),
        ("paths", request(Kind::Paths, &[])),
        (
            "paths by visitor",
            request(Kind::Paths, &[("unit", "visitor")]),
        ),
        (
            "paths grouped",
            request(Kind::Paths, &[("group", "/product/*:product")]),
        ),
        (
            "explore forward",
            request(
                Kind::Explore,
                &[("start", "/cart"), ("steps", "10"), ("top", "5")],
            ),
        ),
        (
            "explore backward",
            request(
                Kind::Explore,
                &[("start", "purchase"), ("direction", "backward")],
            ),
        ),
        ("transitions", request(Kind::Transitions, &[("steps", "6")])),
        (
            "funnel",
            request(
                Kind::Funnel,
                &[
                    ("steps", "/,/cart,/checkout,purchase"),
                    ("window", "604800"),
                ],
            ),
        ),
        ("stages", request(Kind::Stages, &[])),
        ("touchpoints", request(Kind::Touchpoints, &[])),
        (
            "channels",
            request(Kind::Channels, &[("model", "position")]),
        ),
        ("referrals", request(Kind::Referrals, &[])),
        ("feedback", request(Kind::Feedback, &[])),
        (
            "visitor",
            request(Kind::Visitor, &[("id", "0000000000000001")]),
        ),
        (
            "paths, segment + device",
            request(
                Kind::Paths,
                &[("segment", "purchase"), ("device", "mobile")],
            ),
        ),
        (
            "paths, one day",
            request(Kind::Paths, &[("from", "2026-11-15"), ("to", "2026-11-15")]),
        ),
    ];
    println!(
        "\n{:<26} {:>10} {:>10} {:>10}",
        "report", "median ms", "min ms", "max ms"
    );
    let only = args.only.as_deref().unwrap_or_default();
    for (name, request) in cases.iter().filter(|(name, _)| name.starts_with(only)) {
        let mut times = Vec::new();
        for _ in 0..args.runs.max(1) {
            let started = Instant::now();
            let report = reports::run(store, &cache, request)?;
            times.push(ms(started.elapsed()));
            std::hint::black_box(report);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<26} {:>10.1} {:>10.1} {:>10.1}",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
    println!("\nmemory at the end: {}", resident_mb());
    if let Some(store) = &clickhouse {
        store.drop_database()?;
    }
    Ok(())
}
