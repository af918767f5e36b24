//! `GET /api/v1/visitors?site=…&id=…|uid=…|customer=…` exports everything stored about a visitor;
//! `DELETE` with the same query deletes it. Both need the admin token.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::privacy::{self, Export, Who};
use crate::reports::QueryError;

#[derive(Debug, Deserialize)]
pub struct VisitorParams {
    site: Option<String>,
    id: Option<String>,
    uid: Option<String>,
    customer: Option<String>,
}

/// Everything stored about one visitor.
#[utoipa::path(
    get,
    path = "/api/v1/visitors",
    tag = "privacy",
    params(
        ("site" = String, Query, description = "The site"),
        ("id" = Option<String>, Query, description = "The visitor id (16 hex digits); or"),
        ("uid" = Option<String>, Query, description = "the tracker's first-party id after consent; or"),
        ("customer" = Option<String>, Query, description = "the site's reference for a customer it identified (`spur.identify`)"),
    ),
    security(("admin_token" = [])),
    responses(
        (status = 200, body = Export),
        (status = 400, description = "`invalid_query`", body = super::error::Body),
        (status = 401, description = "`unauthorized`", body = super::error::Body),
        (status = 403, description = "`admin_api_off`: no --admin-token configured", body = super::error::Body),
        (status = 404, description = "`unknown_site`", body = super::error::Body),
    )
)]
pub async fn export(
    State(app): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<VisitorParams>, QueryRejection>,
) -> Result<Json<Export>, ApiError> {
    let (site, who) = authorize(&app, &headers, params)?;
    let export = super::blocking(move || {
        let visitor = privacy::resolve(app.store.as_ref(), &site, &who)?;
        privacy::export(app.store.as_ref(), &site, visitor)
    })
    .await?;
    Ok(Json(export))
}

/// Deletes everything stored about one visitor; answers `{"deleted": n}`.
#[utoipa::path(
    delete,
    path = "/api/v1/visitors",
    tag = "privacy",
    params(
        ("site" = String, Query, description = "The site"),
        ("id" = Option<String>, Query, description = "The visitor id (16 hex digits); or"),
        ("uid" = Option<String>, Query, description = "the tracker's first-party id after consent; or"),
        ("customer" = Option<String>, Query, description = "the site's reference for a customer it identified (`spur.identify`)"),
    ),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "`{\"deleted\": n}`"),
        (status = 400, description = "`invalid_query`", body = super::error::Body),
        (status = 401, description = "`unauthorized`", body = super::error::Body),
        (status = 403, description = "`admin_api_off`: no --admin-token configured", body = super::error::Body),
        (status = 404, description = "`unknown_site`", body = super::error::Body),
    )
)]
pub async fn delete(
    State(app): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<VisitorParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (site, who) = authorize(&app, &headers, params)?;
    let deleted = super::blocking(move || {
        let visitor = privacy::resolve(app.store.as_ref(), &site, &who)?;
        let deleted = app.store.delete_visitor(&site, visitor);
        app.touches.changed();
        deleted
    })
    .await?;
    Ok(Json(serde_json::json!({ "deleted": deleted })))
}

fn authorize(
    app: &AppState,
    headers: &HeaderMap,
    params: Result<Query<VisitorParams>, QueryRejection>,
) -> Result<(String, Who), ApiError> {
    let expected = app.admin_token.as_deref().ok_or(ApiError::AdminApiOff)?;
    let given = super::auth::bearer(headers).ok_or(ApiError::Unauthorized)?;
    // Compare digests, so the time taken says nothing about the token.
    if blake3::hash(given.as_bytes()) != blake3::hash(expected.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    let Query(params) = params.map_err(|e| QueryError(e.body_text()))?;
    let site = params
        .site
        .ok_or_else(|| QueryError("`site` is required".into()))?;
    if app.sites.get(&site).is_none() {
        return Err(ApiError::UnknownSite(site));
    }
    let who = Who::parse(
        params.id.as_deref(),
        params.uid.as_deref(),
        params.customer.as_deref(),
    )?;
    Ok((site, who))
}
