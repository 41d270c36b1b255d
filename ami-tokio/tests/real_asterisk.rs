//! The Tokio client against a real Asterisk (`AMI_TEST_URL`); see
//! `testdata/real_asterisk/scenarios.rs`. Skipped without it.

mod session;

#[macro_use]
#[path = "../../testdata/real_asterisk/scenarios.rs"]
mod scenarios;

real_asterisk_tests!(session::Tokio);
