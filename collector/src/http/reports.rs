//! `GET /api/v1/reports/{report}`: parse the query, run the report off the async runtime,
//! answer JSON or (`format=csv`) CSV.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use crate::reports::table::Table;
use crate::reports::{self, Kind, QueryError, Request};

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
    let report = tokio::task::spawn_blocking(move || reports::run(app.store.as_ref(), &request))
        .await
        .map_err(anyhow::Error::from)??;
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
