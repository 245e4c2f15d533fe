//! A protocol-faithful WeChat Pay API v3 (partner mode) that stands in for the real one in
//! demos and tests. It speaks the real paths and formats: it verifies the caller's
//! `Authorization` with the provisioned service provider's public key, signs every answer with
//! its platform key (public-key mode, `Wechatpay-Serial: PUB_KEY_ID_…`; certificate mode on request,
//! see [`WechatSandbox::with_platform_certificate`]), keeps its own trade book
//! in memory, and sends encrypted, signed notifications. The official `wechatpayv3` SDK works
//! against it unchanged but for base URL and keys (`sdk-conformance/wechat_sdk.py`).
//!
//! Mounted at `/sandbox/wechat` by the server; paths below are relative to that. Requests are
//! signed over the whole path the client requested, mount prefix included (WeChat signs "the URL
//! minus the domain"). Time comes from a [`Clock`] (see [`WechatSandbox::with_clock`]).
//! - API: `/v3/pay/partner/transactions/{jsapi,app,h5,native,codepay}`, `…/out-trade-no/{no}`
//!   (+ `/close`, `/reverse`), `…/id/{transaction_id}`, `/v3/refund/domestic/refunds` (+ `/{no}`),
//!   `/v3/bill/tradebill` (`tar_type=GZIP`; day D from 10:00 China time on D+1),
//!   `/v3/billdownload/file`.
//! - Control (unsigned): `POST /simulate/pay {"out_trade_no", "notify"?}`, `POST
//!   /simulate/fail-next {"count", "mode": "error"|"timeout"|"lost_reply"}`, `POST
//!   /simulate/forged-notify {"out_trade_no", "amount"?, "sub_mchid"?}` (a validly signed
//!   notification with altered facts), `GET /bill?date=YYYY-MM-DD`, `GET /calls` (API calls
//!   received, by `METHOD path`).
//! - Sub-merchants come with their own app (`sub_appid`, see [`WechatSandbox::sub_appid`]); a
//!   request naming another app for the sub-merchant is refused.
//! - One-code pay's OAuth stand-in (sandbox only, see `oauth`): `GET /oauth2/authorize`,
//!   `GET /sns/oauth2/access_token`.
//! - Barcode auth codes: ending `1111` → USERPAYING until `simulate/pay`; ending `2222` →
//!   PAYERROR; any other valid WeChat code pays at once.
//! - Refunds are answered PROCESSING and succeed right after (REFUND.SUCCESS is sent).

mod bill;
mod book;
mod control;
mod keys;
mod model;
mod notify;
mod oauth;
mod respond;
mod routes;
mod tradebill;
mod validate;

use book::Book;
use juhe_domain::clock::{Clock, SystemClock};
use juhe_domain::crypto::CryptoError;
use keys::Identity;
use model::Event;
use notify::Notifier;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;

