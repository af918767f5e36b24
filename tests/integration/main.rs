//! One integration-test binary: the HTTP contract through the router, the server on a
//! real socket, and the whole product in a real headless Chromium.

mod browser;
mod ingest;
mod reports;
mod server;
