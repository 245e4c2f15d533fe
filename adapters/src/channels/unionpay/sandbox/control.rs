//! Sandbox control (OPEN_API.md "Sandbox control") and the page a payer reaches: `simulate/pay`,
//! `simulate/fail-next`, the day's statement, and the page behind a sandbox QR code. Plain JSON,
//! unsigned: these stand for the outside world, not for the acquirer's API.

use super::UnionpaySandbox;
use super::book::{self, Reject};
use super::gateway::base_url;
use super::{bill, notify};
use crate::channels::sandbox_control::{SimulatePay, fail_next_body, json_body, json_response, problem};
use juhe_domain::money::Money;
use poem::http::StatusCode;
use poem::{Request, Response};
use serde_json::{Value, json};
use time::macros::format_description;

/// The payer pays a QR code (or confirms a waiting barcode): the acquirer notifies `backUrl`,
/// unless `"notify": false`.
pub async fn simulate_pay(sandbox: &UnionpaySandbox, mut req: Request) -> Response {
    let body: SimulatePay = match json_body(&mut req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let now = sandbox.clock.now();
    let mut book = sandbox.book();
    let Some(txn) = book.find_payment(&body.out_trade_no, now) else {
        return problem(StatusCode::NOT_FOUND, "34", "no such orderNo at the UnionPay sandbox");
    };
    match book::pay(txn, now) {
        Ok(newly_paid) => {
            if newly_paid && body.notify {
                sandbox.send(notify::result(&sandbox.keys, txn));
            }
            let (code, message) = txn.status.outcome();
            json_response(
                StatusCode::OK,
                json!({
                    "out_trade_no": txn.order_no,
                    "query_id": txn.query_id,
                    "orig_resp_code": code,
                    "orig_resp_msg": message,
                }),
            )
        }
        Err(Reject(code, message)) => problem(StatusCode::CONFLICT, code, message),
    }
}

/// The next `count` gateway calls fail (see `gateway::handle` for what each mode does).
pub async fn simulate_fail_next(sandbox: &UnionpaySandbox, mut req: Request) -> Response {
    let (count, mode) = match fail_next_body(&mut req).await {
        Ok(planned) => planned,
        Err(response) => return response,
    };
    sandbox.failures.plan(count, mode);
    json_response(StatusCode::OK, json!({ "count": count, "mode": mode.as_str() }))
}

/// `GET /bill?date=YYYY-MM-DD`: the institution's statement of the day (see `bill.rs`).
pub async fn bill(sandbox: &UnionpaySandbox, req: Request) -> Response {
    let date = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "date")
        .and_then(|(_, v)| time::Date::parse(&v, format_description!("[year]-[month]-[day]")).ok());
    let Some(date) = date else {
        return problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "date=YYYY-MM-DD is required");
    };
    let acq_code = &sandbox.keys.acq_code;
    let csv = bill::csv(acq_code, sandbox.book().txns(), date);
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{}\"", bill::file_name(acq_code, date)))
        .body(csv)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A JSON string literal for inline script (`<` escaped so that `</script>` cannot appear).
fn js_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string().replace('<', "\\u003c")
}

/// The page behind a sandbox QR code (what the payer's phone opens after scanning), with a button
/// that pays through `simulate/pay`.
pub async fn qr_page(sandbox: &UnionpaySandbox, req: Request) -> Response {
    let token = req.uri().path().rsplit('/').next().unwrap_or("");
    let base = base_url(&req);
    let txn = sandbox.book().find_by_qr(token, sandbox.clock.now()).map(|t| t.clone());
    let Some(txn) = txn else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/html; charset=utf-8")
            .body("<!doctype html><meta charset=\"utf-8\"><title>银联沙箱</title><p>34: 查无此交易</p>");
    };
    let fen = Money(txn.amount).fen();
    let (_, status) = txn.status.outcome();
    let html = format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>银联二维码沙箱</title></head>
<body style="font-family:sans-serif;max-width:28em;margin:2em auto">
<h1>银联二维码沙箱 · UnionPay QR sandbox</h1>
<p style="font-size:2em">¥ {whole}.{cents:02}</p>
<p>订单号 {order_no} · 状态 <span id="status">{status}</span></p>
<button id="pay" style="font-size:1.2em">确认付款 · Pay</button>
<script>
document.getElementById("pay").onclick = async () => {{
  const r = await fetch({pay_url}, {{method: "POST", headers: {{"content-type": "application/json"}},
    body: JSON.stringify({{out_trade_no: {order_no_js}}})}});
  const j = await r.json().catch(() => ({{}}));
  document.getElementById("status").textContent = j.orig_resp_msg || j.message || ("HTTP " + r.status);
}};
</script></body></html>"#,
        whole = fen / 100,
        cents = fen % 100,
        order_no = escape(&txn.order_no),
        status = escape(status),
        order_no_js = js_string(&txn.order_no),
        pay_url = js_string(&format!("{base}/simulate/pay")),
    );
    Response::builder().content_type("text/html; charset=utf-8").body(html)
}
