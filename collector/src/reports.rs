//! Reports: questions a marketer asks, answered from the store through the journey
//! engine, as view types that serialise to the public JSON of `/api/v1/reports/…`.
//!
//! View types are a public boundary (documented in the README's API section); they are
//! built here from engine results and never stored. Knows nothing of HTTP: [`crate::http`]
//! parses the query string into [`Window`] and maps [`QueryError`] to a 400.

use jiff::civil::Date;
use serde::Serialize;

use crate::journey;
use crate::store::Store;

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 100;
/// The longest range a report covers, in days.
pub const MAX_RANGE_DAYS: i32 = 366;
/// The range when the query names none: the last seven days, today included.
pub const DEFAULT_RANGE_DAYS: i32 = 7;

/// A bad report query; the message says which parameter and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct QueryError(pub String);

/// Inclusive range of UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Date,
    pub to: Date,
}

impl Window {
    /// Parses `from`/`to` (`YYYY-MM-DD`, UTC, both inclusive); missing ones default to the
    /// last [`DEFAULT_RANGE_DAYS`] days ending `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Window, QueryError> {
        let day = |name: &str, value: &str| {
            value.parse::<Date>().map_err(|_| {
                QueryError(format!(
                    "`{name}` must be a date like 2026-11-22, not `{value}`"
                ))
            })
        };
        let to = match to {
            Some(v) => day("to", v)?,
            None => today,
        };
        let from = match from {
            Some(v) => day("from", v)?,
            None => to.saturating_sub(jiff::Span::new().days(DEFAULT_RANGE_DAYS - 1)),
        };
        if from > to {
            return Err(QueryError("`from` must not be after `to`".into()));
        }
        if (to - from).get_days() >= MAX_RANGE_DAYS {
            return Err(QueryError(format!(
                "the range may span at most {MAX_RANGE_DAYS} days"
            )));
        }
        Ok(Window { from, to })
    }

    /// `[start, end)` in milliseconds since the epoch.
    pub fn millis(&self) -> (i64, i64) {
        let start = |d: Date| {
            d.to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp().as_millisecond())
        };
        let end = self
            .to
            .tomorrow()
            .ok()
            .and_then(|d| start(d).ok())
            .unwrap_or(i64::MAX);
        (start(self.from).unwrap_or(i64::MIN), end)
    }
}

/// Parses the `limit` parameter.
pub fn parse_limit(limit: Option<&str>) -> Result<usize, QueryError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(QueryError(format!(
                "`limit` must be a whole number from 1 to {MAX_LIMIT}"
            ))),
        },
    }
}

/// `GET /api/v1/reports/paths`: the most frequent session paths.
#[derive(Debug, Serialize, PartialEq)]
pub struct PathsReport {
    pub site: String,
    pub from: String,
    pub to: String,
    /// Sessions in the range; equals the sum of `paths[].sessions` and `other.sessions`.
    pub sessions: u64,
    pub paths: Vec<PathRow>,
    pub other: Other,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PathRow {
    pub steps: Vec<String>,
    pub sessions: u64,
    /// `sessions` as a fraction of all sessions, rounded to four decimals.
    pub share: f64,
}

/// The paths beyond the top `limit`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Other {
    pub paths: u64,
    pub sessions: u64,
}

pub fn paths(
    store: &dyn Store,
    site: &str,
    window: Window,
    session_gap_ms: i64,
    limit: usize,
) -> anyhow::Result<PathsReport> {
    let (from, to) = window.millis();
    let sessions = journey::stitch(store.touches(site, from, to)?, session_gap_ms);
    let top = journey::top_paths(&sessions, limit);
    let share = |n: u64| {
        if top.sessions == 0 {
            0.0
        } else {
            (n as f64 / top.sessions as f64 * 1e4).round() / 1e4
        }
    };
    Ok(PathsReport {
        site: site.to_owned(),
        from: window.from.to_string(),
        to: window.to.to_string(),
        sessions: top.sessions,
        paths: top
            .paths
            .iter()
            .map(|(steps, n)| PathRow {
                steps: steps.clone(),
                sessions: *n,
                share: share(*n),
            })
            .collect(),
        other: Other {
            paths: top.other_paths,
            sessions: top.other_sessions,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn windows() {
        let today = date(2026, 11, 22);
        let check = |from: Option<&str>, to: Option<&str>, expected: Result<(&str, &str), &str>| {
            let got = Window::parse(from, to, today)
                .map(|w| (w.from.to_string(), w.to.to_string()))
                .map_err(|e| e.0);
            let expected = expected
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .map_err(str::to_string);
            assert_eq!(got, expected, "{from:?} {to:?}");
        };
        check(None, None, Ok(("2026-11-16", "2026-11-22")));
        check(
            Some("2026-11-01"),
            Some("2026-11-01"),
            Ok(("2026-11-01", "2026-11-01")),
        );
        check(None, Some("2026-01-03"), Ok(("2025-12-28", "2026-01-03")));
        check(
            Some("2026-11-23"),
            None,
            Err("`from` must not be after `to`"),
        );
        check(
            Some("yesterday"),
            None,
            Err("`from` must be a date like 2026-11-22, not `yesterday`"),
        );
        check(
            Some("2024-01-01"),
            None,
            Err("the range may span at most 366 days"),
        );
        let w = Window::parse(Some("2026-11-22"), Some("2026-11-22"), today).unwrap();
        assert_eq!(
            w.millis(),
            (1795305600000, 1795305600000 + 24 * 3600 * 1000)
        );
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(parse_limit(Some("100")), Ok(100));
        assert!(parse_limit(Some("0")).is_err());
        assert!(parse_limit(Some("101")).is_err());
        assert!(parse_limit(Some("-1")).is_err());
    }
}
