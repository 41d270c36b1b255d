//! The client state machine under a script of server bytes, user actions
//! and clock steps; see `ami_proto_fuzz::connection`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ami_proto_fuzz::connection(data));
