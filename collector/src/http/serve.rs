//! The accept loop: HTTP/1 and HTTP/2 connections served by hyper, with the bounds a
//! public endpoint needs against slow and idle clients (axum's own `serve` has none):
//!
//! - a connection's first request's first byte, and every request's headers, must
//!   arrive within [`HEADER_TIMEOUT`] (over HTTP/1 that time also runs from an answer
//!   to the next request, so a connection kept alive and then left quiet is closed),
//!   and the whole request must be answered within [`REQUEST_DEADLINE`] (else
//!   `408 request_timeout`, as JSON);
//! - a connection on which no byte moved, read or written, for [`IDLE_TIMEOUT`] (checked
//!   once per that time, so closed after one to two of it) is closed: an HTTP/2
//!   connection left open and quiet, or one whose client stopped reading its answers;
//! - at most [`PER_ADDRESS`] open connections per client address (unless the collector
//!   is behind a proxy, which then holds them all), and at most as many in total as the
//!   process may open files, less [`SPARE_FILES`] for the store: a connection over either
//!   bound is closed at once, so a flood from one address cannot take the collector's
//!   file descriptors (and with them every other client's requests);
//! - on shutdown, connections finish their requests in flight for at most
//!   [`SHUTDOWN_GRACE`]; then the rest are dropped. (Nothing acknowledged is lost by
//!   that: a batch is acknowledged only once committed, and the writer commits every
//!   batch submitted before it stops.)

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use super::ApiError;

/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take from its headers to its answer: reading the body,
/// committing a batch, computing a report.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Open connections per client address.
pub const PER_ADDRESS: u32 = 256;
/// File descriptors kept for the store, logs and the like.
pub const SPARE_FILES: u64 = 256;
/// How long a connection may go without a byte moving either way. Twice the request
/// deadline: no request in flight is cut off by it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long shutting down waits for the requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting and
/// gives the open connections [`SHUTDOWN_GRACE`] to finish. `behind_proxy`: every
/// connection comes from the proxy, so there is no bound per address.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    behind_proxy: bool,
    shutdown: impl Future<Output = ()>,
) {
    serve_with_idle(listener, router, behind_proxy, shutdown, IDLE_TIMEOUT).await;
}

/// [`serve`] with another idle timeout (the tests' is short).
async fn serve_with_idle(
    listener: TcpListener,
    router: Router,
    behind_proxy: bool,
    shutdown: impl Future<Output = ()>,
    idle: Duration,
) {
    let limits = Limits::new(open_files_allowed(), (!behind_proxy).then_some(PER_ADDRESS));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: the bounds above should make
                    // that rare. Wait a moment rather than spin.
                    limits.warn(&format!("Accepting a connection failed: {error}."));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(admitted) = limits.admit(peer.ip()) else {
            limits.warn("Connections over the limit are being closed (see the README: slow and idle clients).");
            continue;
        };
        let service = router
            .clone()
            .map_request(
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.map(Body::new)
                },
            )
            .map_future(|answer| async move {
                match tokio::time::timeout(REQUEST_DEADLINE, answer).await {
                    Ok(answer) => answer,
                    Err(_) => Ok(ApiError::RequestTimeout(REQUEST_DEADLINE).into_response()),
                }
            });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _admitted = admitted;
            // A connection that sends nothing at all is closed as one that sends half a
            // request's headers (hyper's timeout starts at the first byte).
            let mut first = [0u8; 1];
            if !matches!(
                tokio::time::timeout(HEADER_TIMEOUT, stream.peek(&mut first)).await,
                Ok(Ok(1..))
            ) {
                return;
            }
            let moved = Arc::new(AtomicU64::new(0));
            let stream = Counted {
                stream,
                moved: moved.clone(),
            };
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            // (Not a timer reset on every read and write, as `tokio-io-timeout` does:
            // that is work on the ingest path, where a counter is one atomic add; see
            // collector/BENCHMARKS.md.)
            tokio::select! {
                ended = watcher.watch(connection.into_owned()) => {
                    if let Err(error) = ended {
                        tracing::trace!(%error, "connection ended with an error");
                    }
                }
                () = quiet(&moved, idle) => tracing::trace!("closed a quiet connection"),
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "Requests still in flight after {} s were dropped.",
            SHUTDOWN_GRACE.as_secs()
        );
    }
}

/// A connection's stream, counting the bytes it moves (for [`quiet`]).
struct Counted {
    stream: TcpStream,
    moved: Arc<AtomicU64>,
}

