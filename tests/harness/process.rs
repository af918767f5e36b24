//! The real `spur` binary as a child process, for what only a process shows: a `kill -9`
//! in the middle of work, a restart on the same data, what it writes to its logs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What a desktop Chrome sends; the collector drops requests from bots and headless browsers.
pub const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/// A running `spur serve` with its data directory, stdout and stderr in files.
pub struct SpurProcess {
    pub addr: SocketAddr,
    pub data: PathBuf,
    child: Child,
    pub log: PathBuf,
}

impl SpurProcess {
    /// Starts `binary serve --listen addr --data data` with `extra` arguments and waits
    /// until it answers `/healthz`. Pass port 0 in `addr` for a free port.
    pub async fn start(binary: &str, data: &Path, addr: SocketAddr, extra: &[&str]) -> SpurProcess {
        let addr = if addr.port() == 0 { free_port() } else { addr };
        let log = data.with_extension(format!("{}.log", addr.port()));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "debug")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary}: {e}"));
        let mut process = SpurProcess {
            addr,
            data: data.to_owned(),
            child,
            log,
        };
        process.wait_ready().await;
        process
    }

    async fn wait_ready(&mut self) {
        let client = http_client();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("spur exited with {status} at start:\n{}", self.log_text());
            }
            let request = Request::get(format!("http://{}/healthz", self.addr))
                .body(Full::new(Bytes::new()))
                .unwrap();
            if let Ok(Ok(response)) =
                tokio::time::timeout(Duration::from_secs(2), client.request(request)).await
                && response.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "spur did not come up:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL: no shutdown code of the collector runs.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the exit (graceful shutdown).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for SpurProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// POSTs `body` as `text/plain` with a browser's user agent; `None` when the connection
/// failed (refused, reset, the process died mid-request).
pub async fn post(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Option<(StatusCode, Bytes)> {
    let mut request = Request::post(url)
        .header("content-type", "text/plain")
        .header("user-agent", BROWSER_UA);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).unwrap();
    let response = client.request(request).await.ok()?;
    let status = response.status();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, body))
}

pub async fn get(client: &HttpClient, url: &str) -> Option<(StatusCode, Bytes)> {
    get_with(client, url, &[]).await
}

pub async fn get_with(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, &str)],
) -> Option<(StatusCode, Bytes)> {
    let mut request = Request::get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::new())).unwrap();
    let response = client.request(request).await.ok()?;
    let status = response.status();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, body))
}

/// Creates the account [`crate::MARKETER`] in `data` and an API token for it, with the
/// `spur` command `bin` as an operator would (`spur user add`, `spur token create`).
pub fn api_token(bin: &str, data: &Path) -> String {
    use std::io::Write;
    let mut add = Command::new(bin)
        .args(["user", "add", "--email", crate::MARKETER, "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{}", crate::PASSWORD).unwrap();
    assert!(add.wait().unwrap().success(), "spur user add failed");
    let out = Command::new(bin)
        .args(["token", "create", "--email", crate::MARKETER, "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "spur token create failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
