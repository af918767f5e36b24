//! The HTTP layer: routes, extraction and responses. The only module (with its error
//! type) that knows axum; handlers translate between HTTP and the domain and do no
//! domain work themselves.
//!
//! Routes (a public contract, described in the README's API section):
//! - `POST /api/v1/events` — tracker batches ([`events`])
//! - `GET /api/v1/reports/{report}` — overview, paths, explore, transitions, funnel,
//!   stages, touchpoints, channels, referrals, visitor, feedback, experiments
//!   ([`reports`])
//! - `GET /spur.js` — the tracker; `GET /spur-widgets.js` — its rating widgets, fetched
//!   by pages that show one ([`static_files`]); each carries its wasm module inside
//! - `GET /` and `/dashboard/…` — the dashboard; `GET /demo/…` — the demo shop
//! - `GET|DELETE /api/v1/visitors` — a visitor's data, export and deletion ([`visitors`])
//! - `GET /metrics` — OpenMetrics counters
//! - `GET /api/v1/openapi.json` — this API described as OpenAPI ([`openapi`])
//! - `GET /healthz` (the process answers), `GET /readyz` (and its store commits)

mod auth;
mod error;
mod events;
mod openapi;
mod reports;
mod serve;
mod sites;
mod static_files;
mod visitors;

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};

pub use error::ApiError;
pub use serve::serve;

/// Runs store or engine work on the blocking pool, off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .map_err(anyhow::Error::from)??)
}

/// The HTTP API's OpenAPI document.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    <openapi::ApiDoc as utoipa::OpenApi>::openapi()
}

use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;
use crate::site::Sites;
use crate::store::Store;
use crate::visitor::Visitors;
use crate::writer::Queue;

/// What every handler shares. A newtype over `Arc`, so cloning per request is cheap.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Arc<dyn Store>,
    pub sites: Sites,
    pub visitors: Visitors,
    pub queue: Queue,
    pub session_gap_ms: i64,
    pub metrics: Metrics,
    pub rate_limits: RateLimits,
    pub user_agents: crate::user_agent::UserAgents,
    /// The bearer token of the visitors API; `None` turns that API off.
    pub admin_token: Option<String>,
    /// Take the client address from `X-Forwarded-For`.
    pub behind_proxy: bool,
    /// The reports' in-memory copy of each site's touches.
    pub touches: crate::reports::cache::TouchCache,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub fn router(state: AppState) -> Router {
    // Customer sites post from their own origins. `text/plain` posts need no preflight;
    // `application/json` ones do, and this answers it.
    let ingest_cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([axum::http::Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE])
        // So that trackers on other origins can honour `Retry-After` on 429 and 503.
        .expose_headers([axum::http::header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(24 * 3600));
    let ingest = Router::new()
        .route("/api/v1/events", post(events::post))
        // Drop-in ingestion: other tools' scripts pointed at Spur.
        .route("/api/event", post(events::plausible))
        .route("/api/send", post(events::umami_send))
        .route("/api/batch", post(events::umami_batch))
        // Before the layers, so that CORS still answers preflight requests.
        .method_not_allowed_fallback(method_not_allowed)
        // One layer of both: each `layer` call wraps every route in a boxed service of
        // its own, which every request clones and polls through.
        .layer(
            tower::ServiceBuilder::new()
                .layer(ingest_cors)
                .layer(DefaultBodyLimit::max(crate::ingest::MAX_BODY_BYTES)),
        );

    // Reports and sites are for signed-in marketers and API tokens; ingest stays public.
    let signed_in = Router::new()
        .route("/api/v1/reports/{report}", get(reports::report))
        .route("/api/v1/sites", get(sites::list))
        .route("/api/v1/sites/{id}", axum::routing::put(sites::put))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_user,
        ));

    Router::new()
        .merge(signed_in)
        .route(
            "/api/v1/session",
            get(auth::current)
                .post(auth::sign_in)
                .delete(auth::sign_out),
        )
        .route(
            "/api/v1/visitors",
            get(visitors::export).delete(visitors::delete),
        )
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { ApiError::NotFound }),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/spur.js", get(static_files::tracker_js))
        .route("/spur-widgets.js", get(static_files::widgets_js))
        .route("/", get(static_files::dashboard_index))
        .route("/dashboard/{*path}", get(static_files::dashboard))
        .route("/demo", get(static_files::demo_redirect))
        .route("/demo/", get(static_files::demo_index))
        .route("/demo/{*path}", get(static_files::demo))
        .fallback(static_files::not_found)
        // (After every route: it reaches the routes already there.)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CompressionLayer::new())
        // After the compression layer, so outside it: an ingest answer is a few dozen
        // bytes, and compressing it (browsers send `Accept-Encoding` with every beacon)
        // cost a third of the single-event request rate (see collector/BENCHMARKS.md).
        .merge(ingest)
        .with_state(state)
}

/// A method the route does not take: JSON like every error (axum adds `Allow`).
async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Counters, and histograms of the writer's commits, in the OpenMetrics text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "OpenMetrics text")))]
async fn metrics(
    axum::extract::State(app): axum::extract::State<AppState>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.encode(),
    )
}

/// Liveness: `{"status": "ok"}`.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "`{\"status\": \"ok\"}`")))]
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the store before it answers "not ready" (its API
/// description says 3 s).
const READY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Readiness: the store commits (its last commit did, or else an empty one made now)
/// and answers a read, each within 3 s.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "`{\"status\": \"ready\"}`"),
    (status = 503, description = "`not_ready` (the store does not commit or does not answer), `shutting_down`", body = error::Body),
))]
async fn readyz(
    axum::extract::State(app): axum::extract::State<AppState>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    use crate::writer::SubmitError;
    match tokio::time::timeout(READY_PATIENCE, app.queue.can_commit()).await {
        Ok(Ok(())) => {}
        Ok(Err(SubmitError::Closed)) => return Err(SubmitError::Closed.into()),
        Ok(Err(SubmitError::Full)) => return Err(ApiError::NotReady("the ingest queue is full")),
        Ok(Err(SubmitError::StoreFailed)) | Err(_) => {
            return Err(ApiError::NotReady("the store does not commit"));
        }
    }
    let store = app.store.clone();
    match tokio::time::timeout(READY_PATIENCE, blocking(move || store.sites())).await {
        Ok(Ok(_)) => Ok(axum::Json(serde_json::json!({ "status": "ready" }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Not ready: the store does not answer.");
            Err(ApiError::NotReady("the store does not answer"))
        }
        Err(_) => Err(ApiError::NotReady("the store does not answer")),
    }
}
