//! Locking that survives a panicked holder: a handler that panics ends
//! its session, not every later lock of the server.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking the value even if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
