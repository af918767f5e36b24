//! Reports over visitors: the five stages, the touchpoint scorecard, channels and
//! attribution, referral chains, and one visitor's timeline.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Channel, Journeys, Touch, median_f64, median_ms, ratio, round4, visitor_hex};
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
    /// later; `None` for awareness.
    pub conversion_from_previous: Option<f64>,
    /// Median time from the first touch of this stage to the first touch of the next
    /// later stage reached.
    pub median_ms_in_stage: Option<i64>,
    /// Visitors whose last staged touch is in this stage.
    pub ended_here: u64,
}

/// A visitor's touches in (ts, id) order, for each visitor.
fn visitors(journeys: &Journeys) -> Vec<Vec<&Touch>> {
    journeys
        .by_visitor()
        .into_iter()
        .map(|run| journeys.sessions.span(run).iter().collect())
        .collect()
}

pub fn stages(journeys: &Journeys) -> StagesResult {
    let mut reached = [0u64; 5];
    let mut converted = [0u64; 5];
    let mut in_stage: [Vec<i64>; 5] = Default::default();
    let mut ended = [0u64; 5];
    let mut staged_visitors = 0;
    for touches in visitors(journeys) {
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
            continue;
        };
        staged_visitors += 1;
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
    }
    StagesResult {
        visitors: staged_visitors,
        stages: Stage::ALL
            .into_iter()
            .enumerate()
            .map(|(s, stage)| StageRow {
                stage,
                visitors: reached[s],
                conversion_from_previous: (s > 0)
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
}

pub fn touchpoints(journeys: &Journeys) -> TouchpointsResult {
    let mut visitors: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut sessions: BTreeMap<String, u64> = BTreeMap::new();
    let mut positions: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (session, _, path) in journeys.iter() {
        let mut seen = BTreeSet::new();
        for (i, label) in path.iter().enumerate() {
            if seen.insert(label) {
                *sessions.entry(label.clone()).or_default() += 1;
                positions
                    .entry(label.clone())
                    .or_default()
                    .push((i + 1) as f64);
            }
        }
        for touch in session {
            visitors
                .entry(journeys.label(touch).to_owned())
                .or_default()
                .insert(touch.visitor);
        }
    }
    let mut before_conversion: BTreeMap<String, u64> = BTreeMap::new();
    let mut converters = 0u64;
    for touches in self::visitors(journeys) {
        let Some(conversion) = touches.iter().position(|t| journeys.is_goal(t)) else {
            continue;
        };
        converters += 1;
        let passed: BTreeSet<&str> = touches[..conversion]
            .iter()
            .map(|t| journeys.label(t))
            .collect();
        for label in passed {
            *before_conversion.entry(label.to_owned()).or_default() += 1;
        }
    }
    let mut rows: Vec<TouchpointRow> = visitors
        .into_iter()
        .map(|(touchpoint, who)| TouchpointRow {
            visitors: who.len() as u64,
            sessions: sessions.get(&touchpoint).copied().unwrap_or(0),
            conversion_share: ratio(
                before_conversion.get(&touchpoint).copied().unwrap_or(0) as f64,
                converters as f64,
            ),
            median_position: median_f64(positions.remove(&touchpoint).unwrap_or_default()),
            touchpoint,
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.visitors));
    TouchpointsResult { touchpoints: rows }
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
    for run in journeys.by_visitor() {
        let sessions: Vec<(&[Touch], Channel)> = run
            .map(|i| (journeys.sessions.get(i), journeys.channels[i]))
            .collect();
        acc.entry(sessions[0].1).or_default().visitors += 1;
        for (i, (session, channel)) in sessions.iter().enumerate() {
            let a = acc.entry(*channel).or_default();
            a.sessions += 1;
            let goals: Vec<&Touch> = session.iter().filter(|t| journeys.is_goal(t)).collect();
            if !goals.is_empty() {
                a.conversions += 1;
                a.revenue += goals.iter().filter_map(|t| t.revenue).sum::<f64>();
            }
            // Each conversion is credited over the sessions up to and including this one.
            let path: Vec<Channel> = sessions[..=i].iter().map(|(_, c)| *c).collect();
            let weights = model.weights(path.len());
            for goal in goals {
                for (channel, w) in path.iter().zip(&weights) {
                    let a = acc.entry(*channel).or_default();
                    a.credited += w;
                    a.credited_revenue += w * goal.revenue.unwrap_or(0.0);
                }
            }
        }
    }
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

fn referral_code(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == REFERRAL_PARAM)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

fn shared_code(touch: &Touch) -> Option<String> {
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
    for touches in visitors(journeys) {
        for touch in &touches {
            if let Some(code) = shared_code(touch) {
                // The first visitor to share a code owns it.
                owner.entry(code.clone()).or_insert(touch.visitor);
                arrived.entry(code).or_default();
            }
            // Every code seen is listed, even if nobody arrived through it (yet).
            if let Some(code) = referral_code(&touch.url) {
                arrived.entry(code).or_default();
            }
        }
        if let Some(code) = referral_code(&touches[0].url) {
            let converted = touches.iter().any(|t| journeys.is_goal(t));
            arrived
                .entry(code)
                .or_default()
                .push((touches[0].visitor, converted));
        }
    }
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
    TimelineResult {
        visitor: visitor_hex(visitor),
        sessions: journeys
            .iter()
            .filter(|(s, _, _)| s[0].visitor == visitor)
            .map(|(s, channel, _)| TimelineSession {
                start: s[0].ts,
                end: s[s.len() - 1].ts,
                channel,
                touches: s
                    .iter()
                    .map(|t| TimelineTouch {
                        id: t.id.clone(),
                        ts: t.ts,
                        kind: t.kind.as_str(),
                        touchpoint: journeys.label(t).to_owned(),
                        stage: t.stage,
                        url: t.url.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
