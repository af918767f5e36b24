//! Privacy promises, checked in code: consented ids, a visitor's export and deletion
//! (API and command line), retention, and no raw IP address or user agent on disk or in
//! the logs.

use std::net::SocketAddr;
use std::process::Command;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use spur::event::Event;
use spur::store::Store;
use spur::store::sqlite::SqliteStore;
use spur_tests::process::{BROWSER_UA, SpurProcess, api_token, free_port, get_with, post};
use spur_tests::{Reply, Server};

const SPUR: &str = env!("CARGO_BIN_EXE_spur-under-test");
const TOKEN: &str = "test-admin-token-0123456789";
const UID: &str = "Zm9yLXRoZS1yZWNvcmQ";

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn batch(ids: &[&str], uid: Option<&str>) -> String {
    let t = now();
    let events: Vec<_> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "ts": t, "type": "pageview", "url": "https://shop.example/demo/", "name": "landing"}))
        .collect();
    let mut batch = serde_json::json!({"v": 1, "site": "demo", "sent_at": t, "events": events});
    if let Some(uid) = uid {
        batch["uid"] = uid.into();
    }
    batch.to_string()
}

async fn post_as(server: &Server, ip: [u8; 4], ua: &str, body: String) -> Reply {
    let mut request = Request::post("/api/v1/events")
        .header("content-type", "text/plain")
        .header("user-agent", ua)
        .body(Body::from(body))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 50_000))));
    server.call(request).await
}

async fn admin(server: &Server, method: &str, query: &str, token: Option<&str>) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/api/v1/visitors?{query}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    server.call(request.body(Body::empty()).unwrap()).await
}

/// The visitors API's export for `query` (which must succeed).
async fn exported(server: &Server, query: &str) -> serde_json::Value {
    let export = admin(server, "GET", query, Some(TOKEN)).await;
    assert_eq!(
        export.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&export.body)
    );
    export.json()
}

