//! `GET /api/v1/sites` and `PUT /api/v1/sites/{id}`: the sites that may send events,
//! for signed-in marketers (behind the same guard as the reports).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, blocking};
use crate::site::{Site, is_origin, is_valid_site_id};

/// A site as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SiteView {
    pub id: String,
    pub name: String,
    /// Origins allowed to send events; empty: any.
    pub allowed_origins: Vec<String>,
    /// Whether any of its events is stored: false until the snippet on its pages has
    /// sent one (or after every event was deleted).
    pub has_events: bool,
}

/// What `PUT` sets.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SiteChange {
    pub name: String,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

fn view(site: &Site, has_events: bool) -> SiteView {
    SiteView {
        id: site.id.clone(),
        name: site.name.clone(),
        allowed_origins: site.allowed_origins.clone(),
        has_events,
    }
}

/// The sites as the API shows them, each with a look at the store for its events.
async fn views(app: &AppState, sites: Vec<Site>) -> Result<Vec<SiteView>, ApiError> {
    let store = app.store.clone();
    blocking(move || {
        sites
            .iter()
            .map(|site| Ok(view(site, store.has_events(&site.id)?)))
            .collect()
    })
    .await
}

/// Every site.
#[utoipa::path(
    get,
    path = "/api/v1/sites",
    tag = "sites",
    security(("api_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The sites, by id", body = Vec<SiteView>),
        (status = 401, description = "`sign_in_required`", body = super::error::Body),
    )
)]
pub async fn list(State(app): State<AppState>) -> Result<Json<Vec<SiteView>>, ApiError> {
    let sites = app.sites.all().iter().map(|s| Site::clone(s)).collect();
    Ok(Json(views(&app, sites).await?))
}

/// Creates a site, or changes its name and allowed origins.
#[utoipa::path(
    put,
    path = "/api/v1/sites/{id}",
    tag = "sites",
    params(("id" = String, Path, description = "1–64 of a-z, 0-9, `.`, `_`, `-`; what `data-site` says")),
    request_body = SiteChange,
    security(("api_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The site as stored", body = SiteView),
        (status = 400, description = "`invalid_request`: a bad id, name or origin", body = super::error::Body),
        (status = 401, description = "`sign_in_required`", body = super::error::Body),
        (status = 403, description = "`cross_site_request`", body = super::error::Body),
        (status = 415, description = "`unsupported_media_type`: send JSON", body = super::error::Body),
    )
)]
pub async fn put(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SiteView>, ApiError> {
    super::auth::same_origin(&headers)?;
    super::auth::json_body(&headers)?;
    let change: SiteChange = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest("send {\"name\": …, \"allowed_origins\": [\"https://…\"]}".into())
    })?;
    if !is_valid_site_id(&id) {
        return Err(ApiError::BadRequest(
            "a site id is 1 to 64 of a-z, 0-9, `.`, `_` and `-`".into(),
        ));
    }
    let name = change.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "a site's name is 1 to 100 characters".into(),
        ));
    }
    if change.allowed_origins.len() > 50 {
        return Err(ApiError::BadRequest("at most 50 allowed origins".into()));
    }
    if let Some(bad) = change.allowed_origins.iter().find(|o| !is_origin(o)) {
        return Err(ApiError::BadRequest(format!(
            "`{bad}` is not an origin like https://shop.example (scheme, host, optional port)"
        )));
    }
    let site = Site {
        id,
        name,
        allowed_origins: change.allowed_origins,
    };
    let store = app.store.clone();
    let stored = site.clone();
    let all = blocking(move || {
        store.put_site(&stored)?;
        store.sites()
    })
    .await?;
    app.sites.replace(all);
    let mut shown = views(&app, vec![site]).await?;
    Ok(Json(shown.remove(0)))
}
