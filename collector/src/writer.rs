//! The bounded ingest queue and the one thread that drains it into the store.
//!
//! Request handlers validate a batch and [`Queue::submit`] it; the writer takes every
//! batch waiting in the queue (up to [`MAX_CHUNK_EVENTS`] events), appends them in one
//! transaction and only then acknowledges each batch. So a 2xx means "committed", and
//! under load many batches share one fsync (group commit).
//!
//! The writer is a thread of its own, not a task that hands each commit to the blocking
//! pool: that hand-off and the wake-up back took about 190 µs of a single-event commit's
//! 570 µs, and the writer is what single-event requests wait for.
//!
//! Backpressure instead of buffering: the channel holds at most `capacity` batches
//! (each at most [`crate::ingest::MAX_EVENTS`] events), so memory is bounded; when it is
//! full, `submit` fails at once and the client is told to retry later.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::event::Event;
use crate::metrics::Commits;
use crate::store::{Appended, Store};

/// The most events one transaction takes; more waiting batches go into the next one.
pub const MAX_CHUNK_EVENTS: usize = 10_000;

enum Message {
    Batch(Job),
    /// From [`Writer::shutdown`]: refuse new batches, commit the queued ones, stop.
    Close,
}

struct Job {
    events: Vec<Event>,
    /// Told the outcome once the chunk holding these events is committed (or failed).
    done: oneshot::Sender<Result<Appended, ()>>,
}

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubmitError {
    #[error("the ingest queue is full")]
    Full,
    #[error("the collector is shutting down")]
    Closed,
    #[error("the store failed to commit the batch")]
    StoreFailed,
}

/// The sending side, cloned into every request handler.
#[derive(Clone)]
pub struct Queue {
    tx: mpsc::Sender<Message>,
    /// Whether the writer's last commit failed (set by the writer after each one).
    failing: Arc<AtomicBool>,
}

impl Queue {
    /// Enqueues a batch and waits until it is committed; says how many of its events
    /// were new and how many were already stored.
    pub async fn submit(&self, events: Vec<Event>) -> Result<Appended, SubmitError> {
        let (done, committed) = oneshot::channel();
        self.tx
            .try_send(Message::Batch(Job { events, done }))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => SubmitError::Full,
                mpsc::error::TrySendError::Closed(_) => SubmitError::Closed,
            })?;
        match committed.await {
            Ok(Ok(appended)) => Ok(appended),
            // An error reply, or the writer gone without replying: not committed.
            Ok(Err(())) | Err(_) => Err(SubmitError::StoreFailed),
        }
    }

    /// Whether the store can commit now: answered by the last commit, or, when that
    /// one failed, by an empty commit made for the question (so that a store that
    /// recovered says so without waiting for traffic that a failing check keeps away).
    pub async fn can_commit(&self) -> Result<(), SubmitError> {
        if self.failing.load(Ordering::Relaxed) {
            self.submit(Vec::new()).await?;
        }
        Ok(())
    }
}

/// The writer thread's handle. [`Writer::shutdown`] (or dropping it and every [`Queue`]
/// clone) ends the thread after everything already queued is committed.
pub struct Writer {
    queue: Queue,
    /// Closed when the thread ends.
    finished: oneshot::Receiver<()>,
}

impl Writer {
    /// Starts the writer; `capacity` is the number of batches the queue holds, `commits`
    /// where each commit is observed.
    pub fn spawn(store: Arc<dyn Store>, capacity: usize, commits: Commits) -> (Queue, Writer) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (finished_tx, finished) = oneshot::channel();
        let failing = Arc::new(AtomicBool::new(false));
        let flag = failing.clone();
        std::thread::Builder::new()
            .name("spur-writer".into())
            .spawn(move || {
                run(store.as_ref(), rx, &flag, &commits);
                drop(finished_tx);
            })
            .expect("the writer thread starts");
        let queue = Queue { tx, failing };
        (queue.clone(), Writer { queue, finished })
    }

    /// Stops accepting new batches, commits every queued one, and returns when done.
    pub async fn shutdown(self) {
        // (Waits for room in a full queue: the writer is draining it.)
        let _ = self.queue.tx.send(Message::Close).await;
        let _ = self.finished.await;
    }
}

