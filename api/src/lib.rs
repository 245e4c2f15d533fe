//! juhe server: configuration, CLI, HTTP API and start-up wiring.

pub mod cashier;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_channels;
pub mod error;
pub mod http;
pub mod jobs;
pub mod logging;
pub mod routes;
pub mod sandbox_inbox;
pub mod sandbox_server;
pub mod server;
pub mod state;
pub mod wiring;
pub mod wiring_cashier;
