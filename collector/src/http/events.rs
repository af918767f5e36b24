//! `POST /api/v1/events`: parse, check, enqueue, and answer once committed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::event::now_ms;
use crate::ingest;
use crate::metrics::Outcome;

/// The answer to a batch that was (at least partly) taken.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// Valid events of the batch, all committed: new ones plus `duplicates`.
    accepted: usize,
    /// Of those, events already stored before (a retry or re-send; stored once).
    duplicates: usize,
    /// Events refused by validation; the others were stored.
    rejected: Vec<RejectedEvent>,
    /// Set when the whole batch was dropped on purpose: `"bot"`, or `"not_kept"` for
    /// another tool's event Spur does not keep (see *Drop-in ingestion*).
    #[serde(skip_serializing_if = "Option::is_none")]
    ignored: Option<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RejectedEvent {
    index: usize,
    code: &'static str,
    message: String,
}

/// Takes a batch of tracker events. A 2xx means the accepted events are durably committed.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "ingest",
    request_body(
        content = crate::ingest::wire::Batch,
        content_type = "text/plain",
        description = "A wire-format v1 batch as JSON, sent as text/plain (no CORS preflight) or application/json; at most 64 KiB, 100 events"
    ),
    responses(
        (status = 202, description = "Taken: accepted events are committed, rejected ones are listed", body = Accepted),
        (status = 400, description = "`malformed_body`, `unsupported_version`", body = super::error::Body),
        (status = 403, description = "`origin_not_allowed`", body = super::error::Body),
        (status = 413, description = "`body_too_large`", body = super::error::Body),
        (status = 415, description = "`unsupported_media_type`, `unsupported_encoding`", body = super::error::Body),
        (status = 422, description = "`unknown_site`, `invalid_batch`, `empty_batch`, `too_many_events`, `invalid_event`", body = super::error::Body),
        (status = 429, description = "`rate_limited`; retry after `Retry-After` seconds", body = super::error::Body),
        (status = 503, description = "`queue_full`, `shutting_down`; retry after `Retry-After` seconds", body = super::error::Body),
    )
)]
pub async fn post(
    State(app): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    accept(app, peer, headers, body, |body, _| {
        ingest::parse(body).map(Some)
    })
    .await
}

/// What the drop-in endpoints answer (for the API description).
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "describes responses; never built")]
enum DropInAnswers<'a> {
    /// Taken, as for `/api/v1/events`; `ignored: not_kept` for events Spur does not keep
    #[response(status = 202)]
    Taken(Accepted),
    /// `malformed_body`: not an event of that shape
    #[response(status = 400)]
    Malformed(super::error::Body<'a>),
    /// `origin_not_allowed`
    #[response(status = 403)]
    Origin(super::error::Body<'a>),
    /// `body_too_large`
    #[response(status = 413)]
    TooLarge(super::error::Body<'a>),
    /// `unsupported_media_type`, `unsupported_encoding`
    #[response(status = 415)]
    MediaType(super::error::Body<'a>),
    /// `unknown_site`, `invalid_batch`, `invalid_event`
    #[response(status = 422)]
    Invalid(super::error::Body<'a>),
    /// `rate_limited`
    #[response(status = 429)]
    RateLimited(super::error::Body<'a>),
    /// `queue_full`, `shutting_down`
    #[response(status = 503)]
    Unavailable(super::error::Body<'a>),
}

/// Plausible's `POST /api/event` (see [`ingest::compat`]).
#[utoipa::path(
    post,
    path = "/api/event",
    tag = "ingest",
    request_body(
        content = serde_json::Value,
        content_type = "text/plain",
        description = "A Plausible event as its script sends it (see the README's *Drop-in ingestion* for the mapping)"
    ),
    responses(DropInAnswers)
)]
pub async fn plausible(
    State(app): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    accept(app, peer, headers, body, |body, app| {
        ingest::compat::plausible(body, now_ms(), |d| app.sites.get(d).is_some())
    })
    .await
}

/// Umami's `POST /api/send` (see [`ingest::compat`]).
#[utoipa::path(
    post,
    path = "/api/send",
    tag = "ingest",
    request_body(
        content = serde_json::Value,
        content_type = "application/json",
        description = "An Umami call (`{type, payload}`) as its script sends it (see the README's *Drop-in ingestion* for the mapping)"
    ),
    responses(DropInAnswers)
)]
pub async fn umami_send(
    State(app): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    accept(app, peer, headers, body, |body, _| {
        ingest::compat::umami(body, now_ms())
    })
    .await
}

/// Umami's `POST /api/batch` (see [`ingest::compat`]).
#[utoipa::path(
    post,
    path = "/api/batch",
    tag = "ingest",
    request_body(
        content = serde_json::Value,
        content_type = "application/json",
        description = "An array of Umami calls for one website (see the README's *Drop-in ingestion* for the mapping)"
    ),
    responses(DropInAnswers)
)]
pub async fn umami_batch(
    State(app): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    accept(app, peer, headers, body, |body, _| {
        ingest::compat::umami_batch(body, now_ms())
    })
    .await
}

