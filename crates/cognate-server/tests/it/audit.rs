//! The audit log: every administrative change, who made it and from where, in the change's
//! transaction, never with a secret.

use cognate_core::audit::AuditRecord;
use cognate_core::ids::PoolId;

use crate::support::{code, TestServer, PASSWORD};

async fn audit_of(t: &TestServer, pool: &str) -> Vec<AuditRecord> {
    let pool = PoolId::parse(pool).unwrap();
    let mut records = t
        .server
        .services()
        .audit_log(Some(&pool), 100, None)
        .await
        .unwrap();
    records.reverse();
    records
}

#[tokio::test]
async fn administrative_changes_are_audited_with_who_and_from_where() {
    let t = TestServer::start().await;
    let (pool, client) = t.pool_and_client().await;
    t.client
        .create_group()
        .user_pool_id(&pool)
        .group_name("editors")
        .precedence(2)
        .send()
        .await
        .unwrap();
    t.create_user(&pool, "alice", PASSWORD).await;
    t.client
        .admin_add_user_to_group()
        .user_pool_id(&pool)
        .username("alice")
        .group_name("editors")
        .send()
        .await
        .unwrap();
    t.client
        .admin_disable_user()
        .user_pool_id(&pool)
        .username("alice")
        .send()
        .await
        .unwrap();
    // A user's own sign-up is not an administrative change.
    t.client
        .sign_up()
        .client_id(&client)
        .username("bob")
        .password(PASSWORD)
        .send()
        .await
        .unwrap();

    let records = audit_of(&t, &pool).await;
    let summary: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.action.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("CreateUserPool", format!("pool:{pool}").as_str()),
            ("CreateUserPoolClient", format!("client:{client}").as_str()),
            ("CreateGroup", "group:editors"),
            ("AdminCreateUser", "user:alice"),
            ("AdminSetUserPassword", "user:alice"),
            ("AdminAddUserToGroup", "user:alice"),
            ("AdminDisableUser", "user:alice"),
        ]
    );
    for record in &records {
        assert_eq!(
            (record.actor.as_str(), record.source.as_str()),
            ("root", "127.0.0.1")
        );
        assert!(record.at.0 > 0);
    }
    assert_eq!(records[5].details["group"], "editors");
    assert_eq!(records[4].details["permanent"], true);
    let everything = format!("{records:?}");
    assert!(
        !everything.contains(PASSWORD),
        "no password in the audit log"
    );
}

#[tokio::test]
async fn a_refused_change_leaves_no_audit_record() {
    let t = TestServer::start().await;
    let pool = t.create_pool().await;
    t.create_user(&pool, "alice", PASSWORD).await;
    let before = audit_of(&t, &pool).await.len();
    let refused = t
        .client
        .admin_add_user_to_group()
        .user_pool_id(&pool)
        .username("alice")
        .group_name("nosuchgroup")
        .send()
        .await;
    assert_eq!(code(refused), "ResourceNotFoundException");
    let deleted_twice = t
        .client
        .delete_group()
        .user_pool_id(&pool)
        .group_name("nosuchgroup")
        .send()
        .await;
    assert_eq!(code(deleted_twice), "ResourceNotFoundException");
    assert_eq!(audit_of(&t, &pool).await.len(), before);
}
