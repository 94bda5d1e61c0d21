//! Identity pools through aws-sdk-cognitoidentity: guests, group members and their roles by
//! precedence, the refusals, the basic flow through STS, and temporary credentials held to
//! their role on the user-pool admin API.

use std::collections::HashMap;

use aws_sdk_cognitoidentity::types::{
    AmbiguousRoleResolutionType, CognitoIdentityProvider, RoleMapping, RoleMappingType,
};

use crate::support::{
    code, error, expired_session_token, iam_client, identity_client, sts_client, user_pool_client,
    Keys, TestServer, PASSWORD,
};

/// A user pool with groups `admin` (precedence 1) and `editors` (2), each with a role; an
/// identity pool for its client, with auth, unauth and group roles trusting it.
pub(crate) struct Project {
    pub t: TestServer,
    pub user_pool: String,
    pub client: String,
    pub identity_pool: String,
    identity: aws_sdk_cognitoidentity::Client,
}

fn trust(pool: &str, amr: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"cognito-identity.amazonaws.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"cognito-identity.amazonaws.com:aud":"{pool}"}},"ForAnyValue:StringLike":{{"cognito-identity.amazonaws.com:amr":"{amr}"}}}}}}]}}"#
    )
}

pub(crate) fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::000000000000:role/{name}")
}

impl Project {
    pub async fn new() -> Project {
        Self::with(|b| b.allow_unauthenticated_identities(true)).await
    }

