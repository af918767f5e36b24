//! The journey engine: what a marketer asks of the data, answered from a site's touches.
//!
//! Pure and deterministic: no clock, no I/O, no `HashMap` order reaching a result. This
//! module is the oracle for every backend: whatever store the touches come from, the
//! reports are defined by what it computes (and checked against an independent
//! computation on the golden dataset in `tests/fixtures/golden`).
//!
//! The pipeline: [`Touch`]es → [`prepare`] (device and segment filters, sessions, the
//! session filters, grouping rules) → [`Journeys`] → one function per report.
//!
//! Invariants (property-tested):
//! - every distinct event id lands in exactly one session;
//! - a session is one visitor's touches, ordered by time, with every gap `< gap`;
//! - every report's counts add up (listed + other + end == total, at every step);
//! - results do not depend on the order touches arrive in, nor on duplicates.

pub mod channel;
pub mod funnel;
pub mod paths;
pub mod people;
#[cfg(test)]
mod properties;
mod sessions;

use serde::Serialize;

pub use channel::Channel;
pub use sessions::{DEFAULT_SESSION_GAP_MS, Sessions, stitch};

pub use crate::event::Device;
use crate::event::{EventKind, Stage};

/// What the engine needs of a stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Touch {
    pub visitor: u64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    pub id: String,
    pub kind: EventKind,
    /// The event's name, or the URL path of an unnamed page view.
    pub touchpoint: String,
    pub stage: Option<Stage>,
    pub url: String,
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub device: Device,
    /// The `revenue` number property of a custom event.
    pub revenue: Option<f64>,
    /// Custom properties as JSON object text.
    pub props: Option<String>,
}

impl Default for Touch {
    fn default() -> Touch {
        Touch {
            visitor: 0,
            ts: 0,
            id: String::new(),
            kind: EventKind::Pageview,
            touchpoint: String::new(),
            stage: None,
            url: String::new(),
            referrer: None,
            utm_source: None,
            utm_medium: None,
            device: Device::Desktop,
            revenue: None,
            props: None,
        }
    }
}

/// Renames touchpoints before paths are built: `/product/*` → `product`.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    rules: Vec<(globset::GlobMatcher, String)>,
}

impl Grouping {
    /// Rules as `glob:name`; `*` matches any run of characters, `/` included.
    pub fn parse(rules: &[String]) -> Result<Grouping, String> {
        let mut parsed = Vec::new();
        for rule in rules {
            let (glob, name) = rule
                .rsplit_once(':')
                .filter(|(g, n)| !g.is_empty() && !n.is_empty())
                .ok_or_else(|| format!("a grouping rule is `pattern:name`, not `{rule}`"))?;
            let glob = globset::GlobBuilder::new(glob)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("bad pattern `{glob}`: {e}"))?
                .compile_matcher();
            parsed.push((glob, name.to_owned()));
        }
        Ok(Grouping { rules: parsed })
    }

    /// The label of a touchpoint: the first matching rule's name, else itself.
    pub fn label<'a>(&'a self, touchpoint: &'a str) -> &'a str {
        self.rules
            .iter()
            .find(|(glob, _)| glob.is_match(touchpoint))
            .map_or(touchpoint, |(_, name)| name.as_str())
    }
}

/// Which journeys a report looks at.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Sessions whose channel is this.
    pub channel: Option<Channel>,
    /// Touches from this class of device.
    pub device: Option<Device>,
    /// Sessions with a touch of this stage.
    pub stage: Option<Stage>,
    /// Sessions that pass through this touchpoint (after grouping).
    pub touchpoint: Option<String>,
    /// Visitors who did this (a touchpoint, after grouping) at any time in the window.
    pub segment: Option<String>,
}

/// How touches become journeys.
#[derive(Debug, Clone)]
pub struct Rules {
    pub session_gap_ms: i64,
    pub grouping: Grouping,
    /// The touchpoint that counts as a conversion (default `purchase`).
    pub goal: String,
    pub filters: Filters,
}

impl Rules {
    pub fn new(session_gap_ms: i64) -> Rules {
        Rules {
            session_gap_ms,
            grouping: Grouping::default(),
            goal: "purchase".into(),
            filters: Filters::default(),
        }
    }
}

/// A site's journeys, ready for every report: sessions after filtering, each with its
/// channel and its path of labels.
pub struct Journeys {
    pub sessions: Sessions,
    /// Per session (in `sessions` order).
    pub channels: Vec<Channel>,
    /// Per session: labels in order, consecutive repeats collapsed.
    pub paths: Vec<Vec<String>>,
    pub rules: Rules,
}

