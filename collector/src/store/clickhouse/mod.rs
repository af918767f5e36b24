//! The scale-out store: ClickHouse, over its HTTP interface.
//!
//! Any number of collector processes can share one ClickHouse database: everything a
//! report or a visitor id needs (events, sites, salts, secrets, accounts, the deletion
//! count) lives there, none of it only in one process. Written against ClickHouse 18.16
//! (Debian's package; no query parameters, no `DateTime64`, no lightweight deletes), which
//! is also valid on current versions.
//!
//! Layout (see [`MIGRATIONS`]):
//! - `events`: `ReplacingMergeTree`, partitioned by the month of `ts`, ordered by
//!   `(site, id)`. The order makes the duplicate check of an append a primary-key lookup;
//!   reports never scan by key — they read a site's events in insertion order into the
//!   journey engine, which orders them by visitor and time itself, or ([`reports`]:
//!   paths, funnels, the overview) group them by visitor in SQL.
//! - `inserted_at`, set by the server when a block is written, is the position
//!   [`Store::touches_since`] continues from. A reader only reads up to [`SETTLE_SECS`]
//!   before the server's clock, so a block being written at that moment, whose
//!   `inserted_at` is already taken, cannot be skipped when it becomes visible.
//!
//! Idempotency: `append` looks up which ids the site holds and inserts only the others,
//! so an id delivered twice — to the same collector or to two — is stored once. Two
//! collectors that receive the same id *at the same moment* (within one insert) can both
//! store it: every read that returns events keeps one row per id (`LIMIT 1 BY id` after
//! the filter, not `FINAL`, which on 18.16 merges all the site's rows first: 0.7 s
//! instead of 0.03 s for one visitor's export at 1 M events), and the table's engine
//! merges them away in the background.
//!
//! Deletions are mutations (`ALTER TABLE … DELETE`), which ClickHouse applies in the
//! background; a deletion returns only once its mutation is done, and then counts itself
//! in `deletions`, so that every process's report cache starts over. When `events` is a
//! `Distributed` table, mutations and partition drops go to the local table of every
//! replica of its cluster ([`Holder`]).

mod reports;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Appended, Since, Store};
use crate::event::{Device, Event, EventKind, Stage, Utm};
use crate::journey::Touch;
use crate::site::Site;

/// How many seconds before the server's clock a reader stops (see the module's text):
/// more than a block's write takes.
pub const SETTLE_SECS: u32 = 2;

/// The fewest rows one [`Store::touches_since`] answer holds when more are there.
const MIN_READ_ROWS: usize = 500_000;

/// Ids per duplicate lookup: far below the 256 KiB a query may have (ids are at most 64
/// characters).
const LOOKUP_IDS: usize = 2_000;

/// How long a deletion waits for its mutation before it reports an error.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Schema migrations, applied in order; `schema_migrations` lists the applied ones. Each
/// statement is idempotent (`IF NOT EXISTS`), so processes starting together may both
/// apply one. Never edit a released migration: append a new one.
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE IF NOT EXISTS events (
        site         String,
        id           String,
        visitor      UInt64,
        ts           Int64,
        received_at  Int64,
        kind         String,
        touchpoint   String,
        stage        Nullable(String),
        url          String,
        referrer     Nullable(String),
        utm_source   Nullable(String),
        utm_medium   Nullable(String),
        utm_campaign Nullable(String),
        utm_term     Nullable(String),
        utm_content  Nullable(String),
        props        Nullable(String),
        device       String,
        inserted_at  DateTime DEFAULT now()
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000)))
    ORDER BY (site, id)",
    // Sites, accounts and tokens: the row with the highest `version` of a key is current.
    "CREATE TABLE IF NOT EXISTS sites (
        id String, name String, allowed_origins String, created_at Int64, version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY id",
    "CREATE TABLE IF NOT EXISTS salts (day Int64, salt String) ENGINE = MergeTree ORDER BY day",
    "CREATE TABLE IF NOT EXISTS secrets (name String, value String)
    ENGINE = MergeTree ORDER BY name",
    "CREATE TABLE IF NOT EXISTS deletions (at DateTime DEFAULT now(), events UInt64)
    ENGINE = MergeTree ORDER BY at",
    "CREATE TABLE IF NOT EXISTS users (
        email String, id Int64, password_hash String, created_at Int64, version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY email",
    "CREATE TABLE IF NOT EXISTS tokens (
        hash String, user_id Int64, kind String, expires_at Nullable(Int64), deleted UInt8,
        version UInt64
    ) ENGINE = ReplacingMergeTree(version) ORDER BY hash",
]];

