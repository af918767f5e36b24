//! Storage: the [`Store`] trait and its embedded implementation, [`sqlite::SqliteStore`].
//!
//! A store is synchronous: the writer and the reports call it from blocking threads
//! (`spawn_blocking`), never from an async task. The scale-out implementation,
//! [`clickhouse::ClickHouseStore`], implements the same trait; both give identical
//! reports on the same data (checked by `tests/integration/clickhouse.rs`).
//!
//! Invariants every implementation keeps:
//! - `append` is atomic and durable: when it returns `Ok`, every event is committed.
//! - `(site, id)` is unique: appending an event again is a no-op, counted as a duplicate.
//! - `touches` returns every stored event of the site in `[from, to)` by collector time.

pub mod clickhouse;
pub mod sqlite;

use crate::event::Event;
use crate::journey::Touch;
use crate::site::Site;

pub trait Store: Send + Sync + 'static {
    /// Stores batches of events in one transaction; says per batch what was new.
    fn append(&self, batches: &[Vec<Event>]) -> anyhow::Result<Vec<Appended>>;

    /// All sites, for the in-memory registry.
    fn sites(&self) -> anyhow::Result<Vec<Site>>;

    /// Creates a site, or changes its name and allowed origins.
    fn put_site(&self, site: &Site) -> anyhow::Result<()>;

    /// Whether any event of the site is stored (a look at one row, not a count).
    fn has_events(&self, site: &str) -> anyhow::Result<bool>;

    /// The journey engine's view of a site's events with `from_ms <= ts < to_ms`.
    fn touches(&self, site: &str, from_ms: i64, to_ms: i64) -> anyhow::Result<Vec<Touch>>;

    /// The site's events stored after position `after` (0: from the first), in storage
    /// order, about `limit` of them (an implementation may end an answer early or late
    /// to end it at a position), with the position to continue from, whether there are
    /// more, and how many deletions ever happened (a copy built from earlier answers is
    /// stale once that number changes).
    fn touches_since(&self, site: &str, after: i64, limit: usize) -> anyhow::Result<Since>;

    /// How long a copy of a site's touches may go without asking [`Store::touches_since`]
    /// again: zero for a store where asking costs little; a store whose answers lag
    /// anyway (ClickHouse) saves a round trip and a scan per report.
    fn refresh_every(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// The report `request` asks for, computed by the store itself (pushed down into its
    /// query engine), or `None`: the caller runs the journey engine over the store's
    /// touches. A store that computes a report gives exactly the engine's result on the
    /// same events.
    fn report(
        &self,
        request: &crate::reports::Request,
    ) -> anyhow::Result<Option<crate::reports::ReportResult>> {
        let _ = request;
        Ok(None)
    }

    /// The secret salt for the visitor hash of UTC day `day` (days since the epoch),
    /// created on first use; salts of earlier days are deleted, so yesterday's visitor
    /// ids can no longer be recomputed from an IP address and user agent.
    fn daily_salt(&self, day: i64) -> anyhow::Result<[u8; 32]>;

    /// A random install-wide secret named `name`, created on first use and the same for
    /// every process sharing the store.
    fn secret(&self, name: &str) -> anyhow::Result<[u8; 32]>;

    /// Every stored event of one visitor of a site, in time order.
    fn visitor_events(&self, site: &str, visitor: u64) -> anyhow::Result<Vec<Event>>;

    /// Deletes every stored event of one visitor of a site; returns how many.
    fn delete_visitor(&self, site: &str, visitor: u64) -> anyhow::Result<usize>;

    /// Deletes the events of every site that happened before `ts_ms`; returns how many.
    fn delete_before(&self, ts_ms: i64) -> anyhow::Result<usize>;

    /// Creates the account `email`, or sets its password if it exists.
    fn set_user(&self, email: &str, password_hash: &str) -> anyhow::Result<()>;

    /// The account's id and password hash.
    fn user(&self, email: &str) -> anyhow::Result<Option<(i64, String)>>;

    /// Keeps a session or API token (`kind`) of an account, by its hash.
    fn add_token(
        &self,
        user: i64,
        hash: &[u8; 32],
        kind: &str,
        expires_at: Option<i64>,
    ) -> anyhow::Result<()>;

    /// The email of the account a token belongs to, if it exists and has not expired at
    /// `now_ms`.
    fn token_user(&self, hash: &[u8; 32], now_ms: i64) -> anyhow::Result<Option<String>>;

    fn delete_token(&self, hash: &[u8; 32]) -> anyhow::Result<()>;

    /// Deletes the tokens of an account, of `kind` (`session`, `api`) or all; returns
    /// how many.
    fn delete_tokens(&self, user: i64, kind: Option<&str>) -> anyhow::Result<usize>;
}

/// An answer of [`Store::touches_since`].
#[derive(Debug, Default)]
pub struct Since {
    pub touches: Vec<Touch>,
    /// Where to continue from next time.
    pub last: i64,
    pub deletions: u64,
    /// Whether more events were stored after `last` than this answer holds.
    pub more: bool,
}

/// What an append did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    pub inserted: usize,
    /// Events already stored under the same `(site, id)`: retries and re-sends.
    pub duplicates: usize,
}