    async fn with(
        adjust: impl FnOnce(
            aws_sdk_cognitoidentity::operation::create_identity_pool::builders::CreateIdentityPoolFluentBuilder,
        ) -> aws_sdk_cognitoidentity::operation::create_identity_pool::builders::CreateIdentityPoolFluentBuilder,
    ) -> Project {
        let t = TestServer::start().await;
        let (user_pool, client) = t.pool_and_client().await;
        let identity = identity_client(t.url(), &t.root_keys());
        let provider = format!("cognito-idp.us-east-1.amazonaws.com/{user_pool}");
        let created = adjust(
            identity
                .create_identity_pool()
                .identity_pool_name("app")
                .allow_unauthenticated_identities(false)
                .cognito_identity_providers(
                    CognitoIdentityProvider::builder()
                        .provider_name(&provider)
                        .client_id(&client)
                        .build(),
                ),
        )
        .send()
        .await
        .unwrap();
        let identity_pool = created.identity_pool_id;
        let iam = iam_client(t.url(), &t.root_keys());
        for (name, amr) in [
            ("auth", "authenticated"),
            ("unauth", "unauthenticated"),
            (&*format!("{user_pool}-adminGroupRole"), "authenticated"),
            (&*format!("{user_pool}-editorsGroupRole"), "authenticated"),
        ] {
            iam.create_role()
                .role_name(name)
                .assume_role_policy_document(trust(&identity_pool, amr))
                .send()
                .await
                .unwrap();
        }
        for (group, precedence) in [("admin", 1), ("editors", 2)] {
            t.client
                .create_group()
                .user_pool_id(&user_pool)
                .group_name(group)
                .precedence(precedence)
                .role_arn(role_arn(&format!("{user_pool}-{group}GroupRole")))
                .send()
                .await
                .unwrap();
        }
        // The role mapping keyed as aws-amplify names the provider (the issuer without its
        // scheme), the identity provider in AWS's form: both name the same user pool.
        let issuer = format!("{}/{user_pool}", t.url().trim_start_matches("http://"));
        identity
            .set_identity_pool_roles()
            .identity_pool_id(&identity_pool)
            .roles("authenticated", role_arn("auth"))
            .roles("unauthenticated", role_arn("unauth"))
            .role_mappings(
                format!("{issuer}:{client}"),
                RoleMapping::builder()
                    .r#type(RoleMappingType::Token)
                    .ambiguous_role_resolution(AmbiguousRoleResolutionType::AuthenticatedRole)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        Project {
            t,
            user_pool,
            client,
            identity_pool,
            identity,
        }
    }

    /// A user in `groups`, signed in: their ID token.
    pub async fn member(&self, username: &str, groups: &[&str]) -> String {
        self.t
            .create_user(&self.user_pool, username, PASSWORD)
            .await;
        for group in groups {
            self.t
                .client
                .admin_add_user_to_group()
                .user_pool_id(&self.user_pool)
                .username(username)
                .group_name(*group)
                .send()
                .await
                .unwrap();
        }
        self.t
            .sign_in(&self.client, username, PASSWORD)
            .await
            .id_token
            .unwrap()
    }

    /// Logins keyed as aws-amplify keys them: the ID token's issuer without its scheme.
    pub fn logins(&self, id_token: &str) -> HashMap<String, String> {
        let issuer = format!(
            "{}/{}",
            self.t.url().trim_start_matches("http://"),
            self.user_pool
        );
        HashMap::from([(issuer, id_token.to_owned())])
    }

    pub async fn credentials(
        &self,
        identity_id: &str,
        logins: Option<HashMap<String, String>>,
        custom_role: Option<&str>,
    ) -> Result<
        aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityOutput,
        aws_sdk_cognitoidentity::error::SdkError<
            aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityError,
        >,
    >{
        self.identity
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .set_logins(logins)
            .set_custom_role_arn(custom_role.map(str::to_owned))
            .send()
            .await
    }

    pub async fn id_of(&self, logins: Option<HashMap<String, String>>) -> String {
        self.identity
            .get_id()
            .identity_pool_id(&self.identity_pool)
            .set_logins(logins)
            .send()
            .await
            .unwrap()
            .identity_id
            .unwrap()
    }

    /// The ARN STS names the holder of `credentials` by.
    async fn caller_arn(
        &self,
        credentials: &aws_sdk_cognitoidentity::types::Credentials,
    ) -> String {
        let keys = Keys {
            id: credentials.access_key_id().unwrap(),
            secret: credentials.secret_key().unwrap(),
            token: credentials.session_token(),
        };
        sts_client(self.t.url(), &keys)
            .get_caller_identity()
            .send()
            .await
            .unwrap()
            .arn
            .unwrap()
    }
}

fn assumed(role: &str) -> String {
    format!("arn:aws:sts::000000000000:assumed-role/{role}/CognitoIdentityCredentials")
}

#[tokio::test]
async fn a_group_member_gets_the_role_of_their_first_group_and_a_guest_the_unauth_role() {
    let p = Project::new().await;
    let token = p.member("alice", &["editors", "admin"]).await;
    let id = p.id_of(Some(p.logins(&token))).await;
    assert!(id.starts_with("us-east-1:"));
    assert_eq!(
        p.id_of(Some(p.logins(&token))).await,
        id,
        "one identity per user"
    );
    let issued = p
        .credentials(&id, Some(p.logins(&token)), None)
        .await
        .unwrap();
    assert_eq!(issued.identity_id(), Some(id.as_str()));
    let credentials = issued.credentials.unwrap();
    assert!(credentials.access_key_id().unwrap().starts_with("ASIA"));
    let lifetime = credentials.expiration().unwrap().secs()
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!(
        (3590..=3600).contains(&lifetime),
        "one hour, got {lifetime} s"
    );
    assert_eq!(
        p.caller_arn(&credentials).await,
        assumed(&format!("{}-adminGroupRole", p.user_pool)),
        "admin has precedence 1"
    );

    let guest = p.id_of(None).await;
    assert_ne!(guest, id);
    let credentials = p
        .credentials(&guest, None, None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    assert_eq!(p.caller_arn(&credentials).await, assumed("unauth"));
}

#[tokio::test]
async fn a_user_outside_every_group_gets_the_authenticated_role_and_cannot_pick_a_group_role() {
    let p = Project::new().await;
    let token = p.member("bob", &[]).await;
    let id = p.id_of(Some(p.logins(&token))).await;
    let credentials = p
        .credentials(&id, Some(p.logins(&token)), None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    assert_eq!(p.caller_arn(&credentials).await, assumed("auth"));
    let admin_role = role_arn(&format!("{}-adminGroupRole", p.user_pool));
    assert_eq!(
        code(
            p.credentials(&id, Some(p.logins(&token)), Some(&admin_role))
                .await
        ),
        "NotAuthorizedException"
    );
    // A member may choose among their own roles.
    let token = p.member("erin", &["editors", "admin"]).await;
    let id = p.id_of(Some(p.logins(&token))).await;
    let editors = role_arn(&format!("{}-editorsGroupRole", p.user_pool));
    let credentials = p
        .credentials(&id, Some(p.logins(&token)), Some(&editors))
        .await
        .unwrap()
        .credentials
        .unwrap();
    assert_eq!(
        p.caller_arn(&credentials).await,
        assumed(&format!("{}-editorsGroupRole", p.user_pool))
    );
}

#[tokio::test]
async fn a_guest_identity_becomes_the_users_on_first_sign_in_and_later_guests_yield_to_it() {
    let p = Project::new().await;
    let token = p.member("carol", &["admin"]).await;
    // aws-amplify: guest first, then the same id with the login.
    let guest = p.id_of(None).await;
    let upgraded = p
        .credentials(&guest, Some(p.logins(&token)), None)
        .await
        .unwrap();
    assert_eq!(upgraded.identity_id(), Some(guest.as_str()));
    // Another device's guest, signing in as carol: carol's identity answers.
    let other_guest = p.id_of(None).await;
    let answered = p
        .credentials(&other_guest, Some(p.logins(&token)), None)
        .await
        .unwrap();
    assert_eq!(answered.identity_id(), Some(guest.as_str()));
    let described = p
        .identity
        .describe_identity()
        .identity_id(&guest)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.logins(),
        [format!(
            "cognito-idp.us-east-1.amazonaws.com/{}",
            p.user_pool
        )]
    );
    // Carol's identity is hers: without the login it is refused.
    assert_eq!(
        error(p.credentials(&guest, None, None).await),
        (
            "NotAuthorizedException".to_owned(),
            format!("Access to Identity '{guest}' is forbidden.")
        )
    );
    // Dave cannot reach it with his own login.
    let dave = p.member("dave", &[]).await;
    assert_eq!(
        code(p.credentials(&guest, Some(p.logins(&dave)), None).await),
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn logins_that_are_not_valid_id_tokens_of_the_pools_clients_are_refused() {
    let p = Project::new().await;
    p.t.create_user(&p.user_pool, "frank", PASSWORD).await;
    let tokens = p.t.sign_in(&p.client, "frank", PASSWORD).await;
    let access = tokens.access_token.unwrap();
    let get_id = |logins: HashMap<String, String>| {
        p.identity
            .get_id()
            .identity_pool_id(&p.identity_pool)
            .set_logins(Some(logins))
            .send()
    };
    assert_eq!(
        error(get_id(p.logins(&access)).await),
        (
            "NotAuthorizedException".to_owned(),
            "Invalid login token. Missing a required claim: aud".to_owned()
        )
    );
    // A client of the user pool the identity pool does not list.
    let other_client = p.t.create_client(&p.user_pool, false).await;
    let foreign =
        p.t.sign_in(&other_client, "frank", PASSWORD)
            .await
            .id_token
            .unwrap();
    assert_eq!(
        error(get_id(p.logins(&foreign)).await).1,
        "Token is not from a supported provider of this identity pool."
    );
    let mut forged = tokens.id_token.clone().unwrap();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        code(get_id(p.logins(&forged)).await),
        "NotAuthorizedException"
    );
    // Signed out everywhere: the ID token stops working here too.
    let id_token = tokens.id_token.unwrap();
    p.t.client
        .admin_user_global_sign_out()
        .user_pool_id(&p.user_pool)
        .username("frank")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(get_id(p.logins(&id_token)).await),
        "NotAuthorizedException"
    );
    // Disabled users get nothing (disabling ends their sessions, too).
    let token = p.member("gina", &[]).await;
    p.t.client
        .admin_disable_user()
        .user_pool_id(&p.user_pool)
        .username("gina")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(get_id(p.logins(&token)).await),
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn a_pool_without_guests_refuses_them_and_a_role_that_does_not_trust_the_pool_is_a_configuration_error(
) {
    let p = Project::with(|b| b.allow_unauthenticated_identities(false)).await;
    assert_eq!(
        error(
            p.identity
                .get_id()
                .identity_pool_id(&p.identity_pool)
                .send()
                .await
        ),
        (
            "NotAuthorizedException".to_owned(),
            "Unauthenticated access is not supported for this identity pool.".to_owned()
        )
    );
    // The auth role now trusts another pool only.
    iam_client(p.t.url(), &p.t.root_keys())
        .update_assume_role_policy()
        .role_name("auth")
        .policy_document(trust(
            "us-east-1:11111111-1111-1111-1111-111111111111",
            "authenticated",
        ))
        .send()
        .await
        .unwrap();
    let token = p.member("hank", &[]).await;
    let id = p.id_of(Some(p.logins(&token))).await;
    assert_eq!(
        error(p.credentials(&id, Some(p.logins(&token)), None).await),
        (
            "InvalidIdentityPoolConfigurationException".to_owned(),
            "Invalid identity pool configuration. Check assigned IAM roles for this pool."
                .to_owned()
        )
    );
}

#[tokio::test]
async fn temporary_credentials_are_held_to_their_role_on_the_user_pool_admin_api() {
    let p = Project::new().await;
    let admin_role = format!("{}-adminGroupRole", p.user_pool);
    let pool_arn = format!(
        "arn:aws:cognito-idp:us-east-1:000000000000:userpool/{}",
        p.user_pool
    );
    iam_client(p.t.url(), &p.t.root_keys())
        .put_role_policy()
        .role_name(&admin_role)
        .policy_name("admin-queries")
        .policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["cognito-idp:AdminGetUser","cognito-idp:AdminAddUserToGroup"],"Resource":"{pool_arn}"}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let token = p.member("ivy", &["admin"]).await;
    let id = p.id_of(Some(p.logins(&token))).await;
    let credentials = p
        .credentials(&id, Some(p.logins(&token)), None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let keys = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: credentials.session_token(),
    };
    let pools = user_pool_client(p.t.url(), &keys);
    let user = pools
        .admin_get_user()
        .user_pool_id(&p.user_pool)
        .username("ivy")
        .send()
        .await
        .unwrap();
    assert_eq!(user.username, "ivy");
    assert_eq!(
        error(
            pools
                .admin_delete_user()
                .user_pool_id(&p.user_pool)
                .username("ivy")
                .send()
                .await
        ),
        (
            "AccessDeniedException".to_owned(),
            format!("User: {} is not authorized to perform: cognito-idp:AdminDeleteUser on resource: {pool_arn}", assumed(&admin_role))
        )
    );
    let other_pool = p.t.create_pool().await;
    assert_eq!(
        code(
            pools
                .admin_get_user()
                .user_pool_id(&other_pool)
                .username("ivy")
                .send()
                .await
        ),
        "AccessDeniedException"
    );

    // Altered, the session token is unknown; the identity deleted, so are its credentials.
    let mut altered = credentials.session_token().unwrap().to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let tampered = user_pool_client(
        p.t.url(),
        &Keys {
            token: Some(&altered),
            ..keys
        },
    );
    assert_eq!(
        code(
            tampered
                .admin_get_user()
                .user_pool_id(&p.user_pool)
                .username("ivy")
                .send()
                .await
        ),
        "UnrecognizedClientException"
    );
    p.identity
        .delete_identities()
        .identity_ids_to_delete(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            pools
                .admin_get_user()
                .user_pool_id(&p.user_pool)
                .username("ivy")
                .send()
                .await
        ),
        "UnrecognizedClientException"
    );
}

#[tokio::test]
async fn the_basic_flow_takes_an_open_id_token_to_sts() {
    let p = Project::with(|b| {
        b.allow_unauthenticated_identities(true)
            .allow_classic_flow(true)
    })
    .await;
    let guest = p.id_of(None).await;
    let token = p
        .identity
        .get_open_id_token()
        .identity_id(&guest)
        .send()
        .await
        .unwrap()
        .token
        .unwrap();
    let sts = sts_client(p.t.url(), &p.t.root_keys());
    let assumed_role = sts
        .assume_role_with_web_identity()
        .role_arn(role_arn("unauth"))
        .role_session_name("web-session")
        .web_identity_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        assumed_role.subject_from_web_identity_token(),
        Some(guest.as_str())
    );
    let credentials = assumed_role.credentials.unwrap();
    let who = sts_client(
        p.t.url(),
        &Keys {
            id: &credentials.access_key_id,
            secret: &credentials.secret_access_key,
            token: Some(&credentials.session_token),
        },
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap();
    assert_eq!(
        who.arn(),
        Some("arn:aws:sts::000000000000:assumed-role/unauth/web-session")
    );
    // The auth role's trust wants an authenticated identity: a guest's token is refused.
    let (code, _) = error(
        sts.assume_role_with_web_identity()
            .role_arn(role_arn("auth"))
            .role_session_name("web-session")
            .web_identity_token(&token)
            .send()
            .await,
    );
    assert_eq!(code, "AccessDenied");
    let q = Project::new().await;
    let guest = q.id_of(None).await;
    assert_eq!(
        error(
            q.identity
                .get_open_id_token()
                .identity_id(&guest)
                .send()
                .await
        )
        .1,
        "Basic (classic) flow is not enabled, please use enhanced flow."
    );
}

#[tokio::test]
async fn identity_pools_and_identities_are_managed_through_the_sdk() {
    let p = Project::new().await;
    let described = p
        .identity
        .describe_identity_pool()
        .identity_pool_id(&p.identity_pool)
        .send()
        .await
        .unwrap();
    assert!(described.allow_unauthenticated_identities);
    assert_eq!(described.cognito_identity_providers().len(), 1);
    let roles = p
        .identity
        .get_identity_pool_roles()
        .identity_pool_id(&p.identity_pool)
        .send()
        .await
        .unwrap();
    assert_eq!(roles.roles().unwrap()["authenticated"], role_arn("auth"));
    assert_eq!(roles.role_mappings().unwrap().len(), 1);

    for _ in 0..3 {
        p.id_of(None).await;
    }
    let first = p
        .identity
        .list_identities()
        .identity_pool_id(&p.identity_pool)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.identities().len(), 2);
    let rest = p
        .identity
        .list_identities()
        .identity_pool_id(&p.identity_pool)
        .max_results(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.identities().len(), 1);
    assert!(rest.next_token().is_none());

