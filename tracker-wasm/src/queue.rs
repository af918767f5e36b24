//! The queue: events captured and not yet acknowledged by the collector, oldest first.
//!
//! Pure bookkeeping, no browser calls: the queue keeps each event's size, and its text
//! (its JSON, encoded once when it is captured, [`crate::wire::encode`], or the stored
//! line it was read back from) is kept by a [`Texts`], in the same order. In the browser
//! that is the loader's array of JS strings ([`crate::host`]): an event's text never
//! enters wasm memory, and saving the queue or building a batch is a `join` of strings
//! there. [`crate::tracker`] decides when to send, [`crate::storage`] where the queue is
//! kept between page loads.
//!
//! Invariants:
//! - the queue and its texts hold the same events in the same order: the texts append
//!   each captured event ([`crate::host::event`]) just before [`Queue::push`] counts it,
//!   and every other change (dropping the oldest, adopting stored lines) goes through
//!   the queue, which makes it to both;
//! - at most [`MAX_QUEUED`] events: a push (or an adoption) beyond it drops the oldest,
//!   and counts them in `dropped` until a batch reporting them is acknowledged;
//! - at most one batch is in flight and it is always the oldest events (a prefix): it
//!   leaves the queue only when the collector answers 2xx (or refuses it for good),
//!   and goes back to being unsent on a retryable failure;
//! - a batch holds at most [`MAX_BATCH_EVENTS`] events and `max_bytes` of event text;
//! - the stored form is the unreported drop count on the first line, then one event's
//!   JSON per line (the JSON never contains a line break, see [`crate::wire`]); the
//!   loader writes it (`host.save`), [`Queue::adopt`] reads it back and skips lines that
//!   are not an event ([`crate::wire::is_stored_event`]).

/// The queue's bound; older events are dropped (and counted) beyond it. About 300 KB
/// of text in `localStorage` when full.
pub const MAX_QUEUED: usize = 1000;
/// A flush is due as soon as this many events wait.
pub const FLUSH_AT_EVENTS: usize = 10;
/// Otherwise this long after the first unsent event.
pub const FLUSH_AFTER_MS: u32 = 1000;
/// The collector takes at most 100 events per batch.
pub const MAX_BATCH_EVENTS: usize = 100;

/// Where the queued events' text is kept, in the queue's order.
pub trait Texts {
    /// Removes the `n` oldest texts.
    fn drop_oldest(&mut self, n: usize);
    /// Inserts a stored line at position `at`; its size in bytes, `None` if it was not
    /// inserted.
    fn insert(&mut self, at: usize, line: &str) -> Option<u32>;
}

#[derive(Default)]
pub struct Queue<T: Texts> {
    /// Each event's size in bytes (its JSON text), oldest first; the first `in_flight`
    /// are the batch in flight.
    sizes: Vec<u32>,
    in_flight: usize,
    /// Dropped and not yet put into a batch.
    dropped: u32,
    /// Dropped and reported by the batch in flight.
    dropped_in_flight: u32,
    texts: T,
}

/// A batch to send: the oldest `count` events and the drop count it reports.
pub struct Taken {
    pub count: usize,
    pub dropped: u32,
}

impl<T: Texts> Queue<T> {
    /// Counts an event of `size` bytes whose text the texts have just appended.
    pub fn push(&mut self, size: u32) {
        self.sizes.push(size);
        self.trim();
    }

    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The sizes of the events not in flight, oldest first; they follow the batch in
    /// flight ([`Queue::in_flight`] events).
    pub fn unsent(&self) -> &[u32] {
        self.sizes.get(self.in_flight..).unwrap_or_default()
    }

    /// How many of the oldest events are the batch in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The texts, for the native tests.
    #[cfg(test)]
    pub fn texts(&self) -> &T {
        &self.texts
    }

    /// The texts, to append an event's text (the native tests; in the browser,
    /// [`crate::host::event`] appends it).
    #[cfg(test)]
    pub fn texts_mut(&mut self) -> &mut T {
        &mut self.texts
    }

    /// Marks the oldest unsent events as the batch in flight and says how many (0 when
    /// nothing waits). Call only when no batch is in flight.
    pub fn take(&mut self, max_bytes: usize) -> Taken {
        self.retry();
        let n = batch_len(&self.sizes, max_bytes);
        self.in_flight = n;
        self.dropped_in_flight = if n > 0 {
            std::mem::take(&mut self.dropped)
        } else {
            0
        };
        Taken {
            count: n,
            dropped: self.dropped_in_flight,
        }
    }

