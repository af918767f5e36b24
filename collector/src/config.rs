//! Command-line flags (with environment fallbacks) and the validated [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0:8080 to accept connections from other machines.
    #[arg(long, env = "SPUR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the embedded database (created if missing).
    #[arg(long, env = "SPUR_DATA", default_value = "data")]
    pub data: PathBuf,

    /// Minutes of inactivity after which a visitor's session ends (1–1440).
    #[arg(long, env = "SPUR_SESSION_GAP_MINUTES", default_value_t = 30)]
    pub session_gap_minutes: u32,

    /// Batches the ingest queue holds before answering 503 (at most 100 events each).
    #[arg(long, env = "SPUR_QUEUE_CAPACITY", default_value_t = 1024)]
    pub queue_capacity: usize,
}

/// Settings the collector runs with, checked once at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub session_gap_ms: i64,
    pub queue_capacity: usize,
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
        Ok(Settings {
            listen: args.listen,
            data: args.data,
            session_gap_ms: i64::from(args.session_gap_minutes) * 60 * 1000,
            queue_capacity: args.queue_capacity,
        })
    }
}

impl Settings {
    /// Settings for tests and embedding: defaults, with the database in `data`.
    pub fn with_data(data: impl Into<PathBuf>) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: data.into(),
            session_gap_ms: crate::journey::DEFAULT_SESSION_GAP_MS,
            queue_capacity: 1024,
        }
    }
}
