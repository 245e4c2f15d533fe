//! Database adapters: the connection (SQLite or PostgreSQL), the migrations, and `SqlStore`,
//! which implements the repository ports of tenancy, identity, apps, audit, channels,
//! payments (orders, refunds, notifications) and risk control.
//!
//! Tenant isolation lives here: every read that takes a `Scope` filters on the scope's platform
//! and path prefix (`query::in_scope`), and a record outside the scope is reported exactly like
//! a missing one.

mod apps;
mod audit;
mod channels;
mod connect;
mod effects;
mod entities;
mod errors;
mod exceptions;
mod jobs;
mod lookups;
mod mapping;
mod node_directory;
mod notifications;
mod orders;
mod qr_codes;
mod query;
mod refunds;
mod risk;
mod store;
mod tenancy;
mod tenancy_move;
mod test_database;
mod users;

pub use connect::{connect, migrate, ping};
pub use store::SqlStore;
pub use test_database::{drop_test_database, fresh_test_database};
