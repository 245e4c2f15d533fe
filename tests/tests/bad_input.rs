//! Bad input on every endpoint gets a 4xx with a stable code and the standard error body —
//! never a 500, never a half-written record.

use juhe_tests::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

fn assert_error_shape(r: &juhe_tests::Reply, what: &str) {
    assert!((400..500).contains(&r.status), "{what}: status {} body {}", r.status, r.body);
    assert!(r.json["code"].is_string(), "{what}: no code in {}", r.body);
    assert!(r.json["message"].is_string(), "{what}: no message");
    assert!(r.json["request_id"].as_str().is_some_and(|s| !s.is_empty()), "{what}: no request_id");
}

/// (method, path, a valid-ish body to mutate) for every admin endpoint with a JSON body.
fn bodies(demo: &juhe_api::demo::DemoOutput) -> Vec<(Method, String, Value)> {
    let m = &demo.merchant.merchant_id;
    let a = &demo.agent.agent_id;
    let s = &demo.merchant.store_id;
    let app = &demo.merchant.app_id;
    vec![
        (Method::POST, "/admin/v1/auth/login".into(), json!({"username": "admin", "password": "x"})),
        (Method::POST, "/admin/v1/auth/refresh".into(), json!({"refresh_token": "x"})),
        (Method::POST, "/admin/v1/auth/logout".into(), json!({"refresh_token": "x"})),
        (Method::POST, "/admin/v1/auth/password".into(), json!({"old_password": "x", "new_password": "y"})),
        (
            Method::POST,
            "/admin/v1/users".into(),
            json!({"username": "newuser", "password": "abcdefgh123", "role": "agent_staff", "node_id": a}),
        ),
        (Method::POST, "/admin/v1/agents".into(), json!({"name": "A"})),
        (Method::PATCH, format!("/admin/v1/agents/{a}"), json!({"name": "A"})),
        (
            Method::POST,
            "/admin/v1/merchants".into(),
            json!({"name": "M", "business_scene": "both", "legal_entity_id": "le_x"}),
        ),
        (Method::PATCH, format!("/admin/v1/merchants/{m}"), json!({"name": "M"})),
        (Method::POST, format!("/admin/v1/merchants/{m}/move"), json!({"agent_id": a})),
        (
            Method::POST,
            "/admin/v1/legal-entities".into(),
            json!({"kind": "enterprise", "name": "E", "id_number": "91330100MA2XXXX001"}),
        ),
        (
            Method::POST,
            "/admin/v1/stores".into(),
            json!({"merchant_id": m, "name": "S", "address": "A", "business_category": "5812"}),
        ),
        (Method::PATCH, format!("/admin/v1/stores/{s}"), json!({"name": "S"})),
        (
            Method::POST,
            "/admin/v1/apps".into(),
            json!({"owner_kind": "merchant", "owner_id": m, "name": "A", "key_kind": "hmac"}),
        ),
        (Method::PATCH, format!("/admin/v1/apps/{app}"), json!({"name": "A"})),
        (Method::POST, format!("/admin/v1/apps/{app}/rotate-key"), json!({"key_kind": "hmac"})),
    ]
}

#[tokio::test]
async fn malformed_json_and_wrong_types_get_invalid_request() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let token = server.login(&demo.admin.username, &demo.admin.password).await;
    for (method, path, body) in bodies(&demo) {
        for raw in ["{", "not json", "[1,2]", "null", "\"str\""] {
            let r = server.http.raw(method.clone(), &path, Some(&token), raw).await;
            assert_error_shape(&r, &format!("{method} {path} with {raw}"));
            assert_eq!(r.code(), "INVALID_REQUEST", "{method} {path} with {raw}: {}", r.body);
        }
        // Every string field given a number, every field given an object.
        let obj = body.as_object().unwrap();
        for key in obj.keys() {
            for wrong in [json!(12345), json!({"x": 1}), json!([true])] {
                let mut b = body.clone();
                b[key] = wrong.clone();
                let r = server.http.raw(method.clone(), &path, Some(&token), &b.to_string()).await;
                assert_error_shape(&r, &format!("{method} {path} {key}={wrong}"));
            }
        }
    }
}

