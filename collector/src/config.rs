//! Command-line flags (with environment fallbacks) and the validated [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::ratelimit::Rate;

/// Spur: customer-journey analytics. One binary collects events from the tracker, stores
/// them, and serves reports, the dashboard, the demo shop and the tracker bundle.
#[derive(Debug, Parser)]
#[command(name = "spur", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the collector: ingest API, reports API, dashboard, demo shop and tracker.
    Serve(ServeArgs),
    /// Export or delete everything stored about one visitor (data-subject requests).
    #[command(subcommand)]
    Visitor(VisitorCommand),
    /// Print the HTTP API's OpenAPI document (JSON), e.g. for client generators.
    Openapi,
    /// Print a report in the terminal, e.g. `spur report funnel --site demo -p steps=landing,cart`.
    Report(ReportArgs),
    /// Marketers' accounts: `spur user add --email ann@shop.example` (the password is read
    /// from standard input).
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for the reports API: `spur token create --email ann@shop.example`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy the embedded database to a new file, also while the collector runs:
    /// `spur backup --to spur-2026-12-07.sqlite3`.
    Backup(BackupArgs),
}

/// `spur backup`: the embedded store only (a ClickHouse store is backed up with
/// ClickHouse's own `BACKUP`).
#[derive(Debug, Args)]
#[command(
    after_help = "To restore: stop the collector, put the copy into an empty data \
directory as spur.sqlite3 and start the collector on that directory. The copy holds \
everything (events, sites, accounts, tokens, secrets) except the daily salts of \
anonymous visitor ids: a restored store makes a new one, and today's anonymous \
journeys start anew there. Only its owner may read the copy."
)]
pub struct BackupArgs {
    /// Directory of the embedded database.
    #[arg(long, env = "SPUR_DATA", default_value = "data")]
    pub data: PathBuf,

    /// The new file to write (never overwritten).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, or set the password of an existing one (which signs it out
    /// everywhere). The password is the first line of standard input (at least 10
    /// characters).
    Add(AccountArgs),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an account and print it (it is shown only once). Send it
    /// as `Authorization: Bearer <token>`.
    Create(AccountArgs),
    /// Revoke every API token of an account and end its sign-in sessions (a leaked token,
    /// a lost laptop).
    Revoke(AccountArgs),
}

#[derive(Debug, Args)]
pub struct AccountArgs {
    #[command(flatten)]
    pub store: StoreArgs,

    #[arg(long)]
    pub email: String,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// overview, paths, explore, transitions, funnel, stages, touchpoints, channels,
    /// referrals, visitor, feedback or experiments.
    pub report: String,

    #[command(flatten)]
    pub store: StoreArgs,

    /// The site to report on.
    #[arg(long)]
    pub site: String,

    /// First day (UTC, inclusive), e.g. 2026-11-01; default: six days before `--to`.
    #[arg(long)]
    pub from: Option<String>,

    /// Last day (UTC, inclusive); default: today.
    #[arg(long)]
    pub to: Option<String>,

    /// Any other report parameter as name=value, as in the HTTP API
    /// (e.g. `-p steps=landing,cart -p window=3600`, `-p group=/product/*:product`).
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// table (for people), csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,

    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "SPUR_SESSION_GAP_MINUTES", default_value_t = 30)]
    pub session_gap_minutes: u32,
}

#[derive(Debug, Subcommand)]
pub enum VisitorCommand {
    /// Print every stored event of the visitor as JSON.
    Export(VisitorArgs),
    /// Delete every stored event of the visitor; prints how many were deleted.
    Delete(VisitorArgs),
}

#[derive(Debug, Args)]
pub struct VisitorArgs {
    #[command(flatten)]
    pub store: StoreArgs,

    /// The site the visitor visited.
    #[arg(long)]
    pub site: String,

    #[command(flatten)]
    pub who: WhoArgs,
}

