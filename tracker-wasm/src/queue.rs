//! The queue: events captured and not yet acknowledged by the collector, oldest first.
//!
//! Pure bookkeeping, no browser calls: an event is held as its JSON text (encoded once
//! when it is captured, [`crate::wire::encode`], or the stored line it was read back
//! from) and never turned back into a Rust value; [`crate::tracker`] decides when to
//! send, [`crate::storage`] where the queue is kept between page loads.
//!
//! Invariants:
//! - at most [`MAX_QUEUED`] events: a push (or an adoption) beyond it drops the oldest,
//!   and counts them in `dropped` until a batch reporting them is acknowledged;
//! - at most one batch is in flight and it is always the oldest events (a prefix): it
//!   leaves the queue only when the collector answers 2xx (or refuses it for good),
//!   and goes back to being unsent on a retryable failure;
//! - a batch holds at most [`MAX_BATCH_EVENTS`] events and `max_bytes` of event text;
//! - the stored form ([`Queue::to_text`]) is the unreported drop count on the first
//!   line, then one event's JSON per line (the JSON never contains a line break, see
//!   [`crate::wire`]); reading it back ([`Queue::adopt`]) skips lines that are not an
//!   event ([`crate::wire::is_stored_event`]).

/// The queue's bound; older events are dropped (and counted) beyond it. About 300 KB
/// of text in `localStorage` when full.
pub const MAX_QUEUED: usize = 1000;
/// A flush is due as soon as this many events wait.
pub const FLUSH_AT_EVENTS: usize = 10;
/// Otherwise this long after the first unsent event.
pub const FLUSH_AFTER_MS: u32 = 1000;
/// The collector takes at most 100 events per batch.
pub const MAX_BATCH_EVENTS: usize = 100;

#[derive(Default)]
pub struct Queue {
    /// Each event's JSON text, oldest first; the first `in_flight` are the batch in
    /// flight. The text is the event's line in the stored form, its length the event's
    /// share of a batch body ([`crate::wire::encode_batch`] parses it into the body).
    events: Vec<String>,
    in_flight: usize,
    /// Dropped and not yet put into a batch.
    dropped: u32,
    /// Dropped and reported by the batch in flight.
    dropped_in_flight: u32,
}

/// A batch to send: the events and the drop count it reports.
pub struct Taken<'a> {
    pub events: &'a [String],
    pub dropped: u32,
}

impl Queue {
    /// Queues an event's JSON text ([`crate::wire::encode`]).
    pub fn push(&mut self, event: String) {
        self.events.push(event);
        self.trim();
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events not in flight.
    pub fn unsent(&self) -> &[String] {
        self.events.get(self.in_flight..).unwrap_or_default()
    }

    /// Marks the oldest unsent events as the batch in flight and returns them (empty
    /// when nothing waits). Call only when no batch is in flight.
    pub fn take(&mut self, max_bytes: usize) -> Taken<'_> {
        self.retry();
        let n = batch_len(&self.events, max_bytes);
        self.in_flight = n;
        self.dropped_in_flight = if n > 0 {
            std::mem::take(&mut self.dropped)
        } else {
            0
        };
        Taken {
            events: self.events.get(..n).unwrap_or_default(),
            dropped: self.dropped_in_flight,
        }
    }

    /// The batch in flight was acknowledged (or refused for good): it leaves the queue.
    pub fn settle(&mut self) {
        drop_oldest(&mut self.events, self.in_flight);
        self.in_flight = 0;
        self.dropped_in_flight = 0;
    }

    /// The batch in flight failed: its events (and drop count) are unsent again.
    pub fn retry(&mut self) {
        self.in_flight = 0;
        self.dropped = self.dropped.saturating_add(self.dropped_in_flight);
        self.dropped_in_flight = 0;
    }

    pub fn clear(&mut self) {
        *self = Queue::default();
    }

    /// Events dropped and not yet acknowledged as reported.
    pub fn dropped(&self) -> u32 {
        self.dropped.saturating_add(self.dropped_in_flight)
    }

