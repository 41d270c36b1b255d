//! The smol live handle against ami-testkit; see
//! `testdata/client_tests/live.rs`.

#[macro_use]
#[path = "../../testdata/client_tests/live.rs"]
mod live;

fn run<F: std::future::Future>(future: F) -> F::Output {
    smol::block_on(future)
}

live_tests!(ami_smol);
