//! Tenant isolation over HTTP: every caller sees exactly its subtree, and records outside it are
//! indistinguishable from missing ones (404, never 403).

use juhe_tests::TestServer;
use serde_json::{Value, json};

const PW: &str = "correct-horse-42";

struct World {
    server: TestServer,
    admin: String,
    /// Sibling agent B (not below the demo agent) and everything it owns.
    agent_b: String,
    merchant_b: String,
    store_b: String,
    app_b: String,
    user_b: String,
    entity_b: String,
    demo: juhe_api::demo::DemoOutput,
}

async fn created(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let r = server.http.post(path, Some(token), &body).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.body);
    r.json
}

async fn user(server: &TestServer, admin: &str, username: &str, role: &str, node_id: &str) -> String {
    let u = created(
        server,
        admin,
        "/admin/v1/users",
        json!({"username": username, "password": PW, "role": role, "node_id": node_id}),
    )
    .await;
    u["id"].as_str().unwrap().to_owned()
}

async fn world() -> World {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let agent_b = created(&server, &admin, "/admin/v1/agents", json!({"name": "Agent B"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = created(
        &server,
        &admin,
        "/admin/v1/merchants",
        json!({
            "agent_id": agent_b, "name": "B Shop", "business_scene": "offline",
            "legal_entity": {"kind": "individual_business", "name": "B Shop Owner", "id_number": "92330100MA2BBBBB01"}
        }),
    )
    .await;
    let merchant_b = m["id"].as_str().unwrap().to_owned();
    let entity_b = m["legal_entity_id"].as_str().unwrap().to_owned();
    let store_b = created(
        &server,
        &admin,
        "/admin/v1/stores",
        json!({"merchant_id": merchant_b, "name": "B Store", "address": "1 B Road", "business_category": "5411"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let app_b = created(
        &server,
        &admin,
        "/admin/v1/apps",
        json!({"owner_kind": "merchant", "owner_id": merchant_b, "name": "B app", "key_kind": "hmac"}),
    )
    .await["app"]["app_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user_b = user(&server, &admin, "b-owner", "merchant_admin", &merchant_b).await;
    World { server, admin, agent_b, merchant_b, store_b, app_b, user_b, entity_b, demo }
}

/// Every admin endpoint that takes an id, aimed at records of sibling agent B.
fn id_endpoints(w: &World) -> Vec<(&'static str, String, Value)> {
    let (a, m, s, app, u, e) = (&w.agent_b, &w.merchant_b, &w.store_b, &w.app_b, &w.user_b, &w.entity_b);
    let own_agent = w.demo.agent.sub_agent_id.clone();
    vec![
        ("GET", format!("/admin/v1/agents/{a}"), Value::Null),
        ("PATCH", format!("/admin/v1/agents/{a}"), json!({"name": "x"})),
        ("POST", format!("/admin/v1/agents/{a}/disable"), json!({})),
        ("POST", format!("/admin/v1/agents/{a}/enable"), json!({})),
        ("GET", format!("/admin/v1/merchants/{m}"), Value::Null),
        ("PATCH", format!("/admin/v1/merchants/{m}"), json!({"name": "x"})),
        ("POST", format!("/admin/v1/merchants/{m}/disable"), json!({})),
        ("POST", format!("/admin/v1/merchants/{m}/enable"), json!({})),
        ("POST", format!("/admin/v1/merchants/{m}/move"), json!({"agent_id": own_agent})),
        ("GET", format!("/admin/v1/legal-entities/{e}"), Value::Null),
        ("GET", format!("/admin/v1/stores/{s}"), Value::Null),
        ("PATCH", format!("/admin/v1/stores/{s}"), json!({"name": "x"})),
        ("POST", format!("/admin/v1/stores/{s}/disable"), json!({})),
        ("POST", format!("/admin/v1/stores/{s}/enable"), json!({})),
        ("GET", format!("/admin/v1/apps/{app}"), Value::Null),
        ("PATCH", format!("/admin/v1/apps/{app}"), json!({"name": "x"})),
        ("POST", format!("/admin/v1/apps/{app}/rotate-key"), json!({"key_kind": "hmac"})),
        ("POST", format!("/admin/v1/apps/{app}/disable"), json!({})),
        ("POST", format!("/admin/v1/apps/{app}/enable"), json!({})),
        ("GET", format!("/admin/v1/users/{u}"), Value::Null),
        ("POST", format!("/admin/v1/users/{u}/disable"), json!({})),
        ("POST", format!("/admin/v1/users/{u}/enable"), json!({})),
    ]
}

async fn call(w: &World, token: &str, method: &str, path: &str, body: &Value) -> juhe_tests::Reply {
    match method {
        "GET" => w.server.http.get(path, Some(token)).await,
        "PATCH" => w.server.http.patch(path, Some(token), body).await,
        _ => w.server.http.post(path, Some(token), body).await,
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().or(i["app_id"].as_str()).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn agent_admin_gets_404_for_a_sibling_agents_records_on_every_id_endpoint() {
    let w = world().await;
    let agent = w.server.login(&w.demo.agent.username, &w.demo.agent.password).await;
    for (method, path, body) in id_endpoints(&w) {
        let r = call(&w, &agent, method, &path, &body).await;
        assert_eq!(r.status, 404, "{method} {path} as agent admin: {}", r.body);
        assert!(r.code().ends_with("NOT_FOUND"), "{method} {path}: code {}", r.code());
    }
    // The platform admin reaches the same records (the 404s above are scope, not absence).
    for (method, path, body) in id_endpoints(&w).into_iter().filter(|(m, _, _)| *m == "GET") {
        let r = call(&w, &w.admin, method, &path, &body).await;
        assert_eq!(r.status, 200, "{method} {path} as platform admin: {}", r.body);
    }
    // Lists never include them either.
    for (path, id) in [
        ("/admin/v1/agents", &w.agent_b),
        ("/admin/v1/merchants", &w.merchant_b),
        ("/admin/v1/stores", &w.store_b),
        ("/admin/v1/apps", &w.app_b),
        ("/admin/v1/users", &w.user_b),
        ("/admin/v1/legal-entities", &w.entity_b),
    ] {
        let r = w.server.http.get(path, Some(&agent)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(!ids(&r.json).contains(id), "{path} leaks {id}");
        let r = w.server.http.get(path, Some(&w.admin)).await;
        assert!(ids(&r.json).contains(id), "{path} as admin misses {id}");
    }
    // Creating below someone else's node is refused as if it did not exist.
    let r = w
        .server
        .http
        .post(
            "/admin/v1/stores",
            Some(&agent),
            &json!({"merchant_id": w.merchant_b, "name": "x", "address": "y", "business_category": "5812"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("no such merchant in your scope"));
}

#[tokio::test]
async fn merchant_user_cannot_see_its_sibling_merchant() {
    let w = world().await;
    let sibling = created(
        &w.server,
        &w.admin,
        "/admin/v1/merchants",
        json!({
            "agent_id": w.demo.agent.sub_agent_id, "name": "Sibling Tea", "business_scene": "both",
            "legal_entity": {"kind": "enterprise", "name": "Sibling Tea Ltd", "id_number": "91330100MA2SIBL001"}
        }),
    )
    .await;
    let sibling_id = sibling["id"].as_str().unwrap();
    let merchant = w.server.login(&w.demo.merchant.username, &w.demo.merchant.password).await;
    let r = w.server.http.get(&format!("/admin/v1/merchants/{sibling_id}"), Some(&merchant)).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.code(), "MERCHANT_NOT_FOUND");
    let own = w.server.http.get(&format!("/admin/v1/merchants/{}", w.demo.merchant.merchant_id), Some(&merchant)).await;
    assert_eq!(own.status, 200);
    let list = w.server.http.get("/admin/v1/merchants", Some(&merchant)).await;
    let listed = ids(&list.json);
    assert!(listed.contains(&w.demo.merchant.merchant_id));
    assert!(!listed.contains(&sibling_id.to_owned()));
    // The group merchant sees its child number, and the agents above are invisible.
    assert_eq!(list.json["total"], 2, "parent + child: {}", list.body);
    let r = w.server.http.get(&format!("/admin/v1/agents/{}", w.demo.agent.sub_agent_id), Some(&merchant)).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn store_clerk_sees_only_its_store() {
    let w = world().await;
    let clerk = w.server.login(&w.demo.store_clerk.username, &w.demo.store_clerk.password).await;
    let stores = w.server.http.get("/admin/v1/stores", Some(&clerk)).await;
    assert_eq!(stores.status, 200);
    assert_eq!(ids(&stores.json), vec![w.demo.store_clerk.store_id.clone()]);
    let all = w.server.http.get("/admin/v1/stores", Some(&w.admin)).await;
    let other = ids(&all.json).into_iter().find(|s| *s != w.demo.store_clerk.store_id).unwrap();
    assert_eq!(w.server.http.get(&format!("/admin/v1/stores/{other}"), Some(&clerk)).await.status, 404);
    assert_eq!(
        w.server.http.get(&format!("/admin/v1/stores/{}", w.demo.store_clerk.store_id), Some(&clerk)).await.status,
        200
    );
    // Not even its own merchant is visible: the clerk's world is the store.
    let r = w.server.http.get(&format!("/admin/v1/merchants/{}", w.demo.merchant.merchant_id), Some(&clerk)).await;
    assert_eq!(r.status, 404);
    assert_eq!(w.server.http.get("/admin/v1/merchants", Some(&clerk)).await.json["total"], 0);
    // And a clerk cannot change its store.
    let r = w
        .server
        .http
        .patch(&format!("/admin/v1/stores/{}", w.demo.store_clerk.store_id), Some(&clerk), &json!({"name": "mine"}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "FORBIDDEN");
}

#[tokio::test]
async fn child_merchant_user_does_not_see_the_parents_other_children() {
    let w = world().await;
    let parent = &w.demo.merchant.merchant_id;
    let c2 = created(
        &w.server,
        &w.admin,
        "/admin/v1/merchants",
        json!({"parent_id": parent, "name": "Second Branch", "business_scene": "offline"}),
    )
    .await;
    let c2_id = c2["id"].as_str().unwrap().to_owned();
    let children = w.server.http.get(&format!("/admin/v1/merchants?parent_id={parent}"), Some(&w.admin)).await;
    let child_ids = ids(&children.json);
    assert_eq!(child_ids.len(), 2, "{}", children.body);
    let c1_id = child_ids.iter().find(|c| **c != c2_id).unwrap().clone();
    user(&w.server, &w.admin, "branch-one", "merchant_admin", &c1_id).await;
    let branch = w.server.login("branch-one", PW).await;
    assert_eq!(w.server.http.get(&format!("/admin/v1/merchants/{c2_id}"), Some(&branch)).await.status, 404);
    assert_eq!(w.server.http.get(&format!("/admin/v1/merchants/{parent}"), Some(&branch)).await.status, 404);
    assert_eq!(w.server.http.get(&format!("/admin/v1/merchants/{c1_id}"), Some(&branch)).await.status, 200);
    let list = w.server.http.get("/admin/v1/merchants", Some(&branch)).await;
    assert_eq!(ids(&list.json), vec![c1_id]);
    // The child inherited the group's legal entity and agent.
    assert_eq!(
        c2["legal_entity_id"],
        w.server.http.get(&format!("/admin/v1/merchants/{parent}"), Some(&w.admin)).await.json["legal_entity_id"]
    );
    assert_eq!(c2["agent_id"].as_str(), Some(w.demo.agent.sub_agent_id.as_str()));
}
