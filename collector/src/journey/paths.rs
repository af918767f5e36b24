//! Paths, exploration from a touchpoint, and step transitions (Sankey).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

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
    let count = |tally: fn() -> PathTally| {
        let (tallies, _) = journeys.fold_visitors(
            || (vec![tally()], Vec::new()),
            |(tallies, joined), visitor| {
                let tally = &mut tallies[0];
                match unit {
                    Unit::Session => visitor.sessions().for_each(|s| tally.add(s.path)),
                    Unit::Visitor => {
                        joined.clear();
                        for label in visitor.sessions().flat_map(|s| s.path) {
                            if joined.last() != Some(label) {
                                joined.push(*label);
                            }
                        }
                        tally.add(joined);
                    }
                }
            },
            |(tallies, _), (next, _)| tallies.extend(next),
        );
        tallies
    };
    let order = |a: &[Label], b: &[Label]| {
        let names = |p: &[Label]| -> Vec<&str> {
            p.iter().map(|l| journeys.name(*l)).chain([EXIT]).collect()
        };
        names(a).cmp(&names(b))
    };
    // A path that can make the top was never seen twice in a row in its slot (a small
    // site, or a flat one): counted again, keeping every path's labels.
    let (top, other) = top_counted(count(PathTally::default), limit, order)
        .or_else(|| top_counted(count(PathTally::keeping_all), limit, order))
        .expect("tallies that keep every path's labels always answer");
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

/// The buckets a [`PathTally`] sorts paths into (by their hash): at 10 M events a
/// million distinct paths are split into tables of a few thousand, which stay in the
/// caches while they are counted.
const BUCKETS: usize = 256;

/// Slots of a [`PathTally`]'s counts of recent paths (a power of two).
const RECENT: usize = 4096;

/// [`PathTally::pairs`] counts the paths of two labels below this (a table of 512 KiB).
const PAIR_LABELS: usize = 256;

/// Below this many paths, [`top_counted`] counts on one thread.
const PARALLEL_FROM_PATHS: usize = 100_000;

/// One part's paths, counted in two steps so that no table of every distinct path is
/// needed: that table outgrew the caches at 10 M events (one or two cache misses per
/// session, most of the paths report's time), and merging the parts' tables was a
/// second pass over it on one thread.
///
/// 1. While the visitors are read, a path is counted in a small direct-mapped table of
///    recent paths (in the cache), one slot per hash; a path that takes an occupied
///    slot pushes the one there, with its count so far, into one of [`BUCKETS`]
///    buckets picked by that path's hash. Frequent paths are thus mostly counted in
///    place. A path's labels are kept (in an arena) when it is seen a second time in
///    its slot: most distinct paths are seen once, and writing their labels was a
///    fifth of the report's memory. (With `keep_all`, when a path takes a slot.)
///    Paths of one touchpoint, and of two with small labels (over half of all
///    sessions), skip the hash and the slot: they are counted by label in arrays, which
///    join the buckets at the end.
/// 2. Then [`top_counted`] adds up each bucket on its own, over all parts (the buckets
///    spread over the cores).
///
/// Two paths are the same path when their 128-bit hashes (XXH3) are equal: for two
/// different paths to be counted as one, their hashes would have to collide (about
/// 10^-27 for a million distinct paths).
#[derive(Default, Clone)]
pub(super) struct PathTally {
    /// The kept paths' labels, each path after its length (as a `Label`).
    labels: Vec<Label>,
    buckets: Vec<Vec<Seen>>,
    recent: Vec<Option<Seen>>,
    /// The paths of one touchpoint, counted by label: a third of all sessions at 10 M
    /// events (a visit of one page), counted without a hash or a table's slot. They
    /// join the buckets in [`PathTally::flush`], with their labels.
    singles: Vec<u64>,
    /// The paths of two touchpoints whose labels are both below [`PAIR_LABELS`], by
    /// `first * PAIR_LABELS + second`, counted the same way (a fifth of the sessions).
    pairs: Vec<u64>,
    /// The labels as bytes, for the hash.
    scratch: Vec<u8>,
    /// Keep every path's labels, also of the paths seen once.
    keep_all: bool,
}

