//! The project toolchain end to end: the `cognate` binary run in a project folder against a
//! real server, and the result checked with the AWS SDK for Rust.

mod crash;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use serde_json::Value;

struct Env {
    server: cognate_server::RunningServer,
    sdk: cognito::Client,
    _data: tempfile::TempDir,
    /// Where profiles live; shared by the projects of one user.
    home: std::sync::Arc<tempfile::TempDir>,
    project: tempfile::TempDir,
}

impl Env {
    async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let server = cognate_server::start(
            cognate_server::Config::ephemeral(data.path()),
            std::future::pending(),
        )
        .await
        .unwrap();
        let sdk = cognito::Client::from_conf(
            cognito::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(&server.public_url)
                .credentials_provider(Credentials::new(
                    &server.root_access_key_id,
                    &server.root_secret_access_key,
                    None,
                    None,
                    "t",
                ))
                .build(),
        );
        Env {
            server,
            sdk,
            _data: data,
            home: std::sync::Arc::new(tempfile::tempdir().unwrap()),
            project: tempfile::tempdir().unwrap(),
        }
    }

    /// A second project of the same user (the same profiles), on a server of its own.
    async fn another_project(&self) -> Self {
        let mut other = Env::start().await;
        other.home = self.home.clone();
        other
    }

    /// `init` for a project named `name`, with extra flags.
    fn init_as(&self, name: &str, extra: &[&str]) -> String {
        let credentials = self.server.credentials_file.clone().unwrap();
        let mut args = vec![
            "init",
            "--yes",
            "--project-name",
            name,
            "--endpoint",
            &self.server.public_url,
            "--credentials-file",
            credentials.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// How many user pools the server has.
    async fn pool_count(&self) -> usize {
        self.sdk
            .list_user_pools()
            .max_results(60)
            .send()
            .await
            .unwrap()
            .user_pools
            .unwrap_or_default()
            .len()
    }

    fn dir(&self) -> &Path {
        self.project.path()
    }

    /// Runs `cognate args...` in the project folder, with `stdin` as standard input.
    fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cognate"))
            .args(args)
            .current_dir(self.dir())
            .env("COGNATE_HOME", self.home.path())
            .env("COGNATE_LOG", "warn")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), stdin.as_bytes()).unwrap();
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "")
    }

    /// Runs a command that must succeed; returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "cognate {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must fail; returns its standard error.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "cognate {args:?} should have failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn init(&self) {
        let credentials = self.server.credentials_file.clone().unwrap();
        self.ok(&[
            "init",
            "--project-name",
            "demo",
            "--env-name",
            "dev",
            "--source-dir",
            "src",
            "--build-dir",
            "dist",
            "--endpoint",
            &self.server.public_url,
            "--credentials-file",
            credentials.to_str().unwrap(),
        ]);
    }

    fn json(&self, relative: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir().join(relative)).unwrap()).unwrap()
    }

    fn meta(&self) -> Value {
        self.json("amplify/backend/amplify-meta.json")
    }

    fn pool_id(&self) -> String {
        let meta = self.meta();
        let auth = meta["auth"].as_object().unwrap();
        let (_, resource) = auth
            .iter()
            .find(|(_, r)| r["service"] == "Cognito")
            .unwrap();
        resource["output"]["UserPoolId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn groups(&self) -> Vec<(String, Option<i32>)> {
        let out = self
            .sdk
            .list_groups()
            .user_pool_id(self.pool_id())
            .send()
            .await
            .unwrap();
        let mut groups: Vec<(String, Option<i32>)> = out
            .groups
            .unwrap()
            .into_iter()
            .map(|g| (g.group_name.unwrap(), g.precedence))
            .collect();
        groups.sort_by_key(|(_, p)| *p);
        groups
    }

    /// Calls `route` of the pushed Admin Queries API as a new member of `groups`.
    async fn admin_queries_status(&self, user: &str, groups: &[&str]) -> u16 {
        let pool = self.pool_id();
        let client_id = self.json("src/amplify-config.json")["Auth"]["Cognito"]["userPoolClientId"]
            .as_str()
            .unwrap()
            .to_owned();
        self.sdk
            .admin_create_user()
            .user_pool_id(&pool)
            .username(user)
            .message_action(cognito::types::MessageActionType::Suppress)
            .user_attributes(
                cognito::types::AttributeType::builder()
                    .name("email")
                    .value(format!("{user}@example.com"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        self.sdk
            .admin_set_user_password()
            .user_pool_id(&pool)
            .username(user)
            .password("Correct-Horse-1")
            .permanent(true)
            .send()
            .await
            .unwrap();
        for g in groups {
            self.sdk
                .admin_add_user_to_group()
                .user_pool_id(&pool)
                .username(user)
                .group_name(*g)
                .send()
                .await
                .unwrap();
        }
        let tokens = self
            .sdk
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(cognito::types::AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", "Correct-Horse-1")
            .send()
            .await
            .unwrap();
        let endpoint = self.meta()["api"]["AdminQueries"]["output"]["RootUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        reqwest::Client::new()
            .get(format!("{endpoint}/listGroups"))
            .header(
                "authorization",
                tokens.authentication_result.unwrap().access_token.unwrap(),
            )
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_groups_flow_with_flags_builds_the_backend() {
    let env = Env::start().await;
    env.init();
    assert!(env
        .ok(&["add", "auth", "--default", "--resource-name", "demoauth"])
        .contains("Successfully added resource demoauth locally"));
    env.ok(&[
        "update",
        "auth",
        "--groups",
        "admin,editors",
        "--admin-queries-groups",
        "admin",
    ]);
    let status = env.ok(&["status"]);
    assert!(status.contains("Current Environment: dev"), "{status}");
    assert!(
        status.contains("No Function row: the Amplify CLI puts a Lambda function"),
        "{status}"
    );
    assert!(
        status.contains("│ Auth     │ userPoolGroups │ Create"),
        "{status}"
    );

    let pushed = env.ok(&["push", "--yes"]);
    assert!(
        pushed.contains("Create  group admin (precedence 1)"),
        "{pushed}"
    );
    assert_eq!(
        env.groups().await,
        vec![("admin".into(), Some(1)), ("editors".into(), Some(2))]
    );

    // amplify-meta.json as the Amplify CLI writes it.
    let meta = env.meta();
    assert_eq!(
        meta["auth"]["userPoolGroups"]["service"],
        "Cognito-UserPool-Groups"
    );
    let pushed_at = meta["auth"]["demoauth"]["lastPushTimeStamp"]
        .as_str()
        .unwrap();
    assert!(
        time::OffsetDateTime::parse(pushed_at, &time::format_description::well_known::Rfc3339)
            .is_ok()
            && pushed_at.ends_with('Z'),
        "{pushed_at}"
    );

    // The client config the app imports.
    let v6 = env.json("src/amplify-config.json");
    assert_eq!(
        v6["Auth"]["Cognito"]["userPoolEndpoint"],
        env.server.public_url.as_str()
    );
    assert_eq!(v6["Auth"]["Cognito"]["userPoolId"], env.pool_id().as_str());
    assert_eq!(v6["API"]["REST"]["AdminQueries"]["region"], "us-east-1");
    // Every file an app may import carries the endpoint, and none has an `aws_` key, which
    // would make aws-amplify read it as an AWS config.
    let legacy = env.json("src/amplifyconfiguration.json");
    assert_eq!(legacy, v6);
    assert_eq!(legacy["Auth"]["endpoint"], env.server.public_url.as_str());
    assert_eq!(
        legacy["API"]["endpoints"][0]["name"], "AdminQueries",
        "aws-amplify v5 reads API.endpoints"
    );
    let exports = std::fs::read_to_string(env.dir().join("src/aws-exports.js")).unwrap();
    assert!(exports.contains("export default awsmobile;") && exports.contains(&env.pool_id()));
    assert!(!exports.contains("\"aws_"), "{exports}");
    // Amplify's own key for REST APIs is there for app code that reads it, not enumerable.
    assert!(
        exports.contains("Object.defineProperty(awsmobile, 'aws_cloud_logic_custom', { value: [")
            && exports.contains("enumerable: false"),
        "{exports}"
    );

    // Admin Queries is restricted to admin.
    assert_eq!(env.admin_queries_status("boss", &["admin"]).await, 200);
    assert_eq!(env.admin_queries_status("writer", &["editors"]).await, 403);

    // A second push changes nothing and says so.
    assert!(env.ok(&["push", "--yes"]).contains("No changes to push"));
    assert!(env.ok(&["status"]).contains("No Change"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_updates_reorder_and_remove_groups() {
    let env = Env::start().await;
    env.init();
    env.ok(&["add", "auth", "--default", "--resource-name", "demoauth"]);
    env.ok(&[
        "update",
        "auth",
        "--groups",
        "admin,editors,readers",
        "--admin-queries-groups",
        "admin",
    ]);
    env.ok(&["push", "--yes"]);

    let headless = r#"{"version": 2, "serviceModification": {"serviceName": "Cognito", "userPoolModification": {
        "userPoolGroups": [{"groupName": "editors"}, {"groupName": "admin"}],
        "adminQueries": {"permissions": {"restrictAccess": true, "groupName": "editors"}}}}}"#;
    let out = env.run_with(&["update", "auth", "--headless"], headless);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let precedence =
        env.json("amplify/backend/auth/userPoolGroups/user-pool-group-precedence.json");
    assert_eq!(precedence[0]["groupName"], "editors");
    assert!(env.ok(&["status"]).contains("Update"));

    let pushed = env.ok(&["push", "--yes"]);
    assert!(pushed.contains("Delete  group readers"), "{pushed}");
    assert_eq!(
        env.groups().await,
        vec![("editors".into(), Some(1)), ("admin".into(), Some(2))]
    );
    assert_eq!(
        env.admin_queries_status("writer", &["editors"]).await,
        200,
        "the Admin Queries group change is applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amplify_project_pushes_unchanged() {
    let env = Env::start().await;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/amplify-groups-app");
    copy_dir(&fixture, env.dir());
    let credentials = env.server.credentials_file.clone().unwrap();
    env.ok(&[
        "init",
        "--yes",
        "--env-name",
        "dev",
        "--endpoint",
        &env.server.public_url,
        "--credentials-file",
        credentials.to_str().unwrap(),
    ]);
    assert_eq!(
        env.json("amplify/.config/project-config.json")["projectName"],
        "groupsdemo",
        "init keeps the project's name"
    );
    let status = env.ok(&["status"]);
    assert!(
        status.contains("AdminQueries5e1f3c2b") && status.contains("Not pushed"),
        "{status}"
    );
    env.ok(&["push", "--yes"]);
    assert_eq!(
        env.groups().await,
        vec![("admin".into(), Some(1)), ("editors".into(), Some(2))]
    );
    assert_eq!(env.admin_queries_status("boss", &["admin"]).await, 200);
    assert_eq!(env.admin_queries_status("writer", &["editors"]).await, 403);
    // What Amplify's userPoolGroups stack makes: the identity pool, its roles, one role per
    // group (the group's RoleArn, carrying its customPolicies), the Token role mapping.
    let services = env.server.services();
    let pool = env.pool_id();
    let meta = env.json("amplify/backend/amplify-meta.json");
    let identity_pool = meta["auth"]["groupsdemo7c2d1a9e"]["output"]["IdentityPoolId"]
        .as_str()
        .expect("the identity pool id in amplify-meta.json")
        .to_owned();
    let identity_pool = cognate_core::identity::IdentityPoolId::parse(&identity_pool).unwrap();
    let described = services.identity_pool(&identity_pool).await.unwrap();
    assert_eq!(
        described.roles["authenticated"],
        format!("arn:aws:iam::000000000000:role/{pool}-authRole")
    );
    assert_eq!(described.role_mappings.len(), 1);
    let editors_role =
        cognate_core::iam::IamName::role(&format!("{pool}-editorsGroupRole")).unwrap();
    let editors = services
        .get_group(
            &cognate_core::ids::PoolId::parse(&pool).unwrap(),
            &cognate_core::ids::GroupName::parse("editors").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        editors.role_arn.as_deref(),
        Some(format!("arn:aws:iam::000000000000:role/{pool}-editorsGroupRole").as_str())
    );
    let (_, document) = services
        .get_inline_policy(
            &cognate_core::iam::PolicyOwner::Role(editors_role),
            &cognate_core::iam::IamName::policy("editors-read-uploads").unwrap(),
        )
        .await
        .unwrap();
    assert!(document.contains("arn:aws:s3:::groupsdemo-uploads/*"));
    // The storage resource `amplify add storage` made (Individual Groups): its bucket and
    // one whole-bucket policy per group.
    let bucket = cognate_core::storage::BucketName::parse("groupsdemo-files").unwrap();
    let made = services
        .find_bucket(&bucket)
        .await
        .unwrap()
        .expect("push made the bucket");
    assert_eq!(
        made.cors.unwrap()[0]
            .expose_headers
            .last()
            .map(String::as_str),
        Some("ETag")
    );
    let admin_role = cognate_core::iam::IamName::role(&format!("{pool}-adminGroupRole")).unwrap();
    let (_, admin_storage) = services
        .get_inline_policy(
            &cognate_core::iam::PolicyOwner::Role(admin_role),
            &cognate_core::iam::IamName::policy("admin-group-s3-policy").unwrap(),
        )
        .await
        .unwrap();
    assert!(admin_storage.contains("arn:aws:s3:::groupsdemo-files/*"));
    let config = env.json("src/amplifyconfiguration.json");
    assert_eq!(config["Storage"]["S3"]["bucket"], "groupsdemo-files");
    assert_eq!(
        config["Auth"]["Cognito"]["identityPoolId"],
        identity_pool.as_str()
    );
    assert_eq!(
        config["Auth"]["Cognito"]["identityPoolEndpoint"],
        env.server.public_url.as_str()
    );
    // A second push changes nothing and keeps the identity pool.
    env.ok(&["push", "--yes"]);
    let meta = env.json("amplify/backend/amplify-meta.json");
    assert_eq!(
        meta["auth"]["groupsdemo7c2d1a9e"]["output"]["IdentityPoolId"],
        identity_pool.as_str()
    );
    // Fields cognate does not know survive, customPolicies included.
    let inputs = env.json("amplify/backend/auth/groupsdemo7c2d1a9e/cli-inputs.json");
    assert_eq!(
        inputs["cognitoConfig"]["authSelections"],
        "identityPoolAndUserPool"
    );
    let teams = env.json("amplify/team-provider-info.json");
    assert_eq!(
        teams["dev"]["awscloudformation"]["AmplifyAppId"],
        "d2abcdef123456"
    );
    env.ok(&["update", "auth", "--groups", "editors,admin"]);
    let precedence =
        env.json("amplify/backend/auth/userPoolGroups/user-pool-group-precedence.json");
    assert_eq!(precedence[0]["groupName"], "editors");
    assert_eq!(
        precedence[0]["customPolicies"][0]["PolicyName"],
        "editors-read-uploads"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_configuration_sets_the_pool_and_its_password_policy() {
    let env = Env::start().await;
    env.init();
    env.ok(&[
        "add",
        "auth",
        "--manual",
        "--resource-name",
        "manualauth",
        "--pool-name",
        "staffpool",
        "--sign-in",
        "username",
        "--required-attributes",
        "email,name",
        "--password-min-length",
        "12",
        "--password-requires",
        "lowercase,numbers",
    ]);
    env.ok(&["push", "--yes"]);
    let pool = env
        .sdk
        .describe_user_pool()
        .user_pool_id(env.pool_id())
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    assert_eq!(pool.name.as_deref(), Some("staffpool"));
    let policy = pool.policies.unwrap().password_policy.unwrap();
    assert_eq!(policy.minimum_length, Some(12));
    assert!(
        policy.require_lowercase
            && policy.require_numbers
            && !policy.require_uppercase
            && !policy.require_symbols
    );
    let schema = pool.schema_attributes.unwrap();
    assert!(schema
        .iter()
        .any(|a| a.name.as_deref() == Some("name") && a.required == Some(true)));

    env.ok(&["update", "auth", "--password-min-length", "10"]);
    let pushed = env.ok(&["push", "--yes"]);
    assert!(
        pushed.contains("Update  user pool password policy"),
        "{pushed}"
    );
    let pool = env
        .sdk
        .describe_user_pool()
        .user_pool_id(env.pool_id())
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    assert_eq!(
        pool.policies
            .unwrap()
            .password_policy
            .unwrap()
            .minimum_length,
        Some(10)
    );
    assert!(env
        .fails(&["add", "auth", "--manual", "--password-min-length", "3"])
        .contains("already been added"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_get_errors_a_user_can_act_on() {
    let env = Env::start().await;
    assert!(env.fails(&["status"]).contains("no Amplify project here"));
    let unreachable = env.fails(&[
        "init",
        "--yes",
        "--endpoint",
        "http://127.0.0.1:9",
        "--access-key-id",
        "x",
        "--secret-access-key",
        "y",
    ]);
    assert!(unreachable.contains("unreachable"), "{unreachable}");
    let refused = env.fails(&[
        "init",
        "--yes",
        "--endpoint",
        &env.server.public_url,
        "--access-key-id",
        "AKIAWRONG",
        "--secret-access-key",
        "y",
    ]);
    assert!(refused.contains("refused the credentials"), "{refused}");
    assert!(
        !env.dir().join("amplify").exists(),
        "a failed init writes nothing"
    );

    env.init();
    env.ok(&["add", "auth", "--default", "--resource-name", "demoauth"]);
    assert!(env
        .fails(&["add", "auth", "--default"])
        .contains("already been added"));
    assert!(env
        .fails(&["update", "auth", "--groups", "admins-group"])
        .contains("Resource name should be alphanumeric"));
    assert!(env
        .fails(&[
            "update",
            "auth",
            "--groups",
            "admin",
            "--admin-queries-groups",
            "staff"
        ])
        .contains("does not exist"));
    assert!(
        env.fails(&["update", "auth"]).contains("no terminal"),
        "questions without flags need a terminal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_push_leaves_files_and_server_unchanged() {
    let env = Env::start().await;
    env.init();
    // The pool name fits Cognito's 128 characters; the app client's name does not, so the push
    // fails after the pool is planned: one transaction, so not even the pool is created.
    let long = "a".repeat(115);
    env.ok(&["add", "auth", "--default", "--resource-name", &long]);
    env.ok(&["update", "auth", "--groups", "admin"]);
    let before: Vec<(PathBuf, Vec<u8>)> = walk(env.dir());
    let failed = env.fails(&["push", "--yes"]);
    assert!(
        failed.contains("push failed; nothing was changed"),
        "{failed}"
    );
    assert_eq!(walk(env.dir()), before, "no file changed");
    let pools = env
        .sdk
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    assert!(
        pools.user_pools.unwrap().is_empty(),
        "the created pool was deleted again"
    );
}

fn walk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push((entry.path(), std::fs::read(entry.path()).unwrap()));
        }
    }
    files.sort();
    files
}

/// The questions, answered on a pseudo-terminal as a person would: two groups, sorted with the
/// arrow keys so that `editors` comes first, and Admin Queries restricted to `admin`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_questions_sort_groups_with_the_arrow_keys() {
    let env = Env::start().await;
    env.init();
    env.ok(&["add", "auth", "--default", "--resource-name", "demoauth"]);

    const DOWN: &str = "\x1b[B";
    const UP: &str = "\x1b[A";
    let update_auth = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
        command
            .args(["update", "auth"])
            .current_dir(env.dir())
            .env("COGNATE_HOME", env.home.path())
            .env("COGNATE_LOG", "warn");
        command
    };
    let dir = env.dir().to_path_buf();
    // As the blog types it: groups in one run, the Admin Queries API in the next.
    let (groups_run, admin_queries_run) = (update_auth(), update_auth());
    let answered = tokio::task::spawn_blocking(move || -> Result<String, expectrl::Error> {
        let mut p = expectrl::Session::spawn(groups_run)?;
        p.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        p.expect("What do you want to do?")?;
        p.send("\r")?; // Create or update Cognito user pool groups
        p.expect("Provide a name for your user pool group:")?;
        p.send("admin\r")?;
        p.expect("Do you want to add another User Pool Group")?;
        p.send("y\r")?;
        p.expect("Provide a name for your user pool group:")?;
        p.send("editors\r")?;
        p.expect("Do you want to add another User Pool Group")?;
        p.send("n\r")?;
        p.expect("Sort the user pool groups")?;
        p.send(DOWN)?;
        p.send(" ")?; // pick up editors
        p.send(UP)?;
        p.send(" ")?; // drop it first
        p.send("\r")?;
        p.expect("Successfully updated resource demoauth locally")?;

        let mut p = expectrl::Session::spawn(admin_queries_run)?;
        p.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        p.expect("What do you want to do?")?;
        p.send(DOWN)?;
        p.send("\r")?; // Create or update Admin queries API
        p.expect("restrict access to the admin queries API to a specific Group")?;
        p.send("y\r")?; // answered on Enter: the Enter must not fall into the next question
        p.expect("Select the group to restrict access with:")?;
        p.send(DOWN)?;
        p.send("\r")?; // admin, second after sorting
        let done = p.expect("Successfully updated resource demoauth locally")?;
        Ok(String::from_utf8_lossy(done.before()).into_owned())
    })
    .await
    .unwrap();
    let transcript = answered.expect("the questions were answered");
    assert!(
        !transcript.contains("Select at least one group"),
        "{transcript}"
    );
    let precedence: Value = serde_json::from_str(
        &std::fs::read_to_string(
            dir.join("amplify/backend/auth/userPoolGroups/user-pool-group-precedence.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(precedence[0]["groupName"], "editors");
    assert_eq!(precedence[1]["groupName"], "admin");
    let inputs = env.json("amplify/backend/auth/demoauth/cli-inputs.json");
    assert_eq!(inputs["cognitoConfig"]["adminQueryGroup"], "admin");
    assert_eq!(inputs["cognitoConfig"]["adminQueries"], true);
}

/// `add auth` asked on a terminal: the default configuration, sign-in by email, and the advanced
/// settings to require `name` as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_auth_asks_amplifys_questions() {
    let env = Env::start().await;
    env.init();
    const DOWN: &str = "\x1b[B";
    let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
    command
        .args(["add", "auth", "--resource-name", "askedauth"])
        .current_dir(env.dir())
        .env("COGNATE_HOME", env.home.path());
    let answered = tokio::task::spawn_blocking(move || -> Result<(), expectrl::Error> {
        let mut p = expectrl::Session::spawn(command)?;
        p.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        p.expect("default authentication and security configuration")?;
        p.send("\r")?; // Default configuration
        p.expect("How do you want users to be able to sign in?")?;
        p.send(DOWN)?;
        p.send("\r")?; // Email
        p.expect("configure advanced settings")?;
        p.send(DOWN)?;
        p.send("\r")?; // Yes
        p.expect("What attributes are required for signing up?")?;
        for _ in 0..8 {
            p.send(DOWN)?;
        }
        p.send(" ")?; // name (email is already chosen)
        p.send("\r")?;
        p.expect("Successfully added resource askedauth locally")?;
        Ok(())
    })
    .await
    .unwrap();
    answered.expect("the questions were answered");
    let inputs = env.json("amplify/backend/auth/askedauth/cli-inputs.json");
    assert_eq!(
        inputs["cognitoConfig"]["usernameAttributes"],
        serde_json::json!(["email"])
    );
    assert_eq!(
        inputs["cognitoConfig"]["requiredAttributes"],
        serde_json::json!(["email", "name"])
    );
    assert_eq!(inputs["cognitoConfig"]["useDefault"], "default");
}

/// `cognate <args> --help`, as a user reads it.
fn help_of(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn each_command_has_its_own_help() {
    let init = help_of(&["init"]);
    assert!(
        init.starts_with("Start a project in this directory"),
        "{init}"
    );
    assert!(!init.contains("queued for users"), "{init}");
    let outbox = help_of(&["outbox"]);
    assert!(outbox.starts_with("Print the messages"), "{outbox}");
    for operator in ["outbox", "audit", "rotate-keys"] {
        let help = help_of(&[operator]);
        assert!(
            help.contains("--data-dir") && help.contains("--database-url"),
            "{help}"
        );
        assert!(
            !help.contains("--listen") && !help.contains("--smtp-url"),
            "{operator} does not serve: {help}"
        );
    }
    let top = help_of(&[]);
    let init_line = top
        .lines()
        .find(|l| l.trim_start().starts_with("init"))
        .unwrap();
    assert!(init_line.contains("Start a project"), "{top}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_projects_on_two_servers_each_push_to_their_own() {
    let a = Env::start().await;
    let b = a.another_project().await;
    a.init_as("appa", &[]);
    a.ok(&["add", "auth", "--default"]);
    b.init_as("appb", &[]);
    b.ok(&["add", "auth", "--default"]);
    a.ok(&["push", "--yes"]);
    b.ok(&["push", "--yes"]);
    a.ok(&["update", "auth", "--groups", "admin"]);
    let pushed = a.ok(&["push", "--yes"]);
    assert!(pushed.contains(&a.server.public_url), "{pushed}");
    assert_eq!((a.pool_count().await, b.pool_count().await), (1, 1));
    assert_eq!(a.groups().await, vec![("admin".into(), Some(1))]);
    let status = a.ok(&["status"]);
    assert!(
        status.contains(&format!("Cognito endpoint: {}", a.server.public_url)),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_shared_profile_never_moves_another_project_silently() {
    let a = Env::start().await;
    let b = a.another_project().await;
    a.init_as("appa", &["--profile", "shared"]);
    a.ok(&["add", "auth", "--default"]);
    a.ok(&["push", "--yes"]);
    let moved = b.init_as("appb", &["--profile", "shared"]);
    assert!(
        moved.contains(&format!(
            "Profile \"shared\" now names {}",
            b.server.public_url
        )),
        "{moved}"
    );
    let refused = a.fails(&["push", "--yes"]);
    assert!(
        refused.contains(&format!("pushes to {}", a.server.public_url))
            && refused.contains("cognate init --endpoint"),
        "{refused}"
    );
    // Moving this project is explicit, and said.
    let b_credentials = b.server.credentials_file.clone().unwrap();
    let followed = a.ok(&[
        "init",
        "--yes",
        "--project-name",
        "appa",
        "--profile",
        "shared",
        "--endpoint",
        &b.server.public_url,
        "--credentials-file",
        b_credentials.to_str().unwrap(),
    ]);
    assert!(
        followed.contains(&format!(
            "Environment dev now pushes to {} (it pushed to {})",
            b.server.public_url, a.server.public_url
        )),
        "{followed}"
    );
    a.ok(&["push", "--yes"]);
    assert_eq!(b.pool_count().await, 1);
}

/// `init` on a terminal offers Amplify's authentication methods and never shows the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_asks_how_to_authenticate_and_hides_the_secret() {
    let env = Env::start().await;
    const DOWN: &str = "\x1b[B";
    let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
    command
        .args([
            "init",
            "--project-name",
            "hidden",
            "--env-name",
            "dev",
            "--source-dir",
            "src",
            "--build-dir",
            "build",
            "--endpoint",
            &env.server.public_url,
        ])
        .current_dir(env.dir())
        .env("COGNATE_HOME", env.home.path())
        .env("COGNATE_LOG", "warn")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let (key, secret) = (
        env.server.root_access_key_id.clone(),
        env.server.root_secret_access_key.clone(),
    );
    let typed_secret = secret.clone();
    let transcript = tokio::task::spawn_blocking(move || -> Result<String, expectrl::Error> {
        let mut p = expectrl::Session::spawn(command)?;
        p.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
        p.expect("Select the authentication method you want to use:")?;
        p.send(DOWN)?;
        p.send(DOWN)?;
        p.send("\r")?; // AWS access keys
        p.expect("accessKeyId:")?;
        p.send(format!("{key}\r"))?;
        p.expect("secretAccessKey:")?;
        p.send(format!("{typed_secret}\r"))?;
        let done = p.expect("Project hidden initialized")?;
        Ok(String::from_utf8_lossy(done.before()).into_owned())
    })
    .await
    .unwrap()
    .expect("the questions were answered");
    assert!(
        !transcript.contains(&secret),
        "the secret was echoed: {transcript}"
    );
    env.ok(&["add", "auth", "--default"]);
    env.ok(&["push", "--yes"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_takes_the_credentials_of_an_aws_profile() {
    let env = Env::start().await;
    let credentials = env.home.path().join("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n[cognate-dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            env.server.root_access_key_id, env.server.root_secret_access_key
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .args([
            "init",
            "--yes",
            "--project-name",
            "profiled",
            "--endpoint",
            &env.server.public_url,
            "--aws-profile",
            "cognate-dev",
        ])
        .current_dir(env.dir())
        .env("COGNATE_HOME", env.home.path())
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    env.ok(&["add", "auth", "--default"]);
    env.ok(&["push", "--yes"]);
    let missing = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .args([
            "init",
            "--yes",
            "--project-name",
            "profiled",
            "--aws-profile",
            "nosuch",
        ])
        .current_dir(env.dir())
        .env("COGNATE_HOME", env.home.path())
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no profile \"nosuch\""),
        "{missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blogs_word_order_works_and_missing_commands_say_so() {
    let env = Env::start().await;
    env.init();
    env.ok(&["auth", "add", "--default", "--resource-name", "orderauth"]);
    env.ok(&["auth", "update", "--groups", "admin,editors"]);
    let inputs = env.json("amplify/backend/auth/orderauth/cli-inputs.json");
    assert_eq!(
        inputs["cognitoConfig"]["userPoolGroupList"],
        serde_json::json!(["admin", "editors"])
    );
    for missing in [
        &["function", "add"][..],
        &["add", "function"],
        &["auth", "console"],
    ] {
        let out = env.run(missing);
        assert_eq!(out.status.code(), Some(2), "{missing:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("is not built yet"), "{missing:?}: {said}");
        assert!(!said.contains("unrecognized subcommand"), "{said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_reads_the_framework_from_package_json_and_ignores_local_files() {
    let env = Env::start().await;
    std::fs::write(
        env.dir().join("package.json"),
        r#"{"name": "cra", "dependencies": {"react": "18.2.0", "react-scripts": "5.0.1"}}"#,
    )
    .unwrap();
    std::fs::write(env.dir().join(".gitignore"), "/coverage\n").unwrap();
    env.init_as("cra", &[]);
    let project = env.json("amplify/.config/project-config.json");
    assert_eq!(project["javascript"]["framework"], "react");
    assert_eq!(project["javascript"]["config"]["DistributionDir"], "build");
    let ignore = std::fs::read_to_string(env.dir().join(".gitignore")).unwrap();
    assert!(ignore.starts_with("/coverage\n"), "{ignore}");
    for entry in [
        "amplify/.config/local-*",
        "amplify/backend/amplify-meta.json",
        "aws-exports.js",
    ] {
        assert!(ignore.lines().any(|l| l == entry), "{entry} in {ignore}");
    }
    env.init_as("cra", &[]);
    assert_eq!(
        std::fs::read_to_string(env.dir().join(".gitignore")).unwrap(),
        ignore,
        "a second init writes the same block"
    );
}

/// A value a client sends with a newline in it cannot start a line of the server's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_cannot_be_forged() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cognate"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--https-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data.path())
        .env("COGNATE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("cognate is listening on ")
        .unwrap()
        .to_owned();
    let (key, secret) =
        cognate_server::data_dir::read_credentials(&data.path().join("credentials")).unwrap();
    let sdk = cognito::Client::from_conf(
        cognito::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&url)
            .credentials_provider(Credentials::new(key, secret, None, None, "t"))
            .build(),
    );
    let pool = sdk
        .create_user_pool()
        .pool_name("logs")
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let client = sdk
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name("logs")
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    let forged = "CUSTOM_FLOW\nERROR forged: root signed in from 10.0.0.1";
    let answer = reqwest::Client::new()
        .post(format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body(
            serde_json::json!({"ClientId": client, "AuthFlow": forged, "AuthParameters": {}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    server.kill().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut log).unwrap();
    server.wait().unwrap();
    assert!(
        log.contains("forged: root signed in"),
        "the value was logged: {log}"
    );
    assert!(
        !log.lines().any(|l| l.starts_with("ERROR forged")),
        "a forged line: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_explain_names_the_deciding_statement_and_the_missing_keys() {
    use cognate_core::iam::{IamName, PolicyOwner};
    let env = Env::start().await;
    let services = env.server.services();
    services
        .create_role(cognate_core::service::NewRole {
            name: IamName::role("editors").unwrap(),
            path: None,
            trust_policy: r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}"#.into(),
            description: None,
            max_session_duration: None,
            tags: vec![],
        })
        .await
        .unwrap();
    services
        .put_inline_policy(
            PolicyOwner::Role(IamName::role("editors").unwrap()),
            IamName::policy("office-only").unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Office","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#.into(),
        )
        .await
        .unwrap();
    let data_dir = env._data.path().to_str().unwrap().to_owned();
    let explain = |extra: &[&str]| {
        let mut args = vec![
            "policy",
            "explain",
            "--data-dir",
            &data_dir,
            "--role",
            "editors",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::photos/a.jpg",
        ];
        args.extend_from_slice(extra);
        env.ok(&args)
    };
    let denied = explain(&[]);
    assert!(denied.starts_with("DENIED (explicit deny)"), "{denied}");
    assert!(
        denied.contains("denied by office-only, statement 2 Sid Office"),
        "{denied}"
    );
    assert!(denied.contains("did not give: aws:sourceip"), "{denied}");
    let allowed = explain(&["--context", "aws:SourceIp=10.1.2.3"]);
    assert!(allowed.starts_with("ALLOWED"), "{allowed}");
    assert!(
        allowed.contains("allowed by office-only, statement 1 Sid Read"),
        "{allowed}"
    );
    let unknown = env.fails(&[
        "policy",
        "explain",
        "--data-dir",
        &data_dir,
        "--role",
        "nobody",
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert!(
        unknown.contains("The role with name nobody cannot be found."),
        "{unknown}"
    );
}

/// The inline policy `name` of `role`, as pushed.
async fn role_policy(env: &Env, role: &str, name: &str) -> Option<Value> {
    use cognate_core::iam::{IamName, PolicyOwner};
    let owner = PolicyOwner::Role(IamName::role(role).unwrap());
    env.server
        .services()
        .get_inline_policy(&owner, &IamName::policy(name).unwrap())
        .await
        .ok()
        .map(|(_, document)| serde_json::from_str(&document).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_storage_with_groups_pushes_the_bucket_and_amplifys_policies() {
    let env = Env::start().await;
    env.init();
    env.ok(&["add", "auth", "--default", "--resource-name", "demoauth"]);
    env.ok(&["update", "auth", "--groups", "admin,editors"]);
    let refused = env.fails(&[
        "add",
        "storage",
        "--service",
        "content",
        "--resource-name",
        "files",
        "--bucket-name",
        "demo-files",
        "--group-access",
        "admin=read",
        "--trigger",
        "true",
    ]);
    assert!(refused.contains("runs no Lambda functions"), "{refused}");
    assert!(env
        .fails(&[
            "add",
            "storage",
            "--service",
            "content",
            "--resource-name",
            "files",
            "--bucket-name",
            "Demo_Files",
            "--group-access",
            "admin=read",
            "--trigger",
            "false"
        ])
        .contains("is not a valid bucket name"));
    let auth_inputs = "amplify/backend/auth/demoauth/cli-inputs.json";
    assert_eq!(
        env.json(auth_inputs)["cognitoConfig"]["allowUnauthenticatedIdentities"],
        false
    );
    let added = env.ok(&[
        "add",
        "storage",
        "--service",
        "content",
        "--resource-name",
        "files",
        "--bucket-name",
        "demo-files",
        "--restrict-access-by",
        "both",
        "--access",
        "auth-and-guest",
        "--auth-access",
        "create/update,read,delete",
        "--guest-access",
        "read",
        "--group-access",
        "admin=create/update,read,delete",
        "--group-access",
        "editors=read",
        "--trigger",
        "false",
    ]);
    assert!(
        added.contains("auth demoauth now allows unauthenticated logins"),
        "{added}"
    );
    assert_eq!(
        env.json(auth_inputs)["cognitoConfig"]["allowUnauthenticatedIdentities"],
        true,
        "guest access turns on the identity pool's guest identities"
    );
    let inputs = env.json("amplify/backend/storage/files/cli-inputs.json");
    assert_eq!(inputs["bucketName"], "demo-files");
    assert_eq!(inputs["storageAccess"], "authAndGuest");
    assert_eq!(
        inputs["groupAccess"],
        serde_json::json!({"admin": ["CREATE_AND_UPDATE", "READ", "DELETE"], "editors": ["READ"]})
    );
    let backend = env.json("amplify/backend/backend-config.json");
    assert_eq!(backend["storage"]["files"]["service"], "S3");
    assert!(env.ok(&["status"]).contains("│ Storage  │ files"));

    let pushed = env.ok(&["push", "--yes"]);
    assert!(
        pushed.contains("storage files: create bucket demo-files"),
        "{pushed}"
    );
    let pool = env.pool_id();
    let admin = role_policy(
        &env,
        &format!("{pool}-adminGroupRole"),
        "admin-group-s3-policy",
    )
    .await
    .expect("the admin group's policy");
    assert_eq!(
        admin["Statement"][0]["Action"],
        serde_json::json!([
            "s3:PutObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:DeleteObject"
        ])
    );
    let uuid = inputs["policyUUID"].as_str().unwrap();
    assert!(role_policy(
        &env,
        &format!("{pool}-authRole"),
        &format!("Private_policy_{uuid}")
    )
    .await
    .is_some());
    assert!(role_policy(
        &env,
        &format!("{pool}-unauthRole"),
        &format!("read_policy_{uuid}")
    )
    .await
    .is_some());
    let config = env.json("src/amplifyconfiguration.json");
    assert_eq!(config["Storage"]["S3"]["bucket"], "demo-files");
    assert_eq!(config["Storage"]["S3"]["region"], "us-east-1");
    let https = env.server.https_addr.unwrap().port();
    assert_eq!(
        config["cognate"]["storageEndpoint"],
        format!("localhost:{https}")
    );
    assert_eq!(
        env.meta()["storage"]["files"]["output"]["BucketName"],
        "demo-files"
    );
    assert!(env.ok(&["status"]).contains("No Change"));
    let again = env.ok(&["push", "--yes"]);
    assert!(!again.contains("storage files:"), "{again}");

    // Editors lose read; the auth role loses delete.
    env.ok(&[
        "update",
        "storage",
        "--restrict-access-by",
        "both",
        "--access",
        "auth",
        "--auth-access",
        "create/update,read",
        "--group-access",
        "admin=create/update,read,delete",
        "--group-access",
        "editors=read,delete",
        "--trigger",
        "false",
    ]);
    let updated = env.ok(&["push", "--yes"]);
    assert!(
        updated.contains("put policy editors-group-s3-policy"),
        "{updated}"
    );
    assert!(
        updated.contains(&format!(
            "delete policy read_policy_{uuid} from role {pool}-unauthRole"
        )),
        "{updated}"
    );
    let editors = role_policy(
        &env,
        &format!("{pool}-editorsGroupRole"),
        "editors-group-s3-policy",
    )
    .await
    .unwrap();
    assert_eq!(
        editors["Statement"][0]["Action"],
        serde_json::json!(["s3:GetObject", "s3:ListBucket", "s3:DeleteObject"])
    );

    // Removing the storage takes its policies off; the bucket stays.
    env.ok(&["remove", "storage", "--yes"]);
    assert!(!env.dir().join("amplify/backend/storage/files").exists());
    let removed = env.ok(&["push", "--yes"]);
    assert!(removed.contains("bucket demo-files kept"), "{removed}");
    assert!(role_policy(
        &env,
        &format!("{pool}-adminGroupRole"),
        "admin-group-s3-policy"
    )
    .await
    .is_none());
    assert!(env.meta()["storage"].is_null());
    assert!(env.json("src/amplifyconfiguration.json")["Storage"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_api_with_groups_pushes_the_api_and_amplifys_invoke_policies() {
    let env = Env::start().await;
    env.init();
    env.ok(&["add", "auth", "--default", "--resource-name", "demoauth"]);
    env.ok(&["update", "auth", "--groups", "admin,editors"]);
    let graphql = env.fails(&["add", "api", "--service", "graphql"]);
    assert!(graphql.contains("choose REST"), "{graphql}");
    let bad_upstream = env.fails(&[
        "add",
        "api",
        "--service",
        "rest",
        "--resource-name",
        "itemsApi",
        "--path",
        "/items",
        "--upstream",
        "localhost:8080",
        "--group-access",
        "admin=read",
    ]);
    assert!(
        bad_upstream.contains("is not an upstream"),
        "{bad_upstream}"
    );
    env.ok(&[
        "add",
        "api",
        "--service",
        "rest",
        "--resource-name",
        "itemsApi",
        "--path",
        "/items",
        "--upstream",
        "http://127.0.0.1:8080",
        "--restrict",
        "true",
        "--restrict-access-by",
        "groups",
        "--group-access",
        "admin=create,read",
        "--group-access",
        "editors=read",
    ]);
    let inputs = env.json("amplify/backend/api/itemsApi/cli-inputs.json");
    assert_eq!(
        inputs["paths"]["/items"]["permissions"],
        serde_json::json!({"setting": "private", "groups": {"admin": ["create", "read"], "editors": ["read"]}})
    );
    assert_eq!(
        inputs["paths"]["/items"]["upstream"],
        "http://127.0.0.1:8080"
    );
    assert_eq!(
        env.json("amplify/backend/backend-config.json")["api"]["itemsApi"]["service"],
        "API Gateway"
    );
    assert!(env.ok(&["status"]).contains("│ Api      │ itemsApi"));

    let pushed = env.ok(&["push", "--yes"]);
    assert!(
        pushed.contains("api itemsApi: create REST API itemsApi"),
        "{pushed}"
    );
    let pool = env.pool_id();
    let api_id = env.meta()["api"]["itemsApi"]["output"]["ApiId"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = role_policy(
        &env,
        &format!("{pool}-adminGroupRole"),
        "itemsApi-items-admin-group-policy",
    )
    .await
    .expect("the admin group's policy");
    let arn = format!("arn:aws:execute-api:us-east-1:000000000000:{api_id}/dev");
    assert_eq!(
        admin["Statement"][0]["Resource"],
        serde_json::json!([
            format!("{arn}/POST/items"),
            format!("{arn}/POST/items/*"),
            format!("{arn}/GET/items"),
            format!("{arn}/GET/items/*"),
        ])
    );
    let gateway = env
        .server
        .services()
        .rest_api(&api_id)
        .await
        .expect("the API is on the gateway");
    assert_eq!(gateway.stages, ["dev"]);
    let paths: Vec<&str> = gateway.routes.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/items", "/items/{proxy+}"]);
    let config = env.json("src/amplifyconfiguration.json");
    let endpoint = format!("{}/restapis/{api_id}/dev", env.server.public_url);
    assert_eq!(config["API"]["REST"]["itemsApi"]["endpoint"], endpoint);
    assert_eq!(config["API"]["REST"]["itemsApi"]["region"], "us-east-1");
    assert!(env.ok(&["status"]).contains(&endpoint));
    let again = env.ok(&["push", "--yes"]);
    assert!(!again.contains("api itemsApi:"), "{again}");

    // Authenticated users get every method of a new path; all four collapse to `*`.
    env.ok(&[
        "update",
        "api",
        "--path",
        "/orders/{id}",
        "--upstream",
        "http://127.0.0.1:8081",
        "--restrict-access-by",
        "auth-guest",
        "--access",
        "auth",
        "--auth-access",
        "create,read,update,delete",
    ]);
    let updated = env.ok(&["push", "--yes"]);
    assert!(updated.contains("update REST API itemsApi"), "{updated}");
    let auth = role_policy(&env, &format!("{pool}-authRole"), "PolicyAPIGWAuth1")
        .await
        .expect("the auth role's policy");
    assert_eq!(
        auth["Statement"][0]["Resource"],
        serde_json::json!([format!("{arn}/*/orders/*"), format!("{arn}/*/orders/*/*")])
    );

    // Removed: off the gateway and off the roles.
    env.ok(&["remove", "api", "--yes"]);
    let removed = env.ok(&["push", "--yes"]);
    assert!(removed.contains("delete REST API itemsApi"), "{removed}");
    assert!(env.server.services().rest_api(&api_id).await.is_err());
    for (role, name) in [
        (
            format!("{pool}-adminGroupRole"),
            "itemsApi-items-admin-group-policy",
        ),
        (format!("{pool}-authRole"), "PolicyAPIGWAuth1"),
    ] {
        assert!(role_policy(&env, &role, name).await.is_none(), "{name}");
    }
    assert!(env.json("src/amplifyconfiguration.json")["API"]["REST"]["itemsApi"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amplify_rest_api_with_a_function_asks_for_its_upstream_at_push() {
    let env = Env::start().await;
    env.init();
    env.ok(&["add", "auth", "--default", "--resource-name", "demoauth"]);
    env.ok(&["push", "--yes"]);
    // As the Amplify CLI leaves it: a Lambda function behind the path, no upstream.
    std::fs::create_dir_all(env.dir().join("amplify/backend/api/legacy")).unwrap();
    std::fs::write(
        env.dir().join("amplify/backend/api/legacy/cli-inputs.json"),
        r#"{"version":1,"paths":{"/items":{"name":"/items","lambdaFunction":"itemsFn","permissions":{"setting":"private","auth":["read"]}}}}"#,
    )
    .unwrap();
    let mut backend = env.json("amplify/backend/backend-config.json");
    backend["api"]["legacy"] = serde_json::json!({"service": "API Gateway", "providerPlugin": "awscloudformation", "dependsOn": []});
    std::fs::write(
        env.dir().join("amplify/backend/backend-config.json"),
        backend.to_string(),
    )
    .unwrap();
    let refused = env.fails(&["push", "--yes"]);
    assert!(
        refused.contains("Lambda function itemsFn")
            && refused
                .contains("cognate update api --resource-name legacy --path /items --upstream"),
        "{refused}"
    );
    env.ok(&[
        "update",
        "api",
        "--resource-name",
        "legacy",
        "--path",
        "/items",
        "--upstream",
        "http://127.0.0.1:9000",
    ]);
    let inputs = env.json("amplify/backend/api/legacy/cli-inputs.json");
    assert_eq!(
        inputs["paths"]["/items"]["lambdaFunction"], "itemsFn",
        "kept as written"
    );
    assert_eq!(
        inputs["paths"]["/items"]["permissions"],
        serde_json::json!({"setting": "private", "auth": ["read"]}),
        "the path keeps its access"
    );
    let pushed = env.ok(&["push", "--yes"]);
    assert!(pushed.contains("create REST API legacy"), "{pushed}");
}
