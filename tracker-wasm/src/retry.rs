//! Retry policy: what an answer from the collector means for the batch, and how long to
//! wait before the next attempt. Pure functions; [`crate::transport`] reads the answer,
//! [`crate::tracker`] keeps the failure count and the timer.
//!
//! The delivery contract (see the tracker's README and the collector's API docs):
//! - any 2xx settles the whole batch, rejected events included (they can never succeed);
//! - 408, 429, 5xx and network errors are temporary: the batch is sent again after an
//!   exponential backoff with full jitter, and never before `Retry-After`;
//! - any other status (400, 403, 413, 415, 422, …) will never succeed: the batch is
//!   dropped.

/// The first backoff ceiling; doubles with every consecutive failure.
pub const BASE_MS: u32 = 1000;
/// The ceiling stops growing here, and a `Retry-After` is honoured up to it.
pub const CAP_MS: u32 = 5 * 60 * 1000;

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the collector has it; it leaves the queue.
    Settled,
    /// Try again later, not before `after_ms` if the collector said so.
    Retry { after_ms: Option<u32> },
    /// A 4xx that will never succeed: the batch is dropped.
    GiveUp,
}

/// Classifies an HTTP answer; `retry_after` is the `Retry-After` header, if readable.
pub fn classify(status: u16, retry_after: Option<&str>) -> Outcome {
    match status {
        200..=299 => Outcome::Settled,
        408 | 429 | 500..=599 => Outcome::Retry {
            after_ms: retry_after.and_then(retry_after_ms),
        },
        _ => Outcome::GiveUp,
    }
}

/// A `Retry-After` in delta-seconds, in milliseconds (capped at [`CAP_MS`]). The
/// HTTP-date form is not used by the collector and is ignored.
pub fn retry_after_ms(header: &str) -> Option<u32> {
    let secs = crate::queue::parse_count(header.trim())?;
    Some(secs.saturating_mul(1000).min(CAP_MS))
}

/// The wait before the next attempt after `failures` consecutive failures (at least 1):
/// "full jitter", uniform in `[0, min(CAP, BASE·2^(failures−1)))` with `random` in
/// `[0, 1)`, but never shorter than what the collector asked for.
pub fn delay_ms(failures: u32, retry_after_ms: Option<u32>, random: f64) -> u32 {
    let doublings = failures.saturating_sub(1).min(20);
    let ceiling = BASE_MS.saturating_mul(1 << doublings).min(CAP_MS);
    let jittered = (random.clamp(0.0, 1.0) * f64::from(ceiling)) as u32;
    jittered.max(retry_after_ms.unwrap_or(0).min(CAP_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<I: Copy + std::fmt::Debug, O: PartialEq + std::fmt::Debug>(
        cases: &[(I, O)],
        f: impl Fn(I) -> O,
    ) {
        for &(input, ref expected) in cases {
            assert_eq!(f(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn answers_are_classified_as_the_contract_says() {
        let retry = |after_ms| Outcome::Retry { after_ms };
        check(
            &[
                ((200, None), Outcome::Settled),
                ((202, Some("5")), Outcome::Settled),
                ((204, None), Outcome::Settled),
                ((429, Some("7")), retry(Some(7000))),
                ((429, None), retry(None)),
                ((503, Some("2")), retry(Some(2000))),
                ((503, Some("Wed, 21 Oct 2015 07:28:00 GMT")), retry(None)),
                ((500, None), retry(None)),
                ((502, None), retry(None)),
                ((599, None), retry(None)),
                ((408, None), retry(None)),
                ((400, None), Outcome::GiveUp),
                ((403, None), Outcome::GiveUp),
                ((404, None), Outcome::GiveUp),
                ((413, Some("1")), Outcome::GiveUp),
                ((415, None), Outcome::GiveUp),
                ((422, None), Outcome::GiveUp),
                ((301, None), Outcome::GiveUp),
            ],
            |(status, header)| classify(status, header),
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        check(
            &[
                ("0", Some(0)),
                ("1", Some(1000)),
                (" 30 ", Some(30_000)),
                ("300", Some(CAP_MS)),
                ("86400", Some(CAP_MS)),
                ("4294967295", Some(CAP_MS)),
                ("-1", None),
                ("1.5", None),
                ("", None),
                ("soon", None),
            ],
            retry_after_ms,
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        // The ceiling, seen with random → 1: 1 s, 2 s, 4 s, … 256 s, then 5 min.
        let almost_one = 1.0 - f64::EPSILON;
        let ceilings: Vec<u32> = (1..=12).map(|f| delay_ms(f, None, almost_one)).collect();
        assert_eq!(
            ceilings,
            [
                999, 1999, 3999, 7999, 15999, 31999, 63999, 127999, 255999, 299999, 299999, 299999
            ]
        );
        check(
            &[
                ((1, 0.0), 0),
                ((1, 0.5), 500),
                ((3, 0.25), 1000),
                ((0, 0.5), 500),
                ((u32::MAX, 0.5), CAP_MS / 2),
                ((2, -1.0), 0),
                ((2, 7.0), 2000),
            ],
            |(failures, random)| delay_ms(failures, None, random),
        );
    }

    #[test]
    fn retry_after_is_a_lower_bound() {
        check(
            &[
                ((1, Some(5000), 0.5), 5000),
                ((10, Some(5000), 0.5), CAP_MS / 2),
                ((1, Some(0), 0.0), 0),
                ((1, Some(u32::MAX), 0.0), CAP_MS),
            ],
            |(failures, after, random)| delay_ms(failures, after, random),
        );
    }
}