/// [`Seen::at`] of a path whose labels were not kept.
const UNKEPT: u32 = u32::MAX;

/// A path seen `n` times: its hash and where its labels are (`at` is [`UNKEPT`] when
/// they were not kept). 24 bytes: at 10 M events a report moves about 1.5 million.
#[derive(Clone, Copy)]
struct Seen {
    hash: [u64; 2],
    at: u32,
    n: u32,
}

impl PathTally {
    /// A tally that keeps every path's labels: [`top_counted`] then always answers.
    pub(super) fn keeping_all() -> PathTally {
        PathTally {
            keep_all: true,
            ..PathTally::default()
        }
    }

    pub(super) fn add(&mut self, path: &[Label]) {
        if let [label] = path {
            let i = label.index();
            if i >= self.singles.len() {
                self.singles.resize(i + 1, 0);
            }
            self.singles[i] += 1;
            return;
        }
        if let [a, b] = path
            && a.index() < PAIR_LABELS
            && b.index() < PAIR_LABELS
        {
            if self.pairs.is_empty() {
                self.pairs = vec![0; PAIR_LABELS * PAIR_LABELS];
            }
            self.pairs[a.index() * PAIR_LABELS + b.index()] += 1;
            return;
        }
        if self.recent.is_empty() {
            self.recent = vec![None; RECENT];
        }
        let hash = self.hash(path);
        // The low bits pick the slot, the top bits the bucket.
        let slot = &mut self.recent[hash[0] as usize & (RECENT - 1)];
        if let Some(seen) = slot.as_mut().filter(|s| s.hash == hash) {
            if seen.n == u32::MAX {
                // Its count so far goes to its bucket (where counts are added up).
                bucket_of(&mut self.buckets, hash).push(*seen);
                seen.n = 0;
            }
            seen.n += 1;
            if seen.at == UNKEPT {
                seen.at = keep(&mut self.labels, path);
            }
            return;
        }
        let seen = Seen {
            hash,
            at: if self.keep_all {
                keep(&mut self.labels, path)
            } else {
                UNKEPT
            },
            n: 1,
        };
        if let Some(old) = slot.replace(seen) {
            bucket_of(&mut self.buckets, old.hash).push(old);
        }
    }

    /// A path's 128-bit hash (XXH3 of its labels' bytes).
    fn hash(&mut self, path: &[Label]) -> [u64; 2] {
        self.scratch.clear();
        for label in path {
            self.scratch.extend_from_slice(&label.0.to_le_bytes());
        }
        let hash = xxhash_rust::xxh3::xxh3_128(&self.scratch);
        [hash as u64, (hash >> 64) as u64]
    }

    /// Moves the counts of the recent paths and of the paths of one and two touchpoints
    /// into their buckets.
    fn flush(&mut self) {
        for seen in self.recent.drain(..).flatten() {
            bucket_of(&mut self.buckets, seen.hash).push(seen);
        }
        for (i, n) in std::mem::take(&mut self.singles).into_iter().enumerate() {
            self.push_counted(&[Label::from_index(i)], n);
        }
        for (i, n) in std::mem::take(&mut self.pairs).into_iter().enumerate() {
            let (a, b) = (i / PAIR_LABELS, i % PAIR_LABELS);
            self.push_counted(&[Label::from_index(a), Label::from_index(b)], n);
        }
    }

    /// Puts `n` counts of `path` (if any) into its bucket, with its labels.
    fn push_counted(&mut self, path: &[Label], mut n: u64) {
        if n == 0 {
            return;
        }
        let (hash, at) = (self.hash(path), keep(&mut self.labels, path));
        // An entry counts to u32::MAX; the bucket adds its entries up.
        while n > 0 {
            let part = n.min(u64::from(u32::MAX));
            n -= part;
            bucket_of(&mut self.buckets, hash).push(Seen {
                hash,
                at,
                n: part as u32,
            });
        }
    }

    /// The labels kept at `at`.
    fn path(&self, at: u32) -> &[Label] {
        let at = at as usize;
        &self.labels[at + 1..at + 1 + self.labels[at].index()]
    }
}

