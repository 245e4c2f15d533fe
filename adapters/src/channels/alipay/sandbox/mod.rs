//! The Alipay sandbox: stands in for Alipay in demos and tests, speaking the real protocol from
//! Alipay's side so that juhe's adapter and the official `python-alipay-sdk` both work against it
//! unchanged (only the gateway URL and the keys differ).
//!
//! Routes (mounted at `/sandbox/alipay`):
//! - `GET|POST /gateway.do` — the gateway: precreate, create, wap.pay (answers the cashier page),
//!   app.pay (what the Alipay app submits), pay (barcode), query, close, cancel, refund,
//!   fastpay.refund.query, bill.downloadurl.query;
//! - `POST /simulate/pay {"out_trade_no"}`, `POST /simulate/fail-next {"count", "mode"}`;
//! - `GET /bill?date=YYYY-MM-DD` — the day's bill (ZIP of GBK CSVs);
//! - `GET /qr/{token}` — the cashier page behind a sandbox QR code;
//! - one-code pay's OAuth stand-in (sandbox only, see `oauth`): `GET
//!   /oauth2/publicAppAuthorize.htm` and the gateway method `alipay.system.oauth.token`.
//!
//! Trades live in memory; the keys and the provisioned ISV app persist in `dir/alipay.json`.
//! Mobile-web and app trades exist once the payer opens the pay URL / the app submits the order
//! string, as at Alipay.

mod bill;
mod book;
mod cashier;
mod control;
mod gateway;
mod keys;
mod notify;
mod oauth;
mod trade_api;

pub use bill::DETAIL_HEADER;
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

pub struct AlipaySandbox {
    keys: SandboxKeys,
    book: Mutex<Book>,
    failures: PlannedFailures<FailMode>,
    /// One-code pay's OAuth stand-in (sandbox only).
    oauth: oauth::Codes,
    /// For notifications to juhe.
    http: reqwest::Client,
}

impl std::fmt::Debug for AlipaySandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlipaySandbox").field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl AlipaySandbox {
    /// Loads the sandbox identity from `dir/alipay.json`, creating it (mode 0600) on first use.
    pub fn load_or_create(dir: &Path) -> std::io::Result<AlipaySandbox> {
        let keys = SandboxKeys::load_or_create(dir)?;
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(std::io::Error::other)?;
        Ok(AlipaySandbox {
            keys,
            book: Mutex::new(Book::default()),
            failures: PlannedFailures::none(),
            oauth: oauth::Codes::default(),
            http,
        })
    }

    /// The provisioned ISV app id.
    pub fn app_id(&self) -> &str {
        &self.keys.app_id
    }

    /// A channel account against this sandbox: (`config`, `secrets`) in the adapter's key names.
    /// `gateway_url` is where the sandbox's `/gateway.do` is reachable.
    pub fn provision_account(&self, gateway_url: &str) -> (Value, Value) {
        let config = json!({
            account::GATEWAY: gateway_url,
            account::APP_ID: self.keys.app_id,
            account::ALIPAY_PUBLIC_KEY_PEM: self.keys.platform_public_pem,
            account::SYS_SERVICE_PROVIDER_ID: self.keys.pid,
            super::oauth::OAUTH_AUTHORIZE_URL: format!(
                "{}/oauth2/publicAppAuthorize.htm",
                gateway_url.strip_suffix("/gateway.do").unwrap_or(gateway_url)
            ),
        });
        let secrets = json!({ account::APP_PRIVATE_KEY_PEM: self.keys.app_private_pem.expose() });
        (config, secrets)
    }

    /// A new merchant `smid` (`2088` + 12 digits). The sandbox accepts any well-formed smid, so
    /// smids stay valid across restarts without being stored.
    pub fn provision_sub_merchant(&self) -> String {
        format!("2088{}", keys::random_digits(12))
    }

    /// What `sdk-conformance/alipay_sdk.py` needs: the app's keys and the gateway path.
    pub fn sdk_credentials_json(&self) -> Value {
        json!({
            "app_id": self.keys.app_id,
            "app_private_key_pem": self.keys.app_private_pem.expose(),
            "app_public_key_pem": self.keys.app_public_pem,
            "alipay_public_key_pem": self.keys.platform_public_pem,
            "gateway_path": "/gateway.do",
        })
    }

    pub fn routes(self: Arc<Self>) -> Route {
        let gateway = || endpoint(&self, |s, req| async move { gateway::handle(&s, req).await });
        Route::new()
            .at("/gateway.do", get(gateway()).post(gateway()))
            .at("/simulate/pay", post(endpoint(&self, |s, req| async move { control::simulate_pay(&s, req).await })))
            .at(
                "/simulate/fail-next",
                post(endpoint(&self, |s, req| async move { control::simulate_fail_next(&s, req).await })),
            )
            .at("/bill", get(endpoint(&self, |s, req| async move { control::bill(&s, req).await })))
            .at("/qr/:token", get(endpoint(&self, |s, req| async move { control::qr_page(&s, req).await })))
            .at(
                "/oauth2/publicAppAuthorize.htm",
                get(endpoint(&self, |s, req| async move { oauth::authorize(&s, req).await })),
            )
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
