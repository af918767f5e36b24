//! Wiring: opens the store, loads the sites, starts the writer and the maintenance task,
//! builds the router, and runs the server until a shutdown signal, then drains the
//! ingest queue.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;
use crate::site::Sites;
use crate::store::Store;
use crate::visitor::Visitors;
use crate::writer::Writer;

/// A collector ready to serve: its router and the writer task behind it.
pub struct App {
    pub router: axum::Router,
    pub state: AppState,
    writer: Writer,
    maintenance: tokio::task::JoinHandle<()>,
}

impl App {
    /// Opens the store `settings` name and starts the writer.
    /// Must be called inside a Tokio runtime.
    pub fn open(settings: &Settings) -> anyhow::Result<App> {
        App::with_store(settings, settings.store.open()?)
    }

    pub fn with_store(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<App> {
        let sites = Sites::new(store.sites().context("loading sites")?);
        let metrics = Metrics::default();
        let (queue, writer) =
            Writer::spawn(store.clone(), settings.queue_capacity, metrics.commits());
        let state = AppState::new(http::Shared {
            visitors: Visitors::new(store.clone()).context("reading the visitor key")?,
            store,
            sites,
            queue,
            session_gap_ms: settings.session_gap_ms,
            metrics,
            rate_limits: RateLimits::new(settings.rate_limit_ip, settings.rate_limit_site),
            user_agents: Default::default(),
            admin_token: settings.admin_token.clone(),
            behind_proxy: settings.behind_proxy,
            touches: Default::default(),
        });
        let maintenance = tokio::spawn(maintain(state.clone(), settings.retention));
        Ok(App {
            router: http::router(state.clone()),
            state,
            writer,
            maintenance,
        })
    }

    /// Serves on `listener` until `shutdown` completes; then stops accepting, finishes
    /// in-flight requests (for at most [`http::serve`]'s grace), and commits everything
    /// queued before returning.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let App {
            router,
            state,
            writer,
            maintenance,
        } = self;
        http::serve(listener, router, state.behind_proxy, shutdown).await;
        maintenance.abort();
        drop(state);
        writer.shutdown().await;
        Ok(())
    }
}

/// At start: load every site's touches into the reports' cache, so that the first report
/// does not wait for it. Every few seconds: reload the sites from the store (another
/// collector sharing it may have created or changed one). Every minute: forget idle
/// rate-limit entries; every hour (and at start): delete raw events older than the
/// retention period.
async fn maintain(state: AppState, retention: Option<Duration>) {
    let warm = state.clone();
    let warmed = tokio::task::spawn_blocking(move || {
        for site in warm.sites.ids() {
            warm.touches.refresh(warm.store.as_ref(), &site)?;
        }
        anyhow::Ok(())
    })
    .await;
    if let Ok(Err(error)) = warmed {
        tracing::warn!(
            error = format!("{error:#}"),
            "Could not preload the reports' cache."
        );
    }
    let mut ticks = tokio::time::interval(SITES_REFRESH);
    let per_minute = (60 / SITES_REFRESH.as_secs()).max(1);
    for tick in 0u64.. {
        ticks.tick().await;
        if tick > 0 {
            let store = state.store.clone();
            match tokio::task::spawn_blocking(move || store.sites()).await {
                Ok(Ok(sites)) => state.sites.replace(sites),
                Ok(Err(error)) => {
                    tracing::warn!(error = format!("{error:#}"), "Could not reload the sites.")
                }
                Err(error) => tracing::error!(%error, "Reloading the sites panicked."),
            }
        }
        if tick % per_minute != 0 {
            continue;
        }
        let minute = tick / per_minute;
        state.rate_limits.forget_idle();
        if let (Some(retention), 0) = (retention, minute % 60) {
            let cutoff =
                crate::event::now_ms() - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
            let store = state.store.clone();
            let cache = state.clone();
            let deleting = move || {
                let deleted = store.delete_before(cutoff);
                cache.touches.changed();
                deleted
            };
            match tokio::task::spawn_blocking(deleting).await {
                Ok(Ok(0)) => {}
                Ok(Ok(deleted)) => {
                    tracing::info!(deleted, "Deleted events past the retention period.")
                }
                Ok(Err(error)) => {
                    tracing::error!(error = format!("{error:#}"), "Retention failed.")
                }
                Err(error) => tracing::error!(%error, "Retention panicked."),
            }
        }
    }
}

/// How often a collector reloads the sites from the store: how long a site created
/// through one collector takes to be known to the others sharing the store.
pub const SITES_REFRESH: Duration = Duration::from_secs(5);

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "Cannot listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("Shutting down: finishing requests and draining the ingest queue.");
}
