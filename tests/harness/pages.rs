//! A small static web server for browser tests: test pages on an origin of their own, so
//! that a page (and the tracker bundle) loads while the collector is down, and so that
//! each page can carry its own headers (a Content-Security-Policy, say).
//!
//! Serves the pages it was given by path, `…/spur.js` at any path (the tracker bundle
//! from `tracker-wasm/pkg/`, built by `tracker-wasm/build.sh`) and the widget bundle
//! (`/spur-widgets.js`), as `text/javascript` without a charset (as a server that knows
//! nothing of them would: the bundles' byte order mark says UTF-8). A POST to any other
//! path is answered 202 and discarded (the other trackers' collectors in the tracker
//! benchmark).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

/// One page: its path, its HTML, and extra response headers.
#[derive(Clone, Debug)]
pub struct Page {
    pub path: String,
    pub html: String,
    pub headers: Vec<(&'static str, String)>,
    content_type: &'static str,
    bytes: Option<Vec<u8>>,
}

impl Page {
    pub fn new(path: &str, html: String) -> Page {
        Page {
            path: path.to_owned(),
            html,
            headers: Vec::new(),
            content_type: "text/html; charset=utf-8",
            bytes: None,
        }
    }

    /// Any other file: a script, a style sheet, an image.
    pub fn file(path: &str, content_type: &'static str, bytes: Vec<u8>) -> Page {
        Page {
            content_type,
            bytes: Some(bytes),
            ..Page::new(path, String::new())
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Page {
        self.headers.push((name, value.to_owned()));
        self
    }
}

struct Files {
    pages: HashMap<String, Page>,
    spur_js: Vec<u8>,
    widgets_js: Vec<u8>,
}

/// The running server; stops when dropped.
pub struct Pages {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Pages {
    pub async fn start(pages: Vec<Page>) -> Pages {
        let pkg = crate::repo_root().join("tracker-wasm/pkg");
        let read = |name: &str| {
            std::fs::read(pkg.join(name)).unwrap_or_else(|e| {
                panic!("{}/{name}: {e} (run tracker-wasm/build.sh)", pkg.display())
            })
        };
        let files = Arc::new(Files {
            pages: pages.into_iter().map(|p| (p.path.clone(), p)).collect(),
            spur_js: read("spur.js"),
            widgets_js: read("spur-widgets.js"),
        });
        let router = axum::Router::new().fallback(serve).with_state(files);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Pages { addr, _stop: stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn serve(State(files): State<Arc<Files>>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if method == Method::POST && !files.pages.contains_key(path) {
        // A sink: other trackers' collectors in the tracker benchmark.
        return StatusCode::ACCEPTED.into_response();
    }
    let (content_type, body, extra) = if let Some(page) = files.pages.get(path) {
        let body = page.bytes.clone();
        (
            page.content_type,
            body.unwrap_or_else(|| page.html.clone().into_bytes()),
            page.headers.clone(),
        )
    } else if path.ends_with("/spur.js") {
        ("text/javascript", files.spur_js.clone(), Vec::new())
    } else if path == "/spur-widgets.js" {
        ("text/javascript", files.widgets_js.clone(), Vec::new())
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in extra {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}
