//! The journey engine: stitches a site's touches into sessions and paths.
//!
//! Pure and deterministic: no clock, no I/O, no `HashMap` order reaching a result. Every
//! backend's reports are defined by what this module computes from the same events.
//!
//! Invariants (property-tested below):
//! - every distinct event id lands in exactly one session;
//! - a session is one visitor's touches, ordered by time, with every gap `< gap`;
//!   two sessions of one visitor are separated by at least `gap`;
//! - path counts plus the "other" bucket add up to the number of sessions;
//! - results do not depend on the order touches arrive in, nor on duplicates.

use std::collections::BTreeMap;
use std::ops::Range;

/// What the engine needs of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub visitor: u64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    pub id: String,
    pub touchpoint: String,
}

/// The default inactivity gap that ends a session.
pub const DEFAULT_SESSION_GAP_MS: i64 = 30 * 60 * 1000;

/// Touches grouped into sessions: `touches` sorted by (visitor, ts, id), and one
/// index range per session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sessions {
    touches: Vec<Touch>,
    bounds: Vec<Range<usize>>,
}

impl Sessions {
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[Touch]> {
        self.bounds.iter().map(|r| &self.touches[r.clone()])
    }
}

/// Splits touches into sessions: a visitor's session ends when the next touch comes
/// `gap_ms` or more after the previous one. Duplicate ids are counted once.
pub fn stitch(mut touches: Vec<Touch>, gap_ms: i64) -> Sessions {
    // Duplicates (the same id delivered twice) keep the earliest copy.
    touches.sort_unstable_by(|a, b| (&a.id, a.ts, a.visitor).cmp(&(&b.id, b.ts, b.visitor)));
    touches.dedup_by(|later, earlier| later.id == earlier.id);
    touches.sort_unstable_by(|a, b| (a.visitor, a.ts, &a.id).cmp(&(b.visitor, b.ts, &b.id)));

    let mut bounds = Vec::new();
    let mut start = 0;
    for i in 1..=touches.len() {
        let ends = match (touches.get(i - 1), touches.get(i)) {
            (Some(prev), Some(next)) => next.visitor != prev.visitor || next.ts - prev.ts >= gap_ms,
            _ => true,
        };
        if ends {
            bounds.push(start..i);
            start = i;
        }
    }
    Sessions { touches, bounds }
}

/// A session's path: its touchpoints in order, with immediate repeats collapsed (a click
/// on a link named `product` followed by the `product` page is one step).
pub fn path(session: &[Touch]) -> Vec<&str> {
    let mut steps: Vec<&str> = Vec::with_capacity(session.len());
    for touch in session {
        if steps.last() != Some(&touch.touchpoint.as_str()) {
            steps.push(&touch.touchpoint);
        }
    }
    steps
}

/// The most frequent session paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopPaths {
    pub sessions: u64,
    /// Most frequent first; ties broken by the path itself, so the order is total.
    pub paths: Vec<(Vec<String>, u64)>,
    /// Paths beyond the top `limit`: how many distinct ones, and their sessions.
    pub other_paths: u64,
    pub other_sessions: u64,
}

pub fn top_paths(sessions: &Sessions, limit: usize) -> TopPaths {
    let mut counts: BTreeMap<Vec<&str>, u64> = BTreeMap::new();
    for session in sessions.iter() {
        *counts.entry(path(session)).or_default() += 1;
    }
    let mut ranked: Vec<(Vec<&str>, u64)> = counts.into_iter().collect();
    // Stable sort on a BTreeMap's key order: ties stay in path order.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    let rest = ranked.split_off(limit.min(ranked.len()));
    TopPaths {
        sessions: sessions.len() as u64,
        paths: ranked
            .into_iter()
            .map(|(steps, n)| (steps.into_iter().map(str::to_owned).collect(), n))
            .collect(),
        other_paths: rest.len() as u64,
        other_sessions: rest.iter().map(|(_, n)| n).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: i64 = 60 * 1000;

    fn touch(visitor: u64, minute: i64, touchpoint: &str) -> Touch {
        Touch {
            visitor,
            ts: minute * MIN,
            id: format!("{visitor}-{minute}-{touchpoint}"),
            touchpoint: touchpoint.into(),
        }
    }

    /// Stitches `touches` with a 30-minute gap and renders each session as
    /// `visitor: a > b > c`, in session order.
    fn check(touches: Vec<Touch>, expected: &[&str]) {
        let sessions = stitch(touches, 30 * MIN);
        let rendered: Vec<String> = sessions
            .iter()
            .map(|s| format!("{}: {}", s[0].visitor, path(s).join(" > ")))
            .collect();
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

    #[test]
    fn top_paths_rank_ties_by_path_and_bucket_the_rest() {
        let touches = vec![
            touch(1, 0, "a"),
            touch(2, 0, "b"),
            touch(3, 0, "a"),
            touch(4, 0, "c"),
            touch(5, 0, "b"),
            touch(6, 0, "d"),
        ];
        let top = top_paths(&stitch(touches, 30 * MIN), 2);
        assert_eq!(top.sessions, 6);
        assert_eq!(
            top.paths,
            vec![(vec!["a".to_string()], 2), (vec!["b".to_string()], 2)]
        );
        assert_eq!((top.other_paths, top.other_sessions), (2, 2));
    }

    fn touches() -> impl Strategy<Value = Vec<Touch>> {
        prop::collection::vec((0u64..5, 0i64..600, 0u8..6), 0..80).prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (visitor, minute, tp))| Touch {
                    visitor,
                    ts: minute * MIN,
                    id: format!("id{i}"),
                    touchpoint: format!("tp{tp}"),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn every_event_in_exactly_one_session(touches in touches(), gap in 1i64..120) {
            let gap = gap * MIN;
            let sessions = stitch(touches.clone(), gap);
            let mut seen: Vec<&str> = sessions.iter().flatten().map(|t| t.id.as_str()).collect();
            seen.sort_unstable();
            let mut ids: Vec<&str> = touches.iter().map(|t| t.id.as_str()).collect();
            ids.sort_unstable();
            prop_assert_eq!(seen, ids);
            let all: Vec<&[Touch]> = sessions.iter().collect();
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

        #[test]
        fn path_counts_add_up(touches in touches(), limit in 0usize..10) {
            let sessions = stitch(touches, 30 * MIN);
            let top = top_paths(&sessions, limit);
            let listed: u64 = top.paths.iter().map(|(_, n)| n).sum();
            prop_assert_eq!(listed + top.other_sessions, sessions.len() as u64);
            prop_assert!(top.paths.len() <= limit);
            prop_assert!(top.paths.windows(2).all(|w| w[0].1 >= w[1].1));
        }

        #[test]
        fn independent_of_arrival_order_and_duplicates(
            touches in touches(),
            seed in any::<u64>(),
            dupes in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let expected = top_paths(&stitch(touches.clone(), 30 * MIN), 5);
            let mut shuffled = touches.clone();
            for index in &dupes {
                if !touches.is_empty() {
                    shuffled.push(index.get(&touches).clone());
                }
            }
            // A deterministic shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(top_paths(&stitch(shuffled, 30 * MIN), 5), expected);
        }
    }
}
