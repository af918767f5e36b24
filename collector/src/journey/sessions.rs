//! Sessions: a visitor's touches split at inactivity.

use std::ops::Range;

use super::Touch;

/// The default inactivity gap that ends a session.
pub const DEFAULT_SESSION_GAP_MS: i64 = 30 * 60 * 1000;

/// Touches grouped into sessions: `touches` sorted by (visitor, ts, id), and one
/// index range per session.
#[derive(Debug, Clone, PartialEq)]
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

    /// Session `i`.
    pub fn get(&self, i: usize) -> &[Touch] {
        &self.touches[self.bounds[i].clone()]
    }

    /// The touches of the consecutive sessions `range` (one visitor's sessions are
    /// consecutive, and so are their touches).
    pub fn span(&self, range: Range<usize>) -> &[Touch] {
        match (
            self.bounds.get(range.start),
            range.end.checked_sub(1).and_then(|l| self.bounds.get(l)),
        ) {
            (Some(first), Some(last)) if !range.is_empty() => &self.touches[first.start..last.end],
            _ => &[],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &[Touch]> {
        self.bounds.iter().map(|r| &self.touches[r.clone()])
    }

    /// Only the sessions whose flag in `keep` (one per session, in order) is set.
    pub fn retain_sessions(self, keep: &[bool]) -> Sessions {
        if keep.iter().all(|&k| k) {
            return self;
        }
        let mut touches = Vec::new();
        let mut bounds = Vec::new();
        for (range, &kept) in self.bounds.iter().zip(keep) {
            if kept {
                let start = touches.len();
                touches.extend_from_slice(&self.touches[range.clone()]);
                bounds.push(start..touches.len());
            }
        }
        Sessions { touches, bounds }
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
            ..Touch::default()
        }
    }

    /// Stitches `touches` with a 30-minute gap and renders each session as
    /// `visitor: a > b > c`, in session order.
    fn check(touches: Vec<Touch>, expected: &[&str]) {
        let sessions = stitch(touches, 30 * MIN);
        let rendered: Vec<String> = sessions
            .iter()
            .map(|s| {
                let path = super::super::collapse(s.iter().map(|t| t.touchpoint.as_str()));
                format!("{}: {}", s[0].visitor, path.join(" > "))
            })
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
    }
}