/// The columns of an [`Event`], in the order inserts list them.
const EVENT_COLUMNS: &str = "site, id, visitor, ts, received_at, kind, touchpoint, stage, url, \
    referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, props, device";

/// The columns an [`EventRow`] is read from, under short names: a site is read as
/// millions of `JSONEachRow` lines, and the names were more than a third of each.
const EVENT_ROW: &str = "site AS s, id AS i, visitor AS v, ts AS t, received_at AS r, \
    kind AS k, touchpoint AS p, stage AS g, url AS u, referrer AS f, utm_source AS us, \
    utm_medium AS um, utm_campaign AS uc, utm_term AS ut, utm_content AS uo, props AS o, \
    device AS d";

pub struct ClickHouseStore {
    agent: ureq::Agent,
    /// The HTTP interface, e.g. `http://127.0.0.1:8123/`.
    url: String,
    database: String,
    /// Where the rows of `events` are, for deletions (see [`Holder`]).
    holders: Vec<Holder>,
}

/// A table that holds rows of `events`: `events` itself, or, when `events` is a
/// `Distributed` table over a cluster, the local table on each replica of that cluster
/// (found in `system.clusters` when the store opens). Mutations and partitions are the
/// local tables' — a `Distributed` table takes neither —, so deletions and retention go
/// to each of them, over HTTP at the replica's host (on the port of the store's URL),
/// without `ON CLUSTER` (which needs ZooKeeper or Keeper).
#[derive(Debug, Clone, PartialEq)]
struct Holder {
    url: String,
    database: String,
    table: String,
}

/// The row that marks the token with hash `hash_hex` deleted (rows are versioned).
fn token_deleted(hash_hex: &str) -> String {
    serde_json::json!({
        "hash": hash_hex, "user_id": 0, "kind": "", "expires_at": null,
        "deleted": 1, "version": version(),
    })
    .to_string()
}

/// `url` for messages and logs: its password (`http://user:password@host/`) replaced.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "the URL given".to_owned(),
    }
}

impl ClickHouseStore {
    /// Connects to the HTTP interface at `url`, creates `database` if needed and brings
    /// its schema up to date.
    pub fn open(url: &str, database: &str) -> anyhow::Result<ClickHouseStore> {
        anyhow::ensure!(
            !database.is_empty()
                && database
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "the ClickHouse database name `{database}` must be letters, digits and _"
        );
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut store = ClickHouseStore {
            agent,
            url: url.to_owned(),
            database: database.to_owned(),
            holders: Vec::new(),
        };
        store
            .run_in(None, &format!("CREATE DATABASE IF NOT EXISTS {database}"))
            .with_context(|| format!("connecting to ClickHouse at {}", redacted(url)))?;
        store.migrate().context("migrating the ClickHouse schema")?;
        store.holders = store
            .holders()
            .context("finding the tables that hold the events")?;
        Ok(store)
    }

    /// Waits until every event stored so far is past the horizon readers stop at, so the
    /// next report sees it (for tests and benchmarks; events still arriving are waited
    /// for too).
    pub fn settled(&self) -> anyhow::Result<()> {
        wait_until("events kept arriving", Duration::from_millis(100), || {
            Ok(self.count(&format!(
                "SELECT count() AS n FROM events WHERE inserted_at > now() - {SETTLE_SECS}"
            ))? == 0)
        })
    }

    /// Drops the store's database with everything in it (for benchmarks and tests).
    pub fn drop_database(&self) -> anyhow::Result<()> {
        self.run_in(None, &format!("DROP DATABASE IF EXISTS {}", self.database))?;
        Ok(())
    }

