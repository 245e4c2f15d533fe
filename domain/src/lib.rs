//! juhe domain: the business model, its rules and the ports (traits) that adapters implement.
//! No infrastructure here: no database, HTTP, cache client or async runtime.

pub mod apps;
pub mod audit;
pub mod cache;
pub mod cashier;
pub mod channels;
pub mod clock;
pub mod crypto;
pub mod effects;
pub mod identity;
pub mod ids;
pub mod jobs;
pub mod money;
pub mod page;
pub mod payments;
pub mod repo;
pub mod scope;
pub mod secret;
pub mod status;
pub mod tenancy;
pub mod validate;
