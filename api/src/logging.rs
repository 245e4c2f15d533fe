//! Tracing set-up: text or JSON lines, level from configuration (or `RUST_LOG`).

use crate::config::Config;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

pub fn init(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{},sqlx=warn,sea_orm=warn", config.log_level)));
    // Logs go to stderr: stdout carries command output (`demo --json`, `openapi`).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if config.log_format == "json" { builder.json().try_init() } else { builder.try_init() };
}
