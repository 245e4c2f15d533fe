//! Creating, reading, updating, listing, disabling and moving nodes of the tenancy tree, with
//! the audit trail each change leaves.

use juhe_tests::TestServer;
use serde_json::{Value, json};

async fn post201(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let r = server.http.post(path, Some(token), &body).await;
    assert_eq!(r.status, 201, "{path}: {}", r.body);
    r.json
}

#[tokio::test]
async fn agents_nest_to_any_depth_and_lists_filter_sort_and_page() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let mut parent = demo.agent.sub_agent_id.clone();
    for depth in 3..=6 {
        let a = post201(
            &server,
            &admin,
            "/admin/v1/agents",
            json!({"parent_id": parent, "name": format!("Level {depth}"), "contact_phone": "13912345678"}),
        )
        .await;
        assert_eq!(a["level"], depth);
        assert_eq!(a["contact_phone"], "139****5678", "phone is masked");
        parent = a["id"].as_str().unwrap().to_owned();
    }
    // The top agent's admin sees the whole chain below it; an agent admin creates below itself by default.
    let agent = server.login(&demo.agent.username, &demo.agent.password).await;
    let mine = post201(&server, &agent, "/admin/v1/agents", json!({"name": "Created by agent"})).await;
    assert_eq!(mine["parent_id"].as_str(), Some(demo.agent.agent_id.as_str()));
    let list = server.http.get("/admin/v1/agents?page_size=2&sort_by=name&order=asc", Some(&agent)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json["total"], 7, "itself + sub-agent + 4 levels + created: {}", list.body);
    assert_eq!(list.json["items"].as_array().unwrap().len(), 2);
    let page3 = server.http.get("/admin/v1/agents?page_size=2&page=3&sort_by=name&order=asc", Some(&agent)).await;
    assert_eq!(page3.json["items"].as_array().unwrap().len(), 2);
    let all = server.http.get("/admin/v1/agents?page_size=200&sort_by=name&order=asc", Some(&agent)).await;
    let names: Vec<&str> = all.json["items"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let filtered = server.http.get("/admin/v1/agents?q=level%205", Some(&agent)).await;
    assert_eq!(filtered.json["total"], 1);
    let children = server.http.get(&format!("/admin/v1/agents?parent_id={}", demo.agent.agent_id), Some(&agent)).await;
    assert_eq!(children.json["total"], 2, "direct children only: {}", children.body);
    // An agent cannot edit or disable itself (only those above may).
    let r =
        server.http.post(&format!("/admin/v1/agents/{}/disable", demo.agent.agent_id), Some(&agent), &json!({})).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn merchants_update_with_optimistic_versions_and_disable_enable_with_audit() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let path = format!("/admin/v1/merchants/{}", demo.merchant.merchant_id);
    let m = server.http.get(&path, Some(&admin)).await.json;
    let v = m["version"].as_i64().unwrap();
    let r = server
        .http
        .patch(&path, Some(&admin), &json!({"name": "新名字", "contact_phone": "13700001111", "version": v}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["name"], "新名字");
    assert_eq!(r.json["contact_phone"], "137****1111");
    assert_eq!(r.json["version"], v + 1);
    // A writer holding the old version loses.
    let stale = server.http.patch(&path, Some(&admin), &json!({"name": "stale", "version": v})).await;
    assert_eq!((stale.status, stale.code()), (409, "VERSION_CONFLICT"));
    assert_eq!(server.http.get(&path, Some(&admin)).await.json["name"], "新名字");

    let off = server.http.post(&format!("{path}/disable"), Some(&admin), &json!({})).await;
    assert_eq!(off.json["status"], "disabled");
    let filtered = server.http.get("/admin/v1/merchants?status=disabled", Some(&admin)).await;
    assert_eq!(filtered.json["total"], 1);
    let on = server.http.post(&format!("{path}/enable"), Some(&admin), &json!({})).await;
    assert_eq!(on.json["status"], "active");

    let audit =
        server.http.get(&format!("/admin/v1/audit-logs?target_id={}", demo.merchant.merchant_id), Some(&admin)).await;
    let actions: Vec<&str> =
        audit.json["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["merchant.enable", "merchant.disable", "merchant.update", "merchant.create"]);
    let update = &audit.json["items"][2];
    assert_eq!(update["actor_username"], "admin");
    assert_eq!(update["after"]["contact_phone"], "137****1111", "audit keeps only masked personal data");
    assert!(!audit.body.contains("13700001111"));
    assert!(update["request_id"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn moving_a_merchant_moves_its_subtree_and_is_audited() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let other = post201(&server, &admin, "/admin/v1/agents", json!({"name": "West Agent"})).await;
    let other_id = other["id"].as_str().unwrap();
    post201(
        &server,
        &admin,
        "/admin/v1/users",
        json!({"username": "west", "password": "west-agent-2026", "role": "agent_admin", "node_id": other_id}),
    )
    .await;
    let west = server.login("west", "west-agent-2026").await;
    let east = server.login(&demo.agent.username, &demo.agent.password).await;
    assert_eq!(server.http.get("/admin/v1/merchants", Some(&west)).await.json["total"], 0);

    // Child numbers move with their group, not alone.
    let child = server
        .http
        .get(&format!("/admin/v1/merchants?parent_id={}", demo.merchant.merchant_id), Some(&admin))
        .await
        .json["items"][0]["id"]
        .clone();
    let r = server
        .http
        .post(
            &format!("/admin/v1/merchants/{}/move", child.as_str().unwrap()),
            Some(&admin),
            &json!({"agent_id": other_id}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"));

    // An order before the move: its history must follow the merchant.
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let order = json!({"merchant_no": demo.merchant.merchant_no, "out_trade_no": "MOVE-0001", "amount": 100,
        "currency": "CNY", "way": "ALI_QR", "subject": "before the move"});
    assert_eq!(open.post("/open/v1/orders", &order.to_string()).await.status, 201);
    assert_eq!(server.http.get("/admin/v1/orders", Some(&east)).await.json["total"], 1);

    let r = server
        .http
        .post(
            &format!("/admin/v1/merchants/{}/move", demo.merchant.merchant_id),
            Some(&admin),
            &json!({"agent_id": other_id}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json["agent_id"], other_id);
    assert_eq!(server.http.get("/admin/v1/orders", Some(&west)).await.json["total"], 1, "orders moved along");
    assert_eq!(server.http.get("/admin/v1/orders", Some(&east)).await.json["total"], 0);
    let bindings = server.http.get("/admin/v1/channel-bindings", Some(&west)).await;
    assert!(bindings.json["total"].as_u64().unwrap() >= 3, "channel bindings moved: {}", bindings.body);
    assert_eq!(server.http.get("/admin/v1/channel-bindings", Some(&east)).await.json["total"], 0);
    // The new agent sees the group, its child, stores, users and app; the old one none of them.
    assert_eq!(server.http.get("/admin/v1/merchants", Some(&west)).await.json["total"], 2);
    assert_eq!(server.http.get("/admin/v1/stores", Some(&west)).await.json["total"], 2);
    assert_eq!(server.http.get(&format!("/admin/v1/apps/{}", demo.merchant.app_id), Some(&west)).await.status, 200);
    assert_eq!(server.http.get("/admin/v1/merchants", Some(&east)).await.json["total"], 0);
    assert_eq!(server.http.get(&format!("/admin/v1/stores/{}", demo.merchant.store_id), Some(&east)).await.status, 404);
    let users = server.http.get("/admin/v1/users", Some(&west)).await;
    assert!(users.body.contains("\"merchant\"") && users.body.contains("\"clerk\""), "{}", users.body);
    // The merchant's own users keep working after re-login (their scope moved with them).
    let merchant = server.login(&demo.merchant.username, &demo.merchant.password).await;
    assert_eq!(server.http.get("/admin/v1/merchants", Some(&merchant)).await.json["total"], 2);
    let audit = server.http.get("/admin/v1/audit-logs?action=merchant.move", Some(&admin)).await;
    assert_eq!(audit.json["total"], 1);
    assert_eq!(audit.json["items"][0]["before"]["agent_id"].as_str(), Some(demo.agent.sub_agent_id.as_str()));
    assert_eq!(audit.json["items"][0]["after"]["agent_id"], other_id);
    // Agents cannot move a merchant out to somewhere they cannot see.
    let r = server
        .http
        .post(
            &format!("/admin/v1/merchants/{}/move", demo.merchant.merchant_id),
            Some(&west),
            &json!({"agent_id": demo.agent.agent_id}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"));
}

#[tokio::test]
async fn legal_entities_are_one_per_number_and_shared_by_merchant_numbers() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let entity =
        json!({"kind": "enterprise", "name": "Same Co", "id_number": "91110000MA01SAME01", "legal_person": "李四"});
    let a = post201(
        &server,
        &admin,
        "/admin/v1/merchants",
        json!({"name": "Same A", "business_scene": "online", "legal_entity": entity}),
    )
    .await;
    let spaced = json!({"kind": "enterprise", "name": "Same Co", "id_number": " 91110000ma01same01 "});
    let b = post201(
        &server,
        &admin,
        "/admin/v1/merchants",
        json!({"name": "Same B", "business_scene": "offline", "legal_entity": spaced}),
    )
    .await;
    assert_eq!(a["legal_entity_id"], b["legal_entity_id"], "same number → same entity");
    let e = server
        .http
        .get(&format!("/admin/v1/legal-entities/{}", a["legal_entity_id"].as_str().unwrap()), Some(&admin))
        .await;
    assert_eq!(e.json["id_number"], "****ME01", "{}", e.body);
    assert_eq!(e.json["legal_person"], "李*");
    assert!(!e.body.contains("91110000MA01SAME01"));
    let numbers = server
        .http
        .get(&format!("/admin/v1/merchants?legal_entity_id={}", a["legal_entity_id"].as_str().unwrap()), Some(&admin))
        .await;
    assert_eq!(numbers.json["total"], 2);
    assert_ne!(a["merchant_no"], b["merchant_no"]);
    assert!(a["merchant_no"].as_str().unwrap().starts_with('M'));
    // Registering the same number again returns the existing entity.
    let again = server
        .http
        .post(
            "/admin/v1/legal-entities",
            Some(&admin),
            &json!({"kind": "enterprise", "name": "Other name", "id_number": "91110000MA01SAME01"}),
        )
        .await;
    assert_eq!(again.json["id"], a["legal_entity_id"]);
}