/// Appends `path` to `labels`, after its length; returns where that is.
fn keep(labels: &mut Vec<Label>, path: &[Label]) -> u32 {
    let at = u32::try_from(labels.len()).expect("fewer than 4 billion labels");
    assert!(at != UNKEPT, "fewer than 4 billion labels");
    labels.push(Label::from_index(path.len()));
    labels.extend_from_slice(path);
    at
}

/// The bucket of a path's hash: its top bits (BUCKETS is 256).
fn bucket(hash: [u64; 2]) -> usize {
    (hash[1] >> 56) as usize
}

/// The bucket of `hash` among `buckets`, which are made on first use.
fn bucket_of(buckets: &mut Vec<Vec<Seen>>, hash: [u64; 2]) -> &mut Vec<Seen> {
    if buckets.is_empty() {
        *buckets = (0..BUCKETS).map(|_| Vec::new()).collect();
    }
    &mut buckets[bucket(hash)]
}

/// The top paths with their counts, highest first, and what is left.
pub(super) type Top = (Vec<(Vec<Label>, u64)>, OtherPaths);

/// A distinct path: how often it was seen, and where one copy of its labels is
/// (which tally, where in its arena).
#[derive(Clone, Copy)]
struct Counted {
    n: u64,
    tally: u32,
    at: u32,
}

/// Counts the paths of all `tallies` (bucket by bucket, the buckets spread over the
/// cores when there are many paths), then returns the `k` paths with the highest
/// counts, highest first, ties in `order`, and what is left. Only the paths that can
/// make the top `k` are compared by `order`.
///
/// `None` when the labels of one of the paths that can make the top were not kept (it
/// was never seen twice in a row in its slot): count again with tallies that keep all.
pub(super) fn top_counted(
    tallies: Vec<PathTally>,
    k: usize,
    order: impl Fn(&[Label], &[Label]) -> std::cmp::Ordering,
) -> Option<Top> {
    top_counted_from(tallies, k, order, PARALLEL_FROM_PATHS)
}

/// [`top_counted`], on several threads from `parallel_from` paths on.
fn top_counted_from(
    mut tallies: Vec<PathTally>,
    k: usize,
    order: impl Fn(&[Label], &[Label]) -> std::cmp::Ordering,
    parallel_from: usize,
) -> Option<Top> {
    tallies.iter_mut().for_each(PathTally::flush);
    let tallies = &tallies;
    // Counts some buckets; keeps the paths that can make the top k of these buckets
    // (all the paths tied with the k-th count): the top k of all buckets are among them.
    let count_buckets = |buckets: &mut dyn Iterator<Item = usize>| {
        let mut table: FxHashMap<PathHash, Counted> = FxHashMap::default();
        let mut counted = Vec::new();
        let (mut distinct, mut total) = (0, 0);
        // Cut back to the top (with ties) whenever the candidates have doubled since
        // the last cut: linear in the paths, and at 10 M events the candidates of one
        // thread stay a few thousand instead of half a million distinct paths.
        let mut cut_at = k.max(1024).saturating_mul(2);
        for bucket in buckets {
            table.clear();
            for (i, tally) in tallies.iter().enumerate() {
                for seen in tally.buckets.get(bucket).into_iter().flatten() {
                    table
                        .entry(PathHash(seen.hash))
                        .and_modify(|c| {
                            c.n += u64::from(seen.n);
                            if c.at == UNKEPT {
                                (c.tally, c.at) = (i as u32, seen.at);
                            }
                        })
                        .or_insert(Counted {
                            n: u64::from(seen.n),
                            tally: i as u32,
                            at: seen.at,
                        });
                }
            }
            distinct += table.len();
            for c in table.values() {
                total += c.n;
                counted.push(*c);
            }
            if counted.len() >= cut_at {
                counted = top_with_ties(counted, k);
                cut_at = cut_at.max(counted.len().saturating_mul(2));
            }
        }
        (top_with_ties(counted, k), distinct, total)
    };
    let paths: usize = tallies
        .iter()
        .map(|t| t.buckets.iter().map(Vec::len).sum::<usize>())
        .sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let (candidates, distinct, total) = if paths < parallel_from || threads == 1 {
        count_buckets(&mut (0..BUCKETS))
    } else {
        std::thread::scope(|scope| {
            let count_buckets = &count_buckets;
            let running: Vec<_> = (1..threads)
                .map(|t| scope.spawn(move || count_buckets(&mut (t..BUCKETS).step_by(threads))))
                .collect();
            let mut all = count_buckets(&mut (0..BUCKETS).step_by(threads));
            for part in running {
                let (candidates, distinct, total) =
                    part.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                all.0.extend(candidates);
                all.1 += distinct;
                all.2 += total;
            }
            all
        })
    };
    let path = |c: &Counted| tallies[c.tally as usize].path(c.at);
    let mut top = top_with_ties(candidates, k);
    if top.iter().any(|c| c.at == UNKEPT) {
        return None;
    }
    top.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| order(path(a), path(b))));
    top.truncate(k);
    let other = OtherPaths {
        paths: (distinct - top.len()) as u64,
        count: total - top.iter().map(|c| c.n).sum::<u64>(),
    };
    let top = top.iter().map(|c| (path(c).to_vec(), c.n)).collect();
    Some((top, other))
}

