//! Alipay OpenAPI: the [`AlipayChannel`] adapter (直付通 or ISV service-provider model) and the
//! [`AlipaySandbox`] that speaks the same protocol from Alipay's side.
//!
//! # Channel account keys
//! `config` (public):
//! - `gateway` — default `https://openapi.alipay.com/gateway.do`;
//! - `model` — `zft` (default, 直付通: the platform's trades name each merchant's `smid`) or
//!   `isv` (服务商代调用: the app acts for merchants that authorized it, by `app_auth_token`);
//! - `app_id` — the platform's app;
//! - `alipay_public_key_pem` — Alipay's public key for that app (SPKI or PKCS#1 PEM);
//! - `sys_service_provider_id` — optional, the ISV's PID, sent as
//!   `extend_params.sys_service_provider_id` (rebates);
//! - `oauth_authorize_url` — optional, one-code pay's payer authorization page (see `oauth`).
//!
//! `secrets`: `app_private_key_pem` — the app's RSA private key (PKCS#8, 2048–4096 bits).
//!
//! Binding, `zft`: `sub_merchant_id` is the merchant's `smid` (sent as
//! `sub_merchant.merchant_id` on every order). Binding, `isv`: `config["app_auth_token"]`
//! (required) is sent as the `app_auth_token` parameter of every merchant-level call, no
//! `sub_merchant`; `sub_merchant_id` is the merchant's PID, for display.
//!
//! # Protocol
//! Every request is signed RSA2 (SHA256withRSA over the sorted `k=v&…` of all non-empty
//! parameters but `sign`); every answer must carry a signature that verifies over the exact
//! raw text of its `*_response` object; notifications must verify (all fields but `sign` and
//! `sign_type`) and name our `app_id`. Amounts are exact yuan strings ↔ integer fen.
//!
//! # Errors (the order service depends on this)
//! - DNS or connect failure → `Unreachable` (nothing reached Alipay);
//! - timeout, HTTP status other than 200, an answer that is unreadable, unsigned or does not
//!   verify → `Unknown` (money may have moved);
//! - verified `20000`, `ACQ.SYSTEM_ERROR`, `ACQ.TRADE_HAS_SUCCESS` or `ACQ.CONTEXT_INCONSISTENT`
//!   → `Unknown`; any other verified failure (`40004`, `40002`, …) → `Declined { code: sub_code,
//!   message: sub_msg }` — on precreate/create this means no payable trade exists;
//! - barcode pay: `10000` → `Paid`, `10003` → `Paying`, `20000` → `Unknown`, `40004` →
//!   `Declined` (the payment failed), `ACQ.TRADE_HAS_SUCCESS` → answered by a query;
//! - `trade.query` `ACQ.TRADE_NOT_EXIST` → `NotFound`; `trade.close` of a trade Alipay does not
//!   know → `Declined { code: "ACQ.TRADE_NOT_EXIST" }`: nothing was closed. That is how a QR
//!   code nobody scanned yet reads (Alipay creates a precreated trade at the scan), and the code
//!   stays payable until its `time_expire` — so only past `expire_at` may the order service take
//!   a not-found trade as closed; `trade.cancel` with `retry_flag=Y` →
//!   `ReverseOutcome::Retry`; a refund answered `fund_change=N` is settled by a refund query;
//! - refused before any call (amount ≤ 0, ALI_JSAPI without a payer id) → `Declined` with a
//!   `juhe.*` code; a merchant-level call without a binding (or, `isv`, without its
//!   `app_auth_token`), an unknown `model` or keys that do not parse → `Config`;
//! - ALI_WAP and ALI_APP make no call (Alipay sees the trade when the payer opens the URL or the
//!   app submits the order string): only `Config` errors are possible.
//!
//! The `reqwest::Client` given to [`AlipayChannel::new`] sets the call timeout; give it a
//! `connect_timeout` shorter than its `timeout`, so that a slow connect (nothing sent) is
//! `Unreachable` rather than `Unknown`.

mod account;
mod amount;
mod client;
mod key_cache;
mod mapping;
mod notify;
mod oauth;
mod orders;
mod protocol;
pub mod sandbox;
mod sign;
mod transport;

pub use account::{
    ALIPAY_PUBLIC_KEY_PEM, APP_AUTH_TOKEN, APP_ID, APP_PRIVATE_KEY_PEM, GATEWAY, MODEL, Model, SYS_SERVICE_PROVIDER_ID,
};
pub use amount::{fen_to_yuan, yuan_to_fen};
pub use client::AlipayChannel;
pub use sandbox::{AlipaySandbox, IsvMerchant};
