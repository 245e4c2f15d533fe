//! The Alipay sandbox: stands in for Alipay in demos and tests, speaking the real protocol from
//! Alipay's side so that juhe's adapter and the official `python-alipay-sdk` both work against it
//! unchanged (only the gateway URL and the keys differ).
//!
//! Routes (mounted at `/sandbox/alipay`):
//! - `GET|POST /gateway.do` — the gateway: precreate, create, wap.pay (answers the cashier page),
//!   app.pay (what the Alipay app submits), pay (barcode), query, close, cancel, refund,
//!   fastpay.refund.query (trades named by `trade_no` or `out_trade_no`), bill.downloadurl.query;
//! - `POST /simulate/pay {"out_trade_no", "notify"}` (`notify: false` pays without notifying),
//!   `POST /simulate/fail-next {"count", "mode": "error"|"timeout"|"lost_reply"}`;
//! - `GET /bill?date=YYYY-MM-DD` — the day's bill (ZIP of GBK CSVs);
//! - `GET /qr/{token}` — the cashier page behind a sandbox QR code (opening it is the scan);
//! - one-code pay's OAuth stand-in (sandbox only, see `oauth`): `GET
//!   /oauth2/publicAppAuthorize.htm` and the gateway method `alipay.system.oauth.token`.
//!
//! As at Alipay: a request `timestamp` far from the sandbox clock is refused; the app is a 直付通
//! platform whose trades must name a provisioned secondary merchant, and an ISV app acting for
//! merchants through the `app_auth_token`s the sandbox issued (see `merchants`); a precreated
//! trade exists once the payer scans its code, mobile-web and app trades once the payer opens
//! the pay URL / the app submits the order string.
//!
//! Trades live in memory; the keys and the ISV app persist in `dir/alipay.json`, the provisioned
//! merchants in `dir/alipay_merchants.jsonl`. Time is the injected clock (`with_clock`).

mod bill;
mod book;
mod cashier;
mod control;
mod gateway;
mod keys;
mod merchants;
mod notify;
mod oauth;
mod trade_api;
mod trade_create;
mod trade_ops;

pub use bill::DETAIL_HEADER;
pub use gateway::{TIMEOUT_DELAY, TIMESTAMP_WINDOW};
pub use merchants::IsvMerchant;

use super::account;
use crate::channels::sandbox_control::{FailMode, PlannedFailures, endpoint};
use book::Book;
use juhe_domain::clock::{Clock, SystemClock};
use keys::SandboxKeys;
use merchants::Merchants;
use poem::{Route, get, post};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub struct AlipaySandbox {
    keys: SandboxKeys,
    merchants: Merchants,
    book: Mutex<Book>,
    failures: PlannedFailures<FailMode>,
    /// The sandbox's "now": trade times, the timestamp check, bill dates, notifications.
    clock: Arc<dyn Clock>,
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
            merchants: Merchants::open(dir)?,
            keys,
            book: Mutex::new(Book::default()),
            failures: PlannedFailures::none(),
            clock: Arc::new(SystemClock),
            oauth: oauth::Codes::default(),
            http,
        })
    }

    /// Reads time from `clock` (the platform's, so that a test clock moves Alipay's time too).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
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
            account::MODEL: account::Model::Zft.as_str(),
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

    /// A new secondary merchant of the platform (ZFT): its `smid` (`2088` + 12 digits), valid
    /// for trades from now on, across restarts too.
    pub fn provision_sub_merchant(&self) -> String {
        self.merchants.provision_smid()
    }

    /// A merchant that authorized the ISV app (服务商代调用): its PID and the `app_auth_token` a
    /// binding carries to act for it (account `model: "isv"`).
    pub fn provision_isv_merchant(&self) -> IsvMerchant {
        self.merchants.provision_isv(&self.keys.app_id)
    }

    /// What `sdk-conformance/alipay_sdk.py` needs: the app's keys, the gateway path, a secondary
    /// merchant (`smid`) and an authorizing merchant's `isv_app_auth_token` (both kept for it).
    pub fn sdk_credentials_json(&self) -> Value {
        let (smid, app_auth_token) = self.merchants.for_sdk(&self.keys.app_id);
        json!({
            "smid": smid,
            "isv_app_auth_token": app_auth_token,
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
