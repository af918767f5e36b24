//! Paths, exploration from a touchpoint, and step transitions (Sankey).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Count, EXIT, Journeys, OTHER, Other, collapse, ratio, top_k};

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
    let mut counts: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    match unit {
        Unit::Session => {
            for path in &journeys.paths {
                *counts.entry(with_exit(path.clone())).or_default() += 1;
            }
        }
        Unit::Visitor => {
            for run in journeys.by_visitor() {
                let joined = collapse(journeys.paths[run].iter().flatten().map(String::as_str));
                *counts.entry(with_exit(joined)).or_default() += 1;
            }
        }
    }
    let total: u64 = counts.values().sum();
    let mut ranked: Vec<(Vec<String>, u64)> = counts.into_iter().collect();
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let rest = ranked.split_off(limit.min(ranked.len()));
    PathsResult {
        total,
        paths: ranked
            .into_iter()
            .map(|(steps, count)| PathCount {
                steps,
                count,
                share: ratio(count as f64, total as f64),
            })
            .collect(),
        other: OtherPaths {
            paths: rest.len() as u64,
            count: rest.iter().map(|(_, n)| n).sum(),
        },
    }
}

fn with_exit(mut path: Vec<String>) -> Vec<String> {
    path.push(EXIT.to_owned());
    path
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
    let mut per_step: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); steps];
    let mut ends = vec![0u64; steps];
    let mut sessions = 0;
    for path in &journeys.paths {
        let anchor = match direction {
            Direction::Forward => path.iter().position(|l| l == start),
            Direction::Backward => path.iter().rposition(|l| l == start),
        };
        let Some(anchor) = anchor else { continue };
        sessions += 1;
        for k in 1..=steps {
            let at = match direction {
                Direction::Forward => path.get(anchor + k),
                Direction::Backward => anchor.checked_sub(k).and_then(|i| path.get(i)),
            };
            match at {
                Some(label) => *per_step[k - 1].entry(label.clone()).or_default() += 1,
                None => ends[k - 1] += 1,
            }
        }
    }
    ExploreResult {
        sessions,
        steps: per_step
            .into_iter()
            .zip(ends)
            .enumerate()
            .map(|(i, (counts, end))| {
                let (top, other) = top_k(counts, top);
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
    // Each session's labels from its alignment point, `steps` long, padded with exits.
    let aligned: Vec<Vec<&str>> = journeys
        .paths
        .iter()
        .filter_map(|path| {
            let from = match start {
                None => 0,
                Some(s) => path.iter().position(|l| l == s)?,
            };
            let mut labels: Vec<&str> = path[from..]
                .iter()
                .map(String::as_str)
                .take(steps)
                .collect();
            labels.resize(steps, EXIT);
            Some(labels)
        })
        .collect();
    // The top labels of each step; the rest become `(other)`.
    let kept: Vec<Vec<String>> = (0..steps)
        .map(|i| {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for labels in &aligned {
                if labels[i] != EXIT {
                    *counts.entry(labels[i].to_owned()).or_default() += 1;
                }
            }
            top_k(counts, top)
                .0
                .into_iter()
                .map(|c| c.touchpoint)
                .collect()
        })
        .collect();
    let node_label = |i: usize, label: &str| -> String {
        if label == EXIT || kept[i].iter().any(|k| k == label) {
            label.to_owned()
        } else {
            OTHER.to_owned()
        }
    };
    let mut nodes: BTreeMap<(usize, String), u64> = BTreeMap::new();
    let mut links: BTreeMap<(usize, String, String), u64> = BTreeMap::new();
    for labels in &aligned {
        for i in 0..steps {
            if i > 0 && labels[i - 1] == EXIT {
                break;
            }
            *nodes.entry((i, node_label(i, labels[i]))).or_default() += 1;
            if i + 1 < steps && labels[i] != EXIT {
                let key = (
                    i,
                    node_label(i, labels[i]),
                    node_label(i + 1, labels[i + 1]),
                );
                *links.entry(key).or_default() += 1;
            }
        }
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