/// The paths with the `k` highest counts, and every path tied with the `k`-th, in no
/// particular order.
fn top_with_ties(mut counted: Vec<Counted>, k: usize) -> Vec<Counted> {
    let Some(i) = k.min(counted.len()).checked_sub(1) else {
        return Vec::new();
    };
    let kth = counted.select_nth_unstable_by(i, |a, b| b.n.cmp(&a.n)).1.n;
    counted.retain(|c| c.n >= kth);
    counted
}

/// A path's 128-bit hash as a table's key: hashed by its first word alone (the slice
/// hash of both words, with its length, cost more than the table's lookups).
#[derive(Clone, Copy, PartialEq, Eq)]
struct PathHash([u64; 2]);

impl std::hash::Hash for PathHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.0[0]);
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
    type Links = FxHashMap<(usize, Label, Option<Label>), u64>;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucketed count equals a plain count of the same paths, on one thread and on
    /// several, however the paths are spread over the tallies.
    #[test]
    fn bucketed_counts_equal_a_plain_count() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // The same paths counted in tallies that keep only the labels of paths seen
        // twice in a row in their slot, and in tallies that keep all.
        let mut tallies: Vec<PathTally> = (0..3).map(|_| PathTally::default()).collect();
        let mut keeping_all: Vec<PathTally> = (0..3).map(|_| PathTally::keeping_all()).collect();
        let mut plain: BTreeMap<Vec<Label>, u64> = BTreeMap::new();
        for i in 0..20_000 {
            // Half of them from 3 labels (many repeats), half from 40 (a long tail) on
            // both sides of the labels whose pairs are counted in a table of their own.
            let (first, labels) = if i % 2 == 0 {
                (0, 3)
            } else {
                (PAIR_LABELS - 20, 40)
            };
            let len = 1 + (next() % 6) as usize;
            let path: Vec<Label> = (0..len)
                .map(|_| Label::from_index(first + (next() % labels) as usize))
                .collect();
            let part = (next() % 3) as usize;
            tallies[part].add(&path);
            keeping_all[part].add(&path);
            *plain.entry(path).or_default() += 1;
        }
        let mut expected: Vec<(Vec<Label>, u64)> = plain.into_iter().collect();
        expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        assert!(expected.len() > 1000 && expected[0].1 > 100);
        for k in [0, 1, 10, 1000] {
            let top = expected[..k].to_vec();
            let other = OtherPaths {
                paths: (expected.len() - k) as u64,
                count: expected[k..].iter().map(|e| e.1).sum(),
            };
            let expected = Some((top.clone(), other.clone()));
            for parallel_from in [0, usize::MAX] {
                let all = top_counted_from(keeping_all.clone(), k, |a, b| a.cmp(b), parallel_from);
                assert_eq!(all, expected, "k {k}");
                // Frequent paths' labels are kept; the long tail's may not be.
                let got = top_counted_from(tallies.clone(), k, |a, b| a.cmp(b), parallel_from);
                if k <= 10 {
                    assert_eq!(got, expected, "k {k}");
                } else {
                    // The top 1000 reach into the paths seen once: not all named.
                    assert_eq!(got, None, "k {k}");
                }
            }
        }
    }
}