impl Counted {
    fn count<T>(&self, moved: &Poll<std::io::Result<T>>, n: impl FnOnce(&T) -> usize) {
        if let Poll::Ready(Ok(done)) = moved {
            self.moved.fetch_add(n(done) as u64, Ordering::Relaxed);
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.count(&read, |_| n);
        read
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.count(&written, |n| *n);
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.count(&written, |n| *n);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Completes once `moved` stayed the same for a whole `idle` (looked at once per `idle`).
async fn quiet(moved: &AtomicU64, idle: Duration) {
    let mut last = moved.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(idle).await;
        let now = moved.load(Ordering::Relaxed);
        if now == last {
            return;
        }
        last = now;
    }
}

/// How many connections the process may hold: its open-file limit (raised to the hard
/// limit first) less [`SPARE_FILES`].
fn open_files_allowed() -> usize {
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    usize::try_from(files.saturating_sub(SPARE_FILES).max(16)).unwrap_or(usize::MAX)
}

/// Open connections per client address.
type OpenPerAddress = Arc<Mutex<HashMap<IpAddr, u32>>>;

/// The bounds on open connections.
struct Limits {
    total: Arc<Semaphore>,
    per_address: Option<(u32, OpenPerAddress)>,
    /// When a warning was last logged (ms since the epoch): at most one a minute.
    warned: AtomicI64,
}

/// An admitted connection's places, given back when it is dropped.
struct Admitted {
    _total: OwnedSemaphorePermit,
    address: Option<(IpAddr, OpenPerAddress)>,
}

impl Limits {
    fn new(total: usize, per_address: Option<u32>) -> Limits {
        Limits {
            total: Arc::new(Semaphore::new(total.min(Semaphore::MAX_PERMITS))),
            per_address: per_address.map(|n| (n, Default::default())),
            warned: AtomicI64::new(i64::MIN),
        }
    }

    /// A place for a connection from `ip`, or `None` when either bound is reached.
    fn admit(&self, ip: IpAddr) -> Option<Admitted> {
        let total = self.total.clone().try_acquire_owned().ok()?;
        let address = match &self.per_address {
            None => None,
            Some((max, open)) => {
                let mut counts = open.lock().unwrap_or_else(|p| p.into_inner());
                let count = counts.entry(ip).or_default();
                if *count >= *max {
                    return None;
                }
                *count += 1;
                Some((ip, open.clone()))
            }
        };
        Some(Admitted {
            _total: total,
            address,
        })
    }

    fn warn(&self, message: &str) {
        let now = crate::event::now_ms();
        let last = self.warned.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 60_000
            && self
                .warned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!("{message}");
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some((ip, open)) = &self.address {
            let mut counts = open.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(count) = counts.get_mut(ip) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_bounded_per_address_and_in_total() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let limits = Limits::new(3, Some(2));
        let first = limits.admit(a).unwrap();
        let _second = limits.admit(a).unwrap();
        assert!(limits.admit(a).is_none(), "a third from one address");
        let _other = limits.admit(b).unwrap();
        assert!(limits.admit(b).is_none(), "a fourth in all");
        drop(first);
        assert!(limits.admit(a).is_some(), "a place given back");
        // Behind a proxy: only the total.
        let proxied = Limits::new(3, None);
        let all: Vec<_> = (0..3).filter_map(|_| proxied.admit(a)).collect();
        assert_eq!(all.len(), 3);
        assert!(proxied.admit(a).is_none());
    }

    /// An HTTP/2 connection (prior knowledge) that goes quiet after its settings is
    /// closed after the idle timeout; one that keeps asking is not.
    #[tokio::test]
    async fn quiet_http2_connections_are_closed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", axum::routing::get(|| async { "hi" }));
        let idle = Duration::from_millis(600);
        tokio::spawn(serve_with_idle(
            listener,
            router,
            false,
            std::future::pending(),
            idle,
        ));
        // The client preface and an empty SETTINGS frame.
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
        let (mut quiet, mut busy) = (
            tokio::net::TcpStream::connect(addr).await.unwrap(),
            tokio::net::TcpStream::connect(addr).await.unwrap(),
        );
        quiet.write_all(preface).await.unwrap();
        busy.write_all(preface).await.unwrap();
        let start = std::time::Instant::now();
        let quiet_closed = async {
            let mut buffer = [0u8; 4096];
            loop {
                match tokio::time::timeout(Duration::from_secs(10), quiet.read(&mut buffer)).await {
                    Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
                    Ok(Ok(_)) => {}
                    Err(_) => return None,
                }
            }
        };
        // A PING every third of the timeout, for three times the timeout (so for more
        // than the one to two timeouts the quiet one took).
        let busy_pinged = async {
            let ping = b"\0\0\x08\x06\0\0\0\0\0spurspur";
            for _ in 0..9 {
                busy.write_all(ping).await?;
                tokio::time::sleep(idle / 3).await;
            }
            busy.write_all(ping).await
        };
        let (closed, pinged) = tokio::join!(quiet_closed, busy_pinged);
        assert!(
            closed.is_some_and(|t| t >= idle && t < idle * 3),
            "closed after {closed:?}, idle timeout {idle:?}"
        );
        assert!(pinged.is_ok(), "the busy connection was closed: {pinged:?}");
        let mut buffer = [0u8; 4096];
        let read = tokio::time::timeout(Duration::from_secs(1), busy.read(&mut buffer)).await;
        assert!(matches!(read, Ok(Ok(1..))), "{read:?}");
    }
}