    /// The stored form: the drop count, then one event's JSON per line.
    pub fn to_text(&self) -> String {
        let size: usize = self.events.iter().map(|e| e.len() + 1).sum();
        let mut text = String::with_capacity(size + 12);
        write_count(&mut text, self.dropped());
        for event in &self.events {
            text.push('\n');
            text.push_str(event);
        }
        text
    }

    /// Adds a stored queue (from [`Queue::to_text`]) after the batch in flight, before
    /// the events captured since. Lines that `is_event` refuses
    /// ([`crate::wire::is_stored_event`]) are skipped; the others are kept as they are.
    pub fn adopt(&mut self, text: &str, is_event: fn(&str) -> bool) {
        let (count, mut rest) = first_line(text);
        let dropped = parse_count(count).unwrap_or(0);
        self.dropped = self.dropped.saturating_add(dropped);
        // The batch in flight stays first; the events captured since go last.
        let mut mine = std::mem::take(&mut self.events).into_iter();
        self.events.extend(mine.by_ref().take(self.in_flight));
        while !rest.is_empty() {
            let (line, next) = first_line(rest);
            if is_event(line) {
                self.events.push(line.to_owned());
            }
            rest = next;
        }
        self.events.extend(mine);
        self.trim();
    }

    fn trim(&mut self) {
        let excess = self.events.len().saturating_sub(MAX_QUEUED);
        if excess > 0 {
            drop_oldest(&mut self.events, excess);
            self.in_flight = self.in_flight.saturating_sub(excess);
            self.dropped = self
                .dropped
                .saturating_add(u32::try_from(excess).unwrap_or(u32::MAX));
        }
    }
}

/// `text` up to its first line break, and the rest after it. (A byte search:
/// `split_once` brings a searcher with panic formatting into the bundle.)
pub(crate) fn first_line(text: &str) -> (&str, &str) {
    match text.bytes().position(|b| b == b'\n') {
        Some(i) => (
            text.get(..i).unwrap_or_default(),
            text.get(i + 1..).unwrap_or_default(),
        ),
        None => (text, ""),
    }
}

/// Removes the `n` oldest events (written without `drain`, whose range check brings
/// panic formatting into the bundle).
fn drop_oldest(events: &mut Vec<String>, n: usize) {
    let mut seen = 0;
    events.retain(|_| {
        seen += 1;
        seen > n
    });
}

/// How many of the oldest `events` go into one batch: at most [`MAX_BATCH_EVENTS`]
/// and `max_bytes` of event JSON (commas included), but at least one if there is one
/// (the capture limits keep a single event far below a body's limit).
pub fn batch_len(events: &[String], max_bytes: usize) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for event in events.iter().take(MAX_BATCH_EVENTS) {
        bytes += event.len() + 1;
        if n > 0 && bytes > max_bytes {
            break;
        }
        n += 1;
    }
    n
}

