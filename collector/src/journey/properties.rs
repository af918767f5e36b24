//! Property tests of the whole engine: totals add up, results do not depend on arrival
//! order or duplicated deliveries, and exploration agrees with the paths report.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::paths::{Direction, Unit, explore, paths, transitions};
use super::people::{Model, channels, referrals, stages, touchpoints};
use super::{EXIT, Rules, Table, Touch, funnel::funnel, prepare};
use crate::event::{Device, EventKind, Stage};

const MIN: i64 = 60_000;
const ALL: std::ops::Range<i64> = i64::MIN..i64::MAX;
const LABELS: [&str; 6] = ["landing", "product", "cart", "checkout", "purchase", "faq"];
const REFERRERS: [Option<&str>; 4] = [
    None,
    Some("https://www.google.com/"),
    Some("https://blog.example/"),
    Some("https://t.co/x"),
];

fn touches() -> impl Strategy<Value = Vec<Touch>> {
    let one = (
        0u64..6,
        0i64..400,
        0usize..6,
        0usize..6,
        0usize..4,
        0usize..3,
        0u8..4,
    );
    prop::collection::vec(one, 0..60).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(
                |(i, (visitor, minute, label, stage, referrer, device, code))| {
                    let touchpoint = LABELS[label];
                    Touch {
                        visitor,
                        ts: minute * MIN,
                        id: format!("id{i:04}"),
                        kind: if touchpoint == "purchase" {
                            EventKind::Custom
                        } else {
                            EventKind::Pageview
                        },
                        touchpoint: touchpoint.into(),
                        stage: Stage::ALL.get(stage).copied(),
                        url: match code {
                            0 => format!("https://shop.example/?spur_ref=c{visitor}"),
                            _ => "https://shop.example/".into(),
                        },
                        referrer: REFERRERS[referrer].map(Into::into),
                        device: Device::ALL[device],
                        revenue: (touchpoint == "purchase").then_some(10.0 + visitor as f64),
                        ..Touch::default()
                    }
                },
            )
            .collect()
    })
}

/// The same touches, shuffled by `seed`, with some delivered twice.
fn redelivered(touches: &[Touch], seed: u64, dupes: &[prop::sample::Index]) -> Vec<Touch> {
    let mut out = touches.to_vec();
    if !touches.is_empty() {
        out.extend(dupes.iter().map(|i| i.get(touches).clone()));
    }
    let mut state = seed | 1;
    for i in (1..out.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.swap(i, (state % (i as u64 + 1)) as usize);
    }
    out
}

/// Every report, rendered as JSON, for comparing runs.
fn everything(touches: Vec<Touch>) -> String {
    everything_in_parts(touches, 1)
}

