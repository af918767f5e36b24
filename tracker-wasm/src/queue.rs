//! The queue: events captured but not yet handed to [`crate::transport`].
//!
//! Batching is two numbers here ([`FLUSH_AT_EVENTS`], [`FLUSH_AFTER_MS`]) and one byte
//! limit in the transport. The queue only says *when* a flush is due; arming the timer
//! and flushing is [`crate::tracker`]'s job.
//!
//! Invariant: the queue never holds more than [`FLUSH_AT_EVENTS`] events, because the
//! push that reaches that number asks for an immediate flush. It lives in memory only;
//! persistence across reloads (offline) is a later addition.

use crate::wire::Event;

/// A flush is due as soon as this many events wait.
pub const FLUSH_AT_EVENTS: usize = 10;
/// Otherwise this long after the first unsent event.
pub const FLUSH_AFTER_MS: u32 = 1000;

#[derive(Default)]
pub struct Queue {
    events: Vec<Event>,
}

/// What the caller should do after a push.
#[derive(Debug, PartialEq, Eq)]
pub enum Due {
    /// The first unsent event: arm the [`FLUSH_AFTER_MS`] timer.
    Later,
    /// Nothing: the timer is already armed.
    Pending,
    /// [`FLUSH_AT_EVENTS`] reached: flush now.
    Now,
}

impl Queue {
    pub fn push(&mut self, event: Event) -> Due {
        self.events.push(event);
        match self.events.len() {
            n if n >= FLUSH_AT_EVENTS => Due::Now,
            1 => Due::Later,
            _ => Due::Pending,
        }
    }

    /// Everything queued, oldest first; the queue is empty afterwards.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Kind, Props};

    fn event(ts: u64) -> Event {
        Event {
            id: "0123456789abcdef0123456789abcdef".to_owned(),
            ts,
            kind: Kind::Pageview,
            url: "https://shop.example/".to_owned(),
            referrer: None,
            name: None,
            stage: None,
            props: Props::default(),
        }
    }

    /// Pushes `pushes` events, taking everything whenever a flush is due `Now`; checks
    /// the answers and what is left.
    fn check(pushes: usize, expected: &[Due], left: usize) {
        let mut queue = Queue::default();
        let mut answers = Vec::new();
        for ts in 0..pushes {
            let due = queue.push(event(ts as u64));
            if due == Due::Now {
                assert_eq!(queue.take().len(), FLUSH_AT_EVENTS);
            }
            answers.push(due);
        }
        assert_eq!(answers, expected);
        assert_eq!(queue.take().len(), left);
    }

    #[test]
    fn due_times() {
        use Due::{Later, Now, Pending};
        check(0, &[], 0);
        check(1, &[Later], 1);
        check(3, &[Later, Pending, Pending], 3);
        let mut ten = vec![Later];
        ten.extend(std::iter::repeat_with(|| Pending).take(8));
        ten.push(Now);
        check(10, &ten, 0);
        let mut eleven = ten;
        eleven.push(Later);
        check(11, &eleven, 1);
    }

    #[test]
    fn take_keeps_order() {
        let mut queue = Queue::default();
        for ts in [3, 1, 2] {
            queue.push(event(ts));
        }
        let order: Vec<u64> = queue.take().iter().map(|e| e.ts).collect();
        assert_eq!(order, [3, 1, 2]);
        assert!(queue.take().is_empty());
    }
}
