//! The exported spec (`juhe openapi`) describes the contract's objects field by field:
//! OPEN_API.md's order, refund and notification objects are real schemas, not `{}`.

use serde_json::Value;
use std::process::Command;

fn spec() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_juhe")).arg("openapi").output().expect("run juhe openapi");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the spec is JSON")
}

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Value {
    let s = &spec["components"]["schemas"][name];
    assert!(s.is_object(), "components.schemas.{name} exists");
    s
}

/// Follows a `$ref` (also one wrapped in `allOf`, as nullable references are).
fn resolve<'a>(spec: &'a Value, s: &'a Value) -> &'a Value {
    let reference = s["$ref"].as_str().or_else(|| s["allOf"][0]["$ref"].as_str());
    match reference {
        Some(r) => schema(spec, r.trim_start_matches("#/components/schemas/")),
        None => s,
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().unwrap_or_else(|| panic!("an array: {v}")).iter().map(|x| x.as_str().unwrap()).collect()
}

/// The object has exactly these keys, every one required (they are always sent), and the keys
/// in `nullable` (only those) may be `null`.
fn assert_keys(spec: &Value, name: &str, keys: &[&str], nullable: &[&str]) {
    let s = schema(spec, name);
    assert_eq!(s["type"], "object", "{name}");
    let mut want = keys.to_vec();
    want.sort_unstable();
    let mut props: Vec<&str> = s["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    props.sort_unstable();
    assert_eq!(props, want, "{name}: properties");
    let mut required = strings(&s["required"]);
    required.sort_unstable();
    assert_eq!(required, want, "{name}: required");
    for key in keys {
        let is_nullable = s["properties"][key]["nullable"] == true;
        assert_eq!(is_nullable, nullable.contains(key), "{name}.{key}: nullable");
    }
}

fn prop<'a>(spec: &'a Value, name: &str, key: &str) -> &'a Value {
    &schema(spec, name)["properties"][key]
}

fn assert_type(spec: &Value, name: &str, key: &str, ty: &str, format: Option<&str>) {
    let p = prop(spec, name, key);
    assert_eq!(p["type"], ty, "{name}.{key}: type");
    assert_eq!(p["format"].as_str(), format, "{name}.{key}: format");
}

fn assert_enum(spec: &Value, name: &str, key: &str, values: &[&str]) {
    let p = resolve(spec, prop(spec, name, key));
    assert_eq!(p["type"], "string", "{name}.{key}");
    assert_eq!(strings(&p["enum"]), values, "{name}.{key}: enum");
}

const ORDER_KEYS: [&str; 18] = [
    "order_no",
    "merchant_no",
    "store_id",
    "out_trade_no",
    "amount",
    "currency",
    "way",
    "channel",
    "status",
    "refunded_amount",
    "fee",
    "pay_data",
    "channel_trade_no",
    "subject",
    "attach",
    "created_at",
    "paid_at",
    "expire_at",
];

#[test]
fn the_order_object_is_a_schema() {
    let spec = spec();
    let nullable = ["store_id", "channel", "pay_data", "channel_trade_no", "attach", "paid_at"];
    assert_keys(&spec, "Order", &ORDER_KEYS, &nullable);
    for money in ["amount", "refunded_amount", "fee"] {
        assert_type(&spec, "Order", money, "integer", Some("int64"));
    }
    for time in ["created_at", "paid_at", "expire_at"] {
        assert_type(&spec, "Order", time, "string", Some("date-time"));
    }
    let statuses = ["created", "paying", "paid", "partially_refunded", "refunded", "closed", "cancelled", "failed"];
    assert_enum(&spec, "Order", "status", &statuses);
    let ways = [
        "WX_JSAPI",
        "WX_NATIVE",
        "WX_H5",
        "WX_APP",
        "WX_MINI",
        "ALI_QR",
        "ALI_JSAPI",
        "ALI_WAP",
        "ALI_APP",
        "UP_QR",
        "BARCODE",
        "CASHIER",
    ];
    assert_enum(&spec, "Order", "way", &ways);
    assert_enum(&spec, "Order", "channel", &["wechat", "alipay", "unionpay", "instant"]);
    let pay_data = prop(&spec, "Order", "pay_data");
    assert_eq!(pay_data["type"], "object", "pay_data is a free-form object");
    assert!(pay_data.get("properties").is_none(), "pay_data: keys depend on the way");
}

