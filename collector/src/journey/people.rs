//! Reports over visitors: the five stages, the touchpoint scorecard, channels and
//! attribution, referral chains, and one visitor's timeline.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::feedback::{Scores, Tally};
use super::health::{Health, Rising, StageHealth};
use super::paths::add;
use super::{Channel, Journeys, Label, Touch, median_ms, ratio, round4, visitor_hex};
use crate::event::{EventKind, Stage};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StagesResult {
    /// Visitors with at least one touch that carries a stage.
    pub visitors: u64,
    pub stages: Vec<StageRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StageRow {
    pub stage: Stage,
    pub visitors: u64,
    /// Of the visitors who reached the previous stage, the share who reached this one
    /// later; `None` for awareness and when no visitor reached the previous stage.
    pub conversion_from_previous: Option<f64>,
    /// Median time from the first touch of this stage to the first touch of the next
    /// later stage reached.
    pub median_ms_in_stage: Option<i64>,
    /// Visitors whose last staged touch is in this stage.
    pub ended_here: u64,
}

/// What [`stages`] counts, per part of the visitors.
#[derive(Default)]
struct StageCounts {
    reached: [u64; 5],
    converted: [u64; 5],
    in_stage: [Vec<i64>; 5],
    ended: [u64; 5],
    staged_visitors: u64,
}

impl StageCounts {
    /// Adds the counts of the next part of the visitors (in visitor order, so the times
    /// in stages are as one pass would have them).
    fn merge(&mut self, next: StageCounts) {
        add(&mut self.reached, &next.reached);
        add(&mut self.converted, &next.converted);
        add(&mut self.ended, &next.ended);
        for (into, more) in self.in_stage.iter_mut().zip(next.in_stage) {
            into.extend(more);
        }
        self.staged_visitors += next.staged_visitors;
    }
}

pub fn stages(journeys: &Journeys) -> StagesResult {
    let all = journeys.fold_visitor_touches(
        StageCounts::default,
        |counts, visitor| {
            let StageCounts {
                reached,
                converted,
                in_stage,
                ended,
                staged_visitors,
            } = counts;
            let touches = visitor.touches();
            // The first touch of each stage, as an index into `touches` (time order).
            let mut first: [Option<usize>; 5] = [None; 5];
            let mut last_stage = None;
            for (i, touch) in touches.iter().enumerate() {
                if let Some(stage) = touch.stage {
                    let s = stage as usize;
                    first[s].get_or_insert(i);
                    last_stage = Some(s);
                }
            }
            let Some(last_stage) = last_stage else {
                return;
            };
            *staged_visitors += 1;
            ended[last_stage] += 1;
            for s in 0..5 {
                let Some(at) = first[s] else { continue };
                reached[s] += 1;
                if s > 0 && first[s - 1].is_some_and(|prev| prev < at) {
                    converted[s] += 1;
                }
                // The next later stage reached: the earliest first touch of a later stage
                // that comes after this stage's first touch.
                let next = (s + 1..5)
                    .filter_map(|later| first[later])
                    .filter(|&j| j > at)
                    .min();
                if let Some(j) = next {
                    in_stage[s].push(touches[j].ts - touches[at].ts);
                }
            }
        },
        StageCounts::merge,
    );
    let StageCounts {
        reached,
        converted,
        mut in_stage,
        ended,
        staged_visitors,
    } = all;
    StagesResult {
        visitors: staged_visitors,
        stages: Stage::ALL
            .into_iter()
            .enumerate()
            .map(|(s, stage)| StageRow {
                stage,
                visitors: reached[s],
                // (None for the first stage, and for 0 of 0: no visitor could convert.)
                conversion_from_previous: (s > 0 && reached[s - 1] > 0)
                    .then(|| ratio(converted[s] as f64, reached[s - 1] as f64)),
                median_ms_in_stage: median_ms(std::mem::take(&mut in_stage[s])),
                ended_here: ended[s],
            })
            .collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TouchpointsResult {
    pub touchpoints: Vec<TouchpointRow>,
    /// Engagement and friction per stage (of the page).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageHealth>,
    /// The pages whose friction per page view rose most from the first half of the
    /// period to the second.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub friction_rising: Vec<Rising>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TouchpointRow {
    pub touchpoint: String,
    pub visitors: u64,
    pub sessions: u64,
    /// Of the visitors who converted, the share who passed through this touchpoint
    /// before their first conversion.
    pub conversion_share: f64,
    /// Median (1-based) position of its first occurrence in the session paths.
    pub median_position: Option<f64>,
    /// Sessions whose path ends here: where journeys break off (friction).
    pub exits: u64,
    /// `exits / sessions` (0 when it is in no session).
    pub exit_rate: f64,
    /// The answers of the rating widgets placed at this touchpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratings: Option<Scores>,
    /// Engagement and friction of its page views (sites that send them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// The median of positions given as a histogram (`counts[p - 1]` positions equal to
/// `p`), as [`super::median_f64`] gives it for the positions one by one.
fn median_position(counts: &[u64]) -> Option<f64> {
    let n: u64 = counts.iter().sum();
    // The k-th smallest position (from 0).
    let nth = |k: u64| {
        let mut below = 0;
        for (i, count) in counts.iter().enumerate() {
            below += count;
            if k < below {
                return (i + 1) as f64;
            }
        }
        counts.len() as f64
    };
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(round4(nth(n / 2))),
        _ => Some(round4((nth(n / 2 - 1) + nth(n / 2)) / 2.0)),
    }
}

/// What [`touchpoints`] counts per label, per part of the visitors.
struct TouchpointCounts {
    visitors: Vec<u64>,
    sessions: Vec<u64>,
    exits: Vec<u64>,
    /// Sessions by the position (from 1) of the label's first touch in their path:
    /// `positions[label][p - 1]`. A histogram, not every position: at 10 M events
    /// these were four million numbers pushed and sorted per report.
    positions: Vec<Vec<u64>>,
    before_conversion: Vec<u64>,
    converters: u64,
    ratings: Vec<Tally>,
    // The last visitor / session / conversion that counted each label (numbered within
    // the part), so each counts a label once.
    seen_by_visitor: Vec<usize>,
    seen_in_session: Vec<usize>,
    seen_before_conversion: Vec<usize>,
    v: usize,
    s: usize,
}

impl TouchpointCounts {
    fn new(n: usize) -> TouchpointCounts {
        TouchpointCounts {
            visitors: vec![0; n],
            sessions: vec![0; n],
            exits: vec![0; n],
            positions: vec![Vec::new(); n],
            before_conversion: vec![0; n],
            converters: 0,
            ratings: vec![Tally::default(); n],
            seen_by_visitor: vec![0; n],
            seen_in_session: vec![0; n],
            seen_before_conversion: vec![0; n],
            v: 0,
            s: 0,
        }
    }

    fn merge(&mut self, next: TouchpointCounts) {
        add(&mut self.visitors, &next.visitors);
        add(&mut self.sessions, &next.sessions);
        add(&mut self.exits, &next.exits);
        add(&mut self.before_conversion, &next.before_conversion);
        self.converters += next.converters;
        for (a, b) in self.positions.iter_mut().zip(&next.positions) {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            add(a, b);
        }
        for (a, b) in self.ratings.iter_mut().zip(&next.ratings) {
            a.merge(b);
        }
    }
}

pub fn touchpoints(journeys: &Journeys) -> TouchpointsResult {
    let n = journeys.labels_len();
    let all = journeys.fold_visitors(
        || TouchpointCounts::new(n),
        |c, visitor| {
            c.v += 1;
            let (v, ratings) = (c.v, &mut c.ratings);
            for rating in visitor.sessions().flat_map(|s| s.ratings) {
                if let Some(score) = rating.score {
                    ratings[journeys.label_of(rating.touchpoint).index()].add(rating.widget, score);
                }
            }
            for label in visitor.labels() {
                if std::mem::replace(&mut c.seen_by_visitor[label.index()], v) != v {
                    c.visitors[label.index()] += 1;
                }
            }
            for session in visitor.sessions() {
                c.s += 1;
                let s = c.s;
                if let Some(last) = session.path.last() {
                    c.exits[last.index()] += 1;
                }
                for (i, label) in session.path.iter().enumerate() {
                    if std::mem::replace(&mut c.seen_in_session[label.index()], s) != s {
                        c.sessions[label.index()] += 1;
                        let at = &mut c.positions[label.index()];
                        if at.len() <= i {
                            at.resize(i + 1, 0);
                        }
                        at[i] += 1;
                    }
                }
            }
            let labels = visitor.labels();
            let Some(conversion) = labels.iter().position(|l| journeys.is_goal(*l)) else {
                return;
            };
            c.converters += 1;
            for label in &labels[..conversion] {
                if std::mem::replace(&mut c.seen_before_conversion[label.index()], v) != v {
                    c.before_conversion[label.index()] += 1;
                }
            }
        },
        TouchpointCounts::merge,
    );
    let TouchpointCounts {
        visitors,
        sessions,
        exits,
        positions,
        before_conversion,
        converters,
        ratings,
        ..
    } = all;
    let health = super::health::health(journeys);
    let mut by_label = health
        .as_ref()
        .map(|h| h.by_label.clone())
        .unwrap_or_default();
    // By name, then (stably) by visitors.
    let mut order: Vec<usize> = (0..n)
        .filter(|&i| visitors[i] > 0 || !ratings[i].is_empty())
        .collect();
    order.sort_by_key(|&i| journeys.name(Label::from_index(i)));
    let mut rows: Vec<TouchpointRow> = order
        .into_iter()
        .map(|i| TouchpointRow {
            touchpoint: journeys.name(Label::from_index(i)).to_owned(),
            visitors: visitors[i],
            sessions: sessions[i],
            conversion_share: ratio(before_conversion[i] as f64, converters as f64),
            median_position: median_position(&positions[i]),
            exits: exits[i],
            exit_rate: ratio(exits[i] as f64, sessions[i] as f64),
            ratings: (!ratings[i].is_empty()).then(|| ratings[i].scores()),
            health: by_label.get_mut(i).and_then(Option::take),
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.visitors));
    let (stages, friction_rising) = health.map_or_else(Default::default, |h| (h.stages, h.rising));
    TouchpointsResult {
        touchpoints: rows,
        stages,
        friction_rising,
    }
}

/// How a conversion's credit is split over the sessions that led to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    First,
    Last,
    Linear,
    Position,
}

impl Model {
    pub fn parse(s: &str) -> Option<Model> {
        Some(match s {
            "first" => Model::First,
            "last" => Model::Last,
            "linear" => Model::Linear,
            "position" => Model::Position,
            _ => return None,
        })
    }

    /// The weights of `n` touches in order (they add up to 1).
    pub fn weights(self, n: usize) -> Vec<f64> {
        let mut w = vec![0.0; n];
        match (self, n) {
            (_, 0) => {}
            (Model::First, _) => w[0] = 1.0,
            (Model::Last, _) => w[n - 1] = 1.0,
            (Model::Linear, _) => w.iter_mut().for_each(|x| *x = 1.0 / n as f64),
            (Model::Position, 1) => w[0] = 1.0,
            (Model::Position, 2) => {
                w[0] = 0.5;
                w[1] = 0.5;
            }
            (Model::Position, _) => {
                w[0] = 0.4;
                w[n - 1] = 0.4;
                let middle = 0.2 / (n - 2) as f64;
                w[1..n - 1].iter_mut().for_each(|x| *x = middle);
            }
        }
        w
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChannelsResult {
    pub channels: Vec<ChannelRow>,
    pub attribution: Attribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChannelRow {
    pub channel: Channel,
    pub sessions: u64,
    /// Visitors whose first session came through this channel.
    pub visitors: u64,
    /// Sessions of this channel with a conversion.
    pub conversions: u64,
    /// Revenue of the conversions in those sessions.
    pub revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Attribution {
    pub model: Model,
    pub channels: Vec<AttributedRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AttributedRow {
    pub channel: Channel,
    pub conversions: f64,
    pub revenue: f64,
}

pub fn channels(journeys: &Journeys, model: Model) -> ChannelsResult {
    #[derive(Default)]
    struct Acc {
        sessions: u64,
        visitors: u64,
        conversions: u64,
        revenue: f64,
        credited: f64,
        credited_revenue: f64,
    }
    let mut acc: BTreeMap<Channel, Acc> = BTreeMap::new();
    let table = journeys.table();
    // The channels of the visitor's sessions so far (reused from visitor to visitor).
    let mut path: Vec<Channel> = Vec::new();
    journeys.for_each_visitor(|visitor| {
        path.clear();
        for session in visitor.sessions() {
            if path.is_empty() {
                acc.entry(session.channel).or_default().visitors += 1;
            }
            path.push(session.channel);
            let a = acc.entry(session.channel).or_default();
            a.sessions += 1;
            let goals = || {
                session
                    .touches
                    .iter()
                    .zip(session.labels)
                    .filter(|(_, l)| journeys.is_goal(**l))
                    .map(|(t, _)| *t)
            };
            if goals().next().is_none() {
                continue;
            }
            a.conversions += 1;
            a.revenue += goals().filter_map(|t| table.revenue(t)).sum::<f64>();
            // Each conversion is credited over the sessions up to and including this one.
            let weights = model.weights(path.len());
            for goal in goals() {
                for (channel, w) in path.iter().zip(&weights) {
                    let a = acc.entry(*channel).or_default();
                    a.credited += w;
                    a.credited_revenue += w * table.revenue(goal).unwrap_or(0.0);
                }
            }
        }
    });
    ChannelsResult {
        channels: acc
            .iter()
            .filter(|(_, a)| a.sessions > 0)
            .map(|(channel, a)| ChannelRow {
                channel: *channel,
                sessions: a.sessions,
                visitors: a.visitors,
                conversions: a.conversions,
                revenue: round4(a.revenue),
            })
            .collect(),
        attribution: Attribution {
            model,
            channels: acc
                .iter()
                .filter(|(_, a)| a.credited > 0.0)
                .map(|(channel, a)| AttributedRow {
                    channel: *channel,
                    conversions: round4(a.credited),
                    revenue: round4(a.credited_revenue),
                })
                .collect(),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReferralsResult {
    pub codes: Vec<CodeRow>,
    /// The longest chain of referrals: 1 when someone arrived through a link, 2 when one
    /// of them brought someone else, …
    pub max_depth: u64,
    /// Arrivals per visitor who shared a link that brought anyone (the snowball factor).
    pub spread: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CodeRow {
    pub code: String,
    /// The visitor who shared the code, if known.
    pub owner: Option<String>,
    pub arrivals: u64,
    pub conversions: u64,
}

/// The query parameter shared links carry.
pub const REFERRAL_PARAM: &str = "spur_ref";

/// The referral code a URL carries.
pub(crate) fn referral_code(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == REFERRAL_PARAM)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// The code a `share` event shared.
pub(crate) fn shared_code(touch: &Touch) -> Option<String> {
    if touch.kind != EventKind::Custom || touch.touchpoint != "share" {
        return None;
    }
    let props: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(touch.props.as_deref()?).ok()?;
    props.get("code")?.as_str().map(str::to_owned)
}

pub fn referrals(journeys: &Journeys) -> ReferralsResult {
    let mut owner: BTreeMap<String, u64> = BTreeMap::new();
    let mut arrived: BTreeMap<String, Vec<(u64, bool)>> = BTreeMap::new();
    let table = journeys.table();
    journeys.for_each_visitor(|visitor| {
        for touch in visitor.touches() {
            if let Some(code) = table.shared(touch) {
                // The first visitor to share a code owns it.
                owner.entry(code.to_owned()).or_insert(visitor.id);
                arrived.entry(code.to_owned()).or_default();
            }
            // Every code seen is listed, even if nobody arrived through it (yet).
            if let Some(code) = table.arrived_by(touch) {
                arrived.entry(code.to_owned()).or_default();
            }
        }
        if let Some(code) = table.arrived_by(visitor.touches()[0]) {
            let converted = visitor.labels().iter().any(|l| journeys.is_goal(*l));
            arrived
                .entry(code.to_owned())
                .or_default()
                .push((visitor.id, converted));
        }
    });
    // Who brought whom: arrival → the owner of the code it came through.
    let mut parent: BTreeMap<u64, u64> = BTreeMap::new();
    for (code, visitors) in &arrived {
        if let Some(&by) = owner.get(code) {
            for (visitor, _) in visitors {
                if *visitor != by {
                    parent.insert(*visitor, by);
                }
            }
        }
    }
    let depth = |mut v: u64| {
        let mut d = 0;
        let mut seen = BTreeSet::new();
        while let Some(&p) = parent.get(&v) {
            if !seen.insert(v) {
                break;
            }
            d += 1;
            v = p;
        }
        d
    };
    let max_depth = parent.keys().map(|&v| depth(v)).max().unwrap_or(0);
    let sharers: BTreeSet<u64> = parent.values().copied().collect();
    let mut codes: Vec<CodeRow> = arrived
        .into_iter()
        .filter(|(code, _)| !code.is_empty())
        .map(|(code, visitors)| CodeRow {
            owner: owner.get(&code).map(|&v| visitor_hex(v)),
            arrivals: visitors.len() as u64,
            conversions: visitors.iter().filter(|(_, c)| *c).count() as u64,
            code,
        })
        .collect();
    codes.sort_by_key(|c| std::cmp::Reverse(c.arrivals));
    ReferralsResult {
        codes,
        max_depth,
        spread: ratio(parent.len() as f64, sharers.len() as f64),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineResult {
    pub visitor: String,
    pub sessions: Vec<TimelineSession>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineSession {
    pub start: i64,
    pub end: i64,
    pub channel: Channel,
    pub touches: Vec<TimelineTouch>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineTouch {
    pub id: String,
    pub ts: i64,
    pub kind: &'static str,
    pub touchpoint: String,
    pub stage: Option<Stage>,
    pub url: String,
}

pub fn timeline(journeys: &Journeys, visitor: u64) -> TimelineResult {
    let table = journeys.table();
    let mut sessions = Vec::new();
    journeys.for_visitor(visitor, |v| {
        sessions.extend(v.sessions().map(|s| {
            TimelineSession {
                start: s.touches[0].ts,
                end: s.touches[s.touches.len() - 1].ts,
                channel: s.channel,
                touches: s
                    .touches
                    .iter()
                    .zip(s.labels)
                    .map(|(t, l)| TimelineTouch {
                        id: table.id(t).to_owned(),
                        ts: t.ts,
                        kind: t.kind.as_str(),
                        touchpoint: journeys.name(*l).to_owned(),
                        stage: t.stage,
                        url: table.url(t).to_owned(),
                    })
                    .collect(),
            }
        }));
    });
    TimelineResult {
        visitor: visitor_hex(visitor),
        sessions,
    }
}

#[cfg(test)]
mod tests {
    use super::{median_position, stages};
    use crate::event::Stage;
    use crate::journey::{Rules, Table, Touch, median_f64, prepare};
    use proptest::prelude::*;

    /// A stage after one nobody reached has no conversion (0 of 0), not 0 %.
    #[test]
    fn a_stage_after_an_empty_one_converts_from_nobody() {
        let touch = |minute: i64, stage: Stage| Touch {
            visitor: 1,
            ts: minute * 60_000,
            id: format!("{minute}"),
            touchpoint: format!("/{minute}"),
            stage: Some(stage),
            url: format!("https://shop.example/{minute}"),
            ..Touch::default()
        };
        let table = Table::of(vec![touch(0, Stage::Awareness), touch(1, Stage::Advocacy)]);
        let r = stages(&prepare(
            &table,
            i64::MIN..i64::MAX,
            Rules::new(30 * 60_000),
        ));
        let conversions: Vec<(u64, Option<f64>)> = r
            .stages
            .iter()
            .map(|s| (s.visitors, s.conversion_from_previous))
            .collect();
        // Awareness → consideration 0 of 1; purchase and retention: 0 of 0; advocacy 1 of 0.
        assert_eq!(
            conversions,
            [(1, None), (0, Some(0.0)), (0, None), (0, None), (1, None)]
        );
    }

    proptest! {
        /// The median of a histogram equals the median of its positions one by one.
        #[test]
        fn median_of_positions_from_their_histogram(
            counts in prop::collection::vec(0u64..4, 0..6),
        ) {
            let positions: Vec<f64> = counts
                .iter()
                .enumerate()
                .flat_map(|(i, &n)| std::iter::repeat_n((i + 1) as f64, n as usize))
                .collect();
            prop_assert_eq!(median_position(&counts), median_f64(positions));
        }
    }
}
