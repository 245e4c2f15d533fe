//! `POST /gateway`: the sandbox's acquirer gateway. Reads the form, applies a pending
//! `simulate/fail-next`, checks the common fields and the institution's signature in the
//! acquirer's order, dispatches on `reqType`, and answers a form signed with UnionPay's key that
//! echoes the request's identifying fields (`reqType`, `acqCode`, `merId`, `termId`, `orderNo`,
//! `orderTime`).

use super::super::message::Message;
use super::super::protocol::{self, code, field};
use super::super::qr::QR_APPLY;
use super::UnionpaySandbox;
use super::book::Reject;
use super::txn_api::{self, Call, Reply};
use crate::channels::sandbox_control::{FailMode, dropped_answer};
use poem::http::StatusCode;
use poem::{Request, Response};
use std::time::Duration;

/// Gateway requests are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 << 10;
/// How long `simulate/fail-next` with mode `timeout` holds the answer back.
pub const TIMEOUT_DELAY: Duration = Duration::from_secs(15);
/// 1 000 000.00 yuan: the largest single transaction the sandbox takes.
const MAX_AMOUNT: i64 = 100_000_000;

const REQ_TYPES: [&str; 7] =
    [QR_APPLY, protocol::PAY, protocol::REVERSAL, protocol::VOID, protocol::REFUND, protocol::QUERY, protocol::BILL];
/// Request types that move money and carry `txnAmt` / `currencyCode`.
const WITH_AMOUNT: [&str; 3] = [QR_APPLY, protocol::PAY, protocol::REFUND];
/// Fields echoed from the request into the answer.
const ECHOED: [&str; 7] = [
    field::VERSION,
    field::REQ_TYPE,
    field::ACQ_CODE,
    field::MER_ID,
    field::TERM_ID,
    field::ORDER_NO,
    field::ORDER_TIME,
];

/// Applies a pending `simulate/fail-next`: `error` → HTTP 500 with a signed `respCode=06`
/// (system busy), not acted on; `timeout` → acted on, answered `TIMEOUT_DELAY` late;
/// `lost_reply` → acted on, the connection cut unanswered.
pub async fn handle(sandbox: &UnionpaySandbox, mut req: Request) -> Response {
    let fail = sandbox.failures.take();
    let base_url = base_url(&req);
    let Ok(body) = req.take_body().into_bytes_limit(MAX_BODY_BYTES).await else {
        return Response::builder().status(StatusCode::PAYLOAD_TOO_LARGE).finish();
    };
    let Some(request) = Message::parse_form(&body) else {
        let reply = Reply::from(Reject(code::FORMAT_ERROR, "报文格式错误：字段重复"));
        return respond(sandbox, &Message::new(), reply, StatusCode::OK);
    };
    if fail == Some(FailMode::Error) {
        return respond(
            sandbox,
            &request,
            Reply::from(Reject(code::BUSY, "系统繁忙")),
            StatusCode::INTERNAL_SERVER_ERROR,
        );
    }
    let reply = match check(sandbox, &request) {
        Ok(amount) => {
            let call = Call { msg: &request, amount, base_url: &base_url, now: sandbox.clock.now() };
            txn_api::dispatch(sandbox, &call)
        }
        Err(reject) => Reply::from(reject),
    };
    let response = respond(sandbox, &request, reply, StatusCode::OK);
    match fail {
        Some(FailMode::Timeout) => tokio::time::sleep(TIMEOUT_DELAY).await,
        Some(FailMode::LostReply) => return dropped_answer(),
        _ => {}
    }
    response
}

/// The checks the gateway makes before any business logic, in its order. Returns `txnAmt` (fen)
/// for the request types that carry one.
fn check(sandbox: &UnionpaySandbox, msg: &Message) -> Result<i64, Reject> {
    let missing = Reject(code::MISSING_FIELD, "报文交易要素缺失");
    let malformed = Reject(code::FORMAT_ERROR, "报文格式错误");
    if msg.get(field::VERSION) != Some(protocol::VERSION) {
        return Err(Reject(code::FORMAT_ERROR, "版本号错误"));
    }
    let req_type = msg.get(field::REQ_TYPE).ok_or(missing)?;
    if !REQ_TYPES.contains(&req_type) {
        return Err(Reject(code::FORMAT_ERROR, "交易类型错误"));
    }
    if sandbox.keys.rsa.verify(msg).is_err() {
        return Err(Reject(code::BAD_SIGNATURE, "验证签名失败"));
    }
    if msg.get(field::ACQ_CODE) != Some(sandbox.keys.acq_code.as_str()) {
        return Err(Reject(code::MERCHANT_INVALID, "机构代码不正确"));
    }
    match msg.get(field::MER_ID) {
        None if req_type == protocol::BILL => {}
        None => return Err(missing),
        Some(mer_id) if !protocol::is_mer_id(mer_id) => return Err(Reject(code::MERCHANT_INVALID, "商户号不正确")),
        // Only merchants the acquirer opened (`provision_sub_merchant`) may transact.
        Some(mer_id) if !sandbox.is_merchant(mer_id) => return Err(Reject(code::MERCHANT_INVALID, "商户状态不正确")),
        Some(_) => {}
    }
    let term_id = msg.get(field::TERM_ID).ok_or(missing)?;
    if term_id.len() != 8 || !term_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(malformed);
    }
    if !protocol::is_order_no(msg.get(field::ORDER_NO).ok_or(missing)?) {
        return Err(malformed);
    }
    // Only the format is checked: terminals' clocks drift.
    protocol::parse_time(msg.get(field::ORDER_TIME).ok_or(missing)?).ok_or(malformed)?;
    if !WITH_AMOUNT.contains(&req_type) {
        return Ok(0);
    }
    let amount = protocol::parse_fen(msg.get(field::TXN_AMT).ok_or(missing)?).ok_or(malformed)?.fen();
    if amount <= 0 {
        return Err(malformed);
    }
    if amount > MAX_AMOUNT {
        return Err(Reject(code::AMOUNT_LIMIT, "交易金额超限"));
    }
    if msg.get(field::CURRENCY_CODE) != Some(protocol::CURRENCY_CNY) {
        return Err(Reject(code::FORMAT_ERROR, "币种不支持"));
    }
    Ok(amount)
}

/// The signed answer: the echoed fields, `respCode`/`respMsg`, the reply's own fields.
fn respond(sandbox: &UnionpaySandbox, request: &Message, reply: Reply, status: StatusCode) -> Response {
    let mut answer = reply.fields;
    for key in ECHOED {
        if let Some(value) = request.get(key) {
            answer.set(key, value);
        }
    }
    answer.set(field::VERSION, protocol::VERSION);
    answer.set(field::RESP_CODE, reply.code);
    answer.set(field::RESP_MSG, reply.message);
    sandbox.keys.rsa.sign(&mut answer);
    Response::builder()
        .status(status)
        .content_type("application/x-www-form-urlencoded;charset=utf-8")
        .body(answer.to_form())
}

/// `http://host/sandbox/unionpay`: where this sandbox is reachable, from the request itself.
pub fn base_url(req: &Request) -> String {
    let host = req.header("host").unwrap_or("127.0.0.1");
    let scheme = req.header("x-forwarded-proto").unwrap_or("http");
    let full = req.original_uri().path();
    let prefix = full.strip_suffix(req.uri().path()).unwrap_or("");
    format!("{scheme}://{host}{prefix}")
}
