//! Experiments: per experiment and variant, the visitors who saw it, how many of them
//! reached the goal afterwards, how satisfied they were, and the difference from the
//! control with an interval that stays valid however often it is looked at.
//!
//! Assignment is the site's business; the tracker records it (`data-variant`,
//! `spur.variant`) as `xp:<experiment>` props on every event after it. Here:
//! - a visitor is *exposed* to a variant at the first event in the period that carries
//!   it (any event, engagement included); a visitor carrying two variants of one
//!   experiment stays with the first, and is counted in `conflicts`;
//! - *converted*: a touch of the goal (the `goal` parameter, default `purchase`, after
//!   the grouping rules, as every report sees it) at or after the exposure, in the
//!   period;
//! - *satisfaction*: of the rating widgets answered at or after the exposure, the share
//!   in the high band (NPS 9–10, CSAT 4–5, CES 5–7, thumbs up);
//! - the control is the variant named `control`, `original` or `a` (any case), else the
//!   first by name.
//!
//! The method, said in the report too: the difference of conversion rates (variant −
//! control) with a 95 % *always-valid* interval from the mixture sequential probability
//! ratio test with a normal mixture (Johari, Koomen, Pekelis, Walsh, "Peeking at A/B
//! tests", KDD 2017): half-width `sqrt(V(V+τ²)/τ² · (ln((V+τ²)/V) − 2 ln α))`, `V` the
//! variance of the difference, `τ = 0.1`, `α = 0.05`. Unlike a fixed-horizon test it
//! may be read every day and stopped whenever it excludes 0, without inflating false
//! positives; the price is a wider interval. Below 100 visitors in either variant the
//! normal approximation is not trusted and the verdict says the data is not enough.
//!
//! Only the period and the device filter apply (engagement events, which also expose,
//! are not part of sessions).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Journeys, round4};
use crate::event::EventKind;
use crate::feedback::Band;

/// The mixture's scale: differences of about ten points are what it is tuned to find.
pub const TAU: f64 = 0.1;
pub const ALPHA: f64 = 0.05;
/// Visitors each variant needs before a verdict.
pub const MIN_VISITORS: u64 = 100;

