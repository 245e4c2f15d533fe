//! Request checks WeChat makes before touching its book: the caller's own identifiers, the
//! sub-merchant relationship, numbers, amounts and the fields each trade type needs.

use super::super::mapping::parse_time;
use super::super::protocol::{CodepayRequest, PrepayRequest, RefundCreate};
use super::keys::Identity;
use super::model::{ApiError, fail, param};
use time::OffsetDateTime;

/// Largest single amount accepted, fen (WeChat's own cap is far above any test).
const MAX_TOTAL: i64 = 10_000_000_000;

/// Values derived while checking that the book needs.
pub(crate) struct Checked {
    pub time_expire: Option<OffsetDateTime>,
}

pub(crate) fn sp(id: &Identity, sp_mchid: &str, sp_appid: Option<&str>) -> Result<(), ApiError> {
    if sp_mchid != id.sp_mchid {
        return Err(param("sp_mchid 与请求签名的商户号不一致"));
    }
    match sp_appid {
        Some(appid) if appid != id.sp_appid => Err(fail(400, "APPID_MCHID_NOT_MATCH", "sp_appid 与 sp_mchid 不匹配")),
        _ => Ok(()),
    }
}

pub(crate) fn sub_mchid(id: &Identity, sub_mchid: &str) -> Result<(), ApiError> {
    if id.accepts_sub_mchid(sub_mchid) {
        Ok(())
    } else {
        Err(fail(400, "INVALID_REQUEST", format!("特约商户 {sub_mchid} 与服务商不存在受理关系")))
    }
}

/// A `sub_appid`, when given, must be the sub-merchant's own app (WeChat checks the binding of
/// app and merchant; a wrong one is a parameter error, nothing is created).
pub(crate) fn sub_appid(id: &Identity, sub_mchid: &str, sub_appid: Option<&str>) -> Result<(), ApiError> {
    match sub_appid {
        Some(appid) if appid != id.sub_appid_of(sub_mchid) => Err(param("sub_appid与sub_mchid不匹配")),
        _ => Ok(()),
    }
}

/// `[0-9A-Za-z_-|*]`: out_trade_no 6–32 characters, out_refund_no 1–64.
pub(crate) fn out_no(field: &str, value: &str) -> Result<(), ApiError> {
    let lengths = if field == "out_refund_no" { 1..=64 } else { 6..=32 };
    let ok = lengths.contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*'));
    if ok { Ok(()) } else { Err(param(format!("{field} 格式错误"))) }
}

fn amount(total: i64, currency: Option<&str>) -> Result<(), ApiError> {
    if !(1..=MAX_TOTAL).contains(&total) {
        return Err(param("amount.total 超出范围"));
    }
    match currency {
        None | Some("CNY") => Ok(()),
        Some(_) => Err(param("amount.currency 仅支持 CNY")),
    }
}

fn description(value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.chars().count() > 127 {
        Err(param("description 长度应为 1–127"))
    } else {
        Ok(())
    }
}

fn url(value: &str) -> Result<(), ApiError> {
    // Real WeChat wants https; the sandbox also takes http, for local demos.
    if (value.starts_with("https://") || value.starts_with("http://")) && !value.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err(param("notify_url 格式错误"))
    }
}

pub(crate) fn prepay(id: &Identity, trade_type: &str, req: &PrepayRequest) -> Result<Checked, ApiError> {
    sp(id, &req.sp_mchid, Some(&req.sp_appid))?;
    sub_mchid(id, &req.sub_mchid)?;
    sub_appid(id, &req.sub_mchid, req.sub_appid.as_deref())?;
    out_no("out_trade_no", &req.out_trade_no)?;
    description(&req.description)?;
    amount(req.amount.total, req.amount.currency.as_deref())?;
    url(&req.notify_url)?;
    let time_expire = match &req.time_expire {
        Some(raw) => Some(parse_time(raw).ok_or_else(|| param("time_expire 应为 RFC 3339 格式"))?),
        None => None,
    };
    let payer = req.payer.as_ref();
    match trade_type {
        "JSAPI" => match (payer.and_then(|p| p.sub_openid.as_ref()), payer.and_then(|p| p.sp_openid.as_ref())) {
            (Some(_), _) if req.sub_appid.is_none() => return Err(param("使用 sub_openid 时 sub_appid 必填")),
            (None, None) => return Err(param("payer.sp_openid 或 payer.sub_openid 必填")),
            _ => {}
        },
        "MWEB" => {
            let scene = req.scene_info.as_ref();
            if scene.and_then(|s| s.payer_client_ip.as_ref()).is_none() {
                return Err(param("scene_info.payer_client_ip 必填"));
            }
            if scene.and_then(|s| s.h5_info.as_ref()).is_none() {
                return Err(param("scene_info.h5_info 必填"));
            }
        }
        _ => {}
    }
    Ok(Checked { time_expire })
}

pub(crate) fn codepay(id: &Identity, req: &CodepayRequest) -> Result<(), ApiError> {
    sp(id, &req.sp_mchid, Some(&req.sp_appid))?;
    sub_mchid(id, &req.sub_mchid)?;
    sub_appid(id, &req.sub_mchid, req.sub_appid.as_deref())?;
    out_no("out_trade_no", &req.out_trade_no)?;
    description(&req.description)?;
    amount(req.amount.total, req.amount.currency.as_deref())?;
    let code = &req.payer.auth_code;
    let wechat_code = code.len() == 18
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code.get(..2).and_then(|p| p.parse::<u8>().ok()), Some(10..=15));
    if wechat_code { Ok(()) } else { Err(param("payer.auth_code 不是有效的微信付款码")) }
}

pub(crate) fn refund(id: &Identity, req: &RefundCreate) -> Result<(), ApiError> {
    sub_mchid(id, &req.sub_mchid)?;
    out_no("out_refund_no", &req.out_refund_no)?;
    if req.out_trade_no.is_none() && req.transaction_id.is_none() {
        return Err(param("transaction_id 与 out_trade_no 必填其一"));
    }
    if let Some(no) = &req.out_trade_no {
        out_no("out_trade_no", no)?;
    }
    if let Some(notify_url) = &req.notify_url {
        url(notify_url)?;
    }
    amount(req.amount.total, Some(&req.amount.currency))?;
    amount(req.amount.refund, Some(&req.amount.currency))
}

/// The parameters that must match when an out_trade_no is submitted again.
pub(crate) fn prepay_fingerprint(trade_type: &str, req: &PrepayRequest) -> String {
    serde_json::json!([trade_type, req.sub_appid, req.description, req.amount.total, req.payer, req.attach]).to_string()
}

pub(crate) fn codepay_fingerprint(req: &CodepayRequest) -> String {
    serde_json::json!(["MICROPAY", req.sub_appid, req.description, req.amount.total, req.payer.auth_code, req.attach])
        .to_string()
}
