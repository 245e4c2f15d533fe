//! `/gateway.do`: the sandbox's Alipay gateway. Reads the parameters from the query string and a
//! form body (the python SDK sends a GET with everything in the query; juhe and the Java SDK
//! POST a form), checks the common parameters (app, juhe's RSA2 signature, a `timestamp` close to
//! the sandbox clock, the `app_auth_token` if any), applies a pending `simulate/fail-next`,
//! dispatches on `method`, and answers `{"<method>_response":{…},"sign":"…"}` signed over the
//! exact response text with the platform key.

use super::super::protocol::{self, parse_time};
use super::super::sign::{self, Covers};
use super::AlipaySandbox;
use super::merchants::Principal;
use super::trade_api::{self, Answer, Common};
use crate::channels::sandbox_control::{FailMode, dropped_answer};
use poem::http::StatusCode;
use poem::{Request, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// Gateway requests are a few KiB.
const MAX_BODY_BYTES: usize = 256 << 10;
/// How long `simulate/fail-next` with mode `timeout` holds the answer back.
pub const TIMEOUT_DELAY: Duration = Duration::from_secs(15);

const METHODS: [&str; 12] = [
    protocol::PRECREATE,
    protocol::CREATE,
    protocol::WAP_PAY,
    protocol::APP_PAY,
    protocol::PAY,
    protocol::QUERY,
    protocol::CLOSE,
    protocol::CANCEL,
    protocol::REFUND,
    protocol::REFUND_QUERY,
    protocol::BILL_URL_QUERY,
    super::super::oauth::OAUTH_TOKEN,
];

/// How far a request `timestamp` may be from the sandbox clock. Alipay refuses stale or
/// mis-zoned timestamps (a server stamping UTC is 8 hours off) with `isv.invalid-timestamp`; it
/// does not publish the window, so this one is ours (unverified).
pub const TIMESTAMP_WINDOW: time::Duration = time::Duration::minutes(15);

/// A gateway-level rejection: `code`, `msg`, `sub_code`, `sub_msg`.
type Rejection = (&'static str, &'static str, &'static str, &'static str);

const INVALID: &str = "Invalid Arguments";
const MISSING: &str = "Missing Required Arguments";

/// Applies a pending `simulate/fail-next`: `error` → HTTP 502 without acting; `timeout` → acted
/// on, answered `TIMEOUT_DELAY` late; `lost_reply` → acted on, the connection cut unanswered.
pub async fn handle(sandbox: &AlipaySandbox, mut req: Request) -> Response {
    let fail = sandbox.failures.take();
    if fail == Some(FailMode::Error) {
        return Response::builder().status(StatusCode::BAD_GATEWAY).body("sandbox: simulated gateway failure");
    }
    let base_url = base_url(&req);
    let query = req.uri().query().unwrap_or("").to_owned();
    let body = match req.take_body().into_bytes_limit(MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => return Response::builder().status(StatusCode::PAYLOAD_TOO_LARGE).finish(),
    };
    let answer = answer(sandbox, &base_url, query.as_bytes(), &body);
    match fail {
        Some(FailMode::Timeout) => tokio::time::sleep(TIMEOUT_DELAY).await,
        Some(FailMode::LostReply) => return dropped_answer(),
        _ => {}
    }
    answer
}

fn answer(sandbox: &AlipaySandbox, base_url: &str, query: &[u8], body: &[u8]) -> Response {
    let mut params: HashMap<String, String> = HashMap::new();
    let pairs = form_urlencoded::parse(query).chain(form_urlencoded::parse(body));
    for (key, value) in pairs {
        if params.insert(key.into_owned(), value.into_owned()).is_some() {
            return error_response(sandbox, ("40002", INVALID, "isv.invalid-parameter", "参数重复"));
        }
    }
    let method = match params.get("method").map(String::as_str) {
        Some(m) if METHODS.contains(&m) => m.to_owned(),
        Some(_) => return error_response(sandbox, ("40002", INVALID, "isv.invalid-method", "不存在的方法名")),
        None => return error_response(sandbox, ("40001", MISSING, "isv.missing-method", "缺少方法名参数")),
    };
    let principal = match check_common(sandbox, &params) {
        Ok(principal) => principal,
        Err(rejection) => return signed(sandbox, &method, reply(rejection)),
    };
    if method == super::super::oauth::OAUTH_TOKEN {
        return match super::oauth::token(sandbox, &params) {
            Ok(fields) => signed(sandbox, &method, fields),
            Err(refusal) => error_response(sandbox, refusal),
        };
    }
    let biz: Map<String, Value> = match params.get("biz_content").map(|b| serde_json::from_str(b)) {
        Some(Ok(biz)) => biz,
        _ => {
            let rejection = ("40004", "Business Failed", "ACQ.INVALID_PARAMETER", "biz_content 不是 JSON 对象");
            return signed(sandbox, &method, reply(rejection));
        }
    };
    let app_id = params.get("app_id").cloned().unwrap_or_default();
    let common = Common {
        scope: principal.scope(&app_id),
        app_id,
        principal,
        notify_url: params.get("notify_url").filter(|u| !u.is_empty()).cloned(),
        return_url: params.get("return_url").filter(|u| !u.is_empty()).cloned(),
        base_url: base_url.to_owned(),
        now: sandbox.clock.now(),
    };
    match trade_api::dispatch(sandbox, &method, &common, &biz) {
        Answer::Object(fields) => signed(sandbox, &method, fields),
        Answer::Page(html) => Response::builder().content_type("text/html; charset=utf-8").body(html),
    }
}

/// The checks Alipay makes before any business logic, in its order; then whom the call acts for.
fn check_common(sandbox: &AlipaySandbox, params: &HashMap<String, String>) -> Result<Principal, Rejection> {
    let get = |key: &str| params.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let Some(app_id) = get("app_id") else {
        return Err(("40001", MISSING, "isv.missing-app-id", "缺少AppID参数"));
    };
    if app_id != sandbox.keys.app_id {
        return Err(("40002", INVALID, "isv.invalid-app-id", "无效的AppID参数"));
    }
    let Some(signature) = get("sign") else {
        return Err(("40001", MISSING, "isv.missing-signature", "缺少签名参数"));
    };
    match get("sign_type") {
        Some(sign::SIGN_TYPE) => {}
        None => return Err(("40001", MISSING, "isv.missing-signature-type", "缺少签名类型参数")),
        Some(_) => return Err(("40002", INVALID, "isv.invalid-signature-type", "无效的签名类型")),
    }
    if !matches!(get("charset"), None | Some("utf-8") | Some("UTF-8")) {
        return Err(("40002", INVALID, "isv.invalid-charset", "字符集错误"));
    }
    let Some(timestamp) = get("timestamp") else {
        return Err(("40001", MISSING, "isv.missing-timestamp", "缺少时间戳参数"));
    };
    let now = sandbox.clock.now();
    if parse_time(timestamp).is_none_or(|at| (at - now).abs() > TIMESTAMP_WINDOW) {
        return Err(("40002", INVALID, "isv.invalid-timestamp", "非法的时间戳参数"));
    }
    let content = sign::content_to_sign(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), Covers::Request);
    if !sandbox.keys.rsa.verify(&content, signature) {
        return Err(("40002", INVALID, "isv.invalid-signature", "验签出错"));
    }
    sandbox.merchants.principal(app_id, get("app_auth_token")).ok_or((
        "20001",
        "Insufficient Token Permissions",
        "aop.invalid-app-auth-token",
        "无效的应用授权令牌",
    ))
}

