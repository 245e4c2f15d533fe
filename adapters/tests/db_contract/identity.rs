//! Users and refresh tokens.

use crate::fixture::{Fixture, page, refresh_token};
use juhe_domain::audit::{AuditFilter, ports::AuditRepo};
use juhe_domain::identity::ports::{RefreshTokenRepo, UserRepo};
use juhe_domain::identity::{NodeKind, Role, UserFilter, UserStatus};
use juhe_domain::ids::*;
use juhe_domain::repo::RepoError;

#[tokio::test]
async fn refresh_tokens_rotate_once_and_revoke_by_family_and_user() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let user = fx.user_at("dave", Role::PlatformAdmin, fx.platform.as_str(), &fx.root_path()).await;
    let t1 = refresh_token(&fx, &user.id, "f1", "h1");
    let t2 = refresh_token(&fx, &user.id, "f1", "h2");
    let t3 = refresh_token(&fx, &user.id, "f2", "h3");
    for t in [&t1, &t2, &t3] {
        RefreshTokenRepo::insert(s, t).await.unwrap();
    }
    let found = s.find_by_hash("h1").await.unwrap().unwrap();
    assert_eq!((found.id, found.family_id.as_str(), found.expires_at), (t1.id.clone(), "f1", t1.expires_at));
    assert!(s.find_by_hash("nope").await.unwrap().is_none());

    let now = fx.now();
    assert!(s.mark_rotated(&t1, now).await.unwrap());
    assert!(!s.mark_rotated(&t1, now).await.unwrap());
    assert_eq!(s.find_by_hash("h1").await.unwrap().unwrap().rotated_at, Some(now));
    // Two refreshes racing with the same token: exactly one wins.
    let (x, y) = tokio::join!(s.mark_rotated(&t2, now), s.mark_rotated(&t2, now));
    assert!(x.unwrap() ^ y.unwrap());

    s.revoke_family("f1", now).await.unwrap();
    assert_eq!(s.find_by_hash("h2").await.unwrap().unwrap().revoked_at, Some(now));
    assert!(s.find_by_hash("h3").await.unwrap().unwrap().revoked_at.is_none());
    let later = fx.now();
    s.revoke_user(&user.id, later).await.unwrap();
    assert_eq!(s.find_by_hash("h3").await.unwrap().unwrap().revoked_at, Some(later));
    assert_eq!(s.find_by_hash("h2").await.unwrap().unwrap().revoked_at, Some(now), "first revocation kept");
    assert!(!s.mark_rotated(&t3, later).await.unwrap());
    fx.finish().await;
}

#[tokio::test]
async fn users_log_in_by_lower_case_name_and_change_only_in_scope() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    assert!(!s.any().await.unwrap());
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let alice = fx.user_at("alice", Role::AgentAdmin, a.id.as_str(), &a.path).await;
    let staff = fx.user_at("alex", Role::AgentStaff, a.id.as_str(), &a.path).await;
    fx.user_at("bob", Role::AgentAdmin, b.id.as_str(), &b.path).await;
    assert!(s.any().await.unwrap());

    let creds = s.find_credentials(" ALICE ").await.unwrap().unwrap();
    assert_eq!((creds.user.id.clone(), creds.password_hash.as_str()), (alice.id.clone(), "$argon2id$hash"));
    assert_eq!((creds.user.role, creds.user.node_kind), (Role::AgentAdmin, NodeKind::Agent));
    assert!(s.find_credentials("nobody").await.unwrap().is_none());

    s.set_password(&alice.id, "$new", &fx.audit(&a.path, "user.password", "user", alice.id.as_str())).await.unwrap();
    assert_eq!(s.get_by_id(&alice.id).await.unwrap().unwrap().password_hash, "$new");
    let ghost = UserId::generate();
    let audit = fx.audit(&a.path, "user.password", "user", ghost.as_str());
    assert!(matches!(s.set_password(&ghost, "$x", &audit).await, Err(RepoError::NotFound)));

    let (sa, sb) = (fx.scope(&a.path), fx.scope(&b.path));
    let audit = fx.audit(&a.path, "user.disable.denied", "user", alice.id.as_str());
    assert!(matches!(s.set_status(&sb, &alice.id, UserStatus::Disabled, &audit).await, Err(RepoError::NotFound)));
    let filter = AuditFilter { action: Some("user.disable.denied".into()), ..Default::default() };
    assert_eq!(AuditRepo::list(s, &fx.root(), &filter, page(1, 20)).await.unwrap().total, 0);
    let audit = fx.audit(&a.path, "user.disable", "user", staff.id.as_str());
    s.set_status(&sa, &staff.id, UserStatus::Disabled, &audit).await.unwrap();
    assert_eq!(UserRepo::get(s, &sa, &staff.id).await.unwrap().unwrap().status, UserStatus::Disabled);

    let sa = &sa;
    let list = |filter: UserFilter| async move {
        let users = UserRepo::list(s, sa, &filter, page(1, 20)).await.unwrap();
        users.items.into_iter().map(|u| u.username).collect::<Vec<_>>()
    };
    assert_eq!(list(UserFilter::default()).await, vec!["alex", "alice"], "newest first");
    assert_eq!(list(UserFilter { role: Some(Role::AgentStaff), ..Default::default() }).await, vec!["alex"]);
    assert_eq!(list(UserFilter { status: Some(UserStatus::Active), ..Default::default() }).await, vec!["alice"]);
    assert_eq!(list(UserFilter { q: Some("ALICE DIS".into()), ..Default::default() }).await, vec!["alice"]);
    fx.finish().await;
}