    let updated = p
        .identity
        .update_identity_pool()
        .identity_pool_id(&p.identity_pool)
        .identity_pool_name("renamed")
        .allow_unauthenticated_identities(false)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.identity_pool_name, "renamed");
    let roles = p
        .identity
        .get_identity_pool_roles()
        .identity_pool_id(&p.identity_pool)
        .send()
        .await
        .unwrap();
    assert_eq!(roles.roles().unwrap().len(), 2, "an update keeps the roles");
    let listed = p
        .identity
        .list_identity_pools()
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.identity_pools().len(), 1);

    p.identity
        .delete_identity_pool()
        .identity_pool_id(&p.identity_pool)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            p.identity
                .describe_identity_pool()
                .identity_pool_id(&p.identity_pool)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn unlink_identity_removes_a_login_its_owner_proves() {
    let p = Project::new().await;
    let token = p.member("jane", &[]).await;
    let id = p.id_of(Some(p.logins(&token))).await;
    let provider = format!("cognito-idp.us-east-1.amazonaws.com/{}", p.user_pool);
    p.identity
        .unlink_identity()
        .identity_id(&id)
        .set_logins(Some(p.logins(&token)))
        .logins_to_remove(&provider)
        .send()
        .await
        .unwrap();
    let described = p
        .identity
        .describe_identity()
        .identity_id(&id)
        .send()
        .await
        .unwrap();
    assert!(described.logins().is_empty());
    assert_ne!(
        p.id_of(Some(p.logins(&token))).await,
        id,
        "the login is free again"
    );
}

