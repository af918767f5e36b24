//! Reports: questions a marketer asks, answered from the store through the journey
//! engine, as view types that serialise to the public JSON of `/api/v1/reports/…`.
//!
//! View types are a public boundary (documented in the README's API section); they are
//! built here from engine results and never stored. Knows nothing of HTTP: [`crate::http`]
//! parses the query string into [`Window`] and maps [`QueryError`] to a 400.

pub mod cache;
pub mod table;

use jiff::civil::Date;
use serde::Serialize;

use crate::event::{Device, Stage};
use crate::feedback::{Band, Widget};
use crate::journey::{self, Channel, funnel, paths, people};
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
        // Exactly `YYYY-MM-DD`: jiff also reads a date and time (`2026-12-01T00:00`) or
        // `20261201` as a day, and a query that meant "until midnight" would silently
        // get the whole day.
        let day = |name: &str, value: &str| {
            let shaped = value.len() == 10
                && value.bytes().enumerate().all(|(i, b)| match i {
                    4 | 7 => b == b'-',
                    _ => b.is_ascii_digit(),
                });
            shaped
                .then(|| value.parse::<Date>().ok())
                .flatten()
                .ok_or_else(|| {
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
        // Days whose start or end is no instant (the ends of the calendar, such as
        // 9999-12-31) would turn into an unbounded range: all-time figures.
        if start_ms(from).is_none() || to.tomorrow().ok().and_then(start_ms).is_none() {
            return Err(QueryError(format!(
                "the range must end by 9999-12-29, not {to}"
            )));
        }
        Ok(Window { from, to })
    }

    /// `[start, end)` in milliseconds since the epoch.
    pub fn millis(&self) -> (i64, i64) {
        // (Both exist: `parse` refuses the days where they would not.)
        let end = self.to.tomorrow().ok().and_then(start_ms);
        (
            start_ms(self.from).unwrap_or(i64::MIN),
            end.unwrap_or(i64::MAX),
        )
    }
}

/// The first millisecond of day `d` (UTC); `None` beyond the instants that exist.
fn start_ms(d: Date) -> Option<i64> {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// Parses the `limit` parameter.
pub fn parse_limit(limit: Option<&str>) -> Result<usize, QueryError> {
    parse_number("limit", limit, 1..=MAX_LIMIT, DEFAULT_LIMIT)
}

fn parse_number(
    name: &str,
    value: Option<&str>,
    range: std::ops::RangeInclusive<usize>,
    default: usize,
) -> Result<usize, QueryError> {
    match value {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(QueryError(format!(
                "`{name}` must be a whole number from {} to {}",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// The reports the API serves, by the last segment of their path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Overview,
    Paths,
    Explore,
    Transitions,
    Funnel,
    Stages,
    Touchpoints,
    Channels,
    Referrals,
    Visitor,
    Feedback,
    Experiments,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Overview,
        Kind::Paths,
        Kind::Explore,
        Kind::Transitions,
        Kind::Funnel,
        Kind::Stages,
        Kind::Touchpoints,
        Kind::Channels,
        Kind::Referrals,
        Kind::Visitor,
        Kind::Feedback,
        Kind::Experiments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Overview => "overview",
            Kind::Paths => "paths",
            Kind::Explore => "explore",
            Kind::Transitions => "transitions",
            Kind::Funnel => "funnel",
            Kind::Stages => "stages",
            Kind::Touchpoints => "touchpoints",
            Kind::Channels => "channels",
            Kind::Referrals => "referrals",
            Kind::Visitor => "visitor",
            Kind::Feedback => "feedback",
            Kind::Experiments => "experiments",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Common parameters this report refuses: the experiments report counts every
    /// visitor exposed to a variant, whatever their sessions, so only the range and
    /// `device` narrow it.
    fn refused_params(self) -> &'static [&'static str] {
        match self {
            Kind::Experiments => &["channel", "stage", "touchpoint", "segment"],
            _ => &[],
        }
    }

    /// The parameters this report takes besides the common ones.
    fn own_params(self) -> &'static [&'static str] {
        match self {
            Kind::Paths => &["unit", "limit"],
            Kind::Explore => &["start", "direction", "steps", "top"],
            Kind::Transitions => &["start", "steps", "top"],
            Kind::Funnel => &["steps", "window"],
            Kind::Overview
            | Kind::Stages
            | Kind::Touchpoints
            | Kind::Referrals
            | Kind::Experiments => &[],
            Kind::Channels => &["model"],
            Kind::Visitor => &["id"],
            Kind::Feedback => &["widget", "band", "themes", "limit"],
        }
    }
}

/// Parameters every report takes.
const COMMON_PARAMS: &[&str] = &[
    "site",
    "from",
    "to",
    "goal",
    "group",
    "channel",
    "device",
    "stage",
    "touchpoint",
    "segment",
    "format",
];

/// A parsed report request: which report, over what, with which options.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    pub site: String,
    pub window: Window,
    pub rules: journey::Rules,
    pub options: Options,
}

/// The options of one report.
#[derive(Debug, Clone)]
pub enum Options {
    Overview,
    Paths {
        unit: paths::Unit,
        limit: usize,
    },
    Explore {
        start: String,
        direction: paths::Direction,
        steps: usize,
        top: usize,
    },
    Transitions {
        start: Option<String>,
        steps: usize,
        top: usize,
    },
    Funnel {
        steps: Vec<String>,
        window_ms: i64,
    },
    Stages,
    Touchpoints,
    Channels {
        model: people::Model,
    },
    Referrals,
    Visitor {
        id: u64,
    },
    Feedback(journey::feedback::Options),
    Experiments,
}

impl Request {
    /// Parses a query string's pairs (`group` may repeat; nothing else may) for `kind`.
    pub fn parse(
        kind: Kind,
        pairs: &[(String, String)],
        today: Date,
        session_gap_ms: i64,
    ) -> Result<Request, QueryError> {
        let mut single: std::collections::BTreeMap<&str, &str> = Default::default();
        let mut groups = Vec::new();
        let mut known: Vec<&str> = COMMON_PARAMS.to_vec();
        known.retain(|k| !kind.refused_params().contains(k));
        known.extend(kind.own_params());
        for (key, value) in pairs {
            let key = key.as_str();
            if kind.refused_params().contains(&key) {
                return Err(QueryError(format!(
                    "`{key}` does not apply to the {} report; it takes {}",
                    kind.as_str(),
                    known.join(", ")
                )));
            }
            if !known.contains(&key) {
                return Err(QueryError(format!(
                    "unknown parameter `{key}`; the {} report takes {}",
                    kind.as_str(),
                    known.join(", ")
                )));
            }
            if key == "group" {
                groups.push(value.clone());
            } else if single.insert(key, value).is_some() {
                return Err(QueryError(format!("`{key}` is given twice")));
            }
        }
        let get = |k: &str| single.get(k).copied();
        let site = get("site")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| QueryError("`site` is required".into()))?
            .to_owned();
        let window = Window::parse(get("from"), get("to"), today)?;
        let mut rules = journey::Rules::new(session_gap_ms);
        rules.grouping = journey::Grouping::parse(&groups).map_err(QueryError)?;
        if let Some(goal) = get("goal") {
            rules.goal = non_empty("goal", goal)?;
        }
        rules.filters = journey::Filters {
            channel: get("channel")
                .map(|c| {
                    parse_enum(
                        "channel",
                        c,
                        Channel::parse,
                        &Channel::ALL.map(Channel::as_str),
                    )
                })
                .transpose()?,
            device: get("device")
                .map(|d| parse_enum("device", d, Device::parse, &Device::ALL.map(Device::as_str)))
                .transpose()?,
            stage: get("stage")
                .map(|s| parse_enum("stage", s, Stage::parse, &Stage::ALL.map(Stage::as_str)))
                .transpose()?,
            touchpoint: get("touchpoint")
                .map(|t| non_empty("touchpoint", t))
                .transpose()?,
            segment: get("segment")
                .map(|t| non_empty("segment", t))
                .transpose()?,
        };
        let options = match kind {
            Kind::Paths => Options::Paths {
                unit: match get("unit") {
                    None | Some("session") => paths::Unit::Session,
                    Some("visitor") => paths::Unit::Visitor,
                    Some(other) => {
                        return Err(QueryError(format!(
                            "`unit` must be session or visitor, not `{other}`"
                        )));
                    }
                },
                limit: parse_limit(get("limit"))?,
            },
            Kind::Explore => Options::Explore {
                start: non_empty(
                    "start",
                    get("start").ok_or_else(|| {
                        QueryError("`start` is required: the touchpoint to explore from".into())
                    })?,
                )?,
                direction: match get("direction") {
                    None | Some("forward") => paths::Direction::Forward,
                    Some("backward") => paths::Direction::Backward,
                    Some(other) => {
                        return Err(QueryError(format!(
                            "`direction` must be forward or backward, not `{other}`"
                        )));
                    }
                },
                steps: parse_number("steps", get("steps"), 1..=20, 5)?,
                top: parse_number("top", get("top"), 1..=20, 5)?,
            },
            Kind::Transitions => Options::Transitions {
                start: get("start").map(|s| non_empty("start", s)).transpose()?,
                steps: parse_number("steps", get("steps"), 2..=20, 5)?,
                top: parse_number("top", get("top"), 1..=20, 5)?,
            },
            Kind::Funnel => {
                let steps: Vec<String> = get("steps")
                    .ok_or_else(|| QueryError("`steps` is required: touchpoints separated by commas, e.g. landing,product,cart".into()))?
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .collect();
                if !(2..=20).contains(&steps.len()) || steps.iter().any(String::is_empty) {
                    return Err(QueryError(
                        "`steps` must name 2 to 20 touchpoints separated by commas".into(),
                    ));
                }
                let window_s = parse_number("window", get("window"), 1..=366 * 86_400, 86_400)?;
                Options::Funnel {
                    steps,
                    window_ms: window_s as i64 * 1000,
                }
            }
            Kind::Overview => Options::Overview,
            Kind::Stages => Options::Stages,
            Kind::Touchpoints => Options::Touchpoints,
            Kind::Channels => Options::Channels {
                model: match get("model") {
                    None => people::Model::Last,
                    Some(m) => people::Model::parse(m).ok_or_else(|| {
                        QueryError(format!(
                            "`model` must be first, last, linear or position, not `{m}`"
                        ))
                    })?,
                },
            },
            Kind::Referrals => Options::Referrals,
            Kind::Experiments => Options::Experiments,
            Kind::Feedback => Options::Feedback(journey::feedback::Options {
                widget: get("widget")
                    .map(|w| {
                        parse_enum("widget", w, Widget::parse, &Widget::ALL.map(Widget::as_str))
                    })
                    .transpose()?,
                band: get("band")
                    .map(|b| parse_enum("band", b, Band::parse, &["low", "mid", "high"]))
                    .transpose()?,
                themes: match get("themes") {
                    None => Vec::new(),
                    Some(themes) => {
                        let themes: Vec<String> =
                            themes.split(',').map(|t| t.trim().to_owned()).collect();
                        if themes.len() > 50
                            || themes
                                .iter()
                                .any(|t| t.is_empty() || t.chars().count() > 100)
                        {
                            return Err(QueryError(
                                "`themes` must be 1 to 50 words separated by commas".into(),
                            ));
                        }
                        themes
                    }
                },
                comments: parse_limit(get("limit"))?,
            }),
            Kind::Visitor => Options::Visitor {
                id: get("id")
                    .and_then(crate::privacy::parse_visitor_id)
                    .ok_or_else(|| {
                        QueryError("`id` must be a visitor id of 16 hex digits".into())
                    })?,
            },
        };
        Ok(Request {
            kind,
            site,
            window,
            rules,
            options,
        })
    }
}

fn non_empty(name: &str, value: &str) -> Result<String, QueryError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(QueryError(format!("`{name}` must be 1 to 100 characters")));
    }
    Ok(value.to_owned())
}

