//! Paths, exploration from a touchpoint, and step transitions (Sankey).

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use super::{Count, EXIT, Journeys, Label, OTHER, Other, ratio, top_k};

/// What a path is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// One path per session.
    Session,
    /// One path per visitor: their sessions' paths joined, repeats collapsed again.
    Visitor,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathsResult {
    /// Sessions (or visitors); equals the listed counts plus `other.count`.
    pub total: u64,
    pub paths: Vec<PathCount>,
    pub other: OtherPaths,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathCount {
    /// Touchpoints in order, ending with `(exit)`.
    pub steps: Vec<String>,
    pub count: u64,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OtherPaths {
    pub paths: u64,
    pub count: u64,
}

/// The most frequent paths, most frequent first (ties: by path).
pub fn paths(journeys: &Journeys, unit: Unit, limit: usize) -> PathsResult {
    let (counts, _) = journeys.fold_visitors(
        || (PathCounts::default(), Vec::new()),
        |(counts, joined), visitor| match unit {
            Unit::Session => visitor.sessions().for_each(|s| counts.add(s.path, 1)),
            Unit::Visitor => {
                joined.clear();
                for label in visitor.sessions().flat_map(|s| s.path) {
                    if joined.last() != Some(label) {
                        joined.push(*label);
                    }
                }
                counts.add(joined, 1);
            }
        },
        |(counts, _), (next, _)| counts.merge(next),
    );
    let (top, other) = counts.top(limit, |a, b| {
        let names = |p: &[Label]| -> Vec<&str> {
            p.iter().map(|l| journeys.name(*l)).chain([EXIT]).collect()
        };
        names(a).cmp(&names(b))
    });
    let named = top
        .into_iter()
        .map(|(path, n)| {
            (
                path.iter().map(|l| journeys.name(*l).to_owned()).collect(),
                n,
            )
        })
        .collect();
    top_paths(named, other)
}

/// The paths report from its top paths (by name, without `(exit)`), ranked as [`paths`]
/// ranks them (highest count first, ties by the names with `(exit)` appended), and what
/// is left: for a store that counted and ranked them itself.
pub fn top_paths(candidates: Vec<(Vec<String>, u64)>, other: OtherPaths) -> PathsResult {
    let total = candidates.iter().map(|(_, n)| n).sum::<u64>() + other.count;
    PathsResult {
        total,
        paths: candidates
            .into_iter()
            .map(|(steps, count)| PathCount {
                steps: steps.into_iter().chain([EXIT.to_owned()]).collect(),
                count,
                share: ratio(count as f64, total as f64),
            })
            .collect(),
        other,
    }
}

/// Adds `from` into `into`, count by count (of equal lengths).
pub(crate) fn add(into: &mut [u64], from: &[u64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

/// [`add`], row by row.
pub(crate) fn add_rows(into: &mut [Vec<u64>], from: &[Vec<u64>]) {
    for (into, from) in into.iter_mut().zip(from) {
        add(into, from);
    }
}

/// Counts of distinct label sequences, kept in one arena: no allocation per path.
#[derive(Default)]
struct PathCounts {
    labels: Vec<Label>,
    /// (start in `labels`, length, count).
    table: hashbrown::HashTable<(usize, usize, u64)>,
    hasher: rustc_hash::FxBuildHasher,
}

impl PathCounts {
    fn add(&mut self, path: &[Label], n: u64) {
        let hash = self.hasher.hash_one(path);
        let labels = &mut self.labels;
        if let Some(entry) = self
            .table
            .find_mut(hash, |&(at, len, _)| &labels[at..at + len] == path)
        {
            entry.2 += n;
            return;
        }
        let at = labels.len();
        labels.extend_from_slice(path);
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, (at, path.len(), n), |&(at, len, _)| {
                hasher.hash_one(&labels[at..at + len])
            });
    }

    /// Adds the counts of `other` (the larger of the two absorbs the smaller).
    fn merge(&mut self, mut other: PathCounts) {
        if other.table.len() > self.table.len() {
            std::mem::swap(self, &mut other);
        }
        for &(at, len, n) in &other.table {
            self.add(&other.labels[at..at + len], n);
        }
    }

    /// The `k` paths with the highest counts, highest first, ties in `order`, and what
    /// is left. Only the paths that can make the top `k` are compared by `order`.
    fn top(
        self,
        k: usize,
        order: impl Fn(&[Label], &[Label]) -> std::cmp::Ordering,
    ) -> (Vec<(Vec<Label>, u64)>, OtherPaths) {
        let mut ranked: Vec<(usize, usize, u64)> = self.table.into_iter().collect();
        let k = k.min(ranked.len());
        // Everything tied with the k-th count may be in or out: rank all of those.
        let kth = match k.checked_sub(1) {
            Some(i) => ranked.select_nth_unstable_by(i, |a, b| b.2.cmp(&a.2)).1.2,
            None => u64::MAX,
        };
        let (mut candidates, rest): (Vec<_>, Vec<_>) = ranked.drain(..).partition(|e| e.2 >= kth);
        let labels = &self.labels;
        candidates.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| order(&labels[a.0..a.0 + a.1], &labels[b.0..b.0 + b.1]))
        });
        let beyond = candidates.split_off(k);
        let other = OtherPaths {
            paths: (beyond.len() + rest.len()) as u64,
            count: beyond.iter().chain(&rest).map(|e| e.2).sum(),
        };
        let top = candidates
            .into_iter()
            .map(|(at, len, n)| (labels[at..at + len].to_vec(), n))
            .collect();
        (top, other)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExploreResult {
    /// Sessions that pass through the start touchpoint.
    pub sessions: u64,
    pub steps: Vec<ExploreStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExploreStep {
    pub step: usize,
    pub top: Vec<Count>,
    pub other: Other,
    /// Sessions that had ended (forward: `(exit)`) or not yet begun (backward: `(entry)`).
    pub end: u64,
}

/// Where sessions go after `start` (its first occurrence), or came from before it (its
/// last occurrence), step by step. At every step the top counts, `other` and `end` add
/// up to `sessions`.
pub fn explore(
    journeys: &Journeys,
    start: &str,
    direction: Direction,
    steps: usize,
    top: usize,
) -> ExploreResult {
    let init = || {
        (
            vec![vec![0u64; journeys.labels_len()]; steps],
            vec![0u64; steps],
            0u64,
        )
    };
    let mut counts = init();
    if let Some(start) = journeys.label_named(start) {
        counts = journeys.fold_visitors(
            init,
            |(per_step, ends, sessions), visitor| {
                for session in visitor.sessions() {
                    let path = session.path;
                    let anchor = match direction {
                        Direction::Forward => path.iter().position(|l| *l == start),
                        Direction::Backward => path.iter().rposition(|l| *l == start),
                    };
                    let Some(anchor) = anchor else { continue };
                    *sessions += 1;
                    for k in 1..=steps {
                        let at = match direction {
                            Direction::Forward => path.get(anchor + k),
                            Direction::Backward => anchor.checked_sub(k).and_then(|i| path.get(i)),
                        };
                        match at {
                            Some(label) => per_step[k - 1][label.index()] += 1,
                            None => ends[k - 1] += 1,
                        }
                    }
                }
            },
            |(per_step, ends, sessions), (more_steps, more_ends, more_sessions)| {
                add_rows(per_step, &more_steps);
                add(ends, &more_ends);
                *sessions += more_sessions;
            },
        );
    }
    let (per_step, ends, sessions) = counts;
    ExploreResult {
        sessions,
        steps: per_step
            .into_iter()
            .zip(ends)
            .enumerate()
            .map(|(i, (counts, end))| {
                let (top, other) = top_k(named_counts(journeys, &counts), top);
                ExploreStep {
                    step: i + 1,
                    top,
                    other,
                    end,
                }
            })
            .collect(),
    }
}

/// Counts by label index as counts by name, leaving out zeros.
pub(super) fn named_counts(journeys: &Journeys, counts: &[u64]) -> BTreeMap<String, u64> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (journeys.name(Label::from_index(i)).to_owned(), *n))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TransitionsResult {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Node {
    pub step: usize,
    pub label: String,
    pub value: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub step: usize,
    pub source: String,
    pub target: String,
    pub value: u64,
}

/// Nodes and weighted links per step, for a Sankey diagram: sessions aligned at their
/// first step (or at the first occurrence of `start`), which is step 0; the top `top`
/// labels per step, the rest as `(other)`, and `(exit)` where a session ends. A link of
/// step `i` goes from a node of step `i` to one of step `i + 1`.
pub fn transitions(
    journeys: &Journeys,
    start: Option<&str>,
    steps: usize,
    top: usize,
) -> TransitionsResult {
    // First, over the labels themselves (`None`: the exit): nodes per step (by label
    // index, the exit last), and links.
    let exit = journeys.labels_len();
    type Links = HashMap<(usize, Label, Option<Label>), u64>;
    let init = || (vec![vec![0u64; exit + 1]; steps], Links::default());
    let mut counts = init();
    let start = start.map(|s| journeys.label_named(s));
    if start != Some(None) {
        counts = journeys.fold_visitors(
            init,
            |(raw_nodes, raw_links), visitor| {
                for session in visitor.sessions() {
                    // The session's path from its alignment point.
                    let path = match start {
                        Some(Some(start)) => match session.path.iter().position(|l| *l == start) {
                            Some(at) => &session.path[at..],
                            None => continue,
                        },
                        _ => session.path,
                    };
                    for (i, nodes) in raw_nodes.iter_mut().enumerate().take(path.len() + 1) {
                        let here = path.get(i).copied();
                        nodes[here.map_or(exit, Label::index)] += 1;
                        if let Some(here) = here
                            && i + 1 < steps
                        {
                            *raw_links
                                .entry((i, here, path.get(i + 1).copied()))
                                .or_default() += 1;
                        }
                    }
                }
            },
            |(raw_nodes, raw_links), (nodes, links)| {
                add_rows(raw_nodes, &nodes);
                for (link, n) in links {
                    *raw_links.entry(link).or_default() += n;
                }
            },
        );
    }
    let (raw_nodes, raw_links) = counts;
    // The top labels of each step; the rest become `(other)`.
    let kept: Vec<Vec<bool>> = raw_nodes
        .iter()
        .map(|counts| {
            let mut kept = vec![false; exit];
            for c in top_k(named_counts(journeys, &counts[..exit]), top).0 {
                if let Some(label) = journeys.label_named(&c.touchpoint) {
                    kept[label.index()] = true;
                }
            }
            kept
        })
        .collect();
    let name = |i: usize, label: Option<Label>| match label {
        None => EXIT.to_owned(),
        Some(label) if kept[i][label.index()] => journeys.name(label).to_owned(),
        Some(_) => OTHER.to_owned(),
    };
    let mut nodes: BTreeMap<(usize, String), u64> = BTreeMap::new();
    for (step, counts) in raw_nodes.iter().enumerate() {
        for (i, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let label = (i < exit).then(|| Label::from_index(i));
            *nodes.entry((step, name(step, label))).or_default() += n;
        }
    }
    let mut links: BTreeMap<(usize, String, String), u64> = BTreeMap::new();
    for ((step, source, target), n) in raw_links {
        let key = (step, name(step, Some(source)), name(step + 1, target));
        *links.entry(key).or_default() += n;
    }
    let mut nodes: Vec<Node> = nodes
        .into_iter()
        .map(|((step, label), value)| Node { step, label, value })
        .collect();
    nodes.sort_by(|a, b| {
        (a.step, std::cmp::Reverse(a.value), &a.label).cmp(&(
            b.step,
            std::cmp::Reverse(b.value),
            &b.label,
        ))
    });
    TransitionsResult {
        nodes,
        links: links
            .into_iter()
            .map(|((step, source, target), value)| Link {
                step,
                source,
                target,
                value,
            })
            .collect(),
    }
}
