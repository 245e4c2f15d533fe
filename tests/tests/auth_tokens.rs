//! Login, refresh-token rotation with reuse detection, logout, password change, throttling,
//! and what the database keeps (argon2id hashes, hashed refresh tokens).

use juhe_tests::TestServer;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

async fn login_pair(server: &TestServer, user: &str, pw: &str) -> (String, String) {
    let r = server.http.post("/admin/v1/auth/login", None, &json!({"username": user, "password": pw})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.json["access_token"].as_str().unwrap().to_owned(), r.json["refresh_token"].as_str().unwrap().to_owned())
}

async fn refresh(server: &TestServer, token: &str) -> juhe_tests::Reply {
    server.http.post("/admin/v1/auth/refresh", None, &json!({"refresh_token": token})).await
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_whole_family() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let (access, r0) = login_pair(&server, &demo.admin.username, &demo.admin.password).await;
    let me = server.http.get("/admin/v1/auth/me", Some(&access)).await;
    assert_eq!(me.json["role"], "platform_admin");
    assert!(me.json["permissions"].as_array().unwrap().iter().any(|p| p == "audit_read"));

    let first = refresh(&server, &r0).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let r1 = first.json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r0, "a new refresh token each time");
    let second = refresh(&server, &r1).await;
    assert_eq!(second.status, 200);
    let r2 = second.json["refresh_token"].as_str().unwrap().to_owned();

    // Replaying r0 (already spent) is detected and kills the family, including the live r2.
    let replay = refresh(&server, &r0).await;
    assert_eq!((replay.status, replay.code()), (401, "REFRESH_TOKEN_REUSED"));
    let after = refresh(&server, &r2).await;
    assert_eq!((after.status, after.code()), (401, "REFRESH_TOKEN_INVALID"));

    // Another login (another family) is unaffected by that revocation.
    let (_, other) = login_pair(&server, &demo.admin.username, &demo.admin.password).await;
    assert_eq!(refresh(&server, &other).await.status, 200);

    // Garbage tokens are invalid, not errors.
    assert_eq!(refresh(&server, "rt_nonsense.token").await.code(), "REFRESH_TOKEN_INVALID");
}

