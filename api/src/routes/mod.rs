//! The HTTP API, one `#[OpenApi]` struct per resource. Handlers are thin: parse → one service
//! call → map the result.

pub mod admin_channels;
pub mod admin_exceptions;
pub mod admin_jobs;
pub mod admin_payments;
pub mod admin_qr_codes;
pub mod admin_risk;
pub mod agents;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod callbacks;
pub mod common;
pub mod health;
pub mod legal_entities;
pub mod merchants;
pub mod open_orders;
pub mod open_ping;
pub mod schemas;
pub mod stores;
pub mod text;
pub mod users;

/// Every API of the spec, in tag order.
/// Handlers reach the state through `Data<&Arc<AppState>>`, so the spec can be built offline.
pub fn apis() -> impl poem_openapi::OpenApi {
    (
        auth::AuthApi,
        users::UsersApi,
        agents::AgentsApi,
        merchants::MerchantsApi,
        legal_entities::LegalEntitiesApi,
        stores::StoresApi,
        admin_qr_codes::AdminQrCodesApi,
        apps::AppsApi,
        audit::AuditApi,
        admin_payments::AdminPaymentsApi,
        admin_channels::AdminChannelsApi,
        admin_risk::AdminRiskApi,
        // A tuple holds at most 16 APIs.
        (admin_exceptions::AdminExceptionsApi, admin_jobs::AdminJobsApi),
        open_ping::OpenPingApi,
        open_orders::OpenOrdersApi,
        health::HealthApi,
    )
}
