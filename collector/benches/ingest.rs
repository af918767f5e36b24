//! How much the collector ingests, next to what the machine's HTTP stack does at all.
//!
//! `cargo bench -p spur --bench ingest -- --seconds 10`
//!
//! In one run, on this machine (the load generator shares its cores with the server):
//! 1. a bare axum handler that takes a 1 KB POST and answers 202, in a process of its own
//!    (this binary with `--bare-server PORT`) with tokio's default runtime, as the
//!    collector has: the request rate the HTTP stack allows. (It used to run in this
//!    process, on the load generator's runtime: 90-95 k req/s the hour its own process
//!    gave 78-91 k.)
//! 2. the real `spur serve` (the release binary, own process, empty data directory, rate
//!    limits off) with single-event requests: the rate, and its ratio to (1); (1) and (2)
//!    take turns `--rounds` times (3), and the median of the rounds' ratios is printed;
//! 3. the same with batches of 20 events: events/s and latency percentiles at full load;
//! 4. batches paced at half of that peak: latency percentiles (the p99 target);
//! 5. the server's peak resident memory, and a check that every acknowledged event is
//!    stored: the `/metrics` stored count equals the events the 202s accepted, and, with
//!    the embedded store, so does the number of events in its file, counted after the
//!    server was killed (SIGKILL, under no load) and the file opened anew.
//!
//! Each phase also prints the server's CPU time per request (its threads' time on a CPU,
//! from `/proc`), and the end the median ratio of Spur's to bare axum's for single
//! events: unlike the rates, it does not move with the load generator's share of the
//! two cores or with the machine's drift.
//!
//! With `--clickhouse-url http://127.0.0.1:8123/` the collector stores into ClickHouse
//! (a new database `spur_bench_<pid>`, dropped at the end) instead of SQLite, and (5)
//! also counts the events ClickHouse holds.
//!
//! Payloads are realistic and reproducible (fixed seed): page views with UTM parameters,
//! touchpoint clicks, custom purchases with revenue, and rating-widget answers, sent as
//! `text/plain` with a browser's user agent and `Accept-Encoding`, as the tracker sends
//! them. (Without that header the benchmark did not see that every answer was compressed:
//! with it, 0.26 of the bare rate and 134 k events/s in batches, until ingest's answers
//! left the compression layer.) Each event's id is
//! made as the tracker makes it (its time, then random digits); each batch comes from one
//! of [`VISITORS`] consented visitors (its `uid`), so that the store's indexes of ids and
//! of visitors take new entries where real traffic puts them. (A first version numbered
//! the ids in order and sent every batch as one visitor: 160 k events/s, where random
//! visitors and the tracker's then random ids gave 45 k.)

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use clap::Parser;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// The allocator of the `spur` binary (see src/main.rs): the bare axum server of the
// reference runs in this process and gets the same one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Rounds of the bare reference and single-event requests, one after the other; the
    /// ratio printed is their median.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    rounds: u16,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Events per batch in the batch phases.
    #[arg(long, default_value_t = 20)]
    batch: usize,
    /// Run the collector on ClickHouse at this URL instead of the embedded store.
    #[arg(long)]
    clickhouse_url: Option<String>,
    /// `cargo bench` passes `--bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// Internal: run only the bare axum server on this port (the reference's own process).
    #[arg(long, hide = true)]
    bare_server: Option<u16>,
}

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// What browsers send with every request, the tracker's too.
const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// What one load phase measured.
struct Phase {
    requests: u64,
    events: u64,
    failures: u64,
    seconds: f64,
    /// Request latencies in microseconds, sorted.
    latencies: Vec<u32>,
    /// CPU time the server's threads spent during the phase (see [`with_cpu`]).
    server_cpu: f64,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies[i]) / 1000.0
    }

    /// The server's CPU time per request, in microseconds.
    fn cpu_per_request(&self) -> f64 {
        self.server_cpu * 1e6 / self.requests.max(1) as f64
    }

    fn print(&self, name: &str) {
        println!(
            "{name:<34} {:>9.0} req/s {:>10.0} events/s   p50 {:>6.2} ms  p99 {:>6.2} ms  server CPU {:>5.1} us/req  failures {}",
            self.rate(),
            self.events as f64 / self.seconds,
            self.percentile(0.5),
            self.percentile(0.99),
            self.cpu_per_request(),
            self.failures,
        );
    }
}

