//! Whom a gateway call acts for, and the merchants the sandbox provisioned for both Alipay models:
//! - 直付通 (ZFT): the sandbox app is a platform; its own trades must name one of its secondary
//!   merchants (`sub_merchant.merchant_id` = a provisioned `smid`);
//! - 服务商代调用 (ISV): merchants authorized the app; a call carrying one of the
//!   `app_auth_token`s the sandbox issued acts for that merchant (the trade is the merchant's).
//!
//! Both are recorded in `alipay_merchants.jsonl` beside the keys, so bindings made against the
//! sandbox stay valid across restarts.
//!
//! Refusal codes come from integrations' copies of Alipay's error tables (unverified against
//! Alipay itself): `ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID` (二级商户编码为空),
//! `ACQ.SECONDARY_MERCHANT_ID_INVALID` (二级商户不存在); an unknown token is refused by the
//! gateway (`20001 aop.invalid-app-auth-token`).

use super::book::Fail;
use super::keys::random_digits;
use crate::channels::sandbox_control::Provisioned;
use serde_json::{Map, Value, json};
use std::path::Path;

pub const FILE_NAME: &str = "alipay_merchants.jsonl";
const SMID: &str = "smid";
const APP_AUTH_TOKEN: &str = "app_auth_token";
const SDK: &str = "sdk";

pub const NO_SUB_MERCHANT: Fail = Fail("ACQ.PLATFORM_BUSINESS_ACQUIRE_MODE_MUST_MERCHANT_ID", "二级商户编码为空");
pub const UNKNOWN_SUB_MERCHANT: Fail = Fail("ACQ.SECONDARY_MERCHANT_ID_INVALID", "二级商户不存在");

/// A merchant that authorized the sandbox app (ISV model): what `alipay.open.auth.token.app`
/// answers at Alipay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsvMerchant {
    /// The merchant's PID (`2088…`), the seller of its trades.
    pub user_id: String,
    /// The merchant's own app id.
    pub auth_app_id: String,
    /// What the ISV app sends as `app_auth_token` to act for the merchant.
    pub app_auth_token: String,
}

/// The party a gateway call acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The platform app itself (ZFT): trades name a secondary merchant.
    Platform,
    /// A merchant that authorized the app (the call carried its `app_auth_token`).
    Merchant { user_id: String, auth_app_id: String },
}

impl Principal {
    /// The name trades are kept under: `out_trade_no` is unique per app and, for authorized
    /// merchants, per merchant.
    pub fn scope(&self, app_id: &str) -> String {
        match self {
            Principal::Platform => app_id.to_owned(),
            Principal::Merchant { user_id, .. } => format!("{app_id}/{user_id}"),
        }
    }
}

pub struct Merchants(Provisioned);

impl Merchants {
    pub fn open(dir: &Path) -> std::io::Result<Merchants> {
        Provisioned::open(dir.join(FILE_NAME)).map(Merchants)
    }

    /// A new secondary merchant of the platform (`2088` + 12 digits).
    pub fn provision_smid(&self) -> String {
        let smid = format!("2088{}", random_digits(12));
        self.0.add(SMID, &smid, json!({}));
        smid
    }

    /// A merchant that authorized `app_id`, with the token that acts for it.
    pub fn provision_isv(&self, app_id: &str) -> IsvMerchant {
        let merchant = IsvMerchant {
            user_id: format!("2088{}", random_digits(12)),
            auth_app_id: format!("2021{}", random_digits(12)),
            app_auth_token: format!("{}BB{}", random_digits(6), uuid::Uuid::new_v4().simple()),
        };
        let data = json!({ "app_id": app_id, "user_id": merchant.user_id, "auth_app_id": merchant.auth_app_id });
        self.0.add(APP_AUTH_TOKEN, &merchant.app_auth_token, data);
        merchant
    }

    /// A secondary merchant and an authorizing merchant set aside for the SDK conformance script
    /// (`smid`, `app_auth_token`): the same ones on every call and after a restart.
    pub fn for_sdk(&self, app_id: &str) -> (String, String) {
        let recorded = self.0.get(SDK, app_id).and_then(|data| {
            let field = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
            Some((field("smid")?, field("app_auth_token")?))
        });
        if let Some(pair) = recorded {
            return pair;
        }
        let (smid, isv) = (self.provision_smid(), self.provision_isv(app_id));
        self.0.add(SDK, app_id, json!({ "smid": smid, "app_auth_token": isv.app_auth_token }));
        (smid, isv.app_auth_token)
    }

    /// Whom a call of `app_id` acts for: the merchant behind `app_auth_token`, or the platform.
    /// `None` for a token the sandbox never issued to this app (the gateway refuses the call).
    pub fn principal(&self, app_id: &str, app_auth_token: Option<&str>) -> Option<Principal> {
        let Some(token) = app_auth_token else { return Some(Principal::Platform) };
        let data = self.0.get(APP_AUTH_TOKEN, token)?;
        let field = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        (field("app_id") == app_id)
            .then(|| Principal::Merchant { user_id: field("user_id"), auth_app_id: field("auth_app_id") })
    }

    /// The `smid` a trade-creating `biz_content` names: required for the platform's own trades,
    /// and when given at all it must be a secondary merchant the sandbox provisioned.
    pub fn sub_merchant(&self, principal: &Principal, biz: &Map<String, Value>) -> Result<String, Fail> {
        let smid = biz.get("sub_merchant").and_then(|s| s.get("merchant_id")).and_then(Value::as_str);
        match smid.filter(|s| !s.is_empty()) {
            None if *principal == Principal::Platform => Err(NO_SUB_MERCHANT),
            None => Ok(String::new()),
            Some(smid) if self.0.get(SMID, smid).is_some() => Ok(smid.to_owned()),
            Some(_) => Err(UNKNOWN_SUB_MERCHANT),
        }
    }
}
