//! What the payer sees when something fails: a page (GET) or `{code, message}` (the form's
//! POST), in Chinese, with a status. Internal causes are logged, never shown.

use super::pages;
use juhe_domain::cashier::CashierError;
use juhe_domain::payments::errors::PaymentError;
use poem::Response;
use poem::http::StatusCode;

/// Status, stable code, title and sentence for an error.
fn describe(e: &CashierError) -> (StatusCode, &'static str, &'static str, String) {
    use StatusCode as S;
    match e {
        CashierError::UnknownCode | CashierError::NotFound => {
            (S::NOT_FOUND, "QR_CODE_NOT_FOUND", "收款码不存在", "请确认扫描的是商户的收款码。".into())
        }
        CashierError::CodeDisabled => {
            (S::GONE, "QR_CODE_DISABLED", "收款码已停用", "此收款码已停用，请联系商户。".into())
        }
        CashierError::StoreClosed | CashierError::StoreNotFound => {
            (S::FORBIDDEN, "STORE_CLOSED", "商户暂停收款", "该门店暂时无法收款，请联系商户。".into())
        }
        CashierError::NotActivated => {
            (S::FORBIDDEN, "NOT_ACTIVATED", "商户未开通", "该商户尚未开通扫码收款，请联系商户。".into())
        }
        CashierError::WalletUnavailable(w) => (
            S::CONFLICT,
            "WALLET_UNAVAILABLE",
            "暂不支持此付款方式",
            format!("该商户暂不支持{}付款，请换用其他支付 App 扫码。", pages::wallet_name(*w)),
        ),
        CashierError::BadToken => (
            S::FORBIDDEN,
            "LINK_INVALID",
            "链接已失效",
            "链接已过期或不完整，请重新扫码或向商户索取新的付款链接。".into(),
        ),
        CashierError::RateLimited => (S::TOO_MANY_REQUESTS, "RATE_LIMITED", "操作太频繁", "请稍等一分钟再试。".into()),
        CashierError::PayerUnknown(cause) => {
            tracing::warn!(%cause, "cashier: payer authorization failed");
            (S::BAD_GATEWAY, "PAYER_UNKNOWN", "未能确认付款人", "请返回重新扫码。".into())
        }
        CashierError::Invalid(f) if f.field == "amount" => {
            (S::BAD_REQUEST, "INVALID_AMOUNT", "金额无效", "请输入 0.01 元以上的金额。".into())
        }
        CashierError::Invalid(f) => (S::BAD_REQUEST, "INVALID_REQUEST", "请求无效", f.to_string()),
        CashierError::Forbidden => (S::FORBIDDEN, "FORBIDDEN", "无权访问", String::new()),
        CashierError::Payment(p) => payment(p),
        CashierError::Repo(cause) => {
            tracing::error!(error = %cause, "cashier: storage failed");
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "系统繁忙", "请稍后再试。".into())
        }
        CashierError::Internal(cause) => {
            tracing::error!(error = %cause, "cashier: internal error");
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "系统繁忙", "请稍后再试。".into())
        }
    }
}

fn payment(e: &PaymentError) -> (StatusCode, &'static str, &'static str, String) {
    use StatusCode as S;
    match e {
        PaymentError::Invalid(f) if f.field == "amount" => {
            (S::BAD_REQUEST, "INVALID_AMOUNT", "金额无效", "请输入 0.01 元以上的金额。".into())
        }
        PaymentError::Invalid(f) => (S::BAD_REQUEST, "INVALID_REQUEST", "请求无效", f.to_string()),
        PaymentError::OrderState("paid" | "partially_refunded" | "refunded") => {
            (S::CONFLICT, "ORDER_PAID", "订单已支付", "此订单已支付，无需重复付款。".into())
        }
        PaymentError::OrderState("being paid by another payer") => {
            (S::CONFLICT, "ORDER_TAKEN", "订单正在支付", "此订单已由其他付款人发起支付。".into())
        }
        PaymentError::OrderState(_) => (S::CONFLICT, "ORDER_CLOSED", "订单已关闭", "此订单已关闭或已过期。".into()),
        PaymentError::OutTradeNoConflict => {
            (S::CONFLICT, "FORM_USED", "请刷新页面", "此付款单已提交过，请刷新页面后重新输入金额。".into())
        }
        PaymentError::WayNotEnabled(_) | PaymentError::NoChannelAvailable => {
            (S::CONFLICT, "WALLET_UNAVAILABLE", "暂不支持此付款方式", "该商户暂不支持此支付 App 付款。".into())
        }
        PaymentError::MerchantDisabled | PaymentError::MerchantNotFound | PaymentError::StoreNotFound => {
            (S::FORBIDDEN, "STORE_CLOSED", "商户暂停收款", "该商户暂时无法收款。".into())
        }
        PaymentError::RiskRejected(_) => (S::FORBIDDEN, "RISK_REJECTED", "交易受限", "该笔付款未通过风控检查。".into()),
        PaymentError::QuotaExceeded => (S::TOO_MANY_REQUESTS, "QUOTA_EXCEEDED", "商户额度已满", "请稍后再试。".into()),
        PaymentError::Channel(cause) => {
            tracing::warn!(%cause, "cashier: channel error");
            (S::BAD_GATEWAY, "CHANNEL_ERROR", "支付渠道繁忙", "请稍后再试。".into())
        }
        PaymentError::OrderNotFound => (S::NOT_FOUND, "ORDER_NOT_FOUND", "订单不存在", String::new()),
        other => {
            tracing::error!(error = %other, "cashier: payment failed");
            (S::INTERNAL_SERVER_ERROR, "INTERNAL", "系统繁忙", "请稍后再试。".into())
        }
    }
}

/// The error as a page.
pub fn page(e: &CashierError) -> Response {
    let (status, _, title, text) = describe(e);
    super::html(status, pages::message(title, &text))
}

/// The error as the form's JSON answer.
pub fn json(e: &CashierError) -> Response {
    let (status, code, title, text) = describe(e);
    let message = if text.is_empty() { title.to_owned() } else { text };
    super::json(status, &serde_json::json!({ "code": code, "message": message }))
}