/// Builds request bodies: batches of `size` events with fresh ids, from a fixed seed.
struct Payloads {
    rng: StdRng,
}

/// The consented visitors the batches come from.
const VISITORS: u32 = 200_000;

const PAGES: [(&str, &str); 6] = [
    ("landing", "awareness"),
    ("product", "consideration"),
    ("compare", "consideration"),
    ("cart", "purchase"),
    ("checkout", "purchase"),
    ("account", "retention"),
];
const SOURCES: [&str; 5] = ["newsletter", "google", "facebook", "trustpilot", "partner"];

impl Payloads {
    fn new(seed: u64) -> Payloads {
        Payloads {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    fn event(&mut self, now: i64) -> String {
        // As the tracker's `event_id`: 12 hex digits of time, 20 random.
        let id = format!("{now:012x}{:020x}", self.rng.random::<u128>() >> 48);
        let (page, stage) = PAGES[self.rng.random_range(0..PAGES.len())];
        let url = format!("https://shop.example/{page}.html");
        match self.rng.random_range(0..10) {
            0..=4 => {
                let source = SOURCES[self.rng.random_range(0..SOURCES.len())];
                format!(
                    r#"{{"id":"{id}","ts":{now},"type":"pageview","url":"{url}?utm_source={source}&utm_medium=email&utm_campaign=autumn","ref":"https://www.{source}.com/","name":"{page}","stage":"{stage}"}}"#
                )
            }
            5..=7 => format!(
                r#"{{"id":"{id}","ts":{now},"type":"click","url":"{url}","name":"add-to-cart","stage":"{stage}"}}"#
            ),
            8 => {
                let revenue = self.rng.random_range(500..20_000) as f64 / 100.0;
                format!(
                    r#"{{"id":"{id}","ts":{now},"type":"custom","url":"{url}","name":"purchase","stage":"purchase","props":{{"revenue":{revenue},"currency":"EUR"}}}}"#
                )
            }
            _ => {
                let score = self.rng.random_range(0..=10);
                format!(
                    r#"{{"id":"{id}","ts":{now},"type":"feedback","url":"{url}","name":"after-delivery","props":{{"widget":"nps","outcome":"answered","score":{score},"comment":"Delivery was quick, the grinder is great"}}}}"#
                )
            }
        }
    }

    fn batch(&mut self, size: usize) -> Bytes {
        let now = jiff::Timestamp::now().as_millisecond();
        let events: Vec<String> = (0..size).map(|_| self.event(now)).collect();
        let visitor = self.rng.random_range(0..VISITORS);
        Bytes::from(format!(
            r#"{{"v":1,"site":"demo","sent_at":{now},"uid":"visitor-{visitor:010}","events":[{}]}}"#,
            events.join(",")
        ))
    }
}

/// Sends from `connections` tasks for `seconds`; each task builds its next body with
/// `body(task)` and waits `pace` between requests (zero: as fast as answers come).
async fn load(
    client: &HttpClient,
    url: &str,
    connections: usize,
    seconds: u64,
    pace: Duration,
    body: impl Fn(usize) -> Bytes + Send + Sync + 'static,
    events_per_request: u64,
) -> Phase {
    let body = Arc::new(body);
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..connections {
        let (client, url, body, stop, failures) = (
            client.clone(),
            url.to_owned(),
            body.clone(),
            stop.clone(),
            failures.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if !pace.is_zero() {
                    tokio::time::sleep_until(next.into()).await;
                    next += pace;
                }
                let request = axum::http::Request::post(&url)
                    .header("content-type", "text/plain")
                    .header("user-agent", UA)
                    .header("accept-encoding", ACCEPT_ENCODING)
                    .body(Full::new(body(task)))
                    .unwrap();
                let sent = Instant::now();
                match client.request(request).await {
                    Ok(response) if response.status().is_success() => {
                        let _ = http_body_util::BodyExt::collect(response.into_body()).await;
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let requests = latencies.len() as u64;
    Phase {
        requests,
        events: requests * events_per_request,
        failures: failures.load(Ordering::Relaxed),
        seconds,
        latencies,
        server_cpu: 0.0,
    }
}

/// Runs a load `phase` and notes the CPU time the server `pid` spent meanwhile: its
/// threads' time on a CPU (`/proc/<pid>/task/*/schedstat`, nanoseconds). On a machine the
/// load generator shares, this says more than the rates: it does not move with the
/// generator's own cost or the machine's drift.
async fn with_cpu(pid: u32, phase: impl std::future::Future<Output = Phase>) -> Phase {
    let before = cpu_seconds(pid);
    let mut phase = phase.await;
    phase.server_cpu = cpu_seconds(pid) - before;
    phase
}

/// `what: median M of N rounds (sorted values)`.
fn print_median(what: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    let all: Vec<String> = values.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "{what}: median {:.2} of {} rounds ({})",
        values[values.len() / 2],
        values.len(),
        all.join(", ")
    );
}

fn cpu_seconds(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return f64::NAN;
    };
    let nanos: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 / 1e9
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The collector as its own process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The peak resident memory of process `pid` (`VmHWM`), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The events the embedded store's file at `path` holds that were received from
/// `since_ms` on (the run's; a new data directory holds no others, but the count must not
/// rest on that).
fn events_in_file(path: &std::path::Path, since_ms: i64) -> u64 {
    // Read-write: opening the file replays its write-ahead log as any restart would.
    let db = rusqlite::Connection::open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    db.query_row(
        "SELECT count(*) FROM events WHERE received_at >= ?1",
        [since_ms],
        |row| row.get::<_, i64>(0),
    )
    .unwrap() as u64
}

/// The server's `/metrics` text.
async fn metrics(client: &HttpClient, base: &str) -> String {
    let request = axum::http::Request::get(format!("{base}/metrics"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

/// The value of `series` in a `/metrics` text (0 when it is missing).
fn series(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The stored count from the server's `/metrics`.
async fn stored(client: &HttpClient, base: &str) -> u64 {
    series(
        &metrics(client, base).await,
        r#"spur_ingest_events_total{outcome="stored"}"#,
    ) as u64
}

/// The writer's commits so far, from `/metrics`: how many, their seconds and their
/// events.
#[derive(Clone, Copy, Default)]
struct Commits {
    count: f64,
    seconds: f64,
    events: f64,
}

impl Commits {
    async fn now(client: &HttpClient, base: &str) -> Commits {
        let text = metrics(client, base).await;
        Commits {
            count: series(&text, "spur_store_commit_seconds_count"),
            seconds: series(&text, "spur_store_commit_seconds_sum"),
            events: series(&text, "spur_store_commit_events_sum"),
        }
    }

    /// What the commits since `before` were, over a phase of `seconds`: the profile of
    /// group commit that explains a rate.
    fn print_since(self, before: Commits, seconds: f64) {
        let count = (self.count - before.count).max(1.0);
        println!(
            "{:<34} {:>9.0} commits/s, {:.1} events and {:.3} ms each (means)",
            "  the writer",
            count / seconds,
            (self.events - before.events) / count,
            (self.seconds - before.seconds) * 1000.0 / count,
        );
    }
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.bare_server {
        Some(port) => runtime.block_on(bare_server(port)),
        None => runtime.block_on(run(args)),
    }
}

/// The reference: an axum handler that takes the body and answers 202, nothing else.
async fn bare_server(port: u16) {
    let bare = axum::Router::new().route(
        "/",
        axum::routing::post(|body: Bytes| async move {
            std::hint::black_box(body);
            axum::http::StatusCode::ACCEPTED
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    axum::serve(listener, bare).await.unwrap();
}

/// Starts `command` as a server on `port` and waits until it accepts connections.
fn start_server(mut command: Command, port: u16, name: &str) -> Server {
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
    let server = Server(child);
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(30),
            "{name} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

async fn run(args: Args) {
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.connections)
        .build_http();
    println!(
        "ingest benchmark: {} s per phase, {} connections, batches of {}; {} cores",
        args.seconds,
        args.connections,
        args.batch,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. The bare HTTP stack, in a process of its own as the collector is.
    let bare_port = free_port();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--bare-server", &bare_port.to_string()]);
    let bare_server = start_server(command, bare_port, "the bare axum server");
    let bare_url = format!("http://127.0.0.1:{bare_port}/");
    let kilobyte = Bytes::from(vec![b'x'; 1024]);

    // 2. The collector.
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let database = format!("spur_bench_{}", std::process::id());
    let mut command = Command::new(env!("CARGO_BIN_EXE_spur"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data.path())
        .args(["--rate-limit-ip", "0", "--rate-limit-site", "0"]);
    if let Some(url) = &args.clickhouse_url {
        command.args(["--store", "clickhouse", "--clickhouse-url", url]);
        command.args(["--clickhouse-database", &database]);
    }
    let started_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut server = start_server(command, port, "spur");
    let url = format!("{base}/api/v1/events");

    let payloads = |seed: u64| {
        let generators: Vec<std::sync::Mutex<Payloads>> = (0..args.connections)
            .map(|i| std::sync::Mutex::new(Payloads::new(seed + i as u64)))
            .collect();
        Arc::new(generators)
    };
    // (1) and (2) take turns, each round a ratio: the machine's speed drifts within a
    // run (the bare rate moved by a quarter between runs of one hour), and a ratio of
    // phases taken minutes apart carried that drift.
    let singles = payloads(1_000);
    let mut ratios = Vec::new();
    let mut cpu_ratios = Vec::new();
    let mut single_events = 0;
    for round in 1..=args.rounds {
        let body = kilobyte.clone();
        let reference = with_cpu(
            bare_server.0.id(),
            load(
                &client,
                &bare_url,
                args.connections,
                args.seconds,
                Duration::ZERO,
                move |_| body.clone(),
                1,
            ),
        )
        .await;
        reference.print(&format!("bare axum, 1 KB POST -> 202 ({round})"));
        let generators = singles.clone();
        let before = Commits::now(&client, &base).await;
        let single = with_cpu(
            server.0.id(),
            load(
                &client,
                &url,
                args.connections,
                args.seconds,
                Duration::ZERO,
                move |task| generators[task].lock().unwrap().batch(1),
                1,
            ),
        )
        .await;
        single.print(&format!("spur, single-event requests ({round})"));
        Commits::now(&client, &base)
            .await
            .print_since(before, single.seconds);
        single_events += single.events;
        ratios.push(single.rate() / reference.rate());
        cpu_ratios.push(single.cpu_per_request() / reference.cpu_per_request());
    }
    drop(bare_server);

    // 3. Batches at full load.
    let batches = payloads(2_000);
    let size = args.batch;
    let before = Commits::now(&client, &base).await;
    let full = with_cpu(
        server.0.id(),
        load(
            &client,
            &url,
            args.connections,
            args.seconds,
            Duration::ZERO,
            move |task| batches[task].lock().unwrap().batch(size),
            args.batch as u64,
        ),
    )
    .await;
    full.print(&format!("spur, batches of {}, full load", args.batch));
    Commits::now(&client, &base)
        .await
        .print_since(before, full.seconds);

    // 4. Batches paced at half the peak request rate.
    let peak = full.requests as f64 / full.seconds;
    let pace = Duration::from_secs_f64(args.connections as f64 / (peak / 2.0).max(1.0));
    let halves = payloads(3_000);
    let before = Commits::now(&client, &base).await;
    let half = with_cpu(
        server.0.id(),
        load(
            &client,
            &url,
            args.connections,
            args.seconds,
            pace,
            move |task| halves[task].lock().unwrap().batch(size),
            args.batch as u64,
        ),
    )
    .await;
    half.print(&format!("spur, batches of {}, half the peak", args.batch));
    Commits::now(&client, &base)
        .await
        .print_since(before, half.seconds);

    // 5. Memory and durability.
    let acknowledged = single_events + full.events + half.events;
    let in_store = stored(&client, &base).await;
    println!();
    print_median("single-event rate / bare axum rate", ratios);
    print_median(
        "server CPU per single-event request / bare axum's",
        cpu_ratios,
    );
    println!("peak RSS of spur: {:.0} MB", peak_rss_mb(server.0.id()));
    let mut all = in_store == acknowledged;
    if args.clickhouse_url.is_none() {
        let _ = server.0.kill();
        let _ = server.0.wait();
        let in_file = events_in_file(&data.path().join("spur.sqlite3"), started_ms);
        println!("events received in the run, in the file after SIGKILL: {in_file}");
        all &= in_file == acknowledged;
    }
    if let Some(url) = &args.clickhouse_url {
        use spur::store::Store;
        let store = spur::store::clickhouse::ClickHouseStore::open(url, &database).unwrap();
        let rows = store.touches("demo", 0, i64::MAX).unwrap().len();
        println!("events in ClickHouse: {rows}");
        all &= rows as u64 == acknowledged;
        store.drop_database().unwrap();
    }
    println!(
        "acknowledged events {acknowledged}, stored {in_store}: {}",
        if all { "all stored" } else { "MISMATCH" }
    );
}
