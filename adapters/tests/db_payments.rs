//! Contract tests of the payment repositories: channel accounts and bindings, orders, refunds,
//! the notification outbox and payment exceptions, each change written with its effects. They run on SQLite by default and on PostgreSQL when
//! `JUHE_TEST_DATABASE_URL` is set (each test then gets a database of its own).

// Shared with `db_contract`; not every builder of it is used here.
#[allow(dead_code)]
#[path = "support/db_fixture.rs"]
mod fixture;

#[path = "db_payments/support.rs"]
mod support;

#[path = "db_payments/channels.rs"]
mod channels;
#[path = "db_payments/exceptions.rs"]
mod exceptions;
#[path = "db_payments/notifications.rs"]
mod notifications;
#[path = "db_payments/orders.rs"]
mod orders;
#[path = "db_payments/refunds.rs"]
mod refunds;
#[path = "db_payments/schema.rs"]
mod schema;
