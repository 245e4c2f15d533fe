//! What the payer's device needs after a prepay, signed by the service provider's API key:
//! JSAPI/mini-program `{jsapi: {appId, timeStamp, nonceStr, package, signType, paySign}}` and
//! app `{app: {appid, partnerid, prepayid, package, noncestr, timestamp, sign}}`.

use super::account::Account;
use super::sign::{lines, nonce, sign_b64};
use juhe_domain::channels::{ChannelError, ChannelResult};
use serde_json::{Value, json};

/// `paySign` = SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n`; `now` in Unix seconds.
pub(crate) fn jsapi(account: &Account, app_id: &str, prepay_id: &str, now: i64) -> ChannelResult<Value> {
    let timestamp = now.to_string();
    let nonce_str = nonce();
    let package = format!("prepay_id={prepay_id}");
    let message = lines(&[app_id.as_bytes(), timestamp.as_bytes(), nonce_str.as_bytes(), package.as_bytes()]);
    let pay_sign = sign_b64(&account.private_key, &message).map_err(sign_error)?;
    Ok(json!({
        "jsapi": {
            "appId": app_id,
            "timeStamp": timestamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": pay_sign,
        }
    }))
}

/// `sign` = SHA256withRSA over `appid\ntimestamp\nnoncestr\nprepayid\n`. In partner mode
/// `partnerid` is the sub-merchant the trade belongs to.
pub(crate) fn app(account: &Account, app_id: &str, sub_mchid: &str, prepay_id: &str, now: i64) -> ChannelResult<Value> {
    let timestamp = now.to_string();
    let nonce_str = nonce();
    let message = lines(&[app_id.as_bytes(), timestamp.as_bytes(), nonce_str.as_bytes(), prepay_id.as_bytes()]);
    let sign = sign_b64(&account.private_key, &message).map_err(sign_error)?;
    Ok(json!({
        "app": {
            "appid": app_id,
            "partnerid": sub_mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce_str,
            "timestamp": timestamp,
            "sign": sign,
        }
    }))
}

fn sign_error(err: juhe_domain::crypto::CryptoError) -> ChannelError {
    ChannelError::Config(format!("cannot sign pay data: {err}"))
}
