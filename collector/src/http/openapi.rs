//! The HTTP API described as OpenAPI 3.1, derived from the handlers and the types they
//! answer with (so it cannot drift from the code), served at `/api/v1/openapi.json`.

use utoipa::OpenApi;

use super::{auth, error, events, reports, sites, visitors};
use crate::event::{Device, Stage};
use crate::ingest::wire;
use crate::journey::{Channel, Count, Other, experiments, funnel, health, paths, people};
use crate::privacy;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spur",
        description = "Customer-journey analytics: ingest tracker batches, and ask for paths, funnels, stages, channels and more."
    ),
    paths(
        events::post,
        events::plausible,
        events::umami_send,
        events::umami_batch,
        reports::report,
        visitors::export,
        visitors::delete,
        auth::sign_in,
        auth::sign_out,
        auth::current,
        sites::list,
        sites::put,
        super::metrics,
        super::healthz,
        super::readyz,
    ),
    components(schemas(
        error::Body, error::Detail, wire::Batch, wire::WireEvent, events::Accepted,
        events::RejectedEvent, crate::reports::Report, crate::reports::ReportResult,
        paths::PathsResult, paths::PathCount, paths::OtherPaths, paths::ExploreResult,
        paths::ExploreStep, paths::TransitionsResult, paths::Node, paths::Link,
        funnel::FunnelResult, funnel::FunnelStep, funnel::NextAfterDrop,
        people::StagesResult, people::StageRow, people::TouchpointsResult,
        experiments::ExperimentsResult, experiments::Experiment,
        experiments::Variant, experiments::Comparison,
        experiments::Verdict, health::Health, health::Rising,
        health::StageHealth,
        people::TouchpointRow, people::ChannelsResult, people::ChannelRow, people::Attribution,
        people::AttributedRow, people::Model, people::ReferralsResult, people::CodeRow,
        people::TimelineResult, people::TimelineSession, people::TimelineTouch,
        privacy::Export, privacy::ExportedEvent, Count, Other, Channel, Stage, Device,
        auth::Credentials, auth::Account, sites::SiteView, sites::SiteChange,
    )),
    modifiers(&AdminToken)
)]
pub struct ApiDoc;

/// The bearer tokens: the visitors API's (`--admin-token`), and the reports' (an API
/// token from `spur token create`, or the session cookie of a signed-in marketer).
struct AdminToken;

impl utoipa::Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "admin_token",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        use utoipa::openapi::security::{ApiKey, ApiKeyValue};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

pub async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