pub const METHOD: &str = "Difference of conversion rates (variant − control) with a 95 % \
    always-valid interval (mixture sequential probability ratio test, normal mixture, \
    τ = 0.1; Johari et al., KDD 2017): the result may be looked at any time and as often \
    as wanted, and stopped as soon as the interval excludes 0, without more false \
    positives than 5 %. No verdict below 100 visitors per variant.";

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExperimentsResult {
    pub goal: String,
    pub method: &'static str,
    pub experiments: Vec<Experiment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Experiment {
    pub experiment: String,
    pub control: String,
    /// Visitors exposed to any variant.
    pub visitors: u64,
    /// Visitors who carried two variants of it (counted with their first).
    pub conflicts: u64,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Variant {
    pub variant: String,
    pub visitors: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
    /// Rating widgets answered after the exposure.
    pub ratings: u64,
    /// Of those, the share in the high band.
    pub satisfaction: Option<f64>,
    /// Against the control (absent for the control itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Conversion rate minus the control's.
    pub difference: f64,
    /// The 95 % always-valid interval of the difference; absent while the variance is
    /// zero (nobody or everybody converted in both).
    pub interval: Option<[f64; 2]>,
    pub verdict: Verdict,
    /// The verdict in words.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    NotEnoughData,
    Better,
    Worse,
    NoDifferenceYet,
}

/// The 95 % always-valid interval of `difference` with variance `v` (see the module).
pub fn interval(difference: f64, v: f64) -> Option<[f64; 2]> {
    if v <= 0.0 || !v.is_finite() {
        return None;
    }
    let tau2 = TAU * TAU;
    let half = (v * (v + tau2) / tau2 * (((v + tau2) / v).ln() - 2.0 * ALPHA.ln())).sqrt();
    Some([difference - half, difference + half])
}

#[derive(Default)]
struct Counts {
    visitors: u64,
    conversions: u64,
    ratings: u64,
    satisfied: u64,
}

/// One visitor's exposure to one experiment.
struct Exposure {
    experiment: String,
    variant: String,
    ts: i64,
    converted: bool,
}

pub fn experiments(journeys: &Journeys) -> ExperimentsResult {
    let table = journeys.table();
    let range = journeys.range();
    // experiment → variant → counts
    let mut found: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
    let mut conflicts: BTreeMap<String, u64> = BTreeMap::new();
    let mut ratings = table.ratings().iter().peekable();
    let mut exposures: Vec<Exposure> = Vec::new();
    let mut conflicted: Vec<String> = Vec::new();
    let mut answered: Vec<(i64, bool)> = Vec::new();
    let mut rows = journeys.all_rows().peekable();
    while let Some(first) = rows.peek() {
        let visitor = first.visitor;
        exposures.clear();
        conflicted.clear();
        while let Some(row) = rows.next_if(|r| r.visitor == visitor) {
            if let Some(lines) = table.variants(row) {
                for (experiment, variant) in lines.lines().filter_map(|l| l.split_once('=')) {
                    match exposures.iter().find(|e| e.experiment == experiment) {
                        Some(e) if e.variant != variant => {
                            if !conflicted.iter().any(|c| c == experiment) {
                                conflicted.push(experiment.to_owned());
                            }
                        }
                        Some(_) => {}
                        None => exposures.push(Exposure {
                            experiment: experiment.to_owned(),
                            variant: variant.to_owned(),
                            ts: row.ts,
                            converted: false,
                        }),
                    }
                }
            }
            if row.kind != EventKind::Engagement
                && journeys.is_goal(journeys.label_of(row.touchpoint))
            {
                for e in exposures.iter_mut() {
                    e.converted |= row.ts >= e.ts;
                }
            }
        }
        while ratings.next_if(|r| r.visitor < visitor).is_some() {}
        answered.clear();
        while let Some(rating) = ratings.next_if(|r| r.visitor == visitor) {
            if let Some(score) = rating.score
                && range.contains(&rating.ts)
            {
                answered.push((rating.ts, rating.widget.band(score) == Band::High));
            }
        }
        for e in &exposures {
            let counts = found
                .entry(e.experiment.clone())
                .or_default()
                .entry(e.variant.clone())
                .or_default();
            counts.visitors += 1;
            counts.conversions += u64::from(e.converted);
            for &(ts, high) in &answered {
                if ts >= e.ts {
                    counts.ratings += 1;
                    counts.satisfied += u64::from(high);
                }
            }
        }
        for experiment in &conflicted {
            *conflicts.entry(experiment.clone()).or_default() += 1;
        }
    }
    let experiments = found
        .into_iter()
        .map(|(experiment, variants)| {
            let control = variants
                .keys()
                .find(|v| ["control", "original", "a"].contains(&v.to_lowercase().as_str()))
                .or_else(|| variants.keys().next())
                .cloned()
                .unwrap_or_default();
            let rate = |c: &Counts| c.conversions as f64 / c.visitors.max(1) as f64;
            let base = &variants[&control];
            let (base_rate, base_n) = (rate(base), base.visitors);
            let rows = variants
                .iter()
                .map(|(name, c)| Variant {
                    variant: name.clone(),
                    visitors: c.visitors,
                    conversions: c.conversions,
                    conversion_rate: round4(rate(c)),
                    ratings: c.ratings,
                    satisfaction: (c.ratings > 0)
                        .then(|| round4(c.satisfied as f64 / c.ratings as f64)),
                    comparison: (*name != control).then(|| {
                        compare(name, &control, (rate(c), c.visitors), (base_rate, base_n))
                    }),
                })
                .collect();
            Experiment {
                visitors: variants.values().map(|c| c.visitors).sum(),
                conflicts: conflicts.get(&experiment).copied().unwrap_or(0),
                experiment,
                control,
                variants: rows,
            }
        })
        .collect();
    ExperimentsResult {
        goal: journeys.rules.goal.clone(),
        method: METHOD,
        experiments,
    }
}

/// A variant (rate, visitors) against the control.
fn compare(name: &str, control: &str, (p, n): (f64, u64), (q, m): (f64, u64)) -> Comparison {
    let difference = p - q;
    let variance = p * (1.0 - p) / n as f64 + q * (1.0 - q) / m as f64;
    let interval = interval(difference, variance);
    let points = |x: f64| format!("{:+.1}", x * 100.0);
    let (verdict, text) = match interval {
        _ if n < MIN_VISITORS || m < MIN_VISITORS => (
            Verdict::NotEnoughData,
            format!(
                "Not enough data yet: {name} has {n} and {control} {m} visitors; each needs \
                 at least {MIN_VISITORS} before a verdict."
            ),
        ),
        Some([lo, hi]) if lo > 0.0 || hi < 0.0 => (
            if lo > 0.0 {
                Verdict::Better
            } else {
                Verdict::Worse
            },
            format!(
                "{name} converts {} than {control}: {} points (95 % always-valid interval {} \
                 to {}).",
                if lo > 0.0 { "better" } else { "worse" },
                points(difference),
                points(lo),
                points(hi)
            ),
        ),
        Some([lo, hi]) => (
            Verdict::NoDifferenceYet,
            format!(
                "No difference shown yet: {} points, and the interval ({} to {}) still \
                 includes 0. Keep it running; looking again later is safe.",
                points(difference),
                points(lo),
                points(hi)
            ),
        ),
        None => (
            Verdict::NoDifferenceYet,
            format!(
                "No difference shown yet: {} points, and neither variant varies (all or \
                 none converted).",
                points(difference)
            ),
        ),
    };
    Comparison {
        difference: round4(difference),
        interval: interval.map(|[lo, hi]| [round4(lo), round4(hi)]),
        verdict,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::{Rules, Table, Touch, prepare};

    const MINUTE: i64 = 60_000;

    fn touch(visitor: u64, minute: i64, kind: EventKind, name: &str, props: &str) -> Touch {
        Touch {
            visitor,
            ts: minute * MINUTE,
            id: format!("{visitor:08}-{minute:06}-{name}"),
            kind,
            touchpoint: name.into(),
            url: "https://shop.example/".into(),
            props: (!props.is_empty()).then(|| props.to_owned()),
            ..Touch::default()
        }
    }

    fn seen(visitor: u64, minute: i64, experiment: &str, variant: &str) -> Touch {
        let props = format!(r#"{{"xp:{experiment}":"{variant}"}}"#);
        touch(visitor, minute, EventKind::Pageview, "landing", &props)
    }

    fn purchase(visitor: u64, minute: i64) -> Touch {
        touch(
            visitor,
            minute,
            EventKind::Custom,
            "purchase",
            r#"{"revenue":10}"#,
        )
    }

    fn rated(visitor: u64, minute: i64, widget: &str, score: u8) -> Touch {
        let props = format!(r#"{{"widget":"{widget}","outcome":"answered","score":{score}}}"#);
        touch(
            visitor,
            minute,
            EventKind::Feedback,
            "after-purchase",
            &props,
        )
    }

    /// The fixture, with its figures worked out by hand:
    ///
    /// `checkout`: 1000 visitors see `control`, 100 of them buy after it (20 more
    /// bought only before it: not conversions); 1000 see `green`, 200 buy. Rates 0.1
    /// and 0.2, difference 0.1; V = 0.1·0.9/1000 + 0.2·0.8/1000 = 0.00025;
    /// half-width = sqrt(V(V+0.01)/0.01 · (ln 41 − 2 ln 0.05))
    /// = sqrt(0.00025625 · (3.713572 + 5.991465)) = sqrt(0.0024869) = 0.049869:
    /// interval [0.0501, 0.1499], above 0: green is better. Ratings: four control
    /// visitors give CSAT 5 *before* seeing it (not counted) and four give CSAT 2
    /// after (satisfaction 0 of 4); ten green visitors give NPS 10 and five NPS 3
    /// after (10 of 15 high: 0.6667).
    ///
    /// `headline`: 50 visitors see `a` (2 buy), 50 see `b` (3 buy); one `a` visitor
    /// later carries `b` too (a conflict, counted with `a`). Difference 0.02, interval
    /// ±0.132875 → [−0.1129, 0.1529]; under 100 visitors each: not enough data.
    fn fixture() -> Vec<Touch> {
        let mut touches = Vec::new();
        for v in 0..1000u64 {
            touches.push(seen(v, 10, "checkout", "control"));
            if v < 100 {
                touches.push(purchase(v, 20));
            } else if v < 120 {
                touches.push(purchase(v, 5));
            }
            if v < 4 {
                touches.push(rated(v, 6, "csat", 5));
            } else if v < 8 {
                touches.push(rated(v, 30, "csat", 2));
            }
        }
        for v in 1000..2000u64 {
            touches.push(seen(v, 10, "checkout", "green"));
            if v < 1200 {
                touches.push(purchase(v, 15));
            }
            if v < 1010 {
                touches.push(rated(v, 40, "nps", 10));
            } else if v < 1015 {
                touches.push(rated(v, 40, "nps", 3));
            }
        }
        for v in 5000..5050u64 {
            touches.push(seen(v, 100, "headline", "a"));
            if v < 5002 {
                touches.push(purchase(v, 101));
            }
        }
        touches.push(seen(5049, 102, "headline", "b"));
        for v in 6000..6050u64 {
            touches.push(seen(v, 100, "headline", "b"));
            if v < 6003 {
                touches.push(purchase(v, 130));
            }
        }
        touches
    }

    fn run(touches: Vec<Touch>) -> ExperimentsResult {
        let table = Table::of(touches);
        let journeys = prepare(&table, 0..i64::MAX, Rules::new(30 * MINUTE));
        experiments(&journeys)
    }

    #[test]
    fn fixture_gives_the_figures_worked_out_by_hand() {
        let result = run(fixture());
        assert_eq!(result.goal, "purchase");
        let [checkout, headline] = &result.experiments[..] else {
            panic!("{result:?}");
        };
        assert_eq!(
            (&checkout.experiment[..], &checkout.control[..]),
            ("checkout", "control")
        );
        assert_eq!((checkout.visitors, checkout.conflicts), (2000, 0));
        let [control, green] = &checkout.variants[..] else {
            panic!("{checkout:?}");
        };
        assert_eq!(
            (
                control.visitors,
                control.conversions,
                control.conversion_rate
            ),
            (1000, 100, 0.1)
        );
        assert_eq!((control.ratings, control.satisfaction), (4, Some(0.0)));
        assert_eq!(control.comparison, None);
        assert_eq!(
            (green.visitors, green.conversions, green.conversion_rate),
            (1000, 200, 0.2)
        );
        assert_eq!((green.ratings, green.satisfaction), (15, Some(0.6667)));
        assert_eq!(
            green.comparison,
            Some(Comparison {
                difference: 0.1,
                interval: Some([0.0501, 0.1499]),
                verdict: Verdict::Better,
                text: "green converts better than control: +10.0 points (95 % always-valid \
                       interval +5.0 to +15.0)."
                    .into(),
            })
        );

        assert_eq!(
            (&headline.experiment[..], &headline.control[..]),
            ("headline", "a")
        );
        assert_eq!((headline.visitors, headline.conflicts), (100, 1));
        let [a, b] = &headline.variants[..] else {
            panic!("{headline:?}");
        };
        assert_eq!(
            (a.visitors, a.conversions, a.conversion_rate),
            (50, 2, 0.04)
        );
        assert_eq!(
            (b.visitors, b.conversions, b.conversion_rate),
            (50, 3, 0.06)
        );
        let comparison = b.comparison.as_ref().unwrap();
        assert_eq!(comparison.difference, 0.02);
        assert_eq!(comparison.interval, Some([-0.1129, 0.1529]));
        assert_eq!(comparison.verdict, Verdict::NotEnoughData);
        assert!(
            comparison.text.starts_with("Not enough data yet"),
            "{}",
            comparison.text
        );
    }

    #[test]
    fn an_interval_that_holds_zero_is_no_difference_yet() {
        // 1000 visitors each, 100 and 120 conversions: [−0.0245, 0.0645].
        let mut touches = Vec::new();
        for v in 0..2000u64 {
            touches.push(seen(v, 1, "x", if v < 1000 { "control" } else { "b" }));
            if v < 100 || (1000..1120).contains(&v) {
                touches.push(purchase(v, 2));
            }
        }
        let result = run(touches);
        let b = &result.experiments[0].variants[0];
        assert_eq!(b.variant, "b");
        let comparison = b.comparison.as_ref().unwrap();
        assert_eq!(comparison.interval, Some([-0.0245, 0.0645]));
        assert_eq!(comparison.verdict, Verdict::NoDifferenceYet);
        // The interval is wider than a fixed-horizon one (±0.0274 at 95 %), the price
        // of looking at any time.
        assert_eq!(interval(0.0, 0.0), None);
    }
}
