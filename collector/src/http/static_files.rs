//! The tracker bundle, the dashboard and the demo shop, from [`crate::assets`].
//!
//! Caching: the widget bundle (`spur-widgets.js?v=<hash>`) is immutable (the loader
//! names the hash of the build it was built with); `spur.js` (the tracker, its wasm
//! module inside) must keep its URL, so browsers may keep it an hour; pages revalidate
//! with their ETag. The tracker bundles go out as `build.sh` compressed them (brotli or
//! gzip, by `Accept-Encoding`), the bytes its budget measures. The tracker is loaded by
//! other origins: it carries
//! `Access-Control-Allow-Origin: *`. Pages carry a strict Content-Security-Policy.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::ApiError;
use crate::assets::{self, Asset, Encoding};

const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'";

pub async fn tracker_js(headers: HeaderMap) -> Response {
    tracker("spur.js", "public, max-age=3600", &headers)
}

pub async fn widgets_js(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    tracker("spur-widgets.js", versioned(query), &headers)
}

/// Files the loader names with `?v=<hash>` never change under that URL.
fn versioned(query: Option<String>) -> &'static str {
    if query.is_some_and(|q| q.starts_with("v=")) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    }
}

/// A tracker bundle in the best encoding the client takes (brotli, then gzip), as
/// `build.sh` compressed it; the compression layer leaves an encoded answer alone.
fn tracker(name: &str, cache: &'static str, request: &HeaderMap) -> Response {
    let encoding = [Encoding::Brotli, Encoding::Gzip]
        .into_iter()
        .find(|e| e.name().is_some_and(|coding| accepts(request, coding)))
        .unwrap_or(Encoding::Identity);
    let Some(asset) =
        assets::tracker(name, encoding).or_else(|| assets::tracker(name, Encoding::Identity))
    else {
        return ApiError::TrackerNotBuilt.into_response();
    };
    let encoded = asset.encoding.name();
    let mut response = respond(asset, cache, request);
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Some(coding) = encoded {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether `Accept-Encoding` lists `coding` with a weight above zero (RFC 9110, 12.5.3).
fn accepts(request: &HeaderMap, coding: &str) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            parts.next().is_some_and(|c| c.eq_ignore_ascii_case(coding))
                && parts.all(|p| {
                    p.split_once('=').is_none_or(|(k, q)| {
                        !k.trim().eq_ignore_ascii_case("q")
                            || q.trim().parse::<f32>().is_ok_and(|q| q > 0.0)
                    })
                })
        })
}

pub async fn dashboard_index(headers: HeaderMap) -> Response {
    page("dashboard/index.html", &headers)
}

pub async fn dashboard(Path(path): Path<String>, headers: HeaderMap) -> Response {
    page(&format!("dashboard/{path}"), &headers)
}

pub async fn demo_redirect() -> Redirect {
    Redirect::permanent("/demo/")
}

pub async fn demo_index(headers: HeaderMap) -> Response {
    page("demo/index.html", &headers)
}

/// A page of the demo shop; a folder (the German shop, `de/`) is its `index.html`, and
/// its name without the slash a redirect to it, so that its relative links work.
pub async fn demo(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if path.ends_with('/') {
        return page(&format!("demo/{path}index.html"), &headers);
    }
    if assets::www(&format!("demo/{path}/index.html")).is_some() {
        return Redirect::permanent(&format!("/demo/{path}/")).into_response();
    }
    page(&format!("demo/{path}"), &headers)
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found.\n").into_response()
}

fn page(path: &str, request: &HeaderMap) -> Response {
    let Some(asset) = assets::www(path) else {
        return (StatusCode::NOT_FOUND, "Not found.\n").into_response();
    };
    let mut response = respond(asset, "no-cache", request);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    response
}

/// The asset, or 304 when the client's copy is current.
fn respond(asset: Asset, cache: &'static str, request: &HeaderMap) -> Response {
    let etag =
        HeaderValue::from_str(&asset.etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let content_type = HeaderValue::from_str(&asset.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
        ([(header::CONTENT_TYPE, content_type)], asset.bytes).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