/// How long a `timeout` fault holds the (already performed) answer back.
const TIMEOUT_FAULT_DELAY: Duration = Duration::from_secs(15);
/// Bill files kept for download, newest last.
const BILLS_KEPT: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("wechat sandbox keys: {0}")]
    Keys(#[from] CryptoError),
    #[error("wechat sandbox http client: {0}")]
    Http(#[from] reqwest::Error),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultMode {
    /// 500 SYSTEM_ERROR, nothing done.
    Error,
    /// Done, but the answer comes late.
    Timeout,
    /// Done, and the connection is cut instead of answering.
    LostReply,
}

#[derive(Default)]
struct Faults {
    remaining: u32,
    mode: Option<FaultMode>,
}

pub struct WechatSandbox {
    identity: Arc<Identity>,
    book: Mutex<Book>,
    faults: Mutex<Faults>,
    bills: Mutex<VecDeque<tradebill::Download>>,
    /// Authenticated API calls by `METHOD path` (tests count what reached the channel).
    calls: Mutex<std::collections::HashMap<String, u64>>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
    /// One-code pay's OAuth stand-in (sandbox only).
    oauth: oauth::Codes,
}

impl WechatSandbox {
    /// Loads (or creates, first time) the sandbox's keys from `dir/wechat.json` (mode 0600).
    pub fn load_or_create(dir: &Path) -> Result<Self, SandboxError> {
        Ok(Self {
            identity: Arc::new(Identity::load_or_create(dir)?),
            book: Mutex::new(Book::default()),
            faults: Mutex::new(Faults::default()),
            bills: Mutex::new(VecDeque::new()),
            calls: Mutex::default(),
            notifier: Arc::new(Notifier::new()?),
            clock: Arc::new(SystemClock),
            oauth: oauth::Codes::default(),
        })
    }

    /// Reads the time from `clock` (trade times, bill availability, signature timestamps,
    /// notifications) instead of the wall clock: the server passes its own, tests move it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Certificate mode (for tests): answers and notifications are signed with `private_key_pem`
    /// and carry `Wechatpay-Serial: <serial of certificate_pem>`, and [`Self::provision_account`]
    /// configures `platform_certificates` instead of the public key. Public-key mode is the
    /// default. The pair is not stored in the sandbox's file; call this before serving.
    pub fn with_platform_certificate(
        mut self,
        private_key_pem: &str,
        certificate_pem: &str,
    ) -> Result<Self, SandboxError> {
        let cert = keys::SandboxCertificate::parse(private_key_pem, certificate_pem)?;
        let identity = Arc::get_mut(&mut self.identity)
            .ok_or_else(|| CryptoError::BadKey("the sandbox is already serving".into()))?;
        identity.platform_certificate = Some(cert);
        Ok(self)
    }

    /// A juhe WeChat channel account that talks to this sandbox at `base_url` (where `routes`
    /// is mounted, e.g. `http://127.0.0.1:8080/sandbox/wechat`): (config, secrets).
    pub fn provision_account(&self, base_url: &str) -> (Value, Value) {
        let id = &self.identity;
        let mut config = json!({
            "base_url": base_url.trim_end_matches('/'),
            "sp_mchid": id.sp_mchid,
            "sp_appid": id.sp_appid,
            "serial_no": id.sp_serial_no,
            "oauth_authorize_url": format!("{}/oauth2/authorize", base_url.trim_end_matches('/')),
            "oauth_api_url": base_url.trim_end_matches('/'),
        });
        let platform = match &id.platform_certificate {
            Some(cert) => json!({
                "platform_certificates": [{ "serial_no": cert.serial, "certificate_pem": cert.pem }],
            }),
            None => json!({
                "platform_public_key_id": id.platform_key_id,
                "platform_public_key_pem": id.platform_public_pem,
            }),
        };
        if let (Some(config), Value::Object(platform)) = (config.as_object_mut(), platform) {
            config.extend(platform);
        }
        let secrets = json!({
            "private_key_pem": id.sp_private_pem.expose(),
            "api_v3_key": id.api_v3_key_text.expose(),
            "oauth_app_secret": oauth::app_secret(id),
        });
        (config, secrets)
    }

    /// A new sub-merchant number of the provisioned service provider, accepted from now on
    /// (also after a restart).
    pub fn provision_sub_merchant(&self) -> String {
        self.identity.issue_sub_mchid()
    }

    /// The sub-merchant's own app (official account / mini program), provisioned with it: the
    /// only `sub_appid` the sandbox accepts for that `sub_mchid`. `None` for numbers it never
    /// issued.
    pub fn sub_appid(&self, sub_mchid: &str) -> Option<String> {
        self.identity.accepts_sub_mchid(sub_mchid).then(|| self.identity.sub_appid_of(sub_mchid))
    }

    /// Credentials for the official SDK (`wechatpayv3`) in partner, public-key mode, plus a
    /// fresh sub_mchid and its sub_appid: what `sdk-conformance/wechat_sdk.py` reads.
    pub fn sdk_credentials_json(&self) -> Value {
        let id = &self.identity;
        let sub_mchid = self.provision_sub_merchant();
        json!({
            "mchid": id.sp_mchid,
            "appid": id.sp_appid,
            "cert_serial_no": id.sp_serial_no,
            "private_key": id.sp_private_pem.expose(),
            "apiv3_key": id.api_v3_key_text.expose(),
            "public_key_id": id.platform_key_id,
            "public_key": id.platform_public_pem,
            "sub_appid": id.sub_appid_of(&sub_mchid),
            "sub_mchid": sub_mchid,
        })
    }

    /// Waits before each notification attempt (the number of entries is the number of
    /// attempts). Default: 0 s, 1 s, 1 s, 2 s, 12 s, 40 s.
    pub fn set_notify_retry_delays(&self, delays: Vec<Duration>) {
        self.notifier.set_delays(delays);
    }

    /// The poem routes, to be nested at `/sandbox/wechat` (or served at the root).
    pub fn routes(self: Arc<Self>) -> poem::Route {
        routes::routes(self)
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        // Each book operation completes its change before returning: a poisoned lock still
        // guards a consistent book.
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_faults(&self, count: u32, mode: FaultMode) {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        *faults = Faults { remaining: count, mode: Some(mode) };
    }

    /// Consumes one planned fault, if any.
    fn take_fault(&self) -> Option<FaultMode> {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        if faults.remaining == 0 {
            return None;
        }
        faults.remaining -= 1;
        faults.mode
    }

    fn notify(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            notify::spawn(self.identity.clone(), self.notifier.clone(), self.clock.clone(), event);
        }
    }

    async fn send_once(&self, event: &Event) -> Result<(), String> {
        notify::send_once(&self.identity, &self.notifier, self.clock.as_ref(), event).await
    }

    fn count_call(&self, call: String) {
        *self.calls.lock().unwrap_or_else(|p| p.into_inner()).entry(call).or_default() += 1;
    }

    fn calls(&self) -> std::collections::HashMap<String, u64> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn keep_bill(&self, download: tradebill::Download) {
        let mut bills = self.bills.lock().unwrap_or_else(|p| p.into_inner());
        if bills.len() >= BILLS_KEPT {
            bills.pop_front();
        }
        bills.push_back(download);
    }

    fn bill_file(&self, token: &str) -> Option<tradebill::Download> {
        let bills = self.bills.lock().unwrap_or_else(|p| p.into_inner());
        bills.iter().find(|d| d.token == token).cloned()
    }
}

impl std::fmt::Debug for WechatSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatSandbox").field("sp_mchid", &self.identity.sp_mchid).finish_non_exhaustive()
    }
}
