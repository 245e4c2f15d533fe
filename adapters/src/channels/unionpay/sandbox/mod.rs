//! The UnionPay QR sandbox: stands in for the acquirer gateway in demos and tests, speaking the
//! same protocol from the acquirer's side (form messages signed with UnionPay's key, the
//! institution's signature checked on every request).
//!
//! Routes (mounted at `/sandbox/unionpay`):
//! - `POST /gateway` — the gateway: QR apply, barcode pay, reversal, void, refund, query,
//!   statement;
//! - `POST /simulate/pay {"out_trade_no", "notify"}` — the payer pays (QR code or waiting
//!   barcode); the result notification goes to `backUrl` (unless `"notify": false`);
//! - `POST /simulate/fail-next {"count", "mode": "error"|"timeout"|"lost_reply"}` — `error`:
//!   HTTP 500 with a signed `respCode=06`, the call not performed; `timeout`: performed,
//!   answered 15 s late; `lost_reply`: performed, the connection cut without an answer;
//! - `GET /bill?date=YYYY-MM-DD` — the institution's statement of the day (CSV, see `bill.rs`);
//! - `GET /qr/{token}` — the page behind a sandbox QR code.
//!
//! Barcode payer codes: 19 digits starting `62`; the last four digits pick the outcome (`0000`
//! paid, `1111` waiting for `simulate/pay`, `2222` declined, `3333` status unknown).
//! Transactions live in memory; the keys and the provisioned institution persist in
//! `dir/unionpay.json` (0600), the merchants it provisioned in `dir/unionpay_merchants.jsonl`:
//! only those `merId`s are served (any other is refused `31`). Time is the injected clock
//! (`with_clock`).

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
use crate::channels::sandbox_control::{FailMode, PlannedFailures, Provisioned, endpoint};
use book::Book;
use juhe_domain::clock::{Clock, SystemClock};
use keys::SandboxKeys;
use poem::{Route, get, post};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The file of provisioned merchants, and its record kind.
const MERCHANTS_FILE: &str = "unionpay_merchants.jsonl";
const MER_ID: &str = "mer_id";

pub struct UnionpaySandbox {
    keys: SandboxKeys,
    /// The `merId`s provisioned (`provision_sub_merchant`).
    merchants: Provisioned,
    book: Mutex<Book>,
    failures: PlannedFailures<FailMode>,
    /// The sandbox's "now": transaction times, statement dates.
    clock: Arc<dyn Clock>,
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
        Ok(UnionpaySandbox {
            keys,
            merchants: Provisioned::open(dir.join(MERCHANTS_FILE))?,
            book: Mutex::new(Book::default()),
            failures: PlannedFailures::none(),
            clock: Arc::new(SystemClock),
            http,
        })
    }

    /// Reads time from `clock` (the platform's, so that a test clock moves the acquirer's too).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
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

    /// A new merchant id (`898` + 12 digits, 15 in all), served from now on, across restarts too.
    pub fn provision_sub_merchant(&self) -> String {
        let mer_id = format!("898{}", keys::random_digits(12));
        self.merchants.add(MER_ID, &mer_id, json!({}));
        mer_id
    }

    /// Whether the sandbox provisioned `mer_id`.
    fn is_merchant(&self, mer_id: &str) -> bool {
        self.merchants.get(MER_ID, mer_id).is_some()
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
