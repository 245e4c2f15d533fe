//! Operator endpoints: health, readiness, metrics, docs, the spec, request ids.

use juhe_tests::TestServer;

#[tokio::test]
async fn health_readiness_metrics_docs_and_request_ids() {
    let server = TestServer::spawn().await;
    let r = server.http.get("/healthz", None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ok")));
    let r = server.http.get("/readyz", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["database"], "ok");
    assert_eq!(r.json["cache"], "ok");
    assert!(r.header("juhe-request-id").is_some_and(|id| id.len() >= 8));

    let docs = server.http.get("/docs", None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.body.to_lowercase().contains("swagger"));
    let spec = server.http.get("/openapi.json", None).await;
    assert_eq!(spec.status, 200);
    assert!(spec.json["paths"]["/admin/v1/merchants"].is_object());
    assert!(spec.json["paths"]["/open/v1/ping"].is_object());

    let metrics = server.http.get("/metrics", None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("juhe_http_requests_total"), "{}", metrics.body);
    assert!(metrics.body.contains("area=\"healthz\""));
}

#[tokio::test]
async fn a_sane_incoming_request_id_is_kept_and_echoed_in_errors() {
    let server = TestServer::spawn().await;
    let client = reqwest::Client::new();
    let resp = client
        .get(format!("{}/admin/v1/merchants", server.base_url))
        .header("x-request-id", "trace-1234abcd")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["juhe-request-id"], "trace-1234abcd");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["request_id"], "trace-1234abcd");
    let resp = client
        .get(format!("{}/healthz", server.base_url))
        .header("x-request-id", "bad id with spaces and {json}")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["juhe-request-id"], "bad id with spaces and {json}");
}

#[test]
fn committed_spec_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json"))
        .expect("openapi/openapi.json is committed");
    let generated = juhe_api::server::spec_json();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/openapi.json is stale: run `make spec` and commit the result"
    );
}
