//! Everything a request handler can reach: configuration and the wired domain services.

use crate::config::Config;
use juhe_adapters::channels::alipay::AlipaySandbox;
use juhe_adapters::channels::unionpay::UnionpaySandbox;
use juhe_adapters::channels::wechat::WechatSandbox;
use juhe_domain::apps::open_auth::OpenAuthService;
use juhe_domain::apps::service::AppService;
use juhe_domain::audit::service::AuditService;
use juhe_domain::cache::Cache;
use juhe_domain::cashier::service_codes::QrCodeService;
use juhe_domain::cashier::service_visit::CashierService;
use juhe_domain::crypto::Signer;
use juhe_domain::identity::service::AuthService;
use juhe_domain::jobs::JobRepo;
use juhe_domain::jobs::admin::JobAdmin;
use juhe_domain::payments::admin::PaymentAdmin;
use juhe_domain::payments::delivery::DeliveryService;
use juhe_domain::payments::risk::RiskService;
use juhe_domain::payments::service::PaymentService;
use juhe_domain::tenancy::service::TenancyService;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub struct AppState {
    pub config: Config,
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    pub signer: Arc<dyn Signer>,
    pub auth: AuthService,
    pub tenancy: TenancyService,
    pub apps: AppService,
    pub open_auth: OpenAuthService,
    pub audit: AuditService,
    pub payments: Arc<PaymentService>,
    /// One-code pay: store QR codes (admin) and the cashier pages (payers).
    pub qr_codes: QrCodeService,
    pub cashier: CashierService,
    pub payment_admin: PaymentAdmin,
    /// Risk control: the order-path checks and the admin use cases.
    pub risk: Arc<RiskService>,
    pub delivery: Arc<DeliveryService>,
    /// The durable job table, its operators' use cases, and the wake-up of this process's worker.
    pub jobs: Arc<dyn JobRepo>,
    pub job_admin: JobAdmin,
    pub jobs_signal: Arc<tokio::sync::Notify>,
    /// The built-in channel sandboxes (when `sandbox_enabled`).
    pub sandboxes: Option<Sandboxes>,
}

pub struct Sandboxes {
    pub wechat: Arc<WechatSandbox>,
    pub alipay: Arc<AlipaySandbox>,
    pub unionpay: Arc<UnionpaySandbox>,
    pub inbox: Arc<crate::sandbox_inbox::Inbox>,
}