/// Two servers on one PostgreSQL (COGNATE_TEST_DATABASE_URL) sharing the master key: credentials
/// one issues, the other accepts, and a role one server changes holds on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgresql_accept_each_others_temporary_credentials() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let Some(base) = cognate_store::testkit::postgres_url() else {
        eprintln!(
            "COGNATE_TEST_DATABASE_URL is not set: two servers need PostgreSQL; CI runs this"
        );
        return;
    };
    let database = cognate_store::testkit::scratch_postgres_database(&base).await;
    let master_key = STANDARD.encode(cognate_core::crypto::random_bytes::<32>());
    let root = (
        "AKIATWOSERVERSIDENT1".to_owned(),
        "two-servers-identity-secret-0123456789ab".to_owned(),
    );
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = |dir: &std::path::Path| {
        let mut config = cognate_server::Config::ephemeral(dir);
        config.database_url = Some(database.clone());
        config.master_key = Some(master_key.clone());
        config.root_credentials = Some(root.clone());
        config.public_url = Some("http://cognate.internal:9230".to_owned());
        config
    };
    let a = cognate_server::start(config(dir_a.path()), std::future::pending())
        .await
        .unwrap();
    let b = cognate_server::start(config(dir_b.path()), std::future::pending())
        .await
        .unwrap();
    let (url_a, url_b) = (format!("http://{}", a.addr), format!("http://{}", b.addr));
    let root_keys = Keys {
        id: &root.0,
        secret: &root.1,
        token: None,
    };
    let iam = iam_client(&url_a, &root_keys);
    let identity = identity_client(&url_a, &root_keys);
    let pool = identity
        .create_identity_pool()
        .identity_pool_name("shared")
        .allow_unauthenticated_identities(true)
        .send()
        .await
        .unwrap()
        .identity_pool_id;
    iam.create_role()
        .role_name("unauth")
        .assume_role_policy_document(trust(&pool, "unauthenticated"))
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("unauth")
        .policy_name("pools")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cognito-idp:ListUserPools","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    identity
        .set_identity_pool_roles()
        .identity_pool_id(&pool)
        .roles("unauthenticated", role_arn("unauth"))
        .send()
        .await
        .unwrap();
    let guest = identity
        .get_id()
        .identity_pool_id(&pool)
        .send()
        .await
        .unwrap()
        .identity_id
        .unwrap();
    let credentials = identity
        .get_credentials_for_identity()
        .identity_id(&guest)
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let keys = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: credentials.session_token(),
    };
    // Issued by A, accepted by B.
    user_pool_client(&url_b, &keys)
        .list_user_pools()
        .max_results(5)
        .send()
        .await
        .unwrap();
    // The policy removed on B: A denies at once.
    iam_client(&url_b, &root_keys)
        .delete_role_policy()
        .role_name("unauth")
        .policy_name("pools")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            user_pool_client(&url_a, &keys)
                .list_user_pools()
                .max_results(5)
                .send()
                .await
        ),
        "AccessDeniedException"
    );
    a.shutdown().await;
    b.shutdown().await;
}

