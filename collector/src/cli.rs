//! The `spur` command: parses the command line and runs a subcommand.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::app::{App, shutdown_signal};
use crate::config::{
    AccountArgs, BackupArgs, Cli, Command, ReportArgs, Settings, StoreChoice, TokenCommand,
    UserCommand, VisitorArgs, VisitorCommand,
};
use crate::privacy;

/// Runs the command line of this process; what `main` does.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours for a terminal only (not in journald or a log file), unless NO_COLOR.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
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
        Command::Report(args) => report(args),
        Command::Openapi => openapi(),
        Command::User(UserCommand::Add(args)) => add_user(args),
        Command::Token(TokenCommand::Create(args)) => create_token(args),
        Command::Token(TokenCommand::Revoke(args)) => revoke_tokens(args),
        Command::Backup(args) => backup(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`spur report … | head`): not an error of ours.
        Err(error)
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
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
    println!("Spur is running (data in {}).", settings.store);
    println!("  Dashboard:  {base}/");
    println!(
        "  Demo shop:  {base}/demo/?utm_source=newsletter&utm_medium=email&utm_campaign=autumn"
    );
    println!("              {base}/demo/de/ (in German)");
    println!("  Tracker:    {base}/spur.js");
    println!(
        "  Paths API:  {base}/api/v1/reports/paths?site=demo (signed in, or with an API token)"
    );
    if settings.demo_account {
        let password = crate::auth::new_password();
        app.state
            .store
            .set_user(DEMO_EMAIL, &crate::auth::hash_password(&password)?)?;
        println!("  Sign in as {DEMO_EMAIL}, password {password} (new at every start).");
    }
    println!("Press Ctrl-C to stop.");
    tracing::info!(%addr, "Listening.");
    app.serve(listener, shutdown_signal()).await
}

/// The account `--demo-account` creates.
const DEMO_EMAIL: &str = "demo@spur.example";

/// `spur user add`: the password is the first line of standard input.
fn add_user(args: AccountArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        crate::auth::valid_email(&args.email),
        "`{}` is not an email address",
        args.email
    );
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    crate::auth::check_password(password).map_err(anyhow::Error::msg)?;
    let store = StoreChoice::from(args.store).open()?;
    let email = crate::auth::normal_email(&args.email);
    store.set_user(&email, &crate::auth::hash_password(password)?)?;
    // A new password ends the sessions signed in with the old one.
    let (user, _) = store
        .user(&email)?
        .ok_or_else(|| anyhow::anyhow!("the account `{email}` was not stored"))?;
    let ended = store.delete_tokens(user, Some("session"))?;
    match ended {
        0 => println!("{email} can sign in."),
        n => println!("{email} can sign in with the new password; {n} session(s) ended."),
    }
    Ok(())
}

/// `spur token revoke`: every API token and session of an account, gone.
fn revoke_tokens(args: AccountArgs) -> anyhow::Result<()> {
    let store = StoreChoice::from(args.store).open_existing()?;
    let email = &args.email;
    let (user, _) = crate::auth::find_user(store.as_ref(), email)?
        .ok_or_else(|| anyhow::anyhow!("no account `{email}`"))?;
    let api = store.delete_tokens(user, Some("api"))?;
    // What is left of the account's tokens: its sessions (and any other kind).
    let sessions = store.delete_tokens(user, None)?;
    println!("{email}: {api} API token(s) revoked, {sessions} session(s) ended.");
    Ok(())
}

/// `spur token create`: prints a new API token of an account.
fn create_token(args: AccountArgs) -> anyhow::Result<()> {
    let store = StoreChoice::from(args.store).open()?;
    let (user, _) = crate::auth::find_user(store.as_ref(), &args.email)?
        .ok_or_else(|| anyhow::anyhow!("no account `{}` (spur user add)", args.email))?;
    let token = crate::auth::new_token();
    store.add_token(user, &crate::auth::token_hash(&token), "api", None)?;
    println!("{token}");
    Ok(())
}

/// `spur backup`: a copy of the embedded database, made beside a running collector.
fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let events = crate::store::sqlite::SqliteStore::backup(&args.data, &args.to)?;
    println!(
        "Copied {} to {} ({events} events; without the daily salts).",
        args.data.display(),
        args.to.display()
    );
    Ok(())
}

/// `spur visitor export|delete`: works on the data directory directly, so it also works
/// while no collector runs (SQLite's WAL lets it run beside one, too).
fn visitor(command: VisitorCommand) -> anyhow::Result<()> {
    let (args, delete) = match command {
        VisitorCommand::Export(args) => (args, false),
        VisitorCommand::Delete(args) => (args, true),
    };
    let VisitorArgs { store, site, who } = args;
    let store = StoreChoice::from(store).open_existing()?;
    anyhow::ensure!(
        store.sites()?.iter().any(|s| s.id == site),
        "site `{site}` does not exist"
    );
    let who = privacy::Who::parse(
        who.id.as_deref(),
        who.uid.as_deref(),
        who.customer.as_deref(),
    )?;
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

/// `spur report …`: the same reports as the HTTP API, on the data directory.
fn report(args: ReportArgs) -> anyhow::Result<()> {
    use crate::reports::{self, Kind, Request, table::Table};
    let kind = Kind::parse(&args.report).ok_or_else(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        anyhow::anyhow!("no report `{}`; there are {}", args.report, all.join(", "))
    })?;
    let mut pairs = vec![("site".to_owned(), args.site.clone())];
    pairs.extend(args.from.map(|d| ("from".to_owned(), d)));
    pairs.extend(args.to.map(|d| ("to".to_owned(), d)));
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("`-p {param}`: write parameters as name=value"))?;
        pairs.push((name.to_owned(), value.to_owned()));
    }
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let gap_ms = i64::from(args.session_gap_minutes) * 60 * 1000;
    let request = Request::parse(kind, &pairs, today, gap_ms)?;
    let store = StoreChoice::from(args.store).open_existing()?;
    anyhow::ensure!(
        store.sites()?.iter().any(|s| s.id == request.site),
        "site `{}` does not exist",
        request.site
    );
    let report = reports::run(store.as_ref(), &Default::default(), &request)?;
    let mut out = std::io::stdout().lock();
    match args.format.as_str() {
        "json" => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        "csv" => write!(out, "{}", Table::of(&report).csv())?,
        "table" => {
            let table = Table::of(&report);
            let mut pretty = comfy_table::Table::new();
            pretty
                .load_preset(comfy_table::presets::UTF8_BORDERS_ONLY)
                .set_header(table.header.clone())
                .add_rows(table.rows.clone());
            writeln!(
                out,
                "{} report for {}, {} to {}",
                report.report, report.site, report.from, report.to
            )?;
            writeln!(out, "{pretty}")?;
        }
        other => anyhow::bail!("`--format` must be table, csv or json, not `{other}`"),
    }
    Ok(())
}

/// `spur openapi`: the HTTP API's description.
fn openapi() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &crate::http::openapi_document())
        .map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
