//! Durability under `kill -9`: every event that got a 2xx survives, exactly once; and a
//! backup taken under load holds every event acknowledged before it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spur::store::Store;
use spur::store::sqlite::SqliteStore;
use spur_tests::process::{SpurProcess, free_port, get, http_client, post};

const SPUR: &str = env!("CARGO_BIN_EXE_spur-under-test");

fn batch(ids: &[String], now: i64) -> String {
    let events: Vec<_> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id, "ts": now, "type": "pageview",
                "url": "https://shop.example/demo/", "name": "landing", "stage": "awareness"
            })
        })
        .collect();
    serde_json::json!({ "v": 1, "site": "demo", "sent_at": now, "events": events }).to_string()
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Every id of `acked` is among the `stored` ids, and each of those is stored once.
fn assert_stored_once(acked: &BTreeSet<String>, stored: &BTreeMap<String, usize>) {
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
}

/// Every event id stored for the demo site, with how many rows hold it.
fn stored_ids(data: &std::path::Path) -> BTreeMap<String, usize> {
    let store = SqliteStore::open(data).unwrap();
    let mut ids = BTreeMap::new();
    for touch in store.touches("demo", 0, i64::MAX).unwrap() {
        *ids.entry(touch.id).or_default() += 1;
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let addr = free_port();
    let no_limits = ["--rate-limit-ip", "0", "--rate-limit-site", "0"];
    let mut spur = SpurProcess::start(SPUR, &data, addr, &no_limits).await;

    // Four clients post batches of 20 as fast as they can; each remembers what was
    // acknowledged and what was sent without an answer.
    let acked = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let sent: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let url = spur.url("/api/v1/events");
    let mut clients = Vec::new();
    for client_no in 0..4 {
        let (acked, sent, url) = (acked.clone(), sent.clone(), url.clone());
        clients.push(tokio::spawn(async move {
            let client = http_client();
            for batch_no in 0.. {
                let ids: Vec<String> = (0..20)
                    .map(|i| format!("crash-{client_no}-{batch_no:06}-{i:02}"))
                    .collect();
                sent.lock().unwrap().push(ids.clone());
                match post(&client, &url, &[], batch(&ids, now_ms())).await {
                    Some((status, _)) if status.is_success() => {
                        acked.lock().unwrap().extend(ids);
                    }
                    // The process is gone (or going): stop.
                    Some((status, _)) if status.is_server_error() => {}
                    Some((status, body)) => panic!("{status}: {body:?}"),
                    None => return,
                }
            }
        }));
    }
    // Let the load run until a good number of batches were acknowledged, then kill.
    for _ in 0..200 {
        if acked.lock().unwrap().len() >= 4_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    spur.kill_9();
    for client in clients {
        tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .expect("clients stop once the collector is gone")
            .unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 1_000,
        "too little load before the kill: {}",
        acked.len()
    );

    // Every acknowledged event is on disk, once.
    assert_stored_once(&acked, &stored_ids(&data));

    // Restarted on the same data, the clients re-send everything they sent (as a
    // tracker does with what it never saw acknowledged): each event is stored once.
    let spur = SpurProcess::start(SPUR, &data, addr, &no_limits).await;
    let client = http_client();
    let sent = sent.lock().unwrap().clone();
    for ids in &sent {
        let (status, body) = post(
            &client,
            &spur.url("/api/v1/events"),
            &[],
            batch(ids, now_ms()),
        )
        .await
        .expect("restarted collector answers");
        assert_eq!(status, 202, "{body:?}");
    }
    let (_, metrics) = get(&client, &spur.url("/metrics")).await.unwrap();
    let metrics = String::from_utf8(metrics.to_vec()).unwrap();
    let all: BTreeSet<&String> = sent.iter().flatten().collect();
    let stored = stored_ids(&data);
    assert_eq!(stored.len(), all.len());
    assert!(stored.values().all(|&n| n == 1));
    assert!(all.iter().all(|id| stored.contains_key(*id)));
    let before_restart = stored_count_line(&metrics, "duplicate");
    assert!(
        before_restart >= acked.len() as u64,
        "re-sent acknowledged events count as duplicates: {before_restart} < {}",
        acked.len()
    );
}

fn stored_count_line(metrics: &str, outcome: &str) -> u64 {
    let prefix = format!("spur_ingest_events_total{{outcome=\"{outcome}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{metrics}"))
}

/// Slow and idle clients cannot hold the collector: a request's headers (or a first
/// byte) are cut off after 10 s, one address gets at most 256 connections (the next is closed at once,
/// while others are served), and SIGTERM ends the process within the 10 s grace even
/// while a client sends its body byte by byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_cannot_hold_the_collector() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let dir = tempfile::tempdir().unwrap();
    let mut spur = SpurProcess::start(SPUR, &dir.path().join("data"), free_port(), &[]).await;
    let addr = spur.addr;
    // Read until the server closes the connection (or `patience` runs out: `None`).
    async fn closed_after(stream: &mut TcpStream, patience: Duration) -> Option<Duration> {
        let start = std::time::Instant::now();
        let mut buffer = [0u8; 1024];
        loop {
            match tokio::time::timeout(patience, stream.read(&mut buffer)).await {
                Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
                Ok(Ok(_)) => continue,
                Err(_) => return None,
            }
        }
    }

    // Half the headers, then nothing; nothing at all; and one request answered, then
    // nothing (a connection kept alive).
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: spur\r\n")
        .await
        .unwrap();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: spur\r\n\r\n")
        .await
        .unwrap();
    let patience = Duration::from_secs(20);
    let (slow_cut, idle_cut, kept_cut) = tokio::join!(
        closed_after(&mut slow, patience),
        closed_after(&mut idle, patience),
        closed_after(&mut kept, patience)
    );
    for (what, cut) in [
        ("headers", slow_cut),
        ("silence", idle_cut),
        ("kept alive", kept_cut),
    ] {
        assert!(
            cut.is_some_and(|t| t >= Duration::from_secs(9)),
            "{what} cut off after 10 s: {cut:?}"
        );
    }

    // 256 connections from one address; the 257th is closed without an answer.
    let mut held = Vec::new();
    for _ in 0..256 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: spur\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), extra.read_to_end(&mut answer)).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    held.truncate(200);
    let (status, _) = get(&http_client(), &spur.url("/healthz")).await.unwrap();
    assert_eq!(status, 200);
    drop(held);

    // SIGTERM while a body trickles in: out within the grace.
    let mut trickle = TcpStream::connect(addr).await.unwrap();
    trickle
        .write_all(
            b"POST /api/v1/events HTTP/1.1\r\nHost: spur\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || spur.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "exited after {:?}",
        start.elapsed()
    );
    drop(trickle);
}

