//! Benchmarks for the AMI workspace, and the workload they run on.
//!
//! The workload is the stream of `gen_corpus.py` (in the project's shared
//! bench folder): a busy PBX's AMI events and responses. [`generate`] is a
//! faithful port that gives the same bytes for the same arguments, built on
//! [`pyrandom::PyRandom`], a re-implementation of CPython 3.11's
//! `random.Random`. The `gen_corpus` binary writes it to a file with the
//! script's command line; `benches/decode.rs` measures the decoder on it.
//!
//! A second workload, [`real_stream`], repeats the `Event` messages of real
//! Asterisk captures; `src/bin/loss_runs.rs` plays both to every client at
//! its default settings and counts what is lost ([`loss`]).

pub mod adapters;
pub mod corpus;
pub mod loopback;
pub mod loss;
pub mod meta;
pub mod pyrandom;
pub mod real_stream;

pub use corpus::{ChanvarStyle, generate, generate_with};