/// A count in decimal, for the stored form's first line (written on every save: no
/// `core::fmt` here, and no indexing).
fn write_count(out: &mut String, n: u32) {
    if n >= 10 {
        write_count(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// A decimal count (only digits, fits a `u32`): the inverse of [`write_count`], also
/// used for `Retry-After` (smaller than `str::parse` in the bundle).
pub(crate) fn parse_count(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u32, |n, b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::wire::{Event, Kind, Props, encode_json as encode, is_stored_json as is_event};

    /// An event whose id is `n`, its JSON padded to `len` bytes (at least ~70).
    fn event(n: usize, len: usize) -> String {
        let mut event = Event {
            id: format!("{n:032}"),
            ts: 1795341600000,
            kind: Kind::Click,
            url: String::new(),
            referrer: None,
            name: None,
            stage: None,
            props: Props::default(),
        };
        event.url = "x".repeat(len.saturating_sub(encode(&event).len()));
        encode(&event)
    }

    fn ids(events: &[String]) -> Vec<usize> {
        events
            .iter()
            .map(|e| {
                let event: serde_json::Value = serde_json::from_str(e).expect("JSON");
                event["id"]
                    .as_str()
                    .expect("an id")
                    .parse()
                    .expect("a number")
            })
            .collect()
    }

    /// A queue after pushing events `0..pushed`.
    fn queue(pushed: usize) -> Queue {
        let mut queue = Queue::default();
        for n in 0..pushed {
            queue.push(event(n, 60));
        }
        queue
    }

    /// Pushes `pushed` events; checks how many are kept, the first kept, and the drops.
    fn check_bound(pushed: usize, kept: usize, first: usize, dropped: u32) {
        let queue = queue(pushed);
        assert_eq!(queue.len(), kept, "pushed {pushed}");
        assert_eq!(
            ids(queue.unsent()).first().copied(),
            (kept > 0).then_some(first)
        );
        assert_eq!(queue.dropped(), dropped, "pushed {pushed}");
    }

    #[test]
    fn the_bound_drops_the_oldest_and_counts_them() {
        check_bound(0, 0, 0, 0);
        check_bound(1, 1, 0, 0);
        check_bound(MAX_QUEUED, MAX_QUEUED, 0, 0);
        check_bound(MAX_QUEUED + 1, MAX_QUEUED, 1, 1);
        check_bound(MAX_QUEUED + 250, MAX_QUEUED, 250, 250);
    }

    /// Splits `lens`-sized events into consecutive batches (each acknowledged); checks
    /// the batch sizes.
    fn check_batches(lens: &[usize], max_bytes: usize, expected: &[usize]) {
        let mut queue = Queue::default();
        for (n, &len) in lens.iter().enumerate() {
            queue.push(event(n, len));
        }
        let mut sizes = Vec::new();
        let mut next = 0;
        loop {
            let taken = queue.take(max_bytes);
            if taken.events.is_empty() {
                break;
            }
            assert_eq!(ids(taken.events)[0], next, "oldest first");
            next += taken.events.len();
            sizes.push(taken.events.len());
            queue.settle();
        }
        assert_eq!(sizes, expected, "lens {lens:?}, max {max_bytes}");
        assert!(queue.is_empty());
    }

    #[test]
    fn batches_respect_the_event_and_byte_limits() {
        check_batches(&[], 1000, &[]);
        check_batches(&[100; 3], 1000, &[3]);
        // 101 bytes per event with its comma: nine fit in 1000 bytes.
        check_batches(&[100; 20], 1000, &[9, 9, 2]);
        check_batches(&[100; 250], 1_000_000, &[100, 100, 50]);
        // An event larger than the limit still goes, alone.
        check_batches(&[5000, 100], 1000, &[1, 1]);
    }

    #[test]
    fn a_failed_batch_is_sent_again_and_an_acknowledged_one_leaves() {
        let mut queue = queue(5);
        let taken = queue.take(1 << 16);
        assert_eq!(ids(taken.events), [0, 1, 2, 3, 4]);
        assert!(queue.unsent().is_empty());
        queue.push(event(5, 60));
        assert_eq!(ids(queue.unsent()), [5]);
        queue.retry();
        assert_eq!(ids(queue.unsent()), [0, 1, 2, 3, 4, 5]);
        let taken = queue.take(1 << 16);
        assert_eq!(taken.events.len(), 6);
        queue.push(event(6, 60));
        queue.settle();
        assert_eq!(ids(queue.unsent()), [6]);
    }

    #[test]
    fn drops_are_reported_once_and_kept_until_acknowledged() {
        let mut queue = queue(MAX_QUEUED + 3);
        let taken = queue.take(1 << 20);
        assert_eq!(taken.dropped, 3);
        assert_eq!(queue.dropped(), 3, "still owed while in flight");
        queue.retry();
        assert_eq!(queue.take(1 << 20).dropped, 3, "a retry reports them again");
        // Two more dropped while the batch is in flight: reported by the next batch.
        queue.push(event(5000, 60));
        queue.push(event(5001, 60));
        queue.push(event(5002, 60));
        assert_eq!(queue.dropped(), 6);
        queue.settle();
        assert_eq!(queue.dropped(), 3);
        let taken = queue.take(1 << 20);
        assert_eq!(taken.dropped, 3);
        queue.settle();
        assert_eq!(queue.dropped(), 0);
        assert_eq!(
            queue.take(1 << 20).dropped,
            0,
            "an empty batch reports nothing"
        );
    }

    #[test]
    fn dropping_events_of_the_batch_in_flight_keeps_the_prefix_right() {
        let mut queue = queue(MAX_QUEUED);
        assert_eq!(queue.take(1 << 20).events.len(), MAX_BATCH_EVENTS);
        for n in 0..30 {
            queue.push(event(2000 + n, 60));
        }
        // The 30 oldest, all in flight, were dropped; 70 remain in flight.
        queue.settle();
        assert_eq!(queue.len(), MAX_QUEUED - 70);
        assert_eq!(ids(queue.unsent())[0], 100);
    }

    #[test]
    fn the_stored_form_round_trips_and_adoption_keeps_the_bound() {
        let mut queue = queue(MAX_QUEUED + 2);
        let text = queue.to_text();
        assert_eq!(text.lines().count(), MAX_QUEUED + 1);
        assert!(text.starts_with("2\n"));

        let mut copy = Queue::default();
        copy.adopt(&text, is_event);
        assert_eq!(copy.unsent(), queue.unsent());
        assert_eq!(copy.dropped(), 2);

        // Adopted events go after the batch in flight and before newer events.
        let mut mine = Queue::default();
        mine.push(event(7000, 60));
        mine.push(event(7001, 60));
        let _ = mine.take(1 << 20);
        mine.retry();
        let _ = mine.take(100);
        mine.push(event(7002, 60));
        let stored = [
            "1",
            &event(1, 60),
            "garbage",
            "",
            r#"{"id":"00000000000000000000000000000003","ts":1}"#,
            "[]",
            &event(2, 60),
        ];
        mine.adopt(&stored.join("\n"), is_event);
        assert_eq!(ids(mine.unsent()), [1, 2, 7001, 7002]);
        assert_eq!(mine.dropped(), 1);

        // Adopting a full queue drops the oldest beyond the bound, and counts them.
        queue.settle();
        let before = queue.dropped();
        queue.adopt(&text, is_event);
        assert_eq!(queue.len(), MAX_QUEUED);
        assert_eq!(queue.dropped(), before + 2 + MAX_QUEUED as u32);
        assert_eq!(Queue::default().to_text(), "0");
    }

    /// The stored form as earlier versions left it (the hand-written encoder, then serde:
    /// the same JSON), kept line for line; and a header that is not a count.
    #[test]
    fn earlier_stored_queues_are_read_back() {
        let earlier = concat!(
            "4\n",
            r#"{"id":"00000000000000000000000000000011","ts":1795341600000,"type":"pageview","url":"https://shop.example/","ref":"https://mail.example/","name":"landing","stage":"awareness"}"#,
            "\n",
            r#"{"id":"00000000000000000000000000000012","ts":1795341601000,"type":"custom","url":"https://shop.example/","name":"buy","props":{"note":"a \"b\"\u000a","n":49.9,"ok":true}}"#,
        );
        let mut queue = Queue::default();
        queue.adopt(earlier, is_event);
        assert_eq!(ids(queue.unsent()), [11, 12]);
        assert_eq!(queue.dropped(), 4);
        assert_eq!(queue.to_text(), earlier, "kept as stored");

        let mut queue = Queue::default();
        queue.adopt(&["x", &event(5, 60)].join("\n"), is_event);
        assert_eq!((ids(queue.unsent()), queue.dropped()), (vec![5], 0));
        assert_eq!(queue.to_text().lines().next(), Some("0"));
    }

    #[test]
    fn counts_round_trip_and_nothing_else_parses() {
        for n in [0, 7, 10, 1795341, u32::MAX] {
            let mut text = String::new();
            write_count(&mut text, n);
            assert_eq!(text, n.to_string());
            assert_eq!(parse_count(&text), Some(n));
        }
        for (s, expected) in [
            ("007", Some(7)),
            ("4294967296", None),
            ("", None),
            ("-1", None),
            ("+1", None),
            ("1.5", None),
            (" 1", None),
        ] {
            assert_eq!(parse_count(s), expected, "{s:?}");
        }
    }
}
