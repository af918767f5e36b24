//! The embedded store: one SQLite file in the data directory.
//!
//! WAL mode with `synchronous = FULL`: a commit returns only after the WAL is fsynced, so
//! an acknowledged batch survives a crash of the process *and* of the machine. WAL lets
//! reports read while the writer appends. Two connections, each behind a `Mutex`: the
//! writer's (only [`crate::writer`] appends, so it is never contended on the hot path)
//! and one for reads, so a slow report never delays a commit. A visitor's export or
//! deletion scans the table on a connection of its own (there is no index of visitors),
//! so it holds up neither.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, mpsc};

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Appended, Since, Store};
use crate::event::{Device, Event, EventKind, Stage, Utm};
use crate::journey::{Touch, revenue};
use crate::site::Site;

/// Schema migrations, applied in order; `PRAGMA user_version` counts the applied ones.
/// Never edit a released migration: append a new one.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE sites (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        allowed_origins TEXT NOT NULL DEFAULT '[]',  -- JSON array of origins; empty = any
        created_at      INTEGER NOT NULL
    );
    CREATE TABLE events (
        site         TEXT NOT NULL,
        id           TEXT NOT NULL,
        visitor      INTEGER NOT NULL,
        ts           INTEGER NOT NULL,   -- ms since epoch, collector clock
        received_at  INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        touchpoint   TEXT NOT NULL,
        stage        TEXT,
        url          TEXT NOT NULL,
        referrer     TEXT,
        utm_source   TEXT,
        utm_medium   TEXT,
        utm_campaign TEXT,
        utm_term     TEXT,
        utm_content  TEXT,
        props        TEXT,               -- JSON object
        PRIMARY KEY (site, id)
    );
    CREATE INDEX events_by_time ON events (site, ts);
    CREATE TABLE salts (
        day  INTEGER PRIMARY KEY,        -- UTC days since the epoch
        salt BLOB NOT NULL
    );
    INSERT INTO sites (id, name, allowed_origins, created_at)
        VALUES ('demo', 'Demo shop', '[]', CAST(unixepoch('subsec') * 1000 AS INTEGER));
"#,
    r#"
    -- Install-wide secrets, created on first use (the key of the consented visitor id).
    CREATE TABLE secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    -- One visitor's events: export, deletion, timelines.
    CREATE INDEX events_by_visitor ON events (site, visitor, ts);
    -- Retention deletes by time across sites.
    CREATE INDEX events_by_ts ON events (ts);
"#,
    r#"
    -- The device class, from the user agent at ingest (the user agent is not kept).
    ALTER TABLE events ADD COLUMN device TEXT NOT NULL DEFAULT 'desktop';
"#,
    r#"
    -- Counts deleted events, whichever process deletes them, so that in-memory copies of
    -- the events (the reports' cache) know to start over.
    CREATE TABLE deletions (n INTEGER NOT NULL);
    INSERT INTO deletions (n) VALUES (0);
    CREATE TRIGGER count_deletions AFTER DELETE ON events
        BEGIN UPDATE deletions SET n = n + 1; END;
"#,
    r#"
    -- Marketers' accounts and their sign-in sessions and API tokens (hashes only).
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        hash       BLOB PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,        -- session | api
        created_at INTEGER NOT NULL,
        expires_at INTEGER               -- ms since epoch; NULL: until deleted
    );
"#,
    r#"
    -- Reports read the events in insertion order (rowid) into memory, never by site and
    -- time; the index only cost every insert a write at a random place.
    DROP INDEX events_by_time;
"#,
    r#"
    -- A visitor's events are found by scanning (privacy exports and deletions only):
    -- the index put every stored event at a random place, a page write per event in
    -- each commit, which cost ingest nearly half its rate.
    DROP INDEX events_by_visitor;
"#,
];

pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    /// The database file, for the scans that get a connection of their own.
    path: PathBuf,
    /// Dropped with the store, which ends the checkpointer thread.
    _checkpointer: mpsc::Sender<()>,
}

