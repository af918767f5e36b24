//! The scale-out store against a real ClickHouse server (started by the harness):
//! the same reports as the embedded store on the golden dataset, idempotent ingestion,
//! deletions, two collector processes sharing one database, and readiness while the
//! server cannot be reached.

use std::collections::BTreeMap;
use std::time::Duration;

use spur::event::{Device, Event, EventKind, Stage, Utm};
use spur::reports::{self, Kind, Request, cache::TouchCache};
use spur::store::Store;
use spur::store::clickhouse::ClickHouseStore;
use spur::store::sqlite::SqliteStore;
use spur_tests::clickhouse;

use crate::golden::{canonical_json, golden, requests};
use spur_tests::process::{SpurProcess, free_port, get_with, http_client, post};

/// The golden dataset as the collector stores events.
fn golden_events() -> Vec<Event> {
    let string = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    golden("events.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Event {
            site: string(&e["site"]).unwrap(),
            id: string(&e["id"]).unwrap(),
            visitor: e["visitor"].as_u64().unwrap(),
            ts: e["ts"].as_i64().unwrap(),
            received_at: e["ts"].as_i64().unwrap(),
            kind: EventKind::parse(e["kind"].as_str().unwrap()).unwrap(),
            touchpoint: string(&e["touchpoint"]).unwrap(),
            stage: e["stage"].as_str().and_then(Stage::parse),
            url: string(&e["url"]).unwrap(),
            referrer: string(&e["referrer"]),
            utm: Utm {
                source: string(&e["utm_source"]),
                medium: string(&e["utm_medium"]),
                campaign: string(&e["utm_campaign"]),
                term: None,
                content: None,
            },
            props: (!e["props"].is_null()).then(|| e["props"].to_string()),
            device: Device::parse(e["device"].as_str().unwrap()).unwrap(),
        })
        .collect()
}

/// Every golden report from `store`, read through a fresh report cache.
fn all_reports(store: &dyn Store) -> BTreeMap<String, serde_json::Value> {
    let cache = TouchCache::default();
    requests()
        .into_iter()
        .map(|(name, request, _)| {
            let report = reports::run(store, &cache, &request).unwrap();
            (name, serde_json::to_value(report).unwrap())
        })
        .collect()
}

/// The ids of the demo site's events with `from <= ts < to`, sorted.
fn ids_between(store: &dyn Store, from: i64, to: i64) -> Vec<String> {
    let mut ids: Vec<String> = store
        .touches("demo", from, to)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    ids.sort();
    ids
}

fn open(test: &str) -> ClickHouseStore {
    ClickHouseStore::open(&clickhouse::server().url, &clickhouse::database(test)).unwrap()
}

