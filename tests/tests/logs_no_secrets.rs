//! No password, secret or token ever reaches the logs. This test binary installs a global
//! subscriber that captures every line at TRACE level, exercises the sensitive flows, and greps.

use juhe_tests::TestServer;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn passwords_secrets_and_tokens_never_appear_in_logs() {
    let logs = Captured::default();
    tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(logs.clone()).with_ansi(false).init();

    let server =
        TestServer::spawn_with(|c| c.master_key = Some("q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=".into())).await;
    tracing::info!(config = %server.state.config.redacted(), "effective configuration");
    let demo = server.demo().await;
    let login = server
        .http
        .post("/admin/v1/auth/login", None, &json!({"username": demo.admin.username, "password": demo.admin.password}))
        .await;
    let access = login.json["access_token"].as_str().unwrap().to_owned();
    let refresh = login.json["refresh_token"].as_str().unwrap().to_owned();
    server
        .http
        .post("/admin/v1/auth/login", None, &json!({"username": "admin", "password": "Wrong-Password-999"}))
        .await;
    let rotated = server.http.post("/admin/v1/auth/refresh", None, &json!({"refresh_token": refresh})).await;
    let new_refresh = rotated.json["refresh_token"].as_str().unwrap().to_owned();
    let app = server
        .http
        .post("/admin/v1/apps", Some(&access), &json!({"owner_kind": "merchant", "owner_id": demo.merchant.merchant_id, "name": "logged?", "key_kind": "hmac"}))
        .await;
    let new_secret = app.json["app_secret"].as_str().unwrap().to_owned();
    server
        .http
        .post("/admin/v1/users", Some(&access), &json!({"username": "newbie", "password": "Newbie-Secret-2026", "role": "agent_staff", "node_id": demo.agent.agent_id}))
        .await;
    server
        .http
        .post(
            "/admin/v1/auth/password",
            Some(&access),
            &json!({"old_password": demo.admin.password, "new_password": "Changed-Admin-2026"}),
        )
        .await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    open.post("/open/v1/ping", "{\"x\":1}").await;
    server.http.post("/admin/v1/merchants", Some(&access), &json!({"name": "PII Shop", "business_scene": "both", "contact_phone": "13655554444",
        "legal_entity": {"kind": "individual", "name": "Some Person", "id_number": "110101199003074477", "legal_person": "王五"}})).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("request done"), "the capture works: {} bytes", text.len());
    assert!(text.contains("effective configuration"));
    for secret in [
        demo.admin.password.as_str(),
        "Wrong-Password-999",
        "Newbie-Secret-2026",
        "Changed-Admin-2026",
        demo.merchant.app_secret.as_str(),
        new_secret.as_str(),
        access.as_str(),
        refresh.as_str(),
        new_refresh.as_str(),
        "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=",
        "13655554444",
        "110101199003074477",
    ] {
        assert!(!text.contains(secret), "log leaks {secret:?}");
    }
}