    /// The batch in flight was acknowledged (or refused for good): it leaves the queue.
    pub fn settle(&mut self) {
        self.drop_oldest(self.in_flight);
        self.in_flight = 0;
        self.dropped_in_flight = 0;
    }

    /// The batch in flight failed: its events (and drop count) are unsent again.
    pub fn retry(&mut self) {
        self.in_flight = 0;
        self.dropped = self.dropped.saturating_add(self.dropped_in_flight);
        self.dropped_in_flight = 0;
    }

    /// Empties the queue (and its texts).
    pub fn clear(&mut self) {
        self.drop_oldest(self.sizes.len());
        self.in_flight = 0;
        self.dropped = 0;
        self.dropped_in_flight = 0;
    }

    /// Events dropped and not yet acknowledged as reported.
    pub fn dropped(&self) -> u32 {
        self.dropped.saturating_add(self.dropped_in_flight)
    }

    /// Adds a stored queue (the stored form, see the module docs) after the batch in
    /// flight, before the events captured since. Lines that `is_event` refuses
    /// ([`crate::wire::is_stored_event`]) are skipped; the others go to the texts as
    /// they are.
    pub fn adopt(&mut self, text: &str, is_event: fn(&str) -> bool) {
        let (count, mut rest) = first_line(text);
        let dropped = parse_count(count).unwrap_or(0);
        self.dropped = self.dropped.saturating_add(dropped);
        // The batch in flight stays first; the events captured since go last.
        let mut mine = std::mem::take(&mut self.sizes).into_iter();
        self.sizes.extend(mine.by_ref().take(self.in_flight));
        while !rest.is_empty() {
            let (line, next) = first_line(rest);
            if is_event(line) {
                if let Some(size) = self.texts.insert(self.sizes.len(), line) {
                    self.sizes.push(size);
                }
            }
            rest = next;
        }
        self.sizes.extend(mine);
        self.trim();
    }

    fn trim(&mut self) {
        let excess = self.sizes.len().saturating_sub(MAX_QUEUED);
        if excess > 0 {
            self.drop_oldest(excess);
            self.in_flight = self.in_flight.saturating_sub(excess);
            self.dropped = self
                .dropped
                .saturating_add(u32::try_from(excess).unwrap_or(u32::MAX));
        }
    }

    /// Removes the `n` oldest events, here and from the texts (written without
    /// `drain`, whose range check brings panic formatting into the bundle).
    fn drop_oldest(&mut self, n: usize) {
        let mut seen = 0;
        self.sizes.retain(|_| {
            seen += 1;
            seen > n
        });
        self.texts.drop_oldest(n);
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

/// How many of the oldest events (by `sizes`) go into one batch: at most
/// [`MAX_BATCH_EVENTS`] and `max_bytes` of event JSON (commas included), but at least
/// one if there is one (the capture limits keep a single event far below a body's
/// limit).
pub fn batch_len(sizes: &[u32], max_bytes: usize) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for &size in sizes.iter().take(MAX_BATCH_EVENTS) {
        bytes += size as usize + 1;
        if n > 0 && bytes > max_bytes {
            break;
        }
        n += 1;
    }
    n
}

/// A decimal count (only digits, fits a `u32`): the stored form's first line, also
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

    type Q = Queue<Vec<String>>;

    impl Texts for Vec<String> {
        fn drop_oldest(&mut self, n: usize) {
            self.drain(..n.min(self.len()));
        }
        fn insert(&mut self, at: usize, line: &str) -> Option<u32> {
            Vec::insert(self, at, line.to_owned());
            Some(line.len() as u32)
        }
    }

    /// Appends an event's text and counts it, as `host.event` and the tracker do.
    fn push(queue: &mut Q, text: String) {
        let size = text.len() as u32;
        queue.texts_mut().push(text);
        queue.push(size);
    }

    /// The texts of the events not in flight (and a check that texts and sizes agree).
    fn unsent(queue: &Q) -> &[String] {
        let texts = queue.texts();
        assert_eq!(texts.len(), queue.len(), "texts and sizes in step");
        let sizes: Vec<u32> = texts.iter().map(|t| t.len() as u32).collect();
        assert_eq!(&sizes[queue.in_flight()..], queue.unsent());
        &texts[queue.in_flight()..]
    }

    /// The texts of the batch just taken.
    fn taken(queue: &Q, taken: &Taken) -> Vec<usize> {
        ids(&queue.texts()[..taken.count])
    }