/// Credentials past their expiration answer ExpiredToken (aws-amplify and the SDKs refresh on
/// it). The session is resealed with the server's own master key, an hour in the past.
/// A session token is opened once and then remembered, but only ever with the access key it
/// was issued with: another credential's key beside it, even one of the same role, is unknown.
#[tokio::test]
async fn a_used_session_token_works_only_with_its_own_access_key() {
    let p = Project::new().await;
    let issue = |guest: String| {
        let p = &p;
        async move {
            p.credentials(&guest, None, None)
                .await
                .unwrap()
                .credentials
                .unwrap()
        }
    };
    let first = issue(p.id_of(None).await).await;
    let second = issue(p.id_of(None).await).await;
    p.caller_arn(&first).await;
    let borrowed = Keys {
        id: second.access_key_id().unwrap(),
        secret: second.secret_key().unwrap(),
        token: first.session_token(),
    };
    assert_eq!(
        error(
            sts_client(p.t.url(), &borrowed)
                .get_caller_identity()
                .send()
                .await
        )
        .0,
        "InvalidClientTokenId"
    );
}

#[tokio::test]
async fn expired_temporary_credentials_answer_expired_token() {
    let p = Project::new().await;
    let guest = p.id_of(None).await;
    let credentials = p
        .credentials(&guest, None, None)
        .await
        .unwrap()
        .credentials
        .unwrap();
    let expired = expired_session_token(p.t.data_dir.path(), credentials.session_token().unwrap());
    let keys = Keys {
        id: credentials.access_key_id().unwrap(),
        secret: credentials.secret_key().unwrap(),
        token: Some(&expired),
    };
    assert_eq!(
        error(
            user_pool_client(p.t.url(), &keys)
                .list_user_pools()
                .max_results(5)
                .send()
                .await
        ),
        (
            "ExpiredTokenException".to_owned(),
            "The security token included in the request is expired".to_owned()
        )
    );
    assert_eq!(
        error(
            sts_client(p.t.url(), &keys)
                .get_caller_identity()
                .send()
                .await
        )
        .0,
        "ExpiredToken"
    );
}

