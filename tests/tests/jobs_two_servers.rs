//! Two servers (each with its own job worker, pools and caches) on one PostgreSQL database:
//! every job runs exactly once — each merchant notification arrives once, and every delivery
//! job has exactly one successful run — while both workers take part. PostgreSQL only (the
//! embedded SQLite is one process's database); CI runs it against PostgreSQL.

use juhe_domain::clock::SystemClock;
use juhe_tests::webhook::Receiver;
use juhe_tests::{TestServer, fast_jobs, fast_payments};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const ORDERS: usize = 40;

#[tokio::test]
async fn two_servers_run_each_job_exactly_once() {
    if juhe_tests::backend() != "postgres" {
        eprintln!("skipped: needs JUHE_TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let first = TestServer::spawn().await;
    let demo = first.demo().await;
    let (dir, url) = (first.state.config.data_dir.clone(), first.state.config.database_url.clone());
    // Same database and keys, its own everything else.
    let second = TestServer::spawn_full(
        move |c| {
            c.data_dir = dir;
            c.database_url = url;
        },
        Arc::new(SystemClock),
        fast_payments(),
        fast_jobs(),
        None,
    )
    .await;
    let hook = Receiver::spawn().await;
    let open = first.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let mut order_nos = Vec::new();
    for i in 0..ORDERS {
        let body = json!({"merchant_no": demo.merchant.merchant_no, "out_trade_no": format!("TWO-{i:04}"),
            "amount": 100 + i, "currency": "CNY", "way": "WX_NATIVE", "subject": "two servers", "notify_url": hook.url});
        let r = open.post("/open/v1/orders", &body.to_string()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        order_nos.push(r.json["order_no"].as_str().unwrap().to_owned());
    }
    for no in &order_nos {
        first.http.post("/sandbox/wechat/simulate/pay", None, &json!({"out_trade_no": no})).await;
    }
    for no in &order_nos {
        hook.wait_for("order.paid", no).await;
    }
    // Sync point passed: every notification arrived. Now none may arrive twice.
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for r in hook.received() {
        *per_event.entry(r.event_id).or_default() += 1;
    }
    assert!(per_event.values().all(|n| *n == 1), "a notification was delivered twice: {per_event:?}");

    let admin = first.login(&demo.admin.username, &demo.admin.password).await;
    let list = first.http.get("/admin/v1/jobs?kind=notification.delivery&page_size=200", Some(&admin)).await;
    let items = list.json["items"].as_array().expect("jobs").clone();
    assert!(items.len() >= ORDERS, "{} delivery jobs", items.len());
    let mut workers = HashSet::new();
    for job in &items {
        let id = job["id"].as_str().unwrap();
        let detail = first.http.get(&format!("/admin/v1/jobs/{id}"), Some(&admin)).await;
        let attempts = detail.json["attempts"].as_array().unwrap();
        let succeeded: Vec<_> = attempts.iter().filter(|a| a["result"] == "succeeded").collect();
        assert_eq!(succeeded.len(), 1, "job {id} ran successfully {} times: {}", succeeded.len(), detail.body);
        workers.insert(succeeded[0]["worker"].as_str().unwrap().to_owned());
    }
    assert_eq!(workers.len(), 2, "both servers' workers took part: {workers:?}");
    drop(second);
}
