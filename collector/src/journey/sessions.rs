//! Sessions: a visitor's touches split at inactivity.

/// The default inactivity gap that ends a session.
pub const DEFAULT_SESSION_GAP_MS: i64 = 30 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::super::{Row, Rules, Table, Touch, prepare};
    use crate::event::{Device, EventKind};
    use proptest::prelude::*;

    const MIN: i64 = 60 * 1000;

    fn touch(visitor: u64, minute: i64, touchpoint: &str) -> Touch {
        Touch {
            visitor,
            ts: minute * MIN,
            id: format!("{visitor}-{minute}-{touchpoint}"),
            touchpoint: touchpoint.into(),
            ..Touch::default()
        }
    }

    /// Stitches `touches` with a 30-minute gap and renders each session as
    /// `visitor: a > b > c`, in session order.
    fn check(touches: Vec<Touch>, expected: &[&str]) {
        let table = Table::of(touches);
        let journeys = prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN));
        let mut rendered: Vec<String> = Vec::new();
        journeys.for_each_visitor(|v| {
            for s in v.sessions() {
                let path: Vec<&str> = s.path.iter().map(|l| journeys.name(*l)).collect();
                rendered.push(format!("{}: {}", v.id, path.join(" > ")));
            }
        });
        assert_eq!(rendered, expected);
    }

    #[test]
    fn sessions_split_on_inactivity_and_visitor() {
        check(vec![], &[]);
        check(vec![touch(1, 0, "landing")], &["1: landing"]);
        check(
            vec![
                touch(1, 0, "landing"),
                touch(1, 29, "product"),
                touch(1, 59, "cart"),
                touch(2, 1, "faq"),
            ],
            // 29 → 59 is a 30-minute gap: a new session.
            &["1: landing > product", "1: cart", "2: faq"],
        );
    }

    #[test]
    fn order_of_arrival_does_not_matter() {
        check(
            vec![
                touch(1, 3, "checkout"),
                touch(1, 1, "product"),
                touch(1, 0, "landing"),
                touch(1, 2, "cart"),
            ],
            &["1: landing > product > cart > checkout"],
        );
    }

    #[test]
    fn repeats_collapse_and_duplicates_count_once() {
        let landing = touch(1, 0, "landing");
        check(
            vec![
                landing.clone(),
                landing,
                touch(1, 1, "product"),
                touch(1, 2, "product"),
                touch(1, 3, "landing"),
            ],
            &["1: landing > product > landing"],
        );
    }

    pub(in crate::journey) fn touches() -> impl Strategy<Value = Vec<Touch>> {
        prop::collection::vec((0u64..5, 0i64..600, 0u8..6), 0..80).prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (visitor, minute, tp))| Touch {
                    visitor,
                    ts: minute * MIN,
                    id: format!("id{i}"),
                    touchpoint: format!("tp{tp}"),
                    ..Touch::default()
                })
                .collect()
        })
    }

    /// Each visitor's touches (ids) and labels, as `fold` hands them over.
    fn touches_and_labels(
        journeys: &super::super::Journeys,
        touches_only: bool,
    ) -> Vec<(u64, Vec<String>, Vec<super::super::Label>)> {
        let init = Vec::new;
        let fold = |seen: &mut Vec<_>, v: &super::super::Visitor| {
            let ids = v
                .touches()
                .iter()
                .map(|t| journeys.table().id(t).to_owned());
            seen.push((v.id, ids.collect(), v.labels().to_vec()));
        };
        let merge = |a: &mut Vec<_>, b: Vec<_>| a.extend(b);
        if touches_only {
            journeys.fold_visitor_touches(init, fold, merge)
        } else {
            journeys.fold_visitors(init, fold, merge)
        }
    }

    /// Page views and ratings of a few visitors (with [`touches`]'s times), split into
    /// what a table is made of and a tenth that arrives later (its second run).
    fn touches_and_ratings() -> impl Strategy<Value = (Vec<Touch>, Vec<Touch>)> {
        let raw = (
            0u64..12,
            0i64..600,
            0u8..6,
            prop::bool::weighted(0.15),
            any::<bool>(),
        );
        prop::collection::vec(raw, 0..120).prop_map(|raw| {
            let mut touches: Vec<Touch> = raw
                .into_iter()
                .enumerate()
                .map(|(i, (visitor, minute, tp, rating, mobile))| Touch {
                    visitor,
                    ts: minute * MIN,
                    id: format!("id{i}"),
                    touchpoint: format!("tp{tp}"),
                    kind: if rating {
                        EventKind::Feedback
                    } else {
                        EventKind::Pageview
                    },
                    props: rating
                        .then(|| r#"{"widget":"csat","outcome":"answered","score":4}"#.into()),
                    device: if mobile {
                        Device::Mobile
                    } else {
                        Device::Desktop
                    },
                    ..Touch::default()
                })
                .collect();
            let late = touches.split_off(touches.len() - touches.len() / 10);
            (touches, late)
        })
    }

    /// A visitor and their sessions' touch ids, paths and rating ids.
    type RatedVisitor = (
        u64,
        Vec<(Vec<String>, Vec<super::super::Label>, Vec<String>)>,
    );

    /// Each visitor's sessions as (touch ids, path, rating ids), for the visitors with
    /// a rating in one of their sessions, as `fold` hands them over.
    fn rated_sessions(journeys: &super::super::Journeys, rated_only: bool) -> Vec<RatedVisitor> {
        let table = journeys.table();
        let init = Vec::new;
        let fold = |seen: &mut Vec<_>, v: &super::super::Visitor| {
            let sessions: Vec<_> = v
                .sessions()
                .map(|s| {
                    let ids = s.touches.iter().map(|t| table.id(t).to_owned());
                    let ratings = s.ratings.iter().map(|r| table.rating_id(r).to_owned());
                    (ids.collect(), s.path.to_vec(), ratings.collect::<Vec<_>>())
                })
                .collect();
            if sessions.iter().any(|s| !s.2.is_empty()) {
                seen.push((v.id, sessions));
            }
        };
        let merge = |a: &mut Vec<_>, b: Vec<_>| a.extend(b);
        if rated_only {
            journeys.fold_rated_visitors(init, fold, merge)
        } else {
            journeys.fold_visitors(init, fold, merge)
        }
    }

    proptest! {
        /// The pass over rated visitors only, which skips the others' rows, misses no
        /// visitor with a rating in a session and hands each over as the full pass does,
        /// the table in one run or two, whatever the filters.
        #[test]
        fn the_rated_pass_gives_every_rated_visitor_as_the_full_pass_does(
            (touches, late) in touches_and_ratings(),
            gap in 1i64..120,
            segment in prop::option::of(0u8..7),
            touchpoint in prop::option::of(0u8..7),
            mobile in prop::option::of(any::<bool>()),
            parts in 1usize..4,
        ) {
            let mut table = Table::of(touches);
            table.insert(late);
            let mut rules = Rules::new(gap * MIN);
            rules.filters.segment = segment.map(|t| format!("tp{t}"));
            rules.filters.touchpoint = touchpoint.map(|t| format!("tp{t}"));
            rules.filters.device = mobile.map(|m| if m { Device::Mobile } else { Device::Desktop });
            let journeys = prepare(&table, 60 * MIN..500 * MIN, rules).split_into(parts);
            prop_assert_eq!(rated_sessions(&journeys, true), rated_sessions(&journeys, false));
        }

        /// Reports that read only touches and labels get the same ones without the
        /// cut into sessions, whatever the filters (a session filter makes it cut).
        #[test]
        fn touches_without_sessions_are_the_touches_of_the_kept_sessions(
            touches in touches(),
            gap in 1i64..120,
            segment in prop::option::of(0u8..7),
            touchpoint in prop::option::of(0u8..7),
            parts in 1usize..4,
        ) {
            let table = Table::of(touches);
            let mut rules = Rules::new(gap * MIN);
            rules.filters.segment = segment.map(|t| format!("tp{t}"));
            rules.filters.touchpoint = touchpoint.map(|t| format!("tp{t}"));
            let journeys = prepare(&table, 60 * MIN..500 * MIN, rules).split_into(parts);
            let all = touches_and_labels(&journeys, false);
            prop_assert_eq!(touches_and_labels(&journeys, true), all);
        }

        #[test]
        fn every_event_in_exactly_one_session(touches in touches(), gap in 1i64..120) {
            let gap = gap * MIN;
            let table = Table::of(touches.clone());
            let journeys = prepare(&table, i64::MIN..i64::MAX, Rules::new(gap));
            let mut all: Vec<Vec<&Row>> = Vec::new();
            journeys.for_each_visitor(|v| all.extend(v.sessions().map(|s| s.touches.to_vec())));
            let mut seen: Vec<&str> = all.iter().flatten().map(|t| table.id(t)).collect();
            seen.sort_unstable();
            let mut ids: Vec<&str> = touches.iter().map(|t| t.id.as_str()).collect();
            ids.sort_unstable();
            prop_assert_eq!(seen, ids);
            for session in &all {
                prop_assert!(!session.is_empty());
                for pair in session.windows(2) {
                    prop_assert_eq!(pair[0].visitor, pair[1].visitor);
                    prop_assert!(pair[1].ts >= pair[0].ts && pair[1].ts - pair[0].ts < gap);
                }
            }
            for pair in all.windows(2) {
                let (a, b) = (pair[0].last().unwrap(), &pair[1][0]);
                prop_assert!(a.visitor != b.visitor || b.ts - a.ts >= gap);
            }
        }
    }
}
