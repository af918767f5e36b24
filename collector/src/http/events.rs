//! `POST /api/v1/events`: parse, check, enqueue, and answer once committed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::event::now_ms;
use crate::ingest;

#[derive(Serialize)]
pub struct Accepted {
    /// Events in the batch, all committed (re-sent ones are stored once).
    accepted: usize,
}

pub async fn post(
    State(app): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    check_content_type(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge(ingest::MAX_BODY_BYTES),
        _ => ApiError::Ingest(ingest::IngestError::Malformed(rejection.body_text())),
    })?;
    let batch = ingest::parse(&body)?;
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let site = app.sites.get(&batch.site);
    ingest::check_batch(&batch, site.as_deref(), origin)?;

    let received_at = now_ms();
    // Behind a proxy every visitor would share the proxy's address; trusted proxy
    // headers are not read yet, so deploy the collector directly at the edge.
    let ip = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.0.ip());
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let visitor = match app
        .visitors
        .cached_id(received_at, &batch.site, ip, user_agent)
    {
        Some(id) => id,
        None => {
            // Once a day: the new day's salt comes from the store.
            let (app, site, user_agent) = (app.clone(), batch.site.clone(), user_agent.to_owned());
            tokio::task::spawn_blocking(move || {
                app.visitors.id(received_at, &site, ip, &user_agent)
            })
            .await
            .map_err(anyhow::Error::from)??
        }
    };
    let events = ingest::events(batch, visitor, received_at)?;
    let accepted = events.len();
    app.queue.submit(events).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted })))
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("text/plain" | "application/json") => Ok(()),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}