#[tokio::test]
async fn too_long_strings_unknown_enums_and_negative_numbers_are_rejected_before_any_write() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let token = server.login(&demo.admin.username, &demo.admin.password).await;
    let long = "x".repeat(300);
    let m = &demo.merchant.merchant_id;
    let cases: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/admin/v1/agents".into(), json!({"name": long})),
        (Method::POST, "/admin/v1/agents".into(), json!({"name": "ok", "contact_phone": "12345"})),
        (
            Method::POST,
            "/admin/v1/merchants".into(),
            json!({"name": "M", "business_scene": "underwater", "legal_entity": {"kind": "enterprise", "name": "E", "id_number": "91330100MA2XXXX001"}}),
        ),
        (
            Method::POST,
            "/admin/v1/merchants".into(),
            json!({"name": long, "business_scene": "both", "legal_entity": {"kind": "enterprise", "name": "E", "id_number": "91330100MA2XXXX001"}}),
        ),
        (
            Method::POST,
            "/admin/v1/merchants".into(),
            json!({"name": "M", "business_scene": "both", "legal_entity": {"kind": "alien", "name": "E", "id_number": "91330100MA2XXXX001"}}),
        ),
        (Method::POST, "/admin/v1/merchants".into(), json!({"name": "M", "business_scene": "both"})),
        (
            Method::POST,
            "/admin/v1/merchants".into(),
            json!({"name": "M", "business_scene": "both", "settle_to_parent": true, "legal_entity": {"kind": "enterprise", "name": "E", "id_number": "91330100MA2XXXX001"}}),
        ),
        (Method::PATCH, format!("/admin/v1/merchants/{m}"), json!({"version": -1})),
        (Method::PATCH, format!("/admin/v1/merchants/{m}"), json!({"name": ""})),
        (
            Method::POST,
            "/admin/v1/stores".into(),
            json!({"merchant_id": m, "name": "S", "address": "A", "business_category": "58"}),
        ),
        (
            Method::POST,
            "/admin/v1/stores".into(),
            json!({"merchant_id": m, "name": "S", "address": long.repeat(2), "business_category": "5812"}),
        ),
        (
            Method::POST,
            "/admin/v1/users".into(),
            json!({"username": "x", "password": "abcdefgh123", "role": "agent_staff"}),
        ),
        (
            Method::POST,
            "/admin/v1/users".into(),
            json!({"username": "newuser", "password": "abcdefgh123", "role": "emperor"}),
        ),
        (
            Method::POST,
            "/admin/v1/users".into(),
            json!({"username": "newuser", "password": "short", "role": "agent_staff"}),
        ),
        (
            Method::POST,
            "/admin/v1/apps".into(),
            json!({"owner_kind": "merchant", "owner_id": m, "name": "A", "key_kind": "quantum"}),
        ),
        (
            Method::POST,
            "/admin/v1/apps".into(),
            json!({"owner_kind": "merchant", "owner_id": m, "name": "A", "key_kind": "rsa"}),
        ),
        (
            Method::POST,
            "/admin/v1/apps".into(),
            json!({"owner_kind": "merchant", "owner_id": m, "name": "A", "key_kind": "rsa", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}),
        ),
        (
            Method::POST,
            "/admin/v1/apps".into(),
            json!({"owner_kind": "merchant", "owner_id": m, "name": "A", "key_kind": "hmac", "allowed_ways": ["WX_TELEPATHY"]}),
        ),
        (
            Method::POST,
            "/admin/v1/apps".into(),
            json!({"owner_kind": "merchant", "owner_id": m, "name": "A", "key_kind": "hmac", "notify_url": "javascript:alert(1)"}),
        ),
        (
            Method::POST,
            format!("/admin/v1/apps/{}/rotate-key", demo.merchant.app_id),
            json!({"key_kind": "hmac", "overlap_seconds": -5}),
        ),
        (
            Method::POST,
            "/admin/v1/legal-entities".into(),
            json!({"kind": "enterprise", "name": "E", "id_number": "12-34-56-78"}),
        ),
    ];
    let before = server.http.get("/admin/v1/audit-logs?page_size=200", Some(&token)).await.json["total"].clone();
    for (method, path, body) in cases {
        let r = server.http.raw(method.clone(), &path, Some(&token), &body.to_string()).await;
        assert_error_shape(&r, &format!("{method} {path} {body}"));
        assert_eq!(r.code(), "INVALID_REQUEST", "{method} {path} {body}: {}", r.body);
    }
    let after = server.http.get("/admin/v1/audit-logs?page_size=200", Some(&token)).await.json["total"].clone();
    assert_eq!(before, after, "no write happened for any rejected request");
}

#[tokio::test]
async fn bad_query_parameters_and_unknown_routes() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let token = server.login(&demo.admin.username, &demo.admin.password).await;
    for path in [
        "/admin/v1/merchants?page=-1",
        "/admin/v1/merchants?page=0",
        "/admin/v1/merchants?page_size=100000",
        "/admin/v1/merchants?status=sleeping",
        "/admin/v1/merchants?sort_by=colour",
        "/admin/v1/merchants?agent_id=nonsense",
        "/admin/v1/agents?page=abc",
        "/admin/v1/audit-logs?since=yesterday",
        "/admin/v1/users?role=emperor",
    ] {
        let r = server.http.get(path, Some(&token)).await;
        assert_error_shape(&r, path);
        assert_eq!(r.code(), "INVALID_REQUEST", "{path}: {}", r.body);
    }
    let r = server.http.get("/admin/v1/nothing-here", Some(&token)).await;
    assert_eq!((r.status, r.code()), (404, "NOT_FOUND"));
    let r = server.http.get("/admin/v1/merchants/not-an-id", Some(&token)).await;
    assert_eq!((r.status, r.code()), (404, "MERCHANT_NOT_FOUND"));
    let r = server.http.raw(Method::DELETE, "/admin/v1/merchants", Some(&token), "").await;
    assert_error_shape(&r, "DELETE /admin/v1/merchants");
    // An oversized body is refused, not buffered.
    let big = json!({"name": "x".repeat(2 * 1024 * 1024)}).to_string();
    let r = server.http.raw(Method::POST, "/admin/v1/agents", Some(&token), &big).await;
    assert_error_shape(&r, "2 MiB body");
}
