//! Raw framing: arbitrary bytes into `ami_proto::Decoder`, whole and in
//! chunks; see `ami_proto_fuzz::decode_chunking`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ami_proto_fuzz::decode_chunking(data));