fn parse_enum<T>(
    name: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    all: &[&str],
) -> Result<T, QueryError> {
    parse(value).ok_or_else(|| {
        QueryError(format!(
            "`{name}` must be one of {}, not `{value}`",
            all.join(", ")
        ))
    })
}

/// A report's answer: what was asked, and the result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub site: String,
    pub from: String,
    pub to: String,
    pub report: &'static str,
    #[serde(flatten)]
    pub result: ReportResult,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ReportResult {
    Overview(journey::overview::OverviewResult),
    Paths(paths::PathsResult),
    Explore(paths::ExploreResult),
    Transitions(paths::TransitionsResult),
    Funnel(funnel::FunnelResult),
    Stages(people::StagesResult),
    Touchpoints(people::TouchpointsResult),
    Channels(people::ChannelsResult),
    Referrals(people::ReferralsResult),
    Visitor(people::TimelineResult),
    Feedback(Box<journey::feedback::FeedbackResult>),
    Experiments(journey::experiments::ExperimentsResult),
}

/// Runs a report over the touches of `request.site`, read through `cache`.
pub fn run(
    store: &dyn Store,
    cache: &cache::TouchCache,
    request: &Request,
) -> anyhow::Result<Report> {
    if let Some(result) = store.report(request)? {
        return Ok(report(request, result));
    }
    cache.read(store, &request.site, |table| compute(table, request))
}