/// `spur backup` beside a collector under load: the copy holds every event that was
/// acknowledged before the backup started, once each, and only events that were sent;
/// restored, it is a working store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_holds_everything_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let no_limits = ["--rate-limit-ip", "0", "--rate-limit-site", "0"];
    let spur = SpurProcess::start(SPUR, &data, free_port(), &no_limits).await;
    let acked = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let sent = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = spur.url("/api/v1/events");
    let mut clients = Vec::new();
    for client_no in 0..4 {
        let (acked, sent, stop, url) = (acked.clone(), sent.clone(), stop.clone(), url.clone());
        clients.push(tokio::spawn(async move {
            let client = http_client();
            for batch_no in 0.. {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let ids: Vec<String> = (0..20)
                    .map(|i| format!("backup-{client_no}-{batch_no:06}-{i:02}"))
                    .collect();
                sent.lock().unwrap().extend(ids.iter().cloned());
                let answer = post(&client, &url, &[], batch(&ids, now_ms())).await;
                if matches!(answer, Some((status, _)) if status == 202) {
                    acked.lock().unwrap().extend(ids);
                }
            }
        }));
    }
    // Load first: the backup starts once the clients have some events acknowledged.
    let loaded = tokio::time::timeout(Duration::from_secs(20), async {
        while acked.lock().unwrap().len() < 200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert!(
        loaded.await.is_ok(),
        "no load: {}",
        acked.lock().unwrap().len()
    );
    let before = acked.lock().unwrap().clone();
    let copy = dir.path().join("copy.sqlite3");
    let (data_arg, copy_arg) = (data.clone(), copy.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(SPUR)
            .args(["backup", "--data"])
            .arg(&data_arg)
            .arg("--to")
            .arg(&copy_arg)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }

    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(&copy, restored.join("spur.sqlite3")).unwrap();
    let in_copy = stored_ids(&restored);
    assert_stored_once(&before, &in_copy);
    let sent = sent.lock().unwrap();
    assert!(in_copy.keys().all(|id| sent.contains(id)));
    drop(spur);
}
