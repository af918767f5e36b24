//! The overview: visitors, sessions, conversions and revenue over the range and per
//! UTC day, for the dashboard's first page (its trends and sparklines).
//!
//! Counting, the same as the other reports: a session belongs to the day of its first
//! touch; a visitor counts once in the totals and once on every day one of their
//! sessions starts; a conversion is a session with a goal touch (as in `channels`), its
//! revenue the goal touches' `revenue`.

use std::ops::Range;

use serde::Serialize;

use super::Journeys;

pub(crate) const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OverviewResult {
    pub totals: Counts,
    /// One per UTC day of the range, oldest first, days without sessions included.
    pub days: Vec<Day>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub visitors: u64,
    pub sessions: u64,
    pub conversions: u64,
    pub revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    #[serde(flatten)]
    pub counts: Counts,
}

pub fn overview(journeys: &Journeys) -> OverviewResult {
    let (first_day, mut days) = days_of(&journeys.range());
    let mut totals = Counts::default();
    let table = journeys.table();
    journeys.for_each_visitor(|visitor| {
        totals.visitors += 1;
        // The last day this visitor was counted on (sessions come in time order).
        let mut counted_on: Option<usize> = None;
        for session in visitor.sessions() {
            let Some(first) = session.touches.first() else {
                continue;
            };
            let day = usize::try_from(first.ts.div_euclid(DAY_MS) - first_day).ok();
            let mut counts = day.and_then(|d| days.get_mut(d));
            if let Some(counts) = counts.as_deref_mut() {
                counts.sessions += 1;
                if counted_on != day {
                    counts.visitors += 1;
                    counted_on = day;
                }
            }
            totals.sessions += 1;
            let mut converted = false;
            let mut revenue = 0.0;
            for (touch, label) in session.touches.iter().zip(session.labels) {
                if journeys.is_goal(*label) {
                    converted = true;
                    revenue += table.revenue(touch).unwrap_or(0.0);
                }
            }
            if converted {
                totals.conversions += 1;
                totals.revenue += revenue;
                if let Some(counts) = counts {
                    counts.conversions += 1;
                    counts.revenue += revenue;
                }
            }
        }
    });
    finish(first_day, totals, days)
}

/// The overview from counts made elsewhere (a store that counted them itself): the
/// totals, and per day (UTC days since the epoch) its counts; days outside `range` are
/// left out, days without counts are zeros.
pub fn assemble(range: Range<i64>, totals: Counts, counted: Vec<(i64, Counts)>) -> OverviewResult {
    let (first_day, mut days) = days_of(&range);
    for (day, counts) in counted {
        if let Some(slot) = usize::try_from(day - first_day)
            .ok()
            .and_then(|d| days.get_mut(d))
        {
            *slot = counts;
        }
    }
    finish(first_day, totals, days)
}

/// The first UTC day of `range` and zero counts for each of its days (at most 400).
fn days_of(range: &Range<i64>) -> (i64, Vec<Counts>) {
    let first_day = range.start.div_euclid(DAY_MS);
    let day_count = usize::try_from((range.end - 1).div_euclid(DAY_MS) - first_day + 1)
        .unwrap_or(0)
        .min(400);
    (first_day, vec![Counts::default(); day_count])
}

fn finish(first_day: i64, mut totals: Counts, days: Vec<Counts>) -> OverviewResult {
    totals.revenue = round2(totals.revenue);
    OverviewResult {
        totals,
        days: days
            .into_iter()
            .enumerate()
            .map(|(i, mut counts)| {
                counts.revenue = round2(counts.revenue);
                Day {
                    date: date((first_day + i as i64) * DAY_MS),
                    counts,
                }
            })
            .collect(),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::{Rules, Table, Touch, prepare};
    use super::*;

    const MIN: i64 = 60_000;
    /// 2026-11-20T00:00:00Z.
    const DAY0: i64 = 1_795_132_800_000;

    fn touch(visitor: u64, ms: i64, touchpoint: &str, revenue: Option<f64>) -> Touch {
        Touch {
            visitor,
            ts: ms,
            id: format!("{visitor}-{ms}-{touchpoint}"),
            touchpoint: touchpoint.into(),
            revenue,
            ..Touch::default()
        }
    }

    #[test]
    fn counts_per_day_and_in_total() {
        let touches = vec![
            // Visitor 1: two sessions on day 0 (one converting, 20.5), one on day 2.
            touch(1, DAY0 + 10 * MIN, "landing", None),
            touch(1, DAY0 + 12 * MIN, "purchase", Some(20.5)),
            touch(1, DAY0 + 120 * MIN, "landing", None),
            touch(1, DAY0 + 2 * DAY_MS + MIN, "account", None),
            // Visitor 2: a session that starts before midnight and ends after it counts
            // on the day it starts; two purchases in it are one conversion (30 + 10).
            touch(2, DAY0 + DAY_MS - MIN, "landing", None),
            touch(2, DAY0 + DAY_MS + MIN, "purchase", Some(30.0)),
            touch(2, DAY0 + DAY_MS + 2 * MIN, "purchase", Some(10.0)),
            // Outside the range.
            touch(3, DAY0 + 3 * DAY_MS, "landing", None),
        ];
        let table = Table::of(touches);
        let journeys = prepare(&table, DAY0..DAY0 + 3 * DAY_MS, Rules::new(30 * MIN));
        let o = overview(&journeys);
        assert_eq!(
            o.totals,
            Counts {
                visitors: 2,
                sessions: 4,
                conversions: 2,
                revenue: 60.5
            }
        );
        let days: Vec<(&str, u64, u64, u64, f64)> = o
            .days
            .iter()
            .map(|d| {
                (
                    d.date.as_str(),
                    d.counts.visitors,
                    d.counts.sessions,
                    d.counts.conversions,
                    d.counts.revenue,
                )
            })
            .collect();
        assert_eq!(
            days,
            [
                ("2026-11-20", 2, 3, 2, 60.5),
                ("2026-11-21", 0, 0, 0, 0.0),
                ("2026-11-22", 1, 1, 0, 0.0),
            ]
        );
    }
}
