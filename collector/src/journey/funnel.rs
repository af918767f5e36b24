//! Funnels: ordered steps within a conversion window, per visitor.

use std::collections::BTreeMap;

use serde::Serialize;

use super::paths::{add, add_rows, named_counts};
use super::{Count, EXIT, Journeys, Label, Other, Row, median_ms, ratio, top_k};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelResult {
    /// Visitors who did the first step.
    pub visitors: u64,
    pub steps: Vec<FunnelStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelStep {
    pub touchpoint: String,
    /// Visitors who reached this step (in order, within the window).
    pub visitors: u64,
    /// `visitors` over the first step's (0 when nobody did the first step).
    pub conversion: f64,
    /// `visitors` over the previous step's (1 for the first step; 0 when nobody reached
    /// the previous step).
    pub step_conversion: f64,
    /// Visitors who reached this step but not the next (0 for the last step).
    pub dropped: u64,
    /// Median time from the previous step, over the visitors who reached this one.
    pub median_ms_from_previous: Option<i64>,
    /// Where the visitors who dropped out after this step went next.
    pub next_after_drop: NextAfterDrop,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NextAfterDrop {
    pub top: Vec<Count>,
    pub other: Other,
}

/// Per visitor, over all their touches (sessions do not matter): every touch of the
/// first step starts an attempt that greedily takes the next touch of each following
/// step, within `window_ms` of the start. The attempt reaching furthest counts (the
/// earliest one on ties).
pub fn funnel(journeys: &Journeys, steps: &[String], window_ms: i64) -> FunnelResult {
    let n = steps.len();
    // Per step: visitors who reached it, the gaps from the step before, where the
    // dropped ones went next (or exited); and two buffers for `best_attempt`.
    let init = || {
        (
            vec![0u64; n],
            vec![Vec::<i64>::new(); n],
            vec![vec![0u64; journeys.labels_len()]; n],
            vec![0u64; n],
            [Vec::new(), Vec::new()],
        )
    };
    let mut counts = init();
    // A step nobody took matches no touch.
    let wanted: Vec<Option<Label>> = steps.iter().map(|s| journeys.label_named(s)).collect();
    if wanted[0].is_some() {
        counts = journeys.fold_visitor_touches(
            init,
            |(reached, gaps, next, next_exit, [matched, attempt]), visitor| {
                let (touches, labels) = (visitor.touches(), visitor.labels());
                if !best_attempt(touches, labels, &wanted, window_ms, matched, attempt) {
                    return;
                }
                let level = matched.len();
                for i in 0..level {
                    reached[i] += 1;
                    if i > 0 {
                        gaps[i].push(touches[matched[i]].ts - touches[matched[i - 1]].ts);
                    }
                }
                if level < n {
                    // Dropped after step `level - 1`: where did they go next?
                    let at = matched[level - 1];
                    let here = labels[at];
                    match labels[at + 1..].iter().find(|l| **l != here) {
                        Some(went) => next[level - 1][went.index()] += 1,
                        None => next_exit[level - 1] += 1,
                    }
                }
            },
            // In visitor order, so the gaps are as one pass would have them.
            |(reached, gaps, next, next_exit, _),
             (more_reached, more_gaps, more_next, more_exit, _)| {
                add(reached, &more_reached);
                add_rows(next, &more_next);
                add(next_exit, &more_exit);
                for (gaps, more) in gaps.iter_mut().zip(more_gaps) {
                    gaps.extend(more);
                }
            },
        );
    }
    let (reached, gaps, next, next_exit, _) = counts;
    let medians = gaps.into_iter().map(median_ms).collect();
    let went = next
        .iter()
        .zip(next_exit)
        .map(|(next, exit)| {
            let mut went = named_counts(journeys, next);
            if exit > 0 {
                *went.entry(EXIT.to_owned()).or_default() += exit;
            }
            went
        })
        .collect();
    assemble(steps, &reached, medians, went)
}

/// The funnel from counts made elsewhere (a store that counted them itself): per step,
/// the visitors who reached it, the median gap from the step before (`None` for the
/// first step and where nobody reached it) and where the visitors who dropped out after
/// it went next (touchpoints and `(exit)`).
pub fn assemble(
    steps: &[String],
    reached: &[u64],
    medians: Vec<Option<i64>>,
    went: Vec<BTreeMap<String, u64>>,
) -> FunnelResult {
    let n = steps.len();
    let first = reached.first().copied().unwrap_or(0);
    FunnelResult {
        visitors: first,
        steps: medians
            .into_iter()
            .zip(went)
            .enumerate()
            .map(|(i, (median, went))| {
                let (top, other) = top_k(went, 5);
                FunnelStep {
                    touchpoint: steps[i].clone(),
                    visitors: reached[i],
                    conversion: ratio(reached[i] as f64, first as f64),
                    step_conversion: if i == 0 {
                        if first == 0 { 0.0 } else { 1.0 }
                    } else {
                        ratio(reached[i] as f64, reached[i - 1] as f64)
                    },
                    dropped: if i + 1 < n {
                        reached[i] - reached[i + 1]
                    } else {
                        0
                    },
                    median_ms_from_previous: if i == 0 { None } else { median },
                    next_after_drop: NextAfterDrop { top, other },
                }
            })
            .collect(),
    }
}

/// The furthest attempt of one visitor, into `best`: for each reached step, the index of
/// the touch that matched it; false when the visitor never took the first step.
/// `attempt` is scratch space (both are reused from visitor to visitor).
fn best_attempt(
    touches: &[&Row],
    labels: &[Label],
    steps: &[Option<Label>],
    window_ms: i64,
    best: &mut Vec<usize>,
    attempt: &mut Vec<usize>,
) -> bool {
    best.clear();
    for (start, touch) in touches.iter().enumerate() {
        if Some(labels[start]) != steps[0] {
            continue;
        }
        attempt.clear();
        attempt.push(start);
        let mut at = start;
        for step in &steps[1..] {
            let found = (at + 1..touches.len())
                .take_while(|&j| touches[j].ts - touch.ts <= window_ms)
                .find(|&j| Some(labels[j]) == *step);
            match found {
                Some(j) => {
                    attempt.push(j);
                    at = j;
                }
                None => break,
            }
        }
        if attempt.len() > best.len() {
            std::mem::swap(best, attempt);
            if best.len() == steps.len() {
                break;
            }
        }
    }
    !best.is_empty()
}

#[cfg(test)]
mod tests {
    use super::super::{Rules, Table, Touch, prepare};
    use super::*;

    const MIN: i64 = 60_000;

    fn touch(visitor: u64, minute: i64, touchpoint: &str) -> Touch {
        Touch {
            visitor,
            ts: minute * MIN,
            id: format!("{visitor}-{minute:05}-{touchpoint}"),
            touchpoint: touchpoint.into(),
            ..Touch::default()
        }
    }

    fn steps(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn greedy_in_order_within_the_window() {
        let touches = vec![
            // 1: all three in order, across sessions (sessions do not matter).
            touch(1, 0, "landing"),
            touch(1, 5, "product"),
            touch(1, 120, "cart"),
            // 2: product before landing does not count; then landing → product, drops.
            touch(2, 0, "product"),
            touch(2, 1, "landing"),
            touch(2, 3, "product"),
            touch(2, 4, "faq"),
            // 3: the cart comes too late for the first landing, in time for the second.
            touch(3, 0, "landing"),
            touch(3, 1, "product"),
            touch(3, 200, "landing"),
            touch(3, 201, "product"),
            touch(3, 202, "cart"),
            // 4: never starts.
            touch(4, 0, "cart"),
        ];
        let table = Table::of(touches);
        let journeys = prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN));
        let f = funnel(
            &journeys,
            &steps(&["landing", "product", "cart"]),
            180 * MIN,
        );
        assert_eq!(f.visitors, 3);
        let reached: Vec<u64> = f.steps.iter().map(|s| s.visitors).collect();
        assert_eq!(reached, [3, 3, 2]);
        assert_eq!(f.steps[1].dropped, 1);
        assert_eq!(
            f.steps[1].next_after_drop.top,
            vec![Count {
                touchpoint: "faq".into(),
                count: 1
            }]
        );
        // landing → product: 5, 2, 1 minutes; product → cart: 115 and 1 minutes.
        assert_eq!(f.steps[1].median_ms_from_previous, Some(2 * MIN));
        assert_eq!(f.steps[2].median_ms_from_previous, Some(58 * MIN));
        assert_eq!(f.steps[2].conversion, 0.6667);
        assert_eq!(f.steps[0].step_conversion, 1.0);
    }
}
