//! Spur's collector: one binary that ingests tracker batches, stores them, stitches them
//! into journeys and serves reports, the dashboard, the demo shop and the tracker bundle.
//!
//! The modules follow the pipeline:
//! [`http`] → [`ingest`] (wire types, validation) → [`writer`] (bounded queue, one writer)
//! → [`store`] (trait + SQLite) → [`journey`] (pure stitching) → [`reports`] (view types).
//! [`config`] turns command-line flags into [`config::Settings`]; [`app`] wires it together.

pub mod app;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod config;
pub mod event;
pub mod feedback;
pub mod http;
pub mod ingest;
pub mod journey;
pub mod metrics;
pub mod privacy;
pub mod ratelimit;
pub mod reports;
pub mod site;
pub mod store;
pub mod user_agent;
pub mod visitor;
pub mod writer;
