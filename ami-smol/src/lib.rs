//! smol / async-io Asterisk Manager Interface client.
//!
//! This crate will drive the sans-IO state machine of [`ami_proto`] over
//! `async-io` sockets and timers, without requiring a particular executor. It
//! only moves bytes and time: all protocol logic lives in `ami-proto`. Not
//! implemented yet.
