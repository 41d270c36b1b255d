//! Tokio Asterisk Manager Interface client.
//!
//! This crate will drive the sans-IO state machine of [`ami_proto`] from a
//! Tokio task, handing out a cheap cloneable handle. It only moves bytes and
//! time: all protocol logic lives in `ami-proto`. Not implemented yet.
