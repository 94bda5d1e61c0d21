//! What the targets that fuzz a running server share: a panic anywhere (also in a server task)
//! aborts the run, so libFuzzer reports it; the server runs on SQLite in `data_dir` with no
//! rate limits, so the fuzzer is never answered TooManyRequests, and objects of at most 1 MiB.

use std::path::Path;

pub fn start(data_dir: &Path) -> (tokio::runtime::Runtime, cognate_server::RunningServer) {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{info}");
        std::process::abort();
    }));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut config = cognate_server::Config::ephemeral(data_dir);
    config.rate_limit_per_ip = 0;
    config.rate_limit_per_user = 0;
    config.max_object_size = 1 << 20;
    let server = runtime
        .block_on(cognate_server::start(config, std::future::pending()))
        .expect("server starts");
    (runtime, server)
}