impl Journeys {
    /// The sessions with their channel and path, in (visitor, start) order.
    pub fn iter(&self) -> impl Iterator<Item = (&[Touch], Channel, &[String])> {
        self.sessions
            .iter()
            .zip(&self.channels)
            .zip(&self.paths)
            .map(|((s, c), p)| (s, *c, p.as_slice()))
    }

    /// The label of a touch under the grouping rules.
    pub fn label<'a>(&'a self, touch: &'a Touch) -> &'a str {
        self.rules.grouping.label(&touch.touchpoint)
    }

    pub fn is_goal(&self, touch: &Touch) -> bool {
        self.label(touch) == self.rules.goal
    }

    /// Sessions grouped by visitor: consecutive runs of the same visitor.
    pub fn by_visitor(&self) -> Vec<std::ops::Range<usize>> {
        let visitors: Vec<u64> = self.sessions.iter().map(|s| s[0].visitor).collect();
        let mut runs = Vec::new();
        let mut start = 0;
        for i in 1..=visitors.len() {
            if i == visitors.len() || visitors[i] != visitors[start] {
                runs.push(start..i);
                start = i;
            }
        }
        runs
    }
}

/// Applies the filters and builds sessions, channels and paths.
pub fn prepare(mut touches: Vec<Touch>, rules: Rules) -> Journeys {
    let f = &rules.filters;
    if let Some(device) = f.device {
        touches.retain(|t| t.device == device);
    }
    if let Some(segment) = &f.segment {
        let mut members: Vec<u64> = touches
            .iter()
            .filter(|t| rules.grouping.label(&t.touchpoint) == segment)
            .map(|t| t.visitor)
            .collect();
        members.sort_unstable();
        members.dedup();
        touches.retain(|t| members.binary_search(&t.visitor).is_ok());
    }
    let all = stitch(touches, rules.session_gap_ms);
    let keep: Vec<bool> = all
        .iter()
        .map(|s| {
            f.channel.is_none_or(|c| channel::of_session(s) == c)
                && f.stage
                    .is_none_or(|st| s.iter().any(|t| t.stage == Some(st)))
                && f.touchpoint
                    .as_ref()
                    .is_none_or(|tp| s.iter().any(|t| rules.grouping.label(&t.touchpoint) == tp))
        })
        .collect();
    let sessions = all.retain_sessions(&keep);
    let channels = sessions.iter().map(channel::of_session).collect();
    let paths = sessions
        .iter()
        .map(|s| collapse(s.iter().map(|t| rules.grouping.label(&t.touchpoint))))
        .collect();
    Journeys {
        sessions,
        channels,
        paths,
        rules,
    }
}

/// Labels in order with consecutive repeats collapsed.
pub fn collapse<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut path: Vec<String> = Vec::new();
    for label in labels {
        if path.last().map(String::as_str) != Some(label) {
            path.push(label.to_owned());
        }
    }
    path
}

/// A share rounded to four decimals (correctly rounded, half to even on exact ties).
pub fn round4(x: f64) -> f64 {
    format!("{x:.4}").parse().unwrap_or(0.0)
}

/// `part / whole`, 0 when `whole` is 0, rounded to four decimals.
pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        round4(part / whole)
    }
}

/// The median of whole milliseconds: the mean of the two middle values for an even
/// count, rounded down. `None` for no values.
pub fn median_ms(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]).div_euclid(2)),
    }
}

/// The median as a real number (mean of the two middle values), four decimals.
pub fn median_f64(mut values: Vec<f64>) -> Option<f64> {
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(round4(values[n / 2])),
        _ => Some(round4((values[n / 2 - 1] + values[n / 2]) / 2.0)),
    }
}

/// Counts ranked by count (descending), then name: the top `k`, and the rest summed.
pub fn top_k(counts: std::collections::BTreeMap<String, u64>, k: usize) -> (Vec<Count>, Other) {
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    // Stable sort over name order: ties stay by name.
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let rest = ranked.split_off(k.min(ranked.len()));
    (
        ranked
            .into_iter()
            .map(|(touchpoint, count)| Count { touchpoint, count })
            .collect(),
        Other {
            touchpoints: rest.len() as u64,
            count: rest.iter().map(|(_, n)| n).sum(),
        },
    )
}

/// A touchpoint and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub touchpoint: String,
    pub count: u64,
}

/// What lies beyond a top-k list: how many distinct entries, and their count.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Other {
    pub touchpoints: u64,
    pub count: u64,
}

/// The label paths end with.
pub const EXIT: &str = "(exit)";
pub const OTHER: &str = "(other)";

/// Visitor ids as reports show them.
pub fn visitor_hex(visitor: u64) -> String {
    format!("{visitor:016x}")
}
