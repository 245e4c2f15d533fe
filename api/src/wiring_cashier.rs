//! Start-up wiring of one-code pay: the cashier's signing key and services, and the QR images.

use juhe_adapters::crypto::MasterKey;
use juhe_adapters::db::SqlStore;
use juhe_adapters::qr::QrRenderer;
use juhe_domain::cache::Cache;
use juhe_domain::cashier::links::CashierLinks;
use juhe_domain::cashier::service_codes::QrCodeService;
use juhe_domain::cashier::service_visit::{CashierService, CashierSettings};
use juhe_domain::clock::Clock;
use juhe_domain::crypto::Signer;
use juhe_domain::payments::service::PaymentService;
use std::sync::Arc;

/// The cashier's signed links, with their own key derived from the master key.
pub fn links(master: &MasterKey, signer: Arc<dyn Signer>, public_url: &str) -> Arc<CashierLinks> {
    Arc::new(CashierLinks::new(signer, master.derive("juhe cashier links v1").to_vec(), public_url))
}

/// The admin service of store QR codes and the payers' cashier service.
pub fn services(
    store: &Arc<SqlStore>,
    payments: &Arc<PaymentService>,
    signer: &Arc<dyn Signer>,
    cache: &Arc<dyn Cache>,
    clock: &Arc<dyn Clock>,
) -> (QrCodeService, CashierService) {
    let links = payments.cashier_links.clone();
    let qr_codes = QrCodeService {
        repo: store.clone(),
        tenancy: store.clone(),
        images: Arc::new(QrRenderer),
        links: links.clone(),
        signer: signer.clone(),
        clock: clock.clone(),
    };
    let cashier = CashierService {
        payments: payments.clone(),
        qr_codes: store.clone(),
        apps: store.clone(),
        tenancy: store.clone(),
        nodes: store.clone(),
        links,
        cache: cache.clone(),
        clock: clock.clone(),
        settings: CashierSettings::default(),
    };
    (qr_codes, cashier)
}
