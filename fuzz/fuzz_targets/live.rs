//! The live model under a script of events, syncs and list answers; see
//! `ami_proto_fuzz::live`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ami_proto_fuzz::live(data));
