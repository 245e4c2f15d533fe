//! Alipay OpenAPI vocabulary shared by the adapter and the sandbox: method names, codes, product
//! codes, the gateway's time format, and a parsed (already verified) answer.

use serde_json::{Map, Value};
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

pub const DEFAULT_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

pub const PRECREATE: &str = "alipay.trade.precreate";
pub const CREATE: &str = "alipay.trade.create";
pub const WAP_PAY: &str = "alipay.trade.wap.pay";
pub const APP_PAY: &str = "alipay.trade.app.pay";
pub const PAY: &str = "alipay.trade.pay";
pub const QUERY: &str = "alipay.trade.query";
pub const CLOSE: &str = "alipay.trade.close";
pub const CANCEL: &str = "alipay.trade.cancel";
pub const REFUND: &str = "alipay.trade.refund";
pub const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
pub const BILL_URL_QUERY: &str = "alipay.data.dataservice.bill.downloadurl.query";

/// Product codes per flow: face-to-face (QR and barcode), JSAPI, mobile web, app.
pub const FACE_TO_FACE: &str = "FACE_TO_FACE_PAYMENT";
pub const JSAPI_PAY: &str = "JSAPI_PAY";
pub const QUICK_WAP_WAY: &str = "QUICK_WAP_WAY";
pub const QUICK_MSECURITY_PAY: &str = "QUICK_MSECURITY_PAY";

pub const CODE_SUCCESS: &str = "10000";
/// Barcode: the payer still has to confirm on the phone.
pub const CODE_PAYING: &str = "10003";
/// Service unavailable: the outcome is unknown (query, then cancel).
pub const CODE_UNKNOWN: &str = "20000";
pub const CODE_BUSINESS_FAILED: &str = "40004";

pub const TRADE_NOT_EXIST: &str = "ACQ.TRADE_NOT_EXIST";
pub const TRADE_HAS_SUCCESS: &str = "ACQ.TRADE_HAS_SUCCESS";

pub const WAIT_BUYER_PAY: &str = "WAIT_BUYER_PAY";
pub const TRADE_CLOSED: &str = "TRADE_CLOSED";
pub const TRADE_SUCCESS: &str = "TRADE_SUCCESS";
pub const TRADE_FINISHED: &str = "TRADE_FINISHED";

/// Alipay's clock: Beijing time, no offset on the wire.
pub const BEIJING: UtcOffset = offset!(+8);

const WIRE_TIME: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// `yyyy-MM-dd HH:mm:ss` in Beijing time.
pub fn format_time(at: OffsetDateTime) -> String {
    // The format has only numeric fields of a valid date: formatting cannot fail.
    at.to_offset(BEIJING).format(WIRE_TIME).unwrap_or_default()
}

/// Reads `yyyy-MM-dd HH:mm:ss` as Beijing time.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(text, WIRE_TIME).ok().map(|t| t.assume_offset(BEIJING))
}

/// A verified `*_response` object.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub fields: Map<String, Value>,
}

impl Reply {
    pub fn parse(text: &str) -> Option<Reply> {
        serde_json::from_str(text).ok().map(|fields| Reply { fields })
    }

    /// A string field (`None` when absent, empty or not a string).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    pub fn code(&self) -> &str {
        self.str("code").unwrap_or("")
    }

    pub fn sub_code(&self) -> &str {
        self.str("sub_code").unwrap_or("")
    }

    pub fn is_success(&self) -> bool {
        self.code() == CODE_SUCCESS
    }

    /// `sub_code` (or `code` when there is none) and `sub_msg` (or `msg`), for errors and logs.
    pub fn failure(&self) -> (String, String) {
        let code = self.str("sub_code").or(self.str("code")).unwrap_or("UNKNOWN");
        let message = self.str("sub_msg").or(self.str("msg")).unwrap_or("");
        (code.to_owned(), message.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_are_beijing() {
        assert_eq!(format_time(datetime!(2024-01-01 16:30:05 UTC)), "2024-01-02 00:30:05");
        assert_eq!(parse_time("2024-01-02 00:30:05"), Some(datetime!(2024-01-01 16:30:05 UTC)));
        assert_eq!(parse_time("2024-01-02T00:30:05"), None);
    }
}
