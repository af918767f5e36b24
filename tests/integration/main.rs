//! One integration-test binary: the HTTP contract through the router, the server on a
//! real socket, and the whole product in a real headless Chromium.

mod access;
mod browser;
mod capture;
mod clickhouse;
mod crash;
mod dashboard;
mod delivery;
mod dropin;
mod feedback;
mod golden;
mod hostile;
mod ingest;
mod journeys;
mod limits;
mod privacy;
mod reports;
mod server;
mod sites;
