//! `GET /api/v1/reports/…`: parse the query, run the report off the async runtime.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::reports::{self, PathsReport, QueryError, Window};

#[derive(Debug, Deserialize)]
pub struct PathsParams {
    site: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

pub async fn paths(
    State(app): State<AppState>,
    params: Result<Query<PathsParams>, QueryRejection>,
) -> Result<Json<PathsReport>, ApiError> {
    let Query(params) = params.map_err(|e| QueryError(e.body_text()))?;
    let site = params
        .site
        .ok_or_else(|| QueryError("`site` is required".into()))?;
    if app.sites.get(&site).is_none() {
        return Err(ApiError::UnknownSite(site));
    }
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let window = Window::parse(params.from.as_deref(), params.to.as_deref(), today)?;
    let limit = reports::parse_limit(params.limit.as_deref())?;
    // The journey engine is CPU work over many rows: keep it off the async workers.
    let report = tokio::task::spawn_blocking(move || {
        reports::paths(app.store.as_ref(), &site, window, app.session_gap_ms, limit)
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(Json(report))
}
