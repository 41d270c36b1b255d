//! Blocking Asterisk Manager Interface client over `std::net` sockets.
//!
//! This crate will drive the sans-IO state machine of [`ami_proto`] with plain
//! blocking sockets and no async runtime. It only moves bytes and time: all
//! protocol logic lives in `ami-proto`. Not implemented yet.