    fn migrate(&self) -> anyhow::Result<()> {
        self.run(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32)
             ENGINE = MergeTree ORDER BY version",
        )?;
        #[derive(Deserialize)]
        struct Applied {
            version: u32,
        }
        let applied: Vec<Applied> = self.rows("SELECT version FROM schema_migrations")?;
        let newest = applied.iter().map(|a| a.version).max().unwrap_or(0) as usize;
        anyhow::ensure!(
            newest <= MIGRATIONS.len(),
            "the database has schema version {newest}, newer than this binary's {}",
            MIGRATIONS.len()
        );
        for (index, statements) in MIGRATIONS.iter().enumerate().skip(newest) {
            for sql in *statements {
                self.run(sql)
                    .with_context(|| format!("migration {}", index + 1))?;
            }
            if index == 0 {
                // The demo site, as in the embedded store; version 0, so any change wins.
                self.run(&format!(
                    "INSERT INTO sites VALUES ('demo', 'Demo shop', '[]', {}, 0)",
                    crate::event::now_ms()
                ))?;
            }
            self.run(&format!(
                "INSERT INTO schema_migrations VALUES ({})",
                index + 1
            ))?;
        }
        Ok(())
    }

    /// The tables that hold the rows of `events` (see [`Holder`]).
    fn holders(&self) -> anyhow::Result<Vec<Holder>> {
        #[derive(Deserialize)]
        struct Table {
            engine: String,
            engine_full: String,
        }
        let tables: Vec<Table> = self.rows(&format!(
            "SELECT engine, engine_full FROM system.tables
             WHERE database = {} AND name = 'events'",
            quote(&self.database)
        ))?;
        let Some(distributed) = tables.first().filter(|t| t.engine == "Distributed") else {
            return Ok(vec![Holder {
                url: self.url.clone(),
                database: self.database.clone(),
                table: "events".into(),
            }]);
        };
        let args = engine_arguments(&distributed.engine_full);
        let [cluster, database, table, ..] = args.as_slice() else {
            bail!(
                "cannot read the Distributed table `events`: {}",
                distributed.engine_full
            );
        };
        #[derive(Deserialize)]
        struct Replica {
            host_name: String,
            default_database: String,
        }
        let replicas: Vec<Replica> = self.rows(&format!(
            "SELECT host_name, default_database FROM system.clusters
             WHERE cluster = {} ORDER BY shard_num, replica_num",
            quote(cluster)
        ))?;
        anyhow::ensure!(
            !replicas.is_empty(),
            "`events` is Distributed over the cluster `{cluster}`, which this server does not know"
        );
        replicas
            .into_iter()
            .map(|replica| {
                let mut url = url::Url::parse(&self.url)
                    .with_context(|| format!("the ClickHouse URL `{}`", self.url))?;
                url.set_host(Some(&replica.host_name))
                    .with_context(|| format!("the replica host `{}`", replica.host_name))?;
                let database = match (database.as_str(), replica.default_database.as_str()) {
                    ("", "") => "default".to_owned(),
                    ("", default) => default.to_owned(),
                    (database, _) => database.to_owned(),
                };
                Ok(Holder {
                    url: url.to_string(),
                    database,
                    table: table.clone(),
                })
            })
            .collect()
    }

    /// Runs one statement in the store's database; returns the answer's body.
    fn run(&self, sql: &str) -> anyhow::Result<String> {
        self.run_in(Some(&self.database), sql)
    }

    fn run_in(&self, database: Option<&str>, sql: &str) -> anyhow::Result<String> {
        self.run_at(&self.url, database, sql)
    }

    /// Runs one statement at the HTTP interface `url`.
    fn run_at(&self, url: &str, database: Option<&str>, sql: &str) -> anyhow::Result<String> {
        let mut answer = self.send(url, database, &[], sql, sql)?;
        answer
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .context("reading ClickHouse's answer")
    }

    /// POSTs `body` (a query, or rows for the query in `params`) in `database`; an
    /// answer other than 2xx is an error naming `what` and quoting ClickHouse.
    fn send(
        &self,
        url: &str,
        database: Option<&str>,
        params: &[(&str, &str)],
        what: &str,
        body: &str,
    ) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
        // 64-bit integers as JSON numbers, not strings.
        let mut request = self
            .agent
            .post(url)
            .query("output_format_json_quote_64bit_integers", "0");
        if let Some(database) = database {
            request = request.query("database", database);
        }
        for (name, value) in params {
            request = request.query(*name, *value);
        }
        let mut answer = request
            .send(body)
            .with_context(|| format!("sending to ClickHouse at {}", redacted(url)))?;
        if !answer.status().is_success() {
            let status = answer.status();
            let text = answer.body_mut().read_to_string().unwrap_or_default();
            let start: String = what.trim().chars().take(80).collect();
            let text: String = text.trim().chars().take(500).collect();
            bail!("ClickHouse answered {status} to `{start}…`: {text}");
        }
        Ok(answer)
    }

    /// Runs a query and parses its rows.
    fn rows<T: DeserializeOwned>(&self, sql: &str) -> anyhow::Result<Vec<T>> {
        let mut rows = Vec::new();
        self.rows_each(sql, |row| rows.push(row))?;
        Ok(rows)
    }

    /// Runs a query and hands each row to `each` as it arrives: a large answer is never
    /// held whole, as text or as rows.
    fn rows_each<T: DeserializeOwned>(
        &self,
        sql: &str,
        mut each: impl FnMut(T),
    ) -> anyhow::Result<()> {
        use std::io::BufRead;
        let sql = format!("{sql}\nFORMAT JSONEachRow");
        let mut answer = self.send(&self.url, Some(&self.database), &[], &sql, &sql)?;
        let mut reader =
            std::io::BufReader::new(answer.body_mut().with_config().limit(u64::MAX).reader());
        let mut line = String::new();
        loop {
            line.clear();
            if reader
                .read_line(&mut line)
                .context("reading ClickHouse's answer")?
                == 0
            {
                return Ok(());
            }
            let text = line.trim_end();
            if text.is_empty() {
                continue;
            }
            // An error after the rows started is sent as text in their place.
            each(
                serde_json::from_str(text)
                    .with_context(|| format!("a row ClickHouse sent: {text:.200}"))?,
            );
        }
    }

    /// Sends rows (JSON objects, one per line) to `table`, which is a table's name and,
    /// where some columns take their default, the list of the others (only with a list
    /// does ClickHouse 18.16 compute the defaults of the missing ones).
    fn insert(&self, table: &str, rows: String) -> anyhow::Result<()> {
        let query = format!("INSERT INTO {table} FORMAT JSONEachRow");
        // Into a Distributed table: answer once every shard has the rows, so that an
        // acknowledged event is stored and readable (a no-op for a local table).
        let params = [("insert_distributed_sync", "1"), ("query", query.as_str())];
        self.send(&self.url, Some(&self.database), &params, &query, &rows)?;
        Ok(())
    }

    fn count(&self, sql: &str) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct Count {
            n: u64,
        }
        Ok(self.rows::<Count>(sql)?.first().map_or(0, |c| c.n))
    }

    /// A statement in a holder's database, at its replica.
    fn run_on(&self, holder: &Holder, sql: &str) -> anyhow::Result<String> {
        self.run_at(&holder.url, Some(&holder.database), sql)
    }

    /// Deletes the events `condition` selects; waits for ClickHouse to have done it, then
    /// counts the deletion. Returns how many events were deleted.
    fn delete_events(&self, condition: &str) -> anyhow::Result<usize> {
        let n = self.count(&format!(
            "SELECT uniqExact(site, id) AS n FROM events WHERE {condition}"
        ))?;
        if n == 0 {
            return Ok(0);
        }
        for holder in &self.holders {
            self.run_on(
                holder,
                &format!("ALTER TABLE `{}` DELETE WHERE {condition}", holder.table),
            )?;
        }
        self.await_mutations()?;
        self.run(&format!("INSERT INTO deletions (events) VALUES ({n})"))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn await_mutations(&self) -> anyhow::Result<()> {
        wait_until(
            "ClickHouse has not applied a deletion",
            Duration::from_millis(20),
            || {
                let mut pending = 0;
                for holder in &self.holders {
                    pending += self
                        .run_on(
                            holder,
                            &format!(
                                "SELECT count() FROM system.mutations
                                 WHERE database = {} AND table = {} AND is_done = 0",
                                quote(&holder.database),
                                quote(&holder.table)
                            ),
                        )?
                        .trim()
                        .parse::<u64>()
                        .context("counting ClickHouse's pending mutations")?;
                }
                Ok(pending == 0)
            },
        )
    }

    /// A random value kept in `table` (`salts` or `secrets`: a key column, then the value
    /// column) under the key `key` (an SQL literal): the smallest of the values stored
    /// under it, so that processes creating one at the same moment agree once both have
    /// written theirs (each waits a moment before reading back).
    fn shared_random(&self, table: &str, key: &str) -> anyhow::Result<[u8; 32]> {
        let (key_column, value_column) = match table {
            "salts" => ("day", "salt"),
            _ => ("name", "value"),
        };
        #[derive(Deserialize)]
        struct Value {
            value: String,
        }
        let read = || -> anyhow::Result<Option<[u8; 32]>> {
            let values: Vec<Value> = self.rows(&format!(
                "SELECT min({value_column}) AS value FROM {table}
                 WHERE {key_column} = {key} HAVING count() > 0"
            ))?;
            values.first().map(|v| unhex(&v.value)).transpose()
        };
        if let Some(value) = read()? {
            return Ok(value);
        }
        let candidate: [u8; 32] = rand::random();
        self.run(&format!(
            "INSERT INTO {table} VALUES ({key}, {})",
            quote(&hex(&candidate))
        ))?;
        std::thread::sleep(Duration::from_millis(200));
        read()?.context("a value just written is not there")
    }
}

