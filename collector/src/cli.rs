//! The `spur` command: parses the command line and runs a subcommand.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::app::{App, shutdown_signal};
use crate::config::{Cli, Command, Settings, VisitorArgs, VisitorCommand};
use crate::privacy;
use crate::store::Store;
use crate::store::sqlite::SqliteStore;

/// Runs the command line of this process; what `main` does.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = match cli.command {
        Command::Serve(args) => Settings::try_from(args).and_then(|settings| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?
                .block_on(serve(settings))
        }),
        Command::Visitor(command) => visitor(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = App::open(&settings)?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    println!("Spur is running (data in {}).", settings.data.display());
    println!("  Dashboard:  {base}/");
    println!(
        "  Demo shop:  {base}/demo/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn"
    );
    println!("  Tracker:    {base}/spur.js");
    println!("  Paths API:  {base}/api/v1/reports/paths?site=demo");
    println!("Press Ctrl-C to stop.");
    tracing::info!(%addr, "Listening.");
    app.serve(listener, shutdown_signal()).await
}

/// `spur visitor export|delete`: works on the data directory directly, so it also works
/// while no collector runs (SQLite's WAL lets it run beside one, too).
fn visitor(command: VisitorCommand) -> anyhow::Result<()> {
    let (args, delete) = match command {
        VisitorCommand::Export(args) => (args, false),
        VisitorCommand::Delete(args) => (args, true),
    };
    let VisitorArgs { data, site, who } = args;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&data)?);
    let who = privacy::Who::parse(who.id.as_deref(), who.uid.as_deref())?;
    let visitor = privacy::resolve(store.as_ref(), &site, &who)?;
    let mut out = std::io::stdout().lock();
    if delete {
        let deleted = store.delete_visitor(&site, visitor)?;
        writeln!(out, "{}", serde_json::json!({ "deleted": deleted }))?;
    } else {
        let export = privacy::export(store.as_ref(), &site, visitor)?;
        serde_json::to_writer_pretty(&mut out, &export)?;
        writeln!(out)?;
    }
    Ok(())
}