    /// The stored form as the loader's `save` writes it.
    fn stored_form(queue: &Q) -> String {
        let mut text = queue.dropped().to_string();
        for line in queue.texts() {
            text.push('\n');
            text.push_str(line);
        }
        text
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
    fn queue(pushed: usize) -> Q {
        let mut queue = Q::default();
        for n in 0..pushed {
            push(&mut queue, event(n, 60));
        }
        queue
    }

    /// Pushes `pushed` events; checks how many are kept, the first kept, and the drops.
    fn check_bound(pushed: usize, kept: usize, first: usize, dropped: u32) {
        let queue = queue(pushed);
        assert_eq!(queue.len(), kept, "pushed {pushed}");
        assert_eq!(
            ids(unsent(&queue)).first().copied(),
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
        let mut queue = Q::default();
        for (n, &len) in lens.iter().enumerate() {
            push(&mut queue, event(n, len));
        }
        let mut sizes = Vec::new();
        let mut next = 0;
        loop {
            let batch = queue.take(max_bytes);
            if batch.count == 0 {
                break;
            }
            assert_eq!(taken(&queue, &batch)[0], next, "oldest first");
            next += batch.count;
            sizes.push(batch.count);
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
        let batch = queue.take(1 << 16);
        assert_eq!(taken(&queue, &batch), [0, 1, 2, 3, 4]);
        assert!(unsent(&queue).is_empty());
        push(&mut queue, event(5, 60));
        assert_eq!(ids(unsent(&queue)), [5]);
        queue.retry();
        assert_eq!(ids(unsent(&queue)), [0, 1, 2, 3, 4, 5]);
        let batch = queue.take(1 << 16);
        assert_eq!(batch.count, 6);
        push(&mut queue, event(6, 60));
        queue.settle();
        assert_eq!(ids(unsent(&queue)), [6]);
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
        push(&mut queue, event(5000, 60));
        push(&mut queue, event(5001, 60));
        push(&mut queue, event(5002, 60));
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
        assert_eq!(queue.take(1 << 20).count, MAX_BATCH_EVENTS);
        for n in 0..30 {
            push(&mut queue, event(2000 + n, 60));
        }
        // The 30 oldest, all in flight, were dropped; 70 remain in flight.
        queue.settle();
        assert_eq!(queue.len(), MAX_QUEUED - 70);
        assert_eq!(ids(unsent(&queue))[0], 100);
    }

    #[test]
    fn the_stored_form_round_trips_and_adoption_keeps_the_bound() {
        let mut queue = queue(MAX_QUEUED + 2);
        let text = stored_form(&queue);
        assert_eq!(text.lines().count(), MAX_QUEUED + 1);
        assert!(text.starts_with("2\n"));

        let mut copy = Q::default();
        copy.adopt(&text, is_event);
        assert_eq!(unsent(&copy), unsent(&queue));
        assert_eq!(copy.dropped(), 2);

        // Adopted events go after the batch in flight and before newer events.
        let mut mine = Q::default();
        push(&mut mine, event(7000, 60));
        push(&mut mine, event(7001, 60));
        let _ = mine.take(1 << 20);
        mine.retry();
        let _ = mine.take(100);
        push(&mut mine, event(7002, 60));
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
        assert_eq!(ids(unsent(&mine)), [1, 2, 7001, 7002]);
        assert_eq!(
            ids(mine.texts()),
            [7000, 1, 2, 7001, 7002],
            "after the batch in flight"
        );
        assert_eq!(mine.dropped(), 1);

        // Adopting a full queue drops the oldest beyond the bound, and counts them.
        queue.settle();
        let before = queue.dropped();
        queue.adopt(&text, is_event);
        assert_eq!(queue.len(), MAX_QUEUED);
        assert_eq!(unsent(&queue).len(), MAX_QUEUED);
        assert_eq!(queue.dropped(), before + 2 + MAX_QUEUED as u32);
        queue.clear();
        assert!(queue.texts().is_empty() && queue.is_empty());
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
        let mut queue = Q::default();
        queue.adopt(earlier, is_event);
        assert_eq!(ids(unsent(&queue)), [11, 12]);
        assert_eq!(queue.dropped(), 4);
        assert_eq!(stored_form(&queue), earlier, "kept as stored");

        let mut queue = Q::default();
        queue.adopt(&["x", &event(5, 60)].join("\n"), is_event);
        assert_eq!((ids(unsent(&queue)), queue.dropped()), (vec![5], 0));
        assert_eq!(stored_form(&queue).lines().next(), Some("0"));
    }

    #[test]
    fn counts_parse_and_nothing_else_does() {
        for n in [0, 7, 10, 1795341, u32::MAX] {
            assert_eq!(parse_count(&n.to_string()), Some(n));
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
