//! The sandbox's stand-in for Alipay's cashier: the page a payer sees after opening a mobile-web
//! pay URL or scanning a sandbox QR code, with a button that pays (through `simulate/pay`).

use super::super::amount::fen_to_yuan;
use super::book::Trade;
use juhe_domain::money::Money;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON string literal for inline script (escapes `<` so `</script>` cannot appear).
fn js_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string().replace('<', "\\u003c")
}

pub fn page(base_url: &str, trade: &Trade, return_url: Option<&str>) -> String {
    let amount = fen_to_yuan(Money(trade.total)).unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>支付宝沙箱收银台</title></head>
<body style="font-family:sans-serif;max-width:28em;margin:2em auto">
<h1>支付宝沙箱 · Alipay sandbox</h1>
<p>{subject}</p><p style="font-size:2em">¥ {amount}</p>
<p>订单号 {out_trade_no} · 状态 <span id="status">{status}</span></p>
<button id="pay" style="font-size:1.2em">确认付款 · Pay</button>
<script>
document.getElementById("pay").onclick = async () => {{
  const r = await fetch({pay_url}, {{method: "POST", headers: {{"content-type": "application/json"}},
    body: JSON.stringify({{out_trade_no: {out_trade_no_js}}})}});
  const j = await r.json().catch(() => ({{}}));
  document.getElementById("status").textContent = j.trade_status || ("HTTP " + r.status);
  const back = {return_url};
  if (r.ok && back) location.href = back;
}};
</script></body></html>"#,
        subject = escape(&trade.subject),
        out_trade_no = escape(&trade.out_trade_no),
        status = trade.status.as_str(),
        pay_url = js_string(&format!("{base_url}/simulate/pay")),
        out_trade_no_js = js_string(&trade.out_trade_no),
        return_url = js_string(return_url.unwrap_or("")),
    )
}

pub fn error_page(code: &str, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>支付宝沙箱</title></head>\
         <body><h1>支付宝沙箱 · Alipay sandbox</h1><p>{}: {}</p></body></html>",
        escape(code),
        escape(message)
    )
}
