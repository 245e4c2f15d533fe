//! One Alipay conversation partner, read from a `ChannelContext`: gateway, the platform's app,
//! keys, the model (直付通 or ISV), and the merchant when the call is for one — its `smid` (ZFT)
//! or the `app_auth_token` it granted (ISV). Builds the signed common parameters every gateway
//! request carries.

use super::key_cache::KeyCache;
use super::protocol::{self, DEFAULT_GATEWAY};
use super::sign::{self, Covers, RsaPair};
use juhe_domain::channels::{ChannelContext, ChannelError, ChannelResult};
use juhe_domain::secret::Secret;
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

/// Account `config` keys.
pub const GATEWAY: &str = "gateway";
/// `"zft"` (default) or `"isv"`, see [`Model`].
pub const MODEL: &str = "model";
pub const APP_ID: &str = "app_id";
pub const ALIPAY_PUBLIC_KEY_PEM: &str = "alipay_public_key_pem";
pub const SYS_SERVICE_PROVIDER_ID: &str = "sys_service_provider_id";
/// Account `secrets` key.
pub const APP_PRIVATE_KEY_PEM: &str = "app_private_key_pem";
/// Binding `config` key.
pub const APP_AUTH_TOKEN: &str = "app_auth_token";

/// How the platform takes payments for its merchants at Alipay (an account setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// 直付通: the platform's own app; every trade names the merchant's secondary-merchant id
    /// (binding `sub_merchant_id` = `smid`, sent as `sub_merchant.merchant_id`).
    Zft,
    /// 服务商代调用: the platform's app acts for a merchant that authorized it, with the
    /// `app_auth_token` it granted (binding `config.app_auth_token`; `sub_merchant_id` is the
    /// merchant's PID, for display). No `sub_merchant` is sent.
    Isv,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Zft => "zft",
            Model::Isv => "isv",
        }
    }
}

#[derive(Debug)]
pub struct Account {
    pub gateway: String,
    pub app_id: String,
    pub keys: Arc<RsaPair>,
    pub model: Model,
    /// The ISV's PID, sent as `extend_params.sys_service_provider_id`.
    pub isv_pid: Option<String>,
    /// The merchant's `smid` (binding), sent as `sub_merchant.merchant_id` (ZFT).
    pub smid: Option<String>,
    /// Sent as the `app_auth_token` common parameter (ISV, merchant-level calls); a credential:
    /// masked in Debug output.
    pub app_auth_token: Option<Secret<String>>,
    pub notify_url: String,
    /// When the requests are stamped (`timestamp`): the channel's clock.
    pub now: OffsetDateTime,
}

impl Account {
    pub async fn from_ctx(ctx: &ChannelContext, cache: &KeyCache, now: OffsetDateTime) -> ChannelResult<Account> {
        let optional = |key: &str| ctx.account.config.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
        let model = match optional(MODEL) {
            None | Some("zft") => Model::Zft,
            Some("isv") => Model::Isv,
            Some(other) => return Err(ChannelError::Config(format!("Alipay model `{other}`: expected zft or isv"))),
        };
        let keys = cache.pair(ctx.secret_str(APP_PRIVATE_KEY_PEM)?, ctx.config_str(ALIPAY_PUBLIC_KEY_PEM)?).await?;
        let binding = ctx.binding.as_ref();
        let token =
            binding.and_then(|b| b.config.get(APP_AUTH_TOKEN)).and_then(Value::as_str).filter(|s| !s.is_empty());
        // ISV: a merchant-level call without the merchant's grant would act as the platform.
        if model == Model::Isv && binding.is_some() && token.is_none() {
            return Err(ChannelError::Config("Alipay ISV model: the binding has no app_auth_token".into()));
        }
        Ok(Account {
            gateway: optional(GATEWAY).unwrap_or(DEFAULT_GATEWAY).to_owned(),
            app_id: ctx.config_str(APP_ID)?.to_owned(),
            keys,
            model,
            isv_pid: optional(SYS_SERVICE_PROVIDER_ID).map(str::to_owned),
            smid: binding.map(|b| b.sub_merchant_id.clone()).filter(|s| !s.is_empty()),
            app_auth_token: token.filter(|_| model == Model::Isv).map(|token| Secret::new(token.to_owned())),
            notify_url: ctx.notify_url.clone(),
            now,
        })
    }

    /// Adds the merchant fields every order-creating `biz_content` carries: the smid (ZFT; a
    /// merchant-level call needs a binding) and the ISV's PID.
    pub fn add_merchant_fields(&self, biz: &mut Value) -> ChannelResult<()> {
        let smid = match self.model {
            Model::Zft => Some(
                self.smid
                    .clone()
                    .ok_or_else(|| ChannelError::Config("no Alipay smid: the merchant has no binding".into()))?,
            ),
            Model::Isv if self.app_auth_token.is_none() => {
                return Err(ChannelError::Config("no app_auth_token: the merchant has no binding".into()));
            }
            Model::Isv => None,
        };
        if let Some(obj) = biz.as_object_mut() {
            if let Some(smid) = smid {
                obj.insert("sub_merchant".into(), json!({ "merchant_id": smid }));
            }
            if let Some(pid) = &self.isv_pid {
                obj.insert("extend_params".into(), json!({ "sys_service_provider_id": pid }));
            }
        }
        Ok(())
    }

    /// All request parameters, signed: the common ones, `extra` (`notify_url`, `return_url`)
    /// and `biz_content`. Empty values are left out (they are not signed either).
    pub fn signed_params(&self, method: &str, biz: &Value, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = vec![
            ("app_id".into(), self.app_id.clone()),
            ("method".into(), method.into()),
            ("format".into(), "JSON".into()),
            ("charset".into(), "utf-8".into()),
            ("sign_type".into(), sign::SIGN_TYPE.into()),
            ("timestamp".into(), protocol::format_time(self.now)),
            ("version".into(), "1.0".into()),
            ("biz_content".into(), biz.to_string()),
        ];
        if let Some(token) = &self.app_auth_token {
            params.push(("app_auth_token".into(), token.expose().clone()));
        }
        params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        params.retain(|(_, v)| !v.is_empty());
        let content = sign::content_to_sign(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), Covers::Request);
        params.push(("sign".into(), self.keys.sign(&content)));
        params
    }
}

/// `application/x-www-form-urlencoded` of the parameters (what the gateway, a browser and the
/// Alipay app SDK all read).
pub fn form_encode(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}
