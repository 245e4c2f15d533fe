//! The Open API request-signature check (OPEN_API.md "Signing requests"): each way a request can
//! be wrong is rejected with its own code, and responses are signed.

use juhe_tests::open_client::{Tamper, new_nonce};
use juhe_tests::{OpenClient, TestServer};
use serde_json::json;

async fn setup() -> (TestServer, juhe_api::demo::DemoOutput, OpenClient) {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let client = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    (server, demo, client)
}

#[tokio::test]
async fn a_good_request_passes_and_its_response_signature_verifies() {
    let (_server, demo, client) = setup().await;
    let r = client.get("/open/v1/ping").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["app_id"], demo.merchant.app_id);
    assert_eq!(r.json["owner_id"], demo.merchant.merchant_id);
    assert!(r.header("juhe-request-id").is_some());
    assert!(client.response_verifies(&r), "response signature must verify");

    let body = json!({"hello": "世界", "n": 1}).to_string();
    let r = client.post("/open/v1/ping", &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["echo"]["hello"], "世界");
    assert!(client.response_verifies(&r));

    // A response with one byte changed no longer verifies.
    let mut forged = r;
    forged.body = forged.body.replacen("世界", "世间", 1);
    assert!(!client.response_verifies(&forged));
}

#[tokio::test]
async fn each_bad_request_is_rejected_with_its_own_code() {
    let (server, demo, client) = setup().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let body = json!({"amount": 100}).to_string();
    let cases: Vec<(&str, Tamper, u16, &str)> = vec![
        (
            "wrong secret",
            Tamper { secret: Some(b"not-the-secret".to_vec()), ..Tamper::default() },
            401,
            "INVALID_SIGNATURE",
        ),
        (
            "body tampered",
            Tamper { signed_body: Some(json!({"amount": 1}).to_string()), ..Tamper::default() },
            401,
            "INVALID_SIGNATURE",
        ),
        ("timestamp 301 s old", Tamper { timestamp: Some(now - 301), ..Tamper::default() }, 401, "TIMESTAMP_EXPIRED"),
        ("timestamp 301 s ahead", Tamper { timestamp: Some(now + 301), ..Tamper::default() }, 401, "TIMESTAMP_EXPIRED"),
        (
            "unknown app",
            Tamper { app_id: Some("app_0190aaaaaaaaaaaaaaaaaaaaaaaaaaaa".into()), ..Tamper::default() },
            401,
            "APP_NOT_FOUND",
        ),
        ("nonce too short", Tamper { nonce: Some("short".into()), ..Tamper::default() }, 401, "INVALID_AUTHORIZATION"),
    ];
    for (name, tamper, status, code) in cases {
        let r = client.send("POST", "/open/v1/ping", &body, &tamper).await;
        assert_eq!((r.status, r.code()), (status, code), "{name}: {}", r.body);
        assert!(r.json["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{name}: request_id");
    }
    // 299 s old is still inside the window.
    let r =
        client.send("POST", "/open/v1/ping", &body, &Tamper { timestamp: Some(now - 299), ..Tamper::default() }).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // No header, or a header of another scheme.
    let r = client.send_with_auth("GET", "/open/v1/ping", "", "Bearer abc", &Tamper::default()).await;
    assert_eq!((r.status, r.code()), (401, "INVALID_AUTHORIZATION"));

    // Nonce reuse: the first use passes, the replay is refused.
    let nonce = new_nonce();
    let t = Tamper { nonce: Some(nonce), ..Tamper::default() };
    let auth = client.authorization("GET", "/open/v1/ping", "", &t);
    let first = client.send_with_auth("GET", "/open/v1/ping", "", &auth, &t).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = client.send_with_auth("GET", "/open/v1/ping", "", &auth, &t).await;
    assert_eq!((replay.status, replay.code()), (401, "NONCE_REUSED"));

    // A forged request does not burn the nonce of a later genuine one.
    let nonce = new_nonce();
    let forged = client
        .send(
            "GET",
            "/open/v1/ping",
            "",
            &Tamper { nonce: Some(nonce.clone()), secret: Some(b"x".to_vec()), ..Tamper::default() },
        )
        .await;
    assert_eq!(forged.code(), "INVALID_SIGNATURE");
    let genuine = client.send("GET", "/open/v1/ping", "", &Tamper { nonce: Some(nonce), ..Tamper::default() }).await;
    assert_eq!(genuine.status, 200, "{}", genuine.body);

    // A disabled merchant (or one below a disabled agent) is refused.
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let r = server
        .http
        .post(&format!("/admin/v1/merchants/{}/disable", demo.merchant.merchant_id), Some(&admin), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = client.get("/open/v1/ping").await;
    assert_eq!((r.status, r.code()), (403, "MERCHANT_DISABLED"));
    server
        .http
        .post(&format!("/admin/v1/merchants/{}/enable", demo.merchant.merchant_id), Some(&admin), &json!({}))
        .await;
    assert_eq!(client.get("/open/v1/ping").await.status, 200);
    server.http.post(&format!("/admin/v1/agents/{}/disable", demo.agent.agent_id), Some(&admin), &json!({})).await;
    assert_eq!(client.get("/open/v1/ping").await.code(), "MERCHANT_DISABLED");
    server.http.post(&format!("/admin/v1/agents/{}/enable", demo.agent.agent_id), Some(&admin), &json!({})).await;

    // A disabled app is refused with its own code.
    server.http.post(&format!("/admin/v1/apps/{}/disable", demo.merchant.app_id), Some(&admin), &json!({})).await;
    assert_eq!(client.get("/open/v1/ping").await.code(), "APP_DISABLED");
}

#[tokio::test]
async fn ip_allow_list_is_enforced() {
    let (server, demo, client) = setup().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let r = server
        .http
        .patch(
            &format!("/admin/v1/apps/{}", demo.merchant.app_id),
            Some(&admin),
            &json!({"ip_allow_list": ["10.0.0.0/8"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = client.get("/open/v1/ping").await;
    assert_eq!((r.status, r.code()), (403, "IP_NOT_ALLOWED"));
    server
        .http
        .patch(
            &format!("/admin/v1/apps/{}", demo.merchant.app_id),
            Some(&admin),
            &json!({"ip_allow_list": ["127.0.0.1", "::1"]}),
        )
        .await;
    assert_eq!(client.get("/open/v1/ping").await.status, 200);
    let r = server
        .http
        .patch(
            &format!("/admin/v1/apps/{}", demo.merchant.app_id),
            Some(&admin),
            &json!({"ip_allow_list": ["not-an-ip"]}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"));
}

#[tokio::test]
async fn rotation_keeps_the_old_key_during_the_overlap_only() {
    let (server, demo, old) = setup().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let path = format!("/admin/v1/apps/{}/rotate-key", demo.merchant.app_id);
    let r = server.http.post(&path, Some(&admin), &json!({"key_kind": "hmac", "overlap_seconds": 3600})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let new_secret = r.json["app_secret"].as_str().unwrap().to_owned();
    let new = server.open(&demo.merchant.app_id, &new_secret);
    assert_eq!(old.get("/open/v1/ping").await.status, 200, "old key inside overlap");
    let r = new.get("/open/v1/ping").await;
    assert_eq!(r.status, 200);
    assert!(new.response_verifies(&r), "response signed with the key that verified");
    // The secret is never shown again.
    let app = server.http.get(&format!("/admin/v1/apps/{}", demo.merchant.app_id), Some(&admin)).await;
    assert!(!app.body.contains(&new_secret) && !app.body.contains(&demo.merchant.app_secret));
    assert_eq!(app.json["keys"].as_array().unwrap().len(), 2);
    // Rotating again with no overlap ends every older key at once.
    let r = server.http.post(&path, Some(&admin), &json!({"key_kind": "hmac", "overlap_seconds": 0})).await;
    let newest = server.open(&demo.merchant.app_id, r.json["app_secret"].as_str().unwrap());
    assert_eq!(old.get("/open/v1/ping").await.code(), "INVALID_SIGNATURE");
    assert_eq!(new.get("/open/v1/ping").await.code(), "INVALID_SIGNATURE");
    assert_eq!(newest.get("/open/v1/ping").await.status, 200);
}

#[tokio::test]
async fn rsa_apps_sign_with_their_private_key_and_get_platform_signed_responses() {
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use juhe_adapters::crypto::{generate_rsa_pkcs8_pem, rsa_sign_pkcs8_pem_b64};

    let (server, demo, _) = setup().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let (private_pem, public_pem) = generate_rsa_pkcs8_pem(2048).unwrap();
    let r = server
        .http
        .post("/admin/v1/apps", Some(&admin), &json!({"owner_kind": "merchant", "owner_id": demo.merchant.merchant_id, "name": "rsa app", "key_kind": "rsa", "public_key_pem": public_pem}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json["app_secret"].is_null(), "RSA apps have no shared secret");
    let app_id = r.json["app"]["app_id"].as_str().unwrap().to_owned();
    let platform_pem = r.json["platform_public_key_pem"].as_str().unwrap().to_owned();

    let client = OpenClient::hmac(&server.base_url, &app_id, "unused");
    let sign = |body: &str, nonce: &str, ts: i64| {
        let message = format!("POST\n/open/v1/ping\n{ts}\n{nonce}\n{body}\n");
        let sig = rsa_sign_pkcs8_pem_b64(private_pem.expose(), message.as_bytes()).unwrap();
        format!(r#"JUHE-RSA-SHA256 app_id="{app_id}",timestamp="{ts}",nonce="{nonce}",signature="{sig}""#)
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let body = r#"{"rsa":true}"#;
    let r =
        client.send_with_auth("POST", "/open/v1/ping", body, &sign(body, &new_nonce(), now), &Tamper::default()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The response is signed with the platform's RSA key.
    let der = pem::parse(&platform_pem).unwrap();
    let spki = der.contents();
    let message = format!("{}\n{}\n{}\n", r.header("juhe-timestamp").unwrap(), r.header("juhe-nonce").unwrap(), r.body);
    let sig = B64.decode(r.header("juhe-signature").unwrap()).unwrap();
    let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki);
    assert!(key.verify(message.as_bytes(), &sig).is_ok(), "platform signature verifies");
    // An HMAC-scheme header for an RSA app, or a tampered body, does not verify.
    let tampered = client
        .send_with_auth("POST", "/open/v1/ping", r#"{"rsa":false}"#, &sign(body, &new_nonce(), now), &Tamper::default())
        .await;
    assert_eq!(tampered.code(), "INVALID_SIGNATURE");
    let hmac_scheme = client.send("POST", "/open/v1/ping", body, &Tamper::default()).await;
    assert_eq!(hmac_scheme.code(), "INVALID_SIGNATURE");
}

#[tokio::test]
async fn each_app_is_rate_limited_per_second() {
    let server = TestServer::spawn_with(|c| c.open_rate_limit_per_sec = 2).await;
    let demo = server.demo().await;
    let client = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let mut codes = Vec::new();
    for _ in 0..10 {
        let r = client.get("/open/v1/ping").await;
        codes.push((r.status, r.code().to_owned()));
    }
    let passed = codes.iter().filter(|(s, _)| *s == 200).count();
    // Ten requests span at most two one-second windows: at most 2 + 2 pass.
    assert!((2..=4).contains(&passed), "{codes:?}");
    assert!(codes.iter().any(|(s, c)| *s == 429 && c == "RATE_LIMITED"), "{codes:?}");
}
