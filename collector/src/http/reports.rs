//! `GET /api/v1/reports/{report}`: parse the query, run the report off the async runtime,
//! answer JSON or (`format=csv`) CSV.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use crate::event::{Device, Stage};
use crate::journey::{Channel, people};
use crate::reports::table::Table;
use crate::reports::{self, Kind, QueryError, Request};

/// A journey report. Every report takes the common parameters; the others are named
/// with the report they belong to.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{report}",
    tag = "reports",
    params(
        ("report" = String, Path, description = "overview, paths, explore, transitions, funnel, stages, touchpoints, channels, referrals, visitor, feedback or experiments"),
        ("site" = String, Query, description = "The site"),
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD (UTC, inclusive); default six days before `to`"),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD (UTC, inclusive); default today"),
        ("goal" = Option<String>, Query, description = "The touchpoint that counts as a conversion (and experiments' goal); default `purchase`"),
        ("group" = Option<Vec<String>>, Query, description = "Grouping rule `pattern:name`, e.g. `/product/*:product`; repeatable"),
        ("channel" = Option<Channel>, Query, description = "Only sessions of this channel"),
        ("device" = Option<Device>, Query, description = "Only touches from this class of device"),
        ("stage" = Option<Stage>, Query, description = "Only sessions with a touch of this stage"),
        ("touchpoint" = Option<String>, Query, description = "Only sessions that pass through this touchpoint"),
        ("segment" = Option<String>, Query, description = "Only visitors who did this touchpoint in the range"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`"),
        ("unit" = Option<String>, Query, description = "paths: `session` (default) or `visitor`"),
        ("limit" = Option<u32>, Query, description = "paths: how many paths; feedback: how many comments; 1–100 (default 10)"),
        ("start" = Option<String>, Query, description = "explore (required), transitions: the touchpoint to start from"),
        ("direction" = Option<String>, Query, description = "explore: `forward` (default) or `backward`"),
        ("steps" = Option<String>, Query, description = "explore, transitions: number of steps (1–20, 2–20); funnel (required): 2–20 touchpoints, comma-separated"),
        ("top" = Option<u32>, Query, description = "explore, transitions: touchpoints listed per step, 1–20 (default 5)"),
        ("window" = Option<u32>, Query, description = "funnel: conversion window in seconds (default 86400)"),
        ("model" = Option<people::Model>, Query, description = "channels: attribution model, default `last`"),
        ("id" = Option<String>, Query, description = "visitor (required): the visitor id, 16 hex digits"),
        ("widget" = Option<crate::feedback::Widget>, Query, description = "feedback: only this widget kind"),
        ("band" = Option<crate::feedback::Band>, Query, description = "feedback: only comments of this band (low, mid, high)"),
        ("themes" = Option<String>, Query, description = "feedback: words to count in comments, comma-separated, e.g. delivery,price,Lieferung"),
    ),
    security(("api_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The report (JSON), or its table as CSV with `format=csv`", body = crate::reports::Report),
        (status = 401, description = "`sign_in_required`: no session or API token", body = super::error::Body),
        (status = 400, description = "A bad query; `error.code` is `invalid_query`", body = super::error::Body),
        (status = 404, description = "`unknown_site`, or no such report", body = super::error::Body),
    )
)]
pub async fn report(
    State(app): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let kind = Kind::parse(&name).ok_or(ApiError::NotFound)?;
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let csv = match pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
    {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(QueryError(format!("`format` must be json or csv, not `{other}`")).into());
        }
    };
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let request = Request::parse(kind, &pairs, today, app.session_gap_ms)?;
    if app.sites.get(&request.site).is_none() {
        return Err(ApiError::UnknownSite(request.site));
    }
    // The journey engine is CPU work over many rows: keep it off the async workers.
    let report =
        super::blocking(move || reports::run(app.store.as_ref(), &app.touches, &request)).await?;
    if csv {
        let filename = format!(
            "spur-{}-{}-{}-{}.csv",
            report.report, report.site, report.from, report.to
        );
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            Table::of(&report).csv(),
        )
            .into_response())
    } else {
        Ok(Json(report).into_response())
    }
}
