//! The cashier's HTML: small, fast, mobile, Chinese, no external assets (inline CSS and JS).
//! Every value is escaped; data for scripts travels as JSON in a `<script type=application/json>`
//! block with `<` escaped, so no value can close a tag.

use juhe_domain::payments::way::Wallet;
use serde_json::Value;

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f4f5f7;color:#222}main{max-width:28rem;margin:0 auto;padding:1.25rem}.card{background:#fff;border-radius:12px;padding:1.25rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}h1{font-size:1.2rem;margin:0 0 .25rem}.sub{color:#888;font-size:.9rem;margin:0}.amount{display:flex;align-items:baseline;border-bottom:2px solid #eee;margin:1rem 0;padding:.25rem 0}.amount span{font-size:2rem;margin-right:.25rem}.amount input{border:0;outline:0;font-size:2.4rem;width:100%;background:transparent}.fixed{font-size:2.4rem;margin:1rem 0}button{width:100%;border:0;border-radius:8px;padding:.9rem;font-size:1.1rem;color:#fff;background:#1aad19;margin-top:.5rem}button.alipay{background:#1677ff}button.sandbox{background:#f0a020}button:disabled{opacity:.5}.msg{color:#d33;min-height:1.5em;margin:.5rem 0 0}.ok{color:#1aad19}ul{padding-left:1.2rem}.foot{color:#aaa;font-size:.8rem;text-align:center}";

/// HTML-escapes text for element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for an inline `<script type="application/json">` block.
fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Fen as yuan: `1234` → `12.34`.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub fn wallet_name(wallet: Wallet) -> &'static str {
    match wallet {
        Wallet::Wechat => "微信",
        Wallet::Alipay => "支付宝",
        Wallet::UnionPay => "云闪付",
    }
}

fn layout(title: &str, body: &str, script: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1,maximum-scale=1\"><meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\"><title>{title}</title><style>{STYLE}</style></head><body><main>{body}<p class=\"foot\">聚合支付 · 一码付</p></main>{script}</body></html>",
        title = escape(title),
    )
}

/// A page with a heading and a sentence (errors, closed codes, "not activated").
pub fn message(title: &str, text: &str) -> String {
    layout(title, &format!("<div class=\"card\"><h1>{}</h1><p>{}</p></div>", escape(title), escape(text)), "")
}

/// Browsers that cannot pay here: which wallets work.
pub fn unsupported(wallet: Option<Wallet>, shop: &str) -> String {
    let lead = match wallet {
        Some(Wallet::UnionPay) => "云闪付暂不支持扫此码付款。".to_owned(),
        Some(w) => format!("{}暂不支持扫此码付款。", wallet_name(w)),
        None => "请用手机上的支付 App 扫码付款。".to_owned(),
    };
    let body = format!(
        "<div class=\"card\"><h1>{shop}</h1><p>{lead}</p><p>此收款码支持：</p><ul><li>微信 — 打开微信「扫一扫」</li><li>支付宝 — 打开支付宝「扫一扫」</li></ul><p class=\"sub\">在浏览器中打开无法完成付款。</p></div>",
        shop = escape(shop),
        lead = escape(&lead),
    );
    layout("请用微信或支付宝扫码", &body, "")
}

/// What the amount form shows and posts.
pub struct PayPage<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    /// `Some`: a CASHIER order's fixed amount; `None`: the payer types it.
    pub fixed_amount: Option<i64>,
    pub pay_url: &'a str,
    pub wallet: Wallet,
    pub wallet_code: &'a str,
    pub payer_id: &'a str,
    pub token: &'a str,
    /// The built-in sandboxes are on: offer a "sandbox: pay" button instead of a real wallet.
    pub sandbox: bool,
}