/// A visitor, by the id reports show or by the tracker's first-party id.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct WhoArgs {
    /// The visitor id as reports and exports show it (16 hex digits).
    #[arg(long)]
    pub id: Option<String>,

    /// The first-party id the tracker keeps after consent (`spur.consent(true)`).
    #[arg(long)]
    pub uid: Option<String>,

    /// The site's reference for a customer it identified (`spur.identify(…)`).
    #[arg(long)]
    pub customer: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0:8080 to accept connections from other machines.
    #[arg(long, env = "SPUR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Minutes of inactivity after which a visitor's session ends (1–1440).
    #[arg(long, env = "SPUR_SESSION_GAP_MINUTES", default_value_t = 30)]
    pub session_gap_minutes: u32,

    /// Batches the ingest queue holds before answering 503 (at most 100 events each).
    #[arg(long, env = "SPUR_QUEUE_CAPACITY", default_value_t = 1024)]
    pub queue_capacity: usize,

    /// Ingest requests a second one IP address may send (bursts of ten times that);
    /// more get 429. 0 turns the limit off.
    #[arg(long, env = "SPUR_RATE_LIMIT_IP", default_value_t = 20)]
    pub rate_limit_ip: u32,

    /// Ingest requests a second one site may receive (bursts of ten times that);
    /// more get 429. 0 turns the limit off.
    #[arg(long, env = "SPUR_RATE_LIMIT_SITE", default_value_t = 5000)]
    pub rate_limit_site: u32,

    /// Take the client's address from the last `X-Forwarded-For` entry, as set by a
    /// reverse proxy in front of the collector. Only with such a proxy: otherwise clients
    /// could choose their address (and dodge the rate limit).
    #[arg(long, env = "SPUR_BEHIND_PROXY")]
    pub behind_proxy: bool,

    /// Delete raw events older than this many days (checked hourly). 0 keeps them forever.
    #[arg(long, env = "SPUR_RETENTION_DAYS", default_value_t = 0)]
    pub retention_days: u32,

    /// Bearer token for the visitor export and deletion API (`/api/v1/visitors`), at
    /// least 16 characters; without one, that API is off (the `spur visitor` command
    /// still works).
    #[arg(long, env = "SPUR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Create (or reset) the account `demo@spur.example` with a new random password and
    /// print both, for trying Spur out.
    #[arg(long)]
    pub demo_account: bool,
}

/// Where events, sites and accounts are stored.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// `sqlite`: the embedded database in `--data`, for one collector process.
    /// `clickhouse`: a ClickHouse server, shared by any number of collector processes.
    #[arg(
        long = "store",
        env = "SPUR_STORE",
        value_enum,
        default_value = "sqlite"
    )]
    pub kind: StoreKind,

    /// Directory of the embedded database (created if missing).
    #[arg(long, env = "SPUR_DATA", default_value = "data")]
    pub data: PathBuf,

    /// ClickHouse's HTTP interface, with `--store clickhouse`. Credentials, if any, in the
    /// URL (`http://user:password@host:8123/`).
    #[arg(
        long,
        env = "SPUR_CLICKHOUSE_URL",
        default_value = "http://127.0.0.1:8123/",
        hide_env_values = true
    )]
    pub clickhouse_url: String,

    /// The ClickHouse database Spur's tables live in (created if missing).
    #[arg(long, env = "SPUR_CLICKHOUSE_DATABASE", default_value = "spur")]
    pub clickhouse_database: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    Sqlite,
    Clickhouse,
}

/// Which store to open, checked.
#[derive(Debug, Clone)]
pub enum StoreChoice {
    Sqlite(PathBuf),
    ClickHouse { url: String, database: String },
}

impl From<StoreArgs> for StoreChoice {
    fn from(args: StoreArgs) -> StoreChoice {
        match args.kind {
            StoreKind::Sqlite => StoreChoice::Sqlite(args.data),
            StoreKind::Clickhouse => StoreChoice::ClickHouse {
                url: args.clickhouse_url,
                database: args.clickhouse_database,
            },
        }
    }
}

