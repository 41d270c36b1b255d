//! The blocking client against hostile and broken servers: the shared cases of
//! `testdata/client_tests/hostile.rs`.

mod session;

#[macro_use]
#[path = "../../testdata/client_tests/hostile.rs"]
mod hostile;

hostile_tests!(session::Blocking);