#[test]
fn the_refund_object_is_a_schema() {
    let spec = spec();
    let keys = [
        "refund_no",
        "order_no",
        "out_refund_no",
        "amount",
        "fee_refunded",
        "status",
        "reason",
        "created_at",
        "succeeded_at",
    ];
    assert_keys(&spec, "Refund", &keys, &["reason", "succeeded_at"]);
    assert_type(&spec, "Refund", "amount", "integer", Some("int64"));
    assert_type(&spec, "Refund", "fee_refunded", "integer", Some("int64"));
    assert_type(&spec, "Refund", "succeeded_at", "string", Some("date-time"));
    assert_enum(&spec, "Refund", "status", &["processing", "succeeded", "failed", "closed"]);
}

#[test]
fn the_notification_object_and_its_attempts_are_schemas() {
    let spec = spec();
    let keys = [
        "id",
        "event_type",
        "resource_no",
        "url",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload",
    ];
    assert_keys(&spec, "Notification", &keys, &["delivered_at"]);
    let events =
        ["order.paid", "order.closed", "order.cancelled", "order.exception", "refund.succeeded", "refund.failed"];
    assert_enum(&spec, "Notification", "event_type", &events);
    assert_enum(&spec, "Notification", "status", &["pending", "delivered", "exhausted"]);
    let keys = ["attempt_no", "started_at", "http_status", "latency_ms", "response_excerpt", "success"];
    assert_keys(&spec, "DeliveryAttempt", &keys, &["http_status"]);
}

/// The response schema of one operation and status, followed to its component name.
fn response_ref<'a>(spec: &'a Value, path: &str, method: &str, status: &str) -> &'a str {
    let content = &spec["paths"][path][method]["responses"][status]["content"];
    let media =
        content.as_object().and_then(|m| m.values().next()).unwrap_or_else(|| panic!("{method} {path} {status}"));
    media["schema"]["$ref"].as_str().unwrap_or_else(|| panic!("{method} {path} {status}: not {{}}"))
}

#[test]
fn the_operations_answer_with_the_typed_objects() {
    let spec = spec();
    let order = "#/components/schemas/Order";
    let refund = "#/components/schemas/Refund";
    for (path, method, status, want) in [
        ("/open/v1/orders", "post", "201", order),
        ("/open/v1/orders", "post", "200", order),
        ("/open/v1/orders", "get", "200", order),
        ("/open/v1/orders/{order_no}", "get", "200", order),
        ("/open/v1/orders/{order_no}/close", "post", "200", order),
        ("/open/v1/orders/{order_no}/cancel", "post", "200", order),
        ("/open/v1/refunds", "post", "201", refund),
        ("/open/v1/refunds", "post", "200", refund),
        ("/open/v1/refunds/{refund_no}", "get", "200", refund),
        ("/admin/v1/notifications/{id}/resend", "post", "200", "#/components/schemas/Notification"),
    ] {
        assert_eq!(response_ref(&spec, path, method, status), want, "{method} {path} {status}");
    }
    let item_ref = |name: &str, key: &str| {
        let p = prop(&spec, name, key);
        p["$ref"].as_str().or_else(|| p["items"]["$ref"].as_str()).map(str::to_owned)
    };
    assert_eq!(item_ref("OrderPage", "items").as_deref(), Some(order));
    assert_eq!(item_ref("OrderDetail", "order").as_deref(), Some(order));
    assert_eq!(item_ref("OrderDetail", "refunds").as_deref(), Some(refund));
    assert_eq!(item_ref("NotificationPage", "items").as_deref(), Some("#/components/schemas/Notification"));
    assert_eq!(item_ref("NotificationDetail", "notification").as_deref(), Some("#/components/schemas/Notification"));
    assert_eq!(item_ref("NotificationDetail", "attempts").as_deref(), Some("#/components/schemas/DeliveryAttempt"));
}
