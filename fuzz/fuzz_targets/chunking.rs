//! Arbitrary chunk boundaries: a chunk-size script and a stream, decoded
//! in those chunks and whole; see `ami_proto_fuzz::chunking`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ami_proto_fuzz::chunking(data));
