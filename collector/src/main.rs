//! The `spur` command.

use anyhow::Context;
use clap::Parser;
use spur::app::{App, shutdown_signal};
use spur::config::{Cli, Command, Settings};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(Settings::try_from(args)?).await,
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
