//! The acquirer's result notification (`reqType=0250000903`), as the sandbox sends it: a form POST
//! to the transaction's `backUrl`, signed with UnionPay's key, repeated until the receiver answers
//! HTTP 200 (the body is not read). The sandbox retries within about two minutes, which is what
//! demos and tests need.

use super::super::protocol::{self, field};
use super::book::Txn;
use super::keys::SandboxKeys;
use super::txn_api::txn_fields;
use std::time::Duration;

const RETRY_DELAYS_SECS: [u64; 7] = [0, 1, 2, 5, 10, 30, 60];

/// A signed notification ready to send.
#[derive(Clone, Debug)]
pub struct Notice {
    pub url: String,
    pub body: String,
}

/// The notification of a transaction's result (payment or refund), when it has a `backUrl`.
pub fn result(keys: &SandboxKeys, txn: &Txn) -> Option<Notice> {
    let url = txn.back_url.as_deref()?;
    let (orig_code, orig_msg) = txn.status.outcome();
    let mut msg = txn_fields(txn);
    for (key, value) in [
        (field::VERSION, protocol::VERSION),
        (field::REQ_TYPE, protocol::NOTIFICATION),
        (field::ACQ_CODE, keys.acq_code.as_str()),
        (field::MER_ID, txn.mer_id.as_str()),
        (field::TERM_ID, txn.term_id.as_str()),
        (field::ORDER_NO, txn.order_no.as_str()),
        (field::ORDER_TIME, txn.order_time.as_str()),
        (field::ORIG_REQ_TYPE, txn.kind.req_type()),
        (field::ORIG_RESP_CODE, orig_code),
        (field::ORIG_RESP_MSG, orig_msg),
    ] {
        msg.set(key, value);
    }
    keys.rsa.sign(&mut msg);
    Some(Notice { url: url.to_owned(), body: msg.to_form() })
}

/// Sends the notice from a spawned task until the receiver answers HTTP 200.
pub fn deliver(http: reqwest::Client, notice: Notice) {
    tokio::spawn(async move {
        for (attempt, delay) in RETRY_DELAYS_SECS.iter().enumerate() {
            tokio::time::sleep(Duration::from_secs(*delay)).await;
            let sent = http
                .post(&notice.url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
                .body(notice.body.clone())
                .send()
                .await;
            match sent {
                Ok(response) if response.status() == reqwest::StatusCode::OK => return,
                Ok(response) => {
                    let status = response.status().as_u16();
                    tracing::debug!(url = %notice.url, attempt, status, "unionpay sandbox: notification refused");
                }
                Err(err) => {
                    tracing::debug!(url = %notice.url, attempt, error = %err, "unionpay sandbox: notification failed");
                }
            }
        }
        tracing::warn!(url = %notice.url, "unionpay sandbox: notification given up");
    });
}