impl SqliteStore {
    /// Whether `dir` holds a database.
    pub fn exists(dir: &Path) -> bool {
        dir.join("spur.sqlite3").is_file()
    }

    /// Writes a consistent copy of the database in `dir` to the new file `to`, while a
    /// collector may go on writing (a read transaction: SQLite's `VACUUM INTO`). The
    /// copy leaves out the daily salts of anonymous visitor ids, so that a kept backup
    /// cannot tie a day's ids to addresses after the live salt is forgotten (a restored
    /// store makes a new salt: today's anonymous journeys start anew there). Only the
    /// owner may read the copy: it holds the install's secrets and password hashes.
    /// Answers how many events the copy holds.
    pub fn backup(dir: &Path, to: &Path) -> anyhow::Result<u64> {
        let path = dir.join("spur.sqlite3");
        anyhow::ensure!(path.is_file(), "no Spur database in {}", dir.display());
        anyhow::ensure!(
            !to.exists(),
            "{} exists already; name a new file",
            to.display()
        );
        // Written beside the target and renamed into place once complete.
        let mut partial = to.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let mut create = std::fs::OpenOptions::new();
        create.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
        create
            .open(&partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        let copy = || -> anyhow::Result<u64> {
            let source = connect(&path)?;
            let target = partial
                .to_str()
                .ok_or_else(|| anyhow::anyhow!("{} is not UTF-8", partial.display()))?;
            source.execute("VACUUM INTO ?1", [target])?;
            drop(source);
            let copy = Connection::open(&partial)?;
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            copy.execute("DELETE FROM salts", [])?;
            // Rewritten without the freed pages: no salt's bytes are left in the file.
            copy.execute("VACUUM", [])?;
            let events = copy.query_row("SELECT count(*) FROM events", [], |row| row.get(0))?;
            drop(copy);
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, to)?;
            if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::File::open(parent)?.sync_all()?;
            }
            Ok(events)
        };
        copy()
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&partial);
            })
            .with_context(|| format!("backing up {} to {}", path.display(), to.display()))
    }

    /// Opens (creating and migrating if needed) the database in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<SqliteStore> {
        // Only its owner may enter a data directory this creates: the file holds the
        // install's secrets, password and token hashes.
        let mut create = std::fs::DirBuilder::new();
        create.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut create, 0o700);
        create
            .create(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        let path = dir.join("spur.sqlite3");
        let mut writer = connect(&path)?;
        writer.pragma_update(None, "cache_size", -CACHE_KIB)?;
        writer.pragma_update(None, "wal_autocheckpoint", BACKSTOP_CHECKPOINT_PAGES)?;
        migrate(&mut writer).with_context(|| format!("migrating {}", path.display()))?;
        let reader = connect(&path)?;
        let checkpointer = checkpointer(connect(&path)?);
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            _checkpointer: checkpointer,
            path,
        })
    }

    /// Scans for `visitor`'s rows (there is no index of visitors) on a connection of its
    /// own, in one read transaction, without the writer's lock: ingest goes on meanwhile.
    fn visitor_rows(&self, site: &str, visitor: u64) -> anyhow::Result<VisitorRows> {
        let mut conn = connect(&self.path)?;
        let tx = conn.transaction()?;
        let last = tx.query_row("SELECT COALESCE(MAX(rowid), 0) FROM events", [], |row| {
            row.get(0)
        })?;
        let rows = tx
            .prepare("SELECT rowid FROM events WHERE site = ?1 AND visitor = ?2")?
            .query_map(params![site, visitor as i64], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(VisitorRows { rows, last })
    }

    /// Deletes the rows [`SqliteStore::visitor_rows`] found, and the visitor's rows
    /// appended after its scan.
    fn delete_rows(&self, site: &str, visitor: u64, found: VisitorRows) -> anyhow::Result<usize> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let mut deleted = 0;
        {
            // (Site and visitor checked again: a row could have gone and its rowid been
            // taken meanwhile.)
            let mut delete =
                tx.prepare("DELETE FROM events WHERE rowid = ?1 AND site = ?2 AND visitor = ?3")?;
            for rowid in found.rows {
                deleted += delete.execute(params![rowid, site, visitor as i64])?;
            }
        }
        deleted += tx.execute(
            "DELETE FROM events WHERE rowid > ?1 AND site = ?2 AND visitor = ?3",
            params![found.last, site, visitor as i64],
        )?;
        tx.commit()?;
        Ok(deleted)
    }
}

