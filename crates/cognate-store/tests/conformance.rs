//! The store conformance suite: every check runs on SQLite and, when
//! `COGNATE_TEST_DATABASE_URL` is set, on PostgreSQL. Both backends must behave the same.

use std::sync::Arc;

use cognate_core::audit::AuditRecord;
use cognate_core::filter::UserFilter;
use cognate_core::ids::{ClientId, GroupName, PoolId, Timestamp, Username};
use cognate_core::model::{
    AppClient, Attribute, CodePurpose, Group, OutboxMessage, PasswordPolicy, Session, SigningKey,
    TokenUse, TokenValidityUnits, User, UserPool, UserStatus, VerificationCode,
};
use cognate_core::storage::{Bucket, BucketName, ObjectKey, Segment, StoredObject};
use cognate_core::store::prelude::*;
use cognate_core::store::{Claim, IssueLimit};
use cognate_core::Error;
use cognate_store::SqlStore;

/// Runs `check` against a fresh store of every configured backend.
async fn on_every_backend<F, Fut>(check: F)
where
    F: Fn(Arc<SqlStore>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqlStore::connect(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.db").display()
    ))
    .await
    .unwrap();
    check(Arc::new(sqlite)).await;
    if let Some(base) = cognate_store::testkit::postgres_url() {
        let url = cognate_store::testkit::scratch_postgres_database(&base).await;
        check(Arc::new(SqlStore::connect(&url).await.unwrap())).await;
    }
}

fn pool(id: &str) -> UserPool {
    UserPool {
        id: PoolId::parse(id).unwrap(),
        name: "p".into(),
        password_policy: PasswordPolicy::default(),
        username_attributes: vec![],
        alias_attributes: vec![],
        auto_verified_attributes: vec![],
        schema: vec![],
        username_case_sensitive: false,
        allow_admin_create_user_only: false,
        mfa_configuration: "OFF".into(),
        deletion_protection: "INACTIVE".into(),
        tags: Default::default(),
        created: Timestamp(1),
        modified: Timestamp(1),
    }
}

fn key(pool: &UserPool, kid: &str) -> SigningKey {
    SigningKey {
        kid: kid.into(),
        pool_id: pool.id.clone(),
        token_use: TokenUse::Access,
        sealed_private_key: vec![1, 2, 3],
        n: "n".into(),
        e: "AQAB".into(),
        created: Timestamp(5),
    }
}

fn client(pool: &UserPool, id: &str) -> AppClient {
    AppClient {
        pool_id: pool.id.clone(),
        id: ClientId::parse(id).unwrap(),
        name: "c".into(),
        secret: None,
        explicit_auth_flows: vec!["ALLOW_USER_PASSWORD_AUTH".into()],
        access_token_validity: 1,
        id_token_validity: 1,
        refresh_token_validity: 30,
        token_validity_units: TokenValidityUnits::default(),
        prevent_user_existence_errors: true,
        enable_token_revocation: true,
        read_attributes: vec![],
        write_attributes: vec![],
        callback_urls: vec![],
        logout_urls: vec![],
        supported_identity_providers: vec![],
        auth_session_validity: 3,
        refresh_token_rotation: Default::default(),
        created: Timestamp(1),
        modified: Timestamp(1),
    }
}

fn user(pool: &UserPool, name: &str) -> User {
    User {
        sub: format!("sub-{name}"),
        pool_id: pool.id.clone(),
        username: Username::parse(name).unwrap(),
        username_key: name.to_lowercase(),
        status: UserStatus::Confirmed,
        enabled: true,
        password_hash: Some("$argon2id$fake".into()),
        sealed_srp_verifier: Some(vec![4, 5, 6]),
        sign_in_names: Vec::new(),
        attributes: vec![Attribute {
            name: "email".into(),
            value: format!("{name}@example.com"),
        }],
        created: Timestamp(10),
        modified: Timestamp(10),
        failed_sign_ins: 0,
        last_failed_sign_in: None,
        temporary_password_expires: None,
    }
}

fn session(pool: &UserPool, user: &User, id: &str) -> Session {
    Session {
        id: id.into(),
        pool_id: pool.id.clone(),
        client_id: ClientId::parse("client1").unwrap(),
        user_sub: user.sub.clone(),
        refresh_token_hash: format!("hash-{id}"),
        auth_time: Timestamp(100),
        expires: Timestamp(i64::MAX / 2),
        revoked: false,
    }
}

async fn with_pool(store: &SqlStore, id: &str) -> UserPool {
    let p = pool(id);
    store
        .insert_pool(&p, &[key(&p, &format!("kid-{id}"))], None)
        .await
        .unwrap();
    p
}