/// Stores the golden dataset (its repeated ids included, then all of it again) in both
/// stores in the writer's way, then ratings; every golden report, and every kind of
/// report with its default options, must be equal in both and equal the independent
/// oracle; one visitor's export and a time window read the same.
fn same_reports_on_the_golden_dataset(
    sqlite: &SqliteStore,
    ch: &ClickHouseStore,
    events: &[Event],
) {
    // In the writer's way: several appends of several batches.
    for chunk in events.chunks(64) {
        let batches: Vec<Vec<Event>> = chunk.chunks(16).map(<[Event]>::to_vec).collect();
        // The dataset repeats some ids on purpose: both stores count them the same.
        assert_eq!(
            ch.append(&batches).unwrap(),
            sqlite.append(&batches).unwrap()
        );
    }
    // Delivered again, in other batches: every event is a duplicate.
    let again = ch
        .append(&events.chunks(50).map(<[Event]>::to_vec).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(
        again.iter().map(|o| o.inserted).sum::<usize>(),
        0,
        "{again:?}"
    );
    assert_eq!(
        again.iter().map(|o| o.duplicates).sum::<usize>(),
        events.len()
    );
    ch.settled().unwrap();
    // Whether a site has events, as the Sites page shows it.
    let site = &events[0].site;
    for (store, name) in [(ch as &dyn Store, "clickhouse"), (sqlite, "sqlite")] {
        assert!(store.has_events(site).unwrap(), "{name}: {site}");
        assert!(!store.has_events("no-such-site").unwrap(), "{name}");
    }

    let from_sqlite = all_reports(sqlite);
    let from_clickhouse = all_reports(ch);
    assert!(from_sqlite.len() >= 20, "{} reports", from_sqlite.len());
    let mut differ = Vec::new();
    for (name, report) in &from_sqlite {
        if from_clickhouse[name] != *report {
            differ.push(format!(
                "{name}:\n  sqlite     {report}\n  clickhouse {}",
                from_clickhouse[name]
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // And both are the independent computation's figures (not merely equal to each other).
    for (name, _, expected) in requests() {
        assert_eq!(
            canonical_json(from_clickhouse[&name].clone()),
            expected,
            "{name}"
        );
    }

    // Ratings too (the golden dataset has none): widgets shown, answered and dismissed,
    // with comments; then every kind of report, with its default options, for the
    // golden week.
    let ratings: Vec<Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::Pageview)
        .step_by(7)
        .enumerate()
        .map(|(i, e)| {
            let (widget, outcome, score) = match i % 4 {
                0 => ("nps", "answered", Some(i % 11)),
                1 => ("csat", "answered", Some(1 + i % 5)),
                2 => ("ces", "dismissed", None),
                _ => ("thumbs", "answered", Some(i % 2)),
            };
            let mut props = serde_json::json!({ "widget": widget, "outcome": outcome });
            if let Some(score) = score {
                props["score"] = score.into();
                props["comment"] =
                    format!("delivery was {} Lieferung", ["fast", "slow"][i % 2]).into();
            }
            Event {
                id: format!("rating-{i:08}"),
                ts: e.ts + 30_000,
                kind: EventKind::Feedback,
                touchpoint: "after-delivery".into(),
                props: Some(props.to_string()),
                ..e.clone()
            }
        })
        .collect();
    assert!(ratings.len() > 20);
    sqlite.append(std::slice::from_ref(&ratings)).unwrap();
    ch.append(&[ratings]).unwrap();
    ch.settled().unwrap();
    let every_kind = |store: &dyn Store| -> Vec<serde_json::Value> {
        let cache = TouchCache::default();
        Kind::ALL
            .iter()
            .filter_map(|kind| {
                let pairs = [
                    ("site", "demo"),
                    ("from", "2026-10-01"),
                    ("to", "2026-10-08"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()));
                // Kinds that need more (a visitor, a start) are in the golden queries.
                let request =
                    Request::parse(*kind, &pairs, "2026-10-07".parse().unwrap(), 1_800_000).ok()?;
                Some(serde_json::to_value(reports::run(store, &cache, &request).unwrap()).unwrap())
            })
            .collect()
    };
    let kinds = every_kind(sqlite);
    assert!(kinds.len() >= 8, "{} kinds", kinds.len());
    assert!(
        kinds
            .iter()
            .any(|r| r["report"] == "feedback" && r.to_string().contains("Lieferung")),
        "the feedback report lacks the ratings"
    );
    assert_eq!(every_kind(ch), kinds);

    // One visitor's events, and a time window, read the same.
    let visitor = events[0].visitor;
    let exported = |store: &dyn Store| store.visitor_events("demo", visitor).unwrap();
    assert!(!exported(sqlite).is_empty());
    assert_eq!(exported(sqlite), exported(ch));
    let window = |store: &dyn Store| ids_between(store, 1_791_200_000_000, 1_791_300_000_000);
    assert!(!window(sqlite).is_empty());
    assert_eq!(window(sqlite), window(ch));
}

#[test]
fn golden_dataset_gives_the_same_reports_in_sqlite_and_clickhouse() {
    let events = golden_events();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path()).unwrap();
    let ch = open("golden");
    same_reports_on_the_golden_dataset(&sqlite, &ch, &events);
    let visitor = events[0].visitor;

    same_after_deletions(&sqlite, &ch, visitor, 1_791_250_000_000);
}

/// Deletions: a visitor's data, then everything before `cutoff`; both stores delete as
/// many events, the reports follow (the caches start over) and stay equal.
fn same_after_deletions(sqlite: &SqliteStore, ch: &ClickHouseStore, visitor: u64, cutoff: i64) {
    let sqlite_cache = TouchCache::default();
    let ch_cache = TouchCache::default();
    let (_, stages, _) = requests()
        .into_iter()
        .find(|(name, ..)| name == "stages")
        .unwrap();
    let before = reports::run(ch, &ch_cache, &stages).unwrap();
    let deleted = sqlite.delete_visitor("demo", visitor).unwrap();
    assert!(deleted > 0);
    assert_eq!(ch.delete_visitor("demo", visitor).unwrap(), deleted);
    assert!(ch.visitor_events("demo", visitor).unwrap().is_empty());
    let old = sqlite.delete_before(cutoff).unwrap();
    assert!(old > 0);
    assert_eq!(ch.delete_before(cutoff).unwrap(), old);
    assert_eq!(ch.touches("demo", 0, cutoff).unwrap().len(), 0);
    // A copy asks ClickHouse at most once a second (`refresh_every`); a deletion made
    // by this process resets that, so the next report cannot show deleted data.
    assert_eq!(ch.refresh_every(), Duration::from_secs(1));
    ch_cache.changed();
    let after_sqlite = reports::run(sqlite, &sqlite_cache, &stages).unwrap();
    let after_ch = reports::run(ch, &ch_cache, &stages).unwrap();
    assert_eq!(
        serde_json::to_value(&after_ch).unwrap(),
        serde_json::to_value(&after_sqlite).unwrap()
    );
    assert_ne!(
        serde_json::to_value(&after_ch).unwrap(),
        serde_json::to_value(&before).unwrap(),
        "the deletions changed nothing in the report"
    );
}

/// The cluster layout of `collector/deploy/clickhouse-cluster.sql` — each shard's rows in
/// `events_local`, the store's `events` a `Distributed` table over them sharded by
/// `cityHash64(site, id)` — on two shards of the one test server (plain
/// `ReplacingMergeTree` instead of replicated tables: no ZooKeeper here). Rows land on
/// both shards, duplicates are still found, and every report (those ClickHouse computes
/// and those the engine computes) equals SQLite's and the oracle's.
#[test]
fn a_distributed_events_table_over_two_shards_gives_the_same_reports() {
    let server = clickhouse::server();
    let database = clickhouse::database("distributed");
    let local = format!("events_local_{database}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = http_client();
    let run = |sql: String| -> String {
        let (status, body) = runtime
            .block_on(post(&client, &server.url, &[], sql.clone()))
            .expect("ClickHouse answers");
        let body = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(status.as_u16(), 200, "{sql}: {body}");
        body
    };
    for shard in clickhouse::SHARD_DATABASES {
        run(format!("CREATE DATABASE IF NOT EXISTS {shard}"));
        run(format!(
            "CREATE TABLE {shard}.{local} (
                site String, id String, visitor UInt64, ts Int64, received_at Int64,
                kind String, touchpoint String, stage Nullable(String), url String,
                referrer Nullable(String), utm_source Nullable(String),
                utm_medium Nullable(String), utm_campaign Nullable(String),
                utm_term Nullable(String), utm_content Nullable(String),
                props Nullable(String), device String, inserted_at DateTime DEFAULT now()
            ) ENGINE = ReplacingMergeTree
            PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000)))
            ORDER BY (site, id)"
        ));
    }
    run(format!("CREATE DATABASE {database}"));
    run(format!(
        "CREATE TABLE {database}.events AS {}.{local}
         ENGINE = Distributed({}, '', {local}, cityHash64(site, id))",
        clickhouse::SHARD_DATABASES[0],
        clickhouse::CLUSTER
    ));
    // The collector finds `events` and creates only the rest.
    let ch = ClickHouseStore::open(&server.url, &database).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path()).unwrap();
    let events = golden_events();
    same_reports_on_the_golden_dataset(&sqlite, &ch, &events);
    let on_shard = clickhouse::SHARD_DATABASES.map(|shard| {
        run(format!(
            "SELECT count() FROM {shard}.{local} WHERE NOT startsWith(id, 'rating-')"
        ))
        .trim()
        .parse::<u64>()
        .unwrap()
    });
    let distinct: std::collections::BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert!(
        on_shard.iter().all(|n| *n > 50),
        "rows per shard: {on_shard:?}"
    );
    assert_eq!(
        on_shard.iter().sum::<u64>(),
        distinct.len() as u64,
        "{on_shard:?}"
    );

    // A month before the golden week too, so that retention drops partitions on both
    // shards; then the deletions, which go to each shard's local table.
    let september: Vec<Event> = events
        .iter()
        .take(60)
        .map(|e| Event {
            id: format!("september-{}", e.id),
            ts: e.ts - 30 * 86_400_000,
            ..e.clone()
        })
        .collect();
    sqlite.append(std::slice::from_ref(&september)).unwrap();
    ch.append(&[september]).unwrap();
    let cutoff = 1_791_250_000_000;
    same_after_deletions(&sqlite, &ch, events[0].visitor, cutoff);
    for shard in clickhouse::SHARD_DATABASES {
        let left = run(format!(
            "SELECT count() FROM {shard}.{local} WHERE ts < {cutoff} OR visitor = {}",
            events[0].visitor
        ));
        assert_eq!(left.trim(), "0", "{shard}");
        let september = run(format!(
            "SELECT count() FROM system.parts WHERE database = '{shard}' AND table = '{local}'
               AND active AND partition = '202609'"
        ));
        assert_eq!(
            september.trim(),
            "0",
            "{shard}: September's partition is still there"
        );
    }
}

