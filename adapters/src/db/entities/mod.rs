//! sea-orm entities, one per table, each with its mapping to and from the domain model.
//! Writes go through `from_domain` (every column) or `changes` (the columns an update may touch).

pub mod agents;
pub mod app_keys;
pub mod apps;
pub mod audit_logs;
pub mod channel_accounts;
pub mod channel_bindings;
pub mod job_attempts;
pub mod jobs;
pub mod legal_entities;
pub mod merchants;
pub mod notification_attempts;
pub mod notifications;
pub mod orders;
pub mod payment_exceptions;
pub mod platforms;
pub mod qr_codes;
pub mod refresh_tokens;
pub mod refunds;
pub mod risk_list_entries;
pub mod risk_rules;
pub mod stores;
pub mod users;