#[tokio::test]
async fn logout_and_password_change_end_sessions() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let (_, r) = login_pair(&server, &demo.agent.username, &demo.agent.password).await;
    let out = server.http.post("/admin/v1/auth/logout", None, &json!({"refresh_token": r})).await;
    assert_eq!(out.status, 200);
    assert_eq!(refresh(&server, &r).await.code(), "REFRESH_TOKEN_INVALID");

    let (access, r) = login_pair(&server, &demo.agent.username, &demo.agent.password).await;
    let bad = server
        .http
        .post(
            "/admin/v1/auth/password",
            Some(&access),
            &json!({"old_password": "wrong-password-1", "new_password": "brand-new-pass-7"}),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (401, "INVALID_CREDENTIALS"));
    let weak = server
        .http
        .post(
            "/admin/v1/auth/password",
            Some(&access),
            &json!({"old_password": demo.agent.password, "new_password": "onlyletters"}),
        )
        .await;
    assert_eq!((weak.status, weak.code()), (400, "INVALID_REQUEST"));
    let ok = server
        .http
        .post(
            "/admin/v1/auth/password",
            Some(&access),
            &json!({"old_password": demo.agent.password, "new_password": "brand-new-pass-7"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(refresh(&server, &r).await.code(), "REFRESH_TOKEN_INVALID", "sessions end on password change");
    let old = server
        .http
        .post("/admin/v1/auth/login", None, &json!({"username": demo.agent.username, "password": demo.agent.password}))
        .await;
    assert_eq!(old.code(), "INVALID_CREDENTIALS");
    login_pair(&server, &demo.agent.username, "brand-new-pass-7").await;
}

#[tokio::test]
async fn bad_tokens_and_wrong_passwords_are_refused_and_logins_are_throttled() {
    let server = TestServer::spawn_with(|c| c.login_max_attempts = 3).await;
    let demo = server.demo().await;
    let r = server.http.get("/admin/v1/merchants", None).await;
    assert_eq!((r.status, r.code()), (401, "UNAUTHORIZED"));
    let r = server.http.get("/admin/v1/merchants", Some("not.a.jwt")).await;
    assert_eq!((r.status, r.code()), (401, "TOKEN_INVALID"));
    let unknown = server
        .http
        .post("/admin/v1/auth/login", None, &json!({"username": "nobody", "password": "whatever-123"}))
        .await;
    assert_eq!((unknown.status, unknown.code()), (401, "INVALID_CREDENTIALS"));
    for _ in 0..3 {
        let r = server
            .http
            .post(
                "/admin/v1/auth/login",
                None,
                &json!({"username": demo.store_clerk.username, "password": "wrong-password-1"}),
            )
            .await;
        assert_eq!(r.code(), "INVALID_CREDENTIALS");
    }
    // Past the limit even the right password waits for the window.
    let r = server
        .http
        .post(
            "/admin/v1/auth/login",
            None,
            &json!({"username": demo.store_clerk.username, "password": demo.store_clerk.password}),
        )
        .await;
    assert_eq!((r.status, r.code()), (429, "LOGIN_THROTTLED"));
    // Failed logins are audited (without the password).
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let audit = server.http.get("/admin/v1/audit-logs?action=user.login.failed", Some(&admin)).await;
    assert_eq!(audit.json["total"], 3, "{}", audit.body);
    assert!(!audit.body.contains("wrong-password-1"));
}

#[tokio::test]
async fn the_database_keeps_only_argon2id_hashes_and_hashed_refresh_tokens() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let (_, refresh_token) = login_pair(&server, &demo.admin.username, &demo.admin.password).await;
    let db = &server.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT username, password_hash FROM users"))
        .await
        .unwrap();
    assert!(rows.len() >= 4);
    for row in rows {
        let hash: String = row.try_get("", "password_hash").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(&demo.admin.password));
    }
    let tokens = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT token_hash FROM refresh_tokens"))
        .await
        .unwrap();
    assert!(!tokens.is_empty());
    for row in tokens {
        let h: String = row.try_get("", "token_hash").unwrap();
        assert_ne!(h, refresh_token);
        assert_eq!(h.len(), 64, "sha-256 hex");
    }
    // Secrets of apps are encrypted, never stored in clear.
    let keys = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT secret_enc FROM app_keys"))
        .await
        .unwrap();
    for row in keys {
        let enc: Option<String> = row.try_get("", "secret_enc").unwrap();
        let enc = enc.unwrap();
        assert!(!enc.contains(&demo.merchant.app_secret));
        assert!(enc.starts_with("v1:"));
    }
}

#[tokio::test]
async fn disabling_a_user_stops_their_live_access_token_at_once() {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let (clerk, clerk_refresh) = login_pair(&server, &demo.store_clerk.username, &demo.store_clerk.password).await;
    assert_eq!(server.http.get("/admin/v1/stores", Some(&clerk)).await.status, 200);
    let users = server.http.get("/admin/v1/users?q=clerk", Some(&admin)).await;
    let clerk_id = users.json["items"][0]["id"].as_str().unwrap().to_owned();
    let r = server.http.post(&format!("/admin/v1/users/{clerk_id}/disable"), Some(&admin), &json!({})).await;
    assert_eq!(r.json["status"], "disabled", "{}", r.body);
    let r = server.http.get("/admin/v1/stores", Some(&clerk)).await;
    assert_eq!((r.status, r.code()), (403, "USER_DISABLED"));
    assert_eq!(refresh(&server, &clerk_refresh).await.code(), "REFRESH_TOKEN_INVALID");
    let login = server
        .http
        .post(
            "/admin/v1/auth/login",
            None,
            &json!({"username": demo.store_clerk.username, "password": demo.store_clerk.password}),
        )
        .await;
    assert_eq!(login.code(), "USER_DISABLED");
    // An admin cannot disable themself, nor a user above their own role.
    let me = server.http.get("/admin/v1/auth/me", Some(&admin)).await.json["user_id"].as_str().unwrap().to_owned();
    assert_eq!(server.http.post(&format!("/admin/v1/users/{me}/disable"), Some(&admin), &json!({})).await.status, 403);
    server.http.post(&format!("/admin/v1/users/{clerk_id}/enable"), Some(&admin), &json!({})).await;
    server.login(&demo.store_clerk.username, &demo.store_clerk.password).await;
}