/// The client's address: the connection's, or behind a trusted proxy the one it saw.
pub(super) fn client_ip(
    app: &AppState,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
) -> IpAddr {
    let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.0.ip());
    if app.behind_proxy {
        forwarded_for(headers).unwrap_or(peer)
    } else {
        peer
    }
}

/// A body in one of the accepted shapes, turned into a batch by `parse` (`None`: an
/// event that is not kept), then the same path for all.
type Parse = fn(&[u8], &AppState) -> Result<Option<ingest::wire::Batch>, ingest::IngestError>;

async fn accept(
    app: AppState,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    parse: Parse,
) -> Response {
    let ip = client_ip(&app, peer, &headers);
    match ingest(&app, ip, &headers, body, parse).await {
        Ok(accepted) => (StatusCode::ACCEPTED, Json(accepted)).into_response(),
        Err(error) => {
            app.metrics.refused(error.code());
            error.into_response()
        }
    }
}

async fn ingest(
    app: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    parse: Parse,
) -> Result<Accepted, ApiError> {
    // Cheap refusals first: a flood must cost as little as possible.
    app.rate_limits
        .check_ip(ip)
        .map_err(ApiError::RateLimited)?;
    check_content_type(headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge(ingest::MAX_BODY_BYTES),
        _ => ApiError::Ingest(ingest::IngestError::Malformed(rejection.body_text())),
    })?;
    let Some(batch) = parse(&body, app)? else {
        return Ok(Accepted {
            accepted: 0,
            duplicates: 0,
            rejected: Vec::new(),
            ignored: Some("not_kept"),
        });
    };
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let site = app.sites.get(&batch.site);
    ingest::check_batch(&batch, site.as_deref(), origin)?;
    app.rate_limits
        .check_site(&batch.site)
        .map_err(ApiError::RateLimited)?;
    if let Some(dropped) = batch.dropped.filter(|&n| n > 0) {
        app.metrics.tracker_dropped(u64::from(dropped));
    }

    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(device) = app.user_agents.classify(user_agent) else {
        app.metrics.events(Outcome::Bot, batch.events.len());
        return Ok(Accepted {
            accepted: 0,
            duplicates: 0,
            rejected: Vec::new(),
            ignored: Some("bot"),
        });
    };

    let received_at = now_ms();
    let visitor = match (&batch.customer, &batch.uid) {
        (Some(customer), _) => app.visitors.identified(&batch.site, customer),
        (None, Some(uid)) => app.visitors.consented(&batch.site, uid),
        (None, None) => anonymous_visitor(app, received_at, &batch.site, ip, user_agent).await?,
    };
    let checked = match ingest::events(batch, visitor, device, received_at) {
        Ok(checked) => checked,
        Err(error) => {
            if let ingest::IngestError::InvalidEvent(rejected) = &error {
                app.metrics.events(Outcome::Rejected, rejected.len());
            }
            return Err(error.into());
        }
    };
    let rejected: Vec<RejectedEvent> = checked
        .rejected
        .iter()
        .map(|r| RejectedEvent {
            index: r.index,
            code: r.code(),
            message: r.to_string(),
        })
        .collect();
    let accepted = checked.events.len();
    let appended = app.queue.submit(checked.events).await?;
    app.metrics.events(Outcome::Stored, appended.inserted);
    app.metrics.events(Outcome::Duplicate, appended.duplicates);
    app.metrics.events(Outcome::Rejected, rejected.len());
    Ok(Accepted {
        accepted,
        duplicates: appended.duplicates,
        rejected,
        ignored: None,
    })
}

/// The address the (trusted) proxy saw: the last entry of the last `X-Forwarded-For`
/// header, which the proxy appended. Earlier entries are the client's say and ignored.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

async fn anonymous_visitor(
    app: &AppState,
    received_at: i64,
    site: &str,
    ip: IpAddr,
    user_agent: &str,
) -> Result<u64, ApiError> {
    if let Some(id) = app.visitors.cached_id(received_at, site, ip, user_agent) {
        return Ok(id);
    }
    // Once a day: the new day's salt comes from the store.
    let (app, site, user_agent) = (app.clone(), site.to_owned(), user_agent.to_owned());
    super::blocking(move || app.visitors.id(received_at, &site, ip, &user_agent)).await
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    // Compressed bodies are refused rather than inflated: no decompression bombs.
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
        && !encoding.as_bytes().eq_ignore_ascii_case(b"identity")
    {
        return Err(ApiError::UnsupportedEncoding);
    }
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("text/plain" | "application/json") => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType(
            "text/plain or application/json",
        )),
    }
}
