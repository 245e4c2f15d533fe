//! Apps with their keys, and the audit log.

use crate::fixture::{Fixture, page};
use juhe_domain::apps::{AppFilter, AppKey, ports::AppRepo};
use juhe_domain::audit::{Actor, AuditEntry, AuditFilter, ports::AuditRepo};
use juhe_domain::identity::{NodeKind, Role};
use juhe_domain::ids::*;
use serde_json::json;
use time::Duration;
use time::macros::datetime;

#[tokio::test]
async fn app_keys_are_scoped_and_rotation_ends_the_live_ones() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let e = fx.entity("Entity").await;
    let m = fx.merchant(Some(&a), &e, "Shop").await;
    let (app, k1) = fx.app_at(NodeKind::Merchant, m.id.as_str(), &m.path, "App").await;
    let (agent_app, _) = fx.app_at(NodeKind::Agent, a.id.as_str(), &a.path, "Agent app").await;

    let (got, keys) = s.get_for_auth(&app.id).await.unwrap().unwrap();
    assert_eq!((got.ip_allow_list, got.allowed_ways), (app.ip_allow_list.clone(), app.allowed_ways.clone()));
    assert_eq!(keys.iter().map(|k| &k.id).collect::<Vec<_>>(), vec![&k1.id]);
    assert_eq!(keys[0].secret_enc.as_deref(), Some("enc:secret"));
    assert!(s.get_for_auth(&AppId::generate()).await.unwrap().is_none());
    assert_eq!(s.keys(&fx.scope(&a.path), &app.id).await.unwrap().len(), 1);
    assert!(s.keys(&fx.scope(&b.path), &app.id).await.unwrap().is_empty());

    let filter = AppFilter { owner_id: Some(a.id.to_string()), status: None };
    let owned = AppRepo::list(s, &fx.root(), &filter, page(1, 20)).await.unwrap();
    assert_eq!(owned.items.iter().map(|x| &x.id).collect::<Vec<_>>(), vec![&agent_app.id]);

    let t = datetime!(2026-12-01 00:00:00 UTC);
    let (fxr, app_ref) = (&fx, &app);
    let rotate = |key: AppKey, end| async move {
        let audit = fxr.audit(&app_ref.path, "app.key.rotate", "app", app_ref.id.as_str());
        fxr.store.rotate_key(app_ref, &key, end, &audit).await.unwrap()
    };
    let k2 = fx.new_key(&app);
    rotate(k2.clone(), t + Duration::hours(1)).await;
    let k3 = fx.new_key(&app);
    rotate(k3.clone(), t + Duration::hours(2)).await;
    let revoked = AppKey { revoked_at: Some(t), ..fx.new_key(&app) };
    rotate(revoked.clone(), t + Duration::hours(3)).await;
    let k4 = fx.new_key(&app);
    rotate(k4.clone(), t + Duration::milliseconds(1_800_500)).await;

    let keys = s.keys(&fx.root(), &app.id).await.unwrap();
    let ends: Vec<_> = keys.iter().map(|k| (k.id.clone(), k.not_after)).collect();
    let end4 = t + Duration::milliseconds(1_800_500);
    assert_eq!(
        ends,
        vec![
            (k4.id.clone(), None),
            (revoked.id.clone(), None), // revoked keys are left alone
            (k3.id.clone(), Some(end4)),
            (k2.id.clone(), Some(end4)),
            (k1.id.clone(), Some(end4)),
        ],
        "newest first, every live key ends at the earliest end given"
    );
    let filter = AuditFilter { action: Some("app.key.rotate".into()), ..Default::default() };
    assert_eq!(AuditRepo::list(s, &fx.root(), &filter, page(1, 20)).await.unwrap().total, 4);
    fx.finish().await;
}

#[tokio::test]
async fn audit_log_filters_by_time_action_and_actor_newest_first() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let user = UserId::generate();
    let actor = Actor {
        user_id: Some(user.clone()),
        username: "auditor".into(),
        role: Some(Role::AgentAdmin),
        ip: Some("203.0.113.5".into()),
        request_id: Some("req-1".into()),
    };
    // Whole and fractional seconds mixed: they must still sort and compare by time.
    let t0 = datetime!(2026-11-02 00:00:00 UTC);
    let times = [
        t0,
        t0 + Duration::milliseconds(500),
        t0 + Duration::seconds(1),
        t0 + Duration::milliseconds(1250),
        t0 + Duration::seconds(2),
    ];
    let mut entries = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let path = if i % 2 == 0 { &a.path } else { &b.path };
        let (before, after) = (Some(json!({"n": i})), Some(json!({"n": i + 1, "tags": ["x"]})));
        let e = AuditEntry::new(
            &fx.platform,
            path,
            &actor,
            &format!("thing.{}", i % 2),
            "thing",
            &format!("t{i}"),
            before,
            after,
            *t,
        );
        AuditRepo::insert(s, &e).await.unwrap();
        entries.push(e);
    }
    let targets = |items: Vec<AuditEntry>| items.into_iter().map(|e| e.target_id).collect::<Vec<_>>();
    let window = AuditFilter {
        since: Some(times[1]),
        until: Some(times[4]),
        target_kind: Some("thing".into()),
        ..Default::default()
    };
    let listed = AuditRepo::list(s, &fx.root(), &window, page(1, 20)).await.unwrap();
    assert_eq!(targets(listed.items), vec!["t3", "t2", "t1"], "since inclusive, until exclusive, newest first");

    let everything = AuditFilter { target_kind: Some("thing".into()), ..Default::default() };
    let first = AuditRepo::list(s, &fx.root(), &everything, page(1, 2)).await.unwrap();
    let second = AuditRepo::list(s, &fx.root(), &everything, page(2, 2)).await.unwrap();
    let third = AuditRepo::list(s, &fx.root(), &everything, page(3, 2)).await.unwrap();
    assert_eq!((first.total, first.page, first.page_size), (5, 1, 2));
    assert_eq!(targets(first.items), vec!["t4", "t3"]);
    assert_eq!(targets(second.items), vec!["t2", "t1"]);
    assert_eq!(targets(third.items), vec!["t0"]);

    let in_a = AuditRepo::list(s, &fx.scope(&a.path), &everything, page(1, 20)).await.unwrap();
    assert_eq!(targets(in_a.items), vec!["t4", "t2", "t0"]);
    let odd = AuditFilter { action: Some("thing.1".into()), ..everything.clone() };
    assert_eq!(AuditRepo::list(s, &fx.root(), &odd, page(1, 20)).await.unwrap().total, 2);
    let by_actor = AuditFilter { actor_user_id: Some(user.clone()), ..Default::default() };
    assert_eq!(AuditRepo::list(s, &fx.root(), &by_actor, page(1, 20)).await.unwrap().total, 5);
    let one = AuditFilter { target_id: Some("t3".into()), ..Default::default() };
    let got = AuditRepo::list(s, &fx.root(), &one, page(1, 20)).await.unwrap().items.remove(0);
    assert_eq!((got.id, got.actor, got.created_at), (entries[3].id.clone(), actor.clone(), times[3]));
    assert_eq!((got.before, got.after), (entries[3].before.clone(), entries[3].after.clone()));
    fx.finish().await;
}