impl StoreChoice {
    /// Opens a store that holds data already: for the commands that read or delete
    /// (`spur report`, `spur visitor`), a mistyped `--data` is an error, not a new
    /// empty store that answers "nothing found".
    pub fn open_existing(&self) -> anyhow::Result<std::sync::Arc<dyn crate::store::Store>> {
        if let StoreChoice::Sqlite(dir) = self {
            anyhow::ensure!(
                crate::store::sqlite::SqliteStore::exists(dir),
                "no Spur data in {} (the directory `spur serve --data` was given)",
                dir.display()
            );
        }
        self.open()
    }

    /// Opens the store, creating and migrating its schema if needed.
    pub fn open(&self) -> anyhow::Result<std::sync::Arc<dyn crate::store::Store>> {
        Ok(match self {
            StoreChoice::Sqlite(dir) => {
                std::sync::Arc::new(crate::store::sqlite::SqliteStore::open(dir)?)
            }
            StoreChoice::ClickHouse { url, database } => std::sync::Arc::new(
                crate::store::clickhouse::ClickHouseStore::open(url, database)?,
            ),
        })
    }
}

impl std::fmt::Display for StoreChoice {
    /// Where the data is, for people (no credentials).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreChoice::Sqlite(dir) => write!(f, "{}", dir.display()),
            StoreChoice::ClickHouse { url, database } => {
                let host = url::Url::parse(url)
                    .ok()
                    .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
                    .unwrap_or_else(|| "?".to_owned());
                write!(f, "ClickHouse database {database} at {host}")
            }
        }
    }
}

/// Settings the collector runs with, checked once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub store: StoreChoice,
    pub session_gap_ms: i64,
    pub queue_capacity: usize,
    pub rate_limit_ip: Option<Rate>,
    pub rate_limit_site: Option<Rate>,
    /// Raw events older than this are deleted; `None` keeps them.
    pub retention: Option<std::time::Duration>,
    pub admin_token: Option<String>,
    pub demo_account: bool,
    /// Read the client address from `X-Forwarded-For` (set by a trusted reverse proxy).
    pub behind_proxy: bool,
}

impl TryFrom<ServeArgs> for Settings {
    type Error = anyhow::Error;

    fn try_from(args: ServeArgs) -> anyhow::Result<Settings> {
        anyhow::ensure!(
            (1..=1440).contains(&args.session_gap_minutes),
            "--session-gap-minutes must be between 1 and 1440, not {}",
            args.session_gap_minutes
        );
        anyhow::ensure!(
            (1..=1_000_000).contains(&args.queue_capacity),
            "--queue-capacity must be between 1 and 1000000"
        );
        if let Some(token) = &args.admin_token {
            anyhow::ensure!(
                token.len() >= 16,
                "--admin-token must be at least 16 characters long"
            );
        }
        Ok(Settings {
            listen: args.listen,
            store: args.store.into(),
            session_gap_ms: i64::from(args.session_gap_minutes) * 60 * 1000,
            queue_capacity: args.queue_capacity,
            rate_limit_ip: Rate::per_second(args.rate_limit_ip),
            rate_limit_site: Rate::per_second(args.rate_limit_site),
            retention: (args.retention_days > 0).then(|| {
                std::time::Duration::from_secs(u64::from(args.retention_days) * 24 * 3600)
            }),
            admin_token: args.admin_token,
            demo_account: args.demo_account,
            behind_proxy: args.behind_proxy,
        })
    }
}

impl Settings {
    /// Settings for tests and embedding: defaults, with the database in `data`.
    pub fn with_data(data: impl Into<PathBuf>) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            store: StoreChoice::Sqlite(data.into()),
            session_gap_ms: crate::journey::DEFAULT_SESSION_GAP_MS,
            queue_capacity: 1024,
            rate_limit_ip: Rate::per_second(20),
            rate_limit_site: Rate::per_second(5000),
            retention: None,
            admin_token: None,
            demo_account: false,
            behind_proxy: false,
        }
    }
}