const PAY_SCRIPT: &str = r#"<script>
(function(){
var cfg=JSON.parse(document.getElementById('cfg').textContent),f=document.getElementById('f'),b=document.getElementById('b'),m=document.getElementById('m');
function done(j){location.href=j.result_url;}
function sandbox(j){b.textContent='沙箱：模拟付款';b.className='sandbox';b.disabled=false;b.onclick=function(e){e.preventDefault();b.disabled=true;
fetch(j.sandbox_pay_url,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({out_trade_no:j.order_no})}).then(function(){done(j);},function(){m.textContent='沙箱付款失败';b.disabled=false;});};}
function invoke(j){
if(j.sandbox_pay_url){sandbox(j);return;}
if(j.wallet==='wechat'&&j.invoke&&j.invoke.jsapi){var go=function(){WeixinJSBridge.invoke('getBrandWCPayRequest',j.invoke.jsapi,function(){done(j);});};
if(window.WeixinJSBridge){go();}else{document.addEventListener('WeixinJSBridgeReady',go,false);}return;}
if(j.wallet==='alipay'&&j.invoke&&j.invoke.trade_no){var ap=function(){AlipayJSBridge.call('tradePay',{tradeNO:j.invoke.trade_no},function(){done(j);});};
if(window.AlipayJSBridge){ap();}else{document.addEventListener('AlipayJSBridgeReady',ap,false);}return;}
done(j);}
f.onsubmit=function(e){e.preventDefault();m.textContent='';
var a=f.elements.amount;if(a&&!/^\d{1,8}(\.\d{1,2})?$/.test(a.value)){m.textContent='请输入正确的金额';return;}
b.disabled=true;
fetch(cfg.pay_url,{method:'POST',headers:{'content-type':'application/x-www-form-urlencoded'},body:new URLSearchParams(new FormData(f)).toString()})
.then(function(r){return r.json().then(function(j){return [r.ok,j];});})
.then(function(x){if(!x[0]){m.textContent=x[1].message||'付款失败';b.disabled=false;return;}invoke(x[1]);},
function(){m.textContent='网络错误，请重试';b.disabled=false;});};
})();
</script>"#;

pub fn pay_form(p: &PayPage<'_>) -> String {
    let amount = match p.fixed_amount {
        Some(fen) => format!("<div class=\"fixed\">¥ {}</div>", yuan(fen)),
        None => "<label class=\"amount\"><span>¥</span><input name=\"amount\" inputmode=\"decimal\" autocomplete=\"off\" placeholder=\"0.00\" maxlength=\"11\" required autofocus></label>".to_owned(),
    };
    let class = if p.wallet == Wallet::Alipay { "alipay" } else { "" };
    let body = format!(
        "<div class=\"card\"><h1>{title}</h1><p class=\"sub\">{subtitle}</p><form id=\"f\">{amount}<input type=\"hidden\" name=\"wallet\" value=\"{wallet}\"><input type=\"hidden\" name=\"payer\" value=\"{payer}\"><input type=\"hidden\" name=\"token\" value=\"{token}\"><button id=\"b\" class=\"{class}\">{label}付款</button><p id=\"m\" class=\"msg\"></p></form></div>{note}",
        title = escape(p.title),
        subtitle = escape(p.subtitle),
        wallet = escape(p.wallet_code),
        payer = escape(p.payer_id),
        token = escape(p.token),
        label = wallet_name(p.wallet),
        note = if p.sandbox { "<p class=\"sub\">沙箱环境：不会扣款。</p>" } else { "" },
    );
    let cfg = serde_json::json!({ "pay_url": p.pay_url });
    let script = format!("<script type=\"application/json\" id=\"cfg\">{}</script>{PAY_SCRIPT}", script_json(&cfg));
    layout(p.title, &body, &script)
}

const RESULT_SCRIPT: &str = r#"<script>
(function(){
var cfg=JSON.parse(document.getElementById('cfg').textContent),s=document.getElementById('s'),n=0;
var names={created:'等待付款…',paying:'付款中…',paid:'支付成功',partially_refunded:'支付成功（部分退款）',refunded:'已退款',closed:'订单已关闭',cancelled:'订单已撤销',failed:'支付失败'};
function poll(){fetch(cfg.status_url).then(function(r){return r.json();}).then(function(j){
s.textContent=names[j.status]||j.status;if(j.paid){s.className='ok';return;}
if(j.final||++n>120){return;}setTimeout(poll,1500);},function(){if(++n<=120){setTimeout(poll,3000);}});}
poll();})();
</script>"#;

/// The page after paying: the order's state, polled until it is final.
pub fn result(title: &str, amount: i64, order_no: &str, status_url: &str, return_url: Option<&str>) -> String {
    let back = return_url.map(|u| format!("<p><a href=\"{}\">返回商户</a></p>", escape(u))).unwrap_or_default();
    let body = format!(
        "<div class=\"card\"><h1>{title}</h1><div class=\"fixed\">¥ {amount}</div><p id=\"s\">查询中…</p><p class=\"sub\">订单号 {order_no}</p>{back}</div>",
        title = escape(title),
        amount = yuan(amount),
        order_no = escape(order_no),
    );
    let cfg = serde_json::json!({ "status_url": status_url });
    let script = format!("<script type=\"application/json\" id=\"cfg\">{}</script>{RESULT_SCRIPT}", script_json(&cfg));
    layout("付款结果", &body, &script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_escaped() {
        let page = unsupported(None, "<script>alert(1)</script>");
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;"));
        assert_eq!(yuan(1234), "12.34");
        assert_eq!(yuan(5), "0.05");
        let cfg = script_json(&serde_json::json!({"u": "</script><b>"}));
        assert!(!cfg.contains("</script>"));
    }
}