fn reply((code, msg, sub_code, sub_msg): Rejection) -> Map<String, Value> {
    let value = json!({ "code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg });
    value.as_object().cloned().unwrap_or_default()
}

/// `{"<key>":<text>,"sign":"…"}` with the signature over exactly `<text>`.
fn envelope(sandbox: &AlipaySandbox, key: &str, fields: &Map<String, Value>) -> Response {
    let text = Value::Object(fields.clone()).to_string();
    let body = sign::join_envelope(key, &text, &sandbox.keys.rsa.sign(&text));
    Response::builder().content_type("application/json;charset=utf-8").body(body)
}

fn signed(sandbox: &AlipaySandbox, method: &str, fields: Map<String, Value>) -> Response {
    envelope(sandbox, &sign::response_key(method), &fields)
}

fn error_response(sandbox: &AlipaySandbox, rejection: Rejection) -> Response {
    envelope(sandbox, "error_response", &reply(rejection))
}

/// `http://host/sandbox/alipay`: where this sandbox is reachable, from the request itself (the
/// lead mounts it under `/sandbox/alipay`, `juhe sandbox` may mount it elsewhere).
pub fn base_url(req: &Request) -> String {
    let host = req.header("host").unwrap_or("127.0.0.1");
    let scheme = req.header("x-forwarded-proto").unwrap_or("http");
    let full = req.original_uri().path();
    let prefix = full.strip_suffix(req.uri().path()).unwrap_or("");
    format!("{scheme}://{host}{prefix}")
}