/// A visitor's rows, found by a scan: their rowids, and the last rowid the scan saw.
struct VisitorRows {
    rows: Vec<i64>,
    last: i64,
}

/// How long the checkpointer waits once it has caught up with the WAL.
const CHECKPOINT_IDLE: std::time::Duration = std::time::Duration::from_millis(50);

/// The WAL's size, in pages, at which the writer checkpoints itself after a commit
/// (SQLite's automatic checkpoint; its default is 1 000). The checkpointer thread has
/// then copied nearly all of it, and the writer's checkpoint, the only one that sees no
/// new commit come in meanwhile, completes it: the next commit starts the WAL over.
const BACKSTOP_CHECKPOINT_PAGES: i64 = 4_000;

/// Starts the thread that checkpoints on `conn`, a connection of its own: passive
/// checkpoints (they never block the writer) copy the committed pages into the database
/// file and sync it, one after the other while commits keep coming, else every
/// [`CHECKPOINT_IDLE`]. Before, SQLite did that in the commit that took the WAL past
/// 1 000 pages: copying 4 MB and an fsync made every request waiting for that commit
/// wait for them too (the p99 of ingest), while the other core had time to spare. The
/// thread ends when the returned sender is dropped.
fn checkpointer(conn: Connection) -> mpsc::Sender<()> {
    let (stop, stopped) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("spur-checkpoint".into())
        .spawn(move || {
            let (mut wait, mut last_copied) = (CHECKPOINT_IDLE, 0);
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                // (busy, frames in the WAL, frames copied); a checkpoint that fails
                // (the disk, say) is tried again later: the WAL keeps the data
                // meanwhile, and the writer's own checkpoint bounds its size.
                let pass = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                    Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
                });
                wait = match pass {
                    // It copied frames (a reader's snapshot may hold it back), and
                    // commits came meanwhile: go on at once.
                    Ok((frames, copied)) if copied > last_copied && copied < frames => {
                        last_copied = copied;
                        std::time::Duration::ZERO
                    }
                    Ok((_, copied)) => {
                        last_copied = copied;
                        CHECKPOINT_IDLE
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "checkpoint failed");
                        CHECKPOINT_IDLE
                    }
                };
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no checkpointer thread; the writer checkpoints alone");
    }
    stop
}

/// Pages the writer keeps in memory, in KiB (SQLite's default is 2 MiB): with millions of
/// events, a smaller cache makes inserts read index pages back from the file again and
/// again. (The reader only scans, and keeps the default.)
const CACHE_KIB: i64 = 64 * 1024;

fn connect(path: &Path) -> anyhow::Result<Connection> {
    // (The first statement is where a file that is no database fails: named too.)
    let open = || -> rusqlite::Result<Connection> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    };
    open().with_context(|| format!("opening {}", path.display()))
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    anyhow::ensure!(
        applied <= MIGRATIONS.len(),
        "the database has schema version {applied}, newer than this binary's {}",
        MIGRATIONS.len()
    );
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("migration {}", version + 1))?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// A stored event as the journey engine sees it.
fn touch_of_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Touch> {
    let kind = EventKind::parse(&row.get::<_, String>(3)?).unwrap_or(EventKind::Custom);
    let props: Option<String> = row.get(11)?;
    Ok(Touch {
        visitor: row.get::<_, i64>(0)? as u64,
        ts: row.get(1)?,
        id: row.get(2)?,
        kind,
        touchpoint: row.get(4)?,
        stage: row
            .get::<_, Option<String>>(5)?
            .and_then(|s| Stage::parse(&s)),
        url: row.get(6)?,
        referrer: row.get(7)?,
        utm_source: row.get(8)?,
        utm_medium: row.get(9)?,
        device: Device::parse(&row.get::<_, String>(10)?).unwrap_or(Device::Desktop),
        revenue: (kind == EventKind::Custom)
            .then(|| revenue(props.as_deref()))
            .flatten(),
        props,
    })
}

