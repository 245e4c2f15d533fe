//! Alipay's asynchronous notification, as Alipay sends it: a form POST of the trade's fields signed
//! with the platform key (all fields but `sign` and `sign_type`), repeated until the receiver
//! answers the literal `success`. Alipay spreads its retries over a day; the sandbox retries
//! within about two minutes, which is what demos and tests need.

use super::super::amount::fen_to_yuan;
use super::super::protocol::format_time;
use super::super::sign::{self, Covers};
use super::book::{Refund, Trade};
use super::keys::{SandboxKeys, random_digits};
use juhe_domain::money::Money;
use std::time::Duration;
use time::OffsetDateTime;

const RETRY_DELAYS_SECS: [u64; 7] = [0, 1, 2, 5, 10, 30, 60];

/// A signed notification ready to send.
#[derive(Clone, Debug)]
pub struct Notice {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

fn yuan(fen: i64) -> String {
    fen_to_yuan(Money(fen)).unwrap_or_default()
}

fn trade_fields(trade: &Trade, now: OffsetDateTime) -> Vec<(String, String)> {
    let total = yuan(trade.total);
    let mut fields: Vec<(String, String)> = vec![
        ("notify_id".into(), format!("2024{}", random_digits(28))),
        ("notify_type".into(), "trade_status_sync".into()),
        ("notify_time".into(), format_time(now)),
        ("charset".into(), "utf-8".into()),
        ("version".into(), "1.0".into()),
        ("app_id".into(), trade.app_id.clone()),
        ("auth_app_id".into(), trade.auth_app_id.clone()),
        ("trade_no".into(), trade.trade_no.clone()),
        ("out_trade_no".into(), trade.out_trade_no.clone()),
        ("trade_status".into(), trade.status.as_str().into()),
        ("total_amount".into(), total.clone()),
        ("receipt_amount".into(), total.clone()),
        ("invoice_amount".into(), total.clone()),
        ("buyer_pay_amount".into(), total.clone()),
        ("point_amount".into(), "0.00".into()),
        ("buyer_id".into(), trade.buyer_id.clone()),
        ("seller_id".into(), trade.seller_id.clone()),
        ("subject".into(), trade.subject.clone()),
        ("gmt_create".into(), format_time(trade.created_at)),
        ("fund_bill_list".into(), format!(r#"[{{"amount":"{total}","fundChannel":"ALIPAYACCOUNT"}}]"#)),
    ];
    if let Some(open_id) = &trade.buyer_open_id {
        fields.push(("buyer_open_id".into(), open_id.clone()));
    }
    if let Some(paid_at) = trade.paid_at {
        fields.push(("gmt_payment".into(), format_time(paid_at)));
    }
    fields
}

fn signed(keys: &SandboxKeys, url: &str, mut fields: Vec<(String, String)>) -> Notice {
    fields.push(("sign_type".into(), sign::SIGN_TYPE.into()));
    let content = sign::content_to_sign(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), Covers::Notification);
    fields.push(("sign".into(), keys.rsa.sign(&content)));
    Notice { url: url.to_owned(), fields }
}

/// The notification of a trade's current status (when it has a `notify_url`).
pub fn payment(keys: &SandboxKeys, trade: &Trade, now: OffsetDateTime) -> Option<Notice> {
    let url = trade.notify_url.as_deref()?;
    Some(signed(keys, url, trade_fields(trade, now)))
}

/// The notification of a refund: the trade's status plus the refund's request number and the
/// refunded total.
pub fn refund(keys: &SandboxKeys, trade: &Trade, refund: &Refund, now: OffsetDateTime) -> Option<Notice> {
    let url = trade.notify_url.as_deref()?;
    let mut fields = trade_fields(trade, now);
    fields.push(("out_biz_no".into(), refund.out_request_no.clone()));
    fields.push(("refund_fee".into(), yuan(trade.refunded())));
    fields.push(("gmt_refund".into(), format_time(refund.at)));
    Some(signed(keys, url, fields))
}

/// Sends the notice from a spawned task until the receiver answers `success`.
pub fn deliver(http: reqwest::Client, notice: Notice) {
    tokio::spawn(async move {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&notice.fields).finish();
        for (attempt, delay) in RETRY_DELAYS_SECS.iter().enumerate() {
            tokio::time::sleep(Duration::from_secs(*delay)).await;
            let sent = http
                .post(&notice.url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
                .body(body.clone())
                .send()
                .await;
            let answer = match sent {
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(err) => {
                    tracing::debug!(url = %notice.url, attempt, error = %err, "alipay sandbox: notification failed");
                    continue;
                }
            };
            if answer.trim() == "success" {
                return;
            }
            tracing::debug!(url = %notice.url, attempt, "alipay sandbox: notification not acknowledged");
        }
        tracing::warn!(url = %notice.url, "alipay sandbox: notification given up");
    });
}
