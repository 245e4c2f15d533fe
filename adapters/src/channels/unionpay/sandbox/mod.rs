//! The UnionPay QR sandbox: stands in for the acquirer gateway in demos and tests, speaking the
//! same protocol from the acquirer's side (form messages signed with UnionPay's key, the
//! institution's signature checked on every request).
//!
//! Routes (mounted at `/sandbox/unionpay`):
//! - `POST /gateway` — the gateway: QR apply, barcode pay, reversal, void, refund, query,
//!   statement;
//! - `POST /simulate/pay {"out_trade_no"}` — the payer pays (QR code or waiting barcode); the
//!   result notification goes to `backUrl`;
//! - `POST /simulate/fail-next {"count", "mode": "error"|"timeout"}` — `error`: HTTP 500 with a
//!   signed `respCode=06`, the call not performed; `timeout`: performed, answered 15 s late;
//! - `GET /bill?date=YYYY-MM-DD` — the institution's statement of the day (CSV, see `bill.rs`);
//! - `GET /qr/{token}` — the page behind a sandbox QR code.
//!
//! Barcode payer codes: 19 digits starting `62`; the last four digits pick the outcome (`0000`
//! paid, `1111` waiting for `simulate/pay`, `2222` declined, `3333` status unknown).
//! Transactions live in memory; the keys and the provisioned institution persist in
//! `dir/unionpay.json` (0600). Any well-formed 15-digit `merId` is a merchant of the sandbox.

mod bill;
mod book;
mod control;
mod gateway;
mod keys;
mod notify;
mod txn_api;

pub use bill::{FEE_RATE, HEADER as BILL_HEADER};
pub use gateway::TIMEOUT_DELAY;

use super::account;
use crate::channels::sandbox_control::{PlannedFailures, endpoint};
use book::Book;
use gateway::FailMode;
use keys::SandboxKeys;
use poem::{Route, get, post};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub struct UnionpaySandbox {
    keys: SandboxKeys,
    book: Mutex<Book>,
    failures: PlannedFailures<FailMode>,
    /// For notifications to juhe.
    http: reqwest::Client,
}

impl std::fmt::Debug for UnionpaySandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnionpaySandbox").field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl UnionpaySandbox {
    /// Loads the sandbox identity from `dir/unionpay.json`, creating it (mode 0600) on first use.
    pub fn load_or_create(dir: &Path) -> std::io::Result<UnionpaySandbox> {
        let keys = SandboxKeys::load_or_create(dir)?;
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(std::io::Error::other)?;
        Ok(UnionpaySandbox { keys, book: Mutex::new(Book::default()), failures: PlannedFailures::none(), http })
    }

    /// The provisioned institution's acquirer code.
    pub fn acq_code(&self) -> &str {
        &self.keys.acq_code
    }

    /// A channel account against this sandbox: (`config`, `secrets`) in the adapter's key names.
    /// `gateway_url` is where the sandbox's `/gateway` is reachable.
    pub fn provision_account(&self, gateway_url: &str) -> (Value, Value) {
        let config = json!({
            account::GATEWAY: gateway_url,
            account::ACQ_CODE: self.keys.acq_code,
            account::UNIONPAY_PUBLIC_KEY_PEM: self.keys.unionpay_public_pem,
            account::UNIONPAY_CERT_ID: self.keys.unionpay_cert_id,
            account::CERT_ID: self.keys.institution_cert_id,
        });
        let secrets = json!({ account::PRIVATE_KEY_PEM: self.keys.institution_private_pem.expose() });
        (config, secrets)
    }

    /// A new merchant id (`898` + 12 digits, 15 in all). The sandbox accepts any well-formed
    /// `merId`, so merchants stay valid across restarts without being stored.
    pub fn provision_sub_merchant(&self) -> String {
        format!("898{}", keys::random_digits(12))
    }

    pub fn routes(self: Arc<Self>) -> Route {
        Route::new()
            .at("/gateway", post(endpoint(&self, |s, req| async move { gateway::handle(&s, req).await })))
            .at("/simulate/pay", post(endpoint(&self, |s, req| async move { control::simulate_pay(&s, req).await })))
            .at(
                "/simulate/fail-next",
                post(endpoint(&self, |s, req| async move { control::simulate_fail_next(&s, req).await })),
            )
            .at("/bill", get(endpoint(&self, |s, req| async move { control::bill(&s, req).await })))
            .at("/qr/:token", get(endpoint(&self, |s, req| async move { control::qr_page(&s, req).await })))
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        // A panic elsewhere cannot leave the book half-written: every change is one assignment.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, notice: Option<notify::Notice>) {
        if let Some(notice) = notice {
            notify::deliver(self.http.clone(), notice);
        }
    }
}