/// A poisoned lock only means another thread panicked mid-call; SQLite's own transaction
/// rollback keeps the database consistent, so the connection is still usable.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Store for SqliteStore {
    fn append(&self, batches: &[Vec<Event>]) -> anyhow::Result<Vec<Appended>> {
        let mut conn = lock(&self.writer);
        // IMMEDIATE: the write lock is taken at the start, so an append of no events
        // (the collector's check that it can commit, `Queue::can_commit`) takes it too.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batches.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (site, id, visitor, ts, received_at, kind, touchpoint, stage,
                    url, referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, props, device)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?;
            for events in batches {
                let mut inserted = 0;
                for e in events {
                    inserted += insert.execute(params![
                        e.site,
                        e.id,
                        // SQLite integers are signed; the bits round-trip unchanged.
                        e.visitor as i64,
                        e.ts,
                        e.received_at,
                        e.kind.as_str(),
                        e.touchpoint,
                        e.stage.map(|s| s.as_str()),
                        e.url,
                        e.referrer,
                        e.utm.source,
                        e.utm.medium,
                        e.utm.campaign,
                        e.utm.term,
                        e.utm.content,
                        e.props,
                        e.device.as_str(),
                    ])?;
                }
                outcomes.push(Appended {
                    inserted,
                    duplicates: events.len() - inserted,
                });
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn put_site(&self, site: &Site) -> anyhow::Result<()> {
        lock(&self.writer).execute(
            "INSERT INTO sites (id, name, allowed_origins, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                                            allowed_origins = excluded.allowed_origins",
            params![
                site.id,
                site.name,
                serde_json::to_string(&site.allowed_origins)?,
                crate::event::now_ms()
            ],
        )?;
        Ok(())
    }

    fn has_events(&self, site: &str) -> anyhow::Result<bool> {
        // The primary key's index (site, id) answers it.
        Ok(lock(&self.reader).query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE site = ?1)",
            [site],
            |row| row.get(0),
        )?)
    }

    fn sites(&self) -> anyhow::Result<Vec<Site>> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare("SELECT id, name, allowed_origins FROM sites ORDER BY id")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (id, name, origins) = row?;
            let allowed_origins = serde_json::from_str(&origins)
                .with_context(|| format!("allowed_origins of site {id}"))?;
            Ok(Site {
                id,
                name,
                allowed_origins,
            })
        })
        .collect()
    }

    fn touches(&self, site: &str, from_ms: i64, to_ms: i64) -> anyhow::Result<Vec<Touch>> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare_cached(
            "SELECT visitor, ts, id, kind, touchpoint, stage, url, referrer, utm_source,
                    utm_medium, device, props
             FROM events WHERE site = ?1 AND ts >= ?2 AND ts < ?3",
        )?;
        let rows = stmt.query_map(params![site, from_ms, to_ms], touch_of_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn touches_since(&self, site: &str, after: i64, limit: usize) -> anyhow::Result<Since> {
        let conn = lock(&self.reader);
        // One read transaction: the deletion count and the rows are of the same moment.
        let tx = conn.unchecked_transaction()?;
        let deletions: u64 = tx.query_row("SELECT n FROM deletions", [], |row| row.get(0))?;
        let mut last = after;
        let mut touches = Vec::new();
        {
            // `+site`: walk the table by rowid from `after`; an index on the site would
            // read all of the site's events for every chunk.
            let mut stmt = tx.prepare_cached(
                "SELECT visitor, ts, id, kind, touchpoint, stage, url, referrer, utm_source,
                        utm_medium, device, props, rowid
                 FROM events WHERE rowid > ?2 AND +site = ?1 ORDER BY rowid LIMIT ?3",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut rows = stmt.query(params![site, after, limit])?;
            while let Some(row) = rows.next()? {
                touches.push(touch_of_row(row)?);
                last = row.get(12)?;
            }
        }
        tx.commit()?;
        Ok(Since {
            more: touches.len() == limit,
            touches,
            last,
            deletions,
        })
    }

    fn daily_salt(&self, day: i64) -> anyhow::Result<[u8; 32]> {
        let mut conn = lock(&self.writer);
        // IMMEDIATE: a transaction that reads first and then writes cannot wait for
        // another process's write lock (SQLite answers "busy" at once, not after the
        // busy timeout), and this one writes.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<Vec<u8>> = tx
            .query_row("SELECT salt FROM salts WHERE day = ?1", [day], |row| {
                row.get(0)
            })
            .optional()?;
        let salt = match existing.and_then(|s| <[u8; 32]>::try_from(s).ok()) {
            Some(salt) => salt,
            None => {
                let salt: [u8; 32] = rand::random();
                tx.execute(
                    "INSERT OR REPLACE INTO salts (day, salt) VALUES (?1, ?2)",
                    params![day, &salt[..]],
                )?;
                salt
            }
        };
        tx.execute("DELETE FROM salts WHERE day < ?1", [day])?;
        tx.commit()?;
        Ok(salt)
    }

    fn secret(&self, name: &str) -> anyhow::Result<[u8; 32]> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        // Keeps the existing value: every process sharing the store agrees on it.
        let candidate: [u8; 32] = rand::random();
        tx.execute(
            "INSERT OR IGNORE INTO secrets (name, value) VALUES (?1, ?2)",
            params![name, &candidate[..]],
        )?;
        let value: Vec<u8> =
            tx.query_row("SELECT value FROM secrets WHERE name = ?1", [name], |row| {
                row.get(0)
            })?;
        tx.commit()?;
        <[u8; 32]>::try_from(value).map_err(|_| anyhow::anyhow!("secret {name} is not 32 bytes"))
    }

    fn visitor_events(&self, site: &str, visitor: u64) -> anyhow::Result<Vec<Event>> {
        // A scan of the table (there is no index of visitors, see the migrations), on a
        // connection of its own: the reports' reader is not held up meanwhile.
        let conn = connect(&self.path)?;
        let mut stmt = conn.prepare(
            "SELECT site, id, visitor, ts, received_at, kind, touchpoint, stage, url, referrer,
                    utm_source, utm_medium, utm_campaign, utm_term, utm_content, props, device
             FROM events WHERE site = ?1 AND visitor = ?2 ORDER BY ts, id",
        )?;
        let rows = stmt.query_map(params![site, visitor as i64], |row| {
            Ok(Event {
                site: row.get(0)?,
                id: row.get(1)?,
                visitor: row.get::<_, i64>(2)? as u64,
                ts: row.get(3)?,
                received_at: row.get(4)?,
                // Only validated values were written; an unknown one means a newer
                // binary wrote it, and the export shows it as a custom event.
                kind: EventKind::parse(&row.get::<_, String>(5)?).unwrap_or(EventKind::Custom),
                touchpoint: row.get(6)?,
                stage: row
                    .get::<_, Option<String>>(7)?
                    .and_then(|s| Stage::parse(&s)),
                url: row.get(8)?,
                referrer: row.get(9)?,
                utm: Utm {
                    source: row.get(10)?,
                    medium: row.get(11)?,
                    campaign: row.get(12)?,
                    term: row.get(13)?,
                    content: row.get(14)?,
                },
                props: row.get(15)?,
                device: Device::parse(&row.get::<_, String>(16)?).unwrap_or(Device::Desktop),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn delete_visitor(&self, site: &str, visitor: u64) -> anyhow::Result<usize> {
        let found = self.visitor_rows(site, visitor)?;
        self.delete_rows(site, visitor, found)
    }

    fn set_user(&self, email: &str, password_hash: &str) -> anyhow::Result<()> {
        lock(&self.writer).execute(
            "INSERT INTO users (email, password_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash",
            params![email, password_hash, crate::event::now_ms()],
        )?;
        Ok(())
    }

    fn user(&self, email: &str) -> anyhow::Result<Option<(i64, String)>> {
        Ok(lock(&self.reader)
            .query_row(
                "SELECT id, password_hash FROM users WHERE email = ?1",
                [email],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    fn add_token(
        &self,
        user: i64,
        hash: &[u8; 32],
        kind: &str,
        expires_at: Option<i64>,
    ) -> anyhow::Result<()> {
        lock(&self.writer).execute(
            "INSERT INTO tokens (hash, user_id, kind, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&hash[..], user, kind, crate::event::now_ms(), expires_at],
        )?;
        Ok(())
    }

    fn token_user(&self, hash: &[u8; 32], now_ms: i64) -> anyhow::Result<Option<String>> {
        Ok(lock(&self.reader)
            .query_row(
                "SELECT users.email FROM tokens JOIN users ON users.id = tokens.user_id
                 WHERE tokens.hash = ?1 AND (tokens.expires_at IS NULL OR tokens.expires_at > ?2)",
                params![&hash[..], now_ms],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn delete_token(&self, hash: &[u8; 32]) -> anyhow::Result<()> {
        lock(&self.writer).execute("DELETE FROM tokens WHERE hash = ?1", [&hash[..]])?;
        Ok(())
    }

    fn delete_tokens(&self, user: i64, kind: Option<&str>) -> anyhow::Result<usize> {
        Ok(lock(&self.writer).execute(
            "DELETE FROM tokens WHERE user_id = ?1 AND (?2 IS NULL OR kind = ?2)",
            params![user, kind],
        )?)
    }

    fn delete_before(&self, ts_ms: i64) -> anyhow::Result<usize> {
        let mut deleted = 0;
        // In slices, so that the writer's lock is never held for long.
        loop {
            let n = lock(&self.writer).execute(
                "DELETE FROM events WHERE rowid IN
                    (SELECT rowid FROM events WHERE ts < ?1 LIMIT 10000)",
                [ts_ms],
            )?;
            deleted += n;
            if n == 0 {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(events: Vec<Event>) -> Vec<String> {
        events.into_iter().map(|e| e.id).collect()
    }

    /// A visitor's events are found by a scan, without the writer's lock: what is
    /// appended between that scan and the deletion goes too, and nobody else's.
    #[test]
    fn deleting_a_visitor_takes_the_events_stored_during_the_scan_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let batch = |events: Vec<Event>| store.append(&[events]).unwrap();
        batch(vec![
            Event::landing("visitor-7-event-1", 7, 3),
            Event::landing("visitor-8-event-1", 8, 1),
            Event::landing("visitor-7-event-2", 7, 2),
        ]);
        assert_eq!(
            ids(store.visitor_events("demo", 7).unwrap()),
            ["visitor-7-event-2", "visitor-7-event-1"],
            "in time order"
        );

        let found = store.visitor_rows("demo", 7).unwrap();
        assert_eq!(found.rows.len(), 2);
        batch(vec![
            Event::landing("visitor-7-event-3", 7, 4),
            Event::landing("visitor-8-event-2", 8, 5),
        ]);
        assert_eq!(store.delete_rows("demo", 7, found).unwrap(), 3);
        assert!(store.visitor_events("demo", 7).unwrap().is_empty());
        assert_eq!(
            ids(store.visitor_events("demo", 8).unwrap()),
            ["visitor-8-event-1", "visitor-8-event-2"]
        );
        assert_eq!(store.delete_visitor("demo", 8).unwrap(), 2);
        assert_eq!(store.delete_visitor("demo", 8).unwrap(), 0);
    }

    /// Commits far below SQLite's own checkpoint (1 000 pages) and the writer's
    /// backstop reach the database file all the same: the checkpointer thread copies
    /// them, off the writer's path. Checked on a copy of the file alone, without its WAL.
    #[test]
    fn the_checkpointer_copies_commits_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let events: Vec<Event> = (0..2_000)
            .map(|i| Event::landing(&format!("event-{i:05}"), i, i as i64))
            .collect();
        store.append(&[events]).unwrap();
        let wal = std::fs::metadata(dir.path().join("spur.sqlite3-wal"))
            .unwrap()
            .len();
        assert!(
            wal < 200 * 4096,
            "{wal} B of WAL: the test must stay below SQLite's own checkpoint"
        );
        // The events the database file holds without its WAL (a copy taken during a
        // checkpoint may not open: that counts as none yet).
        let copy = tempfile::tempdir().unwrap();
        let in_file = || {
            let path = copy.path().join("file-alone.sqlite3");
            std::fs::copy(dir.path().join("spur.sqlite3"), &path).ok()?;
            let conn = Connection::open(&path).ok()?;
            conn.query_row("SELECT COUNT(*) FROM events", [], |row| {
                row.get::<_, i64>(0)
            })
            .ok()
        };
        let waited = std::time::Instant::now();
        while in_file() != Some(2_000) {
            assert!(
                waited.elapsed() < std::time::Duration::from_secs(5),
                "the database file alone holds {:?} of the 2 000 events",
                in_file()
            );
            std::thread::sleep(CHECKPOINT_IDLE / 5);
        }
        assert_eq!(store.visitor_events("demo", 1_999).unwrap().len(), 1);
    }

    /// A new day's salt is written while another process holds the write lock for a
    /// moment: the store waits for it (the busy timeout) instead of failing at once.
    #[test]
    fn a_new_salt_waits_for_another_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let other = Connection::open(dir.path().join("spur.sqlite3")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            other.execute_batch("ROLLBACK").unwrap();
        });
        let salt = store.daily_salt(20_000).unwrap();
        release.join().unwrap();
        assert_eq!(store.daily_salt(20_000).unwrap(), salt);
    }

    /// A backup is a complete store (events, sites, accounts, secrets) without the
    /// salts, readable by its owner only, and never overwrites a file.
    #[test]
    fn a_backup_is_the_store_without_its_salts() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let events: Vec<Event> = (0..50)
            .map(|i| {
                Event::landing(
                    &format!("backup-event-{i:04}"),
                    i,
                    1_700_000_000_000 + i as i64,
                )
            })
            .collect();
        store.append(&[events]).unwrap();
        store.set_user("ann@shop.example", "hash").unwrap();
        let secret = store.secret("visitor-key").unwrap();
        let salt = store.daily_salt(20_500).unwrap();

        let to = dir.path().join("backup.sqlite3");
        assert_eq!(SqliteStore::backup(dir.path(), &to).unwrap(), 50);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&to).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let bytes = std::fs::read(&to).unwrap();
        assert!(
            !bytes.windows(salt.len()).any(|w| w == salt),
            "the salt's bytes are in the backup"
        );
        assert!(bytes.windows(secret.len()).any(|w| w == secret));
        let error = SqliteStore::backup(dir.path(), &to).unwrap_err();
        assert!(format!("{error:#}").contains("exists already"), "{error:#}");

        // Restored: a data directory with the copy as its database.
        let restored = tempfile::tempdir().unwrap();
        std::fs::copy(&to, restored.path().join("spur.sqlite3")).unwrap();
        let copy = SqliteStore::open(restored.path()).unwrap();
        assert_eq!(copy.touches("demo", i64::MIN, i64::MAX).unwrap().len(), 50);
        assert!(copy.user("ann@shop.example").unwrap().is_some());
        assert_eq!(copy.secret("visitor-key").unwrap(), secret);
        assert_ne!(copy.daily_salt(20_500).unwrap(), salt);
    }
}
