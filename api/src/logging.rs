//! Tracing set-up: text or JSON lines, level from configuration (or `RUST_LOG`).

use crate::config::Config;
use std::io::IsTerminal;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Installs the subscriber; keep the guard until the process ends (dropping it flushes the
/// lines still queued).
#[must_use = "dropping the guard stops the log writer"]
pub fn init(config: &Config) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{},sqlx=warn,sea_orm=warn", config.log_level)));
    // Logs go to stderr (stdout carries command output: `demo --json`, `openapi`), through a
    // writer thread, so a slow reader of stderr (a pipe, a log shipper) never blocks the async
    // workers serving requests.
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
    guard
}