fn report(request: &Request, result: ReportResult) -> Report {
    Report {
        site: request.site.clone(),
        from: request.window.from.to_string(),
        to: request.window.to.to_string(),
        report: request.kind.as_str(),
        result,
    }
}

/// The engine part of [`run`]: the report over the touches of `table` in the request's
/// window.
pub fn compute(table: &journey::Table, request: &Request) -> Report {
    let (from, to) = request.window.millis();
    let journeys = journey::prepare(table, from..to, request.rules.clone());
    let result = match &request.options {
        Options::Paths { unit, limit } => {
            ReportResult::Paths(paths::paths(&journeys, *unit, *limit))
        }
        Options::Explore {
            start,
            direction,
            steps,
            top,
        } => ReportResult::Explore(paths::explore(&journeys, start, *direction, *steps, *top)),
        Options::Transitions { start, steps, top } => ReportResult::Transitions(
            paths::transitions(&journeys, start.as_deref(), *steps, *top),
        ),
        Options::Funnel { steps, window_ms } => {
            ReportResult::Funnel(funnel::funnel(&journeys, steps, *window_ms))
        }
        Options::Overview => ReportResult::Overview(journey::overview::overview(&journeys)),
        Options::Stages => ReportResult::Stages(people::stages(&journeys)),
        Options::Touchpoints => ReportResult::Touchpoints(people::touchpoints(&journeys)),
        Options::Channels { model } => ReportResult::Channels(people::channels(&journeys, *model)),
        Options::Referrals => ReportResult::Referrals(people::referrals(&journeys)),
        Options::Visitor { id } => ReportResult::Visitor(people::timeline(&journeys, *id)),
        Options::Feedback(options) => {
            ReportResult::Feedback(Box::new(journey::feedback::feedback(&journeys, options)))
        }
        Options::Experiments => {
            ReportResult::Experiments(journey::experiments::experiments(&journeys))
        }
    };
    report(request, result)
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
        // Only `YYYY-MM-DD`: a time or the basic format is refused, not read as a day.
        for bad in [
            "2026-12-01T00:00",
            "20261201",
            "2026-12-1",
            "+2026-12-01",
            "2026-02-30",
        ] {
            check(
                None,
                Some(bad),
                Err(&format!("`to` must be a date like 2026-11-22, not `{bad}`")),
            );
        }
        // The ends of the calendar: no instant starts or ends those days, and an
        // unbounded range would answer all-time figures.
        check(
            Some("9999-12-31"),
            Some("9999-12-31"),
            Err("the range must end by 9999-12-29, not 9999-12-31"),
        );
        check(
            Some("9999-12-30"),
            Some("9999-12-30"),
            Err("the range must end by 9999-12-29, not 9999-12-30"),
        );
        check(
            Some("9999-12-29"),
            Some("9999-12-29"),
            Ok(("9999-12-29", "9999-12-29")),
        );
        check(
            Some("-009999-01-01"),
            Some("2026-01-05"),
            Err("`from` must be a date like 2026-11-22, not `-009999-01-01`"),
        );
        check(
            Some("0000-01-01"),
            Some("0000-01-01"),
            Ok(("0000-01-01", "0000-01-01")),
        );
        let w = Window::parse(Some("2026-11-22"), Some("2026-11-22"), today).unwrap();
        assert_eq!(
            w.millis(),
            (1795305600000, 1795305600000 + 24 * 3600 * 1000)
        );
    }

    #[test]
    fn parameters_a_report_does_not_take_are_refused() {
        let parse = |kind: Kind, query: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Request::parse(kind, &pairs, date(2026, 11, 22), 30 * 60_000)
                .map(|r| r.kind)
                .map_err(|e| e.0)
        };
        let takes = "site, from, to, goal, group, device, format";
        for filter in ["channel", "stage", "touchpoint", "segment"] {
            let value = if filter == "channel" {
                "email"
            } else {
                "purchase"
            };
            // Narrows every other report; the experiments report would ignore it.
            assert_eq!(
                parse(Kind::Stages, &[("site", "demo"), (filter, value)]),
                Ok(Kind::Stages)
            );
            assert_eq!(
                parse(Kind::Experiments, &[("site", "demo"), (filter, value)]),
                Err(format!(
                    "`{filter}` does not apply to the experiments report; it takes {takes}"
                ))
            );
        }
        assert_eq!(
            parse(
                Kind::Experiments,
                &[("site", "demo"), ("device", "mobile"), ("goal", "cart")]
            ),
            Ok(Kind::Experiments)
        );
        assert_eq!(
            parse(Kind::Experiments, &[("site", "demo"), ("limit", "5")]),
            Err(format!(
                "unknown parameter `limit`; the experiments report takes {takes}"
            ))
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