/// The ids of an export's events, in its order.
fn event_ids(export: &serde_json::Value) -> Vec<&str> {
    export["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn consented_visitors_are_one_across_addresses_and_can_be_exported_and_deleted() {
    let server = Server::start_with(|s| s.admin_token = Some(TOKEN.into())).await;
    // The same consented visitor from two networks and browsers; and an anonymous one.
    let a = post_as(
        &server,
        [198, 51, 100, 1],
        BROWSER_UA,
        batch(&["consent-event-0001"], Some(UID)),
    )
    .await;
    let b = post_as(&server, [203, 0, 113, 9], "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", batch(&["consent-event-0002"], Some(UID))).await;
    let c = post_as(
        &server,
        [198, 51, 100, 1],
        BROWSER_UA,
        batch(&["anonymous-event-01"], None),
    )
    .await;
    assert_eq!(
        (a.status.as_u16(), b.status.as_u16(), c.status.as_u16()),
        (202, 202, 202)
    );

    // The API is closed without the token, and refuses a wrong one.
    assert_eq!(
        admin(&server, "GET", &format!("site=demo&uid={UID}"), None)
            .await
            .status,
        401
    );
    let wrong = admin(
        &server,
        "GET",
        &format!("site=demo&uid={UID}"),
        Some("nope-nope-nope-nope"),
    )
    .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.error_code().as_str()),
        (401, "unauthorized")
    );
    let bad = admin(&server, "GET", "site=demo&uid=x", Some(TOKEN)).await;
    assert_eq!(
        (bad.status.as_u16(), bad.error_code().as_str()),
        (400, "invalid_query")
    );

    let export = exported(&server, &format!("site=demo&uid={UID}")).await;
    assert_eq!(
        event_ids(&export),
        ["consent-event-0001", "consent-event-0002"]
    );
    assert_eq!(export["events"][0]["touchpoint"], "landing");
    let visitor = export["visitor"].as_str().unwrap().to_owned();
    // The same visitor by the id reports show.
    let by_id = admin(
        &server,
        "GET",
        &format!("site=demo&id={visitor}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(by_id.json()["events"].as_array().unwrap().len(), 2);

    let deleted = admin(
        &server,
        "DELETE",
        &format!("site=demo&uid={UID}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(deleted.json(), serde_json::json!({"deleted": 2}));
    let after = admin(&server, "GET", &format!("site=demo&uid={UID}"), Some(TOKEN)).await;
    assert_eq!(after.json()["events"], serde_json::json!([]));
    // The anonymous visitor's event is untouched.
    assert_eq!(server.stored("demo"), 1);
}

/// A customer the site identified (`customer`, from `spur.identify`) is one visitor on
/// every device, whether or not a device also has a consented id; the reference itself
/// is stored nowhere; the customer's events are exported and deleted by it.
#[tokio::test]
async fn an_identified_customer_is_one_visitor_across_devices_and_can_be_exported_by_reference() {
    const CUSTOMER: &str = "Kunde 4711";
    let server = Server::start_with(|s| s.admin_token = Some(TOKEN.into())).await;
    let identified = |id: &str, uid: Option<&str>| {
        let mut batch: serde_json::Value = serde_json::from_str(&batch(&[id], uid)).unwrap();
        batch["customer"] = CUSTOMER.into();
        batch.to_string()
    };
    let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
    let replies = [
        post_as(
            &server,
            [198, 51, 100, 1],
            BROWSER_UA,
            identified("customer-laptop-01", None),
        )
        .await,
        post_as(
            &server,
            [203, 0, 113, 9],
            phone,
            identified("customer-phone-001", Some(UID)),
        )
        .await,
        // The same devices without the reference: other visitors.
        post_as(
            &server,
            [198, 51, 100, 1],
            BROWSER_UA,
            batch(&["anonymous-laptop-1"], None),
        )
        .await,
        post_as(
            &server,
            [203, 0, 113, 9],
            phone,
            batch(&["consented-phone-01"], Some(UID)),
        )
        .await,
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [202; 4]);

    let export = exported(&server, "site=demo&customer=Kunde%204711").await;
    assert_eq!(
        event_ids(&export),
        ["customer-laptop-01", "customer-phone-001"]
    );
    let consented = exported(&server, &format!("site=demo&uid={UID}")).await;
    assert_eq!(event_ids(&consented), ["consented-phone-01"]);

    // A blank or multi-line reference: the batch is refused, the query too.
    let mut blank: serde_json::Value =
        serde_json::from_str(&batch(&["customer-blank-001"], None)).unwrap();
    blank["customer"] = " ".into();
    let refused = post_as(&server, [198, 51, 100, 1], BROWSER_UA, blank.to_string()).await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code().as_str()),
        (422, "invalid_batch")
    );
    let bad = admin(&server, "GET", "site=demo&customer=a%0Ab", Some(TOKEN)).await;
    assert_eq!(
        (bad.status.as_u16(), bad.error_code().as_str()),
        (400, "invalid_query")
    );

    // The reference is nowhere in the store.
    let db = std::fs::read(server.data.path().join("spur.sqlite3")).unwrap();
    let wal = std::fs::read(server.data.path().join("spur.sqlite3-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes
                .windows(CUSTOMER.len())
                .any(|w| w == CUSTOMER.as_bytes())
        );
    }

    let deleted = admin(
        &server,
        "DELETE",
        "site=demo&customer=Kunde%204711",
        Some(TOKEN),
    )
    .await;
    assert_eq!(deleted.json()["deleted"], 2);
}

#[tokio::test]
async fn the_visitor_api_is_off_without_an_admin_token() {
    let server = Server::start().await;
    let reply = admin(&server, "GET", &format!("site=demo&uid={UID}"), Some(TOKEN)).await;
    assert_eq!(
        (reply.status.as_u16(), reply.error_code().as_str()),
        (403, "admin_api_off")
    );
}

fn event(id: &str, visitor: u64, ts: i64) -> Event {
    spur_tests::landing("demo", id, visitor, ts)
}

#[test]
fn the_command_line_exports_and_deletes_a_visitor() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = SqliteStore::open(&data).unwrap();
        // A customer the site identified, stored under the id ingest derives.
        let key = store.secret(spur::visitor::SECRET_NAME).unwrap();
        let customer = spur::visitor::identified_id(&key, "demo", "Kunde 4711");
        store
            .append(&[vec![
                event("cli-event-000001", 0xabc, now()),
                event("cli-event-000002", 0xabc, now()),
                event("cli-event-000003", 0xdef, now()),
                event("cli-event-000004", customer, now()),
            ]])
            .unwrap();
    }
    let run = |args: &[&str]| {
        let out = Command::new(SPUR)
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let export = run(&[
        "visitor",
        "export",
        "--site",
        "demo",
        "--id",
        "0000000000000abc",
    ]);
    assert_eq!(export["visitor"], "0000000000000abc");
    assert_eq!(export["events"].as_array().unwrap().len(), 2);
    assert_eq!(
        run(&[
            "visitor",
            "delete",
            "--site",
            "demo",
            "--id",
            "0000000000000abc"
        ]),
        serde_json::json!({"deleted": 2})
    );
    assert_eq!(
        run(&[
            "visitor",
            "export",
            "--site",
            "demo",
            "--id",
            "0000000000000abc"
        ])["events"],
        serde_json::json!([])
    );
    let by_customer = run(&[
        "visitor",
        "export",
        "--site",
        "demo",
        "--customer",
        "Kunde 4711",
    ]);
    assert_eq!(by_customer["events"][0]["id"], "cli-event-000004");
    assert_eq!(by_customer["events"].as_array().unwrap().len(), 1);
    // Clear errors for a bad id or a missing visitor selector.
    let bad = Command::new(SPUR)
        .args(["visitor", "export", "--site", "demo", "--id", "xyz"])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("16 hex digits"));
    let none = Command::new(SPUR)
        .args(["visitor", "delete", "--site", "demo"])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!none.status.success());
    let store = SqliteStore::open(&data).unwrap();
    assert_eq!(store.visitor_events("demo", 0xdef).unwrap().len(), 1);
}

