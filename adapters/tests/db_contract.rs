//! Contract tests of the SQL repositories. They run on SQLite by default and on PostgreSQL when
//! `JUHE_TEST_DATABASE_URL` is set (each test then gets a database of its own).

#[path = "support/db_fixture.rs"]
mod fixture;

#[path = "db_contract/apps_audit.rs"]
mod apps_audit;
#[path = "db_contract/identity.rs"]
mod identity;
#[path = "db_contract/lists.rs"]
mod lists;
#[path = "db_contract/lookup_cache.rs"]
mod lookup_cache;
#[path = "db_contract/scope.rs"]
mod scope;
#[path = "db_contract/writes.rs"]
mod writes;
