//! What a request's user agent says: a bot (its events are not kept) or a browser on a
//! device class.
//!
//! The verdicts are cached by user agent: checking one against isbot's patterns and
//! parsing it with woothee were about 7 % of the request threads' time under
//! single-event load (leaving both out raised that rate by a sixth), and real traffic
//! repeats a few hundred user agents. The cache is bounded by the bytes it
//! holds, so a flood of made-up user agents only churns it.

use quick_cache::{Weighter, sync::Cache};

use crate::event::Device;

/// The user agents' bytes the cache holds at most (with an allowance per entry).
const CACHE_BYTES: u64 = 1 << 20;

/// What a cached entry costs besides its user agent's bytes.
const ENTRY_BYTES: u64 = 64;

pub struct UserAgents {
    bots: isbot::Bots,
    /// `None`: a bot.
    seen: Cache<Box<str>, Option<Device>, ByLength>,
}

/// Weighs an entry by its user agent's length.
#[derive(Clone)]
struct ByLength;

impl Weighter<Box<str>, Option<Device>> for ByLength {
    fn weight(&self, user_agent: &Box<str>, _: &Option<Device>) -> u64 {
        user_agent.len() as u64 + ENTRY_BYTES
    }
}

impl Default for UserAgents {
    fn default() -> UserAgents {
        UserAgents {
            bots: isbot::Bots::default(),
            seen: Cache::with_weighter((CACHE_BYTES / 256) as usize, CACHE_BYTES, ByLength),
        }
    }
}

impl UserAgents {
    /// The device class of a browser's user agent; `None` for a bot. Crawlers and
    /// headless browsers announce themselves in the user agent, and a request without
    /// one is not from a browser either.
    pub fn classify(&self, user_agent: &str) -> Option<Device> {
        if let Some(verdict) = self.seen.get(user_agent) {
            return verdict;
        }
        let verdict = (!user_agent.trim().is_empty() && !self.bots.is_bot(user_agent))
            .then(|| Device::of_user_agent(user_agent));
        self.seen.insert(user_agent.into(), verdict);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const CRAWLER: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    /// The same verdicts the first time (parsed) and the second (from the cache).
    #[test]
    fn cached_verdicts_equal_parsed_ones() {
        let agents = UserAgents::default();
        for _ in 0..2 {
            assert_eq!(agents.classify(PHONE), Some(Device::Mobile));
            assert_eq!(agents.classify(DESKTOP), Some(Device::Desktop));
            assert_eq!(agents.classify(CRAWLER), None);
            assert_eq!(agents.classify("  "), None);
        }
    }

    /// Many distinct user agents (a flood) stay within the cache's bytes, and the
    /// verdicts stay right while entries are evicted.
    #[test]
    fn a_flood_of_user_agents_stays_within_the_cache_bytes() {
        let agents = UserAgents::default();
        for i in 0..20_000 {
            let user_agent = format!("{DESKTOP} flood/{i}");
            assert_eq!(agents.classify(&user_agent), Some(Device::Desktop));
        }
        assert!(agents.seen.weight() <= CACHE_BYTES);
        assert!(agents.seen.len() < 20_000);
        assert_eq!(agents.classify(PHONE), Some(Device::Mobile));
    }
}