#[tokio::test]
async fn retention_deletes_old_raw_events_at_start_and_keeps_recent_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let day = 24 * 3600 * 1000;
    {
        let store = SqliteStore::open(&data).unwrap();
        store
            .append(&[vec![
                event("old-event-0000001", 1, now() - 40 * day),
                event("old-event-0000002", 2, now() - 31 * day),
                event("new-event-0000001", 1, now() - 29 * day),
                event("new-event-0000002", 2, now()),
            ]])
            .unwrap();
    }
    let spur = SpurProcess::start(SPUR, &data, free_port(), &["--retention-days", "30"]).await;
    let store = SqliteStore::open(&data).unwrap();
    spur_tests::browser::until(
        "old events are deleted",
        std::time::Duration::from_secs(20),
        || {
            store
                .touches("demo", i64::MIN, i64::MAX)
                .map(|t| t.len() == 2)
                .unwrap_or(false)
        },
    )
    .await;
    let mut ids: Vec<String> = store
        .touches("demo", i64::MIN, i64::MAX)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["new-event-0000001", "new-event-0000002"]);
    assert!(
        spur.log_text()
            .contains("Deleted events past the retention period")
    );
}

#[tokio::test]
async fn no_ip_address_user_agent_or_customer_reference_reaches_the_disk_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = api_token(SPUR, &data);
    let mut spur = SpurProcess::start(SPUR, &data, free_port(), &[]).await;
    let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 PrivacyProbe/7.7";
    // The client connects from a loopback address of its own, easy to look for.
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_local_address(Some("127.0.0.77".parse().unwrap()));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let (status, _) = post(
        &client,
        &spur.url("/api/v1/events"),
        &[("user-agent", ua)],
        batch(&["privacy-event-0001"], None),
    )
    .await
    .unwrap();
    assert_eq!(status, 202);
    // A customer the site identified: accepted; a reference with a control character
    // refused (and logged nowhere with the reference in it either).
    for (reference, expected) in [("PrivacyCustomer-42", 202), ("PrivacyCustomer\u{7}", 422)] {
        let mut body: serde_json::Value =
            serde_json::from_str(&batch(&["privacy-event-0002"], None)).unwrap();
        body["customer"] = reference.into();
        let (status, _) = post(
            &client,
            &spur.url("/api/v1/events"),
            &[("user-agent", ua)],
            body.to_string(),
        )
        .await
        .unwrap();
        assert_eq!(status, expected, "{reference:?}");
    }
    let (status, _) = get_with(
        &client,
        &spur.url("/api/v1/reports/paths?site=demo"),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(spur.terminate().code(), Some(0));

    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        on_disk.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let on_disk = String::from_utf8_lossy(&on_disk);
    assert!(
        on_disk.contains("privacy-event-0001"),
        "the event itself is stored"
    );
    assert!(
        !on_disk.contains("PrivacyProbe"),
        "the user agent is on disk"
    );
    assert!(
        on_disk.contains("privacy-event-0002") && !on_disk.contains("PrivacyCustomer"),
        "the identified event is stored, the customer's reference is not"
    );
    let log = spur.log_text();
    assert!(
        !log.contains("PrivacyProbe"),
        "the user agent is in the log:\n{log}"
    );
    assert!(log.contains("Listening"), "the log was captured:\n{log}");
    assert!(
        !log.contains("PrivacyCustomer"),
        "a customer's reference is in the log:\n{log}"
    );
    assert!(
        !log.contains("127.0.0.77"),
        "the client's IP address is in the log:\n{log}"
    );
    assert!(
        !on_disk.contains("127.0.0.77"),
        "the client's IP address is on disk"
    );
}