/// A ClickHouse string literal.
/// Asks `done` every `every` until it says yes; an error once [`MUTATION_TIMEOUT`] has
/// passed (`what` says what did not end).
fn wait_until(
    what: &str,
    every: Duration,
    mut done: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    while !done()? {
        anyhow::ensure!(
            started.elapsed() < MUTATION_TIMEOUT,
            "{what} after {MUTATION_TIMEOUT:?}"
        );
        std::thread::sleep(every);
    }
    Ok(())
}

/// The arguments of an engine as `system.tables` shows it (`Distributed(c, 'db', t, key)`),
/// unquoted; an argument that is an expression stays as written.
fn engine_arguments(engine: &str) -> Vec<String> {
    let inner = engine
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map_or("", |(inner, _)| inner);
    let (mut args, mut current) = (Vec::new(), String::new());
    let (mut depth, mut quoted) = (0usize, None::<char>);
    for c in inner.chars() {
        match (quoted, c) {
            (Some(q), c) if c == q => quoted = None,
            (Some(_), _) => {}
            (None, '\'' | '`' | '"') => quoted = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                args.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    args.push(current);
    args.into_iter()
        .map(|a| {
            let a = a.trim();
            let unquoted = ['\'', '`', '"']
                .into_iter()
                .find_map(|q| a.strip_prefix(q).and_then(|a| a.strip_suffix(q)));
            unquoted.unwrap_or(a).to_owned()
        })
        .collect()
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex(s: &str) -> anyhow::Result<[u8; 32]> {
    let mut out = [0u8; 32];
    anyhow::ensure!(s.len() == 64, "a stored secret is not 32 bytes");
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)?;
    }
    Ok(out)
}

/// The version of a row written now: later writes win.
fn version() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// An account's id: derived from its email, so every process gives the same one.
fn user_id(email: &str) -> i64 {
    let digest = blake3::hash(email.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    (u64::from_le_bytes(first) >> 1) as i64
}

/// An event as read ([`EVENT_ROW`]).
#[derive(Deserialize)]
struct EventRow {
    #[serde(rename = "s")]
    site: String,
    #[serde(rename = "i")]
    id: String,
    #[serde(rename = "v")]
    visitor: u64,
    #[serde(rename = "t")]
    ts: i64,
    #[serde(rename = "r")]
    received_at: i64,
    #[serde(rename = "k")]
    kind: String,
    #[serde(rename = "p")]
    touchpoint: String,
    #[serde(rename = "g")]
    stage: Option<String>,
    #[serde(rename = "u")]
    url: String,
    #[serde(rename = "f")]
    referrer: Option<String>,
    #[serde(rename = "us")]
    utm_source: Option<String>,
    #[serde(rename = "um")]
    utm_medium: Option<String>,
    #[serde(rename = "uc")]
    utm_campaign: Option<String>,
    #[serde(rename = "ut")]
    utm_term: Option<String>,
    #[serde(rename = "uo")]
    utm_content: Option<String>,
    #[serde(rename = "o")]
    props: Option<String>,
    #[serde(rename = "d")]
    device: String,
}

impl EventRow {
    fn event(self) -> Event {
        Event {
            site: self.site,
            id: self.id,
            visitor: self.visitor,
            ts: self.ts,
            received_at: self.received_at,
            // Only validated values are written; an unknown one means a newer binary
            // wrote it, and it is read as a custom event.
            kind: EventKind::parse(&self.kind).unwrap_or(EventKind::Custom),
            touchpoint: self.touchpoint,
            stage: self.stage.as_deref().and_then(Stage::parse),
            url: self.url,
            referrer: self.referrer,
            utm: Utm {
                source: self.utm_source,
                medium: self.utm_medium,
                campaign: self.utm_campaign,
                term: self.utm_term,
                content: self.utm_content,
            },
            props: self.props,
            device: Device::parse(&self.device).unwrap_or(Device::Desktop),
        }
    }
}

/// One event as an insert row.
fn event_json(e: &Event) -> serde_json::Value {
    serde_json::json!({
        "site": e.site, "id": e.id, "visitor": e.visitor, "ts": e.ts,
        "received_at": e.received_at, "kind": e.kind.as_str(), "touchpoint": e.touchpoint,
        "stage": e.stage.map(|s| s.as_str()), "url": e.url, "referrer": e.referrer,
        "utm_source": e.utm.source, "utm_medium": e.utm.medium,
        "utm_campaign": e.utm.campaign, "utm_term": e.utm.term,
        "utm_content": e.utm.content, "props": e.props, "device": e.device.as_str(),
    })
}

impl Store for ClickHouseStore {
    fn append(&self, batches: &[Vec<Event>]) -> anyhow::Result<Vec<Appended>> {
        // Which of these ids each site holds already: one primary-key lookup per site.
        let mut sites: Vec<&str> = batches.iter().flatten().map(|e| e.site.as_str()).collect();
        sites.sort_unstable();
        sites.dedup();
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let mut held: Vec<(&str, Vec<Id>)> = Vec::new();
        for site in sites {
            let of_site: Vec<&Event> = batches
                .iter()
                .flatten()
                .filter(|e| e.site == site)
                .collect();
            let mut found = Vec::new();
            // In slices: a query is at most 256 KiB (`max_query_size`).
            for slice in of_site.chunks(LOOKUP_IDS) {
                let mut ids = String::new();
                for e in slice {
                    if !ids.is_empty() {
                        ids.push(',');
                    }
                    ids.push_str(&quote(&e.id));
                }
                found.extend(self.rows::<Id>(&format!(
                    "SELECT DISTINCT id FROM events WHERE site = {} AND id IN ({ids})",
                    quote(site)
                ))?);
            }
            held.push((site, found));
        }
        let mut stored: hashbrown::HashSet<(&str, &str)> = hashbrown::HashSet::new();
        for (site, ids) in &held {
            stored.extend(ids.iter().map(|id| (*site, id.id.as_str())));
        }
        let mut rows = String::new();
        let mut outcomes = Vec::with_capacity(batches.len());
        for events in batches {
            let mut inserted = 0;
            for e in events {
                if stored.insert((&e.site, &e.id)) {
                    rows.push_str(&event_json(e).to_string());
                    rows.push('\n');
                    inserted += 1;
                }
            }
            outcomes.push(Appended {
                inserted,
                duplicates: events.len() - inserted,
            });
        }
        if !rows.is_empty() {
            // One insert: ClickHouse has written it (to disk, not yet fsynced by default;
            // see the README's deployment notes) when it answers.
            self.insert(&format!("events ({EVENT_COLUMNS})"), rows)?;
        }
        Ok(outcomes)
    }

    fn sites(&self) -> anyhow::Result<Vec<Site>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            allowed_origins: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT id, argMax(name, version) AS name,
                    argMax(allowed_origins, version) AS allowed_origins
             FROM sites GROUP BY id ORDER BY id",
        )?;
        rows.into_iter()
            .map(|row| {
                let allowed_origins = serde_json::from_str(&row.allowed_origins)
                    .with_context(|| format!("allowed_origins of site {}", row.id))?;
                Ok(Site {
                    id: row.id,
                    name: row.name,
                    allowed_origins,
                })
            })
            .collect()
    }

    fn has_events(&self, site: &str) -> anyhow::Result<bool> {
        // The table's order starts with the site: one granule is read.
        let sql = format!(
            "SELECT count() AS n FROM (SELECT 1 FROM events WHERE site = {} LIMIT 1)",
            quote(site)
        );
        Ok(self.count(&sql)? > 0)
    }

    fn put_site(&self, site: &Site) -> anyhow::Result<()> {
        let row = serde_json::json!({
            "id": site.id, "name": site.name,
            "allowed_origins": serde_json::to_string(&site.allowed_origins)?,
            "created_at": crate::event::now_ms(), "version": version(),
        });
        self.insert("sites", row.to_string())
    }

    fn touches(&self, site: &str, from_ms: i64, to_ms: i64) -> anyhow::Result<Vec<Touch>> {
        let mut touches = Vec::new();
        self.rows_each(
            &format!(
                "SELECT {EVENT_ROW} FROM events
                 WHERE site = {} AND ts >= {from_ms} AND ts < {to_ms}
                 LIMIT 1 BY id",
                quote(site)
            ),
            |row: EventRow| touches.push(Touch::of(row.event())),
        )?;
        Ok(touches)
    }

    fn touches_since(&self, site: &str, after: i64, limit: usize) -> anyhow::Result<Since> {
        // Rows are stored by (site, id), not by insertion: every read by `inserted_at`
        // reads most of the site's granules, so fewer, larger reads load a site faster
        // (10 M events: 84 s in reads of 50 000 rows).
        let limit = limit.max(MIN_READ_ROWS);
        let deletions = self.count("SELECT count() AS n FROM deletions")?;
        // How many events each second holds, up to the settled horizon: the answer ends
        // at a second's end, so that the next one starts at the next second.
        #[derive(Deserialize)]
        struct Second {
            at: i64,
            n: usize,
        }
        let seconds: Vec<Second> = self.rows(&format!(
            "SELECT toInt64(inserted_at) AS at, count() AS n FROM events
             WHERE site = {} AND inserted_at > toDateTime({after})
               AND inserted_at <= now() - {SETTLE_SECS}
             GROUP BY at ORDER BY at",
            quote(site)
        ))?;
        let mut upto = after;
        let mut taken = 0;
        for second in &seconds {
            if taken > 0 && taken + second.n > limit {
                break;
            }
            taken += second.n;
            upto = second.at;
        }
        let more = seconds.last().is_some_and(|s| s.at > upto);
        if upto == after {
            return Ok(Since {
                touches: Vec::new(),
                last: after,
                deletions,
                more: false,
            });
        }
        let mut touches = Vec::with_capacity(taken);
        self.rows_each(
            &format!(
                "SELECT {EVENT_ROW} FROM events
                 WHERE site = {} AND inserted_at > toDateTime({after})
                   AND inserted_at <= toDateTime({upto})
                 LIMIT 1 BY id",
                quote(site)
            ),
            |row: EventRow| touches.push(Touch::of(row.event())),
        )?;
        Ok(Since {
            touches,
            last: upto,
            deletions,
            more,
        })
    }

    fn refresh_every(&self) -> Duration {
        // Answers end SETTLE_SECS before the server's clock: asking more often than once
        // a second per site gains nothing a report could show.
        Duration::from_secs(1)
    }

    fn report(
        &self,
        request: &crate::reports::Request,
    ) -> anyhow::Result<Option<crate::reports::ReportResult>> {
        reports::report(self, request)
    }

    fn daily_salt(&self, day: i64) -> anyhow::Result<[u8; 32]> {
        let salt = self.shared_random("salts", &day.to_string())?;
        // Tomorrow's salt is made today, so that processes never race for it at midnight.
        self.shared_random("salts", &(day + 1).to_string())?;
        self.run(&format!("ALTER TABLE salts DELETE WHERE day < {day}"))?;
        Ok(salt)
    }

    fn secret(&self, name: &str) -> anyhow::Result<[u8; 32]> {
        self.shared_random("secrets", &quote(name))
    }

    fn visitor_events(&self, site: &str, visitor: u64) -> anyhow::Result<Vec<Event>> {
        let rows: Vec<EventRow> = self.rows(&format!(
            "SELECT {EVENT_ROW} FROM events
             WHERE site = {} AND visitor = {visitor} ORDER BY ts, id LIMIT 1 BY id",
            quote(site)
        ))?;
        Ok(rows.into_iter().map(EventRow::event).collect())
    }

    fn delete_visitor(&self, site: &str, visitor: u64) -> anyhow::Result<usize> {
        self.delete_events(&format!("site = {} AND visitor = {visitor}", quote(site)))
    }

    fn delete_before(&self, ts_ms: i64) -> anyhow::Result<usize> {
        let before = self.count(&format!(
            "SELECT uniqExact(site, id) AS n FROM events WHERE ts < {ts_ms}"
        ))?;
        if before == 0 {
            return Ok(0);
        }
        // Whole months before the cutoff's month go by partition; the rest by a mutation.
        let mut dropped = false;
        for holder in &self.holders {
            let old = self.run_on(
                holder,
                &format!(
                    "SELECT DISTINCT partition FROM system.parts
                     WHERE database = {} AND table = {} AND active
                       AND toUInt32(partition) < toYYYYMM(toDateTime(intDiv({ts_ms}, 1000)))",
                    quote(&holder.database),
                    quote(&holder.table)
                ),
            )?;
            for partition in old.lines().map(str::trim).filter(|p| !p.is_empty()) {
                // A month, `YYYYMM`: digits only.
                anyhow::ensure!(
                    partition.bytes().all(|b| b.is_ascii_digit()),
                    "unexpected partition `{partition}`"
                );
                self.run_on(
                    holder,
                    &format!("ALTER TABLE `{}` DROP PARTITION {partition}", holder.table),
                )?;
                dropped = true;
            }
        }
        let rest = self.delete_events(&format!("ts < {ts_ms}"))?;
        if rest == 0 && dropped {
            self.run(&format!("INSERT INTO deletions (events) VALUES ({before})"))?;
        }
        Ok(usize::try_from(before).unwrap_or(usize::MAX))
    }

    fn set_user(&self, email: &str, password_hash: &str) -> anyhow::Result<()> {
        let row = serde_json::json!({
            "email": email, "id": user_id(email), "password_hash": password_hash,
            "created_at": crate::event::now_ms(), "version": version(),
        });
        self.insert("users", row.to_string())
    }

    fn user(&self, email: &str) -> anyhow::Result<Option<(i64, String)>> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            password_hash: String,
        }
        let rows: Vec<Row> = self.rows(&format!(
            "SELECT any(id) AS id, argMax(password_hash, version) AS password_hash
             FROM users WHERE email = {} HAVING count() > 0",
            quote(email)
        ))?;
        Ok(rows.into_iter().next().map(|r| (r.id, r.password_hash)))
    }

    fn add_token(
        &self,
        user: i64,
        hash: &[u8; 32],
        kind: &str,
        expires_at: Option<i64>,
    ) -> anyhow::Result<()> {
        let row = serde_json::json!({
            "hash": hex(hash), "user_id": user, "kind": kind, "expires_at": expires_at,
            "deleted": 0, "version": version(),
        });
        self.insert("tokens", row.to_string())
    }

    fn token_user(&self, hash: &[u8; 32], now_ms: i64) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        struct Row {
            email: String,
        }
        let rows: Vec<Row> = self.rows(&format!(
            "SELECT any(email) AS email FROM users WHERE id IN (
                 SELECT user_id FROM (
                     SELECT argMax(user_id, version) AS user_id,
                            argMax(expires_at, version) AS expires_at,
                            argMax(deleted, version) AS deleted
                     FROM tokens WHERE hash = {} GROUP BY hash)
                 WHERE deleted = 0 AND (isNull(expires_at) OR expires_at > {now_ms}))
             HAVING count() > 0",
            quote(&hex(hash))
        ))?;
        Ok(rows.into_iter().next().map(|r| r.email))
    }

    fn delete_token(&self, hash: &[u8; 32]) -> anyhow::Result<()> {
        self.insert("tokens", token_deleted(&hex(hash)))
    }

    fn delete_tokens(&self, user: i64, kind: Option<&str>) -> anyhow::Result<usize> {
        #[derive(Deserialize)]
        struct Row {
            hash: String,
        }
        let kind = kind.map_or_else(|| "1".to_owned(), |k| format!("kind = {}", quote(k)));
        let live: Vec<Row> = self.rows(&format!(
            "SELECT hash FROM (
                 SELECT hash, argMax(user_id, version) AS user_id, argMax(kind, version) AS kind,
                        argMax(deleted, version) AS deleted
                 FROM tokens GROUP BY hash)
             WHERE deleted = 0 AND user_id = {user} AND {kind}"
        ))?;
        if live.is_empty() {
            return Ok(0);
        }
        let rows: Vec<String> = live.iter().map(|r| token_deleted(&r.hash)).collect();
        self.insert("tokens", rows.join("\n"))?;
        Ok(live.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redacted("http://admin:S3cret@ch.internal:8123/"),
            "http://admin:***@ch.internal:8123/"
        );
        assert_eq!(redacted("http://127.0.0.1:8123/"), "http://127.0.0.1:8123/");
        assert_eq!(redacted("not a url S3cret"), "the URL given");
        let error = ClickHouseStore::open("http://admin:S3cret@127.0.0.1:1/", "spur")
            .err()
            .unwrap();
        let message = format!("{error:#}");
        assert!(!message.contains("S3cret"), "{message}");
    }

    #[test]
    fn engine_arguments_are_read_as_system_tables_shows_them() {
        assert_eq!(
            engine_arguments(
                "Distributed(spur_cluster, 'spur', events_local, cityHash64(site, id))"
            ),
            [
                "spur_cluster",
                "spur",
                "events_local",
                "cityHash64(site, id)"
            ]
        );
        assert_eq!(
            engine_arguments("Distributed('c', '', `t`)"),
            ["c", "", "t"]
        );
        assert_eq!(engine_arguments("MergeTree"), [""]);
    }

    #[test]
    fn string_literals_are_quoted() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote(r"it's \ 'x'"), r"'it\'s \\ \'x\''");
        assert_eq!(quote("nul\0"), r"'nul\0'");
        // A value cannot end the literal early: every quote inside is escaped.
        let quoted = quote(r"\' OR 1=1 --");
        assert_eq!(quoted, r"'\\\' OR 1=1 --'");
    }

    #[test]
    fn secrets_round_trip_as_hex() {
        let value: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(unhex(&hex(&value)).unwrap(), value);
        assert!(unhex("abc").is_err());
        assert!(unhex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn account_ids_depend_on_the_email_only() {
        assert_eq!(user_id("ann@shop.example"), user_id("ann@shop.example"));
        assert_ne!(user_id("ann@shop.example"), user_id("bob@shop.example"));
        assert!(user_id("ann@shop.example") >= 0);
    }
}
