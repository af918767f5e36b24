//! Counters for operators, served as OpenMetrics text at `GET /metrics`.
//!
//! Every event that reaches ingest ends in exactly one outcome, so the outcomes add up to
//! the events received: `stored`, `duplicate` (re-sent, already stored), `rejected`
//! (failed validation), `bot` (dropped: crawler or headless user agent). Requests refused
//! as a whole, before their events are looked at (malformed bodies, rate limits and the
//! like), are counted by error code instead.
//!
//! The writer's commits have their own series ([`Commits`]): how long each took and how
//! many events it carried, which is what a 2xx waits for and how well group commit works.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

/// What became of an event that reached ingest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    Duplicate,
    Rejected,
    Bot,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::Rejected => "rejected",
            Outcome::Bot => "bot",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    events: Family<OutcomeLabel, Counter>,
    refused: Family<CodeLabel, Counter>,
    tracker_dropped: Counter,
    commits: Commits,
}

/// The writer's side of the metrics: one observation per commit. Cloning shares the
/// series.
#[derive(Clone)]
pub struct Commits {
    seconds: Histogram,
    events: Histogram,
    failed: Counter,
}

impl Commits {
    /// A commit of `events` events that took `seconds`; `ok`: it committed.
    pub fn commit(&self, events: usize, seconds: f64, ok: bool) {
        if ok {
            self.seconds.observe(seconds);
            self.events.observe(events as f64);
        } else {
            self.failed.inc();
        }
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let events = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "spur_ingest_events",
            "Events that reached ingest, by outcome",
            events.clone(),
        );
        let refused = Family::<CodeLabel, Counter>::default();
        registry.register(
            "spur_ingest_refused_requests",
            "Ingest requests refused as a whole, by error code",
            refused.clone(),
        );
        let tracker_dropped = Counter::default();
        registry.register(
            "spur_tracker_dropped_events",
            "Events trackers dropped from their full offline queues (as they report)",
            tracker_dropped.clone(),
        );
        let commits = Commits {
            // 100 µs to 1.6 s: an fsync on a fast disk up to a stalled one.
            seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 15)),
            // 1 to 16 384 events (a chunk holds at most 10 000).
            events: Histogram::new(exponential_buckets(1.0, 2.0, 15)),
            failed: Counter::default(),
        };
        registry.register(
            "spur_store_commit_seconds",
            "How long the writer's successful commits took, each for all the batches it carried",
            commits.seconds.clone(),
        );
        registry.register(
            "spur_store_commit_events",
            "Events per successful commit (group commit: the batches waiting share one)",
            commits.events.clone(),
        );
        registry.register(
            "spur_store_failed_commits",
            "Commits that failed; their batches were answered with an error, not stored",
            commits.failed.clone(),
        );
        // Zero-valued series exist from the start, so dashboards and tests see them.
        for outcome in [
            Outcome::Stored,
            Outcome::Duplicate,
            Outcome::Rejected,
            Outcome::Bot,
        ] {
            let _ = events.get_or_create(&OutcomeLabel {
                outcome: outcome.label(),
            });
        }
        Metrics {
            registry,
            events,
            refused,
            tracker_dropped,
            commits,
        }
    }
}

impl Metrics {
    pub fn events(&self, outcome: Outcome, n: usize) {
        self.events
            .get_or_create(&OutcomeLabel {
                outcome: outcome.label(),
            })
            .inc_by(n as u64);
    }

    pub fn refused(&self, code: &'static str) {
        self.refused.get_or_create(&CodeLabel { code }).inc();
    }

    pub fn tracker_dropped(&self, n: u64) {
        self.tracker_dropped.inc_by(n);
    }

    /// The series the writer observes its commits in.
    pub fn commits(&self) -> Commits {
        self.commits.clone()
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_exposition() {
        let metrics = Metrics::default();
        metrics.events(Outcome::Stored, 3);
        metrics.events(Outcome::Bot, 2);
        metrics.refused("malformed_body");
        metrics.tracker_dropped(7);
        metrics.commits().commit(17, 0.0003, true);
        metrics.commits().commit(3, 5.0, false);
        let text = metrics.encode();
        assert!(
            text.contains("spur_ingest_events_total{outcome=\"stored\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("spur_ingest_events_total{outcome=\"bot\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("spur_ingest_events_total{outcome=\"duplicate\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("spur_ingest_refused_requests_total{code=\"malformed_body\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("spur_tracker_dropped_events_total 7"),
            "{text}"
        );
        // The failed commit counts only as failed.
        assert!(text.contains("spur_store_commit_seconds_count 1"), "{text}");
        assert!(
            text.contains("spur_store_commit_seconds_sum 0.0003"),
            "{text}"
        );
        assert!(
            text.contains("spur_store_commit_seconds_bucket{le=\"0.0004\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("spur_store_commit_seconds_bucket{le=\"0.0002\"} 0"),
            "{text}"
        );
        assert!(text.contains("spur_store_commit_events_sum 17.0"), "{text}");
        assert!(text.contains("spur_store_failed_commits_total 1"), "{text}");
    }
}
