//! Rate limits on ingest: per client IP address and per site, token buckets (GCRA) from
//! `governor`.
//!
//! Sized so that real traffic never meets them: a visitor's tracker sends about one
//! batch a second at most, a whole office behind one address a few dozen; a flood from one
//! address (or against one site) is refused with 429 and `Retry-After` long before it can
//! crowd out everyone else. IP addresses live only in this in-memory table, never on disk,
//! and entries idle for a while are forgotten by [`RateLimits::forget_idle`].

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Requests a second one key may sustain, and the burst it may send at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    /// `per_second` sustained with a burst of ten seconds' worth; `None` for 0 (no limit).
    pub fn per_second(per_second: u32) -> Option<Rate> {
        let per_second = NonZeroU32::new(per_second)?;
        Some(Rate {
            per_second,
            burst: per_second.saturating_mul(NonZeroU32::new(10).expect("10 > 0")),
        })
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// Sign-in attempts a client address may make a minute (all at once, then one every six
/// seconds): a person who mistypes their password never meets it; guessing passwords
/// (and making the collector compute argon2 hashes for it) is slowed to that pace.
pub const SIGN_INS_PER_MINUTE: u32 = 10;

pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_site: Option<DefaultKeyedRateLimiter<String>>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl RateLimits {
    pub fn new(per_ip: Option<Rate>, per_site: Option<Rate>) -> RateLimits {
        RateLimits {
            per_ip: per_ip.map(|r| RateLimiter::keyed(r.quota())),
            per_site: per_site.map(|r| RateLimiter::keyed(r.quota())),
            sign_in: RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(SIGN_INS_PER_MINUTE).expect("a positive rate"),
            )),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one sign-in attempt from the address's bucket; `Err(wait)` when it is empty.
    pub fn check_sign_in(&self, ip: IpAddr) -> Result<(), Duration> {
        self.sign_in
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Takes one request from the IP's bucket; `Err(wait)` when it is empty.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Duration> {
        match &self.per_ip {
            None => Ok(()),
            Some(limiter) => limiter
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(self.clock.now())),
        }
    }

    /// Takes one request from the site's bucket; `Err(wait)` when it is empty.
    pub fn check_site(&self, site: &str) -> Result<(), Duration> {
        match &self.per_site {
            None => Ok(()),
            Some(limiter) => limiter
                .check_key(&site.to_owned())
                .map_err(|not_until| not_until.wait_time_from(self.clock.now())),
        }
    }

    /// Drops the state of keys whose buckets are full again, bounding memory (run it
    /// every minute or so).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_site {
            limiter.retain_recent();
        }
        self.sign_in.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ins_are_limited_per_address_whatever_the_ingest_limits() {
        let limits = RateLimits::new(None, None);
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..SIGN_INS_PER_MINUTE {
            assert_eq!(limits.check_sign_in(ip), Ok(()));
        }
        let wait = limits.check_sign_in(ip).unwrap_err();
        assert!(
            wait > Duration::from_secs(4) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        assert_eq!(
            limits.check_sign_in("198.51.100.2".parse().unwrap()),
            Ok(())
        );
    }

    #[test]
    fn a_burst_passes_a_flood_does_not() {
        let limits = RateLimits::new(Rate::per_second(5), None);
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        let other: IpAddr = "198.51.100.2".parse().unwrap();
        for _ in 0..50 {
            assert_eq!(limits.check_ip(ip), Ok(()));
        }
        let wait = limits.check_ip(ip).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        // Another address has its own bucket; sites are unlimited here.
        assert_eq!(limits.check_ip(other), Ok(()));
        assert_eq!(limits.check_site("demo"), Ok(()));
    }

    #[test]
    fn zero_means_no_limit() {
        assert_eq!(Rate::per_second(0), None);
        let limits = RateLimits::new(None, None);
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..10_000 {
            assert_eq!(limits.check_ip(ip), Ok(()));
        }
    }
}