#[tokio::test]
async fn rules_mappings_pick_the_first_matching_rule_and_deny_when_none_matches() {
    use aws_sdk_cognitoidentity::types::{
        MappingRule, MappingRuleMatchType, RulesConfigurationType,
    };
    let p = Project::new().await;
    let issuer = format!("cognito-idp.us-east-1.amazonaws.com/{}", p.user_pool);
    let rule = |claim: &str, match_type, value: &str, role: &str| {
        MappingRule::builder()
            .claim(claim)
            .match_type(match_type)
            .value(value)
            .role_arn(role_arn(role))
            .build()
            .unwrap()
    };
    p.identity
        .set_identity_pool_roles()
        .identity_pool_id(&p.identity_pool)
        .roles("authenticated", role_arn("auth"))
        .role_mappings(
            format!("{issuer}:{}", p.client),
            RoleMapping::builder()
                .r#type(RoleMappingType::Rules)
                .ambiguous_role_resolution(AmbiguousRoleResolutionType::Deny)
                .rules_configuration(
                    RulesConfigurationType::builder()
                        .rules(rule(
                            "email",
                            MappingRuleMatchType::StartsWith,
                            "boss",
                            &format!("{}-adminGroupRole", p.user_pool),
                        ))
                        .rules(rule(
                            "cognito:groups",
                            MappingRuleMatchType::Contains,
                            "editors",
                            &format!("{}-editorsGroupRole", p.user_pool),
                        ))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn_for = |username: &'static str, groups: &'static [&'static str]| {
        let p = &p;
        async move {
            let token = p.member(username, groups).await;
            let id = p.id_of(Some(p.logins(&token))).await;
            match p.credentials(&id, Some(p.logins(&token)), None).await {
                Ok(issued) => Ok(p.caller_arn(&issued.credentials.unwrap()).await),
                Err(e) => Err(error::<_, ()>(Err(e))),
            }
        }
    };
    // bossa's email starts with "boss" (the first rule), though she is an editor too.
    assert_eq!(
        arn_for("bossa", &["editors"]).await.unwrap(),
        assumed(&format!("{}-adminGroupRole", p.user_pool))
    );
    assert_eq!(
        arn_for("eddie", &["editors"]).await.unwrap(),
        assumed(&format!("{}-editorsGroupRole", p.user_pool))
    );
    assert_eq!(
        arn_for("nobody", &[]).await.unwrap_err(),
        (
            "NotAuthorizedException".to_owned(),
            "The ambiguous role mapping rules denied this request.".to_owned()
        )
    );
}