fn run(
    store: &dyn Store,
    mut rx: mpsc::Receiver<Message>,
    failing: &AtomicBool,
    commits: &Commits,
) {
    let mut closing = false;
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = Vec::new();
        let mut count = 0;
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Batch(job) => {
                    count += job.events.len();
                    jobs.push(job);
                }
                // Batches sent before `close` are still received; later ones are refused.
                Message::Close => {
                    rx.close();
                    closing = true;
                }
            }
            next = (count < MAX_CHUNK_EVENTS)
                .then(|| rx.try_recv().ok())
                .flatten();
        }
        if !jobs.is_empty() {
            commit(store, jobs, failing, commits);
        }
    }
    if closing {
        tracing::info!("Ingest queue drained.");
    }
}

/// Appends the jobs' events in one transaction, notes in `failing` whether that failed
/// (and in `commits` how long it took), then tells each job.
fn commit(store: &dyn Store, jobs: Vec<Job>, failing: &AtomicBool, commits: &Commits) {
    let (batches, replies): (Vec<Vec<Event>>, Vec<_>) =
        jobs.into_iter().map(|j| (j.events, j.done)).unzip();
    let n: usize = batches.iter().map(Vec::len).sum();
    let started = std::time::Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| store.append(&batches)));
    let took = started.elapsed().as_secs_f64();
    let outcomes = match outcome {
        Ok(Ok(outcomes)) if outcomes.len() == replies.len() => {
            tracing::debug!(events = n, batches = replies.len(), "Committed chunk.");
            Some(outcomes)
        }
        Ok(Ok(outcomes)) => {
            tracing::error!(
                batches = replies.len(),
                outcomes = outcomes.len(),
                "The store answered for a different number of batches."
            );
            None
        }
        Ok(Err(error)) => {
            tracing::error!(
                error = format!("{error:#}"),
                events = n,
                "Failed to commit chunk."
            );
            None
        }
        Err(_) => {
            tracing::error!("The store panicked while committing a chunk.");
            None
        }
    };
    // Before the replies: whoever hears one and then asks `can_commit` sees this commit,
    // and whoever reads `/metrics` after a 2xx counts it.
    failing.store(outcomes.is_none(), Ordering::Relaxed);
    commits.commit(n, took, outcomes.is_some());
    // A handler may have gone (client disconnected); its events are committed anyway.
    match outcomes {
        Some(outcomes) => {
            for (reply, appended) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(appended));
            }
        }
        None => {
            for reply in replies {
                let _ = reply.send(Err(()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::Touch;
    use crate::metrics::Metrics;
    use crate::site::Site;
    use std::sync::Mutex;
    use tokio::task::JoinHandle;

    /// A store that records chunk sizes; it can announce each append and hold it until
    /// released, or fail.
    #[derive(Default)]
    struct Recording {
        chunks: Mutex<Vec<usize>>,
        entered: Option<Mutex<std::sync::mpsc::Sender<()>>>,
        gate: Option<Mutex<std::sync::mpsc::Receiver<()>>>,
        fail: AtomicBool,
        panic: bool,
    }

    impl Store for Recording {
        fn append(&self, batches: &[Vec<Event>]) -> anyhow::Result<Vec<Appended>> {
            if let Some(entered) = &self.entered {
                let _ = entered.lock().unwrap().send(());
            }
            if let Some(gate) = &self.gate {
                let _ = gate.lock().unwrap().recv();
            }
            assert!(!self.panic, "a bug in the store");
            anyhow::ensure!(!self.fail.load(Ordering::Relaxed), "disk on fire");
            self.chunks
                .lock()
                .unwrap()
                .push(batches.iter().map(Vec::len).sum());
            Ok(batches
                .iter()
                .map(|b| Appended {
                    inserted: b.len(),
                    duplicates: 0,
                })
                .collect())
        }
        fn sites(&self) -> anyhow::Result<Vec<Site>> {
            Ok(vec![])
        }
        fn touches(&self, _: &str, _: i64, _: i64) -> anyhow::Result<Vec<Touch>> {
            Ok(vec![])
        }
        fn touches_since(&self, _: &str, _: i64, _: usize) -> anyhow::Result<crate::store::Since> {
            Ok(Default::default())
        }
        fn daily_salt(&self, _: i64) -> anyhow::Result<[u8; 32]> {
            Ok([0; 32])
        }
        fn secret(&self, _: &str) -> anyhow::Result<[u8; 32]> {
            Ok([0; 32])
        }
        fn visitor_events(&self, _: &str, _: u64) -> anyhow::Result<Vec<Event>> {
            Ok(vec![])
        }
        fn delete_visitor(&self, _: &str, _: u64) -> anyhow::Result<usize> {
            Ok(0)
        }
        fn delete_before(&self, _: i64) -> anyhow::Result<usize> {
            Ok(0)
        }
        fn put_site(&self, _: &crate::site::Site) -> anyhow::Result<()> {
            Ok(())
        }
        fn has_events(&self, _: &str) -> anyhow::Result<bool> {
            Ok(false)
        }
        fn set_user(&self, _: &str, _: &str) -> anyhow::Result<()> {
            Ok(())
        }
        fn user(&self, _: &str) -> anyhow::Result<Option<(i64, String)>> {
            Ok(None)
        }
        fn add_token(&self, _: i64, _: &[u8; 32], _: &str, _: Option<i64>) -> anyhow::Result<()> {
            Ok(())
        }
        fn token_user(&self, _: &[u8; 32], _: i64) -> anyhow::Result<Option<String>> {
            Ok(None)
        }
        fn delete_token(&self, _: &[u8; 32]) -> anyhow::Result<()> {
            Ok(())
        }
        fn delete_tokens(&self, _: i64, _: Option<&str>) -> anyhow::Result<usize> {
            Ok(0)
        }
    }

    /// A store that holds every append until released, and how to drive it.
    fn gated() -> (
        Arc<Recording>,
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (open, gate) = std::sync::mpsc::channel();
        let store = Recording {
            entered: Some(Mutex::new(entered_tx)),
            gate: Some(Mutex::new(gate)),
            ..Default::default()
        };
        (Arc::new(store), entered, open)
    }

    /// Waits (off the runtime) until the writer is inside `append`.
    async fn wait_entered(entered: std::sync::mpsc::Receiver<()>) -> std::sync::mpsc::Receiver<()> {
        tokio::task::spawn_blocking(move || {
            entered.recv().unwrap();
            entered
        })
        .await
        .unwrap()
    }

    fn events(n: usize) -> Vec<Event> {
        let event = Event {
            site: "demo".into(),
            id: "0123456789abcdef".into(),
            visitor: 1,
            ts: 0,
            received_at: 0,
            kind: crate::event::EventKind::Pageview,
            touchpoint: "/".into(),
            stage: None,
            url: "https://x.example/".into(),
            referrer: None,
            utm: Default::default(),
            props: None,
            device: crate::event::Device::Desktop,
        };
        vec![event; n]
    }

    fn new(inserted: usize) -> Appended {
        Appended {
            inserted,
            duplicates: 0,
        }
    }

    fn submit(queue: &Queue, n: usize) -> JoinHandle<Result<Appended, SubmitError>> {
        let queue = queue.clone();
        tokio::spawn(async move { queue.submit(events(n)).await })
    }

    #[tokio::test]
    async fn acknowledges_after_commit_and_groups_waiting_batches() {
        let (store, entered, open) = gated();
        let metrics = Metrics::default();
        let (queue, writer) = Writer::spawn(store.clone(), 8, metrics.commits());
        let first = submit(&queue, 1);
        let entered = wait_entered(entered).await;
        // While the first chunk is being committed, three batches queue up.
        let waiting: Vec<_> = (0..3).map(|_| submit(&queue, 2)).collect();
        while queue.tx.capacity() > 8 - 3 {
            tokio::task::yield_now().await;
        }
        assert!(!first.is_finished(), "acknowledged before the commit");
        open.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(new(1)));
        let _entered = wait_entered(entered).await;
        open.send(()).unwrap();
        for w in waiting {
            assert_eq!(w.await.unwrap(), Ok(new(2)));
        }
        // The three waiting batches were committed together.
        assert_eq!(*store.chunks.lock().unwrap(), vec![1, 6]);
        // Observed before the replies: two commits, of 1 and 6 events.
        let text = metrics.encode();
        assert!(text.contains("spur_store_commit_seconds_count 2"), "{text}");
        assert!(text.contains("spur_store_commit_events_sum 7.0"), "{text}");
        assert!(
            text.contains("spur_store_commit_events_bucket{le=\"4.0\"} 1"),
            "{text}"
        );
        assert!(text.contains("spur_store_failed_commits_total 0"), "{text}");
        drop(queue);
        writer.shutdown().await;
    }

    #[tokio::test]
    async fn full_queue_refuses_at_once() {
        let (store, entered, open) = gated();
        let (queue, writer) = Writer::spawn(store.clone(), 1, Metrics::default().commits());
        let taken = submit(&queue, 1);
        let _entered = wait_entered(entered).await;
        let queued = submit(&queue, 1);
        while queue.tx.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(queue.submit(events(1)).await, Err(SubmitError::Full));
        open.send(()).unwrap();
        open.send(()).unwrap();
        assert_eq!(taken.await.unwrap(), Ok(new(1)));
        assert_eq!(queued.await.unwrap(), Ok(new(1)));
        writer.shutdown().await;
        assert_eq!(*store.chunks.lock().unwrap(), vec![1, 1]);
    }

    #[tokio::test]
    async fn store_failure_is_reported_not_acknowledged() {
        let store = Arc::new(Recording {
            fail: AtomicBool::new(true),
            ..Default::default()
        });
        let metrics = Metrics::default();
        let (queue, writer) = Writer::spawn(store, 4, metrics.commits());
        assert_eq!(queue.submit(events(3)).await, Err(SubmitError::StoreFailed));
        let text = metrics.encode();
        assert!(text.contains("spur_store_failed_commits_total 1"), "{text}");
        assert!(text.contains("spur_store_commit_seconds_count 0"), "{text}");
        drop(queue);
        writer.shutdown().await;
    }

    #[tokio::test]
    async fn can_commit_follows_the_last_commit_and_checks_again_after_a_failure() {
        let store = Arc::new(Recording::default());
        let (queue, writer) = Writer::spawn(store.clone(), 4, Metrics::default().commits());
        assert_eq!(queue.can_commit().await, Ok(()));
        queue.submit(events(1)).await.unwrap();
        assert_eq!(queue.can_commit().await, Ok(()));
        // Nothing is asked of the store while its last commit went through.
        assert_eq!(*store.chunks.lock().unwrap(), vec![1]);

        store.fail.store(true, Ordering::Relaxed);
        assert_eq!(queue.submit(events(2)).await, Err(SubmitError::StoreFailed));
        // Still failing: the empty commit made for the question fails too.
        assert_eq!(queue.can_commit().await, Err(SubmitError::StoreFailed));
        // Recovered, with no batch since: the question's own commit tells.
        store.fail.store(false, Ordering::Relaxed);
        assert_eq!(queue.can_commit().await, Ok(()));
        assert_eq!(*store.chunks.lock().unwrap(), vec![1, 0]);
        assert_eq!(queue.can_commit().await, Ok(()));
        assert_eq!(*store.chunks.lock().unwrap(), vec![1, 0]);
        writer.shutdown().await;
    }

    #[tokio::test]
    async fn a_store_that_panics_fails_the_batch_and_the_writer_goes_on() {
        let store = Arc::new(Recording {
            panic: true,
            ..Default::default()
        });
        let (queue, writer) = Writer::spawn(store, 4, Metrics::default().commits());
        for _ in 0..2 {
            assert_eq!(queue.submit(events(1)).await, Err(SubmitError::StoreFailed));
        }
        writer.shutdown().await;
        assert_eq!(queue.submit(events(1)).await, Err(SubmitError::Closed));
    }

    #[tokio::test]
    async fn shutdown_commits_what_is_queued_and_refuses_the_rest() {
        let (store, entered, open) = gated();
        let (queue, writer) = Writer::spawn(store.clone(), 16, Metrics::default().commits());
        let mut pending = vec![submit(&queue, 1)];
        let _entered = wait_entered(entered).await;
        pending.extend((0..4).map(|_| submit(&queue, 1)));
        while queue.tx.capacity() > 16 - 4 {
            tokio::task::yield_now().await;
        }
        let shutdown = tokio::spawn(writer.shutdown());
        open.send(()).unwrap();
        open.send(()).unwrap();
        shutdown.await.unwrap();
        for p in pending {
            assert_eq!(p.await.unwrap(), Ok(new(1)));
        }
        assert_eq!(*store.chunks.lock().unwrap(), vec![1, 4]);
        assert_eq!(queue.submit(events(1)).await, Err(SubmitError::Closed));
    }
}
