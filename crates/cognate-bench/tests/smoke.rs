//! Every scenario runs for a second against a real server without errors. The benchmark itself
//! (bench/compare.sh) is not part of the test suite; this keeps the tool from rotting.

use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_without_errors() {
    let data = tempfile::tempdir().unwrap();
    // A load test: the unauthenticated calls come faster than the default rate limits allow.
    let mut config = cognate_server::Config::ephemeral(data.path());
    config.rate_limit_per_ip = 0;
    config.rate_limit_per_user = 0;
    let server = cognate_server::start(config, std::future::pending())
        .await
        .unwrap();
    for (scenario, client) in [
        ("get-user", None),
        ("sign-in", None),
        ("refresh", None),
        ("admin-get-user", None),
        ("list-users-filter", None),
        ("groups-token", None),
        ("srp-sign-in", None),
        ("wrong-password", None),
        // The storage scenarios' own SigV4 client, and the SDK it stands in for.
        ("s3-get-4k", None),
        ("s3-put-4k", None),
        ("s3-get-4k", Some("--s3-sdk")),
        ("s3-put-4k", Some("--s3-sdk")),
        // The REST scenarios, each with its upstream in the load tool.
        ("rest-direct", None),
        ("rest-signed-direct", None),
        ("rest-open", None),
        ("rest-proxy", None),
    ] {
        let output = tokio::task::spawn_blocking({
            let (url, id, secret) = (
                server.public_url.clone(),
                server.root_access_key_id.clone(),
                server.root_secret_access_key.clone(),
            );
            move || {
                Command::new(env!("CARGO_BIN_EXE_cognate-bench"))
                    .args([
                        "run",
                        "--endpoint",
                        &url,
                        "--scenario",
                        scenario,
                        "--seconds",
                        "1",
                        "--concurrency",
                        "2",
                        "--users",
                        "20",
                        "--json",
                    ])
                    .args(client)
                    .env("AWS_ACCESS_KEY_ID", id)
                    .env("AWS_SECRET_ACCESS_KEY", secret)
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert!(
            output.status.success(),
            "{scenario}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["errors"], 0, "{scenario}: {report}");
        assert!(
            report["requests"].as_u64().unwrap() > 0,
            "{scenario}: {report}"
        );
    }
    server.shutdown().await;
}