#[tokio::test]
async fn pools_round_trip_page_and_delete_with_everything_in_them() {
    on_every_backend(|s| async move {
        let a = with_pool(&s, "us-east-1_aaa").await;
        with_pool(&s, "us-east-1_bbb").await;
        with_pool(&s, "us-east-1_ccc").await;
        assert_eq!(s.get_pool(&a.id).await.unwrap(), Some(a.clone()));

        let first = s.list_pools(2, None).await.unwrap();
        assert_eq!(first.items.len(), 2);
        let rest = s.list_pools(2, first.next.as_deref()).await.unwrap();
        assert_eq!(rest.items.len(), 1);
        assert!(rest.next.is_none());

        s.insert_client(&client(&a, "client1"), Some(b"sealed"), None)
            .await
            .unwrap();
        let u = user(&a, "alice");
        s.insert_user(&u, None).await.unwrap();
        s.start_session(&session(&a, &u, "s1"), 100).await.unwrap();
        assert_eq!(s.signing_keys(&a.id).await.unwrap().len(), 1);

        assert!(s.delete_pool(&a.id, None).await.unwrap());
        assert!(!s.delete_pool(&a.id, None).await.unwrap());
        assert_eq!(s.get_pool(&a.id).await.unwrap(), None);
        assert!(s.signing_keys(&a.id).await.unwrap().is_empty());
        assert!(s
            .get_client(&ClientId::parse("client1").unwrap())
            .await
            .unwrap()
            .is_none());
        assert!(s.get_user(&a.id, "alice").await.unwrap().is_none());
        assert!(s.get_session("s1").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn clients_keep_their_sealed_secret() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_clients").await;
        let c = client(&p, "client1");
        s.insert_client(&c, Some(b"sealed"), None).await.unwrap();
        let (found, secret) = s.get_client(&c.id).await.unwrap().unwrap();
        assert_eq!(found, c);
        assert_eq!(secret.as_deref(), Some(&b"sealed"[..]));
        let mut renamed = c.clone();
        renamed.name = "renamed".into();
        assert!(s.update_client(&renamed, None).await.unwrap());
        assert_eq!(
            s.get_client(&c.id).await.unwrap().unwrap().0.name,
            "renamed"
        );
        assert!(s.delete_client(&p.id, &c.id, None).await.unwrap());
        assert!(!s.delete_client(&p.id, &c.id, None).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_username_key_is_unique_within_a_pool_only() {
    on_every_backend(|s| async move {
        let a = with_pool(&s, "us-east-1_uniqa").await;
        let b = with_pool(&s, "us-east-1_uniqb").await;
        s.insert_user(&user(&a, "sam"), None).await.unwrap();
        let mut twin = user(&a, "sam");
        twin.sub = "another-sub".into();
        assert!(matches!(
            s.insert_user(&twin, None).await,
            Err(Error::UsernameExists(_))
        ));
        assert!(
            s.get_user_by_sub(&a.id, "another-sub")
                .await
                .unwrap()
                .is_none(),
            "nothing half-written"
        );
        s.insert_user(&user(&b, "sam"), None).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn user_updates_replace_attributes_atomically() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_update").await;
        let mut u = user(&p, "ann");
        s.insert_user(&u, None).await.unwrap();
        u.attributes = vec![
            Attribute {
                name: "email".into(),
                value: "new@example.com".into(),
            },
            Attribute {
                name: "name".into(),
                value: "Ann".into(),
            },
        ];
        u.status = UserStatus::ResetRequired;
        u.enabled = false;
        assert!(s.update_user(&u, None).await.unwrap());
        let mut stored = s.get_user(&p.id, "ann").await.unwrap().unwrap();
        stored.attributes.sort_by(|x, y| x.name.cmp(&y.name));
        assert_eq!(stored, u);
        assert_eq!(
            s.find_users_by_attribute(&p.id, "email", "new@example.com")
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(s
            .find_users_by_attribute(&p.id, "email", "ann@example.com")
            .await
            .unwrap()
            .is_empty());

        let mut ghost = user(&p, "ghost");
        ghost.sub = "nobody".into();
        assert!(!s.update_user(&ghost, None).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn list_users_pages_in_username_order_and_filters() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_list").await;
        for name in ["carl", "amy", "bob", "amos", "dina"] {
            s.insert_user(&user(&p, name), None).await.unwrap();
        }
        let mut disabled = s.get_user(&p.id, "dina").await.unwrap().unwrap();
        disabled.enabled = false;
        s.update_user(&disabled, None).await.unwrap();

        let mut names = Vec::new();
        let mut after = None;
        loop {
            let page = s
                .list_users(&p.id, None, 2, after.as_deref())
                .await
                .unwrap();
            names.extend(page.items.iter().map(|u| u.username.to_string()));
            assert!(
                page.items.iter().all(|u| !u.attributes.is_empty()),
                "attributes are loaded"
            );
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(names, ["amos", "amy", "bob", "carl", "dina"]);

        let filtered = |f: &'static str| {
            let s = s.clone();
            let id = p.id.clone();
            async move {
                let filter = UserFilter::parse(f).unwrap();
                let page = s.list_users(&id, filter.as_ref(), 60, None).await.unwrap();
                page.items
                    .into_iter()
                    .map(|u| u.username.to_string())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(filtered(r#"username ^= "am""#).await, ["amos", "amy"]);
        assert_eq!(filtered(r#"email ^= "b""#).await, ["bob"]);
        assert_eq!(filtered(r#"email = "carl@example.com""#).await, ["carl"]);
        assert_eq!(filtered(r#"status = "Disabled""#).await, ["dina"]);
        assert_eq!(
            filtered(r#"cognito:user_status = "CONFIRMED""#).await.len(),
            5
        );
        assert_eq!(filtered(r#"sub = "sub-amy""#).await, ["amy"]);
        assert!(filtered(r#"username ^= "z""#).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn parallel_sign_in_attempts_are_counted_one_at_a_time() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_lockout").await;
        let u = user(&p, "lola");
        s.insert_user(&u, None).await.unwrap();
        // Twenty attempts that all read no failures: one is counted, the rest must read again.
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let s = s.clone();
                let (id, sub) = (p.id.clone(), u.sub.clone());
                tokio::spawn(async move {
                    s.admit_sign_in_attempt(&id, &sub, 0, Timestamp(1000 + i))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut admitted = 0;
        for t in tasks {
            admitted += usize::from(t.await.unwrap());
        }
        assert_eq!(admitted, 1, "one attempt per count");
        for seen in 1..5 {
            assert!(s
                .admit_sign_in_attempt(&p.id, &u.sub, seen, Timestamp(2000 + seen))
                .await
                .unwrap());
        }
        let counted = s.get_user(&p.id, "lola").await.unwrap().unwrap();
        assert_eq!(
            (counted.failed_sign_ins, counted.last_failed_sign_in),
            (5, Some(Timestamp(2004)))
        );
        s.clear_failed_sign_ins(&p.id, &u.sub).await.unwrap();
        let cleared = s.get_user(&p.id, "lola").await.unwrap().unwrap();
        assert_eq!(
            (cleared.failed_sign_ins, cleared.last_failed_sign_in),
            (0, None)
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_are_found_by_refresh_hash_and_revoked_per_user() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_sessions").await;
        let (a, b) = (user(&p, "a"), user(&p, "b"));
        s.insert_user(&a, None).await.unwrap();
        s.insert_user(&b, None).await.unwrap();
        for (u, id) in [(&a, "a1"), (&a, "a2"), (&b, "b1")] {
            s.start_session(&session(&p, u, id), 100).await.unwrap();
        }
        assert_eq!(
            s.get_session_by_refresh_hash("hash-a2")
                .await
                .unwrap()
                .unwrap()
                .id,
            "a2"
        );
        assert_eq!(
            s.revoke_user_sessions(&p.id, &a.sub, None).await.unwrap(),
            2
        );
        assert!(s.get_session("a1").await.unwrap().unwrap().revoked);
        assert!(!s.get_session("b1").await.unwrap().unwrap().revoked);
        s.revoke_session("b1").await.unwrap();
        assert!(s.get_session("b1").await.unwrap().unwrap().revoked);

        assert!(s.delete_user(&p.id, &b.sub, None).await.unwrap());
        assert!(
            s.get_session("b1").await.unwrap().is_none(),
            "a deleted user's sessions go with them"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refresh_token_rotates_once_and_its_predecessor_is_honoured_until_its_grace_ends() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_rotation").await;
        let u = user(&p, "a");
        s.insert_user(&u, None).await.unwrap();
        s.start_session(&session(&p, &u, "r1"), 100).await.unwrap();
        let now = Timestamp(1_000);

        assert!(s
            .rotate_refresh_token("r1", "hash-r1", "hash-r1b", Some(Timestamp(2_000)), now)
            .await
            .unwrap());
        assert!(
            !s.rotate_refresh_token("r1", "hash-r1", "hash-r1c", None, now)
                .await
                .unwrap(),
            "a rotation from a token that is no longer current changes nothing"
        );
        assert_eq!(
            s.get_session_by_refresh_hash("hash-r1b")
                .await
                .unwrap()
                .unwrap()
                .id,
            "r1"
        );
        assert!(s
            .get_session_by_refresh_hash("hash-r1")
            .await
            .unwrap()
            .is_none());
        let honoured = s
            .get_session_by_rotated_refresh_hash("hash-r1", Timestamp(1_999))
            .await
            .unwrap();
        assert_eq!(honoured.map(|session| session.id).as_deref(), Some("r1"));
        assert!(s
            .get_session_by_rotated_refresh_hash("hash-r1", Timestamp(2_000))
            .await
            .unwrap()
            .is_none());

        // Without a grace period the old token is not kept; a revoked session does not rotate.
        assert!(s
            .rotate_refresh_token("r1", "hash-r1b", "hash-r1d", None, now)
            .await
            .unwrap());
        assert!(s
            .get_session_by_rotated_refresh_hash("hash-r1b", now)
            .await
            .unwrap()
            .is_none());
        s.revoke_session("r1").await.unwrap();
        assert!(!s
            .rotate_refresh_token("r1", "hash-r1d", "hash-r1e", None, now)
            .await
            .unwrap());
        assert!(s.delete_user(&p.id, &u.sub, None).await.unwrap());
        assert!(s
            .get_session_by_rotated_refresh_hash("hash-r1", Timestamp(1_500))
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn a_session_user_read_tells_a_live_session_from_an_ended_one() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_sessuser").await;
        let mut a = user(&p, "a");
        a.attributes.push(Attribute {
            name: "zoneinfo".into(),
            value: "Europe/Paris".into(),
        });
        s.insert_user(&a, None).await.unwrap();
        s.start_session(&session(&p, &a, "a1"), 100).await.unwrap();

        let found = s.get_session_user(&p.id, "a1", &a.sub).await.unwrap();
        assert!(found.session_live);
        assert_eq!(found.user.unwrap().attributes, a.attributes);

        let unknown = s.get_session_user(&p.id, "nope", &a.sub).await.unwrap();
        assert!(!unknown.session_live && unknown.user.is_some());

        s.revoke_session("a1").await.unwrap();
        assert!(
            !s.get_session_user(&p.id, "a1", &a.sub)
                .await
                .unwrap()
                .session_live
        );

        let b = user(&p, "b");
        s.insert_user(&b, None).await.unwrap();
        s.start_session(&session(&p, &b, "b1"), 100).await.unwrap();
        let other_user = s.get_session_user(&p.id, "b1", "sub-nobody").await.unwrap();
        assert!(other_user.session_live && other_user.user.is_none());
    })
    .await;
}

/// Pools and clients are remembered for a moment (they are read on every call); a change made
/// through another store on the same database, as by another server, shows within the TTL, and
/// one's own change at once.
#[tokio::test]
async fn pool_and_client_changes_from_another_server_show_within_the_document_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.db").display()
    )];
    if let Some(base) = cognate_store::testkit::postgres_url() {
        urls.push(cognate_store::testkit::scratch_postgres_database(&base).await);
    }
    for url in urls {
        let (here, there) = (
            SqlStore::connect(&url).await.unwrap(),
            SqlStore::connect(&url).await.unwrap(),
        );
        let mut p = with_pool(&here, "us-east-1_cached").await;
        let mut c = client(&p, "cachedclient");
        here.insert_client(&c, None, None).await.unwrap();
        assert_eq!(here.get_pool(&p.id).await.unwrap().unwrap().name, "p");
        assert_eq!(here.get_client(&c.id).await.unwrap().unwrap().0.name, "c");

        p.name = "renamed here".into();
        here.update_pool(&p, None).await.unwrap();
        assert_eq!(
            here.get_pool(&p.id).await.unwrap().unwrap().name,
            "renamed here",
            "one's own change shows at once"
        );

        p.name = "renamed there".into();
        there.update_pool(&p, None).await.unwrap();
        c.name = "renamed there".into();
        there.update_client(&c, None).await.unwrap();
        tokio::time::sleep(cognate_store::DOCUMENT_TTL).await;
        assert_eq!(
            here.get_pool(&p.id).await.unwrap().unwrap().name,
            "renamed there"
        );
        assert_eq!(
            here.get_client(&c.id).await.unwrap().unwrap().0.name,
            "renamed there"
        );

        assert!(there.delete_client(&p.id, &c.id, None).await.unwrap());
        tokio::time::sleep(cognate_store::DOCUMENT_TTL).await;
        assert!(here.get_client(&c.id).await.unwrap().is_none());
    }
}

fn audit(action: &str, pool: &UserPool) -> AuditRecord {
    AuditRecord::new(
        action,
        Some(&pool.id),
        "user:a".into(),
        serde_json::json!({"n": 1}),
    )
}

#[tokio::test]
async fn audit_records_commit_with_their_change_or_not_at_all() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_audited").await;
        let a = user(&p, "a");
        s.insert_user(&a, Some(&audit("AdminCreateUser", &p)))
            .await
            .unwrap();
        let g = group(&p, "g", None);
        s.insert_group(&g, 10, None).await.unwrap();
        s.add_member(
            &p.id,
            &g.name,
            &a.sub,
            1,
            Some(&audit("AdminAddUserToGroup", &p)),
        )
        .await
        .unwrap();
        let over_limit = group(&p, "h", None);
        s.insert_group(&over_limit, 10, None).await.unwrap();
        let refused = s
            .add_member(
                &p.id,
                &over_limit.name,
                &a.sub,
                1,
                Some(&audit("AdminAddUserToGroup", &p)),
            )
            .await;
        assert!(matches!(refused, Err(Error::LimitExceeded(_))));
        assert!(!s
            .delete_user(&p.id, "sub-nobody", Some(&audit("AdminDeleteUser", &p)))
            .await
            .unwrap());
        let taken = s.insert_user(&a, Some(&audit("AdminCreateUser", &p))).await;
        assert!(taken.is_err());

        let log = s.list_audit(Some(&p.id), 10, None).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            ["AdminAddUserToGroup", "AdminCreateUser"],
            "newest first"
        );
        assert_eq!(log[0].details, serde_json::json!({"n": 1}));
        assert_eq!(log[0].actor, "operator");
        let older = s
            .list_audit(Some(&p.id), 10, Some(log[0].id))
            .await
            .unwrap();
        assert_eq!(older.len(), 1);
        assert!(s
            .list_audit(Some(&PoolId::parse("us-east-1_other").unwrap()), 10, None)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_code_is_replaced_counted_and_consumed_once() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_codes").await;
        let mut u = user(&p, "cody");
        s.insert_user(&u, None).await.unwrap();
        let code = |hash: &str| VerificationCode {
            pool_id: p.id.clone(),
            user_sub: u.sub.clone(),
            purpose: CodePurpose::SignUp,
            code_hash: hash.into(),
            expires: Timestamp(99),
            failed_attempts: 0,
        };
        let limit = IssueLimit {
            per_window: 3,
            window_secs: 3600,
        };
        let at = Timestamp(50);
        assert!(s.put_code(&code("first"), limit, at).await.unwrap());
        assert!(s
            .admit_code_attempt(&p.id, &u.sub, &CodePurpose::SignUp, 0)
            .await
            .unwrap());
        assert!(
            !s.admit_code_attempt(&p.id, &u.sub, &CodePurpose::SignUp, 0)
                .await
                .unwrap(),
            "a guess that read a stale count is not counted"
        );
        assert!(s.put_code(&code("second"), limit, at).await.unwrap());
        let stored = s
            .get_code(&p.id, &u.sub, &CodePurpose::SignUp)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.code_hash.as_str(), stored.failed_attempts),
            ("second", 1),
            "guesses carry over to a code that replaces one still live"
        );
        assert!(s.put_code(&code("third"), limit, at).await.unwrap());
        assert!(
            !s.put_code(&code("fourth"), limit, at).await.unwrap(),
            "a fourth code in the window is refused"
        );
        assert_eq!(
            s.get_code(&p.id, &u.sub, &CodePurpose::SignUp)
                .await
                .unwrap()
                .unwrap()
                .code_hash,
            "third",
            "a refused code stores nothing"
        );
        let later = Timestamp(50 + 3_600_000);
        assert!(s
            .put_code(&code("next window"), limit, later)
            .await
            .unwrap());
        assert_eq!(
            s.get_code(&p.id, &u.sub, &CodePurpose::SignUp)
                .await
                .unwrap()
                .unwrap()
                .failed_attempts,
            0,
            "guesses at an expired code do not carry over"
        );

        u.status = UserStatus::Confirmed;
        assert!(s
            .update_user_consuming_code(&u, &CodePurpose::SignUp)
            .await
            .unwrap());
        assert!(s
            .get_code(&p.id, &u.sub, &CodePurpose::SignUp)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            s.update_user_consuming_code(&u, &CodePurpose::SignUp).await,
            Err(Error::ExpiredCode(_))
        ));

        assert!(s.put_code(&code("again"), limit, later).await.unwrap());
        s.delete_code(&p.id, &u.sub, &CodePurpose::SignUp)
            .await
            .unwrap();
        assert!(s
            .get_code(&p.id, &u.sub, &CodePurpose::SignUp)
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn parallel_guesses_at_a_code_are_counted_one_at_a_time() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_guesses").await;
        let u = user(&p, "guessed");
        s.insert_user(&u, None).await.unwrap();
        let code = VerificationCode {
            pool_id: p.id.clone(),
            user_sub: u.sub.clone(),
            purpose: CodePurpose::ForgotPassword,
            code_hash: "h".into(),
            expires: Timestamp(i64::MAX / 2),
            failed_attempts: 0,
        };
        let limit = IssueLimit {
            per_window: 5,
            window_secs: 3600,
        };
        assert!(s.put_code(&code, limit, Timestamp(1)).await.unwrap());
        // Forty guesses that all read the count as 0: exactly one is counted.
        let guesses = (0..40).map(|_| {
            let s = s.clone();
            let (pool, sub) = (p.id.clone(), u.sub.clone());
            tokio::spawn(async move {
                s.admit_code_attempt(&pool, &sub, &CodePurpose::ForgotPassword, 0)
                    .await
                    .unwrap()
            })
        });
        let mut admitted = 0;
        for guess in guesses.collect::<Vec<_>>() {
            admitted += usize::from(guess.await.unwrap());
        }
        assert_eq!(admitted, 1);
    })
    .await;
}

#[tokio::test]
async fn failures_under_unknown_names_are_counted_once_each_and_forgotten() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_unknowns").await;
        assert_eq!(
            s.unknown_sign_in_failures(&p.id, "h1").await.unwrap(),
            (0, None)
        );
        let forget_before = Timestamp(0);
        assert!(s
            .admit_unknown_sign_in_attempt(&p.id, "h1", 0, Timestamp(10), forget_before)
            .await
            .unwrap());
        assert!(
            !s.admit_unknown_sign_in_attempt(&p.id, "h1", 0, Timestamp(11), forget_before)
                .await
                .unwrap(),
            "a second attempt that read no failures is not counted"
        );
        assert!(s
            .admit_unknown_sign_in_attempt(&p.id, "h1", 1, Timestamp(12), forget_before)
            .await
            .unwrap());
        assert_eq!(
            s.unknown_sign_in_failures(&p.id, "h1").await.unwrap(),
            (2, Some(Timestamp(12)))
        );
        // Another name's attempt forgets records older than its cut-off.
        assert!(s
            .admit_unknown_sign_in_attempt(&p.id, "h2", 0, Timestamp(100), Timestamp(50))
            .await
            .unwrap());
        assert_eq!(
            s.unknown_sign_in_failures(&p.id, "h1").await.unwrap(),
            (0, None)
        );
    })
    .await;
}

#[tokio::test]
async fn the_outbox_lists_newest_first_per_pool() {
    on_every_backend(|s| async move {
        let a = with_pool(&s, "us-east-1_outa").await;
        let b = with_pool(&s, "us-east-1_outb").await;
        let message = |p: &UserPool, subject: &str| OutboxMessage {
            id: 0,
            pool_id: p.id.clone(),
            username: "u".into(),
            destination: "u@example.com".into(),
            subject: subject.into(),
            body: String::new(),
            created: Timestamp(1),
        };
        let first = s
            .push_message(&message(&a, "one"), b"sealed-1")
            .await
            .unwrap();
        let second = s
            .push_message(&message(&a, "two"), b"sealed-2")
            .await
            .unwrap();
        s.push_message(&message(&b, "other"), b"sealed-3")
            .await
            .unwrap();
        assert!(second > first);
        let listed = s.list_messages(Some(&a.id), 10).await.unwrap();
        let subjects: Vec<_> = listed.iter().map(|(m, _)| m.subject.as_str()).collect();
        assert_eq!(subjects, ["two", "one"]);
        assert_eq!(listed[0].1, b"sealed-2");
        assert_eq!(s.list_messages(None, 10).await.unwrap().len(), 3);
    })
    .await;
}

fn group(pool: &UserPool, name: &str, precedence: Option<i64>) -> Group {
    Group {
        pool_id: pool.id.clone(),
        name: GroupName::parse(name).unwrap(),
        description: Some(format!("{name} group")),
        precedence,
        role_arn: Some(format!("arn:aws:iam::000000000000:role/{name}")),
        created: Timestamp(3),
        modified: Timestamp(3),
    }
}

#[tokio::test]
async fn groups_are_unique_limited_and_paged() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_groups").await;
        let admin = group(&p, "admin", Some(1));
        s.insert_group(&admin, 3, None).await.unwrap();
        assert!(matches!(
            s.insert_group(&admin, 3, None).await,
            Err(Error::GroupExists(_))
        ));
        s.insert_group(&group(&p, "editors", Some(2)), 3, None)
            .await
            .unwrap();
        s.insert_group(&group(&p, "readers", None), 3, None)
            .await
            .unwrap();
        assert!(matches!(
            s.insert_group(&group(&p, "extra", None), 3, None).await,
            Err(Error::LimitExceeded(_))
        ));
        assert_eq!(
            s.get_group(&p.id, &admin.name).await.unwrap(),
            Some(admin.clone())
        );

        let first = s.list_groups(&p.id, 2, None).await.unwrap();
        let rest = s
            .list_groups(&p.id, 2, first.next.as_deref())
            .await
            .unwrap();
        let names: Vec<String> = first
            .items
            .iter()
            .chain(&rest.items)
            .map(|g| g.name.to_string())
            .collect();
        assert_eq!(names, ["admin", "editors", "readers"]);
        assert!(rest.next.is_none());

        let mut changed = admin.clone();
        changed.precedence = Some(9);
        changed.role_arn = None;
        assert!(s.update_group(&changed, None).await.unwrap());
        assert_eq!(
            s.get_group(&p.id, &admin.name).await.unwrap(),
            Some(changed)
        );
    })
    .await;
}

#[tokio::test]
async fn memberships_are_idempotent_limited_and_cascade() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_members").await;
        let (a, b) = (group(&p, "a", Some(1)), group(&p, "b", Some(2)));
        s.insert_group(&a, 100, None).await.unwrap();
        s.insert_group(&b, 100, None).await.unwrap();
        s.insert_group(&group(&p, "c", None), 100, None)
            .await
            .unwrap();
        let (ann, bob) = (user(&p, "ann"), user(&p, "bob"));
        s.insert_user(&ann, None).await.unwrap();
        s.insert_user(&bob, None).await.unwrap();

        s.add_member(&p.id, &a.name, &ann.sub, 2, None)
            .await
            .unwrap();
        s.add_member(&p.id, &a.name, &ann.sub, 2, None)
            .await
            .unwrap();
        s.add_member(&p.id, &b.name, &ann.sub, 2, None)
            .await
            .unwrap();
        let c = GroupName::parse("c").unwrap();
        assert!(matches!(
            s.add_member(&p.id, &c, &ann.sub, 2, None).await,
            Err(Error::LimitExceeded(_))
        ));
        s.add_member(&p.id, &a.name, &ann.sub, 2, None)
            .await
            .expect("an existing membership is fine at the limit");
        s.add_member(&p.id, &a.name, &bob.sub, 2, None)
            .await
            .unwrap();

        let of_ann = s.groups_of_user(&p.id, &ann.sub, 10, None).await.unwrap();
        assert_eq!(of_ann.items, vec![a.clone(), b.clone()]);
        let members = s.members_of_group(&p.id, &a.name, 1, None).await.unwrap();
        assert_eq!(members.items[0].username.as_str(), "ann");
        assert!(!members.items[0].attributes.is_empty());
        let more = s
            .members_of_group(&p.id, &a.name, 1, members.next.as_deref())
            .await
            .unwrap();
        assert_eq!(more.items[0].username.as_str(), "bob");
        assert!(more.next.is_none());

        s.remove_member(&p.id, &b.name, &ann.sub, None)
            .await
            .unwrap();
        assert_eq!(
            s.groups_of_user(&p.id, &ann.sub, 10, None)
                .await
                .unwrap()
                .items,
            vec![a.clone()]
        );

        assert!(s.delete_group(&p.id, &a.name, None).await.unwrap());
        assert!(s
            .groups_of_user(&p.id, &ann.sub, 10, None)
            .await
            .unwrap()
            .items
            .is_empty());
        assert!(!s.delete_group(&p.id, &a.name, None).await.unwrap());

        s.add_member(&p.id, &b.name, &bob.sub, 2, None)
            .await
            .unwrap();
        s.delete_user(&p.id, &bob.sub, None).await.unwrap();
        assert!(s
            .members_of_group(&p.id, &b.name, 10, None)
            .await
            .unwrap()
            .items
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_new_session_brings_its_users_groups_as_they_are() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_sessiongroups").await;
        let mut admins = group(&p, "admins", Some(0));
        admins.description = Some("Can do \"anything\"".into());
        admins.role_arn = Some("arn:aws:iam::123456789012:role/admins".into());
        let (mut editors, readers) = (group(&p, "editors", None), group(&p, "readers", Some(7)));
        (editors.description, editors.role_arn) = (None, None);
        for g in [&readers, &admins, &editors] {
            s.insert_group(g, 100, None).await.unwrap();
        }
        let (ann, bob) = (user(&p, "ann"), user(&p, "bob"));
        s.insert_user(&ann, None).await.unwrap();
        s.insert_user(&bob, None).await.unwrap();
        for g in [&readers, &admins, &editors] {
            s.add_member(&p.id, &g.name, &ann.sub, 100, None)
                .await
                .unwrap();
        }

        let groups = s.start_session(&session(&p, &ann, "ann1"), 100).await;
        assert_eq!(
            groups.unwrap(),
            vec![admins.clone(), editors.clone(), readers]
        );
        let first_two = s.start_session(&session(&p, &ann, "ann2"), 2).await;
        assert_eq!(first_two.unwrap(), vec![admins, editors]);
        let none = s.start_session(&session(&p, &bob, "bob1"), 100).await;
        assert_eq!(none.unwrap(), vec![]);
        assert!(s.get_session("ann2").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn a_bulk_import_is_all_or_nothing() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_bulk").await;
        s.insert_users(&[user(&p, "a1"), user(&p, "a2")])
            .await
            .unwrap();
        let mut clash = user(&p, "a1");
        clash.sub = "another".into();
        assert!(matches!(
            s.insert_users(&[user(&p, "a3"), clash]).await,
            Err(Error::UsernameExists(_))
        ));
        assert!(
            s.get_user(&p.id, "a3").await.unwrap().is_none(),
            "nothing of a failed import stays"
        );
        assert_eq!(
            s.list_users(&p.id, None, 60, None)
                .await
                .unwrap()
                .items
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn an_auth_batch_applies_entirely_or_not_at_all() {
    use cognate_core::model::AdminQueriesApi;
    use cognate_core::store::AuthBatch;
    on_every_backend(|s| async move {
        let p = pool("us-east-1_batch");
        let api = AdminQueriesApi {
            id: "api0000001".into(),
            pool_id: p.id.clone(),
            stage: "dev".into(),
            allowed_groups: vec![GroupName::parse("admin").unwrap()],
            extra_routes: vec![],
            created: Timestamp(1),
            modified: Timestamp(1),
        };
        let batch = AuthBatch {
            new_pool: Some((p.clone(), vec![key(&p, "kid-batch")])),
            new_client: Some(client(&p, "batchclient")),
            put_groups: vec![group(&p, "admin", Some(1)), group(&p, "editors", Some(2))],
            put_admin_queries: Some(api.clone()),
            ..Default::default()
        };
        s.apply_auth_batch(&batch).await.unwrap();
        assert!(s.get_pool(&p.id).await.unwrap().is_some());
        assert_eq!(s.list_groups(&p.id, 10, None).await.unwrap().items.len(), 2);
        assert_eq!(
            s.get_admin_queries_api("api0000001").await.unwrap(),
            Some(api.clone())
        );

        // Precedence changes and a deletion, then a batch that fails half-way changes nothing.
        let reorder = AuthBatch {
            put_groups: vec![group(&p, "editors", Some(1)), group(&p, "admin", Some(2))],
            delete_groups: vec![],
            ..Default::default()
        };
        s.apply_auth_batch(&reorder).await.unwrap();
        let editors = s
            .get_group(&p.id, &GroupName::parse("editors").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(editors.precedence, Some(1));

        let other = pool("us-east-1_nosuchpool");
        let failing = AuthBatch {
            delete_groups: vec![(p.id.clone(), GroupName::parse("admin").unwrap())],
            put_groups: vec![group(&other, "orphan", Some(1))],
            ..Default::default()
        };
        assert!(
            s.apply_auth_batch(&failing).await.is_err(),
            "a group of a pool that does not exist"
        );
        assert!(
            s.get_group(&p.id, &GroupName::parse("admin").unwrap())
                .await
                .unwrap()
                .is_some(),
            "the deletion was rolled back"
        );
    })
    .await;
}

#[tokio::test]
async fn writing_back_a_stale_user_keeps_failures_counted_since() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_stale").await;
        let u = user(&p, "stale");
        s.insert_user(&u, None).await.unwrap();
        let stale = s.get_user(&p.id, "stale").await.unwrap().unwrap();
        assert!(s
            .admit_sign_in_attempt(&p.id, &u.sub, 0, Timestamp(5))
            .await
            .unwrap());
        assert!(s
            .admit_sign_in_attempt(&p.id, &u.sub, 1, Timestamp(6))
            .await
            .unwrap());
        assert!(s.update_user(&stale, None).await.unwrap());
        let now = s.get_user(&p.id, "stale").await.unwrap().unwrap();
        assert_eq!(
            (now.failed_sign_ins, now.last_failed_sign_in),
            (2, Some(Timestamp(6)))
        );
    })
    .await;
}

#[tokio::test]
async fn sign_in_names_are_unique_in_a_pool() {
    on_every_backend(|s| async move {
        let p = with_pool(&s, "us-east-1_names").await;
        let mut first = user(&p, "first");
        first.attributes = vec![Attribute {
            name: "email".into(),
            value: "same@example.com".into(),
        }];
        first.sign_in_names = vec!["email".into()];
        s.insert_user(&first, None).await.unwrap();
        assert_eq!(
            s.get_user(&p.id, "first")
                .await
                .unwrap()
                .unwrap()
                .sign_in_names,
            ["email"]
        );

        let mut second = user(&p, "second");
        second.attributes = first.attributes.clone();
        second.sign_in_names = vec!["email".into()];
        assert!(matches!(
            s.insert_user(&second, None).await,
            Err(Error::AliasExists(_))
        ));
        assert!(
            s.get_user(&p.id, "second").await.unwrap().is_none(),
            "nothing half-written"
        );

        second.sign_in_names.clear();
        s.insert_user(&second, None)
            .await
            .expect("the same email is fine where it is no sign-in name");
    })
    .await;
}

fn role(name: &str) -> cognate_core::iam::Role {
    cognate_core::iam::Role {
        name: cognate_core::iam::IamName::role(name).unwrap(),
        id: format!("AROA{name}"),
        path: "/".into(),
        arn: format!("arn:aws:iam::000000000000:role/{name}"),
        trust_policy: "{}".into(),
        description: None,
        max_session_duration: 3600,
        tags: vec![],
        created: Timestamp(1),
    }
}

#[tokio::test]
async fn iam_names_ignore_case_and_entities_with_policies_are_not_deleted() {
    use cognate_core::iam::{IamName, ManagedPolicy, PolicyOwner};
    on_every_backend(|s| async move {
        s.insert_role(&role("Admins"), None).await.unwrap();
        assert!(matches!(
            s.insert_role(&role("admins"), None).await,
            Err(Error::EntityAlreadyExists(_))
        ));
        let name = IamName::role("ADMINS").unwrap();
        assert_eq!(
            s.get_role(&name).await.unwrap().unwrap().name.as_str(),
            "Admins"
        );
        let owner = PolicyOwner::Role(name.clone());
        s.put_inline_policy(&owner, &IamName::policy("read").unwrap(), "{\"a\":1}", None)
            .await
            .unwrap();
        // Put again replaces.
        s.put_inline_policy(&owner, &IamName::policy("READ").unwrap(), "{\"a\":2}", None)
            .await
            .unwrap();
        let policy = ManagedPolicy {
            name: IamName::policy("shared").unwrap(),
            id: "ANPA1".into(),
            path: "/".into(),
            arn: "arn:aws:iam::000000000000:policy/shared".into(),
            description: None,
            document: "{\"m\":1}".into(),
            attachment_count: 0,
            created: Timestamp(1),
        };
        s.insert_managed_policy(&policy, None).await.unwrap();
        s.attach_role_policy(&name, &policy.arn, None)
            .await
            .unwrap();
        s.attach_role_policy(&name, &policy.arn, None)
            .await
            .unwrap();
        let governing = s.role_policies(&name).await.unwrap().unwrap();
        let documents: Vec<(&str, &str)> = governing
            .documents
            .iter()
            .map(|d| (d.source.as_str(), d.document.as_str()))
            .collect();
        assert_eq!(
            documents,
            [("READ", "{\"a\":2}"), (policy.arn.as_str(), "{\"m\":1}")]
        );
        assert_eq!(
            s.get_managed_policy(&policy.arn)
                .await
                .unwrap()
                .unwrap()
                .attachment_count,
            1
        );
        assert!(matches!(
            s.delete_role(&name, None).await,
            Err(Error::DeleteConflict(_))
        ));
        assert!(matches!(
            s.delete_managed_policy(&policy.arn, None).await,
            Err(Error::DeleteConflict(_))
        ));
        assert!(s
            .detach_role_policy(&name, &policy.arn, None)
            .await
            .unwrap());
        assert!(s
            .delete_inline_policy(&owner, &IamName::policy("read").unwrap(), None)
            .await
            .unwrap());
        assert!(s.delete_role(&name, None).await.unwrap());
        assert!(s.delete_managed_policy(&policy.arn, None).await.unwrap());
        assert!(s.role_policies(&name).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn concurrent_first_sign_ins_of_one_user_end_with_one_identity() {
    use cognate_core::identity::{Identity, IdentityId, IdentityPool, IdentityPoolId, Login};
    on_every_backend(|s| async move {
        let pool_id = IdentityPoolId::generate("us-east-1");
        let pool = IdentityPool {
            id: pool_id.clone(),
            name: "p".into(),
            allow_unauthenticated: true,
            allow_classic_flow: false,
            cognito_providers: vec![],
            supported_login_providers: Default::default(),
            developer_provider_name: None,
            open_id_connect_provider_arns: vec![],
            saml_provider_arns: vec![],
            tags: Default::default(),
            roles: Default::default(),
            role_mappings: Default::default(),
            created: Timestamp(1),
        };
        s.insert_identity_pool(&pool, None).await.unwrap();
        let login = Login {
            provider: "cognito-idp.us-east-1.amazonaws.com/us-east-1_x".into(),
            subject: "sub-1".into(),
        };
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (s, login) = (s.clone(), login.clone());
                let identity = Identity {
                    id: IdentityId::generate("us-east-1"),
                    pool_id: pool_id.clone(),
                    logins: vec![],
                    created: Timestamp(1),
                    modified: Timestamp(1),
                };
                tokio::spawn(async move {
                    let claim = s.claim_login(&identity, &login).await.unwrap();
                    match claim {
                        Claim::Linked => identity.id,
                        Claim::Already(owner) => owner,
                    }
                })
            })
            .collect();
        let mut owners = Vec::new();
        for task in tasks {
            owners.push(task.await.unwrap());
        }
        owners.dedup();
        assert_eq!(owners.len(), 1, "{owners:?}");
        let page = s.list_identities(&pool_id, 60, None).await.unwrap();
        assert_eq!(page.items.len(), 1, "the losers' identities are gone");
        assert_eq!(page.items[0].logins, std::slice::from_ref(&login));
        assert!(s.unlink_login(&owners[0], &login).await.unwrap());
        assert!(s.delete_identity_pool(&pool_id, None).await.unwrap());
        assert!(s.get_identity(&owners[0]).await.unwrap().is_none());
    })
    .await;
}

/// A bucket with no settings, inserted.
async fn new_bucket(s: &SqlStore, name: &str) -> Bucket {
    let bucket = Bucket {
        name: BucketName::parse(name).unwrap(),
        created: Timestamp(1),
        cors: None,
        policy: None,
        tags: vec![],
    };
    assert!(s.insert_bucket(&bucket).await.unwrap());
    bucket
}

fn object(bucket: &str, key: &str, blob: &cognate_core::storage::BlobId) -> StoredObject {
    StoredObject {
        bucket: BucketName::parse(bucket).unwrap(),
        key: ObjectKey::parse(key).unwrap(),
        size: 3,
        etag: "e".into(),
        last_modified: Timestamp(1),
        headers: Default::default(),
        checksum: None,
        tags: vec![],
        segments: vec![Segment {
            blob: blob.clone(),
            size: 3,
        }],
    }
}

#[tokio::test]
async fn an_object_write_replaces_releases_and_refuses_as_its_condition_and_bucket_say() {
    use cognate_core::storage::{BlobId, WriteCondition};
    use cognate_core::store::ObjectWrite;
    on_every_backend(|s| async move {
        let (first, second, third) = (BlobId::generate(), BlobId::generate(), BlobId::generate());
        assert_eq!(
            s.put_object(&object("nowhere", "k", &first), WriteCondition::Always)
                .await
                .unwrap(),
            ObjectWrite::NoSuchBucket
        );
        let bucket = new_bucket(&s, "files").await;
        assert_eq!(
            s.put_object(&object("files", "k", &first), WriteCondition::IfAbsent)
                .await
                .unwrap(),
            ObjectWrite::Stored { released: vec![] }
        );
        assert_eq!(
            s.put_object(&object("files", "k", &second), WriteCondition::IfAbsent)
                .await
                .unwrap(),
            ObjectWrite::ConditionFailed
        );
        assert_eq!(
            s.put_object(&object("files", "k", &third), WriteCondition::Always)
                .await
                .unwrap(),
            ObjectWrite::Stored {
                released: vec![first.clone()]
            }
        );
        let stored = s
            .get_object(&bucket.name, &ObjectKey::parse("k").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.blobs(), vec![third.clone()]);
        assert!(!s.blob_in_use(&first).await.unwrap());
        assert!(s.blob_in_use(&third).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn concurrent_writes_of_one_key_release_each_replaced_blob_once_and_one_if_absent_wins() {
    use cognate_core::storage::{BlobId, WriteCondition};
    use cognate_core::store::ObjectWrite;
    on_every_backend(|s| async move {
        let bucket = new_bucket(&s, "race").await;
        let blobs: Vec<BlobId> = (0..24).map(|_| BlobId::generate()).collect();
        let writes = blobs.iter().map(|blob| {
            let s = s.clone();
            let blob = blob.clone();
            tokio::spawn(async move {
                s.put_object(&object("race", "same", &blob), WriteCondition::Always)
                    .await
                    .unwrap()
            })
        });
        let mut released = Vec::new();
        for write in futures::future::join_all(writes).await {
            match write.unwrap() {
                ObjectWrite::Stored { released: r } => released.extend(r),
                other => panic!("{other:?}"),
            }
        }
        let stored = s
            .get_object(&bucket.name, &ObjectKey::parse("same").unwrap())
            .await
            .unwrap()
            .unwrap();
        released.extend(stored.blobs());
        released.sort();
        let mut expected = blobs.clone();
        expected.sort();
        assert_eq!(
            released, expected,
            "each blob replaced once, the last one kept"
        );

        let contenders = (0..12).map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.put_object(
                    &object("race", "first", &BlobId::generate()),
                    WriteCondition::IfAbsent,
                )
                .await
                .unwrap()
            })
        });
        let outcomes = futures::future::join_all(contenders).await;
        let won = outcomes
            .iter()
            .filter(|o| matches!(o.as_ref().unwrap(), ObjectWrite::Stored { .. }))
            .count();
        assert_eq!(won, 1, "{outcomes:?}");
        assert!(outcomes.iter().all(|o| matches!(
            o.as_ref().unwrap(),
            ObjectWrite::Stored { .. } | ObjectWrite::ConditionFailed
        )));
    })
    .await;
}

#[tokio::test]
async fn an_object_of_many_segments_is_written_and_replaced_whole() {
    use cognate_core::storage::{BlobId, WriteCondition};
    use cognate_core::store::ObjectWrite;
    on_every_backend(|s| async move {
        let bucket = new_bucket(&s, "copies").await;
        let mut large = object("copies", "k", &BlobId::generate());
        large.segments = (0..600)
            .map(|_| Segment {
                blob: BlobId::generate(),
                size: 5 << 20,
            })
            .collect();
        let blobs = large.blobs();
        assert_eq!(
            s.put_object(&large, WriteCondition::Always).await.unwrap(),
            ObjectWrite::Stored { released: vec![] }
        );
        let key = ObjectKey::parse("k").unwrap();
        let stored = s.get_object(&bucket.name, &key).await.unwrap().unwrap();
        assert_eq!(stored.blobs(), blobs, "all 600 segments, in order");
        let small = BlobId::generate();
        match s
            .put_object(&object("copies", "k", &small), WriteCondition::Always)
            .await
            .unwrap()
        {
            ObjectWrite::Stored { mut released } => {
                released.sort();
                let mut expected = blobs.clone();
                expected.sort();
                assert_eq!(released, expected);
            }
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn rest_apis_are_put_replaced_listed_and_deleted() {
    use cognate_core::rest_api::{CallerKey, ResourcePath, RestApi, Route, RouteAuth};
    on_every_backend(|s| async move {
        let api = |id: &str, created: i64| RestApi {
            id: id.into(),
            name: format!("api {id}"),
            stages: vec!["dev".into()],
            routes: vec![Route {
                path: ResourcePath::parse("/items/{id}").unwrap(),
                method: "GET".into(),
                auth: RouteAuth::UserPool(PoolId::parse("us-east-1_items").unwrap()),
                upstream: "http://127.0.0.1:8080".into(),
            }],
            created: Timestamp(created),
            modified: Timestamp(created),
            caller_key: Some(CallerKey {
                kid: "kid".into(),
                sealed_private_key: "c2VhbGVk".into(),
                n: "bg".into(),
                e: "AQAB".into(),
            }),
        };
        s.put_rest_api(&api("second", 2)).await.unwrap();
        s.put_rest_api(&api("first", 1)).await.unwrap();
        let mut changed = api("first", 1);
        changed.stages.push("prod".into());
        s.put_rest_api(&changed).await.unwrap();
        assert_eq!(s.get_rest_api("first").await.unwrap(), Some(changed));
        let ids: Vec<String> = s
            .list_rest_apis()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, ["first", "second"], "oldest first");
        assert!(s.delete_rest_api("first").await.unwrap());
        assert!(!s.delete_rest_api("first").await.unwrap());
        assert_eq!(s.get_rest_api("first").await.unwrap(), None);
    })
    .await;
}
