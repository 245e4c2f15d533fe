//! WeChat Pay API v3, service-provider (partner) mode: [`WechatChannel`] implements the
//! `PaymentChannel` port over the real protocol, and [`WechatSandbox`] plays WeChat Pay's side of
//! the same protocol for demos and tests.
//!
//! # Channel account
//! `config` (public):
//! - `base_url` — default `https://api.mch.weixin.qq.com`; may carry a path (the sandbox's
//!   `…/sandbox/wechat`); what is signed is the whole path and query of the URL called, that
//!   path included (WeChat signs "the URL minus the domain");
//! - `sp_mchid`, `sp_appid` — the service provider's merchant id and app id;
//! - `serial_no` — serial of our merchant API certificate (goes into `Authorization`);
//! - WeChat Pay's keys, which verify answers and notifications (at least one mode; both during
//!   WeChat's migration), chosen by the `Wechatpay-Serial` of each message:
//!   - public-key mode: `platform_public_key_id` (`PUB_KEY_ID_…`) and `platform_public_key_pem`;
//!   - certificate mode: `platform_certificates`, a list of `{"serial_no": "<hex>",
//!     "certificate_pem": "-----BEGIN CERTIFICATE-----…"}` (several while WeChat rotates them);
//!     `serial_no` must be the certificate's own; a certificate past its `notAfter` no longer
//!     verifies anything.
//!
//!   A serial naming no configured key, or an expired certificate, makes the message unverifiable.
//!
//! `secrets`: `private_key_pem` (merchant API private key, PKCS#8 or PKCS#1 PEM) and
//! `api_v3_key` (32 ASCII characters, decrypts notifications).
//!
//! One-code pay (payer OAuth, see `oauth`): `config.oauth_authorize_url`, `config.oauth_api_url`
//! and `secrets.oauth_app_secret` (the AppSecret of `sp_appid`).
//!
//! Binding: `sub_merchant_id` is the `sub_mchid`; binding `config.sub_appid` (optional) is the
//! sub-merchant's own official account / mini program: JSAPI and mini-program payers are then
//! `sub_openid`s of it, otherwise `sp_openid`s of `sp_appid`. It is sent with every order
//! (all ways, barcode and reverse) and must belong to the sub-merchant (WeChat refuses
//! PARAM_ERROR otherwise).
//!
//! Time (request timestamps, the ±300 s window, pay-data timestamps) comes from a `Clock`
//! (`WechatChannel::with_clock`; the wall clock by default).
//!
//! # Ways
//! WX_JSAPI and WX_MINI (jsapi endpoint → `{jsapi: {…, paySign}}`), WX_NATIVE (`{code_url}`),
//! WX_H5 (`{h5_url}`), WX_APP (`{app: {…, sign}}`), BARCODE (codepay, synchronous).
//!
//! # Errors: did money move?
//! - connect/DNS failure before the request left → `Unreachable`;
//! - timeout, broken connection, or any answer whose signature, serial or timestamp does not
//!   verify, or whose body cannot be read → `Unknown` (never trusted, never read as a decline);
//! - a verified error answer on order creation (jsapi/native/h5/app), 4xx or 5xx with a WeChat
//!   error body such as SYSTEM_ERROR → `Declined{code, message}`: no prepay id, nothing payable;
//! - barcode pay, reverse, refund (and close, queries, bills): 5xx, SYSTEM_ERROR, BANKERROR or
//!   USERPAYING → `Unknown` (money may have moved; a barcode USERPAYING is `Paying`), any other
//!   verified 4xx → `Declined`; query ORDER_NOT_EXIST / refund_query RESOURCE_NOT_EXISTS → `NotFound`.

mod account;
mod aead;
mod bill;
mod certificate;
mod client;
mod mapping;
mod notify;
mod oauth;
mod pay_data;
mod protocol;
mod sandbox;
mod sign;
mod transport;

pub use client::WechatChannel;
pub use sandbox::{SandboxError, WechatSandbox};
