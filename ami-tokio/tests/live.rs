//! The Tokio live handle against ami-testkit; see
//! `testdata/client_tests/live.rs`.

#[macro_use]
#[path = "../../testdata/client_tests/live.rs"]
mod live;

fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

live_tests!(ami_tokio);
