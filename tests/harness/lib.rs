//! Test harness: a collector on a real socket with its own data directory (stopped and
//! restarted on the same port and data at will), HTTP helpers, a static server for test
//! pages, and a headless Chromium driven through chromedriver (WebDriver).

pub mod browser;
pub mod clickhouse;
pub mod pages;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use spur::app::App;
use spur::config::Settings;
use spur::store::Store;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// The repository root (for fixtures).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn fixture(path: &str) -> String {
    let path = repo_root().join("tests/fixtures").join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A collector serving on `127.0.0.1:<free port>`, stopped (gracefully) on [`Server::stop`]
/// and started again, on the same port and data, by [`Server::restart`].
///
/// Every server has a marketer's account and an API token, as `spur user add` and
/// `spur token create` would make them.
/// The account every test server has.
pub const MARKETER: &str = "marketer@shop.example";
pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub addr: SocketAddr,
    pub router: axum::Router,
    pub store: Arc<dyn Store>,
    pub data: tempfile::TempDir,
    /// An API token of the account [`MARKETER`] (password [`PASSWORD`]), which
    /// [`Server::get`] sends.
    pub token: String,
    settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut settings = Settings::with_data(data.path());
        adjust(&mut settings);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let store: Arc<dyn Store> = settings.store.open().unwrap();
        let app = App::with_store(&settings, store.clone()).unwrap();
        store
            .set_user(MARKETER, &spur::auth::hash_password(PASSWORD).unwrap())
            .unwrap();
        let (user, _) = store.user(MARKETER).unwrap().unwrap();
        let token = spur::auth::new_token();
        store
            .add_token(user, &spur::auth::token_hash(&token), "api", None)
            .unwrap();
        let mut server = Server {
            addr,
            router: app.router.clone(),
            store,
            data,
            token,
            settings,
            stop: None,
            task: None,
        };
        server.serve(app, listener);
        server
    }

    fn serve(&mut self, app: App, listener: tokio::net::TcpListener) {
        let (stop, stopped) = oneshot::channel::<()>();
        self.stop = Some(stop);
        self.task = Some(tokio::spawn(app.serve(listener, async {
            let _ = stopped.await;
        })));
    }

    /// Stops the collector (if it runs) and starts it again on the same address, with
    /// the same settings and data directory: what an operator's restart looks like to
    /// a browser.
    pub async fn restart(&mut self) {
        self.stop().await;
        // The old listener is closed; binding the same port again can still fail for a
        // moment on a busy machine.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) if std::time::Instant::now() < deadline => {
                    eprintln!("rebinding {}: {e}; retrying", self.addr);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        self.store = self.settings.store.open().unwrap();
        let app = App::with_store(&self.settings, self.store.clone()).unwrap();
        self.router = app.router.clone();
        self.serve(app, listener);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Graceful shutdown: stops accepting, finishes requests, drains the queue.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// The value of one series of `GET /metrics`, e.g.
    /// `spur_ingest_events_total{outcome="duplicate"}`; 0 when it has not been counted
    /// yet. Counters start at 0 with every (re)start.
    pub async fn metric(&self, series: &str) -> f64 {
        let reply = self.get("/metrics").await;
        assert_eq!(reply.status, StatusCode::OK, "GET /metrics");
        let text = String::from_utf8(reply.body).unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map_or(0.0, |value| value.trim().parse().unwrap())
    }

    /// Every stored event of `site`, whatever its time.
    pub fn stored(&self, site: &str) -> usize {
        self.store.touches(site, i64::MIN, i64::MAX).unwrap().len()
    }

    /// Sends `request` through the router without a socket.
    pub async fn call(&self, request: Request<Body>) -> Reply {
        call(&self.router, request).await
    }

    pub async fn post_events(&self, content_type: &str, body: impl Into<Body>) -> Reply {
        let request = Request::post("/api/v1/events")
            .header("content-type", content_type)
            .header("user-agent", process::BROWSER_UA)
            .body(body.into())
            .unwrap();
        self.call(request).await
    }

    /// `GET`, with the marketer's API token.
    pub async fn get(&self, uri: &str) -> Reply {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {}", self.token))
            .body(Body::empty())
            .unwrap();
        self.call(request).await
    }

    /// `GET`, without any credentials.
    pub async fn get_anonymous(&self, uri: &str) -> Reply {
        self.call(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error.code` of an error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn call(router: &axum::Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// Today's date in UTC, as the reports API writes it.
pub fn today() -> String {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// A desktop page view of `landing` on `site` (at `https://shop.example/`), received when
/// it happened: what tests store directly, bypassing ingest. (The collector's own unit
/// tests have `Event::landing`, which is not visible outside its crate.)
pub fn landing(site: &str, id: &str, visitor: u64, ts: i64) -> spur::event::Event {
    spur::event::Event {
        site: site.into(),
        id: id.into(),
        visitor,
        ts,
        received_at: ts,
        kind: spur::event::EventKind::Pageview,
        touchpoint: "landing".into(),
        stage: None,
        url: "https://shop.example/".into(),
        referrer: None,
        utm: spur::event::Utm::default(),
        props: None,
        device: spur::event::Device::Desktop,
    }
}