/// [`everything`], with the visitors cut into `parts` for the reports that fold them
/// on several threads.
fn everything_in_parts(touches: Vec<Touch>, parts: usize) -> String {
    let table = Table::of(touches);
    let journeys = prepare(&table, ALL, Rules::new(30 * MIN)).split_into(parts);
    let steps: Vec<String> = ["landing", "product", "purchase"]
        .map(String::from)
        .to_vec();
    serde_json::json!({
        "paths": paths(&journeys, Unit::Session, 5),
        "visitor_paths": paths(&journeys, Unit::Visitor, 5),
        "forward": explore(&journeys, "product", Direction::Forward, 4, 3),
        "backward": explore(&journeys, "cart", Direction::Backward, 4, 3),
        "transitions": transitions(&journeys, None, 4, 3),
        "funnel": funnel(&journeys, &steps, 120 * MIN),
        "stages": stages(&journeys),
        "touchpoints": touchpoints(&journeys),
        "channels": channels(&journeys, Model::Position),
        "referrals": referrals(&journeys),
    })
    .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn reports_ignore_arrival_order_and_duplicates(
        touches in touches(),
        seed in any::<u64>(),
        dupes in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let expected = everything(touches.clone());
        prop_assert_eq!(everything(redelivered(&touches, seed, &dupes)), expected);
    }

    #[test]
    fn reports_do_not_depend_on_how_the_visitors_are_cut(
        touches in touches(),
        parts in 2usize..6,
    ) {
        prop_assert_eq!(everything_in_parts(touches.clone(), parts), everything(touches));
    }

    #[test]
    fn one_visitor_is_found_as_in_the_pass_over_all(
        touches in touches(),
        later in 0usize..60,
        segment in prop::option::of(0usize..6),
    ) {
        // Two runs in the table (rows and recent), as after late inserts.
        let later = later.min(touches.len());
        let mut table = Table::of(touches[..later].to_vec());
        table.insert(touches[later..].to_vec());
        let mut rules = Rules::new(30 * MIN);
        rules.filters.segment = segment.map(|s| LABELS[s].to_owned());
        let journeys = prepare(&table, ALL, rules);
        let render = |v: &super::Visitor| -> Vec<Vec<String>> {
            v.sessions()
                .map(|s| s.touches.iter().map(|t| table.id(t).to_owned()).collect())
                .collect()
        };
        let mut all = BTreeMap::new();
        journeys.for_each_visitor(|v| {
            all.insert(v.id, render(v));
        });
        for visitor in 0..7u64 {
            let mut found = Vec::new();
            journeys.for_visitor(visitor, |v| found.push((v.id, render(v))));
            let expected: Vec<_> = all.get(&visitor).map(|s| (visitor, s.clone())).into_iter().collect();
            prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn totals_add_up(touches in touches(), limit in 1usize..6, top in 1usize..4) {
        let table = Table::of(touches);
        let journeys = prepare(&table, ALL, Rules::new(30 * MIN));
        let (mut sessions, mut visitors, mut conversions) = (0u64, 0u64, 0usize);
        journeys.for_each_visitor(|v| {
            visitors += 1;
            sessions += v.sessions_len() as u64;
            conversions += v.labels().iter().filter(|l| journeys.is_goal(**l)).count();
        });
        for unit in [Unit::Session, Unit::Visitor] {
            let p = paths(&journeys, unit, limit);
            prop_assert_eq!(p.paths.iter().map(|p| p.count).sum::<u64>() + p.other.count, p.total);
            prop_assert!(p.paths.iter().all(|p| p.steps.last().map(String::as_str) == Some(EXIT)));
            if unit == Unit::Session {
                prop_assert_eq!(p.total, sessions);
            }
        }
        for direction in [Direction::Forward, Direction::Backward] {
            let e = explore(&journeys, "cart", direction, 5, top);
            for step in &e.steps {
                let listed: u64 = step.top.iter().map(|c| c.count).sum();
                prop_assert_eq!(listed + step.other.count + step.end, e.sessions);
            }
            // Ended sessions stay ended.
            prop_assert!(e.steps.windows(2).all(|w| w[0].end <= w[1].end));
        }
        let t = transitions(&journeys, None, 4, top);
        for step in 0..3 {
            let alive: u64 = t.nodes.iter().filter(|n| n.step == step && n.label != EXIT).map(|n| n.value).sum();
            let out: u64 = t.links.iter().filter(|l| l.step == step).map(|l| l.value).sum();
            prop_assert_eq!(alive, out);
            let into: u64 = t.nodes.iter().filter(|n| n.step == step + 1).map(|n| n.value).sum();
            prop_assert_eq!(into, out);
        }
        let steps: Vec<String> = ["landing", "product", "cart"].map(String::from).to_vec();
        let f = funnel(&journeys, &steps, 60 * MIN);
        prop_assert!(f.steps.windows(2).all(|w| w[0].visitors >= w[1].visitors));
        for w in f.steps.windows(2) {
            prop_assert_eq!(w[0].dropped, w[0].visitors - w[1].visitors);
            let went: u64 = w[0].next_after_drop.top.iter().map(|c| c.count).sum::<u64>()
                + w[0].next_after_drop.other.count;
            prop_assert_eq!(went, w[0].dropped);
        }
        let s = stages(&journeys);
        prop_assert_eq!(s.stages.iter().map(|r| r.ended_here).sum::<u64>(), s.visitors);
        let c = channels(&journeys, Model::Linear);
        prop_assert_eq!(c.channels.iter().map(|r| r.sessions).sum::<u64>(), sessions);
        prop_assert_eq!(c.channels.iter().map(|r| r.visitors).sum::<u64>(), visitors);
        for model in [Model::First, Model::Last, Model::Linear, Model::Position] {
            let credited: f64 = channels(&journeys, model).attribution.channels.iter().map(|r| r.conversions).sum();
            prop_assert!((credited - conversions as f64).abs() < 1e-3, "{model:?}: {credited} vs {conversions}");
        }
    }

    #[test]
    fn exploration_agrees_with_the_paths_report(touches in touches(), start in 0usize..6) {
        let table = Table::of(touches);
        let journeys = prepare(&table, ALL, Rules::new(30 * MIN));
        let start = LABELS[start];
        // Every distinct path, with its count, from the paths report.
        let all = paths(&journeys, Unit::Session, 100);
        prop_assume!(all.other.count == 0);
        for direction in [Direction::Forward, Direction::Backward] {
            let e = explore(&journeys, start, direction, 5, 20);
            let mut expected: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); 5];
            let mut ends = [0u64; 5];
            let mut anchored = 0;
            for row in &all.paths {
                let steps = &row.steps[..row.steps.len() - 1];
                let anchor = match direction {
                    Direction::Forward => steps.iter().position(|s| s == start),
                    Direction::Backward => steps.iter().rposition(|s| s == start),
                };
                let Some(anchor) = anchor else { continue };
                anchored += row.count;
                for k in 1..=5 {
                    let at = match direction {
                        Direction::Forward => steps.get(anchor + k),
                        Direction::Backward => anchor.checked_sub(k).map(|i| &steps[i]),
                    };
                    match at {
                        Some(label) => *expected[k - 1].entry(label.clone()).or_default() += row.count,
                        None => ends[k - 1] += row.count,
                    }
                }
            }
            prop_assert_eq!(e.sessions, anchored);
            for (k, step) in e.steps.iter().enumerate() {
                let got: BTreeMap<String, u64> = step.top.iter().map(|c| (c.touchpoint.clone(), c.count)).collect();
                prop_assert_eq!(&got, &expected[k]);
                prop_assert_eq!(step.end, ends[k]);
                prop_assert_eq!(step.other.count, 0);
            }
        }
    }
}
