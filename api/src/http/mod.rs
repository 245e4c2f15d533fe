//! HTTP plumbing shared by every route: request ids, client IPs, metrics, error bodies, auth.

pub mod bearer;
pub mod body_limit;
pub mod client_ip;
pub mod fallback_errors;
pub mod metrics;
pub mod open_signing;
pub mod request_id;