/// A touchpoint name made to break SQL that is not quoted right.
const HOSTILE: &str = r#"it's "x" \' OR 1=1 --"#;

/// Random journeys made to meet the engine's edge cases: equal times (ordered by id),
/// gaps of exactly the session gap, ids delivered twice, every kind of event (feedback
/// and engagement are not touches), devices, stages, touchpoints the grouping rules
/// rename, purchases with revenue (also as text, which is not revenue) and events outside
/// the window.
fn random_journeys(seed: u64, visitors: u64) -> Vec<Event> {
    const TOUCHPOINTS: [&str; 10] = [
        HOSTILE,
        "landing",
        "/product/1",
        "/product/2",
        "product",
        "cart",
        "checkout",
        "purchase",
        "faq",
        "account",
    ];
    const KINDS: [EventKind; 6] = [
        EventKind::Pageview,
        EventKind::Click,
        EventKind::Friction,
        EventKind::Engagement,
        EventKind::Feedback,
        EventKind::Pageview,
    ];
    let mut state = seed | 1;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    // 2026-10-01T00:00Z; a 30-minute gap is 30 steps of the minute grid.
    let day0: i64 = 1_790_812_800_000;
    let mut events: Vec<Event> = Vec::new();
    for visitor in 0..visitors {
        let mut minute = next(4 * 24 * 60) as i64;
        for i in 0..1 + next(14) {
            // Mostly small steps, sometimes exactly the gap, sometimes a new day.
            minute += match next(10) {
                0 => 30,
                1 => 29,
                2 => 0,
                3 => 600 + next(2000) as i64,
                _ => next(8) as i64,
            };
            let touchpoint = TOUCHPOINTS[next(TOUCHPOINTS.len() as u64) as usize];
            let purchase = touchpoint == "purchase";
            let kind = if purchase {
                EventKind::Custom
            } else {
                KINDS[next(KINDS.len() as u64) as usize]
            };
            let props = match (kind, next(3)) {
                (EventKind::Custom, 0) => Some(r#"{"revenue":"12.5"}"#.to_owned()),
                (EventKind::Custom, _) => Some(format!(r#"{{"revenue":{}.25,"n":1}}"#, next(90))),
                (EventKind::Feedback, _) => {
                    Some(r#"{"widget":"nps","outcome":"answered","score":9}"#.to_owned())
                }
                _ => None,
            };
            events.push(Event {
                site: "demo".into(),
                // Equal times are ordered by id: ids do not follow time.
                id: format!("{:08x}-{visitor}-{i}", next(1 << 32)),
                visitor: 1_000 + visitor * 7_919,
                ts: day0 + minute * 60_000,
                received_at: day0,
                kind,
                touchpoint: touchpoint.into(),
                stage: [None, Some(Stage::Awareness), Some(Stage::Purchase)][next(3) as usize],
                url: "https://shop.example/".into(),
                referrer: None,
                utm: Utm::default(),
                props,
                device: Device::ALL[next(3) as usize],
            });
            if next(12) == 0 {
                // Delivered twice.
                events.push(events[events.len() - 1].clone());
            }
        }
    }
    events
}

#[test]
fn reports_clickhouse_computes_itself_equal_the_engines() {
    let events = random_journeys(7, 400);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path()).unwrap();
    let database = clickhouse::database("pushdown");
    let ch = ClickHouseStore::open(&clickhouse::server().url, &database).unwrap();
    for chunk in events.chunks(500) {
        sqlite.append(&[chunk.to_vec()]).unwrap();
        ch.append(&[chunk.to_vec()]).unwrap();
    }
    // Two collectors storing the same events at once: a tenth of the rows twice, until
    // ClickHouse merges them. Every report still counts each id once.
    let copy = format!(
        "INSERT INTO {database}.events SELECT * FROM {database}.events WHERE cityHash64(id) % 10 = 0"
    );
    let answer = tokio::runtime::Runtime::new().unwrap().block_on(post(
        &http_client(),
        &clickhouse::server().url,
        &[],
        copy,
    ));
    assert_eq!(answer.map(|(status, _)| status.as_u16()), Some(200));
    ch.settled().unwrap();
    let today = "2026-10-07".parse().unwrap();
    let mut cases: Vec<(Kind, Vec<(&str, &str)>)> = Vec::new();
    let filters: [&[(&str, &str)]; 10] = [
        &[],
        // Report parameters reach the SQL: quotes, backslashes and comment marks stay text.
        &[("segment", HOSTILE)],
        &[
            ("group", "it's*:o'brien \\ --"),
            ("touchpoint", "o'brien \\ --"),
        ],
        &[("device", "mobile")],
        &[("stage", "purchase")],
        &[("touchpoint", "cart")],
        &[("segment", "purchase")],
        &[("group", "/product/*:product"), ("group", "checkout:cart")],
        &[
            ("group", "/product/*:product"),
            ("touchpoint", "product"),
            ("device", "desktop"),
        ],
        &[("segment", "nobody-did-this")],
    ];
    for window in [("2026-10-01", "2026-10-07"), ("2026-10-02", "2026-10-02")] {
        for filter in filters {
            let mut query = vec![("from", window.0), ("to", window.1)];
            query.extend_from_slice(filter);
            for unit in ["session", "visitor"] {
                let mut q = query.clone();
                q.extend([("unit", unit), ("limit", "7")]);
                cases.push((Kind::Paths, q));
            }
            for (steps, seconds) in [
                ("landing,product,cart,purchase", "3600"),
                ("landing,product,cart,purchase", "604800"),
                ("product,product,cart", "1800"),
                ("cart,nowhere", "3600"),
                ("nowhere,cart", "3600"),
                (r#"it's "x" \' OR 1=1 --,cart"#, "86400"),
                // The most steps a funnel takes: twenty subqueries deep.
                (
                    "landing,product,cart,landing,product,cart,checkout,purchase,faq,account,\
                     landing,product,cart,landing,product,cart,checkout,purchase,faq,account",
                    "864000",
                ),
            ] {
                let mut q = query.clone();
                q.extend([("steps", steps), ("window", seconds)]);
                cases.push((Kind::Funnel, q));
            }
            cases.push((Kind::Overview, query.clone()));
            let mut q = query.clone();
            q.push(("goal", "cart"));
            cases.push((Kind::Overview, q));
        }
    }
    let (sqlite_cache, ch_cache) = (TouchCache::default(), TouchCache::default());
    let mut differ = Vec::new();
    let mut nonempty = 0;
    for (kind, query) in &cases {
        let pairs: Vec<(String, String)> = [("site", "demo")]
            .iter()
            .chain(query)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let request = Request::parse(*kind, &pairs, today, 30 * 60 * 1000).unwrap();
        let pushed = ch
            .report(&request)
            .unwrap()
            .expect("computed by ClickHouse");
        let from_sqlite = reports::run(&sqlite, &sqlite_cache, &request).unwrap();
        let expected = serde_json::to_value(&from_sqlite.result).unwrap();
        // Through the reports' entry point too, as the API runs them.
        let via_run = reports::run(&ch, &ch_cache, &request).unwrap();
        assert_eq!(serde_json::to_value(&via_run.result).unwrap(), expected);
        let got = serde_json::to_value(&pushed).unwrap();
        if got != expected {
            differ.push(format!(
                "{kind:?} {query:?}:\n  engine     {expected}\n  clickhouse {got}"
            ));
        }
        let counted = [
            &expected["total"],
            &expected["visitors"],
            &expected["totals"]["sessions"],
        ];
        if counted.iter().any(|n| n.as_u64().is_some_and(|n| n > 0)) {
            nonempty += 1;
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        cases.len(),
        differ.join("\n")
    );
    assert!(
        nonempty > cases.len() / 2,
        "too many empty reports: {nonempty} of {}",
        cases.len()
    );
    // The channel filter is the engine's (a session's channel is not stored).
    let request = Request::parse(
        Kind::Paths,
        &[("site", "demo"), ("channel", "direct")].map(|(k, v)| (k.to_owned(), v.to_owned())),
        today,
        30 * 60 * 1000,
    )
    .unwrap();
    assert!(ch.report(&request).unwrap().is_none());
    // The copies are not in what returns events either: every visitor's export, and a
    // window, hold each id once, as in SQLite.
    let mut visitors: Vec<u64> = events.iter().map(|e| e.visitor).collect();
    visitors.dedup();
    for visitor in visitors.into_iter().step_by(7) {
        assert_eq!(
            ch.visitor_events("demo", visitor).unwrap(),
            sqlite.visitor_events("demo", visitor).unwrap()
        );
    }
    assert_eq!(
        ids_between(&ch, 0, i64::MAX),
        ids_between(&sqlite, 0, i64::MAX)
    );
}

#[test]
fn sites_accounts_tokens_salts_and_secrets_are_shared_through_the_store() {
    let database = clickhouse::database("shared");
    let url = &clickhouse::server().url;
    let a = ClickHouseStore::open(url, &database).unwrap();
    // A second process opening the same database: migrations are not applied twice.
    let b = ClickHouseStore::open(url, &database).unwrap();
    assert_eq!(b.sites().unwrap().len(), 1, "the demo site, once");

    let site = spur::site::Site {
        id: "shop".into(),
        name: "Shop".into(),
        allowed_origins: vec!["https://shop.example".into()],
    };
    a.put_site(&site).unwrap();
    let renamed = spur::site::Site {
        name: "Shop (renamed)".into(),
        ..site
    };
    b.put_site(&renamed).unwrap();
    let sites = a.sites().unwrap();
    assert_eq!(
        sites
            .iter()
            .map(|s| (&s.id[..], &s.name[..]))
            .collect::<Vec<_>>(),
        [("demo", "Demo shop"), ("shop", "Shop (renamed)")]
    );

    a.set_user("ann@shop.example", "hash-1").unwrap();
    b.set_user("ann@shop.example", "hash-2").unwrap();
    let (id, hash) = a.user("ann@shop.example").unwrap().unwrap();
    assert_eq!(hash, "hash-2");
    assert_eq!(a.user("bob@shop.example").unwrap(), None);
    let token = [7u8; 32];
    a.add_token(id, &token, "session", Some(2_000)).unwrap();
    assert_eq!(
        b.token_user(&token, 1_999).unwrap().as_deref(),
        Some("ann@shop.example")
    );
    assert_eq!(b.token_user(&token, 2_000).unwrap(), None, "expired");
    assert_eq!(b.token_user(&[8u8; 32], 0).unwrap(), None);
    b.delete_token(&token).unwrap();
    assert_eq!(a.token_user(&token, 0).unwrap(), None, "deleted");
    // Revoking an account's tokens: of one kind, then all.
    let (api, session) = ([9u8; 32], [10u8; 32]);
    a.add_token(id, &api, "api", None).unwrap();
    a.add_token(id, &session, "session", None).unwrap();
    assert_eq!(b.delete_tokens(id, Some("session")).unwrap(), 1);
    assert_eq!(a.token_user(&session, 0).unwrap(), None);
    assert!(a.token_user(&api, 0).unwrap().is_some());
    assert_eq!(b.delete_tokens(id, None).unwrap(), 1);
    assert_eq!(a.token_user(&api, 0).unwrap(), None);
    assert_eq!(b.delete_tokens(id, None).unwrap(), 0);

    // A writer's largest chunk (10 000 events) in one append, and again: all new, then
    // all duplicates.
    let many: Vec<Event> = (0..10_000)
        .map(|i| spur_tests::landing("shop", &format!("bulk-{i:059}"), i, 1_791_157_800_000))
        .collect();
    assert_eq!(
        a.append(std::slice::from_ref(&many)).unwrap()[0].inserted,
        10_000
    );
    assert_eq!(b.append(&[many]).unwrap()[0].duplicates, 10_000);
    // Text that needs quoting goes in and comes out as it was.
    let hostile = "it's \\' OR 1=1 -- \"ü\"\n\t\0 {}";
    let event = Event {
        site: "shop".into(),
        id: "hostile-0000000001".into(),
        visitor: u64::MAX,
        ts: 1_791_157_800_000,
        received_at: 1_791_157_800_000,
        kind: EventKind::Custom,
        touchpoint: hostile.into(),
        stage: Some(Stage::Advocacy),
        url: format!("https://shop.example/?q={hostile}"),
        referrer: Some(hostile.into()),
        utm: Utm {
            source: Some(hostile.into()),
            ..Utm::default()
        },
        props: Some(serde_json::json!({ "note": hostile, "revenue": 1.5 }).to_string()),
        device: Device::Tablet,
    };
    a.append(&[vec![event.clone()]]).unwrap();
    assert_eq!(
        b.visitor_events("shop", u64::MAX).unwrap(),
        std::slice::from_ref(&event)
    );
    assert_eq!(
        a.delete_visitor("shop", u64::MAX).unwrap(),
        1,
        "deleted by a condition on the hostile site"
    );
    assert!(b.visitor_events("shop", u64::MAX).unwrap().is_empty());
    assert_eq!(a.user(hostile).unwrap(), None);

    assert_eq!(a.secret("key").unwrap(), b.secret("key").unwrap());
    assert_ne!(a.secret("key").unwrap(), a.secret("other").unwrap());
    let today = a.daily_salt(20_000).unwrap();
    assert_eq!(b.daily_salt(20_000).unwrap(), today);
    // Tomorrow's salt was made with today's, and is another one.
    let tomorrow = b.daily_salt(20_001).unwrap();
    assert_ne!(tomorrow, today);
    assert_eq!(a.daily_salt(20_001).unwrap(), tomorrow);
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The batches of a little shop's day: `visitors` visitors (each with the first-party id
/// of a consented visitor) walking landing → product → cart, some buying.
fn shop_traffic(visitors: usize) -> Vec<String> {
    let now = now_ms();
    (0..visitors)
        .map(|v| {
            let mut events = vec![
                ("pageview", "landing", "awareness", "https://shop.example/demo/?utm_source=newsletter&utm_medium=email"),
                ("pageview", "product", "consideration", "https://shop.example/demo/product.html"),
            ];
            if v % 2 == 0 {
                events.push(("click", "add-to-cart", "purchase", "https://shop.example/demo/product.html"));
            }
            if v % 4 == 0 {
                events.push(("custom", "purchase", "purchase", "https://shop.example/demo/checkout.html"));
            }
            let events: Vec<_> = events
                .iter()
                .enumerate()
                .map(|(i, (kind, name, stage, url))| {
                    serde_json::json!({
                        "id": format!("{v:016x}{i:016x}"), "ts": now - 60_000 + i as i64 * 1_000,
                        "type": kind, "url": url, "name": name, "stage": stage,
                        "props": if *name == "purchase" { serde_json::json!({"revenue": 20 + v % 7}) } else { serde_json::Value::Null },
                    })
                })
                .collect();
            serde_json::json!({
                "v": 1, "site": "demo", "sent_at": now, "uid": format!("{v:032x}"),
                "events": events,
            })
            .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_collectors_on_one_clickhouse_report_what_one_collector_reports() {
    let url = clickhouse::server().url.clone();
    let shared = clickhouse::database("two");
    let single = clickhouse::database("one");
    let dir = tempfile::tempdir().unwrap();
    let spur = env!("CARGO_BIN_EXE_spur-under-test");
    let args = |database: &str| {
        [
            "--store",
            "clickhouse",
            "--clickhouse-url",
            &url,
            "--clickhouse-database",
            database,
            "--rate-limit-ip",
            "0",
            "--rate-limit-site",
            "0",
        ]
        .map(str::to_owned)
    };
    let start = |database: &str, name: &str| {
        let args = args(database);
        let data = dir.path().join(name);
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            SpurProcess::start(spur, &data, free_port(), &args).await
        }
    };
    let a = start(&shared, "a").await;
    let b = start(&shared, "b").await;
    let one = start(&single, "one").await;

    // The load generator: eight clients; each batch goes to A or B in turn, and to the
    // single collector. A tenth of the batches is delivered a second time, to the other
    // collector of the pair (a re-send after a lost answer).
    let traffic = shop_traffic(400);
    let client = http_client();
    let mut tasks = Vec::new();
    for (worker, chunk) in traffic.chunks(50).enumerate() {
        let chunk = chunk.to_vec();
        let urls = [
            a.url("/api/v1/events"),
            b.url("/api/v1/events"),
            one.url("/api/v1/events"),
        ];
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for (i, body) in chunk.iter().enumerate() {
                let pair = (worker + i) % 2;
                for url in [&urls[pair], &urls[2]] {
                    let (status, answer) = post(&client, url, &[], body.clone()).await.unwrap();
                    assert_eq!(status, 202, "{answer:?}");
                }
                if i % 10 == 0 {
                    let (status, answer) = post(&client, &urls[1 - pair], &[], body.clone())
                        .await
                        .unwrap();
                    assert_eq!(status, 202);
                    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                    // Accepted (a 2xx settles the batch) and known: nothing stored again.
                    assert_eq!(answer["duplicates"], answer["accepted"], "{answer}");
                    assert!(answer["duplicates"].as_u64().unwrap() > 0, "{answer}");
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for database in [&shared, &single] {
        let store = ClickHouseStore::open(&url, database).unwrap();
        tokio::task::spawn_blocking(move || store.settled().unwrap())
            .await
            .unwrap();
    }

    // Reports, through each collector's API with an account made in its store.
    let token = |database: &str| {
        let store = ClickHouseStore::open(&url, database).unwrap();
        store
            .set_user(
                spur_tests::MARKETER,
                &spur::auth::hash_password(spur_tests::PASSWORD).unwrap(),
            )
            .unwrap();
        let (user, _) = store.user(spur_tests::MARKETER).unwrap().unwrap();
        let token = spur::auth::new_token();
        store
            .add_token(user, &spur::auth::token_hash(&token), "api", None)
            .unwrap();
        token
    };
    let (shared_token, single_token) = (token(&shared), token(&single));
    let queries = [
        "overview",
        "paths",
        "funnel&steps=landing,product,add-to-cart,purchase",
        "stages",
        "touchpoints",
        "channels",
        "explore&start=product",
    ];
    for query in queries {
        let (report, params) = query.split_once('&').unwrap_or((query, ""));
        let path = format!("/api/v1/reports/{report}?site=demo&{params}");
        let mut answers = Vec::new();
        for (collector, token) in [
            (&a, &shared_token),
            (&b, &shared_token),
            (&one, &single_token),
        ] {
            let auth = format!("Bearer {token}");
            let (status, body) =
                get_with(&client, &collector.url(&path), &[("authorization", &auth)])
                    .await
                    .unwrap();
            assert_eq!(status, 200, "{path}: {body:?}");
            answers.push(serde_json::from_slice::<serde_json::Value>(&body).unwrap());
        }
        assert_eq!(answers[0], answers[1], "{path}: A and B differ");
        assert_eq!(
            answers[0], answers[2],
            "{path}: the pair and the single collector differ"
        );
        if report == "overview" {
            assert_eq!(answers[0]["totals"]["visitors"], 400, "{}", answers[0]);
            assert_eq!(answers[0]["totals"]["conversions"], 100, "{}", answers[0]);
        }
    }
    // Every event stored once in the shared database.
    let store = ClickHouseStore::open(&url, &shared).unwrap();
    let stored = store.touches("demo", 0, i64::MAX).unwrap();
    let expected: usize = 400 * 2 + 200 + 100;
    assert_eq!(stored.len(), expected);
    drop((a, b, one));
}

/// A TCP proxy in front of ClickHouse that the test cuts and mends: a network
/// partition between a collector and its store.
struct Partition {
    url: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Partition {
    async fn to(url: &str) -> Partition {
        let target = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (is_cut, connections) = (cut.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                connections.lock().unwrap().push(task.abort_handle());
            }
        });
        Partition { url, cut, open }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for connection in self.open.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn mend(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `/readyz` on ClickHouse: not ready while the collector cannot reach it, ready again
/// once it can, without waiting for a batch; ingest refuses meanwhile (nothing is
/// acknowledged that is not stored) and takes batches again after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_whether_clickhouse_answers() {
    let partition = Partition::to(&clickhouse::server().url).await;
    let database = clickhouse::database("ready");
    let url = partition.url.clone();
    let server = spur_tests::Server::start_with(|s| {
        s.store = spur::config::StoreChoice::ClickHouse { url, database };
    })
    .await;
    let body = |id: &str| {
        let now = now_ms();
        serde_json::json!({"v": 1, "site": "demo", "sent_at": now, "events": [
            {"id": id, "ts": now, "type": "pageview", "url": "https://shop.example/"}]})
        .to_string()
    };
    assert_eq!(server.get_anonymous("/readyz").await.status, 200);
    let taken = server
        .post_events("text/plain", body("readiness-check-0001"))
        .await;
    assert_eq!(taken.status, 202, "{:?}", taken.json());

    partition.cut();
    let not_ready = server.get_anonymous("/readyz").await;
    assert_eq!(not_ready.status, 503, "{:?}", not_ready.json());
    assert_eq!(not_ready.error_code(), "not_ready");
    let refused = server
        .post_events("text/plain", body("readiness-check-0002"))
        .await;
    assert_eq!(refused.status, 500, "{:?}", refused.json());
    assert_eq!(server.get_anonymous("/readyz").await.status, 503);

    partition.mend();
    let ready = server.get_anonymous("/readyz").await;
    assert_eq!(ready.status, 200, "{:?}", ready.json());
    let taken = server
        .post_events("text/plain", body("readiness-check-0003"))
        .await;
    assert_eq!(taken.status, 202, "{:?}", taken.json());
    assert_eq!(server.stored("demo"), 2);
}
