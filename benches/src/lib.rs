//! Benchmarks for the AMI workspace; see `benches/`.
