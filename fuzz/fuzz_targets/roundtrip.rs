//! Encoder round trip: an arbitrary action or server message, encoded and
//! decoded, or refused for the right reason; see `ami_proto_fuzz::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ami_proto_fuzz::roundtrip(data));
